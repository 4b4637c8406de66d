/* Internal to lib/engine/ and lib/diag/: one boot's state (boot.c), and
 * what the diagnosis may read of it. Steps never see struct boot: they
 * get a struct step_run (engine.h). */
#ifndef PB_BOOT_INT_H
#define PB_BOOT_INT_H

#include "engine/engine.h"
#include "engine/record.h"

enum boot_state {
	BS_IDLE = 6,         /* created, not started */
	BS_NEW = 0,          /* a cycle is about to start */
	BS_STEP = 1,         /* a step runs */
	BS_NEXT = 2,         /* a step is over: choose the next */
	BS_CYCLE_END = 3,    /* the cycle is over */
	BS_PAUSE = 4,        /* between cycles */
	BS_DONE = 5,         /* the callback is due (or has run) */
};

struct boot {
	struct pb_engine *eng;
	uv_loop_t *loop;
	const struct pb_logon_opts *o;
	pb_boot_cb *cb;
	void *arg;
	char label[128];

	enum boot_state state;
	const struct flow *flow;
	size_t si;                   /* the flow's step in progress */
	const struct step_ops *ops;
	struct step_run run;
	int step_live;               /* started, not yet reported */
	enum pb_cause last_cause;    /* of the step just over */
	int jump;                    /* step_done_goto: */
	enum pb_step jump_to;
	uv_timer_t tick;             /* transitions, from the loop */
	uv_timer_t step_timer;       /* the running step's own timer */
	void (*step_timer_cb)(struct step_run *r);

	unsigned cycle, attempts, timeout_ms;
	uint64_t t0;                 /* when the boot started */
	const char *outcome;
	int notified, handles;

	struct device dev;
	struct record rec;
};

void boot_trace(struct boot *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The engine (engine.c). */
uv_loop_t *engine_loop(const struct pb_engine *e);
void engine_boot_added(struct pb_engine *e);
void engine_boot_removed(struct pb_engine *e);

/* Tests: run boot b with flow f instead of its profile's (before the
 * loop runs; f must outlive the boot). */
void boot_set_flow(struct pb_boot *b, const struct flow *f);

/* The report of DESIGN.md section 4 for boot b, with the remedy's boot
 * alt (may be NULL); NULL when b is not done, ended with phoneboot's own
 * failure, or on out of memory. New reference. */
json_t *boot_report(const struct boot *b, const struct boot *alt);

#endif
