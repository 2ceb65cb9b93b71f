/*
 * interrupt.h - SIGINT and SIGTERM as a flag that every wait looks at.
 *
 * A wait that may last (for a lock under --lock-wait, a maintenance window
 * of `dive lock hold`) catches the two signals with dive_interrupt_catch(),
 * sleeps with dive_interrupt_sleep_ms() (which a signal cuts short) and ends
 * with DIVE_EINTR (exit 130) as soon as dive_interrupted() says so, then
 * puts the old handlers back.  A signal the process inherited as ignored (a
 * job a script started in the background) stays ignored; catching twice
 * (the command around a lock wait) is fine: the inner catch changes nothing.
 *
 * One flag per process, set from the handler (sig_atomic_t) and cleared by
 * dive_interrupt_clear().  The pipeline keeps its own flag for its steps
 * (pipeline.h).
 */
#ifndef DIVE_INTERRUPT_H
#define DIVE_INTERRUPT_H

#include <signal.h>

struct dive_interrupt_saved {
	struct sigaction old_int, old_term;
	int caught_int, caught_term;    /* this catch installed the handler */
};

void dive_interrupt_catch(struct dive_interrupt_saved *saved);
void dive_interrupt_restore(const struct dive_interrupt_saved *saved);
/* The signal that asked to stop (SIGINT, SIGTERM), or 0. */
int dive_interrupted(void);
void dive_interrupt_clear(void);
/* Sleep ms; 1 when interrupted (at once, or during the sleep), else 0. */
int dive_interrupt_sleep_ms(long ms);

#endif
