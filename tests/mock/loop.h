/* Tests: running a libuv loop in bounded steps, for the tests that drive
 * phoneboot's clients and the mock servers of tests/mock/ on one loop.
 * Every run is bounded in iterations and in time. Header-only. */
#ifndef PB_TEST_LOOP_H
#define PB_TEST_LOOP_H

#include <uv.h>

static inline void loop_guard_cb(uv_timer_t *t)
{
	*(int *)t->data = 1;
}

/* Run loop until *flag is set or ms have passed: 0 when *flag is set. */
static inline int loop_run_until(uv_loop_t *loop, const int *flag, unsigned ms)
{
	uv_timer_t guard;
	int expired = 0;
	unsigned spins = 0;

	uv_timer_init(loop, &guard);
	guard.data = &expired;
	uv_timer_start(&guard, loop_guard_cb, ms, 0);
	while (!*flag && !expired && spins++ < 200000)
		uv_run(loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&guard, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
	return *flag ? 0 : -1;
}

/* Let every pending close finish, then close the loop: 0, or libuv's
 * error (a handle left open). */
static inline int loop_drain(uv_loop_t *loop)
{
	unsigned spins = 0;

	while (uv_run(loop, UV_RUN_NOWAIT) && spins++ < 1000)
		;
	return uv_loop_close(loop);
}

#endif
