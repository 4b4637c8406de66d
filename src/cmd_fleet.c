/* phoneboot fleet: many phones on one loop (issue 12; docs/fleet.md).
 *
 *   phoneboot fleet --count N --identity FMT --profile ID (--dns S | --dhcp IF) ...
 *   phoneboot fleet --csv FILE [--profile ID] [--dns S | --dhcp IF] ...
 *   phoneboot fleet --merge FILE...
 *
 * The library schedules and sums up (phoneboot/fleet.h); this file reads
 * the phones, shows progress, writes the lines and renders the summary. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fleet_cli.h"


static void help(void)
{
	printf("usage: phoneboot fleet --count N --identity FMT --profile ID|FILE\n"
	       "                       (--dns SERVER[:PORT]... | --dhcp IFACE) [options]\n"
	       "       phoneboot fleet --csv FILE [--profile ID] [--dns ...|--dhcp IFACE] [options]\n"
	       "       phoneboot fleet --merge FILE... [--json[=FILE]] [--html FILE]\n"
	       "\n"
	       "Boot many emulated phones at once, each a full boot (DHCP when asked, DNS,\n"
	       "directory, trust, TLS, authentication, registration), all on one event loop;\n"
	       "then a summary: outcomes, causes ranked with example phones, per-step\n"
	       "latency percentiles.\n"
	       "\n"
	       "phones:\n"
	       "  --count N              N generated phones ...\n"
	       "  --identity FMT         ... named by FMT with one %%d (e.g. %%04d), the\n"
	       "                         phone's number: 'user%%04d@corp.example'\n"
	       "  --first N              the first phone's number (default 1)\n"
	       "  --csv FILE             phones from FILE: identity,profile,mac,network,password\n"
	       "                         (network dns:IP[;IP] or dhcp:IFACE; password file:PATH,\n"
	       "                         env:NAME, or plain:SECRET only in a file of mode 0600\n"
	       "                         owned by you; empty fields take the options' values)\n"
	       "  --profile ID|FILE      the device (for --count; the default for --csv)\n"
	       "  --dns SERVER[:PORT]    DNS servers the phones are given (repeatable)\n"
	       "  --dhcp IFACE           a DHCP exchange on IFACE first (root)\n"
	       "  --password-file FILE   the shared password (else $PHONEBOOT_PASSWORD, else\n"
	       "                         a prompt); never on the command line\n"
	       "  --device-roots FILE    the firmware's built-in roots ($PHONEBOOT_DEVICE_ROOTS)\n"
	       "  --auth SCHEME          digest|ntlm|kerberos|certificate|tls-dsk for every phone\n"
	       "  --attempts N           boot cycles per phone (default 2)\n"
	       "  --timeout MS           every network wait (default 2000)\n"
	       "  --time ISO8601         the devices' clock (default: now)\n"
	       "  --skip STEP[,STEP]     leave steps out of every boot (a partial probe, e.g.\n"
	       "                         locate-dc,download-root,install-root)\n"
	       "pace:\n"
	       "  --concurrency C        boots in flight at most (default 10)\n"
	       "  --rate R               boots started per second at most (default: no limit)\n"
	       "  --shard K/N            only phones whose index i has i mod N = K (K from 0):\n"
	       "                         one task of an indexed batch job\n"
	       "output:\n"
	       "  --jsonl FILE           one report per phone, JSON Lines ('-': stdout)\n"
	       "  --json[=FILE]          the summary as JSON (instead of text on stdout)\n"
	       "  --html FILE            the summary as an HTML page\n"
	       "  --progress MODE        bar (a terminal), lines (a statistics line every\n"
	       "                         --interval s), none; default bar on a terminal\n"
	       "  --interval S           seconds between statistics lines (default 5)\n"
	       "  --merge FILE...        no boots: sum up the JSON Lines of shards\n"
	       "\n"
	       "Ctrl-C stops starting phones; those in flight finish (within their timeouts),\n"
	       "and the summary is still printed. A second Ctrl-C cancels them.\n"
	       "Exit: 0 every phone signed in, 1 some did not, 2 usage, 3 internal.\n");
}


struct fleet_cli {
	/* options */
	const char *csv, *ident_fmt, *jsonl_to, *json_to, *html_to, *pwfile;
	const char *roots_file, *profile_arg;
	int json, progress;               /* progress: 0 none, 1 lines, 2 bar */
	unsigned long count, first, conc, attempts, timeout, interval;
	double rate;
	unsigned shard, shards, auth, skip;
	const char *dns[FLEET_MAX_DNS];
	size_t n_dns;
	const char *dhcp;
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
	o->skip_steps = c->skip;
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

static int output(struct fleet_cli *c, json_t *summary, json_t *run)
{
	const json_t *o = json_object_get(summary, "outcomes");
	int rc;

	if (c->json) {
		FILE *f = c->json_to ? fopen(c->json_to, "w") : stdout;
		json_t *doc = json_deep_copy(summary);

		if (!f)
			die_usage("fleet: --json=%s: %s", c->json_to, strerror(errno));
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
	if (c->html_to && fleet_summary_html(c->html_to, summary, run) < 0) {
		fprintf(stderr, "phoneboot: fleet: --html %s: %s\n", c->html_to, strerror(errno));
		return EXIT_USAGE;
	}
	rc = json_integer_value(json_object_get(o, "signed-in")) ==
	     json_integer_value(json_object_get(summary, "phones")) ? EXIT_OK : EXIT_FAILED;
	if (json_integer_value(json_object_get(o, "internal-error")))
		rc = EXIT_INTERNAL;
	return rc;
}

static int merge(struct fleet_cli *c, int argc, char **argv)
{
	json_t *summary, *run;
	int i, rc;

	if (pb_fleet_summary_new(&c->sum) != PB_OK)
		return EXIT_INTERNAL;
	for (i = 0; i < argc; i++) {
		FILE *f = strcmp(argv[i], "-") ? fopen(argv[i], "r") : stdin;
		char *line = NULL;
		size_t cap = 0, n = 0;

		if (!f)
			die_usage("fleet: --merge %s: %s", argv[i], strerror(errno));
		while (getline(&line, &cap, f) >= 0) {
			json_error_t je;
			json_t *l;

			n++;
			if (line[strspn(line, " \t\r\n")] == '\0')
				continue;
			if (!(l = json_loads(line, JSON_DECODE_ANY, &je)) ||
			    pb_fleet_summary_add(c->sum, l) != PB_OK)
				die_usage("fleet: --merge %s line %zu: not a phone's report%s%s",
					  argv[i], n, l ? "" : ": ", l ? "" : je.text);
			json_decref(l);
		}
		free(line);
		if (f != stdin)
			fclose(f);
	}
	summary = pb_fleet_summary_json(c->sum);
	run = json_pack("{s:i}", "merged_files", argc);
	if (!summary || !run)
		return EXIT_INTERNAL;
	rc = output(c, summary, run);
	json_decref(summary);
	json_decref(run);
	return rc;
}

static void close_cb(uv_handle_t *h)
{
	(void)h;
}

static int run_fleet(struct fleet_cli *c)
{
	struct pb_fleet_conf fc;
	char err[512];
	const char *msg;
	json_t *summary, *run;
	double secs;
	struct pb_fleet_progress p;
	enum pb_err ferr;
	size_t count = c->phones ? c->n_phones : c->count;
	int rc;

	if (pb_fleet_summary_new(&c->sum) != PB_OK || uv_loop_init(&c->loop) < 0 ||
	    pb_engine_new(&c->loop, &c->eng) != PB_OK) {
		fprintf(stderr, "phoneboot: fleet: internal error: out of memory\n");
		return EXIT_INTERNAL;
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
	if (pb_fleet_new(c->eng, &fc, &c->fleet, err, sizeof(err)) != PB_OK)
		die_usage("fleet: %s", err);
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
	pb_fleet_free(c->fleet);
	uv_close((uv_handle_t *)&c->stats, close_cb);
	uv_close((uv_handle_t *)&c->sigint, close_cb);
	pb_engine_free(c->eng);
	uv_run(&c->loop, UV_RUN_DEFAULT);
	uv_loop_close(&c->loop);
	if (ferr != PB_OK) {
		fprintf(stderr, "phoneboot: fleet: %s%s\n", ferr == PB_ERR_USAGE ? "" :
			"internal error: ", msg);
		return ferr == PB_ERR_USAGE ? EXIT_USAGE : EXIT_INTERNAL;
	}
	if (c->write_error) {
		fprintf(stderr, "phoneboot: fleet: --jsonl %s: a write failed\n", c->jsonl_to);
		return EXIT_INTERNAL;
	}
	summary = pb_fleet_summary_json(c->sum);
	run = json_pack("{s:f,s:f,s:i,s:f,s:b}", "seconds", secs, "boots_per_s",
			secs > 0 ? (double)p.finished / secs : 0.0, "concurrency", (int)c->conc,
			"rate", c->rate, "interrupted", c->interrupts > 0 && p.started < p.total);
	if (!summary || !run)
		return EXIT_INTERNAL;
	if (c->shards > 1) {
		char sh[32];

		snprintf(sh, sizeof(sh), "%u/%u", c->shard, c->shards);
		json_object_set_new(run, "shard", json_string(sh));
	}
	rc = output(c, summary, run);
	if (rc == EXIT_OK && c->interrupts && p.started < p.total)
		rc = EXIT_FAILED;       /* not every phone was booted */
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

int cmd_fleet(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "identity", required_argument, NULL, 'i' },
		{ "first", required_argument, NULL, 'F' },
		{ "csv", required_argument, NULL, 'V' },
		{ "profile", required_argument, NULL, 'p' },
		{ "dns", required_argument, NULL, 'd' },
		{ "dhcp", required_argument, NULL, 'D' },
		{ "password-file", required_argument, NULL, 'P' },
		{ "device-roots", required_argument, NULL, 'r' },
		{ "auth", required_argument, NULL, 'A' },
		{ "attempts", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 'o' },
		{ "time", required_argument, NULL, 't' },
		{ "skip", required_argument, NULL, 'S' },
		{ "concurrency", required_argument, NULL, 'C' },
		{ "rate", required_argument, NULL, 'R' },
		{ "shard", required_argument, NULL, 's' },
		{ "jsonl", required_argument, NULL, 'l' },
		{ "json", optional_argument, NULL, 'j' },
		{ "html", required_argument, NULL, 'H' },
		{ "progress", required_argument, NULL, 'g' },
		{ "interval", required_argument, NULL, 'I' },
		{ "merge", no_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fleet_cli *c = calloc(1, sizeof(*c));
	int opt, do_merge = 0, rc;
	const char *progress = NULL;
	char err[512];
	size_t i;

	if (!c)
		return EXIT_INTERNAL;
	c->conc = 10;
	c->interval = 5;
	c->first = 1;
	c->roots_file = getenv("PHONEBOOT_DEVICE_ROOTS");
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		char *end;

		switch (opt) {
		case 'c':
			if (fleet_parse_ulong(optarg, 1, 100000000, &c->count) < 0)
				die_usage("fleet: --count '%s': expected 1..100000000", optarg);
			break;
		case 'i': c->ident_fmt = optarg; break;
		case 'F':
			if (fleet_parse_ulong(optarg, 0, 4000000000UL, &c->first) < 0)
				die_usage("fleet: --first '%s': expected a number", optarg);
			break;
		case 'V': c->csv = optarg; break;
		case 'p': c->profile_arg = optarg; break;
		case 'd':
			if (c->n_dns == FLEET_MAX_DNS)
				die_usage("fleet: at most %d --dns", FLEET_MAX_DNS);
			c->dns[c->n_dns++] = optarg;
			break;
		case 'D': c->dhcp = optarg; break;
		case 'P': c->pwfile = optarg; break;
		case 'r': c->roots_file = optarg; break;
		case 'A': c->auth = fleet_auth_arg("fleet", optarg); break;
		case 'n':
			if (fleet_parse_ulong(optarg, 1, 20, &c->attempts) < 0)
				die_usage("fleet: --attempts '%s': expected 1..20", optarg);
			break;
		case 'o':
			if (fleet_parse_ulong(optarg, 10, 60000, &c->timeout) < 0)
				die_usage("fleet: --timeout '%s': expected 10..60000 ms", optarg);
			break;
		case 't':
			if (parse_time(optarg, &c->now) < 0)
				die_usage("fleet: --time '%s': expected YYYY-MM-DD or "
					  "YYYY-MM-DDTHH:MM:SSZ", optarg);
			break;
		case 'S':
			if (fleet_parse_steps(optarg, &c->skip) < 0 ||
			    (c->skip & (1u << PB_STEP_REGISTER)))
				die_usage("fleet: --skip '%s': expected step ids (phoneboot "
					  "profiles shows them), never register", optarg);
			break;
		case 'C':
			if (fleet_parse_ulong(optarg, 1, 1000000, &c->conc) < 0)
				die_usage("fleet: --concurrency '%s': expected 1..1000000", optarg);
			break;
		case 'R':
			errno = 0;
			c->rate = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(c->rate > 0) || c->rate > 1e6)
				die_usage("fleet: --rate '%s': expected boots per second, > 0",
					  optarg);
			break;
		case 's': parse_shard(c, optarg); break;
		case 'l': c->jsonl_to = optarg; break;
		case 'j': c->json = 1; c->json_to = optarg; break;
		case 'H': c->html_to = optarg; break;
		case 'g': progress = optarg; break;
		case 'I':
			if (fleet_parse_ulong(optarg, 1, 3600, &c->interval) < 0)
				die_usage("fleet: --interval '%s': expected 1..3600 s", optarg);
			break;
		case 'M': do_merge = 1; break;
		case 'h': help(); free(c); return EXIT_OK;
		default: free(c); return EXIT_USAGE;
		}
	}
	if (c->jsonl_to && !strcmp(c->jsonl_to, "-") && c->json && !c->json_to)
		die_usage("fleet: --jsonl - and --json both on stdout: give one a FILE");
	if (do_merge) {
		if (optind == argc)
			die_usage("fleet: --merge FILE...: which files?");
		if (c->csv || c->count)
			die_usage("fleet: --merge sums up files; it boots no phones");
		rc = merge(c, argc - optind, argv + optind);
		pb_fleet_summary_free(c->sum);
		free(c);
		return rc;
	}
	if (optind != argc)
		die_usage("fleet: unexpected '%s' (files go with --merge)", argv[optind]);
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
	if (!progress)
		c->progress = isatty(STDERR_FILENO) ? 2 : 1;
	else if (!strcmp(progress, "bar"))
		c->progress = 2;
	else if (!strcmp(progress, "lines"))
		c->progress = 1;
	else if (!strcmp(progress, "none"))
		c->progress = 0;
	else
		die_usage("fleet: --progress '%s': expected bar, lines or none", progress);
	fleet_check_nofile("fleet", (unsigned)c->conc);
	c->cat = catalog_or_die();
	if (c->profile_arg)
		c->profile = profile_arg(c->cat, c->profile_arg, &c->owned);
	if (c->csv) {
		struct fleet_csv_in in = { c->csv, c->cat, c->profile, c->profile_arg,
					   c->n_dns > 0, c->dhcp };

		c->phones = fleet_csv_read(&in, &c->n_phones);
	}
	if (c->roots_file && *c->roots_file) {
		if (pb_trust_new(&c->roots) != PB_OK ||
		    pb_trust_add_file(c->roots, c->roots_file, err, sizeof(err)) != PB_OK)
			die_usage("fleet: device roots: %s", err);
	}
	/* the shared password, when a phone needs it */
	for (i = 0; c->phones && i < c->n_phones && c->phones[i].password; i++)
		;
	if (!c->phones || i < c->n_phones)
		c->password = fleet_password("fleet", c->pwfile);
	if (c->jsonl_to) {
		c->jsonl = strcmp(c->jsonl_to, "-") ? fopen(c->jsonl_to, "w") : stdout;
		if (!c->jsonl)
			die_usage("fleet: --jsonl %s: %s", c->jsonl_to, strerror(errno));
	}
	rc = run_fleet(c);
	if (c->jsonl && c->jsonl != stdout && fclose(c->jsonl) != 0 && rc != EXIT_USAGE) {
		fprintf(stderr, "phoneboot: fleet: --jsonl %s: %s\n", c->jsonl_to, strerror(errno));
		rc = EXIT_INTERNAL;
	}
	pb_fleet_summary_free(c->sum);
	fleet_csv_free(c->phones, c->n_phones);
	fleet_secret_free(c->password);
	pb_trust_free(c->roots);
	pb_profile_free(c->owned);
	pb_catalog_free(c->cat);
	free(c);
	return rc;
}
