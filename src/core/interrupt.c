/* interrupt.c - SIGINT and SIGTERM as a flag (see interrupt.h). */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "dive/interrupt.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static int catch_one(int sig, struct sigaction *old)
{
	struct sigaction sa;

	if (sigaction(sig, NULL, old) < 0 || old->sa_handler == SIG_IGN || old->sa_handler == on_signal)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL) == 0;
}

void dive_interrupt_catch(struct dive_interrupt_saved *saved)
{
	memset(saved, 0, sizeof(*saved));
	saved->caught_int = catch_one(SIGINT, &saved->old_int);
	saved->caught_term = catch_one(SIGTERM, &saved->old_term);
}

void dive_interrupt_restore(const struct dive_interrupt_saved *saved)
{
	if (saved->caught_int)
		sigaction(SIGINT, &saved->old_int, NULL);
	if (saved->caught_term)
		sigaction(SIGTERM, &saved->old_term, NULL);
}

int dive_interrupted(void)
{
	return stop_signal;
}

void dive_interrupt_clear(void)
{
	stop_signal = 0;
}

int dive_interrupt_sleep_ms(long ms)
{
	struct timespec ts;

	if (stop_signal)
		return 1;
	if (ms <= 0)
		return 0;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	/* a caught signal ends the sleep with EINTR; anything else sleeps on */
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		if (stop_signal)
			return 1;
	return stop_signal != 0;
}
