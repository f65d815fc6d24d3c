# test/t/005_audit_replication.pl
#
# audit_logs replicated to a second cluster by logical replication, a real
# subscriber with plystra installed: rows arrive with their original times,
# the append-only guard holds on the subscriber too (also for the apply
# worker's session_replication_role = replica), and a TRUNCATE, UPDATE or
# DELETE on the publisher is refused there rather than replicated.  The
# audit log is partitioned (1.2): published through its partitioned table
# (publish_via_partition_root), each side has partitions of its own, a
# partition made later on the publisher needs nothing on the subscriber,
# and a row the subscriber has no partition for waits in its default
# partition until its own audit_maintain() gives it one.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $pub = PostgreSQL::Test::Cluster->new('publisher');
$pub->init(allows_streaming => 'logical');
$pub->start;
my $sub = PostgreSQL::Test::Cluster->new('subscriber');
$sub->init;
$sub->start;

foreach my $node ($pub, $sub)
{
	$node->safe_psql('postgres', 'CREATE EXTENSION plystra');
	$node->safe_psql('postgres', 'SELECT count(*) FROM plystra.audit_maintain()');
}

$pub->safe_psql('postgres', q{
	INSERT INTO plystra.audit_logs (event_type, target_id)
		SELECT 'user.login.succeeded', 'before-' || i FROM generate_series(1, 10) i;
	CREATE PUBLICATION audit FOR TABLE plystra_data.audit_logs
		WITH (publish_via_partition_root = true);
});
my $connstr = $pub->connstr . ' dbname=postgres';
$sub->safe_psql('postgres',
	"CREATE SUBSCRIPTION audit CONNECTION '$connstr' PUBLICATION audit");
$sub->wait_for_subscription_sync($pub, 'audit');

$pub->safe_psql('postgres', q{
	INSERT INTO plystra.audit_logs (event_type, target_id)
		SELECT 'user.login.failed', 'after-' || i FROM generate_series(1, 5) i});
$pub->wait_for_catchup('audit');

my $rows = q{SELECT count(*) || ' ' || md5(string_agg(id || created_at::text || target_id, ',' ORDER BY id))
			   FROM plystra_data.audit_logs};
is($sub->safe_psql('postgres', $rows), $pub->safe_psql('postgres', $rows),
	'the subscriber has every row, with its original time');

# the guard holds on the subscriber, in replica mode too
foreach my $sql (
	'DELETE FROM plystra_data.audit_logs',
	q{UPDATE plystra_data.audit_logs SET target_id = 'x'},
	'TRUNCATE plystra_data.audit_logs',
	'ALTER TABLE plystra_data.audit_logs DISABLE TRIGGER ALL',
	'SET session_replication_role = replica; DELETE FROM plystra_data.audit_logs')
{
	my ($ret, $out, $err) = $sub->psql('postgres', $sql);
	isnt($ret, 0, "subscriber refuses: $sql");
	like($err, qr/is not allowed/, 'with the guard\'s error');
}

# on the publisher the same statements are refused, so nothing is replicated
foreach my $sql ('TRUNCATE plystra_data.audit_logs',
	'DELETE FROM plystra_data.audit_logs',
	q{UPDATE plystra_data.audit_logs SET target_id = 'x'})
{
	my ($ret, $out, $err) = $pub->psql('postgres', $sql);
	isnt($ret, 0, "publisher refuses: $sql");
}
$pub->safe_psql('postgres', q{
	INSERT INTO plystra.audit_logs (event_type, target_id) VALUES ('user.locked', 'last')});
$pub->wait_for_catchup('audit');
is($sub->safe_psql('postgres', $rows), $pub->safe_psql('postgres', $rows),
	'replication goes on, and both sides still have every row');
is($sub->safe_psql('postgres', 'SELECT count(*) FROM plystra_data.audit_logs'),
	'16', 'sixteen rows on the subscriber');

# partitions are each side's own: the publisher makes more ahead and writes
# a row (a restored one, dated by its owner) into one the subscriber lacks
$pub->safe_psql('postgres', q{
	SET plystra.audit_partitions_ahead = 8;
	SELECT count(*) FROM plystra.audit_maintain();
	INSERT INTO plystra_data.audit_logs (event_type, target_id, created_at)
		VALUES ('user.locked', 'ahead', now() + interval '6 months')});
$pub->wait_for_catchup('audit');
is($sub->safe_psql('postgres', $rows), $pub->safe_psql('postgres', $rows),
	'a row in a partition made later on the publisher arrives');
is($sub->safe_psql('postgres',
		q{SELECT tableoid::regclass FROM plystra_data.audit_logs WHERE target_id = 'ahead'}),
	'plystra_data.audit_logs_default',
	'in the default partition of the subscriber, which has no partition for it');
$sub->safe_psql('postgres', q{
	SET plystra.audit_partitions_ahead = 8;
	SELECT count(*) FROM plystra.audit_maintain()});
like($sub->safe_psql('postgres',
		q{SELECT tableoid::regclass FROM plystra_data.audit_logs WHERE target_id = 'ahead'}),
	qr/^plystra_data\.audit_logs_p\d{8}$/,
	'until its own maintenance gives it a partition');
is($sub->safe_psql('postgres', $rows), $pub->safe_psql('postgres', $rows),
	'and both sides still have every row');
# the subscriber's sequence stays where its own writes left it: doctor says
# so, as its own inserts would take ids the publisher's rows have
is($sub->safe_psql('postgres', q{SELECT "check" || ' ' || status FROM plystra.doctor() WHERE status <> 'ok'}),
	'identity sequences fail', 'doctor on the subscriber: only its sequence, behind the replicated ids');

$sub->safe_psql('postgres', 'DROP SUBSCRIPTION audit');
$sub->stop;
$pub->stop;
done_testing();
