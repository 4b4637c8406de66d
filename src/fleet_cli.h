/* What `phoneboot fleet` and `phoneboot matrix` share (src/fleet_util.c):
 * secrets, option values, the descriptor limit, and the summary rendered
 * as text and HTML. Their options are rows of src/opts.c, as every
 * command's; cmd_fleet() and cmd_matrix() are declared in cli.h. */
#ifndef PB_FLEET_CLI_H
#define PB_FLEET_CLI_H

#include <stdio.h>

#include <jansson.h>

#include "cli.h"

#define FLEET_MAX_DNS 8

/* A phone of a CSV file (src/fleet_csv.c). */
struct fleet_phone {
	char *user, *domain;              /* one allocation: user\0domain */
	const struct pb_profile *profile;
	const char *dns[FLEET_MAX_DNS];         /* into dnsbuf */
	size_t n_dns;
	char *dnsbuf;
	char *dhcp;
	unsigned char mac[6];
	int has_mac;
	char *password;                   /* own, or NULL: the shared one */
};

struct fleet_csv_in {
	const char *path;
	struct pb_catalog *cat;
	const struct pb_profile *profile;  /* --profile, or NULL */
	const char *profile_arg;           /* as given, or NULL */
	int have_dns;                      /* --dns given */
	const char *dhcp;                  /* --dhcp, or NULL */
};

/* Read the phones of in->path; a usage error (exit 2) naming the line
 * when one is malformed. *count set. */
struct fleet_phone *fleet_csv_read(const struct fleet_csv_in *in, size_t *count);
void fleet_csv_free(struct fleet_phone *phones, size_t n);
/* "user@domain" into one allocation "user\0domain" (*domain into it);
 * NULL when malformed or out of memory. */
char *fleet_split_identity(const char *id, char **domain);

/* The shared password: --password-file FILE, else $PHONEBOOT_PASSWORD,
 * else a prompt on the terminal; a usage error when there is none.
 * Never from argv. Caller wipes and frees. */
char *fleet_password(const char *cmd, const char *file);
/* The first line of FILE, for a per-phone password source; NULL with
 * errno when unreadable. */
char *fleet_read_secret(const char *file);
/* Wipe and free a secret. NULL is fine. */
void fleet_secret_free(char *s);
/* --auth SCHEME (one of opts.c's choices, pb_auth_str()'s names) as enum
 * pb_auth bits; 0 for NULL: the profiles' own schemes. */
unsigned fleet_auth_bits(const char *scheme);
/* xx:xx:xx:xx:xx:xx into mac; 0 or -1. */
int fleet_parse_mac(const char *s, unsigned char mac[6]);
/* A whole decimal number in [min, max]; 0 or -1. */
int fleet_parse_ulong(const char *s, unsigned long min, unsigned long max,
		      unsigned long *out);
/* Steps by id, separated by ',' into enum pb_step bits; 0 or -1. */
int fleet_parse_steps(const char *s, unsigned *bits);
/* RLIMIT_NOFILE against what `concurrency` boots need: the soft limit is
 * raised when the hard one allows it, else a usage error (exit 2) that
 * says the numbers. */
void fleet_check_nofile(const char *cmd, unsigned concurrency);

/* The summary of pb_fleet_summary_json() with the run's own figures
 * (run: seconds, boots_per_s, concurrency, rate, shard, interrupted,
 * merged_files; any may be absent), as text and as a self-contained
 * HTML page (0, or -1 with errno). */
void fleet_summary_text(FILE *f, const json_t *summary, const json_t *run);
int fleet_summary_html(const char *path, const json_t *summary, const json_t *run);
/* HTML escaping, for the pages of fleet and matrix. */
void fleet_html_esc(FILE *f, const char *s);

#endif
