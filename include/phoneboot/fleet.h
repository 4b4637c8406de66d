/* phoneboot: many boots on one engine (issue 12: `phoneboot fleet`,
 * `phoneboot matrix`).
 *
 * A fleet schedules boots on an engine (phoneboot/boot.h): at most
 * `concurrency` in flight, at most `rate` started per second, each phone
 * a full boot, each boot freed as soon as its report is handed over, so
 * memory and file descriptors stay flat however many phones there are.
 * The caller owns the loop and the phones' options; the fleet asks for a
 * phone's options only when it is about to start it.
 *
 * A summary reads the per-phone report lines (what the fleet hands over,
 * or JSON Lines read back from files) and says what a run came to:
 * outcomes, causes ranked with example phones, per-step latency
 * percentiles. It depends only on the lines, never on their order, so
 * sharded runs merged give the summary the unsharded run gives.
 *
 * Nothing here prints. */
#ifndef PHONEBOOT_FLEET_H
#define PHONEBOOT_FLEET_H

#include <stddef.h>

#include <jansson.h>

#include "phoneboot/boot.h"
#include "phoneboot/export.h"

struct pb_fleet;
struct pb_fleet_summary;

/* Fill *o (zeroed before the call) for phone `index` (0-based, in the
 * whole fleet, whatever the shard). What o points to is the caller's and
 * must stay valid until the done callback for that index has returned;
 * *data (NULL before the call) is handed back to that done callback, to
 * release what the phone needed (so a fleet's memory follows the phones
 * in flight). Anything but PB_OK stops the fleet (no new boots) with err
 * as its error; the phone is not started, and the phone callback has
 * released what it took. */
typedef enum pb_err pb_fleet_phone_cb(void *arg, size_t index, struct pb_logon_opts *o,
				      void **data, char *err, size_t errlen);
/* Phone `index` is over. line is its report line: pb_boot_report()'s
 * report with "index" (the phone's index) and "boot_ms" (start to end)
 * added; for "internal-error" (no report), identity, profile, outcome
 * and "error". Borrowed: json_incref() to keep it. data: what the phone
 * callback set. On the loop. Also called, with line NULL, for phones
 * still in flight when the fleet is freed. */
typedef void pb_fleet_done_cb(void *arg, size_t index, void *data, json_t *line);
/* Every boot is over and none will start (all done, or stopped). On the
 * loop, once. */
typedef void pb_fleet_over_cb(void *arg);

struct pb_fleet_conf {
	size_t count;                 /* phones 0..count-1 */
	unsigned concurrency;         /* boots in flight at most; 0 means 1 */
	double rate;                  /* boots started per second at most; 0: no limit */
	unsigned shard, shards;       /* this shard's phones: index % shards == shard;
					 shards 0 or 1: every phone */
	pb_fleet_phone_cb *phone;
	pb_fleet_done_cb *done;
	pb_fleet_over_cb *over;
	void *arg;
	int summary_only;             /* 1: the done callback's lines feed a
					 summary only: the phones record no
					 ladder (pb_logon_opts.no_exchanges) */
};

struct pb_fleet_progress {
	size_t total;                 /* phones in this shard */
	size_t started, in_flight, finished;
	size_t signed_in;             /* finished and signed in */
	double elapsed_s;             /* since pb_fleet_start() */
	int stopping;                 /* pb_fleet_stop() or an error: no new boots */
};

/* A fleet on engine e (borrowed, it must outlive the fleet). c is
 * copied. Errors: PB_ERR_USAGE (no phone callback, shard out of range),
 * PB_ERR_NOMEM; err says which. */
PB_EXPORT enum pb_err pb_fleet_new(struct pb_engine *e, const struct pb_fleet_conf *c,
				   struct pb_fleet **out, char *err, size_t errlen);
/* Start scheduling, from the loop (the first boot starts when the loop
 * runs). */
PB_EXPORT void pb_fleet_start(struct pb_fleet *f);
/* Start no new boot; the ones in flight finish within their own
 * timeouts, then the over callback runs. Idempotent. */
PB_EXPORT void pb_fleet_stop(struct pb_fleet *f);
/* pb_fleet_stop(), and cancel the boots in flight (each still reported,
 * "cancelled"). */
PB_EXPORT void pb_fleet_cancel(struct pb_fleet *f);
PB_EXPORT void pb_fleet_get_progress(const struct pb_fleet *f, struct pb_fleet_progress *p);
/* The error that stopped the fleet (from the phone callback or a boot
 * that could not start), PB_OK when none; message borrowed. */
PB_EXPORT enum pb_err pb_fleet_error(const struct pb_fleet *f, const char **message);
/* Free the fleet; boots still in flight are cancelled and freed, their
 * done callback called with line NULL. Its timer closes on the loop.
 * NULL is fine. */
PB_EXPORT void pb_fleet_free(struct pb_fleet *f);

/* Phones of shard k of n among count (n 0 or 1: count). */
PB_EXPORT size_t pb_fleet_shard_size(size_t count, unsigned k, unsigned n);
/* File descriptors a fleet of `concurrency` boots in flight may hold at
 * once (each boot: its directory and its SIP connection; the engine's
 * shared resolvers and DHCP sockets; the process's own), to compare with
 * RLIMIT_NOFILE up front. */
PB_EXPORT unsigned long pb_fleet_fds_needed(unsigned concurrency);

/* ---- the summary ---- */

PB_EXPORT enum pb_err pb_fleet_summary_new(struct pb_fleet_summary **out);
PB_EXPORT void pb_fleet_summary_free(struct pb_fleet_summary *s);
/* Count one report line (borrowed). PB_ERR_PARSE when it is no report
 * (no "outcome" string). */
PB_EXPORT enum pb_err pb_fleet_summary_add(struct pb_fleet_summary *s, const json_t *line);
/* The summary as JSON (new reference, NULL on out of memory):
 *   {"phones": N,
 *    "outcomes": {"signed-in": n, "failed": n, "loop": n, "cancelled": n,
 *                 "internal-error": n},
 *    "causes": [{"step", "cause", "count", "examples": [identity...]}...],
 *        ranked by count, then step and cause; examples: the phones of
 *        lowest index, at most 3
 *    "steps": [{"step", "n", "failed", "p50", "p95", "p99", "max"}...],
 *        in flow order, ms, from each report's steps[].ms (the last cycle)
 *    "boot_ms": {"n", "p50", "p95", "p99", "max"},
 *    "targets": [{"target", "count"}...]}   where the signed-in phones went
 * Percentiles come from log-scale histograms (buckets 2% wide), so the
 * summary takes the same memory for ten phones and ten million. */
PB_EXPORT json_t *pb_fleet_summary_json(const struct pb_fleet_summary *s);

#endif
