/* A bounds-checked reader over a byte span. Every parser of phoneboot
 * (profile values, SIP headers, digest challenges) reads through it: no
 * pointer arithmetic on input outside this file. Nothing is copied; spans
 * point into the input, which must outlive them. */
#ifndef PB_CORE_RD_H
#define PB_CORE_RD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rd {
	const char *p;
	size_t len, off;
};

struct span {
	const char *p;
	size_t len;
};

static inline struct rd rd_init(const char *p, size_t len)
{
	struct rd r = { p, len, 0 };
	return r;
}
static inline bool rd_eof(const struct rd *r) { return r->off >= r->len; }
static inline size_t rd_left(const struct rd *r) { return r->len - r->off; }
/* Next byte, or -1 at the end. */
static inline int rd_peek(const struct rd *r)
{
	return rd_eof(r) ? -1 : (unsigned char)r->p[r->off];
}

void rd_skip_ws(struct rd *r);                 /* spaces and tabs */
bool rd_take_char(struct rd *r, char c);        /* consume c if next */
/* Take bytes up to (not including) any byte of stop, or the end. */
struct span rd_take_until(struct rd *r, const char *stop);
/* Take a token: bytes for which ok(c) is true. */
struct span rd_take_while(struct rd *r, bool (*ok)(int c));
/* Take a line ending in CRLF or LF (terminator consumed, not returned).
 * Returns false if no terminator is found before the end. */
bool rd_take_line(struct rd *r, struct span *line);
/* Take a quoted-string ("..." with \ escapes); the span excludes quotes
 * and still holds the escapes. False if not a well-formed quoted string. */
bool rd_take_quoted(struct rd *r, struct span *out);

/* Binary input (network byte order, RFC 1700 "Data Notations"): take one
 * byte, a 16- or 32-bit big-endian integer, or n raw bytes (out may be
 * NULL to skip them). False, and nothing consumed, when fewer are left. */
bool rd_take_u8(struct rd *r, uint8_t *v);
bool rd_take_be16(struct rd *r, uint16_t *v);
bool rd_take_be32(struct rd *r, uint32_t *v);
bool rd_take_bytes(struct rd *r, void *out, size_t n);
/* Consume lit if the input continues with it (exact bytes). */
bool rd_take_str(struct rd *r, const char *lit);

struct span span_trim(struct span s);
bool span_eq(struct span s, const char *lit);          /* exact */
bool span_ieq(struct span s, const char *lit);         /* ASCII case-insensitive */
/* Decimal unsigned, whole span, no sign, <= max. */
bool span_to_uint(struct span s, unsigned long max, unsigned long *out);
/* Malloc'd NUL-terminated copy, or NULL. */
char *span_dup(struct span s);

#endif
