#!/usr/bin/perl
# test/c_deps.pl SRCDIR - the C files of plystra depend on each other
# without a cycle.
#
# Reads the object files of SRCDIR (after make) with nm: a file depends on
# another when it uses a symbol the other defines.  Prints every dependency
# (file -> file: symbols), then each cycle (a strongly connected set of more
# than one file), and exits 1 when there is one.
use strict;
use warnings;

my $dir = shift // 'src';
my @objs = glob("$dir/*.o");
die "no object files in $dir: run make first\n" unless @objs;

my (%defined_in, %uses);
for my $o (@objs)
{
	(my $f = $o) =~ s{.*/(.*)\.o$}{$1};
	for (`nm -g --defined-only $o`)
	{
		my ($type, $sym) = (split)[ 1, 2 ];
		$defined_in{$sym} = $f if defined $sym && $type =~ /^[TDBR]$/;
	}
	for (`nm -u $o`)
	{
		my ($sym) = (split)[1];
		push @{ $uses{$f} }, $sym if defined $sym;
	}
}

my %edges;
for my $f (sort keys %uses)
{
	for my $sym (@{ $uses{$f} })
	{
		my $g = $defined_in{$sym};
		push @{ $edges{$f}{$g} }, $sym if defined $g && $g ne $f;
	}
}
for my $f (sort keys %edges)
{
	for my $g (sort keys %{ $edges{$f} })
	{
		print "$f -> $g: ", join(', ', sort @{ $edges{$f}{$g} }), "\n";
	}
}

# Tarjan's strongly connected components
my ($index, @stack, %on, %idx, %low, @cycles) = (0);
my $visit;
$visit = sub {
	my $v = shift;
	$idx{$v} = $low{$v} = $index++;
	push @stack, $v;
	$on{$v} = 1;
	for my $w (keys %{ $edges{$v} // {} })
	{
		if (!exists $idx{$w})
		{
			$visit->($w);
			$low{$v} = $low{$w} if $low{$w} < $low{$v};
		}
		elsif ($on{$w})
		{
			$low{$v} = $idx{$w} if $idx{$w} < $low{$v};
		}
	}
	if ($low{$v} == $idx{$v})
	{
		my @scc;
		my $w;
		do
		{
			$w = pop @stack;
			$on{$w} = 0;
			push @scc, $w;
		} while ($w ne $v);
		push @cycles, [ sort @scc ] if @scc > 1;
	}
};
for my $o (@objs)
{
	(my $f = $o) =~ s{.*/(.*)\.o$}{$1};
	$visit->($f) unless exists $idx{$f};
}

if (@cycles)
{
	print "cycle between: ", join(', ', @$_), "\n" for @cycles;
	exit 1;
}
printf "no cycle between the %d C files\n", scalar @objs;
exit 0;
