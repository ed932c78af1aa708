/*
 * kernel/main.c — from the PVH entry to the application's main().
 *
 * Order matters: the serial log first (so every later failure is visible),
 * then the CPU tables, memory, time and threads, the command line, the
 * devices, and finally musl's __libc_start_main with a Linux-like initial
 * vector (argv, empty envp, auxv with a synthetic PT_TLS header).
 */
#include <elf.h>
#include <string.h>

#include "cmdline.h"
#include "kernel.h"

extern int main(int, char **, char **);
extern int __libc_start_main(int (*)(int, char **, char **), int, char **,
			     void (*)(void), void (*)(void), void (*)(void));
extern char __tdata_start[], __tdata_end[], __tls_memsz[], __tls_align[];

void devices_init(void);
void kmain(uint32_t start_info);

uint64_t boot_main_tsc; /* TSC when main() was about to be called */
static char cmdline_text[2048], cmdline_words[2048];
static struct cmdline cl;
static Elf64_Phdr tls_phdr;
static uint8_t at_random[16];
static uintptr_t initial_vector[CMDLINE_MAX_ARGS + 32];
static uint64_t early_tp[64]; /* stands in for musl's thread block until it makes one */

const char *kopt(const char *key)
{
	for (int i = 0; i < cl.nopts; i++)
		if (!strcmp(cl.opt_key[i], key))
			return cl.opt_val[i];
	return NULL;
}

static _Noreturn void start_app(void)
{
	static char *default_argv[] = { "app", NULL };
	char **argv = cl.argc ? cl.argv : default_argv;
	int argc = cl.argc ? cl.argc : 1;
	size_t n = 0;
	for (int i = 0; i < argc; i++)
		initial_vector[n++] = (uintptr_t)argv[i];
	initial_vector[n++] = 0; /* end of argv */
	initial_vector[n++] = 0; /* empty environment */
	tls_phdr.p_type = PT_TLS;
	tls_phdr.p_vaddr = (uintptr_t)__tdata_start;
	tls_phdr.p_filesz = (uintptr_t)(__tdata_end - __tdata_start);
	tls_phdr.p_memsz = (uintptr_t)__tls_memsz;
	tls_phdr.p_align = (uintptr_t)__tls_align ? (uintptr_t)__tls_align : 1;
	if (random_fill(at_random, sizeof at_random, 0))
		kpanic("no random bytes for AT_RANDOM");
	uintptr_t aux[] = {
		AT_PHDR, (uintptr_t)&tls_phdr, AT_PHNUM, 1, AT_PHENT, sizeof tls_phdr,
		AT_PAGESZ, PAGE_SIZE, AT_RANDOM, (uintptr_t)at_random,
		AT_EXECFN, (uintptr_t)argv[0], AT_NULL, 0,
	};
	memcpy(&initial_vector[n], aux, sizeof aux);
	boot_main_tsc = rdtsc();
	__libc_start_main(main, argc, (char **)initial_vector, 0, 0, 0);
	kpanic("__libc_start_main returned");
}

void kmain(uint32_t start_info)
{
	boot_tsc = rdtsc();
	early_tp[0] = (uint64_t)early_tp;
	wrmsr(0xc0000100, (uint64_t)early_tp); /* FS base */
	serial_init();
	uint64_t t_serial = rdtsc();
	pvh_parse(start_info);
	strncpy(cmdline_text, boot.cmdline, sizeof cmdline_text - 1);
	cpu_init();
	uint64_t t_cpu = rdtsc();
	mm_init();
	uint64_t t_mm = rdtsc();
	lapic_init();
	time_init();
	uint64_t t_time = rdtsc();
	sched_init();
	irq_enable();
	char err[128];
	if (strlen(boot.cmdline) >= sizeof cmdline_text) { /* never cut it silently */
		kprintf("graft: kernel command line: %zu bytes, at most %zu\n", strlen(boot.cmdline),
			sizeof cmdline_text - 1);
		kexit(KEXIT_CMDLINE);
	}
	if (cmdline_parse(cmdline_text, cmdline_words, sizeof cmdline_words, &cl, err, sizeof err)) {
		kprintf("graft: %s\n", err);
		kexit(KEXIT_CMDLINE);
	}
	if (kopt("debug"))
		kprintf("graft: boot phases (TSC ticks): serial %lu, cpu %lu, mm %lu, time %lu\n",
			t_serial - boot_tsc, t_cpu - t_serial, t_mm - t_cpu, t_time - t_mm);
	if (kopt("debug"))
		kprintf("graft: %lu MiB RAM, %lu free pages, TSC %lu MHz, cmdline '%s'\n",
			boot.ram_top >> 20, mm_pages_free(), tsc_hz() / 1000000, cmdline_text);
	vfs_init();
	devices_init();
	start_app();
}
