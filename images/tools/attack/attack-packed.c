/*
 * packed-lies ADDR CASE: a driver that negotiated packed rings (virtio 1.2, 2.8) and lies
 * in one way per CASE, to a virtio rng, blk or console (packed-target.c says what an honest
 * request looks like). Every lie starts from an honest request; the case changes one thing:
 *   wrap-lie        the second descriptor of a chain carries the other wrap counter's AVAIL/USED bits
 *   flags-used      the second descriptor looks used (AVAIL and USED both set)
 *   flags-garbage   the head carries flag bits the spec does not define (0x140)
 *   id-range        buffer ID equal to the queue size (--id to choose another)
 *   id-reuse        two requests with the same buffer ID, the first still in flight (queue 0:
 *                   the console's receiveq holds its buffers)
 *   indirect-loop   an indirect table whose entries carry NEXT and name each other by ID, as a
 *                   split ring's would (a loop there; packed tables have no links)
 *   indirect-nested an indirect table entry that is itself INDIRECT, naming its own table
 *   indirect-next   an INDIRECT descriptor with NEXT set
 *   indirect-inside an INDIRECT descriptor as the second of a chain
 *   past-end        after size-2 honest requests, a chain over the ring's end whose third
 *                   descriptor (slot 0) keeps the old wrap counter
 *   ring-long       every slot of the ring one chain, NEXT on the last too
 *   event-desc      driver event suppression flags DESC without EVENT_IDX, then a request
 *   event-reserved  driver event suppression flags 3 (reserved), then a request
 *   event-offwrap   EVENT_IDX, flags DESC, off_wrap 0xffff (offset past the ring), then a request
 *   huge-len        one request whose buffers add up to 2^32 - 1 bytes (overlapping, indirect)
 *   huge-total      the same adding up to 2^32 bytes, one more than a chain may hold
 *   huge-direct     one direct descriptor of 2^32 - 1 bytes
 *   addr-high       a buffer address above 2^53 (high half 0xffffffff): no RAM, and no exact
 *                   JavaScript number either
 * Reports the case, used (descriptors the device returned), status and needs_reset; when
 * the device still runs, probe_used says whether an honest request is served after it.
 */
#include "attack.h"

#define FLIP_WRAP (P_AVAIL | P_USED)
#define UNKNOWN_FLAGS 0x140
#define HUGE_CHUNK (256u * 1024)

static struct pseg segs[PQ_MAX_IDS + 4];

/* Appends zero-length buffers like the last one until the chain has `min` descriptors. */
static u32 pad(u32 n, u32 min) {
	for (; n < min; n++) segs[n] = (struct pseg){ segs[n - 1].addr, 0, segs[n - 1].flags, 0, 0 };
	return n;
}

static u32 post_lie(struct ptarget *t, u32 at, u16 flip) {
	u32 n = pad(ptarget_request(t, segs), 2);
	segs[at].flip = flip;
	pq_post(&t->q, segs, n, 0);
	return 1;
}

/* An indirect table of the honest request, with `extra` free entries after it; returns the entry count. */
static u32 table_of_request(struct ptarget *t, u32 extra, u32 *table) {
	u32 n = ptarget_request(t, segs);
	*table = region_alloc(16 * (n + extra), 16);
	volatile struct pdesc *e = pa_to_va(*table);
	for (u32 i = 0; i < n; i++) e[i] = (struct pdesc){ segs[i].addr, 0, segs[i].len, 0, segs[i].flags };
	return n;
}

static u32 indirect_loop(struct ptarget *t) {
	u32 table, n = table_of_request(t, 0, &table);
	volatile struct pdesc *e = pa_to_va(table);
	for (u32 i = 0; i < n; i++) e[i].flags |= D_NEXT, e[i].id = (u16)((i + 1) % n);
	if (n == 1) e[0].id = 0; /* the one entry names itself */
	struct pseg ring = { table, 16 * n, D_INDIRECT, 0, 0 };
	pq_post(&t->q, &ring, 1, 0);
	return 1;
}

static u32 indirect_nested(struct ptarget *t) {
	u32 table, n = table_of_request(t, 1, &table);
	volatile struct pdesc *e = pa_to_va(table);
	e[n] = (struct pdesc){ table, 0, 16 * (n + 1), 0, D_INDIRECT };
	struct pseg ring = { table, 16 * (n + 1), D_INDIRECT, 0, 0 };
	pq_post(&t->q, &ring, 1, 0);
	return 1;
}

static u32 indirect_in_chain(struct ptarget *t, int first) {
	u32 table, n = table_of_request(t, 0, &table);
	struct pseg chain[2];
	struct pseg ind = { table, 16 * n, D_INDIRECT, 0, 0 }, plain = { region_alloc(64, 16), 64, D_WRITE, 0, 0 };
	chain[0] = first ? ind : plain;
	chain[1] = first ? plain : ind;
	pq_post(&t->q, chain, 2, 0);
	return 1;
}

/* Honest one-slot requests until the next free slot is size - 2; then a chain across the end with slot 0 lying. */
static u32 past_end(struct ptarget *t) {
	u32 wait_ms = option("--wait", 3000);
	u16 fill = (u16)(t->q.size - 2);
	if (t->q.size < 4) die("past-end needs a queue of 4 or more");
	for (u16 id = 1; id <= fill; id++) ptarget_post_indirect(t, id);
	pq_kick(&t->q);
	u32 done = 0;
	while (done < fill && pq_wait(&t->q, wait_ms)) pq_take(&t->q), done++;
	kv("fill_used", done);
	if (done < fill) return 0;
	u32 n = pad(ptarget_request(t, segs), 4);
	segs[2].flip = FLIP_WRAP;
	pq_post(&t->q, segs, n, 0);
	return 1;
}

static u32 ring_long(struct ptarget *t) {
	ptarget_request(t, segs);
	for (u32 i = 1; i < t->q.size; i++) segs[i] = segs[0];
	segs[t->q.size - 1].flip = D_NEXT;
	pq_post(&t->q, segs, t->q.size, 0);
	return 1;
}

/* One request whose data buffers (all naming the same HUGE_CHUNK bytes) bring it to `total` bytes. */
static u32 huge(struct ptarget *t, u64 total) {
	u32 n = ptarget_request(t, segs);
	/* blk: header before, status after the data; otherwise the one buffer is the data. */
	u32 data_at = n == 3 ? 1 : 0, fixed = n == 3 ? segs[0].len + segs[2].len : 0;
	u16 data_flags = segs[data_at].flags;
	u32 chunk = region_alloc(HUGE_CHUNK, 4096), chunks = 0, last = 0;
	for (u64 left = total - fixed; left; chunks++) last = left > HUGE_CHUNK ? HUGE_CHUNK : (u32)left, left -= last;
	u32 entries = chunks + n - 1, table = region_alloc(16 * entries, 16);
	volatile struct pdesc *e = pa_to_va(table);
	u32 k = 0;
	if (n == 3) e[k++] = (struct pdesc){ segs[0].addr, 0, segs[0].len, 0, segs[0].flags };
	for (u32 i = 0; i < chunks; i++) e[k++] = (struct pdesc){ chunk, 0, i + 1 == chunks ? last : HUGE_CHUNK, 0, data_flags };
	if (n == 3) e[k++] = (struct pdesc){ segs[2].addr, 0, segs[2].len, 0, segs[2].flags };
	kv64("chain_bytes", total);
	kv("table_entries", entries);
	struct pseg ring = { table, 16 * entries, D_INDIRECT, 0, 0 };
	pq_post(&t->q, &ring, 1, 0);
	return 1;
}

static u32 huge_direct(struct ptarget *t) {
	u32 n = ptarget_request(t, segs);
	segs[n == 3 ? 1 : 0].len = 0xffffffffu;
	pq_post(&t->q, segs, n, 0);
	return 1;
}

static u32 addr_high(struct ptarget *t) {
	u32 n = ptarget_request(t, segs);
	segs[0].addr_hi = 0xffffffffu;
	pq_post(&t->q, segs, n, 0);
	return 1;
}

static u32 honest(struct ptarget *t, u32 count) {
	for (u32 i = 0; i < count; i++) {
		u32 n = ptarget_request(t, segs);
		pq_post(&t->q, segs, n, 0);
	}
	return count;
}

static u32 wrap_lie(struct ptarget *t) { return post_lie(t, 1, FLIP_WRAP); }
static u32 flags_used(struct ptarget *t) { return post_lie(t, 1, P_USED); }
static u32 flags_garbage(struct ptarget *t) { return post_lie(t, 0, UNKNOWN_FLAGS); }
static u32 indirect_next(struct ptarget *t) { return indirect_in_chain(t, 1); }
static u32 indirect_inside(struct ptarget *t) { return indirect_in_chain(t, 0); }
static u32 id_reuse(struct ptarget *t) { return honest(t, 2); }
static u32 event_desc(struct ptarget *t) { pq_driver_event(&t->q, 0, EV_DESC); return honest(t, 1); }
static u32 event_reserved(struct ptarget *t) { pq_driver_event(&t->q, 0, 3); return honest(t, 1); }
static u32 event_offwrap(struct ptarget *t) { pq_driver_event(&t->q, 0xffff, EV_DESC); return honest(t, 1); }
static u32 huge_len(struct ptarget *t) { return huge(t, 0xffffffffull); }
static u32 huge_total(struct ptarget *t) { return huge(t, 0x100000000ull); }

static u32 id_range(struct ptarget *t) {
	u32 n = ptarget_request(t, segs);
	u16 id = (u16)option("--id", t->q.size);
	kv("id", id);
	pq_post(&t->q, segs, n, id);
	return 1;
}

/* A case: the queue it needs (console: receiveq for id-reuse), EVENT_IDX or not, and what it posts (returns how many requests). */
struct lie { const char *name; u16 queue; int event_idx; u32 (*post)(struct ptarget *t); };

static const struct lie lies[] = {
	{ "wrap-lie", PT_DEFAULT_QUEUE, 0, wrap_lie }, { "flags-used", PT_DEFAULT_QUEUE, 0, flags_used },
	{ "flags-garbage", PT_DEFAULT_QUEUE, 0, flags_garbage }, { "id-range", PT_DEFAULT_QUEUE, 0, id_range },
	{ "id-reuse", 0, 0, id_reuse }, { "indirect-loop", PT_DEFAULT_QUEUE, 0, indirect_loop },
	{ "indirect-nested", PT_DEFAULT_QUEUE, 0, indirect_nested }, { "indirect-next", PT_DEFAULT_QUEUE, 0, indirect_next },
	{ "indirect-inside", PT_DEFAULT_QUEUE, 0, indirect_inside }, { "past-end", PT_DEFAULT_QUEUE, 0, past_end },
	{ "ring-long", PT_DEFAULT_QUEUE, 0, ring_long }, { "event-desc", PT_DEFAULT_QUEUE, 0, event_desc },
	{ "event-reserved", PT_DEFAULT_QUEUE, 0, event_reserved }, { "event-offwrap", PT_DEFAULT_QUEUE, 1, event_offwrap },
	{ "huge-len", PT_DEFAULT_QUEUE, 0, huge_len }, { "huge-total", PT_DEFAULT_QUEUE, 0, huge_total },
	{ "huge-direct", PT_DEFAULT_QUEUE, 0, huge_direct }, { "addr-high", PT_DEFAULT_QUEUE, 0, addr_high },
};

int attack_packed_lies(int argc, char **argv) {
	if (argc < 2) die("usage: packed-lies ADDR CASE [--qsize N] [--wait MS] [--id N]");
	const struct lie *lie = 0;
	for (u32 i = 0; i < sizeof lies / sizeof lies[0]; i++)
		if (str_eq(argv[1], lies[i].name)) lie = &lies[i];
	if (!lie) die("no such case");
	u32 wait_ms = option("--wait", 3000);
	static struct ptarget t;
	ptarget_start(&t, argv[0], lie->queue, (u16)option("--qsize", 16), lie->event_idx);
	kv_str("case", lie->name);
	u32 posted = lie->post(&t);
	kv("posted", posted);
	pq_kick(&t.q);
	ptarget_settle(&t, posted, wait_ms);
	if (!(vdev_status(&t.d) & S_NEEDS_RESET)) {
		/* Still running: is an honest request served after the lie? */
		u32 n = ptarget_request(&t, segs);
		pq_post(&t.q, segs, n, 1);
		pq_kick(&t.q);
		int ok = pq_wait(&t.q, wait_ms);
		if (ok) pq_take(&t.q);
		kv("probe_used", ok);
		vdev_report(&t.d);
	}
	ptarget_finish(&t);
	return 0;
}
