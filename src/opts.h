/* The command line: one table of options for every command, as curl's
 * src/tool_listhelp.c and tool_getparam.c. The table (src/opts.c) is the
 * only place an option is described: the getopt_long array of a command,
 * its --help, the man page and the bash completion are all made from it.
 *
 * Adding an option to a command is adding a row to opt_table[] (and, for a
 * new option, a value in enum opt_id): name, kind of argument, metavar,
 * the commands it applies to, bounds, help text. The command then reads
 * the parsed, bounds-checked value with opt_str(), opt_uint(), ... by id.
 * Adding a command is one value in enum cmd and one row in main.c's
 * command table. docs/cli.md says more. */
#ifndef PB_OPTS_H
#define PB_OPTS_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "phoneboot/codes.h"

/* The commands. The value is the bit in opt_row.cmds; never reuse one. */
enum cmd {
	CMD_LOGON = 0,
	CMD_CERT = 1,
	CMD_PROFILES = 2,
	CMD_REPORT = 3,
	CMD_FLEET = 4,
	CMD_MATRIX = 5,
};
#define CMD_BIT(c) (1u << (c))

/* What a command reads back. A name may appear in several rows (one help
 * text per group of commands); every row of a name has the same id. */
enum opt_id {
	OPT_PROFILE,
	OPT_DNS,
	OPT_DHCP,
	OPT_MAC,
	OPT_DHCP_INFORM,
	OPT_DHCP_CONFIGURE,
	OPT_ALT_DNS,
	OPT_PASSWORD_FILE,
	OPT_DEVICE_ROOTS,
	OPT_AUTH,
	OPT_ATTEMPTS,
	OPT_TIMEOUT,
	OPT_TIME,
	OPT_NAME,
	OPT_TRUST,
	/* fleet, matrix */
	OPT_FLEET_COUNT,    /* --count (OPT_COUNT is the number of ids) */
	OPT_IDENTITY,
	OPT_FIRST,
	OPT_CSV,
	OPT_SKIP,
	OPT_CONCURRENCY,
	OPT_RATE,
	OPT_SHARD,
	OPT_JSONL,
	OPT_PROGRESS,
	OPT_INTERVAL,
	OPT_MERGE,
	OPT_PATH,
	OPT_JSON,
	OPT_HTML,
	OPT_QUIET,
	OPT_TRACE,
	OPT_KEYLOG,
	OPT_LDAP_PLAIN_BIND,
	OPT_SIGN_OUT,
	OPT_CLIENT_CERT,
	OPT_COUNT
};

/* How an argument is read; the parser checks it once for every command. */
enum opt_kind {
	OK_FLAG,    /* no argument; set counts the times given */
	OK_STRING,  /* a string; the last one wins (optional: may be NULL) */
	OK_LIST,    /* repeatable; at most .max values */
	OK_UINT,    /* a decimal number in [.min, .max] */
	OK_TIME,    /* ISO 8601 date or date-time, UTC */
	OK_CHOICE,  /* one of .choices; num is its index */
	OK_MAC,     /* xx:xx:xx:xx:xx:xx */
};

enum opt_arg { ARG_NONE = 0, ARG_REQUIRED = 1, ARG_OPTIONAL = 2 };

struct opt_row {
	enum opt_id id;
	const char *name;            /* without "--" */
	enum opt_kind kind;
	enum opt_arg arg;
	const char *meta;            /* "FILE", "MS": in --help, man and completion */
	unsigned cmds;               /* CMD_BIT(CMD_LOGON) | ... */
	unsigned long min, max;      /* OK_UINT bounds; OK_LIST: max values */
	const char *const *choices;  /* OK_CHOICE: NULL-terminated */
	const char *help;            /* sentences; the printers wrap them */
};

extern const struct opt_row opt_table[];
extern const size_t opt_table_len;

#define OPT_LIST_MAX 64

struct opt_val {
	unsigned set;                /* times given */
	const char *str;             /* OK_STRING (NULL for --json alone), OK_CHOICE */
	unsigned long num;           /* OK_UINT, OK_CHOICE */
	time_t time;                 /* OK_TIME */
	unsigned char mac[6];        /* OK_MAC */
	const char *list[OPT_LIST_MAX];  /* OK_LIST, borrowed from argv */
	size_t n;
};

/* A command's parsed command line. Strings are borrowed from argv. */
struct cli_args {
	enum cmd cmd;
	const char *cmd_name;
	int help;                    /* --help or -h */
	struct opt_val v[OPT_COUNT];
	char **pos;                  /* the operands */
	int n_pos;
};

/* Parse argv (argv[0] is the command's name) with the rows of command c.
 * PB_OK; PB_ERR_USAGE with the message printed; PB_ERR_INTERNAL when the
 * table itself is inconsistent (opt_table_check()). */
enum pb_err cli_parse(enum cmd c, int argc, char **argv, struct cli_args *a);

/* The table's own rules: within a command a name appears once; rows of
 * one name agree on id, kind, argument and bounds (parsed the same
 * everywhere). 0, or -1 with the rule broken in err. */
int opt_table_check(char *err, size_t errlen);

static inline int opt_set(const struct cli_args *a, enum opt_id id)
{
	return a->v[id].set != 0;
}
static inline const char *opt_str(const struct cli_args *a, enum opt_id id)
{
	return a->v[id].set ? a->v[id].str : NULL;
}
static inline unsigned long opt_uint(const struct cli_args *a, enum opt_id id,
				     unsigned long dflt)
{
	return a->v[id].set ? a->v[id].num : dflt;
}

/* ---- generated documentation (src/help.c) ---- */

struct command;
/* COMMAND --help, from the table. */
void help_command(FILE *f, const struct command *c);
/* phoneboot --help. */
void help_main(FILE *f, const struct command *cmds, size_t n);
/* The man page source (roff), for make: phoneboot --man > phoneboot.1 */
void help_man(FILE *f, const struct command *cmds, size_t n);
/* A bash completion script, for make: phoneboot --completion=bash */
void help_bash(FILE *f, const struct command *cmds, size_t n);

#endif
