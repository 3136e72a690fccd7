// SPDX-License-Identifier: GPL-2.0
/*
 * MSRs: the ioctls (index lists, KVM_GET/SET_MSRS), the MSR filter and
 * user-space MSR exits, and the guest's RDMSR/WRMSR exits.
 *
 * One table maps each supported MSR (or range) to a get and a set handler,
 * used both for the guest's RDMSR/WRMSR and for userspace's KVM_GET_MSRS
 * and KVM_SET_MSRS ("host-initiated" accesses, which KVM lets bypass some
 * guest-visible checks so that any state a guest can reach can be
 * restored).  Handlers return 0, 1 for an access the MSR refuses (#GP for
 * the guest) or KVM_MSR_RET_UNSUPPORTED for an MSR Kestrel does not have,
 * the distinction userspace sees in kvm_run->msr.reason.
 */
#include <linux/kvm.h>
#include <linux/math64.h>
#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/srcu.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/mce.h>
#include <asm/msr-index.h>
#include <asm/msr.h>
#include <asm/traps.h>
#include <asm/tsc.h>

#include <kestrel/kvm_host.h>
#include "cpuid.h"
#include "kvmclock.h"
#include "lapic.h"
#include "msr.h"
#include "steal_time.h"
#include "x86.h"

#define KVM_MSR_RET_FILTERED	3	/* denied by KVM_X86_SET_MSR_FILTER */

/* KVM_GET_MSRS/KVM_SET_MSRS take fewer than this many entries (KVM 6.1). */
#define KVM_MSR_MAX_IO		256

/* KVM's microcode revision for a new vCPU on AMD. */
#define KVM_MSR_UCODE_REV_AMD	0x01000065ULL
/* MISC_ENABLE bits the guest reads as 1 and may not change (no PMU). */
#define KVM_MISC_ENABLE_RO	(MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL | \
				 MSR_IA32_MISC_ENABLE_BTS_UNAVAIL)
/* HWCR.McStatusWrEn (APM vol. 2, 9.3.2.4): MCi_STATUS writable. */
#define KVM_HWCR_MCSTATUSWREN	BIT_ULL(18)
/*
 * MTRR MSRs (SDM vol. 3A, 12.11.1-12.11.2.3; numbered here, the kernel's
 * names are CamelCase): IA32_MTRRCAP, the fixed ranges, IA32_MTRR_DEF_TYPE.
 */
#define KVM_MSR_MTRR_CAP	0xfe
#define KVM_MSR_MTRR_FIX64K	0x250
#define KVM_MSR_MTRR_FIX16K	0x258		/* 80000, A0000 */
#define KVM_MSR_MTRR_FIX4K	0x268		/* C0000 ... F8000 */
#define KVM_MSR_MTRR_FIX4K_LAST	0x26f
#define KVM_MSR_MTRR_DEF_TYPE	0x2ff
/* MTRRCAP: WC, fixed ranges, KVM_MSR_NR_VAR_MTRR variable ranges. */
#define KVM_MTRRCAP		(0x500 | KVM_MSR_NR_VAR_MTRR)
/* The last MCi_CTL2 and MCi_MISC of the banks (SDM vol. 4, table 2-2). */
#define KVM_MSR_MC_CTL2_LAST	(MSR_IA32_MC0_CTL2 + KVM_MSR_MCE_BANKS - 1)
#define KVM_MSR_MC_LAST		(MSR_IA32_MC0_CTL + 4 * KVM_MSR_MCE_BANKS - 1)

/*
 * Guest CPUID, from KVM_SET_CPUID2's table (empty until userspace sets
 * one, and then, as in KVM, the guest has none of the features below).
 */
enum { KVM_CPUID_EAX, KVM_CPUID_EBX, KVM_CPUID_ECX, KVM_CPUID_EDX };

static const struct kvm_cpuid_entry2 *msr_cpuid_entry(struct kvm_vcpu *vcpu,
						      u32 function, u32 index)
{
	const struct kvm_cpuid_entry2 *e;
	int i;

	for (i = 0; i < vcpu->arch.cpuid_nent; i++) {
		e = &vcpu->arch.cpuid_entries[i];
		if (e->function == function &&
		    (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ||
		     e->index == index))
			return e;
	}
	return NULL;
}

static bool guest_cpuid_bit(struct kvm_vcpu *vcpu, u32 function, u32 index,
			    int reg, int bit)
{
	const struct kvm_cpuid_entry2 *e = msr_cpuid_entry(vcpu, function,
							   index);
	u32 regs[4];

	if (!e)
		return false;
	regs[KVM_CPUID_EAX] = e->eax;
	regs[KVM_CPUID_EBX] = e->ebx;
	regs[KVM_CPUID_ECX] = e->ecx;
	regs[KVM_CPUID_EDX] = e->edx;
	return regs[reg] & BIT(bit);
}

/*
 * CPUID 8000_0008h:EAX[7:0], or 36 when absent (SDM vol. 3A, 4.1.4); at
 * most 52, the architectural limit, so that shifts by it stay defined.
 */
static int guest_maxphyaddr(struct kvm_vcpu *vcpu)
{
	const struct kvm_cpuid_entry2 *e = msr_cpuid_entry(vcpu, 0x80000008, 0);

	return e && (e->eax & 0xff) ? min(e->eax & 0xff, 52U) : 36;
}

static u64 guest_reserved_pa_bits(struct kvm_vcpu *vcpu)
{
	return GENMASK_ULL(63, guest_maxphyaddr(vcpu));
}

/* The guest's vendor string, CPUID 0:EBX,EDX,ECX. */
static bool guest_cpuid_vendor(struct kvm_vcpu *vcpu, const char *vendor)
{
	const struct kvm_cpuid_entry2 *e = msr_cpuid_entry(vcpu, 0, 0);
	u32 v[3];

	if (!e)
		return false;
	v[0] = e->ebx;
	v[1] = e->edx;
	v[2] = e->ecx;
	return !memcmp(v, vendor, sizeof(v));
}

static bool guest_cpuid_is_intel(struct kvm_vcpu *vcpu)
{
	return guest_cpuid_vendor(vcpu, "GenuineIntel");
}

static bool guest_cpuid_is_amd_or_hygon(struct kvm_vcpu *vcpu)
{
	return guest_cpuid_vendor(vcpu, "AuthenticAMD") ||
	       guest_cpuid_vendor(vcpu, "HygonGenuine");
}

/* Canonical for the guest's linear-address width (SDM vol. 1, 3.3.7.1). */
static bool msr_canonical(struct kvm_vcpu *vcpu, u64 addr)
{
	int bits = vcpu->arch.cr4 & X86_CR4_LA57 ? 57 : 48;

	return (u64)((s64)(addr << (64 - bits)) >> (64 - bits)) == addr;
}

/*
 * EFER (APM vol. 2, 3.1.7).  Only SCE, LME, LMA and NX are Kestrel's to
 * give.  LMA is the CPU's: it follows CR0.PG with LME, and writes of either
 * kind keep its current value, as in KVM.
 */
#define KVM_EFER_VALID	(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX)

static int msr_get_efer(struct kvm_vcpu *vcpu, u32 index, u64 *data,
			bool host)
{
	*data = vcpu->arch.efer;
	return 0;
}

static int msr_set_efer(struct kvm_vcpu *vcpu, u32 index, u64 data, bool host)
{
	u64 efer = vcpu->arch.efer;

	if (data & ~KVM_EFER_VALID)
		return 1;
	/*
	 * SDM vol. 3A, 10.8.5: LME may not change while paging is on.
	 * Userspace restoring state may, as in KVM.
	 */
	if (!host && ((data ^ efer) & EFER_LME) &&
	    (vcpu->arch.cr0 & X86_CR0_PG))
		return 1;
	vcpu->arch.efer = (data & ~EFER_LMA) | (efer & EFER_LMA);
	return 0;
}

/* MSRs the backend keeps in the VMCB/VMCS. */
static int msr_get_backend(struct kvm_vcpu *vcpu, u32 index, u64 *data,
			   bool host)
{
	return kvm_x86_ops->get_msr(vcpu, index, data) ?
	       KVM_MSR_RET_UNSUPPORTED : 0;
}

static int msr_set_backend(struct kvm_vcpu *vcpu, u32 index, u64 data,
			   bool host)
{
	return kvm_x86_ops->set_msr(vcpu, index, data) ?
	       KVM_MSR_RET_UNSUPPORTED : 0;
}

/*
 * FS/GS bases, KERNEL_GS_BASE, LSTAR and CSTAR hold linear addresses: a
 * non-canonical value is #GP (SDM vol. 4, WRMSR), and KVM refuses it from
 * userspace too, since VM entry would fail with it.
 */
static int msr_set_canonical(struct kvm_vcpu *vcpu, u32 index, u64 data,
			     bool host)
{
	if (!msr_canonical(vcpu, data))
		return 1;
	return msr_set_backend(vcpu, index, data, host);
}

/*
 * SYSENTER_ESP/EIP: AMD has no 64-bit SYSENTER and keeps 32 bits (APM
 * vol. 2, 6.1.1), so a non-canonical write does not fault.  As KVM: the
 * value is made canonical; on SVM its high half is kept only for a guest
 * told it runs on Intel (which has 64-bit SYSENTER), on VMX always.
 */
static int msr_set_sysenter(struct kvm_vcpu *vcpu, u32 index, u64 data,
			    bool host)
{
	int bits = vcpu->arch.cr4 & X86_CR4_LA57 ? 57 : 48;

	data = (u64)((s64)(data << (64 - bits)) >> (64 - bits));
	if (!kvm_x86_ops->sysenter_64bit && !guest_cpuid_is_intel(vcpu))
		data = (u32)data;
	return msr_set_backend(vcpu, index, data, host);
}

/*
 * A memory type byte of PAT or an MTRR: UC (0), WC (1), WT (4), WP (5),
 * WB (6); PAT also has UC- (7) (SDM vol. 3A, 12.11 and 12.12.2).  2, 3
 * and anything above 7 are reserved and #GP.
 */
static bool mtrr_type_valid(u64 type)
{
	return type < 8 && (BIT(type) & 0x73);
}

static bool pat_valid(u64 data)
{
	int i;

	for (i = 0; i < 8; i++) {
		u64 t = (data >> (i * 8)) & 0xff;

		if (t != 7 && !mtrr_type_valid(t))
			return false;
	}
	return true;
}

static int msr_set_pat(struct kvm_vcpu *vcpu, u32 index, u64 data, bool host)
{
	if (!pat_valid(data))
		return 1;
	return msr_set_backend(vcpu, index, data, host);
}

/*
 * The TSC.  The guest's is the host's plus tsc_offset (APM vol. 2,
 * 15.30.5); RDTSC runs unintercepted with that offset.  A write moves the
 * offset; the guest's own write also moves TSC_ADJUST by the same amount
 * (SDM vol. 3B, 18.17.3), userspace's does not (it restores both).
 */
static void msr_write_tsc_offset(struct kvm_vcpu *vcpu, u64 offset)
{
	vcpu->arch.msrs->tsc_offset = offset;
	kvm_x86_ops->write_tsc_offset(vcpu, offset);
	kvm_clock_tsc_changed(vcpu);
}

u64 kvm_read_guest_tsc(struct kvm_vcpu *vcpu)
{
	return rdtsc() + vcpu->arch.msrs->tsc_offset;
}

static int msr_get_tsc(struct kvm_vcpu *vcpu, u32 index, u64 *data,
		       bool host)
{
	*data = kvm_read_guest_tsc(vcpu);
	return 0;
}

/*
 * x2APIC MSRs 0x800-0x8ff: only with an in-kernel APIC, which #GPs them
 * outside x2APIC mode and for reserved or write-only registers (SDM vol.
 * 3A, 10.12.1.2); without one they do not exist.
 */
static int msr_get_x2apic(struct kvm_vcpu *vcpu, u32 index, u64 *data,
			  bool host)
{
	if (!lapic_in_kernel(vcpu))
		return KVM_MSR_RET_UNSUPPORTED;
	return kvm_lapic_msr_read(vcpu, index, data);
}

static int msr_set_x2apic(struct kvm_vcpu *vcpu, u32 index, u64 data,
			  bool host)
{
	if (!lapic_in_kernel(vcpu))
		return KVM_MSR_RET_UNSUPPORTED;
	return kvm_lapic_msr_write(vcpu, index, data);
}

/*
 * Userspace writes each vCPU's TSC one after the other (at creation, at
 * reset, on restore), yet a guest expects its CPUs' TSCs in step (SDM
 * vol. 3B, 18.17.1).  As KVM's kvm_synchronize_tsc(): a write of 0, or of
 * a value within one second of where the previous write would have got to
 * by now, at the same rate, is taken as meant to be in step with it and
 * gets the same offset.  Any other write starts a new offset.
 */
static void msr_sync_tsc(struct kvm_vcpu *vcpu, u64 data)
{
	struct kvm_vm_msrs *vm = vcpu->kvm->arch.msrs;
	u32 khz = vcpu->arch.virtual_tsc_khz;
	u64 offset, ns, elapsed, expect;
	bool match = false;
	unsigned long flags;

	spin_lock_irqsave(&vm->tsc_lock, flags);
	offset = data - rdtsc();
	ns = ktime_get_boottime_ns();
	elapsed = ns - vm->tsc_last_ns;
	if (khz && khz == vm->tsc_last_khz) {
		expect = vm->tsc_last_write +
			 mul_u64_u32_div(elapsed, khz, USEC_PER_SEC);
		match = !data || (data < expect + khz * 1000ULL &&
				  data + khz * 1000ULL > expect);
	}
	if (match && !check_tsc_unstable()) {
		offset = vm->tsc_offset;
	} else if (match) {
		/* The host TSCs differ: go by time instead. */
		offset = data + mul_u64_u32_div(elapsed, khz, USEC_PER_SEC) -
			 rdtsc();
	}
	vm->tsc_last_write = data;
	vm->tsc_last_ns = ns;
	vm->tsc_last_khz = khz;
	if (!match)
		vm->tsc_offset = offset;
	spin_unlock_irqrestore(&vm->tsc_lock, flags);
	msr_write_tsc_offset(vcpu, offset);
	kvm_clock_tsc_synced(vcpu->kvm);
}

/*
 * KVM_VCPU_TSC_OFFSET (Documentation/virt/kvm/devices/vcpu.rst, 4.1): the
 * guest TSC's offset from the host's, set directly so that a VMM can
 * restore TSCs that moved on with the host's (migration) rather than
 * freezing them at a value.  The same offset as the last write to a vCPU
 * of this VM keeps them in step; it is recorded as a write of the TSC for
 * msr_sync_tsc(), as KVM 6.1 records it.
 */
static void msr_set_tsc_offset(struct kvm_vcpu *vcpu, u64 offset)
{
	struct kvm_vm_msrs *vm = vcpu->kvm->arch.msrs;
	unsigned long flags;

	spin_lock_irqsave(&vm->tsc_lock, flags);
	vm->tsc_last_write = rdtsc() + offset;
	vm->tsc_last_ns = ktime_get_boottime_ns();
	vm->tsc_last_khz = vcpu->arch.virtual_tsc_khz;
	vm->tsc_offset = offset;
	spin_unlock_irqrestore(&vm->tsc_lock, flags);
	msr_write_tsc_offset(vcpu, offset);
	kvm_clock_tsc_synced(vcpu->kvm);
}

/*
 * KVM_HAS/GET/SET_DEVICE_ATTR on a vCPU: group KVM_VCPU_TSC_CTRL with its
 * one attribute, KVM_VCPU_TSC_OFFSET, a u64 at attr->addr.  Other groups
 * and attributes are -ENXIO, a bad address -EFAULT, as in KVM 6.1.
 */
long kvm_vcpu_ioctl_device_attr(struct kvm_vcpu *vcpu, unsigned int ioctl,
				void __user *argp)
{
	struct kvm_device_attr attr;
	u64 __user *uaddr;
	u64 offset;

	if (copy_from_user(&attr, argp, sizeof(attr)))
		return -EFAULT;
	if (attr.group != KVM_VCPU_TSC_CTRL || attr.attr != KVM_VCPU_TSC_OFFSET)
		return -ENXIO;
	uaddr = u64_to_user_ptr(attr.addr);
	switch (ioctl) {
	case KVM_HAS_DEVICE_ATTR:
		return 0;
	case KVM_GET_DEVICE_ATTR:
		return put_user(vcpu->arch.msrs->tsc_offset, uaddr) ? -EFAULT : 0;
	default:
		if (get_user(offset, uaddr))
			return -EFAULT;
		msr_set_tsc_offset(vcpu, offset);
		return 0;
	}
}

static int msr_set_tsc(struct kvm_vcpu *vcpu, u32 index, u64 data, bool host)
{
	struct kvm_vcpu_msrs *m = vcpu->arch.msrs;
	u64 offset;

	if (host) {
		msr_sync_tsc(vcpu, data);
		return 0;
	}
	offset = data - rdtsc();
	m->tsc_adjust += offset - m->tsc_offset;
	msr_write_tsc_offset(vcpu, offset);
	return 0;
}

/*
 * IA32_TSC_ADJUST: only with CPUID.7.0:EBX[1].  Without it KVM ignores
 * writes (no #GP) and reads what the guest's TSC writes accumulated.
 */
static int msr_get_tsc_adjust(struct kvm_vcpu *vcpu, u32 index, u64 *data,
			      bool host)
{
	*data = vcpu->arch.msrs->tsc_adjust;
	return 0;
}

static int msr_set_tsc_adjust(struct kvm_vcpu *vcpu, u32 index, u64 data,
			      bool host)
{
	struct kvm_vcpu_msrs *m = vcpu->arch.msrs;

	if (!guest_cpuid_bit(vcpu, 7, 0, KVM_CPUID_EBX, 1))
		return 0;
	if (!host)
		msr_write_tsc_offset(vcpu, m->tsc_offset + data - m->tsc_adjust);
	m->tsc_adjust = data;
	return 0;
}

/*
 * TSC_AUX (RDTSCP, RDPID).  Exists when the host has it; the guest may
 * access it only with CPUID RDTSCP (8000_0001h:EDX[27]) or RDPID
 * (7.0:ECX[22]).  The SDM reserves bits 63:32, AMD CPUs ignore them: KVM
 * enforces the former for Intel guests only and drops them otherwise.
 *
 * RDTSCP and RDPID run unintercepted: the guest's value is in the
 * hardware whenever the guest runs (kvm_msr_load_guest_uret()).
 */
static bool tsc_aux_exists(void)
{
	return boot_cpu_has(X86_FEATURE_RDTSCP) ||
	       boot_cpu_has(X86_FEATURE_RDPID);
}

static bool guest_has_tsc_aux(struct kvm_vcpu *vcpu, bool host)
{
	return host ||
	       guest_cpuid_bit(vcpu, 0x80000001, 0, KVM_CPUID_EDX, 27) ||
	       guest_cpuid_bit(vcpu, 7, 0, KVM_CPUID_ECX, 22);
}

void kvm_msr_load_guest_uret(struct kvm_vcpu *vcpu)
{
	if (tsc_aux_exists())
		kvm_uret_msr_set(KVM_URET_TSC_AUX, vcpu->arch.msrs->tsc_aux);
}

static int msr_get_tsc_aux(struct kvm_vcpu *vcpu, u32 index, u64 *data,
			   bool host)
{
	if (!tsc_aux_exists() || !guest_has_tsc_aux(vcpu, host))
		return 1;
	*data = vcpu->arch.msrs->tsc_aux;
	return 0;
}

static int msr_set_tsc_aux(struct kvm_vcpu *vcpu, u32 index, u64 data,
			   bool host)
{
	if (!tsc_aux_exists() || !guest_has_tsc_aux(vcpu, host))
		return 1;
	if ((data >> 32) && guest_cpuid_is_intel(vcpu))
		return 1;
	vcpu->arch.msrs->tsc_aux = (u32)data;
	return 0;
}

/*
 * IA32_MISC_ENABLE (SDM vol. 4, table 2-2).  With no PMU, the guest may
 * not change "BTS/PEBS unavailable"; writes to EMON (perfmon available)
 * are ignored.  Userspace may set anything.
 */
static int msr_get_misc_enable(struct kvm_vcpu *vcpu, u32 index, u64 *data,
			       bool host)
{
	*data = vcpu->arch.msrs->misc_enable;
	return 0;
}

static int msr_set_misc_enable(struct kvm_vcpu *vcpu, u32 index, u64 data,
			       bool host)
{
	u64 old = vcpu->arch.msrs->misc_enable;

	if (!host) {
		if ((old ^ data) & KVM_MISC_ENABLE_RO)
			return 1;
		data = (data & ~MSR_IA32_MISC_ENABLE_EMON) |
		       (old & MSR_IA32_MISC_ENABLE_EMON);
	}
	/*
	 * With KVM_X86_QUIRK_MISC_ENABLE_NO_MWAIT disabled, "ENABLE MONITOR
	 * FSM" (bit 18) shows in CPUID.1:ECX.MONITOR, as on Intel hardware;
	 * KVM 6.1 refuses to change it for a guest without SSE3.
	 */
	if (!kvm_check_has_quirk(vcpu->kvm, KVM_X86_QUIRK_MISC_ENABLE_NO_MWAIT) &&
	    ((old ^ data) & MSR_IA32_MISC_ENABLE_MWAIT)) {
		if (!kvm_guest_cpuid_has(vcpu, X86_FEATURE_XMM3))
			return 1;
		vcpu->arch.msrs->misc_enable = data;
		kvm_cpuid_update_runtime(vcpu);
		return 0;
	}
	vcpu->arch.msrs->misc_enable = data;
	return 0;
}

/*
 * IA32_APIC_BASE (SDM vol. 3A, 11.4.4): bits 0-7, 9 and those at and
 * above MAXPHYADDR are reserved; so is x2APIC enable (10) while the guest
 * has no x2APIC (Kestrel has no in-kernel APIC to give it), and EXTD
 * without EN is an invalid mode.  Stored only: there is no local APIC.
 */
static int msr_get_apic_base(struct kvm_vcpu *vcpu, u32 index, u64 *data,
			     bool host)
{
	*data = vcpu->arch.apic_base;
	return 0;
}

bool kvm_msr_apic_base_valid(struct kvm_vcpu *vcpu, u64 data)
{
	u64 reserved = guest_reserved_pa_bits(vcpu) | 0x2ff;

	if (!guest_cpuid_bit(vcpu, 1, 0, KVM_CPUID_ECX, 21))
		reserved |= X2APIC_ENABLE;
	if (data & reserved)
		return false;
	return !((data & X2APIC_ENABLE) && !(data & MSR_IA32_APICBASE_ENABLE));
}

static int msr_set_apic_base(struct kvm_vcpu *vcpu, u32 index, u64 data,
			     bool host)
{
	/* With an in-kernel APIC the model checks and applies (lapic.c). */
	if (lapic_in_kernel(vcpu))
		return kvm_lapic_set_base(vcpu, data, host);
	if (!kvm_msr_apic_base_valid(vcpu, data))
		return 1;
	vcpu->arch.apic_base = data;
	return 0;
}

/*
 * MTRRs (SDM vol. 3A, 12.11).  Stored and checked as KVM does; with NPT
 * and no assigned devices the guest's memory types are the guest PAT's,
 * so nothing else uses them.  Indices of 0x200-0x2ff that are no MTRR
 * fail as invalid, not unknown, as in KVM.
 */
static u64 *mtrr_slot(struct kvm_vcpu *vcpu, u32 index)
{
	struct kvm_vcpu_msrs *m = vcpu->arch.msrs;

	switch (index) {
	case KVM_MSR_MTRR_FIX64K:
		return &m->mtrr_fixed[0];
	case KVM_MSR_MTRR_FIX16K:
	case KVM_MSR_MTRR_FIX16K + 1:
		return &m->mtrr_fixed[1 + index - KVM_MSR_MTRR_FIX16K];
	case KVM_MSR_MTRR_FIX4K ... KVM_MSR_MTRR_FIX4K_LAST:
		return &m->mtrr_fixed[3 + index - KVM_MSR_MTRR_FIX4K];
	case KVM_MSR_MTRR_DEF_TYPE:
		return &m->mtrr_deftype;
	case 0x200 ... 0x200 + 2 * KVM_MSR_NR_VAR_MTRR - 1:
		return &m->mtrr_var[array_index_nospec(index - 0x200,
						       2 * KVM_MSR_NR_VAR_MTRR)];
	default:
		return NULL;
	}
}

static bool mtrr_valid(struct kvm_vcpu *vcpu, u32 index, u64 data)
{
	int i;

	if (index == KVM_MSR_MTRR_DEF_TYPE)
		return !(data & ~0xcffULL) && mtrr_type_valid(data & 0xff);
	if (index >= KVM_MSR_MTRR_FIX64K && index <= KVM_MSR_MTRR_FIX4K_LAST) {
		for (i = 0; i < 8; i++)
			if (!mtrr_type_valid((data >> (i * 8)) & 0xff))
				return false;
		return true;
	}
	/* PHYSBASEn: type in 7:0, 11:8 reserved; PHYSMASKn: 10:0 reserved. */
	if (!(index & 1))
		return mtrr_type_valid(data & 0xff) &&
		       !(data & (guest_reserved_pa_bits(vcpu) | 0xf00));
	return !(data & (guest_reserved_pa_bits(vcpu) | 0x7ff));
}

static int msr_get_mtrr(struct kvm_vcpu *vcpu, u32 index, u64 *data,
			bool host)
{
	u64 *slot = mtrr_slot(vcpu, index);

	if (!slot)
		return 1;
	*data = *slot;
	return 0;
}

static int msr_set_mtrr(struct kvm_vcpu *vcpu, u32 index, u64 data, bool host)
{
	u64 *slot = mtrr_slot(vcpu, index);

	if (!slot || !mtrr_valid(vcpu, index, data))
		return 1;
	*slot = data;
	return 0;
}

static int msr_get_mtrrcap(struct kvm_vcpu *vcpu, u32 index, u64 *data,
			   bool host)
{
	*data = KVM_MTRRCAP;
	return 0;
}

/*
 * Machine check (SDM vol. 3B, 16.3; APM vol. 2, 9.3).  KVM_MSR_MCE_BANKS
 * banks of CTL, STATUS, ADDR, MISC at 0x400; CTL2 (CMCI) at 0x280, which
 * the guest may not touch without MCG_CAP.CMCI_P and userspace may only
 * clear; MCG_CTL likewise without MCG_CAP.CTL_P.
 */
static unsigned int mce_nr_banks(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.msrs->mcg_cap & 0xff;
}

static int msr_get_mcg(struct kvm_vcpu *vcpu, u32 index, u64 *data, bool host)
{
	struct kvm_vcpu_msrs *m = vcpu->arch.msrs;

	switch (index) {
	case MSR_IA32_MCG_CAP:
		*data = m->mcg_cap;
		return 0;
	case MSR_IA32_MCG_STATUS:
		*data = m->mcg_status;
		return 0;
	default:			/* MCG_CTL */
		if (!(m->mcg_cap & MCG_CTL_P) && !host)
			return 1;
		*data = m->mcg_ctl;
		return 0;
	}
}

static int msr_set_mcg(struct kvm_vcpu *vcpu, u32 index, u64 data, bool host)
{
	struct kvm_vcpu_msrs *m = vcpu->arch.msrs;

	switch (index) {
	case MSR_IA32_MCG_CAP:		/* read-only */
		return KVM_MSR_RET_UNSUPPORTED;
	case MSR_IA32_MCG_STATUS:
		m->mcg_status = data;
		return 0;
	default:			/* MCG_CTL: all ones or all zeros */
		if (!(m->mcg_cap & MCG_CTL_P) && (data || !host))
			return 1;
		if (data && data != ~0ULL)
			return 1;
		m->mcg_ctl = data;
		return 0;
	}
}

static int msr_get_mci(struct kvm_vcpu *vcpu, u32 index, u64 *data, bool host)
{
	u32 n = 4 * mce_nr_banks(vcpu);

	if (index - MSR_IA32_MC0_CTL >= n)
		return 1;
	*data = vcpu->arch.msrs->mce_banks[array_index_nospec(index -
						MSR_IA32_MC0_CTL, n)];
	return 0;
}

static int msr_set_mci(struct kvm_vcpu *vcpu, u32 index, u64 data, bool host)
{
	struct kvm_vcpu_msrs *m = vcpu->arch.msrs;
	u32 i = index - MSR_IA32_MC0_CTL, n = 4 * mce_nr_banks(vcpu);

	if (i >= n)
		return 1;
	/*
	 * MCi_CTL is all ones or zero (others are undefined), but old Linux
	 * clears bit 10 of bank 4 (K8 GART erratum) and UnixWare bit 0 of
	 * bank 1: KVM lets those pass and so does Kestrel.
	 */
	if (i % 4 == 0 && data && (data | BIT_ULL(10) | 1) != ~0ULL)
		return 1;
	/*
	 * MCi_STATUS: writing 0 clears it; AMD allows other values only with
	 * HWCR.McStatusWrEn (APM vol. 2, 9.3.2.4), and only if the guest is
	 * told it runs on AMD.
	 */
	if (i % 4 == 1 && data && !host &&
	    (!guest_cpuid_is_amd_or_hygon(vcpu) ||
	     !(m->hwcr & KVM_HWCR_MCSTATUSWREN)))
		return 1;
	m->mce_banks[array_index_nospec(i, n)] = data;
	return 0;
}

static int msr_get_mci_ctl2(struct kvm_vcpu *vcpu, u32 index, u64 *data,
			    bool host)
{
	u32 i = index - MSR_IA32_MC0_CTL2, n = mce_nr_banks(vcpu);

	if (i >= n || (!(vcpu->arch.msrs->mcg_cap & MCG_CMCI_P) && !host))
		return 1;
	*data = vcpu->arch.msrs->mci_ctl2[array_index_nospec(i, n)];
	return 0;
}

static int msr_set_mci_ctl2(struct kvm_vcpu *vcpu, u32 index, u64 data,
			    bool host)
{
	u32 i = index - MSR_IA32_MC0_CTL2, n = mce_nr_banks(vcpu);

	if (i >= n)
		return 1;
	if (!(vcpu->arch.msrs->mcg_cap & MCG_CMCI_P) && (data || !host))
		return 1;
	if (data & ~(MCI_CTL2_CMCI_EN | MCI_CTL2_CMCI_THRESHOLD_MASK))
		return 1;
	vcpu->arch.msrs->mci_ctl2[array_index_nospec(i, n)] = data;
	return 0;
}

/*
 * HWCR (APM vol. 2, 3.2.10): only McStatusWrEn is emulated; the flush
 * filter, IGNNE and TLB cache-disable bits are accepted and dropped, as
 * KVM does for old guests; anything else is refused.
 */
static int msr_get_hwcr(struct kvm_vcpu *vcpu, u32 index, u64 *data,
			bool host)
{
	*data = vcpu->arch.msrs->hwcr;
	return 0;
}

static int msr_set_hwcr(struct kvm_vcpu *vcpu, u32 index, u64 data, bool host)
{
	data &= ~(u64)(0x40 | 0x100 | 0x8);
	if (data && data != KVM_HWCR_MCSTATUSWREN)
		return 1;
	vcpu->arch.msrs->hwcr = data;
	return 0;
}

/*
 * Microcode revision: what userspace set (default as KVM on AMD); the
 * guest's writes (of the BIOS signature, SDM vol. 3A 10.11.7) are ignored.
 */
static int msr_get_ucode_rev(struct kvm_vcpu *vcpu, u32 index, u64 *data,
			     bool host)
{
	*data = vcpu->arch.msrs->ucode_rev;
	return 0;
}

static int msr_set_ucode_rev(struct kvm_vcpu *vcpu, u32 index, u64 data,
			     bool host)
{
	if (host)
		vcpu->arch.msrs->ucode_rev = data;
	return 0;
}

/* DE_CFG: LFENCE_SERIALIZE where the host has it; fixed for the guest. */
static u64 de_cfg_supported(void)
{
	return boot_cpu_has(X86_FEATURE_LFENCE_RDTSC) ?
	       MSR_AMD64_DE_CFG_LFENCE_SERIALIZE : 0;
}

static int msr_get_de_cfg(struct kvm_vcpu *vcpu, u32 index, u64 *data,
			  bool host)
{
	*data = vcpu->arch.msrs->de_cfg;
	return 0;
}

static int msr_set_de_cfg(struct kvm_vcpu *vcpu, u32 index, u64 data,
			  bool host)
{
	if (data & ~de_cfg_supported())
		return 1;
	if (!host && data != de_cfg_supported())
		return 1;
	vcpu->arch.msrs->de_cfg = data;
	return 0;
}

/*
 * IA32_XSS: Kestrel gives the guest no XSAVES and no supervisor state
 * components (KVM 6.1 on SVM supports none either), so the guest's
 * accesses #GP and userspace may only write 0.
 */
static int msr_get_xss(struct kvm_vcpu *vcpu, u32 index, u64 *data, bool host)
{
	if (!host && !guest_cpuid_bit(vcpu, 0xd, 1, KVM_CPUID_EAX, 3))
		return 1;
	*data = 0;
	return 0;
}

static int msr_set_xss(struct kvm_vcpu *vcpu, u32 index, u64 data, bool host)
{
	if (!host && !guest_cpuid_bit(vcpu, 0xd, 1, KVM_CPUID_EAX, 3))
		return 1;
	return data ? 1 : 0;
}

/*
 * IA32_PRED_CMD: write-only, IBPB the only command (SDM vol. 4, table 2-2;
 * AMD's "Indirect Branch Control Extension").  The guest may use it with
 * CPUID AMD_IBPB (8000_0008h:EBX[12]) or SPEC_CTRL (7.0:EDX[26]); the
 * barrier is the host CPU's own, so it is issued for real.
 */
static int msr_get_pred_cmd(struct kvm_vcpu *vcpu, u32 index, u64 *data,
			    bool host)
{
	return 1;
}

static int msr_set_pred_cmd(struct kvm_vcpu *vcpu, u32 index, u64 data,
			    bool host)
{
	if (!host && !guest_cpuid_bit(vcpu, 0x80000008, 0, KVM_CPUID_EBX, 12) &&
	    !guest_cpuid_bit(vcpu, 7, 0, KVM_CPUID_EDX, 26))
		return 1;
	if ((data & ~PRED_CMD_IBPB) || !boot_cpu_has(X86_FEATURE_IBPB))
		return 1;
	if (data)
		wrmsrl(MSR_IA32_PRED_CMD, PRED_CMD_IBPB);
	return 0;
}

/*
 * MSR_IA32_POWER_CTL only keeps what is written, by guest and userspace
 * alike, as KVM: Linux guests on Intel models touch it, nothing here
 * depends on it.
 */
static int msr_get_stored(struct kvm_vcpu *vcpu, u32 index, u64 *data,
			  bool host)
{
	*data = vcpu->arch.msrs->power_ctl;
	return 0;
}

static int msr_set_stored(struct kvm_vcpu *vcpu, u32 index, u64 data,
			  bool host)
{
	vcpu->arch.msrs->power_ctl = data;
	return 0;
}

/*
 * MSR_PLATFORM_INFO and MSR_MISC_FEATURES_ENABLES: KVM's CPUID faulting
 * (Intel's, documented in its "Virtualization Technology FlexMigration"
 * application note; KVM offers it to every guest).  PLATFORM_INFO[31]
 * says faulting exists, and only userspace may change it (not to 0
 * while faulting is on); the guest reads it unless the VMM turned that
 * off with KVM_CAP_MSR_PLATFORM_INFO.  MISC_FEATURES_ENABLES[0] turns it on.
 */
static int msr_get_platform_info(struct kvm_vcpu *vcpu, u32 index, u64 *data,
				 bool host)
{
	if (!host && !READ_ONCE(vcpu->kvm->arch.msrs->guest_can_read_platform_info))
		return 1;
	*data = vcpu->arch.msrs->platform_info;
	return 0;
}

static int msr_set_platform_info(struct kvm_vcpu *vcpu, u32 index, u64 data,
				 bool host)
{
	if (!host || (!(data & MSR_PLATFORM_INFO_CPUID_FAULT) &&
		      kvm_msr_cpuid_faulting(vcpu)))
		return 1;
	vcpu->arch.msrs->platform_info = data;
	return 0;
}

static int msr_get_misc_features(struct kvm_vcpu *vcpu, u32 index, u64 *data,
				 bool host)
{
	*data = vcpu->arch.msrs->misc_features_enables;
	return 0;
}

static int msr_set_misc_features(struct kvm_vcpu *vcpu, u32 index, u64 data,
				 bool host)
{
	if (data & ~MSR_MISC_FEATURES_ENABLES_CPUID_FAULT)
		return 1;
	if ((data & MSR_MISC_FEATURES_ENABLES_CPUID_FAULT) &&
	    !(vcpu->arch.msrs->platform_info & MSR_PLATFORM_INFO_CPUID_FAULT))
		return 1;
	vcpu->arch.msrs->misc_features_enables = data;
	return 0;
}

bool kvm_msr_cpuid_faulting(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.msrs->misc_features_enables &
	       MSR_MISC_FEATURES_ENABLES_CPUID_FAULT;
}

/*
 * IA32_TSC_DEADLINE: the in-kernel LAPIC's timer when there is one;
 * otherwise the value is only kept (and migrated) for userspace's LAPIC.
 */
static int msr_get_tsc_deadline(struct kvm_vcpu *vcpu, u32 index, u64 *data,
				bool host)
{
	if (lapic_in_kernel(vcpu)) {
		*data = kvm_lapic_get_tscdeadline(vcpu);
		return 0;
	}
	*data = vcpu->arch.msrs->tsc_deadline;
	return 0;
}

static int msr_set_tsc_deadline(struct kvm_vcpu *vcpu, u32 index, u64 data,
				bool host)
{
	/* The model arms the timer only in TSC-deadline mode (SDM 10.5.4.1). */
	if (lapic_in_kernel(vcpu)) {
		kvm_lapic_set_tscdeadline(vcpu, data);
		return 0;
	}
	vcpu->arch.msrs->tsc_deadline = data;
	return 0;
}

/*
 * IA32_PERF_CAPABILITIES: with no PMU there is no capability; KVM 6.1 lets
 * userspace write only supported bits (none), and the guest read it only
 * with CPUID PDCM (1:ECX[15]), which Kestrel does not offer.
 */
static int msr_get_perf_caps(struct kvm_vcpu *vcpu, u32 index, u64 *data,
			     bool host)
{
	if (!host && !guest_cpuid_bit(vcpu, 1, 0, KVM_CPUID_ECX, 15))
		return 1;
	*data = 0;
	return 0;
}

static int msr_set_perf_caps(struct kvm_vcpu *vcpu, u32 index, u64 data,
			     bool host)
{
	return !host || data;
}

/*
 * SMBASE (smm.c): only userspace reads and writes it, as in KVM; the guest
 * relocates it through the state-save area and RSM.  SMI_COUNT: the SMIs
 * taken, readable by the guest, written only by userspace.
 */
static int msr_get_smbase(struct kvm_vcpu *vcpu, u32 index, u64 *data,
			  bool host)
{
	if (!host)
		return 1;
	*data = vcpu->arch.smm.smbase;
	return 0;
}

static int msr_set_smbase(struct kvm_vcpu *vcpu, u32 index, u64 data,
			  bool host)
{
	if (!host)
		return 1;
	vcpu->arch.smm.smbase = data;
	return 0;
}

static int msr_get_smi_count(struct kvm_vcpu *vcpu, u32 index, u64 *data,
			     bool host)
{
	*data = vcpu->arch.smm.smi_count;
	return 0;
}

static int msr_set_smi_count(struct kvm_vcpu *vcpu, u32 index, u64 data,
			     bool host)
{
	if (!host)
		return 1;
	vcpu->arch.smm.smi_count = data;
	return 0;
}

struct kvm_msr_handler {
	u32 first, last;		/* last 0: just first */
	int (*get)(struct kvm_vcpu *vcpu, u32 index, u64 *data, bool host);
	/* NULL: read-only, a write is an unknown MSR as in KVM. */
	int (*set)(struct kvm_vcpu *vcpu, u32 index, u64 data, bool host);
};

#define MSR_ONE(i, g, s)	{ (i), 0, msr_get_##g, s }
#define MSR_RANGE(a, b, g, s)	{ (a), (b), msr_get_##g, s }

static const struct kvm_msr_handler kvm_msr_handlers[] = {
	MSR_ONE(MSR_EFER, efer, msr_set_efer),
	MSR_ONE(MSR_STAR, backend, msr_set_backend),
	MSR_ONE(MSR_LSTAR, backend, msr_set_canonical),
	MSR_ONE(MSR_CSTAR, backend, msr_set_canonical),
	MSR_ONE(MSR_SYSCALL_MASK, backend, msr_set_backend),
	MSR_ONE(MSR_KERNEL_GS_BASE, backend, msr_set_canonical),
	MSR_ONE(MSR_FS_BASE, backend, msr_set_canonical),
	MSR_ONE(MSR_GS_BASE, backend, msr_set_canonical),
	MSR_ONE(MSR_IA32_SYSENTER_CS, backend, msr_set_backend),
	MSR_ONE(MSR_IA32_SYSENTER_ESP, backend, msr_set_sysenter),
	MSR_ONE(MSR_IA32_SYSENTER_EIP, backend, msr_set_sysenter),
	MSR_ONE(MSR_IA32_CR_PAT, backend, msr_set_pat),
	MSR_ONE(MSR_IA32_TSC, tsc, msr_set_tsc),
	MSR_ONE(MSR_IA32_TSC_ADJUST, tsc_adjust, msr_set_tsc_adjust),
	MSR_ONE(MSR_TSC_AUX, tsc_aux, msr_set_tsc_aux),
	MSR_ONE(MSR_IA32_MISC_ENABLE, misc_enable, msr_set_misc_enable),
	MSR_ONE(MSR_IA32_APICBASE, apic_base, msr_set_apic_base),
	MSR_ONE(KVM_MSR_MTRR_CAP, mtrrcap, NULL),
	MSR_RANGE(0x200, MSR_IA32_MC0_CTL2 - 1, mtrr, msr_set_mtrr),
	MSR_RANGE(MSR_IA32_MC0_CTL2, KVM_MSR_MC_CTL2_LAST,
		  mci_ctl2, msr_set_mci_ctl2),
	MSR_RANGE(KVM_MSR_MC_CTL2_LAST + 1, 0x2ff, mtrr,
		  msr_set_mtrr),
	MSR_RANGE(MSR_IA32_MCG_CAP, MSR_IA32_MCG_CTL, mcg, msr_set_mcg),
	MSR_RANGE(MSR_IA32_MC0_CTL, KVM_MSR_MC_LAST,
		  mci, msr_set_mci),
	MSR_ONE(MSR_K7_HWCR, hwcr, msr_set_hwcr),
	MSR_ONE(MSR_IA32_UCODE_REV, ucode_rev, msr_set_ucode_rev),
	MSR_ONE(MSR_AMD64_DE_CFG, de_cfg, msr_set_de_cfg),
	MSR_ONE(MSR_IA32_XSS, xss, msr_set_xss),
	MSR_ONE(MSR_IA32_PRED_CMD, pred_cmd, msr_set_pred_cmd),
	MSR_ONE(MSR_IA32_POWER_CTL, stored, msr_set_stored),
	MSR_ONE(MSR_IA32_SMBASE, smbase, msr_set_smbase),
	MSR_ONE(MSR_SMI_COUNT, smi_count, msr_set_smi_count),
	MSR_ONE(MSR_IA32_TSC_DEADLINE, tsc_deadline, msr_set_tsc_deadline),
	MSR_RANGE(LAPIC_X2APIC_MSR_BASE, LAPIC_X2APIC_MSR_LAST, x2apic,
		  msr_set_x2apic),
	MSR_ONE(MSR_IA32_PERF_CAPABILITIES, perf_caps, msr_set_perf_caps),
	MSR_ONE(MSR_PLATFORM_INFO, platform_info, msr_set_platform_info),
	MSR_ONE(MSR_MISC_FEATURES_ENABLES, misc_features,
		msr_set_misc_features),
	{ MSR_KVM_WALL_CLOCK, MSR_KVM_SYSTEM_TIME,
	  kvm_clock_get_msr, kvm_clock_set_msr },
	{ MSR_KVM_WALL_CLOCK_NEW, MSR_KVM_SYSTEM_TIME_NEW,
	  kvm_clock_get_msr, kvm_clock_set_msr },
	{ MSR_KVM_STEAL_TIME, MSR_KVM_STEAL_TIME,
	  kvm_steal_time_get_msr, kvm_steal_time_set_msr },
};

/*
 * KVM_GET_MSR_INDEX_LIST: what userspace must save and restore beyond
 * KVM_GET_SREGS (so not EFER, FS/GS base or APIC base) and beyond what it
 * knows to save itself (MTRRs, MCE banks), as KVM lists them.
 */
static const u32 kvm_msrs_to_save[] = {
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
	MSR_STAR, MSR_CSTAR, MSR_KERNEL_GS_BASE, MSR_SYSCALL_MASK, MSR_LSTAR,
	MSR_IA32_TSC, MSR_IA32_CR_PAT, MSR_TSC_AUX,
	MSR_IA32_TSC_ADJUST, MSR_IA32_MISC_ENABLE, MSR_IA32_MCG_STATUS,
	MSR_IA32_MCG_CTL, MSR_IA32_UCODE_REV, MSR_K7_HWCR,
	MSR_PLATFORM_INFO, MSR_MISC_FEATURES_ENABLES, MSR_IA32_POWER_CTL,
	MSR_IA32_TSC_DEADLINE, MSR_IA32_SMBASE, MSR_SMI_COUNT,
	MSR_KVM_SYSTEM_TIME, MSR_KVM_WALL_CLOCK,
	MSR_KVM_SYSTEM_TIME_NEW, MSR_KVM_WALL_CLOCK_NEW,
	MSR_KVM_STEAL_TIME,
};

/* KVM_GET_MSR_FEATURE_INDEX_LIST: those of KVM 6.1's on AMD we have. */
static const u32 kvm_feature_msrs[] = {
	MSR_AMD64_DE_CFG, MSR_IA32_UCODE_REV, MSR_IA32_PERF_CAPABILITIES,
};

static const struct kvm_msr_handler *msr_handler(u32 index)
{
	const struct kvm_msr_handler *h;

	for (h = kvm_msr_handlers; h < kvm_msr_handlers +
	     ARRAY_SIZE(kvm_msr_handlers); h++)
		if (index == h->first ||
		    (index > h->first && index <= h->last))
			return h;
	return NULL;
}

static int kvm_msr_get(struct kvm_vcpu *vcpu, u32 index, u64 *data,
		       bool host)
{
	const struct kvm_msr_handler *h = msr_handler(index);

	if (!h)
		return KVM_MSR_RET_UNSUPPORTED;
	return h->get(vcpu, index, data, host);
}

static int kvm_msr_set(struct kvm_vcpu *vcpu, u32 index, u64 data, bool host)
{
	const struct kvm_msr_handler *h = msr_handler(index);

	if (!h || !h->set)
		return KVM_MSR_RET_UNSUPPORTED;
	return h->set(vcpu, index, data, host);
}

/*
 * The MSR filter (api.rst, KVM_X86_SET_MSR_FILTER): the first range that
 * contains @index and covers the access type decides; none: the default.
 * x2APIC MSRs (0x800-0x8ff) are never filtered.  Only the guest's accesses
 * are filtered.
 */
static bool kvm_msr_allowed(struct kvm_vcpu *vcpu, u32 index, u32 type)
{
	struct kvm *kvm = vcpu->kvm;
	struct kvm_msr_filter_k *f;
	bool allowed = true;
	int i, idx;

	if (index >= 0x800 && index <= 0x8ff)
		return true;
	idx = srcu_read_lock(&kvm->srcu);
	f = srcu_dereference(kvm->arch.msrs->filter, &kvm->srcu);
	if (f) {
		allowed = f->default_allow;
		for (i = 0; i < f->count; i++) {
			const struct kvm_msr_filter_range_k *r = &f->ranges[i];

			if (index >= r->base && index - r->base < r->nmsrs &&
			    (r->flags & type)) {
				allowed = test_bit(index - r->base, r->bitmap);
				break;
			}
		}
	}
	srcu_read_unlock(&kvm->srcu, idx);
	return allowed;
}

/*
 * Guest RDMSR/WRMSR
 */

static int kvm_complete_msr_access(struct kvm_vcpu *vcpu)
{
	if (vcpu->run->msr.error) {
		kvm_queue_exception_e(vcpu, X86_TRAP_GP, 0);
		return 1;
	}
	return kvm_x86_ops->skip_emulated_instruction(vcpu);
}

static int kvm_complete_rdmsr(struct kvm_vcpu *vcpu)
{
	u64 data = vcpu->run->msr.data;

	if (!vcpu->run->msr.error) {
		kvm_reg_write(vcpu, VCPU_REGS_RAX, (u32)data);
		kvm_reg_write(vcpu, VCPU_REGS_RDX, data >> 32);
	}
	return kvm_complete_msr_access(vcpu);
}

/*
 * A failed access goes to userspace when it asked for that kind of failure
 * with KVM_CAP_X86_USER_SPACE_MSR; it answers in run->msr.error (and data,
 * for RDMSR) and the next KVM_RUN finishes the instruction.
 */
static bool kvm_msr_user_exit(struct kvm_vcpu *vcpu, u32 index, bool write,
			      u64 data, int r)
{
	struct kvm_run *run = vcpu->run;
	u32 reason;

	if (r == KVM_MSR_RET_UNSUPPORTED)
		reason = KVM_MSR_EXIT_REASON_UNKNOWN;
	else if (r == KVM_MSR_RET_FILTERED)
		reason = KVM_MSR_EXIT_REASON_FILTER;
	else
		reason = KVM_MSR_EXIT_REASON_INVAL;
	if (!(READ_ONCE(vcpu->kvm->arch.msrs->user_space_msr_mask) & reason))
		return false;

	run->exit_reason = write ? KVM_EXIT_X86_WRMSR : KVM_EXIT_X86_RDMSR;
	run->msr.error = 0;
	memset(run->msr.pad, 0, sizeof(run->msr.pad));
	run->msr.reason = reason;
	run->msr.index = index;
	run->msr.data = data;
	vcpu->arch.complete_userspace_io = write ? kvm_complete_msr_access :
						   kvm_complete_rdmsr;
	return true;
}

/* An MSR the guest may not access, or does not exist, is #GP. */
int kvm_emulate_msr(struct kvm_vcpu *vcpu, bool write)
{
	u32 index = kvm_reg_read(vcpu, VCPU_REGS_RCX);
	u64 data = (kvm_reg_read(vcpu, VCPU_REGS_RDX) << 32) |
		   (u32)kvm_reg_read(vcpu, VCPU_REGS_RAX);
	int r;

	if (!kvm_msr_allowed(vcpu, index, write ? KVM_MSR_FILTER_WRITE :
						  KVM_MSR_FILTER_READ))
		r = KVM_MSR_RET_FILTERED;
	else if (write)
		r = kvm_msr_set(vcpu, index, data, false);
	else
		r = kvm_msr_get(vcpu, index, &data, false);

	if (!r) {
		if (!write) {
			kvm_reg_write(vcpu, VCPU_REGS_RAX, (u32)data);
			kvm_reg_write(vcpu, VCPU_REGS_RDX, data >> 32);
		}
		return kvm_x86_ops->skip_emulated_instruction(vcpu);
	}
	if (kvm_msr_user_exit(vcpu, index, write, write ? data : 0, r))
		return 0;
	kvm_queue_exception_e(vcpu, X86_TRAP_GP, 0);
	return 1;
}

/*
 * Ioctls
 */

long kvm_msr_check_extension(long ext)
{
	switch (ext) {
	case KVM_CAP_GET_MSR_FEATURES:
	case KVM_CAP_X86_USER_SPACE_MSR:
	case KVM_CAP_X86_MSR_FILTER:
	case KVM_CAP_MSR_PLATFORM_INFO:
		return 1;
	default:
		return 0;
	}
}

int kvm_vm_msr_init(struct kvm *kvm)
{
	struct kvm_vm_msrs *m = kzalloc(sizeof(*m), GFP_KERNEL_ACCOUNT);

	if (!m)
		return -ENOMEM;
	mutex_init(&m->filter_lock);
	spin_lock_init(&m->tsc_lock);
	m->guest_can_read_platform_info = true;
	kvm->arch.msrs = m;
	return 0;
}

static void kvm_msr_filter_free(struct kvm_msr_filter_k *f)
{
	int i;

	if (!f)
		return;
	for (i = 0; i < f->count; i++)
		kfree(f->ranges[i].bitmap);
	kfree(f);
}

void kvm_vm_msr_free(struct kvm *kvm)
{
	struct kvm_vm_msrs *m = kvm->arch.msrs;

	if (!m)
		return;
	/* The VM is going: no vCPU reads the filter any more. */
	kvm_msr_filter_free(rcu_dereference_protected(m->filter, 1));
	kfree(m);
	kvm->arch.msrs = NULL;
}

int kvm_vcpu_msr_init(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_msrs *m = kzalloc(sizeof(*m), GFP_KERNEL_ACCOUNT);

	if (!m)
		return -ENOMEM;
	m->misc_enable = KVM_MISC_ENABLE_RO;
	m->ucode_rev = KVM_MSR_UCODE_REV_AMD;
	m->mcg_cap = KVM_MSR_MCE_BANKS;
	m->platform_info = MSR_PLATFORM_INFO_CPUID_FAULT;
	vcpu->arch.msrs = m;
	return 0;
}

void kvm_vcpu_msr_postcreate(struct kvm_vcpu *vcpu)
{
	msr_sync_tsc(vcpu, 0);
}

void kvm_vcpu_msr_free(struct kvm_vcpu *vcpu)
{
	kfree(vcpu->arch.msrs);
	vcpu->arch.msrs = NULL;
}

/* One entry of KVM_GET_MSRS/KVM_SET_MSRS: 0 to go on. */
typedef int (*kvm_msr_io_fn)(struct kvm_vcpu *vcpu, u32 index, u64 *data);

static int do_get_msr(struct kvm_vcpu *vcpu, u32 index, u64 *data)
{
	return kvm_msr_get(vcpu, index, data, true);
}

static int do_set_msr(struct kvm_vcpu *vcpu, u32 index, u64 *data)
{
	return kvm_msr_set(vcpu, index, *data, true);
}

static int do_get_feature_msr(struct kvm_vcpu *vcpu, u32 index, u64 *data)
{
	*data = 0;
	switch (index) {
	case MSR_AMD64_DE_CFG:
		*data = de_cfg_supported();
		return 0;
	case MSR_IA32_UCODE_REV:
		rdmsrl_safe(index, data);
		return 0;
	case MSR_IA32_PERF_CAPABILITIES:	/* no PMU: no capability */
		return 0;
	default:
		return 1;
	}
}

/*
 * KVM_GET_MSRS/KVM_SET_MSRS: fewer than KVM_MSR_MAX_IO entries (-E2BIG);
 * returns how many were done, stopping at the first that fails.
 */
static long kvm_msr_io(struct kvm_vcpu *vcpu, struct kvm_msrs __user *umsrs,
		       kvm_msr_io_fn fn, bool writeback)
{
	struct kvm_msr_entry *entries;
	struct kvm_msrs msrs;
	size_t size;
	long r;
	u32 i;

	if (copy_from_user(&msrs, umsrs, sizeof(msrs)))
		return -EFAULT;
	if (msrs.nmsrs >= KVM_MSR_MAX_IO)
		return -E2BIG;
	size = sizeof(*entries) * msrs.nmsrs;
	entries = memdup_user(umsrs->entries, size);
	if (IS_ERR(entries))
		return PTR_ERR(entries);
	for (i = 0; i < msrs.nmsrs; i++)
		if (fn(vcpu, entries[i].index, &entries[i].data))
			break;
	r = i;
	if (writeback && copy_to_user(umsrs->entries, entries, size))
		r = -EFAULT;
	kfree(entries);
	return r;
}

/*
 * An index list: nmsrs in, the list's length out; -E2BIG when the caller's
 * array is too short (nmsrs tells how long it must be).
 */
static long kvm_msr_list(struct kvm_msr_list __user *ulist, const u32 *list,
			 u32 n)
{
	struct kvm_msr_list hdr;
	u32 room;

	if (copy_from_user(&hdr, ulist, sizeof(hdr)))
		return -EFAULT;
	room = hdr.nmsrs;
	hdr.nmsrs = n;
	if (copy_to_user(ulist, &hdr, sizeof(hdr)))
		return -EFAULT;
	if (room < n)
		return -E2BIG;
	if (copy_to_user(ulist->indices, list, n * sizeof(u32)))
		return -EFAULT;
	return 0;
}

long kvm_dev_ioctl_msr(unsigned int ioctl, void __user *argp)
{
	u32 list[ARRAY_SIZE(kvm_msrs_to_save)];
	u32 i, n = 0;

	switch (ioctl) {
	case KVM_GET_MSR_INDEX_LIST:
		for (i = 0; i < ARRAY_SIZE(kvm_msrs_to_save); i++)
			if (kvm_msrs_to_save[i] != MSR_TSC_AUX ||
			    tsc_aux_exists())
				list[n++] = kvm_msrs_to_save[i];
		return kvm_msr_list(argp, list, n);
	case KVM_GET_MSR_FEATURE_INDEX_LIST:
		return kvm_msr_list(argp, kvm_feature_msrs,
				    ARRAY_SIZE(kvm_feature_msrs));
	case KVM_GET_MSRS:
		return kvm_msr_io(NULL, argp, do_get_feature_msr, true);
	default:
		return -ENOTTY;
	}
}

long kvm_vcpu_ioctl_msr(struct kvm_vcpu *vcpu, unsigned int ioctl,
			void __user *argp)
{
	switch (ioctl) {
	case KVM_GET_MSRS:
		return kvm_msr_io(vcpu, argp, do_get_msr, true);
	case KVM_SET_MSRS:
		return kvm_msr_io(vcpu, argp, do_set_msr, false);
	default:
		return -ENOTTY;
	}
}

static int kvm_msr_filter_add(struct kvm_msr_filter_k *f,
			      const struct kvm_msr_filter_range *u)
{
	size_t size;
	void *bitmap;

	if (!u->nmsrs)
		return 0;
	if (!u->flags ||
	    (u->flags & ~(KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE)))
		return -EINVAL;
	size = BITS_TO_LONGS(u->nmsrs) * sizeof(long);
	if (size > KVM_MSR_FILTER_MAX_BITMAP_SIZE)
		return -EINVAL;
	bitmap = memdup_user((void __user *)(unsigned long)u->bitmap, size);
	if (IS_ERR(bitmap))
		return PTR_ERR(bitmap);
	f->ranges[f->count++] = (struct kvm_msr_filter_range_k) {
		.flags = u->flags,
		.base = u->base,
		.nmsrs = u->nmsrs,
		.bitmap = bitmap,
	};
	return 0;
}

/*
 * KVM_X86_SET_MSR_FILTER replaces the whole filter.  Denying by default
 * with no range at all is refused (it would deny every MSR); a filter that
 * allows by default with no range removes filtering.
 */
static long kvm_vm_set_msr_filter(struct kvm *kvm, void __user *argp)
{
	struct kvm_vm_msrs *m = kvm->arch.msrs;
	struct kvm_msr_filter_k *f, *old;
	struct kvm_msr_filter uf;
	bool empty = true;
	int i, r;

	if (copy_from_user(&uf, argp, sizeof(uf)))
		return -EFAULT;
	if (uf.flags & ~KVM_MSR_FILTER_DEFAULT_DENY)
		return -EINVAL;
	for (i = 0; i < KVM_MSR_FILTER_MAX_RANGES; i++)
		empty &= !uf.ranges[i].nmsrs;
	if (empty && (uf.flags & KVM_MSR_FILTER_DEFAULT_DENY))
		return -EINVAL;

	f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);
	if (!f)
		return -ENOMEM;
	f->default_allow = !(uf.flags & KVM_MSR_FILTER_DEFAULT_DENY);
	for (i = 0; i < KVM_MSR_FILTER_MAX_RANGES; i++) {
		r = kvm_msr_filter_add(f, &uf.ranges[i]);
		if (r) {
			kvm_msr_filter_free(f);
			return r;
		}
	}

	mutex_lock(&m->filter_lock);
	old = rcu_dereference_protected(m->filter,
					lockdep_is_held(&m->filter_lock));
	rcu_assign_pointer(m->filter, f);
	mutex_unlock(&m->filter_lock);
	/*
	 * Every MSR is intercepted, so nothing else is to update: vCPUs see
	 * the new filter at their next RDMSR/WRMSR.
	 */
	synchronize_srcu(&kvm->srcu);
	kvm_msr_filter_free(old);
	return 0;
}

long kvm_vm_msr_enable_cap(struct kvm *kvm, const struct kvm_enable_cap *cap)
{
	switch (cap->cap) {
	case KVM_CAP_X86_USER_SPACE_MSR:
		if (cap->args[0] & ~(u64)(KVM_MSR_EXIT_REASON_INVAL |
					  KVM_MSR_EXIT_REASON_UNKNOWN |
					  KVM_MSR_EXIT_REASON_FILTER))
			return -EINVAL;
		WRITE_ONCE(kvm->arch.msrs->user_space_msr_mask, cap->args[0]);
		return 0;
	case KVM_CAP_MSR_PLATFORM_INFO:
		WRITE_ONCE(kvm->arch.msrs->guest_can_read_platform_info,
			   !!cap->args[0]);
		return 0;
	default:
		return -EINVAL;
	}
}

long kvm_vm_ioctl_msr(struct kvm *kvm, unsigned int ioctl, void __user *argp)
{
	return ioctl == KVM_X86_SET_MSR_FILTER ?
	       kvm_vm_set_msr_filter(kvm, argp) : -ENOTTY;
}
