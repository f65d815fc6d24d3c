#!/usr/bin/python3
"""test/clients/acting_context.py DSN_APP DSN_ADMIN DSN_CHECK

A web application as psycopg2 users write one: a connection pool (one
connection, so that every request reuses it, as behind a pooler in
transaction mode), each request one transaction that starts by setting the
acting context with set_config(..., true).  Checks, through a second
connection, that every audit row names the actor, the request, the client's
address and user agent of the request that wrote it, and nothing of an
earlier request; that a bad value is refused with SQLSTATE 22023 and
changes nothing.  Then the flow of issue 16: a space with its groups,
member and role soft-deleted in one request (the DELETE counts the space
only), listed with who deleted them and restored by a connection with the
admin access, every entity.deleted and entity.restored row naming the
actor and the request.  Prints one line per check; exits 1 on the first
failure.
"""
import sys

import psycopg2
import psycopg2.errors
import psycopg2.pool

app_dsn, admin_dsn, check_dsn = sys.argv[1], sys.argv[2], sys.argv[3]
pool = psycopg2.pool.SimpleConnectionPool(1, 1, app_dsn)


def request(actor, request_id, ip, user_agent, work):
    """Run work(cursor) as one request: one transaction, its context first."""
    conn = pool.getconn()
    try:
        with conn:
            with conn.cursor() as cur:
                if actor is not None:
                    cur.execute(
                        "SELECT pg_catalog.set_config('plystra.actor_user_id', %s, true),"
                        "       pg_catalog.set_config('plystra.request_id', %s, true),"
                        "       pg_catalog.set_config('plystra.client_ip', %s, true),"
                        "       pg_catalog.set_config('plystra.user_agent', %s, true)",
                        (str(actor), request_id, ip, user_agent))
                return work(cur)
    finally:
        pool.putconn(conn)


def check(what, got, want):
    if got != want:
        print(f"FAILED: {what}: got {got!r}, want {want!r}")
        sys.exit(1)
    print(f"ok: {what}")


def sign_up(cur):
    cur.execute("INSERT INTO plystra.users (email, display_name) VALUES (%s, %s) RETURNING id",
                ("grace@example.test", "Grace Hopper"))
    user_id = cur.fetchone()[0]
    # an ORM inserts every column, None for what the model did not set
    cur.execute("INSERT INTO plystra.audit_logs (event_type, target_type, target_id, actor_user_id,"
                " request_id, ip, user_agent, details) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                ("app.user.signed_up", "users", str(user_id), None, None, None, None, '{"plan": "free"}'))
    return user_id


def delete_user(user_id):
    def work(cur):
        cur.execute("DELETE FROM plystra.users WHERE id = %s", (user_id,))
        return cur.rowcount
    return work


def anonymous_ping(cur):
    cur.execute("INSERT INTO plystra.audit_logs (event_type, target_type, target_id)"
                " VALUES ('app.ping', 'health', 'anonymous')")


user_id = request(42, "req-0001", "203.0.113.10", "Mozilla/5.0 (signup)", sign_up)
count = request(7, "req-0002", "2001:db8::2", "AdminPanel/2.1", delete_user(user_id))
check("the soft delete counts one row", count, 1)
request(None, None, None, None, anonymous_ping)

try:
    request("forty-two", "req-0003", "203.0.113.10", "x", anonymous_ping)
    print("FAILED: a bad actor id was accepted")
    sys.exit(1)
except psycopg2.errors.InvalidParameterValue as e:
    check("a bad actor id is refused with SQLSTATE 22023", e.pgcode, "22023")
try:
    request(42, "req-0004", "not an address", "x", anonymous_ping)
    print("FAILED: a bad client_ip was accepted")
    sys.exit(1)
except psycopg2.errors.InvalidParameterValue as e:
    check("a bad client_ip is refused with SQLSTATE 22023", e.pgcode, "22023")

# the flow: a space with its children, soft-deleted in one request;
# an admin lists what was deleted and restores it in another
def create_space(cur):
    cur.execute("INSERT INTO plystra.spaces (slug, name) VALUES ('acme', 'Acme') RETURNING id")
    space = cur.fetchone()[0]
    cur.execute("INSERT INTO plystra.groups (space_id, slug, name) VALUES (%s, 'eng', 'Engineering')"
                " RETURNING id", (space,))
    group = cur.fetchone()[0]
    cur.execute("INSERT INTO plystra.groups (space_id, parent_id, slug, name)"
                " VALUES (%s, %s, 'eng-web', 'Web')", (space, group))
    cur.execute("INSERT INTO plystra.members (space_id, display_name) VALUES (%s, 'Grace')", (space,))
    cur.execute("INSERT INTO plystra.roles (space_id, key, name) VALUES (%s, 'editor', 'Editor')", (space,))
    return space


def delete_space(space):
    def work(cur):
        cur.execute("DELETE FROM plystra.spaces WHERE id = %s", (space,))
        return cur.rowcount
    return work


space = request(42, "req-0010", "203.0.113.10", "Mozilla/5.0 (admin)", create_space)
count = request(42, "req-0011", "203.0.113.10", "Mozilla/5.0 (admin)", delete_space(space))
check("deleting the space counts the space only", count, 1)

admin = psycopg2.connect(admin_dsn)
with admin, admin.cursor() as cur:
    cur.execute("SELECT pg_catalog.set_config('plystra.actor_user_id', '1', true),"
                "       pg_catalog.set_config('plystra.request_id', 'req-admin-1', true)")
    cur.execute("SELECT slug, deleted_by_user_id, deleted_in_request FROM plystra.deleted_groups"
                " WHERE space_id = %s ORDER BY slug", (space,))
    check("the admin lists the deleted groups with who deleted them", cur.fetchall(),
          [("eng", 42, "req-0011"), ("eng-web", 42, "req-0011")])
    cur.execute("SELECT count(*) FROM plystra.deleted_members WHERE space_id = %s", (space,))
    check("and the deleted members", cur.fetchone()[0], 1)
    cur.execute("SELECT plystra.restore('plystra.deleted_spaces', %s)", (space,))
    check("the admin restores the space", cur.fetchone()[0], True)
admin.close()


def live_children(cur):
    cur.execute("SELECT (SELECT count(*) FROM plystra.groups WHERE space_id = %s),"
                "       (SELECT count(*) FROM plystra.members WHERE space_id = %s),"
                "       (SELECT count(*) FROM plystra.roles WHERE space_id = %s)", (space, space, space))
    return cur.fetchone()


check("the space's groups, member and role came back with it",
      request(42, "req-0012", "203.0.113.10", "x", live_children), (2, 1, 1))

with psycopg2.connect(check_dsn) as conn, conn.cursor() as cur:
    cur.execute("SELECT target_type, actor_user_id, request_id, details ->> 'cascaded_from'"
                "  FROM plystra.audit_logs"
                " WHERE event_type IN ('entity.deleted', 'entity.restored') AND target_type <> 'users'"
                " ORDER BY id")
    rows = cur.fetchall()
sk = f"spaces/{space}"
check("every audit row of the delete and the restore names the actor and the request", rows, [
    ("spaces", 42, "req-0011", None),
    ("groups", 42, "req-0011", sk), ("groups", 42, "req-0011", sk),
    ("members", 42, "req-0011", sk), ("roles", 42, "req-0011", sk),
    ("spaces", 1, "req-admin-1", None),
    ("groups", 1, "req-admin-1", sk), ("groups", 1, "req-admin-1", sk),
    ("members", 1, "req-admin-1", sk), ("roles", 1, "req-admin-1", sk),
])

with psycopg2.connect(check_dsn) as conn, conn.cursor() as cur:
    cur.execute("SELECT event_type, actor_user_id, request_id, host(ip), user_agent, actor_role"
                "  FROM plystra.audit_logs"
                " WHERE event_type LIKE 'app.%%' OR (target_type = 'users' AND target_id = %s)"
                " ORDER BY id", (str(user_id),))
    rows = cur.fetchall()
check("the audit rows of the requests", rows, [
    ("app.user.signed_up", 42, "req-0001", "203.0.113.10", "Mozilla/5.0 (signup)", "plystra_app"),
    ("entity.deleted", 7, "req-0002", "2001:db8::2", "AdminPanel/2.1", "plystra_app"),
    ("app.ping", None, None, None, None, "plystra_app"),
])
print("all checks passed")
