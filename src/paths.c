#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#include "config.h"

static int is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* $PHONEBOOT_PROFILES; else profiles/ beside the executable (the source
 * tree); else ../share/phoneboot/profiles from it (an installed tree,
 * wherever it was moved or staged with DESTDIR); else the data directory
 * it was built for ($(PREFIX)/share/phoneboot). */
const char *profiles_dir(void)
{
	static const char *const rel[] = { "/profiles", "/../share/phoneboot/profiles" };
	static char buf[PATH_MAX];
	const char *env = getenv("PHONEBOOT_PROFILES");
	ssize_t n;
	size_t i;
	char *slash;

	if (env && *env)
		return env;
	n = readlink("/proc/self/exe", buf, sizeof(buf) - 64);
	if (n > 0) {
		buf[n] = '\0';
		if ((slash = strrchr(buf, '/'))) {
			for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
				snprintf(slash, sizeof(buf) - (size_t)(slash - buf), "%s", rel[i]);
				if (is_dir(buf))
					return buf;
			}
		}
	}
	return PB_DATADIR "/profiles";
}

struct pb_catalog *catalog_or_die(void)
{
	struct pb_catalog *c = NULL;
	char err[512];

	enum pb_err rc;

	if ((rc = pb_catalog_load(profiles_dir(), &c, err, sizeof(err))) != PB_OK)
		cli_die(rc, "profile catalog: %s", err);
	return c;
}

const struct pb_profile *profile_arg(struct pb_catalog *c, const char *arg,
				     struct pb_profile **owned)
{
	const struct pb_profile *p = pb_catalog_find(c, arg);
	char err[512];
	enum pb_err rc;

	if (p)
		return p;
	if (strchr(arg, '/') || strstr(arg, ".ini")) {
		if ((rc = pb_profile_load(arg, owned, err, sizeof(err))) != PB_OK)
			cli_die(rc, "%s", err);
		return *owned;
	}
	cli_die(PB_ERR_NOTFOUND, "no profile '%s' in the catalog (%s); 'phoneboot profiles' "
		  "lists them, or give a profile file by path", arg, profiles_dir());
	return NULL;
}

int parse_time(const char *s, time_t *t)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end && (*end == '\0' || !strcmp(end, "Z")))
		goto ok;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end && *end == '\0')
		goto ok;
	return -1;
ok:
	*t = timegm(&tm);
	return 0;
}
