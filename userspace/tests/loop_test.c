// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the event loop: descriptors, timers in order, removal from
 * inside callbacks.
 */
#include <errno.h>
#include <poll.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <ktcp/loop.h>

#include "harness.h"

static int order[8], norder;

static void note(struct ktcp_timer *t, void *arg)
{
	(void)t;
	order[norder++] = (int)(long)arg;
}

TEST(loop_timers_fire_in_deadline_order)
{
	struct ktcp_loop *loop = ktcp_loop_new();
	struct ktcp_timer *t[4];
	int i;

	for (i = 0; i < 4; i++)
		t[i] = ktcp_timer_new(loop, note, (void *)(long)i);
	ktcp_timer_set(t[0], 30);
	ktcp_timer_set(t[1], 10);
	ktcp_timer_set(t[2], 20);
	ktcp_timer_set(t[3], 5);
	ktcp_timer_stop(t[3]);
	ASSERT_GE_INT(ktcp_loop_next_timeout(loop), 0);
	while (norder < 3)
		ASSERT_GE_INT(ktcp_loop_run_once(loop, -1), 0);
	ASSERT_EQ_INT(order[0], 1);
	ASSERT_EQ_INT(order[1], 2);
	ASSERT_EQ_INT(order[2], 0);
	ASSERT_EQ_INT(ktcp_loop_next_timeout(loop), -1);
	for (i = 0; i < 4; i++)
		ktcp_timer_free(t[i]);
	ktcp_loop_free(loop);
}

static int reads;

static void on_read(struct ktcp_loop *loop, int fd, uint32_t ev, void *arg)
{
	char c;

	(void)arg;
	ASSERT_TRUE(ev & EPOLLIN);
	ASSERT_EQ_INT(read(fd, &c, 1), 1);
	reads++;
	ASSERT_EQ_INT(ktcp_loop_del(loop, fd), 0);
	ktcp_loop_stop(loop);
}

TEST(loop_runs_io_callbacks_and_stops)
{
	struct ktcp_loop *loop = ktcp_loop_new();
	int p[2];

	ASSERT_EQ_INT(pipe(p), 0);
	ASSERT_EQ_INT(ktcp_loop_add(loop, p[0], EPOLLIN, on_read, NULL), 0);
	ASSERT_EQ_INT(ktcp_loop_add(loop, p[0], EPOLLIN, on_read, NULL), -EEXIST);
	ASSERT_EQ_INT(write(p[1], "x", 1), 1);
	ASSERT_EQ_INT(ktcp_loop_run(loop), 0);
	ASSERT_EQ_INT(reads, 1);
	ASSERT_EQ_INT(ktcp_loop_del(loop, p[0]), -ENOENT);
	ASSERT_EQ_INT(ktcp_loop_mod(loop, p[0], EPOLLIN), -ENOENT);
	ASSERT_EQ_INT(ktcp_loop_run_once(loop, 0), 0);
	ktcp_loop_free(loop);
}

static int embedded_reads;

static void on_read_count(struct ktcp_loop *loop, int fd, uint32_t ev, void *arg)
{
	char c;

	(void)loop;
	(void)ev;
	(void)arg;
	ASSERT_EQ_INT(read(fd, &c, 1), 1);
	embedded_reads++;
}

/* An application's own poll() loop drives ours through its fd. */
TEST(loop_embeds_in_another_loop)
{
	struct ktcp_loop *loop = ktcp_loop_new();
	struct ktcp_timer *t = ktcp_timer_new(loop, note, (void *)7L);
	struct pollfd p = { .fd = ktcp_loop_fd(loop), .events = POLLIN };
	int pp[2];

	ASSERT_EQ_INT(pipe(pp), 0);
	ASSERT_EQ_INT(ktcp_loop_add(loop, pp[0], EPOLLIN, on_read_count, NULL), 0);
	ASSERT_EQ_INT(poll(&p, 1, 0), 0);
	ASSERT_EQ_INT(write(pp[1], "xy", 2), 2);
	while (embedded_reads < 2) {
		ASSERT_EQ_INT(poll(&p, 1, 10000), 1);
		ASSERT_GE_INT(ktcp_loop_run_once(loop, 0), 1);
	}
	norder = 0;
	ktcp_timer_set(t, 1);
	while (!norder) {
		int ms = ktcp_loop_next_timeout(loop);

		ASSERT_GE_INT(ms, 0);
		poll(&p, 1, ms);
		ktcp_loop_run_once(loop, 0);
	}
	ASSERT_EQ_INT(order[0], 7);
	ktcp_timer_free(t);
	ktcp_loop_free(loop);
}
