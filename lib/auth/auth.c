/* The table of mechanisms and the scheme names. See auth.h. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth/auth.h"
#include "core/rnd.h"
#include "phoneboot/profile.h"
#include "sipae/sipae.h"

/* Strongest first: Kerberos, then the certificate schemes, NTLM, Digest
 * ([MS-SIPAE] 3.2.1: a client uses Kerberos where it can, NTLM
 * otherwise; TLS-DSK is the certificate scheme of Lync clients). */
const unsigned auth_preference[] = {
	PB_AUTH_KERBEROS, PB_AUTH_TLS_DSK, PB_AUTH_CERTIFICATE, PB_AUTH_NTLM,
	PB_AUTH_DIGEST, 0,
};

unsigned auth_scheme_bit(const char *s)
{
	if (!strcasecmp(s, "Digest"))
		return PB_AUTH_DIGEST;
	if (!strcasecmp(s, "NTLM"))
		return PB_AUTH_NTLM;
	if (!strcasecmp(s, "Kerberos") || !strcasecmp(s, "Negotiate"))
		return PB_AUTH_KERBEROS;
	if (!strcasecmp(s, "TLS-DSK"))
		return PB_AUTH_TLS_DSK;
	return 0;
}

const struct auth_mech *auth_mech_of(unsigned bit)
{
	switch (bit) {
	case PB_AUTH_DIGEST:
		return &auth_digest;
	case PB_AUTH_NTLM:
		return &auth_ntlm;
	case PB_AUTH_KERBEROS:
		return &auth_kerberos;
	case PB_AUTH_TLS_DSK:
		return &auth_tlsdsk;
	default:
		return NULL;
	}
}

const char *auth_param(const struct sip_challenge *ch, const char *name)
{
	const char *v = sip_param(ch, name);

	return v ? v : "";
}

unsigned auth_sipae_version(const struct sip_challenge *ch, unsigned device)
{
	const char *v = sip_param(ch, "version");
	unsigned server = 2;

	if (v && v[0] >= '3' && v[0] <= '9' && !v[1])
		server = v[0] >= '4' ? 4 : 3;
	if (device >= 2 && device < server)
		return device;
	return server;
}

void auth_fail(struct auth_err *e, enum pb_cause c, const char *detail)
{
	e->cause = c;
	snprintf(e->detail, sizeof(e->detail), "%s", detail);
}

int auth_request_string(const char *scheme, unsigned version, const char *rand, unsigned num,
			const char *realm, const char *targetname, const struct auth_in *in,
			char *str, size_t cap, size_t *len)
{
	struct sipae_sig_fields f;
	char cseq[16], cnum[16];

	snprintf(cseq, sizeof(cseq), "%u", in->cseq);
	snprintf(cnum, sizeof(cnum), "%u", num);
	memset(&f, 0, sizeof(f));
	f.scheme = scheme;
	f.rand = rand;
	f.num = cnum;
	f.realm = realm;
	f.targetname = targetname;
	f.call_id = in->call_id;
	f.cseq_num = cseq;
	f.cseq_method = in->method;
	f.from_uri = in->from_uri;
	f.from_tag = in->from_tag;
	f.to_uri = in->to_uri;
	f.to_tag = in->to_tag;
	f.expires = in->expires;
	return sipae_signed_string(version, &f, str, cap, len) == SIPAE_OK ? 0 : -1;
}

int auth_response_string(const char *scheme, unsigned version, const char *realm,
			 const char *targetname, const struct sip_response *m, char *str,
			 size_t cap, size_t *len)
{
	struct sipae_sig_fields f;
	char cseq[24], status[8];

	snprintf(cseq, sizeof(cseq), "%lu", m->cseq);
	snprintf(status, sizeof(status), "%d", m->code);
	memset(&f, 0, sizeof(f));
	f.scheme = scheme;
	f.rand = auth_param(&m->auth_info, "srand");
	f.num = auth_param(&m->auth_info, "snum");
	f.realm = realm;
	f.targetname = targetname;
	f.call_id = m->call_id;
	f.cseq_num = cseq;
	f.cseq_method = m->cseq_method;
	f.from_uri = m->from_uri;
	f.from_tag = m->from_tag;
	f.to_uri = m->to_uri;
	f.to_tag = m->to_tag;
	f.pai_sip_uri = m->pai_sip;
	f.pai_tel_uri = m->pai_tel;
	f.expires = m->expires_s;
	f.status = status;
	return sipae_signed_string(version, &f, str, cap, len) == SIPAE_OK ? 0 : -1;
}

void auth_sa_start(struct auth_sa *sa, const char *scheme, const struct sip_challenge *ch,
		   unsigned device_version)
{
	sa->scheme = scheme;
	snprintf(sa->realm, sizeof(sa->realm), "%s", auth_param(ch, "realm"));
	snprintf(sa->targetname, sizeof(sa->targetname), "%s", auth_param(ch, "targetname"));
	sa->version = auth_sipae_version(ch, device_version);
}

enum auth_status auth_sa_authz(struct auth_sa *sa, const struct auth_in *in,
			       const char *gssapi_data, auth_sig_fn *sig, void *st, char *out,
			       size_t outlen, struct auth_err *e)
{
	struct sipae_authz a;
	char hex[512], cnum[16], str[2048], why[300];
	size_t n;

	memset(&a, 0, sizeof(a));
	a.scheme = sa->scheme;
	a.realm = sa->realm;
	a.targetname = sa->targetname;
	a.opaque = sa->opaque[0] ? sa->opaque : NULL;
	a.gssapi_data = gssapi_data;
	a.version = sa->version >= 3 ? sa->version : 0;
	if (sig) {
		rnd_hex(sa->crand, 4);
		sa->cnum++;
		why[0] = '\0';
		if (auth_request_string(sa->scheme, sa->version, sa->crand, sa->cnum, sa->realm,
					sa->targetname, in, str, sizeof(str), &n) < 0 ||
		    sig(st, str, n, hex, sizeof(hex), why, sizeof(why)) < 0) {
			snprintf(e->detail, sizeof(e->detail), "could not sign the request%s%s",
				 why[0] ? ": " : "", why);
			e->cause = PB_CAUSE_NONE;
			return AUTH_INTERNAL;
		}
		snprintf(cnum, sizeof(cnum), "%u", sa->cnum);
		a.crand = sa->crand;
		a.cnum = cnum;
		a.response = hex;
	}
	if (sipae_authorization(&a, out, outlen, &n) != SIPAE_OK) {
		auth_fail(e, PB_CAUSE_NONE, "the Authorization does not fit its buffer");
		return AUTH_INTERNAL;
	}
	return AUTH_ANSWER;
}

const char *auth_sa_rspauth(const struct auth_sa *sa, const struct sip_response *m, char *str,
			    size_t cap, size_t *len, struct auth_err *e)
{
	const struct sip_challenge *ai = &m->auth_info;
	const char *rspauth = sip_param(ai, "rspauth");

	e->cause = PB_CAUSE_SIP_SIGNATURE_INVALID;
	if (!m->has_auth_info || strcasecmp(ai->scheme, sa->scheme) || !rspauth || !*rspauth) {
		snprintf(e->detail, sizeof(e->detail), "the registrar's %d carries no %s "
			 "rspauth (Authentication-Info): it did not prove the session", m->code,
			 sa->scheme);
		return NULL;
	}
	if (auth_response_string(sa->scheme, sa->version, sa->realm, sa->targetname, m, str, cap,
				 len) < 0) {
		snprintf(e->detail, sizeof(e->detail), "the registrar's %d is too long to check "
			 "its rspauth", m->code);
		return NULL;
	}
	return rspauth;
}
