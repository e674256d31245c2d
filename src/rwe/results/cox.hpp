#pragma once
// A Cox proportional hazards fit as results.json holds it, and the result of the `cox` kind.

#include <optional>
#include <string>
#include <vector>

#include "rwe/results/common.hpp"

namespace rwe::results {

struct CoxCoefficient {
    std::string name;
    std::optional<std::string> label;  // the covariate's (and level's) words, for tables
    Number coef;
    Number exp_coef;
    Number se;
    Number z;
    Number p;
    Number lower;
    Number upper;
    std::optional<std::string> not_estimable;  // why there is no finite estimate, in a reader's words
    template <class V> void fields(V& v) {
        v("name", name);
        v("label", label);
        v("coef", coef);
        v("exp_coef", exp_coef);
        v("se", se);
        v("z", z);
        v("p", p);
        v("lower", lower);
        v("upper", upper);
        v("not_estimable", not_estimable);
    }
};

// A fitted model: coxph's coefficients, log-likelihoods (null, final), tests and concordance.
struct CoxFit {
    Count n;
    Count events;
    Count dropped;
    std::vector<CoxCoefficient> coefficients;
    std::vector<Number> loglik;
    Suppressible<ChiSquareTest> wald;
    Suppressible<ChiSquareTest> lr;
    Suppressible<ChiSquareTest> score;
    Number concordance;
    Number concordance_se;
    int iterations = 0;
    bool converged = false;
    std::string ties;
    std::vector<std::string> diagnostics;
    template <class V> void fields(V& v) {
        v("n", n);
        v("events", events);
        v("dropped", dropped);
        v("coefficients", coefficients);
        v("loglik", loglik);
        v("wald", wald);
        v("lr", lr);
        v("score", score);
        v("concordance", concordance);
        v("concordance_se", concordance_se);
        v("iterations", iterations);
        v("converged", converged);
        v("ties", ties);
        v("diagnostics", diagnostics);
    }
};

// A level of a categorical covariate: its patients and events among the model's patients,
// and the index of its coefficient (none for the reference level).
struct CoxLevel {
    std::string level;
    std::string label;
    Count n;
    Count events;
    std::optional<bool> reference;
    std::optional<std::size_t> coefficient;
    template <class V> void fields(V& v) {
        v("level", level);
        v("label", label);
        v("n", n);
        v("events", events);
        v("reference", reference);
        v("coefficient", coefficient);
    }
};

// A covariate as a table shows it: a number's one coefficient, a category's levels.
struct CoxTerm {
    std::string name;
    std::string label;
    std::string type;  // "numeric" or "categorical"
    std::optional<std::size_t> coefficient;
    std::optional<std::vector<CoxLevel>> levels;
    template <class V> void fields(V& v) {
        v("name", name);
        v("label", label);
        v("type", type);
        v("coefficient", coefficient);
        v("levels", levels);
    }
};

// A univariable model: the fit of one covariate alone.
struct CoxUnivariable {
    CoxFit fit;
    std::string covariate;
    template <class V> void fields(V& v) {
        fit.fields(v);
        v("covariate", covariate);
    }
};

// Kind `cox`: the model of the endpoint on the covariates (stratified when asked), its
// terms, and the univariable model of each covariate.
struct CoxResult {
    CoxFit fit;
    std::optional<std::vector<CoxTerm>> terms;  // absent in results of earlier versions
    std::string endpoint;
    std::vector<std::string> covariates;
    std::optional<std::string> strata;
    std::optional<std::string> strata_label;
    std::optional<std::vector<CoxUnivariable>> univariable;
    std::optional<Population> population;
    template <class V> void fields(V& v) {
        fit.fields(v);
        v("terms", terms);
        v("endpoint", endpoint);
        v("covariates", covariates);
        v("strata", strata);
        v("strata_label", strata_label);
        v("univariable", univariable);
        v("population", population);
    }
};

}  // namespace rwe::results
