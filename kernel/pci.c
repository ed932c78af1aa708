/*
 * kernel/pci.c — PCI configuration space through ports 0xcf8/0xcfc, and
 * finding the legacy virtio devices on bus 0. The firmware (SeaBIOS or
 * qboot) has assigned I/O BARs and interrupt lines; we turn on I/O decoding
 * and bus mastering. A device without an I/O BAR gets one from a window
 * the firmware leaves free.
 */
#include "kernel.h"
#include "virtio.h"

static uint32_t cfg_addr(unsigned bus, unsigned slot, unsigned func, unsigned off)
{
	return 0x80000000u | bus << 16 | slot << 11 | func << 8 | (off & 0xfc);
}

uint32_t pci_read32(unsigned bus, unsigned slot, unsigned func, unsigned off)
{
	outl(0xcf8, cfg_addr(bus, slot, func, off));
	return inl(0xcfc);
}

void pci_write32(unsigned bus, unsigned slot, unsigned func, unsigned off, uint32_t v)
{
	outl(0xcf8, cfg_addr(bus, slot, func, off));
	outl(0xcfc, v);
}

int pci_find_virtio(uint16_t device, unsigned nth, struct pci_dev *out)
{
	static uint16_t next_io = 0xe000;
	unsigned seen = 0;
	for (unsigned slot = 0; slot < 32; slot++) {
		uint32_t id = pci_read32(0, slot, 0, 0);
		if ((id & 0xffff) != 0x1af4 || (id >> 16) != device)
			continue;
		if (seen++ != nth)
			continue;
		out->slot = (uint8_t)slot;
		uint32_t bar = pci_read32(0, slot, 0, 0x10);
		if (!(bar & 1) || !(bar & ~3u)) {
			pci_write32(0, slot, 0, 0x10, next_io);
			bar = pci_read32(0, slot, 0, 0x10);
			next_io = (uint16_t)(next_io + 0x100);
		}
		out->iobase = (uint16_t)(bar & ~3u);
		out->irq = (uint8_t)pci_read32(0, slot, 0, 0x3c);
		/* Trust the chipset's routing over the line register (qboot fills
		 * it in differently): on i440fx/PIIX, INTx of slot s goes to
		 * PIRQ[(pin - 1 + s - 1) & 3], whose IRQ is in PIIX config 0x60. */
		unsigned pin = (pci_read32(0, slot, 0, 0x3c) >> 8) & 0xff;
		uint32_t piix = pci_read32(0, 1, 0, 0);
		if (pin >= 1 && pin <= 4 && (piix & 0xffff) == 0x8086) {
			uint8_t route = (uint8_t)(pci_read32(0, 1, 0, 0x60) >> (8 * ((pin - 1 + slot - 1) & 3)));
			if (!(route & 0x80) && route < 16)
				out->irq = route;
		}
		uint32_t cmd = pci_read32(0, slot, 0, 0x04);
		pci_write32(0, slot, 0, 0x04, (cmd & 0xffff) | 0x5); /* I/O space, bus master */
		return 0;
	}
	return -1;
}
