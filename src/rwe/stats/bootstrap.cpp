#include "rwe/stats/bootstrap.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "rwe/common/random.hpp"
#include "rwe/stats/quantile.hpp"

namespace rwe::stats {

std::vector<std::size_t> bootstrap_resample(std::uint64_t seed, std::uint64_t b, std::size_t n) {
    std::vector<std::size_t> pick(n);
    if (n == 0) return pick;
    Rng rng(seed, b);
    for (auto& i : pick) i = static_cast<std::size_t>(rng.integer(0, static_cast<int>(n) - 1));
    return pick;
}

PercentileInterval percentile_interval(std::span<const double> replicates, double conf_level) {
    std::vector<double> finite;
    finite.reserve(replicates.size());
    for (const double v : replicates) {
        if (std::isfinite(v)) finite.push_back(v);
    }
    PercentileInterval out;
    out.replicates = finite.size();
    if (finite.empty()) {
        out.lower = out.upper = std::numeric_limits<double>::quiet_NaN();
        return out;
    }
    std::sort(finite.begin(), finite.end());
    const double alpha = 1 - conf_level;
    out.lower = quantile_sorted(finite, alpha / 2, QuantileType::type7);
    out.upper = quantile_sorted(finite, 1 - alpha / 2, QuantileType::type7);
    return out;
}

}  // namespace rwe::stats
