/* Internal: ISO 8601 UTC times as the report and the profiles write them
 * ("2008-01-01T00:00:00Z", or a date alone). */
#ifndef PB_CORE_ISOTIME_H
#define PB_CORE_ISOTIME_H

#include <stddef.h>
#include <time.h>

/* "YYYY-MM-DDTHH:MM:SS[Z]" or "YYYY-MM-DD" into *t: 0, or -1. */
int iso_time_parse(const char *s, time_t *t);
/* "YYYY-MM-DDTHH:MM:SSZ" into buf. */
void iso_time_str(time_t t, char *buf, size_t len);

#endif
