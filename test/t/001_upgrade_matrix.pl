# test/t/001_upgrade_matrix.pl
#
# The upgrade matrix.  For every supported path to the current version the
# resulting database must be identical, catalog and extension history, to a
# fresh CREATE EXTENSION plystra, and a database full of data must keep all
# of it.  Paths to 1.2: fresh 1.2; 1.0 -> 1.2 in one ALTER EXTENSION; 1.0 ->
# 1.1 -> 1.2 in two; 1.1 -> 1.2; and with rows in every table, 1.0 -> 1.1 ->
# 1.2 and 1.1 -> 1.2.  A new version adds its paths here.
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
my $data_1_1 = slurp_file("$testdir/../fixtures/data_1_1.sql");

my $node = PostgreSQL::Test::Cluster->new('matrix');
$node->init;
$node->start;

sub snapshot
{
	my ($db) = @_;
	return $node->safe_psql($db, $snapshot_sql);
}

# Every table of plystra_data that holds users' rows: row count and a digest
# of its rows (built-in rows, which each version's script writes, left out;
# users.allowed_groups too, since 1.1 moves it to user_allowed_groups), and
# every sequence position.
sub fingerprints
{
	my ($db) = @_;
	my @tables = split /\n/, $node->safe_psql($db, q{
		SELECT c.relname FROM pg_class c
		  JOIN pg_namespace n ON n.oid = c.relnamespace
		 WHERE n.nspname = 'plystra_data' AND c.relkind = 'r'
		   AND c.relname NOT IN ('schema_migrations', 'user_allowed_groups', 'manifest',
								 'reference_policies')
		 ORDER BY 1});
	my %fp;
	foreach my $t (@tables)
	{
		$fp{$t} = $node->safe_psql($db, qq{
			SELECT count(*) || ' ' || coalesce(md5(string_agg(r::text, ',' ORDER BY r::text)), '')
			  FROM (SELECT to_jsonb(t) - 'allowed_groups' AS r
					  FROM plystra_data.$t t) s
			 WHERE NOT coalesce((r ->> 'builtin')::boolean, false)});
	}
	$fp{'sequences'} = $node->safe_psql($db, q{
		SELECT string_agg(schemaname || '.' || sequencename || '=' || coalesce(last_value, 0), ' '
						  ORDER BY sequencename)
		  FROM pg_sequences WHERE schemaname = 'plystra_data'});
	return \%fp;
}

# the tables a fingerprint counts no row of
sub empty_tables
{
	my ($fp) = @_;
	return join(' ', sort grep { $_ ne 'sequences' && $fp->{$_} =~ /^0 / } keys %$fp);
}

# the rows of user_allowed_groups, as user:group pairs
sub allowed_links
{
	my ($db) = @_;
	return $node->safe_psql($db, q{
		SELECT string_agg(user_id || ':' || group_id, ' ' ORDER BY user_id || ':' || group_id)
		  FROM plystra_data.user_allowed_groups});
}

sub version_of
{
	my ($db) = @_;
	return $node->safe_psql($db,
		"SELECT extversion FROM pg_extension WHERE extname = 'plystra'");
}

my @paths = qw(fresh from10 from10via11 from11 filled10 filled11);
foreach my $db (@paths, 'control')
{
	$node->safe_psql('postgres', "CREATE DATABASE $db");
}

# fresh 1.2
$node->safe_psql('fresh', 'CREATE EXTENSION plystra');
is(version_of('fresh'), '1.2', 'CREATE EXTENSION plystra installs 1.2');
my $fresh = snapshot('fresh');
like($fresh, qr/^history \| plystra\/015_user_allowed_groups \| sha256:[0-9a-f]{64} 1\.1 /m,
	'the snapshot covers the migration history');
like($fresh, qr/^view \| plystra\.users \| /m, 'the snapshot covers the views');
like($fresh, qr/^trigger \| plystra\.users\.plystra_soft_delete \| A /m,
	'the snapshot covers the enabled state of triggers');

# 1.0 -> 1.2 in one command
$node->safe_psql('from10', "CREATE EXTENSION plystra VERSION '1.0'");
is($node->safe_psql('from10',
	"SELECT count(*) FROM plystra.schema_migrations WHERE component = 'plystra'"),
	'14', '1.0 records migrations 001 to 014');
$node->safe_psql('from10', 'ALTER EXTENSION plystra UPDATE');
is(version_of('from10'), '1.2', '1.0 updates to 1.2');
is(snapshot('from10'), $fresh, '1.0 -> 1.2 is identical to a fresh 1.2');

# 1.0 -> 1.1 -> 1.2 in two commands
$node->safe_psql('from10via11', "CREATE EXTENSION plystra VERSION '1.0'");
$node->safe_psql('from10via11', "ALTER EXTENSION plystra UPDATE TO '1.1'");
$node->safe_psql('from10via11', 'ALTER EXTENSION plystra UPDATE');
is(snapshot('from10via11'), $fresh, '1.0 -> 1.1 -> 1.2 is identical to a fresh 1.2');

# 1.1 -> 1.2
$node->safe_psql('from11', "CREATE EXTENSION plystra VERSION '1.1'");
$node->safe_psql('from11', 'ALTER EXTENSION plystra UPDATE');
is(snapshot('from11'), $fresh, '1.1 -> 1.2 is identical to a fresh 1.2');

# 1.0 -> 1.1 -> 1.2 with rows in every table
$node->safe_psql('filled10', "CREATE EXTENSION plystra VERSION '1.0'");
$node->safe_psql('filled10', $data_1_0);
my $before = fingerprints('filled10');
is(empty_tables($before), '', 'the 1.0 fixture writes rows into every table');
my $arrays = $node->safe_psql('filled10', q{
	SELECT string_agg(DISTINCT u.id || ':' || g, ' ' ORDER BY u.id || ':' || g)
	  FROM plystra_data.users u, unnest(u.allowed_groups) g WHERE g IS NOT NULL});
$node->safe_psql('filled10', "ALTER EXTENSION plystra UPDATE TO '1.1'");
is_deeply(fingerprints('filled10'), $before, 'every row and sequence survives 1.0 -> 1.1');
$node->safe_psql('filled10', 'ALTER EXTENSION plystra UPDATE');
is(snapshot('filled10'), $fresh, '1.0 -> 1.1 -> 1.2 with data is identical to a fresh 1.2');
is_deeply(fingerprints('filled10'), $before, 'every row and sequence survives 1.1 -> 1.2');
is(allowed_links('filled10'), $arrays, 'allowed_groups became user_allowed_groups rows');

# 1.1 -> 1.2 with rows in every table
$node->safe_psql('filled11', "CREATE EXTENSION plystra VERSION '1.1'");
$node->safe_psql('filled11', $data_1_1);
my $before11 = fingerprints('filled11');
is(empty_tables($before11), '', 'the 1.1 fixture writes rows into every table');
my $links = allowed_links('filled11');
$node->safe_psql('filled11', 'ALTER EXTENSION plystra UPDATE');
is(snapshot('filled11'), $fresh, '1.1 -> 1.2 with data is identical to a fresh 1.2');
is_deeply(fingerprints('filled11'), $before11, 'every row and sequence survives 1.1 -> 1.2');
is(allowed_links('filled11'), $links, 'user_allowed_groups survives 1.1 -> 1.2');

# on every path: no drift, an intact history, a clean doctor
foreach my $db (@paths)
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
foreach my $db (grep { $_ ne 'fresh' } @paths)
{
	is($node->safe_psql($db, $manifest), $node->safe_psql('fresh', $manifest),
		"$db records the manifest a fresh 1.2 records");
}

# the comparison can fail: one changed default is seen
$node->safe_psql('control', 'CREATE EXTENSION plystra');
$node->safe_psql('control',
	'ALTER TABLE plystra_data.users ALTER COLUMN display_name DROP DEFAULT');
isnt(snapshot('control'), $fresh, 'a changed default makes the snapshots differ');

$node->stop;
done_testing();
