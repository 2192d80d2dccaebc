/* Helpers shared by the unit tests of servers/common. */
#ifndef BB_TEST_UTIL_H
#define BB_TEST_UTIL_H

#include <stddef.h>

/* A copy of `len` bytes whose last byte sits right before a PROT_NONE page,
 * so reading one byte too far faults (picohttpparser's trick). */
struct guarded {
	void *map;
	size_t map_len;
	char *data;
};
char *guard_copy(struct guarded *g, const void *data, size_t len);
void guard_free(struct guarded *g);

/* A fresh folder under $TMPDIR (or /tmp); aborts the test run on failure. */
char *temp_dir_create(void);
/* Writes dir/rel, creating its folders. */
void temp_file_write(const char *dir, const char *rel, const void *data, size_t len);
void temp_dir_remove(char *dir); /* rm -r, then free(dir) */

#endif
