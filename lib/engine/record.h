/* Internal: the record of a boot (lib/engine/record.c): the steps of each
 * cycle with their facts, the cycle log, and how the boot failed.
 *
 * Two kinds of failure are never mixed (OpenSMTPD names the kind of every
 * failure): the network's fault is a step's cause code, reported to the
 * user; phoneboot's own failure (out of memory, a limit) is KIND_INTERNAL
 * with a program error, exit 3, and is never reported as a network cause.
 * The first message of each wins, so the root survives (curl's
 * Curl_failf). */
#ifndef PB_RECORD_H
#define PB_RECORD_H

#include <stdint.h>

#include <jansson.h>

#include "phoneboot/codes.h"
#include "phoneboot/profile.h"

enum rec_kind {
	KIND_NONE = 0,
	KIND_NETWORK = 1,        /* a step failed: the cause says why */
	KIND_INTERNAL = 2,       /* phoneboot's own failure */
	KIND_CANCELLED = 3,      /* the caller stopped the boot */
};

struct record {
	const struct pb_profile *profile;
	json_t *steps;           /* this cycle's steps */
	json_t *last_steps;      /* the last finished cycle's */
	json_t *cycle_log;       /* every cycle: step, result, cause */
	json_t *exchanges;       /* every message, every cycle: the ladder */

	/* the step being recorded */
	enum pb_step step;
	uint64_t t0;
	json_t *facts;
	char peer[160];
	int open;

	/* the failure that ended this cycle, and the last one's */
	enum pb_step fail_step, prev_step;
	enum pb_cause fail_cause, prev_cause;
	int failed, prev_failed;

	enum rec_kind kind;      /* of the boot's end */
	enum pb_err err;         /* KIND_INTERNAL: which */
	char message[256];       /* KIND_INTERNAL: first wins */
};

enum pb_err rec_init(struct record *r, const struct pb_profile *p);
void rec_free(struct record *r);
/* A new cycle's list of steps. */
void rec_cycle_begin(struct record *r);
void rec_step_begin(struct record *r, enum pb_step s);
void rec_fact(struct record *r, const char *key, json_t *v);      /* v taken */
void rec_peer(struct record *r, const char *peer);
/* Close the step: result "ok", "fail" or "skipped"; also taken. */
void rec_step_end(struct record *r, const char *result, enum pb_cause cause,
		  const char *detail, json_t *also);
void rec_skipped(struct record *r, enum pb_step s, const char *why);
/* The cycle is over; its steps become last_steps. */
void rec_cycle_end(struct record *r);
/* One message on the wire, for the ladder diagram: from the phone to peer
 * (to_peer) or back, at ms since the boot started, in cycle. */
void rec_exchange(struct record *r, unsigned cycle, double ms, const char *peer,
		  int to_peer, int failed, const char *label);
/* phoneboot's own failure; the first message wins. */
void rec_internal(struct record *r, enum pb_err err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The screen text of step s for this profile. */
const char *rec_screen(const struct record *r, enum pb_step s);

#endif
