/* gss-ntlmssp as the registrar's NTLM verifier (see gssntlm.h). */
#include "gssntlm.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_ntlmssp.h>
#include <stdbool.h>
#include <wbclient.h>

#define DEFAULT_PLUGIN "/usr/lib/x86_64-linux-gnu/gssntlmssp/gssntlmssp.so"

typedef OM_uint32 (*acc_fn)(OM_uint32 *, gss_ctx_id_t *, gss_cred_id_t, gss_buffer_t,
			    gss_channel_bindings_t, gss_name_t *, gss_OID *, gss_buffer_t,
			    OM_uint32 *, OM_uint32 *, gss_cred_id_t *);
typedef OM_uint32 (*acq_fn)(OM_uint32 *, gss_name_t, OM_uint32, gss_OID_set, gss_cred_usage_t,
			    gss_cred_id_t *, gss_OID_set *, OM_uint32 *);
typedef OM_uint32 (*vmic_fn)(OM_uint32 *, gss_ctx_id_t, gss_buffer_t, gss_buffer_t, gss_qop_t *);
typedef OM_uint32 (*gmic_fn)(OM_uint32 *, gss_ctx_id_t, gss_qop_t, gss_buffer_t, gss_buffer_t);
typedef OM_uint32 (*sopt_fn)(OM_uint32 *, gss_ctx_id_t *, const gss_OID, const gss_buffer_t);
typedef OM_uint32 (*dname_fn)(OM_uint32 *, gss_name_t, gss_buffer_t, gss_OID *);
typedef OM_uint32 (*rname_fn)(OM_uint32 *, gss_name_t *);
typedef OM_uint32 (*del_fn)(OM_uint32 *, gss_ctx_id_t *, gss_buffer_t);
typedef OM_uint32 (*dstat_fn)(OM_uint32 *, OM_uint32, int, gss_OID, OM_uint32 *, gss_buffer_t);

static struct {
	acc_fn accept; acq_fn acquire; vmic_fn verify_mic; gmic_fn get_mic;
	sopt_fn set_option; dname_fn display_name; rname_fn release_name;
	del_fn delete_ctx; dstat_fn display_status;
	gss_cred_id_t cred;
} g;

static gss_OID_desc ntlm_oid = { GSS_NTLMSSP_OID_LENGTH, GSS_NTLMSSP_OID_STRING };
static gss_OID_desc seq_oid = { GSS_NTLMSSP_SET_SEQ_NUM_OID_LENGTH, GSS_NTLMSSP_SET_SEQ_NUM_OID_STRING };

struct ntlm_ctx { gss_ctx_id_t ctx; };

static void status_text(OM_uint32 maj, OM_uint32 min, char *err, size_t errlen)
{
	OM_uint32 m2, mc = 0;
	gss_buffer_desc b = { 0, NULL }, c = { 0, NULL };
	if (err == NULL || errlen == 0)
		return;
	g.display_status(&m2, maj, GSS_C_GSS_CODE, GSS_C_NO_OID, &mc, &b);
	mc = 0;
	if (min)
		g.display_status(&m2, min, GSS_C_MECH_CODE, &ntlm_oid, &mc, &c);
	snprintf(err, errlen, "%.*s%s%.*s", (int)b.length, b.value ? (char *)b.value : "",
		 b.length && c.length ? ": " : "", (int)c.length, c.value ? (char *)c.value : "");
	free(b.value);
	free(c.value);
}

int ntlm_load(const char *plugin, char *err, size_t errlen)
{
	OM_uint32 maj, min;
	/* RTLD_DEEPBIND: the plugin's own gss_* entry points call each other,
	 * not MIT's mechglue ones of the same names that this process also
	 * links for Kerberos (gsskrb.c): the two mechanisms coexist */
	void *h = dlopen(plugin ? plugin : DEFAULT_PLUGIN, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
	if (h == NULL) {
		snprintf(err, errlen, "dlopen: %s", dlerror());
		return -1;
	}
	*(void **)&g.accept = dlsym(h, "gss_accept_sec_context");
	*(void **)&g.acquire = dlsym(h, "gss_acquire_cred");
	*(void **)&g.verify_mic = dlsym(h, "gss_verify_mic");
	*(void **)&g.get_mic = dlsym(h, "gss_get_mic");
	*(void **)&g.set_option = dlsym(h, "gss_set_sec_context_option");
	*(void **)&g.display_name = dlsym(h, "gss_display_name");
	*(void **)&g.release_name = dlsym(h, "gss_release_name");
	*(void **)&g.delete_ctx = dlsym(h, "gss_delete_sec_context");
	*(void **)&g.display_status = dlsym(h, "gss_display_status");
	if (!g.accept || !g.acquire || !g.verify_mic || !g.get_mic || !g.set_option ||
	    !g.display_name || !g.release_name || !g.delete_ctx || !g.display_status) {
		snprintf(err, errlen, "the plugin lacks a GSS-API entry point");
		return -1;
	}
	maj = g.acquire(&min, GSS_C_NO_NAME, GSS_C_INDEFINITE, GSS_C_NO_OID_SET, GSS_C_ACCEPT,
			&g.cred, NULL, NULL);
	if (maj != GSS_S_COMPLETE) {
		status_text(maj, min, err, errlen);
		return -1;
	}
	return 0;
}

int ntlm_challenge(struct ntlm_ctx **cp, unsigned char *out, size_t cap, size_t *outlen,
		   char *err, size_t errlen)
{
	OM_uint32 maj, min, flags = 0;
	gss_buffer_desc in = { 0, NULL }, tok = { 0, NULL };
	struct ntlm_ctx *c = calloc(1, sizeof *c);
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c->ctx = GSS_C_NO_CONTEXT;
	maj = g.accept(&min, &c->ctx, g.cred, &in, GSS_C_NO_CHANNEL_BINDINGS, NULL, NULL,
		       &tok, &flags, NULL, NULL);
	if (GSS_ERROR(maj) || tok.length == 0 || tok.length > cap) {
		status_text(maj, min, err, errlen);
		free(tok.value);
		ntlm_free(c);
		return -1;
	}
	memcpy(out, tok.value, tok.length);
	*outlen = tok.length;
	free(tok.value);
	*cp = c;
	return 0;
}

int ntlm_accept(struct ntlm_ctx *c, const unsigned char *tok, size_t len,
		char *user, size_t userlen, char *err, size_t errlen)
{
	OM_uint32 maj, min, flags = 0;
	gss_buffer_desc in = { len, (void *)tok }, out = { 0, NULL }, nb = { 0, NULL };
	gss_name_t src = GSS_C_NO_NAME;
	int rc = -1;

	maj = g.accept(&min, &c->ctx, g.cred, &in, GSS_C_NO_CHANNEL_BINDINGS, &src, NULL,
		       &out, &flags, NULL, NULL);
	free(out.value);
	if (maj != GSS_S_COMPLETE) {
		status_text(maj, min, err, errlen);
		goto out;
	}
	maj = g.display_name(&min, src, &nb, NULL);
	if (maj != GSS_S_COMPLETE || nb.length >= userlen) {
		status_text(maj, min, err, errlen);
		goto out;
	}
	memcpy(user, nb.value, nb.length);
	user[nb.length] = '\0';
	rc = 0;
out:
	free(nb.value);
	if (src != GSS_C_NO_NAME)
		g.release_name(&min, &src);
	return rc;
}

static int seq100(struct ntlm_ctx *c)
{
	OM_uint32 min;
	uint32_t seq = 100;     /* [MS-SIPAE] 3.2.5.1.2: the sequence number is always 100 */
	gss_buffer_desc v = { sizeof seq, &seq };
	return g.set_option(&min, &c->ctx, &seq_oid, &v) == GSS_S_COMPLETE ? 0 : -1;
}

int ntlm_verify(struct ntlm_ctx *c, const char *msg, size_t n, const unsigned char *sig, size_t siglen)
{
	OM_uint32 min;
	gss_buffer_desc m = { n, (void *)msg }, s = { siglen, (void *)sig };
	if (seq100(c) < 0)
		return -1;
	return g.verify_mic(&min, c->ctx, &m, &s, NULL) == GSS_S_COMPLETE ? 0 : -1;
}

int ntlm_sign(struct ntlm_ctx *c, const char *msg, size_t n, unsigned char sig[16])
{
	OM_uint32 min;
	gss_buffer_desc m = { n, (void *)msg }, s = { 0, NULL };
	int rc = -1;
	if (seq100(c) < 0)
		return -1;
	if (g.get_mic(&min, c->ctx, 0, &m, &s) == GSS_S_COMPLETE && s.length == 16) {
		memcpy(sig, s.value, 16);
		rc = 0;
	}
	free(s.value);
	return rc;
}

void ntlm_free(struct ntlm_ctx *c)
{
	OM_uint32 min;
	if (c == NULL)
		return;
	if (c->ctx != GSS_C_NO_CONTEXT)
		g.delete_ctx(&min, &c->ctx, GSS_C_NO_BUFFER);
	free(c);
}

/* ---- why the DC said no ---- */

/* MS-NLMP 2.2.1.3 AUTHENTICATE_MESSAGE: a field is Len(2) MaxLen(2) Offset(4) */
static int field(const unsigned char *m, size_t len, size_t at, const unsigned char **p, size_t *n)
{
	uint32_t l, off;
	if (at + 8 > len)
		return -1;
	l = (uint32_t)m[at] | (uint32_t)m[at + 1] << 8;
	off = (uint32_t)m[at + 4] | (uint32_t)m[at + 5] << 8 | (uint32_t)m[at + 6] << 16 |
	      (uint32_t)m[at + 7] << 24;
	if (off > len || l > len - off)
		return -1;
	*p = m + off;
	*n = l;
	return 0;
}

/* a name field as UTF-8 (NTLMSSP_NEGOTIATE_UNICODE: UTF-16LE, else OEM) */
static int name(const unsigned char *p, size_t n, int unicode, char *out, size_t cap)
{
	size_t o = 0;
	if (!unicode) {
		if (n >= cap)
			return -1;
		memcpy(out, p, n);
		out[n] = '\0';
		return 0;
	}
	if (n % 2)
		return -1;
	for (size_t i = 0; i < n; i += 2) {
		unsigned u = p[i] | (unsigned)p[i + 1] << 8;
		if (u >= 0xd800 && u < 0xe000)
			return -1;      /* no surrogates in the lab's names */
		if (u < 0x80) {
			if (o + 1 >= cap) return -1;
			out[o++] = (char)u;
		} else if (u < 0x800) {
			if (o + 2 >= cap) return -1;
			out[o++] = (char)(0xc0 | u >> 6);
			out[o++] = (char)(0x80 | (u & 0x3f));
		} else {
			if (o + 3 >= cap) return -1;
			out[o++] = (char)(0xe0 | u >> 12);
			out[o++] = (char)(0x80 | ((u >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (u & 0x3f));
		}
	}
	out[o] = '\0';
	return 0;
}

static const struct { const char *name, *text; } texts[] = {
	{ "NT_STATUS_WRONG_PASSWORD", "wrong password" },
	{ "NT_STATUS_LOGON_FAILURE", "unknown user or wrong password" },
	{ "NT_STATUS_NO_SUCH_USER", "no such user" },
	{ "NT_STATUS_ACCOUNT_DISABLED", "the account is disabled" },
	{ "NT_STATUS_ACCOUNT_LOCKED_OUT", "the account is locked out" },
	{ "NT_STATUS_ACCOUNT_EXPIRED", "the account has expired" },
	{ "NT_STATUS_PASSWORD_EXPIRED", "the password has expired" },
	{ "NT_STATUS_PASSWORD_MUST_CHANGE", "the password must be changed" },
	{ "NT_STATUS_INVALID_LOGON_HOURS", "not allowed to log on at this time" },
	{ "NT_STATUS_INVALID_WORKSTATION", "not allowed to log on from this workstation" },
};

int ntlm_refusal_reason(const unsigned char *m, size_t len, const unsigned char challenge[8],
			char *nt_name, size_t namelen, char *text, size_t textlen)
{
	const unsigned char *lm, *nt, *dom, *usr, *ws;
	size_t lml, ntl, doml, usrl, wsl;
	char user[256], domain[256], wks[256];
	uint32_t flags;
	struct wbcAuthUserParams prm;
	struct wbcAuthUserInfo *info = NULL;
	struct wbcAuthErrorInfo *e = NULL;
	wbcErr st;
	int unicode;

	snprintf(nt_name, namelen, "?");
	snprintf(text, textlen, "not an AUTHENTICATE_MESSAGE");
	if (len < 64 || memcmp(m, "NTLMSSP\0", 8) != 0 || m[8] != 3)
		return -1;
	flags = (uint32_t)m[60] | (uint32_t)m[61] << 8 | (uint32_t)m[62] << 16 | (uint32_t)m[63] << 24;
	unicode = (flags & 1) != 0;
	if (field(m, len, 12, &lm, &lml) || field(m, len, 20, &nt, &ntl) ||
	    field(m, len, 28, &dom, &doml) || field(m, len, 36, &usr, &usrl) ||
	    field(m, len, 44, &ws, &wsl) ||
	    name(dom, doml, unicode, domain, sizeof domain) ||
	    name(usr, usrl, unicode, user, sizeof user) ||
	    name(ws, wsl, unicode, wks, sizeof wks)) {
		snprintf(text, textlen, "a malformed AUTHENTICATE_MESSAGE");
		return -1;
	}
	memset(&prm, 0, sizeof prm);
	prm.account_name = user;
	prm.domain_name = domain;
	prm.workstation_name = wks;
	/* as gss-ntlmssp 1.2's winbind_srv_auth asks */
	prm.parameter_control = WBC_MSV1_0_ALLOW_SERVER_TRUST_ACCOUNT |
				WBC_MSV1_0_ALLOW_WORKSTATION_TRUST_ACCOUNT;
	prm.level = WBC_AUTH_USER_LEVEL_RESPONSE;
	memcpy(prm.password.response.challenge, challenge, 8);
	/* libwbclient refuses a length 0 with a pointer (WBC_ERR_INVALID_PARAM) */
	prm.password.response.nt_length = (uint32_t)ntl;
	prm.password.response.nt_data = ntl ? (uint8_t *)nt : NULL;
	prm.password.response.lm_length = (uint32_t)lml;
	prm.password.response.lm_data = lml ? (uint8_t *)lm : NULL;
	st = wbcAuthenticateUserEx(&prm, &info, &e);
	if (WBC_ERROR_IS_OK(st)) {
		snprintf(nt_name, namelen, "NT_STATUS_OK");
		snprintf(text, textlen, "the domain controller accepts these responses; gss-ntlmssp refused the message");
	} else if (e != NULL && e->nt_string != NULL) {
		const char *plain = e->display_string ? e->display_string : e->nt_string;
		/* Samba's descriptions of the common ones read oddly; ours */
		for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
			if (strcmp(e->nt_string, texts[i].name) == 0)
				plain = texts[i].text;
		snprintf(nt_name, namelen, "%s", e->nt_string);
		snprintf(text, textlen, "%s", plain);
	} else {
		snprintf(text, textlen, "winbind: %s", wbcErrorString(st));
		wbcFreeMemory(info);
		wbcFreeMemory(e);
		return -1;
	}
	wbcFreeMemory(info);
	wbcFreeMemory(e);
	return 0;
}
