/* The registrar's Kerberos verifier: MIT GSS-API (libgssapi_krb5), the
 * krb5 mechanism named explicitly (gss_mech_krb5, 1.2.840.113554.1.2.2),
 * an acceptor credential from the lab's own keytab (samba-tool domain
 * exportkeytab --principal=sip/pool.corp.example; never the host's
 * /etc/krb5.keytab). Every cryptographic decision is MIT's: the AP-REQ,
 * its ticket, the authenticator's clock skew, replays, and the MICs that
 * sign MS-SIPAE messages ([MS-SIPAE] 3.2.5.2, 3.3.5.3). */
#ifndef LAB_GSSKRB_H
#define LAB_GSSKRB_H

#include <stddef.h>

struct krb_ctx;

/* The acceptor credential from keytab (a FILE: path). Returns 0, or -1
 * with err filled (what MIT said). */
int krb_load(const char *keytab, char *err, size_t errlen);
int krb_loaded(void);

/* Accept an AP-REQ (the GSS initial context token of gssapi-data). On
 * success returns 0 with *cp a complete context, user the client principal
 * (alice@CORP.EXAMPLE), out the AP-REP when the client asked for mutual
 * authentication (*outlen 0 when it did not). On failure returns -1 and
 * err says what MIT said (e.g. "Clock skew too great"). */
int krb_accept(struct krb_ctx **cp, const unsigned char *tok, size_t len,
	       unsigned char *out, size_t cap, size_t *outlen,
	       char *user, size_t userlen, char *err, size_t errlen);

/* gss_verify_mic / gss_get_mic over an MS-SIPAE signed string. */
int krb_verify(struct krb_ctx *c, const char *msg, size_t n, const unsigned char *sig, size_t siglen);
int krb_sign(struct krb_ctx *c, const char *msg, size_t n, unsigned char *sig, size_t cap, size_t *siglen);

void krb_free(struct krb_ctx *c);

#endif
