/*
 * cli/report.h — what the parts of `casesim report` share (internal to the
 * program): the report being written, and its text helpers (tables,
 * headings, paragraphs, numbers) in cli/report_text.c.
 */
#ifndef CASESIM_CLI_REPORT_H
#define CASESIM_CLI_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "casesim/results.h"
#include "casesim/schema.h"
#include "casesim/study.h"

typedef enum { FMT_TEXT, FMT_CSV, FMT_MARKDOWN } report_format;

/* The most headline rows: the schema's and one per accountability category. */
#define REPORT_MAX_HEADLINES (CS_SCHEMA_N_HEADLINES + CS_MAX_OUTCOMES)

/* A report being written: from all violation kinds together, or (kind not
 * NULL) from the tables of one kind. */
typedef struct report {
    const cs_results *r;
    report_format f;
    FILE *o;
    const char *kind;          /* NULL: all kinds; else a violation kind of the file */
    const cs_study_file *sens; /* /sensitivity, NULL if the file has none */
    int before;                /* sections before the headline measures (decision, sensitivity) */
    size_t mag;                /* the most affected group of these tables (0 if alone) */
    char level[16];            /* the file's confidence level as a percentage: "95%" */
    char currency[24];         /* " GBP" after an amount, or "" */
    size_t n_heads;
    cs_headline_row heads[REPORT_MAX_HEADLINES];
} report;

/* The rows of the report's tables (by kind when rp->kind is set). */
const cs_results_summary_row *report_summary(const report *rp, const char *variant,
                                             const char *group, const char *measure);
const cs_results_comparison_row *report_comparison(const report *rp, const char *variant,
                                                   const char *group, const char *measure);
const cs_results_ranking_row *report_ranking(const report *rp, const char *variant);

/* ------------------------------------------------------------ a text table */

typedef struct table {
    size_t ncol, nrow, cap;
    char **cells; /* row-major; row 0 is the header */
} table;

void table_init(table *t, size_t ncol);
void table_free(table *t);
/* Appends a row of ncol strings (copied). Returns 0, or -1 out of memory. */
int table_row(table *t, const char *const *cells);
/* Prints t: aligned columns in text, a pipe table in Markdown. */
void table_print(const table *t, report_format f, FILE *o);

/* Display width of UTF-8 text: code points. */
size_t text_width(const char *s);

/* A heading (level 1 to 3): Markdown #s, or in text underlined with = or -
 * no wider than the text's longest line (long headings are wrapped at 88
 * columns). */
void heading(const report *rp, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A paragraph, wrapped at 88 columns in text (Markdown wraps by itself). */
void para(const report *rp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---------------------------------------------------------------- numbers */

/* "mean [low, high]" in display d (points: a signed difference) with as
 * many decimals as the interval's half-width and, when it is smaller than
 * the value, the value's second significant digit need (report_text.c
 * says how many); "n/a" for NaN; "0 (no change)" for a difference that is
 * exactly 0 in every replicate. */
void fmt_ci(char *buf, size_t n, double mean, double lo, double hi, cs_display d, bool points);

/* The value alone, with the decimals fmt_ci would give it. */
void fmt_value_ci(char *buf, size_t n, double mean, double lo, double hi, cs_display d,
                  bool points);

/* x, lo and hi (scaled, without unit or sign) into v, a and b (n bytes
 * each) with the decimals fmt_ci would use: "1.6", "0.9", "2.3". */
void fmt_range(char *v, char *a, char *b, size_t n, double x, double lo, double hi, cs_display d);

/* A probability as a percentage ("<0.1%", ">99.9%", "n/a"). */
void fmt_prob(char *buf, size_t n, double p);

/* An amount of money with the report's currency ("4,000,000 GBP"). */
const char *fmt_money(const report *rp, char *buf, size_t n, double v);

/* ------------------------------------------------------- the decision */

/* One row of the report's long CSV table (its column `year` empty, its last
 * column, the violation kind, "all"); rank 0 and n < 0 are left empty.
 * (cli/report.c) */
void cs_rep_csv_row(FILE *o, const char *table, const char *variant, const char *group,
                    const char *measure, const char *units, double value, double lo, double hi,
                    long long n, int rank, double p_best);

/* The decision section (text or Markdown): the best variant at the
 * expert's willingness to pay, the ranking by net benefit, the frontier,
 * EVPI and the inputs most worth learning about; and its CSV rows. Return
 * 0, or -1 out of memory. (cli/report_decision.c) */
int cs_report_decision(const report *rp);
int cs_report_decision_csv(const report *rp);

/* The same with the arrival year of a row by year in the column `year`
 * (NaN: empty). */
void cs_rep_csv_row_year(FILE *o, const char *table, const char *variant, const char *group,
                         const char *measure, const char *units, double value, double lo, double hi,
                         long long n, int rank, double p_best, double year);

/* The "how fast" section (text or Markdown), numbered `section`: impunity
 * of the most affected group by arrival year per variant, and /timing;
 * nothing for a file without tables by arrival year. Returns 0, or -1 out
 * of memory. Its CSV rows, with the year in their column.
 * (cli/report_time.c) */
int cs_report_years(const report *rp, int section);
void cs_report_years_csv(const report *rp);

/* A group's label and key (g = n_groups: all groups). (cli/report.c) */
const char *group_label(const report *rp, size_t g);
const char *group_key(const report *rp, size_t g);

/* The sensitivity section (text or Markdown) of a file of `casesim
 * sensitivity`: what the indices mean, for each baseline output the
 * leading input in words, the ranked table and the noise share, then one
 * row per output; and its CSV rows. Return 0, or -1 out of memory.
 * (cli/report_sensitivity.c) */
int cs_report_sensitivity(const report *rp, const cs_study_file *f);
int cs_report_sensitivity_csv(const report *rp, const cs_study_file *f);

/* Which uncertainty the intervals of the tables cover, as a sentence. */
const char *cs_report_interval_scope(const cs_results *r);

/* The section on where the disparity arises (text or Markdown: relative
 * rates, the decomposition, exposure per population) and its CSV rows.
 * Return 0, or -1 on a failure to read /disparity or out of memory (after
 * printing why to stderr). (cli/report_disparity.c) */
int cs_report_disparity(const report *rp, int section);
int cs_report_disparity_csv(const report *rp);

#endif
