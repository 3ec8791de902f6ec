/* Golden tests of the SIP pipeline: each tests/golden/<case>.in runs through a fake transport; the bytes sent must equal <case>.out. */
#include "build_config.h"

#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <osipparser2/osip_parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "config.h"
#include "registrar.h"
#include "sip_pipeline.h"
#include "unit_run.h"

#define GOLDEN_DIR TEST_SRCDIR "/golden"
#define GOLDEN_NOW 1000000
#define LAN_ADDR "10.0.0.1"
#define WAN_ADDR "192.0.2.1"

static char **case_names;
static size_t case_count;

/* What the fake transport saw. */
struct capture {
	char *text;
	size_t len, cap;
	const char *problem;         /* first broken invariant */
	char problem_buf[256];
	struct in_addr wan;
};

static void cap_append(struct capture *c, const char *s, size_t n)
{
	if (c->len + n + 1 > c->cap) {
		c->cap = 2 * (c->len + n + 1);
		c->text = realloc(c->text, c->cap);
		ck_assert_ptr_nonnull(c->text);
	}
	memcpy(c->text + c->len, s, n);
	c->len += n;
	c->text[c->len] = '\0';
}

/* Toward the WAN: requests carry exactly one Via (ours), and no LAN address outside SDP c=/m=. */
static void check_wan_invariants(struct capture *c, const char *buf, size_t len)
{
	const char *line = buf, *end = buf + len;
	int vias = 0;
	bool request = strncmp(buf, "SIP/2.0 ", 8) != 0;

	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);

		if (n >= 4 && strncasecmp(line, "Via:", 4) == 0)
			vias++;
		if (memmem(line, n, "10.0.0.", 7) && !(n > 2 && (line[0] == 'c' || line[0] == 'm') && line[1] == '=') &&
		    !c->problem) {
			snprintf(c->problem_buf, sizeof(c->problem_buf), "LAN address toward the WAN: %.*s", (int)n, line);
			c->problem = c->problem_buf;
		}
		line = nl ? nl + 1 : end;
	}
	if (request && vias != 1 && !c->problem) {
		snprintf(c->problem_buf, sizeof(c->problem_buf), "%d Vias in a request toward the WAN", vias);
		c->problem = c->problem_buf;
	}
}

static int fake_send(void *ud, const struct sip_peer *to, const char *buf, size_t len, sip_sent_fn done,
		     void *done_ud)
{
	struct capture *c = ud;
	char head[128], a[INET_ADDRSTRLEN], l[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &to->addr.sin_addr, a, sizeof(a));
	inet_ntop(AF_INET, &to->local, l, sizeof(l));
	snprintf(head, sizeof(head), "%%to %s:%u %s %s\n", a, ntohs(to->addr.sin_port),
		 to->proto == SIP_PROTO_TCP ? "tcp" : "udp", l);
	cap_append(c, head, strlen(head));
	for (size_t i = 0; i < len; i++)
		if (buf[i] != '\r')
			cap_append(c, buf + i, 1);
	if (len == 0 || buf[len - 1] != '\n')
		cap_append(c, "\n", 1);
	if (to->local.s_addr == c->wan.s_addr)
		check_wan_invariants(c, buf, len);
	if (done && memmem(buf, len, "tcp-fail", 8))
		done(done_ud, -1, ECONNREFUSED);   /* the connection this request waited for failed */
	return 0;
}

/* Deterministic "randomness": tags come out the same on every run. */
static void fake_random(void *ud, void *buf, size_t len)
{
	unsigned *counter = ud;

	for (size_t i = 0; i < len; i++)
		((unsigned char *)buf)[i] = (unsigned char)(0xa0 + (*counter)++ % 16);
}

static int64_t fake_now(void *ud)
{
	(void)ud;
	return GOLDEN_NOW;
}

/* Stands in for the RTP relay: marks each message with what the relay would be told. */
static int fake_sdp_rewrite(void *ud, const struct sip_media_msg *m)
{
	char v[256];

	(void)ud;
	/* Dots become dashes: the invariants look for LAN addresses in what goes to the WAN. */
	snprintf(v, sizeof(v), "%s leg=%s call-id=%s", m->from_wan ? "from-wan" : "from-lan", m->leg, m->call_id);
	for (char *c = v; *c; c++)
		if (*c == '.')
			*c = '-';
	osip_message_set_header(m->msg, "X-Test-Media", v);
	return 0;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *s;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	s = calloc(1, (size_t)n + 1);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(fread(s, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return s;
}

static void parse_peer(const char *text, struct sockaddr_in *sa)
{
	char ip[64];
	unsigned port;

	ck_assert_msg(sscanf(text, "%63[^:]:%u", ip, &port) == 2, "bad address %s", text);
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	ck_assert_int_eq(inet_pton(AF_INET, ip, &sa->sin_addr), 1);
}

static void list_add(struct str_list *l, const char *v)
{
	l->v = realloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = strdup(v);
}

static void list_free(struct str_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/* "a.b.c.d/len" into one ACL entry (the test needs no more). */
static void acl_one(struct acl *acl, const char *cidr)
{
	char ip[32];
	unsigned bits;
	struct in_addr a;

	ck_assert(sscanf(cidr, "%31[^/]/%u", ip, &bits) == 2 && inet_pton(AF_INET, ip, &a) == 1);
	acl->entries = realloc(acl->entries, (acl->n + 1) * sizeof(*acl->entries));
	acl->entries[acl->n].mask = bits ? 0xffffffffu << (32 - bits) : 0;
	acl->entries[acl->n].net = ntohl(a.s_addr) & acl->entries[acl->n].mask;
	acl->n++;
}

/* A message between directives: LF lines become CRLF; "Content-Length: auto" gets the body length. */
static size_t build_message(const char *text, size_t n, char *out, size_t size)
{
	const char *body;
	size_t len = 0, body_len = 0;
	char *cl;

	while (n > 0 && text[n - 1] == '\n')
		n--;
	for (size_t i = 0; i < n; i++) {
		if (text[i] == '\n')
			out[len++] = '\r';
		out[len++] = text[i];
		ck_assert(len + 8 < size);
	}
	out[len] = '\0';
	body = strstr(out, "\r\n\r\n");
	if (body) {
		memcpy(out + len, "\r\n", 3);
		len += 2;
		body_len = len - (size_t)(body + 4 - out);
	} else {
		memcpy(out + len, "\r\n\r\n", 5);
		len += 4;
	}
	cl = strstr(out, "Content-Length: auto");
	if (cl) {
		char num[16], *rest = cl + strlen("Content-Length: auto");
		int k = snprintf(num, sizeof(num), "%zu", body_len);

		memmove(cl + 16 + k, rest, strlen(rest) + 1);
		memcpy(cl + 16, num, (size_t)k);
		len = strlen(out);
	}
	return len;
}

/* A message runs up to the next line that starts with % or #. */
static size_t message_extent(const char *s)
{
	const char *line = s;

	while (*line && *line != '%' && *line != '#') {
		const char *nl = strchr(line, '\n');

		line = nl ? nl + 1 : line + strlen(line);
	}
	return (size_t)(line - s);
}

struct golden_env {
	struct config cfg;
	struct registrar *reg;
	struct sip_pipeline_ctx ctx;
	struct sip_pipeline *p;
	struct capture cap;
	unsigned counter;
};

static void env_setup(struct golden_env *e)
{
	memset(e, 0, sizeof(*e));
	e->cfg.sip_listen_port = 5060;
	e->cfg.default_expires = 3600;
	e->cfg.max_registrations = 16;
	inet_pton(AF_INET, LAN_ADDR, &e->ctx.inbound);
	inet_pton(AF_INET, WAN_ADDR, &e->ctx.outbound);
	e->ctx.public_addr = e->ctx.outbound;
	e->cap.wan = e->ctx.outbound;
}

static void env_conf(struct golden_env *e, const char *line)
{
	char k[64], v1[128] = "", v2[128] = "", v3[32] = "";
	int n = sscanf(line, "%63s %127s %127s %31s", k, v1, v2, v3);

	ck_assert_msg(n >= 2, "bad %%conf line: %s", line);
	if (strcmp(k, "ua_string") == 0)
		e->cfg.ua_string = strdup(strchr(line, ' ') + 1);
	else if (strcmp(k, "use_rport") == 0)
		e->cfg.use_rport = atoi(v1);
	else if (strcmp(k, "obscure_loops") == 0)
		e->cfg.obscure_loops = atoi(v1);
	else if (strcmp(k, "max_registrations") == 0)
		e->cfg.max_registrations = atoi(v1);
	else if (strcmp(k, "outbound_proxy") == 0) {
		e->cfg.outbound_proxy_host = strdup(v1);
		e->cfg.outbound_proxy_port = atoi(v2);
	} else if (strcmp(k, "outbound_domain") == 0) {
		list_add(&e->cfg.outbound_domain_name, v1);
		list_add(&e->cfg.outbound_domain_host, v2);
		e->cfg.outbound_domain_port = realloc(e->cfg.outbound_domain_port,
						      e->cfg.outbound_domain_name.n * sizeof(int));
		e->cfg.outbound_domain_port[e->cfg.outbound_domain_name.n - 1] = atoi(v3);
	} else if (strcmp(k, "host_outbound") == 0) {
		e->cfg.host_outbound = strdup(v1);
		ck_assert_int_eq(inet_pton(AF_INET, v1, &e->ctx.public_addr), 1);
	} else if (strcmp(k, "mask_host") == 0) {
		list_add(&e->cfg.mask_host, v1);
		list_add(&e->cfg.masked_host, v2);
	} else if (strcmp(k, "sdp_hook") == 0)
		e->ctx.sdp_rewrite = fake_sdp_rewrite;
	else if (strcmp(k, "hosts_deny_sip") == 0)
		acl_one(&e->cfg.acls.deny_sip, v1);
	else if (strcmp(k, "hosts_allow_reg") == 0)
		acl_one(&e->cfg.acls.allow_reg, v1);
	else
		ck_abort_msg("unknown %%conf key %s", k);
}

static void env_start(struct golden_env *e)
{
	if (e->p)
		return;
	e->reg = reg_create((size_t)e->cfg.max_registrations);
	reg_set_clock(e->reg, fake_now, NULL);
	e->ctx.cfg = &e->cfg;
	e->ctx.reg = e->reg;
	e->ctx.send = fake_send;
	e->ctx.send_ud = &e->cap;
	e->ctx.random = fake_random;
	e->ctx.random_ud = &e->counter;
	e->ctx.now = fake_now;
	e->p = sip_pipeline_create(&e->ctx);
	ck_assert_ptr_nonnull(e->p);
}

/* %bind aor true_url masq_url ip:port udp|tcp confirmed lifetime */
static void env_bind(struct golden_env *e, const char *line)
{
	char aor[256], t[256], m[256], src[64], proto[8];
	int confirmed, life;
	struct sockaddr_in sa;

	env_start(e);
	ck_assert(sscanf(line, "%255s %255s %255s %63s %7s %d %d", aor, t, m, src, proto, &confirmed, &life) == 7);
	parse_peer(src, &sa);
	ck_assert_ptr_nonnull(reg_bind(e->reg, aor, t, m, &sa, strcmp(proto, "tcp") == 0, GOLDEN_NOW + life,
				       confirmed != 0));
}

static void env_free(struct golden_env *e)
{
	sip_pipeline_destroy(e->p);
	reg_destroy(e->reg);
	free(e->cfg.ua_string);
	free(e->cfg.outbound_proxy_host);
	free(e->cfg.host_outbound);
	free(e->cfg.outbound_domain_port);
	list_free(&e->cfg.outbound_domain_name);
	list_free(&e->cfg.outbound_domain_host);
	list_free(&e->cfg.mask_host);
	list_free(&e->cfg.masked_host);
	free(e->cfg.acls.deny_sip.entries);
	free(e->cfg.acls.allow_reg.entries);
	free(e->cap.text);
}

/* Runs one case; returns what was sent. */
static void golden_run(struct golden_env *e, const char *in)
{
	const char *s = in;
	static char msg[65536];

	env_setup(e);
	while (*s) {
		const char *eol = strchr(s, '\n');
		size_t n = eol ? (size_t)(eol - s) : strlen(s);
		char line[512];

		ck_assert(n < sizeof(line));
		memcpy(line, s, n);
		line[n] = '\0';
		s = eol ? eol + 1 : s + n;
		if (line[0] == '#' || line[0] == '\0')
			continue;
		ck_assert_msg(line[0] == '%', "text outside a message: %s", line);
		if (strncmp(line, "%conf ", 6) == 0) {
			env_conf(e, line + 6);
		} else if (strncmp(line, "%bind ", 6) == 0) {
			env_bind(e, line + 6);
		} else if (strncmp(line, "%public ", 8) == 0) {
			struct in_addr a;

			env_start(e);
			ck_assert_int_eq(inet_pton(AF_INET, line + 8, &a), 1);
			sip_pipeline_set_addrs(e->p, e->ctx.inbound, e->ctx.outbound, a);
		} else if (strncmp(line, "%outbound ", 10) == 0) {
			struct in_addr a;

			env_start(e);
			ck_assert_int_eq(inet_pton(AF_INET, line + 10, &a), 1);
			sip_pipeline_set_addrs(e->p, e->ctx.inbound, a, a);
		} else if (strncmp(line, "%from ", 6) == 0) {
			char src[64], proto[8], local[32];
			struct sip_peer from = { 0 };
			size_t text_len = message_extent(s), len;

			ck_assert(sscanf(line + 6, "%63s %7s %31s", src, proto, local) == 3);
			parse_peer(src, &from.addr);
			from.proto = strcmp(proto, "tcp") == 0 ? SIP_PROTO_TCP : SIP_PROTO_UDP;
			ck_assert_int_eq(inet_pton(AF_INET, local, &from.local), 1);
			len = build_message(s, text_len, msg, sizeof(msg));
			s += text_len;
			env_start(e);
			sip_pipeline_input(e->p, msg, len, &from);
		} else {
			ck_abort_msg("unknown directive %s", line);
		}
	}
}

START_TEST(test_golden_case)
{
	const char *name = case_names[_i];
	char path[512];
	struct golden_env e;
	char *in, *want;

	snprintf(path, sizeof(path), "%s/%s.in", GOLDEN_DIR, name);
	in = read_file(path);
	ck_assert_msg(in != NULL, "cannot read %s", path);
	golden_run(&e, in);
	snprintf(path, sizeof(path), "%s/%s.out", GOLDEN_DIR, name);
	if (getenv("GOLDEN_UPDATE")) {
		FILE *f = fopen(path, "w");

		ck_assert_ptr_nonnull(f);
		fputs(e.cap.text ? e.cap.text : "", f);
		fclose(f);
	}
	want = read_file(path);
	ck_assert_msg(want != NULL, "cannot read %s", path);
	ck_assert_msg(strcmp(want, e.cap.text ? e.cap.text : "") == 0, "%s: sent\n%s\nexpected\n%s", name,
		      e.cap.text ? e.cap.text : "(nothing)", want);
	ck_assert_msg(e.cap.problem == NULL, "%s: %s", name, e.cap.problem);
	free(in);
	free(want);
	env_free(&e);
}
END_TEST

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_case_names(void)
{
	DIR *d = opendir(GOLDEN_DIR);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n > 3 && strcmp(de->d_name + n - 3, ".in") == 0) {
			case_names = realloc(case_names, (case_count + 1) * sizeof(*case_names));
			case_names[case_count++] = strndup(de->d_name, n - 3);
		}
	}
	closedir(d);
	qsort(case_names, case_count, sizeof(*case_names), name_cmp);
}

int main(void)
{
	Suite *s = suite_create("sip_golden");
	TCase *tc = tcase_create("golden");
	load_case_names();
	if (case_count == 0) {
		fprintf(stderr, "no golden cases in %s\n", GOLDEN_DIR);
		return 1;
	}
	tcase_add_loop_test(tc, test_golden_case, 0, (int)case_count);
	suite_add_tcase(s, tc);
	int rc = unit_run(s);
	for (size_t i = 0; i < case_count; i++)
		free(case_names[i]);
	free(case_names);
	return rc;
}
