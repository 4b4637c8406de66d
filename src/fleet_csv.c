/* phoneboot fleet --csv FILE: the phones of a CSV file (docs/fleet.md).
 * One phone a line: identity,profile,mac,network,password; empty fields
 * take the command's options. A password in the file itself (plain:) only
 * when the file is private to the user; no message shows a secret. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fleet_cli.h"

/* "user@domain" into one allocation "user\0domain"; NULL when malformed */
char *fleet_split_identity(const char *id, char **domain)
{
	const char *at = strchr(id, '@');
	char *p;

	if (!at || at == id || !at[1] || strchr(at + 1, '@') || strlen(id) > 255)
		return NULL;
	if (!(p = strdup(id)))
		return NULL;
	p[at - id] = '\0';
	*domain = p + (at - id) + 1;
	return p;
}

/* "a;b;c" or "a,b,c" into ph->dns */
static int parse_dns_list(struct fleet_phone *ph, const char *s, const char *seps)
{
	char *p;

	if (!(ph->dnsbuf = strdup(s)))
		return -1;
	for (p = ph->dnsbuf; *p;) {
		size_t n = strcspn(p, seps);

		if (!n || ph->n_dns == FLEET_MAX_DNS)
			return -1;
		ph->dns[ph->n_dns++] = p;
		p += n;
		if (*p)
			*p++ = '\0';
	}
	return ph->n_dns ? 0 : -1;
}

/* Whether FILE may carry passwords: a regular file, owned by us, that no
 * one else may read or write (mode 0600 or stricter). */
static int file_private(FILE *f)
{
	struct stat st;

	return fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == getuid() &&
	       !(st.st_mode & (S_IRWXG | S_IRWXO));
}

/* The next comma-separated field of *p (NUL-terminated in place). */
static char *field(char **p)
{
	char *s = *p, *comma;

	if (!s)
		return "";
	if ((comma = strchr(s, ','))) {
		*comma = '\0';
		*p = comma + 1;
	} else {
		*p = NULL;
	}
	return s;
}

struct fleet_phone *fleet_csv_read(const struct fleet_csv_in *c, size_t *count)
{
	struct fleet_phone *phones = NULL;
	size_t n_phones = 0;
	FILE *f = fopen(c->path, "r");
	char *line = NULL;
	size_t cap = 0, lineno = 0, alloc = 0;
	ssize_t len;
	int priv;

	if (!f)
		die_usage("fleet: --csv %s: %s", c->path, strerror(errno));
	priv = file_private(f);
	while ((len = getline(&line, &cap, f)) >= 0) {
		char *p = line, *id, *prof, *mac, *net, *pw;
		struct fleet_phone *ph;

		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0] || line[0] == '#' || (lineno == 1 && !strncmp(line, "identity,", 9)))
			continue;
		if (n_phones == alloc) {
			struct fleet_phone *n;

			alloc = alloc ? alloc * 2 : 64;
			if (!(n = realloc(phones, alloc * sizeof(*n))))
				die_usage("fleet: out of memory reading %s", c->path);
			phones = n;
		}
		ph = &phones[n_phones++];
		memset(ph, 0, sizeof(*ph));
		id = field(&p);
		prof = field(&p);
		mac = field(&p);
		net = field(&p);
		pw = field(&p);
		if (p)
			die_usage("fleet: %s line %zu: more than 5 fields (identity,profile,mac,"
				  "network,password)", c->path, lineno);
		if (!(ph->user = fleet_split_identity(id, &ph->domain)))
			die_usage("fleet: %s line %zu: identity '%s': expected USER@DOMAIN",
				  c->path, lineno, id);
		/* a row names a catalog id (or the --profile file) */
		if (*prof && c->profile_arg && !strcmp(prof, c->profile_arg))
			ph->profile = c->profile;
		else if (*prof && !(ph->profile = pb_catalog_find(c->cat, prof)))
			die_usage("fleet: %s line %zu: no profile '%s' in the catalog (a profile "
				  "file goes in --profile)", c->path, lineno, prof);
		else if (!*prof && !(ph->profile = c->profile))
			die_usage("fleet: %s line %zu: no profile, and no --profile", c->path,
				  lineno);
		if (*mac) {
			if (fleet_parse_mac(mac, ph->mac) < 0)
				die_usage("fleet: %s line %zu: MAC '%s': expected "
					  "xx:xx:xx:xx:xx:xx", c->path, lineno, mac);
			ph->has_mac = 1;
		}
		if (!strncmp(net, "dns:", 4)) {
			if (parse_dns_list(ph, net + 4, ";") < 0)
				die_usage("fleet: %s line %zu: network '%s': expected "
					  "dns:IP[:PORT][;IP...] (at most %d)", c->path, lineno,
					  net, FLEET_MAX_DNS);
		} else if (!strncmp(net, "dhcp:", 5) && net[5]) {
			if (!(ph->dhcp = strdup(net + 5)))
				die_usage("fleet: out of memory");
		} else if (*net) {
			die_usage("fleet: %s line %zu: network '%s': expected dns:IP[;IP] or "
				  "dhcp:IFACE", c->path, lineno, net);
		} else if (!c->have_dns && !c->dhcp) {
			die_usage("fleet: %s line %zu: no network, and neither --dns nor --dhcp",
				  c->path, lineno);
		}
		if (ph->has_mac && !ph->dhcp && !(!*net && c->dhcp))
			die_usage("fleet: %s line %zu: a MAC goes with DHCP", c->path, lineno);
		/* the secret itself is never echoed: the messages name the line */
		if (!strncmp(pw, "file:", 5)) {
			if (!(ph->password = fleet_read_secret(pw + 5)))
				die_usage("fleet: %s line %zu: password file: %s", c->path, lineno,
					  strerror(errno));
		} else if (!strncmp(pw, "env:", 4)) {
			const char *v = getenv(pw + 4);

			if (!v)
				die_usage("fleet: %s line %zu: password variable %s is not set",
					  c->path, lineno, pw + 4);
			ph->password = strdup(v);
		} else if (!strncmp(pw, "plain:", 6)) {
			if (!priv)
				die_usage("fleet: %s line %zu: a password in the file, but the file "
					  "is not private (it must be yours, mode 0600): use file: or "
					  "env:, or chmod 600 %s", c->path, lineno, c->path);
			ph->password = strdup(pw + 6);
		} else if (*pw) {
			die_usage("fleet: %s line %zu: password source: expected file:PATH, "
				  "env:NAME or plain:SECRET (the secret is not shown)", c->path,
				  lineno);
		}
		if (*pw && !ph->password)
			die_usage("fleet: out of memory");
	}
	if (line)
		explicit_bzero(line, cap);
	free(line);
	fclose(f);
	if (!n_phones)
		die_usage("fleet: %s: no phones", c->path);
	*count = n_phones;
	return phones;
}

void fleet_csv_free(struct fleet_phone *phones, size_t n)
{
	size_t i;

	for (i = 0; phones && i < n; i++) {
		free(phones[i].user);
		free(phones[i].dnsbuf);
		free(phones[i].dhcp);
		fleet_secret_free(phones[i].password);
	}
	free(phones);
}
