/*
 * The attack tool's floor: fixed-width types, i386 system call numbers and the few
 * kernel structures it passes, and the helpers every other file uses (sys.c). No libc:
 * everything here is what Linux's i386 ABI says, written out.
 */
#ifndef ATTACK_SYS_H
#define ATTACK_SYS_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef int s32;

/* i386 system call numbers (arch/x86/entry/syscalls/syscall_32.tbl). */
#define SYS_read 3
#define SYS_write 4
#define SYS_open 5
#define SYS_close 6
#define SYS_ioctl 54
#define SYS_fcntl 55
#define SYS_munmap 91
#define SYS_iopl 110
#define SYS_sched_yield 158
#define SYS_nanosleep 162
#define SYS_poll 168
#define SYS_pread64 180
#define SYS_pwrite64 181
#define SYS_mmap2 192
#define SYS_exit_group 252
#define SYS_clock_gettime 265
#define SYS_prlimit64 340
#define SYS_getrandom 355
#define SYS_socket 359
#define SYS_bind 361
#define SYS_connect 362
#define SYS_getsockopt 365
#define SYS_setsockopt 366
#define SYS_sendto 369
#define SYS_recvfrom 371

#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_NONBLOCK 04000
#define O_SYNC 04010000
#define F_GETFL 3
#define F_SETFL 4
#define PROT_RW 3
#define MAP_SHARED 1
#define EAGAIN 11
#define EINPROGRESS 115

#define POLLIN 1
#define POLLOUT 4
#define POLLERR 8
#define POLLHUP 16

struct timespec32 { s32 sec; s32 nsec; };
struct pollfd { s32 fd; short events; short revents; };

long raw_syscall(long n, long a, long b, long c, long d, long e, long f);
#define sys1(n, a) raw_syscall(n, (long)(a), 0, 0, 0, 0, 0)
#define sys2(n, a, b) raw_syscall(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define sys3(n, a, b, c) raw_syscall(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define sys4(n, a, b, c, d) raw_syscall(n, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define sys5(n, a, b, c, d, e) raw_syscall(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)
#define sys6(n, a, b, c, d, e, f) raw_syscall(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

/* Full barrier: the device (another thread of the emulator) sees stores in this order. */
#define mb() __asm__ volatile("lock; addl $0,(%%esp)" ::: "memory")

/* Memory the C compiler may call on its own even with -fno-builtin. */
void *memset(void *dst, int c, u32 n);
void *memcpy(void *dst, const void *src, u32 n);
int memcmp(const void *a, const void *b, u32 n);
u32 str_len(const char *s);
int str_eq(const char *a, const char *b);

/* Files and time. */
long open_path(const char *path, int flags);
/* Reads a whole (small) file into buf, NUL-terminated; returns its length or a negative errno. */
long read_file(const char *path, char *buf, u32 size);
/* Writes text to a file (sysfs); returns 0 or a negative errno. */
long write_file(const char *path, const char *text);
/* Maps `len` bytes of physical memory at `phys` through /dev/mem, or dies. */
volatile u8 *map_physical(u32 phys, u32 len);
void sleep_ms(u32 ms);
/* Milliseconds on the monotonic clock (wraps after 49 days). */
u32 now_ms(void);
u32 random_u32(void);

/* Output: key=value lines on stdout, buffered, flushed at exit and by out_flush. */
void out_str(const char *s);
void out_u32(u32 v);
void out_u64(u64 v);
void out_hex(u32 v);
void out_flush(void);
void kv(const char *key, u32 value);
void kv64(const char *key, u64 value);
void kv_hex(const char *key, u32 value);
void kv_str(const char *key, const char *value);
/* Prints "error=what" and exits 1. */
__attribute__((noreturn)) void die(const char *what);
/* die() with a negative errno appended. */
__attribute__((noreturn)) void die_errno(const char *what, long err);
/* Flushes the output and exits with `status`. */
__attribute__((noreturn)) void finish(int status);

/* Numbers on the command line: decimal or 0x hex; dies on garbage. */
u32 parse_u32(const char *s);
/* Parses "a.b.c.d" into a host-order address; dies on garbage. */
u32 parse_ip(const char *s);
/* Parses "aa:bb:cc:dd:ee:ff"; returns 0 on success. */
int parse_mac(const char *s, u8 mac[6]);

#endif
