/* Certificate input: PEM (RFC 7468) framing read by hand so that a
 * truncated file is named as such; DER certificates and PKCS#7 bundles. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "core/rd.h"
#include "x509/x509_int.h"

struct sink {
	X509 **xs;
	char (*bad)[128];
	size_t n, cap;
};

static int push(struct sink *s, X509 *x, const char *bad)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		X509 **xs;
		char (*b)[128];

		if (cap > 4096)
			return -1;
		if (!(xs = realloc(s->xs, cap * sizeof(*xs))))
			return -1;
		s->xs = xs;
		if (!(b = realloc(s->bad, cap * sizeof(*b))))
			return -1;
		s->bad = b;
		s->cap = cap;
	}
	s->xs[s->n] = x;
	snprintf(s->bad[s->n], sizeof(s->bad[0]), "%s", bad ? bad : "");
	s->n++;
	return 0;
}

/* 1 added, 0 not PKCS#7, -1 no memory */
static int add_pkcs7(struct sink *s, const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	PKCS7 *p7 = d2i_PKCS7(NULL, &p, (long)len);
	STACK_OF(X509) *certs = NULL;
	int i, rc = 1;

	if (!p7)
		return 0;
	if (OBJ_obj2nid(p7->type) == NID_pkcs7_signed && p7->d.sign)
		certs = p7->d.sign->cert;
	else if (OBJ_obj2nid(p7->type) == NID_pkcs7_signedAndEnveloped &&
		 p7->d.signed_and_enveloped)
		certs = p7->d.signed_and_enveloped->cert;
	for (i = 0; certs && i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);

		if (!X509_up_ref(x) || push(s, x, NULL) < 0) {
			rc = -1;
			break;
		}
	}
	PKCS7_free(p7);
	return rc;
}

static X509 *der_cert(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);

	if (x && (size_t)(p - der) != len) {   /* trailing bytes */
		X509_free(x);
		return NULL;
	}
	return x;
}

static int base64(struct span b, unsigned char **out, size_t *outlen)
{
	EVP_ENCODE_CTX *ctx = EVP_ENCODE_CTX_new();
	unsigned char *buf = malloc(b.len / 4 * 3 + 4);
	int n1 = 0, n2 = 0, rc = -1;

	if (!ctx || !buf)
		goto out;
	EVP_DecodeInit(ctx);
	if (EVP_DecodeUpdate(ctx, buf, &n1, (const unsigned char *)b.p, (int)b.len) < 0)
		goto out;
	if (EVP_DecodeFinal(ctx, buf + n1, &n2) < 0)
		goto out;
	*out = buf;
	*outlen = (size_t)(n1 + n2);
	buf = NULL;
	rc = 0;
out:
	EVP_ENCODE_CTX_free(ctx);
	free(buf);
	return rc;
}

static int starts(struct span l, const char *lit)
{
	size_t n = strlen(lit);

	return l.len >= n && !memcmp(l.p, lit, n);
}

/* Returns PB_OK, or PB_ERR_PARSE with err for a truncated frame. */
static enum pb_err pem(struct sink *s, const char *data, size_t len,
		       const char *name, char *err, size_t errlen)
{
	struct rd r = rd_init(data, len);
	struct span line;
	unsigned lineno = 0;

	while (!rd_eof(&r)) {
		struct span label, body;
		unsigned begin;
		size_t body_off;
		int found_end = 0;

		if (!rd_take_line(&r, &line)) {
			line = rd_take_until(&r, "");   /* last line, no newline */
		}
		lineno++;
		if (!starts(line, "-----BEGIN "))
			continue;
		begin = lineno;
		label.p = line.p + 11;
		label.len = line.len >= 16 ? line.len - 16 : 0;  /* strip "-----" */
		body_off = r.off;
		body.p = r.p + r.off;
		body.len = 0;
		while (!rd_eof(&r)) {
			size_t here = r.off;

			if (!rd_take_line(&r, &line))
				line = rd_take_until(&r, "");
			lineno++;
			if (starts(line, "-----END ")) {
				body.len = here - body_off;
				found_end = 1;
				break;
			}
		}
		if (!found_end) {
			snprintf(err, errlen, "%s: truncated PEM: the BEGIN line %u has "
				 "no END line", name, begin);
			return PB_ERR_PARSE;
		}
		if (span_eq(label, "CERTIFICATE") || span_eq(label, "X509 CERTIFICATE") ||
		    span_eq(label, "TRUSTED CERTIFICATE") || span_eq(label, "PKCS7") ||
		    span_eq(label, "CERTIFICATE CHAIN")) {
			unsigned char *der = NULL;
			size_t dlen = 0;
			char why[128];
			X509 *x = NULL;
			int p7 = 0;

			if (base64(body, &der, &dlen) < 0) {
				snprintf(why, sizeof(why), "PEM block at line %u is not "
					 "valid base64", begin);
				if (push(s, NULL, why) < 0)
					return PB_ERR_NOMEM;
				continue;
			}
			if (span_eq(label, "TRUSTED CERTIFICATE")) {
				const unsigned char *p = der;
				x = d2i_X509_AUX(NULL, &p, (long)dlen);
			} else if (!span_eq(label, "PKCS7")) {
				x = der_cert(der, dlen);
			}
			if (!x)
				p7 = add_pkcs7(s, der, dlen);
			free(der);
			if (p7 < 0)
				return PB_ERR_NOMEM;
			if (x && push(s, x, NULL) < 0) {
				X509_free(x);
				return PB_ERR_NOMEM;
			}
			if (!x && !p7) {
				snprintf(why, sizeof(why), "PEM block at line %u does not "
					 "decode as an X.509 certificate", begin);
				if (push(s, NULL, why) < 0)
					return PB_ERR_NOMEM;
			}
		}
	}
	return PB_OK;
}

static int has_pem(const char *data, size_t len)
{
	static const char tag[] = "-----BEGIN ";
	size_t i;

	for (i = 0; i + sizeof(tag) - 1 <= len; i++)
		if (!memcmp(data + i, tag, sizeof(tag) - 1))
			return 1;
	return 0;
}

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

const char *x509_form(const void *data, size_t len)
{
	if (!len)
		return NULL;
	if (has_pem(data, len))
		return "PEM";
	if (((const unsigned char *)data)[0] == 0x30)
		return "DER";
	if (bare_base64(data, len))
		return "base64";
	return NULL;
}

enum pb_err x509_decode(const void *data, size_t len, const char *name,
			X509 ***xs, char (**bad)[128], size_t *n,
			char *err, size_t errlen)
{
	struct sink s = { NULL, NULL, 0, 0 };
	const unsigned char *u = data;
	enum pb_err rc = PB_ERR_PARSE;
	size_t i;

	if (len == 0) {
		snprintf(err, errlen, "%s: empty file", name);
		goto out;
	}
	if (!x509_form(data, len)) {
		snprintf(err, errlen, "%s: not a certificate file (neither PEM, DER nor base64)",
			 name);
		goto out;
	}
	if (!strcmp(x509_form(data, len), "base64")) {
		struct span b64 = { data, len };
		unsigned char *der = NULL;
		size_t dlen = 0;

		if (base64(b64, &der, &dlen) < 0 || dlen == 0 || der[0] != 0x30) {
			free(der);
			snprintf(err, errlen, "%s: base64 that decodes to no DER", name);
			goto out;
		}
		rc = x509_decode(der, dlen, name, xs, bad, n, err, errlen);
		free(der);
		return rc;
	}
	if (has_pem(data, len)) {
		if ((rc = pem(&s, data, len, name, err, errlen)) != PB_OK)
			goto out;
		rc = PB_ERR_PARSE;
		if (s.n == 0) {
			snprintf(err, errlen, "%s: PEM file without a certificate", name);
			goto out;
		}
	} else if (u[0] == 0x30) {
		X509 *x = der_cert(u, len);
		int p7 = 0;

		if (x && push(&s, x, NULL) < 0) {
			X509_free(x);
			rc = PB_ERR_NOMEM;
			goto out;
		}
		if (!x && (p7 = add_pkcs7(&s, u, len)) < 0) {
			rc = PB_ERR_NOMEM;
			goto out;
		}
		if (!x && !p7) {
			snprintf(err, errlen, "%s: DER data is not a certificate or PKCS#7 "
				 "bundle (truncated or corrupt)", name);
			goto out;
		}
		if (s.n == 0) {
			snprintf(err, errlen, "%s: PKCS#7 bundle without a certificate", name);
			goto out;
		}
	}
	*xs = s.xs;
	*bad = s.bad;
	*n = s.n;
	s.xs = NULL;
	s.bad = NULL;
	s.n = 0;
	rc = PB_OK;
out:
	for (i = 0; i < s.n; i++)
		X509_free(s.xs[i]);
	free(s.xs);
	free(s.bad);
	return rc;
}
