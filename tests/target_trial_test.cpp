// Target trial emulation (docs/methods.md §8.7) against R: tests/data/target_trial.R runs
// the same steps independently (cloning, artificial censoring, glm(family = binomial) on the
// person-intervals, weights, survfit(Surv(start, stop, event) ~ arm, weights = w, id = id,
// robust = TRUE), coxph(Surv(start, stop, event) ~ arm + cluster(id), weights = w)) on
// tests/data/target_trial.csv and writes tests/data/target_trial_reference.json.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "r_reference.hpp"
#include "rwe/stats/target_trial.hpp"

namespace {

namespace fs = std::filesystem;
namespace stats = rwe::stats;
using nlohmann::json;
using rwe::test::expect_value;
using rwe::test::expect_values;
using rwe::test::r_values;

const fs::path data_dir = RWE_TEST_DATA_DIR;

// target_trial.csv: id, age, ecog (0/1/2, coded as indicators ecog1, ecog2 against 0, as R's
// factor), time, status, days (';'-separated).
stats::TargetTrialData read_data() {
    std::ifstream in(data_dir / "target_trial.csv");
    std::string line;
    std::getline(in, line);
    stats::TargetTrialData data;
    data.names = {"age", "ecog1", "ecog2"};
    while (std::getline(in, line)) {
        std::vector<std::string> fields;
        std::stringstream stream(line);
        std::string field;
        while (std::getline(stream, field, ',')) fields.push_back(field);
        if (fields.size() == 5) fields.emplace_back();
        const double age = std::stod(fields[1]);
        data.x.insert(data.x.end(), {age, fields[2] == "1" ? 1.0 : 0.0, fields[2] == "2" ? 1.0 : 0.0});
        data.time.push_back(std::stod(fields[3]));
        data.event.push_back(static_cast<std::uint8_t>(std::stoi(fields[4])));
        std::vector<double> days;
        std::stringstream day_stream(fields[5]);
        while (std::getline(day_stream, field, ';')) days.push_back(std::stod(field));
        data.administrations.push_back(days);
    }
    return data;
}

// The options of a reference case (tests/data/target_trial_reference.json).
stats::TargetTrialOptions options_of(const json& want) {
    stats::TargetTrialOptions options;
    options.min_count = want.at("k").get<int>();
    options.grace_days = want.at("d").get<double>();
    options.interval_days = want.at("L").get<double>();
    options.stabilize = want.at("stabilize").get<bool>();
    options.truncate = want.at("truncate").get<double>();
    options.times = r_values(want.at("times"));
    options.rmst_tau = want.at("tau").get<double>();
    return options;
}

class TargetTrialAgainstR : public ::testing::TestWithParam<std::string> {};

TEST_P(TargetTrialAgainstR, EveryNumber) {
    std::ifstream in(data_dir / "target_trial_reference.json");
    const json reference = json::parse(in);
    const json& want = reference.at(GetParam());
    const auto data = read_data();
    ASSERT_EQ(data.time.size(), 300u);

    stats::TargetTrialOptions options = options_of(want);
    const auto result = stats::target_trial(data, options);

    // Counts and the censoring model (glm: IRLS to R's convergence rule).
    EXPECT_EQ(result.model_rows, want.at("model_rows").get<std::size_t>());
    EXPECT_EQ(result.rows.size(), want.at("rows").get<std::size_t>());
    expect_values("censoring coef", result.censoring_model.coef, want.at("coef"), 1e-6);
    expect_values("censoring se", result.censoring_model.se, want.at("coef_se"), 1e-6);
    if (options.stabilize) expect_values("numerator coef", result.numerator_model.coef, want.at("numerator_coef"), 1e-6);
    expect_value("truncation cap", result.truncation_cap, want.at("cap"), 1e-6);

    for (int arm = 0; arm < 2; ++arm) {
        const auto& got = result.arms[arm];
        const json& r = want.at(got.name);
        const std::string label = "arm " + got.name + " ";
        EXPECT_EQ(got.clones, r.at("clones").get<std::size_t>()) << label;
        EXPECT_EQ(got.events, r.at("events").get<std::size_t>()) << label;
        EXPECT_EQ(got.censored_deviation, r.at("censored_deviation").get<std::size_t>()) << label;
        expect_value(label + "weight sum", got.weights.sum, r.at("weight_sum"), 1e-6);
        expect_value(label + "weight max", got.weights.max, r.at("weight_max"), 1e-6);
        expect_values(label + "time", got.curve.time, r.at("time"), 1e-9);
        expect_values(label + "n_risk", got.curve.n_risk, r.at("n_risk"), 1e-6);
        expect_values(label + "n_event", got.curve.n_event, r.at("n_event"), 1e-6);
        expect_values(label + "surv", got.curve.surv, r.at("surv"), 1e-6);
        // R's robust survfit reports the SE of S (logse = FALSE): rwe's std_err_surv.
        expect_values(label + "robust SE of S", got.curve.std_err_surv, r.at("std_err"), 1e-6);
        expect_value(label + "median", got.median.estimate, r.at("median"), 1e-9);
        std::vector<double> at_times;
        for (const auto& row : got.at_times.rows) at_times.push_back(row.surv);
        expect_values(label + "S(t)", at_times, r.at("times_surv"), 1e-6);
        expect_value(label + "rmst", got.rmst.rmean, r.at("rmst"), 1e-6);
    }
    expect_values("S(t) difference", result.surv_difference, want.at("surv_difference"), 1e-6);
    expect_value("rmst difference", result.rmst_difference, want.at("rmst_difference"), 1e-6);

    // Cox: coxph(Surv(start, stop, event) ~ arm + cluster(id), weights = w), arm A vs B.
    ASSERT_TRUE(result.estimable);
    expect_value("log HR", result.cox.coef[0], want.at("log_hr"), 1e-6);
    expect_value("robust se", result.cox.robust_se[0], want.at("robust_se"), 1e-6);
    expect_value("HR lower", result.hr_lower, want.at("hr_lower"), 1e-6);
    expect_value("HR upper", result.hr_upper, want.at("hr_upper"), 1e-6);
    expect_value("HR p", result.hr_p, want.at("hr_p"), 1e-6);
}

INSTANTIATE_TEST_SUITE_P(Cases, TargetTrialAgainstR, ::testing::Values("plain", "stabilized_truncated", "four_by_90"));

// keep_rows = false (as the protocol kind runs it) releases the rows and the Cox model's
// copy of them: the same counts and, bit for bit, the same estimates as with the rows kept.
TEST_P(TargetTrialAgainstR, ReleasedRowsGiveTheSameEstimates) {
    std::ifstream in(data_dir / "target_trial_reference.json");
    const json want = json::parse(in).at(GetParam());
    const auto data = read_data();
    stats::TargetTrialOptions options = options_of(want);
    const auto kept = stats::target_trial(data, options);
    options.keep_rows = false;
    const auto released = stats::target_trial(data, options);
    EXPECT_EQ(kept.rows.size(), want.at("rows").get<std::size_t>());
    EXPECT_EQ(kept.row_count, want.at("rows").get<std::size_t>());
    EXPECT_EQ(released.row_count, want.at("rows").get<std::size_t>());
    EXPECT_EQ(released.rows.size(), 0u);
    EXPECT_EQ(released.truncated_rows, kept.truncated_rows);
    ASSERT_TRUE(released.estimable);
    EXPECT_EQ(released.cox.coef[0], kept.cox.coef[0]);
    EXPECT_EQ(released.cox.robust_se[0], kept.cox.robust_se[0]);
    EXPECT_EQ(released.hr_p, kept.hr_p);
    for (int arm = 0; arm < 2; ++arm) {
        EXPECT_EQ(released.arms[arm].curve.surv, kept.arms[arm].curve.surv);
        EXPECT_EQ(released.arms[arm].curve.std_err_surv, kept.arms[arm].curve.std_err_surv);
        EXPECT_EQ(released.arms[arm].weights.sum, kept.arms[arm].weights.sum);
    }
}

// Hand-worked: two patients, k = 1, d = 10, one interval. Patient 0 has its first
// administration on day 5 and dies on day 20; patient 1 none and is censored on day 30.
// Person-intervals: (y = 1), (y = 0) with the intercept only... the time terms are constant
// (one interval), so they are aliased and p = 1/2 for both: B weights 1 / (1 - 1/2) = 2,
// A weights after d 1 / (1/2) = 2.
TEST(TargetTrial, HandWorkedTwoPatients) {
    stats::TargetTrialData data;
    data.time = {20, 30};
    data.event = {1, 0};
    data.administrations.push_back(std::vector<double>{5});
    data.administrations.push_back(std::vector<double>{});
    stats::TargetTrialOptions options;
    options.min_count = 1;
    options.grace_days = 10;
    options.interval_days = 10;
    const auto result = stats::target_trial(data, options);
    EXPECT_EQ(result.model_rows, 2u);
    EXPECT_NEAR(result.censoring_model.coef[0], 0.0, 1e-9);
    // A: patient 0 (0, 10] w 1, (10, 20] w 2 event; patient 1 censored at deviation on day 10.
    // B: patient 0 censored on day 5; patient 1 (0, 10] w 2, (10, 30] w 2.
    EXPECT_EQ(result.arms[0].censored_deviation, 1u);
    EXPECT_EQ(result.arms[1].censored_deviation, 1u);
    EXPECT_EQ(result.arms[0].events, 1u);
    EXPECT_EQ(result.arms[1].events, 0u);
    ASSERT_EQ(result.rows.size(), 6u);
    const std::vector<double> start{0, 10, 0, 0, 0, 10}, stop{10, 20, 5, 10, 10, 30}, weight{1, 2, 2, 1, 2, 2};
    const std::vector<int> arm{0, 0, 1, 0, 1, 1}, event{0, 1, 0, 0, 0, 0};
    for (std::size_t row = 0; row < 6; ++row) {
        EXPECT_DOUBLE_EQ(result.rows.start[row], start[row]) << row;
        EXPECT_DOUBLE_EQ(result.rows.stop[row], stop[row]) << row;
        EXPECT_NEAR(result.rows.weight[row], weight[row], 1e-9) << row;
        EXPECT_EQ(result.rows.arm[row], arm[row]) << row;
        EXPECT_EQ(result.rows.event[row], event[row]) << row;
    }
    // A: at day 20 one clone at risk (patient 0, weight 2) with the event: S = 0.
    ASSERT_FALSE(result.arms[0].curve.surv.empty());
    EXPECT_DOUBLE_EQ(result.arms[0].curve.surv.back(), 0.0);
    EXPECT_DOUBLE_EQ(result.arms[1].curve.surv.back(), 1.0);
}

}  // namespace

namespace {

// The bootstrap against R over the same resamples: target_trial.R rebuilds resample b of
// seed 7 with tests/bootstrap_resamples.py (the generator written from docs/methods.md §8.6),
// emulates each resample again and takes quantile(type = 7) of the replicates. Equal limits
// mean equal draws and equal refits. The same seed gives the same intervals, another seed
// other ones.
TEST(TargetTrialBootstrap, EqualToROverTheSameResamples) {
    const auto data = read_data();
    std::ifstream in(data_dir / "target_trial_reference.json");
    const json reference = json::parse(in);
    const json& want = reference.at("bootstrap");
    stats::TargetTrialOptions options;
    options.min_count = want["k"].get<int>();
    options.grace_days = want["d"].get<double>();
    options.interval_days = want["L"].get<double>();
    options.times = r_values(want["times"]);
    options.rmst_tau = want["tau"].get<double>();
    const auto seed = want["seed"].get<std::uint64_t>();
    const auto resamples = want["resamples"].get<std::size_t>();
    const auto first = stats::target_trial_bootstrap(data, options, resamples, seed);
    EXPECT_EQ(first.resamples, resamples);
    EXPECT_EQ(first.failed, want["failed"].get<std::size_t>());
    expect_value("hr_lower", first.hr_lower, want["hr_lower"], 1e-6);
    expect_value("hr_upper", first.hr_upper, want["hr_upper"], 1e-6);
    expect_values("surv_difference_lower", first.surv_difference_lower, want["surv_difference_lower"], 1e-6);
    expect_values("surv_difference_upper", first.surv_difference_upper, want["surv_difference_upper"], 1e-6);
    expect_value("rmst_difference_lower", first.rmst_difference_lower, want["rmst_difference_lower"], 1e-6);
    expect_value("rmst_difference_upper", first.rmst_difference_upper, want["rmst_difference_upper"], 1e-6);

    const auto again = stats::target_trial_bootstrap(data, options, resamples, seed);
    const auto other = stats::target_trial_bootstrap(data, options, resamples, seed + 1);
    EXPECT_EQ(first.hr_lower, again.hr_lower);
    EXPECT_EQ(first.rmst_difference_upper, again.rmst_difference_upper);
    EXPECT_NE(first.hr_lower, other.hr_lower);
}

}  // namespace
