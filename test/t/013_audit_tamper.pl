# test/t/013_audit_tamper.pl
#
# Tamper evidence below SQL's reach: bytes of a sealed audit row changed in
# the table's file while the server is down show in audit_verify() (the
# seals themselves untouched, the log still extends the head); and a crash
# while a seal waits for a writer in flight leaves no seal behind, the
# next seal carrying on from the last one.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('tamper');
$node->init;
$node->start;
# PostgreSQL 18's initdb enables data checksums: a changed byte would then
# fail the page's checksum. An attacker who edits files recomputes it (or
# turns checksums off, as here); the seals must see the change either way.
my $checksums = $node->safe_psql('postgres', 'SHOW data_checksums');
$node->safe_psql('postgres', q{
	CREATE EXTENSION plystra;
	SELECT count(*) FROM plystra.audit_maintain();
	INSERT INTO plystra.audit_logs (event_type, target_type, target_id, details)
		SELECT 'user.login.succeeded', 'user', 'user-' || lpad(i::text, 4, '0'), jsonb_build_object('n', i)
		  FROM generate_series(1, 1000) i;
});
is($node->safe_psql('postgres', 'SELECT plystra.audit_seal()'), '1000', 'the rows are sealed');
my $head = $node->safe_psql('postgres', 'SELECT plystra.audit_head()');
my ($id, $file) = split /\|/, $node->safe_psql('postgres', q{
	SELECT id, pg_relation_filepath(tableoid) FROM plystra_data.audit_logs WHERE target_id = 'user-0777'});

# the table's file edited while the server is down: one row's target_id,
# the same number of bytes
$node->safe_psql('postgres', 'CHECKPOINT');
$node->stop;
PostgreSQL::Test::Utils::system_or_bail('pg_checksums', '--disable', '--pgdata', $node->data_dir)
  if $checksums eq 'on';
my $path = $node->data_dir . "/$file";
open(my $in, '<:raw', $path) or die "open $path: $!";
my $bytes = do { local $/; <$in> };
close($in);
is(scalar(() = $bytes =~ /user-0777/g), 1, 'the row is in the file once');
$bytes =~ s/user-0777/user-0666/;
open(my $out, '>:raw', $path) or die "open $path: $!";
print $out $bytes;
close($out);
$node->start;

is($node->safe_psql('postgres', "SELECT target_id FROM plystra_data.audit_logs WHERE id = $id"),
	'user-0666', 'the row reads as edited');
my $lo = $id - ($id - 1) % 256;
is($node->safe_psql('postgres', q{SELECT string_agg(seal_id || ' ' || first_id || ' ' || last_id || ' ' || problem, '; ')
								   FROM plystra.audit_verify()}),
	"1 $lo " . ($lo + 255 < 1000 ? $lo + 255 : 1000) . ' row changed',
	'audit_verify() names the change, in its block of 256 ids');
is($node->safe_psql('postgres', "SELECT plystra.audit_verify_head('$head')"), 't',
	'the seals themselves are untouched: the log extends the head');
is($node->safe_psql('postgres', q{SELECT status FROM plystra.doctor() WHERE "check" = 'audit seals'}), 'ok',
	'doctor() reads the seals, not the rows: audit_verify() is what reads them');

# a crash while a seal waits for a writer in flight
my $writer = $node->background_psql('postgres', on_error_stop => 0);
$writer->query_safe('BEGIN');
$writer->query_safe(q{INSERT INTO plystra.audit_logs (event_type, target_id) VALUES ('user.login.failed', 'in flight')});
my $sealer = $node->background_psql('postgres', on_error_stop => 0);
$sealer->query_until(qr/sealing/, q{\echo sealing
SELECT plystra.audit_seal();
});
ok($node->poll_query_until('postgres', q{
	SELECT count(*) > 0 FROM pg_stat_activity
	 WHERE query LIKE 'SELECT plystra.audit_seal()%' AND wait_event = 'virtualxid'}),
	'the seal waits for the writer in flight');
$node->stop('immediate');
eval { $writer->quit; };
eval { $sealer->quit; };
$node->start;
is($node->safe_psql('postgres', q{SELECT count(*) FROM plystra_data.audit_seals}), '1',
	'the seal under way when the server crashed left nothing');
is($node->safe_psql('postgres', 'SELECT plystra.audit_head()'), $head, 'the head is the one before');
is($node->safe_psql('postgres', q{SELECT count(*) FROM plystra_data.audit_logs WHERE target_id = 'in flight'}), '0',
	'nor is the row in flight there');
$node->safe_psql('postgres', q{INSERT INTO plystra.audit_logs (event_type, target_id) VALUES ('user.login.failed', 'after')});
is($node->safe_psql('postgres', 'SELECT plystra.audit_seal()'), '1', 'the next seal carries on');
is($node->safe_psql('postgres', q{SELECT string_agg(problem, ', ') FROM plystra.audit_verify()}), 'row changed',
	'verification still names the edited row, and nothing else');

$node->stop;
done_testing();
