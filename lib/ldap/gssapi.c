/* SASL GSSAPI for the directory step. See gssapi.h. */
#include "ldap/gssapi.h"
#include "ldap/layer.h"
#include "krb/krb.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lber.h>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>

/* The largest wrapped message either side sends (our choice's maximum
 * size, RFC 4752 3.3; AD's answers to one search stay far below). */
#define MAX_WRAPPED DIR_SASL_MAX

struct dir_gssapi {
	gss_cred_id_t cred;
	gss_name_t target;
	gss_ctx_id_t ctx;
	int phase;                  /* 0 the context, 1 the security layer, 2 sent */
	gss_buffer_desc tok;        /* the last step's token */
	unsigned char layer;        /* the one chosen: 1 none, 2 integrity */
	/* the integrity layer under libldap (RFC 4752 3.3, RFC 4422 3.7):
	 * each message a 4-byte length and a gss_wrap token */
	unsigned char *out;         /* a wrapped frame not yet all written */
	size_t out_len, out_off;
	unsigned char *raw;         /* what came from below, not yet a frame */
	size_t raw_len, raw_cap;
	unsigned char *plain;       /* unwrapped, not yet read */
	size_t plain_len, plain_off;
};

static void gss_words(OM_uint32 maj, OM_uint32 min, char *buf, size_t len)
{
	char t[300];

	krb_gss_text(maj, min, t, sizeof(t));
	snprintf(buf, len, "GSS-API: %s", t);
}

struct dir_gssapi *dir_gssapi_new(krb5_ccache cc, const char *service, char *err, size_t len)
{
	struct dir_gssapi *g = calloc(1, sizeof(*g));
	OM_uint32 maj, min;

	if (!g) {
		snprintf(err, len, "out of memory");
		return NULL;
	}
	g->ctx = GSS_C_NO_CONTEXT;
	maj = krb_gss_creds(cc, service, &g->cred, &g->target, &min);
	if (GSS_ERROR(maj)) {
		gss_words(maj, min, err, len);
		dir_gssapi_free(g);
		return NULL;
	}
	return g;
}

void dir_gssapi_free(struct dir_gssapi *g)
{
	OM_uint32 m2;

	if (!g)
		return;
	if (g->ctx != GSS_C_NO_CONTEXT)
		gss_delete_sec_context(&m2, &g->ctx, GSS_C_NO_BUFFER);
	gss_release_name(&m2, &g->target);
	gss_release_cred(&m2, &g->cred);
	gss_release_buffer(&m2, &g->tok);
	free(g->out);
	free(g->raw);
	free(g->plain);
	free(g);
}

/* The token of the last step, kept until the next (libldap copies it
 * into the BindRequest). */
static void out_token(struct dir_gssapi *g, gss_buffer_desc *tok, struct berval *out)
{
	OM_uint32 m2;

	gss_release_buffer(&m2, &g->tok);
	g->tok = *tok;
	out->bv_val = g->tok.value;
	out->bv_len = g->tok.length;
}

/* RFC 4752 3.1, the last round: the server's offer (wrapped: a bit mask
 * of layers and a maximum size), the client's choice: integrity (2) where
 * offered (Active Directory and Samba ask for signing: "Sign or Seal are
 * required"), else no layer (1); no authorization identity. */
static int layer_step(struct dir_gssapi *g, const struct berval *in, struct berval *out,
		      char *err, size_t len)
{
	gss_buffer_desc ib, plain = GSS_C_EMPTY_BUFFER, mine, wrapped = GSS_C_EMPTY_BUFFER;
	unsigned char choice[4] = { 0x02, (MAX_WRAPPED >> 16) & 0xff, (MAX_WRAPPED >> 8) & 0xff,
				    MAX_WRAPPED & 0xff };
	OM_uint32 maj, min, m2;
	unsigned char offer;

	ib.value = in ? in->bv_val : NULL;
	ib.length = in ? in->bv_len : 0;
	maj = gss_unwrap(&min, g->ctx, &ib, &plain, NULL, NULL);
	if (GSS_ERROR(maj) || plain.length != 4) {
		if (GSS_ERROR(maj))
			gss_words(maj, min, err, len);
		else
			snprintf(err, len, "the server's security-layer offer is %zu bytes, not 4",
				 plain.length);
		gss_release_buffer(&m2, &plain);
		return -1;
	}
	offer = ((unsigned char *)plain.value)[0];
	gss_release_buffer(&m2, &plain);
	if (offer & 0x02) {
		g->layer = 2;
	} else if (offer & 0x01) {
		g->layer = 1;
		memset(choice, 0, sizeof(choice));
		choice[0] = 0x01;
	} else {
		snprintf(err, len, "the server offers only confidentiality (0x%02x)", offer);
		return -1;
	}
	mine.value = choice;
	mine.length = sizeof(choice);
	maj = gss_wrap(&min, g->ctx, 0, GSS_C_QOP_DEFAULT, &mine, NULL, &wrapped);
	if (GSS_ERROR(maj)) {
		gss_words(maj, min, err, len);
		return -1;
	}
	g->phase = 2;
	out_token(g, &wrapped, out);
	return 1;
}

int dir_gssapi_step(struct dir_gssapi *g, const struct berval *in, struct berval *out,
		    char *err, size_t len)
{
	gss_buffer_desc ib, tok = GSS_C_EMPTY_BUFFER;
	OM_uint32 maj, min, m2;

	err[0] = '\0';
	if (!in) {
		/* a new connection: a new context */
		if (g->ctx != GSS_C_NO_CONTEXT)
			gss_delete_sec_context(&m2, &g->ctx, GSS_C_NO_BUFFER);
		g->phase = 0;
		g->layer = 0;
	}
	if (g->phase == 2)
		return 0;               /* the server took the choice */
	if (g->phase == 1)
		return layer_step(g, in, out, err, len);
	ib.value = in ? in->bv_val : NULL;
	ib.length = in ? in->bv_len : 0;
	/* RFC 4752 3.1: mutual authentication, integrity (the security
	 * layer negotiation is wrapped) */
	maj = gss_init_sec_context(&min, g->cred, &g->ctx, g->target, (gss_OID)gss_mech_krb5,
				   GSS_C_MUTUAL_FLAG | GSS_C_INTEG_FLAG | GSS_C_SEQUENCE_FLAG, 0,
				   GSS_C_NO_CHANNEL_BINDINGS, in ? &ib : GSS_C_NO_BUFFER, NULL,
				   &tok, NULL, NULL);
	if (GSS_ERROR(maj)) {
		gss_words(maj, min, err, len);
		gss_release_buffer(&m2, &tok);
		return -1;
	}
	if (maj == GSS_S_COMPLETE)
		g->phase = 1;       /* next: the server's security-layer offer */
	/* RFC 4752 3.1: an empty response when the context completes
	 * without a token */
	out_token(g, &tok, out);
	return 1;
}

const char *dir_gssapi_protection(const struct dir_gssapi *g)
{
	return g->layer == 2 ? "signed (SASL integrity layer)" : "no SASL layer";
}

/* ---- the integrity layer (a Sockbuf_IO above TLS) ---- */

/* Write what is left of the last frame. 0 when all of it went, -1 (errno;
 * EAGAIN: the socket is full). */
static int l_flush(Sockbuf_IO_Desc *d, struct dir_gssapi *g)
{
	if (g->out && layer_write_rest(d, g->out, g->out_len, &g->out_off) < 0)
		return -1;
	free(g->out);
	g->out = NULL;
	return 0;
}

static int l_ctrl(Sockbuf_IO_Desc *d, int opt, void *arg)
{
	struct dir_gssapi *g = d->sbiod_pvt;

	if (opt == LAYER_OPT_FLUSH && g && g->out)
		return layer_flush_answer(d, l_flush(d, g), opt, arg);
	if (opt == LBER_SB_OPT_DATA_READY && g) {
		/* unwrapped bytes, or a whole frame, wait here: the socket
		 * may be quiet */
		if (g->plain_off < g->plain_len)
			return 1;
		size_t n;

		if (dir_sasl_frame(g->raw, g->raw_len, &n) != 0)
			return 1;       /* a whole frame (or a bad one: read says so) */
	}
	return LBER_SBIOD_CTRL_NEXT(d, opt, arg);
}

int dir_sasl_frame(const unsigned char *buf, size_t len, size_t *msglen)
{
	uint32_t n;

	if (!buf || len < 4)
		return 0;
	n = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 | buf[3];
	if (n == 0 || n > MAX_WRAPPED)
		return -1;
	if (len - 4 < n)
		return 0;
	*msglen = n;
	return 1;
}

/* A whole frame in raw: unwrapped into plain. 1 done, 0 more needed, -1
 * a bad frame (errno EPROTO). */
static int unframe(struct dir_gssapi *g)
{
	gss_buffer_desc in, out = GSS_C_EMPTY_BUFFER;
	OM_uint32 maj, min, m2;
	size_t n = 0;
	unsigned char *p;
	int rc = dir_sasl_frame(g->raw, g->raw_len, &n);

	if (rc < 0)
		errno = EPROTO;
	if (rc <= 0)
		return rc;
	in.value = g->raw + 4;
	in.length = n;
	maj = gss_unwrap(&min, g->ctx, &in, &out, NULL, NULL);
	if (GSS_ERROR(maj) || !(p = malloc(out.length ? out.length : 1))) {
		gss_release_buffer(&m2, &out);
		errno = EPROTO;
		return -1;
	}
	memcpy(p, out.value, out.length);
	free(g->plain);
	g->plain = p;
	g->plain_len = out.length;
	g->plain_off = 0;
	gss_release_buffer(&m2, &out);
	memmove(g->raw, g->raw + 4 + n, g->raw_len - 4 - n);
	g->raw_len -= 4 + n;
	return 1;
}

static ber_slen_t l_read(Sockbuf_IO_Desc *d, void *buf, ber_len_t len)
{
	struct dir_gssapi *g = d->sbiod_pvt;
	unsigned rounds;

	if (!g) {
		errno = EBADF;
		return -1;
	}
	/* the request this answers may still be here in part */
	if (l_flush(d, g) < 0 && !layer_later(errno))
		return -1;
	for (rounds = 0; rounds < 64 && g->plain_off >= g->plain_len; rounds++) {
		ber_slen_t n;
		int rc;

		if ((rc = unframe(g)) < 0)
			return -1;
		if (rc > 0)
			break;
		if (g->raw_cap - g->raw_len < 4096) {
			size_t cap = g->raw_cap ? g->raw_cap * 2 : 8192;
			unsigned char *p;

			/* room for the largest legal frame, no more */
			if (cap > MAX_WRAPPED + 4 + 4096)
				cap = MAX_WRAPPED + 4 + 4096;
			if (cap <= g->raw_cap || !(p = realloc(g->raw, cap))) {
				errno = ENOMEM;
				return -1;
			}
			g->raw = p;
			g->raw_cap = cap;
		}
		n = LBER_SBIOD_READ_NEXT(d, g->raw + g->raw_len, g->raw_cap - g->raw_len);
		if (n <= 0)
			return n;       /* the end, or EAGAIN: libldap waits for the loop */
		g->raw_len += (size_t)n;
	}
	if (g->plain_off >= g->plain_len) {
		errno = EAGAIN;
		return -1;
	}
	if (len > g->plain_len - g->plain_off)
		len = g->plain_len - g->plain_off;
	memcpy(buf, g->plain + g->plain_off, len);
	g->plain_off += len;
	return (ber_slen_t)len;
}

/* A request is wrapped once and is the layer's from then on: what the
 * layer below does not take at once waits here, goes out before the next
 * write or read, and when the loop sees the socket writable
 * (LAYER_OPT_FLUSH). libldap is told EAGAIN only while an earlier frame
 * still waits; nothing of the new message is wrapped then, so a retry can
 * never send it twice. (dir.c sends a request only after the answer to
 * the last one, so the earlier frame is always out by then.) */
static ber_slen_t l_write(Sockbuf_IO_Desc *d, void *buf, ber_len_t len)
{
	struct dir_gssapi *g = d->sbiod_pvt;
	gss_buffer_desc in, tok = GSS_C_EMPTY_BUFFER;
	OM_uint32 maj, min, m2;

	if (!g) {
		errno = EBADF;
		return -1;
	}
	if (l_flush(d, g) < 0)
		return -1;
	in.value = buf;
	in.length = len;
	maj = gss_wrap(&min, g->ctx, 0, GSS_C_QOP_DEFAULT, &in, NULL, &tok);
	if (GSS_ERROR(maj) || tok.length > MAX_WRAPPED || !(g->out = malloc(tok.length + 4))) {
		gss_release_buffer(&m2, &tok);
		errno = EPROTO;
		return -1;
	}
	g->out[0] = (unsigned char)(tok.length >> 24);
	g->out[1] = (unsigned char)(tok.length >> 16);
	g->out[2] = (unsigned char)(tok.length >> 8);
	g->out[3] = (unsigned char)tok.length;
	memcpy(g->out + 4, tok.value, tok.length);
	g->out_len = tok.length + 4;
	g->out_off = 0;
	gss_release_buffer(&m2, &tok);
	if (l_flush(d, g) < 0 && !layer_later(errno))
		return -1;
	return (ber_slen_t)len;
}

static Sockbuf_IO layer_io = {
	.sbi_setup = layer_setup,
	.sbi_remove = layer_remove,
	.sbi_ctrl = l_ctrl,
	.sbi_read = l_read,
	.sbi_write = l_write,
	.sbi_close = layer_close,
};

int dir_gssapi_install(struct dir_gssapi *g, LDAP *ld)
{
	Sockbuf *sb = NULL;

	if (g->layer != 2)
		return 0;
	/* a new connection's layer starts empty */
	free(g->out);
	g->out = NULL;
	g->raw_len = 0;
	g->plain_len = g->plain_off = 0;
	if (ldap_get_option(ld, LDAP_OPT_SOCKBUF, &sb) != LDAP_OPT_SUCCESS || !sb ||
	    ber_sockbuf_add_io(sb, &layer_io, LBER_SBIOD_LEVEL_APPLICATION, g) < 0)
		return -1;
	return 0;
}
