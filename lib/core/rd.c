#include "core/rd.h"

#include <stdlib.h>
#include <string.h>

void rd_skip_ws(struct rd *r)
{
	while (!rd_eof(r) && (r->p[r->off] == ' ' || r->p[r->off] == '\t'))
		r->off++;
}

bool rd_take_char(struct rd *r, char c)
{
	if (rd_eof(r) || r->p[r->off] != c)
		return false;
	r->off++;
	return true;
}

struct span rd_take_until(struct rd *r, const char *stop)
{
	struct span s = { r->p + r->off, 0 };
	size_t nstop = strlen(stop);

	/* memchr, not strchr: strchr would match a NUL byte of the input */
	while (!rd_eof(r) && !memchr(stop, r->p[r->off], nstop))
		r->off++;
	s.len = (size_t)(r->p + r->off - s.p);
	return s;
}

struct span rd_take_while(struct rd *r, bool (*ok)(int c))
{
	struct span s = { r->p + r->off, 0 };

	while (!rd_eof(r) && ok((unsigned char)r->p[r->off]))
		r->off++;
	s.len = (size_t)(r->p + r->off - s.p);
	return s;
}

bool rd_take_line(struct rd *r, struct span *line)
{
	size_t i;

	for (i = r->off; i < r->len; i++) {
		if (r->p[i] != '\n')
			continue;
		line->p = r->p + r->off;
		line->len = i - r->off;
		if (line->len > 0 && line->p[line->len - 1] == '\r')
			line->len--;
		r->off = i + 1;
		return true;
	}
	return false;
}

bool rd_take_quoted(struct rd *r, struct span *out)
{
	size_t i;

	if (rd_peek(r) != '"')
		return false;
	for (i = r->off + 1; i < r->len; i++) {
		if (r->p[i] == '\\') {
			i++;            /* skip the escaped byte */
			continue;
		}
		if (r->p[i] == '"') {
			out->p = r->p + r->off + 1;
			out->len = i - r->off - 1;
			r->off = i + 1;
			return true;
		}
	}
	return false;
}

struct span span_trim(struct span s)
{
	while (s.len > 0 && (s.p[0] == ' ' || s.p[0] == '\t')) {
		s.p++;
		s.len--;
	}
	while (s.len > 0 && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t'))
		s.len--;
	return s;
}

bool span_eq(struct span s, const char *lit)
{
	size_t n = strlen(lit);

	return n == s.len && memcmp(s.p, lit, n) == 0;
}

static int lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

bool span_ieq(struct span s, const char *lit)
{
	size_t i, n = strlen(lit);

	if (n != s.len)
		return false;
	for (i = 0; i < n; i++)
		if (lower((unsigned char)s.p[i]) != lower((unsigned char)lit[i]))
			return false;
	return true;
}

bool span_to_uint(struct span s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	if (s.len == 0 || s.len > 20)
		return false;
	for (i = 0; i < s.len; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
		if (v > (max - (unsigned long)(s.p[i] - '0')) / 10)
			return false;
		v = v * 10 + (unsigned long)(s.p[i] - '0');
	}
	*out = v;
	return true;
}

char *span_dup(struct span s)
{
	char *d = malloc(s.len + 1);

	if (!d)
		return NULL;
	memcpy(d, s.p, s.len);
	d[s.len] = '\0';
	return d;
}

bool rd_take_bytes(struct rd *r, void *out, size_t n)
{
	if (rd_left(r) < n)
		return false;
	if (out && n)
		memcpy(out, r->p + r->off, n);
	r->off += n;
	return true;
}

bool rd_take_u8(struct rd *r, uint8_t *v)
{
	return rd_take_bytes(r, v, 1);
}

bool rd_take_be16(struct rd *r, uint16_t *v)
{
	uint8_t b[2];

	if (!rd_take_bytes(r, b, 2))
		return false;
	*v = (uint16_t)(b[0] << 8 | b[1]);
	return true;
}

bool rd_take_be32(struct rd *r, uint32_t *v)
{
	uint8_t b[4];

	if (!rd_take_bytes(r, b, 4))
		return false;
	*v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	return true;
}

bool rd_take_str(struct rd *r, const char *lit)
{
	size_t n = strlen(lit);

	if (rd_left(r) < n || memcmp(r->p + r->off, lit, n))
		return false;
	r->off += n;
	return true;
}
