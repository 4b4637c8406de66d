/* The certificate judge: every cause code where it should be, and not
 * where it should not, per profile. Fixtures: tests/fixtures/mkfixtures.sh
 * (directory in $PB_FIXTURES). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "phoneboot/phoneboot.h"
#include "x509/cache.h"

static struct pb_catalog *cat;
static const char *fx;
static time_t now2026 = 1795000000;   /* 2026-11-18 */

static const struct pb_profile *prof(const char *id)
{
	const struct pb_profile *p = pb_catalog_find(cat, id);

	assert_non_null(p);
	return p;
}

static struct pb_chain *load(const char *name, const struct pb_trust *t)
{
	char path[1024], err[512];
	struct pb_chain *c = NULL;

	snprintf(path, sizeof(path), "%s/%s", fx, name);
	if (pb_chain_load_file(path, t, &c, err, sizeof(err)) != PB_OK)
		fail_msg("%s", err);
	return c;
}

static struct pb_verdict *judge_full(const char *file, const char *profile,
				     const char *name, time_t now,
				     const struct pb_trust *t)
{
	struct pb_chain *c = load(file, t);
	struct pb_judge_opts o = { now, name, t != NULL };
	struct pb_verdict *v = NULL;

	assert_int_equal(pb_judge(c, prof(profile), &o, &v), PB_OK);
	pb_chain_free(c);
	return v;
}

static struct pb_verdict *judge(const char *file, const char *profile)
{
	return judge_full(file, profile, "pool.test.example", now2026, NULL);
}

/* the verdict has exactly these causes (as a set) */
static void expect(struct pb_verdict *v, const enum pb_cause *want, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!pb_verdict_has(v, want[i]))
			fail_msg("missing %s", pb_cause_str(want[i]));
	for (i = 0; i < v->n; i++) {
		size_t k;
		int ok = 0;

		for (k = 0; k < n; k++)
			ok |= v->findings[i].cause == want[k];
		if (!ok)
			fail_msg("unexpected %s: %s", pb_cause_str(v->findings[i].cause),
				 v->findings[i].text);
	}
	assert_int_equal(v->usable, n == 0);
	pb_verdict_free(v);
}
#define EXPECT(v, ...) do { \
	const enum pb_cause w_[] = { PB_CAUSE_NONE, __VA_ARGS__ }; \
	expect((v), w_ + 1, sizeof(w_) / sizeof(w_[0]) - 1); } while (0)
#define EXPECT_NONE(v) expect((v), NULL, 0)

static void founding_case(void **s)
{
	struct pb_verdict *v;
	size_t i;
	int root_hash = 0, root_key = 0;

	(void)s;
	v = judge("chain-founding-internal.pem", "polycom-cx700-ocpe");
	for (i = 0; i < v->n; i++) {
		const struct pb_finding *f = &v->findings[i];
		if (f->cause == PB_CAUSE_CERT_SIG_HASH_UNSUPPORTED && f->cert == 1) {
			root_hash = 1;
			assert_non_null(strstr(f->text, "root 'corp-ROOT-CA' is signed with SHA-256"));
			assert_non_null(strstr(f->text, "accepts MD5, SHA-1"));
		}
		if (f->cause == PB_CAUSE_CERT_KEY_TOO_LARGE && f->cert == 1) {
			root_key = 1;
			assert_non_null(strstr(f->text, "4096 bits"));
		}
	}
	assert_true(root_hash);
	assert_true(root_key);
	EXPECT(v, PB_CAUSE_CERT_SIG_HASH_UNSUPPORTED, PB_CAUSE_CERT_KEY_TOO_LARGE);
	EXPECT_NONE(judge("chain-legacy.pem", "polycom-cx700-ocpe"));
	EXPECT_NONE(judge("chain-founding-internal.pem", "generic-modern"));
	EXPECT(judge("chain-legacy.pem", "generic-modern"),
	       PB_CAUSE_CERT_SIG_HASH_UNSUPPORTED);
}

/* the finding on cert `cert` with `cause`, or fail */
static const struct pb_finding *find(const struct pb_verdict *v, enum pb_cause cause, int cert)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (v->findings[i].cause == cause && v->findings[i].cert == cert)
			return &v->findings[i];
	fail_msg("no %s on cert %d", pb_cause_str(cause), cert);
	return NULL;
}

static int ends_with(const char *s, const char *tail)
{
	size_t a = strlen(s), b = strlen(tail);

	return a >= b && !strcmp(s + a - b, tail);
}

/* every reason says how sure it is: field and bracketed tag agree */
static void confidence(void **s)
{
	struct pb_verdict *v;
	const struct pb_finding *f;
	size_t i;

	(void)s;
	/* the founding case: both reasons rest on disputed facts, and the
	 * documented readings would have taken the chain */
	v = judge("chain-founding-internal.pem", "polycom-cx700-ocpe");
	f = find(v, PB_CAUSE_CERT_SIG_HASH_UNSUPPORTED, 1);
	assert_int_equal(f->confidence, PB_CONF_DISPUTED);
	assert_string_equal(f->fact, "certificates.sig_hashes");
	assert_true(ends_with(f->text, "accepts MD5, SHA-1 [disputed]"));
	assert_true(f->other_reading_passes);
	f = find(v, PB_CAUSE_CERT_KEY_TOO_LARGE, 1);
	assert_int_equal(f->confidence, PB_CONF_DISPUTED);
	assert_string_equal(f->fact, "certificates.rsa_max_bits");
	assert_true(ends_with(f->text, "at most 2048 [disputed]"));
	assert_true(f->other_reading_passes);
	assert_false(v->usable);
	assert_true(v->usable_other_reading);
	for (i = 0; i < v->n; i++)
		assert_non_null(strchr(v->findings[i].text, '['));
	pb_verdict_free(v);
	/* SHA-384 fails under both readings of the CX700's hashes */
	v = judge("chain-p384.pem", "polycom-cx700-ocpe");
	f = find(v, PB_CAUSE_CERT_SIG_HASH_UNSUPPORTED, 0);
	assert_int_equal(f->confidence, PB_CONF_DISPUTED);
	assert_false(f->other_reading_passes);
	assert_false(v->usable_other_reading);
	pb_verdict_free(v);
	/* the VVX's wildcard rule: a Let's Encrypt-style wildcard (CN and SAN)
	 * failed in practice; the documented CN-only rule would take it from
	 * the SAN */
	v = judge("chain-wildcard.pem", "polycom-vvx-ucs5");
	f = find(v, PB_CAUSE_CERT_WILDCARD_UNSUPPORTED, 0);
	assert_int_equal(f->confidence, PB_CONF_DISPUTED);
	assert_string_equal(f->fact, "certificates.wildcard");
	assert_true(f->other_reading_passes);
	assert_false(v->usable);
	assert_true(v->usable_other_reading);
	pb_verdict_free(v);
	/* documented: XP SP2 has no SHA-2; nothing disputed */
	v = judge("chain-founding-internal.pem", "windows-xp-sp2-cryptoapi");
	f = find(v, PB_CAUSE_CERT_SIG_HASH_UNSUPPORTED, 1);
	assert_int_equal(f->confidence, PB_CONF_DOCUMENTED);
	assert_true(ends_with(f->text, "[documented]"));
	assert_false(f->other_reading_passes);
	assert_int_equal(v->usable_other_reading, v->usable);
	pb_verdict_free(v);
	/* a definition's reasons are defined, not assumed */
	v = judge("chain-legacy.pem", "generic-modern");
	f = find(v, PB_CAUSE_CERT_SIG_HASH_UNSUPPORTED, 0);
	assert_int_equal(f->confidence, PB_CONF_DEFINED);
	assert_true(ends_with(f->text, "[defined]"));
	pb_verdict_free(v);
	/* the chain alone: measured, no device fact */
	v = judge("chain-inter-missing.pem", "generic-modern");
	f = find(v, PB_CAUSE_CERT_CHAIN_INCOMPLETE, -1);
	assert_int_equal(f->confidence, PB_CONF_MEASURED);
	assert_null(f->fact);
	assert_true(ends_with(f->text, "[measured]"));
	pb_verdict_free(v);
	/* validity left at its default: an assumption about the device */
	v = judge("chain-expired.pem", "polycom-cx700-ocpe");
	f = find(v, PB_CAUSE_CERT_EXPIRED, 0);
	assert_int_equal(f->confidence, PB_CONF_ASSUMED);
	assert_string_equal(f->fact, "certificates.check_validity");
	pb_verdict_free(v);
}

static void hashes(void **s)
{
	(void)s;
	EXPECT_NONE(judge("chain-md5.pem", "polycom-cx700-ocpe"));
	EXPECT(judge("chain-md5.pem", "yealink-t4x-sfb"), PB_CAUSE_CERT_SIG_HASH_UNSUPPORTED);
	EXPECT(judge("chain-md5.pem", "generic-modern"), PB_CAUSE_CERT_SIG_HASH_UNSUPPORTED);
	/* LPE before and after its SHA-2 update */
	EXPECT(judge("chain-inter.pem", "lpe-aries-pre-sha2"),
	       PB_CAUSE_CERT_SIG_HASH_UNSUPPORTED, PB_CAUSE_CERT_KEY_TOO_LARGE);
	EXPECT(judge("chain-inter.pem", "lpe-aries-sha2"), PB_CAUSE_CERT_KEY_TOO_LARGE);
	EXPECT(judge("chain-p384.pem", "lpe-aries-sha2"),
	       PB_CAUSE_CERT_SIG_HASH_UNSUPPORTED, PB_CAUSE_CERT_KEY_TYPE_UNSUPPORTED);
}

static void keys(void **s)
{
	(void)s;
	EXPECT(judge("chain-rsa1024.pem", "generic-modern"), PB_CAUSE_CERT_KEY_TOO_SMALL);
	EXPECT_NONE(judge("chain-rsa1024.pem", "polycom-vvx-ucs5"));
	EXPECT(judge("chain-rsa1024.pem", "polycom-cx700-ocpe"),
	       PB_CAUSE_CERT_SIG_HASH_UNSUPPORTED, PB_CAUSE_CERT_KEY_TOO_LARGE);
	EXPECT_NONE(judge("chain-p256.pem", "generic-modern"));
	EXPECT_NONE(judge("chain-p384.pem", "generic-modern"));
	EXPECT(judge("chain-p256.pem", "polycom-cx700-ocpe"),
	       PB_CAUSE_CERT_SIG_HASH_UNSUPPORTED, PB_CAUSE_CERT_KEY_TYPE_UNSUPPORTED);
}

static void curves(void **s)
{
	char err[512];
	struct pb_profile *p = NULL;
	struct pb_chain *c = load("chain-p384.pem", NULL);
	struct pb_judge_opts o = { now2026, NULL, 0 };
	struct pb_verdict *v = NULL;
	char path[1024];

	(void)s;
	snprintf(path, sizeof(path), "%s/test-strict.ini", getenv("PB_TESTDATA"));
	if (pb_profile_load(path, &p, err, sizeof(err)) != PB_OK)
		fail_msg("%s", err);
	assert_int_equal(pb_judge(c, p, &o, &v), PB_OK);
	EXPECT(v, PB_CAUSE_CERT_CURVE_UNSUPPORTED);
	pb_chain_free(c);
	c = load("chain-p256.pem", NULL);
	assert_int_equal(pb_judge(c, p, &o, &v), PB_OK);
	EXPECT_NONE(v);
	pb_chain_free(c);
	pb_profile_free(p);
}

static void validity(void **s)
{
	(void)s;
	EXPECT(judge("chain-expired.pem", "generic-modern"), PB_CAUSE_CERT_EXPIRED);
	EXPECT(judge("chain-future.pem", "generic-modern"), PB_CAUSE_CERT_NOT_YET_VALID);
	/* the device clock decides: in mid-2020 the leaf had not expired yet,
	 * but its root (valid from 2024) was not valid yet */
	EXPECT(judge_full("chain-expired.pem", "generic-modern", NULL,
			  1590000000, NULL), PB_CAUSE_CERT_NOT_YET_VALID);
	EXPECT(judge_full("chain-founding-internal.pem", "generic-modern", NULL,
			  1590000000, NULL), PB_CAUSE_CERT_NOT_YET_VALID);
}

static void chain_shape(void **s)
{
	struct pb_chain *c;

	(void)s;
	c = load("chain-inter.pem", NULL);
	assert_int_equal(pb_chain_len(c), 3);
	assert_true(pb_chain_complete(c));
	assert_int_equal(pb_chain_cert(c, 1)->role, PB_ROLE_INTERMEDIATE);
	assert_string_equal(pb_chain_cert(c, 2)->name, "corp-ROOT-CA");
	pb_chain_free(c);
	/* order of the input does not matter: root first */
	c = load("chain-inter.p7b", NULL);
	assert_int_equal(pb_chain_len(c), 3);
	assert_string_equal(pb_chain_cert(c, 0)->name, "pool.test.example");
	pb_chain_free(c);
	EXPECT_NONE(judge("chain-inter.pem", "generic-modern"));
	EXPECT(judge("chain-inter-missing.pem", "generic-modern"),
	       PB_CAUSE_CERT_CHAIN_INCOMPLETE);
	EXPECT(judge("leaf-sha256.pem", "generic-modern"), PB_CAUSE_CERT_CHAIN_INCOMPLETE);
	EXPECT(judge("chain-notca.pem", "generic-modern"), PB_CAUSE_CERT_NOT_CA);
	EXPECT(judge("chain-clientonly.pem", "generic-modern"), PB_CAUSE_CERT_EKU_MISMATCH);
}

static void depth(void **s)
{
	char err[512], path[1024];
	struct pb_profile *p = NULL;
	struct pb_chain *c = load("chain-inter.pem", NULL);
	struct pb_judge_opts o = { now2026, NULL, 0 };
	struct pb_verdict *v = NULL;

	(void)s;
	snprintf(path, sizeof(path), "%s/test-strict.ini", getenv("PB_TESTDATA"));
	assert_int_equal(pb_profile_load(path, &p, err, sizeof(err)), PB_OK);
	assert_int_equal(p->max_chain_depth, 2);
	assert_int_equal(pb_judge(c, p, &o, &v), PB_OK);
	EXPECT(v, PB_CAUSE_CERT_CHAIN_TOO_LONG);
	pb_chain_free(c);
	pb_profile_free(p);
}

static void names(void **s)
{
	(void)s;
	EXPECT_NONE(judge_full("chain-founding-internal.pem", "generic-modern",
			       "sip.test.example", now2026, NULL));
	EXPECT_NONE(judge_full("chain-founding-internal.pem", "generic-modern",
			       "POOL.test.example.", now2026, NULL));
	EXPECT(judge_full("chain-other-name.pem", "generic-modern",
			  "pool.test.example", now2026, NULL), PB_CAUSE_CERT_NAME_MISMATCH);
	EXPECT(judge_full("chain-founding-internal.pem", "generic-modern",
			  "edge.test.example", now2026, NULL), PB_CAUSE_CERT_NAME_MISMATCH);
	/* wildcard: one label only; the modern phone takes it, XP profile too */
	EXPECT_NONE(judge_full("chain-wildcard.pem", "windows-xp-sp2-cryptoapi",
			       "pool.test.example", now2026, NULL));
	EXPECT(judge_full("chain-wildcard.pem", "windows-xp-sp2-cryptoapi",
			  "a.pool.test.example", now2026, NULL), PB_CAUSE_CERT_NAME_MISMATCH);
	/* OCS never took wildcards (reported) */
	EXPECT(judge_full("chain-wildcard.pem", "polycom-cx700-ocpe",
			  "pool.test.example", now2026, NULL), PB_CAUSE_CERT_WILDCARD_UNSUPPORTED);
	/* Lync Phone Edition refuses any wildcard name, matching or not */
	EXPECT(judge_full("chain-wildcard.pem", "lpe-aries-pre-sha2",
			  "pool.test.example", now2026, NULL), PB_CAUSE_CERT_WILDCARD_UNSUPPORTED);
	EXPECT(judge_full("chain-wildcard.pem", "lpe-aries-pre-sha2",
			  "a.pool.test.example", now2026, NULL),
	       PB_CAUSE_CERT_WILDCARD_UNSUPPORTED, PB_CAUSE_CERT_NAME_MISMATCH);
	/* VVX: a Let's Encrypt-style wildcard in the CN and the SAN needed the
	 * name check off (reported; disputed by the CN-only rule) */
	EXPECT(judge_full("chain-wildcard.pem", "polycom-vvx-ucs5",
			  "pool.test.example", now2026, NULL), PB_CAUSE_CERT_WILDCARD_UNSUPPORTED);
}

static struct pb_verdict *strict(const char *file, const char *name)
{
	char err[512], path[1024];
	struct pb_profile *p = NULL;
	struct pb_chain *c = load(file, NULL);
	struct pb_judge_opts o = { now2026, name, 0 };
	struct pb_verdict *v = NULL;

	snprintf(path, sizeof(path), "%s/test-strict.ini", getenv("PB_TESTDATA"));
	assert_int_equal(pb_profile_load(path, &p, err, sizeof(err)), PB_OK);
	assert_int_equal(pb_judge(c, p, &o, &v), PB_OK);
	pb_chain_free(c);
	pb_profile_free(p);
	return v;
}

static void wildcard_and_cn(void **s)
{
	(void)s;
	EXPECT_NONE(strict("chain-p256.pem", "pool.test.example"));
	/* the wildcard CN is read, and refused */
	EXPECT(strict("chain-wildcard.pem", "pool.test.example"),
	       PB_CAUSE_CERT_SIG_HASH_UNSUPPORTED, PB_CAUSE_CERT_WILDCARD_UNSUPPORTED);
	/* CN only: sip.test.example is in the SAN, but this device never reads it */
	EXPECT(strict("chain-founding-internal.pem", "sip.test.example"),
	       PB_CAUSE_CERT_NAME_MISMATCH);
	EXPECT_NONE(strict("chain-founding-internal.pem", "pool.test.example"));
}

static void trust(void **s)
{
	struct pb_trust *t = NULL;
	char path[1024], err[512];
	struct pb_chain *c;

	(void)s;
	assert_int_equal(pb_trust_new(&t), PB_OK);
	snprintf(path, sizeof(path), "%s/root-sha1-rsa2048.pem", fx);
	assert_int_equal(pb_trust_add_file(t, path, err, sizeof(err)), PB_OK);
	EXPECT_NONE(judge_full("chain-legacy.pem", "polycom-cx700-ocpe", NULL, now2026, t));
	EXPECT(judge_full("chain-founding-internal.pem", "generic-modern", NULL, now2026, t),
	       PB_CAUSE_CERT_UNTRUSTED_ROOT);
	/* a leaf alone is completed from the trust store */
	c = load("leaf-sha1.pem", t);
	assert_int_equal(pb_chain_len(c), 2);
	assert_true(pb_chain_trusted(c));
	assert_true(pb_chain_cert(c, 1)->from_trust);
	pb_chain_free(c);
	/* DER root added to the store */
	snprintf(path, sizeof(path), "%s/root-sha256-rsa4096.der", fx);
	assert_int_equal(pb_trust_add_file(t, path, err, sizeof(err)), PB_OK);
	assert_int_equal(pb_trust_count(t), 2);
	EXPECT_NONE(judge_full("leaf-sha256.pem", "generic-modern", NULL, now2026, t));
	pb_trust_free(t);
}

static void bad_input(void **s)
{
	static const char *const files[] = {
		"bad-truncated.pem", "bad-truncated.der", "bad-garbage.bin",
		"bad-garbage.der", "bad-empty.pem", "bad-directory", "no-such-file",
	};
	char path[1024], err[512];
	struct pb_chain *c = NULL;
	size_t i;

	(void)s;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", fx, files[i]);
		err[0] = '\0';
		assert_int_not_equal(pb_chain_load_file(path, NULL, &c, err, sizeof(err)), PB_OK);
		assert_non_null(strstr(err, files[i]));   /* the message names the file */
		assert_null(strchr(err, '\n'));
	}
	/* a readable PEM whose certificate does not decode: a verdict */
	EXPECT(judge("bad-malformed.pem", "generic-modern"), PB_CAUSE_CERT_MALFORMED);
}

/* The certificates of a PEM fixture as DER, leaf first (as a server sends). */
static size_t pem_ders(const char *name, unsigned char **der, size_t *len, size_t max)
{
	char path[1024];
	BIO *b;
	X509 *x;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/%s", fx, name);
	assert_non_null(b = BIO_new_file(path, "r"));
	while (n < max && (x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
		int l;

		der[n] = NULL;
		assert_true((l = i2d_X509(x, &der[n])) > 0);
		len[n++] = (size_t)l;
		X509_free(x);
	}
	BIO_free(b);
	return n;
}

/* a chain and its verdict built through the cache equal the ones built
 * without it, from the first sight of the bytes and from the cache */
static void same_chain(struct x509_cache *xc, unsigned char **der, size_t *len,
		       size_t n, const struct pb_trust *t, const char *profile)
{
	struct pb_chain *a = NULL, *b = NULL;
	struct pb_verdict *va = NULL, *vb = NULL;
	struct pb_judge_opts o = { now2026, NULL, t != NULL };
	size_t i;

	assert_int_equal(pb_chain_from_der_list((const unsigned char *const *)der, len, n,
						t, &a), PB_OK);
	assert_int_equal(x509_chain_from_der_list(xc, (const unsigned char *const *)der,
						  len, n, t, &b), PB_OK);
	assert_int_equal(pb_chain_len(a), pb_chain_len(b));
	assert_int_equal(pb_chain_complete(a), pb_chain_complete(b));
	assert_int_equal(pb_chain_trusted(a), pb_chain_trusted(b));
	for (i = 0; i < pb_chain_len(a); i++)
		assert_memory_equal(pb_chain_cert(a, i), pb_chain_cert(b, i),
				    sizeof(struct pb_cert_info));
	assert_int_equal(pb_judge(a, prof(profile), &o, &va), PB_OK);
	assert_int_equal(pb_judge(b, prof(profile), &o, &vb), PB_OK);
	assert_int_equal(va->n, vb->n);
	assert_int_equal(va->usable, vb->usable);
	for (i = 0; i < va->n; i++)
		assert_int_equal(va->findings[i].cause, vb->findings[i].cause);
	pb_verdict_free(va);
	pb_verdict_free(vb);
	pb_chain_free(a);
	pb_chain_free(b);
}

static void cache(void **s)
{
	static const char *const files[] = {
		"chain-founding-internal.pem", "chain-legacy.pem", "chain-inter.pem",
		"chain-p256.pem", "chain-md5.pem", "chain-notca.pem", "chain-expired.pem",
		"leaf-via-inter.pem",
	};
	struct x509_cache *xc = x509_cache_new();
	struct pb_trust *t = NULL, *t2 = NULL;
	unsigned char *der[8];
	size_t len[8], n, i, k, round;
	unsigned long hits, misses, hits1;
	char path[1024], err[512];

	(void)s;
	assert_non_null(xc);
	assert_int_equal(pb_trust_new(&t), PB_OK);
	snprintf(path, sizeof(path), "%s/root-sha1-rsa2048.pem", fx);
	assert_int_equal(pb_trust_add_file(t, path, err, sizeof(err)), PB_OK);
	for (round = 0; round < 2; round++) {
		for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			n = pem_ders(files[i], der, len, 8);
			assert_true(n > 0);
			same_chain(xc, der, len, n, NULL, "generic-modern");
			same_chain(xc, der, len, n, t, "polycom-cx700-ocpe");
			for (k = 0; k < n; k++)
				OPENSSL_free(der[k]);
		}
		x509_cache_stats(xc, &hits, &misses);
		if (round == 0)
			hits1 = hits;
		else
			assert_true(hits > hits1);   /* the second round from the cache */
	}
	/* other bytes, another key: a leaf whose signature was altered is
	 * still found bad after its intact twin was cached */
	n = pem_ders("chain-inter.pem", der, len, 8);
	assert_true(n >= 2);
	der[0][len[0] - 1] ^= 0x01;
	{
		struct pb_chain *c = NULL;
		struct pb_verdict *v = NULL;
		struct pb_judge_opts o = { now2026, NULL, 0 };

		same_chain(xc, der, len, n, NULL, "generic-modern");
		assert_int_equal(x509_chain_from_der_list(xc, (const unsigned char *const *)der,
							  len, n, NULL, &c), PB_OK);
		assert_int_equal(pb_judge(c, prof("generic-modern"), &o, &v), PB_OK);
		assert_false(v->usable);
		for (k = 0; k < v->n && v->findings[k].cause != PB_CAUSE_CERT_MALFORMED; k++)
			;
		assert_true(k < v->n);
		pb_verdict_free(v);
		pb_chain_free(c);
	}
	/* a root added to a trust store through the cache: the same store */
	assert_int_equal(pb_trust_new(&t2), PB_OK);
	assert_int_equal(x509_trust_add_der(xc, t2, der[n - 1], len[n - 1]), PB_OK);
	assert_int_equal(x509_trust_add_der(xc, t2, der[n - 1], len[n - 1]), PB_OK);
	assert_int_equal(pb_trust_count(t2), 1);
	assert_int_equal(x509_trust_add_der(xc, t2, (const unsigned char *)"\060x", 2),
			 PB_ERR_PARSE);
	for (k = 0; k < n; k++)
		OPENSSL_free(der[k]);
	pb_trust_free(t2);
	pb_trust_free(t);
	x509_cache_free(xc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(founding_case),
		cmocka_unit_test(confidence),
		cmocka_unit_test(hashes),
		cmocka_unit_test(keys),
		cmocka_unit_test(curves),
		cmocka_unit_test(validity),
		cmocka_unit_test(chain_shape),
		cmocka_unit_test(depth),
		cmocka_unit_test(names),
		cmocka_unit_test(wildcard_and_cn),
		cmocka_unit_test(trust),
		cmocka_unit_test(bad_input),
		cmocka_unit_test(cache),
	};
	char err[512];
	int rc;

	fx = getenv("PB_FIXTURES");
	if (!fx || !getenv("PB_TESTDATA") ||
	    pb_catalog_load(getenv("PB_PROFILES"), &cat, err, sizeof(err)) != PB_OK) {
		fprintf(stderr, "set PB_FIXTURES, PB_TESTDATA, PB_PROFILES (%s)\n", err);
		return 1;
	}
	rc = cmocka_run_group_tests_name("judge", tests, NULL, NULL);
	pb_catalog_free(cat);
	return rc;
}
