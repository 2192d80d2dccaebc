#include "umem_mirror.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int umem_mirror_layout(struct umem_mirror *m, const void *src, size_t len,
		       uint32_t frame_size, uint64_t base)
{
	memset(m, 0, sizeof(*m));
	m->memfd = -1;
	if (frame_size <= UMEM_MIRROR_GAP || (frame_size & (frame_size - 1))) {
		errno = EINVAL;
		return -1;
	}
	uint32_t room = frame_size - UMEM_MIRROR_GAP;
	uint64_t nchunks = ((uint64_t)len + room - 1) / room;
	if (nchunks > UINT32_MAX) {
		errno = EINVAL;
		return -1;
	}
	m->src = src;
	m->len = len;
	m->base = base;
	m->frame_size = frame_size;
	m->room = room;
	m->nchunks = (uint32_t)nchunks;
	return 0;
}

void umem_mirror_fill(const struct umem_mirror *m, uint8_t *chunks)
{
	for (uint32_t c = 0; c < m->nchunks; c++) {
		size_t off = (size_t)c * m->room;
		size_t n = m->len - off < m->room ? m->len - off : m->room;
		uint8_t *dst = chunks + (size_t)c * m->frame_size;

		memset(dst, 0, UMEM_MIRROR_GAP);
		memcpy(dst + UMEM_MIRROR_GAP, m->src + off, n);
	}
}

int umem_mirror_create(struct umem_mirror *m, const void *src, size_t len,
		       uint32_t frame_size, uint64_t base)
{
	if (umem_mirror_layout(m, src, len, frame_size, base))
		return -1;
	if (m->nchunks == 0)
		return 0;
	size_t bytes = (size_t)umem_mirror_bytes(m);
	int fd = memfd_create("httpd-xdp-pages", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)bytes)) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	void *map = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	umem_mirror_fill(m, map);
	munmap(map, bytes);
	m->memfd = fd;
	return 0;
}

void umem_mirror_close(struct umem_mirror *m)
{
	if (m->memfd >= 0)
		close(m->memfd);
	m->memfd = -1;
}

int umem_mirror_map(const struct umem_mirror *m, void *at)
{
	if (m->nchunks == 0)
		return 0;
	/* Writable: the kernel pins a UMEM with FOLL_WRITE. */
	void *p = mmap(at, (size_t)umem_mirror_bytes(m), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_FIXED | MAP_POPULATE, m->memfd, 0);
	return p == MAP_FAILED ? -1 : 0;
}
