// SPDX-License-Identifier: GPL-2.0
/*
 * x86 instruction decoder and MMIO emulator (see emulate.h for the API).
 *
 * References: Intel SDM vol. 2 (instruction formats in 2.1 and 2.2, the
 * opcode maps in appendix A of vol. 2D), AMD APM vol. 3 (chapter 1 and
 * appendix A).  Where the two vendors differ, AMD is followed, since this
 * decoder's length is needed on AMD CPUs without NRIP save; Intel VMX
 * always reports the instruction length in the VMCS.
 *
 * Decoding covers every legacy-encoded instruction of the one-byte, 0F,
 * 0F38 and 0F3A maps.  VEX, EVEX and XOP encodings (and AMD 3DNow!, gone
 * since family 15h) are rejected: none of them is ever intercepted.  An
 * opcode is rejected when it does not exist in the mode; an existing SSE
 * opcode with a mandatory prefix (none/66/F2/F3) or ModRM form it does not
 * define is accepted with its length, since that only changes #UD.
 *
 * Emulation covers what compilers and kernels emit to access MMIO:
 *   MOV 88/89/8A/8B, C6 /0, C7 /0, A0-A3 (moffs)
 *   MOVZX 0F B6/B7, MOVSX 0F BE/BF, MOVSXD 63 (64-bit mode)
 *   MOVS A4/A5, STOS AA/AB, LODS AC/AD, with or without REP
 *   XCHG 86/87
 *   ADD/OR/ADC/SBB/AND/SUB/XOR/CMP 00-3D and group 1 (80-83)
 *   TEST 84/85, A8/A9, F6 /0 /1, F7 /0 /1
 * each with register or memory operands.
 *
 * Nothing is checked that the hardware already checked before the exit:
 * segment limits and access rights, CPL, alignment.  Canonical addresses
 * in 64-bit mode are checked, since REP string operations move on to
 * addresses the hardware has not seen.
 */
#include <kestrel/pure.h>

#include "emulate.h"

/* ---------------------------------------------------------------------
 * Opcode tables
 */

/* Kinds of immediate operand (SDM vol. 2D, A.2.1 "Codes for Addressing Method"). */
enum {
	IMM_NONE,
	IMM_B,		/* Ib/Jb: one byte */
	IMM_W,		/* Iw: two bytes */
	IMM_Z,		/* Iz/Jz: two bytes with 16-bit operand size, else four */
	IMM_V,		/* Iv: the operand size, 8 bytes only for MOV r64, imm64 */
	IMM_MOFFS,	/* Ob/Ov: an offset of the address size (2, 4 or 8 bytes) */
	IMM_WB,		/* ENTER: Iw then Ib */
	IMM_FAR,	/* Ap: offset of the operand size, then a 16-bit selector */
	IMM_BB,		/* EXTRQ/INSERTQ: Ib then Ib */
};

#define OPF_VALID	BIT(0)	/* the opcode exists */
#define OPF_MODRM	BIT(1)	/* a ModRM byte follows */
#define OPF_I64		BIT(2)	/* invalid in 64-bit mode */
/*
 * Operand size defaults to 64 bits in 64-bit mode.  For near branches Intel
 * forces 64 bits, AMD lets 66 select 16 bits (APM vol. 3, "Operand-Size
 * Override Prefix"): this follows AMD, as binutils does.
 */
#define OPF_D64		BIT(3)
#define OPF_MEM		BIT(4)	/* ModRM must encode a memory operand (mod != 11b) */
#define OPF_REG		BIT(5)	/* ModRM.mod is ignored and treated as 11b */
#define OPF_GROUP	BIT(6)	/* more rules depend on ModRM or prefixes: fixup_group() */
#define OPF_PM		BIT(7)	/* not recognized in real-address and virtual-8086 mode */
#define OPF_IMM_SHIFT	8
#define OPF_IMM(t)	((t) << OPF_IMM_SHIFT)

/* Short names for the tables only. */
#define ON	OPF_VALID
#define OM	(OPF_VALID | OPF_MODRM)
#define OMB	(OM | OPF_IMM(IMM_B))
#define OMZ	(OM | OPF_IMM(IMM_Z))
#define OB	(OPF_VALID | OPF_IMM(IMM_B))
#define OW	(OPF_VALID | OPF_IMM(IMM_W))
#define OZ	(OPF_VALID | OPF_IMM(IMM_Z))
#define OV	(OPF_VALID | OPF_IMM(IMM_V))
#define OO	(OPF_VALID | OPF_IMM(IMM_MOFFS))
#define OA	(OPF_VALID | OPF_IMM(IMM_FAR) | OPF_I64)
#define OG	(OM | OPF_GROUP)
#define OX	0	/* no such opcode (or a prefix, consumed before the lookup) */
#define I64	OPF_I64
#define D64	OPF_D64

/*
 * One-byte opcode map, SDM vol. 2D, Table A-2.  0x40-0x4f are REX in 64-bit
 * mode and the prefixes are consumed before looking up this table.  C4/C5
 * (LES/LDS) and 62 (BOUND) with a register operand are VEX and EVEX, and are
 * VEX/EVEX in any case in 64-bit mode (SDM vol. 2A, 2.3.5 and 2.7.1).
 */
static const u16 onebyte_map[256] = {
	/* 0x00 */ OM, OM, OM, OM, OB, OZ, ON | I64, ON | I64,
	/* 0x08 */ OM, OM, OM, OM, OB, OZ, ON | I64, OX,
	/* 0x10 */ OM, OM, OM, OM, OB, OZ, ON | I64, ON | I64,
	/* 0x18 */ OM, OM, OM, OM, OB, OZ, ON | I64, ON | I64,
	/* 0x20 */ OM, OM, OM, OM, OB, OZ, OX, ON | I64,
	/* 0x28 */ OM, OM, OM, OM, OB, OZ, OX, ON | I64,
	/* 0x30 */ OM, OM, OM, OM, OB, OZ, OX, ON | I64,
	/* 0x38 */ OM, OM, OM, OM, OB, OZ, OX, ON | I64,
	/* 0x40 */ ON, ON, ON, ON, ON, ON, ON, ON,
	/* 0x48 */ ON, ON, ON, ON, ON, ON, ON, ON,
	/* 0x50 */ ON | D64, ON | D64, ON | D64, ON | D64, ON | D64, ON | D64, ON | D64, ON | D64,
	/* 0x58 */ ON | D64, ON | D64, ON | D64, ON | D64, ON | D64, ON | D64, ON | D64, ON | D64,
	/* 0x60 */ ON | I64, ON | I64, OM | OPF_MEM | I64, OM | OPF_PM, OX, OX, OX, OX,
	/* 0x68 */ OZ | D64, OMZ, OB | D64, OMB, ON, ON, ON, ON,
	/* 0x70 */ OB | D64, OB | D64, OB | D64, OB | D64, OB | D64, OB | D64, OB | D64, OB | D64,
	/* 0x78 */ OB | D64, OB | D64, OB | D64, OB | D64, OB | D64, OB | D64, OB | D64, OB | D64,
	/* 0x80 */ OMB, OMZ, OMB | I64, OMB, OM, OM, OM, OM,
	/* 0x88 */ OM, OM, OM, OM, OG, OM | OPF_MEM, OG, OG | D64,
	/* 0x90 */ ON, ON, ON, ON, ON, ON, ON, ON,
	/* 0x98 */ ON, ON, OA, ON, ON | D64, ON | D64, ON, ON,
	/* 0xa0 */ OO, OO, OO, OO, ON, ON, ON, ON,
	/* 0xa8 */ OB, OZ, ON, ON, ON, ON, ON, ON,
	/* 0xb0 */ OB, OB, OB, OB, OB, OB, OB, OB,
	/* 0xb8 */ OV, OV, OV, OV, OV, OV, OV, OV,
	/* 0xc0 */ OMB, OMB, OW | D64, ON | D64, OM | OPF_MEM | I64, OM | OPF_MEM | I64, OG, OG,
	/* 0xc8 */ OPF_VALID | OPF_IMM(IMM_WB) | D64, ON | D64, OW, ON, ON, OB, ON | I64, ON,
	/* 0xd0 */ OM, OM, OM, OM, OB | I64, OB | I64, OX, ON,
	/* 0xd8 */ OM, OM, OM, OM, OM, OM, OM, OM,
	/* 0xe0 */ OB | D64, OB | D64, OB | D64, OB | D64, OB, OB, OB, OB,
	/* 0xe8 */ OZ | D64, OZ | D64, OA, OB | D64, ON, ON, ON, ON,
	/* 0xf0 */ OX, ON, OX, OX, ON, ON, OG, OG,
	/* 0xf8 */ ON, ON, ON, ON, ON, ON, OG, OG,
};

/*
 * Two-byte opcode map (0F xx), SDM vol. 2D, Table A-3, with AMD's additions
 * (APM vol. 3, Table A-4: 0F 0D PREFETCH, SSE4a 0F 78/79).  0F 38 and 0F 3A
 * escape to the three-byte maps.  0F 0E/0F (3DNow!) and 0F FF (UD0, whose
 * length differs between vendors) are rejected.
 */
static const u16 twobyte_map[256] = {
	/* 0x00 */ OG | OPF_PM, OG, OM | OPF_PM, OM | OPF_PM, OX, ON, ON, ON,
	/* 0x08 */ ON, ON, OX, ON, OX, OM | OPF_MEM, OX, OX,
	/* 0x10 */ OM, OM, OM, OM, OM, OM, OM, OM,
	/* 0x18 */ OM, OM, OM, OM, OM, OM, OM, OM,
	/* 0x20 */ OM | OPF_REG, OM | OPF_REG, OM | OPF_REG, OM | OPF_REG, OX, OX, OX, OX,
	/* 0x28 */ OM, OM, OM, OM, OM, OM, OM, OM,
	/* 0x30 */ ON, ON, ON, ON, ON, ON, OX, ON,
	/* 0x38 */ OX, OX, OX, OX, OX, OX, OX, OX,
	/* 0x40 */ OM, OM, OM, OM, OM, OM, OM, OM,
	/* 0x48 */ OM, OM, OM, OM, OM, OM, OM, OM,
	/* 0x50 */ OM, OM, OM, OM, OM, OM, OM, OM,
	/* 0x58 */ OM, OM, OM, OM, OM, OM, OM, OM,
	/* 0x60 */ OM, OM, OM, OM, OM, OM, OM, OM,
	/* 0x68 */ OM, OM, OM, OM, OM, OM, OM, OM,
	/* 0x70 */ OMB, OMB, OMB, OMB, OM, OM, OM, ON,
	/* 0x78 */ OG, OG, OX, OX, OM, OM, OM, OM,
	/* 0x80 */ OZ | D64, OZ | D64, OZ | D64, OZ | D64, OZ | D64, OZ | D64, OZ | D64, OZ | D64,
	/* 0x88 */ OZ | D64, OZ | D64, OZ | D64, OZ | D64, OZ | D64, OZ | D64, OZ | D64, OZ | D64,
	/* 0x90 */ OM, OM, OM, OM, OM, OM, OM, OM,
	/* 0x98 */ OM, OM, OM, OM, OM, OM, OM, OM,
	/* 0xa0 */ ON | D64, ON | D64, ON, OM, OMB, OM, OX, OX,
	/* 0xa8 */ ON | D64, ON | D64, ON, OM, OMB, OM, OG, OM,
	/* 0xb0 */ OM, OM, OM | OPF_MEM, OM, OM | OPF_MEM, OM | OPF_MEM, OM, OM,
	/* 0xb8 */ OG, OM, OMB | OPF_GROUP, OM, OM, OM, OM, OM,
	/* 0xc0 */ OM, OM, OMB, OM | OPF_MEM, OMB, OMB, OMB, OG,
	/* 0xc8 */ ON, ON, ON, ON, ON, ON, ON, ON,
	/* 0xd0 */ OM, OM, OM, OM, OM, OM, OM, OM,
	/* 0xd8 */ OM, OM, OM, OM, OM, OM, OM, OM,
	/* 0xe0 */ OM, OM, OM, OM, OM, OM, OM, OM,
	/* 0xe8 */ OM, OM, OM, OM, OM, OM, OM, OM,
	/* 0xf0 */ OM, OM, OM, OM, OM, OM, OM, OM,
	/* 0xf8 */ OM, OM, OM, OM, OM, OM, OM, OX,
};

#undef ON
#undef OM
#undef OMB
#undef OMZ
#undef OB
#undef OW
#undef OZ
#undef OV
#undef OO
#undef OA
#undef OG
#undef OX
#undef I64
#undef D64

/*
 * Three-byte map 0F 38 (SDM vol. 2D, Table A-4): legacy-encoded instructions
 * only (SSSE3, SSE4.1/4.2, SHA, AES, GFNI, MOVBE/CRC32, ADX, INVEPT/INVVPID/
 * INVPCID, CET, MOVDIRI/MOVDIR64B, ENQCMD, Key Locker, RAO-INT).  All take ModRM and
 * no immediate.
 */
static bool map_0f38_valid(u8 op)
{
	switch (op) {
	case 0x00 ... 0x0b:
	case 0x10:
	case 0x14 ... 0x15:
	case 0x17:
	case 0x1c ... 0x1e:
	case 0x20 ... 0x25:
	case 0x28 ... 0x2b:
	case 0x30 ... 0x35:
	case 0x37 ... 0x41:
	case 0x80 ... 0x82:
	case 0xc8 ... 0xcd:
	case 0xcf:
	case 0xd8:
	case 0xdb ... 0xdf:
	case 0xf0 ... 0xf1:
	case 0xf5 ... 0xf6:
	case 0xf8 ... 0xfc:
		return true;
	default:
		return false;
	}
}

/* Three-byte map 0F 3A (SDM vol. 2D, Table A-5): all take ModRM and an Ib. */
static bool map_0f3a_valid(u8 op)
{
	switch (op) {
	case 0x08 ... 0x0f:
	case 0x14 ... 0x17:
	case 0x20 ... 0x22:
	case 0x40 ... 0x42:
	case 0x44:
	case 0x60 ... 0x63:
	case 0xcc:
	case 0xce ... 0xcf:
	case 0xdf:
		return true;
	default:
		return false;
	}
}

/*
 * 0F 01 with mod=11b: the whole ModRM byte selects the instruction (SDM
 * vol. 2D, Table A-6, group 7; APM vol. 3, Table A-7).
 */
static bool grp7_reg_valid(u8 modrm, enum x86_cpu_mode mode)
{
	switch (modrm) {
	case 0xc0 ... 0xc6:	/* ENCLV, VMCALL..VMXOFF, PCONFIG, WRMSRNS */
	case 0xc8 ... 0xcb:	/* MONITOR, MWAIT, CLAC, STAC */
	case 0xcf:		/* ENCLS */
	case 0xd0 ... 0xd1:	/* XGETBV, XSETBV */
	case 0xd4 ... 0xd7:	/* VMFUNC, XEND, XTEST, ENCLU */
	case 0xd8 ... 0xdf:	/* VMRUN, VMMCALL, VMLOAD, VMSAVE, STGI, CLGI, SKINIT, INVLPGA */
	case 0xe0 ... 0xe8:	/* SMSW r, SERIALIZE */
	case 0xee ... 0xef:	/* RDPKRU, WRPKRU */
	case 0xf0 ... 0xf7:	/* LMSW r */
	case 0xf9 ... 0xff:	/* RDTSCP, MONITORX, MWAITX, CLZERO, RDPRU, INVLPGB, TLBSYNC */
		return true;
	case 0xf8:		/* SWAPGS exists only in 64-bit mode */
		return mode == X86_MODE_LONG64;
	default:
		return false;
	}
}

/* ---------------------------------------------------------------------
 * Decoder
 */

struct decoder {
	const u8 *bytes;
	unsigned int avail;	/* never more than X86_MAX_INSN_LEN */
	unsigned int pos;
};

static bool fetch(struct decoder *d, u8 *b)
{
	if (d->pos >= d->avail)
		return false;
	*b = d->bytes[d->pos++];
	return true;
}

/* Little-endian immediate or displacement of n bytes. */
static bool fetch_le(struct decoder *d, unsigned int n, u64 *val)
{
	unsigned int i;
	u8 b;

	*val = 0;
	for (i = 0; i < n; i++) {
		if (!fetch(d, &b))
			return false;
		*val |= (u64)b << (8 * i);
	}
	return true;
}

static u64 sign_extend(u64 val, unsigned int bytes)
{
	unsigned int shift = 64 - 8 * bytes;

	return (u64)((s64)(val << shift) >> shift);
}

/*
 * The rules the tables cannot express: validity and immediates that depend
 * on ModRM.reg (opcode extensions, SDM vol. 2D, Table A-6), ModRM.mod, or a
 * mandatory prefix.  Returns the updated flags, or 0 if invalid.
 */
static unsigned int fixup_group(const struct x86_insn *insn, enum x86_cpu_mode mode,
				unsigned int flags)
{
	u8 op = insn->opcode[insn->opcode_len - 1];
	u8 reg = (insn->modrm >> 3) & 7;
	bool mem = insn->modrm < 0xc0;

	if (insn->opcode_len == 1) {
		switch (op) {
		case 0x8c:	/* MOV r/m, Sreg: ES..GS only */
			return reg <= 5 ? flags : 0;
		case 0x8e:	/* MOV Sreg, r/m: and never CS */
			return reg <= 5 && reg != 1 ? flags : 0;
		case 0x8f:	/* group 1A: POP; other values of reg are XOP */
			return reg == 0 ? flags : 0;
		case 0xc6:	/* group 11: MOV Eb, Ib, or XABORT Ib (C6 F8) */
			return reg == 0 || insn->modrm == 0xf8 ? flags | OPF_IMM(IMM_B) : 0;
		case 0xc7:	/* MOV Ev, Iz, or XBEGIN Jz (C7 F8) */
			return reg == 0 || insn->modrm == 0xf8 ? flags | OPF_IMM(IMM_Z) : 0;
		case 0xf6:	/* group 3: only TEST (/0, and its alias /1) has Ib */
			return reg < 2 ? flags | OPF_IMM(IMM_B) : flags;
		case 0xf7:
			return reg < 2 ? flags | OPF_IMM(IMM_Z) : flags;
		case 0xfe:	/* group 4: INC, DEC */
			return reg < 2 ? flags : 0;
		case 0xff:	/* group 5: CALLF/JMPF (/3, /5) need memory, /7 is unused */
			if (reg == 7 || ((reg == 3 || reg == 5) && !mem))
				return 0;
			/* near CALL/JMP and PUSH default to 64 bits */
			return reg == 2 || reg == 4 || reg == 6 ? flags | OPF_D64 : flags;
		}
		return flags;
	}

	switch (op) {
	case 0x00:	/* group 6: SLDT..VERW */
		return reg < 6 ? flags : 0;
	case 0x01:	/* group 7 */
		if (mem)	/* /5 with memory is only F3 RSTORSSP */
			return reg != 5 || insn->rep == 0xf3 ? flags : 0;
		return grp7_reg_valid(insn->modrm, mode) ? flags : 0;
	case 0x78:
	case 0x79:
		/*
		 * VMREAD/VMWRITE without prefix; with 66 or F2 AMD's SSE4a
		 * EXTRQ/INSERTQ on XMM registers, whose 0F 78 forms take two
		 * Ib (APM vol. 4).  F3 is undefined.
		 */
		if (insn->rep == 0xf3)
			return 0;
		if (!insn->rep && !insn->opsize_prefix)
			return flags;
		if (mem)
			return 0;
		return op == 0x78 ? flags | OPF_IMM(IMM_BB) : flags;
	case 0xae:	/* group 15 */
		if (mem)
			return flags;
		/*
		 * Register forms: LFENCE (E8-EF, AMD ignores r/m), MFENCE (F0),
		 * SFENCE (F8); F3: RDFSBASE..WRGSBASE, PTWRITE, INCSSP,
		 * UMONITOR; 66 TPAUSE and F2 UMWAIT (/6).
		 */
		if (insn->rep == 0xf3)
			return reg != 7 ? flags : 0;
		if (insn->rep == 0xf2 || insn->opsize_prefix)
			return reg == 6 ? flags : 0;
		return reg == 5 || insn->modrm == 0xf0 || insn->modrm == 0xf8 ? flags : 0;
	case 0xb8:	/* F3 0F B8 POPCNT; without F3 it is IA-64's JMPE */
		return insn->rep == 0xf3 ? flags : 0;
	case 0xba:	/* group 8: BT, BTS, BTR, BTC Ev, Ib */
		return reg >= 4 ? flags : 0;
	case 0xc7:	/* group 9 */
		switch (reg) {
		case 1:	/* CMPXCHG8B/16B */
		case 3:	/* XRSTORS */
		case 4:	/* XSAVEC */
		case 5:	/* XSAVES */
			return mem ? flags : 0;
		case 6:	/* VMPTRLD, VMCLEAR, VMXON; RDRAND */
		case 7:	/* VMPTRST; RDSEED, RDPID */
			return flags;
		}
		return 0;
	}
	return flags;
}

static u8 operand_size(const struct x86_insn *insn, enum x86_cpu_mode mode,
		       unsigned int flags)
{
	switch (mode) {
	case X86_MODE_LONG64:
		/* SDM vol. 1, 3.6.1, Table 3-4: REX.W wins over 66 */
		if (insn->rex & 8)
			return 8;
		if (insn->opsize_prefix)
			return 2;
		return flags & OPF_D64 ? 8 : 4;
	case X86_MODE_PROT32:
		return insn->opsize_prefix ? 2 : 4;
	default:
		return insn->opsize_prefix ? 4 : 2;
	}
}

static u8 address_size(const struct x86_insn *insn, enum x86_cpu_mode mode)
{
	switch (mode) {
	case X86_MODE_LONG64:
		return insn->adsize_prefix ? 4 : 8;
	case X86_MODE_PROT32:
		return insn->adsize_prefix ? 2 : 4;
	default:
		return insn->adsize_prefix ? 4 : 2;
	}
}

/* Legacy prefixes in any order and number, then REX (SDM vol. 2A, 2.1.1, 2.2.1). */
static bool decode_prefixes(struct decoder *d, enum x86_cpu_mode mode, struct x86_insn *insn,
			    u8 *op)
{
	u8 b;

	for (;;) {
		if (!fetch(d, &b))
			return false;
		switch (b) {
		case 0x26:
		case 0x2e:
		case 0x36:
		case 0x3e:
			insn->seg = (b >> 3) & 3;	/* ES, CS, SS, DS */
			break;
		case 0x64:
		case 0x65:
			insn->seg = X86_SEG_FS + (b & 1);
			break;
		case 0x66:
			insn->opsize_prefix = true;
			break;
		case 0x67:
			insn->adsize_prefix = true;
			break;
		case 0xf0:
			insn->lock = true;
			break;
		case 0xf2:
		case 0xf3:
			/* with both, the last one counts, as on the CPUs */
			insn->rep = b;
			break;
		case 0x40 ... 0x4f:
			if (mode != X86_MODE_LONG64) {
				*op = b;
				return true;
			}
			/* only the last REX counts (SDM vol. 2A, 2.2.1) */
			insn->rex = b;
			continue;
		default:
			*op = b;
			return true;
		}
		/* a REX followed by a legacy prefix is ignored */
		insn->rex = 0;
	}
}

/* ModRM, SIB and displacement (SDM vol. 2A, 2.1.5, Tables 2-1, 2-2 and 2-3). */
static bool decode_modrm(struct decoder *d, enum x86_cpu_mode mode, struct x86_insn *insn)
{
	u8 rm = insn->modrm & 7;
	u64 disp;

	if (insn->mod == 3)
		return true;

	if (insn->ad_bytes == 2) {
		if (insn->mod == 2 || (insn->mod == 0 && rm == 6))
			insn->disp_bytes = 2;
	} else {
		if (rm == 4) {
			insn->has_sib = true;
			if (!fetch(d, &insn->sib))
				return false;
			if (insn->mod == 0 && (insn->sib & 7) == 5)
				insn->disp_bytes = 4;
		} else if (insn->mod == 0 && rm == 5) {
			/* SDM vol. 2A, 2.2.1.6: RIP-relative in 64-bit mode */
			insn->disp_bytes = 4;
			insn->rip_relative = mode == X86_MODE_LONG64;
		}
		if (insn->mod == 2)
			insn->disp_bytes = 4;
	}
	if (insn->mod == 1)
		insn->disp_bytes = 1;

	if (!fetch_le(d, insn->disp_bytes, &disp))
		return false;
	if (insn->disp_bytes)
		insn->disp = (s64)sign_extend(disp, insn->disp_bytes);
	return true;
}

static bool decode_imm(struct decoder *d, struct x86_insn *insn, unsigned int type)
{
	u8 z = insn->op_bytes == 2 ? 2 : 4;

	switch (type) {
	case IMM_B:
		insn->imm_bytes = 1;
		break;
	case IMM_W:
		insn->imm_bytes = 2;
		break;
	case IMM_Z:
		insn->imm_bytes = z;
		break;
	case IMM_V:
		insn->imm_bytes = insn->op_bytes;
		break;
	case IMM_MOFFS:
		insn->imm_bytes = insn->ad_bytes;
		break;
	case IMM_WB:
		insn->imm_bytes = 2;
		insn->imm2_bytes = 1;
		break;
	case IMM_FAR:
		insn->imm_bytes = z;
		insn->imm2_bytes = 2;
		break;
	case IMM_BB:
		insn->imm_bytes = 1;
		insn->imm2_bytes = 1;
		break;
	}
	return fetch_le(d, insn->imm_bytes, &insn->imm) &&
	       fetch_le(d, insn->imm2_bytes, &insn->imm2);
}

int x86_decode_insn(const u8 *bytes, unsigned int avail, enum x86_cpu_mode mode,
		    struct x86_insn *insn)
{
	struct decoder d = {
		.bytes = bytes,
		.avail = avail < X86_MAX_INSN_LEN ? avail : X86_MAX_INSN_LEN,
	};
	bool lm = mode == X86_MODE_LONG64;
	unsigned int flags;
	u8 op;

	memset(insn, 0, sizeof(*insn));
	insn->seg = X86_SEG_NONE;

	if (!decode_prefixes(&d, mode, insn, &op))
		return -EINVAL;

	insn->opcode[0] = op;
	insn->opcode_len = 1;
	if (op != 0x0f) {
		flags = onebyte_map[op];
	} else {
		if (!fetch(&d, &op))
			return -EINVAL;
		insn->opcode[1] = op;
		insn->opcode_len = 2;
		if (op == 0x38 || op == 0x3a) {
			u8 op3;

			if (!fetch(&d, &op3))
				return -EINVAL;
			insn->opcode[2] = op3;
			insn->opcode_len = 3;
			if (op == 0x38)
				flags = map_0f38_valid(op3) ? OPF_VALID | OPF_MODRM : 0;
			else
				flags = map_0f3a_valid(op3) ?
					OPF_VALID | OPF_MODRM | OPF_IMM(IMM_B) : 0;
		} else {
			flags = twobyte_map[op];
		}
	}

	if (!(flags & OPF_VALID) || (lm && (flags & OPF_I64)))
		return -EINVAL;
	if ((flags & OPF_PM) && (mode == X86_MODE_REAL || mode == X86_MODE_VM86))
		return -EINVAL;

	if (flags & OPF_MODRM) {
		insn->has_modrm = true;
		if (!fetch(&d, &insn->modrm))
			return -EINVAL;
		if (flags & OPF_GROUP) {
			flags = fixup_group(insn, mode, flags);
			if (!flags)
				return -EINVAL;
		}
		/*
		 * MOV to/from control and debug registers: "the mod field is
		 * ignored" and the operand is always a register (SDM vol. 2B,
		 * MOV -- Move to/from Control Registers).
		 */
		insn->mod = flags & OPF_REG ? 3 : insn->modrm >> 6;
		if ((flags & OPF_MEM) && insn->mod == 3)
			return -EINVAL;
		insn->reg = ((insn->modrm >> 3) & 7) | ((insn->rex & 4) << 1);
		insn->rm = (insn->modrm & 7) | ((insn->rex & 1) << 3);
	}

	insn->op_bytes = operand_size(insn, mode, flags);
	insn->ad_bytes = address_size(insn, mode);

	if (insn->has_modrm && !decode_modrm(&d, mode, insn))
		return -EINVAL;
	if (!decode_imm(&d, insn, (flags >> OPF_IMM_SHIFT) & 0xf))
		return -EINVAL;

	insn->len = d.pos;
	return 0;
}

/* ---------------------------------------------------------------------
 * Emulator
 */

/*
 * The state one instruction works on.  Registers, RIP and RFLAGS are copied
 * in and copied back only when the instruction completes, so that any other
 * outcome leaves the context as it was.
 */
struct emul {
	struct x86_emul_ctxt *ctxt;
	const struct x86_insn *insn;
	u64 gpr[16];
	u64 rip;
	u64 rflags;
	bool rip_done;		/* false: REP not finished, RIP stays */
};

#define ARITH_FLAGS	(X86_RFLAGS_CF | X86_RFLAGS_PF | X86_RFLAGS_AF | X86_RFLAGS_ZF | \
			 X86_RFLAGS_SF | X86_RFLAGS_OF)

static u64 size_mask(unsigned int bytes)
{
	return bytes >= 8 ? ~0ULL : BIT_ULL(8 * bytes) - 1;
}

/*
 * Register operands.  Without REX, byte registers 4-7 are AH, CH, DH, BH;
 * with any REX they are SPL, BPL, SIL, DIL (SDM vol. 2A, 2.2.1.2, Table 3-1).
 */
static bool high_byte_reg(const struct emul *e, unsigned int reg, unsigned int bytes)
{
	return bytes == 1 && !e->insn->rex && reg >= 4 && reg < 8;
}

static u64 reg_read(const struct emul *e, unsigned int reg, unsigned int bytes)
{
	if (high_byte_reg(e, reg, bytes))
		return (e->gpr[reg - 4] >> 8) & 0xff;
	return e->gpr[reg] & size_mask(bytes);
}

static void reg_write(struct emul *e, unsigned int reg, unsigned int bytes, u64 val)
{
	u64 *r = &e->gpr[reg];

	switch (bytes) {
	case 1:
		if (high_byte_reg(e, reg, bytes)) {
			r = &e->gpr[reg - 4];
			*r = (*r & ~0xff00ULL) | ((val & 0xff) << 8);
		} else {
			*r = (*r & ~0xffULL) | (val & 0xff);
		}
		break;
	case 2:
		*r = (*r & ~0xffffULL) | (val & 0xffff);
		break;
	case 4:
		/*
		 * 32-bit results are zero-extended to 64 bits (SDM vol. 1,
		 * 3.4.1.1).  Outside 64-bit mode the upper half is undefined
		 * and invisible to the guest; one rule for all modes, as in
		 * Linux KVM.
		 */
		*r = (u32)val;
		break;
	default:
		*r = val;
		break;
	}
}

static bool canonical(u64 la, bool la57)
{
	unsigned int shift = la57 ? 64 - 57 : 64 - 48;

	return (u64)((s64)(la << shift) >> shift) == la;
}

/*
 * Linear address of seg:ea (SDM vol. 3A, 3.4 and 3.3.7.1).  In 64-bit mode
 * only the FS and GS bases count; elsewhere the sum wraps at 4 GiB.
 */
static int linear(struct emul *e, int seg, u64 ea, unsigned int bytes, u64 *la)
{
	struct x86_emul_ctxt *ctxt = e->ctxt;

	if (ctxt->mode != X86_MODE_LONG64) {
		*la = (u32)(ctxt->seg_base[seg] + ea);
		return X86EMUL_CONTINUE;
	}
	if (seg == X86_SEG_FS || seg == X86_SEG_GS)
		ea += ctxt->seg_base[seg];
	/* first and last byte: an access may run off the canonical range */
	if (!canonical(ea, ctxt->la57) || !canonical(ea + bytes - 1, ctxt->la57)) {
		ctxt->exception.vector = seg == X86_SEG_SS ? X86_VEC_SS : X86_VEC_GP;
		ctxt->exception.error_code_valid = true;
		ctxt->exception.error_code = 0;
		ctxt->exception.address = 0;
		return X86EMUL_EXCEPTION;
	}
	*la = ea;
	return X86EMUL_CONTINUE;
}

static int mem_read(struct emul *e, int seg, u64 ea, unsigned int bytes, u64 *val)
{
	u8 buf[8] = { 0 };	/* nothing of the stack, whatever the callback does */
	u64 la;
	int rc;
	int i;

	rc = linear(e, seg, ea, bytes, &la);
	if (rc != X86EMUL_CONTINUE)
		return rc;
	rc = e->ctxt->ops->read(e->ctxt->opaque, la, buf, bytes);
	if (rc != X86EMUL_CONTINUE)
		return rc;
	*val = 0;
	for (i = bytes - 1; i >= 0; i--)
		*val = (*val << 8) | buf[i];
	return X86EMUL_CONTINUE;
}

static int mem_write(struct emul *e, int seg, u64 ea, unsigned int bytes, u64 val)
{
	unsigned int i;
	u8 buf[8];
	u64 la;
	int rc;

	rc = linear(e, seg, ea, bytes, &la);
	if (rc != X86EMUL_CONTINUE)
		return rc;
	for (i = 0; i < bytes; i++)
		buf[i] = val >> (8 * i);
	return e->ctxt->ops->write(e->ctxt->opaque, la, buf, bytes);
}

static int seg_or(const struct x86_insn *insn, int def)
{
	return insn->seg != X86_SEG_NONE ? insn->seg : def;
}

/* Address of the instruction that follows, i.e. RIP after this one. */
static u64 next_rip(const struct emul *e)
{
	return e->ctxt->rip + e->insn->len;
}

/*
 * Offset of the ModRM memory operand and its segment (SDM vol. 2A, 2.1.5,
 * Tables 2-1 and 2-2; 2.2.1.6 for RIP-relative).  The default segment is SS
 * when the base is (E/R)BP or (E/R)SP, DS otherwise (SDM vol. 1, 3.7.4,
 * Table 3-5).
 */
static u64 modrm_ea(const struct emul *e, int *seg)
{
	const struct x86_insn *insn = e->insn;
	int def = X86_SEG_DS;
	u64 ea = 0;

	if (insn->ad_bytes == 2) {
		static const u8 base16[8] = {
			X86_REG_RBX, X86_REG_RBX, X86_REG_RBP, X86_REG_RBP,
			X86_REG_RSI, X86_REG_RDI, X86_REG_RBP, X86_REG_RBX,
		};
		u8 rm = insn->rm & 7;

		if (rm == 2 || rm == 3 || (rm == 6 && insn->mod != 0))
			def = X86_SEG_SS;
		if (rm != 6 || insn->mod != 0)
			ea = e->gpr[base16[rm]];
		if (rm < 4)	/* BX+SI, BX+DI, BP+SI, BP+DI */
			ea += e->gpr[rm & 1 ? X86_REG_RDI : X86_REG_RSI];
	} else if (insn->has_sib) {
		unsigned int base = (insn->sib & 7) | ((insn->rex & 1) << 3);
		unsigned int index = ((insn->sib >> 3) & 7) | ((insn->rex & 2) << 2);

		/* base 101b with mod=00b: no base, disp32 */
		if (insn->mod != 0 || (base & 7) != 5) {
			ea = e->gpr[base];
			if (base == X86_REG_RSP || base == X86_REG_RBP)
				def = X86_SEG_SS;
		}
		/* index 100b (without REX.X) means none */
		if (index != 4)
			ea += e->gpr[index] << (insn->sib >> 6);
	} else if (insn->rip_relative) {
		ea = next_rip(e);
	} else if (insn->mod != 0 || (insn->rm & 7) != 5) {
		ea = e->gpr[insn->rm];
		if (insn->rm == X86_REG_RBP)
			def = X86_SEG_SS;
	}

	*seg = seg_or(insn, def);
	return (ea + insn->disp) & size_mask(insn->ad_bytes);
}

/* The r/m operand: a register when mod=11b, else memory. */
static int rm_read(struct emul *e, unsigned int bytes, u64 *val)
{
	int seg;
	u64 ea;

	if (e->insn->mod == 3) {
		*val = reg_read(e, e->insn->rm, bytes);
		return X86EMUL_CONTINUE;
	}
	ea = modrm_ea(e, &seg);
	return mem_read(e, seg, ea, bytes, val);
}

static int rm_write(struct emul *e, unsigned int bytes, u64 val)
{
	int seg;
	u64 ea;

	if (e->insn->mod == 3) {
		reg_write(e, e->insn->rm, bytes, val);
		return X86EMUL_CONTINUE;
	}
	ea = modrm_ea(e, &seg);
	return mem_write(e, seg, ea, bytes, val);
}

/* SF, ZF and PF of a result (PF: even parity of the low byte). */
static u64 flags_szp(u64 res, unsigned int bytes)
{
	u64 flags = 0;
	u8 p = res;

	res &= size_mask(bytes);
	if (!res)
		flags |= X86_RFLAGS_ZF;
	if (res >> (8 * bytes - 1))
		flags |= X86_RFLAGS_SF;
	p ^= p >> 4;
	p ^= p >> 2;
	p ^= p >> 1;
	if (!(p & 1))
		flags |= X86_RFLAGS_PF;
	return flags;
}

enum { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP };

/*
 * The eight arithmetic/logic operations of opcodes 00-3F and group 1.  The
 * carry out of and the overflow into the top bit follow from the operands'
 * and the result's top bits, for any carry in; AF is the same at bit 3.
 * Logic operations clear CF and OF; their AF is undefined and left clear.
 */
static u64 alu(unsigned int op, u64 a, u64 b, unsigned int bytes, u64 *rflags)
{
	unsigned int top = 8 * bytes - 1;
	u64 cf = *rflags & X86_RFLAGS_CF;
	u64 res, flags = 0, carry, ovf;

	switch (op) {
	case ALU_ADD:
	case ALU_ADC:
		res = a + b + (op == ALU_ADC ? cf : 0);
		carry = (a & b) | ((a | b) & ~res);
		ovf = (a ^ res) & (b ^ res);
		break;
	case ALU_SUB:
	case ALU_SBB:
	case ALU_CMP:
		res = a - b - (op == ALU_SBB ? cf : 0);
		carry = (~a & b) | ((~a | b) & res);
		ovf = (a ^ b) & (a ^ res);
		break;
	case ALU_OR:
		res = a | b;
		carry = 0;
		ovf = 0;
		break;
	case ALU_AND:
		res = a & b;
		carry = 0;
		ovf = 0;
		break;
	default:
		res = a ^ b;
		carry = 0;
		ovf = 0;
		break;
	}
	if ((carry >> top) & 1)
		flags |= X86_RFLAGS_CF;
	if ((ovf >> top) & 1)
		flags |= X86_RFLAGS_OF;
	if (op != ALU_OR && op != ALU_AND && op != ALU_XOR && ((a ^ b ^ res) & 0x10))
		flags |= X86_RFLAGS_AF;
	flags |= flags_szp(res, bytes);
	*rflags = (*rflags & ~ARITH_FLAGS) | flags;
	return res & size_mask(bytes);
}

/*
 * r/m op= src, or reg op= r/m.  Reads, computes, then writes: the single
 * write comes after the single read succeeded.
 */
static int em_alu_rm(struct emul *e, unsigned int op, bool rm_dst, unsigned int bytes, u64 src)
{
	u64 dst, res;
	int rc;

	if (rm_dst) {
		rc = rm_read(e, bytes, &dst);
	} else {
		dst = reg_read(e, e->insn->reg, bytes);
		rc = rm_read(e, bytes, &src);
	}
	if (rc != X86EMUL_CONTINUE)
		return rc;

	res = alu(op, dst, src, bytes, &e->rflags);
	if (op == ALU_CMP)
		return X86EMUL_CONTINUE;
	if (rm_dst)
		return rm_write(e, bytes, res);
	reg_write(e, e->insn->reg, bytes, res);
	return X86EMUL_CONTINUE;
}

/* Opcodes 00-3D: op = bits 5:3; form = bits 2:0 (SDM vol. 2D, Table A-2). */
static int em_alu(struct emul *e, u8 opcode)
{
	const struct x86_insn *insn = e->insn;
	unsigned int op = opcode >> 3, form = opcode & 7;
	unsigned int bytes = form & 1 ? insn->op_bytes : 1;
	u64 res;

	switch (form) {
	case 0:		/* Eb, Gb */
	case 1:		/* Ev, Gv */
		return em_alu_rm(e, op, true, bytes, reg_read(e, insn->reg, bytes));
	case 2:		/* Gb, Eb */
	case 3:		/* Gv, Ev */
		return em_alu_rm(e, op, false, bytes, 0);
	default:	/* AL, Ib / rAX, Iz (sign-extended to 64 bits) */
		res = alu(op, reg_read(e, X86_REG_RAX, bytes),
			  sign_extend(insn->imm, insn->imm_bytes), bytes, &e->rflags);
		if (op != ALU_CMP)
			reg_write(e, X86_REG_RAX, bytes, res);
		return X86EMUL_CONTINUE;
	}
}

static int em_test(struct emul *e, unsigned int bytes, u64 src)
{
	u64 dst;
	int rc;

	rc = rm_read(e, bytes, &dst);
	if (rc == X86EMUL_CONTINUE)
		alu(ALU_AND, dst, src, bytes, &e->rflags);
	return rc;
}

static int em_xchg(struct emul *e, unsigned int bytes)
{
	u64 old, val = reg_read(e, e->insn->reg, bytes);
	int rc;

	rc = rm_read(e, bytes, &old);
	if (rc == X86EMUL_CONTINUE)
		rc = rm_write(e, bytes, val);
	if (rc == X86EMUL_CONTINUE)
		reg_write(e, e->insn->reg, bytes, old);
	return rc;
}

/* MOV, MOVZX, MOVSX, MOVSXD to a register: src_bytes from r/m. */
static int em_load(struct emul *e, unsigned int dst_bytes, unsigned int src_bytes, bool sign)
{
	u64 val;
	int rc;

	rc = rm_read(e, src_bytes, &val);
	if (rc != X86EMUL_CONTINUE)
		return rc;
	if (sign)
		val = sign_extend(val, src_bytes);
	reg_write(e, e->insn->reg, dst_bytes, val);
	return X86EMUL_CONTINUE;
}

static int em_moffs(struct emul *e, u8 opcode)
{
	const struct x86_insn *insn = e->insn;
	unsigned int bytes = opcode & 1 ? insn->op_bytes : 1;
	int seg = seg_or(insn, X86_SEG_DS);
	u64 val;
	int rc;

	if (opcode >= 0xa2)	/* MOV moffs, AL/rAX */
		return mem_write(e, seg, insn->imm, bytes, reg_read(e, X86_REG_RAX, bytes));
	rc = mem_read(e, seg, insn->imm, bytes, &val);
	if (rc == X86EMUL_CONTINUE)
		reg_write(e, X86_REG_RAX, bytes, val);
	return rc;
}

/*
 * MOVS, STOS, LODS: one iteration per call (SDM vol. 2B, REP/REPE/REPZ/
 * REPNE/REPNZ).  rCX, rSI and rDI are used and updated with the address
 * size; rSI/rDI move by the operand size, backwards when RFLAGS.DF is set.
 * Under REP, RIP moves on only once the count reaches zero, so the guest
 * (or the caller) runs the instruction again for the next iteration; a
 * count of zero does nothing but move RIP on.  F2 acts as F3 here.  The
 * destination is always ES:rDI; only the source segment can be overridden.
 */
static int em_string(struct emul *e, u8 opcode)
{
	const struct x86_insn *insn = e->insn;
	unsigned int bytes = opcode & 1 ? insn->op_bytes : 1;
	unsigned int ad = insn->ad_bytes;
	u64 si = reg_read(e, X86_REG_RSI, ad);
	u64 di = reg_read(e, X86_REG_RDI, ad);
	u64 delta = e->rflags & X86_RFLAGS_DF ? -(u64)bytes : bytes;
	u64 count = 0, val;
	int rc;

	if (insn->rep) {
		count = reg_read(e, X86_REG_RCX, ad);
		if (!count)
			return X86EMUL_CONTINUE;
	}

	switch (opcode) {
	case 0xa4:	/* MOVS */
	case 0xa5:
		rc = mem_read(e, seg_or(insn, X86_SEG_DS), si, bytes, &val);
		if (rc == X86EMUL_CONTINUE)
			rc = mem_write(e, X86_SEG_ES, di, bytes, val);
		reg_write(e, X86_REG_RSI, ad, si + delta);
		reg_write(e, X86_REG_RDI, ad, di + delta);
		break;
	case 0xaa:	/* STOS */
	case 0xab:
		rc = mem_write(e, X86_SEG_ES, di, bytes, reg_read(e, X86_REG_RAX, bytes));
		reg_write(e, X86_REG_RDI, ad, di + delta);
		break;
	default:	/* LODS */
		rc = mem_read(e, seg_or(insn, X86_SEG_DS), si, bytes, &val);
		if (rc == X86EMUL_CONTINUE)
			reg_write(e, X86_REG_RAX, bytes, val);
		reg_write(e, X86_REG_RSI, ad, si + delta);
		break;
	}

	if (insn->rep) {
		reg_write(e, X86_REG_RCX, ad, count - 1);
		e->rip_done = count == 1;
	}
	return rc;
}

/*
 * LOCK is valid only on the read-modify-write forms with a memory
 * destination (SDM vol. 2A, LOCK--Assert LOCK# Signal Prefix); elsewhere it
 * is #UD.  XCHG with memory is locked whether or not the prefix is present.
 */
static bool lock_valid(const struct x86_insn *insn)
{
	u8 op = insn->opcode[0];

	if (insn->opcode_len != 1 || insn->mod == 3)
		return false;
	if (op < 0x40 && (op & 7) < 2)		/* Eb,Gb / Ev,Gv forms of 00-3F */
		return (op >> 3) != ALU_CMP;
	if (op >= 0x80 && op <= 0x83)		/* group 1 */
		return (insn->reg & 7) != ALU_CMP;
	return op == 0x86 || op == 0x87;
}

static int emulate_onebyte(struct emul *e)
{
	const struct x86_insn *insn = e->insn;
	u8 op = insn->opcode[0];
	unsigned int bytes = op & 1 ? insn->op_bytes : 1;
	u8 reg = insn->reg & 7;

	switch (op) {
	case 0x00 ... 0x05:
	case 0x08 ... 0x0d:
	case 0x10 ... 0x15:
	case 0x18 ... 0x1d:
	case 0x20 ... 0x25:
	case 0x28 ... 0x2d:
	case 0x30 ... 0x35:
	case 0x38 ... 0x3d:
		return em_alu(e, op);
	case 0x63:
		/*
		 * MOVSXD in 64-bit mode (ARPL elsewhere).  Without REX.W it is
		 * a 32-bit MOV; with a 16-bit operand size the vendors differ.
		 */
		if (e->ctxt->mode != X86_MODE_LONG64 || insn->op_bytes == 2)
			return X86EMUL_UNHANDLEABLE;
		return em_load(e, insn->op_bytes, 4, insn->op_bytes == 8);
	case 0x80 ... 0x83:	/* group 1: Eb,Ib / Ev,Iz / Eb,Ib / Ev,Ib */
		bytes = op == 0x81 || op == 0x83 ? insn->op_bytes : 1;
		return em_alu_rm(e, reg, true, bytes, sign_extend(insn->imm, insn->imm_bytes));
	case 0x84:
	case 0x85:
		return em_test(e, bytes, reg_read(e, insn->reg, bytes));
	case 0x86:
	case 0x87:
		return em_xchg(e, bytes);
	case 0x88:
	case 0x89:
		return rm_write(e, bytes, reg_read(e, insn->reg, bytes));
	case 0x8a:
	case 0x8b:
		return em_load(e, bytes, bytes, false);
	case 0xa0 ... 0xa3:
		return em_moffs(e, op);
	case 0xa4:
	case 0xa5:
	case 0xaa ... 0xad:
		return em_string(e, op);
	case 0xa8:
	case 0xa9:
		alu(ALU_AND, reg_read(e, X86_REG_RAX, bytes),
		    sign_extend(insn->imm, insn->imm_bytes), bytes, &e->rflags);
		return X86EMUL_CONTINUE;
	case 0xc6:
	case 0xc7:
		/* MOV Ev, Iz: the immediate is sign-extended to 64 bits */
		if (reg != 0)
			return X86EMUL_UNHANDLEABLE;
		return rm_write(e, bytes, sign_extend(insn->imm, insn->imm_bytes));
	case 0xf6:
	case 0xf7:
		if (reg > 1)
			return X86EMUL_UNHANDLEABLE;
		return em_test(e, bytes, sign_extend(insn->imm, insn->imm_bytes));
	}
	return X86EMUL_UNHANDLEABLE;
}

static int emulate_twobyte(struct emul *e)
{
	switch (e->insn->opcode[1]) {
	case 0xb6:	/* MOVZX Gv, Eb */
		return em_load(e, e->insn->op_bytes, 1, false);
	case 0xb7:	/* MOVZX Gv, Ew */
		return em_load(e, e->insn->op_bytes, 2, false);
	case 0xbe:	/* MOVSX Gv, Eb */
		return em_load(e, e->insn->op_bytes, 1, true);
	case 0xbf:	/* MOVSX Gv, Ew */
		return em_load(e, e->insn->op_bytes, 2, true);
	}
	return X86EMUL_UNHANDLEABLE;
}

int x86_emulate_insn(struct x86_emul_ctxt *ctxt)
{
	struct x86_insn *insn = &ctxt->insn;
	struct emul e;
	int rc;

	memset(&ctxt->exception, 0, sizeof(ctxt->exception));
	if (!ctxt->ops || !ctxt->ops->read || !ctxt->ops->write ||
	    (unsigned int)ctxt->mode > X86_MODE_LONG64)
		return X86EMUL_UNHANDLEABLE;
	if (x86_decode_insn(ctxt->insn_bytes, ctxt->insn_avail, ctxt->mode, insn))
		return X86EMUL_UNHANDLEABLE;
	if (insn->lock && !lock_valid(insn))
		return X86EMUL_UNHANDLEABLE;

	e.ctxt = ctxt;
	e.insn = insn;
	memcpy(e.gpr, ctxt->gpr, sizeof(e.gpr));
	e.rip = ctxt->rip;
	e.rflags = ctxt->rflags;
	e.rip_done = true;

	if (insn->opcode_len == 1)
		rc = emulate_onebyte(&e);
	else if (insn->opcode_len == 2)
		rc = emulate_twobyte(&e);
	else
		rc = X86EMUL_UNHANDLEABLE;
	if (rc != X86EMUL_CONTINUE)
		return rc;

	if (e.rip_done) {
		e.rip = next_rip(&e);
		if (ctxt->mode != X86_MODE_LONG64)
			e.rip = (u32)e.rip;
	}
	memcpy(ctxt->gpr, e.gpr, sizeof(e.gpr));
	ctxt->rip = e.rip;
	ctxt->rflags = e.rflags;
	return X86EMUL_CONTINUE;
}
