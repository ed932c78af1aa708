/* Pointers in data sections (R_BPF_64_ABS64 in .data): a table of
 * strings the loader patches with the strings' addresses. */
#include "xdp_common.h"

const char word_a[] = "alpha";
const char word_b[] = "beta!";
const char *words[2] = { word_a, word_b };

SEC("xdp")
int pointers(struct xdp_md *ctx)
{
	const char *w = words[PKT_LEN(ctx) & 1];
	char c = 0;
	bpf_probe_read_kernel(&c, 1, w + 4);
	return c;
}

char LICENSE[] SEC("license") = "GPL";
