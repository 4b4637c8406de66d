/* Internal: the client side of NTLM ([MS-NLMP]) as Microsoft's SIP phones
 * speak it ([MS-SIPAE] 3.2): connectionless (datagram) NTLMv2 with
 * extended session security, our own code on OpenSSL 3. MD4 and RC4 come
 * from OpenSSL's legacy provider, loaded into a private OSSL_LIB_CTX so the
 * process-wide default library context is left as it was.
 *
 * Nothing here prints. The password is never logged, never kept after
 * ntlm_authenticate() returns, and every derived secret is wiped
 * (OPENSSL_cleanse) when the context is freed.
 *
 * The CHALLENGE parser is fuzzed (tests/fuzz/fuzz_ntlm_challenge.c); known
 * answers ([MS-NLMP] 4.2.4 and a real OC 2007 R2 sign-in) are in
 * tests/unit/test_ntlm.c. docs/ntlm.md says why this module includes
 * OpenSSL headers (STYLE.md 8 reserves them for tls/ and x509/). */
#ifndef PB_NTLM_H
#define PB_NTLM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* NegotiateFlags, [MS-NLMP] 2.2.2.5 (letters as in the spec). */
#define NTLM_NEGOTIATE_UNICODE                  0x00000001u /* A */
#define NTLM_NEGOTIATE_OEM                      0x00000002u /* B */
#define NTLM_REQUEST_TARGET                     0x00000004u /* C */
#define NTLM_NEGOTIATE_SIGN                     0x00000010u /* D */
#define NTLM_NEGOTIATE_SEAL                     0x00000020u /* E */
#define NTLM_NEGOTIATE_DATAGRAM                 0x00000040u /* F */
#define NTLM_NEGOTIATE_LM_KEY                   0x00000080u /* G */
#define NTLM_NEGOTIATE_NTLM                     0x00000200u /* H */
#define NTLM_ANONYMOUS                          0x00000800u /* J */
#define NTLM_NEGOTIATE_OEM_DOMAIN_SUPPLIED      0x00001000u /* K */
#define NTLM_NEGOTIATE_OEM_WORKSTATION_SUPPLIED 0x00002000u /* L */
#define NTLM_NEGOTIATE_ALWAYS_SIGN              0x00008000u /* M */
#define NTLM_TARGET_TYPE_DOMAIN                 0x00010000u /* N */
#define NTLM_TARGET_TYPE_SERVER                 0x00020000u /* O */
#define NTLM_NEGOTIATE_EXTENDED_SESSIONSECURITY 0x00080000u /* P */
#define NTLM_NEGOTIATE_IDENTIFY                 0x00100000u /* Q */
#define NTLM_REQUEST_NON_NT_SESSION_KEY         0x00400000u /* R */
#define NTLM_NEGOTIATE_TARGET_INFO              0x00800000u /* S */
#define NTLM_NEGOTIATE_VERSION                  0x02000000u /* T */
#define NTLM_NEGOTIATE_128                      0x20000000u /* U */
#define NTLM_NEGOTIATE_KEY_EXCH                 0x40000000u /* V */
#define NTLM_NEGOTIATE_56                       0x80000000u /* W */

/* The AUTHENTICATE_MESSAGE flags of Office Communicator 2007 R2 against
 * OCS 2007 R2 (capture published with pidgin-sipe's tests, tieto/sipe
 * src/core/sip-sec-ntlm-tests.c): UNICODE, REQUEST_TARGET, SIGN, DATAGRAM,
 * NTLM, ALWAYS_SIGN, EXTENDED_SESSIONSECURITY, IDENTIFY, TARGET_INFO,
 * VERSION, 128, KEY_EXCH. A caller's choice (a profile fact), not a
 * default of this module. */
#define NTLM_FLAGS_OC2007R2 0x62988255u

/* In SIP the NTLM signature's sequence number is always 100: the SeqNum
 * field of both signatures of the OC 2007 R2 <-> OCS 2007 R2 sign-in is
 * 0x64 (tests/unit/test_ntlm.c), and gss-ntlmssp must be set to 100 to
 * verify them (../shared/reference/samba-ad-lab.md). */
#define NTLM_SIPAE_SEQ 100u

#define NTLM_SIG_LEN 16           /* NTLMSSP_MESSAGE_SIGNATURE, 2.2.2.9 */
#define NTLM_NAME_MAX 256         /* UTF-8 names decoded from a CHALLENGE */

/* Program errors of this module. Values never move; ntlm_strerror() is a
 * switch with no default. */
enum ntlm_err {
	NTLM_OK = 0,
	NTLM_ERR_NOMEM = 1,
	NTLM_ERR_ARG = 2,           /* a missing or unusable argument */
	NTLM_ERR_MALFORMED = 3,     /* the peer's message breaks [MS-NLMP] 2.2 */
	NTLM_ERR_UNSUPPORTED = 4,   /* a variant we do not speak (OEM strings, LM_KEY) */
	NTLM_ERR_CRYPTO = 5,        /* OpenSSL failed (e.g. no legacy provider) */
	NTLM_ERR_STATE = 6,         /* called before ntlm_authenticate() succeeded */
	NTLM_ERR_BAD_SIGNATURE = 7, /* ntlm_verify(): the peer's MAC does not match */
};
#define NTLM_ERR_LAST NTLM_ERR_BAD_SIGNATURE
const char *ntlm_strerror(enum ntlm_err e);

/* AvId of an AV_PAIR, [MS-NLMP] 2.2.2.1. */
enum ntlm_av_id {
	NTLM_AV_EOL = 0,
	NTLM_AV_NB_COMPUTER = 1,
	NTLM_AV_NB_DOMAIN = 2,
	NTLM_AV_DNS_COMPUTER = 3,
	NTLM_AV_DNS_DOMAIN = 4,
	NTLM_AV_DNS_TREE = 5,
	NTLM_AV_FLAGS = 6,
	NTLM_AV_TIMESTAMP = 7,
	NTLM_AV_SINGLE_HOST = 8,
	NTLM_AV_TARGET_NAME = 9,
	NTLM_AV_CHANNEL_BINDINGS = 10,
};

/* A parsed CHALLENGE_MESSAGE ([MS-NLMP] 2.2.1.2). Names are decoded to
 * UTF-8 (from UTF-16LE, or ASCII without NEGOTIATE_UNICODE), "" when
 * absent. target_info points into the parsed message, which must outlive
 * this struct. */
struct ntlm_challenge {
	uint32_t flags;
	uint8_t server_challenge[8];
	char target_name[NTLM_NAME_MAX];
	char nb_computer[NTLM_NAME_MAX], nb_domain[NTLM_NAME_MAX];
	char dns_computer[NTLM_NAME_MAX], dns_domain[NTLM_NAME_MAX];
	char dns_tree[NTLM_NAME_MAX];
	bool has_av_flags;
	uint32_t av_flags;            /* MsvAvFlags */
	bool has_timestamp;
	uint64_t timestamp;           /* MsvAvTimestamp, a FILETIME */
	bool has_version;
	uint8_t version[8];           /* VERSION, 2.2.2.10 */
	const uint8_t *target_info;   /* the AV_PAIR list, up to and with MsvAvEOL */
	size_t target_info_len;
};

/* Parse a CHALLENGE_MESSAGE. Every offset and length is checked against
 * len; the AV_PAIR list must end with MsvAvEOL inside its field. *out is
 * written only on success. NTLM_OK or NTLM_ERR_MALFORMED. */
enum ntlm_err ntlm_parse_challenge(const uint8_t *msg, size_t len,
				   struct ntlm_challenge *out);

/* The crypto a set of contexts shares: a private OSSL_LIB_CTX with the
 * default and legacy providers, and the algorithms fetched once. Read-only
 * after creation, so one per loop (or per process) serves every phone. */
struct ntlm_crypto;
enum ntlm_err ntlm_crypto_new(struct ntlm_crypto **out);
void ntlm_crypto_free(struct ntlm_crypto *c);          /* NULL is fine */

/* One security association: the client side of one NTLM exchange. */
struct ntlm_ctx;
/* crypto is borrowed and must outlive the context; NULL makes the
 * context create (and free) its own. */
enum ntlm_err ntlm_ctx_new(struct ntlm_ctx **out, struct ntlm_crypto *crypto);
void ntlm_ctx_free(struct ntlm_ctx *ctx);              /* NULL is fine */

/* What the AUTHENTICATE_MESSAGE is built from. Strings are UTF-8. */
struct ntlm_auth_opts {
	const char *user, *domain, *password;
	const char *workstation;      /* NULL or "" for none */
	uint32_t flags;               /* NegotiateFlags to send and use */
	uint8_t version[8];           /* sent when flags has NEGOTIATE_VERSION */
	/* Connection-oriented: the NEGOTIATE_MESSAGE sent before the
	 * CHALLENGE, which the MIC covers too (3.1.5.1.2); NULL in
	 * connectionless mode (SIP), where there is none. */
	const uint8_t *negotiate;
	size_t negotiate_len;
	/* Injected values for known-answer tests; NULL in production. */
	const uint8_t *client_challenge;      /* 8 bytes, else RAND_bytes */
	const uint8_t *exported_session_key;  /* 16 bytes, else RAND_bytes */
	/* The clock, as a FILETIME, used when the CHALLENGE carries no
	 * MsvAvTimestamp ([MS-NLMP] 3.1.5.2.1); NULL reads CLOCK_REALTIME. */
	const uint64_t *now;
};

/* Answer a CHALLENGE_MESSAGE with an NTLMv2 AUTHENTICATE_MESSAGE
 * ([MS-NLMP] 3.1.5.2.1, 3.3.2) and derive the session keys (3.4.5). On
 * success *out is malloc'd (the caller frees it) and the context is ready
 * to sign and verify. A context answers once. */
enum ntlm_err ntlm_authenticate(struct ntlm_ctx *ctx, const uint8_t *challenge,
				size_t challenge_len, const struct ntlm_auth_opts *o,
				uint8_t **out, size_t *outlen);

/* A NEGOTIATE_MESSAGE ([MS-NLMP] 2.2.1.1) with flags, no domain or
 * workstation, and version (8 bytes) when flags has NEGOTIATE_VERSION:
 * the first message of connection-oriented NTLM. out has room for
 * NTLM_NEGOTIATE_MAX bytes; *outlen is 32 or 40. */
#define NTLM_NEGOTIATE_MAX 40
enum ntlm_err ntlm_negotiate(uint32_t flags, const uint8_t version[8], uint8_t *out,
			     size_t *outlen);

/* The signature of data, client to server ([MS-NLMP] 3.4.4). seq is the
 * sequence number (NTLM_SIPAE_SEQ in SIP); in datagram mode the RC4 state
 * is re-keyed for every message (3.4), otherwise it runs on. */
enum ntlm_err ntlm_sign(struct ntlm_ctx *ctx, uint32_t seq, const void *data,
			size_t len, uint8_t out[NTLM_SIG_LEN]);
/* Check the server's signature of data (server-to-client keys).
 * NTLM_OK, or NTLM_ERR_BAD_SIGNATURE. */
enum ntlm_err ntlm_verify(struct ntlm_ctx *ctx, uint32_t seq, const void *data,
			  size_t len, const uint8_t sig[NTLM_SIG_LEN]);
/* SEAL ([MS-NLMP] 3.4.3), client to server: len bytes of in encrypted to
 * out (which may be in) and their signature. Needs NEGOTIATE_SEAL. */
enum ntlm_err ntlm_seal(struct ntlm_ctx *ctx, uint32_t seq, const void *in,
			size_t len, void *out, uint8_t sig[NTLM_SIG_LEN]);

/* SEAL's inverse, server to client ([MS-NLMP] 3.4.3): len bytes of in
 * decrypted to out (which may be in) with the server's running RC4 state,
 * and the server's signature of the plaintext checked. Connection-oriented
 * contexts with extended session security only. NTLM_OK, or
 * NTLM_ERR_BAD_SIGNATURE (out is then wiped). */
enum ntlm_err ntlm_unseal(struct ntlm_ctx *ctx, uint32_t seq, const void *in, size_t len,
			  void *out, const uint8_t sig[NTLM_SIG_LEN]);
/* Start one direction's RC4 state again from its sealing key (recv:
 * server to client), as [MS-SPNG] 3.3.5.1 asks after the mechListMIC;
 * connection-oriented contexts with extended session security. */
enum ntlm_err ntlm_reset(struct ntlm_ctx *ctx, bool recv);

/* The keys of an authenticated context. SECRET: for known-answer tests
 * and a --keylog-style export only; wipe it (explicit_bzero) after use. */
struct ntlm_keys {
	uint8_t session_base_key[16];
	uint8_t exported_session_key[16];
	uint8_t client_sign[16], client_seal[16];
	uint8_t server_sign[16], server_seal[16];
	size_t seal_len;              /* 16, or 8 without extended session security */
};
enum ntlm_err ntlm_export_keys(const struct ntlm_ctx *ctx, struct ntlm_keys *out);

/* NTOWFv2 = ResponseKeyNT = ResponseKeyLM ([MS-NLMP] 3.3.2):
 * HMAC_MD5(MD4(UNICODE(password)), UNICODE(Uppercase(user) || domain)).
 * Uppercase is ASCII-only here (Windows uses its own Unicode table). */
enum ntlm_err ntlm_ntowfv2(struct ntlm_crypto *c, const char *password,
			   const char *user, const char *domain, uint8_t out[16]);

/* A time_t as a FILETIME (100 ns since 1601-01-01), for opts->now. */
uint64_t ntlm_filetime(int64_t unix_seconds);

#endif
