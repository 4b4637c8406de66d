/* libFuzzer: the profile parser. */
#include <stddef.h>
#include <stdint.h>

#include "phoneboot/phoneboot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pb_profile *p = NULL;
	char err[256];

	if (pb_profile_parse("fuzz", (const char *)data, size, &p, err, sizeof(err)) == PB_OK)
		pb_profile_free(p);
	return 0;
}
