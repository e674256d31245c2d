// Covariate balance (docs/methods.md §8.4).
#include "rwe/stats/covariate_balance.hpp"

#include <cmath>
#include <limits>

namespace rwe::stats {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

struct Moments {
    double mean = 0, variance = 0;
};

// Weighted mean and variance of covariate `k` in `group`. Binary: p(1 - p). Otherwise the
// unbiased weighted variance sum w (x - m)^2 * sum w / ((sum w)^2 - sum w^2), which is the
// sample variance (n - 1 denominator) when every weight is 1 (cobalt's col_w_sd).
Moments moments(const std::vector<double>& treated, const std::vector<double>& x, std::size_t p, std::size_t k,
                const std::vector<double>* weight, double group, bool binary) {
    double sum_w = 0, sum_w2 = 0, sum_wx = 0;
    for (std::size_t unit = 0; unit < treated.size(); ++unit) {
        if (treated[unit] != group) continue;
        const double w = weight ? (*weight)[unit] : 1.0;
        if (!(w > 0)) continue;
        sum_w += w;
        sum_w2 += w * w;
        sum_wx += w * x[unit * p + k];
    }
    Moments m;
    if (sum_w <= 0) return {nan, nan};
    m.mean = sum_wx / sum_w;
    if (binary) {
        m.variance = m.mean * (1 - m.mean);
        return m;
    }
    double squares = 0;
    for (std::size_t unit = 0; unit < treated.size(); ++unit) {
        if (treated[unit] != group) continue;
        const double w = weight ? (*weight)[unit] : 1.0;
        if (!(w > 0)) continue;
        const double d = x[unit * p + k] - m.mean;
        squares += w * d * d;
    }
    const double denominator = sum_w * sum_w - sum_w2;
    m.variance = denominator > 0 ? squares * sum_w / denominator : nan;
    return m;
}

}  // namespace

BalanceTable covariate_balance(const std::vector<double>& treated, const std::vector<double>& x,
                               const std::vector<std::string>& names, const std::vector<double>& weight,
                               Estimand estimand) {
    const std::size_t p = names.size();
    BalanceTable table;
    for (double t : treated) (t == 1 ? table.n_treated : table.n_control) += 1;
    table.ess_treated = effective_sample_size(weight, treated, 1);
    table.ess_control = effective_sample_size(weight, treated, 0);
    for (std::size_t k = 0; k < p; ++k) {
        BalanceRow row;
        row.name = names[k];
        row.binary = true;
        for (std::size_t unit = 0; unit < treated.size() && row.binary; ++unit) {
            const double v = x[unit * p + k];
            row.binary = v == 0 || v == 1;
        }
        const Moments t0 = moments(treated, x, p, k, nullptr, 1, row.binary);
        const Moments c0 = moments(treated, x, p, k, nullptr, 0, row.binary);
        const Moments t1 = moments(treated, x, p, k, &weight, 1, row.binary);
        const Moments c1 = moments(treated, x, p, k, &weight, 0, row.binary);
        // cobalt's s.d.denom defaults: "pooled" sqrt((s1^2 + s0^2)/2) for the ATE, "treated"
        // s1 for the ATT, both from the unweighted groups, before and after adjustment alike.
        row.sd_denominator = estimand == Estimand::att ? std::sqrt(t0.variance) : std::sqrt((t0.variance + c0.variance) / 2);
        row.mean_treated = t0.mean;
        row.mean_control = c0.mean;
        row.mean_treated_adjusted = t1.mean;
        row.mean_control_adjusted = c1.mean;
        const bool scale = row.sd_denominator > 0;
        row.smd = scale ? (t0.mean - c0.mean) / row.sd_denominator : nan;
        row.smd_adjusted = scale ? (t1.mean - c1.mean) / row.sd_denominator : nan;
        row.variance_ratio = row.binary ? nan : t0.variance / c0.variance;
        row.variance_ratio_adjusted = row.binary ? nan : t1.variance / c1.variance;
        table.rows.push_back(row);
    }
    return table;
}

}  // namespace rwe::stats
