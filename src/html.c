/* --html FILE: the logon report as one self-contained HTML page (no script,
 * no fetch: a Content-Security-Policy forbids both), with a ladder diagram
 * in inline SVG for the boot and for the remedy's boot. Every string from
 * the report is escaped: labels and facts come from the network. */
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* Text and attribute values: the five XML specials, and control
 * characters (never valid in a page) as U+FFFD. At most max code points
 * (0: all), then an ellipsis. */
static void esc_n(FILE *f, const char *s, size_t max)
{
	size_t n = 0;

	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c & 0xc0) != 0x80 && max && n++ == max) {
			fputs("…", f);
			return;
		}
		switch (c) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			if (c < 0x20 && c != '\n' && c != '\t')
				fputs("&#xfffd;", f);
			else
				fputc(c, f);
		}
	}
}

static void esc(FILE *f, const char *s)
{
	esc_n(f, s, 0);
}

static size_t utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* ---- the ladder ---- */

#define LEFT 78      /* the time column */
#define BOXW 200     /* a column's title */
#define GAP 212      /* between two lifelines, at least (titles never overlap) */
#define MAXLABEL 80  /* characters of a label shown; the rest on hover */
#define HEAD 56      /* the column titles */
#define ROWH 24
#define CHARW 6.7    /* 11px monospace */

/* The columns: the phone, then each peer in order of first appearance. */
static size_t columns(const struct rep_boot *b, const char **cols, size_t max)
{
	size_t i, k, n = 0;

	cols[n++] = "phone";
	for (i = 0; i < b->n_ex; i++) {
		for (k = 1; k < n && strcmp(cols[k], b->ex[i].peer); k++)
			;
		if (k == n && n < max)
			cols[n++] = b->ex[i].peer;
	}
	return n;
}

static size_t column_of(const char **cols, size_t n, const char *peer)
{
	size_t k;

	for (k = 1; k < n; k++)
		if (!strcmp(cols[k], peer))
			return k;
	return 0;
}

/* Where each lifeline goes: every arrow starts or ends at the phone's, so
 * a server's lifeline is as far from it as its longest label needs (up to
 * MAXLABEL characters), and at least GAP from the one before. */
static void lifelines(const struct rep_boot *b, const char **cols, size_t n, double *x)
{
	size_t i, k;

	x[0] = LEFT + BOXW / 2.0;
	for (k = 1; k < n; k++) {
		size_t longest = 0;

		for (i = 0; i < b->n_ex; i++)
			if (!strcmp(b->ex[i].peer, cols[k]) && utf8_len(b->ex[i].label) > longest)
				longest = utf8_len(b->ex[i].label);
		if (longest > MAXLABEL)
			longest = MAXLABEL;
		x[k] = x[0] + (double)longest * CHARW + 24;
		if (x[k] < x[k - 1] + GAP)
			x[k] = x[k - 1] + GAP;
	}
}

static void arrow(FILE *f, const struct rep_exchange *x, double a, double b, double y)
{
	double from = x->out ? a : b, to = x->out ? b : a;
	double dir = to > from ? 1 : -1;
	size_t room = (size_t)((b - a - 16) / CHARW);

	fprintf(f, "<g class=\"arrow%s\" data-cycle=\"%u\"><title>", x->failed ? " fail" : "",
		x->cycle);
	esc(f, x->step);
	fputs(": ", f);
	esc(f, x->label);
	fprintf(f, "</title><text class=\"ms\" x=\"%d\" y=\"%.0f\">%.1f ms</text>"
		"<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>"
		"<polygon points=\"%.0f,%.0f %.0f,%.0f %.0f,%.0f\"/>",
		LEFT - 8, y + 4, x->ms, from, y, to - dir * 8, y,
		to, y, to - dir * 9, y - 4.5, to - dir * 9, y + 4.5);
	if (x->failed)
		fprintf(f, "<text class=\"x\" x=\"%.0f\" y=\"%.0f\">✕</text>", to - dir * 18,
			y + 4);
	fprintf(f, "<text class=\"label\" x=\"%.0f\" y=\"%.0f\">", (a + b) / 2, y - 4);
	esc_n(f, x->label, utf8_len(x->label) > room ? room - 1 : 0);
	fputs("</text></g>\n", f);
}

static void ladder(FILE *f, const struct rep_boot *b, const char *id)
{
	const char *cols[32];
	size_t n = columns(b, cols, sizeof(cols) / sizeof(cols[0])), i, rows = 0;
	unsigned cycle = 0;
	double w, h, y, x[32];

	if (!b->n_ex) {
		fputs("<p>No message was exchanged.</p>\n", f);
		return;
	}
	for (i = 0; i < b->n_ex; i++)
		rows += 1 + (b->ex[i].cycle != (i ? b->ex[i - 1].cycle : 0));
	lifelines(b, cols, n, x);
	w = x[n - 1] + BOXW / 2.0 + 10;
	h = HEAD + (double)rows * ROWH + 16;
	fprintf(f, "<div class=\"scroll\"><svg class=\"ladder\" id=\"%s\" "
		"xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
		"viewBox=\"0 0 %.0f %.0f\" data-arrows=\"%zu\" role=\"img\" "
		"aria-label=\"ladder diagram: %zu messages\">\n", id, w, h, w, h, b->n_ex,
		b->n_ex);
	for (i = 0; i < n; i++) {
		fprintf(f, "<g class=\"col\"><rect x=\"%.0f\" y=\"8\" width=\"%d\" height=\"30\" "
			"rx=\"4\"/><text x=\"%.0f\" y=\"28\">", x[i] - BOXW / 2.0, BOXW, x[i]);
		esc_n(f, cols[i], utf8_len(cols[i]) > 28 ? 27 : 0);
		fprintf(f, "</text><line class=\"life\" x1=\"%.0f\" y1=\"38\" x2=\"%.0f\" "
			"y2=\"%.0f\"/></g>\n", x[i], x[i], h - 6);
	}
	y = HEAD;
	for (i = 0; i < b->n_ex; i++) {
		const struct rep_exchange *e = &b->ex[i];

		if (e->cycle != cycle) {
			cycle = e->cycle;
			fprintf(f, "<g class=\"cycle\"><line x1=\"4\" y1=\"%.0f\" x2=\"%.0f\" "
				"y2=\"%.0f\"/><text x=\"6\" y=\"%.0f\">cycle %u</text></g>\n",
				y + 4, w - 4, y + 4, y + 17, cycle);
			y += ROWH;
		}
		arrow(f, e, x[0], x[column_of(cols, n, e->peer)], y + 8);
		y += ROWH;
	}
	fputs("</svg></div>\n", f);
}

/* ---- the page ---- */

static void steps(FILE *f, const struct rep_boot *b)
{
	static const char *const res[] = { "ok", "fail", "skipped" };
	size_t i;

	fputs("<table><tr><th>ms</th><th>step</th><th>screen</th><th>result</th>"
	      "<th>cause</th><th>facts</th></tr>\n", f);
	for (i = 0; i < b->n_steps; i++) {
		const struct rep_step *s = &b->steps[i];
		char *facts = json_dumps(s->facts, JSON_INDENT(1) | JSON_PRESERVE_ORDER);

		fprintf(f, "<tr class=\"%s\"><td>%.1f</td><td>", res[s->result], s->ms);
		esc(f, s->step);
		fputs("</td><td>", f);
		esc(f, s->screen);
		fprintf(f, "</td><td>%s</td><td>", res[s->result]);
		esc(f, s->cause);
		if (*s->detail) {
			fputs("<br><small>", f);
			esc(f, s->detail);
			fputs("</small>", f);
		}
		fputs("</td><td>", f);
		if (facts && strcmp(facts, "{}")) {
			fputs("<details><summary>facts</summary><pre>", f);
			esc(f, facts);
			fputs("</pre></details>", f);
		}
		fputs("</td></tr>\n", f);
		free(facts);
	}
	fputs("</table>\n", f);
}

static const char *outcome_class(enum rep_outcome o)
{
	return o == RO_SIGNED_IN ? "good" : "bad";
}

static const char style[] =
	"body{font-family:system-ui,sans-serif;max-width:84em;margin:1em auto;padding:0 1em;"
	"color:#222}h1{font-size:1.4em}table{border-collapse:collapse;width:100%}"
	"td,th{border:1px solid #ccc;padding:.3em;vertical-align:top;text-align:left}"
	"tr.fail{background:#fdd}tr.skipped{color:#888}pre{white-space:pre-wrap;margin:0}"
	".good{color:#070;font-weight:bold}.bad{color:#c00;font-weight:bold}"
	".verified{color:#070;font-weight:bold}.scroll{overflow-x:auto}"
	"svg.ladder{font:11px monospace;background:#fcfcfc;border:1px solid #ddd}"
	"svg .col rect{fill:#eef3fa;stroke:#58a}svg .col text{text-anchor:middle;"
	"font-weight:bold;fill:#234}svg .life{stroke:#9ab;stroke-dasharray:4 3}"
	"svg .arrow line{stroke:#333;stroke-width:1.3}svg .arrow polygon{fill:#333}"
	"svg .arrow .label{text-anchor:middle;fill:#111}svg .arrow .ms{text-anchor:end;"
	"fill:#777}svg .arrow.fail line{stroke:#d00;stroke-width:2}"
	"svg .arrow.fail polygon,svg .arrow.fail .label,svg .arrow .x{fill:#d00}"
	"svg .arrow.fail .label{font-weight:bold}svg .cycle line{stroke:#bbb}"
	"svg .cycle text{fill:#666;font-weight:bold}";

int render_html(FILE *f, const struct report *r)
{
	size_t i;

	fputs("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'\"><title>phoneboot: ", f);
	esc(f, r->identity);
	fprintf(f, "</title><style>%s</style></head><body>\n<h1>phoneboot logon ", style);
	esc(f, r->identity);
	fputs("</h1>\n<p>Profile <b>", f);
	esc(f, r->profile_id);
	fputs("</b> (", f);
	esc(f, r->profile_name);
	fprintf(f, ")%s. Outcome: <span class=\"%s\">",
		r->auth_overridden ? ", authentication overridden by --auth" : "",
		outcome_class(r->boot.outcome));
	esc(f, r->boot.outcome_str);
	fprintf(f, "</span> after %u cycle(s)", r->boot.cycles);
	if (*r->boot.target) {
		fputs(", through ", f);
		esc(f, r->boot.target);
	}
	fputs(".</p>\n", f);
	if (r->has_diag) {
		fputs("<h2>Diagnosis</h2>\n<p><b>", f);
		esc(f, r->diag.step);
		fputs(" / ", f);
		esc(f, r->diag.cause);
		fputs("</b>", f);
		for (i = 0; i < r->diag.n_also; i++) {
			fputs(i ? ", " : " (also ", f);
			esc(f, r->diag.also[i]);
		}
		fputs(r->diag.n_also ? ")</p>\n<p>" : "</p>\n<p>", f);
		esc(f, r->diag.summary);
		fputs("</p>\n<ul>", f);
		for (i = 0; i < r->diag.n_evidence; i++) {
			fputs("<li>", f);
			esc(f, r->diag.evidence[i]);
			fputs("</li>", f);
		}
		fputs("</ul>\n", f);
	}
	if (r->n_remedies) {
		fputs("<h2>Remedies</h2>\n<ul>", f);
		for (i = 0; i < r->n_remedies; i++) {
			fputs("<li><b>", f);
			esc(f, r->remedies[i].remedy);
			fputs("</b> ", f);
			if (r->remedies[i].verified)
				fputs("<span class=\"verified\">verified</span> ", f);
			esc(f, r->remedies[i].summary);
			fputs("</li>", f);
		}
		fputs("</ul>\n", f);
	}
	fprintf(f, "<h2>The messages, every cycle</h2>\n<p>Each arrow is one message "
		"between the phone and a server, in time order; failures in red. Hover "
		"an arrow for its whole label.</p>\n");
	ladder(f, &r->boot, "ladder-boot");
	fputs("<h2>The last cycle, step by step</h2>\n", f);
	steps(f, &r->boot);
	if (r->has_alt) {
		fputs("<h2>The remedy's boot, with the alternative DNS servers: <span class=\"", f);
		fputs(outcome_class(r->alt.outcome), f);
		fputs("\">", f);
		esc(f, r->alt.outcome_str);
		fputs("</span></h2>\n", f);
		ladder(f, &r->alt, "ladder-alternative");
		steps(f, &r->alt);
	}
	fputs("</body></html>\n", f);
	return ferror(f) ? -1 : 0;
}
