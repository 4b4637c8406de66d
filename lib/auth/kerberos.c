/* Kerberos as Microsoft's SIP clients speak it ([MS-SIPAE] 3.2-3.3, 4.2):
 * the AP-REQ of a GSS-API krb5 context (integrity only, no mutual
 * authentication) in gssapi-data, one round trip.
 *
 *   REGISTER                          -> 401  Kerberos realm, targetname="sip/<fqdn>", version
 *   (the KDC: AS and TGS exchanges for sip/<fqdn>, lib/krb/)
 *   REGISTER  gssapi-data=AP-REQ (v4: crand, cnum, response)
 *                                     -> 200  Authentication-Info: Kerberos rspauth
 *   v3: -> 401 Kerberos opaque; REGISTER opaque, crand, cnum, response -> 200
 *
 * response and rspauth are the hex of GSS MIC tokens (gss_get_mic,
 * gss_verify_mic) over the same signed string as NTLM's. The credentials
 * come from the boot's MEMORY ccache (gss_krb5_import_cred): GSS-API never
 * reaches a KDC itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>

#include "auth/auth.h"
#include "engine/engine.h"
#include "krb/krb.h"
#include "phoneboot/profile.h"
#include "sipae/sipae.h"

#define MAX_TOKEN 49152              /* base64 of an AP-REQ with a large PAC */
#define MAX_MIC 256

struct krb_state {
	int round;                  /* 0, 1 KDC under way, 2 AP-REQ sent, 3 signed request sent */
	struct auth_sa sa;
	struct krb_login *login;    /* our own, or NULL */
	struct krb_login *shared;   /* the device's (its directory step's TGT) */
	void (*resume)(struct step_run *run);
	struct step_run *run;
	enum pb_cause cause;        /* the KDC exchange's outcome */
	char detail[600];
	gss_ctx_id_t gctx;
};

static void on_login(struct krb_login *l, enum pb_cause cause, const char *detail, void *arg)
{
	struct krb_state *st = arg;

	(void)l;
	st->cause = cause;
	snprintf(st->detail, sizeof(st->detail), "%s", detail ? detail : "");
	st->resume(st->run);
}

/* A request's signature: the GSS MIC of its signed string ([MS-SIPAE]
 * 3.2.5.2), in hex. */
static int request_sig(void *state, const char *str, size_t len, char *hex, size_t hexcap,
		       char *why, size_t whylen)
{
	struct krb_state *st = state;
	gss_buffer_desc msg, mic = GSS_C_EMPTY_BUFFER;
	OM_uint32 maj, min, m2;

	msg.value = (void *)str;
	msg.length = len;
	maj = gss_get_mic(&min, st->gctx, GSS_C_QOP_DEFAULT, &msg, &mic);
	if (GSS_ERROR(maj) || mic.length > MAX_MIC || 2 * mic.length + 1 > hexcap) {
		if (GSS_ERROR(maj))
			krb_gss_text(maj, min, why, whylen);
		else
			snprintf(why, whylen, "the MIC is %zu bytes, more than %d", mic.length,
				 MAX_MIC);
		gss_release_buffer(&m2, &mic);
		return -1;
	}
	sipae_hex(mic.value, mic.length, hex);
	gss_release_buffer(&m2, &mic);
	return 0;
}

static enum auth_status resume(void *state, const struct auth_in *in, char *out, size_t outlen,
			       int *credentials, struct auth_err *e);

static enum auth_status first(struct krb_state *st, const struct auth_in *in, char *out,
			      size_t outlen, int *credentials, struct auth_err *e)
{
	char why[300];

	if (!in->password) {
		auth_fail(e, PB_CAUSE_KRB_PREAUTH_FAILED, "no password was given");
		return AUTH_FAIL;
	}
	if (strncasecmp(st->sa.targetname, "sip/", 4) || !st->sa.targetname[4]) {
		snprintf(why, sizeof(why), "the registrar's Kerberos targetname \"%s\" names no "
			 "service principal sip/<FQDN> ([MS-SIPAE] 3.2.1)", st->sa.targetname);
		auth_fail(e, PB_CAUSE_SIP_BAD_RESPONSE, why);
		return AUTH_FAIL;
	}
	st->run = in->run;
	st->resume = in->resume;
	if (krb_login_has_tgt(in->run->dev->krb)) {
		/* the TGT the directory step got: the TGS exchange only */
		enum pb_cause cause = PB_CAUSE_NONE;
		int rc = krb_login_ticket(in->run->dev->krb, in->run, st->sa.targetname, on_login, st,
					  &cause, why, sizeof(why));

		if (rc == 0) {
			st->shared = in->run->dev->krb;
			st->round = 1;
			return AUTH_PENDING;
		}
		if (rc > 0 && cause == PB_CAUSE_NONE) {
			/* the service ticket was in the ccache already (a
			 * redirection back to a registrar of the same name) */
			st->shared = in->run->dev->krb;
			st->round = 1;
			return resume(st, in, out, outlen, credentials, e);
		}
		if (rc > 0) {
			auth_fail(e, cause, why);
			return AUTH_FAIL;
		}
		if (rc == -2) {
			auth_fail(e, PB_CAUSE_NONE, why);
			return AUTH_INTERNAL;   /* the step has ended: nothing more */
		}
		/* no usable TGT: a login of our own */
	}
	if (krb_login_start(in->run, in->user, in->domain, in->password, st->sa.targetname, on_login,
			    st, &st->login, why, sizeof(why)) < 0) {
		auth_fail(e, PB_CAUSE_NONE, why);
		return AUTH_INTERNAL;
	}
	st->round = 1;
	return AUTH_PENDING;
}

/* The KDC has answered: the AP-REQ, and from version 4 the signature of
 * the REGISTER that carries it. */
static enum auth_status resume(void *state, const struct auth_in *in, char *out, size_t outlen,
			       int *credentials, struct auth_err *e)
{
	struct krb_state *st = state;
	OM_uint32 maj, min, m2, flags = 0;
	gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
	gss_name_t target = GSS_C_NO_NAME;
	gss_buffer_desc tok = GSS_C_EMPTY_BUFFER;
	char *b64 = NULL, why[300];
	const char *service;
	struct krb_login *login;
	enum auth_status rc = AUTH_INTERNAL;
	size_t n;

	if (st->cause != PB_CAUSE_NONE) {
		auth_fail(e, st->cause, st->detail);
		return AUTH_FAIL;
	}
	login = st->login ? st->login : st->shared;
	service = krb_login_service(login);
	maj = krb_gss_creds(krb_login_ccache(login), service, &cred, &target, &min);
	if (!GSS_ERROR(maj))
		maj = gss_init_sec_context(&min, cred, &st->gctx, target, (gss_OID)gss_mech_krb5,
					   GSS_C_INTEG_FLAG, 0, GSS_C_NO_CHANNEL_BINDINGS,
					   GSS_C_NO_BUFFER, NULL, &tok, &flags, NULL);
	if (GSS_ERROR(maj) || maj != GSS_S_COMPLETE) {
		krb_gss_text(maj, min, why, sizeof(why));
		snprintf(e->detail, sizeof(e->detail), "GSS-API could not make the AP-REQ for %s: %s",
			 service, why);
		goto out;
	}
	if (!(b64 = malloc(MAX_TOKEN)) ||
	    sipae_b64_encode(tok.value, tok.length, b64, MAX_TOKEN, &n) != SIPAE_OK) {
		snprintf(e->detail, sizeof(e->detail), "the AP-REQ does not fit its buffer");
		goto out;
	}
	step_factf(in->run, "ap_req", "%zu bytes (GSS-API krb5, integrity only)", tok.length);
	/* from version 4 the AP-REQ's own REGISTER is signed (cnum 1) */
	if ((rc = auth_sa_authz(&st->sa, in, b64, st->sa.version >= 4 ? request_sig : NULL, st, out,
				outlen, e)) != AUTH_ANSWER)
		goto out;
	st->round = 2;
	*credentials = 1;
	rc = AUTH_ANSWER;
out:
	gss_release_buffer(&m2, &tok);
	gss_release_name(&m2, &target);
	gss_release_cred(&m2, &cred);
	free(b64);
	return rc;
}

/* A request signed in the security association ([MS-SIPAE] 3.1): the
 * opaque the registrar named (its 401 after an unsigned AP-REQ, or its
 * 200's Authentication-Info), a fresh crand, the next cnum, the MIC. */
static enum auth_status sa_request(struct krb_state *st, const struct auth_in *in, char *out,
				   size_t outlen, struct auth_err *e)
{
	if (st->gctx == GSS_C_NO_CONTEXT || st->round < 2) {
		auth_fail(e, PB_CAUSE_NONE, "no Kerberos security association to sign with");
		return AUTH_INTERNAL;
	}
	return auth_sa_authz(&st->sa, in, NULL, request_sig, st, out, outlen, e);
}

/* Version 3 (or a registrar that answers the AP-REQ with a 401 carrying
 * opaque): the next REGISTER is signed on that security association. */
static enum auth_status signed_request(struct krb_state *st, const struct auth_in *in,
				       const struct sip_challenge *ch, char *out, size_t outlen,
				       struct auth_err *e)
{
	enum auth_status rc;

	snprintf(st->sa.opaque, sizeof(st->sa.opaque), "%s", auth_param(ch, "opaque"));
	if ((rc = sa_request(st, in, out, outlen, e)) == AUTH_ANSWER)
		st->round = 3;
	return rc;
}

static enum auth_status sign(void *state, const struct auth_in *in, char *out, size_t outlen,
			     struct auth_err *e)
{
	return sa_request(state, in, out, outlen, e);
}

static enum auth_status answer(void *state, const struct auth_in *in,
			       const struct sip_challenge *ch, char *out, size_t outlen,
			       int *credentials, struct auth_err *e)
{
	struct krb_state *st = state;

	if (strcasecmp(ch->scheme, "Kerberos")) {
		char why[160];

		snprintf(why, sizeof(why), "the registrar offers %s (SPNEGO), which phoneboot "
			 "does not speak; [MS-SIPAE] clients answer Kerberos", ch->scheme);
		auth_fail(e, PB_CAUSE_SIP_AUTH_SCHEME_UNSUPPORTED, why);
		return AUTH_FAIL;
	}
	if (st->round == 0) {
		auth_sa_start(&st->sa, "Kerberos", ch, in->sipae_version);
		return first(st, in, out, outlen, credentials, e);
	}
	if (st->round == 2 && sip_param(ch, "opaque") && *auth_param(ch, "opaque") && st->gctx)
		return signed_request(st, in, ch, out, outlen, e);
	(void)credentials;
	return AUTH_REFUSED;        /* a fresh challenge after the answer */
}

/* The registrar's 200 proves it holds the session key: rspauth, a MIC
 * over the response's signed string. */
static int verify(void *state, const struct auth_in *in, const struct sip_response *m,
		  struct auth_err *e)
{
	struct krb_state *st = state;
	const struct sip_challenge *ai = &m->auth_info;
	char str[2048], why[200];
	uint8_t sig[MAX_MIC];
	gss_buffer_desc msg, mic;
	OM_uint32 maj = GSS_S_FAILURE, min = 0;
	const char *rspauth;
	size_t n, hl;
	struct span s;

	(void)in;
	if (!(rspauth = auth_sa_rspauth(&st->sa, m, str, sizeof(str), &n, e)))
		return -1;
	hl = strlen(rspauth);
	s.p = rspauth;
	s.len = hl;
	why[0] = '\0';
	if (hl % 2 == 0 && hl / 2 <= sizeof(sig) && sipae_unhex(s, sig, hl / 2) == SIPAE_OK &&
	    st->gctx) {
		msg.value = str;
		msg.length = n;
		mic.value = sig;
		mic.length = hl / 2;
		maj = gss_verify_mic(&min, st->gctx, &msg, &mic, NULL);
		if (maj == GSS_S_COMPLETE) {
			/* the association later requests are signed in */
			if (sip_param(ai, "opaque"))
				snprintf(st->sa.opaque, sizeof(st->sa.opaque), "%s",
					 auth_param(ai, "opaque"));
			return 0;
		}
		krb_gss_text(maj, min, why, sizeof(why));
	}
	snprintf(e->detail, sizeof(e->detail), "the registrar's rspauth %.40s does not verify "
		 "over its %d%s%s: it does not hold the session key", rspauth, m->code,
		 why[0] ? ": " : "", why);
	return -1;
}

static void describe(const struct sip_challenge *ch, char *buf, size_t len)
{
	const char *data = sip_param(ch, "gssapi-data");

	snprintf(buf, len, "realm=\"%s\" targetname=\"%s\" version=%s%s%s", auth_param(ch, "realm"),
		 auth_param(ch, "targetname"), sip_param(ch, "version") ? auth_param(ch, "version") : "(none)",
		 sip_param(ch, "opaque") ? " opaque" : "", data && *data ? " with an AP-REP" : "");
}

static void clear(void *state)
{
	struct krb_state *st = state;
	OM_uint32 m2;

	if (st->gctx != GSS_C_NO_CONTEXT)
		gss_delete_sec_context(&m2, &st->gctx, GSS_C_NO_BUFFER);
	krb_login_cancel(st->shared);   /* the device's: stopped, not freed */
	krb_login_free(st->login);
	explicit_bzero(st, sizeof(*st));
}

const struct auth_mech auth_kerberos = {
	.scheme = "Kerberos",
	.bit = PB_AUTH_KERBEROS,
	.state_size = sizeof(struct krb_state),
	.answer = answer,
	.resume = resume,
	.verify = verify,
	.sign = sign,
	.describe = describe,
	.clear = clear,
};
