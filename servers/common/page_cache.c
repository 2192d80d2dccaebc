/* Page cache: a folder loaded once into prebuilt responses (page_cache.h).
 *
 * Loading is two passes. The first walks the folder and records every
 * regular file's path and size; the second allocates ONE arena sized for
 * all of them and fills it with [path NUL][head][placeholder slot][body]
 * per page. One arena keeps the memory at corpus bytes plus about 200 bytes
 * of headers per page, and keeps the pages close together.
 *
 * Lookup is an open-addressing hash table (linear probing, power-of-two
 * size, at most half full) keyed by the normalised path. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "hash.h"
#include "http_clock.h"
#include "mime.h"
#include "page_cache.h"

#define SERVER_HEADER "Server: bypassbench\r\n"
#define MAX_HEAD_LEN 512   /* the longest head we build is far shorter */
#define MAX_DIR_DEPTH 64   /* one open fd per level while walking */

/* The prebuilt error pages. Every one but 404 (and 503, which an engine
 * sends when it refuses a connection) goes with a closed connection. */
static const struct {
	int status;
	const char *reason;
	const char *extra_headers;
} error_pages[] = {
	{ 400, "Bad Request", "" },
	{ 404, "Not Found", "" },
	{ 405, "Method Not Allowed", "Allow: GET, HEAD\r\n" },
	{ 413, "Content Too Large", "" },
	{ 414, "URI Too Long", "" },
	{ 431, "Request Header Fields Too Large", "" },
	{ 501, "Not Implemented", "" },
	{ 503, "Service Unavailable", "" },
	{ 505, "HTTP Version Not Supported", "" },
};
#define N_ERROR_PAGES (sizeof(error_pages) / sizeof(error_pages[0]))

struct table_slot {
	uint64_t hash;
	const struct page *page; /* NULL: empty slot */
	size_t path_len;         /* a prefix of page->path ("/d/" for "/d/index.html") */
};

struct page_cache {
	char *arena;
	size_t arena_len;
	struct page *pages; /* sorted by path */
	size_t count;
	struct page errors[N_ERROR_PAGES];
	struct table_slot *table;
	size_t table_mask;  /* table size - 1 */
};

/* A file found by the walk, before loading. */
struct found_file {
	char *path; /* "/a/b.html", malloc'd */
	size_t path_len;
	size_t size;
};

struct file_list {
	struct found_file *v;
	size_t n, cap;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* FNV-1a, then the murmur3 finaliser so the low bits (the ones the table
 * mask keeps) depend on every input byte. */
static uint64_t path_hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	return hash_mix64(h);
}

/* ---- pass 1: walk the folder ---- */

static int list_add(struct file_list *l, const char *path, size_t size)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct found_file *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	char *copy = strdup(path);
	if (!copy)
		return -1;
	l->v[l->n++] = (struct found_file){ copy, strlen(path), size };
	return 0;
}

static void list_free(struct file_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].path);
	free(l->v);
}

/* Records every regular file under dir_fd (which it closes). `prefix` holds
 * the URI path of this folder, ending in '/', in a PATH_MAX buffer.
 * Symbolic links are skipped, files and folders alike, so nothing outside
 * the folder is ever served. FIFOs, sockets and devices are skipped too. */
static int walk(int dir_fd, char *prefix, int depth, const char *root,
		struct file_list *out, char *err, size_t errlen)
{
	DIR *d = fdopendir(dir_fd);
	if (!d) {
		set_err(err, errlen, "cannot read folder %s%s: %s", root, prefix,
			strerror(errno));
		close(dir_fd);
		return -1;
	}
	size_t prefix_len = strlen(prefix);
	int rc = 0;
	struct dirent *e;

	for (errno = 0; (e = readdir(d)) != NULL; errno = 0) {
		const char *name = e->d_name;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		if (prefix_len + strlen(name) + 2 > PATH_MAX) {
			set_err(err, errlen, "path too long under %s%s", root, prefix);
			rc = -1;
			break;
		}
		struct stat st;
		if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			set_err(err, errlen, "cannot stat %s%s%s: %s", root, prefix,
				name, strerror(errno));
			rc = -1;
			break;
		}
		strcpy(prefix + prefix_len, name);
		if (S_ISREG(st.st_mode)) {
			if (list_add(out, prefix, (size_t)st.st_size) < 0) {
				set_err(err, errlen, "out of memory listing %s", root);
				rc = -1;
			}
		} else if (S_ISDIR(st.st_mode)) {
			if (depth >= MAX_DIR_DEPTH) {
				set_err(err, errlen, "folders nested deeper than %d levels at %s%s",
					MAX_DIR_DEPTH, root, prefix);
				rc = -1;
			} else {
				int sub = openat(dirfd(d), name,
						 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				if (sub < 0) {
					set_err(err, errlen, "cannot open folder %s%s: %s",
						root, prefix, strerror(errno));
					rc = -1;
				} else {
					strcat(prefix, "/");
					rc = walk(sub, prefix, depth + 1, root, out, err, errlen);
				}
			}
		}
		prefix[prefix_len] = '\0';
		if (rc < 0)
			break;
	}
	if (rc == 0 && errno != 0) {
		set_err(err, errlen, "cannot read folder %s%s: %s", root, prefix,
			strerror(errno));
		rc = -1;
	}
	closedir(d);
	return rc;
}

static int compare_paths(const void *a, const void *b)
{
	const struct found_file *x = a, *y = b;
	return strcmp(x->path, y->path);
}

/* ---- pass 2: build the responses ---- */

/* Writes the head of a 200 response into buf (MAX_HEAD_LEN); returns its length. */
static size_t format_page_head(char *buf, const char *path, size_t path_len,
			       size_t body_len)
{
	int n = snprintf(buf, MAX_HEAD_LEN,
			 "HTTP/1.1 200 OK\r\n" SERVER_HEADER
			 "Content-Type: %s\r\n"
			 "Content-Length: %zu\r\n",
			 mime_type_for_path(path, path_len), body_len);
	return (size_t)n;
}

static size_t format_error_head(char *buf, size_t i, size_t body_len)
{
	int n = snprintf(buf, MAX_HEAD_LEN,
			 "HTTP/1.1 %d %s\r\n" SERVER_HEADER
			 "Content-Type: text/plain; charset=utf-8\r\n"
			 "Content-Length: %zu\r\n%s",
			 error_pages[i].status, error_pages[i].reason, body_len,
			 error_pages[i].extra_headers);
	return (size_t)n;
}

/* The body of an error page: "404 Not Found\n". */
static size_t format_error_body(char *buf, size_t i)
{
	int n = snprintf(buf, MAX_HEAD_LEN, "%d %s\n", error_pages[i].status,
			 error_pages[i].reason);
	return (size_t)n;
}

/* Appends head + placeholder slot at *cursor and fills in p. The body
 * is written by the caller right after. */
static char *put_response(char *cursor, struct page *p, const char *head,
			  size_t head_len, size_t body_len)
{
	p->response = cursor;
	p->head_len = head_len;
	p->body_len = body_len;
	memcpy(cursor, head, head_len);
	cursor += head_len;
	/* A real slot for time 0, so the stored response is valid HTTP as is. */
	http_clock_format_slot(cursor, 0, false);
	return cursor + HTTP_SLOT_LEN;
}

static int read_file(int root_fd, const struct found_file *f, char *dst,
		     const char *root, char *err, size_t errlen)
{
	/* f->path has no symlink in its folders (the walk skipped them);
	 * O_NOFOLLOW covers the file itself. A folder swapped for a symlink
	 * between the walk and here is not guarded against: the page folder
	 * is trusted not to change while the server starts. */
	int fd = openat(root_fd, f->path + 1, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		set_err(err, errlen, "cannot open %s%s: %s", root, f->path,
			strerror(errno));
		return -1;
	}
	size_t done = 0;
	while (done < f->size) {
		ssize_t n = read(fd, dst + done, f->size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			set_err(err, errlen, "cannot read %s%s: %s", root, f->path,
				n < 0 ? strerror(errno) : "file shrank while loading");
			close(fd);
			return -1;
		}
		done += (size_t)n;
	}
	close(fd);
	return 0;
}

static void table_insert(struct page_cache *pc, const struct page *p, size_t path_len)
{
	uint64_t h = path_hash(p->path, path_len);
	size_t i = h & pc->table_mask;

	while (pc->table[i].page)
		i = (i + 1) & pc->table_mask;
	pc->table[i] = (struct table_slot){ h, p, path_len };
}

/* "/d/index.html" -> length of "/d/", or 0 if p is not an index page. */
static size_t index_alias_len(const struct page *p)
{
	static const char index_name[] = "/index.html";
	size_t n = sizeof(index_name) - 1;

	if (p->path_len >= n && memcmp(p->path + p->path_len - n, index_name, n) == 0)
		return p->path_len - n + 1;
	return 0;
}

static int build_table(struct page_cache *pc)
{
	size_t entries = pc->count;
	for (size_t i = 0; i < pc->count; i++)
		entries += index_alias_len(&pc->pages[i]) != 0;

	size_t size = 16;
	while (size < 2 * entries)
		size *= 2;
	pc->table = calloc(size, sizeof(*pc->table));
	if (!pc->table)
		return -1;
	pc->table_mask = size - 1;

	for (size_t i = 0; i < pc->count; i++) {
		const struct page *p = &pc->pages[i];
		table_insert(pc, p, p->path_len);
		size_t alias = index_alias_len(p);
		if (alias)
			table_insert(pc, p, alias);
	}
	return 0;
}

static int build(struct page_cache *pc, int root_fd, const char *root,
		 const struct file_list *files, char *err, size_t errlen)
{
	char head[MAX_HEAD_LEN], body[MAX_HEAD_LEN];
	size_t total = 0;

	for (size_t i = 0; i < files->n; i++) {
		const struct found_file *f = &files->v[i];
		total += f->path_len + 1 +
			 format_page_head(head, f->path, f->path_len, f->size) +
			 HTTP_SLOT_LEN + f->size;
	}
	for (size_t i = 0; i < N_ERROR_PAGES; i++) {
		size_t body_len = format_error_body(body, i);
		total += format_error_head(head, i, body_len) + HTTP_SLOT_LEN + body_len;
	}

	pc->arena = malloc(total);
	pc->pages = calloc(files->n, sizeof(*pc->pages));
	if (!pc->arena || !pc->pages) {
		set_err(err, errlen, "out of memory: %zu bytes of pages in %s", total, root);
		return -1;
	}
	pc->arena_len = total;
	pc->count = files->n;

	char *cursor = pc->arena;
	for (size_t i = 0; i < files->n; i++) {
		const struct found_file *f = &files->v[i];
		struct page *p = &pc->pages[i];

		memcpy(cursor, f->path, f->path_len + 1);
		p->path = cursor;
		p->path_len = f->path_len;
		p->hash = path_hash(f->path, f->path_len);
		p->status = 200;
		cursor += f->path_len + 1;

		size_t head_len = format_page_head(head, f->path, f->path_len, f->size);
		cursor = put_response(cursor, p, head, head_len, f->size);
		if (read_file(root_fd, f, cursor, root, err, errlen) < 0)
			return -1;
		cursor += f->size;
	}
	for (size_t i = 0; i < N_ERROR_PAGES; i++) {
		struct page *p = &pc->errors[i];
		size_t body_len = format_error_body(body, i);
		size_t head_len = format_error_head(head, i, body_len);

		p->path = "";
		p->status = error_pages[i].status;
		cursor = put_response(cursor, p, head, head_len, body_len);
		memcpy(cursor, body, body_len);
		cursor += body_len;
	}

	if (build_table(pc) < 0) {
		set_err(err, errlen, "out of memory for the page table of %s", root);
		return -1;
	}
	return 0;
}

struct page_cache *page_cache_load(const char *dir, char *err, size_t errlen)
{
	int root_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0) {
		set_err(err, errlen, "cannot open page folder %s: %s", dir, strerror(errno));
		return NULL;
	}
	int walk_fd = dup(root_fd); /* walk() closes the fd it is given */
	if (walk_fd < 0) {
		set_err(err, errlen, "dup of %s: %s", dir, strerror(errno));
		close(root_fd);
		return NULL;
	}

	struct file_list files = { 0 };
	struct page_cache *pc = NULL;
	char prefix[PATH_MAX] = "/";

	if (walk(walk_fd, prefix, 0, dir, &files, err, errlen) < 0)
		goto out;
	if (files.n == 0) {
		set_err(err, errlen, "page folder %s holds no regular files", dir);
		goto out;
	}
	/* Sorted, so page_cache_at() lists pages the same way on every run. */
	qsort(files.v, files.n, sizeof(files.v[0]), compare_paths);

	pc = calloc(1, sizeof(*pc));
	if (!pc) {
		set_err(err, errlen, "out of memory loading %s", dir);
		goto out;
	}
	if (build(pc, root_fd, dir, &files, err, errlen) < 0) {
		page_cache_free(pc);
		pc = NULL;
	}
out:
	list_free(&files);
	close(root_fd);
	return pc;
}

void page_cache_free(struct page_cache *pc)
{
	if (!pc)
		return;
	free(pc->table);
	free(pc->pages);
	free(pc->arena);
	free(pc);
}

const struct page *page_cache_lookup(const struct page_cache *pc,
				     const char *path, size_t len)
{
	uint64_t h = path_hash(path, len);

	/* The table is at most half full, so an empty slot ends every probe. */
	for (size_t i = h & pc->table_mask;; i = (i + 1) & pc->table_mask) {
		const struct table_slot *s = &pc->table[i];
		if (!s->page)
			return NULL;
		if (s->hash == h && s->path_len == len && memcmp(s->page->path, path, len) == 0)
			return s->page;
	}
}

const struct page *page_cache_error(const struct page_cache *pc, int status)
{
	for (size_t i = 0; i < N_ERROR_PAGES; i++)
		if (pc->errors[i].status == status)
			return &pc->errors[i];
	return NULL;
}

size_t page_cache_count(const struct page_cache *pc)
{
	return pc->count;
}

const struct page *page_cache_at(const struct page_cache *pc, size_t i)
{
	return i < pc->count ? &pc->pages[i] : NULL;
}

size_t page_cache_bytes(const struct page_cache *pc)
{
	return sizeof(*pc) + pc->arena_len + pc->count * sizeof(struct page) +
	       (pc->table_mask + 1) * sizeof(struct table_slot);
}

const char *page_cache_arena(const struct page_cache *pc, size_t *len)
{
	*len = pc->arena_len;
	return pc->arena;
}
