// SPDX-License-Identifier: GPL-2.0
/*
 * Intel VMX backend, with EPT and unrestricted guest.
 *
 * Section numbers refer to the Intel SDM vol. 3C (chapters 23-31: 24 the
 * VMCS, 26 VM entries, 27 VM exits, 28 EPT, 31 the VMX instructions) and
 * vol. 3D appendix A (the capability MSRs).
 *
 * The VMCS is touched only with interrupts off, in vmx_vcpu_run() and in
 * the per-CPU paths (IPIs, hotplug, reboot): a VMCS is "current" on one
 * CPU at a time, and only VMREAD/VMWRITE on that CPU reach it.  Everything
 * else (the register ioctls, the exit handlers, which run with preemption
 * on) works on a software copy, struct vmx_state, written to the VMCS
 * before every entry and read back after every exit, as the SVM backend
 * does with the VMCB in memory.
 *
 * Locking: each CPU keeps a list of the VMCSs loaded on it (vmx_cpu_data),
 * changed only on that CPU with interrupts off: by the entry path, by the
 * VMCLEAR IPI a vCPU sends when it moves to another CPU (vmx_vcpu_load,
 * preemption off, interrupts on), and by hardware_disable.  A vCPU's
 * loaded_cpu is written only with its VMCS's CPU in one of those paths.
 */
#define pr_fmt(fmt) "kestrel: " fmt

#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/idr.h>
#include <linux/kvm.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/printk.h>
#include <linux/ratelimit.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <asm/cpu_entry_area.h>
#include <asm/cpufeature.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/idtentry.h>
#include <asm/io.h>
#include <asm/mce.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>
#include <asm/pgtable.h>
#include <asm/processor.h>
#include <asm/reboot.h>
#include <asm/special_insns.h>
#include <asm/traps.h>
#include <asm/virtext.h>

#include "../cpuid.h"
#include "../kvmclock.h"
#include "../msr.h"
#include "../x86.h"
#include "vmcs.h"

#define PAT_RESET		0x0007040600070406ULL

/*
 * Every guest run is bounded by the VMX-preemption timer (SDM 25.5.1):
 * Bochs 2.7 does not exit on host interrupts while the guest runs with
 * RFLAGS.IF=0, so a guest spinning with interrupts off would starve the
 * host.  The run loop then sees signals, reschedules and kicks.
 */
#define VMX_RUN_BOUND_US	2000

struct vmx_cpu_data {
	struct page *vmxon;
	struct vmcs_hdr *current_vmcs;
	struct list_head loaded;	/* struct vcpu_vmx.loaded_link */
};

static DEFINE_PER_CPU(struct vmx_cpu_data, vmx_cpu_data);

/* What the capability MSRs allowed, computed once (vmx_hardware_setup). */
static struct vmx_config {
	u32 revision_id;
	u32 vmcs_size;
	u32 pin, proc, proc2, exit, entry;
	/* Controls that are switched per entry, when the CPU allows them. */
	u32 proc_optional;
	u64 ept_vpid_cap;
	u32 timer_rate;			/* IA32_VMX_MISC[4:0] */
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	bool vpid;
} vmx_config;

/*
 * kvm_intel's read-only parameters with Kestrel's real values, for tools
 * that look there (the 6.1 selftests' kvm_is_tdp_enabled() reads "ept"):
 * the VMX backend refuses to load without EPT and unrestricted guest.
 * The upstream test runner shows them as kvm_intel's on Intel hosts.
 */
static bool ept = true;
module_param(ept, bool, 0444);
MODULE_PARM_DESC(ept, "EPT (always on with the VMX backend)");
static bool unrestricted_guest = true;
module_param(unrestricted_guest, bool, 0444);
MODULE_PARM_DESC(unrestricted_guest, "unrestricted guest (always on with the VMX backend)");

static DEFINE_IDA(vmx_vpid_ida);
static struct page *vmx_msr_bitmap;

/*
 * L1TF (SDM vol. 3A 4.x is silent; Intel's "L1 Terminal Fault" guidance):
 * a guest could read host data left in the L1D through a non-present
 * guest PTE.  When the CPU is affected and the host kernel's l1tf=
 * mitigation asks for flushing, the L1D is flushed before every VM entry
 * (KVM's "always"; its "cond" heuristics are not worth their risk here):
 * through IA32_FLUSH_CMD, else by reading a 64 KiB buffer as KVM does.
 */
static bool vmx_l1d_flush_needed;
static struct page *vmx_l1d_flush_pages;
#define VMX_L1D_FLUSH_ORDER	4	/* 64 KiB, twice the largest L1D */

/* The guest state kept outside the VMCS, see the top of this file. */
struct vmx_state {
	struct kvm_segment seg[8];	/* VCPU_SREG_* */
	struct kvm_dtable gdt, idt;
	u64 sysenter_cs, sysenter_esp, sysenter_eip;
	u64 pat;
	/* Not switched by VM entry/exit: loaded by hand around it. */
	u64 star, lstar, cstar, sfmask, kernel_gs_base;
	u32 interruptibility;		/* GUEST_INTR_STATE_* */
	u64 cr8;
	u64 tsc_offset;
	u32 exception_bitmap;
	bool irq_window, nmi_window, cr8_exiting;
	u32 entry_intr_info;		/* the event to inject, or 0 */
	u32 entry_error_code;
};

/* What the last exit said, read while the VMCS was current. */
struct vmx_exit {
	int insn_fault;			/* __vmx_vcpu_run's result */
	u32 reason;
	unsigned long qualification;
	u32 intr_info, intr_error_code;
	u32 idt_vectoring, idt_error_code;
	u32 insn_len;
	u32 insn_error;
	u64 gpa;
};

struct vcpu_vmx {
	struct kvm_vcpu vcpu;
	struct vmcs_hdr *vmcs;
	u64 vmcs_pa;
	int loaded_cpu;			/* -1: clear, on no CPU */
	bool launched;
	struct list_head loaded_link;
	u16 vpid;
	/*
	 * The CPU this vCPU last entered the guest on, -1 before the first
	 * entry.  Independent of loaded_cpu, which a VMCLEAR resets to -1
	 * without the vCPU moving (failed entry, CPU offline, migration IPI):
	 * entering anywhere else, the EPTP's and VPID's translations on that
	 * CPU may predate a zap, see vmx_vcpu_run().
	 */
	int last_run_cpu;
	struct vmx_state s;
	struct vmx_exit x;
};

static struct vcpu_vmx *to_vmx(struct kvm_vcpu *vcpu)
{
	return container_of(vcpu, struct vcpu_vmx, vcpu);
}

/*
 * Capabilities (SDM vol. 3D, appendix A)
 */

/*
 * A control field's capability MSR: bits 31:0 are the controls that must
 * be 1, bits 63:32 those that may be 1 (A.3.1).  @min is what Kestrel
 * needs, @opt what it uses if present.
 */
static int vmx_adjust_ctls(u32 min, u32 opt, u32 msr, u32 *result,
			   const char *what)
{
	u64 cap;
	u32 ctl;

	rdmsrl(msr, cap);
	ctl = ((min | opt) & (u32)(cap >> 32)) | (u32)cap;
	if (min & ~ctl) {
		pr_err("VMX: the CPU lacks %s controls %#x: refusing it\n",
		       what, min & ~ctl);
		return -EOPNOTSUPP;
	}
	*result = ctl;
	return 0;
}

/* IA32_VMX_BASIC bit 55: the TRUE_* MSRs let default-1 controls be 0 (A.2). */
static u32 vmx_ctl_msr(u64 basic, u32 plain, u32 true_msr)
{
	return (basic & VMX_BASIC_TRUE_CTLS) ? true_msr : plain;
}

static int vmx_setup_controls(u64 basic)
{
	struct vmx_config *c = &vmx_config;
	u32 proc_opt = CPU_BASED_INTR_WINDOW_EXITING |
		       CPU_BASED_NMI_WINDOW_EXITING;
	int r;

	r = vmx_adjust_ctls(PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING |
			    PIN_BASED_VIRTUAL_NMIS |
			    PIN_BASED_VMX_PREEMPTION_TIMER, 0,
			    vmx_ctl_msr(basic, MSR_IA32_VMX_PINBASED_CTLS,
					MSR_IA32_VMX_TRUE_PINBASED_CTLS),
			    &c->pin, "pin-based");
	r = r ?: vmx_adjust_ctls(CPU_BASED_HLT_EXITING |
				 CPU_BASED_UNCOND_IO_EXITING |
				 CPU_BASED_USE_MSR_BITMAPS |
				 CPU_BASED_MOV_DR_EXITING |
				 CPU_BASED_RDPMC_EXITING |
				 CPU_BASED_MWAIT_EXITING |
				 CPU_BASED_MONITOR_EXITING |
				 CPU_BASED_CR8_LOAD_EXITING |
				 CPU_BASED_CR8_STORE_EXITING |
				 CPU_BASED_USE_TSC_OFFSETTING |
				 CPU_BASED_ACTIVATE_SECONDARY_CONTROLS,
				 proc_opt,
				 vmx_ctl_msr(basic, MSR_IA32_VMX_PROCBASED_CTLS,
					     MSR_IA32_VMX_TRUE_PROCBASED_CTLS),
				 &c->proc, "primary processor-based");
	/*
	 * CR3-load and CR3-store exiting are not asked for: with EPT and
	 * unrestricted guest the guest owns CR3, so they are off wherever
	 * the TRUE control MSR lets them be 0 (A.3.2).  Without TRUE
	 * controls they are default-1 and stay on: vmx_exit_cr() emulates
	 * those MOVs.
	 */
	r = r ?: vmx_adjust_ctls(SECONDARY_EXEC_ENABLE_EPT |
				 SECONDARY_EXEC_UNRESTRICTED_GUEST |
				 SECONDARY_EXEC_WBINVD_EXITING,
				 SECONDARY_EXEC_ENABLE_VPID |
				 SECONDARY_EXEC_ENABLE_RDTSCP |
				 SECONDARY_EXEC_ENABLE_INVPCID,
				 MSR_IA32_VMX_PROCBASED_CTLS2, &c->proc2,
				 "secondary processor-based");
	r = r ?: vmx_adjust_ctls(VM_EXIT_HOST_ADDR_SPACE_SIZE |
				 VM_EXIT_SAVE_IA32_EFER | VM_EXIT_LOAD_IA32_EFER |
				 VM_EXIT_SAVE_IA32_PAT | VM_EXIT_LOAD_IA32_PAT |
				 VM_EXIT_SAVE_DEBUG_CONTROLS, 0,
				 vmx_ctl_msr(basic, MSR_IA32_VMX_EXIT_CTLS,
					     MSR_IA32_VMX_TRUE_EXIT_CTLS),
				 &c->exit, "VM-exit");
	r = r ?: vmx_adjust_ctls(VM_ENTRY_LOAD_IA32_EFER | VM_ENTRY_LOAD_IA32_PAT |
				 VM_ENTRY_LOAD_DEBUG_CONTROLS, VM_ENTRY_IA32E_MODE,
				 vmx_ctl_msr(basic, MSR_IA32_VMX_ENTRY_CTLS,
					     MSR_IA32_VMX_TRUE_ENTRY_CTLS),
				 &c->entry, "VM-entry");
	if (r)
		return r;
	/* The window controls and IA-32e mode are set per entry. */
	c->proc_optional = c->proc & proc_opt;
	c->proc &= ~proc_opt;
	c->entry &= ~VM_ENTRY_IA32E_MODE;
	/* Never asked for, but default-1 without the TRUE MSRs: drop if we may. */
	if (!(c->proc_optional & CPU_BASED_NMI_WINDOW_EXITING)) {
		pr_err("VMX: no NMI-window exiting: refusing the CPU\n");
		return -EOPNOTSUPP;
	}
	c->vpid = c->proc2 & SECONDARY_EXEC_ENABLE_VPID;
	return 0;
}

/* SDM 28.2.2, A.10: 4-level walks (5 under LA57), WB tables, INVEPT. */
static int vmx_check_ept(void)
{
	u64 cap = vmx_config.ept_vpid_cap;
	u64 walk = pgtable_l5_enabled() ? VMX_EPT_PAGE_WALK_5_BIT :
					  VMX_EPT_PAGE_WALK_4_BIT;

	if (!(cap & walk) || !(cap & VMX_EPTP_WB_BIT) ||
	    !(cap & VMX_EPT_INVEPT_BIT) ||
	    !(cap & (VMX_EPT_EXTENT_CONTEXT_BIT | VMX_EPT_EXTENT_GLOBAL_BIT))) {
		pr_err("VMX: EPT lacks a %d-level walk, write-back tables or INVEPT (IA32_VMX_EPT_VPID_CAP %#llx)\n",
		       pgtable_l5_enabled() ? 5 : 4, cap);
		return -EOPNOTSUPP;
	}
	/* INVVPID single- or all-context, else run without VPIDs. */
	if (!(cap & ((u64)VMX_VPID_INVVPID_BIT << 32)) ||
	    !(cap & ((u64)(VMX_VPID_EXTENT_SINGLE_CONTEXT_BIT |
			   VMX_VPID_EXTENT_GLOBAL_CONTEXT_BIT) << 32)))
		vmx_config.vpid = false;
	if (!vmx_config.vpid)
		vmx_config.proc2 &= ~SECONDARY_EXEC_ENABLE_VPID;
	return 0;
}

/*
 * IA32_FEATURE_CONTROL (SDM 23.7 "Enabling and entering VMX operation"):
 * VMXON faults unless it is locked with "VMX outside SMX" set.  Firmware
 * normally locks it; unlocked, Kestrel sets and locks it as KVM does.
 */
static int vmx_check_feature_control(void)
{
	u64 fc;

	if (rdmsrl_safe(MSR_IA32_FEAT_CTL, &fc)) {
		pr_err("VMX: IA32_FEATURE_CONTROL is unreadable\n");
		return -EOPNOTSUPP;
	}
	if ((fc & FEAT_CTL_LOCKED) && !(fc & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
		pr_err("VMX is disabled by firmware (IA32_FEATURE_CONTROL locked without VMX outside SMX): enable VT-x in the BIOS setup\n");
		return -EOPNOTSUPP;
	}
	return 0;
}

static int vmx_read_basic(u64 *basic)
{
	rdmsrl(MSR_IA32_VMX_BASIC, *basic);
	if (VMX_BASIC_VMCS_SIZE(*basic) > PAGE_SIZE ||
	    (*basic & VMX_BASIC_32BIT_ADDRESSES) ||
	    VMX_BASIC_MEMTYPE(*basic) != VMX_BASIC_MEMTYPE_WB) {
		pr_err("VMX: unusable IA32_VMX_BASIC %#llx (VMCS over 4 KiB, 32-bit addresses or not write-back)\n",
		       *basic);
		return -EOPNOTSUPP;
	}
	vmx_config.revision_id = *basic & VMX_BASIC_REVISION_MASK;
	vmx_config.vmcs_size = VMX_BASIC_VMCS_SIZE(*basic);
	return 0;
}

static void vmx_read_fixed(void)
{
	struct vmx_config *c = &vmx_config;
	u64 misc;

	rdmsrl(MSR_IA32_VMX_CR0_FIXED0, c->cr0_fixed0);
	rdmsrl(MSR_IA32_VMX_CR0_FIXED1, c->cr0_fixed1);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED0, c->cr4_fixed0);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED1, c->cr4_fixed1);
	rdmsrl(MSR_IA32_VMX_MISC, misc);
	c->timer_rate = misc & VMX_MISC_PREEMPTION_TIMER_RATE_MASK;
}

/*
 * MSR bitmap (SDM 24.6.9): a set bit makes the access exit.  Everything
 * is intercepted except the segment bases, which VM entry and exit switch
 * (the VMCS holds them), as the SVM backend leaves none to the guest
 * either but these live in the VMCB.
 */
static void vmx_passthrough_msr(u8 *bitmap, u32 msr)
{
	u32 base = msr >= 0xc0000000 ? 1024 : 0;
	u32 bit = msr & 0x1fff;

	__clear_bit(bit, (unsigned long *)(bitmap + base));		/* read */
	__clear_bit(bit, (unsigned long *)(bitmap + 2048 + base));	/* write */
}

static int vmx_alloc_msr_bitmap(void)
{
	u8 *b;

	vmx_msr_bitmap = alloc_page(GFP_KERNEL);
	if (!vmx_msr_bitmap)
		return -ENOMEM;
	b = page_address(vmx_msr_bitmap);
	memset(b, 0xff, PAGE_SIZE);
	vmx_passthrough_msr(b, MSR_FS_BASE);
	vmx_passthrough_msr(b, MSR_GS_BASE);
	return 0;
}

static void vmx_free_cpu_data(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct vmx_cpu_data *cd = per_cpu_ptr(&vmx_cpu_data, cpu);

		if (cd->vmxon)
			__free_page(cd->vmxon);
		cd->vmxon = NULL;
	}
}

static int vmx_alloc_cpu_data(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct vmx_cpu_data *cd = per_cpu_ptr(&vmx_cpu_data, cpu);

		INIT_LIST_HEAD(&cd->loaded);
		cd->current_vmcs = NULL;
		cd->vmxon = alloc_pages_node(cpu_to_node(cpu),
					     GFP_KERNEL | __GFP_ZERO, 0);
		if (!cd->vmxon) {
			vmx_free_cpu_data();
			return -ENOMEM;
		}
		/* The VMXON region starts with the VMCS revision (24.11.5). */
		*(u32 *)page_address(cd->vmxon) = vmx_config.revision_id;
	}
	return 0;
}

static bool vmx_l1tf_wants_flush(void)
{
	u64 caps = 0;

	if (!boot_cpu_has_bug(X86_BUG_L1TF))
		return false;
	if (boot_cpu_has(X86_FEATURE_ARCH_CAPABILITIES))
		rdmsrl(MSR_IA32_ARCH_CAPABILITIES, caps);
	/* Set when the CPU (or a nested hypervisor) flushes at entry itself. */
	if (caps & ARCH_CAP_SKIP_VMENTRY_L1DFLUSH)
		return false;
	return l1tf_mitigation != L1TF_MITIGATION_OFF;
}

static int vmx_setup_l1d_flush(void)
{
	vmx_l1d_flush_needed = vmx_l1tf_wants_flush();
	if (!vmx_l1d_flush_needed || boot_cpu_has(X86_FEATURE_FLUSH_L1D))
		return 0;
	vmx_l1d_flush_pages = alloc_pages(GFP_KERNEL | __GFP_ZERO,
					  VMX_L1D_FLUSH_ORDER);
	return vmx_l1d_flush_pages ? 0 : -ENOMEM;
}

static void vmx_free_l1d_flush(void)
{
	if (vmx_l1d_flush_pages)
		__free_pages(vmx_l1d_flush_pages, VMX_L1D_FLUSH_ORDER);
	vmx_l1d_flush_pages = NULL;
}

/* Interrupts off, right before the entry. */
static void vmx_l1d_flush(void)
{
	const u8 *buf;
	unsigned int i, size = PAGE_SIZE << VMX_L1D_FLUSH_ORDER;

	if (!vmx_l1d_flush_needed)
		return;
	if (boot_cpu_has(X86_FEATURE_FLUSH_L1D)) {
		native_wrmsrl(MSR_IA32_FLUSH_CMD, L1D_FLUSH);
		return;
	}
	/* One read per page first, so the line reads do not miss the TLB. */
	buf = page_address(vmx_l1d_flush_pages);
	for (i = 0; i < size; i += PAGE_SIZE)
		(void)READ_ONCE(buf[i]);
	for (i = 0; i < size; i += L1_CACHE_BYTES)
		(void)READ_ONCE(buf[i]);
}

/*
 * Called by __vmx_vcpu_run right after the exit, before any indirect
 * branch or unbalanced RET.  The guest never owns IA32_SPEC_CTRL (the
 * MSR bitmap intercepts it and msr.c does not offer it), so the MSR
 * still holds the host's value; but with legacy IBRS the IBRS bit must
 * be written again after every move from a less privileged predictor
 * mode, a VM exit included, as KVM's vmx_spec_ctrl_restore_host() does.
 */
void vmx_spec_ctrl_restore_host(void)
{
	if (cpu_feature_enabled(X86_FEATURE_KERNEL_IBRS))
		native_wrmsrl(MSR_IA32_SPEC_CTRL,
			      this_cpu_read(x86_spec_ctrl_current));
	barrier_nospec();
}

static void vmx_emergency_disable(void);

/*
 * The kernel has one emergency callback slot, and stock kvm_intel holds it
 * while it is loaded: Kestrel takes it only once it owns KVM's hotplug
 * state, i.e. at the first hardware_enable (see kvm_main.c), which the
 * other hypervisor's presence stops earlier.
 */
static atomic_t vmx_emergency_registered = ATOMIC_INIT(0);

/*
 * The other way round, stock kvm_intel loaded after Kestrel: its module
 * init registers its emergency callback first thing, before its
 * kvm_init() fails on the hotplug state Kestrel holds (compat.h), and
 * with Kestrel's callback in the kernel's one slot that is a WARN in
 * cpu_emergency_register_virt_callback(), then another when it
 * unregisters.  It cannot load anyway: refuse it with one line before
 * its init runs (a failing MODULE_STATE_COMING notifier stops the load).
 */
static int vmx_module_notify(struct notifier_block *nb, unsigned long action,
			     void *data)
{
	struct module *mod = data;

	if (action != MODULE_STATE_COMING || strcmp(mod->name, "kvm_intel"))
		return NOTIFY_DONE;
	pr_err("kvm_intel cannot load while Kestrel owns VMX: unload kestrel first\n");
	return notifier_from_errno(-EBUSY);
}

static struct notifier_block vmx_module_nb = {
	.notifier_call = vmx_module_notify,
};

static bool vmx_module_nb_registered;

static void vmx_hardware_unsetup(void)
{
	if (vmx_module_nb_registered)
		unregister_module_notifier(&vmx_module_nb);
	vmx_module_nb_registered = false;
	if (atomic_xchg(&vmx_emergency_registered, 0))
		cpu_emergency_unregister_virt_callback(vmx_emergency_disable);
	if (vmx_msr_bitmap)
		__free_page(vmx_msr_bitmap);
	vmx_msr_bitmap = NULL;
	vmx_free_cpu_data();
	vmx_free_l1d_flush();
}

static int vmx_hardware_setup(void)
{
	u64 basic;
	int r;

	r = vmx_check_feature_control();
	r = r ?: vmx_read_basic(&basic);
	r = r ?: vmx_setup_controls(basic);
	if (r)
		return r;
	rdmsrl(MSR_IA32_VMX_EPT_VPID_CAP, vmx_config.ept_vpid_cap);
	r = vmx_check_ept();
	if (r)
		return r;
	vmx_read_fixed();
	r = vmx_setup_l1d_flush();
	r = r ?: vmx_alloc_cpu_data();
	if (r) {
		vmx_free_l1d_flush();
		return r;
	}
	r = vmx_alloc_msr_bitmap();
	if (r) {
		vmx_free_cpu_data();
		vmx_free_l1d_flush();
		return r;
	}
	r = register_module_notifier(&vmx_module_nb);
	if (r) {
		vmx_hardware_unsetup();
		return r;
	}
	vmx_module_nb_registered = true;
	pr_info("VMX backend: EPT %d-level, unrestricted guest, VPID %s, preemption timer rate %u, VMCS revision %#x\n",
		pgtable_l5_enabled() ? 5 : 4, vmx_config.vpid ? "yes" : "no",
		vmx_config.timer_rate, vmx_config.revision_id);
	return 0;
}

/*
 * Turning VMX on and off
 */

static int vmx_enable_feature_control(int cpu)
{
	u64 fc;

	rdmsrl(MSR_IA32_FEAT_CTL, fc);
	if (fc & FEAT_CTL_LOCKED)
		return (fc & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX) ? 0 : -EOPNOTSUPP;
	fc |= FEAT_CTL_LOCKED | FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX;
	if (wrmsrl_safe(MSR_IA32_FEAT_CTL, fc)) {
		pr_err("VMX: cannot lock IA32_FEATURE_CONTROL on CPU %d\n", cpu);
		return -EIO;
	}
	return 0;
}

/*
 * VMXON needs CR4.VMXE and CR0/CR4 within the fixed bits (23.8); Linux
 * runs with CR0.PE, PG and NE set, which is all fixed0 asks in practice.
 */
static int vmx_hardware_enable(void)
{
	struct vmx_cpu_data *cd = this_cpu_ptr(&vmx_cpu_data);
	int cpu = smp_processor_id();
	int r;

	if (cr4_read_shadow() & X86_CR4_VMXE) {
		pr_err("VMX is already enabled on CPU %d (CR4.VMXE set): another hypervisor owns it\n",
		       cpu);
		return -EBUSY;
	}
	r = vmx_enable_feature_control(cpu);
	if (r)
		return r;
	if (!atomic_xchg(&vmx_emergency_registered, 1))
		cpu_emergency_register_virt_callback(vmx_emergency_disable);
	if ((read_cr0() & vmx_config.cr0_fixed0) != vmx_config.cr0_fixed0) {
		pr_err("VMX: host CR0 %#lx lacks fixed bits %#llx on CPU %d\n",
		       read_cr0(), vmx_config.cr0_fixed0, cpu);
		return -EIO;
	}
	cr4_set_bits(X86_CR4_VMXE);
	if (vmx_vmxon(page_to_phys(cd->vmxon))) {
		cr4_clear_bits(X86_CR4_VMXE);
		pr_err("VMXON failed on CPU %d\n", cpu);
		return -EIO;
	}
	cd->current_vmcs = NULL;
	/* EPT and VPID translations of an earlier VMXON are stale. */
	vmx_invept(VMX_EPT_EXTENT_GLOBAL, 0);
	if (vmx_config.vpid)
		vmx_invvpid(VMX_VPID_EXTENT_ALL_CONTEXT, 0);
	return 0;
}

/* On the VMCS's CPU, interrupts off. */
static void vmx_clear_loaded(struct vcpu_vmx *vmx)
{
	struct vmx_cpu_data *cd = this_cpu_ptr(&vmx_cpu_data);

	vmx_vmclear(vmx->vmcs_pa);
	if (cd->current_vmcs == vmx->vmcs)
		cd->current_vmcs = NULL;
	list_del_init(&vmx->loaded_link);
	vmx->launched = false;
	/* The list entry goes before the CPU, for a reader on another CPU. */
	smp_wmb();
	WRITE_ONCE(vmx->loaded_cpu, -1);
}

static void vmx_clear_all_loaded(void)
{
	struct vmx_cpu_data *cd = this_cpu_ptr(&vmx_cpu_data);
	struct vcpu_vmx *vmx, *next;

	list_for_each_entry_safe(vmx, next, &cd->loaded, loaded_link)
		vmx_clear_loaded(vmx);
}

/*
 * VMCLEAR every VMCS loaded here first: it writes the VMCS data back to
 * memory (24.11.3), and a VMCS left active on a CPU that leaves VMX
 * operation is lost.
 */
static void vmx_hardware_disable(void)
{
	vmx_clear_all_loaded();
	cpu_vmxoff();
}

/*
 * Crash, kexec and emergency reboot (the kernel's callback, which Debian's
 * 6.1 has): make the VMCSs readable in the crash dump, then leave VMX
 * operation so that INIT works again.  No locks: this may interrupt
 * anything, and NMIs are the only thing running on the other CPUs.
 */
static void vmx_emergency_disable(void)
{
	struct vmx_cpu_data *cd = this_cpu_ptr(&vmx_cpu_data);
	struct vcpu_vmx *vmx;

	if (!(__read_cr4() & X86_CR4_VMXE))
		return;
	list_for_each_entry(vmx, &cd->loaded, loaded_link)
		vmx_vmclear(vmx->vmcs_pa);
	__cpu_emergency_vmxoff();
}

/*
 * vCPUs
 */

static void vmx_init_seg(struct kvm_segment *s, u8 type)
{
	memset(s, 0, sizeof(*s));
	s->limit = 0xffff;
	s->type = type;
	s->present = 1;
	s->s = 1;
}

/* The state after RESET/INIT (SDM vol. 3A, 9.1.1, table 9-1). */
static void vmx_reset_state(struct vcpu_vmx *vmx)
{
	struct vmx_state *s = &vmx->s;
	int i;

	for (i = VCPU_SREG_ES; i <= VCPU_SREG_GS; i++)
		vmx_init_seg(&s->seg[i], 3);		/* read/write, accessed */
	vmx_init_seg(&s->seg[VCPU_SREG_CS], 11);	/* exec/read, accessed */
	s->seg[VCPU_SREG_CS].selector = 0xf000;
	s->seg[VCPU_SREG_CS].base = 0xffff0000;
	vmx_init_seg(&s->seg[VCPU_SREG_LDTR], 2);
	s->seg[VCPU_SREG_LDTR].s = 0;
	vmx_init_seg(&s->seg[VCPU_SREG_TR], 11);	/* busy 32-bit TSS */
	s->seg[VCPU_SREG_TR].s = 0;
	memset(&s->gdt, 0, sizeof(s->gdt));
	memset(&s->idt, 0, sizeof(s->idt));
	s->gdt.limit = 0xffff;
	s->idt.limit = 0xffff;
	s->interruptibility = 0;
	s->cr8 = 0;
	s->irq_window = false;
	s->nmi_window = false;
	s->entry_intr_info = 0;
}

static struct kvm_vcpu *vmx_vcpu_alloc(void)
{
	struct vcpu_vmx *vmx = kzalloc(sizeof(*vmx), GFP_KERNEL_ACCOUNT);

	return vmx ? &vmx->vcpu : NULL;
}

static void vmx_vcpu_free(struct kvm_vcpu *vcpu)
{
	kfree(to_vmx(vcpu));
}

static int vmx_vcpu_create(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	struct page *page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	int vpid = 0;

	if (!page)
		return -ENOMEM;
	if (vmx_config.vpid) {
		/*
		 * VPID 0 is the host's (28.1).  When all 65535 others are
		 * taken the vCPU runs without one, as KVM's do: "enable VPID"
		 * off for it (an entry with VPID 0 and the control set fails,
		 * 26.2.1.1), and then every VM entry and exit flushes the
		 * linear and combined mappings of VPID 0 (28.3.3.3).
		 */
		vpid = ida_alloc_range(&vmx_vpid_ida, 1, 0xffff, GFP_KERNEL);
		if (vpid < 0)
			vpid = 0;
	}
	vmx->vpid = vpid;
	vmx->vmcs = page_address(page);
	vmx->vmcs_pa = page_to_phys(page);
	vmx->vmcs->revision_id = vmx_config.revision_id;
	vmx->loaded_cpu = -1;
	INIT_LIST_HEAD(&vmx->loaded_link);
	/* A recycled VPID or EPT root may have stale translations: flush. */
	vmx->last_run_cpu = -1;
	vmx->s.pat = PAT_RESET;
	vmx->s.exception_bitmap = BIT(X86_TRAP_DB) | BIT(X86_TRAP_UD) |
				  BIT(X86_TRAP_AC) | BIT(X86_TRAP_MC);
	vmx_reset_state(vmx);
	return 0;
}

static void vmx_clear_ipi(void *arg)
{
	struct vcpu_vmx *vmx = arg;

	if (READ_ONCE(vmx->loaded_cpu) == smp_processor_id())
		vmx_clear_loaded(vmx);
}

/* VMCLEAR the VMCS on the CPU it is loaded on, if any. */
static void vmx_clear_remote(struct vcpu_vmx *vmx)
{
	int cpu = READ_ONCE(vmx->loaded_cpu);

	if (cpu >= 0)
		smp_call_function_single(cpu, vmx_clear_ipi, vmx, 1);
}

/* Undoes vmx_vcpu_create(): vmx_vcpu_free() frees the vCPU itself, last. */
static void vmx_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	vmx_clear_remote(vmx);
	if (vmx->vpid)
		ida_free(&vmx_vpid_ida, vmx->vpid);
	free_page((unsigned long)vmx->vmcs);
	vmx->vmcs = NULL;
}

/*
 * A VMCS may be active on one CPU only (24.11.1): moving to another, the
 * vCPU has the old CPU VMCLEAR it.  Preemption is off, interrupts on.
 */
static void vmx_vcpu_load(struct kvm_vcpu *vcpu, int cpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	int old = READ_ONCE(vmx->loaded_cpu);

	if (old >= 0 && old != cpu)
		vmx_clear_remote(vmx);
}

static void vmx_vcpu_put(struct kvm_vcpu *vcpu)
{
}

/*
 * Segments: the VMCS keeps the access rights in the descriptor's layout,
 * bit 16 meaning "unusable" (24.4.1, table 24-2).  A segment that is not
 * present is unusable, as KVM makes it.  The other bits stay as given:
 * the CPU saves them so for an unusable segment too (27.3.2), and some
 * still count, SS.DPL above all, which is the CPL (26.3.1.2 checks it
 * whether SS is usable or not).
 */
static u32 vmx_seg_ar(const struct kvm_segment *v)
{
	u32 ar = (v->type & 15) | (v->s << 4) | ((v->dpl & 3) << 5) |
		 (v->present << 7) | (v->avl << 12) | (v->l << 13) |
		 (v->db << 14) | (v->g << 15);

	if (v->unusable || !v->present)
		ar |= BIT(16);
	return ar;
}

static void vmx_seg_from_ar(struct kvm_segment *v, u32 ar)
{
	v->unusable = !!(ar & BIT(16));
	v->type = ar & 15;
	v->s = !!(ar & BIT(4));
	v->dpl = (ar >> 5) & 3;
	/*
	 * KVM_GET_SREGS as KVM reports it: present is "not unusable" (a
	 * usable segment is present, 26.3.1.2), whatever bit 7 says.
	 */
	v->present = !v->unusable;
	v->avl = !!(ar & BIT(12));
	v->l = !!(ar & BIT(13));
	v->db = !!(ar & BIT(14));
	v->g = !!(ar & BIT(15));
}

static void vmx_get_segment(struct kvm_vcpu *vcpu, struct kvm_segment *var,
			    int seg)
{
	*var = to_vmx(vcpu)->s.seg[seg];
	var->padding = 0;
}

static void vmx_set_segment(struct kvm_vcpu *vcpu,
			    const struct kvm_segment *var, int seg)
{
	struct kvm_segment *s = &to_vmx(vcpu)->s.seg[seg];

	*s = *var;
	/*
	 * With unrestricted guest VM entry wants usable segments accessed
	 * (26.3.1.2); the CPU would set the bit at the first load anyway.
	 * KVM does the same.
	 */
	if (seg != VCPU_SREG_LDTR && !var->unusable && var->present)
		s->type |= 1;
	/* What the VMCS can hold: read back as it will be after entry. */
	vmx_seg_from_ar(s, vmx_seg_ar(s));
}

static void vmx_get_dtable(struct kvm_vcpu *vcpu, struct kvm_dtable *dt,
			   bool idt)
{
	struct vmx_state *s = &to_vmx(vcpu)->s;

	memset(dt, 0, sizeof(*dt));
	*dt = idt ? s->idt : s->gdt;
	memset(dt->padding, 0, sizeof(dt->padding));
}

static void vmx_set_dtable(struct kvm_vcpu *vcpu, const struct kvm_dtable *dt,
			   bool idt)
{
	struct kvm_dtable *d = idt ? &to_vmx(vcpu)->s.idt : &to_vmx(vcpu)->s.gdt;

	d->base = dt->base;
	d->limit = dt->limit;
}

/* Where the guest's value of an MSR lives (24.4.1; the rest by hand). */
static u64 *vmx_msr_slot(struct vcpu_vmx *vmx, u32 index)
{
	struct vmx_state *s = &vmx->s;

	switch (index) {
	case MSR_STAR:			return &s->star;
	case MSR_LSTAR:			return &s->lstar;
	case MSR_CSTAR:			return &s->cstar;
	case MSR_SYSCALL_MASK:		return &s->sfmask;
	case MSR_KERNEL_GS_BASE:	return &s->kernel_gs_base;
	case MSR_IA32_SYSENTER_CS:	return &s->sysenter_cs;
	case MSR_IA32_SYSENTER_ESP:	return &s->sysenter_esp;
	case MSR_IA32_SYSENTER_EIP:	return &s->sysenter_eip;
	case MSR_FS_BASE:		return &s->seg[VCPU_SREG_FS].base;
	case MSR_GS_BASE:		return &s->seg[VCPU_SREG_GS].base;
	case MSR_IA32_CR_PAT:		return &s->pat;
	default:			return NULL;
	}
}

static int vmx_get_msr(struct kvm_vcpu *vcpu, u32 index, u64 *data)
{
	u64 *slot = vmx_msr_slot(to_vmx(vcpu), index);

	if (!slot)
		return 1;
	*data = *slot;
	return 0;
}

static int vmx_set_msr(struct kvm_vcpu *vcpu, u32 index, u64 data)
{
	u64 *slot = vmx_msr_slot(to_vmx(vcpu), index);

	if (!slot)
		return 1;
	/* SYSENTER_CS is a 32-bit field in the VMCS (B.3.3). */
	if (index == MSR_IA32_SYSENTER_CS)
		data = (u32)data;
	*slot = data;
	return 0;
}

static u32 vmx_get_interrupt_shadow(struct kvm_vcpu *vcpu)
{
	u32 i = to_vmx(vcpu)->s.interruptibility;
	u32 mask = 0;

	if (i & GUEST_INTR_STATE_STI)
		mask |= KVM_X86_SHADOW_INT_STI;
	if (i & GUEST_INTR_STATE_MOV_SS)
		mask |= KVM_X86_SHADOW_INT_MOV_SS;
	return mask;
}

static void vmx_set_interrupt_shadow(struct kvm_vcpu *vcpu, u32 mask)
{
	u32 *i = &to_vmx(vcpu)->s.interruptibility;

	*i &= ~(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS);
	if (mask & KVM_X86_SHADOW_INT_STI)
		*i |= GUEST_INTR_STATE_STI;
	if (mask & KVM_X86_SHADOW_INT_MOV_SS)
		*i |= GUEST_INTR_STATE_MOV_SS;
}

/*
 * CR8: without a TPR shadow, MOV to/from CR8 in the guest would reach the
 * host's own APIC, so both always exit (25.1.3) and CR8 lives here.
 */
static u64 vmx_get_cr8(struct kvm_vcpu *vcpu)
{
	return to_vmx(vcpu)->s.cr8;
}

static void vmx_set_cr8(struct kvm_vcpu *vcpu, u64 cr8)
{
	to_vmx(vcpu)->s.cr8 = cr8 & 15;
}

static void vmx_set_cr8_intercept(struct kvm_vcpu *vcpu, bool enable)
{
}

static void vmx_enable_irq_window(struct kvm_vcpu *vcpu, bool enable)
{
	to_vmx(vcpu)->s.irq_window = enable;
}

static void vmx_update_guest_debug(struct kvm_vcpu *vcpu)
{
	u32 *bitmap = &to_vmx(vcpu)->s.exception_bitmap;

	if (vcpu->arch.guest_debug & KVM_GUESTDBG_USE_SW_BP)
		*bitmap |= BIT(X86_TRAP_BP);
	else
		*bitmap &= ~BIT(X86_TRAP_BP);
}

static void vmx_write_tsc_offset(struct kvm_vcpu *vcpu, u64 offset)
{
	to_vmx(vcpu)->s.tsc_offset = offset;
}

/*
 * Event injection through the VM-entry interruption-information field
 * (24.8.3, 26.6).  A #BP/#OF goes as a hardware exception with RIP already
 * past its instruction (x86.c steps over it), as on SVM.  In real mode no
 * exception pushes an error code, and VM entry refuses one (26.2.1.3).
 */
static void vmx_inject_exception(struct kvm_vcpu *vcpu)
{
	struct kvm_queued_exception *e = &vcpu->arch.exception;
	struct vmx_state *s = &to_vmx(vcpu)->s;

	s->entry_intr_info = e->vector | INTR_TYPE_HARD_EXCEPTION |
			     INTR_INFO_VALID_MASK;
	if (e->has_error_code && (vcpu->arch.cr0 & X86_CR0_PE)) {
		s->entry_intr_info |= INTR_INFO_DELIVER_CODE_MASK;
		s->entry_error_code = e->error_code;
	}
}

static void vmx_inject_nmi(struct kvm_vcpu *vcpu)
{
	to_vmx(vcpu)->s.entry_intr_info = NMI_VECTOR | INTR_TYPE_NMI_INTR |
					  INTR_INFO_VALID_MASK;
}

static void vmx_inject_irq(struct kvm_vcpu *vcpu)
{
	to_vmx(vcpu)->s.entry_intr_info = vcpu->arch.interrupt.nr |
					  INTR_TYPE_EXT_INTR |
					  INTR_INFO_VALID_MASK;
	vcpu->arch.stat.irq_injections++;
}

/*
 * With virtual NMIs the CPU tracks NMI blocking itself, in the guest's
 * interruptibility state (24.4.2, 25.3), and NMI-window exiting reports
 * its end, the IRET or the interrupt shadow included (25.2).
 */
static void vmx_enable_nmi_window(struct kvm_vcpu *vcpu)
{
	to_vmx(vcpu)->s.nmi_window = true;
}

static void vmx_set_nmi_mask(struct kvm_vcpu *vcpu, bool masked)
{
}

/* INIT keeps the MSRs (table 9-1) and the VMM's TSC offset and debugging. */
static void vmx_vcpu_init_event(struct kvm_vcpu *vcpu)
{
	vmx_reset_state(to_vmx(vcpu));
}

/*
 * Entry and exit
 */

/*
 * CR0 and CR4 in the VMX guest (24.6.6, 26.3.1.1): the hardware values
 * must respect the fixed bits, except CR0.PE and PG with unrestricted
 * guest; the guest reads the bits we force from the read shadow, and its
 * writes to them exit.  All of CR4 is owned by Kestrel, as on SVM, since
 * its bits follow the guest's CPUID.
 */
static u64 vmx_cr0_forced(void)
{
	u64 fixed0 = vmx_config.cr0_fixed0 & ~(u64)(X86_CR0_PE | X86_CR0_PG);

	return fixed0 | (u32)~vmx_config.cr0_fixed1;
}

static void vmx_write_crs(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	u64 fixed0 = vmx_config.cr0_fixed0 & ~(u64)(X86_CR0_PE | X86_CR0_PG);

	vmcs_write(CR0_GUEST_HOST_MASK, vmx_cr0_forced());
	vmcs_write(CR0_READ_SHADOW, a->cr0);
	vmcs_write(GUEST_CR0, (a->cr0 | fixed0) & vmx_config.cr0_fixed1);
	vmcs_write(CR4_GUEST_HOST_MASK, ~0UL);
	vmcs_write(CR4_READ_SHADOW, a->cr4);
	vmcs_write(GUEST_CR4, (a->cr4 | vmx_config.cr4_fixed0) &
			      vmx_config.cr4_fixed1);
	vmcs_write(GUEST_CR3, a->cr3);
	if ((a->cr0 & X86_CR0_PG) && (a->cr4 & X86_CR4_PAE) &&
	    !(a->efer & EFER_LMA)) {
		/*
		 * PAE paging with EPT: VM entry loads the PDPTEs from the
		 * VMCS, not from memory (26.3.2.4).  a->pdptrs are what the
		 * CPU saved at the last exit (27.3.4) or what Kestrel loaded
		 * at a paging change it made (kvm_load_pdptrs).
		 */
		vmcs_write(GUEST_PDPTR0, a->pdptrs[0]);
		vmcs_write(GUEST_PDPTR1, a->pdptrs[1]);
		vmcs_write(GUEST_PDPTR2, a->pdptrs[2]);
		vmcs_write(GUEST_PDPTR3, a->pdptrs[3]);
	}
}

static const struct {
	u16 sel, base, limit, ar;
} vmx_seg_fields[] = {
	[VCPU_SREG_ES] = { GUEST_ES_SELECTOR, GUEST_ES_BASE, GUEST_ES_LIMIT, GUEST_ES_AR_BYTES },
	[VCPU_SREG_CS] = { GUEST_CS_SELECTOR, GUEST_CS_BASE, GUEST_CS_LIMIT, GUEST_CS_AR_BYTES },
	[VCPU_SREG_SS] = { GUEST_SS_SELECTOR, GUEST_SS_BASE, GUEST_SS_LIMIT, GUEST_SS_AR_BYTES },
	[VCPU_SREG_DS] = { GUEST_DS_SELECTOR, GUEST_DS_BASE, GUEST_DS_LIMIT, GUEST_DS_AR_BYTES },
	[VCPU_SREG_FS] = { GUEST_FS_SELECTOR, GUEST_FS_BASE, GUEST_FS_LIMIT, GUEST_FS_AR_BYTES },
	[VCPU_SREG_GS] = { GUEST_GS_SELECTOR, GUEST_GS_BASE, GUEST_GS_LIMIT, GUEST_GS_AR_BYTES },
	[VCPU_SREG_TR] = { GUEST_TR_SELECTOR, GUEST_TR_BASE, GUEST_TR_LIMIT, GUEST_TR_AR_BYTES },
	[VCPU_SREG_LDTR] = { GUEST_LDTR_SELECTOR, GUEST_LDTR_BASE,
			     GUEST_LDTR_LIMIT, GUEST_LDTR_AR_BYTES },
};

static void vmx_write_segments(struct vmx_state *s)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(vmx_seg_fields); i++) {
		const struct kvm_segment *v = &s->seg[i];

		vmcs_write(vmx_seg_fields[i].sel, v->selector);
		vmcs_write(vmx_seg_fields[i].base, v->base);
		vmcs_write(vmx_seg_fields[i].limit, v->limit);
		vmcs_write(vmx_seg_fields[i].ar, vmx_seg_ar(v));
	}
	vmcs_write(GUEST_GDTR_BASE, s->gdt.base);
	vmcs_write(GUEST_GDTR_LIMIT, s->gdt.limit);
	vmcs_write(GUEST_IDTR_BASE, s->idt.base);
	vmcs_write(GUEST_IDTR_LIMIT, s->idt.limit);
}

static void vmx_read_segments(struct vmx_state *s)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(vmx_seg_fields); i++) {
		struct kvm_segment *v = &s->seg[i];

		v->selector = vmcs_read(vmx_seg_fields[i].sel);
		v->base = vmcs_read(vmx_seg_fields[i].base);
		v->limit = vmcs_read32(vmx_seg_fields[i].limit);
		vmx_seg_from_ar(v, vmcs_read32(vmx_seg_fields[i].ar));
	}
	s->gdt.base = vmcs_read(GUEST_GDTR_BASE);
	s->gdt.limit = vmcs_read32(GUEST_GDTR_LIMIT);
	s->idt.base = vmcs_read(GUEST_IDTR_BASE);
	s->idt.limit = vmcs_read32(GUEST_IDTR_LIMIT);
}

/*
 * The interruptibility state VM entry accepts (26.3.1.5): STI blocking
 * only with RFLAGS.IF=1, and no NMI blocking while injecting an NMI.
 */
static u32 vmx_entry_interruptibility(struct vcpu_vmx *vmx)
{
	struct kvm_vcpu_arch *a = &vmx->vcpu.arch;
	u32 i = vmx->s.interruptibility & (GUEST_INTR_STATE_STI |
					   GUEST_INTR_STATE_MOV_SS);

	if (!(a->rflags & X86_EFLAGS_IF))
		i &= ~GUEST_INTR_STATE_STI;
	if (a->nmi_masked &&
	    (vmx->s.entry_intr_info & INTR_INFO_INTR_TYPE_MASK) !=
	    INTR_TYPE_NMI_INTR)
		i |= GUEST_INTR_STATE_NMI;
	return i;
}

static void vmx_write_guest_state(struct vcpu_vmx *vmx)
{
	struct kvm_vcpu_arch *a = &vmx->vcpu.arch;
	struct vmx_state *s = &vmx->s;
	unsigned long rflags = a->rflags;

	a->singlestep_tf = (a->guest_debug & KVM_GUESTDBG_SINGLESTEP) &&
			   !(rflags & X86_EFLAGS_TF);
	if (a->singlestep_tf)
		rflags |= X86_EFLAGS_TF;
	vmcs_write(GUEST_RSP, a->regs[VCPU_REGS_RSP]);
	vmcs_write(GUEST_RIP, a->rip);
	vmcs_write(GUEST_RFLAGS, rflags);
	vmx_write_crs(&vmx->vcpu);
	vmcs_write(GUEST_IA32_EFER, a->efer);
	vmcs_write(GUEST_IA32_PAT, s->pat);
	vmcs_write(GUEST_DR7, (a->guest_debug & KVM_GUESTDBG_USE_HW_BP) ?
			      a->guest_debug_dr7 : a->dr7);
	vmcs_write(GUEST_IA32_DEBUGCTL, 0);
	vmcs_write(GUEST_SYSENTER_CS, s->sysenter_cs);
	vmcs_write(GUEST_SYSENTER_ESP, s->sysenter_esp);
	vmcs_write(GUEST_SYSENTER_EIP, s->sysenter_eip);
	vmx_write_segments(s);
	vmcs_write(GUEST_INTERRUPTIBILITY_INFO, vmx_entry_interruptibility(vmx));
	vmcs_write(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
	/*
	 * A single step pending in an interrupt shadow must be recorded as
	 * such, or VM entry fails (26.3.1.5).
	 */
	vmcs_write(GUEST_PENDING_DBG_EXCEPTIONS,
		   ((rflags & X86_EFLAGS_TF) &&
		    (s->interruptibility & (GUEST_INTR_STATE_STI |
					    GUEST_INTR_STATE_MOV_SS))) ?
		   DR_STEP : 0);
	vmcs_write(VMCS_LINK_POINTER, ~0ULL);
}

static void vmx_read_guest_state(struct vcpu_vmx *vmx)
{
	struct kvm_vcpu_arch *a = &vmx->vcpu.arch;
	struct vmx_state *s = &vmx->s;
	u64 forced = vmx_cr0_forced();

	a->regs[VCPU_REGS_RSP] = vmcs_read(GUEST_RSP);
	a->rip = vmcs_read(GUEST_RIP);
	a->rflags = vmcs_read(GUEST_RFLAGS);
	if (a->singlestep_tf)
		a->rflags &= ~X86_EFLAGS_TF;
	a->cr0 = (vmcs_read(GUEST_CR0) & ~forced) | (a->cr0 & forced);
	a->cr3 = vmcs_read(GUEST_CR3);
	a->efer = vmcs_read(GUEST_IA32_EFER);
	if (!(a->guest_debug & KVM_GUESTDBG_USE_HW_BP))
		a->dr7 = vmcs_read(GUEST_DR7);
	if ((a->cr0 & X86_CR0_PG) && (a->cr4 & X86_CR4_PAE) &&
	    !(a->efer & EFER_LMA)) {
		a->pdptrs[0] = vmcs_read(GUEST_PDPTR0);
		a->pdptrs[1] = vmcs_read(GUEST_PDPTR1);
		a->pdptrs[2] = vmcs_read(GUEST_PDPTR2);
		a->pdptrs[3] = vmcs_read(GUEST_PDPTR3);
		a->pdptrs_cached = true;
	} else {
		a->pdptrs_cached = false;
	}
	s->pat = vmcs_read(GUEST_IA32_PAT);
	s->sysenter_cs = vmcs_read32(GUEST_SYSENTER_CS);
	s->sysenter_esp = vmcs_read(GUEST_SYSENTER_ESP);
	s->sysenter_eip = vmcs_read(GUEST_SYSENTER_EIP);
	vmx_read_segments(s);
	s->interruptibility = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
	a->nmi_masked = !!(s->interruptibility & GUEST_INTR_STATE_NMI);
}

static u32 vmx_preemption_timer_value(void)
{
	u64 ticks = (u64)tsc_khz * VMX_RUN_BOUND_US / 1000;

	ticks >>= vmx_config.timer_rate;
	return clamp_t(u64, ticks, 1, U32_MAX);
}

static void vmx_write_controls(struct vcpu_vmx *vmx)
{
	struct vmx_config *c = &vmx_config;
	struct vmx_state *s = &vmx->s;
	u32 proc = c->proc;
	u32 entry = c->entry;

	if (s->irq_window)
		proc |= CPU_BASED_INTR_WINDOW_EXITING;
	if (s->nmi_window)
		proc |= CPU_BASED_NMI_WINDOW_EXITING;
	if (vmx->vcpu.arch.efer & EFER_LMA)
		entry |= VM_ENTRY_IA32E_MODE;
	vmcs_write(PIN_BASED_VM_EXEC_CONTROL, c->pin);
	vmcs_write(CPU_BASED_VM_EXEC_CONTROL, proc);
	vmcs_write(SECONDARY_VM_EXEC_CONTROL, vmx->vpid ? c->proc2 :
			c->proc2 & ~SECONDARY_EXEC_ENABLE_VPID);
	vmcs_write(VM_EXIT_CONTROLS, c->exit);
	vmcs_write(VM_ENTRY_CONTROLS, entry);
	vmcs_write(EXCEPTION_BITMAP, s->exception_bitmap);
	vmcs_write(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write(CR3_TARGET_COUNT, 0);
	vmcs_write(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write(MSR_BITMAP, page_to_phys(vmx_msr_bitmap));
	vmcs_write(TSC_OFFSET, s->tsc_offset);
	vmcs_write(VMX_PREEMPTION_TIMER_VALUE, vmx_preemption_timer_value());
	if (vmx->vpid)
		vmcs_write(VIRTUAL_PROCESSOR_ID, vmx->vpid);
	vmcs_write(EPT_POINTER, kvm_mmu_root_hpa(&vmx->vcpu) |
				VMX_EPTP_MT_WB |
				(pgtable_l5_enabled() ? VMX_EPTP_PWL_5 :
							VMX_EPTP_PWL_4));
	vmcs_write(VM_ENTRY_INTR_INFO_FIELD, s->entry_intr_info);
	vmcs_write(VM_ENTRY_EXCEPTION_ERROR_CODE, s->entry_error_code);
	vmcs_write(VM_ENTRY_INSTRUCTION_LEN, 0);
}

/*
 * The host state VM exit loads (24.5, 27.5): what this CPU and thread run
 * with now.  HOST_RSP is written by __vmx_vcpu_run.
 */
static void vmx_write_host_state(void)
{
	struct desc_ptr dt;
	unsigned long fs_base, gs_base;
	u64 v;

	vmcs_write(HOST_CR0, read_cr0());
	vmcs_write(HOST_CR3, __read_cr3());
	vmcs_write(HOST_CR4, cr4_read_shadow());
	vmcs_write(HOST_CS_SELECTOR, __KERNEL_CS);
	vmcs_write(HOST_SS_SELECTOR, __KERNEL_DS);
	/* RPL and TI must be 0 (26.2.3): DS/ES/FS/GS are put back by hand. */
	vmcs_write(HOST_DS_SELECTOR, 0);
	vmcs_write(HOST_ES_SELECTOR, 0);
	vmcs_write(HOST_FS_SELECTOR, 0);
	vmcs_write(HOST_GS_SELECTOR, 0);
	vmcs_write(HOST_TR_SELECTOR, GDT_ENTRY_TSS * 8);
	rdmsrl(MSR_FS_BASE, fs_base);
	rdmsrl(MSR_GS_BASE, gs_base);
	vmcs_write(HOST_FS_BASE, fs_base);
	vmcs_write(HOST_GS_BASE, gs_base);
	vmcs_write(HOST_TR_BASE,
		   (unsigned long)&get_cpu_entry_area(smp_processor_id())->tss.x86_tss);
	native_store_gdt(&dt);
	vmcs_write(HOST_GDTR_BASE, dt.address);
	store_idt(&dt);
	vmcs_write(HOST_IDTR_BASE, dt.address);
	rdmsrl(MSR_IA32_SYSENTER_CS, v);
	vmcs_write(HOST_IA32_SYSENTER_CS, v);
	rdmsrl(MSR_IA32_SYSENTER_ESP, v);
	vmcs_write(HOST_IA32_SYSENTER_ESP, v);
	rdmsrl(MSR_IA32_SYSENTER_EIP, v);
	vmcs_write(HOST_IA32_SYSENTER_EIP, v);
	rdmsrl(MSR_EFER, v);
	vmcs_write(HOST_IA32_EFER, v);
	rdmsrl(MSR_IA32_CR_PAT, v);
	vmcs_write(HOST_IA32_PAT, v);
	vmcs_write(HOST_RIP, (unsigned long)__vmx_vmexit);
}

/*
 * The syscall MSRs and KERNEL_GS_BASE are not switched by VM entry/exit
 * (27.5.1 loads only those the host-state area names): the guest's go in
 * with interrupts off, the host's come back before they are enabled.
 */
static const u32 vmx_manual_msrs[] = {
	MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK, MSR_KERNEL_GS_BASE,
};

/*
 * The values go in as msr.c accepted them, except SYSCALL_MASK: bits 63:32
 * are reserved and WRMSR of them faults (SDM vol. 4, IA32_FMASK), yet
 * KVM_SET_MSRS and the guest may store them (stock KVM keeps them while
 * it does not load the MSR).  SYSCALL uses only bits 31:0 to mask RFLAGS,
 * whose upper half is reserved: load those and keep the stored value for
 * RDMSR.  LSTAR, CSTAR and KERNEL_GS_BASE are canonical (msr.c), STAR
 * has no reserved bits.
 *
 * Only KERNEL_GS_BASE changes without an exit (SWAPGS): it alone is read
 * back.  The others' writes are intercepted, so the stored values stay
 * what the guest last wrote.
 */
static void vmx_swap_manual_msrs(struct vcpu_vmx *vmx, u64 *host, bool in)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(vmx_manual_msrs); i++) {
		u32 index = vmx_manual_msrs[i];
		u64 *guest = vmx_msr_slot(vmx, index);

		if (in) {
			rdmsrl(index, host[i]);
			wrmsrl(index, index == MSR_SYSCALL_MASK ? (u32)*guest :
								   *guest);
		} else {
			if (index == MSR_KERNEL_GS_BASE)
				rdmsrl(index, *guest);
			wrmsrl(index, host[i]);
		}
	}
}

/* Make the vCPU's VMCS current here (24.11.1); interrupts off. */
static int vmx_make_current(struct vcpu_vmx *vmx, int cpu)
{
	struct vmx_cpu_data *cd = this_cpu_ptr(&vmx_cpu_data);
	int loaded = READ_ONCE(vmx->loaded_cpu);

	if (loaded >= 0 && loaded != cpu) {
		/* vmx_vcpu_load() clears it first: never load it twice. */
		WARN_ONCE(1, "kestrel: VMCS still active on CPU %d\n", loaded);
		return -EIO;
	}
	if (loaded < 0) {
		/*
		 * Active on no CPU: a fresh VMCS, or one VMCLEARed since.  A
		 * VMCS must be cleared before its first VMPTRLD so that its
		 * launch state is "clear" (24.11.3); VMCLEAR also initializes
		 * the implementation-specific data in the region.  Clearing an
		 * already clear VMCS again is harmless.
		 */
		if (vmx_vmclear(vmx->vmcs_pa))
			return -EIO;
		vmx->launched = false;
		list_add(&vmx->loaded_link, &cd->loaded);
		WRITE_ONCE(vmx->loaded_cpu, cpu);
	}
	if (cd->current_vmcs != vmx->vmcs) {
		if (vmx_vmptrld(vmx->vmcs_pa))
			return -EIO;
		cd->current_vmcs = vmx->vmcs;
	}
	return 0;
}

/* Stale guest translations: EPT-derived and, with VPIDs, linear (28.3.3). */
static void vmx_flush_tlb(struct vcpu_vmx *vmx)
{
	u64 eptp = kvm_mmu_root_hpa(&vmx->vcpu) | VMX_EPTP_MT_WB |
		   (pgtable_l5_enabled() ? VMX_EPTP_PWL_5 : VMX_EPTP_PWL_4);

	if (vmx_config.ept_vpid_cap & VMX_EPT_EXTENT_CONTEXT_BIT)
		vmx_invept(VMX_EPT_EXTENT_CONTEXT, eptp);
	else
		vmx_invept(VMX_EPT_EXTENT_GLOBAL, 0);
	/* Without a VPID, entry and exit flush VPID 0's mappings (28.3.3.3). */
	if (!vmx->vpid)
		return;
	if (vmx_config.ept_vpid_cap &
	    ((u64)VMX_VPID_EXTENT_SINGLE_CONTEXT_BIT << 32))
		vmx_invvpid(VMX_VPID_EXTENT_SINGLE_CONTEXT, vmx->vpid);
	else
		vmx_invvpid(VMX_VPID_EXTENT_ALL_CONTEXT, 0);
}

static void vmx_read_exit(struct vcpu_vmx *vmx)
{
	struct vmx_exit *x = &vmx->x;

	x->reason = vmcs_read32(VM_EXIT_REASON);
	x->qualification = vmcs_read(EXIT_QUALIFICATION);
	x->intr_info = vmcs_read32(VM_EXIT_INTR_INFO);
	x->intr_error_code = vmcs_read32(VM_EXIT_INTR_ERROR_CODE);
	x->idt_vectoring = vmcs_read32(IDT_VECTORING_INFO_FIELD);
	x->idt_error_code = vmcs_read32(IDT_VECTORING_ERROR_CODE);
	x->insn_len = vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
	x->gpa = vmcs_read(GUEST_PHYSICAL_ADDRESS);
}

/*
 * What a VM exit leaves for the host to restore (27.5.2): DS, ES (and FS,
 * GS selectors) are null, the TR limit is 0x67 and the GDT limit 0xffff.
 */
struct vmx_host_segs {
	u16 ds, es, fs, gs;
	unsigned long fs_base, kernel_gs_base;
};

static void vmx_save_host_segs(struct vmx_host_segs *h)
{
	savesegment(ds, h->ds);
	savesegment(es, h->es);
	savesegment(fs, h->fs);
	savesegment(gs, h->gs);
	rdmsrl(MSR_FS_BASE, h->fs_base);
}

static void vmx_restore_host_segs(const struct vmx_host_segs *h)
{
	if (h->ds)
		loadsegment(ds, h->ds);
	if (h->es)
		loadsegment(es, h->es);
	if (h->fs) {
		loadsegment(fs, h->fs);
		wrmsrl(MSR_FS_BASE, h->fs_base);
	}
	if (h->gs) {
		unsigned long kgs;

		/* A GS selector load replaces the kernel's GS base: keep it. */
		rdmsrl(MSR_KERNEL_GS_BASE, kgs);
		load_gs_index(h->gs);
		wrmsrl(MSR_KERNEL_GS_BASE, kgs);
	}
	invalidate_tss_limit();
	load_fixmap_gdt(smp_processor_id());
}

/*
 * A machine check that made the guest exit (an #MC exit, 25.2, or exit
 * reason 41 "VM-entry failure due to machine-check event", 26.8) is the
 * host's: hand it to the host's handler at once, interrupts still off,
 * as the #MC it would have been (KVM's kvm_machine_check()), before
 * anything else runs on a possibly poisoned state.
 */
static void vmx_handle_mce_irqoff(struct vcpu_vmx *vmx)
{
	u32 mask = INTR_INFO_VALID_MASK | INTR_INFO_INTR_TYPE_MASK |
		   INTR_INFO_VECTOR_MASK;
	u16 basic = VMX_EXIT_REASON_BASIC(vmx->x.reason);

	if (basic != EXIT_REASON_MCE_DURING_VMENTRY &&
	    (basic != EXIT_REASON_EXCEPTION_NMI ||
	     (vmx->x.intr_info & mask) !=
	     (INTR_INFO_VALID_MASK | INTR_TYPE_HARD_EXCEPTION | X86_TRAP_MC)))
		return;
#ifdef CONFIG_X86_MCE
	{
		/* As if taken in user mode with interrupts on: not fatal. */
		struct pt_regs regs = {
			.cs = 3,
			.flags = X86_EFLAGS_IF,
		};

		do_machine_check(&regs);
	}
#endif
}

/* The NMI the exit consumed goes to the host's handler (27.2.2). */
static void vmx_handle_nmi_irqoff(struct vcpu_vmx *vmx)
{
	u32 info = vmx->x.intr_info;

	if (VMX_EXIT_REASON_BASIC(vmx->x.reason) != EXIT_REASON_EXCEPTION_NMI ||
	    (info & (INTR_INFO_VALID_MASK | INTR_INFO_INTR_TYPE_MASK)) !=
	    (INTR_INFO_VALID_MASK | INTR_TYPE_NMI_INTR))
		return;
	__vmx_do_nmi(asm_exc_nmi_noist);
}

static void vmx_enter(struct vcpu_vmx *vmx)
{
	struct kvm_vcpu_arch *a = &vmx->vcpu.arch;
	struct vmx_host_segs host_segs;
	u64 host_msrs[ARRAY_SIZE(vmx_manual_msrs)];

	/* VM exit clears IA32_DEBUGCTL (27.5.1): LBR, BTF... come back. */
	unsigned long debugctl = get_debugctlmsr();

	vmx_save_host_segs(&host_segs);
	vmx_swap_manual_msrs(vmx, host_msrs, true);
	/* CR2 and DR6 are not in the VMCS: the guest's go in by hand. */
	if (native_read_cr2() != a->cr2)
		native_write_cr2(a->cr2);
	set_debugreg(a->dr6, 6);
	kvm_load_guest_xsave_state(&vmx->vcpu);
	/* Last, so that nothing the host loads after it stays in L1D. */
	vmx_l1d_flush();
	vmx->x.insn_fault = __vmx_vcpu_run(a->regs, vmx->launched);
	if (debugctl)
		update_debugctlmsr(debugctl);
	kvm_load_host_xsave_state(&vmx->vcpu);
	a->cr2 = native_read_cr2();
	get_debugreg(a->dr6, 6);
	set_debugreg(DR6_RESET, 6);
	vmx_swap_manual_msrs(vmx, host_msrs, false);
	vmx_restore_host_segs(&host_segs);
}

/*
 * A failed entry is the VMM's or Kestrel's bug: say what the CPU saw, as
 * KVM's dump_vmcs() does, while the VMCS is still current.
 */
static void vmx_report_failed_entry(struct vcpu_vmx *vmx)
{
	static DEFINE_RATELIMIT_STATE(rs, 5 * HZ, 10);

	if (!__ratelimit(&rs))
		return;
	pr_warn("VM entry failed: %s %#x; guest CR0 %#lx CR4 %#lx EFER %#lx RFLAGS %#lx entry %#lx\n",
		vmx->x.insn_fault ? "VM-instruction error" : "exit reason",
		vmx->x.insn_fault ? vmx->x.insn_error : vmx->x.reason,
		vmcs_read(GUEST_CR0), vmcs_read(GUEST_CR4),
		vmcs_read(GUEST_IA32_EFER), vmcs_read(GUEST_RFLAGS),
		vmcs_read(VM_ENTRY_CONTROLS));
	pr_warn("  CS %#lx/%#lx SS %#lx/%#lx TR %#lx/%#lx intr %#lx qual %#lx\n",
		vmcs_read(GUEST_CS_SELECTOR), vmcs_read(GUEST_CS_AR_BYTES),
		vmcs_read(GUEST_SS_SELECTOR), vmcs_read(GUEST_SS_AR_BYTES),
		vmcs_read(GUEST_TR_SELECTOR), vmcs_read(GUEST_TR_AR_BYTES),
		vmcs_read(GUEST_INTERRUPTIBILITY_INFO),
		vmcs_read(EXIT_QUALIFICATION));
}

static void vmx_vcpu_run(struct kvm_vcpu *vcpu, bool flush_tlb)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	int cpu = smp_processor_id();

	if (vmx_make_current(vmx, cpu)) {
		vmx->x.insn_fault = 2;
		return;
	}
	/*
	 * INVEPT and INVVPID act on the executing CPU only (31.3), and
	 * cached translations are tagged by EPTP and VPID, not by CPU
	 * (28.4.1).  So flush when x86.c asks (a zap since this vCPU last
	 * entered: kvm_flush_remote_tlbs() bumped the generation) and
	 * whenever this vCPU enters on a CPU other than the last one: that
	 * CPU may hold translations of this EPTP/VPID from before a zap that
	 * were flushed elsewhere only (pages since freed).  Together these
	 * cover every CPU that may cache the EPTP, running or not: a CPU is
	 * flushed before any vCPU of the VM uses it again.
	 */
	if (flush_tlb || vmx->last_run_cpu != cpu)
		vmx_flush_tlb(vmx);
	vmx->last_run_cpu = cpu;
	vmx_write_controls(vmx);
	vmx_write_host_state();
	vmx_write_guest_state(vmx);

	vmx_enter(vmx);
	if (vmx->x.insn_fault) {
		vmx->x.insn_error = vmcs_read32(VM_INSTRUCTION_ERROR);
		vmx_report_failed_entry(vmx);
		return;
	}
	vmx->launched = true;
	vmx_read_exit(vmx);
	vmx_handle_mce_irqoff(vmx);
	if (vmx->x.reason & VMX_EXIT_REASON_FAILED_ENTRY) {
		/*
		 * Whether a failed entry launched the VMCS is not ours to
		 * guess (Bochs leaves it clear, 26.8): VMCLEAR makes it clear
		 * for certain, and the next entry VMPTRLDs and VMLAUNCHes.
		 */
		vmx_report_failed_entry(vmx);
		vmx_clear_loaded(vmx);
		/* Nothing was loaded: the guest state is still ours. */
		return;
	}
	vmx_read_guest_state(vmx);
	vmx_handle_nmi_irqoff(vmx);
}

/*
 * Exits (27.2, appendix C)
 */

static int vmx_skip_emulated_instruction(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	u32 len = vmx->x.insn_len;

	/* Only instruction exits report a length (27.2.5). */
	if (!len || len > 15) {
		int n = kvm_guest_insn_len(vcpu);

		if (n < 0)
			return kvm_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION,
						  vcpu->arch.rip, 0);
		len = n;
	}
	vcpu->arch.rip += len;
	vmx->s.interruptibility &= ~(GUEST_INTR_STATE_STI |
				     GUEST_INTR_STATE_MOV_SS);
	return 1;
}

static int vmx_exit_ignore(struct vcpu_vmx *vmx)
{
	return 1;
}

static int vmx_exit_skip(struct vcpu_vmx *vmx)
{
	return vmx_skip_emulated_instruction(&vmx->vcpu);
}

static int vmx_exit_ud(struct vcpu_vmx *vmx)
{
	kvm_queue_exception(&vmx->vcpu, X86_TRAP_UD);
	return 1;
}

static int vmx_exit_gp(struct vcpu_vmx *vmx)
{
	kvm_queue_exception_e(&vmx->vcpu, X86_TRAP_GP, 0);
	return 1;
}

/*
 * #DB: for the debugger when it steps or set breakpoints, else reflected
 * (intercepted so that it cannot loop in the CPU: CVE-2015-8104).  The
 * exit qualification holds the DR6 bits of a #DB (27.2.1, table 27-1).
 */
static int vmx_exit_db(struct vcpu_vmx *vmx)
{
	struct kvm_vcpu *vcpu = &vmx->vcpu;
	unsigned long hit = vmx->x.qualification & (DR_TRAP_BITS | DR_STEP);

	if (vcpu->arch.guest_debug &
	    (KVM_GUESTDBG_SINGLESTEP | KVM_GUESTDBG_USE_HW_BP))
		return kvm_debug_exit(vcpu, X86_TRAP_DB, DR6_RESET | hit,
				      vcpu->arch.dr7);
	vcpu->arch.dr6 = (vcpu->arch.dr6 & ~(DR_TRAP_BITS | DR_STEP)) | hit;
	kvm_queue_exception(vcpu, X86_TRAP_DB);
	return 1;
}

static int vmx_exit_exception(struct vcpu_vmx *vmx)
{
	struct kvm_vcpu *vcpu = &vmx->vcpu;
	u32 info = vmx->x.intr_info;

	if ((info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_NMI_INTR)
		return 1;		/* the host's, handled at the exit */
	/* An IRET that faulted had unblocked NMIs: block them again (27.2.3). */
	if ((info & INTR_INFO_UNBLOCK_NMI) &&
	    (info & INTR_INFO_VECTOR_MASK) != X86_TRAP_DF)
		vmx->vcpu.arch.nmi_masked = true;
	switch (info & INTR_INFO_VECTOR_MASK) {
	case X86_TRAP_DB:
		return vmx_exit_db(vmx);
	case X86_TRAP_BP:
		return kvm_debug_exit(vcpu, X86_TRAP_BP, vcpu->arch.dr6,
				      vcpu->arch.dr7);
	case X86_TRAP_UD:
		return kvm_emulate_ud(vcpu);
	case X86_TRAP_AC:
		kvm_queue_exception_e(vcpu, X86_TRAP_AC, 0);
		return 1;
	case X86_TRAP_MC:
		/* The host's, handled right at the exit (vmx_handle_mce_irqoff). */
		return 1;
	default:
		return kvm_internal_error(vcpu, KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON,
					  EXIT_REASON_EXCEPTION_NMI, info);
	}
}

/* The window opened: the run loop decides what to tell userspace. */
static int vmx_exit_irq_window(struct vcpu_vmx *vmx)
{
	vmx->s.irq_window = false;
	return 1;
}

static int vmx_exit_nmi_window(struct vcpu_vmx *vmx)
{
	vmx->s.nmi_window = false;
	return 1;
}

/*
 * Unlike SVM's shutdown intercept (the VMCB is undefined then, APM 15.12,
 * so KVM and the SVM backend reset the vCPU as INIT), a triple-fault exit
 * saves a consistent guest state (27.3): kvm-intel leaves the vCPU as it
 * was, in-kernel APIC included, for userspace to reset, and so does this.
 */
static int vmx_exit_triple_fault(struct vcpu_vmx *vmx)
{
	vmx->vcpu.run->exit_reason = KVM_EXIT_SHUTDOWN;
	return 0;
}

static int vmx_exit_cpuid(struct vcpu_vmx *vmx)
{
	return kvm_emulate_cpuid(&vmx->vcpu);
}

static int vmx_exit_hlt(struct vcpu_vmx *vmx)
{
	return kvm_emulate_halt(&vmx->vcpu);
}

/* Exit qualification of I/O instructions (27.2.1, table 27-5). */
static int vmx_exit_io(struct vcpu_vmx *vmx)
{
	unsigned long q = vmx->x.qualification;

	return kvm_emulate_pio(&vmx->vcpu, q >> 16, (q & 7) + 1, q & BIT(3),
			       q & BIT(4), q & BIT(5),
			       vmx->vcpu.arch.rip + vmx->x.insn_len);
}

static bool vmx_long64(struct vcpu_vmx *vmx)
{
	return is_long_mode(&vmx->vcpu) && vmx->s.seg[VCPU_SREG_CS].l;
}

/*
 * MOV to CR0 of a bit we force (vmx_cr0_forced): the checks of SDM vol. 3A
 * 2.5 and MOV (vol. 2B), and the IA-32e mode switch (vol. 3A 9.8.5).
 */
static int vmx_set_cr0(struct vcpu_vmx *vmx, unsigned long val)
{
	struct kvm_vcpu_arch *a = &vmx->vcpu.arch;
	bool pg = val & X86_CR0_PG;

	if (!vmx_long64(vmx))
		val = (u32)val;
	val |= X86_CR0_ET;
	if ((val >> 32) || (pg && !(val & X86_CR0_PE)) ||
	    ((val & X86_CR0_NW) && !(val & X86_CR0_CD)))
		return 1;
	if (pg && !(a->cr0 & X86_CR0_PG) && (a->efer & EFER_LME)) {
		if (!(a->cr4 & X86_CR4_PAE) || vmx->s.seg[VCPU_SREG_CS].l)
			return 1;
		a->efer |= EFER_LMA;
	}
	if (!pg && (a->cr0 & X86_CR0_PG) && (a->efer & EFER_LMA)) {
		if (vmx->s.seg[VCPU_SREG_CS].l)
			return 1;
		a->efer &= ~EFER_LMA;
	}
	a->cr0 = val;
	/* The guest's own MOV did not run: PAE's PDPTEs are ours to load. */
	kvm_load_pdptrs(&vmx->vcpu);
	return 0;
}

/*
 * MOV to CR3, exiting only where the CPU forces CR3-load exiting on (no
 * TRUE controls, see vmx_setup_controls): SDM vol. 2B MOV and vol. 3A
 * 4.10.4.1.  Bit 63 with CR4.PCIDE only asks not to flush; Kestrel flushes
 * the vCPU's TLB anyway, which is always allowed.
 */
static int vmx_set_cr3(struct vcpu_vmx *vmx, unsigned long val)
{
	struct kvm_vcpu *vcpu = &vmx->vcpu;

	if (vmx_long64(vmx) && (vcpu->arch.cr4 & X86_CR4_PCIDE))
		val &= ~BIT_ULL(63);
	if (!vmx_long64(vmx))
		val = (u32)val;
	if (val >> boot_cpu_data.x86_phys_bits)
		return 1;
	vcpu->arch.cr3 = val;
	vcpu->arch.flush_guest_tlb = true;
	kvm_load_pdptrs(vcpu);
	return 0;
}

/* Exit qualification of control-register accesses (table 27-3). */
static int vmx_exit_cr(struct vcpu_vmx *vmx)
{
	struct kvm_vcpu *vcpu = &vmx->vcpu;
	unsigned long q = vmx->x.qualification;
	int cr = q & 15, type = (q >> 4) & 3, reg = (q >> 8) & 15;

	if (type == 0 && cr == 4)
		return kvm_emulate_mov_to_cr4(vcpu);
	if (type == 0 && cr == 8)
		return kvm_emulate_mov_to_cr8(vcpu);
	if (type == 1 && cr == 8) {
		kvm_reg_write(vcpu, reg, vmx->s.cr8);
		return vmx_skip_emulated_instruction(vcpu);
	}
	if (type == 1 && cr == 3) {
		kvm_reg_write(vcpu, reg, vcpu->arch.cr3);
		return vmx_skip_emulated_instruction(vcpu);
	}
	if (type == 0 && cr == 3) {
		if (kvm_get_cpl(vcpu) ||
		    vmx_set_cr3(vmx, kvm_reg_read(vcpu, reg))) {
			kvm_queue_exception_e(vcpu, X86_TRAP_GP, 0);
			return 1;
		}
		return vmx_skip_emulated_instruction(vcpu);
	}
	if (type == 0 && cr == 0) {
		if (kvm_get_cpl(vcpu) ||
		    vmx_set_cr0(vmx, kvm_reg_read(vcpu, reg))) {
			kvm_queue_exception_e(vcpu, X86_TRAP_GP, 0);
			return 1;
		}
		return vmx_skip_emulated_instruction(vcpu);
	}
	return kvm_internal_error(vcpu, KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON,
				  EXIT_REASON_CR_ACCESS, q);
}

/*
 * MOV DR exits for every debug register (25.1.3), where SVM intercepts
 * only DR0-3 and DR7 writes: those go to the shared emulation, DR4-7
 * reads and DR6 writes are done here from the exit qualification (table
 * 27-4).  DR4/5 alias DR6/7 without CR4.DE, else #UD (SDM vol. 3B 18.2.2).
 */
static int vmx_exit_dr(struct vcpu_vmx *vmx)
{
	struct kvm_vcpu *vcpu = &vmx->vcpu;
	unsigned long q = vmx->x.qualification;
	int dr = q & 7, reg = (q >> 8) & 15;
	bool read = q & BIT(4);
	unsigned long val;

	if (dr < 4 || (!read && (dr == 7 || dr == 5)))
		return kvm_emulate_mov_dr(vcpu);
	if (dr >= 4 && dr <= 5 && (vcpu->arch.cr4 & X86_CR4_DE)) {
		kvm_queue_exception(vcpu, X86_TRAP_UD);
		return 1;
	}
	if (kvm_get_cpl(vcpu)) {
		kvm_queue_exception_e(vcpu, X86_TRAP_GP, 0);
		return 1;
	}
	if (read) {
		val = (dr & 1) ? vcpu->arch.dr7 : vcpu->arch.dr6;
		kvm_reg_write(vcpu, reg, val);
	} else {
		val = kvm_reg_read(vcpu, reg);
		if (vmx_long64(vmx) && (val >> 32)) {
			kvm_queue_exception_e(vcpu, X86_TRAP_GP, 0);
			return 1;
		}
		vcpu->arch.dr6 = ((u32)val & 0x1e00f) | DR6_RESET;
	}
	return vmx_skip_emulated_instruction(vcpu);
}

static int vmx_exit_msr_read(struct vcpu_vmx *vmx)
{
	return kvm_emulate_msr(&vmx->vcpu, false);
}

static int vmx_exit_msr_write(struct vcpu_vmx *vmx)
{
	return kvm_emulate_msr(&vmx->vcpu, true);
}

/* VMCALL (SDM vol. 2B), for KVM_X86_QUIRK_FIX_HYPERCALL_INSN. */
static void vmx_patch_hypercall(u8 *buf)
{
	buf[0] = 0x0f;
	buf[1] = 0x01;
	buf[2] = 0xc1;
}

/* Intercepted (see exits.c): a no-op or #UD, never a wait. */
static int vmx_exit_monitor_mwait(struct vcpu_vmx *vmx)
{
	return kvm_emulate_monitor_mwait(&vmx->vcpu);
}

static int vmx_exit_vmcall(struct vcpu_vmx *vmx)
{
	return kvm_emulate_hypercall(&vmx->vcpu);
}

static int vmx_exit_xsetbv(struct vcpu_vmx *vmx)
{
	return kvm_emulate_xsetbv(&vmx->vcpu);
}

static int vmx_exit_task_switch(struct vcpu_vmx *vmx)
{
	return kvm_internal_error(&vmx->vcpu, KVM_INTERNAL_ERROR_EMULATION,
				  EXIT_REASON_TASK_SWITCH, vmx->x.qualification);
}

/*
 * EPT violation (28.3.3.2, table 27-7): bit 1 a write, bit 12 "NMI
 * unblocking due to IRET".  RAM is mapped in, the rest is MMIO.
 */
static int vmx_exit_ept_violation(struct vcpu_vmx *vmx)
{
	unsigned long q = vmx->x.qualification;

	if ((q & BIT(12)) && !(vmx->x.idt_vectoring & VECTORING_INFO_VALID_MASK))
		vmx->vcpu.arch.nmi_masked = true;
	vmx->vcpu.arch.insn_len = 0;
	return kvm_tdp_page_fault(&vmx->vcpu, vmx->x.gpa, q & BIT(1));
}

/* Only a bug of ours makes an EPT entry misconfigured (28.3.3.1). */
static int vmx_exit_ept_misconfig(struct vcpu_vmx *vmx)
{
	pr_warn_ratelimited("EPT misconfiguration at GPA %#llx\n", vmx->x.gpa);
	return kvm_internal_error(&vmx->vcpu,
				  KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON,
				  EXIT_REASON_EPT_MISCONFIG, vmx->x.gpa);
}

static int (*const vmx_exit_handlers[])(struct vcpu_vmx *vmx) = {
	[EXIT_REASON_EXCEPTION_NMI]		= vmx_exit_exception,
	[EXIT_REASON_EXTERNAL_INTERRUPT]	= vmx_exit_ignore,
	[EXIT_REASON_TRIPLE_FAULT]		= vmx_exit_triple_fault,
	[EXIT_REASON_INIT_SIGNAL]		= vmx_exit_ignore,
	[EXIT_REASON_SIPI_SIGNAL]		= vmx_exit_ignore,
	[EXIT_REASON_INTERRUPT_WINDOW]		= vmx_exit_irq_window,
	[EXIT_REASON_NMI_WINDOW]		= vmx_exit_nmi_window,
	[EXIT_REASON_TASK_SWITCH]		= vmx_exit_task_switch,
	[EXIT_REASON_CPUID]			= vmx_exit_cpuid,
	[EXIT_REASON_GETSEC]			= vmx_exit_ud,
	[EXIT_REASON_HLT]			= vmx_exit_hlt,
	[EXIT_REASON_INVD]			= vmx_exit_skip,
	[EXIT_REASON_RDPMC]			= vmx_exit_gp,
	[EXIT_REASON_VMCALL]			= vmx_exit_vmcall,
	[EXIT_REASON_VMCLEAR]			= vmx_exit_ud,
	[EXIT_REASON_VMLAUNCH]			= vmx_exit_ud,
	[EXIT_REASON_VMPTRLD]			= vmx_exit_ud,
	[EXIT_REASON_VMPTRST]			= vmx_exit_ud,
	[EXIT_REASON_VMREAD]			= vmx_exit_ud,
	[EXIT_REASON_VMRESUME]			= vmx_exit_ud,
	[EXIT_REASON_VMWRITE]			= vmx_exit_ud,
	[EXIT_REASON_VMOFF]			= vmx_exit_ud,
	[EXIT_REASON_VMON]			= vmx_exit_ud,
	[EXIT_REASON_CR_ACCESS]			= vmx_exit_cr,
	[EXIT_REASON_DR_ACCESS]			= vmx_exit_dr,
	[EXIT_REASON_IO_INSTRUCTION]		= vmx_exit_io,
	[EXIT_REASON_MSR_READ]			= vmx_exit_msr_read,
	[EXIT_REASON_MSR_WRITE]			= vmx_exit_msr_write,
	[EXIT_REASON_MWAIT_INSTRUCTION]		= vmx_exit_monitor_mwait,
	[EXIT_REASON_MONITOR_INSTRUCTION]	= vmx_exit_monitor_mwait,
	[EXIT_REASON_EPT_VIOLATION]		= vmx_exit_ept_violation,
	[EXIT_REASON_EPT_MISCONFIG]		= vmx_exit_ept_misconfig,
	[EXIT_REASON_INVEPT]			= vmx_exit_ud,
	[EXIT_REASON_PREEMPTION_TIMER]		= vmx_exit_ignore,
	[EXIT_REASON_INVVPID]			= vmx_exit_ud,
	[EXIT_REASON_WBINVD]			= vmx_exit_skip,
	[EXIT_REASON_XSETBV]			= vmx_exit_xsetbv,
	[EXIT_REASON_VMFUNC]			= vmx_exit_ud,
};

/*
 * What became of the event injected at entry (27.2.4): delivered, or cut
 * short by the exit and in the IDT-vectoring information, to be delivered
 * again.  A software interrupt or exception of the guest's own (INT n,
 * INT3, INTO) executes again: RIP is still at it.
 */
static void vmx_complete_interrupts(struct vcpu_vmx *vmx)
{
	struct kvm_vcpu_arch *a = &vmx->vcpu.arch;
	u32 info = vmx->x.idt_vectoring;
	u32 type = info & INTR_INFO_INTR_TYPE_MASK;
	bool valid = info & VECTORING_INFO_VALID_MASK;

	vmx->s.entry_intr_info = 0;
	kvm_complete_soft_exception(&vmx->vcpu, valid &&
				    (type == INTR_TYPE_HARD_EXCEPTION ||
				     type == INTR_TYPE_SOFT_EXCEPTION));
	a->exception.injected = false;
	a->interrupt.injected = false;
	a->nmi_injected = false;
	if (!valid)
		return;
	switch (type) {
	case INTR_TYPE_HARD_EXCEPTION:
		a->exception.injected = true;
		a->exception.vector = info & INTR_INFO_VECTOR_MASK;
		a->exception.has_error_code = info & INTR_INFO_DELIVER_CODE_MASK;
		a->exception.error_code = vmx->x.idt_error_code;
		break;
	case INTR_TYPE_NMI_INTR:
		a->nmi_injected = true;
		a->nmi_masked = false;
		break;
	case INTR_TYPE_EXT_INTR:
		a->interrupt.injected = true;
		a->interrupt.nr = info & INTR_INFO_VECTOR_MASK;
		a->interrupt.soft = false;
		break;
	default:
		break;
	}
}

/*
 * A VM entry that failed: as an instruction (VMfail, the VM-instruction
 * error says why, 31.4), or in its checks of the guest state (an exit
 * with bit 31 set, 26.3, 26.8).  Nothing was delivered: what was being
 * injected stays so.  The reason is what KVM 6.1 reports.
 */
static int vmx_fail_entry(struct vcpu_vmx *vmx, u64 reason)
{
	struct kvm_vcpu *vcpu = &vmx->vcpu;

	vmx->s.entry_intr_info = 0;
	kvm_complete_soft_exception(vcpu, true);
	vcpu->run->exit_reason = KVM_EXIT_FAIL_ENTRY;
	vcpu->run->fail_entry.hardware_entry_failure_reason = reason;
	vcpu->run->fail_entry.cpu = vmx->loaded_cpu < 0 ? vcpu->cpu :
							  vmx->loaded_cpu;
	return 0;
}

static int vmx_handle_exit(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	u32 reason = vmx->x.reason;
	u16 basic = VMX_EXIT_REASON_BASIC(reason);

	if (vmx->x.insn_fault == 2)
		return kvm_internal_error(vcpu, KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON,
					  ~0ULL, vmx->loaded_cpu);
	if (vmx->x.insn_fault)
		return vmx_fail_entry(vmx, vmx->x.insn_error);
	if (reason & VMX_EXIT_REASON_FAILED_ENTRY)
		return vmx_fail_entry(vmx, reason);
	vmx_complete_interrupts(vmx);
	if (basic >= ARRAY_SIZE(vmx_exit_handlers) || !vmx_exit_handlers[basic]) {
		pr_warn_ratelimited("unexpected VMX exit %#x\n", reason);
		return kvm_internal_error(vcpu,
					  KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON,
					  reason, vmx->loaded_cpu);
	}
	return vmx_exit_handlers[basic](vmx);
}

/*
 * Instructions that #UD in a VMX guest unless a secondary control enables
 * them (25.3): RDTSCP and RDPID need "enable RDTSCP", INVPCID needs
 * "enable INVPCID".  Both are used when the CPU has them
 * (vmx_setup_controls); without, the guest must not be told it has them.
 */
static void vmx_filter_supported_cpuid(struct kvm_cpuid_entry2 *e)
{
	u32 proc2 = vmx_config.proc2;

	if (e->function == 7 && e->index == 0) {
		if (!(proc2 & SECONDARY_EXEC_ENABLE_INVPCID))
			e->ebx &= ~BIT(X86_FEATURE_INVPCID & 31);
		if (!(proc2 & SECONDARY_EXEC_ENABLE_RDTSCP))
			e->ecx &= ~BIT(X86_FEATURE_RDPID & 31);
	}
	if (e->function == 0x80000001 &&
	    !(proc2 & SECONDARY_EXEC_ENABLE_RDTSCP))
		e->edx &= ~BIT(X86_FEATURE_RDTSCP & 31);
}

/* EPT entries (28.3.2): RWX in tables; leaves R+X, W if writable, WB. */
static const struct kvm_tdp_pte_bits vmx_ept_bits = {
	.table		= VMX_EPT_RWX_MASK,
	.leaf		= VMX_EPT_READABLE_MASK | VMX_EPT_EXECUTABLE_MASK |
			  (VMX_EPTP_MT_WB << VMX_EPT_MT_EPTE_SHIFT),
	.writable	= VMX_EPT_WRITABLE_MASK,
};

const struct kvm_x86_ops vmx_x86_ops = {
	.name			= "vmx",
	.tdp_bits		= &vmx_ept_bits,
	.hardware_setup		= vmx_hardware_setup,
	.hardware_unsetup	= vmx_hardware_unsetup,
	.hardware_enable	= vmx_hardware_enable,
	.hardware_disable	= vmx_hardware_disable,

	.vcpu_alloc		= vmx_vcpu_alloc,
	.vcpu_free		= vmx_vcpu_free,
	.vcpu_create		= vmx_vcpu_create,
	.vcpu_destroy		= vmx_vcpu_destroy,
	.vcpu_load		= vmx_vcpu_load,
	.vcpu_put		= vmx_vcpu_put,

	.get_segment		= vmx_get_segment,
	.set_segment		= vmx_set_segment,
	.get_dtable		= vmx_get_dtable,
	.set_dtable		= vmx_set_dtable,
	.get_msr		= vmx_get_msr,
	.set_msr		= vmx_set_msr,
	.get_interrupt_shadow	= vmx_get_interrupt_shadow,
	.set_interrupt_shadow	= vmx_set_interrupt_shadow,
	.get_cr8		= vmx_get_cr8,
	.set_cr8		= vmx_set_cr8,
	.vcpu_init_event	= vmx_vcpu_init_event,
	.enable_irq_window	= vmx_enable_irq_window,
	.set_cr8_intercept	= vmx_set_cr8_intercept,
	.inject_exception	= vmx_inject_exception,
	.inject_nmi		= vmx_inject_nmi,
	.inject_irq		= vmx_inject_irq,
	.enable_nmi_window	= vmx_enable_nmi_window,
	.set_nmi_mask		= vmx_set_nmi_mask,
	.update_guest_debug	= vmx_update_guest_debug,
	.write_tsc_offset	= vmx_write_tsc_offset,

	.vcpu_run		= vmx_vcpu_run,
	.handle_exit		= vmx_handle_exit,
	.skip_emulated_instruction = vmx_skip_emulated_instruction,
	.patch_hypercall	= vmx_patch_hypercall,
	.pdpte_regs		= true,
	.sysenter_64bit		= true,
	.filter_supported_cpuid	= vmx_filter_supported_cpuid,
};
