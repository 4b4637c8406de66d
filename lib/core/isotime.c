/* ISO 8601 UTC times: see isotime.h. strptime does the fields (no sscanf);
 * the whole string must be consumed. */
#include <stdio.h>
#include <string.h>

#include "core/isotime.h"

int iso_time_parse(const char *s, time_t *t)
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

void iso_time_str(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm)) {
		snprintf(buf, len, "invalid");
		return;
	}
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
