# test/t/001_upgrade_matrix.pl
#
# The upgrade matrix.  For every supported path to the current version the
# resulting database must be identical, catalog and extension history, to a
# fresh CREATE EXTENSION plystra, and a database full of data must keep all
# of it.  Paths: fresh 1.1; 1.0 -> 1.1 empty; 1.0 -> 1.1 with rows in every
# table.  A new version adds its paths here.
use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $testdir = abs_path(dirname(__FILE__));
my $snapshot_sql = slurp_file("$testdir/../catalog_snapshot.sql");
my $data_1_0 = slurp_file("$testdir/../fixtures/data_1_0.sql");

my $node = PostgreSQL::Test::Cluster->new('matrix');
$node->init;
$node->start;

sub snapshot
{
	my ($db) = @_;
	return $node->safe_psql($db, $snapshot_sql);
}

# Every table of plystra_data: row count and a digest of its rows, with
# users.allowed_groups left out (1.1 moves it to user_allowed_groups).
sub fingerprints
{
	my ($db) = @_;
	my @tables = split /\n/, $node->safe_psql($db, q{
		SELECT c.relname FROM pg_class c
		  JOIN pg_namespace n ON n.oid = c.relnamespace
		 WHERE n.nspname = 'plystra_data' AND c.relkind = 'r'
		   AND c.relname NOT IN ('schema_migrations', 'user_allowed_groups', 'manifest')
		 ORDER BY 1});
	my %fp;
	foreach my $t (@tables)
	{
		$fp{$t} = $node->safe_psql($db, qq{
			SELECT count(*) || ' ' || coalesce(md5(string_agg(r::text, ',' ORDER BY r::text)), '')
			  FROM (SELECT to_jsonb(t) - 'allowed_groups' AS r
					  FROM plystra_data.$t t) s});
	}
	$fp{'sequences'} = $node->safe_psql($db, q{
		SELECT string_agg(schemaname || '.' || sequencename || '=' || coalesce(last_value, 0), ' '
						  ORDER BY sequencename)
		  FROM pg_sequences WHERE schemaname = 'plystra_data'});
	return \%fp;
}

foreach my $db (qw(fresh updated filled control))
{
	$node->safe_psql('postgres', "CREATE DATABASE $db");
}

# fresh 1.1
$node->safe_psql('fresh', 'CREATE EXTENSION plystra');
is($node->safe_psql('fresh',
	"SELECT extversion FROM pg_extension WHERE extname = 'plystra'"),
	'1.1', 'CREATE EXTENSION plystra installs 1.1');
my $fresh = snapshot('fresh');
like($fresh, qr/^history \| plystra\/015_user_allowed_groups \| sha256:[0-9a-f]{64} 1\.1 /m,
	'the snapshot covers the migration history');
like($fresh, qr/^view \| plystra\.users \| /m, 'the snapshot covers the views');

# 1.0 -> 1.1, empty
$node->safe_psql('updated', "CREATE EXTENSION plystra VERSION '1.0'");
is($node->safe_psql('updated',
	"SELECT count(*) FROM plystra.schema_migrations WHERE component = 'plystra'"),
	'14', '1.0 records migrations 001 to 014');
$node->safe_psql('updated', 'ALTER EXTENSION plystra UPDATE');
is(snapshot('updated'), $fresh, '1.0 -> 1.1 is identical to a fresh 1.1');

# 1.0 -> 1.1 with rows in every table
$node->safe_psql('filled', "CREATE EXTENSION plystra VERSION '1.0'");
$node->safe_psql('filled', $data_1_0);
my $before = fingerprints('filled');
is(join(' ', sort grep { $_ ne 'sequences' && $before->{$_} =~ /^0 / } keys %$before),
	'', 'the fixture writes rows into every table');
my $arrays = $node->safe_psql('filled', q{
	SELECT string_agg(DISTINCT u.id || ':' || g, ' ' ORDER BY u.id || ':' || g)
	  FROM plystra_data.users u, unnest(u.allowed_groups) g WHERE g IS NOT NULL});
$node->safe_psql('filled', 'ALTER EXTENSION plystra UPDATE');
is(snapshot('filled'), $fresh, '1.0 -> 1.1 with data is identical to a fresh 1.1');
is_deeply(fingerprints('filled'), $before, 'every row and sequence survives the update');
is($node->safe_psql('filled', q{
	SELECT string_agg(user_id || ':' || group_id, ' ' ORDER BY user_id || ':' || group_id)
	  FROM plystra_data.user_allowed_groups}),
	$arrays, 'allowed_groups became user_allowed_groups rows');

# on every path: no drift, an intact history, a clean doctor
foreach my $db (qw(fresh updated filled))
{
	is($node->safe_psql($db, 'SELECT count(*) FROM plystra.drift_check()'), '0',
		"$db: drift_check is clean");
	is($node->safe_psql($db, 'SELECT count(*) FROM plystra.migrate_verify()'), '0',
		"$db: migrate_verify is clean");
	is($node->safe_psql($db,
		q{SELECT string_agg("check", ', ') FROM plystra.doctor() WHERE status <> 'ok'}),
		'', "$db: doctor is clean");
}
# every path records the same manifest of what each version defines
my $manifest = q{SELECT md5(string_agg(version || object_type || object || detail, ','
							  ORDER BY version, object_type, object))
				   FROM plystra_data.manifest};
is($node->safe_psql('updated', $manifest), $node->safe_psql('fresh', $manifest),
	'1.0 -> 1.1 records the manifest a fresh 1.1 records');
is($node->safe_psql('filled', $manifest), $node->safe_psql('fresh', $manifest),
	'and so does 1.0 -> 1.1 with data');

# the comparison can fail: one changed default is seen
$node->safe_psql('control', 'CREATE EXTENSION plystra');
$node->safe_psql('control',
	'ALTER TABLE plystra_data.users ALTER COLUMN display_name DROP DEFAULT');
isnt(snapshot('control'), $fresh, 'a changed default makes the snapshots differ');

$node->stop;
done_testing();
