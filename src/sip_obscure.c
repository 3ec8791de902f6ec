/* obscure_loops: the "-siproxd<tag>" Call-ID marker added toward the WAN and cut toward the phones. */
#include "build_config.h"
#include "sip_obscure.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "sip_message.h"

#define SIPOBS_MARK "-siproxd"

static const char *tag_of(osip_from_t *f)
{
	osip_generic_param_t *tag = NULL;

	return f && osip_from_param_get_byname(f, "tag", &tag) == 0 && tag && tag->gvalue && *tag->gvalue
		       ? tag->gvalue
		       : NULL;
}

/* The last marker in the Call-ID number, or NULL. */
static char *marker(osip_message_t *m)
{
	const char *num = m->call_id ? m->call_id->number : NULL;
	const char *last = NULL;

	for (const char *s = num; s && (s = strstr(s, SIPOBS_MARK)) != NULL; s++)
		last = s;
	return (char *)last;
}

static int append(struct sip_ticket *t, const char *tag)
{
	osip_call_id_t *c = t->msg->call_id;

	if (!tag) {
		log_warn("obscure_loops: no tag to mark Call-ID %s with, left as it is", t->call_id);
		return 0;
	}
	return sipmsg_callid_append(c, SIPOBS_MARK, tag);
}

int sipobs_toward_wan(struct sip_pipeline *p, struct sip_ticket *t)
{
	osip_message_t *m = t->msg;

	if (!p->ctx.cfg->obscure_loops || !m->call_id || !m->call_id->number || marker(m))
		return 0;
	if (MSG_IS_REQUEST(m))
		return sipmsg_is_method(m, "REGISTER") || (t->our_route && !t->callid_cut) ? 0 : append(t, tag_of(m->from));
	return t->callid_cut ? append(t, tag_of(m->to)) : 0;
}

bool sipobs_toward_phone(struct sip_pipeline *p, struct sip_ticket *t)
{
	osip_message_t *m = t->msg;
	const char *from_tag = tag_of(m->from);
	char *mark;
	bool own;

	if (!p->ctx.cfg->obscure_loops || !m->call_id || !(mark = marker(m)))
		return false;
	own = from_tag && strcmp(mark + strlen(SIPOBS_MARK), from_tag) == 0;
	if (MSG_IS_REQUEST(m) ? own : !own)
		return false;
	*mark = '\0';
	if (MSG_IS_REQUEST(m))
		t->callid_cut = true;
	return true;
}

void sipobs_route_seen(struct sip_pipeline *p, struct sip_ticket *t)
{
	osip_route_t *r = osip_list_get(&t->msg->routes, 0);
	osip_uri_param_t *mark = NULL;

	if (!p->ctx.cfg->obscure_loops || !r || !r->url || !sip_is_me(p, r->url->host, r->url->port))
		return;
	t->our_route = true;
	t->callid_cut = osip_uri_uparam_get_byname(r->url, SIPOBS_VIA_PARAM, &mark) == 0 && mark;
}

int sipobs_mark_record_route(struct sip_ticket *t)
{
	osip_record_route_t *rr = osip_list_get(&t->msg->record_routes, osip_list_size(&t->msg->record_routes) - 1);
	char *name = osip_strdup(SIPOBS_VIA_PARAM);

	if (!rr || !rr->url || !name || osip_uri_uparam_add(rr->url, name, NULL) != 0) {
		osip_free(name);
		return -1;
	}
	return 0;
}
