/* SIP response parser, Digest challenges and answers (RFC 7616 and RFC
 * 2617 known-answer vectors), SRV ordering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dns/dns.h"
#include "sip/sip.h"

static const char r401[] =
	"SIP/2.0 401 Unauthorized\r\n"
	"Via: SIP/2.0/TLS 127.0.0.1:40000;branch=z9hG4bKx;rport=40000\r\n"
	"From: <sip:alice@corp.example>;tag=1\r\n"
	"To: <sip:alice@corp.example>;tag=2\r\n"
	"Call-ID: abc@host\r\n"
	"CSeq: 1 REGISTER\r\n"
	"WWW-Authenticate: Digest realm=\"corp.example\", nonce=\"n\\\"once\", qop=\"auth,auth-int\", algorithm=SHA-256, stale=TRUE, opaque=\"op\"\r\n"
	"Server: kamailio-lab\r\n"
	"l: 0\r\n\r\n";

static void response_401(void **st)
{
	struct sip_response m;
	char err[128];

	(void)st;
	assert_int_equal(sip_parse_response(r401, strlen(r401), &m, err, sizeof(err)), 1);
	assert_int_equal(m.code, 401);
	assert_string_equal(m.reason, "Unauthorized");
	assert_string_equal(m.call_id, "abc@host");
	assert_int_equal(m.cseq, 1);
	assert_string_equal(m.cseq_method, "REGISTER");
	assert_int_equal(m.n_ch, 1);
	assert_string_equal(m.ch[0].scheme, "Digest");
	assert_string_equal(m.ch[0].realm, "corp.example");
	assert_string_equal(m.ch[0].nonce, "n\"once");     /* escapes removed */
	assert_string_equal(m.ch[0].algorithm, "SHA-256");
	assert_true(m.ch[0].qop_auth);
	assert_true(m.ch[0].stale);
	assert_string_equal(m.ch[0].opaque, "op");
	assert_string_equal(m.server, "kamailio-lab");
	assert_int_equal(m.len, strlen(r401));
}

static void framing(void **st)
{
	static const char two[] =
		"SIP/2.0 100 Trying\r\nCSeq: 2 REGISTER\r\nCall-ID: x\r\nContent-Length: 3\r\n\r\nabc"
		"SIP/2.0 200 OK\r\nCSeq: 2 REGISTER\r\nCall-ID: x\r\n"
		"Contact: <sip:alice@127.0.0.1:4000;transport=tls>;expires=600\r\nContent-Length: 0\r\n\r\n";
	struct sip_response m;
	char err[128];
	size_t first;

	(void)st;
	/* every prefix is "need more", never an error */
	for (first = 0; first < 40; first++)
		assert_int_equal(sip_parse_response(two, first, &m, err, sizeof(err)), 0);
	assert_int_equal(sip_parse_response(two, sizeof(two) - 1, &m, err, sizeof(err)), 1);
	assert_int_equal(m.code, 100);
	first = m.len;
	assert_int_equal(sip_parse_response(two + first, sizeof(two) - 1 - first, &m, err,
					    sizeof(err)), 1);
	assert_int_equal(m.code, 200);
	assert_string_equal(m.contact, "sip:alice@127.0.0.1:4000;transport=tls");
	assert_int_equal(m.contact_expires, 600);
}

static void malformed(void **st)
{
	static const char *const bad[] = {
		"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
		"SIP/2.0 20 OK\r\nContent-Length: 0\r\n\r\n",
		"SIP/2.0 200 OK\r\nCSeq: x REGISTER\r\nContent-Length: 0\r\n\r\n",
		"SIP/2.0 200 OK\r\nCall-ID: x\r\n\r\n",                   /* no Content-Length */
		"SIP/2.0 200 OK\r\nContent-Length: 99999999\r\n\r\n",
		"SIP/2.0 200 OK\r\nno colon here\r\nContent-Length: 0\r\n\r\n",
		"SIP/2.0 200 OK\r\nVia: a\r\n b\r\nContent-Length: 0\r\n\r\n",
	};
	struct sip_response m;
	char err[128];
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (sip_parse_response(bad[i], strlen(bad[i]), &m, err, sizeof(err)) != -1)
			fail_msg("case %zu accepted", i);
		assert_true(err[0] != '\0');
	}
}

static void challenges(void **st)
{
	struct sip_challenge c;

	(void)st;
	assert_int_equal(sip_parse_challenge("Digest realm=\"r\",nonce=\"n\"", 26, &c), 0);
	assert_string_equal(c.algorithm, "MD5");         /* the default (RFC 7616 3.3) */
	assert_false(c.qop_auth);
	assert_int_equal(sip_parse_challenge("NTLM", 4, &c), 0);
	assert_string_equal(c.scheme, "NTLM");
	assert_int_equal(sip_parse_challenge("Digest realm=\"r", 15, &c), -1);
	assert_int_equal(sip_parse_challenge("Digest realm", 12, &c), -1);
	assert_int_equal(sip_parse_challenge("", 0, &c), -1);
}

/* RFC 7616 3.9.1 and RFC 2617 3.5: the published responses */
static void digest_vectors(void **st)
{
	struct sip_challenge c;
	char out[1024];

	(void)st;
	memset(&c, 0, sizeof(c));
	snprintf(c.realm, sizeof(c.realm), "http-auth@example.org");
	snprintf(c.nonce, sizeof(c.nonce), "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v");
	snprintf(c.opaque, sizeof(c.opaque), "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS");
	c.qop_auth = 1;
	snprintf(c.algorithm, sizeof(c.algorithm), "MD5");
	assert_int_equal(sip_digest_answer(&c, "Mufasa", "Circle of Life", "GET",
		"/dir/index.html", 1, "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
		out, sizeof(out)), 0);
	assert_non_null(strstr(out, "response=\"8ca523f5e9506fed4657c9700eebdbec\""));
	assert_non_null(strstr(out, "nc=00000001"));
	assert_non_null(strstr(out, "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\""));
	snprintf(c.algorithm, sizeof(c.algorithm), "SHA-256");
	assert_int_equal(sip_digest_answer(&c, "Mufasa", "Circle of Life", "GET",
		"/dir/index.html", 1, "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
		out, sizeof(out)), 0);
	assert_non_null(strstr(out,
		"response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\""));
	memset(&c, 0, sizeof(c));
	snprintf(c.realm, sizeof(c.realm), "testrealm@host.com");
	snprintf(c.nonce, sizeof(c.nonce), "dcd98b7102dd2f0e8b11d0f600bfb0c093");
	snprintf(c.algorithm, sizeof(c.algorithm), "MD5");
	c.qop_auth = 1;
	assert_int_equal(sip_digest_answer(&c, "Mufasa", "Circle Of Life", "GET",
		"/dir/index.html", 1, "0a4f113b", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "response=\"6629fae49393a05397450978507c4ef1\""));
	snprintf(c.algorithm, sizeof(c.algorithm), "SHA-512-256");
	assert_int_equal(sip_digest_answer(&c, "u", "p", "GET", "/", 1, "c", out, sizeof(out)), -1);
}

static unsigned fixed_rnd(void) { return 0; }

static void srv_order(void **st)
{
	struct dns_srv s[4] = {
		{ "c", 1, 20, 0 }, { "a", 2, 10, 5 }, { "z", 3, 10, 0 }, { "b", 4, 30, 1 },
	};

	(void)st;
	dns_srv_order(s, 4, fixed_rnd);
	/* priority first; within priority 10 the zero weight comes first */
	assert_int_equal(s[0].priority, 10);
	assert_int_equal(s[1].priority, 10);
	assert_string_equal(s[0].target, "z");
	assert_string_equal(s[2].target, "c");
	assert_string_equal(s[3].target, "b");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(response_401),
		cmocka_unit_test(framing),
		cmocka_unit_test(malformed),
		cmocka_unit_test(challenges),
		cmocka_unit_test(digest_vectors),
		cmocka_unit_test(srv_order),
	};
	return cmocka_run_group_tests_name("sip", tests, NULL, NULL);
}
