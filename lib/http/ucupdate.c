/* The Device Update request and answer: see ucupdate.h. Both forms are
 * phoneboot's reading of unpublished formats (docs/device-update.md). */
#include <stdio.h>
#include <string.h>

#include "core/rd.h"
#include "http/ucupdate.h"

/* Append s to buf, XML-escaped (XML 1.0 section 2.4). */
static int put_text(char *buf, size_t cap, size_t *off, const char *s)
{
	for (; s && *s; s++) {
		const char *e = NULL;
		char one[2] = { *s, 0 };
		size_t n;

		switch (*s) {
		case '&': e = "&amp;"; break;
		case '<': e = "&lt;"; break;
		case '>': e = "&gt;"; break;
		case '"': e = "&quot;"; break;
		default: e = one; break;
		}
		n = strlen(e);
		if (*off + n >= cap)
			return -1;
		memcpy(buf + *off, e, n);
		*off += n;
	}
	buf[*off] = '\0';
	return 0;
}

static int put_raw(char *buf, size_t cap, size_t *off, const char *s)
{
	size_t n = strlen(s);

	if (*off + n >= cap)
		return -1;
	memcpy(buf + *off, s, n + 1);
	*off += n;
	return 0;
}

static int element(char *buf, size_t cap, size_t *off, const char *tag, const char *v)
{
	return put_raw(buf, cap, off, "  <") || put_raw(buf, cap, off, tag) ||
	       put_raw(buf, cap, off, ">") || put_text(buf, cap, off, v ? v : "") ||
	       put_raw(buf, cap, off, "</") || put_raw(buf, cap, off, tag) ||
	       put_raw(buf, cap, off, ">\n") ? -1 : 0;
}

size_t ucupdate_request(char *buf, size_t cap, const struct ucupdate_device *d)
{
	size_t off = 0, i;

	if (!cap)
		return 0;
	buf[0] = '\0';
	if (put_raw(buf, cap, &off, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Request>\n") ||
	    element(buf, cap, &off, "DeviceType", d->device_type) ||
	    element(buf, cap, &off, "MacAddress", d->mac) ||
	    element(buf, cap, &off, "SerialNumber", d->serial) ||
	    element(buf, cap, &off, "Vendor", d->vendor) ||
	    element(buf, cap, &off, "Model", d->model) ||
	    element(buf, cap, &off, "Revision", d->revision) ||
	    element(buf, cap, &off, "Locale", d->locale) ||
	    put_raw(buf, cap, &off, "  <Modules>\n"))
		return 0;
	for (i = 0; i < d->n_modules; i++)
		if (put_raw(buf, cap, &off, "    <Module name=\"") ||
		    put_text(buf, cap, &off, d->module_names[i]) ||
		    put_raw(buf, cap, &off, "\" version=\"") ||
		    put_text(buf, cap, &off, d->module_versions[i]) ||
		    put_raw(buf, cap, &off, "\"/>\n"))
			return 0;
	if (put_raw(buf, cap, &off, "  </Modules>\n</Request>\n"))
		return 0;
	return off;
}

/* Find "<tag" followed by '>' or '/' or a space at or after r's offset;
 * leave r after the '>' of the start tag. *empty: "<tag/>". */
static int find_start(struct rd *r, const char *tag, int *empty)
{
	while (!rd_eof(r)) {
		struct span s;
		int c;

		rd_take_until(r, "<");
		if (!rd_take_char(r, '<'))
			return -1;
		if (!rd_take_str(r, tag))
			continue;
		c = rd_peek(r);
		if (c != '>' && c != '/' && c != ' ')
			continue;
		s = rd_take_until(r, ">");
		if (!rd_take_char(r, '>'))
			return -1;
		*empty = s.len > 0 && s.p[s.len - 1] == '/';
		return 0;
	}
	return -1;
}

/* The text of <tag>...</tag> (no markup inside) into out; 0, -1 absent,
 * -2 malformed or too long. */
static int text_of(const char *body, size_t len, size_t from, const char *tag, char *out,
		   size_t cap, size_t *next)
{
	struct rd r = rd_init(body, len);
	struct span t;
	int empty;

	r.off = from;
	if (find_start(&r, tag, &empty) < 0)
		return -1;
	if (empty) {
		out[0] = '\0';
		*next = r.off;
		return 0;
	}
	t = rd_take_until(&r, "<");
	if (!rd_take_char(&r, '<') || !rd_take_char(&r, '/') || !rd_take_str(&r, tag))
		return -2;
	t = span_trim(t);
	if (t.len >= cap)
		return -2;
	memcpy(out, t.p, t.len);
	out[t.len] = '\0';
	*next = r.off;
	return 0;
}

int ucupdate_parse(const char *body, size_t len, struct ucupdate_offer *out, char *err,
		   size_t errlen)
{
	struct ucupdate_offer o;
	struct rd r = rd_init(body, len);
	size_t at = 0;
	int empty, rc;

	memset(&o, 0, sizeof(o));
	if (find_start(&r, "Response", &empty) < 0 || empty) {
		snprintf(err, errlen, "no <Response> element");
		return -1;
	}
	at = r.off;
	r = rd_init(body, len);
	r.off = at;
	if (find_start(&r, "NoUpdate", &empty) == 0) {
		*out = o;
		return 0;
	}
	r = rd_init(body, len);
	r.off = at;
	if (find_start(&r, "Update", &empty) < 0 || empty) {
		snprintf(err, errlen, "neither <Update> nor <NoUpdate/> in the answer");
		return -1;
	}
	o.update = 1;
	at = r.off;
	if ((rc = text_of(body, len, at, "BaseUrl", o.base_url, sizeof(o.base_url), &at)) < 0 ||
	    !o.base_url[0]) {
		snprintf(err, errlen, "%s", rc == -2 ? "a malformed <BaseUrl>" : "the update names no <BaseUrl>");
		return -1;
	}
	if ((rc = text_of(body, len, at, "Version", o.version, sizeof(o.version), &at)) < 0) {
		snprintf(err, errlen, "%s", rc == -2 ? "a malformed <Version>" : "the update names no <Version>");
		return -1;
	}
	while (o.n_files < UCUPDATE_MAX_FILES &&
	       (rc = text_of(body, len, at, "File", o.files[o.n_files], sizeof(o.files[0]),
			     &at)) == 0)
		o.n_files++;
	if (rc == -2) {
		snprintf(err, errlen, "a malformed <File>");
		return -1;
	}
	*out = o;
	return 0;
}
