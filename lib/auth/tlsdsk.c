/* TLS-DSK as Lync Phone Edition speaks it after its certificate sign-in
 * ([MS-SIPAE] 3.1; docs/tls-dsk.md): a TLS handshake carried in the
 * gssapi-data of REGISTERs, with the client certificate the Certificate
 * Provisioning service issued, then a security association signed with
 * keys derived from that TLS session.
 *
 *   REGISTER                                   -> 401  TLS-DSK realm, targetname, version, sts-uri
 *   REGISTER  gssapi-data=ClientHello          -> 401  opaque, gssapi-data=ServerHello..ServerHelloDone
 *   REGISTER  opaque, gssapi-data=Certificate, ClientKeyExchange, CertificateVerify, Finished
 *                                              -> 401  opaque, gssapi-data=ChangeCipherSpec, Finished
 *   REGISTER  opaque, crand, cnum, response    -> 200  Authentication-Info: rspauth
 *
 * The handshake is OpenSSL's, on memory BIOs, within the device's TLS
 * limits (its versions and suites), without the extended master secret
 * (CE-era Schannel predates RFC 7627). The keys are the EAP-TLS key block,
 * PRF(master secret, "client EAP encryption", client_random ||
 * server_random), 128 bytes, exported as RFC 5705 does: the client's
 * signing key is bytes 64..95, the registrar's 96..127. A signature is the
 * HMAC (SHA-1; MD5 under an MD5 suite) of [MS-SIPAE] 3.2.5.2's signed
 * string, whole, in hex. These are pidgin-sipe's, which signed in to Lync
 * and Office 365 with them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>

#include "auth/auth.h"
#include "phoneboot/profile.h"
#include "sipae/sipae.h"
#include "tls/tls.h"

#define MAX_FLIGHT 16384                /* TLS bytes one leg carries */
#define MAX_B64 (MAX_FLIGHT / 3 * 4 + 8)

struct tlsdsk_state {
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *in, *out;              /* the registrar's records in, ours out (SSL owns them) */
	int round;                  /* 0, 1 ClientHello sent, 2 our flight sent, 3 signed */
	struct auth_sa sa;
	uint8_t ckey[TLSDSK_KEY_LEN], skey[TLSDSK_KEY_LEN];
	int md5;                    /* HMAC-MD5: an MD5 suite was agreed */
};

void tlsdsk_keys(const uint8_t block[TLSDSK_BLOCK_LEN], uint8_t client[TLSDSK_KEY_LEN],
		 uint8_t server[TLSDSK_KEY_LEN])
{
	memcpy(client, block + 64, TLSDSK_KEY_LEN);
	memcpy(server, block + 96, TLSDSK_KEY_LEN);
}

int tlsdsk_mac(const uint8_t key[TLSDSK_KEY_LEN], int md5, const char *str, size_t len,
	       char *hex)
{
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	if (!HMAC(md5 ? EVP_md5() : EVP_sha1(), key, TLSDSK_KEY_LEN, (const uint8_t *)str, len,
		  mac, &n))
		return -1;
	sipae_hex(mac, n, hex);
	return 0;
}

int tlsdsk_cert_check(const char *file, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	int ok;

	if (!ctx) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* a phone's certificate may be SHA-1 signed (sipe's CertProv request
	 * is): level 0, as the handshake uses (tls_apply_params) */
	SSL_CTX_set_security_level(ctx, 0);
	ok = SSL_CTX_use_certificate_chain_file(ctx, file) == 1 &&
	     SSL_CTX_use_PrivateKey_file(ctx, file, SSL_FILETYPE_PEM) == 1 &&
	     SSL_CTX_check_private_key(ctx) == 1;
	if (!ok) {
		unsigned long e = ERR_peek_last_error();

		snprintf(err, errlen, "%s: not a PEM certificate with its private key (%s)", file,
			 e ? ERR_reason_error_string(e) : "unreadable");
	}
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return ok ? 0 : -1;
}

/* OpenSSL's reason, for a detail. */
static const char *ssl_why(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	return r ? r : "no reason given";
}

static enum auth_status start(struct tlsdsk_state *st, const struct auth_in *in,
			      struct auth_err *e)
{
	struct tls_params tp;
	char unavailable[512] = "";
	int n12 = 0, n13 = 0;

	if (!in->client_cert) {
		auth_fail(e, PB_CAUSE_SIP_AUTH_SCHEME_UNSUPPORTED, "TLS-DSK needs the client "
			  "certificate a first sign-in provisions (--client-cert)");
		return AUTH_FAIL;
	}
	if (!(st->ctx = SSL_CTX_new(TLS_client_method()))) {
		auth_fail(e, PB_CAUSE_NONE, "out of memory for TLS-DSK");
		return AUTH_INTERNAL;
	}
	tls_params_of(in->profile, &tp);
	(void)n13;                  /* TLS 1.3 is capped away below */
	if (tls_apply_params(st->ctx, &tp, unavailable, sizeof(unavailable), &n12, &n13) < 0 ||
	    !n12) {
		auth_fail(e, PB_CAUSE_TLS_NO_SHARED_CIPHER, "TLS-DSK: this OpenSSL has none of "
			  "the device's suites");
		return AUTH_FAIL;
	}
	/* [MS-SIPAE] 3.1 names TLS 1.0 to 1.2 for it */
	if (SSL_CTX_get_max_proto_version(st->ctx) == 0 ||
	    SSL_CTX_get_max_proto_version(st->ctx) > TLS1_2_VERSION)
		SSL_CTX_set_max_proto_version(st->ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(st->ctx, SSL_OP_NO_EXTENDED_MASTER_SECRET | SSL_OP_NO_TICKET);
	/* the registrar is judged by its proof (rspauth), as the phones do:
	 * the connect step already judged the pool's chain */
	SSL_CTX_set_verify(st->ctx, SSL_VERIFY_NONE, NULL);
	ERR_clear_error();
	if (SSL_CTX_use_certificate_chain_file(st->ctx, in->client_cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(st->ctx, in->client_cert, SSL_FILETYPE_PEM) != 1) {
		char why[200];

		snprintf(why, sizeof(why), "the client certificate %s cannot be read: %s",
			 in->client_cert, ssl_why());
		ERR_clear_error();
		auth_fail(e, PB_CAUSE_NONE, why);
		return AUTH_INTERNAL;
	}
	if (!(st->ssl = SSL_new(st->ctx)) || !(st->in = BIO_new(BIO_s_mem())) ||
	    !(st->out = BIO_new(BIO_s_mem()))) {
		BIO_free(st->in);
		st->in = NULL;
		auth_fail(e, PB_CAUSE_NONE, "out of memory for TLS-DSK");
		return AUTH_INTERNAL;
	}
	SSL_set_bio(st->ssl, st->in, st->out);
	SSL_set_connect_state(st->ssl);
	return AUTH_ANSWER;
}

/* The request's signature with the client key. */
static int request_sig(void *state, const char *str, size_t len, char *hex, size_t hexcap,
		       char *why, size_t whylen)
{
	struct tlsdsk_state *st = state;

	if (hexcap < 2 * EVP_MAX_MD_SIZE + 1 || tlsdsk_mac(st->ckey, st->md5, str, len, hex) < 0) {
		snprintf(why, whylen, "HMAC failed");
		return -1;
	}
	return 0;
}

/* Feed the registrar's records (base64, may be NULL) and run the
 * handshake: 0 more to come, 1 done, -1 failed, -2 out of memory (e says
 * why). */
static int handshake(struct tlsdsk_state *st, const char *b64, struct auth_err *e)
{
	uint8_t *buf = NULL;
	size_t n = 0;
	int r;

	if (b64 && *b64) {
		if (!(buf = malloc(MAX_FLIGHT))) {
			auth_fail(e, PB_CAUSE_NONE, "out of memory for TLS-DSK");
			return -2;
		}
		if (strlen(b64) > MAX_B64 ||
		    sipae_b64_decode(b64, strlen(b64), buf, MAX_FLIGHT, &n) != SIPAE_OK ||
		    BIO_write(st->in, buf, (int)n) != (int)n) {
			free(buf);
			auth_fail(e, PB_CAUSE_SIP_BAD_RESPONSE, "the registrar's TLS-DSK gssapi-data "
				  "is not base64 of at most 16 KiB of TLS records");
			return -1;
		}
		free(buf);
	}
	ERR_clear_error();
	if ((r = SSL_do_handshake(st->ssl)) == 1)
		return 1;
	if (SSL_get_error(st->ssl, r) == SSL_ERROR_WANT_READ)
		return 0;
	{
		char why[220];
		/* an alert from the registrar is its verdict on our certificate
		 * (the credentials); records that are not TLS are a bad answer */
		int alert = ERR_GET_REASON(ERR_peek_last_error()) >= SSL_AD_REASON_OFFSET;

		snprintf(why, sizeof(why), "the TLS-DSK handshake failed: %s", ssl_why());
		ERR_clear_error();
		auth_fail(e, alert ? PB_CAUSE_SIP_AUTH_FAILED : PB_CAUSE_SIP_BAD_RESPONSE, why);
	}
	return -1;
}

/* What the handshake wrote for the registrar, in base64 (malloc'd), or
 * NULL with e. */
static char *flight(struct tlsdsk_state *st, struct auth_err *e)
{
	char *p = NULL, *b64;
	long n = BIO_get_mem_data(st->out, &p);
	size_t len;

	if (n <= 0 || n > MAX_FLIGHT || !(b64 = malloc(MAX_B64))) {
		auth_fail(e, n > 0 && n <= MAX_FLIGHT ? PB_CAUSE_NONE : PB_CAUSE_SIP_AUTH_FAILED,
			  n > 0 && n <= MAX_FLIGHT ? "out of memory" : "the TLS-DSK handshake "
			  "left nothing to send, or more than 16 KiB");
		return NULL;
	}
	if (sipae_b64_encode((const uint8_t *)p, (size_t)n, b64, MAX_B64, &len) != SIPAE_OK) {
		free(b64);
		auth_fail(e, PB_CAUSE_NONE, "the TLS-DSK flight does not fit its buffer");
		return NULL;
	}
	(void)BIO_reset(st->out);
	return b64;
}

/* The handshake is over: the keys, and which HMAC the suite asks for. */
static int derive(struct tlsdsk_state *st, struct auth_err *e)
{
	static const char label[] = "client EAP encryption";
	uint8_t block[TLSDSK_BLOCK_LEN];
	const SSL_CIPHER *c = SSL_get_current_cipher(st->ssl);

	if (SSL_export_keying_material(st->ssl, block, sizeof(block), label, sizeof(label) - 1,
				       NULL, 0, 0) != 1) {
		auth_fail(e, PB_CAUSE_NONE, "the TLS-DSK keys could not be exported");
		return -1;
	}
	tlsdsk_keys(block, st->ckey, st->skey);
	explicit_bzero(block, sizeof(block));
	st->md5 = c && SSL_CIPHER_get_digest_nid(c) == NID_md5;
	/* the association needs the keys only: the session (its master
	 * secret) and the certificate's key go now, not with the device */
	SSL_free(st->ssl);
	st->ssl = NULL;
	SSL_CTX_free(st->ctx);
	st->ctx = NULL;
	return 0;
}

static enum auth_status answer(void *state, const struct auth_in *in,
			       const struct sip_challenge *ch, char *out, size_t outlen,
			       int *credentials, struct auth_err *e)
{
	struct tlsdsk_state *st = state;
	const char *data = sip_param(ch, "gssapi-data");
	enum auth_status rc;
	char *b64;
	int done;

	if (st->round == 3)
		return AUTH_REFUSED;    /* a fresh challenge after the signed request */
	if (st->round == 0) {
		auth_sa_start(&st->sa, "TLS-DSK", ch, in->sipae_version);
		if ((rc = start(st, in, e)) != AUTH_ANSWER)
			return rc;
	} else {
		if (!data || !*data) {
			/* the handshake's records went unanswered: the registrar
			 * started over, refusing what we sent */
			if (st->round == 2)
				return AUTH_REFUSED;
			auth_fail(e, PB_CAUSE_SIP_BAD_RESPONSE, "the registrar answered the "
				  "ClientHello without its handshake (no gssapi-data)");
			return AUTH_FAIL;
		}
		/* the registrar names the association once; a later answer
		 * without opaque keeps it */
		if (*auth_param(ch, "opaque"))
			snprintf(st->sa.opaque, sizeof(st->sa.opaque), "%s", auth_param(ch, "opaque"));
	}
	if ((done = handshake(st, st->round ? data : NULL, e)) < 0)
		return done == -2 ? AUTH_INTERNAL : AUTH_FAIL;
	if (done) {
		if (st->round != 2) {
			auth_fail(e, PB_CAUSE_SIP_BAD_RESPONSE, "the TLS-DSK handshake ended "
				  "before the client's certificate was sent");
			return AUTH_FAIL;
		}
		if (derive(st, e) < 0)
			return AUTH_INTERNAL;
		/* the certificate (its private key) proved who we are */
		if ((rc = auth_sa_authz(&st->sa, in, NULL, request_sig, st, out, outlen, e)) ==
		    AUTH_ANSWER) {
			st->round = 3;
			*credentials = 1;
		}
		return rc;
	}
	if (st->round == 2) {
		auth_fail(e, PB_CAUSE_SIP_BAD_RESPONSE, "the registrar's third TLS-DSK answer did "
			  "not end the handshake");
		return AUTH_FAIL;
	}
	if (!(b64 = flight(st, e)))
		return e->cause == PB_CAUSE_NONE ? AUTH_INTERNAL : AUTH_FAIL;
	rc = auth_sa_authz(&st->sa, in, b64, NULL, NULL, out, outlen, e);
	free(b64);
	if (rc == AUTH_ANSWER) {
		st->round++;
		if (st->round == 2)
			*credentials = 1;       /* our certificate is out */
	}
	return rc;
}

/* A later request in the association: opaque, a fresh crand, the next
 * cnum and the request's signature. */
static enum auth_status sign(void *state, const struct auth_in *in, char *out, size_t outlen,
			     struct auth_err *e)
{
	struct tlsdsk_state *st = state;

	if (st->round != 3) {
		auth_fail(e, PB_CAUSE_NONE, "no TLS-DSK security association to sign with");
		return AUTH_INTERNAL;
	}
	return auth_sa_authz(&st->sa, in, NULL, request_sig, st, out, outlen, e);
}

/* The registrar proves it holds the server key: rspauth over its
 * response's signed string. */
static int verify(void *state, const struct auth_in *in, const struct sip_response *m,
		  struct auth_err *e)
{
	struct tlsdsk_state *st = state;
	char str[2048], hex[2 * EVP_MAX_MD_SIZE + 1];
	const char *rspauth;
	size_t n;

	(void)in;
	if (st->round != 3) {
		/* no keys yet: a 200 before the handshake ended proves nothing */
		auth_fail(e, PB_CAUSE_SIP_SIGNATURE_INVALID, "the registrar accepted the "
			  "request before the TLS-DSK handshake ended: it proved no session");
		return -1;
	}
	if (!(rspauth = auth_sa_rspauth(&st->sa, m, str, sizeof(str), &n, e)))
		return -1;
	if (tlsdsk_mac(st->skey, st->md5, str, n, hex) < 0 || strcasecmp(hex, rspauth)) {
		snprintf(e->detail, sizeof(e->detail), "the registrar's rspauth %.40s does not "
			 "verify over its %d: it does not hold the session's key", rspauth, m->code);
		return -1;
	}
	return 0;
}

static void describe(const struct sip_challenge *ch, char *buf, size_t len)
{
	const char *data = sip_param(ch, "gssapi-data");
	const char *sts = sip_param(ch, "sts-uri");

	snprintf(buf, len, "realm=\"%s\" targetname=\"%s\" version=%s%s%s%s",
		 auth_param(ch, "realm"), auth_param(ch, "targetname"),
		 sip_param(ch, "version") ? auth_param(ch, "version") : "(none)",
		 sts ? " sts-uri=" : "", sts ? sts : "",
		 data && *data ? " with TLS records" : "");
}

static void clear(void *state)
{
	struct tlsdsk_state *st = state;

	SSL_free(st->ssl);          /* and its BIOs */
	SSL_CTX_free(st->ctx);
	explicit_bzero(st, sizeof(*st));
}

const struct auth_mech auth_tlsdsk = {
	.scheme = "TLS-DSK",
	.bit = PB_AUTH_TLS_DSK,
	.state_size = sizeof(struct tlsdsk_state),
	.answer = answer,
	.verify = verify,
	.sign = sign,
	.describe = describe,
	.clear = clear,
};
