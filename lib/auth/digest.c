/* Digest (RFC 7616; RFC 2617 and RFC 3261 22.4 for MD5 without qop):
 * MD5 and SHA-256, -sess, qop=auth, the nonce count, one retry on a
 * stale nonce (RFC 7616 3.3). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth/auth.h"
#include "core/rd.h"
#include "core/rnd.h"
#include "phoneboot/profile.h"
#include "x509/hash.h"

struct digest {
	unsigned nc;                /* nonce count, per nonce */
	int sent, stale_retry;
	char nonce[256];
};

/* Does the qop list ("auth,auth-int") offer "auth"? */
static int offers_auth(const char *qop)
{
	struct rd r;

	if (!qop)
		return 0;
	r = rd_init(qop, strlen(qop));
	while (!rd_eof(&r)) {
		struct span it = span_trim(rd_take_until(&r, ","));

		rd_take_char(&r, ',');
		if (span_ieq(it, "auth"))
			return 1;
	}
	return 0;
}

static const char *param(const struct sip_challenge *ch, const char *name, const char *def)
{
	const char *v = sip_param(ch, name);

	return v ? v : def;
}

int digest_response(const struct sip_challenge *ch, const char *user,
		    const char *password, const char *method, const char *uri,
		    unsigned nc, const char *cnonce, char *out, size_t outlen)
{
	const char *algorithm = param(ch, "algorithm", "MD5");
	const char *realm = param(ch, "realm", ""), *nonce = param(ch, "nonce", "");
	const char *opaque = sip_param(ch, "opaque");
	char ha1[65], ha2[65], resp[65], buf[1024], ncs[9];
	const char *alg;
	int sess, n, qop = offers_auth(sip_param(ch, "qop"));

	if (!strcasecmp(algorithm, "MD5") || !strcasecmp(algorithm, "MD5-sess"))
		alg = "MD5";
	else if (!strcasecmp(algorithm, "SHA-256") || !strcasecmp(algorithm, "SHA-256-sess"))
		alg = "SHA-256";
	else
		return -1;
	sess = strcasestr(algorithm, "-sess") != NULL;
	snprintf(ncs, sizeof(ncs), "%08x", nc);
	n = snprintf(buf, sizeof(buf), "%s:%s:%s", user, realm, password);
	if (n < 0 || (size_t)n >= sizeof(buf) || crypto_hex(alg, buf, (size_t)n, ha1, sizeof(ha1)))
		goto fail;
	if (sess) {
		n = snprintf(buf, sizeof(buf), "%s:%s:%s", ha1, nonce, cnonce);
		if (n < 0 || (size_t)n >= sizeof(buf) ||
		    crypto_hex(alg, buf, (size_t)n, ha1, sizeof(ha1)))
			goto fail;
	}
	n = snprintf(buf, sizeof(buf), "%s:%s", method, uri);
	if (n < 0 || (size_t)n >= sizeof(buf) || crypto_hex(alg, buf, (size_t)n, ha2, sizeof(ha2)))
		goto fail;
	if (qop)
		n = snprintf(buf, sizeof(buf), "%s:%s:%s:%s:auth:%s", ha1, nonce, ncs, cnonce, ha2);
	else
		n = snprintf(buf, sizeof(buf), "%s:%s:%s", ha1, nonce, ha2);
	if (n < 0 || (size_t)n >= sizeof(buf) || crypto_hex(alg, buf, (size_t)n, resp, sizeof(resp)))
		goto fail;
	n = snprintf(out, outlen, "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", "
		     "uri=\"%s\", response=\"%s\", algorithm=%s", user, realm, nonce, uri,
		     resp, algorithm);
	if (n > 0 && (size_t)n < outlen && opaque)
		n += snprintf(out + n, outlen - (size_t)n, ", opaque=\"%s\"", opaque);
	if (n > 0 && (size_t)n < outlen && qop)
		n += snprintf(out + n, outlen - (size_t)n, ", qop=auth, nc=%s, cnonce=\"%s\"",
			      ncs, cnonce);
	/* the password-derived buffers leave no copy behind */
	explicit_bzero(buf, sizeof(buf));
	explicit_bzero(ha1, sizeof(ha1));
	return n > 0 && (size_t)n < outlen ? 0 : -1;
fail:
	explicit_bzero(buf, sizeof(buf));
	explicit_bzero(ha1, sizeof(ha1));
	return -1;
}

static enum auth_status answer(void *state, const struct auth_in *in,
			       const struct sip_challenge *ch, char *out, size_t outlen,
			       int *credentials, struct auth_err *e)
{
	struct digest *st = state;
	const char *nonce = param(ch, "nonce", ""), *stale = sip_param(ch, "stale");
	char cnonce[33];

	if (st->sent) {
		/* a fresh challenge after an answer refuses it, unless the
		 * nonce was only stale (RFC 7616 3.3), once */
		if (!stale || strcasecmp(stale, "true") || st->stale_retry++)
			return AUTH_REFUSED;
	}
	if (!in->password) {
		e->cause = PB_CAUSE_SIP_AUTH_FAILED;
		snprintf(e->detail, sizeof(e->detail), "no password was given");
		return AUTH_FAIL;
	}
	if (strcmp(nonce, st->nonce)) {
		snprintf(st->nonce, sizeof(st->nonce), "%s", nonce);
		st->nc = 0;
	}
	rnd_hex(cnonce, 16);
	if (digest_response(ch, in->user, in->password, in->method, in->uri, ++st->nc, cnonce,
			    out, outlen) != 0) {
		e->cause = PB_CAUSE_SIP_AUTH_SCHEME_UNSUPPORTED;
		snprintf(e->detail, sizeof(e->detail), "Digest algorithm %s is not supported",
			 param(ch, "algorithm", "MD5"));
		return AUTH_FAIL;
	}
	st->sent = 1;
	*credentials = 1;
	return AUTH_ANSWER;
}

static void describe(const struct sip_challenge *ch, char *buf, size_t len)
{
	const char *stale = sip_param(ch, "stale");

	snprintf(buf, len, "realm=\"%s\" algorithm=%s qop=%s%s", param(ch, "realm", ""),
		 param(ch, "algorithm", "MD5"), offers_auth(sip_param(ch, "qop")) ? "auth" : "(none)",
		 stale && !strcasecmp(stale, "true") ? " stale" : "");
}

static void clear(void *state)
{
	explicit_bzero(state, sizeof(struct digest));
}

const struct auth_mech auth_digest = {
	.scheme = "Digest",
	.bit = PB_AUTH_DIGEST,
	.state_size = sizeof(struct digest),
	.answer = answer,
	.verify = NULL,
	.describe = describe,
	.clear = clear,
};
