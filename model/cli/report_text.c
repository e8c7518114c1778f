/*
 * cli/report_text.c — the text of `casesim report`: aligned tables, headings,
 * wrapped paragraphs, and numbers printed with as many digits as they need
 * (see cli/report.h).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/common.h"
#include "cli/report.h"

#define WRAP 88 /* columns of a text paragraph or heading */

/* ------------------------------------------------------------ a text table */

void table_init(table *t, size_t ncol)
{
    *t = (table){ncol, 0, 0, NULL};
}

void table_free(table *t)
{
    for (size_t i = 0; i < t->nrow * t->ncol; i++)
        free(t->cells[i]);
    free(t->cells);
    t->cells = NULL;
    t->nrow = 0;
}

/* Appends a row of ncol strings (copied). Returns 0, or -1 out of memory. */
int table_row(table *t, const char *const *cells)
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
size_t text_width(const char *s)
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

void table_print(const table *t, report_format f, FILE *o)
{
    if (t->nrow == 0)
        return;
    size_t *w = calloc(t->ncol, sizeof *w);
    if (!w)
        return;
    for (size_t i = 0; i < t->nrow; i++)
        for (size_t j = 0; j < t->ncol; j++) {
            size_t x = text_width(t->cells[i * t->ncol + j]);
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
            size_t gap = w[j] - text_width(c);
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

/* ------------------------------------------------------ headings, text */

/* Writes text wrapped at WRAP columns (words never split) and returns the
 * widest line written. */
static size_t wrap(FILE *o, const char *text)
{
    const char *p = text;
    size_t col = 0, widest = 0;
    while (*p) {
        size_t word = strcspn(p, " ");
        if (col && col + 1 + word > WRAP) {
            fputc('\n', o);
            col = 0;
        } else if (col) {
            fputc(' ', o);
            col++;
        }
        fwrite(p, 1, word, o);
        char w[WRAP * 4];
        snprintf(w, sizeof w, "%.*s", (int)(word < sizeof w ? word : sizeof w - 1), p);
        col += text_width(w);
        widest = col > widest ? col : widest;
        p += word;
        while (*p == ' ')
            p++;
    }
    return widest;
}

void heading(const report *rp, int level, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (rp->f == FMT_MARKDOWN) {
        fprintf(rp->o, "\n%s %s\n\n", level == 1 ? "#" : level == 2 ? "##" : "###", text);
        return;
    }
    size_t w = wrap(rp->o, text);
    fputc('\n', rp->o);
    for (size_t i = 0; i < w; i++)
        fputc(level == 1 ? '=' : '-', rp->o);
    fputs("\n\n", rp->o);
}

void para(const report *rp, const char *fmt, ...)
{
    char text[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (text[0] == '\0')
        return;
    if (rp->f == FMT_MARKDOWN) {
        fprintf(rp->o, "%s\n\n", text);
        return;
    }
    wrap(rp->o, text);
    fputs("\n\n", rp->o);
}

/* --------------------------------------------------------------- numbers */

/* How a display kind is printed: scale (percent: shares times 100), the
 * fewest and the most decimals (a ten-thousandth of a percentage point, a
 * tenth of a day: below that, differences are rounding noise of the
 * simulation's sums), and the unit after a value. */
static void display_of(cs_display d, double *scale, int *min_dec, int *max_dec, const char **unit)
{
    *scale = d == CS_SHOW_PERCENT ? 100.0 : 1.0;
    *min_dec = d == CS_SHOW_PERCENT ? 1 : d == CS_SHOW_RATIO ? 3 : 0;
    *max_dec = d == CS_SHOW_DAYS ? 1 : 4;
    *unit = d == CS_SHOW_PERCENT ? "%" : "";
}

/* Decimals for x (scaled) with an interval of half-width h (scaled, 0 or
 * NaN if none): enough to show the first significant digit of h, and two
 * of x when x stands out from its interval (|x| > h), so that a small
 * effect is never printed as 0.0 [0.0, 0.0]; from min_dec to max_dec. */
static int decimals(double x, double h, int min_dec, int max_dec)
{
    int d = min_dec;
    if (h > 0 && isfinite(h)) {
        int dh = -(int)floor(log10(h));
        d = dh > d ? dh : d;
    }
    if (x != 0 && isfinite(x) && !(fabs(x) <= h)) {
        int dx = 1 - (int)floor(log10(fabs(x)));
        d = dx > d ? dx : d;
    }
    return d > max_dec ? max_dec : d;
}

/* x (scaled) with dec decimals, signed if points; never "-0". */
static void put_num(char *buf, size_t n, double x, int dec, bool points)
{
    double r = pow(10.0, dec);
    if (round(x * r) == 0)
        x = 0.0; /* -0.0004 at 3 decimals prints as 0.000 (or +0.000), not -0.000 */
    snprintf(buf, n, points ? "%+.*f" : "%.*f", dec, x);
}

void fmt_value_ci(char *buf, size_t n, double mean, double lo, double hi, cs_display d, bool points)
{
    double s;
    int min_dec, max_dec;
    const char *unit;
    display_of(d, &s, &min_dec, &max_dec, &unit);
    if (isnan(mean)) {
        snprintf(buf, n, "n/a");
        return;
    }
    double h = isnan(lo) || isnan(hi) ? NAN : s * (hi - lo) / 2;
    char v[64];
    put_num(v, sizeof v, s * mean, decimals(s * mean, h, min_dec, max_dec), points);
    snprintf(buf, n, "%s%s", v, points ? "" : unit);
}

void fmt_ci(char *buf, size_t n, double mean, double lo, double hi, cs_display d, bool points)
{
    double s;
    int min_dec, max_dec;
    const char *unit;
    display_of(d, &s, &min_dec, &max_dec, &unit);
    if (points && mean == 0 && lo == 0 && hi == 0) {
        snprintf(buf, n, "0 (no change)");
        return;
    }
    fmt_value_ci(buf, n, mean, lo, hi, d, points);
    if (isnan(mean) || isnan(lo) || isnan(hi))
        return;
    int dec = decimals(s * mean, s * (hi - lo) / 2, min_dec, max_dec);
    char a[64], b[64];
    put_num(a, sizeof a, s * lo, dec, points);
    put_num(b, sizeof b, s * hi, dec, points);
    size_t used = strlen(buf);
    snprintf(buf + used, n - used, " [%s, %s]", a, b);
}

void fmt_prob(char *buf, size_t n, double p)
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

const char *fmt_money(const report *rp, char *buf, size_t n, double v)
{
    char m[64];
    cs_cli_money(m, sizeof m, v, 0);
    snprintf(buf, n, "%s%s", m, isfinite(v) ? rp->currency : "");
    return buf;
}

void fmt_range(char *v, char *a, char *b, size_t n, double x, double lo, double hi, cs_display d)
{
    double s;
    int min_dec, max_dec;
    const char *unit;
    display_of(d, &s, &min_dec, &max_dec, &unit);
    int dec = decimals(s * x, isnan(lo) || isnan(hi) ? NAN : s * (hi - lo) / 2, min_dec, max_dec);
    put_num(v, n, s * x, dec, false);
    put_num(a, n, s * lo, dec, false);
    put_num(b, n, s * hi, dec, false);
}
