/* MIT Kerberos GSS-API as the registrar's Kerberos verifier (see gsskrb.h). */
#include "gsskrb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>

struct krb_ctx { gss_ctx_id_t ctx; };

static gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;

static void status_text(OM_uint32 maj, OM_uint32 min, char *err, size_t errlen)
{
	OM_uint32 m2, mc = 0;
	gss_buffer_desc b = { 0, NULL }, c = { 0, NULL };
	if (err == NULL || errlen == 0)
		return;
	gss_display_status(&m2, maj, GSS_C_GSS_CODE, GSS_C_NO_OID, &mc, &b);
	mc = 0;
	if (min)
		gss_display_status(&m2, min, GSS_C_MECH_CODE, (gss_OID)gss_mech_krb5, &mc, &c);
	/* the mechanism's words when it has some ("Request is a replay",
	 * "Clock skew too great"): the major status adds only "Unspecified
	 * GSS failure" then */
	if (c.length)
		snprintf(err, errlen, "%.*s", (int)c.length, (char *)c.value);
	else
		snprintf(err, errlen, "%.*s", (int)b.length, b.value ? (char *)b.value : "?");
	gss_release_buffer(&m2, &b);
	gss_release_buffer(&m2, &c);
}

int krb_load(const char *keytab, char *err, size_t errlen)
{
	OM_uint32 maj, min;
	char kt[1024];
	gss_OID_set_desc mechs = { 1, (gss_OID)gss_mech_krb5 };
	gss_key_value_element_desc el = { "keytab", kt };
	gss_key_value_set_desc store = { 1, &el };

	/* any principal of this keytab (it holds sip/<pool FQDN> only) */
	snprintf(kt, sizeof kt, "%s%s", strchr(keytab, ':') ? "" : "FILE:", keytab);
	maj = gss_acquire_cred_from(&min, GSS_C_NO_NAME, GSS_C_INDEFINITE, &mechs, GSS_C_ACCEPT,
				    &store, &cred, NULL, NULL);
	if (GSS_ERROR(maj)) {
		status_text(maj, min, err, errlen);
		cred = GSS_C_NO_CREDENTIAL;
		return -1;
	}
	return 0;
}

int krb_loaded(void)
{
	return cred != GSS_C_NO_CREDENTIAL;
}

int krb_accept(struct krb_ctx **cp, const unsigned char *tok, size_t len,
	       unsigned char *out, size_t cap, size_t *outlen,
	       char *user, size_t userlen, char *err, size_t errlen)
{
	OM_uint32 maj, min, flags = 0;
	gss_buffer_desc in = { len, (void *)tok }, o = { 0, NULL }, nb = { 0, NULL };
	gss_name_t src = GSS_C_NO_NAME;
	gss_OID mech = GSS_C_NO_OID;
	struct krb_ctx *c = calloc(1, sizeof *c);
	int rc = -1;

	*outlen = 0;
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c->ctx = GSS_C_NO_CONTEXT;
	if (cred == GSS_C_NO_CREDENTIAL) {
		snprintf(err, errlen, "no keytab (the registrar runs without --keytab)");
		goto out;
	}
	maj = gss_accept_sec_context(&min, &c->ctx, cred, &in, GSS_C_NO_CHANNEL_BINDINGS, &src, &mech,
				     &o, &flags, NULL, NULL);
	if (maj != GSS_S_COMPLETE) {
		/* CONTINUE_NEEDED too: MS-SIPAE Kerberos is one AP-REQ (no
		 * DCE-style three legs), so anything more is refused */
		if (maj == GSS_S_CONTINUE_NEEDED)
			snprintf(err, errlen, "the token needs more than one leg (not an AP-REQ)");
		else
			status_text(maj, min, err, errlen);
		goto out;
	}
	if (mech == GSS_C_NO_OID || mech->length != ((gss_OID)gss_mech_krb5)->length ||
	    memcmp(mech->elements, ((gss_OID)gss_mech_krb5)->elements, mech->length) != 0) {
		snprintf(err, errlen, "the token is not a Kerberos V5 token");
		goto out;
	}
	if (!(flags & GSS_C_INTEG_FLAG)) {
		snprintf(err, errlen, "the context has no integrity (MS-SIPAE signs every message)");
		goto out;
	}
	if (o.length > cap) {
		snprintf(err, errlen, "the AP-REP is too long");
		goto out;
	}
	maj = gss_display_name(&min, src, &nb, NULL);
	if (maj != GSS_S_COMPLETE || nb.length >= userlen) {
		status_text(maj, min, err, errlen);
		goto out;
	}
	memcpy(user, nb.value, nb.length);
	user[nb.length] = '\0';
	if (o.length)
		memcpy(out, o.value, o.length);
	*outlen = o.length;
	*cp = c;
	c = NULL;
	rc = 0;
out:
	gss_release_buffer(&min, &o);
	gss_release_buffer(&min, &nb);
	if (src != GSS_C_NO_NAME)
		gss_release_name(&min, &src);
	krb_free(c);
	return rc;
}

int krb_verify(struct krb_ctx *c, const char *msg, size_t n, const unsigned char *sig, size_t siglen)
{
	OM_uint32 min;
	gss_buffer_desc m = { n, (void *)msg }, s = { siglen, (void *)sig };
	/* supplementary bits (a token out of sequence) are no error: the
	 * client's context asked for no sequencing (integrity only) */
	return GSS_ERROR(gss_verify_mic(&min, c->ctx, &m, &s, NULL)) ? -1 : 0;
}

int krb_sign(struct krb_ctx *c, const char *msg, size_t n, unsigned char *sig, size_t cap, size_t *siglen)
{
	OM_uint32 min;
	gss_buffer_desc m = { n, (void *)msg }, s = { 0, NULL };
	int rc = -1;
	if (gss_get_mic(&min, c->ctx, GSS_C_QOP_DEFAULT, &m, &s) == GSS_S_COMPLETE && s.length <= cap) {
		memcpy(sig, s.value, s.length);
		*siglen = s.length;
		rc = 0;
	}
	gss_release_buffer(&min, &s);
	return rc;
}

void krb_free(struct krb_ctx *c)
{
	OM_uint32 min;
	if (c == NULL)
		return;
	if (c->ctx != GSS_C_NO_CONTEXT)
		gss_delete_sec_context(&min, &c->ctx, GSS_C_NO_BUFFER);
	free(c);
}
