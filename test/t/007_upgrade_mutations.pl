# test/t/007_upgrade_mutations.pl
#
# The upgrade matrix can fail.  test/mutate_script.pl wrote, for every
# statement of plystra--1.1--1.2.sql and of plystra--1.0--1.1.sql, a mutant
# upgrade script without that statement (installed by test/run.sh, which
# says how many in PLYSTRA_MUTANTS).  Each mutant updates to 1.2 a copy of
# a database at the script's first version holding rows in every table, an
# application role granted as README said (at 1.0, so not on
# user_allowed_groups), default privileges for that role, and built-in rows
# stamped as versions before 1.2 did; the comparison of 001_upgrade_matrix.pl
# (catalog, rows, sequence positions, the manifests) against the same
# database updated by the real scripts must see a difference, or the update
# must fail.  A statement whose loss nothing
# notices is either useless or untested: both are failures here.
use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use POSIX ();

my $expected = $ENV{PLYSTRA_MUTANTS};
plan skip_all => 'mutants are installed by test/run.sh (PLYSTRA_MUTANTS not set)'
  unless defined $expected;

my $testdir = abs_path(dirname(__FILE__));
my $snapshot_sql = slurp_file("$testdir/../catalog_snapshot.sql");
my $rows_sql = slurp_file("$testdir/../rows_snapshot.sql");
my %data = (
	'1.0' => slurp_file("$testdir/../fixtures/data_1_0.sql"),
	'1.1' => slurp_file("$testdir/../fixtures/data_1_1.sql"));
my @builtin_tables = qw(roles permissions role_permissions audit_event_types);

my $node = PostgreSQL::Test::Cluster->new('mutations');
$node->init;
$node->start;
my $sharedir = $node->config_data('--sharedir');

# what the comparison of the upgrade matrix looks at
sub state_of
{
	my ($db) = @_;
	my $state = $node->safe_psql($db, $snapshot_sql) . "\n"
	  . $node->safe_psql($db, "SET rows_snapshot.times = off;\n$rows_sql") . "\n"
	  . $node->safe_psql($db, q{
		SELECT string_agg(version || ' | ' || object_type || ' | ' || object || ' | ' || detail, E'\n'
						  ORDER BY version, object_type, object)
		  FROM plystra_data.manifest});
	# the version a mutant installs is named after it
	$state =~ s/^(extension \| plystra \| version 1\.2)[am]\d+$/$1/m;
	return $state;
}

# A database at version $version as README's recipe of that version left
# it: rows in every table, an application role granted on every interface
# table (but user_allowed_groups, which 1.0 lacked), default privileges
# for that role, and built-in rows stamped as versions before 1.2 did.
sub build_base
{
	my ($db, $version) = @_;
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, "CREATE EXTENSION plystra VERSION '$version'");
	$node->safe_psql($db, $data{$version});
	$node->safe_psql($db, q{
		GRANT USAGE ON SCHEMA plystra TO app;
		GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA plystra TO app;
		ALTER DEFAULT PRIVILEGES IN SCHEMA plystra GRANT SELECT ON TABLES TO app;
		ALTER DEFAULT PRIVILEGES IN SCHEMA plystra GRANT EXECUTE ON FUNCTIONS TO app;
		ALTER DEFAULT PRIVILEGES IN SCHEMA plystra_data GRANT SELECT ON TABLES TO app;
	});
	$node->safe_psql($db, 'REVOKE ALL ON plystra.user_allowed_groups FROM app')
	  if $version eq '1.1';
	# every relationship table holds a row of a deleted parent, whose
	# parents_live the update to 1.2 must set
	$node->safe_psql($db, q{
		UPDATE plystra_data.users SET deleted_at = now() WHERE id = 1;
		UPDATE plystra_data.spaces SET deleted_at = now() WHERE id IN (1, 2);
		UPDATE plystra_data.roles SET deleted_at = now() WHERE id = 1001;
		UPDATE plystra_data.resources SET deleted_at = now() WHERE id = 2;
	});

	# the library of 1.0 and 1.1 let a GRANT of UPDATE and DELETE on the
	# audit log through (today's GRANT guard takes them back at once): a
	# superuser's catalog update leaves what that GRANT left
	$node->safe_psql($db, q{
		UPDATE pg_class
		   SET relacl = array(SELECT a FROM unnest(relacl) a WHERE a::text NOT LIKE 'app=%')
						|| 'app=arwd/postgres'::aclitem
		 WHERE oid = 'plystra.audit_logs'::regclass});
	is($node->safe_psql($db, q{SELECT has_table_privilege('app', 'plystra.audit_logs', 'UPDATE, DELETE')}),
		't', "$version: the database holds UPDATE and DELETE on the audit log");

	# the library of 1.0 and 1.1 stamped built-in rows with the start of the
	# transaction that installed them (today's dates them by migration):
	# with their guard switched off by a superuser's catalog update, for the
	# transaction in between, they get such a stamp
	my $tables = join(',', @builtin_tables);
	foreach my $state ('D', undef, 'A')
	{
		if (defined $state)
		{
			$node->safe_psql($db, qq{
				UPDATE pg_trigger SET tgenabled = '$state'
				 WHERE tgname = 'plystra_builtin_rows'
				   AND tgrelid IN (SELECT ('plystra_data.' || t)::regclass
									 FROM unnest('{$tables}'::text[]) t)});
			next;
		}
		$node->safe_psql($db, join("\n", map {
			"UPDATE plystra_data.$_ SET created_at = '2025-01-01 00:00+00' WHERE builtin;"
		} @builtin_tables));
	}
	like($node->safe_psql($db, "SET rows_snapshot.times = off;\n$rows_sql"),
		qr/^dated plystra_data\.roles 1 undated undated$/m,
		"$version: the database holds built-in rows stamped as before 1.2");
}

# One mutant: updates a copy of the base database with it; returns
# (fails|differs|missed, the statement it lacks, why the update failed).
sub run_mutant
{
	my ($version, $db, $tag, $want) = @_;
	my ($n) = $version =~ /(\d+)$/;
	my $file = $tag eq 'm'
	  ? "$sharedir/extension/plystra--1.1--$version.sql"
	  : "$sharedir/extension/plystra--1.0--1.1$tag$n.sql";
	my ($what) = slurp_file($file) =~ /\A-- mutant \d+ of \S+, without: (.*)$/m;
	$what = substr($what, 0, 120);
	(my $base = $tag eq 'm' ? 'base11' : 'base10');
	my @r;

	$node->safe_psql('postgres', "CREATE DATABASE $db TEMPLATE $base");
	my ($rc, $out, $err) = $node->psql($db, "ALTER EXTENSION plystra UPDATE TO '$version'");
	if ($rc != 0)
	{
		(my $why = $err) =~ s/\n.*//s;
		$why =~ s/\t/ /g;
		@r = ('fails', $what, $why);
	}
	elsif (state_of($db) ne $want)
	{
		@r = ('differs', $what, '');
	}
	else
	{
		@r = ('missed', $what, '');
	}
	$node->safe_psql('postgres', "DROP DATABASE $db");
	return @r;
}

$node->safe_psql('postgres', 'CREATE ROLE app LOGIN');
my @missed;
my $total = 0;

# Each script: the base version, the script, and the tag of its mutants'
# versions: the mutants of 1.1 -> 1.2 are versions 1.2mNNN; those of
# 1.0 -> 1.1 are versions 1.1aNNN, from which a copy of the real 1.1 -> 1.2
# goes on to 1.2aNNN.
foreach my $case ([ '1.1', 'plystra--1.1--1.2.sql', 'm' ], [ '1.0', 'plystra--1.0--1.1.sql', 'a' ])
{
	my ($from, $script, $tag) = @$case;
	(my $base = "base$from") =~ s/\.//;
	build_base($base, $from);
	(my $reference = "reference$from") =~ s/\.//;
	$node->safe_psql('postgres', "CREATE DATABASE $reference TEMPLATE $base");
	$node->safe_psql($reference, 'ALTER EXTENSION plystra UPDATE');
	my $want = state_of($reference);

	my @mutants = split /\n/, $node->safe_psql('postgres', qq{
		SELECT version FROM pg_available_extension_versions
		 WHERE name = 'plystra' AND version ~ '^1\\.2${tag}[0-9]+\$' ORDER BY version});
	ok(@mutants > 0, "mutants of $script are installed");
	$total += @mutants;
	# two mutants at a time, one in a child process (the machine has two
	# cores; each works on a database of its own)
	my @queue = @mutants;
	while (@queue)
	{
		my @batch = splice(@queue, 0, 2);
		my @results;
		my $child;
		my $resultfile = "$PostgreSQL::Test::Utils::tmp_check/mutant_result";
		if (@batch == 2)
		{
			$child = fork();
			die "fork failed: $!" unless defined $child;
			if ($child == 0)
			{
				# never leave through die: the END blocks of the test
				# modules (which stop the cluster) are the parent's
				my @r = eval { run_mutant($batch[1], 'mutant1', $tag, $want) };
				@r = ('error', $batch[1], $@) if $@;
				open(my $fh, '>', $resultfile) or POSIX::_exit(2);
				print $fh join("\t", @r);
				close $fh;
				POSIX::_exit(0);
			}
		}
		push @results, [ run_mutant($batch[0], 'mutant0', $tag, $want) ];
		if (defined $child)
		{
			waitpid($child, 0);
			die "the mutant child failed" if $? != 0;
			push @results, [ split /\t/, slurp_file($resultfile) ];
			unlink $resultfile;
		}
		foreach my $r (@results)
		{
			my ($verdict, $what, $why) = @$r;
			die "mutant $what: $why" if $verdict eq 'error';
			if ($verdict eq 'fails')
			{
				pass("$script without: $what: caught, the update fails ($why)");
			}
			elsif ($verdict eq 'differs')
			{
				pass("$script without: $what: caught, the database differs");
			}
			else
			{
				fail("$script without: $what: NOT caught, nothing differs");
				push @missed, "$script: $what";
			}
		}
	}
}
is($total, $expected, "the $expected mutants test/run.sh installed were run");
is(join("\n", @missed), '', 'every statement of the upgrade scripts is load-bearing');

$node->stop;
done_testing();
