/* The device's TLS on a foreign SSL_CTX: see hook.h. */
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "phoneboot/profile.h"
#include "tls/hook.h"

#define HOOK_MAX_CHAIN 10

static int version_of(unsigned bit)
{
	switch (bit) {
	case PB_TLS_SSL3: return SSL3_VERSION;
	case PB_TLS_10: return TLS1_VERSION;
	case PB_TLS_11: return TLS1_1_VERSION;
	case PB_TLS_12: return TLS1_2_VERSION;
	case PB_TLS_13: return TLS1_3_VERSION;
	default: return 0;
	}
}

static void append(char *buf, size_t len, const char *s)
{
	size_t o = strlen(buf);

	if (o < len)
		snprintf(buf + o, len - o, "%s%s", o ? ":" : "", s);
}

/* The profile's IANA suite names as OpenSSL's lists (as tls.c does for
 * the pool's connections). */
static int set_suites(SSL_CTX *ctx, const struct pb_profile *p)
{
	STACK_OF(SSL_CIPHER) *all;
	char list[2048] = "", suites[512] = "";
	size_t i;
	int k;

	if (!p->n_ciphers)
		return SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0");
	if (!SSL_CTX_set_cipher_list(ctx, "ALL:COMPLEMENTOFALL:@SECLEVEL=0"))
		return 0;
	all = SSL_CTX_get_ciphers(ctx);
	for (i = 0; i < p->n_ciphers; i++)
		for (k = 0; k < sk_SSL_CIPHER_num(all); k++) {
			const SSL_CIPHER *sc = sk_SSL_CIPHER_value(all, k);
			const char *std = SSL_CIPHER_standard_name(sc);

			if (!std || strcmp(std, p->ciphers[i]))
				continue;
			if (!strncmp(SSL_CIPHER_get_name(sc), "TLS_", 4))
				append(suites, sizeof(suites), SSL_CIPHER_get_name(sc));
			else
				append(list, sizeof(list), SSL_CIPHER_get_name(sc));
		}
	if (!SSL_CTX_set_ciphersuites(ctx, suites))
		return 0;
	if (!list[0])
		return 1;
	append(list, sizeof(list), "@SECLEVEL=0");
	return SSL_CTX_set_cipher_list(ctx, list);
}

/* Replaces OpenSSL's chain verification (SSL_CTX_set_cert_verify_callback):
 * the chain the server sent, judged as the device judges it. */
static int verify(X509_STORE_CTX *xs, void *arg)
{
	struct tls_hook *h = arg;
	STACK_OF(X509) *sk = X509_STORE_CTX_get0_untrusted(xs);
	unsigned char *bufs[HOOK_MAX_CHAIN];
	const unsigned char *der[HOOK_MAX_CHAIN];
	size_t lens[HOOK_MAX_CHAIN], n = 0, i;
	struct pb_judge_opts jo = { h->now, h->name, 1 };
	struct pb_chain *chain = NULL;
	struct pb_verdict *v = NULL;
	int ok = 0;

	if (!sk && X509_STORE_CTX_get0_cert(xs)) {
		int len = i2d_X509(X509_STORE_CTX_get0_cert(xs), NULL);

		bufs[0] = NULL;
		if (len > 0 && i2d_X509(X509_STORE_CTX_get0_cert(xs), &bufs[0]) > 0) {
			der[0] = bufs[0];
			lens[0] = (size_t)len;
			n = 1;
		}
	}
	for (i = 0; sk && i < (size_t)sk_X509_num(sk) && n < HOOK_MAX_CHAIN; i++) {
		int len;

		bufs[n] = NULL;
		if ((len = i2d_X509(sk_X509_value(sk, (int)i), &bufs[n])) <= 0)
			break;
		der[n] = bufs[n];
		lens[n++] = (size_t)len;
	}
	if (n && pb_chain_from_der_list(der, lens, n, h->trust, &chain) == PB_OK &&
	    pb_judge(chain, h->profile, &jo, &v) == PB_OK) {
		ok = v->usable;
		if (!h->judged) {
			h->chain = chain;
			h->verdict = v;
			h->judged = 1;
			chain = NULL;
			v = NULL;
		}
	}
	pb_chain_free(chain);
	pb_verdict_free(v);
	for (i = 0; i < n; i++)
		OPENSSL_free(bufs[i]);
	if (!ok)
		X509_STORE_CTX_set_error(xs, X509_V_ERR_APPLICATION_VERIFICATION);
	return ok;
}

int tls_hook_ctx(void *ssl_ctx, struct tls_hook *h)
{
	SSL_CTX *ctx = ssl_ctx;
	unsigned v = h->profile->tls_versions, b, lo = 0, hi = 0;

	if (!v)
		v = PB_TLS_10 | PB_TLS_11 | PB_TLS_12 | PB_TLS_13;
	for (b = PB_TLS_SSL3; b <= PB_TLS_13; b <<= 1)
		if (v & b) {
			if (!lo)
				lo = b;
			hi = b;
		}
	SSL_CTX_set_security_level(ctx, 0);
	if (!SSL_CTX_set_min_proto_version(ctx, version_of(lo)) ||
	    !SSL_CTX_set_max_proto_version(ctx, version_of(hi)) || !set_suites(ctx, h->profile)) {
		ERR_clear_error();
		return -1;
	}
	/* the device's judgement, during the handshake: a refused chain ends
	 * it with an alert, as the phone's TLS stack does */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_cert_verify_callback(ctx, verify, h);
	ERR_clear_error();
	return 0;
}

void tls_hook_clear(struct tls_hook *h)
{
	pb_chain_free(h->chain);
	pb_verdict_free(h->verdict);
	h->chain = NULL;
	h->verdict = NULL;
	h->judged = 0;
}
