/* Chains: what each certificate says about itself, and the path from the
 * leaf to a self-signed root through the given certificates and the trust
 * store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/file.h"
#include "phoneboot/profile.h"
#include "x509/cache.h"
#include "x509/x509_int.h"

#define MAX_DEPTH 16
#define MAX_FILE (16u << 20)

static void name_str(const X509_NAME *nm, char *buf, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	int n = 0;

	buf[0] = '\0';
	if (!b)
		return;
	if (X509_NAME_print_ex(b, nm, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0)
		n = BIO_read(b, buf, (int)len - 1);
	buf[n > 0 ? n : 0] = '\0';
	BIO_free(b);
}

static void time_str(const ASN1_TIME *t, char *buf, size_t len)
{
	struct tm tm;

	if (!t || !ASN1_TIME_to_tm(t, &tm)) {
		snprintf(buf, len, "invalid");
		return;
	}
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static unsigned hash_bit(int mdnid)
{
	switch (mdnid) {
	case NID_md5: return PB_HASH_MD5;
	case NID_sha1: return PB_HASH_SHA1;
	case NID_sha224: return PB_HASH_SHA224;
	case NID_sha256: return PB_HASH_SHA256;
	case NID_sha384: return PB_HASH_SHA384;
	case NID_sha512: return PB_HASH_SHA512;
	default: return 0;
	}
}

static void key_info(X509 *x, struct pb_cert_info *in)
{
	EVP_PKEY *k = X509_get0_pubkey(x);
	char group[64];
	size_t glen = 0;

	if (!k) {
		snprintf(in->key_type, sizeof(in->key_type), "unreadable");
		return;
	}
	in->key_bits = (unsigned)EVP_PKEY_get_bits(k);
	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_RSA: snprintf(in->key_type, sizeof(in->key_type), "RSA"); break;
	case EVP_PKEY_RSA_PSS: snprintf(in->key_type, sizeof(in->key_type), "RSA-PSS"); break;
	case EVP_PKEY_DSA: snprintf(in->key_type, sizeof(in->key_type), "DSA"); break;
	case EVP_PKEY_ED25519: snprintf(in->key_type, sizeof(in->key_type), "Ed25519"); break;
	case EVP_PKEY_ED448: snprintf(in->key_type, sizeof(in->key_type), "Ed448"); break;
	case EVP_PKEY_EC:
		snprintf(in->key_type, sizeof(in->key_type), "EC");
		if (EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME,
						   group, sizeof(group), &glen)) {
			const char *c = group;
			if (!strcmp(group, "prime256v1")) c = "P-256";
			else if (!strcmp(group, "secp384r1")) c = "P-384";
			else if (!strcmp(group, "secp521r1")) c = "P-521";
			snprintf(in->curve, sizeof(in->curve), "%.15s", c);
		}
		break;
	default:
		snprintf(in->key_type, sizeof(in->key_type), "%s",
			 OBJ_nid2sn(EVP_PKEY_get_base_id(k)));
	}
}

void x509_info(X509 *x, struct pb_cert_info *in)
{
	int mdnid = NID_undef, pknid = NID_undef;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0, i;
	size_t off = 0;

	name_str(X509_get_subject_name(x), in->subject, sizeof(in->subject));
	name_str(X509_get_issuer_name(x), in->issuer, sizeof(in->issuer));
	if (X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName,
				      in->name, sizeof(in->name)) <= 0)
		snprintf(in->name, sizeof(in->name), "%.127s", in->subject);
	snprintf(in->sig_alg, sizeof(in->sig_alg), "%s",
		 OBJ_nid2ln(X509_get_signature_nid(x)));
	if (!X509_get_signature_info(x, &mdnid, &pknid, NULL, NULL))
		OBJ_find_sigid_algs(X509_get_signature_nid(x), &mdnid, &pknid);
	in->hash = hash_bit(mdnid);
	key_info(x, in);
	in->is_ca = (X509_get_extension_flags(x) & EXFLAG_CA) != 0;
	in->self_signed = X509_self_signed(x, 1) == 1;
	time_str(X509_get0_notBefore(x), in->not_before, sizeof(in->not_before));
	time_str(X509_get0_notAfter(x), in->not_after, sizeof(in->not_after));
	if (X509_digest(x, EVP_sha256(), md, &mdlen))
		for (i = 0; i < mdlen && off + 3 < sizeof(in->sha256); i++)
			off += (size_t)snprintf(in->sha256 + off, sizeof(in->sha256) - off,
						"%s%02X", i ? ":" : "", md[i]);
}

/* 1 when a issued s: names/key ids match (the signature is checked apart). */
static int issued(X509 *a, X509 *s)
{
	return a != s && X509_check_issued(a, s) == X509_V_OK;
}

static int push_entry(struct pb_chain *c, X509 *x, const char *bad,
		      struct x509_cache *cache)
{
	struct entry *e = realloc(c->e, (c->n + 1) * sizeof(*e));

	if (!e)
		return -1;
	c->e = e;
	e = &c->e[c->n++];
	memset(e, 0, sizeof(*e));
	e->x = x;
	if (x) {
		int dl = i2d_X509(x, &e->der);

		if (dl <= 0) {
			c->n--;
			return -1;
		}
		e->der_len = (size_t)dl;
		e->keyed = x509_cache_key(cache, e->der, e->der_len, e->key) == 0;
		if (!e->keyed || !x509_cache_info(cache, e->key, &e->info)) {
			x509_info(x, &e->info);
			if (e->keyed)
				x509_cache_put_info(cache, e->key, &e->info);
		}
	} else {
		e->info.malformed = 1;
		snprintf(e->info.error, sizeof(e->info.error), "%s", bad);
		snprintf(e->info.name, sizeof(e->info.name), "(unreadable)");
	}
	return 0;
}

/* Whether entry s's certificate verifies with entry i's public key. */
static int sig_ok(struct x509_cache *cache, const struct entry *s, const struct entry *i)
{
	int ok = s->keyed && i->keyed ? x509_cache_sig(cache, s->key, i->key) : -1;

	if (ok < 0) {
		ok = X509_verify(s->x, X509_get0_pubkey(i->x)) == 1;
		if (s->keyed && i->keyed)
			x509_cache_put_sig(cache, s->key, i->key, ok);
	}
	return ok;
}

enum pb_err x509_build(X509 **xs, char (*bad)[128], size_t n, int leaf_first,
		       const struct pb_trust *trust, struct x509_cache *cache,
		       struct pb_chain **out)
{
	struct pb_chain *c = calloc(1, sizeof(*c));
	char *used = calloc(n ? n : 1, 1);
	enum pb_err rc = PB_ERR_NOMEM;
	size_t i, j, leaf = n;
	X509 *cur;

	if (!c || !used)
		goto out;
	/* the leaf: the first certificate that issued no other one */
	for (i = 0; i < n && leaf == n; i++) {
		if (!xs[i])
			continue;
		if (leaf_first) {
			leaf = i;
			break;
		}
		for (j = 0; j < n; j++)
			if (xs[j] && issued(xs[i], xs[j]))
				break;
		if (j == n)
			leaf = i;
	}
	for (i = 0; i < n && leaf == n; i++)
		if (xs[i])
			leaf = i;      /* every one issued another: take the first */
	if (leaf < n) {
		cur = xs[leaf];
		used[leaf] = 1;
		if (push_entry(c, cur, NULL, cache) < 0)
			goto out;
		xs[leaf] = NULL;
		while (c->n < MAX_DEPTH && !c->e[c->n - 1].info.self_signed) {
			X509 *up = NULL;
			int from_trust = 0;

			for (j = 0; j < n && !up; j++)
				if (xs[j] && !used[j] && issued(xs[j], cur)) {
					up = xs[j];
					used[j] = 1;
					xs[j] = NULL;
				}
			for (j = 0; trust && j < trust->n && !up; j++)
				if (issued(trust->x[j], cur) && X509_up_ref(trust->x[j])) {
					up = trust->x[j];
					from_trust = 1;
				}
			if (!up)
				break;
			if (push_entry(c, up, NULL, cache) < 0) {
				X509_free(up);
				goto out;
			}
			if (!sig_ok(cache, &c->e[c->n - 2], &c->e[c->n - 1]))
				c->e[c->n - 2].sig_bad = 1;
			c->e[c->n - 1].info.from_trust = from_trust;
			cur = up;
		}
		c->complete = c->e[c->n - 1].info.self_signed;
		for (j = 0; c->complete && trust && j < trust->n; j++)
			if (!X509_cmp(trust->x[j], cur))
				c->trusted = 1;
		for (i = 0; i < c->n; i++)
			c->e[i].info.role = i == 0 && !(c->n == 1 && c->complete &&
							c->e[0].info.is_ca)
				? PB_ROLE_LEAF
				: (i == c->n - 1 && c->complete) ? PB_ROLE_ROOT
				: PB_ROLE_INTERMEDIATE;
	}
	/* malformed inputs are judged too; well-formed extras off the path
	 * are dropped (a server may send unrelated certificates) */
	for (i = 0; i < n; i++)
		if (!xs[i] && !used[i] && bad && bad[i][0] &&
		    push_entry(c, NULL, bad[i], NULL) < 0)
			goto out;
	*out = c;
	c = NULL;
	rc = PB_OK;
out:
	for (i = 0; i < n; i++)
		X509_free(xs[i]);
	free(xs);
	free(bad);
	free(used);
	pb_chain_free(c);
	return rc;
}

enum pb_err pb_chain_from_mem(const void *data, size_t len, const char *name,
			      const struct pb_trust *trust,
			      struct pb_chain **out, char *err, size_t errlen)
{
	X509 **xs = NULL;
	char (*bad)[128] = NULL;
	size_t n = 0;
	enum pb_err rc = x509_decode(data, len, name, &xs, &bad, &n, err, errlen);

	if (rc != PB_OK)
		return rc;
	rc = x509_build(xs, bad, n, 0, trust, NULL, out);
	if (rc != PB_OK)
		snprintf(err, errlen, "%s: out of memory", name);
	return rc;
}

enum pb_err pb_chain_load_file(const char *path, const struct pb_trust *trust,
			       struct pb_chain **out, char *err, size_t errlen)
{
	char *buf;
	size_t n;
	enum pb_err rc = file_read(path, MAX_FILE, "certificate file", &buf, &n,
				   err, errlen);

	if (rc != PB_OK)
		return rc;
	rc = pb_chain_from_mem(buf, n, path, trust, out, err, errlen);
	free(buf);
	return rc;
}

enum pb_err pb_chain_from_der_list(const unsigned char *const *der,
				   const size_t *lens, size_t n,
				   const struct pb_trust *trust,
				   struct pb_chain **out)
{
	return x509_chain_from_der_list(NULL, der, lens, n, trust, out);
}

enum pb_err x509_chain_from_der_list(struct x509_cache *cache,
				     const unsigned char *const *der,
				     const size_t *lens, size_t n,
				     const struct pb_trust *trust,
				     struct pb_chain **out)
{
	X509 **xs = calloc(n ? n : 1, sizeof(*xs));
	char (*bad)[128] = calloc(n ? n : 1, sizeof(*bad));
	size_t i;

	if (!xs || !bad) {
		free(xs);
		free(bad);
		return PB_ERR_NOMEM;
	}
	for (i = 0; i < n; i++)
		if (!(xs[i] = x509_cache_d2i(cache, der[i], lens[i])))
			snprintf(bad[i], sizeof(bad[i]), "certificate %zu sent by the "
				 "peer does not decode as X.509", i);
	return x509_build(xs, bad, n, 1, trust, cache, out);
}

void pb_chain_free(struct pb_chain *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n; i++) {
		X509_free(c->e[i].x);
		OPENSSL_free(c->e[i].der);
	}
	free(c->e);
	free(c);
}

size_t pb_chain_len(const struct pb_chain *c) { return c->n; }
const struct pb_cert_info *pb_chain_cert(const struct pb_chain *c, size_t i)
{
	return i < c->n ? &c->e[i].info : NULL;
}
int pb_chain_complete(const struct pb_chain *c) { return c->complete; }
int pb_chain_trusted(const struct pb_chain *c) { return c->trusted; }

const unsigned char *pb_chain_der(const struct pb_chain *c, size_t i, size_t *len)
{
	if (i >= c->n || !c->e[i].der)
		return NULL;
	*len = c->e[i].der_len;
	return c->e[i].der;
}

const char *pb_cert_role_str(enum pb_cert_role r)
{
	switch (r) {
	case PB_ROLE_LEAF: return "leaf";
	case PB_ROLE_INTERMEDIATE: return "intermediate";
	case PB_ROLE_ROOT: return "root";
	}
	return NULL;
}

/* ---- trust store ---- */

enum pb_err pb_trust_new(struct pb_trust **out)
{
	struct pb_trust *t = calloc(1, sizeof(*t));

	if (!t)
		return PB_ERR_NOMEM;
	*out = t;
	return PB_OK;
}

void pb_trust_free(struct pb_trust *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->n; i++)
		X509_free(t->x[i]);
	free(t->x);
	free(t);
}

static enum pb_err trust_push(struct pb_trust *t, X509 *x)
{
	X509 **g;
	size_t i;

	for (i = 0; i < t->n; i++) {
		if (!X509_cmp(t->x[i], x)) {   /* already there */
			X509_free(x);
			return PB_OK;
		}
	}
	if (!(g = realloc(t->x, (t->n + 1) * sizeof(*g)))) {
		X509_free(x);
		return PB_ERR_NOMEM;
	}
	t->x = g;
	t->x[t->n++] = x;
	return PB_OK;
}

enum pb_err pb_trust_add_der(struct pb_trust *t, const unsigned char *der, size_t len)
{
	return x509_trust_add_der(NULL, t, der, len);
}

enum pb_err x509_trust_add_der(struct x509_cache *cache, struct pb_trust *t,
			       const unsigned char *der, size_t len)
{
	X509 *x = x509_cache_d2i(cache, der, len);

	if (!x)
		return PB_ERR_PARSE;
	return trust_push(t, x);
}

enum pb_err pb_trust_add_file(struct pb_trust *t, const char *path,
			      char *err, size_t errlen)
{
	char *buf;
	X509 **xs = NULL;
	char (*bad)[128] = NULL;
	size_t n = 0, i, len;
	enum pb_err rc = file_read(path, MAX_FILE, "certificate file", &buf, &len,
				   err, errlen);

	if (rc != PB_OK)
		return rc;
	rc = x509_decode(buf, len, path, &xs, &bad, &n, err, errlen);
	free(buf);
	for (i = 0; rc == PB_OK && i < n; i++) {
		if (!xs[i]) {
			snprintf(err, errlen, "%s: %s", path, bad[i]);
			rc = PB_ERR_PARSE;
			break;
		}
		rc = trust_push(t, xs[i]);
		xs[i] = NULL;
	}
	for (i = 0; i < n; i++)
		X509_free(xs[i]);
	free(xs);
	free(bad);
	return rc;
}

size_t pb_trust_count(const struct pb_trust *t) { return t->n; }

enum pb_err pb_trust_add_trust(struct pb_trust *t, const struct pb_trust *from)
{
	size_t i;
	enum pb_err rc = PB_OK;

	for (i = 0; from && i < from->n && rc == PB_OK; i++) {
		if (!X509_up_ref(from->x[i]))
			return PB_ERR_INTERNAL;
		rc = trust_push(t, from->x[i]);
	}
	return rc;
}
