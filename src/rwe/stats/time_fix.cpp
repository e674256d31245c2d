#include "rwe/stats/time_fix.hpp"

#include <algorithm>

namespace rwe::stats {

std::size_t merge_near_equal_times(std::vector<std::span<double>> columns, double tolerance) {
    if (!(tolerance > 0)) return 0;
    std::vector<double> distinct;
    for (auto column : columns) {
        for (double t : column) {
            if (std::isfinite(t)) distinct.push_back(t);
        }
    }
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    if (distinct.size() < 2) return 0;

    double mean_abs = 0;
    for (double t : distinct) mean_abs += std::fabs(t);
    mean_abs /= static_cast<double>(distinct.size());

    // cuts: the first time of each tied run.
    std::vector<double> cuts{distinct.front()};
    bool any_tied = false;
    for (std::size_t k = 1; k < distinct.size(); ++k) {
        const double gap = distinct[k] - distinct[k - 1];
        const bool tied = gap <= tolerance || gap / mean_abs <= tolerance;
        if (tied) {
            any_tied = true;
        } else {
            cuts.push_back(distinct[k]);
        }
    }
    if (!any_tied) return 0;

    std::size_t changed = 0;
    for (auto column : columns) {
        for (double& t : column) {
            if (!std::isfinite(t)) continue;
            // the last cut <= t
            auto it = std::upper_bound(cuts.begin(), cuts.end(), t);
            const double merged = *(it - 1);
            if (merged != t) {
                t = merged;
                ++changed;
            }
        }
    }
    return changed;
}

}  // namespace rwe::stats
