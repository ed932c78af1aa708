/*
 * apps/kvstore/main.c — start-up, configuration and the serving loop.
 *
 *   kvstore [-p PORT] [-c CONFIG] [-l LOG] [-t SECONDS] [--jit]
 *
 * Serves the protocol of kvstore.h on UDP PORT (default 7070) of the
 * platform's address, logs requests to LOG (default /kvstore.log), reads
 * CONFIG (default /kvstore.conf) at start and again when SIGHUP arrives,
 * and starts the overlay console beside itself when the run has a console
 * channel. -t ends the run after SECONDS (status 0); --jit has the overlay
 * compile eBPF programs. Ordinary C against graft/platform.h: the same
 * source is the unikernel image and the Linux program.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graft/ebpf.h"
#include "graft/overlay.h"
#include "graft/platform.h"
#include "kvstore.h"

volatile uint64_t kv_config_gen;
struct kv_config kv_config;
static volatile sig_atomic_t reload_pending;
static const char *config_path = "/kvstore.conf";

/* The signal may come on the overlay's thread: only note it here. */
static void on_hup(int sig)
{
	(void)sig;
	reload_pending = 1;
}

static unsigned num(const char *v, unsigned lo, unsigned hi, unsigned dflt)
{
	char *end;
	unsigned long n = strtoul(v, &end, 10);
	return *v && !*end && n >= lo && n <= hi ? (unsigned)n : dflt;
}

/* Read the configuration; a missing file or a bad line keeps defaults
 * and says so (the store must keep serving whatever the file holds). */
static void read_config(void)
{
	struct kv_config c = { "graft-kv", 4096, 256, 1, 65536 };
	char text[4096], note[128];
	ssize_t n = -1;
	int h = gp_open(config_path, GP_O_READ), bad = 0;
	if (h >= 0) {
		n = gp_read(h, text, sizeof text - 1);
		gp_close(h);
	}
	if (n < 0) {
		printf("kvstore: %s: cannot read (error %d): defaults\n", config_path,
		       h < 0 ? -h : (int)-n);
		n = 0;
	}
	text[n] = '\0';
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		if (line[0] == '#')
			continue;
		if (!eq) {
			bad++;
			continue;
		}
		*eq = '\0';
		const char *k = line, *v = eq + 1;
		if (!strcmp(k, "name"))
			snprintf(c.name, sizeof c.name, "%s", v);
		else if (!strcmp(k, "max_keys"))
			c.max_keys = num(v, 1, KV_SLOTS * 3 / 4, c.max_keys);
		else if (!strcmp(k, "max_value"))
			c.max_value = num(v, 1, KV_VALUE_MAX, c.max_value);
		else if (!strcmp(k, "log"))
			c.log = (int)num(v, 0, 1, (unsigned)c.log);
		else if (!strcmp(k, "log_max"))
			c.log_max = num(v, 0, 1u << 30, c.log_max);
		else
			bad++;
	}
	kv_config = c;
	kv_config_gen++;
	snprintf(note, sizeof note, "config %s generation %llu: name=%s max_keys=%u%s",
		 config_path, (unsigned long long)kv_config_gen, c.name, c.max_keys,
		 bad ? " (bad lines skipped)" : "");
	printf("kvstore: %s\n", note);
	kv_log_note(note);
}

static void *xalloc(void *ud, size_t n) { (void)ud; return malloc(n); }
static void xfree(void *ud, void *p) { (void)ud; free(p); }

int main(int argc, char **argv)
{
	unsigned port = 7070, seconds = 0;
	const char *log_path = "/kvstore.log";
	unsigned prog_flags = 0;
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(argv[i], "--jit")) {
			prog_flags |= EBPF_F_JIT;
		} else if (v && !strcmp(argv[i], "-p")) {
			port = num(v, 1, 65535, 0), i++;
		} else if (v && !strcmp(argv[i], "-c")) {
			config_path = v, i++;
		} else if (v && !strcmp(argv[i], "-l")) {
			log_path = v, i++;
		} else if (v && !strcmp(argv[i], "-t")) {
			seconds = num(v, 1, 86400, 0), i++;
		} else {
			fprintf(stderr, "usage: kvstore [-p PORT] [-c CONFIG] [-l LOG] [-t SECONDS] [--jit]\n");
			return 2;
		}
	}
	if (!port) {
		fprintf(stderr, "kvstore: bad port\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("kvstore: starting on %s\n", gp_name());
	kv_log_open(log_path);
	read_config();
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);

	struct ovl_console *con = NULL;
	struct ovl_console_opts co = { { xalloc, xfree, NULL }, prog_flags };
	struct graft_err err = { 0 };
	if (ovl_console_start(&con, &co, &err))
		printf("kvstore: no overlay console: %s\n", err.msg);

	int s = gp_udp_open((uint16_t)port);
	if (s < 0) {
		printf("kvstore: udp port %u: error %d\n", port, -s);
		return 1;
	}
	uint32_t ip = gp_ip_addr();
	printf("kvstore: serving udp %u.%u.%u.%u:%u on %s, overlay console %s\n",
	       ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255, port, gp_name(),
	       con ? "on" : "off");
	fflush(stdout);

	static char req[2048], reply[1024];
	uint64_t stop = seconds ? gp_now_ns() + seconds * 1000000000ull : 0;
	while (!stop || gp_now_ns() < stop) {
		uint32_t from;
		uint16_t from_port;
		ssize_t n = gp_udp_recv(s, req, sizeof req, &from, &from_port,
					gp_now_ns() + 100000000ull);
		if (reload_pending) {
			reload_pending = 0;
			read_config();
		}
		if (n < 0) {
			kv_log_flush(); /* idle: the log catches up */
			continue;
		}
		if (kv_config.log)
			kv_log_request(req, (size_t)n);
		size_t r = kv_handle_request(req, (size_t)n, reply, sizeof reply);
		gp_udp_send(s, from, from_port, reply, r);
		/* A steady stream never blocks the loop: let the console in. */
		if ((kv_requests & 7) == 0)
			gp_thread_yield();
	}
	kv_log_flush();
	printf("kvstore: %llu requests, %llu errors\n", (unsigned long long)kv_requests,
	       (unsigned long long)kv_errors);
	ovl_console_stop(con);
	gp_udp_close(s);
	return 0;
}
