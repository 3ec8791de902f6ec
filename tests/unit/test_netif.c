/* Unit tests for netif.c: interface lookups and the public (WAN) address. */
#include "build_config.h"

#include "unit_run.h"
#include "event_loop.h"
#include "netif.h"

#include <arpa/inet.h>
#include <check.h>
#include <stdlib.h>

START_TEST(lookup_loopback)
{
	struct in_addr a = { 0 };

	ck_assert_int_eq(netif_lookup("lo", &a), 0);
	ck_assert_uint_eq(ntohl(a.s_addr), INADDR_LOOPBACK);
	ck_assert_int_eq(netif_lookup("no-such-if0", &a), -1);
	ck_assert_int_eq(netif_lookup(NULL, &a), -1);
}
END_TEST

START_TEST(public_address_prefers_host_outbound)
{
	struct event_loop *el = el_create();
	struct in_addr a = { 0 };

	ck_assert_ptr_nonnull(el);
	/* lo stands in for the outbound interface; no resolver needed for a literal. */
	struct netif *n = netif_create(el, NULL, "lo", "lo", "203.0.113.7", 60, NULL, NULL);
	ck_assert_ptr_nonnull(n);
	ck_assert_int_eq(netif_addr(n, NETIF_OUTBOUND, &a), 0);
	ck_assert_uint_eq(ntohl(a.s_addr), INADDR_LOOPBACK);
	ck_assert_int_eq(netif_outbound_public(n, &a), 0);
	ck_assert_str_eq(inet_ntoa(a), "203.0.113.7");

	/* SIGHUP without host_outbound: back to the interface address. */
	ck_assert_int_eq(netif_set_host_outbound(n, NULL), 0);
	ck_assert_int_eq(netif_outbound_public(n, &a), 0);
	ck_assert_uint_eq(ntohl(a.s_addr), INADDR_LOOPBACK);

	/* A name cannot be used without a resolver; the old setting stays. */
	ck_assert_int_eq(netif_set_host_outbound(n, "203.0.113.8"), 0);
	ck_assert_int_eq(netif_set_host_outbound(n, "wan.example.org"), -1);
	ck_assert_int_eq(netif_outbound_public(n, &a), 0);
	ck_assert_str_eq(inet_ntoa(a), "203.0.113.8");
	netif_destroy(n);
	el_destroy(el);
}
END_TEST

struct change_seen {
	int calls;
	enum netif_side side;
	struct in_addr old_addr, new_addr;
};

static void change_cb(void *ud, enum netif_side side, struct in_addr old_addr, struct in_addr new_addr)
{
	struct change_seen *c = ud;

	c->calls++;
	c->side = side;
	c->old_addr = old_addr;
	c->new_addr = new_addr;
}

START_TEST(public_address_change_reported)
{
	struct event_loop *el = el_create();
	struct change_seen seen = { 0 };
	struct netif *n = netif_create(el, NULL, "lo", "lo", NULL, 60, change_cb, &seen);

	ck_assert_ptr_nonnull(n);
	ck_assert_int_eq(seen.calls, 0);
	ck_assert_int_eq(netif_set_host_outbound(n, "203.0.113.7"), 0);
	ck_assert_int_eq(seen.calls, 1);
	ck_assert_int_eq(seen.side, NETIF_PUBLIC);
	ck_assert_uint_eq(ntohl(seen.old_addr.s_addr), INADDR_LOOPBACK);
	ck_assert_str_eq(inet_ntoa(seen.new_addr), "203.0.113.7");
	/* The same value again is no change. */
	ck_assert_int_eq(netif_set_host_outbound(n, "203.0.113.7"), 0);
	ck_assert_int_eq(seen.calls, 1);
	ck_assert_int_eq(netif_set_host_outbound(n, NULL), 0);
	ck_assert_int_eq(seen.calls, 2);
	ck_assert_uint_eq(ntohl(seen.new_addr.s_addr), INADDR_LOOPBACK);
	netif_destroy(n);
	el_destroy(el);
}
END_TEST

START_TEST(interface_without_address)
{
	struct event_loop *el = el_create();
	struct in_addr a = { 0 };
	struct netif *n = netif_create(el, NULL, "lo", "no-such-if0", NULL, 60, NULL, NULL);

	ck_assert_ptr_nonnull(n);
	ck_assert_int_eq(netif_addr(n, NETIF_INBOUND, &a), 0);
	ck_assert_int_eq(netif_addr(n, NETIF_OUTBOUND, &a), -1);
	ck_assert_int_eq(netif_outbound_public(n, &a), -1);
	netif_destroy(n);
	el_destroy(el);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("netif");
	TCase *tc = tcase_create("netif");

	tcase_add_test(tc, lookup_loopback);
	tcase_add_test(tc, public_address_prefers_host_outbound);
	tcase_add_test(tc, public_address_change_reported);
	tcase_add_test(tc, interface_without_address);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
