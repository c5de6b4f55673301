/*
 * reset-isr ADDR [--read-isr 0|1]: makes a virtio-rng raise its interrupt and leaves the
 * ISR unread, then resets the device (status 0). A device that keeps the interrupt
 * pending across the reset holds its INTx line up with nobody left to acknowledge it; on
 * a line shared with a disk Linux's driver, the kernel takes interrupt after interrupt
 * and finally disables the line ("nobody cared"), and the disk stops.
 * With --read-isr 1 the ISR is read once after the reset and printed (it should be 0).
 * The used ring is watched with a busy wait so the line stays up as briefly as possible.
 */
#include "attack.h"

int attack_reset_isr(int argc, char **argv) {
	if (argc < 1) die("usage: reset-isr ADDR [--read-isr 0|1]");
	int read_isr = (int)option("--read-isr", 1);
	struct vdev d;
	struct vq q;
	vdev_open(&d, argv[0]);
	vdev_start(&d, 1ull << F_VERSION_1);
	vq_setup(&d, &q, 0, 16);
	vq_interrupts(&q, 1);
	vdev_driver_ok(&d);
	vdev_isr(&d); /* nothing should be pending yet; start clean */

	u32 buf = region_alloc(64, 64);
	desc_set(&q.desc[0], buf, 64, D_WRITE, 0);
	vq_publish(&q, 0);
	vq_kick(&q);
	u32 used = 0;
	for (u32 until = now_ms() + 5000; !used && (s32)(now_ms() - until) < 0;)
		used = (u16)(*(volatile u16 *)(q.used + 2) - q.used_seen) >= 1;
	vdev_set_status(&d, 0);
	kv("used", used);
	kv_hex("status_after_reset", vdev_status(&d));
	if (read_isr) kv("isr_after_reset", vdev_isr(&d));
	return 0;
}
