/* SPNEGO tokens for one mechanism. See spnego.h. DER (X.690 8.1): a tag
 * byte, a length (short form, or 0x81/0x82/0x83/0x84 and that many bytes),
 * the contents. */
#include <string.h>

#include "ldap/spnego.h"

/* 1.3.6.1.5.5.2 */
static const uint8_t spnego_oid[] = { 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02 };
/* SEQUENCE { 1.3.6.1.4.1.311.2.2.10 } */
static const uint8_t mech_types[] = {
	0x30, 0x0c, 0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a,
};
#define NTLM_OID (mech_types + 2)
#define NTLM_OID_LEN 12u
/* SEQUENCE { 1.2.840.113554.1.2.2 } (Kerberos V5, RFC 4121) */
static const uint8_t krb5_types[] = {
	0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02,
};
#define KRB5_OID (krb5_types + 2)
#define KRB5_OID_LEN 11u

const uint8_t *spnego_mech_types(size_t *len)
{
	*len = sizeof(mech_types);
	return mech_types;
}

const uint8_t *spnego_mech_types_krb5(size_t *len)
{
	*len = sizeof(krb5_types);
	return krb5_types;
}

/* ---- building: inside out, from the end of the buffer ---- */

struct out {
	uint8_t *p;
	size_t cap, at;             /* bytes are written at p[at..cap) */
	int full;
};

static void put(struct out *o, const void *b, size_t n)
{
	if (o->full || n > o->at) {
		o->full = 1;
		return;
	}
	o->at -= n;
	memcpy(o->p + o->at, b, n);
}

/* Prefix tag and the length of everything written since mark. */
static void wrap(struct out *o, uint8_t tag, size_t mark)
{
	size_t n = mark - o->at;
	uint8_t h[4];
	size_t k;

	if (o->full)
		return;
	if (n < 0x80) {
		h[0] = tag;
		h[1] = (uint8_t)n;
		k = 2;
	} else if (n < 0x100) {
		h[0] = tag;
		h[1] = 0x81;
		h[2] = (uint8_t)n;
		k = 3;
	} else if (n < 0x10000) {
		h[0] = tag;
		h[1] = 0x82;
		h[2] = (uint8_t)(n >> 8);
		h[3] = (uint8_t)n;
		k = 4;
	} else {
		o->full = 1;
		return;
	}
	put(o, h, k);
}

static void octets(struct out *o, uint8_t ctx_tag, const uint8_t *b, size_t n)
{
	size_t mark = o->at;

	put(o, b, n);
	wrap(o, 0x04, mark);
	wrap(o, ctx_tag, mark);
}

static int done(struct out *o, uint8_t *out, size_t *outlen)
{
	if (o->full)
		return -1;
	memmove(out, o->p + o->at, o->cap - o->at);
	*outlen = o->cap - o->at;
	return 0;
}

static int init_token(const uint8_t *types, size_t types_len, const uint8_t *mech_token,
		      size_t n, uint8_t *out, size_t cap, size_t *outlen)
{
	struct out o = { out, cap, cap, 0 };
	size_t end = cap, seq;

	/* NegTokenInit ::= SEQUENCE { mechTypes [0], mechToken [2] } */
	octets(&o, 0xa2, mech_token, n);
	seq = o.at;
	put(&o, types, types_len);
	wrap(&o, 0xa0, seq);
	wrap(&o, 0x30, end);
	wrap(&o, 0xa0, end);                /* NegotiationToken: negTokenInit [0] */
	put(&o, spnego_oid, sizeof(spnego_oid));
	wrap(&o, 0x60, end);                /* [APPLICATION 0] InitialContextToken */
	return done(&o, out, outlen);
}

int spnego_init_token(const uint8_t *mech_token, size_t n, uint8_t *out, size_t cap,
		      size_t *outlen)
{
	return init_token(mech_types, sizeof(mech_types), mech_token, n, out, cap, outlen);
}

int spnego_init_token_krb5(const uint8_t *mech_token, size_t n, uint8_t *out, size_t cap,
			   size_t *outlen)
{
	return init_token(krb5_types, sizeof(krb5_types), mech_token, n, out, cap, outlen);
}

int spnego_resp_token(const uint8_t *token, size_t n, const uint8_t *mic, size_t mic_len,
		      uint8_t *out, size_t cap, size_t *outlen)
{
	struct out o = { out, cap, cap, 0 };
	size_t end = cap;

	/* NegTokenResp ::= SEQUENCE { responseToken [2], mechListMIC [3] } */
	if (mic)
		octets(&o, 0xa3, mic, mic_len);
	octets(&o, 0xa2, token, n);
	wrap(&o, 0x30, end);
	wrap(&o, 0xa1, end);                /* NegotiationToken: negTokenResp [1] */
	return done(&o, out, outlen);
}

/* ---- parsing ---- */

struct in {
	const uint8_t *p;
	size_t n;
};

/* The next element: its tag and contents; the rest stays in *in. */
static int take(struct in *in, uint8_t *tag, struct in *body)
{
	size_t len, k, i;

	if (in->n < 2)
		return -1;
	*tag = in->p[0];
	if (in->p[1] < 0x80) {
		len = in->p[1];
		k = 2;
	} else {
		size_t m = in->p[1] & 0x7f;

		if (m == 0 || m > 4 || in->n < 2 + m)
			return -1;              /* indefinite lengths are not DER */
		for (len = 0, i = 0; i < m; i++)
			len = len << 8 | in->p[2 + i];
		k = 2 + m;
	}
	if (len > in->n - k)
		return -1;
	body->p = in->p + k;
	body->n = len;
	in->p += k + len;
	in->n -= k + len;
	return 0;
}

/* [n] { OCTET STRING } */
static int octet_field(struct in *f, const uint8_t **p, size_t *n)
{
	struct in v;
	uint8_t tag;

	if (take(f, &tag, &v) < 0 || tag != 0x04 || f->n)
		return -1;
	*p = v.p;
	*n = v.n;
	return 0;
}

int spnego_parse(const uint8_t *in_, size_t n, struct spnego_answer *a)
{
	struct in in = { in_, n }, resp, seq, f, v;
	uint8_t tag;
	int last = -1;

	memset(a, 0, sizeof(*a));
	a->state = SPNEGO_STATE_NONE;
	a->ntlm = 1;
	if (n >= 8 && !memcmp(in_, "NTLMSSP", 8)) {
		a->raw = 1;
		a->token = in_;
		a->token_len = n;
		return 0;
	}
	if (take(&in, &tag, &resp) < 0 || tag != 0xa1 || in.n ||
	    take(&resp, &tag, &seq) < 0 || tag != 0x30 || resp.n)
		return -1;
	while (seq.n) {
		if (take(&seq, &tag, &f) < 0 || tag < 0xa0 || tag > 0xa3 || (int)(tag - 0xa0) <= last)
			return -1;              /* fields in order, each once */
		last = tag - 0xa0;
		switch (tag) {
		case 0xa0:                      /* negState ENUMERATED */
			if (take(&f, &tag, &v) < 0 || tag != 0x0a || v.n != 1 || f.n || v.p[0] > 3)
				return -1;
			a->state = (enum spnego_state)v.p[0];
			break;
		case 0xa1:                      /* supportedMech OID */
			if (take(&f, &tag, &v) < 0 || tag != 0x06 || f.n)
				return -1;
			a->ntlm = v.n == NTLM_OID_LEN - 2 && !memcmp(v.p, NTLM_OID + 2, v.n);
			a->krb5 = v.n == KRB5_OID_LEN - 2 && !memcmp(v.p, KRB5_OID + 2, v.n);
			a->has_mech = 1;
			break;
		case 0xa2:
			if (octet_field(&f, &a->token, &a->token_len) < 0)
				return -1;
			break;
		default:
			if (octet_field(&f, &a->mic, &a->mic_len) < 0)
				return -1;
			break;
		}
	}
	return 0;
}
