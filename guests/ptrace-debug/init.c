/*
 * /init of a tiny initramfs that checks a Linux guest's use of the self-hosted debug
 * architecture through ptrace: a hardware breakpoint (NT_ARM_HW_BREAK), a hardware
 * watchpoint (NT_ARM_HW_WATCH, which the kernel steps over with MDSCR_EL1.SS) and
 * PTRACE_SINGLESTEP. It prints what the tracer sees and powers off.
 * test/e2e/linux-ptrace.test.ts boots it on gunyah-ts and on qemu-system-aarch64 and
 * requires the same lines. Built static with aarch64-linux-gnu-gcc (build.sh).
 */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <asm/ptrace.h>

volatile uint64_t watched;

__attribute__((noinline)) void target(void)
{
	__asm__ volatile("nop");
}

__attribute__((noinline)) void stepped(void)
{
	__asm__ volatile("mov x9, #1\n add x9, x9, #2\n add x9, x9, #3" ::: "x9");
}

static void console(void)
{
	mkdir("/dev", 0755);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	int fd = open("/dev/console", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	setvbuf(stdout, NULL, _IONBF, 0);
}

static uint64_t pc_of(pid_t pid)
{
	struct user_pt_regs regs;
	struct iovec iov = { &regs, sizeof(regs) };
	ptrace(PTRACE_GETREGSET, pid, NT_PRSTATUS, &iov);
	return regs.pc;
}

static void set_debug(pid_t pid, int type, uint64_t addr, uint32_t ctrl)
{
	struct user_hwdebug_state st;
	memset(&st, 0, sizeof(st));
	st.dbg_regs[0].addr = addr;
	st.dbg_regs[0].ctrl = ctrl;
	struct iovec iov = { &st, offsetof(struct user_hwdebug_state, dbg_regs) + sizeof(st.dbg_regs[0]) };
	if (ptrace(PTRACE_SETREGSET, pid, type, &iov) != 0)
		printf("ptrace-debug: SETREGSET %d failed\n", type);
}

static void report(pid_t pid, const char *what)
{
	int status;
	siginfo_t si;
	waitpid(pid, &status, 0);
	memset(&si, 0, sizeof(si));
	ptrace(PTRACE_GETSIGINFO, pid, 0, &si);
	printf("ptrace-debug: %s: signal %d code %d addr %#lx pc %#lx\n", what,
	       WIFSTOPPED(status) ? WSTOPSIG(status) : -1, si.si_code,
	       (unsigned long)si.si_addr, (unsigned long)pc_of(pid));
}

int main(void)
{
	console();
	printf("ptrace-debug: start\n");
	pid_t pid = fork();
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		target();
		watched = 42;
		stepped();
		_exit(7);
	}
	int status;
	waitpid(pid, &status, 0);

	struct user_hwdebug_state info;
	struct iovec iov = { &info, sizeof(info) };
	ptrace(PTRACE_GETREGSET, pid, NT_ARM_HW_BREAK, &iov);
	printf("ptrace-debug: breakpoints %u\n", info.dbg_info & 0xff);
	ptrace(PTRACE_GETREGSET, pid, NT_ARM_HW_WATCH, &iov);
	printf("ptrace-debug: watchpoints %u\n", info.dbg_info & 0xff);

	/* E, PMC = EL0 (privilege 2), BAS = 0xf: an AArch64 instruction. */
	set_debug(pid, NT_ARM_HW_BREAK, (uint64_t)target, 1 | (2 << 1) | (0xf << 5));
	ptrace(PTRACE_CONT, pid, 0, 0);
	report(pid, "breakpoint");
	set_debug(pid, NT_ARM_HW_BREAK, 0, 0);

	/* E, PAC = EL0, LSC = store, BAS = 8 bytes. */
	set_debug(pid, NT_ARM_HW_WATCH, (uint64_t)&watched, 1 | (2 << 1) | (2 << 3) | (0xff << 5));
	ptrace(PTRACE_CONT, pid, 0, 0);
	report(pid, "watchpoint");
	set_debug(pid, NT_ARM_HW_WATCH, 0, 0);

	for (int i = 0; i < 4; i++) {
		ptrace(PTRACE_SINGLESTEP, pid, 0, 0);
		report(pid, "step");
	}
	ptrace(PTRACE_CONT, pid, 0, 0);
	waitpid(pid, &status, 0);
	printf("ptrace-debug: child exited %d, watched %s\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1,
	       "(in the child)");
	printf("ptrace-debug: target %#lx watched %#lx stepped %#lx\n", (unsigned long)target,
	       (unsigned long)&watched, (unsigned long)stepped);
	printf("ptrace-debug: done\n");
	reboot(RB_POWER_OFF);
	return 0;
}
