/* phoneboot logon USER@DOMAIN --profile ID [options]: the options are rows of
 * src/opts.c; the report is rendered by render_text.c, html.c. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "phoneboot/logon.h"
#include "report.h"

/* --trace: one line per transition and network event, on stderr. */
static void trace_line(void *arg, double ms, const char *line)
{
	(void)arg;
	fprintf(stderr, "[%9.3f ms] %s\n", ms, line);
}

/* The password: file, environment, or the terminal; never argv. An empty
 * one is refused: no registrar takes it, and with no terminal to ask on
 * it is a usage error that says so. *out is set only on PB_OK. */
static enum pb_err read_password(const char *file, char **out)
{
	char buf[512];
	const char *env = getenv("PHONEBOOT_PASSWORD");
	enum pb_err rc = PB_OK;

	buf[0] = '\0';
	if (file) {
		FILE *f = fopen(file, "r");

		if (!f)
			return cli_error(PB_ERR_USAGE, "logon: --password-file %s: %s", file,
					 strerror(errno));
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
		buf[strcspn(buf, "\r\n")] = '\0';
		if (!buf[0])
			return cli_error(PB_ERR_USAGE, "logon: --password-file %s: the first "
					 "line, the password, is empty", file);
	} else if (env && *env) {
		snprintf(buf, sizeof(buf), "%s", env);
	} else {
		struct termios t, quiet;
		int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
		ssize_t r;

		if (fd < 0)
			return cli_error(PB_ERR_USAGE, "logon: no password: give "
					 "--password-file FILE or set PHONEBOOT_PASSWORD%s "
					 "(there is no terminal to ask on)",
					 env ? " to a non-empty one" : "");
		/* the prompt and the newline are courtesy: a failed write
		 * changes nothing about the password read */
		if (write(fd, "Password: ", 10) < 0) {
		}
		tcgetattr(fd, &t);
		quiet = t;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fd, TCSANOW, &quiet);
		r = read(fd, buf, sizeof(buf) - 1);
		tcsetattr(fd, TCSANOW, &t);
		if (write(fd, "\n", 1) < 0) {
		}
		close(fd);
		buf[r > 0 ? r : 0] = '\0';
		buf[strcspn(buf, "\r\n")] = '\0';
		if (!buf[0])
			rc = cli_error(PB_ERR_USAGE, "logon: empty password");
	}
	if (rc == PB_OK && !(*out = strdup(buf)))
		rc = cli_error(PB_ERR_NOMEM, "out of memory");
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

/* --auth SCHEME as enum pb_auth bits (the choices of opts.c are
 * pb_auth_str()'s names). */
static unsigned auth_bits(const char *scheme)
{
	unsigned b;

	for (b = 1; scheme && b <= PB_AUTH_TLS_DSK; b <<= 1)
		if (!strcmp(pb_auth_str((enum pb_auth)b), scheme))
			return b;
	return 0;
}

/* The options, checked together, into o; dies on a usage error (nothing
 * is held yet). */
static void logon_opts(const struct cli_args *a, struct pb_logon_opts *o, char *identity,
		       size_t idlen)
{
	char *at;

	memset(o, 0, sizeof(*o));
	if (a->n_pos != 1)
		die_usage("logon: expected one USER@DOMAIN; see phoneboot logon --help");
	snprintf(identity, idlen, "%s", a->pos[0]);
	at = strchr(identity, '@');
	if (!at || at == identity || !at[1] || strchr(at + 1, '@'))
		die_usage("logon: '%s': expected USER@DOMAIN", a->pos[0]);
	*at = '\0';
	o->user = identity;
	o->domain = at + 1;
	if (a->v[OPT_PROFILE].n != 1)
		die_usage("logon: %s --profile ID (phoneboot profiles lists them)",
			  a->v[OPT_PROFILE].n ? "one" : "give the device with");
	o->dns = a->v[OPT_DNS].list;
	o->n_dns = a->v[OPT_DNS].n;
	o->alt_dns = a->v[OPT_ALT_DNS].list;
	o->n_alt_dns = a->v[OPT_ALT_DNS].n;
	o->dhcp_iface = opt_str(a, OPT_DHCP);
	if (!o->n_dns && !o->dhcp_iface)
		die_usage("logon: give the phone's network: --dhcp IFACE, or its DNS "
			  "servers with --dns SERVER");
	if (o->n_dns && o->dhcp_iface)
		die_usage("logon: --dhcp takes the DNS servers from the lease; drop --dns "
			  "(use --alt-dns to try others)");
	if (o->dhcp_iface && !if_nametoindex(o->dhcp_iface))
		die_usage("logon: --dhcp %s: no such interface here", o->dhcp_iface);
	if ((opt_set(a, OPT_MAC) || opt_set(a, OPT_DHCP_INFORM) ||
	     opt_set(a, OPT_DHCP_CONFIGURE)) && !o->dhcp_iface)
		die_usage("logon: --mac, --dhcp-inform and --dhcp-configure go with --dhcp IFACE");
	if ((o->has_mac = opt_set(a, OPT_MAC)))
		memcpy(o->mac, a->v[OPT_MAC].mac, sizeof(o->mac));
	o->dhcp_inform = opt_set(a, OPT_DHCP_INFORM);
	o->dhcp_configure = opt_set(a, OPT_DHCP_CONFIGURE);
	o->auth = auth_bits(opt_str(a, OPT_AUTH));
	o->ldap_plain_bind = opt_set(a, OPT_LDAP_PLAIN_BIND);
	o->sign_out = opt_set(a, OPT_SIGN_OUT);
	o->client_cert = opt_str(a, OPT_CLIENT_CERT);
	o->attempts = (unsigned)opt_uint(a, OPT_ATTEMPTS, 2);
	o->timeout_ms = (unsigned)opt_uint(a, OPT_TIMEOUT, 2000);
	o->now = opt_set(a, OPT_TIME) ? a->v[OPT_TIME].time : time(NULL);
	o->time_set = opt_set(a, OPT_TIME);     /* the device's clock, over NTP's */
	o->trace = opt_set(a, OPT_TRACE) ? trace_line : NULL;
	o->keylog_file = opt_set(a, OPT_KEYLOG) ? opt_str(a, OPT_KEYLOG)
						: getenv("SSLKEYLOGFILE");
}

/* "DNS 127.0.0.53 127.0.0.54" or "DHCP on eth0"; and the --alt-dns list. */
static void networks(const struct pb_logon_opts *o, char *net, size_t nl, char *alt,
		     size_t al)
{
	size_t i, off;

	if (o->dhcp_iface)
		off = (size_t)snprintf(net, nl, "DHCP on %s", o->dhcp_iface);
	else
		off = (size_t)snprintf(net, nl, "DNS");
	for (i = 0; i < o->n_dns && off < nl; i++)
		off += (size_t)snprintf(net + off, nl - off, " %s", o->dns[i]);
	alt[0] = '\0';
	for (i = 0, off = 0; i < o->n_alt_dns && off < al; i++)
		off += (size_t)snprintf(alt + off, al - off, "%s%s", i ? " " : "", o->alt_dns[i]);
}

/* Write to path, or to stdout when path is NULL. */
static enum pb_err write_to(const char *opt, const char *path, const struct report *r,
			    int (*fn)(FILE *, const struct report *))
{
	FILE *f = path ? fopen(path, "w") : stdout;
	int bad;

	if (!f)
		return cli_error(PB_ERR_IO, "%s %s: %s", opt, path, strerror(errno));
	bad = fn(f, r) < 0;
	if (path)
		bad |= fclose(f) != 0;
	else
		bad |= fflush(f) != 0;
	if (bad)
		return cli_error(PB_ERR_IO, "%s %s: %s", opt, path ? path : "(standard output)",
				 strerror(errno));
	return PB_OK;
}

/* Render the report as the options ask: JSON (stdout, or a file and the
 * text), HTML, the text. Shared with phoneboot report. */
enum pb_err render_report(const struct cli_args *a, const struct report *r,
			  const struct render_opts *ro, int *verdict)
{
	const char *json_to = opt_str(a, OPT_JSON), *html_to = opt_str(a, OPT_HTML);
	enum pb_err rc = PB_OK;

	if (opt_set(a, OPT_JSON))
		rc = write_to("--json", json_to, r, render_json);
	if (rc == PB_OK && (!opt_set(a, OPT_JSON) || json_to))
		render_text(stdout, r, ro);
	if (rc == PB_OK && html_to)
		rc = write_to("--html", html_to, r, render_html);
	if (rc == PB_OK)
		*verdict = r->boot.outcome == RO_SIGNED_IN ? EXIT_OK : EXIT_FAILED;
	return rc;
}

enum pb_err cmd_logon(const struct cli_args *a, int *verdict)
{
	struct pb_logon_opts o;
	struct pb_catalog *cat;
	struct pb_profile *owned = NULL;
	struct pb_trust *roots = NULL;
	struct report *rep = NULL;
	const char *roots_file = getenv("PHONEBOOT_DEVICE_ROOTS");
	char *password = NULL, err[512], identity[512], net[512], alt[512];
	json_t *report = NULL;
	enum pb_err rc;

	logon_opts(a, &o, identity, sizeof(identity));
	cat = catalog_or_die();
	o.profile = profile_arg(cat, a->v[OPT_PROFILE].list[0], &owned);
	o.catalog = cat;
	if (opt_set(a, OPT_DEVICE_ROOTS))
		roots_file = opt_str(a, OPT_DEVICE_ROOTS);
	if (roots_file && *roots_file) {
		if ((rc = pb_trust_new(&roots)) != PB_OK) {
			cli_error(rc, "out of memory");
			goto out;
		}
		if ((rc = pb_trust_add_file(roots, roots_file, err, sizeof(err))) != PB_OK) {
			cli_error(rc, "logon: device roots: %s", err);
			goto out;
		}
		o.device_roots = roots;
	}
	if ((rc = read_password(opt_str(a, OPT_PASSWORD_FILE), &password)) != PB_OK)
		goto out;
	o.password = password;
	if ((rc = pb_logon(&o, &report, err, sizeof(err))) != PB_OK) {
		/* usage and input errors say so; the others are phoneboot's own
		 * failure, never the network's */
		cli_error(rc, "logon: %s", err);
		goto out;
	}
	/* the library's own report: a parse error is an internal one */
	if ((rc = report_parse(report, &rep, err, sizeof(err))) != PB_OK) {
		rc = cli_error(rc == PB_ERR_NOMEM ? rc : PB_ERR_INTERNAL, "logon: the "
			       "report: %s", err);
		goto out;
	}
	networks(&o, net, sizeof(net), alt, sizeof(alt));
	{
		struct render_opts ro = { want_color(stdout), opt_set(a, OPT_QUIET), "logon",
					  net, *alt ? alt : NULL, o.attempts };

		rc = render_report(a, rep, &ro, verdict);
	}
out:
	report_free(rep);
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
