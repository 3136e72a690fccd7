// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_bench: micro-benchmarks of whatever module owns /dev/kvm, so that
 * `make bench` can run it against Kestrel and against stock KVM in the same
 * boot and print the ratio.  Prints one "bench NAME VALUE UNIT" line each.
 *
 *   pio_exit     round trip of a guest OUT to userspace and back
 *   mmio_exit    round trip of a guest MMIO write to userspace and back
 *   first_touch  guest writes every 4 KiB page of 256 MiB once (nested faults)
 *   vm_lifecycle create a VM with a memslot and a vCPU, then close it all
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define TOUCH_BYTES	(256UL << 20)
#define TOUCH_BASE	0x100000UL

struct vm {
	int fd, vcpu;
	struct kvm_run *run;
	unsigned char *code;
};

static int kvm_fd;

static void die(const char *what)
{
	fprintf(stderr, "kvm_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void add_slot(struct vm *vm, int slot, unsigned long gpa, void *mem,
		     unsigned long size)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .guest_phys_addr = gpa, .memory_size = size,
		.userspace_addr = (unsigned long)mem,
	};

	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r))
		die("KVM_SET_USER_MEMORY_REGION");
}

/* A VM with one page of code at guest-physical 0 and vCPU 0 running it. */
static void vm_create(struct vm *vm, const void *code, size_t len, bool flat32)
{
	struct kvm_sregs s;
	struct kvm_regs regs = { .rflags = 2 };
	int size;

	vm->fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0)
		die("KVM_CREATE_VM");
	vm->code = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vm->code == MAP_FAILED)
		die("mmap");
	memcpy(vm->code, code, len);
	add_slot(vm, 0, 0, vm->code, 4096);
	vm->vcpu = ioctl(vm->fd, KVM_CREATE_VCPU, 0);
	size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->vcpu < 0 || size < 0)
		die("KVM_CREATE_VCPU");
	vm->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu, 0);
	if (vm->run == MAP_FAILED || ioctl(vm->vcpu, KVM_GET_SREGS, &s))
		die("vcpu setup");
	s.cs.base = 0;
	s.cs.selector = 0;
	if (flat32) {
		/* Protected mode, paging off, flat 4 GiB segments. */
		struct kvm_segment flat = {
			.base = 0, .limit = 0xffffffff, .selector = 0x10,
			.type = 3, .present = 1, .s = 1, .db = 1, .g = 1,
		};

		s.ds = flat;
		s.es = flat;
		s.ss = flat;
		s.fs = flat;
		s.gs = flat;
		flat.type = 11;
		flat.selector = 0x08;
		s.cs = flat;
		s.cr0 |= 1;
	}
	if (ioctl(vm->vcpu, KVM_SET_SREGS, &s) || ioctl(vm->vcpu, KVM_SET_REGS, &regs))
		die("KVM_SET_SREGS/REGS");
}

static void vm_destroy(struct vm *vm)
{
	close(vm->vcpu);
	close(vm->fd);
	munmap(vm->code, 4096);
}

static void run_expect(struct vm *vm, unsigned int reason)
{
	if (ioctl(vm->vcpu, KVM_RUN, 0))
		die("KVM_RUN");
	if (vm->run->exit_reason != reason) {
		fprintf(stderr, "kvm_bench: exit %u, expected %u\n",
			vm->run->exit_reason, reason);
		exit(1);
	}
}

/* Real mode: out 0x10, al; jmp $-2 */
static void bench_exit(const char *name, const unsigned char *code, size_t len,
		       unsigned int reason, int iters)
{
	struct vm vm;
	double t;
	int i;

	vm_create(&vm, code, len, false);
	run_expect(&vm, reason);		/* warm up: fault the code in */
	t = now_ns();
	for (i = 0; i < iters; i++)
		run_expect(&vm, reason);
	t = now_ns() - t;
	printf("bench %s %.0f ns/exit\n", name, t / iters);
	vm_destroy(&vm);
}

static void bench_first_touch(void)
{
	/*
	 * mov $TOUCH_BASE, %ecx; 1: mov %eax, (%ecx); add $4096, %ecx;
	 * cmp $TOUCH_BASE+TOUCH_BYTES, %ecx; jb 1b; hlt
	 */
	unsigned char code[] = {
		0xb9, 0, 0, 0, 0,
		0x89, 0x01,
		0x81, 0xc1, 0x00, 0x10, 0x00, 0x00,
		0x81, 0xf9, 0, 0, 0, 0,
		0x72, 0xf0,
		0xf4,
	};
	unsigned int base = TOUCH_BASE, end = TOUCH_BASE + TOUCH_BYTES;
	struct vm vm;
	void *mem;
	double t;

	memcpy(&code[1], &base, 4);
	memcpy(&code[15], &end, 4);
	vm_create(&vm, code, sizeof(code), true);
	mem = mmap(NULL, TOUCH_BYTES, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap 256 MiB");
	add_slot(&vm, 1, TOUCH_BASE, mem, TOUCH_BYTES);
	t = now_ns();
	run_expect(&vm, KVM_EXIT_HLT);
	t = now_ns() - t;
	printf("bench first_touch_256MiB %.1f ms\n", t / 1e6);
	vm_destroy(&vm);
	munmap(mem, TOUCH_BYTES);
}

static void bench_vm_lifecycle(int iters)
{
	unsigned char hlt = 0xf4;
	double t = now_ns();
	int i;

	for (i = 0; i < iters; i++) {
		struct vm vm;

		vm_create(&vm, &hlt, 1, false);
		vm_destroy(&vm);
	}
	t = now_ns() - t;
	printf("bench vm_lifecycle %.0f us/vm\n", t / iters / 1e3);
}

int main(int argc, char **argv)
{
	static const unsigned char pio[] = { 0xe6, 0x10, 0xeb, 0xfc };
	/* mov %al, 0x2000 (MMIO: no slot); jmp back */
	static const unsigned char mmio[] = { 0xa2, 0x00, 0x20, 0xeb, 0xfb };
	int iters = argc > 1 ? atoi(argv[1]) : 2000;

	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0)
		die("/dev/kvm");
	bench_exit("pio_exit", pio, sizeof(pio), KVM_EXIT_IO, iters);
	bench_exit("mmio_exit", mmio, sizeof(mmio), KVM_EXIT_MMIO, iters);
	bench_first_touch();
	bench_vm_lifecycle(iters / 20 ? iters / 20 : 1);
	return 0;
}
