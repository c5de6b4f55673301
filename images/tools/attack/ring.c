/*
 * Ring memory: the guest boots with mem=192M on a 256 MiB machine, so physical RAM from
 * 192 MiB up belongs to no one; the tool maps REGION_SIZE bytes of it through /dev/mem
 * and hands out pieces (rings, indirect tables, buffers) with a bump allocator. Buffers
 * may overlap on purpose: many descriptors can name the same bytes. Every run starts
 * from the bottom of the region again, so no device may still be using it: the tests
 * re-bind Linux's driver (or the tool resets the device) before the next run.
 */
#include "attack.h"

static volatile u8 *region;
static u32 used_bytes;

static void region_map(void) {
	if (!region) region = map_physical(REGION_BASE, REGION_SIZE);
}

u32 region_alloc(u32 len, u32 align) {
	region_map();
	u32 at = (used_bytes + align - 1) & ~(align - 1);
	if (at + len > REGION_SIZE || at + len < at) die("out of ring memory");
	used_bytes = at + len;
	volatile u8 *p = region + at;
	for (u32 i = 0; i < len; i++) p[i] = 0;
	return REGION_BASE + at;
}

volatile void *pa_to_va(u32 pa) {
	region_map();
	if (pa < REGION_BASE || pa - REGION_BASE >= REGION_SIZE) die("address outside the region");
	return region + (pa - REGION_BASE);
}

void region_clear(void) { used_bytes = 0; }

void desc_set(volatile struct vdesc *d, u32 addr, u32 len, u16 flags, u16 next) {
	d->addr_lo = addr;
	d->addr_hi = 0;
	d->len = len;
	d->flags = flags;
	d->next = next;
}

u32 indirect_table(u32 entries, u32 buf, u32 len, u16 flags) {
	u32 table = region_alloc(16u * entries, 16);
	volatile struct vdesc *t = pa_to_va(table);
	for (u32 i = 0; i < entries; i++) {
		int last = i + 1 == entries;
		desc_set(&t[i], buf, len, (u16)(flags | (last ? 0 : D_NEXT)), (u16)(last ? 0 : i + 1));
	}
	return table;
}
