# The core of the reference study (studies/thp-first-line.toml) as an expert would write it
# in R with data.table and survival: the comparator of bench/pipeline_vs_r.sh. It reads the
# registry's CSV files, selects the cohort with its attrition, derives the variables the
# analyses below use, and fits Kaplan-Meier (OS, PFS), log-rank tests and a Cox model. The
# rules are those of docs/protocols.md; bench/compare_r_core.py checks every number it
# prints against rwe's results.json.
#
# usage: Rscript bench/r/thp_core.R REGISTRY_DIR OUT_FILE
# OUT_FILE gets one line a number: "name value".
suppressPackageStartupMessages({
  library(data.table)
  library(survival)
})
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]
out_file <- args[2]
threads <- suppressWarnings(as.integer(Sys.getenv("RWE_R_THREADS", "0")))
if (!is.na(threads) && threads > 0) setDTthreads(threads)

read <- function(name, ...) fread(file.path(dir, name), na.strings = "", ...)
day <- function(x) as.integer(as.IDate(x))
days_per_month <- 30.4375

patients <- read("patients.csv", colClasses = "character")
tumors <- read("tumors.csv", colClasses = "character")
regimens <- read("regimens.csv", colClasses = "character")
administrations <- read("administrations.csv", select = c("regimen_id", "drug", "admin_date"), colClasses = "character")
assessments <- read("assessments.csv", select = c("patient_id", "assessment_date", "response"), colClasses = "character")
metastases <- read("metastases.csv", colClasses = "character")

results <- list()
put <- function(name, value) results[[name]] <<- value

# Cohort selection, in the protocol's order.
n_registry <- nrow(patients)
regimens[, `:=`(start = day(start_date), setting = tolower(setting), code = tolower(regimen),
                line = as.integer(line))]
setorder(regimens, patient_id, start, regimen_id)
index <- regimens[setting == "palliative" & code == "thp"][, .SD[1], by = patient_id]
put("attrition.received", nrow(index))
index <- index[line %in% 1L]
put("attrition.line", nrow(index))
index <- index[, .(patient_id, index_regimen = regimen_id, index_date = start)]

# The index tumour: the latest diagnosed on or before the index date that has a metastasis
# date, else the latest diagnosed.
tumors[, `:=`(diagnosis = day(diagnosis_date), has_metastasis = !is.na(metastasis_date))]
tumor <- tumors[index, on = "patient_id", nomatch = NULL][diagnosis <= index_date]
setorder(tumor, patient_id, -has_metastasis, -diagnosis)
tumor <- tumor[, .SD[1], by = patient_id]
cohort <- tumor[, .(patient_id, stage = tolower(stage_at_diagnosis),
                    er = tolower(fcoalesce(er, "unknown")), pr = tolower(fcoalesce(pr, "unknown")),
                    her2_ihc = tolower(fcoalesce(her2_ihc, "unknown")),
                    her2_ish = as.numeric(her2_ish_ratio))][index, on = "patient_id"]
cohort[is.na(her2_ihc), `:=`(er = "unknown", pr = "unknown", her2_ihc = "unknown")]
cohort <- cohort[her2_ihc == "3+" | (her2_ihc == "2+" & !is.na(her2_ish) & her2_ish > 2)]
put("attrition.her2", nrow(cohort))
cohort <- cohort[index_date >= day("2008-08-01") & index_date <= day("2020-10-31")]
put("attrition.accrual", nrow(cohort))
put("attrition.registry", n_registry)

# Derived variables.
cohort <- patients[, .(patient_id, birth = as.IDate(birth_date), death = day(death_date),
                       last_contact = day(last_contact_date))][cohort, on = "patient_id"]
index_idate <- as.IDate(cohort$index_date)
age <- year(index_idate) - year(cohort$birth)
before_birthday <- month(index_idate) < month(cohort$birth) |
  (month(index_idate) == month(cohort$birth) & mday(index_idate) < mday(cohort$birth))
cohort[, AGE := age - before_birthday]
cohort[, HR := factor(fifelse(er == "positive" | pr == "positive", "positive",
                              fifelse(er == "negative" & pr == "negative", "negative", "unknown")),
                      levels = c("negative", "positive", "unknown"))]
cohort[, DENOVO := factor(fifelse(stage == "iv", "Y", "N"), levels = c("N", "Y"))]

visceral <- c("lung", "liver", "pleura", "peritoneum", "adrenal", "other_visceral")
sites <- metastases[tolower(site) %in% visceral, .(patient_id, detected = day(detected_date))]
sites <- sites[cohort[, .(patient_id, index_date)], on = "patient_id", nomatch = NULL][detected <= index_date + 30L]
cohort[, VISCERAL := factor(fifelse(patient_id %in% sites$patient_id, "Y", "N"), levels = c("N", "Y"))]

administrations[, drug := tolower(drug)]
prior <- regimens[setting %in% c("neoadjuvant", "adjuvant")][cohort[, .(patient_id, index_date)], on = "patient_id",
                                                                nomatch = NULL][start < index_date]
exposed <- administrations[drug %in% c("trastuzumab", "pertuzumab")][prior, on = "regimen_id", nomatch = NULL]
cohort[, PRIORHER2 := factor(fifelse(patient_id %in% exposed$patient_id, "Y", "N"), levels = c("N", "Y"))]

docetaxel <- administrations[drug == "docetaxel", .(regimen_id, admin_date)]
cycles <- unique(docetaxel[regimen_id %in% cohort$index_regimen])[, .(DOCECYC = .N), by = regimen_id]
cohort[cycles, DOCECYC := i.DOCECYC, on = c(index_regimen = "regimen_id")]
cohort[is.na(DOCECYC), DOCECYC := 0L]
cohort[, DOCE6 := factor(fifelse(DOCECYC <= 5, "<6", ">=6"), levels = c("<6", ">=6"))]

# Endpoints: OS (death), PFS (the first PD dated after the index date, or death), censored
# at last contact.
pd <- assessments[toupper(response) == "PD", .(patient_id, pd = day(assessment_date))]
pd <- pd[cohort[, .(patient_id, index_date)], on = "patient_id", nomatch = NULL][pd > index_date]
pd <- pd[, .(pd = min(pd)), by = patient_id]
cohort[pd, first_pd := i.pd, on = "patient_id"]
cohort[, follow_up_end := pmax(last_contact, index_date)]
cohort[, death_event := !is.na(death) & death >= index_date & death <= follow_up_end]
cohort[, os_date := fifelse(death_event, death, follow_up_end)]
cohort[, OS_time := (os_date - index_date) / days_per_month]
cohort[, OS_event := as.integer(death_event)]
cohort[, pd_event := !is.na(first_pd) & first_pd <= follow_up_end]
cohort[, pfs_date := fifelse(pd_event & (!death_event | first_pd <= death), first_pd,
                             fifelse(death_event, death, follow_up_end))]
cohort[, PFS_time := (pfs_date - index_date) / days_per_month]
cohort[, PFS_event := as.integer(pd_event | death_event)]

# Kaplan-Meier (plain CI, as the protocol's SPSS convention), log-rank tests, Cox.
for (endpoint in c("OS", "PFS")) {
  time <- cohort[[paste0(endpoint, "_time")]]
  event <- cohort[[paste0(endpoint, "_event")]]
  fit <- survfit(Surv(time, event) ~ 1, conf.type = "plain")
  put(paste0(endpoint, ".n"), fit$n)
  put(paste0(endpoint, ".events"), sum(fit$n.event))
  m <- quantile(fit, probs = 0.5)
  put(paste0(endpoint, ".median"), unname(m$quantile))
  put(paste0(endpoint, ".median_lower"), unname(m$lower))
  put(paste0(endpoint, ".median_upper"), unname(m$upper))
  at <- summary(fit, times = c(12, 24, 36, 60))
  for (k in seq_along(at$time)) {
    put(sprintf("%s.surv.%g", endpoint, at$time[k]), at$surv[k])
    put(sprintf("%s.lower.%g", endpoint, at$time[k]), at$lower[k])
    put(sprintf("%s.upper.%g", endpoint, at$time[k]), at$upper[k])
  }
  for (by in c("PRIORHER2", "DOCE6")) {
    test <- survdiff(Surv(time, event) ~ cohort[[by]])
    put(sprintf("%s.logrank.%s.chisq", endpoint, by), test$chisq)
  }
}
cox <- coxph(Surv(OS_time, OS_event) ~ AGE + HR + DENOVO + PRIORHER2 + VISCERAL, data = cohort, ties = "breslow")
coefficients <- summary(cox)$coefficients
for (name in rownames(coefficients)) {
  put(paste0("cox_os.coef.", name), coefficients[name, "coef"])
  put(paste0("cox_os.se.", name), coefficients[name, "se(coef)"])
}

lines <- vapply(names(results), function(name) sprintf("%s %.17g", name, results[[name]]), "")
writeLines(lines, out_file)
