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
int stock_kvm_load(void);
void stock_kvm_unload(void);

/* The host CPU. */
bool host_cpu_has(const char *flag);
/* Running under QEMU TCG (the emulated host), not on hardware. */
bool host_is_qemu_tcg(void);
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
