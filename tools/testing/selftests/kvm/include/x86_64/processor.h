/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86 guests for selftests: real mode, 32-bit protected mode (with or
 * without 2-level paging) and 64-bit long mode, all from the same layout.
 *
 * vm_create_guest(mode) creates a VM with memslot 0 at guest physical 0
 * covering the low structures below and the test program's own loaded
 * image, copied to the same guest physical addresses (the binaries are
 * static and not position independent, linked at 0x400000).  Every
 * protected-mode guest uses flat segments and, where paging is on, an
 * identity map, so a function of the test program runs in the guest at
 * its link address: in long mode that is C code (see "Guest code" below),
 * in 32-bit mode assembly written with .code32 in the test (its entry is
 * ASM_SYMBOL_ADDR(label); 32-bit guests have no IDT, an exception shuts
 * them down).  Real-mode code is copied below 1 MiB with vm_load_code().
 * vm_vcpu_add_guest(vm, id, entry) adds a vCPU that starts at @entry in
 * that mode, with its own stack.
 *
 * Guest physical layout (memslot 0):
 *
 *	0x000500  GUEST_ASM_UCALL_GPA	struct ucall of assembly guests
 *	0x001000  GUEST_GDT_GPA		GDT, selectors GDT_SEL_*
 *	0x002000  GUEST_IDT_GPA		64-bit IDT: vectors 0-31 report
 *					UCALL_UNHANDLED to the host
 *	0x003000  GUEST_TSS_GPA		TSS
 *	0x004000  GUEST_PML4_GPA	long mode: PML4, PDPT, 4 PDs: 0-4 GiB
 *					identity mapped with 2 MiB pages
 *	0x00a000  GUEST_PD32_GPA	32-bit paging: page directory and 4
 *					page tables: 0-16 MiB identity, 4 KiB
 *	0x00f000  real-mode stack (grows down from GUEST_RM_STACK_TOP)
 *	0x010000  GUEST_CODE_GPA	code loaded by vm_load_code() (64 KiB)
 *	0x020000  GUEST_DATA_GPA	free for tests, up to GUEST_DATA_END
 *	0x100000  GUEST_STACKS_GPA	one GUEST_STACK_SIZE stack per vCPU id
 *	0x400000  the test program's image, then to the end of memslot 0
 *
 * Guest physical addresses outside memslot 0 (and other memslots a test
 * adds) are MMIO: accesses exit to userspace as KVM_EXIT_MMIO.
 *
 * Guest code (long mode): a plain C function of the test, e.g.
 *	static void guest_code(u64 arg) { ...; GUEST_DONE(); }
 * with up to six integer arguments from vcpu_args_set().  It must not call
 * libc (no printf, memcpy of unknown size, errno or anything using TLS):
 * the guest has the program's code and data, not its process.  Globals are
 * the guest's own copy, taken when vm_create_guest() ran; move values with
 * sync_global_to_guest() / sync_global_from_guest().  SSE is enabled.
 * Returning from the function reports a UCALL_ABORT ("guest code
 * returned").  An exception in the guest reports UCALL_UNHANDLED with the
 * vector, error code and RIP (see ucall.h).
 */
#ifndef SELFTEST_KVM_PROCESSOR_H
#define SELFTEST_KVM_PROCESSOR_H

#include "kvm_util.h"
#include "ucall.h"

#define __KVM_STR(x)	#x
#define KVM_STR(x)	__KVM_STR(x)

/* Control registers and EFER (Intel SDM vol. 3 2.5, AMD APM vol. 2 3.1). */
#define X86_CR0_PE	BIT(0)
#define X86_CR0_MP	BIT(1)
#define X86_CR0_EM	BIT(2)
#define X86_CR0_ET	BIT(4)
#define X86_CR0_NE	BIT(5)
#define X86_CR0_WP	BIT(16)
#define X86_CR0_NW	BIT(29)
#define X86_CR0_CD	BIT(30)
#define X86_CR0_PG	BIT(31)
#define X86_CR4_PSE	BIT(4)
#define X86_CR4_PAE	BIT(5)
#define X86_CR4_OSFXSR	BIT(9)
#define X86_CR4_OSXMMEXCPT BIT(10)
#define EFER_SCE	BIT(0)
#define EFER_LME	BIT(8)
#define EFER_LMA	BIT(10)
#define EFER_NXE	BIT(11)
#define X86_EFLAGS_FIXED BIT(1)
#define X86_EFLAGS_IF	BIT(9)
#define X86_EFLAGS_DF	BIT(10)

/* Page table entry bits. */
#define PTE_PRESENT	BIT_ULL(0)
#define PTE_WRITE	BIT_ULL(1)
#define PTE_USER	BIT_ULL(2)
#define PTE_LARGE	BIT_ULL(7)	/* PS: 2 MiB (long mode) page */

/* Guest physical layout; see the top of this file. */
#define GUEST_ASM_UCALL_GPA	0x500
#define GUEST_GDT_GPA		0x1000
#define GUEST_IDT_GPA		0x2000
#define GUEST_TSS_GPA		0x3000
#define GUEST_PML4_GPA		0x4000
#define GUEST_PDPT_GPA		0x5000
#define GUEST_PD_GPA		0x6000	/* 4 pages */
#define GUEST_PD32_GPA		0xa000
#define GUEST_PT32_GPA		0xb000	/* 4 pages */
#define GUEST_RM_STACK_TOP	0xfff0
#define GUEST_CODE_GPA		0x10000
#define GUEST_CODE_SIZE		0x10000
#define GUEST_DATA_GPA		0x20000
#define GUEST_DATA_END		0x100000
#define GUEST_STACKS_GPA	0x100000
#define GUEST_STACK_SIZE	0x10000
#define GUEST_MAX_VCPUS		48
#define GUEST_IMAGE_MIN_GPA	0x400000

/* Long mode maps 0-4 GiB, 32-bit paging 0-16 MiB; both identity. */
#define GUEST_MAP64_END		(4ULL << 30)
#define GUEST_MAP32_END		(16ULL << 20)

/* GDT selectors (every vm_create_guest() VM has the same GDT). */
#define GDT_SEL_CODE64	0x08	/* 64-bit code, DPL 0 */
#define GDT_SEL_DATA	0x10	/* flat 4 GiB read/write data */
#define GDT_SEL_CODE32	0x18	/* flat 4 GiB 32-bit code */
#define GDT_SEL_TSS	0x20	/* 16-byte TSS descriptor in long mode */
#define GDT_SEL_CODE16	0x30	/* 16-bit code, base 0, limit 64 KiB */
#define GDT_SEL_DATA16	0x38	/* 16-bit data, base 0, limit 64 KiB */
#define GDT_ENTRIES	8

/*
 * A VM set up for @mode (GUEST_MODE_REAL and up) with memslot 0 as above.
 * vm->mode records the mode.
 */
struct kvm_vm *vm_create_guest(enum guest_mode mode);

/*
 * Add vCPU @id (< GUEST_MAX_VCPUS) in the VM's mode, starting at @entry
 * with RFLAGS 0x2 (interrupts off), general registers zero and RSP at the
 * top of its stack (long mode: a return address below it that reports
 * "guest code returned").  Real mode: @entry is a linear address below
 * 1 MiB; CS = @entry >> 4, IP = @entry & 0xf, other segments 0, SP at
 * GUEST_RM_STACK_TOP.
 */
struct kvm_vcpu *vm_vcpu_add_guest(struct kvm_vm *vm, u32 id, u64 entry);

/* vm_create_guest() plus vCPU 0 at @entry. */
struct kvm_vm *vm_create_guest_with_vcpu(enum guest_mode mode, u64 entry,
					 struct kvm_vcpu **vcpu);

/* Guest C function pointer to the entry argument of the calls above. */
#define GUEST_ENTRY(fn)	((u64)(uintptr_t)(fn))

/* Set up to six integer arguments (RDI, RSI, RDX, RCX, R8, R9). */
void vcpu_args_set(struct kvm_vcpu *vcpu, int nargs, ...);

/*
 * Copy @len bytes of code (raw bytes or a blob assembled in the test
 * between two labels) to @gpa of the guest.
 */
void vm_load_code(struct kvm_vm *vm, u64 gpa, const void *code, size_t len);

/*
 * Point the guest page containing virtual address @va at guest physical
 * @pa: a 4 KiB page with 32-bit paging (va < GUEST_MAP32_END), a 2 MiB
 * page in long mode (va < GUEST_MAP64_END); both aligned to that size.
 * Takes effect at the next KVM_RUN of vCPUs that did not cache the old
 * translation (call it before running, or have the guest flush its TLB).
 */
void virt_remap(struct kvm_vm *vm, u64 va, u64 pa);

/* The guest's copy of a global of the test program, from/to the host's. */
#define sync_global_to_guest(vm, g)					\
	({								\
		typeof(g) *__g = &(g);					\
									\
		vm_write_mem(vm, (uintptr_t)__g, __g, sizeof(*__g));	\
	})
#define sync_global_from_guest(vm, g)					\
	({								\
		typeof(g) *__g = &(g);					\
									\
		vm_read_mem(vm, (uintptr_t)__g, __g, sizeof(*__g));	\
	})

/*
 * The address of a symbol defined in top-level assembly of the test
 * (a guest entry point, or the start and end of a code blob to load).
 */
#define ASM_SYMBOL_ADDR(sym)						\
	({								\
		u64 __addr;						\
									\
		__asm__("leaq " #sym "(%%rip), %0" : "=r"(__addr));	\
		__addr;							\
	})

/* A 64-bit interrupt gate for @vector to @handler in the guest's IDT. */
void vm_set_idt_gate(struct kvm_vm *vm, int vector, u64 handler);
/* KVM_CAP_SPLIT_IRQCHIP; KVM_GET_SUPPORTED_CPUID as the vCPU's CPUID. */
int vm_enable_split_irqchip(struct kvm_vm *vm, u64 routes);
int vcpu_set_supported_cpuid(struct kvm_vcpu *vcpu);

/* Segment registers as vm_vcpu_add_guest() loads them. */
void kvm_seg_code64(struct kvm_segment *seg);
void kvm_seg_code32(struct kvm_segment *seg);
void kvm_seg_data(struct kvm_segment *seg, u16 selector);
void kvm_seg_real(struct kvm_segment *seg, u16 selector, bool code);

/*
 * Assembly guests (.code16 or .code32, flat or real-mode DS = 0, memory
 * at GUEST_ASM_UCALL_GPA identity mapped): a ucall of @cmd (a UCALL_*
 * number) with args[0] = the 32-bit register @reg (e.g. "%eax"), as a
 * string to paste into asm().  Clobbers EDX and EDI.  The host sees args[0]
 * zero-extended.
 */
#define GUEST_ASM_UCALL(cmd, reg)					\
	"movl $" KVM_STR(cmd) ", " KVM_STR(GUEST_ASM_UCALL_GPA) "\n\t"	\
	"movl $0, " KVM_STR(GUEST_ASM_UCALL_GPA) " + 4\n\t"		\
	"movl " reg ", " KVM_STR(GUEST_ASM_UCALL_GPA) " + 8\n\t"	\
	"movl $0, " KVM_STR(GUEST_ASM_UCALL_GPA) " + 12\n\t"		\
	"movl $" KVM_STR(GUEST_ASM_UCALL_GPA) ", %edi\n\t"		\
	"movw $" KVM_STR(UCALL_PORT) ", %dx\n\t"			\
	"outl %eax, %dx\n\t"

/* Guest side of the library, called from its assembly stubs. */
void guest_exception_report(u64 vector, u64 error, u64 rip);
void guest_code_returned(void);

/* Guest-side helpers (any mode that can run them). */
/* RDMSR, WRMSR and RDTSC in the guest (#GP faults report as usual). */
static inline u64 rdmsr(u32 index)
{
	u32 lo, hi;

	__asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(index)
			     : "memory");
	return ((u64)hi << 32) | lo;
}

static inline void wrmsr(u32 index, u64 value)
{
	__asm__ __volatile__("wrmsr" : : "c"(index), "a"((u32)value),
			     "d"((u32)(value >> 32)) : "memory");
}

static inline u64 rdtsc(void)
{
	u32 lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

static inline void guest_halt(void)
{
	__asm__ __volatile__("hlt" ::: "memory");
}

static inline void guest_pause(void)
{
	__asm__ __volatile__("pause" ::: "memory");
}

static inline void guest_outb(u16 port, u8 val)
{
	__asm__ __volatile__("outb %0, %1" : : "a"(val), "d"(port));
}

static inline void guest_outw(u16 port, u16 val)
{
	__asm__ __volatile__("outw %0, %1" : : "a"(val), "d"(port));
}

static inline void guest_outl(u16 port, u32 val)
{
	__asm__ __volatile__("outl %0, %1" : : "a"(val), "d"(port));
}

static inline u8 guest_inb(u16 port)
{
	u8 val;

	__asm__ __volatile__("inb %1, %0" : "=a"(val) : "d"(port));
	return val;
}

static inline u16 guest_inw(u16 port)
{
	u16 val;

	__asm__ __volatile__("inw %1, %0" : "=a"(val) : "d"(port));
	return val;
}

static inline u32 guest_inl(u16 port)
{
	u32 val;

	__asm__ __volatile__("inl %1, %0" : "=a"(val) : "d"(port));
	return val;
}

#endif /* SELFTEST_KVM_PROCESSOR_H */
