/*
 * cli/report.h — what the parts of `casesim report` share: the report being
 * written, text tables, formatted numbers, headings and paragraphs
 * (cli/report_text.c), and the decision section (cli/report_decision.c),
 * which an expert reads first.
 */
#ifndef CASESIM_CLI_REPORT_H
#define CASESIM_CLI_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "casesim/results.h"
#include "casesim/schema.h"
#include "casesim/study.h"

typedef enum { FMT_TEXT, FMT_CSV, FMT_MARKDOWN } cs_report_format;

/* The headline measures and how each is shown come from the results schema
 * (CS_HEADLINE_MEASURES in casesim/schema.h), the list the HTML page reads
 * from the file too. */
#define N_HEADLINES ((size_t)CS_SCHEMA_N_HEADLINES)

/* The report being written. */
typedef struct cs_report {
    const cs_results *r;
    cs_report_format f;
    FILE *o;
    const cs_study_file *sens; /* /sensitivity, NULL if the file has none */
    int before;                /* sections before the headline measures (decision, sensitivity) */
    size_t mag;     /* index of the most affected group; the reference (0) if it is alone */
    char level[16]; /* the file's confidence level as a percentage: "95%" */
} cs_report;

/* A text table: row 0 is the header. */
typedef struct cs_rep_table {
    size_t ncol, nrow, cap;
    char **cells; /* row-major */
} cs_rep_table;

void cs_rep_table_init(cs_rep_table *t, size_t ncol);
void cs_rep_table_free(cs_rep_table *t);
/* Appends a row of ncol strings (copied). Returns 0, or -1 out of memory. */
int cs_rep_table_row(cs_rep_table *t, const char *const *cells);
/* Prints t aligned (text: first column left, the others right) or as a
 * Markdown table. */
void cs_rep_table_print(const cs_rep_table *t, cs_report_format f, FILE *o);

/* v as display kind k ("n/a" for NaN; percentages from shares; with
 * points, signed). */
void cs_rep_fmt_value(char *buf, size_t n, double v, cs_display k, bool points);
/* "mean [low, high]" in the measure's display units. */
void cs_rep_fmt_ci(char *buf, size_t n, double mean, double lo, double hi, cs_display k,
                   bool points);
/* A probability as a percentage ("<0.1%", ">99.9%" at the ends). */
void cs_rep_fmt_prob(char *buf, size_t n, double p);

/* A group's label and key (g = n_groups: all groups). */
const char *cs_rep_group_label(const cs_report *rp, size_t g);
const char *cs_rep_group_key(const cs_report *rp, size_t g);

/* A heading of level 1-3, and a paragraph (wrapped at 88 columns in text). */
void cs_rep_heading(const cs_report *rp, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cs_rep_para(const cs_report *rp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* CSV cells: a quoted string where needed; a number (empty for NaN). */
void cs_rep_csv_str(FILE *o, const char *s);
void cs_rep_csv_num(FILE *o, double v);
/* One row of the report's long CSV table; rank 0 and n < 0 are left empty,
 * and so is the last column, `year` (cs_rep_csv_row_year: the arrival year
 * of a row by year; empty for NaN). */
void cs_rep_csv_row(FILE *o, const char *table, const char *variant, const char *group,
                    const char *measure, const char *units, double value, double lo, double hi,
                    long long n, int rank, double p_best);
void cs_rep_csv_row_year(FILE *o, const char *table, const char *variant, const char *group,
                         const char *measure, const char *units, double value, double lo, double hi,
                         long long n, int rank, double p_best, double year);

/* The decision section (text or Markdown): the best variant at the
 * expert's willingness to pay, the ranking by net benefit, the frontier,
 * EVPI and the inputs most worth learning about; and its CSV rows. Return
 * 0, or -1 out of memory. (cli/report_decision.c) */
int cs_report_decision(const cs_report *rp);
int cs_report_decision_csv(const cs_report *rp);

/* The "how fast" section (text or Markdown), numbered `section`: impunity
 * of the most affected group by arrival year per variant, and /timing;
 * nothing for a file without tables by arrival year. Returns 0, or -1 out
 * of memory. Its CSV rows, with the year in the last column.
 * (cli/report_time.c) */
int cs_report_years(const cs_report *rp, int section);
void cs_report_years_csv(const cs_report *rp);

/* The sensitivity section (text or Markdown) of a file of `casesim
 * sensitivity`: what the indices mean, for each baseline output the
 * leading input in words, the ranked table and the noise share, then one
 * row per output; and its CSV rows. Return 0, or -1 out of memory.
 * (cli/report_sensitivity.c) */
int cs_report_sensitivity(const cs_report *rp, const cs_study_file *f);
int cs_report_sensitivity_csv(const cs_report *rp, const cs_study_file *f);

/* Which uncertainty the intervals of the tables cover, as a sentence. */
const char *cs_report_interval_scope(const cs_results *r);

/* The section on where the disparity arises (text or Markdown: relative
 * rates, the decomposition, exposure per population) and its CSV rows.
 * Return 0, or -1 on a failure to read /disparity or out of memory (after
 * printing why to stderr). (cli/report_disparity.c) */
int cs_report_disparity(const cs_report *rp);
int cs_report_disparity_csv(const cs_report *rp);

#endif
