#!/usr/bin/env bash
# test/apply_migrations.sh COMPONENT DIR [psql options...]
#
# Apply DIR/*.sql as migrations of COMPONENT with plystra.migrate(), one
# transaction each, in byte-wise lexicographic order of the file names.
# Each file reaches psql as a variable holding its exact bytes (the
# trailing "x" keeps psql from dropping a final newline), through stdin,
# so no command-line length limit applies.  Prints "name result" per file
# and stops at the first refusal.
set -euo pipefail
export LC_ALL=C			# byte-wise order of the glob below

component=$1
dir=$2
shift 2

for f in "$dir"/*.sql; do
	name=$(basename "$f" .sql)
	result=$(psql -X -q -At -v ON_ERROR_STOP=1 -v component="$component" \
		-v name="$name" -v file="$f" "$@" <<'SQL'
\set script `cat :'file'; printf x`
SELECT plystra.migrate(:'component', :'name', left(:'script', -1));
SQL
	)
	echo "$name $result"
done
