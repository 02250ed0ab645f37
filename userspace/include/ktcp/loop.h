/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libktcp: a small epoll event loop with timers.
 *
 * The servers of libktcp (ktcp/server.h) run on a struct ktcp_loop.
 * An application with a loop of its own can still use them: watch
 * ktcp_loop_fd() for readability in that loop and call
 * ktcp_loop_run_once(loop, 0) whenever it is readable, and at the
 * latest after ktcp_loop_next_timeout() milliseconds.
 *
 * Not thread-safe: use one loop from one thread.  Errors are negative
 * errno values.
 */
#ifndef KTCP_LOOP_H
#define KTCP_LOOP_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ktcp_loop;
struct ktcp_timer;

/* Events, as in epoll: EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP, EPOLLRDHUP. */
typedef void (*ktcp_io_fn)(struct ktcp_loop *loop, int fd, uint32_t events,
			   void *arg);
typedef void (*ktcp_timer_fn)(struct ktcp_timer *timer, void *arg);

/**
 * ktcp_loop_new() - Create an event loop.
 *
 * Return: the loop, or NULL with errno set.
 */
struct ktcp_loop *ktcp_loop_new(void);

/**
 * ktcp_loop_free() - Free a loop; watched file descriptors stay open.
 * @loop: the loop, or NULL.  Timers must have been freed.
 */
void ktcp_loop_free(struct ktcp_loop *loop);

/**
 * ktcp_loop_fd() - The epoll file descriptor, to embed the loop.
 * @loop: the loop.
 *
 * Return: a descriptor that is readable when ktcp_loop_run_once() has
 * work.
 */
int ktcp_loop_fd(const struct ktcp_loop *loop);

/**
 * ktcp_loop_add() - Watch a file descriptor.
 * @loop: the loop.
 * @fd: the descriptor (should be non-blocking).
 * @events: epoll events to wait for.
 * @fn: called with the events that occurred.
 * @arg: passed to @fn.
 *
 * Return: 0, -EEXIST if @fd is already watched, or epoll_ctl()'s error.
 */
int ktcp_loop_add(struct ktcp_loop *loop, int fd, uint32_t events,
		  ktcp_io_fn fn, void *arg);

/**
 * ktcp_loop_mod() - Change the events watched for on a descriptor.
 * @loop: the loop.
 * @fd: a watched descriptor.
 * @events: the new events.
 *
 * Return: 0, -ENOENT if @fd is not watched, or epoll_ctl()'s error.
 */
int ktcp_loop_mod(struct ktcp_loop *loop, int fd, uint32_t events);

/**
 * ktcp_loop_del() - Stop watching a descriptor (before closing it).
 * @loop: the loop.
 * @fd: a watched descriptor.  Events already collected for it in the
 *      current iteration are dropped.
 *
 * Return: 0 or -ENOENT.
 */
int ktcp_loop_del(struct ktcp_loop *loop, int fd);

/**
 * ktcp_loop_run_once() - Wait for events and timers once, and run them.
 * @loop: the loop.
 * @timeout_ms: the longest wait; -1 waits until the next timer or event.
 *
 * Return: the number of callbacks run (>= 0), or a negative errno.
 */
int ktcp_loop_run_once(struct ktcp_loop *loop, int timeout_ms);

/**
 * ktcp_loop_run() - Run until ktcp_loop_stop().
 * @loop: the loop.
 *
 * Return: 0 after ktcp_loop_stop(), or a negative errno.
 */
int ktcp_loop_run(struct ktcp_loop *loop);

/**
 * ktcp_loop_stop() - Make ktcp_loop_run() return (callable from callbacks).
 * @loop: the loop.
 */
void ktcp_loop_stop(struct ktcp_loop *loop);

/**
 * ktcp_loop_next_timeout() - Milliseconds until the next timer is due.
 * @loop: the loop.
 *
 * Return: 0 if one is due, -1 if no timer is armed.
 */
int ktcp_loop_next_timeout(const struct ktcp_loop *loop);

/**
 * ktcp_timer_new() - Create a timer (not armed).
 * @loop: the loop that runs it.
 * @fn: called when it expires.
 * @arg: passed to @fn.
 *
 * Return: the timer, or NULL with errno set.
 */
struct ktcp_timer *ktcp_timer_new(struct ktcp_loop *loop, ktcp_timer_fn fn,
				  void *arg);

/**
 * ktcp_timer_set() - Arm (or re-arm) a timer.
 * @timer: the timer.
 * @ms: expire this many milliseconds from now (monotonic clock).
 */
void ktcp_timer_set(struct ktcp_timer *timer, unsigned int ms);

/**
 * ktcp_timer_stop() - Disarm a timer.
 * @timer: the timer.
 */
void ktcp_timer_stop(struct ktcp_timer *timer);

/**
 * ktcp_timer_free() - Disarm and free a timer (also from its callback).
 * @timer: the timer, or NULL.
 */
void ktcp_timer_free(struct ktcp_timer *timer);

#ifdef __cplusplus
}
#endif

#endif /* KTCP_LOOP_H */
