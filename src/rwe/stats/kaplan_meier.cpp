#include "rwe/stats/kaplan_meier.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "rwe/common/error.hpp"

namespace rwe::stats {

KaplanMeierCurve kaplan_meier_curve(const SurvivalCounts& counts, std::size_t cell, ConfType conf_type, double z,
                                    const std::vector<std::pair<double, double>>& entries) {
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
    // (start, stop] data: rows that start at or after t_k are not yet at risk at t_k.
    if (!entries.empty()) {
        double later = 0;
        std::size_t e = entries.size();
        for (std::size_t k = rows; k-- > 0;) {
            while (e > 0 && entries[e - 1].first >= curve.time[k]) later += entries[--e].second;
            curve.n_risk[k] -= later;
        }
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

namespace {

// Sum over clusters c of (a W_c + F_c)^2, where W_c is the weight of the cluster's rows
// still at risk and F_c what its rows that left contribute. A cluster whose rows have all
// left adds a fixed F_c^2 to a plain sum. For the clusters still at risk the sum is kept as
// three running sums (of W_c^2, W_c F_c and F_c^2), so that a row leaving updates it in
// constant time; when the terms cancel to within rounding (the variance is then near 0,
// e.g. one cluster holds the whole risk set), the sum is recomputed cluster by cluster, so
// that the square root does not magnify the rounding.
class ClusterSums {
public:
    explicit ClusterSums(std::size_t clusters)
        : w_(clusters, 0.0), f_(clusters, 0.0), rows_(clusters, 0), place_(clusters, 0) {}

    // A row of cluster c with weight w enters the risk set, contributing f to F_c.
    void add_row(std::size_t c, double w, double f) {
        if (rows_[c]++ == 0) {
            // The cluster becomes active again (with (start, stop] data a cluster may leave
            // and come back): its fixed term moves back into the running sums.
            finished_ -= f_[c] * f_[c];
            ww_ += w_[c] * w_[c];
            wf_ += w_[c] * f_[c];
            ff_ += f_[c] * f_[c];
            place_[c] = active_.size();
            active_.push_back(c);
        }
        change(c, w, f);
    }
    // A row of cluster c with weight w leaves the risk set, contributing f to F_c.
    void leave(std::size_t c, double w, double f) {
        if (--rows_[c] > 0) {
            change(c, -w, f);
            return;
        }
        change(c, -w_[c], f);  // W_c is exactly 0 once its last row has left
        ww_ -= w_[c] * w_[c];
        wf_ -= w_[c] * f_[c];
        ff_ -= f_[c] * f_[c];
        finished_ += f_[c] * f_[c];
        const std::size_t last = active_.back();
        active_[place_[c]] = last;
        place_[last] = place_[c];
        active_.pop_back();
        if (active_.empty()) ww_ = wf_ = ff_ = 0;
    }
    double value(double a) const {
        const double sum = a * a * ww_ + 2 * a * wf_ + ff_;
        const double size = a * a * ww_ + std::abs(2 * a * wf_) + ff_;
        if (sum > 1e-8 * size) return finished_ + sum;
        double direct = 0;
        for (std::size_t c : active_) direct += (a * w_[c] + f_[c]) * (a * w_[c] + f_[c]);
        return finished_ + direct;
    }

private:
    void change(std::size_t c, double dw, double df) {
        ww_ -= w_[c] * w_[c];
        wf_ -= w_[c] * f_[c];
        ff_ -= f_[c] * f_[c];
        w_[c] += dw;
        f_[c] += df;
        ww_ += w_[c] * w_[c];
        wf_ += w_[c] * f_[c];
        ff_ += f_[c] * f_[c];
    }

    std::vector<double> w_, f_;
    std::vector<std::size_t> rows_;   // rows of the cluster still at risk
    std::vector<std::size_t> place_;  // position in active_
    std::vector<std::size_t> active_;  // clusters with rows at risk
    double ww_ = 0, wf_ = 0, ff_ = 0, finished_ = 0;
};

// The infinitesimal jackknife variance of S(t) and of the Nelson–Aalen H(t) at each time of
// `curve` (docs/methods.md §1.5). `rows` are the curve's rows in time order. For a row i
// with time T_i, event indicator delta_i and weight w_i, the derivative of log S(t) with
// respect to w_i is G(min(t, T_i)) - delta_i [T_i <= t] e(T_i), where
// G(t) = sum over event times t_j <= t of h_j / (Y_j (1 - h_j)), e(t_j) = 1 / (Y_j (1 - h_j)),
// h_j = d_j / Y_j (weighted events over weighted number at risk); for H the same with
// h_j / Y_j and 1 / Y_j. var S(t) = S(t)^2 sum over clusters (sum of w_i times that
// derivative)^2, as R's survfit(robust = TRUE).
void robust_variance(const SurvivalData& data, const std::vector<std::size_t>& rows, bool reverse, ConfType conf_type,
                     double z, KaplanMeierCurve& curve) {
    // With (start, stop] data a row enters the risk set at the first time after its start,
    // then its derivative is G(min(t, stop)) - G(start) - ...: it enters with F = -w G(start).
    std::vector<std::size_t> by_start;
    if (!data.start.empty()) {
        by_start.resize(rows.size());
        for (std::size_t r = 0; r < rows.size(); ++r) by_start[r] = r;
        std::stable_sort(by_start.begin(), by_start.end(),
                         [&](std::size_t a, std::size_t b) { return data.start[rows[a]] < data.start[rows[b]]; });
    }
    std::vector<std::int32_t> cluster_of(rows.size());
    std::size_t clusters = 0;
    if (data.cluster.empty()) {
        for (std::size_t r = 0; r < rows.size(); ++r) cluster_of[r] = static_cast<std::int32_t>(r);
        clusters = rows.size();
    } else {
        // The cell's clusters numbered 0.. in order of first appearance.
        std::vector<std::int32_t> number;
        for (std::size_t r = 0; r < rows.size(); ++r) {
            const auto code = static_cast<std::size_t>(data.cluster[rows[r]]);
            if (code >= number.size()) number.resize(code + 1, -1);
            if (number[code] < 0) number[code] = static_cast<std::int32_t>(clusters++);
            cluster_of[r] = number[code];
        }
    }
    ClusterSums surv_sums(clusters), hazard_sums(clusters);
    if (data.start.empty()) {
        for (std::size_t r = 0; r < rows.size(); ++r) {
            const double w = data.weighted() ? data.weight[rows[r]] : 1.0;
            surv_sums.add_row(static_cast<std::size_t>(cluster_of[r]), w, 0);
            hazard_sums.add_row(static_cast<std::size_t>(cluster_of[r]), w, 0);
        }
    }
    double g_surv = 0, g_hazard = 0;
    bool extinct = false;  // S has reached 0
    std::size_t r = 0, entered = 0;
    for (std::size_t k = 0; k < curve.rows(); ++k) {
        for (; entered < by_start.size() && data.start[rows[by_start[entered]]] < curve.time[k]; ++entered) {
            const std::size_t at = by_start[entered];
            const double w = data.weighted() ? data.weight[rows[at]] : 1.0;
            surv_sums.add_row(static_cast<std::size_t>(cluster_of[at]), w, -w * g_surv);
            hazard_sums.add_row(static_cast<std::size_t>(cluster_of[at]), w, w * g_hazard);
        }
        const double n = curve.n_risk[k];
        const double d = curve.n_event[k];
        double e_surv = 0, e_hazard = 0;
        if (d > 0) {
            const double h = d / n;
            if (h < 1 && !extinct) {
                g_surv += h / (n * (1 - h));
                e_surv = 1 / (n * (1 - h));
            } else {
                extinct = true;
            }
            g_hazard += h / n;
            e_hazard = 1 / n;
        }
        for (; r < rows.size() && data.time[rows[r]] == curve.time[k]; ++r) {
            const std::size_t row = rows[r];
            const double w = data.weighted() ? data.weight[row] : 1.0;
            const double delta = (data.event[row] == 1) != reverse ? 1.0 : 0.0;
            const auto c = static_cast<std::size_t>(cluster_of[r]);
            surv_sums.leave(c, w, w * (g_surv - delta * e_surv));
            hazard_sums.leave(c, w, w * (delta * e_hazard - g_hazard));
        }
        const double surv = curve.surv[k];
        if (extinct || surv <= 0) {
            curve.std_err_surv[k] = 0;
            curve.std_err[k] = std::numeric_limits<double>::infinity();
        } else {
            curve.std_err_surv[k] = surv * std::sqrt(surv_sums.value(g_surv));
            curve.std_err[k] = curve.std_err_surv[k] / surv;
        }
        curve.std_chaz[k] = std::sqrt(hazard_sums.value(-g_hazard));
        const Interval band = survival_interval(surv, curve.std_err[k], conf_type, z);
        curve.lower[k] = band.lower;
        curve.upper[k] = band.upper;
        // Once S is 0 its robust SE is 0, and R's plain band S -/+ z se(S) is [0, 0] (the
        // log-type bands stay undefined there, as R's NA).
        if ((extinct || surv <= 0) && conf_type == ConfType::plain) curve.lower[k] = curve.upper[k] = 0;
    }
}

}  // namespace

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

    bool fractional_weights = false;
    for (double w : data.weight) fractional_weights = fractional_weights || w != std::floor(w);
    const bool counting = !data.start.empty();
    if (counting && options.reverse) {
        throw Error(ErrorKind::usage, "a reverse Kaplan–Meier curve of (start, stop] data is not defined");
    }
    // R's survfit: with (start, stop] data non-integer weights alone do not make it robust
    // (it would need the clusters).
    result.robust = options.variance == KmVariance::robust ||
                    (options.variance == KmVariance::r_default &&
                     (!data.cluster.empty() || (fractional_weights && !counting)));
    // The rows of each cell in time order, for the robust variance.
    std::vector<std::vector<std::size_t>> cell_rows;
    // The (start, weight) pairs of each cell in ascending order, for (start, stop] data.
    std::vector<std::vector<std::pair<double, double>>> entries(counting ? cells : 0);
    for (std::size_t row = 0; counting && row < data.size(); ++row) {
        entries[cells_span.empty() ? 0 : static_cast<std::size_t>(cells_span[row])].emplace_back(
            data.start[row], data.weighted() ? data.weight[row] : 1.0);
    }
    for (auto& cell_entries : entries) std::sort(cell_entries.begin(), cell_entries.end());
    if (result.robust) {
        cell_rows.resize(cells);
        for (std::size_t row = 0; row < data.size(); ++row) {
            cell_rows[cells_span.empty() ? 0 : static_cast<std::size_t>(cells_span[row])].push_back(row);
        }
        for (auto& rows : cell_rows) {
            std::stable_sort(rows.begin(), rows.end(), [&](std::size_t a, std::size_t b) { return data.time[a] < data.time[b]; });
        }
    }

    for (std::size_t cell = 0; cell < cells; ++cell) {
        if (counts.cell_rows[cell] == 0 && cells > 1) continue;
        const std::vector<std::pair<double, double>> no_entries;
        KaplanMeierCurve curve =
            kaplan_meier_curve(counts, cell, options.conf_type, result.z, counting ? entries[cell] : no_entries);
        if (result.robust) robust_variance(data, cell_rows[cell], options.reverse, options.conf_type, result.z, curve);
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
    if (fractional_weights && !result.robust && counting) {
        result.messages.push_back(
            "non-integer case weights on (start, stop] data: standard errors use Greenwood's formula on weighted "
            "counts, as R's survfit does here; a robust variance needs --cluster (the subject of each row)");
    } else if (fractional_weights && !result.robust) {
        result.messages.push_back(
            "non-integer case weights: standard errors use Greenwood's formula on weighted counts "
            "(R's survfit(robust = FALSE)); R's default for such weights is the robust (infinitesimal "
            "jackknife) variance");
    }
    return result;
}

KaplanMeier kaplan_meier(const SurvivalCounts& counts, const std::vector<std::string>& group_names,
                         const std::vector<std::string>& stratum_names, const KaplanMeierOptions& options) {
    if (!(options.conf_level > 0 && options.conf_level < 1)) {
        throw Error(ErrorKind::usage, "confidence level must lie in (0, 1)");
    }
    if (options.variance == KmVariance::robust) {
        throw Error(ErrorKind::usage, "the robust variance of a Kaplan–Meier curve needs the rows, not their counts");
    }
    const std::size_t groups = std::max<std::size_t>(group_names.size(), 1);
    const std::size_t cells = groups * std::max<std::size_t>(stratum_names.size(), 1);
    if (counts.cells != cells) throw Error(ErrorKind::usage, "Kaplan–Meier: the counts' cells are not groups x strata");
    KaplanMeier result;
    result.conf_type = options.conf_type;
    result.conf_level = options.conf_level;
    result.z = normal_quantile_two_sided(options.conf_level);
    result.reverse = options.reverse;
    std::size_t rows = 0;
    for (std::size_t cell = 0; cell < cells; ++cell) {
        rows += counts.cell_rows[cell];
        if (counts.cell_rows[cell] == 0 && cells > 1) continue;
        KaplanMeierCurve curve = kaplan_meier_curve(counts, cell, options.conf_type, result.z);
        const std::size_t group = cell % groups;
        const std::size_t stratum = cell / groups;
        if (!group_names.empty()) curve.name = group_names[group];
        if (!stratum_names.empty()) curve.name = stratum_names[stratum] + (curve.name.empty() ? "" : ", " + curve.name);
        result.curves.push_back(std::move(curve));
    }
    if (rows == 0) result.messages.push_back("no rows: the curve is empty");
    return result;
}

}  // namespace rwe::stats
