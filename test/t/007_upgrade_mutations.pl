# test/t/007_upgrade_mutations.pl
#
# The upgrade matrix can fail.  test/mutate_script.pl wrote, for every
# statement of plystra--1.1--1.2.sql, a mutant upgrade script without that
# statement (installed as version 1.2mNNN by test/run.sh, which says how
# many in PLYSTRA_MUTANTS).  Each mutant updates a copy of a 1.1 database
# holding rows in every table, an application role granted as README said
# for 1.0 (so not on user_allowed_groups), default privileges for that
# role, and built-in rows stamped as versions before 1.2 did; the comparison of
# 001_upgrade_matrix.pl (catalog, rows, sequence positions, the manifest of
# 1.2) against the same database updated by the real script must see a
# difference, or the update must fail.  A statement whose loss nothing
# notices is either useless or untested: both are failures here.
use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $expected = $ENV{PLYSTRA_MUTANTS};
plan skip_all => 'mutants are installed by test/run.sh (PLYSTRA_MUTANTS not set)'
  unless defined $expected;

my $testdir = abs_path(dirname(__FILE__));
my $snapshot_sql = slurp_file("$testdir/../catalog_snapshot.sql");
my $rows_sql = slurp_file("$testdir/../rows_snapshot.sql");
my $data_1_1 = slurp_file("$testdir/../fixtures/data_1_1.sql");

my $node = PostgreSQL::Test::Cluster->new('mutations');
$node->init;
$node->start;

# what the comparison of the upgrade matrix looks at
sub state_of
{
	my ($db) = @_;
	my $state = $node->safe_psql($db, $snapshot_sql) . "\n"
	  . $node->safe_psql($db, "SET rows_snapshot.times = off;\n$rows_sql") . "\n"
	  . $node->safe_psql($db, q{
		SELECT string_agg(object_type || ' | ' || object || ' | ' || detail, E'\n'
						  ORDER BY object_type, object)
		  FROM plystra_data.manifest WHERE version = '1.2'});
	# the version a mutant installs is named after it
	$state =~ s/^(extension \| plystra \| version 1\.2)m\d+$/$1/m;
	return $state;
}

# a 1.1 database as README's 1.1 recipe left it
$node->safe_psql('postgres', 'CREATE ROLE app LOGIN');
$node->safe_psql('postgres', 'CREATE DATABASE base');
$node->safe_psql('base', "CREATE EXTENSION plystra VERSION '1.1'");
$node->safe_psql('base', $data_1_1);
$node->safe_psql('base', q{
	GRANT USAGE ON SCHEMA plystra TO app;
	GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA plystra TO app;
	ALTER DEFAULT PRIVILEGES IN SCHEMA plystra GRANT SELECT ON TABLES TO app;
	ALTER DEFAULT PRIVILEGES IN SCHEMA plystra GRANT EXECUTE ON FUNCTIONS TO app;
	ALTER DEFAULT PRIVILEGES IN SCHEMA plystra_data GRANT SELECT ON TABLES TO app;
	-- granted at 1.0, before user_allowed_groups existed, as README said
	REVOKE ALL ON plystra.user_allowed_groups FROM app;
});
# the library of 1.1 let a GRANT of UPDATE and DELETE on the audit log
# through (today's GRANT guard takes them back at once): a superuser's
# catalog update leaves what that GRANT left
$node->safe_psql('base', q{
	UPDATE pg_class
	   SET relacl = array(SELECT a FROM unnest(relacl) a WHERE a::text NOT LIKE 'app=%')
					|| 'app=arwd/postgres'::aclitem
	 WHERE oid = 'plystra.audit_logs'::regclass});
is($node->safe_psql('base', q{SELECT has_table_privilege('app', 'plystra.audit_logs', 'UPDATE, DELETE')}),
	't', 'the 1.1 database holds UPDATE and DELETE on the audit log');

# the library of 1.0 and 1.1 stamped built-in rows with the start of the
# transaction that installed them (today's dates them by migration): with
# their guard switched off by a superuser's catalog update, for the
# transactions in between, they get such a stamp
my @builtin_tables = qw(roles permissions role_permissions audit_event_types);
foreach my $state ('D', undef, 'A')
{
	if (defined $state)
	{
		$node->safe_psql('base', qq{
			UPDATE pg_trigger SET tgenabled = '$state'
			 WHERE tgname = 'plystra_builtin_rows'
			   AND tgrelid IN (SELECT ('plystra_data.' || t)::regclass
								 FROM unnest('{@{[ join(',', @builtin_tables) ]}}'::text[]) t)});
		next;
	}
	$node->safe_psql('base', join("\n", map {
		"UPDATE plystra_data.$_ SET created_at = '2025-01-01 00:00+00' WHERE builtin;"
	} @builtin_tables));
}
like($node->safe_psql('base', "SET rows_snapshot.times = off;\n$rows_sql"),
	qr/^dated plystra_data\.roles 1 undated undated$/m,
	'the 1.1 database holds built-in rows stamped as before 1.2');

$node->safe_psql('postgres', 'CREATE DATABASE reference TEMPLATE base');
$node->safe_psql('reference', 'ALTER EXTENSION plystra UPDATE');
my $reference = state_of('reference');

my @mutants = split /\n/, $node->safe_psql('postgres', q{
	SELECT version FROM pg_available_extension_versions
	 WHERE name = 'plystra' AND version ~ '^1\.2m[0-9]+$' ORDER BY version});
is(scalar(@mutants), $expected, "the $expected mutants of plystra--1.1--1.2.sql are installed");

my $sharedir = $node->config_data('--sharedir');
my @missed;
foreach my $version (@mutants)
{
	my $file = "$sharedir/extension/plystra--1.1--$version.sql";
	my ($what) = slurp_file($file) =~ /\A-- mutant \d+ of \S+, without: (.*)$/m;
	$what = substr($what, 0, 120);

	$node->safe_psql('postgres', 'CREATE DATABASE mutant TEMPLATE base');
	my ($rc, $out, $err) = $node->psql('mutant',
		"ALTER EXTENSION plystra UPDATE TO '$version'");
	if ($rc != 0)
	{
		(my $why = $err) =~ s/\n.*//s;
		pass("$version is caught: the update fails ($why) without: $what");
	}
	elsif (state_of('mutant') ne $reference)
	{
		pass("$version is caught: the database differs without: $what");
	}
	else
	{
		fail("$version is NOT caught: nothing differs without: $what");
		push @missed, $what;
	}
	$node->safe_psql('postgres', 'DROP DATABASE mutant');
}
is(join("\n", @missed), '', 'every statement of the upgrade script is load-bearing');

$node->stop;
done_testing();
