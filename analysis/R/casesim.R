# casesim.R — reading casesim results files in R, with hdf5r (Debian's
# r-cran-hdf5r). The file format is documented in analysis/README.md.
#
#   source("analysis/R/casesim.R")
#   s <- casesim_summary("out/illustrative.h5")          # /summary, a data frame
#   m <- casesim_array("out/illustrative.h5", "baseline", "measures")
#   # one row per element: replicate, group, measure (the file's own axis
#   # names, labelled by its dimension scales), value
#
# A file of another major version is refused, naming its version.

library(hdf5r)

casesim_open <- function(path) {
  f <- H5File$new(path, mode = "r")
  fmt <- if (f$attr_exists("format")) h5attr(f, "format") else ""
  if (!identical(fmt, "casesim-results")) {
    f$close_all()
    stop(sprintf("%s: not a casesim results file (format \"%s\")", path, fmt))
  }
  v <- h5attr(f, "format_version")
  if (v[1] != 1) {
    f$close_all()
    stop(sprintf("%s: results format version %d.%d cannot be read by this reader, which reads version 1.x",
                 path, v[1], v[2]))
  }
  f
}

# The table /summary (or /comparison, /ranking) as a data frame.
casesim_summary <- function(path, table = "summary") {
  f <- casesim_open(path)
  on.exit(f$close_all())
  f[[table]]$read()
}

# The labels of the axis `dim` of the arrays of group g: its dimension scale
# beside the array (format 1.2), else /scenario's dimension_labels (1.1),
# else positions 0, 1, ...
axis_labels <- function(f, g, dim, n) {
  if (g$exists(dim)) return(g[[dim]]$read())
  sc <- f[["scenario"]]
  if (sc$attr_exists("dimension_names")) {
    k <- match(dim, h5attr(sc, "dimension_names"))
    where <- h5attr(sc, "dimension_labels")[k]
    extra <- h5attr(sc, "dimension_extra_labels")[k]
    if (!is.na(where) && nzchar(where)) {
      labels <- if (startsWith(where, "/")) f[[where]]$read() else g[[where]]$read()
      if (nzchar(extra)) labels <- c(labels, extra)
      if (length(labels) == n) return(labels)
    }
  }
  seq_len(n) - 1
}

# The per-replicate array `name` of a variant as a long data frame: one
# column per axis, named as the file names it, then `value`.
casesim_array <- function(path, variant, name) {
  f <- casesim_open(path)
  on.exit(f$close_all())
  g <- f[[paste0("runs/", variant)]]
  ds <- g[[name]]
  x <- ds$read()
  shape <- ds$dims  # HDF5's order: replicate first
  dims <- if (ds$attr_exists("dimensions")) h5attr(ds, "dimensions") else
    paste0("axis", seq_along(shape))
  labels <- mapply(function(d, n) axis_labels(f, g, d, n), dims, shape, SIMPLIFY = FALSE)
  names(labels) <- dims
  # hdf5r returns the array with its axes reversed (R is column-major), so
  # the last axis of the file varies fastest, as expand.grid's first does.
  grid <- expand.grid(rev(labels), KEEP.OUT.ATTRS = FALSE, stringsAsFactors = FALSE)
  data.frame(grid[, rev(seq_along(dims)), drop = FALSE], value = as.vector(x))
}
