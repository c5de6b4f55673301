/*
 * reset-isr ADDR [--read-isr 0|1]: a virtio-rng raises its interrupt, the ISR is left
 * unread, and the device is reset (status 0). A device that keeps the interrupt pending
 * across the reset holds its INTx line up with nobody left to acknowledge it; on a line
 * shared with a disk Linux drives, the kernel takes interrupt after interrupt, gives the
 * line up ("nobody cared", "Disabling IRQ") and the disk limps on polled.
 *
 * While the interrupt is pending the function's INTx is switched off in its PCI command
 * register, so the line stays quiet until the reset has happened (otherwise the storm
 * starts at once and starves the tool before it can reset anything); PCI status bit 3
 * still shows the interrupt. INTx is switched back on after the reset: from then on, an
 * interrupt the device failed to withdraw reaches the line. With --read-isr 1 the ISR is
 * also read once after the reset and printed (it should read 0).
 */
#include "attack.h"

int attack_reset_isr(int argc, char **argv) {
	if (argc < 1) die("usage: reset-isr ADDR [--read-isr 0|1]");
	int read_isr = (int)option("--read-isr", 1);
	const char *addr = argv[0];
	struct vdev d;
	struct vq q;
	vdev_open(&d, addr);
	vdev_start(&d, 1ull << F_VERSION_1);
	vq_setup(&d, &q, 0, 16);
	vq_interrupts(&q, 1);
	vdev_driver_ok(&d);
	vdev_isr(&d); /* nothing should be pending yet; start clean */

	u32 command = pci_config_read(addr, PCI_COMMAND, 2);
	kv("intx_was_disabled", (command & PCI_COMMAND_INTX_DISABLE) != 0);
	pci_config_write(addr, PCI_COMMAND, 2, command | PCI_COMMAND_INTX_DISABLE);
	u32 buf = region_alloc(64, 64);
	desc_set(&q.desc[0], buf, 64, D_WRITE, 0);
	vq_publish(&q, 0);
	vq_kick(&q);
	kv("used", vq_wait(&q, 1, 5000));
	kv("intx_pending_before_reset", (pci_config_read(addr, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT) != 0);
	vdev_set_status(&d, 0);
	kv_hex("status_after_reset", vdev_status(&d));
	kv("intx_pending_after_reset", (pci_config_read(addr, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT) != 0);
	pci_config_write(addr, PCI_COMMAND, 2, command & ~PCI_COMMAND_INTX_DISABLE);
	/* Give a line left up time to be noticed before the tool reports. */
	sleep_ms(500);
	if (read_isr) kv("isr_after_reset", vdev_isr(&d));
	return 0;
}
