# test/t/002_migrate_crash.pl
#
# A migration interrupted by a crash leaves nothing behind: the backend
# running it is killed with SIGKILL (the postmaster restarts every backend
# and recovers), and in a second round the server is stopped in immediate
# mode.  After each: no history row, no half-applied object, no advisory
# lock (it went with the transaction; nothing like a stale lock row), and
# the next migrate() applies the migration cleanly.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('crash');
$node->init;
# the framework's default is off; PostgreSQL's is on, as in production
$node->append_conf('postgresql.conf', 'restart_after_crash = on');
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION plystra');
$node->safe_psql('postgres', 'CREATE SCHEMA app');

my $slow = q{CREATE TABLE app.accounts (id int PRIMARY KEY);
INSERT INTO app.accounts SELECT generate_series(1, 1000);
SELECT pg_sleep(300);
CREATE INDEX ON app.accounts (id);};
my $quick = $slow;
$quick =~ s/SELECT pg_sleep\(300\);/SELECT 1;/;

# Start the slow migration in the background and wait until it sleeps.
sub start_slow_migration
{
	my $bg = $node->background_psql('postgres', on_error_stop => 0);
	$bg->query_until(qr/started/, qq{\\echo started
SELECT plystra.migrate('app', '0001_accounts', \$m\$$slow\$m\$);
});
	$node->poll_query_until('postgres', q{
		SELECT count(*) = 1 FROM pg_stat_activity
		 WHERE wait_event = 'PgSleep' AND query LIKE '%plystra.migrate%'})
	  or die 'the migration did not start';
	return $bg;
}

sub nothing_left
{
	my ($round) = @_;
	is($node->safe_psql('postgres',
		q{SELECT count(*) FROM plystra.schema_migrations WHERE component = 'app'}),
		'0', "$round: nothing recorded");
	is($node->safe_psql('postgres', q{SELECT to_regclass('app.accounts') IS NULL}),
		't', "$round: nothing half-applied");
	is($node->safe_psql('postgres',
		q{SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'}),
		'0', "$round: no advisory lock left");
	is($node->safe_psql('postgres',
		q{SELECT count(*) FROM plystra.migrate_verify()}),
		'0', "$round: migrate_verify is clean");
}

# round 1: SIGKILL of the migrating backend
my $bg = start_slow_migration();
my $pid = $node->safe_psql('postgres', q{
	SELECT pid FROM pg_stat_activity WHERE wait_event = 'PgSleep'});
kill 'KILL', $pid;
eval { $bg->quit; };
# wait for the crash to be noticed, then for recovery to finish
$node->poll_query_until('postgres', q{
	SELECT count(*) = 0 FROM pg_stat_activity WHERE wait_event = 'PgSleep'})
  or die 'the server did not come back after the crash';
like(slurp_file($node->logfile), qr/terminated by signal 9/,
	'the server saw the backend die');
nothing_left('after SIGKILL');

# round 2: immediate shutdown while the migration runs
$bg = start_slow_migration();
$node->stop('immediate');
eval { $bg->quit; };
$node->start;
nothing_left('after an immediate shutdown');

# the next attempt applies it, once
is($node->safe_psql('postgres',
	qq{SELECT plystra.migrate('app', '0001_accounts', \$m\$$quick\$m\$)}),
	'applied', 'the migration applies cleanly after the crashes');
is($node->safe_psql('postgres', 'SELECT count(*) FROM app.accounts'),
	'1000', 'with all its rows');
is($node->safe_psql('postgres',
	qq{SELECT plystra.migrate('app', '0001_accounts', \$m\$$quick\$m\$)}),
	'already applied', 'and only once');

$node->stop;
done_testing();
