/* [MS-SIPAE] framing. See sipae.h. */
#include "sipae/sipae.h"

#include <stdio.h>
#include <string.h>

const char *sipae_strerror(enum sipae_err e)
{
	switch (e) {
	case SIPAE_OK: return "ok";
	case SIPAE_ERR_MALFORMED: return "malformed authentication header value";
	case SIPAE_ERR_MISSING: return "required authentication parameter missing";
	case SIPAE_ERR_SPACE: return "output buffer too small";
	case SIPAE_ERR_ARG: return "missing or unusable argument";
	}
	return "unknown sipae error";
}

/* token, RFC 3261 25.1 */
static bool tokenc(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != 0 && strchr("-.!%*_+`'~", c) != NULL);
}

/* ---- writing ---- */

struct buf {
	char *p;
	size_t cap, len;
	bool full;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->full || b->cap - b->len <= n) {
		b->full = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* A value we may send inside quotes: no quote, backslash, CR, LF, NUL. */
static bool quotable(const char *s)
{
	return s && strpbrk(s, "\"\\\r\n") == NULL;
}

static void qparam(struct buf *b, const char *name, const char *v)
{
	puts_(b, ", ");
	puts_(b, name);
	puts_(b, "=\"");
	puts_(b, v);
	puts_(b, "\"");
}

enum sipae_err sipae_authorization(const struct sipae_authz *a, char *out, size_t cap,
				   size_t *outlen)
{
	struct buf b = { out, cap, 0, false };
	char num[16];
	bool sig;
	size_t i;

	if (!a || !out || cap == 0 || !a->scheme || !*a->scheme || !quotable(a->realm) ||
	    !quotable(a->targetname) || (a->gssapi_data && !quotable(a->gssapi_data)) ||
	    (a->opaque && !quotable(a->opaque)))
		return SIPAE_ERR_ARG;
	for (i = 0; a->scheme[i]; i++)
		if (!tokenc((unsigned char)a->scheme[i]))
			return SIPAE_ERR_ARG;
	sig = a->crand || a->cnum || a->response;
	/* signed: a later request in the association (no gssapi-data), or,
	 * from version 4, the AUTHENTICATE's request itself */
	if (sig && ((a->gssapi_data && a->version < 4) || !quotable(a->crand) ||
		    !quotable(a->cnum) ||
		    !quotable(a->response)))
		return SIPAE_ERR_ARG;
	out[0] = '\0';
	puts_(&b, a->scheme);
	puts_(&b, " qop=\"auth\"");
	qparam(&b, "realm", a->realm);
	if (a->opaque)
		qparam(&b, "opaque", a->opaque);
	qparam(&b, "targetname", a->targetname);
	if (a->version) {
		snprintf(num, sizeof(num), "%u", a->version);
		puts_(&b, ", version=");
		puts_(&b, num);
	}
	/* gssapi-data="" on the first REGISTER: no NEGOTIATE_MESSAGE in
	 * connectionless NTLM ([MS-SIPAE] 4.1, [MS-NLMP] 3.1.5.2) */
	if (a->gssapi_data)
		qparam(&b, "gssapi-data", a->gssapi_data);
	if (sig) {
		qparam(&b, "crand", a->crand);
		qparam(&b, "cnum", a->cnum);
		qparam(&b, "response", a->response);
	}
	if (b.full) {
		out[0] = '\0';
		return SIPAE_ERR_SPACE;
	}
	if (outlen)
		*outlen = b.len;
	return SIPAE_OK;
}

static void field(struct buf *b, const char *s)
{
	puts_(b, "<");
	puts_(b, s ? s : "");
	puts_(b, ">");
}

enum sipae_err sipae_signed_string(unsigned version, const struct sipae_sig_fields *f,
				   char *out, size_t cap, size_t *outlen)
{
	struct buf b = { out, cap, 0, false };

	if (!f || !out || cap == 0 || version < 2)
		return SIPAE_ERR_ARG;
	out[0] = '\0';
	field(&b, f->scheme);
	field(&b, f->rand);
	field(&b, f->num);
	field(&b, f->realm);
	field(&b, f->targetname);
	field(&b, f->call_id);
	field(&b, f->cseq_num);
	field(&b, f->cseq_method);
	field(&b, f->from_uri);
	field(&b, f->from_tag);
	if (version >= 3) {
		/* [MS-SIPAE] 3.2.5.2 */
		field(&b, f->to_uri);
		field(&b, f->to_tag);
		field(&b, f->pai_sip_uri);
		field(&b, f->pai_tel_uri);
	} else {
		/* [MS-SIP] 3.1.4.2 */
		field(&b, f->to_tag);
	}
	field(&b, f->expires);
	if (f->status)
		field(&b, f->status);
	if (b.full) {
		out[0] = '\0';
		return SIPAE_ERR_SPACE;
	}
	if (outlen)
		*outlen = b.len;
	return SIPAE_OK;
}

/* ---- base64, RFC 4648 section 4 ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

enum sipae_err sipae_b64_encode(const uint8_t *in, size_t len, char *out, size_t cap,
				size_t *outlen)
{
	size_t i, o = 0, need;

	if ((!in && len) || !out)
		return SIPAE_ERR_ARG;
	if (len > (SIZE_MAX - 1) / 4 * 3 - 3)
		return SIPAE_ERR_SPACE;
	need = (len + 2) / 3 * 4;
	if (cap <= need)
		return SIPAE_ERR_SPACE;
	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
		out[o++] = b64[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;

		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;

		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
		out[o++] = '=';
	}
	out[o] = '\0';
	if (outlen)
		*outlen = o;
	return SIPAE_OK;
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* One pass checks (and measures) or writes, so that out is written only
 * when the whole input is valid and fits. */
static enum sipae_err b64_pass(const char *in, size_t len, uint8_t *out, size_t cap,
			       size_t *outlen)
{
	size_t i, o = 0;

	if (len % 4 != 0)
		return SIPAE_ERR_MALFORMED;
	for (i = 0; i < len; i += 4) {
		int v[4], k, pad = 0;
		uint32_t w;

		for (k = 0; k < 4; k++) {
			v[k] = b64val((unsigned char)in[i + k]);
			if (v[k] < 0) {
				/* '=' only as the last one or two characters */
				if (in[i + k] != '=' || i + 4 != len || k < 2)
					return SIPAE_ERR_MALFORMED;
				pad++;
				v[k] = 0;
			} else if (pad) {
				return SIPAE_ERR_MALFORMED;
			}
		}
		w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
		    (uint32_t)v[3];
		/* the bits padding drops must be zero (canonical encoding) */
		if ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff)))
			return SIPAE_ERR_MALFORMED;
		if (cap - o < (size_t)(3 - pad))
			return SIPAE_ERR_SPACE;
		if (out) {
			out[o] = (uint8_t)(w >> 16);
			if (pad < 2)
				out[o + 1] = (uint8_t)(w >> 8);
			if (pad < 1)
				out[o + 2] = (uint8_t)w;
		}
		o += (size_t)(3 - pad);
	}
	*outlen = o;
	return SIPAE_OK;
}

enum sipae_err sipae_b64_decode(const char *in, size_t len, uint8_t *out, size_t cap,
				size_t *outlen)
{
	size_t n;
	enum sipae_err e;

	if ((!in && len) || (!out && cap) || !outlen)
		return SIPAE_ERR_ARG;
	if ((e = b64_pass(in, len, NULL, cap, &n)) != SIPAE_OK)
		return e;
	b64_pass(in, len, out, cap, &n);
	*outlen = n;
	return SIPAE_OK;
}

void sipae_hex(const uint8_t *in, size_t len, char *out)
{
	static const char h[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = h[in[i] >> 4];
		out[2 * i + 1] = h[in[i] & 15];
	}
	out[2 * len] = '\0';
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

enum sipae_err sipae_unhex(struct span s, uint8_t *out, size_t len)
{
	size_t i;

	if (!out || s.len != 2 * len)
		return SIPAE_ERR_MALFORMED;
	for (i = 0; i < s.len; i++)
		if (hexval((unsigned char)s.p[i]) < 0)
			return SIPAE_ERR_MALFORMED;
	for (i = 0; i < len; i++)
		out[i] = (uint8_t)(hexval((unsigned char)s.p[2 * i]) << 4 |
				   hexval((unsigned char)s.p[2 * i + 1]));
	return SIPAE_OK;
}
