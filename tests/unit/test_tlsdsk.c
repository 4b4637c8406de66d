/* TLS-DSK (lib/auth/tlsdsk.c): the keys and the signature over a fixed key
 * block, and the mechanism's whole exchange against an OpenSSL server on
 * memory BIOs that plays the registrar: the three handshake legs in
 * gssapi-data, the signed REGISTER checked with the keys the server
 * exports, the registrar's rspauth verified (and a forged one refused),
 * a later request signed in the association; and a server that does not
 * trust the client certificate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "auth/auth.h"
#include "phoneboot/profile.h"
#include "sip/sip.h"
#include "sipae/sipae.h"

static const char realm[] = "SIP Communications Service";
static const char target[] = "pool.test.example";

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = 0;

	for (; h[0] && h[1]; h += 2) {
		unsigned v;

		assert_int_equal(sscanf(h, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
	}
	return n;
}

/* The vector made for docs/tls-dsk.md: OpenSSL's RFC 5705 export and an
 * apart TLS 1.0 PRF gave this key block; the HMAC is over a version 4
 * signed string of a REGISTER. */
static void fixed_block(void **st)
{
	static const char block_hex[] =
		"A4EEB42822C315921B37C2CE7914057E5D8D321DBD9F5D0851DB86CD9D530181"
		"7E4E5F66F77FE5B5A275A59D9C60EF9D34B4E7C7FB661E53E8CB8D5CEB806400"
		"961BD73EE1A540779A9B057D81462BDEBE82DA38D6E703DD2726DA593F103713"
		"AF190F7F56A74593624858F26088451F821EB08911DA88A1612101259EBF7455";
	static const char str[] = "<TLS-DSK><3d1b2a4c><1><SIP Communications Service>"
		"<pool.corp.example><cid1><1><REGISTER><sip:alice@corp.example><tag1>"
		"<sip:alice@corp.example><><><><>";
	uint8_t block[TLSDSK_BLOCK_LEN], c[TLSDSK_KEY_LEN], s[TLSDSK_KEY_LEN], want[32];
	char hex[2 * 64 + 1];

	(void)st;
	assert_int_equal(unhex(block_hex, block), TLSDSK_BLOCK_LEN);
	tlsdsk_keys(block, c, s);
	unhex("961BD73EE1A540779A9B057D81462BDEBE82DA38D6E703DD2726DA593F103713", want);
	assert_memory_equal(c, want, 32);
	unhex("AF190F7F56A74593624858F26088451F821EB08911DA88A1612101259EBF7455", want);
	assert_memory_equal(s, want, 32);
	assert_int_equal(tlsdsk_mac(c, 0, str, strlen(str), hex), 0);
	assert_string_equal(hex, "aee06dd4e2060327ae1a34f78269ec8b6de1b3b2");
	/* an MD5 suite: HMAC-MD5, 16 bytes */
	assert_int_equal(tlsdsk_mac(c, 1, str, strlen(str), hex), 0);
	assert_int_equal(strlen(hex), 32);
}

/* ---- a registrar's TLS, in the test ---- */

static EVP_PKEY *key(void)
{
	EVP_PKEY *k = EVP_RSA_gen(2048);

	assert_non_null(k);
	return k;
}

static X509 *cert(const char *cn, EVP_PKEY *k, X509 *issuer, EVP_PKEY *ik, int ca)
{
	X509 *x = X509_new();
	X509_NAME *n;

	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), ca ? 1 : 2);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, k);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	if (ca) {
		X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, NULL, NID_basic_constraints,
							"critical,CA:TRUE");

		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	assert_true(X509_sign(x, ik ? ik : k, EVP_sha256()) > 0);
	return x;
}

struct world {
	EVP_PKEY *ca_key, *srv_key, *cli_key;
	X509 *ca, *srv, *cli;
	char cli_file[64];          /* the client's PEM: certificate and key */
	struct pb_profile *profile; /* TLS 1.0 only (Lync Phone Edition) */
	struct pb_profile *tls12;   /* TLS 1.0 to 1.2 (a later SfB firmware) */
};

static int world_up(void **st)
{
	struct world *w = calloc(1, sizeof(*w));
	char path[1024], err[256];
	FILE *f;
	int fd;

	assert_non_null(w);
	snprintf(path, sizeof(path), "%s/lpe-aries-sha2.ini", getenv("PB_PROFILES"));
	if (pb_profile_load(path, &w->profile, err, sizeof(err)) != PB_OK) {
		fprintf(stderr, "set PB_PROFILES (%s)\n", err);
		free(w);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/yealink-sfb-tls12.ini", getenv("PB_PROFILES"));
	if (pb_profile_load(path, &w->tls12, err, sizeof(err)) != PB_OK) {
		fprintf(stderr, "set PB_PROFILES (%s)\n", err);
		pb_profile_free(w->profile);
		free(w);
		return -1;
	}
	w->ca_key = key();
	w->srv_key = key();
	w->cli_key = key();
	w->ca = cert("phoneboot test CertProv CA", w->ca_key, NULL, NULL, 1);
	w->srv = cert(target, w->srv_key, NULL, NULL, 0);
	w->cli = cert("alice@corp.example", w->cli_key, w->ca, w->ca_key, 0);
	snprintf(w->cli_file, sizeof(w->cli_file), "/tmp/pb-tlsdsk-XXXXXX");
	assert_true((fd = mkstemp(w->cli_file)) >= 0);
	assert_non_null(f = fdopen(fd, "w"));
	assert_int_equal(PEM_write_X509(f, w->cli), 1);
	assert_int_equal(PEM_write_PrivateKey(f, w->cli_key, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
	*st = w;
	return 0;
}

static int world_down(void **st)
{
	struct world *w = *st;

	unlink(w->cli_file);
	X509_free(w->ca);
	X509_free(w->srv);
	X509_free(w->cli);
	EVP_PKEY_free(w->ca_key);
	EVP_PKEY_free(w->srv_key);
	EVP_PKEY_free(w->cli_key);
	pb_profile_free(w->profile);
	pb_profile_free(w->tls12);
	free(w);
	return 0;
}

struct server {
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *in, *out;
};

/* trusted: the CA the server takes client certificates from */
static void server_up(struct server *s, struct world *w, X509 *trusted)
{
	assert_non_null(s->ctx = SSL_CTX_new(TLS_server_method()));
	SSL_CTX_set_security_level(s->ctx, 0);
	SSL_CTX_set_min_proto_version(s->ctx, TLS1_VERSION);
	assert_int_equal(SSL_CTX_use_certificate(s->ctx, w->srv), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(s->ctx, w->srv_key), 1);
	assert_int_equal(X509_STORE_add_cert(SSL_CTX_get_cert_store(s->ctx), trusted), 1);
	assert_int_equal(SSL_CTX_add_client_CA(s->ctx, trusted), 1);
	SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	assert_non_null(s->ssl = SSL_new(s->ctx));
	s->in = BIO_new(BIO_s_mem());
	s->out = BIO_new(BIO_s_mem());
	SSL_set_bio(s->ssl, s->in, s->out);
	SSL_set_accept_state(s->ssl);
}

static void server_down(struct server *s)
{
	SSL_free(s->ssl);
	SSL_CTX_free(s->ctx);
}

/* The client's gssapi-data in, the server's records out (base64, "" when
 * none); the handshake's return in *r. */
static void server_leg(struct server *s, const char *b64, char *out, size_t cap, int *r)
{
	uint8_t buf[16384];
	size_t n = 0;
	char *p = NULL;
	long k;

	assert_int_equal(sipae_b64_decode(b64, strlen(b64), buf, sizeof(buf), &n), SIPAE_OK);
	assert_int_equal(BIO_write(s->in, buf, (int)n), (int)n);
	*r = SSL_do_handshake(s->ssl);
	k = BIO_get_mem_data(s->out, &p);
	out[0] = '\0';
	if (k > 0)
		assert_int_equal(sipae_b64_encode((uint8_t *)p, (size_t)k, out, cap, &n), SIPAE_OK);
	(void)BIO_reset(s->out);
}

static void fill(struct auth_in *in, struct world *w)
{
	memset(in, 0, sizeof(*in));
	in->user = "alice";
	in->domain = "corp.example";
	in->method = "REGISTER";
	in->uri = "sip:corp.example";
	in->call_id = "cid1";
	in->cseq = 3;
	in->from_uri = in->to_uri = "sip:alice@corp.example";
	in->from_tag = "tag1";
	in->to_tag = "";
	in->expires = "3600";
	in->client_cert = w->cli_file;
	in->profile = w->profile;
}

/* The mechanism's answer to a 401 whose TLS-DSK challenge has these
 * extra parameters; the Authorization parsed into *a. */
static enum auth_status leg(void *mst, const struct auth_in *in, const char *extra,
			    struct sip_challenge *a, int *cred, struct auth_err *e)
{
	static char hdr[24000], out[24000];
	struct sip_challenge *ch = calloc(1, sizeof(*ch));
	enum auth_status rc;

	assert_non_null(ch);
	snprintf(hdr, sizeof(hdr), "TLS-DSK realm=\"%s\", targetname=\"%s\", version=4, "
		 "sts-uri=\"https://%s/CertProv/CertProvisioningService.svc\"%s", realm, target,
		 target, extra);
	assert_int_equal(sip_parse_challenge(hdr, strlen(hdr), ch), 0);
	memset(e, 0, sizeof(*e));
	rc = auth_tlsdsk.answer(mst, in, ch, out, sizeof(out), cred, e);
	if (rc == AUTH_ANSWER)
		assert_int_equal(sip_parse_challenge(out, strlen(out), a), 0);
	free(ch);
	return rc;
}

/* The registrar's 200, signed with rspauth. */
static void ok_200(char *buf, size_t cap, const char *rspauth)
{
	snprintf(buf, cap, "SIP/2.0 200 OK\r\nVia: SIP/2.0/TLS 10.0.0.1;branch=z9hG4bK1\r\n"
		 "From: <sip:alice@corp.example>;tag=tag1\r\nTo: <sip:alice@corp.example>;tag=t2\r\n"
		 "Call-ID: cid1\r\nCSeq: 3 REGISTER\r\nExpires: 3600\r\n"
		 "Authentication-Info: TLS-DSK qop=\"auth\", opaque=\"0A1B2C3D\", srand=\"5EED0001\", "
		 "snum=\"1\", rspauth=\"%s\", targetname=\"%s\", realm=\"%s\", version=4\r\n"
		 "Content-Length: 0\r\n\r\n", rspauth, target, realm);
}

/* The registrar's 200 parsed into m, its rspauth made with key. */
static void signed_200(struct sip_response *m, const uint8_t key[TLSDSK_KEY_LEN])
{
	static char resp[4096], str[2048];
	char hex[2 * 64 + 1], err[128];
	size_t n;

	ok_200(resp, sizeof(resp), "00");
	assert_int_equal(sip_parse_response(resp, strlen(resp), m, err, sizeof(err)), 1);
	assert_int_equal(auth_response_string("TLS-DSK", 4, realm, target, m, str, sizeof(str),
					      &n), 0);
	assert_int_equal(tlsdsk_mac(key, 0, str, n, hex), 0);
	ok_200(resp, sizeof(resp), hex);
	assert_int_equal(sip_parse_response(resp, strlen(resp), m, err, sizeof(err)), 1);
}

/* Legs 1 and 2 against server s: the ClientHello, then our flight; the
 * server's answer to it in b64 (its Finished, or its alert). */
static void two_legs(struct server *s, void *mst, const struct auth_in *in,
		     struct sip_challenge *a, int *cred, struct auth_err *e, char *b64,
		     size_t cap, int *r)
{
	static char extra[24000];

	assert_int_equal(leg(mst, in, "", a, cred, e), AUTH_ANSWER);
	assert_string_equal(a->scheme, "TLS-DSK");
	assert_null(sip_param(a, "opaque"));
	assert_false(*cred);
	server_leg(s, sip_param(a, "gssapi-data"), b64, cap, r);
	assert_int_equal(SSL_get_error(s->ssl, *r), SSL_ERROR_WANT_READ);
	snprintf(extra, sizeof(extra), ", opaque=\"0A1B2C3D\", gssapi-data=\"%s\"", b64);
	assert_int_equal(leg(mst, in, extra, a, cred, e), AUTH_ANSWER);
	assert_string_equal(sip_param(a, "opaque"), "0A1B2C3D");
	assert_true(*cred);
	assert_null(sip_param(a, "response"));
	server_leg(s, sip_param(a, "gssapi-data"), b64, cap, r);
}

/* The whole exchange with the device of profile p; the TLS version the
 * server agreed to must be want. */
static void exchange_with(struct world *w, const struct pb_profile *p, int want)
{
	struct server s = { 0 };
	struct auth_in in;
	struct auth_err e;
	struct sip_challenge *a = calloc(1, sizeof(*a));
	struct sip_response *m = calloc(1, sizeof(*m));
	void *mst = calloc(1, auth_tlsdsk.state_size);
	static char b64[24000], extra[24000], str[2048];
	uint8_t block[TLSDSK_BLOCK_LEN], ck[TLSDSK_KEY_LEN], sk[TLSDSK_KEY_LEN];
	char hex[2 * 64 + 1], crand[16];
	int cred = 0, r = 0;
	size_t n;

	assert_non_null(a);
	assert_non_null(m);
	assert_non_null(mst);
	fill(&in, w);
	in.profile = p;
	server_up(&s, w, w->ca);
	two_legs(&s, mst, &in, a, &cred, &e, b64, sizeof(b64), &r);
	assert_string_equal(sip_param(a, "targetname"), target);
	assert_string_equal(sip_param(a, "version"), "4");
	assert_int_equal(r, 1);         /* the server took the certificate */
	assert_int_equal(SSL_version(s.ssl), want);
	/* leg 3: its Finished; our REGISTER is signed */
	snprintf(extra, sizeof(extra), ", opaque=\"0A1B2C3D\", gssapi-data=\"%s\"", b64);
	assert_int_equal(leg(mst, &in, extra, a, &cred, &e), AUTH_ANSWER);
	assert_null(sip_param(a, "gssapi-data"));
	assert_string_equal(sip_param(a, "cnum"), "1");
	assert_non_null(sip_param(a, "crand"));
	snprintf(crand, sizeof(crand), "%s", sip_param(a, "crand"));
	/* the server's keys check the client's signature */
	assert_int_equal(SSL_export_keying_material(s.ssl, block, sizeof(block),
						    "client EAP encryption", 21, NULL, 0, 0), 1);
	tlsdsk_keys(block, ck, sk);
	assert_int_equal(auth_request_string("TLS-DSK", 4, crand, 1, realm, target, &in, str,
					     sizeof(str), &n), 0);
	assert_int_equal(tlsdsk_mac(ck, 0, str, n, hex), 0);
	assert_string_equal(sip_param(a, "response"), hex);
	/* the 200's rspauth, made with the server key, verifies; forged, not */
	for (int forged = 0; forged < 2; forged++) {
		signed_200(m, forged ? ck : sk);
		assert_int_equal(auth_tlsdsk.verify(mst, &in, m, &e), forged ? -1 : 0);
		if (forged)
			assert_int_equal(e.cause, PB_CAUSE_SIP_SIGNATURE_INVALID);
	}
	/* a later request in the association: the next cnum, signed */
	{
		static char out[4096];

		in.cseq = 4;
		in.expires = "0";
		assert_int_equal(auth_tlsdsk.sign(mst, &in, out, sizeof(out), &e), AUTH_ANSWER);
		assert_int_equal(sip_parse_challenge(out, strlen(out), a), 0);
		assert_string_equal(sip_param(a, "cnum"), "2");
		assert_int_equal(auth_request_string("TLS-DSK", 4, sip_param(a, "crand"), 2, realm,
						     target, &in, str, sizeof(str), &n), 0);
		assert_int_equal(tlsdsk_mac(ck, 0, str, n, hex), 0);
		assert_string_equal(sip_param(a, "response"), hex);
	}
	/* a fresh challenge after the signed request: refused */
	assert_int_equal(leg(mst, &in, "", a, &cred, &e), AUTH_REFUSED);
	auth_tlsdsk.clear(mst);
	server_down(&s);
	free(mst);
	free(a);
	free(m);
}

static void exchange(void **st)
{
	struct world *w = *st;

	exchange_with(w, w->profile, TLS1_VERSION);
	/* a firmware with TLS 1.2: 1.2, as [MS-SIPAE] 3.1 allows */
	exchange_with(w, w->tls12, TLS1_2_VERSION);
}

/* A registrar that answers 200 before its Finished proves nothing: there
 * are no keys yet, and an rspauth made with none is refused. */
static void early_200(void **st)
{
	struct world *w = *st;
	struct server s = { 0 };
	struct auth_in in;
	struct auth_err e;
	struct sip_challenge *a = calloc(1, sizeof(*a));
	struct sip_response *m = calloc(1, sizeof(*m));
	void *mst = calloc(1, auth_tlsdsk.state_size);
	static char b64[24000], out[4096];
	static const uint8_t zero[TLSDSK_KEY_LEN];
	int cred = 0, r = 0;

	assert_non_null(a);
	assert_non_null(m);
	assert_non_null(mst);
	fill(&in, w);
	server_up(&s, w, w->ca);
	two_legs(&s, mst, &in, a, &cred, &e, b64, sizeof(b64), &r);
	signed_200(m, zero);
	assert_int_equal(auth_tlsdsk.verify(mst, &in, m, &e), -1);
	assert_int_equal(e.cause, PB_CAUSE_SIP_SIGNATURE_INVALID);
	/* nor can it sign a later request */
	assert_int_equal(auth_tlsdsk.sign(mst, &in, out, sizeof(out), &e), AUTH_INTERNAL);
	auth_tlsdsk.clear(mst);
	server_down(&s);
	free(mst);
	free(a);
	free(m);
}

/* A registrar that does not trust the certificate answers with an alert:
 * the credentials (the certificate) are refused. */
static void certificate_refused(void **st)
{
	struct world *w = *st;
	struct server s = { 0 };
	struct auth_in in;
	struct auth_err e;
	struct sip_challenge *a = calloc(1, sizeof(*a));
	void *mst = calloc(1, auth_tlsdsk.state_size);
	EVP_PKEY *other_key = key();
	X509 *other = cert("another CA", other_key, NULL, NULL, 1);
	static char b64[24000], extra[24000];
	int cred = 0, r = 0;

	assert_non_null(a);
	assert_non_null(mst);
	fill(&in, w);
	server_up(&s, w, other);
	two_legs(&s, mst, &in, a, &cred, &e, b64, sizeof(b64), &r);
	assert_int_not_equal(r, 1);     /* the server refused it, with an alert */
	assert_true(b64[0]);
	snprintf(extra, sizeof(extra), ", opaque=\"0A1B2C3D\", gssapi-data=\"%s\"", b64);
	assert_int_equal(leg(mst, &in, extra, a, &cred, &e), AUTH_FAIL);
	assert_int_equal(e.cause, PB_CAUSE_SIP_AUTH_FAILED);
	assert_non_null(strstr(e.detail, "TLS-DSK handshake failed"));
	/* without a certificate the mechanism cannot start */
	auth_tlsdsk.clear(mst);
	memset(mst, 0, auth_tlsdsk.state_size);
	in.client_cert = NULL;
	assert_int_equal(leg(mst, &in, "", a, &cred, &e), AUTH_FAIL);
	assert_int_equal(e.cause, PB_CAUSE_SIP_AUTH_SCHEME_UNSUPPORTED);
	auth_tlsdsk.clear(mst);
	server_down(&s);
	X509_free(other);
	EVP_PKEY_free(other_key);
	free(mst);
	free(a);
}

static void cert_check(void **st)
{
	struct world *w = *st;
	char err[256];

	assert_int_equal(tlsdsk_cert_check(w->cli_file, err, sizeof(err)), 0);
	assert_int_equal(tlsdsk_cert_check("/nonexistent/cert.pem", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/cert.pem"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fixed_block),
		cmocka_unit_test(exchange),
		cmocka_unit_test(early_200),
		cmocka_unit_test(certificate_refused),
		cmocka_unit_test(cert_check),
	};

	return cmocka_run_group_tests_name("tlsdsk", tests, world_up, world_down);
}
