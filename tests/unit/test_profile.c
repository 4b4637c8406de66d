/* The profile loader: the catalog loads, and every kind of bad file is an
 * error naming file, line and what was expected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "phoneboot/phoneboot.h"

static const char good[] =
	"[device]\n"
	"id = t\nname = n\nvendor = v\nmodel = m\nfirmware = f\nflow = sip\nauth = digest\n"
	"[tls]\nversions = tls1.2\nciphers = TLS_AES_128_GCM_SHA256\nsni = yes\n"
	"[certificates]\nsig_hashes = sha256\nrsa_min_bits = 2048\nrsa_max_bits = 4096\n"
	"ecdsa = no\nwildcard = yes\nnames = san\nmax_chain_depth = 0\naia_fetch = no\n"
	"[sources]\n"
	"device.flow = assumed | x\ndevice.auth = assumed | x\ntls.versions = assumed | x\n"
	"tls.ciphers = documented | RFC 8446\ntls.sni = assumed | x\n"
	"certificates.sig_hashes = reported | y\ncertificates.rsa_min_bits = assumed | x\n"
	"certificates.rsa_max_bits = assumed | x\ncertificates.ecdsa = assumed | x\n"
	"certificates.wildcard = assumed | x\ncertificates.names = assumed | x\n"
	"certificates.max_chain_depth = assumed | x\ncertificates.aia_fetch = measured | lab\n";

static char *with(const char *from, const char *to)
{
	const char *at = strstr(good, from);
	char *s;

	assert_non_null(at);
	s = malloc(sizeof(good) + strlen(to));
	assert_non_null(s);
	memcpy(s, good, (size_t)(at - good));
	strcpy(s + (at - good), to);
	strcat(s, at + strlen(from));
	return s;
}

static void good_profile(void **st)
{
	struct pb_profile *p = NULL;
	char err[256];
	const struct pb_source *src;

	(void)st;
	assert_int_equal(pb_profile_parse("t.ini", good, strlen(good), &p, err, sizeof(err)), PB_OK);
	assert_string_equal(p->id, "t");
	assert_int_equal(p->tls_versions, PB_TLS_12);
	assert_int_equal(p->sig_hashes, PB_HASH_SHA256);
	assert_int_equal(p->rsa_max_bits, 4096);
	assert_int_equal(p->n_ciphers, 1);
	src = pb_profile_source(p, "tls.ciphers");
	assert_non_null(src);
	assert_int_equal(src->confidence, PB_CONF_DOCUMENTED);
	assert_string_equal(src->citation, "RFC 8446");
	pb_profile_free(p);
}

struct bad { const char *from, *to, *msg; };

static void bad_profiles(void **st)
{
	static const struct bad cases[] = {
		{ "[tls]\n", "[tls]\ncolour = red\n", "t.ini:10: unknown key 'colour' in [tls]" },
		{ "[tls]\n", "[tlz]\n", "t.ini:10: unknown section [tlz]" },
		{ "flow = sip", "flow = h323", "t.ini:7: [device] flow = 'h323': expected ocpe, lpe or sip" },
		{ "rsa_min_bits = 2048", "rsa_min_bits = lots", "expected a decimal number" },
		{ "rsa_min_bits = 2048", "rsa_min_bits = 8192", "rsa_min_bits is above rsa_max_bits" },
		{ "sig_hashes = sha256", "sig_hashes = sha256, sha3", "expected a list of md5, sha1" },
		{ "versions = tls1.2", "versions = tls2", "expected a list of ssl3" },
		{ "ciphers = TLS_AES_128_GCM_SHA256", "ciphers = AES128-SHA", "IANA cipher suite names" },
		{ "ecdsa = no", "ecdsa = maybe", "expected yes or no" },
		{ "ecdsa = no", "ecdsa = yes", "ecdsa = yes needs curves" },
		{ "id = t\n", "", "missing required key 'id' in [device]" },
		{ "tls.sni = assumed | x\n", "", "fact tls.sni has no entry in [sources]" },
		{ "tls.sni = assumed | x", "tls.sni = guessed | x", "expected 'documented|reported|measured|assumed" },
		{ "tls.sni = assumed | x", "tls.sni = assumed |", "the citation is empty" },
		{ "tls.sni = assumed | x", "tls.snu = assumed | x", "'tls.snu' is not a device fact" },
		{ "sni = yes", "sni = yes\nsni = no", "'sni' given twice" },
		{ "[tls]\n", "[tls\n", "t.ini:9: syntax error" },
		{ "name = n", "name = nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn", "t.ini:3: line longer than 198" },
		{ "id = t", "id = Not An Id", "expected an id of lower-case" },
		/* confidence and disputes (docs/profiles.md) */
		{ "tls.sni = assumed | x", "tls.sni = disputed | x", "a fact is disputed by a [disputed] line" },
		{ "tls.sni = assumed | x", "tls.sni = defined | x", "'defined' is for a definition" },
		{ "flow = sip", "kind = definition\nflow = sip", "a definition (kind = definition) has only 'defined' facts" },
		{ "flow = sip", "kind = gadget\nflow = sip", "expected device or definition" },
		{ "tls.sni = assumed | x\n", "tls.sni = assumed | x\ntls.sigalgs = assumed | x\n", "tls.sigalgs: the fact is not set" },
		{ "[sources]\n", "[disputed]\ntls.sni = no | documented | \"q\"\n[sources]\n", NULL },
		{ "[sources]\n", "[disputed]\ncertificates.curves = p256 | documented | \"q\"\n[sources]\n", "certificates.curves: the fact needs its strict value" },
		{ "[sources]\n", "[disputed]\ntls.sni = maybe | documented | \"q\"\n[sources]\n", "[disputed] tls.sni = 'maybe': expected yes or no" },
		{ "[sources]\n", "[disputed]\ntls.sni = no | disputed | q\n[sources]\n", "expected 'value | documented" },
		{ "[sources]\n", "[disputed]\ntls.sni = no | documented |\n[sources]\n", "needs a value and a citation" },
		{ "[sources]\n", "[disputed]\ntls.snu = no | documented | q\n[sources]\n", "'tls.snu' is not a device fact" },
		{ "lab\n", "lab\n[disputed]\ncertificates.rsa_max_bits = 1024 | documented | \"q\"\n",
		  "under the other reading of its disputed facts: [certificates] rsa_min_bits is above rsa_max_bits" },
		{ "wildcard = yes", "wildcard = sometimes", "expected yes, no, san-only or refuse" },
		/* [device] auth is an order; [sipae] */
		{ "auth = digest", "auth = digest, ntlm, digest", "expected each scheme once" },
		{ "auth = digest", "auth = digest, basic", "in the firmware's order of preference" },
		{ "[sources]\n", "[sipae]\nversion = 5\n[sources]\n", "expected 2, 3 or 4" },
		{ "[sources]\n", "[sipae]\nntlm_flags = 62988255\n[sources]\n", "in hex" },
		{ "[sources]\n", "[sipae]\nntlm_flags = 0x62988205\n[sources]\n", "NEGOTIATE_SIGN (0x10) and NEGOTIATE_DATAGRAM" },
		{ "[sources]\n", "[sipae]\nversion = 3\n[sources]\n", "fact sipae.version has no entry in [sources]" },
	};
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = with(cases[i].from, cases[i].to);
		struct pb_profile *p = NULL;
		char err[256] = "";

		if (!cases[i].msg) {
			/* a case that must load */
			if (pb_profile_parse("t.ini", text, strlen(text), &p, err, sizeof(err)) != PB_OK)
				fail_msg("case %zu: %s", i, err);
			pb_profile_free(p);
			free(text);
			continue;
		}
		if (pb_profile_parse("t.ini", text, strlen(text), &p, err, sizeof(err)) == PB_OK)
			fail_msg("case %zu accepted", i);
		assert_null(p);
		if (!strstr(err, cases[i].msg))
			fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].msg);
		free(text);
	}
}

/* [device] auth keeps the firmware's order; [sipae] facts load. */
static void auth_order_and_sipae(void **st)
{
	char *text = with("auth = digest\n", "auth = ntlm, kerberos, digest\n[sipae]\nversion = 3\n"
			  "ntlm_flags = 0x62988255\n");
	char *t2 = NULL;
	struct pb_profile *p = NULL;
	char err[256] = "";

	(void)st;
	t2 = malloc(strlen(text) + 128);
	assert_non_null(t2);
	sprintf(t2, "%ssipae.version = assumed | z\nsipae.ntlm_flags = assumed | z\n", text);
	if (pb_profile_parse("t.ini", t2, strlen(t2), &p, err, sizeof(err)) != PB_OK)
		fail_msg("%s", err);
	assert_int_equal(p->auth, PB_AUTH_NTLM | PB_AUTH_KERBEROS | PB_AUTH_DIGEST);
	assert_int_equal(p->auth_order[0], PB_AUTH_NTLM);
	assert_int_equal(p->auth_order[1], PB_AUTH_KERBEROS);
	assert_int_equal(p->auth_order[2], PB_AUTH_DIGEST);
	assert_int_equal(p->auth_order[3], 0);
	assert_int_equal(p->sipae_version, 3);
	assert_int_equal(p->ntlm_flags, 0x62988255u);
	pb_profile_free(p);
	free(t2);
	free(text);
}

static void continuation(void **st)
{
	char *text = with("ciphers = TLS_AES_128_GCM_SHA256\n",
			  "ciphers = TLS_AES_128_GCM_SHA256,\n    TLS_AES_256_GCM_SHA384\n");
	struct pb_profile *p = NULL;
	char err[256];

	(void)st;
	assert_int_equal(pb_profile_parse("t.ini", text, strlen(text), &p, err, sizeof(err)), PB_OK);
	assert_int_equal(p->n_ciphers, 2);
	assert_string_equal(p->ciphers[1], "TLS_AES_256_GCM_SHA384");
	pb_profile_free(p);
	free(text);
}

/* [disputed]: the file's value is the strict reading; the other one
 * builds p->other, and the fact counts as disputed */
static void disputed(void **st)
{
	char *text = with("[sources]\n",
			  "[disputed]\ncertificates.sig_hashes = sha256, sha384 | documented | vendor:\n"
			  "    \"SHA-384 works\"\n[sources]\n");
	struct pb_profile *p = NULL;
	const struct pb_source *src;
	size_t n[PB_CONF_COUNT] = { 0 };
	char err[256];

	(void)st;
	assert_int_equal(pb_profile_parse("t.ini", text, strlen(text), &p, err, sizeof(err)), PB_OK);
	assert_int_equal(p->sig_hashes, PB_HASH_SHA256);
	src = pb_profile_source(p, "certificates.sig_hashes");
	assert_non_null(src);
	assert_int_equal(src->confidence, PB_CONF_REPORTED);
	assert_string_equal(src->other_value, "sha256, sha384");
	assert_int_equal(src->other_confidence, PB_CONF_DOCUMENTED);
	assert_string_equal(src->other_citation, "vendor: \"SHA-384 works\"");
	assert_int_equal(pb_profile_confidence(p, "certificates.sig_hashes"), PB_CONF_DISPUTED);
	assert_int_equal(pb_profile_confidence(p, "tls.ciphers"), PB_CONF_DOCUMENTED);
	assert_int_equal(pb_profile_confidence(p, "certificates.check_eku"), PB_CONF_ASSUMED);
	assert_non_null(p->other);
	assert_int_equal(p->other->sig_hashes, PB_HASH_SHA256 | PB_HASH_SHA384);
	assert_int_equal(p->other->rsa_max_bits, 4096);
	assert_null(p->other->other);
	assert_int_equal(pb_profile_count(p, n), 13);
	assert_int_equal(n[PB_CONF_DISPUTED], 1);
	assert_int_equal(n[PB_CONF_DOCUMENTED], 1);
	assert_int_equal(n[PB_CONF_MEASURED], 1);
	pb_profile_free(p);
	free(text);
}

/* "a few words of the quote": a passage in double quotes */
static int has_quote(const char *c)
{
	const char *a = strchr(c, '"'), *b = a ? strchr(a + 1, '"') : NULL;

	return a && b && b - a > 4;
}

/* Every device fact of the catalog is sourced; every grounded one carries
 * its quote; the grounded share is printed and never falls. */
static void catalog_sourced(void **st)
{
	struct pb_catalog *c = NULL;
	char err[512];
	size_t i, k, facts = 0, sum[PB_CONF_COUNT] = { 0 }, grounded;

	(void)st;
	if (pb_catalog_load(getenv("PB_PROFILES"), &c, err, sizeof(err)) != PB_OK)
		fail_msg("%s", err);
	for (i = 0; i < c->n; i++) {
		const struct pb_profile *p = c->items[i];
		size_t n[PB_CONF_COUNT] = { 0 };

		for (k = 0; k < p->n_sources; k++) {
			const struct pb_source *s = &p->sources[k];

			if (!s->citation[0])
				fail_msg("%s: %s has no citation", p->id, s->fact);
			if (s->confidence != PB_CONF_ASSUMED && s->confidence != PB_CONF_DEFINED &&
			    !has_quote(s->citation))
				fail_msg("%s: %s is %s but quotes no source", p->id, s->fact,
					 pb_confidence_str(s->confidence));
			if (s->other_value && s->other_confidence != PB_CONF_ASSUMED &&
			    !has_quote(s->other_citation))
				fail_msg("%s: the other reading of %s quotes no source", p->id, s->fact);
		}
		if (!strcmp(p->id, "generic-modern"))
			assert_true(p->definition);
		if (p->definition)
			continue;
		facts += pb_profile_count(p, n);
		for (k = 0; k < PB_CONF_COUNT; k++)
			sum[k] += n[k];
		assert_int_equal(n[PB_CONF_DEFINED], 0);
	}
	grounded = sum[PB_CONF_DOCUMENTED] + sum[PB_CONF_REPORTED] + sum[PB_CONF_MEASURED];
	printf("catalog: %zu device facts; %zu documented, %zu reported, %zu measured, "
	       "%zu assumed, %zu disputed: grounded %.0f%%\n", facts,
	       sum[PB_CONF_DOCUMENTED], sum[PB_CONF_REPORTED], sum[PB_CONF_MEASURED],
	       sum[PB_CONF_ASSUMED], sum[PB_CONF_DISPUTED],
	       100.0 * (double)grounded / (double)facts);
	/* a ratchet: issue 14 asks for 60%; the evidence found so far gives
	 * 59 of 104 (57%) */
	assert_true(grounded * 100 >= facts * 56);
	/* the founding case's disputes are recorded */
	assert_int_equal(pb_profile_confidence(pb_catalog_find(c, "polycom-cx700-ocpe"),
					       "certificates.sig_hashes"), PB_CONF_DISPUTED);
	assert_int_equal(pb_profile_confidence(pb_catalog_find(c, "polycom-cx700-ocpe"),
					       "certificates.rsa_max_bits"), PB_CONF_DISPUTED);
	pb_catalog_free(c);
}

static void catalog(void **st)
{
	struct pb_catalog *c = NULL;
	char err[512];
	static const char *const need[] = {
		"polycom-cx700-ocpe", "lpe-aries-pre-sha2", "lpe-aries-sha2",
		"polycom-vvx-ucs5", "yealink-t4x-sfb", "windows-xp-sp2-cryptoapi",
		"generic-modern", "yealink-sfb-tls12",
	};
	size_t i;
	const struct pb_profile *cx;

	(void)st;
	assert_non_null(getenv("PB_PROFILES"));
	if (pb_catalog_load(getenv("PB_PROFILES"), &c, err, sizeof(err)) != PB_OK)
		fail_msg("%s", err);
	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		assert_non_null(pb_catalog_find(c, need[i]));
	cx = pb_catalog_find(c, "polycom-cx700-ocpe");
	assert_int_equal(cx->tls_versions, PB_TLS_10);
	assert_int_equal(cx->sig_hashes, PB_HASH_MD5 | PB_HASH_SHA1);
	assert_int_equal(cx->rsa_max_bits, 2048);
	assert_int_equal(cx->flow, PB_FLOW_OCPE);
	assert_string_equal(cx->screen[PB_STEP_LOCATE_DC], "Locating Domain Controller");
	for (i = 1; i < c->n; i++)
		assert_true(strcmp(c->items[i - 1]->id, c->items[i]->id) < 0);
	pb_catalog_free(c);
	assert_int_not_equal(pb_catalog_load("/nonexistent", &c, err, sizeof(err)), PB_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good_profile),
		cmocka_unit_test(bad_profiles),
		cmocka_unit_test(continuation),
		cmocka_unit_test(auth_order_and_sipae),
		cmocka_unit_test(catalog),
		cmocka_unit_test(disputed),
		cmocka_unit_test(catalog_sourced),
	};
	return cmocka_run_group_tests_name("profile", tests, NULL, NULL);
}
