/*
 * System calls and the little of a C library the tool needs: the entry point, one
 * function that enters the kernel with up to six arguments, files, time, randomness,
 * buffered key=value output and number parsing. No 64-bit division anywhere (it would
 * need libgcc): 64-bit numbers are printed by long division in 16-bit pieces.
 */
#include "sys.h"

/* int $0x80 with the arguments in ebx, ecx, edx, esi, edi, ebp (cdecl in, eax out). */
__asm__(".text\n"
	".globl raw_syscall\n"
	"raw_syscall:\n"
	"  push %ebp\n  push %edi\n  push %esi\n  push %ebx\n"
	"  mov 20(%esp), %eax\n  mov 24(%esp), %ebx\n  mov 28(%esp), %ecx\n"
	"  mov 32(%esp), %edx\n  mov 36(%esp), %esi\n  mov 40(%esp), %edi\n"
	"  mov 44(%esp), %ebp\n"
	"  int $0x80\n"
	"  pop %ebx\n  pop %esi\n  pop %edi\n  pop %ebp\n"
	"  ret\n"
	".globl _start\n"
	"_start:\n"
	"  xor %ebp, %ebp\n  mov %esp, %eax\n  and $-16, %esp\n  sub $12, %esp\n"
	"  push %eax\n  call start_c\n  hlt\n");

int attack_main(int argc, char **argv);

void start_c(long *sp) {
	finish(attack_main((int)sp[0], (char **)(sp + 1)));
}

void *memset(void *dst, int c, u32 n) {
	u8 *d = dst;
	while (n--) *d++ = (u8)c;
	return dst;
}

void *memcpy(void *dst, const void *src, u32 n) {
	u8 *d = dst;
	const u8 *s = src;
	while (n--) *d++ = *s++;
	return dst;
}

int memcmp(const void *a, const void *b, u32 n) {
	const u8 *x = a, *y = b;
	for (u32 i = 0; i < n; i++)
		if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
	return 0;
}

u32 str_len(const char *s) {
	u32 n = 0;
	while (s[n]) n++;
	return n;
}

int str_eq(const char *a, const char *b) {
	while (*a && *a == *b) a++, b++;
	return *a == *b;
}

long open_path(const char *path, int flags) { return sys3(SYS_open, path, flags, 0); }

long read_file(const char *path, char *buf, u32 size) {
	long fd = open_path(path, O_RDONLY);
	if (fd < 0) return fd;
	u32 got = 0;
	while (got + 1 < size) {
		long n = sys3(SYS_read, fd, buf + got, size - 1 - got);
		if (n <= 0) break;
		got += (u32)n;
	}
	buf[got] = 0;
	sys1(SYS_close, fd);
	return (long)got;
}

long write_file(const char *path, const char *text) {
	long fd = open_path(path, O_WRONLY);
	if (fd < 0) return fd;
	long n = sys3(SYS_write, fd, text, str_len(text));
	sys1(SYS_close, fd);
	return n < 0 ? n : 0;
}

volatile u8 *map_physical(u32 phys, u32 len) {
	static long mem = -1;
	if (mem < 0) mem = open_path("/dev/mem", O_RDWR | O_SYNC);
	if (mem < 0) die_errno("open /dev/mem", mem);
	long p = sys6(SYS_mmap2, 0, len, PROT_RW, MAP_SHARED, mem, phys >> 12);
	if (p < 0 && p > -4096) die_errno("mmap /dev/mem", p);
	return (volatile u8 *)p;
}

void sleep_ms(u32 ms) {
	struct timespec32 t = { (s32)(ms / 1000), (s32)(ms % 1000) * 1000000 };
	sys2(SYS_nanosleep, &t, 0);
}

u32 now_ms(void) {
	struct timespec32 t;
	sys2(SYS_clock_gettime, 1 /* CLOCK_MONOTONIC */, &t);
	return (u32)t.sec * 1000 + (u32)t.nsec / 1000000;
}

u32 random_u32(void) {
	static u32 state;
	if (state == 0) {
		sys3(SYS_getrandom, &state, 4, 0);
		if (state == 0) state = now_ms() | 1;
	}
	state ^= state << 13;
	state ^= state >> 17;
	state ^= state << 5;
	return state;
}

static char out_buf[4096];
static u32 out_len;

void out_flush(void) {
	for (u32 at = 0; at < out_len;) {
		long n = sys3(SYS_write, 1, out_buf + at, out_len - at);
		if (n <= 0) break;
		at += (u32)n;
	}
	out_len = 0;
}

void out_str(const char *s) {
	for (; *s; s++) {
		if (out_len == sizeof out_buf) out_flush();
		out_buf[out_len++] = *s;
	}
}

/* Divides the 64-bit *n by 10 in place (16 bits at a time) and returns the remainder. */
static u32 div10(u64 *n) {
	u32 parts[4] = { (u32)(*n >> 48) & 0xffff, (u32)(*n >> 32) & 0xffff, (u32)(*n >> 16) & 0xffff, (u32)*n & 0xffff };
	u32 rem = 0;
	for (int i = 0; i < 4; i++) {
		u32 cur = (rem << 16) | parts[i];
		parts[i] = cur / 10;
		rem = cur % 10;
	}
	*n = ((u64)parts[0] << 48) | ((u64)parts[1] << 32) | ((u64)parts[2] << 16) | parts[3];
	return rem;
}

void out_u64(u64 v) {
	char digits[24];
	char *p = digits + sizeof digits;
	*--p = 0;
	do *--p = (char)('0' + div10(&v)); while (v != 0);
	out_str(p);
}

void out_u32(u32 v) { out_u64(v); }

void out_hex(u32 v) {
	char digits[12] = "0x";
	int n = 2;
	for (int shift = 28; shift >= 0; shift -= 4) {
		u32 d = (v >> shift) & 15;
		if (d == 0 && n == 2 && shift > 0) continue;
		digits[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
	}
	digits[n] = 0;
	out_str(digits);
}

void kv(const char *key, u32 value) { out_str(key); out_str("="); out_u32(value); out_str("\n"); }
void kv64(const char *key, u64 value) { out_str(key); out_str("="); out_u64(value); out_str("\n"); }
void kv_hex(const char *key, u32 value) { out_str(key); out_str("="); out_hex(value); out_str("\n"); }
void kv_str(const char *key, const char *value) { out_str(key); out_str("="); out_str(value); out_str("\n"); }

void finish(int status) {
	out_flush();
	sys1(SYS_exit_group, status);
	for (;;) {}
}

void die(const char *what) {
	kv_str("error", what);
	out_flush();
	sys1(SYS_exit_group, 1);
	for (;;) {}
}

void die_errno(const char *what, long err) {
	out_str("error=");
	out_str(what);
	out_str(": errno ");
	out_u32((u32)-err);
	out_str("\n");
	out_flush();
	sys1(SYS_exit_group, 1);
	for (;;) {}
}

u32 parse_u32(const char *s) {
	u32 v = 0, base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) base = 16, s += 2;
	if (!*s) die("bad number on the command line");
	for (; *s; s++) {
		u32 d;
		if (*s >= '0' && *s <= '9') d = (u32)(*s - '0');
		else if (base == 16 && (*s | 0x20) >= 'a' && (*s | 0x20) <= 'f') d = (u32)((*s | 0x20) - 'a' + 10);
		else die("bad number on the command line");
		v = v * base + d;
	}
	return v;
}

u32 parse_ip(const char *s) {
	u32 ip = 0;
	for (int part = 0; part < 4; part++) {
		u32 v = 0, digits = 0;
		while (*s >= '0' && *s <= '9') v = v * 10 + (u32)(*s++ - '0'), digits++;
		if (digits == 0 || v > 255 || (part < 3 && *s++ != '.')) die("bad IPv4 address");
		ip = (ip << 8) | v;
	}
	if (*s) die("bad IPv4 address");
	return ip;
}

static int hex_digit(char c) {
	if (c >= '0' && c <= '9') return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') return (c | 0x20) - 'a' + 10;
	return -1;
}

int parse_mac(const char *s, u8 mac[6]) {
	for (int i = 0; i < 6; i++) {
		int hi = hex_digit(s[0]), lo = hex_digit(s[1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[2] != ':')) return -1;
		mac[i] = (u8)(hi * 16 + lo);
		s += 3;
	}
	return 0;
}
