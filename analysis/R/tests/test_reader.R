# Tests of analysis/R/casesim.R on a fresh results file of this build's
# casesim ($CASESIM, $SRCDIR; run by CTest) and on the format-1.0 file of
# tests/data/results. Exits non-zero on the first failure.
src <- Sys.getenv("SRCDIR")
source(file.path(src, "analysis", "R", "casesim.R"))
check <- function(ok, what) if (!isTRUE(ok)) stop(paste("FAIL:", what), call. = FALSE)

path <- tempfile(fileext = ".h5")
rc <- system2(Sys.getenv("CASESIM"), c("run", file.path(src, "scenarios", "minimal.yaml"),
                                        "-o", path, "-n", "5", "--seed", "3", "-q"))
check(rc == 0, "casesim run")

s <- casesim_summary(path)
check(is.data.frame(s) && is.character(s$variant) && is.character(s$measure), "summary strings")
groups <- c("reference", "african_descent", "all")
check(nrow(s) == 2 * length(groups) * 23, sprintf("summary rows %d", nrow(s)))

m <- casesim_array(path, "baseline", "measures")
check(identical(names(m), c("replicate", "group", "measure", "value")), "array columns")
check(nrow(m) == 5 * length(groups) * 23, "array rows")
check(identical(sort(unique(m$group)), sort(groups)), "group labels with all")
check(identical(sort(unique(m$replicate)), 0:4), "replicate numbers")

# Each summary mean is the mean over replicates of the array's values (a
# mean of 5 doubles: the two computations round differently by a few ulp);
# a disparity ratio's is the ratio of the group's and the reference group's
# mean rates, over the replicates where both are defined.
rates <- c(accountability_ratio = "accountability_rate", impunity_ratio = "impunity_rate",
           redress_ratio = "redress_rate", time_to_end_median_ratio = "time_to_end_median")
rate_of <- function(g, rate) {
  x <- m[m$group == g & m$measure == rate, ]
  x$value[order(x$replicate)]
}
for (i in seq_len(nrow(s))) {
  r <- s[i, ]
  if (r$variant != "baseline") next
  v <- m$value[m$group == r$group & m$measure == r$measure]
  want <- mean(v[!is.nan(v)])
  if (r$measure %in% names(rates) && r$group != "all") {
    x <- rate_of(r$group, rates[[r$measure]])
    y <- rate_of(groups[1], rates[[r$measure]])
    ok <- !is.nan(x) & !is.nan(y)
    want <- if (any(ok) && mean(y[ok]) != 0) mean(x[ok]) / mean(y[ok]) else NaN
  }
  if (is.nan(r$mean)) check(is.nan(want), paste("NaN mean", r$group, r$measure))
  else check(abs(r$mean - want) <= 1e-12 * max(1, abs(want)), paste("mean", r$group, r$measure))
}
# The order of the axes: the largest backlog read through hdf5r's reversed
# array is the value at [replicate, stage, month] in the file (h5dump's
# order, axes as HDF5 numbers them).
b <- casesim_array(path, "more_investigators", "backlog")
check(identical(names(b), c("replicate", "stage", "month", "value")), "backlog axes")
top <- b[which.max(b$value), ]
check(top$value > 0, "some backlog")
stages <- unique(b$stage)
start <- sprintf("%d,%d,%d", top$replicate, match(top$stage, stages) - 1, top$month)
dump <- system2("h5dump", c("-d", shQuote("/runs/more_investigators/backlog"), "-s",
                            shQuote(start), "-c", shQuote("1,1,1"), "-y", "-w", "0",
                            shQuote(path)), stdout = TRUE)
want <- as.numeric(trimws(dump[grep("DATA {", dump, fixed = TRUE)[1] + 1]))
check(isTRUE(abs(top$value - want) <= 1e-6 * abs(want)),
      sprintf("backlog[%s]: %g, h5dump %g", start, top$value, want))

# Another major version is refused, naming it.
other <- tempfile(fileext = ".h5")
invisible(file.copy(path, other))
f <- H5File$new(other, mode = "r+")
h5attr(f, "format_version") <- c(2L, 0L)
f$close_all()
msg <- tryCatch({ casesim_summary(other); "" }, error = function(e) conditionMessage(e))
check(grepl("results format version 2.0", msg, fixed = TRUE), paste("version refused:", msg))

# A file of format 1.0 still reads.
old <- file.path(src, "tests", "data", "results", "format_1.0_minimal.h5")
s0 <- casesim_summary(old)
check(nrow(s0) == 2 * 3 * 19, "1.0 summary")
m0 <- casesim_array(old, "baseline", "measures")
check(nrow(m0) == 3 * 3 * 19, "1.0 array")

unlink(c(path, other))
cat("R reader: all checks passed\n")
