/* libFuzzer: the Device Update answer parser (the service's body is
 * network input). Whatever it accepts is bounded and NUL-terminated. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "http/ucupdate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ucupdate_offer o;
	char err[128];
	size_t i;

	if (ucupdate_parse((const char *)data, size, &o, err, sizeof(err)) == 0) {
		if (o.n_files > UCUPDATE_MAX_FILES || strlen(o.base_url) >= sizeof(o.base_url) ||
		    strlen(o.version) >= sizeof(o.version) || (o.update && !o.base_url[0]))
			__builtin_trap();
		for (i = 0; i < o.n_files; i++)
			if (strlen(o.files[i]) >= sizeof(o.files[i]))
				__builtin_trap();
	}
	return 0;
}
