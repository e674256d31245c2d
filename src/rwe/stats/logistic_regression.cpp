// Logistic regression as R's glm.fit with family = binomial() (docs/methods.md §8.1).
#include "rwe/stats/logistic_regression.hpp"

#include <Eigen/Dense>
#include <boost/math/distributions/normal.hpp>

#include <algorithm>
#include <cfloat>
#include <cmath>
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
double deviance_of(const std::vector<double>& y, const std::vector<double>& mu) {
    double sum = 0;
    for (std::size_t row = 0; row < y.size(); ++row) sum += -2 * std::log(y[row] > 0.5 ? mu[row] : 1 - mu[row]);
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

    Eigen::MatrixXd design(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(p));
    for (std::size_t row = 0; row < n; ++row) {
        design(static_cast<Eigen::Index>(row), 0) = 1;
        for (std::size_t k = 0; k < covariates; ++k) {
            design(static_cast<Eigen::Index>(row), static_cast<Eigen::Index>(k + 1)) = x[row * covariates + k];
        }
    }
    // The first iteration's working weights are all equal (mu = 1/4 or 3/4), so the
    // columns R's QR finds aliased there are those aliased in the design itself.
    fit.aliased = aliased_columns(design);
    std::vector<Eigen::Index> kept;
    for (std::size_t k = 0; k < p; ++k) {
        if (!fit.aliased[k]) kept.push_back(static_cast<Eigen::Index>(k));
    }
    const Eigen::Index r = static_cast<Eigen::Index>(kept.size());
    fit.rank = kept.size();
    Eigen::MatrixXd reduced(static_cast<Eigen::Index>(n), r);
    for (Eigen::Index k = 0; k < r; ++k) reduced.col(k) = design.col(kept[static_cast<std::size_t>(k)]);

    // R: mustart = (y + 0.5) / 2, eta = logit(mustart).
    std::vector<double> mu(n), eta(n);
    for (std::size_t row = 0; row < n; ++row) {
        mu[row] = (y[row] + 0.5) / 2;
        eta[row] = std::log(mu[row] / (1 - mu[row]));
    }
    double deviance_old = deviance_of(y, mu);
    double deviance = deviance_old;
    Eigen::VectorXd beta = Eigen::VectorXd::Zero(r), beta_old;
    bool have_old = false;
    Eigen::MatrixXd weighted(static_cast<Eigen::Index>(n), r);
    Eigen::VectorXd response(static_cast<Eigen::Index>(n)), weight(static_cast<Eigen::Index>(n));
    for (int iteration = 1; iteration <= options.maxit; ++iteration) {
        fit.iterations = iteration;
        // Working response z = eta + (y - mu)/mu.eta and weight w = mu.eta / sqrt(var(mu)).
        for (std::size_t row = 0; row < n; ++row) {
            const double derivative = logit_derivative(eta[row]);
            const double w = std::sqrt(derivative * derivative / (mu[row] * (1 - mu[row])));
            const auto i = static_cast<Eigen::Index>(row);
            response(i) = (eta[row] + (y[row] - mu[row]) / derivative) * w;
            weight(i) = w;
        }
        // Column by column (the matrix is column-major): the same products as row by row.
        for (Eigen::Index k = 0; k < r; ++k) weighted.col(k) = reduced.col(k).cwiseProduct(weight);
        const Eigen::HouseholderQR<Eigen::MatrixXd> qr(weighted);
        beta = qr.solve(response);
        auto update = [&](const Eigen::VectorXd& b) {
            const Eigen::VectorXd linear = reduced * b;
            for (std::size_t row = 0; row < n; ++row) {
                eta[row] = linear(static_cast<Eigen::Index>(row));
                mu[row] = logit_inverse(eta[row]);
            }
            deviance = deviance_of(y, mu);
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
    fit.linear_predictor = eta;
    fit.fitted = mu;
    fit.deviance = deviance;
    double mean_y = 0;
    for (double value : y) mean_y += value;
    mean_y /= static_cast<double>(n);
    fit.null_deviance = deviance_of(y, std::vector<double>(n, mean_y));
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
    for (double value : mu) {
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
        const Eigen::VectorXd column = design.col(static_cast<Eigen::Index>(k));
        const double mean = column.mean();
        const double sd = n > 1 ? std::sqrt((column.array() - mean).square().sum() / static_cast<double>(n - 1)) : 0;
        if (fit.se[k] * sd > 50) {
            fit.messages.push_back("coefficient " + fit.names[k] + " may be infinite (separation): estimate " +
                                   std::to_string(fit.coef[k]) + ", standard error " + std::to_string(fit.se[k]) +
                                   " are where the iterations stopped; the 0/1 outcome of the model is (nearly) determined by this covariate");
        }
    }
    return fit;
}

}  // namespace rwe::stats
