#pragma once
// Kaplan–Meier estimate of the survival function with Greenwood standard errors, the
// Nelson–Aalen cumulative hazard and pointwise confidence limits (docs/methods.md §1.3–1.4).
// Matches R survival's survfit() table: one row per distinct time of the curve, censor-only
// times included; events precede censorings at a tied time.

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "rwe/stats/confidence_band.hpp"
#include "rwe/stats/survival_counts.hpp"
#include "rwe/stats/survival_data.hpp"

namespace rwe::stats {

// The variance of the curve: Greenwood's formula (the model-based variance), or the
// infinitesimal jackknife (robust) variance summed within clusters (docs/methods.md §1.5).
// r_default chooses as R's survfit does for right-censored data: robust when there are
// clusters or non-integer case weights, Greenwood otherwise.
enum class KmVariance { r_default, greenwood, robust };

struct KaplanMeierOptions {
    ConfType conf_type = ConfType::log;  // R's default; SAS PROC LIFETEST uses log-log
    double conf_level = 0.95;
    bool reverse = false;  // reverse KM: censoring is the event (median follow-up)
    KmVariance variance = KmVariance::r_default;
};

struct KaplanMeierCurve {
    std::string name;   // group (and stratum) label; empty for a single curve
    std::size_t n = 0;  // rows in the curve
    double events = 0;  // weighted events (censorings when reverse)
    std::vector<double> time;
    std::vector<double> n_risk;
    std::vector<double> n_event;
    std::vector<double> n_censor;
    std::vector<double> surv;
    // SE of -log S (R's survfit std.err when logse, as for Greenwood); Inf once S = 0.
    std::vector<double> std_err;
    std::vector<double> std_err_surv;  // SE of S = surv * std_err (0 once S = 0 under the robust variance)
    std::vector<double> cumhaz;        // Nelson–Aalen
    std::vector<double> std_chaz;
    std::vector<double> lower;  // pointwise limits; NaN where R gives NA
    std::vector<double> upper;

    std::size_t rows() const noexcept { return time.size(); }
};

struct KaplanMeier {
    std::vector<KaplanMeierCurve> curves;  // one per group (x stratum) with rows, ascending codes
    ConfType conf_type = ConfType::log;
    double conf_level = 0.95;
    double z = 0;  // Phi^-1(1 - (1 - conf_level)/2)
    bool reverse = false;
    bool robust = false;  // the standard errors are the infinitesimal jackknife's
    std::vector<std::string> messages;  // diagnostics (e.g. non-integer case weights)
};

// One curve per group present in the data; with strata as well, one per (stratum, group)
// pair that has rows, named "stratum, group".
KaplanMeier kaplan_meier(const SurvivalData& data, const KaplanMeierOptions& options = {});

// The curves of tabulated counts (unweighted rows, e.g. counted by a database): cell =
// stratum * groups + group as kaplan_meier numbers them, groups = group_names.size() (one
// unnamed group when empty), strata = stratum_names.size() (one when empty). The same
// curves as kaplan_meier gives for the rows counted; the variance is Greenwood's (options'
// variance must not ask for the robust one, which needs the rows).
KaplanMeier kaplan_meier(const SurvivalCounts& counts, const std::vector<std::string>& group_names,
                         const std::vector<std::string>& stratum_names, const KaplanMeierOptions& options = {});

// Kernel: the curve of one cell of tabulated counts. z as in KaplanMeier. With (start,
// stop] data, `entries` holds the cell's (start time, weight) pairs in ascending order: a
// row is at risk at t when start < t <= stop.
KaplanMeierCurve kaplan_meier_curve(const SurvivalCounts& counts, std::size_t cell, ConfType conf_type, double z,
                                    const std::vector<std::pair<double, double>>& entries = {});

}  // namespace rwe::stats
