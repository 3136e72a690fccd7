/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VMX instructions (Intel SDM vol. 3C, chapter 31 "VMX Instruction
 * Reference").  The VMCS field encodings (SDM vol. 3D, appendix B) and
 * control bits are the kernel's own <asm/vmx.h>, as the SVM backend uses
 * <asm/svm.h> for the VMCB layout.
 *
 * Every VMX instruction reports failure in RFLAGS (SDM 31.2 "Conventions"):
 * CF=1 VMfailInvalid (no current VMCS), ZF=1 VMfailValid (the error number
 * is in the VM-instruction error field).  Outside VMX operation they raise
 * #UD; the exception table resumes at the check with the CF that STC set
 * before the instruction, so a fault is a failure too and no caller can
 * bring the host down with a stray VMX instruction.
 */
#ifndef KESTREL_VMX_VMCS_H
#define KESTREL_VMX_VMCS_H

#include <linux/compiler.h>
#include <linux/printk.h>
#include <linux/types.h>
#include <asm/asm.h>
#include <asm/vmx.h>

/* IA32_VMX_BASIC (SDM vol. 3D, A.1). */
#define VMX_BASIC_REVISION_MASK		0x7fffffffULL
#define VMX_BASIC_VMCS_SIZE(b)		(((b) >> 32) & 0x1fff)
#define VMX_BASIC_32BIT_ADDRESSES	BIT_ULL(48)
#define VMX_BASIC_MEMTYPE(b)		(((b) >> 50) & 0xf)
#define VMX_BASIC_MEMTYPE_WB		6

/* GETSEC, which <asm/vmx.h> does not name (appendix C). */
#define EXIT_REASON_GETSEC		11

/* Exit reason: basic reason in bits 15:0, bit 31 "VM-entry failure" (SDM 24.9.1). */
#define VMX_EXIT_REASON_FAILED_ENTRY	BIT(31)
#define VMX_EXIT_REASON_BASIC(r)	((r) & 0xffff)

struct vmcs_hdr {
	u32 revision_id;
	u32 abort;
};

static __always_inline unsigned long vmcs_read(unsigned long field)
{
	unsigned long value = 0;

	asm volatile ("1: vmread %[field], %[value]\n\t"
		      "2:\n\t"
		      _ASM_EXTABLE(1b, 2b)
		      : [value] "+r" (value) : [field] "r" (field) : "cc");
	return value;
}

static __always_inline u32 vmcs_read32(unsigned long field)
{
	return vmcs_read(field);
}

static inline void vmcs_write(unsigned long field, unsigned long value)
{
	asm goto("stc\n\t"
		  "1: vmwrite %[value], %[field]\n\t"
		  "2: jna %l[fail]\n\t"
		  _ASM_EXTABLE(1b, 2b)
		  : : [value] "rm" (value), [field] "r" (field)
		  : "cc" : fail);
	return;
fail:
	pr_warn_ratelimited("kestrel: VMWRITE %#lx <- %#lx failed\n",
			    field, value);
}

static inline int vmx_vmclear(u64 pa)
{
	asm goto("stc\n\t"
		  "1: vmclear %[pa]\n\t"
		  "2: jna %l[fail]\n\t"
		  _ASM_EXTABLE(1b, 2b)
		  : : [pa] "m" (pa) : "cc", "memory" : fail);
	return 0;
fail:
	return -EIO;
}

static inline int vmx_vmptrld(u64 pa)
{
	asm goto("stc\n\t"
		  "1: vmptrld %[pa]\n\t"
		  "2: jna %l[fail]\n\t"
		  _ASM_EXTABLE(1b, 2b)
		  : : [pa] "m" (pa) : "cc", "memory" : fail);
	return 0;
fail:
	return -EIO;
}

static inline int vmx_vmxon(u64 pa)
{
	asm goto("stc\n\t"
		  "1: vmxon %[pa]\n\t"
		  "2: jna %l[fail]\n\t"
		  _ASM_EXTABLE(1b, 2b)
		  : : [pa] "m" (pa) : "cc", "memory" : fail);
	return 0;
fail:
	return -EIO;
}

/* INVEPT/INVVPID descriptors (SDM 31.3, "INVEPT", "INVVPID"). */
static inline int vmx_invept(unsigned long type, u64 eptp)
{
	struct { u64 eptp, zero; } desc = { eptp, 0 };

	asm goto("stc\n\t"
		  "1: invept %[desc], %[type]\n\t"
		  "2: jna %l[fail]\n\t"
		  _ASM_EXTABLE(1b, 2b)
		  : : [desc] "m" (desc), [type] "r" (type)
		  : "cc", "memory" : fail);
	return 0;
fail:
	return -EIO;
}

static inline int vmx_invvpid(unsigned long type, u16 vpid)
{
	struct { u64 vpid, gva; } desc = { vpid, 0 };

	asm goto("stc\n\t"
		  "1: invvpid %[desc], %[type]\n\t"
		  "2: jna %l[fail]\n\t"
		  _ASM_EXTABLE(1b, 2b)
		  : : [desc] "m" (desc), [type] "r" (type)
		  : "cc", "memory" : fail);
	return 0;
fail:
	return -EIO;
}

/* vmenter.S */
int __vmx_vcpu_run(unsigned long *regs, bool launched);
void __vmx_do_nmi(void (*handler)(void));
/* HOST_RIP: where VM exits land in __vmx_vcpu_run. */
void __vmx_vmexit(void);
/* vmx.c, called by __vmx_vcpu_run after the exit. */
void vmx_spec_ctrl_restore_host(void);

#endif /* KESTREL_VMX_VMCS_H */
