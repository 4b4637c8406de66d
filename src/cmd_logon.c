/* phoneboot logon USER@DOMAIN --profile ID [options] */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "phoneboot/logon.h"

#define MAX_DNS 8

static void help(void)
{
	printf("usage: phoneboot logon USER@DOMAIN --profile ID|FILE --dns SERVER[:PORT]...\n"
	       "                       [--alt-dns SERVER[:PORT]]... [--password-file FILE]\n"
	       "                       [--device-roots FILE] [--auth SCHEME] [--attempts N]\n"
	       "                       [--timeout MS] [--time ISO8601] [--json[=FILE]]\n"
	       "                       [--html FILE] [--trace] [--keylog FILE]\n"
	       "       phoneboot logon USER@DOMAIN --profile ID --dhcp IFACE [--mac MAC]\n"
	       "                       [--dhcp-inform] [--dhcp-configure] ...\n"
	       "\n"
	       "Boot an emulated phone: locate the domain controller, download and install\n"
	       "the company root, locate the SIP pool, connect with TLS as the firmware\n"
	       "does, authenticate and register. Shows the steps as the phone's screen\n"
	       "would; when it fails or loops, names the step and the cause with evidence\n"
	       "and proposes remedies.\n"
	       "\n"
	       "  --profile ID|FILE      the device (phoneboot profiles lists them)\n"
	       "  --dns SERVER[:PORT]    DNS server the phone is given (repeatable)\n"
	       "  --dhcp IFACE           start as the phone does: a DHCP exchange on IFACE\n"
	       "                         (root); DNS servers, domain, NTP, SIP server and\n"
	       "                         option 43 come from the lease. Nothing is configured\n"
	       "                         on the host.\n"
	       "  --mac MAC              the phone's MAC for DHCP (reservations); default a\n"
	       "                         stable locally administered one\n"
	       "  --dhcp-inform          DHCPINFORM from IFACE's address instead of a lease\n"
	       "  --dhcp-configure       put the leased address on IFACE for the boot (the\n"
	       "                         phone needs one to reach its servers) and remove\n"
	       "                         it at the end\n"
	       "  --alt-dns SERVER[:PORT] boot again with these servers to verify the\n"
	       "                         use-dns remedy (repeatable)\n"
	       "  --password-file FILE   the password (else $PHONEBOOT_PASSWORD, else a\n"
	       "                         prompt); never on the command line\n"
	       "  --device-roots FILE    the firmware's built-in roots (default\n"
	       "                         $PHONEBOOT_DEVICE_ROOTS)\n"
	       "  --auth SCHEME          digest|ntlm|kerberos|certificate|tls-dsk: override\n"
	       "                         the schemes the profile speaks (the report says so)\n"
	       "  --attempts N           boot cycles (default 2; the same failure twice is\n"
	       "                         a loop)\n"
	       "  --timeout MS           every network wait (default 2000)\n"
	       "  --time ISO8601         the device's clock (default: now)\n"
	       "  --json[=FILE]          the report as JSON (DESIGN.md section 4)\n"
	       "  --html FILE            the report as an HTML page\n"
	       "  --trace                every state transition and network event, with\n"
	       "                         times, on stderr\n"
	       "  --keylog FILE          append the TLS secrets (NSS key log format, as\n"
	       "                         $SSLKEYLOGFILE) so a capture can be decrypted\n"
	       "\n"
	       "Exit: 0 signed in, 1 failed or looped (diagnosed), 2 usage, 3 internal.\n");
}

/* --trace: one line per transition and network event, on stderr. */
static void trace_line(void *arg, double ms, const char *line)
{
	(void)arg;
	fprintf(stderr, "[%9.3f ms] %s\n", ms, line);
}

/* The password: file, environment, or the terminal. Never argv. */
static char *read_password(const char *file)
{
	char buf[512];
	const char *env = getenv("PHONEBOOT_PASSWORD");
	size_t n;

	if (file) {
		FILE *f = fopen(file, "r");

		if (!f)
			die_usage("logon: --password-file %s: %s", file, strerror(errno));
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	} else if (env) {
		snprintf(buf, sizeof(buf), "%s", env);
	} else {
		struct termios t, quiet;
		int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
		ssize_t r;

		if (fd < 0)
			die_usage("logon: no password: give --password-file FILE or set "
				  "PHONEBOOT_PASSWORD (there is no terminal to ask on)");
		/* the prompt and the newline are courtesy: a failed write
		 * changes nothing about the password read */
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
	}
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	{
		char *p = strdup(buf);
		explicit_bzero(buf, sizeof(buf));
		return p;
	}
}

static unsigned auth_arg(const char *s)
{
	static const struct { const char *n; unsigned b; } t[] = {
		{ "digest", PB_AUTH_DIGEST }, { "ntlm", PB_AUTH_NTLM },
		{ "kerberos", PB_AUTH_KERBEROS }, { "certificate", PB_AUTH_CERTIFICATE },
		{ "tls-dsk", PB_AUTH_TLS_DSK },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(s, t[i].n))
			return t[i].b;
	die_usage("logon: --auth '%s': expected digest, ntlm, kerberos, certificate "
		  "or tls-dsk", s);
	return 0;
}

static const char *s(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "";
}

static void print_steps(json_t *steps)
{
	size_t i;
	json_t *st;

	json_array_foreach(steps, i, st) {
		const char *res = s(st, "result");

		printf("  %7.1f ms  %-13s %-43s %s", json_real_value(json_object_get(st, "ms")),
		       s(st, "step"), strcmp(s(st, "screen"), s(st, "step")) ? s(st, "screen") : "",
		       !strcmp(res, "fail") ? "FAILED" : res);
		if (!strcmp(res, "fail"))
			printf("  [%s]", s(st, "cause"));
		printf("\n");
		if (*s(st, "detail")) {
			printf("  %10s  %-13s %s\n", "", "", s(st, "detail"));
		} else if (!strcmp(res, "ok")) {
			/* one line of what the step found */
			json_t *f = json_object_get(st, "facts");

			json_t *lease = json_object_get(f, "lease");

			if (lease) {
				json_t *x;
				size_t k;

				printf("  %10s  %-13s %s from %s; DNS", "", "", s(lease, "address"),
				       s(lease, "server"));
				json_array_foreach(json_object_get(lease, "dns_servers"), k, x)
					printf(" %s", json_string_value(x));
				printf("; domain %s; SIP server (120)", s(lease, "domain"));
				if (json_is_object(json_object_get(lease, "sip_servers")))
					json_array_foreach(json_object_get(json_object_get(lease,
						"sip_servers"), "servers"), k, x)
						printf(" %s", json_string_value(x));
				else
					printf(" none");
				printf("\n");
			} else if (*s(f, "dc"))
				printf("  %10s  %-13s %s\n", "", "", s(f, "dc"));
			else if (*s(f, "pool"))
				printf("  %10s  %-13s %s\n", "", "", s(f, "pool"));
			else if (*s(f, "tls_version"))
				printf("  %10s  %-13s %s %s, chain trusted and usable\n", "", "",
				       s(f, "tls_version"), s(f, "cipher"));
			else if (*s(f, "status"))
				printf("  %10s  %-13s %s\n", "", "", s(f, "status"));
		}
	}
}

/* The screen texts the user saw in one cycle, in order. */
static void screen_cycle(json_t *steps, char *buf, size_t len)
{
	size_t i, off = 0;
	json_t *st;
	const char *prev = "";

	buf[0] = '\0';
	json_array_foreach(steps, i, st) {
		if (!strcmp(s(st, "result"), "skipped") || !strcmp(s(st, "screen"), prev))
			continue;
		prev = s(st, "screen");
		off += (size_t)snprintf(buf + off, len > off ? len - off : 0, "%s%s",
					off ? " → " : "", prev);
	}
}

static void render(json_t *doc, const struct pb_logon_opts *o)
{
	json_t *d = json_object_get(doc, "diagnosis"), *rem, *alt, *x;
	char cyc[1024];
	size_t i;

	printf("phoneboot logon %s as %s (%s), ", s(doc, "identity"), o->profile->id,
	       o->profile->name);
	if (o->dhcp_iface)
		printf("DHCP on %s", o->dhcp_iface);
	else
		printf("DNS");
	for (i = 0; i < o->n_dns; i++)
		printf(" %s", o->dns[i]);
	printf("%s\n", o->auth ? " (authentication overridden by --auth)" : "");
	printf("cycle %lld of %u:\n", json_integer_value(json_object_get(doc, "cycles")),
	       o->attempts ? o->attempts : 2);
	print_steps(json_object_get(doc, "steps"));
	screen_cycle(json_object_get(doc, "steps"), cyc, sizeof(cyc));
	if (!strcmp(s(doc, "outcome"), "signed-in")) {
		printf("outcome: signed in through %s\n", s(doc, "target"));
	} else if (!strcmp(s(doc, "outcome"), "loop")) {
		printf("outcome: LOOP — the phone fails the same way every cycle; its screen "
		       "shows, again and again:\n  %s → (from the top)\n", cyc);
	} else {
		printf("outcome: FAILED\n");
	}
	if (json_is_object(d)) {
		printf("\ndiagnosis: %s / %s", s(d, "step"), s(d, "cause"));
		if (json_array_size(json_object_get(d, "also"))) {
			printf(" (also");
			json_array_foreach(json_object_get(d, "also"), i, x)
				printf(" %s", json_string_value(x));
			printf(")");
		}
		printf("\n  %s\n", s(d, "summary"));
		json_array_foreach(json_object_get(d, "evidence"), i, x)
			printf("  evidence: %s\n", json_string_value(x));
	}
	rem = json_object_get(doc, "remedies");
	if (json_array_size(rem)) {
		printf("\nremedies:\n");
		json_array_foreach(rem, i, x)
			printf("  %-20s %s%s\n", s(x, "remedy"),
			       json_is_true(json_object_get(x, "verified")) ? "[verified] " : "",
			       s(x, "summary"));
	}
	alt = json_object_get(doc, "alternative");
	if (alt) {
		printf("\nthe boot with --alt-dns:");
		for (i = 0; i < o->n_alt_dns; i++)
			printf(" %s", o->alt_dns[i]);
		printf("\n");
		print_steps(json_object_get(alt, "steps"));
		printf("outcome: %s%s%s\n", s(alt, "outcome"),
		       *s(alt, "target") ? " through " : "", s(alt, "target"));
	}
}

int cmd_logon(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "dns", required_argument, NULL, 'd' },
		{ "alt-dns", required_argument, NULL, 'a' },
		{ "password-file", required_argument, NULL, 'P' },
		{ "device-roots", required_argument, NULL, 'r' },
		{ "auth", required_argument, NULL, 'A' },
		{ "attempts", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 'o' },
		{ "time", required_argument, NULL, 't' },
		{ "json", optional_argument, NULL, 'j' },
		{ "dhcp", required_argument, NULL, 'D' },
		{ "html", required_argument, NULL, 'H' },
		{ "mac", required_argument, NULL, 'M' },
		{ "dhcp-inform", no_argument, NULL, 'I' },
		{ "dhcp-configure", no_argument, NULL, 'C' },
		{ "trace", no_argument, NULL, 'T' },
		{ "keylog", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pb_logon_opts o;
	struct pb_catalog *cat;
	struct pb_profile *owned = NULL;
	struct pb_trust *roots = NULL;
	const char *dns[MAX_DNS], *alt[MAX_DNS], *profile = NULL, *pwfile = NULL;
	const char *roots_file = getenv("PHONEBOOT_DEVICE_ROOTS"), *json_to = NULL;
	const char *html_to = NULL;
	char *password, *at, err[512], identity[512];
	int opt, json = 0, rc;
	json_t *report = NULL;

	memset(&o, 0, sizeof(o));
	o.now = time(NULL);
	o.keylog_file = getenv("SSLKEYLOGFILE");
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		char *end;
		unsigned long v;

		switch (opt) {
		case 'p': profile = optarg; break;
		case 'd':
			if (o.n_dns == MAX_DNS)
				die_usage("logon: at most %d --dns", MAX_DNS);
			dns[o.n_dns++] = optarg;
			break;
		case 'a':
			if (o.n_alt_dns == MAX_DNS)
				die_usage("logon: at most %d --alt-dns", MAX_DNS);
			alt[o.n_alt_dns++] = optarg;
			break;
		case 'P': pwfile = optarg; break;
		case 'r': roots_file = optarg; break;
		case 'A': o.auth = auth_arg(optarg); break;
		case 'n':
			v = strtoul(optarg, &end, 10);
			if (*end || v < 1 || v > 20)
				die_usage("logon: --attempts '%s': expected 1..20", optarg);
			o.attempts = (unsigned)v;
			break;
		case 'o':
			v = strtoul(optarg, &end, 10);
			if (*end || v < 10 || v > 60000)
				die_usage("logon: --timeout '%s': expected 10..60000 ms", optarg);
			o.timeout_ms = (unsigned)v;
			break;
		case 't':
			if (parse_time(optarg, &o.now) < 0)
				die_usage("logon: --time '%s': expected YYYY-MM-DD or "
					  "YYYY-MM-DDTHH:MM:SSZ", optarg);
			break;
		case 'j': json = 1; json_to = optarg; break;
		case 'D': o.dhcp_iface = optarg; break;
		case 'H': html_to = optarg; break;
		case 'I': o.dhcp_inform = 1; break;
		case 'C': o.dhcp_configure = 1; break;
		case 'T': o.trace = trace_line; break;
		case 'K': o.keylog_file = optarg; break;
		case 'M': {
			unsigned m[6], k;
			char tail;

			/* sscanf-free: six hex pairs with ':' */
			if (strlen(optarg) != 17)
				die_usage("logon: --mac '%s': expected xx:xx:xx:xx:xx:xx", optarg);
			for (k = 0; k < 6; k++) {
				char hex[3] = { optarg[3 * k], optarg[3 * k + 1], 0 };
				char *e;

				tail = k < 5 ? optarg[3 * k + 2] : ':';
				m[k] = (unsigned)strtoul(hex, &e, 16);
				if (*e || tail != ':' || !hex[0] || !hex[1])
					die_usage("logon: --mac '%s': expected xx:xx:xx:xx:xx:xx", optarg);
				o.mac[k] = (unsigned char)m[k];
			}
			o.has_mac = 1;
			break;
		}
		case 'h': help(); return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (optind != argc - 1)
		die_usage("logon: expected one USER@DOMAIN; see --help");
	snprintf(identity, sizeof(identity), "%s", argv[optind]);
	at = strchr(identity, '@');
	if (!at || at == identity || !at[1] || strchr(at + 1, '@'))
		die_usage("logon: '%s': expected USER@DOMAIN", argv[optind]);
	*at = '\0';
	o.user = identity;
	o.domain = at + 1;
	if (!profile)
		die_usage("logon: --profile ID is required (phoneboot profiles lists them)");
	if (!o.n_dns && !o.dhcp_iface)
		die_usage("logon: give the phone's network: --dhcp IFACE, or its DNS "
			  "servers with --dns SERVER");
	if (o.n_dns && o.dhcp_iface)
		die_usage("logon: --dhcp takes the DNS servers from the lease; drop --dns "
			  "(use --alt-dns to try others)");
	if (o.dhcp_iface && !if_nametoindex(o.dhcp_iface))
		die_usage("logon: --dhcp %s: no such interface here", o.dhcp_iface);
	if ((o.has_mac || o.dhcp_inform || o.dhcp_configure) && !o.dhcp_iface)
		die_usage("logon: --mac, --dhcp-inform and --dhcp-configure go with --dhcp IFACE");
	cat = catalog_or_die();
	o.profile = profile_arg(cat, profile, &owned);
	o.catalog = cat;
	o.dns = dns;
	o.alt_dns = alt;
	if (roots_file && *roots_file) {
		if (pb_trust_new(&roots) != PB_OK ||
		    pb_trust_add_file(roots, roots_file, err, sizeof(err)) != PB_OK)
			die_usage("logon: device roots: %s", err);
		o.device_roots = roots;
	}
	password = read_password(pwfile);
	o.password = password;
	switch (pb_logon(&o, &report, err, sizeof(err))) {
	case PB_OK:
		break;
	case PB_ERR_USAGE:
	case PB_ERR_IO:
	case PB_ERR_PARSE:
	case PB_ERR_NOTFOUND:
		fprintf(stderr, "phoneboot: logon: %s\n", err);
		rc = EXIT_USAGE;
		goto out;
	case PB_ERR_NOMEM:
	case PB_ERR_NETWORK:
	case PB_ERR_INTERNAL:
		/* phoneboot's own failure, never the network's */
		fprintf(stderr, "phoneboot: logon: internal error: %s\n", err);
		rc = EXIT_INTERNAL;
		goto out;
	}
	if (json) {
		FILE *f = json_to ? fopen(json_to, "w") : stdout;

		if (!f)
			die_usage("logon: --json=%s: %s", json_to, strerror(errno));
		json_dumpf(report, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', f);
		if (json_to) {
			fclose(f);
			render(report, &o);
		}
	} else {
		render(report, &o);
	}
	if (html_to && render_html(report, html_to) < 0) {
		fprintf(stderr, "phoneboot: --html %s: %s\n", html_to, strerror(errno));
		rc = EXIT_USAGE;
		goto out;
	}
	rc = !strcmp(json_string_value(json_object_get(report, "outcome")), "signed-in")
	     ? EXIT_OK : EXIT_FAILED;
out:
	json_decref(report);
	if (password) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	pb_trust_free(roots);
	pb_profile_free(owned);
	pb_catalog_free(cat);
	return rc;
}
