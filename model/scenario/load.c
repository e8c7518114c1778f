/*
 * scenario/load.c — a YAML tree to a validated cs_scenario.
 *
 * cs_scenario_convert walks the tree once, reads every key of the contract
 * (../shared/spec/SCENARIO.md, scenarios/README.md), resolves names to
 * indices and checks every rule, reporting each mistake where it is and
 * carrying on so that one pass reports all of a file's errors. Checks that
 * depend on a part that already failed (e.g. reachability when a `to` names
 * nothing) are skipped rather than reported twice.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "scenario/graph.h"
#include "scenario/internal.h"

#define Z_0_9 1.2815515655446004 /* 90% quantile of the standard normal */
#define SHARE_TOLERANCE 1e-9
#define MAX_SLOPE 100.0 /* |evidence_slope|: exp(slope/2) stays far from overflow */
/* Odds ratios: with |slope| <= 100 and p_ref >= 2^-53, a branch's odds stay
 * below 1e50, so the engine's sum over 16 branches cannot overflow (an
 * infinite sum would silently send every case down the last branch). */
#define MAX_ODDS_RATIO 1e6
#define MAX_PRIORITY 1000000
#define CAPACITY_EPS 1e-9 /* floor(staff*caseload + eps): 0.1*30 is 3, not 2 */

/* ---------------------------------------------------------------- messages */

void cs_conv_fail(cs_conv *c, int status, const cs_ynode *at, cs_pos pos, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (at)
        pos = at->pos;
    c->errors++;
    if (!c->variant) {
        cs_error_at(c->err, status, c->file, pos.line, pos.column, "%s", msg);
        return;
    }
    /* Variant mode: blame the change that altered this node, else the last. */
    size_t k = c->n_changes ? c->n_changes - 1 : 0;
    if (at && at->patched_by >= 0 && (size_t)at->patched_by < c->n_changes)
        k = (size_t)at->patched_by;
    if (c->n_changes == 0) {
        cs_error_at(c->err, status, c->file, pos.line, pos.column, "in `%s`: %s", c->variant, msg);
        return;
    }
    const cs_applied_change *ac = &c->changes[k];
    const char *what = strcmp(ac->intervention, c->variant) == 0 ? "intervention" : "bundle";
    if (strcmp(what, "bundle") == 0)
        cs_error_at(c->err, status, c->file, ac->change->pos.line, ac->change->pos.column,
                    "bundle `%s`, intervention `%s`, change of `%s` makes the scenario "
                    "invalid: %s (line %d, column %d)",
                    c->variant, ac->intervention, ac->change->path, msg, pos.line, pos.column);
    else
        cs_error_at(c->err, status, c->file, ac->change->pos.line, ac->change->pos.column,
                    "intervention `%s`, change of `%s` makes the scenario invalid: %s "
                    "(line %d, column %d)",
                    c->variant, ac->change->path, msg, pos.line, pos.column);
}

static void fail(cs_conv *c, const cs_ynode *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(cs_conv *c, const cs_ynode *at, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cs_pos none = {0, 0};
    cs_conv_fail(c, CS_EINVAL, at, none, "%s", msg);
}

static void fail_limit(cs_conv *c, const cs_ynode *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail_limit(cs_conv *c, const cs_ynode *at, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cs_pos none = {0, 0};
    cs_conv_fail(c, CS_ELIMIT, at, none, "%s", msg);
}

/* ------------------------------------------------------- names, suggestions */

static size_t edit_distance(const char *a, const char *b)
{
    /* Optimal string alignment distance (a transposition counts as one). */
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return SIZE_MAX;
    size_t d[65][65];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v)
                v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[la][lb];
}

const char *cs_nearest(const char *word, const char *const *cands, size_t n)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        if (!cands[i])
            continue;
        size_t d = edit_distance(word, cands[i]);
        if (d < best_d) {
            best_d = d;
            best = cands[i];
        }
    }
    size_t len = strlen(word);
    size_t limit = len / 3 > 2 ? len / 3 : 2;
    if (len <= 2)
        limit = 1;
    return best && best_d <= limit ? best : NULL;
}

bool cs_name_ok(const char *name)
{
    if (!name || !(name[0] >= 'a' && name[0] <= 'z'))
        return false;
    size_t i = 0;
    for (; name[i]; i++) {
        char ch = name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_'))
            return false;
        if (i >= CS_MAX_NAME_LEN)
            return false;
    }
    return true;
}

/* Formats "one of: a, b, c" into buf. */
static const char *list_names(char *buf, size_t size, const char *const *names, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used + 1 < size; i++) {
        if (!names[i])
            continue;
        int w = snprintf(buf + used, size - used, "%s`%.*s`", used ? ", " : "", CS_MAX_NAME_LEN,
                         names[i]);
        if (w < 0 || (size_t)w >= size - used)
            break;
        used += (size_t)w;
    }
    return buf;
}

/* Reports "unknown NAME" with the nearest candidate, or the list of them. */
static void fail_unknown(cs_conv *c, const cs_ynode *at, const char *what, const char *where,
                         const char *word, const char *const *cands, size_t n)
{
    /* The word is echoed up to a name's length: it may be megabytes long. */
    const char *more = strlen(word) > CS_MAX_NAME_LEN ? "..." : "";
    const char *near = cs_nearest(word, cands, n);
    if (near) {
        fail(c, at, "unknown %s `%.*s%s`%s; did you mean `%s`?", what, CS_MAX_NAME_LEN, word, more,
             where, near);
    } else {
        char buf[512];
        fail(c, at, "unknown %s `%.*s%s`%s; expected one of: %s", what, CS_MAX_NAME_LEN, word, more,
             where, list_names(buf, sizeof buf, cands, n));
    }
}

/* Reports every key of map that is not in allowed. */
static void check_keys(cs_conv *c, const cs_ynode *map, const char *where,
                       const char *const *allowed, size_t n)
{
    for (size_t i = 0; i < map->n; i++) {
        const char *k = map->keys[i]->value;
        bool ok = false;
        for (size_t j = 0; j < n && !ok; j++)
            ok = strcmp(k, allowed[j]) == 0;
        if (!ok) {
            char in[128];
            snprintf(in, sizeof in, " in %s", where);
            fail_unknown(c, map->keys[i], "key", in, k, allowed, n);
        }
    }
}

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ values */

const char *cs_parse_number(const char *text, double *out)
{
    const char *t = text;
    const char *u = (*t == '+' || *t == '-') ? t + 1 : t;
    if (strcmp(u, ".nan") == 0 || strcmp(u, ".NaN") == 0 || strcmp(u, ".NAN") == 0 ||
        strcmp(u, "nan") == 0 || strcmp(u, "NaN") == 0)
        return "is not a number (NaN is not allowed)";
    if (strcmp(u, ".inf") == 0 || strcmp(u, ".Inf") == 0 || strcmp(u, ".INF") == 0 ||
        strcmp(u, "inf") == 0 || strcmp(u, "infinity") == 0 || strcmp(u, "Infinity") == 0)
        return "is infinite (only finite numbers are allowed)";
    /* [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)? */
    const char *p = u;
    size_t digits = 0;
    while (*p >= '0' && *p <= '9') {
        p++;
        digits++;
    }
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9') {
            p++;
            digits++;
        }
    }
    if (digits == 0)
        return "is not a number";
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            return "is not a number";
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p != '\0')
        return "is not a number";
    errno = 0;
    char *end = NULL;
    double v = strtod(text, &end);
    if (end == text || *end != '\0')
        return "is not a number";
    if (!isfinite(v) || (errno == ERANGE && fabs(v) > 1.0))
        return "is too large (it overflows a double)";
    /* Underflow to a tiny or zero value is accepted: it is what was meant. */
    *out = v;
    return NULL;
}

/* Reads a number; reports and returns false if node is not one. */
static bool get_num(cs_conv *c, const cs_ynode *n, const char *what, double *out)
{
    if (n->kind != CS_YNODE_SCALAR || cs_ynode_is_null(n)) {
        fail(c, n, "`%s` must be a number, got %s", what, cs_ynode_kind_name(n));
        return false;
    }
    if (n->quoted) {
        fail(c, n, "`%s` must be a number, got the quoted string \"%.40s\" (remove the quotes)",
             what, n->value);
        return false;
    }
    const char *why = cs_parse_number(n->value, out);
    if (why) {
        fail(c, n, "`%s` must be a finite number; `%.40s` %s", what, n->value, why);
        return false;
    }
    return true;
}

/* A number in [lo, hi] (open at lo when lo_open). */
static bool get_num_in(cs_conv *c, const cs_ynode *n, const char *what, double lo, bool lo_open,
                       double hi, double *out)
{
    double v;
    if (!get_num(c, n, what, &v))
        return false;
    if ((lo_open ? !(v > lo) : !(v >= lo)) || v > hi) {
        char range[96];
        if (hi == HUGE_VAL)
            snprintf(range, sizeof range, "%s %g", lo_open ? ">" : ">=", lo);
        else if (lo_open)
            snprintf(range, sizeof range, "> %g and <= %g", lo, hi);
        else
            snprintf(range, sizeof range, "between %g and %g", lo, hi);
        fail(c, n, "`%s` must be %s, got %.15g", what, range, v);
        return false;
    }
    *out = v;
    return true;
}

/* A whole number in [lo, hi] (hi <= 2^64-1). Digits are read exactly; a
 * number written with a fraction or exponent must have a whole value up to
 * 2^53 (exactly representable). */
static bool get_whole(cs_conv *c, const cs_ynode *n, const char *what, uint64_t lo, uint64_t hi,
                      uint64_t *out)
{
    double v;
    if (!get_num(c, n, what, &v))
        return false;
    const char *t = n->value;
    bool all_digits = *t != '\0';
    for (const char *p = (*t == '+') ? t + 1 : t; *p; p++)
        if (!(*p >= '0' && *p <= '9'))
            all_digits = false;
    uint64_t u;
    if (all_digits) {
        errno = 0;
        unsigned long long x = strtoull(t, NULL, 10);
        if (errno == ERANGE || x > hi || x < lo) {
            fail(c, n, "`%s` must be a whole number between %llu and %llu, got %s", what,
                 (unsigned long long)lo, (unsigned long long)hi, t);
            return false;
        }
        u = (uint64_t)x;
    } else {
        if (v != floor(v)) {
            fail(c, n, "`%s` must be a whole number, got %.15g", what, v);
            return false;
        }
        if (v < (double)lo || v > (double)hi || v > 9007199254740992.0) {
            fail(c, n, "`%s` must be a whole number between %llu and %llu, got %.15g", what,
                 (unsigned long long)lo, (unsigned long long)hi, v);
            return false;
        }
        u = (uint64_t)v;
    }
    *out = u;
    return true;
}

static bool get_bool(cs_conv *c, const cs_ynode *n, const char *what, bool *out)
{
    if (n->kind == CS_YNODE_SCALAR && !n->quoted) {
        const char *t = n->value;
        if (!strcmp(t, "true") || !strcmp(t, "True") || !strcmp(t, "TRUE")) {
            *out = true;
            return true;
        }
        if (!strcmp(t, "false") || !strcmp(t, "False") || !strcmp(t, "FALSE")) {
            *out = false;
            return true;
        }
    }
    fail(c, n, "`%s` must be true or false, got %s%s%.40s%s", what, cs_ynode_kind_name(n),
         n->kind == CS_YNODE_SCALAR ? " `" : "", n->kind == CS_YNODE_SCALAR ? n->value : "",
         n->kind == CS_YNODE_SCALAR ? "`" : "");
    return false;
}

/* Any text (plain or quoted). *out is a new string or stays NULL. */
static bool get_text(cs_conv *c, const cs_ynode *n, const char *what, char **out)
{
    if (n->kind != CS_YNODE_SCALAR || cs_ynode_is_null(n)) {
        fail(c, n, "`%s` must be text, got %s", what, cs_ynode_kind_name(n));
        return false;
    }
    *out = cs_xstrdup(n->value);
    if (!*out) {
        cs_conv_fail(c, CS_ENOMEM, n, n->pos, "out of memory");
        return false;
    }
    return true;
}

/* A line of text of at most max bytes (a title, a label, a path): longer
 * text is a limit error, so that a hostile file cannot put megabytes into
 * names that are echoed in messages, reports and results files. */
static bool get_short_text(cs_conv *c, const cs_ynode *n, const char *what, size_t max, char **out)
{
    if (n->kind == CS_YNODE_SCALAR && !cs_ynode_is_null(n) && strlen(n->value) > max) {
        fail_limit(c, n, "`%s` is %zu characters long; the limit is %zu", what, strlen(n->value),
                   max);
        return false;
    }
    return get_text(c, n, what, out);
}

/* A name: [a-z][a-z0-9_]*, at most CS_MAX_NAME_LEN bytes. */
static bool get_name(cs_conv *c, const cs_ynode *n, const char *what, char **out)
{
    if (n->kind != CS_YNODE_SCALAR || cs_ynode_is_null(n)) {
        fail(c, n, "`%s` must be a name, got %s", what, cs_ynode_kind_name(n));
        return false;
    }
    if (strlen(n->value) > CS_MAX_NAME_LEN) {
        fail_limit(c, n, "the name `%.40s...` is %zu characters long; the limit is %d", n->value,
                   strlen(n->value), CS_MAX_NAME_LEN);
        get_text(c, n, what, out); /* kept so that references to it do not cascade */
        return false;
    }
    if (!cs_name_ok(n->value)) {
        fail(c, n,
             "`%.80s` is not a valid name: use lower-case letters, digits and `_`, starting "
             "with a letter (e.g. `african_descent`)",
             n->value);
        get_text(c, n, what, out); /* kept so that references to it do not cascade */
        return false;
    }
    return get_text(c, n, what, out);
}

/* The value of a required key, or NULL after reporting it missing. */
static const cs_ynode *need(cs_conv *c, const cs_ynode *map, const char *key, const char *where)
{
    const cs_ynode *v = cs_ynode_get(map, key);
    if (!v)
        fail(c, map, "%s needs `%s`", where, key);
    return v;
}

static bool is_map(cs_conv *c, const cs_ynode *n, const char *what)
{
    if (n->kind == CS_YNODE_MAP)
        return true;
    fail(c, n, "%s must be a mapping (`key: value` lines), got %s", what, cs_ynode_kind_name(n));
    return false;
}

/* A list of 1..max items; oversize is a limit error naming the limit. */
static bool is_list(cs_conv *c, const cs_ynode *n, const char *what, size_t max,
                    const char *limit_name)
{
    if (n->kind != CS_YNODE_SEQ) {
        fail(c, n, "`%s` must be a list (lines starting with `- `), got %s", what,
             cs_ynode_kind_name(n));
        return false;
    }
    if (n->n == 0) {
        fail(c, n, "`%s` is empty: give at least one", what);
        return false;
    }
    if (n->n > max) {
        fail_limit(c, n, "`%s` has %zu entries; the limit is %zu (%s)", what, n->n, max,
                   limit_name);
        return false;
    }
    return true;
}

/* Returns p, reporting "out of memory" when it is NULL (every allocation of
 * the conversion goes through cs_xcalloc or cs_xstrdup and then here). */
static void *conv_mem(cs_conv *c, void *p)
{
    if (!p) {
        cs_pos none = {0, 0};
        cs_conv_fail(c, CS_ENOMEM, NULL, none, "out of memory");
    }
    return p;
}

/* --------------------------------------------------------- per-group values */

static void group_names(const cs_scenario *s, const char **names)
{
    for (size_t g = 0; g < s->n_groups; g++)
        names[g] = s->groups[g].name;
}

/* One number for every group, or a mapping group -> number. Each value is
 * checked to lie in [lo, hi]. Returns false after reporting. */
static bool get_per_group(cs_conv *c, const cs_ynode *n, const char *what, const cs_scenario *s,
                          double lo, double hi, double *out)
{
    if (s->n_groups == 0)
        return false;
    if (n->kind == CS_YNODE_SCALAR) {
        double v;
        if (!get_num_in(c, n, what, lo, false, hi, &v))
            return false;
        for (size_t g = 0; g < s->n_groups; g++)
            out[g] = v;
        return true;
    }
    if (n->kind != CS_YNODE_MAP) {
        fail(c, n, "`%s` must be a number or a mapping from group to number, got %s", what,
             cs_ynode_kind_name(n));
        return false;
    }
    const char *names[CS_MAX_GROUPS];
    group_names(s, names);
    bool ok = true;
    bool seen[CS_MAX_GROUPS] = {false};
    for (size_t i = 0; i < n->n; i++) {
        const char *k = n->keys[i]->value;
        size_t g = 0;
        while (g < s->n_groups && !(names[g] && strcmp(names[g], k) == 0))
            g++;
        if (g == s->n_groups) {
            char in[128];
            snprintf(in, sizeof in, " in `%s`", what);
            fail_unknown(c, n->keys[i], "group", in, k, names, s->n_groups);
            ok = false;
            continue;
        }
        char w[160];
        snprintf(w, sizeof w, "%s.%s", what, k);
        if (!get_num_in(c, n->items[i], w, lo, false, hi, &out[g]))
            ok = false;
        seen[g] = true;
    }
    for (size_t g = 0; g < s->n_groups && ok; g++)
        if (!seen[g] && names[g]) {
            fail(c, n,
                 "`%s` gives no value for group `%s` (give every group, or one number for all)",
                 what, names[g]);
            ok = false;
        }
    return ok;
}

/* ---------------------------------------------------------------- sections */

static const char *const TOP_KEYS[] = {"casesim", "name",     "description",   "time",
                                       "run",     "groups",   "violations",    "evidence",
                                       "stages",  "outcomes", "interventions", "bundles"};
static const char *const TIME_KEYS[] = {"warmup_years", "cohort_years", "follow_up_years"};
static const char *const RUN_KEYS[] = {"replicates", "seed"};
static const char *const GROUP_KEYS[] = {"name", "label", "incidents_per_year"};
static const char *const VIOLATION_KEYS[] = {"name", "share", "well_founded", "priority"};
static const char *const EVIDENCE_KEYS[] = {"well_founded", "unfounded"};
static const char *const BETA_KEYS[] = {"beta"};
static const char *const STAGE_KEYS[] = {"name",     "entry",    "staff",      "caseload", "queue",
                                         "duration", "deadline", "max_visits", "branches"};
static const char *const DURATION_KEYS[] = {"fixed",     "exponential", "gamma",
                                            "lognormal", "uniform",     "weibull"};
static const char *const DEADLINE_KEYS[] = {"days", "from", "to"};
static const char *const BRANCH_KEYS[] = {"to", "p", "evidence_slope", "unfounded_odds_ratio",
                                          "kind_odds_ratio"};
static const char *const OUTCOME_KEYS[] = {"accountability", "redress"};
static const char *const INTERVENTION_KEYS[] = {"name", "description", "annual_cost", "changes"};
static const char *const CHANGE_KEYS[] = {"path", "set", "scale"};
static const char *const BUNDLE_KEYS[] = {"name", "description", "interventions"};

static void read_time(cs_conv *c, const cs_ynode *root, cs_scenario *s)
{
    const cs_ynode *t = need(c, root, "time", "the scenario");
    if (!t || !is_map(c, t, "`time`"))
        return;
    check_keys(c, t, "`time`", TIME_KEYS, N_OF(TIME_KEYS));
    const cs_ynode *w = need(c, t, "warmup_years", "`time`");
    const cs_ynode *h = need(c, t, "cohort_years", "`time`");
    const cs_ynode *f = need(c, t, "follow_up_years", "`time`");
    bool ok = true;
    if (w)
        ok &= get_num_in(c, w, "warmup_years", 0, false, CS_MAX_YEARS, &s->warmup_years);
    if (h)
        ok &= get_num_in(c, h, "cohort_years", 0, true, CS_MAX_YEARS, &s->cohort_years);
    if (f)
        ok &= get_num_in(c, f, "follow_up_years", 0, false, CS_MAX_YEARS, &s->follow_up_years);
    if (w && h && f && ok) {
        double total = s->warmup_years + s->cohort_years + s->follow_up_years;
        if (total > CS_MAX_YEARS)
            fail_limit(c, t,
                       "the run lasts %g years (warmup + cohort + follow-up); the limit is %g",
                       total, CS_MAX_YEARS);
    }
}

#define DEFAULT_REPLICATES 100
#define DEFAULT_SEED 1

static void read_run(cs_conv *c, const cs_ynode *root, cs_scenario *s)
{
    s->replicates = DEFAULT_REPLICATES;
    s->seed = DEFAULT_SEED;
    const cs_ynode *r = cs_ynode_get(root, "run");
    if (!r || !is_map(c, r, "`run`"))
        return;
    check_keys(c, r, "`run`", RUN_KEYS, N_OF(RUN_KEYS));
    const cs_ynode *n = cs_ynode_get(r, "replicates");
    if (n) {
        /* One message per mistake: get_whole would repeat get_num's. The
         * value is echoed as written, so that 2^62 is not shown rounded. */
        double v;
        if (get_num(c, n, "replicates", &v)) {
            if (v > CS_MAX_REPLICATES)
                fail_limit(c, n, "`replicates` is %.40s; the limit is %d", n->value,
                           CS_MAX_REPLICATES);
            else
                get_whole(c, n, "replicates", 1, CS_MAX_REPLICATES, &s->replicates);
        }
    }
    n = cs_ynode_get(r, "seed");
    if (n)
        get_whole(c, n, "seed", 0, UINT64_MAX, &s->seed);
}

static void read_groups(cs_conv *c, const cs_ynode *root, cs_scenario *s)
{
    const cs_ynode *l = need(c, root, "groups", "the scenario");
    if (!l || !is_list(c, l, "groups", CS_MAX_GROUPS, "CS_MAX_GROUPS"))
        return;
    s->groups = conv_mem(c, cs_xcalloc(l->n, sizeof *s->groups));
    if (!s->groups)
        return;
    s->n_groups = l->n;
    double total = 0;
    bool rates_ok = true;
    for (size_t i = 0; i < l->n; i++) {
        const cs_ynode *m = l->items[i];
        cs_group *g = &s->groups[i];
        g->pos = m->pos;
        if (!is_map(c, m, "a group")) {
            rates_ok = false;
            continue;
        }
        check_keys(c, m, "a group", GROUP_KEYS, N_OF(GROUP_KEYS));
        const cs_ynode *n = need(c, m, "name", "a group");
        if (n && get_name(c, n, "name", &g->name)) {
            for (size_t j = 0; j < i; j++)
                if (s->groups[j].name && strcmp(s->groups[j].name, g->name) == 0)
                    fail(c, n, "duplicate group name `%s` (first at line %d)", g->name,
                         s->groups[j].pos.line);
        }
        n = cs_ynode_get(m, "label");
        if (n)
            get_short_text(c, n, "label", CS_MAX_TEXT_LEN, &g->label);
        if (!g->label && g->name)
            g->label = conv_mem(c, cs_xstrdup(g->name));
        n = need(c, m, "incidents_per_year", "a group");
        if (n &&
            get_num_in(c, n, "incidents_per_year", 0, false, CS_MAX_RATE, &g->incidents_per_year))
            total += g->incidents_per_year;
        else
            rates_ok = false;
    }
    if (rates_ok && total <= 0)
        fail(c, l, "every group has `incidents_per_year: 0`: there would be nothing to simulate");
}

static void read_violations(cs_conv *c, const cs_ynode *root, cs_scenario *s)
{
    const cs_ynode *l = need(c, root, "violations", "the scenario");
    if (!l || !is_list(c, l, "violations", CS_MAX_VIOLATIONS, "CS_MAX_VIOLATIONS"))
        return;
    s->violations = conv_mem(c, cs_xcalloc(l->n, sizeof *s->violations));
    if (!s->violations)
        return;
    s->n_violations = l->n;
    bool shares_ok = s->n_groups > 0;
    for (size_t i = 0; i < l->n; i++) {
        const cs_ynode *m = l->items[i];
        cs_violation *v = &s->violations[i];
        v->pos = m->pos;
        v->priority = (int)i + 1;
        v->share = conv_mem(c, cs_xcalloc(s->n_groups, sizeof *v->share));
        if (!v->share || !is_map(c, m, "a violation")) {
            shares_ok = false;
            continue;
        }
        check_keys(c, m, "a violation", VIOLATION_KEYS, N_OF(VIOLATION_KEYS));
        const cs_ynode *n = need(c, m, "name", "a violation");
        if (n && get_name(c, n, "name", &v->name)) {
            for (size_t j = 0; j < i; j++)
                if (s->violations[j].name && strcmp(s->violations[j].name, v->name) == 0)
                    fail(c, n, "duplicate violation name `%s` (first at line %d)", v->name,
                         s->violations[j].pos.line);
        }
        n = need(c, m, "share", "a violation");
        if (!n || !get_per_group(c, n, "share", s, 0, 1, v->share))
            shares_ok = false;
        n = need(c, m, "well_founded", "a violation");
        if (n)
            get_num_in(c, n, "well_founded", 0, false, 1, &v->well_founded);
        n = cs_ynode_get(m, "priority");
        if (n) {
            double p;
            if (get_num(c, n, "priority", &p)) {
                if (p != floor(p) || fabs(p) > MAX_PRIORITY)
                    fail(c, n, "`priority` must be a whole number between %d and %d, got %.15g",
                         -MAX_PRIORITY, MAX_PRIORITY, p);
                else
                    v->priority = (int)p;
            }
        }
    }
    if (!shares_ok)
        return;
    for (size_t g = 0; g < s->n_groups; g++) {
        double sum = 0;
        for (size_t i = 0; i < s->n_violations; i++)
            sum += s->violations[i].share[g];
        if (fabs(sum - 1.0) > SHARE_TOLERANCE)
            fail(c, l,
                 "the shares of group `%s` sum to %.15g; they must sum to 1 (within %g) over "
                 "all violations",
                 s->groups[g].name ? s->groups[g].name : "?", sum, SHARE_TOLERANCE);
    }
}

static void read_beta(cs_conv *c, const cs_ynode *m, const char *what, double *a, double *b)
{
    *a = 1;
    *b = 1;
    if (!m)
        return;
    if (!is_map(c, m, what))
        return;
    check_keys(c, m, what, BETA_KEYS, N_OF(BETA_KEYS));
    const cs_ynode *bt = need(c, m, "beta", what);
    if (!bt)
        return;
    if (bt->kind != CS_YNODE_SEQ || bt->n != 2) {
        fail(c, bt, "`beta` must be a list of two numbers [a, b], got %s", cs_ynode_kind_name(bt));
        return;
    }
    get_num_in(c, bt->items[0], "beta a", 0, true, HUGE_VAL, a);
    get_num_in(c, bt->items[1], "beta b", 0, true, HUGE_VAL, b);
}

static void read_evidence(cs_conv *c, const cs_ynode *root, cs_scenario *s)
{
    cs_evidence *e = &s->evidence;
    e->well_founded_a = e->well_founded_b = e->unfounded_a = e->unfounded_b = 1;
    const cs_ynode *m = cs_ynode_get(root, "evidence");
    if (!m || !is_map(c, m, "`evidence`"))
        return;
    check_keys(c, m, "`evidence`", EVIDENCE_KEYS, N_OF(EVIDENCE_KEYS));
    read_beta(c, cs_ynode_get(m, "well_founded"), "`evidence.well_founded`", &e->well_founded_a,
              &e->well_founded_b);
    read_beta(c, cs_ynode_get(m, "unfounded"), "`evidence.unfounded`", &e->unfounded_a,
              &e->unfounded_b);
}

/* --------------------------------------------------------------- durations */

static void read_duration(cs_conv *c, const cs_ynode *n, cs_duration *d)
{
    d->kind = CS_DUR_NONE;
    if (!is_map(c, n, "`duration`"))
        return;
    if (n->n != 1) {
        fail(c, n,
             "`duration` must name exactly one distribution (one of fixed, exponential, "
             "gamma, lognormal, uniform, weibull), got %zu keys",
             n->n);
        return;
    }
    check_keys(c, n, "`duration`", DURATION_KEYS, N_OF(DURATION_KEYS));
    const char *fam = n->keys[0]->value;
    const cs_ynode *v = n->items[0];
    if (strcmp(fam, "fixed") == 0) {
        if (get_num_in(c, v, "fixed", 0, false, HUGE_VAL, &d->a)) {
            d->kind = CS_DUR_FIXED;
            d->mean = d->a;
        }
        return;
    }
    static const char *const EXP_K[] = {"mean"};
    static const char *const GAMMA_K[] = {"mean", "cv"};
    static const char *const LN_K[] = {"median", "p90", "mean", "cv"};
    static const char *const UNI_K[] = {"min", "max"};
    static const char *const WEI_K[] = {"shape", "scale"};
    char where[64];
    snprintf(where, sizeof where, "`%s`", fam);
    if (strcmp(fam, "exponential") == 0) {
        if (!is_map(c, v, where))
            return;
        check_keys(c, v, where, EXP_K, N_OF(EXP_K));
        const cs_ynode *m = need(c, v, "mean", where);
        if (m && get_num_in(c, m, "mean", 0, true, HUGE_VAL, &d->a)) {
            d->kind = CS_DUR_EXPONENTIAL;
            d->mean = d->a;
        }
    } else if (strcmp(fam, "gamma") == 0) {
        if (!is_map(c, v, where))
            return;
        check_keys(c, v, where, GAMMA_K, N_OF(GAMMA_K));
        const cs_ynode *m = need(c, v, "mean", where), *cv = need(c, v, "cv", where);
        double mean, cvv;
        if (m && cv && get_num_in(c, m, "mean", 0, true, HUGE_VAL, &mean) &&
            get_num_in(c, cv, "cv", 0, true, HUGE_VAL, &cvv)) {
            d->kind = CS_DUR_GAMMA;
            d->a = 1.0 / (cvv * cvv);
            d->b = mean * cvv * cvv;
            d->mean = mean;
            if (!isfinite(d->a) || !isfinite(d->b) || d->a <= 0 || d->b <= 0) {
                fail(c, v, "this gamma distribution cannot be represented (mean %g, cv %g)", mean,
                     cvv);
                d->kind = CS_DUR_NONE;
            }
        }
    } else if (strcmp(fam, "lognormal") == 0) {
        if (!is_map(c, v, where))
            return;
        check_keys(c, v, where, LN_K, N_OF(LN_K));
        const cs_ynode *med = cs_ynode_get(v, "median"), *p90 = cs_ynode_get(v, "p90");
        const cs_ynode *m = cs_ynode_get(v, "mean"), *cv = cs_ynode_get(v, "cv");
        if ((med || p90) && (m || cv)) {
            fail(c, v, "`lognormal` takes either {median, p90} or {mean, cv}, not both");
            return;
        }
        if (med || p90) {
            double a, b;
            if (!med || !p90) {
                fail(c, v, "`lognormal` with `%s` also needs `%s`", med ? "median" : "p90",
                     med ? "p90" : "median");
                return;
            }
            if (!get_num_in(c, med, "median", 0, true, HUGE_VAL, &a) ||
                !get_num_in(c, p90, "p90", 0, true, HUGE_VAL, &b))
                return;
            if (!(b > a)) {
                fail(c, p90, "`p90` (%g) must be greater than `median` (%g)", b, a);
                return;
            }
            d->a = log(a);
            d->b = log(b / a) / Z_0_9;
        } else if (m || cv) {
            double mean, cvv;
            if (!m || !cv) {
                fail(c, v, "`lognormal` with `%s` also needs `%s`", m ? "mean" : "cv",
                     m ? "cv" : "mean");
                return;
            }
            if (!get_num_in(c, m, "mean", 0, true, HUGE_VAL, &mean) ||
                !get_num_in(c, cv, "cv", 0, true, HUGE_VAL, &cvv))
                return;
            double s2 = log1p(cvv * cvv);
            d->b = sqrt(s2);
            d->a = log(mean) - s2 / 2;
        } else {
            fail(c, v, "`lognormal` needs {median, p90} or {mean, cv}");
            return;
        }
        d->kind = CS_DUR_LOGNORMAL;
        d->mean = exp(d->a + d->b * d->b / 2);
        if (!isfinite(d->mean) || !isfinite(d->a)) {
            fail(c, v, "this lognormal distribution has no finite mean");
            d->kind = CS_DUR_NONE;
        }
    } else if (strcmp(fam, "uniform") == 0) {
        if (!is_map(c, v, where))
            return;
        check_keys(c, v, where, UNI_K, N_OF(UNI_K));
        const cs_ynode *lo = need(c, v, "min", where), *hi = need(c, v, "max", where);
        if (lo && hi && get_num_in(c, lo, "min", 0, false, HUGE_VAL, &d->a) &&
            get_num_in(c, hi, "max", 0, false, HUGE_VAL, &d->b)) {
            if (d->b < d->a) {
                fail(c, hi, "`max` (%g) must not be less than `min` (%g)", d->b, d->a);
                return;
            }
            d->kind = CS_DUR_UNIFORM;
            d->mean = (d->a + d->b) / 2;
        }
    } else if (strcmp(fam, "weibull") == 0) {
        if (!is_map(c, v, where))
            return;
        check_keys(c, v, where, WEI_K, N_OF(WEI_K));
        const cs_ynode *k = need(c, v, "shape", where), *l = need(c, v, "scale", where);
        if (k && l && get_num_in(c, k, "shape", 0, true, HUGE_VAL, &d->a) &&
            get_num_in(c, l, "scale", 0, true, HUGE_VAL, &d->b)) {
            d->mean = d->b * tgamma(1.0 + 1.0 / d->a);
            if (!isfinite(d->mean)) {
                fail(c, v, "this weibull distribution has no finite mean (shape %g too small)",
                     d->a);
                return;
            }
            d->kind = CS_DUR_WEIBULL;
        }
    }
}

/* ----------------------------------------------------------- stages, graph */

/* Names of stages (from the list) and outcomes (mapping keys), gathered before
 * the stages are read so that a `to` can name a later stage. */
typedef struct names {
    const char *stage[CS_MAX_STAGES];
    size_t n_stages;
    const char *outcome[CS_MAX_OUTCOMES];
    size_t n_outcomes;
    const char *all[CS_MAX_STAGES + CS_MAX_OUTCOMES];
    size_t n_all;
} names;

static bool find_target(const names *nm, const char *name, cs_target *t)
{
    for (size_t i = 0; i < nm->n_stages; i++)
        if (nm->stage[i] && strcmp(nm->stage[i], name) == 0) {
            t->is_stage = true;
            t->index = i;
            return true;
        }
    for (size_t i = 0; i < nm->n_outcomes; i++)
        if (nm->outcome[i] && strcmp(nm->outcome[i], name) == 0) {
            t->is_stage = false;
            t->index = i;
            return true;
        }
    return false;
}

static bool find_outcome(const names *nm, const char *name, size_t *index)
{
    for (size_t i = 0; i < nm->n_outcomes; i++)
        if (nm->outcome[i] && strcmp(nm->outcome[i], name) == 0) {
            *index = i;
            return true;
        }
    return false;
}

static bool resolve_target(cs_conv *c, const names *nm, const cs_ynode *n, cs_target *t)
{
    if (n->kind != CS_YNODE_SCALAR || cs_ynode_is_null(n)) {
        fail(c, n, "a `to` entry must name a stage or an outcome, got %s", cs_ynode_kind_name(n));
        return false;
    }
    if (find_target(nm, n->value, t))
        return true;
    fail_unknown(c, n, "stage or outcome", "", n->value, nm->all, nm->n_all);
    return false;
}

static bool read_branch(cs_conv *c, const names *nm, const cs_ynode *m, cs_scenario *s,
                        cs_branch *b)
{
    bool ok = true;
    b->pos = m->pos;
    b->unfounded_odds_ratio = 1;
    b->p = conv_mem(c, cs_xcalloc(s->n_groups, sizeof *b->p));
    b->kind_odds_ratio = conv_mem(c, cs_xcalloc(s->n_violations, sizeof *b->kind_odds_ratio));
    if (!b->p || !b->kind_odds_ratio)
        return false;
    for (size_t k = 0; k < s->n_violations; k++)
        b->kind_odds_ratio[k] = 1;
    if (!is_map(c, m, "a branch"))
        return false;
    check_keys(c, m, "a branch", BRANCH_KEYS, N_OF(BRANCH_KEYS));
    const cs_ynode *to = need(c, m, "to", "a branch");
    if (to) {
        if (to->kind == CS_YNODE_SEQ) {
            if (to->n == 0) {
                fail(c, to, "`to` is an empty list: name at least one stage or outcome");
                ok = false;
            } else if (to->n > CS_MAX_FORK) {
                fail_limit(c, to, "a fork into %zu tracks; the limit is %d (CS_MAX_FORK)", to->n,
                           CS_MAX_FORK);
                ok = false;
            } else {
                b->to = conv_mem(c, cs_xcalloc(to->n, sizeof *b->to));
                if (!b->to)
                    return false;
                b->n_to = to->n;
                for (size_t i = 0; i < to->n; i++) {
                    if (!resolve_target(c, nm, to->items[i], &b->to[i])) {
                        ok = false;
                        continue;
                    }
                    for (size_t j = 0; j < i; j++)
                        if (b->to[j].is_stage == b->to[i].is_stage &&
                            b->to[j].index == b->to[i].index &&
                            to->items[j]->kind == CS_YNODE_SCALAR)
                            fail(c, to->items[i], "`%s` appears twice in this fork",
                                 to->items[i]->value);
                }
            }
        } else {
            b->to = conv_mem(c, cs_xcalloc(1, sizeof *b->to));
            if (!b->to)
                return false;
            b->n_to = 1;
            ok &= resolve_target(c, nm, to, &b->to[0]);
        }
    } else {
        ok = false;
    }
    const cs_ynode *p = cs_ynode_get(m, "p");
    b->is_reference = p == NULL;
    if (p && !get_per_group(c, p, "p", s, 0, 1, b->p))
        ok = false;
    const cs_ynode *n;
    static const char *const ref_only[] = {"evidence_slope", "unfounded_odds_ratio",
                                           "kind_odds_ratio"};
    if (b->is_reference)
        for (size_t i = 0; i < N_OF(ref_only); i++)
            if ((n = cs_ynode_key(m, ref_only[i])))
                fail(c, n,
                     "the reference branch (the one without `p`) cannot have `%s`: odds are "
                     "measured against it; put it on the other branches",
                     ref_only[i]);
    if ((n = cs_ynode_get(m, "evidence_slope")))
        get_num_in(c, n, "evidence_slope", -MAX_SLOPE, false, MAX_SLOPE, &b->evidence_slope);
    if ((n = cs_ynode_get(m, "unfounded_odds_ratio")))
        get_num_in(c, n, "unfounded_odds_ratio", 0, true, MAX_ODDS_RATIO, &b->unfounded_odds_ratio);
    if ((n = cs_ynode_get(m, "kind_odds_ratio"))) {
        if (is_map(c, n, "`kind_odds_ratio`")) {
            const char *vn[CS_MAX_VIOLATIONS];
            for (size_t k = 0; k < s->n_violations; k++)
                vn[k] = s->violations[k].name;
            for (size_t i = 0; i < n->n; i++) {
                const char *k = n->keys[i]->value;
                size_t v = 0;
                while (v < s->n_violations && !(vn[v] && strcmp(vn[v], k) == 0))
                    v++;
                if (v == s->n_violations) {
                    fail_unknown(c, n->keys[i], "violation", " in `kind_odds_ratio`", k, vn,
                                 s->n_violations);
                    continue;
                }
                char w[128];
                snprintf(w, sizeof w, "kind_odds_ratio.%s", k);
                get_num_in(c, n->items[i], w, 0, true, MAX_ODDS_RATIO, &b->kind_odds_ratio[v]);
            }
        }
    }
    return ok;
}

static void read_deadline(cs_conv *c, const names *nm, const cs_ynode *d, cs_stage *st)
{
    if (!is_map(c, d, "`deadline`"))
        return;
    check_keys(c, d, "`deadline`", DEADLINE_KEYS, N_OF(DEADLINE_KEYS));
    const cs_ynode *days = need(c, d, "days", "`deadline`");
    const cs_ynode *from = need(c, d, "from", "`deadline`");
    const cs_ynode *to = need(c, d, "to", "`deadline`");
    bool ok = days && from && to;
    if (days)
        ok &= get_num_in(c, days, "days", 0, false, HUGE_VAL, &st->deadline_days);
    if (from) {
        if (from->kind == CS_YNODE_SCALAR && strcmp(from->value, "incident") == 0)
            st->deadline_from = CS_FROM_INCIDENT;
        else if (from->kind == CS_YNODE_SCALAR && strcmp(from->value, "stage") == 0)
            st->deadline_from = CS_FROM_STAGE;
        else {
            fail(c, from, "`from` must be `incident` or `stage`, got %s%s%.40s%s",
                 cs_ynode_kind_name(from), from->kind == CS_YNODE_SCALAR ? " `" : "",
                 from->kind == CS_YNODE_SCALAR ? from->value : "",
                 from->kind == CS_YNODE_SCALAR ? "`" : "");
            ok = false;
        }
    }
    bool to_ok = false;
    if (to) {
        cs_target t;
        if (to->kind != CS_YNODE_SCALAR || cs_ynode_is_null(to)) {
            fail(c, to, "the deadline's `to` must name an outcome, got %s", cs_ynode_kind_name(to));
            ok = false;
        } else if (find_outcome(nm, to->value, &st->deadline_outcome)) {
            to_ok = true;
        } else if (find_target(nm, to->value, &t)) {
            fail(c, to, "the deadline's `to` must name an outcome; `%s` is a stage", to->value);
            ok = false;
        } else {
            fail_unknown(c, to, "outcome", "", to->value, nm->outcome, nm->n_outcomes);
            ok = false;
        }
    }
    /* Set when the outcome resolved, even if another field failed (the
     * scenario is refused anyway): the outcome then counts as reached. */
    st->has_deadline = to_ok;
    (void)ok;
}

/* Reads one stage; returns false if something it needs for the graph
 * checks (its targets) failed. */
static bool read_stage(cs_conv *c, const names *nm, const cs_ynode *m, cs_scenario *s, size_t index,
                       bool *is_entry, bool *entry_bad)
{
    cs_stage *st = &s->stages[index];
    st->pos = m->pos;
    st->caseload = 1;
    st->max_visits = 1;
    *is_entry = false;
    if (!is_map(c, m, "a stage"))
        return false;
    check_keys(c, m, "a stage", STAGE_KEYS, N_OF(STAGE_KEYS));
    const cs_ynode *n = need(c, m, "name", "a stage");
    if (n)
        get_name(c, n, "name", &st->name);
    if ((n = cs_ynode_get(m, "entry")) && !get_bool(c, n, "entry", is_entry))
        *entry_bad = true;
    const cs_ynode *staff = cs_ynode_get(m, "staff");
    if (staff) {
        st->has_staff = get_num_in(c, staff, "staff", 0, false, CS_MAX_STAFF, &st->staff);
    }
    if ((n = cs_ynode_get(m, "caseload"))) {
        uint64_t cl;
        if (!staff)
            fail(c, cs_ynode_key(m, "caseload"),
                 "`caseload` needs `staff`: it is the number of cases one staff member carries");
        if (get_whole(c, n, "caseload", 1, CS_MAX_CASELOAD, &cl))
            st->caseload = (uint32_t)cl;
    }
    if (st->has_staff) {
        double cap = floor(st->staff * (double)st->caseload + CAPACITY_EPS);
        st->capacity = (uint64_t)cap;
    }
    if ((n = cs_ynode_get(m, "queue"))) {
        if (n->kind == CS_YNODE_SCALAR && strcmp(n->value, "fifo") == 0)
            st->queue = CS_QUEUE_FIFO;
        else if (n->kind == CS_YNODE_SCALAR && strcmp(n->value, "priority") == 0)
            st->queue = CS_QUEUE_PRIORITY;
        else
            fail(c, n, "`queue` must be `fifo` or `priority`, got %s%s%.40s%s",
                 cs_ynode_kind_name(n), n->kind == CS_YNODE_SCALAR ? " `" : "",
                 n->kind == CS_YNODE_SCALAR ? n->value : "", n->kind == CS_YNODE_SCALAR ? "`" : "");
        if (!staff)
            fail(c, cs_ynode_key(m, "queue"),
                 "`queue` needs `staff`: a stage without staff has no queue");
    }
    if ((n = cs_ynode_get(m, "duration")))
        read_duration(c, n, &st->duration);
    if ((n = cs_ynode_get(m, "deadline")))
        read_deadline(c, nm, n, st);
    if ((n = cs_ynode_get(m, "max_visits"))) {
        uint64_t mv;
        if (get_whole(c, n, "max_visits", 1, CS_MAX_VISITS, &mv))
            st->max_visits = (uint32_t)mv;
    }
    if (st->has_staff && st->capacity == 0 && !st->has_deadline && !cs_ynode_get(m, "deadline"))
        fail(c, staff,
             "staff %g x caseload %u gives this stage no place at all: its cases would wait "
             "forever (give more staff, or a deadline)",
             st->staff, st->caseload);

    const cs_ynode *bl = need(c, m, "branches", "a stage");
    if (!bl || !is_list(c, bl, "branches", CS_MAX_BRANCHES, "CS_MAX_BRANCHES"))
        return false;
    st->branches = conv_mem(c, cs_xcalloc(bl->n, sizeof *st->branches));
    if (!st->branches)
        return false;
    st->n_branches = bl->n;
    bool ok = true;
    for (size_t i = 0; i < bl->n; i++)
        ok &= read_branch(c, nm, bl->items[i], s, &st->branches[i]);

    /* Exactly one reference branch; p of the others sum below 1. */
    size_t n_ref = 0;
    for (size_t i = 0; i < bl->n; i++)
        if (st->branches[i].is_reference && bl->items[i]->kind == CS_YNODE_MAP) {
            if (n_ref == 1)
                fail(c, bl->items[i],
                     "a second branch without `p` in stage `%s`: exactly one branch (the "
                     "reference, which takes the rest) may omit `p`",
                     st->name ? st->name : "?");
            else
                st->reference_branch = i;
            n_ref++;
        }
    if (n_ref == 0) {
        fail(c, bl,
             "stage `%s` has no reference branch: exactly one branch must omit `p` (it takes "
             "the rest of the probability)",
             st->name ? st->name : "?");
        return ok;
    }
    if (n_ref > 1 || s->n_groups == 0)
        return ok;
    char bad[512];
    size_t used = 0, n_bad = 0, bad_group = 0;
    bad[0] = '\0';
    for (size_t g = 0; g < s->n_groups; g++) {
        double sum = 0;
        for (size_t i = 0; i < st->n_branches; i++)
            if (!st->branches[i].is_reference)
                sum += st->branches[i].p[g];
        if (sum < 1.0) {
            st->branches[st->reference_branch].p[g] = 1.0 - sum;
            continue;
        }
        if (used < sizeof bad) {
            int w = snprintf(bad + used, sizeof bad - used, "%s%.15g for group `%s`",
                             n_bad ? ", " : "", sum, s->groups[g].name ? s->groups[g].name : "?");
            used += w > 0 ? (size_t)w : 0;
        }
        n_bad++;
        bad_group = g;
    }
    if (n_bad) {
        /* Point at the last branch with p: that is where the total tips over;
         * at the group's own value when only one group is concerned. */
        size_t last = 0;
        for (size_t i = 0; i < st->n_branches; i++)
            if (!st->branches[i].is_reference)
                last = i;
        const cs_ynode *pn = cs_ynode_get(bl->items[last], "p");
        const cs_ynode *gn = n_bad == 1 && s->groups[bad_group].name
                                 ? cs_ynode_get(pn, s->groups[bad_group].name)
                                 : NULL;
        fail(c, gn ? gn : pn,
             "in stage `%s`, the branch probabilities `p` sum to %s; they must sum to less than "
             "1 so that the reference branch keeps some",
             st->name ? st->name : "?", bad);
    }
    return ok;
}

static void read_outcomes(cs_conv *c, const cs_ynode *m, cs_scenario *s)
{
    s->outcomes = conv_mem(c, cs_xcalloc(m->n, sizeof *s->outcomes));
    if (!s->outcomes)
        return;
    s->n_outcomes = m->n;
    s->categories = conv_mem(c, cs_xcalloc(m->n, sizeof *s->categories));
    if (!s->categories)
        return;
    for (size_t i = 0; i < m->n; i++) {
        cs_outcome *o = &s->outcomes[i];
        o->pos = m->keys[i]->pos;
        o->category = -1;
        get_name(c, m->keys[i], "outcome", &o->name);
        const cs_ynode *v = m->items[i];
        if (cs_ynode_is_null(v))
            continue;
        if (!is_map(c, v, "an outcome"))
            continue;
        check_keys(c, v, "an outcome", OUTCOME_KEYS, N_OF(OUTCOME_KEYS));
        const cs_ynode *n;
        if ((n = cs_ynode_get(v, "redress")))
            get_bool(c, n, "redress", &o->redress);
        if ((n = cs_ynode_get(v, "accountability"))) {
            char *cat = NULL;
            if (!get_name(c, n, "accountability", &cat)) {
                free(cat);
                continue;
            }
            size_t k = 0;
            while (k < s->n_categories && strcmp(s->categories[k], cat) != 0)
                k++;
            if (k == s->n_categories)
                s->categories[s->n_categories++] = cat;
            else
                free(cat);
            o->category = (int)k;
        }
    }
}

/* reach[i][j]: stage j can be reached from stage i; used[o]: some branch or
 * deadline leads to outcome o. */
static void reachability(const cs_scenario *s, bool reach[CS_MAX_STAGES][CS_MAX_STAGES],
                         bool used[CS_MAX_OUTCOMES])
{
    size_t n = s->n_stages;
    memset(reach, 0, sizeof(bool) * CS_MAX_STAGES * CS_MAX_STAGES);
    memset(used, 0, sizeof(bool) * CS_MAX_OUTCOMES);
    for (size_t i = 0; i < n; i++) {
        const cs_stage *st = &s->stages[i];
        for (size_t b = 0; b < st->n_branches; b++)
            for (size_t t = 0; t < st->branches[b].n_to; t++) {
                cs_target tg = st->branches[b].to[t];
                if (tg.is_stage)
                    reach[i][tg.index] = true;
                else
                    used[tg.index] = true;
            }
        if (st->has_deadline)
            used[st->deadline_outcome] = true;
    }
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < n; i++)
            if (reach[i][k])
                for (size_t j = 0; j < n; j++)
                    if (reach[k][j])
                        reach[i][j] = true;
}

/* Reports stage i on a cycle (a case could return to it) unless it allows
 * revisits, naming the shortest such cycle. */
static void check_cycle(cs_conv *c, const cs_ynode *stages_node, const cs_scenario *s, size_t i)
{
    size_t path[CS_MAX_STAGES];
    size_t len = s->stages[i].max_visits >= 2 ? 0 : cs_stage_cycle(s, i, path);
    if (len == 0)
        return;
    char buf[512];
    size_t used = (size_t)snprintf(buf, sizeof buf, "%s", s->stages[i].name);
    for (size_t k = 1; k <= len && used < sizeof buf; k++)
        used += (size_t)snprintf(buf + used, sizeof buf - used, " -> %s",
                                 s->stages[path[k % len]].name);
    fail(c, stages_node->items[i],
         "stage `%s` is on a cycle (%s): a case could return to it; give it `max_visits` "
         "(2 or more) to allow this",
         s->stages[i].name, buf);
}

/* Every stage reachable from the entry; every outcome reached; cycles only
 * through stages that allow revisits. */
static void check_graph(cs_conv *c, const cs_ynode *stages_node, const cs_ynode *outcomes_node,
                        cs_scenario *s)
{
    bool reach[CS_MAX_STAGES][CS_MAX_STAGES], outcome_used[CS_MAX_OUTCOMES];
    reachability(s, reach, outcome_used);
    size_t e = s->entry_stage;
    for (size_t i = 0; i < s->n_stages; i++)
        if (i != e && !reach[e][i])
            fail(c, stages_node->items[i],
                 "stage `%s` is unreachable: no branch leads to it from the entry stage `%s`",
                 s->stages[i].name ? s->stages[i].name : "?",
                 s->stages[e].name ? s->stages[e].name : "?");
    for (size_t o = 0; o < s->n_outcomes; o++)
        if (!outcome_used[o])
            fail(c, outcomes_node->keys[o],
                 "outcome `%s` is never reached: no branch or deadline leads to it",
                 s->outcomes[o].name ? s->outcomes[o].name : "?");
    for (size_t i = 0; i < s->n_stages; i++)
        check_cycle(c, stages_node, s, i);
}

static void read_network(cs_conv *c, const cs_ynode *root, cs_scenario *s)
{
    const cs_ynode *sl = need(c, root, "stages", "the scenario");
    const cs_ynode *om = need(c, root, "outcomes", "the scenario");
    bool stages_ok = sl && is_list(c, sl, "stages", CS_MAX_STAGES, "CS_MAX_STAGES");
    bool outcomes_ok = om && is_map(c, om, "`outcomes`");
    if (outcomes_ok && om->n == 0) {
        fail(c, om, "`outcomes` is empty: give at least one");
        outcomes_ok = false;
    }
    if (outcomes_ok && om->n > CS_MAX_OUTCOMES) {
        fail_limit(c, om, "`outcomes` has %zu entries; the limit is %d (CS_MAX_OUTCOMES)", om->n,
                   CS_MAX_OUTCOMES);
        outcomes_ok = false;
    }
    names nm;
    memset(&nm, 0, sizeof nm);
    if (stages_ok)
        for (size_t i = 0; i < sl->n; i++) {
            const cs_ynode *nn = cs_ynode_get(sl->items[i], "name");
            nm.stage[i] = nn && nn->kind == CS_YNODE_SCALAR ? nn->value : NULL;
            nm.all[nm.n_all++] = nm.stage[i];
            nm.n_stages = sl->n;
        }
    if (outcomes_ok)
        for (size_t i = 0; i < om->n; i++) {
            nm.outcome[i] = om->keys[i]->value;
            nm.all[nm.n_all++] = nm.outcome[i];
            nm.n_outcomes = om->n;
        }
    if (outcomes_ok) {
        read_outcomes(c, om, s);
        for (size_t i = 0; i < nm.n_outcomes; i++)
            for (size_t j = 0; j < nm.n_stages; j++)
                if (nm.stage[j] && strcmp(nm.outcome[i], nm.stage[j]) == 0)
                    fail(c, om->keys[i], "`%s` is both a stage and an outcome: rename one",
                         nm.outcome[i]);
    }
    if (!stages_ok)
        return;
    s->stages = conv_mem(c, cs_xcalloc(sl->n, sizeof *s->stages));
    if (!s->stages)
        return;
    s->n_stages = sl->n;
    bool graph_ok = outcomes_ok;
    size_t n_entry = 0;
    bool entry_bad = false; /* an `entry` that was not true/false: reported already */
    for (size_t i = 0; i < sl->n; i++) {
        bool entry = false;
        graph_ok &= read_stage(c, &nm, sl->items[i], s, i, &entry, &entry_bad);
        const cs_stage *st = &s->stages[i];
        for (size_t j = 0; j < i && st->name; j++)
            if (s->stages[j].name && strcmp(s->stages[j].name, st->name) == 0) {
                fail(c, cs_ynode_get(sl->items[i], "name"),
                     "duplicate stage name `%s` (first at line %d)", st->name,
                     s->stages[j].pos.line);
                graph_ok = false;
            }
        if (!st->name)
            graph_ok = false;
        if (entry) {
            if (n_entry == 1)
                fail(c, cs_ynode_key(sl->items[i], "entry"),
                     "a second entry stage (`%s`; the first is `%s`): exactly one stage has "
                     "`entry: true`",
                     st->name ? st->name : "?", s->stages[s->entry_stage].name);
            else
                s->entry_stage = i;
            n_entry++;
        }
    }
    if (n_entry == 0 && !entry_bad) {
        fail(c, sl,
             "no entry stage: mark the stage where every incident starts with "
             "`entry: true`");
        graph_ok = false;
    }
    if (graph_ok && n_entry == 1 && !entry_bad)
        check_graph(c, sl, om, s);
}

/* ------------------------------------------------ interventions and bundles */

/* Checks the syntax of a change path: segments `name` or `name[i]...`
 * separated by dots. Returns NULL or a reason. */
static const char *path_syntax(const char *p)
{
    if (!*p)
        return "it is empty";
    const char *q = p;
    bool need_name = true;
    while (*q) {
        if (need_name) {
            const char *start = q;
            while (*q && *q != '.' && *q != '[' && *q != ']')
                q++;
            if (q == start)
                return "a segment is empty (two dots, or a dot at the start or end)";
            need_name = false;
        } else if (*q == '[') {
            q++;
            if (!(*q >= '0' && *q <= '9'))
                return "`[` must be followed by an index (a whole number) and `]`";
            while (*q >= '0' && *q <= '9')
                q++;
            if (*q != ']')
                return "`[` must be followed by an index (a whole number) and `]`";
            q++;
        } else if (*q == '.') {
            q++;
            if (!*q)
                return "it ends with a dot";
            need_name = true;
        } else {
            return "unexpected `]`";
        }
    }
    return NULL;
}

/* A name unique among interventions and bundles, and not `baseline`. */
static void check_variant_name(cs_conv *c, const cs_ynode *n, const char *name,
                               const cs_scenario *s, size_t n_iv, size_t n_bd)
{
    if (strcmp(name, "baseline") == 0) {
        fail(c, n, "`baseline` is reserved for the scenario without interventions");
        return;
    }
    for (size_t j = 0; j < n_iv; j++)
        if (s->interventions[j].name && strcmp(s->interventions[j].name, name) == 0) {
            fail(c, n, "duplicate name `%s` (an intervention at line %d has it)", name,
                 s->interventions[j].pos.line);
            return;
        }
    for (size_t j = 0; j < n_bd; j++)
        if (s->bundles[j].name && strcmp(s->bundles[j].name, name) == 0) {
            fail(c, n, "duplicate name `%s` (a bundle at line %d has it)", name,
                 s->bundles[j].pos.line);
            return;
        }
}

static void read_interventions(cs_conv *c, const cs_ynode *root, cs_scenario *s)
{
    const cs_ynode *l = cs_ynode_get(root, "interventions");
    if (!l || cs_ynode_is_null(l))
        return;
    if (!is_list(c, l, "interventions", CS_MAX_INTERVENTIONS, "CS_MAX_INTERVENTIONS"))
        return;
    s->interventions = conv_mem(c, cs_xcalloc(l->n, sizeof *s->interventions));
    if (!s->interventions)
        return;
    s->n_interventions = l->n;
    for (size_t i = 0; i < l->n; i++) {
        const cs_ynode *m = l->items[i];
        cs_intervention *iv = &s->interventions[i];
        iv->pos = m->pos;
        if (!is_map(c, m, "an intervention"))
            continue;
        check_keys(c, m, "an intervention", INTERVENTION_KEYS, N_OF(INTERVENTION_KEYS));
        const cs_ynode *n = need(c, m, "name", "an intervention");
        if (n && get_name(c, n, "name", &iv->name))
            check_variant_name(c, n, iv->name, s, i, 0);
        if ((n = cs_ynode_get(m, "description")))
            get_text(c, n, "description", &iv->description);
        if (!iv->description)
            iv->description = conv_mem(c, cs_xstrdup(""));
        if ((n = cs_ynode_get(m, "annual_cost")))
            get_num_in(c, n, "annual_cost", -CS_MAX_COST, false, CS_MAX_COST, &iv->annual_cost);
        const cs_ynode *cl = need(c, m, "changes", "an intervention");
        if (!cl || !is_list(c, cl, "changes", CS_MAX_CHANGES, "CS_MAX_CHANGES"))
            continue;
        iv->changes = conv_mem(c, cs_xcalloc(cl->n, sizeof *iv->changes));
        if (!iv->changes)
            continue;
        iv->n_changes = cl->n;
        for (size_t j = 0; j < cl->n; j++) {
            const cs_ynode *ch = cl->items[j];
            cs_change *cg = &iv->changes[j];
            cg->pos = ch->pos;
            if (!is_map(c, ch, "a change"))
                continue;
            check_keys(c, ch, "a change", CHANGE_KEYS, N_OF(CHANGE_KEYS));
            const cs_ynode *p = need(c, ch, "path", "a change");
            if (p && get_short_text(c, p, "path", CS_MAX_PATH_LEN, &cg->path)) {
                cg->pos = p->pos;
                const char *why = path_syntax(cg->path);
                if (why)
                    fail(c, p, "the path `%.100s` is malformed: %s", cg->path, why);
            }
            const cs_ynode *set = cs_ynode_get(ch, "set"), *scale = cs_ynode_get(ch, "scale");
            if (set && scale) {
                fail(c, ch, "a change has either `set` or `scale`, not both");
            } else if (set) {
                cg->op = CS_CHANGE_SET;
                get_num(c, set, "set", &cg->value);
            } else if (scale) {
                cg->op = CS_CHANGE_SCALE;
                get_num_in(c, scale, "scale", 0, false, HUGE_VAL, &cg->value);
            } else {
                fail(c, ch, "a change needs `set: VALUE` or `scale: FACTOR`");
            }
        }
    }
}

static void read_bundles(cs_conv *c, const cs_ynode *root, cs_scenario *s)
{
    const cs_ynode *l = cs_ynode_get(root, "bundles");
    if (!l || cs_ynode_is_null(l))
        return;
    if (!is_list(c, l, "bundles", CS_MAX_BUNDLES, "CS_MAX_BUNDLES"))
        return;
    s->bundles = conv_mem(c, cs_xcalloc(l->n, sizeof *s->bundles));
    if (!s->bundles)
        return;
    s->n_bundles = l->n;
    const char *ivn[CS_MAX_INTERVENTIONS];
    for (size_t k = 0; k < s->n_interventions; k++)
        ivn[k] = s->interventions[k].name;
    for (size_t i = 0; i < l->n; i++) {
        const cs_ynode *m = l->items[i];
        cs_bundle *bd = &s->bundles[i];
        bd->pos = m->pos;
        if (!is_map(c, m, "a bundle"))
            continue;
        check_keys(c, m, "a bundle", BUNDLE_KEYS, N_OF(BUNDLE_KEYS));
        const cs_ynode *n = need(c, m, "name", "a bundle");
        if (n && get_name(c, n, "name", &bd->name))
            check_variant_name(c, n, bd->name, s, s->n_interventions, i);
        if ((n = cs_ynode_get(m, "description")))
            get_text(c, n, "description", &bd->description);
        if (!bd->description)
            bd->description = conv_mem(c, cs_xstrdup(""));
        const cs_ynode *il = need(c, m, "interventions", "a bundle");
        if (!il || !is_list(c, il, "interventions", CS_MAX_INTERVENTIONS, "CS_MAX_INTERVENTIONS"))
            continue;
        bd->interventions = conv_mem(c, cs_xcalloc(il->n, sizeof *bd->interventions));
        if (!bd->interventions)
            continue;
        bd->n_interventions = il->n;
        for (size_t j = 0; j < il->n; j++) {
            const cs_ynode *x = il->items[j];
            if (x->kind != CS_YNODE_SCALAR || cs_ynode_is_null(x)) {
                fail(c, x, "a bundle's `interventions` must be names, got %s",
                     cs_ynode_kind_name(x));
                continue;
            }
            size_t k = 0;
            while (k < s->n_interventions && !(ivn[k] && strcmp(ivn[k], x->value) == 0))
                k++;
            if (k == s->n_interventions) {
                if (s->n_interventions == 0)
                    fail(c, x, "unknown intervention `%s`: the scenario has no interventions",
                         x->value);
                else
                    fail_unknown(c, x, "intervention", "", x->value, ivn, s->n_interventions);
                continue;
            }
            bd->interventions[j] = k;
            for (size_t q = 0; q < j; q++)
                if (bd->interventions[q] == k && il->items[q]->kind == CS_YNODE_SCALAR &&
                    strcmp(il->items[q]->value, x->value) == 0)
                    fail(c, x, "intervention `%s` appears twice in this bundle", x->value);
        }
    }
}

/* ------------------------------------------------------------------- entry */

int cs_scenario_convert(cs_conv *c, const cs_ynode *root, bool with_interventions, cs_scenario *s)
{
    size_t errors0 = c->errors;
    if (root->kind != CS_YNODE_MAP) {
        fail(c, root, "a scenario must be a mapping of keys (casesim, name, time, ...), got %s",
             cs_ynode_kind_name(root));
        return CS_EINVAL;
    }
    check_keys(c, root, "the scenario", TOP_KEYS, N_OF(TOP_KEYS));
    const cs_ynode *n = need(c, root, "casesim", "the scenario");
    if (n) {
        uint64_t v;
        if (get_whole(c, n, "casesim", 1, INT_MAX, &v)) {
            if (v != 1)
                fail(c, n, "format version %llu is not supported: this casesim reads version 1",
                     (unsigned long long)v);
            s->format_version = (int)v;
        }
    }
    n = need(c, root, "name", "the scenario");
    if (n)
        get_short_text(c, n, "name", CS_MAX_TEXT_LEN, &s->name);
    if ((n = cs_ynode_get(root, "description")))
        get_text(c, n, "description", &s->description);
    if (!s->description)
        s->description = conv_mem(c, cs_xstrdup(""));
    read_time(c, root, s);
    read_run(c, root, s);
    read_groups(c, root, s);
    read_violations(c, root, s);
    read_evidence(c, root, s);
    read_network(c, root, s);
    if (with_interventions) {
        read_interventions(c, root, s);
        read_bundles(c, root, s);
    }
    return c->errors == errors0 ? CS_OK : CS_EINVAL;
}
