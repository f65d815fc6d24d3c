# test/t/006_crash_operations.pl
#
# An immediate-mode shutdown (a crash) while an application inserts audit
# rows and soft-deletes users: after restart every committed change is
# there, nothing uncommitted is, the guards are in place and doctor() is
# clean.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('crashops');
$node->init;
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION plystra;
	SELECT count(*) FROM plystra.audit_maintain();
	INSERT INTO plystra.users (email)
		SELECT 'u' || i || '@crash.test' FROM generate_series(1, 200) i;
});

# committed work: 100 audit rows and 50 soft deletes, one transaction each
foreach my $i (1 .. 50)
{
	$node->safe_psql('postgres', qq{
		INSERT INTO plystra.audit_logs (event_type, target_id) VALUES ('user.login.succeeded', 'c$i');
		INSERT INTO plystra.audit_logs (event_type, target_id) VALUES ('user.login.failed', 'c$i');
		DELETE FROM plystra.users WHERE email = 'u$i\@crash.test';
	});
}

# uncommitted work in flight when the server goes down
my $bg = $node->background_psql('postgres', on_error_stop => 0);
$bg->query_safe(q{BEGIN});
$bg->query_safe(q{INSERT INTO plystra.audit_logs (event_type, target_id)
				   SELECT 'user.locked', 'open' FROM generate_series(1, 10)});
$bg->query_safe(q{DELETE FROM plystra.users WHERE email LIKE 'u1__@crash.test'});

$node->stop('immediate');
eval { $bg->quit; };
$node->start;

is($node->safe_psql('postgres',
	q{SELECT count(*) FROM plystra_data.audit_logs WHERE event_type LIKE 'user.login.%'}),
	'100', 'every committed audit row is there');
is($node->safe_psql('postgres',
	q{SELECT count(*) FROM plystra_data.audit_logs WHERE target_id = 'open'}),
	'0', 'no uncommitted audit row is');
is($node->safe_psql('postgres', q{SELECT count(*) FROM plystra.users}), '150',
	'the committed soft deletes hold, the uncommitted one does not');
is($node->safe_psql('postgres',
	q{SELECT count(*) FROM plystra_data.users WHERE deleted_at IS NOT NULL}), '50',
	'deleted users are stored');
is($node->safe_psql('postgres',
	q{SELECT count(*) FROM plystra_data.audit_logs WHERE event_type = 'entity.deleted'}), '50',
	'each soft delete has its audit row');
is($node->safe_psql('postgres',
	q{SELECT string_agg("check" || ': ' || detail, '; ') FROM plystra.doctor() WHERE status <> 'ok'}),
	'', 'doctor is clean after the crash');
my ($ret) = $node->psql('postgres', 'DELETE FROM plystra_data.audit_logs');
isnt($ret, 0, 'the audit guard is in place');

$node->stop;
done_testing();
