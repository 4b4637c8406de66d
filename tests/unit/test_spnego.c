/* SPNEGO tokens of the LDAP GSS-SPNEGO bind (lib/ldap/spnego.c): what a
 * Windows client sends, built byte for byte, and the server's answers
 * parsed, the one a Samba AD DC sent included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ldap/spnego.h"

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = 0;

	for (; h[0] && h[1]; h += 2) {
		unsigned v;

		sscanf(h, "%2x", &v);
		out[n++] = (uint8_t)v;
	}
	return n;
}

/* the NEGOTIATE_MESSAGE offered in a NegTokenInit ([MS-SPNG] 4.1 shape) */
static void init_token(void **st)
{
	static const uint8_t neg[] = "NTLMSSP\0\1\0\0\0";
	uint8_t out[256], want[256];
	size_t n = 0, wn;

	(void)st;
	assert_int_equal(spnego_init_token(neg, 12, out, sizeof(out), &n), 0);
	wn = unhex("602c06062b0601050502a0223020a00e300c060a2b06010401823702020a"
		   "a20e040c4e544c4d5353500001000000", want);
	assert_int_equal(n, wn);
	assert_memory_equal(out, want, wn);
	/* too small: refused, never truncated */
	assert_int_equal(spnego_init_token(neg, 12, out, 20, &n), -1);
}

/* HTTP Negotiate's first token: Kerberos V5 alone in mechTypes, the
 * AP-REQ's GSS token as mechToken (RFC 4178 4.2.1, RFC 4559 4.2); and
 * the server's accept-completed answer naming Kerberos (an AP-REP) */
static void init_token_krb5(void **st)
{
	static const uint8_t apreq[] = { 0x60, 0x03, 0x06, 0x01, 0x00 };
	uint8_t out[256], want[256];
	size_t n = 0, wn;
	struct spnego_answer a;

	(void)st;
	assert_int_equal(spnego_init_token_krb5(apreq, sizeof(apreq), out, sizeof(out), &n), 0);
	/* the mechToken is an OCTET STRING of the five bytes */
	wn = unhex("60240606" "2b0601050502" "a01a3018" "a00d300b06092a864886f712010202"
		   "a2070405" "6003060100", want);
	assert_int_equal(n, wn);
	assert_memory_equal(out, want, wn);
	assert_int_equal(spnego_init_token_krb5(apreq, sizeof(apreq), out, 20, &n), -1);
	/* { accept-completed, supportedMech krb5, responseToken } */
	wn = unhex("a1233021" "a0030a0100" "a10b06092a864886f712010202" "a20d040b"
		   "6f0930070a0100a1020400", want);
	assert_int_equal(spnego_parse(want, wn, &a), 0);
	assert_int_equal(a.state, SPNEGO_ACCEPT_COMPLETED);
	assert_true(a.krb5);
	assert_false(a.ntlm);
	assert_int_equal(a.token_len, 11);
}

static void resp_token(void **st)
{
	static const uint8_t auth[4] = { 1, 2, 3, 4 }, mic[3] = { 9, 8, 7 };
	uint8_t out[64], want[64];
	size_t n = 0, wn;

	(void)st;
	assert_int_equal(spnego_resp_token(auth, 4, mic, 3, out, sizeof(out), &n), 0);
	wn = unhex("a111300fa206040401020304a3050403090807", want);
	assert_int_equal(n, wn);
	assert_memory_equal(out, want, n);
	assert_int_equal(spnego_resp_token(auth, 4, NULL, 0, out, sizeof(out), &n), 0);
	assert_int_equal(n, 12);
}

/* what Samba 4.17 answered to the NegTokenInit: accept-incomplete,
 * NTLMSSP, the CHALLENGE_MESSAGE (its first bytes here) */
static void parse_samba(void **st)
{
	uint8_t in[128];
	size_t n = unhex("a1243022a0030a0101a10c060a2b06010401823702020aa20d040b"
			 "4e544c4d53535000020000", in);
	struct spnego_answer a;

	(void)st;
	assert_int_equal(spnego_parse(in, n, &a), 0);
	assert_int_equal(a.state, SPNEGO_ACCEPT_INCOMPLETE);
	assert_true(a.ntlm);
	assert_int_equal(a.token_len, 11);
	assert_memory_equal(a.token, "NTLMSSP\0\2\0\0", 11);
	assert_null(a.mic);
	assert_false(a.raw);
}

static void parse_final_and_raw(void **st)
{
	uint8_t in[64];
	size_t n = unhex("a1153013a0030a0100a30c040a01000000000000000000", in);
	struct spnego_answer a;

	(void)st;
	assert_int_equal(spnego_parse(in, n, &a), 0);
	assert_int_equal(a.state, SPNEGO_ACCEPT_COMPLETED);
	assert_int_equal(a.mic_len, 10);
	assert_null(a.token);
	/* a bare NTLMSSP message: the server skipped SPNEGO */
	assert_int_equal(spnego_parse((const uint8_t *)"NTLMSSP\0\2\0\0\0", 12, &a), 0);
	assert_true(a.raw);
	assert_int_equal(a.token_len, 12);
}

static void parse_bad(void **st)
{
	static const char *const bad[] = {
		"",                             /* nothing */
		"a0023000",                     /* a NegTokenInit, not a response */
		"a1033001",                     /* length past the end */
		"a1053003a0010a",               /* truncated field */
		"a1083006a1020600a0020a00",     /* fields out of order */
		"a1073005a0030a0104",           /* negState 4 */
		"a1063004a4020400",             /* unknown field [4] */
		"a1043002a200",                 /* [2] without its OCTET STRING */
		"a180",                         /* indefinite length: not DER */
		"a1853000000000",               /* a 5-byte length */
		"a10330010000",                 /* trailing bytes */
	};
	struct spnego_answer a;
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t in[64];
		size_t n = unhex(bad[i], in);

		if (spnego_parse(in, n, &a) != -1)
			fail_msg("case %zu (%s) accepted", i, bad[i]);
	}
	/* a supportedMech other than NTLMSSP: parsed, and said so */
	{
		uint8_t in[64];
		size_t n = unhex("a1143012a0030a0101a10b06092a864886f712010202", in);

		assert_int_equal(spnego_parse(in, n, &a), 0);
		assert_false(a.ntlm);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(init_token),
		cmocka_unit_test(init_token_krb5),
		cmocka_unit_test(resp_token),
		cmocka_unit_test(parse_samba),
		cmocka_unit_test(parse_final_and_raw),
		cmocka_unit_test(parse_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
