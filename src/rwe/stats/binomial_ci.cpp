#include "rwe/stats/binomial_ci.hpp"

#include <boost/math/distributions/beta.hpp>
#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <limits>

#include "rwe/common/error.hpp"

namespace rwe::stats {

BinomialCi binomial_ci(double x, double n, const BinomialCiOptions& options) {
    if (!(n >= 0) || !(x >= 0) || x > n || x != std::floor(x) || n != std::floor(n) ||
        !std::isfinite(n)) {
        throw UsageError("binomial interval: need integers 0 <= x <= n (x = " + std::to_string(x) +
                         ", n = " + std::to_string(n) + ")");
    }
    if (!(options.conf_level > 0 && options.conf_level < 1)) {
        throw UsageError("binomial interval: confidence level must be in (0, 1) (" +
                         std::to_string(options.conf_level) + ")");
    }
    constexpr double not_available = std::numeric_limits<double>::quiet_NaN();
    BinomialCi result;
    result.x = x;
    result.n = n;
    result.conf_level = options.conf_level;
    result.method = options.method;
    if (n == 0) {
        result.estimate = result.lower = result.upper = not_available;
        result.messages.push_back("n = 0: the proportion is undefined");
        return result;
    }
    result.estimate = x / n;
    const double alpha = 1 - options.conf_level;
    if (options.method == BinomialCiMethod::clopper_pearson) {
        result.lower = x == 0
                           ? 0.0
                           : boost::math::quantile(
                                 boost::math::beta_distribution<double>(x, n - x + 1), alpha / 2);
        result.upper = x == n
                           ? 1.0
                           : boost::math::quantile(boost::math::complement(
                                 boost::math::beta_distribution<double>(x + 1, n - x), alpha / 2));
        return result;
    }
    const double z = boost::math::quantile(
        boost::math::complement(boost::math::normal_distribution<double>(), alpha / 2));
    const double p = result.estimate;
    const double z2n = z * z / n;
    const double centre = p + z2n / 2;
    const double half = z * std::sqrt(p * (1 - p) / n + z2n / (4 * n));
    // At x = 0 and x = n the limits are exactly 0 and 1 (R's prop.test sets them so too).
    result.lower = x == 0 ? 0.0 : std::max(0.0, (centre - half) / (1 + z2n));
    result.upper = x == n ? 1.0 : std::min(1.0, (centre + half) / (1 + z2n));
    return result;
}

}  // namespace rwe::stats
