/*
 * `graft disasm --jit FILE`: compile the program with the JIT (checked
 * mode, and unchecked with GRAFT_JIT_UNCHECKED=1) and list the machine
 * code with objdump, or as hex when objdump is missing. Helper calls are
 * bound to placeholders and pseudo lddw values to 0, so any valid program
 * can be listed; the code is not run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "graft/ebpf.h"

int disasm_jit(const char *path, const struct ebpf_insn *insns, size_t n);

static uint64_t placeholder(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
			    uint64_t e, struct ebpf_exec *x)
{
	(void)a, (void)b, (void)c, (void)d, (void)e, (void)x;
	return 0;
}

static enum graft_status zero_ld64(void *ud, const struct ebpf_insn pair[2],
				   uint64_t *value, struct graft_err *err)
{
	(void)ud, (void)pair, (void)err;
	*value = 0;
	return GRAFT_OK;
}

/* One placeholder per distinct helper ID the program calls. */
static struct ebpf_helper *helpers_for(const struct ebpf_insn *insns,
				       size_t n, size_t *count)
{
	struct ebpf_helper *h = calloc(n ? n : 1, sizeof *h);
	size_t k = 0;
	for (size_t i = 0; h && i < n; i++) {
		if (insns[i].code == 0x18) {
			i++;
			continue;
		}
		if (insns[i].code != 0x85 || insns[i].src != EBPF_CALL_HELPER)
			continue;
		uint32_t id = (uint32_t)insns[i].imm;
		size_t j = 0;
		while (j < k && h[j].id != id)
			j++;
		if (j == k)
			h[k++] = (struct ebpf_helper){ id, "placeholder", placeholder };
	}
	*count = k;
	return h;
}

static int dump(const uint8_t *code, size_t size)
{
	char tmp[] = "/tmp/graft-jit-XXXXXX";
	int fd = mkstemp(tmp);
	if (fd < 0 || write(fd, code, size) != (ssize_t)size) {
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		return cli_error("disasm: cannot write a temporary file");
	}
	close(fd);
	char cmd[256];
	snprintf(cmd, sizeof cmd,
		 "objdump -D -b binary -mi386:x86-64 %s 2>/dev/null | tail -n +8",
		 tmp);
	int rc = system(cmd);
	unlink(tmp);
	if (rc != 0) { /* no objdump: hex, 16 bytes a line */
		for (size_t i = 0; i < size; i += 16) {
			printf("%6zx:", i);
			for (size_t k = i; k < size && k < i + 16; k++)
				printf(" %02x", code[k]);
			putchar('\n');
		}
	}
	return EXIT_OK;
}

int disasm_jit(const char *path, const struct ebpf_insn *insns, size_t n)
{
	const char *u = getenv("GRAFT_JIT_UNCHECKED");
	bool unchecked = u && *u && strcmp(u, "0");
	size_t nh;
	struct ebpf_helper *h = helpers_for(insns, n, &nh);
	if (!h)
		return cli_error("disasm: out of memory");
	struct ebpf_load_opts o = {
		.helpers = h,
		.nhelpers = nh,
		.flags = EBPF_F_JIT | (unchecked ? EBPF_F_UNCHECKED : 0),
		.resolve_ld64 = zero_ld64,
		.alloc = cli_alloc(),
	};
	struct ebpf_prog *p;
	struct graft_err err = { 0 };
	enum graft_status st = ebpf_prog_load(&p, insns, n, &o, &err);
	free(h);
	if (st)
		return cli_error("disasm: %s: %s", path, err.msg);
	size_t size;
	const uint8_t *code = ebpf_prog_jit_code(p, &size);
	printf("; %s: %zu eBPF instructions -> %zu bytes of x86-64 (%s mode;"
	       " shared stubs first, then the entry)\n",
	       path, n, size, unchecked ? "unchecked" : "checked");
	fflush(stdout);
	int rc = dump(code, size);
	ebpf_prog_free(p);
	return rc;
}
