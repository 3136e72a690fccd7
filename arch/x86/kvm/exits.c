// SPDX-License-Identifier: GPL-2.0
/*
 * Exit helpers shared by the vendor backends: exceptions to inject, CPUID,
 * HLT, port I/O and MMIO exits to userspace, and the glue between a vCPU
 * and the instruction emulator / guest page walker (pure logic, see
 * emulate.c and mmu/guest_walk.c).
 */
#define pr_fmt(fmt) "kestrel: " fmt

#include <linux/kvm.h>
#include <linux/mm.h>
#include <asm/fpu/xcr.h>
#include <asm/processor.h>
#include <asm/traps.h>

#include <kestrel/kvm_host.h>
#include "cpuid.h"
#include "emulate.h"
#include "kvmclock.h"
#include "mmu/guest_walk.h"
#include "lapic.h"
#include "smm.h"
#include "x86.h"

void kvm_queue_exception_e(struct kvm_vcpu *vcpu, u8 vector, u32 error_code)
{
	struct kvm_queued_exception *e = &vcpu->arch.exception;

	e->pending = true;
	e->vector = vector;
	e->has_error_code = true;
	e->error_code = error_code;
}

void kvm_queue_exception(struct kvm_vcpu *vcpu, u8 vector)
{
	kvm_queue_exception_e(vcpu, vector, 0);
	vcpu->arch.exception.has_error_code = false;
}

/*
 * An instruction Kestrel completed for the guest: RIP moves past it, and
 * the STI/MOV SS shadow it may have been in is over (SDM vol. 3A, 6.8.3).
 */
static void kvm_complete_insn(struct kvm_vcpu *vcpu, unsigned long next_rip)
{
	vcpu->arch.rip = next_rip;
	kvm_x86_ops->set_interrupt_shadow(vcpu, 0);
}

int kvm_internal_error(struct kvm_vcpu *vcpu, u32 suberror, u64 data0,
		       u64 data1)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = suberror;
	run->internal.ndata = 2;
	run->internal.data[0] = data0;
	run->internal.data[1] = data1;
	return 0;
}

/* Without an in-kernel irqchip a halted vCPU is the VMM's business. */
int kvm_emulate_halt(struct kvm_vcpu *vcpu)
{
	int r = kvm_x86_ops->skip_emulated_instruction(vcpu);

	vcpu->arch.stat.halt_exits++;
	if (r <= 0)
		return r;
	/* An in-kernel APIC: the vCPU sleeps in the kernel (lapic.c). */
	if (vcpu->arch.apic)
		return kvm_lapic_halt(vcpu);
	vcpu->run->exit_reason = KVM_EXIT_HLT;
	return 0;
}

/*
 * Guest addresses
 */

static enum x86_cpu_mode kvm_cpu_mode(struct kvm_vcpu *vcpu)
{
	struct kvm_segment cs;

	if (!(vcpu->arch.cr0 & X86_CR0_PE))
		return X86_MODE_REAL;
	if (vcpu->arch.rflags & X86_EFLAGS_VM)
		return X86_MODE_VM86;
	kvm_x86_ops->get_segment(vcpu, &cs, VCPU_SREG_CS);
	if (is_long_mode(vcpu) && cs.l)
		return X86_MODE_LONG64;
	return cs.db ? X86_MODE_PROT32 : X86_MODE_PROT16;
}

/* The guest's CPL is SS.DPL (SDM vol. 3A, 5.5; APM vol. 2, 15.5.1). */
int kvm_get_cpl(struct kvm_vcpu *vcpu)
{
	struct kvm_segment ss;

	kvm_x86_ops->get_segment(vcpu, &ss, VCPU_SREG_SS);
	return ss.dpl;
}

static int kvm_read_phys(void *opaque, u64 gpa, void *buf, unsigned int len)
{
	return kvm_vcpu_read_guest(opaque, gpa, buf, len);
}

/*
 * Translate a linear address the way the guest's own paging would.
 * Returns 0, or X86EMUL_EXCEPTION with *e filled in (#PF, or #GP for a
 * non-canonical address), or X86EMUL_UNHANDLEABLE.
 */
static int kvm_gva_to_gpa(struct kvm_vcpu *vcpu, u64 la, u32 access,
			  u64 *gpa, struct x86_emul_exception *e)
{
	struct guest_paging p = {
		.cr0 = vcpu->arch.cr0,
		.cr3 = vcpu->arch.cr3,
		.cr4 = vcpu->arch.cr4,
		.efer = vcpu->arch.efer,
		.rflags = vcpu->arch.rflags,
		.maxphyaddr = boot_cpu_data.x86_phys_bits,
		.flags = GUEST_PAGING_AMD,
	};
	struct guest_walk w;
	int r;

	p.cpl = kvm_get_cpl(vcpu);
	if (p.cpl == 3)
		access |= PFERR_USER;
	r = guest_walk_gva(&p, la, access, kvm_read_phys, vcpu, &w);
	if (!r) {
		*gpa = w.gpa;
		return 0;
	}
	memset(e, 0, sizeof(*e));
	if (r == -EFAULT) {
		e->vector = X86_TRAP_PF;
		e->error_code_valid = true;
		e->error_code = w.error_code;
		e->address = la;
		return X86EMUL_EXCEPTION;
	}
	if (r == -EINVAL) {
		e->vector = X86_TRAP_GP;
		e->error_code_valid = true;
		return X86EMUL_EXCEPTION;
	}
	return X86EMUL_UNHANDLEABLE;
}

static void kvm_inject_emul_exception(struct kvm_vcpu *vcpu,
				      const struct x86_emul_exception *e)
{
	if (e->vector == X86_TRAP_PF)
		vcpu->arch.cr2 = e->address;
	if (e->error_code_valid)
		kvm_queue_exception_e(vcpu, e->vector, e->error_code);
	else
		kvm_queue_exception(vcpu, e->vector);
}

/*
 * Fetch up to @len bytes at CS:RIP; returns how many could be read (an
 * instruction may end before an unmapped page), or a negative X86EMUL_*.
 */
static int kvm_fetch_insn(struct kvm_vcpu *vcpu, u8 *buf, unsigned int len,
			  struct x86_emul_exception *e)
{
	struct kvm_segment cs;
	unsigned int got = 0;
	u64 la;

	kvm_x86_ops->get_segment(vcpu, &cs, VCPU_SREG_CS);
	la = (kvm_cpu_mode(vcpu) == X86_MODE_LONG64 ? 0 : cs.base) + vcpu->arch.rip;
	if (kvm_cpu_mode(vcpu) != X86_MODE_LONG64)
		la = (u32)la;
	while (got < len) {
		unsigned int n = min_t(unsigned int, len - got,
				       PAGE_SIZE - offset_in_page(la + got));
		u64 gpa;
		int r = kvm_gva_to_gpa(vcpu, la + got, PFERR_FETCH, &gpa, e);

		if (r)
			return got ? got : -r;
		if (kvm_vcpu_read_guest(vcpu, gpa, buf + got, n))
			return got ? got : -X86EMUL_UNHANDLEABLE;
		got += n;
	}
	return got;
}

/*
 * Fetch and decode the instruction at CS:RIP.  Returns how many bytes were
 * fetched into @buf (for an emulation-failure report), 0 if none could be;
 * @insn->len is 0 unless they decoded.
 */
static int kvm_decode_guest_insn(struct kvm_vcpu *vcpu, u8 buf[15],
				 struct x86_insn *insn)
{
	struct x86_emul_exception e;
	int n = kvm_fetch_insn(vcpu, buf, 15, &e);

	if (n <= 0)
		n = 0;
	if (!n || x86_decode_insn(buf, n, kvm_cpu_mode(vcpu), insn))
		insn->len = 0;
	return n;
}

/* The length of the instruction at CS:RIP, for CPUs without NRIP save. */
int kvm_guest_insn_len(struct kvm_vcpu *vcpu)
{
	struct x86_insn insn;
	u8 buf[15];

	kvm_decode_guest_insn(vcpu, buf, &insn);
	return insn.len ?: -EINVAL;
}

/*
 * The length of the INT3 (CC), INTO (CE) or INT n (CD n) at CS:RIP that
 * raises @vector, or 0 if there is none: a #BP/#OF injected from
 * userspace stands for it, as in KVM.
 */
int kvm_soft_int_insn_len(struct kvm_vcpu *vcpu, u8 vector)
{
	struct x86_insn insn;
	u8 buf[15];

	kvm_decode_guest_insn(vcpu, buf, &insn);
	if (!insn.len || insn.opcode_len != 1)
		return 0;
	switch (insn.opcode[0]) {
	case 0xcc:
		return vector == X86_TRAP_BP ? insn.len : 0;
	case 0xce:
		return vector == X86_TRAP_OF ? insn.len : 0;
	case 0xcd:
		return vector == insn.imm ? insn.len : 0;
	default:
		return 0;
	}
}

/* The linear address of CS:RIP, as the CPU forms it in this mode. */
static u64 kvm_rip_linear(struct kvm_vcpu *vcpu)
{
	struct kvm_segment cs;

	if (kvm_cpu_mode(vcpu) == X86_MODE_LONG64)
		return vcpu->arch.rip;
	kvm_x86_ops->get_segment(vcpu, &cs, VCPU_SREG_CS);
	return (u32)(cs.base + vcpu->arch.rip);
}

/*
 * KVM_X86_QUIRK_FIX_HYPERCALL_INSN: write this vendor's hypercall over the
 * other vendor's at CS:RIP, with the guest's own paging and permissions
 * (a write the guest could not do raises its fault, as in KVM), and let
 * the guest run it again.  1 when done or a fault is queued, 0 when the
 * bytes are not in guest RAM (then the hypercall is only emulated).
 */
static int kvm_fix_hypercall_insn(struct kvm_vcpu *vcpu)
{
	u8 insn[3];
	struct x86_emul_exception e;
	u64 la = kvm_rip_linear(vcpu), gpa[3];
	int i, r;

	kvm_x86_ops->patch_hypercall(insn);
	/* One byte at a time: the instruction may straddle two pages. */
	for (i = 0; i < 3; i++) {
		r = kvm_gva_to_gpa(vcpu, la + i, PFERR_WRITE, &gpa[i], &e);
		if (r == X86EMUL_EXCEPTION) {
			kvm_inject_emul_exception(vcpu, &e);
			return 1;
		}
		if (r)
			return 0;
	}
	for (i = 0; i < 3; i++)
		if (kvm_vcpu_write_guest(vcpu, gpa[i], &insn[i], 1))
			return 0;
	return 1;
}

/*
 * #UD from the guest.  The one instruction completed here is the other
 * vendor's hypercall (VMCALL 0F 01 C1 on AMD, VMMCALL 0F 01 D9 on Intel),
 * as KVM does, so guests built for either vendor (the upstream selftests'
 * among them) keep their hypercalls.  With KVM_X86_QUIRK_FIX_HYPERCALL_INSN
 * (the default) it is first rewritten in guest memory to the native one;
 * with the quirk disabled the guest gets its #UD, as in KVM 6.1.
 */
int kvm_emulate_ud(struct kvm_vcpu *vcpu)
{
	struct x86_insn insn;
	u8 buf[15];

	kvm_decode_guest_insn(vcpu, buf, &insn);
	if (insn.len && insn.opcode_len == 2 && insn.opcode[0] == 0x0f &&
	    insn.opcode[1] == 0x01 &&
	    (insn.modrm == 0xc1 || insn.modrm == 0xd9) &&
	    kvm_check_has_quirk(vcpu->kvm, KVM_X86_QUIRK_FIX_HYPERCALL_INSN)) {
		if (kvm_fix_hypercall_insn(vcpu))
			return 1;
		return kvm_emulate_hypercall(vcpu);
	}
	/*
	 * RSM (0F AA) outside real SMM is #UD (SDM vol. 3C, 34.2), which is
	 * how VMX reports it: SMM is Kestrel's, so is RSM.
	 */
	if (insn.len && insn.opcode_len == 2 && insn.opcode[0] == 0x0f &&
	    insn.opcode[1] == 0xaa)
		return kvm_emulate_rsm(vcpu);
	kvm_queue_exception(vcpu, X86_TRAP_UD);
	return 1;
}

/*
 * MONITOR and MWAIT are intercepted: a guest must not stop a host CPU.
 * As in KVM they are no-ops, which is correct (MWAIT may wake for any
 * reason, SDM vol. 2B MWAIT), unless KVM_X86_QUIRK_MWAIT_NEVER_UD_FAULTS
 * is disabled and the guest's CPUID lacks MONITOR/MWAIT: then #UD, as on
 * hardware without them.
 */
int kvm_emulate_monitor_mwait(struct kvm_vcpu *vcpu)
{
	if (!kvm_check_has_quirk(vcpu->kvm,
				 KVM_X86_QUIRK_MWAIT_NEVER_UD_FAULTS) &&
	    !kvm_guest_cpuid_has(vcpu, X86_FEATURE_MWAIT)) {
		kvm_queue_exception(vcpu, X86_TRAP_UD);
		return 1;
	}
	return kvm_x86_ops->skip_emulated_instruction(vcpu);
}

/*
 * MMIO through the emulator
 */

/* Hand userspace the MMIO access the emulator recorded. */
static int kvm_mmio_exit(struct kvm_vcpu *vcpu)
{
	struct kvm_mmio_request *m = &vcpu->arch.mmio;
	struct kvm_run *run = vcpu->run;

	vcpu->arch.stat.mmio_exits++;
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = m->gpa;
	run->mmio.len = m->len;
	run->mmio.is_write = m->is_write;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (m->is_write)
		memcpy(run->mmio.data, m->data, m->len);
	return 0;
}

struct kvm_emul {
	struct x86_emul_ctxt ctxt;
	struct kvm_vcpu *vcpu;
	bool mmio_write;		/* a write was queued for userspace */
};

static int kvm_emul_translate(struct kvm_emul *em, u64 la, unsigned int len,
			      u32 access, u64 *gpa)
{
	/* One access, one page: a split MMIO access is not emulated. */
	if (offset_in_page(la) + len > PAGE_SIZE)
		return X86EMUL_UNHANDLEABLE;
	return kvm_gva_to_gpa(em->vcpu, la, access, gpa, &em->ctxt.exception);
}

static bool kvm_gpa_is_ram(struct kvm_vcpu *vcpu, u64 gpa, bool write)
{
	struct kvm *kvm = vcpu->kvm;
	struct kvm_memory_slot *slot;
	int idx = srcu_read_lock(&kvm->srcu);
	bool ram;

	slot = kvm_vcpu_gfn_to_memslot(vcpu, gpa >> PAGE_SHIFT);
	ram = slot && !(write && (slot->flags & KVM_MEM_READONLY));
	srcu_read_unlock(&kvm->srcu, idx);
	return ram;
}

static int kvm_emul_read(void *opaque, u64 la, void *val, unsigned int len)
{
	struct kvm_emul *em = opaque;
	struct kvm_mmio_request *m = &em->vcpu->arch.mmio;
	u64 gpa;
	int r = kvm_emul_translate(em, la, len, 0, &gpa);

	if (r)
		return r;
	if (kvm_gpa_is_ram(em->vcpu, gpa, false))
		return kvm_vcpu_read_guest(em->vcpu, gpa, val, len) ?
		       X86EMUL_UNHANDLEABLE : X86EMUL_CONTINUE;
	if (len > sizeof(m->data))
		return X86EMUL_UNHANDLEABLE;
	if (m->completed && !m->is_write && m->gpa == gpa && m->len == len) {
		memcpy(val, m->data, len);
		m->completed = false;
		return X86EMUL_CONTINUE;
	}
	/* An in-kernel device (io_bus.c) answers without an exit. */
	if (!kvm_io_bus_read(em->vcpu, KVM_MMIO_BUS, gpa, len, val))
		return X86EMUL_CONTINUE;
	m->gpa = gpa;
	m->len = len;
	m->is_write = false;
	m->completed = false;
	return X86EMUL_IO_NEEDED;
}

static int kvm_emul_write(void *opaque, u64 la, const void *val,
			  unsigned int len)
{
	struct kvm_emul *em = opaque;
	struct kvm_mmio_request *m = &em->vcpu->arch.mmio;
	u64 gpa;
	int r = kvm_emul_translate(em, la, len, PFERR_WRITE, &gpa);

	if (r)
		return r;
	if (kvm_gpa_is_ram(em->vcpu, gpa, true))
		return kvm_vcpu_write_guest(em->vcpu, gpa, val, len) ?
		       X86EMUL_UNHANDLEABLE : X86EMUL_CONTINUE;
	if (len > sizeof(m->data))
		return X86EMUL_UNHANDLEABLE;
	/* An ioeventfd, a coalesced zone or a device takes it: no exit. */
	if (!kvm_io_bus_write(em->vcpu, KVM_MMIO_BUS, gpa, len, val))
		return X86EMUL_CONTINUE;
	m->gpa = gpa;
	m->len = len;
	m->is_write = true;
	m->completed = false;
	memcpy(m->data, val, len);
	em->mmio_write = true;
	return X86EMUL_CONTINUE;
}

static const struct x86_emul_ops kvm_emul_ops = {
	.read = kvm_emul_read,
	.write = kvm_emul_write,
};

static int kvm_emulation_failure(struct kvm_vcpu *vcpu, const u8 *insn,
				 unsigned int len)
{
	struct kvm_run *run = vcpu->run;

	pr_debug_ratelimited("cannot emulate instruction at rip %#lx\n",
			     vcpu->arch.rip);
	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->emulation_failure.suberror = KVM_INTERNAL_ERROR_EMULATION;
	run->emulation_failure.ndata = 0;
	run->emulation_failure.flags = 0;
	if (len) {
		run->emulation_failure.flags =
			KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES;
		run->emulation_failure.insn_size = len;
		memset(run->emulation_failure.insn_bytes, 0x90,
		       sizeof(run->emulation_failure.insn_bytes));
		memcpy(run->emulation_failure.insn_bytes, insn, len);
		/* flags, insn_size and the 16 instruction bytes */
		run->emulation_failure.ndata = 4;
	}
	return 0;
}

static void kvm_emul_setup(struct kvm_emul *em, struct kvm_vcpu *vcpu,
			   const u8 *insn, unsigned int len)
{
	static const int sregs[6] = {
		VCPU_SREG_ES, VCPU_SREG_CS, VCPU_SREG_SS,
		VCPU_SREG_DS, VCPU_SREG_FS, VCPU_SREG_GS,
	};
	struct x86_emul_ctxt *c = &em->ctxt;
	int i;

	memset(em, 0, sizeof(*em));
	em->vcpu = vcpu;
	c->mode = kvm_cpu_mode(vcpu);
	c->la57 = vcpu->arch.cr4 & X86_CR4_LA57;
	BUILD_BUG_ON(ARRAY_SIZE(c->gpr) != NR_VCPU_REGS);
	for (i = 0; i < NR_VCPU_REGS; i++)
		c->gpr[i] = vcpu->arch.regs[i];
	c->rip = vcpu->arch.rip;
	c->rflags = vcpu->arch.rflags;
	for (i = 0; i < ARRAY_SIZE(sregs); i++) {
		struct kvm_segment s;

		kvm_x86_ops->get_segment(vcpu, &s, sregs[i]);
		c->seg_base[i] = s.base;
	}
	c->insn_bytes = insn;
	c->insn_avail = len;
	c->ops = &kvm_emul_ops;
	c->opaque = em;
}

static void kvm_emul_commit(struct kvm_emul *em)
{
	struct kvm_vcpu *vcpu = em->vcpu;
	int i;

	for (i = 0; i < NR_VCPU_REGS; i++)
		vcpu->arch.regs[i] = em->ctxt.gpr[i];
	kvm_complete_insn(vcpu, em->ctxt.rip);
	vcpu->arch.rflags = em->ctxt.rflags;
}

static int kvm_complete_mmio_read(struct kvm_vcpu *vcpu);

/*
 * Emulate the instruction at CS:RIP; 1 to re-enter the guest, 0 when an
 * MMIO access went to userspace.
 */
static int kvm_emulate_instruction(struct kvm_vcpu *vcpu)
{
	struct kvm_emul *em;
	u8 insn[15];
	int n, r;

	em = kmalloc(sizeof(*em), GFP_KERNEL_ACCOUNT);
	if (!em)
		return -ENOMEM;
	n = vcpu->arch.insn_len;
	if (n) {
		memcpy(insn, vcpu->arch.insn_bytes, n);
		vcpu->arch.insn_len = 0;
	} else {
		n = kvm_fetch_insn(vcpu, insn, sizeof(insn), &em->ctxt.exception);
	}
	if (n <= 0) {
		if (-n == X86EMUL_EXCEPTION) {
			kvm_inject_emul_exception(vcpu, &em->ctxt.exception);
			r = 1;
		} else {
			r = kvm_emulation_failure(vcpu, NULL, 0);
		}
		goto out;
	}
	kvm_emul_setup(em, vcpu, insn, n);
	switch (x86_emulate_insn(&em->ctxt)) {
	case X86EMUL_CONTINUE:
		kvm_emul_commit(em);
		r = em->mmio_write ? kvm_mmio_exit(vcpu) : 1;
		break;
	case X86EMUL_IO_NEEDED:
		vcpu->arch.complete_userspace_io = kvm_complete_mmio_read;
		r = kvm_mmio_exit(vcpu);
		break;
	case X86EMUL_EXCEPTION:
		kvm_inject_emul_exception(vcpu, &em->ctxt.exception);
		r = 1;
		break;
	default:
		r = kvm_emulation_failure(vcpu, insn, n);
		break;
	}
out:
	kfree(em);
	return r;
}

/* KVM_RUN after an MMIO read exit: the data is in kvm_run; finish. */
static int kvm_complete_mmio_read(struct kvm_vcpu *vcpu)
{
	struct kvm_mmio_request *m = &vcpu->arch.mmio;

	memcpy(m->data, vcpu->run->mmio.data, m->len);
	m->completed = true;
	return kvm_emulate_instruction(vcpu);
}

/* A guest access to a gpa with no memory behind it (or a read-only slot). */
int kvm_emulate_mmio(struct kvm_vcpu *vcpu, gpa_t gpa)
{
	vcpu->arch.mmio.completed = false;
	return kvm_emulate_instruction(vcpu);
}

/*
 * Port I/O
 */

static int kvm_complete_pio_out(struct kvm_vcpu *vcpu)
{
	kvm_complete_insn(vcpu, vcpu->arch.pio.next_rip);
	return 1;
}

static int kvm_complete_pio_in(struct kvm_vcpu *vcpu)
{
	struct kvm_pio_request *pio = &vcpu->arch.pio;
	unsigned long rax = kvm_reg_read(vcpu, VCPU_REGS_RAX);
	u32 val = 0;

	memcpy(&val, page_address(vcpu->pio_page), pio->size);
	switch (pio->size) {
	case 1:
		rax = (rax & ~0xffUL) | val;
		break;
	case 2:
		rax = (rax & ~0xffffUL) | val;
		break;
	default:
		rax = val;	/* a 32-bit result zero-extends */
		break;
	}
	kvm_reg_write(vcpu, VCPU_REGS_RAX, rax);
	kvm_complete_insn(vcpu, pio->next_rip);
	return 1;
}

static int kvm_pio_exit(struct kvm_vcpu *vcpu, u16 port, int size, bool in,
			u32 count)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT;
	run->io.size = size;
	run->io.port = port;
	run->io.count = count;
	run->io.data_offset = KVM_PIO_PAGE_OFFSET * PAGE_SIZE;
	return 0;
}

/*
 * INS/OUTS between guest memory at ES:rDI (INS) or seg:rSI (OUTS) and the
 * PIO data page.  As in KVM, OUTS exits once per element, and INS gathers
 * up to 1 KiB, within the page rDI points into, per exit.  A REP string
 * longer than that exits again when the guest re-executes it.
 */
static u64 kvm_ad_mask(u8 ad_bytes)
{
	return ad_bytes == 8 ? ~0ULL : (1ULL << (ad_bytes * 8)) - 1;
}

static int kvm_string_pio_copy(struct kvm_vcpu *vcpu, bool to_guest)
{
	struct kvm_pio_request *pio = &vcpu->arch.pio;
	struct kvm_string_pio *sp = &vcpu->arch.string_pio;
	u8 *data = page_address(vcpu->pio_page);
	long step = (vcpu->arch.rflags & X86_EFLAGS_DF) ? -pio->size : pio->size;
	u64 off = kvm_reg_read(vcpu, sp->index);
	u64 left = kvm_reg_read(vcpu, VCPU_REGS_RCX) & sp->mask;
	struct x86_emul_exception e;
	u32 n = sp->n, i, b;

	/*
	 * Userspace may have lowered RCX during the exit (KVM's upstream
	 * userspace_io_test does): move no more elements than it says are
	 * left, so the count cannot wrap and run the REP on and on.
	 */
	if (sp->rep && left < n)
		n = left;
	for (i = 0; i < n; i++, off += step) {
		for (b = 0; b < pio->size; b++) {
			u64 la = sp->base + ((off + b) & sp->mask), gpa;
			u8 *byte = &data[i * pio->size + b];
			int r;

			if (sp->la32)
				la = (u32)la;
			r = kvm_gva_to_gpa(vcpu, la, to_guest ? PFERR_WRITE : 0,
					   &gpa, &e);
			if (r == X86EMUL_EXCEPTION) {
				kvm_inject_emul_exception(vcpu, &e);
				return 1;
			}
			if (r || (to_guest ? kvm_vcpu_write_guest(vcpu, gpa, byte, 1) :
					     kvm_vcpu_read_guest(vcpu, gpa, byte, 1)))
				return kvm_emulation_failure(vcpu, NULL, 0);
		}
	}
	/* The element moved: advance the index, count down, maybe finish. */
	kvm_reg_write(vcpu, sp->index,
		      (kvm_reg_read(vcpu, sp->index) & ~sp->mask) |
		      ((kvm_reg_read(vcpu, sp->index) + step * n) & sp->mask));
	if (sp->rep) {
		u64 rcx = kvm_reg_read(vcpu, VCPU_REGS_RCX);

		rcx = (rcx & ~sp->mask) | ((rcx - n) & sp->mask);
		kvm_reg_write(vcpu, VCPU_REGS_RCX, rcx);
		if (rcx & sp->mask)
			return 1;	/* the guest re-executes the REP */
	}
	kvm_complete_insn(vcpu, pio->next_rip);
	return 1;
}

static int kvm_complete_string_pio_in(struct kvm_vcpu *vcpu)
{
	return kvm_string_pio_copy(vcpu, true);
}

static int kvm_string_pio(struct kvm_vcpu *vcpu, u16 port, int size, bool in,
			  bool rep, unsigned long next_rip)
{
	struct kvm_string_pio *sp = &vcpu->arch.string_pio;
	struct kvm_pio_request *pio = &vcpu->arch.pio;
	enum x86_cpu_mode mode = kvm_cpu_mode(vcpu);
	struct kvm_segment seg;
	struct x86_insn insn;
	u64 count = 1;
	u8 buf[15];
	int n, r, s;

	n = kvm_decode_guest_insn(vcpu, buf, &insn);
	if (!insn.len)
		return kvm_emulation_failure(vcpu, buf, n);

	sp->mask = kvm_ad_mask(insn.ad_bytes);
	sp->rep = rep;
	sp->index = in ? VCPU_REGS_RDI : VCPU_REGS_RSI;
	/*
	 * INS writes ES:rDI, with no override; OUTS reads DS:rSI, DS
	 * overridable.  In 64-bit mode only FS and GS have a base.
	 * (enum x86_seg and enum kvm_sreg number ES..GS alike.)
	 */
	s = in ? VCPU_SREG_ES : insn.seg != X86_SEG_NONE ? insn.seg : VCPU_SREG_DS;
	kvm_x86_ops->get_segment(vcpu, &seg, s);
	sp->base = seg.base;
	if (mode == X86_MODE_LONG64 && s != VCPU_SREG_FS && s != VCPU_SREG_GS)
		sp->base = 0;
	sp->la32 = mode != X86_MODE_LONG64;
	if (rep)
		count = kvm_reg_read(vcpu, VCPU_REGS_RCX) & sp->mask;
	if (!count) {
		kvm_complete_insn(vcpu, next_rip);
		return 1;
	}
	if (in) {
		u64 rdi = kvm_reg_read(vcpu, VCPU_REGS_RDI);
		u64 in_page = (vcpu->arch.rflags & X86_EFLAGS_DF) ?
			      offset_in_page(rdi) : PAGE_SIZE - offset_in_page(rdi);

		sp->n = min3(count, (u64)(1024 / size), in_page) ?: 1;
	} else {
		sp->n = 1;
	}

	pio->port = port;
	pio->size = size;
	pio->in = in;
	pio->count = sp->n;
	pio->next_rip = next_rip;
	if (in) {
		vcpu->arch.complete_userspace_io = kvm_complete_string_pio_in;
	} else {
		r = kvm_string_pio_copy(vcpu, false);
		if (r <= 0 || vcpu->arch.exception.pending)
			return r;
		/*
		 * The element (OUTS moves one per exit) is in the data page
		 * and the registers have moved past it: an in-kernel device
		 * may take it with no exit.  INS always exits.
		 */
		if (!kvm_io_bus_write(vcpu, KVM_PIO_BUS, port, size,
				      page_address(vcpu->pio_page)))
			return 1;
		/* The elements are already in the data page: nothing to finish. */
	}
	return kvm_pio_exit(vcpu, port, size, in, sp->n);
}

/*
 * IN/OUT with the data in RAX.  The instruction completes on the next
 * KVM_RUN: an IN then takes the value userspace left in the data page.
 */
int kvm_emulate_pio(struct kvm_vcpu *vcpu, u16 port, int size, bool in,
		    bool string, bool rep, unsigned long next_rip)
{
	struct kvm_pio_request *pio = &vcpu->arch.pio;
	void *data = page_address(vcpu->pio_page);

	vcpu->arch.stat.io_exits++;
	if (string)
		return kvm_string_pio(vcpu, port, size, in, rep, next_rip);
	pio->port = port;
	pio->size = size;
	pio->in = in;
	pio->count = 1;
	pio->next_rip = next_rip;
	/*
	 * An in-kernel device (io_bus.c) completes the instruction at once,
	 * exactly as the next KVM_RUN would after an exit.
	 */
	if (in) {
		if (!kvm_io_bus_read(vcpu, KVM_PIO_BUS, port, size, data))
			return kvm_complete_pio_in(vcpu);
		vcpu->arch.complete_userspace_io = kvm_complete_pio_in;
	} else {
		unsigned long rax = kvm_reg_read(vcpu, VCPU_REGS_RAX);

		memcpy(data, &rax, size);
		if (!kvm_io_bus_write(vcpu, KVM_PIO_BUS, port, size, data))
			return kvm_complete_pio_out(vcpu);
		vcpu->arch.complete_userspace_io = kvm_complete_pio_out;
	}
	return kvm_pio_exit(vcpu, port, size, in, 1);
}

/*
 * MOV to DR7 (or DR5, its alias without CR4.DE: SDM vol. 3B, 18.2.2) is
 * intercepted so that Kestrel always knows which breakpoints the guest
 * arms, and loads the guest's own DR0-3 for them (see the entry path).
 * Bits 63:32 are reserved (#GP); bits 11, 12, 14, 15 read as 0, bit 10 as 1.
 */
static int kvm_emulate_mov_to_dr7(struct kvm_vcpu *vcpu,
				  const struct x86_insn *insn,
				  enum x86_cpu_mode mode)
{
	unsigned long val = kvm_reg_read(vcpu, insn->rm);

	if (insn->reg == 5 && (vcpu->arch.cr4 & X86_CR4_DE)) {
		kvm_queue_exception(vcpu, X86_TRAP_UD);
		return 1;
	}
	if (mode != X86_MODE_LONG64)
		val = (u32)val;
	if (val >> 32) {
		kvm_queue_exception_e(vcpu, X86_TRAP_GP, 0);
		return 1;
	}
	vcpu->arch.dr7 = (val & 0xffff2bffUL) | DR7_RESET;
	kvm_complete_insn(vcpu, vcpu->arch.rip + insn->len);
	return 1;
}

/*
 * MOV to/from DR0-DR3, which VMRUN does not switch: the guest's values are
 * kept here, never loaded into the hardware (guest breakpoints come with
 * guest debugging).  SDM vol. 3B, 18.2: CPL > 0 is #GP(0).
 */
int kvm_emulate_mov_dr(struct kvm_vcpu *vcpu)
{
	enum x86_cpu_mode mode = kvm_cpu_mode(vcpu);
	struct x86_insn insn;
	unsigned long val;
	u8 buf[15];
	int n = kvm_decode_guest_insn(vcpu, buf, &insn);

	if (!insn.len || insn.opcode_len != 2 ||
	    (insn.opcode[1] != 0x21 && insn.opcode[1] != 0x23))
		return kvm_emulation_failure(vcpu, buf, n);
	if (kvm_get_cpl(vcpu)) {
		kvm_queue_exception_e(vcpu, X86_TRAP_GP, 0);
		return 1;
	}
	if (insn.opcode[1] == 0x23 && (insn.reg == 7 || insn.reg == 5))
		return kvm_emulate_mov_to_dr7(vcpu, &insn, mode);
	if (insn.reg > 3)
		return kvm_emulation_failure(vcpu, buf, n);
	if (insn.opcode[1] == 0x21) {
		val = vcpu->arch.db[insn.reg];
		kvm_reg_write(vcpu, insn.rm, mode == X86_MODE_LONG64 ? val : (u32)val);
	} else {
		val = kvm_reg_read(vcpu, insn.rm);
		vcpu->arch.db[insn.reg] = mode == X86_MODE_LONG64 ? val : (u32)val;
	}
	kvm_complete_insn(vcpu, vcpu->arch.rip + insn.len);
	return 1;
}

/*
 * MOV to CR4, intercepted so that the guest sets only the CR4 bits its
 * CPUID offers (a VMM's CPUID is a promise about what the guest can do,
 * and KVM_SET_SREGS must be able to restore whatever the guest set).
 * The instruction is 0F 22 /r; the ModRM mod field is ignored and the
 * operand is 64-bit in 64-bit mode, 32-bit otherwise (SDM vol. 2B, MOV).
 */
int kvm_emulate_mov_to_cr4(struct kvm_vcpu *vcpu)
{
	enum x86_cpu_mode mode = kvm_cpu_mode(vcpu);
	struct x86_insn insn;
	unsigned long val;
	u8 buf[15];
	int n = kvm_decode_guest_insn(vcpu, buf, &insn);

	if (!insn.len || insn.opcode_len != 2 || insn.opcode[1] != 0x22 ||
	    insn.reg != 4)
		return kvm_emulation_failure(vcpu, buf, n);
	val = kvm_reg_read(vcpu, insn.rm);
	if (mode != X86_MODE_LONG64)
		val = (u32)val;
	if (kvm_get_cpl(vcpu) || kvm_set_cr4(vcpu, val)) {
		kvm_queue_exception_e(vcpu, X86_TRAP_GP, 0);
		return 1;
	}
	kvm_complete_insn(vcpu, vcpu->arch.rip + insn.len);
	return 1;
}

/*
 * MOV to CR8, intercepted only while TPR holds back a pending interrupt
 * (lapic.c): REX.R 0F 22 /r with reg 8 (SDM vol. 2B, MOV; vol. 3A, 10.8.6:
 * bits 63:4 reserved, #GP).  The new TPR goes to the backend and the APIC
 * at once, so the interrupt it unblocks is taken right after the MOV.
 */
int kvm_emulate_mov_to_cr8(struct kvm_vcpu *vcpu)
{
	struct x86_insn insn;
	unsigned long val;
	u8 buf[15];
	int n = kvm_decode_guest_insn(vcpu, buf, &insn);

	if (!insn.len || insn.opcode_len != 2 || insn.opcode[1] != 0x22 ||
	    insn.reg != 8)
		return kvm_emulation_failure(vcpu, buf, n);
	val = kvm_reg_read(vcpu, insn.rm);
	if (kvm_get_cpl(vcpu) || (val & ~0xfUL)) {
		kvm_queue_exception_e(vcpu, X86_TRAP_GP, 0);
		return 1;
	}
	kvm_x86_ops->set_cr8(vcpu, val);
	kvm_lapic_after_exit(vcpu);
	kvm_complete_insn(vcpu, vcpu->arch.rip + insn.len);
	return 1;
}

/*
 * XSETBV (SDM vol. 2C): #UD without CR4.OSXSAVE, #GP(0) from CPL > 0, for
 * an XCR other than XCR0, or for a value XCR0 may not take.
 */
int kvm_emulate_xsetbv(struct kvm_vcpu *vcpu)
{
	u64 val = (kvm_reg_read(vcpu, VCPU_REGS_RDX) << 32) |
		  (u32)kvm_reg_read(vcpu, VCPU_REGS_RAX);

	if (!(vcpu->arch.cr4 & X86_CR4_OSXSAVE)) {
		kvm_queue_exception(vcpu, X86_TRAP_UD);
		return 1;
	}
	if (kvm_get_cpl(vcpu) ||
	    (u32)kvm_reg_read(vcpu, VCPU_REGS_RCX) != XCR_XFEATURE_ENABLED_MASK ||
	    kvm_set_xcr0(vcpu, val)) {
		kvm_queue_exception_e(vcpu, X86_TRAP_GP, 0);
		return 1;
	}
	return kvm_x86_ops->skip_emulated_instruction(vcpu);
}
