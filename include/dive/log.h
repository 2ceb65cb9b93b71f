/*
 * log.h - diagnostics on stderr.
 *
 * Libraries (engine, clients, model, core) log only at debug level; what the
 * user reads is printed by commands.  The level comes from -v / -q.
 */
#ifndef DIVE_LOG_H
#define DIVE_LOG_H

enum dive_log_level {
	DIVE_LOG_QUIET = 0,   /* errors only */
	DIVE_LOG_INFO = 1,
	DIVE_LOG_DEBUG = 2,
};

void dive_log_set_level(enum dive_log_level level);
enum dive_log_level dive_log_get_level(void);
void dive_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void dive_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
