/* NTLMv2 client, connectionless mode. See ntlm.h; section numbers are
 * [MS-NLMP] unless said otherwise. */
#include "ntlm/ntlm.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

const char *ntlm_strerror(enum ntlm_err e)
{
	switch (e) {
	case NTLM_OK: return "ok";
	case NTLM_ERR_NOMEM: return "out of memory";
	case NTLM_ERR_ARG: return "missing or unusable argument";
	case NTLM_ERR_MALFORMED: return "malformed NTLM message";
	case NTLM_ERR_UNSUPPORTED: return "NTLM variant not supported";
	case NTLM_ERR_CRYPTO: return "cryptography failed (is OpenSSL's legacy provider installed?)";
	case NTLM_ERR_STATE: return "NTLM context not authenticated";
	case NTLM_ERR_BAD_SIGNATURE: return "NTLM signature does not verify";
	}
	return "unknown NTLM error";
}

/* ---- crypto: a private library context with MD4 and RC4 (legacy) ---- */

struct ntlm_crypto {
	OSSL_LIB_CTX *lib;
	OSSL_PROVIDER *deflt, *legacy;
	EVP_MD *md4, *md5;
	EVP_CIPHER *rc4;
	EVP_MAC *hmac;
};

void ntlm_crypto_free(struct ntlm_crypto *c)
{
	if (!c)
		return;
	EVP_MD_free(c->md4);
	EVP_MD_free(c->md5);
	EVP_CIPHER_free(c->rc4);
	EVP_MAC_free(c->hmac);
	OSSL_PROVIDER_unload(c->legacy);
	OSSL_PROVIDER_unload(c->deflt);
	OSSL_LIB_CTX_free(c->lib);
	free(c);
}

enum ntlm_err ntlm_crypto_new(struct ntlm_crypto **out)
{
	struct ntlm_crypto *c = calloc(1, sizeof(*c));
	enum ntlm_err rc = NTLM_ERR_CRYPTO;

	if (!c)
		return NTLM_ERR_NOMEM;
	/* NTLM needs MD4 (NTOWF) and RC4 (key exchange, sealing), which
	 * OpenSSL 3 keeps in its legacy provider; loading it into our own
	 * library context leaves the process default untouched. */
	if (!(c->lib = OSSL_LIB_CTX_new()) ||
	    !(c->deflt = OSSL_PROVIDER_load(c->lib, "default")) ||
	    !(c->legacy = OSSL_PROVIDER_load(c->lib, "legacy")) ||
	    !(c->md4 = EVP_MD_fetch(c->lib, "MD4", NULL)) ||
	    !(c->md5 = EVP_MD_fetch(c->lib, "MD5", NULL)) ||
	    !(c->rc4 = EVP_CIPHER_fetch(c->lib, "RC4", NULL)) ||
	    !(c->hmac = EVP_MAC_fetch(c->lib, "HMAC", NULL)))
		goto out;
	*out = c;
	c = NULL;
	rc = NTLM_OK;
out:
	ntlm_crypto_free(c);
	return rc;
}

static int digest(const EVP_MD *md, const void *a, size_t alen, const void *b,
		  size_t blen, uint8_t out[16])
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	unsigned n = 0;
	int ok = m && EVP_DigestInit_ex2(m, md, NULL) &&
		 EVP_DigestUpdate(m, a, alen) && (!blen || EVP_DigestUpdate(m, b, blen)) &&
		 EVP_DigestFinal_ex(m, out, &n) && n == 16;

	EVP_MD_CTX_free(m);
	return ok ? 0 : -1;
}

/* HMAC_MD5(key, a || b || c), section 6. */
static int hmac_md5(const struct ntlm_crypto *c, const uint8_t *key, size_t klen,
		    const void *a, size_t alen, const void *b, size_t blen,
		    const void *d, size_t dlen, uint8_t out[16])
{
	EVP_MAC_CTX *m = EVP_MAC_CTX_new(c->hmac);
	OSSL_PARAM params[2];
	size_t n = 0;
	int ok;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"MD5", 0);
	params[1] = OSSL_PARAM_construct_end();
	ok = m && EVP_MAC_init(m, key, klen, params) &&
	     (!alen || EVP_MAC_update(m, a, alen)) && (!blen || EVP_MAC_update(m, b, blen)) &&
	     (!dlen || EVP_MAC_update(m, d, dlen)) &&
	     EVP_MAC_final(m, out, &n, 16) && n == 16;
	EVP_MAC_CTX_free(m);
	return ok ? 0 : -1;
}

/* A fresh RC4 key state (the handle of section 3.1.5.1). */
static EVP_CIPHER_CTX *rc4_new(const struct ntlm_crypto *c, const uint8_t *key, size_t klen)
{
	EVP_CIPHER_CTX *h = EVP_CIPHER_CTX_new();

	if (!h || !EVP_EncryptInit_ex2(h, c->rc4, NULL, NULL, NULL) ||
	    !EVP_CIPHER_CTX_set_key_length(h, (int)klen) ||
	    !EVP_EncryptInit_ex2(h, NULL, key, NULL, NULL)) {
		EVP_CIPHER_CTX_free(h);
		return NULL;
	}
	return h;
}

static int rc4(EVP_CIPHER_CTX *h, const void *in, size_t len, void *out)
{
	int n = 0;

	if (len > (size_t)INT32_MAX)
		return -1;
	return len == 0 || (EVP_EncryptUpdate(h, out, &n, in, (int)len) && (size_t)n == len)
	       ? 0 : -1;
}

/* RC4K(key, message): a one-time RC4 instance (section 3.1.5.1). */
static int rc4k(const struct ntlm_crypto *c, const uint8_t *key, size_t klen,
		const void *in, size_t len, void *out)
{
	EVP_CIPHER_CTX *h = rc4_new(c, key, klen);
	int r = h ? rc4(h, in, len, out) : -1;

	EVP_CIPHER_CTX_free(h);
	return r;
}

/* CRC32 of section 6 (the IEEE 802.3 polynomial, reflected). */
static uint32_t crc32(const uint8_t *p, size_t len)
{
	uint32_t crc = 0xffffffffu;
	size_t i;
	int k;

	for (i = 0; i < len; i++) {
		crc ^= p[i];
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

/* ---- little-endian and bounded access to a message ---- */

/* lib/core/rd.h reads text forwards; NTLM messages are addressed by
 * offset and length fields, so they are read through these checked
 * accessors instead: nothing past len is ever touched. */
static bool get16(const uint8_t *p, size_t len, size_t off, uint16_t *v)
{
	if (off > len || len - off < 2)
		return false;
	*v = (uint16_t)(p[off] | p[off + 1] << 8);
	return true;
}

static bool get32(const uint8_t *p, size_t len, size_t off, uint32_t *v)
{
	if (off > len || len - off < 4)
		return false;
	*v = (uint32_t)p[off] | (uint32_t)p[off + 1] << 8 | (uint32_t)p[off + 2] << 16 |
	     (uint32_t)p[off + 3] << 24;
	return true;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

/* A Len/MaxLen/BufferOffset field (2.2.1.2): the span it names must lie
 * inside the message. */
static bool get_field(const uint8_t *p, size_t len, size_t at, const uint8_t **f, size_t *flen)
{
	uint16_t l, maxl;
	uint32_t off;

	if (!get16(p, len, at, &l) || !get16(p, len, at + 2, &maxl) ||
	    !get32(p, len, at + 4, &off))
		return false;
	if (l == 0) {
		/* an empty field's offset does not matter (an old server's
		 * 32-byte CHALLENGE points past its end) */
		*f = p;
		*flen = 0;
		return true;
	}
	if (off > len || len - off < l)
		return false;
	*f = p + off;
	*flen = l;
	return true;
}

/* UTF-16LE (or ASCII) to UTF-8 for display; NUL becomes '?'. False when
 * the result does not fit or the length is odd. */
static bool to_utf8(const uint8_t *s, size_t len, bool unicode, char *out, size_t cap)
{
	size_t i = 0, o = 0;

	while (i < len) {
		uint32_t cp;
		uint8_t b[4];
		size_t n;

		if (!unicode) {
			cp = s[i] < 0x80 ? s[i] : 0xfffd;
			i++;
		} else {
			uint16_t u;

			if (len - i < 2)
				return false;
			u = (uint16_t)(s[i] | s[i + 1] << 8);
			i += 2;
			cp = u;
			if (u >= 0xd800 && u < 0xdc00 && len - i >= 2) {
				uint16_t lo = (uint16_t)(s[i] | s[i + 1] << 8);

				if (lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000u + ((uint32_t)(u - 0xd800) << 10) + (lo - 0xdc00u);
					i += 2;
				}
			}
			if (cp >= 0xd800 && cp < 0xe000)
				cp = 0xfffd;
		}
		if (cp == 0)
			cp = '?';
		if (cp < 0x80) {
			b[0] = (uint8_t)cp;
			n = 1;
		} else if (cp < 0x800) {
			b[0] = (uint8_t)(0xc0 | cp >> 6);
			b[1] = (uint8_t)(0x80 | (cp & 0x3f));
			n = 2;
		} else if (cp < 0x10000) {
			b[0] = (uint8_t)(0xe0 | cp >> 12);
			b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
			b[2] = (uint8_t)(0x80 | (cp & 0x3f));
			n = 3;
		} else {
			b[0] = (uint8_t)(0xf0 | cp >> 18);
			b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
			b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
			b[3] = (uint8_t)(0x80 | (cp & 0x3f));
			n = 4;
		}
		if (cap - o <= n)
			return false;
		memcpy(out + o, b, n);
		o += n;
	}
	out[o] = '\0';
	return true;
}

/* UTF-8 to UTF-16LE (unicode) or ASCII; out has room for 2 * strlen(s)
 * bytes. -1 on invalid UTF-8 (or non-ASCII without unicode). */
static int from_utf8(const char *s, bool unicode, bool upper, uint8_t *out, size_t *outlen)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t o = 0;

	while (*p) {
		uint32_t cp;
		int extra, k;

		if (*p < 0x80) {
			cp = *p;
			extra = 0;
		} else if ((*p & 0xe0) == 0xc0) {
			cp = *p & 0x1fu;
			extra = 1;
		} else if ((*p & 0xf0) == 0xe0) {
			cp = *p & 0x0fu;
			extra = 2;
		} else if ((*p & 0xf8) == 0xf0) {
			cp = *p & 0x07u;
			extra = 3;
		} else {
			return -1;
		}
		p++;
		for (k = 0; k < extra; k++, p++) {
			if ((*p & 0xc0) != 0x80)
				return -1;
			cp = cp << 6 | (*p & 0x3fu);
		}
		if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) ||
		    (extra == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp < 0xe000))
			return -1;
		/* Uppercase() of 3.3.2, ASCII letters only (see ntlm.h) */
		if (upper && cp >= 'a' && cp <= 'z')
			cp -= 32;
		if (!unicode) {
			if (cp >= 0x80)
				return -1;
			out[o++] = (uint8_t)cp;
		} else if (cp < 0x10000) {
			put16(out + o, (uint16_t)cp);
			o += 2;
		} else {
			cp -= 0x10000;
			put16(out + o, (uint16_t)(0xd800 + (cp >> 10)));
			put16(out + o + 2, (uint16_t)(0xdc00 + (cp & 0x3ff)));
			o += 4;
		}
	}
	*outlen = o;
	return 0;
}

/* ---- CHALLENGE_MESSAGE, 2.2.1.2 ---- */

static const uint8_t signature[8] = { 'N', 'T', 'L', 'M', 'S', 'S', 'P', 0 };

static bool av_name(const uint8_t *v, size_t vlen, char *dst)
{
	return to_utf8(v, vlen, true, dst, NTLM_NAME_MAX);
}

/* The AV_PAIR list, 2.2.2.1: pairs until MsvAvEOL, all inside the field. */
static bool parse_av(const uint8_t *ti, size_t tlen, struct ntlm_challenge *c, size_t *used)
{
	size_t off = 0;

	for (;;) {
		uint16_t id, l;
		const uint8_t *v;

		if (!get16(ti, tlen, off, &id) || !get16(ti, tlen, off + 2, &l))
			return false;
		off += 4;
		if (tlen - off < l)
			return false;
		v = ti + off;
		off += l;
		switch (id) {
		case NTLM_AV_EOL:
			if (l != 0)
				return false;
			*used = off;
			return true;
		case NTLM_AV_NB_COMPUTER:
			if (!av_name(v, l, c->nb_computer))
				return false;
			break;
		case NTLM_AV_NB_DOMAIN:
			if (!av_name(v, l, c->nb_domain))
				return false;
			break;
		case NTLM_AV_DNS_COMPUTER:
			if (!av_name(v, l, c->dns_computer))
				return false;
			break;
		case NTLM_AV_DNS_DOMAIN:
			if (!av_name(v, l, c->dns_domain))
				return false;
			break;
		case NTLM_AV_DNS_TREE:
			if (!av_name(v, l, c->dns_tree))
				return false;
			break;
		case NTLM_AV_FLAGS:
			if (l != 4)
				return false;
			c->has_av_flags = true;
			c->av_flags = (uint32_t)v[0] | (uint32_t)v[1] << 8 |
				      (uint32_t)v[2] << 16 | (uint32_t)v[3] << 24;
			break;
		case NTLM_AV_TIMESTAMP:
			if (l != 8)
				return false;
			c->has_timestamp = true;
			c->timestamp = le64(v);
			break;
		default:
			break;  /* others are carried, not interpreted */
		}
	}
}

enum ntlm_err ntlm_parse_challenge(const uint8_t *msg, size_t len, struct ntlm_challenge *out)
{
	struct ntlm_challenge c;
	const uint8_t *tn, *ti;
	size_t tnlen, tilen, used;
	uint32_t type;
	uint16_t tilen16;

	memset(&c, 0, sizeof(c));
	/* Signature, MessageType, TargetNameFields, NegotiateFlags,
	 * ServerChallenge: 32 bytes that every version sends. */
	if (!msg || len < 32 || memcmp(msg, signature, 8) != 0 ||
	    !get32(msg, len, 8, &type) || type != 2 || !get32(msg, len, 20, &c.flags))
		return NTLM_ERR_MALFORMED;
	memcpy(c.server_challenge, msg + 24, 8);
	if (!get_field(msg, len, 12, &tn, &tnlen) ||
	    !to_utf8(tn, tnlen, c.flags & NTLM_NEGOTIATE_UNICODE, c.target_name,
		     sizeof(c.target_name)))
		return NTLM_ERR_MALFORMED;
	/* Reserved (8) and TargetInfoFields (8) follow; an old server may
	 * stop before them. TargetInfo only counts with NEGOTIATE_TARGET_INFO. */
	if (len >= 48 && (c.flags & NTLM_NEGOTIATE_TARGET_INFO) &&
	    get16(msg, len, 40, &tilen16) && tilen16 > 0) {
		if (!get_field(msg, len, 40, &ti, &tilen) || !parse_av(ti, tilen, &c, &used))
			return NTLM_ERR_MALFORMED;
		c.target_info = ti;
		c.target_info_len = used;
	}
	if (len >= 56 && (c.flags & NTLM_NEGOTIATE_VERSION)) {
		c.has_version = true;
		memcpy(c.version, msg + 48, 8);
	}
	*out = c;
	return NTLM_OK;
}

/* ---- the security context ---- */

struct ntlm_ctx {
	struct ntlm_crypto *crypto, *own;
	bool ready;
	uint32_t flags;               /* the negotiated NegotiateFlags */
	uint8_t session_base_key[16];
	uint8_t exported[16];
	uint8_t client_sign[16], client_seal[16];
	uint8_t server_sign[16], server_seal[16];
	size_t seal_len;
	/* connection-oriented RC4 states (3.4.4: "RC4 continues ... without
	 * rekeying"); unused in datagram mode */
	EVP_CIPHER_CTX *send, *recv;
};

enum ntlm_err ntlm_ctx_new(struct ntlm_ctx **out, struct ntlm_crypto *crypto)
{
	struct ntlm_ctx *x;
	enum ntlm_err rc;

	if (!out)
		return NTLM_ERR_ARG;
	if (!(x = calloc(1, sizeof(*x))))
		return NTLM_ERR_NOMEM;
	if (!crypto) {
		if ((rc = ntlm_crypto_new(&x->own)) != NTLM_OK) {
			free(x);
			return rc;
		}
		crypto = x->own;
	}
	x->crypto = crypto;
	*out = x;
	return NTLM_OK;
}

void ntlm_ctx_free(struct ntlm_ctx *ctx)
{
	if (!ctx)
		return;
	EVP_CIPHER_CTX_free(ctx->send);
	EVP_CIPHER_CTX_free(ctx->recv);
	ntlm_crypto_free(ctx->own);
	OPENSSL_cleanse(ctx, sizeof(*ctx));
	free(ctx);
}

uint64_t ntlm_filetime(int64_t unix_seconds)
{
	/* 11644473600 s between 1601-01-01 and 1970-01-01 */
	return (uint64_t)(unix_seconds + 11644473600LL) * 10000000u;
}

static uint64_t now_filetime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ntlm_filetime(ts.tv_sec) + (uint64_t)ts.tv_nsec / 100u;
}

enum ntlm_err ntlm_ntowfv2(struct ntlm_crypto *c, const char *password, const char *user,
			   const char *domain, uint8_t out[16])
{
	size_t plen = 0, ulen = 0, dlen = 0;
	uint8_t *pw = NULL, *ud = NULL, md4[16];
	enum ntlm_err rc = NTLM_ERR_ARG;

	if (!c || !password || !user || !domain)
		return NTLM_ERR_ARG;
	pw = malloc(2 * strlen(password) + 1);
	ud = malloc(2 * (strlen(user) + strlen(domain)) + 1);
	if (!pw || !ud) {
		rc = NTLM_ERR_NOMEM;
		goto out;
	}
	/* 3.3.2: HMAC_MD5(MD4(UNICODE(Passwd)), UNICODE(ConcatenationOf(
	 * Uppercase(User), UserDom))) */
	if (from_utf8(password, true, false, pw, &plen) < 0 ||
	    from_utf8(user, true, true, ud, &ulen) < 0 ||
	    from_utf8(domain, true, false, ud + ulen, &dlen) < 0)
		goto out;
	rc = NTLM_ERR_CRYPTO;
	if (digest(c->md4, pw, plen, NULL, 0, md4) < 0 ||
	    hmac_md5(c, md4, 16, ud, ulen + dlen, NULL, 0, NULL, 0, out) < 0)
		goto out;
	rc = NTLM_OK;
out:
	OPENSSL_cleanse(md4, sizeof(md4));
	if (pw)
		OPENSSL_cleanse(pw, 2 * strlen(password) + 1);
	free(pw);
	free(ud);
	return rc;
}

static const char cli_sign[] = "session key to client-to-server signing key magic constant";
static const char srv_sign[] = "session key to server-to-client signing key magic constant";
static const char cli_seal[] = "session key to client-to-server sealing key magic constant";
static const char srv_seal[] = "session key to server-to-client sealing key magic constant";

/* SIGNKEY and SEALKEY, 3.4.5.2 and 3.4.5.3 (the constants are hashed with
 * their terminating NUL). */
static int derive_keys(struct ntlm_ctx *x, uint8_t revision)
{
	const struct ntlm_crypto *c = x->crypto;
	const uint8_t *k = x->exported;
	uint32_t f = x->flags;

	if (f & NTLM_NEGOTIATE_EXTENDED_SESSIONSECURITY) {
		size_t n = (f & NTLM_NEGOTIATE_128) ? 16 : (f & NTLM_NEGOTIATE_56) ? 7 : 5;

		x->seal_len = 16;
		return digest(c->md5, k, 16, cli_sign, sizeof(cli_sign), x->client_sign) |
		       digest(c->md5, k, 16, srv_sign, sizeof(srv_sign), x->server_sign) |
		       digest(c->md5, k, n, cli_seal, sizeof(cli_seal), x->client_seal) |
		       digest(c->md5, k, n, srv_seal, sizeof(srv_seal), x->server_seal);
	}
	/* Without extended session security there is no signing key and one
	 * sealing key serves both directions. */
	if ((f & NTLM_NEGOTIATE_LM_KEY) ||
	    ((f & NTLM_NEGOTIATE_DATAGRAM) && revision >= 0x0f /* NTLMSSP_REVISION_W2K3 */)) {
		memcpy(x->client_seal, k, 8);
		if (f & NTLM_NEGOTIATE_56) {
			x->client_seal[7] = 0xa0;
		} else {
			x->client_seal[5] = 0xe5;
			x->client_seal[6] = 0x38;
			x->client_seal[7] = 0xb0;
		}
		x->seal_len = 8;
	} else {
		memcpy(x->client_seal, k, 16);
		x->seal_len = 16;
	}
	memcpy(x->server_seal, x->client_seal, sizeof(x->server_seal));
	return 0;
}

/* The target info the client returns in its NTLMv2 blob: the server's
 * AV pairs with, when a MIC is sent, MsvAvFlags bit 0x2 set (3.1.5.1.2,
 * 3.1.5.2.1). out has room for tlen + 8 bytes. */
static size_t client_av(const uint8_t *ti, size_t tlen, bool mic, uint8_t *out)
{
	size_t off = 0, o = 0;
	bool flags_done = false;

	while (ti && off + 4 <= tlen) {
		uint16_t id = (uint16_t)(ti[off] | ti[off + 1] << 8);
		uint16_t l = (uint16_t)(ti[off + 2] | ti[off + 3] << 8);

		if (id == NTLM_AV_EOL)
			break;
		memcpy(out + o, ti + off, 4u + l);
		if (id == NTLM_AV_FLAGS && l == 4 && mic) {
			out[o + 4] |= 0x02;
			flags_done = true;
		}
		o += 4u + l;
		off += 4u + l;
	}
	if (mic && !flags_done) {
		put16(out + o, NTLM_AV_FLAGS);
		put16(out + o + 2, 4);
		put32(out + o + 4, 0x02);
		o += 8;
	}
	put32(out + o, 0);  /* MsvAvEOL */
	return o + 4;
}

/* Append a payload field and fill its Len/MaxLen/BufferOffset. */
static void add_field(uint8_t *msg, size_t hdr_at, size_t *pos, const void *data, size_t len)
{
	put16(msg + hdr_at, (uint16_t)len);
	put16(msg + hdr_at + 2, (uint16_t)len);
	put32(msg + hdr_at + 4, (uint32_t)*pos);
	if (len)
		memcpy(msg + *pos, data, len);
	*pos += len;
}

enum ntlm_err ntlm_authenticate(struct ntlm_ctx *x, const uint8_t *challenge,
				size_t challenge_len, const struct ntlm_auth_opts *o,
				uint8_t **out, size_t *outlen)
{
	const struct ntlm_crypto *c;
	struct ntlm_challenge ch;
	uint8_t rk[16], cc[8], ntproof[16], lm[24], enc_key[16];
	uint8_t *blob = NULL, *msg = NULL, *user = NULL, *dom = NULL, *ws = NULL;
	size_t ulen = 0, dlen = 0, wlen = 0, blen, avlen, hdr, total, pos;
	uint64_t t;
	bool unicode, mic, key_exch;
	enum ntlm_err rc;
	const char *wsname;

	if (!x || !challenge || !o || !o->user || !o->domain || !o->password || !out || !outlen)
		return NTLM_ERR_ARG;
	if (x->ready)
		return NTLM_ERR_STATE;
	c = x->crypto;
	if ((rc = ntlm_parse_challenge(challenge, challenge_len, &ch)) != NTLM_OK)
		return rc;
	unicode = o->flags & NTLM_NEGOTIATE_UNICODE;
	if (o->flags & NTLM_NEGOTIATE_LM_KEY)
		return NTLM_ERR_UNSUPPORTED;   /* LM session keys: NTLMv1 only */
	wsname = o->workstation ? o->workstation : "";

	/* Time: the server's MsvAvTimestamp if any, else the clock
	 * (3.1.5.2.1). With the server's timestamp the client sends a MIC
	 * and an empty LMv2 response (3.1.5.1.2: Z(24)). */
	mic = ch.has_timestamp;
	t = ch.has_timestamp ? ch.timestamp : o->now ? *o->now : now_filetime();
	if (o->client_challenge)
		memcpy(cc, o->client_challenge, 8);
	else if (RAND_bytes_ex(c->lib, cc, 8, 0) != 1)
		return NTLM_ERR_CRYPTO;

	rc = NTLM_ERR_NOMEM;
	user = malloc(2 * strlen(o->user) + 1);
	dom = malloc(2 * strlen(o->domain) + 1);
	ws = malloc(2 * strlen(wsname) + 1);
	blob = malloc(28 + ch.target_info_len + 8 + 4);
	if (!user || !dom || !ws || !blob)
		goto out;
	rc = unicode ? NTLM_ERR_ARG : NTLM_ERR_UNSUPPORTED;
	if (from_utf8(o->user, unicode, false, user, &ulen) < 0 ||
	    from_utf8(o->domain, unicode, false, dom, &dlen) < 0 ||
	    from_utf8(wsname, unicode, false, ws, &wlen) < 0 ||
	    ulen > 0xffff || dlen > 0xffff || wlen > 0xffff)
		goto out;
	if ((rc = ntlm_ntowfv2((struct ntlm_crypto *)c, o->password, o->user, o->domain, rk)) != NTLM_OK)
		goto out;

	/* The NTLMv2_CLIENT_CHALLENGE (2.2.2.7): RespType 1, HiRespType 1,
	 * Z(6), TimeStamp, ChallengeFromClient, Z(4), AV pairs, Z(4)
	 * (3.3.2: temp). */
	memset(blob, 0, 28);
	blob[0] = 1;
	blob[1] = 1;
	put32(blob + 8, (uint32_t)t);
	put32(blob + 12, (uint32_t)(t >> 32));
	memcpy(blob + 16, cc, 8);
	avlen = client_av(ch.target_info, ch.target_info_len, mic, blob + 28);
	put32(blob + 28 + avlen, 0);
	blen = 28 + avlen + 4;

	rc = NTLM_ERR_CRYPTO;
	/* NTProofStr = HMAC_MD5(ResponseKeyNT, CHALLENGE.ServerChallenge ||
	 * temp); SessionBaseKey = HMAC_MD5(ResponseKeyNT, NTProofStr). */
	if (hmac_md5(c, rk, 16, ch.server_challenge, 8, blob, blen, NULL, 0, ntproof) < 0 ||
	    hmac_md5(c, rk, 16, ntproof, 16, NULL, 0, NULL, 0, x->session_base_key) < 0)
		goto out;
	/* LmChallengeResponse = HMAC_MD5(ResponseKeyLM, ServerChallenge ||
	 * ClientChallenge) || ClientChallenge; ResponseKeyLM = ResponseKeyNT
	 * for NTLMv2 (3.3.2). */
	if (mic) {
		memset(lm, 0, sizeof(lm));
	} else {
		if (hmac_md5(c, rk, 16, ch.server_challenge, 8, cc, 8, NULL, 0, lm) < 0)
			goto out;
		memcpy(lm + 16, cc, 8);
	}

	/* KXKEY is the SessionBaseKey for NTLMv2 (3.4.5.1). With KEY_EXCH and
	 * SIGN or SEAL the client picks a random ExportedSessionKey and sends
	 * it RC4-encrypted (3.1.5.1.2); else ExportedSessionKey = KXKEY. */
	x->flags = o->flags;
	key_exch = (o->flags & NTLM_NEGOTIATE_KEY_EXCH) &&
		   (o->flags & (NTLM_NEGOTIATE_SIGN | NTLM_NEGOTIATE_SEAL));
	if (key_exch) {
		if (o->exported_session_key)
			memcpy(x->exported, o->exported_session_key, 16);
		else if (RAND_bytes_ex(c->lib, x->exported, 16, 0) != 1)
			goto out;
		if (rc4k(c, x->session_base_key, 16, x->exported, 16, enc_key) < 0)
			goto out;
	} else {
		memcpy(x->exported, x->session_base_key, 16);
	}
	if (derive_keys(x, o->version[7]) != 0)
		goto out;

	/* AUTHENTICATE_MESSAGE (2.2.1.3): 64 bytes of fields, the 8-byte
	 * Version (zero without NEGOTIATE_VERSION), the MIC when sent; then
	 * the payload in the order Windows writes it (the OC 2007 R2
	 * capture): domain, user, workstation, LM, NT, session key. */
	hdr = 72 + (mic ? 16 : 0);
	total = hdr + dlen + ulen + wlen + 24 + 16 + blen + (key_exch ? 16 : 0);
	rc = NTLM_ERR_UNSUPPORTED;
	if (16 + blen > 0xffff)
		goto out;
	rc = NTLM_ERR_NOMEM;
	if (!(msg = calloc(1, total)))
		goto out;
	memcpy(msg, signature, 8);
	put32(msg + 8, 3);
	pos = hdr;
	add_field(msg, 28, &pos, dom, dlen);
	add_field(msg, 36, &pos, user, ulen);
	add_field(msg, 44, &pos, ws, wlen);
	add_field(msg, 12, &pos, lm, 24);
	put16(msg + 20, (uint16_t)(16 + blen));
	put16(msg + 22, (uint16_t)(16 + blen));
	put32(msg + 24, (uint32_t)pos);
	memcpy(msg + pos, ntproof, 16);
	memcpy(msg + pos + 16, blob, blen);
	pos += 16 + blen;
	add_field(msg, 52, &pos, enc_key, key_exch ? 16 : 0);
	put32(msg + 60, o->flags);
	if (o->flags & NTLM_NEGOTIATE_VERSION)
		memcpy(msg + 64, o->version, 8);
	if (mic) {
		/* HMAC_MD5(ExportedSessionKey, NEGOTIATE_MESSAGE ||
		 * CHALLENGE_MESSAGE || AUTHENTICATE_MESSAGE with a zero MIC);
		 * connectionless, there is no NEGOTIATE_MESSAGE (3.1.5.2.1;
		 * gss-ntlmssp checks it so) */
		rc = NTLM_ERR_CRYPTO;
		if (hmac_md5(c, x->exported, 16, o->negotiate, o->negotiate ? o->negotiate_len : 0,
			     challenge, challenge_len, msg, total, msg + 72) < 0)
			goto out;
	}

	/* Connection-oriented sealing state, keyed once (3.4). */
	rc = NTLM_ERR_CRYPTO;
	if (!(o->flags & NTLM_NEGOTIATE_DATAGRAM)) {
		if (!(x->send = rc4_new(c, x->client_seal, x->seal_len)))
			goto out;
		if ((o->flags & NTLM_NEGOTIATE_EXTENDED_SESSIONSECURITY) &&
		    !(x->recv = rc4_new(c, x->server_seal, x->seal_len)))
			goto out;
	}
	x->ready = true;
	*out = msg;
	*outlen = total;
	msg = NULL;
	rc = NTLM_OK;
out:
	if (rc != NTLM_OK) {
		EVP_CIPHER_CTX_free(x->send);
		EVP_CIPHER_CTX_free(x->recv);
		x->send = x->recv = NULL;
		OPENSSL_cleanse(x->session_base_key, sizeof(x->session_base_key));
		OPENSSL_cleanse(x->exported, sizeof(x->exported));
	}
	OPENSSL_cleanse(rk, sizeof(rk));
	OPENSSL_cleanse(enc_key, sizeof(enc_key));
	free(msg);
	free(user);
	free(dom);
	free(ws);
	free(blob);
	return rc;
}

/* MAC(Handle, SigningKey, SeqNum, Message), 3.4.4. h is the running
 * state (connection-oriented, or after SEAL), or NULL for a fresh per-
 * message state: with extended session security keyed with
 * MD5(SealingKey || SeqNum) in datagram mode (3.4), else with SealingKey
 * itself (verified against OCS 2007's own signature, tests). */
static int mac(const struct ntlm_ctx *x, bool client, EVP_CIPHER_CTX *h, uint32_t seq,
	       const void *data, size_t len, uint8_t sig[16])
{
	const struct ntlm_crypto *c = x->crypto;
	const uint8_t *sign = client ? x->client_sign : x->server_sign;
	const uint8_t *seal = client ? x->client_seal : x->server_seal;
	bool ess = x->flags & NTLM_NEGOTIATE_EXTENDED_SESSIONSECURITY;
	EVP_CIPHER_CTX *fresh = NULL;
	uint8_t seqb[4], k[16], sum[16], z[4] = { 0 }, pad[4];
	int r = -1;

	put32(seqb, seq);
	if (!h && (!ess || (x->flags & NTLM_NEGOTIATE_KEY_EXCH))) {
		if (ess && (x->flags & NTLM_NEGOTIATE_DATAGRAM)) {
			if (digest(c->md5, seal, x->seal_len, seqb, 4, k) < 0)
				goto out;
			fresh = rc4_new(c, k, 16);
		} else {
			fresh = rc4_new(c, seal, x->seal_len);
		}
		if (!(h = fresh))
			goto out;
	}
	put32(sig, 1);          /* Version */
	if (ess) {
		/* 3.4.4.2: HMAC_MD5(SigningKey, SeqNum || Message)[0..7],
		 * RC4-encrypted when KEY_EXCH; then SeqNum. */
		if (hmac_md5(c, sign, 16, seqb, 4, data, len, NULL, 0, sum) < 0)
			goto out;
		if ((x->flags & NTLM_NEGOTIATE_KEY_EXCH) && rc4(h, sum, 8, sum) < 0)
			goto out;
		memcpy(sig + 4, sum, 8);
		memcpy(sig + 12, seqb, 4);
	} else {
		/* 3.4.4.1: CRC32, RC4 of RandomPad, Checksum and a zero SeqNum,
		 * SeqNum XOR seq, RandomPad then set to 0. */
		put32(sum, crc32(data, len));
		if (rc4(h, z, 4, pad) < 0 || rc4(h, sum, 4, sig + 8) < 0 ||
		    rc4(h, z, 4, sig + 12) < 0)
			goto out;
		put32(sig + 4, 0);
		sig[12] ^= seqb[0];
		sig[13] ^= seqb[1];
		sig[14] ^= seqb[2];
		sig[15] ^= seqb[3];
	}
	r = 0;
out:
	EVP_CIPHER_CTX_free(fresh);
	OPENSSL_cleanse(k, sizeof(k));
	return r;
}

enum ntlm_err ntlm_sign(struct ntlm_ctx *x, uint32_t seq, const void *data, size_t len,
			uint8_t out[NTLM_SIG_LEN])
{
	uint8_t sig[NTLM_SIG_LEN];

	if (!x || (!data && len) || !out)
		return NTLM_ERR_ARG;
	if (!x->ready)
		return NTLM_ERR_STATE;
	if (mac(x, true, x->send, seq, data, len, sig) < 0)
		return NTLM_ERR_CRYPTO;
	memcpy(out, sig, sizeof(sig));
	return NTLM_OK;
}

enum ntlm_err ntlm_verify(struct ntlm_ctx *x, uint32_t seq, const void *data, size_t len,
			  const uint8_t sig[NTLM_SIG_LEN])
{
	uint8_t want[NTLM_SIG_LEN];
	bool ess;

	if (!x || (!data && len) || !sig)
		return NTLM_ERR_ARG;
	if (!x->ready)
		return NTLM_ERR_STATE;
	ess = x->flags & NTLM_NEGOTIATE_EXTENDED_SESSIONSECURITY;
	/* without extended session security one RC4 state serves both ways */
	if (mac(x, false, ess ? x->recv : x->send, seq, data, len, want) < 0)
		return NTLM_ERR_CRYPTO;
	return CRYPTO_memcmp(want, sig, NTLM_SIG_LEN) == 0 ? NTLM_OK : NTLM_ERR_BAD_SIGNATURE;
}

enum ntlm_err ntlm_negotiate(uint32_t flags, const uint8_t version[8], uint8_t *out,
			     size_t *outlen)
{
	size_t n = flags & NTLM_NEGOTIATE_VERSION ? 40 : 32;

	if (!out || !outlen || ((flags & NTLM_NEGOTIATE_VERSION) && !version))
		return NTLM_ERR_ARG;
	memset(out, 0, n);
	memcpy(out, "NTLMSSP", 8);
	put32(out + 8, 1);                  /* MessageType */
	put32(out + 12, flags);
	/* DomainNameFields, WorkstationFields: empty, offsets past the
	 * fixed part */
	put32(out + 20, (uint32_t)n);
	put32(out + 28, (uint32_t)n);
	if (flags & NTLM_NEGOTIATE_VERSION)
		memcpy(out + 32, version, 8);
	*outlen = n;
	return NTLM_OK;
}

/* Connection-oriented, with extended session security: the running
 * states of both directions. */
static bool running(const struct ntlm_ctx *x)
{
	return x->ready && !(x->flags & NTLM_NEGOTIATE_DATAGRAM) &&
	       (x->flags & NTLM_NEGOTIATE_EXTENDED_SESSIONSECURITY) && x->send && x->recv;
}

enum ntlm_err ntlm_unseal(struct ntlm_ctx *x, uint32_t seq, const void *in, size_t len,
			  void *out, const uint8_t sig[NTLM_SIG_LEN])
{
	uint8_t want[NTLM_SIG_LEN];

	if (!x || (!in && len) || (!out && len) || !sig)
		return NTLM_ERR_ARG;
	if (!x->ready)
		return NTLM_ERR_STATE;
	if (!running(x) || !(x->flags & NTLM_NEGOTIATE_SEAL))
		return NTLM_ERR_UNSUPPORTED;
	/* the server sealed: RC4(Handle, Message), then MAC over the
	 * plaintext with the same running state */
	if (rc4(x->recv, in, len, out) < 0 || mac(x, false, x->recv, seq, out, len, want) < 0)
		return NTLM_ERR_CRYPTO;
	if (CRYPTO_memcmp(want, sig, NTLM_SIG_LEN) != 0) {
		if (len)
			OPENSSL_cleanse(out, len);
		return NTLM_ERR_BAD_SIGNATURE;
	}
	return NTLM_OK;
}

enum ntlm_err ntlm_reset(struct ntlm_ctx *x, bool recv)
{
	EVP_CIPHER_CTX *h;

	if (!x)
		return NTLM_ERR_ARG;
	if (!x->ready)
		return NTLM_ERR_STATE;
	if (!running(x))
		return NTLM_ERR_UNSUPPORTED;
	if (!(h = rc4_new(x->crypto, recv ? x->server_seal : x->client_seal, x->seal_len)))
		return NTLM_ERR_CRYPTO;
	if (recv) {
		EVP_CIPHER_CTX_free(x->recv);
		x->recv = h;
	} else {
		EVP_CIPHER_CTX_free(x->send);
		x->send = h;
	}
	return NTLM_OK;
}

enum ntlm_err ntlm_seal(struct ntlm_ctx *x, uint32_t seq, const void *in, size_t len,
			void *out, uint8_t sig[NTLM_SIG_LEN])
{
	EVP_CIPHER_CTX *h = NULL;
	uint8_t k[16], seqb[4], *plain = NULL;
	enum ntlm_err rc = NTLM_ERR_CRYPTO;

	if (!x || (!in && len) || (!out && len) || !sig)
		return NTLM_ERR_ARG;
	if (!x->ready)
		return NTLM_ERR_STATE;
	/* 3.4.3: sealing needs SEAL, and in datagram mode extended session
	 * security */
	if (!(x->flags & NTLM_NEGOTIATE_SEAL) ||
	    ((x->flags & NTLM_NEGOTIATE_DATAGRAM) &&
	     !(x->flags & NTLM_NEGOTIATE_EXTENDED_SESSIONSECURITY)))
		return NTLM_ERR_UNSUPPORTED;
	/* MAC() signs the plaintext, so keep it when sealing in place */
	if (len && !(plain = malloc(len)))
		return NTLM_ERR_NOMEM;
	if (len)
		memcpy(plain, in, len);
	if (x->flags & NTLM_NEGOTIATE_DATAGRAM) {
		put32(seqb, seq);
		if (digest(x->crypto->md5, x->client_seal, x->seal_len, seqb, 4, k) < 0 ||
		    !(h = rc4_new(x->crypto, k, 16)))
			goto out;
	}
	/* SEAL: RC4(Handle, Message), then MAC with the same running state */
	if (rc4(h ? h : x->send, plain, len, out) < 0 ||
	    mac(x, true, h ? h : x->send, seq, plain, len, sig) < 0)
		goto out;
	rc = NTLM_OK;
out:
	EVP_CIPHER_CTX_free(h);
	OPENSSL_cleanse(k, sizeof(k));
	if (plain)
		OPENSSL_cleanse(plain, len);
	free(plain);
	return rc;
}

enum ntlm_err ntlm_export_keys(const struct ntlm_ctx *x, struct ntlm_keys *out)
{
	if (!x || !out)
		return NTLM_ERR_ARG;
	if (!x->ready)
		return NTLM_ERR_STATE;
	memcpy(out->session_base_key, x->session_base_key, 16);
	memcpy(out->exported_session_key, x->exported, 16);
	memcpy(out->client_sign, x->client_sign, 16);
	memcpy(out->client_seal, x->client_seal, 16);
	memcpy(out->server_sign, x->server_sign, 16);
	memcpy(out->server_seal, x->server_seal, 16);
	out->seal_len = x->seal_len;
	return NTLM_OK;
}
