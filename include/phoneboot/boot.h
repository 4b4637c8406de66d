/* phoneboot: boots on a loop the caller owns (DESIGN.md section 5).
 *
 * An engine holds what the boots on one libuv loop share: one resolver per
 * set of DNS servers, one TLS context per device profile, one DHCP socket
 * per interface. Each boot is one emulated phone: its cycles of steps run
 * on that loop, never blocking it, and its callback runs once, on the loop,
 * when it signs in, fails, loops or is cancelled. One phone and ten
 * thousand run the same code; pb_logon() is a fleet of one.
 *
 * The report is a jansson object (json_t): jansson is part of this API. */
#ifndef PHONEBOOT_BOOT_H
#define PHONEBOOT_BOOT_H

#include <uv.h>
#include <jansson.h>

#include "phoneboot/export.h"
#include "phoneboot/logon.h"

struct pb_engine;
struct pb_boot;

/* Called once per boot, on the loop. The boot stays valid until
 * pb_boot_free(). */
typedef void pb_boot_cb(struct pb_boot *b, void *arg);

/* An engine on loop (borrowed; it must outlive the engine). */
PB_EXPORT enum pb_err pb_engine_new(uv_loop_t *loop, struct pb_engine **out);
/* Free the engine once every boot on it is freed; its handles close on
 * the loop (run the loop until it is idle). NULL is fine. */
PB_EXPORT void pb_engine_free(struct pb_engine *e);

/* Start one boot. o (and everything it points to: profile, password,
 * device roots) is borrowed until pb_boot_free(). *out is set on
 * success; the callback never runs before pb_boot_start returns. Errors:
 * PB_ERR_USAGE (bad options, e.g. a DNS server that is no address),
 * PB_ERR_NOMEM; err says which. */
PB_EXPORT enum pb_err pb_boot_start(struct pb_engine *e, const struct pb_logon_opts *o,
				    pb_boot_cb *cb, void *arg, struct pb_boot **out,
				    char *err, size_t errlen);
/* Stop a boot at whatever step it is in: every wait is cancelled and the
 * callback runs (on the loop) with outcome "cancelled". A boot already
 * finished is left as it is. */
PB_EXPORT void pb_boot_cancel(struct pb_boot *b);
/* Free a finished (or never started) boot. NULL is fine. */
PB_EXPORT void pb_boot_free(struct pb_boot *b);

/* What a finished boot ended with: "signed-in", "failed", "loop",
 * "cancelled", or "internal-error" (phoneboot's own failure: out of
 * memory or a limit; never a network cause). */
PB_EXPORT const char *pb_boot_outcome(const struct pb_boot *b);
/* For "internal-error": the program error and its message. */
PB_EXPORT enum pb_err pb_boot_error(const struct pb_boot *b, const char **message);
/* The report of DESIGN.md section 4 for this boot alone: identity,
 * profile, outcome, cycles, steps, cycle_log, target, diagnosis and the
 * remedies that need no second boot. New reference; NULL on out of
 * memory. */
PB_EXPORT json_t *pb_boot_report(const struct pb_boot *b);

#endif
