/* The krb5 context of a boot and what Kerberos errors mean. See krb.h. */
#include "krb/krb.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <profile.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>

/* ---- an in-memory profile: never the host's krb5.conf ---- */

struct prof {
	char realm[256];
};

/* [libdefaults] as a domain member needs it; krb5 asks for nothing else
 * that matters here (every KDC message is carried by phoneboot). */
static const char *lookup(const struct prof *p, const char *const *names)
{
	if (!names[0] || !names[1] || names[2] || strcmp(names[0], "libdefaults"))
		return NULL;
	if (!strcmp(names[1], "default_realm"))
		return p->realm;
	if (!strcmp(names[1], "dns_lookup_kdc") || !strcmp(names[1], "dns_lookup_realm") ||
	    !strcmp(names[1], "rdns") || !strcmp(names[1], "dns_canonicalize_hostname") ||
	    !strcmp(names[1], "dns_uri_lookup"))
		return "false";
	if (!strcmp(names[1], "kdc_timesync"))
		return "0";
	return NULL;
}

static long get_values(void *cbdata, const char *const *names, char ***ret)
{
	const char *v = lookup(cbdata, names);
	char **a;

	if (!v)
		return PROF_NO_RELATION;
	if (!(a = calloc(2, sizeof(*a))) || !(a[0] = strdup(v))) {
		free(a);
		return ENOMEM;
	}
	*ret = a;
	return 0;
}

static void free_values(void *cbdata, char **values)
{
	size_t i;

	(void)cbdata;
	for (i = 0; values && values[i]; i++)
		free(values[i]);
	free(values);
}

static void cleanup(void *cbdata)
{
	free(cbdata);
}

static long copy(void *cbdata, void **ret)
{
	struct prof *p = malloc(sizeof(*p));

	if (!p)
		return ENOMEM;
	memcpy(p, cbdata, sizeof(*p));
	*ret = p;
	return 0;
}

krb5_error_code krb_context_new(const char *realm, time_t now, krb5_context *out)
{
	struct profile_vtable vt;
	struct prof *p;
	profile_t prof = NULL;
	krb5_context ctx = NULL;
	krb5_error_code code;

	if (!(p = calloc(1, sizeof(*p))))
		return ENOMEM;
	snprintf(p->realm, sizeof(p->realm), "%s", realm);
	memset(&vt, 0, sizeof(vt));
	vt.minor_ver = 1;
	vt.get_values = get_values;
	vt.free_values = free_values;
	vt.cleanup = cleanup;
	vt.copy = copy;
	if ((code = (krb5_error_code)profile_init_vtable(&vt, p, &prof)) != 0) {
		free(p);
		return code;
	}
	/* the profile is copied into the context (vt.copy) */
	code = krb5_init_context_profile(prof, 0, &ctx);
	profile_abandon(prof);
	if (code)
		return code;
	/* the device's clock, not the host's */
	if ((code = krb5_set_real_time(ctx, (krb5_timestamp)now, 0)) != 0) {
		krb5_free_context(ctx);
		return code;
	}
	*out = ctx;
	return 0;
}

int krb_realm_of(const char *domain, char *out, size_t len)
{
	size_t i, n = strlen(domain);

	if (n == 0 || n >= len)
		return -1;
	for (i = 0; i < n; i++)
		out[i] = (char)toupper((unsigned char)domain[i]);
	out[n] = '\0';
	return 0;
}

enum pb_cause krb_cause_of(krb5_error_code code, int tgs)
{
	switch (code) {
	case KRB5KDC_ERR_PREAUTH_FAILED:
	case KRB5KRB_AP_ERR_BAD_INTEGRITY:  /* the AS-REP does not decrypt: the password */
		return tgs ? PB_CAUSE_KRB_KDC_REFUSED : PB_CAUSE_KRB_PREAUTH_FAILED;
	case KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN:
		return PB_CAUSE_KRB_PRINCIPAL_UNKNOWN;
	case KRB5KDC_ERR_CLIENT_REVOKED:
		return PB_CAUSE_KRB_ACCOUNT_DISABLED;
	case KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN:
		return tgs ? PB_CAUSE_KRB_SPN_MISSING : PB_CAUSE_KRB_KDC_REFUSED;
	case KRB5KRB_AP_ERR_SKEW:
	case KRB5_KDCREP_SKEW:      /* the KDC's reply, dated far from the device's clock */
		return PB_CAUSE_KRB_CLOCK_SKEW;
	default:
		return PB_CAUSE_KRB_KDC_REFUSED;
	}
}

int krb_read_error(krb5_context ctx, const unsigned char *msg, size_t len,
		   krb5_error_code *code, time_t *stime, char *text, size_t textlen)
{
	krb5_data d;
	krb5_error *e = NULL;

	if (!msg || len < 2 || msg[0] != 0x7e || len > 0x7fffffff)
		return -1;
	d.magic = KV5M_DATA;
	d.length = (unsigned)len;
	d.data = (char *)msg;
	if (krb5_rd_error(ctx, &d, &e) != 0)
		return -1;
	*code = (krb5_error_code)(ERROR_TABLE_BASE_krb5 + e->error);
	*stime = (time_t)(uint32_t)e->stime;
	if (text && textlen)
		snprintf(text, textlen, "%.*s", (int)(e->text.length < 200 ? e->text.length : 200),
			 e->text.data ? e->text.data : "");
	krb5_free_error(ctx, e);
	return 0;
}

const char *krb_msg_name(const unsigned char *msg, size_t len)
{
	if (!msg || !len)
		return "?";
	switch (msg[0]) {
	case 0x6a: return "AS-REQ";
	case 0x6b: return "AS-REP";
	case 0x6c: return "TGS-REQ";
	case 0x6d: return "TGS-REP";
	case 0x7e: return "KRB-ERROR";
	default: return "?";
	}
}

void krb_gss_text(unsigned maj, unsigned min, char *buf, size_t len)
{
	OM_uint32 m2, ctx = 0;
	gss_buffer_desc a = GSS_C_EMPTY_BUFFER, b = GSS_C_EMPTY_BUFFER;

	gss_display_status(&m2, maj, GSS_C_GSS_CODE, GSS_C_NO_OID, &ctx, &a);
	ctx = 0;
	if (min)
		gss_display_status(&m2, min, GSS_C_MECH_CODE, (gss_OID)gss_mech_krb5, &ctx, &b);
	snprintf(buf, len, "%.*s%s%.*s", (int)a.length, a.value ? (char *)a.value : "",
		 b.length ? ": " : "", (int)b.length, b.value ? (char *)b.value : "");
	gss_release_buffer(&m2, &a);
	gss_release_buffer(&m2, &b);
}

unsigned krb_gss_creds(krb5_ccache cc, const char *service, void *cred, void *target,
		       unsigned *min)
{
	gss_buffer_desc name;
	OM_uint32 maj, m;

	name.value = (void *)service;
	name.length = strlen(service);
	maj = gss_krb5_import_cred(&m, cc, NULL, NULL, cred);
	if (!GSS_ERROR(maj))
		maj = gss_import_name(&m, &name, (gss_OID)GSS_KRB5_NT_PRINCIPAL_NAME, target);
	*min = m;
	return maj;
}
