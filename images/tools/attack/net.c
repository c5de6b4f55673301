/*
 * Raw Ethernet on an AF_PACKET socket: ARP for the router, IPv4/TCP frames with their
 * checksums, and reading the router's TCP segments back with a bounded wait.
 */
#include "net.h"

#define AF_PACKET 17
#define SOCK_RAW 3
#define ETH_P_ALL 0x0003
#define SOL_PACKET 263
#define PACKET_ADD_MEMBERSHIP 1
#define PACKET_MR_PROMISC 1
#define MSG_DONTWAIT 0x40

struct sockaddr_ll { u16 family, protocol; s32 ifindex; u16 hatype; u8 pkttype, halen; u8 addr[8]; };
struct packet_mreq { s32 ifindex; u16 type, alen; u8 address[8]; };

static u16 be16(u16 v) { return (u16)((v >> 8) | (v << 8)); }
static void put16(u8 *p, u32 v) { p[0] = (u8)(v >> 8); p[1] = (u8)v; }
static void put32(u8 *p, u32 v) { put16(p, v >> 16); put16(p + 2, v); }
static u32 get16(const u8 *p) { return (u32)(p[0] << 8 | p[1]); }
static u32 get32(const u8 *p) { return get16(p) << 16 | get16(p + 2); }

static u32 sum_bytes(u32 sum, const u8 *p, u32 len) {
	for (u32 i = 0; i + 1 < len; i += 2) sum += get16(p + i);
	if (len & 1) sum += (u32)p[len - 1] << 8;
	return sum;
}

static u16 fold(u32 sum) {
	while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
	return (u16)~sum;
}

void spoofed_identity(u32 last, u32 *ip, u8 mac[6]) {
	*ip = (10u << 24) | (2u << 8) | (last & 0xff);
	const u8 m[6] = { 0x52, 0x54, 0x00, 0xbe, 0xef, (u8)last };
	memcpy(mac, m, 6);
}

static void send_frame(struct rawnet *n, const u8 *frame, u32 len) {
	struct sockaddr_ll to;
	memset(&to, 0, sizeof to);
	to.family = AF_PACKET;
	to.ifindex = n->ifindex;
	to.halen = 6;
	memcpy(to.addr, frame, 6);
	long r = sys6(SYS_sendto, n->fd, frame, len, 0, &to, sizeof to);
	if (r < 0) die_errno("sendto (packet socket)", r);
}

/* Reads one frame; returns its length, or 0 when none came within timeout_ms. */
static u32 recv_frame(struct rawnet *n, u8 *buf, u32 size, u32 timeout_ms) {
	struct pollfd p = { (s32)n->fd, POLLIN, 0 };
	if (sys3(SYS_poll, &p, 1, timeout_ms) <= 0) return 0;
	long r = sys6(SYS_recvfrom, n->fd, buf, size, MSG_DONTWAIT, 0, 0);
	return r > 0 ? (u32)r : 0;
}

static void arp_router(struct rawnet *n) {
	u8 f[60], in[1600];
	for (int attempt = 0; attempt < 5; attempt++) {
		memset(f, 0, sizeof f);
		memset(f, 0xff, 6);
		memcpy(f + 6, n->our_mac, 6);
		put16(f + 12, 0x0806);
		put16(f + 14, 1), put16(f + 16, 0x0800), f[18] = 6, f[19] = 4, put16(f + 20, 1);
		memcpy(f + 22, n->our_mac, 6);
		put32(f + 28, n->our_ip);
		put32(f + 38, n->router_ip);
		send_frame(n, f, sizeof f);
		for (u32 until = now_ms() + 1000; (s32)(now_ms() - until) < 0;) {
			u32 len = recv_frame(n, in, sizeof in, 100);
			if (len < 42 || get16(in + 12) != 0x0806 || get16(in + 20) != 2) continue;
			if (get32(in + 28) != n->router_ip || memcmp(in, n->our_mac, 6) != 0) continue;
			memcpy(n->router_mac, in + 22, 6);
			return;
		}
	}
	die("no ARP reply from the router");
}

void rawnet_open(struct rawnet *n, const char *ifname, u32 our_ip, const u8 our_mac[6], u32 router_ip) {
	char path[96], text[32];
	const char *parts[3] = { "/sys/class/net/", ifname, "/ifindex" };
	u32 at = 0;
	for (int i = 0; i < 3; i++)
		for (const char *p = parts[i]; *p && at < 90; p++) path[at++] = *p;
	path[at] = 0;
	if (read_file(path, text, sizeof text) <= 0) die("no such network interface");
	for (u32 i = 0; text[i]; i++) if (text[i] == '\n') text[i] = 0;
	memset(n, 0, sizeof *n);
	n->ifindex = (s32)parse_u32(text);
	n->our_ip = our_ip;
	n->router_ip = router_ip;
	memcpy(n->our_mac, our_mac, 6);
	n->fd = sys3(SYS_socket, AF_PACKET, SOCK_RAW, be16(ETH_P_ALL));
	if (n->fd < 0) die_errno("socket(AF_PACKET)", n->fd);
	struct sockaddr_ll me;
	memset(&me, 0, sizeof me);
	me.family = AF_PACKET;
	me.protocol = be16(ETH_P_ALL);
	me.ifindex = n->ifindex;
	long r = sys3(SYS_bind, n->fd, &me, sizeof me);
	if (r < 0) die_errno("bind (packet socket)", r);
	struct packet_mreq mr;
	memset(&mr, 0, sizeof mr);
	mr.ifindex = n->ifindex;
	mr.type = PACKET_MR_PROMISC;
	r = sys5(SYS_setsockopt, n->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr);
	if (r < 0) die_errno("promiscuous mode", r);
	arp_router(n);
}

void rawnet_send_tcp(struct rawnet *n, u16 sport, u16 dport, u32 seq, u32 ack, u8 flags, const u8 *data, u32 len) {
	static u8 f[1600];
	int syn = (flags & TCP_SYN) != 0;
	u32 tcp_len = 20u + (syn ? 4u : 0u) + len;
	if (tcp_len + 34 > sizeof f) die("segment too large");
	memset(f, 0, 54 + (syn ? 4 : 0));
	memcpy(f, n->router_mac, 6);
	memcpy(f + 6, n->our_mac, 6);
	put16(f + 12, 0x0800);
	u8 *ip = f + 14, *tcp = f + 34;
	ip[0] = 0x45;
	put16(ip + 2, 20 + tcp_len);
	put16(ip + 4, random_u32() & 0xffff);
	put16(ip + 6, 0x4000); /* don't fragment */
	ip[8] = 64;
	ip[9] = 6;
	put32(ip + 12, n->our_ip);
	put32(ip + 16, n->router_ip);
	put16(ip + 10, fold(sum_bytes(0, ip, 20)));
	put16(tcp, sport);
	put16(tcp + 2, dport);
	put32(tcp + 4, seq);
	put32(tcp + 8, ack);
	tcp[12] = (u8)((syn ? 6 : 5) << 4);
	tcp[13] = flags;
	put16(tcp + 14, 65535);
	if (syn) tcp[20] = 2, tcp[21] = 4, put16(tcp + 22, 1460); /* MSS */
	memcpy(tcp + tcp_len - len, data, len);
	u8 pseudo[12];
	put32(pseudo, n->our_ip);
	put32(pseudo + 4, n->router_ip);
	pseudo[8] = 0, pseudo[9] = 6;
	put16(pseudo + 10, tcp_len);
	put16(tcp + 16, fold(sum_bytes(sum_bytes(0, pseudo, 12), tcp, tcp_len)));
	send_frame(n, f, 34 + tcp_len);
}

int rawnet_recv_tcp(struct rawnet *n, u16 port, struct tcp_seen *seg, u32 timeout_ms) {
	static u8 in[2048];
	/* Timeout 0 still reads every frame already queued. */
	for (u32 until = now_ms() + timeout_ms;;) {
		s32 left = (s32)(until - now_ms());
		u32 len = recv_frame(n, in, sizeof in, left > 0 ? (u32)left : 0);
		if (len == 0 && left <= 0) return 0;
		if (len < 54 || memcmp(in, n->our_mac, 6) != 0 || get16(in + 12) != 0x0800) continue;
		const u8 *ip = in + 14;
		u32 ihl = (ip[0] & 15) * 4u, total = get16(ip + 2);
		if (ip[9] != 6 || get32(ip + 12) != n->router_ip || get32(ip + 16) != n->our_ip) continue;
		if (total > len - 14 || ihl < 20 || total < ihl + 20) continue;
		const u8 *tcp = ip + ihl;
		u32 off = (tcp[12] >> 4) * 4u;
		if (off < 20 || ihl + off > total) continue;
		seg->sport = (u16)get16(tcp);
		seg->dport = (u16)get16(tcp + 2);
		if (port && seg->dport != port) continue;
		seg->seq = get32(tcp + 4);
		seg->ack = get32(tcp + 8);
		seg->flags = tcp[13];
		seg->window = (u16)get16(tcp + 14);
		seg->len = total - ihl - off;
		memcpy(seg->payload, tcp + off, seg->len < sizeof seg->payload ? seg->len : sizeof seg->payload);
		return 1;
	}
}
