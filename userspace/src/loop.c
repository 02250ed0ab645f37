// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libktcp: epoll event loop with timers in a binary min-heap; see
 * include/ktcp/loop.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <ktcp/loop.h>

struct watcher {
	ktcp_io_fn fn;		/* NULL: not watched */
	void *arg;
	uint32_t gen;		/* tells a stale event from a new watch */
};

struct ktcp_timer {
	struct ktcp_loop *loop;
	ktcp_timer_fn fn;
	void *arg;
	uint64_t due;		/* ms, CLOCK_MONOTONIC */
	size_t idx;		/* position in the heap, or NOT_ARMED */
};

#define NOT_ARMED	((size_t)-1)

struct ktcp_loop {
	int epfd;
	int stop;
	struct watcher *w;
	size_t nw;
	uint32_t gen;
	struct ktcp_timer **heap;
	size_t nheap, capheap;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct ktcp_loop *ktcp_loop_new(void)
{
	struct ktcp_loop *loop = calloc(1, sizeof(*loop));

	if (!loop)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		free(loop);
		return NULL;
	}
	return loop;
}

void ktcp_loop_free(struct ktcp_loop *loop)
{
	if (!loop)
		return;
	close(loop->epfd);
	free(loop->w);
	free(loop->heap);
	free(loop);
}

int ktcp_loop_fd(const struct ktcp_loop *loop)
{
	return loop->epfd;
}

int ktcp_loop_add(struct ktcp_loop *loop, int fd, uint32_t events,
		  ktcp_io_fn fn, void *arg)
{
	struct epoll_event ev = { .events = events };

	if (fd < 0 || !fn)
		return -EINVAL;
	if ((size_t)fd >= loop->nw) {
		size_t n = loop->nw ? loop->nw : 64;
		struct watcher *w;

		while (n <= (size_t)fd)
			n *= 2;
		w = realloc(loop->w, n * sizeof(*w));
		if (!w)
			return -ENOMEM;
		memset(w + loop->nw, 0, (n - loop->nw) * sizeof(*w));
		loop->w = w;
		loop->nw = n;
	}
	if (loop->w[fd].fn)
		return -EEXIST;
	loop->w[fd].gen = ++loop->gen;
	ev.data.u64 = (uint64_t)loop->w[fd].gen << 32 | (uint32_t)fd;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	loop->w[fd].fn = fn;
	loop->w[fd].arg = arg;
	return 0;
}

int ktcp_loop_mod(struct ktcp_loop *loop, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events };

	if (fd < 0 || (size_t)fd >= loop->nw || !loop->w[fd].fn)
		return -ENOENT;
	ev.data.u64 = (uint64_t)loop->w[fd].gen << 32 | (uint32_t)fd;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		return -errno;
	return 0;
}

int ktcp_loop_del(struct ktcp_loop *loop, int fd)
{
	if (fd < 0 || (size_t)fd >= loop->nw || !loop->w[fd].fn)
		return -ENOENT;
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	loop->w[fd].fn = NULL;
	loop->w[fd].gen = 0;
	return 0;
}

/* ---- timer heap ---- */

static void heap_swap(struct ktcp_loop *l, size_t a, size_t b)
{
	struct ktcp_timer *t = l->heap[a];

	l->heap[a] = l->heap[b];
	l->heap[b] = t;
	l->heap[a]->idx = a;
	l->heap[b]->idx = b;
}

static void heap_up(struct ktcp_loop *l, size_t i)
{
	while (i && l->heap[(i - 1) / 2]->due > l->heap[i]->due) {
		heap_swap(l, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_down(struct ktcp_loop *l, size_t i)
{
	for (;;) {
		size_t m = i, c = 2 * i + 1;

		if (c < l->nheap && l->heap[c]->due < l->heap[m]->due)
			m = c;
		if (c + 1 < l->nheap && l->heap[c + 1]->due < l->heap[m]->due)
			m = c + 1;
		if (m == i)
			return;
		heap_swap(l, i, m);
		i = m;
	}
}

struct ktcp_timer *ktcp_timer_new(struct ktcp_loop *loop, ktcp_timer_fn fn,
				  void *arg)
{
	struct ktcp_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->loop = loop;
	t->fn = fn;
	t->arg = arg;
	t->idx = NOT_ARMED;
	return t;
}

void ktcp_timer_stop(struct ktcp_timer *t)
{
	struct ktcp_loop *l = t->loop;
	size_t i = t->idx;

	if (i == NOT_ARMED)
		return;
	t->idx = NOT_ARMED;
	l->nheap--;
	if (i == l->nheap)
		return;
	l->heap[i] = l->heap[l->nheap];
	l->heap[i]->idx = i;
	heap_down(l, i);
	heap_up(l, i);
}

void ktcp_timer_set(struct ktcp_timer *t, unsigned int ms)
{
	struct ktcp_loop *l = t->loop;

	ktcp_timer_stop(t);
	if (l->nheap == l->capheap) {
		size_t n = l->capheap ? 2 * l->capheap : 16;
		struct ktcp_timer **h = realloc(l->heap, n * sizeof(*h));

		if (!h)
			abort();	/* nothing sane to do; tiny allocation */
		l->heap = h;
		l->capheap = n;
	}
	t->due = now_ms() + ms;
	t->idx = l->nheap;
	l->heap[l->nheap++] = t;
	heap_up(l, t->idx);
}

void ktcp_timer_free(struct ktcp_timer *t)
{
	if (!t)
		return;
	ktcp_timer_stop(t);
	free(t);
}

int ktcp_loop_next_timeout(const struct ktcp_loop *loop)
{
	uint64_t now;

	if (!loop->nheap)
		return -1;
	now = now_ms();
	if (loop->heap[0]->due <= now)
		return 0;
	return (int)(loop->heap[0]->due - now);
}

static int run_timers(struct ktcp_loop *loop)
{
	uint64_t now = now_ms();
	int n = 0;

	while (loop->nheap && loop->heap[0]->due <= now) {
		struct ktcp_timer *t = loop->heap[0];

		ktcp_timer_stop(t);
		t->fn(t, t->arg);
		n++;
	}
	return n;
}

int ktcp_loop_run_once(struct ktcp_loop *loop, int timeout_ms)
{
	struct epoll_event ev[64];
	int next = ktcp_loop_next_timeout(loop), n, i, ran;

	if (next >= 0 && (timeout_ms < 0 || next < timeout_ms))
		timeout_ms = next;
	n = epoll_wait(loop->epfd, ev, 64, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	ran = n;
	for (i = 0; i < n; i++) {
		int fd = (int)(uint32_t)ev[i].data.u64;
		uint32_t gen = (uint32_t)(ev[i].data.u64 >> 32);
		struct watcher *w;

		if ((size_t)fd >= loop->nw)
			continue;
		w = &loop->w[fd];
		if (!w->fn || w->gen != gen)
			continue;
		w->fn(loop, fd, ev[i].events, w->arg);
	}
	return ran + run_timers(loop);
}

int ktcp_loop_run(struct ktcp_loop *loop)
{
	loop->stop = 0;
	while (!loop->stop) {
		int err = ktcp_loop_run_once(loop, -1);

		if (err < 0)
			return err;
	}
	return 0;
}

void ktcp_loop_stop(struct ktcp_loop *loop)
{
	loop->stop = 1;
}
