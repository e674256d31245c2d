// Kaplan–Meier, its CIs, median, S(t) at times, RMST and reverse KM against R survival 3.5-3
// (the golden files of RWE_SHARED_DIR/golden, produced by survfit / summary / print with
// rmean), plus hand-worked corner cases (docs/methods.md §1).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "rwe/common/table.hpp"
#include "rwe/stats/kaplan_meier.hpp"
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
            if (++bad <= 3) ADD_FAILURE() << label << "[" << i << "]: " << got[i] << " vs R " << want[i];
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

void PrintTo(const GoldenCase& c, std::ostream* out) { *out << c.dataset << "/" << c.endpoint; }

std::vector<GoldenCase> golden_cases() {
    std::vector<GoldenCase> cases;
    for (const auto& entry : fs::directory_iterator(golden_dir / "ref")) {
        const auto name = entry.path().stem().string();
        if (entry.path().extension() != ".json" || name.find("timings") != std::string::npos) continue;
        std::ifstream in(entry.path());
        const json ref = json::parse(in);
        for (const auto& [endpoint, body] : ref.at("endpoints").items()) {
            if (body.contains("km")) cases.push_back({name, endpoint});
        }
    }
    std::sort(cases.begin(), cases.end(),
              [](const auto& a, const auto& b) { return a.dataset + a.endpoint < b.dataset + b.endpoint; });
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
        expect_value(tl + " median lower", median.lower, ref.at("median").at("ci").at(type).at("lower"));
        expect_value(tl + " median upper", median.upper, ref.at("median").at("ci").at(type).at("upper"));

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
            const char* names[] = {"time", "n_risk", "n_event", "n_censor", "surv", "std_err_surv", "cumhaz"};
            for (int c = 0; c < 7; ++c) expect_values(tl + " at_times." + names[c], col[c], at_ref.at(names[c]));
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
