/* Digest authentication (RFC 2617/7616, MD5): challenges, HMAC-stamped nonces, verification, the password file. */
#include "build_config.h"

#include "digest_auth.h"

#include "hmap.h"
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <osipparser2/osip_md5.h>
#include <osipparser2/osip_parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

/*
 * Remembered nonce-counts. The header gives no knob for it, so it is a constant: each entry is
 * ~80 bytes, and 1024 nonces in first use within one nonce_ttl is far beyond what a home router
 * registers. When it overflows the oldest nonce is forgotten, and with it every nonce issued no
 * later than it: those are treated as stale, so a forgotten nonce cannot be replayed.
 */
#define AUTH_NC_SLOTS 1024
/* hex seconds ':' hex serial ':' 32 hex HMAC, NUL: anything longer is not one of ours. */
#define AUTH_NONCE_MAX 80
/* Nonces stamped this far in the future still count as fresh (wall clock stepped back). */
#define AUTH_CLOCK_SKEW 5

struct pw_entry {
	struct pw_entry *next;  /* the table owns its entries through this list */
	char *user;             /* also the map's key */
	char *pass;
};

struct pw_table {
	struct hmap by_user;    /* user → struct pw_entry */
	struct pw_entry *all;
};

struct nc_slot {
	char nonce[AUTH_NONCE_MAX];   /* also the map's key */
	uint32_t nc;            /* highest nonce-count accepted */
	uint64_t serial;        /* the nonce's issue serial */
	bool used;
};

struct nc_table {
	struct nc_slot slots[AUTH_NC_SLOTS];
	struct hmap by_nonce;   /* nonce → struct nc_slot, room reserved for every slot */
	size_t oldest;          /* ring position: the next slot to reuse */
	bool evicted;           /* a slot in use was reused: forgotten_serial is valid */
	uint64_t forgotten_serial;  /* highest serial of a nonce whose count was forgotten */
};

struct digest_auth {
	char *realm;
	char *passwd;           /* everybody's password when there is no pwfile */
	char *pwfile;
	int nonce_ttl;
	uint8_t secret[32];     /* per process: nonces from before a restart no longer verify */
	uint64_t serial;        /* makes nonces issued in the same second distinct (own nc counts) */
	struct pw_table pw;
	struct nc_table nc;
};

/* ---- MD5 helpers ---- */

static void md5_add(osip_MD5_CTX *ctx, const void *data, size_t len)
{
	osip_MD5Update(ctx, (unsigned char *)(uintptr_t)data, (unsigned int)len);
}

static void md5_str(osip_MD5_CTX *ctx, const char *s) { md5_add(ctx, s, strlen(s)); }

static void hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

/* MD5 over the given strings joined with ':' (the shape of every RFC 2617 hash), as hex. */
static void md5_hex_join(char out[33], const char *const *parts, size_t n)
{
	osip_MD5_CTX ctx;
	uint8_t bin[16];

	osip_MD5Init(&ctx);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			md5_add(&ctx, ":", 1);
		md5_str(&ctx, parts[i]);
	}
	osip_MD5Final(bin, &ctx);
	hex_encode(bin, sizeof(bin), out);
	explicit_bzero(&ctx, sizeof(ctx));
}

/* HMAC-MD5 (RFC 2104) keyed with the process secret (32 bytes, shorter than the 64-byte block). */
static void hmac_md5_hex(const uint8_t key[32], const char *msg, char out[33])
{
	uint8_t pad[64], inner[16], outer[16];
	osip_MD5_CTX ctx;

	memset(pad, 0x36, sizeof(pad));
	for (size_t i = 0; i < 32; i++)
		pad[i] ^= key[i];
	osip_MD5Init(&ctx);
	md5_add(&ctx, pad, sizeof(pad));
	md5_str(&ctx, msg);
	osip_MD5Final(inner, &ctx);

	memset(pad, 0x5c, sizeof(pad));
	for (size_t i = 0; i < 32; i++)
		pad[i] ^= key[i];
	osip_MD5Init(&ctx);
	md5_add(&ctx, pad, sizeof(pad));
	md5_add(&ctx, inner, sizeof(inner));
	osip_MD5Final(outer, &ctx);
	hex_encode(outer, sizeof(outer), out);
	explicit_bzero(pad, sizeof(pad));
	explicit_bzero(&ctx, sizeof(ctx));
}

void auth_digest_compute(const struct auth_digest_input *in, char out[33])
{
	char ha1[33], ha2[33];
	const char *a1[] = { in->username, in->realm, in->password };

	md5_hex_join(ha1, a1, 3);
	if (in->algorithm && strcasecmp(in->algorithm, "MD5-sess") == 0) {
		const char *sess[] = { ha1, in->nonce, in->cnonce ? in->cnonce : "" };
		md5_hex_join(ha1, sess, 3);
	}
	const char *a2[] = { in->method, in->uri };
	md5_hex_join(ha2, a2, 2);
	if (in->qop && in->qop[0]) {
		const char *r[] = { ha1, in->nonce, in->nc, in->cnonce, in->qop, ha2 };
		md5_hex_join(out, r, 6);
	} else {
		const char *r[] = { ha1, in->nonce, ha2 };
		md5_hex_join(out, r, 3);
	}
	explicit_bzero(ha1, sizeof(ha1));
}

/* ---- password table ---- */

static void pw_entry_free(struct pw_entry *e)
{
	explicit_bzero(e->pass, strlen(e->pass));
	free(e->pass);
	free(e->user);
	free(e);
}

static void pw_table_clear(struct pw_table *t)
{
	struct pw_entry *e, *next;

	for (e = t->all; e; e = next) {
		next = e->next;
		pw_entry_free(e);
	}
	hmap_fini(&t->by_user);
	t->all = NULL;
}

static struct pw_entry *pw_find(const struct pw_table *t, const char *user)
{
	return hmap_get(&t->by_user, user, strlen(user));
}

/* Returns 1 when user was already there (its password replaced), 0 when added, -1 out of memory. */
static int pw_put(struct pw_table *t, const char *user, const char *pass)
{
	struct pw_entry *e = pw_find(t, user);
	char *p = strdup(pass);

	if (!p)
		return -1;
	if (e) {
		explicit_bzero(e->pass, strlen(e->pass));
		free(e->pass);
		e->pass = p;
		return 1;
	}
	e = calloc(1, sizeof(*e));
	if (!e || !(e->user = strdup(user)) || hmap_put(&t->by_user, e->user, strlen(e->user), e) < 0) {
		if (e)
			free(e->user);
		free(e);
		free(p);
		return -1;
	}
	e->pass = p;
	e->next = t->all;
	t->all = e;
	return 0;
}

/* Reads "user password" lines into *out. Bad lines are warned about with file:line and skipped. */
static int pw_load(const char *path, struct pw_table *out)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	int rc = 0;

	out->all = NULL;
	hmap_init(&out->by_user, hmap_random_seed());
	if (!f) {
		log_error("proxy_auth_pwfile %s: %s", path, strerror(errno));
		return -1;
	}
	while (getline(&line, &cap, f) >= 0) {
		char *save = NULL;
		lineno++;
		char *user = strtok_r(line, " \t\r\n", &save);
		if (!user || user[0] == '#')
			continue;
		char *pass = strtok_r(NULL, " \t\r\n", &save);
		if (!pass) {
			log_warn("%s:%u: expected \"username password\", line ignored", path, lineno);
			continue;
		}
		if (strtok_r(NULL, " \t\r\n", &save))
			log_warn("%s:%u: text after the password ignored", path, lineno);
		int r = pw_put(out, user, pass);
		if (r < 0) {
			log_error("%s:%u: out of memory", path, lineno);
			rc = -1;
			break;
		}
		if (r == 1)
			log_warn("%s:%u: user %s listed again, this line wins", path, lineno, user);
	}
	if (rc == 0 && ferror(f)) {
		log_error("proxy_auth_pwfile %s: read error", path);
		rc = -1;
	}
	if (line) {
		explicit_bzero(line, cap);
		free(line);
	}
	fclose(f);
	if (rc < 0)
		pw_table_clear(out);
	return rc;
}

static const char *password_of(const struct digest_auth *a, const char *user)
{
	if (!a->pwfile)
		return a->passwd;
	const struct pw_entry *e = pw_find(&a->pw, user);
	return e ? e->pass : NULL;
}

/* ---- nonce-count table ---- */

static struct nc_slot *nc_find(struct nc_table *t, const char *nonce)
{
	return hmap_get(&t->by_nonce, nonce, strlen(nonce));
}

/*
 * A new nonce takes the oldest slot (ring order = order of first use). Slots of expired nonces
 * are never consulted, since a nonce's age is checked before its count, and they are the first
 * to be reused. The map has room for every slot, so the insert cannot fail.
 */
static struct nc_slot *nc_insert(struct nc_table *t, const char *nonce, uint64_t serial)
{
	struct nc_slot *s = &t->slots[t->oldest];

	if (s->used) {
		hmap_del(&t->by_nonce, s->nonce, strlen(s->nonce));
		if (!t->evicted || s->serial > t->forgotten_serial)
			t->forgotten_serial = s->serial;
		t->evicted = true;
	}
	t->oldest = (t->oldest + 1) % AUTH_NC_SLOTS;
	snprintf(s->nonce, sizeof(s->nonce), "%s", nonce);
	s->serial = serial;
	s->nc = 0;
	s->used = true;
	hmap_put(&t->by_nonce, s->nonce, strlen(s->nonce), s);
	return s;
}

/* ---- nonces ---- */

/* "<seconds hex>:<serial hex>:<HMAC(seconds:serial:realm) hex>" */
static void nonce_make(const struct digest_auth *a, uint64_t stamp, uint64_t serial, char *out, size_t len)
{
	char msg[600], mac[33];

	snprintf(msg, sizeof(msg), "%" PRIx64 ":%" PRIx64 ":%s", stamp, serial, a->realm);
	hmac_md5_hex(a->secret, msg, mac);
	snprintf(out, len, "%" PRIx64 ":%" PRIx64 ":%s", stamp, serial, mac);
}

/* Constant-time comparison, so that timing tells nothing about how much of a digest was right. */
static bool ct_equal(const char *x, const char *y, size_t n)
{
	unsigned char diff = 0;

	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)(x[i] ^ y[i]);
	return diff == 0;
}

/* Parses up to 16 hex digits ending at stop; returns the character after stop, or NULL. */
static const char *parse_hex_field(const char *s, char stop, uint64_t *out)
{
	uint64_t v = 0;
	int n = 0;

	for (; isxdigit((unsigned char)*s); s++, n++) {
		if (n == 16)
			return NULL;
		v = v << 4 | (uint64_t)(isdigit((unsigned char)*s) ? *s - '0' : tolower((unsigned char)*s) - 'a' + 10);
	}
	if (n == 0 || *s != stop)
		return NULL;
	*out = v;
	return s + 1;
}

/* True when nonce is one we issued; *stamp and *serial get its timestamp and issue serial. */
static bool nonce_verify(const struct digest_auth *a, const char *nonce, int64_t *stamp, uint64_t *serial_out)
{
	char expect[AUTH_NONCE_MAX];
	uint64_t ts, serial;
	const char *p;

	if (strlen(nonce) >= AUTH_NONCE_MAX || !(p = parse_hex_field(nonce, ':', &ts)) ||
	    !parse_hex_field(p, ':', &serial) || ts > INT64_MAX)
		return false;
	nonce_make(a, ts, serial, expect, sizeof(expect));
	if (strlen(expect) != strlen(nonce) || !ct_equal(expect, nonce, strlen(nonce)))
		return false;
	*stamp = (int64_t)ts;
	*serial_out = serial;
	return true;
}

/* ---- life cycle ---- */

struct digest_auth *auth_create(const char *realm, const char *passwd, const char *pwfile, int nonce_ttl)
{
	if (!realm || !realm[0]) {
		log_error("digest authentication needs proxy_auth_realm");
		return NULL;
	}
	if (!pwfile && !passwd) {
		log_error("proxy_auth_realm is set but neither proxy_auth_passwd nor proxy_auth_pwfile");
		return NULL;
	}
	if (nonce_ttl <= 0) {
		log_error("proxy_auth nonce TTL must be positive (got %d)", nonce_ttl);
		return NULL;
	}
	if (strlen(realm) > 256) {
		log_error("proxy_auth_realm is longer than 256 characters");
		return NULL;
	}
	struct digest_auth *a = calloc(1, sizeof(*a));
	if (!a) {
		log_error("digest authentication: out of memory");
		return NULL;
	}
	a->nonce_ttl = nonce_ttl;
	a->realm = strdup(realm);
	a->passwd = passwd ? strdup(passwd) : NULL;
	a->pwfile = pwfile ? strdup(pwfile) : NULL;
	if (!a->realm || (passwd && !a->passwd) || (pwfile && !a->pwfile)) {
		log_error("digest authentication: out of memory");
		auth_destroy(a);
		return NULL;
	}
	if (getrandom(a->secret, sizeof(a->secret), 0) != (ssize_t)sizeof(a->secret)) {
		log_error("digest authentication: getrandom: %s", strerror(errno));
		auth_destroy(a);
		return NULL;
	}
	hmap_init(&a->nc.by_nonce, hmap_random_seed());
	if (hmap_reserve(&a->nc.by_nonce, AUTH_NC_SLOTS) < 0) {
		log_error("digest authentication: out of memory");
		auth_destroy(a);
		return NULL;
	}
	if (a->pwfile && pw_load(a->pwfile, &a->pw) < 0) {
		auth_destroy(a);
		return NULL;
	}
	return a;
}

void auth_destroy(struct digest_auth *a)
{
	if (!a)
		return;
	pw_table_clear(&a->pw);
	hmap_fini(&a->nc.by_nonce);
	if (a->passwd) {
		explicit_bzero(a->passwd, strlen(a->passwd));
		free(a->passwd);
	}
	free(a->pwfile);
	free(a->realm);
	explicit_bzero(a->secret, sizeof(a->secret));
	free(a);
}

int auth_reload(struct digest_auth *a)
{
	struct pw_table fresh;

	if (!a->pwfile)
		return 0;
	if (pw_load(a->pwfile, &fresh) < 0)
		return -1;
	pw_table_clear(&a->pw);
	a->pw = fresh;
	log_info("proxy_auth_pwfile %s: %zu users", a->pwfile, hmap_count(&a->pw.by_user));
	return 0;
}

/* ---- challenge ---- */

/* Writes s as the inside of a quoted-string (RFC 3261 quoted-pair for '"' and '\'). */
static size_t quote_into(char *out, size_t len, const char *s)
{
	size_t n = 0;

	for (; *s && n + 2 < len; s++) {
		if (*s == '"' || *s == '\\')
			out[n++] = '\\';
		out[n++] = *s;
	}
	out[n] = '\0';
	return n;
}

int auth_challenge(struct digest_auth *a, osip_message_t *resp, bool stale, int64_t now)
{
	char nonce[AUTH_NONCE_MAX], realm[2 * 256 + 1], hdr[1024];

	nonce_make(a, (uint64_t)now, a->serial++, nonce, sizeof(nonce));
	quote_into(realm, sizeof(realm), a->realm);
	int n = snprintf(hdr, sizeof(hdr), "Digest realm=\"%s\", nonce=\"%s\", qop=\"auth\", algorithm=MD5%s",
			 realm, nonce, stale ? ", stale=true" : "");
	if (n < 0 || (size_t)n >= sizeof(hdr))
		return -1;
	return osip_message_set_proxy_authenticate(resp, hdr) == OSIP_SUCCESS ? 0 : -1;
}

/* ---- verification ---- */

/* The credentials of one Proxy-Authorization header, unquoted. */
struct creds {
	char *username, *realm, *nonce, *uri, *response, *algorithm, *cnonce, *qop, *nc;
};

/* osip keeps quoted-strings with their quotes; returns a malloc'd copy without them, or NULL. */
static char *unquote(const char *v)
{
	if (!v)
		return NULL;
	size_t len = strlen(v);
	if (len < 2 || v[0] != '"' || v[len - 1] != '"')
		return strdup(v);
	char *out = malloc(len - 1);
	if (!out)
		return NULL;
	size_t n = 0;
	for (size_t i = 1; i + 1 < len; i++) {
		if (v[i] == '\\' && i + 2 < len)
			i++;
		out[n++] = v[i];
	}
	out[n] = '\0';
	return out;
}

static void creds_free(struct creds *c)
{
	free(c->username);
	free(c->realm);
	free(c->nonce);
	free(c->uri);
	free(c->response);
	free(c->algorithm);
	free(c->cnonce);
	free(c->qop);
	free(c->nc);
}

static void creds_fill(struct creds *c, osip_authorization_t *h)
{
	c->username = unquote(osip_authorization_get_username(h));
	c->realm = unquote(osip_authorization_get_realm(h));
	c->nonce = unquote(osip_authorization_get_nonce(h));
	c->uri = unquote(osip_authorization_get_uri(h));
	c->response = unquote(osip_authorization_get_response(h));
	c->algorithm = unquote(osip_authorization_get_algorithm(h));
	c->cnonce = unquote(osip_authorization_get_cnonce(h));
	c->qop = unquote(osip_authorization_get_message_qop(h));
	c->nc = unquote(osip_authorization_get_nonce_count(h));
}

/*
 * Picks the first Digest Proxy-Authorization for our realm. Headers for other realms belong to
 * other proxies on the path and are left alone. Returns the header, or NULL with *malformed set
 * when a Digest header without a realm was seen (we cannot tell whose it is).
 */
static osip_authorization_t *find_ours(const struct digest_auth *a, const osip_message_t *req, bool *malformed)
{
	*malformed = false;
	for (int i = 0; i < osip_list_size(&req->proxy_authorizations); i++) {
		osip_authorization_t *h = osip_list_get(&req->proxy_authorizations, i);
		const char *scheme = osip_authorization_get_auth_type(h);
		if (!scheme || strcasecmp(scheme, "Digest") != 0)
			continue;
		char *realm = unquote(osip_authorization_get_realm(h));
		if (!realm) {
			*malformed = true;
			continue;
		}
		bool ours = strcmp(realm, a->realm) == 0;
		free(realm);
		if (ours)
			return h;
	}
	return NULL;
}

/* digest-uri must name the Request-URI; compared as text, then as osip re-serialises both. */
static bool uri_matches(const osip_message_t *req, const char *uri)
{
	char *ruri = NULL, *norm = NULL;
	osip_uri_t *parsed = NULL;
	bool same = false;

	if (!req->req_uri || osip_uri_to_str(req->req_uri, &ruri) != OSIP_SUCCESS)
		return false;
	same = strcmp(ruri, uri) == 0;
	if (!same && osip_uri_init(&parsed) == OSIP_SUCCESS) {
		if (osip_uri_parse(parsed, uri) == OSIP_SUCCESS && osip_uri_to_str(parsed, &norm) == OSIP_SUCCESS)
			same = strcmp(ruri, norm) == 0;
		osip_uri_free(parsed);
	}
	osip_free(norm);
	osip_free(ruri);
	return same;
}

/* nc is exactly 8 hex digits (RFC 2617 §3.2.2), and the first request with a nonce sends 1. */
static bool parse_nc(const char *s, uint32_t *out)
{
	if (strlen(s) != 8)
		return false;
	for (int i = 0; i < 8; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	*out = (uint32_t)strtoul(s, NULL, 16);
	return *out != 0;
}

/* Syntax and parameter checks that need no password; returns AUTH_OK to go on. */
static enum auth_result check_params(const struct creds *c, const osip_message_t *req, uint32_t *nc)
{
	const char *user = c->username ? c->username : "?";

	if (!c->username || !c->nonce || !c->uri || !c->response) {
		log_debug(DBCLASS_AUTH, "auth user %.64s: username, nonce, uri or response missing", user);
		return AUTH_MALFORMED;
	}
	if (c->algorithm && strcasecmp(c->algorithm, "MD5") != 0 && strcasecmp(c->algorithm, "MD5-sess") != 0) {
		log_debug(DBCLASS_AUTH, "auth user %.64s: unsupported algorithm %.32s", user, c->algorithm);
		return AUTH_MALFORMED;
	}
	if (c->qop) {
		if (strcasecmp(c->qop, "auth") != 0) {
			log_debug(DBCLASS_AUTH, "auth user %.64s: unsupported qop %.32s", user, c->qop);
			return AUTH_MALFORMED;
		}
		if (!c->cnonce || !c->nc || !parse_nc(c->nc, nc)) {
			log_debug(DBCLASS_AUTH, "auth user %.64s: qop=auth without valid nc/cnonce", user);
			return AUTH_MALFORMED;
		}
	} else if (c->algorithm && strcasecmp(c->algorithm, "MD5-sess") == 0 && !c->cnonce) {
		log_debug(DBCLASS_AUTH, "auth user %.64s: MD5-sess without cnonce", user);
		return AUTH_MALFORMED;
	}
	if (strlen(c->response) != 32) {
		log_debug(DBCLASS_AUTH, "auth user %.64s: response is not 32 hex digits", user);
		return AUTH_MALFORMED;
	}
	/* RFC 2617 §3.2.2.5: a digest-uri naming another resource is a bad request. */
	if (!uri_matches(req, c->uri)) {
		log_debug(DBCLASS_AUTH, "auth user %.64s: digest uri differs from the Request-URI", user);
		return AUTH_MALFORMED;
	}
	return AUTH_OK;
}

static enum auth_result verify(struct digest_auth *a, const struct creds *c, const osip_message_t *req,
			       int64_t now)
{
	uint32_t nc = 0;
	enum auth_result r = check_params(c, req, &nc);

	if (r != AUTH_OK)
		return r;
	const char *pass = password_of(a, c->username);
	if (!pass) {
		log_debug(DBCLASS_AUTH, "auth user %.64s: unknown user", c->username);
		return AUTH_BAD_CREDENTIALS;
	}
	if (!req->sip_method)
		return AUTH_MALFORMED;

	struct auth_digest_input in = {
		.username = c->username, .realm = a->realm, .password = pass, .algorithm = c->algorithm,
		.nonce = c->nonce, .nc = c->nc, .cnonce = c->cnonce, .qop = c->qop,
		.method = req->sip_method, .uri = c->uri,
	};
	char expect[33], got[33];
	auth_digest_compute(&in, expect);
	for (size_t i = 0; i < sizeof(got); i++)   /* hex digits may come in either case */
		got[i] = (char)tolower((unsigned char)c->response[i]);
	bool digest_ok = ct_equal(expect, got, 32);
	explicit_bzero(expect, sizeof(expect));
	if (!digest_ok) {
		log_debug(DBCLASS_AUTH, "auth user %.64s: wrong digest (password or method)", c->username);
		return AUTH_BAD_CREDENTIALS;
	}

	/*
	 * The digest is checked before the nonce so that the answer to a nonce we cannot vouch for
	 * depends on the password: a nonce with a wrong HMAC (issued before a restart, whose secret
	 * is gone) with the right password gets a fresh challenge with stale=true and the phone
	 * retries without asking its user; with a wrong password it is a plain failure.
	 */
	int64_t stamp;
	uint64_t serial;
	if (!nonce_verify(a, c->nonce, &stamp, &serial)) {
		log_debug(DBCLASS_AUTH, "auth user %.64s: nonce not issued by this process, challenging again",
			  c->username);
		return AUTH_STALE;
	}
	if (stamp > now + AUTH_CLOCK_SKEW || now - stamp > a->nonce_ttl) {
		log_debug(DBCLASS_AUTH, "auth user %.64s: nonce expired", c->username);
		return AUTH_STALE;
	}
	if (c->qop) {
		struct nc_slot *s = nc_find(&a->nc, c->nonce);
		if (s && s->nc >= nc) {
			log_debug(DBCLASS_AUTH, "auth user %.64s: nonce-count %08" PRIx32 " replayed (last %08" PRIx32 ")",
				  c->username, nc, s->nc);
			return AUTH_BAD_CREDENTIALS;
		}
		/*
		 * Not in the table and issued no later than a nonce whose count was forgotten: it may
		 * be one of those, and accepting it would accept a replay. Serials only grow, so
		 * nonces issued after the eviction are unaffected.
		 */
		if (!s && a->nc.evicted && serial <= a->nc.forgotten_serial) {
			log_debug(DBCLASS_AUTH, "auth user %.64s: nonce-count no longer remembered, challenging again",
				  c->username);
			return AUTH_STALE;
		}
		if (!s)
			s = nc_insert(&a->nc, c->nonce, serial);
		s->nc = nc;
	}
	log_debug(DBCLASS_AUTH, "auth user %.64s: authenticated", c->username);
	return AUTH_OK;
}

enum auth_result auth_check(struct digest_auth *a, const osip_message_t *req, int64_t now)
{
	bool malformed;
	osip_authorization_t *h = find_ours(a, req, &malformed);

	if (!h) {
		if (malformed)
			log_debug(DBCLASS_AUTH, "auth: Digest Proxy-Authorization without realm");
		return malformed ? AUTH_MALFORMED : AUTH_MISSING;
	}
	struct creds c = { 0 };
	creds_fill(&c, h);
	enum auth_result r = verify(a, &c, req, now);
	creds_free(&c);
	return r;
}
