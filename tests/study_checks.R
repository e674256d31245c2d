# What the R halves of the Python study tests share (prepended to their scripts by
# study_checks.r_script): the ADSL/ADTTE of a run as a data frame, a balance column, and
# survfit's curves and coxph's hazard ratio as lists for toJSON.
suppressPackageStartupMessages({library(survival); library(jsonlite)})

# One endpoint's records of adtte.csv joined to adsl.csv: AVAL, ev (1 = event) and every
# ADSL column as text.
endpoint_rows <- function(adsl_csv, adtte_csv, paramcd) {
  a <- read.csv(adsl_csv, colClasses = "character", na.strings = "")
  t <- read.csv(adtte_csv, colClasses = "character", na.strings = "")
  t <- t[t$PARAMCD == paramcd, c("USUBJID", "AVAL", "CNSR")]
  d <- merge(t, a, by = "USUBJID")
  d$AVAL <- as.numeric(d$AVAL); d$ev <- 1 - as.numeric(d$CNSR)
  d
}

# A column of the balance table: a numeric variable as it is, "VAR_level" as a 0/1 indicator.
balance_column <- function(d, name) {
  if (name %in% names(d)) return(d[[name]])
  cut <- regexpr("_", name)
  v <- substr(name, 1, cut - 1); level <- substr(name, cut + 1, nchar(name))
  as.numeric(as.character(d[[v]]) == level)
}

# Per stratum of a survfit of ~ treat (0, 1): the curve, the median with its limits, and
# the patients and events among the rows of d where `used` holds.
km_curves <- function(fit, d, used = rep(TRUE, nrow(d))) {
  r <- list(); k <- c(0, cumsum(fit$strata)); tab <- summary(fit)$table
  for (g in seq_along(fit$strata)) {
    rows <- (k[g] + 1):k[g + 1]
    r[[g]] <- list(time = fit$time[rows], surv = fit$surv[rows], lower = fit$lower[rows], upper = fit$upper[rows],
                   median = unname(tab[g, "median"]), median_lower = unname(tab[g, "0.95LCL"]),
                   median_upper = unname(tab[g, "0.95UCL"]), n = sum(d$treat == g - 1 & used),
                   events = sum(d$ev[d$treat == g - 1 & used]))
  }
  r
}

# The first coefficient of a coxph fit: HR, limits, SEs (model-based and robust), p, n, events.
cox_hr <- function(fit) {
  s <- summary(fit)$coefficients; ci <- summary(fit)$conf.int
  list(hr = unname(ci[1, 1]), lower = unname(ci[1, 3]), upper = unname(ci[1, 4]), se = unname(s[1, "se(coef)"]),
       robust_se = if ("robust se" %in% colnames(s)) unname(s[1, "robust se"]) else NA,
       p = unname(s[1, ncol(s)]), n = fit$n, events = fit$nevent)
}
