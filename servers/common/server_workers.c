/* Starting worker threads the same way in every engine: pinned from birth,
 * and counted in as each one reaches its loop, so that the `ready` line
 * that follows means every worker runs (a script that sends traffic at
 * `ready` never races a worker still setting up). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

struct worker_slot {
	struct server_workers *ws;
	int index;
	void *arg;
	pthread_t thread;
};

struct server_workers {
	struct server_worker_fns fns;
	int n;
	pthread_mutex_t lock;
	pthread_cond_t reported_cond;
	int reported;          /* workers past their set-up, failed or not */
	int failed_index;      /* the first whose set-up failed, or -1 */
	char failure[256];
	struct worker_slot slot[];
};

static void *worker_thread(void *p)
{
	struct worker_slot *s = p;
	struct server_workers *ws = s->ws;
	char err[sizeof(ws->failure)] = "";
	int rc = ws->fns.setup ? ws->fns.setup(s->arg, err, sizeof(err)) : 0;

	pthread_mutex_lock(&ws->lock);
	if (rc != 0 && ws->failed_index < 0) {
		ws->failed_index = s->index;
		snprintf(ws->failure, sizeof(ws->failure), "%s", err[0] ? err : "set-up failed");
	}
	ws->reported++;
	pthread_cond_signal(&ws->reported_cond);
	pthread_mutex_unlock(&ws->lock);
	/* After a failed set-up main exits: nothing to run. */
	return rc == 0 ? ws->fns.run(s->arg) : NULL;
}

struct server_workers *server_workers_start(const struct server_options *o, int n,
					    const struct server_worker_fns *fns, void *args,
					    size_t arg_size)
{
	struct server_workers *ws = calloc(1, sizeof(*ws) + (size_t)n * sizeof(ws->slot[0]));
	int started = 0, err = 0;

	if (!ws)
		server_die_errno(o, "allocating the worker table");
	ws->fns = *fns;
	ws->n = n;
	ws->failed_index = -1;
	if ((err = pthread_mutex_init(&ws->lock, NULL)) != 0 ||
	    (err = pthread_cond_init(&ws->reported_cond, NULL)) != 0) {
		errno = err;
		server_die_errno(o, "initializing the worker table");
	}
	for (; started < n; started++) {
		struct worker_slot *s = &ws->slot[started];
		pthread_attr_t attr;
		cpu_set_t set;

		s->ws = ws;
		s->index = started;
		s->arg = (char *)args + (size_t)started * arg_size;
		if ((err = pthread_attr_init(&attr)) != 0)
			break;
		if (server_worker_cpuset(o, started, &set))
			err = pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		if (err == 0)
			err = pthread_create(&s->thread, &attr, worker_thread, s);
		pthread_attr_destroy(&attr);
		if (err != 0)
			break;
	}
	if (err != 0)
		server_die(o, "worker %d: starting its thread: %s", started, strerror(err));
	pthread_mutex_lock(&ws->lock);
	while (ws->reported < n)
		pthread_cond_wait(&ws->reported_cond, &ws->lock);
	pthread_mutex_unlock(&ws->lock);
	if (ws->failed_index >= 0)
		server_die(o, "worker %d: %s", ws->failed_index, ws->failure);
	return ws;
}

void server_workers_join(struct server_workers *ws)
{
	for (int i = 0; i < ws->n; i++)
		pthread_join(ws->slot[i].thread, NULL);
	pthread_cond_destroy(&ws->reported_cond);
	pthread_mutex_destroy(&ws->lock);
	free(ws);
}
