/* Internal: the [MS-SIPAE] framing of NTLM, Kerberos and TLS-DSK in SIP,
 * independent of the SIP parser: the parameters of a challenge
 * (WWW-/Proxy-Authenticate) or an Authentication-Info value, the
 * Authorization values the client sends, the string a message signature
 * covers, and base64. Parsing goes through lib/core/rd.h; fuzzed by
 * tests/fuzz/fuzz_sipae.c; tests in tests/unit/test_sipae.c. */
#ifndef PB_SIPAE_H
#define PB_SIPAE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rd.h"

enum sipae_err {
	SIPAE_OK = 0,
	SIPAE_ERR_MALFORMED = 1,   /* the value breaks the auth-param grammar */
	SIPAE_ERR_MISSING = 2,     /* a parameter the message must carry is absent */
	SIPAE_ERR_SPACE = 3,       /* the output does not fit */
	SIPAE_ERR_ARG = 4,         /* a missing or unusable argument */
};
#define SIPAE_ERR_LAST SIPAE_ERR_ARG
const char *sipae_strerror(enum sipae_err e);

#define SIPAE_MAX_PARAMS 24

/* One challenge or Authentication-Info value: the scheme and its
 * parameters, in order. Spans point into the parsed value (quotes
 * removed, backslash escapes kept: sipae_copy() removes them), which must
 * outlive the struct. */
struct sipae_auth {
	struct span scheme;               /* "NTLM", "Kerberos", "TLS-DSK", ... */
	size_t n;
	struct sipae_param {
		struct span name, value;
		bool quoted;
	} p[SIPAE_MAX_PARAMS];
	bool has_version;
	unsigned long version;            /* version= (2, 3 or 4; [MS-SIPAE] 4.1 shows 3) */
};

/* Parse one scheme and its comma-separated auth-params (RFC 3261 25.1
 * challenge/credentials grammar, as [MS-SIPAE] 2.2 uses it). If value
 * holds more than one challenge, parsing stops before the next scheme and
 * *used (if not NULL) says where it starts. A duplicate parameter, an
 * unterminated quote or a bad version is SIPAE_ERR_MALFORMED. */
enum sipae_err sipae_parse(const char *value, size_t len, struct sipae_auth *out,
			   size_t *used);
/* sipae_parse() for a WWW-Authenticate/Proxy-Authenticate value: realm
 * is required (with the scheme and targetname it names the security
 * association, [MS-SIPAE] 3.2.5.2; every challenge of 4.1 carries it). */
enum sipae_err sipae_parse_challenge(const char *value, size_t len, struct sipae_auth *out,
				     size_t *used);
/* sipae_parse() for an Authentication-Info/Proxy-Authentication-Info
 * value: rspauth, realm and targetname are required ([MS-SIPAE] 3.2.5.2
 * finds the security association by them). */
enum sipae_err sipae_parse_auth_info(const char *value, size_t len, struct sipae_auth *out);

/* The value of parameter name (ASCII case-insensitive), or false. */
bool sipae_get(const struct sipae_auth *a, const char *name, struct span *value);
/* Copy a span to a NUL-terminated string, removing backslash escapes.
 * SIPAE_ERR_SPACE when it does not fit (out then holds ""). */
enum sipae_err sipae_copy(struct span s, char *out, size_t cap);

/* The Authorization (or Proxy-Authorization) value the client sends
 * ([MS-SIPAE] 3.2 and the NTLM example of 4.1). Every string is sent quoted and must not
 * hold '"', '\\', CR or LF. */
struct sipae_authz {
	const char *scheme;        /* "NTLM" */
	const char *realm;         /* from the challenge */
	const char *targetname;    /* from the challenge */
	const char *opaque;        /* from the CHALLENGE-bearing 401; NULL before */
	const char *gssapi_data;   /* base64 token; "" on the first REGISTER */
	unsigned version;          /* the protocol version to send; 0 omits it */
	/* version >= 4: the signature of the request itself (the OC 2007 R2
	 * capture in pidgin-sipe's tests; tests/unit/test_sipae.c) */
	const char *crand, *cnum, *response;
};
/* Writes e.g. NTLM qop="auth", realm="...", opaque="...",
 * targetname="...", version=4, gssapi-data="...", crand="...", cnum="1",
 * response="..." (the parameter order of Office Communicator 2007 R2).
 * *outlen (optional) gets the length without the NUL. */
enum sipae_err sipae_authorization(const struct sipae_authz *a, char *out, size_t cap,
				   size_t *outlen);

/* The fields of a message that its signature covers, as they appear in
 * the message (same case, [MS-SIPAE] 3.2.5.2). NULL counts as empty. */
struct sipae_sig_fields {
	const char *scheme;        /* NTLM, Kerberos, TLS-DSK */
	const char *rand;          /* crand (client) or srand (server) */
	const char *num;           /* cnum or snum */
	const char *realm, *targetname;
	const char *call_id;
	const char *cseq_num, *cseq_method;
	const char *from_uri, *from_tag;
	const char *to_uri, *to_tag;
	const char *pai_sip_uri, *pai_tel_uri;   /* P-Asserted-Identity */
	const char *expires;
	const char *status;        /* response code, NULL in requests */
};
/* Each field in angle brackets, in the order of [MS-SIPAE] 3.2.5.2 for
 * version >= 3 (scheme, rand, num, realm, targetname, Call-ID, CSeq
 * number, CSeq method, From URI, From tag, To URI, To tag, PAI sip URI,
 * PAI tel URI, Expires, and the status code of a response) and of [MS-SIP]
 * 3.1.4.2 for version 2 (scheme, rand, num, realm, targetname, Call-ID,
 * CSeq number, CSeq method, From URL, From tag, To tag, Expires, status). */
enum sipae_err sipae_signed_string(unsigned version, const struct sipae_sig_fields *f,
				   char *out, size_t cap, size_t *outlen);

/* Base64 (RFC 4648 4, padded, no line breaks). encode: *outlen gets the
 * length without the NUL it writes. decode: whitespace is not accepted;
 * SIPAE_ERR_MALFORMED on any bad character or padding. */
enum sipae_err sipae_b64_encode(const uint8_t *in, size_t len, char *out, size_t cap,
				size_t *outlen);
enum sipae_err sipae_b64_decode(const char *in, size_t len, uint8_t *out, size_t cap,
				size_t *outlen);

/* Hex of a 16-byte signature, as response= and rspauth= carry it:
 * lower case for what we send (the OC 2007 R2 capture), either case
 * accepted on parse. */
void sipae_hex(const uint8_t *in, size_t len, char *out);      /* out: 2 * len + 1 */
enum sipae_err sipae_unhex(struct span s, uint8_t *out, size_t len);

#endif
