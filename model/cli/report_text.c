/*
 * cli/report_text.c — the pieces of `casesim report` (see cli/report.h):
 * text tables aligned for a terminal or written as Markdown, numbers,
 * intervals and probabilities formatted for people, headings, wrapped
 * paragraphs, and CSV cells.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/report.h"

/* ------------------------------------------------------------ a text table */

void cs_rep_table_init(cs_rep_table *t, size_t ncol)
{
    *t = (cs_rep_table){ncol, 0, 0, NULL};
}

void cs_rep_table_free(cs_rep_table *t)
{
    for (size_t i = 0; i < t->nrow * t->ncol; i++)
        free(t->cells[i]);
    free(t->cells);
    t->cells = NULL;
    t->nrow = 0;
}

/* Appends a row of ncol strings (copied). Returns 0, or -1 out of memory. */
int cs_rep_table_row(cs_rep_table *t, const char *const *cells)
{
    if (t->nrow == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 16;
        char **c = realloc(t->cells, cap * t->ncol * sizeof *c);
        if (!c)
            return -1;
        t->cells = c;
        t->cap = cap;
    }
    for (size_t j = 0; j < t->ncol; j++) {
        const char *s = cells[j] ? cells[j] : "";
        char *copy = malloc(strlen(s) + 1);
        if (!copy) {
            for (size_t k = 0; k < j; k++)
                free(t->cells[t->nrow * t->ncol + k]);
            return -1;
        }
        strcpy(copy, s);
        t->cells[t->nrow * t->ncol + j] = copy;
    }
    t->nrow++;
    return 0;
}

/* Display width of UTF-8 text: code points (continuation bytes not counted). */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            w++;
    return w;
}

static void pad(FILE *o, size_t n)
{
    while (n--)
        fputc(' ', o);
}

void cs_rep_table_print(const cs_rep_table *t, cs_report_format f, FILE *o)
{
    if (t->nrow == 0)
        return;
    size_t *w = calloc(t->ncol, sizeof *w);
    if (!w)
        return;
    for (size_t i = 0; i < t->nrow; i++)
        for (size_t j = 0; j < t->ncol; j++) {
            size_t x = width(t->cells[i * t->ncol + j]);
            if (x > w[j])
                w[j] = x;
        }
    for (size_t i = 0; i < t->nrow; i++) {
        if (f == FMT_MARKDOWN)
            fputs("|", o);
        else
            fputs("  ", o);
        for (size_t j = 0; j < t->ncol; j++) {
            const char *c = t->cells[i * t->ncol + j];
            size_t gap = w[j] - width(c);
            if (f == FMT_MARKDOWN) {
                fprintf(o, " %s", c);
                pad(o, gap);
                fputs(" |", o);
            } else {
                /* Text: first column left-aligned, numbers right-aligned. */
                if (j == 0) {
                    fputs(c, o);
                    pad(o, gap);
                } else {
                    pad(o, gap + 3);
                    fputs(c, o);
                }
            }
        }
        fputc('\n', o);
        if (i == 0) {
            if (f == FMT_MARKDOWN) {
                fputs("|", o);
                for (size_t j = 0; j < t->ncol; j++) {
                    fputc(' ', o);
                    for (size_t k = 0; k < w[j]; k++)
                        fputc(k == w[j] - 1 && j ? ':' : '-', o);
                    fputs(" |", o);
                }
                fputc('\n', o);
            } else {
                fputs("  ", o);
                size_t total = 0;
                for (size_t j = 0; j < t->ncol; j++)
                    total += w[j] + (j ? 3 : 0);
                for (size_t k = 0; k < total; k++)
                    fputc('-', o);
                fputc('\n', o);
            }
        }
    }
    free(w);
}

/* --------------------------------------------------------------- numbers */

/* Formats v for kind k ("n/a" for NaN). Percent values are shares. */
void cs_rep_fmt_value(char *buf, size_t n, double v, cs_display k, bool points)
{
    if (isnan(v)) {
        snprintf(buf, n, "n/a");
        return;
    }
    switch (k) {
    case CS_SHOW_PERCENT:
        snprintf(buf, n, points ? "%+.1f" : "%.1f%%", 100 * v);
        break;
    case CS_SHOW_RATIO:
        snprintf(buf, n, points ? "%+.3f" : "%.3f", v);
        break;
    case CS_SHOW_DAYS:
        snprintf(buf, n, points ? "%+.0f" : "%.0f", v);
        break;
    }
}

/* "mean [low, high]" in the measure's display units. */
void cs_rep_fmt_ci(char *buf, size_t n, double mean, double lo, double hi, cs_display k,
                   bool points)
{
    char a[32], b[32], c[32];
    cs_rep_fmt_value(a, sizeof a, mean, k, points);
    if (isnan(lo) || isnan(hi)) {
        snprintf(buf, n, "%s", a);
        return;
    }
    double s = k == CS_SHOW_PERCENT ? 100 : 1;
    const char *f = k == CS_SHOW_RATIO ? (points ? "%+.3f" : "%.3f") : (points ? "%+.1f" : "%.1f");
    if (k == CS_SHOW_DAYS)
        f = points ? "%+.0f" : "%.0f";
    snprintf(b, sizeof b, f, s * lo);
    snprintf(c, sizeof c, f, s * hi);
    snprintf(buf, n, "%s [%s, %s]", a, b, c);
}

void cs_rep_fmt_prob(char *buf, size_t n, double p)
{
    if (isnan(p))
        snprintf(buf, n, "n/a");
    else if (p > 0 && p < 0.001)
        snprintf(buf, n, "<0.1%%");
    else if (p < 1 && p > 0.999)
        snprintf(buf, n, ">99.9%%");
    else
        snprintf(buf, n, "%.1f%%", 100 * p);
}

/* ---------------------------------------------------------------- the report */

const char *cs_rep_group_label(const cs_report *rp, size_t g)
{
    return g < rp->r->n_groups ? rp->r->groups[g].label : "All victims";
}

const char *cs_rep_group_key(const cs_report *rp, size_t g)
{
    return g < rp->r->n_groups ? rp->r->groups[g].name : "all";
}

void cs_rep_heading(const cs_report *rp, int level, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (rp->f == FMT_MARKDOWN) {
        fprintf(rp->o, "\n%s %s\n\n", level == 1 ? "#" : level == 2 ? "##" : "###", text);
    } else {
        fprintf(rp->o, "%s\n", text);
        size_t w = width(text);
        for (size_t i = 0; i < w; i++)
            fputc(level == 1 ? '=' : '-', rp->o);
        fputs("\n\n", rp->o);
    }
}

/* A paragraph, wrapped at 88 columns in text (Markdown wraps by itself). */
void cs_rep_para(const cs_report *rp, const char *fmt, ...)
{
    char text[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (rp->f == FMT_MARKDOWN) {
        fprintf(rp->o, "%s\n\n", text);
        return;
    }
    const char *p = text;
    size_t col = 0;
    while (*p) {
        size_t word = strcspn(p, " ");
        if (col && col + 1 + word > 88) {
            fputc('\n', rp->o);
            col = 0;
        } else if (col) {
            fputc(' ', rp->o);
            col++;
        }
        fwrite(p, 1, word, rp->o);
        col += word;
        p += word;
        while (*p == ' ')
            p++;
    }
    fputs("\n\n", rp->o);
}

void cs_rep_csv_str(FILE *o, const char *s)
{
    if (strpbrk(s, ",\"\n")) {
        fputc('"', o);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', o);
            fputc(*s, o);
        }
        fputc('"', o);
    } else {
        fputs(s, o);
    }
}

void cs_rep_csv_num(FILE *o, double v)
{
    if (isnan(v))
        fputs("", o);
    else if (isinf(v))
        fputs(v > 0 ? "inf" : "-inf", o);
    else
        fprintf(o, "%.17g", v);
}

/* One CSV row; rank 0 and n < 0 are left empty. */
void cs_rep_csv_row(FILE *o, const char *table, const char *variant, const char *group,
                    const char *measure, const char *units, double value, double lo, double hi,
                    long long n, int rank, double p_best)
{
    cs_rep_csv_row_year(o, table, variant, group, measure, units, value, lo, hi, n, rank, p_best,
                        NAN);
}

void cs_rep_csv_row_year(FILE *o, const char *table, const char *variant, const char *group,
                         const char *measure, const char *units, double value, double lo, double hi,
                         long long n, int rank, double p_best, double year)
{
    const char *text[] = {table, variant, group, measure, units};
    for (size_t i = 0; i < sizeof text / sizeof *text; i++) {
        cs_rep_csv_str(o, text[i]);
        fputc(',', o);
    }
    cs_rep_csv_num(o, value);
    fputc(',', o);
    cs_rep_csv_num(o, lo);
    fputc(',', o);
    cs_rep_csv_num(o, hi);
    fputc(',', o);
    if (n >= 0)
        fprintf(o, "%lld", n);
    fputc(',', o);
    if (rank)
        fprintf(o, "%d", rank);
    fputc(',', o);
    cs_rep_csv_num(o, p_best);
    fputc(',', o);
    cs_rep_csv_num(o, year);
    fputc('\n', o);
}
