/* The certificate judge: one device profile applied to one chain.
 * Every rule that fails adds a finding; nothing stops at the first. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "x509/x509_int.h"

struct acc {
	struct pb_verdict *v;
	const struct pb_profile *p;
	int nomem;
};

/* The facts a finding can rest on (pb_finding.fact points at these). */
static const char F_HASHES[] = "certificates.sig_hashes";
static const char F_RSA_MIN[] = "certificates.rsa_min_bits";
static const char F_RSA_MAX[] = "certificates.rsa_max_bits";
static const char F_ECDSA[] = "certificates.ecdsa";
static const char F_CURVES[] = "certificates.curves";
static const char F_WILDCARD[] = "certificates.wildcard";
static const char F_NAMES[] = "certificates.names";
static const char F_DEPTH[] = "certificates.max_chain_depth";
static const char F_EKU[] = "certificates.check_eku";
static const char F_VALIDITY[] = "certificates.check_validity";

/* Add a finding resting on fact (NULL: on the chain alone). The sentence
 * is cut, never the "[confidence]" tag at its end. */
static void add(struct acc *a, enum pb_cause cause, int cert, const char *fact,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void add(struct acc *a, enum pb_cause cause, int cert, const char *fact,
		const char *fmt, ...)
{
	struct pb_finding *f;
	char body[sizeof(f->text)], tag[24];
	size_t room;
	va_list ap;

	if (a->nomem)
		return;
	f = realloc(a->v->findings, (a->v->n + 1) * sizeof(*f));
	if (!f) {
		a->nomem = 1;
		return;
	}
	a->v->findings = f;
	f = &f[a->v->n++];
	memset(f, 0, sizeof(*f));
	f->cause = cause;
	f->cert = cert;
	f->fact = fact;
	f->confidence = fact ? pb_profile_confidence(a->p, fact) : PB_CONF_MEASURED;
	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	snprintf(tag, sizeof(tag), " [%s]", pb_confidence_str(f->confidence));
	room = sizeof(f->text) - strlen(tag) - 1;
	snprintf(f->text, sizeof(f->text), "%.*s%s", (int)room, body, tag);
}

#define WHO(in) pb_cert_role_str((in)->role), (in)->name

static const char *hash_name(unsigned bit)
{
	return bit ? pb_hash_str((enum pb_hash)bit) : "an unknown hash";
}

static void rule_hash(struct acc *a, const struct pb_profile *p,
		      const struct pb_cert_info *in, int i)
{
	char ok[96];

	if (in->hash && (p->sig_hashes & in->hash))
		return;
	if (!in->hash && !strcmp(in->key_type, "Ed25519"))
		return;    /* EdDSA has no separate hash; the key rule judges it */
	pb_hashes_describe(p->sig_hashes, ok, sizeof(ok));
	add(a, PB_CAUSE_CERT_SIG_HASH_UNSUPPORTED, i, F_HASHES,
	    "%s '%s' is signed with %s (%s); this firmware accepts %s",
	    WHO(in), hash_name(in->hash), in->sig_alg, ok);
}

static unsigned curve_bit(const char *c)
{
	if (!strcmp(c, "P-256")) return PB_CURVE_P256;
	if (!strcmp(c, "P-384")) return PB_CURVE_P384;
	if (!strcmp(c, "P-521")) return PB_CURVE_P521;
	return 0;
}

static void rule_key(struct acc *a, const struct pb_profile *p,
		     const struct pb_cert_info *in, int i)
{
	char ok[64];

	if (!strcmp(in->key_type, "RSA")) {
		if (p->rsa_max_bits && in->key_bits > p->rsa_max_bits)
			add(a, PB_CAUSE_CERT_KEY_TOO_LARGE, i, F_RSA_MAX,
			    "%s '%s' has an RSA key of %u bits; this firmware accepts "
			    "at most %u", WHO(in), in->key_bits, p->rsa_max_bits);
		if (in->key_bits < p->rsa_min_bits)
			add(a, PB_CAUSE_CERT_KEY_TOO_SMALL, i, F_RSA_MIN,
			    "%s '%s' has an RSA key of %u bits; this firmware needs "
			    "at least %u", WHO(in), in->key_bits, p->rsa_min_bits);
		return;
	}
	if (!strcmp(in->key_type, "EC") && p->ecdsa) {
		unsigned bit = curve_bit(in->curve);

		if (!bit || !(p->curves & bit)) {
			pb_curves_describe(p->curves, ok, sizeof(ok));
			add(a, PB_CAUSE_CERT_CURVE_UNSUPPORTED, i, F_CURVES,
			    "%s '%s' has an EC key on curve %s; this firmware accepts %s",
			    WHO(in), in->curve[0] ? in->curve : "(unnamed)", ok);
		}
		return;
	}
	add(a, PB_CAUSE_CERT_KEY_TYPE_UNSUPPORTED, i, F_ECDSA,
	    "%s '%s' has a%s %s key; this firmware accepts RSA%s", WHO(in),
	    in->key_type[0] == 'E' ? "n" : "", in->key_type,
	    p->ecdsa ? " and ECDSA" : " only");
}

static void rule_time(struct acc *a, const struct pb_profile *p, X509 *x,
		      const struct pb_cert_info *in, int i, time_t now)
{
	if (!p->check_validity)
		return;
	if (X509_cmp_time(X509_get0_notBefore(x), &now) > 0)
		add(a, PB_CAUSE_CERT_NOT_YET_VALID, i, F_VALIDITY,
		    "%s '%s' is not valid before %s; this firmware checks validity "
		    "dates", WHO(in), in->not_before);
	if (X509_cmp_time(X509_get0_notAfter(x), &now) < 0)
		add(a, PB_CAUSE_CERT_EXPIRED, i, F_VALIDITY,
		    "%s '%s' expired on %s; this firmware checks validity dates",
		    WHO(in), in->not_after);
}

static void rule_ca(struct acc *a, X509 *x, const struct pb_cert_info *in, int i)
{
	uint32_t fl = X509_get_extension_flags(x);

	if (in->is_ca)
		return;
	if ((fl & EXFLAG_V1) && in->self_signed)
		return;    /* a v1 self-signed root is a CA by convention */
	add(a, PB_CAUSE_CERT_NOT_CA, i, NULL,
	    "%s '%s' issues certificates but is not a CA (basicConstraints "
	    "CA:FALSE or absent)", WHO(in));
}

static void rule_eku(struct acc *a, const struct pb_profile *p, X509 *x,
		     const struct pb_cert_info *in, int i)
{
	uint32_t xku = X509_get_extended_key_usage(x);

	if (!p->check_eku || xku == UINT32_MAX || (xku & (XKU_SSL_SERVER | XKU_ANYEKU)))
		return;
	add(a, PB_CAUSE_CERT_EKU_MISMATCH, i, F_EKU,
	    "%s '%s' has an extended key usage without serverAuth; this firmware "
	    "checks it", WHO(in));
}

/* RFC 6125 6.4: exact, or a left-most "*" label covering one label. */
static int match_dns(const char *pat, size_t plen, const char *host, int *wild)
{
	size_t hlen = strlen(host);
	const char *dot;

	while (plen && pat[plen - 1] == '.')
		plen--;
	while (hlen && host[hlen - 1] == '.')
		hlen--;
	if (plen == hlen && !strncasecmp(pat, host, plen)) {
		*wild = 0;
		return 1;
	}
	if (plen < 3 || pat[0] != '*' || pat[1] != '.')
		return 0;
	/* the wildcard must not cover a public suffix: ask for two labels */
	if (!memchr(pat + 2, '.', plen - 2))
		return 0;
	dot = memchr(host, '.', hlen);
	if (!dot || dot == host)
		return 0;
	if ((size_t)(host + hlen - dot) != plen - 1 ||
	    strncasecmp(dot, pat + 1, plen - 1))
		return 0;
	*wild = 1;
	return 1;
}

static int is_wild(const char *s, size_t l)
{
	return l >= 2 && s[0] == '*' && s[1] == '.';
}

static void rule_name(struct acc *a, const struct pb_profile *p, X509 *x,
		      const struct pb_cert_info *in, int i, const char *host)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	unsigned char ip[16];
	int iplen = 0, n_dns = 0, exact = 0, wild_san = 0, wild_cn = 0, k, w;
	char names[160] = "", wildname[128] = "";
	size_t off = 0;
	char cn[256];
	int have_cn = X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName,
						cn, sizeof(cn)) > 0;

	if (inet_pton(AF_INET, host, ip) == 1)
		iplen = 4;
	else if (inet_pton(AF_INET6, host, ip) == 1)
		iplen = 16;
	for (k = 0; p->san && gens && k < sk_GENERAL_NAME_num(gens); k++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, k);

		if (g->type == GEN_DNS) {
			const char *s = (const char *)ASN1_STRING_get0_data(g->d.dNSName);
			size_t l = (size_t)ASN1_STRING_length(g->d.dNSName);

			n_dns++;
			if (off + l + 3 < sizeof(names))
				off += (size_t)snprintf(names + off, sizeof(names) - off,
							"%s%.*s", off ? ", " : "", (int)l, s);
			if (is_wild(s, l) && !wildname[0] && l < sizeof(wildname))
				snprintf(wildname, sizeof(wildname), "%.*s", (int)l, s);
			if (!iplen && !memchr(s, '\0', l) && match_dns(s, l, host, &w)) {
				if (w) wild_san = 1;
				else exact = 1;
			}
		} else if (g->type == GEN_IPADD && iplen &&
			   ASN1_STRING_length(g->d.iPAddress) == iplen &&
			   !memcmp(ASN1_STRING_get0_data(g->d.iPAddress), ip, (size_t)iplen)) {
			exact = 1;
		}
	}
	GENERAL_NAMES_free(gens);
	if (have_cn && is_wild(cn, strlen(cn)) && !wildname[0] && strlen(cn) < sizeof(wildname))
		snprintf(wildname, sizeof(wildname), "%s", cn);
	/* CN is read when the device ignores SAN, or when there is no DNS SAN */
	if (!exact && (!p->san || n_dns == 0) && have_cn) {
		if (off + strlen(cn) + 6 < sizeof(names))
			snprintf(names + off, sizeof(names) - off, "%sCN %s",
				 off ? ", " : "", cn);
		if (match_dns(cn, strlen(cn), host, &w)) {
			if (w) wild_cn = 1;
			else exact = 1;
		}
	}
	/* Lync Phone Edition: a wildcard anywhere breaks the sign-in, even with
	 * the exact name beside it (profiles/lpe-*.ini, certificates.wildcard) */
	if (p->wildcard == PB_WILDCARD_REFUSE && wildname[0]) {
		add(a, PB_CAUSE_CERT_WILDCARD_UNSUPPORTED, i, F_WILDCARD,
		    "%s '%s' carries the wildcard name '%s'; this firmware refuses a "
		    "certificate with any wildcard name", WHO(in), wildname);
		if (exact || wild_san || wild_cn)
			return;    /* the name is there: the wildcard is the reason */
	}
	if (exact)
		return;
	if ((wild_san && (p->wildcard == PB_WILDCARD_YES ||
			  p->wildcard == PB_WILDCARD_SAN_ONLY)) ||
	    (wild_cn && p->wildcard == PB_WILDCARD_YES))
		return;
	if (wild_san || wild_cn) {
		add(a, PB_CAUSE_CERT_WILDCARD_UNSUPPORTED, i, F_WILDCARD,
		    "%s '%s' names '%s' only through a wildcard%s; this firmware does "
		    "not accept wildcard names%s", WHO(in), host,
		    wild_san ? "" : " in the CN",
		    p->wildcard == PB_WILDCARD_SAN_ONLY ? " in the CN" : "");
		return;
	}
	add(a, PB_CAUSE_CERT_NAME_MISMATCH, i, F_NAMES,
	    "%s '%s' does not name '%s' (%s %s)", WHO(in), host,
	    p->san ? "it names" : "this firmware reads only the CN:",
	    names[0] ? names : "no names");
}

/* Every rule of profile p over chain c. */
static enum pb_err judge(const struct pb_chain *c, const struct pb_profile *p,
			 const struct pb_judge_opts *o, struct pb_verdict **out)
{
	struct pb_verdict *v = calloc(1, sizeof(*v));
	struct acc a = { v, p, 0 };
	size_t i, valid = 0;

	if (!v)
		return PB_ERR_NOMEM;
	for (i = 0; i < c->n; i++) {
		const struct entry *e = &c->e[i];
		const struct pb_cert_info *in = &e->info;
		int ix = (int)i;

		if (!e->x) {
			add(&a, PB_CAUSE_CERT_MALFORMED, ix, NULL, "%s", in->error);
			continue;
		}
		valid++;
		if (e->sig_bad)
			add(&a, PB_CAUSE_CERT_MALFORMED, ix, NULL,
			    "%s '%s': its signature does not verify with the key of "
			    "its issuer '%s'", WHO(in), c->e[i + 1].info.name);
		rule_hash(&a, p, in, ix);
		rule_key(&a, p, in, ix);
		rule_time(&a, p, e->x, in, ix, o->now);
		if (in->role != PB_ROLE_LEAF)
			rule_ca(&a, e->x, in, ix);
		if (in->role == PB_ROLE_LEAF) {
			rule_eku(&a, p, e->x, in, ix);
			if (o->name && *o->name)
				rule_name(&a, p, e->x, in, ix, o->name);
		}
	}
	if (valid && !c->complete) {
		/* valid > 0: there is a decoded certificate to name */
		const struct pb_cert_info *last = NULL;

		for (i = c->n; i-- > 0;)
			if (c->e[i].x) {
				last = &c->e[i].info;
				break;
			}
		if (last)
			add(&a, PB_CAUSE_CERT_CHAIN_INCOMPLETE, -1, NULL,
			    "the chain stops at %s '%s': its issuer '%s' was not sent and "
			    "is not in the trust store", WHO(last), last->issuer);
	}
	if (valid && c->complete && o->check_trust && !c->trusted)
		add(&a, PB_CAUSE_CERT_UNTRUSTED_ROOT, -1, NULL,
		    "root '%s' is not in the device's trust store",
		    c->e[valid - 1].info.name);
	if (p->max_chain_depth && valid > p->max_chain_depth)
		add(&a, PB_CAUSE_CERT_CHAIN_TOO_LONG, -1, F_DEPTH,
		    "the chain has %zu certificates; this firmware follows at most %u",
		    valid, p->max_chain_depth);
	if (a.nomem) {
		pb_verdict_free(v);
		return PB_ERR_NOMEM;
	}
	v->usable = v->n == 0;
	v->usable_other_reading = v->usable;
	*out = v;
	return PB_OK;
}

static int has_at(const struct pb_verdict *v, enum pb_cause cause, int cert)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (v->findings[i].cause == cause && v->findings[i].cert == cert)
			return 1;
	return 0;
}

enum pb_err pb_judge(const struct pb_chain *c, const struct pb_profile *p,
		     const struct pb_judge_opts *o, struct pb_verdict **out)
{
	struct pb_verdict *v = NULL, *other = NULL;
	enum pb_err rc;
	size_t i;

	if ((rc = judge(c, p, o, &v)) != PB_OK)
		return rc;
	/* the strict reading decides; the other one says what a disputed
	 * fact's other source would have made of the chain */
	if (p->other) {
		if ((rc = judge(c, p->other, o, &other)) != PB_OK) {
			pb_verdict_free(v);
			return rc;
		}
		for (i = 0; i < v->n; i++) {
			struct pb_finding *f = &v->findings[i];

			f->other_reading_passes = f->confidence == PB_CONF_DISPUTED &&
				!has_at(other, f->cause, f->cert);
		}
		v->usable_other_reading = other->usable;
		pb_verdict_free(other);
	}
	*out = v;
	return PB_OK;
}

void pb_verdict_free(struct pb_verdict *v)
{
	if (!v)
		return;
	free(v->findings);
	free(v);
}

int pb_verdict_has(const struct pb_verdict *v, enum pb_cause cause)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (v->findings[i].cause == cause)
			return 1;
	return 0;
}
