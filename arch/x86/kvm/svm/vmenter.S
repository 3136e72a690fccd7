/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Entering an SVM guest.
 *
 * VMRUN switches RAX, RSP, RIP, RFLAGS, the segment registers' visible
 * parts, CR0/3/4, EFER, GDTR/IDTR, DR6/7 and CR2 (AMD APM vol. 2, 15.5.1,
 * "VMRUN"); the hidden state of FS, GS, TR and LDTR, KernelGSBase, STAR,
 * LSTAR, CSTAR, SFMASK and SYSENTER_* it leaves alone: VMLOAD/VMSAVE move
 * those (15.5.2).  The other general-purpose registers are ours to switch.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/kvm_vcpu_regs.h>
#include <asm/nospec-branch.h>

#define REG(r)	(__VCPU_REGS_##r * 8)

	.section .text, "ax"

/*
 * void __svm_vcpu_run(unsigned long vmcb_pa, unsigned long *regs,
 *		       unsigned long host_vmsave_pa)
 *
 * Called with interrupts disabled and GIF clear (CLGI): nothing may run
 * between loading the guest's GS base and restoring the host's.  STI
 * before VMRUN makes host interrupts that arrive during the guest cause
 * #VMEXIT (they stay pending, GIF being clear, until the caller's STGI
 * and local_irq_enable()).  The NOP takes the STI's shadow: a shadow on
 * VMRUN leaks into the guest (AMD CPUs, as KVM's svm.c notes, and QEMU
 * TCG always), and a guest whose first instruction is its own STI then
 * gets no shadow from it (irq_blocking_test).
 */
SYM_FUNC_START(__svm_vcpu_run)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rsi		/* 16(%rsp): regs */
	push	%rdi		/*  8(%rsp): vmcb_pa */
	push	%rdx		/*  0(%rsp): host_vmsave_pa */

	mov	%rdx, %rax
	vmsave	%rax
	mov	%rdi, %rax
	vmload	%rax

	/* Guest GPRs; RAX and RSP come from the VMCB. */
	mov	REG(RCX)(%rsi), %rcx
	mov	REG(RDX)(%rsi), %rdx
	mov	REG(RBX)(%rsi), %rbx
	mov	REG(RBP)(%rsi), %rbp
	mov	REG(RDI)(%rsi), %rdi
	mov	REG(R8)(%rsi), %r8
	mov	REG(R9)(%rsi), %r9
	mov	REG(R10)(%rsi), %r10
	mov	REG(R11)(%rsi), %r11
	mov	REG(R12)(%rsi), %r12
	mov	REG(R13)(%rsi), %r13
	mov	REG(R14)(%rsi), %r14
	mov	REG(R15)(%rsi), %r15
	mov	REG(RSI)(%rsi), %rsi

	mov	8(%rsp), %rax
	sti
	nop
	vmrun	%rax
	cli

	/* #VMEXIT: RAX is the VMCB's address again, RSP ours. */
	mov	16(%rsp), %rax
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

	mov	8(%rsp), %rax
	vmsave	%rax
	mov	0(%rsp), %rax
	vmload	%rax

	/* The guest may have trained the return predictor against us. */
	FILL_RETURN_BUFFER %rax, RSB_CLEAR_LOOPS, X86_FEATURE_RETPOLINE
	UNTRAIN_RET

	/* Leave no guest value for speculation to use. */
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d

	add	$24, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(__svm_vcpu_run)
