/* Comparison keys of SIP URIs for the registration table: "scheme:user@host[:port]", normalised. */
#ifndef SIPROXD_REG_KEY_H
#define SIPROXD_REG_KEY_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Two URIs name the same AoR when their AoR keys are equal: scheme and host compared without
 * case, the user part exactly, port and parameters ignored. Contact keys add the port (5060
 * when absent). A URI that libosip2 cannot parse (or one without a host, such as tel:) is its
 * own key, byte for byte, so that it still matches itself and nothing else.
 */
struct reg_key {
	char *str;            /* malloc'd, NUL-terminated */
	size_t len;
	size_t user_off, user_len;   /* the user part inside str; user_len 0 when there is none */
	size_t host_off, host_len;   /* the host inside str (IPv6 in brackets); 0 when unparsed */
	bool parsed;
};

/* Returns 0, or -1 with errno ENOMEM. */
int reg_key_make(struct reg_key *k, const char *uri, bool with_port);
void reg_key_clear(struct reg_key *k);

#endif
