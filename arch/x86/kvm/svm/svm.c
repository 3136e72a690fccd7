// SPDX-License-Identifier: GPL-2.0
/*
 * AMD SVM backend.
 *
 * Section numbers refer to the AMD64 Architecture Programmer's Manual,
 * Volume 2: System Programming (APM), chapter 15 "Secure Virtual Machine".
 */
#define pr_fmt(fmt) "kestrel: " fmt

#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/printk.h>
#include <asm/cpufeature.h>
#include <asm/io.h>
#include <asm/msr.h>
#include <asm/pgtable.h>
#include <asm/svm.h>

#include "../x86.h"

/* CPUID Fn8000_000A: SVM revision (EAX), number of ASIDs (EBX), features. */
#define SVM_CPUID_LEAF 0x8000000a

struct svm_cpu_data {
	/*
	 * Host save area: VMRUN stores host state in the 4 KiB page that
	 * VM_HSAVE_PA points at (APM 15.30.4 "VM_HSAVE_PA MSR").
	 */
	struct page *hsave;
};

static DEFINE_PER_CPU(struct svm_cpu_data, svm_cpu_data);

static unsigned int svm_nr_asids;

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

/*
 * APM 15.4 "Enabling SVM": with VM_CR.SVMDIS set, setting EFER.SVME faults.
 * VM_CR.LOCK (reported by CPUID Fn8000_000A_EDX[SVML]) means only firmware
 * can change it; otherwise it is unlocked with the SVM key (APM 15.31),
 * which nothing uses.
 */
static int svm_check_firmware_enabled(void)
{
	u64 vm_cr;

	if (rdmsrl_safe(MSR_VM_CR, &vm_cr))
		return 0;
	if (!(vm_cr & SVM_VM_CR_SVM_DIS_MASK))
		return 0;
	if (vm_cr & SVM_VM_CR_SVM_LOCK_MASK)
		pr_err("SVM is disabled by firmware (VM_CR.SVMDIS set and locked): enable SVM/AMD-V in the BIOS setup\n");
	else
		pr_err("SVM is disabled (VM_CR.SVMDIS set, unlockable only with the SVM key)\n");
	return -EOPNOTSUPP;
}

static void svm_free_cpu_data(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct svm_cpu_data *sd = per_cpu_ptr(&svm_cpu_data, cpu);

		if (sd->hsave)
			__free_page(sd->hsave);
		sd->hsave = NULL;
	}
}

static int svm_alloc_cpu_data(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct svm_cpu_data *sd = per_cpu_ptr(&svm_cpu_data, cpu);

		sd->hsave = alloc_pages_node(cpu_to_node(cpu),
					     GFP_KERNEL | __GFP_ZERO, 0);
		if (!sd->hsave) {
			svm_free_cpu_data();
			return -ENOMEM;
		}
	}
	return 0;
}

static int svm_hardware_setup(void)
{
	int r;

	if (boot_cpu_data.extended_cpuid_level < SVM_CPUID_LEAF) {
		pr_err("SVM: CPUID leaf 8000_000Ah is missing\n");
		return -EOPNOTSUPP;
	}
	r = svm_check_firmware_enabled();
	if (r)
		return r;
	if (!boot_cpu_has(X86_FEATURE_NPT)) {
		pr_err("SVM without nested paging (CPUID 8000_000Ah:EDX[0] NP) is not supported yet: Kestrel has no shadow MMU\n");
		return -EOPNOTSUPP;
	}

	r = svm_alloc_cpu_data();
	if (r)
		return r;

	svm_nr_asids = cpuid_ebx(SVM_CPUID_LEAF);
	pr_info("SVM backend: NPT %d-level, %u ASIDs, NRIPS %s, decode assists %s, flush-by-ASID %s, VMCB clean bits %s, vGIF %s\n",
		pgtable_l5_enabled() ? 5 : 4, svm_nr_asids,
		yes_no(boot_cpu_has(X86_FEATURE_NRIPS)),
		yes_no(boot_cpu_has(X86_FEATURE_DECODEASSISTS)),
		yes_no(boot_cpu_has(X86_FEATURE_FLUSHBYASID)),
		yes_no(boot_cpu_has(X86_FEATURE_VMCBCLEAN)),
		yes_no(boot_cpu_has(X86_FEATURE_VGIF)));
	return 0;
}

static void svm_hardware_unsetup(void)
{
	svm_free_cpu_data();
}

static int svm_hardware_enable(void)
{
	struct svm_cpu_data *sd = this_cpu_ptr(&svm_cpu_data);
	int cpu = smp_processor_id();
	u64 efer;

	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME) {
		pr_err("SVM is already enabled on CPU %d (EFER.SVME set): another hypervisor owns it\n",
		       cpu);
		return -EBUSY;
	}
	/* APM 15.4: EFER.SVME faults if VM_CR.SVMDIS was set on this CPU. */
	if (wrmsrl_safe(MSR_EFER, efer | EFER_SVME)) {
		pr_err("cannot set EFER.SVME on CPU %d\n", cpu);
		return -EIO;
	}
	wrmsrl(MSR_VM_HSAVE_PA, page_to_phys(sd->hsave));
	return 0;
}

/*
 * GIF is always 1 outside the VMRUN path, so clearing EFER.SVME cannot leave
 * the CPU with interrupts globally blocked (APM 15.17 "Global Interrupt Flag").
 */
static void svm_hardware_disable(void)
{
	u64 efer;

	wrmsrl(MSR_VM_HSAVE_PA, 0);
	rdmsrl(MSR_EFER, efer);
	wrmsrl(MSR_EFER, efer & ~EFER_SVME);
}

const struct kvm_x86_ops svm_x86_ops = {
	.name			= "svm",
	.hardware_setup		= svm_hardware_setup,
	.hardware_unsetup	= svm_hardware_unsetup,
	.hardware_enable	= svm_hardware_enable,
	.hardware_disable	= svm_hardware_disable,
};
