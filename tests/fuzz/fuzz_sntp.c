/* libFuzzer: the SNTP reply parser and judge (a server's datagram is
 * network input). The originate timestamp the reply must carry is taken
 * from the input itself (octets 24..31), so that the checks after it are
 * reached; the offset is computed as the client does. */
#include <stddef.h>
#include <stdint.h>

#include "sntp/sntp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sntp_reply r;
	uint64_t orig = 0;
	double off, delay;
	char err[128];
	size_t i;

	for (i = 24; i < 32 && i < size; i++)
		orig = orig << 8 | data[i];
	if (sntp_parse(data, size, orig, &r, err, sizeof(err)) == 0) {
		if (r.mode != SNTP_MODE_SERVER || r.vn < 1 || r.vn > 4 || r.orig != orig)
			__builtin_trap();
		(void)sntp_judge(&r);
		sntp_offset(orig, r.recv, r.xmit, orig, &off, &delay);
		(void)sntp_ts_to_unix(r.xmit);
	}
	return 0;
}
