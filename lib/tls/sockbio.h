/* Internal: OpenSSL's socket BIO, but writing with send(MSG_NOSIGNAL).
 *
 * OpenSSL's own socket BIO writes with write(2), which raises SIGPIPE on a
 * connection the peer reset; a library may not change the process's
 * dispositions, so each SSL call was wrapped in core/nopipe (block
 * SIGPIPE, look for a pending one, unblock): four system calls per call,
 * a third of a fleet's system calls. A descriptor whose writes never
 * raise SIGPIPE needs none of that. */
#ifndef PB_TLS_SOCKBIO_H
#define PB_TLS_SOCKBIO_H

#include <openssl/bio.h>

/* A BIO on socket fd (not closed when the BIO is freed), or NULL out of
 * memory. */
BIO *tls_sockbio_new(int fd);

#endif
