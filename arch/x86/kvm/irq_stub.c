// SPDX-License-Identifier: GPL-2.0
/*
 * TEMPORARY, until branch irqchip-core (arch/x86/kvm/irq.c) is merged:
 * the interrupt-line API of <kestrel/kvm_host.h> with no irqchip behind
 * it, so that the PIT (pit.c) links.  Delete this file at that merge.
 */
#include <kestrel/kvm_host.h>

bool kvm_arch_irqchip_in_kernel(struct kvm *kvm)
{
	return false;
}

int kvm_request_irq_source_id(struct kvm *kvm)
{
	return KVM_IRQFD_RESAMPLE_IRQ_SOURCE_ID + 1;
}

void kvm_free_irq_source_id(struct kvm *kvm, int irq_source_id)
{
}

int kvm_set_irq(struct kvm *kvm, int irq_source_id, u32 gsi, int level,
		bool line_status)
{
	return -1;
}

void kvm_register_irq_ack_notifier(struct kvm *kvm,
				   struct kvm_irq_ack_notifier *kian)
{
}

void kvm_unregister_irq_ack_notifier(struct kvm *kvm,
				     struct kvm_irq_ack_notifier *kian)
{
}
