/* The registrar's NTLM verifier: gss-ntlmssp's own GSS-API entry points,
 * reached through dlopen (MIT's mechglue refuses the acceptor's empty first
 * token that connectionless NTLM starts with: samba-ad-lab.md). Every
 * cryptographic decision is gss-ntlmssp's; passwords are checked by Samba's
 * winbind (or NTLM_USER_FILE when the lab runs without Samba). */
#ifndef LAB_GSSNTLM_H
#define LAB_GSSNTLM_H

#include <stddef.h>

struct ntlm_ctx;

/* Load the plugin (path NULL: Debian's). Returns 0 or -1 with err filled. */
int ntlm_load(const char *plugin, char *err, size_t errlen);

/* A new acceptor context and its CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2) for an
 * empty first token (connectionless mode). out gets the raw message. */
int ntlm_challenge(struct ntlm_ctx **cp, unsigned char *out, size_t cap, size_t *outlen,
		   char *err, size_t errlen);

/* Feed the AUTHENTICATE_MESSAGE. On success returns 0 and user gets the
 * authenticated name as gss-ntlmssp displays it (DOMAIN\user). On failure
 * returns -1 and err says what gss-ntlmssp said. */
int ntlm_accept(struct ntlm_ctx *c, const unsigned char *tok, size_t len,
		char *user, size_t userlen, char *err, size_t errlen);

/* MS-SIPAE: every signature uses NTLM sequence number 100, so each call
 * sets it first (GSS_NTLMSSP_SET_SEQ_NUM_OID). 16-byte signatures. */
int ntlm_verify(struct ntlm_ctx *c, const char *msg, size_t n, const unsigned char *sig, size_t siglen);
int ntlm_sign(struct ntlm_ctx *c, const char *msg, size_t n, unsigned char sig[16]);

void ntlm_free(struct ntlm_ctx *c);

/* Why the domain controller refused an AUTHENTICATE_MESSAGE: the NT status
 * name (e.g. NT_STATUS_ACCOUNT_DISABLED) winbind returns for the same
 * responses (gss-ntlmssp 1.2 collapses it into EACCES). challenge is the
 * server challenge of our CHALLENGE_MESSAGE. Returns 0 with name/text set,
 * -1 when winbind cannot say (no Samba, or the message is malformed). */
int ntlm_refusal_reason(const unsigned char *auth, size_t len, const unsigned char challenge[8],
			char *name, size_t namelen, char *text, size_t textlen);

#endif
