/* Names of profile values, for display. Switches without default (-Wswitch). */
#include <stdio.h>
#include <string.h>

#include "phoneboot/profile.h"

const char *pb_flow_str(enum pb_flow f)
{
	switch (f) {
	case PB_FLOW_OCPE: return "ocpe";
	case PB_FLOW_LPE: return "lpe";
	case PB_FLOW_SIP: return "sip";
	}
	return NULL;
}

const char *pb_confidence_str(enum pb_confidence c)
{
	switch (c) {
	case PB_CONF_DOCUMENTED: return "documented";
	case PB_CONF_REPORTED: return "reported";
	case PB_CONF_MEASURED: return "measured";
	case PB_CONF_ASSUMED: return "assumed";
	case PB_CONF_DISPUTED: return "disputed";
	case PB_CONF_DEFINED: return "defined";
	}
	return NULL;
}

const char *pb_wildcard_str(enum pb_wildcard w)
{
	switch (w) {
	case PB_WILDCARD_NO: return "no";
	case PB_WILDCARD_YES: return "yes";
	case PB_WILDCARD_SAN_ONLY: return "san-only";
	case PB_WILDCARD_REFUSE: return "refuse";
	}
	return NULL;
}

const char *pb_hash_str(enum pb_hash h)
{
	switch (h) {
	case PB_HASH_MD5: return "MD5";
	case PB_HASH_SHA1: return "SHA-1";
	case PB_HASH_SHA224: return "SHA-224";
	case PB_HASH_SHA256: return "SHA-256";
	case PB_HASH_SHA384: return "SHA-384";
	case PB_HASH_SHA512: return "SHA-512";
	}
	return NULL;
}

const char *pb_curve_str(enum pb_curve c)
{
	switch (c) {
	case PB_CURVE_P256: return "P-256";
	case PB_CURVE_P384: return "P-384";
	case PB_CURVE_P521: return "P-521";
	}
	return NULL;
}

const char *pb_tls_version_str(enum pb_tls_version v)
{
	switch (v) {
	case PB_TLS_SSL3: return "SSL 3.0";
	case PB_TLS_10: return "TLS 1.0";
	case PB_TLS_11: return "TLS 1.1";
	case PB_TLS_12: return "TLS 1.2";
	case PB_TLS_13: return "TLS 1.3";
	}
	return NULL;
}

const char *pb_auth_str(enum pb_auth a)
{
	switch (a) {
	case PB_AUTH_DIGEST: return "digest";
	case PB_AUTH_NTLM: return "ntlm";
	case PB_AUTH_KERBEROS: return "kerberos";
	case PB_AUTH_CERTIFICATE: return "certificate";
	case PB_AUTH_TLS_DSK: return "tls-dsk";
	}
	return NULL;
}

static void describe(unsigned bits, unsigned top, const char *(*name)(unsigned),
		     char *buf, size_t len)
{
	unsigned b;
	size_t off = 0;

	if (len)
		buf[0] = '\0';
	for (b = 1; b && b <= top; b <<= 1) {
		int n;

		if (!(bits & b))
			continue;
		n = snprintf(buf + off, len - off, "%s%s", off ? ", " : "", name(b));
		if (n < 0 || (size_t)n >= len - off)
			return;
		off += (size_t)n;
	}
	if (off == 0)
		snprintf(buf, len, "none");
}

static const char *hash_name(unsigned b) { return pb_hash_str((enum pb_hash)b); }
static const char *curve_name(unsigned b) { return pb_curve_str((enum pb_curve)b); }
static const char *ver_name(unsigned b) { return pb_tls_version_str((enum pb_tls_version)b); }
static const char *auth_name(unsigned b) { return pb_auth_str((enum pb_auth)b); }

void pb_hashes_describe(unsigned bits, char *buf, size_t len)
{
	describe(bits, PB_HASH_SHA512, hash_name, buf, len);
}
void pb_tls_versions_describe(unsigned bits, char *buf, size_t len)
{
	describe(bits, PB_TLS_13, ver_name, buf, len);
}
void pb_curves_describe(unsigned bits, char *buf, size_t len)
{
	describe(bits, PB_CURVE_P521, curve_name, buf, len);
}
void pb_auth_describe(unsigned bits, char *buf, size_t len)
{
	describe(bits, PB_AUTH_TLS_DSK, auth_name, buf, len);
}
