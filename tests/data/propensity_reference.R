# Produces the propensity-score reference data and values (docs/methods.md §8):
#   tests/data/ps_lalonde.csv   MatchIt::lalonde (Dehejia & Wahba 1999's subset of LaLonde 1986's
#                               National Supported Work data, 185 treated and 429 PSID controls)
#   tests/data/ps_pbc.csv       survival::pbc (Mayo Clinic primary biliary cholangitis trial, the 312
#                               randomised patients; treatment trt == 1, D-penicillamine)
#   tests/data/propensity_reference.json   R's values on them
#
# usage: Rscript tests/data/propensity_reference.R tests/data > tests/data/propensity_reference.json
#
# Every analysis is run on the CSV as read back from disk. Values:
# - the propensity model: glm(treat ~ covariates, family = binomial) (R's glm.control defaults):
#   coefficients, SEs, z, p from summary(), null and residual deviance, AIC, iterations, fitted();
# - weights computed from those fitted values by the formulas of docs/methods.md §8.2
#   (ATE 1/e, 1/(1 - e); ATT 1, e/(1 - e); stabilized; trimmed; truncated at quantile(w, q));
# - matching: MatchIt::matchit(method = "nearest", distance = "glm", ratio, caliper, replace,
#   m.order) on its defaults otherwise: the matched sets ($match.matrix) and $weights;
# - balance by the formulas of cobalt's defaults (docs/methods.md §8.4), written out in R below.
# MatchIt 4.5.1 (Debian 12's r-cran-matchit) ignores calipers and takes the lower-score
# neighbour instead of the nearest (an integer abs() in its C++ code, fixed in 4.5.4, MatchIt
# issue #163); the values here need MatchIt >= 4.5.4 (they were made with 4.7.2: R_LIBS can
# point to a library that has it).
suppressMessages({library(survival); library(MatchIt); library(jsonlite)})
if (packageVersion("MatchIt") < "4.5.4") stop("MatchIt >= 4.5.4 is needed (found ", packageVersion("MatchIt"), "): see the comment above")
args <- commandArgs(trailingOnly = TRUE)
dir <- if (length(args)) args[1] else "tests/data"

data("lalonde", package = "MatchIt")
la <- lalonde
la$race <- as.character(la$race)
write.csv(la, file.path(dir, "ps_lalonde.csv"), row.names = FALSE, quote = FALSE)
la <- read.csv(file.path(dir, "ps_lalonde.csv"))

pb <- survival::pbc[!is.na(survival::pbc$trt), c("id", "trt", "age", "sex", "albumin", "bili", "edema", "chol", "protime")]
pb$treat <- as.integer(pb$trt == 1)
pb$trt <- NULL
write.csv(pb, file.path(dir, "ps_pbc.csv"), row.names = FALSE, quote = FALSE, na = "")
pb <- read.csv(file.path(dir, "ps_pbc.csv"))

# Balance as cobalt's defaults define it: SMD = (mean_t - mean_c) / s, s from the unweighted
# groups ("pooled" sqrt((s_t^2 + s_c^2)/2) for the ATE, "treated" s_t for the ATT); a binary
# variable's variance p(1 - p), otherwise the weighted variance
# sum w (x - m)^2 * sum w / ((sum w)^2 - sum w^2) (var() when all weights are 1).
wvar <- function(x, w, binary) {
  w <- w / sum(w); m <- sum(w * x)
  if (binary) m * (1 - m) else sum(w * (x - m)^2) / (1 - sum(w^2))
}
balance <- function(X, treat, w, estimand) {
  rows <- lapply(colnames(X), function(v) {
    x <- X[, v]; binary <- all(x %in% c(0, 1))
    t <- treat == 1; c <- treat == 0
    wt <- w > 0
    vt <- wvar(x[t], rep(1, sum(t)), binary); vc <- wvar(x[c], rep(1, sum(c)), binary)
    s <- if (estimand == "att") sqrt(vt) else sqrt((vt + vc) / 2)
    mt <- mean(x[t]); mc <- mean(x[c])
    at <- weighted.mean(x[t & wt], w[t & wt]); ac <- weighted.mean(x[c & wt], w[c & wt])
    list(name = v, binary = binary, mean_treated = mt, mean_control = mc, smd = (mt - mc) / s,
         variance_ratio = if (binary) NA else vt / vc,
         mean_treated_adjusted = at, mean_control_adjusted = ac, smd_adjusted = (at - ac) / s,
         variance_ratio_adjusted = if (binary) NA else wvar(x[t & wt], w[t & wt], FALSE) / wvar(x[c & wt], w[c & wt], FALSE))
  })
  rows
}
# cobalt-style balance columns: numeric covariates as they are, every level of a factor as 0/1.
balance_matrix <- function(d, covariates, factors = character(0)) {
  cols <- list()
  for (v in covariates) {
    if (is.character(d[[v]]) || v %in% factors) {
      for (l in sort(unique(d[[v]]))) cols[[paste0(v, "_", l)]] <- as.numeric(d[[v]] == l)
    } else cols[[v]] <- d[[v]]
  }
  as.matrix(as.data.frame(cols, check.names = FALSE))
}
ess <- function(w) sum(w)^2 / sum(w^2)

model_case <- function(name, csv, d, covariates, factors = character(0)) {
  kept <- d[complete.cases(d[, c("treat", covariates)]), ]
  for (v in factors) kept[[v]] <- factor(kept[[v]])
  f <- reformulate(covariates, "treat")
  fit <- glm(f, family = binomial, data = kept)
  s <- summary(fit)$coefficients
  list(name = name, csv = csv, covariates = covariates, factors = factors,
       r_call = paste0("glm(", deparse(f), ", family = binomial)"),
       n = nrow(kept), dropped = nrow(d) - nrow(kept), rows = as.integer(rownames(kept)),
       coef_names = rownames(s), coef = unname(s[, 1]), se = unname(s[, 2]), z = unname(s[, 3]), p = unname(s[, 4]),
       null_deviance = fit$null.deviance, deviance = fit$deviance, aic = fit$aic, df_null = fit$df.null,
       df_residual = fit$df.residual, iterations = fit$iter, converged = fit$converged, fitted = unname(fitted(fit)),
       kept = kept)
}

weights_case <- function(m, estimand, stabilize = FALSE, trim = 0, truncate = 0) {
  e <- m$fitted; t <- m$kept$treat
  keep <- if (trim > 0) e >= trim & e <= 1 - trim else rep(TRUE, length(e))
  p <- mean(t[keep] == 1)
  w <- if (estimand == "ate") ifelse(t == 1, 1 / e, 1 / (1 - e)) else ifelse(t == 1, 1, e / (1 - e))
  if (stabilize) w <- w * (if (estimand == "ate") ifelse(t == 1, p, 1 - p) else ifelse(t == 1, 1, (1 - p) / p))
  w[!keep] <- 0
  cap <- NA
  if (truncate > 0) { cap <- unname(quantile(w[keep], truncate, type = 7)); w[keep & w > cap] <- cap }
  X <- balance_matrix(m$kept, m$covariates, m$factors)
  list(estimand = estimand, stabilize = stabilize, trim = trim, truncate = truncate,
       r_call = sprintf("w from fitted(%s): estimand %s%s%s%s", m$r_call, estimand, if (stabilize) ", stabilized" else "",
                        if (trim > 0) paste0(", keep ", trim, " <= e <= ", 1 - trim) else "",
                        if (truncate > 0) paste0(", w capped at quantile(w, ", truncate, ", type = 7)") else ""),
       weight = w, trimmed = sum(!keep), cap = cap, treated_share = p,
       ess_treated = ess(w[t == 1 & w > 0]), ess_control = ess(w[t == 0 & w > 0]),
       balance = balance(X, t, w, estimand))
}

matching_case <- function(m, ratio = 1, caliper = NULL, replace = FALSE, order = "largest") {
  args <- list(reformulate(m$covariates, "treat"), data = m$kept, method = "nearest", distance = "glm",
               ratio = ratio, replace = replace, m.order = order)
  if (!is.null(caliper)) args$caliper <- caliper
  mo <- suppressWarnings(do.call(matchit, args))
  mm <- mo$match.matrix
  sets <- lapply(seq_len(nrow(mm)), function(i) {
    controls <- mm[i, ]; controls <- controls[!is.na(controls)]
    list(treated = as.integer(rownames(mm)[i]), controls = I(as.integer(controls)))
  })
  t <- m$kept$treat
  w <- unname(mo$weights)
  X <- balance_matrix(m$kept, m$covariates, m$factors)
  list(ratio = ratio, caliper = if (is.null(caliper)) NA else caliper, replace = replace, order = order,
       r_call = sprintf("matchit(%s, method = \"nearest\", distance = \"glm\", ratio = %d%s, replace = %s, m.order = \"%s\")",
                        deparse(reformulate(m$covariates, "treat")), ratio,
                        if (is.null(caliper)) "" else paste0(", caliper = ", caliper), replace, order),
       distance = unname(mo$distance), sets = sets, weight = w,
       matched_treated = sum(w[t == 1] > 0), matched_controls = sum(w[t == 0] > 0),
       ess_treated = ess(w[t == 1 & w > 0]), ess_control = ess(w[t == 0 & w > 0]),
       balance = balance(X, t, w, "att"))
}

lalonde_covariates <- c("age", "educ", "race", "married", "nodegree", "re74", "re75")
ml <- model_case("lalonde", "ps_lalonde.csv", la, lalonde_covariates)
mp <- model_case("pbc (missing values dropped; edema as a factor, sex as text)", "ps_pbc.csv", pb,
                 c("age", "sex", "albumin", "bili", "edema", "chol", "protime"), factors = "edema")
strip <- function(m) { m$kept <- NULL; m }
cases <- list(
  c(strip(ml), list(
    weights = list(weights_case(ml, "ate"), weights_case(ml, "ate", stabilize = TRUE), weights_case(ml, "att"),
                   weights_case(ml, "att", stabilize = TRUE), weights_case(ml, "ate", trim = 0.05),
                   weights_case(ml, "ate", truncate = 0.99), weights_case(ml, "ate", stabilize = TRUE, trim = 0.1, truncate = 0.95)),
    matching = list(matching_case(ml), matching_case(ml, ratio = 2), matching_case(ml, ratio = 2, replace = TRUE, caliper = 0.1),
                    matching_case(ml, ratio = 3, caliper = 0.2), matching_case(ml, caliper = 0.01, order = "smallest"),
                    matching_case(ml, ratio = 1, replace = TRUE)))),
  c(strip(mp), list(
    weights = list(weights_case(mp, "ate"), weights_case(mp, "att", stabilize = TRUE, truncate = 0.9)),
    matching = list(matching_case(mp), matching_case(mp, ratio = 2, caliper = 0.25), matching_case(mp, order = "data", replace = TRUE, ratio = 3))))
)

# Separation: glm's warnings, which rwe must give in the same words; the coefficients follow
# the iteration path and are not compared.
separation_case <- function(name, csv, d, covariates) {
  write.csv(d, file.path(dir, csv), row.names = FALSE, quote = FALSE)
  d <- read.csv(file.path(dir, csv))
  f <- reformulate(covariates, "treat")
  warnings <- character(0)
  fit <- withCallingHandlers(glm(f, family = binomial, data = d),
                             warning = function(w) { warnings <<- c(warnings, conditionMessage(w)); invokeRestart("muffleWarning") })
  list(name = name, csv = csv, covariates = covariates, r_call = paste0("glm(", deparse(f), ", family = binomial)"),
       warnings = I(warnings), converged = fit$converged, iterations = fit$iter)
}
separation <- list(
  separation_case("complete separation by x", "ps_separation.csv",
                  data.frame(treat = c(0, 0, 0, 1, 1, 1, 0, 1, 0, 1), x = c(1, 2, 2.5, 4, 5, 6, 0.5, 3.5, 1.5, 7),
                             z = c(3, 1, 4, 1, 5, 9, 2, 6, 5, 3)), c("x", "z")),
  separation_case("quasi-complete separation: every unit with flag = 1 treated", "ps_quasi_separation.csv",
                  data.frame(treat = c(1, 1, 1, 0, 1, 0, 0, 1, 0, 0, 1, 0), flag = c(1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0),
                             age = c(50, 61, 47, 55, 58, 63, 49, 52, 66, 59, 44, 57)), c("flag", "age")))

doc <- list(generated_by = "Rscript tests/data/propensity_reference.R tests/data", r_version = R.version.string,
            matchit_version = as.character(packageVersion("MatchIt")), cases = cases, separation = separation)
cat(toJSON(doc, auto_unbox = TRUE, digits = NA, na = "null", null = "null", pretty = TRUE), "\n")
