// Logistic regression as R's glm.fit with family = binomial() (docs/methods.md §8.1).
#include "rwe/stats/logistic_regression.hpp"

#include <Eigen/Dense>
#include <boost/math/distributions/normal.hpp>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "rwe/stats/confidence_band.hpp"

namespace rwe::stats {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// R's binomial()$linkinv and $mu.eta (C code of the logit link): eta is clamped at +/-30
// so that mu stays strictly inside (0, 1).
double logit_inverse(double eta) {
    constexpr double threshold = 30;
    const double e = eta < -threshold ? DBL_EPSILON : (eta > threshold ? 1 / DBL_EPSILON : std::exp(eta));
    return e / (1 + e);
}

double logit_derivative(double eta) {
    constexpr double threshold = 30;
    if (eta > threshold || eta < -threshold) return DBL_EPSILON;
    const double e = std::exp(eta);
    return e / ((1 + e) * (1 + e));
}

// Unit deviance of a 0/1 response: -2 log mu (y = 1), -2 log(1 - mu) (y = 0).
double deviance_of(const std::vector<double>& y, const std::vector<double>& mu, const std::vector<double>& prior) {
    double sum = 0;
    for (std::size_t row = 0; row < y.size(); ++row) sum += prior[row] * (-2 * std::log(y[row] > 0.5 ? mu[row] : 1 - mu[row]));
    return sum;
}

// Columns that are linear combinations of earlier ones, as R's QR (LINPACK dqrdc2,
// tol = 1e-11) finds them: a column whose part orthogonal to the kept columns before it has
// a norm below tol times its own norm is aliased. Modified Gram–Schmidt, twice for accuracy.
std::vector<bool> aliased_columns(const Eigen::MatrixXd& design, double tol = 1e-11) {
    const Eigen::Index p = design.cols();
    std::vector<bool> aliased(static_cast<std::size_t>(p), false);
    std::vector<Eigen::VectorXd> basis;
    for (Eigen::Index column = 0; column < p; ++column) {
        Eigen::VectorXd v = design.col(column);
        const double norm = v.norm();
        for (int pass = 0; pass < 2; ++pass) {
            for (const auto& q : basis) v -= q.dot(v) * q;
        }
        const double rest = v.norm();
        if (norm == 0 || rest < tol * norm) {
            aliased[static_cast<std::size_t>(column)] = true;
            continue;
        }
        basis.push_back(v / rest);
    }
    return aliased;
}

// Rows with the same outcome and covariates (bit for bit) are one pattern: the pattern of
// each row, the first row of each pattern and its count. Gives up (returns false) once the
// patterns reach half the rows, or are over three quarters of the first 4,096: collapsing
// would not pay.
bool collapse_patterns(const std::vector<double>& y, const std::vector<double>& x, std::size_t covariates,
                       std::vector<std::uint32_t>& pattern_of, std::vector<std::size_t>& first_row, std::vector<double>& count) {
    const std::size_t n = y.size();
    const std::size_t limit = n / 2;
    if (n < 64 || n > std::numeric_limits<std::uint32_t>::max()) return false;
    std::size_t slots = 64;
    while (slots < 2 * limit + 2) slots *= 2;
    std::vector<std::uint32_t> table(slots, std::numeric_limits<std::uint32_t>::max());
    auto key = [&](std::size_t row, std::size_t k) -> std::uint64_t {  // word k: y, then the covariates
        const double value = k == 0 ? y[row] : x[row * covariates + k - 1];
        std::uint64_t bits;
        std::memcpy(&bits, &value, sizeof bits);
        return bits;
    };
    pattern_of.resize(n);
    constexpr std::size_t probe = 4096;  // rows after which mostly distinct rows give up early
    for (std::size_t row = 0; row < n; ++row) {
        if (row == probe && first_row.size() * 4 > probe * 3) return false;
        std::uint64_t hash = 0x9E3779B97F4A7C15ULL;
        for (std::size_t k = 0; k <= covariates; ++k) {
            hash ^= key(row, k) + 0x9E3779B97F4A7C15ULL + (hash << 6) + (hash >> 2);
            hash *= 0xBF58476D1CE4E5B9ULL;
            hash ^= hash >> 31;
        }
        std::size_t slot = static_cast<std::size_t>(hash) & (slots - 1);
        for (;; slot = (slot + 1) & (slots - 1)) {
            const std::uint32_t found = table[slot];
            if (found == std::numeric_limits<std::uint32_t>::max()) {
                if (first_row.size() >= limit) return false;
                table[slot] = static_cast<std::uint32_t>(first_row.size());
                pattern_of[row] = table[slot];
                first_row.push_back(row);
                count.push_back(1);
                break;
            }
            bool same = true;
            for (std::size_t k = 0; k <= covariates && same; ++k) same = key(row, k) == key(first_row[found], k);
            if (same) {
                pattern_of[row] = found;
                count[found] += 1;
                break;
            }
        }
    }
    return true;
}

}  // namespace

LogisticRegression logistic_regression(const std::vector<double>& y, const std::vector<double>& x,
                                       const std::vector<std::string>& names, const LogisticOptions& options) {
    const std::size_t n = y.size();
    const std::size_t covariates = names.size();
    const std::size_t p = covariates + 1;
    LogisticRegression fit;
    fit.n = n;
    fit.names.push_back("(Intercept)");
    fit.names.insert(fit.names.end(), names.begin(), names.end());

    // Identical rows (same outcome, same covariates) contribute identical terms to every
    // sum of the fit: when there are few distinct ones (categorical covariates, person-
    // intervals of a pooled model), each is fitted once with its count as a prior weight,
    // sqrt(count) times its row in the least squares. The likelihood, the iterations, the
    // estimates and the deviance are those of the rows one by one (docs/methods.md §8.1).
    std::vector<std::uint32_t> pattern_of;
    std::vector<std::size_t> first_row;
    std::vector<double> prior;
    const bool collapsed = collapse_patterns(y, x, covariates, pattern_of, first_row, prior);
    const std::size_t m = collapsed ? first_row.size() : n;  // rows of the fit
    if (!collapsed) prior.assign(n, 1.0);
    auto source_row = [&](std::size_t row) { return collapsed ? first_row[row] : row; };

    Eigen::MatrixXd design(static_cast<Eigen::Index>(m), static_cast<Eigen::Index>(p));
    for (std::size_t row = 0; row < m; ++row) {
        const std::size_t from = source_row(row);
        design(static_cast<Eigen::Index>(row), 0) = 1;
        for (std::size_t k = 0; k < covariates; ++k) {
            design(static_cast<Eigen::Index>(row), static_cast<Eigen::Index>(k + 1)) = x[from * covariates + k];
        }
    }
    std::vector<double> outcome(m);
    for (std::size_t row = 0; row < m; ++row) outcome[row] = y[source_row(row)];
    // The first iteration's working weights are all equal (mu = 1/4 or 3/4), so the
    // columns R's QR finds aliased there are those aliased in the design itself (collapsed:
    // each distinct row scaled by the square root of its count, the same norms).
    if (collapsed) {
        Eigen::VectorXd root(static_cast<Eigen::Index>(m));
        for (std::size_t row = 0; row < m; ++row) root(static_cast<Eigen::Index>(row)) = std::sqrt(prior[row]);
        fit.aliased = aliased_columns(root.asDiagonal() * design);
    } else {
        fit.aliased = aliased_columns(design);
    }
    std::vector<Eigen::Index> kept;
    for (std::size_t k = 0; k < p; ++k) {
        if (!fit.aliased[k]) kept.push_back(static_cast<Eigen::Index>(k));
    }
    const Eigen::Index r = static_cast<Eigen::Index>(kept.size());
    fit.rank = kept.size();
    Eigen::MatrixXd reduced(static_cast<Eigen::Index>(m), r);
    for (Eigen::Index k = 0; k < r; ++k) reduced.col(k) = design.col(kept[static_cast<std::size_t>(k)]);

    // R: mustart = (y + 0.5) / 2, eta = logit(mustart) (the start of each row one by one).
    std::vector<double> mu(m), eta(m);
    for (std::size_t row = 0; row < m; ++row) {
        mu[row] = (outcome[row] + 0.5) / 2;
        eta[row] = std::log(mu[row] / (1 - mu[row]));
    }
    double deviance_old = deviance_of(outcome, mu, prior);
    double deviance = deviance_old;
    Eigen::VectorXd beta = Eigen::VectorXd::Zero(r), beta_old;
    bool have_old = false;
    Eigen::MatrixXd weighted(static_cast<Eigen::Index>(m), r);
    Eigen::VectorXd response(static_cast<Eigen::Index>(m)), weight(static_cast<Eigen::Index>(m));
    for (int iteration = 1; iteration <= options.maxit; ++iteration) {
        fit.iterations = iteration;
        // Working response z = eta + (y - mu)/mu.eta and weight w = mu.eta / sqrt(var(mu)),
        // times the square root of the prior weight (1 row by row).
        for (std::size_t row = 0; row < m; ++row) {
            const double derivative = logit_derivative(eta[row]);
            const double w = std::sqrt(prior[row] * (derivative * derivative / (mu[row] * (1 - mu[row]))));
            const auto i = static_cast<Eigen::Index>(row);
            response(i) = (eta[row] + (outcome[row] - mu[row]) / derivative) * w;
            weight(i) = w;
        }
        // Column by column (the matrix is column-major): the same products as row by row.
        for (Eigen::Index k = 0; k < r; ++k) weighted.col(k) = reduced.col(k).cwiseProduct(weight);
        const Eigen::HouseholderQR<Eigen::MatrixXd> qr(weighted);
        beta = qr.solve(response);
        auto update = [&](const Eigen::VectorXd& b) {
            const Eigen::VectorXd linear = reduced * b;
            for (std::size_t row = 0; row < m; ++row) {
                eta[row] = linear(static_cast<Eigen::Index>(row));
                mu[row] = logit_inverse(eta[row]);
            }
            deviance = deviance_of(outcome, mu, prior);
        };
        update(beta);
        // R halves the step while the deviance is not finite (from the second iteration).
        if (!std::isfinite(deviance) && have_old) {
            for (int halving = 0; halving < options.maxit && !std::isfinite(deviance); ++halving) {
                beta = (beta + beta_old) / 2;
                update(beta);
            }
        }
        if (std::abs(deviance - deviance_old) / (std::abs(deviance) + 0.1) < options.epsilon) {
            fit.converged = true;
            break;
        }
        deviance_old = deviance;
        beta_old = beta;
        have_old = true;
    }

    // X'WX of the last solve (the weights of the last iteration, before its update).
    const Eigen::MatrixXd information = weighted.transpose() * weighted;
    if (collapsed) {
        fit.linear_predictor.resize(n);
        fit.fitted.resize(n);
        for (std::size_t row = 0; row < n; ++row) {
            fit.linear_predictor[row] = eta[pattern_of[row]];
            fit.fitted[row] = mu[pattern_of[row]];
        }
    } else {
        fit.linear_predictor = eta;
        fit.fitted = mu;
    }
    fit.deviance = deviance;
    double mean_y = 0;
    for (double value : y) mean_y += value;
    mean_y /= static_cast<double>(n);
    fit.null_deviance = deviance_of(outcome, std::vector<double>(m, mean_y), prior);
    fit.aic = deviance + 2 * static_cast<double>(fit.rank);  // -2 loglik + 2 rank for 0/1 data
    fit.df_null = n - 1;
    fit.df_residual = n - fit.rank;

    // Covariance: (X'WX)^-1 with W of the last iteration, as R's summary.glm (dispersion 1).
    const Eigen::MatrixXd covariance = information.ldlt().solve(Eigen::MatrixXd::Identity(r, r));
    const double zq = normal_quantile_two_sided(options.conf_level);
    const boost::math::normal_distribution<double> normal;
    fit.coef.assign(p, nan);
    fit.se.assign(p, nan);
    fit.z.assign(p, nan);
    fit.p.assign(p, nan);
    fit.lower.assign(p, nan);
    fit.upper.assign(p, nan);
    for (Eigen::Index k = 0; k < r; ++k) {
        const auto column = static_cast<std::size_t>(kept[static_cast<std::size_t>(k)]);
        fit.coef[column] = beta(k);
        fit.se[column] = std::sqrt(covariance(k, k));
        fit.z[column] = beta(k) / fit.se[column];
        fit.p[column] = std::isfinite(fit.z[column])
                            ? 2 * boost::math::cdf(boost::math::complement(normal, std::abs(fit.z[column])))
                            : nan;
        fit.lower[column] = beta(k) - zq * fit.se[column];
        fit.upper[column] = beta(k) + zq * fit.se[column];
    }

    // Diagnostics, in R's words where R has them.
    for (std::size_t k = 1; k < p; ++k) {
        if (fit.aliased[k]) {
            fit.messages.push_back("coefficient " + fit.names[k] +
                                   " not defined because of singularities (a linear combination of the columns before it); "
                                   "left out of the model, as R's NA");
        }
    }
    if (!fit.converged) {
        fit.messages.push_back("algorithm did not converge in " + std::to_string(options.maxit) +
                               " iterations (R's glm.fit warning): the estimates are not a maximum of the likelihood");
    }
    std::size_t extreme = 0;
    for (double value : fit.fitted) {
        if (value > 1 - 10 * DBL_EPSILON || value < 10 * DBL_EPSILON) ++extreme;
    }
    if (extreme > 0) {
        fit.fitted_zero_or_one = true;
        fit.messages.push_back("fitted probabilities numerically 0 or 1 occurred (" + std::to_string(extreme) +
                               " rows; R's glm.fit warning): the covariates separate the groups completely or "
                               "quasi-completely, and some coefficients tend to infinity");
    }
    // A diverging coefficient (complete or quasi-complete separation) has a standard error
    // that grows like exp(|coef| / 2) while the iterations run. R warns only when a fitted
    // value reaches 0 or 1, which quasi-complete separation need not do; rwe also flags a
    // coefficient whose SE on the scale of one SD of its covariate exceeds 50 (an odds-ratio
    // interval per SD wider than e^-98 to e^98, which no finite fit of real data gives).
    for (std::size_t k = 1; k < p; ++k) {
        if (fit.aliased[k]) continue;
        // the SD over the rows one by one (collapsed: each distinct row times its count)
        const Eigen::VectorXd column = design.col(static_cast<Eigen::Index>(k));
        const Eigen::Map<const Eigen::VectorXd> counts(prior.data(), static_cast<Eigen::Index>(m));
        const double mean = collapsed ? column.dot(counts) / static_cast<double>(n) : column.mean();
        const double sd = n > 1 ? std::sqrt((column.array() - mean).square().matrix().dot(counts) / static_cast<double>(n - 1)) : 0;
        if (fit.se[k] * sd > 50) {
            fit.messages.push_back("coefficient " + fit.names[k] + " may be infinite (separation): estimate " +
                                   std::to_string(fit.coef[k]) + ", standard error " + std::to_string(fit.se[k]) +
                                   " are where the iterations stopped; the 0/1 outcome of the model is (nearly) determined by this covariate");
        }
    }
    return fit;
}

}  // namespace rwe::stats
