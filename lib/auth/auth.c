/* The table of mechanisms and the scheme names. See auth.h. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth/auth.h"
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
