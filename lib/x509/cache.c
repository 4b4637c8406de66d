/* The engine's certificate cache (cache.h): decoded certificates, their
 * descriptions and signature checks, keyed by the SHA-256 of the DER. */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "x509/cache.h"
#include "x509/x509_int.h"

#define CACHE_CERTS 64
#define CACHE_SIGS 64

struct cert_ent {
	int used, have_info;
	unsigned char key[X509_KEY_LEN];
	X509 *x;                    /* a reference of the cache's, or NULL */
	struct pb_cert_info info;   /* x509_info() of it, when have_info */
};

struct sig_ent {
	int used, ok;
	unsigned char sub[X509_KEY_LEN], iss[X509_KEY_LEN];
};

struct x509_cache {
	struct cert_ent certs[CACHE_CERTS];
	struct sig_ent sigs[CACHE_SIGS];
	size_t next_cert, next_sig; /* the slot replaced next once full */
	unsigned long hits, misses;
};

struct x509_cache *x509_cache_new(void)
{
	return calloc(1, sizeof(struct x509_cache));
}

void x509_cache_free(struct x509_cache *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < CACHE_CERTS; i++)
		X509_free(c->certs[i].x);
	free(c);
}

void x509_cache_stats(const struct x509_cache *c, unsigned long *hits,
		      unsigned long *misses)
{
	*hits = c ? c->hits : 0;
	*misses = c ? c->misses : 0;
}

int x509_cache_key(struct x509_cache *c, const unsigned char *der, size_t len,
		   unsigned char key[X509_KEY_LEN])
{
	/* the one-shot SHA256(): no provider fetch nor context per call */
	if (!c || !der || !SHA256(der, len, key))
		return -1;
	return 0;
}

static struct cert_ent *find(struct x509_cache *c, const unsigned char *key)
{
	size_t i;

	for (i = 0; i < CACHE_CERTS; i++)
		if (c->certs[i].used && !memcmp(c->certs[i].key, key, X509_KEY_LEN))
			return &c->certs[i];
	return NULL;
}

/* The entry of key, made (replacing the oldest once full) when absent. */
static struct cert_ent *slot(struct x509_cache *c, const unsigned char *key)
{
	struct cert_ent *e = find(c, key);

	if (e)
		return e;
	e = &c->certs[c->next_cert];
	c->next_cert = (c->next_cert + 1) % CACHE_CERTS;
	X509_free(e->x);
	memset(e, 0, sizeof(*e));
	e->used = 1;
	memcpy(e->key, key, X509_KEY_LEN);
	return e;
}

X509 *x509_cache_d2i(struct x509_cache *c, const unsigned char *der, size_t len)
{
	unsigned char key[X509_KEY_LEN];
	const unsigned char *p = der;
	struct cert_ent *e;
	X509 *x;

	if (x509_cache_key(c, der, len, key) < 0)
		return d2i_X509(NULL, &p, (long)len);
	if ((e = find(c, key)) && e->x && X509_up_ref(e->x)) {
		c->hits++;
		return e->x;
	}
	c->misses++;
	if (!(x = d2i_X509(NULL, &p, (long)len)))
		return NULL;
	e = slot(c, key);
	if (!e->x && X509_up_ref(x))
		e->x = x;
	return x;
}

int x509_cache_info(struct x509_cache *c, const unsigned char *key,
		    struct pb_cert_info *out)
{
	struct cert_ent *e = c ? find(c, key) : NULL;

	if (!e || !e->have_info) {
		if (c)
			c->misses++;
		return 0;
	}
	c->hits++;
	*out = e->info;
	return 1;
}

void x509_cache_put_info(struct x509_cache *c, const unsigned char *key,
			 const struct pb_cert_info *in)
{
	struct cert_ent *e;

	if (!c)
		return;
	e = slot(c, key);
	e->info = *in;
	e->have_info = 1;
}

int x509_cache_sig(struct x509_cache *c, const unsigned char *sub,
		   const unsigned char *iss)
{
	size_t i;

	for (i = 0; c && i < CACHE_SIGS; i++)
		if (c->sigs[i].used && !memcmp(c->sigs[i].sub, sub, X509_KEY_LEN) &&
		    !memcmp(c->sigs[i].iss, iss, X509_KEY_LEN)) {
			c->hits++;
			return c->sigs[i].ok;
		}
	if (c)
		c->misses++;
	return -1;
}

void x509_cache_put_sig(struct x509_cache *c, const unsigned char *sub,
			const unsigned char *iss, int ok)
{
	struct sig_ent *s;

	if (!c)
		return;
	s = &c->sigs[c->next_sig];
	c->next_sig = (c->next_sig + 1) % CACHE_SIGS;
	s->used = 1;
	s->ok = ok;
	memcpy(s->sub, sub, X509_KEY_LEN);
	memcpy(s->iss, iss, X509_KEY_LEN);
}
