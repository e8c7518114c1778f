/*
 * scenario/convert.c — the conversion helpers every part of the loader
 * uses (see scenario/internal.h): messages placed at a node of the YAML
 * tree, names and suggestions for misspellings, numbers, whole numbers,
 * booleans, text and names read from scalars, and per-group values.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "scenario/internal.h"

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
    char when[96] = "";
    if (c->when)
        snprintf(when, sizeof when, " %s", c->when);
    if (!ac->intervention) {
        char with[CS_MAX_NAME_LEN + 16] = "";
        if (strcmp(c->variant, "baseline") != 0)
            snprintf(with, sizeof with, " with `%s`", c->variant);
        cs_error_at(c->err, status, c->file, ac->change->pos.line, ac->change->pos.column,
                    "schedule of `%s` makes the scenario%s invalid%s: %s (line %d, column %d)",
                    ac->change->path, with, when, msg, pos.line, pos.column);
        return;
    }
    const char *what = strcmp(ac->intervention, c->variant) == 0 ? "intervention" : "bundle";
    if (strcmp(what, "bundle") == 0)
        cs_error_at(c->err, status, c->file, ac->change->pos.line, ac->change->pos.column,
                    "bundle `%s`, intervention `%s`, change of `%s` makes the scenario "
                    "invalid%s: %s (line %d, column %d)",
                    c->variant, ac->intervention, ac->change->path, when, msg, pos.line,
                    pos.column);
    else
        cs_error_at(c->err, status, c->file, ac->change->pos.line, ac->change->pos.column,
                    "intervention `%s`, change of `%s` makes the scenario invalid%s: %s "
                    "(line %d, column %d)",
                    c->variant, ac->change->path, when, msg, pos.line, pos.column);
}

void cs_conv_error(cs_conv *c, const cs_ynode *at, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cs_pos none = {0, 0};
    cs_conv_fail(c, CS_EINVAL, at, none, "%s", msg);
}

void cs_conv_limit(cs_conv *c, const cs_ynode *at, const char *fmt, ...)
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
void cs_conv_unknown(cs_conv *c, const cs_ynode *at, const char *what, const char *where,
                     const char *word, const char *const *cands, size_t n)
{
    /* The word is echoed up to a name's length: it may be megabytes long. */
    const char *more = strlen(word) > CS_MAX_NAME_LEN ? "..." : "";
    const char *near = cs_nearest(word, cands, n);
    if (near) {
        cs_conv_error(c, at, "unknown %s `%.*s%s`%s; did you mean `%s`?", what, CS_MAX_NAME_LEN,
                      word, more, where, near);
    } else {
        char buf[512];
        cs_conv_error(c, at, "unknown %s `%.*s%s`%s; expected one of: %s", what, CS_MAX_NAME_LEN,
                      word, more, where, list_names(buf, sizeof buf, cands, n));
    }
}

/* Reports every key of map that is not in allowed. */
void cs_conv_check_keys(cs_conv *c, const cs_ynode *map, const char *where,
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
            cs_conv_unknown(c, map->keys[i], "key", in, k, allowed, n);
        }
    }
}

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
bool cs_conv_num(cs_conv *c, const cs_ynode *n, const char *what, double *out)
{
    if (n->kind != CS_YNODE_SCALAR || cs_ynode_is_null(n)) {
        cs_conv_error(c, n, "`%s` must be a number, got %s", what, cs_ynode_kind_name(n));
        return false;
    }
    if (n->quoted) {
        cs_conv_error(c, n,
                      "`%s` must be a number, got the quoted string \"%.40s\" (remove the quotes)",
                      what, n->value);
        return false;
    }
    const char *why = cs_parse_number(n->value, out);
    if (why) {
        cs_conv_error(c, n, "`%s` must be a finite number; `%.40s` %s", what, n->value, why);
        return false;
    }
    return true;
}

/* A number in [lo, hi] (open at lo when lo_open). */
bool cs_conv_num_in(cs_conv *c, const cs_ynode *n, const char *what, double lo, bool lo_open,
                    double hi, double *out)
{
    double v;
    if (!cs_conv_num(c, n, what, &v))
        return false;
    if ((lo_open ? !(v > lo) : !(v >= lo)) || v > hi) {
        char range[96];
        if (hi == HUGE_VAL)
            snprintf(range, sizeof range, "%s %g", lo_open ? ">" : ">=", lo);
        else if (lo_open)
            snprintf(range, sizeof range, "> %g and <= %g", lo, hi);
        else
            snprintf(range, sizeof range, "between %g and %g", lo, hi);
        cs_conv_error(c, n, "`%s` must be %s, got %.15g", what, range, v);
        return false;
    }
    *out = v;
    return true;
}

/* A whole number in [lo, hi] (hi <= 2^64-1). Digits are read exactly; a
 * number written with a fraction or exponent must have a whole value up to
 * 2^53 (exactly representable). */
bool cs_conv_whole(cs_conv *c, const cs_ynode *n, const char *what, uint64_t lo, uint64_t hi,
                   uint64_t *out)
{
    double v;
    if (!cs_conv_num(c, n, what, &v))
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
            cs_conv_error(c, n, "`%s` must be a whole number between %llu and %llu, got %s", what,
                          (unsigned long long)lo, (unsigned long long)hi, t);
            return false;
        }
        u = (uint64_t)x;
    } else {
        if (v != floor(v)) {
            cs_conv_error(c, n, "`%s` must be a whole number, got %.15g", what, v);
            return false;
        }
        if (v < (double)lo || v > (double)hi || v > 9007199254740992.0) {
            cs_conv_error(c, n, "`%s` must be a whole number between %llu and %llu, got %.15g",
                          what, (unsigned long long)lo, (unsigned long long)hi, v);
            return false;
        }
        u = (uint64_t)v;
    }
    *out = u;
    return true;
}

bool cs_conv_bool(cs_conv *c, const cs_ynode *n, const char *what, bool *out)
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
    cs_conv_error(c, n, "`%s` must be true or false, got %s%s%.40s%s", what, cs_ynode_kind_name(n),
                  n->kind == CS_YNODE_SCALAR ? " `" : "",
                  n->kind == CS_YNODE_SCALAR ? n->value : "",
                  n->kind == CS_YNODE_SCALAR ? "`" : "");
    return false;
}

/* Any text (plain or quoted). *out is a new string or stays NULL. */
bool cs_conv_text(cs_conv *c, const cs_ynode *n, const char *what, char **out)
{
    if (n->kind != CS_YNODE_SCALAR || cs_ynode_is_null(n)) {
        cs_conv_error(c, n, "`%s` must be text, got %s", what, cs_ynode_kind_name(n));
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
bool cs_conv_short_text(cs_conv *c, const cs_ynode *n, const char *what, size_t max, char **out)
{
    if (n->kind == CS_YNODE_SCALAR && !cs_ynode_is_null(n) && strlen(n->value) > max) {
        cs_conv_limit(c, n, "`%s` is %zu characters long; the limit is %zu", what, strlen(n->value),
                      max);
        return false;
    }
    return cs_conv_text(c, n, what, out);
}

/* A name: [a-z][a-z0-9_]*, at most CS_MAX_NAME_LEN bytes. */
bool cs_conv_name(cs_conv *c, const cs_ynode *n, const char *what, char **out)
{
    if (n->kind != CS_YNODE_SCALAR || cs_ynode_is_null(n)) {
        cs_conv_error(c, n, "`%s` must be a name, got %s", what, cs_ynode_kind_name(n));
        return false;
    }
    if (strlen(n->value) > CS_MAX_NAME_LEN) {
        cs_conv_limit(c, n, "the name `%.40s...` is %zu characters long; the limit is %d", n->value,
                      strlen(n->value), CS_MAX_NAME_LEN);
        cs_conv_text(c, n, what, out); /* kept so that references to it do not cascade */
        return false;
    }
    if (!cs_name_ok(n->value)) {
        cs_conv_error(
            c, n,
            "`%.80s` is not a valid name: use lower-case letters, digits and `_`, starting "
            "with a letter (e.g. `african_descent`)",
            n->value);
        cs_conv_text(c, n, what, out); /* kept so that references to it do not cascade */
        return false;
    }
    return cs_conv_text(c, n, what, out);
}

/* The value of a required key, or NULL after reporting it missing. */
const cs_ynode *cs_conv_need(cs_conv *c, const cs_ynode *map, const char *key, const char *where)
{
    const cs_ynode *v = cs_ynode_get(map, key);
    if (!v)
        cs_conv_error(c, map, "%s needs `%s`", where, key);
    return v;
}

bool cs_conv_is_map(cs_conv *c, const cs_ynode *n, const char *what)
{
    if (n->kind == CS_YNODE_MAP)
        return true;
    cs_conv_error(c, n, "%s must be a mapping (`key: value` lines), got %s", what,
                  cs_ynode_kind_name(n));
    return false;
}

/* A list of 1..max items; oversize is a limit error naming the limit. */
bool cs_conv_is_list(cs_conv *c, const cs_ynode *n, const char *what, size_t max,
                     const char *limit_name)
{
    if (n->kind != CS_YNODE_SEQ) {
        cs_conv_error(c, n, "`%s` must be a list (lines starting with `- `), got %s", what,
                      cs_ynode_kind_name(n));
        return false;
    }
    if (n->n == 0) {
        cs_conv_error(c, n, "`%s` is empty: give at least one", what);
        return false;
    }
    if (n->n > max) {
        cs_conv_limit(c, n, "`%s` has %zu entries; the limit is %zu (%s)", what, n->n, max,
                      limit_name);
        return false;
    }
    return true;
}

/* Returns p, reporting "out of memory" when it is NULL (every allocation of
 * the conversion goes through cs_xcalloc or cs_xstrdup and then here). */
void *cs_conv_mem(cs_conv *c, void *p)
{
    if (!p) {
        cs_pos none = {0, 0};
        cs_conv_fail(c, CS_ENOMEM, NULL, none, "out of memory");
    }
    return p;
}

/* --------------------------------------------------------- per-group values */

void cs_conv_group_names(const cs_scenario *s, const char **names)
{
    for (size_t g = 0; g < s->n_groups; g++)
        names[g] = s->groups[g].name;
}

/* One number for every group, or a mapping group -> number. Each value is
 * checked to lie in [lo, hi]. Returns false after reporting. */
bool cs_conv_per_group(cs_conv *c, const cs_ynode *n, const char *what, const cs_scenario *s,
                       double lo, double hi, double *out)
{
    if (s->n_groups == 0)
        return false;
    if (n->kind == CS_YNODE_SCALAR) {
        double v;
        if (!cs_conv_num_in(c, n, what, lo, false, hi, &v))
            return false;
        for (size_t g = 0; g < s->n_groups; g++)
            out[g] = v;
        return true;
    }
    if (n->kind != CS_YNODE_MAP) {
        cs_conv_error(c, n, "`%s` must be a number or a mapping from group to number, got %s", what,
                      cs_ynode_kind_name(n));
        return false;
    }
    const char *names[CS_MAX_GROUPS];
    cs_conv_group_names(s, names);
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
            cs_conv_unknown(c, n->keys[i], "group", in, k, names, s->n_groups);
            ok = false;
            continue;
        }
        char w[160];
        snprintf(w, sizeof w, "%s.%s", what, k);
        if (!cs_conv_num_in(c, n->items[i], w, lo, false, hi, &out[g]))
            ok = false;
        seen[g] = true;
    }
    for (size_t g = 0; g < s->n_groups && ok; g++)
        if (!seen[g] && names[g]) {
            cs_conv_error(
                c, n,
                "`%s` gives no value for group `%s` (give every group, or one number for all)",
                what, names[g]);
            ok = false;
        }
    return ok;
}
