#include "rwe/stats/kaplan_meier.hpp"

#include <cmath>
#include <limits>

#include "rwe/common/error.hpp"

namespace rwe::stats {

KaplanMeierCurve kaplan_meier_curve(const SurvivalCounts& counts, std::size_t cell,
                                    ConfType conf_type, double z) {
    KaplanMeierCurve curve;
    curve.n = counts.cell_rows[cell];
    curve.events = counts.cell_events[cell];
    const std::size_t m = counts.times();

    std::size_t rows = 0;
    for (std::size_t i = 0; i < m; ++i) rows += counts.n_rows[counts.at(i, cell)] > 0;
    curve.time.resize(rows);
    curve.n_risk.resize(rows);
    curve.n_event.resize(rows);
    curve.n_censor.resize(rows);
    std::size_t r = 0;
    for (std::size_t i = 0; i < m; ++i) {
        const std::size_t e = counts.at(i, cell);
        if (counts.n_rows[e] == 0) continue;
        curve.time[r] = counts.time[i];
        curve.n_event[r] = counts.n_event[e];
        curve.n_censor[r] = counts.n_censor[e];
        ++r;
    }
    // n_i = sum over rows at or after t_i, accumulated from the end (§1.3).
    double at_risk = 0;
    for (std::size_t k = rows; k-- > 0;) {
        at_risk += curve.n_event[k] + curve.n_censor[k];
        curve.n_risk[k] = at_risk;
    }

    curve.surv.resize(rows);
    curve.std_err.resize(rows);
    curve.std_err_surv.resize(rows);
    curve.cumhaz.resize(rows);
    curve.std_chaz.resize(rows);
    curve.lower.resize(rows);
    curve.upper.resize(rows);
    double surv = 1, greenwood = 0, hazard = 0, hazard_var = 0;
    for (std::size_t k = 0; k < rows; ++k) {
        const double n = curve.n_risk[k];
        const double d = curve.n_event[k];
        if (d > 0) {
            // S(t) = prod (1 - d_i/n_i); Greenwood sum d/(n(n - d)), Inf once n = d (§1.3).
            surv *= (n - d) / n;
            greenwood += (n > d) ? d / (n * (n - d)) : std::numeric_limits<double>::infinity();
            hazard += d / n;
            hazard_var += d / (n * n);
        }
        curve.surv[k] = surv;
        curve.std_err[k] = std::sqrt(greenwood);
        curve.std_err_surv[k] = surv * curve.std_err[k];
        curve.cumhaz[k] = hazard;
        curve.std_chaz[k] = std::sqrt(hazard_var);
        const Interval band = survival_interval(surv, curve.std_err[k], conf_type, z);
        curve.lower[k] = band.lower;
        curve.upper[k] = band.upper;
    }
    return curve;
}

KaplanMeier kaplan_meier(const SurvivalData& data, const KaplanMeierOptions& options) {
    validate_survival_data(data);
    if (!(options.conf_level > 0 && options.conf_level < 1)) {
        throw Error(ErrorKind::usage, "confidence level must lie in (0, 1)");
    }
    KaplanMeier result;
    result.conf_type = options.conf_type;
    result.conf_level = options.conf_level;
    result.z = normal_quantile_two_sided(options.conf_level);
    result.reverse = options.reverse;

    const std::size_t groups = data.group_count();
    const std::size_t strata = data.stratum_count();
    const std::size_t cells = groups * strata;
    std::vector<std::int32_t> cell_of_row;
    if (!data.stratum.empty()) {
        cell_of_row.resize(data.size());
        for (std::size_t row = 0; row < data.size(); ++row) {
            const std::int32_t group = data.group.empty() ? 0 : data.group[row];
            cell_of_row[row] = data.stratum[row] * static_cast<std::int32_t>(groups) + group;
        }
    }
    const std::span<const std::int32_t> cells_span =
        data.stratum.empty() ? std::span<const std::int32_t>(data.group)
                             : std::span<const std::int32_t>(cell_of_row);
    const SurvivalCounts counts = count_survival(data, cells_span, cells, options.reverse);

    for (std::size_t cell = 0; cell < cells; ++cell) {
        if (counts.cell_rows[cell] == 0 && cells > 1) continue;
        KaplanMeierCurve curve = kaplan_meier_curve(counts, cell, options.conf_type, result.z);
        const std::size_t group = cell % groups;
        const std::size_t stratum = cell / groups;
        if (!data.group.empty()) curve.name = data.group_names[group];
        if (!data.stratum.empty()) {
            curve.name =
                data.stratum_names[stratum] + (curve.name.empty() ? "" : ", " + curve.name);
        }
        result.curves.push_back(std::move(curve));
    }

    if (data.size() == 0) result.messages.push_back("no rows: the curve is empty");
    if (data.weighted()) {
        for (double w : data.weight) {
            if (w != std::floor(w)) {
                result.messages.push_back(
                    "non-integer case weights: standard errors use Greenwood's formula on weighted "
                    "counts (R's survfit(robust = FALSE)); R's default for such weights is the "
                    "robust (infinitesimal jackknife) variance");
                break;
            }
        }
    }
    return result;
}

}  // namespace rwe::stats
