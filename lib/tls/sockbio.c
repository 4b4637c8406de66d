/* See sockbio.h. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>

#include "tls/sockbio.h"

struct sb {
	int fd;
	int eof;
};

static int retryable(int e)
{
	return e == EAGAIN || e == EWOULDBLOCK || e == EINTR || e == EINPROGRESS ||
	       e == ENOTCONN || e == EALREADY;
}

static int sb_write(BIO *b, const char *buf, size_t len, size_t *done)
{
	struct sb *s = BIO_get_data(b);
	ssize_t n;

	BIO_clear_retry_flags(b);
	n = send(s->fd, buf, len, MSG_NOSIGNAL);
	if (n >= 0) {
		*done = (size_t)n;
		return 1;
	}
	if (retryable(errno))
		BIO_set_retry_write(b);
	return 0;
}

static int sb_read(BIO *b, char *buf, size_t len, size_t *done)
{
	struct sb *s = BIO_get_data(b);
	ssize_t n;

	BIO_clear_retry_flags(b);
	n = recv(s->fd, buf, len, 0);
	if (n > 0) {
		*done = (size_t)n;
		return 1;
	}
	if (n == 0)
		s->eof = 1;
	else if (retryable(errno))
		BIO_set_retry_read(b);
	return 0;
}

static long sb_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct sb *s = BIO_get_data(b);

	(void)num;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;
	case BIO_CTRL_EOF:
		return s->eof;
	case BIO_C_GET_FD:
		if (ptr)
			*(int *)ptr = s->fd;
		return s->fd;
	default:
		return 0;
	}
}

static int sb_create(BIO *b)
{
	BIO_set_data(b, NULL);
	BIO_set_init(b, 0);
	return 1;
}

static int sb_destroy(BIO *b)
{
	OPENSSL_free(BIO_get_data(b));
	BIO_set_data(b, NULL);
	return 1;
}

/* The method table: made once per process and never changed after,
 * like OpenSSL's own static methods (BIO_METHOD is opaque in 3.0). */
static BIO_METHOD *method;
static pthread_once_t method_once = PTHREAD_ONCE_INIT;

static void method_init(void)
{
	BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK |
				     BIO_TYPE_DESCRIPTOR, "phoneboot socket");

	if (m && (!BIO_meth_set_write_ex(m, sb_write) || !BIO_meth_set_read_ex(m, sb_read) ||
		  !BIO_meth_set_ctrl(m, sb_ctrl) || !BIO_meth_set_create(m, sb_create) ||
		  !BIO_meth_set_destroy(m, sb_destroy))) {
		BIO_meth_free(m);
		m = NULL;
	}
	method = m;
}

BIO *tls_sockbio_new(int fd)
{
	struct sb *s;
	BIO *b;

	if (pthread_once(&method_once, method_init) != 0 || !method)
		return NULL;
	if (!(b = BIO_new(method)))
		return NULL;
	if (!(s = OPENSSL_zalloc(sizeof(*s)))) {
		BIO_free(b);
		return NULL;
	}
	s->fd = fd;
	BIO_set_data(b, s);
	BIO_set_init(b, 1);
	return b;
}
