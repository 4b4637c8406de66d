/* The CA chain of AD CS web enrollment's certnew.p7b: see certsrv.h. The
 * framing (PEM, DER, bare base64; certificates or PKCS#7) is lib/x509's
 * reader, the one `phoneboot cert` uses; this hands out DER. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "http/certsrv.h"
#include "x509/x509_int.h"

int certsrv_chain_parse(const char *body, size_t len, struct certsrv_chain *out, char *why,
			size_t whylen)
{
	X509 **xs = NULL;
	char (*bad)[128] = NULL, err[256];
	const char *form = x509_form(body, len);
	size_t n = 0, i;
	enum pb_err rc;

	memset(out, 0, sizeof(*out));
	if (!len) {
		snprintf(why, whylen, "an empty answer");
		return -1;
	}
	out->form = !form ? "?" : !strcmp(form, "PEM") ? "base64 (PEM armor)" : form;
	rc = x509_decode(body, len, "the answer", &xs, &bad, &n, err, sizeof(err));
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
