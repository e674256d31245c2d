#include "rwe/stats/target_trial.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>

#include "rwe/common/parallel.hpp"
#include "rwe/stats/bootstrap.hpp"
#include "rwe/stats/quantile.hpp"
#include "rwe/stats/survival_data.hpp"

namespace rwe::stats {

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// Day of the k-th administration, Inf when fewer than k.
double kth_administration(std::span<const double> given, int k) {
    if (static_cast<int>(given.size()) < k) return inf;
    std::vector<double> days(given.begin(), given.end());
    std::sort(days.begin(), days.end());
    return days[static_cast<std::size_t>(k - 1)];
}

// Interval of the grace period holding day t: [0, e_0] for the first, (s_j, e_j] after.
std::size_t interval_of(double t, double length) {
    if (t <= 0) return 0;
    return static_cast<std::size_t>(std::ceil(t / length)) - 1;
}

// Probability of the k-th administration in each interval j from a fit's coefficients
// (an aliased coefficient counts as 0, as R's predict() leaves the column out).
std::vector<double> interval_probabilities(const LogisticRegression& fit, const std::vector<double>& x, std::size_t row,
                                           std::size_t covariates, std::size_t intervals, double length,
                                           bool with_covariates) {
    std::vector<double> p(intervals);
    auto coef = [&](std::size_t i) { return std::isnan(fit.coef[i]) ? 0.0 : fit.coef[i]; };
    for (std::size_t j = 0; j < intervals; ++j) {
        const double start = static_cast<double>(j) * length;
        double eta = coef(0) + coef(1) * start + coef(2) * start * start;
        if (with_covariates) {
            for (std::size_t covariate = 0; covariate < covariates; ++covariate) {
                eta += coef(3 + covariate) * x[row * covariates + covariate];
            }
        }
        p[j] = 1.0 / (1.0 + std::exp(-eta));
    }
    return p;
}

}  // namespace

TargetTrial target_trial(const TargetTrialData& data, const TargetTrialOptions& options) {
    TargetTrial out;
    const std::size_t n = data.time.size();
    const std::size_t covariates = data.names.size();
    const double d = options.grace_days;
    const double length = options.interval_days;
    out.patients = n;
    out.intervals = static_cast<std::size_t>(std::ceil(d / length));
    out.arms[0].name = "A";
    out.arms[1].name = "B";

    // Step 1: the deviation day of each patient: the k-th administration when it is <= d and
    // before the end of follow-up (an administration on the last day changes nothing).
    std::vector<double> kth(n);
    std::vector<bool> reached(n);
    for (std::size_t patient = 0; patient < n; ++patient) {
        kth[patient] = kth_administration(data.administrations[patient], options.min_count);
        reached[patient] = kth[patient] <= d && kth[patient] < data.time[patient];
    }

    // Step 2: the censoring model's person-intervals: interval j for each patient followed
    // beyond its start (s_j < time) and not yet deviated (up to the interval of its k-th).
    std::vector<double> y, x, x_time;
    std::vector<std::string> names{"interval_start", "interval_start_squared"};
    names.insert(names.end(), data.names.begin(), data.names.end());
    const std::vector<std::string> time_names{"interval_start", "interval_start_squared"};
    auto last_interval = [&](std::size_t patient) {
        return reached[patient] ? interval_of(kth[patient], length) : std::min(interval_of(data.time[patient], length), out.intervals - 1);
    };
    {
        // Sized once: millions of person-intervals at national scale.
        std::size_t count = 0;
        for (std::size_t patient = 0; patient < n; ++patient) count += data.time[patient] <= 0 ? 0 : last_interval(patient) + 1;
        y.reserve(count);
        x.reserve(count * (2 + covariates));
        if (options.stabilize) x_time.reserve(count * 2);
    }
    for (std::size_t patient = 0; patient < n; ++patient) {
        if (data.time[patient] <= 0) continue;
        const std::size_t last = last_interval(patient);
        for (std::size_t j = 0; j <= last; ++j) {
            const double start = static_cast<double>(j) * length;
            y.push_back(reached[patient] && j == last ? 1.0 : 0.0);
            x.push_back(start);
            x.push_back(start * start);
            if (options.stabilize) {
                x_time.push_back(start);
                x_time.push_back(start * start);
            }
            for (std::size_t covariate = 0; covariate < covariates; ++covariate) {
                x.push_back(data.x[patient * covariates + covariate]);
            }
        }
    }
    out.model_rows = y.size();
    if (y.empty()) {
        out.messages.push_back("no person-interval in the grace period: the censoring model cannot be fitted");
        return out;
    }
    out.censoring_model = logistic_regression(y, x, names);
    for (const auto& message : out.censoring_model.messages) out.messages.push_back("censoring model: " + message);
    if (options.stabilize) {
        out.numerator_model = logistic_regression(y, x_time, time_names);
        for (const auto& message : out.numerator_model.messages) out.messages.push_back("numerator model: " + message);
    }
    // The weights below come from the coefficients: the person-intervals and the models'
    // per-row values are not needed any more (at 1,000,000 patients, gigabytes).
    for (auto* model : {&out.censoring_model, &out.numerator_model}) {
        std::vector<double>().swap(model->fitted);
        std::vector<double>().swap(model->linear_predictor);
    }
    std::vector<double>().swap(y);
    std::vector<double>().swap(x);
    std::vector<double>().swap(x_time);

    // Step 3: clones and their (start, stop] rows. Within the grace period a row per interval
    // (s_j, min(e_j, end)], weighted by 1 / P(not deviated by the row's stop):
    //   B: P_B(j) = prod_{m <= j} (1 - p_m);  A: 1 during the grace period;
    // after d one row (d, end]: B 1 / P_B(J - 1), A 1 / (1 - P_B(J - 1)).
    // Stabilized: the same products from the numerator model over those of the censoring model.
    auto& rows = out.rows;
    // The end of clone (patient, arm)'s follow-up and whether it is censored at deviation.
    auto clone_end = [&](std::size_t patient, int arm) {
        const double time = data.time[patient];
        if (arm == 0 && !(kth[patient] <= d) && time > d) return std::pair{d, true};
        if (arm == 1 && reached[patient]) return std::pair{kth[patient], true};
        return std::pair{time, false};
    };
    {
        // Sized once (tens of millions of rows at national scale): a row per interval
        // started before the end, and one after d.
        std::size_t count = 0;
        for (std::size_t patient = 0; patient < n; ++patient) {
            for (int arm = 0; arm < 2; ++arm) {
                const double end = clone_end(patient, arm).first;
                if (end <= 0) continue;
                for (std::size_t j = 0; j < out.intervals && static_cast<double>(j) * length < end; ++j) ++count;
                if (end > d) ++count;
            }
        }
        rows.start.reserve(count);
        rows.stop.reserve(count);
        rows.weight.reserve(count);
        rows.event.reserve(count);
        rows.arm.reserve(count);
        rows.patient.reserve(count);
    }
    for (std::size_t patient = 0; patient < n; ++patient) {
        const auto p = interval_probabilities(out.censoring_model, data.x, patient, covariates, out.intervals, length, true);
        std::vector<double> q;
        if (options.stabilize) {
            q = interval_probabilities(out.numerator_model, data.x, patient, covariates, out.intervals, length, false);
        }
        std::vector<double> stay(out.intervals), stay_numerator(out.intervals, 1.0);
        double product = 1, product_numerator = 1;
        for (std::size_t j = 0; j < out.intervals; ++j) {
            product *= 1 - p[j];
            stay[j] = product;
            if (options.stabilize) {
                product_numerator *= 1 - q[j];
                stay_numerator[j] = product_numerator;
            }
        }
        for (int arm = 0; arm < 2; ++arm) {
            const auto [end, deviated] = clone_end(patient, arm);
            auto& summary = out.arms[arm];
            if (deviated) ++summary.censored_deviation;
            if (end <= 0) continue;
            ++summary.clones;
            const bool event = !deviated && data.event[patient] == 1;
            if (event) ++summary.events;
            for (std::size_t j = 0; j < out.intervals; ++j) {
                const double start = static_cast<double>(j) * length;
                if (start >= end) break;
                const double stop = std::min({start + length, d, end});
                double weight = 1;
                if (arm == 1) weight = stay_numerator[j] / stay[j];
                rows.start.push_back(start);
                rows.stop.push_back(stop);
                rows.weight.push_back(weight);
                rows.event.push_back(event && stop == end ? 1 : 0);
                rows.arm.push_back(static_cast<std::uint8_t>(arm));
                rows.patient.push_back(static_cast<std::int32_t>(patient));
            }
            if (end > d) {
                const std::size_t last = out.intervals - 1;
                const double numerator_a = options.stabilize ? 1 - stay_numerator[last] : 1.0;
                const double weight =
                    arm == 1 ? stay_numerator[last] / stay[last] : numerator_a / (1 - stay[last]);
                rows.start.push_back(d);
                rows.stop.push_back(end);
                rows.weight.push_back(weight);
                rows.event.push_back(event ? 1 : 0);
                rows.arm.push_back(static_cast<std::uint8_t>(arm));
                rows.patient.push_back(static_cast<std::int32_t>(patient));
            }
        }
    }

    out.row_count = rows.size();
    auto release_rows = [&] {
        if (!options.keep_rows) out.rows = TargetTrialRows{};
    };

    // Step 4: truncation at the q-th quantile (R's type 7) of the weights of all rows.
    out.truncation_cap = inf;
    if (options.truncate > 0 && !rows.weight.empty()) {
        std::vector<double> sorted = rows.weight;
        std::sort(sorted.begin(), sorted.end());
        out.truncation_cap = quantile_sorted(sorted, options.truncate, QuantileType::type7);
        for (auto& weight : rows.weight) {
            if (weight > out.truncation_cap) {
                weight = out.truncation_cap;
                ++out.truncated_rows;
            }
        }
    }
    for (const double weight : rows.weight) {
        if (!std::isfinite(weight)) {
            out.messages.push_back("a weight is not finite (a fitted probability of 0 or 1): the comparison is not estimable");
            release_rows();
            return out;
        }
    }

    // Step 5: weighted Kaplan–Meier per arm on the (start, stop] rows, robust variance by patient.
    {
        std::vector<double> arm_code(rows.size());
        for (std::size_t row = 0; row < rows.size(); ++row) arm_code[row] = rows.arm[row];
        for (int arm = 0; arm < 2; ++arm) {
            out.arms[arm].weights = summarize_weights(rows.weight, arm_code, arm);
        }
    }
    if (out.arms[0].clones == 0 || out.arms[1].clones == 0) {
        out.messages.push_back("an arm has no clone with follow-up: the comparison is not estimable");
        release_rows();
        return out;
    }
    {
        // The curves borrow the rows' columns (moved, and moved back: at national scale a
        // copy is hundreds of megabytes); only the arm codes are widened.
        SurvivalData survival;
        survival.start = std::move(rows.start);
        survival.time = std::move(rows.stop);
        survival.event = std::move(rows.event);
        survival.weight = std::move(rows.weight);
        survival.group.assign(rows.arm.begin(), rows.arm.end());
        survival.group_names = {"A", "B"};
        survival.cluster = std::move(rows.patient);
        KaplanMeierOptions km_options;
        km_options.conf_level = options.conf_level;
        km_options.variance = options.robust_variance ? KmVariance::robust : KmVariance::greenwood;
        const KaplanMeier km = kaplan_meier(survival, km_options);
        rows.start = std::move(survival.start);
        rows.stop = std::move(survival.time);
        rows.event = std::move(survival.event);
        rows.weight = std::move(survival.weight);
        rows.patient = std::move(survival.cluster);
        for (const auto& curve : km.curves) {
            auto& arm = out.arms[curve.name == "A" ? 0 : 1];
            arm.curve = curve;
            arm.median = median_survival(curve);
            arm.at_times = survival_at_times(curve, options.times);
            arm.rmst.tau = options.rmst_tau;
            arm.rmst.rmean = nan;
            arm.rmst.se = nan;
            if (options.rmst_tau > 0) arm.rmst = restricted_mean(curve, options.rmst_tau);
        }
    }
    for (const double t : options.times) {
        double surv[2] = {nan, nan};
        for (int arm = 0; arm < 2; ++arm) {
            for (const auto& row : out.arms[arm].at_times.rows) {
                if (row.time == t) surv[arm] = row.surv;
            }
        }
        out.surv_difference.push_back(surv[0] - surv[1]);
    }
    out.rmst_difference = options.rmst_tau > 0 ? out.arms[0].rmst.rmean - out.arms[1].rmst.rmean : nan;

    // Step 6: weighted Cox model of arm A vs B, robust variance clustered by patient.
    // The model takes the rows' times and weights (moved: at national scale a copy is
    // hundreds of megabytes); kept rows get them back after the fit, else the fit releases
    // them with the other columns once it has its sorted copy.
    CoxData cox;
    cox.start = std::move(rows.start);
    cox.stop = std::move(rows.stop);
    cox.event.assign(rows.event.begin(), rows.event.end());
    cox.weight = std::move(rows.weight);
    if (options.keep_rows) cox.cluster = rows.patient;
    else cox.cluster = std::move(rows.patient);
    cox.names = {"arm_A"};
    cox.x.resize(rows.arm.size());  // rows.size() is 0 while the model holds the times
    for (std::size_t row = 0; row < rows.arm.size(); ++row) cox.x[row] = rows.arm[row] == 0 ? 1.0 : 0.0;
    CoxOptions cox_options;
    cox_options.conf_level = options.conf_level;
    cox_options.variance = options.robust_variance ? CoxVariance::robust : CoxVariance::model;
    cox_options.concordance = false;
    if (options.keep_rows) {
        out.cox = cox_regression(cox, cox_options);
        rows.start = std::move(cox.start);
        rows.stop = std::move(cox.stop);
        rows.weight = std::move(cox.weight);
    } else {
        release_rows();
        out.cox = cox_regression(std::move(cox), cox_options);
    }
    for (const auto& diagnostic : out.cox.diagnostics) out.messages.push_back("Cox model: " + diagnostic.message);
    if (out.arms[0].events == 0 && out.arms[1].events == 0) {
        out.messages.push_back("no events in either arm: the hazard ratio is not estimable");
        return out;
    }
    out.hr = out.cox.exp_coef[0];
    out.hr_lower = out.cox.lower[0];
    out.hr_upper = out.cox.upper[0];
    out.hr_p = out.cox.p[0];
    out.estimable = std::isfinite(out.hr);
    return out;
}

TargetTrialBootstrap target_trial_bootstrap(const TargetTrialData& data, const TargetTrialOptions& options,
                                            std::size_t resamples, std::uint64_t seed,
                                            const std::function<void(std::size_t, std::size_t)>& progress) {
    TargetTrialBootstrap out;
    out.resamples = resamples;
    out.seed = seed;
    const std::size_t n = data.time.size();
    const std::size_t covariates = data.names.size();
    TargetTrialOptions replicate_options = options;
    replicate_options.robust_variance = false;
    replicate_options.keep_rows = false;
    struct Replicate {
        bool estimable = false;
        double log_hr = 0, rmst_difference = 0;
        std::vector<double> surv_difference;
    };
    std::vector<Replicate> replicates(resamples);
    std::mutex reporting;
    std::size_t done = 0;
    for_each_index_on_two_threads(resamples, [&](std::size_t i) {
        TargetTrialData sample;
        sample.names = data.names;
        for (const std::size_t patient : bootstrap_resample(seed, i + 1, n)) {
            sample.time.push_back(data.time[patient]);
            sample.event.push_back(data.event[patient]);
            sample.administrations.push_back(data.administrations[patient]);
            for (std::size_t covariate = 0; covariate < covariates; ++covariate) {
                sample.x.push_back(data.x[patient * covariates + covariate]);
            }
        }
        const TargetTrial fit = target_trial(sample, replicate_options);
        Replicate& r = replicates[i];
        r.estimable = fit.estimable;
        if (fit.estimable) {
            r.log_hr = fit.cox.coef[0];
            r.surv_difference = fit.surv_difference;
            r.rmst_difference = fit.rmst_difference;
        }
        const std::lock_guard<std::mutex> lock(reporting);
        ++done;
        if (progress) progress(done, resamples);
    });
    std::vector<double> log_hr;
    std::vector<std::vector<double>> surv_difference(options.times.size());
    std::vector<double> rmst_difference;
    for (const auto& r : replicates) {  // in resample order
        if (!r.estimable) {
            ++out.failed;
            continue;
        }
        log_hr.push_back(r.log_hr);
        for (std::size_t t = 0; t < options.times.size(); ++t) surv_difference[t].push_back(r.surv_difference[t]);
        rmst_difference.push_back(r.rmst_difference);
    }
    const auto hr = percentile_interval(log_hr, options.conf_level);
    out.log_hr_lower = hr.lower;
    out.log_hr_upper = hr.upper;
    out.hr_lower = std::exp(out.log_hr_lower);
    out.hr_upper = std::exp(out.log_hr_upper);
    for (const auto& values : surv_difference) {
        const auto limits = percentile_interval(values, options.conf_level);
        out.surv_difference_lower.push_back(limits.lower);
        out.surv_difference_upper.push_back(limits.upper);
    }
    const auto rmst = percentile_interval(rmst_difference, options.conf_level);
    out.rmst_difference_lower = rmst.lower;
    out.rmst_difference_upper = rmst.upper;
    return out;
}

}  // namespace rwe::stats
