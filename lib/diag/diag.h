/* Internal: the diagnosis and the remedies (DESIGN.md section 4), as
 * explicit rules over what a boot recorded. */
#ifndef PB_DIAG_H
#define PB_DIAG_H

#include <stddef.h>

#include <jansson.h>

#include "phoneboot/cert.h"
#include "phoneboot/logon.h"

/* What the rules read: the last cycle's steps (the report's "steps"),
 * and what the device kept for the diagnosis. All borrowed. */
struct diag_in {
	const char *outcome;                 /* signed-in | failed | loop */
	json_t *steps;
	const char *target;                  /* "host:port" of the pool, or "" */
	const struct pb_chain *peer;         /* the first chain connect judged */
	const struct pb_chain *const *rejected;   /* roots install-root rejected */
	size_t n_rejected;
};

/* The diagnosis object, or json null when signed in. New reference. */
json_t *diagnose(const struct diag_in *in);
/* The remedies for a diagnosis; alt (may be NULL) is the boot with the
 * alternative DNS servers, which verifies use-dns. New reference. */
json_t *remedies(const struct diag_in *in, const struct diag_in *alt,
		 const struct pb_logon_opts *o, const json_t *diagnosis);

#endif
