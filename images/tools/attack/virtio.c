/*
 * A minimal virtio 1.x driver over one virtio-pci function (virtio 1.2, 3.1 and 4.1):
 * reset, ACKNOWLEDGE, DRIVER, feature negotiation, split queues with their rings in the
 * free physical region, DRIVER_OK, publishing chains, the doorbell, polling the used ring
 * with a bounded wait, ISR and status. It trusts nothing the device says beyond what it
 * checks, and every wait is bounded.
 */
#include "attack.h"

#define VRING_AVAIL_F_NO_INTERRUPT 1

void vdev_open(struct vdev *d, const char *addr) {
	memset(d, 0, sizeof *d);
	if (pci_bound(addr)) {
		long r = pci_unbind(addr);
		if (r < 0) die_errno("unbind", r);
		kv("unbound", 1);
	}
	pci_open(&d->fn, addr);
}

u8 vdev_status(struct vdev *d) { return (u8)reg_read(&d->fn, &d->fn.common, CC_STATUS, 1); }

void vdev_set_status(struct vdev *d, u8 status) { reg_write(&d->fn, &d->fn.common, CC_STATUS, 1, status); }

static u32 common_read(struct vdev *d, u32 off, int width) { return reg_read(&d->fn, &d->fn.common, off, width); }
static void common_write(struct vdev *d, u32 off, int width, u32 v) { reg_write(&d->fn, &d->fn.common, off, width, v); }

void vdev_start(struct vdev *d, u64 wanted) {
	vdev_set_status(d, 0);
	/* 4.1.4.3.2: after writing 0 the driver waits for status to read 0. */
	u32 until = now_ms() + 2000;
	while (vdev_status(d) != 0) {
		if ((s32)(now_ms() - until) > 0) die("device did not reset");
		sleep_ms(1);
	}
	vdev_set_status(d, S_ACKNOWLEDGE);
	vdev_set_status(d, S_ACKNOWLEDGE | S_DRIVER);
	common_write(d, CC_DFSELECT, 4, 0);
	u32 lo = common_read(d, CC_DF, 4);
	common_write(d, CC_DFSELECT, 4, 1);
	u32 hi = common_read(d, CC_DF, 4);
	d->offered = ((u64)hi << 32) | lo;
	d->features = d->offered & wanted;
	if (!(d->features >> F_VERSION_1 & 1)) die("device does not offer VERSION_1");
	common_write(d, CC_GFSELECT, 4, 0);
	common_write(d, CC_GF, 4, (u32)d->features);
	common_write(d, CC_GFSELECT, 4, 1);
	common_write(d, CC_GF, 4, (u32)(d->features >> 32));
	vdev_set_status(d, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK);
	if (!(vdev_status(d) & S_FEATURES_OK)) die("device refused FEATURES_OK");
	kv_hex("features_lo", (u32)d->features);
	kv_hex("features_hi", (u32)(d->features >> 32));
}

void vq_setup(struct vdev *d, struct vq *q, u16 index, u16 size) {
	memset(q, 0, sizeof *q);
	q->dev = d;
	q->index = index;
	common_write(d, CC_Q_SELECT, 2, index);
	u32 max = common_read(d, CC_Q_SIZE, 2);
	if (max == 0) die("queue not available");
	while (size > max) size >>= 1;
	if (size == 0) die("queue size 0");
	q->size = size;
	u32 desc = region_alloc(16u * size, 16);
	u32 avail = region_alloc(6u + 2u * size, 2);
	u32 used = region_alloc(6u + 8u * size, 4);
	q->desc = pa_to_va(desc);
	q->avail = pa_to_va(avail);
	q->used = pa_to_va(used);
	common_write(d, CC_Q_SIZE, 2, size);
	common_write(d, CC_Q_DESC, 4, desc);
	common_write(d, CC_Q_DESC + 4, 4, 0);
	common_write(d, CC_Q_AVAIL, 4, avail);
	common_write(d, CC_Q_AVAIL + 4, 4, 0);
	common_write(d, CC_Q_USED, 4, used);
	common_write(d, CC_Q_USED + 4, 4, 0);
	q->notify_off = (u16)common_read(d, CC_Q_NOFF, 2);
	common_write(d, CC_Q_ENABLE, 2, 1);
}

void vdev_driver_ok(struct vdev *d) {
	vdev_set_status(d, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
}

/*
 * Off by default in the attacks: when this function's INTx line is shared with a device
 * Linux still drives, an interrupt nobody acknowledges would storm until the kernel gives
 * the line up. ISR is read after every wait anyway.
 */
void vq_interrupts(struct vq *q, int on) {
	q->avail[0] = on ? 0 : VRING_AVAIL_F_NO_INTERRUPT;
	mb();
}

void vq_publish(struct vq *q, u16 head) {
	q->avail[2 + (q->avail_idx & (q->size - 1))] = head;
	mb();
	q->avail_idx++;
	q->avail[1] = q->avail_idx;
	mb();
}

void vq_kick(struct vq *q) {
	struct pci_fn *fn = &q->dev->fn;
	reg_write(fn, &fn->notify, (u32)q->notify_off * fn->notify_mult, 2, q->index);
}

static u16 used_idx(struct vq *q) {
	mb();
	return *(volatile u16 *)(q->used + 2);
}

u32 vq_wait(struct vq *q, u32 count, u32 timeout_ms) {
	u32 until = now_ms() + timeout_ms;
	for (;;) {
		u32 ready = (u16)(used_idx(q) - q->used_seen);
		if (ready >= count || (s32)(now_ms() - until) > 0) return ready;
		sleep_ms(1);
	}
}

struct used_elem vq_take(struct vq *q) {
	volatile u32 *e = (volatile u32 *)(q->used + 4 + 8u * (q->used_seen & (q->size - 1)));
	struct used_elem u = { e[0], e[1] };
	q->used_seen++;
	return u;
}

u8 vdev_isr(struct vdev *d) { return (u8)reg_read(&d->fn, &d->fn.isr, 0, 1); }

void vdev_report(struct vdev *d) {
	u8 s = vdev_status(d);
	kv_hex("status", s);
	kv("needs_reset", (s & S_NEEDS_RESET) != 0);
}
