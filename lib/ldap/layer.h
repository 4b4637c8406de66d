/* Internal: what phoneboot's two layers under libldap's Sockbuf (the TLS
 * of dir.c, the SASL security layer of sasl.c) do alike: their state is
 * the private pointer, borrowed (the owner frees it after
 * ldap_unbind_ext()), and closing is the transport's. */
#ifndef PB_LDAP_LAYER_H
#define PB_LDAP_LAYER_H

#include <lber.h>

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
