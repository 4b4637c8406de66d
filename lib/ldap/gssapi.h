/* Internal: the SASL GSSAPI bind of the directory step (RFC 4752) with the
 * boot's Kerberos credentials (a MEMORY ccache, lib/krb/), as a domain
 * member binds: the AP-REQ for ldap/<DC FQDN>, the server's AP-REP, then
 * the security-layer negotiation: integrity (signed) where the server
 * offers it — Samba's AD asks for it even inside TLS ("Sign or Seal are
 * required") — else none. With integrity every later LDAP message is a
 * gss_wrap token (a Sockbuf layer, dir_gssapi_install). dir.c binds with
 * Kerberos on the plain port (AD refuses a signed layer inside TLS), the
 * same way as lib/ldap/sasl.c's GSS-SPNEGO (NTLM); nothing here waits. */
#ifndef PB_LDAP_GSSAPI_H
#define PB_LDAP_GSSAPI_H

#include <stddef.h>

#include <krb5/krb5.h>
#include <ldap.h>

struct dir_gssapi;

/* For ccache (borrowed: it must outlive the bind) and the service
 * principal ("ldap/dc01.corp.example@CORP.EXAMPLE"). NULL when out of
 * memory or the credentials cannot be imported (why in err). */
struct dir_gssapi *dir_gssapi_new(krb5_ccache cc, const char *service, char *err, size_t len);
void dir_gssapi_free(struct dir_gssapi *g);

/* One step, as lib/ldap/sasl.h's: in is the server's credentials of the
 * last BindResponse (NULL for the first step, which starts a new context).
 * 1: *out holds the next BindRequest's credentials (valid until the next
 * call); 0: bound (the security layer chosen and taken), nothing to send;
 * -1: err says why. */
int dir_gssapi_step(struct dir_gssapi *g, const struct berval *in, struct berval *out,
		    char *err, size_t len);
/* After the bind: "signed (SASL integrity layer)" or "no SASL layer". */
const char *dir_gssapi_protection(const struct dir_gssapi *g);

/* The largest wrapped message accepted (RFC 4752 3.3's maximum size). */
#define DIR_SASL_MAX (1u << 20)
/* A SASL security-layer message so far (RFC 4422 3.7: a 4-byte length,
 * then that many bytes): 1 when whole (*msglen bytes after the prefix), 0
 * when more are needed, -1 when the length is 0 or past DIR_SASL_MAX. The
 * only parser of the layer; gss_unwrap reads the token itself. Tested in
 * tests/unit/test_krb.c, fuzzed by tests/fuzz/fuzz_kdc.c. */
int dir_sasl_frame(const unsigned char *buf, size_t len, size_t *msglen);

/* Once bound: the chosen layer under libldap's Sockbuf (integrity; none:
 * nothing to push). 0, or -1 when it cannot be pushed. g must outlive the
 * LDAP handle (dir.c frees it after the unbind). */
int dir_gssapi_install(struct dir_gssapi *g, LDAP *ld);

#endif
