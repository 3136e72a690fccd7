/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Entering a VMX guest.
 *
 * VM entry loads the guest's RSP, RIP, RFLAGS, control registers, segment
 * registers, DR7 and the MSRs the entry controls name from the VMCS (SDM
 * vol. 3C, 26.3.2); VM exit loads the host's from the host-state area
 * (27.5), with RSP = HOST_RSP and RIP = HOST_RIP = __vmx_vmexit.  The
 * other general-purpose registers are ours to switch, and CR2 and the
 * syscall MSRs too (the caller does those).
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/kvm_vcpu_regs.h>
#include <asm/nospec-branch.h>
#include <asm/segment.h>
#include <asm/unwind_hints.h>

#define REG(r)	(__VCPU_REGS_##r * 8)

/* The HOST_RSP field's encoding (SDM vol. 3D, B.4.4); <asm/vmx.h> is C. */
#define VMCS_HOST_RSP	0x00006c14

	.section .text, "ax"

/*
 * int __vmx_vcpu_run(unsigned long *regs, bool launched)
 *
 * Called with interrupts disabled and the vCPU's VMCS current on this CPU.
 * Returns 0 after a VM exit (also a failed VM entry: that is an exit with
 * bit 31 of the exit reason set), 1 when VMLAUNCH/VMRESUME failed as an
 * instruction (VMfailValid/VMfailInvalid: the VMCS's VM-instruction error
 * field says why), 2 when it faulted (not in VMX operation).
 *
 * External interrupts and NMIs make the guest exit (pin-based controls);
 * with interrupts off here, a host interrupt is taken when the caller
 * enables interrupts again.
 */
SYM_FUNC_START(__vmx_vcpu_run)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rdi		/* 0(%rsp): regs, found again at the exit */

	/*
	 * The exit comes back to exactly this RSP.  Outside VMX operation
	 * (a CPU turned off under us) VMWRITE raises #UD: the exception
	 * table makes that the fault return, never a host oops.
	 */
	mov	$VMCS_HOST_RSP, %eax
.Lhost_rsp:
	vmwrite	%rsp, %rax
	jna	.Lfail
	_ASM_EXTABLE(.Lhost_rsp, .Lvmfault)

	mov	%rdi, %rax
	/*
	 * CF = launched: it survives the MOVs and the VERW below (which
	 * clobbers ZF only) and selects the instruction.
	 */
	bt	$0, %esi
	mov	REG(RCX)(%rax), %rcx
	mov	REG(RDX)(%rax), %rdx
	mov	REG(RBX)(%rax), %rbx
	mov	REG(RBP)(%rax), %rbp
	mov	REG(RSI)(%rax), %rsi
	mov	REG(RDI)(%rax), %rdi
	mov	REG(R8)(%rax), %r8
	mov	REG(R9)(%rax), %r9
	mov	REG(R10)(%rax), %r10
	mov	REG(R11)(%rax), %r11
	mov	REG(R12)(%rax), %r12
	mov	REG(R13)(%rax), %r13
	mov	REG(R14)(%rax), %r14
	mov	REG(R15)(%rax), %r15
	mov	REG(RAX)(%rax), %rax

	/*
	 * MDS/TAA/MMIO stale data: clear the CPU buffers last, so that no
	 * host data loaded after it reaches the guest (VERW with the
	 * microcode's side effect; patched in when the host kernel's
	 * mitigation asks for it for guests).
	 */
	VM_CLEAR_CPU_BUFFERS

	UNWIND_HINT_SAVE
	jnc	.Lvmlaunch
.Lvmresume:
	vmresume
	jmp	.Lvmfail
.Lvmlaunch:
	vmlaunch
	jmp	.Lvmfail

	_ASM_EXTABLE(.Lvmresume, .Lvmfault)
	_ASM_EXTABLE(.Lvmlaunch, .Lvmfault)

SYM_INNER_LABEL(__vmx_vmexit, SYM_L_GLOBAL)
	UNWIND_HINT_RESTORE
	ENDBR
	/* RSP is HOST_RSP: the regs pointer is on top. */
	push	%rax
	mov	8(%rsp), %rax
	mov	%rcx, REG(RCX)(%rax)
	mov	%rdx, REG(RDX)(%rax)
	mov	%rbx, REG(RBX)(%rax)
	mov	%rbp, REG(RBP)(%rax)
	mov	%rsi, REG(RSI)(%rax)
	mov	%rdi, REG(RDI)(%rax)
	mov	%r8, REG(R8)(%rax)
	mov	%r9, REG(R9)(%rax)
	mov	%r10, REG(R10)(%rax)
	mov	%r11, REG(R11)(%rax)
	mov	%r12, REG(R12)(%rax)
	mov	%r13, REG(R13)(%rax)
	mov	%r14, REG(R14)(%rax)
	mov	%r15, REG(R15)(%rax)
	popq	REG(RAX)(%rax)
	xor	%ebx, %ebx
	jmp	.Lout

.Lvmfault:
	mov	$2, %ebx
	jmp	.Lout
.Lvmfail:
	/* The guest's registers never went in: nothing to save. */
	mov	$1, %ebx
	jmp	.Lout
.Lfail:
	mov	$1, %ebx

.Lout:
	/*
	 * Leave no guest value for speculation to use, before any call:
	 * RBX holds the result, the callee-saved ones are popped below.
	 */
	xor	%eax, %eax
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%ebp, %ebp
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d
	xor	%r12d, %r12d
	xor	%r13d, %r13d
	xor	%r14d, %r14d
	xor	%r15d, %r15d

	/*
	 * Before the first unbalanced RET after the exit: the guest may
	 * have filled the return stack buffer with its own targets.  Stuff
	 * it when the host kernel says VM exits need it (retpoline, legacy
	 * IBRS; a single call with eIBRS), as KVM does.
	 */
	FILL_RETURN_BUFFER %rax, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT, \
			   X86_FEATURE_RSB_VMEXIT_LITE
	/* The host's SPEC_CTRL (IBRS) back before any indirect branch. */
	call	vmx_spec_ctrl_restore_host
	/* BHI: the guest's branch history must not steer the host's. */
	CLEAR_BRANCH_HISTORY_VMEXIT
	UNTRAIN_RET

	mov	%ebx, %eax
	add	$8, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(__vmx_vcpu_run)

/*
 * void __vmx_do_nmi(void (*handler)(void))
 *
 * An NMI that made the guest exit was consumed by the exit (SDM 27.2.2,
 * "NMI exiting"): call the host's NMI entry as the CPU would have, with an
 * interrupt frame of our own, interrupts off.  The handler's IRET returns
 * here.
 */
SYM_FUNC_START(__vmx_do_nmi)
	push	%rbp
	mov	%rsp, %rbp
	and	$-16, %rsp
	push	$__KERNEL_DS
	push	%rbp
	pushf
	push	$__KERNEL_CS
	CALL_NOSPEC rdi
	leave
	RET
SYM_FUNC_END(__vmx_do_nmi)
