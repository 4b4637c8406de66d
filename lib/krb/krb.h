/* Internal: phoneboot's Kerberos client, as a domain member signs in
 * (MIT krb5; docs/kerberos.md).
 *
 *  - krb_context_new(): a krb5 context that never reads the host's
 *    krb5.conf (an in-memory profile: the realm, no DNS lookups of its own,
 *    kdc_timesync = 0 so that a skew is reported, not corrected) whose
 *    clock is the device's;
 *  - krb_cause_of(): what a Kerberos error means for the report;
 *  - krb_login (login.c): the KDC found by SRV through the device's DNS
 *    servers, the AS exchange (the user's password) and the TGS exchange
 *    (the registrar's service principal), every message carried by
 *    lib/krb/kdc.c on the loop, the tickets in a private MEMORY ccache. */
#ifndef PB_KRB_H
#define PB_KRB_H

#include <stddef.h>
#include <time.h>

#include <krb5/krb5.h>

#include "phoneboot/codes.h"

struct step_run;

/* A context for realm whose clock reads `now` at this moment. 0, or a
 * krb5 error code (ENOMEM). */
krb5_error_code krb_context_new(const char *realm, time_t now, krb5_context *out);

/* The cause of a failed exchange: tgs is 1 for the service ticket's
 * exchange (there an unknown server principal is the missing SPN). */
enum pb_cause krb_cause_of(krb5_error_code code, int tgs);

/* The realm of a DNS domain, as a domain member derives it (upper case);
 * 0, or -1 when it does not fit. */
int krb_realm_of(const char *domain, char *out, size_t len);

/* What a KRB-ERROR says, for the report: *code gets the krb5 error code
 * (ERROR_TABLE_BASE_krb5 + error-code), *stime the KDC's clock (0 when
 * absent), text its e-text (may be ""). 0, or -1 when msg is no KRB-ERROR. */
int krb_read_error(krb5_context ctx, const unsigned char *msg, size_t len,
		   krb5_error_code *code, time_t *stime, char *text, size_t textlen);

/* The name of a Kerberos message by its first byte ("AS-REP",
 * "KRB-ERROR"), "?" when unknown. */
const char *krb_msg_name(const unsigned char *msg, size_t len);

/* A GSS-API status as text (the major code's words, then the krb5
 * mechanism's for min), for the report. */
void krb_gss_text(unsigned maj, unsigned min, char *buf, size_t len);
/* The GSS-API side of the device's tickets: credentials from cc (never a
 * KDC of GSS-API's own) and service's name as a krb5 principal
 * ("sip/pool.corp.example@CORP.EXAMPLE"), into *cred and *target (void *:
 * gss_cred_id_t and gss_name_t, released by the caller). The major status;
 * *min the minor. */
unsigned krb_gss_creds(krb5_ccache cc, const char *service, void *cred, void *target,
		       unsigned *min);

/* ---- the sign-in (login.c) ---- */

struct krb_login;
/* Over: cause PB_CAUSE_NONE with the service ticket in the ccache, or a
 * cause and detail (borrowed for the call). Runs from the loop, once. */
typedef void krb_login_cb(struct krb_login *l, enum pb_cause cause, const char *detail,
			  void *arg);

/* Start signing in as user@REALM(domain) for service ("sip/pool.corp.example")
 * on r's loop, DNS and clock, with r's timeout for every wait. The
 * password is read now (krb5 keeps its own copy until the login is
 * freed). 0; or -1 with detail (phoneboot's own failure: out of memory,
 * a name krb5 refuses): the callback never runs. */
int krb_login_start(struct step_run *r, const char *user, const char *domain,
		    const char *password, const char *service, krb_login_cb *cb, void *arg,
		    struct krb_login **out, char *detail, size_t len);
/* Another service ticket with the TGT l holds (a signed-in login: its
 * callback ran with PB_CAUSE_NONE): the TGS exchange only, with the KDC
 * that answered, on r (another step's run: l is the device's now). 0:
 * under way, the callback as krb_login_start's; 1: over at once, *cause
 * and detail say how (the callback never runs; PB_CAUSE_NONE: the ticket
 * is in the ccache now); -1: phoneboot's own failure or no TGT, detail
 * says why; -2: phoneboot's own failure that already ended r's step. */
int krb_login_ticket(struct krb_login *l, struct step_run *r, const char *service,
		     krb_login_cb *cb, void *arg, enum pb_cause *cause, char *detail,
		     size_t len);
/* Whether l holds a TGT (its AS exchange succeeded). */
int krb_login_has_tgt(const struct krb_login *l);
/* Stop what is under way (no callback after this); l stays usable for
 * krb_login_ticket. NULL is fine. */
void krb_login_cancel(struct krb_login *l);
/* Cancel what is under way (no callback after this) and destroy the
 * ccache and context. NULL is fine. */
void krb_login_free(struct krb_login *l);
/* Borrowed, valid until krb_login_free. */
krb5_context krb_login_context(const struct krb_login *l);
krb5_ccache krb_login_ccache(const struct krb_login *l);
/* The client and service principals as text ("alice@CORP.EXAMPLE"). */
const char *krb_login_client(const struct krb_login *l);
const char *krb_login_service(const struct krb_login *l);

#endif
