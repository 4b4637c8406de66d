/* Internal: what phoneboot's two layers under libldap's Sockbuf (the TLS
 * of dir.c, the SASL security layer of sasl.c) do alike: their state is
 * the private pointer, borrowed (the owner frees it after
 * ldap_unbind_ext()), and closing is the transport's. */
#ifndef PB_LDAP_LAYER_H
#define PB_LDAP_LAYER_H

#include <errno.h>

#include <lber.h>

/* A Sockbuf control of ours, asked through ber_sockbuf_ctrl() (liblber
 * hands options it does not know to the top layer, and each layer passes
 * them down): write what a layer still holds of a message it took whole.
 * 1 while some is left (the socket is full: wait for writable and ask
 * again), 0 when nothing is, -1 on an error (errno). A layer that holds
 * nothing passes it down; liblber's own layers answer 0. */
#define LAYER_OPT_FLUSH (LBER_SB_OPT_OPT_MAX + 0x50)

/* An I/O error that is no error: the write goes on later. */
static inline int layer_later(int e)
{
	return e == EAGAIN || e == EWOULDBLOCK || e == EINTR;
}

/* Write buf[*off, len) to the layer below. 0 when all of it went, -1
 * (errno; EAGAIN: the socket is full, *off says how far it got). */
static inline int layer_write_rest(Sockbuf_IO_Desc *d, const unsigned char *buf, size_t len,
				   size_t *off)
{
	while (*off < len) {
		ber_slen_t n = LBER_SBIOD_WRITE_NEXT(d, (void *)(buf + *off), len - *off);

		if (n <= 0) {
			if (n == 0)
				errno = EPIPE;
			return -1;
		}
		*off += (size_t)n;
	}
	return 0;
}

/* LAYER_OPT_FLUSH's answer once a layer's own flush has run (rc 0: all
 * written, ask the layers below; -1: still held, or an error). */
static inline int layer_flush_answer(Sockbuf_IO_Desc *d, int rc, int opt, void *arg)
{
	if (rc == 0)
		return LBER_SBIOD_CTRL_NEXT(d, opt, arg);
	return layer_later(errno) ? 1 : -1;
}

static inline int layer_setup(Sockbuf_IO_Desc *d, void *arg)
{
	d->sbiod_pvt = arg;
	return 0;
}

static inline int layer_remove(Sockbuf_IO_Desc *d)
{
	d->sbiod_pvt = NULL;
	return 0;
}

static inline int layer_close(Sockbuf_IO_Desc *d)
{
	(void)d;
	return 0;
}

#endif
