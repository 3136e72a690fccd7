// SPDX-License-Identifier: GPL-2.0
/*
 * System Management Mode: SMI delivery, the SMRAM state-save area, RSM.
 * Vendor-neutral; the backend only reports the RSM intercept.
 *
 * An SMI (KVM_SMI, an APIC IPI or MSI with delivery mode SMI,
 * KVM_SET_VCPU_EVENTS) leaves smm.smi_pending set; the run loop takes it
 * before the next entry when no event is being delivered and the vCPU is
 * not in SMM already (SMIs are blocked in SMM: AMD APM vol. 2, 10.3.3;
 * Intel SDM vol. 3C, 32.5.1).  Entry saves the state to SMBASE + 0xfe00 ..
 * 0xffff and starts the handler at SMBASE + 0x8000 in a real-mode-like
 * state with 4 GiB segment limits (APM 10.3.2, table 10-2; SDM table
 * 32-4).  NMIs are masked at entry (APM 10.3.3, SDM 32.8) and unmasked at
 * RSM unless they were masked at the SMI already.  INIT is latched while
 * in SMM (lapic.c leaves it pending) and SIPIs are dropped (SDM 32.5.1).
 *
 * The state-save layout is KVM's, which is QEMU TCG's too: the 64-bit one
 * (revision 0x20064, close to AMD's, APM table 10-1) when the guest's
 * CPUID has long mode, else the 32-bit one (revision 0x20000, the P6
 * layout), so that SeaBIOS/OVMF handlers and migrated state work alike.
 * Offsets below are KVM's, relative to SMBASE + 0x8000.
 *
 * While in SMM the vCPU uses memslot address space 1 (the VMM puts SMRAM
 * there), for its nested page tables and every guest access Kestrel makes
 * for it, the state-save area included.
 *
 * Locking: everything here runs on the vCPU thread with vcpu->mutex held.
 */
#include <linux/kvm.h>
#include <linux/string.h>
#include <asm/cpufeature.h>
#include <asm/processor-flags.h>
#include <asm/traps.h>

#include <kestrel/kvm_host.h>
#include "cpuid.h"
#include "lapic.h"
#include "smm.h"
#include "x86.h"

#define SMRAM_SAVE_AREA		0xfe00	/* from SMBASE: 512 bytes */
#define SMRAM_HANDLER		0x8000	/* from SMBASE: the entry RIP */
#define SMM_REVISION_32		0x00020000
#define SMM_REVISION_64		0x00020064

/* KVM's offsets (0x7e00 .. 0x7fff) into the 512-byte buffer. */
#define SM(off)			((off) - 0x7e00)

static void sm_put16(u8 *buf, unsigned int off, u16 v)
{
	memcpy(buf + SM(off), &v, sizeof(v));
}

static void sm_put32(u8 *buf, unsigned int off, u32 v)
{
	memcpy(buf + SM(off), &v, sizeof(v));
}

static void sm_put64(u8 *buf, unsigned int off, u64 v)
{
	memcpy(buf + SM(off), &v, sizeof(v));
}

static u16 sm_get16(const u8 *buf, unsigned int off)
{
	u16 v;

	memcpy(&v, buf + SM(off), sizeof(v));
	return v;
}

static u32 sm_get32(const u8 *buf, unsigned int off)
{
	u32 v;

	memcpy(&v, buf + SM(off), sizeof(v));
	return v;
}

static u64 sm_get64(const u8 *buf, unsigned int off)
{
	u64 v;

	memcpy(&v, buf + SM(off), sizeof(v));
	return v;
}

/* Which layout: the same choice at entry and at RSM. */
static bool smm_layout_64(struct kvm_vcpu *vcpu)
{
	return kvm_guest_cpuid_has(vcpu, X86_FEATURE_LM);
}

/* Descriptor attributes in the bit positions of a descriptor's high word. */
static u32 smm_seg_flags(const struct kvm_segment *s)
{
	return (u32)s->g << 23 | (u32)s->db << 22 | (u32)s->l << 21 |
	       (u32)s->avl << 20 | (u32)s->present << 15 |
	       (u32)s->dpl << 13 | (u32)s->s << 12 | (u32)s->type << 8;
}

static void smm_seg_from_flags(struct kvm_segment *s, u32 flags)
{
	s->g = (flags >> 23) & 1;
	s->db = (flags >> 22) & 1;
	s->l = (flags >> 21) & 1;
	s->avl = (flags >> 20) & 1;
	s->present = (flags >> 15) & 1;
	s->dpl = (flags >> 13) & 3;
	s->s = (flags >> 12) & 1;
	s->type = (flags >> 8) & 15;
	s->unusable = !s->present;
}

/* ES, CS, SS, DS, FS, GS: KVM's segment numbers 0-5. */
static void smm_save_seg_32(struct kvm_vcpu *vcpu, u8 *buf, int n)
{
	unsigned int off = n < 3 ? 0x7f84 + n * 12 : 0x7f2c + (n - 3) * 12;
	struct kvm_segment s;

	kvm_x86_ops->get_segment(vcpu, &s, n);
	sm_put32(buf, 0x7fa8 + n * 4, s.selector);
	sm_put32(buf, off + 8, s.base);
	sm_put32(buf, off + 4, s.limit);
	sm_put32(buf, off, smm_seg_flags(&s));
}

static void smm_save_seg_64(struct kvm_vcpu *vcpu, u8 *buf, int n,
			    unsigned int off)
{
	struct kvm_segment s;

	kvm_x86_ops->get_segment(vcpu, &s, n);
	sm_put16(buf, off, s.selector);
	sm_put16(buf, off + 2, smm_seg_flags(&s) >> 8);
	sm_put32(buf, off + 4, s.limit);
	sm_put64(buf, off + 8, s.base);
}

static void smm_save_state_32(struct kvm_vcpu *vcpu, u8 *buf)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	struct kvm_segment s;
	struct kvm_dtable dt;
	int i;

	sm_put32(buf, 0x7ffc, a->cr0);
	sm_put32(buf, 0x7ff8, a->cr3);
	sm_put32(buf, 0x7ff4, a->rflags);
	sm_put32(buf, 0x7ff0, a->rip);
	for (i = 0; i < 8; i++)
		sm_put32(buf, 0x7fd0 + i * 4, a->regs[i]);
	sm_put32(buf, 0x7fcc, a->dr6);
	sm_put32(buf, 0x7fc8, a->dr7);

	kvm_x86_ops->get_segment(vcpu, &s, VCPU_SREG_TR);
	sm_put32(buf, 0x7fc4, s.selector);
	sm_put32(buf, 0x7f64, s.base);
	sm_put32(buf, 0x7f60, s.limit);
	sm_put32(buf, 0x7f5c, smm_seg_flags(&s));
	kvm_x86_ops->get_segment(vcpu, &s, VCPU_SREG_LDTR);
	sm_put32(buf, 0x7fc0, s.selector);
	sm_put32(buf, 0x7f80, s.base);
	sm_put32(buf, 0x7f7c, s.limit);
	sm_put32(buf, 0x7f78, smm_seg_flags(&s));

	kvm_x86_ops->get_dtable(vcpu, &dt, false);
	sm_put32(buf, 0x7f74, dt.base);
	sm_put32(buf, 0x7f70, dt.limit);
	kvm_x86_ops->get_dtable(vcpu, &dt, true);
	sm_put32(buf, 0x7f58, dt.base);
	sm_put32(buf, 0x7f54, dt.limit);
	for (i = 0; i < 6; i++)
		smm_save_seg_32(vcpu, buf, i);
	sm_put32(buf, 0x7f14, a->cr4);
	sm_put32(buf, 0x7efc, SMM_REVISION_32);
	sm_put32(buf, 0x7ef8, a->smm.smbase);
}

static void smm_save_state_64(struct kvm_vcpu *vcpu, u8 *buf)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	struct kvm_dtable dt;
	int i;

	for (i = 0; i < 16; i++)
		sm_put64(buf, 0x7ff8 - i * 8, a->regs[i]);
	sm_put64(buf, 0x7f78, a->rip);
	sm_put32(buf, 0x7f70, a->rflags);
	sm_put64(buf, 0x7f68, a->dr6);
	sm_put64(buf, 0x7f60, a->dr7);
	sm_put64(buf, 0x7f58, a->cr0);
	sm_put64(buf, 0x7f50, a->cr3);
	sm_put64(buf, 0x7f48, a->cr4);
	sm_put32(buf, 0x7f00, a->smm.smbase);
	sm_put32(buf, 0x7efc, SMM_REVISION_64);
	sm_put64(buf, 0x7ed0, a->efer);

	smm_save_seg_64(vcpu, buf, VCPU_SREG_TR, 0x7e90);
	kvm_x86_ops->get_dtable(vcpu, &dt, true);
	sm_put32(buf, 0x7e84, dt.limit);
	sm_put64(buf, 0x7e88, dt.base);
	smm_save_seg_64(vcpu, buf, VCPU_SREG_LDTR, 0x7e70);
	kvm_x86_ops->get_dtable(vcpu, &dt, false);
	sm_put32(buf, 0x7e64, dt.limit);
	sm_put64(buf, 0x7e68, dt.base);
	for (i = 0; i < 6; i++)
		smm_save_seg_64(vcpu, buf, i, 0x7e00 + i * 16);
}

/*
 * In or out of SMM: the memslot address space changes, and with it the
 * nested page table root, so the guest's TLB goes (same ASID).
 */
void kvm_smm_changed(struct kvm_vcpu *vcpu, bool in_smm)
{
	struct kvm_vcpu_smm *smm = &vcpu->arch.smm;

	smm->in_smm = in_smm;
	if (!in_smm)
		smm->inside_nmi = false;
	vcpu->arch.flush_guest_tlb = true;
}

/*
 * The SMM entry state (APM vol. 2, table 10-2; SDM vol. 3C, table 32-4):
 * CS at SMBASE, RIP 0x8000, flat 4 GiB data segments, CR0.PE/PG/EM/TS
 * and CR4 clear, DR7 at reset, RFLAGS 2; IDTR zero (KVM's "undocumented"
 * choice); EFER zero when the guest has long mode.
 */
static void smm_set_entry_state(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	struct kvm_segment cs = {
		.selector = (a->smm.smbase >> 4) & 0xffff,
		.base = a->smm.smbase,
		.limit = 0xffffffff,
		.type = 3, .s = 1, .g = 1, .present = 1,
	};
	struct kvm_segment ds = cs;
	struct kvm_dtable idt = {};
	int i;

	a->rflags = X86_EFLAGS_FIXED;
	a->rip = SMRAM_HANDLER;
	a->cr0 &= ~(X86_CR0_PE | X86_CR0_EM | X86_CR0_TS | X86_CR0_PG);
	a->cr4 = 0;
	a->dr7 = DR7_RESET;
	if (smm_layout_64(vcpu))
		a->efer = 0;
	kvm_x86_ops->set_dtable(vcpu, &idt, true);
	ds.selector = 0;
	ds.base = 0;
	kvm_x86_ops->set_segment(vcpu, &cs, VCPU_SREG_CS);
	for (i = 0; i < 6; i++)
		if (i != VCPU_SREG_CS)
			kvm_x86_ops->set_segment(vcpu, &ds, i);
}

/* Take the pending SMI now (the run loop checked that it may). */
static void kvm_smm_enter(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	u8 buf[512] = {};

	if (smm_layout_64(vcpu))
		smm_save_state_64(vcpu, buf);
	else
		smm_save_state_32(vcpu, buf);
	kvm_smm_changed(vcpu, true);
	/*
	 * In address space 1 (SMRAM).  Nothing there: the write is lost, as
	 * KVM loses it; the handler will fault or RSM will shut down.
	 */
	kvm_vcpu_write_guest(vcpu, a->smm.smbase + SMRAM_SAVE_AREA, buf,
			     sizeof(buf));
	/*
	 * NMIs stay blocked in SMM.  Masked already, the IRET that would
	 * have unmasked them may be behind an intercept seen before the SMI:
	 * the backend forgets it either way, so that no IRET inside SMRAM's
	 * handler, nor the stale RIP check, unmasks them before RSM.
	 */
	a->smm.inside_nmi = a->nmi_masked;
	a->nmi_masked = true;
	kvm_x86_ops->set_nmi_mask(vcpu, true);
	smm_set_entry_state(vcpu);
}

/*
 * Before each entry: a pending SMI is taken unless the vCPU is in SMM
 * already or an event is on its way into the guest, which goes first
 * (kvm_smm_window() makes the entry short then, as KVM's -EBUSY does).
 */
void kvm_smm_check_smi(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;

	if (!a->smm.smi_pending || a->smm.in_smm)
		return;
	if (a->exception.pending || a->exception.injected ||
	    a->interrupt.injected || a->nmi_injected)
		return;
	a->smm.smi_pending = false;
	a->smm.smi_count++;
	kvm_smm_enter(vcpu);
}

/* An SMI waits for the event injected now: exit right after delivery. */
bool kvm_smm_window(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.smm.smi_pending && !vcpu->arch.smm.in_smm;
}

/*
 * The control registers and EFER RSM would load, checked as KVM's
 * emulator checks them when it writes them (kvm_set_cr0/3/4, EFER): any
 * refusal there shuts the vCPU down.  Kestrel checks them all first and
 * loads nothing it would refuse.
 */
static bool smm_state_valid(struct kvm_vcpu *vcpu, u64 cr0, u64 cr3, u64 cr4,
			    u64 efer, u64 dr6, u64 dr7)
{
	bool lma = (efer & EFER_LME) && (cr0 & X86_CR0_PG);

	if (cr0 >> 32 || dr6 >> 32 || dr7 >> 32)
		return false;
	if ((cr0 & X86_CR0_PG) && !(cr0 & X86_CR0_PE))
		return false;
	if ((cr0 & X86_CR0_NW) && !(cr0 & X86_CR0_CD))
		return false;
	if (!kvm_is_valid_cr4(vcpu, cr4))
		return false;
	if (efer & ~(u64)(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX))
		return false;
	if ((efer & EFER_LME) && !kvm_guest_cpuid_has(vcpu, X86_FEATURE_LM))
		return false;
	if (lma && (!(cr4 & X86_CR4_PAE) ||
		    cr3 >> kvm_guest_maxphyaddr(vcpu)))
		return false;
	/* PCIDE needs IA-32e mode (SDM vol. 3A, 4.10.1). */
	return !(cr4 & X86_CR4_PCIDE) || lma;
}

static void smm_load_seg_32(struct kvm_vcpu *vcpu, const u8 *buf, int n)
{
	unsigned int off = n < 3 ? 0x7f84 + n * 12 : 0x7f2c + (n - 3) * 12;
	struct kvm_segment s = {};

	s.selector = sm_get32(buf, 0x7fa8 + n * 4);
	s.base = sm_get32(buf, off + 8);
	s.limit = sm_get32(buf, off + 4);
	smm_seg_from_flags(&s, sm_get32(buf, off));
	kvm_x86_ops->set_segment(vcpu, &s, n);
}

static void smm_load_seg_64(struct kvm_vcpu *vcpu, const u8 *buf, int n,
			    unsigned int off)
{
	struct kvm_segment s = {};

	s.selector = sm_get16(buf, off);
	smm_seg_from_flags(&s, (u32)sm_get16(buf, off + 2) << 8);
	s.limit = sm_get32(buf, off + 4);
	s.base = sm_get64(buf, off + 8);
	kvm_x86_ops->set_segment(vcpu, &s, n);
}

static void smm_load_dtable(struct kvm_vcpu *vcpu, bool idt, u64 base,
			    u32 limit)
{
	struct kvm_dtable dt = { .base = base, .limit = limit };

	kvm_x86_ops->set_dtable(vcpu, &dt, idt);
}

/* The 32-bit layout; false if it would be refused. */
static bool smm_load_state_32(struct kvm_vcpu *vcpu, const u8 *buf)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	u32 cr0 = sm_get32(buf, 0x7ffc), cr3 = sm_get32(buf, 0x7ff8);
	u32 cr4 = sm_get32(buf, 0x7f14);
	struct kvm_segment s = {};
	int i;

	if (!smm_state_valid(vcpu, cr0, cr3, cr4, a->efer,
			     sm_get32(buf, 0x7fcc), sm_get32(buf, 0x7fc8)))
		return false;
	a->rflags = sm_get32(buf, 0x7ff4) | X86_EFLAGS_FIXED;
	a->rip = sm_get32(buf, 0x7ff0);
	for (i = 0; i < 8; i++)
		a->regs[i] = sm_get32(buf, 0x7fd0 + i * 4);
	a->dr6 = sm_get32(buf, 0x7fcc);
	a->dr7 = sm_get32(buf, 0x7fc8);

	s.selector = sm_get32(buf, 0x7fc4);
	s.base = sm_get32(buf, 0x7f64);
	s.limit = sm_get32(buf, 0x7f60);
	smm_seg_from_flags(&s, sm_get32(buf, 0x7f5c));
	kvm_x86_ops->set_segment(vcpu, &s, VCPU_SREG_TR);
	s.selector = sm_get32(buf, 0x7fc0);
	s.base = sm_get32(buf, 0x7f80);
	s.limit = sm_get32(buf, 0x7f7c);
	smm_seg_from_flags(&s, sm_get32(buf, 0x7f78));
	kvm_x86_ops->set_segment(vcpu, &s, VCPU_SREG_LDTR);
	smm_load_dtable(vcpu, false, sm_get32(buf, 0x7f74),
			sm_get32(buf, 0x7f70));
	smm_load_dtable(vcpu, true, sm_get32(buf, 0x7f58),
			sm_get32(buf, 0x7f54));
	for (i = 0; i < 6; i++)
		smm_load_seg_32(vcpu, buf, i);
	a->smm.smbase = sm_get32(buf, 0x7ef8);
	a->cr0 = cr0;
	a->cr3 = cr3;
	a->cr4 = cr4;
	return true;
}

/*
 * The 64-bit layout; false if it would be refused.  A non-zero "SVM
 * guest" field (0x7ed8) says the SMI interrupted a nested guest, which
 * Kestrel never runs: refused, as KVM refuses it without nesting.
 */
static bool smm_load_state_64(struct kvm_vcpu *vcpu, const u8 *buf)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	/*
	 * KVM's emulator writes CR0 and CR4 through 32-bit values (its
	 * mk_cr_64()): the saved bits 63:32 are dropped, not refused.
	 */
	u64 cr0 = (u32)sm_get64(buf, 0x7f58), cr3 = sm_get64(buf, 0x7f50);
	u64 cr4 = (u32)sm_get64(buf, 0x7f48), efer = sm_get64(buf, 0x7ed0);
	int i;

	efer &= ~(u64)EFER_LMA;
	if (sm_get64(buf, 0x7ed8) ||
	    !smm_state_valid(vcpu, cr0, cr3, cr4, efer,
			     sm_get64(buf, 0x7f68), sm_get64(buf, 0x7f60)))
		return false;
	for (i = 0; i < 16; i++)
		a->regs[i] = sm_get64(buf, 0x7ff8 - i * 8);
	a->rip = sm_get64(buf, 0x7f78);
	a->rflags = sm_get32(buf, 0x7f70) | X86_EFLAGS_FIXED;
	a->dr6 = sm_get64(buf, 0x7f68);
	a->dr7 = sm_get64(buf, 0x7f60);
	a->smm.smbase = sm_get32(buf, 0x7f00);

	smm_load_seg_64(vcpu, buf, VCPU_SREG_TR, 0x7e90);
	smm_load_dtable(vcpu, true, sm_get64(buf, 0x7e88),
			sm_get32(buf, 0x7e84));
	smm_load_seg_64(vcpu, buf, VCPU_SREG_LDTR, 0x7e70);
	smm_load_dtable(vcpu, false, sm_get64(buf, 0x7e68),
			sm_get32(buf, 0x7e64));
	for (i = 0; i < 6; i++)
		smm_load_seg_64(vcpu, buf, i, 0x7e00 + i * 16);
	/* LMA follows LME with paging on (APM vol. 2, 14.6.2). */
	if ((efer & EFER_LME) && (cr0 & X86_CR0_PG))
		efer |= EFER_LMA;
	a->efer = efer;
	a->cr0 = cr0;
	a->cr3 = cr3;
	a->cr4 = cr4;
	return true;
}

/*
 * RSM (intercepted; 0F AA, two bytes): #UD outside SMM (APM vol. 3, RSM).
 * Inside, reload the state-save area, leave SMM, unmask NMIs unless they
 * were masked at the SMI.  A state KVM would refuse shuts the vCPU down
 * (KVM_EXIT_SHUTDOWN), out of SMM, as in KVM.
 */
int kvm_emulate_rsm(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	u8 buf[512];
	bool ok;

	if (!a->smm.in_smm) {
		kvm_queue_exception(vcpu, X86_TRAP_UD);
		return 1;
	}
	if (kvm_vcpu_read_guest(vcpu, a->smm.smbase + SMRAM_SAVE_AREA, buf,
				sizeof(buf)))
		return kvm_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION,
					  a->rip, 0);
	if (!a->smm.inside_nmi) {
		a->nmi_masked = false;
		kvm_x86_ops->set_nmi_mask(vcpu, false);
	}
	kvm_smm_changed(vcpu, false);
	ok = smm_layout_64(vcpu) ? smm_load_state_64(vcpu, buf) :
				   smm_load_state_32(vcpu, buf);
	kvm_x86_ops->set_interrupt_shadow(vcpu, 0);
	if (!ok)
		a->triple_fault_pending = true;
	else
		kvm_load_pdptrs(vcpu);	/* PAE paging again: from memory */
	return 1;
}

/* KVM_GET_VCPU_EVENTS' smi fields. */
void kvm_smm_get_events(struct kvm_vcpu *vcpu, struct kvm_vcpu_events *ev)
{
	struct kvm_vcpu_smm *smm = &vcpu->arch.smm;

	ev->smi.smm = smm->in_smm;
	ev->smi.pending = smm->smi_pending;
	ev->smi.smm_inside_nmi = smm->in_smm && smm->inside_nmi;
	ev->smi.latched_init = kvm_lapic_latched_init(vcpu);
}

/*
 * KVM_SET_VCPU_EVENTS with KVM_VCPUEVENT_VALID_SMM, as KVM 6.1: a vCPU
 * waiting for SIPI can be neither in SMM nor have an SMI pending
 * (-EINVAL, checked before anything changes); latched_init only means
 * something with the APIC in the kernel.
 */
int kvm_smm_check_events(struct kvm_vcpu *vcpu,
			 const struct kvm_vcpu_events *ev)
{
	if (!(ev->flags & KVM_VCPUEVENT_VALID_SMM))
		return 0;
	if ((ev->smi.smm || ev->smi.pending) && vcpu->arch.apic &&
	    vcpu->arch.mp_state == KVM_MP_STATE_INIT_RECEIVED)
		return -EINVAL;
	return 0;
}

void kvm_smm_set_events(struct kvm_vcpu *vcpu,
			const struct kvm_vcpu_events *ev)
{
	struct kvm_vcpu_smm *smm = &vcpu->arch.smm;

	if (!(ev->flags & KVM_VCPUEVENT_VALID_SMM))
		return;
	if (smm->in_smm != !!ev->smi.smm)
		kvm_smm_changed(vcpu, ev->smi.smm);
	smm->smi_pending = ev->smi.pending;
	if (ev->smi.smm)
		smm->inside_nmi = ev->smi.smm_inside_nmi;
	if (vcpu->arch.apic)
		kvm_lapic_set_latched_init(vcpu, ev->smi.latched_init);
}

/* RESET and INIT; SMBASE goes back to its default on RESET only. */
void kvm_smm_reset(struct kvm_vcpu *vcpu, bool init)
{
	struct kvm_vcpu_smm *smm = &vcpu->arch.smm;

	if (smm->in_smm)
		kvm_smm_changed(vcpu, false);
	smm->smi_pending = false;
	smm->smi_count = 0;
	if (!init)
		smm->smbase = KVM_SMBASE_RESET;
}
