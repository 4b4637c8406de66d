/* [MS-SIPAE] framing: the Authorization values (challenges and
 * Authentication-Info are parsed by lib/sip: tests/unit/test_sip.c), the signed strings (version 4 from the real OC 2007
 * R2 <-> OCS 2007 R2 sign-in and a Lync 180 Ringing, version 2 from an OCS
 * 2007 200 OK, all recorded with pidgin-sipe's tests), base64. Exact bytes
 * everywhere. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sip/sip.h"
#include "sipae/sipae.h"

static void authorization_first(void **st)
{
	struct sipae_authz z = { 0 };
	char out[512];
	size_t n = 0;

	(void)st;
	z.scheme = "NTLM";
	z.realm = "SIP Communications Service";
	z.targetname = "cosmo-ocs-r2.cosmo.local";
	z.gssapi_data = "";
	z.version = 4;
	assert_int_equal(sipae_authorization(&z, out, sizeof(out), &n), SIPAE_OK);
	assert_string_equal(out, "NTLM qop=\"auth\", realm=\"SIP Communications Service\", "
				 "targetname=\"cosmo-ocs-r2.cosmo.local\", version=4, "
				 "gssapi-data=\"\"");
	assert_int_equal(n, strlen(out));
	/* too small: nothing but an empty string */
	assert_int_equal(sipae_authorization(&z, out, 20, NULL), SIPAE_ERR_SPACE);
	assert_string_equal(out, "");
	/* values that cannot be quoted are refused */
	z.realm = "a\"b";
	assert_int_equal(sipae_authorization(&z, out, sizeof(out), NULL), SIPAE_ERR_ARG);
	z.realm = "a\r\nX-Evil: 1";
	assert_int_equal(sipae_authorization(&z, out, sizeof(out), NULL), SIPAE_ERR_ARG);
}

static void authorization_v4(void **st)
{
	/* the Proxy-Authorization value of the OC 2007 R2 REGISTER, byte for
	 * byte */
	static const char type3[] =
		"TlRMTVNTUAADAAAAGAAYAHIAAADGAMYAigAAAAoACgBIAAAACAAIAFIAAAAYABgAWgAAABAAEABQ"
		"AQAAVYKYYgUCzg4AAAAPQwBPAFMATQBPAFUAcwBlAHIAQwBPAFMATQBPAC0ATwBDAFMALQBSADIA"
		"oeku/k4Hi/fFwASazGFmwtauh1yw/apBjcDIAK527KYG0rn769BHMQEBAAAAAAAAWVGaFye5ygHW"
		"rodcsP2qQQAAAAACAAoAQwBPAFMATQBPAAEAGABDAE8AUwBNAE8ALQBPAEMAUwAtAFIAMgAEABYA"
		"YwBvAHMAbQBvAC4AbABvAGMAYQBsAAMAMABjAG8AcwBtAG8ALQBvAGMAcwAtAHIAMgAuAGMAbwBz"
		"AG0AbwAuAGwAbwBjAGEAbAAFABYAYwBvAHMAbQBvAC4AbABvAGMAYQBsAAAAAAAAAAAAMctznhyo"
		"CkmFkeiueXEV5A==";
	struct sipae_authz z = { 0 };
	char out[2048], want[2048];

	(void)st;
	z.scheme = "NTLM";
	z.realm = "SIP Communications Service";
	z.opaque = "2BDBAC9D";
	z.targetname = "cosmo-ocs-r2.cosmo.local";
	z.version = 4;
	z.gssapi_data = type3;
	z.crand = "13317733";
	z.cnum = "1";
	z.response = "0100000029618e9651b65a7764000000";
	assert_int_equal(sipae_authorization(&z, out, sizeof(out), NULL), SIPAE_OK);
	snprintf(want, sizeof(want),
		 "NTLM qop=\"auth\", realm=\"SIP Communications Service\", opaque=\"2BDBAC9D\", "
		 "targetname=\"cosmo-ocs-r2.cosmo.local\", version=4, gssapi-data=\"%s\", "
		 "crand=\"13317733\", cnum=\"1\", response=\"0100000029618e9651b65a7764000000\"",
		 type3);
	assert_string_equal(out, want);
	/* crand/cnum/response beside the AUTHENTICATE only from version 4 */
	z.version = 3;
	assert_int_equal(sipae_authorization(&z, out, sizeof(out), NULL), SIPAE_ERR_ARG);
	/* a later request in the association: no gssapi-data, signed in any
	 * version ([MS-SIPAE] 3.1) */
	z.gssapi_data = NULL;
	z.cnum = "2";
	assert_int_equal(sipae_authorization(&z, out, sizeof(out), NULL), SIPAE_OK);
	assert_string_equal(out, "NTLM qop=\"auth\", realm=\"SIP Communications Service\", "
				 "opaque=\"2BDBAC9D\", targetname=\"cosmo-ocs-r2.cosmo.local\", "
				 "version=3, crand=\"13317733\", cnum=\"2\", "
				 "response=\"0100000029618e9651b65a7764000000\"");
	z.response = NULL;          /* a signature is whole or absent */
	assert_int_equal(sipae_authorization(&z, out, sizeof(out), NULL), SIPAE_ERR_ARG);
}

static void check_sig(unsigned version, const struct sipae_sig_fields *f, const char *want)
{
	char out[1024];
	size_t n = 0;

	assert_int_equal(sipae_signed_string(version, f, out, sizeof(out), &n), SIPAE_OK);
	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
}

static void signed_strings_v4(void **st)
{
	struct sipae_sig_fields f = { 0 };
	char small[40];

	(void)st;
	/* the REGISTER of the OC 2007 R2 sign-in (client: crand, cnum) */
	f.scheme = "NTLM";
	f.rand = "13317733";
	f.num = "1";
	f.realm = "SIP Communications Service";
	f.targetname = "cosmo-ocs-r2.cosmo.local";
	f.call_id = "4037df9284354df39065195bd57a4b14";
	f.cseq_num = "3";
	f.cseq_method = "REGISTER";
	f.from_uri = "sip:user@cosmo.local";
	f.from_tag = "3e49177a52";
	f.to_uri = "sip:user@cosmo.local";
	check_sig(4, &f,
		  "<NTLM><13317733><1><SIP Communications Service><cosmo-ocs-r2.cosmo.local>"
		  "<4037df9284354df39065195bd57a4b14><3><REGISTER><sip:user@cosmo.local>"
		  "<3e49177a52><sip:user@cosmo.local><><><><>");
	/* its 200 OK (server: srand, snum; To tag, Expires, status) */
	f.rand = "9616454F";
	f.to_tag = "5E61CCD925D17E043D9A74835A88F664";
	f.expires = "7200";
	f.status = "200";
	check_sig(4, &f,
		  "<NTLM><9616454F><1><SIP Communications Service><cosmo-ocs-r2.cosmo.local>"
		  "<4037df9284354df39065195bd57a4b14><3><REGISTER><sip:user@cosmo.local>"
		  "<3e49177a52><sip:user@cosmo.local><5E61CCD925D17E043D9A74835A88F664>"
		  "<><><7200><200>");
	assert_int_equal(sipae_signed_string(4, &f, small, sizeof(small), NULL), SIPAE_ERR_SPACE);
	assert_string_equal(small, "");

	/* a 180 Ringing with P-Asserted-Identity, fields as they appear */
	memset(&f, 0, sizeof(f));
	f.scheme = "NTLM";
	f.rand = "1B6D47A1";
	f.num = "11";
	f.realm = "SIP Communications Service";
	f.targetname = "LOC-COMPANYT-FE03.COMPANY.COM";
	f.call_id = "41CEg82ECa0AC8i3DD7mE673t9CF4b19DAxF780x";
	f.cseq_num = "1";
	f.cseq_method = "INVITE";
	f.from_uri = "sip:sender@company.com";
	f.from_tag = "2420628112";
	f.to_uri = "sip:recipient@company.com";
	f.to_tag = "7aee15546a";
	f.pai_sip_uri = "SIP:recipient@company.com";
	f.status = "180";
	check_sig(4, &f,
		  "<NTLM><1B6D47A1><11><SIP Communications Service><LOC-COMPANYT-FE03.COMPANY.COM>"
		  "<41CEg82ECa0AC8i3DD7mE673t9CF4b19DAxF780x><1><INVITE><sip:sender@company.com>"
		  "<2420628112><sip:recipient@company.com><7aee15546a><SIP:recipient@company.com>"
		  "<><><180>");
}

static void signed_string_v2(void **st)
{
	struct sipae_sig_fields f = { 0 };

	(void)st;
	/* an OCS 2007 200 OK, version 2 ([MS-SIP] 3.1.4.2: no To URI, no
	 * P-Asserted-Identity) */
	f.scheme = "NTLM";
	f.rand = "0878F41B";
	f.num = "1";
	f.realm = "SIP Communications Service";
	f.targetname = "ocs1.ocs.provo.novell.com";
	f.call_id = "8592g5DCBa1694i5887m0D0Bt2247b3F38xAE9Fx";
	f.cseq_num = "3";
	f.cseq_method = "REGISTER";
	f.from_uri = "sip:gabriel@ocs.provo.novell.com";
	f.from_tag = "2947328781";
	f.to_uri = "sip:gabriel@ocs.provo.novell.com";   /* not signed in v2 */
	f.to_tag = "B816D65C2300A32CFA6D371F2AF537FD";
	f.expires = "900";
	f.status = "200";
	check_sig(2, &f,
		  "<NTLM><0878F41B><1><SIP Communications Service><ocs1.ocs.provo.novell.com>"
		  "<8592g5DCBa1694i5887m0D0Bt2247b3F38xAE9Fx><3><REGISTER>"
		  "<sip:gabriel@ocs.provo.novell.com><2947328781>"
		  "<B816D65C2300A32CFA6D371F2AF537FD><900><200>");
	assert_int_equal(sipae_signed_string(1, &f, (char[8]){ 0 }, 8, NULL), SIPAE_ERR_ARG);
}

/* Kerberos ([MS-SIPAE] 4.2): the challenge of the example's 401 read by
 * the one challenge parser; the one-leg answer of version 4 (AP-REQ and
 * the request's signature in one REGISTER); the signed request of
 * version 3 on the security association (opaque, no gssapi-data); the
 * signed string with the scheme "Kerberos"; the 200's Authentication-Info
 * as a registrar signs it. */
static void kerberos(void **st)
{
	/* [MS-SIPAE] 4.2 step 2, the two challenges as sent */
	static const char hdr[] =
		"Kerberos realm=\"SIP Communications Service\", "
		"targetname=\"sip/server.contoso.com\", version=3";
	static const char ainfo[] =
		"Kerberos rspauth=\"040501FFFFFFFFFF00000000123A9B7C0D1E2F30415263748596A7B8\", "
		"srand=\"3A8F12C4\", snum=\"1\", opaque=\"ACDC123E\", qop=\"auth\", "
		"targetname=\"sip/server.contoso.com\", realm=\"SIP Communications Service\"";
	struct sip_challenge ch;
	struct sipae_authz z = { 0 };
	struct sipae_sig_fields f = { 0 };
	char out[1024];
	uint8_t mic[28];
	struct span s;

	(void)st;
	assert_int_equal(sip_parse_challenge(hdr, strlen(hdr), &ch), 0);
	assert_string_equal(ch.scheme, "Kerberos");
	assert_string_equal(sip_param(&ch, "targetname"), "sip/server.contoso.com");
	assert_string_equal(sip_param(&ch, "realm"), "SIP Communications Service");
	assert_string_equal(sip_param(&ch, "version"), "3");
	assert_int_equal(sip_parse_challenge(ainfo, strlen(ainfo), &ch), 0);
	assert_string_equal(sip_param(&ch, "srand"), "3A8F12C4");
	assert_string_equal(sip_param(&ch, "opaque"), "ACDC123E");
	/* rspauth: a GSS MIC token of any length (RFC 4121: 16 + checksum) */
	s.p = sip_param(&ch, "rspauth");
	s.len = strlen(s.p);
	assert_int_equal(s.len, 2 * sizeof(mic));
	assert_int_equal(sipae_unhex(s, mic, sizeof(mic)), SIPAE_OK);
	assert_int_equal(mic[0], 0x04);
	assert_int_equal(mic[1], 0x05);

	/* version 4, one leg */
	z.scheme = "Kerberos";
	z.realm = "SIP Communications Service";
	z.targetname = "sip/server.contoso.com";
	z.version = 4;
	z.gssapi_data = "YIIFAgYJKoZIhvcSAQICAQBuggTx";
	z.crand = "0b6a1f37";
	z.cnum = "1";
	z.response = "040401ffffffffff000000002a3b4c5d6e7f8091a2b3c4d5";
	assert_int_equal(sipae_authorization(&z, out, sizeof(out), NULL), SIPAE_OK);
	assert_string_equal(out, "Kerberos qop=\"auth\", realm=\"SIP Communications Service\", "
			    "targetname=\"sip/server.contoso.com\", version=4, "
			    "gssapi-data=\"YIIFAgYJKoZIhvcSAQICAQBuggTx\", crand=\"0b6a1f37\", "
			    "cnum=\"1\", response=\"040401ffffffffff000000002a3b4c5d6e7f8091a2b3c4d5\"");
	/* version 3: the AP-REQ unsigned ... */
	z.version = 3;
	z.crand = z.cnum = z.response = NULL;
	assert_int_equal(sipae_authorization(&z, out, sizeof(out), NULL), SIPAE_OK);
	assert_string_equal(out, "Kerberos qop=\"auth\", realm=\"SIP Communications Service\", "
			    "targetname=\"sip/server.contoso.com\", version=3, "
			    "gssapi-data=\"YIIFAgYJKoZIhvcSAQICAQBuggTx\"");
	/* ... then signed on the security association the 401's opaque names */
	z.gssapi_data = NULL;
	z.opaque = "ACDC123E";
	z.crand = "0b6a1f38";
	z.cnum = "2";
	z.response = "0404";
	assert_int_equal(sipae_authorization(&z, out, sizeof(out), NULL), SIPAE_OK);
	assert_string_equal(out, "Kerberos qop=\"auth\", realm=\"SIP Communications Service\", "
			    "opaque=\"ACDC123E\", targetname=\"sip/server.contoso.com\", version=3, "
			    "crand=\"0b6a1f38\", cnum=\"2\", response=\"0404\"");
	/* a signature beside an AP-REQ needs version 4 */
	z.gssapi_data = "YII=";
	assert_int_equal(sipae_authorization(&z, out, sizeof(out), NULL), SIPAE_ERR_ARG);

	/* the signed string: the REGISTER of the example (step 3), version 3
	 * and later; the scheme is "Kerberos" and every field as sent */
	f.scheme = "Kerberos";
	f.rand = "0b6a1f37";
	f.num = "1";
	f.realm = "SIP Communications Service";
	f.targetname = "sip/server.contoso.com";
	f.call_id = "c7142b90f8c94668807a382f552a6770";
	f.cseq_num = "2";
	f.cseq_method = "REGISTER";
	f.from_uri = "sip:alice@contoso.com";
	f.from_tag = "604168c9c0";
	f.to_uri = "sip:alice@contoso.com";
	f.to_tag = "";
	f.expires = "";
	check_sig(3, &f, "<Kerberos><0b6a1f37><1><SIP Communications Service>"
		  "<sip/server.contoso.com><c7142b90f8c94668807a382f552a6770><2><REGISTER>"
		  "<sip:alice@contoso.com><604168c9c0><sip:alice@contoso.com><><><><>");
	/* the 200 OK: the registrar's srand/snum, its To tag, the status */
	f.rand = "3A8F12C4";
	f.to_tag = "9588410E2DA11CEE9D0AE7733E07830F";
	f.expires = "3600";
	f.status = "200";
	check_sig(4, &f, "<Kerberos><3A8F12C4><1><SIP Communications Service>"
		  "<sip/server.contoso.com><c7142b90f8c94668807a382f552a6770><2><REGISTER>"
		  "<sip:alice@contoso.com><604168c9c0><sip:alice@contoso.com>"
		  "<9588410E2DA11CEE9D0AE7733E07830F><><><3600><200>");
}

static void base64(void **st)
{
	/* RFC 4648 section 10 */
	static const char *vec[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	static const char *bad[] = { "Zg=", "Zg=a", "Z===", "Zh==", "Zm9=", "Zm 9v", "Zm9v\n",
				     "=Zm9", "Zg==Zg==" };
	char out[64];
	uint8_t bin[64], small[2];
	size_t i, n;

	(void)st;
	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		assert_int_equal(sipae_b64_encode((const uint8_t *)vec[i][0], strlen(vec[i][0]),
						  out, sizeof(out), &n), SIPAE_OK);
		assert_string_equal(out, vec[i][1]);
		assert_int_equal(sipae_b64_decode(vec[i][1], strlen(vec[i][1]), bin, sizeof(bin),
						  &n), SIPAE_OK);
		assert_int_equal(n, strlen(vec[i][0]));
		assert_memory_equal(bin, vec[i][0], n);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sipae_b64_decode(bad[i], strlen(bad[i]), bin, sizeof(bin), &n),
				 SIPAE_ERR_MALFORMED);
	assert_int_equal(sipae_b64_encode((const uint8_t *)"foo", 3, out, 4, &n), SIPAE_ERR_SPACE);
	small[0] = small[1] = 0x77;
	assert_int_equal(sipae_b64_decode("Zm9v", 4, small, 2, &n), SIPAE_ERR_SPACE);
	assert_int_equal(small[0], 0x77);                  /* untouched */
}

static void hex(void **st)
{
	uint8_t b[2];
	char out[5];

	(void)st;
	sipae_hex((const uint8_t *)"\x01\xab", 2, out);
	assert_string_equal(out, "01ab");
	assert_int_equal(sipae_unhex((struct span){ "01AB", 4 }, b, 2), SIPAE_OK);
	assert_memory_equal(b, "\x01\xab", 2);
	assert_int_equal(sipae_unhex((struct span){ "01A", 3 }, b, 2), SIPAE_ERR_MALFORMED);
	assert_int_equal(sipae_unhex((struct span){ "01AG", 4 }, b, 2), SIPAE_ERR_MALFORMED);
}

static void strings(void **st)
{
	int e;

	(void)st;
	for (e = 0; e <= SIPAE_ERR_LAST; e++)
		assert_true(strlen(sipae_strerror((enum sipae_err)e)) > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(authorization_first),
		cmocka_unit_test(authorization_v4),
		cmocka_unit_test(signed_strings_v4),
		cmocka_unit_test(signed_string_v2),
		cmocka_unit_test(kerberos),
		cmocka_unit_test(base64),
		cmocka_unit_test(hex),
		cmocka_unit_test(strings),
	};
	return cmocka_run_group_tests_name("sipae", tests, NULL, NULL);
}
