/* Derives the registration table's comparison keys from SIP URI strings with libosip2. */
#include "build_config.h"

#include "reg_key.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osipparser2/osip_uri.h>

#define REG_KEY_DEFAULT_PORT 5060

static int key_verbatim(struct reg_key *k, const char *uri)
{
	k->str = strdup(uri);
	if (!k->str)
		return -1;
	k->len = strlen(uri);
	return 0;
}

/* "5060", "05060" and "" all name the same port; anything else stays as written. */
static void port_text(const char *port, char *buf, size_t size)
{
	unsigned long v = REG_KEY_DEFAULT_PORT;

	if (port && *port) {
		char *end;
		errno = 0;
		v = strtoul(port, &end, 10);
		if (errno || *end || v > 65535 || !isdigit((unsigned char)*port)) {
			snprintf(buf, size, "%s", port);
			return;
		}
	}
	snprintf(buf, size, "%lu", v);
}

static void lower_ascii(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s[i] = (char)tolower((unsigned char)s[i]);
}

static int key_from_uri(struct reg_key *k, const osip_uri_t *u, bool with_port)
{
	const char *user = u->username ? u->username : "";
	bool v6 = strchr(u->host, ':') != NULL;
	char port[32] = "";

	if (with_port)
		port_text(u->port, port, sizeof port);
	size_t slen = strlen(u->scheme), ulen = strlen(user), hlen = strlen(u->host), plen = strlen(port);
	size_t len = slen + 1 + ulen + 1 + (v6 ? 2 : 0) + hlen + (with_port ? 1 + plen : 0);
	char *s = malloc(len + 1);
	if (!s)
		return -1;

	char *p = s;
	memcpy(p, u->scheme, slen);
	lower_ascii(p, slen);
	p += slen;
	*p++ = ':';
	k->user_off = (size_t)(p - s);
	k->user_len = ulen;
	memcpy(p, user, ulen);
	p += ulen;
	*p++ = '@';
	k->host_off = (size_t)(p - s);
	if (v6)
		*p++ = '[';
	memcpy(p, u->host, hlen);
	lower_ascii(p, hlen);
	p += hlen;
	if (v6)
		*p++ = ']';
	k->host_len = (size_t)(p - s) - k->host_off;
	if (with_port) {
		*p++ = ':';
		memcpy(p, port, plen);
		p += plen;
	}
	*p = '\0';
	k->str = s;
	k->len = len;
	k->parsed = true;
	return 0;
}

int reg_key_make(struct reg_key *k, const char *uri, bool with_port)
{
	osip_uri_t *u = NULL;
	int rc;

	memset(k, 0, sizeof *k);
	if (osip_uri_init(&u) != 0) {
		errno = ENOMEM;
		return -1;
	}
	if (osip_uri_parse(u, uri) == 0 && u->scheme && u->host && *u->host)
		rc = key_from_uri(k, u, with_port);
	else
		rc = key_verbatim(k, uri);
	osip_uri_free(u);
	if (rc < 0)
		errno = ENOMEM;
	return rc;
}

void reg_key_clear(struct reg_key *k)
{
	free(k->str);
	memset(k, 0, sizeof *k);
}
