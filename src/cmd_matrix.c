/* phoneboot matrix USER@DOMAIN --profile ID... --path NAME=dns:IP[,IP]...
 *
 * Every profile on every network path, all cells booted at once on one
 * loop (a fleet whose phone i is cell i), then one table: a row per
 * profile, a column per path, each cell "signed in (server)" or the
 * primary cause (step/cause). The founding case reads as the CX700
 * failing on the internal path and signing in on the external one while
 * a modern phone does the opposite (issue 12; docs/fleet.md). */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet_cli.h"

#define MAX_PROFILES 32
#define MAX_PATHS 16
#define MAX_DNS 8

static void help(void)
{
	printf("usage: phoneboot matrix USER@DOMAIN --profile ID|FILE... \n"
	       "                        --path NAME=dns:SERVER[:PORT][,SERVER...]...\n"
	       "                        --path NAME=dhcp:IFACE[:MAC]... [options]\n"
	       "\n"
	       "Boot the user's phone as every profile on every network path, all at\n"
	       "once on one loop, and show one table: a row per profile, a column per\n"
	       "path, each cell 'signed in (server)' or the step and cause that stopped it.\n"
	       "\n"
	       "  --profile ID|FILE      a device (repeatable; at most %d)\n"
	       "  --path NAME=dns:S[,S]  a path: these DNS servers (repeatable; at most %d)\n"
	       "  --path NAME=dhcp:IFACE[:MAC]  a path: a DHCP exchange on IFACE (root),\n"
	       "                         as the phone with MAC (a reservation)\n"
	       "  --password-file FILE   the password (else $PHONEBOOT_PASSWORD, else a\n"
	       "                         prompt); never on the command line\n"
	       "  --device-roots FILE    the firmware's built-in roots ($PHONEBOOT_DEVICE_ROOTS)\n"
	       "  --auth SCHEME          digest|ntlm|kerberos|certificate|tls-dsk, every cell\n"
	       "  --attempts N           boot cycles per cell (default 2)\n"
	       "  --timeout MS           every network wait (default 2000)\n"
	       "  --time ISO8601         the devices' clock (default: now)\n"
	       "  --concurrency C        cells in flight at most (default: all)\n"
	       "  --jsonl FILE           every cell's report, JSON Lines\n"
	       "  --json[=FILE]          the table as JSON\n"
	       "  --html FILE            the table as an HTML page\n"
	       "\n"
	       "Exit: 0 when every cell signs in, 1 otherwise, 2 usage, 3 internal.\n",
	       MAX_PROFILES, MAX_PATHS);
}

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

	if (m->n_paths == MAX_PATHS)
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

int cmd_matrix(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "path", required_argument, NULL, 'x' },
		{ "password-file", required_argument, NULL, 'P' },
		{ "device-roots", required_argument, NULL, 'r' },
		{ "auth", required_argument, NULL, 'A' },
		{ "attempts", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 'o' },
		{ "time", required_argument, NULL, 't' },
		{ "concurrency", required_argument, NULL, 'C' },
		{ "jsonl", required_argument, NULL, 'l' },
		{ "json", optional_argument, NULL, 'j' },
		{ "html", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *profile_args[MAX_PROFILES], *pwfile = NULL, *json_to = NULL;
	const char *html_to = NULL, *jsonl_to = NULL;
	const char *roots_file = getenv("PHONEBOOT_DEVICE_ROOTS");
	struct matrix *m = calloc(1, sizeof(*m));
	struct pb_fleet_conf fc;
	struct pb_engine *eng = NULL;
	struct pb_fleet *fleet = NULL;
	const char *msg;
	uv_loop_t loop;
	char err[512], *at;
	int opt, json = 0, rc = EXIT_OK;
	size_t i, n_cells;
	enum pb_err ferr;

	if (!m)
		return EXIT_INTERNAL;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (opt) {
		case 'p':
			if (m->n_profiles == MAX_PROFILES)
				die_usage("matrix: at most %d --profile", MAX_PROFILES);
			profile_args[m->n_profiles++] = optarg;
			break;
		case 'x': parse_path(m, optarg); break;
		case 'P': pwfile = optarg; break;
		case 'r': roots_file = optarg; break;
		case 'A': m->auth = fleet_auth_arg("matrix", optarg); break;
		case 'n':
			if (fleet_parse_ulong(optarg, 1, 20, &m->attempts) < 0)
				die_usage("matrix: --attempts '%s': expected 1..20", optarg);
			break;
		case 'o':
			if (fleet_parse_ulong(optarg, 10, 60000, &m->timeout) < 0)
				die_usage("matrix: --timeout '%s': expected 10..60000 ms", optarg);
			break;
		case 't':
			if (parse_time(optarg, &m->now) < 0)
				die_usage("matrix: --time '%s': expected YYYY-MM-DD or "
					  "YYYY-MM-DDTHH:MM:SSZ", optarg);
			break;
		case 'C':
			if (fleet_parse_ulong(optarg, 1, 100000, &m->conc) < 0)
				die_usage("matrix: --concurrency '%s': expected 1..100000", optarg);
			break;
		case 'l': jsonl_to = optarg; break;
		case 'j': json = 1; json_to = optarg; break;
		case 'H': html_to = optarg; break;
		case 'h': help(); free(m); return EXIT_OK;
		default: free(m); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1)
		die_usage("matrix: expected one USER@DOMAIN; see --help");
	snprintf(m->user, sizeof(m->user), "%s", argv[optind]);
	at = strchr(m->user, '@');
	if (!at || at == m->user || !at[1] || strchr(at + 1, '@'))
		die_usage("matrix: '%s': expected USER@DOMAIN", argv[optind]);
	*at = '\0';
	m->domain = at + 1;
	if (!m->n_profiles)
		die_usage("matrix: give at least one --profile ID (phoneboot profiles lists them)");
	if (!m->n_paths)
		die_usage("matrix: give at least one --path NAME=dns:SERVER or NAME=dhcp:IFACE");
	for (i = 0; i < m->n_paths; i++) {
		size_t k;

		for (k = 0; k < i; k++)
			if (!strcmp(m->paths[i].name, m->paths[k].name))
				die_usage("matrix: two paths named '%s'", m->paths[i].name);
	}
	n_cells = m->n_profiles * m->n_paths;
	if (!m->conc || m->conc > n_cells)
		m->conc = n_cells;
	fleet_check_nofile("matrix", (unsigned)m->conc);
	m->cat = catalog_or_die();
	for (i = 0; i < m->n_profiles; i++)
		m->profiles[i] = profile_arg(m->cat, profile_args[i], &m->owned[i]);
	if (roots_file && *roots_file) {
		if (pb_trust_new(&m->roots) != PB_OK ||
		    pb_trust_add_file(m->roots, roots_file, err, sizeof(err)) != PB_OK)
			die_usage("matrix: device roots: %s", err);
	}
	m->password = fleet_password("matrix", pwfile);
	if (jsonl_to && !(m->jsonl = fopen(jsonl_to, "w")))
		die_usage("matrix: --jsonl %s: %s", jsonl_to, strerror(errno));
	if (!(m->cells = calloc(n_cells, sizeof(*m->cells))) || uv_loop_init(&loop) < 0 ||
	    pb_engine_new(&loop, &eng) != PB_OK) {
		fprintf(stderr, "phoneboot: matrix: internal error: out of memory\n");
		return EXIT_INTERNAL;
	}
	memset(&fc, 0, sizeof(fc));
	fc.count = n_cells;
	fc.concurrency = (unsigned)m->conc;
	fc.phone = phone_cb;
	fc.done = done_cb;
	fc.over = over_cb;
	fc.arg = m;
	if (pb_fleet_new(eng, &fc, &fleet, err, sizeof(err)) != PB_OK) {
		fprintf(stderr, "phoneboot: matrix: internal error: %s\n", err);
		return EXIT_INTERNAL;
	}
	pb_fleet_start(fleet);
	while (!m->over && uv_run(&loop, UV_RUN_ONCE))
		;
	ferr = pb_fleet_error(fleet, &msg);
	pb_fleet_free(fleet);
	pb_engine_free(eng);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	if (m->jsonl)
		fclose(m->jsonl);
	if (ferr != PB_OK) {
		fprintf(stderr, "phoneboot: matrix: %s%s\n",
			ferr == PB_ERR_USAGE ? "" : "internal error: ", msg);
		rc = ferr == PB_ERR_USAGE ? EXIT_USAGE : EXIT_INTERNAL;
		goto out;
	}
	{
		json_t *doc = to_json(m);

		if (json) {
			FILE *f = json_to ? fopen(json_to, "w") : stdout;

			if (!f)
				die_usage("matrix: --json=%s: %s", json_to, strerror(errno));
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
			fprintf(stderr, "phoneboot: matrix: --html %s: %s\n", html_to,
				strerror(errno));
			rc = EXIT_USAGE;
		} else {
			rc = json_is_true(json_object_get(doc, "all_signed_in")) ? EXIT_OK
										  : EXIT_FAILED;
		}
		for (i = 0; i < n_cells; i++)
			if (m->cells[i].outcome && !strcmp(m->cells[i].outcome, "internal-error"))
				rc = EXIT_INTERNAL;
		json_decref(doc);
	}
out:
	for (i = 0; i < n_cells; i++) {
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
