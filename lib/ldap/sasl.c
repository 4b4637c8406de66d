/* SASL GSS-SPNEGO with NTLM, and its security layer. See sasl.h.
 *
 * Connection-oriented NTLMv2 ([MS-NLMP] 3.1.5.1), phoneboot's own
 * (lib/ntlm/), inside SPNEGO (lib/ldap/spnego.c):
 *
 *   BindRequest  GSS-SPNEGO NegTokenInit { NTLMSSP, NEGOTIATE_MESSAGE }
 *   BindResponse saslBindInProgress  NegTokenResp { CHALLENGE_MESSAGE }
 *   BindRequest  NegTokenResp { AUTHENTICATE_MESSAGE (with its MIC),
 *                               mechListMIC = SIGN(seq 0, mechTypes) }
 *   BindResponse success  NegTokenResp { accept-completed, mechListMIC }
 *
 * then each direction's RC4 state starts again ([MS-SPNG] 3.3.5.1) and
 * every LDAP message is sealed: signature (16 bytes) || RC4 ciphertext,
 * sequence numbers running on from the mechListMIC's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ldap/layer.h"
#include "ldap/sasl.h"
#include "ldap/spnego.h"
#include "ntlm/ntlm.h"

#define TOKEN_MAX 8192
#define FRAME_MAX (1u << 20)        /* a sealed LDAP message, at most (the length
				     * is unauthenticated: a bound, not a promise) */

/* What the device asks for: Unicode, NTLM with extended session security,
 * signing and sealing with 128-bit keys exchanged, and its version. */
#define FLAGS (NTLM_NEGOTIATE_UNICODE | NTLM_REQUEST_TARGET | NTLM_NEGOTIATE_SIGN | \
	       NTLM_NEGOTIATE_SEAL | NTLM_NEGOTIATE_NTLM | NTLM_NEGOTIATE_ALWAYS_SIGN | \
	       NTLM_NEGOTIATE_EXTENDED_SESSIONSECURITY | NTLM_NEGOTIATE_VERSION | \
	       NTLM_NEGOTIATE_128 | NTLM_NEGOTIATE_KEY_EXCH | NTLM_NEGOTIATE_56)
/* What sealing needs the directory to grant. */
#define NEEDED (NTLM_NEGOTIATE_UNICODE | NTLM_NEGOTIATE_SIGN | NTLM_NEGOTIATE_SEAL | \
		NTLM_NEGOTIATE_EXTENDED_SESSIONSECURITY | NTLM_NEGOTIATE_KEY_EXCH | \
		NTLM_NEGOTIATE_128)
/* Windows 6.1 (7601), NTLM revision 15, as the VERSION field reads */
static const uint8_t version[8] = { 6, 1, 0xb1, 0x1d, 0, 0, 0, 15 };

struct sasl_ntlm {
	struct ntlm_ctx *ctx;
	char user[256], domain[256];
	char *password;             /* a copy, wiped once used */
	uint8_t negotiate[NTLM_NEGOTIATE_MAX];
	size_t negotiate_len;
	uint32_t send_seq, recv_seq;
	int round;                  /* 0, 1 NegTokenInit sent, 2 NegTokenResp sent */
	int raw;                    /* the server speaks bare NTLMSSP */
	uint8_t out[TOKEN_MAX];
	/* the security layer */
	uint8_t *in;                /* wire bytes of a frame being read */
	size_t in_len, in_cap;
	uint8_t *plain;             /* unsealed, not yet read */
	size_t plain_len, plain_off;
	uint8_t *wire;              /* a frame not yet written whole */
	size_t wire_len, wire_off;
};

static void wipe_password(struct sasl_ntlm *s)
{
	if (s->password) {
		explicit_bzero(s->password, strlen(s->password));
		free(s->password);
		s->password = NULL;
	}
}

int sasl_ntlm_new(const char *user, const char *domain, const char *password,
		  const char *host, struct ntlm_crypto *crypto, struct sasl_ntlm **out,
		  char *err, size_t errlen)
{
	struct sasl_ntlm *s = calloc(1, sizeof(*s));
	enum ntlm_err e;

	(void)host;                 /* NTLM names no target service */
	if (!s || !(s->password = strdup(password))) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(s->user, sizeof(s->user), "%s", user);
	snprintf(s->domain, sizeof(s->domain), "%s", domain);
	if ((e = ntlm_ctx_new(&s->ctx, crypto)) != NTLM_OK ||
	    (e = ntlm_negotiate(FLAGS, version, s->negotiate, &s->negotiate_len)) != NTLM_OK) {
		snprintf(err, errlen, "NTLM: %s", ntlm_strerror(e));
		sasl_ntlm_free(s);
		return -1;
	}
	*out = s;
	return 0;
}

void sasl_ntlm_free(struct sasl_ntlm *s)
{
	if (!s)
		return;
	wipe_password(s);
	ntlm_ctx_free(s->ctx);
	free(s->in);
	if (s->plain)
		explicit_bzero(s->plain, s->plain_len);
	free(s->plain);
	free(s->wire);
	free(s);
}

/* The AUTHENTICATE_MESSAGE for the directory's CHALLENGE (malloc'd). */
static int authenticate(struct sasl_ntlm *s, const uint8_t *chal, size_t n, uint8_t **msg,
			size_t *len, char *err, size_t errlen)
{
	struct ntlm_challenge c;
	struct ntlm_auth_opts o;
	enum ntlm_err e;

	if (ntlm_parse_challenge(chal, n, &c) != NTLM_OK) {
		snprintf(err, errlen, "the directory's NTLM CHALLENGE does not parse "
			 "([MS-NLMP] 2.2.1.2)");
		return -1;
	}
	if ((c.flags & NEEDED) != NEEDED) {
		snprintf(err, errlen, "the directory's CHALLENGE grants no sealing with "
			 "extended session security (flags 0x%08x)", (unsigned)c.flags);
		return -1;
	}
	memset(&o, 0, sizeof(o));
	o.user = s->user;
	/* the domain the directory names (its NetBIOS domain), as a
	 * Windows member answers; else the DNS domain */
	o.domain = c.nb_domain[0] ? c.nb_domain : s->domain;
	o.password = s->password;
	o.workstation = "";
	o.flags = (FLAGS & c.flags) | (c.flags & NTLM_NEGOTIATE_TARGET_INFO);
	memcpy(o.version, version, sizeof(version));
	o.negotiate = s->negotiate;
	o.negotiate_len = s->negotiate_len;
	e = ntlm_authenticate(s->ctx, chal, n, &o, msg, len);
	wipe_password(s);
	if (e != NTLM_OK) {
		snprintf(err, errlen, "NTLM could not answer the directory's CHALLENGE: %s",
			 ntlm_strerror(e));
		return -1;
	}
	return 0;
}

int sasl_ntlm_step(struct sasl_ntlm *s, const struct berval *in, struct berval *out,
		   char *err, size_t errlen)
{
	struct spnego_answer a;
	uint8_t *msg = NULL, mic[NTLM_SIG_LEN];
	size_t n = 0, len = 0, mtl;
	const uint8_t *mt = spnego_mech_types(&mtl);
	int rc = -1;

	if (s->round == 0) {
		if (spnego_init_token(s->negotiate, s->negotiate_len, s->out, sizeof(s->out),
				      &n) < 0) {
			snprintf(err, errlen, "the NEGOTIATE_MESSAGE does not fit");
			return -1;
		}
		s->round = 1;
		out->bv_val = (char *)s->out;
		out->bv_len = n;
		return 1;
	}
	if ((!in || !in->bv_len) && s->round == 2 && s->raw)
		return 0;               /* bare NTLMSSP: no last token */
	if (!in || !in->bv_len) {
		snprintf(err, errlen, s->round == 2 ? "the directory accepted the bind without "
			 "its mechListMIC: it did not prove the session key ([MS-SPNG] 3.2.5.1)"
			 : "the directory sent no NTLM CHALLENGE");
		return -1;
	}
	if (spnego_parse((const uint8_t *)in->bv_val, in->bv_len, &a) < 0) {
		snprintf(err, errlen, "the directory's SPNEGO answer does not parse (RFC 4178 4.2.2)");
		return -1;
	}
	if (a.state == SPNEGO_REJECT || !a.ntlm) {
		snprintf(err, errlen, "the directory rejected NTLM in SPNEGO");
		return -1;
	}
	if (s->round == 2) {
		/* accept-completed, and the directory's proof over the list
		 * ([MS-SPNG] 3.3.5.1): then both RC4 states start again */
		if (!s->raw && (a.state != SPNEGO_ACCEPT_COMPLETED || !a.mic)) {
			snprintf(err, errlen, "the directory's last SPNEGO answer is not an "
				 "accept-completed with its mechListMIC ([MS-SPNG] 3.2.5.1)");
			return -1;
		}
		if (a.mic && !s->raw) {
			if (a.mic_len != NTLM_SIG_LEN ||
			    ntlm_verify(s->ctx, s->recv_seq, mt, mtl, a.mic) != NTLM_OK) {
				snprintf(err, errlen, "the directory's mechListMIC does not verify: "
					 "it does not hold the session key");
				return -1;
			}
			s->recv_seq++;
			if (ntlm_reset(s->ctx, true) != NTLM_OK) {
				snprintf(err, errlen, "NTLM could not restart its receiving state");
				return -1;
			}
		}
		return 0;
	}
	if (!a.token) {
		snprintf(err, errlen, "the directory's SPNEGO answer has no NTLM CHALLENGE");
		return -1;
	}
	s->raw = a.raw;
	if (authenticate(s, a.token, a.token_len, &msg, &len, err, errlen) < 0)
		return -1;
	if (s->raw) {
		if (len <= sizeof(s->out)) {
			memcpy(s->out, msg, len);
			n = len;
			rc = 1;
		} else {
			snprintf(err, errlen, "the AUTHENTICATE_MESSAGE does not fit");
		}
	} else if (ntlm_sign(s->ctx, s->send_seq, mt, mtl, mic) != NTLM_OK ||
		   ntlm_reset(s->ctx, false) != NTLM_OK) {
		snprintf(err, errlen, "NTLM could not sign the mechanism list");
	} else if (spnego_resp_token(msg, len, mic, sizeof(mic), s->out, sizeof(s->out),
				     &n) < 0) {
		snprintf(err, errlen, "the AUTHENTICATE_MESSAGE does not fit");
	} else {
		s->send_seq++;
		rc = 1;
	}
	free(msg);
	if (rc == 1) {
		s->round = 2;
		out->bv_val = (char *)s->out;
		out->bv_len = n;
	}
	return rc;
}

const char *sasl_ntlm_protection(const struct sasl_ntlm *s)
{
	(void)s;
	return "signed and sealed";
}

/* ---- the security layer (RFC 4422 3.7), a libldap Sockbuf layer ---- */

/* The length a frame's header announces (4 bytes buffered). */
static size_t frame_len(const struct sasl_ntlm *s)
{
	return (size_t)s->in[0] << 24 | (size_t)s->in[1] << 16 | (size_t)s->in[2] << 8 | s->in[3];
}

/* A frame too short for its signature, or too long: not the directory's. */
static int bad_frame(const struct sasl_ntlm *s)
{
	return s->in_len >= 4 && (frame_len(s) < NTLM_SIG_LEN || frame_len(s) > FRAME_MAX);
}

/* Bytes of a whole, well-sized frame buffered: 4 + its length, or 0. */
static size_t whole(const struct sasl_ntlm *s)
{
	if (s->in_len < 4 || bad_frame(s))
		return 0;
	return s->in_len >= 4 + frame_len(s) ? 4 + frame_len(s) : 0;
}

/* Write what is left of the last frame. 0 when all of it went, -1. */
static int flush(Sockbuf_IO_Desc *d, struct sasl_ntlm *s)
{
	return layer_write_rest(d, s->wire, s->wire_len, &s->wire_off);
}

static int sb_ctrl(Sockbuf_IO_Desc *d, int opt, void *arg)
{
	struct sasl_ntlm *s = d->sbiod_pvt;

	if (opt == LBER_SB_OPT_DATA_READY && s && (s->plain_len > s->plain_off || whole(s)))
		return 1;
	if (opt == LAYER_OPT_FLUSH && s && s->wire_off < s->wire_len)
		return layer_flush_answer(d, flush(d, s), opt, arg);
	return LBER_SBIOD_CTRL_NEXT(d, opt, arg);
}

static ber_slen_t sb_read(Sockbuf_IO_Desc *d, void *buf, ber_len_t len)
{
	struct sasl_ntlm *s = d->sbiod_pvt;
	size_t n, frame;

	if (!s) {
		errno = EBADF;
		return -1;
	}
	if (s->wire_off < s->wire_len && flush(d, s) < 0 && !layer_later(errno))
		return -1;
	while (s->plain_len <= s->plain_off) {
		if (!(frame = whole(s))) {
			size_t want = s->in_len < 4 ? 4 - s->in_len : 0;
			ber_slen_t k;

			if (!want) {
				if (bad_frame(s)) {
					errno = EPROTO;
					return -1;
				}
				want = 4 + frame_len(s) - s->in_len;
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
		/* signature || sealed message: unsealed in place */
		n = frame - 4 - NTLM_SIG_LEN;
		if (ntlm_unseal(s->ctx, s->recv_seq, s->in + 4 + NTLM_SIG_LEN, n,
				s->in + 4 + NTLM_SIG_LEN, s->in + 4) != NTLM_OK) {
			errno = EPROTO;     /* a message the directory did not seal */
			return -1;
		}
		s->recv_seq++;
		if (s->plain_len < n || !s->plain) {
			uint8_t *p = realloc(s->plain, n ? n : 1);

			if (!p) {
				errno = ENOMEM;
				return -1;
			}
			s->plain = p;
		}
		memcpy(s->plain, s->in + 4 + NTLM_SIG_LEN, n);
		s->plain_len = n;
		s->plain_off = 0;
		memmove(s->in, s->in + frame, s->in_len - frame);
		s->in_len -= frame;
	}
	n = s->plain_len - s->plain_off;
	if (n > len)
		n = len;
	memcpy(buf, s->plain + s->plain_off, n);
	s->plain_off += n;
	return (ber_slen_t)n;
}

static ber_slen_t sb_write(Sockbuf_IO_Desc *d, void *buf, ber_len_t len)
{
	struct sasl_ntlm *s = d->sbiod_pvt;
	uint8_t *p;

	if (!s) {
		errno = EBADF;
		return -1;
	}
	if (flush(d, s) < 0)
		return -1;              /* EAGAIN: libldap calls again */
	if (len > FRAME_MAX - NTLM_SIG_LEN) {
		errno = EMSGSIZE;
		return -1;
	}
	if (!(p = realloc(s->wire, 4 + NTLM_SIG_LEN + len))) {
		errno = ENOMEM;
		return -1;
	}
	s->wire = p;
	p[0] = (uint8_t)((NTLM_SIG_LEN + len) >> 24);
	p[1] = (uint8_t)((NTLM_SIG_LEN + len) >> 16);
	p[2] = (uint8_t)((NTLM_SIG_LEN + len) >> 8);
	p[3] = (uint8_t)(NTLM_SIG_LEN + len);
	if (ntlm_seal(s->ctx, s->send_seq, buf, len, p + 4 + NTLM_SIG_LEN, p + 4) != NTLM_OK) {
		errno = EPROTO;
		return -1;
	}
	s->send_seq++;
	s->wire_len = 4 + NTLM_SIG_LEN + len;
	s->wire_off = 0;
	/* the message is ours now: what the socket does not take at once
	 * goes before the next write or read */
	if (flush(d, s) < 0 && !layer_later(errno))
		return -1;
	return (ber_slen_t)len;
}

static Sockbuf_IO layer = {
	.sbi_setup = layer_setup,
	.sbi_remove = layer_remove,
	.sbi_ctrl = sb_ctrl,
	.sbi_read = sb_read,
	.sbi_write = sb_write,
	.sbi_close = layer_close,
};

int sasl_ntlm_push(struct sasl_ntlm *s, Sockbuf *sb)
{
	return ber_sockbuf_add_io(sb, &layer, LBER_SBIOD_LEVEL_APPLICATION, s) < 0 ? -1 : 0;
}

int sasl_ntlm_install(struct sasl_ntlm *s, LDAP *ld)
{
	Sockbuf *sb = NULL;

	if (ldap_get_option(ld, LDAP_OPT_SOCKBUF, &sb) != LDAP_OPT_SUCCESS || !sb)
		return -1;
	return sasl_ntlm_push(s, sb);
}

int sasl_ntlm_layer(struct ntlm_ctx *ctx, struct sasl_ntlm **out)
{
	struct sasl_ntlm *s = calloc(1, sizeof(*s));

	if (!s)
		return -1;
	s->ctx = ctx;
	*out = s;
	return 0;
}
