/* Internal: no SIGPIPE from a library's writes. A write to a connection
 * the peer has reset raises SIGPIPE; libldap and OpenSSL's socket BIO
 * write with write(2), and a library does not change the process's signal
 * dispositions. So SIGPIPE is blocked around their calls, and one they
 * raised is taken back (as libpq does). */
#ifndef PB_CORE_NOPIPE_H
#define PB_CORE_NOPIPE_H

#include <signal.h>

struct nopipe {
	sigset_t old;
	int pending;
};

void nopipe_on(struct nopipe *g);
void nopipe_off(struct nopipe *g);

#endif
