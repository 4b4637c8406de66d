/* SASL GSS-SPNEGO with NTLM, and its security layer. See sasl.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>

#include "ldap/sasl.h"
#include "ldap/spnego.h"

/* gss-ntlmssp's mechanism, 1.3.6.1.4.1.311.2.2.10 */
static gss_OID_desc ntlm_oid = { 10, (void *)"\x2b\x06\x01\x04\x01\x82\x37\x02\x02\x0a" };
/* gss-ntlmssp's context options (gssapi_ntlmssp.h, 1.3.6.1.4.1.7165.655.1.x):
 * "SPNEGO can MIC" (.2), asked before the AUTHENTICATE_MESSAGE so that
 * NTLM puts its own MIC in it; "reset crypto" (.3): [MS-SPNG] 3.3.5.1,
 * NTLM's signing and sealing state starts again after the mechListMIC,
 * each direction (value 0: sending, 1: receiving), as Windows and Samba do */
static gss_OID_desc req_mic_oid = {
	11, (void *)"\x2b\x06\x01\x04\x01\xb7\x7d\x85\x0f\x01\x02"
};
static gss_OID_desc reset_oid = {
	11, (void *)"\x2b\x06\x01\x04\x01\xb7\x7d\x85\x0f\x01\x03"
};

#define TOKEN_MAX 8192
#define FRAME_MAX (1u << 24)        /* a wrapped LDAP message, at most */

struct sasl_ntlm {
	gss_cred_id_t cred;
	gss_ctx_id_t ctx;
	gss_name_t target;
	OM_uint32 flags;            /* what the context gives */
	int round;                  /* 0, 1 NegTokenInit sent, 2 NegTokenResp sent */
	int raw;                    /* the server speaks bare NTLMSSP */
	uint8_t out[TOKEN_MAX];
	/* the security layer */
	uint8_t *in;                /* wire bytes of a frame being read */
	size_t in_len, in_cap;
	gss_buffer_desc plain;      /* unwrapped, not yet read */
	size_t plain_off;
	uint8_t *wire;              /* a frame not yet written whole */
	size_t wire_len, wire_off;
};

/* GSS-API's words for a failure. */
static void gss_why(OM_uint32 maj, OM_uint32 min, const char *what, char *err, size_t len)
{
	OM_uint32 m2, more = 0;
	gss_buffer_desc a = GSS_C_EMPTY_BUFFER, b = GSS_C_EMPTY_BUFFER;

	gss_display_status(&m2, maj, GSS_C_GSS_CODE, GSS_C_NO_OID, &more, &a);
	more = 0;
	if (min)
		gss_display_status(&m2, min, GSS_C_MECH_CODE, &ntlm_oid, &more, &b);
	snprintf(err, len, "%s: %.*s%s%.*s", what, (int)a.length, a.value ? (char *)a.value : "",
		 b.length ? ", " : "", (int)b.length, b.value ? (char *)b.value : "");
	gss_release_buffer(&m2, &a);
	gss_release_buffer(&m2, &b);
}

static int reset(struct sasl_ntlm *s, uint32_t receiving, char *err, size_t errlen)
{
	gss_buffer_desc v = { sizeof(receiving), &receiving };
	OM_uint32 maj, min;

	maj = gss_set_sec_context_option(&min, &s->ctx, &reset_oid, &v);
	if (GSS_ERROR(maj)) {
		gss_why(maj, min, "NTLM could not reset its signing state ([MS-SPNG] 3.3.5.1)",
			err, errlen);
		return -1;
	}
	return 0;
}

int sasl_ntlm_new(const char *user, const char *domain, const char *password,
		  const char *host, struct sasl_ntlm **out, char *err, size_t errlen)
{
	struct sasl_ntlm *s = calloc(1, sizeof(*s));
	gss_OID_set_desc mechs = { 1, &ntlm_oid };
	gss_buffer_desc nb, pw, tb;
	gss_name_t uname = GSS_C_NO_NAME;
	char name[600], target[300];
	OM_uint32 maj, min;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->cred = GSS_C_NO_CREDENTIAL;
	s->ctx = GSS_C_NO_CONTEXT;
	s->target = GSS_C_NO_NAME;
	snprintf(name, sizeof(name), "%s@%s", user, domain);
	snprintf(target, sizeof(target), "ldap@%s", host);
	nb.value = name;
	nb.length = strlen(name);
	tb.value = target;
	tb.length = strlen(target);
	pw.value = (void *)password;
	pw.length = strlen(password);
	maj = gss_import_name(&min, &nb, GSS_C_NT_USER_NAME, &uname);
	if (!GSS_ERROR(maj))
		maj = gss_import_name(&min, &tb, GSS_C_NT_HOSTBASED_SERVICE, &s->target);
	if (GSS_ERROR(maj)) {
		gss_why(maj, min, "GSS-API name", err, errlen);
		goto fail;
	}
	/* the credentials from the password, in memory: no file, no ccache */
	maj = gss_acquire_cred_with_password(&min, uname, &pw, GSS_C_INDEFINITE, &mechs,
					     GSS_C_INITIATE, &s->cred, NULL, NULL);
	if (GSS_ERROR(maj)) {
		gss_why(maj, min, "no NTLM credentials through GSS-API (is gss-ntlmssp "
			"installed?)", err, errlen);
		goto fail;
	}
	gss_release_name(&min, &uname);
	*out = s;
	return 0;
fail:
	gss_release_name(&min, &uname);
	sasl_ntlm_free(s);
	return -1;
}

void sasl_ntlm_free(struct sasl_ntlm *s)
{
	OM_uint32 min;

	if (!s)
		return;
	if (s->ctx != GSS_C_NO_CONTEXT)
		gss_delete_sec_context(&min, &s->ctx, GSS_C_NO_BUFFER);
	if (s->cred != GSS_C_NO_CREDENTIAL)
		gss_release_cred(&min, &s->cred);
	gss_release_name(&min, &s->target);
	gss_release_buffer(&min, &s->plain);
	free(s->in);
	free(s->wire);
	free(s);
}

/* The next NTLM message, from the server's (NULL first). */
static int ntlm_step(struct sasl_ntlm *s, const uint8_t *tok, size_t n, gss_buffer_desc *o,
		     char *err, size_t errlen)
{
	gss_buffer_desc in = { n, (void *)tok };
	OM_uint32 maj, min;

	/* sign and seal: AD's signing requirement takes either; NTLM's
	 * GSS wrap seals (MS-NLMP 3.4.6) */
	maj = gss_init_sec_context(&min, s->cred, &s->ctx, s->target, &ntlm_oid,
				   GSS_C_INTEG_FLAG | GSS_C_CONF_FLAG | GSS_C_MUTUAL_FLAG, 0,
				   GSS_C_NO_CHANNEL_BINDINGS, tok ? &in : GSS_C_NO_BUFFER, NULL, o,
				   &s->flags, NULL);
	if (GSS_ERROR(maj)) {
		gss_why(maj, min, tok ? "NTLM could not answer the directory's CHALLENGE"
				      : "NTLM could not start", err, errlen);
		return -1;
	}
	return 0;
}

int sasl_ntlm_step(struct sasl_ntlm *s, const struct berval *in, struct berval *out,
		   char *err, size_t errlen)
{
	gss_buffer_desc tok = GSS_C_EMPTY_BUFFER, mic = GSS_C_EMPTY_BUFFER;
	struct spnego_answer a;
	size_t n = 0, mtl;
	const uint8_t *mt = spnego_mech_types(&mtl);
	OM_uint32 min, maj;
	int rc = -1;

	if (s->round == 0) {
		if (ntlm_step(s, NULL, 0, &tok, err, errlen) < 0)
			return -1;
		if (spnego_init_token(tok.value, tok.length, s->out, sizeof(s->out), &n) < 0) {
			snprintf(err, errlen, "the NEGOTIATE_MESSAGE does not fit");
			goto out;
		}
		s->round = 1;
		rc = 1;
		goto out;
	}
	if (!in || !in->bv_len) {
		if (s->round == 2) {
			rc = 0;         /* success without a last token */
			goto out;
		}
		snprintf(err, errlen, "the directory sent no NTLM CHALLENGE");
		goto out;
	}
	if (spnego_parse((const uint8_t *)in->bv_val, in->bv_len, &a) < 0) {
		snprintf(err, errlen, "the directory's SPNEGO answer does not parse (RFC 4178 4.2.2)");
		goto out;
	}
	if (a.state == SPNEGO_REJECT || !a.ntlm) {
		snprintf(err, errlen, "the directory rejected NTLM in SPNEGO");
		goto out;
	}
	s->raw = a.raw;
	if (s->round == 2) {
		/* accept-completed, and the directory's proof over the list */
		if (a.mic && !s->raw) {
			gss_buffer_desc m = { mtl, (void *)mt }, t = { a.mic_len, (void *)a.mic };

			maj = gss_verify_mic(&min, s->ctx, &m, &t, NULL);
			if (GSS_ERROR(maj)) {
				gss_why(maj, min, "the directory's mechListMIC does not verify",
					err, errlen);
				goto out;
			}
		}
		if (!s->raw && reset(s, a.mic ? 1 : 0, err, errlen) < 0)
			goto out;
		rc = 0;
		goto out;
	}
	if (!a.token) {
		snprintf(err, errlen, "the directory's SPNEGO answer has no NTLM CHALLENGE");
		goto out;
	}
	if (!s->raw) {
		gss_buffer_set_t set = GSS_C_NO_BUFFER_SET;

		/* tells NTLM that a mechListMIC will follow its MIC */
		gss_inquire_sec_context_by_oid(&min, s->ctx, &req_mic_oid, &set);
		gss_release_buffer_set(&min, &set);
	}
	if (ntlm_step(s, a.token, a.token_len, &tok, err, errlen) < 0)
		goto out;
	if (s->raw) {
		if (tok.length > sizeof(s->out)) {
			snprintf(err, errlen, "the AUTHENTICATE_MESSAGE does not fit");
			goto out;
		}
		memcpy(s->out, tok.value, tok.length);
		n = tok.length;
	} else {
		/* [MS-SPNG] 3.1.5.1: with NTLM's MIC, the mechListMIC too */
		gss_buffer_desc m = { mtl, (void *)mt };

		maj = gss_get_mic(&min, s->ctx, GSS_C_QOP_DEFAULT, &m, &mic);
		if (GSS_ERROR(maj)) {
			gss_why(maj, min, "signing the mechanism list", err, errlen);
			goto out;
		}
		if (reset(s, 0, err, errlen) < 0)
			goto out;
		if (spnego_resp_token(tok.value, tok.length, mic.value, mic.length, s->out,
				      sizeof(s->out), &n) < 0) {
			snprintf(err, errlen, "the AUTHENTICATE_MESSAGE does not fit");
			goto out;
		}
	}
	s->round = 2;
	rc = 1;
out:
	if (rc == 1) {
		out->bv_val = (char *)s->out;
		out->bv_len = n;
	}
	gss_release_buffer(&min, &tok);
	gss_release_buffer(&min, &mic);
	return rc;
}

const char *sasl_ntlm_protection(const struct sasl_ntlm *s)
{
	return s->flags & GSS_C_CONF_FLAG ? "signed and sealed" : "signed";
}

/* ---- the security layer (RFC 4422 3.7), a libldap Sockbuf layer ---- */

static int sb_setup(Sockbuf_IO_Desc *d, void *arg)
{
	d->sbiod_pvt = arg;
	return 0;
}

static int sb_remove(Sockbuf_IO_Desc *d)
{
	d->sbiod_pvt = NULL;
	return 0;
}

/* Bytes of a whole frame buffered: 4 + its length, or 0. */
static size_t whole(const struct sasl_ntlm *s)
{
	size_t n;

	if (s->in_len < 4)
		return 0;
	n = (size_t)s->in[0] << 24 | (size_t)s->in[1] << 16 | (size_t)s->in[2] << 8 | s->in[3];
	return s->in_len >= 4 + n ? 4 + n : 0;
}

static int sb_ctrl(Sockbuf_IO_Desc *d, int opt, void *arg)
{
	struct sasl_ntlm *s = d->sbiod_pvt;

	if (opt == LBER_SB_OPT_DATA_READY && s &&
	    (s->plain.length > s->plain_off || whole(s)))
		return 1;
	return LBER_SBIOD_CTRL_NEXT(d, opt, arg);
}

/* Write what is left of the last frame. 0 when all of it went, -1. */
static int flush(Sockbuf_IO_Desc *d, struct sasl_ntlm *s)
{
	while (s->wire_off < s->wire_len) {
		ber_slen_t k = LBER_SBIOD_WRITE_NEXT(d, s->wire + s->wire_off,
						     s->wire_len - s->wire_off);

		if (k <= 0)
			return -1;
		s->wire_off += (size_t)k;
	}
	return 0;
}

static ber_slen_t sb_read(Sockbuf_IO_Desc *d, void *buf, ber_len_t len)
{
	struct sasl_ntlm *s = d->sbiod_pvt;
	size_t n, frame;
	OM_uint32 maj, min;

	if (!s) {
		errno = EBADF;
		return -1;
	}
	if (s->wire_off < s->wire_len && flush(d, s) < 0 && errno != EAGAIN &&
	    errno != EWOULDBLOCK)
		return -1;
	while (s->plain.length <= s->plain_off) {
		gss_buffer_desc w;

		if (!(frame = whole(s))) {
			size_t want = s->in_len < 4 ? 4 - s->in_len : 0;
			ber_slen_t k;

			if (!want) {
				size_t flen = (size_t)s->in[0] << 24 | (size_t)s->in[1] << 16 |
					      (size_t)s->in[2] << 8 | s->in[3];

				if (flen > FRAME_MAX) {
					errno = EPROTO;
					return -1;
				}
				want = 4 + flen - s->in_len;
			}
			if (s->in_len + want > s->in_cap) {
				uint8_t *p = realloc(s->in, s->in_len + want);

				if (!p) {
					errno = ENOMEM;
					return -1;
				}
				s->in = p;
				s->in_cap = s->in_len + want;
			}
			k = LBER_SBIOD_READ_NEXT(d, s->in + s->in_len, want);
			if (k <= 0)
				return k;       /* 0 at the end, -1 with errno (EAGAIN) */
			s->in_len += (size_t)k;
			continue;
		}
		w.value = s->in + 4;
		w.length = frame - 4;
		gss_release_buffer(&min, &s->plain);
		s->plain_off = 0;
		maj = gss_unwrap(&min, s->ctx, &w, &s->plain, NULL, NULL);
		memmove(s->in, s->in + frame, s->in_len - frame);
		s->in_len -= frame;
		if (GSS_ERROR(maj)) {
			errno = EPROTO;     /* a message the directory did not sign */
			return -1;
		}
	}
	n = s->plain.length - s->plain_off;
	if (n > len)
		n = len;
	memcpy(buf, (uint8_t *)s->plain.value + s->plain_off, n);
	s->plain_off += n;
	return (ber_slen_t)n;
}

static ber_slen_t sb_write(Sockbuf_IO_Desc *d, void *buf, ber_len_t len)
{
	struct sasl_ntlm *s = d->sbiod_pvt;
	gss_buffer_desc in = { len, buf }, w = GSS_C_EMPTY_BUFFER;
	OM_uint32 maj, min;
	uint8_t *p;

	if (!s) {
		errno = EBADF;
		return -1;
	}
	if (flush(d, s) < 0)
		return -1;              /* EAGAIN: libldap calls again */
	maj = gss_wrap(&min, s->ctx, (s->flags & GSS_C_CONF_FLAG) != 0, GSS_C_QOP_DEFAULT, &in,
		       NULL, &w);
	if (GSS_ERROR(maj) || w.length > FRAME_MAX) {
		gss_release_buffer(&min, &w);
		errno = EPROTO;
		return -1;
	}
	if (!(p = realloc(s->wire, 4 + w.length))) {
		gss_release_buffer(&min, &w);
		errno = ENOMEM;
		return -1;
	}
	s->wire = p;
	p[0] = (uint8_t)(w.length >> 24);
	p[1] = (uint8_t)(w.length >> 16);
	p[2] = (uint8_t)(w.length >> 8);
	p[3] = (uint8_t)w.length;
	memcpy(p + 4, w.value, w.length);
	s->wire_len = 4 + w.length;
	s->wire_off = 0;
	gss_release_buffer(&min, &w);
	/* the message is ours now: what the socket does not take at once
	 * goes before the next write or read */
	if (flush(d, s) < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
		return -1;
	return (ber_slen_t)len;
}

static int sb_close(Sockbuf_IO_Desc *d)
{
	(void)d;
	return 0;
}

static Sockbuf_IO layer = {
	.sbi_setup = sb_setup,
	.sbi_remove = sb_remove,
	.sbi_ctrl = sb_ctrl,
	.sbi_read = sb_read,
	.sbi_write = sb_write,
	.sbi_close = sb_close,
};

int sasl_ntlm_install(struct sasl_ntlm *s, LDAP *ld)
{
	Sockbuf *sb = NULL;

	if (ldap_get_option(ld, LDAP_OPT_SOCKBUF, &sb) != LDAP_OPT_SUCCESS || !sb)
		return -1;
	return ber_sockbuf_add_io(sb, &layer, LBER_SBIOD_LEVEL_APPLICATION, s) < 0 ? -1 : 0;
}
