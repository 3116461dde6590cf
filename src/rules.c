/*
 * rules.c - the rules-file parser: text to struct cw_ruleset (rules.h).
 *
 * The format (docs/rules.md) is INI-like: [sections], `key = value` lines,
 * `#` comments, and in [conditions] one rule per line (`floor high when
 * cqc.overall = inadequate`).  It is parsed here by hand, line by line, rather
 * than with an INI library, because the point of the parser is its errors:
 * every fault is reported with the file, line and byte column of the exact
 * token at fault, and the vocabulary (risk levels, ratings, domains...) comes
 * from vocab.h so that the rules can never drift from what the database
 * accepts.  The first error stops the parse; nothing is half-loaded.
 *
 * Numbers have at most two decimals and are kept as integer hundredths, so a
 * score computed from them never depends on floating-point rounding.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "carewatch/rules.h"
#include "carewatch/sha256.h"

#define MAX_LINE 4096           /* bytes in one line, without its line end */
#define MAX_FILE 1048576  /* cw_rules_load refuses bigger files (1 MiB) */
#define MAX_KEY 63
#define MAX_TOKENS 64           /* tokens in one condition line */
#define MAX_RULES 256           /* floors, overrides, flags: each */

enum sec {
	SEC_NONE, SEC_RULESET, SEC_BANDS, SEC_RESPONSE, SEC_CASELOAD, SEC_CONDITIONS,
	SEC_CARE_TYPE, SEC_FACTOR,
	SEC__N = SEC_FACTOR + CW_FACTOR__N
};

static const char *const factor_names[CW_FACTOR__N] = {"concern", "safeguarding", "visit",
	"cqc", "ipc", "survey", "restriction", "notice", "loss", "pamms"};

static const char *const fixed_sections[SEC_FACTOR] = {"", "ruleset", "bands", "response",
	"caseload", "conditions", "care_type"};

/* Slots of the keys of the fixed sections (for duplicate and missing checks). */
enum misc {
	M_NAME, M_DESCRIPTION,
	M_BAND,                         /* + enum cw_risk (LOW unused) */
	M_RESPONSE = M_BAND + CW_RISK__N,       /* + enum cw_risk */
	M_TARGET_PCT = M_RESPONSE + CW_RISK__N,
	M_CASELOAD,                     /* + enum cw_risk */
	M_PAMMS_FOLLOW_UP = M_CASELOAD + CW_RISK__N,    /* [pamms] follow_up_months */
	M_PAMMS_PLAN,                   /* [pamms] action_plan_days */
	M__N
};

/* What a value means, which fixes its range and whether it must be whole. */
enum vk { VK_WEIGHT, VK_MULT, VK_DAYS, VK_CAP, VK_COUNT, VK_THRESHOLD, VK_RESPONSE,
	VK_PCT, VK_CASELOAD, VK_SCORE, VK_WITHIN, VK_MONTHS, VK_PLAN_DAYS, VK__N };

static const struct {
	int64_t lo, hi;         /* hundredths, or whole units when whole */
	bool whole;
	const char *unit;       /* for "not a whole number of ..." */
} ranges[VK__N] = {
	[VK_WEIGHT] = {-10000, 10000, false, NULL},
	[VK_MULT] = {0, 200, false, NULL},
	[VK_DAYS] = {0, 3650, true, "days"},
	[VK_CAP] = {0, 100000, false, NULL},
	[VK_COUNT] = {0, 10000, true, "respondents"},
	[VK_THRESHOLD] = {1, 100000, false, NULL},
	[VK_RESPONSE] = {1, 60, true, "working days"},
	[VK_PCT] = {1, 100, true, "percent"},
	[VK_CASELOAD] = {0, 1000, false, NULL},
	[VK_SCORE] = {0, 100000, false, NULL},
	[VK_WITHIN] = {1, 3650, true, "days"},
	[VK_MONTHS] = {1, 36, true, "months"},
	[VK_PLAN_DAYS] = {1, 90, true, "days"},
};

/* Where a line is in the text, to report on it after the fact. */
struct loc {
	int line;
	size_t off, len;
	int col;                /* of the value */
};

struct tok {
	const char *s;
	size_t n;
	bool op;
};

struct parser {
	const char *file;
	const char *text;
	struct cw_rules_error *err;
	struct cw_ruleset *rs;

	int lineno;
	const char *line;       /* current line, without its line end */
	size_t llen;

	enum sec sec;
	unsigned care_mask;     /* care types of the current [care_type] */

	struct loc sec_loc[SEC__N];
	struct loc care_loc[CW_CARE__N];
	struct loc misc_loc[M__N];
	int base_line[CW_P__N];
	int care_line[CW_CARE__N][CW_P__N];
	struct cw_params base;
	int64_t care_v[CW_CARE__N][CW_P__N];

	struct tok toks[MAX_TOKENS];
	int ntok;
};

const char *
cw_rules_factor_name(enum cw_factor f)
{
	return (int)f >= 0 && f < CW_FACTOR__N ? factor_names[f] : "?";
}

static const char *
sec_name(int s)
{
	if (s >= SEC_FACTOR && s < SEC__N)
		return factor_names[s - SEC_FACTOR];
	if (s > SEC_NONE && s < SEC_FACTOR)
		return fixed_sections[s];
	return "?";
}

/* ---- errors ---------------------------------------------------------- */

static bool
vfail_at(struct parser *p, int line, const char *ltext, size_t llen, int col, const char *fmt,
	 va_list ap)
{
	struct cw_rules_error *e = p->err;
	size_t n = llen < sizeof(e->text) - 1 ? llen : sizeof(e->text) - 1;

	e->line = line;
	e->col = col;
	if (ltext != NULL)
		memcpy(e->text, ltext, n);
	e->text[ltext != NULL ? n : 0] = '\0';
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	return false;
}

/* Fail at byte `at` of the current line. */
static bool __attribute__((format(printf, 3, 4)))
fail(struct parser *p, const char *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail_at(p, p->lineno, p->line, p->llen, (int)(at - p->line) + 1, fmt, ap);
	va_end(ap);
	return false;
}

/* Fail on an earlier line (checks made once the whole file is read). */
static bool __attribute__((format(printf, 4, 5)))
fail_loc(struct parser *p, const struct loc *l, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail_at(p, l->line, p->text + l->off, l->len, col, fmt, ap);
	va_end(ap);
	return false;
}

/* Fail about the file as a whole (line 0). */
static bool __attribute__((format(printf, 2, 3)))
fail_file(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail_at(p, 0, NULL, 0, 0, fmt, ap);
	va_end(ap);
	return false;
}

static struct loc
here(const struct parser *p, const char *value)
{
	return (struct loc){p->lineno, (size_t)(p->line - p->text), p->llen,
			    (int)(value - p->line) + 1};
}

/* Copy at most 40 bytes of s for a message, '?' for anything unprintable. */
static const char *
shown(char *buf, size_t size, const char *s, size_t n)
{
	size_t i, max = size - 1 < 40 ? size - 1 : 40;

	for (i = 0; i < n && i < max; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

/* "a, b or c" from a list of words. */
static const char *
join_words(char *buf, size_t size, const char *const *w, int n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && len < size; i++) {
		int k = snprintf(buf + len, size - len, "%s%s",
				 i == 0 ? "" : (i == n - 1 ? " or " : ", "), w[i]);
		if (k < 0)
			break;
		len += (size_t)k;
	}
	return buf;
}

static bool
vocab_fail(struct parser *p, const char *at, size_t n, const struct cw_vocab *v,
	   const char *context)
{
	char expected[256], b[48];

	cw_vocab_expected(v, expected, sizeof(expected));
	return fail(p, at, "invalid %s '%s'%s (expected %s)", v->what, shown(b, sizeof(b), at, n),
		    context, expected);
}

/* Look up n bytes at s in v; -1 when not a word of v. */
static int
vocab_find(const struct cw_vocab *v, const char *s, size_t n)
{
	char buf[MAX_KEY + 1];

	if (n == 0 || n > MAX_KEY)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return cw_vocab_parse(v, buf);
}

static bool
tok_is(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && memcmp(s, word, n) == 0;
}

/* ---- numbers --------------------------------------------------------- */

/* Parse [+-]digits[.d[d]] into hundredths.  0 ok, -1 not a number, -2 more
 * than two decimals, -3 too large to be in any range. */
static int
parse_fixed(const char *s, size_t n, int64_t *out)
{
	size_t i = 0, ni = 0, nf = 0;
	bool neg = false;
	int64_t ip = 0, fp = 0;

	if (i < n && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, ni++)
		if (ni < 10)
			ip = ip * 10 + (s[i] - '0');
	if (ni == 0)
		return -1;
	if (i < n && s[i] == '.') {
		i++;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, nf++)
			if (nf < 2)
				fp = fp * 10 + (s[i] - '0');
		if (nf == 0)
			return -1;
	}
	if (i != n)
		return -1;
	if (nf > 2)
		return -2;
	if (ni > 9)
		return -3;
	if (nf == 1)
		fp *= 10;
	*out = (ip * 100 + fp) * (neg ? -1 : 1);
	return 0;
}

/* Write hundredths as the shortest decimal: 1500 -> "15", 250 -> "2.5". */
static const char *
fmt_hund(char *buf, size_t size, int64_t h)
{
	int64_t a = h < 0 ? -h : h;

	if (a % 100 == 0)
		snprintf(buf, size, "%s%lld", h < 0 ? "-" : "", (long long)(a / 100));
	else if (a % 10 == 0)
		snprintf(buf, size, "%s%lld.%lld", h < 0 ? "-" : "", (long long)(a / 100),
			 (long long)(a % 100 / 10));
	else
		snprintf(buf, size, "%s%lld.%02lld", h < 0 ? "-" : "", (long long)(a / 100),
			 (long long)(a % 100));
	return buf;
}

/* Parse a value of kind k for `what` (a key, for messages).  Whole kinds
 * return whole units, the others hundredths. */
static bool
parse_value(struct parser *p, const char *v, size_t n, enum vk k, const char *what,
	    int64_t *out)
{
	char b[48], lo[24], hi[24];
	int64_t h = 0;
	int rc = parse_fixed(v, n, &h);

	if (rc == -1)
		return fail(p, v, "invalid number '%s' for '%s'", shown(b, sizeof(b), v, n), what);
	if (rc == -2)
		return fail(p, v, "too many decimal places in '%s' (at most 2)",
			    shown(b, sizeof(b), v, n));
	if (ranges[k].whole) {
		if (rc == 0 && h % 100 != 0)
			return fail(p, v, "'%s' is not a whole number ('%s' takes whole %s)",
				    shown(b, sizeof(b), v, n), what, ranges[k].unit);
		h /= 100;
		if (rc == -3 || h < ranges[k].lo || h > ranges[k].hi)
			return fail(p, v, "%s is out of range for '%s' (expected %lld to %lld)",
				    shown(b, sizeof(b), v, n), what, (long long)ranges[k].lo,
				    (long long)ranges[k].hi);
	} else if (rc == -3 || h < ranges[k].lo || h > ranges[k].hi) {
		return fail(p, v, "%s is out of range for '%s' (expected %s to %s)",
			    shown(b, sizeof(b), v, n), what, fmt_hund(lo, sizeof(lo), ranges[k].lo),
			    fmt_hund(hi, sizeof(hi), ranges[k].hi));
	}
	*out = h;
	return true;
}

/* ---- factor keys ----------------------------------------------------- */

static bool
is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

static bool
unknown_factor_key(struct parser *p, enum cw_factor f, const char *k, size_t n)
{
	static const char *const extra[CW_FACTOR__N] = {
		"a risk level, safeguarding_extra, half_life_days, window_days or cap",
		"category.CATEGORY, outcome.OUTCOME, half_life_days, window_days or cap",
		"a visit outcome, half_life_days, window_days or cap",
		"DOMAIN.RATING (e.g. safe.inadequate), half_life_days, window_days or cap",
		"an IPC result, half_life_days, window_days or cap",
		"below_N (N = 1 to 100), min_respondents, half_life_days, window_days or cap",
		"a restriction kind (all, partial) or cap",
		"a notice kind (improvement, performance, default) or cap",
		"a loss kind (closure, nursing_deregistration, beds_lost), half_life_days, window_days or cap",
		"a PAMMS rating (excellent, good, requires_improvement, poor), follow_up_months, action_plan_days, half_life_days, window_days or cap",
	};
	char b[80];

	return fail(p, k, "unknown key '%s' in [%s] (expected %s)", shown(b, sizeof(b), k, n),
		    factor_names[f], extra[f]);
}

/* Resolve a factor's key (n bytes at k) to a parameter and its value kind. */
static bool
factor_key(struct parser *p, enum cw_factor f, const char *k, size_t n, int *param, enum vk *kind)
{
	const char *dot = memchr(k, '.', n);
	size_t n1 = dot ? (size_t)(dot - k) : n;
	const char *k2 = dot ? dot + 1 : NULL;
	size_t n2 = dot ? n - n1 - 1 : 0;
	bool decays = f != CW_FACTOR_RESTRICTION && f != CW_FACTOR_NOTICE;
	int i, j;
	char ctx[96], b[80];

	*kind = VK_WEIGHT;
	if (!dot) {
		if (tok_is(k, n, "cap")) {
			*param = CW_P_CAP + (int)f;
			*kind = VK_CAP;
			return true;
		}
		if (tok_is(k, n, "half_life_days") || tok_is(k, n, "window_days")) {
			if (!decays)
				return fail(p, k, "[%s] has no %s: an open %s counts in full until it ends",
					    factor_names[f], shown(b, sizeof(b), k, n), factor_names[f]);
			*param = (k[0] == 'h' ? CW_P_HALF_LIFE : CW_P_WINDOW) + (int)f;
			*kind = VK_DAYS;
			return true;
		}
	}
	switch (f) {
	case CW_FACTOR_CONCERN:
		if (!dot && tok_is(k, n, "safeguarding_extra")) {
			*param = CW_P_CONCERN_SG_EXTRA;
			return true;
		}
		if (!dot && (i = vocab_find(&cw_vocab_risk, k, n)) >= 0) {
			*param = CW_P_CONCERN + i;
			return true;
		}
		break;
	case CW_FACTOR_SAFEGUARDING:
		if (dot && tok_is(k, n1, "category")) {
			if ((i = vocab_find(&cw_vocab_sg_category, k2, n2)) < 0)
				return vocab_fail(p, k2, n2, &cw_vocab_sg_category, " in [safeguarding]");
			*param = CW_P_SG_CATEGORY + i;
			return true;
		}
		if (dot && tok_is(k, n1, "outcome")) {
			if ((i = vocab_find(&cw_vocab_sg_outcome, k2, n2)) < 0)
				return vocab_fail(p, k2, n2, &cw_vocab_sg_outcome, " in [safeguarding]");
			*param = CW_P_SG_OUTCOME + i;
			*kind = VK_MULT;
			return true;
		}
		break;
	case CW_FACTOR_VISIT:
		if (!dot && (i = vocab_find(&cw_vocab_visit_outcome, k, n)) >= 0) {
			*param = CW_P_VISIT + i;
			return true;
		}
		break;
	case CW_FACTOR_CQC:
		if (!dot)
			break;
		if ((i = vocab_find(&cw_vocab_domain, k, n1)) < 0)
			return vocab_fail(p, k, n1, &cw_vocab_domain, " in [cqc]");
		if (memchr(k2, '.', n2) != NULL)
			break;
		snprintf(ctx, sizeof(ctx), " in key '%s'", shown(b, sizeof(b), k, n));
		if ((j = vocab_find(&cw_vocab_rating, k2, n2)) < 0)
			return vocab_fail(p, k2, n2, &cw_vocab_rating, ctx);
		*param = CW_P_CQC + i * CW_RATING__N + j;
		return true;
	case CW_FACTOR_IPC:
		if (!dot && (i = vocab_find(&cw_vocab_ipc_result, k, n)) >= 0) {
			*param = CW_P_IPC + i;
			return true;
		}
		break;
	case CW_FACTOR_SURVEY:
		if (!dot && tok_is(k, n, "min_respondents")) {
			*param = CW_P_SURVEY_MIN_RESPONDENTS;
			*kind = VK_COUNT;
			return true;
		}
		if (!dot && n > 6 && memcmp(k, "below_", 6) == 0) {
			int64_t v = 0;
			if (parse_fixed(k + 6, n - 6, &v) != 0 || k[6] == '-' || k[6] == '+' ||
			    v % 100 != 0 || v < 100 || v > (int64_t)CW_SURVEY_BANDS * 100)
				return fail(p, k + 6, "invalid survey band '%s' (expected below_N with N a "
					    "whole percent from 1 to 100)", shown(b, sizeof(b), k, n));
			*param = CW_P_SURVEY_BELOW + (int)(v / 100) - 1;
			return true;
		}
		break;
	case CW_FACTOR_RESTRICTION:
		if (!dot && (i = vocab_find(&cw_vocab_restriction_kind, k, n)) >= 0) {
			*param = CW_P_RESTRICTION + i;
			return true;
		}
		break;
	case CW_FACTOR_NOTICE:
		if (!dot && (i = vocab_find(&cw_vocab_notice_kind, k, n)) >= 0) {
			*param = CW_P_NOTICE + i;
			return true;
		}
		break;
	case CW_FACTOR_LOSS:
		if (!dot && (i = vocab_find(&cw_vocab_loss_kind, k, n)) >= 0) {
			*param = CW_P_LOSS + i;
			return true;
		}
		break;
	case CW_FACTOR_PAMMS:
		if (!dot && (i = vocab_find(&cw_vocab_pamms_rating, k, n)) >= 0) {
			*param = CW_P_PAMMS + i;
			return true;
		}
		break;
	case CW_FACTOR__N:
		break;
	}
	return unknown_factor_key(p, f, k, n);
}

/* ---- sections -------------------------------------------------------- */

static bool
section_header(struct parser *p, const char *s, const char *e)
{
	const char *w[16];
	size_t wn[16];
	int nw = 0;
	char b[48];

	const char *close = memchr(s, ']', (size_t)(e - s));
	if (close != NULL && close != e - 1) {
		const char *junk = close + 1;
		while (*junk == ' ' || *junk == '\t')
			junk++;
		return fail(p, junk, "unexpected text after ']' (one section header per line)");
	}
	if (close == NULL)
		return fail(p, e, "expected ']' to close the section header");
	for (const char *q = s + 1; q < e - 1;) {
		if (*q == ' ' || *q == '\t') {
			q++;
			continue;
		}
		if (!is_key_char(*q) || *q == '.') {
			if (*q >= 0x20 && *q < 0x7f)
				return fail(p, q, "unexpected character '%c' in section header", *q);
			return fail(p, q, "unexpected byte 0x%02x in section header", (unsigned char)*q);
		}
		if (nw == 16)
			return fail(p, q, "too many words in section header");
		w[nw] = q;
		while (q < e - 1 && is_key_char(*q) && *q != '.')
			q++;
		wn[nw] = (size_t)(q - w[nw]);
		nw++;
	}
	if (nw == 0)
		return fail(p, s, "empty section name");

	int sec = SEC_NONE;
	for (int i = SEC_RULESET; i < SEC__N; i++)
		if (tok_is(w[0], wn[0], sec_name(i)))
			sec = i;
	if (sec == SEC_NONE) {
		const char *names[SEC__N - 1];
		char list[256];
		for (int i = SEC_RULESET; i < SEC__N; i++)
			names[i - 1] = sec_name(i);
		return fail(p, w[0], "unknown section '%s' (expected %s)",
			    shown(b, sizeof(b), w[0], wn[0]),
			    join_words(list, sizeof(list), names, SEC__N - 1));
	}
	if (sec != SEC_CARE_TYPE) {
		if (nw > 1)
			return fail(p, w[1], "unexpected '%s' after [%s]", shown(b, sizeof(b), w[1], wn[1]),
				    sec_name(sec));
		if (p->sec_loc[sec].line)
			return fail(p, s, "duplicate section [%s] (first at line %d)", sec_name(sec),
				    p->sec_loc[sec].line);
		p->sec_loc[sec] = here(p, s);
		p->sec = (enum sec)sec;
		return true;
	}
	if (nw == 1)
		return fail(p, e - 1, "[care_type] needs at least one care type, e.g. "
			    "[care_type nursing residential]");
	unsigned mask = 0;
	for (int i = 1; i < nw; i++) {
		int c = vocab_find(&cw_vocab_care_type, w[i], wn[i]);
		if (c < 0)
			return vocab_fail(p, w[i], wn[i], &cw_vocab_care_type, "");
		if (mask & (1u << c))
			return fail(p, w[i], "care type '%s' is listed twice", cw_vocab_word(&cw_vocab_care_type, c));
		if (p->care_loc[c].line)
			return fail(p, w[i], "care type '%s' already has a section at line %d",
				    cw_vocab_word(&cw_vocab_care_type, c), p->care_loc[c].line);
		mask |= 1u << c;
	}
	for (int c = 0; c < CW_CARE__N; c++)
		if (mask & (1u << c))
			p->care_loc[c] = here(p, s);
	p->care_mask = mask;
	p->sec = SEC_CARE_TYPE;
	return true;
}

/* A key of [ruleset], [bands], [response] or [caseload]: its slot or -1. */
static int
misc_key(struct parser *p, const char *k, size_t n, enum vk *kind)
{
	int r = vocab_find(&cw_vocab_risk, k, n);
	char b[80];

	switch (p->sec) {
	case SEC_RULESET:
		if (tok_is(k, n, "name"))
			return M_NAME;
		if (tok_is(k, n, "description"))
			return M_DESCRIPTION;
		fail(p, k, "unknown key '%s' in [ruleset] (expected name or description)",
		     shown(b, sizeof(b), k, n));
		return -1;
	case SEC_BANDS:
		*kind = VK_THRESHOLD;
		if (r == CW_RISK_LOW) {
			fail(p, k, "'low' has no threshold: it is every score below medium");
			return -1;
		}
		if (r > CW_RISK_LOW)
			return M_BAND + r;
		fail(p, k, "unknown key '%s' in [bands] (expected medium, high or very_high)",
		     shown(b, sizeof(b), k, n));
		return -1;
	case SEC_RESPONSE:
		*kind = VK_RESPONSE;
		if (r >= 0)
			return M_RESPONSE + r;
		if (tok_is(k, n, "target_pct")) {
			*kind = VK_PCT;
			return M_TARGET_PCT;
		}
		fail(p, k, "unknown key '%s' in [response] (expected low, medium, high, very_high "
		     "or target_pct)", shown(b, sizeof(b), k, n));
		return -1;
	case SEC_CASELOAD:
		*kind = VK_CASELOAD;
		if (r >= 0)
			return M_CASELOAD + r;
		fail(p, k, "unknown key '%s' in [caseload] (expected low, medium, high or very_high)",
		     shown(b, sizeof(b), k, n));
		return -1;
	default:
		fail(p, k, "internal: no keys in this section");
		return -1;
	}
}

static bool
misc_value(struct parser *p, int slot, enum vk kind, const char *k, size_t kn, const char *v,
	   size_t vn)
{
	struct cw_ruleset *rs = p->rs;
	char key[MAX_KEY + 1], b[48];
	int64_t x = 0;

	memcpy(key, k, kn);
	key[kn] = '\0';
	if (slot == M_NAME) {
		if (vn > sizeof(rs->name) - 1)
			return fail(p, v + sizeof(rs->name) - 1, "ruleset name too long (at most %zu characters)",
				    sizeof(rs->name) - 1);
		for (size_t i = 0; i < vn; i++)
			if (!is_key_char(v[i]))
				return fail(p, v + i, "invalid ruleset name '%s' (letters, digits, '.', '_' "
					    "and '-' only)", shown(b, sizeof(b), v, vn));
		memcpy(rs->name, v, vn);
		rs->name[vn] = '\0';
		return true;
	}
	if (slot == M_DESCRIPTION) {
		if (vn > sizeof(rs->description) - 1)
			return fail(p, v + sizeof(rs->description) - 1,
				    "description too long (at most %zu bytes)", sizeof(rs->description) - 1);
		for (size_t i = 0; i < vn; i++)
			if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
				return fail(p, v + i, "unexpected byte 0x%02x in description",
					    (unsigned char)v[i]);
		memcpy(rs->description, v, vn);
		rs->description[vn] = '\0';
		return true;
	}
	if (kind == VK_RESPONSE && tok_is(v, vn, "none")) {
		rs->response_days[slot - M_RESPONSE] = -1;
		return true;
	}
	if (kind == VK_RESPONSE && parse_fixed(v, vn, &x) == -1)
		return fail(p, v, "invalid value '%s' for '%s' (expected a number of working days "
			    "or none)", shown(b, sizeof(b), v, vn), key);
	if (!parse_value(p, v, vn, kind, key, &x))
		return false;
	if (slot >= M_BAND && slot < M_BAND + CW_RISK__N)
		rs->band_min[slot - M_BAND] = x;
	else if (slot >= M_RESPONSE && slot < M_RESPONSE + CW_RISK__N)
		rs->response_days[slot - M_RESPONSE] = (int)x;
	else if (slot == M_TARGET_PCT)
		rs->response_target_pct = (int)x;
	else if (slot >= M_CASELOAD && slot < M_CASELOAD + CW_RISK__N)
		rs->case_weight[slot - M_CASELOAD] = x;
	return true;
}

/* [pamms]'s keys that are not weights: their misc slot, or -1. */
static int
pamms_key(enum cw_factor f, const char *k, size_t n)
{
	if (f != CW_FACTOR_PAMMS)
		return -1;
	if (tok_is(k, n, "follow_up_months"))
		return M_PAMMS_FOLLOW_UP;
	if (tok_is(k, n, "action_plan_days"))
		return M_PAMMS_PLAN;
	return -1;
}

static bool
key_value(struct parser *p, const char *s, const char *e)
{
	const char *k = s, *q = s, *v;
	size_t kn, vn;
	char b[80];

	while (q < e && is_key_char(*q))
		q++;
	kn = (size_t)(q - k);
	if (kn == 0) {
		if (*q >= 0x20 && *q < 0x7f)
			return fail(p, q, "expected a key or a [section], found '%c'", *q);
		return fail(p, q, "unexpected byte 0x%02x", (unsigned char)*q);
	}
	if (kn > MAX_KEY)
		return fail(p, k, "key too long (at most %d characters)", MAX_KEY);
	while (q < e && (*q == ' ' || *q == '\t'))
		q++;
	if (q == e)
		return fail(p, q, "expected '=' after '%s'", shown(b, sizeof(b), k, kn));
	if ((unsigned char)*q >= 0x80)
		return fail(p, q, "non-ASCII byte 0x%02x in a key (keys use ASCII letters, digits, "
			    "'_', '.' and '-')", (unsigned char)*q);
	if (*q != '=') {
		if (*q >= 0x20 && *q < 0x7f)
			return fail(p, q, "expected '=' after '%s', found '%c'", shown(b, sizeof(b), k, kn), *q);
		return fail(p, q, "expected '=' after '%s', found byte 0x%02x", shown(b, sizeof(b), k, kn),
			    (unsigned char)*q);
	}
	q++;
	while (q < e && (*q == ' ' || *q == '\t'))
		q++;
	v = q;
	vn = (size_t)(e - v);
	if (vn == 0)
		return fail(p, v, "missing value for '%s'", shown(b, sizeof(b), k, kn));

	if (p->sec >= SEC_FACTOR) {
		enum cw_factor f = (enum cw_factor)(p->sec - SEC_FACTOR);
		enum vk kind = VK_WEIGHT;
		int param = 0, slot = pamms_key(f, k, kn);
		int64_t x = 0;
		if (slot >= 0) {
			/* Not weights: when the follow-up work is due (worklist.c). */
			if (p->misc_loc[slot].line)
				return fail(p, k, "duplicate key '%s' in [pamms] (first at line %d)",
					    shown(b, sizeof(b), k, kn), p->misc_loc[slot].line);
			if (!parse_value(p, v, vn, slot == M_PAMMS_PLAN ? VK_PLAN_DAYS : VK_MONTHS,
					 shown(b, sizeof(b), k, kn), &x))
				return false;
			if (slot == M_PAMMS_PLAN)
				p->rs->pamms_plan_days = (int)x;
			else
				p->rs->pamms_follow_up_months = (int)x;
			p->misc_loc[slot] = here(p, v);
			return true;
		}
		if (!factor_key(p, f, k, kn, &param, &kind))
			return false;
		if (p->base_line[param])
			return fail(p, k, "duplicate key '%s' in [%s] (first at line %d)",
				    shown(b, sizeof(b), k, kn), factor_names[f], p->base_line[param]);
		if (!parse_value(p, v, vn, kind, shown(b, sizeof(b), k, kn), &x))
			return false;
		p->base_line[param] = p->lineno;
		p->base.v[param] = x;
		p->base.set[param] = true;
		return true;
	}
	if (p->sec == SEC_CARE_TYPE) {
		const char *dot = memchr(k, '.', kn);
		enum vk kind = VK_WEIGHT;
		int param = 0, f = -1;
		int64_t x = 0;
		if (dot == NULL)
			return fail(p, k, "expected FACTOR.KEY in a [care_type] section, e.g. "
				    "cqc.safe.inadequate");
		for (int i = 0; i < CW_FACTOR__N; i++)
			if (tok_is(k, (size_t)(dot - k), factor_names[i]))
				f = i;
		if (f >= 0 && pamms_key((enum cw_factor)f, dot + 1, kn - (size_t)(dot + 1 - k)) >= 0)
			return fail(p, k, "'%s' cannot differ by care type: only factor weights can",
				    shown(b, sizeof(b), k, kn));
		if (f < 0) {
			char list[160];
			for (int i = SEC_RULESET; i < SEC_FACTOR; i++)
				if (tok_is(k, (size_t)(dot - k), sec_name(i)))
					return fail(p, k, "'%s' cannot differ by care type: only factor "
						    "weights can", shown(b, sizeof(b), k, kn));
			return fail(p, k, "unknown factor '%s' (expected %s)",
				    shown(b, sizeof(b), k, (size_t)(dot - k)),
				    join_words(list, sizeof(list), factor_names, CW_FACTOR__N));
		}
		if (!factor_key(p, (enum cw_factor)f, dot + 1, kn - (size_t)(dot + 1 - k), &param, &kind))
			return false;
		for (int c = 0; c < CW_CARE__N; c++)
			if ((p->care_mask & (1u << c)) && p->care_line[c][param])
				return fail(p, k, "duplicate key '%s' for care type '%s' (first at line %d)",
					    shown(b, sizeof(b), k, kn), cw_vocab_word(&cw_vocab_care_type, c),
					    p->care_line[c][param]);
		if (!parse_value(p, v, vn, kind, shown(b, sizeof(b), k, kn), &x))
			return false;
		for (int c = 0; c < CW_CARE__N; c++)
			if (p->care_mask & (1u << c)) {
				p->care_line[c][param] = p->lineno;
				p->care_v[c][param] = x;
			}
		return true;
	}

	enum vk kind = VK_WEIGHT;
	int slot = misc_key(p, k, kn, &kind);
	if (slot < 0)
		return false;
	if (p->misc_loc[slot].line)
		return fail(p, k, "duplicate key '%s' in [%s] (first at line %d)",
			    shown(b, sizeof(b), k, kn), sec_name(p->sec), p->misc_loc[slot].line);
	if (!misc_value(p, slot, kind, k, kn, v, vn))
		return false;
	p->misc_loc[slot] = here(p, v);
	return true;
}

/* ---- conditions ------------------------------------------------------ */

static bool
is_op_char(char c)
{
	return c == '<' || c == '>' || c == '=' || c == '!';
}

static bool
tokenize(struct parser *p, const char *s, const char *e)
{
	p->ntok = 0;
	for (const char *q = s; q < e;) {
		if (*q == ' ' || *q == '\t') {
			q++;
			continue;
		}
		if (p->ntok == MAX_TOKENS)
			return fail(p, q, "condition too long (at most %d words)", MAX_TOKENS);
		struct tok *t = &p->toks[p->ntok++];
		t->s = q;
		if (is_key_char(*q) || *q == '+') {
			while (q < e && (is_key_char(*q) || *q == '+'))
				q++;
			t->op = false;
		} else if (is_op_char(*q)) {
			while (q < e && is_op_char(*q))
				q++;
			t->op = true;
		} else if (*q >= 0x20 && *q < 0x7f) {
			return fail(p, q, "unexpected character '%c'", *q);
		} else {
			return fail(p, q, "unexpected byte 0x%02x", (unsigned char)*q);
		}
		t->n = (size_t)(q - t->s);
	}
	return true;
}

static const char *const cmp_words[] = {"=", "!=", "<", "<=", ">", ">="};

/* Parse a comparison at token i; fail unless one of the allowed. */
static bool
parse_cmp(struct parser *p, int i, const char *after, bool only_eq, enum cw_cmp *out)
{
	char b[48];

	if (i >= p->ntok)
		return fail(p, p->line + p->llen, "expected %s after '%s'",
			    only_eq ? "= or !=" : "a comparison (=, !=, <, <=, >, >=)", after);
	const struct tok *t = &p->toks[i];
	for (int c = 0; c < 6; c++)
		if (tok_is(t->s, t->n, cmp_words[c])) {
			if (only_eq && c != CW_CMP_EQ && c != CW_CMP_NE)
				return fail(p, t->s, "'%s' takes = or != only", after);
			*out = (enum cw_cmp)c;
			return true;
		}
	if (t->op)
		return fail(p, t->s, "unknown operator '%s' (expected =, !=, <, <=, > or >=)",
			    shown(b, sizeof(b), t->s, t->n));
	return fail(p, t->s, "expected %s after '%s', found '%s'",
		    only_eq ? "= or !=" : "a comparison (=, !=, <, <=, >, >=)", after,
		    shown(b, sizeof(b), t->s, t->n));
}

/* The word at token i, or fail saying what was expected. */
static bool
need_word(struct parser *p, int i, const char *what, const char *after)
{
	char b[48];

	if (i >= p->ntok)
		return fail(p, p->line + p->llen, "expected %s after '%s'", what, after);
	if (p->toks[i].op)
		return fail(p, p->toks[i].s, "expected %s after '%s', found '%s'", what, after,
			    shown(b, sizeof(b), p->toks[i].s, p->toks[i].n));
	return true;
}

static bool
vocab_tok(struct parser *p, int i, const struct cw_vocab *v, const char *after, int *out)
{
	char what[64];

	snprintf(what, sizeof(what), "a %s", v->what);
	if (!need_word(p, i, what, after))
		return false;
	*out = vocab_find(v, p->toks[i].s, p->toks[i].n);
	if (*out < 0)
		return vocab_fail(p, p->toks[i].s, p->toks[i].n, v, "");
	return true;
}

/* One term starting at token *ip. */
static bool
parse_term(struct parser *p, int *ip, bool allow_band, struct cw_cond_term *t)
{
	int i = *ip;
	const struct tok *w = &p->toks[i];
	char b[64], subj[48];
	int64_t x = 0;

	memset(t, 0, sizeof(*t));
	if (w->op)
		return fail(p, w->s, "expected a condition, found '%s'", shown(b, sizeof(b), w->s, w->n));
	shown(subj, sizeof(subj), w->s, w->n);
	if (tok_is(w->s, w->n, "score")) {
		t->kind = CW_COND_SCORE;
		if (!parse_cmp(p, i + 1, "score", false, &t->op) || !need_word(p, i + 2, "a number", "score"))
			return false;
		const struct tok *nt = &p->toks[i + 2];
		if (!parse_value(p, nt->s, nt->n, VK_SCORE, "score", &x))
			return false;
		t->num = x;
		snprintf(t->text, sizeof(t->text), "score %s %s", cmp_words[t->op], fmt_hund(b, sizeof(b), x));
		*ip = i + 3;
		return true;
	}
	if (tok_is(w->s, w->n, "band")) {
		if (!allow_band)
			return fail(p, w->s, "'band' can only be used in flag conditions (floors and "
				    "overrides decide the band)");
		t->kind = CW_COND_BAND;
		if (!parse_cmp(p, i + 1, "band", false, &t->op) ||
		    !vocab_tok(p, i + 2, &cw_vocab_risk, "band", &t->value))
			return false;
		snprintf(t->text, sizeof(t->text), "band %s %s", cmp_words[t->op],
			 cw_vocab_word(&cw_vocab_risk, t->value));
		*ip = i + 3;
		return true;
	}
	if (tok_is(w->s, w->n, "care_type")) {
		t->kind = CW_COND_CARE_TYPE;
		if (!parse_cmp(p, i + 1, "care_type", true, &t->op) ||
		    !vocab_tok(p, i + 2, &cw_vocab_care_type, "care_type", &t->value))
			return false;
		snprintf(t->text, sizeof(t->text), "care_type %s %s", cmp_words[t->op],
			 cw_vocab_word(&cw_vocab_care_type, t->value));
		*ip = i + 3;
		return true;
	}

	const char *dot = memchr(w->s, '.', w->n);
	int f = -1;
	if (dot != NULL)
		for (int k = 0; k < CW_FACTOR__N; k++)
			if (tok_is(w->s, (size_t)(dot - w->s), factor_names[k]))
				f = k;
	if (f < 0)
		return fail(p, w->s, "unknown condition '%s' (expected score, band, care_type, "
			    "cqc.DOMAIN, pamms.overall, FACTOR.VALUE within N days, or restriction.KIND "
			    "open)", subj);
	const char *vs = dot + 1;
	size_t vn = w->n - (size_t)(vs - w->s);
	t->factor = (enum cw_factor)f;
	t->field = CW_FIELD_MAIN;

	if (f == CW_FACTOR_CQC) {
		t->kind = CW_COND_CQC;
		if ((t->sub = vocab_find(&cw_vocab_domain, vs, vn)) < 0)
			return vocab_fail(p, vs, vn, &cw_vocab_domain, "");
		if (!parse_cmp(p, i + 1, subj, false, &t->op) ||
		    !vocab_tok(p, i + 2, &cw_vocab_rating, subj, &t->value))
			return false;
		snprintf(t->text, sizeof(t->text), "cqc.%s %s %s",
			 cw_vocab_word(&cw_vocab_domain, t->sub), cmp_words[t->op],
			 cw_vocab_word(&cw_vocab_rating, t->value));
		*ip = i + 3;
		return true;
	}
	if (f == CW_FACTOR_SURVEY)
		return fail(p, w->s, "surveys cannot be used in conditions (their weight is in the score)");
	if (f == CW_FACTOR_PAMMS) {
		/* The current PAMMS rating, as cqc.overall is the current CQC one. */
		if (!tok_is(vs, vn, "overall"))
			return fail(p, vs, "expected 'pamms.overall', found '%s' (a PAMMS audit's "
				    "condition is its overall rating)", subj);
		t->kind = CW_COND_PAMMS;
		if (!parse_cmp(p, i + 1, subj, false, &t->op) ||
		    !vocab_tok(p, i + 2, &cw_vocab_pamms_rating, subj, &t->value))
			return false;
		snprintf(t->text, sizeof(t->text), "pamms.overall %s %s", cmp_words[t->op],
			 cw_vocab_word(&cw_vocab_pamms_rating, t->value));
		*ip = i + 3;
		return true;
	}

	const struct cw_vocab *v = NULL;
	switch ((enum cw_factor)f) {
	case CW_FACTOR_CONCERN: v = &cw_vocab_risk; break;
	case CW_FACTOR_SAFEGUARDING: v = &cw_vocab_sg_outcome; break;
	case CW_FACTOR_VISIT: v = &cw_vocab_visit_outcome; break;
	case CW_FACTOR_IPC: v = &cw_vocab_ipc_result; break;
	case CW_FACTOR_RESTRICTION: v = &cw_vocab_restriction_kind; break;
	case CW_FACTOR_NOTICE: v = &cw_vocab_notice_kind; break;
	default: v = &cw_vocab_loss_kind; break;
	}
	const char *word;
	if (f == CW_FACTOR_CONCERN && tok_is(vs, vn, "safeguarding")) {
		t->field = CW_FIELD_SG_ELEMENT;
		word = "safeguarding";
	} else if (f == CW_FACTOR_SAFEGUARDING && vocab_find(&cw_vocab_sg_outcome, vs, vn) < 0 &&
		   vocab_find(&cw_vocab_sg_category, vs, vn) >= 0) {
		t->field = CW_FIELD_CATEGORY;
		t->value = vocab_find(&cw_vocab_sg_category, vs, vn);
		word = cw_vocab_word(&cw_vocab_sg_category, t->value);
	} else {
		if ((t->value = vocab_find(v, vs, vn)) < 0) {
			if (f == CW_FACTOR_SAFEGUARDING) {
				char e1[160];
				cw_vocab_expected(&cw_vocab_sg_outcome, e1, sizeof(e1));
				return fail(p, vs, "invalid safeguarding outcome or category '%s' "
					    "(expected %s, or a category such as neglect)",
					    shown(b, sizeof(b), vs, vn), e1);
			}
			return vocab_fail(p, vs, vn, v, f == CW_FACTOR_CONCERN ?
					  " (or safeguarding)" : "");
		}
		word = cw_vocab_word(v, t->value);
	}

	if (f == CW_FACTOR_RESTRICTION || f == CW_FACTOR_NOTICE) {
		t->kind = CW_COND_OPEN;
		t->op = CW_CMP_EQ;
		int j = i + 1;
		if (j < p->ntok && tok_is(p->toks[j].s, p->toks[j].n, "not")) {
			t->op = CW_CMP_NE;
			j++;
		}
		if (!need_word(p, j, "'open'", j > i + 1 ? "not" : subj))
			return false;
		if (!tok_is(p->toks[j].s, p->toks[j].n, "open"))
			return fail(p, p->toks[j].s, "expected 'open' or 'not open' after '%s', found '%s'",
				    subj, shown(b, sizeof(b), p->toks[j].s, p->toks[j].n));
		snprintf(t->text, sizeof(t->text), "%s.%s %s", factor_names[f], word,
			 t->op == CW_CMP_EQ ? "open" : "not open");
		*ip = j + 1;
		return true;
	}

	t->kind = CW_COND_WITHIN;
	if (!need_word(p, i + 1, "'within N days'", subj))
		return false;
	if (!tok_is(p->toks[i + 1].s, p->toks[i + 1].n, "within"))
		return fail(p, p->toks[i + 1].s, "expected 'within N days' after '%s', found '%s'", subj,
			    shown(b, sizeof(b), p->toks[i + 1].s, p->toks[i + 1].n));
	if (!need_word(p, i + 2, "a number of days", "within"))
		return false;
	if (!parse_value(p, p->toks[i + 2].s, p->toks[i + 2].n, VK_WITHIN, "within", &x))
		return false;
	t->num = x;
	if (!need_word(p, i + 3, "'days'", shown(b, sizeof(b), p->toks[i + 2].s, p->toks[i + 2].n)))
		return false;
	if (!tok_is(p->toks[i + 3].s, p->toks[i + 3].n, "days") &&
	    !(x == 1 && tok_is(p->toks[i + 3].s, p->toks[i + 3].n, "day")))
		return fail(p, p->toks[i + 3].s, "expected 'days', found '%s'",
			    shown(b, sizeof(b), p->toks[i + 3].s, p->toks[i + 3].n));
	snprintf(t->text, sizeof(t->text), "%s.%s within %lld %s", factor_names[f], word,
		 (long long)x, x == 1 ? "day" : "days");
	*ip = i + 4;
	return true;
}

/* Terms from token i to the end, joined by "and". */
static bool
parse_cond(struct parser *p, int i, bool allow_band, struct cw_cond *c)
{
	char b[48];

	memset(c, 0, sizeof(*c));
	c->line = p->lineno;
	if (i >= p->ntok)
		return fail(p, p->line + p->llen, "expected a condition after 'when'");
	for (;;) {
		if (c->n == CW_COND_MAX_TERMS)
			return fail(p, p->toks[i].s, "too many terms (at most %d joined by 'and')",
				    CW_COND_MAX_TERMS);
		if (!parse_term(p, &i, allow_band, &c->terms[c->n]))
			return false;
		c->n++;
		if (i >= p->ntok)
			return true;
		if (!tok_is(p->toks[i].s, p->toks[i].n, "and"))
			return fail(p, p->toks[i].s, "expected 'and' or the end of the line, found '%s'",
				    shown(b, sizeof(b), p->toks[i].s, p->toks[i].n));
		i++;
		if (i >= p->ntok)
			return fail(p, p->line + p->llen, "expected a condition after 'and'");
	}
}

static bool
same_cond(const struct cw_cond *a, const struct cw_cond *b)
{
	if (a->n != b->n)
		return false;
	for (int i = 0; i < a->n; i++)
		if (strcmp(a->terms[i].text, b->terms[i].text) != 0)
			return false;
	return true;
}

static bool
add_band_rule(struct parser *p, const char *s, struct cw_band_rule **list, size_t *n,
	      const struct cw_band_rule *r, const char *what)
{
	for (size_t i = 0; i < *n; i++)
		if ((*list)[i].band == r->band && same_cond(&(*list)[i].cond, &r->cond))
			return fail(p, s, "duplicate %s (same as line %d)", what, (*list)[i].cond.line);
	if (*n == MAX_RULES)
		return fail(p, s, "too many %ss (at most %d)", what, MAX_RULES);
	struct cw_band_rule *nl = realloc(*list, (*n + 1) * sizeof(**list));
	if (nl == NULL)
		return fail(p, s, "out of memory");
	nl[*n] = *r;
	*list = nl;
	(*n)++;
	return true;
}

static bool
condition_line(struct parser *p, const char *s, const char *e)
{
	struct cw_ruleset *rs = p->rs;
	const struct tok *t0;
	char b[48];

	if (!tokenize(p, s, e))
		return false;
	t0 = &p->toks[0];
	if (tok_is(t0->s, t0->n, "flag")) {
		struct cw_cond c;
		if (!need_word(p, 1, "'when'", "flag"))
			return false;
		if (!tok_is(p->toks[1].s, p->toks[1].n, "when"))
			return fail(p, p->toks[1].s, "expected 'when' after 'flag', found '%s'",
				    shown(b, sizeof(b), p->toks[1].s, p->toks[1].n));
		if (!parse_cond(p, 2, true, &c))
			return false;
		for (size_t i = 0; i < rs->n_flags; i++)
			if (same_cond(&rs->flags[i], &c))
				return fail(p, s, "duplicate flag rule (same as line %d)", rs->flags[i].line);
		if (rs->n_flags == MAX_RULES)
			return fail(p, s, "too many flag rules (at most %d)", MAX_RULES);
		struct cw_cond *nl = realloc(rs->flags, (rs->n_flags + 1) * sizeof(*nl));
		if (nl == NULL)
			return fail(p, s, "out of memory");
		nl[rs->n_flags++] = c;
		rs->flags = nl;
		return true;
	}
	bool is_floor = tok_is(t0->s, t0->n, "floor");
	if (!is_floor && !tok_is(t0->s, t0->n, "override"))
		return fail(p, t0->s, "expected 'floor', 'override' or 'flag', found '%s'",
			    shown(b, sizeof(b), t0->s, t0->n));
	struct cw_band_rule r;
	int band;

	memset(&r, 0, sizeof(r));
	if (!vocab_tok(p, 1, &cw_vocab_risk, is_floor ? "floor" : "override", &band))
		return false;
	if (is_floor && band == CW_RISK_LOW)
		return fail(p, p->toks[1].s, "a floor of low has no effect (every band is at least low)");
	r.band = (enum cw_risk)band;
	if (!need_word(p, 2, "'when'", cw_vocab_word(&cw_vocab_risk, band)))
		return false;
	if (!tok_is(p->toks[2].s, p->toks[2].n, "when"))
		return fail(p, p->toks[2].s, "expected 'when' after '%s', found '%s'",
			    cw_vocab_word(&cw_vocab_risk, band),
			    shown(b, sizeof(b), p->toks[2].s, p->toks[2].n));
	if (!parse_cond(p, 3, false, &r.cond))
		return false;
	if (is_floor)
		return add_band_rule(p, s, &rs->floors, &rs->n_floors, &r, "floor");
	return add_band_rule(p, s, &rs->overrides, &rs->n_overrides, &r, "override");
}

/* ---- lines and the whole file ------------------------------------------ */

static bool
parse_line(struct parser *p)
{
	const char *s = p->line, *e = p->line + p->llen, *hash;
	char b[48];

	hash = memchr(s, '#', p->llen);
	if (hash != NULL)
		e = hash;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	if (s == e)
		return true;
	if (*s == '[')
		return section_header(p, s, e);
	if (p->sec == SEC_NONE) {
		const char *q = s;
		while (q < e && is_key_char(*q))
			q++;
		if (q == s)
			return fail(p, s, "expected a [section] first");
		return fail(p, s, "'%s' is outside any section (the file starts with [ruleset])",
			    shown(b, sizeof(b), s, (size_t)(q - s)));
	}
	if (p->sec == SEC_CONDITIONS)
		return condition_line(p, s, e);
	return key_value(p, s, e);
}

static bool
need_key(struct parser *p, enum sec sec, int slot, const char *key)
{
	if (p->misc_loc[slot].line)
		return true;
	return fail_loc(p, &p->sec_loc[sec], 1, "missing key '%s' in [%s]", key, sec_name(sec));
}

/* Checks that need the whole file: mandatory sections and keys, ordering. */
static bool
finish(struct parser *p)
{
	static const enum sec mandatory[] = {SEC_RULESET, SEC_BANDS, SEC_RESPONSE, SEC_CASELOAD};
	struct cw_ruleset *rs = p->rs;

	for (size_t i = 0; i < sizeof(mandatory) / sizeof(mandatory[0]); i++)
		if (!p->sec_loc[mandatory[i]].line)
			return fail_file(p, "missing section [%s]", sec_name(mandatory[i]));
	/* [pamms] alone may be left out: PAMMS audits came after the rest,
	 * and a ruleset written (and activated, and stored) before then must
	 * still parse; without it an audit weighs 0 and the follow-up
	 * defaults apply. */
	for (int f = 0; f < CW_FACTOR__N; f++)
		if (!p->sec_loc[SEC_FACTOR + f].line && f != CW_FACTOR_PAMMS)
			return fail_file(p, "missing section [%s] (every kind of intelligence needs "
					 "its weights, even if they are 0)", factor_names[f]);

	if (!need_key(p, SEC_RULESET, M_NAME, "name"))
		return false;
	for (int r = CW_RISK_MEDIUM; r < CW_RISK__N; r++)
		if (!need_key(p, SEC_BANDS, M_BAND + r, cw_vocab_word(&cw_vocab_risk, r)))
			return false;
	for (int r = 0; r < CW_RISK__N; r++)
		if (!need_key(p, SEC_RESPONSE, M_RESPONSE + r, cw_vocab_word(&cw_vocab_risk, r)))
			return false;
	if (!need_key(p, SEC_RESPONSE, M_TARGET_PCT, "target_pct"))
		return false;
	for (int r = 0; r < CW_RISK__N; r++)
		if (!need_key(p, SEC_CASELOAD, M_CASELOAD + r, cw_vocab_word(&cw_vocab_risk, r)))
			return false;
	for (int f = 0; f < CW_FACTOR__N; f++) {
		const struct loc *l = &p->sec_loc[SEC_FACTOR + f];
		if (!l->line)
			continue;       /* [pamms], left out: see above */
		if (f != CW_FACTOR_RESTRICTION && f != CW_FACTOR_NOTICE &&
		    !p->base_line[CW_P_HALF_LIFE + f])
			return fail_loc(p, l, 1, "missing key 'half_life_days' in [%s] (0 means no decay)",
					factor_names[f]);
		if (!p->base_line[CW_P_CAP + f])
			return fail_loc(p, l, 1, "missing key 'cap' in [%s]", factor_names[f]);
	}

	/* Thresholds rise with the band, so "score >= threshold" names one band. */
	for (int r = CW_RISK_HIGH; r < CW_RISK__N; r++)
		if (rs->band_min[r] <= rs->band_min[r - 1]) {
			char a[24], b[24];
			const struct loc *l = &p->misc_loc[M_BAND + r];
			return fail_loc(p, l, l->col, "threshold for %s (%s) must be above %s (%s)",
					cw_vocab_word(&cw_vocab_risk, r), fmt_hund(a, sizeof(a), rs->band_min[r]),
					cw_vocab_word(&cw_vocab_risk, r - 1),
					fmt_hund(b, sizeof(b), rs->band_min[r - 1]));
		}
	/* A riskier concern never waits longer than a less risky one. */
	for (int r = CW_RISK_MEDIUM; r < CW_RISK__N; r++) {
		int lo = rs->response_days[r - 1], d = rs->response_days[r];
		const struct loc *l = &p->misc_loc[M_RESPONSE + r];
		if (d == -1 && lo != -1)
			return fail_loc(p, l, l->col, "%s has no response target but %s has one",
					cw_vocab_word(&cw_vocab_risk, r), cw_vocab_word(&cw_vocab_risk, r - 1));
		if (d != -1 && lo != -1 && d > lo)
			return fail_loc(p, l, l->col, "%s responds in %d working days, slower than %s (%d)",
					cw_vocab_word(&cw_vocab_risk, r), d,
					cw_vocab_word(&cw_vocab_risk, r - 1), lo);
	}

	for (int c = 0; c < CW_CARE__N; c++) {
		rs->params[c] = p->base;
		for (int k = 0; k < CW_P__N; k++)
			if (p->care_line[c][k]) {
				rs->params[c].v[k] = p->care_v[c][k];
				rs->params[c].set[k] = true;
			}
	}
	return true;
}

struct cw_ruleset *
cw_rules_parse(const char *filename, const char *text, size_t len, struct cw_rules_error *err)
{
	struct parser *p;
	struct cw_ruleset *rs;
	size_t pos = 0;
	bool ok = true;

	memset(err, 0, sizeof(*err));
	snprintf(err->file, sizeof(err->file), "%s", filename ? filename : "<rules>");
	if (text == NULL) {
		text = "";
		len = 0;
	}
	p = calloc(1, sizeof(*p));
	rs = calloc(1, sizeof(*rs));
	if (p == NULL || rs == NULL) {
		free(p);
		free(rs);
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return NULL;
	}
	p->file = err->file;
	p->text = text;
	p->err = err;
	p->rs = rs;
	for (int r = 0; r < CW_RISK__N; r++)
		rs->response_days[r] = -1;
	rs->pamms_follow_up_months = 6;
	rs->pamms_plan_days = 14;
	cw_sha256_hex(text, len, rs->hash);
	if (rs->hash[0] == '\0') {
		ok = fail_file(p, "cannot compute the SHA-256 of the file");
		goto out;
	}

	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		pos = 3;
	while (ok && pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		const char *nul;

		p->lineno++;
		p->line = text + pos;
		p->llen = end - pos;
		if (p->llen > 0 && p->line[p->llen - 1] == '\r')
			p->llen--;
		if ((nul = memchr(p->line, '\0', p->llen)) != NULL)
			ok = fail(p, nul, "NUL byte in the file (a rules file is text)");
		else if (p->llen > MAX_LINE)
			ok = fail(p, p->line + MAX_LINE, "line too long (more than %d bytes)", MAX_LINE);
		else
			ok = parse_line(p);
		pos = end + 1;
	}
	if (ok)
		ok = finish(p);
out:
	free(p);
	if (!ok) {
		cw_rules_free(rs);
		return NULL;
	}
	return rs;
}

struct cw_ruleset *
cw_rules_load(const char *path, struct cw_rules_error *err)
{
	FILE *f;
	char *buf;
	size_t n;
	struct cw_ruleset *rs;

	memset(err, 0, sizeof(*err));
	snprintf(err->file, sizeof(err->file), "%s", path);
	f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(err->msg, sizeof(err->msg), "cannot open: %s", strerror(errno));
		return NULL;
	}
	buf = malloc(MAX_FILE + 1);
	if (buf == NULL) {
		fclose(f);
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return NULL;
	}
	n = fread(buf, 1, MAX_FILE + 1, f);
	if (ferror(f)) {
		snprintf(err->msg, sizeof(err->msg), "cannot read: %s", strerror(errno));
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	if (n > MAX_FILE) {
		snprintf(err->msg, sizeof(err->msg), "file too large (more than %d bytes)", MAX_FILE);
		free(buf);
		return NULL;
	}
	rs = cw_rules_parse(path, buf, n, err);
	free(buf);
	return rs;
}

void
cw_rules_free(struct cw_ruleset *rs)
{
	if (rs == NULL)
		return;
	free(rs->floors);
	free(rs->overrides);
	free(rs->flags);
	free(rs);
}

const char *
cw_rules_name(const struct cw_ruleset *rs)
{
	return rs->name;
}

const char *
cw_rules_hash(const struct cw_ruleset *rs)
{
	return rs->hash;
}

int
cw_rules_response_days(const struct cw_ruleset *rs, enum cw_risk r)
{
	return (int)r >= 0 && r < CW_RISK__N ? rs->response_days[r] : -1;
}

double
cw_rules_case_weight(const struct cw_ruleset *rs, enum cw_risk r)
{
	return (int)r >= 0 && r < CW_RISK__N ? (double)rs->case_weight[r] / 100.0 : 0.0;
}

int
cw_rules_response_target_pct(const struct cw_ruleset *rs)
{
	return rs->response_target_pct;
}

int
cw_rules_pamms_follow_up_months(const struct cw_ruleset *rs)
{
	return rs->pamms_follow_up_months;
}

int
cw_rules_pamms_plan_days(const struct cw_ruleset *rs)
{
	return rs->pamms_plan_days;
}

void
cw_rules_error_format(const struct cw_rules_error *e, char *buf, size_t size)
{
	size_t len = 0, tl;
	int k;

	if (size == 0)
		return;
	buf[0] = '\0';
	if (e->line <= 0) {
		snprintf(buf, size, "%s: error: %s\n", e->file, e->msg);
		return;
	}
	k = snprintf(buf, size, "%s:%d:%d: error: %s\n  ", e->file, e->line, e->col, e->msg);
	if (k < 0 || (size_t)k >= size)
		return;
	len = (size_t)k;
	/* The line, with control characters made visible so a hostile file
	 * cannot drive the terminal. */
	tl = strlen(e->text);
	for (size_t i = 0; i < tl && len + 1 < size; i++) {
		unsigned char c = (unsigned char)e->text[i];
		buf[len++] = (c < 0x20 && c != '\t') || c == 0x7f ? '?' : (char)c;
	}
	if (len + 3 >= size) {
		buf[len < size ? len : size - 1] = '\0';
		return;
	}
	buf[len++] = '\n';
	buf[len++] = ' ';
	buf[len++] = ' ';
	/* Spaces (tabs where the line has tabs) up to the column; one per
	 * character, not per UTF-8 byte. */
	for (int i = 0; i + 1 < e->col && (size_t)i < tl && len + 1 < size; i++) {
		unsigned char c = (unsigned char)e->text[i];
		if (c >= 0x80 && c < 0xC0)
			continue;
		buf[len++] = c == '\t' ? '\t' : ' ';
	}
	if (len + 2 < size) {
		buf[len++] = '^';
		buf[len++] = '\n';
	}
	buf[len < size ? len : size - 1] = '\0';
}
