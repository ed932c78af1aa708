/* An XDP packet parser: Ethernet, IPv4, UDP/TCP; counts packets per IP
 * protocol, drops UDP to port 9 (discard), passes the rest. */
#include "xdp_common.h"
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <linux/tcp.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} proto_count SEC(".maps");

__u64 tcp_syns;

SEC("xdp")
int xdp_parser(struct xdp_md *ctx)
{
	void *data = PKT_START(ctx), *end = PKT_END(ctx);
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return XDP_ABORTED;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end || ip->ihl < 5)
		return XDP_ABORTED;
	__u32 proto = ip->protocol;
	__u64 *c = bpf_map_lookup_elem(&proto_count, &proto);
	if (c)
		__sync_fetch_and_add(c, 1);
	void *l4 = (void *)ip + ip->ihl * 4;
	if (proto == IPPROTO_UDP) {
		struct udphdr *udp = l4;
		if ((void *)(udp + 1) > end)
			return XDP_ABORTED;
		if (udp->dest == bpf_htons(9))
			return XDP_DROP;
	} else if (proto == IPPROTO_TCP) {
		struct tcphdr *tcp = l4;
		if ((void *)(tcp + 1) > end)
			return XDP_ABORTED;
		if (tcp->syn && !tcp->ack)
			tcp_syns++;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
