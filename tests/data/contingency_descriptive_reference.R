# Reference values for tests/descriptive_test.cpp and tests/binomial_ci_test.cpp, from R 4.2
# (base and stats). Regenerate with:
#   Rscript tests/data/contingency_descriptive_reference.R > tests/data/contingency_descriptive_reference.json
# Each value is written beside the R call that produced it.
num <- function(v) {
  out <- sapply(v, function(z) {
    if (is.na(z)) "null" else if (is.infinite(z)) (if (z > 0) '"Inf"' else '"-Inf"') else sprintf("%.17g", z)
  })
  if (length(out) == 1) out else paste0("[", paste(out, collapse = ", "), "]")
}
vec <- function(v) paste0("[", paste(sapply(v, num), collapse = ", "), "]")
str <- function(s) paste0('"', gsub('"', '\\\\"', s), '"')
obj <- function(...) {
  kv <- list(...)
  paste0("{", paste(sprintf('"%s": %s', names(kv), unlist(kv)), collapse = ", "), "}")
}
rlit <- function(v) paste0("c(", paste(ifelse(is.na(v), "NA", sprintf("%.17g", v)), collapse = ", "), ")")

set.seed(228)
numeric_sets <- list(
  list(name = "ages with a missing value", x = c(60, 45, 71, NA, 38, 52, 66, 59, 60, 77, 26, 78, 49)),
  list(name = "four values", x = c(4, 1, 3, 2)),
  list(name = "two values", x = c(10, 20)),
  list(name = "one value", x = c(5)),
  list(name = "ties, negatives, decimals", x = c(2.5, -1.25, 3.75, 3.75, 0.1, 1000, NA, NA)),
  list(name = "57 normal draws", x = round(rnorm(57, 60, 10), 3)),
  list(name = "cycles 1..28 skewed", x = c(1, 3, 5, 6, 6, 7, 8, 8, 9, 9, 9, 10, 12, 14, 28)),
  list(name = "all missing", x = c(NA_real_, NA_real_))
)
cat('{\n"generator": "Rscript tests/data/contingency_descriptive_reference.R (', R.version.string, ')",\n"numeric": [\n', sep = "")
first <- TRUE
for (s in numeric_sets) {
  x <- s$x
  xs <- rlit(x)
  ok <- x[!is.na(x)]
  f <- list(name = str(s$name), values = vec(x), n = num(length(ok)), missing = num(sum(is.na(x))))
  if (length(ok) > 0) {
    f$mean <- obj(call = str(paste0("mean(", xs, ", na.rm = TRUE)")), value = num(mean(x, na.rm = TRUE)))
    f$sd <- obj(call = str(paste0("sd(", xs, ", na.rm = TRUE)")), value = num(sd(x, na.rm = TRUE)))
    f$min <- num(min(ok)); f$max <- num(max(ok))
    for (type in c(2, 6, 7)) {
      q <- unname(quantile(x, c(0, 0.1, 0.25, 0.5, 0.75, 0.9, 1), type = type, na.rm = TRUE))
      f[[paste0("quantile_type", type)]] <- obj(
        call = str(paste0("quantile(", xs, ", c(0, 0.1, 0.25, 0.5, 0.75, 0.9, 1), type = ", type, ", na.rm = TRUE)")),
        probs = vec(c(0, 0.1, 0.25, 0.5, 0.75, 0.9, 1)), value = vec(q))
    }
  }
  if (!first) cat(",\n")
  first <- FALSE
  cat(do.call(obj, f))
}
cat('\n],\n"categorical": [\n')
x <- c("pre", "post", NA, "post", "pre", "pre", NA, "unknown", "pre", "post")
levels <- sort(unique(x[!is.na(x)]))
xs <- paste0("c(", paste(ifelse(is.na(x), "NA", paste0('"', x, '"')), collapse = ", "), ")")
t <- table(factor(x, levels = levels))
cat(obj(name = str("menopausal status"),
        values = paste0("[", paste(ifelse(is.na(x), "null", paste0('"', x, '"')), collapse = ", "), "]"),
        levels = paste0("[", paste0('"', levels, '"', collapse = ", "), "]"),
        counts = obj(call = str(paste0("table(", xs, ", useNA = \"always\")")), value = vec(as.vector(table(factor(x, levels = levels), useNA = "always")))),
        percent_valid = obj(call = str(paste0("100 * prop.table(table(", xs, "))")), value = vec(100 * as.vector(prop.table(t)))),
        percent_all = obj(call = str(paste0("100 * table(", xs, ", useNA = \"always\") / length(x)")),
                          value = vec(100 * as.vector(table(factor(x, levels = levels), useNA = "always")) / length(x)))))
cat('\n],\n"binomial": [\n')
cases <- list(c(191, 220, 0.95), c(39, 220, 0.95), c(0, 10, 0.95), c(10, 10, 0.95), c(1, 1, 0.95),
              c(0, 1, 0.95), c(5, 17, 0.9), c(123, 228, 0.99), c(1, 1000, 0.95), c(67, 228, 0.95))
first <- TRUE
for (cs in cases) {
  x <- cs[1]; n <- cs[2]; level <- cs[3]
  cp <- binom.test(x, n, conf.level = level)$conf.int
  w <- suppressWarnings(prop.test(x, n, conf.level = level, correct = FALSE))$conf.int
  if (!first) cat(",\n")
  first <- FALSE
  cat(obj(x = num(x), n = num(n), conf_level = num(level),
          clopper_pearson = obj(call = str(sprintf("binom.test(%g, %g, conf.level = %g)$conf.int", x, n, level)),
                                lower = num(cp[1]), upper = num(cp[2])),
          wilson = obj(call = str(sprintf("prop.test(%g, %g, conf.level = %g, correct = FALSE)$conf.int", x, n, level)),
                       lower = num(w[1]), upper = num(w[2]))))
}
cat("\n]\n}\n")
