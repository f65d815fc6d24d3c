# test/t/009_alter_table_verdicts.pl
#
# Every ALTER TABLE subcommand of the PostgreSQL version under test, run
# against an append-only table: the DDL guard allows exactly the reviewed
# list (src/refusals.c) and refuses everything else with SQLSTATE PY010,
# naming the change.  The subcommands are read from the version's own
# nodes/parsenodes.h (enum AlterTableType), so a subcommand a new version
# adds fails this test until it is classified here and in refusals.c.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

# [statement after "ALTER TABLE vault.t", verdict, subcommands it makes]:
# verdict "allow", or the change the refusal names; since() marks
# subcommands a version added
my @statements = (
	[ 'ADD COLUMN memo text', 'allow', 'AT_AddColumn' ],
	[ q{ALTER COLUMN note SET DEFAULT 'none'}, 'allow', 'AT_ColumnDefault' ],
	[ 'ALTER COLUMN amount SET NOT NULL', 'allow', 'AT_SetNotNull' ],
	[ 'ALTER COLUMN c DROP NOT NULL', 'allow', 'AT_DropNotNull' ],
	[ 'ALTER COLUMN amount SET STATISTICS 100', 'allow', 'AT_SetStatistics' ],
	[ 'ALTER COLUMN amount SET (n_distinct = 10)', 'allow', 'AT_SetOptions' ],
	[ 'ALTER COLUMN amount RESET (n_distinct)', 'allow', 'AT_ResetOptions' ],
	[ 'ALTER COLUMN note SET STORAGE EXTERNAL', 'allow', 'AT_SetStorage' ],
	[ 'ALTER COLUMN note SET COMPRESSION pglz', 'allow', 'AT_SetCompression' ],
	[ 'ADD CONSTRAINT t_big CHECK (amount < 1000000)', 'allow', 'AT_AddConstraint' ],
	[ 'ADD CONSTRAINT t_c_key UNIQUE (c)', 'allow', 'AT_AddIndex' ],
	[ 'ALTER CONSTRAINT t_c_fkey DEFERRABLE', 'allow', 'AT_AlterConstraint' ],
	[ 'VALIDATE CONSTRAINT t_amount_check', 'allow', 'AT_ValidateConstraint' ],
	[ 'ADD CONSTRAINT t_note_key UNIQUE USING INDEX t_note_idx', 'allow', 'AT_AddIndexConstraint' ],
	[ 'DROP CONSTRAINT t_amount_check', 'allow', 'AT_DropConstraint' ],
	[ 'CLUSTER ON t_pkey', 'allow', 'AT_ClusterOn' ],
	[ 'SET WITHOUT CLUSTER', 'allow', 'AT_DropCluster' ],
	[ 'SET LOGGED', 'allow', 'AT_SetLogged' ],
	[ 'SET WITHOUT OIDS', 'allow', 'AT_DropOids' ],
	[ 'SET TABLESPACE pg_default', 'allow', 'AT_SetTableSpace' ],
	[ 'SET (fillfactor = 90)', 'allow', 'AT_SetRelOptions' ],
	[ 'RESET (fillfactor)', 'allow', 'AT_ResetRelOptions' ],
	[ 'REPLICA IDENTITY FULL', 'allow', 'AT_ReplicaIdentity' ],
	[ 'DISABLE ROW LEVEL SECURITY', 'allow', 'AT_DisableRowSecurity' ],
	[ 'NO FORCE ROW LEVEL SECURITY', 'allow', 'AT_NoForceRowSecurity' ],
	[ 'ENABLE ALWAYS TRIGGER plystra_append_only', 'allow', 'AT_EnableAlwaysTrig' ],
	[ 'OWNER TO CURRENT_USER', 'allow', 'AT_ChangeOwner' ],

	[ 'ENABLE TRIGGER plystra_append_only', 'ENABLE TRIGGER', 'AT_EnableTrig' ],
	[ 'ENABLE REPLICA TRIGGER plystra_append_only', 'ENABLE TRIGGER', 'AT_EnableReplicaTrig' ],
	[ 'ENABLE TRIGGER ALL', 'ENABLE TRIGGER', 'AT_EnableTrigAll' ],
	[ 'ENABLE TRIGGER USER', 'ENABLE TRIGGER', 'AT_EnableTrigUser' ],
	[ 'DISABLE TRIGGER plystra_append_only', 'DISABLE TRIGGER', 'AT_DisableTrig' ],
	[ 'DISABLE TRIGGER ALL', 'DISABLE TRIGGER', 'AT_DisableTrigAll' ],
	[ 'DISABLE TRIGGER USER', 'DISABLE TRIGGER', 'AT_DisableTrigUser' ],
	[ 'ENABLE RULE t_notify', 'ENABLE or DISABLE RULE', 'AT_EnableRule' ],
	[ 'ENABLE ALWAYS RULE t_notify', 'ENABLE or DISABLE RULE', 'AT_EnableAlwaysRule' ],
	[ 'ENABLE REPLICA RULE t_notify', 'ENABLE or DISABLE RULE', 'AT_EnableReplicaRule' ],
	[ 'DISABLE RULE t_notify', 'ENABLE or DISABLE RULE', 'AT_DisableRule' ],
	[ 'ENABLE ROW LEVEL SECURITY', 'ENABLE or FORCE ROW LEVEL SECURITY', 'AT_EnableRowSecurity' ],
	[ 'FORCE ROW LEVEL SECURITY', 'ENABLE or FORCE ROW LEVEL SECURITY', 'AT_ForceRowSecurity' ],
	[ 'ALTER COLUMN note TYPE varchar(200)', 'ALTER COLUMN TYPE', 'AT_AlterColumnType' ],
	[ 'DROP COLUMN note', 'DROP COLUMN', 'AT_DropColumn' ],
	[ 'ALTER COLUMN doubled DROP EXPRESSION', 'ALTER COLUMN DROP EXPRESSION', 'AT_DropExpression' ],
	[ 'ALTER COLUMN doubled SET EXPRESSION AS (amount * 3)', 'ALTER COLUMN SET EXPRESSION', 'AT_SetExpression' ],
	[ 'SET UNLOGGED', 'SET UNLOGGED', 'AT_SetUnLogged' ],
	[ 'SET ACCESS METHOD heap', 'SET ACCESS METHOD', 'AT_SetAccessMethod' ],
	[ 'INHERIT vault.base', 'INHERIT, NO INHERIT, OF or NOT OF', 'AT_AddInherit' ],
	[ 'NO INHERIT vault.base', 'INHERIT, NO INHERIT, OF or NOT OF', 'AT_DropInherit' ],
	[ 'OF vault.shape', 'INHERIT, NO INHERIT, OF or NOT OF', 'AT_AddOf' ],
	[ 'NOT OF', 'INHERIT, NO INHERIT, OF or NOT OF', 'AT_DropOf' ],
	[ 'ATTACH PARTITION vault.part FOR VALUES IN (1)', 'ATTACH PARTITION', 'AT_AttachPartition' ],
	[ 'DETACH PARTITION vault.part', 'DETACH PARTITION', 'AT_DetachPartition' ],
	[ 'DETACH PARTITION vault.part FINALIZE', 'DETACH PARTITION', 'AT_DetachPartitionFinalize' ],
	[ 'ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY', 'ADD, SET or DROP IDENTITY', 'AT_AddIdentity' ],
	[ 'ALTER COLUMN ident SET GENERATED ALWAYS', 'ADD, SET or DROP IDENTITY', 'AT_SetIdentity' ],
	[ 'ALTER COLUMN ident DROP IDENTITY', 'ADD, SET or DROP IDENTITY', 'AT_DropIdentity' ],
	[ q{OPTIONS (ADD anything 'x')}, 'ALTER TABLE', 'AT_GenericOptions' ],
	[ q{ALTER COLUMN note OPTIONS (ADD anything 'x')}, 'ALTER TABLE', 'AT_AlterColumnGenericOptions' ],
);

# subcommands no ALTER TABLE statement writes: ALTER TABLE makes them for
# itself while it runs, or other commands (CREATE OR REPLACE VIEW) make
# them; refusals.c refuses them all the same
my %internal = map { $_ => 1 } qw(
  AT_AddColumnRecurse AT_AddConstraintRecurse AT_ValidateConstraintRecurse
  AT_DropConstraintRecurse AT_DropColumnRecurse AT_CookedColumnDefault
  AT_CheckNotNull AT_AddColumnToView AT_ReplaceRelOptions AT_ReAddIndex
  AT_ReAddConstraint AT_ReAddDomainConstraint AT_ReAddComment
  AT_ReAddStatistics);

my $node = PostgreSQL::Test::Cluster->new('verdicts');
$node->init;
$node->start;

# the subcommands of this version, from its server headers
my ($incdir) = $node->config_data('--includedir-server');
my $header = slurp_file("$incdir/nodes/parsenodes.h");
$header =~ s{/\*.*?\*/}{}gs;
$header =~ /typedef\s+enum\s+AlterTableType\s*\{(.*?)\}\s*AlterTableType\s*;/s
  or BAIL_OUT("no enum AlterTableType in $incdir/nodes/parsenodes.h");
my @subtypes = ($1 =~ /\b(AT_\w+)\b/g);
cmp_ok(scalar(@subtypes), '>', 50, 'the subcommands of this version are read from its headers');

my %tested = map { $_->[2] => $_ } @statements;
for my $subtype (@subtypes)
{
	ok($tested{$subtype} || $internal{$subtype},
		"$subtype is classified: a statement of this test, or made by the server only");
}

$node->safe_psql('postgres', q{
	CREATE EXTENSION plystra;
	CREATE SCHEMA vault;
	CREATE TABLE vault.ref (id int PRIMARY KEY);
	INSERT INTO vault.ref VALUES (1), (2);
	CREATE TABLE vault.t (
		id int NOT NULL,
		note text,
		amount int,
		doubled int GENERATED ALWAYS AS (amount * 2) STORED,
		ident int GENERATED BY DEFAULT AS IDENTITY,
		c int NOT NULL,
		CONSTRAINT t_pkey PRIMARY KEY (id),
		CONSTRAINT t_amount_check CHECK (amount > 0) NOT VALID,
		CONSTRAINT t_c_fkey FOREIGN KEY (c) REFERENCES vault.ref (id)
	);
	CREATE UNIQUE INDEX t_note_idx ON vault.t (note);
	CREATE RULE t_notify AS ON INSERT TO vault.t DO ALSO NOTIFY vault_t;
	CREATE TABLE vault.base (id int);
	CREATE TYPE vault.shape AS (id int);
	CREATE TABLE vault.part (LIKE vault.t);
	INSERT INTO vault.t (id, note, amount, c) VALUES (1, 'first', 10, 1), (2, 'second', 20, 2);
	SELECT plystra.make_append_only('vault.t');
});

my $fingerprint = q{SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM vault.t};
my $before = $node->safe_psql('postgres', $fingerprint);

for my $s (@statements)
{
	my ($sql, $verdict, $subtype) = @$s;
	next unless grep { $_ eq $subtype } @subtypes;    # not in this version
	my ($rc, $out, $err) = $node->psql('postgres',
		"\\set VERBOSITY verbose\nBEGIN;\nALTER TABLE vault.t $sql;\nROLLBACK;",
		on_error_stop => 1);
	if ($verdict eq 'allow')
	{
		is($rc, 0, "$subtype allowed: ALTER TABLE vault.t $sql")
		  or diag($err);
	}
	else
	{
		like(
			$err,
			qr/ERROR:  PY010: \Q$verdict\E on append-only table "vault\.t" is not allowed/,
			"$subtype refused as $verdict: ALTER TABLE vault.t $sql");
	}
}

is($node->safe_psql('postgres', $fingerprint), $before, 'no row of the table changed');

$node->stop;
done_testing();
