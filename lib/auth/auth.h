/* Internal: SIP authentication mechanisms, one file each, behind one small
 * table of operations (STYLE.md 8). The authenticate step knows schemes,
 * not their formulas: Digest (RFC 7616) lives in digest.c; NTLM and
 * Kerberos per [MS-SIPAE] plug in beside it. Each mechanism keeps its own
 * multi-round state (state_size bytes, zeroed before the first round). */
#ifndef PB_AUTH_H
#define PB_AUTH_H

#include <stddef.h>

#include "phoneboot/codes.h"
#include "sip/sip.h"

struct ntlm_crypto;

/* What a mechanism may read to answer: the identity and the request it
 * signs. Borrowed for the call. */
struct auth_in {
	const char *user, *domain, *password;
	const char *method, *uri;           /* the Request-URI */
	const char *call_id;
	unsigned cseq;
	const char *from_uri, *from_tag, *to_uri, *to_tag;
	const char *expires;
	struct ntlm_crypto *ntlm_crypto;    /* NTLM's algorithms, shared by an
					     * engine's boots; NULL: its own */
};

struct auth_err {
	enum pb_cause cause;
	char detail[256];
};

enum auth_status {
	AUTH_ANSWER = 0,    /* out holds the Authorization value */
	AUTH_REFUSED = 1,   /* the challenge refuses the credentials sent */
	AUTH_FAIL = 2,      /* cannot answer: e says why, with a network cause */
	AUTH_INTERNAL = 3,  /* phoneboot's own failure (out of memory): e->detail */
};

struct auth_mech {
	const char *scheme;                 /* as a challenge names it */
	unsigned bit;                       /* enum pb_auth */
	size_t state_size;
	/* Answer challenge ch (this mechanism's scheme). *credentials is set
	 * when the answer proves the password, so that a refusal after it
	 * is the credentials' fault. */
	enum auth_status (*answer)(void *st, const struct auth_in *in,
				   const struct sip_challenge *ch, char *out, size_t outlen,
				   int *credentials, struct auth_err *e);
	/* The registrar's final answer: check its proof of itself
	 * (Authentication-Info), 0 or -1 with e. NULL: nothing to check. */
	int (*verify)(void *st, const struct auth_in *in, const struct sip_response *m,
		      struct auth_err *e);
	/* The challenge in a few words, for the report (no secret). */
	void (*describe)(const struct sip_challenge *ch, char *buf, size_t len);
	/* Wipe secrets from the state. */
	void (*clear)(void *st);
};

extern const struct auth_mech auth_digest;
extern const struct auth_mech auth_ntlm;

/* Digest's Authorization value answering ch (RFC 7616 3.4; qop=auth when
 * offered). 0, or -1 for an algorithm we cannot compute or an answer that
 * does not fit. */
int digest_response(const struct sip_challenge *ch, const char *user,
		    const char *password, const char *method, const char *uri,
		    unsigned nc, const char *cnonce, char *out, size_t outlen);

/* The enum pb_auth bit of a scheme name (case-insensitive), or 0. */
unsigned auth_scheme_bit(const char *scheme);
/* The mechanism for one enum pb_auth bit, or NULL when phoneboot does not
 * speak it yet. */
const struct auth_mech *auth_mech_of(unsigned bit);
/* The order a device prefers schemes in, strongest first (enum pb_auth
 * bits, zero-terminated). */
extern const unsigned auth_preference[];

#endif
