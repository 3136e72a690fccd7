/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for tests that look at the emulated host itself: loading and
 * unloading kernel modules, reading MSRs through /dev/cpu/N/msr, reading new
 * kernel log lines, CPU flags and CPU hotplug.  Functions return 0 or a
 * negative errno unless they say otherwise.
 */
#ifndef SELFTEST_KVM_HOST_UTIL_H
#define SELFTEST_KVM_HOST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KVM_MISC_MAJOR	10
#define KVM_MISC_MINOR	232

/* MSRs the tests read (AMD APM vol. 2, 15.30 "SVM Related MSRs"). */
#define MSR_EFER		0xc0000080
#define EFER_SVME		0x1000ULL	/* bit 12 */
#define MSR_VM_HSAVE_PA		0xc0010117

/* Kernel modules. */
const char *kestrel_ko_path(void);
int kmod_load(const char *path, const char *params);
int kmod_unload(const char *name);
bool kmod_loaded(const char *name);
int kmod_refcnt(const char *name);
int kestrel_load(void);
int kestrel_unload_if_loaded(void);
/* The stock vendor module for this CPU: "kvm_intel" or "kvm_amd". */
const char *stock_kvm_module(void);
int stock_kvm_load(void);
void stock_kvm_unload(void);

/* The host CPU. */
bool host_cpu_has(const char *flag);
/* CPUID vendor "GenuineIntel" (the Bochs VMX hosts); else AMD's SVM hosts. */
bool host_cpu_is_intel(void);
/* Running under QEMU TCG (the emulated host), not on hardware. */
bool host_is_qemu_tcg(void);
/* Running under Bochs (the emulated VMX host): its boot script says so. */
bool host_is_bochs(void);
/*
 * Bochs 2.7 defect: external interrupts do not make a VMX guest that runs
 * with RFLAGS.IF=0 exit (until the guest changes IF), so such a guest that
 * spins waiting for its host starves the host CPU forever.  Stock kvm-intel
 * does not bound guest runs otherwise: a test whose guest spins with IF=0
 * while the host must act (signal, other thread, kill) hangs the whole
 * emulated host.  True in that case; such tests skip with BOCHS_IF0_SKIP.
 * Kestrel's VMX backend must bound guest runs itself (VMX-preemption
 * timer), so the tests run on it.
 */
bool host_if0_guest_spin_hangs(void);
#define BOCHS_IF0_SKIP \
	"Bochs 2.7 defect: stock kvm-intel never regains a CPU from a guest spinning with IF=0"

int host_max_cpu(void);
bool host_cpu_online(int cpu);
int host_cpu_set_online(int cpu, bool online);
int host_msr_read(int cpu, uint32_t msr, uint64_t *val);
int host_msr_write(int cpu, uint32_t msr, uint64_t val);
long host_free_pages(void);

/* The kernel log: open positioned at its end, then collect what came since. */
int kmsg_open(void);
char *kmsg_read_new(int fd);

#endif /* SELFTEST_KVM_HOST_UTIL_H */
