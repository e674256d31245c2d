#include "rwe/stats/confidence_band.hpp"

#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <limits>
#include <numbers>

namespace rwe::stats {

namespace {

constexpr double na = std::numeric_limits<double>::quiet_NaN();

// R's pmax/pmin: NA in, NA out (std::max would depend on the argument order).
double r_max(double a, double b) {
    return (std::isnan(a) || std::isnan(b)) ? na : std::max(a, b);
}
double r_min(double a, double b) {
    return (std::isnan(a) || std::isnan(b)) ? na : std::min(a, b);
}

}  // namespace

std::optional<ConfType> conf_type_from_name(std::string_view name) {
    if (name == "log") return ConfType::log;
    if (name == "log-log") return ConfType::log_log;
    if (name == "plain") return ConfType::plain;
    if (name == "logit") return ConfType::logit;
    if (name == "arcsin") return ConfType::arcsin;
    return std::nullopt;
}

std::string conf_type_name(ConfType type) {
    switch (type) {
        case ConfType::log:
            return "log";
        case ConfType::log_log:
            return "log-log";
        case ConfType::plain:
            return "plain";
        case ConfType::logit:
            return "logit";
        case ConfType::arcsin:
            return "arcsin";
    }
    return "log";
}

double normal_quantile_two_sided(double level) {
    const boost::math::normal standard;
    return boost::math::quantile(boost::math::complement(standard, (1.0 - level) / 2.0));
}

Interval survival_interval(double s, double se, ConfType type, double z) {
    // Formulas follow R survival's survfit confidence limits term by term, so that the
    // bands (and the median limits read off them) agree to the last bits.
    switch (type) {
        case ConfType::plain: {
            const double half = se * s * z;
            return {r_max(s - half, 0.0), r_min(s + half, 1.0)};
        }
        case ConfType::log: {
            if (s == 0) return {na, na};
            const double half = z * se;
            return {std::exp(std::log(s) - half), r_min(std::exp(std::log(s) + half), 1.0)};
        }
        case ConfType::log_log: {
            if (s == 0 || s == 1) return {na, na};
            const double half = z * se / std::log(s);
            const double centre = std::log(-std::log(s));
            return {std::exp(-std::exp(centre - half)), std::exp(-std::exp(centre + half))};
        }
        case ConfType::logit: {
            if (s == 0) return {na, na};
            const double half = z * se * (1 + s / (1 - s));
            const double centre = std::log(s / (1 - s));
            return {1 - 1 / (1 + std::exp(centre - half)), 1 - 1 / (1 + std::exp(centre + half))};
        }
        case ConfType::arcsin: {
            if (s == 0) return {na, na};
            const double half = 0.5 * z * se * std::sqrt(s / (1 - s));
            const double centre = std::asin(std::sqrt(s));
            const double lo = std::sin(r_max(0.0, centre - half));
            const double hi = std::sin(r_min(std::numbers::pi / 2, centre + half));
            return {lo * lo, hi * hi};
        }
    }
    return {na, na};
}

}  // namespace rwe::stats
