/*
 * kernel/pvh.c — what the PVH loader tells us: the command line and the
 * memory map (struct hvm_start_info, Xen's public arch-x86/hvm/start_info.h
 * layout). Without a map (start_info version 0) we ask the CMOS, as a
 * BIOS-less loader leaves it.
 */
#include "kernel.h"

#define HVM_START_MAGIC 0x336ec578u

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr;
	uint64_t memmap_paddr;
	uint32_t memmap_entries, reserved;
};

struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

struct boot_info boot;

static void add_ram(uint64_t base, uint64_t len)
{
	if (boot.nram >= ARRAY_LEN(boot.ram) || !len)
		return;
	boot.ram[boot.nram].base = base;
	boot.ram[boot.nram].len = len;
	boot.nram++;
	if (base + len > boot.ram_top)
		boot.ram_top = base + len;
}

static uint8_t cmos(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

void pvh_parse(uint32_t start_info)
{
	const struct hvm_start_info *si = (const void *)(uintptr_t)start_info;
	boot.cmdline = "";
	if (!si || si->magic != HVM_START_MAGIC)
		kpanic("not started through PVH (start_info magic %#x)", si ? si->magic : 0);
	if (si->cmdline_paddr)
		boot.cmdline = (const char *)(uintptr_t)si->cmdline_paddr;
	if (si->version >= 1 && si->memmap_paddr && si->memmap_entries) {
		const struct hvm_memmap_entry *e = (const void *)(uintptr_t)si->memmap_paddr;
		for (uint32_t i = 0; i < si->memmap_entries; i++)
			if (e[i].type == 1)
				add_ram(e[i].addr, e[i].size);
	} else {
		uint64_t ext = ((uint64_t)cmos(0x31) << 8 | cmos(0x30)) * 1024;
		uint64_t high = ((uint64_t)cmos(0x35) << 8 | cmos(0x34)) * 65536;
		add_ram(0, 0x9f000);
		if (high)
			add_ram(0x100000, 15 * 0x100000 + high);
		else
			add_ram(0x100000, ext);
	}
}
