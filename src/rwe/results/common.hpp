#pragma once
// Parts that results of several kinds share: an analysis's population, a chi-square test,
// a median with its CI, a Kaplan–Meier curve and its summary.

#include <optional>
#include <string>
#include <vector>

#include "rwe/results/codec.hpp"

namespace rwe::results {

// The patients an analysis's `where` keeps (absent: the whole cohort).
struct Population {
    std::string where;
    Count n;
    template <class V> void fields(V& v) {
        v("where", where);
        v("n", n);
    }
};

// A chi-square statistic with its degrees of freedom and p-value (log-rank, Wald, LR, score).
struct ChiSquareTest {
    Number chisq;
    long df = 0;
    Number p;
    template <class V> void fields(V& v) {
        v("chisq", chisq);
        v("df", df);
        v("p", p);
    }
};

// A median with its 95% CI by one method ("r": Brookmeyer–Crowley as survfit; "spss").
struct MedianEstimate {
    std::string method;
    Number estimate;
    Number lower;
    Number upper;
    template <class V> void fields(V& v) {
        v("method", method);
        v("estimate", estimate);
        v("lower", lower);
        v("upper", upper);
    }
};

// The median as SPSS computes it: ± 1.96 SE (docs/methods.md).
struct SpssMedian {
    Number estimate;
    Number std_err;
    Number lower;
    Number upper;
    template <class V> void fields(V& v) {
        v("estimate", estimate);
        v("std_err", std_err);
        v("lower", lower);
        v("upper", upper);
    }
};

// S(t) at one of the protocol's times.
struct SurvivalAtTime {
    double time = 0;
    Number n_risk;
    Number surv;
    Number std_err;
    Number lower;
    Number upper;
    template <class V> void fields(V& v) {
        v("time", time);
        v("n_risk", n_risk);
        v("surv", surv);
        v("std_err", std_err);
        v("lower", lower);
        v("upper", upper);
    }
};

// One step of a Kaplan–Meier curve, written as an array in the order of CurveTable::columns.
struct CurveStep {
    double time = 0;
    Number n_risk;
    Number n_event;
    Number n_censor;
    Number surv;
    Number lower;
    Number upper;
    template <class V> void elements(V& v) {
        v(time);
        v(n_risk);
        v(n_event);
        v(n_censor);
        v(surv);
        v(lower);
        v(upper);
    }
};

// A curve for figures: its steps, censoring counts and pointwise band.
struct CurveTable {
    std::vector<std::string> columns{"time", "n_risk", "n_event", "n_censor", "surv", "lower", "upper"};
    Suppressible<std::vector<CurveStep>> rows;
    template <class V> void fields(V& v) {
        v("columns", columns);
        v("rows", rows);
    }
};

// The restricted mean survival time up to tau with its normal-approximation CI.
struct RestrictedMean {
    double tau = 0;
    Number rmean;
    Number se;
    Number lower;
    Number upper;
    bool beyond_follow_up = false;
    template <class V> void fields(V& v) {
        v("tau", tau);
        v("rmean", rmean);
        v("se", se);
        v("lower", lower);
        v("upper", upper);
        v("beyond_follow_up", beyond_follow_up);
    }
};

// A Kaplan–Meier curve of one group (name empty: all patients) and its summary.
struct CurveSummary {
    std::string name;
    std::optional<std::string> label;  // the protocol's value label of the group
    Count n;
    Number events;
    Number median;
    Number median_lower;
    Number median_upper;
    Suppressible<SpssMedian> median_spss;
    std::optional<Suppressible<MedianEstimate>> median_primary;  // the convention's (km kind)
    Suppressible<std::vector<SurvivalAtTime>> at_times;
    std::optional<Suppressible<std::vector<double>>> times_beyond_follow_up;
    std::optional<Suppressible<RestrictedMean>> rmst;
    CurveTable curve;
    template <class V> void fields(V& v) {
        v("name", name);
        v("label", label);
        v("n", n);
        v("events", events);
        v("median", median);
        v("median_lower", median_lower);
        v("median_upper", median_upper);
        v("median_spss", median_spss);
        v("median_primary", median_primary);
        v("at_times", at_times);
        v("times_beyond_follow_up", times_beyond_follow_up);
        v("rmst", rmst);
        v("curve", curve);
    }
    // The group's name as tables show it: its label, else its level; "" for all patients.
    std::string shown_name() const { return name.empty() ? "" : label.value_or(name); }
};

}  // namespace rwe::results
