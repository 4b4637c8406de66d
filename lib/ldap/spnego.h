/* Internal: the SPNEGO tokens (RFC 4178, [MS-SPNG]) of an LDAP SASL
 * GSS-SPNEGO bind with NTLM, as a Windows client sends them: a
 * NegTokenInit offering NTLMSSP with the NEGOTIATE_MESSAGE, then a
 * NegTokenResp with the AUTHENTICATE_MESSAGE and the mechListMIC; and the
 * server's NegTokenResp, parsed; and HTTP Negotiate's NegTokenInit with a
 * Kerberos AP-REQ (lib/http/negotiate.c). Pure functions on buffers: the
 * GSS-API side is the callers'. */
#ifndef PB_LDAP_SPNEGO_H
#define PB_LDAP_SPNEGO_H

#include <stddef.h>
#include <stdint.h>

/* NegState (RFC 4178 4.2.2); SPNEGO_STATE_NONE when absent. */
enum spnego_state {
	SPNEGO_ACCEPT_COMPLETED = 0,
	SPNEGO_ACCEPT_INCOMPLETE = 1,
	SPNEGO_REJECT = 2,
	SPNEGO_REQUEST_MIC = 3,
	SPNEGO_STATE_NONE = -1,
};

/* The server's answer. Pointers into the parsed buffer. */
struct spnego_answer {
	enum spnego_state state;
	int ntlm;                   /* supportedMech is NTLMSSP (or absent) */
	int krb5;                   /* supportedMech is Kerberos V5 */
	int has_mech;               /* supportedMech is present */
	const uint8_t *token;       /* responseToken, or NULL */
	size_t token_len;
	const uint8_t *mic;         /* mechListMIC, or NULL */
	size_t mic_len;
	int raw;                    /* the server answered a bare NTLMSSP message */
};

/* The DER of the mechTypes list offered (a SEQUENCE of one OID, NTLMSSP):
 * what the mechListMIC signs (RFC 4178 5). */
const uint8_t *spnego_mech_types(size_t *len);

/* The GSS InitialContextToken: SPNEGO's OID and a NegTokenInit with
 * mechTypes and mechToken. 0, or -1 when it does not fit cap. */
int spnego_init_token(const uint8_t *mech_token, size_t n, uint8_t *out, size_t cap,
		      size_t *outlen);
/* The DER of the mechTypes list HTTP Negotiate offers (Kerberos V5
 * alone): what a server's mechListMIC signs. */
const uint8_t *spnego_mech_types_krb5(size_t *len);
/* The same offering Kerberos V5 alone, mech_token its GSS token (an
 * AP-REQ): HTTP Negotiate's first token (RFC 4559 4.2). */
int spnego_init_token_krb5(const uint8_t *mech_token, size_t n, uint8_t *out, size_t cap,
			   size_t *outlen);
/* A NegTokenResp with responseToken and, when mic is not NULL,
 * mechListMIC. 0, or -1 when it does not fit cap. */
int spnego_resp_token(const uint8_t *token, size_t n, const uint8_t *mic, size_t mic_len,
		      uint8_t *out, size_t cap, size_t *outlen);
/* Parse the server's NegTokenResp (a bare NTLMSSP message is taken as its
 * token, raw set). 0, or -1 when it is not one. */
int spnego_parse(const uint8_t *in, size_t n, struct spnego_answer *a);

#endif
