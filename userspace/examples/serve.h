/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the example servers share once their options are parsed: listen
 * on the chosen family, serve with @cfg on an event loop until it
 * stops, clean up.  Prints "listening on PORT" (0 for unix) when ready,
 * which the tests wait for.
 */
#ifndef KTCP_EXAMPLES_SERVE_H
#define KTCP_EXAMPLES_SERVE_H

#include <signal.h>
#include <unistd.h>

#include <ktcp/server.h>

#include "common.h"

static inline int serve(struct opts *o, const struct ktcp_http_server_config *cfg)
{
	struct ktcp_http_server *srv;
	struct ktcp_loop *loop;
	int lfd;

	common_defaults(o);
	signal(SIGPIPE, SIG_IGN);
	lfd = ktcp_addr_listen(o->family, o->host, o->port, 512, SOCK_CLOEXEC);
	if (lfd < 0) {
		fprintf(stderr, "listen: %s\n", sock_error(o, lfd));
		return 1;
	}
	loop = ktcp_loop_new();
	srv = ktcp_http_server_new(loop, lfd, cfg);
	if (!srv) {
		perror("ktcp_http_server_new");
		return 1;
	}
	printf("listening on %d\n", strcmp(o->family, "unix") ? ktcp_addr_port(lfd) : 0);
	fflush(stdout);
	ktcp_loop_run(loop);
	ktcp_http_server_free(srv);
	ktcp_loop_free(loop);
	close(lfd);
	return 0;
}

#endif /* KTCP_EXAMPLES_SERVE_H */
