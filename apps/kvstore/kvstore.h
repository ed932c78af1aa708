/*
 * apps/kvstore — a key-value store over UDP, the overlay's demo application.
 *
 * Protocol: one request per datagram, one reply per request, text:
 *
 *     ID get KEY          ->  ID ok VALUE   |  ID missing
 *     ID set KEY VALUE    ->  ID ok
 *     ID del KEY          ->  ID ok         |  ID missing
 *     ID info             ->  ID ok gen=G name=NAME keys=K requests=R
 *     anything else       ->  ID error: WHY   (or "- error: WHY" without ID)
 *
 * ID is the client's token (1..32 printable bytes, echoed so a client with
 * several requests in flight can match replies). KEY is 1..KV_KEY_MAX
 * printable bytes without blanks; VALUE is the rest of the datagram after
 * one blank (1..max_value bytes, no control bytes). A trailing "\n" is
 * ignored. The store holds at most max_keys keys ("error: full").
 *
 * Configuration (KEY=VALUE lines, '#' comments), read at start and again on
 * SIGHUP: name, max_keys, max_value, log (1: log every request to the log
 * file), log_max (bytes before the log file starts over).
 */
#ifndef KVSTORE_H
#define KVSTORE_H

#include <stddef.h>
#include <stdint.h>

#define KV_KEY_MAX 64
#define KV_VALUE_MAX 512
#define KV_SLOTS 8192 /* hash table size; max_keys stays below 3/4 of it */

struct kv_config {
	char name[64];
	unsigned max_keys;
	unsigned max_value;
	int log;
	unsigned log_max;
};

/* Globals on purpose: the overlay reads them by symbol (bpf_exec,
 * native programs). */
extern volatile uint64_t kv_requests;   /* requests handled */
extern volatile uint64_t kv_errors;     /* requests answered with an error */
extern volatile uint64_t kv_config_gen; /* configurations read */
extern struct kv_config kv_config;

/* store.c: the table. */
const char *kv_get(const char *key, size_t klen, size_t *vlen);
int kv_set(const char *key, size_t klen, const char *val, size_t vlen); /* 0, -1 full */
int kv_del(const char *key, size_t klen);                              /* 0, -1 absent */
unsigned kv_count(void);

/* handle.c: one request in, one reply out (length; never more than cap).
 * The tracing target: its name and signature are stable. */
size_t kv_handle_request(const char *req, size_t len, char *reply, size_t cap);

/* log.c: the request log (/kvstore.log). */
void kv_log_open(const char *path);
void kv_log_request(const char *req, size_t len);
void kv_log_note(const char *text);
void kv_log_flush(void);

#endif
