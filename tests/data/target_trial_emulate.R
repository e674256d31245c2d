# The target trial emulation in base R and survival (docs/methods.md §8.7), step by step:
# cloning, artificial censoring at deviation, a pooled logistic censoring model, inverse
# probability of censoring weights, weighted Kaplan–Meier on (start, stop] rows and a
# weighted Cox model with a robust variance clustered by patient.
# csv: one row per patient with id, time, status (1 = event), days (the administration days,
# ";"-separated, "" for none) and the covariates named in `covariates` (factors as factors).
# Sourced by target_trial.R (tests/target_trial_test.cpp's reference) and by
# tests/target_trial_study.py (the kind in a protocol run).
suppressPackageStartupMessages(library(survival))

emulate <- function(csv, k, d, L, stabilize, truncate, times, tau, covariates = c("age", "ecog")) {
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
    cbind(data.frame(id = csv$id[i], s = j * L, y = as.numeric(reached[i] & j == last)),
          csv[rep(i, length(j)), covariates, drop = FALSE], row.names = NULL)
  }))
  pi$s2 <- pi$s^2
  den <- glm(reformulate(c("s", "s2", covariates), "y"), family = binomial, data = pi)
  num <- glm(y ~ s + s2, family = binomial, data = pi)
  grid <- data.frame(s = (0:(J - 1)) * L)
  grid$s2 <- grid$s^2
  rows <- list()
  for (i in seq_len(nrow(csv))) {
    g <- cbind(grid, csv[rep(i, J), covariates, drop = FALSE], row.names = NULL)
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

# Percentile bootstrap (docs/methods.md §8.7 step 7) over the resamples in `resamples`
# (a matrix, row b the 1-based patient numbers of resample b, as rwe drew them): each
# resample is emulated again with its patients renumbered (a patient drawn twice is two
# patients); the 95% limits are quantile(type = 7) of the finite replicates.
emulate_bootstrap <- function(csv, resamples, k, d, L, stabilize, truncate, times, tau, covariates = c("age", "ecog")) {
  reps <- lapply(seq_len(nrow(resamples)), function(b) {
    s <- csv[resamples[b, ], , drop = FALSE]
    s$id <- seq_len(nrow(s))
    e <- tryCatch(suppressWarnings(emulate(s, k, d, L, stabilize, truncate, times, tau, covariates)),
                  error = function(err) NULL)
    if (is.null(e) || !is.finite(e$log_hr)) return(NULL)
    list(log_hr = e$log_hr, surv_difference = e$surv_difference, rmst_difference = e$rmst_difference)
  })
  ok <- Filter(Negate(is.null), reps)
  limits <- function(v) { v <- v[is.finite(v)]; unname(quantile(v, c(0.025, 0.975), type = 7)) }
  log_hr <- limits(sapply(ok, `[[`, "log_hr"))
  rmst <- limits(sapply(ok, `[[`, "rmst_difference"))
  sd <- sapply(seq_along(times), function(t) limits(sapply(ok, function(r) r$surv_difference[t])))
  list(resamples = nrow(resamples), failed = nrow(resamples) - length(ok),
       hr_lower = exp(log_hr[1]), hr_upper = exp(log_hr[2]),
       surv_difference_lower = sd[1, ], surv_difference_upper = sd[2, ],
       rmst_difference_lower = rmst[1], rmst_difference_upper = rmst[2])
}
