# test/t/012_acting_context_psycopg2.pl
#
# The acting context as a real client sets it: test/clients/acting_context.py,
# a psycopg2 application (Debian's python3-psycopg2) with a one-connection
# pool, sets plystra.actor_user_id, request_id, client_ip and user_agent per
# request with set_config(..., true), as an application role; every audit
# row names the request that wrote it, none leaks into the next request on
# the same connection, and bad values are refused with SQLSTATE 22023;
# a space deleted with its children is listed and restored by a role with
# the admin access, every audit row naming the actor and the request.
use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $testdir = abs_path(dirname(__FILE__));
my $node = PostgreSQL::Test::Cluster->new('acting');
$node->init;
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION plystra;
	CREATE ROLE plystra_app LOGIN;
	SELECT plystra.grant_access('plystra_app', 'application');
	CREATE ROLE plystra_ops LOGIN;
	SELECT plystra.grant_access('plystra_ops', 'admin');
	INSERT INTO plystra.audit_event_types (key, description)
	VALUES ('app.user.signed_up', 'a user signed up'), ('app.ping', 'a health check');
});

my $host = $node->host;
my $port = $node->port;
my ($out, $err) = ('', '');
my $ok = IPC::Run::run(
	[ '/usr/bin/python3', "$testdir/../clients/acting_context.py",
		"host=$host port=$port dbname=postgres user=plystra_app",
		"host=$host port=$port dbname=postgres user=plystra_ops",
		"host=$host port=$port dbname=postgres" ],
	'>', \$out, '2>', \$err);
ok($ok, 'the psycopg2 application passes its checks') or diag("$out\n$err");
like($out, qr/^ok: the audit rows of the requests$/m, 'every audit row names the request that wrote it');
like($out, qr/^ok: a bad actor id is refused with SQLSTATE 22023$/m, 'a bad actor id is refused');
like($out, qr/^ok: every audit row of the delete and the restore names the actor and the request$/m,
	'a space soft-deleted with its children, listed and restored by the admin access, every audit row naming actor and request');
like($out, qr/^all checks passed$/m, 'all checks passed');

$node->stop;
done_testing();
