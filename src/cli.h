/* The phoneboot command: shared helpers of the subcommands. */
#ifndef PB_CLI_H
#define PB_CLI_H

#include <stdio.h>
#include <time.h>

#include "phoneboot/phoneboot.h"

#define PB_VERSION "0.1.0"

/* Exit codes, DESIGN.md section 4. */
enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_INTERNAL = 3 };

int cmd_profiles(int argc, char **argv);
int cmd_cert(int argc, char **argv);
int cmd_logon(int argc, char **argv);

/* Directory of the profile catalog: $PHONEBOOT_PROFILES, else profiles/
 * beside the executable, else the installed data directory. */
const char *profiles_dir(void);
/* Load the catalog, printing the error; NULL on failure. */
struct pb_catalog *catalog_or_die(void);
/* Resolve --profile ID|FILE: a catalog id, or a path to a profile file.
 * Returns a borrowed profile (owned by the catalog or by *owned). */
const struct pb_profile *profile_arg(struct pb_catalog *c, const char *arg,
				     struct pb_profile **owned);
/* The logon report as an HTML page (src/html.c); 0 or -1. */
#include <jansson.h>
int render_html(json_t *doc, const char *path);

/* ISO 8601 date or date-time (UTC) into *t; -1 when malformed. */
int parse_time(const char *s, time_t *t);

void die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
