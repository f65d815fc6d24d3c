SELECT sha256(s::bytea) FROM bench_script;
