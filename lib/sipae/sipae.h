/* Internal: the [MS-SIPAE] framing of NTLM, Kerberos and TLS-DSK in SIP,
 * independent of the SIP parser: the Authorization values the client
 * sends, the string a message signature covers, base64 and hex. Decoding
 * goes through lib/core/rd.h spans; fuzzed by tests/fuzz/fuzz_sipae.c;
 * tests in tests/unit/test_sipae.c. */
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

/* Parsing: a challenge or an Authentication-Info value is parsed by
 * lib/sip (sip_parse_challenge_at: scheme and parameters, comma-joined
 * challenges split), one parser for every scheme; this module builds. */

/* The Authorization (or Proxy-Authorization) value the client sends
 * ([MS-SIPAE] 3.2 and the NTLM example of 4.1). Every string is sent quoted and must not
 * hold '"', '\\', CR or LF. */
struct sipae_authz {
	const char *scheme;        /* "NTLM" */
	const char *realm;         /* from the challenge */
	const char *targetname;    /* from the challenge */
	const char *opaque;        /* from the CHALLENGE-bearing 401; NULL before */
	const char *gssapi_data;   /* base64 token; "" on the first REGISTER;
				    * NULL in a later, signed request */
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
