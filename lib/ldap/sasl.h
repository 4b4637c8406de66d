/* Internal: the SASL GSS-SPNEGO bind of a domain member that speaks NTLM
 * ([MS-ADTS] 5.1.1.1: AD's GSS-SPNEGO; RFC 4178 SPNEGO around NTLMSSP),
 * and the SASL security layer that seals every LDAP message after it
 * (RFC 4422 3.7: a 4-byte length, then the wrap token). NTLM is
 * phoneboot's own (lib/ntlm/), connection-oriented here; the password
 * never crosses the wire, and AD's LDAP signing requirement is met on the
 * plain port. */
#ifndef PB_LDAP_SASL_H
#define PB_LDAP_SASL_H

#include <stddef.h>
#include <stdint.h>

#include <ldap.h>

struct sasl_ntlm;

/* A bind as user (of domain; the directory's NetBIOS domain is used when
 * its CHALLENGE names one). host is the DC's name (unused by NTLM). The
 * password is copied, and wiped once the AUTHENTICATE_MESSAGE is made.
 * crypto (borrowed; NULL: the bind's own) holds NTLM's algorithms.
 * 0 and *out, or -1 with why in err. */
struct ntlm_crypto;
int sasl_ntlm_new(const char *user, const char *domain, const char *password,
		  const char *host, struct ntlm_crypto *crypto, struct sasl_ntlm **out,
		  char *err, size_t errlen);
void sasl_ntlm_free(struct sasl_ntlm *s);

/* One step. in: the server's credentials of the last BindResponse (NULL
 * for the first step). On 1, *out holds the next BindRequest's credentials
 * (valid until the next call); on 0 the context is complete (the server's
 * last token checked) and nothing is to be sent; -1: err says why. */
int sasl_ntlm_step(struct sasl_ntlm *s, const struct berval *in, struct berval *out,
		   char *err, size_t errlen);

/* After the bind: "signed and sealed" (sealing is required). */
const char *sasl_ntlm_protection(const struct sasl_ntlm *s);

/* Push the security layer under libldap: every later message is wrapped.
 * 0, or -1. The layer uses s, which must outlive the LDAP handle. */
int sasl_ntlm_install(struct sasl_ntlm *s, LDAP *ld);

/* The same layer pushed onto a Sockbuf of the caller's. 0, or -1. */
int sasl_ntlm_push(struct sasl_ntlm *s, Sockbuf *sb);

/* The security layer alone, around an NTLM context the caller completed
 * (taken: sasl_ntlm_free() frees it), with no bind: a test's way to drive
 * the layer. 0, or -1 (out of memory; ctx is still the caller's). */
struct ntlm_ctx;
int sasl_ntlm_layer(struct ntlm_ctx *ctx, struct sasl_ntlm **out);

#endif
