/*
 * A virtio-pci function found the way a driver finds it, through sysfs: its BARs from
 * `resource`, its virtio structures from the vendor capabilities in `config`. Memory BARs
 * are mapped through /dev/mem; I/O BARs are reached with in/out after iopl(3), or through
 * /dev/port (one outb/inb per byte) when the kernel has no iopl.
 */
#include "attack.h"

#define IORESOURCE_IO 0x100
#define PCI_DRIVER "/sys/bus/pci/drivers/virtio-pci/"

static void path_of(char *out, const char *addr, const char *leaf) {
	const char *parts[3] = { "/sys/bus/pci/devices/", addr, leaf };
	u32 n = 0;
	for (int i = 0; i < 3; i++)
		for (const char *p = parts[i]; *p && n < 120; p++) out[n++] = *p;
	out[n] = 0;
}

/* Parses "0x..." (up to 64 bits) and keeps the low 32; advances *s past it and spaces. */
static u32 hex_field(const char **s) {
	const char *p = *s;
	while (*p == ' ') p++;
	if (p[0] == '0' && p[1] == 'x') p += 2;
	u32 v = 0;
	for (;; p++) {
		char c = (char)(*p | 0x20);
		if (*p >= '0' && *p <= '9') v = (v << 4) | (u32)(*p - '0');
		else if (c >= 'a' && c <= 'f') v = (v << 4) | (u32)(c - 'a' + 10);
		else break;
	}
	*s = p;
	return v;
}

static void read_resources(struct pci_fn *fn) {
	char path[128], text[1024];
	path_of(path, fn->addr, "/resource");
	long n = read_file(path, text, sizeof text);
	if (n < 0) die_errno("read resource", n);
	const char *p = text;
	for (int bar = 0; bar < 6 && *p; bar++) {
		u32 start = hex_field(&p), end = hex_field(&p), flags = hex_field(&p);
		while (*p && *p != '\n') p++;
		if (*p) p++;
		fn->bar_start[bar] = start;
		fn->bar_len[bar] = start ? end - start + 1 : 0;
		fn->bar_io[bar] = (flags & IORESOURCE_IO) != 0;
	}
}

static u32 cfg32(const u8 *c, u32 at) { return c[at] | (c[at + 1] << 8) | (c[at + 2] << 16) | ((u32)c[at + 3] << 24); }

static void read_capabilities(struct pci_fn *fn) {
	char path[128];
	u8 config[256];
	path_of(path, fn->addr, "/config");
	long fd = open_path(path, O_RDONLY);
	if (fd < 0) die_errno("open config", fd);
	long n = sys3(SYS_read, fd, config, sizeof config);
	sys1(SYS_close, fd);
	if (n < 256) die("config space shorter than 256 bytes (not root?)");
	u32 found = 0;
	/* At most 48 capabilities fit; the bound also ends a looping list. */
	u32 at = config[0x34] & 0xfc;
	for (int hops = 0; at >= 0x40 && hops < 48; hops++, at = config[at + 1] & 0xfc) {
		if (config[at] != 0x09) continue; /* vendor-specific */
		u32 type = config[at + 3];
		struct vstruct s = { config[at + 4], cfg32(config, at + 8), cfg32(config, at + 12) };
		if (type < 1 || type > 4 || (found & (1u << type))) continue; /* the first of each type counts */
		found |= 1u << type;
		if (type == 1) fn->common = s;
		if (type == 2) fn->notify = s, fn->notify_mult = cfg32(config, at + 16);
		if (type == 3) fn->isr = s;
		if (type == 4) fn->device = s;
	}
	if ((found & 0x1e) != 0x1e) die("missing virtio capabilities");
}

static void map_bar(struct pci_fn *fn, u32 bar) {
	if (bar > 5 || fn->bar_len[bar] == 0) die("virtio structure in a BAR that is not there");
	if (fn->bar_map[bar] || fn->bar_io[bar]) return;
	fn->bar_map[bar] = map_physical(fn->bar_start[bar], fn->bar_len[bar]);
}

void pci_open(struct pci_fn *fn, const char *addr) {
	memset(fn, 0, sizeof *fn);
	u32 i = 0;
	for (; addr[i] && i + 1 < sizeof fn->addr; i++) fn->addr[i] = addr[i];
	fn->addr[i] = 0;
	fn->port_fd = -1;
	read_resources(fn);
	read_capabilities(fn);
	const struct vstruct *all[4] = { &fn->common, &fn->notify, &fn->isr, &fn->device };
	for (int s = 0; s < 4; s++) {
		map_bar(fn, all[s]->bar);
		if (fn->bar_io[all[s]->bar] && !fn->iopl_ok && fn->port_fd < 0) {
			fn->iopl_ok = sys1(SYS_iopl, 3) == 0;
			if (!fn->iopl_ok) fn->port_fd = open_path("/dev/port", O_RDWR);
			if (!fn->iopl_ok && fn->port_fd < 0) die_errno("no iopl and no /dev/port", fn->port_fd);
		}
	}
	kv_str("function", fn->addr);
	kv_hex("bar", fn->bar_start[fn->common.bar]);
	kv("io_bar", fn->bar_io[fn->common.bar]);
	if (fn->bar_io[fn->common.bar]) kv_str("io_access", fn->iopl_ok ? "iopl" : "/dev/port");
}

int pci_bound(const char *addr) {
	char path[128];
	path_of(path, addr, "/driver");
	long fd = open_path(path, O_RDONLY);
	if (fd < 0) return 0;
	sys1(SYS_close, fd);
	return 1;
}

long pci_unbind(const char *addr) { return write_file(PCI_DRIVER "unbind", addr); }
long pci_bind(const char *addr) { return write_file(PCI_DRIVER "bind", addr); }

/* Configuration space through sysfs (root may write the header, e.g. the command register). */
static long config_fd(const char *addr) {
	char path[128];
	path_of(path, addr, "/config");
	long fd = open_path(path, O_RDWR);
	if (fd < 0) die_errno("open config for writing", fd);
	return fd;
}

u32 pci_config_read(const char *addr, u32 off, int width) {
	long fd = config_fd(addr);
	u32 v = 0;
	long n = sys5(SYS_pread64, fd, &v, width, off, 0);
	sys1(SYS_close, fd);
	if (n != width) die_errno("read config", n);
	return v;
}

void pci_config_write(const char *addr, u32 off, int width, u32 value) {
	long fd = config_fd(addr);
	long n = sys5(SYS_pwrite64, fd, &value, width, off, 0);
	sys1(SYS_close, fd);
	if (n != width) die_errno("write config", n);
}

static u32 port_in(u32 port, int width) {
	u32 v;
	if (width == 1) { u8 b; __asm__ volatile("inb %w1, %0" : "=a"(b) : "Nd"((u16)port)); v = b; }
	else if (width == 2) { u16 w; __asm__ volatile("inw %w1, %0" : "=a"(w) : "Nd"((u16)port)); v = w; }
	else __asm__ volatile("inl %w1, %0" : "=a"(v) : "Nd"((u16)port));
	return v;
}

static void port_out(u32 port, int width, u32 v) {
	if (width == 1) __asm__ volatile("outb %b0, %w1" : : "a"((u8)v), "Nd"((u16)port));
	else if (width == 2) __asm__ volatile("outw %w0, %w1" : : "a"((u16)v), "Nd"((u16)port));
	else __asm__ volatile("outl %0, %w1" : : "a"(v), "Nd"((u16)port));
}

u32 reg_read(struct pci_fn *fn, const struct vstruct *s, u32 off, int width) {
	u32 at = s->offset + off;
	if (fn->bar_io[s->bar]) {
		u32 port = fn->bar_start[s->bar] + at;
		if (fn->iopl_ok) return port_in(port, width);
		u32 v = 0;
		sys5(SYS_pread64, fn->port_fd, &v, width, port, 0);
		return v;
	}
	volatile u8 *p = fn->bar_map[s->bar] + at;
	if (width == 1) return *p;
	if (width == 2) return *(volatile u16 *)p;
	return *(volatile u32 *)p;
}

void reg_write(struct pci_fn *fn, const struct vstruct *s, u32 off, int width, u32 value) {
	u32 at = s->offset + off;
	mb();
	if (fn->bar_io[s->bar]) {
		u32 port = fn->bar_start[s->bar] + at;
		if (fn->iopl_ok) port_out(port, width, value);
		else sys5(SYS_pwrite64, fn->port_fd, &value, width, port, 0);
		return;
	}
	volatile u8 *p = fn->bar_map[s->bar] + at;
	if (width == 1) *p = (u8)value;
	else if (width == 2) *(volatile u16 *)p = (u16)value;
	else *(volatile u32 *)p = value;
	mb();
}
