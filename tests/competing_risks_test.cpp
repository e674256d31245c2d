// Tests of the competing-risks estimators (docs/methods.md §7): Aalen–Johansen cumulative
// incidence and Gray's test, against R (survival::survfit on a multi-state status and
// cmprsk::cuminc; tests/data/competing_risks_reference.json, made by
// tests/data/competing_risks_reference.R on tests/data/cr_*.csv) through `rwe cuminc`, and
// against hand-worked examples.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "r_reference.hpp"
#include "rwe/common/error.hpp"
#include "rwe/stats/competing_risks_data.hpp"
#include "rwe/stats/cumulative_incidence.hpp"
#include "rwe/stats/gray_test.hpp"

namespace {

namespace fs = std::filesystem;
namespace stats = rwe::stats;
using nlohmann::json;
using rwe::test::expect_values;
using rwe::test::r_value;
using rwe::test::same;

const fs::path data_dir = RWE_TEST_DATA_DIR;

json run_rwe(const std::string& arguments, int* status = nullptr, const std::string& subcommand = "cuminc") {
    const std::string command = std::string(RWE_BINARY) + " " + subcommand + " " + arguments + " 2>&1";
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
    std::string out;
    char buffer[65536];
    while (std::size_t got = std::fread(buffer, 1, sizeof buffer, pipe.get())) out.append(buffer, got);
    const int rc = pclose(pipe.release());
    if (status) {
        *status = WEXITSTATUS(rc);
        return json(out);
    }
    EXPECT_EQ(WEXITSTATUS(rc), 0) << command << "\n" << out;
    return json::parse(out, nullptr, false);
}

// Every case of the reference file: each curve row (n at risk, censored, events, the
// event-free probability and its SE, each cause's incidence, SE and limits), the incidence
// at chosen times, and Gray's test of each cause. Closed-form sums of products: 1e-9.
TEST(CompetingRisksGolden, MatchesSurvfitAndCuminc) {
    std::ifstream in(data_dir / "competing_risks_reference.json");
    ASSERT_TRUE(in) << "missing competing_risks_reference.json";
    const json reference = json::parse(in);
    ASSERT_GE(reference["cases"].size(), 8u);
    for (const auto& c : reference["cases"]) {
        const std::string name = c["name"];
        SCOPED_TRACE(name + " — R: " + c["r_call"].get<std::string>());
        std::string arguments = (data_dir / c["csv"].get<std::string>()).string() + " --time " + c["time"].get<std::string>() +
                                " --status " + c["status"].get<std::string>() + " --format json";
        if (!c["group"].is_null()) arguments += " --group " + c["group"].get<std::string>();
        if (!c["strata"].is_null()) arguments += " --strata " + c["strata"].get<std::string>();
        if (c["rho"].get<double>() != 0) arguments += " --rho " + c["rho"].dump();
        if (!c["times"].empty()) {
            std::string list;
            for (const auto& t : c["times"]) list += (list.empty() ? "" : ",") + t.dump();
            arguments += " --times " + list;
        }
        const json got = run_rwe(arguments);
        ASSERT_FALSE(got.is_discarded()) << arguments;
        EXPECT_EQ(got["dropped"], c["dropped"]);
        ASSERT_EQ(got["causes"], c["causes"]);
        ASSERT_EQ(got["curves"].size(), c["curves"].size());
        constexpr double tolerance = 1e-9;
        for (std::size_t g = 0; g < c["curves"].size(); ++g) {
            const auto& want = c["curves"][g];
            const auto& have = got["curves"][g];
            const std::string curve = name + " curve " + want["name"].get<std::string>();
            EXPECT_EQ(have["name"], want["name"]);
            EXPECT_EQ(have["n"], want["n"]);
            json time = json::array(), n_risk = json::array(), n_censor = json::array(), free = json::array(), free_se = json::array();
            for (const auto& row : have["table"]) {
                time.push_back(row["time"]);
                n_risk.push_back(row["n_risk"]);
                n_censor.push_back(row["n_censor"]);
                free.push_back(row["event_free"]);
                free_se.push_back(row["event_free_std_err"]);
            }
            expect_values(curve + " time", time, want["time"], tolerance);
            expect_values(curve + " n_risk", n_risk, want["n_risk"], tolerance);
            expect_values(curve + " n_censor", n_censor, want["n_censor"], tolerance);
            expect_values(curve + " event_free", free, want["event_free"], tolerance);
            expect_values(curve + " event_free_std_err", free_se, want["event_free_std_err"], tolerance);
            for (std::size_t k = 0; k < want["causes"].size(); ++k) {
                const auto& wc = want["causes"][k];
                const auto& hc = have["causes"][k];
                const std::string label = curve + " cause " + wc["cause"].get<std::string>();
                EXPECT_EQ(hc["cause"], wc["cause"]);
                for (const char* key : {"n_event", "incidence", "std_err", "lower", "upper"}) {
                    expect_values(label + " " + key, hc[key], wc[key], tolerance);
                }
                if (wc.contains("at_times")) {
                    json at_time = json::array(), at_risk = json::array(), at_inc = json::array(), at_se = json::array(),
                         at_lower = json::array(), at_upper = json::array();
                    for (const auto& row : hc["at_times"]) {
                        at_time.push_back(row["time"]);
                        at_risk.push_back(row["n_risk"]);
                        at_inc.push_back(row["incidence"]);
                        at_se.push_back(row["std_err"]);
                        at_lower.push_back(row["lower"]);
                        at_upper.push_back(row["upper"]);
                    }
                    const auto& wa = wc["at_times"];
                    expect_values(label + " at time", at_time, wa["time"], tolerance);
                    expect_values(label + " at n_risk", at_risk, wa["n_risk"], tolerance);
                    expect_values(label + " at incidence", at_inc, wa["incidence"], tolerance);
                    expect_values(label + " at std_err", at_se, wa["std_err"], tolerance);
                    expect_values(label + " at lower", at_lower, wa["lower"], tolerance);
                    expect_values(label + " at upper", at_upper, wa["upper"], tolerance);
                }
            }
        }
        if (c["gray"].is_null()) {
            EXPECT_TRUE(got["gray_test"].empty());
            continue;
        }
        const auto& gray = c["gray"];
        ASSERT_EQ(got["gray_test"].size(), gray["cause"].size());
        for (std::size_t k = 0; k < gray["cause"].size(); ++k) {
            const auto& test = got["gray_test"][k];
            const std::string label = name + " Gray cause " + gray["cause"][k].get<std::string>();
            EXPECT_EQ(test["cause"], gray["cause"][k]);
            EXPECT_TRUE(same(r_value(test["statistic"]), r_value(gray["statistic"][k]), tolerance))
                << label << ": statistic " << test["statistic"] << " vs R " << gray["statistic"][k];
            EXPECT_EQ(test["df"].get<double>(), r_value(gray["df"][k])) << label;
            // cmprsk computes p as 1 - pchisq (absolute precision ~1e-16); ours is the upper tail.
            EXPECT_TRUE(same(r_value(test["p"]), r_value(gray["p"][k]), tolerance))
                << label << ": p " << test["p"] << " vs R " << gray["p"][k];
        }
    }
}

// Fine–Gray regression through `rwe finegray` against survival::finegray + weighted coxph
// (the reference file's "fine_gray" cases): the expanded data's size, the events, the
// log-likelihoods, coefficients, R's reported SE (robust by row, or by subject with
// cluster(id)), the model-based SE and p. Iterative fits: 1e-6 (the expansion and the
// weights themselves are closed form: the row count must be equal).
TEST(FineGrayGolden, MatchesFinegrayCoxph) {
    std::ifstream in(data_dir / "competing_risks_reference.json");
    const json reference = json::parse(in);
    ASSERT_GE(reference["fine_gray"].size(), 5u);
    constexpr double tolerance = 1e-6;
    for (const auto& c : reference["fine_gray"]) {
        const std::string name = c["name"];
        SCOPED_TRACE(name + " — R: " + c["r_call"].get<std::string>());
        std::string covariates;
        for (const auto& v : c["covariates"]) covariates += (covariates.empty() ? "" : ",") + v.get<std::string>();
        std::string arguments = (data_dir / c["csv"].get<std::string>()).string() + " --time " + c["time"].get<std::string>() +
                                " --status " + c["status"].get<std::string>() + " --cause " + c["cause"].get<std::string>() +
                                " --covariates " + covariates + " --ties " + c["ties"].get<std::string>() + " --format json";
        if (c["cluster"].get<bool>()) arguments += " --cluster-by-subject";
        int status = 0;
        const json text = run_rwe(arguments, &status, "finegray");
        ASSERT_EQ(status, 0) << text;
        const json got = json::parse(text.get<std::string>(), nullptr, false);
        ASSERT_FALSE(got.is_discarded()) << text;
        EXPECT_EQ(got["expanded_rows"], c["expanded_rows"]);
        EXPECT_EQ(got["events"], c["events"]);
        EXPECT_EQ(got["n"], c["n"]);
        expect_values(name + " loglik", got["loglik"], c["loglik"], tolerance);
        json coef = json::array(), se = json::array(), naive = json::array(), p = json::array();
        for (const auto& row : got["coefficients"]) {
            coef.push_back(row["coef"]);
            se.push_back(row["se"]);
            naive.push_back(row["naive_se"]);
            p.push_back(row["p"]);
        }
        expect_values(name + " coef", coef, c["coef"], tolerance);
        expect_values(name + " se", se, c["se"], tolerance);
        expect_values(name + " naive se", naive, c["naive_se"], tolerance);
        expect_values(name + " p", p, c["p"], tolerance);
    }
}

// Fine–Gray regression with cmprsk::crr's estimator through `rwe finegray --method crr` (the
// reference file's "crr" cases): n, rows dropped for a missing covariate, log
// pseudo-likelihoods, coefficients, Fine & Gray's SE and p. crr stops when its score is
// below 1e-6 relative; the comparison is at 1e-6.
TEST(FineGrayGolden, MatchesCrr) {
    std::ifstream in(data_dir / "competing_risks_reference.json");
    const json reference = json::parse(in);
    ASSERT_GE(reference["crr"].size(), 5u);
    constexpr double tolerance = 1e-6;
    for (const auto& c : reference["crr"]) {
        const std::string name = c["name"];
        SCOPED_TRACE(name + " — R: " + c["r_call"].get<std::string>());
        std::string covariates;
        for (const auto& v : c["covariates"]) covariates += (covariates.empty() ? "" : ",") + v.get<std::string>();
        const std::string arguments = (data_dir / c["csv"].get<std::string>()).string() + " --time " + c["time"].get<std::string>() +
                                      " --status " + c["status"].get<std::string>() + " --cause " + c["cause"].get<std::string>() +
                                      " --covariates " + covariates + " --method crr --format json";
        int status = 0;
        const json text = run_rwe(arguments, &status, "finegray");
        ASSERT_EQ(status, 0) << text;
        const json got = json::parse(text.get<std::string>(), nullptr, false);
        ASSERT_FALSE(got.is_discarded()) << text;
        EXPECT_EQ(got["n"], c["n"]);
        EXPECT_EQ(got["dropped"], c["dropped"]);
        EXPECT_TRUE(got["converged"].get<bool>());
        expect_values(name + " loglik", got["loglik"], c["loglik"], tolerance);
        json coef = json::array(), se = json::array(), p = json::array();
        for (const auto& row : got["coefficients"]) {
            coef.push_back(row["coef"]);
            se.push_back(row["se"]);
            p.push_back(row["p"]);
        }
        expect_values(name + " coef", coef, c["coef"], tolerance);
        expect_values(name + " se", se, c["se"], tolerance);
        expect_values(name + " p", p, c["p"], tolerance);
    }
}

// Ten subjects, two causes, a tie of an event and a censoring at t = 2:
//   time   1 2 2 3 4 5 5 6 7 8
//   status 1 2 0 1 1 0 2 1 0 2     group 1 1 1 1 1 2 2 2 2 2
stats::CompetingRisksData ten_subjects(bool grouped) {
    stats::CompetingRisksData data;
    data.time = {1, 2, 2, 3, 4, 5, 5, 6, 7, 8};
    data.status = {1, 2, 0, 1, 1, 0, 2, 1, 0, 2};
    data.cause_names = {"1", "2"};
    if (grouped) {
        data.group = {0, 0, 0, 0, 0, 1, 1, 1, 1, 1};
        data.group_names = {"1", "2"};
    }
    return data;
}

// By hand (docs/methods.md §7.1): t = 1: n = 10, d1 = 1: S = 0.9, F1 = 0.1; the jackknife
// variance of F1 at the first event is F1 (1 - F1) / n = 0.009.
// t = 2: n = 9, d2 = 1 (the censoring at 2 is still at risk): F2 = 0.9 / 9 = 0.1, S = 0.8.
// t = 3: n = 7, d1 = 1: F1 = 0.1 + 0.8 / 7 = 0.2142857; S = 0.8 * 6/7 = 0.6857143.
// t = 8: n = 1, d2 = 1: S = 0, F1 + F2 = 1.
TEST(AalenJohansen, HandWorkedTenSubjects) {
    const auto fit = stats::cumulative_incidence(ten_subjects(false));
    ASSERT_EQ(fit.curves.size(), 1u);
    const auto& c = fit.curves[0];
    ASSERT_EQ(c.rows(), 8u);  // distinct times 1..8
    EXPECT_DOUBLE_EQ(c.incidence[0][0], 0.1);
    EXPECT_NEAR(c.std_err[0][0], std::sqrt(0.009), 1e-15);
    // log limits: 0.1 exp(-/+ 1.959964 * 0.0948683 / 0.1); R: 0.01557684, 0.6419788
    EXPECT_NEAR(c.lower[0][0], 0.01557684, 1e-8);
    EXPECT_NEAR(c.upper[0][0], 0.6419788, 1e-7);
    EXPECT_TRUE(std::isnan(c.lower[1][0]));  // F2 = 0: no limits (R: NA)
    EXPECT_EQ(c.n_risk[1], 9);
    EXPECT_EQ(c.n_censor[1], 1);
    EXPECT_DOUBLE_EQ(c.incidence[1][1], 0.1);
    EXPECT_DOUBLE_EQ(c.event_free[1], 0.8);
    EXPECT_NEAR(c.incidence[0][2], 0.1 + 0.8 / 7, 1e-15);
    EXPECT_NEAR(c.event_free[2], 0.8 * 6 / 7, 1e-15);
    EXPECT_NEAR(c.incidence[0].back() + c.incidence[1].back(), 1.0, 1e-15);
    EXPECT_EQ(c.event_free.back(), 0.0);
    // At a time before the first row: nothing has happened yet.
    const auto before = stats::incidence_at(c, 0, 0.5);
    EXPECT_EQ(before.incidence, 0.0);
    EXPECT_EQ(before.n_risk, 10.0);
}

// Gray's score for cause 1, group 1 (docs/methods.md §7.2), sum of d_11 - d_1 R_1 / (R_1 + R_2):
//   t = 1: R_1 = R_2 = 5                          1 - 5/10            = 1/2
//   t = 3: S_1(3-) = 3/5, F_1(3-) = 1/5, n_1 = 2: R_1 = 8/3, R_2 = 5   1 - (8/3)/(23/3) = 15/23
//   t = 4: S_1(4-) = 3/10, F_1(4-) = 1/2, n_1 = 1: R_1 = 5/3           1 - (5/3)/(20/3) = 3/4
//   t = 6: n_1 = 0                                                      0
// score = 1/2 + 15/23 + 3/4. Statistic and p from R:
//   cmprsk::cuminc(time, status, g)$Tests: cause 1 stat 5.14788536529284535,
//   pv 0.023274700549263394; cause 2 stat 0.98461538461538423, pv 0.321061992253906747.
TEST(GrayTest, HandWorkedScoreAndR) {
    const auto tests = stats::gray_test(ten_subjects(true));
    ASSERT_EQ(tests.size(), 2u);
    ASSERT_EQ(tests[0].score.size(), 1u);
    EXPECT_NEAR(tests[0].score[0], 0.5 + 15.0 / 23 + 0.75, 1e-14);
    EXPECT_NEAR(tests[0].statistic, 5.14788536529284535, 1e-12);
    EXPECT_NEAR(tests[0].p, 0.023274700549263394, 1e-12);
    EXPECT_NEAR(tests[1].statistic, 0.98461538461538423, 1e-12);
    EXPECT_NEAR(tests[1].p, 0.321061992253906747, 1e-12);
    EXPECT_EQ(tests[0].df, 1);
}

// Corner cases: everyone censored (the incidence stays 0, no limits), one subject, one
// group for Gray's test (an error), bad input (errors naming the row).
TEST(CompetingRisksCorners, DegenerateInputs) {
    stats::CompetingRisksData censored;
    censored.time = {3, 1, 2};
    censored.status = {0, 0, 0};
    censored.cause_names = {"relapse"};
    const auto fit = stats::cumulative_incidence(censored);
    ASSERT_EQ(fit.curves[0].rows(), 3u);
    EXPECT_EQ(fit.curves[0].time[0], 1);  // sorted
    for (double f : fit.curves[0].incidence[0]) EXPECT_EQ(f, 0);
    EXPECT_TRUE(std::isnan(fit.curves[0].upper[0][2]));

    stats::CompetingRisksData one;
    one.time = {4};
    one.status = {1};
    one.cause_names = {"relapse"};
    const auto single = stats::cumulative_incidence(one);
    EXPECT_EQ(single.curves[0].incidence[0][0], 1.0);
    EXPECT_EQ(single.curves[0].std_err[0][0], 0.0);

    EXPECT_THROW(stats::gray_test(ten_subjects(false)), rwe::UsageError);

    auto bad = ten_subjects(false);
    bad.status[3] = 3;
    try {
        stats::cumulative_incidence(bad);
        FAIL() << "status 3 accepted";
    } catch (const rwe::Error& e) {
        EXPECT_NE(std::string(e.what()).find("row 4"), std::string::npos) << e.what();
    }
    bad = ten_subjects(false);
    bad.time[0] = -1;
    EXPECT_THROW(stats::cumulative_incidence(bad), rwe::Error);
}

// The command line: a bad time names file:line: column, a missing column is a usage error.
TEST(CompetingRisksCli, ErrorsSayWhereAndWhat) {
    const fs::path dir = fs::temp_directory_path() / ("rwe_cuminc_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const fs::path csv = dir / "bad.csv";
    std::ofstream(csv) << "t,s,g\n1,1,a\n2,0,b\n-3,2,a\n";
    int status = 0;
    json out = run_rwe(csv.string() + " --time t --status s --group g", &status);
    EXPECT_EQ(status, 1);
    EXPECT_NE(out.get<std::string>().find("bad.csv:4: t: negative time (-3)"), std::string::npos) << out;
    out = run_rwe(csv.string() + " --time t --status nosuch", &status);
    EXPECT_EQ(status, 2) << out;
    std::ofstream(csv) << "t,s\n1,0\n2,0\n";
    out = run_rwe(csv.string() + " --time t --status s", &status);
    EXPECT_EQ(status, 1) << out;
    EXPECT_NE(out.get<std::string>().find("no event of any cause"), std::string::npos) << out;
    fs::remove_all(dir);
}

}  // namespace
