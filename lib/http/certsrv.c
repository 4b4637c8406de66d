/* The CA chain of AD CS web enrollment's certnew.p7b: see certsrv.h. The
 * framing (PEM, DER, PKCS#7) is lib/x509's reader, the one `phoneboot
 * cert` uses; this adds base64 without armor and hands out DER. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "http/certsrv.h"
#include "x509/x509_int.h"

/* Base64 and white space only, at least one base64 character. */
static int bare_base64(const char *s, size_t len)
{
	size_t i, chars = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '+' || c == '/' || c == '=')
			chars++;
		else if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
			return 0;
	}
	return chars > 0;
}

/* Decoded bytes of bare base64 (malloc'd), or NULL. */
static unsigned char *unbase64(const char *s, size_t len, size_t *outlen)
{
	EVP_ENCODE_CTX *ctx = EVP_ENCODE_CTX_new();
	unsigned char *buf = malloc(len / 4 * 3 + 4);
	int n1 = 0, n2 = 0;

	if (!ctx || !buf || len > (size_t)0x7fffffff)
		goto fail;
	EVP_DecodeInit(ctx);
	if (EVP_DecodeUpdate(ctx, buf, &n1, (const unsigned char *)s, (int)len) < 0 ||
	    EVP_DecodeFinal(ctx, buf + n1, &n2) < 0 || n1 + n2 == 0)
		goto fail;
	EVP_ENCODE_CTX_free(ctx);
	*outlen = (size_t)(n1 + n2);
	return buf;
fail:
	EVP_ENCODE_CTX_free(ctx);
	free(buf);
	return NULL;
}

static int has_armor(const char *s, size_t len)
{
	static const char tag[] = "-----BEGIN ";
	size_t i;

	for (i = 0; i + sizeof(tag) - 1 <= len; i++)
		if (!memcmp(s + i, tag, sizeof(tag) - 1))
			return 1;
	return 0;
}

int certsrv_chain_parse(const char *body, size_t len, struct certsrv_chain *out, char *why,
			size_t whylen)
{
	X509 **xs = NULL;
	char (*bad)[128] = NULL, err[256];
	unsigned char *raw = NULL;
	const void *data = body;
	size_t n = 0, i, rawlen = len;
	enum pb_err rc;

	memset(out, 0, sizeof(*out));
	if (!len) {
		snprintf(why, whylen, "an empty answer");
		return -1;
	}
	if (has_armor(body, len)) {
		out->form = "base64 (PEM armor)";
	} else if ((unsigned char)body[0] == 0x30) {
		out->form = "DER";
	} else if (bare_base64(body, len)) {
		if (!(raw = unbase64(body, len, &rawlen))) {
			snprintf(why, whylen, "the answer is not valid base64");
			return -1;
		}
		data = raw;
		out->form = "base64";
	} else {
		snprintf(why, whylen, "the answer is neither base64 nor DER (an HTML page?)");
		return -1;
	}
	rc = x509_decode(data, rawlen, "the answer", &xs, &bad, &n, err, sizeof(err));
	free(raw);
	if (rc != PB_OK) {
		snprintf(why, whylen, "%s", rc == PB_ERR_NOMEM ? "out of memory" : err);
		return -1;
	}
	for (i = 0; i < n; i++) {
		int dl;
		unsigned char *d = NULL, *p;

		if (!xs[i])
			continue;
		if (out->n == CERTSRV_MAX_CERTS) {
			out->more = 1;
			continue;
		}
		if ((dl = i2d_X509(xs[i], NULL)) <= 0 || !(d = malloc((size_t)dl)) ||
		    (p = d, i2d_X509(xs[i], &p) != dl)) {
			free(d);
			snprintf(why, whylen, "out of memory");
			goto fail;
		}
		out->der[out->n] = d;
		out->der_len[out->n++] = (size_t)dl;
	}
	if (!out->n) {
		snprintf(why, whylen, "no certificate in the answer%s%s", n && bad[0][0] ? ": " : "",
			 n && bad[0][0] ? bad[0] : "");
		goto fail;
	}
	for (i = 0; i < n; i++)
		X509_free(xs[i]);
	free(xs);
	free(bad);
	return 0;
fail:
	for (i = 0; i < n; i++)
		X509_free(xs[i]);
	free(xs);
	free(bad);
	certsrv_chain_free(out);
	return -1;
}

void certsrv_chain_free(struct certsrv_chain *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->der[i]);
		c->der[i] = NULL;
	}
	c->n = 0;
}
