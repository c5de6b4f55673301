/*
 * A minimal packed virtqueue (virtio 1.2, 2.8), driver side: one descriptor ring that the
 * driver and the device both write, the driver's event suppression area (queue_driver,
 * ours: interrupts off, the tool polls) and the device's (queue_device), all in the free
 * region. A chain goes into consecutive slots from the next free one, wrapping past the
 * end where the wrap counter flips; the head's flags are written last (2.8.21.1: the
 * device may look at the ring at any moment, so the head must not look available before
 * the rest is there). Used descriptors come back in slot order from the device's side;
 * each one moves the used position on by as many slots as that buffer ID's chain took,
 * as Linux's virtio_ring.c does. The wrap counters are the ones an honest driver keeps,
 * so an attack knows the truth exactly when it lies (struct pseg's flip).
 */
#include "attack.h"

static u32 common_read(struct vdev *d, u32 off, int width) { return reg_read(&d->fn, &d->fn.common, off, width); }
static void common_write(struct vdev *d, u32 off, int width, u32 v) { reg_write(&d->fn, &d->fn.common, off, width, v); }

void pq_setup(struct vdev *d, struct pq *q, u16 index, u16 size) {
	memset(q, 0, sizeof *q);
	q->dev = d;
	q->index = index;
	common_write(d, CC_Q_SELECT, 2, index);
	u32 max = common_read(d, CC_Q_SIZE, 2);
	if (max == 0) die("queue not available");
	if (size > max) size = (u16)max; /* a packed ring need not be a power of two */
	if (size == 0 || size > PQ_MAX_IDS) die("packed queue size must be 1 to 256");
	q->size = size;
	u32 ring = region_alloc(16u * size, 16);
	u32 driver = region_alloc(4, 4), device = region_alloc(4, 4);
	q->ring = pa_to_va(ring);
	q->driver_event = pa_to_va(driver);
	q->device_event = pa_to_va(device);
	q->avail_wrap = 1;
	q->used_wrap = 1;
	pq_driver_event(q, 0, EV_DISABLE);
	common_write(d, CC_Q_SIZE, 2, size);
	common_write(d, CC_Q_DESC, 4, ring);
	common_write(d, CC_Q_DESC + 4, 4, 0);
	common_write(d, CC_Q_AVAIL, 4, driver); /* queue_driver */
	common_write(d, CC_Q_AVAIL + 4, 4, 0);
	common_write(d, CC_Q_USED, 4, device); /* queue_device */
	common_write(d, CC_Q_USED + 4, 4, 0);
	q->notify_off = (u16)common_read(d, CC_Q_NOFF, 2);
	common_write(d, CC_Q_ENABLE, 2, 1);
	kv("queue_size", size);
}

u16 pq_avail_bits(int wrap) { return (u16)(wrap ? P_AVAIL : P_USED); }

u16 pq_post(struct pq *q, const struct pseg *segs, u32 n, u16 id) {
	if (n == 0) die("empty chain");
	u16 head = q->next_avail, head_flags = 0;
	for (u32 i = 0; i < n; i++) {
		volatile struct pdesc *d = &q->ring[q->next_avail];
		d->addr_lo = segs[i].addr;
		d->addr_hi = segs[i].addr_hi;
		d->len = segs[i].len;
		d->id = id;
		u16 flags = (u16)((segs[i].flags | (i + 1 < n ? D_NEXT : 0) | pq_avail_bits(q->avail_wrap)) ^ segs[i].flip);
		if (i == 0) head_flags = flags;
		else d->flags = flags;
		if (++q->next_avail == q->size) q->next_avail = 0, q->avail_wrap ^= 1;
	}
	mb();
	q->ring[head].flags = head_flags;
	mb();
	if (id < PQ_MAX_IDS) q->slots_of[id] = (u16)(n > q->size ? q->size : n);
	return head;
}

void pq_kick(struct pq *q) {
	struct pci_fn *fn = &q->dev->fn;
	reg_write(fn, &fn->notify, (u32)q->notify_off * fn->notify_mult, 2, q->index);
}

int pq_ready(struct pq *q) {
	mb();
	u16 flags = q->ring[q->next_used].flags;
	int avail = (flags & P_AVAIL) != 0, used = (flags & P_USED) != 0;
	return avail == q->used_wrap && used == q->used_wrap;
}

int pq_wait(struct pq *q, u32 timeout_ms) {
	u32 until = now_ms() + timeout_ms;
	while (!pq_ready(q)) {
		if ((s32)(now_ms() - until) > 0) return 0;
		sleep_ms(1);
	}
	return 1;
}

struct used_elem pq_take(struct pq *q) {
	volatile struct pdesc *d = &q->ring[q->next_used];
	mb();
	struct used_elem u = { d->id, d->len };
	if (u.id >= PQ_MAX_IDS || q->slots_of[u.id] == 0) die("used buffer ID the driver never posted");
	u32 next = (u32)q->next_used + q->slots_of[u.id];
	if (next >= q->size) next -= q->size, q->used_wrap ^= 1;
	q->next_used = (u16)next;
	return u;
}

void pq_driver_event(struct pq *q, u16 off_wrap, u16 flags) {
	q->driver_event[0] = off_wrap;
	q->driver_event[1] = flags;
	mb();
}
