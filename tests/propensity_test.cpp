// Tests of the propensity-score methods (docs/methods.md §8): the logistic model against R's
// glm(family = binomial), weights and balance against R's arithmetic on R's fitted values,
// nearest-neighbour matching against MatchIt::matchit(method = "nearest")
// (tests/data/propensity_reference.json, made by tests/data/propensity_reference.R on
// tests/data/ps_lalonde.csv and ps_pbc.csv) through `rwe propensity`; hand-worked examples
// for the estimators and the E-value.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "r_reference.hpp"
#include "rwe/stats/covariate_balance.hpp"
#include "rwe/stats/e_value.hpp"
#include "rwe/stats/logistic_regression.hpp"
#include "rwe/stats/propensity_matching.hpp"
#include "rwe/stats/propensity_weights.hpp"

namespace {

namespace fs = std::filesystem;
namespace stats = rwe::stats;
using nlohmann::json;
using rwe::test::expect_values;
using rwe::test::r_value;
using rwe::test::same;

const fs::path data_dir = RWE_TEST_DATA_DIR;

std::string run_command(const std::string& arguments, int* status) {
    const std::string command = std::string(RWE_BINARY) + " " + arguments + " 2>&1";
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
    std::string out;
    char buffer[65536];
    while (std::size_t got = std::fread(buffer, 1, sizeof buffer, pipe.get())) out.append(buffer, got);
    const int rc = pclose(pipe.release());
    *status = WEXITSTATUS(rc);
    return out;
}

json run_json(const std::string& arguments) {
    int status = 0;
    const std::string out = run_command(arguments + " --format json", &status);
    EXPECT_EQ(status, 0) << arguments << "\n" << out;
    return json::parse(out, nullptr, false);
}

// The --weights-out file: row -> (ps, weight).
std::map<int, std::pair<double, double>> read_weights(const fs::path& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "row,treatment,ps,weight");
    std::map<int, std::pair<double, double>> out;
    while (std::getline(in, line)) {
        std::stringstream cells(line);
        std::string row, treatment, ps, weight;
        std::getline(cells, row, ',');
        std::getline(cells, treatment, ',');
        std::getline(cells, ps, ',');
        std::getline(cells, weight, ',');
        out[std::stoi(row)] = {std::stod(ps), std::stod(weight)};
    }
    return out;
}

void expect_balance(const std::string& label, const json& got, const json& want, double tolerance) {
    ASSERT_EQ(got.size(), want.size()) << label;
    for (std::size_t k = 0; k < want.size(); ++k) {
        const auto& g = got[k];
        const auto& w = want[k];
        const std::string row = label + " " + w["name"].get<std::string>();
        EXPECT_EQ(g["name"], w["name"]) << row;
        EXPECT_EQ(g["binary"], w["binary"]) << row;
        for (const char* key : {"mean_treated", "mean_control", "smd", "variance_ratio", "mean_treated_adjusted",
                                "mean_control_adjusted", "smd_adjusted", "variance_ratio_adjusted"}) {
            EXPECT_TRUE(same(r_value(g[key]), r_value(w[key]), tolerance)) << row << " " << key << ": rwe " << g[key] << " vs R " << w[key];
        }
    }
}

struct Reference {
    json doc;
    Reference() {
        std::ifstream in(data_dir / "propensity_reference.json");
        doc = json::parse(in, nullptr, false);
    }
};

const json& reference() {
    static const Reference r;
    return r.doc;
}

std::string base_arguments(const json& c) {
    std::string covariates;
    for (const auto& v : c["covariates"]) covariates += (covariates.empty() ? "" : ",") + v.get<std::string>();
    std::string arguments = "propensity " + (data_dir / c["csv"].get<std::string>()).string() + " --treatment treat --covariates " + covariates;
    for (const auto& f : c["factors"]) arguments += " --factor " + f.get<std::string>();
    return arguments;
}

// The model: glm's coefficients, SEs, z, p, deviances, AIC and iterations (iterative: 1e-6;
// the iterations equal), and the fitted values per row.
TEST(PropensityGolden, ModelMatchesGlm) {
    const json& ref = reference();
    ASSERT_FALSE(ref.is_discarded()) << "missing or bad propensity_reference.json";
    ASSERT_EQ(ref["cases"].size(), 2u);
    const fs::path out = fs::temp_directory_path() / ("rwe_ps_model_" + std::to_string(::getpid()) + ".csv");
    for (const auto& c : ref["cases"]) {
        SCOPED_TRACE(c["name"].get<std::string>() + " — R: " + c["r_call"].get<std::string>());
        const json got = run_json(base_arguments(c) + " --weights-out " + out.string());
        ASSERT_FALSE(got.is_discarded());
        EXPECT_EQ(got["n"], c["n"]);
        EXPECT_EQ(got["dropped"], c["dropped"]);
        const auto& model = got["model"];
        std::vector<double> coef, se, z, p;
        std::vector<std::string> names;
        for (const auto& k : model["coefficients"]) {
            names.push_back(k["name"]);
            coef.push_back(r_value(k["coef"]));
            se.push_back(r_value(k["se"]));
            z.push_back(r_value(k["z"]));
            p.push_back(r_value(k["p"]));
        }
        EXPECT_EQ(json(names), c["coef_names"]);
        constexpr double tolerance = 1e-6;
        expect_values("coef", coef, c["coef"], tolerance);
        expect_values("se", se, c["se"], tolerance);
        expect_values("z", z, c["z"], tolerance);
        expect_values("p", p, c["p"], tolerance);
        for (const char* key : {"null_deviance", "deviance", "aic"}) {
            EXPECT_TRUE(same(r_value(model[key]), r_value(c[key]), 1e-9)) << key << ": rwe " << model[key] << " vs R " << c[key];
        }
        EXPECT_EQ(model["df_null"], c["df_null"]);
        EXPECT_EQ(model["df_residual"], c["df_residual"]);
        EXPECT_EQ(model["iterations"], c["iterations"]);
        EXPECT_EQ(model["converged"], c["converged"]);
        EXPECT_TRUE(got["messages"].empty()) << got["messages"];
        const auto weights = read_weights(out);
        ASSERT_EQ(weights.size(), c["rows"].size());
        std::vector<double> fitted;
        for (const auto& row : c["rows"]) fitted.push_back(weights.at(row.get<int>()).first);
        expect_values("fitted", fitted, c["fitted"], tolerance);
    }
    fs::remove(out);
}

// Weights (ATE, ATT, stabilized, trimmed, truncated): each unit's weight, the number trimmed,
// the cap, the treated share, Kish's ESS per group and the balance table. Closed form given
// the fitted values, which agree to ~1e-9: 1e-6.
TEST(PropensityGolden, WeightsAndBalance) {
    const json& ref = reference();
    ASSERT_FALSE(ref.is_discarded());
    const fs::path out = fs::temp_directory_path() / ("rwe_ps_weights_" + std::to_string(::getpid()) + ".csv");
    std::size_t checked = 0;
    for (const auto& c : ref["cases"]) {
        for (const auto& w : c["weights"]) {
            SCOPED_TRACE(c["name"].get<std::string>() + " — R: " + w["r_call"].get<std::string>());
            std::string arguments = base_arguments(c) + " --estimand " + w["estimand"].get<std::string>() + " --weights-out " + out.string();
            if (w["stabilize"].get<bool>()) arguments += " --stabilize";
            if (w["trim"].get<double>() > 0) arguments += " --trim " + w["trim"].dump();
            if (w["truncate"].get<double>() > 0) arguments += " --truncate " + w["truncate"].dump();
            const json got = run_json(arguments);
            ASSERT_FALSE(got.is_discarded());
            constexpr double tolerance = 1e-6;
            const auto weights = read_weights(out);
            std::vector<double> have;
            for (const auto& row : c["rows"]) have.push_back(weights.at(row.get<int>()).second);
            expect_values("weight", have, w["weight"], tolerance);
            EXPECT_EQ(got["weighting"]["trimmed"], w["trimmed"]);
            EXPECT_TRUE(same(r_value(got["weighting"]["cap"]), r_value(w["cap"]), tolerance));
            EXPECT_TRUE(same(r_value(got["weighting"]["treated_share"]), r_value(w["treated_share"]), 1e-12));
            EXPECT_TRUE(same(r_value(got["weights"]["treated"]["ess"]), r_value(w["ess_treated"]), tolerance));
            EXPECT_TRUE(same(r_value(got["weights"]["control"]["ess"]), r_value(w["ess_control"]), tolerance));
            expect_balance("balance", got["balance"], w["balance"], tolerance);
            ++checked;
        }
    }
    EXPECT_EQ(checked, 9u);
    fs::remove(out);
}

// Matching: the same matched sets as MatchIt (each treated unit's controls, as a set), the
// same weights, ESS and balance.
TEST(PropensityGolden, MatchingMatchesMatchIt) {
    const json& ref = reference();
    ASSERT_FALSE(ref.is_discarded());
    const fs::path out = fs::temp_directory_path() / ("rwe_ps_match_" + std::to_string(::getpid()) + ".csv");
    std::size_t checked = 0;
    for (const auto& c : ref["cases"]) {
        for (const auto& m : c["matching"]) {
            SCOPED_TRACE(c["name"].get<std::string>() + " — R: " + m["r_call"].get<std::string>());
            std::string arguments = base_arguments(c) + " --match " + m["ratio"].dump() + " --order " + m["order"].get<std::string>() +
                                    " --weights-out " + out.string();
            if (!m["caliper"].is_null()) arguments += " --caliper " + m["caliper"].dump();
            if (m["replace"].get<bool>()) arguments += " --replace";
            const json got = run_json(arguments);
            ASSERT_FALSE(got.is_discarded());
            std::map<int, std::vector<int>> want_sets, have_sets;
            for (const auto& s : m["sets"]) {
                auto controls = s["controls"].get<std::vector<int>>();
                std::sort(controls.begin(), controls.end());
                want_sets[s["treated"].get<int>()] = controls;
            }
            for (const auto& s : got["matching"]["sets"]) {
                auto controls = s["controls"].get<std::vector<int>>();
                std::sort(controls.begin(), controls.end());
                have_sets[s["treated"].get<int>()] = controls;
            }
            ASSERT_EQ(have_sets.size(), want_sets.size());
            std::size_t differ = 0;
            for (const auto& [treated, controls] : want_sets) {
                if (have_sets[treated] != controls && ++differ <= 5) {
                    ADD_FAILURE() << "treated row " << treated << ": rwe " << json(have_sets[treated]) << " vs MatchIt " << json(controls);
                }
            }
            EXPECT_EQ(differ, 0u);
            EXPECT_EQ(got["matching"]["matched_treated"], m["matched_treated"]);
            EXPECT_EQ(got["matching"]["matched_controls"], m["matched_controls"]);
            const auto weights = read_weights(out);
            std::vector<double> have;
            for (const auto& row : c["rows"]) have.push_back(weights.at(row.get<int>()).second);
            expect_values("weight", have, m["weight"], 1e-9);
            EXPECT_TRUE(same(r_value(got["weights"]["treated"]["ess"]), r_value(m["ess_treated"]), 1e-9));
            EXPECT_TRUE(same(r_value(got["weights"]["control"]["ess"]), r_value(m["ess_control"]), 1e-9));
            expect_balance("balance", got["balance"], m["balance"], 1e-9);
            ++checked;
        }
    }
    EXPECT_EQ(checked, 9u);
    fs::remove(out);
}

// Separation: R's warnings in R's words, the same iteration count and convergence flag, and
// the diverging coefficients named — also under quasi-complete separation, where R is silent
// (flag: R's estimate 20.31 with SE 5490; x and z: 38.9 and 3.68 with SEs 72,000 and 27,000).
TEST(PropensityGolden, SeparationIsReportedAsGlmDoes) {
    const json& ref = reference();
    ASSERT_FALSE(ref.is_discarded());
    ASSERT_EQ(ref["separation"].size(), 2u);
    const std::vector<std::vector<std::string>> diverging{{"x", "z"}, {"flag"}};
    for (std::size_t i = 0; i < 2; ++i) {
        const auto& c = ref["separation"][i];
        SCOPED_TRACE(c["name"].get<std::string>() + " — R: " + c["r_call"].get<std::string>());
        std::string covariates;
        for (const auto& v : c["covariates"]) covariates += (covariates.empty() ? "" : ",") + v.get<std::string>();
        const json got = run_json("propensity " + (data_dir / c["csv"].get<std::string>()).string() + " --treatment treat --covariates " + covariates);
        ASSERT_FALSE(got.is_discarded());
        EXPECT_EQ(got["model"]["iterations"], c["iterations"]);
        EXPECT_EQ(got["model"]["converged"], c["converged"]);
        const std::string messages = got["messages"].dump();
        for (const auto& warning : c["warnings"]) {
            std::string text = warning.get<std::string>();
            if (text.rfind("glm.fit: ", 0) == 0) text = text.substr(9);
            EXPECT_NE(messages.find(text), std::string::npos) << "R warns: " << text << "\nrwe: " << messages;
        }
        for (const auto& name : diverging[i]) {
            EXPECT_NE(messages.find("coefficient " + name + " may be infinite"), std::string::npos) << messages;
        }
        EXPECT_EQ(messages.find("coefficient age may be infinite"), std::string::npos) << messages;
    }
}

// A 2 x 2 table has a closed-form logistic fit: treated/control counts 3/5 at x = 0 and 6/2
// at x = 1 give intercept log(3/5), slope log((6/2)/(3/5)) = log 5, SE of the slope
// sqrt(1/3 + 1/5 + 1/6 + 1/2), of the intercept sqrt(1/3 + 1/5); the deviance is
// -2 sum log of the fitted cell probabilities (3/8, 6/8). Rows deliberately unsorted. The
// SEs, as R's, come from the working weights of the last iteration (before its update), so
// they equal the closed form to the convergence precision only: 1e-6.
TEST(LogisticRegression, TwoByTwoTableByHand) {
    std::vector<double> y, x;
    auto add = [&](double xv, double yv, int count) {
        for (int i = 0; i < count; ++i) {
            y.push_back(yv);
            x.push_back(xv);
        }
    };
    add(1, 1, 3);
    add(0, 0, 5);
    add(1, 0, 2);
    add(0, 1, 3);
    add(1, 1, 3);
    const auto fit = stats::logistic_regression(y, x, {"x"});
    ASSERT_TRUE(fit.converged);
    EXPECT_NEAR(fit.coef[0], std::log(3.0 / 5.0), 1e-9);
    EXPECT_NEAR(fit.coef[1], std::log(5.0), 1e-9);
    EXPECT_NEAR(fit.se[0], std::sqrt(1.0 / 3 + 1.0 / 5), 1e-6);
    EXPECT_NEAR(fit.se[1], std::sqrt(1.0 / 3 + 1.0 / 5 + 1.0 / 6 + 1.0 / 2), 1e-6);
    const double deviance = -2 * (3 * std::log(3.0 / 8) + 5 * std::log(5.0 / 8) + 6 * std::log(6.0 / 8) + 2 * std::log(2.0 / 8));
    EXPECT_NEAR(fit.deviance, deviance, 1e-9);
    const double null = -2 * (9 * std::log(9.0 / 16) + 7 * std::log(7.0 / 16));
    EXPECT_NEAR(fit.null_deviance, null, 1e-12);
    EXPECT_NEAR(fit.aic, deviance + 4, 1e-9);
    EXPECT_NEAR(fit.fitted[0], 6.0 / 8, 1e-9);
    EXPECT_NEAR(fit.fitted[3], 3.0 / 8, 1e-9);
    EXPECT_TRUE(fit.messages.empty());
}

// Complete separation (x < 3 all controls, x > 3 all treated): R warns "fitted
// probabilities numerically 0 or 1 occurred"; the slope diverges. rwe says so.
TEST(LogisticRegression, SeparationIsReported) {
    const std::vector<double> y{0, 0, 0, 1, 1, 1, 0, 1};
    const std::vector<double> x{1, 2, 2.5, 4, 5, 6, 0.5, 3.5};
    const auto fit = stats::logistic_regression(y, x, {"x"});
    EXPECT_TRUE(fit.fitted_zero_or_one);
    bool warned = false, infinite = false;
    for (const auto& m : fit.messages) {
        warned = warned || m.find("fitted probabilities numerically 0 or 1 occurred") != std::string::npos;
        infinite = infinite || m.find("coefficient x may be infinite") != std::string::npos;
    }
    EXPECT_TRUE(warned);
    EXPECT_TRUE(infinite);
    EXPECT_GT(fit.coef[1], 5);
}

// A column equal to twice another is aliased: NA (NaN) estimates and a message, the rest
// fitted as without it (R's glm: coefficient "not defined because of singularities").
TEST(LogisticRegression, CollinearColumnIsAliased) {
    const std::vector<double> y{0, 1, 0, 1, 1, 0, 1, 0};
    std::vector<double> x;
    const std::vector<double> a{1, 2, 3, 4, 5, 6, 2, 1};
    for (double v : a) {
        x.push_back(v);
        x.push_back(2 * v);
    }
    const auto fit = stats::logistic_regression(y, x, {"a", "a2"});
    const auto alone = stats::logistic_regression(y, a, {"a"});
    EXPECT_TRUE(fit.aliased[2]);
    EXPECT_TRUE(std::isnan(fit.coef[2]));
    EXPECT_NEAR(fit.coef[1], alone.coef[1], 1e-12);
    EXPECT_EQ(fit.rank, 2u);
    ASSERT_FALSE(fit.messages.empty());
    EXPECT_NE(fit.messages[0].find("a2 not defined because of singularities"), std::string::npos);
}

// 400 rows of 24 distinct (outcome, covariates) patterns: fitted once per pattern with its
// count as a prior weight (docs/methods.md §8.1), the same fit as R's row by row:
//   i <- 0:399; a <- i %% 2; b <- (i %/% 2) %% 3; c <- (i %/% 6) %% 2
//   y <- as.integer((i * 7) %% 11 < 3 + a + b); m <- glm(y ~ a + b + c, family = binomial)
//   coef -0.91411281463199101 0.33910929498141618 0.3771919911458701 -0.011478545732677507
//   se 0.22441906183013674 0.20645414464180789 0.12736604209515365 0.20631948575651107
//   deviance 529.90516980918119, null 541.48683738796046, aic 537.90516980918119, iter 4
// The same rows with one continuous column added (no two rows alike) are fitted row by row;
// the collapsed fit's per-row fitted values are those of the rows' patterns.
TEST(LogisticRegression, IdenticalRowsFittedOnceEqualGlmRowByRow) {
    std::vector<double> y, x;
    for (int i = 0; i < 400; ++i) {
        y.push_back((i * 7) % 11 < 3 + i % 2 + (i / 2) % 3 ? 1.0 : 0.0);
        x.insert(x.end(), {static_cast<double>(i % 2), static_cast<double>((i / 2) % 3), static_cast<double>((i / 6) % 2)});
    }
    const auto fit = stats::logistic_regression(y, x, {"a", "b", "c"});
    const double coef[] = {-0.91411281463199101, 0.33910929498141618, 0.3771919911458701, -0.011478545732677507};
    const double se[] = {0.22441906183013674, 0.20645414464180789, 0.12736604209515365, 0.20631948575651107};
    for (int k = 0; k < 4; ++k) {
        EXPECT_NEAR(fit.coef[k], coef[k], 1e-9) << k;
        EXPECT_NEAR(fit.se[k], se[k], 1e-7) << k;
    }
    EXPECT_NEAR(fit.deviance, 529.90516980918119, 1e-9);
    EXPECT_NEAR(fit.null_deviance, 541.48683738796046, 1e-9);
    EXPECT_NEAR(fit.aic, 537.90516980918119, 1e-9);
    EXPECT_EQ(fit.iterations, 4);
    EXPECT_EQ(fit.n, 400u);
    EXPECT_EQ(fit.df_residual, 396u);
    ASSERT_EQ(fit.fitted.size(), 400u);
    for (int i = 0; i < 400; ++i) {
        const double eta = coef[0] + coef[1] * (i % 2) + coef[2] * ((i / 2) % 3) + coef[3] * ((i / 6) % 2);
        ASSERT_NEAR(fit.linear_predictor[i], eta, 1e-8) << i;
        ASSERT_NEAR(fit.fitted[i], 1 / (1 + std::exp(-eta)), 1e-9) << i;
    }
    // A constant column adds no pattern: aliased (R's NA), the rest as before.
    std::vector<double> x2;
    for (int i = 0; i < 400; ++i) x2.insert(x2.end(), {x[3 * i], x[3 * i + 1], x[3 * i + 2], 5.0});
    const auto constant = stats::logistic_regression(y, x2, {"a", "b", "c", "five"});
    EXPECT_TRUE(constant.aliased[4]);
    for (int k = 0; k < 4; ++k) EXPECT_NEAR(constant.coef[k], coef[k], 1e-9) << k;
    // A continuous column (d <- sin(i)) makes every row its own pattern: fitted row by row.
    //   glm(y ~ a + b + c + d): coef -0.91416554128419991 0.33911257774380504
    //   0.37717939102539205 -0.011416079067034878 0.0067176204085058209; se 0.22442316645404733
    //   0.2064547373684481 0.12736656891811771 0.20632450121174672 0.14607215669776147;
    //   deviance 529.90305486608486, iter 4
    std::vector<double> x3;
    for (int i = 0; i < 400; ++i) x3.insert(x3.end(), {x[3 * i], x[3 * i + 1], x[3 * i + 2], std::sin(static_cast<double>(i))});
    const auto rows = stats::logistic_regression(y, x3, {"a", "b", "c", "d"});
    const double coef3[] = {-0.91416554128419991, 0.33911257774380504, 0.37717939102539205, -0.011416079067034878, 0.0067176204085058209};
    const double se3[] = {0.22442316645404733, 0.2064547373684481, 0.12736656891811771, 0.20632450121174672, 0.14607215669776147};
    for (int k = 0; k < 5; ++k) {
        EXPECT_NEAR(rows.coef[k], coef3[k], 1e-9) << k;
        EXPECT_NEAR(rows.se[k], se3[k], 1e-7) << k;
    }
    EXPECT_NEAR(rows.deviance, 529.90305486608486, 1e-9);
    EXPECT_EQ(rows.iterations, 4);
}

// Weights by hand: ps 0.2 and 0.8 for the treated, 0.5 and 0.25 for the controls.
// ATE: 1/0.2 = 5, 1/0.8 = 1.25, 1/0.5 = 2, 1/0.75 = 4/3; stabilized by P(A = 1) = 1/2.
// ATT: 1, 1, 0.5/0.5 = 1, 0.25/0.75 = 1/3. Trim 0.21 drops the units at 0.2 and 0.8.
// Truncation at the 0.5 quantile of (5, 1.25, 2, 4/3): (4/3 + 2)/2 = 5/3.
TEST(PropensityWeights, ByHand) {
    const std::vector<double> treated{1, 1, 0, 0};
    const std::vector<double> ps{0.2, 0.8, 0.5, 0.25};
    auto ate = stats::propensity_weights(treated, ps);
    EXPECT_DOUBLE_EQ(ate.weight[0], 5);
    EXPECT_DOUBLE_EQ(ate.weight[1], 1.25);
    EXPECT_DOUBLE_EQ(ate.weight[2], 2);
    EXPECT_DOUBLE_EQ(ate.weight[3], 4.0 / 3);
    stats::PropensityWeightOptions options;
    options.stabilize = true;
    auto stabilized = stats::propensity_weights(treated, ps, options);
    EXPECT_DOUBLE_EQ(stabilized.weight[0], 2.5);
    EXPECT_DOUBLE_EQ(stabilized.weight[3], 2.0 / 3);
    options = {};
    options.estimand = stats::Estimand::att;
    auto att = stats::propensity_weights(treated, ps, options);
    EXPECT_DOUBLE_EQ(att.weight[0], 1);
    EXPECT_DOUBLE_EQ(att.weight[2], 1);
    EXPECT_DOUBLE_EQ(att.weight[3], 1.0 / 3);
    options = {};
    options.trim = 0.21;
    auto trimmed = stats::propensity_weights(treated, ps, options);
    EXPECT_EQ(trimmed.n_trimmed, 2u);
    EXPECT_EQ(trimmed.weight[0], 0);
    EXPECT_EQ(trimmed.weight[1], 0);
    EXPECT_DOUBLE_EQ(trimmed.weight[2], 2);
    options = {};
    options.truncate = 0.5;
    auto truncated = stats::propensity_weights(treated, ps, options);
    EXPECT_DOUBLE_EQ(truncated.cap, 5.0 / 3);
    EXPECT_DOUBLE_EQ(truncated.weight[0], 5.0 / 3);
    EXPECT_DOUBLE_EQ(truncated.weight[2], 5.0 / 3);
    EXPECT_DOUBLE_EQ(truncated.weight[1], 1.25);
    EXPECT_EQ(truncated.n_truncated, 2u);
    // Kish: weights 5 and 1.25 -> 6.25^2 / (25 + 1.5625) = 1.4705882...
    EXPECT_DOUBLE_EQ(stats::effective_sample_size(ate.weight, treated, 1), 6.25 * 6.25 / 26.5625);
}

// Matching by hand: treated at 0.3 and 0.6, controls at 0.1, 0.35, 0.5, 0.62, 0.9 (data
// order shuffled). Largest first: 0.6 takes 0.62, then 0.3 takes 0.35; the second round
// gives 0.6 the 0.5 and 0.3 the 0.1. Weights: each control 1/2, scaled to sum to the 4
// matched controls: 1. With replacement 1:1 both take their nearest: the same pairs. A
// caliper of 0.1 SD of the distance (sd = 0.25964...) is 0.0260: only the 0.6-0.62 pair.
TEST(PropensityMatching, ByHand) {
    const std::vector<double> treated{0, 1, 0, 0, 1, 0, 0};
    const std::vector<double> ps{0.5, 0.6, 0.1, 0.9, 0.3, 0.62, 0.35};
    stats::MatchingOptions options;
    options.ratio = 2;
    const auto two = stats::nearest_neighbour_matching(treated, ps, options);
    ASSERT_EQ(two.treated_units, (std::vector<std::size_t>{1, 4}));
    EXPECT_EQ(two.matches[0], (std::vector<std::size_t>{5, 0}));
    EXPECT_EQ(two.matches[1], (std::vector<std::size_t>{6, 2}));
    EXPECT_EQ(two.weight, (std::vector<double>{1, 1, 1, 0, 1, 1, 1}));
    options.ratio = 1;
    options.replace = true;
    const auto one = stats::nearest_neighbour_matching(treated, ps, options);
    EXPECT_EQ(one.matches[0], (std::vector<std::size_t>{5}));
    EXPECT_EQ(one.matches[1], (std::vector<std::size_t>{6}));
    options.replace = false;
    options.caliper = 0.1;
    const auto caliper = stats::nearest_neighbour_matching(treated, ps, options);
    EXPECT_NEAR(caliper.caliper_distance, 0.1 * 0.25964261151491624, 1e-12);
    EXPECT_EQ(caliper.matches[0], (std::vector<std::size_t>{5}));
    EXPECT_TRUE(caliper.matches[1].empty());
    EXPECT_EQ(caliper.unmatched_treated, 1u);
    EXPECT_EQ(caliper.weight[4], 0);
    // Two controls sharing one treated unit with replacement: 0.3 and 0.35 both nearest to
    // the control at 0.33 -> its raw weight 2, scaled to the one matched control: 1.
    const std::vector<double> t2{1, 1, 0, 0};
    const std::vector<double> p2{0.3, 0.35, 0.33, 0.9};
    options = {};
    options.replace = true;
    const auto shared = stats::nearest_neighbour_matching(t2, p2, options);
    EXPECT_EQ(shared.weight, (std::vector<double>{1, 1, 1, 0}));
    EXPECT_EQ(shared.matched_controls, 1u);
}

// Balance by hand: x = (1, 3) treated, (2, 4, 6) controls; ATE denominator
// sqrt((var_t + var_c)/2) = sqrt((2 + 4)/2) = sqrt 3; SMD (2 - 4)/sqrt 3; VR 2/4. With
// weights (1, 1) and (2, 1, 1) the control mean is (4 + 4 + 6)/4 = 3.5.
TEST(CovariateBalance, ByHand) {
    const std::vector<double> treated{1, 1, 0, 0, 0};
    const std::vector<double> x{1, 3, 2, 4, 6};
    const std::vector<double> w{1, 1, 2, 1, 1};
    const auto table = stats::covariate_balance(treated, x, {"x"}, w, stats::Estimand::ate);
    ASSERT_EQ(table.rows.size(), 1u);
    const auto& row = table.rows[0];
    EXPECT_FALSE(row.binary);
    EXPECT_DOUBLE_EQ(row.smd, -2 / std::sqrt(3.0));
    EXPECT_DOUBLE_EQ(row.variance_ratio, 0.5);
    EXPECT_DOUBLE_EQ(row.mean_control_adjusted, 3.5);
    EXPECT_DOUBLE_EQ(row.smd_adjusted, -1.5 / std::sqrt(3.0));
    EXPECT_DOUBLE_EQ(table.ess_control, 16.0 / 6);
    const auto att = stats::covariate_balance(treated, x, {"x"}, w, stats::Estimand::att);
    EXPECT_DOUBLE_EQ(att.rows[0].smd, -2 / std::sqrt(2.0));
}

// VanderWeele & Ding (2017), Ann Intern Med 167:268, worked example: RR 3.9 (1.8, 8.7)
// has E-value 3.9 + sqrt(3.9 x 2.9) = 7.26 and 1.8 + sqrt(1.8 x 0.8) = 3.0 for the lower
// limit. Protective HR 0.5 (0.3, 0.8), rare: 2 + sqrt 2 and 1.25 + sqrt(1.25 x 0.25).
// Common outcome HR 2: RR = (1 - 0.5^sqrt 2)/(1 - 0.5^sqrt(1/2)) = 0.624786/0.387453 = 1.612547.
TEST(EValue, PublishedAndHandWorked) {
    auto e = stats::e_value_hazard_ratio(3.9, 1.8, 8.7, true);
    EXPECT_NEAR(e.point, 3.9 + std::sqrt(3.9 * 2.9), 1e-12);
    EXPECT_NEAR(e.point, 7.26, 0.005);
    EXPECT_NEAR(e.limit, 3.0, 1e-12);
    e = stats::e_value_hazard_ratio(0.5, 0.3, 0.8, true);
    EXPECT_NEAR(e.point, 2 + std::sqrt(2.0), 1e-12);
    EXPECT_NEAR(e.limit, 1.25 + std::sqrt(1.25 * 0.25), 1e-12);
    e = stats::e_value_hazard_ratio(1.3, 0.9, 1.8, true);
    EXPECT_EQ(e.limit, 1);
    e = stats::e_value_hazard_ratio(2, 1.5, 3, false);
    const double rr = (1 - std::pow(0.5, std::sqrt(2.0))) / (1 - std::pow(0.5, std::sqrt(0.5)));
    EXPECT_NEAR(e.rr, 1.612547, 1e-6);
    EXPECT_NEAR(e.point, rr + std::sqrt(rr * (rr - 1)), 1e-12);
}

TEST(EValueCommand, JsonAndUsageErrors) {
    int status = 0;
    const std::string out = run_command("evalue --hr 3.9 --lower 1.8 --upper 8.7 --rare --format json", &status);
    ASSERT_EQ(status, 0) << out;
    const json doc = json::parse(out);
    EXPECT_NEAR(doc["e_value"].get<double>(), 3.9 + std::sqrt(3.9 * 2.9), 1e-12);
    EXPECT_NEAR(doc["e_value_limit"].get<double>(), 3.0, 1e-12);
    EXPECT_NE(run_command("evalue --hr 2 --lower 1.5 --upper 3", &status).find("--rare or --common"), std::string::npos);
    EXPECT_EQ(status, 2);
    EXPECT_NE(run_command("evalue --hr 2 --lower 2.5 --upper 3 --rare", &status).find("enclose"), std::string::npos);
    EXPECT_EQ(status, 2);
    EXPECT_NE(run_command("evalue --hr -1 --lower 0.5 --upper 3 --common", &status).find("positive"), std::string::npos);
    EXPECT_EQ(status, 2);
}

// A given propensity-score column replaces the model: ATE weights 1/e and 1/(1 - e) by hand
// (e = 0.2, 0.8 treated; 0.5, 0.25 controls: 5, 1.25, 2, 4/3); a row with a missing cell is
// dropped; a score of 1 is bad data naming its line. The text output carries the same table.
TEST(PropensityCommand, GivenScoreColumn) {
    const fs::path csv = fs::temp_directory_path() / ("rwe_ps_given_" + std::to_string(::getpid()) + ".csv");
    const fs::path out = fs::temp_directory_path() / ("rwe_ps_given_w_" + std::to_string(::getpid()) + ".csv");
    {
        std::ofstream file(csv);
        file << "treat,x,e\nTRUE,1,0.2\nTRUE,2,0.8\nFALSE,3,0.5\nFALSE,NA,0.3\nFALSE,5,0.25\n";
    }
    const json got = run_json("propensity " + csv.string() + " --treatment treat --covariates x --ps e --weights-out " + out.string());
    ASSERT_FALSE(got.is_discarded());
    EXPECT_EQ(got["n"], 4);
    EXPECT_EQ(got["dropped"], 1);
    EXPECT_FALSE(got.contains("model"));
    const auto weights = read_weights(out);
    ASSERT_EQ(weights.size(), 4u);
    EXPECT_DOUBLE_EQ(weights.at(1).second, 5);
    EXPECT_DOUBLE_EQ(weights.at(2).second, 1.25);
    EXPECT_DOUBLE_EQ(weights.at(3).second, 2);
    EXPECT_DOUBLE_EQ(weights.at(5).second, 4.0 / 3);
    // Weighted control mean of x: (2 * 3 + 4/3 * 5) / (10/3) = 3.8.
    EXPECT_DOUBLE_EQ(got["balance"][0]["mean_control_adjusted"].get<double>(), 3.8);
    int status = 0;
    const std::string text = run_command("propensity " + csv.string() + " --treatment treat --covariates x --ps e", &status);
    EXPECT_EQ(status, 0) << text;
    EXPECT_NE(text.find("Propensity score from column e"), std::string::npos) << text;
    EXPECT_NE(text.find("Balance (SMD denominator: pooled SD of the two groups, unweighted"), std::string::npos) << text;
    {
        std::ofstream file(csv);
        file << "treat,x,e\n1,1,0.2\n0,2,1\n";
    }
    const std::string bad = run_command("propensity " + csv.string() + " --treatment treat --covariates x --ps e", &status);
    EXPECT_EQ(status, 1) << bad;
    EXPECT_NE(bad.find(csv.string() + ":3: e: a propensity score must lie strictly between 0 and 1 (1)"), std::string::npos) << bad;
    fs::remove(csv);
    fs::remove(out);
}

// Corner cases: a constant covariate is aliased with the intercept (R's NA, with a message,
// and an SMD that is NA for want of a spread); a factor with one level in the rows used has
// no model column; rows all of one group, or all incomplete, stop with the reason.
TEST(PropensityCommand, CornerCases) {
    const fs::path csv = fs::temp_directory_path() / ("rwe_ps_corner_" + std::to_string(::getpid()) + ".csv");
    auto write = [&](const std::string& text) {
        std::ofstream file(csv);
        file << text;
    };
    write("treat,x,c,site\n1,1,7,a\n0,2,7,a\n1,4,7,a\n0,3,7,a\n1,2,7,a\n0,5,7,a\n,1,7,b\n");
    const json got = run_json("propensity " + csv.string() + " --treatment treat --covariates x,c,site");
    ASSERT_FALSE(got.is_discarded());
    EXPECT_EQ(got["n"], 6);
    EXPECT_EQ(got["dropped"], 1);
    const auto& coefficients = got["model"]["coefficients"];
    ASSERT_EQ(coefficients.size(), 3u);  // (Intercept), x, c: site has the one level a in the rows used
    EXPECT_EQ(coefficients[2]["name"], "c");
    EXPECT_TRUE(coefficients[2]["coef"].is_null());
    EXPECT_NE(got["messages"].dump().find("coefficient c not defined because of singularities"), std::string::npos) << got["messages"];
    EXPECT_TRUE(got["balance"][1]["smd"].is_null());
    EXPECT_EQ(got["balance"][2]["name"], "site_a");
    int status = 0;
    write("treat,x\n1,1\n1,2\n0,\n");
    std::string out = run_command("propensity " + csv.string() + " --treatment treat --covariates x", &status);
    EXPECT_EQ(status, 1) << out;
    EXPECT_NE(out.find("the 2 complete rows are all treated; a propensity score needs both groups"), std::string::npos) << out;
    write("treat,x\n1,\n0,NA\n");
    out = run_command("propensity " + csv.string() + " --treatment treat --covariates x", &status);
    EXPECT_EQ(status, 1) << out;
    EXPECT_NE(out.find("no row has both the treatment and every covariate (2 rows, all dropped)"), std::string::npos) << out;
    fs::remove(csv);
}

// Options that do not go together are refused, naming the option; bad data names file:line.
TEST(PropensityCommand, UsageAndInputErrors) {
    const std::string csv = (data_dir / "ps_lalonde.csv").string();
    int status = 0;
    auto expect_usage = [&](const std::string& arguments, const std::string& text) {
        const std::string out = run_command("propensity " + csv + " --treatment treat --covariates age,educ " + arguments, &status);
        EXPECT_EQ(status, 2) << arguments << "\n" << out;
        EXPECT_NE(out.find(text), std::string::npos) << arguments << "\n" << out;
    };
    expect_usage("--caliper 0.2", "--caliper: applies only with --match");
    expect_usage("--replace", "--replace: applies only with --match");
    expect_usage("--match 1 --stabilize", "--stabilize: applies to weighting");
    expect_usage("--match 1 --estimand ate", "matching estimates the ATT");
    expect_usage("--match 0", "at least 1");
    expect_usage("--trim 0.6", "--trim: must be a number strictly between 0 and 0.5");
    expect_usage("--truncate 1", "--truncate: must be a quantile");
    expect_usage("--match 1 --caliper -1", "--caliper: must be a positive");
    expect_usage("--factor nothere", "'nothere' is not in --covariates");
    expect_usage("--plot balance.txt", "--plot: the file name must end in .svg, .pdf or .png (balance.txt)");
    // A treatment coded 0/1/2 is bad data: the line and the value.
    const fs::path bad = fs::temp_directory_path() / ("rwe_ps_bad_" + std::to_string(::getpid()) + ".csv");
    {
        std::ofstream out(bad);
        out << "treat,x\n1,2\n0,3\n2,4\n";
    }
    const std::string out = run_command("propensity " + bad.string() + " --treatment treat --covariates x", &status);
    EXPECT_EQ(status, 1) << out;
    EXPECT_NE(out.find(bad.string() + ":4: treat: treatment must be 1 (treated) or 0 (control)"), std::string::npos) << out;
    fs::remove(bad);
}

}  // namespace

// --plot writes the Love plot in the format its name asks for, beside the usual output.
TEST(PropensityCommand, PlotWritesTheLovePlot) {
    const std::string csv = (data_dir / "ps_lalonde.csv").string();
    const fs::path png = fs::temp_directory_path() / ("rwe_love_" + std::to_string(::getpid()) + ".png");
    const fs::path svg = fs::temp_directory_path() / ("rwe_love_" + std::to_string(::getpid()) + ".svg");
    int status = 0;
    std::string out = run_command("propensity " + csv + " --treatment treat --covariates age,educ,married --estimand att --plot " + png.string(),
                                  &status);
    EXPECT_EQ(status, 0) << out;
    EXPECT_NE(out.find("Balance"), std::string::npos) << out;
    std::ifstream in(png, std::ios::binary);
    std::string head(8, '\0');
    in.read(head.data(), 8);
    EXPECT_EQ(head, std::string("\x89PNG\r\n\x1a\n", 8));
    out = run_command("propensity " + csv + " --treatment treat --covariates age,educ --match 1 --plot " + svg.string(), &status);
    EXPECT_EQ(status, 0) << out;
    std::ifstream svg_in(svg);
    std::string text((std::istreambuf_iterator<char>(svg_in)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find("<svg"), std::string::npos);
    fs::remove(png);
    fs::remove(svg);
}
