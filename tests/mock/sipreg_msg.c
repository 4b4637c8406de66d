/* The mock registrar's parser and Digest arithmetic. See sipreg_msg.h. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "sipreg.h"
#include "sipreg_msg.h"

#define MAX_HDRS 64

static struct sv sv_trim(struct sv s)
{
	while (s.len && (s.p[0] == ' ' || s.p[0] == '\t'))
		s.p++, s.len--;
	while (s.len && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t' ||
			 s.p[s.len - 1] == '\r' || s.p[s.len - 1] == '\n'))
		s.len--;
	return s;
}

static int sv_ieq(struct sv s, const char *lit)
{
	return s.len == strlen(lit) && !strncasecmp(s.p, lit, s.len);
}

/* Decimal, digits only, <= max. */
static int sv_uint(struct sv s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	if (!s.len || s.len > 10)
		return -1;
	for (i = 0; i < s.len; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s.p[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

static int is_token(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || (c && strchr("-.!%*_+`'~", c));
}

/* ---- requests (RFC 3261 7.1, 7.3; 18.3: Content-Length frames streams) ---- */

/* The long name of a compact form (RFC 3261 7.3.3), or the name itself. */
static struct sv long_name(struct sv n)
{
	static const char *const compact[][2] = {
		{ "v", "Via" }, { "f", "From" }, { "t", "To" }, { "i", "Call-ID" },
		{ "l", "Content-Length" }, { "m", "Contact" },
	};
	size_t i;

	for (i = 0; i < sizeof(compact) / sizeof(compact[0]); i++)
		if (sv_ieq(n, compact[i][0])) {
			struct sv l = { compact[i][1], strlen(compact[i][1]) };
			return l;
		}
	return n;
}

/* Keep the headers a response needs; *slot is where the value went (for
 * folded lines), or NULL. */
static int take_header(struct sipreg_req *r, struct sv name, struct sv val, int *have_clen,
		       unsigned long *clen, struct sv **slot)
{
	struct sv n = long_name(name);

	*slot = NULL;
	if (sv_ieq(n, "Via")) {
		if (r->n_via == SIPREG_MAX_VIA)
			return -1;
		*slot = &r->via[r->n_via++];
	} else if (sv_ieq(n, "From")) {
		*slot = &r->from;
	} else if (sv_ieq(n, "To")) {
		*slot = &r->to;
	} else if (sv_ieq(n, "Call-ID")) {
		*slot = &r->call_id;
	} else if (sv_ieq(n, "CSeq")) {
		*slot = &r->cseq;
	} else if (sv_ieq(n, "Contact")) {
		if (!r->contact.p)
			*slot = &r->contact;
	} else if (sv_ieq(n, "Authorization")) {
		*slot = &r->auth;
	} else if (sv_ieq(n, "Content-Length")) {
		if (*have_clen || sv_uint(val, SIPREG_MAX_MSG, clen) < 0)
			return -1;
		*have_clen = 1;
	}
	if (*slot)
		**slot = val;
	return 0;
}

/* The request line: Method SP Request-URI SP SIP/2.0 (RFC 3261 7.1). */
static int request_line(struct sv line, struct sipreg_req *r)
{
	size_t i = 0, j;

	while (i < line.len && is_token((unsigned char)line.p[i]))
		i++;
	if (!i || i >= line.len || line.p[i] != ' ')
		return -1;
	r->method.p = line.p;
	r->method.len = i;
	j = ++i;
	while (i < line.len && line.p[i] != ' ' && (unsigned char)line.p[i] > ' ')
		i++;
	if (i == j || i >= line.len || line.p[i] != ' ')
		return -1;
	r->uri.p = line.p + j;
	r->uri.len = i - j;
	line.p += i + 1;
	line.len -= i + 1;
	return sv_eq(line, "SIP/2.0") ? 0 : -1;
}

/* Could buf (no line end yet) still start a request line? */
static int may_be_request(const char *buf, size_t len)
{
	size_t i = 0;

	while (i < len && (buf[i] == '\r' || buf[i] == '\n'))
		i++;
	while (i < len && is_token((unsigned char)buf[i]))
		i++;
	return i == len || buf[i] == ' ';
}

int sipreg_parse_request(const char *buf, size_t len, struct sipreg_req *r)
{
	size_t off = 0, nh = 0;
	unsigned long clen = 0;
	int have_clen = 0, first = 1, folding = 0;
	struct sv *last = NULL;

	memset(r, 0, sizeof(*r));
	while (off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);
		const char *colon;
		struct sv line, name, val;
		size_t k;

		if (!nl)
			break;
		line.p = buf + off;
		line.len = (size_t)(nl - line.p);
		off += line.len + 1;
		if (line.len && line.p[line.len - 1] == '\r')
			line.len--;
		if (first) {
			/* RFC 3261 7.5: empty lines before a request are ignored */
			if (!line.len && off <= 4)
				continue;
			if (request_line(line, r) < 0)
				return -1;
			first = 0;
			continue;
		}
		if (!line.len) {            /* the end of the headers */
			/* RFC 3261 18.3: Content-Length is required on streams */
			if (!have_clen || off + clen > SIPREG_MAX_MSG)
				return -1;
			if (len - off < clen)
				return 0;
			r->len = off + clen;
			return 1;
		}
		if (++nh > MAX_HDRS)
			return -1;
		if (line.p[0] == ' ' || line.p[0] == '\t') {
			/* folded (RFC 3261 7.3.1): the value goes on */
			if (!folding)
				return -1;
			if (last)
				last->len = (size_t)(line.p + line.len - last->p);
			continue;
		}
		if (!(colon = memchr(line.p, ':', line.len)))
			return -1;
		name.p = line.p;
		name.len = (size_t)(colon - line.p);
		name = sv_trim(name);
		for (k = 0; k < name.len; k++)
			if (!is_token((unsigned char)name.p[k]))
				return -1;
		if (!name.len || name.p != line.p)
			return -1;
		val.p = colon + 1;
		val.len = line.len - (size_t)(colon - line.p) - 1;
		val = sv_trim(val);
		if (take_header(r, name, val, &have_clen, &clen, &last) < 0)
			return -1;
		folding = 1;
	}
	if (first && !may_be_request(buf + off, len - off))
		return -1;          /* not SIP: no need to wait for more */
	return len >= SIPREG_MAX_MSG ? -1 : 0;
}

/* What a request must carry for a response to be built (RFC 3261 8.1.1). */
int sipreg_request_complete(const struct sipreg_req *r)
{
	struct sv num = r->cseq, meth;
	long sp = -1;
	size_t i;
	unsigned long n;

	if (!r->n_via || !r->from.len || !r->to.len || !r->call_id.len || !r->cseq.len)
		return 0;
	for (i = 0; i < num.len; i++)
		if (num.p[i] == ' ' || num.p[i] == '\t') {
			sp = (long)i;
			break;
		}
	if (sp < 0)
		return 0;
	num.len = (size_t)sp;
	meth.p = r->cseq.p + sp;
	meth.len = r->cseq.len - (size_t)sp;
	meth = sv_trim(meth);
	/* RFC 3261 8.1.1.5: the number fits 32 bits, the method matches */
	return sv_uint(num, 0xffffffffUL, &n) == 0 && meth.len == r->method.len &&
		!memcmp(meth.p, r->method.p, meth.len);
}

/* ---- Digest (RFC 7616 3.4, RFC 2617 3.2.2), computed here with EVP ---- */

static int md5_hex(const char *const *parts, size_t n, char out[33])
{
	static const char hex[] = "0123456789abcdef";
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dl = 0, i;
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_md5(), NULL);
	size_t k;

	for (k = 0; ok && k < n; k++)
		ok = (!k || EVP_DigestUpdate(ctx, ":", 1)) &&
			EVP_DigestUpdate(ctx, parts[k], strlen(parts[k]));
	ok = ok && EVP_DigestFinal_ex(ctx, d, &dl) && dl == 16;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -1;
	for (i = 0; i < 16; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[32] = '\0';
	return 0;
}

int sipreg_digest_md5(const char *user, const char *realm, const char *password,
		      const char *method, const char *uri, const char *nonce,
		      const char *nc, const char *cnonce, const char *qop,
		      char out[33])
{
	char ha1[33], ha2[33];
	const char *a1[] = { user, realm, password };
	const char *a2[] = { method, uri };

	if (md5_hex(a1, 3, ha1) < 0 || md5_hex(a2, 2, ha2) < 0)
		return -1;
	if (qop) {
		const char *kd[] = { ha1, nonce, nc, cnonce, qop, ha2 };
		return md5_hex(kd, 6, out);
	} else {
		const char *kd[] = { ha1, nonce, ha2 };
		return md5_hex(kd, 3, out);
	}
}

/* RFC 7616 3.4 */
int sipreg_parse_digest(struct sv v, struct sipreg_dauth *a)
{
	static const struct { const char *name; size_t off, cap; } known[] = {
#define K(f) { #f, offsetof(struct sipreg_dauth, f), sizeof(((struct sipreg_dauth *)0)->f) }
		K(username), K(realm), K(nonce), K(uri), K(response),
		K(algorithm), K(cnonce), K(qop), K(nc),
#undef K
	};
	size_t i = 0, round;

	memset(a, 0, sizeof(*a));
	if (v.len < 7 || strncasecmp(v.p, "Digest", 6) || (v.p[6] != ' ' && v.p[6] != '\t'))
		return -1;
	i = 7;
	for (round = 0; round < 32; round++) {
		char val[256];
		size_t vl = 0, ns, nl, k;

		while (i < v.len && strchr(" \t\r\n,", v.p[i]))
			i++;
		if (i >= v.len)
			return 0;
		ns = i;
		while (i < v.len && is_token((unsigned char)v.p[i]))
			i++;
		nl = i - ns;
		while (i < v.len && (v.p[i] == ' ' || v.p[i] == '\t'))
			i++;
		if (!nl || i >= v.len || v.p[i] != '=')
			return -1;
		i++;
		while (i < v.len && (v.p[i] == ' ' || v.p[i] == '\t'))
			i++;
		if (i < v.len && v.p[i] == '"') {
			for (i++; i < v.len && v.p[i] != '"'; i++) {
				if (v.p[i] == '\\' && ++i >= v.len)
					return -1;
				if (vl + 1 >= sizeof(val))
					return -1;
				val[vl++] = v.p[i];
			}
			if (i >= v.len)
				return -1;  /* unterminated */
			i++;
		} else {
			while (i < v.len && is_token((unsigned char)v.p[i])) {
				if (vl + 1 >= sizeof(val))
					return -1;
				val[vl++] = v.p[i++];
			}
			if (!vl)
				return -1;
		}
		val[vl] = '\0';
		for (k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
			char *dst = (char *)a + known[k].off;

			if (strlen(known[k].name) != nl || strncasecmp(known[k].name, v.p + ns, nl))
				continue;
			if (dst[0] || vl + 1 > known[k].cap || !vl)
				return -1;
			memcpy(dst, val, vl + 1);
		}
	}
	return -1;
}
