/* Bounded SIP reader and writer for the lab registrar (see sipmsg.h). */
#include "sipmsg.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* RFC 3261 7.3.3 compact forms */
static const struct { char c; const char *full; } compact[] = {
	{ 'i', "Call-ID" }, { 'f', "From" }, { 't', "To" }, { 'v', "Via" },
	{ 'l', "Content-Length" }, { 'm', "Contact" }, { 'c', "Content-Type" },
	{ 'k', "Supported" }, { 's', "Subject" }, { 'e', "Content-Encoding" },
};

int sip_streq(struct sip_str s, const char *z)
{
	return strlen(z) == s.n && memcmp(s.p, z, s.n) == 0;
}

int sip_strcaseeq(struct sip_str s, const char *z)
{
	return strlen(z) == s.n && strncasecmp(s.p, z, s.n) == 0;
}

struct sip_str sip_trim(struct sip_str s)
{
	while (s.n && (*s.p == ' ' || *s.p == '\t' || *s.p == '\r' || *s.p == '\n')) { s.p++; s.n--; }
	while (s.n && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t' ||
		       s.p[s.n - 1] == '\r' || s.p[s.n - 1] == '\n'))
		s.n--;
	return s;
}

static int name_is(struct sip_str n, const char *want)
{
	if (sip_strcaseeq(n, want))
		return 1;
	if (n.n == 1)
		for (size_t i = 0; i < sizeof compact / sizeof compact[0]; i++)
			if (tolower((unsigned char)n.p[0]) == compact[i].c &&
			    strcasecmp(compact[i].full, want) == 0)
				return 1;
	return 0;
}

const struct sip_str *sip_hdr(const struct sip_msg *m, const char *name, int idx)
{
	for (int i = 0; i < m->nh; i++)
		if (name_is(m->h[i].name, name) && idx-- == 0)
			return &m->h[i].value;
	return NULL;
}

static int is_token(char c)
{
	return isalnum((unsigned char)c) || strchr("-.!%*_+`'~", c) != NULL;
}

/* decimal, at most 9 digits */
static int parse_uint(struct sip_str s, long *out)
{
	long v = 0;
	s = sip_trim(s);
	if (s.n == 0 || s.n > 9)
		return -1;
	for (size_t i = 0; i < s.n; i++) {
		if (!isdigit((unsigned char)s.p[i]))
			return -1;
		v = v * 10 + (s.p[i] - '0');
	}
	*out = v;
	return 0;
}

int sip_parse(const char *data, size_t len, struct sip_msg *m)
{
	const char *end, *p, *eol;
	size_t head;
	long clen = 0;

	memset(m, 0, sizeof *m);
	/* RFC 3261 7.5: CRLFs before a message are keep-alives */
	end = NULL;
	for (size_t i = 0; i + 3 < len && i < SIP_MAX_HEAD; i++)
		if (data[i] == '\r' && data[i + 1] == '\n' && data[i + 2] == '\r' && data[i + 3] == '\n') {
			end = data + i;
			break;
		}
	if (end == NULL)
		return len >= SIP_MAX_HEAD ? -1 : 0;
	head = (size_t)(end - data) + 4;
	for (size_t i = 0; i < head; i++)
		if (data[i] == '\0')
			return -1;
	/* start line */
	eol = memchr(data, '\r', head);
	if (eol == NULL || eol[1] != '\n')
		return -1;
	if ((size_t)(eol - data) > 8 && memcmp(data, "SIP/2.0 ", 8) == 0) {
		struct sip_str code = { data + 8, 3 };
		long st;
		if (eol - data < 11 || parse_uint(code, &st) < 0 || st < 100 || st > 699)
			return -1;
		m->status = (int)st;
		m->reason.p = data + 11;
		m->reason.n = (size_t)(eol - m->reason.p);
	} else {
		const char *sp1 = memchr(data, ' ', (size_t)(eol - data)), *sp2;
		if (sp1 == NULL || sp1 == data)
			return -1;
		for (p = data; p < sp1; p++)
			if (!is_token(*p))
				return -1;
		sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1));
		if (sp2 == NULL || sp2 == sp1 + 1 || eol - sp2 != 8 || memcmp(sp2 + 1, "SIP/2.0", 7) != 0)
			return -1;
		m->request = 1;
		m->method.p = data; m->method.n = (size_t)(sp1 - data);
		m->uri.p = sp1 + 1; m->uri.n = (size_t)(sp2 - sp1 - 1);
	}
	/* headers, with RFC 3261 7.3.1 line folding */
	p = eol + 2;
	while (p < end + 2) {
		const char *colon;
		eol = memchr(p, '\r', (size_t)(end + 2 - p));
		if (eol == NULL || eol[1] != '\n')
			return -1;
		if (eol == p)
			break;
		if (*p == ' ' || *p == '\t') {  /* continuation */
			if (m->nh == 0)
				return -1;
			m->h[m->nh - 1].value.n = (size_t)(eol - m->h[m->nh - 1].value.p);
			p = eol + 2;
			continue;
		}
		if (m->nh == SIP_MAX_HDRS)
			return -1;
		colon = memchr(p, ':', (size_t)(eol - p));
		if (colon == NULL)
			return -1;
		m->h[m->nh].name = sip_trim((struct sip_str){ p, (size_t)(colon - p) });
		if (m->h[m->nh].name.n == 0)
			return -1;
		for (size_t i = 0; i < m->h[m->nh].name.n; i++)
			if (!is_token(m->h[m->nh].name.p[i]))
				return -1;
		m->h[m->nh].value.p = colon + 1;
		m->h[m->nh].value.n = (size_t)(eol - colon - 1);
		m->nh++;
		p = eol + 2;
	}
	for (int i = 0; i < m->nh; i++)
		m->h[i].value = sip_trim(m->h[i].value);
	/* RFC 3261 18.3: Content-Length is mandatory over TCP/TLS; a missing
	 * one is taken as 0 (no body), as most servers do */
	{
		const struct sip_str *cl = sip_hdr(m, "Content-Length", 0);
		if (cl != NULL && (parse_uint(*cl, &clen) < 0 || clen > SIP_MAX_BODY))
			return -1;
	}
	if (len - head < (size_t)clen)
		return 0;
	m->body.p = data + head;
	m->body.n = (size_t)clen;
	m->size = head + (size_t)clen;
	return 1;
}

struct sip_str sip_addr_uri(struct sip_str v)
{
	const char *lt = memchr(v.p, '<', v.n), *gt;
	struct sip_str r = v;
	if (lt != NULL) {
		gt = memchr(lt, '>', v.n - (size_t)(lt - v.p));
		if (gt == NULL)
			return (struct sip_str){ v.p, 0 };
		r.p = lt + 1;
		r.n = (size_t)(gt - lt - 1);
		return r;
	}
	/* addr-spec: no parameters belong to the URI (RFC 3261 20.10) */
	for (size_t i = 0; i < v.n; i++)
		if (v.p[i] == ';' || v.p[i] == ' ') {
			r.n = i;
			break;
		}
	return sip_trim(r);
}

struct sip_str sip_addr_tag(struct sip_str v)
{
	const char *gt = memchr(v.p, '>', v.n);
	const char *s = gt ? gt : v.p, *e = v.p + v.n;
	while (s < e) {
		const char *semi = memchr(s, ';', (size_t)(e - s));
		const char *pe;
		struct sip_str nm;
		if (semi == NULL)
			break;
		s = semi + 1;
		pe = memchr(s, ';', (size_t)(e - s));
		if (pe == NULL)
			pe = e;
		nm = sip_trim((struct sip_str){ s, (size_t)(pe - s) });
		if (nm.n > 4 && strncasecmp(nm.p, "tag=", 4) == 0)
			return (struct sip_str){ nm.p + 4, nm.n - 4 };
	}
	return (struct sip_str){ "", 0 };
}

struct sip_str sip_uri_user(struct sip_str uri)
{
	const char *colon = memchr(uri.p, ':', uri.n), *at;
	if (colon == NULL)
		return (struct sip_str){ "", 0 };
	at = memchr(colon, '@', uri.n - (size_t)(colon - uri.p));
	if (at == NULL)
		return (struct sip_str){ "", 0 };
	return (struct sip_str){ colon + 1, (size_t)(at - colon - 1) };
}

struct sip_str sip_uri_host(struct sip_str uri)
{
	const char *s = memchr(uri.p, '@', uri.n), *e = uri.p + uri.n;
	if (s == NULL)
		s = memchr(uri.p, ':', uri.n);
	if (s == NULL)
		return (struct sip_str){ "", 0 };
	s++;
	for (const char *q = s; q < e; q++)
		if (*q == ':' || *q == ';' || *q == '?' || *q == '>') {
			e = q;
			break;
		}
	return (struct sip_str){ s, (size_t)(e - s) };
}

int sip_cseq(const struct sip_msg *m, struct sip_str *num, struct sip_str *method)
{
	const struct sip_str *v = sip_hdr(m, "CSeq", 0);
	const char *sp;
	long n;
	if (v == NULL)
		return -1;
	sp = memchr(v->p, ' ', v->n);
	if (sp == NULL)
		return -1;
	num->p = v->p;
	num->n = (size_t)(sp - v->p);
	*method = sip_trim((struct sip_str){ sp + 1, v->n - (size_t)(sp + 1 - v->p) });
	if (parse_uint(*num, &n) < 0 || method->n == 0)
		return -1;
	return 0;
}

int sip_auth_parse(struct sip_str v, struct sip_auth *a)
{
	const char *p = v.p, *e = v.p + v.n;
	memset(a, 0, sizeof *a);
	while (p < e && is_token(*p))
		p++;
	a->scheme.p = v.p;
	a->scheme.n = (size_t)(p - v.p);
	if (a->scheme.n == 0)
		return -1;
	for (;;) {
		const char *ns;
		while (p < e && (*p == ' ' || *p == '\t' || *p == ',' || *p == '\r' || *p == '\n'))
			p++;
		if (p >= e)
			return 0;
		if (a->np == SIP_MAX_PARAMS)
			return -1;
		ns = p;
		while (p < e && is_token(*p))
			p++;
		if (p == ns)
			return -1;
		a->p[a->np].name.p = ns;
		a->p[a->np].name.n = (size_t)(p - ns);
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		if (p >= e || *p != '=')
			return -1;
		p++;
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		if (p < e && *p == '"') {
			const char *q = memchr(p + 1, '"', (size_t)(e - p - 1));
			if (q == NULL)
				return -1;
			a->p[a->np].value.p = p + 1;
			a->p[a->np].value.n = (size_t)(q - p - 1);
			a->p[a->np].quoted = 1;
			p = q + 1;
		} else {
			const char *vs = p;
			while (p < e && *p != ',' && *p != ' ' && *p != '\t')
				p++;
			a->p[a->np].value.p = vs;
			a->p[a->np].value.n = (size_t)(p - vs);
		}
		a->np++;
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		if (p < e && *p != ',')
			return -1;
	}
}

const struct sip_str *sip_auth_param(const struct sip_auth *a, const char *name)
{
	for (int i = 0; i < a->np; i++)
		if (sip_strcaseeq(a->p[i].name, name))
			return &a->p[i].value;
	return NULL;
}

void sb_init(struct sbuf *s, char *mem, size_t cap)
{
	s->b = mem; s->cap = cap; s->n = 0; s->overflow = 0;
	if (cap)
		mem[0] = '\0';
}

void sb_printf(struct sbuf *s, const char *fmt, ...)
{
	va_list ap;
	int k;
	if (s->overflow)
		return;
	va_start(ap, fmt);
	k = vsnprintf(s->b + s->n, s->cap - s->n, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= s->cap - s->n) {
		s->overflow = 1;
		s->b[s->n] = '\0';
		return;
	}
	s->n += (size_t)k;
}

void sb_str(struct sbuf *s, struct sip_str v)
{
	if (v.n > 0x7fffffff) {
		s->overflow = 1;
		return;
	}
	sb_printf(s, "%.*s", (int)v.n, v.p);
}

void sb_hex(struct sbuf *s, const unsigned char *p, size_t n, int upper)
{
	for (size_t i = 0; i < n; i++)
		sb_printf(s, upper ? "%02X" : "%02x", p[i]);
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t b64_encode(const unsigned char *in, size_t n, char *out, size_t cap)
{
	size_t o = 0;
	if (cap < ((n + 2) / 3) * 4 + 1)
		return 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n) v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n) v |= in[i + 2];
		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	out[o] = '\0';
	return o;
}

long b64_decode(struct sip_str in, unsigned char *out, size_t cap)
{
	uint32_t acc = 0;
	int bits = 0, pad = 0;
	size_t o = 0;
	for (size_t i = 0; i < in.n; i++) {
		const char *q;
		char c = in.p[i];
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad || c == '\0' || (q = strchr(b64, c)) == NULL)
			return -1;
		acc = (acc << 6) | (uint32_t)(q - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == cap)
				return -1;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	if (pad > 2)
		return -1;
	return (long)o;
}

long hex_decode(struct sip_str in, unsigned char *out, size_t cap)
{
	if (in.n % 2 || in.n / 2 > cap)
		return -1;
	for (size_t i = 0; i < in.n; i += 2) {
		int v = 0;
		for (int k = 0; k < 2; k++) {
			char c = in.p[i + (size_t)k];
			v <<= 4;
			if (c >= '0' && c <= '9') v |= c - '0';
			else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
			else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
			else return -1;
		}
		out[i / 2] = (unsigned char)v;
	}
	return (long)(in.n / 2);
}
