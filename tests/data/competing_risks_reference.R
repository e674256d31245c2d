# Produces the competing-risks reference data and values (docs/methods.md §7):
#   tests/data/cr_mgus2.csv, cr_pbc.csv, cr_ties.csv   the analysed data
#   tests/data/competing_risks_reference.json           R's values on them
#
# usage: Rscript tests/data/competing_risks_reference.R tests/data > tests/data/competing_risks_reference.json
#
# Every analysis is run on the CSV as read back from disk. Values:
# - Aalen–Johansen cumulative incidence: survival::survfit(Surv(time, factor(status)) ~ group)
#   (its defaults: infinitesimal-jackknife std.err, conf.type = "log"), every row of the
#   curve and summary(fit, times = ...);
# - Gray's test: cmprsk::cuminc(time, status, group, strata, rho)$Tests;
# - Fine–Gray regression: survival::finegray(Surv(time, factor(status)) ~ ., etype = cause) then
#   coxph(Surv(fgstart, fgstop, fgstatus) ~ covariates, weights = fgwt, ties =) (R's variance of
#   that call: robust by row), and with + cluster(id) (robust by subject), on complete cases;
# - Fine–Gray regression as cmprsk::crr(ftime, fstatus, cov1, failcode, cencode = 0) fits it
#   (Breslow, its censoring weights and Fine & Gray's variance; na.omit);
# Numbers are written with the shortest of 15, 16 or 17 significant digits that reads back
# as the same double.
suppressMessages({library(survival); library(cmprsk)})
args <- commandArgs(trailingOnly = TRUE)
dir <- if (length(args)) args[1] else "tests/data"

num <- function(x) {
  vapply(x, function(v) if (is.na(v)) "null" else if (is.infinite(v)) (if (v > 0) "\"Inf\"" else "\"-Inf\"") else {
    for (digits in 15:17) { s <- sprintf(paste0("%.", digits, "g"), v); if (as.numeric(s) == v) break }
    s }, "")
}
arr <- function(x) paste0("[", paste(num(x), collapse = ", "), "]")
str <- function(x) paste0("\"", gsub("\"", "\\\\\"", x), "\"")
strs <- function(x) paste0("[", paste(str(x), collapse = ", "), "]")
obj <- function(...) {
  v <- list(...)
  paste0("{", paste(paste0(str(names(v)), ": ", unlist(v)), collapse = ", "), "}")
}

write_data <- function(d, name) {
  path <- file.path(dir, name)
  out <- d
  for (col in names(out)) if (is.numeric(out[[col]])) out[[col]] <- ifelse(is.na(out[[col]]), NA, num(out[[col]]))
  write.csv(out, path, row.names = FALSE, quote = FALSE, na = "")
  back <- read.csv(path)
  for (col in names(d)) if (is.numeric(d[[col]]) && (!identical(is.na(back[[col]]), is.na(d[[col]])) ||
                                                       any(as.numeric(back[[col]]) != as.numeric(d[[col]]), na.rm = TRUE)))
    stop("CSV round trip changed ", name, "$", col)
  back
}

# One case: the curves by `group` (or overall), summary at `times`, Gray's test.
run_case <- function(name, csv, d, time, status, group = NULL, strata = NULL, rho = 0, times = numeric(0)) {
  used <- c(time, status, group, strata)
  kept <- d[complete.cases(d[, used]), ]
  tt <- kept[[time]]; ss <- kept[[status]]
  causes <- sort(unique(ss[ss != 0]))
  fs <- factor(ss, levels = c(0, causes))
  f <- if (is.null(group)) survfit(Surv(tt, fs) ~ 1) else survfit(Surv(tt, fs) ~ kept[[group]])
  sizes <- if (is.null(f$strata)) length(f$time) else unname(f$strata)
  ends <- cumsum(sizes); begins <- ends - sizes + 1
  glevels <- if (is.null(group)) "" else as.character(sort(unique(kept[[group]])))
  curves <- character(0)
  for (g in seq_along(sizes)) {
    rows <- begins[g]:ends[g]
    per_cause <- character(0)
    for (k in seq_along(causes)) {
      state <- k + 1
      at <- ""
      if (length(times)) {
        sm <- summary(f, times = times, extend = TRUE)
        r <- if (is.null(sm$strata)) seq_along(sm$time) else which(as.integer(sm$strata) == g)
        at <- paste0(", \"at_times\": ", obj(time = arr(sm$time[r]), n_risk = arr(sm$n.risk[r, 1]), incidence = arr(sm$pstate[r, state]),
                                             std_err = arr(sm$std.err[r, state]), lower = arr(sm$lower[r, state]), upper = arr(sm$upper[r, state])))
      }
      per_cause <- c(per_cause, paste0("{\"cause\": ", str(as.character(causes[k])),
        ", \"n_event\": ", arr(f$n.event[rows, state]), ",\n           \"incidence\": ", arr(f$pstate[rows, state]),
        ",\n           \"std_err\": ", arr(f$std.err[rows, state]), ",\n           \"lower\": ", arr(f$lower[rows, state]),
        ",\n           \"upper\": ", arr(f$upper[rows, state]), at, "}"))
    }
    curves <- c(curves, paste0("      {\"name\": ", str(glevels[g]), ", \"n\": ", f$n[g],
      ",\n         \"time\": ", arr(f$time[rows]), ",\n         \"n_risk\": ", arr(f$n.risk[rows, 1]),
      ",\n         \"n_censor\": ", arr(f$n.censor[rows]),
      ",\n         \"event_free\": ", arr(f$pstate[rows, 1]), ",\n         \"event_free_std_err\": ", arr(f$std.err[rows, 1]),
      ",\n         \"causes\": [\n          ", paste(per_cause, collapse = ",\n          "), "]}"))
  }
  gray <- "null"
  gray_call <- ""
  if (!is.null(group)) {
    ci <- if (is.null(strata)) cuminc(tt, ss, kept[[group]], rho = rho) else cuminc(tt, ss, kept[[group]], kept[[strata]], rho = rho)
    tests <- ci$Tests
    gray <- obj(cause = strs(rownames(tests)), statistic = arr(tests[, "stat"]), p = arr(tests[, "pv"]), df = arr(tests[, "df"]))
    gray_call <- sprintf("; cmprsk::cuminc(%s, %s, %s%s, rho = %g)$Tests", time, status, group,
                         if (is.null(strata)) "" else paste0(", strata = ", strata), rho)
  }
  call <- sprintf("survfit(Surv(%s, factor(%s)) ~ %s)%s%s", time, status, if (is.null(group)) "1" else group,
                  if (length(times)) sprintf("; summary(fit, times = c(%s), extend = TRUE)", paste(times, collapse = ", ")) else "",
                  gray_call)
  paste0("    {\"name\": ", str(name), ", \"csv\": ", str(csv), ", \"time\": ", str(time), ", \"status\": ", str(status),
         ", \"group\": ", if (is.null(group)) "null" else str(group), ", \"strata\": ", if (is.null(strata)) "null" else str(strata),
         ", \"rho\": ", num(rho), ", \"times\": ", arr(times),
         ",\n     \"r_call\": ", str(call), ",\n     \"dropped\": ", nrow(d) - nrow(kept), ", \"causes\": ", strs(as.character(causes)),
         ",\n     \"curves\": [\n", paste(curves, collapse = ",\n"), "],\n     \"gray\": ", gray, "}")
}

# mgus2: progression to a plasma-cell malignancy (1) with death before it as the competing
# event (2) (survival's compete vignette).
m <- mgus2
mg <- data.frame(id = m$id, age = m$age, sex = as.character(m$sex),
                 etime = ifelse(m$pstat == 0, m$futime, m$ptime),
                 event = ifelse(m$pstat == 0, 2 * m$death, 1),
                 agegrp = ifelse(m$age >= 70, "older", "younger"), mspike = m$mspike, male = as.numeric(m$sex == "M"))
mg <- write_data(mg, "cr_mgus2.csv")
# pbc: transplant (1) with death (2) as the competing event; trt missing for 106 patients.
pb <- data.frame(id = pbc$id, time = pbc$time, status = pbc$status, trt = pbc$trt, edema = pbc$edema,
                 sex = as.character(pbc$sex), age = pbc$age, bili = pbc$bili, albumin = pbc$albumin)
pb <- write_data(pb, "cr_pbc.csv")
# Heavy ties: integer times 1..12, three causes, three groups, two strata.
set.seed(20261128)
n <- 150
ti <- data.frame(time = sample(1:12, n, TRUE), status = sample(0:3, n, TRUE, prob = c(0.3, 0.3, 0.25, 0.15)),
                 arm = sample(c("a", "b", "c"), n, TRUE), site = sample(c("x", "y"), n, TRUE), x = round(rnorm(n), 2))
ti$id <- seq_len(n)
ti$armb <- as.numeric(ti$arm == "b")
ti <- write_data(ti, "cr_ties.csv")

cases <- c(
  run_case("mgus2 overall", "cr_mgus2.csv", mg, "etime", "event", times = c(60, 120, 240, 360, 1000)),
  run_case("mgus2 by sex", "cr_mgus2.csv", mg, "etime", "event", "sex", times = c(0, 60, 120, 240)),
  run_case("mgus2 by sex, strata age group", "cr_mgus2.csv", mg, "etime", "event", "sex", "agegrp"),
  run_case("mgus2 by age group, rho 1", "cr_mgus2.csv", mg, "etime", "event", "agegrp", rho = 1),
  run_case("pbc by trt (missing trt dropped)", "cr_pbc.csv", pb, "time", "status", "trt", times = c(1000, 2000, 4000)),
  run_case("pbc by edema", "cr_pbc.csv", pb, "time", "status", "edema"),
  run_case("pbc by edema, strata sex, rho 0.5", "cr_pbc.csv", pb, "time", "status", "edema", "sex", rho = 0.5),
  run_case("ties by arm", "cr_ties.csv", ti, "time", "status", "arm", times = c(0.5, 3, 6.5, 12, 20)),
  run_case("ties by arm, strata site", "cr_ties.csv", ti, "time", "status", "arm", "site"),
  run_case("ties overall", "cr_ties.csv", ti, "time", "status")
)
# Fine–Gray regression of `cause` on numeric covariates (complete cases).
fine_gray_case <- function(name, csv, d, time, status, cause, covariates, ties = "efron", cluster = FALSE) {
  kept <- d[complete.cases(d[, c(time, status, covariates)]), ]
  causes <- sort(unique(kept[[status]][kept[[status]] != 0]))
  df <- data.frame(tt = kept[[time]], ev = factor(kept[[status]], levels = c(0, causes)), id = seq_len(nrow(kept)))
  for (v in covariates) df[[v]] <- kept[[v]]
  fg <- finegray(Surv(tt, ev) ~ ., data = df, etype = as.character(cause))
  rhs <- paste(covariates, collapse = " + ")
  if (cluster) rhs <- paste(rhs, "+ cluster(id)")
  fit <- coxph(as.formula(paste("Surv(fgstart, fgstop, fgstatus) ~", rhs)), weights = fgwt, data = fg, ties = ties)
  sm <- summary(fit)$coefficients
  naive <- if (is.null(fit$naive.var)) fit$var else fit$naive.var
  call <- sprintf("fg <- finegray(Surv(%s, factor(%s)) ~ ., data, etype = \"%s\"); coxph(Surv(fgstart, fgstop, fgstatus) ~ %s, weights = fgwt, data = fg, ties = \"%s\")",
                  time, status, cause, rhs, ties)
  paste0("    {\"name\": ", str(name), ", \"csv\": ", str(csv), ", \"time\": ", str(time), ", \"status\": ", str(status),
         ", \"cause\": ", str(as.character(cause)), ", \"covariates\": ", strs(covariates), ", \"ties\": ", str(ties),
         ", \"cluster\": ", if (cluster) "true" else "false", ",\n     \"r_call\": ", str(call),
         ",\n     \"n\": ", nrow(kept), ", \"expanded_rows\": ", nrow(fg), ", \"events\": ", fit$nevent,
         ", \"loglik\": ", arr(fit$loglik),
         ",\n     \"coef\": ", arr(unname(fit$coefficients)), ", \"se\": ", arr(unname(sqrt(diag(fit$var)))),
         ", \"naive_se\": ", arr(unname(sqrt(diag(naive)))), ", \"p\": ", arr(unname(sm[, ncol(sm)])), "}")
}

fine_gray <- c(
  fine_gray_case("mgus2 progression ~ age + male", "cr_mgus2.csv", mg, "etime", "event", 1, c("age", "male")),
  fine_gray_case("mgus2 death ~ age + male + mspike, Breslow", "cr_mgus2.csv", mg, "etime", "event", 2, c("age", "male", "mspike"), ties = "breslow"),
  fine_gray_case("mgus2 progression ~ age + male, cluster(id)", "cr_mgus2.csv", mg, "etime", "event", 1, c("age", "male"), cluster = TRUE),
  fine_gray_case("pbc transplant ~ age + bili + albumin", "cr_pbc.csv", pb, "time", "status", 1, c("age", "bili", "albumin")),
  fine_gray_case("pbc death ~ age + bili + edema, cluster(id)", "cr_pbc.csv", pb, "time", "status", 2, c("age", "bili", "edema"), cluster = TRUE),
  fine_gray_case("ties cause 2 ~ x + armb", "cr_ties.csv", ti, "time", "status", 2, c("x", "armb")),
  fine_gray_case("ties cause 3 ~ x, Breslow, cluster(id)", "cr_ties.csv", ti, "time", "status", 3, c("x"), ties = "breslow", cluster = TRUE)
)

crr_case <- function(name, csv, d, time, status, cause, covariates) {
  cov <- as.matrix(d[, covariates, drop = FALSE])
  invisible(capture.output(fit <- crr(d[[time]], d[[status]], cov, failcode = cause, cencode = 0)))  # it prints the rows omitted
  if (!fit$converged) stop("crr did not converge: ", name)
  se <- sqrt(diag(fit$var))
  call <- sprintf("crr(%s, %s, cbind(%s), failcode = %s, cencode = 0)", time, status, paste(covariates, collapse = ", "), cause)
  paste0("    {\"name\": ", str(name), ", \"csv\": ", str(csv), ", \"time\": ", str(time), ", \"status\": ", str(status),
         ", \"cause\": ", str(as.character(cause)), ", \"covariates\": ", strs(covariates), ",\n     \"r_call\": ", str(call),
         ",\n     \"n\": ", fit$n, ", \"dropped\": ", fit$n.missing, ", \"loglik\": ", arr(c(fit$loglik.null, fit$loglik)),
         ",\n     \"coef\": ", arr(unname(fit$coef)), ", \"se\": ", arr(unname(se)),
         ", \"p\": ", arr(unname(2 * pnorm(-abs(fit$coef / se)))), "}")
}

crr_cases <- c(
  crr_case("crr mgus2 progression ~ age + male", "cr_mgus2.csv", mg, "etime", "event", 1, c("age", "male")),
  crr_case("crr mgus2 death ~ age + male + mspike (mspike missing: dropped)", "cr_mgus2.csv", mg, "etime", "event", 2, c("age", "male", "mspike")),
  crr_case("crr pbc death ~ age + bili + edema", "cr_pbc.csv", pb, "time", "status", 2, c("age", "bili", "edema")),
  crr_case("crr pbc transplant ~ age + albumin", "cr_pbc.csv", pb, "time", "status", 1, c("age", "albumin")),
  crr_case("crr ties cause 2 ~ x + armb", "cr_ties.csv", ti, "time", "status", 2, c("x", "armb")),
  crr_case("crr ties cause 3 ~ x", "cr_ties.csv", ti, "time", "status", 3, c("x"))
)

cat("{\n  \"generated_by\": \"Rscript tests/data/competing_risks_reference.R tests/data\",\n",
    "  \"r_version\": ", str(R.version.string), ", \"survival_version\": ", str(as.character(packageVersion("survival"))),
    ", \"cmprsk_version\": ", str(as.character(packageVersion("cmprsk"))), ",\n",
    "  \"cases\": [\n", paste(cases, collapse = ",\n"), "\n  ],\n",
    "  \"fine_gray\": [\n", paste(fine_gray, collapse = ",\n"), "\n  ],\n",
    "  \"crr\": [\n", paste(crr_cases, collapse = ",\n"), "\n  ]\n}\n", sep = "")
