/* Digest authentication (RFC 2617/7616, MD5): challenges, HMAC-stamped nonces, verification, the password file. */
#ifndef SIPROXD_DIGEST_AUTH_H
#define SIPROXD_DIGEST_AUTH_H

#include <osipparser2/osip_message.h>
#include <stdbool.h>
#include <stdint.h>

struct digest_auth;

enum auth_result {
	AUTH_OK,                /* credentials verified */
	AUTH_MISSING,           /* no Proxy-Authorization for our realm: send a challenge (407) */
	AUTH_STALE,             /* right password, nonce too old, not ours (issued before a restart) or
				   its nonce-count forgotten: challenge again with stale=true */
	AUTH_BAD_CREDENTIALS,   /* unknown user or wrong digest or replayed nonce-count: 403 */
	AUTH_MALFORMED,         /* unparsable header, missing parameters: 400 */
};

/*
 * realm: proxy_auth_realm; passwd: proxy_auth_passwd (used when pwfile is NULL); pwfile:
 * proxy_auth_pwfile, read now ("user password" per line, # comments); nonce_ttl in seconds.
 * Returns NULL with the reason logged (file:line for a bad pwfile line).
 */
struct digest_auth *auth_create(const char *realm, const char *passwd, const char *pwfile, int nonce_ttl);
void auth_destroy(struct digest_auth *a);
/* SIGHUP: re-reads the password file; on error the old table stays. Returns 0 or -1. */
int auth_reload(struct digest_auth *a);

/* Checks the request's Proxy-Authorization against its method and Request-URI. */
enum auth_result auth_check(struct digest_auth *a, const osip_message_t *req, int64_t now);
/* Adds a Proxy-Authenticate header (realm, fresh nonce, qop="auth", algorithm=MD5[, stale=true]). */
int auth_challenge(struct digest_auth *a, osip_message_t *resp, bool stale, int64_t now);

/* The inputs of one RFC 2617 §3.2.2 request-digest; qop NULL or "" for the RFC 2069 form. */
struct auth_digest_input {
	const char *username, *realm, *password;
	const char *algorithm;  /* NULL or "MD5": plain; "MD5-sess": session HA1 */
	const char *nonce, *nc, *cnonce, *qop;
	const char *method, *uri;
};
/* Writes the 32 lowercase hex digits of the request-digest and a NUL to out. */
void auth_digest_compute(const struct auth_digest_input *in, char out[33]);

#endif
