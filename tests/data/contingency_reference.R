# Reference values for tests/contingency_test.cpp, from R 4.2 (stats::chisq.test,
# stats::fisher.test). Regenerate with:
#   Rscript tests/data/contingency_reference.R > tests/data/contingency_reference.json
# Every value is written beside the R call that produced it. fisher.test finds the odds
# ratio and its interval with uniroot()'s default tolerance (about 1e-4), so the same
# quantities are also solved to full precision ("precise") from their definitions
# (conditional MLE: E_psi(X) = x; Cornfield's exact limits: tail probabilities = alpha/2).
num <- function(v) {
  if (length(v) == 0 || is.null(v)) return("null")
  out <- sapply(v, function(z) {
    if (is.na(z)) "null" else if (is.infinite(z)) (if (z > 0) '"Inf"' else '"-Inf"') else sprintf("%.17g", z)
  })
  if (length(out) == 1) out else paste0("[", paste(out, collapse = ", "), "]")
}
str <- function(s) paste0('"', gsub('"', '\\\\"', s), '"')
obj <- function(...) {
  kv <- list(...)
  paste0("{", paste(sprintf('"%s": %s', names(kv), unlist(kv)), collapse = ", "), "}")
}

# Noncentral hypergeometric distribution of x[1,1] (Fisher 1935), on the log-odds scale.
nc_density <- function(m, n, k, theta) {
  support <- max(0, k - n):min(k, m)
  d <- dhyper(support, m, n, k, log = TRUE) + theta * support
  d <- exp(d - max(d))
  list(support = support, d = d / sum(d))
}
solve_theta <- function(f, target) {  # f increasing in theta
  uniroot(function(t) f(t) - target, c(-50, 50), tol = 1e-15, maxiter = 10000)$root
}
precise_or <- function(x) {
  m <- sum(x[, 1]); n <- sum(x[, 2]); k <- sum(x[1, ]); x11 <- x[1, 1]
  lo <- max(0, k - n); hi <- min(k, m)
  mean_at <- function(t) { a <- nc_density(m, n, k, t); sum(a$support * a$d) }
  upper_at <- function(t) { a <- nc_density(m, n, k, t); sum(a$d[a$support >= x11]) }
  lower_at <- function(t) { a <- nc_density(m, n, k, t); sum(a$d[a$support <= x11]) }
  alpha <- 0.025
  est <- if (x11 == lo) 0 else if (x11 == hi) Inf else exp(solve_theta(mean_at, x11))
  lcl <- if (x11 == lo) 0 else exp(solve_theta(upper_at, alpha))
  ucl <- if (x11 == hi) Inf else exp(solve_theta(function(t) -lower_at(t), -alpha))
  c(est, lcl, ucl)
}

tables <- list(
  list(name = "2x2 balanced small", x = matrix(c(1, 3, 3, 1), 2, byrow = TRUE)),
  list(name = "2x2 tea tasting", x = matrix(c(3, 1, 1, 3), 2, byrow = TRUE)),
  list(name = "2x2 n=228", x = matrix(c(30, 39, 33, 126), 2, byrow = TRUE)),
  list(name = "2x2 zero cell", x = matrix(c(0, 5, 10, 3), 2, byrow = TRUE)),
  list(name = "2x2 x11 at upper end", x = matrix(c(6, 0, 2, 9), 2, byrow = TRUE)),
  list(name = "2x2 expected just below 5", x = matrix(c(2, 8, 10, 7), 2, byrow = TRUE)),
  list(name = "2x2 large n", x = matrix(c(412, 388, 350, 450), 2, byrow = TRUE)),
  list(name = "2x2 zero row", x = matrix(c(0, 0, 4, 6), 2, byrow = TRUE)),
  list(name = "2x2 all in one cell", x = matrix(c(7, 0, 0, 0), 2, byrow = TRUE)),
  list(name = "2x4 n=228", x = matrix(c(8, 35, 45, 36, 6, 29, 37, 32), 2, byrow = TRUE)),
  list(name = "2x4 small cells", x = matrix(c(1, 12, 30, 60, 4, 20, 40, 63), 2, byrow = TRUE)),
  list(name = "3x3 n=200", x = matrix(c(20, 25, 22, 18, 30, 15, 25, 20, 25), 3, byrow = TRUE)),
  list(name = "3x4 sparse", x = matrix(c(2, 0, 3, 1, 1, 4, 0, 2, 0, 1, 2, 5), 3, byrow = TRUE)),
  list(name = "2x3 zero column", x = matrix(c(3, 0, 4, 2, 0, 5), 2, byrow = TRUE)),
  list(name = "5x2 dose groups", x = matrix(c(5, 1, 8, 3, 6, 6, 2, 9, 1, 7), 5, byrow = TRUE)),
  list(name = "4x3 n=150", x = matrix(c(10, 15, 12, 8, 14, 16, 11, 9, 13, 20, 12, 10), 4, byrow = TRUE)),
  list(name = "3x2 ties", x = matrix(c(2, 2, 2, 2, 2, 2), 3, byrow = TRUE)),
  list(name = "3x4 n=228 one sparse row", x = matrix(c(30, 25, 40, 18, 28, 22, 35, 22, 2, 2, 2, 2), 3, byrow = TRUE)),
  list(name = "3x5 n=230", x = matrix(c(10, 20, 25, 15, 8, 12, 18, 22, 14, 9, 11, 17, 20, 16, 13), 3, byrow = TRUE)),
  list(name = "4x4 n=228", x = matrix(c(14, 20, 15, 8, 16, 18, 12, 10, 13, 17, 19, 9, 12, 15, 18, 12), 4, byrow = TRUE))
)

cat('{\n"generator": "Rscript tests/data/contingency_reference.R (', R.version.string, ')",\n"tables": [\n', sep = "")
first <- TRUE
for (t in tables) {
  x <- t$x
  xs <- paste0("matrix(c(", paste(as.vector(t(x)), collapse = ", "), "), ", nrow(x), ", byrow = TRUE)")
  fields <- list(name = str(t$name), rows = num(nrow(x)), cols = num(ncol(x)),
                 counts = paste0("[", paste(as.vector(t(x)), collapse = ", "), "]"))
  plain <- suppressWarnings(chisq.test(x, correct = FALSE))
  fields$chisq <- obj(call = str(paste0("chisq.test(", xs, ", correct = FALSE)")),
                      statistic = num(unname(plain$statistic)), df = num(unname(plain$parameter)),
                      p = num(plain$p.value),
                      expected = num(as.vector(t(plain$expected))))
  if (nrow(x) == 2 && ncol(x) == 2) {
    yates <- suppressWarnings(chisq.test(x))
    fields$chisq_yates <- obj(call = str(paste0("chisq.test(", xs, ")")),
                              statistic = num(unname(yates$statistic)), df = num(unname(yates$parameter)),
                              p = num(yates$p.value))
    f <- fisher.test(x)
    fields$fisher <- obj(call = str(paste0("fisher.test(", xs, ")")), p = num(f$p.value),
                         estimate = num(unname(f$estimate)), lower = num(f$conf.int[1]),
                         upper = num(f$conf.int[2]))
    if (sum(x[1, ]) > 0 && sum(x[2, ]) > 0 && sum(x[, 1]) > 0 && sum(x[, 2]) > 0) {
      pr <- precise_or(x)
      fields$fisher_precise <- obj(call = str(paste0("precise_or(", xs, ") # definitions above, uniroot tol = 1e-15")),
                                   estimate = num(pr[1]), lower = num(pr[2]), upper = num(pr[3]))
    }
  } else {
    call <- paste0("fisher.test(", xs, ", workspace = 2e8)")
    f <- fisher.test(x, workspace = 2e8)
    fields$fisher <- obj(call = str(call), p = num(f$p.value))
  }
  if (!first) cat(",\n")
  first <- FALSE
  cat(do.call(obj, fields))
}
cat("\n]\n}\n")
