/* phoneboot matrix USER@DOMAIN --profile ID... --path NAME=dns:IP[,IP]...
 *
 * Every profile on every network path, all cells booted at once on one
 * loop (a fleet whose phone i is cell i), then one table: a row per
 * profile, a column per path, each cell "signed in (server)" or the
 * primary cause (step/cause). The founding case reads as the CX700
 * failing on the internal path and signing in on the external one while
 * a modern phone does the opposite (issue 12; docs/fleet.md). The options
 * are rows of src/opts.c (the command's row is in main.c). */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet_cli.h"

/* the rows of --profile and --path in src/opts.c say the same */
#define MAX_PROFILES 32
#define MAX_PATHS 16
#define MAX_DNS 8

struct path {
	char name[64];
	const char *dns[MAX_DNS];
	size_t n_dns;
	char buf[512];
	char iface[IF_NAMESIZE];
	unsigned char mac[6];
	int has_mac;
	const char *spec;
};

struct cell {
	char *outcome, *target, *step, *cause, *summary;
};

struct matrix {
	char user[256], *domain;
	const struct pb_profile *profiles[MAX_PROFILES];
	struct pb_profile *owned[MAX_PROFILES];
	size_t n_profiles;
	struct path paths[MAX_PATHS];
	size_t n_paths;
	struct pb_catalog *cat;
	struct pb_trust *roots;
	char *password;
	unsigned auth;
	unsigned long attempts, timeout, conc;
	time_t now;
	struct cell *cells;
	FILE *jsonl;
	int over;
};

static void parse_path(struct matrix *m, const char *arg)
{
	struct path *p = &m->paths[m->n_paths];
	const char *eq = strchr(arg, '=');
	const char *spec;

	if (m->n_paths == MAX_PATHS)     /* the table's bound: never */
		die_usage("matrix: at most %d --path", MAX_PATHS);
	if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof(p->name))
		die_usage("matrix: --path '%s': expected NAME=dns:SERVER[,SERVER] or "
			  "NAME=dhcp:IFACE[:MAC]", arg);
	memcpy(p->name, arg, (size_t)(eq - arg));
	p->name[eq - arg] = '\0';
	spec = eq + 1;
	p->spec = spec;
	if (!strncmp(spec, "dns:", 4)) {
		char *s;

		if (strlen(spec + 4) >= sizeof(p->buf) || !spec[4])
			die_usage("matrix: --path '%s': expected dns:SERVER[,SERVER]", arg);
		snprintf(p->buf, sizeof(p->buf), "%s", spec + 4);
		for (s = p->buf; *s;) {
			size_t n = strcspn(s, ",");

			if (!n || p->n_dns == MAX_DNS)
				die_usage("matrix: --path '%s': expected dns:SERVER[,SERVER] (at "
					  "most %d)", arg, MAX_DNS);
			p->dns[p->n_dns++] = s;
			s += n;
			if (*s)
				*s++ = '\0';
		}
	} else if (!strncmp(spec, "dhcp:", 5)) {
		const char *ifc = spec + 5, *colon = strchr(ifc, ':');
		size_t n = colon ? (size_t)(colon - ifc) : strlen(ifc);

		if (!n || n >= sizeof(p->iface))
			die_usage("matrix: --path '%s': expected dhcp:IFACE[:MAC]", arg);
		memcpy(p->iface, ifc, n);
		p->iface[n] = '\0';
		if (!if_nametoindex(p->iface))
			die_usage("matrix: --path '%s': no interface %s here", arg, p->iface);
		if (colon) {
			if (fleet_parse_mac(colon + 1, p->mac) < 0)
				die_usage("matrix: --path '%s': MAC: expected xx:xx:xx:xx:xx:xx", arg);
			p->has_mac = 1;
		}
	} else {
		die_usage("matrix: --path '%s': expected NAME=dns:SERVER[,SERVER] or "
			  "NAME=dhcp:IFACE[:MAC]", arg);
	}
	m->n_paths++;
}

/* cell i: profile i / n_paths, path i % n_paths */
static enum pb_err phone_cb(void *arg, size_t i, struct pb_logon_opts *o, void **data,
			    char *err, size_t errlen)
{
	struct matrix *m = arg;
	const struct path *p = &m->paths[i % m->n_paths];

	(void)err;
	(void)errlen;
	(void)data;
	o->user = m->user;
	o->domain = m->domain;
	o->profile = m->profiles[i / m->n_paths];
	o->catalog = m->cat;
	o->password = m->password;
	o->device_roots = m->roots;
	o->auth = m->auth;
	o->attempts = (unsigned)m->attempts;
	o->timeout_ms = (unsigned)m->timeout;
	o->now = m->now ? m->now : time(NULL);
	o->time_set = m->now != 0;      /* --time: the device's clock, over NTP's */
	o->label = p->name;
	if (p->n_dns) {
		o->dns = p->dns;
		o->n_dns = p->n_dns;
	} else {
		o->dhcp_iface = p->iface;
		if (p->has_mac) {
			memcpy(o->mac, p->mac, 6);
			o->has_mac = 1;
		}
	}
	return PB_OK;
}

static char *dup_str(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? strdup(v) : NULL;
}

static void done_cb(void *arg, size_t i, void *data, json_t *line)
{
	struct matrix *m = arg;
	struct cell *c = &m->cells[i];
	const json_t *d = json_object_get(line, "diagnosis");

	(void)data;
	if (!line)
		return;
	c->outcome = dup_str(line, "outcome");
	c->target = dup_str(line, "target");
	if (json_is_object(d)) {
		c->step = dup_str(d, "step");
		c->cause = dup_str(d, "cause");
		c->summary = dup_str(d, "summary");
	} else if (json_is_string(json_object_get(line, "error"))) {
		c->cause = dup_str(line, "error");
	}
	if (m->jsonl) {
		json_object_set_new(line, "path", json_string(m->paths[i % m->n_paths].name));
		json_dumpf(line, m->jsonl, JSON_COMPACT | JSON_PRESERVE_ORDER);
		fputc('\n', m->jsonl);
	}
}

static void over_cb(void *arg)
{
	((struct matrix *)arg)->over = 1;
}

static int signed_in(const struct cell *c)
{
	return c->outcome && !strcmp(c->outcome, "signed-in");
}

/* What a cell says: "signed in (server)", "step/cause", or the outcome. */
static void cell_text(const struct cell *c, char *buf, size_t len)
{
	if (signed_in(c))
		snprintf(buf, len, "signed in (%s)", c->target ? c->target : "?");
	else if (c->step && c->cause)
		snprintf(buf, len, "%s/%s", c->step, c->cause);
	else
		snprintf(buf, len, "%s%s%s", c->outcome ? c->outcome : "not booted",
			 c->cause ? ": " : "", c->cause ? c->cause : "");
}

static void render_text(const struct matrix *m)
{
	size_t w0 = strlen("profile"), w[MAX_PATHS], r, k;
	char buf[512];

	for (r = 0; r < m->n_profiles; r++)
		if (strlen(m->profiles[r]->id) > w0)
			w0 = strlen(m->profiles[r]->id);
	for (k = 0; k < m->n_paths; k++) {
		w[k] = strlen(m->paths[k].name) + strlen(m->paths[k].spec) + 3;
		for (r = 0; r < m->n_profiles; r++) {
			cell_text(&m->cells[r * m->n_paths + k], buf, sizeof(buf));
			if (strlen(buf) > w[k])
				w[k] = strlen(buf);
		}
	}
	printf("phoneboot matrix %s@%s%s\n", m->user, m->domain,
	       m->auth ? " (authentication overridden by --auth)" : "");
	printf("%-*s", (int)w0, "profile");
	for (k = 0; k < m->n_paths; k++) {
		snprintf(buf, sizeof(buf), "%s (%s)", m->paths[k].name, m->paths[k].spec);
		printf("  %-*s", (int)w[k], buf);
	}
	printf("\n");
	for (r = 0; r < m->n_profiles; r++) {
		printf("%-*s", (int)w0, m->profiles[r]->id);
		for (k = 0; k < m->n_paths; k++) {
			cell_text(&m->cells[r * m->n_paths + k], buf, sizeof(buf));
			printf("  %-*s", (int)w[k], buf);
		}
		printf("\n");
	}
}

static json_t *to_json(const struct matrix *m)
{
	json_t *doc, *profiles = json_array(), *paths = json_array(), *cells = json_array();
	size_t r, k;
	char id[600];
	int all = 1;

	for (r = 0; r < m->n_profiles; r++)
		json_array_append_new(profiles, json_string(m->profiles[r]->id));
	for (k = 0; k < m->n_paths; k++)
		json_array_append_new(paths, json_pack("{s:s,s:s}", "name", m->paths[k].name,
						       "spec", m->paths[k].spec));
	for (r = 0; r < m->n_profiles; r++)
		for (k = 0; k < m->n_paths; k++) {
			const struct cell *c = &m->cells[r * m->n_paths + k];
			char text[512];

			cell_text(c, text, sizeof(text));
			all &= signed_in(c);
			json_array_append_new(cells, json_pack("{s:s,s:s,s:s?,s:s?,s:s?,s:s?,s:s?,s:s}",
				"profile", m->profiles[r]->id, "path", m->paths[k].name,
				"outcome", c->outcome, "target", c->target, "step", c->step,
				"cause", c->cause, "summary", c->summary, "text", text));
		}
	snprintf(id, sizeof(id), "%s@%s", m->user, m->domain);
	doc = json_pack("{s:s,s:s,s:s,s:o,s:o,s:o,s:b,s:b}", "tool", "phoneboot", "version",
			PB_VERSION, "identity", id, "profiles", profiles, "paths", paths,
			"cells", cells, "auth_overridden", m->auth != 0, "all_signed_in", all);
	return doc;
}

static int render_html_page(const struct matrix *m, const char *path)
{
	FILE *f = fopen(path, "w");
	size_t r, k;
	char buf[512];

	if (!f)
		return -1;
	fputs("<!doctype html><html><head><meta charset=\"utf-8\"><title>phoneboot matrix"
	      "</title><style>body{font-family:sans-serif;max-width:80em;margin:auto}"
	      "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.4em;"
	      "text-align:left;vertical-align:top}td.ok{background:#dfd}td.ko{background:#fdd}"
	      "small{color:#555}</style></head><body>\n<h1>phoneboot matrix ", f);
	fleet_html_esc(f, m->user);
	fputs("@", f);
	fleet_html_esc(f, m->domain);
	fputs("</h1>\n<table><tr><th>profile</th>", f);
	for (k = 0; k < m->n_paths; k++) {
		fputs("<th>", f);
		fleet_html_esc(f, m->paths[k].name);
		fputs("<br><small>", f);
		fleet_html_esc(f, m->paths[k].spec);
		fputs("</small></th>", f);
	}
	fputs("</tr>\n", f);
	for (r = 0; r < m->n_profiles; r++) {
		fputs("<tr><th>", f);
		fleet_html_esc(f, m->profiles[r]->id);
		fputs("<br><small>", f);
		fleet_html_esc(f, m->profiles[r]->name);
		fputs("</small></th>", f);
		for (k = 0; k < m->n_paths; k++) {
			const struct cell *c = &m->cells[r * m->n_paths + k];

			cell_text(c, buf, sizeof(buf));
			fprintf(f, "<td class=\"%s\"><b>", signed_in(c) ? "ok" : "ko");
			fleet_html_esc(f, buf);
			fputs("</b>", f);
			if (c->summary) {
				fputs("<br><small>", f);
				fleet_html_esc(f, c->summary);
				fputs("</small>", f);
			}
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n</body></html>\n", f);
	return fclose(f) == 0 ? 0 : -1;
}

/* The options (parsed and bounds-checked by cli_parse()), checked
 * together, into m; dies on a usage error, before anything is held. */
static void matrix_opts(const struct cli_args *a, struct matrix *m)
{
	const struct opt_val *paths = &a->v[OPT_PATH];
	char *at;
	size_t i, k;

	if (a->n_pos != 1)
		die_usage("matrix: expected one USER@DOMAIN; see phoneboot matrix --help");
	snprintf(m->user, sizeof(m->user), "%s", a->pos[0]);
	at = strchr(m->user, '@');
	if (!at || at == m->user || !at[1] || strchr(at + 1, '@'))
		die_usage("matrix: '%s': expected USER@DOMAIN", a->pos[0]);
	*at = '\0';
	m->domain = at + 1;
	if (!a->v[OPT_PROFILE].n)
		die_usage("matrix: give at least one --profile ID (phoneboot profiles lists them)");
	if (a->v[OPT_PROFILE].n > MAX_PROFILES)
		die_usage("matrix: at most %d --profile", MAX_PROFILES);
	m->n_profiles = a->v[OPT_PROFILE].n;
	for (i = 0; i < paths->n; i++)
		parse_path(m, paths->list[i]);
	if (!m->n_paths)
		die_usage("matrix: give at least one --path NAME=dns:SERVER or NAME=dhcp:IFACE");
	for (i = 0; i < m->n_paths; i++)
		for (k = 0; k < i; k++)
			if (!strcmp(m->paths[i].name, m->paths[k].name))
				die_usage("matrix: two paths named '%s'", m->paths[i].name);
	m->auth = fleet_auth_bits(opt_str(a, OPT_AUTH));
	/* 0: the library's defaults (2 cycles, 2000 ms); all cells at once */
	m->attempts = opt_uint(a, OPT_ATTEMPTS, 0);
	m->timeout = opt_uint(a, OPT_TIMEOUT, 0);
	m->now = opt_set(a, OPT_TIME) ? a->v[OPT_TIME].time : 0;
	m->conc = opt_uint(a, OPT_CONCURRENCY, 0);
}

/* Every cell on one loop; each cell's outcome lands in m->cells. */
static enum pb_err run_cells(struct matrix *m, size_t n_cells)
{
	struct pb_fleet_conf fc;
	struct pb_engine *eng = NULL;
	struct pb_fleet *fleet = NULL;
	const char *msg;
	uv_loop_t loop;
	char err[512];
	enum pb_err rc;

	if (uv_loop_init(&loop) < 0)
		return cli_error(PB_ERR_NOMEM, "matrix: out of memory");
	if ((rc = pb_engine_new(&loop, &eng)) != PB_OK) {
		uv_loop_close(&loop);
		return cli_error(rc, "matrix: out of memory");
	}
	memset(&fc, 0, sizeof(fc));
	fc.count = n_cells;
	fc.concurrency = (unsigned)m->conc;
	fc.phone = phone_cb;
	fc.done = done_cb;
	fc.over = over_cb;
	fc.arg = m;
	if ((rc = pb_fleet_new(eng, &fc, &fleet, err, sizeof(err))) != PB_OK) {
		cli_error(rc == PB_ERR_NOMEM ? rc : PB_ERR_INTERNAL, "matrix: %s", err);
		rc = rc == PB_ERR_NOMEM ? rc : PB_ERR_INTERNAL;
	} else {
		pb_fleet_start(fleet);
		while (!m->over && uv_run(&loop, UV_RUN_ONCE))
			;
		/* msg lives in the fleet */
		if ((rc = pb_fleet_error(fleet, &msg)) != PB_OK) {
			rc = rc == PB_ERR_USAGE ? rc : PB_ERR_INTERNAL;
			cli_error(rc, "matrix: %s", msg);
		}
		pb_fleet_free(fleet);
	}
	pb_engine_free(eng);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	return rc;
}

/* The table as the options ask: JSON (stdout, or a file and the text),
 * the text, HTML; *verdict from the cells. */
static enum pb_err output(const struct cli_args *a, const struct matrix *m, size_t n_cells,
			  int *verdict)
{
	const char *json_to = opt_str(a, OPT_JSON), *html_to = opt_str(a, OPT_HTML);
	json_t *doc = to_json(m);
	enum pb_err rc = PB_OK;
	size_t i;

	if (!doc)
		return cli_error(PB_ERR_NOMEM, "matrix: out of memory");
	if (opt_set(a, OPT_JSON)) {
		FILE *f = json_to ? fopen(json_to, "w") : stdout;

		if (!f) {
			rc = cli_error(PB_ERR_IO, "matrix: --json=%s: %s", json_to,
				       strerror(errno));
			goto out;
		}
		json_dumpf(doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
		fputc('\n', f);
		if (json_to) {
			fclose(f);
			render_text(m);
		}
	} else {
		render_text(m);
	}
	if (html_to && render_html_page(m, html_to) < 0) {
		rc = cli_error(PB_ERR_IO, "matrix: --html %s: %s", html_to, strerror(errno));
		goto out;
	}
	for (i = 0; i < n_cells; i++)
		if (m->cells[i].outcome && !strcmp(m->cells[i].outcome, "internal-error")) {
			rc = cli_error(PB_ERR_INTERNAL, "matrix: the cell %s on %s met "
				       "phoneboot's own failure (outcome internal-error)",
				       m->profiles[i / m->n_paths]->id,
				       m->paths[i % m->n_paths].name);
			goto out;
		}
	*verdict = json_is_true(json_object_get(doc, "all_signed_in")) ? EXIT_OK : EXIT_FAILED;
out:
	json_decref(doc);
	return rc;
}

enum pb_err cmd_matrix(const struct cli_args *a, int *verdict)
{
	const char *roots_file = opt_set(a, OPT_DEVICE_ROOTS) ? opt_str(a, OPT_DEVICE_ROOTS)
							      : getenv("PHONEBOOT_DEVICE_ROOTS");
	const char *jsonl_to = opt_str(a, OPT_JSONL);
	struct matrix *m = calloc(1, sizeof(*m));
	char err[512];
	enum pb_err rc = PB_OK;
	size_t i, n_cells = 0;

	if (!m)
		return cli_error(PB_ERR_NOMEM, "matrix: out of memory");
	matrix_opts(a, m);
	n_cells = m->n_profiles * m->n_paths;
	if (!m->conc || m->conc > n_cells)
		m->conc = n_cells;
	fleet_check_nofile("matrix", (unsigned)m->conc);
	m->cat = catalog_or_die();
	for (i = 0; i < m->n_profiles; i++)
		m->profiles[i] = profile_arg(m->cat, a->v[OPT_PROFILE].list[i], &m->owned[i]);
	if (roots_file && *roots_file) {
		if ((rc = pb_trust_new(&m->roots)) != PB_OK) {
			cli_error(rc, "matrix: out of memory");
			goto out;
		}
		if ((rc = pb_trust_add_file(m->roots, roots_file, err, sizeof(err))) != PB_OK) {
			cli_error(rc, "matrix: device roots: %s", err);
			goto out;
		}
	}
	m->password = fleet_password("matrix", opt_str(a, OPT_PASSWORD_FILE));
	if (jsonl_to && !(m->jsonl = fopen(jsonl_to, "w"))) {
		rc = cli_error(PB_ERR_IO, "matrix: --jsonl %s: %s", jsonl_to, strerror(errno));
		goto out;
	}
	if (!(m->cells = calloc(n_cells, sizeof(*m->cells)))) {
		rc = cli_error(PB_ERR_NOMEM, "matrix: out of memory");
		goto out;
	}
	if ((rc = run_cells(m, n_cells)) == PB_OK)
		rc = output(a, m, n_cells, verdict);
out:
	if (m->jsonl)
		fclose(m->jsonl);
	for (i = 0; m->cells && i < n_cells; i++) {
		free(m->cells[i].outcome);
		free(m->cells[i].target);
		free(m->cells[i].step);
		free(m->cells[i].cause);
		free(m->cells[i].summary);
	}
	free(m->cells);
	fleet_secret_free(m->password);
	pb_trust_free(m->roots);
	for (i = 0; i < m->n_profiles; i++)
		pb_profile_free(m->owned[i]);
	pb_catalog_free(m->cat);
	free(m);
	return rc;
}
