// SPDX-License-Identifier: GPL-2.0
/*
 * Paravirtual steal time (Documentation/virt/kvm/x86/msr.rst,
 * MSR_KVM_STEAL_TIME; KVM_FEATURE_STEAL_TIME): advertised in
 * KVM_GET_SUPPORTED_CPUID; the struct the guest placed is updated before
 * each entry with an even version, preempted cleared, and steal growing
 * by about the time the vCPU thread waited on the runqueue
 * (/proc/self/task/TID/schedstat's second field, its run_delay); reserved
 * bits 1-5 are refused, a GPA outside memory is accepted and never
 * written; with KVM_CAP_ENFORCE_PV_FEATURE_CPUID and no CPUID bit the
 * MSR does not exist.
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <asm/kvm_para.h>

#include "kselftest_harness.h"
#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall.h"

#define ST_GPA		(GUEST_DATA_GPA + 0x40)
#define NOMEM_GPA	0xfff00000ULL
#define STEAL_NS	(100 * 1000000ULL)	/* 100 ms of waiting */

static void guest_steal(u64 gpa)
{
	struct kvm_steal_time *st = (void *)gpa;

	GUEST_ASSERT_EQ(rdmsr(MSR_KVM_STEAL_TIME), gpa | KVM_MSR_ENABLED);
	for (;;)
		GUEST_SYNC_ARGS(1, READ_ONCE(st->steal), READ_ONCE(st->version),
				READ_ONCE(st->preempted));
}

/* This thread's run_delay (ns), from schedstat. */
static u64 run_delay(void)
{
	char path[64];
	u64 run = 0, wait = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/schedstat",
		 syscall(SYS_gettid));
	f = fopen(path, "r");
	TEST_ASSERT(f, "%s", path);
	TEST_ASSERT(fscanf(f, "%llu %llu", &run, &wait) == 2, "%s", path);
	fclose(f);
	return wait;
}

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void *spin(void *arg)
{
	u64 end = now_ns() + *(u64 *)arg;

	while (now_ns() < end)
		;
	return NULL;
}

/* Make this thread wait on its CPU's runqueue for at least @ns. */
static void wait_on_runqueue(u64 ns)
{
	u64 before = run_delay(), spin_ns = 2 * ns;
	pthread_attr_t attr;
	pthread_t t;
	cpu_set_t cpus;

	CPU_ZERO(&cpus);
	CPU_SET(sched_getcpu(), &cpus);
	TEST_ASSERT(!sched_setaffinity(0, sizeof(cpus), &cpus), "affinity");
	pthread_attr_init(&attr);
	pthread_attr_setaffinity_np(&attr, sizeof(cpus), &cpus);
	TEST_ASSERT(!pthread_create(&t, &attr, spin, &spin_ns), "thread");
	while (run_delay() - before < ns)
		sched_yield();
	pthread_join(t, NULL);
}

static bool cpuid_has_steal_time(void)
{
	struct {
		struct kvm_cpuid2 hdr;
		struct kvm_cpuid_entry2 e[256];
	} c = { .hdr.nent = 256 };
	int fd = kvm_open();
	u32 i;

	TEST_ASSERT(!ioctl(fd, KVM_GET_SUPPORTED_CPUID, &c), "cpuid");
	close(fd);
	for (i = 0; i < c.hdr.nent; i++)
		if (c.e[i].function == KVM_CPUID_FEATURES)
			return c.e[i].eax & BIT(KVM_FEATURE_STEAL_TIME);
	return false;
}

static struct kvm_vm *steal_vm(struct kvm_vcpu **vcpu, u64 gpa)
{
	struct kvm_vm *vm;

	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_steal), vcpu);
	vcpu_args_set(*vcpu, 1, gpa);
	return vm;
}

TEST(steal_time_accounted)
{
	struct kvm_steal_time *st;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	u64 steal, delay;
	u64 v;

	TEST_REQUIRE_KVM();
	ASSERT_TRUE(cpuid_has_steal_time());
	vm = steal_vm(&vcpu, ST_GPA);
	st = addr_gpa2hva(vm, ST_GPA);
	/* An odd version left in memory is junk: the first update evens it. */
	st->version = 7;
	st->preempted = 1;
	EXPECT_EQ(0, vcpu_msr_set(vcpu, MSR_KVM_STEAL_TIME, ST_GPA | 0x3e));
	EXPECT_EQ(1, vcpu_msr_set(vcpu, MSR_KVM_STEAL_TIME,
				  ST_GPA | KVM_MSR_ENABLED));
	EXPECT_EQ(1, vcpu_msr_get(vcpu, MSR_KVM_STEAL_TIME, &v));
	EXPECT_EQ((u64)(ST_GPA | KVM_MSR_ENABLED), v);

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0U, uc.args[2] & 1);
	EXPECT_LT(7U, uc.args[2]);
	EXPECT_EQ(0U, uc.args[3]);
	/* All this thread ever waited, at most. */
	EXPECT_LE(uc.args[1], run_delay());

	steal = uc.args[1];
	delay = run_delay();
	wait_on_runqueue(STEAL_NS);
	delay = run_delay() - delay;
	ASSERT_LE(STEAL_NS, delay);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0U, uc.args[2] & 1);
	EXPECT_EQ(0U, uc.args[3]);
	EXPECT_LE(delay, uc.args[1] - steal);
	/* No more than everything waited since the last reading. */
	EXPECT_LE(uc.args[1] - steal, run_delay());
	vm_free(vm);
}

/* Disabled: the struct is left alone. */
TEST(disabled_not_written)
{
	struct kvm_steal_time *st;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;

	TEST_REQUIRE_KVM();
	vm = steal_vm(&vcpu, ST_GPA);
	st = addr_gpa2hva(vm, ST_GPA);
	st->version = 3;
	st->steal = 42;
	EXPECT_EQ(1, vcpu_msr_set(vcpu, MSR_KVM_STEAL_TIME, ST_GPA));
	/* The guest's check of the MSR fails: it was not enabled. */
	EXPECT_EQ(UCALL_ABORT, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(3U, st->version);
	EXPECT_EQ(42U, st->steal);
	vm_free(vm);
}

/* A GPA with no memory behind it: accepted, nothing written, no crash. */
TEST(gpa_outside_memory)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	vm = steal_vm(&vcpu, ST_GPA);
	EXPECT_EQ(1, vcpu_msr_set(vcpu, MSR_KVM_STEAL_TIME,
				  NOMEM_GPA | KVM_MSR_ENABLED));
	vcpu_args_set(vcpu, 1, NOMEM_GPA);
	/* The guest's read of the struct exits as MMIO: no memory there. */
	ASSERT_EQ(0, __vcpu_run(vcpu));
	EXPECT_EQ((u32)KVM_EXIT_MMIO, vcpu->run->exit_reason);
	vm_free(vm);
}

/* Enforced PV CPUID without KVM_FEATURE_STEAL_TIME: no such MSR. */
TEST(enforced_cpuid)
{
	struct {
		struct kvm_cpuid2 hdr;
		struct kvm_cpuid_entry2 e[2];
	} c = {
		.hdr.nent = 2,
		.e[0] = { .function = KVM_CPUID_SIGNATURE,
			  .eax = KVM_CPUID_FEATURES },
		.e[1] = { .function = KVM_CPUID_FEATURES,
			  .eax = 1 << KVM_FEATURE_CLOCKSOURCE2 },
	};
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_ENFORCE_PV_FEATURE_CPUID, .args[0] = 1,
	};
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	memcpy(&c.e[0].ebx, KVM_SIGNATURE, 12);
	vm = steal_vm(&vcpu, ST_GPA);
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_SET_CPUID2, &c));
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_ENABLE_CAP, &cap));
	EXPECT_EQ(0, vcpu_msr_set(vcpu, MSR_KVM_STEAL_TIME,
				  ST_GPA | KVM_MSR_ENABLED));
	c.e[1].eax |= 1 << KVM_FEATURE_STEAL_TIME;
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_SET_CPUID2, &c));
	EXPECT_EQ(1, vcpu_msr_set(vcpu, MSR_KVM_STEAL_TIME,
				  ST_GPA | KVM_MSR_ENABLED));
	vm_free(vm);
}

TEST_HARNESS_MAIN
