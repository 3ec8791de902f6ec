/* Unit tests of the registration table: keys, lookups, confirmation, expiry, limits and the file. */
#include "build_config.h"

#include "registrar.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "unit_run.h"

static int64_t fake_now;

static int64_t fake_clock(void *ud)
{
	(void)ud;
	return fake_now;
}

static struct registrar *new_reg(size_t max)
{
	struct registrar *reg = reg_create(max);
	ck_assert_ptr_nonnull(reg);
	fake_now = 1000;
	reg_set_clock(reg, fake_clock, NULL);
	return reg;
}

static struct sockaddr_in src(const char *ip, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	ck_assert_int_eq(inet_pton(AF_INET, ip, &a.sin_addr), 1);
	return a;
}

static struct in_addr ip(const char *s)
{
	struct in_addr a;
	ck_assert_int_eq(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static struct reg_binding *bind_ok(struct registrar *reg, const char *aor, const char *contact,
				   const char *masq, const char *from, int64_t expires, bool confirmed)
{
	struct sockaddr_in s = src(from, 5060);
	struct reg_binding *b = reg_bind(reg, aor, contact, masq, &s, 0, expires, confirmed);
	ck_assert_msg(b != NULL, "reg_bind(%s, %s): %s", aor, contact, strerror(errno));
	return b;
}

static size_t routable(struct registrar *reg, const char *aor, int64_t now)
{
	struct reg_binding *out[8];
	return reg_find_aor_routable(reg, aor, now, out, 8);
}

START_TEST(test_find_by_every_key)
{
	struct registrar *reg = new_reg(10);
	struct reg_binding *b = bind_ok(reg, "sip:alice@example.com", "sip:alice@192.168.1.10:5062",
					"sip:alice@203.0.113.1:5060", "192.168.1.10", 4600, true);
	struct reg_binding *out[4];

	ck_assert_str_eq(b->aor, "sip:alice@example.com");
	ck_assert_str_eq(b->true_url, "sip:alice@192.168.1.10:5062");
	ck_assert_str_eq(b->masq_url, "sip:alice@203.0.113.1:5060");
	ck_assert_int_eq(b->expires, 4600);
	ck_assert(b->confirmed);
	ck_assert_int_eq(ntohs(b->source.sin_port), 5060);

	ck_assert_uint_eq(reg_find_aor_routable(reg, "sip:alice@example.com", 2000, out, 4), 1);
	ck_assert_ptr_eq(out[0], b);
	ck_assert_uint_eq(reg_find_user_routable(reg, "alice", 2000, out, 4), 1);
	ck_assert_ptr_eq(out[0], b);
	ck_assert_ptr_eq(reg_find_masq(reg, "sip:alice@203.0.113.1"), b);
	ck_assert_ptr_eq(reg_find_contact(reg, "sip:alice@192.168.1.10:5062;transport=udp"), b);
	ck_assert_ptr_eq(reg_find_source(reg, ip("192.168.1.10")), b);

	/* and nothing else */
	ck_assert_uint_eq(reg_find_aor_routable(reg, "sip:bob@example.com", 2000, out, 4), 0);
	ck_assert_uint_eq(reg_find_user_routable(reg, "bob", 2000, out, 4), 0);
	ck_assert_uint_eq(reg_find_user_routable(reg, "", 2000, out, 4), 0);
	ck_assert_ptr_null(reg_find_masq(reg, "sip:alice@203.0.113.2"));
	ck_assert_ptr_null(reg_find_contact(reg, "sip:alice@192.168.1.10"));   /* port 5060 */
	ck_assert_ptr_null(reg_find_source(reg, ip("192.168.1.11")));
	ck_assert_ptr_null(reg_find_source(reg, ip("0.0.0.0")));
	ck_assert_uint_eq(reg_count(reg), 1);
	reg_destroy(reg);
}
END_TEST

START_TEST(test_several_contacts_per_aor)
{
	struct registrar *reg = new_reg(10);
	struct reg_binding *desk = bind_ok(reg, "sip:100@pbx.example", "sip:100@10.0.0.2", "sip:100@wan:5060",
					   "10.0.0.2", 4600, true);
	struct reg_binding *soft = bind_ok(reg, "sip:100@pbx.example", "sip:100@10.0.0.3:5080", "sip:100@wan:5061",
					   "10.0.0.3", 4600, true);
	struct reg_binding *out[4];

	ck_assert_ptr_ne(desk, soft);
	ck_assert_uint_eq(reg_count(reg), 2);
	ck_assert_uint_eq(reg_find_aor_routable(reg, "sip:100@pbx.example", 2000, out, 4), 2);
	ck_assert_ptr_eq(out[0], soft);     /* most recent first */
	ck_assert_ptr_eq(out[1], desk);
	ck_assert_uint_eq(reg_find_aor_routable(reg, "sip:100@pbx.example", 2000, out, 1), 1);
	ck_assert_uint_eq(reg_find_user_routable(reg, "100", 2000, out, 4), 2);
	/* re-registering the desk phone brings it to the front again */
	bind_ok(reg, "sip:100@pbx.example", "sip:100@10.0.0.2", "sip:100@wan:5060", "10.0.0.2", 4700, true);
	ck_assert_uint_eq(reg_find_aor_routable(reg, "sip:100@pbx.example", 2000, out, 4), 2);
	ck_assert_ptr_eq(out[0], desk);
	reg_destroy(reg);
}
END_TEST

START_TEST(test_one_phone_several_aors)
{
	struct registrar *reg = new_reg(10);
	struct reg_binding *l1 = bind_ok(reg, "sip:line1@prov.example", "sip:fritz@192.168.1.1", "sip:line1@wan",
					 "192.168.1.1", 4600, true);
	struct reg_binding *l2 = bind_ok(reg, "sip:line2@other.example", "sip:fritz@192.168.1.1", "sip:line2@wan",
					 "192.168.1.1", 4600, true);
	struct reg_binding *out[4];

	ck_assert_ptr_ne(l1, l2);
	ck_assert_uint_eq(reg_count(reg), 2);
	ck_assert_ptr_eq(reg_find_contact(reg, "sip:fritz@192.168.1.1"), l2);
	ck_assert_ptr_eq(reg_find_masq(reg, "sip:line1@wan"), l1);
	ck_assert_ptr_eq(reg_find_masq(reg, "sip:line2@wan"), l2);
	ck_assert_uint_eq(reg_find_aor_routable(reg, "sip:line1@prov.example", 2000, out, 4), 1);
	ck_assert_ptr_eq(out[0], l1);
	reg_unbind(reg, "sip:line2@other.example", "sip:fritz@192.168.1.1");
	ck_assert_uint_eq(reg_count(reg), 1);
	ck_assert_ptr_eq(reg_find_contact(reg, "sip:fritz@192.168.1.1"), l1);
	ck_assert_ptr_eq(reg_find_source(reg, ip("192.168.1.1")), l1);
	ck_assert_ptr_null(reg_find_masq(reg, "sip:line2@wan"));
	reg_destroy(reg);
}
END_TEST

START_TEST(test_reregister_refreshes)
{
	struct registrar *reg = new_reg(10);
	struct reg_binding *b = bind_ok(reg, "sip:alice@example.com", "sip:alice@10.0.0.2", "sip:alice@wan",
					"10.0.0.2", 4600, true);
	/* same AoR and contact keys, spelled differently: host case, default port, params */
	struct reg_binding *again = bind_ok(reg, "sip:alice@EXAMPLE.com;user=phone", "sip:alice@10.0.0.2:5060;line=abc",
					    "sip:alice@wan:5070", "10.0.0.9", 8000, true);

	ck_assert_ptr_eq(again, b);
	ck_assert_uint_eq(reg_count(reg), 1);
	ck_assert_int_eq(b->expires, 8000);
	ck_assert_str_eq(b->true_url, "sip:alice@10.0.0.2:5060;line=abc");
	ck_assert_str_eq(b->aor, "sip:alice@EXAMPLE.com;user=phone");
	/* the masq and source indexes follow the new values */
	ck_assert_ptr_null(reg_find_masq(reg, "sip:alice@wan"));
	ck_assert_ptr_eq(reg_find_masq(reg, "sip:alice@wan:5070"), b);
	ck_assert_ptr_null(reg_find_source(reg, ip("10.0.0.2")));
	ck_assert_ptr_eq(reg_find_source(reg, ip("10.0.0.9")), b);
	reg_destroy(reg);
}
END_TEST

START_TEST(test_pending_until_confirmed)
{
	struct registrar *reg = new_reg(10);
	struct reg_binding *b = bind_ok(reg, "sip:bob@prov.example", "sip:bob@10.0.0.5", "sip:bob@203.0.113.1",
					"10.0.0.5", 4600, false);

	ck_assert(!b->confirmed);
	ck_assert_uint_eq(routable(reg, "sip:bob@prov.example", 1000), 0);
	struct reg_binding *out[2];
	ck_assert_uint_eq(reg_find_user_routable(reg, "bob", 1000, out, 2), 0);
	/* the 2xx and the phone's next requests still find it */
	ck_assert_ptr_eq(reg_find_masq(reg, "sip:bob@203.0.113.1"), b);
	ck_assert_ptr_eq(reg_find_source(reg, ip("10.0.0.5")), b);

	/* a 2xx for another AoR or another contact confirms nothing */
	ck_assert_ptr_null(reg_confirm(reg, "sip:carol@prov.example", "sip:bob@203.0.113.1", 600));
	ck_assert_ptr_null(reg_confirm(reg, "sip:bob@prov.example", "sip:bob@203.0.113.2", 600));
	ck_assert(!b->confirmed);

	fake_now = 1010;
	ck_assert_ptr_eq(reg_confirm(reg, "sip:bob@PROV.example", "sip:bob@203.0.113.1:5060;x=y", 600), b);
	ck_assert(b->confirmed);
	ck_assert_int_eq(b->expires, 1610);       /* the registrar's lifetime, not the phone's wish */
	ck_assert_uint_eq(routable(reg, "sip:bob@prov.example", 1609), 1);
	ck_assert_uint_eq(routable(reg, "sip:bob@prov.example", 1610), 0);

	/* a pending refresh of a confirmed binding keeps it routable with its lifetime */
	fake_now = 1500;
	bind_ok(reg, "sip:bob@prov.example", "sip:bob@10.0.0.5", "sip:bob@203.0.113.1", "10.0.0.5", 5100, false);
	ck_assert(b->confirmed);
	ck_assert_int_eq(b->expires, 1610);
	ck_assert_uint_eq(reg_expire(reg, 1600), 0);   /* no 32 s rule for a confirmed binding */
	ck_assert_ptr_eq(reg_confirm(reg, "sip:bob@prov.example", "sip:bob@203.0.113.1", 3600), b);
	ck_assert_int_eq(b->expires, 5100);

	/* two phones of one AoR behind one masq URI: the registrar's answer is for both */
	struct reg_binding *b2 = bind_ok(reg, "sip:bob@prov.example", "sip:bob@10.0.0.6", "sip:bob@203.0.113.1",
					 "10.0.0.6", 5100, false);
	ck_assert_ptr_eq(reg_confirm(reg, "sip:bob@prov.example", "sip:bob@203.0.113.1", 1800), b2);
	ck_assert(b2->confirmed);
	ck_assert_int_eq(b2->expires, 3300);
	ck_assert_int_eq(b->expires, 3300);
	ck_assert_uint_eq(routable(reg, "sip:bob@prov.example", 3000), 2);

	/* lifetime 0 in the 2xx removes them */
	ck_assert_ptr_null(reg_confirm(reg, "sip:bob@prov.example", "sip:bob@203.0.113.1", 0));
	ck_assert_uint_eq(reg_count(reg), 0);
	ck_assert_ptr_null(reg_find_masq(reg, "sip:bob@203.0.113.1"));
	reg_destroy(reg);
}
END_TEST

START_TEST(test_reject_pending_only)
{
	struct registrar *reg = new_reg(10);
	struct reg_binding *old = bind_ok(reg, "sip:bob@prov.example", "sip:bob@10.0.0.5", "sip:bob@wan",
					  "10.0.0.5", 4600, true);
	bind_ok(reg, "sip:bob@prov.example", "sip:bob@10.0.0.6", "sip:bob@wan:5062", "10.0.0.6", 4600, false);
	bind_ok(reg, "sip:eve@prov.example", "sip:eve@10.0.0.7", "sip:eve@wan", "10.0.0.7", 4600, false);
	/* the confirmed one asks again: still counts as confirmed */
	bind_ok(reg, "sip:bob@prov.example", "sip:bob@10.0.0.5", "sip:bob@wan", "10.0.0.5", 4600, false);

	reg_reject_pending(reg, "sip:bob@prov.example");
	ck_assert_uint_eq(reg_count(reg), 2);
	ck_assert_ptr_eq(reg_find_contact(reg, "sip:bob@10.0.0.5"), old);
	ck_assert_ptr_null(reg_find_contact(reg, "sip:bob@10.0.0.6"));
	ck_assert_ptr_nonnull(reg_find_contact(reg, "sip:eve@10.0.0.7"));   /* another AoR */
	reg_reject_pending(reg, "sip:nobody@prov.example");
	reg_reject_pending(reg, "not a uri");
	ck_assert_uint_eq(reg_count(reg), 2);
	reg_destroy(reg);
}
END_TEST

/* One phone's REGISTER refused: the other phones of the AoR keep their pending bindings. */
START_TEST(test_reject_pending_of_one_source)
{
	struct registrar *reg = new_reg(10);
	struct sockaddr_in six = src("10.0.0.6", 5060), other_port = src("10.0.0.7", 5062);

	bind_ok(reg, "sip:bob@prov.example", "sip:bob@10.0.0.6", "sip:bob@wan:5062", "10.0.0.6", 4600, false);
	bind_ok(reg, "sip:bob@prov.example", "sip:bob@10.0.0.7", "sip:bob@wan:5063", "10.0.0.7", 4600, false);
	bind_ok(reg, "sip:eve@prov.example", "sip:eve@10.0.0.6", "sip:eve@wan", "10.0.0.6", 4600, false);

	reg_reject_pending_source(reg, "sip:bob@prov.example", &six);
	ck_assert_ptr_null(reg_find_contact(reg, "sip:bob@10.0.0.6"));
	ck_assert_ptr_nonnull(reg_find_contact(reg, "sip:bob@10.0.0.7"));
	ck_assert_ptr_nonnull(reg_find_contact(reg, "sip:eve@10.0.0.6"));   /* another AoR */
	/* the same address with another port is another phone */
	reg_reject_pending_source(reg, "sip:bob@prov.example", &other_port);
	ck_assert_ptr_nonnull(reg_find_contact(reg, "sip:bob@10.0.0.7"));
	reg_reject_pending_source(reg, "sip:bob@prov.example", NULL);
	ck_assert_ptr_null(reg_find_contact(reg, "sip:bob@10.0.0.7"));
	ck_assert_uint_eq(reg_count(reg), 1);
	reg_destroy(reg);
}
END_TEST

START_TEST(test_unbind)
{
	struct registrar *reg = new_reg(10);
	bind_ok(reg, "sip:a@x", "sip:a@10.0.0.1", "sip:a@wan", "10.0.0.1", 4600, true);
	bind_ok(reg, "sip:a@x", "sip:a@10.0.0.2", "sip:a@wan:5062", "10.0.0.2", 4600, true);
	bind_ok(reg, "sip:a@x", "sip:a@10.0.0.3", "sip:a@wan:5063", "10.0.0.3", 4600, false);
	struct reg_binding *b = bind_ok(reg, "sip:b@x", "sip:b@10.0.0.4", "sip:b@wan", "10.0.0.4", 4600, true);

	reg_unbind(reg, "sip:a@x", "sip:a@10.0.0.1:5060");
	ck_assert_uint_eq(reg_count(reg), 3);
	ck_assert_ptr_null(reg_find_contact(reg, "sip:a@10.0.0.1"));
	ck_assert_ptr_null(reg_find_source(reg, ip("10.0.0.1")));
	reg_unbind(reg, "sip:a@x", "sip:a@10.0.0.9");          /* unknown: no effect */
	reg_unbind(reg, "sip:b@x", "sip:a@10.0.0.2");          /* wrong AoR: no effect */
	ck_assert_uint_eq(reg_count(reg), 3);
	reg_unbind_all(reg, "sip:a@X");
	ck_assert_uint_eq(reg_count(reg), 1);
	ck_assert_uint_eq(routable(reg, "sip:a@x", 2000), 0);
	ck_assert_ptr_null(reg_find_masq(reg, "sip:a@wan:5062"));
	struct reg_binding *out[2];
	ck_assert_uint_eq(reg_find_user_routable(reg, "a", 2000, out, 2), 0);
	ck_assert_ptr_eq(reg_find_source(reg, ip("10.0.0.4")), b);
	reg_destroy(reg);
}
END_TEST

START_TEST(test_expiry_grace_and_pending)
{
	struct registrar *reg = new_reg(10);
	fake_now = 1000;
	bind_ok(reg, "sip:c@x", "sip:c@10.0.0.1", "sip:c@wan", "10.0.0.1", 1100, true);
	bind_ok(reg, "sip:p@x", "sip:p@10.0.0.2", "sip:p@wan", "10.0.0.2", 4600, false);
	bind_ok(reg, "sip:q@x", "sip:q@10.0.0.3", "sip:q@wan", "10.0.0.3", 4600, false);
	fake_now = 1020;      /* q's phone retries, e.g. with credentials: its wait starts again */
	bind_ok(reg, "sip:q@x", "sip:q@10.0.0.3", "sip:q@wan", "10.0.0.3", 4620, false);

	ck_assert_uint_eq(reg_expire(reg, 1032), 0);
	ck_assert_uint_eq(reg_expire(reg, 1033), 1);          /* p: registrar never answered */
	ck_assert_ptr_null(reg_find_contact(reg, "sip:p@10.0.0.2"));
	ck_assert_uint_eq(reg_expire(reg, 1052), 0);
	ck_assert_uint_eq(reg_expire(reg, 1053), 1);          /* q, 32 s after its retry */

	ck_assert_uint_eq(routable(reg, "sip:c@x", 1099), 1);
	ck_assert_uint_eq(routable(reg, "sip:c@x", 1100), 0);  /* expired: not routable ... */
	ck_assert_uint_eq(reg_expire(reg, 1105), 0);           /* ... but kept for the grace */
	ck_assert_ptr_nonnull(reg_find_source(reg, ip("10.0.0.1")));
	ck_assert_uint_eq(reg_expire(reg, 1106), 1);
	ck_assert_uint_eq(reg_count(reg), 0);
	ck_assert_ptr_null(reg_find_source(reg, ip("10.0.0.1")));

	/* a pending binding whose own expires is earlier than 32 s goes with its expires */
	fake_now = 2000;
	bind_ok(reg, "sip:s@x", "sip:s@10.0.0.4", "sip:s@wan", "10.0.0.4", 2010, false);
	ck_assert_uint_eq(reg_expire(reg, 2015), 0);
	ck_assert_uint_eq(reg_expire(reg, 2016), 1);
	/* a far future expires does not overflow the grace */
	bind_ok(reg, "sip:f@x", "sip:f@10.0.0.5", "sip:f@wan", "10.0.0.5", INT64_MAX, true);
	ck_assert_uint_eq(reg_expire(reg, INT64_MAX - 1), 0);
	ck_assert_uint_eq(routable(reg, "sip:f@x", INT64_MAX - 1), 1);
	reg_destroy(reg);
}
END_TEST

START_TEST(test_table_full)
{
	struct registrar *reg = new_reg(2);
	bind_ok(reg, "sip:a@x", "sip:a@10.0.0.1", "sip:a@wan", "10.0.0.1", 4600, true);
	bind_ok(reg, "sip:b@x", "sip:b@10.0.0.2", "sip:b@wan", "10.0.0.2", 4600, false);
	struct sockaddr_in s = src("10.0.0.3", 5060);

	errno = 0;
	ck_assert_ptr_null(reg_bind(reg, "sip:c@x", "sip:c@10.0.0.3", "sip:c@wan", &s, 0, 4600, true));
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_ptr_null(reg_bind(reg, "sip:a@x", "sip:a@10.0.0.3", "sip:a@wan:5062", &s, 0, 4600, true));
	ck_assert_uint_eq(reg_count(reg), 2);
	ck_assert_ptr_null(reg_find_contact(reg, "sip:c@10.0.0.3"));
	ck_assert_ptr_null(reg_find_source(reg, ip("10.0.0.3")));
	/* refreshing and confirming existing bindings still work */
	bind_ok(reg, "sip:a@x", "sip:a@10.0.0.1", "sip:a@wan", "10.0.0.1", 9000, true);
	ck_assert_ptr_nonnull(reg_confirm(reg, "sip:b@x", "sip:b@wan", 600));
	reg_unbind(reg, "sip:a@x", "sip:a@10.0.0.1");
	bind_ok(reg, "sip:c@x", "sip:c@10.0.0.3", "sip:c@wan", "10.0.0.3", 4600, true);
	reg_destroy(reg);

	reg = new_reg(0);
	ck_assert_ptr_null(reg_bind(reg, "sip:c@x", "sip:c@10.0.0.3", "sip:c@wan", &s, 0, 4600, true));
	ck_assert_int_eq(errno, ENOSPC);
	reg_destroy(reg);
}
END_TEST

START_TEST(test_case_rules)
{
	struct registrar *reg = new_reg(10);
	struct reg_binding *b = bind_ok(reg, "sip:Alice@Example.COM:5070;transport=tcp", "sip:Alice@PC.lan:5062",
					"sip:Alice@WAN.example", "10.0.0.1", 4600, true);

	/* AoR: host and scheme without case, port and params ignored */
	ck_assert_uint_eq(routable(reg, "SIP:Alice@example.com", 2000), 1);
	ck_assert_uint_eq(routable(reg, "sip:Alice@EXAMPLE.com:5060", 2000), 1);
	/* ... but the user part exactly */
	ck_assert_uint_eq(routable(reg, "sip:alice@example.com", 2000), 0);
	ck_assert_uint_eq(routable(reg, "sip:ALICE@example.com", 2000), 0);
	struct reg_binding *out[2];
	ck_assert_uint_eq(reg_find_user_routable(reg, "alice", 2000, out, 2), 0);
	ck_assert_uint_eq(reg_find_user_routable(reg, "Alice", 2000, out, 2), 1);
	/* another scheme is another AoR */
	ck_assert_uint_eq(routable(reg, "sips:Alice@example.com", 2000), 0);
	/* contact: host without case, port significant, 5060 when absent */
	ck_assert_ptr_eq(reg_find_contact(reg, "sip:Alice@pc.LAN:5062"), b);
	ck_assert_ptr_null(reg_find_contact(reg, "sip:alice@pc.lan:5062"));
	ck_assert_ptr_null(reg_find_contact(reg, "sip:Alice@pc.lan"));
	ck_assert_ptr_eq(reg_find_masq(reg, "sip:Alice@wan.example:5060"), b);
	ck_assert_ptr_eq(reg_find_masq(reg, "sip:Alice@wan.example:05060"), b);
	ck_assert_ptr_null(reg_find_masq(reg, "sip:Alice@wan.example:5061"));
	/* a different port of the same contact host is a second binding */
	bind_ok(reg, "sip:Alice@example.com", "sip:Alice@pc.lan:5063", "sip:Alice@WAN.example:5061",
		"10.0.0.1", 4600, true);
	ck_assert_uint_eq(reg_count(reg), 2);
	/* IPv6 literal hosts keep their brackets apart from the port */
	struct reg_binding *v6 = bind_ok(reg, "sip:six@example.com", "sip:six@[2001:DB8::1]:5062", "sip:six@wan",
					 "10.0.0.2", 4600, true);
	ck_assert_ptr_eq(reg_find_contact(reg, "sip:six@[2001:db8::1]:5062"), v6);
	ck_assert_ptr_null(reg_find_contact(reg, "sip:six@[2001:db8::1]"));
	reg_destroy(reg);
}
END_TEST

START_TEST(test_odd_uris)
{
	struct registrar *reg = new_reg(10);
	struct sockaddr_in s = src("10.0.0.1", 5060);

	/* what libosip2 cannot parse is its own key */
	struct reg_binding *t = bind_ok(reg, "tel:+4930123", "<sip:odd@10.0.0.1>", "sip:x@wan", "10.0.0.1", 4600, true);
	ck_assert_uint_eq(routable(reg, "tel:+4930123", 2000), 1);
	ck_assert_uint_eq(routable(reg, "TEL:+4930123", 2000), 0);
	ck_assert_ptr_eq(reg_find_contact(reg, "<sip:odd@10.0.0.1>"), t);
	ck_assert_ptr_null(reg_find_contact(reg, "sip:odd@10.0.0.1"));
	/* a host-only AoR has no user part to be found by */
	bind_ok(reg, "sip:example.com", "sip:10.0.0.2", "sip:wan", "10.0.0.2", 4600, true);
	ck_assert_uint_eq(routable(reg, "sip:@EXAMPLE.com", 2000), 1);

	errno = 0;
	ck_assert_ptr_null(reg_bind(reg, "", "sip:a@b", "sip:a@c", &s, 0, 4600, true));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(reg_bind(reg, "sip:a@b", NULL, "sip:a@c", &s, 0, 4600, true));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(reg_bind(reg, "sip:a@b", "sip:a@b\r\n****:1:9", "sip:a@c", &s, 0, 4600, true));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_uint_eq(reg_count(reg), 2);
	ck_assert_ptr_null(reg_find_contact(reg, NULL));
	ck_assert_ptr_null(reg_find_masq(reg, ""));
	ck_assert_uint_eq(routable(reg, NULL, 2000), 0);
	ck_assert_ptr_null(reg_confirm(reg, NULL, "sip:x@wan", 10));
	reg_unbind(reg, NULL, NULL);
	reg_unbind_all(reg, NULL);
	ck_assert_uint_eq(reg_count(reg), 2);
	reg_destroy(reg);
}
END_TEST

START_TEST(test_source_behind_nat)
{
	struct registrar *reg = new_reg(10);
	struct reg_binding *a = bind_ok(reg, "sip:a@x", "sip:a@192.168.1.2", "sip:a@wan", "198.51.100.7", 4600, true);
	struct reg_binding *b = bind_ok(reg, "sip:b@x", "sip:b@192.168.1.3", "sip:b@wan", "198.51.100.7", 4600, false);

	ck_assert_ptr_eq(reg_find_source(reg, ip("198.51.100.7")), b);
	/* the NAT address stands for the phone, not the contact's private address */
	ck_assert_ptr_null(reg_find_source(reg, ip("192.168.1.2")));
	reg_unbind(reg, "sip:b@x", "sip:b@192.168.1.3");
	ck_assert_ptr_eq(reg_find_source(reg, ip("198.51.100.7")), a);
	reg_unbind(reg, "sip:a@x", "sip:a@192.168.1.2");
	ck_assert_ptr_null(reg_find_source(reg, ip("198.51.100.7")));

	/* source unknown: the contact's literal IPv4 host stands in, a name does not */
	struct reg_binding *c = reg_bind(reg, "sip:c@x", "sip:c@192.168.1.4:5062", "sip:c@wan", NULL, 0, 4600, true);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->source.sin_addr.s_addr, 0);
	ck_assert_ptr_eq(reg_find_source(reg, ip("192.168.1.4")), c);
	ck_assert_ptr_nonnull(reg_bind(reg, "sip:d@x", "sip:d@phone.lan", "sip:d@wan", NULL, 0, 4600, true));
	ck_assert_uint_eq(reg_count(reg), 2);
	/* the next REGISTER tells the truth */
	bind_ok(reg, "sip:c@x", "sip:c@192.168.1.4:5062", "sip:c@wan", "198.51.100.8", 4600, true);
	ck_assert_ptr_null(reg_find_source(reg, ip("192.168.1.4")));
	ck_assert_ptr_eq(reg_find_source(reg, ip("198.51.100.8")), c);
	reg_destroy(reg);
}
END_TEST

/* ---- the file ---- */

static char tmpdir[64];

static void make_tmpdir(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_registrar.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static char *file_in_tmp(const char *name)
{
	static char path[128];
	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	return path;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(text, f), 0);
	ck_assert_int_eq(fclose(f), 0);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	static char buf[1 << 16];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static char *long_uri(const char *prefix, size_t len)
{
	char *s = malloc(len + 1);
	ck_assert_ptr_nonnull(s);
	size_t p = strlen(prefix);
	memcpy(s, prefix, p);
	for (size_t i = p; i < len; i++)
		s[i] = (char)('a' + i % 26);
	s[len] = '\0';
	return s;
}

START_TEST(test_save_load_round_trip)
{
	make_tmpdir();
	char path[128], tmp[140];
	snprintf(path, sizeof path, "%s", file_in_tmp("siproxd_registrations"));
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	struct registrar *reg = new_reg(10);
	char *contact = long_uri("sip:phone@192.168.1.20:5062;x-long=", 1500);
	char *aor = long_uri("sip:user@example.com;y=", 1200);

	bind_ok(reg, aor, contact, "sip:user@203.0.113.1:5060", "192.168.1.20", 5000, true);
	bind_ok(reg, "sip:b@x", "sip:b@phone.lan", "sip:b@wan", "10.0.0.2", 6000, true);
	bind_ok(reg, "sip:p@x", "sip:p@10.0.0.3", "sip:p@wan", "10.0.0.3", 6000, false);   /* pending: not saved */
	ck_assert_int_eq(reg_save(reg, path), 0);
	reg_destroy(reg);

	char *text = read_file(path);
	ck_assert_ptr_nonnull(strstr(text, "****:1:6000\nsip:b@phone.lan\nsip:b@wan\nsip:b@x\n"));
	ck_assert_ptr_null(strstr(text, "sip:p@"));
	ck_assert_int_eq(access(tmp, F_OK), -1);

	reg = new_reg(10);
	ck_assert_int_eq(reg_load(reg, path, 4000), 2);
	ck_assert_uint_eq(reg_count(reg), 2);
	struct reg_binding *out[2];
	ck_assert_uint_eq(reg_find_aor_routable(reg, aor, 4000, out, 2), 1);
	ck_assert_str_eq(out[0]->aor, aor);
	ck_assert_str_eq(out[0]->true_url, contact);
	ck_assert_str_eq(out[0]->masq_url, "sip:user@203.0.113.1:5060");
	ck_assert_int_eq(out[0]->expires, 5000);
	ck_assert(out[0]->confirmed);
	ck_assert_uint_eq(out[0]->source.sin_addr.s_addr, 0);
	ck_assert_ptr_eq(reg_find_source(reg, ip("192.168.1.20")), out[0]);
	ck_assert_ptr_eq(reg_find_masq(reg, "sip:user@203.0.113.1"), out[0]);
	ck_assert_uint_eq(reg_find_user_routable(reg, "b", 4000, out, 2), 1);

	/* saving again gives the same file */
	char *first = strdup(text);
	ck_assert_int_eq(reg_save(reg, path), 0);
	char *second = read_file(path);
	ck_assert_uint_eq(strlen(first), strlen(second));
	reg_destroy(reg);

	/* loaded later: the one with expires 5000 is gone, and so is an exactly expiring one */
	reg = new_reg(10);
	ck_assert_int_eq(reg_load(reg, path, 5500), 1);
	ck_assert_uint_eq(routable(reg, "sip:b@x", 5500), 1);
	reg_destroy(reg);
	reg = new_reg(10);
	ck_assert_int_eq(reg_load(reg, path, 6000), 0);
	reg_destroy(reg);

	/* a full table loads what fits */
	reg = new_reg(1);
	ck_assert_int_eq(reg_load(reg, path, 4000), 1);
	reg_destroy(reg);

	free(first);
	free(contact);
	free(aor);
	remove_tmpdir();
}
END_TEST

START_TEST(test_load_missing_and_garbled)
{
	make_tmpdir();
	struct registrar *reg = new_reg(10);

	ck_assert_int_eq(reg_load(reg, file_in_tmp("none"), 1000), 0);
	ck_assert_uint_eq(reg_count(reg), 0);

	char path[128];
	snprintf(path, sizeof path, "%s", file_in_tmp("garbled"));
	write_file(path,
		   "****:0:0\n"                                  /* classic empty slots */
		   "****:0:0\n"
		   "****:1:5000\nsip:a@10.0.0.1\nsip:a@wan\nsip:a@x\n"
		   "hello world\nmore garbage\n"                 /* not a record */
		   "****:1:50x0\nsip:g@10.0.0.9\nsip:g@wan\nsip:g@x\n"   /* bad expires */
		   "****:7:5000\nsip:h@10.0.0.9\nsip:h@wan\nsip:h@x\n"   /* bad active */
		   "****:1:5000\nsip:t@10.0.0.2\n"               /* cut short by the next */
		   "****:1:5000\r\nsip:b@10.0.0.3\r\nsip:b@wan\r\nsip:b@x\r\n"   /* CRLF is fine */
		   "****:1:5000\nsip:e@10.0.0.4\n\nsip:e@x\n"    /* empty masq */
		   "\n"
		   "****:1:500\nsip:old@10.0.0.5\nsip:old@wan\nsip:old@x\n"     /* expired */
		   "****:1:5000\nsip:c@10.0.0.6\nsip:c@wan\nsip:c@x\n"
		   "****:1:5000\nsip:z@10.0.0.7\nsip:z@wan\n");  /* cut short by the end */
	ck_assert_int_eq(reg_load(reg, path, 1000), 3);
	ck_assert_uint_eq(routable(reg, "sip:a@x", 1000), 1);
	ck_assert_uint_eq(routable(reg, "sip:b@x", 1000), 1);
	ck_assert_uint_eq(routable(reg, "sip:c@x", 1000), 1);
	ck_assert_ptr_eq(reg_find_masq(reg, "sip:b@wan"), reg_find_contact(reg, "sip:b@10.0.0.3"));
	ck_assert_uint_eq(routable(reg, "sip:g@x", 1000), 0);
	ck_assert_uint_eq(routable(reg, "sip:h@x", 1000), 0);
	ck_assert_uint_eq(routable(reg, "sip:e@x", 1000), 0);
	ck_assert_uint_eq(routable(reg, "sip:old@x", 1000), 0);

	/* unreadable: a directory */
	ck_assert_int_eq(reg_load(reg, tmpdir, 1000), -1);
	reg_destroy(reg);
	remove_tmpdir();
}
END_TEST

START_TEST(test_save_is_atomic)
{
	make_tmpdir();
	char path[128], tmp[140];
	snprintf(path, sizeof path, "%s", file_in_tmp("regs"));
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	struct registrar *reg = new_reg(10);
	bind_ok(reg, "sip:a@x", "sip:a@10.0.0.1", "sip:a@wan", "10.0.0.1", 5000, true);
	ck_assert_int_eq(reg_save(reg, path), 0);
	char *old = strdup(read_file(path));
	bind_ok(reg, "sip:b@x", "sip:b@10.0.0.2", "sip:b@wan", "10.0.0.2", 5000, true);

	/* the tmp file cannot be created (root ignores permissions, so block it with a directory) */
	ck_assert_int_eq(mkdir(tmp, 0700), 0);
	errno = 0;
	ck_assert_int_eq(reg_save(reg, path), -1);
	ck_assert_int_ne(errno, 0);
	ck_assert_str_eq(read_file(path), old);
	ck_assert_int_eq(rmdir(tmp), 0);

	/* writing fails half-way: the file size limit is below what the table needs */
	char *big = long_uri("sip:big@10.0.0.3;p=", 8000);
	bind_ok(reg, "sip:big@x", big, "sip:big@wan", "10.0.0.3", 5000, true);
	struct rlimit lim, small = { .rlim_cur = 4096, .rlim_max = RLIM_INFINITY };
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &lim), 0);
	small.rlim_max = lim.rlim_max;
	void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
	errno = 0;
	int rc = reg_save(reg, path);
	int err = errno;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	signal(SIGXFSZ, prev);
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(err, EFBIG);
	ck_assert_str_eq(read_file(path), old);
	ck_assert_int_eq(access(tmp, F_OK), -1);      /* no half-written tmp left behind */

	/* a stale tmp from a crash does not get in the way */
	write_file(tmp, "stale");
	ck_assert_int_eq(reg_save(reg, path), 0);
	ck_assert_ptr_nonnull(strstr(read_file(path), big));
	ck_assert_int_eq(access(tmp, F_OK), -1);
	/* no directory to write in at all */
	ck_assert_int_eq(reg_save(reg, "/nonexistent-dir/regs"), -1);
	ck_assert_int_eq(errno, ENOENT);

	free(big);
	free(old);
	reg_destroy(reg);
	remove_tmpdir();
}
END_TEST

/* ---- scale ---- */

#define SCALE_N 100000

static void count_visit(const struct reg_binding *b, void *ud)
{
	(void)b;
	++*(size_t *)ud;
}

START_TEST(test_scale_100k)
{
	struct registrar *reg = new_reg(SCALE_N);
	char aor[64], contact[64], masq[64];
	struct sockaddr_in s = src("10.0.0.1", 5060);

	/* Check records every assertion with the parent process: count failures, assert once. */
	int wrong = 0;
	for (int i = 0; i < SCALE_N; i++) {
		snprintf(aor, sizeof aor, "sip:u%d@example.com", i);
		snprintf(contact, sizeof contact, "sip:u%d@10.%d.%d.%d:5060", i, i >> 16, (i >> 8) & 255, i & 255);
		snprintf(masq, sizeof masq, "sip:u%d@203.0.113.1:5060", i);
		s.sin_addr.s_addr = htonl(0x0a000000u | (uint32_t)i);
		/* even ones expire at 2000, odd ones at 9000 */
		wrong += !reg_bind(reg, aor, contact, masq, &s, 0, i % 2 ? 9000 : 2000, true);
	}
	ck_assert_int_eq(wrong, 0);
	ck_assert_uint_eq(reg_count(reg), SCALE_N);
	ck_assert_ptr_null(reg_bind(reg, "sip:x@y", "sip:x@z", "sip:x@w", &s, 0, 9000, true));

	struct reg_binding *out[2];
	for (int i = 0; i < SCALE_N; i++) {
		snprintf(aor, sizeof aor, "sip:u%d@EXAMPLE.com", i);
		if (reg_find_aor_routable(reg, aor, 1500, out, 2) != 1) {
			wrong++;
			continue;
		}
		snprintf(masq, sizeof masq, "sip:u%d@203.0.113.1", i);
		wrong += reg_find_masq(reg, masq) != out[0];
		snprintf(contact, sizeof contact, "sip:u%d@10.%d.%d.%d", i, i >> 16, (i >> 8) & 255, i & 255);
		wrong += reg_find_contact(reg, contact) != out[0];
		snprintf(contact, sizeof contact, "u%d", i);
		wrong += reg_find_user_routable(reg, contact, 1500, out + 1, 1) != 1 || out[1] != out[0];
		wrong += reg_find_source(reg, (struct in_addr){ htonl(0x0a000000u | (uint32_t)i) }) != out[0];
	}
	ck_assert_int_eq(wrong, 0);
	ck_assert_uint_eq(reg_expire(reg, 2005), 0);
	ck_assert_uint_eq(reg_expire(reg, 2006), SCALE_N / 2);
	ck_assert_uint_eq(reg_count(reg), SCALE_N / 2);
	size_t n = 0;
	reg_foreach(reg, count_visit, &n);
	ck_assert_uint_eq(n, SCALE_N / 2);
	ck_assert_ptr_null(reg_find_masq(reg, "sip:u2@203.0.113.1"));
	ck_assert_ptr_nonnull(reg_find_masq(reg, "sip:u3@203.0.113.1"));
	ck_assert_uint_eq(reg_expire(reg, 9006), SCALE_N / 2);
	ck_assert_uint_eq(reg_count(reg), 0);
	reg_destroy(reg);
}
END_TEST

static Suite *registrar_suite(void)
{
	Suite *s = suite_create("registrar");
	TCase *tc = tcase_create("table");
	tcase_add_test(tc, test_find_by_every_key);
	tcase_add_test(tc, test_several_contacts_per_aor);
	tcase_add_test(tc, test_one_phone_several_aors);
	tcase_add_test(tc, test_reregister_refreshes);
	tcase_add_test(tc, test_pending_until_confirmed);
	tcase_add_test(tc, test_reject_pending_only);
	tcase_add_test(tc, test_reject_pending_of_one_source);
	tcase_add_test(tc, test_unbind);
	tcase_add_test(tc, test_expiry_grace_and_pending);
	tcase_add_test(tc, test_table_full);
	tcase_add_test(tc, test_case_rules);
	tcase_add_test(tc, test_odd_uris);
	tcase_add_test(tc, test_source_behind_nat);
	suite_add_tcase(s, tc);

	TCase *file = tcase_create("file");
	tcase_add_test(file, test_save_load_round_trip);
	tcase_add_test(file, test_load_missing_and_garbled);
	tcase_add_test(file, test_save_is_atomic);
	suite_add_tcase(s, file);

	TCase *scale = tcase_create("scale");
	tcase_set_timeout(scale, 30);
	tcase_add_test(scale, test_scale_100k);
	suite_add_tcase(s, scale);
	return s;
}

int main(void)
{
	return unit_run(registrar_suite());
}
