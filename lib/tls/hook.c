/* The device's TLS on a foreign SSL_CTX: see hook.h. */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "phoneboot/profile.h"
#include "tls/hook.h"
#include "tls/tls.h"
#include "x509/x509_int.h"

#define HOOK_MAX_CHAIN 10

/* Replaces OpenSSL's chain verification (SSL_CTX_set_cert_verify_callback):
 * the chain the server sent, judged as the device judges it. */
static int verify(X509_STORE_CTX *xs, void *arg)
{
	struct tls_hook *h = arg;
	STACK_OF(X509) *sk = X509_STORE_CTX_get0_untrusted(xs);
	X509 *leaf = X509_STORE_CTX_get0_cert(xs);
	struct pb_judge_opts jo = { h->now, h->name, 1 };
	struct pb_chain *chain = NULL;
	struct pb_verdict *v = NULL;
	X509 **xsv = calloc(HOOK_MAX_CHAIN, sizeof(*xsv));
	char (*bad)[128] = calloc(HOOK_MAX_CHAIN, sizeof(*bad));
	size_t n = 0, i;
	int ok = 0;

	if (!xsv || !bad) {
		free(xsv);
		free(bad);
		X509_STORE_CTX_set_error(xs, X509_V_ERR_OUT_OF_MEM);
		return 0;
	}
	/* the certificates the handshake decoded, shared (not encoded and
	 * decoded again), judged through the engine's cache when given */
	if (!sk && leaf && X509_up_ref(leaf))
		xsv[n++] = leaf;
	for (i = 0; sk && i < (size_t)sk_X509_num(sk) && n < HOOK_MAX_CHAIN; i++)
		if (X509_up_ref(sk_X509_value(sk, (int)i)))
			xsv[n++] = sk_X509_value(sk, (int)i);
	if (!n) {
		free(xsv);
		free(bad);
	} else if (x509_build(xsv, bad, n, 1, h->trust, h->certs, &chain) == PB_OK &&
		   pb_judge(chain, h->profile, &jo, &v) == PB_OK) {
		/* x509_build took xsv and bad, whatever it returned */
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
