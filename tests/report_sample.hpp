#pragma once
// Sample inputs for the report tests: a deterministic pseudo-random cohort and a plain
// product-limit estimate (Kaplan & Meier 1958) with log-transformed Greenwood CIs, R's
// survfit default. Written here so the report tests do not depend on rwe::stats; the
// numbers only need to look like a study, their correctness is tested in stats.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "rwe/report/km_plot.hpp"

namespace rwe::report::sample {

struct Subject {
    double time;
    bool event;
};

// Exponential event times (median `median_months`) with uniform administrative censoring
// up to `follow_up`, from a fixed linear congruential generator.
inline std::vector<Subject> cohort(int n, double median_months, double follow_up, uint64_t seed) {
    uint64_t state = seed;
    auto uniform = [&] {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return (static_cast<double>(state >> 11) + 0.5) / 9007199254740992.0;
    };
    std::vector<Subject> subjects;
    for (int i = 0; i < n; ++i) {
        double event_time = -std::log(uniform()) * median_months / std::log(2.0);
        double censor_time = follow_up * uniform();
        double time = std::round(std::min(event_time, censor_time) * 10) / 10 + 0.1;
        subjects.push_back({time, event_time <= censor_time});
    }
    return subjects;
}

inline KmCurveInput product_limit(std::string label, std::vector<Subject> subjects) {
    std::sort(subjects.begin(), subjects.end(), [](const Subject& a, const Subject& b) { return a.time < b.time; });
    KmCurveInput curve;
    curve.label = std::move(label);
    double at_risk = static_cast<double>(subjects.size());
    double surv = 1, greenwood = 0;
    size_t i = 0;
    while (i < subjects.size()) {
        double t = subjects[i].time;
        double events = 0, censored = 0;
        while (i < subjects.size() && subjects[i].time == t) {
            (subjects[i].event ? events : censored) += 1;
            ++i;
        }
        surv *= 1 - events / at_risk;
        if (at_risk > events) greenwood += events / (at_risk * (at_risk - events));
        curve.time.push_back(t);
        curve.n_risk.push_back(at_risk);
        curve.n_event.push_back(events);
        curve.n_censor.push_back(censored);
        curve.surv.push_back(surv);
        double half = 1.959963984540054 * std::sqrt(greenwood);
        bool defined = surv > 0 && at_risk > events;
        curve.lower.push_back(defined ? surv * std::exp(-half) : NAN);
        curve.upper.push_back(defined ? std::min(1.0, surv * std::exp(half)) : NAN);
        at_risk -= events + censored;
    }
    for (size_t k = 0; k < curve.surv.size(); ++k)
        if (curve.surv[k] <= 0.5) {
            curve.median = curve.time[k];
            break;
        }
    return curve;
}

}  // namespace rwe::report::sample
