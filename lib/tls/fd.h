/* Internal: a TLS client session on a descriptor the caller owns and
 * watches: the caller's loop says when the socket is readable or writable,
 * and each call does what it can without waiting. For a protocol library
 * that owns the socket and lets a layer do its I/O (libldap's Sockbuf:
 * lib/ldap/dir.c drives StartTLS and LDAPS with it, because libldap 2.5's
 * own handshake waits inside poll(2); docs/engine.md, "How LDAP runs on the
 * loop"). Only tls/ and x509/ include OpenSSL.
 *
 * The peer's certificate is NOT verified: the one user is the directory
 * download, which fetches the very root that would verify it (see dir.c).
 * The session keeps a password from a passive listener, not from a man in
 * the middle; the caller records the certificate it saw. */
#ifndef PB_TLS_FD_H
#define PB_TLS_FD_H

#include <stddef.h>
#include <sys/types.h>

#include "phoneboot/cert.h"
#include "phoneboot/codes.h"

struct tls_fd;

enum tls_fd_step {
	TLS_FD_DONE = 0,         /* the handshake is over */
	TLS_FD_WANT_READ = 1,    /* call again when the socket is readable */
	TLS_FD_WANT_WRITE = 2,   /* ... writable */
	TLS_FD_FAILED = 3,       /* tls_fd_detail() says why */
};

/* A session on fd (borrowed: never closed here; it is made non-blocking).
 * sni may be NULL (an address is not sent as SNI, RFC 6066 3). *out set
 * on success; PB_ERR_NOMEM or PB_ERR_INTERNAL otherwise. */
enum pb_err tls_fd_new(int fd, const char *sni, struct tls_fd **out);
/* The same on a shared context made by tls_fd_ctx_new() (an SSL_CTX,
 * referenced by the session; NULL: a context of the session's own).
 * Making a context is most of the CPU of a directory's StartTLS session:
 * the boots of an engine share one (engine_dir_tls_ctx()). */
enum pb_err tls_fd_new_ctx(void *ctx, int fd, const char *sni, struct tls_fd **out);
void *tls_fd_ctx_new(void);                 /* NULL out of memory */
void tls_fd_ctx_free(void *ctx);            /* NULL is fine */
/* Frees the session; the descriptor is left open. NULL is fine. */
void tls_fd_free(struct tls_fd *t);

/* One step of the handshake; never waits. */
enum tls_fd_step tls_fd_handshake(struct tls_fd *t);
const char *tls_fd_detail(const struct tls_fd *t);   /* why it failed */
const char *tls_fd_version(const struct tls_fd *t);  /* "TLSv1.3", or "" */
/* The server's certificate as x509_info() reads it; 0, or -1 when the
 * server sent none. */
int tls_fd_peer(const struct tls_fd *t, struct pb_cert_info *info);

/* After the handshake, read(2)/write(2) alike: bytes moved, 0 at the end
 * of the session, -1 with errno (EAGAIN: call again when the socket is
 * ready). */
ssize_t tls_fd_read(struct tls_fd *t, void *buf, size_t len);
ssize_t tls_fd_write(struct tls_fd *t, const void *buf, size_t len);
/* Bytes decrypted and not yet read: the socket may have nothing more. */
int tls_fd_pending(const struct tls_fd *t);

/* After a write that said EAGAIN: 1 when the session waits to read (a
 * renegotiation), not for the socket to take bytes. */
int tls_fd_wants_read(const struct tls_fd *t);

#endif
