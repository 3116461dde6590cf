/*
 * framework.h - which CQC assessment framework a rating came from, the rule
 * for a rating whose file or API answer does not say, shared by the file
 * imports (import.c) and the API sync (cqc_api.c).  Pure.
 */
#ifndef CAREWATCH_FRAMEWORK_H
#define CAREWATCH_FRAMEWORK_H

#include "carewatch/calendar.h"

/* The framework a rating came from (cqc_rating.framework). */
enum cw_framework { CW_FRAMEWORK_LEGACY, CW_FRAMEWORK_SAF, CW_FRAMEWORK_SECTOR };

/* "legacy", "saf", "sector"; "?" out of range.  Never fails. */
const char *cw_framework_word(enum cw_framework f);

/* The framework of a rating published on published, given what the source
 * says of it (a file's framework column, an assessment's field; NULL or ""
 * when nothing): that when it names one ("Single assessment framework",
 * "Sector framework", "2014 framework"), else the single assessment
 * framework from 21 November 2023 and the 2014 one before.  Never fails. */
enum cw_framework cw_import_framework(const char *column, struct cw_date published);

#endif
