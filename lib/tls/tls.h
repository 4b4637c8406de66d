/* Internal: a TLS client connection driven by a libuv loop. The only
 * module besides x509/ that includes OpenSSL. Non-blocking throughout:
 * TCP connect, handshake, reads and writes are uv_poll events; every phase
 * has a timer. */
#ifndef PB_TLS_H
#define PB_TLS_H

#include <stddef.h>
#include <sys/socket.h>

#include <uv.h>

#include "phoneboot/cert.h"
#include "phoneboot/codes.h"
#include "phoneboot/profile.h"

struct tls_conn;
struct tls_ctx;

enum tls_event {
	TLS_EV_READY = 0,    /* handshake done: chain, version, cipher known */
	TLS_EV_FAILED = 1,   /* connect or handshake failed, or the link broke */
	TLS_EV_DATA = 2,     /* bytes arrived: tls_inbuf() */
	TLS_EV_CLOSED = 3,   /* peer closed */
};

typedef void tls_event_cb(struct tls_conn *c, enum tls_event ev, void *arg);

struct tls_params {
	unsigned versions;          /* enum pb_tls_version bits; 0 = 1.0..1.3 */
	const char *const *ciphers; /* IANA names; NULL = everything OpenSSL has */
	size_t n_ciphers;
	const char *const *sigalgs; /* IANA names; NULL = OpenSSL's list */
	size_t n_sigalgs;
};

/* The parameters of a device profile (its versions, suites, signature
 * algorithms). */
void tls_params_of(const struct pb_profile *p, struct tls_params *tp);
/* Put them on ssl_ctx (an SSL_CTX *; also libcurl's, lib/tls/hook.c):
 * security level 0, the version range, the suites by IANA name, the
 * signature algorithms. The profile's suites this OpenSSL lacks, and what
 * it refused, are appended to unavailable; *n_suites and *n_suites13 say
 * whether any suite of TLS <= 1.2 and of 1.3 is left. 0, or -1 when
 * OpenSSL refused part of it. */
int tls_apply_params(void *ssl_ctx, const struct tls_params *p, char *unavailable,
		     size_t ulen, int *n_suites, int *n_suites13);

/* A context for every connection of one device profile (one SSL_CTX);
 * keylog_file (may be NULL) receives every session's secrets in the NSS
 * key log format, so a capture of the phone's traffic can be decrypted.
 * *out set on success; err says why not. */
enum pb_err tls_ctx_new(const struct tls_params *p, const char *keylog_file,
			struct tls_ctx **out, char *err, size_t errlen);
/* Free once no connection uses it any more; NULL is fine. */
void tls_ctx_free(struct tls_ctx *x);
/* Names of the profile's suites this OpenSSL cannot offer ("" if none). */
const char *tls_ctx_unavailable(const struct tls_ctx *x);

/* Start connecting with context x (borrowed: it must outlive the
 * connection); sni may be NULL; timeout_ms bounds the TCP connect and the
 * handshake, each. Events arrive through cb. *out set on success. */
enum pb_err tls_connect(uv_loop_t *loop, struct tls_ctx *x, const struct sockaddr *sa,
			socklen_t salen, const char *sni, unsigned timeout_ms,
			tls_event_cb *cb, void *arg, struct tls_conn **out);
/* Send the events to another callback from now on. */
void tls_set_cb(struct tls_conn *c, tls_event_cb *cb, void *arg);
/* Queue bytes to send once open. */
enum pb_err tls_send(struct tls_conn *c, const void *buf, size_t len);
/* Received bytes not yet consumed (borrowed), and consuming them. */
const char *tls_inbuf(const struct tls_conn *c, size_t *len);
void tls_consume(struct tls_conn *c, size_t n);
/* Close and free (asynchronously, on the loop); NULL is fine. No event is
 * delivered after this call. */
void tls_close(struct tls_conn *c);

/* What the connection saw (valid after READY or FAILED). */
enum pb_cause tls_cause(const struct tls_conn *c);
const char *tls_detail(const struct tls_conn *c);  /* why, in words */
const char *tls_version(const struct tls_conn *c); /* "TLSv1" ... or "" */
const char *tls_cipher(const struct tls_conn *c);  /* IANA name or "" */
int tls_alert(const struct tls_conn *c);           /* alert received, or -1 */
struct x509_cache;
/* The server's chain as sent (leaf first), built against trust (cache:
 * the engine's certificate cache, or NULL; lib/x509/cache.h), into
 * *out (caller frees; NULL when none was seen). PB_OK, or PB_ERR_NOMEM. */
enum pb_err tls_peer_chain(const struct tls_conn *c, const struct pb_trust *trust,
			   struct x509_cache *cache, struct pb_chain **out);
/* PB_OK, or phoneboot's own failure that ended the connection (out of
 * memory): with TLS_EV_FAILED, not the network's fault; tls_detail()
 * says what. */
enum pb_err tls_error(const struct tls_conn *c);
/* Names of the profile's suites this OpenSSL cannot offer ("" if none). */
const char *tls_unavailable(const struct tls_conn *c);
double tls_handshake_ms(const struct tls_conn *c);
/* "ip:port" of our end of the connection, for Via and Contact. */
void tls_local_addr(const struct tls_conn *c, char *buf, size_t len);

#endif
