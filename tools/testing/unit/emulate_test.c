// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the x86 instruction decoder and MMIO emulator
 * (arch/x86/kvm/emulate.c), built from the module's own source.
 *
 * The length table was produced with binutils 2.40 (objdump -D -b binary
 * -m i8086 / i386 / i386:x86-64) and is kept here as data; its comments are
 * objdump's disassembly.  Emulation tests run instructions against a fake
 * guest memory that logs every access.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "emulate.h"

#define RM	X86_MODE_REAL
#define V86	X86_MODE_VM86
#define P16	X86_MODE_PROT16
#define P32	X86_MODE_PROT32
#define L64	X86_MODE_LONG64

/* ---------------------------------------------------------------------
 * Length decoding
 */

struct len_case {
	enum x86_cpu_mode mode;
	unsigned int len;	/* 0: -EINVAL expected */
	const char *bytes;
	unsigned int n;		/* bytes in the string */
};

static const struct len_case len_cases[] = {
	{ P16, 2, "\x0f\xa2", 2 }, /* cpuid */
	{ P16, 1, "\xf4", 1 }, /* hlt */
	{ P16, 2, "\x0f\x32", 2 }, /* rdmsr */
	{ P16, 2, "\x0f\x30", 2 }, /* wrmsr */
	{ P16, 2, "\x0f\x31", 2 }, /* rdtsc */
	{ P16, 3, "\x0f\x01\xf9", 3 }, /* rdtscp */
	{ P16, 3, "\x0f\x01\xd1", 3 }, /* xsetbv */
	{ P16, 3, "\x0f\x01\xd9", 3 }, /* vmmcall */
	{ P16, 3, "\x0f\x01\xc8", 3 }, /* monitor %ax,%ecx,%edx */
	{ P16, 3, "\x0f\x01\xc9", 3 }, /* mwait %eax,%ecx */
	{ P16, 3, "\x0f\x01\xfa", 3 }, /* monitorx %ax,%ecx,%edx */
	{ P16, 3, "\x0f\x01\xfb", 3 }, /* mwaitx %eax,%ecx,%ebx */
	{ P16, 2, "\x0f\x08", 2 }, /* invd */
	{ P16, 2, "\x0f\x09", 2 }, /* wbinvd */
	{ P16, 2, "\xf3\x90", 2 }, /* pause */
	{ P16, 1, "\x90", 1 }, /* nop */
	{ P16, 1, "\xcc", 1 }, /* int3 */
	{ P16, 2, "\xcd\x80", 2 }, /* int $0x80 */
	{ P16, 2, "\xcd\x03", 2 }, /* int $0x3 */
	{ P16, 1, "\xf1", 1 }, /* int1 */
	{ P16, 2, "\xe4\x60", 2 }, /* in $0x60,%al */
	{ P16, 2, "\xe5\x71", 2 }, /* in $0x71,%ax */
	{ P16, 2, "\xe6\x80", 2 }, /* out %al,$0x80 */
	{ P16, 2, "\xe7\x70", 2 }, /* out %ax,$0x70 */
	{ P16, 1, "\xec", 1 }, /* in (%dx),%al */
	{ P16, 1, "\xed", 1 }, /* in (%dx),%ax */
	{ P16, 1, "\xee", 1 }, /* out %al,(%dx) */
	{ P16, 1, "\xef", 1 }, /* out %ax,(%dx) */
	{ P16, 2, "\x66\xed", 2 }, /* in (%dx),%eax */
	{ P16, 2, "\x66\xef", 2 }, /* out %eax,(%dx) */
	{ P16, 1, "\x6c", 1 }, /* insb (%dx),%es:(%di) */
	{ P16, 1, "\x6d", 1 }, /* insw (%dx),%es:(%di) */
	{ P16, 1, "\x6e", 1 }, /* outsb %ds:(%si),(%dx) */
	{ P16, 1, "\x6f", 1 }, /* outsw %ds:(%si),(%dx) */
	{ P16, 2, "\xf3\x6c", 2 }, /* rep insb (%dx),%es:(%di) */
	{ P16, 2, "\xf3\x6d", 2 }, /* rep insw (%dx),%es:(%di) */
	{ P16, 2, "\xf3\x6e", 2 }, /* rep outsb %ds:(%si),(%dx) */
	{ P16, 2, "\xf3\x6f", 2 }, /* rep outsw %ds:(%si),(%dx) */
	{ P16, 3, "\x66\xf3\x6d", 3 }, /* rep insl (%dx),%es:(%di) */
	{ P16, 3, "\xf3\x66\x6f", 3 }, /* rep outsl %ds:(%si),(%dx) */
	{ P16, 3, "\x0f\x20\xc0", 3 }, /* mov %cr0,%eax */
	{ P16, 3, "\x0f\x20\xd8", 3 }, /* mov %cr3,%eax */
	{ P16, 3, "\x0f\x20\xe0", 3 }, /* mov %cr4,%eax */
	{ P16, 3, "\x0f\x22\xc0", 3 }, /* mov %eax,%cr0 */
	{ P16, 3, "\x0f\x22\xd8", 3 }, /* mov %eax,%cr3 */
	{ P16, 3, "\x0f\x22\xe0", 3 }, /* mov %eax,%cr4 */
	{ P16, 3, "\x0f\x20\x00", 3 }, /* mov %cr0,%eax */
	{ P16, 3, "\x0f\x22\x18", 3 }, /* mov %eax,%cr3 */
	{ P16, 3, "\x0f\x20\x40", 3 }, /* mov %cr0,%eax */
	{ P16, 3, "\x0f\x22\x80", 3 }, /* mov %eax,%cr0 */
	{ P16, 3, "\x0f\x21\xf8", 3 }, /* mov %db7,%eax */
	{ P16, 3, "\x0f\x23\xf8", 3 }, /* mov %eax,%db7 */
	{ P16, 3, "\x0f\x21\x38", 3 }, /* mov %db7,%eax */
	{ P16, 3, "\x0f\x23\x47", 3 }, /* mov %edi,%db0 */
	{ P16, 3, "\x0f\x21\xc0", 3 }, /* mov %db0,%eax */
	{ P16, 3, "\x0f\x23\xc7", 3 }, /* mov %edi,%db0 */
	{ P16, 2, "\x0f\x06", 2 }, /* clts */
	{ P16, 3, "\x0f\x01\xd0", 3 }, /* xgetbv */
	{ P16, 3, "\x0f\x01\xd8", 3 }, /* vmrun */
	{ P16, 3, "\x0f\x01\xda", 3 }, /* vmload */
	{ P16, 3, "\x0f\x01\xdb", 3 }, /* vmsave */
	{ P16, 3, "\x0f\x01\xdc", 3 }, /* stgi */
	{ P16, 3, "\x0f\x01\xdd", 3 }, /* clgi */
	{ P16, 3, "\x0f\x01\xde", 3 }, /* skinit */
	{ P16, 3, "\x0f\x01\xdf", 3 }, /* invlpga */
	{ P16, 3, "\x0f\x01\xc1", 3 }, /* vmcall */
	{ P16, 3, "\x0f\x01\xc2", 3 }, /* vmlaunch */
	{ P16, 3, "\x0f\x01\xc3", 3 }, /* vmresume */
	{ P16, 3, "\x0f\x01\xc4", 3 }, /* vmxoff */
	{ P16, 2, "\x0f\x33", 2 }, /* rdpmc */
	{ P16, 2, "\x0f\x0b", 2 }, /* ud2 */
	{ P16, 1, "\xfa", 1 }, /* cli */
	{ P16, 1, "\xfb", 1 }, /* sti */
	{ P16, 3, "\x0f\x01\xca", 3 }, /* clac */
	{ P16, 3, "\x0f\x01\xcb", 3 }, /* stac */
	{ P16, 3, "\x0f\x01\xfc", 3 }, /* clzero */
	{ P16, 3, "\x0f\x01\xfd", 3 }, /* rdpru */
	{ P16, 3, "\x0f\x00\xd8", 3 }, /* ltr %ax */
	{ P16, 3, "\x0f\x01\xf0", 3 }, /* lmsw %ax */
	{ P16, 3, "\x0f\x01\xe0", 3 }, /* smsw %ax */
	{ P16, 3, "\x0f\x01\x38", 3 }, /* invlpg (%bx,%si) */
	{ P16, 3, "\x0f\xae\xf0", 3 }, /* mfence */
	{ P16, 3, "\x0f\xae\xe8", 3 }, /* lfence */
	{ P16, 3, "\x0f\xae\xf8", 3 }, /* sfence */
	{ P16, 5, "\x0f\x01\x16\x34\x12", 5 }, /* lgdtw 0x1234 */
	{ P16, 5, "\x0f\x01\x1e\x00\x10", 5 }, /* lidtw 0x1000 */
	{ P16, 3, "\x0f\x01\x17", 3 }, /* lgdtw (%bx) */
	{ P16, 4, "\x0f\x01\x50\x08", 4 }, /* lgdtw 0x8(%bx,%si) */
	{ P16, 5, "\x0f\x01\x98\x00\x01", 5 }, /* lidtw 0x100(%bx,%si) */
	{ P16, 4, "\x0f\x01\x5e\xfe", 4 }, /* lidtw -0x2(%bp) */
	{ P16, 4, "\x67\x0f\x01\x10", 4 }, /* lgdtw (%eax) */
	{ P16, 5, "\x67\x0f\x01\x14\x24", 5 }, /* lgdtw (%esp) */
	{ P16, 8, "\x67\x0f\x01\x15\x00\x10\x00\x00", 8 }, /* addr32 lgdtw 0x1000 */
	{ P16, 6, "\x67\x0f\x01\x54\x9d\x08", 6 }, /* lgdtw 0x8(%ebp,%ebx,4) */
	{ P16, 3, "\x0f\x01\x3f", 3 }, /* invlpg (%bx) */
	{ P16, 3, "\x8b\x46\x02", 3 }, /* mov 0x2(%bp),%ax */
	{ P16, 4, "\x89\x86\x00\x80", 4 }, /* mov %ax,-0x8000(%bp) */
	{ P16, 5, "\xc6\x06\x00\x10\x7f", 5 }, /* movb $0x7f,0x1000 */
	{ P16, 5, "\xc7\x47\x04\x34\x12", 5 }, /* movw $0x1234,0x4(%bx) */
	{ P16, 1, "\x06", 1 }, /* push %es */
	{ P16, 1, "\x07", 1 }, /* pop %es */
	{ P16, 1, "\x1e", 1 }, /* push %ds */
	{ P16, 1, "\x1f", 1 }, /* pop %ds */
	{ P16, 1, "\x0e", 1 }, /* push %cs */
	{ P16, 1, "\x16", 1 }, /* push %ss */
	{ P16, 1, "\x17", 1 }, /* pop %ss */
	{ P16, 1, "\x27", 1 }, /* daa */
	{ P16, 1, "\x2f", 1 }, /* das */
	{ P16, 1, "\x37", 1 }, /* aaa */
	{ P16, 1, "\x3f", 1 }, /* aas */
	{ P16, 1, "\x60", 1 }, /* pusha */
	{ P16, 1, "\x61", 1 }, /* popa */
	{ P16, 2, "\x62\x00", 2 }, /* bound %ax,(%bx,%si) */
	{ P16, 2, "\xc4\x00", 2 }, /* les (%bx,%si),%ax */
	{ P16, 2, "\xc5\x00", 2 }, /* lds (%bx,%si),%ax */
	{ P16, 2, "\xd4\x0a", 2 }, /* aam $0xa */
	{ P16, 2, "\xd5\x0a", 2 }, /* aad $0xa */
	{ P16, 1, "\xce", 1 }, /* into */
	{ P16, 1, "\x40", 1 }, /* inc %ax */
	{ P16, 1, "\x4f", 1 }, /* dec %di */
	{ P16, 3, "\x82\xc0\x01", 3 }, /* add $0x1,%al */
	{ P16, 2, "\x63\xc0", 2 }, /* arpl %ax,%ax */
	{ P16, 4, "\xc8\x00\x01\x02", 4 }, /* enter $0x100,$0x2 */
	{ P16, 2, "\xff\x18", 2 }, /* lcall *(%bx,%si) */
	{ P16, 2, "\xff\x28", 2 }, /* ljmp *(%bx,%si) */
	{ P16, 4, "\x03\x2e\x11\x2a", 4 }, /* add 0x2a11,%bp */
	{ P16, 4, "\x67\x0f\x7f\x21", 4 }, /* movq %mm4,(%ecx) */
	{ P16, 5, "\x0f\x48\x9c\xe8\x14", 5 }, /* cmovs 0x14e8(%si),%bx */
	{ P16, 1, "\xef", 1 }, /* out %ax,(%dx) */
	{ P16, 4, "\x82\x62\xb0\x37", 4 }, /* andb $0x37,-0x50(%bp,%si) */
	{ P16, 2, "\x2c\xa2", 2 }, /* sub $0xa2,%al */
	{ P16, 1, "\xd7", 1 }, /* xlat %ds:(%bx) */
	{ P16, 1, "\xa6", 1 }, /* cmpsb %es:(%di),%ds:(%si) */
	{ P16, 3, "\x0f\x4d\x2f", 3 }, /* cmovge (%bx),%bp */
	{ P16, 1, "\xfb", 1 }, /* sti */
	{ P16, 2, "\x26\x56", 2 }, /* es push %si */
	{ P16, 4, "\x0f\x96\x63\x8e", 4 }, /* setbe -0x72(%bp,%di) */
	{ P16, 5, "\x66\x0f\x16\x6a\x4f", 5 }, /* movhpd 0x4f(%bp,%si),%xmm5 */
	{ P16, 1, "\xf4", 1 }, /* hlt */
	{ P16, 6, "\x65\x0f\xb6\xbe\xd4\x59", 6 }, /* movzbw %gs:0x59d4(%bp),%di */
	{ P16, 1, "\xcb", 1 }, /* lret */
	{ P16, 3, "\x0f\xbe\x34", 3 }, /* movsbw (%si),%si */
	{ P16, 1, "\x60", 1 }, /* pusha */
	{ P16, 4, "\x64\xa2\x7f\x4f", 4 }, /* mov %al,%fs:0x4f7f */
	{ P16, 1, "\x53", 1 }, /* push %bx */
	{ P16, 1, "\xf8", 1 }, /* clc */
	{ P16, 1, "\x4f", 1 }, /* dec %di */
	{ P16, 4, "\x26\x05\xd4\xd8", 4 }, /* es add $0xd8d4,%ax */
	{ P16, 2, "\x0f\xca", 2 }, /* bswap %dx */
	{ P16, 4, "\x89\x0e\xb0\x1e", 4 }, /* mov %cx,0x1eb0 */
	{ P16, 5, "\xea\x59\x86\x52\xd5", 5 }, /* ljmp $0xd552,$0x8659 */
	{ P16, 1, "\xad", 1 }, /* lods %ds:(%si),%ax */
	{ P16, 1, "\x40", 1 }, /* inc %ax */
	{ P16, 1, "\xcc", 1 }, /* int3 */
	{ P16, 2, "\xdc\x09", 2 }, /* fmull (%bx,%di) */
	{ P16, 2, "\x26\x1f", 2 }, /* es pop %ds */
	{ P16, 4, "\xf0\x0f\xe9\x1d", 4 }, /* lock psubsw (%di),%mm3 */
	{ P16, 4, "\x0f\x82\x72\xa7", 4 }, /* jb 0xac76 */
	{ P16, 2, "\x7b\xf4", 2 }, /* jnp 0x536 */
	{ P16, 1, "\xaf", 1 }, /* scas %es:(%di),%ax */
	{ P16, 4, "\xd0\x0e\x71\x20", 4 }, /* rorb 0x2071 */
	{ P16, 2, "\x3e\x98", 2 }, /* ds cbtw */
	{ P16, 2, "\xd2\x0f", 2 }, /* rorb %cl,(%bx) */
	{ P16, 8, "\x67\xf2\xc4\x0d\x60\x49\x31\xad", 8 }, /* addr32 repnz les 0xad314960,%cx */
	{ P16, 5, "\x3e\x26\x35\x4a\x5e", 5 }, /* ds es xor $0x5e4a,%ax */
	{ P16, 2, "\x1c\x7e", 2 }, /* sbb $0x7e,%al */
	{ P16, 1, "\x5e", 1 }, /* pop %si */
	{ P16, 4, "\x0f\x56\x4a\xde", 4 }, /* orps -0x22(%bp,%si),%xmm1 */
	{ P16, 3, "\xe9\x8b\xdf", 3 }, /* jmp 0xe6ce */
	{ P16, 4, "\x83\x5f\x31\x27", 4 }, /* sbbw $0x27,0x31(%bx) */
	{ P16, 6, "\xf0\x0f\x47\xb3\x0b\x69", 6 }, /* lock cmova 0x690b(%bp,%di),%si */
	{ P16, 6, "\x65\x0f\xb5\xab\xcb\x19", 6 }, /* lgs %gs:0x19cb(%bp,%di),%bp */
	{ P16, 3, "\x0f\x7e\x3c", 3 }, /* movd %mm7,(%si) */
	{ P16, 3, "\x0f\xbd\xcb", 3 }, /* bsr %bx,%cx */
	{ P16, 1, "\x99", 1 }, /* cwtd */
	{ P16, 3, "\x15\xea\xea", 3 }, /* adc $0xeaea,%ax */
	{ P16, 3, "\x66\x0c\xd1", 3 }, /* data32 or $0xd1,%al */
	{ P16, 2, "\x0f\x08", 2 }, /* invd */
	{ P16, 1, "\x47", 1 }, /* inc %di */
	{ P16, 5, "\x0f\x95\x2e\x0e\x4b", 5 }, /* setne 0x4b0e */
	{ P16, 4, "\x64\x0f\x45\x3d", 4 }, /* cmovne %fs:(%di),%di */
	{ P16, 2, "\xf3\x52", 2 }, /* repz push %dx */
	{ P16, 3, "\x86\x4b\x5c", 3 }, /* xchg %cl,0x5c(%bp,%di) */
	{ P16, 1, "\xf5", 1 }, /* cmc */
	{ P16, 3, "\xf3\x7e\xbe", 3 }, /* repz jle 0xac1 */
	{ P16, 2, "\xe4\x8d", 2 }, /* in $0x8d,%al */
	{ P16, 3, "\xc5\x77\xd6", 3 }, /* lds -0x2a(%bx),%si */
	{ P16, 2, "\x77\x89", 2 }, /* ja 0xb0b */
	{ P16, 4, "\x0f\xc1\x42\xa0", 4 }, /* xadd %ax,-0x60(%bp,%si) */
	{ P16, 7, "\x26\x26\x3e\x26\x0f\x9d\x18", 7 },
	{ P16, 5, "\x67\x0f\x87\x7c\xd4", 5 }, /* addr32 ja 0xe0c1 */
	{ P16, 1, "\x2f", 1 }, /* das */
	{ P16, 3, "\x0f\x15\x18", 3 }, /* unpckhps (%bx,%si),%xmm3 */
	{ P16, 2, "\x14\x06", 2 }, /* adc $0x6,%al */
	{ P16, 3, "\xdb\x7c\xda", 3 }, /* fstpt -0x26(%si) */
	{ P16, 4, "\x36\x3b\x56\x9c", 4 }, /* cmp %ss:-0x64(%bp),%dx */
	{ P16, 4, "\x1b\xa5\x50\x18", 4 }, /* sbb 0x1850(%di),%sp */
	{ P16, 2, "\x23\xca", 2 }, /* and %dx,%cx */
	{ P16, 4, "\x0f\xaf\x5b\xf4", 4 }, /* imul -0xc(%bp,%di),%bx */
	{ P16, 1, "\x45", 1 }, /* inc %bp */
	{ P16, 1, "\x94", 1 }, /* xchg %ax,%sp */
	{ P16, 2, "\x0f\x05", 2 }, /* syscall */
	{ P16, 3, "\x0f\x74\x0b", 3 }, /* pcmpeqb (%bp,%di),%mm1 */
	{ P16, 2, "\x3c\x74", 2 }, /* cmp $0x74,%al */
	{ P16, 4, "\x2e\x0f\xe5\xfd", 4 }, /* cs pmulhw %mm5,%mm7 */
	{ P16, 1, "\x5c", 1 }, /* pop %sp */
	{ P16, 1, "\xee", 1 }, /* out %al,(%dx) */
	{ P16, 6, "\xf0\x0f\x29\x99\x27\x16", 6 }, /* lock movaps %xmm3,0x1627(%bx,%di) */
	{ P16, 4, "\x8e\x80\xdb\x59", 4 }, /* mov 0x59db(%bx,%si),%es */
	{ P16, 3, "\x0f\x5b\xcd", 3 }, /* cvtdq2ps %xmm5,%xmm1 */
	{ P16, 3, "\x0f\x02\xe9", 3 }, /* lar %cx,%bp */
	{ P16, 3, "\xf3\xb5\xde", 3 }, /* repz mov $0xde,%ch */
	{ P16, 6, "\x66\x0f\xba\x66\x3b\x95", 6 }, /* btl $0x95,0x3b(%bp) */
	{ P16, 4, "\x0f\x86\xf9\x0f", 4 }, /* jbe 0x21fd */
	{ P16, 3, "\xf0\xcd\xe8", 3 }, /* lock int $0xe8 */
	{ P16, 2, "\xf0\x95", 2 }, /* lock xchg %ax,%bp */
	{ P16, 2, "\x0f\x35", 2 }, /* sysexit */
	{ P16, 2, "\x71\x48", 2 }, /* jno 0x148a */
	{ P16, 2, "\x30\x23", 2 }, /* xor %ah,(%bp,%di) */
	{ P16, 2, "\x8f\x00", 2 }, /* pop (%bx,%si) */
	{ P16, 3, "\xdd\x67\xbf", 3 }, /* frstor -0x41(%bx) */
	{ P16, 1, "\x4e", 1 }, /* dec %si */
	{ P16, 1, "\x91", 1 }, /* xchg %ax,%cx */
	{ P16, 4, "\x26\x12\x5f\x5e", 4 }, /* adc %es:0x5e(%bx),%bl */
	{ P16, 3, "\x67\x67\x41", 3 },
	{ P16, 3, "\x0f\xed\x38", 3 }, /* paddsw (%bx,%si),%mm7 */
	{ P16, 3, "\xbe\x36\x63", 3 }, /* mov $0x6336,%si */
	{ P16, 4, "\x65\xc2\x1d\xd8", 4 }, /* gs ret $0xd81d */
	{ P16, 3, "\x26\x26\xfa", 3 },
	{ P16, 2, "\x78\x72", 2 }, /* js 0x16b4 */
	{ P16, 2, "\x3a\xeb", 2 }, /* cmp %bl,%ch */
	{ P16, 2, "\x7c\xb9", 2 }, /* jl 0x16bb */
	{ P16, 3, "\x0f\xf2\x2b", 3 }, /* pslld (%bp,%di),%mm5 */
	{ P16, 4, "\x0f\x80\x9a\x8a", 4 }, /* jo 0xa23e */
	{ P16, 4, "\x18\x84\x2e\x05", 4 }, /* sbb %al,0x52e(%si) */
	{ P32, 15, "\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x0f\x1f\x00", 15 },
	{ P32, 2, "\x0f\xa2", 2 }, /* cpuid */
	{ P32, 1, "\xf4", 1 }, /* hlt */
	{ P32, 2, "\x0f\x32", 2 }, /* rdmsr */
	{ P32, 2, "\x0f\x30", 2 }, /* wrmsr */
	{ P32, 2, "\x0f\x31", 2 }, /* rdtsc */
	{ P32, 3, "\x0f\x01\xf9", 3 }, /* rdtscp */
	{ P32, 3, "\x0f\x01\xd1", 3 }, /* xsetbv */
	{ P32, 3, "\x0f\x01\xd9", 3 }, /* vmmcall */
	{ P32, 3, "\x0f\x01\xc8", 3 }, /* monitor %eax,%ecx,%edx */
	{ P32, 3, "\x0f\x01\xc9", 3 }, /* mwait %eax,%ecx */
	{ P32, 3, "\x0f\x01\xfa", 3 }, /* monitorx %eax,%ecx,%edx */
	{ P32, 3, "\x0f\x01\xfb", 3 }, /* mwaitx %eax,%ecx,%ebx */
	{ P32, 2, "\x0f\x08", 2 }, /* invd */
	{ P32, 2, "\x0f\x09", 2 }, /* wbinvd */
	{ P32, 2, "\xf3\x90", 2 }, /* pause */
	{ P32, 1, "\x90", 1 }, /* nop */
	{ P32, 1, "\xcc", 1 }, /* int3 */
	{ P32, 2, "\xcd\x80", 2 }, /* int $0x80 */
	{ P32, 2, "\xcd\x03", 2 }, /* int $0x3 */
	{ P32, 1, "\xf1", 1 }, /* int1 */
	{ P32, 2, "\xe4\x60", 2 }, /* in $0x60,%al */
	{ P32, 2, "\xe5\x71", 2 }, /* in $0x71,%eax */
	{ P32, 2, "\xe6\x80", 2 }, /* out %al,$0x80 */
	{ P32, 2, "\xe7\x70", 2 }, /* out %eax,$0x70 */
	{ P32, 1, "\xec", 1 }, /* in (%dx),%al */
	{ P32, 1, "\xed", 1 }, /* in (%dx),%eax */
	{ P32, 1, "\xee", 1 }, /* out %al,(%dx) */
	{ P32, 1, "\xef", 1 }, /* out %eax,(%dx) */
	{ P32, 2, "\x66\xed", 2 }, /* in (%dx),%ax */
	{ P32, 2, "\x66\xef", 2 }, /* out %ax,(%dx) */
	{ P32, 1, "\x6c", 1 }, /* insb (%dx),%es:(%edi) */
	{ P32, 1, "\x6d", 1 }, /* insl (%dx),%es:(%edi) */
	{ P32, 1, "\x6e", 1 }, /* outsb %ds:(%esi),(%dx) */
	{ P32, 1, "\x6f", 1 }, /* outsl %ds:(%esi),(%dx) */
	{ P32, 2, "\xf3\x6c", 2 }, /* rep insb (%dx),%es:(%edi) */
	{ P32, 2, "\xf3\x6d", 2 }, /* rep insl (%dx),%es:(%edi) */
	{ P32, 2, "\xf3\x6e", 2 }, /* rep outsb %ds:(%esi),(%dx) */
	{ P32, 2, "\xf3\x6f", 2 }, /* rep outsl %ds:(%esi),(%dx) */
	{ P32, 3, "\x66\xf3\x6d", 3 }, /* rep insw (%dx),%es:(%edi) */
	{ P32, 3, "\xf3\x66\x6f", 3 }, /* rep outsw %ds:(%esi),(%dx) */
	{ P32, 3, "\x0f\x20\xc0", 3 }, /* mov %cr0,%eax */
	{ P32, 3, "\x0f\x20\xd8", 3 }, /* mov %cr3,%eax */
	{ P32, 3, "\x0f\x20\xe0", 3 }, /* mov %cr4,%eax */
	{ P32, 3, "\x0f\x22\xc0", 3 }, /* mov %eax,%cr0 */
	{ P32, 3, "\x0f\x22\xd8", 3 }, /* mov %eax,%cr3 */
	{ P32, 3, "\x0f\x22\xe0", 3 }, /* mov %eax,%cr4 */
	{ P32, 3, "\x0f\x20\x00", 3 }, /* mov %cr0,%eax */
	{ P32, 3, "\x0f\x22\x18", 3 }, /* mov %eax,%cr3 */
	{ P32, 3, "\x0f\x20\x40", 3 }, /* mov %cr0,%eax */
	{ P32, 3, "\x0f\x22\x80", 3 }, /* mov %eax,%cr0 */
	{ P32, 3, "\x0f\x21\xf8", 3 }, /* mov %db7,%eax */
	{ P32, 3, "\x0f\x23\xf8", 3 }, /* mov %eax,%db7 */
	{ P32, 3, "\x0f\x21\x38", 3 }, /* mov %db7,%eax */
	{ P32, 3, "\x0f\x23\x47", 3 }, /* mov %edi,%db0 */
	{ P32, 3, "\x0f\x21\xc0", 3 }, /* mov %db0,%eax */
	{ P32, 3, "\x0f\x23\xc7", 3 }, /* mov %edi,%db0 */
	{ P32, 2, "\x0f\x06", 2 }, /* clts */
	{ P32, 3, "\x0f\x01\xd0", 3 }, /* xgetbv */
	{ P32, 3, "\x0f\x01\xd8", 3 }, /* vmrun */
	{ P32, 3, "\x0f\x01\xda", 3 }, /* vmload */
	{ P32, 3, "\x0f\x01\xdb", 3 }, /* vmsave */
	{ P32, 3, "\x0f\x01\xdc", 3 }, /* stgi */
	{ P32, 3, "\x0f\x01\xdd", 3 }, /* clgi */
	{ P32, 3, "\x0f\x01\xde", 3 }, /* skinit */
	{ P32, 3, "\x0f\x01\xdf", 3 }, /* invlpga */
	{ P32, 3, "\x0f\x01\xc1", 3 }, /* vmcall */
	{ P32, 3, "\x0f\x01\xc2", 3 }, /* vmlaunch */
	{ P32, 3, "\x0f\x01\xc3", 3 }, /* vmresume */
	{ P32, 3, "\x0f\x01\xc4", 3 }, /* vmxoff */
	{ P32, 2, "\x0f\x33", 2 }, /* rdpmc */
	{ P32, 2, "\x0f\x0b", 2 }, /* ud2 */
	{ P32, 1, "\xfa", 1 }, /* cli */
	{ P32, 1, "\xfb", 1 }, /* sti */
	{ P32, 3, "\x0f\x01\xca", 3 }, /* clac */
	{ P32, 3, "\x0f\x01\xcb", 3 }, /* stac */
	{ P32, 3, "\x0f\x01\xfc", 3 }, /* clzero */
	{ P32, 3, "\x0f\x01\xfd", 3 }, /* rdpru */
	{ P32, 3, "\x0f\x00\xd8", 3 }, /* ltr %ax */
	{ P32, 3, "\x0f\x01\xf0", 3 }, /* lmsw %ax */
	{ P32, 3, "\x0f\x01\xe0", 3 }, /* smsw %eax */
	{ P32, 3, "\x0f\x01\x38", 3 }, /* invlpg (%eax) */
	{ P32, 3, "\x0f\xae\xf0", 3 }, /* mfence */
	{ P32, 3, "\x0f\xae\xe8", 3 }, /* lfence */
	{ P32, 3, "\x0f\xae\xf8", 3 }, /* sfence */
	{ P32, 3, "\x0f\x01\x10", 3 }, /* lgdtl (%eax) */
	{ P32, 7, "\x0f\x01\x15\x00\x10\x00\x00", 7 }, /* lgdtl 0x1000 */
	{ P32, 4, "\x0f\x01\x14\x24", 4 }, /* lgdtl (%esp) */
	{ P32, 5, "\x0f\x01\x54\x24\x08", 5 }, /* lgdtl 0x8(%esp) */
	{ P32, 8, "\x0f\x01\x94\x24\x00\x01\x00\x00", 8 }, /* lgdtl 0x100(%esp) */
	{ P32, 8, "\x0f\x01\x1c\x85\x00\x10\x00\x00", 8 }, /* lidtl 0x1000(,%eax,4) */
	{ P32, 4, "\x0f\x01\x58\x08", 4 }, /* lidtl 0x8(%eax) */
	{ P32, 7, "\x0f\x01\x9b\x00\x01\x00\x00", 7 }, /* lidtl 0x100(%ebx) */
	{ P32, 6, "\x67\x0f\x01\x16\x34\x12", 6 }, /* lgdtl 0x1234 */
	{ P32, 5, "\x67\x0f\x01\x57\x02", 5 }, /* lgdtl 0x2(%bx) */
	{ P32, 7, "\x0f\x01\x3d\x00\x00\x00\xc0", 7 }, /* invlpg 0xc0000000 */
	{ P32, 7, "\x8b\x04\x8d\x00\x10\x00\x00", 7 }, /* mov 0x1000(,%ecx,4),%eax */
	{ P32, 10, "\xc7\x05\x00\x00\x00\xfe\x78\x56\x34\x12", 10 },
	{ P32, 5, "\xc6\x44\x24\x04\xff", 5 }, /* movb $0xff,0x4(%esp) */
	{ P32, 5, "\x66\xc7\x00\x34\x12", 5 }, /* movw $0x1234,(%eax) */
	{ P32, 1, "\x06", 1 }, /* push %es */
	{ P32, 1, "\x07", 1 }, /* pop %es */
	{ P32, 1, "\x1e", 1 }, /* push %ds */
	{ P32, 1, "\x1f", 1 }, /* pop %ds */
	{ P32, 1, "\x0e", 1 }, /* push %cs */
	{ P32, 1, "\x16", 1 }, /* push %ss */
	{ P32, 1, "\x17", 1 }, /* pop %ss */
	{ P32, 1, "\x27", 1 }, /* daa */
	{ P32, 1, "\x2f", 1 }, /* das */
	{ P32, 1, "\x37", 1 }, /* aaa */
	{ P32, 1, "\x3f", 1 }, /* aas */
	{ P32, 1, "\x60", 1 }, /* pusha */
	{ P32, 1, "\x61", 1 }, /* popa */
	{ P32, 2, "\x62\x00", 2 }, /* bound %eax,(%eax) */
	{ P32, 2, "\xc4\x00", 2 }, /* les (%eax),%eax */
	{ P32, 2, "\xc5\x00", 2 }, /* lds (%eax),%eax */
	{ P32, 7, "\x9a\x00\x00\x00\x00\x08\x00", 7 }, /* lcall $0x8,$0x0 */
	{ P32, 7, "\xea\x00\x00\x00\x00\x08\x00", 7 }, /* ljmp $0x8,$0x0 */
	{ P32, 2, "\xd4\x0a", 2 }, /* aam $0xa */
	{ P32, 2, "\xd5\x0a", 2 }, /* aad $0xa */
	{ P32, 1, "\xce", 1 }, /* into */
	{ P32, 1, "\x40", 1 }, /* inc %eax */
	{ P32, 1, "\x4f", 1 }, /* dec %edi */
	{ P32, 3, "\x82\xc0\x01", 3 }, /* add $0x1,%al */
	{ P32, 2, "\x63\xc0", 2 }, /* arpl %ax,%ax */
	{ P32, 4, "\xc8\x00\x01\x02", 4 }, /* enter $0x100,$0x2 */
	{ P32, 2, "\xff\x18", 2 }, /* lcall *(%eax) */
	{ P32, 2, "\xff\x28", 2 }, /* ljmp *(%eax) */
	{ P32, 2, "\x2e\x91", 2 }, /* cs xchg %eax,%ecx */
	{ P32, 7, "\x2e\x64\x15\xe5\xef\x44\x83", 7 }, /* cs fs adc $0x8344efe5,%eax */
	{ P32, 2, "\x19\xff", 2 }, /* sbb %edi,%edi */
	{ P32, 3, "\x0f\x74\xf9", 3 }, /* pcmpeqb %mm1,%mm7 */
	{ P32, 2, "\x0f\xc9", 2 }, /* bswap %ecx */
	{ P32, 1, "\x6d", 1 }, /* insl (%dx),%es:(%edi) */
	{ P32, 4, "\x0f\x6e\x6d\x72", 4 }, /* movd 0x72(%ebp),%mm5 */
	{ P32, 2, "\xe7\xe2", 2 }, /* out %eax,$0xe2 */
	{ P32, 3, "\x0f\x20\x3c", 3 }, /* mov %cr7,%esp */
	{ P32, 3, "\x0f\x49\xe0", 3 }, /* cmovns %eax,%esp */
	{ P32, 1, "\xee", 1 }, /* out %al,(%dx) */
	{ P32, 4, "\x0f\x9a\x49\xbe", 4 }, /* setp -0x42(%ecx) */
	{ P32, 4, "\x0f\xee\x65\x1f", 4 }, /* pmaxsw 0x1f(%ebp),%mm4 */
	{ P32, 4, "\x67\x3e\xb5\x32", 4 }, /* addr16 ds mov $0x32,%ch */
	{ P32, 7, "\x26\x69\xf1\x27\x1d\x3d\x9c", 7 }, /* es imul $0x9c3d1d27,%ecx,%esi */
	{ P32, 3, "\x0f\x21\x6f", 3 }, /* mov %db5,%edi */
	{ P32, 2, "\x0f\xa8", 2 }, /* push %gs */
	{ P32, 7, "\x0f\xdf\x99\xb9\x66\xca\xb5", 7 }, /* pandn -0x4a359947(%ecx),%mm3 */
	{ P32, 5, "\xba\x6e\x18\xd7\xfe", 5 }, /* mov $0xfed7186e,%edx */
	{ P32, 3, "\x8b\x4a\x8c", 3 }, /* mov -0x74(%edx),%ecx */
	{ P32, 1, "\xcc", 1 }, /* int3 */
	{ P32, 8, "\xf2\x00\x34\x15\x0a\xdf\x14\xb5", 8 }, /* repnz add %dh,-0x4aeb20f6(,%edx,1) */
	{ P32, 3, "\xf3\xb1\x0a", 3 }, /* repz mov $0xa,%cl */
	{ P32, 3, "\x03\x5e\x78", 3 }, /* add 0x78(%esi),%ebx */
	{ P32, 1, "\x95", 1 }, /* xchg %eax,%ebp */
	{ P32, 5, "\x0d\x5a\x89\x58\xbe", 5 }, /* or $0xbe58895a,%eax */
	{ P32, 2, "\xb7\x7e", 2 }, /* mov $0x7e,%bh */
	{ P32, 1, "\xd7", 1 }, /* xlat %ds:(%ebx) */
	{ P32, 2, "\x0f\xcf", 2 }, /* bswap %edi */
	{ P32, 4, "\x0f\x2b\x52\xb2", 4 }, /* movntps %xmm2,-0x4e(%edx) */
	{ P32, 5, "\x66\xdc\x54\x91\x90", 5 }, /* data16 fcoml -0x70(%ecx,%edx,4) */
	{ P32, 3, "\xf2\x6a\x4a", 3 }, /* repnz push $0x4a */
	{ P32, 4, "\x33\x6c\x3b\xa0", 4 }, /* xor -0x60(%ebx,%edi,1),%ebp */
	{ P32, 1, "\x55", 1 }, /* push %ebp */
	{ P32, 4, "\x64\x0f\x63\x3f", 4 }, /* packsswb %fs:(%edi),%mm7 */
	{ P32, 3, "\x0f\x56\xc6", 3 }, /* orps %xmm6,%xmm0 */
	{ P32, 2, "\x65\xa4", 2 }, /* movsb %gs:(%esi),%es:(%edi) */
	{ P32, 2, "\x8c\xcd", 2 }, /* mov %cs,%ebp */
	{ P32, 8, "\x0f\xc2\xb5\x41\xd2\x2c\x2c\x72", 8 }, /* cmpps $0x72,0x2c2cd241(%ebp),%xmm6 */
	{ P32, 4, "\x65\x3e\x67\xa5", 4 }, /* gs movsl %ds:(%si),%es:(%di) */
	{ P32, 2, "\x7a\x9b", 2 }, /* jp 0x65d */
	{ P32, 7, "\x0f\xf1\xa9\xec\xc7\x51\x38", 7 }, /* psllw 0x3851c7ec(%ecx),%mm5 */
	{ P32, 2, "\xc5\x31", 2 }, /* lds (%ecx),%esi */
	{ P32, 2, "\x2e\xf1", 2 }, /* cs int1 */
	{ P32, 7, "\x0f\xab\xa5\x39\x0d\xd5\x74", 7 }, /* bts %esp,0x74d50d39(%ebp) */
	{ P32, 6, "\xf2\xbc\xca\x55\x59\x81", 6 }, /* repnz mov $0x815955ca,%esp */
	{ P32, 1, "\x93", 1 }, /* xchg %eax,%ebx */
	{ P32, 1, "\x1f", 1 }, /* pop %ds */
	{ P32, 8, "\x3e\x0f\x64\x91\x95\xfc\xa6\xdf", 8 }, /* pcmpgtb %ds:-0x2059036b(%ecx),%mm2 */
	{ P32, 3, "\x36\xb0\x57", 3 }, /* ss mov $0x57,%al */
	{ P32, 7, "\xd9\xbc\x9b\x3d\x66\xea\x99", 7 }, /* fnstcw -0x661599c3(%ebx,%ebx,4) */
	{ P32, 5, "\x3d\xd6\xb8\x46\x47", 5 }, /* cmp $0x4746b8d6,%eax */
	{ P32, 2, "\xb3\xae", 2 }, /* mov $0xae,%bl */
	{ P32, 3, "\x0f\xdd\xf4", 3 }, /* paddusw %mm4,%mm6 */
	{ P32, 1, "\x5b", 1 }, /* pop %ebx */
	{ P32, 7, "\x0f\x2e\xab\xa6\x80\x61\xa9", 7 }, /* ucomiss -0x569e7f5a(%ebx),%xmm5 */
	{ P32, 1, "\x5e", 1 }, /* pop %esi */
	{ P32, 7, "\x0f\x2d\xad\x0b\xc3\xaa\x57", 7 }, /* cvtps2pi 0x57aac30b(%ebp),%mm5 */
	{ P32, 2, "\x64\x5d", 2 }, /* fs pop %ebp */
	{ P32, 7, "\x0f\x54\x93\x03\x11\x45\x5d", 7 }, /* andps 0x5d451103(%ebx),%xmm2 */
	{ P32, 1, "\xc3", 1 }, /* ret */
	{ P32, 3, "\x36\x2e\xaf", 3 }, /* ss cs scas %es:(%edi),%eax */
	{ P32, 4, "\x0f\x9d\x49\x3f", 4 }, /* setge 0x3f(%ecx) */
	{ P32, 2, "\x2b\x3b", 2 }, /* sub (%ebx),%edi */
	{ P32, 6, "\x02\xb5\x68\x26\xc6\x56", 6 }, /* add 0x56c62668(%ebp),%dh */
	{ P32, 2, "\x67\x27", 2 }, /* addr16 daa */
	{ P32, 2, "\x38\xc4", 2 }, /* cmp %al,%ah */
	{ P32, 4, "\x3e\xca\xc9\xea", 4 }, /* ds lret $0xeac9 */
	{ P32, 1, "\x97", 1 }, /* xchg %eax,%edi */
	{ P32, 2, "\x3e\x42", 2 }, /* ds inc %edx */
	{ P32, 3, "\x0f\x4e\xeb", 3 }, /* cmovle %ebx,%ebp */
	{ P32, 1, "\x51", 1 }, /* push %ecx */
	{ P32, 3, "\x10\x53\x55", 3 }, /* adc %dl,0x55(%ebx) */
	{ P32, 3, "\x3e\x26\xf5", 3 }, /* ds es cmc */
	{ P32, 1, "\xab", 1 }, /* stos %eax,%es:(%edi) */
	{ P32, 4, "\x0f\xb4\x7f\xc9", 4 }, /* lfs -0x37(%edi),%edi */
	{ P32, 6, "\x0f\x8a\xc6\xa1\xbb\xe4", 6 }, /* jp 0xe4bbb10c */
	{ P32, 3, "\x2e\x64\x43", 3 }, /* cs fs inc %ebx */
	{ P32, 2, "\x8a\x16", 2 }, /* mov (%esi),%dl */
	{ P32, 2, "\x7c\xbf", 2 }, /* jl 0xfa1 */
	{ P32, 4, "\x0f\x48\x52\xbe", 4 }, /* cmovs -0x42(%edx),%edx */
	{ P32, 3, "\x64\xf2\x52", 3 }, /* fs repnz push %edx */
	{ P32, 2, "\x67\xc9", 2 }, /* addr16 leave */
	{ P32, 3, "\x0f\x5e\x2b", 3 }, /* divps (%ebx),%xmm5 */
	{ P32, 3, "\x0f\xb6\x27", 3 }, /* movzbl (%edi),%esp */
	{ P32, 6, "\x0f\x8b\x19\x88\xef\x6a", 6 }, /* jnp 0x6aef98df */
	{ P32, 1, "\x9f", 1 }, /* lahf */
	{ P32, 4, "\x0f\xf6\x6d\x2a", 4 }, /* psadbw 0x2a(%ebp),%mm5 */
	{ P32, 8, "\x3e\x0f\xd4\xa8\x5d\x30\xb4\xa5", 8 }, /* paddq %ds:-0x5a4bcfa3(%eax),%mm5 */
	{ P32, 3, "\x3e\x0f\xa9", 3 }, /* ds pop %gs */
	{ P32, 2, "\xe3\x89", 2 }, /* jecxz 0x11cb */
	{ P32, 3, "\x64\xf0\x92", 3 }, /* fs lock xchg %eax,%edx */
	{ P32, 3, "\x0f\xbb\xec", 3 }, /* btc %ebp,%esp */
	{ P32, 2, "\x73\xdc", 2 }, /* jae 0x12fe */
	{ P32, 2, "\xcd\xdc", 2 }, /* int $0xdc */
	{ P32, 7, "\x0f\x2a\x9b\xbd\xaa\x64\x21", 7 }, /* cvtpi2ps 0x2164aabd(%ebx),%xmm3 */
	{ P32, 1, "\x6e", 1 }, /* outsb %ds:(%esi),(%dx) */
	{ P32, 7, "\x0f\xc1\x8d\x5a\x2d\x62\x92", 7 }, /* xadd %ecx,-0x6d9dd2a6(%ebp) */
	{ P32, 2, "\x64\x44", 2 }, /* fs inc %esp */
	{ P32, 1, "\x5f", 1 }, /* pop %edi */
	{ P32, 5, "\x68\xfb\xd0\xbc\x4f", 5 }, /* push $0x4fbcd0fb */
	{ P32, 3, "\x0f\xed\xec", 3 }, /* paddsw %mm4,%mm5 */
	{ P32, 4, "\x26\x0f\x02\xdb", 4 }, /* es lar %ebx,%ebx */
	{ P32, 2, "\x24\xa2", 2 }, /* and $0xa2,%al */
	{ P32, 3, "\x0f\x5a\xf1", 3 }, /* cvtps2pd %xmm1,%xmm6 */
	{ P32, 2, "\xe5\x63", 2 }, /* in $0x63,%eax */
	{ P32, 7, "\xd8\x34\x75\x68\x26\x96\x21", 7 }, /* fdivs 0x21962668(,%esi,2) */
	{ P32, 4, "\x09\x54\xca\x74", 4 }, /* or %edx,0x74(%edx,%ecx,8) */
	{ P32, 8, "\x3e\x0f\x95\x8f\x77\xaa\x3e\xc8", 8 }, /* setne %ds:-0x37c15589(%edi) */
	{ P32, 2, "\x3a\x30", 2 }, /* cmp (%eax),%dh */
	{ L64, 15, "\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x0f\x1f\x00", 15 },
	{ L64, 2, "\x0f\xa2", 2 }, /* cpuid */
	{ L64, 1, "\xf4", 1 }, /* hlt */
	{ L64, 2, "\x0f\x32", 2 }, /* rdmsr */
	{ L64, 2, "\x0f\x30", 2 }, /* wrmsr */
	{ L64, 2, "\x0f\x31", 2 }, /* rdtsc */
	{ L64, 3, "\x0f\x01\xf9", 3 }, /* rdtscp */
	{ L64, 3, "\x0f\x01\xd1", 3 }, /* xsetbv */
	{ L64, 3, "\x0f\x01\xd9", 3 }, /* vmmcall */
	{ L64, 3, "\x0f\x01\xc8", 3 }, /* monitor %rax,%ecx,%edx */
	{ L64, 3, "\x0f\x01\xc9", 3 }, /* mwait %eax,%ecx */
	{ L64, 3, "\x0f\x01\xfa", 3 }, /* monitorx %rax,%ecx,%edx */
	{ L64, 3, "\x0f\x01\xfb", 3 }, /* mwaitx %eax,%ecx,%ebx */
	{ L64, 2, "\x0f\x08", 2 }, /* invd */
	{ L64, 2, "\x0f\x09", 2 }, /* wbinvd */
	{ L64, 2, "\xf3\x90", 2 }, /* pause */
	{ L64, 1, "\x90", 1 }, /* nop */
	{ L64, 1, "\xcc", 1 }, /* int3 */
	{ L64, 2, "\xcd\x80", 2 }, /* int $0x80 */
	{ L64, 2, "\xcd\x03", 2 }, /* int $0x3 */
	{ L64, 1, "\xf1", 1 }, /* int1 */
	{ L64, 2, "\xe4\x60", 2 }, /* in $0x60,%al */
	{ L64, 2, "\xe5\x71", 2 }, /* in $0x71,%eax */
	{ L64, 2, "\xe6\x80", 2 }, /* out %al,$0x80 */
	{ L64, 2, "\xe7\x70", 2 }, /* out %eax,$0x70 */
	{ L64, 1, "\xec", 1 }, /* in (%dx),%al */
	{ L64, 1, "\xed", 1 }, /* in (%dx),%eax */
	{ L64, 1, "\xee", 1 }, /* out %al,(%dx) */
	{ L64, 1, "\xef", 1 }, /* out %eax,(%dx) */
	{ L64, 2, "\x66\xed", 2 }, /* in (%dx),%ax */
	{ L64, 2, "\x66\xef", 2 }, /* out %ax,(%dx) */
	{ L64, 1, "\x6c", 1 }, /* insb (%dx),%es:(%rdi) */
	{ L64, 1, "\x6d", 1 }, /* insl (%dx),%es:(%rdi) */
	{ L64, 1, "\x6e", 1 }, /* outsb %ds:(%rsi),(%dx) */
	{ L64, 1, "\x6f", 1 }, /* outsl %ds:(%rsi),(%dx) */
	{ L64, 2, "\xf3\x6c", 2 }, /* rep insb (%dx),%es:(%rdi) */
	{ L64, 2, "\xf3\x6d", 2 }, /* rep insl (%dx),%es:(%rdi) */
	{ L64, 2, "\xf3\x6e", 2 }, /* rep outsb %ds:(%rsi),(%dx) */
	{ L64, 2, "\xf3\x6f", 2 }, /* rep outsl %ds:(%rsi),(%dx) */
	{ L64, 3, "\x66\xf3\x6d", 3 }, /* rep insw (%dx),%es:(%rdi) */
	{ L64, 3, "\xf3\x66\x6f", 3 }, /* rep outsw %ds:(%rsi),(%dx) */
	{ L64, 3, "\x0f\x20\xc0", 3 }, /* mov %cr0,%rax */
	{ L64, 3, "\x0f\x20\xd8", 3 }, /* mov %cr3,%rax */
	{ L64, 3, "\x0f\x20\xe0", 3 }, /* mov %cr4,%rax */
	{ L64, 3, "\x0f\x22\xc0", 3 }, /* mov %rax,%cr0 */
	{ L64, 3, "\x0f\x22\xd8", 3 }, /* mov %rax,%cr3 */
	{ L64, 3, "\x0f\x22\xe0", 3 }, /* mov %rax,%cr4 */
	{ L64, 3, "\x0f\x20\x00", 3 }, /* mov %cr0,%rax */
	{ L64, 3, "\x0f\x22\x18", 3 }, /* mov %rax,%cr3 */
	{ L64, 3, "\x0f\x20\x40", 3 }, /* mov %cr0,%rax */
	{ L64, 3, "\x0f\x22\x80", 3 }, /* mov %rax,%cr0 */
	{ L64, 3, "\x0f\x21\xf8", 3 }, /* mov %db7,%rax */
	{ L64, 3, "\x0f\x23\xf8", 3 }, /* mov %rax,%db7 */
	{ L64, 3, "\x0f\x21\x38", 3 }, /* mov %db7,%rax */
	{ L64, 3, "\x0f\x23\x47", 3 }, /* mov %rdi,%db0 */
	{ L64, 3, "\x0f\x21\xc0", 3 }, /* mov %db0,%rax */
	{ L64, 3, "\x0f\x23\xc7", 3 }, /* mov %rdi,%db0 */
	{ L64, 2, "\x0f\x06", 2 }, /* clts */
	{ L64, 3, "\x0f\x01\xd0", 3 }, /* xgetbv */
	{ L64, 3, "\x0f\x01\xd8", 3 }, /* vmrun */
	{ L64, 3, "\x0f\x01\xda", 3 }, /* vmload */
	{ L64, 3, "\x0f\x01\xdb", 3 }, /* vmsave */
	{ L64, 3, "\x0f\x01\xdc", 3 }, /* stgi */
	{ L64, 3, "\x0f\x01\xdd", 3 }, /* clgi */
	{ L64, 3, "\x0f\x01\xde", 3 }, /* skinit */
	{ L64, 3, "\x0f\x01\xdf", 3 }, /* invlpga */
	{ L64, 3, "\x0f\x01\xc1", 3 }, /* vmcall */
	{ L64, 3, "\x0f\x01\xc2", 3 }, /* vmlaunch */
	{ L64, 3, "\x0f\x01\xc3", 3 }, /* vmresume */
	{ L64, 3, "\x0f\x01\xc4", 3 }, /* vmxoff */
	{ L64, 2, "\x0f\x33", 2 }, /* rdpmc */
	{ L64, 2, "\x0f\x0b", 2 }, /* ud2 */
	{ L64, 1, "\xfa", 1 }, /* cli */
	{ L64, 1, "\xfb", 1 }, /* sti */
	{ L64, 3, "\x0f\x01\xca", 3 }, /* clac */
	{ L64, 3, "\x0f\x01\xcb", 3 }, /* stac */
	{ L64, 3, "\x0f\x01\xfc", 3 }, /* clzero */
	{ L64, 3, "\x0f\x01\xfd", 3 }, /* rdpru */
	{ L64, 3, "\x0f\x00\xd8", 3 }, /* ltr %ax */
	{ L64, 3, "\x0f\x01\xf0", 3 }, /* lmsw %ax */
	{ L64, 3, "\x0f\x01\xe0", 3 }, /* smsw %eax */
	{ L64, 3, "\x0f\x01\x38", 3 }, /* invlpg (%rax) */
	{ L64, 3, "\x0f\xae\xf0", 3 }, /* mfence */
	{ L64, 3, "\x0f\xae\xe8", 3 }, /* lfence */
	{ L64, 3, "\x0f\xae\xf8", 3 }, /* sfence */
	{ L64, 3, "\x0f\x01\x10", 3 }, /* lgdt (%rax) */
	{ L64, 7, "\x0f\x01\x15\x00\x10\x00\x00", 7 }, /* lgdt 0x1000(%rip) */
	{ L64, 4, "\x0f\x01\x14\x24", 4 }, /* lgdt (%rsp) */
	{ L64, 5, "\x0f\x01\x54\x24\x08", 5 }, /* lgdt 0x8(%rsp) */
	{ L64, 8, "\x0f\x01\x1c\x25\x00\x10\x00\x00", 8 }, /* lidt 0x1000 */
	{ L64, 5, "\x41\x0f\x01\x14\x24", 5 }, /* lgdt (%r12) */
	{ L64, 5, "\x41\x0f\x01\x55\x00", 5 }, /* lgdt 0x0(%r13) */
	{ L64, 7, "\x0f\x01\x1d\xf0\xff\xff\xff", 7 }, /* lidt -0x10(%rip) */
	{ L64, 4, "\x67\x0f\x01\x10", 4 }, /* lgdt (%eax) */
	{ L64, 9, "\x42\x0f\x01\x1c\xa5\x00\x00\x00\x00", 9 }, /* lidt 0x0(,%r12,4) */
	{ L64, 7, "\x0f\x01\x3d\x00\x10\x00\x00", 7 }, /* invlpg 0x1000(%rip) */
	{ L64, 10, "\x48\xb8\x88\x77\x66\x55\x44\x33\x22\x11", 10 },
	{ L64, 10, "\x49\xbf\x00\x00\x00\x00\x00\x00\x00\x80", 10 },
	{ L64, 5, "\xb8\x78\x56\x34\x12", 5 }, /* mov $0x12345678,%eax */
	{ L64, 4, "\x66\xb8\x34\x12", 4 }, /* mov $0x1234,%ax */
	{ L64, 9, "\xa1\x00\x10\x00\x00\x00\x00\x00\x00", 9 }, /* movabs 0x1000,%eax */
	{ L64, 10, "\x48\xa3\xf0\xde\xbc\x9a\x78\x56\x34\x12", 10 },
	{ L64, 6, "\x67\xa1\x00\x10\x00\x00", 6 }, /* addr32 mov 0x1000,%eax */
	{ L64, 7, "\x66\x67\xa3\x00\x10\x00\x00", 7 }, /* addr32 mov %ax,0x1000 */
	{ L64, 9, "\xa0\x11\x22\x33\x44\x55\x66\x77\x88", 9 }, /* movabs 0x8877665544332211,%al */
	{ L64, 7, "\x48\xc7\x00\xff\xff\xff\xff", 7 }, /* movq $0xffffffffffffffff,(%rax) */
	{ L64, 11, "\x48\xc7\x05\x00\x10\x00\x00\x00\x00\x00\x80", 11 },
	{ L64, 6, "\x8b\x05\x10\x00\x00\x00", 6 }, /* mov 0x10(%rip),%eax */
	{ L64, 6, "\x89\x0d\xfc\xff\xff\xff", 6 }, /* mov %ecx,-0x4(%rip) */
	{ L64, 7, "\x4c\x8b\x3d\x00\x00\x00\x00", 7 }, /* mov 0x0(%rip),%r15 */
	{ L64, 7, "\xc6\x05\x00\x10\x00\x00\x01", 7 }, /* movb $0x1,0x1000(%rip) */
	{ L64, 9, "\x66\xc7\x05\x00\x10\x00\x00\x34\x12", 9 }, /* movw $0x1234,0x1000(%rip) */
	{ L64, 3, "\x48\x63\xc8", 3 }, /* movslq %eax,%rcx */
	{ L64, 4, "\x4c\x63\x04\x24", 4 }, /* movslq (%rsp),%r8 */
	{ L64, 4, "\x66\x0f\x01\x10", 4 }, /* data16 lgdt (%rax) */
	{ L64, 3, "\x0f\x01\xf8", 3 }, /* swapgs */
	{ L64, 2, "\x0f\x05", 2 }, /* syscall */
	{ L64, 3, "\x48\x0f\x07", 3 }, /* sysretq */
	{ L64, 5, "\xe8\x00\x00\x00\x00", 5 }, /* call 0xec5 */
	{ L64, 4, "\x66\xe8\x00\x00", 4 }, /* callw 0xee4 */
	{ L64, 6, "\xff\x15\x00\x10\x00\x00", 6 }, /* call *0x1000(%rip) */
	{ L64, 6, "\x0f\x84\x00\x10\x00\x00", 6 }, /* je 0x1f26 */
	{ L64, 5, "\x66\x0f\x84\x00\x10", 5 }, /* je 0x1f45 */
	{ L64, 5, "\x68\x00\x10\x00\x00", 5 }, /* push $0x1000 */
	{ L64, 4, "\x66\x68\x00\x10", 4 }, /* pushw $0x1000 */
	{ L64, 2, "\x6a\x80", 2 }, /* push $0xffffffffffffff80 */
	{ L64, 4, "\xc8\x10\x00\x01", 4 }, /* enter $0x10,$0x1 */
	{ L64, 3, "\xc2\x08\x00", 3 }, /* ret $0x8 */
	{ L64, 7, "\xff\x24\xc5\x00\x10\x00\x00", 7 }, /* jmp *0x1000(,%rax,8) */
	{ L64, 5, "\xf0\x48\x0f\xc7\x0e", 5 }, /* lock cmpxchg16b (%rsi) */
	{ L64, 5, "\xf0\x48\x0f\xb1\x0f", 5 }, /* lock cmpxchg %rcx,(%rdi) */
	{ L64, 3, "\x48\x87\x03", 3 }, /* xchg %rax,(%rbx) */
	{ L64, 4, "\xf0\x80\x08\x01", 4 }, /* lock orb $0x1,(%rax) */
	{ L64, 2, "\x48\xab", 2 }, /* stos %rax,%es:(%rdi) */
	{ L64, 3, "\xf3\x48\xab", 3 }, /* rep stos %rax,%es:(%rdi) */
	{ L64, 2, "\xf3\xa4", 2 }, /* rep movsb %ds:(%rsi),%es:(%rdi) */
	{ L64, 3, "\xf3\x48\xa5", 3 }, /* rep movsq %ds:(%rsi),%es:(%rdi) */
	{ L64, 3, "\x67\xf3\xaa", 3 }, /* rep stos %al,%es:(%edi) */
	{ L64, 3, "\x40\x88\xf0", 3 }, /* mov %sil,%al */
	{ L64, 3, "\x40\x8a\x3e", 3 }, /* mov (%rsi),%dil */
	{ L64, 2, "\x8a\x26", 2 }, /* mov (%rsi),%ah */
	{ L64, 4, "\x41\xc6\x00\xff", 4 }, /* movb $0xff,(%r8) */
	{ L64, 9, "\x64\x48\x8b\x04\x25\x28\x00\x00\x00", 9 }, /* mov %fs:0x28,%rax */
	{ L64, 9, "\x65\x48\x8b\x04\x25\x00\x00\x00\x00", 9 }, /* mov %gs:0x0,%rax */
	{ L64, 10, "\x2e\x66\x0f\x1f\x84\x00\x00\x00\x00\x00", 10 }, /* cs nopw 0x0(%rax,%rax,1) */
	{ L64, 15, "\x66\x66\x66\x66\x66\x66\x2e\x0f\x1f\x84\x00\x00\x00\x00\x00", 15 },
	{ L64, 4, "\xf3\x0f\x1e\xfa", 4 }, /* endbr64 */
	{ L64, 5, "\xf3\x48\x0f\xb8\xc1", 5 }, /* popcnt %rcx,%rax */
	{ L64, 5, "\x66\x0f\x38\x80\x10", 5 }, /* invept (%rax),%rdx */
	{ L64, 6, "\x66\x0f\x3a\x0f\xc1\x08", 6 }, /* palignr $0x8,%xmm1,%xmm0 */
	{ L64, 4, "\x0f\x38\xf0\x07", 4 }, /* movbe (%rdi),%eax */
	{ L64, 6, "\x66\x0f\x78\xc1\x04\x08", 6 }, /* extrq $0x8,$0x4,%xmm1 */
	{ L64, 6, "\xf2\x0f\x78\xc1\x04\x08", 6 }, /* insertq $0x8,$0x4,%xmm1,%xmm0 */
	{ L64, 4, "\x66\x0f\x79\xc1", 4 }, /* extrq %xmm1,%xmm0 */
	{ L64, 3, "\x0f\x78\xc8", 3 }, /* vmread %rcx,%rax */
	{ L64, 3, "\x0f\x79\x01", 3 }, /* vmwrite (%rcx),%rax */
	{ L64, 3, "\x0f\xc7\xf0", 3 }, /* rdrand %eax */
	{ L64, 3, "\x0f\xc7\xf8", 3 }, /* rdseed %eax */
	{ L64, 3, "\x0f\xc7\x30", 3 }, /* vmptrld (%rax) */
	{ L64, 9, "\xf0\x36\x48\xc7\x01\x4a\x9f\xac\xa2", 9 },
	{ L64, 11, "\x66\x0f\x3a\x09\xb4\x30\x6c\xb5\x11\x5c\xf7", 11 },
	{ L64, 2, "\x85\x1e", 2 }, /* test %ebx,(%rsi) */
	{ L64, 7, "\x0f\x96\x8b\x13\x98\xfb\x4a", 7 }, /* setbe 0x4afb9813(%rbx) */
	{ L64, 4, "\x0f\xf5\x73\x39", 4 }, /* pmaddwd 0x39(%rbx),%mm6 */
	{ L64, 2, "\xf0\xf8", 2 }, /* lock clc */
	{ L64, 2, "\x7d\x99", 2 }, /* jge 0xfb */
	{ L64, 4, "\x64\xf0\xf0\xad", 4 },
	{ L64, 3, "\xf3\x66\xfa", 3 }, /* repz data16 cli */
	{ L64, 2, "\xfe\x02", 2 }, /* incb (%rdx) */
	{ L64, 1, "\x90", 1 }, /* nop */
	{ L64, 3, "\x0f\x52\x30", 3 }, /* rsqrtps (%rax),%xmm6 */
	{ L64, 2, "\x84\x2f", 2 }, /* test %ch,(%rdi) */
	{ L64, 6, "\x48\xe9\xff\xf5\x35\x62", 6 }, /* rex.W jmp 0x6235f885 */
	{ L64, 2, "\x4c\xaa", 2 }, /* rex.WR stos %al,%es:(%rdi) */
	{ L64, 2, "\xd0\x2f", 2 }, /* shrb (%rdi) */
	{ L64, 8, "\x65\x3e\xf3\x40\x0f\x5d\x4e\x5f", 8 }, /* gs rex minss %gs:0x5f(%rsi),%xmm1 */
	{ L64, 3, "\x0f\x76\x3b", 3 }, /* pcmpeqd (%rbx),%mm7 */
	{ L64, 2, "\xd9\x1e", 2 }, /* fstps (%rsi) */
	{ L64, 5, "\x4f\x0f\x94\x7d\xb9", 5 }, /* rex.WRXB sete -0x47(%r13) */
	{ L64, 2, "\x48\xfb", 2 }, /* rex.W sti */
	{ L64, 7, "\xf3\x3e\xe8\xf2\xee\xac\x86", 7 }, /* repz ds call 0xffffffff86acf359 */
	{ L64, 3, "\x0f\xfd\x1e", 3 }, /* paddw (%rsi),%mm3 */
	{ L64, 2, "\x41\x93", 2 }, /* xchg %eax,%r11d */
	{ L64, 6, "\x45\x0f\xd3\x64\x6f\x48", 6 }, /* rex.RB psrlq 0x48(%r15,%rbp,2),%mm4 */
	{ L64, 8, "\x3e\x48\x8a\x9d\x29\x43\x8a\xaa", 8 }, /* ds rex.W mov -0x5575bcd7(%rbp),%bl */
	{ L64, 3, "\x0f\x95\xf5", 3 }, /* setne %ch */
	{ L64, 4, "\x4a\x0f\x1b\xd8", 4 }, /* rex.WX nop %rax */
	{ L64, 8, "\x36\x0f\x7e\xab\xea\x55\xa2\xfc", 8 }, /* ss movd %mm5,-0x35daa16(%rbx) */
	{ L64, 8, "\x4e\x0f\xe4\x87\x9d\xdd\x06\x1f", 8 },
	{ L64, 2, "\x7b\xe9", 2 }, /* jnp 0x5eb */
	{ L64, 4, "\x4c\x0f\xb7\xe2", 4 }, /* movzwq %dx,%r12 */
	{ L64, 4, "\x47\x0f\xe9\x13", 4 }, /* rex.RXB psubsw (%r11),%mm2 */
	{ L64, 2, "\x47\xcb", 2 }, /* rex.RXB lret */
	{ L64, 6, "\xf2\x47\x39\x5c\x0a\x6c", 6 }, /* repnz cmp %r11d,0x6c(%r10,%r9,1) */
	{ L64, 11, "\x66\xf3\xa2\x39\x51\x11\x3b\xfe\xd8\xe2\xe8", 11 },
	{ L64, 3, "\xf7\x70\xf2", 3 }, /* divl -0xe(%rax) */
	{ L64, 4, "\x0f\xc4\x26\xe4", 4 }, /* pinsrw $0xe4,(%rsi),%mm4 */
	{ L64, 3, "\x0f\xe3\x0b", 3 }, /* pavgw (%rbx),%mm1 */
	{ L64, 2, "\x34\x56", 2 }, /* xor $0x56,%al */
	{ L64, 6, "\x64\x0f\xbb\x64\xce\xec", 6 }, /* btc %esp,%fs:-0x14(%rsi,%rcx,8) */
	{ L64, 4, "\x4b\x20\x59\xa0", 4 }, /* rex.WXB and %bl,-0x60(%r9) */
	{ L64, 7, "\x0f\x9a\xa9\xeb\x44\xec\x1e", 7 }, /* setp 0x1eec44eb(%rcx) */
	{ L64, 1, "\xec", 1 }, /* in (%dx),%al */
	{ L64, 3, "\x0f\x28\x39", 3 }, /* movaps (%rcx),%xmm7 */
	{ L64, 4, "\x0f\x99\x4e\xc7", 4 }, /* setns -0x39(%rsi) */
	{ L64, 3, "\x65\x41\xae", 3 }, /* gs rex.B scas %es:(%rdi),%al */
	{ L64, 1, "\x96", 1 }, /* xchg %eax,%esi */
	{ L64, 3, "\x4d\xd2\xdf", 3 }, /* rex.WRB rcr %cl,%r15b */
	{ L64, 2, "\xf3\xf5", 2 }, /* repz cmc */
	{ L64, 4, "\xf2\x0f\x02\xc0", 4 }, /* repnz lar %eax,%eax */
	{ L64, 2, "\xa8\x0f", 2 }, /* test $0xf,%al */
	{ L64, 6, "\x0f\x82\x67\xf9\xdb\xec", 6 }, /* jb 0xffffffffecdc034d */
	{ L64, 11, "\x69\xac\xc0\x99\x66\x3a\x6c\x1c\x7f\x84\x2c", 11 },
	{ L64, 2, "\xf0\xaf", 2 }, /* lock scas %es:(%rdi),%eax */
	{ L64, 6, "\x64\x44\x28\x54\x9d\x48", 6 }, /* sub %r10b,%fs:0x48(%rbp,%rbx,4) */
	{ L64, 5, "\x4c\x0f\x16\x53\xdc", 5 }, /* rex.WR movhps -0x24(%rbx),%xmm10 */
	{ L64, 5, "\x0f\xc0\x4c\x02\x6d", 5 }, /* xadd %cl,0x6d(%rdx,%rax,1) */
	{ L64, 4, "\x40\x0f\x63\x02", 4 }, /* rex packsswb (%rdx),%mm0 */
	{ L64, 1, "\x9f", 1 }, /* lahf */
	{ L64, 6, "\x41\x80\x54\xf7\xc5\x23", 6 }, /* adcb $0x23,-0x3b(%r15,%rsi,8) */
	{ L64, 10, "\x36\x4b\x0f\x18\xbc\x23\x46\xe0\x8d\x3a", 10 },
	{ L64, 6, "\x89\x15\x22\x0b\x2b\x50", 6 }, /* mov %edx,0x502b0b22(%rip) */
	{ L64, 2, "\xb5\x0f", 2 }, /* mov $0xf,%ch */
	{ L64, 5, "\x4e\x0f\x47\x4e\xa4", 5 }, /* rex.WRX cmova -0x5c(%rsi),%r9 */
	{ L64, 3, "\x3e\xe5\x76", 3 }, /* ds in $0x76,%eax */
	{ L64, 7, "\x0f\xe2\xa7\x46\xea\xc4\x87", 7 }, /* psrad -0x783b15ba(%rdi),%mm4 */
	{ L64, 1, "\x5f", 1 }, /* pop %rdi */
	{ L64, 2, "\x0f\x30", 2 }, /* wrmsr */
	{ L64, 2, "\x87\xcd", 2 }, /* xchg %ecx,%ebp */
	{ L64, 3, "\x2e\x40\x57", 3 }, /* cs rex push %rdi */
	{ L64, 4, "\xf3\x4b\xf6\xdf", 4 }, /* repz rex.WXB neg %r15b */
	{ L64, 6, "\x47\xb8\x29\xd6\x08\x34", 6 }, /* rex.RXB mov $0x3408d629,%r8d */
	{ L64, 2, "\x7a\xb8", 2 }, /* jp 0xe9a */
	{ L64, 6, "\x41\x35\x9d\x08\xcf\xb9", 6 }, /* rex.B xor $0xb9cf089d,%eax */
	{ L64, 7, "\x4d\x63\x96\xc0\xa4\x4c\xbc", 7 }, /* movslq -0x43b35b40(%r14),%r10 */
	{ L64, 3, "\x0f\x54\xe8", 3 }, /* andps %xmm0,%xmm5 */
	{ L64, 2, "\x4b\x5b", 2 }, /* rex.WXB pop %r11 */
	{ L64, 2, "\xf2\xf4", 2 }, /* repnz hlt */
	{ L64, 5, "\x4f\xc8\xf8\x0a\x47", 5 }, /* rex.WRXB enter $0xaf8,$0x47 */
	{ L64, 2, "\x0f\xc9", 2 }, /* bswap %ecx */
	{ L64, 8, "\x0f\xb4\x84\x32\x49\xda\x8a\xcc", 8 }, /* lfs -0x337525b7(%rdx,%rsi,1),%eax */
	{ L64, 5, "\xf0\xf0\xf3\xf2\xa4", 5 },
	{ L64, 7, "\x36\x29\x98\x08\xb3\x3c\x10", 7 }, /* ss sub %ebx,0x103cb308(%rax) */
	{ L64, 4, "\x0f\x38\x07\x36", 4 }, /* phsubsw (%rsi),%mm6 */
	{ L64, 5, "\x26\x64\x48\xeb\xa4", 5 }, /* es fs rex.W jmp 0x10a9 */
	{ L64, 3, "\x36\x08\xcc", 3 }, /* ss or %cl,%ah */
	{ L64, 2, "\x0f\x05", 2 }, /* syscall */
	{ L64, 1, "\x51", 1 }, /* push %rcx */
	{ L64, 3, "\x4d\x12\x1b", 3 }, /* rex.WRB adc (%r11),%r11b */
	{ L64, 6, "\x64\x68\x34\x74\x62\x83", 6 }, /* fs push $0xffffffff83627434 */
	{ L64, 2, "\x04\xc3", 2 }, /* add $0xc3,%al */
	{ L64, 3, "\x0f\xdf\xd0", 3 }, /* pandn %mm0,%mm2 */
	{ L64, 7, "\x26\x0f\x8f\xd6\x1c\x8a\x27", 7 }, /* es jg 0x278a30bd */
	{ L64, 3, "\x42\xcd\xa8", 3 }, /* rex.X int $0xa8 */
	{ L64, 3, "\x26\x3b\xd8", 3 }, /* es cmp %eax,%ebx */
	{ L64, 9, "\xa0\x12\x7e\x44\x32\xa4\x9f\x2f\xff", 9 }, /* movabs 0xff2f9fa432447e12,%al */
	{ L64, 2, "\x0f\xa0", 2 }, /* push %fs */
	{ L64, 3, "\x0f\x60\x31", 3 }, /* punpcklbw (%rcx),%mm6 */
	{ L64, 2, "\x67\x50", 2 }, /* addr32 push %rax */
	{ L64, 2, "\xb1\x2c", 2 }, /* mov $0x2c,%cl */
	{ L64, 1, "\x5a", 1 }, /* pop %rdx */
	{ L64, 3, "\x64\x4f\xab", 3 }, /* fs rex.WRXB stos %rax,%es:(%rdi) */
	{ L64, 5, "\x66\xf2\x0f\x1e\x27", 5 }, /* repnz nopw (%rdi) */
	{ L64, 4, "\x26\x41\xb6\x58", 4 }, /* es mov $0x58,%r14b */
	{ L64, 3, "\x0f\x5c\xdb", 3 }, /* subps %xmm3,%xmm3 */
	{ L64, 1, "\xa5", 1 }, /* movsl %ds:(%rsi),%es:(%rdi) */
	{ L64, 3, "\x0f\x9f\xca", 3 }, /* setg %dl */
	{ L64, 3, "\x42\x6a\xb5", 3 }, /* rex.X push $0xffffffffffffffb5 */
	{ L64, 6, "\x00\xa7\x3a\x47\x1e\xd6", 6 }, /* add %ah,-0x29e1b8c6(%rdi) */

	{ L64, 5, "\x66\x0f\x38\x80\x08", 5 }, /* invept (%rax),%rcx */
	{ L64, 6, "\x66\x0f\x38\x81\x48\x10", 6 }, /* invvpid 0x10(%rax),%rcx */
	{ L64, 6, "\x66\x0f\x38\x82\x0c\x24", 6 }, /* invpcid (%rsp),%rcx */
	{ P32, 6, "\x66\x0f\x38\x82\x0c\x24", 6 }, /* invpcid (%esp),%ecx */
	{ P16, 5, "\x66\x0f\x38\x82\x0c", 5 }, /* invpcid (%si),%ecx */

	/* invalid: -EINVAL expected */
	{ L64, 0, "\x06", 1 },
	{ L64, 0, "\x07", 1 },
	{ L64, 0, "\x0e", 1 },
	{ L64, 0, "\x16", 1 },
	{ L64, 0, "\x17", 1 },
	{ L64, 0, "\x1e", 1 },
	{ L64, 0, "\x1f", 1 },
	{ L64, 0, "\x27", 1 },
	{ L64, 0, "\x2f", 1 },
	{ L64, 0, "\x37", 1 },
	{ L64, 0, "\x3f", 1 },
	{ L64, 0, "\x60", 1 },
	{ L64, 0, "\x61", 1 },
	{ L64, 0, "\x62\x00\x00\x00\x00", 5 },
	{ L64, 0, "\x82\xc0\x01", 3 },
	{ L64, 0, "\x9a\x00\x00\x00\x00\x08\x00", 7 },
	{ L64, 0, "\xc4\xe2\x79\x18\x00", 5 },
	{ L64, 0, "\xc5\xf8\x77", 3 },
	{ L64, 0, "\xce", 1 },
	{ L64, 0, "\xd4\x0a", 2 },
	{ L64, 0, "\xd5\x0a", 2 },
	{ L64, 0, "\xea\x00\x00\x00\x00\x08\x00", 7 },
	{ L64, 0, "\x48", 1 },
	{ L64, 0, "\x41\x40", 2 },
	{ L64, 0, "\x66", 1 },
	{ L64, 0, "\xf0", 1 },
	{ L64, 0, "\x2e", 1 },
	{ L64, 0, "\x8f\x08\x00", 3 },
	{ L64, 0, "\xe8\x00\x00", 3 },
	{ L64, 0, "\x8b\x04", 2 },
	{ L64, 0, "\x8b\x80\x00\x00\x00", 5 },
	{ L64, 0, "\x48\xb8\x00\x00\x00\x00", 6 },
	{ P32, 0, "\xe8\x00\x00", 3 },
	{ P32, 0, "\x8b\x04", 2 },
	{ P32, 0, "\x8b\x80\x00\x00\x00", 5 },
	{ P32, 0, "\xb8\x00\x00", 3 },
	{ P32, 0, "\x0f\x01\xf8", 3 },
	{ P32, 0, "\xc4\xc0", 2 },
	{ P32, 0, "\xc5\xc0", 2 },
	{ P32, 0, "\x62\xc0", 2 },
	{ P32, 0, "\x8d\xc0", 2 },
	{ P32, 0, "\x0f\xb2\xc0", 3 },
	{ P32, 0, "\x66\x0f\x01\xcc", 4 },
	{ P16, 0, "\x0f\x01\xf8", 3 },
	{ P16, 0, "\xc4\xc0", 2 },
	{ P16, 0, "\xc5\xc0", 2 },
	{ P16, 0, "\x62\xc0", 2 },
	{ P16, 0, "\x8d\xc0", 2 },
	{ P16, 0, "\x0f\xb2\xc0", 3 },
	{ P16, 0, "\x66\x0f\x01\xcc", 4 },
	{ RM, 0, "\x63\x00", 2 },
	{ RM, 0, "\x0f\x00\x00", 3 },
	{ RM, 0, "\x0f\x02\x00", 3 },
	{ RM, 0, "\x0f\x03\x00", 3 },
	{ RM, 0, "\xc5\xc0", 2 },
	{ P16, 0, "\xd6", 1 },
	{ P16, 0, "\x0f\x04", 2 },
	{ P16, 0, "\x0f\x0a", 2 },
	{ P16, 0, "\x0f\x0c", 2 },
	{ P16, 0, "\x0f\x0e", 2 },
	{ P16, 0, "\x0f\x0f\x00\x00\x9e", 5 },
	{ P16, 0, "\x0f\x24\xc0", 3 },
	{ P16, 0, "\x0f\x26\xc0", 3 },
	{ P16, 0, "\x0f\x36", 2 },
	{ P16, 0, "\x0f\x39", 2 },
	{ P16, 0, "\x0f\x3b", 2 },
	{ P16, 0, "\x0f\x3f", 2 },
	{ P16, 0, "\x0f\x7a", 2 },
	{ P16, 0, "\x0f\x7b", 2 },
	{ P16, 0, "\x0f\xa6\xc0", 3 },
	{ P16, 0, "\x0f\xa7\xc0", 3 },
	{ P16, 0, "\x0f\xff\x00", 3 },
	{ P16, 0, "\x0f\x38\xff\x00", 4 },
	{ P16, 0, "\x0f\x3a\xff\x00\x00", 5 },
	{ P16, 0, "\x0f\x38\x50\x00", 4 },
	{ P16, 0, "\x0f\x3a\x00\x00\x00", 5 },
	{ P16, 0, "\x8f\x48\x00", 3 },
	{ P16, 0, "\xc6\xc8\x00", 3 },
	{ P16, 0, "\xc7\x08\x00\x00\x00\x00", 6 },
	{ P16, 0, "\xfe\x10", 2 },
	{ P16, 0, "\xfe\xff", 2 },
	{ P16, 0, "\xff\x38", 2 },
	{ P16, 0, "\xff\xd8", 2 },
	{ P16, 0, "\xff\xe8", 2 },
	{ P16, 0, "\x8c\xf8", 2 },
	{ P16, 0, "\x8e\xc8", 2 },
	{ P16, 0, "\x8e\x38", 2 },
	{ P16, 0, "\x8d\xc0", 2 },
	{ P16, 0, "\xc4\xc0", 2 },
	{ P16, 0, "\x0f\x00\x30", 3 },
	{ P16, 0, "\x0f\x00\x38", 3 },
	{ P16, 0, "\x0f\x01\xc7", 3 },
	{ P16, 0, "\x0f\x01\xcc", 3 },
	{ P16, 0, "\x0f\x01\xd2", 3 },
	{ P16, 0, "\x0f\x01\xe9", 3 },
	{ P16, 0, "\x0f\x01\x28", 3 },
	{ P16, 0, "\x0f\xba\x00\x00", 4 },
	{ P16, 0, "\x0f\xba\xe0", 3 },
	{ P16, 0, "\x0f\xc7\x00", 3 },
	{ P16, 0, "\x0f\xc7\xc8", 3 },
	{ P16, 0, "\x0f\xc7\x10", 3 },
	{ P16, 0, "\x0f\xb8\xc0", 3 },
	{ P16, 0, "\x0f\x0d\xc0", 3 },
	{ P16, 0, "\x0f\xae\xe0", 3 },
	{ P16, 0, "\x0f\xae\xf1", 3 },
	{ P16, 0, "\xf3\x0f\x78\xc0\x00\x00", 6 },
	{ P16, 0, "\x66\x0f\x78\x00\x00\x00", 6 },
	{ P16, 0, "\x0f", 1 },
	{ P16, 0, "\x0f\x38", 2 },
	{ P16, 0, "\x0f\x3a", 2 },
	{ P16, 0, "\xf3", 1 },
	{ P16, 0, "\x66\x67\xf0\xf2", 4 },
	{ P16, 0, "\xcd", 1 },
	{ P16, 0, "\x0f\x01", 2 },
	{ P16, 0, "\x8b", 1 },
	{ P16, 0, "\x8b\x80\x00", 3 },
	{ P16, 0, "\x0f\x20", 2 },
	{ P16, 0, "\x26\x26\x26\x26\x26\x26\x26\x26\x26\x26\x26\x26\x26\x26\x26\x90", 16 },
	{ P16, 0,
	  "\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x2e\x0f\x1f\x84\x00\x00\x00\x00\x00", 20 },
	{ P16, 0, "\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3\x90", 16 },
	{ P16, 0, "\xf2\xf2\xf2\xf2\xf2\xf2\xf2\xf2\xf2\xf2\xf2\xf2\xf2\xf2\x0f\xa2", 16 },
	{ P32, 0, "\xd6", 1 },
	{ P32, 0, "\x0f\x04", 2 },
	{ P32, 0, "\x0f\x0a", 2 },
	{ P32, 0, "\x0f\x0c", 2 },
	{ P32, 0, "\x0f\x0e", 2 },
	{ P32, 0, "\x0f\x0f\x00\x00\x9e", 5 },
	{ P32, 0, "\x0f\x24\xc0", 3 },
	{ P32, 0, "\x0f\x26\xc0", 3 },
	{ P32, 0, "\x0f\x36", 2 },
	{ P32, 0, "\x0f\x39", 2 },
	{ P32, 0, "\x0f\x3b", 2 },
	{ P32, 0, "\x0f\x3f", 2 },
	{ P32, 0, "\x0f\x7a", 2 },
	{ P32, 0, "\x0f\x7b", 2 },
	{ P32, 0, "\x0f\xa6\xc0", 3 },
	{ P32, 0, "\x0f\xa7\xc0", 3 },
	{ P32, 0, "\x0f\xff\x00", 3 },
	{ P32, 0, "\x0f\x38\xff\x00", 4 },
	{ P32, 0, "\x0f\x3a\xff\x00\x00", 5 },
	{ P32, 0, "\x0f\x38\x50\x00", 4 },
	{ P32, 0, "\x0f\x3a\x00\x00\x00", 5 },
	{ P32, 0, "\x8f\x48\x00", 3 },
	{ P32, 0, "\xc6\xc8\x00", 3 },
	{ P32, 0, "\xc7\x08\x00\x00\x00\x00", 6 },
	{ P32, 0, "\xfe\x10", 2 },
	{ P32, 0, "\xfe\xff", 2 },
	{ P32, 0, "\xff\x38", 2 },
	{ P32, 0, "\xff\xd8", 2 },
	{ P32, 0, "\xff\xe8", 2 },
	{ P32, 0, "\x8c\xf8", 2 },
	{ P32, 0, "\x8e\xc8", 2 },
	{ P32, 0, "\x8e\x38", 2 },
	{ P32, 0, "\x8d\xc0", 2 },
	{ P32, 0, "\xc4\xc0", 2 },
	{ P32, 0, "\x0f\x00\x30", 3 },
	{ P32, 0, "\x0f\x00\x38", 3 },
	{ P32, 0, "\x0f\x01\xc7", 3 },
	{ P32, 0, "\x0f\x01\xcc", 3 },
	{ P32, 0, "\x0f\x01\xd2", 3 },
	{ P32, 0, "\x0f\x01\xe9", 3 },
	{ P32, 0, "\x0f\x01\x28", 3 },
	{ P32, 0, "\x0f\xba\x00\x00", 4 },
	{ P32, 0, "\x0f\xba\xe0", 3 },
	{ P32, 0, "\x0f\xc7\x00", 3 },
	{ P32, 0, "\x0f\xc7\xc8", 3 },
	{ P32, 0, "\x0f\xc7\x10", 3 },
	{ P32, 0, "\x0f\xb8\xc0", 3 },
	{ P32, 0, "\x0f\x0d\xc0", 3 },
	{ P32, 0, "\x0f\xae\xe0", 3 },
	{ P32, 0, "\x0f\xae\xf1", 3 },
	{ P32, 0, "\xf3\x0f\x78\xc0\x00\x00", 6 },
	{ P32, 0, "\x66\x0f\x78\x00\x00\x00", 6 },
	{ P32, 0, "\x0f", 1 },
	{ P32, 0, "\x0f\x38", 2 },
	{ P32, 0, "\x0f\x3a", 2 },
	{ P32, 0, "\xf3", 1 },
	{ P32, 0, "\x66\x67\xf0\xf2", 4 },
	{ P32, 0, "\xcd", 1 },
	{ P32, 0, "\x0f\x01", 2 },
	{ P32, 0, "\x8b", 1 },
	{ P32, 0, "\x8b\x80\x00", 3 },
	{ P32, 0, "\x0f\x20", 2 },
	{ P32, 0, "\x26\x26\x26\x26\x26\x26\x26\x26\x26\x26\x26\x26\x26\x26\x26\x90", 16 },
	{ P32, 0,
	  "\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x2e\x0f\x1f\x84\x00\x00\x00\x00\x00", 20 },
	{ P32, 0, "\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3\x90", 16 },
	{ P32, 0, "\xf2\xf2\xf2\xf2\xf2\xf2\xf2\xf2\xf2\xf2\xf2\xf2\xf2\xf2\x0f\xa2", 16 },
	{ L64, 0, "\xd6", 1 },
	{ L64, 0, "\x0f\x04", 2 },
	{ L64, 0, "\x0f\x0a", 2 },
	{ L64, 0, "\x0f\x0c", 2 },
	{ L64, 0, "\x0f\x0e", 2 },
	{ L64, 0, "\x0f\x0f\x00\x00\x9e", 5 },
	{ L64, 0, "\x0f\x24\xc0", 3 },
	{ L64, 0, "\x0f\x26\xc0", 3 },
	{ L64, 0, "\x0f\x36", 2 },
	{ L64, 0, "\x0f\x39", 2 },
	{ L64, 0, "\x0f\x3b", 2 },
	{ L64, 0, "\x0f\x3f", 2 },
	{ L64, 0, "\x0f\x7a", 2 },
	{ L64, 0, "\x0f\x7b", 2 },
	{ L64, 0, "\x0f\xa6\xc0", 3 },
	{ L64, 0, "\x0f\xa7\xc0", 3 },
	{ L64, 0, "\x0f\xff\x00", 3 },
	{ L64, 0, "\x0f\x38\xff\x00", 4 },
	{ L64, 0, "\x0f\x3a\xff\x00\x00", 5 },
	{ L64, 0, "\x0f\x38\x50\x00", 4 },
	{ L64, 0, "\x0f\x3a\x00\x00\x00", 5 },
	{ L64, 0, "\x8f\x48\x00", 3 },
	{ L64, 0, "\xc6\xc8\x00", 3 },
	{ L64, 0, "\xc7\x08\x00\x00\x00\x00", 6 },
	{ L64, 0, "\xfe\x10", 2 },
	{ L64, 0, "\xfe\xff", 2 },
	{ L64, 0, "\xff\x38", 2 },
	{ L64, 0, "\xff\xd8", 2 },
	{ L64, 0, "\xff\xe8", 2 },
	{ L64, 0, "\x8c\xf8", 2 },
	{ L64, 0, "\x8e\xc8", 2 },
	{ L64, 0, "\x8e\x38", 2 },
	{ L64, 0, "\x8d\xc0", 2 },
	{ L64, 0, "\xc4\xc0", 2 },
	{ L64, 0, "\x0f\x00\x30", 3 },
	{ L64, 0, "\x0f\x00\x38", 3 },
	{ L64, 0, "\x0f\x01\xc7", 3 },
	{ L64, 0, "\x0f\x01\xcc", 3 },
	{ L64, 0, "\x0f\x01\xd2", 3 },
	{ L64, 0, "\x0f\x01\xe9", 3 },
	{ L64, 0, "\x0f\x01\x28", 3 },
	{ L64, 0, "\x0f\xba\x00\x00", 4 },
	{ L64, 0, "\x0f\xba\xe0", 3 },
	{ L64, 0, "\x0f\xc7\x00", 3 },
	{ L64, 0, "\x0f\xc7\xc8", 3 },
	{ L64, 0, "\x0f\xc7\x10", 3 },
	{ L64, 0, "\x0f\xb8\xc0", 3 },
	{ L64, 0, "\x0f\x0d\xc0", 3 },
	{ L64, 0, "\x0f\xae\xe0", 3 },
	{ L64, 0, "\x0f\xae\xf1", 3 },
	{ L64, 0, "\xf3\x0f\x78\xc0\x00\x00", 6 },
	{ L64, 0, "\x66\x0f\x78\x00\x00\x00", 6 },
	{ L64, 0, "\x0f", 1 },
	{ L64, 0, "\x0f\x38", 2 },
	{ L64, 0, "\x0f\x3a", 2 },
	{ L64, 0, "\xf3", 1 },
	{ L64, 0, "\x66\x67\xf0\xf2", 4 },
	{ L64, 0, "\xcd", 1 },
	{ L64, 0, "\x0f\x01", 2 },
	{ L64, 0, "\x8b", 1 },
	{ L64, 0, "\x8b\x80\x00", 3 },
	{ L64, 0, "\x0f\x20", 2 },
	{ L64, 0, "\x26\x26\x26\x26\x26\x26\x26\x26\x26\x26\x26\x26\x26\x26\x26\x90", 16 },
	{ L64, 0,
	  "\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x2e\x0f\x1f\x84\x00\x00\x00\x00\x00", 20 },
	{ L64, 0, "\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3\x90", 16 },
	{ L64, 0, "\xf2\xf2\xf2\xf2\xf2\xf2\xf2\xf2\xf2\xf2\xf2\xf2\xf2\xf2\x0f\xa2", 16 },
};

/* A heap copy of exactly n bytes, so that ASan catches any read past them. */
static u8 *exact_copy(const void *bytes, unsigned int n)
{
	u8 *p = malloc(n ? n : 1);

	memcpy(p, bytes, n);
	return p;
}

static int decode_exact(const void *bytes, unsigned int n, enum x86_cpu_mode mode,
			struct x86_insn *insn)
{
	u8 *p = exact_copy(bytes, n);
	int rc = x86_decode_insn(p, n, mode, insn);

	free(p);
	return rc;
}

TEST(length_table)
{
	unsigned int i, valid = 0, invalid = 0;
	struct x86_insn insn;

	for (i = 0; i < ARRAY_SIZE(len_cases); i++) {
		const struct len_case *c = &len_cases[i];
		u8 padded[32];

		if (!c->len) {
			ASSERT_EQ(-EINVAL, decode_exact(c->bytes, c->n, c->mode, &insn))
				TH_LOG("case %u (mode %d) should be invalid", i, c->mode);
			invalid++;
			continue;
		}
		/* exactly the instruction's bytes */
		ASSERT_EQ(0, decode_exact(c->bytes, c->len, c->mode, &insn))
			TH_LOG("case %u (mode %d) not decoded", i, c->mode);
		ASSERT_EQ(c->len, insn.len)
			TH_LOG("case %u (mode %d) wrong length", i, c->mode);
		/* one byte short: truncated */
		ASSERT_EQ(-EINVAL, decode_exact(c->bytes, c->len - 1, c->mode, &insn))
			TH_LOG("case %u (mode %d) truncated but decoded", i, c->mode);
		/* followed by more bytes, as when the caller fetched 15 */
		memset(padded, 0xcc, sizeof(padded));
		memcpy(padded, c->bytes, c->len);
		ASSERT_EQ(0, x86_decode_insn(padded, sizeof(padded), c->mode, &insn));
		ASSERT_EQ(c->len, insn.len)
			TH_LOG("case %u (mode %d) wrong length when padded", i, c->mode);
		valid++;
	}
	ASSERT_GE(valid, 700U);
	ASSERT_GE(invalid, 200U);
}

/* What the 16-bit cases give in real and virtual-8086 mode, minus protected-mode-only ones. */
TEST(length_real_mode)
{
	static const struct { const char *bytes; unsigned int len; } cases[] = {
		{ "\x0f\xa2", 2 },			/* cpuid */
		{ "\x8b\x46\x02", 3 },			/* mov 0x2(%bp),%ax */
		{ "\x66\x8b\x87\x00\x10", 5 },		/* mov 0x1000(%bx),%eax */
		{ "\x67\x8b\x44\x24\x08", 5 },		/* mov 0x8(%esp),%ax */
		{ "\xea\x00\x7c\x00\x00", 5 },		/* ljmp $0,$0x7c00 */
		{ "\x66\xea\x00\x7c\x00\x00\x08\x00", 8 },	/* ljmpl $8,$0x7c00 */
		{ "\xc4\x06\x00\x10", 4 },		/* les 0x1000,%ax */
		{ "\xf3\xa4", 2 },			/* rep movsb */
		{ "\x0f\x01\x16\x00\x10", 5 },		/* lgdt 0x1000 */
		{ "\x0f\x22\xc0", 3 },			/* mov %eax,%cr0 */
	};
	static const char * const invalid[] = {
		"\x63\xc0",		/* ARPL: not recognized in real mode */
		"\x0f\x00\xd8",		/* LTR */
		"\x0f\x02\xc0",		/* LAR */
		"\x0f\x03\xc0",		/* LSL */
		"\xc4\xc0",		/* LES with a register; VEX is not recognized here */
	};
	enum x86_cpu_mode modes[] = { RM, V86 };
	struct x86_insn insn;
	unsigned int i, m;

	for (m = 0; m < 2; m++) {
		for (i = 0; i < ARRAY_SIZE(cases); i++) {
			ASSERT_EQ(0, decode_exact(cases[i].bytes, cases[i].len, modes[m], &insn))
				TH_LOG("case %u mode %d", i, modes[m]);
			ASSERT_EQ(cases[i].len, insn.len);
			ASSERT_EQ(insn.adsize_prefix ? 4U : 2U, insn.ad_bytes);
		}
		for (i = 0; i < ARRAY_SIZE(invalid); i++)
			ASSERT_EQ(-EINVAL, decode_exact(invalid[i], strlen(invalid[i]), modes[m],
							&insn))
				TH_LOG("invalid case %u mode %d", i, modes[m]);
	}
}

TEST(length_limit)
{
	u8 buf[20];
	struct x86_insn insn;

	/* 14 prefixes and a one-byte opcode: exactly 15 bytes, valid */
	memset(buf, 0x26, 14);
	buf[14] = 0x90;
	ASSERT_EQ(0, decode_exact(buf, 15, L64, &insn));
	ASSERT_EQ(15U, insn.len);
	ASSERT_EQ(0, decode_exact(buf, 15, P16, &insn));
	ASSERT_EQ(X86_SEG_ES, insn.seg);
	/* 15 prefixes: 16 bytes, #GP on the CPU */
	memset(buf, 0x66, 15);
	buf[15] = 0x90;
	ASSERT_EQ(-EINVAL, decode_exact(buf, 16, L64, &insn));
	ASSERT_EQ(-EINVAL, x86_decode_insn(buf, sizeof(buf), P32, &insn));
	/* a 16-byte instruction that is complete only past the limit */
	memcpy(buf, "\x66\x66\x66\x66\x66\x66\x66\x2e\x0f\x1f\x84\x00\x00\x00\x00\x00", 16);
	ASSERT_EQ(-EINVAL, x86_decode_insn(buf, 16, L64, &insn));
	ASSERT_EQ(0, x86_decode_insn(buf + 1, 15, L64, &insn));
	ASSERT_EQ(15U, insn.len);
	/* nothing at all */
	ASSERT_EQ(-EINVAL, x86_decode_insn(buf, 0, L64, &insn));
}

TEST(decode_fields)
{
	struct x86_insn insn;

	/* mov 0x100(%rsp),%rax */
	ASSERT_EQ(0, x86_decode_insn((const u8 *)"\x48\x8b\x84\x24\x00\x01\x00\x00", 8, L64,
				     &insn));
	ASSERT_EQ(8U, insn.len);
	ASSERT_EQ(1U, insn.opcode_len);
	ASSERT_EQ(0x8bU, insn.opcode[0]);
	ASSERT_EQ(8U, insn.op_bytes);
	ASSERT_EQ(8U, insn.ad_bytes);
	ASSERT_EQ(0x48U, insn.rex);
	ASSERT_TRUE(insn.has_modrm);
	ASSERT_TRUE(insn.has_sib);
	ASSERT_EQ(0x84U, insn.modrm);
	ASSERT_EQ(0x24U, insn.sib);
	ASSERT_EQ(2U, insn.mod);
	ASSERT_EQ(4, insn.disp_bytes);
	ASSERT_EQ(0x100, insn.disp);
	ASSERT_FALSE(insn.rip_relative);

	/* mov -0x10(%rip),%r9d: REX.R extends reg; negative disp */
	ASSERT_EQ(0, x86_decode_insn((const u8 *)"\x44\x8b\x0d\xf0\xff\xff\xff", 7, L64, &insn));
	ASSERT_TRUE(insn.rip_relative);
	ASSERT_EQ(-16, insn.disp);
	ASSERT_EQ(9U, insn.reg);
	ASSERT_EQ(4U, insn.op_bytes);
	/* the same bytes in 32-bit mode are absolute disp32 */
	ASSERT_EQ(0, x86_decode_insn((const u8 *)"\x8b\x0d\xf0\xff\xff\xff", 6, P32, &insn));
	ASSERT_FALSE(insn.rip_relative);
	ASSERT_EQ(6U, insn.len);

	/* a REX followed by a legacy prefix is ignored: this is mov %ax,%ax */
	ASSERT_EQ(0, x86_decode_insn((const u8 *)"\x48\x66\x89\xc0", 4, L64, &insn));
	ASSERT_EQ(0U, insn.rex);
	ASSERT_EQ(2U, insn.op_bytes);
	/* REX.W wins over 66 */
	ASSERT_EQ(0, x86_decode_insn((const u8 *)"\x66\x48\x89\xc0", 4, L64, &insn));
	ASSERT_EQ(8U, insn.op_bytes);
	ASSERT_TRUE(insn.opsize_prefix);

	/* last segment override and last of F2/F3 count; lock seen */
	ASSERT_EQ(0, x86_decode_insn((const u8 *)"\x64\xf2\xf0\x2e\xf3\x65\xa5", 7, P32, &insn));
	ASSERT_EQ(X86_SEG_GS, insn.seg);
	ASSERT_EQ(0xf3U, insn.rep);
	ASSERT_TRUE(insn.lock);
	ASSERT_EQ(7U, insn.len);

	/* mov r64, imm64 */
	ASSERT_EQ(0, x86_decode_insn((const u8 *)"\x49\xbf\x88\x77\x66\x55\x44\x33\x22\x11", 10,
				     L64, &insn));
	ASSERT_EQ(8U, insn.imm_bytes);
	ASSERT_EQ(0x1122334455667788ULL, insn.imm);
	/* moffs of 8 bytes, of 4 with 67 */
	ASSERT_EQ(0, x86_decode_insn((const u8 *)"\xa1\x08\x07\x06\x05\x04\x03\x02\x01", 9,
				     L64, &insn));
	ASSERT_EQ(8U, insn.imm_bytes);
	ASSERT_EQ(0x0102030405060708ULL, insn.imm);
	ASSERT_EQ(0, x86_decode_insn((const u8 *)"\x67\xa1\x04\x03\x02\x01", 6, L64, &insn));
	ASSERT_EQ(4U, insn.imm_bytes);
	ASSERT_EQ(0x01020304U, insn.imm);
	/* moffs16 in 16-bit code */
	ASSERT_EQ(0, x86_decode_insn((const u8 *)"\xa0\x34\x12", 3, RM, &insn));
	ASSERT_EQ(0x1234U, insn.imm);

	/* ENTER: Iw, Ib; far jump: offset then selector */
	ASSERT_EQ(0, x86_decode_insn((const u8 *)"\xc8\x10\x20\x03", 4, P32, &insn));
	ASSERT_EQ(0x2010U, insn.imm);
	ASSERT_EQ(3U, insn.imm2);
	ASSERT_EQ(0, x86_decode_insn((const u8 *)"\xea\x78\x56\x34\x12\x08\x00", 7, P32, &insn));
	ASSERT_EQ(0x12345678U, insn.imm);
	ASSERT_EQ(8U, insn.imm2);

	/* push defaults to 64 bits, 16 with 66 */
	ASSERT_EQ(0, x86_decode_insn((const u8 *)"\xff\x30", 2, L64, &insn));
	ASSERT_EQ(8U, insn.op_bytes);
	ASSERT_EQ(0, x86_decode_insn((const u8 *)"\x66\xff\x30", 3, L64, &insn));
	ASSERT_EQ(2U, insn.op_bytes);
	/* but inc does not */
	ASSERT_EQ(0, x86_decode_insn((const u8 *)"\xff\x00", 2, L64, &insn));
	ASSERT_EQ(4U, insn.op_bytes);

	/* MOV from CR0 with mod=00: still a register, no displacement */
	ASSERT_EQ(0, x86_decode_insn((const u8 *)"\x0f\x20\x05\xff\xff\xff\xff", 7, P32, &insn));
	ASSERT_EQ(3U, insn.len);
	ASSERT_EQ(3U, insn.mod);
	ASSERT_EQ(5U, insn.rm);

	/* three-byte map */
	ASSERT_EQ(0, x86_decode_insn((const u8 *)"\x66\x0f\x3a\x0f\xc1\x08", 6, L64, &insn));
	ASSERT_EQ(3U, insn.opcode_len);
	ASSERT_EQ(0x3aU, insn.opcode[1]);
	ASSERT_EQ(0x0fU, insn.opcode[2]);
	ASSERT_EQ(8U, insn.imm);

	/* 16-bit addressing: [bp+disp8], no SIB even with r/m=100 */
	ASSERT_EQ(0, x86_decode_insn((const u8 *)"\x8b\x44\x08", 3, RM, &insn));
	ASSERT_FALSE(insn.has_sib);
	ASSERT_EQ(8, insn.disp);
	ASSERT_EQ(0, x86_decode_insn((const u8 *)"\x8b\x06\xfe\xff", 4, RM, &insn));
	ASSERT_EQ(2, insn.disp_bytes);
	ASSERT_EQ(-2, insn.disp);
	/* SIB base=101 with mod=00: disp32, no base */
	ASSERT_EQ(0, x86_decode_insn((const u8 *)"\x8b\x04\x25\x00\x10\x00\x00", 7, L64, &insn));
	ASSERT_EQ(4, insn.disp_bytes);
	ASSERT_FALSE(insn.rip_relative);
}

/* ---------------------------------------------------------------------
 * A fake guest: sparse byte memory, an access log, injectable results
 */

#define MAX_CELLS	256
#define MAX_LOG		16

struct access {
	bool write;
	u64 la;
	unsigned int bytes;
	u64 val;
};

static struct env {
	struct x86_emul_ctxt ctxt;
	u8 insn_bytes[15];
	struct {
		u64 la;
		u8 val;
	} cells[MAX_CELLS];
	unsigned int ncells;
	struct access log[MAX_LOG];
	unsigned int nlog;
	unsigned int writes_this_run;
	bool read_after_write;	/* a read came after this run's write */
	bool many_writes;	/* more than one write in one run */
	unsigned int io_needed;	/* the next n reads return IO_NEEDED */
	int read_rc;		/* non-zero: every read returns it */
	int write_rc;		/* non-zero: every write returns it */
} env;

static u8 cell_get(u64 la)
{
	unsigned int i;

	for (i = 0; i < env.ncells; i++)
		if (env.cells[i].la == la)
			return env.cells[i].val;
	return (u8)(la * 7 + 0x5a);	/* unset bytes: a pattern */
}

static void cell_set(u64 la, u8 val)
{
	unsigned int i;

	for (i = 0; i < env.ncells; i++) {
		if (env.cells[i].la == la) {
			env.cells[i].val = val;
			return;
		}
	}
	if (env.ncells < MAX_CELLS) {
		env.cells[env.ncells].la = la;
		env.cells[env.ncells++].val = val;
	}
}

static void mem_set(u64 la, unsigned int bytes, u64 val)
{
	unsigned int i;

	for (i = 0; i < bytes; i++)
		cell_set(la + i, val >> (8 * i));
}

static u64 mem_get(u64 la, unsigned int bytes)
{
	u64 val = 0;
	unsigned int i;

	for (i = 0; i < bytes; i++)
		val |= (u64)cell_get(la + i) << (8 * i);
	return val;
}

static void log_access(bool write, u64 la, unsigned int bytes, u64 val)
{
	if (env.nlog < MAX_LOG)
		env.log[env.nlog++] = (struct access){ write, la, bytes, val };
}

static int fake_read(void *opaque, u64 la, void *val, unsigned int bytes)
{
	unsigned int i;

	if (opaque != &env || bytes < 1 || bytes > 8)
		abort();
	if (env.writes_this_run)
		env.read_after_write = true;
	log_access(false, la, bytes, 0);
	if (env.io_needed) {
		env.io_needed--;
		return X86EMUL_IO_NEEDED;
	}
	if (env.read_rc == X86EMUL_EXCEPTION) {
		env.ctxt.exception.vector = 14;
		env.ctxt.exception.error_code_valid = true;
		env.ctxt.exception.error_code = 0;
		env.ctxt.exception.address = la;
	}
	if (env.read_rc)
		return env.read_rc;
	for (i = 0; i < bytes; i++)
		((u8 *)val)[i] = cell_get(la + i);
	env.log[env.nlog - 1].val = mem_get(la, bytes);
	return X86EMUL_CONTINUE;
}

static int fake_write(void *opaque, u64 la, const void *val, unsigned int bytes)
{
	u64 v = 0;
	unsigned int i;

	if (opaque != &env || bytes < 1 || bytes > 8)
		abort();
	if (env.writes_this_run++)
		env.many_writes = true;
	for (i = 0; i < bytes; i++)
		v |= (u64)((const u8 *)val)[i] << (8 * i);
	log_access(true, la, bytes, v);
	if (env.write_rc == X86EMUL_EXCEPTION) {
		env.ctxt.exception.vector = 14;
		env.ctxt.exception.error_code_valid = true;
		env.ctxt.exception.error_code = 2;
		env.ctxt.exception.address = la;
	}
	if (env.write_rc)
		return env.write_rc;
	mem_set(la, bytes, v);
	return X86EMUL_CONTINUE;
}

static const struct x86_emul_ops fake_ops = {
	.read = fake_read,
	.write = fake_write,
};

#define RIP0	0x1000ULL

/* A fresh guest in mode, about to run the instruction bytes[0..n). */
static void setup_n(enum x86_cpu_mode mode, const void *bytes, unsigned int n)
{
	unsigned int i;

	memset(&env, 0, sizeof(env));
	memcpy(env.insn_bytes, bytes, n);
	env.ctxt.mode = mode;
	env.ctxt.insn_bytes = env.insn_bytes;
	env.ctxt.insn_avail = n;
	env.ctxt.ops = &fake_ops;
	env.ctxt.opaque = &env;
	env.ctxt.rip = RIP0;
	env.ctxt.rflags = 0x2;
	/* distinct register values, recognisable in failures */
	for (i = 0; i < 16; i++)
		env.ctxt.gpr[i] = 0x1111111111111111ULL * i;
}

#define SETUP(mode, str)	setup_n(mode, str, sizeof(str) - 1)

static int run(void)
{
	env.writes_this_run = 0;
	return x86_emulate_insn(&env.ctxt);
}

#define GPR(r)		env.ctxt.gpr[X86_REG_##r]
#define FLAGS_ALL	(X86_RFLAGS_CF | X86_RFLAGS_PF | X86_RFLAGS_AF | X86_RFLAGS_ZF | \
			 X86_RFLAGS_SF | X86_RFLAGS_OF)

/* ---------------------------------------------------------------------
 * MOV
 */

TEST(mov_store_load_64)
{
	/* mov %rax,(%rbx) */
	SETUP(L64, "\x48\x89\x03");
	GPR(RAX) = 0x1122334455667788ULL;
	GPR(RBX) = 0xfee00000ULL;
	env.ctxt.rflags = 0x2 | X86_RFLAGS_CF | X86_RFLAGS_ZF;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(1U, env.nlog);
	ASSERT_TRUE(env.log[0].write);
	ASSERT_EQ(0xfee00000ULL, env.log[0].la);
	ASSERT_EQ(8U, env.log[0].bytes);
	ASSERT_EQ(0x1122334455667788ULL, env.log[0].val);
	ASSERT_EQ(RIP0 + 3U, env.ctxt.rip);
	ASSERT_EQ(0x2U | X86_RFLAGS_CF | X86_RFLAGS_ZF, env.ctxt.rflags);
	ASSERT_EQ(3U, env.ctxt.insn.len);

	/* mov (%rbx),%ecx zero-extends into RCX */
	SETUP(L64, "\x8b\x0b");
	GPR(RBX) = 0x2000;
	mem_set(0x2000, 4, 0x89abcdef);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x89abcdefULL, GPR(RCX));
	ASSERT_EQ(1U, env.nlog);
	ASSERT_FALSE(env.log[0].write);
	ASSERT_EQ(4U, env.log[0].bytes);
	ASSERT_EQ(RIP0 + 2U, env.ctxt.rip);

	/* mov (%rbx),%cx keeps bits 63:16 */
	SETUP(L64, "\x66\x8b\x0b");
	GPR(RBX) = 0x2000;
	mem_set(0x2000, 2, 0xbeef);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x111111111111beefULL, GPR(RCX));
	ASSERT_EQ(2U, env.log[0].bytes);

	/* mov (%r8),%r15 */
	SETUP(L64, "\x4d\x8b\x38");
	GPR(R8) = 0x3000;
	mem_set(0x3000, 8, 0x0123456789abcdefULL);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x0123456789abcdefULL, GPR(R15));
	ASSERT_EQ(0x3000U, env.log[0].la);
}

TEST(mov_byte_registers)
{
	/* mov (%rbx),%ah: no REX, register 4 is AH */
	SETUP(L64, "\x8a\x23");
	GPR(RBX) = 0x2000;
	mem_set(0x2000, 1, 0xab);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0xabULL << 8U, GPR(RAX));
	ASSERT_EQ(0x4444444444444444ULL, GPR(RSP));

	/* mov (%rbx),%spl: with REX, register 4 is SPL */
	SETUP(L64, "\x40\x8a\x23");
	GPR(RBX) = 0x2000;
	mem_set(0x2000, 1, 0xab);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x44444444444444abULL, GPR(RSP));
	ASSERT_EQ(0U, GPR(RAX));

	/* mov %bh,(%rsi) and mov %dil,(%rsi) */
	SETUP(L64, "\x88\x3e");
	GPR(RBX) = 0xcafe;
	GPR(RSI) = 0x4000;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0xcaU, env.log[0].val);
	ASSERT_EQ(1U, env.log[0].bytes);
	SETUP(L64, "\x40\x88\x3e");
	GPR(RDI) = 0x12345678;
	GPR(RSI) = 0x4000;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x78U, env.log[0].val);

	/* register-to-register: mov %ch,%dl (88 ea) */
	SETUP(P32, "\x88\xea");
	GPR(RCX) = 0x3456;
	GPR(RDX) = 0xffffffff;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0xffffff34ULL, GPR(RDX));
	ASSERT_EQ(0U, env.nlog);
}

TEST(mov_imm)
{
	/* movb $0xab,(%rax) */
	SETUP(L64, "\xc6\x00\xab");
	GPR(RAX) = 0x5000;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(1U, env.log[0].bytes);
	ASSERT_EQ(0xabU, env.log[0].val);
	ASSERT_EQ(RIP0 + 3U, env.ctxt.rip);

	/* movl $0x12345678,(%rax) */
	SETUP(L64, "\xc7\x00\x78\x56\x34\x12");
	GPR(RAX) = 0x5000;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(4U, env.log[0].bytes);
	ASSERT_EQ(0x12345678U, env.log[0].val);

	/* movq $-1,(%rax): imm32 sign-extended to 64 */
	SETUP(L64, "\x48\xc7\x00\xff\xff\xff\xff");
	GPR(RAX) = 0x5000;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(8U, env.log[0].bytes);
	ASSERT_EQ(~0ULL, env.log[0].val);
	SETUP(L64, "\x48\xc7\x00\x00\x00\x00\x80");
	GPR(RAX) = 0x5000;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0xffffffff80000000ULL, env.log[0].val);

	/* movw $0x1234,0x10(%rax) */
	SETUP(L64, "\x66\xc7\x40\x10\x34\x12");
	GPR(RAX) = 0x5000;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(2U, env.log[0].bytes);
	ASSERT_EQ(0x5010U, env.log[0].la);
	ASSERT_EQ(0x1234U, env.log[0].val);
	ASSERT_EQ(RIP0 + 6U, env.ctxt.rip);

	/* RIP-relative with an immediate after the displacement */
	SETUP(L64, "\xc7\x05\x00\x10\x00\x00\x01\x00\x00\x00");
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(RIP0 + 10U + 0x1000U, env.log[0].la);
	ASSERT_EQ(1U, env.log[0].val);

	/* C6 /1 is not MOV */
	SETUP(L64, "\xc6\x08\x00");
	ASSERT_EQ(X86EMUL_UNHANDLEABLE, run());
	ASSERT_EQ(0U, env.nlog);
}

TEST(mov_moffs)
{
	/* movabs 0x0000000012345678,%rax */
	SETUP(L64, "\x48\xa1\x78\x56\x34\x12\x00\x00\x00\x00");
	mem_set(0x12345678, 8, 0xdeadbeefcafef00dULL);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0xdeadbeefcafef00dULL, GPR(RAX));
	ASSERT_EQ(0x12345678U, env.log[0].la);
	ASSERT_EQ(RIP0 + 10U, env.ctxt.rip);

	/* movabs %eax,0x...: 32-bit store */
	SETUP(L64, "\xa3\x00\x00\xe0\xfe\x00\x00\x00\x00");
	GPR(RAX) = 0x1122334455667788ULL;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0xfee00000ULL, env.log[0].la);
	ASSERT_EQ(4U, env.log[0].bytes);
	ASSERT_EQ(0x55667788U, env.log[0].val);

	/* movabs 0x...,%al with an FS override: the FS base counts */
	SETUP(L64, "\x64\xa0\x10\x00\x00\x00\x00\x00\x00\x00");
	env.ctxt.seg_base[X86_SEG_FS] = 0x7f0000000000ULL;
	env.ctxt.seg_base[X86_SEG_DS] = 0x100000;	/* ignored in 64-bit mode */
	mem_set(0x7f0000000010ULL, 1, 0x42);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x7f0000000010ULL, env.log[0].la);
	ASSERT_EQ(0x42U, GPR(RAX) & 0xff);
	ASSERT_EQ(0U, GPR(RAX) >> 8);

	/* addr32: a 4-byte moffs */
	SETUP(L64, "\x67\xa2\x00\x10\x00\x00");
	GPR(RAX) = 0x99;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x1000U, env.log[0].la);
	ASSERT_EQ(RIP0 + 6U, env.ctxt.rip);

	/* 32-bit mode: DS base added, linear address wraps at 4 GiB */
	SETUP(P32, "\xa1\x00\x00\x00\xf0");
	env.ctxt.seg_base[X86_SEG_DS] = 0x20000000;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x10000000U, env.log[0].la);
	ASSERT_EQ(4U, env.log[0].bytes);

	/* real mode: 16-bit moffs, DS base */
	SETUP(RM, "\xa1\x34\x12");
	env.ctxt.seg_base[X86_SEG_DS] = 0xb8000;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0xb9234U, env.log[0].la);
	ASSERT_EQ(2U, env.log[0].bytes);
	ASSERT_EQ(RIP0 + 3U, env.ctxt.rip);
}

TEST(movzx_movsx)
{
	/* movzbl (%rbx),%eax */
	SETUP(L64, "\x0f\xb6\x03");
	GPR(RBX) = 0x2000;
	mem_set(0x2000, 1, 0x80);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x80U, GPR(RAX));
	ASSERT_EQ(1U, env.log[0].bytes);

	/* movzwq (%rbx),%rax */
	SETUP(L64, "\x48\x0f\xb7\x03");
	GPR(RBX) = 0x2000;
	mem_set(0x2000, 2, 0x8001);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x8001U, GPR(RAX));
	ASSERT_EQ(2U, env.log[0].bytes);

	/* movsbq (%rbx),%rax */
	SETUP(L64, "\x48\x0f\xbe\x03");
	GPR(RBX) = 0x2000;
	mem_set(0x2000, 1, 0x80);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0xffffffffffffff80ULL, GPR(RAX));

	/* movswl (%rbx),%eax: sign-extended to 32, zero-extended to 64 */
	SETUP(L64, "\x0f\xbf\x03");
	GPR(RBX) = 0x2000;
	mem_set(0x2000, 2, 0x8000);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0xffff8000ULL, GPR(RAX));

	/* movsbw (%rbx),%ax keeps bits 63:16 */
	SETUP(L64, "\x66\x0f\xbe\x03");
	GPR(RBX) = 0x2000;
	mem_set(0x2000, 1, 0xfe);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0xfffeU, GPR(RAX));

	/* movzbl %bh,%ecx (register source, high byte) */
	SETUP(P32, "\x0f\xb6\xcf");
	GPR(RBX) = 0x9a00;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x9aU, GPR(RCX));
	ASSERT_EQ(0U, env.nlog);
}

TEST(movsxd)
{
	/* movslq (%rbx),%rax */
	SETUP(L64, "\x48\x63\x03");
	GPR(RBX) = 0x2000;
	mem_set(0x2000, 4, 0x80000000);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0xffffffff80000000ULL, GPR(RAX));
	ASSERT_EQ(4U, env.log[0].bytes);

	/* without REX.W: a 32-bit move */
	SETUP(L64, "\x63\x03");
	GPR(RBX) = 0x2000;
	mem_set(0x2000, 4, 0x80000000);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x80000000ULL, GPR(RAX));

	/* 16-bit operand size: vendor-specific, refused */
	SETUP(L64, "\x66\x63\x03");
	ASSERT_EQ(X86EMUL_UNHANDLEABLE, run());
	/* ARPL outside 64-bit mode */
	SETUP(P32, "\x63\x03");
	ASSERT_EQ(X86EMUL_UNHANDLEABLE, run());
	ASSERT_EQ(0U, env.nlog);
}

/* ---------------------------------------------------------------------
 * Effective addresses
 */

/* 16-bit ModRM forms (SDM vol. 2A, Table 2-1) with distinct DS and SS bases. */
TEST(addressing_16)
{
	static const struct {
		const char *bytes;
		unsigned int len;
		u64 ea;
		bool ss;
	} cases[] = {
		{ "\x8b\x00", 2, 0x1000 + 0x0300, false },		/* (%bx,%si) */
		{ "\x8b\x01", 2, 0x1000 + 0x0400, false },		/* (%bx,%di) */
		{ "\x8b\x02", 2, 0x0200 + 0x0300, true },		/* (%bp,%si) */
		{ "\x8b\x03", 2, 0x0200 + 0x0400, true },		/* (%bp,%di) */
		{ "\x8b\x04", 2, 0x0300, false },			/* (%si) */
		{ "\x8b\x05", 2, 0x0400, false },			/* (%di) */
		{ "\x8b\x06\x34\x12", 4, 0x1234, false },		/* disp16 */
		{ "\x8b\x07", 2, 0x1000, false },			/* (%bx) */
		{ "\x8b\x46\xfe", 3, 0x01fe, true },			/* -2(%bp) */
		{ "\x8b\x47\x10", 3, 0x1010, false },			/* 0x10(%bx) */
		{ "\x8b\x80\x00\xf0", 4, 0x0300, false },		/* wraps at 64 KiB */
		{ "\x8b\x86\x00\x01", 4, 0x0300, true },		/* 0x100(%bp) */
		{ "\x3e\x8b\x46\x00", 4, 0x0200, false },		/* %ds:0(%bp) */
		{ "\x26\x8b\x07", 3, 0x1000, false },			/* %es:(%bx) */
		{ "\x67\x8b\x44\x24\x08", 5, 0x0508, true },		/* 8(%esp): SIB */
		{ "\x67\x8b\x04\x5e", 4, 0x0300 + 2 * 0x1000, false },	/* (%esi,%ebx,2) */
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		u64 base;

		setup_n(RM, cases[i].bytes, cases[i].len);
		GPR(RBX) = 0xffff0000 | 0x1000;	/* upper bits ignored */
		GPR(RBP) = 0x0200;
		GPR(RSI) = 0x0300;
		GPR(RDI) = 0x0400;
		GPR(RSP) = 0x0500;
		env.ctxt.seg_base[X86_SEG_DS] = 0x10000;
		env.ctxt.seg_base[X86_SEG_SS] = 0x20000;
		env.ctxt.seg_base[X86_SEG_ES] = 0x30000;
		if (i == 15)
			GPR(RBX) = 0x1000;
		ASSERT_EQ(X86EMUL_CONTINUE, run()) TH_LOG("case %u", i);
		ASSERT_EQ(1U, env.nlog);
		if (cases[i].bytes[0] == 0x26)
			base = 0x30000;
		else if (cases[i].ss)
			base = 0x20000;
		else
			base = 0x10000;
		ASSERT_EQ(base + cases[i].ea, env.log[0].la) TH_LOG("case %u", i);
		ASSERT_EQ(2U, env.log[0].bytes);
		ASSERT_EQ(RIP0 + cases[i].len, env.ctxt.rip);
	}

	/* 66: 32-bit operand in 16-bit code */
	SETUP(P16, "\x66\x8b\x07");
	GPR(RBX) = 0x10;
	env.ctxt.seg_base[X86_SEG_DS] = 0x100000;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x100010U, env.log[0].la);
	ASSERT_EQ(4U, env.log[0].bytes);
}

TEST(addressing_32)
{
	static const struct {
		const char *bytes;
		unsigned int len;
		u64 la;
	} cases[] = {
		/* (%eax,%ecx,4): DS */
		{ "\x8b\x14\x88", 3, 0x10000 + 0x1000 + 4 * 0x20 },
		/* 8(%esp): SS */
		{ "\x8b\x54\x24\x08", 4, 0x20000 + 0x8000 + 8 },
		/* 4(%ebp): SS */
		{ "\x8b\x55\x04", 3, 0x20000 + 0x9000 + 4 },
		/* 0x100(,%ecx,8): no base, DS */
		{ "\x8b\x14\xcd\x00\x01\x00\x00", 7, 0x10000 + 0x100 + 8 * 0x20 },
		/* 0(%ebp,%ecx,1): base EBP with SIB, SS */
		{ "\x8b\x54\x0d\x00", 4, 0x20000 + 0x9000 + 0x20 },
		/* (%eax,%eiz): index 100b is none */
		{ "\x8b\x14\x20", 3, 0x10000 + 0x1000 },
		/* disp32 absolute */
		{ "\x8b\x15\x00\x00\xe0\xfe", 6, (0x10000 + 0xfee00000ULL) },
		/* -4(%eax): wraps within 32 bits */
		{ "\x8b\x50\xfc", 3, 0x10000 + 0x1000 - 4 },
		/* %fs:(%eax) */
		{ "\x64\x8b\x10", 3, 0x40000 + 0x1000 },
		/* %ss:(%eax) */
		{ "\x36\x8b\x10", 3, 0x20000 + 0x1000 },
		/* 67: 16-bit addressing (%bx,%si) */
		{ "\x67\x8b\x10", 3, 0x10000 + ((0x3000 + 0x5000) & 0xffff) },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		setup_n(P32, cases[i].bytes, cases[i].len);
		GPR(RAX) = 0x1000;
		GPR(RCX) = 0x20;
		GPR(RSP) = 0x8000;
		GPR(RBP) = 0x9000;
		GPR(RBX) = 0xffff3000;
		GPR(RSI) = 0x5000;
		env.ctxt.seg_base[X86_SEG_DS] = 0x10000;
		env.ctxt.seg_base[X86_SEG_SS] = 0x20000;
		env.ctxt.seg_base[X86_SEG_FS] = 0x40000;
		ASSERT_EQ(X86EMUL_CONTINUE, run()) TH_LOG("case %u", i);
		ASSERT_EQ((u32)cases[i].la, env.log[0].la) TH_LOG("case %u", i);
		ASSERT_EQ(RIP0 + cases[i].len, env.ctxt.rip);
	}

	/* the sum of base and offset wraps at 4 GiB */
	SETUP(P32, "\x8b\x10");
	GPR(RAX) = 0x10;
	env.ctxt.seg_base[X86_SEG_DS] = 0xfffffff0ULL;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0U, env.log[0].la);
	/* so does EIP */
	SETUP(P32, "\x8b\x10");
	env.ctxt.rip = 0xffffffff;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(1U, env.ctxt.rip);
}

TEST(addressing_64)
{
	/* RIP-relative: from the next instruction */
	SETUP(L64, "\x8b\x05\x00\x01\x00\x00");
	env.ctxt.rip = 0xffffffff81000000ULL;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0xffffffff81000106ULL, env.log[0].la);
	ASSERT_EQ(0xffffffff81000006ULL, env.ctxt.rip);
	/* negative displacement, REX prefix counted in the length */
	SETUP(L64, "\x4c\x8b\x3d\xf0\xff\xff\xff");
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(RIP0 + 7U - 0x10U, env.log[0].la);
	ASSERT_EQ(8U, env.log[0].bytes);
	/* RIP-relative with 67: truncated to 32 bits */
	SETUP(L64, "\x67\x8b\x05\x00\x00\x00\x00");
	env.ctxt.rip = 0x100000000ULL + 0x2000;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x2007U, env.log[0].la);

	/* (%r12): base r12 needs a SIB */
	SETUP(L64, "\x41\x8b\x04\x24");
	GPR(R12) = 0x7000;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x7000U, env.log[0].la);
	/* 0(%r13): mod=01 needed, r13 is not RIP-relative */
	SETUP(L64, "\x41\x8b\x45\x00");
	GPR(R13) = 0x8000;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x8000U, env.log[0].la);
	/* (%rax,%r12,8): REX.X index 12 is a real index */
	SETUP(L64, "\x42\x8b\x04\xe0");
	GPR(RAX) = 0x1000;
	GPR(R12) = 0x10;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x1080U, env.log[0].la);
	/* 0x10(%r13,%r9,2) */
	SETUP(L64, "\x43\x8b\x44\x4d\x10");
	GPR(R13) = 0x1000;
	GPR(R9) = 0x100;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x1210U, env.log[0].la);
	/* addr32: (%eax) uses EAX only */
	SETUP(L64, "\x67\x8b\x00");
	GPR(RAX) = 0xffffffff00001234ULL;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x1234U, env.log[0].la);
	/* addr32 wrap: -1(%eax) with EAX=0 */
	SETUP(L64, "\x67\x8b\x40\xff");
	GPR(RAX) = 0;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0xffffffffULL, env.log[0].la);

	/* GS base counts; DS, ES, SS, CS bases are ignored */
	SETUP(L64, "\x65\x8b\x00");
	GPR(RAX) = 0x10;
	env.ctxt.seg_base[X86_SEG_GS] = 0xffff888000000000ULL;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0xffff888000000010ULL, env.log[0].la);
	SETUP(L64, "\x26\x8b\x00");
	GPR(RAX) = 0x10;
	env.ctxt.seg_base[X86_SEG_ES] = 0x5000;
	env.ctxt.seg_base[X86_SEG_DS] = 0x5000;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x10U, env.log[0].la);
	/* a 64-bit wrap of base + offset */
	SETUP(L64, "\x48\x8b\x40\xf0");
	GPR(RAX) = 0x8;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0xfffffffffffffff8ULL, env.log[0].la);
}

TEST(non_canonical)
{
	struct x86_emul_ctxt before;

	/* (%rbx) non-canonical: #GP(0) without calling back */
	SETUP(L64, "\x8b\x03");
	GPR(RBX) = 0x0000800000000000ULL;
	before = env.ctxt;
	ASSERT_EQ(X86EMUL_EXCEPTION, run());
	ASSERT_EQ(X86_VEC_GP, env.ctxt.exception.vector);
	ASSERT_TRUE(env.ctxt.exception.error_code_valid);
	ASSERT_EQ(0U, env.ctxt.exception.error_code);
	ASSERT_EQ(0U, env.nlog);
	ASSERT_EQ(0, memcmp(before.gpr, env.ctxt.gpr, sizeof(before.gpr)));
	ASSERT_EQ(before.rip, env.ctxt.rip);
	/* through RBP the segment is SS: #SS(0) */
	SETUP(L64, "\x8b\x45\x00");
	GPR(RBP) = 0x0000800000000000ULL;
	ASSERT_EQ(X86EMUL_EXCEPTION, run());
	ASSERT_EQ(X86_VEC_SS, env.ctxt.exception.vector);
	/* the last byte counts too */
	SETUP(L64, "\x48\x89\x03");
	GPR(RBX) = 0x00007ffffffffffcULL;
	ASSERT_EQ(X86EMUL_EXCEPTION, run());
	ASSERT_EQ(0U, env.nlog);
	/* canonical with LA57 */
	SETUP(L64, "\x8b\x03");
	GPR(RBX) = 0x0000800000000000ULL;
	env.ctxt.la57 = true;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x0000800000000000ULL, env.log[0].la);
	SETUP(L64, "\x8b\x03");
	GPR(RBX) = 0x0100000000000000ULL;
	env.ctxt.la57 = true;
	ASSERT_EQ(X86EMUL_EXCEPTION, run());
}

/* ---------------------------------------------------------------------
 * String instructions
 */

TEST(stos)
{
	/* stos %al,%es:(%rdi) */
	SETUP(L64, "\xaa");
	GPR(RAX) = 0x77;
	GPR(RDI) = 0x6000;
	env.ctxt.seg_base[X86_SEG_ES] = 0x100000;	/* ignored in 64-bit mode */
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x6000U, env.log[0].la);
	ASSERT_EQ(1U, env.log[0].bytes);
	ASSERT_EQ(0x77U, env.log[0].val);
	ASSERT_EQ(0x6001U, GPR(RDI));
	ASSERT_EQ(RIP0 + 1U, env.ctxt.rip);

	/* stos %rax with DF=1 */
	SETUP(L64, "\x48\xab");
	GPR(RAX) = 0x0102030405060708ULL;
	GPR(RDI) = 0x6000;
	env.ctxt.rflags |= X86_RFLAGS_DF;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(8U, env.log[0].bytes);
	ASSERT_EQ(0x0102030405060708ULL, env.log[0].val);
	ASSERT_EQ(0x5ff8U, GPR(RDI));
	ASSERT_EQ(0x2U | X86_RFLAGS_DF, env.ctxt.rflags);

	/* 32-bit mode: ES base, even with a segment override */
	SETUP(P32, "\x64\xab");
	GPR(RAX) = 0xaabbccdd;
	GPR(RDI) = 0x10;
	env.ctxt.seg_base[X86_SEG_ES] = 0x100000;
	env.ctxt.seg_base[X86_SEG_FS] = 0x200000;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x100010U, env.log[0].la);
	ASSERT_EQ(4U, env.log[0].bytes);
	ASSERT_EQ(0x14U, GPR(RDI));
}

TEST(rep_stos_iterations)
{
	unsigned int i;

	/* rep stos %rax: one iteration per call, RIP moves at the end */
	SETUP(L64, "\xf3\x48\xab");
	GPR(RAX) = 0x55;
	GPR(RCX) = 3;
	GPR(RDI) = 0x6000;
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(X86EMUL_CONTINUE, run());
		ASSERT_EQ(i + 1U, env.nlog);
		ASSERT_EQ(0x6000U + 8U * i, env.log[i].la);
		ASSERT_EQ(2U - i, GPR(RCX));
		ASSERT_EQ(0x6000U + 8U * (i + 1U), GPR(RDI));
		ASSERT_EQ(i == 2U ? RIP0 + 3U : RIP0, env.ctxt.rip);
	}

	/* count 0: nothing but RIP */
	SETUP(L64, "\xf3\xaa");
	GPR(RCX) = 0;
	GPR(RDI) = 0x6000;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0U, env.nlog);
	ASSERT_EQ(0x6000U, GPR(RDI));
	ASSERT_EQ(RIP0 + 2U, env.ctxt.rip);

	/* addr32: ECX and EDI, written back zero-extended; EDI wraps */
	SETUP(L64, "\x67\xf3\xaa");
	GPR(RCX) = 0x100000002ULL;
	GPR(RDI) = 0x00000077ffffffffULL;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0xffffffffULL, env.log[0].la);
	ASSERT_EQ(1U, GPR(RCX));
	ASSERT_EQ(0U, GPR(RDI));
	ASSERT_EQ(RIP0, env.ctxt.rip);
	/* addr32 with ECX=0 but RCX not: no iteration */
	SETUP(L64, "\x67\xf3\xaa");
	GPR(RCX) = 0x100000000ULL;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0U, env.nlog);
	ASSERT_EQ(RIP0 + 3U, env.ctxt.rip);

	/* 16-bit: CX and DI, bits 63:16 kept, DI wraps at 64 KiB */
	SETUP(RM, "\xf3\xab");
	GPR(RCX) = 0xabcd0000 | 2;
	GPR(RDI) = 0x1234ffff;
	GPR(RAX) = 0xbeef;
	env.ctxt.seg_base[X86_SEG_ES] = 0xa0000;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0xaffffU, env.log[0].la);
	ASSERT_EQ(2U, env.log[0].bytes);
	ASSERT_EQ(0xbeefU, env.log[0].val);
	ASSERT_EQ(0xabcd0001ULL, GPR(RCX));
	ASSERT_EQ(0x12340001ULL, GPR(RDI));
	ASSERT_EQ(RIP0, env.ctxt.rip);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0xa0001U, env.log[1].la);
	ASSERT_EQ(0xabcd0000ULL, GPR(RCX));
	ASSERT_EQ(RIP0 + 2U, env.ctxt.rip);

	/* F2 acts as F3 */
	SETUP(P32, "\xf2\xaa");
	GPR(RCX) = 2;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(1U, GPR(RCX));
	ASSERT_EQ(RIP0, env.ctxt.rip);
}

TEST(movs)
{
	/* movsb: DS:RSI to ES:RDI */
	SETUP(L64, "\xa4");
	GPR(RSI) = 0x2000;
	GPR(RDI) = 0x3000;
	mem_set(0x2000, 1, 0x5a);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(2U, env.nlog);
	ASSERT_FALSE(env.log[0].write);
	ASSERT_EQ(0x2000U, env.log[0].la);
	ASSERT_TRUE(env.log[1].write);
	ASSERT_EQ(0x3000U, env.log[1].la);
	ASSERT_EQ(0x5aU, env.log[1].val);
	ASSERT_EQ(0x2001U, GPR(RSI));
	ASSERT_EQ(0x3001U, GPR(RDI));
	ASSERT_EQ(RIP0 + 1U, env.ctxt.rip);

	/* rep movsl in 32-bit mode with DF=1, FS override on the source */
	SETUP(P32, "\xf3\x64\xa5");
	GPR(RSI) = 0x100;
	GPR(RDI) = 0x200;
	GPR(RCX) = 2;
	env.ctxt.rflags |= X86_RFLAGS_DF;
	env.ctxt.seg_base[X86_SEG_FS] = 0x10000;
	env.ctxt.seg_base[X86_SEG_DS] = 0x20000;
	env.ctxt.seg_base[X86_SEG_ES] = 0x30000;
	mem_set(0x10100, 4, 0x11223344);
	mem_set(0x100fc, 4, 0x55667788);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x10100U, env.log[0].la);
	ASSERT_EQ(0x30200U, env.log[1].la);
	ASSERT_EQ(0x11223344U, env.log[1].val);
	ASSERT_EQ(0xfcU, GPR(RSI));
	ASSERT_EQ(0x1fcU, GPR(RDI));
	ASSERT_EQ(1U, GPR(RCX));
	ASSERT_EQ(RIP0, env.ctxt.rip);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x100fcU, env.log[2].la);
	ASSERT_EQ(0x301fcU, env.log[3].la);
	ASSERT_EQ(0x55667788U, env.log[3].val);
	ASSERT_EQ(0U, GPR(RCX));
	ASSERT_EQ(RIP0 + 3U, env.ctxt.rip);
	ASSERT_FALSE(env.read_after_write);
	ASSERT_FALSE(env.many_writes);

	/* movsq */
	SETUP(L64, "\x48\xa5");
	GPR(RSI) = 0x2000;
	GPR(RDI) = 0x3000;
	mem_set(0x2000, 8, 0x8877665544332211ULL);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(8U, env.log[1].bytes);
	ASSERT_EQ(0x8877665544332211ULL, env.log[1].val);
	ASSERT_EQ(0x2008U, GPR(RSI));
}

TEST(lods)
{
	/* lods %ds:(%rsi),%al */
	SETUP(L64, "\xac");
	GPR(RAX) = 0xffffffffffffffffULL;
	GPR(RSI) = 0x2000;
	mem_set(0x2000, 1, 0x12);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0xffffffffffffff12ULL, GPR(RAX));
	ASSERT_EQ(0x2001U, GPR(RSI));
	/* lods %eax zero-extends */
	SETUP(L64, "\xad");
	GPR(RAX) = 0xffffffffffffffffULL;
	GPR(RSI) = 0x2000;
	mem_set(0x2000, 4, 0x12345678);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x12345678ULL, GPR(RAX));
	ASSERT_EQ(0x2004U, GPR(RSI));
	ASSERT_EQ(0U, env.many_writes);
}

/* ---------------------------------------------------------------------
 * The MMIO contract: IO_NEEDED, failures, at most one write
 */

/* A snapshot of everything an instruction may change. */
struct regs {
	u64 gpr[16];
	u64 rip, rflags;
};

static struct regs snap(void)
{
	struct regs r;

	memcpy(r.gpr, env.ctxt.gpr, sizeof(r.gpr));
	r.rip = env.ctxt.rip;
	r.rflags = env.ctxt.rflags;
	return r;
}

static bool same(const struct regs *a)
{
	struct regs b = snap();

	return !memcmp(a, &b, sizeof(b));
}

TEST(io_needed_then_rerun)
{
	struct regs before;

	/* mov (%rbx),%eax: the read goes to userspace, then completes */
	SETUP(L64, "\x8b\x03");
	GPR(RBX) = 0xfee00030;
	mem_set(0xfee00030, 4, 0x14);
	env.io_needed = 1;
	before = snap();
	ASSERT_EQ(X86EMUL_IO_NEEDED, run());
	ASSERT_TRUE(same(&before));
	ASSERT_EQ(1U, env.nlog);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x14U, GPR(RAX));
	ASSERT_EQ(RIP0 + 2U, env.ctxt.rip);
	ASSERT_EQ(2U, env.nlog);
	ASSERT_EQ(env.log[0U].la, env.log[1].la);
	ASSERT_EQ(env.log[0U].bytes, env.log[1].bytes);

	/* rep movsw from MMIO: no write before the read completes */
	SETUP(L64, "\x66\xf3\xa5");
	GPR(RSI) = 0x2000;
	GPR(RDI) = 0x3000;
	GPR(RCX) = 5;
	mem_set(0x2000, 2, 0xabcd);
	env.io_needed = 1;
	before = snap();
	ASSERT_EQ(X86EMUL_IO_NEEDED, run());
	ASSERT_TRUE(same(&before));
	ASSERT_EQ(1U, env.nlog);
	ASSERT_FALSE(env.log[0].write);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(3U, env.nlog);
	ASSERT_TRUE(env.log[2].write);
	ASSERT_EQ(0xabcdU, env.log[2].val);
	ASSERT_EQ(4U, GPR(RCX));
	ASSERT_EQ(0x2002U, GPR(RSI));
	ASSERT_EQ(0x3002U, GPR(RDI));
	ASSERT_EQ(RIP0, env.ctxt.rip);

	/* add %eax,(%rbx) on MMIO: read, and the write only on the re-run */
	SETUP(L64, "\x01\x03");
	GPR(RAX) = 1;
	GPR(RBX) = 0x4000;
	mem_set(0x4000, 4, 41);
	env.io_needed = 1;
	before = snap();
	ASSERT_EQ(X86EMUL_IO_NEEDED, run());
	ASSERT_TRUE(same(&before));
	ASSERT_EQ(1U, env.nlog);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(3U, env.nlog);
	ASSERT_TRUE(env.log[2].write);
	ASSERT_EQ(42U, env.log[2].val);
	ASSERT_EQ(42U, mem_get(0x4000, 4));
	ASSERT_FALSE(env.read_after_write);
}

/* Every emulated form, failing in each way: registers as on entry. */
TEST(failure_leaves_registers)
{
	static const struct {
		enum x86_cpu_mode mode;
		const char *bytes;
		unsigned int len;
		bool reads;
		bool writes;
	} cases[] = {
		{ L64, "\x8b\x03", 2, true, false },			/* mov (%rbx),%eax */
		{ L64, "\x48\x89\x03", 3, false, true },		/* mov %rax,(%rbx) */
		{ L64, "\xc7\x03\x01\x00\x00\x00", 6, false, true },	/* movl $1,(%rbx) */
		{ L64, "\x48\xa1\x00\x10\x00\x00\x00\x00\x00\x00", 10, true, false },
		{ L64, "\x0f\xb6\x03", 3, true, false },		/* movzbl */
		{ L64, "\x48\x63\x03", 3, true, false },		/* movslq */
		{ L64, "\xf3\x48\xab", 3, false, true },		/* rep stosq */
		{ L64, "\xf3\xa4", 2, true, true },			/* rep movsb */
		{ L64, "\xac", 1, true, false },			/* lodsb */
		{ L64, "\x87\x03", 2, true, true },			/* xchg */
		{ L64, "\xf0\x01\x03", 3, true, true },			/* lock add */
		{ L64, "\x83\x2b\x01", 3, true, true },			/* subl $1 */
		{ L64, "\x39\x03", 2, true, false },			/* cmp */
		{ L64, "\xf6\x03\x01", 3, true, false },		/* testb */
		{ P32, "\x8b\x03", 2, true, false },
		{ RM, "\xf3\xa5", 2, true, true },
		{ RM, "\x00\x07", 2, true, true },
	};
	static const int rcs[] = { X86EMUL_IO_NEEDED, X86EMUL_UNHANDLEABLE, X86EMUL_EXCEPTION };
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		for (j = 0; j < 2 * 3; j++) {
			bool on_write = j >= 3;
			int rc = rcs[j % 3];
			struct regs before;

			if ((on_write && !cases[i].writes) || (!on_write && !cases[i].reads))
				continue;
			if (on_write && rc == X86EMUL_IO_NEEDED)
				continue;	/* writes are queued, never IO_NEEDED */
			setup_n(cases[i].mode, cases[i].bytes, cases[i].len);
			GPR(RBX) = 0x4000;
			GPR(RSI) = 0x4000;
			GPR(RDI) = 0x5000;
			GPR(RCX) = 3;
			env.ctxt.rflags = 0x2 | X86_RFLAGS_CF;
			if (on_write)
				env.write_rc = rc;
			else if (rc == X86EMUL_IO_NEEDED)
				env.io_needed = 1;
			else
				env.read_rc = rc;
			before = snap();
			ASSERT_EQ(rc, run()) TH_LOG("case %u, %s fails with %d", i,
						    on_write ? "write" : "read", rc);
			ASSERT_TRUE(same(&before)) TH_LOG("case %u, rc %d", i, rc);
			if (rc == X86EMUL_EXCEPTION)
				ASSERT_EQ(14U, env.ctxt.exception.vector);
			/* a failed read is never followed by a write */
			if (!on_write)
				ASSERT_EQ(0U, env.writes_this_run) TH_LOG("case %u", i);
			ASSERT_FALSE(env.many_writes);
		}
	}
}

TEST(unhandleable)
{
	static const struct {
		enum x86_cpu_mode mode;
		const char *bytes;
		unsigned int len;
	} cases[] = {
		{ L64, "\x0f\xa2", 2 },			/* cpuid */
		{ L64, "\xf0\x89\x03", 3 },		/* lock mov: #UD */
		{ L64, "\xf0\x8b\x03", 3 },		/* lock mov load */
		{ L64, "\xf0\x39\x03", 3 },		/* lock cmp */
		{ L64, "\xf0\x80\x3b\x01", 4 },		/* lock cmpb $1 */
		{ L64, "\xf0\x01\xc0", 3 },		/* lock add with a register destination */
		{ L64, "\xf0\x03\x03", 3 },		/* lock add to a register */
		{ L64, "\xf0\x85\x03", 3 },		/* lock test */
		{ L64, "\xf0\xaa", 2 },			/* lock stos */
		{ L64, "\xf0\x87\xc0", 3 },		/* lock xchg of registers */
		{ L64, "\xf6\x13", 2 },			/* not */
		{ L64, "\xff\x03", 2 },			/* inc */
		{ L64, "\x0f\x11\x03", 3 },		/* movups */
		{ L64, "\xa6", 1 },			/* cmpsb */
		{ L64, "\x06", 1 },			/* invalid in 64-bit mode */
		{ L64, "\x8b", 1 },			/* truncated */
		{ L64, "", 0 },
		{ P32, "\x0f\x38\x00\x00", 4 },		/* pshufb */
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct regs before;

		setup_n(cases[i].mode, cases[i].bytes, cases[i].len);
		GPR(RBX) = 0x4000;
		before = snap();
		ASSERT_EQ(X86EMUL_UNHANDLEABLE, run()) TH_LOG("case %u", i);
		ASSERT_TRUE(same(&before));
		ASSERT_EQ(0U, env.nlog) TH_LOG("case %u", i);
	}

	/* a context without callbacks */
	SETUP(L64, "\x8b\x03");
	env.ctxt.ops = NULL;
	ASSERT_EQ(X86EMUL_UNHANDLEABLE, run());
}

TEST(lock_accepted)
{
	/* lock add %eax,(%rbx); lock orb $1,(%rbx); lock xchg; xchg is locked anyway */
	SETUP(L64, "\xf0\x01\x03");
	GPR(RBX) = 0x4000;
	GPR(RAX) = 2;
	mem_set(0x4000, 4, 3);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(5U, mem_get(0x4000, 4));
	SETUP(L64, "\xf0\x80\x0b\x01");
	GPR(RBX) = 0x4000;
	mem_set(0x4000, 1, 0x10);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x11U, mem_get(0x4000, 1));
	SETUP(L64, "\xf0\x87\x03");
	GPR(RBX) = 0x4000;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	SETUP(L64, "\xf0\x83\x33\xff");		/* lock xorl $-1 */
	GPR(RBX) = 0x4000;
	mem_set(0x4000, 4, 0x0f0f0f0f);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0xf0f0f0f0U, mem_get(0x4000, 4));
}

/* ---------------------------------------------------------------------
 * XCHG, TEST, CMP, ALU
 */

TEST(xchg)
{
	/* xchg %eax,(%rbx) */
	SETUP(L64, "\x87\x03");
	GPR(RAX) = 0xffffffff00000001ULL;
	GPR(RBX) = 0x4000;
	mem_set(0x4000, 4, 0x12345678);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(2U, env.nlog);
	ASSERT_FALSE(env.log[0].write);
	ASSERT_TRUE(env.log[1].write);
	ASSERT_EQ(1U, env.log[1].val);
	ASSERT_EQ(0x12345678ULL, GPR(RAX));
	ASSERT_EQ(RIP0 + 2U, env.ctxt.rip);

	/* xchg %ah,(%rbx) */
	SETUP(L64, "\x86\x23");
	GPR(RAX) = 0xab00;
	GPR(RBX) = 0x4000;
	mem_set(0x4000, 1, 0xcd);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0xabU, env.log[1].val);
	ASSERT_EQ(0xcd00U, GPR(RAX));

	/* xchg %rcx,%rdx (register form) */
	SETUP(L64, "\x48\x87\xca");
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x1111111111111111ULL, GPR(RDX));
	ASSERT_EQ(0x2222222222222222ULL, GPR(RCX));
	ASSERT_EQ(0U, env.nlog);
}

TEST(test_cmp_flags)
{
	/* testb $0x80,(%rbx) on 0x80: SF, not ZF; CF/OF cleared */
	SETUP(L64, "\xf6\x03\x80");
	GPR(RBX) = 0x4000;
	mem_set(0x4000, 1, 0x80);
	env.ctxt.rflags = 0x2 | X86_RFLAGS_CF | X86_RFLAGS_OF;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x2U | X86_RFLAGS_SF, env.ctxt.rflags);
	ASSERT_EQ(1U, env.nlog);
	ASSERT_EQ(RIP0 + 3U, env.ctxt.rip);

	/* testl $0x100,(%rbx): ZF and PF */
	SETUP(L64, "\xf7\x03\x00\x01\x00\x00");
	GPR(RBX) = 0x4000;
	mem_set(0x4000, 4, 0xff);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x2U | X86_RFLAGS_ZF | X86_RFLAGS_PF, env.ctxt.rflags);
	ASSERT_EQ(RIP0 + 6U, env.ctxt.rip);

	/* testq $-1,(%rbx): imm32 sign-extended */
	SETUP(L64, "\x48\xf7\x03\xff\xff\xff\xff");
	GPR(RBX) = 0x4000;
	mem_set(0x4000, 8, 0x8000000000000000ULL);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x2U | X86_RFLAGS_SF | X86_RFLAGS_PF, env.ctxt.rflags);

	/* test %eax,(%rbx) (85), and F6 /1 (alias of /0) */
	SETUP(L64, "\x85\x03");
	GPR(RAX) = 3;
	GPR(RBX) = 0x4000;
	mem_set(0x4000, 4, 1);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x2U, env.ctxt.rflags);
	SETUP(L64, "\xf6\x0b\x01");
	GPR(RBX) = 0x4000;
	mem_set(0x4000, 1, 2);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x2U | X86_RFLAGS_ZF | X86_RFLAGS_PF, env.ctxt.rflags);

	/* cmp %eax,(%rbx): mem - eax, no write */
	SETUP(L64, "\x39\x03");
	GPR(RAX) = 2;
	GPR(RBX) = 0x4000;
	mem_set(0x4000, 4, 1);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(1U, env.nlog);
	ASSERT_EQ(0x2U | X86_RFLAGS_CF | X86_RFLAGS_SF | X86_RFLAGS_AF | X86_RFLAGS_PF,
		  env.ctxt.rflags);
	ASSERT_EQ(2U, GPR(RAX));
	/* cmp (%rbx),%eax: eax - mem */
	SETUP(L64, "\x3b\x03");
	GPR(RAX) = 2;
	GPR(RBX) = 0x4000;
	mem_set(0x4000, 4, 1);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x2U, env.ctxt.rflags);
	/* cmpb $0x80,(%rbx) with 0x7f: OF */
	SETUP(L64, "\x80\x3b\x80");
	GPR(RBX) = 0x4000;
	mem_set(0x4000, 1, 0x7f);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x2U | X86_RFLAGS_CF | X86_RFLAGS_SF | X86_RFLAGS_OF | X86_RFLAGS_PF,
		  env.ctxt.rflags);
	ASSERT_EQ(1U, env.nlog);
	/* cmpl $-1,(%rbx) with -1 (83 /7, Ib sign-extended): equal */
	SETUP(L64, "\x83\x3b\xff");
	GPR(RBX) = 0x4000;
	mem_set(0x4000, 4, 0xffffffff);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x2U | X86_RFLAGS_ZF | X86_RFLAGS_PF, env.ctxt.rflags);
	/* cmpw $0x1234,(%rbx) (81 /7 Iw) */
	SETUP(L64, "\x66\x81\x3b\x34\x12");
	GPR(RBX) = 0x4000;
	mem_set(0x4000, 2, 0x1234);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x2U | X86_RFLAGS_ZF | X86_RFLAGS_PF, env.ctxt.rflags);
	ASSERT_EQ(RIP0 + 5U, env.ctxt.rip);
}

TEST(alu_memory_destination)
{
	static const struct {
		const char *bytes;
		unsigned int len;
		unsigned int size;
		u64 mem, reg, result;
		bool cf_in;
	} cases[] = {
		{ "\x00\x03", 2, 1, 0xff, 0x01, 0x00, false },			/* add %al */
		{ "\x01\x03", 2, 4, 0xfffffff0, 0x20, 0x10, false },		/* add %eax */
		{ "\x48\x01\x03", 3, 8, 1ULL << 63, 1ULL << 63, 0, false },	/* add %rax */
		{ "\x08\x03", 2, 1, 0x0f, 0xf0, 0xff, false },			/* or */
		{ "\x09\x03", 2, 4, 0x1, 0x2, 0x3, false },
		{ "\x10\x03", 2, 1, 0x10, 0x01, 0x12, true },		/* adc */
		{ "\x11\x03", 2, 4, 0x10, 0x01, 0x11, false },
		{ "\x18\x03", 2, 1, 0x10, 0x01, 0x0e, true },		/* sbb */
		{ "\x19\x03", 2, 4, 0x10, 0x01, 0x0f, false },
		{ "\x20\x03", 2, 1, 0xf3, 0x3f, 0x33, false },			/* and */
		{ "\x21\x03", 2, 4, 0xffff0000, 0x00ffff00, 0x00ff0000, false },
		{ "\x28\x03", 2, 1, 0x00, 0x01, 0xff, false },			/* sub */
		{ "\x66\x29\x03", 3, 2, 0x1000, 0x1, 0x0fff, false },
		{ "\x30\x03", 2, 1, 0xaa, 0xff, 0x55, false },			/* xor */
		{ "\x48\x31\x03", 3, 8, ~0ULL, ~0ULL, 0, false },
		{ "\x80\x03\x01", 3, 1, 0x7f, 0, 0x80, false },		/* addb $1 */
		/* addl $0x80000000 */
		{ "\x81\x03\x00\x00\x00\x80", 6, 4, 1, 0, 0x80000001, false },
		{ "\x48\x81\x03\x00\x00\x00\x80", 7, 8, 0, 0, 0xffffffff80000000ULL, false },
		{ "\x83\x2b\x01", 3, 4, 0, 0, 0xffffffff, false },		/* subl $1 */
		{ "\x48\x83\x23\xf0", 4, 8, ~0ULL, 0, ~0xfULL, false },	/* andq $-16 */
		{ "\x66\x83\x0b\x80", 4, 2, 0, 0, 0xff80, false },		/* orw $-128 */
		{ "\x83\x13\x00", 3, 4, 0xffffffff, 0, 0, true },	/* adcl $0 */
		{ "\x80\x1b\x00", 3, 1, 0, 0, 0xff, true },		/* sbbb $0 */
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		setup_n(L64, cases[i].bytes, cases[i].len);
		GPR(RAX) = cases[i].reg;
		GPR(RBX) = 0x4000;
		if (cases[i].cf_in)
			env.ctxt.rflags |= X86_RFLAGS_CF;
		mem_set(0x4000, cases[i].size, cases[i].mem);
		ASSERT_EQ(X86EMUL_CONTINUE, run()) TH_LOG("case %u", i);
		ASSERT_EQ(2U, env.nlog) TH_LOG("case %u", i);
		ASSERT_FALSE(env.log[0].write);
		ASSERT_TRUE(env.log[1].write);
		ASSERT_EQ(cases[i].size, env.log[0].bytes) TH_LOG("case %u", i);
		ASSERT_EQ(cases[i].size, env.log[1].bytes);
		ASSERT_EQ(cases[i].result, env.log[1].val) TH_LOG("case %u", i);
		ASSERT_EQ(cases[i].reg, GPR(RAX));
		ASSERT_EQ(RIP0 + cases[i].len, env.ctxt.rip);
	}
}

TEST(alu_register_destination)
{
	/* add (%rbx),%eax: zero-extends, flags */
	SETUP(L64, "\x03\x03");
	GPR(RAX) = 0xffffffff7fffffffULL;
	GPR(RBX) = 0x4000;
	mem_set(0x4000, 4, 1);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x80000000ULL, GPR(RAX));
	ASSERT_EQ(0x2U | X86_RFLAGS_OF | X86_RFLAGS_SF | X86_RFLAGS_AF | X86_RFLAGS_PF,
		  env.ctxt.rflags);
	ASSERT_EQ(1U, env.nlog);
	/* sub (%rbx),%cl */
	SETUP(L64, "\x2a\x0b");
	GPR(RCX) = 0x105;
	GPR(RBX) = 0x4000;
	mem_set(0x4000, 1, 6);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x1ffU, GPR(RCX));
	ASSERT_EQ(0x2U | X86_RFLAGS_CF | X86_RFLAGS_SF | X86_RFLAGS_AF | X86_RFLAGS_PF,
		  env.ctxt.rflags);
	/* and $0xf,%al (24 Ib) and or $0x80000000,%eax (0d Iz) */
	SETUP(L64, "\x24\x0f");
	GPR(RAX) = 0x1234;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x1204U, GPR(RAX));
	SETUP(L64, "\x48\x0d\x00\x00\x00\x80");
	GPR(RAX) = 1;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0xffffffff80000001ULL, GPR(RAX));
	ASSERT_EQ(0U, env.nlog);
	/* cmp $1,%eax (3d): no change */
	SETUP(L64, "\x3d\x01\x00\x00\x00");
	GPR(RAX) = 1;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(1U, GPR(RAX));
	ASSERT_EQ(0x2U | X86_RFLAGS_ZF | X86_RFLAGS_PF, env.ctxt.rflags);
	/* test $0x1,%al (a8) */
	SETUP(L64, "\xa8\x01");
	GPR(RAX) = 0x10;
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0x2U | X86_RFLAGS_ZF | X86_RFLAGS_PF, env.ctxt.rflags);
	/* 82 is 80 outside 64-bit mode: addb $1,(%ebx) */
	SETUP(P32, "\x82\x03\x01");
	GPR(RBX) = 0x4000;
	mem_set(0x4000, 1, 0xff);
	ASSERT_EQ(X86EMUL_CONTINUE, run());
	ASSERT_EQ(0U, mem_get(0x4000, 1));
	ASSERT_EQ(0x2U | X86_RFLAGS_CF | X86_RFLAGS_ZF | X86_RFLAGS_AF | X86_RFLAGS_PF,
		  env.ctxt.rflags);
}

#if defined(__x86_64__)
/*
 * The flags of the eight ALU operations and TEST, against the CPU running
 * the tests: "op %rcx-sized,%rax-sized" through the emulator (register
 * form) and natively.  AF after logic operations is undefined and masked.
 */
#define HOST_FN(name, insn)						\
static void name(u64 a, u64 b, u64 fin, u64 *res, u64 *flags)		\
{									\
	u64 fout;							\
									\
	asm("sub $128, %%rsp; push %[fin]; popfq; " insn ";"		\
	    "pushfq; pop %[fout]; add $128, %%rsp"			\
	    : [a] "+q"(a), [fout] "=&r"(fout)				\
	    : [b] "q"(b), [fin] "r"(fin) : "cc", "memory");		\
	*res = a;							\
	*flags = fout;							\
}

HOST_FN(host_addb, "addb %b[b], %b[a]")
HOST_FN(host_addw, "addw %w[b], %w[a]")
HOST_FN(host_addl, "addl %k[b], %k[a]")
HOST_FN(host_addq, "addq %q[b], %q[a]")
HOST_FN(host_orb, "orb %b[b], %b[a]")
HOST_FN(host_orw, "orw %w[b], %w[a]")
HOST_FN(host_orl, "orl %k[b], %k[a]")
HOST_FN(host_orq, "orq %q[b], %q[a]")
HOST_FN(host_adcb, "adcb %b[b], %b[a]")
HOST_FN(host_adcw, "adcw %w[b], %w[a]")
HOST_FN(host_adcl, "adcl %k[b], %k[a]")
HOST_FN(host_adcq, "adcq %q[b], %q[a]")
HOST_FN(host_sbbb, "sbbb %b[b], %b[a]")
HOST_FN(host_sbbw, "sbbw %w[b], %w[a]")
HOST_FN(host_sbbl, "sbbl %k[b], %k[a]")
HOST_FN(host_sbbq, "sbbq %q[b], %q[a]")
HOST_FN(host_andb, "andb %b[b], %b[a]")
HOST_FN(host_andw, "andw %w[b], %w[a]")
HOST_FN(host_andl, "andl %k[b], %k[a]")
HOST_FN(host_andq, "andq %q[b], %q[a]")
HOST_FN(host_subb, "subb %b[b], %b[a]")
HOST_FN(host_subw, "subw %w[b], %w[a]")
HOST_FN(host_subl, "subl %k[b], %k[a]")
HOST_FN(host_subq, "subq %q[b], %q[a]")
HOST_FN(host_xorb, "xorb %b[b], %b[a]")
HOST_FN(host_xorw, "xorw %w[b], %w[a]")
HOST_FN(host_xorl, "xorl %k[b], %k[a]")
HOST_FN(host_xorq, "xorq %q[b], %q[a]")
HOST_FN(host_cmpb, "cmpb %b[b], %b[a]")
HOST_FN(host_cmpw, "cmpw %w[b], %w[a]")
HOST_FN(host_cmpl, "cmpl %k[b], %k[a]")
HOST_FN(host_cmpq, "cmpq %q[b], %q[a]")
HOST_FN(host_testb, "testb %b[b], %b[a]")
HOST_FN(host_testw, "testw %w[b], %w[a]")
HOST_FN(host_testl, "testl %k[b], %k[a]")
HOST_FN(host_testq, "testq %q[b], %q[a]")

typedef void (*host_fn)(u64 a, u64 b, u64 fin, u64 *res, u64 *flags);

static u64 rnd_state = 0x2545f4914f6cdd1dULL;

static u64 rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

TEST(alu_flags_match_cpu)
{
	static const host_fn host[9][4] = {
		{ host_addb, host_addw, host_addl, host_addq },
		{ host_orb, host_orw, host_orl, host_orq },
		{ host_adcb, host_adcw, host_adcl, host_adcq },
		{ host_sbbb, host_sbbw, host_sbbl, host_sbbq },
		{ host_andb, host_andw, host_andl, host_andq },
		{ host_subb, host_subw, host_subl, host_subq },
		{ host_xorb, host_xorw, host_xorl, host_xorq },
		{ host_cmpb, host_cmpw, host_cmpl, host_cmpq },
		{ host_testb, host_testw, host_testl, host_testq },
	};
	static const u64 edge[] = {
		0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x7fffffff,
		0x80000000, 0xffffffff, 0x7fffffffffffffffULL, 0x8000000000000000ULL, ~0ULL,
		0x0f, 0x10, 0xf0f0f0f0f0f0f0f0ULL,
	};
	static const unsigned int sizes[4] = { 1, 2, 4, 8 };
	unsigned int op, s, i, checked = 0;

	for (op = 0; op < 9; op++) {
		for (s = 0; s < 4; s++) {
			for (i = 0; i < 400; i++) {
				unsigned int ne = ARRAY_SIZE(edge);
				u64 a = i < ne * ne ? edge[i % ne] : rnd();
				u64 b = i < ne * ne ? edge[i / ne] : rnd();
				u64 fin = 0x2 | (rnd() & FLAGS_ALL);
				u64 hres, hflags, mask = FLAGS_ALL;
				u8 insn[4];
				unsigned int n = 0;

				if (i >= ne * ne && (i & 1)) {
					a &= 0xff;	/* small values hit AF/CF cases */
					b &= 0xff;
				}
				host[op][s](a, b, fin, &hres, &hflags);
				/* op %ecx,%eax: r/m = rax (0), reg = rcx (1) */
				if (sizes[s] == 2)
					insn[n++] = 0x66;
				if (sizes[s] == 8)
					insn[n++] = 0x48;
				insn[n++] = op == 8 ? 0x84 | (sizes[s] > 1) :
						(op << 3) | (sizes[s] > 1);
				insn[n++] = 0xc8;
				setup_n(L64, insn, n);
				GPR(RAX) = a;
				GPR(RCX) = b;
				env.ctxt.rflags = fin;
				ASSERT_EQ(X86EMUL_CONTINUE, run());
				if (op == 1 || op == 4 || op == 6 || op == 8)
					mask &= ~X86_RFLAGS_AF;
				ASSERT_EQ(hflags & mask, env.ctxt.rflags & mask)
					TH_LOG("op %u size %u a %llx b %llx fin %llx", op,
					       sizes[s], a, b, fin);
				ASSERT_EQ(fin & ~FLAGS_ALL, env.ctxt.rflags & ~FLAGS_ALL);
				ASSERT_EQ(hres, GPR(RAX))
					TH_LOG("op %u size %u a %llx b %llx", op, sizes[s], a, b);
				checked++;
			}
		}
	}
	ASSERT_EQ(9U * 4U * 400U, checked);
}
#endif

TEST_HARNESS_MAIN
