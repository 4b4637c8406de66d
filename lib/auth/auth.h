/* Internal: SIP authentication mechanisms, one file each, behind one small
 * table of operations (STYLE.md 8). The authenticate step knows schemes,
 * not their formulas: Digest (RFC 7616) in digest.c, NTLM and Kerberos
 * per [MS-SIPAE] in ntlm.c and kerberos.c. Each mechanism keeps its own
 * multi-round state (state_size bytes, zeroed before the first round); one
 * that needs the network to answer (Kerberos: the KDC) answers
 * AUTH_PENDING and is resumed from the loop. */
#ifndef PB_AUTH_H
#define PB_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "phoneboot/codes.h"
#include "sip/sip.h"

struct ntlm_crypto;
struct pb_profile;

/* What a mechanism may read to answer: the identity and the request it
 * signs. Borrowed for the call. */
struct auth_in {
	const char *user, *domain, *password;
	const char *method, *uri;           /* the Request-URI */
	const char *call_id;
	unsigned cseq;
	const char *from_uri, *from_tag, *to_uri, *to_tag;
	const char *expires;
	/* the device's [MS-SIPAE] facts (profile [sipae]): the protocol
	 * version it speaks (0: any, up to 4) and its NTLM flags (0: the
	 * default of the mechanism) */
	unsigned sipae_version;
	unsigned ntlm_flags;
	/* A mechanism that needs the network to answer (Kerberos: the KDC)
	 * works on the step's run (its loop, DNS, clock, trace) and, when
	 * its answer is ready, calls resume(run) from the loop; the step
	 * then calls the mechanism's resume(). */
	struct step_run *run;
	void (*resume)(struct step_run *run);
	struct ntlm_crypto *ntlm_crypto;    /* NTLM's algorithms, shared by an
					     * engine's boots; NULL: its own */
	/* TLS-DSK: the client certificate a first sign-in provisioned (a PEM
	 * file with its private key; NULL: none), and the device's TLS
	 * limits for its handshake */
	const char *client_cert;
	const struct pb_profile *profile;
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
	AUTH_PENDING = 4,   /* the answer needs the network: in->resume comes later */
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
	/* After AUTH_PENDING, once in->resume ran: the answer, as answer()
	 * gives it (never AUTH_PENDING again). NULL: never pending. */
	enum auth_status (*resume)(void *st, const struct auth_in *in, char *out, size_t outlen,
				   int *credentials, struct auth_err *e);
	/* The registrar's final answer: check its proof of itself
	 * (Authentication-Info), 0 or -1 with e. NULL: nothing to check. */
	int (*verify)(void *st, const struct auth_in *in, const struct sip_response *m,
		      struct auth_err *e);
	/* A later request in the security association the answers set up
	 * ([MS-SIPAE] 3.1: every message after it is signed): its
	 * Authorization value in out (AUTH_ANSWER), or AUTH_FAIL /
	 * AUTH_INTERNAL with e. NULL: the mechanism keeps no association
	 * (Digest answers the registrar's next challenge afresh). */
	enum auth_status (*sign)(void *st, const struct auth_in *in, char *out, size_t outlen,
				 struct auth_err *e);
	/* The challenge in a few words, for the report (no secret). */
	void (*describe)(const struct sip_challenge *ch, char *buf, size_t len);
	/* Wipe secrets from the state. */
	void (*clear)(void *st);
};

extern const struct auth_mech auth_digest;
extern const struct auth_mech auth_ntlm;
extern const struct auth_mech auth_kerberos;
extern const struct auth_mech auth_tlsdsk;

/* ---- TLS-DSK's own (tlsdsk.c) ---- */
#define TLSDSK_BLOCK_LEN 128
#define TLSDSK_KEY_LEN 32
/* The signing keys in the EAP-TLS key block: the client's (bytes 64..95)
 * and the registrar's (96..127). */
void tlsdsk_keys(const uint8_t block[TLSDSK_BLOCK_LEN], uint8_t client[TLSDSK_KEY_LEN],
		 uint8_t server[TLSDSK_KEY_LEN]);
/* A signature: HMAC-SHA1 (HMAC-MD5 when md5) of str under key, in hex
 * (out: 2 * 20 + 1 at least). 0, or -1. */
int tlsdsk_mac(const uint8_t key[TLSDSK_KEY_LEN], int md5, const char *str, size_t len,
	       char *hex);
/* Whether file holds a PEM certificate and its private key: 0, or -1
 * with why in err. */
int tlsdsk_cert_check(const char *file, char *err, size_t errlen);

/* Digest's Authorization value answering ch (RFC 7616 3.4; qop=auth when
 * offered). 0, or -1 for an algorithm we cannot compute or an answer that
 * does not fit. */
int digest_response(const struct sip_challenge *ch, const char *user,
		    const char *password, const char *method, const char *uri,
		    unsigned nc, const char *cnonce, char *out, size_t outlen);

/* ---- what the [MS-SIPAE] mechanisms (NTLM, Kerberos) share ---- */

/* A challenge's parameter, "" when absent. */
const char *auth_param(const struct sip_challenge *ch, const char *name);
/* The protocol version answered: the lower of the registrar's (2 when it
 * names none: OCS 2007 sent none, [MS-SIPAE] 3.2.1) and the device's
 * (profile [sipae] version; 0: up to 4). */
unsigned auth_sipae_version(const struct sip_challenge *ch, unsigned device);
/* e says cause and detail. */
void auth_fail(struct auth_err *e, enum pb_cause c, const char *detail);
/* The signed string ([MS-SIPAE] 3.2.5.2) of the request in (crand rand,
 * cnum num), or of the registrar's response m (srand and snum from its
 * Authentication-Info), for scheme, realm and targetname. 0, or -1 when
 * it does not fit cap. */
int auth_request_string(const char *scheme, unsigned version, const char *rand, unsigned num,
			const char *realm, const char *targetname, const struct auth_in *in,
			char *str, size_t cap, size_t *len);
int auth_response_string(const char *scheme, unsigned version, const char *realm,
			 const char *targetname, const struct sip_response *m, char *str,
			 size_t cap, size_t *len);

/* What an [MS-SIPAE] mechanism keeps of its challenge and of the security
 * association it sets up: the parameters it answers with, and its own
 * running crand and cnum. */
struct auth_sa {
	const char *scheme;                 /* "NTLM", "Kerberos", "TLS-DSK" */
	unsigned version;                   /* answered (auth_sipae_version) */
	char realm[128], targetname[256], opaque[128];
	char crand[9];
	unsigned cnum;
};
/* A mechanism's signature over a signed string, in hex into hex (hexcap
 * bytes). 0, or -1 with why. */
typedef int auth_sig_fn(void *st, const char *str, size_t len, char *hex, size_t hexcap,
			char *why, size_t whylen);
/* From the association's first challenge: realm, targetname, the version
 * answered (the lower of the registrar's and device's). */
void auth_sa_start(struct auth_sa *sa, const char *scheme, const struct sip_challenge *ch,
		   unsigned device_version);
/* An Authorization in sa: opaque once the registrar named one,
 * gssapi_data when given (NULL: none; "" is sent empty), and with sig a
 * fresh crand, the next cnum and the signature of the request in. */
enum auth_status auth_sa_authz(struct auth_sa *sa, const struct auth_in *in,
			       const char *gssapi_data, auth_sig_fn *sig, void *st, char *out,
			       size_t outlen, struct auth_err *e);
/* The rspauth of the registrar's Authentication-Info in sa's scheme, and
 * its signed string into str; NULL with e (sip-signature-invalid) when
 * there is none or the string does not fit. */
const char *auth_sa_rspauth(const struct auth_sa *sa, const struct sip_response *m, char *str,
			    size_t cap, size_t *len, struct auth_err *e);

/* The enum pb_auth bit of a scheme name (case-insensitive), or 0. */
unsigned auth_scheme_bit(const char *scheme);
/* The mechanism for one enum pb_auth bit, or NULL when phoneboot does not
 * speak it yet. */
const struct auth_mech *auth_mech_of(unsigned bit);
/* The order a device prefers schemes in, strongest first (enum pb_auth
 * bits, zero-terminated). */
extern const unsigned auth_preference[];

#endif
