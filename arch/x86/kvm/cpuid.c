// SPDX-License-Identifier: GPL-2.0
/*
 * CPUID: what Kestrel can virtualize (KVM_GET_SUPPORTED_CPUID), what the
 * VMM gives each vCPU (KVM_SET_CPUID2), and the guest's CPUID exits.
 *
 * The supported table is the host's CPUID filtered down to what works in a
 * guest on Kestrel today; it is deliberately narrower than stock KVM's (no
 * XSAVES, x2APIC, TSC deadline, PMU, PKU, nested SVM, speculation-control
 * MSRs).  Each leaf's filter says why in its comment.
 */
#include <linux/kvm.h>
#include <linux/minmax.h>
#include <linux/sched/stat.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/apicdef.h>
#include <asm/cpuid.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xstate.h>
#include <asm/kvm_para.h>
#include <asm/msr-index.h>
#include <asm/pgtable.h>
#include <asm/processor.h>
#include <asm/traps.h>

#include <kestrel/kvm_host.h>
#include "cpuid.h"
#include "lapic.h"
#include "msr.h"
#include "x86.h"

/* As KVM's arch/x86/include/asm/kvm_host.h. */
#define KVM_MAX_CPUID_ENTRIES	256

/* The bit of an X86_FEATURE_* flag within its CPUID register. */
#define F(name)		BIT(X86_FEATURE_##name & 31)

/* The highest basic and extended leaves KVM 6.1 knows how to filter. */
#define CPUID_MAX_BASIC		0x1fU
#define CPUID_MAX_EXT		0x80000021U

/*
 * CPUID.1:ECX.  Left out: DTES64, MONITOR, DS-CPL, VMX, SMX, EST, TM2,
 * xTPR and PDCM (debug store, power and performance monitoring: none is
 * virtualized) and TSC-deadline (KVM_CAP_TSC_DEADLINE_TIMER tells VMMs
 * instead, as in KVM).  x2APIC is added below: the in-kernel LAPIC
 * emulates it whatever the host has, and KVM reports it always.  OSXSAVE
 * follows the guest's CR4.  XSAVE and the AVX family are added below when
 * the host lets guests enable their state components.
 */
#define LEAF1_ECX	(F(XMM3) | F(PCLMULQDQ) | F(SSSE3) | F(CX16) |	\
			 F(PCID) | F(XMM4_1) | F(XMM4_2) | F(MOVBE) |	\
			 F(POPCNT) | F(AES) | F(RDRAND))
/*
 * CPUID.1:EDX.  Left out: MCE, MCA and MTRR (their MSRs are not emulated
 * yet), PSN, DS, ACPI, TM, PBE, and HTT (there is no topology).
 */
#define LEAF1_EDX	(F(FPU) | F(VME) | F(DE) | F(PSE) | F(TSC) |	\
			 F(MSR) | F(PAE) | F(CX8) | F(APIC) | F(SEP) |	\
			 F(PGE) | F(CMOV) | F(PAT) | F(PSE36) |		\
			 F(CLFLUSH) | F(MMX) | F(FXSR) | F(XMM) |	\
			 F(XMM2) | F(SELFSNOOP))
/*
 * CPUID.(7,0):EBX.  Left out: SGX, HLE/RTM (no TSX control), MPX (its
 * state components are not offered), Intel PT.  AVX2 and AVX-512: below.
 */
#define LEAF7_EBX	(F(FSGSBASE) | F(BMI1) | F(FDP_EXCPTN_ONLY) |	\
			 F(SMEP) | F(BMI2) | F(ERMS) | F(INVPCID) |	\
			 F(ZERO_FCS_FDS) | F(RDSEED) | F(ADX) | F(SMAP) | \
			 F(CLFLUSHOPT) | F(CLWB) | F(SHA_NI))
/*
 * CPUID.(7,0):ECX.  Left out: PKU/OSPKE (PKRU is not offered in XCR0),
 * WAITPKG, SGX_LC, bus-lock detection (needs DEBUGCTL).  LA57 and the
 * vector extensions are added separately.  RDPID reads the guest's
 * TSC_AUX, loaded while the guest runs.
 */
#define LEAF7_ECX	(F(UMIP) | F(GFNI) | F(CLDEMOTE) | F(MOVDIRI) |	\
			 F(MOVDIR64B) | F(RDPID))
/*
 * CPUID.(7,0):EDX.  Left out: the AMX bits (dynamic state not offered),
 * TSXLDTRK, and the speculation-control bits that promise MSRs (SPEC_CTRL,
 * STIBP, SSBD, ARCH_CAPABILITIES).  MD_CLEAR only says what VERW does.
 */
#define LEAF7_EDX	(F(MD_CLEAR) | F(FSRM) | F(SERIALIZE))
/*
 * CPUID.80000001h:ECX.  Left out: SVM (no nesting), ExtApicSpace, IBS,
 * SKINIT, WDT, LWP, PERFCTR_CORE, OSVW (its MSRs are not emulated).  XOP
 * and FMA4 need XCR0.YMM (APM vol. 4, 1.1): below.
 */
#define EXT1_ECX	(F(LAHF_LM) | F(CMP_LEGACY) | F(CR8_LEGACY) |	\
			 F(ABM) | F(SSE4A) | F(MISALIGNSSE) |		\
			 F(3DNOWPREFETCH) | F(TBM) | F(TOPOEXT))
/*
 * CPUID.80000001h:EDX: the bits that mirror CPUID.1:EDX (APM vol. 3,
 * appendix E.4.2) as filtered above, plus the AMD ones.  1 GiB pages work
 * with nested paging; RDTSCP reads the guest's TSC_AUX.
 */
#define EXT1_EDX	((LEAF1_EDX & ~(F(CLFLUSH) | F(XMM) | F(XMM2) |	\
				       F(SELFSNOOP) | F(SEP))) |	\
			 F(SYSCALL) | F(NX) | F(MMXEXT) | F(FXSR_OPT) |	\
			 F(GBPAGES) | F(LM) | F(3DNOWEXT) | F(3DNOW) |	\
			 F(RDTSCP))
/*
 * CPUID.80000008h:EBX.  Left out: the IBRS/STIBP/SSBD controls (SPEC_CTRL
 * is not switched for the guest) and WBNOINVD (its WBINVD intercept is
 * skipped, not run).  IBPB (PRED_CMD) is added when the host has it.
 */
#define EXT8_EBX	(F(CLZERO) | F(XSAVEERPTR))

/*
 * Instructions whose state lives in XSAVE components (SDM vol. 1, 13.1 and
 * 14.3; APM vol. 4, 1.1): offered only with the XCR0 bits they need.  The
 * VEX/EVEX forms #UD unless the guest's XCR0 enables the state, so a
 * guest that sees one of these can always use it.
 */
#define XSAVE_LEAF1_ECX	(F(XSAVE))
#define YMM_LEAF1_ECX	(F(AVX) | F(FMA) | F(F16C))
#define YMM_LEAF7_EBX	(F(AVX2))
#define YMM_LEAF7_ECX	(F(VAES) | F(VPCLMULQDQ))
#define YMM_LEAF7_1_EAX	(F(AVX_VNNI))
#define YMM_EXT1_ECX	(F(XOP) | F(FMA4))
#define ZMM_LEAF7_EBX	(F(AVX512F) | F(AVX512DQ) | F(AVX512IFMA) |	\
			 F(AVX512PF) | F(AVX512ER) | F(AVX512CD) |	\
			 F(AVX512BW) | F(AVX512VL))
#define ZMM_LEAF7_ECX	(F(AVX512VBMI) | F(AVX512_VBMI2) |		\
			 F(AVX512_VNNI) | F(AVX512_BITALG) |		\
			 F(AVX512_VPOPCNTDQ))
#define ZMM_LEAF7_EDX	(F(AVX512_4VNNIW) | F(AVX512_4FMAPS) |		\
			 F(AVX512_VP2INTERSECT) | F(AVX512_FP16))
#define ZMM_LEAF7_1_EAX	(F(AVX512_BF16))
/*
 * CPUID.(0Dh,1):EAX.  Left out: XSAVES (IA32_XSS is not switched for the
 * guest) and XFD (no dynamically enabled state).
 */
#define XSAVE_LEAF_D1_EAX (F(XSAVEOPT) | F(XSAVEC) | F(XGETBV1))

/* KVM's paravirtual leaves: "KVMKVMKVM\0\0\0", then the features leaf. */
#define KVM_CPUID_MAX_PV	KVM_CPUID_FEATURES

/*
 * KVM's lookups.  cpuid_find(): the first entry for @function whose index
 * matches, or whose index is not significant, as the guest's CPUID sees
 * them.  cpuid_find_first(): the first entry for @function, for leaves
 * whose index is architecturally not significant.
 */
static struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid_entry2 *entries,
					   int nent, u32 function, u32 index)
{
	int i;

	for (i = 0; i < nent; i++) {
		struct kvm_cpuid_entry2 *e = &entries[i];

		if (e->function == function &&
		    (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ||
		     e->index == index))
			return e;
	}
	return NULL;
}

static struct kvm_cpuid_entry2 *
cpuid_find_first(struct kvm_cpuid_entry2 *entries, int nent, u32 function)
{
	int i;

	for (i = 0; i < nent; i++)
		if (entries[i].function == function)
			return &entries[i];
	return NULL;
}

struct cpuid_array {
	struct kvm_cpuid_entry2 *entries;
	int maxnent;
	int nent;
};

/*
 * The vector-instruction bits for the state components guests may enable:
 * @xsave with any (XSAVE itself), @ymm with AVX state, @zmm with the three
 * AVX-512 components.
 */
static u32 cpuid_xsave_mask(u32 xsave, u32 ymm, u32 zmm)
{
	u32 mask = 0;

	if (kvm_supported_xcr0 & XFEATURE_MASK_SSE)
		mask |= xsave;
	if (kvm_supported_xcr0 & XFEATURE_MASK_YMM)
		mask |= ymm;
	if ((kvm_supported_xcr0 & XFEATURE_MASK_AVX512) == XFEATURE_MASK_AVX512)
		mask |= zmm;
	return mask;
}

/*
 * The size of an XSAVE area holding the components in @xfeatures, in the
 * standard or the compacted format (SDM vol. 1, 13.4.3): the legacy area
 * and the header, then each component at its CPUID.(0Dh,i) offset, or one
 * after another, 64-byte aligned where CPUID.(0Dh,i):ECX[1] says so.
 */
static u32 cpuid_xstate_size(u64 xfeatures, bool compacted)
{
	u32 eax, ebx, ecx, edx;
	u32 size = XSAVE_HDR_OFFSET + XSAVE_HDR_SIZE;
	int i;

	for (i = FIRST_EXTENDED_XFEATURE; i < 64; i++) {
		if (!(xfeatures & BIT_ULL(i)))
			continue;
		cpuid_count(0xd, i, &eax, &ebx, &ecx, &edx);
		if (compacted)
			size = ((ecx & BIT(1)) ? ALIGN(size, 64) : size) + eax;
		else
			size = max(size, ebx + eax);
	}
	return size;
}

/*
 * Leaf 0Dh, XSAVE (SDM vol. 2A CPUID): what Kestrel lets the guest put in
 * XCR0, the sizes that go with it, and each such component's geometry.
 */
static void cpuid_filter_xsave(struct kvm_cpuid_entry2 *e)
{
	u64 xcr0 = kvm_supported_xcr0;

	if (!xcr0) {
		e->eax = 0;
		e->ebx = 0;
		e->ecx = 0;
		e->edx = 0;
		return;
	}
	switch (e->index) {
	case 0:
		e->eax &= (u32)xcr0;
		e->edx &= (u32)(xcr0 >> 32);
		e->ebx = cpuid_xstate_size(xcr0, false);
		e->ecx = e->ebx;
		break;
	case 1:
		e->eax &= XSAVE_LEAF_D1_EAX;
		e->ebx = (e->eax & F(XSAVEC)) ? cpuid_xstate_size(xcr0, true) : 0;
		e->ecx = 0;		/* IA32_XSS: no supervisor state */
		e->edx = 0;
		break;
	default:
		if (e->index >= 64 || !(xcr0 & BIT_ULL(e->index))) {
			e->eax = 0;
			e->ebx = 0;
			e->ecx = 0;
		}
		/* ECX[1]: 64-byte alignment; not supervisor, not XFD. */
		e->ecx &= BIT(1);
		e->edx = 0;
		break;
	}
}

/*
 * Filter the host's values of @e (function and index filled in) down to
 * what a Kestrel guest may see.  Leaves not named here are zeroed, as KVM
 * does: they describe hardware that is not virtualized (thermal and power,
 * RDT, SGX, PT, the brand string that VMMs write themselves...).
 */
static void cpuid_filter(struct kvm_cpuid_entry2 *e)
{
	switch (e->function) {
	case 0:
		e->eax = min(e->eax, CPUID_MAX_BASIC);
		break;
	case 1:
		e->ecx &= LEAF1_ECX | cpuid_xsave_mask(XSAVE_LEAF1_ECX,
						       YMM_LEAF1_ECX, 0);
		/* SDM vol. 2A CPUID: bit 31 is reserved for hypervisor use. */
		e->ecx |= F(HYPERVISOR) | F(X2APIC);
		e->edx &= LEAF1_EDX;
		break;
	case 2:		/* Cache and TLB descriptors. */
	case 4:		/* Deterministic cache parameters. */
	case 0x80000006:
	case 0x8000001d:
		/* Host cache geometry, harmless; reserved bits dropped. */
		if (e->function == 0x80000006)
			e->edx &= ~GENMASK(17, 16);
		break;
	case 6:
		/* ARAT: a virtual APIC timer never stops in a C-state. */
		e->eax = F(ARAT);
		e->ebx = 0;
		e->ecx = 0;
		e->edx = 0;
		break;
	case 7:
		if (e->index == 0) {
			/* Subleaves 1 and 2 exist, empty, when the host's do. */
			e->eax = min(e->eax, 2U);
			e->ebx &= LEAF7_EBX |
				  cpuid_xsave_mask(0, YMM_LEAF7_EBX, ZMM_LEAF7_EBX);
			/* Emulated in software whatever the host has (msr.c). */
			e->ebx |= F(TSC_ADJUST);
			/*
			 * Five-level guest paging works under nested paging
			 * whatever the host uses, but KVM_SET_SREGS accepts
			 * CR4.LA57 only when the host itself runs LA57.
			 */
			e->ecx &= LEAF7_ECX | (pgtable_l5_enabled() ? F(LA57) : 0) |
				  cpuid_xsave_mask(0, YMM_LEAF7_ECX, ZMM_LEAF7_ECX);
			e->edx &= LEAF7_EDX |
				  cpuid_xsave_mask(0, 0, ZMM_LEAF7_EDX);
		} else {
			/* 7.1: AVX-VNNI, AVX512_BF16; 7.2: MSR controls. */
			e->eax &= e->index == 1 ?
				  cpuid_xsave_mask(0, YMM_LEAF7_1_EAX,
						   ZMM_LEAF7_1_EAX) : 0;
			e->ebx = 0;
			e->ecx = 0;
			e->edx = 0;
		}
		break;
	case 0xd:
		cpuid_filter_xsave(e);
		break;
	case 0xb:
	case 0x1f:
		/*
		 * No topology: a leaf whose subleaf 0 has EBX = 0 describes no
		 * level (SDM vol. 2A CPUID, leaf 0Bh).  EDX, the x2APIC ID, is
		 * for userspace to replace.
		 */
		e->eax = 0;
		e->ebx = 0;
		e->ecx = 0;
		break;
	case KVM_CPUID_SIGNATURE:
		e->eax = KVM_CPUID_MAX_PV;
		memcpy(&e->ebx, KVM_SIGNATURE, 4);
		memcpy(&e->ecx, KVM_SIGNATURE + 4, 4);
		memcpy(&e->edx, KVM_SIGNATURE + 8, 4);
		break;
	case KVM_CPUID_FEATURES:
		/*
		 * kvmclock (kvmclock.c); NOP_IO_DELAY only tells the guest it
		 * need not delay port I/O; steal time (steal_time.c); the
		 * SCHED_YIELD hint (hypercall.c).
		 */
		e->eax = BIT(KVM_FEATURE_CLOCKSOURCE) |
			 BIT(KVM_FEATURE_NOP_IO_DELAY) |
			 BIT(KVM_FEATURE_CLOCKSOURCE2) |
			 BIT(KVM_FEATURE_CLOCKSOURCE_STABLE_BIT) |
			 BIT(KVM_FEATURE_PV_SCHED_YIELD);
		/* steal_time.c: run_delay needs the scheduler's sched_info. */
		if (sched_info_on())
			e->eax |= BIT(KVM_FEATURE_STEAL_TIME);
		e->ebx = 0;
		e->ecx = 0;
		e->edx = 0;
		break;
	case 0x80000000:
		e->eax = min(e->eax, CPUID_MAX_EXT);
		break;
	case 0x80000001:
		/* EBX[27:16] are reserved (APM vol. 3, appendix E.4.2). */
		e->ebx &= ~GENMASK(27, 16);
		e->ecx &= EXT1_ECX | cpuid_xsave_mask(0, YMM_EXT1_ECX, 0);
		e->edx &= EXT1_EDX;
		break;
	case 0x80000007:
		/* Only the invariant TSC (EDX[8]); no power management. */
		e->eax = 0;
		e->ebx = 0;
		e->ecx = 0;
		e->edx &= BIT(8);
		break;
	case 0x80000008:
		/*
		 * Physical address bits are the host's raw MAXPHYADDR: with
		 * nested paging, guest physical addresses are not reduced by
		 * memory encryption.  Linear address bits are at least 48;
		 * ECX keeps only the core count fields, EDX is reserved.
		 */
		e->eax = (e->eax & 0xff) | (max((e->eax >> 8) & 0xff, 48U) << 8);
		e->ebx &= EXT8_EBX |
			  (boot_cpu_has(X86_FEATURE_IBPB) ? F(AMD_IBPB) : 0);
		if (!boot_cpu_has_bug(X86_BUG_SPEC_STORE_BYPASS))
			e->ebx |= F(AMD_SSB_NO);
		e->ecx &= ~(GENMASK(31, 16) | GENMASK(11, 8));
		e->edx = 0;
		break;
	case 0x80000019:
		/* 1 GiB TLB geometry in EAX/EBX; ECX and EDX are reserved. */
		e->ecx = 0;
		e->edx = 0;
		break;
	case 0x8000001a:
		/* Performance optimization identifiers: FP128, MOVU, FP256. */
		e->eax &= GENMASK(2, 0);
		e->ebx = 0;
		e->ecx = 0;
		e->edx = 0;
		break;
	case 0x80000021:
		/*
		 * Facts about the processor, no controls (APM vol. 3, E.4.21):
		 * NoNestedDataBp, LFENCE serializing, VERW clears buffers,
		 * NullSelectClearsBase.  SMM_CTL is never emulated: set
		 * NoSmmCtlMsr (bit 9), as KVM does.  ECX: TSA_SQ_NO, TSA_L1_NO.
		 */
		e->eax &= BIT(0) | BIT(2) | BIT(5) | BIT(6);
		e->eax |= BIT(9);
		e->ebx = 0;
		e->ecx &= BIT(1) | BIT(2);
		e->edx = 0;
		break;
	default:
		/*
		 * 3, 5, 0xa (no PMU), 0x12, 0x14, 0x1d, 0x1e,
		 * 0x8000000a (no nesting), 0x8000001e, 0x8000001f and every
		 * other leaf.
		 */
		e->eax = 0;
		e->ebx = 0;
		e->ecx = 0;
		e->edx = 0;
		break;
	}
}

/* The host's CPUID, except hypervisor leaves, which are all Kestrel's. */
static void cpuid_host_filtered(struct kvm_cpuid_entry2 *e, u32 function,
				u32 index)
{
	memset(e, 0, sizeof(*e));
	e->function = function;
	e->index = index;
	if ((function & 0xf0000000) != 0x40000000 &&
	    (function < 0x80000000 ||
	     function <= boot_cpu_data.extended_cpuid_level))
		cpuid_count(function, index, &e->eax, &e->ebx, &e->ecx,
			    &e->edx);
	if (cpuid_function_is_indexed(function))
		e->flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
	cpuid_filter(e);
	/* What the backend cannot give a guest although the host has it. */
	if (kvm_x86_ops->filter_supported_cpuid)
		kvm_x86_ops->filter_supported_cpuid(e);
}

static struct kvm_cpuid_entry2 *cpuid_add(struct cpuid_array *a,
					  u32 function, u32 index)
{
	struct kvm_cpuid_entry2 *e;

	if (a->nent >= a->maxnent)
		return NULL;
	e = &a->entries[a->nent++];
	cpuid_host_filtered(e, function, index);
	return e;
}

/* One leaf with the subleaves KVM 6.1 reports for it. */
static int cpuid_add_leaf(struct cpuid_array *a, u32 function)
{
	struct kvm_cpuid_entry2 *e = cpuid_add(a, function, 0);
	u32 i, max;

	if (!e)
		return -E2BIG;
	switch (function) {
	case 4:
	case 0x8000001d:
		/* Up to and including the first with cache type 0 (null). */
		for (i = 1; e->eax & 0x1f; i++) {
			e = cpuid_add(a, function, i);
			if (!e)
				return -E2BIG;
		}
		break;
	case 7:
		for (i = 1, max = e->eax; i <= max; i++)
			if (!cpuid_add(a, function, i))
				return -E2BIG;
		break;
	case 0xd:
		/* Subleaf 1, then one per component the guest may enable. */
		for (i = 1; i < 64 && kvm_supported_xcr0; i++) {
			if (i >= FIRST_EXTENDED_XFEATURE &&
			    !(kvm_supported_xcr0 & BIT_ULL(i)))
				continue;
			if (!cpuid_add(a, function, i))
				return -E2BIG;
		}
		break;
	}
	return 0;
}

/* Every leaf from @base up to the maximum that @base's EAX reports. */
static int cpuid_add_range(struct cpuid_array *a, u32 base)
{
	u32 function, max;
	int r;

	r = cpuid_add_leaf(a, base);
	if (r)
		return r;
	max = cpuid_find_first(a->entries, a->nent, base)->eax;
	for (function = base + 1; function <= max; function++) {
		r = cpuid_add_leaf(a, function);
		if (r)
			return r;
	}
	return 0;
}

/*
 * KVM 6.1's order: basic leaves, extended leaves, then the paravirtual
 * ones.  (Centaur leaves exist only on Centaur hosts, never SVM ones.)
 */
static int cpuid_get_supported(struct cpuid_array *a)
{
	int r;

	/* Leaf 1 EBX and leaf 0xb EDX are per-CPU: read them all on one. */
	get_cpu();
	r = cpuid_add_range(a, 0);
	if (!r)
		r = cpuid_add_range(a, 0x80000000);
	if (!r)
		r = cpuid_add_range(a, KVM_CPUID_SIGNATURE);
	put_cpu();
	return r;
}

long kvm_cpuid_check_extension(long ext)
{
	switch (ext) {
	case KVM_CAP_EXT_CPUID:
	case KVM_CAP_EXT_EMUL_CPUID:
		return 1;
	default:
		return 0;
	}
}

/*
 * KVM_GET_EMULATED_CPUID: what the instruction emulator offers beyond the
 * hardware.  KVM emulates MOVBE and RDPID on #UD; Kestrel's emulator runs
 * only for MMIO and port I/O, so the honest answer is an empty list.  The
 * argument checks are KVM's: padding must be zero here.
 */
static bool cpuid_padding_dirty(struct kvm_cpuid_entry2 __user *entries,
				u32 nent)
{
	u32 pad[3];
	u32 i;

	for (i = 0; i < nent; i++) {
		if (copy_from_user(pad, entries[i].padding, sizeof(pad)))
			return true;
		if (pad[0] || pad[1] || pad[2])
			return true;
	}
	return false;
}

/*
 * KVM_GET_SUPPORTED_CPUID and KVM_GET_EMULATED_CPUID, as KVM 6.1 does
 * them: nent 0 or too small is -E2BIG and leaves nent alone (api.rst says
 * userspace retries with a larger buffer); a larger nent is capped at
 * KVM_MAX_CPUID_ENTRIES and set to the count returned.
 */
long kvm_dev_ioctl_cpuid(unsigned int ioctl, void __user *argp)
{
	struct kvm_cpuid2 __user *uarg = argp;
	struct kvm_cpuid2 cpuid;
	struct cpuid_array a = { };
	long r = 0;

	if (copy_from_user(&cpuid, uarg, sizeof(cpuid)))
		return -EFAULT;
	if (cpuid.nent < 1)
		return -E2BIG;
	cpuid.nent = min_t(u32, cpuid.nent, KVM_MAX_CPUID_ENTRIES);

	if (ioctl == KVM_GET_EMULATED_CPUID) {
		if (cpuid_padding_dirty(uarg->entries, cpuid.nent))
			return -EINVAL;
	} else {
		a.entries = kvcalloc(cpuid.nent, sizeof(*a.entries),
				     GFP_KERNEL_ACCOUNT);
		if (!a.entries)
			return -ENOMEM;
		a.maxnent = cpuid.nent;
		r = cpuid_get_supported(&a);
		if (r)
			goto out;
		if (copy_to_user(uarg->entries, a.entries,
				 array_size(a.nent, sizeof(*a.entries)))) {
			r = -EFAULT;
			goto out;
		}
	}
	cpuid.nent = a.nent;
	if (copy_to_user(uarg, &cpuid, sizeof(cpuid)))
		r = -EFAULT;
out:
	kvfree(a.entries);
	return r;
}

static void cpuid_set_bit(u32 *reg, u32 bit, bool on)
{
	if (on)
		*reg |= bit;
	else
		*reg &= ~bit;
}

/*
 * The bits KVM keeps in step with guest state (its
 * kvm_update_cpuid_runtime()): OSXSAVE mirrors CR4.OSXSAVE and OSPKE
 * CR4.PKE when the host has the feature (SDM vol. 2A CPUID), and APIC
 * mirrors IA32_APIC_BASE.EN (SDM vol. 3A 10.4.3: a disabled APIC is not
 * reported in CPUID).  KVM applies them to the stored table whenever the
 * state changes; Kestrel, which does not intercept CR4 writes, applies
 * them whenever the table is read.
 */
static void cpuid_update_runtime(struct kvm_vcpu *vcpu,
				 struct kvm_cpuid_entry2 *entries, int nent)
{
	struct kvm_cpuid_entry2 *e;

	e = cpuid_find_first(entries, nent, 1);
	if (e) {
		if (boot_cpu_has(X86_FEATURE_XSAVE))
			cpuid_set_bit(&e->ecx, F(OSXSAVE),
				      vcpu->arch.cr4 & X86_CR4_OSXSAVE);
		cpuid_set_bit(&e->edx, F(APIC),
			      vcpu->arch.apic_base & MSR_IA32_APICBASE_ENABLE);
		/* See msr_set_misc_enable(). */
		if (!kvm_check_has_quirk(vcpu->kvm,
					 KVM_X86_QUIRK_MISC_ENABLE_NO_MWAIT))
			cpuid_set_bit(&e->ecx, F(MWAIT),
				      vcpu->arch.msrs->misc_enable &
				      MSR_IA32_MISC_ENABLE_MWAIT);
	}
	e = cpuid_find(entries, nent, 7, 0);
	if (e && boot_cpu_has(X86_FEATURE_PKU))
		cpuid_set_bit(&e->ecx, F(OSPKE), vcpu->arch.cr4 & X86_CR4_PKE);
	/* CPUID.(0Dh,0):EBX and (0Dh,1):EBX size the XCR0 now enabled. */
	e = cpuid_find(entries, nent, 0xd, 0);
	if (e && kvm_supported_xcr0)
		e->ebx = cpuid_xstate_size(vcpu->arch.xcr0, false);
	e = cpuid_find(entries, nent, 0xd, 1);
	if (e && kvm_supported_xcr0 && (e->eax & F(XSAVEC)))
		e->ebx = cpuid_xstate_size(vcpu->arch.xcr0, true);
}

/* The runtime bits of the stored table, after the state they show changed. */
void kvm_cpuid_update_runtime(struct kvm_vcpu *vcpu)
{
	if (vcpu->arch.cpuid_entries)
		cpuid_update_runtime(vcpu, vcpu->arch.cpuid_entries,
				     vcpu->arch.cpuid_nent);
}

/* KVM 6.1's kvm_check_cpuid(). */
static int cpuid_check(struct kvm_vcpu *vcpu, struct kvm_cpuid_entry2 *e2,
		       int nent)
{
	struct kvm_cpuid_entry2 *e;
	u64 xfeatures;

	/* Canonical-address checks assume 48- or 57-bit linear addresses. */
	e = cpuid_find_first(e2, nent, 0x80000008);
	if (e) {
		u32 vaddr_bits = (e->eax >> 8) & 0xff;

		if (vaddr_bits != 48 && vaddr_bits != 57 && vaddr_bits != 0)
			return -EINVAL;
	}

	/*
	 * Dynamically enabled state (AMX tile data) must be permitted to the
	 * process (arch_prctl(ARCH_REQ_XCOMP_GUEST_PERM)) and grows the
	 * guest's FPU buffer; the FPU core says no with -EPERM otherwise.
	 */
	e = cpuid_find(e2, nent, 0xd, 0);
	if (!e)
		return 0;
	xfeatures = (e->eax | ((u64)e->edx << 32)) & XFEATURE_MASK_USER_DYNAMIC;
	if (!xfeatures)
		return 0;
	return fpu_enable_guest_xfd_features(&vcpu->arch.guest_fpu, xfeatures);
}

/* Equal to the stored table, entry for entry, padding aside. */
static bool cpuid_equal(struct kvm_vcpu *vcpu, struct kvm_cpuid_entry2 *e2,
			int nent)
{
	int i;

	if (nent != vcpu->arch.cpuid_nent)
		return false;
	for (i = 0; i < nent; i++) {
		struct kvm_cpuid_entry2 *o = &vcpu->arch.cpuid_entries[i];

		if (e2[i].function != o->function || e2[i].index != o->index ||
		    e2[i].flags != o->flags || e2[i].eax != o->eax ||
		    e2[i].ebx != o->ebx || e2[i].ecx != o->ecx ||
		    e2[i].edx != o->edx)
			return false;
	}
	return true;
}

/*
 * Take ownership of @e2 on success.  Once the vCPU has run, KVM 6.1 only
 * accepts the table it already has (QEMU sets it again when it reuses a
 * vCPU fd for CPU hotplug), because state derived from CPUID (MAXPHYADDR,
 * reserved bits) is not re-evaluated for a running guest.
 */
static int cpuid_set(struct kvm_vcpu *vcpu, struct kvm_cpuid_entry2 *e2,
		     int nent)
{
	int r;

	cpuid_update_runtime(vcpu, e2, nent);
	if (vcpu->arch.has_run) {
		cpuid_update_runtime(vcpu, vcpu->arch.cpuid_entries,
				     vcpu->arch.cpuid_nent);
		if (!cpuid_equal(vcpu, e2, nent))
			return -EINVAL;
		kvfree(e2);
		return 0;
	}
	r = cpuid_check(vcpu, e2, nent);
	if (r)
		return r;
	kvfree(vcpu->arch.cpuid_entries);
	vcpu->arch.cpuid_entries = e2;
	vcpu->arch.cpuid_nent = nent;
	/* x2APIC, TSC-deadline and MAXPHYADDR as the APIC sees them. */
	kvm_lapic_update_cpuid(vcpu);
	return 0;
}

/* KVM_SET_CPUID: the old entries, without index or flags. */
static long cpuid_ioctl_set(struct kvm_vcpu *vcpu, struct kvm_cpuid __user *uarg)
{
	struct kvm_cpuid_entry2 *e2 = NULL;
	struct kvm_cpuid_entry *e = NULL;
	struct kvm_cpuid cpuid;
	u32 i;
	int r;

	if (copy_from_user(&cpuid, uarg, sizeof(cpuid)))
		return -EFAULT;
	if (cpuid.nent > KVM_MAX_CPUID_ENTRIES)
		return -E2BIG;
	if (cpuid.nent) {
		e = vmemdup_user(uarg->entries,
				 array_size(cpuid.nent, sizeof(*e)));
		if (IS_ERR(e))
			return PTR_ERR(e);
		e2 = kvcalloc(cpuid.nent, sizeof(*e2), GFP_KERNEL_ACCOUNT);
		if (!e2) {
			kvfree(e);
			return -ENOMEM;
		}
	}
	for (i = 0; i < cpuid.nent; i++) {
		e2[i].function = e[i].function;
		e2[i].eax = e[i].eax;
		e2[i].ebx = e[i].ebx;
		e2[i].ecx = e[i].ecx;
		e2[i].edx = e[i].edx;
	}
	kvfree(e);
	r = cpuid_set(vcpu, e2, cpuid.nent);
	if (r)
		kvfree(e2);
	return r;
}

static long cpuid_ioctl_set2(struct kvm_vcpu *vcpu,
			     struct kvm_cpuid2 __user *uarg)
{
	struct kvm_cpuid_entry2 *e2 = NULL;
	struct kvm_cpuid2 cpuid;
	int r;

	if (copy_from_user(&cpuid, uarg, sizeof(cpuid)))
		return -EFAULT;
	if (cpuid.nent > KVM_MAX_CPUID_ENTRIES)
		return -E2BIG;
	if (cpuid.nent) {
		e2 = vmemdup_user(uarg->entries,
				  array_size(cpuid.nent, sizeof(*e2)));
		if (IS_ERR(e2))
			return PTR_ERR(e2);
	}
	r = cpuid_set(vcpu, e2, cpuid.nent);
	if (r)
		kvfree(e2);
	return r;
}

/*
 * KVM_GET_CPUID2, as KVM 6.1 does it: a short buffer is -E2BIG, and nent
 * is never written back, on success either (6.1's ioctl updates its own
 * copy of the header only on the error path, which it does not copy out).
 * Userspace knows the count from the table it set.
 */
static long cpuid_ioctl_get2(struct kvm_vcpu *vcpu,
			     struct kvm_cpuid2 __user *uarg)
{
	struct kvm_cpuid2 cpuid;
	int nent = vcpu->arch.cpuid_nent;

	if (copy_from_user(&cpuid, uarg, sizeof(cpuid)))
		return -EFAULT;
	if (cpuid.nent < nent)
		return -E2BIG;
	cpuid_update_runtime(vcpu, vcpu->arch.cpuid_entries, nent);
	if (copy_to_user(uarg->entries, vcpu->arch.cpuid_entries,
			 array_size(nent, sizeof(struct kvm_cpuid_entry2))))
		return -EFAULT;
	return 0;
}

long kvm_vcpu_ioctl_cpuid(struct kvm_vcpu *vcpu, unsigned int ioctl,
			  void __user *argp)
{
	switch (ioctl) {
	case KVM_SET_CPUID:
		return cpuid_ioctl_set(vcpu, argp);
	case KVM_SET_CPUID2:
		return cpuid_ioctl_set2(vcpu, argp);
	case KVM_GET_CPUID2:
		return cpuid_ioctl_get2(vcpu, argp);
	default:
		return -ENOTTY;
	}
}

void kvm_vcpu_free_cpuid(struct kvm_vcpu *vcpu)
{
	kvfree(vcpu->arch.cpuid_entries);
	vcpu->arch.cpuid_entries = NULL;
	vcpu->arch.cpuid_nent = 0;
}

/* "AuthenticAMD", "AMDisbetter!" or "HygonGenuine" in EBX, EDX, ECX. */
static bool cpuid_vendor_is_amd(const struct kvm_cpuid_entry2 *e)
{
	static const char * const amd[] = {
		"AuthenticAMD", "AMDisbetter!", "HygonGenuine",
	};
	u32 v[3] = { e->ebx, e->edx, e->ecx };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(amd); i++)
		if (!memcmp(v, amd[i], sizeof(v)))
			return true;
	return false;
}

/*
 * A leaf above the maximum of its range: Intel CPUs answer with the
 * highest basic leaf (SDM vol. 2A CPUID, "If a value entered for
 * CPUID.EAX is higher than the maximum input value..."), AMD CPUs with
 * zeros (APM vol. 3 CPUID).  KVM follows the guest's vendor.  Ranges are
 * the basic one (0 and 0x50000000 up), each 0x100 block of hypervisor
 * leaves, extended, and Centaur; a range with no base entry has no leaf
 * in range.  The index of the original request is kept.
 */
static struct kvm_cpuid_entry2 *cpuid_out_of_range(struct kvm_vcpu *vcpu,
						   u32 *function, u32 index)
{
	struct kvm_cpuid_entry2 *entries = vcpu->arch.cpuid_entries;
	int nent = vcpu->arch.cpuid_nent;
	struct kvm_cpuid_entry2 *basic, *class;
	u32 f = *function;

	basic = cpuid_find_first(entries, nent, 0);
	if (!basic || cpuid_vendor_is_amd(basic))
		return NULL;
	if (f >= 0x40000000 && f <= 0x4fffffff)
		class = cpuid_find_first(entries, nent, f & 0xffffff00);
	else if (f >= 0xc0000000)
		class = cpuid_find_first(entries, nent, 0xc0000000);
	else
		class = cpuid_find_first(entries, nent, f & 0x80000000);
	if (class && f <= class->eax)
		return NULL;
	*function = basic->eax;
	return cpuid_find(entries, nent, basic->eax, index);
}

/* KVM 6.1's kvm_cpuid(), without TSX_CTRL (no such MSR on AMD). */
static void cpuid_lookup(struct kvm_vcpu *vcpu, u32 function, u32 index,
			 u32 *out)
{
	struct kvm_cpuid_entry2 *entries = vcpu->arch.cpuid_entries;
	int nent = vcpu->arch.cpuid_nent;
	struct kvm_cpuid_entry2 *e;

	e = cpuid_find(entries, nent, function, index);
	if (!e)
		e = cpuid_out_of_range(vcpu, &function, index);
	if (e) {
		out[0] = e->eax;
		out[1] = e->ebx;
		out[2] = e->ecx;
		out[3] = e->edx;
		return;
	}
	out[0] = 0;
	out[1] = 0;
	out[2] = 0;
	out[3] = 0;
	/*
	 * Leaves 0Bh and 1Fh answer any subleaf with ECX[7:0] = the subleaf
	 * and EDX = the x2APIC ID (SDM vol. 2A CPUID).  Subleaf 1 exists
	 * exactly when the leaf is implemented; EDX is the same in all.
	 */
	if (function == 0xb || function == 0x1f) {
		e = cpuid_find(entries, nent, function, 1);
		if (e) {
			out[2] = index & 0xff;
			out[3] = e->edx;
		}
	}
}

/*
 * The guest's CPUID: from the table KVM_SET_CPUID2 gave.  Until a VMM sets
 * one, the host's filtered as for KVM_GET_SUPPORTED_CPUID, with the vCPU
 * id as initial APIC ID.  (Stock KVM answers zeros then; Kestrel keeps
 * the guests of VMMs that never set CPUID working.)
 */
int kvm_emulate_cpuid(struct kvm_vcpu *vcpu)
{
	u32 function = kvm_reg_read(vcpu, VCPU_REGS_RAX);
	u32 index = kvm_reg_read(vcpu, VCPU_REGS_RCX);
	u32 out[4];

	/* CPUID faulting: #GP(0) outside ring 0 (see msr.c). */
	if (kvm_msr_cpuid_faulting(vcpu) && kvm_get_cpl(vcpu)) {
		kvm_queue_exception_e(vcpu, X86_TRAP_GP, 0);
		return 1;
	}

	if (vcpu->arch.cpuid_entries) {
		cpuid_update_runtime(vcpu, vcpu->arch.cpuid_entries,
				     vcpu->arch.cpuid_nent);
		cpuid_lookup(vcpu, function, index, out);
	} else {
		struct kvm_cpuid_entry2 e;

		cpuid_host_filtered(&e, function, index);
		if (function == 1)
			e.ebx = (e.ebx & 0x00ffffff) | (vcpu->vcpu_id << 24);
		cpuid_update_runtime(vcpu, &e, 1);
		out[0] = e.eax;
		out[1] = e.ebx;
		out[2] = e.ecx;
		out[3] = e.edx;
	}
	/* 32-bit results zero-extend into RAX..RDX, as on hardware. */
	kvm_reg_write(vcpu, VCPU_REGS_RAX, out[0]);
	kvm_reg_write(vcpu, VCPU_REGS_RBX, out[1]);
	kvm_reg_write(vcpu, VCPU_REGS_RCX, out[2]);
	kvm_reg_write(vcpu, VCPU_REGS_RDX, out[3]);
	return kvm_x86_ops->skip_emulated_instruction(vcpu);
}

/*
 * The register of the guest's CPUID that holds @feature (an X86_FEATURE_*
 * of the words KVM checks CR4 and XCR0 against), as the guest would read
 * it: the VMM's table, or the host's filtered one until there is a table.
 */
static bool cpuid_feature_leaf(unsigned int feature, u32 *function,
			       u32 *index, int *reg)
{
	static const struct { u32 function, index; int reg; } words[] = {
		[0] = { 1, 0, 3 },		/* CPUID_1_EDX */
		[1] = { 0x80000001, 0, 3 },	/* CPUID_8000_0001_EDX */
		[4] = { 1, 0, 2 },		/* CPUID_1_ECX */
		[6] = { 0x80000001, 0, 2 },	/* CPUID_8000_0001_ECX */
		[9] = { 7, 0, 1 },		/* CPUID_7_0_EBX */
		[16] = { 7, 0, 2 },		/* CPUID_7_ECX */
		[18] = { 7, 0, 3 },		/* CPUID_7_EDX */
	};
	unsigned int w = feature / 32;

	if (w >= ARRAY_SIZE(words) || !words[w].function)
		return false;
	*function = words[w].function;
	*index = words[w].index;
	*reg = words[w].reg;
	return true;
}

bool kvm_guest_cpuid_has(struct kvm_vcpu *vcpu, unsigned int feature)
{
	struct kvm_cpuid_entry2 host, *e;
	u32 function, index;
	u32 regs[4];
	int reg;

	if (WARN_ON_ONCE(!cpuid_feature_leaf(feature, &function, &index, &reg)))
		return false;
	if (vcpu->arch.cpuid_entries) {
		e = cpuid_find(vcpu->arch.cpuid_entries, vcpu->arch.cpuid_nent,
			       function, index);
		if (!e)
			return false;
	} else {
		cpuid_host_filtered(&host, function, index);
		e = &host;
	}
	regs[0] = e->eax;
	regs[1] = e->ebx;
	regs[2] = e->ecx;
	regs[3] = e->edx;
	return regs[reg] & BIT(feature & 31);
}

/*
 * The guest's MAXPHYADDR, as KVM's cpuid_query_maxphyaddr(): from
 * CPUID.80000008h:EAX[7:0] when the table reaches that leaf, else 36 (the
 * architectural default, SDM vol. 3A 4.1.4); the host's until a VMM sets a
 * table.
 */
int kvm_guest_maxphyaddr(struct kvm_vcpu *vcpu)
{
	struct kvm_cpuid_entry2 *entries = vcpu->arch.cpuid_entries;
	int nent = vcpu->arch.cpuid_nent;
	struct kvm_cpuid_entry2 *e;

	if (!entries)
		return boot_cpu_data.x86_phys_bits;
	e = cpuid_find_first(entries, nent, 0x80000000);
	if (!e || e->eax < 0x80000008)
		return 36;
	e = cpuid_find_first(entries, nent, 0x80000008);
	/* 0 is as absent (msr.c agrees); past 52 no x86 CPU goes. */
	return e && (e->eax & 0xff) ? min(e->eax & 0xff, 52U) : 36;
}

/*
 * The XCR0 bits the guest may set: those its CPUID.(0Dh,0) offers, within
 * what Kestrel supports (as KVM: with no leaf 0Dh in the table, x87 only).
 */
u64 kvm_guest_supported_xcr0(struct kvm_vcpu *vcpu)
{
	struct kvm_cpuid_entry2 *e;

	if (!vcpu->arch.cpuid_entries)
		return kvm_supported_xcr0;
	e = cpuid_find(vcpu->arch.cpuid_entries, vcpu->arch.cpuid_nent, 0xd, 0);
	if (!e)
		return 0;
	return (e->eax | ((u64)e->edx << 32)) & kvm_supported_xcr0;
}
