/* A SIP-over-TLS registrar for tests: in-process, on 127.0.0.1 and an
 * ephemeral port, driven by the caller's libuv loop (the loop the client
 * under test runs on), as libre's test/mock and c-ares' test servers are.
 * It answers REGISTER the way a test asks (enum sipreg_mode) and records
 * what it received. Its SIP parser and its Digest verifier are its own, not
 * lib/sip's, so a bug in the client is not mirrored by the mock.
 * See tests/mock/README.md. */
#ifndef PB_MOCK_SIPREG_H
#define PB_MOCK_SIPREG_H

#include <uv.h>

/* TLS protocol versions, as on the wire (the values of OpenSSL's
 * TLS1_2_VERSION and so on, without including OpenSSL here). */
#define SIPREG_TLS10 0x0301
#define SIPREG_TLS11 0x0302
#define SIPREG_TLS12 0x0303
#define SIPREG_TLS13 0x0304

/* Limits: a request longer than this is answered 400 and the connection
 * closed; connections past the limit are accepted and closed at once. */
#define SIPREG_MAX_MSG 16384
#define SIPREG_MAX_CONNS 16

enum sipreg_mode {
	SIPREG_DIGEST = 0,     /* 401 Digest MD5 qop=auth, then verify: 200, 403, 404 */
	SIPREG_OK = 1,         /* 200 without a challenge */
	SIPREG_FORBIDDEN = 2,  /* 403 at once */
	SIPREG_REDIRECT = 3,   /* 302 with redirect_contact */
	SIPREG_SILENT = 4,     /* reads every request, never answers */
	SIPREG_CLOSE = 5,      /* closes the connection after the request */
	SIPREG_GARBAGE = 6,    /* answers bytes that are not SIP */
	SIPREG_OFFER_SCHEMES = 7, /* 401 offering schemes only, every time */
	SIPREG_STALE = 8,      /* as DIGEST, but the first right answer gets
				* 401 stale=true and a new nonce */
	SIPREG_KERBEROS = 9,   /* 401 offering schemes (as OFFER_SCHEMES); a
				* Kerberos answer is verified with keytab
				* (tests/mock/sipreg_krb.c): 200 signed, or 401
				* again with a Warning saying why */
};

struct sipreg_conf {
	const char *cert_pem;   /* server certificate, PEM; more certificates
				 * after it in the file are sent as the chain */
	const char *key_pem;    /* its private key, PEM */
	const char *chain_pem;  /* extra chain certificates, PEM; or NULL */
	int min_version;        /* SIPREG_TLS1x, or 0 for OpenSSL's default */
	int max_version;        /* SIPREG_TLS1x, or 0 for OpenSSL's default */
	enum sipreg_mode mode;
	const char *user;       /* DIGEST, STALE: the one known user (required) */
	const char *password;   /* DIGEST, STALE: its password (required) */
	const char *realm;      /* NULL: "corp.example" */
	const char *redirect_contact; /* REDIRECT: a URI; NULL: a default */
	/* OFFER_SCHEMES: WWW-Authenticate values, one per line ('\n'), e.g.
	 * "NTLM realm=\"SIP Communications Service\", targetname=\"pool.corp.example\", version=4";
	 * NULL: an NTLM and a Kerberos challenge as Lync/Skype pools send */
	const char *schemes;
	const char *keytab;     /* KERBEROS: the keytab of sip/<pool FQDN> */
};

struct sipreg;

/* The configuration the unit worlds share: the fixtures' SHA-256 leaf
 * (pool.test.example) under the SHA-256/RSA-4096 root, from $PB_FIXTURES
 * (else build/fixtures), realm test.example, alice/secret, this mode.
 * The paths are in static storage; sipreg_fixture_root() is the root's. */
void sipreg_fixture_conf(struct sipreg_conf *c, enum sipreg_mode mode);
const char *sipreg_fixture_root(void);

/* Listen on 127.0.0.1, an ephemeral port, on loop. The strings of c are
 * copied. 0 and *out set, or -1 (bad configuration, certificate or key
 * unreadable, no socket) and *out untouched. */
int sipreg_start(uv_loop_t *loop, const struct sipreg_conf *c, struct sipreg **out);

/* Close every connection and the listener; the memory is freed once the
 * loop has run the close callbacks. NULL is fine. After this call, no
 * other sipreg_* function may be called on s. */
void sipreg_stop(struct sipreg *s);

unsigned short sipreg_port(const struct sipreg *s);
/* Requests parsed (well-formed or not) and TCP connections accepted. */
unsigned sipreg_requests(const struct sipreg *s);
unsigned sipreg_connections(const struct sipreg *s);
/* TLS handshakes that failed on the server's side. */
unsigned sipreg_handshake_failures(const struct sipreg *s);
/* The last request's Authorization value and From value ("" if none);
 * borrowed, valid until the next request or sipreg_stop. */
const char *sipreg_last_authorization(const struct sipreg *s);
const char *sipreg_last_from(const struct sipreg *s);

/* The Digest response the verifier expects, as 32 lowercase hex digits
 * (RFC 7616 3.4.1 with MD5; RFC 2617 3.2.2.1): with qop "auth",
 * MD5(HA1:nonce:nc:cnonce:qop:HA2); with qop NULL, MD5(HA1:nonce:HA2).
 * 0, or -1 if OpenSSL cannot compute MD5. Exposed for known-answer tests. */
int sipreg_digest_md5(const char *user, const char *realm, const char *password,
		      const char *method, const char *uri, const char *nonce,
		      const char *nc, const char *cnonce, const char *qop,
		      char out[33]);

#endif
