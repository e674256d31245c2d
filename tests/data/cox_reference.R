# Reference values for tests/cox_corner_test.cpp, from R survival (R 4.2, survival 3.5-3).
# Run from tests/data:  Rscript cox_reference.R > cox_reference.json
# Each case records the R call that produced it.
suppressMessages(library(survival))
num <- function(x) ifelse(is.na(x), "null", ifelse(is.infinite(x), ifelse(x > 0, "\"Inf\"", "\"-Inf\""), sprintf("%.17g", x)))
arr <- function(x) paste0("[", paste(num(x), collapse = ", "), "]")
str <- function(x) paste0("\"", gsub("\"", "\\\\\"", x), "\"")
cases <- character()
add_case <- function(name, call, fit, args, data = NULL, zph = NULL, extra = "") {
  w <- NULL
  s <- summary(fit)
  conc <- fit$concordance
  fields <- c(
    paste0("\"name\": ", str(name)),
    paste0("\"r_call\": ", str(call)),
    paste0("\"args\": [", paste(str(args), collapse = ", "), "]"),
    paste0("\"names\": [", paste(str(names(coef(fit))), collapse = ", "), "]"),
    paste0("\"coef\": ", arr(unname(coef(fit)))),
    paste0("\"se\": ", arr(unname(sqrt(diag(fit$var)))[seq_along(coef(fit))])),
    paste0("\"loglik\": ", arr(fit$loglik)),
    paste0("\"score\": ", num(fit$score)),
    paste0("\"wald\": ", num(fit$wald.test)),
    paste0("\"lr\": ", num(2 * diff(fit$loglik))),
    paste0("\"iterations\": ", fit$iter),
    paste0("\"n\": ", fit$n), paste0("\"events\": ", fit$nevent),
    paste0("\"concordance\": ", arr(unname(conc[c("concordance", "std")]))),
    # summary(fit): z, p and the HR interval (from the robust SE in a robust fit)
    paste0("\"z\": ", arr(unname(s$coefficients[, "z"]))),
    paste0("\"p\": ", arr(unname(s$coefficients[, "Pr(>|z|)"]))),
    paste0("\"lower\": ", arr(unname(s$conf.int[, "lower .95"]))),
    paste0("\"upper\": ", arr(unname(s$conf.int[, "upper .95"]))))
  if (!is.null(fit$rscore)) fields <- c(fields, paste0("\"robust_score\": ", num(fit$rscore)))
  if (!is.null(fit$naive.var)) fields <- c(fields, paste0("\"robust_se\": ", arr(unname(sqrt(diag(fit$var))))),
                                                paste0("\"se_naive\": ", arr(unname(sqrt(diag(fit$naive.var))))))
  if (!is.null(zph)) fields <- c(fields, paste0("\"zph\": ", arr(unname(zph$table[, "chisq"]))))
  if (!is.null(data)) fields <- c(fields, paste0("\"data\": {", paste(sprintf("\"%s\": %s", names(data), sapply(data, arr)), collapse = ", "), "}"))
  if (nzchar(extra)) fields <- c(fields, extra)
  cases <<- c(cases, paste0("{", paste(fields, collapse = ",\n  "), "}"))
}
small <- read.csv("cox_small.csv")
robust <- read.csv("cox_robust.csv")
counting <- read.csv("cox_counting.csv")

fit <- coxph(Surv(time, status) ~ x1 + x2 + strata(site), data = small, weights = w)
add_case("weights_strata", "coxph(Surv(time, status) ~ x1 + x2 + strata(site), data = small, weights = w); cox.zph(fit)",
         fit, c("--covariates", "x1,x2", "--strata", "site", "--weights", "w", "--zph"), zph = cox.zph(fit))
fit <- coxph(Surv(time, status) ~ x1 + x2, data = small, cluster = family, ties = "breslow")
add_case("cluster_breslow", "coxph(Surv(time, status) ~ x1 + x2, data = small, cluster = family, ties = 'breslow')",
         fit, c("--covariates", "x1,x2", "--cluster", "family", "--ties", "breslow"))
fit <- coxph(Surv(time, status) ~ x1 + factor(arm, levels = c("b", "a", "c")), data = small)
add_case("factor_ref_b", "coxph(Surv(time, status) ~ x1 + factor(arm, levels = c('b','a','c')), data = small); cox.zph(fit)",
         fit, c("--covariates", "x1,arm", "--factor", "arm:b", "--zph"), zph = cox.zph(fit))
fit <- coxph(Surv(start, stop, status) ~ x1 + z, data = counting, cluster = id)
add_case("counting_efron", "coxph(Surv(start, stop, status) ~ x1 + z, data = counting, cluster = id); cox.zph(fit)",
         fit, c("--start", "start", "--time", "stop", "--covariates", "x1,z", "--cluster", "id", "--zph"), zph = cox.zph(fit))
fit <- coxph(Surv(start, stop, status) ~ x1 + z, data = counting, ties = "breslow")
add_case("counting_breslow", "coxph(Surv(start, stop, status) ~ x1 + z, data = counting, ties = 'breslow')",
         fit, c("--start", "start", "--time", "stop", "--covariates", "x1,z", "--ties", "breslow"))

# Robust variance (cox_robust.csv): z, p, the HR interval and the Wald test use the robust SE.
fit <- coxph(Surv(time, status) ~ x + cluster(id), data = robust)
add_case("robust_cluster", "coxph(Surv(time, status) ~ x + cluster(id), data = robust); summary(fit); fit$rscore",
         fit, c("--covariates", "x", "--cluster", "id"), extra = "\"csv\": \"cox_robust.csv\"")
fit <- coxph(Surv(time, status) ~ x, data = robust, robust = TRUE)
add_case("robust_flag", "coxph(Surv(time, status) ~ x, data = robust, robust = TRUE); summary(fit); fit$rscore",
         fit, c("--covariates", "x", "--robust"), extra = "\"csv\": \"cox_robust.csv\"")
fit <- coxph(Surv(time, status) ~ x, data = robust, weights = w)
add_case("robust_weights", "coxph(Surv(time, status) ~ x, data = robust, weights = w)  # non-integer weights: robust; summary(fit); fit$rscore",
         fit, c("--covariates", "x", "--weights", "w"), extra = "\"csv\": \"cox_robust.csv\"")

# cox.zph with the log transform of times near 1e6: the centred log times are ~1e-7 apart.
zlog <- read.csv("cox_zph_log.csv")
fit <- coxph(Surv(time, status) ~ x, data = zlog)
add_case("zph_log_near_1e6", "coxph(Surv(time, status) ~ x, data = zlog); cox.zph(fit, transform = 'log')",
         fit, c("--covariates", "x", "--zph", "--zph-transform", "log"), zph = cox.zph(fit, transform = "log"),
         extra = "\"csv\": \"cox_zph_log.csv\"")
# x constant within each stratum: zero information, NA (Breslow, where rounding used to leave 1e-17).
zinfo <- read.csv("cox_zero_info.csv")
fit <- coxph(Surv(time, status) ~ x + z + strata(s), data = zinfo, ties = "breslow")
add_case("zero_information", "coxph(Surv(time, status) ~ x + z + strata(s), data = zinfo, ties = 'breslow')  # x: NA",
         fit, c("--covariates", "x,z", "--strata", "s", "--ties", "breslow"), extra = "\"csv\": \"cox_zero_info.csv\"")
# Status coded 1/2 and a text covariate: a factor, first level (combo) the reference; the
# level 'other' occurs only in a row dropped for a missing x, so it has no column.
textf <- read.csv("cox_text_factor.csv")
fit <- coxph(Surv(time, status) ~ x + arm, data = textf)
add_case("text_factor_status_12", "coxph(Surv(time, status) ~ x + arm, data = textf)  # status 1/2; arm text",
         fit, c("--covariates", "x,arm"), extra = "\"csv\": \"cox_text_factor.csv\"")

# Inline data sets (corner cases); the test builds them directly.
d <- data.frame(time = c(5, 8, 2, 9, 4, 7, 3, 6), status = c(1, 0, 1, 1, 0, 1, 1, 0),
                x = c(0.5, -1, 2, 0, 1.5, -0.5, 1, 0.2), k = rep(3, 8))
fit <- coxph(Surv(time, status) ~ x + k, data = d)
add_case("constant_covariate", "coxph(Surv(time, status) ~ x + k, data = d)  # k constant: NA", fit, character(), data = d)
d2 <- data.frame(time = c(5, 8, 2, 9, 4, 7, 3, 6), status = c(1, 0, 1, 1, 0, 1, 1, 0),
                 x = c(0.5, -1, 2, 0, 1.5, -0.5, 1, 0.2), v = c(1, 0, 1, 1, 0, 0, 1, 0))
d2$xv <- d2$x + 2 * d2$v
fit <- coxph(Surv(time, status) ~ x + v + xv, data = d2)
add_case("collinear", "coxph(Surv(time, status) ~ x + v + xv, data = d2)  # xv = x + 2 v: NA", fit, character(), data = d2)
d3 <- data.frame(time = c(1, 2, 3, 4, 5, 6, 7, 8), status = c(1, 1, 1, 1, 0, 0, 1, 0),
                 g = c(1, 1, 1, 1, 0, 0, 0, 0), x = c(0.3, -0.2, 0.1, 0.5, -0.4, 0.2, 0.0, 0.6))
fit <- suppressWarnings(coxph(Surv(time, status) ~ g + x, data = d3))
add_case("separation_not_converged", "coxph(Surv(time, status) ~ g + x, data = d3)  # warns: ran out of iterations", fit, character(), data = d3)
d6 <- d3[, c("time", "status", "g")]
fit <- suppressWarnings(coxph(Surv(time, status) ~ g, data = d6))
add_case("separation", "coxph(Surv(time, status) ~ g, data = d6)  # warns: loglik converged before variable 1; coefficient may be infinite", fit, character(), data = d6)
d4 <- data.frame(time = c(4, 6, 3, 8, 5, 7), status = c(0, 1, 0, 0, 0, 0), x = c(1, 2, 0, 3, 1.5, 1))
fit <- coxph(Surv(time, status) ~ x, data = d4)
add_case("single_event", "coxph(Surv(time, status) ~ x, data = d4)", fit, character(), data = d4)
d5 <- data.frame(time = rep(10, 7), status = c(1, 1, 0, 1, 1, 0, 1), x = c(0.2, 1.1, -0.7, 0.4, 2.0, -1.3, 0.0))
fit <- coxph(Surv(time, status) ~ x, data = d5)
add_case("all_tied_efron", "coxph(Surv(time, status) ~ x, data = d5)", fit, character(), data = d5)
fit <- coxph(Surv(time, status) ~ x, data = d5, ties = "breslow")
add_case("all_tied_breslow", "coxph(Surv(time, status) ~ x, data = d5, ties = 'breslow')", fit, character(), data = d5,
         extra = "\"ties\": \"breslow\"")
cat("[\n", paste(cases, collapse = ",\n"), "\n]\n")
