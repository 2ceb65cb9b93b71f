/*
 * text.h - text that came from outside (argv, the environment, files) and
 * may reach a terminal: checked on input, shown safely in messages.
 *
 * Clean text is valid UTF-8 without control characters: no C0 byte
 * (0x00-0x1f, tab and newline included), no DEL (0x7f) and no C1 control
 * (U+0080-U+009F), which terminals would obey as escape sequences on the
 * screens of whoever reads the text later (a lock message, a breaker's last
 * error).  Bytes that are not UTF-8 are refused too: a lone 0x9b is CSI to
 * an 8-bit terminal.
 */
#ifndef DIVE_TEXT_H
#define DIVE_TEXT_H

#include <stddef.h>

/*
 * 1 when s is clean text, 0 when not; then *at (may be NULL) is the offset
 * of the first byte that is not.
 */
int text_is_clean(const char *s, size_t *at);
/*
 * in, for a message: cut to fit out (n >= 4) with "..." when cut, every
 * byte of a control character or of something that is not UTF-8 shown as
 * '?'.  out is always terminated.
 */
void text_shown(char *out, size_t n, const char *in);

#endif
