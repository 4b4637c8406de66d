/* phoneboot: certificate chains and the certificate judge.
 *
 * A chain is built (leaf -> intermediates -> root) from what it was given
 * and, where the given certificates stop short, from a trust store. The
 * judge applies one device profile to a chain and returns every finding,
 * each with its cause code and a sentence that names the certificate. */
#ifndef PHONEBOOT_CERT_H
#define PHONEBOOT_CERT_H

#include "phoneboot/export.h"

#include <stddef.h>
#include <time.h>

#include "phoneboot/codes.h"
#include "phoneboot/profile.h"

enum pb_cert_role { PB_ROLE_LEAF = 0, PB_ROLE_INTERMEDIATE = 1, PB_ROLE_ROOT = 2 };

/* What phoneboot read off one certificate (all text NUL-terminated). */
struct pb_cert_info {
	int malformed;              /* 1: could not be parsed; only 'error' is set */
	char error[128];
	enum pb_cert_role role;
	int from_trust;             /* 1: taken from the trust store, not the input */
	char subject[256], issuer[256];
	char name[128];             /* CN, else the whole subject */
	char sig_alg[48];           /* "sha256WithRSAEncryption" */
	unsigned hash;              /* enum pb_hash bit, 0 when none/unknown */
	char key_type[16];          /* "RSA", "EC", "Ed25519", ... */
	unsigned key_bits;
	char curve[16];             /* "P-256" when EC */
	int is_ca, self_signed;
	char not_before[32], not_after[32];   /* ISO 8601 UTC */
	char sha256[96];            /* hex with ':' */
};

struct pb_chain;
struct pb_trust;

/* Read a PEM file (one or more certificates, PKCS#7 too) or a DER file
 * (one certificate or a PKCS#7 bundle) and build its chain. A PEM
 * certificate block that does not decode becomes a malformed entry (the
 * judge reports cert-malformed); a file holding no certificate at all is
 * PB_ERR_PARSE with a one-line message in err. Free with pb_chain_free(). */
PB_EXPORT enum pb_err pb_chain_load_file(const char *path, const struct pb_trust *trust,
			       struct pb_chain **out, char *err, size_t errlen);
PB_EXPORT enum pb_err pb_chain_from_mem(const void *data, size_t len, const char *name,
			      const struct pb_trust *trust,
			      struct pb_chain **out, char *err, size_t errlen);
/* Chain from a list of DER certificates, the first one being the leaf
 * (as a TLS server sends them). */
PB_EXPORT enum pb_err pb_chain_from_der_list(const unsigned char *const *der,
				   const size_t *lens, size_t n,
				   const struct pb_trust *trust,
				   struct pb_chain **out);
PB_EXPORT void pb_chain_free(struct pb_chain *c);
PB_EXPORT size_t pb_chain_len(const struct pb_chain *c);
/* Borrowed; i < pb_chain_len(). */
PB_EXPORT const struct pb_cert_info *pb_chain_cert(const struct pb_chain *c, size_t i);
/* 1 when the chain ends in a self-signed certificate. */
PB_EXPORT int pb_chain_complete(const struct pb_chain *c);
/* 1 when the chain's anchor is in the trust store it was built with. */
PB_EXPORT int pb_chain_trusted(const struct pb_chain *c);
/* DER of certificate i (borrowed), for fingerprints and trust stores. */
PB_EXPORT const unsigned char *pb_chain_der(const struct pb_chain *c, size_t i, size_t *len);

/* A set of trusted roots (the device's trust store). */
PB_EXPORT enum pb_err pb_trust_new(struct pb_trust **out);
PB_EXPORT void pb_trust_free(struct pb_trust *t);
/* Add every certificate of a PEM/DER file. */
PB_EXPORT enum pb_err pb_trust_add_file(struct pb_trust *t, const char *path,
			      char *err, size_t errlen);
PB_EXPORT enum pb_err pb_trust_add_der(struct pb_trust *t, const unsigned char *der,
			     size_t len);
PB_EXPORT size_t pb_trust_count(const struct pb_trust *t);
/* Add every root of another store (shared, not copied). */
PB_EXPORT enum pb_err pb_trust_add_trust(struct pb_trust *t, const struct pb_trust *from);

/* One reason a chain is unusable, and how sure phoneboot is of it. A
 * finding rests on one device fact of the profile (its confidence:
 * documented, reported, measured, assumed, disputed, or defined in a
 * definition), or on the chain alone (malformed, a signature that does not
 * verify, a missing issuer, an untrusted root, an issuer that is no CA:
 * fact NULL, confidence PB_CONF_MEASURED, as every X.509 client fails
 * those). The text ends with the confidence in brackets ("[assumed]") so
 * that a report that copies the text keeps it. */
struct pb_finding {
	enum pb_cause cause;
	int cert;                   /* index into the chain, -1 for the whole chain */
	char text[256];             /* one sentence, names the certificate, ends "[confidence]" */
	enum pb_confidence confidence; /* of the fact the finding rests on */
	const char *fact;           /* that fact ("certificates.sig_hashes"), static; NULL: the chain */
	int other_reading_passes;   /* the fact is disputed and its other reading
				     * would not give this finding */
};

struct pb_verdict {
	struct pb_finding *findings;
	size_t n;
	int usable;                 /* 1 when there is no finding */
	int usable_other_reading;   /* the verdict under the other reading of every
				     * disputed fact (= usable when none is disputed) */
};

struct pb_judge_opts {
	time_t now;                 /* the device's clock */
	const char *name;           /* host name to check the leaf against, or NULL */
	int check_trust;            /* report cert-untrusted-root when not anchored */
};

/* Judge chain c for profile p, under the strict reading of its disputed
 * facts (the one that fails), and say where the other reading differs.
 * *out set only on success; free with pb_verdict_free(). Findings come in
 * chain order, then chain-wide ones. */
PB_EXPORT enum pb_err pb_judge(const struct pb_chain *c, const struct pb_profile *p,
		     const struct pb_judge_opts *o, struct pb_verdict **out);
PB_EXPORT void pb_verdict_free(struct pb_verdict *v);
/* 1 when the verdict holds a finding with this cause. */
PB_EXPORT int pb_verdict_has(const struct pb_verdict *v, enum pb_cause cause);

PB_EXPORT const char *pb_cert_role_str(enum pb_cert_role r);

#endif
