SELECT plystra.migration_checksum(s) FROM bench_script;
