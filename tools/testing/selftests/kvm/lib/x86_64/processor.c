// SPDX-License-Identifier: GPL-2.0
/*
 * x86 guests: descriptor tables, page tables, the program image in guest
 * memory and vCPUs in real, 32-bit protected or 64-bit long mode; see
 * processor.h.
 */
#include <link.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall.h"

#define IDT_VECTORS	32
#define SZ_2M		(2ULL << 20)

void guest_exception_report(u64 vector, u64 error, u64 rip)
{
	for (;;)
		ucall(UCALL_UNHANDLED, vector, error, rip, 0);
}

void guest_code_returned(void)
{
	for (;;)
		ucall_assert(__FILE__, __LINE__, "guest code returned", 0, 0);
}

/*
 * Guest exception entry: one 16-byte stub per vector, which pushes a zero
 * error code where the CPU pushes none, then the vector, and reports both
 * and the faulting RIP.  guest_return_stub is the return address below
 * the guest function's first frame.
 */
__asm__(".pushsection .text\n"
	".macro GUEST_EXC_STUB vec\n"
	"	.align 16\n"
	/* The CPU pushes an error code for 8, 10-14, 17, 21, 29, 30. */
	"	.if !((0x60227d00 >> \\vec) & 1)\n"
	"	pushq $0\n"
	"	.endif\n"
	"	pushq $\\vec\n"
	"	jmp guest_exc_common\n"
	".endm\n"
	"	.align 16\n"
	"	.globl guest_exc_stubs\n"
	"guest_exc_stubs:\n"
	"	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
	"	GUEST_EXC_STUB \\v\n"
	"	.endr\n"
	"guest_exc_common:\n"
	"	movq (%rsp), %rdi\n"
	"	movq 8(%rsp), %rsi\n"
	"	movq 16(%rsp), %rdx\n"
	"	andq $-16, %rsp\n"
	"	call guest_exception_report\n"
	"1:	hlt\n"
	"	jmp 1b\n"
	"	.globl guest_return_stub\n"
	"guest_return_stub:\n"
	"	andq $-16, %rsp\n"
	"	call guest_code_returned\n"
	"2:	hlt\n"
	"	jmp 2b\n"
	".popsection\n");

void kvm_seg_code64(struct kvm_segment *seg)
{
	*seg = (struct kvm_segment) {
		.base = 0, .limit = 0xffffffff, .selector = GDT_SEL_CODE64,
		.type = 0xb, .present = 1, .dpl = 0, .db = 0, .s = 1, .l = 1,
		.g = 1,
	};
}

void kvm_seg_code32(struct kvm_segment *seg)
{
	*seg = (struct kvm_segment) {
		.base = 0, .limit = 0xffffffff, .selector = GDT_SEL_CODE32,
		.type = 0xb, .present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0,
		.g = 1,
	};
}

void kvm_seg_data(struct kvm_segment *seg, u16 selector)
{
	*seg = (struct kvm_segment) {
		.base = 0, .limit = 0xffffffff, .selector = selector,
		.type = 0x3, .present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0,
		.g = 1,
	};
}

void kvm_seg_real(struct kvm_segment *seg, u16 selector, bool code)
{
	*seg = (struct kvm_segment) {
		.base = (u64)selector << 4, .limit = 0xffff,
		.selector = selector, .type = code ? 0xb : 0x3, .present = 1,
		.dpl = 0, .db = 0, .s = 1, .l = 0, .g = 0,
	};
}

static void kvm_seg_tss(struct kvm_segment *seg)
{
	*seg = (struct kvm_segment) {
		.base = GUEST_TSS_GPA, .limit = 0x67, .selector = GDT_SEL_TSS,
		.type = 0xb, .present = 1, .dpl = 0, .db = 0, .s = 0, .l = 0,
		.g = 0,
	};
}

static void kvm_seg_16(struct kvm_segment *seg, u16 selector, bool code)
{
	kvm_seg_real(seg, 0, code);
	seg->selector = selector;
}

/* The 8-byte descriptor for @seg (AMD APM vol. 2 4.7, 4.8). */
static u64 seg_to_desc(const struct kvm_segment *seg)
{
	u32 limit = seg->g ? seg->limit >> 12 : seg->limit;
	u64 d;

	d = limit & 0xffff;
	d |= (seg->base & 0xffffffULL) << 16;
	d |= (u64)(seg->type & 0xf) << 40;
	d |= (u64)seg->s << 44;
	d |= (u64)(seg->dpl & 3) << 45;
	d |= (u64)seg->present << 47;
	d |= (u64)((limit >> 16) & 0xf) << 48;
	d |= (u64)seg->l << 53;
	d |= (u64)seg->db << 54;
	d |= (u64)seg->g << 55;
	d |= ((seg->base >> 24) & 0xffULL) << 56;
	return d;
}

static void write_gdt(struct kvm_vm *vm)
{
	u64 *gdt = addr_gpa2hva(vm, GUEST_GDT_GPA);
	struct kvm_segment seg;

	memset(gdt, 0, GDT_ENTRIES * 8);
	kvm_seg_code64(&seg);
	gdt[GDT_SEL_CODE64 / 8] = seg_to_desc(&seg);
	kvm_seg_data(&seg, GDT_SEL_DATA);
	gdt[GDT_SEL_DATA / 8] = seg_to_desc(&seg);
	kvm_seg_code32(&seg);
	gdt[GDT_SEL_CODE32 / 8] = seg_to_desc(&seg);
	/* In long mode the TSS descriptor takes two entries; base < 4 GiB. */
	kvm_seg_tss(&seg);
	gdt[GDT_SEL_TSS / 8] = seg_to_desc(&seg);
	gdt[GDT_SEL_TSS / 8 + 1] = 0;
	kvm_seg_16(&seg, GDT_SEL_CODE16, true);
	gdt[GDT_SEL_CODE16 / 8] = seg_to_desc(&seg);
	kvm_seg_16(&seg, GDT_SEL_DATA16, false);
	gdt[GDT_SEL_DATA16 / 8] = seg_to_desc(&seg);
}

/* A 64-bit interrupt gate (SDM vol. 3A, 6.14.1): type 0xe, DPL 0. */
void vm_set_idt_gate(struct kvm_vm *vm, int vector, u64 handler)
{
	u64 *idt = addr_gpa2hva(vm, GUEST_IDT_GPA);

	idt[2 * vector] = (handler & 0xffff) | ((u64)GDT_SEL_CODE64 << 16) |
			  (0x8eULL << 40) | ((handler >> 16 & 0xffff) << 48);
	idt[2 * vector + 1] = handler >> 32;
}

/* Every vector to its exception stub. */
static void write_idt64(struct kvm_vm *vm)
{
	int v;

	for (v = 0; v < IDT_VECTORS; v++)
		vm_set_idt_gate(vm, v, ASM_SYMBOL_ADDR(guest_exc_stubs) + 16 * v);
}

/* KVM_CAP_SPLIT_IRQCHIP with @routes IOAPIC routes: 0 or -1 with errno. */
int vm_enable_split_irqchip(struct kvm_vm *vm, u64 routes)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_SPLIT_IRQCHIP,
		.args = { routes },
	};

	return ioctl(vm->fd, KVM_ENABLE_CAP, &cap);
}

/*
 * KVM_GET_SUPPORTED_CPUID as the vCPU's CPUID, as VMMs do (stock KVM, for
 * one, lets the guest select the LAPIC's periodic mode only after
 * KVM_SET_CPUID2): 0, or -1 with errno.
 */
int vcpu_set_supported_cpuid(struct kvm_vcpu *vcpu)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) +
				      256 * sizeof(struct kvm_cpuid_entry2));
	int r = -1;

	if (!c)
		return -1;
	c->nent = 256;
	if (!ioctl(vcpu->vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c))
		r = ioctl(vcpu->fd, KVM_SET_CPUID2, c);
	free(c);
	return r;
}

static void write_page_tables(struct kvm_vm *vm)
{
	u64 *pml4 = addr_gpa2hva(vm, GUEST_PML4_GPA);
	u64 *pdpt = addr_gpa2hva(vm, GUEST_PDPT_GPA);
	u64 *pd = addr_gpa2hva(vm, GUEST_PD_GPA);
	u32 *pd32 = addr_gpa2hva(vm, GUEST_PD32_GPA);
	u32 *pt32 = addr_gpa2hva(vm, GUEST_PT32_GPA);
	u64 i;

	/* Long mode: 4 PDs of 512 2 MiB pages, 0-4 GiB. */
	pml4[0] = GUEST_PDPT_GPA | PTE_PRESENT | PTE_WRITE;
	for (i = 0; i < GUEST_MAP64_END >> 30; i++)
		pdpt[i] = (GUEST_PD_GPA + i * 4096) | PTE_PRESENT | PTE_WRITE;
	for (i = 0; i < GUEST_MAP64_END / SZ_2M; i++)
		pd[i] = (i * SZ_2M) | PTE_PRESENT | PTE_WRITE | PTE_LARGE;

	/* 32-bit paging: 4 page tables of 1024 4 KiB pages, 0-16 MiB. */
	for (i = 0; i < GUEST_MAP32_END >> 22; i++)
		pd32[i] = (GUEST_PT32_GPA + i * 4096) | PTE_PRESENT | PTE_WRITE;
	for (i = 0; i < GUEST_MAP32_END >> 12; i++)
		pt32[i] = (i << 12) | PTE_PRESENT | PTE_WRITE;
}

struct image_range {
	u64 start, end;
	struct kvm_vm *vm;	/* NULL: only measure */
};

/* The main program's PT_LOAD segments (it is reported first). */
static int image_phdr(struct dl_phdr_info *info, size_t size, void *data)
{
	struct image_range *r = data;
	int i;

	r->start = ~0ULL;
	r->end = 0;
	for (i = 0; i < info->dlpi_phnum; i++) {
		const typeof(*info->dlpi_phdr) *ph = &info->dlpi_phdr[i];
		u64 va = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type != PT_LOAD)
			continue;
		if (va < r->start)
			r->start = va;
		if (va + ph->p_memsz > r->end)
			r->end = va + ph->p_memsz;
		if (r->vm)
			vm_write_mem(r->vm, va, (const void *)(uintptr_t)va,
				     ph->p_memsz);
	}
	return 1;
}

struct kvm_vm *vm_create_guest(enum guest_mode mode)
{
	struct image_range image = { .vm = NULL };
	struct kvm_vm *vm;
	u64 size;

	TEST_ASSERT(mode >= GUEST_MODE_REAL && mode <= GUEST_MODE_LONG64,
		    "bad guest mode %d", mode);
	dl_iterate_phdr(image_phdr, &image);
	errno = 0;
	TEST_ASSERT(image.start >= GUEST_IMAGE_MIN_GPA &&
		    image.end < GUEST_MAP32_END,
		    "program image %#llx-%#llx: must be a static non-PIE binary linked at %#x",
		    image.start,
		    image.end, GUEST_IMAGE_MIN_GPA);
	size = (image.end + SZ_2M - 1) & ~(SZ_2M - 1);

	vm = vm_create();
	vm->mode = mode;
	vm_add_memslot(vm, 0, 0, size, 0);
	image.vm = vm;
	dl_iterate_phdr(image_phdr, &image);
	write_gdt(vm);
	write_idt64(vm);
	write_page_tables(vm);
	return vm;
}

struct kvm_vcpu *vm_vcpu_add_guest(struct kvm_vm *vm, u32 id, u64 entry)
{
	struct kvm_vcpu *vcpu;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	u64 stack_top = GUEST_STACKS_GPA + (id + 1ULL) * GUEST_STACK_SIZE;
	u64 ret;

	TEST_ASSERT(id < GUEST_MAX_VCPUS, "vCPU id %u too large", id);
	TEST_ASSERT(vm->mode != GUEST_MODE_NONE, "VM not from vm_create_guest()");
	vcpu = vm_vcpu_add(vm, id);
	vcpu_sregs_get(vcpu, &sregs);
	memset(&regs, 0, sizeof(regs));
	regs.rflags = X86_EFLAGS_FIXED;

	switch (vm->mode) {
	case GUEST_MODE_REAL:
		TEST_ASSERT(entry < (1 << 20), "real-mode entry %#llx",
			    entry);
		kvm_seg_real(&sregs.cs, entry >> 4, true);
		kvm_seg_real(&sregs.ds, 0, false);
		kvm_seg_real(&sregs.es, 0, false);
		kvm_seg_real(&sregs.fs, 0, false);
		kvm_seg_real(&sregs.gs, 0, false);
		kvm_seg_real(&sregs.ss, 0, false);
		regs.rip = entry & 0xf;
		regs.rsp = GUEST_RM_STACK_TOP;
		break;
	case GUEST_MODE_PROT32:
	case GUEST_MODE_PROT32_PAGING:
		sregs.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;
		sregs.cr3 = 0;
		if (vm->mode == GUEST_MODE_PROT32_PAGING) {
			sregs.cr0 |= X86_CR0_PG | X86_CR0_WP;
			sregs.cr3 = GUEST_PD32_GPA;
		}
		sregs.cr4 = 0;
		sregs.efer = 0;
		kvm_seg_code32(&sregs.cs);
		kvm_seg_data(&sregs.ds, GDT_SEL_DATA);
		kvm_seg_data(&sregs.es, GDT_SEL_DATA);
		kvm_seg_data(&sregs.fs, GDT_SEL_DATA);
		kvm_seg_data(&sregs.gs, GDT_SEL_DATA);
		kvm_seg_data(&sregs.ss, GDT_SEL_DATA);
		kvm_seg_tss(&sregs.tr);
		sregs.gdt.base = GUEST_GDT_GPA;
		sregs.gdt.limit = GDT_ENTRIES * 8 - 1;
		/* No 32-bit IDT: an exception shuts the guest down. */
		sregs.idt.base = 0;
		sregs.idt.limit = 0;
		regs.rip = entry;
		regs.rsp = stack_top;
		break;
	case GUEST_MODE_LONG64:
		sregs.cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE |
			    X86_CR0_WP | X86_CR0_PG;
		sregs.cr3 = GUEST_PML4_GPA;
		sregs.cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
		sregs.efer = EFER_LME | EFER_LMA;
		kvm_seg_code64(&sregs.cs);
		kvm_seg_data(&sregs.ds, GDT_SEL_DATA);
		kvm_seg_data(&sregs.es, GDT_SEL_DATA);
		kvm_seg_data(&sregs.fs, GDT_SEL_DATA);
		kvm_seg_data(&sregs.gs, GDT_SEL_DATA);
		kvm_seg_data(&sregs.ss, GDT_SEL_DATA);
		kvm_seg_tss(&sregs.tr);
		sregs.gdt.base = GUEST_GDT_GPA;
		sregs.gdt.limit = GDT_ENTRIES * 8 - 1;
		sregs.idt.base = GUEST_IDT_GPA;
		sregs.idt.limit = IDT_VECTORS * 16 - 1;
		/* The SysV ABI's entry state: RSP + 8 16-byte aligned. */
		regs.rip = entry;
		regs.rsp = stack_top - 8;
		ret = ASM_SYMBOL_ADDR(guest_return_stub);
		vm_write_mem(vm, regs.rsp, &ret, sizeof(ret));
		break;
	default:
		TEST_ASSERT(false, "bad guest mode %d", vm->mode);
	}
	vcpu_sregs_set(vcpu, &sregs);
	vcpu_regs_set(vcpu, &regs);
	return vcpu;
}

struct kvm_vm *vm_create_guest_with_vcpu(enum guest_mode mode, u64 entry,
					 struct kvm_vcpu **vcpu)
{
	struct kvm_vm *vm = vm_create_guest(mode);

	*vcpu = vm_vcpu_add_guest(vm, 0, entry);
	return vm;
}

void vcpu_args_set(struct kvm_vcpu *vcpu, int nargs, ...)
{
	struct kvm_regs regs;
	va_list ap;
	int i;

	TEST_ASSERT(nargs >= 0 && nargs <= 6, "%d arguments", nargs);
	vcpu_regs_get(vcpu, &regs);
	va_start(ap, nargs);
	for (i = 0; i < nargs; i++) {
		u64 v = va_arg(ap, u64);

		switch (i) {
		case 0:
			regs.rdi = v;
			break;
		case 1:
			regs.rsi = v;
			break;
		case 2:
			regs.rdx = v;
			break;
		case 3:
			regs.rcx = v;
			break;
		case 4:
			regs.r8 = v;
			break;
		default:
			regs.r9 = v;
			break;
		}
	}
	va_end(ap);
	vcpu_regs_set(vcpu, &regs);
}

void vm_load_code(struct kvm_vm *vm, u64 gpa, const void *code, size_t len)
{
	vm_write_mem(vm, gpa, code, len);
}

void virt_remap(struct kvm_vm *vm, u64 va, u64 pa)
{
	if (vm->mode == GUEST_MODE_LONG64) {
		u64 *pd = addr_gpa2hva(vm, GUEST_PD_GPA);

		TEST_ASSERT(va < GUEST_MAP64_END && !(va % SZ_2M) &&
			    !(pa % SZ_2M), "va %#llx pa %#llx",
			    va, pa);
		pd[va / SZ_2M] = pa | PTE_PRESENT | PTE_WRITE | PTE_LARGE;
	} else if (vm->mode == GUEST_MODE_PROT32_PAGING) {
		u32 *pt32 = addr_gpa2hva(vm, GUEST_PT32_GPA);

		TEST_ASSERT(va < GUEST_MAP32_END && !(va & 0xfff) &&
			    !(pa & 0xfff) && pa < (1ULL << 32),
			    "va %#llx pa %#llx", va,
			    pa);
		pt32[va >> 12] = pa | PTE_PRESENT | PTE_WRITE;
	} else {
		TEST_ASSERT(false, "guest mode %d has no paging", vm->mode);
	}
}
