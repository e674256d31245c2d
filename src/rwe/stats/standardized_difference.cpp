#include "rwe/stats/standardized_difference.hpp"

#include <Eigen/Dense>

#include <cmath>
#include <limits>

namespace rwe::stats {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

struct MeanVariance {
    double n = 0, mean = 0, variance = nan;
};

MeanVariance mean_variance(const std::vector<double>& x) {
    MeanVariance out;
    double sum = 0;
    for (double v : x) {
        if (std::isnan(v)) continue;
        out.n += 1;
        sum += v;
    }
    if (out.n == 0) return out;
    out.mean = sum / out.n;
    if (out.n < 2) return out;
    double squares = 0;
    for (double v : x) {
        if (!std::isnan(v)) squares += (v - out.mean) * (v - out.mean);
    }
    out.variance = squares / (out.n - 1);
    return out;
}

}  // namespace

double standardized_difference_numeric(const std::vector<double>& x1, const std::vector<double>& x2) {
    const MeanVariance a = mean_variance(x1), b = mean_variance(x2);
    if (a.n == 0 || b.n == 0 || std::isnan(a.variance) || std::isnan(b.variance)) return nan;
    const double difference = std::fabs(a.mean - b.mean);
    const double denominator = std::sqrt((a.variance + b.variance) / 2);
    if (denominator == 0) return difference == 0 ? 0.0 : nan;
    return difference / denominator;
}

double standardized_difference_categorical(const std::vector<double>& counts1, const std::vector<double>& counts2) {
    double n1 = 0, n2 = 0;
    for (double c : counts1) n1 += c;
    for (double c : counts2) n2 += c;
    if (n1 == 0 || n2 == 0 || counts1.size() != counts2.size()) return nan;
    // Levels someone has; the first of them is the one left out.
    std::vector<double> p1, p2;
    for (std::size_t l = 0; l < counts1.size(); ++l) {
        if (counts1[l] + counts2[l] == 0) continue;
        p1.push_back(counts1[l] / n1);
        p2.push_back(counts2[l] / n2);
    }
    if (p1.size() < 2) return 0.0;  // one level: both groups the same
    const auto k = static_cast<Eigen::Index>(p1.size() - 1);
    Eigen::VectorXd d(k);
    Eigen::MatrixXd s(k, k);
    for (Eigen::Index i = 0; i < k; ++i) {
        d(i) = p1[i + 1] - p2[i + 1];
        for (Eigen::Index j = 0; j < k; ++j) {
            const double a = (i == j ? p1[i + 1] : 0.0) - p1[i + 1] * p1[j + 1];
            const double b = (i == j ? p2[i + 1] : 0.0) - p2[i + 1] * p2[j + 1];
            s(i, j) = (a + b) / 2;
        }
    }
    const Eigen::LDLT<Eigen::MatrixXd> solver(s);
    if (solver.info() != Eigen::Success || !(solver.vectorD().array() > 1e-15).all()) {
        return d.isZero(0) ? 0.0 : nan;
    }
    return std::sqrt(std::max(0.0, d.dot(solver.solve(d))));
}

}  // namespace rwe::stats
