#include "rwe/stats/quantile.hpp"

#include <cmath>
#include <limits>

namespace rwe::stats {

double quantile_sorted(std::span<const double> sorted, double p, QuantileType type) {
    const std::size_t n = sorted.size();
    if (n == 0 || !(p >= 0 && p <= 1)) return std::numeric_limits<double>::quiet_NaN();
    // Guard against p·n landing a hair below an integer through rounding (R uses the same
    // 4·DBL_EPSILON fuzz).
    constexpr double fuzz = 4 * std::numeric_limits<double>::epsilon();
    const auto at = [&](long index) {  // 1-based order statistic, clamped to 1..n
        if (index < 1) index = 1;
        if (index > static_cast<long>(n)) index = static_cast<long>(n);
        return sorted[static_cast<std::size_t>(index - 1)];
    };
    const auto interpolate = [&](long j, double h) {
        const double a = at(j);
        const double b = at(j + 1);
        if (h <= 0 || a == b) return a;
        if (h >= 1) return b;
        return (1 - h) * a + h * b;
    };
    const double size = static_cast<double>(n);
    switch (type) {
        case QuantileType::type7: {
            // h = (n − 1)p + 1; Q = x_⌊h⌋ + (h − ⌊h⌋)(x_⌊h⌋+1 − x_⌊h⌋)
            const double index = 1 + (size - 1) * p;
            const double low = std::floor(index);
            return interpolate(static_cast<long>(low), index - low);
        }
        case QuantileType::type6: {
            // h = (n + 1)p; Q = x_⌊h⌋ + (h − ⌊h⌋)(x_⌊h⌋+1 − x_⌊h⌋), ends clamped
            const double position = p * (size + 1);
            const double j = std::floor(position + fuzz);
            double h = position - j;
            if (std::abs(h) < fuzz) h = 0;
            return interpolate(static_cast<long>(j), h);
        }
        case QuantileType::type2: {
            // Inverse of the empirical distribution, averaging at discontinuities:
            // np integer -> (x_np + x_np+1)/2, else x_⌈np⌉.
            const double position = size * p;
            const double j = std::floor(position + fuzz);
            const double h = position > j ? 1.0 : 0.5;
            return interpolate(static_cast<long>(j), h);
        }
    }
    return std::numeric_limits<double>::quiet_NaN();
}

}  // namespace rwe::stats
