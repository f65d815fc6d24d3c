#!/usr/bin/perl
# test/mutate_script.pl - write the mutants of an upgrade script.
#
#   perl test/mutate_script.pl SCRIPT OUTDIR FROM TO TAG [NEXT NEXT_TO]
#
# SCRIPT is a built upgrade script plystra--FROM--TO.sql.  For each of its
# statements (after the psql guard line) this writes
# OUTDIR/plystra--FROM--TO<TAG>NNN.sql, the script without that statement,
# so that ALTER EXTENSION plystra UPDATE TO 'TO<TAG>NNN' runs an upgrade
# that forgot it.  With NEXT (the built script of the following step, to
# NEXT_TO), it also writes OUTDIR/plystra--TO<TAG>NNN--NEXT_TO<TAG>NNN.sql,
# a copy of NEXT, so that the update can go on from the mutant to
# NEXT_TO<TAG>NNN (a path of its own: no other update finds it).  The
# first line of a mutant names the statement it lacks.
# test/t/007_upgrade_mutations.pl runs every mutant and requires the
# upgrade matrix's comparison to notice each one.  Prints the number of
# mutants written.
use strict;
use warnings;

die "usage: $0 SCRIPT OUTDIR FROM TO TAG [NEXT NEXT_TO]\n"
  unless @ARGV == 5 || @ARGV == 7;
my ($script, $outdir, $from, $to, $tag, $next, $next_to) = @ARGV;
die "$0: TAG must be one lower-case letter\n" unless $tag =~ /^[a-z]$/;
my $next_sql;
if (defined $next)
{
	open(my $nh, '<', $next) or die "$next: $!\n";
	$next_sql = do { local $/; <$nh> };
	close $nh;
}

open(my $fh, '<', $script) or die "$script: $!\n";
my $sql = do { local $/; <$fh> };
close $fh;

# everything up to the psql guard line stays in every mutant
$sql =~ /\A(.*?^\\echo [^\n]*\n)(.*)\z/ms or die "$script: no psql guard line\n";
my ($head, $body) = ($1, $2);

# Split into chunks that each end with a statement's semicolon, comments
# and white space before it included; quotes, dollar quotes and comments
# are skipped over whole.
my @chunks;
my $cur = '';
pos($body) = 0;
while (pos($body) < length($body))
{
	if ($body =~ /\G(--[^\n]*\n?)/gc
		|| $body =~ m{\G(/\*.*?\*/)}gcs
		|| $body =~ /\G('(?:[^']|'')*')/gc
		|| $body =~ /\G(\$([A-Za-z_][A-Za-z_0-9]*|)\$.*?\$\2\$)/gcs
		|| $body =~ /\G([^-\/'\$;]+)/gc
		|| $body =~ /\G([-\/\$])/gc)
	{
		$cur .= $1;
	}
	elsif ($body =~ /\G;/gc)
	{
		push @chunks, $cur . ';';
		$cur = '';
	}
	else
	{
		die "$script: cannot split at offset " . pos($body) . "\n";
	}
}
my $tail = $cur;

# the statement a chunk holds, on one line, comments left out
sub statement
{
	my ($chunk) = @_;
	(my $s = $chunk) =~ s{^\s*(?:--[^\n]*\n|/\*.*?\*/\s*)*}{}s;
	$s =~ s/\s+/ /g;
	return $s;
}

my $n = 0;
for my $i (0 .. $#chunks)
{
	my $stmt = statement($chunks[$i]);
	next if $stmt eq ';';
	# the check of the installed script files leaves nothing in the
	# database to compare; test/mixed_builds.sh tests it
	next if $stmt =~ /^SELECT plystra\._check_scripts\(running => '[^']*'\);$/;
	# the role that owns the interface views is the cluster's: it exists
	# where the mutants run; test/t/001_upgrade_matrix.pl updates a cluster
	# without it, sql/hostile_install an unsafe one
	next if $stmt eq 'SELECT plystra._interface_role();';
	$n++;
	my $version = sprintf('%s%s%03d', $to, $tag, $n);
	my $file = "$outdir/plystra--$from--$version.sql";
	open(my $out, '>', $file) or die "$file: $!\n";
	print $out "-- mutant $n of plystra--$from--$to.sql, without: $stmt\n";
	print $out $head;
	print $out @chunks[ 0 .. $i - 1 ] if $i > 0;
	print $out @chunks[ $i + 1 .. $#chunks ] if $i < $#chunks;
	print $out $tail;
	close $out or die "$file: $!\n";
	chmod 0644, $file;
	if (defined $next_sql)
	{
		my $then = sprintf('%s/plystra--%s--%s%s%03d.sql', $outdir, $version, $next_to, $tag, $n);
		open(my $nout, '>', $then) or die "$then: $!\n";
		print $nout $next_sql;
		close $nout or die "$then: $!\n";
		chmod 0644, $then;
	}
}
print "$n\n";
