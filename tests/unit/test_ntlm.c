/* NTLM known answers: [MS-NLMP] 4.2.4 (NTLMv2) and the real Office
 * Communicator 2007 R2 <-> OCS 2007 R2 sign-in published with pidgin-sipe's
 * tests (tieto/sipe src/core/sip-sec-ntlm-tests.c: only the captured data
 * is used here, as facts). Values marked "derived" were computed from the
 * MS-NLMP formulas by ../shared/reference/sipae/ntlm-datagram-signature-
 * check.py, an independent implementation. Every comparison is of exact
 * bytes. And the LDAP security layer that seals with it (lib/ldap/sasl.c)
 * over a socket that takes only part of a frame. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/provider.h>

#include "ntlm/ntlm.h"
#include "ldap/layer.h"
#include "ldap/sasl.h"

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = strlen(h) / 2, i;

	assert_true(n <= cap);
	for (i = 0; i < n; i++) {
		unsigned v = 0;
		int k;

		for (k = 0; k < 2; k++) {
			char c = h[2 * i + k];

			v = v * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
		}
		out[i] = (uint8_t)v;
	}
	return n;
}

static void assert_hex(const uint8_t *got, size_t len, const char *want)
{
	uint8_t w[1024];

	assert_int_equal(unhex(want, w, sizeof(w)), len);
	assert_memory_equal(got, w, len);
}

static struct ntlm_crypto *crypto;

static int setup(void **st)
{
	(void)st;
	return ntlm_crypto_new(&crypto) == NTLM_OK ? 0 : -1;
}

static int teardown(void **st)
{
	(void)st;
	ntlm_crypto_free(crypto);
	return 0;
}

/* ---- [MS-NLMP] 4.2.4 NTLMv2 (User, Domain, Password; connection-oriented) ---- */

/* 4.2.4.3 CHALLENGE_MESSAGE: flags 0xe28a8233, ServerChallenge
 * 0123456789abcdef, TargetName "Server", AV pairs Domain/Server. */
static const char spec_challenge[] =
	"4e544c4d53535000020000000c000c003800000033828ae20123456789abcdef"
	"00000000000000002400240044000000060070170000000f5300650072007600"
	"6500720002000c0044006f006d00610069006e0001000c005300650072007600"
	"6500720000000000";
/* 4.2.4.3 AUTHENTICATE_MESSAGE (flags 0xe2888235, Version 5.1.2600/15,
 * workstation COMPUTER, time 0, client challenge aa..., RandomSessionKey
 * 55...). */
static const char spec_authenticate[] =
	"4e544c4d5353500003000000180018006c00000054005400840000000c000c00"
	"480000000800080054000000100010005c00000010001000d8000000358288e2"
	"0501280a0000000f44006f006d00610069006e00550073006500720043004f00"
	"4d005000550054004500520086c35097ac9cec102554764a57cccc19aaaaaaaa"
	"aaaaaaaa68cd0ab851e51c96aabc927bebef6a1c010100000000000000000000"
	"00000000aaaaaaaaaaaaaaaa0000000002000c0044006f006d00610069006e00"
	"01000c005300650072007600650072000000000000000000c5dad2544fc97990"
	"94ce1ce90bc9d03e";

static const uint8_t aa8[8] = { 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa };
static const uint8_t k55[16] = { 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55,
				 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55 };
/* "Plaintext" in UTF-16LE, 4.2.4.4 */
static const uint8_t plaintext[18] = { 'P', 0, 'l', 0, 'a', 0, 'i', 0, 'n', 0,
				       't', 0, 'e', 0, 'x', 0, 't', 0 };

static struct ntlm_ctx *spec_ctx(uint32_t flags, const uint8_t *esk, uint8_t **msg, size_t *len)
{
	static const uint64_t zero_time = 0;
	uint8_t ch[256];
	size_t chlen = unhex(spec_challenge, ch, sizeof(ch));
	struct ntlm_ctx *x = NULL;
	struct ntlm_auth_opts o;

	memset(&o, 0, sizeof(o));
	o.user = "User";
	o.domain = "Domain";
	o.password = "Password";
	o.workstation = "COMPUTER";
	o.flags = flags;
	unhex("0501280a0000000f", o.version, 8);
	o.client_challenge = aa8;
	o.exported_session_key = esk;
	o.now = &zero_time;
	assert_int_equal(ntlm_ctx_new(&x, crypto), NTLM_OK);
	assert_int_equal(ntlm_authenticate(x, ch, chlen, &o, msg, len), NTLM_OK);
	return x;
}

static void spec_ntowfv2(void **st)
{
	uint8_t k[16];

	(void)st;
	/* 4.2.4.1.1 NTOWFv2() = ResponseKeyNT */
	assert_int_equal(ntlm_ntowfv2(crypto, "Password", "User", "Domain", k), NTLM_OK);
	assert_hex(k, 16, "0c868a403bfd7a93a3001ef22ef02e3f");
	/* Uppercase(User): the user name's case does not matter */
	assert_int_equal(ntlm_ntowfv2(crypto, "Password", "user", "Domain", k), NTLM_OK);
	assert_hex(k, 16, "0c868a403bfd7a93a3001ef22ef02e3f");
	/* the domain's does (UserDom is not uppercased) */
	assert_int_equal(ntlm_ntowfv2(crypto, "Password", "User", "DOMAIN", k), NTLM_OK);
	assert_memory_not_equal(k, "\x0c\x86\x8a\x40", 4);
	assert_int_equal(ntlm_ntowfv2(crypto, "Password", "User", "\xff", k), NTLM_ERR_ARG);
}

static void spec_authenticate_message(void **st)
{
	uint8_t *msg = NULL;
	size_t len = 0;
	struct ntlm_keys k;
	struct ntlm_ctx *x = spec_ctx(0xe2888235u, k55, &msg, &len);

	(void)st;
	/* 4.2.4.2.1 LMv2 response, 4.2.4.2.2 NTProofStr, 4.2.4.2.3 the
	 * encrypted session key: all inside the whole message */
	assert_hex(msg + 108, 24, "86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa");
	assert_hex(msg + 132, 16, "68cd0ab851e51c96aabc927bebef6a1c");
	assert_hex(msg + 216, 16, "c5dad2544fc9799094ce1ce90bc9d03e");
	assert_hex(msg, len, spec_authenticate);
	assert_int_equal(ntlm_export_keys(x, &k), NTLM_OK);
	/* 4.2.4.1.2 session base key */
	assert_hex(k.session_base_key, 16, "8de40ccadbc14a82f15cb0ad0de95ca3");
	assert_memory_equal(k.exported_session_key, k55, 16);
	/* 4.2.4.4 SIGNKEY and SEALKEY (client to server) */
	assert_hex(k.client_sign, 16, "4788dc861b4782f35d43fd98fe1a2d39");
	assert_hex(k.client_seal, 16, "59f600973cc4960a25480a7c196e4c58");
	assert_int_equal(k.seal_len, 16);
	free(msg);
	ntlm_ctx_free(x);
}

static void spec_seal(void **st)
{
	uint8_t *msg = NULL, out[18], sig[16];
	size_t len = 0;
	struct ntlm_ctx *x = spec_ctx(0xe2888235u, k55, &msg, &len);

	(void)st;
	/* 4.2.4.4 GSS_WrapEx: SEAL("Plaintext"), SeqNum 0 */
	assert_int_equal(ntlm_seal(x, 0, plaintext, sizeof(plaintext), out, sig), NTLM_OK);
	assert_hex(out, 18, "54e50165bf1936dc996020c1811b0f06fb5f");
	assert_hex(sig, 16, "010000007fb38ec5c55d497600000000");
	/* and its intermediate checksum HMAC_MD5(SigningKey, SeqNum ||
	 * Message)[0..7] = 70352851f2564309, before RC4 */
	{
		uint8_t in[4 + 18] = { 0 }, h[16];
		unsigned n = 0;
		struct ntlm_keys k;

		assert_int_equal(ntlm_export_keys(x, &k), NTLM_OK);
		memcpy(in + 4, plaintext, 18);
		assert_non_null(HMAC(EVP_md5(), k.client_sign, 16, in, sizeof(in), h, &n));
		assert_hex(h, 8, "70352851f2564309");
	}
	free(msg);
	ntlm_ctx_free(x);
}

/* A server's SEAL, written here from [MS-NLMP] 3.4.3 with OpenSSL alone
 * (the server's sealing and signing keys), for ntlm_unseal() to read:
 * RC4 of the message, then HMAC_MD5(SigningKey, SeqNum || Message)[0..7]
 * under the same running RC4 state, then SeqNum. */
static void server_seal(EVP_CIPHER_CTX *rc4, const uint8_t sign[16], uint32_t seq,
			const uint8_t *m, size_t n, uint8_t *out, uint8_t sig[16])
{
	uint8_t in[64] = { 0 }, h[16];
	unsigned hl = 0;
	int k = 0;

	assert_true(n + 4 <= sizeof(in));
	in[0] = (uint8_t)seq;
	in[1] = (uint8_t)(seq >> 8);
	in[2] = (uint8_t)(seq >> 16);
	in[3] = (uint8_t)(seq >> 24);
	memcpy(in + 4, m, n);
	assert_int_equal(EVP_EncryptUpdate(rc4, out, &k, m, (int)n), 1);
	assert_non_null(HMAC(EVP_md5(), sign, 16, in, n + 4, h, &hl));
	assert_int_equal(EVP_EncryptUpdate(rc4, sig + 4, &k, h, 8), 1);
	sig[0] = 1;
	sig[1] = sig[2] = sig[3] = 0;
	memcpy(sig + 12, in, 4);
}

static EVP_CIPHER_CTX *rc4_keyed(const uint8_t key[16])
{
	static OSSL_LIB_CTX *lib;
	static EVP_CIPHER *rc4;
	EVP_CIPHER_CTX *h = EVP_CIPHER_CTX_new();

	if (!lib) {
		assert_non_null(lib = OSSL_LIB_CTX_new());
		assert_non_null(OSSL_PROVIDER_load(lib, "legacy"));
		assert_non_null(OSSL_PROVIDER_load(lib, "default"));
		assert_non_null(rc4 = EVP_CIPHER_fetch(lib, "RC4", NULL));
	}
	assert_non_null(h);
	assert_int_equal(EVP_EncryptInit_ex2(h, rc4, key, NULL, NULL), 1);
	return h;
}

static EVP_CIPHER_CTX *server_rc4(const struct ntlm_keys *k)
{
	return rc4_keyed(k->server_seal);
}

/* Connection-oriented: the server's sealed messages unsealed in turn, a
 * forged signature refused (and the output wiped), the receiving state
 * started again ([MS-SPNG] 3.3.5.1) */
static void unseal_and_reset(void **st)
{
	uint8_t *msg = NULL, sealed[18], sig[16], out[18];
	size_t len = 0;
	struct ntlm_ctx *x = spec_ctx(0xe2888235u, k55, &msg, &len);
	struct ntlm_keys k;
	EVP_CIPHER_CTX *h;
	uint32_t seq;

	(void)st;
	assert_int_equal(ntlm_export_keys(x, &k), NTLM_OK);
	h = server_rc4(&k);
	for (seq = 0; seq < 3; seq++) {
		server_seal(h, k.server_sign, seq, plaintext, sizeof(plaintext), sealed, sig);
		assert_int_equal(ntlm_unseal(x, seq, sealed, sizeof(sealed), out, sig), NTLM_OK);
		assert_memory_equal(out, plaintext, sizeof(plaintext));
	}
	/* a forged signature: refused, nothing of the plaintext left */
	server_seal(h, k.server_sign, 3, plaintext, sizeof(plaintext), sealed, sig);
	sig[5] ^= 1;
	assert_int_equal(ntlm_unseal(x, 3, sealed, sizeof(sealed), out, sig),
			 NTLM_ERR_BAD_SIGNATURE);
	{
		static const uint8_t zero[18];

		assert_memory_equal(out, zero, sizeof(zero));
	}
	/* both sides start their RC4 state again */
	EVP_CIPHER_CTX_free(h);
	h = server_rc4(&k);
	assert_int_equal(ntlm_reset(x, true), NTLM_OK);
	server_seal(h, k.server_sign, 7, plaintext, sizeof(plaintext), sealed, sig);
	assert_int_equal(ntlm_unseal(x, 7, sealed, sizeof(sealed), out, sig), NTLM_OK);
	assert_memory_equal(out, plaintext, sizeof(plaintext));
	/* the sending side too: SEAL of "Plaintext" at SeqNum 0 is again the
	 * 4.2.4.4 answer */
	assert_int_equal(ntlm_seal(x, 0, plaintext, sizeof(plaintext), out, sig), NTLM_OK);
	assert_int_equal(ntlm_reset(x, false), NTLM_OK);
	assert_int_equal(ntlm_seal(x, 0, plaintext, sizeof(plaintext), out, sig), NTLM_OK);
	assert_hex(out, 18, "54e50165bf1936dc996020c1811b0f06fb5f");
	assert_hex(sig, 16, "010000007fb38ec5c55d497600000000");
	EVP_CIPHER_CTX_free(h);
	free(msg);
	ntlm_ctx_free(x);
	/* connectionless contexts have no running state to unseal with */
	x = spec_ctx(0xe2888235u | NTLM_NEGOTIATE_DATAGRAM, k55, &msg, &len);
	assert_int_equal(ntlm_unseal(x, 0, sealed, sizeof(sealed), out, sig),
			 NTLM_ERR_UNSUPPORTED);
	assert_int_equal(ntlm_reset(x, true), NTLM_ERR_UNSUPPORTED);
	free(msg);
	ntlm_ctx_free(x);
}

/* Read what the peer end has now (non-blocking) onto got. */
static void take(int fd, uint8_t *got, size_t cap, size_t *len)
{
	ssize_t n;

	while (*len < cap && (n = read(fd, got + *len, cap - *len)) > 0)
		*len += (size_t)n;
}

/* The LDAP security layer (lib/ldap/sasl.c) takes a message whole even
 * when the socket takes only part of its frame; the rest goes out on
 * LAYER_OPT_FLUSH (what dir.c asks when the socket is writable), a second
 * message waits (EAGAIN, nothing sealed) until the first is out, and both
 * frames arrive whole and in sequence */
static void sealing_layer_partial_frame(void **st)
{
	enum { BIG = 200000 };
	uint8_t *msg = NULL, *got, *plain;
	size_t len = 0, have = 0, off, i, cap = 2 * BIG + 4096;
	struct ntlm_ctx *x = spec_ctx(0xe2888235u, k55, &msg, &len);
	struct ntlm_keys k;
	struct sasl_ntlm *s = NULL;
	struct berval *enc[2] = { NULL, NULL };
	EVP_CIPHER_CTX *h;
	Sockbuf *sb;
	int sv[2], small = 4096, left = 1;
	char *big = malloc(BIG);

	(void)st;
	assert_non_null(big);
	assert_non_null(got = malloc(cap));
	assert_int_equal(ntlm_export_keys(x, &k), NTLM_OK);
	assert_int_equal(sasl_ntlm_layer(x, &s), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
	assert_int_equal(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
	assert_non_null(sb = ber_sockbuf_alloc());
	assert_int_equal(ber_sockbuf_add_io(sb, &ber_sockbuf_io_tcp, LBER_SBIOD_LEVEL_PROVIDER,
					    &sv[0]), 0);
	assert_int_equal(ber_sockbuf_ctrl(sb, LBER_SB_OPT_SET_NONBLOCK, (void *)1), 1);
	assert_int_equal(sasl_ntlm_push(s, sb), 0);
	for (i = 0; i < 2; i++) {
		BerElement *ber = ber_alloc_t(LBER_USE_DER);

		memset(big, 'a' + (int)i, BIG);
		assert_non_null(ber);
		assert_true(ber_printf(ber, "{io}", (ber_int_t)(i + 1), big, (ber_len_t)BIG) >= 0);
		assert_int_equal(ber_flatten(ber, &enc[i]), 0);
		if (i == 0) {
			/* taken whole though the socket holds a fraction of it */
			assert_int_equal(ber_flush2(sb, ber, LBER_FLUSH_FREE_NEVER), 0);
			assert_int_equal(ber_sockbuf_ctrl(sb, LAYER_OPT_FLUSH, NULL), 1);
		} else {
			/* the first frame still waits: the second is refused for
			 * now, as libldap expects of a full socket */
			errno = 0;
			assert_int_equal(ber_flush2(sb, ber, LBER_FLUSH_FREE_NEVER), -1);
			assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
			for (off = 0; off < 10000 && left; off++) {
				take(sv[1], got, cap, &have);
				left = ber_sockbuf_ctrl(sb, LAYER_OPT_FLUSH, NULL);
				assert_true(left == 0 || left == 1);
			}
			assert_int_equal(left, 0);
			assert_int_equal(ber_flush2(sb, ber, LBER_FLUSH_FREE_NEVER), 0);
			for (off = 0, left = 1; off < 10000 && left; off++) {
				take(sv[1], got, cap, &have);
				left = ber_sockbuf_ctrl(sb, LAYER_OPT_FLUSH, NULL);
				assert_true(left == 0 || left == 1);
			}
			assert_int_equal(left, 0);
		}
		ber_free(ber, 1);
	}
	take(sv[1], got, cap, &have);
	/* two frames: length, signature, the sealed message, in one RC4 stream */
	h = rc4_keyed(k.client_seal);
	for (i = 0, off = 0; i < 2; i++) {
		size_t n = enc[i]->bv_len;
		int outl = 0;

		assert_true(have >= off + 4 + 16 + n);
		assert_int_equal((size_t)got[off] << 24 | (size_t)got[off + 1] << 16 |
				 (size_t)got[off + 2] << 8 | got[off + 3], 16 + n);
		assert_non_null(plain = malloc(n));
		assert_int_equal(EVP_EncryptUpdate(h, plain, &outl, got + off + 4 + 16, (int)n), 1);
		assert_memory_equal(plain, enc[i]->bv_val, n);
		/* the signature's sequence number (LE32): the frame's place; its
		 * checksum is [MS-NLMP] 4.2.4.4's, checked in spec_seal */
		assert_int_equal((uint32_t)got[off + 4 + 12] | (uint32_t)got[off + 4 + 13] << 8 |
				 (uint32_t)got[off + 4 + 14] << 16 | (uint32_t)got[off + 4 + 15] << 24,
				 i);
		free(plain);
		{
			uint8_t skip[8];    /* the checksum's RC4 bytes, in the same stream */

			assert_int_equal(EVP_EncryptUpdate(h, skip, &outl, got + off + 4 + 4, 8), 1);
		}
		off += 4 + 16 + n;
	}
	assert_int_equal(have, off);
	EVP_CIPHER_CTX_free(h);
	ber_bvfree(enc[0]);
	ber_bvfree(enc[1]);
	ber_sockbuf_free(sb);       /* closes sv[0] */
	close(sv[1]);
	sasl_ntlm_free(s);
	free(msg);
	free(got);
	free(big);
}

/* NEGOTIATE_MESSAGE, 2.2.1.1: with and without VERSION */
static void negotiate_message(void **st)
{
	static const uint8_t ver[8] = { 6, 1, 0xb1, 0x1d, 0, 0, 0, 15 };
	uint8_t out[NTLM_NEGOTIATE_MAX];
	size_t n = 0;

	(void)st;
	assert_int_equal(ntlm_negotiate(0xe2088235u, ver, out, &n), NTLM_OK);
	assert_int_equal(n, 40);
	assert_hex(out, n, "4e544c4d5353500001000000358208e2000000002800000000000000"
		   "280000000601b11d0000000f");
	assert_int_equal(ntlm_negotiate(0x60088235u & ~NTLM_NEGOTIATE_VERSION, NULL, out, &n),
			 NTLM_OK);
	assert_int_equal(n, 32);
	assert_hex(out, n, "4e544c4d5353500001000000358208600000000020000000000000002000"
		   "0000");
	assert_int_equal(ntlm_negotiate(NTLM_NEGOTIATE_VERSION, NULL, out, &n), NTLM_ERR_ARG);
}

static const char cli_sign_magic[] = "session key to client-to-server signing key magic constant";

static void spec_sign_without_key_exch(void **st)
{
	uint8_t *msg = NULL, sig[16], sk[16], h[16], in[4 + 18] = { 0 };
	unsigned n = 0;
	size_t len = 0;
	struct ntlm_keys k;
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	struct ntlm_ctx *x = spec_ctx(0xe2888235u & ~NTLM_NEGOTIATE_KEY_EXCH, NULL, &msg, &len);

	(void)st;
	/* Without KEY_EXCH: ExportedSessionKey = KXKEY = SessionBaseKey
	 * (3.4.5.1, 3.1.5.1.2), no EncryptedRandomSessionKey, and the
	 * checksum is HMAC_MD5(SigningKey, SeqNum || Message)[0..7] in clear
	 * (3.4.4.2) - recomputed here with OpenSSL's own MD5 and HMAC. */
	assert_int_equal(msg[52] | msg[53], 0);
	assert_int_equal(ntlm_export_keys(x, &k), NTLM_OK);
	assert_hex(k.exported_session_key, 16, "8de40ccadbc14a82f15cb0ad0de95ca3");
	assert_non_null(m);
	assert_true(EVP_DigestInit_ex(m, EVP_md5(), NULL) &&
		    EVP_DigestUpdate(m, k.exported_session_key, 16) &&
		    EVP_DigestUpdate(m, cli_sign_magic, sizeof(cli_sign_magic)) &&
		    EVP_DigestFinal_ex(m, sk, &n));
	EVP_MD_CTX_free(m);
	assert_memory_equal(k.client_sign, sk, 16);
	memcpy(in + 4, plaintext, 18);
	assert_non_null(HMAC(EVP_md5(), sk, 16, in, sizeof(in), h, &n));
	assert_int_equal(ntlm_sign(x, 0, plaintext, sizeof(plaintext), sig), NTLM_OK);
	assert_hex(sig, 4, "01000000");
	assert_memory_equal(sig + 4, h, 8);
	assert_hex(sig + 12, 4, "00000000");
	free(msg);
	ntlm_ctx_free(x);
}

/* ---- OC 2007 R2 <-> OCS 2007 R2, COSMO\User (datagram, version 4) ---- */

static const char oc_challenge[] =
	"4E544C4D53535000020000000000000038000000F38298E2DD1BAAF4E7E218D1"
	"000000000000000096009600380000000502CE0E0000000F02000A0043004F00"
	"53004D004F000100180043004F0053004D004F002D004F00430053002D005200"
	"32000400160063006F0073006D006F002E006C006F00630061006C0003003000"
	"63006F0073006D006F002D006F00630073002D00720032002E0063006F007300"
	"6D006F002E006C006F00630061006C000500160063006F0073006D006F002E00"
	"6C006F00630061006C0000000000";
static const char oc_authenticate[] =
	"4E544C4D53535000030000001800180072000000C600C6008A0000000A000A00"
	"480000000800080052000000180018005A000000100010005001000055829862"
	"0502CE0E0000000F43004F0053004D004F00550073006500720043004F005300"
	"4D004F002D004F00430053002D0052003200A1E92EFE4E078BF7C5C0049ACC61"
	"66C2D6AE875CB0FDAA418DC0C800AE76ECA606D2B9FBEBD04731010100000000"
	"000059519A1727B9CA01D6AE875CB0FDAA410000000002000A0043004F005300"
	"4D004F000100180043004F0053004D004F002D004F00430053002D0052003200"
	"0400160063006F0073006D006F002E006C006F00630061006C00030030006300"
	"6F0073006D006F002D006F00630073002D00720032002E0063006F0073006D00"
	"6F002E006C006F00630061006C000500160063006F0073006D006F002E006C00"
	"6F00630061006C00000000000000000031CB739E1CA80A498591E8AE797115E4";
/* [MS-SIPAE] version 4 signed strings of the REGISTER and its 200 OK */
static const char oc_request_sig[] =
	"<NTLM><13317733><1><SIP Communications Service><cosmo-ocs-r2.cosmo.local>"
	"<4037df9284354df39065195bd57a4b14><3><REGISTER><sip:user@cosmo.local>"
	"<3e49177a52><sip:user@cosmo.local><><><><>";
static const char oc_response_sig[] =
	"<NTLM><9616454F><1><SIP Communications Service><cosmo-ocs-r2.cosmo.local>"
	"<4037df9284354df39065195bd57a4b14><3><REGISTER><sip:user@cosmo.local>"
	"<3e49177a52><sip:user@cosmo.local><5E61CCD925D17E043D9A74835A88F664>"
	"<><><7200><200>";

static struct ntlm_ctx *oc_ctx(uint8_t **msg, size_t *len)
{
	uint8_t ch[512], cc[8], esk[16], t[8];
	size_t chlen = unhex(oc_challenge, ch, sizeof(ch));
	uint64_t now = 0;
	struct ntlm_ctx *x = NULL;
	struct ntlm_auth_opts o;
	int i;

	/* the capture's client challenge and time, and the session key the
	 * client chose: RC4(SessionBaseKey, EncryptedRandomSessionKey)
	 * (derived) */
	unhex("D6AE875CB0FDAA41", cc, 8);
	unhex("59519A1727B9CA01", t, 8);
	for (i = 7; i >= 0; i--)
		now = now << 8 | t[i];
	unhex("6742fbe37bb1946b49d86a525bd29a9b", esk, 16);
	memset(&o, 0, sizeof(o));
	o.user = "User";
	o.domain = "COSMO";
	o.password = "Pa$$word";
	o.workstation = "COSMO-OCS-R2";
	o.flags = NTLM_FLAGS_OC2007R2;
	unhex("0502CE0E0000000F", o.version, 8);
	o.client_challenge = cc;
	o.exported_session_key = esk;
	o.now = &now;
	assert_int_equal(ntlm_ctx_new(&x, crypto), NTLM_OK);
	assert_int_equal(ntlm_authenticate(x, ch, chlen, &o, msg, len), NTLM_OK);
	return x;
}

static void oc_parse_challenge(void **st)
{
	uint8_t ch[512];
	size_t n = unhex(oc_challenge, ch, sizeof(ch));
	struct ntlm_challenge c;

	(void)st;
	assert_int_equal(ntlm_parse_challenge(ch, n, &c), NTLM_OK);
	assert_int_equal(c.flags, 0xE29882F3u);
	assert_hex(c.server_challenge, 8, "DD1BAAF4E7E218D1");
	assert_string_equal(c.target_name, "");
	assert_string_equal(c.nb_domain, "COSMO");
	assert_string_equal(c.nb_computer, "COSMO-OCS-R2");
	assert_string_equal(c.dns_domain, "cosmo.local");
	assert_string_equal(c.dns_computer, "cosmo-ocs-r2.cosmo.local");
	assert_string_equal(c.dns_tree, "cosmo.local");
	assert_false(c.has_timestamp);
	assert_false(c.has_av_flags);
	assert_true(c.has_version);
	assert_hex(c.version, 8, "0502CE0E0000000F");
	assert_int_equal(c.target_info_len, 150);
	assert_ptr_equal(c.target_info, ch + 56);
}

static void oc_authenticate_message(void **st)
{
	uint8_t *msg = NULL, k[16];
	size_t len = 0;
	struct ntlm_keys keys;
	struct ntlm_ctx *x = oc_ctx(&msg, &len);

	(void)st;
	assert_int_equal(ntlm_ntowfv2(crypto, "Pa$$word", "User", "COSMO", k), NTLM_OK);
	assert_hex(k, 16, "164b086e00d2f393529fa3a98209f99e");           /* derived */
	/* the captured AUTHENTICATE_MESSAGE, byte for byte */
	assert_int_equal(len, 352);
	assert_hex(msg, len, oc_authenticate);
	assert_int_equal(ntlm_export_keys(x, &keys), NTLM_OK);
	assert_hex(keys.session_base_key, 16, "02959b1d938e14ccc8412639311cdd49"); /* derived */
	assert_hex(keys.client_sign, 16, "ea5e87c195ae65338f7c023e7600690d");      /* derived */
	assert_hex(keys.client_seal, 16, "83013a189002d3abad49c4c8f605ecc8");      /* derived */
	assert_hex(keys.server_sign, 16, "0151fe94dba8c83f3c6a6e5444ae54b4");      /* derived */
	assert_hex(keys.server_seal, 16, "2a2e34e8d420c039e8f31cb9e8e0cd88");      /* derived */
	free(msg);
	ntlm_ctx_free(x);
}

static void oc_signatures(void **st)
{
	uint8_t *msg = NULL, sig[16], rsp[16];
	size_t len = 0;
	struct ntlm_ctx *x = oc_ctx(&msg, &len);

	(void)st;
	/* the client's response= of the REGISTER, sequence number 100 */
	assert_int_equal(ntlm_sign(x, NTLM_SIPAE_SEQ, oc_request_sig, strlen(oc_request_sig), sig),
			 NTLM_OK);
	assert_hex(sig, 16, "0100000029618e9651b65a7764000000");
	/* datagram mode re-keys per message: the same again */
	assert_int_equal(ntlm_sign(x, NTLM_SIPAE_SEQ, oc_request_sig, strlen(oc_request_sig), sig),
			 NTLM_OK);
	assert_hex(sig, 16, "0100000029618e9651b65a7764000000");
	/* the server's rspauth= of the 200 OK verifies ... */
	unhex("01000000E615438A917661BE64000000", rsp, 16);
	assert_int_equal(ntlm_verify(x, NTLM_SIPAE_SEQ, oc_response_sig, strlen(oc_response_sig),
				     rsp), NTLM_OK);
	/* ... and not with another sequence number, message or signature */
	assert_int_equal(ntlm_verify(x, 0, oc_response_sig, strlen(oc_response_sig), rsp),
			 NTLM_ERR_BAD_SIGNATURE);
	assert_int_equal(ntlm_verify(x, NTLM_SIPAE_SEQ, oc_request_sig, strlen(oc_request_sig),
				     rsp), NTLM_ERR_BAD_SIGNATURE);
	rsp[5] ^= 1;
	assert_int_equal(ntlm_verify(x, NTLM_SIPAE_SEQ, oc_response_sig, strlen(oc_response_sig),
				     rsp), NTLM_ERR_BAD_SIGNATURE);
	/* our own client signature is not a valid server signature */
	assert_int_equal(ntlm_verify(x, NTLM_SIPAE_SEQ, oc_request_sig, strlen(oc_request_sig),
				     sig), NTLM_ERR_BAD_SIGNATURE);
	free(msg);
	ntlm_ctx_free(x);
}

/* Signature without extended session security ([MS-NLMP] 3.4.4.1):
 * OCS 2007's own signature of a version 2 200 OK, as recorded by
 * pidgin-sipe (ExportedSessionKey 5f029153..., SeqNum 100). */
static void sipe_v2_signature_without_ess(void **st)
{
	static const char str[] =
		"<NTLM><0878F41B><1><SIP Communications Service>"
		"<ocs1.ocs.provo.novell.com><8592g5DCBa1694i5887m0D0Bt2247b3F38xAE9Fx>"
		"<3><REGISTER><sip:gabriel@ocs.provo.novell.com><2947328781>"
		"<B816D65C2300A32CFA6D371F2AF537FD><900><200>";
	uint8_t ch[256], esk[16], *msg = NULL, sig[16], want[16];
	size_t chlen = unhex(spec_challenge, ch, sizeof(ch)), len;
	struct ntlm_ctx *x = NULL;
	struct ntlm_auth_opts o;
	uint64_t t = 0;

	(void)st;
	unhex("5F029153BC025058969548615E7099BA", esk, 16);
	memset(&o, 0, sizeof(o));
	o.user = "gabriel";
	o.domain = "OCS";
	o.password = "x";
	o.flags = NTLM_NEGOTIATE_UNICODE | NTLM_NEGOTIATE_SIGN | NTLM_NEGOTIATE_NTLM |
		  NTLM_NEGOTIATE_KEY_EXCH | NTLM_NEGOTIATE_128;
	o.client_challenge = aa8;
	o.exported_session_key = esk;
	o.now = &t;
	assert_int_equal(ntlm_ctx_new(&x, crypto), NTLM_OK);
	assert_int_equal(ntlm_authenticate(x, ch, chlen, &o, &msg, &len), NTLM_OK);
	unhex("0100000000000000BF2E52667DDF6DED", want, 16);
	/* one RC4 state serves both directions without ESS: verify first */
	assert_int_equal(ntlm_verify(x, NTLM_SIPAE_SEQ, str, strlen(str), want), NTLM_OK);
	free(msg);
	ntlm_ctx_free(x);

	/* in datagram mode the state is fresh for each message: sign twice */
	o.flags |= NTLM_NEGOTIATE_DATAGRAM;
	assert_int_equal(ntlm_ctx_new(&x, crypto), NTLM_OK);
	assert_int_equal(ntlm_authenticate(x, ch, chlen, &o, &msg, &len), NTLM_OK);
	assert_int_equal(ntlm_sign(x, NTLM_SIPAE_SEQ, str, strlen(str), sig), NTLM_OK);
	assert_memory_equal(sig, want, 16);
	assert_int_equal(ntlm_sign(x, NTLM_SIPAE_SEQ, str, strlen(str), sig), NTLM_OK);
	assert_memory_equal(sig, want, 16);
	free(msg);
	ntlm_ctx_free(x);
}

/* ---- a CHALLENGE with MsvAvTimestamp: MIC, MsvAvFlags, Z(24) ---- */

static size_t build_challenge(uint8_t *b, uint32_t flags, const uint8_t *av, size_t avlen)
{
	memset(b, 0, 56);
	memcpy(b, "NTLMSSP", 8);
	b[8] = 2;
	b[16] = 56;                              /* empty TargetName at 56 */
	memcpy(b + 20, &flags, 4);               /* little-endian host (x86, arm) */
	memcpy(b + 24, "\x01\x23\x45\x67\x89\xab\xcd\xef", 8);
	b[40] = (uint8_t)avlen;
	b[42] = (uint8_t)avlen;
	b[44] = 56;
	memcpy(b + 48, "\x0a\x00\x63\x45\x00\x00\x00\x0f", 8);
	memcpy(b + 56, av, avlen);
	return 56 + avlen;
}

static void mic_when_timestamp(void **st)
{
	/* NbDomain "CORP", MsvAvTimestamp, EOL */
	static const uint8_t av[] = {
		2, 0, 8, 0, 'C', 0, 'O', 0, 'R', 0, 'P', 0,
		7, 0, 8, 0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x01,
		0, 0, 0, 0 };
	uint8_t ch[128], *msg = NULL, mic[16], zero[24] = { 0 }, *copy;
	size_t chlen = build_challenge(ch, 0xe2898215u, av, sizeof(av)), len = 0;
	unsigned miclen = 0;
	struct ntlm_ctx *x = NULL;
	struct ntlm_auth_opts o;
	struct ntlm_keys k;
	uint32_t lm_off, nt_off, dom_off;
	const uint8_t *blob;

	(void)st;
	memset(&o, 0, sizeof(o));
	o.user = "alice";
	o.domain = "CORP";
	o.password = "Secret-1";
	o.flags = NTLM_FLAGS_OC2007R2;
	assert_int_equal(ntlm_ctx_new(&x, NULL), NTLM_OK);   /* its own crypto */
	assert_int_equal(ntlm_authenticate(x, ch, chlen, &o, &msg, &len), NTLM_OK);
	memcpy(&dom_off, msg + 32, 4);
	memcpy(&lm_off, msg + 16, 4);
	memcpy(&nt_off, msg + 24, 4);
	assert_int_equal(dom_off, 88);                       /* MIC present */
	assert_memory_equal(msg + lm_off, zero, 24);         /* Z(24) */
	/* the blob keeps the server's time and adds MsvAvFlags = 2 */
	blob = msg + nt_off + 16;
	assert_memory_equal(blob + 8, av + 16, 8);
	assert_memory_equal(blob + 28, av, 24);
	assert_memory_equal(blob + 28 + 24, "\x06\x00\x04\x00\x02\x00\x00\x00\x00\x00\x00\x00", 12);
	/* MIC = HMAC_MD5(ExportedSessionKey, CHALLENGE || AUTHENTICATE with
	 * the MIC zeroed), computed here with OpenSSL's own HMAC */
	assert_int_equal(ntlm_export_keys(x, &k), NTLM_OK);
	copy = malloc(chlen + len);
	assert_non_null(copy);
	memcpy(copy, ch, chlen);
	memcpy(copy + chlen, msg, len);
	memset(copy + chlen + 72, 0, 16);
	assert_non_null(HMAC(EVP_md5(), k.exported_session_key, 16, copy, chlen + len, mic,
			     &miclen));
	assert_memory_equal(msg + 72, mic, 16);
	free(copy);
	free(msg);
	ntlm_ctx_free(x);
}

/* ---- the parser refuses what breaks 2.2.1.2 ---- */

static void parse_rejects(void **st)
{
	uint8_t ch[512], bad[512];
	size_t n = unhex(oc_challenge, ch, sizeof(ch));
	struct ntlm_challenge c;

	(void)st;
	memset(&c, 0x5a, sizeof(c));
	assert_int_equal(ntlm_parse_challenge(ch, 31, &c), NTLM_ERR_MALFORMED);
	assert_int_equal(c.flags, 0x5a5a5a5au);              /* untouched */
	assert_int_equal(ntlm_parse_challenge(ch, n - 1, &c), NTLM_ERR_MALFORMED); /* TI cut */
	assert_int_equal(ntlm_parse_challenge(NULL, 0, &c), NTLM_ERR_MALFORMED);
	memcpy(bad, ch, n);
	bad[8] = 3;                                          /* not a CHALLENGE */
	assert_int_equal(ntlm_parse_challenge(bad, n, &c), NTLM_ERR_MALFORMED);
	memcpy(bad, ch, n);
	bad[0] = 'n';
	assert_int_equal(ntlm_parse_challenge(bad, n, &c), NTLM_ERR_MALFORMED);
	memcpy(bad, ch, n);
	bad[44] = 0xff;                                      /* TargetInfo offset out */
	assert_int_equal(ntlm_parse_challenge(bad, n, &c), NTLM_ERR_MALFORMED);
	memcpy(bad, ch, n);
	bad[47] = 0x80;                                      /* huge offset */
	assert_int_equal(ntlm_parse_challenge(bad, n, &c), NTLM_ERR_MALFORMED);
	memcpy(bad, ch, n);
	bad[12] = 2;                                         /* TargetName len 2 at 56 ... */
	assert_int_equal(ntlm_parse_challenge(bad, n, &c), NTLM_OK);
	bad[12] = 3;                                         /* ... odd UTF-16 length */
	assert_int_equal(ntlm_parse_challenge(bad, n, &c), NTLM_ERR_MALFORMED);
	memcpy(bad, ch, n);
	bad[58] = 0xff;                                      /* AvLen past the field */
	assert_int_equal(ntlm_parse_challenge(bad, n, &c), NTLM_ERR_MALFORMED);
	memcpy(bad, ch, n);
	bad[40] -= 4;                                        /* no MsvAvEOL inside */
	assert_int_equal(ntlm_parse_challenge(bad, n, &c), NTLM_ERR_MALFORMED);
	/* a short, old CHALLENGE (32 bytes, no TargetInfo) is fine */
	memcpy(bad, ch, 32);
	bad[12] = bad[13] = 0;
	assert_int_equal(ntlm_parse_challenge(bad, 32, &c), NTLM_OK);
	assert_null(c.target_info);
}

static void api_edges(void **st)
{
	struct ntlm_ctx *x = NULL;
	uint8_t sig[16], *msg = NULL;
	size_t len = 0;
	struct ntlm_auth_opts o;
	int e;

	(void)st;
	ntlm_ctx_free(NULL);
	ntlm_crypto_free(NULL);
	assert_int_equal(ntlm_ctx_new(&x, crypto), NTLM_OK);
	assert_int_equal(ntlm_sign(x, 100, "a", 1, sig), NTLM_ERR_STATE);
	memset(&o, 0, sizeof(o));
	assert_int_equal(ntlm_authenticate(x, (const uint8_t *)"x", 1, &o, &msg, &len),
			 NTLM_ERR_ARG);
	o.user = "u";
	o.domain = "d";
	o.password = "p";
	o.flags = NTLM_FLAGS_OC2007R2;
	assert_int_equal(ntlm_authenticate(x, (const uint8_t *)"x", 1, &o, &msg, &len),
			 NTLM_ERR_MALFORMED);
	assert_null(msg);
	ntlm_ctx_free(x);
	for (e = 0; e <= NTLM_ERR_LAST; e++)
		assert_true(strlen(ntlm_strerror((enum ntlm_err)e)) > 0);
	assert_true(ntlm_filetime(0) == 116444736000000000ull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(spec_ntowfv2),
		cmocka_unit_test(spec_authenticate_message),
		cmocka_unit_test(spec_seal),
		cmocka_unit_test(unseal_and_reset),
		cmocka_unit_test(sealing_layer_partial_frame),
		cmocka_unit_test(negotiate_message),
		cmocka_unit_test(spec_sign_without_key_exch),
		cmocka_unit_test(oc_parse_challenge),
		cmocka_unit_test(oc_authenticate_message),
		cmocka_unit_test(oc_signatures),
		cmocka_unit_test(sipe_v2_signature_without_ess),
		cmocka_unit_test(mic_when_timestamp),
		cmocka_unit_test(parse_rejects),
		cmocka_unit_test(api_edges),
	};
	return cmocka_run_group_tests_name("ntlm", tests, setup, teardown);
}
