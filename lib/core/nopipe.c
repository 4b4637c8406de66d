/* See nopipe.h. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "core/nopipe.h"

void nopipe_on(struct nopipe *g)
{
	sigset_t s, pend;

	sigemptyset(&s);
	sigaddset(&s, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &s, &g->old);
	g->pending = sigpending(&pend) == 0 && sigismember(&pend, SIGPIPE);
}

void nopipe_off(struct nopipe *g)
{
	sigset_t s, pend;
	struct timespec zero = { 0, 0 };

	sigemptyset(&s);
	sigaddset(&s, SIGPIPE);
	if (!g->pending && sigpending(&pend) == 0 && sigismember(&pend, SIGPIPE))
		while (sigtimedwait(&s, NULL, &zero) < 0 && errno == EINTR)
			;
	pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}
