#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#ifndef PB_DATADIR
#define PB_DATADIR "/usr/local/share/phoneboot"
#endif

static int is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *profiles_dir(void)
{
	static char buf[PATH_MAX];
	const char *env = getenv("PHONEBOOT_PROFILES");
	ssize_t n;
	char *slash;

	if (env && *env)
		return env;
	n = readlink("/proc/self/exe", buf, sizeof(buf) - 16);
	if (n > 0) {
		buf[n] = '\0';
		if ((slash = strrchr(buf, '/'))) {
			snprintf(slash, sizeof(buf) - (size_t)(slash - buf), "/profiles");
			if (is_dir(buf))
				return buf;
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
