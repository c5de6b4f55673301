/*
 * Raw Ethernet for the network attacks (net.c): an AF_PACKET socket on the guest's card,
 * IPv4/TCP frames built by hand so the tool chooses every address, port, flag and
 * sequence number, and a filter for the router's answers.
 */
#ifndef ATTACK_NET_H
#define ATTACK_NET_H
#include "sys.h"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10

struct rawnet {
	long fd;
	s32 ifindex;
	u8 our_mac[6], router_mac[6];
	u32 our_ip, router_ip; /* host order */
};

/* A TCP segment from the router to us. */
struct tcp_seen {
	u16 sport, dport, window;
	u32 seq, ack, len;
	u8 flags;
	u8 payload[256];
};

/*
 * Opens the card `ifname` (promiscuous, so frames for a made-up MAC reach the socket) as
 * `our_ip`/`our_mac`, and learns the router's MAC with ARP. The kernel never sees replies
 * to a made-up address as its own, so it does not answer them with RSTs.
 */
void rawnet_open(struct rawnet *n, const char *ifname, u32 our_ip, const u8 our_mac[6], u32 router_ip);
void rawnet_send_tcp(struct rawnet *n, u16 sport, u16 dport, u32 seq, u32 ack, u8 flags, const u8 *data, u32 len);
/* The next segment from the router to local port `port` (0: any), waiting at most timeout_ms; 1 if one came. */
int rawnet_recv_tcp(struct rawnet *n, u16 port, struct tcp_seen *seg, u32 timeout_ms);
/* A made-up identity on the guest's segment: 10.0.2.`last` with MAC 52:54:00:be:ef:`last`. */
void spoofed_identity(u32 last, u32 *ip, u8 mac[6]);

#endif
