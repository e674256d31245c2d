# Reference for the target trial emulation (docs/methods.md §8.7; tests/target_trial_test.cpp):
# cloning, artificial censoring at deviation, a pooled logistic censoring model, inverse
# probability of censoring weights, weighted Kaplan–Meier on (start, stop] rows and a
# weighted Cox model with a robust variance clustered by patient, on target_trial.csv.
# Run: Rscript target_trial.R  (writes target_trial_reference.json)
source("target_trial_emulate.R")

csv <- read.csv("target_trial.csv", colClasses = c(ecog = "character", days = "character"))
csv$ecog <- factor(csv$ecog, levels = c("0", "1", "2"))

cases <- list(
  plain = emulate(csv, 6, 130, 21, FALSE, 0, c(180, 365, 730), 730),
  stabilized_truncated = emulate(csv, 6, 130, 21, TRUE, 0.95, c(180, 365, 730), 730),
  four_by_90 = emulate(csv, 4, 90, 30, FALSE, 0, c(365), 1000))
# The bootstrap over rwe's own resamples: seed 7, 40 resamples of the 300 patients, drawn by
# tests/bootstrap_resamples.py (the generator rebuilt from docs/methods.md §8.6).
lines <- system2("python3", c("../bootstrap_resamples.py", "7", "40", nrow(csv)), stdout = TRUE)
resamples <- do.call(rbind, lapply(strsplit(lines, ","), as.integer))
cases$bootstrap <- c(list(seed = 7, k = 6, d = 130, L = 21, times = 365, tau = 730),
                     emulate_bootstrap(csv, resamples, 6, 130, 21, FALSE, 0, 365, 730))
cases$r_call <- "emulate(csv, k, d, L, stabilize, truncate, times, tau) and emulate_bootstrap() in tests/data/target_trial_emulate.R"
cases$r_version <- R.version.string
jsonlite_ok <- requireNamespace("jsonlite", quietly = TRUE)
if (!jsonlite_ok) stop("jsonlite is needed")
writeLines(jsonlite::toJSON(cases, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"),
           "target_trial_reference.json")
