# Checks the cuminc analyses of results.json against R, from the analysis datasets rwe
# wrote beside it (adtte.csv: one row per patient and endpoint, EVNTDESC names the event;
# adsl.csv: the groups): survival::survfit(Surv(AVAL, factor(cause)) ~ group) for every row
# of every curve and summary(fit, times), cmprsk::cuminc(AVAL, cause, group, strata, rho)
# for Gray's test, cmprsk::crr(AVAL, cause, covariates, failcode = 1) for the Fine–Gray model
# (text covariates as 0/1 contrasts against their first level, N for Y/N flags), and
# coxph(Surv(AVAL, cause == k) ~ covariates) per cause (cause-specific hazards). Closed form:
# 1e-9 (relative to max(1, |R|)); crr: 1e-6.
#   Rscript check.R OUT_DIR   (exit 0: all agree; 1: a difference, printed)
suppressMessages({library(survival); library(cmprsk); library(jsonlite)})
out <- commandArgs(trailingOnly = TRUE)[1]
results <- fromJSON(file.path(out, "results.json"), simplifyVector = FALSE)
adtte <- read.csv(file.path(out, "adtte.csv"), stringsAsFactors = FALSE)
adsl <- read.csv(file.path(out, "adsl.csv"), stringsAsFactors = FALSE, na.strings = "")
bad <- 0; compared <- 0
num <- function(x) vapply(x, function(v) if (is.null(v)) NA_real_ else as.numeric(v), 0)
check <- function(label, ours, theirs, tolerance = 1e-9) {
  ours <- num(ours)
  if (length(ours) != length(theirs)) { cat(label, ": length", length(ours), "vs R", length(theirs), "\n"); bad <<- bad + 1; return() }
  same <- (is.na(ours) & is.na(theirs)) | (!is.na(ours) & !is.na(theirs) & abs(ours - theirs) <= tolerance * pmax(1, abs(theirs)))
  compared <<- compared + length(ours)
  if (!all(same)) { i <- which(!same)[1]; cat(label, "[", i, "]: rwe", ours[i], "R", theirs[i], "\n"); bad <<- bad + 1 }
}
# The description of each library event in EVNTDESC (docs/protocols.md).
event_text <- c(progression = "progression", death = "death", next_line = "next line", index_line_end = "end of index line",
                metastasis = "metastasis")
for (a in results$analyses) {
  if (a$kind != "cuminc") next
  r <- a$result
  d <- adtte[adtte$PARAMCD == r$endpoint, ]
  causes <- unlist(r$causes)
  text <- ifelse(causes %in% names(event_text), event_text[causes], causes)
  d$cause <- ifelse(d$CNSR == 1, 0, match(d$EVNTDESC, text))
  if (any(is.na(d$cause))) stop("an event of ", r$endpoint, " is neither the event nor competing")
  by <- if (is.null(r$by)) NULL else r$by
  strata <- if (is.null(r$strata)) NULL else r$strata
  covariates <- if (is.null(r$fine_gray)) character(0) else unlist(r$fine_gray$covariates)
  d <- merge(d, adsl[, unique(c("USUBJID", by, strata, covariates)), drop = FALSE], by = "USUBJID")
  if (!is.null(by)) d <- d[!is.na(d[[by]]), ]
  if (!is.null(strata)) d <- d[!is.na(d[[strata]]), ]
  fs <- factor(d$cause, levels = 0:length(causes))
  f <- if (is.null(by)) survfit(Surv(AVAL, fs) ~ 1, data = d) else survfit(Surv(AVAL, fs) ~ d[[by]], data = d)
  sizes <- if (is.null(f$strata)) length(f$time) else unname(f$strata)
  ends <- cumsum(sizes); begins <- ends - sizes + 1
  times <- vapply(r$curves[[1]]$causes[[1]]$at_times, function(x) x$time, 0)
  sm <- if (length(times)) summary(f, times = times, extend = TRUE) else NULL
  for (g in seq_along(r$curves)) {
    rows <- begins[g]:ends[g]
    for (k in seq_along(causes)) {
      cv <- r$curves[[g]]$causes[[k]]$curve$rows
      col <- function(j) vapply(cv, function(x) if (is.null(x[[j]])) NA_real_ else as.numeric(x[[j]]), 0)
      label <- paste(a$id, r$curves[[g]]$name, causes[k])
      check(paste(label, "time"), col(1), f$time[rows])
      check(paste(label, "n_risk"), col(2), f$n.risk[rows, 1])
      check(paste(label, "n_event"), col(3), f$n.event[rows, k + 1])
      check(paste(label, "incidence"), col(5), f$pstate[rows, k + 1])
      check(paste(label, "std_err"), col(6), f$std.err[rows, k + 1])
      check(paste(label, "lower"), col(7), f$lower[rows, k + 1])
      check(paste(label, "upper"), col(8), f$upper[rows, k + 1])
      if (length(times)) {
        at <- r$curves[[g]]$causes[[k]]$at_times
        s <- if (is.null(sm$strata)) seq_along(sm$time) else which(as.integer(sm$strata) == g)
        check(paste(label, "at incidence"), lapply(at, `[[`, "incidence"), sm$pstate[s, k + 1])
        check(paste(label, "at lower"), lapply(at, `[[`, "lower"), sm$lower[s, k + 1])
        check(paste(label, "at upper"), lapply(at, `[[`, "upper"), sm$upper[s, k + 1])
        check(paste(label, "at n_risk"), lapply(at, `[[`, "n_risk"), sm$n.risk[s, 1])
      }
    }
  }
  if (!is.null(by)) {
    rho <- if (is.null(a$result$gray_test[[1]]$rho)) 0 else a$result$gray_test[[1]]$rho
    ci <- if (is.null(strata)) cuminc(d$AVAL, d$cause, d[[by]], rho = rho) else cuminc(d$AVAL, d$cause, d[[by]], d[[strata]], rho = rho)
    tests <- ci$Tests
    for (k in seq_along(causes)) {
      gt <- r$gray_test[[k]]
      check(paste(a$id, "Gray", causes[k], "chisq"), list(gt$chisq), tests[as.character(k), "stat"])
      check(paste(a$id, "Gray", causes[k], "p"), list(gt$p), tests[as.character(k), "pv"])
    }
  }
  if (length(covariates)) {
    cov <- sapply(covariates, function(v) if (is.numeric(d[[v]])) d[[v]] else as.numeric(d[[v]] == "Y"))
    invisible(capture.output(fit <- crr(d$AVAL, d$cause, cov, failcode = 1, cencode = 0)))
    co <- r$fine_gray$coefficients
    se <- sqrt(diag(fit$var))
    check(paste(a$id, "crr coef"), lapply(co, `[[`, "coef"), unname(fit$coef), 1e-6)
    check(paste(a$id, "crr se"), lapply(co, `[[`, "se"), unname(se), 1e-6)
    check(paste(a$id, "crr p"), lapply(co, `[[`, "p"), unname(2 * pnorm(-abs(fit$coef / se))), 1e-6)
    # Cause-specific Cox models: coxph(Surv(AVAL, cause == k) ~ covariates, ties = the
    # protocol's). A coefficient rwe marks not estimable must be one R warns may be infinite.
    for (k in seq_along(causes)) {
      m <- r$cause_specific[[k]]
      warned <- character(0)
      fit <- withCallingHandlers(coxph(Surv(d$AVAL, d$cause == k) ~ cov, ties = m$ties),
                                 warning = function(w) { warned <<- c(warned, conditionMessage(w)); invokeRestart("muffleWarning") })
      s <- summary(fit)$coefficients
      label <- paste(a$id, "cause-specific", causes[k])
      check(paste(label, "n and events"), list(m$n, m$events), c(fit$n, fit$nevent), 0)
      ne <- vapply(m$coefficients, function(c) !is.null(c$not_estimable), TRUE)
      if (any(ne)) {
        infinite <- grepl("may be infinite", paste(warned, collapse = " "))
        compared <<- compared + sum(ne)
        if (!infinite) { cat(label, ": rwe says not estimable, R gives no warning\n"); bad <<- bad + 1 }
      }
      keep <- which(!ne)
      check(paste(label, "coef"), lapply(m$coefficients[keep], `[[`, "coef"), unname(s[keep, 1]), 1e-6)
      check(paste(label, "se"), lapply(m$coefficients[keep], `[[`, "se"), unname(s[keep, 3]), 1e-6)
      check(paste(label, "p"), lapply(m$coefficients[keep], `[[`, "p"), unname(s[keep, 5]), 1e-6)
    }
  }
}
cat(compared, "values compared with R,", bad, "differ\n")
if (bad > 0 || compared == 0) quit(status = 1)
