/* The phoneboot command: the command table, the exit codes and the
 * helpers shared by the commands. */
#ifndef PB_CLI_H
#define PB_CLI_H

#include <stdio.h>
#include <time.h>

#include "phoneboot/phoneboot.h"
#include "opts.h"

#define PB_VERSION "0.1.0"

/* Exit codes, DESIGN.md section 4. */
enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_INTERNAL = 3 };

/* A command runs with its parsed command line. It returns PB_OK and sets
 * *verdict to EXIT_OK or EXIT_FAILED (the boot's or the judge's outcome),
 * or a program error whose message it has printed; main() turns that into
 * the exit code with exit_code(), the one map. */
typedef enum pb_err cmd_run_fn(const struct cli_args *a, int *verdict);

/* One row of main.c's command table; help, man page and completion are
 * made from it and from opt_table[]. */
struct command {
	const char *name;
	enum cmd id;
	cmd_run_fn *run;
	const char *operands;   /* synopsis after the name: "USER@DOMAIN ..." */
	const char *summary;    /* one line for phoneboot --help */
	const char *about;      /* paragraphs for --help and the man page */
	const char *exits;      /* what exit 0 and 1 mean for it */
};

cmd_run_fn cmd_logon, cmd_cert, cmd_profiles, cmd_report, cmd_fleet, cmd_matrix;

/* The one map from a program error to the exit code. */
int exit_code(enum pb_err e);
/* Print "phoneboot: MESSAGE" and return e (for "return cli_error(...)"). */
enum pb_err cli_error(enum pb_err e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Print "phoneboot: MESSAGE" and exit with exit_code(e): for errors found
 * before a command holds anything to release. */
void cli_die(enum pb_err e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
#define die_usage(...) cli_die(PB_ERR_USAGE, __VA_ARGS__)

/* Directory of the profile catalog: $PHONEBOOT_PROFILES, else profiles/
 * beside the executable, else the installed data directory. */
const char *profiles_dir(void);
/* Load the catalog, printing the error; NULL on failure. */
struct pb_catalog *catalog_or_die(void);
/* Resolve --profile ID|FILE: a catalog id, or a path to a profile file.
 * Returns a borrowed profile (owned by the catalog or by *owned). */
const struct pb_profile *profile_arg(struct pb_catalog *c, const char *arg,
				     struct pb_profile **owned);

/* Render a logon report as the options ask (--json[=FILE], --html FILE,
 * the text unless the JSON goes to standard output); *verdict from its
 * outcome. In cmd_logon.c, shared with phoneboot report. */
struct report;
struct render_opts;
enum pb_err render_report(const struct cli_args *a, const struct report *r,
			  const struct render_opts *ro, int *verdict);

/* ISO 8601 date or date-time (UTC) into *t; -1 when malformed. */
int parse_time(const char *s, time_t *t);

#endif
