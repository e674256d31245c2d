// Propensity-score weights (docs/methods.md §8.2).
#include "rwe/stats/propensity_weights.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "rwe/stats/quantile.hpp"

namespace rwe::stats {

PropensityWeights propensity_weights(const std::vector<double>& treated, const std::vector<double>& ps,
                                     const PropensityWeightOptions& options) {
    const std::size_t n = ps.size();
    PropensityWeights out;
    out.weight.assign(n, 0.0);
    out.trimmed.assign(n, false);
    out.cap = std::numeric_limits<double>::quiet_NaN();
    std::size_t kept = 0, kept_treated = 0;
    for (std::size_t unit = 0; unit < n; ++unit) {
        if (options.trim > 0 && (ps[unit] < options.trim || ps[unit] > 1 - options.trim)) {
            out.trimmed[unit] = true;
            ++out.n_trimmed;
            continue;
        }
        ++kept;
        if (treated[unit] == 1) ++kept_treated;
    }
    const double share = kept ? static_cast<double>(kept_treated) / static_cast<double>(kept) : 0;
    out.treated_share = share;
    for (std::size_t unit = 0; unit < n; ++unit) {
        if (out.trimmed[unit]) continue;
        const double e = ps[unit];
        const bool is_treated = treated[unit] == 1;
        double w = 0;
        if (options.estimand == Estimand::ate) {
            // 1/e for the treated, 1/(1 - e) for controls; stabilized: P(A = a) in the numerator.
            w = is_treated ? 1 / e : 1 / (1 - e);
            if (options.stabilize) w *= is_treated ? share : 1 - share;
        } else {
            // ATT: the treated as they are, controls reweighted by the odds e/(1 - e); stabilized:
            // controls also by (1 - p)/p, so that their weights sum to about their number.
            w = is_treated ? 1 : e / (1 - e);
            if (options.stabilize && !is_treated) w *= (1 - share) / share;
        }
        out.weight[unit] = w;
    }
    if (options.truncate > 0) {
        std::vector<double> sorted;
        sorted.reserve(kept);
        for (std::size_t unit = 0; unit < n; ++unit) {
            if (!out.trimmed[unit]) sorted.push_back(out.weight[unit]);
        }
        std::sort(sorted.begin(), sorted.end());
        out.cap = quantile_sorted(sorted, options.truncate, QuantileType::type7);
        for (std::size_t unit = 0; unit < n; ++unit) {
            if (!out.trimmed[unit] && out.weight[unit] > out.cap) {
                out.weight[unit] = out.cap;
                ++out.n_truncated;
            }
        }
    }
    return out;
}

double effective_sample_size(const std::vector<double>& weight, const std::vector<double>& treated, double group) {
    double sum = 0, sum_squares = 0;
    for (std::size_t unit = 0; unit < weight.size(); ++unit) {
        if (treated[unit] != group || !(weight[unit] > 0)) continue;
        sum += weight[unit];
        sum_squares += weight[unit] * weight[unit];
    }
    return sum_squares > 0 ? sum * sum / sum_squares : 0;
}

WeightSummary summarize_weights(const std::vector<double>& weight, const std::vector<double>& treated, double group) {
    WeightSummary out;
    double low = INFINITY, high = -INFINITY;
    for (std::size_t unit = 0; unit < weight.size(); ++unit) {
        if (treated[unit] != group) continue;
        ++out.n;
        if (!(weight[unit] > 0)) continue;
        ++out.n_weighted;
        out.sum += weight[unit];
        low = std::min(low, weight[unit]);
        high = std::max(high, weight[unit]);
    }
    out.min = out.n_weighted ? low : NAN;
    out.max = out.n_weighted ? high : NAN;
    out.ess = effective_sample_size(weight, treated, group);
    return out;
}

}  // namespace rwe::stats
