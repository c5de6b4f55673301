/*
 * TCP by hand, from a made-up address on the guest's segment (so the guest's own kernel
 * never answers the router's segments with RSTs):
 *   syn-flood: SYNs to the router from random ports, never completing a handshake.
 *   rst-inwindow: a connection to the echo port, then an RST inside the receive window but
 *     not at RCV.NXT (RFC 5961 3.2: the receiver must answer with a challenge ACK and keep
 *     the connection), then data to show the connection still works.
 */
#include "attack.h"
#include "net.h"

#define ROUTER_IP 0x0a000202u /* 10.0.2.2 */

static void open_spoofed(struct rawnet *n, u32 default_last) {
	u32 ip;
	u8 mac[6];
	spoofed_identity(option("--src", default_last), &ip, mac);
	rawnet_open(n, "eth0", ip, mac, ROUTER_IP);
	kv_hex("src_ip", ip);
}

int attack_syn_flood(int argc, char **argv) {
	(void)argc, (void)argv; /* options only */
	struct rawnet n;
	struct tcp_seen seg;
	u32 count = option("--count", 3000), port = option("--port", 80);
	open_spoofed(&n, 201);
	u32 synacks = 0, resets = 0;
	for (u32 i = 0; i < count; i++) {
		rawnet_send_tcp(&n, (u16)(1024 + random_u32() % 64000), (u16)port, random_u32(), 0, TCP_SYN, 0, 0);
		/* Count answers as they come, without waiting (the socket's queue is finite). */
		while (rawnet_recv_tcp(&n, 0, &seg, 0)) {
			if ((seg.flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK)) synacks++;
			if (seg.flags & TCP_RST) resets++;
		}
	}
	for (u32 until = now_ms() + 1000; (s32)(now_ms() - until) < 0;) {
		if (!rawnet_recv_tcp(&n, 0, &seg, 100)) continue;
		if ((seg.flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK)) synacks++;
		if (seg.flags & TCP_RST) resets++;
	}
	kv("sent", count);
	kv("synacks", synacks);
	kv("resets", resets);
	return 0;
}

struct conn { struct rawnet *n; u16 sport, dport; u32 snd_nxt, rcv_nxt; };

/* Sends `text` and waits for the echo service to return as many bytes; 1 if it did. */
static int echo_round(struct conn *c, const char *text) {
	struct tcp_seen seg;
	u32 len = str_len(text), got = 0;
	rawnet_send_tcp(c->n, c->sport, c->dport, c->snd_nxt, c->rcv_nxt, TCP_ACK | TCP_PSH, (const u8 *)text, len);
	c->snd_nxt += len;
	for (u32 until = now_ms() + 5000; got < len && (s32)(now_ms() - until) < 0;) {
		if (!rawnet_recv_tcp(c->n, c->sport, &seg, 200)) continue;
		if (seg.flags & TCP_RST) return 0;
		if (seg.len == 0 || seg.seq != c->rcv_nxt) continue;
		c->rcv_nxt += seg.len;
		got += seg.len;
		rawnet_send_tcp(c->n, c->sport, c->dport, c->snd_nxt, c->rcv_nxt, TCP_ACK, 0, 0);
	}
	return got == len;
}

static int handshake(struct conn *c) {
	struct tcp_seen seg;
	u32 iss = random_u32();
	for (int attempt = 0; attempt < 3; attempt++) {
		rawnet_send_tcp(c->n, c->sport, c->dport, iss, 0, TCP_SYN, 0, 0);
		for (u32 until = now_ms() + 3000; (s32)(now_ms() - until) < 0;) {
			if (!rawnet_recv_tcp(c->n, c->sport, &seg, 200)) continue;
			if ((seg.flags & (TCP_SYN | TCP_ACK)) != (TCP_SYN | TCP_ACK) || seg.ack != iss + 1) continue;
			c->snd_nxt = iss + 1;
			c->rcv_nxt = seg.seq + 1;
			kv("peer_window", seg.window);
			rawnet_send_tcp(c->n, c->sport, c->dport, c->snd_nxt, c->rcv_nxt, TCP_ACK, 0, 0);
			return 1;
		}
	}
	return 0;
}

int attack_rst_inwindow(int argc, char **argv) {
	(void)argc, (void)argv; /* options only */
	struct rawnet n;
	struct tcp_seen seg;
	open_spoofed(&n, 202);
	struct conn c = { &n, (u16)(20000 + random_u32() % 40000), (u16)option("--port", 7), 0, 0 };
	u32 offset = option("--offset", 1000);
	if (!handshake(&c)) die("no SYN-ACK from the router");
	kv("established", 1);
	kv("echo_before", echo_round(&c, "before the reset\n"));
	/* Let stray ACKs (delayed or repeated) pass before watching for the challenge. */
	while (rawnet_recv_tcp(&n, c.sport, &seg, 300)) {}
	rawnet_send_tcp(&n, c.sport, c.dport, c.snd_nxt + offset, 0, TCP_RST, 0, 0);
	u32 challenge = 0, resets = 0;
	for (u32 until = now_ms() + 2000; (s32)(now_ms() - until) < 0;) {
		if (!rawnet_recv_tcp(&n, c.sport, &seg, 200)) continue;
		if (seg.flags & TCP_RST) resets++;
		else if ((seg.flags & TCP_ACK) && seg.len == 0 && seg.ack == c.snd_nxt && seg.seq == c.rcv_nxt) {
			challenge = 1;
			break;
		}
	}
	kv("challenge_ack", challenge);
	kv("resets_from_router", resets);
	kv("alive", echo_round(&c, "after the reset\n"));
	/* Close it properly for the router: an RST exactly at RCV.NXT. */
	rawnet_send_tcp(&n, c.sport, c.dport, c.snd_nxt, 0, TCP_RST, 0, 0);
	return 0;
}
