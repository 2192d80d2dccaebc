/* Page verification: see verify.h. */
#include "verify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hash.h"
#include "url_path.h"

#define HASH_SEED 0x243f6a8885a308d3ull
#define MUL1 0x9e3779b97f4a7c15ull
#define MUL2 0xbf58476d1ce4e5b9ull

static inline uint64_t rotl(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static inline uint64_t mix_word(uint64_t h, uint64_t w)
{
	return rotl(h ^ (w * MUL1), 29) * MUL2;
}

void body_hash_init(struct body_hash *b)
{
	b->h = HASH_SEED;
	b->len = 0;
	b->carry = 0;
	b->ncarry = 0;
}

void body_hash_update(struct body_hash *b, const void *data, size_t n)
{
	const unsigned char *p = data;

	b->len += n;
	/* Finish a word started by the previous piece, byte by byte. */
	while (b->ncarry && n) {
		b->carry |= (uint64_t)*p++ << (8 * b->ncarry);
		n--;
		if (++b->ncarry == 8) {
			b->h = mix_word(b->h, b->carry);
			b->carry = 0;
			b->ncarry = 0;
		}
	}
	if (!n)
		return; /* the piece ended inside the carried word */
	uint64_t h = b->h;
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p, 8); /* little-endian hosts only; x86 and arm64 */
		h = mix_word(h, w);
		p += 8;
		n -= 8;
	}
	b->h = h;
	for (size_t i = 0; i < n; i++)
		b->carry |= (uint64_t)p[i] << (8 * i);
	b->ncarry = (uint8_t)n;
}

uint64_t body_hash_final(const struct body_hash *b)
{
	uint64_t h = b->h;
	if (b->ncarry)
		h = mix_word(h, b->carry);
	return hash_mix64(h ^ b->len);
}

uint64_t body_hash_of(const void *data, size_t n)
{
	struct body_hash b;
	body_hash_init(&b);
	body_hash_update(&b, data, n);
	return body_hash_final(&b);
}

int verify_file_for_path(const char *dir, const char *uri, char *out, size_t outlen,
			 char *err, size_t errlen)
{
	char path[PATH_MAX_LEN + 16];
	size_t n = 0;

	for (const char *p = uri; *p && *p != '?' && *p != '#'; p++) {
		char c = *p;
		if (c == '%') {
			int byte = url_percent_byte(p);
			if (byte < 0) {
				snprintf(err, errlen, "bad percent-escape in %s", uri);
				return -1;
			}
			c = (char)byte;
			p += 2;
			if (c == '\0') {
				snprintf(err, errlen, "%%00 in %s", uri);
				return -1;
			}
		}
		if (n + 1 >= sizeof(path) - 16) {
			snprintf(err, errlen, "path too long: %s", uri);
			return -1;
		}
		path[n++] = c;
	}
	path[n] = '\0';
	/* A ".." segment would read outside DIR. */
	for (char *s = path; (s = strstr(s, "..")); s += 2) {
		bool starts = s == path || s[-1] == '/';
		bool ends = s[2] == '\0' || s[2] == '/';
		if (starts && ends) {
			snprintf(err, errlen, "refusing '..' in %s", uri);
			return -1;
		}
	}
	if (n == 0 || path[n - 1] == '/')
		strcat(path, "index.html");
	/* URI paths start with '/', so this is DIR/...; a doubled '/' is harmless. */
	if ((size_t)snprintf(out, outlen, "%s%s", dir, path) >= outlen) {
		snprintf(err, errlen, "file name too long for %s", uri);
		return -1;
	}
	return 0;
}

static int hash_file(const char *file, struct page_expect *pe, char *err, size_t errlen)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "--verify: cannot open %s: %s", file, strerror(errno));
		return -1;
	}
	struct body_hash b;
	body_hash_init(&b);
	static __thread char buf[1 << 16];
	for (;;) {
		ssize_t got = read(fd, buf, sizeof(buf));
		if (got < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "--verify: cannot read %s: %s", file, strerror(errno));
			close(fd);
			return -1;
		}
		if (got == 0)
			break;
		body_hash_update(&b, buf, (size_t)got);
	}
	close(fd);
	pe->len = b.len;
	pe->hash = body_hash_final(&b);
	return 0;
}

struct page_expect *verify_load(const char *dir, const struct path_set *ps,
				char *err, size_t errlen)
{
	struct page_expect *pe = calloc(ps->n ? ps->n : 1, sizeof(*pe));
	char file[PATH_MAX_LEN + 4096];
	char why[512];

	if (!pe) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < ps->n; i++) {
		if (verify_file_for_path(dir, ps->paths[i], file, sizeof(file), why, sizeof(why)) < 0) {
			snprintf(err, errlen, "--verify: %s", why);
			free(pe);
			return NULL;
		}
		if (hash_file(file, &pe[i], err, errlen) < 0) {
			free(pe);
			return NULL;
		}
	}
	return pe;
}
