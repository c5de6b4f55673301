/*
 * randread: 4 KiB random reads from a block device with O_DIRECT, for the disk benchmark
 * (busybox has no such tool, and a shell loop of dd would measure fork, not the disk).
 *
 *   randread DEVICE COUNT [SEED]
 *
 * Reads COUNT blocks of 4096 bytes at pseudo-random 4 KiB-aligned offsets, bypassing the
 * page cache, then prints one line: "randread: COUNT reads of 4096 bytes from DEVICE".
 * The benchmark times it with busybox `time`. Exit status 1 on any error.
 *
 * Freestanding on purpose: no libc, raw i386 system calls, so it needs no 32-bit C
 * library to build and adds only a few KiB to the initramfs. Built by images/build.sh with
 * the host gcc (-m32 -nostdlib). No 64-bit division (that would need libgcc).
 */
typedef unsigned int u32;
typedef unsigned long long u64;

#define SYS_exit 1
#define SYS_write 4
#define SYS_open 5
#define SYS_llseek 140
#define SYS_pread64 180
#define O_RDONLY 0
#define O_DIRECT 040000
#define O_LARGEFILE 0100000
#define SEEK_END 2
#define BLOCK 4096

static long syscall5(long n, long a, long b, long c, long d, long e) {
	long ret;
	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(n), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e)
			 : "memory");
	return ret;
}

static u32 length(const char *s) {
	u32 n = 0;
	while (s[n]) n++;
	return n;
}

static void say(const char *s) { syscall5(SYS_write, 2, (long)s, length(s), 0, 0); }

static void fail(const char *what) {
	say("randread: ");
	say(what);
	say("\n");
	syscall5(SYS_exit, 1, 0, 0, 0, 0);
}

static u32 parse(const char *s) {
	u32 v = 0;
	if (!*s) fail("bad number");
	for (; *s; s++) {
		if (*s < '0' || *s > '9') fail("bad number");
		v = v * 10 + (u32)(*s - '0');
	}
	return v;
}

static char *format(u32 v, char *end) {
	*--end = 0;
	do *--end = (char)('0' + v % 10); while ((v /= 10) != 0);
	return end;
}

/* O_DIRECT needs a buffer aligned to the logical block size. */
static unsigned char buffer[BLOCK] __attribute__((aligned(BLOCK)));

void start_c(long *sp) {
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	if (argc < 3) fail("usage: randread DEVICE COUNT [SEED]");
	u32 count = parse(argv[2]);
	u32 state = argc > 3 ? parse(argv[3]) : 1;
	if (state == 0) state = 1;

	long fd = syscall5(SYS_open, (long)argv[1], O_RDONLY | O_DIRECT | O_LARGEFILE, 0, 0, 0);
	if (fd < 0) fail("cannot open the device");
	u64 size = 0;
	if (syscall5(SYS_llseek, fd, 0, 0, (long)&size, SEEK_END) < 0) fail("cannot find the device size");
	u32 blocks = (u32)(size >> 12);
	if (blocks == 0) fail("device smaller than one block");

	for (u32 i = 0; i < count; i++) {
		/* xorshift32; the modulo is 32-bit so no libgcc helper is needed. */
		state ^= state << 13;
		state ^= state >> 17;
		state ^= state << 5;
		u64 offset = (u64)(state % blocks) << 12;
		long got = syscall5(SYS_pread64, fd, (long)buffer, BLOCK, (long)(u32)offset, (long)(u32)(offset >> 32));
		if (got != BLOCK) fail("short read");
	}

	char digits[16];
	say("randread: ");
	say(format(count, digits + sizeof digits));
	say(" reads of 4096 bytes from ");
	say(argv[1]);
	say("\n");
	syscall5(SYS_exit, 0, 0, 0, 0, 0);
}

__asm__(".globl _start\n"
	"_start:\n"
	"  xor %ebp, %ebp\n"
	"  mov %esp, %eax\n"
	"  and $-16, %esp\n"
	"  sub $12, %esp\n"
	"  push %eax\n"
	"  call start_c\n"
	"  hlt\n");
