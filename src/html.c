/* --html FILE: the logon report as one self-contained HTML page, rendered
 * from the same JSON report as --json. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

static void esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

static const char *str(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "";
}

static void steps(FILE *f, json_t *list)
{
	json_t *st;
	size_t i;

	fputs("<table><tr><th>ms</th><th>step</th><th>screen</th><th>result</th>"
	      "<th>cause</th><th>facts</th></tr>\n", f);
	json_array_foreach(list, i, st) {
		char *facts = json_dumps(json_object_get(st, "facts"), JSON_INDENT(1));

		fprintf(f, "<tr class=\"%s\"><td>%.1f</td><td>", str(st, "result"),
			json_real_value(json_object_get(st, "ms")));
		esc(f, str(st, "step"));
		fputs("</td><td>", f);
		esc(f, str(st, "screen"));
		fputs("</td><td>", f);
		esc(f, str(st, "result"));
		fputs("</td><td>", f);
		esc(f, str(st, "cause"));
		if (*str(st, "detail")) {
			fputs("<br><small>", f);
			esc(f, str(st, "detail"));
			fputs("</small>", f);
		}
		fputs("</td><td><details><summary>facts</summary><pre>", f);
		esc(f, facts);
		fputs("</pre></details></td></tr>\n", f);
		free(facts);
	}
	fputs("</table>\n", f);
}

int render_html(json_t *doc, const char *path)
{
	FILE *f = fopen(path, "w");
	json_t *d = json_object_get(doc, "diagnosis"), *x, *alt;
	size_t i;

	if (!f)
		return -1;
	fputs("<!doctype html><html><head><meta charset=\"utf-8\"><title>phoneboot: ", f);
	esc(f, str(doc, "identity"));
	fputs("</title><style>body{font-family:sans-serif;max-width:70em;margin:auto}"
	      "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;"
	      "padding:.3em;vertical-align:top;text-align:left}tr.fail{background:#fdd}"
	      "tr.skipped{color:#888}.verified{color:#070;font-weight:bold}</style>"
	      "</head><body>\n<h1>phoneboot logon ", f);
	esc(f, str(doc, "identity"));
	fputs("</h1>\n<p>Profile <b>", f);
	esc(f, str(json_object_get(doc, "profile"), "id"));
	fputs("</b> (", f);
	esc(f, str(json_object_get(doc, "profile"), "name"));
	fprintf(f, "). Outcome: <b>%s</b> after %lld cycle(s)", str(doc, "outcome"),
		json_integer_value(json_object_get(doc, "cycles")));
	if (*str(doc, "target")) {
		fputs(", through ", f);
		esc(f, str(doc, "target"));
	}
	fputs(".</p>\n<h2>The last cycle</h2>\n", f);
	steps(f, json_object_get(doc, "steps"));
	if (json_is_object(d)) {
		fputs("<h2>Diagnosis</h2>\n<p><b>", f);
		esc(f, str(d, "step"));
		fputs(" / ", f);
		esc(f, str(d, "cause"));
		fputs("</b>", f);
		json_array_foreach(json_object_get(d, "also"), i, x) {
			fputs(i ? ", " : " (also ", f);
			esc(f, json_string_value(x));
		}
		if (json_array_size(json_object_get(d, "also")))
			fputs(")", f);
		fputs("</p>\n<p>", f);
		esc(f, str(d, "summary"));
		fputs("</p>\n<ul>", f);
		json_array_foreach(json_object_get(d, "evidence"), i, x) {
			fputs("<li>", f);
			esc(f, json_string_value(x));
			fputs("</li>", f);
		}
		fputs("</ul>\n", f);
	}
	if (json_array_size(json_object_get(doc, "remedies"))) {
		fputs("<h2>Remedies</h2>\n<ul>", f);
		json_array_foreach(json_object_get(doc, "remedies"), i, x) {
			fputs("<li><b>", f);
			esc(f, str(x, "remedy"));
			fputs("</b> ", f);
			if (json_is_true(json_object_get(x, "verified")))
				fputs("<span class=\"verified\">verified</span> ", f);
			esc(f, str(x, "summary"));
			fputs("</li>", f);
		}
		fputs("</ul>\n", f);
	}
	alt = json_object_get(doc, "alternative");
	if (alt) {
		fprintf(f, "<h2>The boot with the alternative DNS servers: %s</h2>\n",
			str(alt, "outcome"));
		steps(f, json_object_get(alt, "steps"));
	}
	fputs("</body></html>\n", f);
	return fclose(f) == 0 ? 0 : -1;
}
