// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libktcp-preload.so: parsing KTCP_PRELOAD; see spec.h.
 */
#include <errno.h>
#include <string.h>

#include "spec.h"

#define PORTS_PREFIX	"ports="
#define PORT_MAX	65535

/*
 * A port at *@sp: 1-65535 in decimal without leading zeros.  Moves *@sp
 * past it.  Returns the port, or -EINVAL.
 */
static int parse_port(const char **sp)
{
	const char *s = *sp;
	int val = 0, digits = 0;

	if (*s == '0')
		return -EINVAL;
	while (*s >= '0' && *s <= '9') {
		val = val * 10 + (*s - '0');
		/* Checked per digit, so val cannot overflow. */
		if (val > PORT_MAX)
			return -EINVAL;
		s++;
		digits++;
	}
	if (!digits)
		return -EINVAL;
	*sp = s;
	return val;
}

static void set_ports(struct preload_spec *spec, int low, int high)
{
	int p;

	for (p = low; p <= high; p++)
		spec->ports[p / 64] |= (uint64_t)1 << (p % 64);
}

static int parse_ports(const char *s, struct preload_spec *spec)
{
	for (;;) {
		int low, high;

		low = parse_port(&s);
		if (low < 0)
			return low;
		high = low;
		if (*s == '-') {
			s++;
			high = parse_port(&s);
			if (high < 0 || high < low)
				return -EINVAL;
		}
		set_ports(spec, low, high);
		if (!*s)
			return 0;
		if (*s != ',')
			return -EINVAL;
		s++;
	}
}

int preload_spec_parse(const char *s, struct preload_spec *spec)
{
	int err;

	memset(spec, 0, sizeof(*spec));
	if (!s || !*s || !strcmp(s, "all")) {
		spec->mode = PRELOAD_ALL;
		return 0;
	}
	if (!strcmp(s, "off"))
		return 0;
	if (strncmp(s, PORTS_PREFIX, strlen(PORTS_PREFIX)))
		return -EINVAL;

	err = parse_ports(s + strlen(PORTS_PREFIX), spec);
	if (err) {
		memset(spec, 0, sizeof(*spec));
		return err;
	}
	spec->mode = PRELOAD_PORTS;
	return 0;
}

bool preload_spec_port(const struct preload_spec *spec, unsigned int port)
{
	if (spec->mode != PRELOAD_PORTS || port > PORT_MAX)
		return false;
	return spec->ports[port / 64] & ((uint64_t)1 << (port % 64));
}
