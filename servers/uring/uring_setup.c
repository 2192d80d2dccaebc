/* httpd-uring: creating one worker's ring, its provided buffers and its
 * direct-descriptor table, with a fallback (and a notice) where the kernel
 * refuses a setup flag. Runs in the worker thread: with SINGLE_ISSUER the
 * creating task is the only one allowed to submit. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "uring.h"

/* The recommended set first, then what older kernels accept. */
static const unsigned setup_ladder[] = {
	IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_COOP_TASKRUN |
		IORING_SETUP_SUBMIT_ALL,
	IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL,
	IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL,
	0,
};

static const struct {
	unsigned flag;
	const char *name;
} setup_names[] = {
	{ IORING_SETUP_SINGLE_ISSUER, "single_issuer" },
	{ IORING_SETUP_DEFER_TASKRUN, "defer_taskrun" },
	{ IORING_SETUP_COOP_TASKRUN, "coop_taskrun" },
	{ IORING_SETUP_SUBMIT_ALL, "submit_all" },
};

static void flag_names(unsigned flags, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(setup_names) / sizeof(setup_names[0]); i++)
		if (flags & setup_names[i].flag && used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? " " : "",
						 setup_names[i].name);
	if (!buf[0])
		snprintf(buf, len, "none");
}

static unsigned round_up_pow2(unsigned v)
{
	unsigned p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

/* Why io_uring_queue_init failed, in words a user can act on. */
static void explain_setup_error(int err, char *buf, size_t len)
{
	FILE *f;
	int disabled = -1;

	if (err == ENOSYS) {
		snprintf(buf, len, "io_uring_setup: this kernel has no io_uring (ENOSYS)");
		return;
	}
	f = fopen("/proc/sys/kernel/io_uring_disabled", "r");
	if (f) {
		if (fscanf(f, "%d", &disabled) != 1)
			disabled = -1;
		fclose(f);
	}
	if (err == EPERM && disabled > 0)
		snprintf(buf, len, "io_uring_setup: io_uring is disabled (kernel.io_uring_disabled=%d): %s",
			 disabled, strerror(err));
	else
		snprintf(buf, len, "io_uring_setup: %s", strerror(err));
}

static int create_ring(struct worker *w, char *err, size_t errlen)
{
	unsigned cq = round_up_pow2(w->nslots * 2 > 8192 ? w->nslots * 2 : 8192);
	unsigned sq = (unsigned)w->cfg->sq_entries;
	char first_fail[96] = "";
	int ret = -EINVAL;

	if (cq > 65536)
		cq = 65536; /* IORING_MAX_CQ_ENTRIES; overflow beyond it is kept, not dropped */
	if (cq < sq)
		cq = sq;
	for (size_t i = 0; i < sizeof(setup_ladder) / sizeof(setup_ladder[0]); i++) {
		struct io_uring_params p = { .flags = setup_ladder[i] | IORING_SETUP_CQSIZE,
					     .cq_entries = cq };

		ret = io_uring_queue_init_params(sq, &w->ring, &p);
		if (ret == 0) {
			w->feat.setup_flags = setup_ladder[i];
			w->feat.sq_entries = p.sq_entries;
			w->feat.cq_entries = p.cq_entries;
			if (i > 0) {
				char want[96], got[96];
				flag_names(setup_ladder[0], want, sizeof(want));
				flag_names(setup_ladder[i], got, sizeof(got));
				snprintf(w->feat.notice, sizeof(w->feat.notice),
					 "kernel refused {%s} (%s); falling back to {%s}", want,
					 first_fail, got);
			}
			if (!(p.features & IORING_FEAT_NODROP) || !(p.features & IORING_FEAT_SUBMIT_STABLE)) {
				snprintf(err, errlen, "io_uring: kernel lacks IORING_FEAT_NODROP/SUBMIT_STABLE (Linux 5.5+ needed)");
				io_uring_queue_exit(&w->ring);
				return -1;
			}
			return 0;
		}
		if (ret != -EINVAL)
			break; /* not a flag problem: no point in trying fewer flags */
		if (!first_fail[0])
			snprintf(first_fail, sizeof(first_fail), "%s", strerror(-ret));
	}
	explain_setup_error(-ret, err, errlen);
	return -1;
}

/* Opcodes this engine cannot run without. SEND_ZC (6.0) stands in for the
 * multishot recv of the same release, which has no opcode of its own. */
static int check_opcodes(struct worker *w, char *err, size_t errlen)
{
	static const struct {
		int op;
		const char *name;
	} needed[] = {
		{ IORING_OP_ACCEPT, "ACCEPT" },     { IORING_OP_RECV, "RECV" },
		{ IORING_OP_SENDMSG, "SENDMSG" },   { IORING_OP_CLOSE, "CLOSE" },
		{ IORING_OP_SHUTDOWN, "SHUTDOWN" }, { IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL" },
		{ IORING_OP_TIMEOUT, "TIMEOUT" },   { IORING_OP_POLL_ADD, "POLL_ADD" },
		{ IORING_OP_SEND, "SEND" },         { IORING_OP_SEND_ZC, "SEND_ZC (and multishot recv)" },
	};
	struct io_uring_probe *probe = io_uring_get_probe_ring(&w->ring);

	if (!probe) {
		snprintf(err, errlen, "io_uring: cannot probe the supported operations");
		return -1;
	}
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		if (!io_uring_opcode_supported(probe, needed[i].op)) {
			snprintf(err, errlen, "io_uring: kernel lacks IORING_OP_%s (Linux 6.0+ needed)",
				 needed[i].name);
			io_uring_free_probe(probe);
			return -1;
		}
	}
	io_uring_free_probe(probe);
	return 0;
}

static int setup_buffers(struct worker *w, char *err, size_t errlen)
{
	unsigned count = (unsigned)w->cfg->buf_count;
	size_t size = (size_t)w->cfg->buf_size;
	struct io_uring_buf_reg reg = { 0 };
	int ret;

	w->br_bytes = count * sizeof(struct io_uring_buf);
	w->br = mmap(NULL, w->br_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	if (w->br == MAP_FAILED) {
		w->br = NULL;
		snprintf(err, errlen, "mmap buffer ring: %s", strerror(errno));
		return -1;
	}
	w->bufs = aligned_alloc(4096, count * size);
	if (!w->bufs) {
		snprintf(err, errlen, "allocating %u receive buffers of %zu bytes: %s", count, size,
			 strerror(errno));
		return -1;
	}
	reg.ring_addr = (unsigned long)w->br;
	reg.ring_entries = count;
	reg.bgid = URING_BGID;
	ret = io_uring_register_buf_ring(&w->ring, &reg, 0);
	if (ret < 0) {
		snprintf(err, errlen, "io_uring_register_buf_ring: %s (Linux 5.19+ needed)", strerror(-ret));
		return -1;
	}
	io_uring_buf_ring_init(w->br);
	w->buf_mask = (unsigned)io_uring_buf_ring_mask(count);
	for (unsigned i = 0; i < count; i++)
		io_uring_buf_ring_add(w->br, w->bufs + i * size, (unsigned)size, (unsigned short)i,
				      (int)w->buf_mask, (int)i);
	io_uring_buf_ring_advance(w->br, (int)count);
	return 0;
}

int uring_worker_setup(struct worker *w, char *err, size_t errlen)
{
	struct rlimit rl;
	uint32_t spare;
	int ret;

	/* Slots for --max-conns open connections, plus room for ones being
	 * rejected or still closing, so the cap (not the table) decides. */
	spare = (uint32_t)w->o->max_conns / 8;
	if (spare < 64)
		spare = 64;
	w->nslots = (uint32_t)w->o->max_conns + spare;
	/* The kernel caps a file table at RLIMIT_NOFILE. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    w->nslots > rl.rlim_cur) {
		if ((rlim_t)w->o->max_conns + 8 > rl.rlim_cur) {
			snprintf(err, errlen, "--max-conns %d: more than the open-file limit (%llu) allows for a registered file table",
				 w->o->max_conns, (unsigned long long)rl.rlim_cur);
			return -1;
		}
		w->nslots = (uint32_t)rl.rlim_cur;
	}
	list_init(&w->idle);
	list_init(&w->linger);
	w->conns = calloc(w->nslots, sizeof(*w->conns)); /* untouched pages cost no RSS */
	if (!w->conns) {
		snprintf(err, errlen, "allocating %u connections: %s", w->nslots, strerror(errno));
		return -1;
	}

	if (create_ring(w, err, errlen) < 0)
		return -1;
	w->ring_ready = true;
	if (check_opcodes(w, err, errlen) < 0)
		return -1;
	if (w->cfg->busy_poll_us && uring_busy_poll_setup(w, err, errlen) < 0)
		return -1;

	/* Saves the fd lookup on every io_uring_enter. */
	ret = io_uring_register_ring_fd(&w->ring);
	w->feat.ring_fd_registered = ret == 1;
	if (ret != 1 && !w->feat.notice[0])
		snprintf(w->feat.notice, sizeof(w->feat.notice),
			 "io_uring_register_ring_fd: %s; using the plain ring fd",
			 ret < 0 ? strerror(-ret) : "not registered");

	ret = io_uring_register_files_sparse(&w->ring, w->nslots);
	if (ret < 0) {
		snprintf(err, errlen, "io_uring_register_files_sparse(%u): %s", w->nslots, strerror(-ret));
		return -1;
	}
	w->feat.file_slots = w->nslots;
	if (setup_buffers(w, err, errlen) < 0)
		return -1;
	/* Usage reports (6.2+) tell whether SEND_ZC really avoided the copy. */
	w->feat.zc_report_usage = w->cfg->zerocopy;
	return 0;
}

void uring_worker_teardown(struct worker *w)
{
	if (w->ring_ready)
		io_uring_queue_exit(&w->ring); /* cancels whatever is left, closes the slots */
	w->ring_ready = false;
	if (w->br)
		munmap(w->br, w->br_bytes);
	w->br = NULL;
	free(w->bufs);
	w->bufs = NULL;
	for (uint32_t i = 0; w->conns && i < w->nslots; i++)
		http_conn_free(&w->conns[i].hc);
	free(w->conns);
	w->conns = NULL;
}

void uring_format_features(const struct worker *w, char *buf, size_t len)
{
	char flags[128];
	int n;

	flag_names(w->feat.setup_flags, flags, sizeof(flags));
	n = snprintf(buf, len,
		     "io_uring features: %s%s sq=%u cq=%u multishot_accept_direct file_slots=%u "
		     "multishot_recv buf_ring=%llux%llu sendmsg close_direct shutdown submit_and_wait",
		     flags, w->feat.ring_fd_registered ? " registered_ring_fd" : "",
		     w->feat.sq_entries, w->feat.cq_entries, w->feat.file_slots,
		     (unsigned long long)w->cfg->buf_count, (unsigned long long)w->cfg->buf_size);
	if (n > 0 && (size_t)n < len && w->cfg->zerocopy)
		snprintf(buf + n, len - (size_t)n, " send_zc>=%llu",
			 (unsigned long long)w->cfg->zc_threshold);
}
