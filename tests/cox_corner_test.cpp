// Cox regression corner cases and options (strata, weights, clusters, factors, counting
// process) against R. The reference values and the R calls that produced them are in
// tests/data/cox_reference.json (made by tests/data/cox_reference.R); docs/methods.md §4.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <numeric>
#include <random>
#include <nlohmann/json.hpp>
#include <string>

#include "rwe/stats/cox_regression.hpp"
#include "rwe/stats/cox_risk_sets.hpp"
#include "rwe/stats/cox_zph.hpp"

namespace {

using nlohmann::json;
using rwe::stats::CoxDiagnostic;

constexpr double tolerance = 1e-6;

json reference_cases() {
    std::ifstream in(std::string(RWE_TEST_DATA_DIR) + "/cox_reference.json");
    return json::parse(in);
}

const json& find_case(const json& cases, const std::string& name) {
    for (const auto& c : cases) {
        if (c["name"] == name) return c;
    }
    throw std::runtime_error("no reference case " + name);
}

::testing::AssertionResult near(const std::string& what, double got, const json& want) {
    if (want.is_null()) {
        if (std::isnan(got)) return ::testing::AssertionSuccess();
        return ::testing::AssertionFailure() << what << ": got " << got << ", R has NA";
    }
    const double w = want.get<double>();
    if (std::fabs(got - w) <= tolerance * std::max(std::fabs(w), 1e-4)) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << what << ": got " << got << ", R " << w;
}

// Runs `rwe cox` and returns its exit status and standard output (and error).
std::pair<int, std::string> run_rwe(const std::string& arguments) {
    const std::string command = std::string(RWE_BINARY) + " cox " + arguments + " 2>&1";
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
    std::string output;
    std::array<char, 4096> buffer{};
    std::size_t got = 0;
    while ((got = fread(buffer.data(), 1, buffer.size(), pipe.get())) > 0) output.append(buffer.data(), got);
    const int status = pclose(pipe.release());
    return {WEXITSTATUS(status), output};
}

// Builds CoxData from a case's inline columns: time, status, then the covariates in order.
rwe::stats::CoxData inline_data(const json& c) {
    rwe::stats::CoxData data;
    const json& d = c["data"];
    data.stop = d["time"].get<std::vector<double>>();
    data.event = d["status"].get<std::vector<double>>();
    data.names = c["names"].get<std::vector<std::string>>();
    const std::size_t n = data.stop.size(), p = data.names.size();
    data.x.resize(n * p);
    for (std::size_t k = 0; k < p; ++k) {
        const auto column = d[data.names[k]].get<std::vector<double>>();
        for (std::size_t i = 0; i < n; ++i) data.x[i * p + k] = column[i];
    }
    return data;
}

void expect_fit_matches(const rwe::stats::CoxRegression& fit, const json& c) {
    SCOPED_TRACE(c["r_call"].get<std::string>());
    ASSERT_EQ(fit.coef.size(), c["coef"].size());
    for (std::size_t k = 0; k < fit.coef.size(); ++k) {
        EXPECT_TRUE(near("coef", fit.coef[k], c["coef"][k]));
        if (!c["coef"][k].is_null()) EXPECT_TRUE(near("se", fit.se[k], c["se"][k]));
    }
    EXPECT_TRUE(near("loglik null", fit.loglik_null, c["loglik"][0]));
    EXPECT_TRUE(near("loglik", fit.loglik_final, c["loglik"][1]));
    EXPECT_TRUE(near("score", fit.score.chisq, c["score"]));
    EXPECT_TRUE(near("wald", fit.wald.chisq, c["wald"]));
    EXPECT_TRUE(near("lr", fit.lr.chisq, c["lr"]));
    EXPECT_TRUE(near("concordance", fit.concordance, c["concordance"][0]));
    EXPECT_TRUE(near("concordance std", fit.concordance_se, c["concordance"][1]));
    EXPECT_EQ(fit.iterations, c["iterations"].get<int>());
    EXPECT_EQ(fit.n, c["n"].get<std::size_t>());
    EXPECT_EQ(fit.events, c["events"].get<std::size_t>());
}

bool has_diagnostic(const rwe::stats::CoxRegression& fit, CoxDiagnostic::Kind kind, int covariate) {
    for (const auto& d : fit.diagnostics) {
        if (d.kind == kind && d.covariate == covariate) return true;
    }
    return false;
}

TEST(CoxCorner, CovariateWithNoVariationIsDroppedWithAMessage) {
    const json cases = reference_cases();
    const json& c = find_case(cases, "constant_covariate");
    const auto fit = rwe::stats::cox_regression(inline_data(c));
    expect_fit_matches(fit, c);
    EXPECT_TRUE(fit.singular[1]);
    EXPECT_TRUE(has_diagnostic(fit, CoxDiagnostic::Kind::singular, 1));
    EXPECT_EQ(fit.wald.df, 1);
}

TEST(CoxCorner, CollinearCovariateIsDropped) {
    const json cases = reference_cases();
    const json& c = find_case(cases, "collinear");
    const auto fit = rwe::stats::cox_regression(inline_data(c));
    expect_fit_matches(fit, c);
    EXPECT_TRUE(has_diagnostic(fit, CoxDiagnostic::Kind::singular, 2));
    EXPECT_EQ(fit.lr.df, 2);
}

TEST(CoxCorner, CompleteSeparationIsFlaggedNotACrash) {
    const json cases = reference_cases();
    const json& c = find_case(cases, "separation");
    const auto fit = rwe::stats::cox_regression(inline_data(c));
    expect_fit_matches(fit, c);  // R: loglik converged before variable 1
    EXPECT_TRUE(fit.converged);
    EXPECT_TRUE(has_diagnostic(fit, CoxDiagnostic::Kind::infinite, 0));
    EXPECT_TRUE(std::isfinite(fit.loglik_final));

    const json& d = find_case(cases, "separation_not_converged");
    const auto slow = rwe::stats::cox_regression(inline_data(d));
    expect_fit_matches(slow, d);  // R: ran out of iterations (reports iter.max + 1)
    EXPECT_FALSE(slow.converged);
    EXPECT_TRUE(has_diagnostic(slow, CoxDiagnostic::Kind::not_converged, -1));
    EXPECT_TRUE(has_diagnostic(slow, CoxDiagnostic::Kind::infinite, 0));
}

TEST(CoxCorner, SingleEvent) {
    // One event at t = 6 with x = 2; at risk x = 2, 3, 1 whose mean is 2, so the score at
    // beta = 0 is 0: beta_hat = 0 and loglik = -log 3 by hand.
    const json cases = reference_cases();
    const json& c = find_case(cases, "single_event");
    const auto fit = rwe::stats::cox_regression(inline_data(c));
    expect_fit_matches(fit, c);
    EXPECT_NEAR(fit.loglik_final, -std::log(3.0), 1e-14);
    EXPECT_NEAR(fit.coef[0], 0.0, 1e-14);
}

TEST(CoxCorner, AllTimesTied) {
    const json cases = reference_cases();
    for (const char* name : {"all_tied_efron", "all_tied_breslow"}) {
        const json& c = find_case(cases, name);
        rwe::stats::CoxOptions options;
        options.ties = c.contains("ties") ? rwe::stats::CoxTies::breslow : rwe::stats::CoxTies::efron;
        const auto fit = rwe::stats::cox_regression(inline_data(c), options);
        expect_fit_matches(fit, c);
    }
    // Efron's null loglik is -sum_{r<d} log(n - r): 5 deaths among 7 at risk.
    const json& c = find_case(cases, "all_tied_efron");
    EXPECT_NEAR(rwe::stats::cox_regression(inline_data(c)).loglik_null,
                -(std::log(7.0) + std::log(6.0) + std::log(5.0) + std::log(4.0) + std::log(3.0)), 1e-12);
}

TEST(CoxCorner, NoRowsOrNoEventsGiveADiagnostic) {
    rwe::stats::CoxData data;
    data.stop = {1, 2, 3};
    data.event = {0, 0, 0};
    data.names = {"x"};
    data.x = {0.1, 0.2, 0.3};
    const auto fit = rwe::stats::cox_regression(data);
    EXPECT_EQ(fit.events, 0u);
    EXPECT_TRUE(has_diagnostic(fit, CoxDiagnostic::Kind::no_events, -1));
    EXPECT_TRUE(std::isnan(fit.coef[0]) || fit.coef[0] == 0);
    data.stop.clear();
    data.event.clear();
    data.x.clear();
    EXPECT_NO_THROW(rwe::stats::cox_regression(data));
}

// Command-line cases: CSV files with a missing value and unsorted rows.
class CoxCommandLine : public ::testing::TestWithParam<std::string> {};

TEST_P(CoxCommandLine, MatchesR) {
    const json cases = reference_cases();
    const json& c = find_case(cases, GetParam());
    SCOPED_TRACE(c["r_call"].get<std::string>());
    std::string arguments;
    bool has_time = false, counting = false;
    for (const auto& a : c["args"]) {
        arguments += " '" + a.get<std::string>() + "'";
        has_time = has_time || a == "--time";
        counting = counting || a == "--start";
    }
    const std::string csv = std::string(RWE_TEST_DATA_DIR) + "/" +
                            (c.contains("csv") ? c["csv"].get<std::string>()
                                               : counting ? "cox_counting.csv" : "cox_small.csv");
    if (!has_time) arguments += " --time time";
    const auto [status, output] = run_rwe(csv + " --event status --format json" + arguments);
    ASSERT_EQ(status, 0) << output;
    const json out = json::parse(output);
    const auto& co = out["coefficients"];
    ASSERT_EQ(co.size(), c["coef"].size());
    if (GetParam() == "text_factor_status_12") {  // R's names of a character column's dummies
        for (std::size_t k = 0; k < co.size(); ++k) EXPECT_EQ(co[k]["name"], c["names"][k]);
    }
    for (std::size_t k = 0; k < co.size(); ++k) {
        const double coef = co[k]["coef"].is_null() ? NAN : co[k]["coef"].get<double>();
        EXPECT_TRUE(near("coef", coef, c["coef"][k]));
        if (c["coef"][k].is_null()) continue;
        const json& se = c.contains("se_naive") ? c["se_naive"] : c["se"];
        EXPECT_TRUE(near("se", co[k]["se"].get<double>(), se[k]));
        if (c.contains("robust_se")) EXPECT_TRUE(near("robust_se", co[k]["robust_se"].get<double>(), c["robust_se"][k]));
        // summary(fit): z, p and the HR interval, from the robust SE in a robust fit
        EXPECT_TRUE(near("z", co[k]["z"].get<double>(), c["z"][k]));
        EXPECT_TRUE(near("p", co[k]["p"].get<double>(), c["p"][k]));
        EXPECT_TRUE(near("lower", co[k]["lower"].get<double>(), c["lower"][k]));
        EXPECT_TRUE(near("upper", co[k]["upper"].get<double>(), c["upper"][k]));
    }
    EXPECT_TRUE(near("loglik null", out["loglik"][0].get<double>(), c["loglik"][0]));
    EXPECT_TRUE(near("loglik", out["loglik"][1].get<double>(), c["loglik"][1]));
    EXPECT_TRUE(near("score", out["score"]["chisq"].get<double>(), c["score"]));
    EXPECT_TRUE(near("lr", out["lr"]["chisq"].get<double>(), c["lr"]));
    // R's fit$wald.test: the robust Wald test in a robust fit
    EXPECT_TRUE(near("wald", out["wald"]["chisq"].get<double>(), c["wald"]));
    EXPECT_EQ(out["variance"].get<std::string>(), c.contains("robust_se") ? "robust" : "model");
    if (c.contains("robust_score")) {
        EXPECT_TRUE(near("robust wald", out["robust_wald"]["chisq"].get<double>(), c["wald"]));
        EXPECT_TRUE(near("robust score", out["robust_score"]["chisq"].get<double>(), c["robust_score"]));
    }
    EXPECT_TRUE(near("concordance", out["concordance"].get<double>(), c["concordance"][0]));
    EXPECT_TRUE(near("concordance std", out["concordance_se"].get<double>(), c["concordance"][1]));
    EXPECT_EQ(out["iterations"].get<int>(), c["iterations"].get<int>());
    EXPECT_EQ(out["n"].get<int>(), c["n"].get<int>());
    EXPECT_EQ(out["events"].get<int>(), c["events"].get<int>());
    if (c.contains("zph")) {
        const auto& terms = out["zph"]["terms"];
        ASSERT_EQ(terms.size() + 1, c["zph"].size());
        for (std::size_t t = 0; t < terms.size(); ++t) {
            EXPECT_TRUE(near("zph " + terms[t]["term"].get<std::string>(), terms[t]["chisq"].get<double>(), c["zph"][t]));
        }
        EXPECT_TRUE(near("zph global", out["zph"]["global"]["chisq"].get<double>(), c["zph"][terms.size()]));
    }
}

INSTANTIATE_TEST_SUITE_P(R, CoxCommandLine,
                         ::testing::Values("weights_strata", "cluster_breslow", "factor_ref_b", "counting_efron",
                                           "counting_breslow", "robust_cluster", "robust_flag", "robust_weights",
                                           "zph_log_near_1e6", "zero_information", "text_factor_status_12"));

TEST(CoxCommandLineInput, FactorDummiesAreNamedLikeRAndMissingRowsCounted) {
    const std::string csv = std::string(RWE_TEST_DATA_DIR) + "/cox_small.csv";
    const auto [status, output] =
        run_rwe(csv + " --time time --event status --covariates x1,arm --factor arm:b --format json");
    ASSERT_EQ(status, 0) << output;
    const json out = json::parse(output);
    EXPECT_EQ(out["coefficients"][1]["name"], "arma");
    EXPECT_EQ(out["coefficients"][2]["name"], "armc");
    EXPECT_EQ(out["dropped"], 2);  // one missing x1, one missing arm
    EXPECT_EQ(out["n"], 58);
}

TEST(CoxCommandLineInput, BadValuesNameFileLineAndColumn) {
    const std::string path = testing::TempDir() + "cox_bad_event.csv";
    {
        std::ofstream f(path);
        f << "time,status,x\n5,1,0.1\n6,3,0.3\n";
    }
    auto [status, output] = run_rwe(path + " --time time --event status --covariates x");
    EXPECT_EQ(status, 1);
    EXPECT_NE(output.find(path + ":3: status: event code must be 0/1 (censored/event), 1/2 or TRUE/FALSE (3)"),
              std::string::npos)
        << output;
    std::tie(status, output) = run_rwe(path + " --time time --event status --covariates nope");
    EXPECT_EQ(status, 2);
    EXPECT_NE(output.find("no column 'nope'"), std::string::npos) << output;
    {
        std::ofstream f(path);
        f << "time,status,x\n5,1,0.1\n6,0,-1\n";
    }
    std::tie(status, output) = run_rwe(path + " --time time --event status --covariates 'log(x)'");
    EXPECT_EQ(status, 1);
    EXPECT_NE(output.find(":3: x: log() of a value that is not positive (-1)"), std::string::npos) << output;
}

// One cluster: R's coxph(Surv(time, status) ~ x + cluster(one), data = robust), one = 1,
// reports a robust SE of 1.2e-11 (the dfbeta residuals sum to zero over the data); rwe stops
// with a message instead.
TEST(CoxCommandLineInput, SingleClusterIsAClearError) {
    const std::string path = testing::TempDir() + "cox_one_cluster.csv";
    {
        std::ofstream f(path);
        f << "time,status,x,id\n1,1,1,7\n2,1,0,7\n3,0,1,7\n4,1,1,7\n5,1,0,7\n";
    }
    const auto [status, output] = run_rwe(path + " --time time --event status --covariates x --cluster id");
    EXPECT_EQ(status, 1);
    EXPECT_NE(output.find("--cluster id: the rows used form a single cluster"), std::string::npos) << output;
}

// Messages that say what happened. No events: R's coxph(Surv(time, status) ~ x + y,
// data.frame(time = 1:3, status = 0, x = c(1, 3, 2), y = c(2, 1, 2))) gives NA coefficients,
// iter 0 and "Likelihood ratio test=0 on 0 df, p=1"; rwe says "no events", not that every
// covariate was dropped as collinear. One row: R stops; rwe says it is a single row, not that
// the fit did not converge.
TEST(CoxCommandLineInput, NoEventsAndOneRowSayWhatHappened) {
    const std::string path = testing::TempDir() + "cox_no_events.csv";
    {
        std::ofstream f(path);
        f << "time,status,x,y\n1,0,1,2\n2,0,3,1\n3,0,2,2\n";
    }
    auto [status, output] = run_rwe(path + " --time time --event status --covariates x,y --format json");
    ASSERT_EQ(status, 0) << output;
    json out = json::parse(output);
    EXPECT_EQ(out["iterations"], 0);
    EXPECT_EQ(out["lr"]["df"], 0);
    EXPECT_EQ(out["lr"]["p"].get<double>(), 1.0);
    ASSERT_EQ(out["diagnostics"].size(), 1u) << output;
    EXPECT_EQ(out["diagnostics"][0], "no events: nothing to fit");
    {
        std::ofstream f(path);
        f << "time,status,x\n5,1,2\n";
    }
    std::tie(status, output) = run_rwe(path + " --time time --event status --covariates x");
    ASSERT_EQ(status, 0) << output;
    EXPECT_NE(output.find("a single row: a Cox model needs at least two rows"), std::string::npos) << output;
    EXPECT_EQ(output.find("did not converge"), std::string::npos) << output;
}

TEST(CoxZphResiduals, ScaledSchoenfeldResidualsAverageToTheCoefficient) {
    // sum over events of the Schoenfeld residuals is the score U(beta_hat) = 0, so the scaled
    // residuals beta_hat + d V r average to beta_hat.
    const json cases = reference_cases();
    const json& c = find_case(cases, "constant_covariate");
    const auto data = inline_data(c);
    const auto fit = rwe::stats::cox_regression(data);
    const auto zph = rwe::stats::cox_zph(data, fit);
    ASSERT_EQ(zph.columns.size(), 1u);  // the NA covariate leaves, as in R
    ASSERT_EQ(zph.event_time.size(), fit.events);
    double mean = 0;
    for (double r : zph.scaled_residuals) mean += r;
    mean /= static_cast<double>(zph.scaled_residuals.size());
    EXPECT_NEAR(mean, fit.coef[0], 1e-6 * std::fabs(fit.coef[0]));
    for (std::size_t i = 1; i < zph.event_time.size(); ++i) EXPECT_LE(zph.event_time[i - 1], zph.event_time[i]);
}

// The O(n) sort behind the risk sets and the concordance ranks (two threads above 2^21
// values) against the library's stable comparison sort: descending, ties in input order.
TEST(CoxSort, RadixOrderMatchesStableSortOnManyValues) {
    const std::size_t n = (std::size_t{1} << 21) + 12345;
    std::mt19937_64 rng(7);
    std::normal_distribution<double> normal;
    std::vector<double> values(n);
    for (auto& v : values) v = std::round(normal(rng) * 1e4) / 1e3;  // ties, both signs
    std::vector<std::size_t> expected(n);
    std::iota(expected.begin(), expected.end(), std::size_t{0});
    std::stable_sort(expected.begin(), expected.end(),
                     [&](std::size_t a, std::size_t b) { return values[a] > values[b]; });
    EXPECT_EQ(rwe::stats::detail::radix_order_descending(values), expected);
}

// cox_regression(CoxData&&) fits the same model as the const& overload, bit for bit, and
// leaves the input empty (its rows are released once the sorted copy is made). Counting
// process data with weights, clusters and a dropped row (a missing covariate).
TEST(CoxCorner, FitFromAMovedInputIsTheSameAndReleasesIt) {
    for (const bool drop : {true, false}) {  // with a dropped row, and with every row used
        SCOPED_TRACE(drop ? "a row dropped" : "every row used");
        rwe::stats::CoxData data;
        std::mt19937 generator(7);
        std::uniform_real_distribution<double> uniform(0.0, 1.0);
        for (int i = 0; i < 400; ++i) {
            const double start = std::floor(uniform(generator) * 20);
            data.start.push_back(start);
            data.stop.push_back(start + 1 + std::floor(uniform(generator) * 30));
            data.event.push_back(uniform(generator) < 0.4 ? 1 : 0);
            data.weight.push_back(0.5 + uniform(generator));
            data.cluster.push_back(i / 3);
            data.x.push_back(i == 17 && drop ? NAN : uniform(generator) < 0.5 ? 1.0 : 0.0);
            data.x.push_back(uniform(generator) * 2);
        }
        data.names = {"a", "b"};
        rwe::stats::CoxOptions options;
        options.variance = rwe::stats::CoxVariance::robust;
        const auto kept = rwe::stats::cox_regression(data, options);
        rwe::stats::CoxData moved = data;
        const auto released = rwe::stats::cox_regression(std::move(moved), options);
        EXPECT_TRUE(moved.start.empty() && moved.stop.empty() && moved.event.empty() && moved.weight.empty() &&
                    moved.cluster.empty() && moved.x.empty());
        EXPECT_EQ(kept.n, drop ? 399u : 400u);
        EXPECT_EQ(released.n, kept.n);
        EXPECT_EQ(released.coef, kept.coef);
        EXPECT_EQ(released.robust_se, kept.robust_se);
        EXPECT_EQ(released.se, kept.se);
        EXPECT_EQ(released.loglik_final, kept.loglik_final);
    }
}

}  // namespace
