/*
 * file.h - reading a file from outside, bounded and without surprises.
 *
 * Every file dive reads on a user's behalf (stack files, env_file, legacy
 * state files, migrations from DIVE_MIGRATIONS_DIR, image recipes) goes
 * through dive_file_read(): it opens without blocking (a FIFO or a device
 * never hangs dive), requires a regular file, and reads at most max bytes
 * into a bounded buffer.  Errors name the file and say what is wrong:
 *
 *   DIVE_ENOTFOUND  the file does not exist
 *   DIVE_EUSAGE     not a regular file (directory, FIFO, device, socket),
 *                   or it cannot be read (permissions)
 *   DIVE_ETOOBIG    larger than max
 *
 * what names the file in messages ("stack file", "legacy state file").
 */
#ifndef DIVE_FILE_H
#define DIVE_FILE_H

#include <stddef.h>

#include "dive/buf.h"

/* b is initialised here (max) and holds the content on success; release it either way. */
int dive_file_read(struct dive_buf *b, const char *path, size_t max, const char *what);

#endif
