// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libktcp: a cache of small files' contents for the file responder;
 * see ktcp_file_cache_serve() in include/ktcp/file.h.
 *
 * A hash table of paths with a least-recently-used list through it.
 * An entry is good while stat() of its path says the device, inode,
 * size and modification time it was read with; a hit costs that one
 * stat() and a copy into the send queue, where open(), fstat(), dup()
 * for sendfile(), sendfile() and two close() served it before.  With a
 * validity window (ktcp_file_cache_set_valid_ms()) an entry checked
 * within it is trusted without the stat(), as nginx's
 * open_file_cache_valid trusts its descriptors.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <ktcp/file.h>

#define DEFAULT_MAX_BYTES	(8u << 20)
#define DEFAULT_MAX_FILE	(64u << 10)
#define MIN_BUCKETS		64

struct entry {
	struct entry *hnext;		/* hash chain */
	struct entry *prev, *next;	/* LRU: most recent first */
	uint64_t hash;
	struct stat st;			/* what it was read with */
	uint64_t checked_ms;		/* when stat() last said it is good */
	size_t cost;
	char *data;
	char path[];
};

struct ktcp_file_cache {
	struct entry **table;
	size_t nbuckets;		/* a power of two */
	struct entry *head, *tail;
	size_t max_bytes, max_file;
	unsigned int valid_ms;		/* 0: stat() on every request */
	struct ktcp_file_cache_stats st;
};

/* Milliseconds of CLOCK_MONOTONIC: the vDSO's, no system call. */
static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t hash_path(const char *p)
{
	uint64_t h = 0xcbf29ce484222325ull;	/* FNV-1a */

	while (*p) {
		h ^= (unsigned char)*p++;
		h *= 0x100000001b3ull;
	}
	return h;
}

struct ktcp_file_cache *ktcp_file_cache_new(size_t max_bytes, size_t max_file)
{
	struct ktcp_file_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->nbuckets = MIN_BUCKETS;
	c->table = calloc(c->nbuckets, sizeof(*c->table));
	if (!c->table) {
		free(c);
		return NULL;
	}
	c->max_bytes = max_bytes ? max_bytes : DEFAULT_MAX_BYTES;
	c->max_file = max_file ? max_file : DEFAULT_MAX_FILE;
	return c;
}

static void lru_unlink(struct ktcp_file_cache *c, struct entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = e->next = NULL;
}

static void lru_push(struct ktcp_file_cache *c, struct entry *e)
{
	e->prev = NULL;
	e->next = c->head;
	if (c->head)
		c->head->prev = e;
	else
		c->tail = e;
	c->head = e;
}

static void drop(struct ktcp_file_cache *c, struct entry *e)
{
	struct entry **pp = &c->table[e->hash & (c->nbuckets - 1)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	lru_unlink(c, e);
	c->st.files--;
	c->st.bytes -= e->cost;
	free(e->data);
	free(e);
}

void ktcp_file_cache_free(struct ktcp_file_cache *c)
{
	if (!c)
		return;
	while (c->head)
		drop(c, c->head);
	free(c->table);
	free(c);
}

void ktcp_file_cache_set_valid_ms(struct ktcp_file_cache *c, unsigned int ms)
{
	c->valid_ms = ms;
}

void ktcp_file_cache_stats(const struct ktcp_file_cache *c,
			   struct ktcp_file_cache_stats *st)
{
	*st = c->st;
}

static struct entry *lookup(struct ktcp_file_cache *c, const char *path,
			    uint64_t hash)
{
	struct entry *e = c->table[hash & (c->nbuckets - 1)];

	for (; e; e = e->hnext)
		if (e->hash == hash && !strcmp(e->path, path))
			return e;
	return NULL;
}

/* Twice the buckets once there are more entries than buckets. */
static void grow(struct ktcp_file_cache *c)
{
	size_t n = c->nbuckets * 2, i;
	struct entry **t = calloc(n, sizeof(*t));

	if (!t)
		return;		/* longer chains, still correct */
	for (i = 0; i < c->nbuckets; i++) {
		struct entry *e = c->table[i], *next;

		for (; e; e = next) {
			next = e->hnext;
			e->hnext = t[e->hash & (n - 1)];
			t[e->hash & (n - 1)] = e;
		}
	}
	free(c->table);
	c->table = t;
	c->nbuckets = n;
}

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Answered, even if the server could not send it all: never negative. */
static int answered(int ret)
{
	return ret < 0 ? 0 : ret;
}

static int serve_entry(struct ktcp_http_req *req, const struct entry *e,
		       const char *content_type)
{
	struct ktcp_file f;

	/* the ETag and Last-Modified of ktcp_file_from_fd(), from the same stat */
	ktcp_file_from_buffer(&f, e->data, (size_t)e->st.st_size,
			      e->st.st_mtim.tv_sec);
	f.content_type = content_type;
	return answered(ktcp_http_serve_file(req, &f));
}

/* Read all @size bytes of @fd; 0, or -1 if it was shorter or failed. */
static int read_whole(int fd, char *buf, size_t size)
{
	size_t got = 0;

	while (got < size) {
		ssize_t n = pread(fd, buf + got, size - got, (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

/*
 * Read the file open as @fd, of which @st was said, into a new entry,
 * making room for it.  NULL if it is too big, changed while it was
 * read, or memory ran out: then it is served from @fd.
 */
static struct entry *fill(struct ktcp_file_cache *c, const char *path,
			  uint64_t hash, int fd, const struct stat *st)
{
	size_t plen = strlen(path), cost;
	struct stat after;
	struct entry *e;

	if ((uint64_t)st->st_size > c->max_file)
		return NULL;
	cost = sizeof(*e) + plen + 1 + (size_t)st->st_size;
	if (cost > c->max_bytes)
		return NULL;
	e = malloc(sizeof(*e) + plen + 1);
	if (!e)
		return NULL;
	e->data = malloc(st->st_size ? (size_t)st->st_size : 1);
	if (!e->data || read_whole(fd, e->data, (size_t)st->st_size) ||
	    fstat(fd, &after) || !same_file(st, &after)) {
		free(e->data);
		free(e);
		return NULL;
	}
	memcpy(e->path, path, plen + 1);
	e->hash = hash;
	e->st = *st;
	e->checked_ms = now_ms();
	e->cost = cost;
	while (c->tail && c->st.bytes + cost > c->max_bytes)
		drop(c, c->tail);
	if (c->st.files >= c->nbuckets)
		grow(c);
	e->hnext = c->table[hash & (c->nbuckets - 1)];
	c->table[hash & (c->nbuckets - 1)] = e;
	lru_push(c, e);
	c->st.files++;
	c->st.bytes += cost;
	return e;
}

int ktcp_file_cache_serve(struct ktcp_file_cache *c, struct ktcp_http_req *req,
			  const char *path, const char *content_type)
{
	uint64_t hash = hash_path(path);
	struct entry *e = lookup(c, path, hash);
	uint64_t now = c->valid_ms && e ? now_ms() : 0;
	struct ktcp_file f;
	struct stat st;
	int fd, ret;

	if (e && now && now - e->checked_ms < c->valid_ms)
		goto hit;
	if (stat(path, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (e && same_file(&e->st, &st)) {
		e->checked_ms = now;
		goto hit;
	}
	if (e)
		drop(c, e);
	c->st.misses++;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* what is read is what this fstat() said (stat() may be older) */
	ret = fstat(fd, &st) ? -errno : S_ISREG(st.st_mode) ? 0 : -EINVAL;
	if (ret) {
		close(fd);
		return ret;
	}
	e = fill(c, path, hash, fd, &st);
	if (e) {
		close(fd);
		return serve_entry(req, e, content_type);
	}
	ret = ktcp_file_from_fd(&f, fd);
	if (!ret) {
		f.content_type = content_type;
		ret = answered(ktcp_http_serve_file(req, &f));
	}
	close(fd);
	return ret;

hit:
	c->st.hits++;
	lru_unlink(c, e);
	lru_push(c, e);
	return serve_entry(req, e, content_type);
}
