/* cli/progress.c — the progress bar and progress lines of `casesim run`
 * (see cli/progress.h). */
#include "cli/progress.h"

#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Writes a duration as h:mm:ss or m:ss. */
static void format_duration(char *buf, size_t n, double seconds)
{
    if (!(seconds >= 0) || seconds > 1e8) {
        snprintf(buf, n, "?");
        return;
    }
    unsigned long s = (unsigned long)(seconds + 0.5);
    if (s >= 3600)
        snprintf(buf, n, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(buf, n, "%lu:%02lu", s / 60, s % 60);
}

void cs_progress_init(cs_progress *p, uint64_t total, bool quiet)
{
    *p = (cs_progress){.to = stderr, .enabled = !quiet && total > 0, .total = total};
    p->tty = isatty(fileno(stderr)) == 1;
    p->start = now();
    p->last_draw = -1;
}

/* Rate (replicates per second) and the time left, as text. */
static void rate_and_left(const cs_progress *p, double t, char *rate, size_t nr, char *left,
                          size_t nl)
{
    double elapsed = t - p->start;
    double r = elapsed > 0 ? (double)p->done / elapsed : 0;
    if (r >= 10)
        snprintf(rate, nr, "%.0f replicates/s", r);
    else if (r > 0)
        snprintf(rate, nr, "%.2f replicates/s", r);
    else
        snprintf(rate, nr, "starting");
    if (r > 0)
        format_duration(left, nl, (double)(p->total - p->done) / r);
    else
        snprintf(left, nl, "?");
}

void cs_progress_update(cs_progress *p, uint64_t done)
{
    if (!p->enabled)
        return;
    p->done = done > p->total ? p->total : done;
    double t = now();
    char rate[48], left[32];
    if (p->tty) {
        if (p->done < p->total && p->last_draw >= 0 && t - p->last_draw < 0.1)
            return;
        p->last_draw = t;
        enum { WIDTH = 30 };
        char bar[WIDTH + 1];
        size_t filled = (size_t)((double)WIDTH * (double)p->done / (double)p->total);
        for (size_t i = 0; i < WIDTH; i++)
            bar[i] = i < filled ? '#' : '.';
        bar[WIDTH] = '\0';
        rate_and_left(p, t, rate, sizeof rate, left, sizeof left);
        /* Trailing spaces wipe what a longer previous line left behind. */
        if (p->done < p->total)
            fprintf(p->to, "\r[%s] %llu/%llu replicates, %s, %s left    ", bar,
                    (unsigned long long)p->done, (unsigned long long)p->total, rate, left);
        else
            fprintf(p->to, "\r[%s] %llu/%llu replicates, %s              ", bar,
                    (unsigned long long)p->done, (unsigned long long)p->total, rate);
        fflush(p->to);
        p->drawn = true;
        return;
    }
    int tenth = (int)(10 * p->done / p->total);
    if (tenth <= p->last_tenth)
        return;
    p->last_tenth = tenth;
    rate_and_left(p, t, rate, sizeof rate, left, sizeof left);
    if (p->done < p->total)
        fprintf(p->to, "casesim: %.0f%% done (%llu of %llu replicates), %s, about %s left\n",
                100.0 * (double)p->done / (double)p->total, (unsigned long long)p->done,
                (unsigned long long)p->total, rate, left);
    else
        fprintf(p->to, "casesim: 100%% done (%llu replicates), %s\n", (unsigned long long)p->done,
                rate);
    fflush(p->to);
}

void cs_progress_finish(cs_progress *p)
{
    if (p->enabled && p->tty && p->drawn) {
        fputc('\n', p->to);
        fflush(p->to);
    }
}
