/* Internal: SIP messages as the phone needs them. A strict parser of
 * responses (RFC 3261 section 7, 20) and of Digest challenges (RFC 7616
 * 3.3 / RFC 3261 22.4), through the bounded reader; fuzzed
 * (tests/fuzz/fuzz_sip.c). */
#ifndef PB_SIP_H
#define PB_SIP_H

#include <stddef.h>

#define SIP_MAX_CHALLENGES 4

struct sip_challenge {
	char scheme[24];             /* "Digest", "NTLM", ... as sent */
	char realm[128];
	char nonce[256];
	char opaque[256];
	char algorithm[24];          /* "MD5" when absent (RFC 7616 3.3) */
	int qop_auth;                /* "auth" offered */
	int qop_present;
	int stale;
	int proxy;                   /* from Proxy-Authenticate (407) */
};

struct sip_response {
	int code;
	char reason[96];
	char call_id[160];
	unsigned long cseq;
	char cseq_method[24];
	struct sip_challenge ch[SIP_MAX_CHALLENGES];
	size_t n_ch;
	char contact[256];           /* first Contact URI (inside <> when bracketed) */
	long contact_expires;        /* ;expires= of the first Contact, or -1 */
	long expires;                /* Expires header, or -1 */
	char server[96];
	size_t len;                  /* bytes of this message, body included */
};

/* 1: a whole response parsed (out->len bytes); 0: need more bytes;
 * -1: malformed (why in err). */
int sip_parse_response(const char *buf, size_t len, struct sip_response *out,
		       char *err, size_t errlen);
/* Parse one challenge header value ("Digest realm=..."); 0 or -1. */
int sip_parse_challenge(const char *value, size_t len, struct sip_challenge *out);

/* The Authorization value answering ch (RFC 7616 3.4; qop=auth when
 * offered). 0, or -1 for an algorithm we cannot compute. */
int sip_digest_answer(const struct sip_challenge *ch, const char *user,
		      const char *password, const char *method, const char *uri,
		      unsigned nc, const char *cnonce, char *out, size_t outlen);

#endif
