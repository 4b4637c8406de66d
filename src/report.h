/* The logon report, typed: the library's JSON report (DESIGN.md section 4)
 * read once into C structs, then rendered as text, JSON or HTML. The
 * renderers read these structs, never the JSON's keys. */
#ifndef PB_REPORT_H
#define PB_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "phoneboot/codes.h"

enum rep_outcome { RO_SIGNED_IN, RO_FAILED, RO_LOOP, RO_OTHER };
enum rep_result { RR_OK, RR_FAIL, RR_SKIPPED };

#define REP_MAX_LIST 16

/* A DHCP lease, as the dhcp step saw it. */
struct rep_lease {
	const char *address, *server, *domain;
	const char *dns[REP_MAX_LIST];
	size_t n_dns;
	const char *sip[REP_MAX_LIST];       /* option 120 */
	size_t n_sip;
	int has_sip, asked_sip;               /* option 120 got; asked for (option 55) */
	int voice_vlan;                      /* option 43's, the phone follows it; 0 none */
};

/* Every string is borrowed from the report's JSON document ("" when
 * absent, never NULL). */
struct rep_step {
	const char *step, *screen, *cause, *detail, *peer;
	enum rep_result result;
	double ms;
	/* what the step found, for a one-line summary */
	int has_lease;
	struct rep_lease lease;
	const char *dc, *pool, *status, *tls_version, *cipher;
	const char *scheme, *fallback;      /* authenticate: the scheme answered, and
					     * "Kerberos: <cause> -> NTLM" */
	/* download-root: certificates from the directory, and from the
	 * enterprise CA's web enrollment (-1: not asked) or why not */
	int n_dir_certs, web_added;
	const char *web_url, *web_failed;
	const json_t *facts;                 /* every fact, for the HTML page */
};

/* One message on the wire, in time order: the ladder's arrows. */
struct rep_exchange {
	unsigned cycle;
	double ms;
	const char *step, *peer, *label;
	int out;                             /* phone -> peer */
	int failed;
};

/* One boot: the report's top level, or its "alternative". */
struct rep_boot {
	enum rep_outcome outcome;
	const char *outcome_str, *target;
	unsigned cycles;
	struct rep_step *steps;              /* the last cycle */
	size_t n_steps;
	struct rep_exchange *ex;             /* every cycle */
	size_t n_ex;
};

struct rep_diag {
	const char *step, *cause, *summary;
	const char *also[REP_MAX_LIST];
	size_t n_also;
	const char **evidence;
	size_t n_evidence;
};

struct rep_remedy {
	const char *remedy, *summary;
	int verified;
};

struct report {
	json_t *doc;                         /* a reference, kept: the strings live in it */
	const char *identity, *profile_id, *profile_name;
	int auth_overridden;
	struct rep_boot boot;
	int has_alt;
	struct rep_boot alt;
	int has_diag;
	struct rep_diag diag;
	struct rep_remedy *remedies;
	size_t n_remedies;
};

/* Read doc (a new reference is taken) into *out. PB_ERR_PARSE with err
 * when doc is no phoneboot logon report; PB_ERR_NOMEM. *out is set only on
 * success; free with report_free(). */
enum pb_err report_parse(json_t *doc, struct report **out, char *err, size_t errlen);
void report_free(struct report *r);

/* How the text is shown; what the report does not hold comes from the
 * command line that made it. */
struct render_opts {
	int color;                           /* ANSI colours (a terminal, no NO_COLOR) */
	int quiet;                           /* the outcome line and the diagnosis only */
	const char *command;                 /* "logon", "report" */
	const char *network;                 /* "DNS 127.0.0.53", or NULL */
	const char *alt_network;             /* "127.0.0.54", or NULL */
	unsigned attempts;                   /* cycles asked for; 0: unknown */
};

/* 1 when stdout should get colours: a terminal, and NO_COLOR unset or empty. */
int want_color(FILE *f);

void render_text(FILE *f, const struct report *r, const struct render_opts *o);
/* The JSON report, as the library made it; 0 or -1. */
int render_json(FILE *f, const struct report *r);
/* One self-contained page with the ladder diagrams; 0 or -1. */
int render_html(FILE *f, const struct report *r);

#endif
