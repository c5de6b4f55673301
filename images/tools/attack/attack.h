/*
 * What the tool's parts share: a virtio-pci function found through sysfs (pci.c), a
 * minimal virtio driver over it (virtio.c), ring memory in the physical RAM Linux was told
 * not to use (ring.c), raw Ethernet on a packet socket (net.c), and the attacks.
 */
#ifndef ATTACK_H
#define ATTACK_H
#include "sys.h"

/* ---- pci.c: a function's BARs and virtio structures (virtio 1.2, 4.1.4) ---- */

struct vstruct { u32 bar, offset, length; };

struct pci_fn {
	char addr[32];
	u32 bar_start[6], bar_len[6];
	u8 bar_io[6];
	struct vstruct common, notify, isr, device;
	u32 notify_mult;
	volatile u8 *bar_map[6];
	long port_fd; /* /dev/port, for I/O BARs when iopl() is not available */
	int iopl_ok;
};

/* Reads the function's resources and capabilities from sysfs and maps what it uses. */
void pci_open(struct pci_fn *fn, const char *addr);
int pci_bound(const char *addr);
long pci_unbind(const char *addr);
long pci_bind(const char *addr);
u32 pci_config_read(const char *addr, u32 off, int width);
void pci_config_write(const char *addr, u32 off, int width, u32 value);
#define PCI_COMMAND 0x04
#define PCI_COMMAND_INTX_DISABLE 0x400
#define PCI_STATUS 0x06
#define PCI_STATUS_INTERRUPT 0x08
u32 reg_read(struct pci_fn *fn, const struct vstruct *s, u32 off, int width);
void reg_write(struct pci_fn *fn, const struct vstruct *s, u32 off, int width, u32 value);

/* Offsets in struct virtio_pci_common_cfg (4.1.4.3). */
#define CC_DFSELECT 0x00
#define CC_DF 0x04
#define CC_GFSELECT 0x08
#define CC_GF 0x0c
#define CC_NUMQ 0x12
#define CC_STATUS 0x14
#define CC_Q_SELECT 0x16
#define CC_Q_SIZE 0x18
#define CC_Q_ENABLE 0x1c
#define CC_Q_NOFF 0x1e
#define CC_Q_DESC 0x20
#define CC_Q_AVAIL 0x28
#define CC_Q_USED 0x30

#define S_ACKNOWLEDGE 1
#define S_DRIVER 2
#define S_DRIVER_OK 4
#define S_FEATURES_OK 8
#define S_NEEDS_RESET 0x40
#define S_FAILED 0x80

/* Feature bits, as bit numbers in the 64-bit feature word. */
#define F_INDIRECT_DESC 28
#define F_EVENT_IDX 29
#define F_VERSION_1 32
#define F_RING_PACKED 34

/* ---- virtio.c: a minimal driver ---- */

struct vdesc { u32 addr_lo, addr_hi, len; u16 flags, next; };
#define D_NEXT 1
#define D_WRITE 2
#define D_INDIRECT 4

struct vdev { struct pci_fn fn; u64 offered, features; };

struct vq {
	struct vdev *dev;
	u16 index, size, notify_off;
	volatile struct vdesc *desc;
	volatile u16 *avail; /* flags, idx, ring[size], used_event */
	volatile u8 *used;   /* flags u16, idx u16, {id u32, len u32}[size], avail_event */
	u16 avail_idx, used_seen;
};

struct used_elem { u32 id, len; };

/* Unbinds Linux's driver (if bound) and maps the function. */
void vdev_open(struct vdev *d, const char *addr);
u8 vdev_status(struct vdev *d);
void vdev_set_status(struct vdev *d, u8 status);
/* Reset, ACKNOWLEDGE, DRIVER, features (offered & wanted; VERSION_1 required), FEATURES_OK. */
void vdev_start(struct vdev *d, u64 wanted);
/* Enables queue `index` with `size` entries (at most the device's), rings in the free region. */
void vq_setup(struct vdev *d, struct vq *q, u16 index, u16 size);
void vdev_driver_ok(struct vdev *d);
void vq_interrupts(struct vq *q, int on);
void vq_publish(struct vq *q, u16 head);
void vq_kick(struct vq *q);
/* Waits until `count` used entries beyond those taken are there, at most timeout_ms; returns how many are. */
u32 vq_wait(struct vq *q, u32 count, u32 timeout_ms);
struct used_elem vq_take(struct vq *q);
u8 vdev_isr(struct vdev *d);
/* Prints the device's status register as key "status". */
void vdev_report(struct vdev *d);

/* ---- ring.c: physical memory for rings and buffers ---- */

/* Guest-physical RAM above the kernel's mem=192M: nobody else uses it. */
#define REGION_BASE 0x0C000000u
#define REGION_SIZE (40u << 20)
u32 region_alloc(u32 len, u32 align);
volatile void *pa_to_va(u32 pa);
void region_clear(void);
void desc_set(volatile struct vdesc *d, u32 addr, u32 len, u16 flags, u16 next);
/* A table of `entries` descriptors, all `len` bytes at `buf` (they overlap), chained in order. */
u32 indirect_table(u32 entries, u32 buf, u32 len, u16 flags);

/* ---- packed.c: a packed virtqueue (virtio 1.2, 2.8) ---- */

/* One packed descriptor: le64 addr, le32 len, le16 buffer ID, le16 flags. */
struct pdesc { u32 addr_lo, addr_hi, len; u16 id, flags; };
#define P_AVAIL (1u << 7)
#define P_USED (1u << 15)
/* Event suppression flags (2.8.10). */
#define EV_ENABLE 0
#define EV_DISABLE 1
#define EV_DESC 2
/* Buffer IDs the driver tracks (chains it posted and has not seen used). */
#define PQ_MAX_IDS 256

/*
 * One buffer of a chain to post: `flags` is D_WRITE and/or D_INDIRECT (the ring adds NEXT
 * and the AVAIL/USED bits); `flip` is XORed into the descriptor's final flags: an attack's
 * lie, 0 for the truth. `addr_hi` is the address's high 32 bits (0 but in a lie).
 */
struct pseg { u32 addr, len; u16 flags, flip; u32 addr_hi; };

struct pq {
	struct vdev *dev;
	u16 index, size, notify_off;
	volatile struct pdesc *ring;
	volatile u16 *driver_event; /* off_wrap, flags: ours, read by the device */
	volatile u16 *device_event; /* off_wrap, flags: the device's */
	u16 next_avail, next_used;
	u8 avail_wrap, used_wrap;
	u16 slots_of[PQ_MAX_IDS]; /* ring slots the chain last posted with each buffer ID took; 0: never posted */
};

/* Enables queue `index` as a packed ring of `size` slots (at most the device's), interrupts off. */
void pq_setup(struct vdev *d, struct pq *q, u16 index, u16 size);
/* The AVAIL/USED bits a driver writes to make a descriptor available with wrap counter `wrap`. */
u16 pq_avail_bits(int wrap);
/* Writes `n` descriptors from the next free slot (wrapping), the head's flags last; returns the head slot. */
u16 pq_post(struct pq *q, const struct pseg *segs, u32 n, u16 id);
void pq_kick(struct pq *q);
/* Whether the next used descriptor is there. */
int pq_ready(struct pq *q);
/* Waits at most timeout_ms for the next used descriptor; returns pq_ready(). */
int pq_wait(struct pq *q, u32 timeout_ms);
/* Takes the next used descriptor (pq_ready() must be true); dies on a buffer ID never posted. */
struct used_elem pq_take(struct pq *q);
void pq_driver_event(struct pq *q, u16 off_wrap, u16 flags);

/* ---- packed-target.c: the device a packed-ring attack aims at, and honest requests to it ---- */

#define DEV_BLK 0x1042
#define DEV_CONSOLE 0x1043
#define DEV_RNG 0x1044
#define PT_DEFAULT_QUEUE 0xffff

struct ptarget { struct vdev d; struct pq q; u16 device_id, queue; const char *addr; u32 command; };

/* Opens the function, switches its INTx off, negotiates VERSION_1, RING_PACKED and INDIRECT_DESC (and EVENT_IDX when asked), sets up one queue, DRIVER_OK. */
void ptarget_start(struct ptarget *t, const char *addr, u16 queue, u16 qsize, int event_idx);
/* Fills segs (room for 3) with one request the device would serve, in fresh buffers; returns how many. */
u32 ptarget_request(struct ptarget *t, struct pseg *segs);
/* Posts one honest request as a single indirect descriptor (one ring slot); returns its slot. */
u16 ptarget_post_indirect(struct ptarget *t, u16 id);
/* Takes used descriptors until `want` came, NEEDS_RESET shows or timeout_ms passed; prints used, status; returns used. */
u32 ptarget_settle(struct ptarget *t, u32 want, u32 timeout_ms);
/* Reads (and prints) the ISR, which withdraws a pending interrupt, and switches INTx back on. */
void ptarget_finish(struct ptarget *t);

/* ---- the attacks (one file per family) ---- */

int attack_console(int argc, char **argv);
int attack_rng_huge(int argc, char **argv);
int attack_rng_tiny(int argc, char **argv);
int attack_blk_unknown(int argc, char **argv);
int attack_blk_oversize(int argc, char **argv);
int attack_reset_isr(int argc, char **argv);
int attack_packed_lies(int argc, char **argv);
int attack_syn_flood(int argc, char **argv);
int attack_rst_inwindow(int argc, char **argv);
int attack_idle_conns(int argc, char **argv);
int attack_no_read(int argc, char **argv);

/* "--name value" options after the positional arguments; returns `fallback` when absent. */
u32 option(const char *name, u32 fallback);

#endif
