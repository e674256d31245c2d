// Kaplan–Meier, its CIs, median, S(t) at times, RMST and reverse KM against R survival 3.5-3
// (the golden files of RWE_SHARED_DIR/golden, produced by survfit / summary / print with
// rmean), plus hand-worked corner cases (docs/methods.md §1).
#include "rwe/common/error.hpp"
#include "rwe/stats/kaplan_meier.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "rwe/common/table.hpp"
#include "rwe/stats/restricted_mean.hpp"
#include "rwe/stats/survival_at_times.hpp"
#include "rwe/stats/survival_quantiles.hpp"

namespace {

using nlohmann::json;
namespace fs = std::filesystem;
namespace stats = rwe::stats;
constexpr double na = std::numeric_limits<double>::quiet_NaN();
constexpr double tolerance = 1e-9;

const fs::path golden_dir = fs::path(RWE_SHARED_DIR) / "golden";

// null -> NaN, "Inf" -> +Inf, as the golden files encode them.
double value_of(const json& v) {
    if (v.is_null()) return na;
    if (v.is_string()) {
        const auto s = v.get<std::string>();
        if (s == "Inf") return std::numeric_limits<double>::infinity();
        if (s == "-Inf") return -std::numeric_limits<double>::infinity();
        return na;
    }
    return v.get<double>();
}

std::size_t compared = 0;  // values checked against R in the current test

bool same(double got, double want) {
    ++compared;
    if (std::isnan(want)) return std::isnan(got);
    if (std::isinf(want)) return got == want;
    return got == want || std::fabs(got - want) <= tolerance * std::fabs(want);
}

void expect_values(const std::string& label, const std::vector<double>& got, const json& want) {
    ASSERT_EQ(got.size(), want.size()) << label;
    std::size_t bad = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
        if (!same(got[i], value_of(want[i]))) {
            if (++bad <= 3)
                ADD_FAILURE() << label << "[" << i << "]: " << got[i] << " vs R " << want[i];
        }
    }
    EXPECT_EQ(bad, 0u) << label;
}

void expect_value(const std::string& label, double got, const json& want) {
    EXPECT_TRUE(same(got, value_of(want))) << label << ": " << got << " vs R " << want;
}

// The data as the CLI builds it: time and status numeric, group categorical (ascending codes).
stats::SurvivalData load(const std::string& csv, const std::string& time, const std::string& status,
                         const std::string& group) {
    std::vector<rwe::ColumnRequest> request{{time}, {status}};
    if (!group.empty()) request.push_back({group, rwe::ColumnRequest::Kind::categorical});
    const rwe::Table table = rwe::read_table(csv, request);
    stats::SurvivalData data;
    const auto& t = table.numbers(time);
    const auto& e = table.numbers(status);
    for (std::size_t row = 0; row < table.rows; ++row) {
        if (std::isnan(t[row]) || std::isnan(e[row])) {
            ++data.dropped;
            continue;
        }
        if (!group.empty() && table.category(group).codes[row] < 0) {
            ++data.dropped;
            continue;
        }
        data.time.push_back(t[row]);
        data.event.push_back(static_cast<std::uint8_t>(e[row] == 1));
        if (!group.empty()) data.group.push_back(table.category(group).codes[row]);
    }
    if (!group.empty()) data.group_names = table.category(group).levels;
    stats::merge_survival_times(data);
    return data;
}

struct GoldenCase {
    std::string dataset;
    std::string endpoint;
};

void PrintTo(const GoldenCase& c, std::ostream* out) {
    *out << c.dataset << "/" << c.endpoint;
}

std::vector<GoldenCase> golden_cases() {
    std::vector<GoldenCase> cases;
    for (const auto& entry : fs::directory_iterator(golden_dir / "ref")) {
        const auto name = entry.path().stem().string();
        if (entry.path().extension() != ".json" || name.find("timings") != std::string::npos)
            continue;
        std::ifstream in(entry.path());
        const json ref = json::parse(in);
        for (const auto& [endpoint, body] : ref.at("endpoints").items()) {
            if (body.contains("km")) cases.push_back({name, endpoint});
        }
    }
    std::sort(cases.begin(), cases.end(), [](const auto& a, const auto& b) {
        return a.dataset + a.endpoint < b.dataset + b.endpoint;
    });
    return cases;
}

const std::array<stats::ConfType, 3> golden_types{stats::ConfType::log, stats::ConfType::log_log,
                                                  stats::ConfType::plain};

// Compares one curve with a golden km block (overall or one group).
void expect_curve(const std::string& label, const json& ref, const json& endpoint,
                  const std::array<stats::KaplanMeierCurve, 3>& by_type) {
    const auto& log_curve = by_type[0];
    EXPECT_EQ(log_curve.n, ref.at("n").get<std::size_t>()) << label;
    expect_value(label + " events", log_curve.events, ref.at("events"));
    if (ref.contains("table")) {
        const auto& table = ref.at("table");
        expect_values(label + " time", log_curve.time, table.at("time"));
        expect_values(label + " n_risk", log_curve.n_risk, table.at("n_risk"));
        expect_values(label + " n_event", log_curve.n_event, table.at("n_event"));
        expect_values(label + " n_censor", log_curve.n_censor, table.at("n_censor"));
        expect_values(label + " surv", log_curve.surv, table.at("surv"));
        expect_values(label + " std_err", log_curve.std_err, table.at("std_err"));
        expect_values(label + " std_err_surv", log_curve.std_err_surv, table.at("std_err_surv"));
        expect_values(label + " cumhaz", log_curve.cumhaz, table.at("cumhaz"));
        expect_values(label + " std_chaz", log_curve.std_chaz, table.at("std_chaz"));
    }
    const std::vector<double> times = endpoint.at("times").get<std::vector<double>>();
    const auto& at_ref = ref.at("at_times");
    for (std::size_t k = 0; k < golden_types.size(); ++k) {
        const auto& curve = by_type[k];
        const std::string type = stats::conf_type_name(golden_types[k]);
        const std::string tl = label + " [" + type + "]";
        if (ref.contains("ci")) {
            expect_values(tl + " lower", curve.lower, ref.at("ci").at(type).at("lower"));
            expect_values(tl + " upper", curve.upper, ref.at("ci").at(type).at("upper"));
        }
        const auto median = stats::median_survival(curve);
        expect_value(tl + " median", median.estimate, ref.at("median").at("estimate"));
        expect_value(tl + " median lower", median.lower,
                     ref.at("median").at("ci").at(type).at("lower"));
        expect_value(tl + " median upper", median.upper,
                     ref.at("median").at("ci").at(type).at("upper"));

        const auto at = stats::survival_at_times(curve, times);
        ASSERT_TRUE(at.beyond_follow_up.empty()) << tl;
        std::vector<double> col[10];
        for (const auto& row : at.rows) {
            col[0].push_back(row.time);
            col[1].push_back(row.n_risk);
            col[2].push_back(row.n_event);
            col[3].push_back(row.n_censor);
            col[4].push_back(row.surv);
            col[5].push_back(row.std_err_surv);
            col[6].push_back(row.cumhaz);
            col[7].push_back(row.lower);
            col[8].push_back(row.upper);
        }
        if (k == 0) {
            const char* names[] = {"time", "n_risk",       "n_event", "n_censor",
                                   "surv", "std_err_surv", "cumhaz"};
            for (int c = 0; c < 7; ++c)
                expect_values(tl + " at_times." + names[c], col[c], at_ref.at(names[c]));
        }
        expect_values(tl + " at_times.lower", col[7], at_ref.at("ci").at(type).at("lower"));
        expect_values(tl + " at_times.upper", col[8], at_ref.at("ci").at(type).at("upper"));
    }
    if (ref.contains("rmst") && !ref.at("rmst").is_null()) {
        const auto rmst = stats::restricted_mean(log_curve, ref.at("rmst").at("tau").get<double>());
        expect_value(label + " rmst", rmst.rmean, ref.at("rmst").at("rmean"));
        expect_value(label + " rmst.se", rmst.se, ref.at("rmst").at("se"));
    }
}

std::array<stats::KaplanMeier, 3> fits(const stats::SurvivalData& data, bool reverse) {
    std::array<stats::KaplanMeier, 3> out;
    for (std::size_t k = 0; k < golden_types.size(); ++k) {
        out[k] = stats::kaplan_meier(data, {golden_types[k], 0.95, reverse});
    }
    return out;
}

class GoldenKaplanMeier : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(GoldenKaplanMeier, MatchesR) {
    const auto& param = GetParam();
    std::ifstream in(golden_dir / "ref" / (param.dataset + ".json"));
    const json ref = json::parse(in);
    const json& endpoint = ref.at("endpoints").at(param.endpoint);
    std::string csv = (golden_dir / "data" / (param.dataset + ".csv")).string();
    if (!fs::exists(csv)) csv += ".gz";
    const std::string group = endpoint.value("group_col", std::string());
    const auto data = load(csv, endpoint.at("time_col"), endpoint.at("status_col"), group);
    const std::string label = param.dataset + "/" + param.endpoint;
    compared = 0;

    // Overall: one curve, no group.
    stats::SurvivalData overall = data;
    overall.group.clear();
    overall.group_names.clear();
    {
        const auto km = fits(overall, false);
        ASSERT_EQ(km[0].curves.size(), 1u);
        expect_curve(label + " overall", endpoint.at("km").at("overall"), endpoint,
                     {km[0].curves[0], km[1].curves[0], km[2].curves[0]});
    }
    const auto& by_group = endpoint.at("km").at("by_group");
    const auto km = fits(data, false);
    ASSERT_EQ(km[0].curves.size(), by_group.size()) << label;
    for (std::size_t g = 0; g < by_group.size(); ++g) {
        // Groups are listed in ascending order of the group code, as R orders the strata.
        EXPECT_EQ(std::stod(km[0].curves[g].name), by_group[g].at("group").get<double>());
        expect_curve(label + " group " + km[0].curves[g].name, by_group[g], endpoint,
                     {km[0].curves[g], km[1].curves[g], km[2].curves[g]});
    }

    // Reverse KM (median follow-up): censoring is the event.
    const auto& reverse_ref = endpoint.at("reverse_km");
    auto expect_reverse = [&](const std::string& what, const std::array<stats::KaplanMeier, 3>& rk,
                              std::size_t curve, const json& r) {
        EXPECT_EQ(rk[0].curves[curve].n, r.at("n").get<std::size_t>()) << what;
        expect_value(what + " events", rk[0].curves[curve].events, r.at("events"));
        for (std::size_t k = 0; k < golden_types.size(); ++k) {
            const std::string type = stats::conf_type_name(golden_types[k]);
            const auto median = stats::median_survival(rk[k].curves[curve]);
            expect_value(what + " median", median.estimate, r.at("median").at("estimate"));
            expect_value(what + " median lower [" + type + "]", median.lower,
                         r.at("median").at("ci").at(type).at("lower"));
            expect_value(what + " median upper [" + type + "]", median.upper,
                         r.at("median").at("ci").at(type).at("upper"));
        }
    };
    expect_reverse(label + " reverse overall", fits(overall, true), 0, reverse_ref.at("overall"));
    const auto reverse_groups = fits(data, true);
    ASSERT_EQ(reverse_groups[0].curves.size(), reverse_ref.at("by_group").size());
    for (std::size_t g = 0; g < reverse_groups[0].curves.size(); ++g) {
        expect_reverse(label + " reverse group " + std::to_string(g), reverse_groups, g,
                       reverse_ref.at("by_group")[g]);
    }
    RecordProperty("values_compared", static_cast<int>(compared));
    std::printf("%s: %zu values compared with R\n", label.c_str(), compared);
    EXPECT_GT(compared, 100u);
}

INSTANTIATE_TEST_SUITE_P(Golden, GoldenKaplanMeier, ::testing::ValuesIn(golden_cases()),
                         [](const ::testing::TestParamInfo<GoldenCase>& info) {
                             std::string name = info.param.dataset + "_" + info.param.endpoint;
                             for (auto& c : name) {
                                 if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                             }
                             return name;
                         });

}  // namespace

// ---------------------------------------------------------------------------------------
// Hand-worked corner cases.

namespace {

stats::SurvivalData make(std::vector<double> time, std::vector<std::uint8_t> event,
                         std::vector<std::int32_t> group = {},
                         std::vector<std::string> names = {}) {
    stats::SurvivalData data;
    data.time = std::move(time);
    data.event = std::move(event);
    data.group = std::move(group);
    data.group_names = std::move(names);
    return data;
}

void expect_near_rel(double got, double want, const char* what) {
    EXPECT_NEAR(got, want, 1e-12 * std::max(1.0, std::fabs(want))) << what;
}

// Events and censorings tied at t = 2 (unsorted on purpose):
//   t = 2: n = 5, d = 2, c = 1  S = 3/5              Greenwood sum 2/(5*3) = 2/15
//   t = 3: n = 2, d = 1         S = 3/5 * 1/2 = 0.3  sum 2/15 + 1/(2*1)
//   t = 4: n = 1, c = 1
stats::SurvivalData tied_example() {
    return make({3, 2, 4, 2, 2}, {1, 1, 0, 0, 1});
}

}  // namespace

TEST(KaplanMeierCorner, EmptyInputGivesAnEmptyCurveAndNoMedian) {
    const auto km = stats::kaplan_meier(make({}, {}));
    ASSERT_EQ(km.curves.size(), 1u);
    EXPECT_EQ(km.curves[0].n, 0u);
    EXPECT_EQ(km.curves[0].rows(), 0u);
    EXPECT_TRUE(std::isnan(stats::median_survival(km.curves[0]).estimate));
    const std::vector<double> times{1.0};
    EXPECT_TRUE(stats::survival_at_times(km.curves[0], times).rows.empty());
    EXPECT_TRUE(std::isnan(stats::restricted_mean(km.curves[0], 10).rmean));
    EXPECT_FALSE(km.messages.empty());
}

TEST(KaplanMeierCorner, OneSubjectWithAnEvent) {
    const auto km = stats::kaplan_meier(make({5}, {1}));
    const auto& c = km.curves[0];
    ASSERT_EQ(c.rows(), 1u);
    EXPECT_EQ(c.n_risk[0], 1);
    EXPECT_EQ(c.surv[0], 0);
    EXPECT_TRUE(std::isinf(c.std_err[0]));  // n = d: R reports Inf
    EXPECT_TRUE(std::isnan(c.lower[0]));
    EXPECT_TRUE(std::isnan(c.upper[0]));
    const auto median = stats::median_survival(c);
    EXPECT_EQ(median.estimate, 5);
    EXPECT_TRUE(std::isnan(median.lower));
    const auto rmst = stats::restricted_mean(c, 10);
    EXPECT_EQ(rmst.rmean, 5);  // S = 1 on [0, 5), 0 after
    EXPECT_EQ(rmst.se, 0);     // the n = d term counts as 0
}

TEST(KaplanMeierCorner, OneSubjectCensored) {
    const auto km = stats::kaplan_meier(make({5}, {0}), {stats::ConfType::log_log});
    const auto& c = km.curves[0];
    ASSERT_EQ(c.rows(), 1u);
    EXPECT_EQ(c.surv[0], 1);
    EXPECT_EQ(c.std_err[0], 0);
    EXPECT_TRUE(std::isnan(c.lower[0]));  // log-log is NA at S = 1
    EXPECT_TRUE(std::isnan(stats::median_survival(c).estimate));
}

TEST(KaplanMeierCorner, AllCensored) {
    const auto km = stats::kaplan_meier(make({3, 1, 2}, {0, 0, 0}));
    const auto& c = km.curves[0];
    EXPECT_EQ(c.time, (std::vector<double>{1, 2, 3}));
    EXPECT_EQ(c.n_risk, (std::vector<double>{3, 2, 1}));
    EXPECT_EQ(c.surv, (std::vector<double>{1, 1, 1}));
    EXPECT_EQ(c.lower, (std::vector<double>{1, 1, 1}));  // log band at S = 1 is [1, 1]
    EXPECT_EQ(c.events, 0);
    const auto median = stats::median_survival(c);
    EXPECT_TRUE(std::isnan(median.estimate));
    EXPECT_TRUE(std::isnan(median.lower));
    const auto rmst = stats::restricted_mean(c, 3);
    EXPECT_EQ(rmst.rmean, 3);
    EXPECT_EQ(rmst.se, 0);
}

TEST(KaplanMeierCorner, EventsAndCensoringsTiedAtOneTime) {
    const auto km = stats::kaplan_meier(tied_example());
    const auto& c = km.curves[0];
    EXPECT_EQ(c.time, (std::vector<double>{2, 3, 4}));
    EXPECT_EQ(c.n_risk, (std::vector<double>{5, 2, 1}));  // the censored at 2 is at risk at 2
    EXPECT_EQ(c.n_event, (std::vector<double>{2, 1, 0}));
    EXPECT_EQ(c.n_censor, (std::vector<double>{1, 0, 1}));
    expect_near_rel(c.surv[0], 0.6, "S(2)");
    expect_near_rel(c.surv[1], 0.3, "S(3)");
    expect_near_rel(c.std_err[0], std::sqrt(2.0 / 15), "std_err(2)");
    expect_near_rel(c.std_err[1], std::sqrt(2.0 / 15 + 0.5), "std_err(3)");
    expect_near_rel(c.std_err_surv[1], 0.3 * std::sqrt(2.0 / 15 + 0.5), "SE of S(3)");
    expect_near_rel(c.cumhaz[1], 2.0 / 5 + 1.0 / 2, "cumhaz(3)");
    expect_near_rel(c.std_chaz[1], std::sqrt(2.0 / 25 + 1.0 / 4), "std_chaz(3)");
    const double z = km.z;
    expect_near_rel(c.lower[0], 0.6 * std::exp(-z * std::sqrt(2.0 / 15)), "log lower(2)");
    EXPECT_EQ(stats::median_survival(c).estimate, 3);

    // S(2.5): right-continuous; at risk at 2.5 are those with time >= 2.5; (0, 2.5] holds
    // 2 events and 1 censoring.
    const std::vector<double> times{2.5, 4};
    const auto at = stats::survival_at_times(c, times);
    ASSERT_EQ(at.rows.size(), 2u);
    EXPECT_EQ(at.rows[0].n_risk, 2);
    EXPECT_EQ(at.rows[0].n_event, 2);
    EXPECT_EQ(at.rows[0].n_censor, 1);
    expect_near_rel(at.rows[0].surv, 0.6, "S(2.5)");
    expect_near_rel(at.rows[0].std_err_surv, 0.6 * std::sqrt(2.0 / 15), "SE S(2.5)");
    EXPECT_EQ(at.rows[1].n_event, 1);  // (2.5, 4]
    EXPECT_EQ(at.rows[1].n_censor, 1);

    // RMST to 4: 2 * 1 + 1 * 0.6 + 1 * 0.3 = 2.9; A(3) = 0.3, A(2) = 0.9:
    // se^2 = 0.3^2 * 1/(2*1) + 0.9^2 * 2/(5*3).
    const auto rmst = stats::restricted_mean(c, 4);
    expect_near_rel(rmst.rmean, 2.9, "rmean");
    expect_near_rel(rmst.se, std::sqrt(0.09 * 0.5 + 0.81 * 2.0 / 15), "se(rmean)");
}

TEST(KaplanMeierCorner, UnsortedInputGivesTheSameCurve) {
    const auto sorted = stats::kaplan_meier(make({2, 2, 2, 3, 4}, {1, 1, 0, 1, 0}));
    const auto shuffled = stats::kaplan_meier(tied_example());
    EXPECT_EQ(sorted.curves[0].time, shuffled.curves[0].time);
    EXPECT_EQ(sorted.curves[0].surv, shuffled.curves[0].surv);
    EXPECT_EQ(sorted.curves[0].std_err, shuffled.curves[0].std_err);
}

TEST(KaplanMeierCorner, NonIntegerTimesTakeTheSortingPath) {
    // Same data on a half-day scale: the sorted path must give the same curve.
    const auto km = stats::kaplan_meier(make({1.5, 1.0, 2.0, 1.0, 1.0}, {1, 1, 0, 0, 1}));
    EXPECT_EQ(km.curves[0].time, (std::vector<double>{1.0, 1.5, 2.0}));
    EXPECT_EQ(km.curves[0].surv, stats::kaplan_meier(tied_example()).curves[0].surv);
}

TEST(KaplanMeierCorner, SortingPathEqualsCountingPathOnPbc) {
    // pbc times are integer days (counting pass); shifted by a quarter day they are sorted
    // instead. The curves must be the same, bit for bit, at the shifted times.
    const auto data = load((golden_dir / "data" / "pbc.csv").string(), "time", "status", "trt");
    auto shifted = data;
    for (double& t : shifted.time) t += 0.25;
    const auto a = stats::kaplan_meier(data);
    const auto b = stats::kaplan_meier(shifted);
    ASSERT_EQ(a.curves.size(), b.curves.size());
    for (std::size_t g = 0; g < a.curves.size(); ++g) {
        ASSERT_EQ(a.curves[g].rows(), b.curves[g].rows());
        for (std::size_t k = 0; k < a.curves[g].rows(); ++k) {
            EXPECT_EQ(a.curves[g].time[k] + 0.25, b.curves[g].time[k]);
        }
        EXPECT_EQ(a.curves[g].n_risk, b.curves[g].n_risk);
        EXPECT_EQ(a.curves[g].surv, b.curves[g].surv);
        EXPECT_EQ(a.curves[g].std_err, b.curves[g].std_err);
    }
}

TEST(KaplanMeierCorner, AGroupWithZeroEvents) {
    const auto km =
        stats::kaplan_meier(make({1, 2, 3, 4, 5}, {1, 1, 0, 0, 0}, {0, 0, 1, 1, 1}, {"a", "b"}));
    ASSERT_EQ(km.curves.size(), 2u);
    EXPECT_EQ(km.curves[0].name, "a");
    EXPECT_EQ(km.curves[1].name, "b");
    EXPECT_EQ(km.curves[1].events, 0);
    EXPECT_EQ(km.curves[1].surv, (std::vector<double>{1, 1, 1}));
    EXPECT_TRUE(std::isnan(stats::median_survival(km.curves[1]).estimate));
    // Group a: S(1) = 1/2 exactly, then 0 at 2: R's rule gives the midpoint (1 + 2)/2.
    EXPECT_EQ(stats::median_survival(km.curves[0]).estimate, 1.5);
}

TEST(KaplanMeierCorner, FlatHalfTakesTheMidpoint) {
    // S(1) = 1/2 exactly, S(2) = 0: R's minmin gives (1 + 2)/2.
    const auto km = stats::kaplan_meier(make({1, 1, 2, 2}, {1, 1, 1, 1}));
    EXPECT_EQ(stats::median_survival(km.curves[0]).estimate, 1.5);
}

TEST(KaplanMeierCorner, ReverseSwapsEventAndCensoring) {
    // Reverse of the tied example: at t = 2 the original censoring is the event (1 of 5).
    const auto km = stats::kaplan_meier(tied_example(), {stats::ConfType::log, 0.95, true});
    const auto& c = km.curves[0];
    EXPECT_EQ(c.n_event, (std::vector<double>{1, 0, 1}));
    EXPECT_EQ(c.n_censor, (std::vector<double>{2, 1, 0}));
    expect_near_rel(c.surv[0], 0.8, "reverse S(2)");
    EXPECT_EQ(c.surv[2], 0);
    EXPECT_EQ(c.events, 2);
}

TEST(KaplanMeierCorner, VeteranTrt2MedianIs52Point5AsR) {
    // R: print(survfit(Surv(time, status) ~ trt, veteran)): trt=2 median 52.5. S(52) is 34/68
    // in exact arithmetic; R's product is 0.49999999999999967 and S drops below at 53.
    const auto data = load((golden_dir / "data" / "veteran.csv").string(), "time", "status", "trt");
    const auto km = stats::kaplan_meier(data);
    ASSERT_EQ(km.curves.size(), 2u);
    EXPECT_EQ(stats::median_survival(km.curves[1]).estimate, 52.5);
}

TEST(KaplanMeierCorner, LogitAndArcsinBandsAsR) {
    // R: f <- survfit(Surv(time, status) ~ 1, lung, conf.type = "logit" / "arcsin");
    //    sprintf("%.17g", f$lower[c(1, 50, 100, 150, 186)]) and the same for f$upper.
    const auto data = load((golden_dir / "data" / "lung.csv").string(), "time", "status", "");
    const std::size_t rows[] = {0, 49, 99, 149, 185};
    struct Expected {
        stats::ConfType type;
        double lower[5];
        double upper[5];
    };
    const Expected expected[] = {
        {stats::ConfType::logit,
         {0.96954786317222841, 0.6454179659794641, 0.4740344545138383, 0.21527304428718119,
          0.020355820472908515},
         {0.99938250775127402, 0.76367725306607148, 0.60824595458113306, 0.35135448700425742,
          0.11914491424128459}},
        {stats::ConfType::arcsin,
         {0.98289132149982827, 0.64712820555359418, 0.47421236298952429, 0.21275369610308614,
          0.015273797455820701},
         {0.99999811148755169, 0.76544291909841733, 0.60881991277570291, 0.34884924388153998,
          0.10421171542600785}},
    };
    for (const auto& e : expected) {
        const auto km = stats::kaplan_meier(data, {e.type});
        for (int i = 0; i < 5; ++i) {
            EXPECT_TRUE(same(km.curves[0].lower[rows[i]], e.lower[i]))
                << stats::conf_type_name(e.type) << " " << i;
            EXPECT_TRUE(same(km.curves[0].upper[rows[i]], e.upper[i]))
                << stats::conf_type_name(e.type) << " " << i;
        }
        // R: summary(f)$table: median 310, 0.95LCL 284, 0.95UCL 361 for both types.
        const auto median = stats::median_survival(km.curves[0]);
        EXPECT_EQ(median.estimate, 310);
        EXPECT_EQ(median.lower, 284);
        EXPECT_EQ(median.upper, 361);
    }
}

TEST(KaplanMeierCorner, QuantilesAsR) {
    // R: quantile(survfit(Surv(time, status) ~ 1, lung), c(.1, .25, .5, .75, .9))
    //    quantile 79 170 310 550 735; lower 60 145 285 460 689; upper 107 197 363 654 NA
    const auto data = load((golden_dir / "data" / "lung.csv").string(), "time", "status", "");
    const auto km = stats::kaplan_meier(data);
    const std::vector<double> p{0.1, 0.25, 0.5, 0.75, 0.9};
    const auto q = stats::survival_quantiles(km.curves[0], p);
    const double estimate[] = {79, 170, 310, 550, 735};
    const double lower[] = {60, 145, 285, 460, 689};
    const double upper[] = {107, 197, 363, 654, na};
    for (std::size_t i = 0; i < p.size(); ++i) {
        EXPECT_TRUE(same(q[i].estimate, estimate[i])) << p[i];
        EXPECT_TRUE(same(q[i].lower, lower[i])) << p[i];
        EXPECT_TRUE(same(q[i].upper, upper[i])) << p[i];
    }
}

TEST(KaplanMeierCorner, SpssMedianHandWorked) {
    // Ten uncensored times 1..10: S(t_k) = 1 - k/10. SPSS median = first S <= 0.5 -> 5.
    // u = 4 (S = 0.6 >= 0.55), l = 6 (S = 0.4 <= 0.45): f = (0.6 - 0.4)/(6 - 4) = 0.1.
    // Greenwood: sum_{k<=5} 1/((11-k)(10-k)) = 1/5 - 1/10 = 0.1, SE of S(5) = 0.5 sqrt(0.1).
    // SE(median) = 0.5 sqrt(0.1) / 0.1; CI = 5 -/+ 1.96 SE.
    const auto km = stats::kaplan_meier(
        make({3, 1, 2, 10, 4, 5, 9, 6, 7, 8}, std::vector<std::uint8_t>(10, 1)));
    const auto spss = stats::spss_median(km.curves[0]);
    EXPECT_EQ(spss.estimate, 5);
    const double se = 0.5 * std::sqrt(0.1) / 0.1;
    expect_near_rel(spss.std_err, se, "SPSS SE");
    expect_near_rel(spss.lower, 5 - 1.96 * se, "SPSS lower");
    expect_near_rel(spss.upper, 5 + 1.96 * se, "SPSS upper");
    // R's median on the same curve: S(5) = 0.5 within sqrt(eps), so (5 + 6)/2.
    EXPECT_EQ(stats::median_survival(km.curves[0]).estimate, 5.5);
}

TEST(KaplanMeierCorner, IntegerCaseWeightsAsR) {
    // R: d <- data.frame(t = c(1,2,2,3,4,5,5,6), e = c(0,1,0,1,1,0,1,0), w = c(1,1,2,3,1,1,2,1))
    //    f <- survfit(Surv(t, e) ~ 1, d, weights = w); f$n.risk, f$surv, f$std.err;
    //    summary(f, rmean = 6)$table: rmean 4.1590909090909092, se 0.44240634633981352, median 4
    auto data = make({1, 2, 2, 3, 4, 5, 5, 6}, {0, 1, 0, 1, 1, 0, 1, 0});
    data.weight = {1, 1, 2, 3, 1, 1, 2, 1};
    const auto km = stats::kaplan_meier(data);
    const auto& c = km.curves[0];
    EXPECT_EQ(c.n_risk, (std::vector<double>{12, 11, 8, 5, 4, 1}));
    const double surv[] = {1,
                           0.90909090909090906,
                           0.56818181818181812,
                           0.45454545454545453,
                           0.22727272727272727,
                           0.22727272727272727};
    const double std_err[] = {0,
                              0.095346258924559224,
                              0.28998432559521053,
                              0.36618425565677876,
                              0.61975068300963498,
                              0.61975068300963498};
    ASSERT_EQ(c.rows(), 6u);
    for (std::size_t k = 0; k < 6; ++k) {
        EXPECT_TRUE(same(c.surv[k], surv[k])) << k;
        EXPECT_TRUE(same(c.std_err[k], std_err[k])) << k;
    }
    EXPECT_EQ(stats::median_survival(c).estimate, 4);
    const auto rmst = stats::restricted_mean(c, 6);
    EXPECT_TRUE(same(rmst.rmean, 4.1590909090909092));
    EXPECT_TRUE(same(rmst.se, 0.44240634633981352));
    EXPECT_TRUE(km.messages.empty());  // integer weights: Greenwood is R's default too
}

// The infinitesimal jackknife (robust) variance (docs/methods.md §1.3), against R 4.x with
// survival 3.5:
//   d <- data.frame(time = 1:8, status = c(1,1,0,1,1,0,1,1), w = c(1.5,.5,1,2.5,1,.7,1,1.2),
//                   g = c(1,1,2,2,1,2,1,2))
//   a <- survfit(Surv(time, status) ~ 1, d, weights = w)             # robust: non-integer weights
//   b <- survfit(Surv(time, status) ~ 1, d, weights = w, cluster = g)
//   c <- survfit(Surv(time, status) ~ 1, d, cluster = g)
//   x$std.err (the SE of S: x$logse is FALSE), x$std.chaz, x$lower
// Hand check of a at t = 1: n = 9.4, h = 1.5/9.4; the row with the event has derivative
// -1/9.4 of log S, the 7 others h/(9.4 (1 - h)); sqrt(S^2 (1.5^2/9.4^2 + 11.43 (1.5/(9.4 * 7.9))^2))
// = 0.14587517695070731.
namespace {

stats::SurvivalData robust_example() {
    auto data = make({1, 2, 3, 4, 5, 6, 7, 8}, {1, 1, 0, 1, 1, 0, 1, 1});
    data.weight = {1.5, 0.5, 1, 2.5, 1, 0.7, 1, 1.2};
    return data;
}

void expect_robust(const stats::KaplanMeierCurve& c, const std::vector<double>& se_surv, const std::vector<double>& se_chaz) {
    ASSERT_EQ(c.rows(), se_surv.size());
    for (std::size_t k = 0; k < c.rows(); ++k) {
        if (se_surv[k] < 1e-15) {
            EXPECT_LT(c.std_err_surv[k], 1e-15) << k;  // R: 0 or 5.6e-17 where S = 0
            EXPECT_TRUE(std::isinf(c.std_err[k])) << k;
        } else {
            EXPECT_TRUE(same(c.std_err_surv[k], se_surv[k])) << k << ": " << c.std_err_surv[k];
            EXPECT_TRUE(same(c.std_err[k], se_surv[k] / c.surv[k])) << k;
        }
        EXPECT_TRUE(same(c.std_chaz[k], se_chaz[k])) << k << ": " << c.std_chaz[k];
    }
}

}  // namespace

TEST(KaplanMeierRobust, NonIntegerWeightsUseTheInfinitesimalJackknifeAsR) {
    const auto km = stats::kaplan_meier(robust_example());
    EXPECT_TRUE(km.robust);
    EXPECT_TRUE(km.messages.empty());
    const auto& c = km.curves[0];
    expect_robust(c,
                  {0.14587517695070731, 0.15251976535909595, 0.15251976535909595, 0.21239687283039832,
                   0.19055558192910377, 0.19055558192910377, 0.16716240653764039, 0},
                  {0.14587517695070731, 0.16597146143784380, 0.16597146143784380, 0.28477394774369180,
                   0.36118337847110388, 0.36118337847110388, 0.51811901910668923, 0.51811901910668912});
    const double lower[] = {0.598072228191948496, 0.538506503405114079, 0.538506503405114079, 0.201427195229169881,
                            0.125202879450937665, 0.125202879450937665, 0.036123422788376415};
    for (std::size_t k = 0; k < 7; ++k) EXPECT_TRUE(same(c.lower[k], lower[k])) << k;
    EXPECT_TRUE(std::isnan(c.lower[7]));
}

TEST(KaplanMeierRobust, ClustersSumTheDerivativesWithinEachClusterAsR) {
    auto data = robust_example();
    data.cluster = {0, 0, 1, 1, 0, 1, 0, 1};
    expect_robust(stats::kaplan_meier(data).curves[0],
                  {1.2964157826190664e-01, 1.7285543768254216e-01, 1.7285543768254216e-01, 3.0569179056307485e-02,
                   6.2016764832609150e-02, 6.2016764832609150e-02, 1.5890297735371836e-01, 5.5511151231257827e-17},
                  {0.129641578261906643, 0.190823706420973377, 0.190823706420973377, 0.018190214920351423,
                   0.194850686222710456, 0.194850686222710456, 0.545482147968106013, 0.545482147968106235});
    // Unweighted with clusters: robust too (R's default). At t = 1 by hand: S = 7/8; the
    // event row's derivative of S is -S/8, the others' 1/64; cluster sums -1/16 and 1/16.
    data.weight.clear();
    const auto km = stats::kaplan_meier(data);
    EXPECT_TRUE(km.robust);
    EXPECT_TRUE(same(km.curves[0].std_err_surv[0], std::sqrt(2.0) / 16));
    EXPECT_TRUE(same(km.curves[0].std_err_surv[6], 0.233345237791560745));
}

TEST(KaplanMeierRobust, PlainBandIsZeroOnceTheCurveIsZeroAsR) {
    // R 4.2, survival 3.5: d <- data.frame(time = 1:4, status = c(1, 0, 1, 1), w = c(1.5, 1, 0.5, 2));
    // survfit(Surv(time, status) ~ 1, d, weights = w, conf.type = "plain"): at t = 4, S = 0,
    // lower = upper = 0; at t = 3, S = 0.56, lower 0.0003419022 (upper capped at 1); with
    // conf.type = "log" the band at S = 0 is NA.
    stats::SurvivalData data;
    data.time = {1, 2, 3, 4};
    data.event = {1, 0, 1, 1};
    data.weight = {1.5, 1, 0.5, 2};
    stats::KaplanMeierOptions options;
    options.conf_type = stats::ConfType::plain;
    const auto plain = stats::kaplan_meier(data, options).curves[0];
    ASSERT_EQ(plain.rows(), 4u);
    EXPECT_EQ(plain.surv[3], 0.0);
    EXPECT_EQ(plain.lower[3], 0.0);
    EXPECT_EQ(plain.upper[3], 0.0);
    EXPECT_NEAR(plain.lower[2], 0.0003419022, 1e-10);
    options.conf_type = stats::ConfType::log;
    const auto log = stats::kaplan_meier(data, options).curves[0];
    EXPECT_TRUE(std::isnan(log.lower[3]) && std::isnan(log.upper[3]));
}

TEST(KaplanMeierRobust, GreenwoodWhenAskedOrWhenWeightsAreIntegers) {
    stats::KaplanMeierOptions options;
    options.variance = stats::KmVariance::greenwood;
    const auto km = stats::kaplan_meier(robust_example(), options);
    EXPECT_FALSE(km.robust);
    ASSERT_EQ(km.messages.size(), 1u);  // says that R's default differs
    // R: survfit(..., weights = w, robust = FALSE)$std.err[1] = 0.1421242 (SE of -log S),
    // Greenwood on weighted counts: sqrt(d / (n (n - d))) with n = 9.4, d = 1.5.
    EXPECT_TRUE(same(km.curves[0].std_err[0], std::sqrt(1.5 / (9.4 * 7.9))));
    auto whole = robust_example();
    whole.weight = {1, 2, 1, 3, 1, 1, 1, 2};
    EXPECT_FALSE(stats::kaplan_meier(whole).robust);
}

TEST(KaplanMeierRobust, OneClusterHoldingTheRiskSetHasNoVariance) {
    // Scaling every weight of the only cluster leaves S unchanged: the derivative is 0.
    auto data = make({1, 2, 2, 3, 4}, {1, 0, 1, 1, 0});
    data.cluster = {3, 3, 3, 3, 3};
    const auto& c = stats::kaplan_meier(data).curves[0];
    for (std::size_t k = 0; k + 1 < c.rows(); ++k) EXPECT_LT(c.std_err_surv[k], 1e-15) << k;
}

TEST(KaplanMeierCountingProcess, DelayedEntryAsR) {
    // R: d <- data.frame(start = c(0,1,2,0,3,1,4,0), stop = c(3,4,5,2,6,3,7,5),
    //                    status = c(1,0,1,0,1,1,0,1))
    //    f <- survfit(Surv(start, stop, status) ~ 1, d)
    //    f$n.risk 5 5 4 4 2 1; f$surv 1 .6 .6 .3 .15 .15;
    //    f$std.err 0 0.3651484 0.3651484 0.6191392 0.9398581 0.9398581 (printed to 7 digits)
    //    summary(f, rmean = 7)$table: rmean 4.65, se(rmean) 0.6518244
    // By hand: at t = 3 the rows at risk are those with start < 3 <= stop: 5 of them (the row
    // (0, 2] has left, (3, 6] and (4, 7] have not entered); S = 1 - 2/5; Greenwood
    // sqrt(2 / (5 * 3)) = 0.36514837167011072.
    auto data = make({3, 4, 5, 2, 6, 3, 7, 5}, {1, 0, 1, 0, 1, 1, 0, 1});
    data.start = {0, 1, 2, 0, 3, 1, 4, 0};
    const auto km = stats::kaplan_meier(data);
    const auto& c = km.curves[0];
    EXPECT_EQ(c.time, (std::vector<double>{2, 3, 4, 5, 6, 7}));
    EXPECT_EQ(c.n_risk, (std::vector<double>{5, 5, 4, 4, 2, 1}));
    const double surv[] = {1, 0.6, 0.6, 0.3, 0.15, 0.15};
    for (std::size_t k = 0; k < 6; ++k) EXPECT_TRUE(same(c.surv[k], surv[k])) << k;
    EXPECT_TRUE(same(c.std_err[1], std::sqrt(2.0 / 15)));
    // t = 5: n = 4, d = 2 adds 2 / (4 * 2); t = 6: n = 2, d = 1 adds 1 / 2.
    EXPECT_TRUE(same(c.std_err[3], std::sqrt(2.0 / 15 + 0.25)));
    EXPECT_TRUE(same(c.std_err[4], std::sqrt(2.0 / 15 + 0.25 + 0.5)));
    EXPECT_NEAR(c.std_err[5], 0.9398581, 5e-8);
    const auto rmst = stats::restricted_mean(c, 7);
    EXPECT_TRUE(same(rmst.rmean, 4.65));
    EXPECT_NEAR(rmst.se, 0.6518244, 5e-8);
    EXPECT_FALSE(km.robust);
}

TEST(KaplanMeierCountingProcess, ReverseIsRefusedAndStartMustPrecedeStop) {
    auto data = make({3, 4}, {1, 0});
    data.start = {0, 1};
    stats::KaplanMeierOptions options;
    options.reverse = true;
    EXPECT_THROW(stats::kaplan_meier(data, options), rwe::Error);
    data.start = {0, 4};
    EXPECT_THROW(stats::kaplan_meier(data), rwe::Error);
}

// ---------------------------------------------------------------------------------------
// The CLI: bad input names file:line: column; dropped rows are counted.

namespace {

struct Run {
    int status;
    std::string out;
};

Run run_rwe(const std::string& args) {
    const std::string command = std::string(RWE_BINARY) + " " + args + " 2>&1";
    Run run{0, {}};
    FILE* pipe = popen(command.c_str(), "r");
    char buffer[4096];
    std::size_t got = 0;
    while ((got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) run.out.append(buffer, got);
    const int status = pclose(pipe);
    run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return run;
}

std::string write_csv(const std::string& name, const std::string& text) {
    const fs::path dir = fs::temp_directory_path() / "rwe_km_test";
    fs::create_directories(dir);
    const fs::path path = dir / name;
    std::ofstream(path) << text;
    return path.string();
}

}  // namespace

TEST(KmCommand, NegativeTimeNamesTheLine) {
    const auto csv = write_csv("negative.csv", "t,e\n1,1\n-2,0\n");
    const auto run = run_rwe("km " + csv + " --time t --event e");
    EXPECT_EQ(run.status, 1);
    EXPECT_NE(run.out.find(csv + ":3: t: negative time (-2)"), std::string::npos) << run.out;
}

TEST(KmCommand, ClustersAndTheRobustVariance) {
    const auto csv = write_csv("clusters.csv", "t,e,g,w\n1,1,a,1.5\n2,1,a,0.5\n3,0,b,1\n4,1,b,2.5\n5,1,a,1\n");
    auto run = run_rwe("km " + csv + " --time t --event e --cluster g --format json");
    EXPECT_EQ(run.status, 0) << run.out;
    EXPECT_NE(run.out.find("\"variance\": \"robust\""), std::string::npos) << run.out;
    run = run_rwe("km " + csv + " --time t --event e --weights w --no-robust --format json");
    EXPECT_NE(run.out.find("\"variance\": \"greenwood\""), std::string::npos) << run.out;
    run = run_rwe("km " + csv + " --time t --event e --cluster g --no-robust");
    EXPECT_EQ(run.status, 2);
    EXPECT_NE(run.out.find("--cluster: clusters are used by the robust variance only"), std::string::npos) << run.out;
    const auto one = write_csv("one_cluster.csv", "t,e,g\n1,1,a\n2,1,a\n3,0,a\n");
    run = run_rwe("km " + one + " --time t --event e --cluster g");
    EXPECT_EQ(run.status, 1);
    EXPECT_NE(run.out.find("the rows used form a single cluster"), std::string::npos) << run.out;
}

TEST(KmCommand, BadEventCodeNamesTheLine) {
    // 0, 1 and 2 together: neither 0/1 nor Surv()'s 1/2 coding (R: "Invalid status value")
    const auto csv = write_csv("event.csv", "t,e\n1,1\n2,0\n3,2\n");
    const auto run = run_rwe("km " + csv + " --time t --event e");
    EXPECT_EQ(run.status, 1);
    EXPECT_NE(run.out.find(csv + ":3: e: event code must be 0/1 (censored/event), 1/2 or TRUE/FALSE (0)"),
              std::string::npos)
        << run.out;
}

// Status codings R's Surv() accepts, against survfit on the same data:
//   d <- data.frame(t = c(1, 2, 3, 4), e = c(2, 1, 2, 2)); survfit(Surv(t, e) ~ 1, d)$surv
//   -> 0.75 0.75 0.375 0  (2 = event, 1 = censored); TRUE/FALSE read as 1/0 give the same.
TEST(KmCommand, StatusCodedOneTwoOrTrueFalseAsRSurv) {
    const double r_surv[] = {0.75, 0.75, 0.375, 0};
    for (const std::string body : {"t,e\n1,2\n2,1\n3,2\n4,2\n", "t,e\n1,TRUE\n2,FALSE\n3,TRUE\n4,TRUE\n"}) {
        const auto csv = write_csv("coded.csv", body);
        const auto run = run_rwe("km " + csv + " --time t --event e --format json");
        ASSERT_EQ(run.status, 0) << run.out;
        const auto out = nlohmann::json::parse(run.out);
        const auto& table = out["strata"][0]["table"];
        ASSERT_EQ(table.size(), 4u) << body;
        for (std::size_t k = 0; k < 4; ++k) EXPECT_NEAR(table[k]["surv"].get<double>(), r_surv[k], 1e-12) << body;
    }
}

// Repeated --times values repeat the row, as R does:
//   d <- read.csv(text = "time,status\n1,1\n2,0\n2,1\n3,1\n4,0\n5,1\nNA,1\n6,1\n7,0")
//   s <- summary(survfit(Surv(time, status) ~ 1, d), times = c(5, 2, 2, 3))
//   s$time 2 2 3 5; s$n.risk 7 7 5 3; s$n.event 2 0 1 1; s$n.censor 1 0 0 1; s$surv .75 .75 .6 .4
TEST(KmCommand, RepeatedTimesRepeatTheRowAsR) {
    const auto csv = write_csv("repeat.csv", "time,status\n1,1\n2,0\n2,1\n3,1\n4,0\n5,1\nNA,1\n6,1\n7,0\n");
    const auto run = run_rwe("km " + csv + " --time time --event status --times 5,2,2,3 --format json");
    ASSERT_EQ(run.status, 0) << run.out;
    const auto at = json::parse(run.out)["strata"][0]["at_times"];
    ASSERT_EQ(at.size(), 4u);
    const double time[] = {2, 2, 3, 5}, risk[] = {7, 7, 5, 3}, event[] = {2, 0, 1, 1}, censor[] = {1, 0, 0, 1},
                 surv[] = {0.75, 0.75, 0.6, 0.4};
    for (std::size_t k = 0; k < 4; ++k) {
        EXPECT_EQ(at[k]["time"].get<double>(), time[k]);
        EXPECT_EQ(at[k]["n_risk"].get<double>(), risk[k]);
        EXPECT_EQ(at[k]["n_event"].get<double>(), event[k]);
        EXPECT_EQ(at[k]["n_censor"].get<double>(), censor[k]);
        EXPECT_NEAR(at[k]["surv"].get<double>(), surv[k], 1e-12);
    }
}

TEST(KmCommand, NonNumericTimeNamesTheLine) {
    const auto csv = write_csv("text.csv", "t,e\n1,1\nabc,0\n");
    const auto run = run_rwe("km " + csv + " --time t --event e");
    EXPECT_EQ(run.status, 1);
    EXPECT_NE(run.out.find(csv + ":3: t: not a number (abc)"), std::string::npos) << run.out;
}

TEST(KmCommand, MissingValuesAreDroppedAndCounted) {
    // Rows with no time (line 3) and no group (line 5) are dropped; group 7 occurs only in a
    // dropped row and is not listed; groups in numeric order (2 before 10).
    const auto csv = write_csv("missing.csv", "t,e,g\n1,1,10\n,0,7\n3,0,2\n4,1,\n5,1,2\n");
    const auto run = run_rwe("km " + csv + " --time t --event e --group g --format json");
    ASSERT_EQ(run.status, 0) << run.out;
    const json doc = json::parse(run.out);
    EXPECT_EQ(doc.at("dropped").get<int>(), 2);
    ASSERT_EQ(doc.at("strata").size(), 2u);
    EXPECT_EQ(doc.at("strata")[0].at("name"), "2");
    EXPECT_EQ(doc.at("strata")[0].at("n").get<int>(), 2);
    EXPECT_EQ(doc.at("strata")[1].at("name"), "10");
    EXPECT_EQ(doc.at("strata")[1].at("median").get<double>(), 1);
}
