/* Device profile loader: INI (inih) into struct pb_profile, strictly.
 * Format: docs/profiles.md. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ini.h>

#include "core/file.h"
#include "core/isotime.h"
#include "core/rd.h"
#include "phoneboot/profile.h"

/* A key that is a device fact and so needs an entry in [sources]. */
struct key {
	const char *section, *name;
	int required;
	int fact;
	int list;                       /* may continue on indented lines */
	/* returns NULL on success, else what was expected */
	const char *(*set)(struct pb_profile *p, const char *value);
};

struct parse {
	struct pb_profile *p;
	const char *file;
	char msg[256];                  /* first error wins */
	int msg_line;                   /* line of msg */
	int line;                       /* line being parsed */
	struct rd text;                 /* what the reader hands inih */
	unsigned seen[64];              /* per key index: times seen */
	unsigned kind_seen;             /* [device] kind */
	struct disp *disp;              /* [disputed] lines, in file order */
	size_t n_disp;
	/* second pass: build the other reading; the facts disputed in
	 * 'strict' take their other value */
	const struct pb_profile *strict;
};

/* One [disputed] line: "section.key = value | confidence | citation". */
struct disp {
	size_t key;                     /* index into keys[] */
	char *value, *citation;
	enum pb_confidence confidence;
	int line;
};

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (d)
		memcpy(d, s, n);
	return d;
}

static const char *set_str(char **dst, const char *v)
{
	if (!*v)
		return "a non-empty text";
	free(*dst);
	*dst = xstrdup(v);
	return *dst ? NULL : "memory";
}

/* Split "a, b ,c" and call one() on each trimmed item. */
static const char *each_item(const char *v, void *ctx,
			     const char *(*one)(void *ctx, struct span item))
{
	struct rd r = rd_init(v, strlen(v));
	const char *e;

	while (!rd_eof(&r)) {
		struct span it = span_trim(rd_take_until(&r, ","));

		rd_take_char(&r, ',');
		if (it.len == 0)
			return "a comma-separated list without empty items";
		if ((e = one(ctx, it)))
			return e;
	}
	return NULL;
}

struct name_bit {
	const char *name;
	unsigned bit;
};

static const struct name_bit versions[] = {
	{ "ssl3", PB_TLS_SSL3 }, { "tls1.0", PB_TLS_10 }, { "tls1.1", PB_TLS_11 },
	{ "tls1.2", PB_TLS_12 }, { "tls1.3", PB_TLS_13 }, { NULL, 0 },
};
static const struct name_bit hashes[] = {
	{ "md5", PB_HASH_MD5 }, { "sha1", PB_HASH_SHA1 }, { "sha224", PB_HASH_SHA224 },
	{ "sha256", PB_HASH_SHA256 }, { "sha384", PB_HASH_SHA384 },
	{ "sha512", PB_HASH_SHA512 }, { NULL, 0 },
};
static const struct name_bit curves[] = {
	{ "p256", PB_CURVE_P256 }, { "p384", PB_CURVE_P384 }, { "p521", PB_CURVE_P521 },
	{ NULL, 0 },
};
static const struct name_bit auths[] = {
	{ "digest", PB_AUTH_DIGEST }, { "ntlm", PB_AUTH_NTLM },
	{ "kerberos", PB_AUTH_KERBEROS }, { "certificate", PB_AUTH_CERTIFICATE },
	{ "tls-dsk", PB_AUTH_TLS_DSK }, { NULL, 0 },
};

struct bits_ctx {
	const struct name_bit *table;
	unsigned bits;
	const char *expect;
};

static const char *one_bit(void *ctx, struct span it)
{
	struct bits_ctx *b = ctx;
	const struct name_bit *t;

	for (t = b->table; t->name; t++) {
		if (span_ieq(it, t->name)) {
			b->bits |= t->bit;
			return NULL;
		}
	}
	return b->expect;
}

static const char *set_bits(unsigned *dst, const struct name_bit *table,
			    const char *v, const char *expect, int allow_empty)
{
	struct bits_ctx b = { table, 0, expect };
	const char *e;

	if (!*v || !strcmp(v, "none")) {
		if (!allow_empty)
			return expect;
		*dst = 0;
		return NULL;
	}
	if ((e = each_item(v, &b, one_bit)))
		return e;
	*dst = b.bits;
	return NULL;
}

static const char *set_bool(int *dst, const char *v)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true")) {
		*dst = 1;
		return NULL;
	}
	if (!strcmp(v, "no") || !strcmp(v, "false")) {
		*dst = 0;
		return NULL;
	}
	return "yes or no";
}

static const char *set_uint(unsigned *dst, const char *v, unsigned long max)
{
	unsigned long n;

	if (!span_to_uint((struct span){ v, strlen(v) }, max, &n))
		return "a decimal number";
	*dst = (unsigned)n;
	return NULL;
}

struct list_ctx {
	char **items;
	size_t *n;
	int (*valid)(struct span s);
	const char *expect;
};

static int valid_cipher(struct span s)
{
	/* IANA TLS cipher suite names: TLS_..., upper case, digits, '_' */
	size_t i;

	if (s.len < 5 || memcmp(s.p, "TLS_", 4) != 0)
		return 0;
	for (i = 0; i < s.len; i++) {
		char c = s.p[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
			return 0;
	}
	return 1;
}

static int valid_sigalg(struct span s)
{
	/* IANA TLS SignatureScheme names: rsa_pkcs1_sha1, ecdsa_secp256r1_sha256 */
	size_t i;

	if (s.len < 4)
		return 0;
	for (i = 0; i < s.len; i++) {
		char c = s.p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return 0;
	}
	return 1;
}

static const char *one_item(void *ctx, struct span it)
{
	struct list_ctx *l = ctx;

	if (!l->valid(it))
		return l->expect;
	if (*l->n >= PB_PROFILE_MAX_LIST)
		return "at most 32 items";
	if (!(l->items[*l->n] = span_dup(it)))
		return "memory";
	(*l->n)++;
	return NULL;
}

static const char *set_list(char **items, size_t *n, const char *v,
			    int (*valid)(struct span), const char *expect)
{
	struct list_ctx l = { items, n, valid, expect };

	/* called again for an indented continuation line: items append */
	if (!*v || !strcmp(v, "none"))
		return NULL;
	return each_item(v, &l, one_item);
}

#define SETTER(fn, body) \
	static const char *fn(struct pb_profile *p, const char *v) { body }

SETTER(s_id, {
	size_t i;
	for (i = 0; v[i]; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= '0' && v[i] <= '9') ||
		      v[i] == '-' || v[i] == '.'))
			return "an id of lower-case letters, digits, '-' and '.'";
	return set_str(&p->id, v);
})
SETTER(s_name, { return set_str(&p->name, v); })
SETTER(s_vendor, { return set_str(&p->vendor, v); })
SETTER(s_model, { return set_str(&p->model, v); })
SETTER(s_firmware, { return set_str(&p->firmware, v); })
SETTER(s_flow, {
	if (!strcmp(v, "ocpe")) p->flow = PB_FLOW_OCPE;
	else if (!strcmp(v, "lpe")) p->flow = PB_FLOW_LPE;
	else if (!strcmp(v, "sip")) p->flow = PB_FLOW_SIP;
	else return "ocpe, lpe or sip";
	return NULL;
})
/* [device] auth: the bits, and their order (the firmware's preference). */
struct order_ctx {
	struct pb_profile *p;
	size_t n;
};

static const char *one_auth(void *ctx, struct span it)
{
	struct order_ctx *o = ctx;
	const struct name_bit *t;

	for (t = auths; t->name; t++) {
		if (!span_ieq(it, t->name))
			continue;
		if (o->p->auth & t->bit)
			return "each scheme once";
		if (o->n + 1 >= sizeof(o->p->auth_order) / sizeof(o->p->auth_order[0]))
			return "at most 7 schemes";
		o->p->auth |= t->bit;
		o->p->auth_order[o->n++] = t->bit;
		o->p->auth_order[o->n] = 0;
		return NULL;
	}
	return "a list of digest, ntlm, kerberos, certificate, tls-dsk, in the "
	       "firmware's order of preference";
}

static const char *s_auth(struct pb_profile *p, const char *v)
{
	struct order_ctx o;

	o.p = p;
	o.n = 0;
	p->auth = 0;
	p->auth_order[0] = 0;
	if (!*v || !strcmp(v, "none"))
		return "a list of digest, ntlm, kerberos, certificate, tls-dsk";
	return each_item(v, &o, one_auth);
}
SETTER(s_sipae_version, {
	if (strcmp(v, "2") && strcmp(v, "3") && strcmp(v, "4"))
		return "2, 3 or 4 ([MS-SIPAE] protocol version)";
	p->sipae_version = (unsigned)(v[0] - '0');
	return NULL;
})
SETTER(s_ntlm_flags, {
	char *end;
	unsigned long n;

	if (strncmp(v, "0x", 2) || !v[2])
		return "the NTLM negotiate flags in hex (0x62988255)";
	errno = 0;
	n = strtoul(v + 2, &end, 16);
	if (*end || errno || n > 0xffffffffUL || !n)
		return "the NTLM negotiate flags in hex (0x62988255)";
	/* connectionless NTLM that signs: [MS-SIPAE] 3.1 signs every message */
	if ((n & 0x50) != 0x50)
		return "NTLM flags with NEGOTIATE_SIGN (0x10) and NEGOTIATE_DATAGRAM (0x40): "
		       "MS-SIPAE signs in connectionless mode";
	p->ntlm_flags = (unsigned)n;
	return NULL;
})
SETTER(s_versions, {
	return set_bits(&p->tls_versions, versions, v,
			"a list of ssl3, tls1.0, tls1.1, tls1.2, tls1.3", 0);
})
SETTER(s_ciphers, {
	return set_list(p->ciphers, &p->n_ciphers, v, valid_cipher,
			"IANA cipher suite names (TLS_...)");
})
SETTER(s_sigalgs, {
	return set_list(p->sigalgs, &p->n_sigalgs, v, valid_sigalg,
			"IANA SignatureScheme names (rsa_pkcs1_sha256, ...)");
})
SETTER(s_sni, { return set_bool(&p->sni, v); })
SETTER(s_hashes, {
	return set_bits(&p->sig_hashes, hashes, v,
			"a list of md5, sha1, sha224, sha256, sha384, sha512", 0);
})
SETTER(s_rsa_min, { return set_uint(&p->rsa_min_bits, v, 65536); })
SETTER(s_rsa_max, { return set_uint(&p->rsa_max_bits, v, 65536); })
SETTER(s_ecdsa, { return set_bool(&p->ecdsa, v); })
SETTER(s_curves, {
	return set_bits(&p->curves, curves, v, "a list of p256, p384, p521", 1);
})
SETTER(s_wildcard, {
	if (!strcmp(v, "yes")) p->wildcard = PB_WILDCARD_YES;
	else if (!strcmp(v, "no")) p->wildcard = PB_WILDCARD_NO;
	else if (!strcmp(v, "san-only")) p->wildcard = PB_WILDCARD_SAN_ONLY;
	else if (!strcmp(v, "refuse")) p->wildcard = PB_WILDCARD_REFUSE;
	else return "yes, no, san-only or refuse";
	return NULL;
})
SETTER(s_kind, {
	if (!strcmp(v, "device")) p->definition = 0;
	else if (!strcmp(v, "definition")) p->definition = 1;
	else return "device or definition";
	return NULL;
})
SETTER(s_names, {
	if (!strcmp(v, "san")) p->san = 1;
	else if (!strcmp(v, "cn")) p->san = 0;
	else return "san (subjectAltName, then CN) or cn (CN only)";
	return NULL;
})
SETTER(s_depth, { return set_uint(&p->max_chain_depth, v, 64); })
SETTER(s_aia, { return set_bool(&p->aia_fetch, v); })
SETTER(s_eku, { return set_bool(&p->check_eku, v); })
SETTER(s_validity, { return set_bool(&p->check_validity, v); })
SETTER(s_vclass, {
	if (strlen(v) > 255)
		return "at most 255 characters";
	return set_str(&p->dhcp_vendor_class, v);
})
SETTER(s_boot_clock, {
	/* the clock a firmware boots with when no NTP server answers:
	 * "host" (it kept the time, as a battery-backed clock does) or a
	 * fixed date (docs/time.md) */
	if (!strcmp(v, "host")) {
		p->boot_clock_fixed = 0;
		return NULL;
	}
	if (iso_time_parse(v, &p->boot_clock) < 0)
		return "host, or a date YYYY-MM-DD[THH:MM:SSZ]";
	p->boot_clock_fixed = 1;
	return NULL;
})

static const char *one_option(void *ctx, struct span it)
{
	struct pb_profile *p = ctx;
	unsigned long n;

	if (!span_to_uint(it, 254, &n) || n == 0)
		return "a list of DHCP option numbers 1..254";
	if (p->n_dhcp_request >= PB_PROFILE_MAX_LIST)
		return "at most 32 options";
	p->dhcp_request[p->n_dhcp_request++] = (unsigned char)n;
	return NULL;
}
SETTER(s_request, {
	p->n_dhcp_request = 0;
	return each_item(v, p, one_option);
})

static const struct key keys[] = {
	{ "device", "id", 1, 0, 0, s_id },
	{ "device", "name", 1, 0, 0, s_name },
	{ "device", "vendor", 1, 0, 0, s_vendor },
	{ "device", "model", 1, 0, 0, s_model },
	{ "device", "firmware", 1, 0, 0, s_firmware },
	{ "device", "kind", 0, 0, 0, s_kind },
	{ "device", "flow", 1, 1, 0, s_flow },
	{ "device", "auth", 1, 1, 0, s_auth },
	{ "tls", "versions", 1, 1, 0, s_versions },
	{ "tls", "ciphers", 1, 1, 1, s_ciphers },
	{ "tls", "sigalgs", 0, 1, 1, s_sigalgs },
	{ "tls", "sni", 1, 1, 0, s_sni },
	{ "certificates", "sig_hashes", 1, 1, 0, s_hashes },
	{ "certificates", "rsa_min_bits", 1, 1, 0, s_rsa_min },
	{ "certificates", "rsa_max_bits", 1, 1, 0, s_rsa_max },
	{ "certificates", "ecdsa", 1, 1, 0, s_ecdsa },
	{ "certificates", "curves", 0, 1, 0, s_curves },
	{ "certificates", "wildcard", 1, 1, 0, s_wildcard },
	{ "certificates", "names", 1, 1, 0, s_names },
	{ "certificates", "max_chain_depth", 1, 1, 0, s_depth },
	{ "certificates", "aia_fetch", 1, 1, 0, s_aia },
	{ "certificates", "check_eku", 0, 1, 0, s_eku },
	{ "certificates", "check_validity", 0, 1, 0, s_validity },
	{ "dhcp", "vendor_class", 0, 1, 0, s_vclass },
	{ "dhcp", "request", 0, 1, 0, s_request },
	{ "time", "boot_clock", 0, 1, 0, s_boot_clock },
	{ "sipae", "version", 0, 1, 0, s_sipae_version },
	{ "sipae", "ntlm_flags", 0, 1, 0, s_ntlm_flags },
};
#define N_KEYS (sizeof(keys) / sizeof(keys[0]))
_Static_assert(N_KEYS <= 64, "parse.seen is too small");

static int fail(struct parse *ps, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int fail(struct parse *ps, const char *fmt, ...)
{
	va_list ap;

	if (ps->msg[0])
		return 0;       /* the first error wins */
	ps->msg_line = ps->line;
	va_start(ap, fmt);
	vsnprintf(ps->msg, sizeof(ps->msg), fmt, ap);
	va_end(ap);
	return 0;
}

/* A confidence a file may write: not "disputed", which a [disputed] line
 * makes; "defined" only where allow_defined. */
static int parse_confidence(struct span s, int allow_defined, enum pb_confidence *c)
{
	static const enum pb_confidence ok[] = {
		PB_CONF_DOCUMENTED, PB_CONF_REPORTED, PB_CONF_MEASURED,
		PB_CONF_ASSUMED, PB_CONF_DEFINED,
	};
	unsigned i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (ok[i] == PB_CONF_DEFINED && !allow_defined)
			continue;
		if (span_ieq(s, pb_confidence_str(ok[i]))) {
			*c = ok[i];
			return 0;
		}
	}
	return -1;
}

/* The index of fact "section.key" in keys[], or N_KEYS. */
static size_t fact_key(const char *name)
{
	size_t k;

	for (k = 0; k < N_KEYS; k++) {
		size_t sl = strlen(keys[k].section);
		if (keys[k].fact && !strncmp(name, keys[k].section, sl) &&
		    name[sl] == '.' && !strcmp(name + sl + 1, keys[k].name))
			break;
	}
	return k;
}

static char *join(char *old, const char *more)
{
	size_t ol = strlen(old), vl = strlen(more);
	char *joined = malloc(ol + vl + 2);

	if (!joined)
		return NULL;
	memcpy(joined, old, ol);
	joined[ol] = ' ';
	memcpy(joined + ol + 1, more, vl + 1);
	free(old);
	return joined;
}

/* [disputed] section.key = value | confidence | citation: the other reading
 * of a fact; the value is checked with the key's own setter. */
static int on_disputed(struct parse *ps, const char *name, const char *value)
{
	struct rd r = rd_init(value, strlen(value));
	struct span val, conf, cite;
	struct disp *d, *grown;
	struct pb_profile *scratch;
	enum pb_confidence c;
	const char *e;
	size_t i, k = fact_key(name);

	if (k == N_KEYS)
		return fail(ps, "[disputed] '%s' is not a device fact "
			    "(expected section.key, e.g. certificates.sig_hashes)", name);
	for (i = 0; i < ps->n_disp; i++) {
		/* an indented continuation line of a long citation */
		if (ps->disp[i].key == k) {
			char *j = join(ps->disp[i].citation, value);
			if (!j)
				return fail(ps, "out of memory");
			ps->disp[i].citation = j;
			return 1;
		}
	}
	val = span_trim(rd_take_until(&r, "|"));
	if (!rd_take_char(&r, '|'))
		return fail(ps, "[disputed] %s: expected 'value | documented|reported|"
			    "measured|assumed | citation'", name);
	conf = span_trim(rd_take_until(&r, "|"));
	if (!rd_take_char(&r, '|') || parse_confidence(conf, 0, &c) < 0)
		return fail(ps, "[disputed] %s: expected 'value | documented|reported|"
			    "measured|assumed | citation'", name);
	cite = span_trim(rd_take_until(&r, ""));
	if (val.len == 0 || cite.len == 0)
		return fail(ps, "[disputed] %s: the other reading needs a value and a "
			    "citation", name);
	if (!(scratch = calloc(1, sizeof(*scratch))))
		return fail(ps, "out of memory");
	{
		char *v = span_dup(val);

		e = v ? keys[k].set(scratch, v) : "memory";
		if (e)
			fail(ps, "[disputed] %s = '%s': expected %s", name, v ? v : "", e);
		free(v);
	}
	pb_profile_free(scratch);
	if (e)
		return 0;
	grown = realloc(ps->disp, (ps->n_disp + 1) * sizeof(*grown));
	if (!grown)
		return fail(ps, "out of memory");
	ps->disp = grown;
	d = &grown[ps->n_disp];
	d->key = k;
	d->confidence = c;
	d->line = ps->line;
	d->value = span_dup(val);
	d->citation = span_dup(cite);
	ps->n_disp++;
	if (!d->value || !d->citation)
		return fail(ps, "out of memory");
	return 1;
}

static int on_source(struct parse *ps, const char *name, const char *value)
{
	struct rd r = rd_init(value, strlen(value));
	struct span conf, cite;
	struct pb_source *s, *grown;
	enum pb_confidence c;
	size_t i, k = fact_key(name);

	if (k == N_KEYS)
		return fail(ps, "[sources] '%s' is not a device fact "
			    "(expected section.key, e.g. tls.versions)", name);
	for (i = 0; i < ps->p->n_sources; i++) {
		/* an indented continuation line of a long citation */
		if (!strcmp(ps->p->sources[i].fact, name)) {
			char *j = join(ps->p->sources[i].citation, value);
			if (!j)
				return fail(ps, "out of memory");
			ps->p->sources[i].citation = j;
			return 1;
		}
	}
	conf = span_trim(rd_take_until(&r, "|"));
	if (span_ieq(conf, "disputed"))
		return fail(ps, "[sources] %s: a fact is disputed by a [disputed] line "
			    "giving its other reading; here give the strict reading's "
			    "own confidence", name);
	if (!rd_take_char(&r, '|') || parse_confidence(conf, 1, &c) < 0)
		return fail(ps, "[sources] %s: expected 'documented|reported|measured|"
			    "assumed | citation' ('defined' in a definition)", name);
	cite = span_trim(rd_take_until(&r, ""));
	if (cite.len == 0)
		return fail(ps, "[sources] %s: the citation is empty (say where the "
			    "fact comes from, or why it is assumed)", name);
	grown = realloc(ps->p->sources, (ps->p->n_sources + 1) * sizeof(*grown));
	if (!grown)
		return fail(ps, "out of memory");
	ps->p->sources = grown;
	s = &grown[ps->p->n_sources];
	memset(s, 0, sizeof(*s));
	s->fact = xstrdup(name);
	s->citation = span_dup(cite);
	s->confidence = c;
	if (!s->fact || !s->citation) {
		free(s->fact);
		free(s->citation);
		return fail(ps, "out of memory");
	}
	ps->p->n_sources++;
	return 1;
}

static int on_screen(struct parse *ps, const char *name, const char *value)
{
	unsigned i;

	for (i = 0; i < PB_STEP_COUNT; i++) {
		if (!strcmp(name, pb_step_str((enum pb_step)i))) {
			if (ps->p->screen[i])
				return fail(ps, "[screen] '%s' given twice", name);
			if (!(ps->p->screen[i] = xstrdup(value)))
				return fail(ps, "out of memory");
			return 1;
		}
	}
	return fail(ps, "[screen] '%s' is not a step id (expected dhcp, time, device-update, "
		    "locate-dc, download-root, install-root, locate-pool, connect, "
		    "authenticate, register)", name);
}

static int on_key(void *user, const char *section, const char *name,
		  const char *value)
{
	struct parse *ps = user;
	const char *e;
	size_t k;
	int known_section = 0;

	if (!strcmp(section, "sources"))
		return on_source(ps, name, value);
	if (!strcmp(section, "disputed"))
		return ps->strict ? 1 : on_disputed(ps, name, value);
	if (!strcmp(section, "screen"))
		return on_screen(ps, name, value);
	for (k = 0; k < N_KEYS; k++) {
		if (strcmp(keys[k].section, section))
			continue;
		known_section = 1;
		if (strcmp(keys[k].name, name))
			continue;
		if (ps->seen[k]++ && !keys[k].list)
			return fail(ps, "[%s] '%s' given twice", section, name);
		if (ps->strict && keys[k].fact) {
			/* the other reading: the disputed value replaces every line */
			char fact[64];
			const struct pb_source *src;

			snprintf(fact, sizeof(fact), "%s.%s", section, name);
			src = pb_profile_source(ps->strict, fact);
			if (src && src->other_value) {
				if (ps->seen[k] > 1)
					return 1;
				value = src->other_value;
			}
		}
		if ((e = keys[k].set(ps->p, value)))
			return fail(ps, "[%s] %s = '%s': expected %s", section, name,
				    value, e);
		return 1;
	}
	if (!known_section)
		return fail(ps, "unknown section [%s] (expected device, tls, "
			    "certificates, dhcp, screen, sources, disputed)", section);
	return fail(ps, "unknown key '%s' in [%s]", name, section);
}

/* inih's line reader (fgets-like), counting lines for messages. */
static char *next_line(char *str, int num, void *stream)
{
	struct parse *ps = stream;
	struct span l;
	size_t n;

	if (rd_eof(&ps->text) || num < 2)
		return NULL;
	if (!rd_take_line(&ps->text, &l))
		l = rd_take_until(&ps->text, "");
	n = l.len < (size_t)num - 2 ? l.len : (size_t)num - 2;
	memcpy(str, l.p, n);
	str[n] = '\n';
	str[n + 1] = '\0';
	ps->line++;
	return str;
}

static void defaults(struct pb_profile *p)
{
	p->check_eku = 1;
	p->check_validity = 1;
	p->san = 1;
}

/* Checks that need the whole file: required keys, sources, coherence. */
static int finish(struct parse *ps)
{
	struct pb_profile *p = ps->p;
	size_t k;

	for (k = 0; k < N_KEYS; k++) {
		char fact[64];

		if (keys[k].required && !ps->seen[k])
			return fail(ps, "missing required key '%s' in [%s]",
				    keys[k].name, keys[k].section);
		if (!keys[k].fact || !ps->seen[k])
			continue;
		snprintf(fact, sizeof(fact), "%s.%s", keys[k].section, keys[k].name);
		if (!pb_profile_source(p, fact))
			return fail(ps, "fact %s has no entry in [sources] (cite it, "
				    "or mark it 'assumed | why')", fact);
	}
	for (k = 0; k < p->n_sources; k++) {
		const struct pb_source *src = &p->sources[k];

		if (!ps->seen[fact_key(src->fact)])
			return fail(ps, "[sources] %s: the fact is not set in this file",
				    src->fact);
		if (p->definition && src->confidence != PB_CONF_DEFINED)
			return fail(ps, "[sources] %s: a definition (kind = definition) "
				    "has only 'defined' facts", src->fact);
		if (!p->definition && src->confidence == PB_CONF_DEFINED)
			return fail(ps, "[sources] %s: 'defined' is for a definition "
				    "(kind = definition), not a device", src->fact);
	}
	for (k = 0; k < ps->n_disp; k++) {
		struct disp *d = &ps->disp[k];
		char fact[64];
		struct pb_source *src;

		snprintf(fact, sizeof(fact), "%s.%s", keys[d->key].section,
			 keys[d->key].name);
		src = (struct pb_source *)pb_profile_source(p, fact);
		if (!src || !ps->seen[d->key])
			return fail(ps, "[disputed] %s: the fact needs its strict value "
				    "and an entry in [sources]", fact);
		if (p->definition)
			return fail(ps, "[disputed] %s: a definition has no disputed "
				    "facts", fact);
		src->other_value = d->value;
		src->other_citation = d->citation;
		src->other_confidence = d->confidence;
		d->value = d->citation = NULL;
	}
	if (p->rsa_max_bits && p->rsa_min_bits > p->rsa_max_bits)
		return fail(ps, "[certificates] rsa_min_bits is above rsa_max_bits");
	if (p->ecdsa && !p->curves)
		return fail(ps, "[certificates] ecdsa = yes needs curves");
	return 1;
}

static void disp_free(struct parse *ps)
{
	size_t i;

	for (i = 0; i < ps->n_disp; i++) {
		free(ps->disp[i].value);
		free(ps->disp[i].citation);
	}
	free(ps->disp);
	ps->disp = NULL;
	ps->n_disp = 0;
}

static int has_disputes(const struct pb_profile *p)
{
	size_t i;

	for (i = 0; i < p->n_sources; i++)
		if (p->sources[i].other_value)
			return 1;
	return 0;
}

/* One pass of inih over copy (NUL-terminated, lines checked). With strict
 * set, the facts disputed in strict take their other reading. */
static enum pb_err parse_pass(const char *name, const char *copy, size_t len,
			      const struct pb_profile *strict,
			      struct pb_profile **out, char *err, size_t errlen)
{
	struct parse ps;
	enum pb_err rc = PB_ERR_PARSE;
	int line;

	memset(&ps, 0, sizeof(ps));
	ps.file = name;
	ps.strict = strict;
	if (!(ps.p = calloc(1, sizeof(*ps.p))) || !(ps.p->path = xstrdup(name))) {
		snprintf(err, errlen, "%s: out of memory", name);
		rc = PB_ERR_NOMEM;
		goto out;
	}
	defaults(ps.p);
	ps.text = rd_init(copy, len);
	line = ini_parse_stream(next_line, &ps, on_key, &ps);
	if (line < 0) {
		snprintf(err, errlen, "%s: could not be read", name);
		goto out;
	}
	if (line > 0) {
		/* inih reports the first bad line; a syntax error there calls no
		 * handler, so our message (if any) is about a later line */
		if (!ps.msg[0] || ps.msg_line != line)
			snprintf(ps.msg, sizeof(ps.msg), "syntax error (expected "
				 "[section] or key = value)");
		snprintf(err, errlen, "%s:%d: %s", name, line, ps.msg);
		goto out;
	}
	if (!finish(&ps)) {
		snprintf(err, errlen, "%s: %s%s", name,
			 strict ? "under the other reading of its disputed facts: " : "",
			 ps.msg);
		goto out;
	}
	*out = ps.p;
	ps.p = NULL;
	rc = PB_OK;
out:
	disp_free(&ps);
	pb_profile_free(ps.p);
	return rc;
}

enum pb_err pb_profile_parse(const char *name, const char *text, size_t len,
			     struct pb_profile **out, char *err, size_t errlen)
{
	struct pb_profile *p = NULL;
	enum pb_err rc = PB_ERR_PARSE;
	char *copy = NULL;

	if (memchr(text, '\0', len)) {
		snprintf(err, errlen, "%s: not a text file (NUL byte)", name);
		return PB_ERR_PARSE;
	}
	if (!(copy = malloc(len + 1))) {
		snprintf(err, errlen, "%s: out of memory", name);
		return PB_ERR_NOMEM;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	{
		/* inih reads lines of at most 199 characters: say so, rather
		 * than let it split a long line into a confusing error */
		struct rd r = rd_init(copy, len);
		struct span l;
		int n = 0;

		while (!rd_eof(&r)) {
			if (!rd_take_line(&r, &l))
				l = rd_take_until(&r, "");
			n++;
			if (l.len > 198) {
				snprintf(err, errlen, "%s:%d: line longer than 198 characters "
					 "(continue a list or a citation on an indented "
					 "next line)", name, n);
				goto out;
			}
		}
	}
	if ((rc = parse_pass(name, copy, len, NULL, &p, err, errlen)) != PB_OK)
		goto out;
	/* the other reading: the same file, disputed facts replaced */
	if (has_disputes(p) &&
	    (rc = parse_pass(name, copy, len, p, &p->other, err, errlen)) != PB_OK)
		goto out;
	*out = p;
	p = NULL;
	rc = PB_OK;
out:
	free(copy);
	pb_profile_free(p);
	return rc;
}

enum pb_err pb_profile_load(const char *path, struct pb_profile **out,
			    char *err, size_t errlen)
{
	char *buf;
	size_t n;
	enum pb_err rc = file_read(path, 1 << 20, "profile file", &buf, &n, err,
				   errlen);

	if (rc != PB_OK)
		return rc;
	rc = pb_profile_parse(path, buf, n, out, err, errlen);
	free(buf);
	return rc;
}

void pb_profile_free(struct pb_profile *p)
{
	size_t i;

	if (!p)
		return;
	free(p->id);
	free(p->name);
	free(p->vendor);
	free(p->model);
	free(p->firmware);
	free(p->path);
	free(p->dhcp_vendor_class);
	for (i = 0; i < p->n_ciphers; i++)
		free(p->ciphers[i]);
	for (i = 0; i < p->n_sigalgs; i++)
		free(p->sigalgs[i]);
	for (i = 0; i < PB_STEP_COUNT; i++)
		free(p->screen[i]);
	for (i = 0; i < p->n_sources; i++) {
		free(p->sources[i].fact);
		free(p->sources[i].citation);
		free(p->sources[i].other_value);
		free(p->sources[i].other_citation);
	}
	free(p->sources);
	pb_profile_free(p->other);
	free(p);
}

const struct pb_source *pb_profile_source(const struct pb_profile *p,
					  const char *fact)
{
	size_t i;

	for (i = 0; i < p->n_sources; i++)
		if (!strcmp(p->sources[i].fact, fact))
			return &p->sources[i];
	return NULL;
}

enum pb_confidence pb_profile_confidence(const struct pb_profile *p,
					 const char *fact)
{
	const struct pb_source *s = pb_profile_source(p, fact);

	if (!s)
		return p->definition ? PB_CONF_DEFINED : PB_CONF_ASSUMED;
	return s->other_value ? PB_CONF_DISPUTED : s->confidence;
}

size_t pb_profile_count(const struct pb_profile *p, size_t counts[PB_CONF_COUNT])
{
	size_t i;

	for (i = 0; i < p->n_sources; i++)
		counts[pb_profile_confidence(p, p->sources[i].fact)]++;
	return p->n_sources;
}

static int by_id(const void *a, const void *b)
{
	const struct pb_profile *const *x = a, *const *y = b;

	return strcmp((*x)->id, (*y)->id);
}

enum pb_err pb_catalog_load(const char *dir, struct pb_catalog **out,
			    char *err, size_t errlen)
{
	struct pb_catalog *c;
	struct dirent **names = NULL;
	enum pb_err rc = PB_OK;
	int n, i;

	if (!(c = calloc(1, sizeof(*c)))) {
		snprintf(err, errlen, "out of memory");
		return PB_ERR_NOMEM;
	}
	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		free(c);
		return PB_ERR_IO;
	}
	for (i = 0; i < n; i++) {
		const char *nm = names[i]->d_name;
		size_t l = strlen(nm);
		char path[4096];
		struct pb_profile *p, **grown;

		if (rc != PB_OK || l < 5 || strcmp(nm + l - 4, ".ini"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, nm);
		if ((rc = pb_profile_load(path, &p, err, errlen)) != PB_OK)
			continue;
		if (pb_catalog_find(c, p->id)) {
			snprintf(err, errlen, "%s: id '%s' is used by another profile",
				 path, p->id);
			pb_profile_free(p);
			rc = PB_ERR_PARSE;
			continue;
		}
		if (!(grown = realloc(c->items, (c->n + 1) * sizeof(*grown)))) {
			pb_profile_free(p);
			rc = PB_ERR_NOMEM;
			continue;
		}
		c->items = grown;
		c->items[c->n++] = p;
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (rc != PB_OK) {
		pb_catalog_free(c);
		return rc;
	}
	if (c->n)
		qsort(c->items, c->n, sizeof(*c->items), by_id);
	*out = c;
	return PB_OK;
}

void pb_catalog_free(struct pb_catalog *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n; i++)
		pb_profile_free(c->items[i]);
	free(c->items);
	free(c);
}

const struct pb_profile *pb_catalog_find(const struct pb_catalog *c,
					 const char *id)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->items[i]->id, id))
			return c->items[i];
	return NULL;
}
