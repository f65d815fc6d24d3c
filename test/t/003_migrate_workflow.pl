# test/t/003_migrate_workflow.pl
#
# A real client workflow: a directory of 22 migration files (DO blocks,
# functions with nested dollar quoting, enum changes, ALTER TABLE, data
# updates, unqualified names) applied with test/apply_migrations.sh, a shell
# loop that hands each file to psql as a variable.  The result must equal
# applying the same files with psql -1 -f; a second run applies nothing; an
# edited file is refused and changes nothing; a file converted to CRLF, or
# saved with a byte order mark, is still 'already applied'.
use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Copy qw(copy);
use File::Path qw(make_path);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $testdir = abs_path(dirname(__FILE__));
my $fixtures = "$testdir/../fixtures/shop_migrations";
my $apply = "$testdir/../apply_migrations.sh";
my @files = sort { $a cmp $b } glob("$fixtures/*.sql");
cmp_ok(scalar(@files), '>=', 20, 'at least 20 migration files');

my $node = PostgreSQL::Test::Cluster->new('workflow');
$node->init;
$node->start;

foreach my $db (qw(migrated reference))
{
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, 'CREATE SCHEMA shop');
	$node->safe_psql($db, "ALTER DATABASE $db SET search_path = shop");
}
$node->safe_psql('migrated', 'CREATE EXTENSION plystra');

# run the loop over a directory; returns (exit code, stdout, stderr)
sub apply_dir
{
	my ($dir) = @_;
	my ($stdout, $stderr) = ('', '');
	my $rc = IPC::Run::run([ 'bash', $apply, 'shop', $dir,
		'-h', $node->host, '-p', $node->port, '-d', 'migrated' ],
		'>', \$stdout, '2>', \$stderr);
	return ($rc, $stdout, $stderr);
}

# schema of shop and its rows, timestamps left out
sub state_of
{
	my ($db) = @_;
	my $schema = $node->safe_psql($db, q{
		SELECT string_agg(kind || ' ' || what, E'\n' ORDER BY kind, what) FROM (
		  SELECT 'column' AS kind, c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
				 || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
				 || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '') AS what
			FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
			LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
		   WHERE n.nspname = 'shop'
		  UNION ALL
		  SELECT 'constraint', conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
			FROM pg_constraint WHERE connamespace = 'shop'::regnamespace
		  UNION ALL
		  SELECT 'index', pg_get_indexdef(indexrelid)
			FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
		   WHERE c.relnamespace = 'shop'::regnamespace
		  UNION ALL
		  SELECT 'function', p.oid::regprocedure || ' ' || md5(pg_get_functiondef(p.oid))
			FROM pg_proc p WHERE p.pronamespace = 'shop'::regnamespace
		  UNION ALL
		  SELECT 'trigger', pg_get_triggerdef(t.oid)
			FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
		   WHERE c.relnamespace = 'shop'::regnamespace AND NOT t.tgisinternal
		  UNION ALL
		  SELECT 'view', c.relname || ' ' || pg_get_viewdef(c.oid)
			FROM pg_class c WHERE c.relnamespace = 'shop'::regnamespace AND c.relkind = 'v'
		  UNION ALL
		  SELECT 'enum', t.typname || ' ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
			FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
		   WHERE t.typnamespace = 'shop'::regnamespace GROUP BY t.typname
		  UNION ALL
		  SELECT 'comment', obj_description(p.oid, 'pg_proc')
			FROM pg_proc p WHERE p.pronamespace = 'shop'::regnamespace
			 AND obj_description(p.oid, 'pg_proc') IS NOT NULL) f});
	my @tables = split /\n/, $node->safe_psql($db, q{
		SELECT relname FROM pg_class
		 WHERE relnamespace = 'shop'::regnamespace AND relkind = 'r' ORDER BY 1});
	my $rows = '';
	foreach my $t (@tables)
	{
		$rows .= "$t: " . $node->safe_psql($db, qq{
			SELECT count(*) || ' ' || coalesce(md5(string_agg(j::text, ',' ORDER BY j::text)), '')
			  FROM (SELECT to_jsonb(t) - ARRAY(
					  SELECT attname::text FROM pg_attribute
					   WHERE attrelid = 'shop.$t'::regclass
						 AND atttypid = 'timestamptz'::regtype) AS j
					  FROM shop.$t t) s}) . "\n";
	}
	return "$schema\n$rows";
}

sub history
{
	return $node->safe_psql('migrated', q{
		SELECT string_agg(name || ' ' || checksum, E'\n' ORDER BY name)
		  FROM plystra.schema_migrations WHERE component = 'shop'});
}

# 1. apply with the loop
my ($rc, $out, $err) = apply_dir($fixtures);
ok($rc, 'the loop applies every migration') or diag($err);
my @applied = grep { / applied$/ && !/already applied$/ } split /\n/, $out;
is(scalar(@applied), scalar(@files), 'each file reported applied');
like($out, qr/\A0001_create_customers applied\n0002_create_products applied\n/,
	'in lexicographic order');

# 2. the same files with psql -1 -f
foreach my $f (@files)
{
	$node->command_ok([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-1',
		'-h', $node->host, '-p', $node->port, '-d', 'reference', '-f', $f ],
		"psql -1 -f $f");
}
my $migrated = state_of('migrated');
like($migrated, qr/function (shop\.)?order_total\(bigint\)/, 'the state covers functions');
like($migrated, qr/order_lines: 9 /, 'and rows');
is($migrated, state_of('reference'), 'migrate() gives what psql -1 -f gives');

# checksums recorded are those of the files
is($node->safe_psql('migrated', qq{
	SELECT count(*) FROM plystra.schema_migrations
	 WHERE component = 'shop'
	   AND checksum = plystra.migration_checksum(pg_read_file('$fixtures/' || name || '.sql'))}),
	scalar(@files), 'each recorded checksum is its file\'s');

# 3. a second run applies nothing
my $history = history();
($rc, $out, $err) = apply_dir($fixtures);
ok($rc, 'the second run succeeds');
is(scalar(grep { /already applied$/ } split /\n/, $out), scalar(@files),
	'every file already applied');
is(state_of('migrated'), $migrated, 'the second run changes nothing');

# 4. an edited file is refused and changes nothing
my $edited = PostgreSQL::Test::Utils::tempdir();
copy($_, $edited) foreach @files;
my $victim = "$edited/0008_customer_phone.sql";
my $text = slurp_file($victim);
$text =~ s/\+1-555-0100/+1-555-0199/;
open(my $fh, '>', $victim) or die $!;
print $fh $text;
close $fh;
($rc, $out, $err) = apply_dir($edited);
ok(!$rc, 'the loop stops at the edited file');
like($err, qr/migration "0008_customer_phone" of component "shop" was applied with a different text\nDETAIL:  It was applied with checksum sha256:[0-9a-f]{64}; this script has checksum sha256:[0-9a-f]{64}/,
	'naming both checksums');
unlike($out, qr/^0009/m, 'nothing after it runs');
is(state_of('migrated'), $migrated, 'the edited file changes nothing');
is(history(), $history, 'nor the history');

# 5. the same files with CRLF line ends and a byte order mark
my $windows = PostgreSQL::Test::Utils::tempdir();
foreach my $f (@files)
{
	my $content = slurp_file($f);
	$content =~ s/\n/\r\n/g;
	$content = "\xEF\xBB\xBF" . $content if $f =~ /0010_/;
	(my $base = $f) =~ s{.*/}{};
	open(my $out_fh, '>:raw', "$windows/$base") or die $!;
	print $out_fh $content;
	close $out_fh;
}
isnt(slurp_file("$windows/0010_audit_trigger.sql"), slurp_file("$fixtures/0010_audit_trigger.sql"),
	'the converted files differ in bytes');
($rc, $out, $err) = apply_dir($windows);
ok($rc, 'the converted files are accepted') or diag($err);
is(scalar(grep { /already applied$/ } split /\n/, $out), scalar(@files),
	'every converted file is already applied');
is(state_of('migrated'), $migrated, 'and nothing changed');

$node->stop;
done_testing();
