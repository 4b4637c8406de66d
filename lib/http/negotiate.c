/* HTTP Negotiate with Kerberos in SPNEGO: see negotiate.h. The krb5
 * mechanism's token is made by GSS-API with the device's credentials
 * (gss_krb5_import_cred), then wrapped in a NegTokenInit offering Kerberos
 * alone (lib/ldap/spnego.c), as the first and optimistic token (RFC 4178
 * 3.2, RFC 4559 4.2). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>

#include "http/negotiate.h"
#include "krb/krb.h"
#include "ldap/spnego.h"
#include "sipae/sipae.h"

#define MAX_TOKEN 16384             /* an AP-REQ with a large PAC */

struct http_negotiate {
	gss_ctx_id_t ctx;
	gss_cred_id_t cred;
	gss_name_t target;
};

void http_negotiate_free(struct http_negotiate *n)
{
	OM_uint32 min;

	if (!n)
		return;
	if (n->ctx != GSS_C_NO_CONTEXT)
		gss_delete_sec_context(&min, &n->ctx, GSS_C_NO_BUFFER);
	if (n->cred != GSS_C_NO_CREDENTIAL)
		gss_release_cred(&min, &n->cred);
	if (n->target != GSS_C_NO_NAME)
		gss_release_name(&min, &n->target);
	free(n);
}

void http_negotiate_wipe(char *header)
{
	if (header) {
		explicit_bzero(header, strlen(header));
		free(header);
	}
}

char *http_negotiate_start(krb5_ccache cc, const char *service, struct http_negotiate **out,
			   char *why, size_t whylen)
{
	struct http_negotiate *n = calloc(1, sizeof(*n));
	gss_buffer_desc tok = GSS_C_EMPTY_BUFFER;
	OM_uint32 maj, min, m2;
	uint8_t *wrapped = NULL;
	char *b64 = NULL, *header = NULL, text[300];
	size_t wlen = 0, blen = 0, b64cap = MAX_TOKEN * 4 / 3 + 4;

	if (!n || !(wrapped = malloc(MAX_TOKEN)) || !(b64 = malloc(b64cap))) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	n->ctx = GSS_C_NO_CONTEXT;
	n->cred = GSS_C_NO_CREDENTIAL;
	n->target = GSS_C_NO_NAME;
	maj = krb_gss_creds(cc, service, &n->cred, &n->target, &min);
	if (!GSS_ERROR(maj))
		maj = gss_init_sec_context(&min, n->cred, &n->ctx, n->target, (gss_OID)gss_mech_krb5,
					   GSS_C_MUTUAL_FLAG, 0, GSS_C_NO_CHANNEL_BINDINGS,
					   GSS_C_NO_BUFFER, NULL, &tok, NULL, NULL);
	if (GSS_ERROR(maj)) {
		krb_gss_text(maj, min, text, sizeof(text));
		snprintf(why, whylen, "GSS-API could not make the AP-REQ for %s: %s", service, text);
		goto out;
	}
	if (spnego_init_token_krb5(tok.value, tok.length, wrapped, MAX_TOKEN, &wlen) < 0 ||
	    sipae_b64_encode(wrapped, wlen, b64, b64cap, &blen) != SIPAE_OK ||
	    !(header = malloc(blen + sizeof("Authorization: Negotiate ")))) {
		snprintf(why, whylen, "the Negotiate token does not fit (%zu bytes)", tok.length);
		goto out;
	}
	snprintf(header, blen + sizeof("Authorization: Negotiate "), "Authorization: Negotiate %s", b64);
	*out = n;
	n = NULL;
out:
	if (tok.length)
		explicit_bzero(tok.value, tok.length);
	gss_release_buffer(&m2, &tok);
	http_negotiate_free(n);
	if (wrapped)
		explicit_bzero(wrapped, wlen);
	if (b64)
		explicit_bzero(b64, blen);
	free(wrapped);
	free(b64);
	return header;
}

int http_negotiate_finish(struct http_negotiate *n, const char *www_authenticate, char *why,
			  size_t whylen)
{
	const char *v = www_authenticate;
	struct spnego_answer a;
	gss_buffer_desc in, tok = GSS_C_EMPTY_BUFFER, types, mic;
	OM_uint32 maj, min, m2;
	uint8_t *raw = NULL;
	size_t len = 0;
	char text[300];
	int rc = -1;

	if (strncasecmp(v, "Negotiate", 9) || (v[9] != ' ' && v[9] != '\0'))
		return 0;
	v += 9;
	while (*v == ' ')
		v++;
	if (!*v)
		return 0;
	if (!(raw = malloc(strlen(v))) ||
	    sipae_b64_decode(v, strlen(v), raw, strlen(v), &len) != SIPAE_OK ||
	    spnego_parse(raw, len, &a) < 0 || a.raw) {
		snprintf(why, whylen, "the server's Negotiate token is no SPNEGO answer");
		goto out;
	}
	if (a.state == SPNEGO_REJECT) {
		snprintf(why, whylen, "the server rejected the negotiation (SPNEGO reject)");
		goto out;
	}
	if (!a.token && !a.mic) {
		rc = 0;
		goto out;
	}
	/* Kerberos was the one mechanism offered: another is no answer */
	if (a.has_mech && !a.krb5) {
		snprintf(why, whylen, "the server chose another mechanism than Kerberos");
		goto out;
	}
	if (a.token) {
		in.value = (void *)a.token;
		in.length = a.token_len;
		maj = gss_init_sec_context(&min, n->cred, &n->ctx, n->target, (gss_OID)gss_mech_krb5,
					   GSS_C_MUTUAL_FLAG, 0, GSS_C_NO_CHANNEL_BINDINGS, &in, NULL,
					   &tok, NULL, NULL);
		gss_release_buffer(&m2, &tok);
		if (maj != GSS_S_COMPLETE) {
			krb_gss_text(maj, min, text, sizeof(text));
			snprintf(why, whylen, "the server's AP-REP does not verify: %s", text);
			goto out;
		}
	}
	if (a.mic) {
		/* RFC 4178 5: the server's signature over the mechanism list
		 * offered, with the context's key */
		types.value = (void *)spnego_mech_types_krb5(&types.length);
		mic.value = (void *)a.mic;
		mic.length = a.mic_len;
		maj = a.token ? gss_verify_mic(&min, n->ctx, &types, &mic, NULL) : GSS_S_NO_CONTEXT;
		if (maj != GSS_S_COMPLETE) {
			krb_gss_text(maj, min, text, sizeof(text));
			snprintf(why, whylen, "the server's mechListMIC does not verify: %s", text);
			goto out;
		}
	}
	rc = a.token ? 1 : 0;
out:
	free(raw);
	return rc;
}
