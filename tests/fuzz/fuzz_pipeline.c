/* libFuzzer target over the whole SIP message path: bytes in, sip_pipeline_input(), every message sent checked. */
#include "build_config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <osipparser2/osip_message.h>
#include <osipparser2/osip_parser.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#include "config.h"
#include "digest_auth.h"
#include "log.h"
#include "registrar.h"
#include "sip_pipeline.h"

/*
 * Input layout: byte 0 picks the sender (byte % 3: LAN phone, WAN peer, 127.0.0.1) and the
 * transport ((byte / 3) % 2: UDP, TCP); the rest is the message as the transport delivers it.
 * The state (registrar, authentication, pipeline) is built afresh for every input so that a
 * crash reproduces from its input alone and the leak checker sees every allocation freed.
 */

#define FUZZ_NOW 1800000000     /* fixed wall clock: expiry and nonce ages never depend on the run */
#define FUZZ_MAX_REG 16

static struct config fuzz_cfg;
static bool fuzz_cfg_ok;
static struct in_addr addr_inbound, addr_outbound;

/* The input holds "10.77." somewhere (then only the parts the daemon owns are checked). */
static bool input_has_lan;
/*
 * A WAN peer may write "10.77." itself and get it echoed back in an error response; that is its
 * own text, not a leak. Everything that a LAN phone or the daemon wrote is checked.
 */
static bool wan_wrote_lan;
/*
 * The addresses no header toward the WAN may name: our inbound address, and the sender's own when
 * it is a phone or localhost (a WAN peer's address is public, and its text is echoed in errors).
 */
static char sender_ip[INET_ADDRSTRLEN];
static const char *hidden_addrs[2];
static size_t n_hidden;

static const char fuzz_conf[] =
	"if_inbound = lan0\n"
	"if_outbound = wan0\n"
	"sip_listen_port = 5060\n"
	"silence_log = 4\n"
	"default_expires = 600\n"
	"max_registrations = 16\n"
	"proxy_auth_realm = fuzz.realm\n"
	"proxy_auth_passwd = secret\n"
	"hosts_allow_reg = 10.77.1.0/24\n"
	"hosts_allow_sip = 10.77.1.0/24,198.51.100.0/24,127.0.0.1/32\n";

static int64_t fuzz_now(void *ud)
{
	(void)ud;
	return FUZZ_NOW;
}

/* Deterministic "random" bytes (tags, branches): a per-input xorshift. */
static void fuzz_random(void *ud, void *buf, size_t len)
{
	uint64_t *s = ud;
	unsigned char *b = buf;

	for (size_t i = 0; i < len; i++) {
		*s ^= *s << 13;
		*s ^= *s >> 7;
		*s ^= *s << 17;
		b[i] = (unsigned char)*s;
	}
}

/*
 * The daemon's own secrets (nonce HMAC key, hash-table seeds) come from getrandom(). This
 * definition takes the place of the C library's for the whole program, so that a run with a given
 * libFuzzer seed is the same run on every machine: the same inputs, the same coverage, the same
 * findings. Only this test program has it; the daemon keeps the kernel's random bytes.
 */
static uint64_t fuzz_getrandom_state;

ssize_t getrandom(void *buf, size_t len, unsigned int flags)
{
	(void)flags;
	fuzz_random(&fuzz_getrandom_state, buf, len);
	return (ssize_t)len;
}

static bool mem_has(const char *buf, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(buf + i, needle, n) == 0)
			return true;
	return false;
}

/*
 * The text at s begins inside a %XX escape that osip wrote for a byte URIs may not carry: a
 * phone's byte 0x10 before ".77.1.2" leaves as "%10.77.1.2", a 0xb1 before "0.77.1.1" as
 * "%B10.77.1.1". Read unescaped, as the WAN reads it, neither names an address.
 */
static bool in_escape(const char *start, const char *s)
{
	return (s > start && s[-1] == '%') || (s - start >= 2 && s[-2] == '%' && isxdigit((unsigned char)s[-1]));
}

/* "10.77." outside an escape (see in_escape()). */
static bool mem_has_lan(const char *buf, size_t len)
{
	for (size_t i = 0; i + 6 <= len; i++)
		if (memcmp(buf + i, "10.77.", 6) == 0 && !in_escape(buf, buf + i))
			return true;
	return false;
}

static bool str_has_lan(const char *s)
{
	return s && mem_has_lan(s, strlen(s));
}

/* A host that is a LAN address: the daemon rewrites literal addresses; garbled hosts are the phone's. */
static bool host_is_lan(const char *host)
{
	struct in_addr a;

	return host && inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) & 0xffff0000u) == 0x0a4d0000u;
}

/* An SDP body, alone or as a part of a multipart body: its o= lines are the daemon's to rewrite. */
static bool carries_sdp(const osip_message_t *m)
{
	const osip_content_type_t *ct = m->content_type;

	if (!ct || !ct->type || !ct->subtype)
		return false;
	return strcasecmp(ct->type, "multipart") == 0 ||
	       (strcasecmp(ct->type, "application") == 0 && strcasecmp(ct->subtype, "sdp") == 0);
}

/*
 * Is there exactly one well-formed origin line "o=user id version IN IP4 <LAN address>"? Bodies
 * with garbled or repeated o= lines are not SDP the relay could rewrite; they pass as they are.
 */
static bool sdp_origin_is_lan(const char *body, size_t len)
{
	char line[256], addr[16];
	const char *o = NULL, *nl;
	int count = 0, end = 0, ip4 = 0;
	size_t n;

	for (size_t i = 0; i + 2 < len; i++)
		if (body[i] == '\n' && body[i + 1] == 'o' && body[i + 2] == '=') {
			o = body + i + 1;
			count++;
		}
	if (count != 1)
		return false;
	nl = memchr(o, '\n', len - (size_t)(o - body));
	n = nl ? (size_t)(nl - o) : len - (size_t)(o - body);
	/* A NUL or a bare CR inside the line: garbled, not a line an SDP parser would take whole. */
	if (n >= sizeof(line) || memchr(o, '\0', n) || (n > 1 && memchr(o, '\r', n - 1)))
		return false;
	memcpy(line, o, n);
	line[n] = '\0';
	/*
	 * One SP must follow "IP4", as RFC 4566 writes it: "IP410.77.1.2" or "IP4  10.77.1.2" is
	 * garbled, and sscanf's blank would match none or many.
	 */
	if (sscanf(line, "o=%*s %*s %*s IN IP4%n %15[0-9.]%n", &ip4, addr, &end) != 1 || end == 0 ||
	    line[ip4] != ' ' || line[ip4 + 1] < '0' || line[ip4 + 1] > '9')
		return false;
	return (line[end] == '\0' || line[end] == '\r') && host_is_lan(addr);
}

/*
 * The parts of a message toward the WAN that the daemon owns and must hide the LAN in: every Via,
 * the Contact host that is a LAN address, and the SDP o= lines (c= and a= are the RTP relay's, and
 * there is none here); the Call-ID is callid_naming_lan()'s. The rest, Record-Route entries and
 * display names among it, is the phone's own text and passes unchanged.
 */
static const char *owned_part_naming_lan(osip_message_t *m, const char *buf, size_t len)
{
	const char *body;
	char *s = NULL;

	for (int i = 0; i < osip_list_size(&m->vias); i++) {
		bool hit;

		if (osip_via_to_str(osip_list_get(&m->vias, i), &s) != 0)
			continue;
		hit = str_has_lan(s);
		osip_free(s);
		if (hit)
			return "Via";
	}
	for (int i = 0; i < osip_list_size(&m->contacts); i++) {
		const osip_contact_t *c = osip_list_get(&m->contacts, i);

		if (c->url && host_is_lan(c->url->host))
			return "Contact";
	}
	body = carries_sdp(m) ? memmem(buf, len, "\r\n\r\n", 4) : NULL;
	if (body && sdp_origin_is_lan(body, len - (size_t)(body - buf)))
		return "SDP o=";
	return NULL;
}

/* Whether addr stands at s as a whole token, not inside a longer number or dotted address. */
static bool addr_token_at(const char *line, const char *end, const char *s, size_t n)
{
	bool before = (s > line && (s[-1] == '.' || (s[-1] >= '0' && s[-1] <= '9'))) || in_escape(line, s);
	bool after = s + n < end && ((s[n] >= '0' && s[n] <= '9') ||
				     (s[n] == '.' && s + n + 1 < end && s[n + 1] >= '0' && s[n + 1] <= '9'));

	return !before && !after;
}

/* s lies in the value of the parameter param (";name=") that starts on this line, blanks aside. */
static bool in_param_value(const char *line, const char *s, const char *param)
{
	size_t n = strlen(param);

	for (const char *q = s; q > line; q--) {
		/* osip splits header parameters at ';' only: a ',' or '>' stays in the value. */
		if (*q == ';')
			return false;
		if (q[0] == '=') {
			const char *p = q;
			size_t k = n - 1;

			/* Compare backwards, skipping the blanks osip or the phone put around ';' and '='. */
			while (k > 0 && p > line) {
				p--;
				if (*p == ' ' || *p == '\t')
					continue;
				if (tolower((unsigned char)*p) != tolower((unsigned char)param[k - 1]))
					break;
				k--;
			}
			if (k == 0)
				return true;
		}
	}
	return false;
}

/* The boundary parameter of the message being checked, as osip parsed it (NULL: none). */
static const char *boundary_value;

/*
 * s lies in the value of the boundary parameter: within the text osip parsed as its value, where
 * it stands in the line; without one, after "boundary=" and blanks up to the next ';', or, when the
 * value opens with a quote, up to the closing quote (a ';' inside it is the value's).
 */
static bool in_boundary(const char *line, const char *end, const char *s)
{
	if (boundary_value && *boundary_value) {
		size_t n = strlen(boundary_value);

		for (const char *b = line; b + n <= end && b <= s; b++)
			if (memcmp(b, boundary_value, n) == 0 && s < b + n)
				return true;
		return false;
	}
	for (const char *b = line; b + 9 <= s; b++) {
		const char *v = b + 9, *q;

		if (strncasecmp(b, "boundary=", 9) != 0)
			continue;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		if (v < end && *v == '"') {
			q = memchr(v + 1, '"', (size_t)(end - v - 1));
			if (s > v && (!q || s < q))
				return true;
		} else {
			q = memchr(v, ';', (size_t)(end - v));
			if (s >= v && (!q || s < q))
				return true;
		}
	}
	return false;
}

enum addr_skip { SKIP_NONE, SKIP_TAG, SKIP_BOUNDARY };

/* Whether addr stands in the line as a whole token, outside the part skip names. */
static bool line_has_addr(const char *line, const char *end, const char *addr, enum addr_skip skip)
{
	size_t n = strlen(addr);

	for (const char *s = line; s + n <= end; s++)
		if (memcmp(s, addr, n) == 0 && addr_token_at(line, end, s, n) &&
		    !(skip == SKIP_TAG && in_param_value(line, s, ";tag=")) &&
		    !(skip == SKIP_BOUNDARY && in_boundary(line, end, s)))
			return true;
	return false;
}

/*
 * The Call-ID may not name, as a whole token anywhere in it, our inbound address, the sender's, or
 * a registered phone's (sipcallid_hide() seals it). Another private address passes: it may be a
 * provider's own, in a Call-ID that must cross unchanged.
 */
static const char *callid_naming_lan(const osip_message_t *m)
{
	static const char *const phones[] = { "10.77.1.1", "10.77.1.2", "10.77.1.3" };
	const char *hit = NULL;
	char *s = NULL;

	if (!m->call_id || osip_call_id_to_str(m->call_id, &s) != 0 || !s)
		return NULL;
	for (size_t k = 0; k < 3 && !hit; k++)
		if (line_has_addr(s, s + strlen(s), phones[k], SKIP_NONE))
			hit = "Call-ID";
	for (size_t k = 0; k < n_hidden && !hit; k++)
		if (line_has_addr(s, s + strlen(s), hidden_addrs[k], SKIP_NONE))
			hit = "Call-ID";
	osip_free(s);
	return hit;
}

/* The header name of a line (up to the colon, blanks trimmed) equals name, case aside. */
static bool header_is(const char *line, const char *end, const char *name)
{
	const char *colon = memchr(line, ':', (size_t)(end - line));
	size_t n = strlen(name), len;

	if (!colon)
		return false;
	len = (size_t)(colon - line);
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	return len == n && strncasecmp(line, name, n) == 0;
}

/*
 * Toward the WAN, no header line may name the sender's address or our inbound address as a whole
 * token (siprw_hide_lan_addrs() and the steps before it). Not checked: the start line; Route and
 * Record-Route, routing data the WAN gave or must get back as it was; a REGISTER's (or its
 * response's) To/From, the address of record the registrar knows, and its Contact, the binding's
 * masquerade URI whose user is the address of record's; the body (SDP c=/m= are the RTP
 * relay's, absent here; o= is checked in owned_part_naming_lan()); the Call-ID, checked as
 * osip parsed it in callid_naming_lan(); a From/To tag, a dialog key like the Call-ID; a multipart
 * boundary, which must match the body's delimiter lines; WWW-/Proxy-Authenticate, whose realm
 * and nonce enter the digest the WAN peer computes and the phone checks. A folded continuation line
 * belongs to the header above it. Returns the offending header line's name, or NULL.
 */
static const char *header_naming_addr(const osip_message_t *m, const char *buf, size_t len,
				      const char *const addrs[], size_t naddrs)
{
	static char name[64];
	bool is_register = m->cseq && m->cseq->method && strcasecmp(m->cseq->method, "REGISTER") == 0;
	const char *end = buf + len, *line = memchr(buf, '\n', len), *head = NULL;

	while (line && ++line < end && *line != '\r' && *line != '\n') {
		const char *nl = memchr(line, '\n', (size_t)(end - line)), *eol = nl ? nl : end, *value;
		bool skip, from_to, contact, ctype;

		if (*line != ' ' && *line != '\t')
			head = line;
		from_to = head && (header_is(head, eol, "To") || header_is(head, eol, "t") ||
				   header_is(head, eol, "From") || header_is(head, eol, "f"));
		ctype = head && (header_is(head, eol, "Content-Type") || header_is(head, eol, "c"));
		contact = head && (header_is(head, eol, "Contact") || header_is(head, eol, "m"));
		skip = !head || header_is(head, eol, "WWW-Authenticate") || header_is(head, eol, "Proxy-Authenticate") || header_is(head, eol, "Route") || header_is(head, eol, "Record-Route") ||
		       header_is(head, eol, "Call-ID") || header_is(head, eol, "i") ||
		       (is_register && (from_to || contact));
		/* Only the value: a header name is a token no address stands in (the daemon keeps unknown
		 * names as the phone wrote them, and a name like "X-10.77.1.1" carries nothing routable). */
		value = line == head ? memchr(line, ':', (size_t)(eol - line)) : line;
		for (size_t k = 0; k < naddrs && !skip && value; k++)
			if (line_has_addr(value, eol, addrs[k],
					  from_to ? SKIP_TAG : ctype ? SKIP_BOUNDARY : SKIP_NONE)) {
				const char *colon = memchr(head, ':', (size_t)(eol - head));
				size_t n = colon ? (size_t)(colon - head) : 0;

				snprintf(name, sizeof(name), "header %.*s naming %s", (int)(n < 40 ? n : 40), head,
					 addrs[k]);
				return name;
			}
		line = nl;
	}
	return NULL;
}

static bool is_lan_or_local(struct in_addr a)
{
	uint32_t h = ntohl(a.s_addr);

	return (h & 0xffff0000u) == 0x0a4d0000u /* 10.77.0.0/16 */ || (h >> 24) == 127;
}

/* The fake transport: what the pipeline sends must be SIP, and what goes to the WAN must not name the LAN. */
static int fuzz_send(void *ud, const struct sip_peer *to, const char *buf, size_t len, sip_sent_fn done,
		     void *done_ud)
{
	osip_message_t *m = NULL;

	(void)ud;
	(void)done;
	(void)done_ud;
	if (osip_message_init(&m) != 0)
		abort();
	if (osip_message_parse(m, buf, len) != 0) {
		fprintf(stderr, "fuzz_pipeline: sent a message osip cannot parse:\n%.*s\n", (int)len, buf);
		abort();
	}
	if (!is_lan_or_local(to->addr.sin_addr) && to->addr.sin_addr.s_addr != addr_outbound.s_addr &&
	    !wan_wrote_lan) {
		const char *part = input_has_lan ? owned_part_naming_lan(m, buf, len)
			: mem_has_lan(buf, len) ? "a message the daemon wrote" : NULL;
		osip_generic_param_t *bp = NULL;

		boundary_value = m->content_type &&
				 osip_generic_param_get_byname(&m->content_type->gen_params, "boundary", &bp) == 0 && bp ?
				 bp->gvalue : NULL;
		if (!part)
			part = callid_naming_lan(m);
		if (!part)
			part = header_naming_addr(m, buf, len, hidden_addrs, n_hidden);

		if (part) {
			fprintf(stderr, "fuzz_pipeline: a LAN address went to the WAN (%s) in %s:\n%.*s\n",
				inet_ntoa(to->addr.sin_addr), part, (int)len, buf);
			abort();
		}
	}
	osip_message_free(m);
	return 0;
}

static void fuzz_quiet_sink(const char *line, size_t len, void *ud)
{
	(void)line;
	(void)len;
	(void)ud;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[] = "/tmp/fuzz_pipeline_conf.XXXXXX";
	int fd = mkstemp(path);

	(void)argc;
	(void)argv;
	log_set_stderr(false);
	log_set_silence(4);
	log_set_sink(fuzz_quiet_sink, NULL);
	if (fd < 0 || write(fd, fuzz_conf, sizeof(fuzz_conf) - 1) != (ssize_t)(sizeof(fuzz_conf) - 1)) {
		perror("fuzz_pipeline: temporary siproxd.conf");
		exit(1);
	}
	close(fd);
	fuzz_cfg_ok = config_load(&fuzz_cfg, path, false) == 0;
	unlink(path);
	if (!fuzz_cfg_ok) {
		fprintf(stderr, "fuzz_pipeline: the built-in siproxd.conf was rejected\n");
		exit(1);
	}
	inet_pton(AF_INET, "10.77.1.1", &addr_inbound);
	inet_pton(AF_INET, "198.51.100.1", &addr_outbound);
	return 0;
}

/* Two phones are registered before every input: alice (UDP) and bob (TCP). */
static void fuzz_bindings(struct registrar *reg)
{
	struct sockaddr_in src = { .sin_family = AF_INET, .sin_port = htons(5060) };

	inet_pton(AF_INET, "10.77.1.2", &src.sin_addr);
	if (!reg_bind(reg, "sip:alice@198.51.100.2", "sip:alice@10.77.1.2:5060", "sip:alice@198.51.100.1:5060",
		      &src, 0, FUZZ_NOW + 600, true))
		abort();
	inet_pton(AF_INET, "10.77.1.3", &src.sin_addr);
	src.sin_port = htons(5070);
	if (!reg_bind(reg, "sip:bob@198.51.100.2", "sip:bob@10.77.1.3:5070;transport=tcp",
		      "sip:bob@198.51.100.1:5060", &src, 1, FUZZ_NOW + 600, true))
		abort();
}

static void fuzz_peer(uint8_t sel, struct sip_peer *from)
{
	static const char *const addrs[3] = { "10.77.1.2", "198.51.100.2", "127.0.0.1" };
	unsigned who = sel % 3;

	memset(from, 0, sizeof(*from));
	from->addr.sin_family = AF_INET;
	from->addr.sin_port = htons(5060);
	inet_pton(AF_INET, addrs[who], &from->addr.sin_addr);
	from->local = who == 0 ? addr_inbound : who == 1 ? addr_outbound : from->addr.sin_addr;
	from->proto = (sel / 3) % 2 ? SIP_PROTO_TCP : SIP_PROTO_UDP;
	from->conn_id = from->proto == SIP_PROTO_TCP ? 1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_pipeline_ctx ctx = { 0 };
	struct sip_peer from;
	struct registrar *reg;
	struct digest_auth *auth;
	struct sip_pipeline *p;
	uint64_t seed = 0x9e3779b97f4a7c15u;

	if (size < 1)
		return 0;
	/* Each input starts from the same secrets, so that it reproduces alone. */
	fuzz_getrandom_state = 0x2545f4914f6cdd1du;
	fuzz_peer(data[0], &from);
	input_has_lan = mem_has((const char *)data + 1, size - 1, "10.77.");
	wan_wrote_lan = data[0] % 3 != 0 && input_has_lan;
	n_hidden = 0;
	hidden_addrs[n_hidden++] = "10.77.1.1";
	if (data[0] % 3 != 1 && inet_ntop(AF_INET, &from.addr.sin_addr, sender_ip, sizeof(sender_ip)))
		hidden_addrs[n_hidden++] = sender_ip;

	reg = reg_create(FUZZ_MAX_REG);
	auth = auth_create(fuzz_cfg.proxy_auth_realm, fuzz_cfg.proxy_auth_passwd, NULL, 300);
	if (!reg || !auth)
		abort();
	reg_set_clock(reg, fuzz_now, NULL);
	fuzz_bindings(reg);

	ctx.cfg = &fuzz_cfg;
	ctx.reg = reg;
	ctx.auth = auth;
	ctx.send = fuzz_send;
	ctx.inbound = addr_inbound;
	ctx.outbound = addr_outbound;
	ctx.public_addr = addr_outbound;
	ctx.random = fuzz_random;
	ctx.random_ud = &seed;
	ctx.now = fuzz_now;
	p = sip_pipeline_create(&ctx);
	if (!p)
		abort();

	sip_pipeline_input(p, (const char *)data + 1, size - 1, &from);

	sip_pipeline_destroy(p);
	auth_destroy(auth);
	reg_destroy(reg);
	return 0;
}
