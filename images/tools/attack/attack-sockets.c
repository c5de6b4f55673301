/*
 * Many ordinary TCP sockets through the guest's own kernel:
 *   idle-conns N SECONDS: N connections to the router's echo port, held idle, then one
 *     byte each to see which survived.
 *   no-read N SECONDS: N/2 clients ask HTTP for a 1 GiB blob and N - N/2 connect to
 *     chargen; none ever reads, so the router's data can only pile up somewhere.
 * Connections are opened in batches of BATCH with a bounded wait for each batch.
 */
#include "attack.h"

#define AF_INET 2
#define SOCK_STREAM 1
#define SOCK_NONBLOCK 04000
#define SOL_SOCKET 1
#define SO_ERROR 4
#define SO_RCVBUF 8
#define RLIMIT_NOFILE 7
#define MSG_DONTWAIT 0x40
#define MAX_SOCKETS 4096
#define BATCH 64

struct sockaddr_in { u16 family, port; u32 addr; u8 zero[8]; };
struct rlimit64 { u64 cur, max; };

static s32 fds[MAX_SOCKETS];
static struct pollfd polls[BATCH];

static void raise_nofile(u32 n) {
	struct rlimit64 want = { n + 64, n + 64 };
	long r = sys4(SYS_prlimit64, 0, RLIMIT_NOFILE, &want, 0);
	if (r < 0) die_errno("prlimit64 RLIMIT_NOFILE", r);
}

/* Starts a non-blocking connect to 10.0.2.2:port; returns the socket. */
static s32 start_connect(u32 port, u32 rcvbuf) {
	long fd = sys3(SYS_socket, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0) die_errno("socket", fd);
	if (rcvbuf) sys5(SYS_setsockopt, fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, 4);
	struct sockaddr_in to = { AF_INET, (u16)((port >> 8) | (port << 8)), 0x0202000au, { 0 } };
	long r = sys3(SYS_connect, fd, &to, sizeof to);
	if (r < 0 && r != -EINPROGRESS) {
		sys1(SYS_close, fd);
		return -1;
	}
	return (s32)fd;
}

/* Opens fds[from..from+count) to `port`; returns how many connected. Failed ones become -1. */
static u32 connect_all(u32 from, u32 count, u32 port, u32 rcvbuf) {
	u32 ok = 0;
	for (u32 b = 0; b < count; b += BATCH) {
		u32 k = count - b < BATCH ? count - b : BATCH;
		for (u32 i = 0; i < k; i++) {
			fds[from + b + i] = start_connect(port, rcvbuf);
			polls[i] = (struct pollfd){ fds[from + b + i], POLLOUT, 0 };
		}
		for (u32 until = now_ms() + 20000, pending = k; pending > 0 && (s32)(now_ms() - until) < 0;) {
			sys3(SYS_poll, polls, k, 200);
			pending = 0;
			for (u32 i = 0; i < k; i++) {
				if (polls[i].fd < 0) continue;
				if (!polls[i].revents) { pending++; continue; }
				s32 err = 0;
				u32 len = 4;
				sys5(SYS_getsockopt, polls[i].fd, SOL_SOCKET, SO_ERROR, &err, &len);
				if (err == 0) ok++;
				else sys1(SYS_close, polls[i].fd), fds[from + b + i] = -1;
				polls[i].fd = -1;
			}
		}
		for (u32 i = 0; i < k; i++)
			if (polls[i].fd >= 0) sys1(SYS_close, polls[i].fd), fds[from + b + i] = -1; /* never connected */
	}
	return ok;
}

static u32 count_open(u32 n) {
	u32 open = 0;
	for (u32 b = 0; b < n; b += BATCH) {
		u32 k = n - b < BATCH ? n - b : BATCH;
		for (u32 i = 0; i < k; i++) polls[i] = (struct pollfd){ fds[b + i], POLLERR | POLLHUP, 0 };
		sys3(SYS_poll, polls, k, 0);
		for (u32 i = 0; i < k; i++) open += polls[i].fd >= 0 && !(polls[i].revents & (POLLERR | POLLHUP));
	}
	return open;
}

int attack_idle_conns(int argc, char **argv) {
	if (argc < 2) die("usage: idle-conns N SECONDS [--port P]");
	u32 n = parse_u32(argv[0]), seconds = parse_u32(argv[1]), port = option("--port", 7);
	if (n > MAX_SOCKETS) die("too many sockets");
	raise_nofile(n);
	kv("established", connect_all(0, n, port, 0));
	kv("holding_seconds", seconds);
	out_flush();
	sleep_ms(seconds * 1000);
	/* Which survived the wait: one byte to each, and its echo back. */
	u32 alive = 0;
	for (u32 b = 0; b < n; b += BATCH) {
		u32 k = n - b < BATCH ? n - b : BATCH, pending = 0;
		for (u32 i = 0; i < k; i++) {
			s32 fd = fds[b + i];
			polls[i] = (struct pollfd){ -1, POLLIN, 0 };
			if (fd >= 0 && sys6(SYS_sendto, fd, "x", 1, MSG_DONTWAIT, 0, 0) == 1) polls[i].fd = fd, pending++;
		}
		for (u32 until = now_ms() + 10000; pending > 0 && (s32)(now_ms() - until) < 0;) {
			sys3(SYS_poll, polls, k, 200);
			for (u32 i = 0; i < k; i++) {
				if (polls[i].fd < 0 || !polls[i].revents) continue;
				char c = 0;
				alive += sys6(SYS_recvfrom, polls[i].fd, &c, 1, MSG_DONTWAIT, 0, 0) == 1 && c == 'x';
				polls[i].fd = -1;
				pending--;
			}
		}
	}
	kv("alive", alive);
	return 0;
}

int attack_no_read(int argc, char **argv) {
	static const char request[] = "GET /blob?bytes=1073741824 HTTP/1.1\r\nHost: 10.0.2.2\r\n\r\n";
	if (argc < 2) die("usage: no-read N SECONDS");
	u32 n = parse_u32(argv[0]), seconds = parse_u32(argv[1]);
	if (n > MAX_SOCKETS) die("too many sockets");
	raise_nofile(n);
	u32 http = n / 2;
	/* Small receive buffers: the guest's memory is not what is under attack here. */
	u32 rcvbuf = option("--rcvbuf", 8192);
	kv("established_http", connect_all(0, http, 80, rcvbuf));
	u32 sent = 0;
	for (u32 i = 0; i < http; i++)
		if (fds[i] >= 0) sent += sys6(SYS_sendto, fds[i], request, sizeof request - 1, MSG_DONTWAIT, 0, 0) == (long)(sizeof request - 1);
	kv("requests_sent", sent);
	kv("established_chargen", connect_all(http, n - http, 19, rcvbuf));
	kv("holding_seconds", seconds);
	out_flush();
	sleep_ms(seconds * 1000);
	kv("still_open", count_open(n));
	return 0;
}
