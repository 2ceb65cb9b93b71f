/* secret.c - values that are never printed (see secret.h). */
#include <stdlib.h>
#include <string.h>

#include "dive/secret.h"
#include "dive/xalloc.h"

void dive_secret_set(struct dive_secret *s, const char *value)
{
	dive_secret_release(s);
	s->value_ = xstrdup(value);
	s->len_ = strlen(value);
}

int dive_secret_is_set(const struct dive_secret *s)
{
	return s->value_ != NULL;
}

const char *dive_secret_reveal(const struct dive_secret *s)
{
	return s->value_ ? s->value_ : "";
}

void dive_secret_release(struct dive_secret *s)
{
	if (s->value_) {
		explicit_bzero(s->value_, s->len_);
		free(s->value_);
	}
	s->value_ = NULL;
	s->len_ = 0;
}
