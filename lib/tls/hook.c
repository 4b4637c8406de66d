/* The device's TLS on a foreign SSL_CTX: see hook.h. */
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "phoneboot/profile.h"
#include "tls/hook.h"
#include "tls/tls.h"

#define HOOK_MAX_CHAIN 10

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
	struct tls_params tp;
	char unavailable[512] = "";
	int old, new13;

	/* the same versions, suites and signature algorithms as the pool's
	 * connections (tls.c) */
	tls_params_of(h->profile, &tp);
	if (tls_apply_params(ctx, &tp, unavailable, sizeof(unavailable), &old, &new13) < 0)
		return -1;
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
