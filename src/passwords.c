/*-------------------------------------------------------------------------
 *
 * passwords.c
 *	  The password hash of a user, kept out of the interface.
 *
 * plystra_data.users.password_hash is not a column of plystra.users.  It is
 * written by plystra.set_password_hash(user_id, hash), which also stamps
 * password_changed_at and audits user.password.changed, and read by
 * plystra.password_hash(user_id), which the sign-in path needs.  Both work
 * on live users only, run as the storage owner, and are granted to nobody
 * by default: a DBA grants them to the role that authenticates users, and
 * only to it.  The database stores what it is given: hashing happens in the
 * application (argon2id, bcrypt, scrypt); a value that cannot be a hash
 * (empty, with whitespace, over 1024 bytes) is refused.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/passwords.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"

#include "plystra.h"

PG_FUNCTION_INFO_V1(plystra_set_password_hash);
PG_FUNCTION_INFO_V1(plystra_password_hash);

#define MAX_HASH_LEN 1024

static SPIPlanPtr set_plan = NULL;
static SPIPlanPtr get_plan = NULL;

static void
no_live_user(int64 user_id)
{
	ereport(ERROR,
			(errcode(ERRCODE_NO_DATA_FOUND),
			 errmsg("no live user with id %lld", (long long) user_id),
			 errdetail("The user does not exist or is deleted.")));
}

/*
 * plystra.set_password_hash(user_id bigint, hash text) returns void
 */
Datum
plystra_set_password_hash(PG_FUNCTION_ARGS)
{
	int64		user_id;
	text	   *hash;
	const char *p;
	int			len;
	Oid			argtypes[2] = {INT8OID, TEXTOID};
	Datum		values[2];
	int			ret;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("user id and password hash must not be null")));
	user_id = PG_GETARG_INT64(0);
	hash = PG_GETARG_TEXT_PP(1);
	len = VARSIZE_ANY_EXHDR(hash);
	if (len == 0 || len > MAX_HASH_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a password hash must have 1 to %d bytes", MAX_HASH_LEN)));
	for (p = VARDATA_ANY(hash); p < VARDATA_ANY(hash) + len; p++)
	{
		if ((unsigned char) *p <= ' ' || *p == 0x7F)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a password hash must not contain whitespace or control characters"),
					 errhint("Pass the encoded hash (e.g. $argon2id$...), never the password.")));
	}

	values[0] = Int64GetDatum(user_id);
	values[1] = PointerGetDatum(hash);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = plystra_execute_as_owner(&set_plan,
								   "UPDATE plystra_data.users"
								   "   SET password_hash = $2,"
								   "       password_changed_at = pg_catalog.now()"
								   " WHERE id OPERATOR(pg_catalog.=) $1 AND deleted_at IS NULL",
								   2, argtypes, values, false, 0);
	if (ret != SPI_OK_UPDATE)
		elog(ERROR, "could not set the password hash: %s", SPI_result_code_string(ret));
	if (SPI_processed == 0)
		no_live_user(user_id);
	plystra_audit("user.password.changed", NULL, "users",
				  psprintf("%lld", (long long) user_id), NULL);
	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * plystra.password_hash(user_id bigint) returns text
 *
 * NULL when the user has no password (e.g. signs in another way).
 */
Datum
plystra_password_hash(PG_FUNCTION_ARGS)
{
	Oid			argtypes[1] = {INT8OID};
	Datum		values[1];
	Datum		result;
	bool		isnull;
	int			ret;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("user id must not be null")));
	values[0] = PG_GETARG_DATUM(0);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = plystra_execute_as_owner(&get_plan,
								   "SELECT password_hash FROM plystra_data.users"
								   " WHERE id OPERATOR(pg_catalog.=) $1 AND deleted_at IS NULL",
								   1, argtypes, values, false, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the password hash: %s", SPI_result_code_string(ret));
	if (SPI_processed == 0)
		no_live_user(DatumGetInt64(values[0]));
	result = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (!isnull)
		result = SPI_datumTransfer(result, false, -1);
	SPI_finish();
	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(result);
}
