#pragma once
// The result of kind `cuminc`: cumulative incidence of an endpoint's event with its other
// events competing (Aalen–Johansen), Gray's test between groups, the Fine–Gray model and
// the cause-specific Cox models.

#include <optional>
#include <string>
#include <vector>

#include "rwe/results/common.hpp"
#include "rwe/results/cox.hpp"

namespace rwe::results {

// The incidence of a cause at one of the protocol's times.
struct IncidenceAtTime {
    double time = 0;
    Number n_risk;
    Number incidence;
    Number std_err;
    Number lower;
    Number upper;
    template <class V> void fields(V& v) {
        v("time", time);
        v("n_risk", n_risk);
        v("incidence", incidence);
        v("std_err", std_err);
        v("lower", lower);
        v("upper", upper);
    }
};

// A step of a cause's curve, written as an array in the order of IncidenceTable::columns.
struct IncidenceStep {
    double time = 0;
    Number n_risk;
    Number n_event;
    Number n_censor;
    Number incidence;
    Number std_err;
    Number lower;
    Number upper;
    template <class V> void elements(V& v) {
        v(time);
        v(n_risk);
        v(n_event);
        v(n_censor);
        v(incidence);
        v(std_err);
        v(lower);
        v(upper);
    }
};

struct IncidenceTable {
    std::vector<std::string> columns{"time", "n_risk", "n_event", "n_censor", "incidence", "std_err", "lower", "upper"};
    Suppressible<std::vector<IncidenceStep>> rows;
    template <class V> void fields(V& v) {
        v("columns", columns);
        v("rows", rows);
    }
};

struct CumincCause {
    std::string cause;
    Number events;
    std::vector<IncidenceAtTime> at_times;
    Number final;  // the incidence at the last time
    IncidenceTable curve;
    template <class V> void fields(V& v) {
        v("cause", cause);
        v("events", events);
        v("at_times", at_times);
        v("final", final);
        v("curve", curve);
    }
};

// A group's curves (name empty: all patients), one per cause.
struct CumincCurve {
    std::string name;
    std::optional<std::string> label;
    Count n;
    std::vector<CumincCause> causes;
    template <class V> void fields(V& v) {
        v("name", name);
        v("label", label);
        v("n", n);
        v("causes", causes);
    }
};

// Gray's test of one cause between the groups.
struct GrayTestResult {
    std::string cause;
    Number chisq;
    long df = 0;
    Number p;
    double rho = 0;
    std::vector<std::string> messages;
    template <class V> void fields(V& v) {
        v("cause", cause);
        v("chisq", chisq);
        v("df", df);
        v("p", p);
        v("rho", rho);
        v("messages", messages);
    }
};

// The Fine–Gray model of the event of interest (cmprsk::crr); without a covariate column
// only the method, cause, covariates and a message.
struct FineGrayModel {
    std::string method;
    std::string cause;
    std::vector<std::string> covariates;
    std::vector<std::string> messages;
    std::optional<Count> n;
    std::optional<Count> dropped;
    std::optional<Count> events;
    std::optional<bool> converged;
    std::optional<std::vector<Number>> loglik;
    std::optional<std::vector<CoxCoefficient>> coefficients;
    template <class V> void fields(V& v) {
        v("method", method);
        v("cause", cause);
        v("covariates", covariates);
        v("messages", messages);
        v("n", n);
        v("dropped", dropped);
        v("events", events);
        v("converged", converged);
        v("loglik", loglik);
        v("coefficients", coefficients);
    }
};

// A cause's hazard with the other causes' events censored.
struct CauseSpecificCox {
    CoxFit fit;
    std::string cause;
    template <class V> void fields(V& v) {
        fit.fields(v);
        v("cause", cause);
    }
};

// Kind `cuminc`.
struct CumincResult {
    std::string endpoint;
    std::string description;
    std::string time_unit;
    std::string event;
    std::vector<std::string> competing;
    std::vector<std::string> causes;
    std::string conf_type;
    double conf_level = 0.95;
    Count dropped;
    std::optional<std::string> by;
    std::optional<std::string> by_label;
    std::optional<std::string> strata;
    std::vector<CumincCurve> curves;
    std::optional<std::vector<GrayTestResult>> gray_test;
    std::optional<FineGrayModel> fine_gray;
    std::optional<std::vector<CauseSpecificCox>> cause_specific;
    std::optional<Population> population;
    template <class V> void fields(V& v) {
        v("endpoint", endpoint);
        v("description", description);
        v("time_unit", time_unit);
        v("event", event);
        v("competing", competing);
        v("causes", causes);
        v("conf_type", conf_type);
        v("conf_level", conf_level);
        v("dropped", dropped);
        v("by", by);
        v("by_label", by_label);
        v("strata", strata);
        v("curves", curves);
        v("gray_test", gray_test);
        v("fine_gray", fine_gray);
        v("cause_specific", cause_specific);
        v("population", population);
    }
};

}  // namespace rwe::results
