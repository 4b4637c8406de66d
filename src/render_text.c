/* The report as the terminal shows it: the phone's screen, step by step,
 * the outcome, the diagnosis and the remedies. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"

/* ANSI SGR; empty strings when colour is off */
struct pal {
	const char *screen, *ok, *fail, *dim, *bold, *off;
};

static const struct pal colours = { "\033[1;36m", "\033[32m", "\033[1;31m", "\033[2m",
				    "\033[1m", "\033[0m" };
static const struct pal plain = { "", "", "", "", "", "" };

int want_color(FILE *f)
{
	const char *nc = getenv("NO_COLOR");

	return isatty(fileno(f)) && !(nc && *nc);
}

/* What a step found, in one line; "" when nothing worth a line. */
static void found(const struct rep_step *s, char *buf, size_t len)
{
	size_t i, off;

	buf[0] = '\0';
	if (s->has_lease) {
		const struct rep_lease *l = &s->lease;

		off = (size_t)snprintf(buf, len, "%s from %s; DNS", l->address, l->server);
		for (i = 0; i < l->n_dns && off < len; i++)
			off += (size_t)snprintf(buf + off, len - off, " %s", l->dns[i]);
		if (off < len)
			off += (size_t)snprintf(buf + off, len - off, "; domain %s", l->domain);
		/* option 120 where the device asked for it, or got it anyway */
		if ((l->has_sip || l->asked_sip) && off < len)
			off += (size_t)snprintf(buf + off, len - off, "; SIP server (120)");
		for (i = 0; i < l->n_sip && off < len; i++)
			off += (size_t)snprintf(buf + off, len - off, " %s", l->sip[i]);
		if (!l->has_sip && l->asked_sip && off < len)
			off += (size_t)snprintf(buf + off, len - off, " none");
		if (l->voice_vlan && off < len)
			snprintf(buf + off, len - off, "; voice VLAN %d (not followed)", l->voice_vlan);
	} else if (*s->dc) {
		snprintf(buf, len, "%s", s->dc);
	} else if (s->web_added >= 0 || *s->web_failed) {
		/* download-root, the web enrollment asked (OCPE) */
		off = (size_t)snprintf(buf, len, "%d certificate(s) from the directory; ",
				       s->n_dir_certs < 0 ? 0 : s->n_dir_certs);
		if (off < len && s->web_added >= 0)
			snprintf(buf + off, len - off, "%d new from %.*s", s->web_added,
				 (int)strcspn(s->web_url, "?"), s->web_url);
		else if (off < len)
			snprintf(buf + off, len - off, "the web enrollment failed: %s", s->web_failed);
	} else if (*s->pool) {
		snprintf(buf, len, "%s", s->pool);
	} else if (*s->tls_version) {
		snprintf(buf, len, "%s %s, chain trusted and usable", s->tls_version, s->cipher);
	} else if (*s->status) {
		snprintf(buf, len, "%s%s%s%s%s%s", s->status, *s->scheme ? " (" : "", s->scheme,
			 *s->fallback ? "; " : "", s->fallback, *s->scheme ? ")" : "");
	}
}

static void steps(FILE *f, const struct rep_boot *b, const struct pal *p)
{
	char line[1024];
	size_t i;

	for (i = 0; i < b->n_steps; i++) {
		const struct rep_step *s = &b->steps[i];
		const char *screen = strcmp(s->screen, s->step) ? s->screen : "";

		fprintf(f, "  %7.1f ms  %-13s %s%-43s%s ", s->ms, s->step, p->screen, screen,
			p->off);
		if (s->result == RR_FAIL)
			fprintf(f, "%sFAILED%s  [%s]\n", p->fail, p->off, s->cause);
		else if (s->result == RR_OK)
			fprintf(f, "%sok%s\n", p->ok, p->off);
		else
			fprintf(f, "%sskipped%s\n", p->dim, p->off);
		if (*s->detail) {
			fprintf(f, "  %10s  %-13s %s\n", "", "", s->detail);
		} else if (s->result == RR_OK) {
			found(s, line, sizeof(line));
			if (*line)
				fprintf(f, "  %10s  %-13s %s\n", "", "", line);
		}
	}
}

/* The screen texts the user saw in one cycle, in order. */
static void screen_cycle(const struct rep_boot *b, char *buf, size_t len)
{
	size_t i, off = 0;
	const char *prev = "";

	buf[0] = '\0';
	for (i = 0; i < b->n_steps; i++) {
		const struct rep_step *s = &b->steps[i];

		if (s->result == RR_SKIPPED || !strcmp(s->screen, prev))
			continue;
		prev = s->screen;
		off += (size_t)snprintf(buf + off, len > off ? len - off : 0, "%s%s",
					off ? " → " : "", prev);
	}
}

static void outcome(FILE *f, const struct rep_boot *b, const struct pal *p)
{
	char cyc[1024];

	switch (b->outcome) {
	case RO_SIGNED_IN:
		fprintf(f, "outcome: %ssigned in%s through %s\n", p->ok, p->off, b->target);
		break;
	case RO_LOOP:
		screen_cycle(b, cyc, sizeof(cyc));
		fprintf(f, "outcome: %sLOOP%s — the phone fails the same way every cycle; "
			"its screen shows, again and again:\n  %s%s → (from the top)%s\n",
			p->fail, p->off, p->screen, cyc, p->off);
		break;
	case RO_FAILED:
		fprintf(f, "outcome: %sFAILED%s\n", p->fail, p->off);
		break;
	case RO_OTHER:
		fprintf(f, "outcome: %s%s%s\n", p->fail, b->outcome_str, p->off);
		break;
	}
}

static void diagnosis(FILE *f, const struct report *r, const struct pal *p)
{
	const struct rep_diag *d = &r->diag;
	size_t i;

	if (!r->has_diag)
		return;
	fprintf(f, "\n%sdiagnosis:%s %s / %s", p->bold, p->off, d->step, d->cause);
	for (i = 0; i < d->n_also; i++)
		fprintf(f, "%s%s", i ? " " : " (also ", d->also[i]);
	fprintf(f, "%s\n  %s\n", d->n_also ? ")" : "", d->summary);
	for (i = 0; i < d->n_evidence; i++)
		fprintf(f, "  evidence: %s\n", d->evidence[i]);
}

void render_text(FILE *f, const struct report *r, const struct render_opts *o)
{
	const struct pal *p = o->color ? &colours : &plain;
	size_t i;

	if (o->quiet) {
		outcome(f, &r->boot, p);
		diagnosis(f, r, p);
		return;
	}
	fprintf(f, "phoneboot %s %s as %s (%s)%s%s%s\n", o->command, r->identity,
		r->profile_id, r->profile_name, o->network ? ", " : "",
		o->network ? o->network : "",
		r->auth_overridden ? " (authentication overridden by --auth)" : "");
	if (o->attempts)
		fprintf(f, "cycle %u of %u:\n", r->boot.cycles, o->attempts);
	else
		fprintf(f, "cycle %u:\n", r->boot.cycles);
	steps(f, &r->boot, p);
	outcome(f, &r->boot, p);
	diagnosis(f, r, p);
	if (r->n_remedies) {
		fprintf(f, "\n%sremedies:%s\n", p->bold, p->off);
		for (i = 0; i < r->n_remedies; i++)
			fprintf(f, "  %-20s %s%s\n", r->remedies[i].remedy,
				r->remedies[i].verified ? "[verified] " : "",
				r->remedies[i].summary);
	}
	if (r->has_alt) {
		fprintf(f, "\nthe boot with --alt-dns:%s%s\n", o->alt_network ? " " : "",
			o->alt_network ? o->alt_network : "");
		steps(f, &r->alt, p);
		if (r->alt.outcome == RO_SIGNED_IN)
			outcome(f, &r->alt, p);
		else
			fprintf(f, "outcome: %s%s%s\n", r->alt.outcome_str,
				*r->alt.target ? " through " : "", r->alt.target);
	}
}

int render_json(FILE *f, const struct report *r)
{
	if (json_dumpf(r->doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0)
		return -1;
	return fputc('\n', f) == EOF ? -1 : 0;
}
