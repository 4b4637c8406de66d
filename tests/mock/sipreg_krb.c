/* See sipreg_krb.h. */
#include "sipreg_krb.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

/* The value of parameter name in an Authorization value: quoted or a
 * token, copied into out. 0, or -1 when absent or too long. */
static int kparam(struct sv v, const char *name, char *out, size_t cap)
{
	size_t i = 0, n = strlen(name);

	while (i < v.len) {
		/* at a parameter name? (after the scheme's space, or ", ") */
		if ((i == 0 || v.p[i - 1] == ' ' || v.p[i - 1] == ',') && i + n < v.len &&
		    !strncasecmp(v.p + i, name, n) && v.p[i + n] == '=') {
			size_t j = i + n + 1, k = 0;
			int q = j < v.len && v.p[j] == '"';

			if (q)
				j++;
			while (j < v.len && (q ? v.p[j] != '"' : v.p[j] != ',' && v.p[j] != ' ')) {
				if (k + 1 >= cap)
					return -1;
				out[k++] = v.p[j++];
			}
			out[k] = '\0';
			return 0;
		}
		i++;
	}
	return -1;
}

/* "<uri>;tag=x" -> uri and tag (either may be empty) */
static void uri_tag(struct sv h, char *uri, size_t ucap, char *tag, size_t tcap)
{
	long lt = sv_ifind(h, "<"), gt = sv_ifind(h, ">"), t = sv_ifind(h, ";tag=");

	uri[0] = tag[0] = '\0';
	if (lt >= 0 && gt > lt)
		snprintf(uri, ucap, "%.*s", (int)(gt - lt - 1), h.p + lt + 1);
	if (t >= 0) {
		size_t s = (size_t)t + 5, e = s;

		while (e < h.len && h.p[e] != ';' && h.p[e] != ' ' && h.p[e] != '\r')
			e++;
		snprintf(tag, tcap, "%.*s", (int)(e - s), h.p + s);
	}
}

static void header_value(const char *msg, size_t len, const char *name, char *out, size_t cap)
{
	struct sv m = { msg, len };
	char pat[64];
	long at;

	out[0] = '\0';
	snprintf(pat, sizeof(pat), "\r\n%s:", name);
	if ((at = sv_ifind(m, pat)) < 0)
		return;
	at += (long)strlen(pat);
	while ((size_t)at < len && msg[at] == ' ')
		at++;
	{
		size_t e = (size_t)at;

		while (e < len && msg[e] != '\r')
			e++;
		snprintf(out, cap, "%.*s", (int)(e - (size_t)at), msg + at);
	}
}

static int b64dec(const char *in, unsigned char *out, size_t cap, size_t *n)
{
	size_t len = strlen(in), pad = 0;
	int k;

	if (len % 4 || len / 4 * 3 > cap)
		return -1;
	if (len && in[len - 1] == '=')
		pad++;
	if (len > 1 && in[len - 2] == '=')
		pad++;
	k = EVP_DecodeBlock(out, (const unsigned char *)in, (int)len);
	if (k < 0)
		return -1;
	*n = (size_t)k - pad;
	return 0;
}

static int unhex(const char *h, unsigned char *out, size_t cap, size_t *n)
{
	size_t i, len = strlen(h);

	if (len % 2 || len / 2 > cap)
		return -1;
	for (i = 0; i < len / 2; i++) {
		unsigned v;

		if (sscanf(h + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	*n = len / 2;
	return 0;
}

void sipreg_krb_free(void **sa)
{
	OM_uint32 m2;
	gss_ctx_id_t ctx = *sa;

	if (ctx != GSS_C_NO_CONTEXT)
		gss_delete_sec_context(&m2, &ctx, GSS_C_NO_BUFFER);
	*sa = NULL;
}

int sipreg_krb_verify(const char *keytab, void **sa, const char *msg, size_t len,
		      const struct sipreg_req *r, const char *to_tag, int expires,
		      char *ainfo, size_t cap, char *user, size_t ulen, char *why, size_t wlen)
{
	char realm[128], target[256], crand[32], cnum[16], resp[1024], ver[8], *data = NULL;
	char from_uri[256], from_tag[64], to_uri[256], to_tag_req[64], callid[256], cseq[64];
	char exp_s[32], str[4096], kt[600], srand[9];
	unsigned char *tok = NULL, sig[512], rb[4];
	size_t toklen = 0, siglen = 0, i;
	OM_uint32 maj, min, m2, flags = 0;
	gss_OID_set_desc mechs = { 1, (gss_OID)gss_mech_krb5 };
	gss_key_value_element_desc el = { "keytab", kt };
	gss_key_value_set_desc store = { 1, &el };
	gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
	gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
	gss_name_t src = GSS_C_NO_NAME;
	gss_buffer_desc in, out = GSS_C_EMPTY_BUFFER, name = GSS_C_EMPTY_BUFFER, m, mic;
	gss_buffer_desc smic = GSS_C_EMPTY_BUFFER;
	char *cseq_sp;
	int rc = -1;

	why[0] = '\0';
	if (!(data = malloc(16384)) || !(tok = malloc(16384))) {
		snprintf(why, wlen, "out of memory");
		goto out;
	}
	user[0] = '\0';
	if (kparam(r->auth, "gssapi-data", data, 16384) < 0) {
		char opaque[32];

		/* a later request in the association */
		if (!*sa || kparam(r->auth, "opaque", opaque, sizeof(opaque)) < 0 ||
		    strcmp(opaque, "0A1B2C3D")) {
			snprintf(why, wlen, "a signed request outside any security association");
			goto out;
		}
		data[0] = '\0';
	}
	if (kparam(r->auth, "realm", realm, sizeof(realm)) < 0 ||
	    kparam(r->auth, "targetname", target, sizeof(target)) < 0 ||
	    kparam(r->auth, "crand", crand, sizeof(crand)) < 0 ||
	    kparam(r->auth, "cnum", cnum, sizeof(cnum)) < 0 ||
	    kparam(r->auth, "response", resp, sizeof(resp)) < 0 ||
	    kparam(r->auth, "version", ver, sizeof(ver)) < 0 || strcmp(ver, "4")) {
		snprintf(why, wlen, "the Kerberos answer lacks a parameter of a signed version-4 "
			 "answer");
		goto out;
	}
	if (b64dec(data, tok, 16384, &toklen) < 0 || unhex(resp, sig, sizeof(sig), &siglen) < 0) {
		snprintf(why, wlen, "gssapi-data or response does not decode");
		goto out;
	}
	if (!data[0]) {
		ctx = *sa;
		goto verify;
	}
	sipreg_krb_free(sa);
	snprintf(kt, sizeof(kt), "FILE:%s", keytab);
	maj = gss_acquire_cred_from(&min, GSS_C_NO_NAME, GSS_C_INDEFINITE, &mechs, GSS_C_ACCEPT,
				    &store, &cred, NULL, NULL);
	if (GSS_ERROR(maj)) {
		snprintf(why, wlen, "the keytab %s is unusable", keytab);
		goto out;
	}
	in.value = tok;
	in.length = toklen;
	maj = gss_accept_sec_context(&min, &ctx, cred, &in, GSS_C_NO_CHANNEL_BINDINGS, &src, NULL,
				     &out, &flags, NULL, NULL);
	if (maj != GSS_S_COMPLETE) {
		snprintf(why, wlen, "the AP-REQ is not accepted (GSS major 0x%x minor %u)", maj, min);
		goto out;
	}
	gss_display_name(&m2, src, &name, NULL);
	snprintf(user, ulen, "%.*s", (int)name.length, (char *)name.value);
verify:
	/* the request's signed string ([MS-SIPAE] 3.2.5.2, version 4) */
	uri_tag(r->from, from_uri, sizeof(from_uri), from_tag, sizeof(from_tag));
	uri_tag(r->to, to_uri, sizeof(to_uri), to_tag_req, sizeof(to_tag_req));
	sv_copy(callid, sizeof(callid), r->call_id);
	sv_copy(cseq, sizeof(cseq), r->cseq);
	if (!(cseq_sp = strchr(cseq, ' '))) {
		snprintf(why, wlen, "CSeq without a method");
		goto out;
	}
	*cseq_sp++ = '\0';
	header_value(msg, len, "Expires", exp_s, sizeof(exp_s));
	snprintf(str, sizeof(str), "<Kerberos><%s><%s><%s><%s><%s><%s><%s><%s><%s><%s><%s><><><%s>",
		 crand, cnum, realm, target, callid, cseq, cseq_sp, from_uri, from_tag, to_uri,
		 to_tag_req, exp_s);
	m.value = str;
	m.length = strlen(str);
	mic.value = sig;
	mic.length = siglen;
	maj = gss_verify_mic(&min, ctx, &m, &mic, NULL);
	if (maj != GSS_S_COMPLETE) {
		snprintf(why, wlen, "the request's signature (response) does not verify over %s", str);
		goto out;
	}
	/* the 200's signed string, and its MIC as rspauth */
	if (RAND_bytes(rb, sizeof(rb)) != 1)
		goto out;
	snprintf(srand, sizeof(srand), "%02X%02X%02X%02X", rb[0], rb[1], rb[2], rb[3]);
	snprintf(str, sizeof(str), "<Kerberos><%s><1><%s><%s><%s><%s><%s><%s><%s><%s><%s><><><%d><200>",
		 srand, realm, target, callid, cseq, cseq_sp, from_uri, from_tag, to_uri, to_tag,
		 expires);
	m.length = strlen(str);
	maj = gss_get_mic(&min, ctx, GSS_C_QOP_DEFAULT, &m, &smic);
	if (GSS_ERROR(maj))
		goto out;
	{
		size_t o = (size_t)snprintf(ainfo, cap, "Kerberos rspauth=\"");

		for (i = 0; i < smic.length && o + 3 < cap; i++)
			o += (size_t)snprintf(ainfo + o, cap - o, "%02X",
					      ((unsigned char *)smic.value)[i]);
		snprintf(ainfo + o, cap - o, "\", srand=\"%s\", snum=\"1\", opaque=\"0A1B2C3D\", "
			 "qop=\"auth\", targetname=\"%s\", realm=\"%s\"", srand, target, realm);
	}
	rc = 0;
	*sa = ctx;                  /* kept: the association */
	ctx = GSS_C_NO_CONTEXT;
out:
	gss_release_buffer(&m2, &smic);
	gss_release_buffer(&m2, &out);
	gss_release_buffer(&m2, &name);
	gss_release_name(&m2, &src);
	if (ctx != GSS_C_NO_CONTEXT && ctx != *sa)
		gss_delete_sec_context(&m2, &ctx, GSS_C_NO_BUFFER);
	gss_release_cred(&m2, &cred);
	free(data);
	free(tok);
	return rc;
}
