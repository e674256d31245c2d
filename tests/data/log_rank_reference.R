# Produces tests/data/log_rank_reference.json: reference values for the weighted log-rank
# tests (Gehan–Breslow, Tarone–Ware, Fleming–Harrington), the test for trend and the
# pairwise comparisons with Holm / Benjamini–Hochberg adjustment, on the golden datasets.
#
# usage: Rscript tests/data/log_rank_reference.R SHARED_DIR > tests/data/log_rank_reference.json
#
# The weighted tests are computed by wlr() below, straight from the definitions
# (docs/methods.md §2): at each event time t_i of a stratum, with the pooled Kaplan–Meier
# S(t_i-) of the stratum (all compared groups together),
#   O_g += w d_gi,  E_g += w d_i n_gi / n_i,
#   V_gh += w^2 d_i (n_i - d_i) / (n_i - 1) (n_gi / n_i) (delta_gh - n_hi / n_i)   (n_i > 1),
# w = 1 (log-rank), S(t-) (Peto–Peto), n_i (Gehan–Breslow), sqrt(n_i) (Tarone–Ware),
# S(t-)^p (1 - S(t-))^q (Fleming–Harrington). wlr() is checked against survival::survdiff
# for every G-rho case it covers (rho = 0, 0.5, 1), stratified or not, before any value is
# written. chi-square as survdiff: drop the groups with E = 0, then the first remaining one.
# Trend: (sum s_g (O_g - E_g))^2 / s' V s on 1 df. Pairwise: the same test on the rows of
# each pair of groups (Kaplan–Meier weights from that pair), p adjusted by stats::p.adjust.
suppressMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
shared <- if (length(args)) args[1] else "/work/shared"

wlr <- function(time, status, group, strata, weight = "logrank", p = 0, q = 0) {
  g <- factor(group); k <- nlevels(g); gi <- as.integer(g)
  O <- E <- numeric(k); V <- matrix(0, k, k)
  for (s in unique(strata)) {
    idx <- strata == s
    tt <- time[idx]; dd <- status[idx]; gg <- gi[idx]
    S <- 1
    for (t in sort(unique(tt[dd == 1]))) {
      risk <- tt >= t
      n <- sum(risk); d <- sum(dd[tt == t])
      ng <- tabulate(gg[risk], k); dg <- tabulate(gg[tt == t & dd == 1], k)
      w <- switch(weight, logrank = 1, gehan = n, "tarone-ware" = sqrt(n),
                  fh = S^p * (1 - S)^q)
      O <- O + w * dg
      E <- E + w * d * ng / n
      if (n > 1) V <- V + w^2 * d * (n - d) / (n - 1) * (diag(ng / n, k) - outer(ng / n, ng / n))
      S <- S * (1 - d / n)
    }
  }
  keep <- which(E > 0)
  chisq <- 0
  if (length(keep) >= 2) {
    u <- (O - E)[keep][-1]; vv <- V[keep, keep, drop = FALSE][-1, -1, drop = FALSE]
    chisq <- sum(solve(vv, u) * u)
  }
  df <- length(keep) - 1
  list(levels = levels(g), n = as.vector(table(g)), observed = O, expected = E, var = V,
       chisq = chisq, df = df, p = pchisq(chisq, df, lower.tail = FALSE))
}

rel <- function(a, b) max(abs(a - b) / pmax(1, abs(b)))

check_survdiff <- function(res, time, status, group, strata, rho) {
  sd <- survdiff(Surv(time, status) ~ group + strata(strata), rho = rho)
  o <- if (is.matrix(sd$obs)) rowSums(sd$obs) else sd$obs
  e <- if (is.matrix(sd$exp)) rowSums(sd$exp) else sd$exp
  err <- max(rel(res$observed, o), rel(res$expected, e), rel(res$var, sd$var), rel(res$chisq, sd$chisq))
  if (err > 1e-12) stop(sprintf("wlr differs from survdiff (rho = %g): %g", rho, err))
}

num <- function(x) {
  if (length(x) == 1 && is.na(x)) return("null")
  vapply(x, function(v) if (is.na(v)) "null" else {
    for (digits in 15:17) { s <- sprintf(paste0("%.", digits, "g"), v); if (as.numeric(s) == v) break }
    s }, "")
}
arr <- function(x) paste0("[", paste(num(x), collapse = ", "), "]")
mat <- function(m) paste0("[", paste(apply(m, 1, arr), collapse = ", "), "]")
str <- function(x) paste0("\"", gsub("\"", "\\\\\"", x), "\"")
strs <- function(x) paste0("[", paste(str(x), collapse = ", "), "]")

run_case <- function(name, dataset, time, event, group, strata = NULL, weight = "logrank",
                     p = 0, q = 0, scores = NULL) {
  raw <- read.csv(file.path(shared, "golden", "data", paste0(dataset, ".csv")))
  used <- c(time, event, group, strata)
  d <- raw[complete.cases(raw[, used]), ]
  st <- if (is.null(strata)) rep(1, nrow(d)) else d[[strata]]
  res <- wlr(d[[time]], d[[event]], d[[group]], st, weight, p, q)
  if (weight == "logrank") check_survdiff(res, d[[time]], d[[event]], d[[group]], st, 0)
  if (weight == "fh" && q == 0) check_survdiff(res, d[[time]], d[[event]], d[[group]], st, p)
  k <- length(res$levels)
  s <- if (is.null(scores)) seq_len(k) else scores
  u <- sum(s * (res$observed - res$expected)); v <- drop(t(s) %*% res$var %*% s)
  trend <- u^2 / v
  if (weight == "logrank") {  # the trend statistic again from survdiff's own O, E and V
    sd <- survdiff(Surv(d[[time]], d[[event]]) ~ d[[group]] + strata(st))
    o <- if (is.matrix(sd$obs)) rowSums(sd$obs) else sd$obs
    e <- if (is.matrix(sd$exp)) rowSums(sd$exp) else sd$exp
    if (rel(sum(s * (o - e))^2 / drop(t(s) %*% sd$var %*% s), trend) > 1e-12) stop("trend vs survdiff")
  }
  pairs <- combn(seq_len(k), 2)
  pw <- t(apply(pairs, 2, function(ij) {
    sub <- d[[group]] %in% as.numeric(res$levels[ij])
    r <- wlr(d[[time]][sub], d[[event]][sub], d[[group]][sub], st[sub], weight, p, q)
    if (weight == "logrank") check_survdiff(r, d[[time]][sub], d[[event]][sub], d[[group]][sub], st[sub], 0)
    if (weight == "fh" && q == 0) check_survdiff(r, d[[time]][sub], d[[event]][sub], d[[group]][sub], st[sub], p)
    c(r$chisq, r$df, r$p)
  }))
  praw <- ifelse(pw[, 2] > 0, pw[, 3], NA)
  call <- sprintf("wlr(%s, %s, %s, strata = %s, weight = \"%s\", p = %g, q = %g); trend scores = c(%s); p.adjust(pairwise p, \"holm\" / \"BH\")",
                  time, event, group, if (is.null(strata)) "none" else strata, weight, p, q,
                  paste(s, collapse = ", "))
  paste0("    {\"name\": ", str(name), ", \"csv\": ", str(paste0(dataset, ".csv")),
         ", \"time\": ", str(time), ", \"event\": ", str(event), ", \"group\": ", str(group),
         ", \"strata\": ", if (is.null(strata)) "null" else str(strata),
         ", \"weights\": ", str(weight), ", \"fh_p\": ", num(p), ", \"fh_q\": ", num(q),
         ",\n     \"r_call\": ", str(call),
         ",\n     \"n_dropped\": ", nrow(raw) - nrow(d), ", \"groups\": ", strs(res$levels),
         ", \"n\": ", arr(res$n),
         ",\n     \"observed\": ", arr(res$observed), ", \"expected\": ", arr(res$expected),
         ",\n     \"var\": ", mat(res$var),
         ",\n     \"chisq\": ", num(res$chisq), ", \"df\": ", res$df, ", \"p\": ", num(res$p),
         ",\n     \"trend\": {\"scores\": ", arr(s), ", \"statistic\": ", num(u), ", \"variance\": ", num(v),
         ", \"chisq\": ", num(trend), ", \"df\": 1, \"p\": ", num(pchisq(trend, 1, lower.tail = FALSE)), "}",
         ",\n     \"pairwise\": {\"group1\": ", strs(res$levels[pairs[1, ]]), ", \"group2\": ", strs(res$levels[pairs[2, ]]),
         ", \"chisq\": ", arr(pw[, 1]), ", \"df\": ", arr(pw[, 2]), ", \"p\": ", arr(praw),
         ",\n                  \"holm\": ", arr(p.adjust(praw, "holm")), ", \"bh\": ", arr(p.adjust(praw, "BH")), "}}")
}

cases <- c(
  run_case("veteran celltype log-rank", "veteran", "time", "status", "celltype"),
  run_case("veteran celltype Peto-Peto", "veteran", "time", "status", "celltype", weight = "fh", p = 1),
  run_case("veteran celltype G-rho 0.5", "veteran", "time", "status", "celltype", weight = "fh", p = 0.5),
  run_case("veteran celltype Gehan-Breslow", "veteran", "time", "status", "celltype", weight = "gehan"),
  run_case("veteran celltype Tarone-Ware", "veteran", "time", "status", "celltype", weight = "tarone-ware"),
  run_case("veteran celltype FH(1,1)", "veteran", "time", "status", "celltype", weight = "fh", p = 1, q = 1),
  run_case("veteran celltype FH(0,1)", "veteran", "time", "status", "celltype", weight = "fh", p = 0, q = 1),
  run_case("veteran celltype log-rank strata trt, scores", "veteran", "time", "status", "celltype", "trt",
           scores = c(0, 1, 2, 5)),
  run_case("veteran celltype Gehan-Breslow strata trt", "veteran", "time", "status", "celltype", "trt", weight = "gehan"),
  run_case("veteran celltype FH(0.5,2) strata trt", "veteran", "time", "status", "celltype", "trt",
           weight = "fh", p = 0.5, q = 2),
  run_case("lung ph_ecog log-rank", "lung", "time", "status", "ph_ecog"),
  run_case("lung ph_ecog Tarone-Ware strata sex", "lung", "time", "status", "ph_ecog", "sex", weight = "tarone-ware"),
  run_case("lung ph_ecog Peto-Peto strata sex", "lung", "time", "status", "ph_ecog", "sex", weight = "fh", p = 1),
  run_case("pbc edema log-rank", "pbc", "time", "status", "edema"),
  run_case("pbc edema Gehan-Breslow", "pbc", "time", "status", "edema", weight = "gehan"),
  run_case("aml x Tarone-Ware", "aml", "time", "status", "x", weight = "tarone-ware"),
  run_case("aml x FH(1,1)", "aml", "time", "status", "x", weight = "fh", p = 1, q = 1)
)
cat("{\n  \"generated_by\": \"Rscript tests/data/log_rank_reference.R SHARED_DIR\",\n",
    "  \"r_version\": ", str(R.version.string), ", \"survival_version\": ", str(as.character(packageVersion("survival"))), ",\n",
    "  \"cases\": [\n", paste(cases, collapse = ",\n"), "\n  ]\n}\n", sep = "")
