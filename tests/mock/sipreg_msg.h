/* The mock registrar's own reading of SIP requests and Digest answers,
 * and its Digest arithmetic (sipreg_digest_md5, declared in sipreg.h).
 * Not lib/sip's or lib/core/rd.h's code: the mock must not share a bug
 * with the client it tests. Internal to tests/mock/sipreg.c. */
#ifndef PB_MOCK_SIPREG_MSG_H
#define PB_MOCK_SIPREG_MSG_H

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define SIPREG_MAX_VIA 8

/* A span of the input; nothing is copied. */
struct sv {
	const char *p;
	size_t len;
};

static inline int sv_eq(struct sv s, const char *lit)
{
	return s.len == strlen(lit) && !memcmp(s.p, lit, s.len);
}

/* Index of needle in s (case-insensitive), or -1. */
static inline long sv_ifind(struct sv s, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; n && i + n <= s.len; i++)
		if (!strncasecmp(s.p + i, needle, n))
			return (long)i;
	return -1;
}

static inline void sv_copy(char *dst, size_t cap, struct sv s)
{
	snprintf(dst, cap, "%.*s", (int)s.len, s.p);
}

/* A request as the responses need it (RFC 3261 8.2.6.2); spans into the
 * buffer given to sipreg_parse_request. */
struct sipreg_req {
	struct sv method, uri;
	struct sv via[SIPREG_MAX_VIA];
	size_t n_via;
	struct sv from, to, call_id, cseq, contact, auth;
	size_t len;                 /* the whole message, body included */
};

/* 1: a whole request in buf[0..r->len); 0: need more; -1: malformed or
 * too long (the connection cannot be framed any more). r holds what was
 * read either way. */
int sipreg_parse_request(const char *buf, size_t len, struct sipreg_req *r);
/* 1 if r carries what a response needs (RFC 3261 8.1.1) and its CSeq
 * method is its own (8.1.1.5), else 0. */
int sipreg_request_complete(const struct sipreg_req *r);

/* The parameters of a Digest answer (RFC 7616 3.4), unquoted. */
struct sipreg_dauth {
	char username[128], realm[128], nonce[128], uri[256], response[64];
	char algorithm[32], cnonce[128], qop[32], nc[16];
};

/* Parse "Digest k=v, k="v", ..." into a. 0, or -1 if malformed, not
 * Digest, a value too long or a parameter twice. */
int sipreg_parse_digest(struct sv v, struct sipreg_dauth *a);

#endif
