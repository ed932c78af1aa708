/*
 * kernel/devices.c — bringing up the virtio devices QEMU gives us, and
 * their interrupt. Every virtio interrupt just acknowledges the device
 * (reading ISR) and flags work; the drivers' pollers, run by the scheduler,
 * then look at the used rings. A device whose interrupt line is unusable
 * is polled every millisecond instead.
 */
#include "kernel.h"
#include "virtio.h"

void vcon_init(void);
void net_init(void);
void p9_init(void);

extern volatile int irq_work;
extern uint64_t sched_poll_ns;

static uint16_t isr_ports[8];
static unsigned nisr;

uint64_t virtio_irqs; /* for net.debug */

static void virtio_irq(void *arg)
{
	(void)arg;
	virtio_irqs++;
	for (unsigned i = 0; i < nisr; i++)
		(void)inb(isr_ports[i]);
	irq_work = 1;
}

void devices_register_irq(struct pci_dev *d);
void devices_register_irq(struct pci_dev *d)
{
	if (kopt("debug"))
		kprintf("graft: virtio device at slot %u, I/O %#x, IRQ %u (pin %u, PIRQ routes %#x, ELCR %#x/%#x)\n",
			d->slot, d->iobase, d->irq, (pci_read32(0, d->slot, 0, 0x3c) >> 8) & 0xff,
			pci_read32(0, 1, 0, 0x60), inb(0x4d0), inb(0x4d1));
	if (nisr < ARRAY_LEN(isr_ports))
		isr_ports[nisr++] = (uint16_t)(d->iobase + VIO_ISR);
	if (d->irq == 0 || d->irq >= 16 || d->irq == 2) {
		sched_poll_ns = 1000000;
		return;
	}
	/* PCI interrupts are level-triggered and shared: on an edge-triggered
	 * 8259 input, a device raising the line while another still holds it
	 * makes no new edge, and with nobody reading its ISR the line stays
	 * up for good (only timer-driven polling left). The firmware marks
	 * the line level in the ELCR; QEMU's qboot and SeaBIOS both do, but
	 * we do not rely on it. */
	uint16_t elcr = d->irq < 8 ? 0x4d0 : 0x4d1;
	outb(elcr, (uint8_t)(inb(elcr) | (1u << (d->irq & 7))));
	irq_set_handler(d->irq, virtio_irq, 0);
}

void devices_init(void)
{
	vcon_init();
	net_init();
	p9_init();
}
