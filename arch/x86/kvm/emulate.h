/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86 instruction decoder and MMIO emulator.
 *
 * Pure logic: no kernel or libc dependency beyond <kestrel/pure.h>, so the
 * same source builds into kestrel.ko and into the user-space unit and fuzz
 * tests (tools/testing/unit, tools/testing/fuzz).
 *
 * Two entry points:
 *
 * x86_decode_insn() decodes one instruction from a byte buffer: prefixes,
 * opcode, ModRM/SIB, displacement and immediates.  Its main user is the
 * length: skipping an intercepted instruction on a CPU without NRIP save.
 *
 * x86_emulate_insn() decodes and executes the one instruction at CS:RIP
 * whose bytes the caller fetched, for the instructions that access MMIO (see
 * emulate.c for the list).  Guest memory is reached only through the
 * read/write callbacks, by linear address.  Nothing in the context changes
 * unless the instruction completes (X86EMUL_CONTINUE): on any other result
 * gpr[], rip and rflags are exactly as on entry, so the caller may re-run
 * the same instruction later.
 */
#ifndef KESTREL_X86_EMULATE_H
#define KESTREL_X86_EMULATE_H

#include <kestrel/pure.h>

/*
 * The execution mode the caller derives from CR0.PE, RFLAGS.VM, EFER.LMA
 * and CS.L/CS.D.  Compatibility mode (EFER.LMA=1, CS.L=0) is PROT16 or
 * PROT32 by CS.D.
 */
enum x86_cpu_mode {
	X86_MODE_REAL,
	X86_MODE_VM86,
	X86_MODE_PROT16,
	X86_MODE_PROT32,
	X86_MODE_LONG64,
};

/* Segment registers in the order of their encoding (SDM vol. 2A, 3.1.1.3). */
enum x86_seg {
	X86_SEG_ES,
	X86_SEG_CS,
	X86_SEG_SS,
	X86_SEG_DS,
	X86_SEG_FS,
	X86_SEG_GS,
	X86_SEG_NONE,
};

/* General purpose registers in the order of their encoding. */
enum x86_reg {
	X86_REG_RAX, X86_REG_RCX, X86_REG_RDX, X86_REG_RBX,
	X86_REG_RSP, X86_REG_RBP, X86_REG_RSI, X86_REG_RDI,
	X86_REG_R8, X86_REG_R9, X86_REG_R10, X86_REG_R11,
	X86_REG_R12, X86_REG_R13, X86_REG_R14, X86_REG_R15,
};

#define X86_RFLAGS_CF	BIT(0)
#define X86_RFLAGS_PF	BIT(2)
#define X86_RFLAGS_AF	BIT(4)
#define X86_RFLAGS_ZF	BIT(6)
#define X86_RFLAGS_SF	BIT(7)
#define X86_RFLAGS_DF	BIT(10)
#define X86_RFLAGS_OF	BIT(11)

/* Exception vectors the emulator itself may report in ctxt->exception. */
#define X86_VEC_SS	12
#define X86_VEC_GP	13

#define X86EMUL_CONTINUE	0	/* done: registers updated, RIP advanced */
#define X86EMUL_IO_NEEDED	1	/* an MMIO read went to userspace: re-run later */
#define X86EMUL_UNHANDLEABLE	2	/* unknown/unsupported instruction or decode error */
#define X86EMUL_EXCEPTION	3	/* a guest fault; ctxt->exception says which */

/* The architectural limit on instruction length (SDM vol. 2A, 2.3.11). */
#define X86_MAX_INSN_LEN	15

/* Result of decoding one instruction. */
struct x86_insn {
	u8 len;			/* 1..15, prefixes included */
	u8 opcode[3];		/* e.g. {0x0f, 0xb6} or {0x0f, 0x38, 0xf0} */
	u8 opcode_len;		/* 1..3 */
	u8 op_bytes;		/* effective operand size: 2, 4 or 8 */
	u8 ad_bytes;		/* effective address size: 2, 4 or 8 */
	u8 rep;			/* last of 0xf3/0xf2, or 0 */
	u8 seg;			/* enum x86_seg: last override, or X86_SEG_NONE */
	bool opsize_prefix;	/* 0x66 seen */
	bool adsize_prefix;	/* 0x67 seen */
	bool lock;		/* 0xf0 seen */
	u8 rex;			/* REX byte in effect (0x40..0x4f), or 0 */
	bool has_modrm;
	bool has_sib;
	u8 modrm, sib;
	/* ModRM fields; reg and rm extended by REX.R and REX.B. */
	u8 mod, reg, rm;
	bool rip_relative;	/* 64-bit mode, mod=00 r/m=101: disp is RIP-relative */
	u8 disp_bytes;		/* 0, 1, 2 or 4 */
	s64 disp;		/* sign-extended */
	u8 imm_bytes;		/* bytes of the first immediate (moffs, rel, imm) */
	u8 imm2_bytes;		/* bytes of the second (ENTER, far pointer, EXTRQ) */
	u64 imm;		/* first immediate, as encoded, zero-extended */
	u64 imm2;		/* second immediate, as encoded, zero-extended */
};

struct x86_emul_ops {
	/*
	 * Access guest memory at linear address la (not necessarily aligned,
	 * may cross a page: the callback splits it).  Return X86EMUL_CONTINUE;
	 * or, for read, X86EMUL_IO_NEEDED when the read went to userspace:
	 * the caller re-runs the same instruction once the data is there, and
	 * the same read then returns it; or X86EMUL_UNHANDLEABLE, or
	 * X86EMUL_EXCEPTION after filling ctxt->exception.  Any result other
	 * than X86EMUL_CONTINUE is passed up as is and the instruction has no
	 * effect on registers.
	 *
	 * write is called at most once per instruction, and only after every
	 * read of that instruction succeeded.  An MMIO write that must go to
	 * userspace should be queued and X86EMUL_CONTINUE returned: the
	 * instruction is then complete and must not be re-run.
	 */
	int (*read)(void *opaque, u64 la, void *val, unsigned int bytes);
	int (*write)(void *opaque, u64 la, const void *val, unsigned int bytes);
};

struct x86_emul_exception {
	u8 vector;
	bool error_code_valid;
	u32 error_code;
	u64 address;		/* #PF: the faulting linear address (CR2) */
};

struct x86_emul_ctxt {
	enum x86_cpu_mode mode;
	/*
	 * CR4.LA57 in long mode: linear addresses are canonical in 57 bits
	 * instead of 48.  A non-canonical access is #GP(0), or #SS(0) through
	 * SS, without calling back.
	 */
	bool la57;
	u64 gpr[16];		/* enum x86_reg order: in/out */
	u64 rip, rflags;	/* in/out */
	/* Segment bases, enum x86_seg order; only FS/GS count in 64-bit mode. */
	u64 seg_base[6];
	/* Up to 15 bytes at CS:RIP, fetched by the caller. */
	const u8 *insn_bytes;
	unsigned int insn_avail;
	const struct x86_emul_ops *ops;
	void *opaque;		/* first argument of the callbacks */
	struct x86_insn insn;	/* out: what was decoded, for diagnostics */
	struct x86_emul_exception exception;	/* set with X86EMUL_EXCEPTION */
};

int x86_decode_insn(const u8 *bytes, unsigned int avail, enum x86_cpu_mode mode,
		    struct x86_insn *insn);
int x86_emulate_insn(struct x86_emul_ctxt *ctxt);

#endif /* KESTREL_X86_EMULATE_H */
