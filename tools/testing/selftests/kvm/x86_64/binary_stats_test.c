// SPDX-License-Identifier: GPL-2.0
/*
 * Binary statistics (KVM_CAP_BINARY_STATS_FD; api.rst 4.133
 * KVM_GET_STATS_FD): the layout (header, id string, descriptors, data at
 * the offsets the header gives, read with read() and pread()), the
 * counters moving as the guest does things (exits, io_exits, halt_exits,
 * mmio_exits; the VM's remote_tlb_flush_requests), reads at odd offsets
 * and past the end, writes refused, and the fd keeping the VM alive after
 * its other fds are closed.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall.h"

#define OUTS		10
#define MMIO_GPA	0xfff00000ULL

struct stats {
	int fd;
	struct kvm_stats_header h;
	char *id;
	u8 *descs;
	size_t desc_size;
};

static void guest_exits(void)
{
	int i;

	for (i = 0; i < OUTS; i++)
		guest_outb(0x80, i);
	WRITE_ONCE(*(u32 *)MMIO_GPA, 1);
	guest_halt();
	GUEST_DONE();
}

static void stats_open(struct __test_metadata *_metadata, struct stats *s,
		       int fd)
{
	size_t n;

	s->fd = ioctl(fd, KVM_GET_STATS_FD, 0);
	ASSERT_LE(0, s->fd);
	ASSERT_EQ((ssize_t)sizeof(s->h), read(s->fd, &s->h, sizeof(s->h)));
	ASSERT_LT(0U, s->h.name_size);
	s->id = calloc(1, s->h.name_size);
	ASSERT_TRUE(!!s->id);
	ASSERT_EQ((ssize_t)s->h.name_size,
		  pread(s->fd, s->id, s->h.name_size, s->h.id_offset));
	s->desc_size = sizeof(struct kvm_stats_desc) + s->h.name_size;
	n = s->desc_size * s->h.num_desc;
	s->descs = calloc(1, n);
	ASSERT_TRUE(!!s->descs);
	ASSERT_EQ((ssize_t)n, pread(s->fd, s->descs, n, s->h.desc_offset));
}

static void stats_close(struct stats *s)
{
	close(s->fd);
	free(s->id);
	free(s->descs);
}

static struct kvm_stats_desc *desc(struct stats *s, u32 i)
{
	return (void *)(s->descs + i * s->desc_size);
}

static struct kvm_stats_desc *find(struct stats *s, const char *name)
{
	u32 i;

	for (i = 0; i < s->h.num_desc; i++)
		if (!strcmp(desc(s, i)->name, name))
			return desc(s, i);
	return NULL;
}

static u64 stat(struct __test_metadata *_metadata, struct stats *s,
		const char *name)
{
	struct kvm_stats_desc *d = find(s, name);
	u64 v = ~0ULL;

	EXPECT_TRUE(!!d) TH_LOG("no statistic %s", name);
	if (!d)
		return v;
	EXPECT_EQ((ssize_t)sizeof(v),
		  pread(s->fd, &v, sizeof(v), s->h.data_offset + d->offset));
	return v;
}

/* What every descriptor must be (the upstream test's checks, and more). */
static void check_layout(struct __test_metadata *_metadata, struct stats *s,
			 const char *want_id)
{
	size_t data_size = 0;
	u32 i;

	EXPECT_EQ(0U, s->h.flags);
	EXPECT_STREQ(want_id, s->id);
	EXPECT_LE(sizeof(s->h), s->h.id_offset);
	EXPECT_LE(s->h.id_offset + s->h.name_size, s->h.desc_offset);
	EXPECT_LE(s->h.desc_offset + s->h.num_desc * s->desc_size,
		  s->h.data_offset);
	ASSERT_LT(0U, s->h.num_desc);
	for (i = 0; i < s->h.num_desc; i++) {
		struct kvm_stats_desc *d = desc(s, i);

		EXPECT_LT(strlen(d->name), s->h.name_size);
		EXPECT_LE(d->flags & KVM_STATS_TYPE_MASK, (u32)KVM_STATS_TYPE_MAX);
		EXPECT_LE(d->flags & KVM_STATS_UNIT_MASK, (u32)KVM_STATS_UNIT_MAX);
		EXPECT_LE(d->flags & KVM_STATS_BASE_MASK, (u32)KVM_STATS_BASE_MAX);
		EXPECT_LT(0U, d->size);
		data_size += d->size * sizeof(u64);
	}
	for (i = 0; i < s->h.num_desc; i++)
		EXPECT_LT(desc(s, i)->offset, data_size);
}

struct creator {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	pid_t tid;
};

static void *create_vcpu(void *arg)
{
	struct creator *c = arg;

	c->tid = gettid();
	c->vcpu = vm_vcpu_add(c->vm, 5);
	return NULL;
}

/* The ids name the creating thread (as KVM), not the reader. */
TEST(ids_name_the_creator)
{
	struct creator c = { 0 };
	struct stats vs, cs;
	pthread_t t;
	char want[64];

	TEST_REQUIRE_KVM();
	c.vm = vm_create();
	ASSERT_EQ(0, pthread_create(&t, NULL, create_vcpu, &c));
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_NE(getpid(), c.tid);
	stats_open(_metadata, &vs, c.vm->fd);
	stats_open(_metadata, &cs, c.vcpu->fd);
	snprintf(want, sizeof(want), "kvm-%d", getpid());
	EXPECT_STREQ(want, vs.id);
	snprintf(want, sizeof(want), "kvm-%d/vcpu-5", c.tid);
	EXPECT_STREQ(want, cs.id);
	stats_close(&vs);
	stats_close(&cs);
	vm_free(c.vm);
}

TEST(cap)
{
	TEST_REQUIRE_KVM();
	EXPECT_EQ(1, kvm_check_cap(KVM_CAP_BINARY_STATS_FD));
}

TEST(vm_and_vcpu_layout)
{
	struct stats vs, cs;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	char want[64];

	TEST_REQUIRE_KVM();
	vm = vm_create();
	vcpu = vm_vcpu_add(vm, 3);
	stats_open(_metadata, &vs, vm->fd);
	stats_open(_metadata, &cs, vcpu->fd);
	snprintf(want, sizeof(want), "kvm-%d", getpid());
	check_layout(_metadata, &vs, want);
	snprintf(want, sizeof(want), "kvm-%d/vcpu-3", getpid());
	check_layout(_metadata, &cs, want);
	EXPECT_TRUE(!!find(&vs, "remote_tlb_flush"));
	EXPECT_TRUE(!!find(&cs, "exits"));
	EXPECT_EQ(0U, stat(_metadata, &cs, "exits"));
	/* Close-on-exec, as KVM makes it. */
	EXPECT_EQ(FD_CLOEXEC, fcntl(cs.fd, F_GETFD));
	stats_close(&vs);
	stats_close(&cs);
	vm_free(vm);
}

/* Sequential read() of everything equals the pieces read with pread(). */
TEST(read_whole_file)
{
	struct stats s;
	struct kvm_vm *vm;
	size_t size;
	u8 *all, *part;
	ssize_t got;
	void *bad;
	int fd;

	TEST_REQUIRE_KVM();
	vm = vm_create();
	stats_open(_metadata, &s, vm->fd);
	size = s.h.data_offset + s.h.num_desc * sizeof(u64);
	/* A buffer the kernel cannot write to. */
	bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, bad);
	all = calloc(1, size + 64);
	part = calloc(1, size);
	ASSERT_TRUE(all && part);
	/* A fresh fd (no lseek, as KVM's), from the start in odd pieces. */
	fd = ioctl(vm->fd, KVM_GET_STATS_FD, 0);
	ASSERT_LE(0, fd);
	got = 0;
	for (;;) {
		ssize_t r = read(fd, all + got, 7);

		ASSERT_LE(0, r);
		if (!r)
			break;
		got += r;
		ASSERT_LE((size_t)got, size);
	}
	EXPECT_EQ((ssize_t)size, got);
	close(fd);
	EXPECT_EQ(0, memcmp(all, &s.h, sizeof(s.h)));
	EXPECT_EQ(0, memcmp(all + s.h.desc_offset, s.descs,
			    s.h.num_desc * s.desc_size));
	/* One read across the descriptor/data boundary. */
	EXPECT_EQ(16, pread(s.fd, part, 16, s.h.data_offset - 8));
	EXPECT_EQ(0, memcmp(part, all + s.h.data_offset - 8, 8));
	/* Past the end: nothing; a negative offset: -EINVAL. */
	EXPECT_EQ(0, pread(s.fd, part, 8, size));
	EXPECT_EQ(0, pread(s.fd, part, 8, size + 4096));
	EXPECT_EQ(8, pread(s.fd, part, 64, size - 8));
	EXPECT_EQ(-1, pread(s.fd, part, 8, -8));
	EXPECT_EQ(EINVAL, errno);
	/* Read-only, and a bad buffer is -EFAULT. */
	EXPECT_EQ(-1, write(s.fd, part, 8));
	EXPECT_EQ(-1, pread(s.fd, bad, 8, 0));
	EXPECT_EQ(EFAULT, errno);
	munmap(bad, 4096);
	free(all);
	free(part);
	stats_close(&s);
	vm_free(vm);
}

TEST(counters_move)
{
	u64 exits, ios, halts, mmios;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct stats s;
	int i;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_exits), &vcpu);
	stats_open(_metadata, &s, vcpu->fd);
	exits = stat(_metadata, &s, "exits");
	ios = stat(_metadata, &s, "io_exits");
	halts = stat(_metadata, &s, "halt_exits");
	mmios = stat(_metadata, &s, "mmio_exits");
	for (i = 0; i < OUTS; i++)
		vcpu_run_expect_exit(vcpu, KVM_EXIT_IO);
	EXPECT_EQ(ios + OUTS, stat(_metadata, &s, "io_exits"));
	EXPECT_LE(exits + OUTS, stat(_metadata, &s, "exits"));
	vcpu_run_expect_exit(vcpu, KVM_EXIT_MMIO);
	EXPECT_EQ(mmios + 1, stat(_metadata, &s, "mmio_exits"));
	vcpu_run_expect_exit(vcpu, KVM_EXIT_HLT);
	EXPECT_EQ(halts + 1, stat(_metadata, &s, "halt_exits"));
	stats_close(&s);
	vm_free(vm);
}

/* Zapping guest memory flushes every vCPU's TLB: a VM statistic. */
TEST(remote_tlb_flush)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct stats s;
	u64 before;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_exits), &vcpu);
	stats_open(_metadata, &s, vm->fd);
	vcpu_run_expect_exit(vcpu, KVM_EXIT_IO);
	before = stat(_metadata, &s, "remote_tlb_flush_requests");
	/* Unmapping the guest's pages the vCPU has mapped zaps them. */
	ASSERT_EQ(0, madvise(vm->memslots[0].hva, vm->memslots[0].size,
			     MADV_DONTNEED));
	EXPECT_LT(before, stat(_metadata, &s, "remote_tlb_flush_requests"));
	stats_close(&s);
	vm_free(vm);
}

/* The stats fd holds the VM: readable after every other fd is closed. */
TEST(outlives_vm_fds)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct stats vs, cs;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_exits), &vcpu);
	stats_open(_metadata, &vs, vm->fd);
	stats_open(_metadata, &cs, vcpu->fd);
	vcpu_run_expect_exit(vcpu, KVM_EXIT_IO);
	vm_free(vm);
	EXPECT_LE(1U, stat(_metadata, &cs, "io_exits"));
	stat(_metadata, &vs, "remote_tlb_flush");
	stats_close(&vs);
	stats_close(&cs);
}

TEST_HARNESS_MAIN
