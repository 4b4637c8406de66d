/* Shared by `phoneboot fleet` and `phoneboot matrix` (src/fleet_cli.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <termios.h>
#include <unistd.h>

#include "fleet_cli.h"

void fleet_secret_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

char *fleet_read_secret(const char *file)
{
	char buf[512];
	FILE *f = fopen(file, "r");
	char *p;

	if (!f)
		return NULL;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	p = strdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return p;
}

char *fleet_password(const char *cmd, const char *file)
{
	const char *env = getenv("PHONEBOOT_PASSWORD");
	char buf[512], *p;
	struct termios t, quiet;
	ssize_t r;
	int fd;

	if (file) {
		if (!(p = fleet_read_secret(file)))
			die_usage("%s: --password-file %s: %s", cmd, file, strerror(errno));
		return p;
	}
	if (env)
		return strdup(env);
	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) < 0)
		die_usage("%s: no password: give --password-file FILE or set "
			  "PHONEBOOT_PASSWORD (there is no terminal to ask on)", cmd);
	/* the prompt and the newline are courtesy: a failed write changes
	 * nothing about the password read */
	if (write(fd, "Password: ", 10) < 0) {
	}
	tcgetattr(fd, &t);
	quiet = t;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(fd, TCSAFLUSH, &quiet);
	r = read(fd, buf, sizeof(buf) - 1);
	tcsetattr(fd, TCSAFLUSH, &t);
	if (write(fd, "\n", 1) < 0) {
	}
	close(fd);
	buf[r > 0 ? r : 0] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	p = strdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return p;
}

unsigned fleet_auth_bits(const char *scheme)
{
	unsigned b;

	for (b = 1; scheme && b <= PB_AUTH_TLS_DSK; b <<= 1)
		if (!strcmp(pb_auth_str((enum pb_auth)b), scheme))
			return b;
	return 0;
}

int fleet_parse_mac(const char *s, unsigned char mac[6])
{
	unsigned k;

	if (strlen(s) != 17)
		return -1;
	for (k = 0; k < 6; k++) {
		char hex[3] = { s[3 * k], s[3 * k + 1], 0 }, *e;
		unsigned long v;

		if (k < 5 && s[3 * k + 2] != ':')
			return -1;
		if (!hex[0] || !hex[1] || hex[0] == '-' || hex[0] == '+' || hex[0] == ' ')
			return -1;
		v = strtoul(hex, &e, 16);
		if (*e)
			return -1;
		mac[k] = (unsigned char)v;
	}
	return 0;
}

int fleet_parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int fleet_parse_steps(const char *s, unsigned *bits)
{
	unsigned b = 0;

	while (*s) {
		size_t n = strcspn(s, ","), i;

		for (i = 0; i < PB_STEP_COUNT; i++) {
			const char *id = pb_step_str((enum pb_step)i);

			if (strlen(id) == n && !strncmp(id, s, n))
				break;
		}
		if (i == PB_STEP_COUNT)
			return -1;
		b |= 1u << i;
		s += n;
		if (*s == ',')
			s++;
	}
	*bits = b;
	return 0;
}

void fleet_check_nofile(const char *cmd, unsigned concurrency)
{
	unsigned long need = pb_fleet_fds_needed(concurrency);
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur >= need)
		return;
	if (rl.rlim_cur == RLIM_INFINITY)
		return;
	if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need) {
		rl.rlim_cur = need;
		if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
			return;
	}
	die_usage("%s: --concurrency %u needs about %lu file descriptors (2 per phone in "
		  "flight, 64 besides); this process may open %llu (ulimit -n, hard limit "
		  "%llu): lower --concurrency to %lu or raise the limit", cmd, concurrency, need,
		  (unsigned long long)rl.rlim_cur,
		  (unsigned long long)rl.rlim_max,
		  rl.rlim_max > 64 ? (unsigned long)((rl.rlim_max - 64) / 2) : 0UL);
}

/* ---- the summary ---- */

static const char *str(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "";
}

static long long num(const json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static double real(const json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

void fleet_summary_text(FILE *f, const json_t *s, const json_t *run)
{
	const json_t *o = json_object_get(s, "outcomes"), *x, *ex;
	const char *key;
	size_t i, k;

	fprintf(f, "phoneboot fleet: %lld phones", num(s, "phones"));
	if (json_is_number(json_object_get(run, "seconds")))
		fprintf(f, " in %.1f s (%.1f boots/s)", real(run, "seconds"),
			real(run, "boots_per_s"));
	if (json_is_integer(json_object_get(run, "concurrency")))
		fprintf(f, ", concurrency %lld", num(run, "concurrency"));
	if (*str(run, "shard"))
		fprintf(f, ", shard %s", str(run, "shard"));
	if (json_is_integer(json_object_get(run, "merged_files")))
		fprintf(f, ", merged from %lld files", num(run, "merged_files"));
	fprintf(f, "%s\n", json_is_true(json_object_get(run, "interrupted"))
		? " — INTERRUPTED: phones not started are not counted" : "");
	fprintf(f, "outcomes:");
	json_object_foreach((json_t *)o, key, x)
		fprintf(f, " %s %lld", key, (long long)json_integer_value(x));
	fprintf(f, "\n");
	if (json_array_size(json_object_get(s, "causes"))) {
		fprintf(f, "causes (the diagnosis of each phone that did not sign in):\n");
		json_array_foreach(json_object_get(s, "causes"), i, x) {
			char sc[96];

			snprintf(sc, sizeof(sc), "%s / %s", str(x, "step"), str(x, "cause"));
			fprintf(f, "  %7lld  %-45s", num(x, "count"), sc);
			json_array_foreach(json_object_get(x, "examples"), k, ex)
				fprintf(f, "%s%s", k ? ", " : " e.g. ", json_string_value(ex));
			fprintf(f, "\n");
		}
	}
	if (json_array_size(json_object_get(s, "targets"))) {
		fprintf(f, "signed in through:\n");
		json_array_foreach(json_object_get(s, "targets"), i, x)
			fprintf(f, "  %7lld  %s\n", num(x, "count"), str(x, "target"));
	}
	fprintf(f, "latency (ms)       %7s %7s %9s %9s %9s %9s\n", "n", "failed", "p50", "p95",
		"p99", "max");
	json_array_foreach(json_object_get(s, "steps"), i, x)
		fprintf(f, "  %-16s %7lld %7lld %9.1f %9.1f %9.1f %9.1f\n", str(x, "step"),
			num(x, "n"), num(x, "failed"), real(x, "p50"), real(x, "p95"),
			real(x, "p99"), real(x, "max"));
	x = json_object_get(s, "boot_ms");
	if (num(x, "n"))
		fprintf(f, "  %-16s %7lld %7s %9.1f %9.1f %9.1f %9.1f\n", "whole boot",
			num(x, "n"), "", real(x, "p50"), real(x, "p95"), real(x, "p99"),
			real(x, "max"));
}

void fleet_html_esc(FILE *f, const char *s)
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

int fleet_summary_html(const char *path, const json_t *s, const json_t *run)
{
	FILE *f = fopen(path, "w");
	const json_t *x, *ex;
	const char *key;
	size_t i, k;
	long long phones = num(s, "phones");

	if (!f)
		return -1;
	fputs("<!doctype html><html><head><meta charset=\"utf-8\"><title>phoneboot fleet"
	      "</title><style>body{font-family:sans-serif;max-width:70em;margin:auto}"
	      "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em;"
	      "text-align:right}td.l,th.l{text-align:left}.bar{background:#48c;height:.8em;"
	      "display:inline-block}.bad{background:#c44}</style></head><body>\n"
	      "<h1>phoneboot fleet</h1>\n", f);
	fprintf(f, "<p>%lld phones", phones);
	if (json_is_number(json_object_get(run, "seconds")))
		fprintf(f, " in %.1f s (%.1f boots/s)", real(run, "seconds"),
			real(run, "boots_per_s"));
	if (json_is_integer(json_object_get(run, "concurrency")))
		fprintf(f, ", concurrency %lld", num(run, "concurrency"));
	if (*str(run, "shard")) {
		fputs(", shard ", f);
		fleet_html_esc(f, str(run, "shard"));
	}
	if (json_is_integer(json_object_get(run, "merged_files")))
		fprintf(f, ", merged from %lld files", num(run, "merged_files"));
	if (json_is_true(json_object_get(run, "interrupted")))
		fputs(". <b>Interrupted</b>: phones not started are not counted", f);
	fputs(".</p>\n<h2>Outcomes</h2>\n<table>", f);
	json_object_foreach((json_t *)json_object_get(s, "outcomes"), key, x) {
		long long n = (long long)json_integer_value(x);

		fputs("<tr><td class=\"l\">", f);
		fleet_html_esc(f, key);
		fprintf(f, "</td><td>%lld</td><td class=\"l\"><span class=\"bar%s\" style=\"width:"
			"%.1fem\"></span></td></tr>\n", n, strcmp(key, "signed-in") ? " bad" : "",
			phones ? 30.0 * (double)n / (double)phones : 0);
	}
	fputs("</table>\n", f);
	if (json_array_size(json_object_get(s, "causes"))) {
		fputs("<h2>Causes</h2>\n<table><tr><th>phones</th><th class=\"l\">step</th>"
		      "<th class=\"l\">cause</th><th class=\"l\">for example</th></tr>\n", f);
		json_array_foreach(json_object_get(s, "causes"), i, x) {
			fprintf(f, "<tr><td>%lld</td><td class=\"l\">", num(x, "count"));
			fleet_html_esc(f, str(x, "step"));
			fputs("</td><td class=\"l\">", f);
			fleet_html_esc(f, str(x, "cause"));
			fputs("</td><td class=\"l\">", f);
			json_array_foreach(json_object_get(x, "examples"), k, ex) {
				if (k)
					fputs(", ", f);
				fleet_html_esc(f, json_string_value(ex));
			}
			fputs("</td></tr>\n", f);
		}
		fputs("</table>\n", f);
	}
	if (json_array_size(json_object_get(s, "targets"))) {
		fputs("<h2>Signed in through</h2>\n<table>", f);
		json_array_foreach(json_object_get(s, "targets"), i, x) {
			fprintf(f, "<tr><td>%lld</td><td class=\"l\">", num(x, "count"));
			fleet_html_esc(f, str(x, "target"));
			fputs("</td></tr>\n", f);
		}
		fputs("</table>\n", f);
	}
	fputs("<h2>Latency per step (ms)</h2>\n<table><tr><th class=\"l\">step</th><th>n</th>"
	      "<th>failed</th><th>p50</th><th>p95</th><th>p99</th><th>max</th></tr>\n", f);
	json_array_foreach(json_object_get(s, "steps"), i, x) {
		fputs("<tr><td class=\"l\">", f);
		fleet_html_esc(f, str(x, "step"));
		fprintf(f, "</td><td>%lld</td><td>%lld</td><td>%.1f</td><td>%.1f</td><td>%.1f</td>"
			"<td>%.1f</td></tr>\n", num(x, "n"), num(x, "failed"), real(x, "p50"),
			real(x, "p95"), real(x, "p99"), real(x, "max"));
	}
	x = json_object_get(s, "boot_ms");
	fprintf(f, "<tr><td class=\"l\"><b>whole boot</b></td><td>%lld</td><td></td><td>%.1f"
		"</td><td>%.1f</td><td>%.1f</td><td>%.1f</td></tr>\n</table>\n", num(x, "n"),
		real(x, "p50"), real(x, "p95"), real(x, "p99"), real(x, "max"));
	fputs("</body></html>\n", f);
	return fclose(f) == 0 ? 0 : -1;
}
