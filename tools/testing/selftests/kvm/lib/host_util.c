// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side helpers for Kestrel's selftests; see host_util.h.
 */
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host_util.h"

const char *kestrel_ko_path(void)
{
	static char path[256];
	const char *env = getenv("KESTREL_KO");
	struct utsname u;

	if (env)
		return env;
	uname(&u);
	snprintf(path, sizeof(path), "/lib/modules/%s/extra/kestrel.ko",
		 u.release);
	return path;
}

int kmod_load(const char *path, const char *params)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -errno;
	r = syscall(SYS_finit_module, fd, params ? params : "", 0);
	r = r ? -errno : 0;
	close(fd);
	return r;
}

int kmod_unload(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

static int read_sysfs_long(const char *path, long *val)
{
	FILE *f = fopen(path, "r");
	int r;

	if (!f)
		return -errno;
	r = fscanf(f, "%ld", val) == 1 ? 0 : -EINVAL;
	fclose(f);
	return r;
}

bool kmod_loaded(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s/initstate", name);
	return access(path, F_OK) == 0;
}

int kmod_refcnt(const char *name)
{
	char path[128];
	long v;
	int r;

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", name);
	r = read_sysfs_long(path, &v);
	return r ? r : (int)v;
}

int kestrel_load(void)
{
	return kmod_load(kestrel_ko_path(), NULL);
}

int kestrel_unload_if_loaded(void)
{
	return kmod_loaded("kestrel") ? kmod_unload("kestrel") : 0;
}

static int run(const char *cmd)
{
	int st = system(cmd);

	return (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0) ? 0 : -EIO;
}

const char *stock_kvm_module(void)
{
	return host_cpu_is_intel() ? "kvm_intel" : "kvm_amd";
}

/* The stock modules of the same Debian kernel, resolved with modules.dep. */
int stock_kvm_load(void)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "modprobe %s 2>&1", stock_kvm_module());
	return run(cmd);
}

void stock_kvm_unload(void)
{
	static const char * const mods[] = { "kvm_amd", "kvm_intel", "kvm",
					     "ccp", "irqbypass", NULL };
	const char * const *m;

	for (m = mods; *m; m++)
		if (kmod_loaded(*m))
			kmod_unload(*m);
}

bool host_cpu_has(const char *flag)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[8192], word[64];
	bool found = false;

	if (!f)
		return false;
	snprintf(word, sizeof(word), " %s ", flag);
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5))
			continue;
		line[strcspn(line, "\n")] = ' ';
		found = strstr(line, word);
		break;
	}
	fclose(f);
	return found;
}

bool host_cpu_is_intel(void)
{
	unsigned int a, vendor[3];

	/* CPUID leaf 0: the vendor string in EBX, EDX, ECX, in that order. */
	__cpuid(0, a, vendor[0], vendor[2], vendor[1]);
	return !memcmp(vendor, "GenuineIntel", sizeof(vendor));
}

/* The emulated host's CPU: QEMU's TCG says so in its hypervisor leaf. */
bool host_is_qemu_tcg(void)
{
	unsigned int a, sig[3];

	__cpuid(0x40000000, a, sig[0], sig[1], sig[2]);
	return !memcmp(sig, "TCGTCGTCGTCG", sizeof(sig));
}

bool host_is_bochs(void)
{
	char line[4096] = "";
	FILE *f = fopen("/proc/cmdline", "r");

	if (!f)
		return false;
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	fclose(f);
	return strstr(line, "kestrel_emulator=bochs");
}

bool host_if0_guest_spin_hangs(void)
{
	return host_is_bochs() && kmod_loaded("kvm_intel");
}

int host_max_cpu(void)
{
	return (int)sysconf(_SC_NPROCESSORS_CONF) - 1;
}

bool host_cpu_online(int cpu)
{
	char path[128];
	long v;

	if (cpu == 0)
		return true;
	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online",
		 cpu);
	return read_sysfs_long(path, &v) == 0 && v == 1;
}

int host_cpu_set_online(int cpu, bool online)
{
	char path[128];
	int fd, r = 0;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online",
		 cpu);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, online ? "1" : "0", 1) != 1)
		r = -errno;
	close(fd);
	return r;
}

int host_msr_read(int cpu, uint32_t msr, uint64_t *val)
{
	char path[64];
	int fd, r = 0;

	snprintf(path, sizeof(path), "/dev/cpu/%d/msr", cpu);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pread(fd, val, sizeof(*val), msr) != sizeof(*val))
		r = -EIO;
	close(fd);
	return r;
}

int host_msr_write(int cpu, uint32_t msr, uint64_t val)
{
	char path[64];
	int fd, r = 0;

	snprintf(path, sizeof(path), "/dev/cpu/%d/msr", cpu);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pwrite(fd, &val, sizeof(val), msr) != sizeof(val))
		r = -EIO;
	close(fd);
	return r;
}

/*
 * MemFree counts only pages in the buddy lists; pages freed recently sit in
 * the per-CPU page lists and would hide a leak.  /proc/zoneinfo has both.
 */
long host_free_pages(void)
{
	FILE *f = fopen("/proc/zoneinfo", "r");
	char line[256];
	long total = 0, n;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " pages free %ld", &n) == 1 ||
		    sscanf(line, " count: %ld", &n) == 1)
			total += n;
	fclose(f);
	return total;
}

int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	lseek(fd, 0, SEEK_END);
	return fd;
}

/* The messages (without the "prio,seq,time,flags;" prefix), one per line. */
char *kmsg_read_new(int fd)
{
	size_t len = 0, cap = 4096;
	char *out = malloc(cap), rec[8192];
	ssize_t n;

	if (!out)
		return NULL;
	out[0] = '\0';
	for (;;) {
		char *msg, *end;
		size_t mlen;

		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)	/* overwritten records */
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		end = strchr(msg, '\n');
		mlen = end ? (size_t)(end - msg) : strlen(msg);
		if (len + mlen + 2 > cap) {
			char *bigger;

			cap = 2 * (len + mlen + 2);
			bigger = realloc(out, cap);
			if (!bigger)
				break;
			out = bigger;
		}
		memcpy(out + len, msg, mlen);
		len += mlen;
		out[len++] = '\n';
		out[len] = '\0';
	}
	return out;
}
