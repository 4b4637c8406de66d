/* SIP response and Digest challenge parsing. See sip.h. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/rd.h"
#include "sip/sip.h"

#define MAX_HEAD 65536
#define MAX_BODY 65536

static bool is_token(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("-.!%*_+`'~", c));
}

static void copy(char *dst, size_t n, struct span s)
{
	size_t k = s.len < n - 1 ? s.len : n - 1;

	memcpy(dst, s.p, k);
	dst[k] = '\0';
}

/* Copy a quoted-string's content into dst, removing the backslash
 * escapes; false when it does not fit. */
static bool copy_unquoted(char *dst, size_t n, struct span s)
{
	size_t i, o = 0;

	for (i = 0; i < s.len; i++) {
		if (o + 1 >= n)
			return false;
		if (s.p[i] == '\\' && i + 1 < s.len)
			i++;
		dst[o++] = s.p[i];
	}
	dst[o] = '\0';
	return true;
}

/* Store name and value in the challenge's own buffer. */
static bool add_param(struct sip_challenge *c, struct span name, struct span val, int quoted)
{
	size_t left = sizeof(c->store) - c->used;

	if (c->n == SIP_MAX_PARAMS || name.len + 1 > left)
		return false;
	memcpy(c->store + c->used, name.p, name.len);
	c->store[c->used + name.len] = '\0';
	c->p[c->n].name = (uint16_t)c->used;
	c->used += name.len + 1;
	left = sizeof(c->store) - c->used;
	if (quoted) {
		if (!copy_unquoted(c->store + c->used, left, val))
			return false;
	} else {
		if (val.len + 1 > left)
			return false;
		memcpy(c->store + c->used, val.p, val.len);
		c->store[c->used + val.len] = '\0';
	}
	c->p[c->n].value = (uint16_t)c->used;
	c->used += strlen(c->store + c->used) + 1;
	c->n++;
	return true;
}

const char *sip_param(const struct sip_challenge *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (!strcasecmp(c->store + c->p[i].name, name))
			return c->store + c->p[i].value;
	return NULL;
}

size_t sip_params(const struct sip_challenge *c, size_t i, const char **name,
		  const char **value)
{
	if (i >= c->n)
		return 0;
	*name = c->store + c->p[i].name;
	*value = c->store + c->p[i].value;
	return c->n;
}

struct sip_kept {
	size_t size;                 /* of this allocation */
	unsigned char bytes[];       /* the challenge up to its store, then
				      * the store's first `used` bytes */
};

struct sip_kept *sip_challenge_keep(const struct sip_challenge *c)
{
	size_t head = offsetof(struct sip_challenge, store);
	size_t used = c->used <= sizeof(c->store) ? c->used : sizeof(c->store);
	struct sip_kept *k = malloc(sizeof(*k) + head + used);

	if (!k)
		return NULL;
	k->size = sizeof(*k) + head + used;
	memcpy(k->bytes, c, head);
	memcpy(k->bytes + head, c->store, used);
	return k;
}

void sip_challenge_unkeep(const struct sip_kept *k, struct sip_challenge *out)
{
	size_t head = offsetof(struct sip_challenge, store);

	memcpy(out, k->bytes, head);
	memcpy(out->store, k->bytes + head, k->size - sizeof(*k) - head);
	out->used = k->size - sizeof(*k) - head;
}

size_t sip_kept_size(const struct sip_kept *k)
{
	return k->size;
}

/* At a challenge's start after a comma (RFC 7235 4.1 allows several
 * challenges in one header, comma-joined): a token that is not followed by
 * "=" (a scheme), then whitespace and more. */
static bool next_challenge(struct rd r)
{
	struct span t = rd_take_while(&r, is_token);
	size_t before = r.off;

	if (t.len == 0)
		return false;
	rd_skip_ws(&r);
	return rd_peek(&r) != '=' && r.off > before && !rd_eof(&r);
}

/* challenge = auth-scheme LWS auth-param *(COMMA auth-param) (RFC 3261
 * 25.1, RFC 7235 2.1), also the bare token68 of RFC 7235; an
 * Authentication-Info value (RFC 7615) has no scheme: its first token is
 * followed by "=". *used: the bytes of value this challenge took (a
 * second, comma-joined challenge starts there). */
int sip_parse_challenge_at(const char *value, size_t len, struct sip_challenge *out,
			   size_t *used)
{
	struct rd r = rd_init(value, len);
	struct span first;

	memset(out, 0, sizeof(*out));
	rd_skip_ws(&r);
	first = rd_take_while(&r, is_token);
	if (first.len == 0 || first.len >= sizeof(out->scheme))
		return -1;
	rd_skip_ws(&r);
	if (rd_peek(&r) == '=') {
		r = rd_init(value, len);        /* no scheme: params from the start */
	} else {
		memcpy(out->scheme, first.p, first.len);
		out->scheme[first.len] = '\0';
	}
	for (;;) {
		struct span name, val;
		int quoted;

		rd_skip_ws(&r);
		if (rd_eof(&r))
			break;
		name = rd_take_while(&r, is_token);
		if (name.len == 0)
			return -1;
		rd_skip_ws(&r);
		if (!rd_take_char(&r, '=')) {
			/* a bare token68 (RFC 7235 2.1): kept as the
			 * parameter "" */
			struct span none = { "", 0 };

			if (!strcasecmp(out->scheme, "Digest") || out->n || !rd_eof(&r) ||
			    !add_param(out, none, name, 0))
				return -1;
			break;
		}
		rd_skip_ws(&r);
		quoted = rd_peek(&r) == '"';
		if (quoted) {
			if (!rd_take_quoted(&r, &val))
				return -1;
		} else {
			/* a token, or a token68 ending in '=' padding */
			val = rd_take_until(&r, ", \t");
		}
		if (!add_param(out, name, val, quoted))
			return -1;
		rd_skip_ws(&r);
		if (rd_eof(&r))
			break;
		if (!rd_take_char(&r, ','))
			return -1;
		rd_skip_ws(&r);
		if (out->scheme[0] && next_challenge(r))
			break;                  /* the next challenge starts here */
	}
	if (used)
		*used = r.off;
	return 0;
}

int sip_parse_challenge(const char *value, size_t len, struct sip_challenge *out)
{
	return sip_parse_challenge_at(value, len, out, NULL);
}

/* Header names, long and compact forms (RFC 3261 7.3.3). */
static bool hname(struct span n, const char *lng, const char *cmp)
{
	return span_ieq(n, lng) || (cmp && span_ieq(n, cmp));
}

static long to_long(struct span s)
{
	unsigned long v;

	return span_to_uint(span_trim(s), 0x7fffffffUL, &v) ? (long)v : -1;
}

static void contact(struct sip_response *m, struct span v)
{
	struct rd r = rd_init(v.p, v.len);
	struct span uri, params;
	const char *lt = memchr(v.p, '<', v.len);

	if (m->contact[0])
		return;              /* the first one */
	if (lt) {
		r.off = (size_t)(lt - v.p) + 1;
		uri = rd_take_until(&r, ">");
		if (!rd_take_char(&r, '>'))
			return;
	} else {
		uri = rd_take_until(&r, ";,");
	}
	copy(m->contact, sizeof(m->contact), span_trim(uri));
	params = rd_take_until(&r, ",");
	{
		struct rd p = rd_init(params.p, params.len);

		while (!rd_eof(&p)) {
			struct span kv;

			rd_take_char(&p, ';');
			kv = span_trim(rd_take_until(&p, ";"));
			if (kv.len > 8 && !strncmp(kv.p, "expires=", 8))
				m->contact_expires = to_long((struct span){ kv.p + 8, kv.len - 8 });
		}
	}
}

/* name-addr / addr-spec with its parameters (RFC 3261 20.20, 20.39):
 * the URI (inside <> when bracketed) and the tag parameter. */
static void name_addr(struct span v, char *uri, size_t ulen, char *tag, size_t tlen)
{
	struct rd r = rd_init(v.p, v.len);
	const char *lt = memchr(v.p, '<', v.len);
	struct span u;

	if (lt) {
		r.off = (size_t)(lt - v.p) + 1;
		u = rd_take_until(&r, ">");
		if (!rd_take_char(&r, '>'))
			return;
	} else {
		u = rd_take_until(&r, ";");
	}
	copy(uri, ulen, span_trim(u));
	while (!rd_eof(&r)) {
		struct span kv;

		rd_take_char(&r, ';');
		kv = span_trim(rd_take_until(&r, ";"));
		if (kv.len > 4 && !strncasecmp(kv.p, "tag=", 4))
			copy(tag, tlen, (struct span){ kv.p + 4, kv.len - 4 });
	}
}

/* P-Asserted-Identity (RFC 3325 9.1): a sip(s) URI and a tel URI, in one
 * header (comma-separated) or two. */
static void asserted(struct sip_response *m, struct span v)
{
	struct rd r = rd_init(v.p, v.len);

	while (!rd_eof(&r)) {
		struct span one = span_trim(rd_take_until(&r, ","));
		char uri[256] = "", tag[8];

		rd_take_char(&r, ',');
		name_addr(one, uri, sizeof(uri), tag, sizeof(tag));
		if (!strncasecmp(uri, "tel:", 4))
			snprintf(m->pai_tel, sizeof(m->pai_tel), "%s", uri);
		else if (uri[0])
			snprintf(m->pai_sip, sizeof(m->pai_sip), "%s", uri);
	}
}

int sip_parse_response(const char *buf, size_t len, struct sip_response *m,
		       char *err, size_t errlen)
{
	struct rd r;
	struct span line, ver, code, body_len = { NULL, 0 };
	size_t head_end = 0, i;
	unsigned long cl, st;
	int have_cl = 0;
	bool seen_warning = false, seen_diag = false;

	/* the head ends at the first empty line */
	for (i = 0; i + 3 < len && i < MAX_HEAD; i++)
		if (!memcmp(buf + i, "\r\n\r\n", 4)) {
			head_end = i + 4;
			break;
		}
	if (!head_end) {
		if (len >= MAX_HEAD) {
			snprintf(err, errlen, "no end of the header within 64 KiB");
			return -1;
		}
		return 0;
	}
	memset(m, 0, sizeof(*m));
	m->contact_expires = m->expires = -1;
	r = rd_init(buf, head_end);
	/* Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF */
	if (!rd_take_line(&r, &line)) {
		snprintf(err, errlen, "no status line");
		return -1;
	}
	{
		struct rd s = rd_init(line.p, line.len);

		ver = rd_take_until(&s, " ");
		if (!span_eq(ver, "SIP/2.0") || !rd_take_char(&s, ' ')) {
			snprintf(err, errlen, "not a SIP/2.0 response");
			return -1;
		}
		code = rd_take_until(&s, " ");
		if (code.len != 3 || !span_to_uint(code, 699, &st) || st < 100) {
			snprintf(err, errlen, "bad status code");
			return -1;
		}
		m->code = (int)st;
		rd_take_char(&s, ' ');
		copy(m->reason, sizeof(m->reason), rd_take_until(&s, ""));
	}
	while (rd_take_line(&r, &line) && line.len) {
		struct rd h = rd_init(line.p, line.len);
		struct span name, v;

		if (line.p[0] == ' ' || line.p[0] == '\t') {
			snprintf(err, errlen, "folded header line (not supported)");
			return -1;
		}
		name = span_trim(rd_take_until(&h, ":"));
		if (!rd_take_char(&h, ':') || name.len == 0) {
			snprintf(err, errlen, "header line without ':'");
			return -1;
		}
		v = span_trim(rd_take_until(&h, ""));
		if (hname(name, "Content-Length", "l")) {
			body_len = v;
			have_cl = 1;
		} else if (hname(name, "Call-ID", "i")) {
			copy(m->call_id, sizeof(m->call_id), v);
		} else if (hname(name, "CSeq", NULL)) {
			struct rd c = rd_init(v.p, v.len);
			unsigned long n;

			if (!span_to_uint(rd_take_until(&c, " "), 0xffffffffUL, &n)) {
				snprintf(err, errlen, "bad CSeq");
				return -1;
			}
			m->cseq = n;
			rd_skip_ws(&c);
			copy(m->cseq_method, sizeof(m->cseq_method), rd_take_until(&c, " "));
		} else if (hname(name, "WWW-Authenticate", NULL) ||
			   hname(name, "Proxy-Authenticate", NULL)) {
			size_t off = 0, used = 0;

			/* one challenge per header, or several comma-joined */
			while (off < v.len && m->n_ch < SIP_MAX_CHALLENGES &&
			       sip_parse_challenge_at(v.p + off, v.len - off, &m->ch[m->n_ch],
						      &used) == 0 && used > 0) {
				m->ch[m->n_ch].proxy = hname(name, "Proxy-Authenticate", NULL);
				m->n_ch++;
				off += used;
			}
			/* what stopped short of the value's end was not read:
			 * the authenticate step says so rather than miss it */
			if (off < v.len && m->n_ch < SIP_MAX_CHALLENGES)
				m->n_ch_bad++;
		} else if (hname(name, "Authentication-Info", NULL) ||
			   hname(name, "Proxy-Authentication-Info", NULL)) {
			m->has_auth_info = sip_parse_challenge(v.p, v.len, &m->auth_info) == 0;
		} else if (hname(name, "Contact", "m")) {
			contact(m, v);
		} else if (hname(name, "Expires", NULL)) {
			m->expires = to_long(v);
			copy(m->expires_s, sizeof(m->expires_s), v);
		} else if (hname(name, "From", "f")) {
			name_addr(v, m->from_uri, sizeof(m->from_uri), m->from_tag, sizeof(m->from_tag));
		} else if (hname(name, "To", "t")) {
			name_addr(v, m->to_uri, sizeof(m->to_uri), m->to_tag, sizeof(m->to_tag));
		} else if (hname(name, "P-Asserted-Identity", NULL)) {
			asserted(m, v);
		} else if (hname(name, "Warning", NULL) || hname(name, "ms-diagnostics", NULL)) {
			/* what the registrar says of a refusal (RFC 3261 20.43;
			 * [MS-SIPRE] ms-diagnostics): the first of each, joined
			 * (OCS puts the reason, e.g. NT_STATUS_ACCOUNT_DISABLED,
			 * in Warning after a generic ms-diagnostics) */
			bool w = hname(name, "Warning", NULL);

			if (!(w ? seen_warning : seen_diag)) {
				size_t at = strlen(m->warning);

				if (at && at + 3 < sizeof(m->warning)) {
					memcpy(m->warning + at, "; ", 3);
					at += 2;
				}
				if (at + 1 < sizeof(m->warning))
					copy(m->warning + at, sizeof(m->warning) - at, v);
			}
			seen_warning |= w;
			seen_diag |= !w;
		} else if (hname(name, "Server", NULL)) {
			copy(m->server, sizeof(m->server), v);
		}
	}
	/* over a stream, Content-Length is mandatory (RFC 3261 18.3) */
	if (!have_cl || !span_to_uint(body_len, MAX_BODY, &cl)) {
		snprintf(err, errlen, "missing or bad Content-Length");
		return -1;
	}
	if (len - head_end < cl)
		return 0;
	m->len = head_end + cl;
	return 1;
}
