# test/t/010_other_extensions.pl
#
# plystra next to the extensions DBAs already run, all in one database:
# pgaudit, pg_cron, pg_repack and pg_partman (Debian packages of the same
# PostgreSQL version).  Each keeps working; pg_cron runs plystra's
# maintenance; pgaudit's session log sees the statements migrate() runs;
# pg_repack rebuilds a soft-delete storage table, and on an append-only
# table it is refused before it changes anything, saying why; pg_partman
# cannot be pointed at a protected table to get around its guard.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('neighbours');
$node->init;
$node->append_conf('postgresql.conf', q{
shared_preload_libraries = 'pgaudit, pg_cron'
cron.database_name = 'postgres'
cron.use_background_workers = on
max_worker_processes = 16
pgaudit.log = 'ddl, write'
});
$node->start;

my ($bindir) = $node->config_data('--bindir');

# create_parent() of pg_partman 4 (PostgreSQL 15 in Debian 12) takes the
# type 'native' and an interval name; pg_partman 5 an interval
sub create_parent_sql
{
	my ($table, $column) = @_;
	my $v = $node->safe_psql('postgres', q{SELECT extversion FROM pg_extension WHERE extname = 'pg_partman'});
	return $v =~ /^4\./
	  ? "SELECT partman.create_parent('$table', '$column', 'native', 'daily')"
	  : "SELECT partman.create_parent('$table', '$column', '1 day')";
}
for my $ext (qw(pgaudit pg_cron pg_repack pg_partman))
{
	my $schema = $ext eq 'pg_partman' ? ' SCHEMA partman' : '';
	$node->safe_psql('postgres', "CREATE SCHEMA IF NOT EXISTS partman") if $schema;
	$node->safe_psql('postgres', "CREATE EXTENSION $ext$schema");
}
$node->safe_psql('postgres', 'CREATE EXTENSION plystra');
is( $node->safe_psql('postgres',
		q{SELECT string_agg(extname, ',' ORDER BY extname) FROM pg_extension WHERE extname <> 'plpgsql'}),
	'pg_cron,pg_partman,pg_repack,pgaudit,plystra',
	'all five extensions in one database');

# some rows: live, soft-deleted, audit
$node->safe_psql('postgres', q{
	INSERT INTO plystra.users (email, display_name)
	SELECT 'user' || g || '@example.test', 'User ' || g FROM generate_series(1, 200) g;
	DELETE FROM plystra.users WHERE id % 10 = 0;
	INSERT INTO plystra.audit_event_types (key) VALUES ('test.event'), ('test.after_repack');
	INSERT INTO plystra.audit_logs (event_type, target_type, target_id)
	SELECT 'test.event', 'user', g FROM generate_series(1, 50) g;
});
my $users_fp = q{SELECT count(*) || '/' || count(*) FILTER (WHERE deleted_at IS NOT NULL) || '/' || md5(string_agg(id || email || coalesce(deleted_at::text, ''), ',' ORDER BY id)) FROM plystra_data.users};
my $audit_fp = q{SELECT count(*) || '/' || md5(string_agg(t::text, ',' ORDER BY id)) FROM plystra_data.audit_logs t};
my $users_before = $node->safe_psql('postgres', $users_fp);
my $audit_before = $node->safe_psql('postgres', $audit_fp);

# pgaudit: the statements migrate() runs are in the session log
my $log_offset = -s $node->logfile;
$node->safe_psql('postgres', q{
	SELECT plystra.migrate('shop', '0001_items', 'CREATE TABLE public.items (id int PRIMARY KEY, name text)');
	SELECT plystra.migrate('shop', '0002_seed', 'INSERT INTO public.items VALUES (1, ''kettle'')');
});
my $log = substr(slurp_file($node->logfile), $log_offset);
like($log, qr/AUDIT: SESSION,\d+,\d+,DDL,CREATE TABLE,TABLE,public\.items,"?CREATE TABLE public\.items/,
	'pgaudit logs the CREATE TABLE run inside migrate()');
like($log, qr/AUDIT: SESSION,\d+,\d+,WRITE,INSERT,/, 'pgaudit logs the INSERT run inside migrate()');

# pg_cron: plystra's maintenance as a scheduled job (pg_cron of
# PostgreSQL 15 schedules by the minute: the test waits for the next one)
$node->safe_psql('postgres', q{
	SELECT cron.schedule('plystra-purge', '* * * * *',
		$$SELECT plystra.purge_deleted('plystra.users', interval '0 seconds')$$)});
ok( $node->poll_query_until('postgres',
		q{SELECT count(*) > 0 FROM cron.job_run_details WHERE status = 'succeeded'}, 't'),
	'pg_cron ran plystra.purge_deleted()');
is($node->safe_psql('postgres', q{SELECT count(*) FROM plystra_data.users WHERE deleted_at IS NOT NULL}),
	'0', 'the scheduled purge removed the soft-deleted rows');
is( $node->safe_psql('postgres',
		q{SELECT count(*) FROM plystra.audit_logs WHERE event_type = 'entity.purged'}),
	'1', 'and recorded the purge in the audit log');
$node->safe_psql('postgres', q{SELECT cron.unschedule('plystra-purge')});
$users_before = $node->safe_psql('postgres', $users_fp);
$audit_before = $node->safe_psql('postgres', $audit_fp);

# pg_repack of a soft-delete storage table: works, rows and triggers kept
my $triggers = q{SELECT string_agg(tgname || ':' || tgenabled::text, ',' ORDER BY tgname) FROM pg_trigger WHERE tgrelid = 'plystra_data.users'::regclass AND NOT tgisinternal};
my $triggers_before = $node->safe_psql('postgres', $triggers);
my ($rc, $out, $err) = run_repack('plystra_data.users');
is($rc, 0, 'pg_repack rebuilds plystra_data.users') or diag($err);
is($node->safe_psql('postgres', $users_fp), $users_before, 'with every row as it was');
is($node->safe_psql('postgres', $triggers), $triggers_before, 'and its triggers, as they were');
$node->safe_psql('postgres', q{DELETE FROM plystra.users WHERE id = 1});
is($node->safe_psql('postgres', q{SELECT deleted_at IS NOT NULL FROM plystra_data.users WHERE id = 1}),
	't', 'soft delete still works after the repack');

# pg_repack of an append-only table: refused before anything changes (a
# partition of the audit log: pg_repack does not take partitioned tables)
$audit_before = $node->safe_psql('postgres', $audit_fp);
($rc, $out, $err) = run_repack('plystra_data.audit_logs_default');
note("pg_repack of plystra_data.audit_logs_default: $err");
isnt($rc, 0, 'pg_repack of plystra_data.audit_logs_default is refused');
like($err, qr/append-only/, 'saying the table is append-only') or diag($err);
like($err, qr/HINT: .*VACUUM FULL or CLUSTER/, 'and what rebuilds it instead');
is($node->safe_psql('postgres', $audit_fp), $audit_before, 'no audit row changed');
($rc, $out, $err) = $node->psql('postgres', q{VACUUM FULL plystra_data.audit_logs_default});
is($rc, 0, 'VACUUM FULL rebuilds the append-only table') or diag($err);
($rc, $out, $err) = $node->psql('postgres', q{CLUSTER plystra_data.audit_logs_default USING audit_logs_default_pkey});
is($rc, 0, 'and so does CLUSTER') or diag($err);
is($node->safe_psql('postgres', $audit_fp), $audit_before, 'without changing a row');
is( $node->safe_psql('postgres',
		q{SELECT count(*) FROM pg_trigger WHERE tgrelid = 'plystra_data.audit_logs_default'::regclass AND tgname LIKE 'repack%'}),
	'0', 'and pg_repack left no trigger of its own on it');
$node->safe_psql('postgres', q{INSERT INTO plystra.audit_logs (event_type) VALUES ('test.after_repack')});
($rc, $out, $err) = $node->psql('postgres', q{UPDATE plystra_data.audit_logs SET event_type = 'x'});
like($err, qr/append-only/, 'the guard still refuses an UPDATE afterwards');

# pg_partman cannot be pointed at a protected table
($rc, $out, $err) = $node->psql('postgres',
	create_parent_sql('plystra_data.audit_logs', 'created_at'));
isnt($rc, 0, 'pg_partman create_parent() on audit_logs fails');
is($node->safe_psql('postgres', q{SELECT count(*) FROM partman.part_config}), '0',
	'and registers nothing');

# nor at an append-only table of one's own, plain
$node->safe_psql('postgres', q{
	CREATE TABLE public.ledger (id bigint PRIMARY KEY, at timestamptz NOT NULL, amount int);
	INSERT INTO public.ledger VALUES (1, now() - interval '3 days', 10), (2, now(), 20);
	SELECT plystra.make_append_only('public.ledger');
});
($rc, $out, $err) = $node->psql('postgres', create_parent_sql('public.ledger', 'at'));
isnt($rc, 0, 'pg_partman create_parent() on an append-only table of one\'s own fails');
($rc, $out, $err) = $node->psql('postgres',
	q{SELECT partman.undo_partition('public.ledger', p_keep_table := false)});
isnt($rc, 0, 'and so does undo_partition()');
is($node->safe_psql('postgres', q{SELECT count(*) || '/' || sum(amount) FROM public.ledger}),
	'2/30', 'no row of it is moved, lost or doubled');
is($node->safe_psql('postgres', q{SELECT count(*) FROM partman.part_config}), '0',
	'and pg_partman registered nothing');

# or partitioned: pg_partman attaches the partitions it makes (ATTACH
# PARTITION is refused on an append-only table) and would drop old ones
$node->safe_psql('postgres', q{
	CREATE TABLE public.journal (id bigint GENERATED ALWAYS AS IDENTITY, at timestamptz NOT NULL, what text)
		PARTITION BY RANGE (at);
	CREATE TABLE public.journal_default PARTITION OF public.journal DEFAULT;
	INSERT INTO public.journal (at, what) VALUES (now() - interval '10 days', 'old'), (now(), 'new');
	SELECT plystra.make_append_only('public.journal');
});
($rc, $out, $err) = $node->psql('postgres', create_parent_sql('public.journal', 'at'));
isnt($rc, 0, 'pg_partman create_parent() on an append-only partitioned table fails');
is($node->safe_psql('postgres', q{
	SELECT string_agg(inhrelid::regclass::text, ',') FROM pg_inherits WHERE inhparent = 'public.journal'::regclass}),
	'journal_default', 'the table keeps its one partition');
is($node->safe_psql('postgres', q{SELECT count(*) FROM public.journal}), '2', 'and its rows');
is($node->safe_psql('postgres', q{SELECT count(*) FROM partman.part_config}), '0',
	'and pg_partman registered nothing');

# pg_partman on a table of one's own keeps working
$node->safe_psql('postgres',
	q{CREATE TABLE public.events (id bigint NOT NULL, at timestamptz NOT NULL) PARTITION BY RANGE (at)});
$node->safe_psql('postgres', create_parent_sql('public.events', 'at'));
$node->safe_psql('postgres', q{INSERT INTO public.events VALUES (1, now())});
is($node->safe_psql('postgres', q{SELECT count(*) FROM public.events}), '1',
	'pg_partman partitions a table of its own');

$node->stop;
done_testing();

sub run_repack
{
	my ($table) = @_;
	my ($stdout, $stderr);
	my $result = IPC::Run::run(
		[
			"$bindir/pg_repack", '-h', $node->host, '-p', $node->port,
			'-d', 'postgres', '-t', $table
		],
		'>', \$stdout, '2>', \$stderr);
	return ($? >> 8, $stdout, $stderr);
}
