/* The option table of every command, and the one parser that reads it
 * (src/opts.h says how to add a row). */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* the commands' bits, short for the table */
enum {
	LOGON = CMD_BIT(CMD_LOGON),
	CERT = CMD_BIT(CMD_CERT),
	REPORT = CMD_BIT(CMD_REPORT),
	FLEET = CMD_BIT(CMD_FLEET),
	MATRIX = CMD_BIT(CMD_MATRIX),
};

static const char *const auth_names[] = {
	"digest", "ntlm", "kerberos", "certificate", "tls-dsk", NULL
};

static const char *const progress_names[] = { "bar", "lines", "none", NULL };

/* Sorted by the order --help shows them in. */
const struct opt_row opt_table[] = {
	{ OPT_PROFILE, "profile", OK_LIST, ARG_REQUIRED, "ID|FILE", LOGON, 0, OPT_LIST_MAX, NULL,
	  "The device: a catalog id ('phoneboot profiles' lists them) or a profile "
	  "file. Required, once." },
	{ OPT_PROFILE, "profile", OK_LIST, ARG_REQUIRED, "ID|FILE", CERT, 0, OPT_LIST_MAX, NULL,
	  "A catalog profile or a profile file (repeatable; default: every catalog "
	  "profile)." },
	{ OPT_DNS, "dns", OK_LIST, ARG_REQUIRED, "SERVER[:PORT]", LOGON, 0, 8, NULL,
	  "A DNS server the phone is given (repeatable, up to 8), instead of DHCP." },
	{ OPT_DHCP, "dhcp", OK_STRING, ARG_REQUIRED, "IFACE", LOGON, 0, 0, NULL,
	  "Start as the phone does: a DHCP exchange on IFACE (root); DNS servers, "
	  "domain, NTP, SIP server and option 43 come from the lease. Nothing is "
	  "configured on the host." },
	{ OPT_MAC, "mac", OK_MAC, ARG_REQUIRED, "MAC", LOGON, 0, 0, NULL,
	  "The phone's MAC for DHCP (reservations); default a stable locally "
	  "administered one." },
	{ OPT_DHCP_INFORM, "dhcp-inform", OK_FLAG, ARG_NONE, NULL, LOGON, 0, 0, NULL,
	  "DHCPINFORM from IFACE's address instead of a lease." },
	{ OPT_DHCP_CONFIGURE, "dhcp-configure", OK_FLAG, ARG_NONE, NULL, LOGON, 0, 0, NULL,
	  "Put the leased address on IFACE for the boot (the phone needs one to "
	  "reach its servers) and remove it at the end." },
	{ OPT_ALT_DNS, "alt-dns", OK_LIST, ARG_REQUIRED, "SERVER[:PORT]", LOGON, 0, 8, NULL,
	  "When the phone fails, boot again with these DNS servers to verify the "
	  "use-dns remedy (repeatable, up to 8)." },
	{ OPT_PASSWORD_FILE, "password-file", OK_STRING, ARG_REQUIRED, "FILE", LOGON, 0, 0, NULL,
	  "The password, first line of FILE (else $PHONEBOOT_PASSWORD, else a "
	  "prompt on the terminal); never on the command line." },
	{ OPT_DEVICE_ROOTS, "device-roots", OK_STRING, ARG_REQUIRED, "FILE", LOGON, 0, 0, NULL,
	  "The firmware's built-in roots (default $PHONEBOOT_DEVICE_ROOTS)." },
	{ OPT_AUTH, "auth", OK_CHOICE, ARG_REQUIRED, "SCHEME", LOGON, 0, 0, auth_names,
	  "Override the authentication schemes the profile speaks (the report says "
	  "so)." },
	{ OPT_LDAP_PLAIN_BIND, "ldap-plain-bind", OK_FLAG, ARG_NONE, NULL, LOGON, 0, 0, NULL,
	  "Old directories: where neither StartTLS nor LDAPS works, send the password "
	  "in a simple bind in clear text on port 389 (the report warns)." },
	{ OPT_CLIENT_CERT, "client-cert", OK_STRING, ARG_REQUIRED, "FILE", LOGON | FLEET, 0, 0, NULL,
	  "The client certificate a first sign-in provisioned (PEM: the certificate "
	  "and its private key): the device answers TLS-DSK with it (default: none, "
	  "TLS-DSK is passed over)." },
	{ OPT_SIGN_OUT, "sign-out", OK_FLAG, ARG_NONE, NULL, LOGON | FLEET, 0, 0, NULL,
	  "Once signed in, sign out again (REGISTER with Expires: 0), signed in the "
	  "security association the sign-in set up, and check the registrar's proof." },
	{ OPT_ATTEMPTS, "attempts", OK_UINT, ARG_REQUIRED, "N", LOGON, 1, 20, NULL,
	  "Boot cycles (default 2; the same failure twice is a loop)." },
	{ OPT_TIMEOUT, "timeout", OK_UINT, ARG_REQUIRED, "MS", LOGON, 10, 600000, NULL,
	  "Every network wait, in milliseconds (default 2000)." },
	{ OPT_TIMEOUT, "timeout", OK_UINT, ARG_REQUIRED, "MS", CERT, 10, 600000, NULL,
	  "Per connect and handshake, in milliseconds (default 5000)." },
	{ OPT_TIME, "time", OK_TIME, ARG_REQUIRED, "ISO8601", LOGON | CERT, 0, 0, NULL,
	  "The device's clock: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ; for logon it stands over what NTP says (default: the time step's: NTP, else the firmware's clock; for cert: now)." },
	{ OPT_NAME, "name", OK_STRING, ARG_REQUIRED, "HOST", CERT, 0, 0, NULL,
	  "Check that the leaf names HOST (default: HOST of HOST:PORT)." },
	{ OPT_TRUST, "trust", OK_LIST, ARG_REQUIRED, "FILE", CERT, 0, 16, NULL,
	  "Trusted roots (repeatable); a chain not anchored in them gives "
	  "cert-untrusted-root." },
	{ OPT_JSON, "json", OK_STRING, ARG_OPTIONAL, "FILE", LOGON | REPORT, 0, 0, NULL,
	  "The report as JSON (DESIGN.md section 4), on standard output, or into "
	  "FILE with the text on standard output." },
	{ OPT_JSON, "json", OK_STRING, ARG_OPTIONAL, "FILE", CERT, 0, 0, NULL,
	  "The verdicts as JSON, on standard output or into FILE." },
	{ OPT_HTML, "html", OK_STRING, ARG_REQUIRED, "FILE", LOGON | REPORT, 0, 0, NULL,
	  "The report as one self-contained HTML page: the steps, the diagnosis, "
	  "the remedies and a ladder diagram of every message exchanged." },
	{ OPT_QUIET, "quiet", OK_FLAG, ARG_NONE, NULL, LOGON | REPORT, 0, 0, NULL,
	  "Print only the outcome line and the diagnosis." },
	{ OPT_TRACE, "trace", OK_FLAG, ARG_NONE, NULL, LOGON, 0, 0, NULL,
	  "Every state transition and network event, with times, on standard "
	  "error." },
	{ OPT_KEYLOG, "keylog", OK_STRING, ARG_REQUIRED, "FILE", LOGON, 0, 0, NULL,
	  "Append the TLS secrets (NSS key log format, as $SSLKEYLOGFILE) so that "
	  "a capture can be decrypted." },
	/* fleet and matrix. A name they share with logon or cert has its own
	 * row here (their help speaks of many phones), parsed as the others:
	 * opt_table_check() holds every row of a name to one id, kind and
	 * bounds. */
	{ OPT_FLEET_COUNT, "count", OK_UINT, ARG_REQUIRED, "N", FLEET, 1, 100000000, NULL,
	  "N generated phones, named by --identity and numbered from --first." },
	{ OPT_IDENTITY, "identity", OK_STRING, ARG_REQUIRED, "FMT", FLEET, 0, 0, NULL,
	  "The generated phones' USER@DOMAIN: text with one %d (or %0Nd), the "
	  "phone's number, e.g. 'user%04d@corp.example'; %% is a %." },
	{ OPT_FIRST, "first", OK_UINT, ARG_REQUIRED, "N", FLEET, 0, 4000000000UL, NULL,
	  "The first generated phone's number (default 1)." },
	{ OPT_CSV, "csv", OK_STRING, ARG_REQUIRED, "FILE", FLEET, 0, 0, NULL,
	  "The phones of FILE, one a line: identity,profile,mac,network,password "
	  "(network dns:IP[;IP] or dhcp:IFACE; password file:PATH, env:NAME, or "
	  "plain:SECRET only in a file of mode 0600 owned by you); empty fields "
	  "take the options' values." },
	{ OPT_PROFILE, "profile", OK_LIST, ARG_REQUIRED, "ID|FILE", FLEET, 0, 1, NULL,
	  "The device: a catalog id or a profile file. Required with --count; for "
	  "--csv, the profile of the lines that name none." },
	{ OPT_PROFILE, "profile", OK_LIST, ARG_REQUIRED, "ID|FILE", MATRIX, 0, 32, NULL,
	  "A device, a row of the table: a catalog id or a profile file "
	  "(repeatable, up to 32; at least one)." },
	{ OPT_PATH, "path", OK_LIST, ARG_REQUIRED, "NAME=NETWORK", MATRIX, 0, 16, NULL,
	  "A network path, a column of the table (repeatable, up to 16; at least "
	  "one): NAME=dns:SERVER[:PORT][,SERVER...] gives the phone these DNS "
	  "servers (up to 8); NAME=dhcp:IFACE[:MAC] a DHCP exchange on IFACE (root), "
	  "as the phone with MAC (a reservation)." },
	{ OPT_DNS, "dns", OK_LIST, ARG_REQUIRED, "SERVER[:PORT]", FLEET, 0, 8, NULL,
	  "A DNS server the phones are given (repeatable, up to 8), instead of "
	  "DHCP; for --csv, of the lines that name no network." },
	{ OPT_DHCP, "dhcp", OK_STRING, ARG_REQUIRED, "IFACE", FLEET, 0, 0, NULL,
	  "Start each phone with a DHCP exchange on IFACE (root); its DNS servers "
	  "come from the lease." },
	{ OPT_MAC, "mac", OK_MAC, ARG_REQUIRED, "MAC", FLEET, 0, 0, NULL,
	  "With --count and --dhcp: the generated phone numbered n has MAC + n "
	  "(MAC read as a 48-bit number), for per-phone DHCP reservations; the "
	  "lab's are 02:00:01:00:00:00 + the user's number (lab/README.md). "
	  "Default: a stable MAC made from each identity." },
	{ OPT_PASSWORD_FILE, "password-file", OK_STRING, ARG_REQUIRED, "FILE", FLEET, 0, 0, NULL,
	  "The password of the phones that have none of their own, first line of "
	  "FILE (else $PHONEBOOT_PASSWORD, else a prompt on the terminal); never "
	  "on the command line." },
	{ OPT_PASSWORD_FILE, "password-file", OK_STRING, ARG_REQUIRED, "FILE", MATRIX, 0, 0, NULL,
	  "The password, first line of FILE (else $PHONEBOOT_PASSWORD, else a "
	  "prompt on the terminal); never on the command line." },
	{ OPT_DEVICE_ROOTS, "device-roots", OK_STRING, ARG_REQUIRED, "FILE", FLEET | MATRIX,
	  0, 0, NULL,
	  "The firmware's built-in roots (default $PHONEBOOT_DEVICE_ROOTS)." },
	{ OPT_AUTH, "auth", OK_CHOICE, ARG_REQUIRED, "SCHEME", FLEET | MATRIX, 0, 0, auth_names,
	  "Override the authentication schemes the profiles speak, for every phone "
	  "(the reports say so)." },
	{ OPT_ATTEMPTS, "attempts", OK_UINT, ARG_REQUIRED, "N", FLEET | MATRIX, 1, 20, NULL,
	  "Boot cycles per phone (default 2; the same failure twice is a loop)." },
	{ OPT_TIMEOUT, "timeout", OK_UINT, ARG_REQUIRED, "MS", FLEET | MATRIX, 10, 600000, NULL,
	  "Every network wait, in milliseconds (default 2000)." },
	{ OPT_TIME, "time", OK_TIME, ARG_REQUIRED, "ISO8601", FLEET | MATRIX, 0, 0, NULL,
	  "The devices' clock: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (default: now)." },
	{ OPT_SKIP, "skip", OK_STRING, ARG_REQUIRED, "STEP[,STEP]", FLEET, 0, 0, NULL,
	  "Leave steps out of every boot, a partial probe (e.g. "
	  "locate-dc,download-root,install-root, with the company root given as "
	  "--device-roots); step ids as 'phoneboot profiles' shows them, never "
	  "register." },
	{ OPT_CONCURRENCY, "concurrency", OK_UINT, ARG_REQUIRED, "C", FLEET, 1, 1000000, NULL,
	  "Boots in flight at most (default 10). Each may hold two file "
	  "descriptors; the soft limit is raised up to the hard one, and a hard "
	  "limit too low is a usage error that says the numbers." },
	{ OPT_CONCURRENCY, "concurrency", OK_UINT, ARG_REQUIRED, "C", MATRIX, 1, 1000000, NULL,
	  "Cells in flight at most (default: all)." },
	{ OPT_RATE, "rate", OK_STRING, ARG_REQUIRED, "R", FLEET, 0, 0, NULL,
	  "Boots started per second at most, a number > 0 (default: no limit)." },
	{ OPT_SHARD, "shard", OK_STRING, ARG_REQUIRED, "K/N", FLEET, 0, 0, NULL,
	  "Only the phones whose index i (from 0) has i mod N = K, K from 0 to "
	  "N-1: one task of an indexed batch job; --merge sums up the shards' "
	  "--jsonl files." },
	{ OPT_JSONL, "jsonl", OK_STRING, ARG_REQUIRED, "FILE", FLEET, 0, 0, NULL,
	  "One report per phone, JSON Lines ('-': standard output)." },
	{ OPT_JSONL, "jsonl", OK_STRING, ARG_REQUIRED, "FILE", MATRIX, 0, 0, NULL,
	  "Every cell's report, JSON Lines, each with its path's name." },
	{ OPT_JSON, "json", OK_STRING, ARG_OPTIONAL, "FILE", FLEET, 0, 0, NULL,
	  "The summary as JSON, on standard output instead of the text, or into "
	  "FILE with the text on standard output." },
	{ OPT_JSON, "json", OK_STRING, ARG_OPTIONAL, "FILE", MATRIX, 0, 0, NULL,
	  "The table as JSON, on standard output instead of the text, or into "
	  "FILE with the text on standard output." },
	{ OPT_HTML, "html", OK_STRING, ARG_REQUIRED, "FILE", FLEET, 0, 0, NULL,
	  "The summary as one self-contained HTML page." },
	{ OPT_HTML, "html", OK_STRING, ARG_REQUIRED, "FILE", MATRIX, 0, 0, NULL,
	  "The table as one self-contained HTML page." },
	{ OPT_PROGRESS, "progress", OK_CHOICE, ARG_REQUIRED, "MODE", FLEET, 0, 0,
	  progress_names,
	  "While the phones boot, on standard error: a progress bar, a statistics "
	  "line every --interval seconds, or nothing (default: bar on a terminal, "
	  "else lines)." },
	{ OPT_INTERVAL, "interval", OK_UINT, ARG_REQUIRED, "S", FLEET, 1, 3600, NULL,
	  "Seconds between statistics lines (default 5)." },
	{ OPT_MERGE, "merge", OK_FLAG, ARG_NONE, NULL, FLEET, 0, 0, NULL,
	  "Boot no phones: sum up the JSON Lines files of shards, the operands "
	  "FILE... ('-': standard input)." },
};
const size_t opt_table_len = sizeof(opt_table) / sizeof(opt_table[0]);

int opt_table_check(char *err, size_t errlen)
{
	size_t i, k;

	for (i = 0; i < opt_table_len; i++) {
		const struct opt_row *r = &opt_table[i];

		if ((r->kind == OK_FLAG) != (r->arg == ARG_NONE) ||
		    (r->kind == OK_CHOICE) != (r->choices != NULL) ||
		    (r->arg != ARG_NONE && !r->meta) ||
		    (r->kind == OK_LIST && (r->max < 1 || r->max > OPT_LIST_MAX))) {
			snprintf(err, errlen, "option table: --%s: kind, argument, "
				 "metavar or bounds disagree", r->name);
			return -1;
		}
		for (k = 0; k < i; k++) {
			const struct opt_row *q = &opt_table[k];

			if (strcmp(q->name, r->name))
				continue;
			if (q->cmds & r->cmds) {
				snprintf(err, errlen, "option table: --%s twice for one "
					 "command", r->name);
				return -1;
			}
			if (q->id != r->id || q->kind != r->kind || q->arg != r->arg ||
			    q->min != r->min || (q->kind != OK_LIST && q->max != r->max)) {
				snprintf(err, errlen, "option table: the rows of --%s are "
					 "parsed differently", r->name);
				return -1;
			}
		}
	}
	return 0;
}

static enum pb_err bad(const struct cli_args *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static enum pb_err bad(const struct cli_args *a, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return cli_error(PB_ERR_USAGE, "%s: %s; see phoneboot %s --help", a->cmd_name,
			 what, a->cmd_name);
}

/* "02:00:5e:00:00:01" without sscanf. */
static int parse_mac(const char *s, unsigned char mac[6])
{
	static const char hex[] = "0123456789abcdef";
	unsigned k;

	if (strlen(s) != 17)
		return -1;
	for (k = 0; k < 6; k++) {
		const char *hi = memchr(hex, s[3 * k] | 0x20, 16);
		const char *lo = memchr(hex, s[3 * k + 1] | 0x20, 16);

		if (!s[3 * k] || !s[3 * k + 1] || !hi || !lo ||
		    (k < 5 && s[3 * k + 2] != ':'))
			return -1;
		mac[k] = (unsigned char)((hi - hex) << 4 | (lo - hex));
	}
	return 0;
}

static enum pb_err take(struct cli_args *a, const struct opt_row *r, const char *arg)
{
	struct opt_val *v = &a->v[r->id];
	char expect[160];
	char *end;
	unsigned long n;
	size_t i, off;

	switch (r->kind) {
	case OK_FLAG:
		break;
	case OK_STRING:
		v->str = arg;
		break;
	case OK_LIST:
		if (v->n == r->max)
			return bad(a, "at most %lu --%s", r->max, r->name);
		v->list[v->n++] = arg;
		break;
	case OK_UINT:
		errno = 0;
		n = strtoul(arg, &end, 10);
		if (arg[0] < '0' || arg[0] > '9' || *end || errno || n < r->min ||
		    n > r->max)
			return bad(a, "--%s '%s': expected %s from %lu to %lu", r->name, arg,
				   r->meta, r->min, r->max);
		v->num = n;
		break;
	case OK_TIME:
		if (parse_time(arg, &v->time) < 0)
			return bad(a, "--%s '%s': expected YYYY-MM-DD or "
				   "YYYY-MM-DDTHH:MM:SSZ", r->name, arg);
		break;
	case OK_CHOICE:
		for (i = 0; r->choices[i]; i++)
			if (!strcmp(arg, r->choices[i])) {
				v->num = i;
				v->str = r->choices[i];
				goto set;
			}
		expect[0] = '\0';
		for (i = 0, off = 0; r->choices[i] && off < sizeof(expect); i++)
			off += (size_t)snprintf(expect + off, sizeof(expect) - off, "%s%s",
						!i ? "" : r->choices[i + 1] ? ", " : " or ",
						r->choices[i]);
		return bad(a, "--%s '%s': expected %s", r->name, arg, expect);
	case OK_MAC:
		if (parse_mac(arg, v->mac) < 0)
			return bad(a, "--%s '%s': expected xx:xx:xx:xx:xx:xx", r->name, arg);
		break;
	}
set:
	v->set++;
	return PB_OK;
}

enum pb_err cli_parse(enum cmd c, int argc, char **argv, struct cli_args *a)
{
	/* built at run time from the rows of this command: the getopt_long
	 * array is never written by hand */
	struct option lo[sizeof(opt_table) / sizeof(opt_table[0]) + 2];
	const struct opt_row *rows[sizeof(opt_table) / sizeof(opt_table[0])];
	size_t i, n = 0;
	char err[160];
	int opt;
	enum pb_err rc;

	memset(a, 0, sizeof(*a));
	a->cmd = c;
	a->cmd_name = argv[0];
	if (opt_table_check(err, sizeof(err)) < 0)
		return cli_error(PB_ERR_INTERNAL, "%s", err);
	for (i = 0; i < opt_table_len; i++) {
		if (!(opt_table[i].cmds & CMD_BIT(c)))
			continue;
		rows[n] = &opt_table[i];
		lo[n] = (struct option){ opt_table[i].name, (int)opt_table[i].arg, NULL,
					 256 + (int)n };
		n++;
	}
	lo[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	lo[n] = (struct option){ NULL, 0, NULL, 0 };
	optind = 1;
	opterr = 0;
	/* ":" tells a missing argument apart from an unknown option */
	while ((opt = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		if (opt == 'h') {
			a->help = 1;
		} else if (opt == ':') {
			return bad(a, "%s needs an argument", argv[optind - 1]);
		} else if (opt == '?') {
			return bad(a, "unknown option '%s'", argv[optind - 1]);
		} else if ((rc = take(a, rows[opt - 256], optarg)) != PB_OK) {
			return rc;
		}
	}
	a->pos = argv + optind;
	a->n_pos = argc - optind;
	return PB_OK;
}
