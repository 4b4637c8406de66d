/* String tables for the stable codes of codes.h. Switches have no default
 * on purpose: -Wswitch (in -Wall) then reports any value without a string. */
#include <string.h>

#include "phoneboot/codes.h"

const char *pb_strerror(enum pb_err err)
{
	switch (err) {
	case PB_OK: return "no error";
	case PB_ERR_NOMEM: return "out of memory";
	case PB_ERR_USAGE: return "bad usage";
	case PB_ERR_IO: return "input/output error";
	case PB_ERR_PARSE: return "parse error";
	case PB_ERR_NOTFOUND: return "not found";
	case PB_ERR_NETWORK: return "network error";
	case PB_ERR_INTERNAL: return "internal error";
	}
	return NULL;
}

const char *pb_step_str(enum pb_step step)
{
	switch (step) {
	case PB_STEP_DHCP: return "dhcp";
	case PB_STEP_TIME: return "time";
	case PB_STEP_LOCATE_DC: return "locate-dc";
	case PB_STEP_DOWNLOAD_ROOT: return "download-root";
	case PB_STEP_INSTALL_ROOT: return "install-root";
	case PB_STEP_LOCATE_POOL: return "locate-pool";
	case PB_STEP_CONNECT: return "connect";
	case PB_STEP_AUTHENTICATE: return "authenticate";
	case PB_STEP_REGISTER: return "register";
	case PB_STEP_DEVICE_UPDATE: return "device-update";
	}
	return NULL;
}

const char *pb_cause_str(enum pb_cause cause)
{
	switch (cause) {
	case PB_CAUSE_NONE: return "none";
	case PB_CAUSE_DHCP_NO_OFFER: return "dhcp-no-offer";
	case PB_CAUSE_DHCP_NAK: return "dhcp-nak";
	case PB_CAUSE_DHCP_NO_DNS: return "dhcp-no-dns";
	case PB_CAUSE_DNS_TIMEOUT: return "dns-timeout";
	case PB_CAUSE_DNS_REFUSED: return "dns-refused";
	case PB_CAUSE_DNS_SERVFAIL: return "dns-servfail";
	case PB_CAUSE_DNS_NXDOMAIN: return "dns-nxdomain";
	case PB_CAUSE_DNS_NO_RECORDS: return "dns-no-records";
	case PB_CAUSE_NTP_UNREACHABLE: return "ntp-unreachable";
	case PB_CAUSE_NTP_UNSYNCHRONIZED: return "ntp-unsynchronized";
	case PB_CAUSE_DEVUPDATE_NOT_FOUND: return "devupdate-not-found";
	case PB_CAUSE_DEVUPDATE_UNREACHABLE: return "devupdate-unreachable";
	case PB_CAUSE_DEVUPDATE_HTTP_STATUS: return "devupdate-http-status";
	case PB_CAUSE_LDAP_UNREACHABLE: return "ldap-unreachable";
	case PB_CAUSE_LDAP_BIND_FAILED: return "ldap-bind-failed";
	case PB_CAUSE_LDAP_TIMEOUT: return "ldap-timeout";
	case PB_CAUSE_LDAP_NO_CA_CERTIFICATES: return "ldap-no-ca-certificates";
	case PB_CAUSE_CERTPROV_FAILED: return "certprov-failed";
	case PB_CAUSE_CERT_SIG_HASH_UNSUPPORTED: return "cert-sig-hash-unsupported";
	case PB_CAUSE_CERT_KEY_TOO_LARGE: return "cert-key-too-large";
	case PB_CAUSE_CERT_KEY_TOO_SMALL: return "cert-key-too-small";
	case PB_CAUSE_CERT_KEY_TYPE_UNSUPPORTED: return "cert-key-type-unsupported";
	case PB_CAUSE_CERT_CURVE_UNSUPPORTED: return "cert-curve-unsupported";
	case PB_CAUSE_CERT_EXPIRED: return "cert-expired";
	case PB_CAUSE_CERT_NOT_YET_VALID: return "cert-not-yet-valid";
	case PB_CAUSE_CERT_UNTRUSTED_ROOT: return "cert-untrusted-root";
	case PB_CAUSE_CERT_CHAIN_INCOMPLETE: return "cert-chain-incomplete";
	case PB_CAUSE_CERT_NAME_MISMATCH: return "cert-name-mismatch";
	case PB_CAUSE_CERT_WILDCARD_UNSUPPORTED: return "cert-wildcard-unsupported";
	case PB_CAUSE_CERT_NOT_CA: return "cert-not-ca";
	case PB_CAUSE_CERT_EKU_MISMATCH: return "cert-eku-mismatch";
	case PB_CAUSE_CERT_CHAIN_TOO_LONG: return "cert-chain-too-long";
	case PB_CAUSE_CERT_MALFORMED: return "cert-malformed";
	case PB_CAUSE_TCP_REFUSED: return "tcp-refused";
	case PB_CAUSE_TCP_TIMEOUT: return "tcp-timeout";
	case PB_CAUSE_TCP_UNREACHABLE: return "tcp-unreachable";
	case PB_CAUSE_TLS_PROTOCOL_VERSION: return "tls-protocol-version";
	case PB_CAUSE_TLS_NO_SHARED_CIPHER: return "tls-no-shared-cipher";
	case PB_CAUSE_TLS_SIGALG_UNSUPPORTED: return "tls-sigalg-unsupported";
	case PB_CAUSE_TLS_HANDSHAKE_FAILED: return "tls-handshake-failed";
	case PB_CAUSE_SIP_TIMEOUT: return "sip-timeout";
	case PB_CAUSE_SIP_AUTH_FAILED: return "sip-auth-failed";
	case PB_CAUSE_SIP_AUTH_SCHEME_UNSUPPORTED: return "sip-auth-scheme-unsupported";
	case PB_CAUSE_SIP_FORBIDDEN: return "sip-forbidden";
	case PB_CAUSE_SIP_NOT_FOUND: return "sip-not-found";
	case PB_CAUSE_SIP_BAD_RESPONSE: return "sip-bad-response";
	case PB_CAUSE_SIP_REDIRECT_LOOP: return "sip-redirect-loop";
	case PB_CAUSE_SIP_SIGNATURE_INVALID: return "sip-signature-invalid";
	case PB_CAUSE_KRB_KDC_UNREACHABLE: return "krb-kdc-unreachable";
	case PB_CAUSE_KRB_PREAUTH_FAILED: return "krb-preauth-failed";
	case PB_CAUSE_KRB_PRINCIPAL_UNKNOWN: return "krb-principal-unknown";
	case PB_CAUSE_KRB_ACCOUNT_DISABLED: return "krb-account-disabled";
	case PB_CAUSE_KRB_SPN_MISSING: return "krb-spn-missing";
	case PB_CAUSE_KRB_CLOCK_SKEW: return "krb-clock-skew";
	case PB_CAUSE_KRB_KDC_REFUSED: return "krb-kdc-refused";
	}
	return NULL;
}

const char *pb_remedy_str(enum pb_remedy remedy)
{
	switch (remedy) {
	case PB_REMEDY_USE_DNS: return "use-dns";
	case PB_REMEDY_REISSUE_CHAIN: return "reissue-chain";
	case PB_REMEDY_UPGRADE_FIRMWARE: return "upgrade-firmware";
	case PB_REMEDY_FIX_DNS_RECORD: return "fix-dns-record";
	case PB_REMEDY_FIX_CREDENTIALS: return "fix-credentials";
	case PB_REMEDY_FIX_CLOCK: return "fix-clock";
	case PB_REMEDY_FIX_CERTIFICATE_NAME: return "fix-certificate-name";
	case PB_REMEDY_ENABLE_TLS_VERSION: return "enable-tls-version";
	case PB_REMEDY_REGISTER_SPN: return "register-spn";
	}
	return NULL;
}

static const enum pb_cause all_causes[] = {
	PB_CAUSE_NONE,
	PB_CAUSE_DHCP_NO_OFFER, PB_CAUSE_DHCP_NAK, PB_CAUSE_DHCP_NO_DNS,
	PB_CAUSE_DNS_TIMEOUT, PB_CAUSE_DNS_REFUSED, PB_CAUSE_DNS_SERVFAIL,
	PB_CAUSE_DNS_NXDOMAIN, PB_CAUSE_DNS_NO_RECORDS,
	PB_CAUSE_LDAP_UNREACHABLE, PB_CAUSE_LDAP_BIND_FAILED, PB_CAUSE_LDAP_TIMEOUT,
	PB_CAUSE_LDAP_NO_CA_CERTIFICATES, PB_CAUSE_CERTPROV_FAILED,
	PB_CAUSE_CERT_SIG_HASH_UNSUPPORTED, PB_CAUSE_CERT_KEY_TOO_LARGE,
	PB_CAUSE_CERT_KEY_TOO_SMALL, PB_CAUSE_CERT_KEY_TYPE_UNSUPPORTED,
	PB_CAUSE_CERT_CURVE_UNSUPPORTED, PB_CAUSE_CERT_EXPIRED,
	PB_CAUSE_CERT_NOT_YET_VALID, PB_CAUSE_CERT_UNTRUSTED_ROOT,
	PB_CAUSE_CERT_CHAIN_INCOMPLETE, PB_CAUSE_CERT_NAME_MISMATCH,
	PB_CAUSE_CERT_WILDCARD_UNSUPPORTED, PB_CAUSE_CERT_NOT_CA,
	PB_CAUSE_CERT_EKU_MISMATCH, PB_CAUSE_CERT_CHAIN_TOO_LONG,
	PB_CAUSE_CERT_MALFORMED,
	PB_CAUSE_TCP_REFUSED, PB_CAUSE_TCP_TIMEOUT, PB_CAUSE_TCP_UNREACHABLE,
	PB_CAUSE_TLS_PROTOCOL_VERSION, PB_CAUSE_TLS_NO_SHARED_CIPHER,
	PB_CAUSE_TLS_SIGALG_UNSUPPORTED, PB_CAUSE_TLS_HANDSHAKE_FAILED,
	PB_CAUSE_SIP_TIMEOUT, PB_CAUSE_SIP_AUTH_FAILED,
	PB_CAUSE_SIP_AUTH_SCHEME_UNSUPPORTED, PB_CAUSE_SIP_FORBIDDEN,
	PB_CAUSE_SIP_NOT_FOUND, PB_CAUSE_SIP_BAD_RESPONSE, PB_CAUSE_SIP_REDIRECT_LOOP,
	PB_CAUSE_SIP_SIGNATURE_INVALID,
	PB_CAUSE_NTP_UNREACHABLE, PB_CAUSE_NTP_UNSYNCHRONIZED,
	PB_CAUSE_DEVUPDATE_NOT_FOUND, PB_CAUSE_DEVUPDATE_UNREACHABLE,
	PB_CAUSE_DEVUPDATE_HTTP_STATUS,
	PB_CAUSE_KRB_KDC_UNREACHABLE, PB_CAUSE_KRB_PREAUTH_FAILED,
	PB_CAUSE_KRB_PRINCIPAL_UNKNOWN, PB_CAUSE_KRB_ACCOUNT_DISABLED,
	PB_CAUSE_KRB_SPN_MISSING, PB_CAUSE_KRB_CLOCK_SKEW, PB_CAUSE_KRB_KDC_REFUSED,
};

const enum pb_cause *pb_cause_all(unsigned *n)
{
	*n = sizeof(all_causes) / sizeof(all_causes[0]);
	return all_causes;
}

int pb_cause_parse(const char *s, enum pb_cause *out)
{
	unsigned n, i;
	const enum pb_cause *all = pb_cause_all(&n);

	for (i = 0; i < n; i++) {
		if (strcmp(pb_cause_str(all[i]), s) == 0) {
			*out = all[i];
			return 0;
		}
	}
	return -1;
}
