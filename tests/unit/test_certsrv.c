/* The CA chain of AD CS web enrollment (lib/http/certsrv.c) in every form
 * the pages send it, and what is no chain; the answer of an HTTP
 * Negotiate server read (lib/http/negotiate.c). The chain is the
 * fixtures' three-certificate PKCS#7 ($PB_FIXTURES/chain-inter.p7b, made
 * by openssl crl2pkcs7 as the lab makes certnew.p7b). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "http/certsrv.h"
#include "http/negotiate.h"

static unsigned char *p7;
static size_t p7_len;

static unsigned char *slurp(const char *name, size_t *len)
{
	char path[1024];
	const char *dir = getenv("PB_FIXTURES");
	FILE *f;
	unsigned char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "build/fixtures", name);
	if (!(f = fopen(path, "rb")))
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* base64 of der, lines of 64 with CRLF (as AD CS writes them), between
 * BEGIN and END lines of label (NULL: no armor). */
static char *armor(const unsigned char *der, size_t len, const char *label)
{
	size_t cap = len * 2 + 200, o = 0, i;
	char *b64 = malloc(len * 4 / 3 + 8), *out = malloc(cap);
	int n = EVP_EncodeBlock((unsigned char *)b64, der, (int)len);

	if (label)
		o += (size_t)snprintf(out + o, cap - o, "-----BEGIN %s-----\r\n", label);
	for (i = 0; i < (size_t)n; i += 64)
		o += (size_t)snprintf(out + o, cap - o, "%.*s\r\n", 64, b64 + i);
	if (label)
		o += (size_t)snprintf(out + o, cap - o, "-----END %s-----\r\n", label);
	free(b64);
	return out;
}

static int setup(void **st)
{
	(void)st;
	return (p7 = slurp("chain-inter.p7b", &p7_len)) ? 0 : -1;
}

static int teardown(void **st)
{
	(void)st;
	free(p7);
	return 0;
}

/* The subject's CN of certificate i of c, for the asserts. */
static void cn_of(const struct certsrv_chain *c, size_t i, char *buf, size_t len)
{
	const unsigned char *p = c->der[i];
	X509 *x = d2i_X509(NULL, &p, (long)c->der_len[i]);

	buf[0] = '\0';
	assert_non_null(x);
	X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, buf, (int)len);
	X509_free(x);
}

static void check_three(const char *body, size_t len, const char *form)
{
	static const char *const want[] = { "pool.test.example", "corp-ISSUING-CA", "corp-ROOT-CA" };
	struct certsrv_chain c;
	char why[200], cn[128];
	size_t i;

	assert_int_equal(certsrv_chain_parse(body, len, &c, why, sizeof(why)), 0);
	assert_int_equal(c.n, 3);
	assert_false(c.more);
	assert_string_equal(c.form, form);
	for (i = 0; i < c.n; i++) {
		cn_of(&c, i, cn, sizeof(cn));
		assert_string_equal(cn, want[i]);
	}
	certsrv_chain_free(&c);
	assert_int_equal(c.n, 0);
}

/* DER (Enc=bin), base64 bare, armored as AD CS sends it (a CERTIFICATE
 * label around a PKCS#7) and as PKCS7 */
static void chain_forms(void **st)
{
	char *a;

	(void)st;
	check_three((const char *)p7, p7_len, "DER");
	a = armor(p7, p7_len, NULL);
	check_three(a, strlen(a), "base64");
	free(a);
	a = armor(p7, p7_len, "CERTIFICATE");
	check_three(a, strlen(a), "base64 (PEM armor)");
	free(a);
	a = armor(p7, p7_len, "PKCS7");
	check_three(a, strlen(a), "base64 (PEM armor)");
	free(a);
}

/* one certificate alone, not a PKCS#7, is a chain of one */
static void single_certificate(void **st)
{
	struct certsrv_chain c;
	unsigned char *der;
	size_t len;
	char why[200], *a;

	(void)st;
	assert_non_null(der = slurp("root-sha256-rsa4096.der", &len));
	a = armor(der, len, NULL);
	assert_int_equal(certsrv_chain_parse(a, strlen(a), &c, why, sizeof(why)), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.der_len[0], len);
	assert_memory_equal(c.der[0], der, len);
	certsrv_chain_free(&c);
	free(a);
	free(der);
}

/* what is no chain: said, nothing allocated (ASan checks) */
static void not_a_chain(void **st)
{
	static const char html[] = "<html><body>Access is denied.</body></html>";
	static const char notb64[] = "MIIB!!not base64";
	struct certsrv_chain c;
	char why[200], *a;

	(void)st;
	assert_int_equal(certsrv_chain_parse("", 0, &c, why, sizeof(why)), -1);
	assert_string_equal(why, "an empty answer");
	assert_int_equal(certsrv_chain_parse(html, strlen(html), &c, why, sizeof(why)), -1);
	assert_string_equal(why, "the answer: not a certificate file (neither PEM, DER nor base64)");
	assert_int_equal(certsrv_chain_parse(notb64, strlen(notb64), &c, why, sizeof(why)), -1);
	/* base64 that does not decode, or decodes to no DER */
	assert_int_equal(certsrv_chain_parse("ab=c", 4, &c, why, sizeof(why)), -1);
	assert_string_equal(why, "the answer: base64 that decodes to no DER");
	/* a truncated PKCS#7, DER and in base64 */
	assert_int_equal(certsrv_chain_parse((const char *)p7, p7_len / 2, &c, why, sizeof(why)), -1);
	a = armor(p7, p7_len / 2, NULL);
	assert_int_equal(certsrv_chain_parse(a, strlen(a), &c, why, sizeof(why)), -1);
	free(a);
	/* base64 of something that is no certificate */
	assert_int_equal(certsrv_chain_parse("aGVsbG8gd29ybGQ=", 16, &c, why, sizeof(why)), -1);
	assert_string_equal(why, "the answer: base64 that decodes to no DER");
	assert_int_equal(c.n, 0);
}

/* The server's WWW-Authenticate after the GET: no Negotiate token is no
 * proof (0); a token that is no SPNEGO answer, or a reject, refuses. */
static void negotiate_answer(void **st)
{
	/* NegTokenResp { negState reject } */
	static const char reject[] = "Negotiate oQcwBaADCgEC";
	char why[200];

	(void)st;
	assert_int_equal(http_negotiate_finish(NULL, "", why, sizeof(why)), 0);
	assert_int_equal(http_negotiate_finish(NULL, "Negotiate", why, sizeof(why)), 0);
	assert_int_equal(http_negotiate_finish(NULL, "Basic realm=\"x\"", why, sizeof(why)), 0);
	assert_int_equal(http_negotiate_finish(NULL, "NegotiateX abc", why, sizeof(why)), 0);
	assert_int_equal(http_negotiate_finish(NULL, "Negotiate !!!", why, sizeof(why)), -1);
	assert_non_null(strstr(why, "no SPNEGO answer"));
	assert_int_equal(http_negotiate_finish(NULL, "Negotiate aGVsbG8=", why, sizeof(why)), -1);
	assert_int_equal(http_negotiate_finish(NULL, reject, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "rejected"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(chain_forms),
		cmocka_unit_test(single_certificate),
		cmocka_unit_test(not_a_chain),
		cmocka_unit_test(negotiate_answer),
	};
	return cmocka_run_group_tests_name("certsrv", tests, setup, teardown);
}
