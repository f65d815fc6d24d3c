# test/t/001_upgrade_matrix.pl
#
# The upgrade matrix.  plystra--1.2.sql is written from the current
# definitions (ext/defs/), independently of the upgrade scripts, so that
# comparing a fresh install with an updated database shows what an upgrade
# script forgot.  Every path to 1.2 starts from a database holding rows in
# every table, and must end identical to a fresh 1.2 holding the same rows:
#
#   fresh      CREATE EXTENSION plystra, then the rows (data_1_1.sql), and
#              grant_access(matrix_app, application)
#   from10     1.0 with rows (data_1_0.sql) and README's GRANTs of 1.0 to
#              matrix_app -> 1.1 -> 1.2, two commands
#   direct10   the same 1.0 -> 1.2 in one command
#   from11     1.1 with rows (data_1_1.sql) and README's GRANTs -> 1.2
#
# Roles granted by README's recipes (the application's, a migrator,
# monitoring, an admin, an authenticator) must come out of every path with
# the privileges and recorded access that grant_access() gives on a fresh
# 1.2 (1.0's grants predate user_allowed_groups).  A role that held only a
# part of an access keeps what it had, no more, unrecorded, and doctor
# names it.
# Identical means: the catalog of both schemas (test/catalog_snapshot.sql:
# tables, columns, defaults, constraints, indexes, triggers with enabled
# state and arguments, views with options, functions with settings,
# privileges, comments, extension membership, dump registration, history),
# every row of every table but for the times each database set when it ran
# (timestamps and durations), every sequence position, the manifest of 1.2;
# and drift_check(), migrate_verify() and doctor() clean.  Within each
# database every row survives each update unchanged, times included.
# test/t/007_upgrade_mutations.pl shows that this comparison catches every
# statement an upgrade script forgets.  A new version adds its paths here.
use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $testdir = abs_path(dirname(__FILE__));
my $snapshot_sql = slurp_file("$testdir/../catalog_snapshot.sql");
my $rows_sql = slurp_file("$testdir/../rows_snapshot.sql");
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

# every row of plystra_data, times the database set left out
sub rows
{
	my ($db) = @_;
	return $node->safe_psql($db, "SET rows_snapshot.times = off;\n$rows_sql");
}

# every row, times included, one line each, and every sequence position
sub rows_with_times
{
	my ($db) = @_;
	return $node->safe_psql($db,
		"SET rows_snapshot.times = on; SET rows_snapshot.each_row = on;\n"
		  # the column 1.2 adds to relationship rows (migration 017)
		  . "SET rows_snapshot.without = 'parents_live';\n$rows_sql");
}

# the rows of $before that $after lacks (changed or lost by an update) and
# the sequences it moved back; an update may add rows and tables
sub lost
{
	my ($before, $after) = @_;
	my %now = map { $_ => 1 } split /\n/, $after;
	my %seq = $after =~ /^sequence (\S+) (\d+)$/mg;
	return join("\n", grep {
		/^sequence (\S+) (\d+)$/ ? !defined $seq{$1} || $seq{$1} < $2 : !$now{$_}
	} split /\n/, $before);
}

sub version_of
{
	my ($db) = @_;
	return $node->safe_psql($db,
		"SELECT extversion FROM pg_extension WHERE extname = 'plystra'");
}

my @paths = qw(fresh from10 direct10 from11);
foreach my $db (@paths)
{
	$node->safe_psql('postgres', "CREATE DATABASE $db");
}
$node->safe_psql('postgres', q{
	CREATE ROLE matrix_app LOGIN;
	CREATE ROLE matrix_migrator;
	CREATE ROLE matrix_monitor;
	CREATE ROLE matrix_admin;
	CREATE ROLE matrix_auth;
});

# what README told DBAs to run for their roles before 1.2: the recipes of
# the application, the migrator and the password functions; and roles
# holding every function of monitor and of admin
my $readme_grants = q{
	GRANT USAGE ON SCHEMA plystra TO matrix_app, matrix_migrator, matrix_monitor, matrix_admin, matrix_auth;
	GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA plystra TO matrix_app;
	GRANT EXECUTE ON FUNCTION plystra.migrate(text, text, text, boolean),
		plystra.migration_status(text), plystra.migrate_verify() TO matrix_migrator;
	GRANT EXECUTE ON FUNCTION plystra.doctor(), plystra.drift_check(), plystra.migrate_verify(),
		plystra.migration_status(text) TO matrix_monitor;
	GRANT EXECUTE ON FUNCTION plystra.restore(regclass, bigint), plystra.purge_deleted(regclass, interval),
		plystra.audit_purge(timestamptz) TO matrix_admin;
	GRANT EXECUTE ON FUNCTION plystra.set_password_hash(bigint, text), plystra.password_hash(bigint)
		TO matrix_auth;
};
# in the order the update records them (by role), so that their audit rows
# get the same ids
my $grant_access = q{
	SELECT plystra.grant_access('matrix_admin', 'admin');
	SELECT plystra.grant_access('matrix_app', 'application');
	SELECT plystra.grant_access('matrix_auth', 'authenticator');
	SELECT plystra.grant_access('matrix_migrator', 'migrator');
	SELECT plystra.grant_access('matrix_monitor', 'monitor');
};

# the first update to 1.2 in a cluster creates the role that owns the
# interface views (the upgrade scripts' mutants run where it exists)
$node->safe_psql('postgres', 'CREATE DATABASE first_update');
$node->safe_psql('first_update', "CREATE EXTENSION plystra VERSION '1.1'");
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_roles WHERE rolname = 'plystra_interface'}),
	'0', 'no role owns the interface views before 1.2');
$node->safe_psql('first_update', 'ALTER EXTENSION plystra UPDATE');
is($node->safe_psql('postgres', q{
	SELECT rolcanlogin, rolsuper, rolbypassrls, (SELECT count(*) FROM pg_auth_members WHERE roleid = r.oid)
	  FROM pg_roles r WHERE rolname = 'plystra_interface'}),
	'f|f|f|0', 'the update creates it: NOLOGIN, no superuser, no BYPASSRLS, no members');
$node->safe_psql('postgres', 'DROP DATABASE first_update');

# fresh 1.2 with rows
$node->safe_psql('fresh', 'CREATE EXTENSION plystra');
is(version_of('fresh'), '1.2', 'CREATE EXTENSION plystra installs 1.2');
$node->safe_psql('fresh', $data_1_1);
$node->safe_psql('fresh', $grant_access);
$node->safe_psql('fresh', 'SELECT plystra.audit_seal()');
my $fresh = snapshot('fresh');
my $fresh_rows = rows('fresh');
like($fresh, qr/^history \| plystra\/015_user_allowed_groups \| sha256:[0-9a-f]{64} 1\.1 /m,
	'the snapshot covers the migration history');
like($fresh, qr/^view \| plystra\.users \| /m, 'the snapshot covers the views');
like($fresh, qr/^relation \| plystra\.users \| v p .*plystra_interface$/m,
	'the snapshot covers the owners of views');
like($fresh, qr/^relation \| plystra_data\.users \| r p t t /m,
	'the snapshot covers row-level security');
like($fresh, qr/^policy \| plystra_data\.user_members\.plystra_live \| f \* plystra_interface parents_live /m,
	'the snapshot covers policies');
like($fresh, qr/^trigger \| plystra\.users\.plystra_soft_delete \| A /m,
	'the snapshot covers the enabled state of triggers');
like($fresh_rows, qr/^table plystra_data\.users 4 /m, 'the row snapshot counts rows');
like($fresh_rows, qr/^sequence plystra_data\.users_id_seq 4$/m,
	'the row snapshot covers sequence positions');
unlike($fresh_rows, qr/^table plystra_data\.\S+ 0 /m, 'the fixture writes rows into every table');

# 1.0 -> 1.1 -> 1.2
$node->safe_psql('from10', "CREATE EXTENSION plystra VERSION '1.0'");
$node->safe_psql('from10', $data_1_0);
$node->safe_psql('from10', $readme_grants);
my $before = rows_with_times('from10');
my $arrays = $node->safe_psql('from10', q{
	SELECT string_agg(DISTINCT u.id || ':' || g, ' ' ORDER BY u.id || ':' || g)
	  FROM plystra_data.users u, unnest(u.allowed_groups) g WHERE g IS NOT NULL});
$node->safe_psql('from10', "ALTER EXTENSION plystra UPDATE TO '1.1'");
is($node->safe_psql('from10', q{
	SELECT string_agg(user_id || ':' || group_id, ' ' ORDER BY user_id || ':' || group_id)
	  FROM plystra_data.user_allowed_groups}),
	$arrays, '1.1 turns allowed_groups into user_allowed_groups rows');
my $at11 = rows_with_times('from10');
$node->safe_psql('from10', 'ALTER EXTENSION plystra UPDATE');
is(version_of('from10'), '1.2', '1.0 -> 1.1 -> 1.2 reaches 1.2');
# users lose their column allowed_groups (to user_allowed_groups, above)
is(join("\n", grep { !/^row plystra_data\.users / } split /\n/, lost($before, $at11)), '',
	'from10: every row survives 1.0 -> 1.1, times included');
# audit_logs becomes a partitioned table (migration 018): the table it was
# is its first partition now, and the registry entry of audit_logs is new
sub lost_in_1_2
{
	my ($before, $after) = @_;
	return join("\n", grep { !/^row plystra_data\.append_only_relations \(plystra_data\.audit_logs,/ }
		  split /\n/, lost($before, $after));
}
is(lost_in_1_2($at11, rows_with_times('from10')), '', 'from10: every row survives 1.1 -> 1.2, times included');

# 1.0 -> 1.2 in one command
$node->safe_psql('direct10', "CREATE EXTENSION plystra VERSION '1.0'");
$node->safe_psql('direct10', $data_1_0);
$node->safe_psql('direct10', $readme_grants);
$node->safe_psql('direct10', 'ALTER EXTENSION plystra UPDATE');
is(version_of('direct10'), '1.2', '1.0 -> 1.2 reaches 1.2');

# 1.1 -> 1.2
$node->safe_psql('from11', "CREATE EXTENSION plystra VERSION '1.1'");
$node->safe_psql('from11', $data_1_1);
$node->safe_psql('from11', $readme_grants);
my $before11 = rows_with_times('from11');
$node->safe_psql('from11', 'ALTER EXTENSION plystra UPDATE');
is(lost_in_1_2($before11, rows_with_times('from11')), '', 'from11: every row survives 1.1 -> 1.2, times included');

my $manifest = q{SELECT string_agg(object_type || ' | ' || object || ' | ' || detail, E'\n'
							  ORDER BY object_type, object)
				   FROM plystra_data.manifest WHERE version = '1.2'};
my $fresh_manifest = $node->safe_psql('fresh', $manifest);
foreach my $db (grep { $_ ne 'fresh' } @paths)
{
	$node->safe_psql($db, 'SELECT plystra.audit_seal()');
	is(snapshot($db), $fresh, "$db: the catalog is identical to a fresh 1.2");
	is(rows($db), $fresh_rows, "$db: the rows and sequence positions are those of a fresh 1.2");
	is($node->safe_psql($db, $manifest), $fresh_manifest,
		"$db: the manifest of 1.2 is the one a fresh 1.2 records");
}
foreach my $db (@paths)
{
	is($node->safe_psql($db, q{
		SELECT string_agg(role || ' ' || access, ', ' ORDER BY role) || ' '
			   || has_table_privilege('matrix_app', 'plystra.user_allowed_groups', 'SELECT, INSERT, DELETE')
		  FROM plystra.access}),
		'matrix_admin admin, matrix_app application, matrix_auth authenticator, matrix_migrator migrator, matrix_monitor monitor true',
		"$db: every role's access is recorded, the application's reaches user_allowed_groups");
	is($node->safe_psql($db, 'SELECT count(*) FROM plystra.drift_check()'), '0',
		"$db: drift_check is clean");
	is($node->safe_psql($db, 'SELECT count(*) FROM plystra.migrate_verify()'), '0',
		"$db: migrate_verify is clean");
	# (the audit log's partitions are made by audit_maintain(), never by
	# a script: doctor warns until they are)
	$node->safe_psql($db, 'SELECT count(*) FROM plystra.audit_maintain()');
	is($node->safe_psql($db,
		q{SELECT string_agg("check", ', ') FROM plystra.doctor() WHERE status <> 'ok'}),
		'', "$db: doctor is clean");
}

# roles that hold a part of an access are not given the rest: one that
# reads plystra.users, one that reads and writes it alone, one that purges
# audit rows, one granted README's monitoring recipe (doctor() and
# drift_check())
$node->safe_psql('postgres', q{
	CREATE ROLE matrix_reader;
	CREATE ROLE matrix_users;
	CREATE ROLE matrix_retention;
	CREATE ROLE matrix_watch;
	CREATE DATABASE partial;
});
$node->safe_psql('partial', "CREATE EXTENSION plystra VERSION '1.1'");
$node->safe_psql('partial', q{
	GRANT USAGE ON SCHEMA plystra TO matrix_reader, matrix_users, matrix_retention, matrix_watch;
	GRANT SELECT ON plystra.users TO matrix_reader;
	GRANT SELECT, INSERT, UPDATE, DELETE ON plystra.users TO matrix_users;
	GRANT EXECUTE ON FUNCTION plystra.audit_purge(timestamptz) TO matrix_retention;
	GRANT EXECUTE ON FUNCTION plystra.doctor(), plystra.drift_check() TO matrix_watch;
});
my $partial_acl = q{
	SELECT string_agg(x.what, ', ' ORDER BY x.what)
	  FROM (SELECT a.grantee::regrole || ' ' || c.relname || ' ' || a.privilege_type AS what
			  FROM pg_class c, aclexplode(c.relacl) a
			 WHERE c.relnamespace = 'plystra'::regnamespace AND a.grantee::regrole::text LIKE 'matrix\_%'
			UNION ALL
			SELECT a.grantee::regrole || ' ' || p.proname
			  FROM pg_proc p, aclexplode(p.proacl) a
			 WHERE p.pronamespace = 'plystra'::regnamespace AND a.grantee::regrole::text LIKE 'matrix\_%') x};
# before 1.2 anyone writing event types chose their ids and keys: rows of
# one's own hold an id and a key that 016 adds, and audit rows use them
$node->safe_psql('partial', q{
	INSERT INTO plystra.audit_event_types (id, key) VALUES (14, 'shop.squat'), (2000, 'audit.access_granted');
	INSERT INTO plystra.audit_logs (event_type) VALUES ('shop.squat'), ('audit.access_granted');
});
my $partial_before = $node->safe_psql('partial', $partial_acl);
$node->safe_psql('partial', 'ALTER EXTENSION plystra UPDATE');
is($node->safe_psql('partial', q{
	SELECT string_agg(key || ' ' || (id = 14) || ' ' || (id = 15) || ' ' || builtin, ', ' ORDER BY key)
	  FROM plystra_data.audit_event_types WHERE key IN ('shop.squat', 'audit.access_granted', 'audit.access_revoked')}),
	'audit.access_granted false false true, audit.access_revoked false true true, shop.squat false false false',
	'the update moves a row of one\'s own off the ids it adds and takes over one with its key');
is($node->safe_psql('partial', 'SELECT count(*) FROM plystra_data.audit_logs'), '2',
	'the audit rows that use them stay');
is($node->safe_psql('partial', 'SELECT count(*) FROM plystra.access'), '0',
	'roles holding a part of an access are not recorded with it');
is($node->safe_psql('partial', $partial_acl), $partial_before, 'and keep exactly their privileges');
like($node->safe_psql('partial', q{SELECT status || ': ' || detail FROM plystra.doctor() WHERE "check" = 'access'}),
	qr/^warn: .*matrix_reader: extra SELECT on table plystra\.users.*matrix_retention: extra EXECUTE on function plystra\.audit_purge.*matrix_users: extra DELETE on table plystra\.users.*matrix_watch: extra EXECUTE on function plystra\.doctor\(\)/,
	'doctor names them');

# the comparisons can fail: a changed default, a trigger that fires in
# replica mode only, a view option, a policy, a privilege, one changed row
my $control = 'control';
$node->safe_psql('postgres', "CREATE DATABASE $control TEMPLATE fresh");
foreach my $change (
	'ALTER TABLE plystra_data.users ALTER COLUMN display_name DROP DEFAULT',
	# the DDL guard refuses ENABLE REPLICA TRIGGER and ALTER VIEW ... RESET:
	# a superuser's catalog updates do what they would do
	q{UPDATE pg_trigger SET tgenabled = 'R'
	   WHERE tgrelid = 'plystra_data.spaces'::regclass AND tgname = 'plystra_updated_at'},
	q{UPDATE pg_class SET reloptions = '{security_barrier=true}' WHERE oid = 'plystra.users'::regclass},
	q{UPDATE pg_policy SET polpermissive = true
	   WHERE polrelid = 'plystra_data.members'::regclass AND polname = 'plystra_live'},
	'GRANT SELECT ON plystra.spaces TO PUBLIC')
{
	$node->safe_psql($control, $change);
}
my $changed = snapshot($control);
foreach my $fact ('column \| plystra_data\.users\.display_name',
	'trigger \| plystra_data\.spaces\.plystra_updated_at',
	'relation \| plystra\.users', 'relation \| plystra\.spaces',
	'policy \| plystra_data\.members\.plystra_live')
{
	my ($was) = $fresh =~ /^($fact \|.*)$/m;
	my ($now) = $changed =~ /^($fact \|.*)$/m;
	isnt($now, $was, "the catalog comparison sees a change of $fact");
}
$node->safe_psql($control, q{UPDATE plystra.spaces SET name = 'Acme Corp' WHERE id = 1});
isnt(rows($control), $fresh_rows, 'the row comparison sees one changed row');

$node->stop;
done_testing();
