/* SIP response parser, Digest challenges and answers (RFC 7616 and RFC
 * 2617 known-answer vectors), SRV ordering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth/auth.h"
#include "ntlm/ntlm.h"
#include "sipae/sipae.h"
#include "dns/dns.h"
#include "phoneboot/profile.h"
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
	assert_string_equal(sip_param(&m.ch[0], "realm"), "corp.example");
	assert_string_equal(sip_param(&m.ch[0], "nonce"), "n\"once");     /* escapes removed */
	assert_string_equal(sip_param(&m.ch[0], "ALGORITHM"), "SHA-256");  /* any case */
	assert_string_equal(sip_param(&m.ch[0], "qop"), "auth,auth-int");
	assert_string_equal(sip_param(&m.ch[0], "stale"), "TRUE");
	assert_string_equal(sip_param(&m.ch[0], "opaque"), "op");
	assert_null(sip_param(&m.ch[0], "domain"));
	assert_false(m.has_auth_info);
	assert_string_equal(m.server, "kamailio-lab");
	assert_int_equal(m.len, strlen(r401));
}

/* A challenge whose parameter does not fit the store (a TLS-DSK flight
 * with a long chain) is not dropped unseen: n_ch_bad counts it, and the
 * challenges beside it are read. */
static void challenge_too_large(void **st)
{
	size_t big = sizeof(((struct sip_challenge *)0)->store) + 100, n;
	char *msg = malloc(big + 1024), *data = malloc(big + 1);
	struct sip_response *m = calloc(1, sizeof(*m));
	char err[128];

	(void)st;
	assert_non_null(msg);
	assert_non_null(data);
	assert_non_null(m);
	memset(data, 'A', big);
	data[big] = '\0';
	n = (size_t)snprintf(msg, big + 1024, "SIP/2.0 401 Unauthorized\r\n"
			     "Via: SIP/2.0/TLS 127.0.0.1:40000;branch=z9hG4bKx\r\n"
			     "From: <sip:alice@corp.example>;tag=1\r\nTo: <sip:alice@corp.example>;tag=2\r\n"
			     "Call-ID: abc@host\r\nCSeq: 2 REGISTER\r\n"
			     "WWW-Authenticate: TLS-DSK opaque=\"01\", gssapi-data=\"%s\", targetname=\"pool\"\r\n"
			     "WWW-Authenticate: NTLM realm=\"r\", targetname=\"pool\"\r\n"
			     "Content-Length: 0\r\n\r\n", data);
	assert_int_equal(sip_parse_response(msg, n, m, err, sizeof(err)), 1);
	assert_int_equal(m->n_ch, 1);
	assert_string_equal(m->ch[0].scheme, "NTLM");
	assert_int_equal(m->n_ch_bad, 1);
	free(m);
	free(data);
	free(msg);
}

/* What the registrar says of a refusal: the first ms-diagnostics and the
 * first Warning, both (OCS: the reason is in the Warning). */
static void refusal_headers_joined(void **st)
{
	static const char r[] =
		"SIP/2.0 401 Unauthorized\r\n"
		"ms-diagnostics: 1000;reason=\"Final handshake failed\"\r\n"
		"Warning: 399 pool.corp.example \"NT_STATUS_ACCOUNT_DISABLED\"\r\n"
		"Warning: 399 pool.corp.example \"second\"\r\n"
		"Content-Length: 0\r\n\r\n";
	struct sip_response m;
	char err[128];

	(void)st;
	assert_int_equal(sip_parse_response(r, strlen(r), &m, err, sizeof(err)), 1);
	assert_string_equal(m.warning, "1000;reason=\"Final handshake failed\"; 399 "
			    "pool.corp.example \"NT_STATUS_ACCOUNT_DISABLED\"");
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
	static const char ntlm[] = "NTLM realm=\"SIP Communications Service\", "
		"targetname=\"pool.corp.example\", version=4, opaque=\"2D6C2E4F\", "
		"gssapi-data=\"TlRMTVNTUAACAAAAAAAAADgAAAA=\"";
	static const char info[] = "nextnonce=\"abc\", qop=auth, rspauth=\"0123\"";
	struct sip_challenge c;
	const char *n, *v;

	(void)st;
	assert_int_equal(sip_parse_challenge("Digest realm=\"r\",nonce=\"n\"", 26, &c), 0);
	assert_null(sip_param(&c, "algorithm"));          /* MD5 by default: auth/digest.c */
	assert_int_equal(sip_parse_challenge("NTLM", 4, &c), 0);
	assert_string_equal(c.scheme, "NTLM");
	assert_int_equal(c.n, 0);
	/* a challenge is a scheme and its parameters, whatever the scheme */
	assert_int_equal(sip_parse_challenge(ntlm, strlen(ntlm), &c), 0);
	assert_string_equal(c.scheme, "NTLM");
	assert_int_equal(c.n, 5);
	assert_string_equal(sip_param(&c, "targetname"), "pool.corp.example");
	assert_string_equal(sip_param(&c, "version"), "4");
	assert_string_equal(sip_param(&c, "gssapi-data"), "TlRMTVNTUAACAAAAAAAAADgAAAA=");
	assert_int_equal(sip_params(&c, 0, &n, &v), 5);
	assert_string_equal(n, "realm");
	assert_string_equal(v, "SIP Communications Service");
	assert_int_equal(sip_params(&c, 5, &n, &v), 0);
	/* an unquoted token68 value keeps its padding */
	assert_int_equal(sip_parse_challenge("Kerberos gssapi-data=YII=, x=1", 30, &c), 0);
	assert_string_equal(sip_param(&c, "gssapi-data"), "YII=");
	/* Authentication-Info (RFC 7615) has no scheme */
	assert_int_equal(sip_parse_challenge(info, strlen(info), &c), 0);
	assert_string_equal(c.scheme, "");
	assert_string_equal(sip_param(&c, "rspauth"), "0123");
	assert_int_equal(sip_parse_challenge("Digest realm=\"r", 15, &c), -1);
	assert_int_equal(sip_parse_challenge("Digest realm", 12, &c), -1);
	assert_int_equal(sip_parse_challenge("NTLM abc", 8, &c), 0);     /* token68 */
	assert_string_equal(sip_param(&c, ""), "abc");
	assert_int_equal(sip_parse_challenge("", 0, &c), -1);
}

/* A challenge kept while Kerberos waits for the KDC: only the bytes it
 * uses, and the same parameters when it comes back. */
static void challenge_kept(void **st)
{
	static const char ntlm[] = "NTLM realm=\"SIP Communications Service\", "
		"targetname=\"pool.corp.example\", version=4, opaque=\"2D6C2E4F\"";
	struct sip_challenge c, *back = calloc(1, sizeof(*back));
	struct sip_kept *k;
	const char *n, *v;

	(void)st;
	assert_non_null(back);
	assert_int_equal(sip_parse_challenge(ntlm, strlen(ntlm), &c), 0);
	c.proxy = 1;
	assert_non_null(k = sip_challenge_keep(&c));
	assert_true(sip_kept_size(k) < 1024);
	assert_true(sip_kept_size(k) < sizeof(c) / 8);
	memset(back, 0xa5, sizeof(*back));
	sip_challenge_unkeep(k, back);
	free(k);
	assert_string_equal(back->scheme, "NTLM");
	assert_int_equal(back->proxy, 1);
	assert_int_equal(back->n, 4);
	assert_int_equal(back->used, c.used);
	assert_string_equal(sip_param(back, "targetname"), "pool.corp.example");
	assert_string_equal(sip_param(back, "opaque"), "2D6C2E4F");
	assert_int_equal(sip_params(back, 3, &n, &v), 4);
	assert_string_equal(n, "opaque");
	/* a challenge without parameters */
	assert_int_equal(sip_parse_challenge("Kerberos", 8, &c), 0);
	assert_non_null(k = sip_challenge_keep(&c));
	sip_challenge_unkeep(k, back);
	free(k);
	assert_string_equal(back->scheme, "Kerberos");
	assert_int_equal(back->n, 0);
	assert_null(sip_param(back, "realm"));
	free(back);
}

/* [MS-SIPAE] challenges through the one parser: 4.1's first 401, two
 * comma-joined challenges in one header (RFC 7235 4.1), the 200's
 * Authentication-Info of the OC 2007 R2 sign-in, and what breaks them. */
static void sipae_values(void **st)
{
	static const char joined[] =
		"SIP/2.0 401 Unauthorized\r\nCall-ID: x\r\nCSeq: 1 REGISTER\r\n"
		"WWW-Authenticate: NTLM realm=\"SIP Communications Service\", targetname=\"a\", "
		"version=3, Kerberos realm=\"SIP Communications Service\", "
		"targetname=\"sip/a\", version=3\r\n"
		"WWW-Authenticate: TLS-DSK realm=\"SIP Communications Service\", "
		"certificate-server=\"https://a/CertProv/CertProvisioningService.svc\"\r\n"
		"Content-Length: 0\r\n\r\n";
	static const char info[] = "NTLM rspauth=\"01000000E615438A917661BE64000000\", "
		"srand=\"9616454F\", snum=\"1\", opaque=\"2BDBAC9D\", qop=\"auth\", "
		"targetname=\"cosmo-ocs-r2.cosmo.local\", realm=\"SIP Communications Service\"";
	static const char *bad[] = {
		"NTLM realm=\"open", "NTLM realm=\"a\" targetname=\"b\"", "NTLM realm=\"a\", =b",
		"NTLM realm=\"a\";x",
	};
	struct sip_response m;
	struct sip_challenge c;
	char err[128];
	size_t i, used;

	(void)st;
	assert_int_equal(sip_parse_response(joined, strlen(joined), &m, err, sizeof(err)), 1);
	assert_int_equal(m.n_ch, 3);
	assert_string_equal(m.ch[0].scheme, "NTLM");
	assert_string_equal(sip_param(&m.ch[0], "TargetName"), "a");
	assert_string_equal(sip_param(&m.ch[0], "version"), "3");
	assert_string_equal(m.ch[1].scheme, "Kerberos");
	assert_string_equal(sip_param(&m.ch[1], "targetname"), "sip/a");
	assert_string_equal(m.ch[2].scheme, "TLS-DSK");
	assert_int_equal(sip_parse_challenge_at(info, strlen(info), &c, &used), 0);
	assert_int_equal(used, strlen(info));
	assert_string_equal(c.scheme, "NTLM");
	assert_string_equal(sip_param(&c, "srand"), "9616454F");
	assert_string_equal(sip_param(&c, "rspauth"), "01000000E615438A917661BE64000000");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sip_parse_challenge(bad[i], strlen(bad[i]), &c), -1);
}

/* A challenge from its header value, for the known answers. */
static void challenge(struct sip_challenge *c, const char *v)
{
	assert_int_equal(sip_parse_challenge(v, strlen(v), c), 0);
}

/* RFC 7616 3.9.1 and RFC 2617 3.5: the published responses */
static void digest_vectors(void **st)
{
	struct sip_challenge c;
	char out[1024];

	(void)st;
	challenge(&c, "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", "
		  "algorithm=MD5, nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", "
		  "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"");
	assert_int_equal(digest_response(&c, "Mufasa", "Circle of Life", "GET",
		"/dir/index.html", 1, "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
		out, sizeof(out)), 0);
	assert_non_null(strstr(out, "response=\"8ca523f5e9506fed4657c9700eebdbec\""));
	assert_non_null(strstr(out, "nc=00000001"));
	assert_non_null(strstr(out, "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\""));
	challenge(&c, "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", "
		  "algorithm=SHA-256, nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", "
		  "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"");
	assert_int_equal(digest_response(&c, "Mufasa", "Circle of Life", "GET",
		"/dir/index.html", 1, "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
		out, sizeof(out)), 0);
	assert_non_null(strstr(out,
		"response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\""));
	challenge(&c, "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", "
		  "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\"");
	assert_int_equal(digest_response(&c, "Mufasa", "Circle Of Life", "GET",
		"/dir/index.html", 1, "0a4f113b", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "response=\"6629fae49393a05397450978507c4ef1\""));
	challenge(&c, "Digest realm=\"r\", nonce=\"n\", algorithm=SHA-512-256");
	assert_int_equal(digest_response(&c, "u", "p", "GET", "/", 1, "c", out, sizeof(out)), -1);
}

/* The mechanism's rounds: an answer, a refusal, one stale retry. */
static void digest_rounds(void **st)
{
	struct sip_challenge c;
	struct auth_in in = { .user = "alice", .domain = "corp.example", .password = "pw",
			      .method = "REGISTER", .uri = "sip:corp.example" };
	struct auth_err e;
	unsigned char state[1024];
	char out[1024];
	int cred = 0;

	(void)st;
	assert_true(auth_digest.state_size <= sizeof(state));
	memset(state, 0, sizeof(state));
	challenge(&c, "Digest realm=\"corp.example\", nonce=\"n1\", qop=\"auth\"");
	assert_int_equal(auth_digest.answer(state, &in, &c, out, sizeof(out), &cred, &e),
			 AUTH_ANSWER);
	assert_true(cred);
	assert_non_null(strstr(out, "nc=00000001"));
	/* a fresh challenge after the answer: refused */
	assert_int_equal(auth_digest.answer(state, &in, &c, out, sizeof(out), &cred, &e),
			 AUTH_REFUSED);
	memset(state, 0, sizeof(state));
	assert_int_equal(auth_digest.answer(state, &in, &c, out, sizeof(out), &cred, &e),
			 AUTH_ANSWER);
	/* stale: answered once more, with the new nonce */
	challenge(&c, "Digest realm=\"corp.example\", nonce=\"n2\", qop=\"auth\", stale=true");
	assert_int_equal(auth_digest.answer(state, &in, &c, out, sizeof(out), &cred, &e),
			 AUTH_ANSWER);
	assert_non_null(strstr(out, "nonce=\"n2\""));
	assert_int_equal(auth_digest.answer(state, &in, &c, out, sizeof(out), &cred, &e),
			 AUTH_REFUSED);
	/* no password: the mechanism says why */
	memset(state, 0, sizeof(state));
	in.password = NULL;
	assert_int_equal(auth_digest.answer(state, &in, &c, out, sizeof(out), &cred, &e),
			 AUTH_FAIL);
	assert_int_equal(e.cause, PB_CAUSE_SIP_AUTH_FAILED);
	/* the scheme table */
	assert_int_equal(auth_scheme_bit("digest"), PB_AUTH_DIGEST);
	assert_int_equal(auth_scheme_bit("NTLM"), PB_AUTH_NTLM);
	assert_int_equal(auth_scheme_bit("TLS-DSK"), PB_AUTH_TLS_DSK);
	assert_int_equal(auth_scheme_bit("Basic"), 0);
	assert_ptr_equal(auth_mech_of(PB_AUTH_DIGEST), &auth_digest);
}

/* The CHALLENGE of the OC 2007 R2 <-> OCS 2007 R2 sign-in (COSMO\User,
 * pidgin-sipe's test data; tests/unit/test_ntlm.c has its known answers). */
static const char oc_challenge_b64[] =
	"TlRMTVNTUAACAAAAAAAAADgAAADzgpji3Ruq9OfiGNEAAAAAAAAAAJYAlgA4AAAABQLODgAA"
	"AA8CAAoAQwBPAFMATQBPAAEAGABDAE8AUwBNAE8ALQBPAEMAUwAtAFIAMgAEABYAYwBvAHMA"
	"bQBvAC4AbABvAGMAYQBsAAMAMABjAG8AcwBtAG8ALQBvAGMAcwAtAHIAMgAuAGMAbwBzAG0A"
	"bwAuAGwAbwBjAGEAbAAFABYAYwBvAHMAbQBvAC4AbABvAGMAYQBsAAAAAAA=";

/* The NTLM mechanism's rounds ([MS-SIPAE] 3.2-3.3): an empty gssapi-data,
 * then the AUTHENTICATE with opaque and, in version 4, the request's own
 * signature; a fresh challenge after it is a refusal; a 200 without a
 * proof, or with a wrong one, does not verify. */
static void ntlm_rounds(void **st)
{
	struct sip_challenge c;
	struct auth_in in = { .user = "User", .domain = "cosmo.local", .password = "Pa$$word",
			      .method = "REGISTER", .uri = "sip:cosmo.local", .call_id = "abc",
			      .cseq = 2, .from_uri = "sip:user@cosmo.local", .from_tag = "t1",
			      .to_uri = "sip:user@cosmo.local", .to_tag = "", .expires = "3600" };
	struct auth_err e;
	unsigned char state[2048];
	char out[4096], hdr[1024], *p;
	uint8_t msg[1024];
	size_t n;
	int cred = 0;
	struct sip_response m;
	static const char ok200[] =
		"SIP/2.0 200 OK\r\nCall-ID: abc\r\nCSeq: 3 REGISTER\r\n"
		"From: <sip:user@cosmo.local>;tag=t1\r\nTo: <sip:user@cosmo.local>;tag=x\r\n"
		"Authentication-Info: NTLM rspauth=\"01000000E615438A917661BE64000000\", "
		"srand=\"9616454F\", snum=\"1\", opaque=\"2BDBAC9D\", qop=\"auth\", "
		"targetname=\"cosmo-ocs-r2.cosmo.local\", realm=\"SIP Communications Service\"\r\n"
		"Content-Length: 0\r\n\r\n";

	(void)st;
	assert_true(auth_ntlm.state_size <= sizeof(state));
	memset(state, 0, sizeof(state));
	challenge(&c, "NTLM realm=\"SIP Communications Service\", "
		  "targetname=\"cosmo-ocs-r2.cosmo.local\", version=4");
	assert_int_equal(auth_ntlm.answer(state, &in, &c, out, sizeof(out), &cred, &e), AUTH_ANSWER);
	assert_false(cred);                              /* no credentials yet */
	assert_non_null(strstr(out, "gssapi-data=\"\""));
	assert_non_null(strstr(out, "targetname=\"cosmo-ocs-r2.cosmo.local\""));
	assert_non_null(strstr(out, "version=4"));
	assert_null(strstr(out, "opaque"));
	snprintf(hdr, sizeof(hdr), "NTLM opaque=\"2BDBAC9D\", gssapi-data=\"%s\", "
		 "targetname=\"cosmo-ocs-r2.cosmo.local\", realm=\"SIP Communications Service\", "
		 "version=4", oc_challenge_b64);
	challenge(&c, hdr);
	memset(&e, 0, sizeof(e));
	if (auth_ntlm.answer(state, &in, &c, out, sizeof(out), &cred, &e) != AUTH_ANSWER)
		fail_msg("the AUTHENTICATE round failed: %s", e.detail);
	assert_true(cred);
	assert_non_null(strstr(out, "opaque=\"2BDBAC9D\""));
	assert_non_null(strstr(out, "cnum=\"1\""));
	assert_non_null(strstr(out, "crand=\""));
	assert_non_null((p = strstr(out, "response=\"")));
	assert_int_equal(strcspn(p + 10, "\""), 32);      /* a 16-byte signature, hex */
	assert_memory_equal(p + 10, "01000000", 8);       /* NTLMSSP_MESSAGE_SIGNATURE v1 */
	assert_memory_equal(p + 10 + 24, "64000000", 8);  /* sequence number 100 */
	/* the AUTHENTICATE: a type 3 message for the CHALLENGE's domain */
	p = strstr(out, "gssapi-data=\"") + 13;
	assert_int_equal(sipae_b64_decode(p, strcspn(p, "\""), msg, sizeof(msg), &n), SIPAE_OK);
	assert_memory_equal(msg, "NTLMSSP\0\3\0\0\0", 12);
	/* a 200 whose rspauth was made with another session key */
	assert_int_equal(sip_parse_response(ok200, strlen(ok200), &m, hdr, sizeof(hdr)), 1);
	assert_true(m.has_auth_info);
	assert_string_equal(m.to_tag, "x");
	assert_int_equal(auth_ntlm.verify(state, &in, &m, &e), -1);
	assert_int_equal(e.cause, PB_CAUSE_SIP_SIGNATURE_INVALID);
	m.has_auth_info = 0;
	assert_int_equal(auth_ntlm.verify(state, &in, &m, &e), -1);
	/* a fresh challenge after the AUTHENTICATE refuses it */
	assert_int_equal(auth_ntlm.answer(state, &in, &c, out, sizeof(out), &cred, &e), AUTH_REFUSED);
	auth_ntlm.clear(state);
	assert_ptr_equal(auth_mech_of(PB_AUTH_NTLM), &auth_ntlm);
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
		cmocka_unit_test(challenge_too_large),
		cmocka_unit_test(refusal_headers_joined),
		cmocka_unit_test(framing),
		cmocka_unit_test(malformed),
		cmocka_unit_test(challenges),
		cmocka_unit_test(challenge_kept),
		cmocka_unit_test(digest_vectors),
		cmocka_unit_test(digest_rounds),
		cmocka_unit_test(ntlm_rounds),
		cmocka_unit_test(sipae_values),
		cmocka_unit_test(srv_order),
	};
	return cmocka_run_group_tests_name("sip", tests, NULL, NULL);
}
