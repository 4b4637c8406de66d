/* A TLS client session on a caller's descriptor. See fd.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "tls/fd.h"
#include "tls/sockbio.h"
#include "x509/x509_int.h"

struct tls_fd {
	SSL_CTX *ctx;
	SSL *ssl;
	char detail[200];
};

/* No verification: the client has no trust for the directory's
 * certificate yet (fd.h). Every version and suite OpenSSL has, in its own
 * order of preference: a domain controller of 2008 R2 speaks TLS 1.0 only,
 * and any suite keeps the password from a passive capture, which is what
 * this session is for. */
void *tls_fd_ctx_new(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx)
		goto out;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
			 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	if (!SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0")) {
		SSL_CTX_free(ctx);
		ctx = NULL;
	}
out:
	ERR_clear_error();
	return ctx;
}

void tls_fd_ctx_free(void *ctx)
{
	SSL_CTX_free(ctx);
}

enum pb_err tls_fd_new(int fd, const char *sni, struct tls_fd **out)
{
	return tls_fd_new_ctx(NULL, fd, sni, out);
}

enum pb_err tls_fd_new_ctx(void *ctx, int fd, const char *sni, struct tls_fd **out)
{
	struct tls_fd *t = calloc(1, sizeof(*t));
	enum pb_err rc = PB_ERR_NOMEM;
	BIO *b;
	int fl;

	if (!t)
		goto out;
	if (ctx && SSL_CTX_up_ref(ctx))
		t->ctx = ctx;
	else if (!(t->ctx = tls_fd_ctx_new()))
		goto out;
	if (!(t->ssl = SSL_new(t->ctx)))
		goto out;
	/* writes with MSG_NOSIGNAL (tls/sockbio.h) */
	if (!(b = tls_sockbio_new(fd)))
		goto out;
	SSL_set_bio(t->ssl, b, b);
	rc = PB_ERR_INTERNAL;
	if (sni && *sni && !SSL_set_tlsext_host_name(t->ssl, sni))
		goto out;
	if ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		goto out;
	SSL_set_connect_state(t->ssl);
	*out = t;
	t = NULL;
	rc = PB_OK;
out:
	ERR_clear_error();
	tls_fd_free(t);
	return rc;
}

void tls_fd_free(struct tls_fd *t)
{
	if (!t)
		return;
	SSL_free(t->ssl);
	SSL_CTX_free(t->ctx);
	free(t);
}

enum tls_fd_step tls_fd_handshake(struct tls_fd *t)
{
	unsigned long e;
	int r, err, saved;

	ERR_clear_error();
	r = SSL_do_handshake(t->ssl);
	saved = errno;
	if (r == 1)
		return TLS_FD_DONE;
	err = SSL_get_error(t->ssl, r);
	if (err == SSL_ERROR_WANT_READ)
		return TLS_FD_WANT_READ;
	if (err == SSL_ERROR_WANT_WRITE)
		return TLS_FD_WANT_WRITE;
	if ((e = ERR_peek_last_error())) {
		char why[160];

		ERR_error_string_n(e, why, sizeof(why));
		snprintf(t->detail, sizeof(t->detail), "%s", why);
	} else if (err == SSL_ERROR_SYSCALL && saved && r < 0) {
		snprintf(t->detail, sizeof(t->detail), "%s", strerror(saved));
	} else {
		snprintf(t->detail, sizeof(t->detail), "the server closed the connection "
			 "during the handshake");
	}
	ERR_clear_error();
	return TLS_FD_FAILED;
}

const char *tls_fd_detail(const struct tls_fd *t)
{
	return t->detail;
}

const char *tls_fd_version(const struct tls_fd *t)
{
	return SSL_is_init_finished(t->ssl) ? SSL_get_version(t->ssl) : "";
}

int tls_fd_peer(const struct tls_fd *t, struct pb_cert_info *info)
{
	X509 *x = SSL_get0_peer_certificate(t->ssl);

	if (!x)
		return -1;
	memset(info, 0, sizeof(*info));
	x509_info(x, info);
	return 0;
}

/* SSL_read or SSL_write's answer as read(2)'s. */
static ssize_t io_result(struct tls_fd *t, int r, int saved)
{
	int err = SSL_get_error(t->ssl, r);

	if (r > 0)
		return r;
	switch (err) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:         /* close_notify */
		return 0;
	case SSL_ERROR_SYSCALL:
		/* an EOF without close_notify is the end too, for LDAP, which
		 * ends its messages itself (RFC 4511 5.1) */
		if (!ERR_peek_error() && (r == 0 || saved == 0))
			return 0;
		errno = saved ? saved : EIO;
		return -1;
	default:
		errno = EIO;
		return -1;
	}
}

ssize_t tls_fd_read(struct tls_fd *t, void *buf, size_t len)
{
	ssize_t n;
	int r;

	ERR_clear_error();
	errno = 0;
	r = SSL_read(t->ssl, buf, len > 0x40000000 ? 0x40000000 : (int)len);
	n = io_result(t, r, errno);
	ERR_clear_error();
	return n;
}

ssize_t tls_fd_write(struct tls_fd *t, const void *buf, size_t len)
{
	ssize_t n;
	int r, saved;

	ERR_clear_error();
	errno = 0;
	r = SSL_write(t->ssl, buf, len > 0x40000000 ? 0x40000000 : (int)len);
	saved = errno;
	n = io_result(t, r, saved);
	ERR_clear_error();
	return n;
}

int tls_fd_pending(const struct tls_fd *t)
{
	return SSL_pending(t->ssl);
}

int tls_fd_wants_read(const struct tls_fd *t)
{
	return SSL_want_read(t->ssl);
}
