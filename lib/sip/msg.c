/* SIP response and Digest challenge parsing. See sip.h. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/rd.h"
#include "sip/sip.h"
#include "x509/hash.h"

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

/* Copy a quoted-string's content, removing the backslash escapes. */
static void copy_unquoted(char *dst, size_t n, struct span s)
{
	size_t i, o = 0;

	for (i = 0; i < s.len && o + 1 < n; i++) {
		if (s.p[i] == '\\' && i + 1 < s.len)
			i++;
		dst[o++] = s.p[i];
	}
	dst[o] = '\0';
}

int sip_parse_challenge(const char *value, size_t len, struct sip_challenge *out)
{
	struct rd r = rd_init(value, len);
	struct span scheme;

	memset(out, 0, sizeof(*out));
	rd_skip_ws(&r);
	scheme = rd_take_while(&r, is_token);
	if (scheme.len == 0 || scheme.len >= sizeof(out->scheme))
		return -1;
	copy(out->scheme, sizeof(out->scheme), scheme);
	snprintf(out->algorithm, sizeof(out->algorithm), "MD5");
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
			/* NTLM/Kerberos challenges may carry a bare token68 */
			if (!span_ieq(scheme, "Digest"))
				return 0;
			return -1;
		}
		rd_skip_ws(&r);
		quoted = rd_peek(&r) == '"';
		if (quoted) {
			if (!rd_take_quoted(&r, &val))
				return -1;
		} else {
			val = rd_take_while(&r, is_token);
			if (val.len == 0)
				return -1;
		}
		if (span_ieq(name, "realm"))
			copy_unquoted(out->realm, sizeof(out->realm), val);
		else if (span_ieq(name, "nonce"))
			copy_unquoted(out->nonce, sizeof(out->nonce), val);
		else if (span_ieq(name, "opaque"))
			copy_unquoted(out->opaque, sizeof(out->opaque), val);
		else if (span_ieq(name, "algorithm"))
			copy_unquoted(out->algorithm, sizeof(out->algorithm), val);
		else if (span_ieq(name, "stale"))
			out->stale = span_ieq(val, "true");
		else if (span_ieq(name, "qop")) {
			/* a quoted list: "auth,auth-int" */
			struct rd q = rd_init(val.p, val.len);

			out->qop_present = 1;
			while (!rd_eof(&q)) {
				struct span it = span_trim(rd_take_until(&q, ","));
				rd_take_char(&q, ',');
				if (span_ieq(it, "auth"))
					out->qop_auth = 1;
			}
		}
		rd_skip_ws(&r);
		if (!rd_take_char(&r, ',') && !rd_eof(&r))
			return -1;
	}
	return 0;
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

int sip_parse_response(const char *buf, size_t len, struct sip_response *m,
		       char *err, size_t errlen)
{
	struct rd r;
	struct span line, ver, code, body_len = { NULL, 0 };
	size_t head_end = 0, i;
	unsigned long cl, st;
	int have_cl = 0;

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
			if (m->n_ch < SIP_MAX_CHALLENGES &&
			    sip_parse_challenge(v.p, v.len, &m->ch[m->n_ch]) == 0) {
				m->ch[m->n_ch].proxy = hname(name, "Proxy-Authenticate", NULL);
				m->n_ch++;
			}
		} else if (hname(name, "Contact", "m")) {
			contact(m, v);
		} else if (hname(name, "Expires", NULL)) {
			m->expires = to_long(v);
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

int sip_digest_answer(const struct sip_challenge *ch, const char *user,
		      const char *password, const char *method, const char *uri,
		      unsigned nc, const char *cnonce, char *out, size_t outlen)
{
	char ha1[65], ha2[65], resp[65], buf[1024], ncs[9];
	const char *alg;
	int sess, n;

	if (!strcasecmp(ch->algorithm, "MD5") || !strcasecmp(ch->algorithm, "MD5-sess"))
		alg = "MD5";
	else if (!strcasecmp(ch->algorithm, "SHA-256") || !strcasecmp(ch->algorithm, "SHA-256-sess"))
		alg = "SHA-256";
	else
		return -1;
	sess = strstr(ch->algorithm, "-sess") || strstr(ch->algorithm, "-SESS");
	snprintf(ncs, sizeof(ncs), "%08x", nc);
	n = snprintf(buf, sizeof(buf), "%s:%s:%s", user, ch->realm, password);
	if (n < 0 || (size_t)n >= sizeof(buf) || crypto_hex(alg, buf, (size_t)n, ha1, sizeof(ha1)))
		return -1;
	if (sess) {
		n = snprintf(buf, sizeof(buf), "%s:%s:%s", ha1, ch->nonce, cnonce);
		if (n < 0 || (size_t)n >= sizeof(buf) || crypto_hex(alg, buf, (size_t)n, ha1, sizeof(ha1)))
			return -1;
	}
	n = snprintf(buf, sizeof(buf), "%s:%s", method, uri);
	if (n < 0 || (size_t)n >= sizeof(buf) || crypto_hex(alg, buf, (size_t)n, ha2, sizeof(ha2)))
		return -1;
	if (ch->qop_auth)
		n = snprintf(buf, sizeof(buf), "%s:%s:%s:%s:auth:%s", ha1, ch->nonce, ncs, cnonce, ha2);
	else
		n = snprintf(buf, sizeof(buf), "%s:%s:%s", ha1, ch->nonce, ha2);
	if (n < 0 || (size_t)n >= sizeof(buf) || crypto_hex(alg, buf, (size_t)n, resp, sizeof(resp)))
		return -1;
	n = snprintf(out, outlen, "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", "
		     "uri=\"%s\", response=\"%s\", algorithm=%s", user, ch->realm,
		     ch->nonce, uri, resp, ch->algorithm);
	if (n > 0 && (size_t)n < outlen && ch->opaque[0])
		n += snprintf(out + n, outlen - (size_t)n, ", opaque=\"%s\"", ch->opaque);
	if (n > 0 && (size_t)n < outlen && ch->qop_auth)
		n += snprintf(out + n, outlen - (size_t)n, ", qop=auth, nc=%s, cnonce=\"%s\"",
			      ncs, cnonce);
	/* the password-derived buffers leave no copy behind */
	explicit_bzero(buf, sizeof(buf));
	explicit_bzero(ha1, sizeof(ha1));
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}
