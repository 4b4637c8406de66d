/* Documentation made from the command table (main.c) and the option table
 * (opts.c): COMMAND --help, phoneboot --help, the man page and the bash
 * completion. Nothing here describes an option by hand. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#include "config.h"

#define WIDTH 79
#define HELP_COL 26

/* The environment, for phoneboot --help and the man page. */
static const struct {
	const char *name, *help;
} env_table[] = {
	{ "PHONEBOOT_PASSWORD", "The password for logon, fleet and matrix when "
	  "--password-file is not given. Without either, phoneboot asks on the "
	  "terminal; with no terminal to ask on it is a usage error." },
	{ "PHONEBOOT_PROFILES", "The profile catalog's directory, instead of profiles/ "
	  "beside the executable (a source tree), ../share/phoneboot/profiles from it "
	  "(an installed tree) or " PB_DATADIR "/profiles." },
	{ "PHONEBOOT_DEVICE_ROOTS", "The firmware's built-in roots, when --device-roots "
	  "is not given." },
	{ "SSLKEYLOGFILE", "Where logon appends the TLS secrets, when --keylog is not "
	  "given." },
	{ "NO_COLOR", "When set and not empty, no colour even on a terminal "
	  "(https://no-color.org)." },
};

/* The exit codes: exit_code() in main.c is the map, this is its text. */
static const char *const exit_text[] = {
	"0  signed in (cert: every chain usable by every profile asked)",
	"1  the boot failed or looped, diagnosed (cert: some chain unusable)",
	"2  usage, configuration or input error (a file that cannot be read or parsed, "
	"an unknown profile, an empty password with no terminal to ask on)",
	"3  internal error (out of memory, a limit, phoneboot's own failure)",
};

/* Print text from column col, wrapped at WIDTH with indent for the next
 * lines; "\n\n" starts a new paragraph. */
static void wrap(FILE *f, const char *text, int col, int indent)
{
	const char *p = text;
	int line_start = 1;         /* nothing written on this line yet */

	while (*p) {
		size_t w = strcspn(p, " \n");

		if (!line_start && col + 1 + (int)w > WIDTH) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		} else if (!line_start) {
			fputc(' ', f);
			col++;
		}
		fwrite(p, 1, w, f);
		col += (int)w;
		line_start = 0;
		p += w;
		if (p[0] == '\n' && p[1] == '\n') {
			fprintf(f, "\n\n%*s", indent, "");
			col = indent;
			line_start = 1;
		}
		p += strspn(p, " \n");
	}
	fputc('\n', f);
}

/* "--json[=FILE]", "--dns SERVER[:PORT]", "--quiet" */
static void opt_label(const struct opt_row *r, char *buf, size_t len)
{
	if (r->arg == ARG_NONE)
		snprintf(buf, len, "--%s", r->name);
	else if (r->arg == ARG_OPTIONAL)
		snprintf(buf, len, "--%s[=%s]", r->name, r->meta);
	else
		snprintf(buf, len, "--%s %s", r->name, r->meta);
}

/* The choices of an OK_CHOICE row: "digest, ntlm or tls-dsk". */
static void choices(const struct opt_row *r, char *buf, size_t len)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; r->choices && r->choices[i] && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
					!i ? "" : r->choices[i + 1] ? ", " : " or ",
					r->choices[i]);
}

static int has_options(enum cmd c)
{
	size_t i;

	for (i = 0; i < opt_table_len; i++)
		if (opt_table[i].cmds & CMD_BIT(c))
			return 1;
	return 0;
}

void help_command(FILE *f, const struct command *c)
{
	char label[64], ch[160], text[1024];
	size_t i;

	fprintf(f, "usage: phoneboot %s %s%s\n\n", c->name, c->operands,
		has_options(c->id) ? " [OPTIONS]" : "");
	wrap(f, c->about, 0, 0);
	fputs("\noptions:\n", f);
	for (i = 0; i < opt_table_len; i++) {
		const struct opt_row *r = &opt_table[i];

		if (!(r->cmds & CMD_BIT(c->id)))
			continue;
		opt_label(r, label, sizeof(label));
		choices(r, ch, sizeof(ch));
		snprintf(text, sizeof(text), "%s%s%s%s", r->help, *ch ? " " : "",
			 *ch ? r->meta : "", *ch ? ": " : "");
		if (*ch)
			snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s.", ch);
		fprintf(f, "  %-*s", HELP_COL - 2, label);
		if ((int)strlen(label) > HELP_COL - 3)
			fprintf(f, "\n%*s", HELP_COL, "");
		wrap(f, text, HELP_COL, HELP_COL);
	}
	fprintf(f, "  %-*s", HELP_COL - 2, "-h, --help");
	wrap(f, "This help.", HELP_COL, HELP_COL);
	fputc('\n', f);
	snprintf(text, sizeof(text), "Exit: %s; 2 usage or input error, 3 internal error.",
		 c->exits);
	wrap(f, text, 0, 0);
}

void help_main(FILE *f, const struct command *cmds, size_t n)
{
	size_t i;

	fputs("usage: phoneboot COMMAND [OPTIONS]\n\n"
	      "A desk phone in a box: sign in as a chosen phone's firmware would,\n"
	      "and say why it cannot.\n\ncommands:\n", f);
	for (i = 0; i < n; i++) {
		char head[96];

		snprintf(head, sizeof(head), "%s %s", cmds[i].name, cmds[i].operands);
		fprintf(f, "  %s\n", head);
		fprintf(f, "%*s", 6, "");
		wrap(f, cmds[i].summary, 6, 6);
	}
	fputs("\nenvironment:\n", f);
	for (i = 0; i < sizeof(env_table) / sizeof(env_table[0]); i++) {
		fprintf(f, "  %s\n%*s", env_table[i].name, 6, "");
		wrap(f, env_table[i].help, 6, 6);
	}
	fputs("\n'phoneboot COMMAND --help' tells more; 'man phoneboot' tells all.\n"
	      "exit codes:\n", f);
	for (i = 0; i < sizeof(exit_text) / sizeof(exit_text[0]); i++) {
		fputs("  ", f);
		wrap(f, exit_text[i], 2, 5);
	}
}

/* ---- the man page ---- */

/* roff text: a backslash is \e, a hyphen \- (so that options copy and
 * paste), a line never starts with a control character. */
static void roff(FILE *f, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", f);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else if (*s == '\n' && s[1] == '\n') {
			fputs("\n.PP\n", f);
			s++;
			if (s[1] == '.' || s[1] == '\'')
				fputs("\\&", f);
		} else
			fputc(*s, f);
	}
}

void help_man(FILE *f, const struct command *cmds, size_t n)
{
	size_t i, k;
	char ch[160];

	fputs(".\\\" Made by 'phoneboot --man' from src/opts.c and src/main.c: edit those.\n"
	      ".TH PHONEBOOT 1 \"\" \"phoneboot " PB_VERSION "\" \"User Commands\"\n"
	      ".SH NAME\nphoneboot \\- a desk phone in a box: sign in as a phone's firmware "
	      "would, and say why it cannot\n.SH SYNOPSIS\n", f);
	for (i = 0; i < n; i++) {
		fprintf(f, "%s.B phoneboot %s\n", i ? ".br\n" : "", cmds[i].name);
		roff(f, cmds[i].operands);
		fputs(has_options(cmds[i].id) ? " [OPTIONS]\n" : "\n", f);
	}
	fputs(".SH DESCRIPTION\nphoneboot signs in exactly as a chosen desk phone does "
	      "\\(em with that phone's firmware limits \\(em against a real network: "
	      "DHCP, DNS, the directory, the PKI and the SIP registrar. It shows each "
	      "step as the phone's own screen would. When the phone would fail or loop, "
	      "it names the step and the cause with the evidence, proposes the change "
	      "that would fix it, and proves the fix by signing in again with it.\n"
	      ".SH COMMANDS\n", f);
	for (i = 0; i < n; i++) {
		fprintf(f, ".SS \"phoneboot %s ", cmds[i].name);
		roff(f, cmds[i].operands);
		fputs("\"\n", f);
		roff(f, cmds[i].about);
		fputs("\n", f);
		for (k = 0; k < opt_table_len; k++) {
			const struct opt_row *r = &opt_table[k];

			if (!(r->cmds & CMD_BIT(cmds[i].id)))
				continue;
			fputs(".TP\n\\fB", f);
			roff(f, "--");
			roff(f, r->name);
			fputs("\\fR", f);
			if (r->arg != ARG_NONE) {
				fputs(r->arg == ARG_OPTIONAL ? "[=\\fI" : " \\fI", f);
				roff(f, r->meta);
				fputs(r->arg == ARG_OPTIONAL ? "\\fR]" : "\\fR", f);
			}
			fputs("\n", f);
			roff(f, r->help);
			choices(r, ch, sizeof(ch));
			if (*ch) {
				fprintf(f, " %s: ", r->meta);
				roff(f, ch);
				fputs(".", f);
			}
			fputs("\n", f);
		}
		fputs(".TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\nThis command's options.\n"
		      ".PP\nExit: ", f);
		roff(f, cmds[i].exits);
		fputs("; 2 usage or input error, 3 internal error.\n", f);
	}
	fputs(".SH ENVIRONMENT\n", f);
	for (i = 0; i < sizeof(env_table) / sizeof(env_table[0]); i++) {
		fprintf(f, ".TP\n.B %s\n", env_table[i].name);
		roff(f, env_table[i].help);
		fputs("\n", f);
	}
	fputs(".SH FILES\n.TP\n.I " PB_DATADIR "/profiles\nThe device catalog, one "
	      "INI file per device and firmware (docs/profiles.md); found without "
	      "flags, and overridden by PHONEBOOT_PROFILES.\n.SH EXIT STATUS\n", f);
	for (i = 0; i < sizeof(exit_text) / sizeof(exit_text[0]); i++) {
		fprintf(f, ".TP\n.B %c\n", exit_text[i][0]);
		roff(f, exit_text[i] + 3);
		fputs("\n", f);
	}
	fputs(".SH EXAMPLES\nThe founding case: a Polycom CX700 given its reservation's "
	      "internal DNS server loops; the public DNS server is tried as a remedy:\n"
	      ".PP\n.nf\n.RS\nphoneboot logon alice@corp.example \\-\\-profile "
	      "polycom\\-cx700\\-ocpe \\e\n    \\-\\-dns 10.0.0.53 \\-\\-alt\\-dns 8.8.8.8 "
	      "\\-\\-html report.html\n.RE\n.fi\n.PP\nWhat each profile makes of a "
	      "server's chain:\n.PP\n.nf\n.RS\nphoneboot cert pool.corp.example:5061\n"
	      ".RE\n.fi\n.PP\nA saved report, again as text and as a page:\n.PP\n.nf\n.RS\n"
	      "phoneboot logon ... \\-\\-json=boot.json\nphoneboot report boot.json "
	      "\\-\\-html boot.html\n.RE\n.fi\n.SH SEE ALSO\n"
	      ".BR dig (1),\n.BR openssl\\-s_client (1),\n.BR sipp (1)\n", f);
}

/* ---- bash completion ---- */

void help_bash(FILE *f, const struct command *cmds, size_t n)
{
	size_t i, k;

	fputs("# bash completion for phoneboot; made by 'phoneboot --completion=bash'\n"
	      "# from src/opts.c and src/main.c: edit those.\n"
	      "_phoneboot() {\n"
	      "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
	      "\tlocal cmd=${COMP_WORDS[1]} opts=\n"
	      "\tif [ \"$COMP_CWORD\" -eq 1 ]; then\n"
	      "\t\tCOMPREPLY=($(compgen -W '", f);
	for (i = 0; i < n; i++)
		fprintf(f, "%s ", cmds[i].name);
	fputs("--help --version' -- \"$cur\"))\n\t\treturn\n\tfi\n"
	      "\tcase \"$prev\" in\n", f);
	/* arguments, by metavar: the same metavar completes the same way */
	for (k = 0; k < opt_table_len; k++) {
		const struct opt_row *r = &opt_table[k];

		if (r->arg != ARG_REQUIRED)
			continue;
		for (i = 0; i < k; i++)
			if (!strcmp(opt_table[i].name, r->name))
				break;
		if (i < k)
			continue;
		fprintf(f, "\t--%s)\n\t\t", r->name);
		if (r->kind == OK_CHOICE) {
			fputs("COMPREPLY=($(compgen -W '", f);
			for (i = 0; r->choices[i]; i++)
				fprintf(f, "%s ", r->choices[i]);
			fputs("' -- \"$cur\"))", f);
		} else if (!strcmp(r->meta, "ID|FILE")) {
			fputs("COMPREPLY=($(compgen -W \"$(phoneboot profiles 2>/dev/null | "
			      "awk 'NR > 1 && !NF { exit } NR > 1 { print $1 }')\" -- \"$cur\") "
			      "$(compgen -f -- \"$cur\"))", f);
		} else if (!strcmp(r->meta, "IFACE")) {
			fputs("COMPREPLY=($(compgen -W \"$(ls /sys/class/net 2>/dev/null)\" "
			      "-- \"$cur\"))", f);
		} else if (strstr(r->meta, "FILE")) {
			fputs("COMPREPLY=($(compgen -f -- \"$cur\"))", f);
		} else {
			fputs("COMPREPLY=()", f);
		}
		fputs("\n\t\treturn ;;\n", f);
	}
	fputs("\tesac\n\tcase \"$cmd\" in\n", f);
	for (i = 0; i < n; i++) {
		fprintf(f, "\t%s) opts='", cmds[i].name);
		for (k = 0; k < opt_table_len; k++)
			if (opt_table[k].cmds & CMD_BIT(cmds[i].id))
				fprintf(f, "--%s%s ", opt_table[k].name,
					opt_table[k].arg == ARG_OPTIONAL ? "=" : "");
		fputs("--help' ;;\n", f);
	}
	fputs("\tesac\n"
	      "\tif [[ $cur == -* ]]; then\n"
	      "\t\tCOMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
	      "\t\t[[ ${COMPREPLY[0]} == *= ]] && compopt -o nospace 2>/dev/null\n"
	      "\telse\n"
	      "\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n"
	      "\tfi\n"
	      "}\n"
	      "complete -F _phoneboot phoneboot\n", f);
}
