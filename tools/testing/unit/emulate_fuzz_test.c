// SPDX-License-Identifier: GPL-2.0
/*
 * Randomized test of the x86 decoder and MMIO emulator (emulate.c): a fixed
 * seed and a bounded number of rounds, so it is repeatable and takes a few
 * seconds.  Instruction bytes are random but biased towards prefixes, the
 * emulated opcodes and interesting ModRM/SIB bytes; registers, modes and
 * segment bases are random; the memory callbacks return random data or
 * random failures.  What is checked is what must hold for any input:
 *
 *  - decoding returns 0 or -EINVAL; a decoded length is 1..15 and no more
 *    than the bytes given, and decoding exactly those bytes gives the same
 *    result while one byte fewer does not decode;
 *  - nothing is read past the bytes given (each buffer is a heap block of
 *    exactly that size, under ASan);
 *  - emulation returns one of the four results; on anything but
 *    X86EMUL_CONTINUE the registers, RIP and RFLAGS are as on entry; on
 *    X86EMUL_CONTINUE RIP moved past the instruction (or stayed, for an
 *    unfinished REP) and only arithmetic flags changed;
 *  - callbacks get 1, 2, 4 or 8 bytes at addresses that fit the mode; at
 *    most one write per instruction, and no read after it;
 *  - after X86EMUL_IO_NEEDED, running again repeats the same read;
 *  - the same input gives the same output.
 *
 * Set EMULATE_FUZZ_SEED and EMULATE_FUZZ_ROUNDS in the environment to
 * explore further than the default run.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "emulate.h"

#define DEFAULT_SEED	0x6b657374726c3031ULL	/* "kestrl01" */
#define DECODE_ROUNDS	600000
#define EMULATE_ROUNDS	300000

static u64 rng_state;

static u64 rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static unsigned int below(unsigned int n)
{
	return rnd() % n;
}

static bool chance(unsigned int percent)
{
	return below(100) < percent;
}

static void seed_from_env(void)
{
	const char *s = getenv("EMULATE_FUZZ_SEED");

	rng_state = s ? strtoull(s, NULL, 0) : DEFAULT_SEED;
	if (!rng_state)
		rng_state = DEFAULT_SEED;
}

static unsigned int rounds(unsigned int def)
{
	const char *s = getenv("EMULATE_FUZZ_ROUNDS");

	return s ? strtoul(s, NULL, 0) : def;
}

static const u8 legacy_prefixes[] = {
	0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65,
};

/* One-byte opcodes the emulator handles, to make emulation reach its paths. */
static const u8 emulated_ops[] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x08, 0x09, 0x0a, 0x0b, 0x10, 0x11, 0x18, 0x19,
	0x20, 0x21, 0x28, 0x29, 0x30, 0x31, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x63,
	0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b,
	0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad,
	0xc6, 0xc7, 0xf6, 0xf7,
};

static const u8 emulated_0f_ops[] = { 0xb6, 0xb7, 0xbe, 0xbf };

/* Random instruction bytes, biased; returns how many (0..15, rarely 16+). */
static unsigned int gen_insn(u8 *buf, unsigned int size, enum x86_cpu_mode mode)
{
	unsigned int n = 0, i, total;

	while (n < size && chance(25))
		buf[n++] = legacy_prefixes[below(sizeof(legacy_prefixes))];
	if (n < size && mode == X86_MODE_LONG64 && chance(40))
		buf[n++] = 0x40 | below(16);

	if (n < size) {
		switch (below(10)) {
		case 0 ... 3:
			buf[n++] = emulated_ops[below(sizeof(emulated_ops))];
			break;
		case 4:
			buf[n++] = 0x0f;
			if (n < size)
				buf[n++] = emulated_0f_ops[below(sizeof(emulated_0f_ops))];
			break;
		case 5:
			buf[n++] = 0x0f;
			if (n < size)
				buf[n++] = rnd();
			break;
		case 6:
			buf[n++] = 0x0f;
			if (n < size)
				buf[n++] = chance(50) ? 0x38 : 0x3a;
			if (n < size)
				buf[n++] = rnd();
			break;
		default:
			buf[n++] = rnd();
			break;
		}
	}
	/* ModRM: favour memory forms and the SIB/disp32/RIP-relative encodings */
	if (n < size) {
		u8 modrm = rnd();

		if (chance(30))
			modrm = (modrm & 0xf8) | (chance(50) ? 4 : 5);
		if (chance(20))
			modrm &= 0x3f;
		buf[n++] = modrm;
	}
	while (n < size)
		buf[n++] = chance(30) ? 0 : rnd();

	/* how much of it the caller "fetched" */
	total = chance(80) ? 15 : below(17);
	for (i = total; i < size; i++)
		buf[i] = 0;
	return total;
}

static enum x86_cpu_mode rnd_mode(void)
{
	return (enum x86_cpu_mode)below(X86_MODE_LONG64 + 1);
}

static u8 *exact_copy(const u8 *bytes, unsigned int n)
{
	u8 *p = malloc(n ? n : 1);

	memcpy(p, bytes, n);
	return p;
}

TEST(decode_invariants)
{
	unsigned int i, n = rounds(DECODE_ROUNDS), decoded = 0;

	seed_from_env();
	for (i = 0; i < n; i++) {
		enum x86_cpu_mode mode = rnd_mode();
		struct x86_insn insn, again;
		u8 buf[16];
		unsigned int avail = gen_insn(buf, sizeof(buf), mode);
		u8 *p = exact_copy(buf, avail);
		int rc = x86_decode_insn(p, avail, mode, &insn);

		ASSERT_TRUE(rc == 0 || rc == -EINVAL) TH_LOG("round %u rc %d", i, rc);
		if (rc) {
			free(p);
			continue;
		}
		decoded++;
		ASSERT_GE(insn.len, 1);
		ASSERT_LE(insn.len, X86_MAX_INSN_LEN);
		ASSERT_LE(insn.len, avail);
		ASSERT_TRUE(insn.opcode_len >= 1 && insn.opcode_len <= 3);
		ASSERT_TRUE(insn.op_bytes == 2 || insn.op_bytes == 4 || insn.op_bytes == 8);
		ASSERT_TRUE(insn.ad_bytes == 2 || insn.ad_bytes == 4 || insn.ad_bytes == 8);
		ASSERT_TRUE(mode == X86_MODE_LONG64 || (insn.op_bytes != 8 && insn.ad_bytes != 8));
		ASSERT_TRUE(mode == X86_MODE_LONG64 || !insn.rex);
		ASSERT_TRUE(!insn.has_sib || insn.has_modrm);
		ASSERT_TRUE(!insn.rip_relative || mode == X86_MODE_LONG64);
		ASSERT_LE(insn.opcode_len + insn.has_modrm + insn.has_sib + insn.disp_bytes +
			  insn.imm_bytes + insn.imm2_bytes, insn.len);
		ASSERT_TRUE(insn.seg <= X86_SEG_NONE);
		ASSERT_TRUE(insn.rep == 0 || insn.rep == 0xf2 || insn.rep == 0xf3);

		/* exactly the instruction's bytes: the same decoding */
		free(p);
		p = exact_copy(buf, insn.len);
		ASSERT_EQ(0, x86_decode_insn(p, insn.len, mode, &again));
		ASSERT_EQ(0, memcmp(&insn, &again, sizeof(insn))) TH_LOG("round %u", i);
		/* one fewer: truncated */
		ASSERT_EQ(-EINVAL, x86_decode_insn(p, insn.len - 1, mode, &again));
		free(p);
	}
	/* the bias must actually produce instructions */
	ASSERT_GT(decoded, n / 4);
}

/* ---------------------------------------------------------------------
 * Emulation
 */

#define MAX_READS	8

static struct fuzz {
	struct x86_emul_ctxt ctxt;
	enum { DATA_RANDOM, DATA_HASH } data;
	unsigned int fail_percent;	/* chance of a read/write failing */
	unsigned int reads, writes;
	u64 read_la[MAX_READS];
	unsigned int read_bytes[MAX_READS];
	int io_needed_at;		/* index of the read that returned IO_NEEDED, or -1 */
	bool bad;			/* a callback saw something wrong */
	const char *why;
} fz;

static bool la_fits(u64 la, unsigned int bytes)
{
	u64 last = la + bytes - 1;

	if (fz.ctxt.mode != X86_MODE_LONG64)
		return la <= 0xffffffffULL;
	/* the emulator checks canonical addresses before calling back */
	if (fz.ctxt.la57)
		return (u64)((s64)(la << 7) >> 7) == la && (u64)((s64)(last << 7) >> 7) == last;
	return (u64)((s64)(la << 16) >> 16) == la && (u64)((s64)(last << 16) >> 16) == last;
}

static void flag_bad(const char *why)
{
	if (!fz.bad) {
		fz.bad = true;
		fz.why = why;
	}
}

static int inject_failure(void)
{
	switch (below(3)) {
	case 0:
		return X86EMUL_UNHANDLEABLE;
	case 1:
		fz.ctxt.exception.vector = 14;
		fz.ctxt.exception.error_code_valid = true;
		fz.ctxt.exception.error_code = below(32);
		return X86EMUL_EXCEPTION;
	default:
		return X86EMUL_IO_NEEDED;
	}
}

static int fuzz_read(void *opaque, u64 la, void *val, unsigned int bytes)
{
	unsigned int i;
	int rc;

	if (opaque != &fz)
		flag_bad("opaque");
	if (bytes != 1 && bytes != 2 && bytes != 4 && bytes != 8)
		flag_bad("read size");
	if (!la_fits(la, bytes))
		flag_bad("read address");
	if (fz.writes)
		flag_bad("read after write");
	if (fz.reads < MAX_READS) {
		fz.read_la[fz.reads] = la;
		fz.read_bytes[fz.reads] = bytes;
	}
	fz.reads++;
	if (fz.fail_percent && chance(fz.fail_percent)) {
		rc = inject_failure();
		if (rc == X86EMUL_IO_NEEDED && fz.io_needed_at < 0)
			fz.io_needed_at = fz.reads - 1;
		return rc;
	}
	for (i = 0; i < bytes && i < 8; i++)
		((u8 *)val)[i] = fz.data == DATA_HASH ? (u8)((la + i) * 0x9e3779b1u >> 13) : rnd();
	return X86EMUL_CONTINUE;
}

static int fuzz_write(void *opaque, u64 la, const void *val, unsigned int bytes)
{
	if (opaque != &fz)
		flag_bad("opaque");
	if (bytes != 1 && bytes != 2 && bytes != 4 && bytes != 8)
		flag_bad("write size");
	if (!la_fits(la, bytes))
		flag_bad("write address");
	if (fz.writes++)
		flag_bad("second write");
	if (fz.fail_percent && chance(fz.fail_percent)) {
		/* writes are queued; they fail but do not go to userspace */
		return chance(50) ? X86EMUL_UNHANDLEABLE : X86EMUL_EXCEPTION;
	}
	return X86EMUL_CONTINUE;
}

static const struct x86_emul_ops fuzz_ops = {
	.read = fuzz_read,
	.write = fuzz_write,
};

static u64 rnd_reg(void)
{
	switch (below(6)) {
	case 0:
		return 0;
	case 1:
		return below(0x10000);
	case 2:
		return 0xfee00000ULL + below(0x1000);
	case 3:
		return -(u64)below(0x100);
	case 4:
		return 0xffff800000000000ULL | rnd();
	default:
		return rnd();
	}
}

struct regs {
	u64 gpr[16];
	u64 rip, rflags;
};

static void snap(struct regs *r)
{
	memcpy(r->gpr, fz.ctxt.gpr, sizeof(r->gpr));
	r->rip = fz.ctxt.rip;
	r->rflags = fz.ctxt.rflags;
}

static void restore(const struct regs *r)
{
	memcpy(fz.ctxt.gpr, r->gpr, sizeof(r->gpr));
	fz.ctxt.rip = r->rip;
	fz.ctxt.rflags = r->rflags;
}

static unsigned int changed_gprs(const struct regs *a, const struct regs *b)
{
	unsigned int r, n = 0;

	for (r = 0; r < 16; r++)
		n += a->gpr[r] != b->gpr[r];
	return n;
}

/* How many registers an instruction may change: string ops rAX or rSI, rDI, rCX; XCHG two. */
static unsigned int max_changed(const struct x86_insn *insn)
{
	u8 op = insn->opcode[0];

	if (insn->opcode_len == 1 && op >= 0xa4 && op <= 0xaf)
		return 3;
	if (insn->opcode_len == 1 && (op == 0x86 || op == 0x87))
		return 2;
	return 1;
}

#define ARITH_FLAGS	(X86_RFLAGS_CF | X86_RFLAGS_PF | X86_RFLAGS_AF | X86_RFLAGS_ZF | \
			 X86_RFLAGS_SF | X86_RFLAGS_OF)

static int emulate_once(const u8 *bytes, unsigned int avail)
{
	u8 *p = exact_copy(bytes, avail);
	int rc;

	fz.ctxt.insn_bytes = p;
	fz.ctxt.insn_avail = avail;
	fz.reads = 0;
	fz.writes = 0;
	fz.io_needed_at = -1;
	memset(fz.read_la, 0, sizeof(fz.read_la));
	memset(fz.read_bytes, 0, sizeof(fz.read_bytes));
	rc = x86_emulate_insn(&fz.ctxt);
	fz.ctxt.insn_bytes = NULL;
	free(p);
	return rc;
}

TEST(emulate_invariants)
{
	unsigned int i, n = rounds(EMULATE_ROUNDS), r;
	unsigned int results[4] = { 0 }, io_reruns = 0;

	seed_from_env();
	for (i = 0; i < n; i++) {
		struct regs before, after;
		struct x86_insn insn;
		u8 buf[16];
		unsigned int avail, first_reads;
		u64 first_la[MAX_READS];
		unsigned int first_bytes[MAX_READS];
		int rc, rc2, io_at;

		memset(&fz, 0, sizeof(fz));
		fz.ctxt.mode = rnd_mode();
		fz.ctxt.la57 = chance(20);
		fz.ctxt.ops = &fuzz_ops;
		fz.ctxt.opaque = &fz;
		for (r = 0; r < 16; r++)
			fz.ctxt.gpr[r] = rnd_reg();
		fz.ctxt.rip = chance(20) ? 0xfffffff0ULL + below(16) : rnd_reg();
		fz.ctxt.rflags = 0x2 | (rnd() & (ARITH_FLAGS | X86_RFLAGS_DF | 0x200));
		for (r = 0; r < 6; r++)
			fz.ctxt.seg_base[r] = chance(50) ? 0 : rnd_reg();
		fz.data = chance(50) ? DATA_RANDOM : DATA_HASH;
		fz.fail_percent = chance(50) ? 0 : 1 + below(60);
		avail = gen_insn(buf, sizeof(buf), fz.ctxt.mode);

		snap(&before);
		rc = emulate_once(buf, avail);
		ASSERT_FALSE(fz.bad) TH_LOG("round %u: %s", i, fz.why);
		ASSERT_TRUE(rc >= X86EMUL_CONTINUE && rc <= X86EMUL_EXCEPTION);
		results[rc]++;
		snap(&after);

		if (rc != X86EMUL_CONTINUE) {
			ASSERT_EQ(0, memcmp(&before, &after, sizeof(before)))
				TH_LOG("round %u: registers changed with rc %d", i, rc);
			if (rc == X86EMUL_EXCEPTION && !fz.reads && !fz.writes)
				ASSERT_TRUE(fz.ctxt.exception.vector == X86_VEC_GP ||
					    fz.ctxt.exception.vector == X86_VEC_SS);
		} else {
			u64 next = before.rip + fz.ctxt.insn.len;

			ASSERT_EQ(0, x86_decode_insn(buf, avail, fz.ctxt.mode, &insn));
			ASSERT_EQ(insn.len, fz.ctxt.insn.len);
			if (fz.ctxt.mode != X86_MODE_LONG64)
				next = (u32)next;
			/* RIP stays only for an unfinished REP string instruction */
			ASSERT_TRUE(after.rip == next || (insn.rep && after.rip == before.rip))
				TH_LOG("round %u", i);
			ASSERT_EQ(before.rflags & ~ARITH_FLAGS, after.rflags & ~ARITH_FLAGS);
			ASSERT_LE(changed_gprs(&before, &after), max_changed(&insn))
				TH_LOG("round %u", i);
			ASSERT_LE(fz.reads, 1U);
			ASSERT_LE(fz.writes, 1U);
		}

		/* IO_NEEDED: once the data is there the same read comes again */
		io_at = fz.io_needed_at;
		if (rc == X86EMUL_IO_NEEDED && io_at >= 0 && io_at < MAX_READS) {
			u64 la = fz.read_la[io_at];
			unsigned int bytes = fz.read_bytes[io_at];

			fz.fail_percent = 0;
			restore(&before);
			rc2 = emulate_once(buf, avail);
			ASSERT_FALSE(fz.bad) TH_LOG("round %u rerun: %s", i, fz.why);
			ASSERT_GT(fz.reads, (unsigned int)io_at);
			ASSERT_EQ(la, fz.read_la[io_at]);
			ASSERT_EQ(bytes, fz.read_bytes[io_at]);
			ASSERT_NE(X86EMUL_IO_NEEDED, rc2);
			io_reruns++;
		}

		/* determinism, with callbacks that answer the same way */
		if (fz.data == DATA_HASH && !fz.fail_percent) {
			struct regs one;

			restore(&before);
			rc = emulate_once(buf, avail);
			first_reads = fz.reads;
			memcpy(first_la, fz.read_la, sizeof(first_la));
			memcpy(first_bytes, fz.read_bytes, sizeof(first_bytes));
			snap(&one);
			restore(&before);
			rc2 = emulate_once(buf, avail);
			ASSERT_EQ(rc, rc2);
			ASSERT_EQ(first_reads, fz.reads);
			ASSERT_EQ(0, memcmp(first_la, fz.read_la, sizeof(first_la)));
			ASSERT_EQ(0, memcmp(first_bytes, fz.read_bytes, sizeof(first_bytes)));
			snap(&after);
			ASSERT_EQ(0, memcmp(&one, &after, sizeof(one)));
		}
	}
	/* every outcome must have been reached */
	TH_LOG("continue %u, io_needed %u (re-run %u), unhandleable %u, exception %u",
	       results[0], results[1], io_reruns, results[2], results[3]);
	if (n >= EMULATE_ROUNDS) {
		ASSERT_GT(results[X86EMUL_CONTINUE], n / 10);
		ASSERT_GT(results[X86EMUL_IO_NEEDED], n / 100);
		ASSERT_GT(results[X86EMUL_EXCEPTION], n / 100);
		ASSERT_GT(io_reruns, n / 100);
	}
}

TEST_HARNESS_MAIN
