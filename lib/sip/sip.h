/* Internal: SIP messages as the phone needs them. A strict parser of
 * responses (RFC 3261 section 7, 20) and of Digest challenges (RFC 7616
 * 3.3 / RFC 3261 22.4), through the bounded reader; fuzzed
 * (tests/fuzz/fuzz_sip.c). */
#ifndef PB_SIP_H
#define PB_SIP_H

#include <stddef.h>

#include <stdint.h>

#define SIP_MAX_CHALLENGES 4
#define SIP_MAX_PARAMS 16

/* A challenge (WWW-/Proxy-Authenticate) or an Authentication-Info value:
 * a scheme and its parameters, whatever the scheme (Digest, NTLM,
 * Kerberos, TLS-DSK). Quoted values are stored unescaped; a bare token68
 * is the parameter "". The mechanisms (lib/auth/) read what they need. */
struct sip_challenge {
	char scheme[24];             /* as sent; "" for Authentication-Info */
	int proxy;                   /* from Proxy-Authenticate (407) */
	size_t n, used;
	struct { uint16_t name, value; } p[SIP_MAX_PARAMS];   /* offsets in store */
	/* TLS-DSK's gssapi-data carries the registrar's whole certificate
	 * chain (a few KiB in base64); a response is malloc'd while it is
	 * read (lib/engine/sip_out.c), so five of these cost nothing kept */
	char store[12288];
};

struct sip_response {
	int code;
	char reason[96];
	char call_id[160];
	unsigned long cseq;
	char cseq_method[24];
	struct sip_challenge ch[SIP_MAX_CHALLENGES];
	size_t n_ch;
	size_t n_ch_bad;             /* challenges that could not be read (malformed,
				      * or a parameter over the store) */
	struct sip_challenge auth_info;      /* Authentication-Info, when has_auth_info */
	int has_auth_info;
	char contact[256];           /* first Contact URI (inside <> when bracketed) */
	long contact_expires;        /* ;expires= of the first Contact, or -1 */
	long expires;                /* Expires header, or -1 */
	char expires_s[24];          /* the Expires header as sent, or "" */
	char from_uri[256], from_tag[64];
	char to_uri[256], to_tag[64];
	char pai_sip[256], pai_tel[64];      /* P-Asserted-Identity */
	char warning[512];           /* the first Warning and the first
				      * ms-diagnostics, "; " between */
	char server[96];
	size_t len;                  /* bytes of this message, body included */
};

/* 1: a whole response parsed (out->len bytes); 0: need more bytes;
 * -1: malformed (why in err). */
int sip_parse_response(const char *buf, size_t len, struct sip_response *out,
		       char *err, size_t errlen);
/* Parse one challenge header value ("Digest realm=...", "NTLM
 * realm=..., targetname=...") or an Authentication-Info value; 0 or -1. */
int sip_parse_challenge(const char *value, size_t len, struct sip_challenge *out);
/* The same for the first challenge of a value that may hold several,
 * comma-joined (RFC 7235 4.1): *used is where the next one starts. */
int sip_parse_challenge_at(const char *value, size_t len, struct sip_challenge *out,
			   size_t *used);
/* A parameter's value (name case-insensitive; borrowed), or NULL. */
const char *sip_param(const struct sip_challenge *c, const char *name);
/* The i-th parameter: returns the count (0 when i is past the end). */
size_t sip_params(const struct sip_challenge *c, size_t i, const char **name,
		  const char **value);
/* A challenge kept while a step waits: a malloc'd copy of its scheme,
 * parameter table and the bytes of the store it uses (a few hundred bytes
 * for an NTLM or Kerberos challenge, not the whole store), or NULL when
 * out of memory; sip_challenge_unkeep fills a whole challenge from it. */
struct sip_kept;
struct sip_kept *sip_challenge_keep(const struct sip_challenge *c);
void sip_challenge_unkeep(const struct sip_kept *k, struct sip_challenge *out);
size_t sip_kept_size(const struct sip_kept *k);

#endif
