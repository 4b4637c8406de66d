/* phoneboot: boot an emulated phone end to end (DESIGN.md section 2) and
 * diagnose it. One event loop drives every step; a logon is a fleet of one. */
#ifndef PHONEBOOT_LOGON_H
#define PHONEBOOT_LOGON_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "phoneboot/cert.h"
#include "phoneboot/export.h"
#include "phoneboot/profile.h"

/* A trace line (no newline), for --trace: one per state transition and
 * network event. ms counts from the engine's start. Borrowed. */
typedef void pb_trace_cb(void *arg, double ms, const char *line);

struct pb_logon_opts {
	const char *user, *domain;          /* USER@DOMAIN */
	const struct pb_profile *profile;
	const struct pb_catalog *catalog;   /* for upgrade-firmware; may be NULL */
	const char *const *dns;             /* "ip[:port]" */
	size_t n_dns;
	const char *const *alt_dns;         /* a remedy to verify; may be empty */
	size_t n_alt_dns;
	const char *password;               /* borrowed; never copied into the report */
	const struct pb_trust *device_roots;/* the firmware's built-in roots; may be NULL */
	unsigned auth;                      /* enum pb_auth bits overriding the profile; 0: profile */
	unsigned attempts;                  /* cycles; 0 means 2 */
	unsigned timeout_ms;                /* per network wait; 0 means 2000 */
	time_t now;                         /* the host's clock at the start (the reference
					       the diagnosis measures the device's against);
					       with time_set, the device's clock itself */
	int time_set;                       /* --time: now is the device's clock, whatever
					       NTP says (the report says so) */
	const char *dhcp_iface;             /* start with a DHCP exchange there; NULL: --dns */
	unsigned char mac[6];               /* client MAC for DHCP */
	int has_mac;                        /* 0: a stable locally administered one */
	int dhcp_inform;                    /* DHCPINFORM instead of DISCOVER */
	int dhcp_configure;                 /* put the leased address on the interface,
					       and take it off at the end */
	pb_trace_cb *trace;                 /* NULL: no trace */
	void *trace_arg;
	const char *keylog_file;            /* NSS key log of every TLS session, or NULL */
	const char *label;                  /* names the boot in the trace; NULL: user */
	unsigned short devupdate_port;      /* the Device Update service's port; 0: the
					       device's (80 HTTP, 443 HTTPS). Tests and labs
					       on unprivileged ports */
	unsigned skip_steps;                /* bits (1u << enum pb_step): steps left out
					       of every cycle, as if not in the flow (a
					       probe of part of the boot: fleet --skip);
					       0: the whole flow */
	int ldap_plain_bind;                /* download-root: when neither StartTLS nor
					       LDAPS can be had, bind with the password in
					       clear text on 389 (old directories; the
					       report warns). 0: never */
	int sign_out;                       /* register: once signed in, sign out
					       (REGISTER Expires: 0) in the security
					       association the sign-in set up, and
					       check the registrar's proof. 0: stay */
	const char *client_cert;            /* the client certificate a first sign-in
					       provisioned (PEM, certificate and private
					       key): TLS-DSK answers with it. NULL: none,
					       and TLS-DSK is passed over */
	int no_exchanges;                   /* 1: the report's "exchanges" (the ladder)
					       stays empty: a fleet whose lines only its
					       summary reads saves their CPU and memory */
};

/* Run the logon (and, with alt_dns, the remedy's logon): a fleet of one on
 * a loop of its own (pb_boot_start() for a loop the caller owns).
 * *report is the JSON report of DESIGN.md section 4 (caller json_decref()s).
 * Returns PB_OK when a report was made, whatever the outcome; the outcome
 * is the report's "outcome". Any other value is phoneboot's own failure
 * (out of memory, a limit), with err saying which; no report then. */
PB_EXPORT enum pb_err pb_logon(const struct pb_logon_opts *o, json_t **report,
		     char *err, size_t errlen);

#endif
