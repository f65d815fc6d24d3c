/*-------------------------------------------------------------------------
 *
 * acting.c
 *	  The acting context: who the application says is acting, in which
 *	  request, from where.
 *
 * Four settings any role may set, plystra.actor_user_id, plystra.request_id,
 * plystra.client_ip and plystra.user_agent, are stamped into the audit rows
 * the extension writes (audit.c) and fill the columns an application leaves
 * NULL in the rows it inserts (audit_rows.c).  A value counts in the
 * transaction that set it only (SET LOCAL or set_config(..., true), as the
 * application sets it per request; a plain SET lasts for the session as any
 * setting does, but is not stamped after its transaction): behind a pooler
 * in transaction mode, what one client set never names the actor of the
 * next one.  "Set in this transaction" is what PostgreSQL itself knows: a
 * setting changed in the current transaction has stacked prior values (to
 * put back at ROLLBACK, at the end of a function with a SET clause, at
 * ROLLBACK TO SAVEPOINT), and one that has none holds a value from before
 * it, which is not stamped.  Values are checked when set (once this library is loaded in
 * the session): an id that is not a positive bigint, an address that is not
 * an inet, control characters or an over-long text are refused.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/acting.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>
#include <sys/socket.h>

#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/guc_tables.h"
#include "utils/inet.h"

#include "plystra.h"

/* the longest request id and user agent, in bytes */
#define MAX_REQUEST_ID		200
#define MAX_USER_AGENT		1000

enum
{
	ACT_USER_ID,
	ACT_REQUEST_ID,
	ACT_CLIENT_IP,
	ACT_USER_AGENT,
	ACT_COUNT
};

static const char *const names[ACT_COUNT] = {
	"plystra.actor_user_id", "plystra.request_id", "plystra.client_ip",
	"plystra.user_agent"
};

/* each setting's variable, and its entry in PostgreSQL's table of them */
static char *values[ACT_COUNT];
static struct config_generic *options[ACT_COUNT];

/* no control characters (a log line must stay one line), at most maxlen */
static bool
check_text(const char *value, size_t maxlen, const char *what)
{
	const unsigned char *p;

	if (strlen(value) > maxlen)
	{
		GUC_check_errmsg("%s is too long", what);
		GUC_check_errdetail("It has %zu bytes; the limit is %zu.", strlen(value), maxlen);
		return false;
	}
	for (p = (const unsigned char *) value; *p; p++)
	{
		if (*p < 0x20 || *p == 0x7F)
		{
			GUC_check_errmsg("%s must not contain control characters", what);
			GUC_check_errdetail("Byte %ld is 0x%02X.",
								(long) (p - (const unsigned char *) value) + 1, *p);
			return false;
		}
	}
	return true;
}

static bool
check_actor_user_id(char **newval, void **extra, GucSource source)
{
	const char *s = *newval;
	char	   *end;
	long long	id;

	if (s == NULL || s[0] == '\0')
		return true;
	errno = 0;
	id = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || id <= 0 ||
		!(s[0] >= '0' && s[0] <= '9'))
	{
		GUC_check_errmsg("plystra.actor_user_id must be the id of a user, a positive bigint");
		GUC_check_errdetail("It is \"%s\".", s);
		return false;
	}
	return true;
}

static bool
check_request_id(char **newval, void **extra, GucSource source)
{
	return *newval == NULL || check_text(*newval, MAX_REQUEST_ID, "plystra.request_id");
}

static bool
check_user_agent(char **newval, void **extra, GucSource source)
{
	return *newval == NULL || check_text(*newval, MAX_USER_AGENT, "plystra.user_agent");
}

static bool
check_client_ip(char **newval, void **extra, GucSource source)
{
	const char *s = *newval;
	unsigned char buf[16];
	int			family;

	if (s == NULL || s[0] == '\0')
		return true;
	/* as inet_in() parses it: IPv6 when it has a colon, with or without bits */
	family = strchr(s, ':') != NULL ? PGSQL_AF_INET6 : PGSQL_AF_INET;
	if (pg_inet_net_pton(family, s, buf, -1) < 0)
	{
		GUC_check_errmsg("plystra.client_ip must be an IP address");
		GUC_check_errdetail("It is \"%s\".", s);
		return false;
	}
	return true;
}

/* PostgreSQL's entry of setting name, defined by this library */
static struct config_generic *
find_setting(const char *name)
{
#if PG_VERSION_NUM >= 160000
	return find_option(name, false, false, ERROR);
#else
	struct config_generic **vars = get_guc_variables();
	int			n = GetNumConfigOptions();
	int			i;

	for (i = 0; i < n; i++)
		if (strcmp(vars[i]->name, name) == 0)
			return vars[i];
	elog(ERROR, "setting \"%s\" is not defined", name);
	return NULL;				/* keep compiler quiet */
#endif
}

/* Define the four settings; from _PG_init(). */
void
plystra_define_acting_settings(void)
{
	int			i;

	DefineCustomStringVariable("plystra.actor_user_id",
							   "The id of the user on whose behalf the application acts, in this transaction.",
							   "Stamped into audit rows; set it with SET LOCAL at the start of each request.",
							   &values[ACT_USER_ID], "",
							   PGC_USERSET, GUC_NOT_IN_SAMPLE,
							   check_actor_user_id, NULL, NULL);
	DefineCustomStringVariable("plystra.request_id",
							   "The id of the request the application serves, in this transaction.",
							   "Stamped into audit rows; set it with SET LOCAL at the start of each request.",
							   &values[ACT_REQUEST_ID], "",
							   PGC_USERSET, GUC_NOT_IN_SAMPLE,
							   check_request_id, NULL, NULL);
	DefineCustomStringVariable("plystra.client_ip",
							   "The IP address of the application's client, in this transaction.",
							   "Stamped into audit rows; set it with SET LOCAL at the start of each request.",
							   &values[ACT_CLIENT_IP], "",
							   PGC_USERSET, GUC_NOT_IN_SAMPLE,
							   check_client_ip, NULL, NULL);
	DefineCustomStringVariable("plystra.user_agent",
							   "The user agent of the application's client, in this transaction.",
							   "Stamped into audit rows; set it with SET LOCAL at the start of each request.",
							   &values[ACT_USER_AGENT], "",
							   PGC_USERSET, GUC_NOT_IN_SAMPLE,
							   check_user_agent, NULL, NULL);
	for (i = 0; i < ACT_COUNT; i++)
		options[i] = find_setting(names[i]);
}

/*
 * The value of setting index if it was set in this transaction (it has
 * stacked prior values), or NULL.
 */
static const char *
current_value(int index)
{
	const char *value = values[index];

	if (value == NULL || value[0] == '\0' || options[index] == NULL ||
		options[index]->stack == NULL)
		return NULL;
	return value;
}

/*
 * The acting context of this transaction: each member NULL when not set in
 * it.  actor_user_id is the id as text (checked: a positive bigint).
 */
void
plystra_acting_context(PlystraActing *acting)
{
	acting->actor_user_id = current_value(ACT_USER_ID);
	acting->request_id = current_value(ACT_REQUEST_ID);
	acting->client_ip = current_value(ACT_CLIENT_IP);
	acting->user_agent = current_value(ACT_USER_AGENT);
}
