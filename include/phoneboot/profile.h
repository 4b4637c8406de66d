/* phoneboot: device profiles - what a phone's firmware can do.
 *
 * A profile is data (one INI file per device/firmware in profiles/, format
 * in docs/profiles.md). The loader is strict: an unknown section or key, a
 * bad value, a missing required field or a fact without a source is an
 * error naming the file, the line and what was expected. */
#ifndef PHONEBOOT_PROFILE_H
#define PHONEBOOT_PROFILE_H

#include "phoneboot/export.h"

#include <stddef.h>
#include <time.h>

#include "phoneboot/codes.h"

enum pb_flow { PB_FLOW_OCPE = 0, PB_FLOW_LPE = 1, PB_FLOW_SIP = 2 };

/* TLS protocol versions, as a bit set. */
enum pb_tls_version {
	PB_TLS_SSL3 = 1 << 0,
	PB_TLS_10 = 1 << 1,
	PB_TLS_11 = 1 << 2,
	PB_TLS_12 = 1 << 3,
	PB_TLS_13 = 1 << 4,
};

/* Certificate signature hashes, as a bit set. */
enum pb_hash {
	PB_HASH_MD5 = 1 << 0,
	PB_HASH_SHA1 = 1 << 1,
	PB_HASH_SHA224 = 1 << 2,
	PB_HASH_SHA256 = 1 << 3,
	PB_HASH_SHA384 = 1 << 4,
	PB_HASH_SHA512 = 1 << 5,
};

/* Named curves, as a bit set. */
enum pb_curve {
	PB_CURVE_P256 = 1 << 0,
	PB_CURVE_P384 = 1 << 1,
	PB_CURVE_P521 = 1 << 2,
};

/* Authentication schemes the firmware speaks, as a bit set. */
enum pb_auth {
	PB_AUTH_DIGEST = 1 << 0,
	PB_AUTH_NTLM = 1 << 1,
	PB_AUTH_KERBEROS = 1 << 2,
	PB_AUTH_CERTIFICATE = 1 << 3,
	PB_AUTH_TLS_DSK = 1 << 4,
};

/* How sure a fact is (docs/profiles.md). The numbers never move.
 * DISPUTED is never written after a fact in [sources]: a fact is disputed
 * when [disputed] gives it a second reading. DEFINED marks the facts of a
 * definition (generic-modern), which describes no device. */
enum pb_confidence {
	PB_CONF_DOCUMENTED = 0,        /* vendor documentation */
	PB_CONF_REPORTED = 1,          /* a practitioner's report */
	PB_CONF_MEASURED = 2,          /* a capture or a data set of real handshakes */
	PB_CONF_ASSUMED = 3,           /* nobody knows: the citation says why this value */
	PB_CONF_DISPUTED = 4,          /* sources disagree: two readings */
	PB_CONF_DEFINED = 5,           /* part of a definition, not a device */
};
#define PB_CONF_COUNT 6

/* [certificates] wildcard: how the firmware treats a left-most '*' label. */
enum pb_wildcard {
	PB_WILDCARD_NO = 0,            /* never matches through a wildcard */
	PB_WILDCARD_YES = 1,           /* RFC 6125 6.4.3, in SAN and CN */
	PB_WILDCARD_SAN_ONLY = 2,      /* in a subjectAltName, never in the CN */
	PB_WILDCARD_REFUSE = 3,        /* any wildcard name makes the leaf unusable */
};

#define PB_PROFILE_MAX_LIST 32

/* One fact's provenance: "section.key = confidence | citation", and, when
 * the sources disagree, the other reading from [disputed]:
 * "section.key = value | confidence | citation". The value in the fact's
 * own section is the strict reading, the one the judge applies. */
struct pb_source {
	char *fact;                    /* "certificates.sig_hashes" */
	enum pb_confidence confidence; /* of the strict reading */
	char *citation;
	char *other_value;             /* the other reading, or NULL */
	enum pb_confidence other_confidence;
	char *other_citation;
};

struct pb_profile {
	char *id, *name, *vendor, *model, *firmware;
	char *path;                    /* file it was loaded from */
	int definition;                /* [device] kind = definition: no device */
	enum pb_flow flow;
	unsigned auth;                 /* enum pb_auth bits */
	/* the same schemes in the firmware's order of preference, as
	 * [device] auth lists them (strongest first), zero-terminated */
	unsigned auth_order[8];

	/* [tls] */
	unsigned tls_versions;         /* enum pb_tls_version bits */
	char *ciphers[PB_PROFILE_MAX_LIST]; /* IANA names */
	size_t n_ciphers;
	char *sigalgs[PB_PROFILE_MAX_LIST]; /* IANA SignatureScheme names */
	size_t n_sigalgs;
	int sni;                       /* sends server_name */

	/* [certificates] */
	unsigned sig_hashes;           /* enum pb_hash bits */
	unsigned rsa_min_bits, rsa_max_bits;
	int ecdsa;
	unsigned curves;               /* enum pb_curve bits */
	enum pb_wildcard wildcard;
	int san;                       /* reads subjectAltName (else CN only) */
	unsigned max_chain_depth;      /* certificates, leaf..root; 0 = no limit */
	int aia_fetch;
	int check_eku;                 /* requires serverAuth when EKU present */
	int check_validity;

	/* [dhcp] */
	char *dhcp_vendor_class;       /* option 60, or NULL */
	unsigned char dhcp_request[PB_PROFILE_MAX_LIST]; /* option 55 */
	size_t n_dhcp_request;

	/* [time] the clock the firmware boots with, kept when no NTP server
	 * answers: the host's (boot_clock_fixed 0) or boot_clock */
	int boot_clock_fixed;
	time_t boot_clock;

	/* [sipae] how the firmware speaks [MS-SIPAE]: the protocol version
	 * it implements (2, 3 or 4; 0 when unknown: the registrar's, at most
	 * 4) and the NTLM negotiate flags it sets (0: OC 2007 R2's) */
	unsigned sipae_version;
	unsigned ntlm_flags;

	/* [screen] texts per step; NULL where the device shows nothing */
	char *screen[PB_STEP_COUNT];

	struct pb_source *sources;
	size_t n_sources;

	/* The same profile under the other reading of every disputed fact,
	 * or NULL when no fact is disputed. Owned; freed with the profile. */
	struct pb_profile *other;
};

/* Load one profile file. On error returns PB_ERR_* and writes
 * "FILE:LINE: what was expected" into err. *out is set only on success and
 * is freed with pb_profile_free(). */
PB_EXPORT enum pb_err pb_profile_load(const char *path, struct pb_profile **out,
			    char *err, size_t errlen);
/* Same, from a buffer (name is used in messages). */
PB_EXPORT enum pb_err pb_profile_parse(const char *name, const char *text, size_t len,
			     struct pb_profile **out, char *err, size_t errlen);
PB_EXPORT void pb_profile_free(struct pb_profile *p);

/* The catalog: every *.ini in a directory, sorted by id. */
struct pb_catalog {
	struct pb_profile **items;
	size_t n;
};
PB_EXPORT enum pb_err pb_catalog_load(const char *dir, struct pb_catalog **out,
			    char *err, size_t errlen);
PB_EXPORT void pb_catalog_free(struct pb_catalog *c);
/* Borrowed pointer into the catalog, or NULL. */
PB_EXPORT const struct pb_profile *pb_catalog_find(const struct pb_catalog *c,
					 const char *id);

/* Source of a fact ("tls.versions"), borrowed, or NULL. */
PB_EXPORT const struct pb_source *pb_profile_source(const struct pb_profile *p,
					  const char *fact);
/* How sure the profile is of a fact: PB_CONF_DISPUTED when it has two
 * readings, the confidence of its source otherwise. A fact the file leaves
 * at its default (check_eku, check_validity) has no source: ASSUMED, or
 * DEFINED in a definition. */
PB_EXPORT enum pb_confidence pb_profile_confidence(const struct pb_profile *p,
					 const char *fact);
/* Count the facts of p by pb_profile_confidence() into counts[PB_CONF_COUNT]
 * (added to what is there); returns the number of facts. */
PB_EXPORT size_t pb_profile_count(const struct pb_profile *p, size_t counts[PB_CONF_COUNT]);

PB_EXPORT const char *pb_flow_str(enum pb_flow f);
PB_EXPORT const char *pb_confidence_str(enum pb_confidence c);
PB_EXPORT const char *pb_wildcard_str(enum pb_wildcard w);
PB_EXPORT const char *pb_hash_str(enum pb_hash h);
PB_EXPORT const char *pb_curve_str(enum pb_curve c);
PB_EXPORT const char *pb_tls_version_str(enum pb_tls_version v);
PB_EXPORT const char *pb_auth_str(enum pb_auth a);
/* Write "MD5, SHA-1" style lists of a bit set into buf. */
PB_EXPORT void pb_hashes_describe(unsigned bits, char *buf, size_t len);
PB_EXPORT void pb_tls_versions_describe(unsigned bits, char *buf, size_t len);
PB_EXPORT void pb_curves_describe(unsigned bits, char *buf, size_t len);
PB_EXPORT void pb_auth_describe(unsigned bits, char *buf, size_t len);

#endif
