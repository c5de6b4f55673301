/*
 * The device a packed-ring attack aims at, and what an honest request to it looks like:
 * the attacks lie about the ring, not about the device, so every chain they post starts
 * from a request the device would serve. Which device is read from the function's PCI
 * device ID:
 *   virtio-rng (0x1044), queue 0: one writable 64-byte buffer;
 *   virtio-blk (0x1042), queue 0: a read of sector 0: 16-byte header, 512 writable bytes,
 *     the status byte;
 *   virtio-console (0x1043), queue 1 (transmitq): a readable line; queue 0 (receiveq):
 *     one writable 64-byte buffer, which the device holds until the host types something.
 * The function's INTx is off while the tool drives it (PCI command bit 10): the tool polls,
 * and an interrupt raised on a line shared with a device Linux still drives (a lie about
 * event suppression, the config interrupt of NEEDS_RESET) would storm until the ISR is read,
 * starving the tool. ptarget_finish reads the ISR and switches INTx back on.
 */
#include "attack.h"

static const char console_line[] = "ringside-packed-probe\n";

void ptarget_start(struct ptarget *t, const char *addr, u16 queue, u16 qsize, int event_idx) {
	memset(t, 0, sizeof *t);
	vdev_open(&t->d, addr);
	t->addr = addr;
	t->command = pci_config_read(addr, PCI_COMMAND, 2);
	pci_config_write(addr, PCI_COMMAND, 2, t->command | PCI_COMMAND_INTX_DISABLE);
	t->device_id = (u16)pci_config_read(addr, 0x02, 2);
	if (t->device_id != DEV_RNG && t->device_id != DEV_BLK && t->device_id != DEV_CONSOLE) die("not a virtio rng, blk or console");
	kv_str("device", t->device_id == DEV_RNG ? "rng" : t->device_id == DEV_BLK ? "blk" : "console");
	if (queue == PT_DEFAULT_QUEUE) queue = t->device_id == DEV_CONSOLE ? 1 : 0;
	t->queue = queue;
	u64 wanted = (1ull << F_VERSION_1) | (1ull << F_RING_PACKED) | (1ull << F_INDIRECT_DESC);
	if (event_idx) wanted |= 1ull << F_EVENT_IDX;
	vdev_start(&t->d, wanted);
	if (!(t->d.features >> F_RING_PACKED & 1)) die("device does not offer RING_PACKED");
	if (!(t->d.features >> F_INDIRECT_DESC & 1)) die("no INDIRECT_DESC");
	if (event_idx && !(t->d.features >> F_EVENT_IDX & 1)) die("no EVENT_IDX");
	pq_setup(&t->d, &t->q, queue, qsize);
	vdev_driver_ok(&t->d);
	kv("queue", queue);
}

static u32 filled(u32 len, u8 value) {
	u32 pa = region_alloc(len, 16);
	volatile u8 *p = pa_to_va(pa);
	for (u32 i = 0; i < len; i++) p[i] = value;
	return pa;
}

u32 ptarget_request(struct ptarget *t, struct pseg *segs) {
	memset(segs, 0, 3 * sizeof *segs);
	if (t->device_id == DEV_BLK) {
		u32 header = filled(16, 0); /* type 0 (read), sector 0 */
		segs[0] = (struct pseg){ header, 16, 0, 0, 0 };
		segs[1] = (struct pseg){ filled(512, 0xA5), 512, D_WRITE, 0, 0 };
		segs[2] = (struct pseg){ filled(1, 0xEE), 1, D_WRITE, 0, 0 };
		return 3;
	}
	if (t->device_id == DEV_CONSOLE && (t->queue & 1)) {
		u32 len = sizeof console_line - 1;
		u32 text = region_alloc(len, 16);
		volatile u8 *p = pa_to_va(text);
		for (u32 i = 0; i < len; i++) p[i] = (u8)console_line[i];
		segs[0] = (struct pseg){ text, len, 0, 0, 0 };
		return 1;
	}
	segs[0] = (struct pseg){ filled(64, 0), 64, D_WRITE, 0, 0 };
	return 1;
}

u16 ptarget_post_indirect(struct ptarget *t, u16 id) {
	struct pseg segs[3];
	u32 n = ptarget_request(t, segs);
	u32 table = region_alloc(16 * n, 16);
	volatile struct pdesc *entry = pa_to_va(table);
	for (u32 i = 0; i < n; i++) {
		entry[i].addr_lo = segs[i].addr;
		entry[i].addr_hi = 0;
		entry[i].len = segs[i].len;
		entry[i].id = 0;
		entry[i].flags = segs[i].flags; /* 2.8.14: WRITE is the only flag inside a table */
	}
	struct pseg ring = { table, 16 * n, D_INDIRECT, 0, 0 };
	return pq_post(&t->q, &ring, 1, id);
}

u32 ptarget_settle(struct ptarget *t, u32 want, u32 timeout_ms) {
	u32 until = now_ms() + timeout_ms, used = 0;
	for (;;) {
		while (used < want && pq_ready(&t->q)) {
			struct used_elem u = pq_take(&t->q);
			if (used == 0) kv("first_used_len", u.len);
			used++;
		}
		u8 status = vdev_status(&t->d);
		if (used >= want || (status & S_NEEDS_RESET) || (s32)(now_ms() - until) > 0) break;
		sleep_ms(1);
	}
	kv("used", used);
	vdev_report(&t->d);
	return used;
}

void ptarget_finish(struct ptarget *t) {
	kv("isr", vdev_isr(&t->d));
	pci_config_write(t->addr, PCI_COMMAND, 2, t->command & ~PCI_COMMAND_INTX_DISABLE);
}
