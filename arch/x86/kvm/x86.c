// SPDX-License-Identifier: GPL-2.0
/*
 * x86 architecture layer: chooses the vendor backend at load time and
 * forwards the generic core's requests to it.
 */
#define pr_fmt(fmt) "kestrel: " fmt

#include <linux/errno.h>
#include <linux/kvm.h>
#include <linux/printk.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/debugreg.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xcr.h>
#include <asm/pkru.h>
#include <asm/traps.h>
#include <asm/tsc.h>
#include <asm/processor.h>

#include <kestrel/kvm_host.h>
#include "cpuid.h"
#include "kvmclock.h"
#include "irq.h"
#include "lapic.h"
#include "msr.h"
#include "pit.h"
#include "smm.h"
#include "steal_time.h"
#include "x86.h"

/* The KVM_SET_GUEST_DEBUG controls Kestrel implements. */
#define KVM_GUESTDBG_VALID (KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP | \
			    KVM_GUESTDBG_USE_SW_BP | KVM_GUESTDBG_USE_HW_BP | \
			    KVM_GUESTDBG_INJECT_DB | KVM_GUESTDBG_INJECT_BP)

const struct kvm_x86_ops *kvm_x86_ops;

/*
 * Raw CPUID, not boot_cpu_has(): the kernel clears X86_FEATURE_SVM/VMX when
 * firmware disabled them, and the backend wants to say so precisely.
 * SVM: CPUID Fn8000_0001_ECX[2] (APM vol. 3, appendix E.4.2).
 * VMX: CPUID.01H:ECX[5] (SDM vol. 3C, 23.6 "Discovering Support for VMX").
 */
static bool cpu_has_svm(void)
{
	return boot_cpu_data.extended_cpuid_level >= 0x80000001 &&
	       (cpuid_ecx(0x80000001) & BIT(X86_FEATURE_SVM & 31));
}

static bool cpu_has_vmx(void)
{
	return cpuid_ecx(1) & BIT(X86_FEATURE_VMX & 31);
}

static const struct kvm_x86_ops *kvm_x86_pick_backend(void)
{
	if (cpu_has_svm())
		return &svm_x86_ops;
	if (cpu_has_vmx())
		return &vmx_x86_ops;
	pr_err("no hardware virtualization: CPU has neither AMD SVM (CPUID 8000_0001h:ECX[2]) nor Intel VMX (CPUID 1:ECX[5])\n");
	return NULL;
}

/*
 * Guest XSAVE state
 */

u64 kvm_supported_xcr0;
static u64 host_xcr0;		/* the same on every CPU */

/*
 * The state components Kestrel lets a guest enable: x87, SSE, AVX and
 * AVX-512, as far as the host has them.  MPX, PKRU (switched separately)
 * and the dynamically enabled AMX are not offered.
 */
static void kvm_init_xsave(void)
{
	if (!boot_cpu_has(X86_FEATURE_XSAVE))
		return;
	host_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
	kvm_supported_xcr0 = host_xcr0 & (XFEATURE_MASK_FPSSE |
					  XFEATURE_MASK_YMM |
					  XFEATURE_MASK_AVX512);
}

void kvm_load_guest_xsave_state(struct kvm_vcpu *vcpu)
{
	if ((vcpu->arch.cr4 & X86_CR4_OSXSAVE) && vcpu->arch.xcr0 != host_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, vcpu->arch.xcr0);
	/*
	 * PKRU matters to the guest, and can be written by it, only with its
	 * CR4.PKE (SDM vol. 3A, 4.6.2; WRPKRU is #UD without it); the host's
	 * is the task's.
	 */
	if (vcpu->arch.cr4 & X86_CR4_PKE) {
		vcpu->arch.host_pkru = read_pkru();
		if (vcpu->arch.pkru != vcpu->arch.host_pkru)
			write_pkru(vcpu->arch.pkru);
	}
	vcpu->arch.xsave_state_loaded = true;
}

void kvm_load_host_xsave_state(struct kvm_vcpu *vcpu)
{
	u64 xcr0;

	if (!vcpu->arch.xsave_state_loaded)
		return;
	if (vcpu->arch.cr4 & X86_CR4_PKE) {
		vcpu->arch.pkru = read_pkru();
		if (vcpu->arch.pkru != vcpu->arch.host_pkru)
			write_pkru(vcpu->arch.host_pkru);
	}
	if (!boot_cpu_has(X86_FEATURE_XSAVE))
		goto out;
	/*
	 * Real CPUs honour the XSETBV intercept, so this is the value the
	 * guest was given.  QEMU's TCG SVM does not: its guests write XCR0
	 * themselves (within what the host CPU allows), and keeping their
	 * value is what lets such a guest use AVX after its next exit.
	 * Without CR4.OSXSAVE the guest cannot write XCR0 (XSETBV is #UD).
	 * A value its CPUID does not allow is dropped: the next entry loads
	 * the last valid one again, and saved state stays restorable.
	 */
	if (!(vcpu->arch.cr4 & X86_CR4_OSXSAVE))
		goto out;
	xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
	if (xcr0 != vcpu->arch.xcr0)
		kvm_set_xcr0(vcpu, xcr0);
	if (xcr0 != host_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, host_xcr0);
out:
	vcpu->arch.xsave_state_loaded = false;
}

/*
 * XCR0 rules (SDM vol. 1, 13.3): x87 always on, AVX needs SSE, the three
 * AVX-512 components together and with AVX, only what the guest's CPUID
 * offers.
 */
static bool kvm_xcr0_valid(struct kvm_vcpu *vcpu, u64 xcr0)
{
	u64 valid = kvm_guest_supported_xcr0(vcpu) | XFEATURE_MASK_FP;

	if (!(xcr0 & XFEATURE_MASK_FP) || (xcr0 & ~valid))
		return false;
	if ((xcr0 & XFEATURE_MASK_YMM) && !(xcr0 & XFEATURE_MASK_SSE))
		return false;
	return !((xcr0 & XFEATURE_MASK_AVX512) &&
		 ((xcr0 & XFEATURE_MASK_AVX512) != XFEATURE_MASK_AVX512 ||
		  !(xcr0 & XFEATURE_MASK_YMM)));
}

int kvm_set_xcr0(struct kvm_vcpu *vcpu, u64 xcr0)
{
	if (!kvm_xcr0_valid(vcpu, xcr0))
		return 1;
	vcpu->arch.xcr0 = xcr0;
	return 0;
}

int kvm_arch_init(void)
{
	const struct kvm_x86_ops *ops = kvm_x86_pick_backend();
	int r;

	if (!ops)
		return -EOPNOTSUPP;
	r = ops->hardware_setup();
	if (r)
		return r;
	r = kvm_clock_init();
	if (r) {
		ops->hardware_unsetup();
		return r;
	}
	kvm_x86_ops = ops;
	kvm_init_xsave();
	return 0;
}

void kvm_arch_exit(void)
{
	kvm_clock_exit();
	kvm_x86_ops->hardware_unsetup();
	kvm_x86_ops = NULL;
}

int kvm_arch_hardware_enable(void)
{
	return kvm_x86_ops->hardware_enable();
}

void kvm_arch_hardware_disable(void)
{
	kvm_uret_cpu_exit();
	kvm_x86_ops->hardware_disable();
}

/* The size of KVM_GET_XSAVE2's buffer: every state component the host has. */
static long kvm_xsave2_size(void)
{
	u32 eax, ebx, ecx, edx;

	if (!boot_cpu_has(X86_FEATURE_XSAVE))
		return sizeof(struct kvm_xsave);
	/* CPUID.(EAX=0DH,ECX=0):EBX: size for the components in XCR0. */
	cpuid_count(0xd, 0, &eax, &ebx, &ecx, &edx);
	return max_t(long, ebx, sizeof(struct kvm_xsave));
}

long kvm_arch_check_extension(long ext)
{
	switch (ext) {
	case KVM_CAP_SET_TSS_ADDR:
	case KVM_CAP_SET_IDENTITY_MAP_ADDR:
	case KVM_CAP_DEBUGREGS:
	case KVM_CAP_MP_STATE:
	case KVM_CAP_XSAVE:
	case KVM_CAP_VCPU_EVENTS:
	case KVM_CAP_INTR_SHADOW:
	case KVM_CAP_GET_TSC_KHZ:
	case KVM_CAP_SET_GUEST_DEBUG:
	case KVM_CAP_HLT:		/* KVM_EXIT_HLT without an in-kernel LAPIC */
	case KVM_CAP_SREGS2:
	case KVM_CAP_USER_NMI:
	case KVM_CAP_SET_BOOT_CPU_ID:
	case KVM_CAP_DISABLE_QUIRKS:
	case KVM_CAP_VCPU_ATTRIBUTES:
		return 1;
	/*
	 * KVM_CAP_X86_SMM is not reported yet although smm.c implements SMM
	 * (KVM_SMI, APIC SMIs, RSM, SMRAM in address space 1, upstream
	 * smm_test passes): it makes QEMU put SMRAM in address space 1 and
	 * SeaBIOS use SMM, and a QEMU/SeaBIOS disk boot in the emulated host
	 * has not been seen to work with it yet (issue 7).
	 */
	case KVM_CAP_X86_SMM:
		return 0;
	case KVM_CAP_DISABLE_QUIRKS2:
		return KESTREL_SUPPORTED_QUIRKS;
	case KVM_CAP_SYNC_REGS:
		return KVM_SYNC_X86_VALID_FIELDS;
	case KVM_CAP_SET_GUEST_DEBUG2:
		return KVM_GUESTDBG_VALID;
	case KVM_CAP_XCRS:
		return boot_cpu_has(X86_FEATURE_XSAVE);
	case KVM_CAP_XSAVE2:
		return kvm_xsave2_size();
	default:
		return kvm_cpuid_check_extension(ext) ?:
		       kvm_msr_check_extension(ext) ?:
		       kvm_clock_check_extension(ext) ?:
		       kvm_mce_check_extension(ext) ?:
		       kvm_lapic_check_extension(ext) ?:
		       kvm_irq_check_extension(ext) ?:
		       kvm_pit_check_extension(ext);
	}
}

long kvm_arch_dev_ioctl(unsigned int ioctl, unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (ioctl) {
	case KVM_GET_SUPPORTED_CPUID:
	case KVM_GET_EMULATED_CPUID:
		return kvm_dev_ioctl_cpuid(ioctl, argp);
	case KVM_GET_MSR_INDEX_LIST:
	case KVM_GET_MSR_FEATURE_INDEX_LIST:
	case KVM_GET_MSRS:
		return kvm_dev_ioctl_msr(ioctl, argp);
	case KVM_X86_GET_MCE_CAP_SUPPORTED:
		return kvm_dev_ioctl_mce(argp);
	default:
		return -ENOTTY;
	}
}

/*
 * VMs
 */

int kvm_arch_init_vm(struct kvm *kvm, unsigned long type)
{
	int r = kvm_vm_msr_init(kvm);

	if (r)
		return r;
	kvm_clock_init_vm(kvm);
	kvm_irq_init_vm(kvm);
	r = kvm_mmu_init_vm(kvm);
	if (r)
		kvm_vm_msr_free(kvm);
	return r;
}

/* First in VM destruction, while the vCPUs still exist: stop the devices. */
void kvm_arch_sync_events(struct kvm *kvm)
{
	kvm_pit_destroy_vm(kvm);
	kvm_irqchip_sync_events(kvm);
}

void kvm_arch_destroy_vm(struct kvm *kvm)
{
	kvm_irq_destroy_vm(kvm);
	kvm_mmu_destroy_vm(kvm);
	kvm_vm_msr_free(kvm);
}

/* VMX's identity-mapped page table address: nothing to do on SVM. */
static long kvm_vm_ioctl_set_identity_map_addr(struct kvm *kvm,
					       void __user *argp)
{
	u64 addr;
	long r = -EINVAL;

	mutex_lock(&kvm->lock);
	if (!atomic_read(&kvm->nr_vcpus))
		r = copy_from_user(&addr, argp, sizeof(addr)) ? -EFAULT : 0;
	mutex_unlock(&kvm->lock);
	return r;
}

/*
 * KVM_CAP_X2APIC_API (api.rst 7.7): -EINVAL for unknown flags; a flag once
 * set stays set, as in KVM 6.1.
 */
static int kvm_enable_x2apic_api(struct kvm *kvm, u64 flags)
{
	if (flags & ~(u64)(KVM_X2APIC_API_USE_32BIT_IDS |
			   KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK))
		return -EINVAL;
	if (flags & KVM_X2APIC_API_USE_32BIT_IDS)
		WRITE_ONCE(kvm->arch.x2apic_format, true);
	if (flags & KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK)
		WRITE_ONCE(kvm->arch.x2apic_broadcast_quirk_disabled, true);
	return 0;
}

/*
 * KVM_SET_BOOT_CPU_ID (api.rst 4.86): which vCPU id is the BSP, only
 * while no vCPU exists or is being created (-EBUSY, under kvm->lock as
 * created_vcpus is counted).  Any id is taken, as by KVM 6.1: one no vCPU
 * has leaves the VM without a BSP.
 */
static long kvm_vm_ioctl_set_boot_cpu_id(struct kvm *kvm, unsigned long id)
{
	long r = 0;

	mutex_lock(&kvm->lock);
	if (kvm->created_vcpus)
		r = -EBUSY;
	else
		kvm->arch.bsp_vcpu_id = id;
	mutex_unlock(&kvm->lock);
	return r;
}

/*
 * KVM_CAP_DISABLE_QUIRKS2 (api.rst 7.31) rejects quirks Kestrel cannot
 * turn off; the older KVM_CAP_DISABLE_QUIRKS takes any mask, as in KVM.
 * Either replaces the whole set.
 */
static long kvm_vm_disable_quirks(struct kvm *kvm, const struct kvm_enable_cap *cap)
{
	if (cap->cap == KVM_CAP_DISABLE_QUIRKS2 &&
	    (cap->args[0] & ~(u64)KESTREL_SUPPORTED_QUIRKS))
		return -EINVAL;
	WRITE_ONCE(kvm->arch.disabled_quirks, cap->args[0]);
	return 0;
}

/* The VM's KVM_ENABLE_CAP (api.rst 4.37): flags must be 0. */
static long kvm_vm_ioctl_enable_cap(struct kvm *kvm, void __user *argp)
{
	struct kvm_enable_cap cap;

	if (copy_from_user(&cap, argp, sizeof(cap)))
		return -EFAULT;
	if (cap.flags)
		return -EINVAL;
	if (cap.cap == KVM_CAP_MAX_VCPU_ID)
		return kvm_set_max_vcpu_id(kvm, cap.args[0]);
	if (cap.cap == KVM_CAP_SPLIT_IRQCHIP)
		return kvm_lapic_enable_split_irqchip(kvm, cap.args[0]);
	if (cap.cap == KVM_CAP_X2APIC_API)
		return kvm_enable_x2apic_api(kvm, cap.args[0]);
	if (cap.cap == KVM_CAP_DISABLE_QUIRKS ||
	    cap.cap == KVM_CAP_DISABLE_QUIRKS2)
		return kvm_vm_disable_quirks(kvm, &cap);
	return kvm_vm_msr_enable_cap(kvm, &cap);
}

/*
 * KVM_IRQFD needs an in-kernel irqchip; resampling needs the IOAPIC and
 * PIC in the kernel too, since only their EOIs tell when to resample (KVM
 * 6.1's kvm_arch_irqfd_allowed()).
 */
bool kvm_arch_irqfd_allowed(struct kvm *kvm, const struct kvm_irqfd *args)
{
	if (args->flags & KVM_IRQFD_FLAG_RESAMPLE)
		return kvm_irqchip_full(kvm);
	return kvm_arch_irqchip_in_kernel(kvm);
}

long kvm_arch_vm_ioctl(struct kvm *kvm, unsigned int ioctl, unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (ioctl) {
	case KVM_SET_TSS_ADDR:
		/* Only VMX without unrestricted guest needs the TSS. */
		return arg > (unsigned int)(-3 * PAGE_SIZE) ? -EINVAL : 0;
	case KVM_SET_IDENTITY_MAP_ADDR:
		return kvm_vm_ioctl_set_identity_map_addr(kvm, argp);
	case KVM_X86_SET_MSR_FILTER:
		return kvm_vm_ioctl_msr(kvm, ioctl, argp);
	case KVM_ENABLE_CAP:
		return kvm_vm_ioctl_enable_cap(kvm, argp);
	case KVM_SET_BOOT_CPU_ID:
		return kvm_vm_ioctl_set_boot_cpu_id(kvm, arg);
	case KVM_GET_CLOCK:
	case KVM_SET_CLOCK:
		return kvm_vm_ioctl_clock(kvm, ioctl, argp);
	case KVM_CREATE_PIT:
	case KVM_CREATE_PIT2:
	case KVM_GET_PIT:
	case KVM_SET_PIT:
	case KVM_GET_PIT2:
	case KVM_SET_PIT2:
	case KVM_REINJECT_CONTROL:
		return kvm_pit_vm_ioctl(kvm, ioctl, argp);
	case KVM_SIGNAL_MSI:
	case KVM_SET_GSI_ROUTING:
	case KVM_IRQ_LINE:
	case KVM_IRQ_LINE_STATUS:
	case KVM_CREATE_IRQCHIP:
	case KVM_GET_IRQCHIP:
	case KVM_SET_IRQCHIP:
		return kvm_irq_vm_ioctl(kvm, ioctl, argp);
	default:
		return -ENOTTY;
	}
}

/*
 * vCPUs
 */

struct kvm_vcpu *kvm_arch_vcpu_alloc(void)
{
	return kvm_x86_ops->vcpu_alloc();
}

void kvm_arch_vcpu_free(struct kvm_vcpu *vcpu)
{
	kvm_x86_ops->vcpu_free(vcpu);
}

/* Architectural state after RESET (SDM vol. 3A, 10.1.1; APM vol. 2, 14.1.3). */
void kvm_vcpu_reset(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;

	memset(a->regs, 0, sizeof(a->regs));
	/* EDX holds the processor signature; KVM reports family 6. */
	a->regs[VCPU_REGS_RDX] = 0x600;
	a->rip = 0xfff0;
	a->rflags = X86_EFLAGS_FIXED;
	a->cr0 = X86_CR0_ET | X86_CR0_CD | X86_CR0_NW;
	a->cr2 = 0;
	a->cr3 = 0;
	a->cr4 = 0;
	a->efer = 0;
	a->apic_base = APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE |
		       (kvm_vcpu_is_reset_bsp(vcpu) ? MSR_IA32_APICBASE_BSP : 0);
	memset(a->db, 0, sizeof(a->db));
	a->dr6 = DR6_RESET;
	a->dr7 = DR7_RESET;
	a->xcr0 = XFEATURE_MASK_FP;
	memset(&a->exception, 0, sizeof(a->exception));
	memset(&a->interrupt, 0, sizeof(a->interrupt));
	a->nmi_injected = false;
	a->nmi_pending = 0;
	a->nmi_masked = false;
	a->complete_userspace_io = NULL;
	a->mp_state = KVM_MP_STATE_RUNNABLE;
	a->extint_pending = -1;
	/* The guest's struct may be anything now: stop writing it (as KVM). */
	a->st.msr = 0;
	a->st.update = false;
	kvm_clock_vcpu_reset(vcpu);
	kvm_smm_reset(vcpu, false);
}

/*
 * INIT (SDM vol. 3A, 9.1.1, table 9-1): registers as after RESET, except
 * that XCR0, IA32_APIC_BASE, SMBASE and the MSRs Kestrel keeps (msr.c) survive,
 * as in KVM.  The APIC itself is reset by the caller (lapic.c).
 */
void kvm_vcpu_init_event(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	u64 xcr0 = a->xcr0, apic_base = a->apic_base, smbase = a->smm.smbase;

	kvm_x86_ops->vcpu_init_event(vcpu);
	kvm_vcpu_reset(vcpu);
	a->xcr0 = xcr0;
	a->apic_base = apic_base;
	a->smm.smbase = smbase;		/* SDM vol. 3C, 32.11: INIT keeps it */
}

/* After a shutdown: as INIT, the in-kernel APIC included (as KVM). */
void kvm_vcpu_shutdown_reset(struct kvm_vcpu *vcpu)
{
	kvm_vcpu_init_event(vcpu);
	kvm_lapic_vcpu_reset(vcpu);
}

int kvm_arch_vcpu_create(struct kvm_vcpu *vcpu)
{
	int r;

	if (!fpu_alloc_guest_fpstate(&vcpu->arch.guest_fpu))
		return -ENOMEM;
	r = kvm_vcpu_msr_init(vcpu);
	if (r)
		goto err_fpu;
	kvm_vcpu_reset(vcpu);
	vcpu->arch.tlb_flush_gen = atomic_long_read(&vcpu->kvm->tlb_flush_gen);
	vcpu->arch.virtual_tsc_khz = tsc_khz;
	r = kvm_x86_ops->vcpu_create(vcpu);
	if (r)
		goto err_msr;
	r = kvm_lapic_vcpu_create(vcpu);
	if (r) {
		kvm_x86_ops->vcpu_destroy(vcpu);
		goto err_msr;
	}
	/* The TSC starts near 0 and in step with the VM's other vCPUs. */
	kvm_vcpu_msr_postcreate(vcpu);
	return 0;

err_msr:
	kvm_vcpu_msr_free(vcpu);
err_fpu:
	fpu_free_guest_fpstate(&vcpu->arch.guest_fpu);
	return r;
}

void kvm_arch_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	kvm_lapic_vcpu_destroy(vcpu);
	kvm_vcpu_free_cpuid(vcpu);
	kvm_vcpu_msr_free(vcpu);
	kvm_mmu_free_cache(vcpu);
	fpu_free_guest_fpstate(&vcpu->arch.guest_fpu);
	kvm_x86_ops->vcpu_destroy(vcpu);
	kvm_x86_ops->vcpu_free(vcpu);
}

void kvm_arch_vcpu_load(struct kvm_vcpu *vcpu, int cpu)
{
	kvm_x86_ops->vcpu_load(vcpu, cpu);
	vcpu->cpu = cpu;
	kvm_steal_time_load(vcpu);
}

void kvm_arch_vcpu_put(struct kvm_vcpu *vcpu)
{
	if (vcpu->preempted)
		kvm_steal_time_set_preempted(vcpu);
	kvm_x86_ops->vcpu_put(vcpu);
}

/*
 * The run loop
 */

/*
 * A signal, or task work queued with signal semantics (TIF_NOTIFY_SIGNAL,
 * e.g. io_uring), ends KVM_RUN with -EINTR and KVM_EXIT_INTR.
 * TIF_NOTIFY_RESUME work (rseq, resume-time task work) stays pending and
 * runs on the way back to userspace: the kernel's helper for running it in
 * the loop is tied to kvm.ko's struct kvm_vcpu, and nothing in it is owed
 * before then.
 */
static bool kvm_vcpu_must_exit(void)
{
	return signal_pending(current) || test_thread_flag(TIF_NOTIFY_SIGNAL);
}

/* DR7's L0-L3/G0-G3 bits: any breakpoint armed. */
#define DR7_BP_ENABLED	0xffUL

/*
 * The breakpoint addresses armed by the DR7 about to be loaded (the
 * debugger's or the guest's own): never the host's or another guest's.
 */
static void kvm_load_breakpoints(const unsigned long *db)
{
	set_debugreg(0, 7);
	set_debugreg(db[0], 0);
	set_debugreg(db[1], 1);
	set_debugreg(db[2], 2);
	set_debugreg(db[3], 3);
}

/*
 * Events
 */

static bool kvm_exception_is_soft(u8 vector)
{
	return vector == X86_TRAP_BP || vector == X86_TRAP_OF;
}

/*
 * Reading guest memory is not possible with interrupts off: decode the
 * instruction behind a #BP/#OF about to be injected now.
 */
static void kvm_prepare_events(struct kvm_vcpu *vcpu)
{
	struct kvm_queued_exception *e = &vcpu->arch.exception;

	e->soft_len = 0;
	if ((e->pending || e->injected) && kvm_exception_is_soft(e->vector))
		e->soft_len = kvm_soft_int_insn_len(vcpu, e->vector);
}

/*
 * A #BP/#OF is delivered as if its instruction had completed: the pushed
 * RIP is past it (SDM vol. 3A, 6.5 "trap"; APM 15.20 without NRIP save:
 * EVENTINJ type 3 with RIP advanced by the hypervisor).  Without the
 * instruction at RIP it is dropped, as KVM 6.1 does.
 */
static bool kvm_inject_exception(struct kvm_vcpu *vcpu)
{
	struct kvm_queued_exception *e = &vcpu->arch.exception;

	e->pending = false;
	if (kvm_exception_is_soft(e->vector)) {
		e->injected = false;
		if (!e->soft_len)
			return false;
		e->soft_old_rip = vcpu->arch.rip;
		vcpu->arch.rip += e->soft_len;
		e->soft_next_rip = vcpu->arch.rip;
		e->soft_injected = true;
	}
	e->injected = true;
	kvm_x86_ops->inject_exception(vcpu);
	return true;
}

/*
 * After an exit, with the backend's view of what it had injected: a
 * #BP/#OF whose delivery (or that of an exception it raised) was cut
 * short goes back to its instruction, to be stepped over again when
 * re-injected: delivered exactly once.
 */
void kvm_complete_soft_exception(struct kvm_vcpu *vcpu, bool interrupted)
{
	struct kvm_queued_exception *e = &vcpu->arch.exception;

	if (!e->soft_injected)
		return;
	e->soft_injected = false;
	if (interrupted && vcpu->arch.rip == e->soft_next_rip)
		vcpu->arch.rip = e->soft_old_rip;
}

/*
 * NMIs are blocked from the delivery of one until the IRET that ends its
 * handler (SDM vol. 3A, 6.7.1), and, as KVM holds them, in the STI/MOV
 * SS shadow (SDM vol. 3A, 6.8.3; vol. 3C, 25.4.2 "blocking by STI" may
 * block NMIs).  The guest cannot clear GIF: its CLGI is #UD.
 */
static bool kvm_nmi_allowed(struct kvm_vcpu *vcpu)
{
	return !vcpu->arch.nmi_masked &&
	       !kvm_x86_ops->get_interrupt_shadow(vcpu);
}

/* Delivering an NMI blocks NMIs, also one userspace set as injected. */
static void kvm_inject_nmi(struct kvm_vcpu *vcpu)
{
	vcpu->arch.nmi_injected = true;
	vcpu->arch.nmi_masked = true;
	vcpu->arch.stat.nmi_injections++;
	kvm_x86_ops->inject_nmi(vcpu);
}

/*
 * Choose the one event this entry delivers (EVENTINJ, or the VMCS's
 * entry field, hold one): first what an exit interrupted or userspace
 * already committed, then a new NMI, which has priority over INTR (SDM
 * vol. 3A, 6.9; APM vol. 2, 8.5 "Interrupt Priorities").  Returns
 * whether one was chosen.
 */
static bool kvm_inject_one_event(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;

	/* A #BP/#OF without its instruction is dropped: go on then. */
	if ((a->exception.pending || a->exception.injected) &&
	    kvm_inject_exception(vcpu))
		return true;
	if (a->nmi_injected) {
		kvm_inject_nmi(vcpu);
		return true;
	}
	if (a->interrupt.injected) {
		kvm_x86_ops->inject_irq(vcpu);
		return true;
	}
	if (a->nmi_pending && kvm_nmi_allowed(vcpu)) {
		a->nmi_pending--;
		kvm_inject_nmi(vcpu);
		return true;
	}
	return false;
}

/*
 * With interrupts off, right before entry: nothing can cancel the entry
 * after this.  An NMI that must wait behind an injected event gets an
 * exit right after that event's delivery (a self-IPI, taken at the first
 * instruction boundary in the guest, APM 15.20); one that waits for
 * unmasking gets the backend's NMI window.
 */
static void kvm_inject_events(struct kvm_vcpu *vcpu)
{
	bool busy = kvm_inject_one_event(vcpu);

	/* The in-kernel APIC's interrupt, or its interrupt window. */
	if (vcpu->arch.apic)
		busy = kvm_lapic_inject(vcpu) || busy;

	/* An SMI waits behind the event being delivered (smm.c). */
	if (busy && kvm_smm_window(vcpu))
		smp_send_reschedule(smp_processor_id());
	if (!vcpu->arch.nmi_pending)
		return;
	if (busy)
		smp_send_reschedule(smp_processor_id());
	else
		kvm_x86_ops->enable_nmi_window(vcpu);
}

static void kvm_vcpu_cancel_entry(struct kvm_vcpu *vcpu)
{
	WRITE_ONCE(vcpu->mode, OUTSIDE_GUEST_MODE);
	local_irq_enable();
	preempt_enable();
}

static int kvm_vcpu_enter_guest(struct kvm_vcpu *vcpu)
{
	struct kvm *kvm = vcpu->kvm;
	bool flush_tlb = false;
	long gen;

	/* Write guest memory: before preemption is off. */
	kvm_clock_vcpu_update(vcpu);
	kvm_steal_time_record(vcpu);
	kvm_lapic_sync_to_vapic(vcpu);
	preempt_disable();
	local_irq_disable();

	/*
	 * Publish IN_GUEST_MODE before reading what others may have asked
	 * for; they publish their request before reading the mode.
	 */
	WRITE_ONCE(vcpu->mode, IN_GUEST_MODE);
	smp_mb(); /* pairs with kvm_flush_remote_tlbs() */
	if (!kvm_can_enter_guest()) {
		kvm_vcpu_cancel_entry(vcpu);
		pr_warn_ratelimited("vCPU %u: virtualization is off on this CPU\n",
				    vcpu->vcpu_id);
		return -EIO;
	}
	/* A kick since kvm_lapic_process(): look again (see lapic.c). */
	if (need_resched() || kvm_vcpu_must_exit() ||
	    kvm_clock_vcpu_stale(vcpu) || READ_ONCE(vcpu->arch.st.update) ||
	    kvm_lapic_kicked(vcpu)) {
		kvm_vcpu_cancel_entry(vcpu);
		return 1;
	}
	gen = atomic_long_read(&kvm->tlb_flush_gen);
	if (vcpu->arch.tlb_flush_gen != gen || vcpu->arch.flush_guest_tlb) {
		vcpu->arch.tlb_flush_gen = gen;
		vcpu->arch.flush_guest_tlb = false;
		flush_tlb = true;
	}
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
	kvm_msr_load_guest_uret(vcpu);

	/*
	 * No host breakpoint may fire from here to VMRUN: the guest's TR and
	 * GS base are loaded before VMRUN, and a #DB there would run the
	 * host's handler on them.  The debugger's breakpoint addresses then
	 * go into DR0-3 (its DR7 comes with the VMCB); #VMEXIT resets DR7,
	 * and the host's breakpoints are restored after the exit.
	 */
	if (vcpu->arch.guest_debug & KVM_GUESTDBG_USE_HW_BP)
		kvm_load_breakpoints(vcpu->arch.guest_debug_db);
	else if (vcpu->arch.dr7 & DR7_BP_ENABLED)
		kvm_load_breakpoints(vcpu->arch.db);
	else if (hw_breakpoint_active())
		set_debugreg(0, 7);
	kvm_inject_events(vcpu);
	kvm_x86_ops->vcpu_run(vcpu, flush_tlb);
	vcpu->arch.stat.exits++;
	/* KVM_SET_CPUID2 is frozen once the vCPU has really entered. */
	vcpu->arch.has_run = true;
	if (!kvm_x86_ops->pdpte_regs)
		vcpu->arch.pdptrs_cached = false;
	/*
	 * #VMEXIT leaves DR7 at its reset value (APM vol. 2, 15.6): put back
	 * the host's breakpoints (perf, ptrace watchpoints) if it has any.
	 */
	if (hw_breakpoint_active())
		hw_breakpoint_restore();

	WRITE_ONCE(vcpu->mode, OUTSIDE_GUEST_MODE);
	/* A host interrupt that made the guest exit is taken here. */
	local_irq_enable();
	preempt_enable();
	kvm_lapic_after_exit(vcpu);

	return kvm_x86_ops->handle_exit(vcpu);
}

/*
 * For a VMM with its own interrupt controller (api.rst, KVM_INTERRUPT): the
 * guest takes an external interrupt now, and none is waiting to be
 * delivered.
 */
static bool kvm_vcpu_ready_for_interrupt_injection(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;

	/* Split irqchip: also the APIC takes ExtINT and none is queued. */
	return (a->rflags & X86_EFLAGS_IF) &&
	       !kvm_x86_ops->get_interrupt_shadow(vcpu) &&
	       !a->interrupt.injected && !a->exception.injected &&
	       !a->nmi_injected &&
	       (!a->apic || kvm_lapic_ready_for_extint(vcpu));
}

/*
 * Userspace asked for an interrupt window and its interrupt could be taken
 * once IF allows.  With the split irqchip an APIC that refuses ExtINT
 * (LVT0 masked, one already queued) opens no window: the guest would exit
 * at each instruction boundary without moving, and none would ever be
 * ready (KVM's kvm_cpu_accept_dm_intr()).
 */
static bool kvm_vcpu_wants_irq_window(struct kvm_vcpu *vcpu)
{
	return READ_ONCE(vcpu->run->request_interrupt_window) &&
	       (!vcpu->arch.apic || kvm_lapic_ready_for_extint(vcpu));
}

/* What kvm_run tells userspace after every KVM_RUN (api.rst, "kvm_run"). */
static void kvm_post_run_save(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	run->if_flag = !!(vcpu->arch.rflags & X86_EFLAGS_IF);
	run->cr8 = kvm_lapic_get_cr8(vcpu);
	run->apic_base = vcpu->arch.apic_base;
	run->ready_for_interrupt_injection =
		kvm_vcpu_ready_for_interrupt_injection(vcpu);
	if (vcpu->arch.smm.in_smm)
		run->flags |= KVM_RUN_X86_SMM;
}

static int kvm_vcpu_run_loop(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	int r;

	for (;;) {
		if (kvm_vcpu_must_exit()) {
			vcpu->arch.stat.signal_exits++;
			run->exit_reason = KVM_EXIT_INTR;
			return -EINTR;
		}
		/* A shutdown Kestrel decided on (KVM_X86_SET_MCE). */
		if (vcpu->arch.triple_fault_pending) {
			vcpu->arch.triple_fault_pending = false;
			run->exit_reason = KVM_EXIT_SHUTDOWN;
			return 0;
		}
		cond_resched();
		if (vcpu->arch.apic) {
			r = kvm_lapic_check_ioapic_eoi(vcpu);
			if (r <= 0)
				return r;
			kvm_lapic_process(vcpu);
			if (vcpu->arch.mp_state != KVM_MP_STATE_RUNNABLE) {
				r = kvm_lapic_block(vcpu);
				if (r <= 0)
					return r;
				continue;
			}
		}
		kvm_x86_ops->enable_irq_window(vcpu, kvm_vcpu_wants_irq_window(vcpu));
		/* Writes SMRAM: before interrupts go off. */
		kvm_smm_check_smi(vcpu);
		kvm_prepare_events(vcpu);
		r = kvm_vcpu_enter_guest(vcpu);
		if (r <= 0)
			return r;
		if (READ_ONCE(run->request_interrupt_window) &&
		    kvm_vcpu_ready_for_interrupt_injection(vcpu)) {
			run->exit_reason = KVM_EXIT_IRQ_WINDOW_OPEN;
			return 0;
		}
	}
}

static int kvm_sync_regs_in(struct kvm_vcpu *vcpu, u64 dirty);
static void kvm_sync_regs_out(struct kvm_vcpu *vcpu, u64 valid);

/*
 * What userspace hands over in kvm_run before the guest runs: registers
 * marked in kvm_dirty_regs (KVM_CAP_SYNC_REGS), and CR8, which a VMM with
 * its own LAPIC keeps in kvm_run->cr8 (api.rst, "kvm_run").
 */
static int kvm_run_sync_in(struct kvm_vcpu *vcpu, u64 valid, u64 dirty)
{
	u64 cr8 = READ_ONCE(vcpu->run->cr8);
	int r;

	if ((valid | dirty) & ~(u64)KVM_SYNC_X86_VALID_FIELDS)
		return -EINVAL;
	r = kvm_sync_regs_in(vcpu, dirty);
	if (r)
		return r;
	/* With an in-kernel APIC, TPR is its own (KVM ignores run->cr8). */
	if (vcpu->arch.apic)
		return 1;
	if (cr8 > 15)
		return -EINVAL;
	kvm_x86_ops->set_cr8(vcpu, cr8);
	return 1;
}

int kvm_arch_vcpu_ioctl_run(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	u64 valid = READ_ONCE(run->kvm_valid_regs);
	int r;

	vcpu_load(vcpu);
	run->flags = 0;
	fpu_swap_kvm_fpstate(&vcpu->arch.guest_fpu, true);
	r = kvm_run_sync_in(vcpu, valid, READ_ONCE(run->kvm_dirty_regs));

	/* Finish what the last exit left to userspace (api.rst, KVM_RUN). */
	if (r > 0 && vcpu->arch.complete_userspace_io) {
		int (*cui)(struct kvm_vcpu *) = vcpu->arch.complete_userspace_io;

		vcpu->arch.complete_userspace_io = NULL;
		r = cui(vcpu);
	}
	/* immediate_exit leaves exit_reason as it was, as in KVM 6.1. */
	if (r > 0 && READ_ONCE(run->immediate_exit))
		r = -EINTR;
	else if (r > 0 && vcpu->arch.apic &&
		 vcpu->arch.mp_state == KVM_MP_STATE_UNINITIALIZED)
		r = kvm_lapic_run_uninit(vcpu);
	else if (r > 0)
		r = kvm_vcpu_run_loop(vcpu);

	kvm_post_run_save(vcpu);
	fpu_swap_kvm_fpstate(&vcpu->arch.guest_fpu, false);
	kvm_sync_regs_out(vcpu, valid);
	vcpu_put(vcpu);
	return r;
}

/*
 * Register ioctls
 */

static void kvm_get_regs(struct kvm_vcpu *vcpu, struct kvm_regs *regs)
{
	unsigned long *r = vcpu->arch.regs;

	regs->rax = r[VCPU_REGS_RAX];
	regs->rbx = r[VCPU_REGS_RBX];
	regs->rcx = r[VCPU_REGS_RCX];
	regs->rdx = r[VCPU_REGS_RDX];
	regs->rsi = r[VCPU_REGS_RSI];
	regs->rdi = r[VCPU_REGS_RDI];
	regs->rsp = r[VCPU_REGS_RSP];
	regs->rbp = r[VCPU_REGS_RBP];
	regs->r8 = r[VCPU_REGS_R8];
	regs->r9 = r[VCPU_REGS_R9];
	regs->r10 = r[VCPU_REGS_R10];
	regs->r11 = r[VCPU_REGS_R11];
	regs->r12 = r[VCPU_REGS_R12];
	regs->r13 = r[VCPU_REGS_R13];
	regs->r14 = r[VCPU_REGS_R14];
	regs->r15 = r[VCPU_REGS_R15];
	regs->rip = vcpu->arch.rip;
	regs->rflags = vcpu->arch.rflags;
}

static void kvm_set_regs(struct kvm_vcpu *vcpu, const struct kvm_regs *regs)
{
	unsigned long *r = vcpu->arch.regs;

	r[VCPU_REGS_RAX] = regs->rax;
	r[VCPU_REGS_RBX] = regs->rbx;
	r[VCPU_REGS_RCX] = regs->rcx;
	r[VCPU_REGS_RDX] = regs->rdx;
	r[VCPU_REGS_RSI] = regs->rsi;
	r[VCPU_REGS_RDI] = regs->rdi;
	r[VCPU_REGS_RSP] = regs->rsp;
	r[VCPU_REGS_RBP] = regs->rbp;
	r[VCPU_REGS_R8] = regs->r8;
	r[VCPU_REGS_R9] = regs->r9;
	r[VCPU_REGS_R10] = regs->r10;
	r[VCPU_REGS_R11] = regs->r11;
	r[VCPU_REGS_R12] = regs->r12;
	r[VCPU_REGS_R13] = regs->r13;
	r[VCPU_REGS_R14] = regs->r14;
	r[VCPU_REGS_R15] = regs->r15;
	vcpu->arch.rip = regs->rip;
	/* Bit 1 of RFLAGS always reads as 1. */
	vcpu->arch.rflags = regs->rflags | X86_EFLAGS_FIXED;
	vcpu->arch.exception.pending = false;
}

/*
 * The fields struct kvm_sregs and struct kvm_sregs2 share, up to apic_base;
 * @sregs comes zeroed.
 */
static void kvm_get_sregs_common(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs)
{
	const struct kvm_x86_ops *ops = kvm_x86_ops;

	ops->get_segment(vcpu, &sregs->cs, VCPU_SREG_CS);
	ops->get_segment(vcpu, &sregs->ds, VCPU_SREG_DS);
	ops->get_segment(vcpu, &sregs->es, VCPU_SREG_ES);
	ops->get_segment(vcpu, &sregs->fs, VCPU_SREG_FS);
	ops->get_segment(vcpu, &sregs->gs, VCPU_SREG_GS);
	ops->get_segment(vcpu, &sregs->ss, VCPU_SREG_SS);
	ops->get_segment(vcpu, &sregs->tr, VCPU_SREG_TR);
	ops->get_segment(vcpu, &sregs->ldt, VCPU_SREG_LDTR);
	ops->get_dtable(vcpu, &sregs->idt, true);
	ops->get_dtable(vcpu, &sregs->gdt, false);
	sregs->cr0 = vcpu->arch.cr0;
	sregs->cr2 = vcpu->arch.cr2;
	sregs->cr3 = vcpu->arch.cr3;
	sregs->cr4 = vcpu->arch.cr4;
	sregs->efer = vcpu->arch.efer;
	sregs->cr8 = kvm_lapic_get_cr8(vcpu);
	sregs->apic_base = vcpu->arch.apic_base;
}

/* KVM_GET_SREGS also names an external interrupt being delivered. */
static void kvm_get_sregs(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs)
{
	struct kvm_queued_interrupt *irq = &vcpu->arch.interrupt;

	kvm_get_sregs_common(vcpu, sregs);
	if (irq->injected && !irq->soft)
		__set_bit(irq->nr, (unsigned long *)sregs->interrupt_bitmap);
}

/*
 * CR4 bits a guest may set (SDM vol. 3A, 2.5; APM vol. 2, 3.1.3): those
 * Kestrel virtualizes, and of the ones tied to a CPUID feature only those
 * the guest's CPUID offers, as KVM (its __cr4_reserved_bits()).
 */
bool kvm_is_valid_cr4(struct kvm_vcpu *vcpu, unsigned long cr4)
{
	/* The CR4 bit, what the host needs, what the guest's CPUID needs. */
	static const struct {
		unsigned long cr4;
		unsigned int host, guest;
	} dep[] = {
		{ X86_CR4_OSXSAVE,  X86_FEATURE_XSAVE,	  X86_FEATURE_XSAVE },
		{ X86_CR4_SMEP,	    X86_FEATURE_SMEP,	  X86_FEATURE_SMEP },
		{ X86_CR4_SMAP,	    X86_FEATURE_SMAP,	  X86_FEATURE_SMAP },
		{ X86_CR4_FSGSBASE, X86_FEATURE_FSGSBASE, X86_FEATURE_FSGSBASE },
		/* PKRU is switched with the host's own PKU support only. */
		{ X86_CR4_PKE,	    X86_FEATURE_OSPKE,	  X86_FEATURE_PKU },
		{ X86_CR4_LA57,	    X86_FEATURE_LA57,	  X86_FEATURE_LA57 },
		{ X86_CR4_UMIP,	    X86_FEATURE_UMIP,	  X86_FEATURE_UMIP },
		{ X86_CR4_PCIDE,    X86_FEATURE_PCID,	  X86_FEATURE_PCID },
	};
	unsigned long valid = X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD |
			      X86_CR4_DE | X86_CR4_PSE | X86_CR4_PAE |
			      X86_CR4_MCE | X86_CR4_PGE | X86_CR4_PCE |
			      X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(dep); i++)
		if (boot_cpu_has(dep[i].host) &&
		    kvm_guest_cpuid_has(vcpu, dep[i].guest))
			valid |= dep[i].cr4;
	/* KVM_SET_SREGS and MOV CR4 take LA57 only on an LA57 host. */
	if (!pgtable_l5_enabled())
		valid &= ~X86_CR4_LA57;
	return !(cr4 & ~valid);
}

/* CR4 bits whose change flushes the TLB, globals too (SDM vol. 3A 4.10.4.1). */
#define CR4_TLB_BITS	(X86_CR4_PGE | X86_CR4_PSE | X86_CR4_PAE |	\
			 X86_CR4_PCIDE | X86_CR4_SMEP | X86_CR4_SMAP |	\
			 X86_CR4_PKE | X86_CR4_LA57)

/*
 * The guest's MOV to CR4 (SDM vol. 2B, MOV--Move to/from Control Registers):
 * 1 for #GP.  In IA-32e mode PAE stays set and LA57 cannot change; PCIDE
 * may be set only in IA-32e mode with CR3[11:0] clear.
 */
int kvm_set_cr4(struct kvm_vcpu *vcpu, unsigned long cr4)
{
	unsigned long old = vcpu->arch.cr4;
	bool lma = vcpu->arch.efer & EFER_LMA;

	if (!kvm_is_valid_cr4(vcpu, cr4))
		return 1;
	if (lma && (!(cr4 & X86_CR4_PAE) || ((cr4 ^ old) & X86_CR4_LA57)))
		return 1;
	if ((cr4 & X86_CR4_PCIDE) && !(old & X86_CR4_PCIDE) &&
	    (!lma || (vcpu->arch.cr3 & 0xfff)))
		return 1;
	vcpu->arch.cr4 = cr4;
	if ((cr4 ^ old) & CR4_TLB_BITS)
		vcpu->arch.flush_guest_tlb = true;
	kvm_load_pdptrs(vcpu);
	return 0;
}

/*
 * The checks KVM makes before accepting control registers from userspace
 * (SDM vol. 3A, 2.5 and 9.8.5; APM vol. 2, 3.1 and 14.6): anything else
 * would be refused by VMRUN, or accepted by it and mean nonsense.
 */
static bool kvm_is_valid_sregs(struct kvm_vcpu *vcpu, const struct kvm_sregs *s)
{
	if (s->cr0 >> 32 || !kvm_is_valid_cr4(vcpu, s->cr4) || s->cr8 >> 4)
		return false;
	if (!vcpu->arch.apic && !kvm_msr_apic_base_valid(vcpu, s->apic_base))
		return false;
	if ((s->cr0 & X86_CR0_PG) && !(s->cr0 & X86_CR0_PE))
		return false;
	if ((s->cr0 & X86_CR0_NW) && !(s->cr0 & X86_CR0_CD))
		return false;
	if ((s->efer & EFER_LME) && (s->cr0 & X86_CR0_PG)) {
		/* Long mode: PAE paging with LMA set, CR3 within MAXPHYADDR. */
		if (!(s->cr4 & X86_CR4_PAE) || !(s->efer & EFER_LMA))
			return false;
		if (s->cr3 >> kvm_guest_maxphyaddr(vcpu))
			return false;
	} else if ((s->efer & EFER_LMA) || s->cs.l) {
		return false;
	}
	return true;
}

static int kvm_set_sregs_common(struct kvm_vcpu *vcpu,
				const struct kvm_sregs *s)
{
	const struct kvm_x86_ops *ops = kvm_x86_ops;

	/*
	 * EFER is not checked here, as in KVM: a reserved bit makes VMRUN
	 * fail, and KVM_RUN report KVM_EXIT_FAIL_ENTRY.
	 */
	if (!kvm_is_valid_sregs(vcpu, s))
		return -EINVAL;

	vcpu->arch.cr0 = s->cr0;
	vcpu->arch.cr2 = s->cr2;
	vcpu->arch.cr3 = s->cr3;
	vcpu->arch.cr4 = s->cr4;
	vcpu->arch.efer = s->efer;
	if (vcpu->arch.apic) {
		/* Host-initiated: the model checks the value (lapic_regs.h). */
		if (kvm_lapic_set_base(vcpu, s->apic_base, true))
			return -EINVAL;
	} else {
		vcpu->arch.apic_base = s->apic_base;
	}
	ops->set_cr8(vcpu, s->cr8);
	kvm_lapic_after_exit(vcpu);	/* CR8 into the APIC's TPR */
	ops->set_dtable(vcpu, &s->idt, true);
	ops->set_dtable(vcpu, &s->gdt, false);
	ops->set_segment(vcpu, &s->cs, VCPU_SREG_CS);
	ops->set_segment(vcpu, &s->ds, VCPU_SREG_DS);
	ops->set_segment(vcpu, &s->es, VCPU_SREG_ES);
	ops->set_segment(vcpu, &s->fs, VCPU_SREG_FS);
	ops->set_segment(vcpu, &s->gs, VCPU_SREG_GS);
	ops->set_segment(vcpu, &s->ss, VCPU_SREG_SS);
	ops->set_segment(vcpu, &s->tr, VCPU_SREG_TR);
	ops->set_segment(vcpu, &s->ldt, VCPU_SREG_LDTR);
	vcpu->arch.exception.pending = false;
	/* New paging state: nothing the guest cached may survive it. */
	vcpu->arch.flush_guest_tlb = true;
	kvm_load_pdptrs(vcpu);
	return 0;
}

/*
 * KVM_SET_SREGS: the lowest vector set in interrupt_bitmap becomes the
 * external interrupt being delivered (KVM queues it the same way).
 */
static int kvm_set_sregs(struct kvm_vcpu *vcpu, const struct kvm_sregs *s)
{
	unsigned long vec;
	int r = kvm_set_sregs_common(vcpu, s);

	if (r)
		return r;
	vec = find_first_bit((const unsigned long *)s->interrupt_bitmap,
			     KVM_NR_INTERRUPTS);
	if (vec < KVM_NR_INTERRUPTS) {
		vcpu->arch.interrupt.injected = true;
		vcpu->arch.interrupt.nr = vec;
		vcpu->arch.interrupt.soft = false;
	}
	return 0;
}

/* PAE paging (SDM vol. 3A, 4.4): the four PDPTEs come from CR3. */
static bool kvm_is_pae_paging(u64 cr0, u64 cr4, u64 efer)
{
	return (cr0 & X86_CR0_PG) && (cr4 & X86_CR4_PAE) && !(efer & EFER_LMA);
}

/*
 * Entering or staying in PAE paging through a change Kestrel makes (a
 * MOV to CR0/CR3/CR4 it emulates, KVM_SET_SREGS): the CPU would load the
 * four PDPTEs from CR3 now (SDM vol. 3A, 4.4.1), and the VMX backend
 * passes them to VM entry (SDM vol. 3C, 26.3.2.4).  Unreadable ones are 0
 * (not present).  Called where sleeping is allowed.
 */
void kvm_load_pdptrs(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;

	a->pdptrs_cached = kvm_is_pae_paging(a->cr0, a->cr4, a->efer);
	if (a->pdptrs_cached &&
	    kvm_vcpu_read_guest(vcpu, a->cr3 & ~0x1fULL, a->pdptrs,
				sizeof(a->pdptrs)))
		memset(a->pdptrs, 0, sizeof(a->pdptrs));
}

/*
 * KVM_GET_SREGS2 (api.rst 4.131): KVM_GET_SREGS without the interrupt
 * bitmap, and with PAE paging the PDPTEs.  Nested paging has no PDPTE
 * registers to read (the CPU walks the PDPT in guest memory, APM vol. 2,
 * 15.25.5), so they are what the guest's CR3 points to, or what
 * KVM_SET_SREGS2 gave until the vCPU runs again, as in KVM.
 */
static void kvm_get_sregs2(struct kvm_vcpu *vcpu, void *v)
{
	struct kvm_sregs2 *s2 = v;
	struct kvm_vcpu_arch *a = &vcpu->arch;

	BUILD_BUG_ON(offsetof(struct kvm_sregs2, flags) !=
		     offsetof(struct kvm_sregs, interrupt_bitmap));
	kvm_get_sregs_common(vcpu, (struct kvm_sregs *)s2);
	if (!kvm_is_pae_paging(a->cr0, a->cr4, a->efer))
		return;
	if (!a->pdptrs_cached &&
	    kvm_vcpu_read_guest(vcpu, a->cr3 & ~0x1fULL, a->pdptrs,
				sizeof(a->pdptrs)))
		memset(a->pdptrs, 0, sizeof(a->pdptrs));
	memcpy(s2->pdptrs, a->pdptrs, sizeof(s2->pdptrs));
	s2->flags |= KVM_SREGS2_FLAGS_PDPTRS_VALID;
}

/* KVM_SET_SREGS2: PDPTEs are accepted only with PAE paging, as in KVM. */
static int kvm_set_sregs2(struct kvm_vcpu *vcpu, const void *v)
{
	const struct kvm_sregs2 *s2 = v;
	bool valid = s2->flags & KVM_SREGS2_FLAGS_PDPTRS_VALID;
	int r;

	if (s2->flags & ~(u64)KVM_SREGS2_FLAGS_PDPTRS_VALID)
		return -EINVAL;
	if (valid && !kvm_is_pae_paging(s2->cr0, s2->cr4, s2->efer))
		return -EINVAL;
	r = kvm_set_sregs_common(vcpu, (const struct kvm_sregs *)s2);
	if (r || !valid)
		return r;
	memcpy(vcpu->arch.pdptrs, s2->pdptrs, sizeof(vcpu->arch.pdptrs));
	vcpu->arch.pdptrs_cached = true;
	return 0;
}

/*
 * The legacy FXSAVE image is the start of the guest's xstate buffer.  The
 * guest FPU is not loaded outside KVM_RUN, so the buffer is current.
 */
static struct fxregs_state *kvm_guest_fxsave(struct kvm_vcpu *vcpu)
{
	return &vcpu->arch.guest_fpu.fpstate->regs.fxsave;
}

static void kvm_get_fpu(struct kvm_vcpu *vcpu, struct kvm_fpu *fpu)
{
	struct fxregs_state *fx = kvm_guest_fxsave(vcpu);

	memset(fpu, 0, sizeof(*fpu));
	memcpy(fpu->fpr, fx->st_space, sizeof(fpu->fpr));
	fpu->fcw = fx->cwd;
	fpu->fsw = fx->swd;
	fpu->ftwx = fx->twd;
	fpu->last_opcode = fx->fop;
	fpu->last_ip = fx->rip;
	fpu->last_dp = fx->rdp;
	memcpy(fpu->xmm, fx->xmm_space, sizeof(fpu->xmm));
	fpu->mxcsr = fx->mxcsr;
}

static int kvm_set_fpu(struct kvm_vcpu *vcpu, const struct kvm_fpu *fpu)
{
	struct fpstate *fps = vcpu->arch.guest_fpu.fpstate;
	struct fxregs_state *fx = kvm_guest_fxsave(vcpu);

	/* A reserved MXCSR bit would make FXRSTOR/XRSTOR fault. */
	if (fpu->mxcsr & ~mxcsr_feature_mask)
		return -EINVAL;
	memcpy(fx->st_space, fpu->fpr, sizeof(fpu->fpr));
	fx->cwd = fpu->fcw;
	fx->swd = fpu->fsw;
	fx->twd = fpu->ftwx;
	fx->fop = fpu->last_opcode;
	fx->rip = fpu->last_ip;
	fx->rdp = fpu->last_dp;
	memcpy(fx->xmm_space, fpu->xmm, sizeof(fpu->xmm));
	fx->mxcsr = fpu->mxcsr;
	/* XRSTOR loads the legacy area only if its XSTATE_BV bits say so. */
	if (boot_cpu_has(X86_FEATURE_XSAVE))
		fps->regs.xsave.header.xfeatures |= XFEATURE_MASK_FPSSE;
	return 0;
}

/* Copy-out and copy-in around a state getter/setter. */
static long kvm_ioctl_get(struct kvm_vcpu *vcpu, void __user *argp,
			  size_t size, void (*get)(struct kvm_vcpu *, void *))
{
	void *v = kzalloc(size, GFP_KERNEL_ACCOUNT);
	long r;

	if (!v)
		return -ENOMEM;
	get(vcpu, v);
	r = copy_to_user(argp, v, size) ? -EFAULT : 0;
	kfree(v);
	return r;
}

static long kvm_ioctl_set(struct kvm_vcpu *vcpu, void __user *argp,
			  size_t size, int (*set)(struct kvm_vcpu *, const void *))
{
	void *v = memdup_user(argp, size);
	long r;

	if (IS_ERR(v))
		return PTR_ERR(v);
	r = set(vcpu, v);
	kfree(v);
	return r;
}

static void kvm_get_debugregs(struct kvm_vcpu *vcpu, void *v)
{
	struct kvm_debugregs *d = v;

	memcpy(d->db, vcpu->arch.db, sizeof(d->db));
	d->dr6 = vcpu->arch.dr6;
	d->dr7 = vcpu->arch.dr7;
}

/* DR6 and DR7 bits 63:32 are reserved (SDM vol. 3B, 18.2.3-18.2.4). */
static int kvm_set_debugregs(struct kvm_vcpu *vcpu, const void *v)
{
	const struct kvm_debugregs *d = v;

	if (d->flags || d->dr6 >> 32 || d->dr7 >> 32)
		return -EINVAL;
	memcpy(vcpu->arch.db, d->db, sizeof(d->db));
	vcpu->arch.dr6 = d->dr6;
	vcpu->arch.dr7 = d->dr7;
	return 0;
}

static void kvm_get_xcrs(struct kvm_vcpu *vcpu, void *v)
{
	struct kvm_xcrs *x = v;

	if (!boot_cpu_has(X86_FEATURE_XSAVE))
		return;
	x->nr_xcrs = 1;
	x->xcrs[0].xcr = XCR_XFEATURE_ENABLED_MASK;
	x->xcrs[0].value = vcpu->arch.xcr0;
}

/* Only XCR0 exists; any other XCR in the list is ignored, as in KVM. */
static int kvm_set_xcrs(struct kvm_vcpu *vcpu, const void *v)
{
	const struct kvm_xcrs *x = v;
	u32 i;

	if (!boot_cpu_has(X86_FEATURE_XSAVE) || x->nr_xcrs > KVM_MAX_XCRS ||
	    x->flags)
		return -EINVAL;
	for (i = 0; i < x->nr_xcrs; i++)
		if (x->xcrs[i].xcr == XCR_XFEATURE_ENABLED_MASK)
			return kvm_set_xcr0(vcpu, x->xcrs[i].value) ? -EINVAL : 0;
	return 0;
}

/*
 * KVM_GET_VCPU_EVENTS without KVM_CAP_EXCEPTION_PAYLOAD: a pending and an
 * injected exception are reported alike, soft ones (INT3, INTO) not at all
 * since the ABI has no room for their instruction length: RIP is left at
 * the instruction, which raises them again (as in KVM).  No SIPI
 * without a LAPIC.
 */
static void kvm_get_vcpu_events(struct kvm_vcpu *vcpu, void *v)
{
	struct kvm_vcpu_events *ev = v;
	struct kvm_vcpu_arch *a = &vcpu->arch;

	if (!kvm_exception_is_soft(a->exception.vector))
		ev->exception.injected = a->exception.injected ||
					 a->exception.pending;
	ev->exception.nr = a->exception.vector;
	ev->exception.has_error_code = a->exception.has_error_code;
	ev->exception.error_code = a->exception.error_code;
	ev->interrupt.injected = a->interrupt.injected && !a->interrupt.soft;
	ev->interrupt.nr = a->interrupt.nr;
	ev->interrupt.shadow = kvm_x86_ops->get_interrupt_shadow(vcpu);
	ev->nmi.injected = a->nmi_injected;
	ev->nmi.pending = a->nmi_pending != 0;
	ev->nmi.masked = a->nmi_masked;
	kvm_smm_get_events(vcpu, ev);
	ev->flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW |
		    KVM_VCPUEVENT_VALID_SMM;
}

static int kvm_set_vcpu_events(struct kvm_vcpu *vcpu, const void *v)
{
	const struct kvm_vcpu_events *ev = v;
	struct kvm_vcpu_arch *a = &vcpu->arch;

	/* Payloads and triple-fault events are opt-in capabilities: not here. */
	if (ev->flags & ~(KVM_VCPUEVENT_VALID_NMI_PENDING |
			  KVM_VCPUEVENT_VALID_SIPI_VECTOR |
			  KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_SMM))
		return -EINVAL;
	if (ev->exception.injected &&
	    (ev->exception.nr > 31 || ev->exception.nr == NMI_VECTOR))
		return -EINVAL;
	if (kvm_smm_check_events(vcpu, ev))
		return -EINVAL;

	a->exception.pending = false;
	a->exception.injected = ev->exception.injected;
	a->exception.vector = ev->exception.nr;
	a->exception.has_error_code = ev->exception.has_error_code;
	a->exception.error_code = ev->exception.error_code;
	/* A soft interrupt is executed again, as after any exit. */
	a->interrupt.injected = ev->interrupt.injected && !ev->interrupt.soft;
	a->interrupt.nr = ev->interrupt.nr;
	a->interrupt.soft = false;
	if (ev->flags & KVM_VCPUEVENT_VALID_SHADOW)
		kvm_x86_ops->set_interrupt_shadow(vcpu, ev->interrupt.shadow);
	a->nmi_injected = ev->nmi.injected;
	a->nmi_masked = ev->nmi.masked;
	kvm_x86_ops->set_nmi_mask(vcpu, a->nmi_masked);
	/* A flag, as KVM_GET_VCPU_EVENTS reports it. */
	if (ev->flags & KVM_VCPUEVENT_VALID_NMI_PENDING)
		a->nmi_pending = !!ev->nmi.pending;
	kvm_smm_set_events(vcpu, ev);
	return 0;
}

/*
 * KVM_INTERRUPT with the irqchip in userspace: deliver at the next entry.
 * As in KVM 6.1, a second one before then replaces the first.
 */
static long kvm_vcpu_ioctl_interrupt(struct kvm_vcpu *vcpu, void __user *argp)
{
	struct kvm_interrupt irq;

	if (copy_from_user(&irq, argp, sizeof(irq)))
		return -EFAULT;
	if (irq.irq >= KVM_NR_INTERRUPTS)
		return -EINVAL;
	/* KVM 6.1: -ENXIO with the in-kernel PIC, which is the only one. */
	if (kvm_irqchip_full(vcpu->kvm))
		return -ENXIO;
	/* Split irqchip: only userspace's PIC uses it, as ExtINT. */
	if (vcpu->arch.apic)
		return kvm_lapic_queue_extint(vcpu, irq.irq);
	vcpu->arch.interrupt.injected = true;
	vcpu->arch.interrupt.nr = irq.irq;
	vcpu->arch.interrupt.soft = false;
	return 0;
}

/*
 * KVM_NMI (api.rst 4.64): one NMI can wait while another is being handled,
 * further ones are lost (SDM vol. 3A, 6.7.1); KVM caps them the same way.
 */
static long kvm_vcpu_ioctl_nmi(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	u8 limit = (a->nmi_masked || a->nmi_injected) ? 1 : 2;

	if (a->nmi_pending < limit)
		a->nmi_pending++;
	return 0;
}

/*
 * KVM_SET_GUEST_DEBUG (api.rst 4.80): single-step, the debugger's hardware
 * breakpoints in place of the guest's while enabled, software breakpoints
 * (#BP) to userspace, and #DB/#BP injection.
 */
static int kvm_set_guest_debug(struct kvm_vcpu *vcpu, const void *v)
{
	const struct kvm_guest_debug *dbg = v;
	struct kvm_vcpu_arch *a = &vcpu->arch;
	u32 control = dbg->control;
	int i;

	if (control & ~KVM_GUESTDBG_VALID)
		return -EINVAL;
	if (control & (KVM_GUESTDBG_INJECT_DB | KVM_GUESTDBG_INJECT_BP)) {
		if (a->exception.pending || a->exception.injected)
			return -EBUSY;
		kvm_queue_exception(vcpu, (control & KVM_GUESTDBG_INJECT_DB) ?
				    X86_TRAP_DB : X86_TRAP_BP);
	}
	if (!(control & KVM_GUESTDBG_ENABLE))
		control = 0;
	if (control & KVM_GUESTDBG_USE_HW_BP) {
		for (i = 0; i < 4; i++)
			a->guest_debug_db[i] = dbg->arch.debugreg[i];
		a->guest_debug_dr7 = dbg->arch.debugreg[7];
	}
	a->guest_debug = control;
	kvm_x86_ops->update_guest_debug(vcpu);
	return 0;
}

/* The guest stopped for the debugger: KVM_EXIT_DEBUG (api.rst 5). */
int kvm_debug_exit(struct kvm_vcpu *vcpu, u32 exception, unsigned long dr6,
		   unsigned long dr7)
{
	struct kvm_run *run = vcpu->run;
	struct kvm_segment cs;

	kvm_x86_ops->get_segment(vcpu, &cs, VCPU_SREG_CS);
	run->exit_reason = KVM_EXIT_DEBUG;
	run->debug.arch.exception = exception;
	run->debug.arch.pad = 0;
	run->debug.arch.pc = cs.base + vcpu->arch.rip;
	run->debug.arch.dr6 = dr6;
	run->debug.arch.dr7 = dr7;
	return 0;
}

/*
 * KVM_SET_TSC_KHZ without TSC scaling: only the host's rate, within KVM's
 * tolerance of 250 ppm, can be honoured; 0 means the host's rate.
 */
static long kvm_vcpu_set_tsc_khz(struct kvm_vcpu *vcpu, unsigned long arg)
{
	u32 khz = (u32)arg ?: tsc_khz;
	u64 tol = (u64)tsc_khz * 250 / 1000000;

	if (!tsc_khz || khz < tsc_khz - tol || khz > tsc_khz + tol)
		return -EINVAL;
	vcpu->arch.virtual_tsc_khz = khz;
	return 0;
}

/*
 * Without an in-kernel LAPIC a vCPU is always runnable (api.rst 4.38).
 * With one, an INIT or SIPI another vCPU sent is taken first, as KVM 6.1
 * does (kvm_apic_accept_events()), so the state saved is the one after it.
 */
static void kvm_get_mp_state(struct kvm_vcpu *vcpu, void *v)
{
	struct kvm_mp_state *mp = v;

	kvm_lapic_process(vcpu);
	mp->mp_state = vcpu->arch.apic ? vcpu->arch.mp_state :
		       KVM_MP_STATE_RUNNABLE;
}

static int kvm_set_mp_state(struct kvm_vcpu *vcpu, const void *v)
{
	const struct kvm_mp_state *mp = v;

	/*
	 * Without an in-kernel APIC only RUNNABLE; with one, as KVM 6.1 on
	 * x86 without SMM: UNINITIALIZED, INIT_RECEIVED, HALTED, RUNNABLE,
	 * and SIPI_RECEIVED, which KVM turns into INIT_RECEIVED plus a
	 * pending SIPI (vector taken from the APIC's last SIPI).
	 */
	if (!vcpu->arch.apic)
		return mp->mp_state == KVM_MP_STATE_RUNNABLE ? 0 : -EINVAL;
	/* INIT is latched in SMM and KVM puts an SMI before it (KVM 6.1). */
	if ((vcpu->arch.smm.in_smm || vcpu->arch.smm.smi_pending) &&
	    (mp->mp_state == KVM_MP_STATE_INIT_RECEIVED ||
	     mp->mp_state == KVM_MP_STATE_SIPI_RECEIVED))
		return -EINVAL;
	switch (mp->mp_state) {
	case KVM_MP_STATE_RUNNABLE:
	case KVM_MP_STATE_UNINITIALIZED:
	case KVM_MP_STATE_INIT_RECEIVED:
	case KVM_MP_STATE_HALTED:
		vcpu->arch.mp_state = mp->mp_state;
		return 0;
	case KVM_MP_STATE_SIPI_RECEIVED:
		vcpu->arch.mp_state = KVM_MP_STATE_INIT_RECEIVED;
		kvm_lapic_set_sipi_pending(vcpu);
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * The components in KVM_GET/SET_XSAVE: x87 and SSE always, those the guest
 * may enable, and PKRU, which the guest may write with its own CR4.PKE.
 */
static u64 kvm_xsave_uabi_mask(void)
{
	return kvm_supported_xcr0 | XFEATURE_MASK_FPSSE |
	       (boot_cpu_has(X86_FEATURE_OSPKE) ? XFEATURE_MASK_PKRU : 0);
}

/*
 * KVM_GET_XSAVE(2): the guest's xstate in the standard (uncompacted)
 * layout, x87 and SSE always, and the components the guest may enable.
 */
static long kvm_get_xsave(struct kvm_vcpu *vcpu, void __user *argp,
			  unsigned int size)
{
	void *buf = kzalloc(size, GFP_KERNEL_ACCOUNT);
	long r;

	if (!buf)
		return -ENOMEM;
	fpu_copy_guest_fpstate_to_uabi(&vcpu->arch.guest_fpu, buf, size,
				       kvm_xsave_uabi_mask(), vcpu->arch.pkru);
	r = copy_to_user(argp, buf, size) ? -EFAULT : 0;
	kfree(buf);
	return r;
}

static long kvm_set_xsave(struct kvm_vcpu *vcpu, void __user *argp)
{
	unsigned int size = max_t(unsigned int, vcpu->arch.guest_fpu.uabi_size,
				  sizeof(struct kvm_xsave));
	void *buf = memdup_user(argp, size);
	long r;

	if (IS_ERR(buf))
		return PTR_ERR(buf);
	/* Rejects components beyond XCR0's reach and malformed headers. */
	r = fpu_copy_uabi_to_guest_fpstate(&vcpu->arch.guest_fpu, buf,
					   kvm_xsave_uabi_mask(), &vcpu->arch.pkru);
	kfree(buf);
	return r;
}

static void kvm_get_regs_v(struct kvm_vcpu *vcpu, void *v)
{
	kvm_get_regs(vcpu, v);
}

static int kvm_set_regs_v(struct kvm_vcpu *vcpu, const void *v)
{
	kvm_set_regs(vcpu, v);
	return 0;
}

static void kvm_get_sregs_v(struct kvm_vcpu *vcpu, void *v)
{
	kvm_get_sregs(vcpu, v);
}

static int kvm_set_sregs_v(struct kvm_vcpu *vcpu, const void *v)
{
	return kvm_set_sregs(vcpu, v);
}

static void kvm_get_fpu_v(struct kvm_vcpu *vcpu, void *v)
{
	kvm_get_fpu(vcpu, v);
}

static int kvm_set_fpu_v(struct kvm_vcpu *vcpu, const void *v)
{
	return kvm_set_fpu(vcpu, v);
}

/*
 * KVM_CAP_SYNC_REGS (api.rst, "kvm_run"): registers, special registers and
 * events through kvm_run instead of ioctls.  What userspace marked dirty
 * is copied out of the shared page first, so that it cannot change between
 * the checks and their use, and each flag is cleared once applied.
 */
static int kvm_sync_regs_in(struct kvm_vcpu *vcpu, u64 dirty)
{
	struct kvm_sync_regs *s = &vcpu->run->s.regs;
	union {
		struct kvm_regs regs;
		struct kvm_sregs sregs;
		struct kvm_vcpu_events events;
	} u;

	BUILD_BUG_ON(sizeof(struct kvm_sync_regs) > SYNC_REGS_SIZE_BYTES);
	if (dirty & KVM_SYNC_X86_REGS) {
		memcpy(&u.regs, &s->regs, sizeof(u.regs));
		kvm_set_regs(vcpu, &u.regs);
		vcpu->run->kvm_dirty_regs &= ~KVM_SYNC_X86_REGS;
	}
	if (dirty & KVM_SYNC_X86_SREGS) {
		memcpy(&u.sregs, &s->sregs, sizeof(u.sregs));
		if (kvm_set_sregs(vcpu, &u.sregs))
			return -EINVAL;
		vcpu->run->kvm_dirty_regs &= ~KVM_SYNC_X86_SREGS;
	}
	if (dirty & KVM_SYNC_X86_EVENTS) {
		memcpy(&u.events, &s->events, sizeof(u.events));
		if (kvm_set_vcpu_events(vcpu, &u.events))
			return -EINVAL;
		vcpu->run->kvm_dirty_regs &= ~KVM_SYNC_X86_EVENTS;
	}
	return 0;
}

static void kvm_sync_regs_out(struct kvm_vcpu *vcpu, u64 valid)
{
	struct kvm_sync_regs *s = &vcpu->run->s.regs;

	if (valid & KVM_SYNC_X86_REGS)
		kvm_get_regs(vcpu, &s->regs);
	if (valid & KVM_SYNC_X86_SREGS) {
		memset(&s->sregs, 0, sizeof(s->sregs));
		kvm_get_sregs(vcpu, &s->sregs);
	}
	if (valid & KVM_SYNC_X86_EVENTS) {
		memset(&s->events, 0, sizeof(s->events));
		kvm_get_vcpu_events(vcpu, &s->events);
	}
}

long kvm_arch_vcpu_ioctl(struct kvm_vcpu *vcpu, unsigned int ioctl,
			 unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (ioctl) {
	case KVM_GET_REGS:
		return kvm_ioctl_get(vcpu, argp, sizeof(struct kvm_regs),
				     kvm_get_regs_v);
	case KVM_SET_REGS:
		return kvm_ioctl_set(vcpu, argp, sizeof(struct kvm_regs),
				     kvm_set_regs_v);
	case KVM_GET_SREGS:
		return kvm_ioctl_get(vcpu, argp, sizeof(struct kvm_sregs),
				     kvm_get_sregs_v);
	case KVM_SET_SREGS:
		return kvm_ioctl_set(vcpu, argp, sizeof(struct kvm_sregs),
				     kvm_set_sregs_v);
	case KVM_GET_SREGS2:
		return kvm_ioctl_get(vcpu, argp, sizeof(struct kvm_sregs2),
				     kvm_get_sregs2);
	case KVM_SET_SREGS2:
		return kvm_ioctl_set(vcpu, argp, sizeof(struct kvm_sregs2),
				     kvm_set_sregs2);
	case KVM_GET_FPU:
		return kvm_ioctl_get(vcpu, argp, sizeof(struct kvm_fpu),
				     kvm_get_fpu_v);
	case KVM_SET_FPU:
		return kvm_ioctl_set(vcpu, argp, sizeof(struct kvm_fpu),
				     kvm_set_fpu_v);
	case KVM_GET_VCPU_EVENTS:
		return kvm_ioctl_get(vcpu, argp, sizeof(struct kvm_vcpu_events),
				     kvm_get_vcpu_events);
	case KVM_SET_VCPU_EVENTS:
		return kvm_ioctl_set(vcpu, argp, sizeof(struct kvm_vcpu_events),
				     kvm_set_vcpu_events);
	case KVM_GET_LAPIC:
	case KVM_SET_LAPIC:
		return kvm_lapic_vcpu_ioctl(vcpu, ioctl, argp);
	case KVM_SET_VAPIC_ADDR:
		return kvm_lapic_set_vapic_addr(vcpu, argp);
	case KVM_INTERRUPT:
		return kvm_vcpu_ioctl_interrupt(vcpu, argp);
	case KVM_NMI:
		return kvm_vcpu_ioctl_nmi(vcpu);
	case KVM_SMI:
		/* api.rst 4.96: taken at the next KVM_RUN (smm.c). */
		vcpu->arch.smm.smi_pending = true;
		return 0;
	case KVM_SET_GUEST_DEBUG:
		return kvm_ioctl_set(vcpu, argp, sizeof(struct kvm_guest_debug),
				     kvm_set_guest_debug);
	case KVM_SET_TSC_KHZ:
		return kvm_vcpu_set_tsc_khz(vcpu, arg);
	case KVM_GET_TSC_KHZ:
		return vcpu->arch.virtual_tsc_khz;
	case KVM_GET_DEBUGREGS:
		return kvm_ioctl_get(vcpu, argp, sizeof(struct kvm_debugregs),
				     kvm_get_debugregs);
	case KVM_SET_DEBUGREGS:
		return kvm_ioctl_set(vcpu, argp, sizeof(struct kvm_debugregs),
				     kvm_set_debugregs);
	case KVM_GET_XCRS:
		return kvm_ioctl_get(vcpu, argp, sizeof(struct kvm_xcrs),
				     kvm_get_xcrs);
	case KVM_SET_XCRS:
		return kvm_ioctl_set(vcpu, argp, sizeof(struct kvm_xcrs),
				     kvm_set_xcrs);
	case KVM_GET_MP_STATE:
		return kvm_ioctl_get(vcpu, argp, sizeof(struct kvm_mp_state),
				     kvm_get_mp_state);
	case KVM_SET_MP_STATE:
		return kvm_ioctl_set(vcpu, argp, sizeof(struct kvm_mp_state),
				     kvm_set_mp_state);
	case KVM_GET_XSAVE:
		return kvm_get_xsave(vcpu, argp, sizeof(struct kvm_xsave));
	case KVM_GET_XSAVE2:
		return kvm_get_xsave(vcpu, argp, kvm_xsave2_size());
	case KVM_SET_XSAVE:
		return kvm_set_xsave(vcpu, argp);
	case KVM_SET_CPUID:
	case KVM_SET_CPUID2:
	case KVM_GET_CPUID2:
		return kvm_vcpu_ioctl_cpuid(vcpu, ioctl, argp);
	case KVM_GET_MSRS:
	case KVM_SET_MSRS:
		return kvm_vcpu_ioctl_msr(vcpu, ioctl, argp);
	case KVM_X86_SETUP_MCE:
	case KVM_X86_SET_MCE:
		return kvm_vcpu_ioctl_mce(vcpu, ioctl, argp);
	case KVM_KVMCLOCK_CTRL:
		return kvm_vcpu_ioctl_kvmclock_ctrl(vcpu);
	case KVM_HAS_DEVICE_ATTR:
	case KVM_GET_DEVICE_ATTR:
	case KVM_SET_DEVICE_ATTR:
		return kvm_vcpu_ioctl_device_attr(vcpu, ioctl, argp);
	case KVM_ENABLE_CAP:
		return kvm_vcpu_ioctl_enable_cap(vcpu, argp);
	default:
		return -ENOTTY;
	}
}
