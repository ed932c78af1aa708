/*
 * graft vm — boot a graft unikernel image under QEMU.
 *
 *   graft vm run IMAGE [--mem MB] [--share DIR] [--net SPEC] [--ip A.B.C.D]
 *                [--console SOCK] [--kvm] [--opt KEY=VALUE]... [--timeout S]
 *                [--dry-run] [--cmdline TEXT] [-- ARGS...]
 *
 * --cmdline TEXT replaces the whole kernel command line (for tests of
 * malformed input); normally it is built from --opt/--ip and ARGS.
 *
 * Shows the serial log on stdout and returns the guest's exit status. The
 * guest leaves through isa-debug-exit: status s makes QEMU exit with
 * 2s + 3 (see kernel/klog.c). QEMU's own failure (1), a reset or triple
 * fault (0, under -no-reboot) and a timeout are reported as such, with
 * exit status 125, 126 and 124; stopped by signal N, 128 + N (the signal
 * is passed on to QEMU, which also dies with us on SIGKILL).
 *
 * --net SPEC: "socket:LPORT:RPORT" — frames as UDP datagrams on loopback
 * (QEMU -netdev socket,udp=), our end at LPORT, the peer at RPORT.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define MAX_QEMU_ARGS 64

static void usage(FILE *out)
{
	fprintf(out,
		"usage: graft vm run IMAGE [--mem MB] [--share DIR] [--net socket:LPORT:RPORT]\n"
		"                   [--ip A.B.C.D] [--console SOCK] [--kvm] [--opt KEY=VALUE]...\n"
		"                   [--timeout SECONDS] [--dry-run] [--cmdline TEXT] [-- ARGS...]\n");
}

static int append_quoted(char *buf, size_t cap, size_t *len, const char *word)
{
	if (*len && *len + 1 < cap)
		buf[(*len)++] = ' ';
	if (*len + 1 >= cap)
		return -1;
	buf[(*len)++] = '"';
	for (const char *p = word; *p; p++) {
		if (*len + 3 >= cap)
			return -1;
		if (*p == '"' || *p == '\\')
			buf[(*len)++] = '\\';
		buf[(*len)++] = *p;
	}
	buf[(*len)++] = '"';
	buf[*len] = '\0';
	return 0;
}

static int parse_port(const char *s, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (end == s || v <= 0 || v > 65535)
		return -1;
	*out = v;
	return 0;
}


/* Our termination signals are passed on to QEMU, which then exits and is
 * reaped below, so the caller sees the guest stop. */
static volatile pid_t qemu_pid;
static volatile sig_atomic_t stop_signal;

static void forward_signal(int sig)
{
	stop_signal = sig;
	if (qemu_pid > 0)
		kill(qemu_pid, sig == SIGINT ? SIGINT : SIGTERM);
}

int cmd_vm(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (strcmp(argv[1], "run")) {
		cli_error("vm: unknown action '%s' (only 'run')", argv[1]);
		return EXIT_USAGE;
	}
	const char *raw_cmdline = NULL;
	const char *image = NULL, *share = NULL, *net = NULL, *console = NULL, *ip = NULL;
	long mem = 64, timeout_s = 0;
	int kvm = 0, dry = 0, i;
	static char append[4096], opts[1024], netdev[256], fsdev[1024], chardev[1024], memstr[32], mac[64];
	size_t alen = 0, olen = 0;
	for (i = 2; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(a, "--kvm")) {
			kvm = 1;
		} else if (!strcmp(a, "--dry-run")) {
			dry = 1;
		} else if (a[0] == '-' && a[1] == '-' && !v) {
			cli_error("vm run: %s needs a value", a);
			return EXIT_USAGE;
		} else if (!strcmp(a, "--mem")) {
			char *end;
			mem = strtol(v, &end, 10);
			if (*end || mem < 8 || mem > 65536) {
				cli_error("vm run: --mem %s: want megabytes between 8 and 65536", v);
				return EXIT_USAGE;
			}
			i++;
		} else if (!strcmp(a, "--timeout")) {
			char *end;
			timeout_s = strtol(v, &end, 10);
			if (*end || timeout_s <= 0) {
				cli_error("vm run: --timeout %s: want seconds", v);
				return EXIT_USAGE;
			}
			i++;
		} else if (!strcmp(a, "--share")) {
			share = v, i++;
		} else if (!strcmp(a, "--net")) {
			net = v, i++;
		} else if (!strcmp(a, "--ip")) {
			ip = v, i++;
		} else if (!strcmp(a, "--cmdline")) {
			raw_cmdline = v, i++;
		} else if (!strcmp(a, "--console")) {
			console = v, i++;
		} else if (!strcmp(a, "--opt")) {
			if (!strchr(v, '=') || strpbrk(v, " \t\"\\'") || olen + strlen(v) + 2 >= sizeof opts) {
				cli_error("vm run: --opt %s: want KEY=VALUE without blanks or quotes", v);
				return EXIT_USAGE;
			}
			olen += (size_t)snprintf(opts + olen, sizeof opts - olen, "%s%s", olen ? " " : "", v);
			i++;
		} else if (a[0] == '-' && a[1] == '-') {
			cli_error("vm run: unknown option %s", a);
			usage(stderr);
			return EXIT_USAGE;
		} else if (!image) {
			image = a;
		} else {
			cli_error("vm run: unexpected argument '%s' (application arguments go after --)", a);
			return EXIT_USAGE;
		}
	}
	if (!image) {
		cli_error("vm run: no image given");
		return EXIT_USAGE;
	}
	struct stat st;
	if (stat(image, &st) || !S_ISREG(st.st_mode)) {
		cli_error("vm run: %s: not a readable image", image);
		return EXIT_FAIL;
	}
	if (share && (stat(share, &st) || !S_ISDIR(st.st_mode))) {
		cli_error("vm run: --share %s: not a directory", share);
		return EXIT_FAIL;
	}
	if (ip) {
		unsigned a, b, c, d;
		char extra;
		if (sscanf(ip, "%u.%u.%u.%u%c", &a, &b, &c, &d, &extra) != 4 || a > 255 || b > 255 || c > 255 || d > 255) {
			cli_error("vm run: --ip %s: want A.B.C.D", ip);
			return EXIT_USAGE;
		}
		olen += (size_t)snprintf(opts + olen, sizeof opts - olen, "%snet.ip=%s", olen ? " " : "", ip);
		snprintf(mac, sizeof mac, "mac=52:54:00:%02x:%02x:%02x", b, c, d);
	}
	/* Kernel options, then "--", then argv[0] (the image's name) and the app's arguments. */
	if (olen) {
		memcpy(append, opts, olen + 1);
		alen = olen;
	}
	alen += (size_t)snprintf(append + alen, sizeof append - alen, "%s--", alen ? " " : "");
	const char *base = strrchr(image, '/') ? strrchr(image, '/') + 1 : image;
	char name[256];
	snprintf(name, sizeof name, "%s", base);
	char *dot = strstr(name, ".elf");
	if (dot)
		*dot = '\0';
	if (append_quoted(append, sizeof append, &alen, name))
		goto too_long;
	for (; i < argc; i++)
		if (append_quoted(append, sizeof append, &alen, argv[i]))
			goto too_long;

	const char *qargv[MAX_QEMU_ARGS];
	int n = 0;
	snprintf(memstr, sizeof memstr, "%ld", mem);
	qargv[n++] = "qemu-system-x86_64";
	qargv[n++] = "-nodefaults";
	qargv[n++] = "-no-user-config";
	qargv[n++] = "-display";
	qargv[n++] = "none";
	qargv[n++] = "-serial";
	qargv[n++] = "stdio";
	qargv[n++] = "-no-reboot";
	qargv[n++] = "-m";
	qargv[n++] = memstr;
	if (access("/usr/share/qemu/qboot.rom", R_OK) == 0) {
		/* qboot starts a PVH kernel in a few ms where SeaBIOS takes ~100. */
		qargv[n++] = "-bios";
		qargv[n++] = "qboot.rom";
	}
	if (kvm && access("/dev/kvm", R_OK | W_OK)) {
		cli_error("vm run: --kvm: /dev/kvm is not usable here (%s)", strerror(errno));
		return EXIT_FAIL;
	}
	if (kvm) {
		qargv[n++] = "-enable-kvm";
		qargv[n++] = "-cpu";
		qargv[n++] = "host";
	} else {
		/* -cpu max has protection keys under TCG; a 64 MiB translation
		 * cache is plenty for a unikernel and keeps QEMU small. */
		qargv[n++] = "-cpu";
		qargv[n++] = "max";
		qargv[n++] = "-accel";
		qargv[n++] = "tcg,tb-size=64";
	}
	qargv[n++] = "-device";
	qargv[n++] = "isa-debug-exit,iobase=0xf4,iosize=0x04";
	if (share) {
		snprintf(fsdev, sizeof fsdev, "local,id=fs0,path=%s,security_model=none", share);
		qargv[n++] = "-fsdev";
		qargv[n++] = fsdev;
		qargv[n++] = "-device";
		qargv[n++] = "virtio-9p-pci,fsdev=fs0,mount_tag=share";
	}
	if (net) {
		long lport, rport;
		char l[16], r[16];
		if (sscanf(net, "socket:%15[0-9]:%15[0-9]", l, r) != 2 || parse_port(l, &lport) || parse_port(r, &rport)) {
			cli_error("vm run: --net %s: want socket:LPORT:RPORT", net);
			return EXIT_USAGE;
		}
		snprintf(netdev, sizeof netdev, "socket,id=n0,udp=127.0.0.1:%ld,localaddr=127.0.0.1:%ld", rport, lport);
		qargv[n++] = "-netdev";
		qargv[n++] = netdev;
		qargv[n++] = "-device";
		static char nic[128];
		snprintf(nic, sizeof nic, "virtio-net-pci,netdev=n0%s%s", *mac ? "," : "", mac);
		qargv[n++] = nic;
	}
	if (console) {
		snprintf(chardev, sizeof chardev, "socket,id=con0,path=%s,server=on,wait=off", console);
		qargv[n++] = "-chardev";
		qargv[n++] = chardev;
		qargv[n++] = "-device";
		qargv[n++] = "virtio-serial-pci";
		qargv[n++] = "-device";
		/* A serial port (not a console) so QEMU throttles instead of dropping
		 * output the client has not read, and tells the guest of connects. */
		qargv[n++] = "virtserialport,nr=1,chardev=con0,name=graft.console";
	}
	qargv[n++] = "-kernel";
	qargv[n++] = image;
	qargv[n++] = "-append";
	qargv[n++] = raw_cmdline ? raw_cmdline : append;
	qargv[n] = NULL;

	if (dry) {
		for (int k = 0; k < n; k++)
			printf("%s%s", k ? " " : "", qargv[k]);
		printf("\n");
		return EXIT_OK;
	}
	fflush(stdout);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		return cli_error("vm run: fork: %s", strerror(errno));
	if (pid == 0) {
		setpgid(0, 0);
		/* QEMU is in its own process group, so a signal to ours does
		 * not reach it: it must not outlive us (killed, timed out). */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		execvp(qargv[0], (char *const *)qargv);
		fprintf(stderr, "graft: vm run: cannot start %s: %s\n", qargv[0], strerror(errno));
		_exit(127);
	}
	qemu_pid = pid;
	struct sigaction sa = { .sa_handler = forward_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	int status = 0;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		pid_t w = waitpid(pid, &status, timeout_s ? WNOHANG : 0);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return cli_error("vm run: waitpid: %s", strerror(errno));
		if (timeout_s) {
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec - t0.tv_sec >= timeout_s) {
				kill(pid, SIGKILL);
				waitpid(pid, &status, 0);
				fflush(stdout);
				fprintf(stderr, "graft: vm run: guest still running after %ld s, stopped\n", timeout_s);
				return 124;
			}
			usleep(2000);
		}
	}
	if (stop_signal) {
		fflush(stdout);
		fprintf(stderr, "graft: vm run: stopped by signal %d\n", (int)stop_signal);
		return 128 + stop_signal;
	}
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "graft: vm run: QEMU killed by signal %d\n", WTERMSIG(status));
		return 125;
	}
	int rc = WEXITSTATUS(status);
	if (rc == 127)
		return 125;
	if (rc >= 3 && (rc & 1))
		return (rc - 3) / 2;
	if (rc == 0) {
		fprintf(stderr, "graft: vm run: guest reset or halted without an exit status (triple fault?)\n");
		return 126;
	}
	fprintf(stderr, "graft: vm run: QEMU failed (exit %d)\n", rc);
	return 125;
too_long:
	cli_error("vm run: command line too long");
	return EXIT_USAGE;
}
