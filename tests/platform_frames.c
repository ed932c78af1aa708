/*
 * tests/platform_frames.c — the Linux platform's frame paths and file
 * namespace: frames from a pcap file in, sent frames appended to another
 * (read back and compared); malformed pcap input (bad magic, a truncated
 * record) gives errors, not crashes; frames over a UDP socket pair in the
 * socket-netdev format; "/share" and ".." handling of gp_open.
 *
 * The platform reads GRAFT_* at start-up, so the program re-executes
 * itself with the environment for each case.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "graft/platform.h"
#include "testlib.h"

static char dir[] = "/tmp/graft-frames-XXXXXX";

static void write_pcap(const char *path, int bad_magic, int truncate)
{
	FILE *f = fopen(path, "wb");
	uint32_t hdr[6] = { bad_magic ? 0x12345678u : 0xa1b2c3d4u, 0x00040002u, 0, 0, 65535, 1 };
	fwrite(hdr, sizeof hdr, 1, f);
	for (int i = 0; i < 2; i++) {
		uint8_t frame[60];
		memset(frame, 0xa0 + i, sizeof frame);
		uint32_t rec[4] = { 0, 0, sizeof frame, sizeof frame };
		fwrite(rec, sizeof rec, 1, f);
		fwrite(frame, truncate && i == 1 ? 10 : sizeof frame, 1, f);
	}
	fclose(f);
}

/* Child: run one case with the environment already set. */
static int child(const char *which)
{
	uint8_t buf[2048];
	if (!strcmp(which, "pcap")) {
		T_CHECK(gp_net_available(), "pcap: available");
		for (int i = 0; i < 2; i++) {
			ssize_t n = gp_net_recv(buf, sizeof buf, 0);
			T_CHECK(n == 60 && buf[0] == 0xa0 + i && buf[59] == 0xa0 + i, "pcap: frame %d (%zd)", i, n);
			buf[0] = 0x55;
			T_CHECK(gp_net_send(buf, (size_t)n) == 0, "pcap: send %d", i);
		}
		T_CHECK(gp_net_recv(buf, sizeof buf, 0) == -ENODATA, "pcap: end of input");
		T_CHECK(gp_net_send(buf, 5) == -EINVAL, "pcap: runt frame refused");
	} else if (!strcmp(which, "badmagic")) {
		T_CHECK(!gp_net_available(), "pcap with a bad magic is not used");
	} else if (!strcmp(which, "truncated")) {
		T_CHECK(gp_net_recv(buf, sizeof buf, 0) == 60, "truncated pcap: first frame");
		T_CHECK(gp_net_recv(buf, sizeof buf, 0) == -EINVAL, "truncated pcap: cut record refused");
	} else if (!strcmp(which, "udp-a") || !strcmp(which, "udp-b")) {
		int a = !strcmp(which, "udp-a");
		uint8_t mac[6];
		T_CHECK(gp_net_available() && gp_net_mac(mac) == 0, "udp frames: available");
		memset(buf, a ? 1 : 2, 64);
		/* Both ends send until they hear the other one. */
		int heard = 0;
		for (int i = 0; i < 200 && !heard; i++) {
			gp_net_send(buf, 64);
			uint8_t in[2048];
			ssize_t n = gp_net_recv(in, sizeof in, gp_now_ns() + 20000000ULL);
			heard = n == 64 && in[0] == (a ? 2 : 1);
		}
		for (int i = 0; i < 20; i++) { /* let the other end hear us too */
			gp_net_send(buf, 64);
			gp_sleep_ns(5000000);
		}
		T_CHECK(heard, "udp frames: heard the peer");
	} else if (!strcmp(which, "files")) {
		T_CHECK(gp_open("/../etc/passwd", GP_O_READ) == -EPERM, "files: '..' refused");
		T_CHECK(gp_open("relative", GP_O_READ) == -EINVAL, "files: relative path refused");
		int h = gp_open("/share/x.txt", GP_O_WRITE | GP_O_CREATE);
		T_CHECK(h >= 0 && gp_write(h, "abc", 3) == 3 && gp_close(h) == 0, "files: write under /share");
		struct gp_stat st;
		T_CHECK(gp_stat("/share/x.txt", &st) == 0 && st.size == 3, "files: stat");
		T_CHECK(gp_stat("/nonexistent", &st) == -ENOENT, "files: missing");
	}
	return t_done();
}

/* Children report into a file; it is shown only when the case fails. */
static void child_output(const char *which)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s.log", dir, which);
	if (!freopen(path, "w", stdout) || !freopen(path, "a", stderr))
		_exit(126);
}

static void show_child(const char *which)
{
	char path[256], line[512];
	snprintf(path, sizeof path, "%s/%s.log", dir, which);
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof line, f))
		printf("    | %s", line);
	if (f)
		fclose(f);
}

static int run(char *self, const char *which, const char *net, int expect_ok)
{
	char share[128];
	snprintf(share, sizeof share, "%s", dir);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		child_output(which);
		if (net)
			setenv("GRAFT_NET", net, 1);
		setenv("GRAFT_SHARE", share, 1);
		setenv("GRAFT_ROOT", share, 1);
		execl(self, self, which, (char *)NULL);
		_exit(127);
	}
	int status;
	waitpid(pid, &status, 0);
	int ok = T_CHECK(WIFEXITED(status) && (WEXITSTATUS(status) == 0) == expect_ok, "case %s: exit %d", which, status);
	if (!ok)
		show_child(which);
	return ok;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		return child(argv[1]);
	if (!mkdtemp(dir))
		return 1;
	char in[256], out[256], spec[600];
	snprintf(in, sizeof in, "%s/in.pcap", dir);
	snprintf(out, sizeof out, "%s/out.pcap", dir);
	snprintf(spec, sizeof spec, "pcap:%s,%s", in, out);
	write_pcap(in, 0, 0);
	if (run(argv[0], "pcap", spec, 1)) {
		FILE *f = fopen(out, "rb");
		uint8_t b[256];
		size_t n = f ? fread(b, 1, sizeof b, f) : 0;
		if (f)
			fclose(f);
		T_CHECK(n == 24 + 2 * (16 + 60) && b[24 + 16] == 0x55 && b[24 + 16 + 1] == 0xa0, "pcap: output file holds 2 frames (%zu bytes)", n);
	}
	write_pcap(in, 1, 0);
	run(argv[0], "badmagic", spec, 1);
	write_pcap(in, 0, 1);
	run(argv[0], "truncated", spec, 1);
	printf("pcap frames in and out; bad magic and truncated records refused\n");

	int pa = 20000 + (int)(getpid() % 20000), pb = pa + 1;
	char na[64], nb[64];
	snprintf(na, sizeof na, "udp:%d:127.0.0.1:%d", pa, pb);
	snprintf(nb, sizeof nb, "udp:%d:127.0.0.1:%d", pb, pa);
	fflush(stdout);
	pid_t other = fork();
	if (other == 0) {
		child_output("udp-b");
		setenv("GRAFT_NET", nb, 1);
		execl(argv[0], argv[0], "udp-b", (char *)NULL);
		_exit(127);
	}
	run(argv[0], "udp-a", na, 1);
	int status;
	waitpid(other, &status, 0);
	if (!T_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "udp frames: peer exit %d", status))
		show_child("udp-b");
	printf("frames over a UDP socket pair (QEMU socket-netdev format)\n");

	run(argv[0], "files", NULL, 1);
	printf("files: /share mapping, '..' and relative paths refused\n");
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		T_CHECK(0, "cleanup");
	return t_done();
}
