/* NTLM as Microsoft's SIP phones speak it ([MS-SIPAE] 3.2-3.3, 4.1):
 * connectionless NTLMv2 ([MS-NLMP], lib/ntlm/) in three rounds.
 *
 *   REGISTER                        -> 401  NTLM realm, targetname, version
 *   REGISTER  gssapi-data=""        -> 401  NTLM opaque, gssapi-data=CHALLENGE
 *   REGISTER  gssapi-data=AUTHENTICATE, opaque (v4: crand, cnum, response)
 *                                   -> 200  Authentication-Info: rspauth
 *
 * No NEGOTIATE_MESSAGE: the empty gssapi-data asks for the CHALLENGE
 * ([MS-SIPAE] 3.2.5.1.1). From version 4 the REGISTER that carries the
 * AUTHENTICATE is signed itself (crand, cnum, response), as OC 2007 R2 did
 * (the capture in pidgin-sipe's tests); the registrar's 200 is always
 * checked (rspauth over its signed string, [MS-SIPAE] 3.2.5.2). The
 * signature's sequence number is always 100 in SIP. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/auth.h"
#include "ntlm/ntlm.h"
#include "phoneboot/profile.h"
#include "sipae/sipae.h"

#define MAX_TOKEN 4096

struct ntlm_state {
	struct ntlm_ctx *ctx;
	int round;                  /* 0 nothing, 1 empty gssapi-data sent, 2 AUTHENTICATE sent */
	struct auth_sa sa;
};

/* The request's signature in the session ([MS-SIPAE] 3.2.5.2; sequence
 * number 100). */
static int request_sig(void *state, const char *str, size_t len, char *hex, size_t hexcap,
		       char *why, size_t whylen)
{
	struct ntlm_state *st = state;
	uint8_t sig[NTLM_SIG_LEN];

	if (hexcap < 2 * NTLM_SIG_LEN + 1 ||
	    ntlm_sign(st->ctx, NTLM_SIPAE_SEQ, str, len, sig) != NTLM_OK) {
		snprintf(why, whylen, "NTLM could not sign");
		return -1;
	}
	sipae_hex(sig, sizeof(sig), hex);
	return 0;
}

static enum auth_status second(struct ntlm_state *st, const struct auth_in *in,
			       const struct sip_challenge *ch, char *out, size_t outlen,
			       int *credentials, struct auth_err *e)
{
	const char *b64 = auth_param(ch, "gssapi-data");
	uint8_t *chal = NULL, *msg = NULL;
	size_t chal_len = 0, msg_len = 0, n;
	struct ntlm_challenge c;
	struct ntlm_auth_opts o;
	char *token = NULL;
	enum auth_status rc = AUTH_FAIL;
	enum ntlm_err ne;

	snprintf(st->sa.opaque, sizeof(st->sa.opaque), "%s", auth_param(ch, "opaque"));
	if (!(chal = malloc(strlen(b64) + 1)) || !(token = malloc(MAX_TOKEN))) {
		auth_fail(e, PB_CAUSE_NONE, "out of memory");
		goto out;
	}
	if (sipae_b64_decode(b64, strlen(b64), chal, strlen(b64) + 1, &chal_len) != SIPAE_OK ||
	    ntlm_parse_challenge(chal, chal_len, &c) != NTLM_OK) {
		auth_fail(e, PB_CAUSE_SIP_BAD_RESPONSE, "the registrar's NTLM CHALLENGE does not "
		     "parse ([MS-NLMP] 2.2.1.2)");
		goto out;
	}
	if (!in->password) {
		auth_fail(e, PB_CAUSE_SIP_AUTH_FAILED, "no password was given");
		goto out;
	}
	memset(&o, 0, sizeof(o));
	o.user = in->user;
	o.password = in->password;
	/* the domain the registrar names (its NetBIOS domain), as a phone
	 * signing in as user@domain answers; else the SIP domain */
	o.domain = c.nb_domain[0] ? c.nb_domain : in->domain;
	o.workstation = "";
	o.flags = in->ntlm_flags ? in->ntlm_flags : NTLM_FLAGS_OC2007R2;
	if ((ne = ntlm_ctx_new(&st->ctx, in->ntlm_crypto)) != NTLM_OK ||
	    (ne = ntlm_authenticate(st->ctx, chal, chal_len, &o, &msg, &msg_len)) != NTLM_OK) {
		char why[200];

		snprintf(why, sizeof(why), "%s: %s", ne == NTLM_ERR_NOMEM || ne == NTLM_ERR_CRYPTO
			 ? "NTLM" : "the registrar's NTLM CHALLENGE cannot be answered",
			 ntlm_strerror(ne));
		auth_fail(e, ne == NTLM_ERR_NOMEM || ne == NTLM_ERR_CRYPTO ? PB_CAUSE_NONE
		     : PB_CAUSE_SIP_BAD_RESPONSE, why);
		goto out;
	}
	if (sipae_b64_encode(msg, msg_len, token, MAX_TOKEN, &n) != SIPAE_OK) {
		auth_fail(e, PB_CAUSE_NONE, "the AUTHENTICATE does not fit its buffer");
		goto out;
	}
	/* from version 4 the AUTHENTICATE's own request is signed (cnum 1) */
	if (auth_sa_authz(&st->sa, in, token, st->sa.version >= 4 ? request_sig : NULL, st, out,
			  outlen, e) != AUTH_ANSWER)
		goto out;
	st->round = 2;
	*credentials = 1;
	rc = AUTH_ANSWER;
out:
	if (rc == AUTH_FAIL && e->cause == PB_CAUSE_NONE)
		rc = AUTH_INTERNAL;
	if (msg)
		explicit_bzero(msg, msg_len);
	free(msg);
	free(chal);
	free(token);
	return rc;
}

static enum auth_status answer(void *state, const struct auth_in *in,
			       const struct sip_challenge *ch, char *out, size_t outlen,
			       int *credentials, struct auth_err *e)
{
	struct ntlm_state *st = state;
	const char *data = sip_param(ch, "gssapi-data");

	if (st->round == 2)
		return AUTH_REFUSED;    /* a fresh challenge after the AUTHENTICATE */
	if (st->round == 0) {
		auth_sa_start(&st->sa, "NTLM", ch, in->sipae_version);
		if (!data || !*data) {
			/* an empty gssapi-data asks for the CHALLENGE */
			enum auth_status rc = auth_sa_authz(&st->sa, in, "", NULL, NULL, out, outlen,
							    e);

			if (rc == AUTH_ANSWER)
				st->round = 1;
			return rc;
		}
	}
	if (!data || !*data) {
		auth_fail(e, PB_CAUSE_SIP_BAD_RESPONSE, "the registrar answered the request for a "
		     "CHALLENGE without one (no gssapi-data)");
		return AUTH_FAIL;
	}
	return second(st, in, ch, out, outlen, credentials, e);
}

/* A later request in the association: opaque, a fresh crand, the next
 * cnum, and the request's signature ([MS-SIPAE] 3.2.5.2); no gssapi-data. */
static enum auth_status sign(void *state, const struct auth_in *in, char *out, size_t outlen,
			     struct auth_err *e)
{
	struct ntlm_state *st = state;

	if (st->round != 2 || !st->ctx) {
		auth_fail(e, PB_CAUSE_NONE, "no NTLM security association to sign with");
		return AUTH_INTERNAL;
	}
	return auth_sa_authz(&st->sa, in, NULL, request_sig, st, out, outlen, e);
}

/* The registrar's 200 proves it holds the session key: rspauth over the
 * response's signed string. */
static int verify(void *state, const struct auth_in *in, const struct sip_response *m,
		  struct auth_err *e)
{
	struct ntlm_state *st = state;
	char str[2048];
	uint8_t sig[NTLM_SIG_LEN];
	const char *rspauth;
	size_t n;
	struct span s;

	(void)in;
	if (!(rspauth = auth_sa_rspauth(&st->sa, m, str, sizeof(str), &n, e)))
		return -1;
	s.p = rspauth;
	s.len = strlen(rspauth);
	if (sipae_unhex(s, sig, sizeof(sig)) != SIPAE_OK ||
	    ntlm_verify(st->ctx, NTLM_SIPAE_SEQ, str, n, sig) != NTLM_OK) {
		snprintf(e->detail, sizeof(e->detail), "the registrar's rspauth %.40s does not "
			 "verify over its %d: it does not hold the session key", rspauth, m->code);
		return -1;
	}
	return 0;
}

static void describe(const struct sip_challenge *ch, char *buf, size_t len)
{
	const char *data = sip_param(ch, "gssapi-data");

	snprintf(buf, len, "realm=\"%s\" targetname=\"%s\" version=%s%s", auth_param(ch, "realm"),
		 auth_param(ch, "targetname"), sip_param(ch, "version") ? auth_param(ch, "version") : "(none)",
		 data && *data ? " with a CHALLENGE" : "");
}

static void clear(void *state)
{
	struct ntlm_state *st = state;

	ntlm_ctx_free(st->ctx);
	explicit_bzero(st, sizeof(*st));
}

const struct auth_mech auth_ntlm = {
	.scheme = "NTLM",
	.bit = PB_AUTH_NTLM,
	.state_size = sizeof(struct ntlm_state),
	.answer = answer,
	.verify = verify,
	.sign = sign,
	.describe = describe,
	.clear = clear,
};
