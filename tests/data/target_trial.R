# Reference for the target trial emulation (docs/methods.md §8.7; tests/target_trial_test.cpp):
# cloning, artificial censoring at deviation, a pooled logistic censoring model, inverse
# probability of censoring weights, weighted Kaplan–Meier on (start, stop] rows and a
# weighted Cox model with a robust variance clustered by patient, on target_trial.csv.
# Run: Rscript target_trial.R  (writes target_trial_reference.json)
suppressPackageStartupMessages(library(survival))

csv <- read.csv("target_trial.csv", colClasses = c(ecog = "character", days = "character"))
csv$ecog <- factor(csv$ecog, levels = c("0", "1", "2"))

emulate <- function(csv, k, d, L, stabilize, truncate, times, tau) {
  J <- ceiling(d / L)
  kth <- sapply(strsplit(csv$days, ";"), function(s) {
    v <- sort(as.numeric(s))
    if (length(v) >= k) v[k] else Inf
  })
  reached <- kth <= d & kth < csv$time
  # person-intervals of the grace period
  pi <- do.call(rbind, lapply(seq_len(nrow(csv)), function(i) {
    if (csv$time[i] <= 0) return(NULL)
    last <- if (reached[i]) max(0, ceiling(kth[i] / L) - 1) else min(ceiling(csv$time[i] / L) - 1, J - 1)
    j <- 0:last
    data.frame(id = csv$id[i], s = j * L, y = as.numeric(reached[i] & j == last),
               age = csv$age[i], ecog = csv$ecog[i])
  }))
  pi$s2 <- pi$s^2
  den <- glm(y ~ s + s2 + age + ecog, family = binomial, data = pi)
  num <- glm(y ~ s + s2, family = binomial, data = pi)
  grid <- data.frame(s = (0:(J - 1)) * L)
  grid$s2 <- grid$s^2
  rows <- list()
  for (i in seq_len(nrow(csv))) {
    g <- cbind(grid, age = csv$age[i], ecog = csv$ecog[i])
    stay <- cumprod(1 - predict(den, newdata = g, type = "response"))
    stay_num <- if (stabilize) cumprod(1 - predict(num, newdata = g, type = "response")) else rep(1, J)
    for (arm in c("A", "B")) {
      end <- csv$time[i]
      deviated <- FALSE
      if (arm == "A" && !(kth[i] <= d) && csv$time[i] > d) { end <- d; deviated <- TRUE }
      if (arm == "B" && reached[i]) { end <- kth[i]; deviated <- TRUE }
      ev <- !deviated && csv$status[i] == 1
      starts <- grid$s[grid$s < end]
      if (length(starts)) {
        stops <- pmin(starts + L, d, end)
        w <- if (arm == "B") stay_num[seq_along(starts)] / stay[seq_along(starts)] else rep(1, length(starts))
        rows[[length(rows) + 1]] <- data.frame(id = csv$id[i], arm = arm, start = starts, stop = stops,
                                               event = as.numeric(ev & stops == end), w = w, dev = deviated)
      }
      if (end > d) {
        w <- if (arm == "B") stay_num[J] / stay[J] else (if (stabilize) 1 - stay_num[J] else 1) / (1 - stay[J])
        rows[[length(rows) + 1]] <- data.frame(id = csv$id[i], arm = arm, start = d, stop = end,
                                               event = as.numeric(ev), w = w, dev = deviated)
      }
    }
  }
  rows <- do.call(rbind, rows)
  cap <- Inf
  if (truncate > 0) {
    cap <- unname(quantile(rows$w, truncate, type = 7))
    rows$w <- pmin(rows$w, cap)
  }
  rows$arm <- factor(rows$arm, levels = c("B", "A"))
  fit <- survfit(Surv(start, stop, event) ~ arm, data = rows, weights = w, id = id, robust = TRUE)
  cox <- coxph(Surv(start, stop, event) ~ arm + cluster(id), data = rows, weights = w)
  arm_summary <- function(a) {
    f <- fit[paste0("arm=", a)]
    st <- summary(f, times = times, extend = FALSE)
    clones <- unique(rows[rows$arm == a, c("id", "dev", "event")])
    list(clones = length(unique(rows$id[rows$arm == a])),
         events = sum(rows$event[rows$arm == a]),
         weight_sum = sum(rows$w[rows$arm == a]), weight_max = max(rows$w[rows$arm == a]),
         time = f$time, surv = f$surv, std_err = f$std.err, n_risk = f$n.risk, n_event = f$n.event,
         median = unname(summary(f)$table["median"]),
         times_surv = st$surv,
         rmst = if (tau > 0) unname(summary(f, rmean = tau)$table["rmean"]) else NA)
  }
  A <- arm_summary("A"); B <- arm_summary("B")
  A$censored_deviation <- sum(!(kth <= d) & csv$time > d)
  B$censored_deviation <- sum(reached)
  s <- summary(cox)
  list(k = k, d = d, L = L, stabilize = stabilize, truncate = truncate, times = times, tau = tau,
       model_rows = nrow(pi), coef = unname(coef(den)), coef_se = unname(sqrt(diag(vcov(den)))),
       numerator_coef = unname(coef(num)), cap = if (is.finite(cap)) cap else "Inf",
       rows = nrow(rows), A = A, B = B,
       surv_difference = A$times_surv - B$times_surv, rmst_difference = A$rmst - B$rmst,
       log_hr = unname(coef(cox)), robust_se = unname(s$coefficients[, "robust se"]),
       hr_lower = unname(s$conf.int[, "lower .95"]), hr_upper = unname(s$conf.int[, "upper .95"]),
       hr_p = unname(s$coefficients[, "Pr(>|z|)"]))
}

cases <- list(
  plain = emulate(csv, 6, 130, 21, FALSE, 0, c(180, 365, 730), 730),
  stabilized_truncated = emulate(csv, 6, 130, 21, TRUE, 0.95, c(180, 365, 730), 730),
  four_by_90 = emulate(csv, 4, 90, 30, FALSE, 0, c(365), 1000))
cases$r_call <- "emulate(csv, k, d, L, stabilize, truncate, times, tau) in tests/data/target_trial.R"
cases$r_version <- R.version.string
jsonlite_ok <- requireNamespace("jsonlite", quietly = TRUE)
if (!jsonlite_ok) stop("jsonlite is needed")
writeLines(jsonlite::toJSON(cases, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"),
           "target_trial_reference.json")
