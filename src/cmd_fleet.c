/* phoneboot fleet: many phones on one loop (issue 12; docs/fleet.md).
 *
 *   phoneboot fleet --count N --identity FMT --profile ID (--dns S | --dhcp IF) ...
 *   phoneboot fleet --csv FILE [--profile ID] [--dns S | --dhcp IF] ...
 *   phoneboot fleet --merge FILE...
 *
 * The options are rows of src/opts.c (the command's row is in main.c).
 * The library schedules and sums up (phoneboot/fleet.h); this file reads
 * the phones, shows progress, writes the lines and renders the summary. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fleet_cli.h"


struct fleet_cli {
	/* options */
	const char *csv, *ident_fmt, *jsonl_to, *json_to, *html_to, *pwfile;
	const char *roots_file, *profile_arg;
	int json, progress, merge;        /* progress: 0 none, 1 lines, 2 bar */
	unsigned long count, first, conc, attempts, timeout, interval;
	double rate;
	unsigned shard, shards, auth, skip;
	int sign_out;
	const char *client_cert;        /* --client-cert: every phone's (TLS-DSK) */
	const char *const *dns;           /* borrowed from argv */
	size_t n_dns;
	const char *dhcp;
	int has_mac;                      /* --mac: phone n has mac_base + n */
	uint64_t mac_base;
	time_t now;

	/* what the run holds */
	struct pb_catalog *cat;
	struct pb_profile *owned;
	const struct pb_profile *profile;
	struct pb_trust *roots;
	char *password;
	struct fleet_phone *phones;       /* --csv */
	size_t n_phones;
	/* FMT split around its one conversion */
	char pre[256], post[256];
	unsigned width;
	int zero;

	uv_loop_t loop;
	struct pb_engine *eng;
	struct pb_fleet *fleet;
	struct pb_fleet_summary *sum;
	FILE *jsonl;
	uv_timer_t stats;
	uv_signal_t sigint;
	int interrupts, over, write_error;
	uint64_t last_stats;
};

/* FMT: text, one %d with an optional 0 flag and width, text; %% is %.
 * Parsed here rather than handed to printf: a format string from the
 * command line is never a printf format. */
static int parse_fmt(struct fleet_cli *c, const char *fmt)
{
	size_t pre = 0, post = 0;
	int seen = 0;
	const char *p;

	for (p = fmt; *p; p++) {
		char *dst = seen ? c->post : c->pre;
		size_t *n = seen ? &post : &pre;

		if (*p == '%' && p[1] == '%') {
			p++;
		} else if (*p == '%') {
			unsigned long w = 0;

			if (seen)
				return -1;
			p++;
			if (*p == '0') {
				c->zero = 1;
				p++;
			}
			while (*p >= '0' && *p <= '9' && w < 100)
				w = w * 10 + (unsigned long)(*p++ - '0');
			if (*p != 'd' || w > 20)
				return -1;
			c->width = (unsigned)w;
			seen = 1;
			continue;
		}
		if (*n + 1 >= sizeof(c->pre))
			return -1;
		dst[(*n)++] = *p;
		dst[*n] = '\0';
	}
	return seen ? 0 : -1;
}

static void gen_identity(const struct fleet_cli *c, unsigned long num, char *out, size_t len)
{
	char digits[32], pad[32];
	int n = snprintf(digits, sizeof(digits), "%lu", num);
	size_t k = 0;

	while (n >= 0 && (unsigned)n + k < c->width && k < sizeof(pad) - 1)
		pad[k++] = c->zero ? '0' : ' ';
	pad[k] = '\0';
	snprintf(out, len, "%s%s%s%s", c->pre, pad, digits, c->post);
}

static void common_opts(const struct fleet_cli *c, struct pb_logon_opts *o)
{
	o->password = c->password;
	o->device_roots = c->roots;
	o->catalog = c->cat;
	o->auth = c->auth;
	o->attempts = (unsigned)c->attempts;
	o->timeout_ms = (unsigned)c->timeout;
	o->now = c->now ? c->now : time(NULL);
	o->time_set = c->now != 0;      /* --time: the device's clock, over NTP's */
	o->skip_steps = c->skip;
	o->sign_out = c->sign_out;
	o->client_cert = c->client_cert;
	o->dns = c->dns;
	o->n_dns = c->n_dns;
	o->dhcp_iface = c->dhcp;
}

/* --count: the phone's identity lives in *data while it is in flight */
static enum pb_err phone_cb(void *arg, size_t i, struct pb_logon_opts *o, void **data,
			    char *err, size_t errlen)
{
	struct fleet_cli *c = arg;

	common_opts(c, o);
	if (c->phones) {
		const struct fleet_phone *ph = &c->phones[i];

		o->user = ph->user;
		o->domain = ph->domain;
		o->profile = ph->profile;
		if (ph->n_dns) {
			o->dns = ph->dns;
			o->n_dns = ph->n_dns;
			o->dhcp_iface = NULL;
		} else if (ph->dhcp) {
			o->dhcp_iface = ph->dhcp;
			o->n_dns = 0;
		}
		if (ph->has_mac) {
			memcpy(o->mac, ph->mac, 6);
			o->has_mac = 1;
		}
		if (ph->password)
			o->password = ph->password;
	} else {
		char id[600], *domain;

		gen_identity(c, c->first + i, id, sizeof(id));
		if (!(*data = fleet_split_identity(id, &domain))) {
			snprintf(err, errlen, "identity '%s': expected USER@DOMAIN", id);
			return PB_ERR_USAGE;
		}
		o->user = *data;
		o->domain = domain;
		o->profile = c->profile;
		if (c->has_mac) {
			uint64_t m = (c->mac_base + c->first + i) & 0xffffffffffffULL;
			int k;

			for (k = 5; k >= 0; k--, m >>= 8)
				o->mac[k] = (unsigned char)(m & 0xff);
			o->has_mac = 1;
		}
	}
	if (!o->password) {
		free(*data);
		*data = NULL;
		snprintf(err, errlen, "no password");
		return PB_ERR_USAGE;
	}
	return PB_OK;
}

/* ---- progress ---- */

static void done_cb(void *arg, size_t i, void *data, json_t *line)
{
	struct fleet_cli *c = arg;

	(void)i;
	free(data);
	if (!line)
		return;
	pb_fleet_summary_add(c->sum, line);
	if (c->jsonl && json_dumpf(line, c->jsonl, JSON_COMPACT | JSON_PRESERVE_ORDER) == 0) {
		if (fputc('\n', c->jsonl) == EOF)
			c->write_error = 1;
	} else if (c->jsonl) {
		c->write_error = 1;
	}
}

static void over_cb(void *arg)
{
	struct fleet_cli *c = arg;

	c->over = 1;
	uv_timer_stop(&c->stats);
	uv_signal_stop(&c->sigint);
}

static void stats_line(struct fleet_cli *c, FILE *f)
{
	struct pb_fleet_progress p;
	json_t *s = pb_fleet_summary_json(c->sum), *x;
	size_t i;

	pb_fleet_get_progress(c->fleet, &p);
	fprintf(f, "fleet: %.1f s  started %zu/%zu  in flight %zu  signed in %zu  not %zu",
		p.elapsed_s, p.started, p.total, p.in_flight, p.signed_in,
		p.finished - p.signed_in);
	if (json_array_size(json_object_get(s, "causes"))) {
		fprintf(f, " (");
		json_array_foreach(json_object_get(s, "causes"), i, x) {
			if (i == 3) {
				fprintf(f, ", ...");
				break;
			}
			fprintf(f, "%s%s/%s %lld", i ? ", " : "",
				json_string_value(json_object_get(x, "step")),
				json_string_value(json_object_get(x, "cause")),
				(long long)json_integer_value(json_object_get(x, "count")));
		}
		fprintf(f, ")");
	}
	fprintf(f, "  %.1f boots/s", p.elapsed_s > 0 ? (double)p.finished / p.elapsed_s : 0);
	json_array_foreach(json_object_get(s, "steps"), i, x)
		fprintf(f, "  %s %.0f/%.0f/%.0f", json_string_value(json_object_get(x, "step")),
			json_number_value(json_object_get(x, "p50")),
			json_number_value(json_object_get(x, "p95")),
			json_number_value(json_object_get(x, "p99")));
	if (json_array_size(json_object_get(s, "steps")))
		fprintf(f, " ms (p50/p95/p99)");
	fprintf(f, "%s\n", p.stopping ? "  STOPPING" : "");
	json_decref(s);
}

static void bar(struct fleet_cli *c, int last)
{
	struct pb_fleet_progress p;
	char b[41];
	size_t fill, i;

	pb_fleet_get_progress(c->fleet, &p);
	fill = p.total ? p.finished * 40 / p.total : 40;
	for (i = 0; i < 40; i++)
		b[i] = i < fill ? '#' : (i < (p.total ? p.started * 40 / p.total : 0) ? '-' : '.');
	b[40] = '\0';
	fprintf(stderr, "\r[%s] %zu/%zu  in flight %zu  signed in %zu  not %zu  %.1f/s%s\033[K",
		b, p.finished, p.total, p.in_flight, p.signed_in, p.finished - p.signed_in,
		p.elapsed_s > 0 ? (double)p.finished / p.elapsed_s : 0,
		p.stopping ? "  stopping (Ctrl-C again cancels)" : "");
	if (last)
		fputc('\n', stderr);
	fflush(stderr);
}

static void on_stats(uv_timer_t *t)
{
	struct fleet_cli *c = t->data;

	if (c->progress == 2)
		bar(c, 0);
	else if (c->progress == 1)
		stats_line(c, stderr);
}

static void on_sigint(uv_signal_t *s, int signum)
{
	struct fleet_cli *c = s->data;

	(void)signum;
	if (c->interrupts++ == 0) {
		if (c->progress != 2)
			fprintf(stderr, "fleet: interrupted: no new phones; waiting for those in "
				"flight (Ctrl-C again cancels them)\n");
		pb_fleet_stop(c->fleet);
	} else {
		pb_fleet_cancel(c->fleet);
	}
}

/* ---- output ---- */

static enum pb_err output(struct fleet_cli *c, json_t *summary, json_t *run, int *verdict)
{
	const json_t *o = json_object_get(summary, "outcomes");
	long long internal = (long long)json_integer_value(json_object_get(o, "internal-error"));

	if (c->json) {
		FILE *f = c->json_to ? fopen(c->json_to, "w") : stdout;
		json_t *doc;

		if (!f)
			return cli_error(PB_ERR_IO, "fleet: --json=%s: %s", c->json_to,
					 strerror(errno));
		doc = json_deep_copy(summary);
		json_object_set(doc, "run", run);
		json_dumpf(doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
		fputc('\n', f);
		json_decref(doc);
		if (c->json_to) {
			fclose(f);
			fleet_summary_text(stdout, summary, run);
		}
	} else {
		fleet_summary_text(c->jsonl == stdout ? stderr : stdout, summary, run);
	}
	if (c->html_to && fleet_summary_html(c->html_to, summary, run) < 0)
		return cli_error(PB_ERR_IO, "fleet: --html %s: %s", c->html_to, strerror(errno));
	/* the summary is out; a phone that met phoneboot's own failure still
	 * makes the run's exit 3 */
	if (internal)
		return cli_error(PB_ERR_INTERNAL, "fleet: %lld phone%s met phoneboot's own "
				 "failure (outcome internal-error)", internal,
				 internal == 1 ? "" : "s");
	*verdict = json_integer_value(json_object_get(o, "signed-in")) ==
		   json_integer_value(json_object_get(summary, "phones")) ? EXIT_OK : EXIT_FAILED;
	return PB_OK;
}

/* The JSON Lines of one shard into the summary. */
static enum pb_err merge_file(struct fleet_cli *c, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *line = NULL;
	size_t cap = 0, n = 0;
	enum pb_err rc = PB_OK;

	if (!f)
		return cli_error(PB_ERR_IO, "fleet: --merge %s: %s", path, strerror(errno));
	while (rc == PB_OK && getline(&line, &cap, f) >= 0) {
		json_error_t je;
		json_t *l;

		n++;
		if (line[strspn(line, " \t\r\n")] == '\0')
			continue;
		if (!(l = json_loads(line, JSON_DECODE_ANY, &je)) ||
		    pb_fleet_summary_add(c->sum, l) != PB_OK)
			rc = cli_error(PB_ERR_PARSE, "fleet: --merge %s line %zu: not a phone's "
				       "report%s%s", path, n, l ? "" : ": ", l ? "" : je.text);
		json_decref(l);
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}

static enum pb_err merge(struct fleet_cli *c, int n, char *const *files, int *verdict)
{
	json_t *summary = NULL, *run = NULL;
	enum pb_err rc;
	int i;

	if ((rc = pb_fleet_summary_new(&c->sum)) != PB_OK)
		return cli_error(rc, "fleet: out of memory");
	for (i = 0; i < n && rc == PB_OK; i++)
		rc = merge_file(c, files[i]);
	if (rc != PB_OK)
		return rc;
	summary = pb_fleet_summary_json(c->sum);
	run = json_pack("{s:i}", "merged_files", n);
	if (!summary || !run)
		rc = cli_error(PB_ERR_NOMEM, "fleet: out of memory");
	else
		rc = output(c, summary, run, verdict);
	json_decref(summary);
	json_decref(run);
	return rc;
}

static void close_cb(uv_handle_t *h)
{
	(void)h;
}

static enum pb_err run_fleet(struct fleet_cli *c, int *verdict)
{
	struct pb_fleet_conf fc;
	char err[512];
	const char *msg;
	json_t *summary, *run;
	double secs;
	struct pb_fleet_progress p;
	enum pb_err ferr, rc;
	size_t count = c->phones ? c->n_phones : c->count;

	if (pb_fleet_summary_new(&c->sum) != PB_OK || uv_loop_init(&c->loop) < 0)
		return cli_error(PB_ERR_NOMEM, "fleet: out of memory");
	if (pb_engine_new(&c->loop, &c->eng) != PB_OK) {
		uv_loop_close(&c->loop);
		return cli_error(PB_ERR_NOMEM, "fleet: out of memory");
	}
	memset(&fc, 0, sizeof(fc));
	fc.count = count;
	fc.concurrency = (unsigned)c->conc;
	fc.rate = c->rate;
	fc.shard = c->shard;
	fc.shards = c->shards;
	fc.phone = phone_cb;
	fc.done = done_cb;
	fc.over = over_cb;
	fc.arg = c;
	/* without --jsonl nobody reads a phone's ladder */
	fc.summary_only = !c->jsonl_to;
	if ((rc = pb_fleet_new(c->eng, &fc, &c->fleet, err, sizeof(err))) != PB_OK) {
		pb_engine_free(c->eng);
		uv_run(&c->loop, UV_RUN_DEFAULT);
		uv_loop_close(&c->loop);
		return cli_error(rc == PB_ERR_NOMEM ? rc : PB_ERR_USAGE, "fleet: %s", err);
	}
	uv_timer_init(&c->loop, &c->stats);
	c->stats.data = c;
	uv_signal_init(&c->loop, &c->sigint);
	c->sigint.data = c;
	uv_signal_start(&c->sigint, on_sigint, SIGINT);
	if (c->progress == 2)
		uv_timer_start(&c->stats, on_stats, 200, 200);
	else if (c->progress == 1)
		uv_timer_start(&c->stats, on_stats, c->interval * 1000, c->interval * 1000);
	pb_fleet_start(c->fleet);
	while (!c->over && uv_run(&c->loop, UV_RUN_ONCE))
		;
	if (c->progress == 2)
		bar(c, 1);
	else if (c->progress == 1)
		stats_line(c, stderr);
	pb_fleet_get_progress(c->fleet, &p);
	ferr = pb_fleet_error(c->fleet, &msg);
	secs = p.elapsed_s;
	if (ferr != PB_OK)      /* msg lives in the fleet */
		cli_error(ferr == PB_ERR_USAGE ? ferr : PB_ERR_INTERNAL, "fleet: %s", msg);
	pb_fleet_free(c->fleet);
	uv_close((uv_handle_t *)&c->stats, close_cb);
	uv_close((uv_handle_t *)&c->sigint, close_cb);
	pb_engine_free(c->eng);
	uv_run(&c->loop, UV_RUN_DEFAULT);
	uv_loop_close(&c->loop);
	if (ferr != PB_OK)
		return ferr == PB_ERR_USAGE ? ferr : PB_ERR_INTERNAL;
	if (c->write_error)
		return cli_error(PB_ERR_INTERNAL, "fleet: --jsonl %s: a write failed", c->jsonl_to);
	summary = pb_fleet_summary_json(c->sum);
	run = json_pack("{s:f,s:f,s:i,s:f,s:b}", "seconds", secs, "boots_per_s",
			secs > 0 ? (double)p.finished / secs : 0.0, "concurrency", (int)c->conc,
			"rate", c->rate, "interrupted", c->interrupts > 0 && p.started < p.total);
	if (!summary || !run) {
		rc = cli_error(PB_ERR_NOMEM, "fleet: out of memory");
		goto out;
	}
	if (c->shards > 1) {
		char sh[32];

		snprintf(sh, sizeof(sh), "%u/%u", c->shard, c->shards);
		json_object_set_new(run, "shard", json_string(sh));
	}
	rc = output(c, summary, run, verdict);
	if (rc == PB_OK && c->interrupts && p.started < p.total)
		*verdict = EXIT_FAILED;       /* not every phone was booted */
out:
	json_decref(summary);
	json_decref(run);
	return rc;
}

static void parse_shard(struct fleet_cli *c, const char *s)
{
	const char *slash = strchr(s, '/');
	char k[32];
	unsigned long a, b;

	if (!slash || (size_t)(slash - s) >= sizeof(k))
		die_usage("fleet: --shard '%s': expected K/N, K from 0 to N-1", s);
	memcpy(k, s, (size_t)(slash - s));
	k[slash - s] = '\0';
	if (fleet_parse_ulong(k, 0, 1000000, &a) < 0 ||
	    fleet_parse_ulong(slash + 1, 1, 1000000, &b) < 0 || a >= b)
		die_usage("fleet: --shard '%s': expected K/N, K from 0 to N-1", s);
	c->shard = (unsigned)a;
	c->shards = (unsigned)b;
}

/* The options (parsed and bounds-checked by cli_parse()), checked
 * together, into c; dies on a usage error, before anything is held. */
static void fleet_opts(const struct cli_args *a, struct fleet_cli *c)
{
	const char *rate = opt_str(a, OPT_RATE), *skip = opt_str(a, OPT_SKIP);
	const char *progress = opt_str(a, OPT_PROGRESS);

	c->sign_out = opt_set(a, OPT_SIGN_OUT);
	c->client_cert = opt_str(a, OPT_CLIENT_CERT);
	c->count = opt_uint(a, OPT_FLEET_COUNT, 0);
	c->ident_fmt = opt_str(a, OPT_IDENTITY);
	c->first = opt_uint(a, OPT_FIRST, 1);
	c->csv = opt_str(a, OPT_CSV);
	c->profile_arg = a->v[OPT_PROFILE].n ? a->v[OPT_PROFILE].list[0] : NULL;
	c->dns = a->v[OPT_DNS].list;
	c->n_dns = a->v[OPT_DNS].n;
	c->dhcp = opt_str(a, OPT_DHCP);
	if ((c->has_mac = opt_set(a, OPT_MAC))) {
		int k;

		for (k = 0; k < 6; k++)
			c->mac_base = c->mac_base << 8 | a->v[OPT_MAC].mac[k];
	}
	c->pwfile = opt_str(a, OPT_PASSWORD_FILE);
	c->roots_file = opt_set(a, OPT_DEVICE_ROOTS) ? opt_str(a, OPT_DEVICE_ROOTS)
						     : getenv("PHONEBOOT_DEVICE_ROOTS");
	c->auth = fleet_auth_bits(opt_str(a, OPT_AUTH));
	/* 0: the library's defaults (2 cycles, 2000 ms) */
	c->attempts = opt_uint(a, OPT_ATTEMPTS, 0);
	c->timeout = opt_uint(a, OPT_TIMEOUT, 0);
	c->now = opt_set(a, OPT_TIME) ? a->v[OPT_TIME].time : 0;
	if (skip && (fleet_parse_steps(skip, &c->skip) < 0 ||
		     (c->skip & (1u << PB_STEP_REGISTER))))
		die_usage("fleet: --skip '%s': expected step ids (phoneboot profiles shows "
			  "them), never register", skip);
	c->conc = opt_uint(a, OPT_CONCURRENCY, 10);
	if (rate) {
		char *end;

		errno = 0;
		c->rate = strtod(rate, &end);
		if (errno || *end || end == rate || !(c->rate > 0) || c->rate > 1e6)
			die_usage("fleet: --rate '%s': expected boots per second, > 0", rate);
	}
	if (opt_set(a, OPT_SHARD))
		parse_shard(c, opt_str(a, OPT_SHARD));
	c->jsonl_to = opt_str(a, OPT_JSONL);
	c->json = opt_set(a, OPT_JSON);
	c->json_to = opt_str(a, OPT_JSON);
	c->html_to = opt_str(a, OPT_HTML);
	c->interval = opt_uint(a, OPT_INTERVAL, 5);
	c->merge = opt_set(a, OPT_MERGE);
	if (!progress)
		c->progress = isatty(STDERR_FILENO) ? 2 : 1;
	else
		c->progress = !strcmp(progress, "bar") ? 2 : !strcmp(progress, "lines") ? 1 : 0;

	if (c->jsonl_to && !strcmp(c->jsonl_to, "-") && c->json && !c->json_to)
		die_usage("fleet: --jsonl - and --json both on stdout: give one a FILE");
	if (c->merge) {
		if (!a->n_pos)
			die_usage("fleet: --merge FILE...: which files?");
		if (c->csv || c->count)
			die_usage("fleet: --merge sums up files; it boots no phones");
		return;
	}
	if (a->n_pos)
		die_usage("fleet: unexpected '%s' (files go with --merge)", a->pos[0]);
	if (!c->csv == !c->count)
		die_usage("fleet: give the phones: --count N --identity FMT, or --csv FILE");
	if (c->count && !c->ident_fmt)
		die_usage("fleet: --count needs --identity FMT, e.g. 'user%%04d@corp.example'");
	if (c->ident_fmt && c->csv)
		die_usage("fleet: --identity goes with --count, not --csv");
	if (c->ident_fmt && parse_fmt(c, c->ident_fmt) < 0)
		die_usage("fleet: --identity '%s': expected text with one %%d (or %%0Nd), "
			  "e.g. 'user%%04d@corp.example'", c->ident_fmt);
	if (c->count && !c->profile_arg)
		die_usage("fleet: --count needs --profile ID (phoneboot profiles lists them)");
	if (c->n_dns && c->dhcp)
		die_usage("fleet: --dhcp takes the DNS servers from the lease; drop --dns");
	if (c->count && !c->n_dns && !c->dhcp)
		die_usage("fleet: give the phones' network: --dns SERVER or --dhcp IFACE");
	if (c->has_mac && (!c->count || !c->dhcp))
		die_usage("fleet: --mac numbers the MACs of generated phones: it goes with "
			  "--count and --dhcp (a CSV names each phone's MAC)");
}

enum pb_err cmd_fleet(const struct cli_args *a, int *verdict)
{
	struct fleet_cli c;
	enum pb_err rc = PB_OK;
	char err[512];
	size_t i;

	memset(&c, 0, sizeof(c));
	fleet_opts(a, &c);
	if (c.merge) {
		rc = merge(&c, a->n_pos, a->pos, verdict);
		goto out;
	}
	fleet_check_nofile("fleet", (unsigned)c.conc);
	c.cat = catalog_or_die();
	if (c.profile_arg)
		c.profile = profile_arg(c.cat, c.profile_arg, &c.owned);
	if (c.csv) {
		struct fleet_csv_in in = { c.csv, c.cat, c.profile, c.profile_arg,
					   c.n_dns > 0, c.dhcp };

		c.phones = fleet_csv_read(&in, &c.n_phones);
	}
	if (c.roots_file && *c.roots_file) {
		if ((rc = pb_trust_new(&c.roots)) != PB_OK) {
			cli_error(rc, "fleet: out of memory");
			goto out;
		}
		if ((rc = pb_trust_add_file(c.roots, c.roots_file, err, sizeof(err))) != PB_OK) {
			cli_error(rc, "fleet: device roots: %s", err);
			goto out;
		}
	}
	/* the shared password, when a phone needs it */
	for (i = 0; c.phones && i < c.n_phones && c.phones[i].password; i++)
		;
	if (!c.phones || i < c.n_phones)
		c.password = fleet_password("fleet", c.pwfile);
	if (c.jsonl_to) {
		c.jsonl = strcmp(c.jsonl_to, "-") ? fopen(c.jsonl_to, "w") : stdout;
		if (!c.jsonl) {
			rc = cli_error(PB_ERR_IO, "fleet: --jsonl %s: %s", c.jsonl_to,
				       strerror(errno));
			goto out;
		}
	}
	rc = run_fleet(&c, verdict);
	if (c.jsonl && c.jsonl != stdout && fclose(c.jsonl) != 0 &&
	    exit_code(rc) != EXIT_USAGE)
		rc = cli_error(PB_ERR_INTERNAL, "fleet: --jsonl %s: %s", c.jsonl_to,
			       strerror(errno));
out:
	pb_fleet_summary_free(c.sum);
	fleet_csv_free(c.phones, c.n_phones);
	fleet_secret_free(c.password);
	pb_trust_free(c.roots);
	pb_profile_free(c.owned);
	pb_catalog_free(c.cat);
	return rc;
}
