/*
 * commands.c - the one table of commands (see cmd.h).  Order here is the
 * order of `carewatch help` and the man page.
 */
#include "carewatch/cmd.h"

extern const struct cw_cmd cw_cmd_help, cw_cmd_version, cw_cmd_shell;
extern const struct cw_cmd cw_cmd_db_migrate, cw_cmd_db_status, cw_cmd_db_role_add;
extern const struct cw_cmd cw_cmd_officer_add, cw_cmd_officer_leave, cw_cmd_officer_list;
extern const struct cw_cmd cw_cmd_calendar_closure_add, cw_cmd_calendar_closure_list,
	cw_cmd_calendar_closure_remove;
extern const struct cw_cmd cw_cmd_provider_add, cw_cmd_provider_find, cw_cmd_provider_list,
	cw_cmd_provider_show, cw_cmd_provider_edit;
extern const struct cw_cmd cw_cmd_concern_add, cw_cmd_visit_add, cw_cmd_safeguarding_add,
	cw_cmd_cqc_add, cw_cmd_ipc_add, cw_cmd_survey_add, cw_cmd_notice_add,
	cw_cmd_restriction_add, cw_cmd_restriction_lift, cw_cmd_loss_add;
extern const struct cw_cmd cw_cmd_rules_check, cw_cmd_rules_activate, cw_cmd_rules_show,
	cw_cmd_rules_diff, cw_cmd_provider_explain;
extern const struct cw_cmd cw_cmd_audit, cw_cmd_search;
extern const struct cw_cmd cw_cmd_backtest, cw_cmd_scores_backfill;
extern const struct cw_cmd cw_cmd_nightly, cw_cmd_flags, cw_cmd_flag_accept, cw_cmd_flag_dismiss,
	cw_cmd_scorer;
extern const struct cw_cmd cw_cmd_case_list, cw_cmd_case_show, cw_cmd_case_respond,
	cw_cmd_case_close, cw_cmd_case_reopen, cw_cmd_case_assign, cw_cmd_worklist;
extern const struct cw_cmd cw_cmd_report_ratings, cw_cmd_report_trend,
	cw_cmd_report_ratings_by_locality, cw_cmd_report_ratings_by_care_type, cw_cmd_report_shift,
	cw_cmd_report_underperforming, cw_cmd_report_concerns, cw_cmd_report_response,
	cw_cmd_report_active_cases, cw_cmd_report_safeguarding, cw_cmd_report_risk_bands,
	cw_cmd_report_restrictions, cw_cmd_report_loss, cw_cmd_report_dashboard,
	cw_cmd_report_annual, cw_cmd_report_target;
extern const struct cw_cmd cw_cmd_caseload, cw_cmd_response;
extern const struct cw_cmd cw_cmd_import_active, cw_cmd_import_deactivated, cw_cmd_cqc_sync,
	cw_cmd_report_compare;
extern const struct cw_cmd cw_cmd_import_directory, cw_cmd_import_ratings, cw_cmd_district_set,
	cw_cmd_district_remove, cw_cmd_district_list;

const struct cw_cmd *const cw_commands[] = {
	&cw_cmd_db_migrate,
	&cw_cmd_db_status,
	&cw_cmd_db_role_add,
	&cw_cmd_officer_add,
	&cw_cmd_officer_leave,
	&cw_cmd_officer_list,
	&cw_cmd_calendar_closure_add, &cw_cmd_calendar_closure_list, &cw_cmd_calendar_closure_remove,
	&cw_cmd_provider_add,
	&cw_cmd_provider_find,
	&cw_cmd_provider_show,
	&cw_cmd_provider_edit,
	&cw_cmd_provider_list,
	&cw_cmd_provider_explain,
	&cw_cmd_concern_add,
	&cw_cmd_visit_add,
	&cw_cmd_safeguarding_add,
	&cw_cmd_cqc_add,
	&cw_cmd_ipc_add,
	&cw_cmd_survey_add,
	&cw_cmd_notice_add,
	&cw_cmd_restriction_add,
	&cw_cmd_restriction_lift,
	&cw_cmd_loss_add,
	&cw_cmd_case_list,
	&cw_cmd_case_show,
	&cw_cmd_case_respond,
	&cw_cmd_case_close,
	&cw_cmd_case_reopen,
	&cw_cmd_case_assign,
	&cw_cmd_worklist,
	&cw_cmd_caseload,
	&cw_cmd_response,
	&cw_cmd_nightly,
	&cw_cmd_scorer,
	&cw_cmd_flags,
	&cw_cmd_flag_accept,
	&cw_cmd_flag_dismiss,
	&cw_cmd_rules_check,
	&cw_cmd_rules_activate,
	&cw_cmd_rules_show,
	&cw_cmd_rules_diff,
	&cw_cmd_backtest,
	&cw_cmd_scores_backfill,
	&cw_cmd_import_directory,
	&cw_cmd_import_ratings,
	&cw_cmd_import_active,
	&cw_cmd_import_deactivated,
	&cw_cmd_cqc_sync,
	&cw_cmd_district_set, &cw_cmd_district_remove, &cw_cmd_district_list,
	&cw_cmd_report_dashboard,
	&cw_cmd_report_annual,
	&cw_cmd_report_ratings,
	&cw_cmd_report_trend,
	&cw_cmd_report_ratings_by_locality,
	&cw_cmd_report_ratings_by_care_type,
	&cw_cmd_report_shift,
	&cw_cmd_report_underperforming,
	&cw_cmd_report_concerns,
	&cw_cmd_report_response,
	&cw_cmd_report_active_cases,
	&cw_cmd_report_safeguarding,
	&cw_cmd_report_risk_bands,
	&cw_cmd_report_restrictions,
	&cw_cmd_report_loss,
	&cw_cmd_report_target,
	&cw_cmd_report_compare,
	&cw_cmd_search,
	&cw_cmd_audit,
	&cw_cmd_shell,
	&cw_cmd_help,
	&cw_cmd_version,
	NULL,
};
