/* Internal: one emulated boot (cycles of steps) on a libuv loop, and the
 * diagnosis over what it saw. */
#ifndef PB_BOOT_H
#define PB_BOOT_H

#include <jansson.h>
#include <uv.h>

#include "phoneboot/logon.h"

struct boot;

typedef void boot_done_cb(struct boot *b, void *arg);

/* Start a boot using DNS servers dns[0..n). done runs once, on the loop. */
enum pb_err boot_start(uv_loop_t *loop, const struct pb_logon_opts *o,
		       const char *const *dns, size_t n_dns, int use_dhcp, boot_done_cb *done,
		       void *arg, struct boot **out, char *err, size_t errlen);
void boot_free(struct boot *b);

/* What the boot ended with (valid in and after done). */
const char *boot_outcome(const struct boot *b);     /* signed-in | failed | loop */
unsigned boot_cycles(const struct boot *b);
json_t *boot_steps(const struct boot *b);           /* borrowed: the last cycle */
json_t *boot_cycle_log(const struct boot *b);       /* borrowed */
const char *boot_target(const struct boot *b);      /* "host:port" reached, or "" */

/* Step facts the diagnosis reads (borrowed, may be NULL). */
const struct pb_chain *boot_peer_chain(const struct boot *b);
size_t boot_rejected_roots(const struct boot *b);
const struct pb_chain *boot_rejected_root(const struct boot *b, size_t i);

/* The diagnosis and remedies of DESIGN.md section 4, from the facts of
 * boot b (and alt, the boot with the alternative DNS servers, or NULL). */
json_t *diagnose(const struct boot *b, const struct pb_logon_opts *o);
json_t *remedies(const struct boot *b, const struct boot *alt,
		 const struct pb_logon_opts *o, const json_t *diagnosis);

#endif
