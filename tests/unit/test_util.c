/* Helpers shared by the unit tests of servers/common (test_util.h). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "test_util.h"

static void die(const char *what, const char *arg)
{
	fprintf(stderr, "test setup: %s %s: %s\n", what, arg, strerror(errno));
	exit(1);
}

char *guard_copy(struct guarded *g, const void *data, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t data_pages = (len + page - 1) / page;
	if (data_pages == 0)
		data_pages = 1;

	g->map_len = (data_pages + 1) * page;
	g->map = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->map == MAP_FAILED)
		die("mmap", "guard");
	char *guard = (char *)g->map + data_pages * page;
	if (mprotect(guard, page, PROT_NONE) < 0)
		die("mprotect", "guard");
	g->data = guard - len;
	memcpy(g->data, data, len);
	return g->data;
}

void guard_free(struct guarded *g)
{
	munmap(g->map, g->map_len);
	g->map = NULL;
}

char *temp_dir_create(void)
{
	const char *tmp = getenv("TMPDIR");
	char *path;

	if (asprintf(&path, "%s/bb-test-XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0)
		die("asprintf", "");
	if (!mkdtemp(path))
		die("mkdtemp", path);
	return path;
}

void temp_file_write(const char *dir, const char *rel, const void *data, size_t len)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	/* Create each parent folder of rel. */
	for (char *slash = path + strlen(dir) + 1; (slash = strchr(slash, '/')); slash++) {
		*slash = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			die("mkdir", path);
		*slash = '/';
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("open", path);
	if (len && write(fd, data, len) != (ssize_t)len)
		die("write", path);
	close(fd);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

void temp_dir_remove(char *dir)
{
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}
