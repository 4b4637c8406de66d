/* phoneboot: stable codes - program errors, steps, causes, remedies.
 *
 * Every enum has explicit values that never move, and a *_str() function
 * written as a switch with no default, so that -Wswitch names a missing
 * string. tests/unit/test_codes.c checks that every value has a string and
 * that every cause string is documented in docs/causes.md. */
#ifndef PHONEBOOT_CODES_H
#define PHONEBOOT_CODES_H

#include "phoneboot/export.h"

/* Program errors: something went wrong in phoneboot or its input, not in
 * the network the phone meets (that is a pb_cause in the report). */
enum pb_err {
	PB_OK = 0,
	PB_ERR_NOMEM = 1,
	PB_ERR_USAGE = 2,     /* bad argument */
	PB_ERR_IO = 3,        /* a file could not be read */
	PB_ERR_PARSE = 4,     /* a file could not be parsed */
	PB_ERR_NOTFOUND = 5,  /* a named thing (profile id, ...) does not exist */
	PB_ERR_NETWORK = 6,   /* could not reach a peer asked for on the command line */
	PB_ERR_INTERNAL = 7,
};
#define PB_ERR_LAST PB_ERR_INTERNAL

/* Steps of the boot, DESIGN.md section 2. The ids are stable. */
enum pb_step {
	PB_STEP_DHCP = 0,
	PB_STEP_TIME = 1,
	PB_STEP_LOCATE_DC = 2,
	PB_STEP_DOWNLOAD_ROOT = 3,
	PB_STEP_INSTALL_ROOT = 4,
	PB_STEP_LOCATE_POOL = 5,
	PB_STEP_CONNECT = 6,
	PB_STEP_AUTHENTICATE = 7,
	PB_STEP_REGISTER = 8,
	PB_STEP_DEVICE_UPDATE = 9,          /* runs after time: ids are not the order */
};
#define PB_STEP_COUNT 10

/* Cause codes, DESIGN.md section 4. PB_CAUSE_NONE is "no failure". */
enum pb_cause {
	PB_CAUSE_NONE = 0,
	/* dhcp */
	PB_CAUSE_DHCP_NO_OFFER = 1,
	PB_CAUSE_DHCP_NAK = 2,
	PB_CAUSE_DHCP_NO_DNS = 3,
	/* dns */
	PB_CAUSE_DNS_TIMEOUT = 10,
	PB_CAUSE_DNS_REFUSED = 11,
	PB_CAUSE_DNS_SERVFAIL = 12,
	PB_CAUSE_DNS_NXDOMAIN = 13,
	PB_CAUSE_DNS_NO_RECORDS = 14,
	/* directory */
	PB_CAUSE_LDAP_UNREACHABLE = 20,
	PB_CAUSE_LDAP_BIND_FAILED = 21,
	PB_CAUSE_LDAP_TIMEOUT = 22,
	PB_CAUSE_LDAP_NO_CA_CERTIFICATES = 23,
	PB_CAUSE_CERTPROV_FAILED = 24,
	/* certificates */
	PB_CAUSE_CERT_SIG_HASH_UNSUPPORTED = 30,
	PB_CAUSE_CERT_KEY_TOO_LARGE = 31,
	PB_CAUSE_CERT_KEY_TOO_SMALL = 32,
	PB_CAUSE_CERT_KEY_TYPE_UNSUPPORTED = 33,
	PB_CAUSE_CERT_CURVE_UNSUPPORTED = 34,
	PB_CAUSE_CERT_EXPIRED = 35,
	PB_CAUSE_CERT_NOT_YET_VALID = 36,
	PB_CAUSE_CERT_UNTRUSTED_ROOT = 37,
	PB_CAUSE_CERT_CHAIN_INCOMPLETE = 38,
	PB_CAUSE_CERT_NAME_MISMATCH = 39,
	PB_CAUSE_CERT_WILDCARD_UNSUPPORTED = 40,
	PB_CAUSE_CERT_NOT_CA = 41,
	PB_CAUSE_CERT_EKU_MISMATCH = 42,
	PB_CAUSE_CERT_CHAIN_TOO_LONG = 43,
	PB_CAUSE_CERT_MALFORMED = 44,
	/* transport */
	PB_CAUSE_TCP_REFUSED = 50,
	PB_CAUSE_TCP_TIMEOUT = 51,
	PB_CAUSE_TCP_UNREACHABLE = 52,
	PB_CAUSE_TLS_PROTOCOL_VERSION = 53,
	PB_CAUSE_TLS_NO_SHARED_CIPHER = 54,
	PB_CAUSE_TLS_SIGALG_UNSUPPORTED = 55,
	PB_CAUSE_TLS_HANDSHAKE_FAILED = 56,
	/* sip */
	PB_CAUSE_SIP_TIMEOUT = 60,
	PB_CAUSE_SIP_AUTH_FAILED = 61,
	PB_CAUSE_SIP_AUTH_SCHEME_UNSUPPORTED = 62,
	PB_CAUSE_SIP_FORBIDDEN = 63,
	PB_CAUSE_SIP_NOT_FOUND = 64,
	PB_CAUSE_SIP_BAD_RESPONSE = 65,
	PB_CAUSE_SIP_REDIRECT_LOOP = 66,
	PB_CAUSE_SIP_SIGNATURE_INVALID = 67,
	/* time */
	PB_CAUSE_NTP_UNREACHABLE = 70,
	PB_CAUSE_NTP_UNSYNCHRONIZED = 71,
	/* device update (and the certificate causes of its server) */
	PB_CAUSE_DEVUPDATE_NOT_FOUND = 80,
	PB_CAUSE_DEVUPDATE_UNREACHABLE = 81,
	PB_CAUSE_DEVUPDATE_HTTP_STATUS = 82,
	/* kerberos (the KDC exchange of the authenticate step) */
	PB_CAUSE_KRB_KDC_UNREACHABLE = 90,
	PB_CAUSE_KRB_PREAUTH_FAILED = 91,
	PB_CAUSE_KRB_PRINCIPAL_UNKNOWN = 92,
	PB_CAUSE_KRB_ACCOUNT_DISABLED = 93,
	PB_CAUSE_KRB_SPN_MISSING = 94,
	PB_CAUSE_KRB_CLOCK_SKEW = 95,
	PB_CAUSE_KRB_KDC_REFUSED = 96,
};

/* Remedy ids, DESIGN.md section 4. */
enum pb_remedy {
	PB_REMEDY_USE_DNS = 0,
	PB_REMEDY_REISSUE_CHAIN = 1,
	PB_REMEDY_UPGRADE_FIRMWARE = 2,
	PB_REMEDY_FIX_DNS_RECORD = 3,
	PB_REMEDY_FIX_CREDENTIALS = 4,
	PB_REMEDY_FIX_CLOCK = 5,
	PB_REMEDY_FIX_CERTIFICATE_NAME = 6,
	PB_REMEDY_ENABLE_TLS_VERSION = 7,
	PB_REMEDY_REGISTER_SPN = 8,         /* setspn: the registrar's sip/<FQDN> */
};
#define PB_REMEDY_COUNT 9

/* Each returns a static string; NULL only for a value outside the enum. */
PB_EXPORT const char *pb_strerror(enum pb_err err);
PB_EXPORT const char *pb_step_str(enum pb_step step);
PB_EXPORT const char *pb_cause_str(enum pb_cause cause);
PB_EXPORT const char *pb_remedy_str(enum pb_remedy remedy);

/* Parse a cause string back; returns 0 and sets *out, or -1. */
PB_EXPORT int pb_cause_parse(const char *s, enum pb_cause *out);
/* Every cause value, in enum order, for iteration; count in *n. */
PB_EXPORT const enum pb_cause *pb_cause_all(unsigned *n);

#endif
