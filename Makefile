# Makefile for plystra
#
# Build with PGXS:  make PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
#                   make install
#                   make installcheck      (against a running server)
#
# The whole suite, with its own throwaway cluster, is test/run.sh.
#
# bin/ holds plystractl, the command-line client, a libpq program with its
# own PGXS Makefile (as pg_repack ships its client): make, make install and
# make clean here build, install and clean it too.

EXTENSION = plystra
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" $(EXTENSION).control)

MODULE_big = plystra
OBJS = \
	$(WIN32RES) \
	src/plystra.o \
	src/calls.o \
	src/cascade.o \
	src/access.o \
	src/acting.o \
	src/checksum.o \
	src/names.o \
	src/builtin_migrations.o \
	src/builtin_rows.o \
	src/append_only.o \
	src/audit.o \
	src/audit_partitions.o \
	src/audit_seals.o \
	src/audit_verify.o \
	src/seal_encoding.o \
	src/seal_rows.o \
	src/audit_rows.o \
	src/entity_admin.o \
	src/passwords.o \
	src/privileges.o \
	src/history.o \
	src/history_guard.o \
	src/live_parents.o \
	src/install.o \
	src/manifest.o \
	src/migrate.o \
	src/registry.o \
	src/row_identity.o \
	src/row_security.o \
	src/script.o \
	src/soft_delete.o \
	src/storage.o \
	src/plan_cache.o \
	src/ddl_guard.o \
	src/ddl_commands.o \
	src/refusals.o \
	src/door.o \
	src/interface.o \
	src/timestamps.o
PGFILEDESC = "plystra - Plystra Core schema with database-enforced guarantees"

# Every version: an install script for the first one, one upgrade script per
# step, and a full install script of the current version.  Each is
# assembled from ext/ and migrations/ by ext/assemble.sh; the assembled
# files are build products.  1.0 and 1.1 are released: their scripts come
# out of every build byte for byte as released.
DATA_built = \
	plystra--1.0.sql \
	plystra--1.0--1.1.sql \
	plystra--1.1--1.2.sql \
	plystra--1.2.sql

PG_CPPFLAGS = -I$(srcdir)/src
SHLIB_LINK =

# make PLYSTRA_COVERAGE=1: a build instrumented for gcov line coverage (used
# by "make coverage", test/coverage.sh).  .build_flavor records which kind
# of build the objects are, so that switching rebuilds them.
ifeq ($(PLYSTRA_COVERAGE),1)
PG_CFLAGS += -O0 --coverage
SHLIB_LINK += --coverage
BUILD_FLAVOR = coverage
else
BUILD_FLAVOR = plain
endif

# pg_regress: one file per feature, run in this order in one database.
REGRESS = \
	hostile_install \
	install \
	checksum \
	schema \
	seed_data \
	timestamps \
	migrate \
	migrate_privileges \
	migration_status \
	upgrade_1_1 \
	migration_files \
	soft_delete \
	soft_delete_admin \
	cascade \
	kept_plans \
	interface \
	audit_append_only \
	audit_purge \
	audit_partitions \
	audit_seals \
	make_append_only \
	other_extension \
	integrity_install \
	integrity_history \
	integrity_ddl \
	integrity_rows \
	integrity_purge \
	access \
	acting_context \
	drift_doctor
REGRESS_OPTS = --inputdir=$(srcdir) --encoding=UTF8 --no-locale

# Isolation specs live in test/specs, their expected output in test/expected.
ISOLATION = migrate_concurrent audit_purge_concurrent soft_delete_concurrent cascade_concurrent ddl_race drop_race partition_race registry_snapshot maintain_concurrent seal_horizon
ISOLATION_OPTS = --inputdir=$(srcdir)/test

# TAP tests (PostgreSQL::Test::Cluster) live in test/t.
TAP_TESTS = 1
PROVE_TESTS = test/t/*.pl

EXTRA_CLEAN = src/migrations_list.h src/scripts_list.h \
	.build_flavor src/*.gcno src/*.gcda src/*.gcov coverage/

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)

# Tests of what a later PostgreSQL adds, run on that version and later
# (REGRESS_LATER lists them all, for test/run.sh's check of the lists).
REGRESS_LATER = integrity_pg17
PG_MAJOR := $(shell $(PG_CONFIG) --version | sed -n 's/^PostgreSQL \([0-9]*\).*/\1/p')
ifeq ($(shell test "0$(PG_MAJOR)" -ge 17 && echo yes),yes)
REGRESS += integrity_pg17
endif

include $(PGXS)

override CFLAGS += -Wall -Werror

# plystractl (bin/Makefile), built, installed and cleaned with the module
all: all-plystractl
install: install-plystractl
uninstall: uninstall-plystractl
clean: clean-plystractl
.PHONY: all-plystractl install-plystractl uninstall-plystractl clean-plystractl
all-plystractl:
	$(MAKE) -C bin PG_CONFIG=$(PG_CONFIG) all
install-plystractl uninstall-plystractl clean-plystractl:
	$(MAKE) -C bin PG_CONFIG=$(PG_CONFIG) $(@:-plystractl=)

MIGRATIONS = $(sort $(wildcard $(srcdir)/migrations/*.sql))
ASSEMBLE = $(SHELL) $(srcdir)/ext/assemble.sh $(srcdir)

plystra--1.0.sql: ext/plystra--1.0.pre.sql ext/plystra--1.0.post.sql \
		migrations/migrations.lst $(MIGRATIONS) ext/assemble.sh
	$(ASSEMBLE) script 1.0 > $@.tmp && mv $@.tmp $@

plystra--1.0--1.1.sql: ext/plystra--1.0--1.1.pre.sql ext/plystra--1.0--1.1.post.sql \
		migrations/migrations.lst $(MIGRATIONS) ext/assemble.sh
	$(ASSEMBLE) script 1.0 1.1 > $@.tmp && mv $@.tmp $@

# (its .post.sql expands the wiring of ext/defs/wiring.sql and @includes
# definitions of ext/defs/)
plystra--1.1--1.2.sql: ext/plystra--1.1--1.2.pre.sql ext/plystra--1.1--1.2.post.sql \
		$(wildcard $(srcdir)/ext/defs/*.sql) migrations/migrations.lst $(MIGRATIONS) ext/assemble.sh
	$(ASSEMBLE) script 1.1 1.2 > $@.tmp && mv $@.tmp $@

# the full script of the current version: the current definitions of
# ext/defs/ and every migration
plystra--1.2.sql: $(wildcard $(srcdir)/ext/defs/*.sql) \
		migrations/migrations.lst $(MIGRATIONS) ext/assemble.sh
	$(ASSEMBLE) full 1.2 > $@.tmp && mv $@.tmp $@

src/migrations_list.h: migrations/migrations.lst $(MIGRATIONS) ext/assemble.sh \
		$(EXTENSION).control
	$(ASSEMBLE) header $(EXTVERSION) > $@.tmp && mv $@.tmp $@

# every object depends on the shared header (PGXS tracks no dependencies)
$(OBJS) $(OBJS:.o=.bc): src/plystra.h src/plystra_shared.h
SEAL_OBJS = src/seal_encoding.o src/seal_rows.o src/audit_seals.o src/audit_verify.o
$(SEAL_OBJS) $(SEAL_OBJS:.o=.bc): src/seals.h

# the checksums of the scripts of this build, which the library checks the
# installed scripts against (src/install.c)
src/scripts_list.h: $(DATA_built) ext/assemble.sh
	$(ASSEMBLE) scripts $(DATA_built) > $@.tmp && mv $@.tmp $@

# the generated headers must exist before anything that includes them is built
src/builtin_migrations.o src/builtin_migrations.bc: src/migrations_list.h
src/install.o src/install.bc: src/scripts_list.h

# the objects are rebuilt when the kind of build changes (plain or coverage)
.build_flavor: FORCE
	@echo $(BUILD_FLAVOR) | cmp -s - $@ || echo $(BUILD_FLAVOR) > $@
$(filter %.o,$(OBJS)): .build_flavor
.PHONY: FORCE
FORCE:

# make coverage: the whole suite (test/run.sh) with an instrumented build,
# then line coverage of src/*.c; the plain build is installed again after
.PHONY: coverage
coverage:
	bash $(srcdir)/test/coverage.sh
