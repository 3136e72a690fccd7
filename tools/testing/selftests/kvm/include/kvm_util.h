/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal guest building through the KVM ioctl API.  It grows into the full
 * guest library (page tables, long mode, ucalls) with the first-guests work.
 */
#ifndef SELFTEST_KVM_UTIL_H
#define SELFTEST_KVM_UTIL_H

/*
 * On the VM vm_fd, map one page at guest physical 0 holding a HLT, create
 * vCPU 0 in real mode at 0:0 and run it.  Returns the kvm_run exit reason,
 * or a negative errno if an ioctl failed.
 */
int kvm_run_hlt_guest(int kvm_fd, int vm_fd);

#endif /* SELFTEST_KVM_UTIL_H */
