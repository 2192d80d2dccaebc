/* --verify DIR: each response body checked against the page file it should
 * be, by length and a 64-bit content hash.
 *
 * The hash is streaming: a body is hashed as its bytes come off the socket,
 * in whatever pieces the reads cut it into, and gives the same value as
 * hashing the whole file at once. So no body is ever buffered. It is a
 * mixing hash (8 bytes per multiply), not a cryptographic one: it catches
 * corruption, truncation and wrong pages, which is what a benchmark needs. */
#ifndef LG_VERIFY_H
#define LG_VERIFY_H

#include <stddef.h>
#include <stdint.h>
#include "paths.h"

struct body_hash {
	uint64_t h;
	uint64_t len;
	uint64_t carry;   /* bytes of an unfinished 8-byte word */
	uint8_t ncarry;
};

void body_hash_init(struct body_hash *b);
void body_hash_update(struct body_hash *b, const void *data, size_t n);
uint64_t body_hash_final(const struct body_hash *b);
uint64_t body_hash_of(const void *data, size_t n);

struct page_expect {
	uint64_t len;
	uint64_t hash;
};

/* The file a URI path names under dir: percent-decoded, query dropped,
 * "/" and "/dir/" mean index.html. Refuses ".." segments.
 * Returns 0, or -1 with one line in err. */
int verify_file_for_path(const char *dir, const char *uri, char *out, size_t outlen,
			 char *err, size_t errlen);

/* Reads the file of every path in ps; returns an array of ps->n entries, or
 * NULL with one line in err (a missing or unreadable file is an error). */
struct page_expect *verify_load(const char *dir, const struct path_set *ps,
				char *err, size_t errlen);

#endif
