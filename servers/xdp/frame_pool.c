#include "frame_pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int frame_pool_init(struct frame_pool *fp, uint32_t frame_size, uint32_t nframes,
		    uint32_t rx_reserve, uint32_t ctl_reserve, uint32_t data_max)
{
	memset(fp, 0, sizeof(*fp));
	if (rx_reserve > nframes || ctl_reserve > nframes - rx_reserve || data_max == 0) {
		errno = EINVAL;
		return -1;
	}
	fp->frame_size = frame_size;
	fp->nframes = nframes;
	fp->rx_reserve = rx_reserve;
	fp->ctl_reserve = ctl_reserve;
	fp->data_max = data_max;
	fp->free_tx = calloc(nframes - rx_reserve + 1, sizeof(*fp->free_tx));
	fp->tag = calloc(nframes, sizeof(*fp->tag));
	fp->first_of_data = calloc(nframes, 1);
	if (!fp->free_tx || !fp->tag || !fp->first_of_data) {
		frame_pool_free(fp);
		errno = ENOMEM;
		return -1;
	}
	/* Lowest addresses on top: a light load touches few pages. */
	for (uint32_t i = nframes; i-- > rx_reserve;)
		fp->free_tx[fp->nfree++] = (uint64_t)i * frame_size;
	fp->min_free = fp->nfree;
	return 0;
}

void frame_pool_free(struct frame_pool *fp)
{
	free(fp->free_tx);
	free(fp->tag);
	free(fp->first_of_data);
	fp->free_tx = NULL;
	fp->tag = NULL;
	fp->first_of_data = NULL;
	fp->nfree = 0;
}

bool frame_pool_tx_take(struct frame_pool *fp, uint32_t n, bool data, uint32_t tag,
			uint64_t *out)
{
	uint32_t floor = data ? fp->ctl_reserve : 0;

	if (data && fp->data_in_flight >= fp->data_max) {
		fp->data_capped++;
		return false;
	}
	if (fp->nfree < n + floor) {
		if (data)
			fp->data_refused++;
		else
			fp->ctl_refused++;
		return false;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint64_t addr = fp->free_tx[--fp->nfree];
		/* Only the first chunk carries the tag: one completion per frame
		 * is charged back, however many chunks it spans. */
		fp->tag[addr / fp->frame_size] = i == 0 ? tag : 0;
		fp->first_of_data[addr / fp->frame_size] = i == 0 && data;
		out[i] = addr;
	}
	fp->data_in_flight += data;
	if (fp->nfree < fp->min_free)
		fp->min_free = fp->nfree;
	return true;
}

uint32_t frame_pool_tx_done(struct frame_pool *fp, uint64_t addr)
{
	uint32_t idx = (uint32_t)(addr / fp->frame_size);
	uint32_t tag;

	/* Not a tx chunk, or one more than ever went out: the kernel never
	 * returns either, and the stack must not overflow if it did. */
	if (idx < fp->rx_reserve || idx >= fp->nframes ||
	    fp->nfree >= fp->nframes - fp->rx_reserve)
		return 0;
	tag = fp->tag[idx];
	fp->tag[idx] = 0;
	if (fp->first_of_data[idx]) {
		fp->first_of_data[idx] = 0;
		fp->data_in_flight--;
	}
	fp->free_tx[fp->nfree++] = (uint64_t)idx * fp->frame_size;
	return tag;
}
