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
	};
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = with(cases[i].from, cases[i].to);
		struct pb_profile *p = NULL;
		char err[256] = "";

		if (pb_profile_parse("t.ini", text, strlen(text), &p, err, sizeof(err)) == PB_OK)
			fail_msg("case %zu accepted", i);
		assert_null(p);
		if (!strstr(err, cases[i].msg))
			fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].msg);
		free(text);
	}
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

static void catalog(void **st)
{
	struct pb_catalog *c = NULL;
	char err[512];
	static const char *const need[] = {
		"polycom-cx700-ocpe", "lpe-aries-pre-sha2", "lpe-aries-sha2",
		"polycom-vvx-ucs5", "yealink-t4x-sfb", "windows-xp-sp2-cryptoapi",
		"generic-modern",
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
		cmocka_unit_test(catalog),
	};
	return cmocka_run_group_tests_name("profile", tests, NULL, NULL);
}
