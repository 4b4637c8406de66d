/* phoneboot: the command. It parses arguments and renders results; the
 * library does the work. Commands are rows of one table; their options are
 * rows of src/opts.c's; every error ends in exit_code(). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* One row per command, in the order phoneboot --help and the man page
 * show them. A new command: a value in enum cmd (opts.h), a row here, its
 * options' rows in opts.c, and its run function. */
static const struct command commands[] = {
	{ "logon", CMD_LOGON, cmd_logon,
	  "USER@DOMAIN --profile ID|FILE (--dns SERVER[:PORT]... | --dhcp IFACE)",
	  "boot an emulated phone end to end; name the failing step and its cause",
	  "Boot an emulated phone: obtain its network settings (DHCP, or the DNS "
	  "servers given), locate the domain controller, download and install the "
	  "company root, locate the SIP pool, connect with TLS as the firmware does, "
	  "authenticate and register. The steps are shown as the phone's screen "
	  "would show them; when the boot fails or loops, phoneboot names the step "
	  "and the cause with evidence and proposes remedies, and with --alt-dns "
	  "verifies the DNS remedy by booting again.\n\nOn a terminal the screen "
	  "lines and the outcome are in colour (not with NO_COLOR, nor when the "
	  "output is no terminal).",
	  "0 signed in, 1 failed or looped (diagnosed)" },
	{ "cert", CMD_CERT, cmd_cert,
	  "INPUT...",
	  "what each profile makes of a certificate chain, and why",
	  "Judge certificate chains against device profiles: can this phone's "
	  "firmware use the chain, and if not, every reason why.\n\nINPUT is a PEM, "
	  "DER or bare base64 file (certificates or a PKCS#7 bundle), or HOST:PORT ([v6addr]:PORT) "
	  "to judge the chain a TLS server presents; phoneboot connects once per SNI "
	  "behaviour of the profiles asked. An INPUT that cannot be read, parsed or "
	  "reached is an input error.",
	  "0 every chain usable by every profile, 1 some unusable" },
	{ "profiles", CMD_PROFILES, cmd_profiles,
	  "[ID|FILE]",
	  "the device catalog, or one profile and the source of each fact",
	  "Without ID, list the device catalog (profiles/ beside the executable, the "
	  "installed catalog, or $PHONEBOOT_PROFILES). With ID (or a profile file's "
	  "path), show the profile and the source and confidence of every fact in it.",
	  "0 listed" },
	{ "report", CMD_REPORT, cmd_report,
	  "REPORT.json",
	  "show a saved logon --json report again: as text, JSON or an HTML page",
	  "Read a report saved with 'phoneboot logon --json=FILE' (or '-' for "
	  "standard input) and render it again, as logon would have: the text, "
	  "--json, or --html with the ladder diagram. Nothing is sent on the network.",
	  "0 the report's phone signed in, 1 it failed or looped" },
	{ "fleet", CMD_FLEET, cmd_fleet,
	  "(--count N --identity FMT | --csv FILE | --merge FILE...)",
	  "many phones at once on one loop: progress, JSON Lines, a summary (--merge: "
	  "of shards)",
	  "Boot many emulated phones at once, each a full boot (DHCP when asked, DNS, "
	  "directory, trust, TLS, authentication, registration), all on one event "
	  "loop; then a summary: outcomes, causes ranked with example phones, per-step "
	  "latency percentiles, as text, --json or an --html page.\n\nThe phones are "
	  "generated (--count N --identity FMT --profile ID|FILE, with --dns "
	  "SERVER[:PORT]... or --dhcp IFACE) or read from a CSV file (--csv FILE). "
	  "With --merge, no phone is booted: the operands are the --jsonl files of "
	  "shards (--shard K/N), summed up as the whole run's lines would be.\n\n"
	  "Ctrl-C stops starting phones; those in flight finish (within their "
	  "timeouts), and the summary is still printed. A second Ctrl-C cancels "
	  "them. docs/fleet.md tells more.",
	  "0 every phone signed in, 1 some did not (or Ctrl-C left some unbooted)" },
	{ "matrix", CMD_MATRIX, cmd_matrix,
	  "USER@DOMAIN --profile ID|FILE... --path NAME=NETWORK...",
	  "profiles x network paths, every cell booted, one table",
	  "Boot the user's phone as every profile on every network path, all at once "
	  "on one loop, and show one table: a row per profile, a column per path, "
	  "each cell 'signed in (server)' or the step and cause that stopped it. "
	  "NETWORK is dns:SERVER[:PORT][,SERVER...] or dhcp:IFACE[:MAC].",
	  "0 every cell signed in, 1 some did not" },
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

/* The one map from a program error to an exit code (DESIGN.md section 4).
 * A switch with no default: -Wswitch names an error left out. */
int exit_code(enum pb_err e)
{
	switch (e) {
	case PB_OK:
		return EXIT_OK;
	case PB_ERR_USAGE:
	case PB_ERR_IO:
	case PB_ERR_PARSE:
	case PB_ERR_NOTFOUND:
		return EXIT_USAGE;
	case PB_ERR_NOMEM:
	case PB_ERR_NETWORK:
	case PB_ERR_INTERNAL:
		return EXIT_INTERNAL;
	}
	return EXIT_INTERNAL;
}

static void vsay(enum pb_err e, const char *fmt, va_list ap)
{
	fputs(exit_code(e) == EXIT_INTERNAL ? "phoneboot: internal error: " : "phoneboot: ",
	      stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

enum pb_err cli_error(enum pb_err e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(e, fmt, ap);
	va_end(ap);
	return e;
}

void cli_die(enum pb_err e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(e, fmt, ap);
	va_end(ap);
	exit(exit_code(e));
}

int main(int argc, char **argv)
{
	const struct command *c = NULL;
	struct cli_args a;
	enum pb_err rc;
	int verdict = EXIT_OK;
	size_t i;

	/* the emulated phone has no ldap.conf: the host's (TLS settings, BASE,
	 * URI) must not change what the phone does, nor cost start-up time */
	setenv("LDAPNOINIT", "1", 1);
	if (argc < 2) {
		help_main(stderr, commands, N_COMMANDS);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		help_main(stdout, commands, N_COMMANDS);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("phoneboot %s\n", PB_VERSION);
		return EXIT_OK;
	}
	/* for make: the man page and the completion, from the tables */
	if (!strcmp(argv[1], "--man")) {
		help_man(stdout, commands, N_COMMANDS);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--completion=bash")) {
		help_bash(stdout, commands, N_COMMANDS);
		return EXIT_OK;
	}
	for (i = 0; i < N_COMMANDS && !c; i++)
		if (!strcmp(argv[1], commands[i].name))
			c = &commands[i];
	if (!c) {
		fprintf(stderr, "phoneboot: unknown command '%s'\n\n", argv[1]);
		help_main(stderr, commands, N_COMMANDS);
		return EXIT_USAGE;
	}
	if ((rc = cli_parse(c->id, argc - 1, argv + 1, &a)) != PB_OK)
		return exit_code(rc);
	if (a.help) {
		help_command(stdout, c);
		return EXIT_OK;
	}
	rc = c->run(&a, &verdict);
	return rc != PB_OK ? exit_code(rc) : verdict;
}
