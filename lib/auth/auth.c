/* The table of mechanisms and the scheme names. See auth.h. */
#include <strings.h>

#include "auth/auth.h"
#include "phoneboot/profile.h"

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
