# test/t/011_plystractl.pl
#
# plystractl, the installed binary, as a team's deploy job and CI run it:
# migrate up of the shop's 22 migration files, re-runs, an edited file, a
# deleted one, a pending one out of order, CRLF/CR/BOM copies, a failing
# file in the middle, --to and --dry-run, two runs at once; status and
# verify; drift, doctor and upgrade (backup, update, checks, and a failing
# step); --all-databases and --json; libpq's connection options and
# .pgpass; every exit code, and bad input that applies nothing.  The
# checksums plystractl computes are the server's, byte for byte.
use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Copy qw(copy);
use File::Path qw(make_path);
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $testdir = abs_path(dirname(__FILE__));
my $fixtures = "$testdir/../fixtures/shop_migrations";
my @shop = sort { $a cmp $b } map { (split m{/})[-1] } glob("$fixtures/*.sql");
cmp_ok(scalar(@shop), '>=', 20, 'at least 20 migration files');

my $node = PostgreSQL::Test::Cluster->new('plystractl');
$node->init;
$node->start;
my ($bindir) = $node->config_data('--bindir');
my $ctl = "$bindir/plystractl";
ok(-x $ctl, 'plystractl is installed in the PostgreSQL bindir');

# the node's connection for every run of plystractl
$ENV{PGHOST} = $node->host;
$ENV{PGPORT} = $node->port;
delete $ENV{PGDATABASE};

my $tmp = PostgreSQL::Test::Utils::tempdir;

# run plystractl; returns (exit code, stdout, stderr)
sub ctl
{
	my ($out, $err) = ('', '');
	IPC::Run::run([ $ctl, @_ ], '<', \undef, '>', \$out, '2>', \$err);
	return ($? >> 8, $out, $err);
}

# a directory DIR under $tmp holding copies of the shop's files (all, or
# the first N); returns its path
sub shop_dir
{
	my ($name, $n) = @_;
	my $dir = "$tmp/$name";
	make_path($dir);
	my @files = defined $n ? @shop[ 0 .. $n - 1 ] : @shop;
	copy("$fixtures/$_", "$dir/$_") or die "copy $_: $!" for @files;
	return $dir;
}

sub write_file
{
	my ($path, $bytes) = @_;
	open my $fh, '>:raw', $path or die "$path: $!";
	print $fh $bytes;
	close $fh;
}

sub history
{
	my ($db, $component) = @_;
	return $node->safe_psql($db,
		"SELECT string_agg(name, ' ' ORDER BY name COLLATE \"C\") FROM plystra.schema_migrations WHERE component = '$component'");
}

sub count_history
{
	my ($db, $component) = @_;
	return $node->safe_psql($db,
		"SELECT count(*) FROM plystra.schema_migrations WHERE component = '$component'");
}

foreach my $db (qw(app other))
{
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, 'CREATE EXTENSION plystra');
	$node->safe_psql($db, 'SELECT count(*) FROM plystra.audit_maintain()');
	$node->safe_psql($db, 'CREATE SCHEMA shop');
	$node->safe_psql($db, "ALTER DATABASE $db SET search_path = shop");
}
$node->safe_psql('postgres', 'CREATE DATABASE noext');

# --help, --version, usage errors
my ($rc, $out, $err) = ctl('--help');
is($rc, 0, '--help exits 0');
like($out, qr/migrate up --dir DIR.*Exit status/s, '--help shows the commands and the exit codes');
($rc, $out) = ctl('--version');
like($out, qr/^plystractl \(plystra\) \d+\.\d+$/m, '--version');
($rc, $out, $err) = ctl();
is($rc, 64, 'no command: exit 64');
($rc, $out, $err) = ctl('migrate', 'sideways', '-d', 'app');
is($rc, 64, 'unknown command: exit 64');
like($err, qr/unknown command "migrate sideways"/, 'unknown command named');
($rc, $out, $err) = ctl('doctor', '--dir', $tmp, '-d', 'app');
is($rc, 64, 'an option of another command: exit 64');
like($err, qr/--dir and --component: not an option of "doctor"/, 'the misplaced option is named');
($rc, $out, $err) = ctl('migrate', 'up', '-d', 'app');
is($rc, 64, 'migrate up without --dir: exit 64');
($rc, $out, $err) = ctl('doctor', '--no-such-option');
is($rc, 64, 'unknown option: exit 64');
($rc, $out, $err) = ctl('upgrade', '--json', '-d', 'app');
is($rc, 64, 'upgrade --json: exit 64');

# ---- migrate up: the first run, a re-run
my $dir = shop_dir('shop');
($rc, $out, $err) = ctl('migrate', 'up', '--dir', $dir, '-d', 'app');
is($rc, 0, 'migrate up: exit 0') or diag($err);
is(scalar(() = $out =~ /^applied +\d{4}_\w+\.sql \(\d+ ms\)$/mg), scalar(@shop), 'one "applied" line per file');
like($out, qr/^component shop in database app: 22 applied, 0 already applied/m, 'summary');
is(history('app', 'shop'), join(' ', map { s/\.sql$//r } @shop),
	'component defaults to the directory name; names are the file names without .sql; in order');
is($node->safe_psql('app', q{SELECT count(*) FROM plystra.audit_logs WHERE event_type = 'migration.applied'}),
	scalar(@shop), 'one audit row per migration');
is($node->safe_psql('app', q{SELECT count(*) >= 3 FROM shop.customers}), 't', 'the migrations ran (seeded rows)');
unlike($err, qr/\[\d+\/\d+\]/, 'no progress indicator when stderr is not a terminal');

($rc, $out, $err) = ctl('migrate', 'up', '--dir', $dir, '-d', 'app');
is($rc, 0, 're-run: exit 0');
is(scalar(() = $out =~ /^already applied +\d{4}_\w+\.sql$/mg), scalar(@shop), 're-run: every file "already applied"');
is(count_history('app', 'shop'), scalar(@shop), 're-run applies nothing');
($rc, $out, $err) = ctl('migrate', 'up', '--dir', $dir, '-d', 'app', '-q');
is($rc, 0, 're-run with -q: exit 0');
like($out, qr/\Acomponent shop in database app: 0 applied, 22 already applied \([\d.]+ s\)\n\z/,
	'-q: only the summary');

# the same files through the psql loop a team had before give the same
# history: the names and checksums are those of test/apply_migrations.sh
{
	my ($lout, $lerr) = ('', '');
	IPC::Run::run([ 'bash', "$testdir/../apply_migrations.sh", 'shop', $dir, '-d', 'other' ],
		'>', \$lout, '2>', \$lerr) or die "loop: $lerr";
	is( $node->safe_psql('other', q{SELECT string_agg(name || ' ' || checksum, ',' ORDER BY name) FROM plystra.schema_migrations WHERE component = 'shop'}),
		$node->safe_psql('app', q{SELECT string_agg(name || ' ' || checksum, ',' ORDER BY name) FROM plystra.schema_migrations WHERE component = 'shop'}),
		'history of plystractl equals that of the psql loop');
	($rc, $out, $err) = ctl('migrate', 'up', '--dir', $dir, '-d', 'other');
	is($rc, 0, 'plystractl after the psql loop: exit 0');
	like($out, qr/0 applied, 22 already applied/, 'plystractl takes over where the loop left off');
}

# ---- status and verify of a clean directory
($rc, $out, $err) = ctl('migrate', 'status', '--dir', $dir, '-d', 'app');
is($rc, 0, 'status: exit 0');
like($out, qr/^22 migrations: 22 applied, 0 pending, 0 out of order, 0 edited, 0 missing$/m, 'status summary');
($rc, $out, $err) = ctl('migrate', 'verify', '--dir', $dir, '-d', 'app');
is($rc, 0, 'verify of an applied directory: exit 0');
like($out, qr/^ok: component shop in database app: 22 applied, 0 pending/m, 'verify says ok');

# ---- checksums: plystractl's are the server's (CRLF, CR, BOM, large)
{
	my $cdir = "$tmp/checksums";
	make_path($cdir);
	my @lines = map { "INSERT INTO t VALUES ($_, 'ligne $_ \xC3\xA9 \xC3\xBC \xE6\xBC\xA2');" } 1 .. 100;
	my $text = join("\n", @lines) . "\n";
	my $mixed = join('', map { $lines[$_] . ("\n", "\r\n", "\r")[ $_ % 3 ] } 0 .. $#lines);
	my %variants = (
		'lf.sql'   => $text,
		'crlf.sql' => $text =~ s/\n/\r\n/gr,
		'cr.sql'   => $text =~ s/\n/\r/gr,
		'bom.sql'  => "\xEF\xBB\xBF" . $text,
		'mixed.sql' => "\xEF\xBB\xBF" . $mixed,
		'large.sql' => ("-- " . ('x' x 1000) . "\r\n") x 20000 . "SELECT 1;\r\n",
		'empty.sql' => '',
		'crcr.sql' => "SELECT 1;\r\r\n\r",
	);
	write_file("$cdir/$_", $variants{$_}) for keys %variants;
	for my $f (sort keys %variants)
	{
		my ($crc, $cout) = ctl('checksum', "$cdir/$f");
		is($crc, 0, "checksum $f: exit 0");
		my ($client) = $cout =~ /^(sha256:[0-9a-f]{64})  /;
		my $server = $node->safe_psql('app',
			"SELECT plystra.migration_checksum(convert_from(pg_read_binary_file('$cdir/$f'), 'UTF8'))");
		is($client, $server, "checksum of $f: plystractl and migration_checksum() agree");
	}
	my ($c1) = (ctl('checksum', "$cdir/lf.sql"))[1] =~ /^(\S+)/;
	for my $f (qw(crlf.sql cr.sql bom.sql mixed.sql))
	{
		my ($c2) = (ctl('checksum', "$cdir/$f"))[1] =~ /^(\S+)/;
		is($c2, $c1, "$f checksums as the LF file");
	}
	cmp_ok(-s "$cdir/large.sql", '>', 20_000_000, 'the large file has more than 20 MB');
	($rc, $out, $err) = ctl('checksum', "$tmp/no-such-file.sql");
	is($rc, 8, 'checksum of a missing file: exit 8');
}

# a CRLF copy of the directory, saved with byte order marks: still applied
{
	my $win = "$tmp/win/shop";
	make_path($win);
	for my $f (@shop)
	{
		my $bytes = slurp_file("$fixtures/$f");
		write_file("$win/$f", "\xEF\xBB\xBF" . ($bytes =~ s/\n/\r\n/gr));
	}
	isnt(slurp_file("$win/$shop[0]"), slurp_file("$fixtures/$shop[0]"), 'the copy differs byte for byte');
	($rc, $out, $err) = ctl('migrate', 'verify', '--dir', $win, '-d', 'app');
	is($rc, 0, 'verify of a CRLF + BOM copy: exit 0') or diag($out . $err);
	($rc, $out, $err) = ctl('migrate', 'up', '--dir', $win, '-d', 'app');
	is($rc, 0, 'migrate up of the copy: exit 0');
	like($out, qr/0 applied, 22 already applied/, 'the copy is already applied');
	my $mac = "$tmp/mac/shop";
	make_path($mac);
	write_file("$mac/$_", slurp_file("$fixtures/$_") =~ s/\n/\r/gr) for @shop;
	($rc, $out, $err) = ctl('migrate', 'verify', '--dir', $mac, '-d', 'app');
	is($rc, 0, 'verify of a CR copy: exit 0');
}

# ---- an edited file: status shows both checksums, verify and up refuse
# before anything is applied (a new pending file included)
{
	my $ed = shop_dir('edited/shop');
	my $f = "$ed/$shop[4]";
	write_file($f, slurp_file($f) . "\n-- fixed a typo\n");
	write_file("$ed/0099_new_table.sql", "CREATE TABLE shop.new_table (id int);\n");
	my $recorded = $node->safe_psql('app',
		"SELECT checksum FROM plystra.schema_migrations WHERE component = 'shop' AND name = '" . ($shop[4] =~ s/\.sql$//r) . "'");
	my ($file_sum) = (ctl('checksum', $f))[1] =~ /^(\S+)/;
	($rc, $out, $err) = ctl('migrate', 'status', '--dir', $ed, '-d', 'app');
	is($rc, 0, 'status of an edited directory: exit 0 (status only reports)');
	like($out, qr/^edited +\Q${\ ($shop[4] =~ s|\.sql$||r)}\E .*\n +recorded checksum \Q$recorded\E\n +file checksum +\Q$file_sum\E$/m,
		'status: edited, with both checksums');
	like($out, qr/^pending +0099_new_table/m, 'status: the new file is pending');
	($rc, $out, $err) = ctl('migrate', 'verify', '--dir', $ed, '-d', 'app');
	is($rc, 3, 'verify of an edited file: exit 3');
	like($out, qr/^edited +\S+: applied with checksum \Q$recorded\E; file \S+ has checksum \Q$file_sum\E$/m,
		'verify names both checksums');
	like($out, qr/^pending +0099_new_table/m, 'verify lists the pending file');
	($rc, $out, $err) = ctl('migrate', 'verify', '--dir', $ed, '-d', 'app', '--allow-pending');
	is($rc, 3, 'verify --allow-pending of an edited file: still exit 3');
	($rc, $out, $err) = ctl('migrate', 'up', '--dir', $ed, '-d', 'app');
	is($rc, 3, 'migrate up with an edited file: exit 3');
	like($err, qr/was applied with a different text.*\n.*checksum \Q$recorded\E.*\Q$file_sum\E/,
		'migrate up names the edited file and both checksums');
	like($err, qr/nothing was applied/, 'migrate up says nothing was applied');
	is($node->safe_psql('app', q{SELECT to_regclass('shop.new_table') IS NULL}), 't',
		'the pending file after it was not applied');
	is(count_history('app', 'shop'), scalar(@shop), 'the history did not change');

	# JSON of the same
	($rc, $out, $err) = ctl('migrate', 'status', '--dir', $ed, '-d', 'app', '--json');
	is($rc, 0, 'status --json: exit 0');
	my $j = decode_json($out);
	is($j->{database}, 'app', 'status --json: database');
	is($j->{component}, 'shop', 'status --json: component');
	my ($e) = grep { $_->{state} eq 'edited' } @{ $j->{migrations} };
	is($e->{recorded_checksum}, $recorded, 'status --json: the recorded checksum');
	is($e->{checksum}, $file_sum, 'status --json: the file checksum');
	is($j->{counts}{pending}, 1, 'status --json: counts');
	($rc, $out, $err) = ctl('migrate', 'verify', '--dir', $ed, '-d', 'app', '--json');
	is($rc, 3, 'verify --json: exit 3');
	$j = decode_json($out);
	is($j->{ok}, JSON::PP::false, 'verify --json: ok false');
	is_deeply([ sort map { $_->{problem} } @{ $j->{problems} } ], [qw(edited pending)], 'verify --json: problems');
}

# ---- a deleted file: missing; up warns and goes on with what is pending
{
	my $del = shop_dir('deleted/shop');
	unlink("$del/$shop[7]") or die;
	write_file("$del/0100_after_delete.sql", "CREATE TABLE shop.after_delete (id int);\n");
	($rc, $out, $err) = ctl('migrate', 'status', '--dir', $del, '-d', 'other', '--json');
	my $j = decode_json($out);
	my ($m) = grep { $_->{name} eq ($shop[7] =~ s/\.sql$//r) } @{ $j->{migrations} };
	is($m->{state}, 'missing', 'status: a deleted file is missing');
	is($m->{file}, undef, 'status --json: a missing migration has no file');
	($rc, $out, $err) = ctl('migrate', 'verify', '--dir', $del, '-d', 'other');
	is($rc, 3, 'verify with a deleted file: exit 3');
	like($out, qr/^missing +\Q${\ ($shop[7] =~ s|\.sql$||r)}\E: applied on .* by \S+; no file in /m, 'verify: missing');
	($rc, $out, $err) = ctl('migrate', 'up', '--dir', $del, '-d', 'other');
	is($rc, 0, 'migrate up with a deleted file: exit 0');
	like($err, qr/warning: migration \Q${\ ($shop[7] =~ s|\.sql$||r)}\E of component "shop" was applied on .* but has no file/,
		'migrate up warns of the missing file');
	like($out, qr/^applied +0100_after_delete\.sql/m, 'and applies the pending one');
}

# ---- out of order
{
	my $ooo = shop_dir('ooo/shop');
	write_file("$ooo/0000_early.sql", "CREATE TABLE shop.early (id int);\n");
	($rc, $out, $err) = ctl('migrate', 'status', '--dir', $ooo, '-d', 'app');
	like($out, qr/^out of order +0000_early/m, 'status: out of order');
	($rc, $out, $err) = ctl('migrate', 'up', '--dir', $ooo, '-d', 'app');
	is($rc, 3, 'migrate up of an out-of-order file: exit 3');
	like($err, qr/0000_early of component "shop" is pending and sorts before an applied one.*\n.*--allow-out-of-order/,
		'the refusal names the file and the option');
	is($node->safe_psql('app', q{SELECT to_regclass('shop.early') IS NULL}), 't', 'nothing applied');
	($rc, $out, $err) = ctl('migrate', 'up', '--dir', $ooo, '-d', 'app', '--allow-out-of-order');
	is($rc, 0, 'migrate up --allow-out-of-order: exit 0') or diag($err);
	like($out, qr/^applied +0000_early\.sql/m, 'the out-of-order file is applied');
	($rc, $out, $err) = ctl('migrate', 'verify', '--dir', $ooo, '-d', 'app');
	is($rc, 0, 'verify after it: exit 0');
}

# ---- a failing file in the middle; --to; --dry-run
{
	my $mid = "$tmp/mid/billing";
	make_path($mid);
	write_file("$mid/V1_1__invoices.sql", "CREATE TABLE invoices (id int PRIMARY KEY);\n");
	write_file("$mid/V1_2__lines.sql", "CREATE TABLE lines (id int);\n\n-- the column is misspelt\nINSERT INTO lines\n  SELECT idd FROM invoices;\n");
	write_file("$mid/V1_3__payments.sql", "CREATE TABLE payments (id int);\n");
	write_file("$mid/V1_3__payments.down.sql", "DROP TABLE payments;\n");
	write_file("$mid/README.md", "not a migration\n");
	$node->safe_psql('app', 'CREATE SCHEMA billing');

	($rc, $out, $err) = ctl('migrate', 'up', '--dir', $mid, '-d', 'app', '--dry-run');
	is($rc, 0, '--dry-run: exit 0');
	like($out, qr/^would apply +V1_1__invoices\.sql\nwould apply +V1_2__lines\.sql\nwould apply +V1_3__payments\.sql\n/m,
		'--dry-run lists the files in order, *.down.sql and other files left out');
	is(count_history('app', 'billing'), 0, '--dry-run applies nothing');

	local $ENV{PGOPTIONS} = '-c search_path=billing';
	($rc, $out, $err) = ctl('migrate', 'up', '--dir', $mid, '-d', 'app', '--to', 'V1_1__invoices');
	is($rc, 0, '--to: exit 0');
	is(history('app', 'billing'), 'V1_1__invoices', '--to applies up to and including the named migration');

	($rc, $out, $err) = ctl('migrate', 'up', '--dir', $mid, '-d', 'app');
	is($rc, 4, 'a failing migration: exit 4');
	like($err, qr{^\Q$mid\E/V1_2__lines\.sql:4: ERROR:  42703: column "idd" does not exist$}m,
		'the error names the file, the line of the statement and the SQLSTATE');
	like($err, qr/^HINT:  Perhaps you meant to reference the column "invoices\.id"/m, 'the hint');
	like($err, qr/^CONTEXT:  .*migration billing\/V1_2__lines, statement 2 at line 4/m, 'the context');
	like($err, qr/V1_2__lines failed and was rolled back; 1 after it not attempted/, 'what was not attempted');
	like($out, qr/0 applied, 1 already applied, V1_2__lines failed, 1 not attempted/, 'summary of the failure');
	is(history('app', 'billing'), 'V1_1__invoices', 'earlier migrations stay applied, the failing and later ones are not recorded');
	is($node->safe_psql('app', q{SELECT to_regclass('billing.lines') IS NULL AND to_regclass('billing.payments') IS NULL}),
		't', 'nothing of the failing file or the later one exists');

	($rc, $out, $err) = ctl('migrate', 'up', '--dir', $mid, '-d', 'app', '--json');
	is($rc, 4, 'the failure with --json: exit 4');
	my $j = decode_json($out);
	is($j->{error}{sqlstate}, '42703', '--json: the error SQLSTATE');
	is($j->{error}{line}, 4, '--json: the line');
	is($j->{migrations}[-1]{result}, 'failed', '--json: the failed file');
	is($j->{not_attempted}, 1, '--json: not attempted');

	# a syntax error: its line, nothing of the file run
	write_file("$mid/V1_2__lines.sql", "CREATE TABLE lines (id int);\nSELEC 1;\n");
	($rc, $out, $err) = ctl('migrate', 'up', '--dir', $mid, '-d', 'app');
	is($rc, 4, 'a syntax error: exit 4');
	like($err, qr{V1_2__lines\.sql:2: ERROR:  42601: syntax error at or near "SELEC"}, 'a syntax error names its line');

	write_file("$mid/V1_2__lines.sql", "CREATE TABLE lines (id int);\n");
	($rc, $out, $err) = ctl('migrate', 'up', '--dir', $mid, '-d', 'app');
	is($rc, 0, 'after the fix: exit 0');
	is(history('app', 'billing'), 'V1_1__invoices V1_2__lines V1_3__payments', 'all applied in order');
}

# ---- names as real projects write them
{
	my $gm = "$tmp/names/teams";
	make_path($gm);
	write_file("$gm/000001_create_teams.up.sql", "CREATE TABLE public.teams (id int);\n");
	write_file("$gm/000001_create_teams.down.sql", "DROP TABLE public.teams;\n");
	write_file("$gm/000002_1.7.0_schema.up.sql", "ALTER TABLE public.teams ADD COLUMN name text;\n");
	write_file("$gm/000002_1.7.0_schema.down.sql", "ALTER TABLE public.teams DROP COLUMN name;\n");
	write_file("$gm/20240101120000_create_users.sql", "CREATE TABLE public.team_users (id int);\n");
	write_file("$gm/.#000003_editor_lock.sql", "garbage\n");
	($rc, $out, $err) = ctl('migrate', 'up', '--dir', $gm, '-d', 'app');
	is($rc, 0, 'golang-migrate and Rails names: exit 0') or diag($err);
	is(history('app', 'teams'), '000001_create_teams.up 000002_1.7.0_schema.up 20240101120000_create_users',
		'*.up.sql applied under their names, *.down.sql and hidden files skipped');
}

# ---- two migrate up at once: one waits, each file is applied once
{
	my $conc = "$tmp/conc/inventory";
	make_path($conc);
	write_file("$conc/001_slow.sql", "SELECT pg_sleep(2);\nCREATE TABLE public.inv_slow (id int);\n");
	write_file("$conc/002_items.sql", "CREATE TABLE public.inv_items (id int);\n");
	write_file("$conc/003_more.sql", "CREATE TABLE public.inv_more (id int);\n");
	my ($o1, $e1, $o2, $e2) = ('', '', '', '');
	my $h1 = IPC::Run::start([ $ctl, 'migrate', 'up', '--dir', $conc, '-d', 'app' ], '<', \undef, '>', \$o1, '2>', \$e1);
	# the second starts once the first holds the component's lock
	$node->poll_query_until('app',
		q{SELECT count(*) > 0 FROM pg_stat_activity WHERE query LIKE 'SELECT plystra.migrate(%' AND wait_event = 'PgSleep'})
	  or die 'the first run did not start';
	my $h2 = IPC::Run::start([ $ctl, 'migrate', 'up', '--dir', $conc, '-d', 'app' ], '<', \undef, '>', \$o2, '2>', \$e2);
	$node->poll_query_until('app',
		q{SELECT count(*) > 0 FROM pg_stat_activity WHERE query LIKE 'SELECT plystra.migrate(%' AND wait_event_type = 'Lock'})
	  or die 'the second run did not wait';
	pass('the second run waits for the first');
	$h1->finish;
	my $rc1 = $? >> 8;
	$h2->finish;
	my $rc2 = $? >> 8;
	is("$rc1 $rc2", '0 0', 'both runs exit 0') or diag("$e1\n$e2");
	is(count_history('app', 'inventory'), 3, 'each migration recorded once');
	is($node->safe_psql('app', q{SELECT count(*) FROM plystra.audit_logs WHERE event_type = 'migration.applied' AND target_id LIKE 'inventory/%'}),
		3, 'each migration audited once');
	my $applied = () = ($o1 . $o2) =~ /^applied /mg;
	my $already = () = ($o1 . $o2) =~ /^already applied /mg;
	is("$applied $already", '3 3', 'three files applied in all, each reported once applied and once already applied');
	like($o2, qr/^already applied +001_slow\.sql \(by another session meanwhile\)$/m,
		'the waiting run says the file was applied meanwhile');
}

# ---- bad input: a clear message, its exit code, nothing applied
{
	my $before = $node->safe_psql('app', 'SELECT count(*) FROM plystra.schema_migrations');

	($rc, $out, $err) = ctl('migrate', 'up', '--dir', "$tmp/no/such/dir", '-d', 'app');
	is($rc, 8, 'missing directory: exit 8');
	like($err, qr/could not open directory ".*no\/such\/dir": No such file or directory/, 'missing directory: message');

	make_path("$tmp/empty/emptyapp");
	write_file("$tmp/empty/emptyapp/notes.txt", "x\n");
	($rc, $out, $err) = ctl('migrate', 'up', '--dir', "$tmp/empty/emptyapp", '-d', 'app');
	is($rc, 8, 'no migration files: exit 8');
	like($err, qr/no migration files in directory/, 'no migration files: message');

	my $bad = "$tmp/bad/badapp";
	make_path($bad);
	write_file("$bad/0001_ok.sql", "CREATE TABLE public.bad_ok (id int);\n");
	write_file("$bad/0002 with space.sql", "SELECT 1;\n");
	($rc, $out, $err) = ctl('migrate', 'up', '--dir', $bad, '-d', 'app');
	is($rc, 8, 'a bad file name: exit 8');
	like($err, qr/migration name "0002 with space" must not contain whitespace or control characters/, 'bad name: message');
	unlink("$bad/0002 with space.sql");
	write_file("$bad/_0002.sql", "SELECT 1;\n");
	($rc, $out, $err) = ctl('migrate', 'up', '--dir', $bad, '-d', 'app');
	is($rc, 8, 'a name not starting with a letter or digit: exit 8');
	like($err, qr/migration name "_0002" must start with an ASCII letter or digit/, 'bad start: message');
	unlink("$bad/_0002.sql");
	# (a file name has at most 255 bytes, so a migration name is never too
	# long; a component is at most 63)
	($rc, $out, $err) = ctl('migrate', 'up', '--dir', $bad, '--component', 'c' x 64, '-d', 'app');
	is($rc, 8, 'a component too long: exit 8');
	like($err, qr/component "c{64}" is too long\n.*It has 64 bytes; the limit is 63/, 'too long: message');

	write_file("$bad/0002_nul.sql", "SELECT 1;\0SELECT 2;\n");
	($rc, $out, $err) = ctl('migrate', 'up', '--dir', $bad, '-d', 'app');
	is($rc, 8, 'a NUL byte: exit 8');
	like($err, qr/file ".*0002_nul\.sql" contains a NUL byte\n.*At byte 10/, 'NUL byte: message with its offset');
	unlink("$bad/0002_nul.sql");

	write_file("$bad/0002_latin1.sql", "INSERT INTO t VALUES ('caf\xE9');\n");
	($rc, $out, $err) = ctl('migrate', 'up', '--dir', $bad, '-d', 'app');
	is($rc, 8, 'a file not in the database encoding: exit 8');
	like($err, qr/file ".*0002_latin1\.sql" is not valid UTF8\n.*Byte 27 is 0xE9/, 'encoding: message with the byte');
	unlink("$bad/0002_latin1.sql");

	write_file("$bad/0002_secret.sql", "SELECT 1;\n");
	chmod 0000, "$bad/0002_secret.sql";
  SKIP:
	{
		skip 'root reads any file', 2 if -r "$bad/0002_secret.sql";
		($rc, $out, $err) = ctl('migrate', 'up', '--dir', $bad, '-d', 'app');
		is($rc, 8, 'an unreadable file: exit 8');
		like($err, qr/could not open file ".*0002_secret\.sql": Permission denied/, 'unreadable: message');
	}
	unlink("$bad/0002_secret.sql");
	make_path("$bad/0003_dir.sql");
	($rc, $out, $err) = ctl('migrate', 'up', '--dir', $bad, '-d', 'app');
	is($rc, 8, 'a directory named *.sql: exit 8');
	rmdir("$bad/0003_dir.sql");

	($rc, $out, $err) = ctl('migrate', 'up', '--dir', $bad, '--component', 'plystra', '-d', 'app');
	is($rc, 8, '--component plystra: exit 8');
	like($err, qr/component "plystra" is reserved/, 'reserved component: message');
	($rc, $out, $err) = ctl('migrate', 'up', '--dir', $bad, '--component', 'a/b', '-d', 'app');
	is($rc, 8, 'a bad component: exit 8');
	($rc, $out, $err) = ctl('migrate', 'up', '--dir', $bad, '--to', '0009_nope', '-d', 'app');
	is($rc, 8, '--to a migration that is not there: exit 8');
	like($err, qr/--to "0009_nope" is not a migration of directory/, '--to: message');

	($rc, $out, $err) = ctl('migrate', 'up', '--dir', $bad, '-d', 'noext');
	is($rc, 6, 'a database without the extension: exit 6');
	like($err, qr/database "noext" does not have the extension plystra\n.*CREATE EXTENSION plystra/,
		'no extension: message and hint');
	($rc, $out, $err) = ctl('migrate', 'up', '--dir', $bad, '-d', 'app', '-p', '1');
	is($rc, 7, 'no server there: exit 7');
	like($err, qr/connection to server .* failed/, 'connection failure: libpq message');

	is($node->safe_psql('app', 'SELECT count(*) FROM plystra.schema_migrations'), $before,
		'none of the bad inputs applied anything');
	is($node->safe_psql('app', q{SELECT to_regclass('public.bad_ok') IS NULL}), 't',
		'not even the good file of the bad directory');
}

# ---- what the review of plystractl found, each closed
{
	# a file name not valid in the database's encoding: refused before
	# anything is applied
	my $enc = "$tmp/enc/encapp";
	make_path($enc);
	write_file("$enc/0001_ok.sql", "CREATE TABLE public.enc_ok (id int);\n");
	write_file("$enc/0002_caf\xE9.sql", "SELECT 1;\n");
	($rc, $out, $err) = ctl('migrate', 'up', '--dir', $enc, '-d', 'app');
	is($rc, 8, 'a file name not valid UTF-8: exit 8');
	like($err, qr/the name of file ".*" is not valid UTF8/, 'a file name not valid UTF-8: message');
	is(count_history('app', 'encapp'), 0, 'nothing applied before it');

	# a FIFO named *.sql is not read (it would block)
	my $fifo = "$tmp/fifo/fifoapp";
	make_path($fifo);
	write_file("$fifo/0001_ok.sql", "SELECT 1;\n");
	system('mkfifo', "$fifo/0002_pipe.sql") == 0 or die 'mkfifo';
	my ($fout, $ferr) = ('', '');
	IPC::Run::run([ $ctl, 'migrate', 'up', '--dir', $fifo, '-d', 'app' ], '<', \undef, '>', \$fout, '2>', \$ferr,
		IPC::Run::timeout(60));
	is($? >> 8, 8, 'a FIFO named *.sql: exit 8, at once');
	like($ferr, qr/"\S*0002_pipe\.sql" is not a regular file/, 'a FIFO: message');

	# the component of a symbolic link to a release directory is the link's
	# name, the same for every release
	symlink($dir, "$tmp/current") or die 'symlink';
	($rc, $out, $err) = ctl('migrate', 'status', '--dir', "$tmp/current", '-d', 'app', '--json');
	is(decode_json($out)->{component}, 'current', 'the component of a symlinked directory is the link\'s name');

	# each file starts from a fresh session: a SET ROLE or SET search_path of
	# one does not reach the next
	my $sess = "$tmp/session/sessapp";
	make_path($sess);
	$node->safe_psql('app', 'CREATE SCHEMA side; CREATE ROLE sess_other; GRANT ALL ON SCHEMA side, public TO sess_other');
	write_file("$sess/0001_set.sql", "SET search_path = side;\nSET ROLE sess_other;\nCREATE TEMP TABLE sess_tmp (id int);\n");
	write_file("$sess/0002_probe.sql", "CREATE TABLE sess_probe AS SELECT current_user AS who, (SELECT count(*) FROM pg_class WHERE relname = 'sess_tmp' AND relpersistence = 't') AS temps;\n");
	{
		local $ENV{PGOPTIONS} = '-c search_path=public';
		($rc, $out, $err) = ctl('migrate', 'up', '--dir', $sess, '-d', 'app');
	}
	is($rc, 0, 'migrations that SET: exit 0') or diag($err);
	is($node->safe_psql('app', q{SELECT who || ' ' || temps FROM public.sess_probe}), 'postgres 0',
		'the next file runs in the search_path, as the role, of a new session, without the temporary table');
	is($node->safe_psql('app', q{SELECT string_agg(applied_by, ',' ORDER BY name) FROM plystra.schema_migrations WHERE component = 'sessapp'}),
		'postgres,postgres', 'both recorded as applied by the connecting role');

	# a history row that migrate() did not write ('unaudited'): verify
	# fails (in a database of its own: doctor fails there too)
	$node->safe_psql('postgres', 'CREATE DATABASE forge');
	$node->safe_psql('forge', 'CREATE EXTENSION plystra');
	write_file("$sess/0003_forged.sql", "SELECT 1;\n");
	my ($forged) = (ctl('checksum', "$sess/0003_forged.sql"))[1] =~ /^(\S+)/;
	$node->safe_psql('forge', qq{INSERT INTO plystra_data.schema_migrations (component, name, checksum, applied_at, applied_by, execution_time, extension_version)
		VALUES ('sessapp', '0003_forged', '$forged', now(), 'postgres', interval '1 ms', '1.2')});
	($rc, $out, $err) = ctl('migrate', 'verify', '--dir', $sess, '-d', 'forge', '--allow-pending');
	is($rc, 3, 'verify of a history row migrate() did not write: exit 3');
	like($out, qr/^unaudited +0003_forged: the server says "unaudited"/m, 'verify names it');
	($rc, $out, $err) = ctl('migrate', 'up', '--dir', $sess, '-d', 'forge', '--allow-out-of-order');
	like($err, qr/warning: migration 0003_forged of component "sessapp" is recorded, but the server says: unaudited/,
		'migrate up warns of it');
	$node->safe_psql('postgres', 'DROP DATABASE forge');

	# a role's planted operator in a database's search_path is not called
	# by the commands that run no SQL of the user's
	$node->safe_psql('postgres', 'CREATE DATABASE hostile');
	$node->safe_psql('hostile', q{CREATE EXTENSION plystra;
		CREATE FUNCTION public.evil_eq(name, name) RETURNS boolean LANGUAGE plpgsql AS
		  $$ BEGIN RAISE EXCEPTION 'planted operator called'; END $$;
		CREATE OPERATOR public.= (LEFTARG = name, RIGHTARG = name, FUNCTION = public.evil_eq);
		CREATE FUNCTION public.evil_eq_text(text, text) RETURNS boolean LANGUAGE plpgsql AS
		  $$ BEGIN RAISE EXCEPTION 'planted operator called'; END $$;
		CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.evil_eq_text);
		ALTER DATABASE hostile SET search_path = public, pg_catalog});
	for my $cmd ([qw(doctor)], [qw(drift)], [ 'migrate', 'status', '--dir', $dir ], [ 'migrate', 'verify', '--dir', $dir, '--allow-pending' ],
		[ 'migrate', 'up', '--dir', "$tmp/names/teams" ])
	{
		($rc, $out, $err) = ctl(@$cmd, '-d', 'hostile');
		unlike($err, qr/planted operator called/, "@$cmd: the planted operator is not called");
	}
	is($rc, 0, 'migrate up there: exit 0') or diag($err);
	is($node->safe_psql('hostile', q{SELECT count(*) FROM plystra.schema_migrations WHERE component OPERATOR(pg_catalog.=) 'teams'}),
		3, 'migrate up applied the files in that database');

	# --all-databases reads a database named like a connection string as a
	# name, not as where to connect
	$node->safe_psql('postgres', q{CREATE DATABASE "host=/nonexistent dbname=app"});
	($rc, $out, $err) = ctl('drift', '--all-databases', '--json');
	unlike($err, qr/nonexistent/, 'a database named like a conninfo is connected to as a database');
	is(scalar(grep { $_->{database} eq 'app' } map { decode_json($_) } split /\n/, $out), 1,
		'and database app is checked once');
	$node->safe_psql('postgres', q{DROP DATABASE "host=/nonexistent dbname=app"});
	$node->safe_psql('postgres', q{DROP DATABASE hostile});
}

# ---- an old extension version: migrate up refuses, read commands warn
{
	$node->safe_psql('postgres', 'CREATE DATABASE old');
	$node->safe_psql('old', q{CREATE EXTENSION plystra VERSION '1.0'});
	my $od = shop_dir('old/shop', 3);
	($rc, $out, $err) = ctl('migrate', 'up', '--dir', $od, '-d', 'old');
	is($rc, 6, 'migrate up on extension 1.0: exit 6');
	like($err, qr/extension plystra in database "old" is at version 1\.0; the server's library is version \d+\.\d+\n.*plystractl upgrade/,
		'old version: message and hint');
	is(count_history('old', 'shop'), 0, 'nothing applied');
	($rc, $out, $err) = ctl('migrate', 'status', '--dir', $od, '-d', 'old');
	is($rc, 0, 'status on extension 1.0: exit 0');
	like($err, qr/warning: extension plystra in database "old" is at version 1\.0/, 'with a warning');
}

# ---- drift and doctor
($rc, $out, $err) = ctl('drift', '-d', 'app');
is($rc, 0, 'drift of a clean database: exit 0');
like($out, qr/^ok: database app matches what extension plystra \S+ defines$/m, 'drift: ok');
($rc, $out, $err) = ctl('ent', 'check', '-d', 'app');
is($rc, 0, 'ent check, the seed\'s name of drift: exit 0');
($rc, $out, $err) = ctl('doctor', '-d', 'app');
is($rc, 0, 'doctor of a clean database: exit 0');
like($out, qr/^check +status +detail\n/, 'doctor: the rows with their header');
like($out, qr/^doctor: ok \(database app/m, 'doctor: ok');
{
	local $ENV{PGOPTIONS} = '-c session_replication_role=replica';
	($rc, $out, $err) = ctl('doctor', '-d', 'app');
	is($rc, 1, 'doctor with a warning: exit 1');
	like($out, qr/^session_replication_role +warn /m, 'the warning row');
	($rc, $out, $err) = ctl('doctor', '-d', 'app', '--json');
	my $j = decode_json($out);
	is($j->{status}, 'warn', 'doctor --json: status warn');
	ok((grep { $_->{check} eq 'session_replication_role' && $_->{status} eq 'warn' } @{ $j->{checks} }),
		'doctor --json: the check');
}
($rc, $out, $err) = ctl('doctor', '-d', 'old');
is($rc, 2, 'doctor of a database at 1.0 (pending migrations): exit 2');
like($out, qr/^extension and library +fail /m, 'the failed check');

# ---- audit maintain: the audit log's partitions ahead
{
	$node->safe_psql('postgres', 'CREATE DATABASE maint');
	$node->safe_psql('maint', 'CREATE EXTENSION plystra');
	$node->safe_psql('maint', q{INSERT INTO plystra_data.audit_logs (event_type, created_at)
		VALUES ('user.login.failed', '2001-05-05 10:00+00')});
	($rc, $out, $err) = ctl('audit', 'maintain', '-d', 'maint');
	is($rc, 0, 'audit maintain: exit 0') or diag($err);
	like($out, qr/^made plystra_data\.audit_logs_p20010501 for .* moved 1 rows from the default partition$/m,
		'audit maintain: the partition of a row the default partition held, and the row moved');
	like($out, qr/^audit maintain: 5 partitions made \(database maint\)$/m,
		'audit maintain: and the current month and three ahead');
	($rc, $out, $err) = ctl('audit', 'maintain', '-d', 'maint', '--json');
	is($rc, 0, 'audit maintain again: exit 0');
	my $j = decode_json($out);
	is(scalar @{ $j->{partitions_made} }, 0, 'audit maintain --json: nothing more to make');
	($rc, $out, $err) = ctl('audit', 'maintain', '-d', 'old');
	is($rc, 6, 'audit maintain of a database at 1.0: exit 6');
	like($err, qr/has no partitioned audit log; update it/, 'saying why');
	$node->safe_psql('postgres', 'DROP DATABASE maint');
}

# ---- audit seal, head, verify: the seals of the audit log
{
	$node->safe_psql('postgres', 'CREATE DATABASE sealed');
	$node->safe_psql('sealed', 'CREATE EXTENSION plystra');
	($rc, $out, $err) = ctl('audit', 'head', '-d', 'sealed');
	is($rc, 1, 'audit head before any seal: exit 1');
	like($err, qr/has no seal yet; run plystractl audit seal/, 'saying what to run');
	$node->safe_psql('sealed', q{INSERT INTO plystra.audit_logs (event_type, target_id)
		SELECT 'user.login.failed', 'u' || i FROM generate_series(1, 300) i});
	($rc, $out, $err) = ctl('audit', 'seal', '-d', 'sealed');
	is($rc, 0, 'audit seal: exit 0') or diag($err);
	like($out, qr/^audit seal: 300 rows sealed \(database sealed\)\nhead: plystra-audit-head:v1:1:\d+:[0-9a-f]{64}$/m,
		'audit seal: the rows sealed and the new head');
	my ($head) = $out =~ /^head: (\S+)$/m;
	($rc, $out, $err) = ctl('audit', 'head', '-d', 'sealed');
	is($rc, 0, 'audit head: exit 0');
	is($out, "$head\n", 'audit head: the head alone, for a ticket');
	($rc, $out, $err) = ctl('audit', 'verify', '-d', 'sealed', '--head', $head);
	is($rc, 0, 'audit verify --head: exit 0 when intact') or diag($out, $err);
	like($out, qr/^the log extends the head\naudit verify: every sealed row is as it was sealed \(database sealed\)$/m,
		'audit verify: saying so');
	($rc, $out, $err) = ctl('audit', 'seal', '-d', 'sealed', '--json');
	my $j = decode_json($out);
	is_deeply([ $rc, $j->{rows_sealed}, $j->{head}, $j->{status} ], [ 0, 0, $head, 'ok' ],
		'audit seal --json: nothing new to seal, the same head');

	# a superuser's catalog edit switches the guard off; a row changes
	$node->safe_psql('sealed', q{UPDATE pg_catalog.pg_trigger SET tgenabled = 'D'
		WHERE tgname = 'plystra_append_only'
		  AND tgrelid IN (SELECT relid FROM pg_partition_tree('plystra_data.audit_logs'))});
	$node->safe_psql('sealed', q{UPDATE plystra_data.audit_logs SET target_id = 'someone else' WHERE target_id = 'u5'});
	($rc, $out, $err) = ctl('audit', 'verify', '-d', 'sealed');
	is($rc, 2, 'audit verify of a changed row: exit 2');
	like($out, qr/^seal 1, ids \d+ to \d+: row changed: .*\naudit verify: 1 discrepancy \(database sealed\)$/m,
		'audit verify: the discrepancy, one line');
	($rc, $out, $err) = ctl('audit', 'verify', '-d', 'sealed', '--json');
	$j = decode_json($out);
	is_deeply([ $rc, scalar @{ $j->{discrepancies} }, $j->{discrepancies}[0]{problem}, $j->{status} ],
		[ 2, 1, 'row changed', 'fail' ], 'audit verify --json: the discrepancy');
	($rc, $out, $err) = ctl('audit', 'verify', '-d', 'sealed', '--head', 'plystra-audit-head:v1:7:1:' . ('0' x 64));
	is($rc, 2, 'audit verify --head of a head the log does not reach: exit 2');
	like($out, qr/^the log does not extend the head: the log ends at seal 1, before the head's seal 7/m,
		'saying why');
	($rc, $out, $err) = ctl('audit', 'verify', '-d', 'sealed', '--head', 'not a head');
	is($rc, 8, 'audit verify --head with a malformed head: exit 8');
	like($err, qr/invalid audit head/, 'saying so');
	($rc, $out, $err) = ctl('audit', 'seal', '-d', 'old');
	is($rc, 6, 'audit seal of a database at 1.0: exit 6');
	like($err, qr/has no audit seals; update it/, 'saying why');
	($rc, $out, $err) = ctl('audit', 'head', '-d', 'sealed', '--head', $head);
	is($rc, 64, 'audit head --head: not an option of it');
	$node->safe_psql('postgres', 'DROP DATABASE sealed');
}

$node->safe_psql('other', q{ALTER TABLE plystra_data.users ALTER COLUMN display_name SET DEFAULT 'anonymous'});
($rc, $out, $err) = ctl('drift', '-d', 'other');
is($rc, 2, 'drift found: exit 2');
like($out, qr/^column .*users\.display_name/m, 'drift: the row');
($rc, $out, $err) = ctl('drift', '-d', 'other', '--json');
is($rc, 2, 'drift --json: exit 2');
my $jd = decode_json($out);
is($jd->{ok}, JSON::PP::false, 'drift --json: ok false');
ok(scalar(@{ $jd->{differences} }) >= 1 && exists $jd->{differences}[0]{expected}, 'drift --json: the rows with their columns');

# ---- --all-databases: every database with the extension, the worst code
($rc, $out, $err) = ctl('doctor', '--all-databases');
is($rc, 2, 'doctor --all-databases: the worst exit code (old fails)');
is(join(' ', $out =~ /^== database (\S+)$/mg), 'app old other', 'doctor --all-databases: each database with the extension, in order');
($rc, $out, $err) = ctl('drift', '-a', '--json');
is($rc, 2, 'drift -a --json: exit 2 (other drifted)');
my @objs = map { decode_json($_) } split /\n/, $out;
is(join(' ', map { $_->{database} . '=' . ($_->{ok} ? 'ok' : 'drift') } @objs), 'app=ok old=ok other=drift',
	'drift -a --json: one object per database and line');
($rc, $out, $err) = ctl('migrate', 'status', '--dir', $dir, '-a', '--json');
is($rc, 0, 'status --all-databases: exit 0');
is(join(' ', map { $_->{database} . '=' . $_->{counts}{applied} } map { decode_json($_) } split /\n/, $out),
	'app=22 old=0 other=22', 'status --all-databases: each database\'s history of the directory');
($rc, $out, $err) = ctl('migrate', 'up', '--dir', $dir, '-a');
is($rc, 64, 'migrate up --all-databases is refused: exit 64');
$node->safe_psql('other', q{ALTER TABLE plystra_data.users ALTER COLUMN display_name SET DEFAULT ''});

# an index a DBA adds to a storage table: a warning, named, for drift,
# doctor and upgrade alike
$node->safe_psql('other', q{CREATE INDEX users_lower_email_idx ON plystra_data.users (lower(email))});
($rc, $out, $err) = ctl('drift', '-d', 'other');
is($rc, 1, 'drift with an index added by hand only: exit 1');
like($out, qr/indexes added by hand only: a warning/, 'drift says it is a warning');
($rc, $out, $err) = ctl('doctor', '-d', 'other', '--json');
is($rc, 1, 'doctor with an index added by hand: exit 1');
my ($drow) = grep { $_->{check} eq 'drift_check' } @{ decode_json($out)->{checks} };
is($drow->{status}, 'warn', 'doctor: drift_check warns');
like($drow->{detail}, qr/plystra_data\.users_lower_email_idx/, 'doctor names the index');
($rc, $out, $err) = ctl('upgrade', '-d', 'other', '--no-backup');
is($rc, 1, 'upgrade goes on past an index added by hand, done with a warning: exit 1') or diag($err);
like($out, qr/^upgrade of database other done, with warnings \(above\): restart the application$/m, 'upgrade completes');
like($err, qr/warning: drift_check: indexes added to storage tables by hand/, 'upgrade warns of it');
$node->safe_psql('other', q{DROP INDEX plystra_data.users_lower_email_idx});

# ---- upgrade: backup, update, checks
{
	$node->safe_psql('postgres', 'CREATE DATABASE legacy');
	$node->safe_psql('legacy', q{CREATE EXTENSION plystra VERSION '1.0'});
	$node->safe_psql('legacy', q{INSERT INTO plystra.users (email, display_name) VALUES ('ann@example.test', 'Ann'), ('bob@example.test', 'Bob')});
	my $backup = "$tmp/legacy.dump";
	($rc, $out, $err) = ctl('upgrade', '-d', 'legacy', '--backup', $backup);
	is($rc, 0, 'upgrade: exit 0') or diag($out . $err);
	like($out, qr/^backup: .*pg_dump -Fc of database legacy into \Q$backup\E\n/m, 'upgrade: the backup');
	like($out, qr/^update: extension plystra 1\.0 -> \S+\naudit partitions: \d+ made\nmigrate_verify: ok\ndrift_check: ok\n/m,
		'upgrade: update, the audit log\'s partitions, and checks');
	like($out, qr/^upgrade of database legacy done: restart the application$/m, 'upgrade: done');
	ok(-s $backup, 'the backup file exists');
	is((stat $backup)[2] & 07777, 0600, 'the backup is readable by its owner only');
	is($node->safe_psql('legacy', q{SELECT extversion = (SELECT default_version FROM pg_available_extensions WHERE name = 'plystra') FROM pg_extension WHERE extname = 'plystra'}),
		't', 'the extension is at the library\'s version');
	# the backup restores, at the old version, with the rows, as the
	# output says
	my ($restore) = $out =~ /^backup: to go back to it: (createdb NEW && .*)$/m;
	like($restore, qr/VERSION '1\.0'/, 'upgrade says how to restore the backup at its version');
	$restore =~ s/\bNEW\b/legacy_restored/g;
	my ($rout, $rerr) = ('', '');
	IPC::Run::run([ 'sh', '-c', $restore ], '>', \$rout, '2>', \$rerr);
	is($?, 0, 'the restore command works') or diag($rerr);
	is($node->safe_psql('legacy_restored', q{SELECT extversion FROM pg_extension WHERE extname = 'plystra'}), '1.0',
		'the backup restores the database as it was before the update');
	is($node->safe_psql('legacy_restored', q{SELECT string_agg(email, ',' ORDER BY email) FROM plystra.users}),
		'ann@example.test,bob@example.test', 'with its rows');

	# again: nothing to update; an existing backup file is not overwritten
	($rc, $out, $err) = ctl('upgrade', '-d', 'legacy', '--backup', $backup);
	is($rc, 5, 'upgrade with an existing backup file: exit 5');
	like($err, qr/backup file ".*legacy\.dump" already exists.*Nothing was changed/s, 'upgrade: the backup step fails first');
	symlink("$tmp/elsewhere.dump", "$tmp/dangling.dump") or die 'symlink';
	($rc, $out, $err) = ctl('upgrade', '-d', 'legacy', '--backup', "$tmp/dangling.dump");
	is($rc, 5, 'upgrade with a dangling symlink as the backup file: exit 5');
	ok(!-e "$tmp/elsewhere.dump", 'the symlink was not followed');
	($rc, $out, $err) = ctl('upgrade', '-d', 'legacy', '--no-backup');
	is($rc, 0, 'upgrade --no-backup of an updated database: exit 0');
	like($out, qr/^update: already at version/m, 'nothing to update');

	# a non-superuser cannot update: the step fails, the version stays
	$node->safe_psql('postgres', 'CREATE DATABASE legacy2');
	$node->safe_psql('legacy2', q{CREATE EXTENSION plystra VERSION '1.1'});
	$node->safe_psql('postgres', 'CREATE ROLE deployer LOGIN');
	($rc, $out, $err) = ctl('upgrade', '-d', 'legacy2', '-U', 'deployer', '--no-backup');
	is($rc, 5, 'upgrade that the server refuses: exit 5');
	like($err, qr/ERROR:  42501: .*\n(.*\n)*.*the update failed and was rolled back: extension plystra is still at version 1\.1/,
		'upgrade: the server\'s error and what it means');
	is($node->safe_psql('legacy2', q{SELECT extversion FROM pg_extension WHERE extname = 'plystra'}), '1.1',
		'the extension is still at 1.1');

	# drift stops the procedure before doctor
	$node->safe_psql('other', q{ALTER TABLE plystra_data.users ALTER COLUMN display_name SET DEFAULT 'x'});
	($rc, $out, $err) = ctl('upgrade', '-d', 'other', '--no-backup');
	is($rc, 5, 'upgrade with drift: exit 5');
	like($out, qr/^migrate_verify: ok\n/m, 'verify passed');
	like($err, qr/drift_check: \d+ problems?\n.*the application must not be restarted/, 'drift stops it, saying what to do');
	unlike($out, qr/^check +status/m, 'doctor did not run');
	$node->safe_psql('other', q{ALTER TABLE plystra_data.users ALTER COLUMN display_name SET DEFAULT ''});

	# --all-databases stops at the first database that fails (in name
	# order: app, legacy, legacy2, legacy_restored, old, other)
	$node->safe_psql('legacy', q{ALTER TABLE plystra_data.users ALTER COLUMN display_name SET DEFAULT 'x'});
	($rc, $out, $err) = ctl('upgrade', '-a', '--no-backup');
	is($rc, 5, 'upgrade --all-databases: exit 5');
	like($err, qr/stopped after database "legacy": the databases after it were not changed/, 'and says where it stopped');
	is($node->safe_psql('legacy2', q{SELECT extversion FROM pg_extension WHERE extname = 'plystra'}), '1.1',
		'a database after the failing one was not updated');
	$node->safe_psql('legacy', q{ALTER TABLE plystra_data.users ALTER COLUMN display_name SET DEFAULT ''});
	my $bdir = "$tmp/backups";
	make_path($bdir);
	($rc, $out, $err) = ctl('upgrade', '--all-databases', '--backup', $bdir);
	is($rc, 0, 'upgrade --all-databases --backup DIR: exit 0') or diag($out . $err);
	my @dumps = map { (split m{/})[-1] } glob("$bdir/*.dump");
	is(scalar(@dumps), 6, 'one backup per database with the extension');
	like(join(' ', @dumps), qr/\bold-plystra-1\.0-\d{8}T\d{6}Z\.dump/, 'backups named by database, version and time');
	is($node->safe_psql('old', q{SELECT extversion = (SELECT default_version FROM pg_available_extensions WHERE name = 'plystra') FROM pg_extension WHERE extname = 'plystra'}),
		't', 'every database updated');
	($rc, $out, $err) = ctl('migrate', 'up', '--dir', $dir, '-d', 'old');
	is($rc, 0, 'after the upgrade migrate up works on the old database');
}

# ---- connection options: conninfo, URI, -U, .pgpass, -w
{
	($rc, $out, $err) = ctl('doctor', '-d', 'dbname=app application_name=ci');
	is($rc, 0, '-d with a conninfo string');
	like($out, qr/database app,/, 'conninfo reaches its database');
	my $uri = 'postgresql:///app?host=' . $node->host . '&port=' . $node->port;
	($rc, $out, $err) = ctl('drift', '-d', $uri);
	is($rc, 0, '-d with a URI') or diag($err);

	$node->safe_psql('postgres', q{CREATE ROLE monitor_bot LOGIN PASSWORD 'S3cret-pass'});
	$node->safe_psql('app', q{SELECT plystra.grant_access('monitor_bot', 'monitor')});
	my $hba = $node->data_dir . '/pg_hba.conf';
	my $conf = slurp_file($hba);
	write_file($hba, "local all monitor_bot scram-sha-256\n" . $conf);
	$node->reload;
	($rc, $out, $err) = ctl('doctor', '-d', 'app', '-U', 'monitor_bot', '-w');
	is($rc, 7, 'a password is needed, -w: exit 7');
	like($err, qr/password/, 'the libpq message says so');
	my $pgpass = "$tmp/pgpass";
	write_file($pgpass, "*:*:*:monitor_bot:S3cret-pass\n");
	chmod 0600, $pgpass;
	{
		local $ENV{PGPASSFILE} = $pgpass;
		($rc, $out, $err) = ctl('doctor', '-d', 'app', '-U', 'monitor_bot', '-w');
		is($rc, 0, 'the password from .pgpass: doctor as a monitor role') or diag($err);
		local $ENV{PGUSER} = 'monitor_bot';
		($rc, $out, $err) = ctl('drift', '-d', 'app', '-w');
		is($rc, 0, 'PGUSER and .pgpass');
		# a monitor may read the history but not apply migrations: the
		# server says so, and the migration is not applied
		my $mon = "$tmp/monitor/monapp";
		make_path($mon);
		write_file("$mon/0001_x.sql", "CREATE TABLE public.mon_x (id int);\n");
		($rc, $out, $err) = ctl('migrate', 'up', '--dir', $mon, '-d', 'app', '-w');
		is($rc, 4, 'a role without the migrator access: exit 4');
		like($err, qr/ERROR:  42501: permission denied for function migrate/, 'the server\'s refusal');
	}
	is(count_history('app', 'monapp'), 0, 'the monitor applied nothing');
	write_file($hba, $conf);
	$node->reload;
}

# ---- the progress indicator, on a terminal (script(1) gives one)
SKIP:
{
	my $script = `command -v script`;
	chomp $script;
	skip 'no script(1)', 2 unless $script;
	my $prog = "$tmp/progress/progressapp";
	make_path($prog);
	write_file("$prog/00$_.sql", "SELECT $_;\n") for 1 .. 3;
	my $cmd = "$ctl migrate up --dir $prog -d app";
	my ($pout, $perr) = ('', '');
	IPC::Run::run([ $script, '-qec', $cmd, '/dev/null' ], '<', \undef, '>', \$pout, '2>', \$perr);
	like($pout, qr/\r\e\[K\[3\/3\] 003\.sql \.\.\./, 'a progress line on a terminal');
	like($pout, qr/^applied +003\.sql/m, 'and the lines of the files');
}

$node->stop;
done_testing();
