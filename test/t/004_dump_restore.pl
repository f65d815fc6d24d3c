# test/t/004_dump_restore.pl
#
# pg_dump and restore of a database that uses plystra, in plain format
# through psql, in custom format through pg_restore and pg_restore --jobs 2,
# and a data-only restore into a database with the extension: every row
# comes back (seed rows once, soft-deleted rows, audit rows, the whole
# migration history with its original times), sequences continue after
# their last value, access given with grant_access() survives, and the
# catalog equals a fresh install's.
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

my $node = PostgreSQL::Test::Cluster->new('dump');
$node->init;
$node->start;
my $tempdir = PostgreSQL::Test::Utils::tempdir();

$node->safe_psql('postgres', 'CREATE ROLE app_reader');
$node->safe_psql('postgres', 'CREATE DATABASE src');
$node->safe_psql('src', "CREATE EXTENSION plystra VERSION '1.0'");
$node->safe_psql('src', $data_1_0);
$node->safe_psql('src', 'ALTER EXTENSION plystra UPDATE');
$node->safe_psql('src', 'SELECT count(*) FROM plystra.audit_maintain()');
$node->safe_psql('src', q{
	CREATE SCHEMA app;
	SET search_path = app;
	SELECT plystra.migrate('app', '0001_init', 'CREATE TABLE notes (id int PRIMARY KEY, body text)');
	SELECT plystra.migrate('app', '0002_seed', 'INSERT INTO notes VALUES (1, ''kept'')');
	CREATE TABLE ledger (id int PRIMARY KEY, amount int);
	INSERT INTO ledger VALUES (1, 10), (2, -3);
	SELECT plystra.make_append_only('app.ledger');
	CREATE TABLE journal (id bigint GENERATED ALWAYS AS IDENTITY, at timestamptz NOT NULL, what text)
		PARTITION BY RANGE (at);
	CREATE TABLE journal_2026_11 PARTITION OF journal FOR VALUES FROM ('2026-11-01') TO ('2026-12-01');
	INSERT INTO journal (at, what) VALUES ('2026-11-02', 'opened');
	SELECT plystra.make_append_only('app.journal');
	CREATE TABLE journal_2026_12 PARTITION OF journal FOR VALUES FROM ('2026-12-01') TO ('2027-01-01');
	INSERT INTO journal (at, what) VALUES ('2026-12-02', 'posted');
	SELECT plystra.grant_access('app_reader', 'application');
	INSERT INTO plystra.users (email) VALUES ('late@acme.test');
});
# the audit log sealed: a restore keeps the seals, verification clean and
# the head as it was
$node->safe_psql('src', 'SELECT plystra.audit_seal()');
my $head = $node->safe_psql('src', 'SELECT plystra.audit_head()');
like($head, qr/^plystra-audit-head:v1:\d+:\d+:[0-9a-f]{64}$/, 'the source has an audit head');
is($node->safe_psql('src', 'SELECT count(*) FROM plystra.audit_verify()'), '0', 'and its seals verify');
# the partitions of the audit log, their bounds, and their guards: the
# table audit_logs was in 1.0 (its first partition, with rows) is dumped
# as an ordinary table, and attached again by the restore
my $audit_partitions_sql = q{
	SELECT string_agg(c.relname || ' ' || pg_get_expr(c.relpartbound, c.oid)
					  || ' registered ' || coalesce(r.builtin::text, 'no')
					  || ' guards ' || (SELECT string_agg(t.tgfoid::regproc || '/' || t.tgtype || '/' || t.tgenabled::text,
														  ' ' ORDER BY t.tgfoid::regproc::text, t.tgtype)
										  FROM pg_trigger t
										 WHERE t.tgrelid = c.oid AND t.tgfoid::regproc::text LIKE 'plystra.%')
					  || ' rows ' || (xpath('//n/text()', query_to_xml('SELECT count(*) AS n FROM ' || c.oid::regclass, false, false, '')))[1]::text,
					  E'\n' ORDER BY c.relname)
	  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
	  LEFT JOIN plystra.append_only_tables() r ON r.relation = c.oid
	 WHERE i.inhparent = 'plystra_data.audit_logs'::regclass};
my $audit_partitions = $node->safe_psql('src', $audit_partitions_sql);
like($audit_partitions, qr/^audit_logs_initial FOR VALUES FROM \(MINVALUE\) TO .* registered true guards .* rows [1-9]/m,
	'the source has the first partition of the audit log, with rows');

$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('fresh', 'CREATE EXTENSION plystra');

# every table of plystra_data, every column, and every sequence position.
# Built-in rows are written anew by CREATE EXTENSION, and dated with the
# original time of their migration; the extension's own entries in the
# registry of append-only tables are not, their protected_at is the
# restore's.  Of the manifest, what the installed version defines (CREATE
# EXTENSION records it again; the manifests of the versions a database was
# updated through are not dumped).
sub fingerprint
{
	my ($db) = @_;
	my @tables = split /\n/, $node->safe_psql($db, q{
		SELECT relname FROM pg_class
		 WHERE relnamespace = 'plystra_data'::regnamespace AND relkind = 'r' ORDER BY 1});
	my $fp = '';
	foreach my $t (@tables)
	{
		$fp .= "$t " . $node->safe_psql($db, qq{
			SELECT count(*) || ' ' || coalesce(md5(string_agg(r::text, ',' ORDER BY r::text)), '')
			  FROM (SELECT CASE WHEN (to_jsonb(t)->>'builtin')::boolean
								THEN to_jsonb(t) - 'protected_at'
								ELSE to_jsonb(t) END AS r
					  FROM plystra_data.$t t
					 WHERE '$t' <> 'manifest' OR to_jsonb(t)->>'version' =
						   (SELECT extversion FROM pg_extension WHERE extname = 'plystra')) s}) . "\n";
	}
	$fp .= $node->safe_psql($db, q{
		SELECT string_agg(sequencename || '=' || coalesce(last_value, 0), ' ' ORDER BY sequencename)
		  FROM pg_sequences WHERE schemaname = 'plystra_data'});
	return $fp;
}

# the catalog without privileges and history, which a fresh install lacks
sub catalog
{
	my ($db) = @_;
	return join("\n", grep { !/^(history|relation|column|schema) \| / } split /\n/,
		$node->safe_psql($db, $snapshot_sql));
}

my $before = fingerprint('src');
like($before, qr/^schema_migrations 21 /m, 'the source has its history');
like($before, qr/^users 5 /m, 'and its users, soft-deleted one included');
my $history = $node->safe_psql('src', q{
	SELECT string_agg(component || '/' || name || ' ' || checksum || ' ' || applied_at || ' '
					  || applied_by || ' ' || execution_time || ' ' || extension_version,
					  E'\n' ORDER BY component, name)
	  FROM plystra.schema_migrations});

$node->command_ok([ 'pg_dump', '-h', $node->host, '-p', $node->port,
	'-Fp', '-f', "$tempdir/src.plain", 'src' ], 'pg_dump, plain format');
$node->command_ok([ 'pg_dump', '-h', $node->host, '-p', $node->port,
	'-Fc', '-f', "$tempdir/src.custom", 'src' ], 'pg_dump, custom format');
$node->command_ok([ 'pg_dump', '-h', $node->host, '-p', $node->port,
	'-Fc', '--data-only', '-f', "$tempdir/src.data", 'src' ], 'pg_dump, data only');

foreach my $format ('plain', 'custom', 'parallel', 'data_only')
{
	my $db = "restored_$format";
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	if ($format eq 'plain')
	{
		$node->command_ok([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1',
			'-h', $node->host, '-p', $node->port, '-d', $db, '-f', "$tempdir/src.plain" ],
			'restore with psql, stopping at any error');
	}
	elsif ($format eq 'custom')
	{
		$node->command_ok([ 'pg_restore', '--exit-on-error',
			'-h', $node->host, '-p', $node->port, '-d', $db, "$tempdir/src.custom" ],
			'restore with pg_restore, stopping at any error');
	}
	elsif ($format eq 'parallel')
	{
		# parallel workers load the extension's tables in any order: foreign
		# keys are not checked in replica mode, the guards still fire
		local $ENV{PGOPTIONS} = '-c session_replication_role=replica';
		$node->command_ok([ 'pg_restore', '--exit-on-error', '--jobs', '2',
			'-h', $node->host, '-p', $node->port, '-d', $db, "$tempdir/src.custom" ],
			'restore with pg_restore --jobs 2 in replica mode');
	}
	else
	{
		# into a database that has the extension and the rest of the schema
		$node->command_ok([ 'pg_restore', '--exit-on-error', '--schema-only',
			'-h', $node->host, '-p', $node->port, '-d', $db, "$tempdir/src.custom" ],
			'schema-only restore first');
		$node->command_ok([ 'pg_restore', '--exit-on-error', '--data-only',
			'-h', $node->host, '-p', $node->port, '-d', $db, "$tempdir/src.data" ],
			'data-only restore into a database with the extension');
	}

	is(fingerprint($db), $before, "$format: every row and sequence position is back");
	is($node->safe_psql($db, q{
		SELECT string_agg(component || '/' || name || ' ' || checksum || ' ' || applied_at || ' '
						  || applied_by || ' ' || execution_time || ' ' || extension_version,
						  E'\n' ORDER BY component, name)
		  FROM plystra.schema_migrations}),
		$history, "$format: the migration history, original times included");
	is($node->safe_psql($db, q{SELECT count(*) FROM plystra.roles WHERE key = 'finance_reviewer'}),
		'1', "$format: the seed role exists once");
	is($node->safe_psql($db, q{SELECT count(*) FROM plystra.migrate_verify()}),
		'0', "$format: migrate_verify is clean");
	is(catalog($db), catalog('fresh'), "$format: the catalog equals a fresh install's");
	is($node->safe_psql($db, q{SELECT string_agg("check" || ' ' || status, ', ') FROM plystra.doctor() WHERE status <> 'ok'}),
		'', "$format: doctor is clean");
	is($node->safe_psql($db, $audit_partitions_sql), $audit_partitions,
		"$format: the audit log's partitions come back with their bounds, rows and guards");
	is($node->safe_psql($db, 'SELECT count(*) FROM plystra.audit_verify()'), '0',
		"$format: the audit seals verify");
	is($node->safe_psql($db, 'SELECT plystra.audit_head()'), $head, "$format: the audit head is the source's");
	my ($truncated) = $node->psql($db, 'TRUNCATE plystra_data.audit_logs_initial');
	isnt($truncated, 0, "$format: and its first partition cannot be truncated");
	is($node->safe_psql($db, q{
		SELECT string_agg(role || ' ' || access, ', ') || ' '
			   || has_table_privilege('app_reader', 'plystra.users', 'SELECT, INSERT, UPDATE, DELETE')
			   || ' ' || has_table_privilege('app_reader', 'plystra.user_allowed_groups', 'SELECT')
			   || ' ' || has_table_privilege('app_reader', 'plystra.audit_logs', 'UPDATE')
		  FROM plystra.access}),
		'app_reader application true true false',
		"$format: the recorded access and the privileges it gave survive");
	is($node->safe_psql($db, q{SELECT body FROM app.notes}), 'kept',
		"$format: the application's own data is back");
	is($node->safe_psql($db, q{
		INSERT INTO plystra.users (email) VALUES ('after@acme.test')
		RETURNING id > (SELECT max(id) FROM plystra_data.users WHERE email <> 'after@acme.test')}),
		't', "$format: sequences continue after the restored rows");
	is($node->safe_psql($db, q{SELECT plystra.migrate('app', '0002_seed', 'INSERT INTO notes VALUES (1, ''kept'')')}),
		'already applied', "$format: restored migrations are not applied again");
	is($node->safe_psql($db, q{
		SELECT string_agg(tgname || '=' || tgenabled::text, ' ' ORDER BY tgname) FROM pg_trigger
		 WHERE tgrelid = 'app.ledger'::regclass}),
		'plystra_append_only=A plystra_append_only_truncate=A',
		"$format: an append-only table of one's own keeps its guard");
	my ($ret) = $node->psql($db, 'DELETE FROM app.ledger');
	isnt($ret, 0, "$format: and its rows stay append-only");
	is($node->safe_psql($db, q{SELECT count(*) FROM plystra.append_only_tables() WHERE relation = 'app.ledger'::regclass}),
		'1', "$format: and it is registered");
	is($node->safe_psql($db, q{
		SELECT string_agg(c.relname || ':' || (SELECT string_agg(t.tgname || '=' || t.tgenabled::text, ' ' ORDER BY t.tgname)
												 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname LIKE 'plystra_%')
						  || ':' || (SELECT count(*) FROM plystra.append_only_tables() r WHERE r.relation = c.oid),
						  ', ' ORDER BY c.relname)
		  FROM pg_class c WHERE c.relnamespace = 'app'::regnamespace AND c.relname LIKE 'journal%' AND c.relkind IN ('r', 'p')}),
		'journal:plystra_append_only=A plystra_append_only_truncate=A:1, '
		  . 'journal_2026_11:plystra_append_only=A plystra_append_only_truncate=A:1, '
		  . 'journal_2026_12:plystra_append_only=A plystra_append_only_truncate=A:1',
		"$format: a partitioned append-only table comes back with every partition guarded and registered");
	is($node->safe_psql($db, q{SELECT string_agg(what, ',' ORDER BY id) FROM app.journal}), 'opened,posted',
		"$format: with its rows");
	($ret) = $node->psql($db, 'TRUNCATE app.journal_2026_11');
	isnt($ret, 0, "$format: and a partition cannot be truncated");
}

# the source goes on and seals again: a restore of the older dump does not
# extend the newer head (and says so), the source does
$node->safe_psql('src', q{
	INSERT INTO plystra.audit_logs (event_type, target_id) VALUES ('user.login.failed', 'after the dump');
	SELECT plystra.audit_seal();
});
my $newer_head = $node->safe_psql('src', 'SELECT plystra.audit_head()');
isnt($newer_head, $head, 'the source has a newer head');
is($node->safe_psql('src', "SELECT plystra.audit_verify_head('$newer_head') AND plystra.audit_verify_head('$head')"),
	't', 'the source extends both heads');
my (undef, $stdout_h, $stderr_h) = $node->psql('restored_custom', "SELECT plystra.audit_verify_head('$newer_head')");
is($stdout_h, 'f', 'a restore of the older dump does not extend the newer head');
like($stderr_h, qr/the log ends at seal \d+, before the head's seal \d+/, 'saying that the log ends before it');

# a dumped history row from another build is refused, not merged
$node->safe_psql('postgres', 'CREATE DATABASE other_build');
$node->safe_psql('other_build', 'CREATE EXTENSION plystra');
my ($ret, $stdout, $stderr) = $node->psql('other_build', q{
	INSERT INTO plystra_data.schema_migrations
	VALUES ('plystra', '001_finance_demo', 'sha256:' || repeat('e', 64), now(), 'x', '0', '1.0')});
isnt($ret, 0, 'a history row with another checksum is refused');
like($stderr, qr/history row of migration "001_finance_demo" comes from another build of plystra\nDETAIL:  The row has checksum sha256:e{64}; the installed extension applied the migration with checksum/,
	'saying which checksums differ');

$node->stop;
done_testing();
