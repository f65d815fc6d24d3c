/*-------------------------------------------------------------------------
 *
 * plystra.c
 *	  Module entry point of the plystra extension: module magic and the
 *	  settings it registers.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/plystra.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "plystra.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/*
 * Module load.  The extension's settings are added here by the features
 * that own them; the prefix is reserved so that a misspelt plystra.* setting
 * is reported instead of silently accepted.
 */
void
_PG_init(void)
{
#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("plystra");
#else
	EmitWarningsOnPlaceholders("plystra");
#endif
}
