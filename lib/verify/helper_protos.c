/*
 * The helpers the verifier models: each one's Linux ID, argument kinds and
 * return kind, as Linux's helper prototypes (include/uapi/linux/bpf.h and
 * the kernel's bpf_func_proto tables) state them, plus graft's own.
 */
#include <stddef.h>

#include "helpers.h"

#define P(id, name, ret, fl, ...) { id, name, ret, fl, { __VA_ARGS__ } }
static const struct proto protos[] = {
	P(1, "map_lookup_elem", R_MAP_VALUE_OR_NULL, 0, A_MAP, A_KEY),
	P(2, "map_update_elem", R_INT, 0, A_MAP, A_KEY, A_VALUE, A_ANY),
	P(3, "map_delete_elem", R_INT, 0, A_MAP, A_KEY),
	P(4, "probe_read", R_INT, 0, A_UMEM, A_SIZE0, A_ANY),
	P(5, "ktime_get_ns", R_INT, 0, A_NONE),
	P(6, "trace_printk", R_INT, 0, A_MEM, A_SIZE, A_NONE, A_NONE, A_NONE),
	P(7, "get_prandom_u32", R_INT, 0, A_NONE),
	P(8, "get_smp_processor_id", R_INT, 0, A_NONE),
	P(9, "skb_store_bytes", R_INT, F_PKT_CHANGE, A_CTX, A_ANY, A_MEM,
	  A_SIZE, A_ANY),
	P(10, "l3_csum_replace", R_INT, F_PKT_CHANGE, A_CTX, A_ANY, A_ANY,
	  A_ANY, A_ANY),
	P(11, "l4_csum_replace", R_INT, F_PKT_CHANGE, A_CTX, A_ANY, A_ANY,
	  A_ANY, A_ANY),
	P(12, "tail_call", R_INT, F_PROG_ARRAY | F_PKT_CHANGE, A_CTX, A_MAP, A_ANY),
	P(14, "get_current_pid_tgid", R_INT, 0, A_NONE),
	P(15, "get_current_uid_gid", R_INT, 0, A_NONE),
	P(16, "get_current_comm", R_INT, 0, A_UMEM, A_SIZE),
	P(17, "get_cgroup_classid", R_INT, 0, A_CTX),
	P(35, "get_current_task", R_INT, 0, A_NONE),
	P(40, "csum_update", R_INT, 0, A_CTX, A_ANY),
	P(41, "set_hash_invalid", R_INT, 0, A_CTX),
	P(42, "get_numa_node_id", R_INT, 0, A_NONE),
	P(43, "skb_change_head", R_INT, F_PKT_CHANGE, A_CTX, A_ANY, A_ANY),
	P(46, "get_socket_cookie", R_INT, 0, A_CTX),
	P(47, "get_socket_uid", R_INT, 0, A_CTX),
	P(23, "redirect", R_INT, 0, A_ANY, A_ANY),
	P(26, "skb_load_bytes", R_INT, 0, A_CTX, A_ANY, A_UMEM, A_SIZE),
	P(67, "get_stack", R_SIZED, 0, A_CTX, A_UMEM, A_SIZE0, A_ANY),
	P(69, "fib_lookup", R_INT, 0, A_CTX, A_RWMEM, A_SIZE, A_ANY),
	P(82, "sk_select_reuseport", R_INT, 0, A_CTX, A_MAP, A_KEY, A_ANY),
	P(81, "get_local_storage", R_MAP_VALUE, F_CG_STORAGE, A_MAP, A_ZERO),
	P(28, "csum_diff", R_INT, 0, A_MEM_NULL, A_SIZE0, A_MEM_NULL, A_SIZE0,
	  A_ANY),
	P(34, "get_hash_recalc", R_INT, 0, A_CTX),
	P(44, "xdp_adjust_head", R_INT, F_PKT_CHANGE, A_CTX, A_ANY),
	P(45, "probe_read_str", R_INT, 0, A_UMEM, A_SIZE0, A_ANY),
	P(51, "redirect_map", R_INT, 0, A_MAP, A_ANY, A_ANY),
	P(54, "xdp_adjust_meta", R_INT, F_PKT_CHANGE, A_CTX, A_ANY),
	P(65, "xdp_adjust_tail", R_INT, F_PKT_CHANGE, A_CTX, A_ANY),
	P(87, "map_push_elem", R_INT, 0, A_MAP, A_VALUE, A_ANY),
	P(88, "map_pop_elem", R_INT, 0, A_MAP, A_UVALUE),
	P(80, "get_current_cgroup_id", R_INT, 0, A_NONE),
	P(89, "map_peek_elem", R_INT, 0, A_MAP, A_UVALUE),
	P(95, "sk_fullsock", R_SOCK_OR_NULL, 0, A_SOCK),
	P(96, "tcp_sock", R_TCP_SOCK_OR_NULL, 0, A_SOCK),
	P(98, "get_listener_sock", R_SOCK_OR_NULL, 0, A_SOCK),
	P(112, "probe_read_user", R_INT, 0, A_UMEM, A_SIZE0, A_ANY),
	P(113, "probe_read_kernel", R_INT, 0, A_UMEM, A_SIZE0, A_ANY),
	P(114, "probe_read_user_str", R_INT, 0, A_UMEM, A_SIZE0, A_ANY),
	P(115, "probe_read_kernel_str", R_INT, 0, A_UMEM, A_SIZE0, A_ANY),
	P(105, "strtol", R_INT, 0, A_MEM, A_SIZE, A_ANY, A_LONG),
	P(106, "strtoul", R_INT, 0, A_MEM, A_SIZE, A_ANY, A_LONG),
	P(107, "sk_storage_get", R_MAP_VALUE_OR_NULL, F_SK_STORAGE, A_MAP,
	  A_SOCK, A_VALUE_NULL, A_ANY),
	P(108, "sk_storage_delete", R_INT, F_SK_STORAGE, A_MAP, A_SOCK),
	P(118, "jiffies64", R_INT, 0, A_NONE),
	P(122, "get_netns_cookie", R_INT, 0, A_CTX_NULL),
	P(125, "ktime_get_boot_ns", R_INT, 0, A_NONE),
	P(130, "ringbuf_output", R_INT, F_RINGBUF, A_MAP, A_MEM, A_SIZE0,
	  A_ANY),
	P(131, "ringbuf_reserve", R_MEM_OR_NULL, F_RINGBUF, A_MAP,
	  A_ALLOC_SIZE, A_ANY),
	P(132, "ringbuf_submit", R_INT, F_RELEASE, A_ALLOC_MEM, A_ANY),
	P(133, "ringbuf_discard", R_INT, F_RELEASE, A_ALLOC_MEM, A_ANY),
	P(134, "ringbuf_query", R_INT, F_RINGBUF, A_MAP, A_ANY),
	P(160, "ktime_get_coarse_ns", R_INT, 0, A_NONE),
	P(208, "ktime_get_tai_ns", R_INT, 0, A_NONE),
	/* graft's own (include/graft/maps.h, GRAFT_HELPER_BASE) */
	P(0x10000, "graft_puts", R_INT, 0, A_MEM, A_SIZE0),
	P(0x10001, "graft_log_u64", R_INT, 0, A_MEM, A_SIZE0, A_ANY),
	P(0x10002, "graft_map_count", R_INT, 0, A_MAP),
};

const struct proto *vhelper_proto(int32_t id)
{
	for (size_t i = 0; i < sizeof protos / sizeof protos[0]; i++)
		if (protos[i].id == id)
			return &protos[i];
	return NULL;
}
