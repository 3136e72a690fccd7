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
#include <linux/kvm.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <asm/apic.h>
#include <asm/cpufeature.h>
#include <asm/debugreg.h>
#include <asm/desc_defs.h>
#include <asm/io.h>
#include <asm/irq_vectors.h>
#include <asm/msr.h>
#include <asm/pgtable.h>
#include <asm/svm.h>
#include <asm/traps.h>

#include "../cpuid.h"
#include "../kvmclock.h"
#include "../msr.h"
#include "../smm.h"
#include "../x86.h"

/* CPUID Fn8000_000A: SVM revision (EAX), number of ASIDs (EBX), features. */
#define SVM_CPUID_LEAF 0x8000000a

#define PAT_RESET		0x0007040600070406ULL

/* I/O and MSR permission maps: 12 KiB and 8 KiB (APM 15.10.1, 15.11). */
#define IOPM_ORDER	2
#define MSRPM_ORDER	1

struct svm_cpu_data {
	/*
	 * Host save area: VMRUN stores host state in the 4 KiB page that
	 * VM_HSAVE_PA points at (APM 15.30.4 "VM_HSAVE_PA MSR").
	 */
	struct page *hsave;
	/* The host's VMSAVE state (FS/GS/TR/LDTR, syscall MSRs), per entry. */
	struct page *host_vmsave;
	/* ASIDs are handed out per CPU; a new generation flushes them all. */
	u64 asid_generation;
	u32 next_asid;
};

static DEFINE_PER_CPU(struct svm_cpu_data, svm_cpu_data);

static unsigned int svm_nr_asids;
static struct page *svm_iopm, *svm_msrpm;

struct vcpu_svm {
	struct kvm_vcpu vcpu;
	struct vmcb *vmcb;
	unsigned long vmcb_pa;
	u32 asid;
	u64 asid_generation;
	int last_cpu;
	/*
	 * NMI blocking ends with the guest's IRET, which SVM does not report
	 * (before vNMI): the IRET intercept fires before it executes (APM
	 * 15.9), so NMIs stay masked until RIP has left the IRET, or until
	 * a single step over it traps.
	 */
	bool iret_seen;
	unsigned long iret_rip;
	bool window_step;		/* this entry: step for an NMI/IRQ window */
	bool window_stepped;		/* the last entry did */
	unsigned long window_step_dr6;	/* the guest's DR6 before the step */
};

static inline void clgi(void)
{
	asm volatile ("clgi" ::: "memory");
}

static inline void stgi(void)
{
	asm volatile ("stgi" ::: "memory");
}

static struct vcpu_svm *to_svm(struct kvm_vcpu *vcpu)
{
	return container_of(vcpu, struct vcpu_svm, vcpu);
}

void __svm_vcpu_run(unsigned long vmcb_pa, unsigned long *regs,
		    unsigned long host_vmsave_pa);

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
		if (sd->host_vmsave)
			__free_page(sd->host_vmsave);
		sd->hsave = NULL;
		sd->host_vmsave = NULL;
	}
}

static int svm_alloc_cpu_data(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct svm_cpu_data *sd = per_cpu_ptr(&svm_cpu_data, cpu);

		sd->hsave = alloc_pages_node(cpu_to_node(cpu),
					     GFP_KERNEL | __GFP_ZERO, 0);
		sd->host_vmsave = alloc_pages_node(cpu_to_node(cpu),
						   GFP_KERNEL | __GFP_ZERO, 0);
		if (!sd->hsave || !sd->host_vmsave) {
			svm_free_cpu_data();
			return -ENOMEM;
		}
	}
	return 0;
}

static void svm_hardware_unsetup(void)
{
	if (svm_iopm)
		__free_pages(svm_iopm, IOPM_ORDER);
	if (svm_msrpm)
		__free_pages(svm_msrpm, MSRPM_ORDER);
	svm_iopm = NULL;
	svm_msrpm = NULL;
	svm_free_cpu_data();
}

/*
 * kvm_amd's read-only parameters, with Kestrel's real values, for tools
 * that look there (the 6.1 selftests' kvm_is_tdp_enabled() reads "npt"):
 * the SVM backend always uses nested paging (it refuses to load without
 * it) and runs no nested guests.  Under /sys/module/kestrel/parameters;
 * the upstream test runner shows them as kvm_amd's.
 */
static bool npt = true;
module_param(npt, bool, 0444);
MODULE_PARM_DESC(npt, "nested paging (always on: no shadow MMU)");
static int nested;
module_param(nested, int, 0444);
MODULE_PARM_DESC(nested, "nested virtualization (0: not offered)");

/*
 * VMRUN loads the interrupt shadow from int_state (APM 15.21.5).  QEMU
 * TCG's does not (7.2, helper_vmrun: int_state is written on #VMEXIT and
 * never read), so a guest that exited between STI and the next instruction
 * takes the interrupt window's virtual interrupt before that instruction,
 * and then the real interrupt: "sti; hlt" halts with its wake-up spent
 * (stock KVM too: irq_blocking_test).  On such a host, an interrupt window
 * in a shadow steps over the shadowed instruction instead; TF is then
 * visible to that one instruction (PUSHF), as with the NMI window's step.
 */
static bool svm_vmrun_ignores_int_shadow __ro_after_init;

/*
 * QEMU TCG's VMRUN delivers an EVENTINJ interrupt (type 0) on the spot but
 * leaves its vector as the CPU's pending exception (7.2, helper_vmrun sets
 * cs->exception_index).  Until the next #VMEXIT replaces it, any return to
 * the CPU loop (the other vCPU's turn in single-threaded TCG, an I/O thread
 * request: accel/tcg/cpu-exec.c, cpu_handle_interrupt()) delivers that
 * vector again, whatever the guest's RFLAGS.IF: a Linux guest's timer
 * handler re-entered inside itself, spinning on its own lock (the -smp 2
 * QEMU boots, on stock KVM too).  On such a host, a host interrupt made
 * pending before VMRUN, with GIF clear, ends the guest's run at the first
 * point TCG checks for interrupts, which comes before that return; the
 * #VMEXIT then replaces the stale exception.  The guest has run nothing:
 * it takes the interrupt's handler at the next VMRUN.
 */
static bool svm_vmrun_repeats_intr __ro_after_init;

/* The hypervisor leaf (CPUID 4000_0000h) of QEMU's TCG accelerator. */
static void svm_detect_errata(void)
{
	u32 eax, sig[3];

	if (!boot_cpu_has(X86_FEATURE_HYPERVISOR))
		return;
	cpuid(0x40000000, &eax, &sig[0], &sig[1], &sig[2]);
	if (memcmp(sig, "TCGTCGTCGTCG", sizeof(sig)))
		return;
	svm_vmrun_ignores_int_shadow = true;
	svm_vmrun_repeats_intr = true;
	pr_info("SVM: QEMU TCG host: VMRUN ignores the interrupt shadow, interrupt windows in one are single-stepped\n");
	pr_info("SVM: QEMU TCG host: VMRUN may deliver an injected interrupt twice, each injection ends with a host interrupt\n");
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
	/* Every port and every MSR intercepted: all bits set. */
	svm_iopm = alloc_pages(GFP_KERNEL, IOPM_ORDER);
	svm_msrpm = alloc_pages(GFP_KERNEL, MSRPM_ORDER);
	if (!svm_iopm || !svm_msrpm) {
		svm_hardware_unsetup();
		return -ENOMEM;
	}
	memset(page_address(svm_iopm), 0xff, PAGE_SIZE << IOPM_ORDER);
	memset(page_address(svm_msrpm), 0xff, PAGE_SIZE << MSRPM_ORDER);

	svm_nr_asids = cpuid_ebx(SVM_CPUID_LEAF);
	svm_detect_errata();
	pr_info("SVM backend: NPT %d-level, %u ASIDs, NRIPS %s, decode assists %s, flush-by-ASID %s, VMCB clean bits %s, vGIF %s\n",
		pgtable_l5_enabled() ? 5 : 4, svm_nr_asids,
		yes_no(boot_cpu_has(X86_FEATURE_NRIPS)),
		yes_no(boot_cpu_has(X86_FEATURE_DECODEASSISTS)),
		yes_no(boot_cpu_has(X86_FEATURE_FLUSHBYASID)),
		yes_no(boot_cpu_has(X86_FEATURE_VMCBCLEAN)),
		yes_no(boot_cpu_has(X86_FEATURE_VGIF)));
	return 0;
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
	/* Start a fresh ASID generation: this CPU's TLB is unknown. */
	sd->asid_generation++;
	sd->next_asid = svm_nr_asids;
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

/*
 * vCPUs and the VMCB
 */

static void svm_set_intercept(struct vmcb_control_area *c, int bit)
{
	__set_bit(bit, (unsigned long *)c->intercepts);
}

static void svm_init_seg(struct vmcb_seg *seg, u16 attrib)
{
	seg->selector = 0;
	seg->attrib = SVM_SELECTOR_P_MASK | attrib;
	seg->limit = 0xffff;
	seg->base = 0;
}

/* The guest state after RESET (APM vol. 2, 14.1.3, table 14-1). */
static void svm_init_save_area(struct vmcb_save_area *save)
{
	svm_init_seg(&save->es, SVM_SELECTOR_S_MASK | SVM_SELECTOR_WRITE_MASK);
	save->ds = save->es;
	save->ss = save->es;
	save->fs = save->es;
	save->gs = save->es;
	svm_init_seg(&save->cs, SVM_SELECTOR_S_MASK | SVM_SELECTOR_CODE_MASK |
		     SVM_SELECTOR_READ_MASK);
	save->cs.selector = 0xf000;
	save->cs.base = 0xffff0000;
	svm_init_seg(&save->ldtr, DESC_LDT);
	svm_init_seg(&save->tr, DESC_TSS | 2);		/* busy 32-bit TSS */
	save->gdtr.limit = 0xffff;
	save->idtr.limit = 0xffff;
	save->dr6 = DR6_RESET;
	save->dr7 = DR7_RESET;
	save->g_pat = PAT_RESET;
	save->cpl = 0;
}

/*
 * What the guest may not do without us: everything that would reach the
 * host (I/O, MSRs, SVM instructions, cache flushes, XCR0, debug registers
 * that VMRUN does not switch), CR4 (its bits follow the guest's CPUID),
 * and the exceptions that could otherwise loop forever inside the CPU
 * (#DB, #AC: CVE-2015-8104, CVE-2015-5307).
 */
static void svm_init_control(struct vcpu_svm *svm)
{
	struct vmcb_control_area *c = &svm->vmcb->control;
	static const int intercepts[] = {
		INTERCEPT_CR4_WRITE,
		INTERCEPT_DR0_READ, INTERCEPT_DR1_READ, INTERCEPT_DR2_READ,
		INTERCEPT_DR3_READ, INTERCEPT_DR0_WRITE, INTERCEPT_DR1_WRITE,
		INTERCEPT_DR2_WRITE, INTERCEPT_DR3_WRITE,
		INTERCEPT_DR5_WRITE, INTERCEPT_DR7_WRITE,
		INTERCEPT_EXCEPTION_OFFSET + X86_TRAP_DB,
		INTERCEPT_EXCEPTION_OFFSET + X86_TRAP_UD,
		INTERCEPT_EXCEPTION_OFFSET + X86_TRAP_AC,
		INTERCEPT_EXCEPTION_OFFSET + X86_TRAP_MC,
		INTERCEPT_INTR, INTERCEPT_NMI, INTERCEPT_SMI, INTERCEPT_CPUID,
		INTERCEPT_INVD, INTERCEPT_HLT, INTERCEPT_INVLPGA,
		INTERCEPT_IOIO_PROT, INTERCEPT_MSR_PROT, INTERCEPT_TASK_SWITCH,
		INTERCEPT_SHUTDOWN, INTERCEPT_RDPMC, INTERCEPT_VMRUN,
		INTERCEPT_VMMCALL, INTERCEPT_VMLOAD, INTERCEPT_VMSAVE,
		INTERCEPT_STGI, INTERCEPT_CLGI, INTERCEPT_SKINIT,
		INTERCEPT_WBINVD, INTERCEPT_MONITOR, INTERCEPT_MWAIT,
		INTERCEPT_XSETBV, INTERCEPT_RDPRU, INTERCEPT_RSM,
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(intercepts); i++)
		svm_set_intercept(c, intercepts[i]);
	c->iopm_base_pa = page_to_phys(svm_iopm);
	c->msrpm_base_pa = page_to_phys(svm_msrpm);
	/* Guest RFLAGS.IF masks only virtual interrupts (APM 15.21.1). */
	c->int_ctl = V_INTR_MASKING_MASK;
	c->nested_ctl = SVM_NESTED_CTL_NP_ENABLE;
	c->nested_cr3 = kvm_mmu_root_hpa(&svm->vcpu);
}

static void svm_init_vmcb(struct vcpu_svm *svm)
{
	clear_page(svm->vmcb);
	svm_init_control(svm);
	svm_init_save_area(&svm->vmcb->save);
}

static struct kvm_vcpu *svm_vcpu_alloc(void)
{
	struct vcpu_svm *svm = kzalloc(sizeof(*svm), GFP_KERNEL_ACCOUNT);

	return svm ? &svm->vcpu : NULL;
}

static void svm_vcpu_free(struct kvm_vcpu *vcpu)
{
	kfree(to_svm(vcpu));
}

static int svm_vcpu_create(struct kvm_vcpu *vcpu)
{
	struct vcpu_svm *svm = to_svm(vcpu);
	struct page *page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);

	if (!page)
		return -ENOMEM;
	svm->vmcb = page_address(page);
	svm->vmcb_pa = page_to_phys(page);
	svm->last_cpu = -1;
	svm_init_vmcb(svm);
	return 0;
}

/* The VMCB only: svm_vcpu_free() frees the vCPU itself, last. */
static void svm_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	free_page((unsigned long)to_svm(vcpu)->vmcb);
}

/* ASIDs are picked at entry, with interrupts off; nothing to do here. */
static void svm_vcpu_load(struct kvm_vcpu *vcpu, int cpu)
{
}

static void svm_vcpu_put(struct kvm_vcpu *vcpu)
{
}

static struct vmcb_seg *svm_seg(struct vcpu_svm *svm, int seg)
{
	struct vmcb_save_area *save = &svm->vmcb->save;

	switch (seg) {
	case VCPU_SREG_CS: return &save->cs;
	case VCPU_SREG_DS: return &save->ds;
	case VCPU_SREG_ES: return &save->es;
	case VCPU_SREG_FS: return &save->fs;
	case VCPU_SREG_GS: return &save->gs;
	case VCPU_SREG_SS: return &save->ss;
	case VCPU_SREG_TR: return &save->tr;
	default: return &save->ldtr;
	}
}

/* The VMCB keeps descriptor attributes packed (APM 15.5.1, figure 15-4). */
static void svm_get_segment(struct kvm_vcpu *vcpu, struct kvm_segment *var,
			    int seg)
{
	struct vmcb_seg *s = svm_seg(to_svm(vcpu), seg);

	memset(var, 0, sizeof(*var));
	var->base = s->base;
	var->limit = s->limit;
	var->selector = s->selector;
	var->type = s->attrib & SVM_SELECTOR_TYPE_MASK;
	var->s = !!(s->attrib & SVM_SELECTOR_S_MASK);
	var->dpl = (s->attrib >> SVM_SELECTOR_DPL_SHIFT) & 3;
	var->present = !!(s->attrib & SVM_SELECTOR_P_MASK);
	var->avl = !!(s->attrib & SVM_SELECTOR_AVL_MASK);
	var->l = !!(s->attrib & SVM_SELECTOR_L_MASK);
	var->db = !!(s->attrib & SVM_SELECTOR_DB_MASK);
	var->g = !!(s->attrib & SVM_SELECTOR_G_MASK);
	var->unusable = !var->present;
}

static void svm_set_segment(struct kvm_vcpu *vcpu,
			    const struct kvm_segment *var, int seg)
{
	struct vcpu_svm *svm = to_svm(vcpu);
	struct vmcb_seg *s = svm_seg(svm, seg);

	s->base = var->base;
	s->limit = var->limit;
	s->selector = var->selector;
	s->attrib = 0;
	if (!var->unusable)
		s->attrib = (var->type & SVM_SELECTOR_TYPE_MASK) |
			    (var->s << SVM_SELECTOR_S_SHIFT) |
			    ((var->dpl & 3) << SVM_SELECTOR_DPL_SHIFT) |
			    (var->present << SVM_SELECTOR_P_SHIFT) |
			    (var->avl << SVM_SELECTOR_AVL_SHIFT) |
			    (var->l << SVM_SELECTOR_L_SHIFT) |
			    (var->db << SVM_SELECTOR_DB_SHIFT) |
			    (var->g << SVM_SELECTOR_G_SHIFT);
	/* The VMCB's CPL field is the guest's CPL: SS.DPL (APM 15.5.1). */
	if (seg == VCPU_SREG_SS)
		svm->vmcb->save.cpl = var->dpl & 3;
}

static void svm_get_dtable(struct kvm_vcpu *vcpu, struct kvm_dtable *dt,
			   bool idt)
{
	struct vmcb_save_area *save = &to_svm(vcpu)->vmcb->save;
	struct vmcb_seg *s = idt ? &save->idtr : &save->gdtr;

	memset(dt, 0, sizeof(*dt));
	dt->base = s->base;
	dt->limit = s->limit;
}

static void svm_set_dtable(struct kvm_vcpu *vcpu, const struct kvm_dtable *dt,
			   bool idt)
{
	struct vmcb_save_area *save = &to_svm(vcpu)->vmcb->save;
	struct vmcb_seg *s = idt ? &save->idtr : &save->gdtr;

	s->base = dt->base;
	s->limit = dt->limit;
}

/* Where the VMCB keeps an MSR's guest value (APM 15.5.2, 15.25.8). */
static u64 *svm_msr_slot(struct vcpu_svm *svm, u32 index)
{
	struct vmcb_save_area *save = &svm->vmcb->save;

	switch (index) {
	case MSR_STAR:			return &save->star;
	case MSR_LSTAR:			return &save->lstar;
	case MSR_CSTAR:			return &save->cstar;
	case MSR_SYSCALL_MASK:		return &save->sfmask;
	case MSR_KERNEL_GS_BASE:	return &save->kernel_gs_base;
	case MSR_IA32_SYSENTER_CS:	return &save->sysenter_cs;
	case MSR_IA32_SYSENTER_ESP:	return &save->sysenter_esp;
	case MSR_IA32_SYSENTER_EIP:	return &save->sysenter_eip;
	case MSR_FS_BASE:		return &save->fs.base;
	case MSR_GS_BASE:		return &save->gs.base;
	case MSR_IA32_CR_PAT:		return &save->g_pat;
	default:			return NULL;
	}
}

static int svm_get_msr(struct kvm_vcpu *vcpu, u32 index, u64 *data)
{
	u64 *slot = svm_msr_slot(to_svm(vcpu), index);

	if (!slot)
		return 1;
	*data = *slot;
	return 0;
}

static int svm_set_msr(struct kvm_vcpu *vcpu, u32 index, u64 data)
{
	u64 *slot = svm_msr_slot(to_svm(vcpu), index);

	if (!slot)
		return 1;
	*slot = data;
	return 0;
}

static u32 svm_get_interrupt_shadow(struct kvm_vcpu *vcpu)
{
	if (to_svm(vcpu)->vmcb->control.int_state & SVM_INTERRUPT_SHADOW_MASK)
		return KVM_X86_SHADOW_INT_STI | KVM_X86_SHADOW_INT_MOV_SS;
	return 0;
}

static void svm_set_interrupt_shadow(struct kvm_vcpu *vcpu, u32 mask)
{
	struct vmcb_control_area *c = &to_svm(vcpu)->vmcb->control;

	if (mask)
		c->int_state |= SVM_INTERRUPT_SHADOW_MASK;
	else
		c->int_state &= ~SVM_INTERRUPT_SHADOW_MASK;
}

/* With V_INTR_MASKING the guest's CR8 is V_TPR (APM 15.21.1). */
static u64 svm_get_cr8(struct kvm_vcpu *vcpu)
{
	return to_svm(vcpu)->vmcb->control.int_ctl & V_TPR_MASK;
}

static void svm_set_cr8(struct kvm_vcpu *vcpu, u64 cr8)
{
	struct vmcb_control_area *c = &to_svm(vcpu)->vmcb->control;

	c->int_ctl = (c->int_ctl & ~V_TPR_MASK) | (cr8 & V_TPR_MASK);
}

/*
 * The interrupt window: a virtual interrupt the guest takes as soon as it
 * can take any (highest priority, TPR ignored), intercepted (APM 15.21.4).
 * In an interrupt shadow on a host whose VMRUN ignores it: a single step
 * over the shadowed instruction (svm_vmrun_ignores_int_shadow).
 */
static void svm_enable_irq_window(struct kvm_vcpu *vcpu, bool enable)
{
	struct vcpu_svm *svm = to_svm(vcpu);
	struct vmcb_control_area *c = &svm->vmcb->control;
	u32 vintr = V_IRQ_MASK | V_IGN_TPR_MASK | (0xf << V_INTR_PRIO_SHIFT);

	if (enable && svm_vmrun_ignores_int_shadow &&
	    (c->int_state & SVM_INTERRUPT_SHADOW_MASK)) {
		svm->window_step = true;
		enable = false;
	}
	if (enable) {
		c->int_ctl |= vintr;
		svm_set_intercept(c, INTERCEPT_VINTR);
	} else {
		c->int_ctl &= ~vintr;
		__clear_bit(INTERCEPT_VINTR, (unsigned long *)c->intercepts);
	}
}

static void svm_set_cr8_intercept(struct kvm_vcpu *vcpu, bool enable)
{
	struct vmcb_control_area *c = &to_svm(vcpu)->vmcb->control;

	if (enable)
		svm_set_intercept(c, INTERCEPT_CR8_WRITE);
	else
		__clear_bit(INTERCEPT_CR8_WRITE, (unsigned long *)c->intercepts);
}

static void svm_write_tsc_offset(struct kvm_vcpu *vcpu, u64 offset)
{
	to_svm(vcpu)->vmcb->control.tsc_offset = offset;
}

/*
 * Entry and exit
 */

static void svm_new_asid(struct vcpu_svm *svm, struct svm_cpu_data *sd)
{
	if (sd->next_asid >= svm_nr_asids) {
		sd->asid_generation++;
		sd->next_asid = 1;	/* ASID 0 is the host's */
		svm->vmcb->control.tlb_ctl = TLB_CONTROL_FLUSH_ALL_ASID;
	}
	svm->asid = sd->next_asid++;
	svm->asid_generation = sd->asid_generation;
}

static void svm_load_guest_regs(struct vcpu_svm *svm)
{
	struct kvm_vcpu_arch *a = &svm->vcpu.arch;
	struct vmcb_save_area *save = &svm->vmcb->save;

	save->rax = a->regs[VCPU_REGS_RAX];
	save->rsp = a->regs[VCPU_REGS_RSP];
	save->rip = a->rip;
	save->rflags = a->rflags;
	/* Stepping for the debugger or a window: a TF the guest does not see. */
	a->singlestep_tf = ((a->guest_debug & KVM_GUESTDBG_SINGLESTEP) ||
			    svm->window_step) && !(a->rflags & X86_EFLAGS_TF);
	svm->window_step_dr6 = a->dr6;
	if (a->singlestep_tf)
		save->rflags |= X86_EFLAGS_TF;
	save->cr0 = a->cr0;
	save->cr2 = a->cr2;
	save->cr3 = a->cr3;
	save->cr4 = a->cr4;
	/* VMRUN refuses a guest without EFER.SVME (APM 15.5.1). */
	save->efer = a->efer | EFER_SVME;
	save->dr6 = a->dr6;
	save->dr7 = (a->guest_debug & KVM_GUESTDBG_USE_HW_BP) ?
		    a->guest_debug_dr7 : a->dr7;
}

static void svm_save_guest_regs(struct vcpu_svm *svm)
{
	struct kvm_vcpu_arch *a = &svm->vcpu.arch;
	struct vmcb_save_area *save = &svm->vmcb->save;

	a->regs[VCPU_REGS_RAX] = save->rax;
	a->regs[VCPU_REGS_RSP] = save->rsp;
	a->rip = save->rip;
	a->rflags = save->rflags;
	if (a->singlestep_tf)
		a->rflags &= ~X86_EFLAGS_TF;
	a->cr0 = save->cr0;
	a->cr2 = save->cr2;
	a->cr3 = save->cr3;
	a->cr4 = save->cr4;
	a->efer = save->efer & ~EFER_SVME;
	a->dr6 = save->dr6;
	/* While the debugger's DR7 is in use, the guest's stays aside. */
	if (!(a->guest_debug & KVM_GUESTDBG_USE_HW_BP))
		a->dr7 = save->dr7;
}

/*
 * Event injection through EVENTINJ (APM 15.20), of the event x86.c chose.
 * Injection ignores RFLAGS.IF and the interrupt shadow: x86.c checks what
 * it must, and a VMM using KVM_INTERRUPT injects only when the guest is
 * ready.  A #BP/#OF goes as type 3 ("exception") with RIP already past
 * its instruction: type 4 would need NRIP save (APM 15.20).
 */
static void svm_inject_exception(struct kvm_vcpu *vcpu)
{
	struct kvm_queued_exception *e = &vcpu->arch.exception;
	struct vmcb_control_area *c = &to_svm(vcpu)->vmcb->control;

	c->event_inj = e->vector | SVM_EVTINJ_TYPE_EXEPT |
		       (e->has_error_code ? SVM_EVTINJ_VALID_ERR : 0) |
		       SVM_EVTINJ_VALID;
	c->event_inj_err = e->error_code;
}

static void svm_inject_nmi(struct kvm_vcpu *vcpu)
{
	struct vmcb_control_area *c = &to_svm(vcpu)->vmcb->control;

	c->event_inj = NMI_VECTOR | SVM_EVTINJ_TYPE_NMI | SVM_EVTINJ_VALID;
}

static void svm_inject_irq(struct kvm_vcpu *vcpu)
{
	struct vmcb_control_area *c = &to_svm(vcpu)->vmcb->control;

	c->event_inj = vcpu->arch.interrupt.nr | SVM_EVTINJ_TYPE_INTR |
		       SVM_EVTINJ_VALID;
	vcpu->arch.stat.irq_injections++;
}

/* While NMIs are masked and the IRET is still ahead, intercept it. */
static void svm_update_iret_intercept(struct vcpu_svm *svm)
{
	struct vmcb_control_area *c = &svm->vmcb->control;

	if (!svm->vcpu.arch.nmi_masked)
		svm->iret_seen = false;
	if (svm->vcpu.arch.nmi_masked && !svm->iret_seen)
		svm_set_intercept(c, INTERCEPT_IRET);
	else
		__clear_bit(INTERCEPT_IRET, (unsigned long *)c->intercepts);
}

/*
 * A pending NMI the guest cannot take yet.  Masked with the IRET ahead:
 * its intercept will tell.  Past the intercept, or in an interrupt
 * shadow: step one instruction, as KVM does; TF set before an IRET traps
 * after it even though the IRET clears TF (SDM vol. 3B, 18.3.1.4).
 */
static void svm_enable_nmi_window(struct kvm_vcpu *vcpu)
{
	struct vcpu_svm *svm = to_svm(vcpu);

	if (vcpu->arch.nmi_masked && !svm->iret_seen)
		return;
	svm->window_step = true;
}

static void svm_set_nmi_mask(struct kvm_vcpu *vcpu, bool masked)
{
	to_svm(vcpu)->iret_seen = false;
}

/*
 * The other half of svm_vmrun_ignores_int_shadow: entered in a shadow, a
 * guest that exits at the same RIP (a host interrupt taken at once, the
 * shadowed instruction's own fault) has not left it, whatever int_state
 * says.  The single step's #DB proves the contrary (svm_exit_db), and an
 * intercepted instruction that completes clears it as it moves RIP.
 */
static void svm_keep_int_shadow(struct vcpu_svm *svm, bool shadow,
				unsigned long rip)
{
	if (svm_vmrun_ignores_int_shadow && shadow && svm->vcpu.arch.rip == rip)
		svm->vmcb->control.int_state |= SVM_INTERRUPT_SHADOW_MASK;
}

/*
 * With svm_vmrun_repeats_intr, an interrupt injection is followed by an
 * INTR #VMEXIT: a self-IPI on KVM's posted-interrupt vector, whose host
 * handler only acknowledges it.  GIF is clear, so it waits for the VMRUN.
 */
static void svm_stop_repeated_intr(struct vmcb_control_area *c)
{
	u32 type = c->event_inj & SVM_EVTINJ_TYPE_MASK;

	if (svm_vmrun_repeats_intr && (c->event_inj & SVM_EVTINJ_VALID) &&
	    type == SVM_EVTINJ_TYPE_INTR)
		apic->send_IPI_self(POSTED_INTR_VECTOR);
}

static void svm_vcpu_run(struct kvm_vcpu *vcpu, bool flush_tlb)
{
	struct svm_cpu_data *sd = this_cpu_ptr(&svm_cpu_data);
	struct vcpu_svm *svm = to_svm(vcpu);
	struct vmcb_control_area *c = &svm->vmcb->control;
	int cpu = smp_processor_id();
	unsigned long rip;
	bool shadow;

	if (svm->last_cpu != cpu || svm->asid_generation != sd->asid_generation)
		svm_new_asid(svm, sd);
	svm->last_cpu = cpu;
	c->asid = svm->asid;
	/*
	 * The root of the vCPU's memslot address space (SMM has its own);
	 * x86.c flushes the TLB when the vCPU moves between them.
	 */
	c->nested_cr3 = kvm_mmu_root_hpa(vcpu);
	/* No flush-by-ASID in every CPU: flushing all is always right. */
	if (flush_tlb)
		c->tlb_ctl = TLB_CONTROL_FLUSH_ALL_ASID;
	svm_update_iret_intercept(svm);
	svm_load_guest_regs(svm);
	c->clean = 0;
	shadow = c->int_state & SVM_INTERRUPT_SHADOW_MASK;
	rip = vcpu->arch.rip;

	clgi();
	svm_stop_repeated_intr(c);
	kvm_load_guest_xsave_state(vcpu);
	/* RFLAGS.IF for VMRUN is set in __svm_vcpu_run(), see there. */
	__svm_vcpu_run(svm->vmcb_pa, vcpu->arch.regs,
		       page_to_phys(sd->host_vmsave));
	kvm_load_host_xsave_state(vcpu);
	stgi();

	c->tlb_ctl = TLB_CONTROL_DO_NOTHING;
	svm_save_guest_regs(svm);
	svm->window_stepped = svm->window_step;
	svm->window_step = false;
	svm_keep_int_shadow(svm, shadow, rip);
}

/* Move past the intercepted instruction: NRIP if the CPU saves it. */
static int svm_skip_emulated_instruction(struct kvm_vcpu *vcpu)
{
	struct vcpu_svm *svm = to_svm(vcpu);
	u64 next_rip = svm->vmcb->control.next_rip;

	if (boot_cpu_has(X86_FEATURE_NRIPS) && next_rip) {
		vcpu->arch.rip = next_rip;
	} else {
		int len = kvm_guest_insn_len(vcpu);

		if (len < 0)
			return kvm_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION,
						  vcpu->arch.rip, 0);
		vcpu->arch.rip += len;
	}
	svm->vmcb->control.int_state &= ~SVM_INTERRUPT_SHADOW_MASK;
	return 1;
}

static int svm_exit_ignore(struct vcpu_svm *svm)
{
	return 1;
}

static int svm_exit_skip(struct vcpu_svm *svm)
{
	return svm_skip_emulated_instruction(&svm->vcpu);
}

static int svm_exit_ud(struct vcpu_svm *svm)
{
	kvm_queue_exception(&svm->vcpu, X86_TRAP_UD);
	return 1;
}

/* A #UD the guest raised itself (intercepted for VMCALL, see exits.c). */
static int svm_exit_ud_exception(struct vcpu_svm *svm)
{
	return kvm_emulate_ud(&svm->vcpu);
}

static int svm_exit_gp(struct vcpu_svm *svm)
{
	kvm_queue_exception_e(&svm->vcpu, X86_TRAP_GP, 0);
	return 1;
}

/*
 * #DB: for the debugger when it single-steps or set breakpoints, else
 * reflected into the guest (intercepted so that it cannot loop in the CPU).
 */
static int svm_exit_db(struct vcpu_svm *svm)
{
	struct kvm_vcpu *vcpu = &svm->vcpu;
	struct vmcb_save_area *save = &svm->vmcb->save;

	if (vcpu->arch.guest_debug &
	    (KVM_GUESTDBG_SINGLESTEP | KVM_GUESTDBG_USE_HW_BP))
		return kvm_debug_exit(vcpu, X86_TRAP_DB, save->dr6, save->dr7);
	/* The NMI window's step, with a TF of our own: not the guest's. */
	if (svm->window_stepped && vcpu->arch.singlestep_tf &&
	    !(save->dr6 & DR_TRAP_BITS)) {
		vcpu->arch.dr6 = svm->window_step_dr6;
		/* The stepped instruction completed: no shadow left. */
		svm->vmcb->control.int_state &= ~SVM_INTERRUPT_SHADOW_MASK;
		return 1;
	}
	kvm_queue_exception(vcpu, X86_TRAP_DB);
	return 1;
}

/* #BP, intercepted only for the debugger's software breakpoints. */
static int svm_exit_bp(struct vcpu_svm *svm)
{
	struct vmcb_save_area *save = &svm->vmcb->save;

	return kvm_debug_exit(&svm->vcpu, X86_TRAP_BP, save->dr6, save->dr7);
}

static void svm_update_guest_debug(struct kvm_vcpu *vcpu)
{
	struct vmcb_control_area *c = &to_svm(vcpu)->vmcb->control;
	int bp = INTERCEPT_EXCEPTION_OFFSET + X86_TRAP_BP;

	if (vcpu->arch.guest_debug & KVM_GUESTDBG_USE_SW_BP)
		svm_set_intercept(c, bp);
	else
		__clear_bit(bp, (unsigned long *)c->intercepts);
}

static int svm_exit_ac(struct vcpu_svm *svm)
{
	kvm_queue_exception_e(&svm->vcpu, X86_TRAP_AC, 0);
	return 1;
}

/* A machine check in the guest belongs to the host's handler. */
static int svm_exit_mc(struct vcpu_svm *svm)
{
	asm volatile ("int $0x12");
	return 1;
}

/*
 * The guest is about to IRET with NMIs masked: let it (APM 15.9, the
 * intercept comes before the instruction), and consider NMIs unmasked
 * once it has executed, see svm_complete_nmi_iret().
 */
static int svm_exit_iret(struct vcpu_svm *svm)
{
	__clear_bit(INTERCEPT_IRET,
		    (unsigned long *)svm->vmcb->control.intercepts);
	svm->iret_seen = true;
	svm->iret_rip = svm->vcpu.arch.rip;
	return 1;
}

/* The window opened: the run loop decides what to tell userspace. */
static int svm_exit_vintr(struct vcpu_svm *svm)
{
	svm_enable_irq_window(&svm->vcpu, false);
	return 1;
}

static int svm_exit_cpuid(struct vcpu_svm *svm)
{
	return kvm_emulate_cpuid(&svm->vcpu);
}

static int svm_exit_hlt(struct vcpu_svm *svm)
{
	return kvm_emulate_halt(&svm->vcpu);
}

/* EXITINFO1 of an IOIO intercept (APM 15.10.2, figure 15-2). */
static int svm_exit_ioio(struct vcpu_svm *svm)
{
	u64 info = svm->vmcb->control.exit_info_1;

	return kvm_emulate_pio(&svm->vcpu, info >> 16,
			       (info & SVM_IOIO_SIZE_MASK) >> SVM_IOIO_SIZE_SHIFT,
			       info & SVM_IOIO_TYPE_MASK, info & SVM_IOIO_STR_MASK,
			       info & SVM_IOIO_REP_MASK,
			       svm->vmcb->control.exit_info_2);
}

static int svm_exit_msr(struct vcpu_svm *svm)
{
	return kvm_emulate_msr(&svm->vcpu, svm->vmcb->control.exit_info_1);
}

/* VMMCALL (APM vol. 3), for KVM_X86_QUIRK_FIX_HYPERCALL_INSN. */
static void svm_patch_hypercall(u8 *buf)
{
	buf[0] = 0x0f;
	buf[1] = 0x01;
	buf[2] = 0xd9;
}

/* Intercepted (see exits.c): a no-op or #UD, never a wait. */
static int svm_exit_monitor_mwait(struct vcpu_svm *svm)
{
	return kvm_emulate_monitor_mwait(&svm->vcpu);
}

static int svm_exit_vmmcall(struct vcpu_svm *svm)
{
	return kvm_emulate_hypercall(&svm->vcpu);
}

/*
 * RSM: SMM is virtualized by x86.c (smm.c); the intercept fires before
 * the instruction (APM 15.9), with RIP at it.  RIP comes from SMRAM, so
 * the instruction's length never matters (no decode assists needed).
 */
static int svm_exit_rsm(struct vcpu_svm *svm)
{
	return kvm_emulate_rsm(&svm->vcpu);
}

static int svm_exit_xsetbv(struct vcpu_svm *svm)
{
	return kvm_emulate_xsetbv(&svm->vcpu);
}

static int svm_exit_dr(struct vcpu_svm *svm)
{
	return kvm_emulate_mov_dr(&svm->vcpu);
}

static int svm_exit_write_cr4(struct vcpu_svm *svm)
{
	return kvm_emulate_mov_to_cr4(&svm->vcpu);
}

static int svm_exit_write_cr8(struct vcpu_svm *svm)
{
	return kvm_emulate_mov_to_cr8(&svm->vcpu);
}

/*
 * INIT leaves the MSRs alone (SDM vol. 3A, 9.1.1, table 9-1: "MSRs ...
 * unchanged" for INIT, only power-up and RESET set them); those the VMCB
 * holds survive the fresh VMCB.
 */
static void svm_vcpu_init_event(struct kvm_vcpu *vcpu)
{
	struct vcpu_svm *svm = to_svm(vcpu);
	struct vmcb_save_area *save = &svm->vmcb->save;
	u64 tsc_offset = svm->vmcb->control.tsc_offset;
	u64 star = save->star, lstar = save->lstar, cstar = save->cstar;
	u64 sfmask = save->sfmask, kernel_gs_base = save->kernel_gs_base;
	u64 sysenter_cs = save->sysenter_cs, g_pat = save->g_pat;
	u64 sysenter_esp = save->sysenter_esp;
	u64 sysenter_eip = save->sysenter_eip;

	svm_init_vmcb(svm);
	svm->vmcb->control.tsc_offset = tsc_offset;
	save->star = star;
	save->lstar = lstar;
	save->cstar = cstar;
	save->sfmask = sfmask;
	save->kernel_gs_base = kernel_gs_base;
	save->sysenter_cs = sysenter_cs;
	save->sysenter_esp = sysenter_esp;
	save->sysenter_eip = sysenter_eip;
	save->g_pat = g_pat;
	svm_update_guest_debug(vcpu);
}

/*
 * The VMCB is undefined after a shutdown (APM 15.12): start afresh as
 * after INIT, as KVM does (MSRs, XCR0, APIC base and what is the VMM's
 * rather than the guest's kept; the in-kernel APIC reset).
 */
static int svm_exit_shutdown(struct vcpu_svm *svm)
{
	kvm_vcpu_shutdown_reset(&svm->vcpu);
	svm->vcpu.run->exit_reason = KVM_EXIT_SHUTDOWN;
	return 0;
}

static int svm_exit_task_switch(struct vcpu_svm *svm)
{
	return kvm_internal_error(&svm->vcpu, KVM_INTERNAL_ERROR_EMULATION,
				  SVM_EXIT_TASK_SWITCH, 0);
}

/* EXITINFO1: #PF-style error code; EXITINFO2: the guest-physical address. */
static int svm_exit_npf(struct vcpu_svm *svm)
{
	struct vmcb_control_area *c = &svm->vmcb->control;
	struct kvm_vcpu_arch *a = &svm->vcpu.arch;

	/*
	 * With decode assists the CPU hands over the bytes at the faulting
	 * RIP (APM 15.33.1), sparing the emulator a fetch through the guest's
	 * page tables.  (The emulated host has none: untested there.)
	 */
	a->insn_len = 0;
	if (boot_cpu_has(X86_FEATURE_DECODEASSISTS) && c->insn_len &&
	    c->insn_len <= sizeof(a->insn_bytes)) {
		memcpy(a->insn_bytes, c->insn_bytes, c->insn_len);
		a->insn_len = c->insn_len;
	}

	return kvm_tdp_page_fault(&svm->vcpu, c->exit_info_2,
				  c->exit_info_1 & X86_PF_WRITE);
}

static int (*const svm_exit_handlers[])(struct vcpu_svm *svm) = {
	[SVM_EXIT_WRITE_CR4]				= svm_exit_write_cr4,
	[SVM_EXIT_WRITE_CR8]				= svm_exit_write_cr8,
	[SVM_EXIT_READ_DR0 ... SVM_EXIT_READ_DR3]	= svm_exit_dr,
	[SVM_EXIT_WRITE_DR0 ... SVM_EXIT_WRITE_DR3]	= svm_exit_dr,
	[SVM_EXIT_WRITE_DR5]				= svm_exit_dr,
	[SVM_EXIT_WRITE_DR7]				= svm_exit_dr,
	[SVM_EXIT_EXCP_BASE + X86_TRAP_DB]		= svm_exit_db,
	[SVM_EXIT_EXCP_BASE + X86_TRAP_BP]		= svm_exit_bp,
	[SVM_EXIT_EXCP_BASE + X86_TRAP_UD]		= svm_exit_ud_exception,
	[SVM_EXIT_EXCP_BASE + X86_TRAP_AC]		= svm_exit_ac,
	[SVM_EXIT_EXCP_BASE + X86_TRAP_MC]		= svm_exit_mc,
	[SVM_EXIT_INTR]					= svm_exit_ignore,
	[SVM_EXIT_NMI]					= svm_exit_ignore,
	[SVM_EXIT_SMI]					= svm_exit_ignore,
	[SVM_EXIT_VINTR]				= svm_exit_vintr,
	[SVM_EXIT_IRET]					= svm_exit_iret,
	[SVM_EXIT_RDPMC]				= svm_exit_gp,
	[SVM_EXIT_CPUID]				= svm_exit_cpuid,
	[SVM_EXIT_INVD]					= svm_exit_skip,
	[SVM_EXIT_HLT]					= svm_exit_hlt,
	[SVM_EXIT_INVLPGA]				= svm_exit_ud,
	[SVM_EXIT_IOIO]					= svm_exit_ioio,
	[SVM_EXIT_MSR]					= svm_exit_msr,
	[SVM_EXIT_TASK_SWITCH]				= svm_exit_task_switch,
	[SVM_EXIT_SHUTDOWN]				= svm_exit_shutdown,
	[SVM_EXIT_VMRUN]				= svm_exit_ud,
	[SVM_EXIT_VMMCALL]				= svm_exit_vmmcall,
	[SVM_EXIT_VMLOAD]				= svm_exit_ud,
	[SVM_EXIT_VMSAVE]				= svm_exit_ud,
	[SVM_EXIT_STGI]					= svm_exit_ud,
	[SVM_EXIT_CLGI]					= svm_exit_ud,
	[SVM_EXIT_SKINIT]				= svm_exit_ud,
	[SVM_EXIT_WBINVD]				= svm_exit_skip,
	[SVM_EXIT_MONITOR]				= svm_exit_monitor_mwait,
	[SVM_EXIT_MWAIT]				= svm_exit_monitor_mwait,
	[SVM_EXIT_XSETBV]				= svm_exit_xsetbv,
	[SVM_EXIT_RDPRU]				= svm_exit_ud,
	[SVM_EXIT_RSM]					= svm_exit_rsm,
	[SVM_EXIT_NPF]					= svm_exit_npf,
};

/*
 * Without NRIP save there is no telling where the IRET ended: having left
 * its address is proof enough that it executed (KVM's approach).  An IRET
 * that faults is taken for completed: NMIs come early, never lost.
 */
static void svm_complete_nmi_iret(struct vcpu_svm *svm)
{
	struct kvm_vcpu_arch *a = &svm->vcpu.arch;

	if (svm->iret_seen && a->rip != svm->iret_rip) {
		svm->iret_seen = false;
		a->nmi_masked = false;
	}
}

/*
 * What became of the event injected at entry (APM 15.7.2): delivered, or
 * interrupted by the exit and in EXITINTINFO, to be delivered again.
 */
static void svm_complete_interrupts(struct vcpu_svm *svm)
{
	struct kvm_vcpu_arch *a = &svm->vcpu.arch;
	u32 info = svm->vmcb->control.exit_int_info;
	u32 type = info & SVM_EXITINTINFO_TYPE_MASK;
	u8 vector = info & SVM_EXITINTINFO_VEC_MASK;
	bool valid = info & SVM_EXITINTINFO_VALID;

	svm->vmcb->control.event_inj = 0;
	svm_complete_nmi_iret(svm);
	kvm_complete_soft_exception(&svm->vcpu, valid &&
				    (type == SVM_EXITINTINFO_TYPE_EXEPT ||
				     type == SVM_EXITINTINFO_TYPE_SOFT));
	a->exception.injected = false;
	a->interrupt.injected = false;
	a->nmi_injected = false;
	if (!valid)
		return;
	switch (type) {
	case SVM_EXITINTINFO_TYPE_EXEPT:
		/*
		 * A #BP/#OF, the guest's or ours, had RIP at its instruction:
		 * re-injecting steps over it again.
		 */
		a->exception.injected = true;
		a->exception.vector = vector;
		a->exception.has_error_code = info & SVM_EXITINTINFO_VALID_ERR;
		a->exception.error_code = svm->vmcb->control.exit_int_info_err;
		break;
	case SVM_EXITINTINFO_TYPE_NMI:
		a->nmi_injected = true;
		break;
	case SVM_EXITINTINFO_TYPE_INTR:
		a->interrupt.injected = true;
		a->interrupt.nr = vector;
		a->interrupt.soft = false;
		break;
	default:
		/* INTn (type 4) executes again: RIP is still at it. */
		break;
	}
}

static int svm_handle_exit(struct kvm_vcpu *vcpu)
{
	struct vcpu_svm *svm = to_svm(vcpu);
	u32 code = svm->vmcb->control.exit_code;

	if (code == (u32)SVM_EXIT_ERR) {
		/*
		 * Nothing was delivered and EXITINTINFO says nothing: what was
		 * being injected stays so, a stepped-over INT3 included.
		 */
		svm->vmcb->control.event_inj = 0;
		kvm_complete_soft_exception(vcpu, true);
		/*
		 * VMEXIT_INVALID (-1, APM 15.6).  KVM 6.1 reports the low 32
		 * bits of the exit code: 0xffffffff.
		 */
		vcpu->run->exit_reason = KVM_EXIT_FAIL_ENTRY;
		vcpu->run->fail_entry.hardware_entry_failure_reason = code;
		vcpu->run->fail_entry.cpu = svm->last_cpu;
		return 0;
	}
	svm_complete_interrupts(svm);
	if (code >= ARRAY_SIZE(svm_exit_handlers) || !svm_exit_handlers[code]) {
		pr_warn_ratelimited("unexpected SVM exit %#x\n", code);
		return kvm_internal_error(vcpu,
					  KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON,
					  code, svm->last_cpu);
	}
	return svm_exit_handlers[code](svm);
}

const struct kvm_x86_ops svm_x86_ops = {
	.name			= "svm",
	.tdp_bits		= &kvm_tdp_npt_bits,
	.hardware_setup		= svm_hardware_setup,
	.hardware_unsetup	= svm_hardware_unsetup,
	.hardware_enable	= svm_hardware_enable,
	.hardware_disable	= svm_hardware_disable,

	.vcpu_alloc		= svm_vcpu_alloc,
	.vcpu_free		= svm_vcpu_free,
	.vcpu_create		= svm_vcpu_create,
	.vcpu_destroy		= svm_vcpu_destroy,
	.vcpu_load		= svm_vcpu_load,
	.vcpu_put		= svm_vcpu_put,

	.get_segment		= svm_get_segment,
	.set_segment		= svm_set_segment,
	.get_dtable		= svm_get_dtable,
	.set_dtable		= svm_set_dtable,
	.get_msr		= svm_get_msr,
	.set_msr		= svm_set_msr,
	.get_interrupt_shadow	= svm_get_interrupt_shadow,
	.set_interrupt_shadow	= svm_set_interrupt_shadow,
	.get_cr8		= svm_get_cr8,
	.set_cr8		= svm_set_cr8,
	.vcpu_init_event	= svm_vcpu_init_event,
	.enable_irq_window	= svm_enable_irq_window,
	.set_cr8_intercept	= svm_set_cr8_intercept,
	.inject_exception	= svm_inject_exception,
	.inject_nmi		= svm_inject_nmi,
	.inject_irq		= svm_inject_irq,
	.enable_nmi_window	= svm_enable_nmi_window,
	.set_nmi_mask		= svm_set_nmi_mask,
	.update_guest_debug	= svm_update_guest_debug,
	.write_tsc_offset	= svm_write_tsc_offset,

	.vcpu_run		= svm_vcpu_run,
	.handle_exit		= svm_handle_exit,
	.skip_emulated_instruction = svm_skip_emulated_instruction,
	.patch_hypercall	= svm_patch_hypercall,
};
