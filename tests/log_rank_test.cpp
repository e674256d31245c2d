// Tests of the log-rank family (docs/methods.md §2) against R `survival` golden results
// (../shared/golden/ref), against R values of the weighted tests, trend and pairwise
// comparisons (tests/data/log_rank_reference.json, made by tests/data/log_rank_reference.R),
// and against hand-worked examples.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <tuple>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "rwe/common/error.hpp"
#include "rwe/common/table.hpp"
#include "rwe/stats/log_rank.hpp"
#include "rwe/stats/log_rank_pairwise.hpp"
#include "rwe/stats/log_rank_trend.hpp"
#include "rwe/stats/multiple_comparisons.hpp"

namespace {

namespace fs = std::filesystem;
namespace stats = rwe::stats;
using nlohmann::json;

const fs::path golden_dir = fs::path(RWE_SHARED_DIR) / "golden";
constexpr double tolerance = 1e-9;
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

double value_of(const json& v) {
    if (v.is_null()) return nan;
    if (v.is_string()) return v.get<std::string>() == "Inf" ? INFINITY : -INFINITY;
    return v.get<double>();
}

bool same(double got, double want) {
    if (std::isnan(want)) return std::isnan(got);
    return std::abs(got - want) <= tolerance * std::max(1.0, std::abs(want));
}

void expect_values(const std::string& label, const std::vector<double>& got, const json& want) {
    ASSERT_EQ(got.size(), want.size()) << label;
    for (std::size_t i = 0; i < got.size(); ++i) {
        EXPECT_TRUE(same(got[i], value_of(want[i]))) << label << "[" << i << "]: " << got[i]
                                                     << " vs R " << want[i];
    }
}

void expect_value(const std::string& label, double got, const json& want) {
    EXPECT_TRUE(same(got, value_of(want))) << label << ": " << got << " vs R " << want;
}

// Loads the analysis data as `rwe logrank` does: rows with a missing value in a used column
// are dropped and counted; group and stratum levels are those of the kept rows, ascending.
// `time_shift` moves every time by a constant (a non-integer shift exercises the sorting path;
// it changes no risk set).
stats::SurvivalData load(const fs::path& csv, const std::string& time, const std::string& status,
                         const std::string& group, const std::string& strata = "",
                         double time_shift = 0) {
    std::vector<rwe::ColumnRequest> request{{time}, {status}};
    request.push_back({group, rwe::ColumnRequest::Kind::categorical});
    if (!strata.empty()) request.push_back({strata, rwe::ColumnRequest::Kind::categorical});
    const rwe::Table table = rwe::read_table(csv.string(), request);
    const auto& t = table.numbers(time);
    const auto& e = table.numbers(status);
    const auto& g = table.category(group);
    const rwe::CategoricalColumn* s = strata.empty() ? nullptr : &table.category(strata);
    std::vector<std::int32_t> group_code(g.levels.size(), -1);
    std::vector<std::int32_t> stratum_code(s ? s->levels.size() : 0, -1);
    stats::SurvivalData data;
    for (std::size_t row = 0; row < table.rows; ++row) {
        if (std::isnan(t[row]) || std::isnan(e[row]) || g.codes[row] < 0 || (s && s->codes[row] < 0)) {
            ++data.dropped;
            continue;
        }
        data.time.push_back(t[row] + time_shift);
        data.event.push_back(static_cast<std::uint8_t>(e[row] == 1));
        data.group.push_back(g.codes[row]);
        if (s) data.stratum.push_back(s->codes[row]);
    }
    // Keep the levels that occur in kept rows, in their ascending order.
    auto compact = [](std::vector<std::int32_t>& codes, const std::vector<std::string>& levels,
                      std::vector<std::string>& names) {
        std::vector<std::int32_t> map(levels.size(), -1);
        for (auto c : codes) map[static_cast<std::size_t>(c)] = 0;
        std::int32_t next = 0;
        for (std::size_t l = 0; l < levels.size(); ++l) {
            if (map[l] == 0) {
                map[l] = next++;
                names.push_back(levels[l]);
            }
        }
        for (auto& c : codes) c = map[static_cast<std::size_t>(c)];
    };
    compact(data.group, g.levels, data.group_names);
    if (s) compact(data.stratum, s->levels, data.stratum_names);
    stats::merge_survival_times(data);
    return data;
}

// ---------------------------------------------------------------- golden (R survdiff)

struct GoldenCase {
    std::string dataset;
    std::string endpoint;
    std::string test;  // rho0, rho1, stratified_rho0
    bool sorting_path;
};

void PrintTo(const GoldenCase& c, std::ostream* os) {
    *os << c.dataset << "/" << c.endpoint << "/" << c.test << (c.sorting_path ? " (sorting path)" : "");
}

std::vector<GoldenCase> golden_cases() {
    std::vector<GoldenCase> cases;
    for (const auto& entry : fs::directory_iterator(golden_dir / "ref")) {
        const auto name = entry.path().stem().string();
        if (entry.path().extension() != ".json" || name.find("timings") != std::string::npos) continue;
        std::ifstream in(entry.path());
        const json ref = json::parse(in);
        for (const auto& [endpoint, body] : ref.at("endpoints").items()) {
            if (!body.contains("logrank")) continue;
            for (const auto& [test, values] : body.at("logrank").items()) {
                cases.push_back({name, endpoint, test, false});
                // The small sets once more through the sorting algorithm.
                if (name != "synthetic_1m") cases.push_back({name, endpoint, test, true});
            }
        }
    }
    std::sort(cases.begin(), cases.end(), [](const GoldenCase& a, const GoldenCase& b) {
        return std::tie(a.dataset, a.endpoint, a.test, a.sorting_path) <
               std::tie(b.dataset, b.endpoint, b.test, b.sorting_path);
    });
    return cases;
}

class GoldenLogRank : public testing::TestWithParam<GoldenCase> {};

// The 1M-row set is read once for all its cases.
const stats::SurvivalData& cached(const std::string& key, const std::function<stats::SurvivalData()>& make) {
    static std::map<std::string, stats::SurvivalData> cache;
    auto it = cache.find(key);
    if (it == cache.end()) it = cache.emplace(key, make()).first;
    return it->second;
}

TEST_P(GoldenLogRank, ReproducesSurvdiff) {
    const GoldenCase& c = GetParam();
    std::ifstream in(golden_dir / "ref" / (c.dataset + ".json"));
    const json ref = json::parse(in);
    const json& endpoint = ref.at("endpoints").at(c.endpoint);
    const json& want = endpoint.at("logrank").at(c.test);
    const std::string csv = ref.at("csv").get<std::string>();
    const std::string strata = want.contains("strata_col") ? want.at("strata_col").get<std::string>() : "";
    const double shift = c.sorting_path ? 0.25 : 0.0;
    const std::string key = c.dataset + "/" + strata + "/" + std::to_string(shift);
    const stats::SurvivalData& data = cached(key, [&] {
        return load(golden_dir / csv, endpoint.at("time_col"), endpoint.at("status_col"),
                    endpoint.at("group_col"), strata, shift);
    });

    const stats::GroupRiskTable table = stats::group_risk_table(data);
    EXPECT_EQ(table.counting_pass, !c.sorting_path);
    stats::LogRankOptions options;
    const double rho = want.at("rho").get<double>();
    if (rho != 0) {
        options.weight = stats::LogRankWeight::fleming_harrington;
        options.fh_p = rho;
    }
    const stats::LogRank result = stats::log_rank_test(table, options);

    EXPECT_EQ(result.n_used, want.at("n_used").get<std::size_t>());
    EXPECT_EQ(result.dropped, want.at("n_dropped_na").get<std::size_t>());
    ASSERT_EQ(result.groups.size(), want.at("groups").size());
    std::vector<double> n, observed, expected;
    for (std::size_t g = 0; g < result.groups.size(); ++g) {
        EXPECT_EQ(std::stod(result.groups[g].name), want.at("groups")[g].get<double>());
        n.push_back(static_cast<double>(result.groups[g].n));
        observed.push_back(result.groups[g].observed);
        expected.push_back(result.groups[g].expected);
    }
    expect_values("n", n, want.at("n"));
    expect_values("observed", observed, want.at("observed"));
    expect_values("expected", expected, want.at("expected"));
    for (std::size_t g = 0; g < result.variance.size(); ++g) {
        expect_values("var[" + std::to_string(g) + "]", result.variance[g], want.at("var")[g]);
    }
    expect_value("chisq", result.chisq, want.at("chisq"));
    EXPECT_EQ(result.df, want.at("df").get<std::size_t>());
    expect_value("p", result.p, want.at("p"));
    if (!strata.empty()) {
        std::vector<double> stratum_n;
        for (auto count : result.stratum_n) stratum_n.push_back(static_cast<double>(count));
        expect_values("strata_n", stratum_n, want.at("strata_n"));
        for (std::size_t g = 0; g < result.groups.size(); ++g) {
            expect_values("observed_by_stratum", result.observed_by_stratum[g],
                          want.at("observed_by_stratum")[g]);
            expect_values("expected_by_stratum", result.expected_by_stratum[g],
                          want.at("expected_by_stratum")[g]);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Golden, GoldenLogRank, testing::ValuesIn(golden_cases()),
                         [](const testing::TestParamInfo<GoldenCase>& info) {
                             std::string name = info.param.dataset + "_" + info.param.endpoint + "_" +
                                                info.param.test + (info.param.sorting_path ? "_sorted" : "");
                             for (auto& ch : name) {
                                 if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                             }
                             return name;
                         });

// ------------------------------------- R values of weighted tests, trend and pairwise tests

json reference_cases() {
    std::ifstream in(fs::path(RWE_TEST_DATA_DIR) / "log_rank_reference.json");
    return json::parse(in).at("cases");
}

class ReferenceLogRank : public testing::TestWithParam<int> {};

stats::LogRankOptions options_of(const json& c) {
    stats::LogRankOptions options;
    const std::string w = c.at("weights");
    if (w == "logrank") options.weight = stats::LogRankWeight::log_rank;
    if (w == "gehan") options.weight = stats::LogRankWeight::gehan_breslow;
    if (w == "tarone-ware") options.weight = stats::LogRankWeight::tarone_ware;
    if (w == "fh") {
        options.weight = stats::LogRankWeight::fleming_harrington;
        options.fh_p = c.at("fh_p");
        options.fh_q = c.at("fh_q");
        // Peto–Peto is the same test as FH(1, 0): use its own weight for that case.
        if (options.fh_p == 1 && options.fh_q == 0) options.weight = stats::LogRankWeight::peto_peto;
    }
    return options;
}

TEST_P(ReferenceLogRank, MatchesR) {
    const json c = reference_cases().at(static_cast<std::size_t>(GetParam()));
    SCOPED_TRACE(c.at("name").get<std::string>() + "   R: " + c.at("r_call").get<std::string>());
    const std::string strata = c.at("strata").is_null() ? "" : c.at("strata").get<std::string>();
    for (double shift : {0.0, 0.25}) {
        const stats::SurvivalData data = load(golden_dir / "data" / c.at("csv").get<std::string>(),
                                              c.at("time"), c.at("event"), c.at("group"), strata, shift);
        const stats::GroupRiskTable table = stats::group_risk_table(data);
        const stats::LogRankOptions options = options_of(c);
        const stats::LogRank result = stats::log_rank_test(table, options);
        EXPECT_EQ(result.dropped, c.at("n_dropped").get<std::size_t>());
        ASSERT_EQ(result.groups.size(), c.at("groups").size());
        std::vector<double> n, observed, expected;
        for (std::size_t g = 0; g < result.groups.size(); ++g) {
            EXPECT_EQ(result.groups[g].name, c.at("groups")[g].get<std::string>());
            n.push_back(static_cast<double>(result.groups[g].n));
            observed.push_back(result.groups[g].observed);
            expected.push_back(result.groups[g].expected);
        }
        expect_values("n", n, c.at("n"));
        expect_values("observed", observed, c.at("observed"));
        expect_values("expected", expected, c.at("expected"));
        for (std::size_t g = 0; g < result.variance.size(); ++g) {
            expect_values("var", result.variance[g], c.at("var")[g]);
        }
        expect_value("chisq", result.chisq, c.at("chisq"));
        EXPECT_EQ(result.df, c.at("df").get<std::size_t>());
        expect_value("p", result.p, c.at("p"));

        const json& t = c.at("trend");
        const stats::LogRankTrend trend =
            stats::log_rank_trend(result, t.at("scores").get<std::vector<double>>());
        expect_value("trend.statistic", trend.statistic, t.at("statistic"));
        expect_value("trend.variance", trend.variance, t.at("variance"));
        expect_value("trend.chisq", trend.chisq, t.at("chisq"));
        expect_value("trend.p", trend.p, t.at("p"));

        const json& pw = c.at("pairwise");
        for (auto adjust : {stats::PAdjustMethod::holm, stats::PAdjustMethod::benjamini_hochberg}) {
            const stats::PairwiseLogRank pairs = stats::pairwise_log_rank(table, options, adjust);
            ASSERT_EQ(pairs.comparisons.size(), pw.at("p").size());
            std::vector<double> chisq, p, adjusted;
            for (std::size_t i = 0; i < pairs.comparisons.size(); ++i) {
                const auto& comparison = pairs.comparisons[i];
                EXPECT_EQ(comparison.group1, pw.at("group1")[i].get<std::string>());
                EXPECT_EQ(comparison.group2, pw.at("group2")[i].get<std::string>());
                EXPECT_EQ(comparison.df, pw.at("df")[i].get<std::size_t>());
                chisq.push_back(comparison.chisq);
                p.push_back(comparison.p);
                adjusted.push_back(comparison.p_adjusted);
            }
            expect_values("pairwise.chisq", chisq, pw.at("chisq"));
            expect_values("pairwise.p", p, pw.at("p"));
            expect_values(adjust == stats::PAdjustMethod::holm ? "holm" : "bh", adjusted,
                          pw.at(adjust == stats::PAdjustMethod::holm ? "holm" : "bh"));
        }
    }
}

INSTANTIATE_TEST_SUITE_P(R, ReferenceLogRank,
                         testing::Range(0, static_cast<int>(reference_cases().size())));

// ---------------------------------------------------------------- hand-worked examples

// Rows given unsorted on purpose.
stats::SurvivalData small_data(std::vector<double> time, std::vector<std::uint8_t> event,
                               std::vector<std::int32_t> group, std::size_t groups = 2) {
    stats::SurvivalData data;
    data.time = std::move(time);
    data.event = std::move(event);
    data.group = std::move(group);
    for (std::size_t g = 0; g < groups; ++g) data.group_names.push_back(std::string(1, char('A' + g)));
    return data;
}

bool mentions(const std::vector<std::string>& messages, const std::string& text) {
    for (const auto& m : messages) {
        if (m.find(text) != std::string::npos) return true;
    }
    return false;
}

// A: 1 event, 2 censored, 3 event; B: 2 event, 4 event. The censoring of A at t = 2 is tied
// with B's event and stays in that risk set.
//   t=1: n=5, n_A=3, d=1  E_A = 3/5, V = 1*4/4 * (3/5)(2/5) = 0.24
//   t=2: n=4, n_A=2, d=1  E_A = 1/2, V = 1*3/3 * (1/2)(1/2) = 0.25
//   t=3: n=2, n_A=1, d=1  E_A = 1/2, V = 1*1/1 * (1/2)(1/2) = 0.25
//   t=4: n=1, n_A=0, d=1  E_A = 0,   skipped in V (n = 1)
// O_A = 2, E_A = 1.6, V = 0.74, chi^2 = (2 - 1.6)^2 / 0.74 = 0.16/0.74.
// (R: survdiff(Surv(t, s) ~ g) on these rows gives 0.21621621621621614.)
stats::SurvivalData tied_example() {
    return small_data({3, 2, 4, 1, 2}, {1, 0, 1, 1, 1}, {0, 0, 1, 0, 1});
}

TEST(LogRankHand, TiedEventAndCensoringUnsorted) {
    const stats::LogRank r = stats::log_rank_test(tied_example());
    EXPECT_DOUBLE_EQ(r.groups[0].observed, 2);
    EXPECT_DOUBLE_EQ(r.groups[0].expected, 1.6);
    EXPECT_DOUBLE_EQ(r.groups[1].observed, 2);
    EXPECT_DOUBLE_EQ(r.groups[1].expected, 2.4);
    EXPECT_NEAR(r.variance[0][0], 0.74, 1e-15);
    EXPECT_NEAR(r.variance[0][1], -0.74, 1e-15);
    EXPECT_NEAR(r.chisq, 0.16 / 0.74, 1e-14);
    EXPECT_EQ(r.df, 1u);
    EXPECT_NEAR(r.p, std::erfc(std::sqrt(0.16 / 0.74 / 2)), 1e-14);  // chi^2_1 tail = erfc(sqrt(x/2))
    EXPECT_TRUE(r.diagnostics.empty());
}

// Gehan–Breslow on the same rows, w = n_i = 5, 4, 2, 1:
//   O_A = 5 + 2 = 7, E_A = 5*3/5 + 4/2 + 2/2 + 0 = 6, V = 25*0.24 + 16*0.25 + 4*0.25 = 11.
// Tarone–Ware, w = sqrt(n_i): O_A = sqrt5 + sqrt2, E_A = 3 sqrt5/5 + 1 + sqrt2/2, V = 1.2 + 1 + 0.5.
// Peto–Peto, w = S(t-) = 1, 4/5, 3/5, 3/10: O_A = 1 + 3/5, E_A = 3/5 + 2/5 + 3/10,
//   V = 0.24 + 0.16 + 0.09.
TEST(LogRankHand, WeightsByHand) {
    const auto data = tied_example();
    stats::LogRankOptions gehan{stats::LogRankWeight::gehan_breslow};
    auto r = stats::log_rank_test(data, gehan);
    EXPECT_NEAR(r.groups[0].observed, 7, 1e-14);
    EXPECT_NEAR(r.groups[0].expected, 6, 1e-14);
    EXPECT_NEAR(r.variance[0][0], 11, 1e-13);
    EXPECT_NEAR(r.chisq, 1.0 / 11, 1e-14);
    EXPECT_EQ(r.method, "Gehan-Breslow");

    r = stats::log_rank_test(data, {stats::LogRankWeight::tarone_ware});
    EXPECT_NEAR(r.groups[0].observed, std::sqrt(5.0) + std::sqrt(2.0), 1e-14);
    EXPECT_NEAR(r.groups[0].expected, 3 * std::sqrt(5.0) / 5 + 1 + std::sqrt(2.0) / 2, 1e-14);
    EXPECT_NEAR(r.variance[0][0], 2.7, 1e-14);

    r = stats::log_rank_test(data, {stats::LogRankWeight::peto_peto});
    EXPECT_NEAR(r.groups[0].observed, 1.6, 1e-15);
    EXPECT_NEAR(r.groups[0].expected, 1.3, 1e-15);
    EXPECT_NEAR(r.variance[0][0], 0.49, 1e-15);
    // FH(1, 0) is the same test.
    const auto fh = stats::log_rank_test(data, {stats::LogRankWeight::fleming_harrington, 1, 0});
    EXPECT_DOUBLE_EQ(fh.chisq, r.chisq);

    // FH(0, 1), w = 1 - S(t-) = 0, 1/5, 2/5, 7/10: O_A = 2/5, E_A = 1/10 + 1/5, V = 0.01 + 0.04.
    r = stats::log_rank_test(data, {stats::LogRankWeight::fleming_harrington, 0, 1});
    EXPECT_NEAR(r.groups[0].observed, 0.4, 1e-15);
    EXPECT_NEAR(r.groups[0].expected, 0.3, 1e-15);
    EXPECT_NEAR(r.variance[0][0], 0.05, 1e-15);
    EXPECT_EQ(r.method, "Fleming-Harrington(0, 1)");
}

// A has no events (censored at 2 and 4); B has events at 1 and 3.
//   t=1: n=4, n_A=2, d=1: E_A = 1/2, V = 1/4;  t=3: n=2, n_A=1: E_A = 1/2, V = 1/4.
// O_A = 0, E_A = 1, V = 1/2, chi^2 = 2, p = erfc(1).
TEST(LogRankHand, GroupWithZeroEvents) {
    const auto r = stats::log_rank_test(small_data({4, 1, 2, 3}, {0, 1, 0, 1}, {0, 1, 0, 1}));
    EXPECT_DOUBLE_EQ(r.groups[0].observed, 0);
    EXPECT_DOUBLE_EQ(r.groups[0].expected, 1);
    EXPECT_DOUBLE_EQ(r.variance[0][0], 0.5);
    EXPECT_DOUBLE_EQ(r.chisq, 2);
    EXPECT_NEAR(r.p, std::erfc(1.0), 1e-15);
    EXPECT_TRUE(mentions(r.diagnostics, "group 'A' has no events"));
}

// B has one subject (event at 2). A: events at 1 and 2, censored at 3.
//   t=1: n=4, n_B=1, d=1: E_B = 1/4, V = 1*3/3*(1/4)(3/4) = 27/144
//   t=2: n=3, n_B=1, d=2: E_B = 2/3, V = 2*1/2*(1/3)(2/3) = 32/144
// O_B = 1, E_B = 11/12, V = 59/144, chi^2 = (1/144)/(59/144) = 1/59.
TEST(LogRankHand, OneSubjectGroup) {
    const auto r = stats::log_rank_test(small_data({2, 3, 1, 2}, {1, 0, 1, 1}, {1, 0, 0, 0}));
    EXPECT_EQ(r.groups[1].n, 1u);
    EXPECT_DOUBLE_EQ(r.groups[1].observed, 1);
    EXPECT_NEAR(r.groups[1].expected, 11.0 / 12, 1e-15);
    EXPECT_NEAR(r.variance[1][1], 59.0 / 144, 1e-15);
    EXPECT_NEAR(r.chisq, 1.0 / 59, 1e-15);
}

// No events: every E is 0, so no group is kept and there is no test (R: chisq 0 on -1 df, p NA).
TEST(LogRankHand, AllCensored) {
    const auto r = stats::log_rank_test(small_data({1, 2, 3, 4}, {0, 0, 0, 0}, {0, 0, 1, 1}));
    EXPECT_EQ(r.chisq, 0);
    EXPECT_EQ(r.df, 0u);
    EXPECT_TRUE(std::isnan(r.p));
    EXPECT_TRUE(mentions(r.diagnostics, "no test"));
    EXPECT_TRUE(mentions(r.diagnostics, "has no events"));
}

TEST(LogRankHand, EmptyInputAndEmptyGroup) {
    auto r = stats::log_rank_test(small_data({}, {}, {}));
    EXPECT_EQ(r.n_used, 0u);
    EXPECT_EQ(r.df, 0u);
    EXPECT_TRUE(std::isnan(r.p));
    EXPECT_TRUE(mentions(r.diagnostics, "no subjects"));
    EXPECT_EQ(r.groups.size(), 2u);  // the named groups, with n = 0
    EXPECT_FALSE(mentions(r.diagnostics, "group 'A'"));
    // Group C has no rows: reported with n = 0, left out of the test (df = 1, as for A vs B).
    r = stats::log_rank_test(small_data({3, 2, 4, 1, 2}, {1, 0, 1, 1, 1}, {0, 0, 1, 0, 1}, 3));
    EXPECT_EQ(r.groups[2].n, 0u);
    EXPECT_EQ(r.df, 1u);
    EXPECT_NEAR(r.chisq, 0.16 / 0.74, 1e-14);
    EXPECT_TRUE(mentions(r.diagnostics, "group 'C' has no subjects"));
}

TEST(LogRankHand, SingleGroupAndSingleSubject) {
    auto r = stats::log_rank_test(small_data({1, 2, 3}, {1, 1, 0}, {0, 0, 0}, 1));
    EXPECT_EQ(r.df, 0u);
    EXPECT_TRUE(std::isnan(r.p));
    EXPECT_TRUE(mentions(r.diagnostics, "only one group"));
    r = stats::log_rank_test(small_data({5}, {1}, {0}, 2));
    EXPECT_EQ(r.df, 0u);
    EXPECT_DOUBLE_EQ(r.groups[0].observed, 1);
    EXPECT_DOUBLE_EQ(r.groups[0].expected, 1);
}

// Stratified: the same rows twice, in two strata: O, E and V double, chi^2 doubles.
TEST(LogRankHand, StratifiedSumsOverStrata) {
    auto data = small_data({3, 2, 4, 1, 2, 3, 2, 4, 1, 2}, {1, 0, 1, 1, 1, 1, 0, 1, 1, 1},
                           {0, 0, 1, 0, 1, 0, 0, 1, 0, 1});
    data.stratum = {0, 0, 0, 0, 0, 1, 1, 1, 1, 1};
    data.stratum_names = {"x", "y"};
    const auto r = stats::log_rank_test(data, {stats::LogRankWeight::peto_peto});
    EXPECT_NEAR(r.groups[0].observed, 3.2, 1e-14);
    EXPECT_NEAR(r.groups[0].expected, 2.6, 1e-14);
    EXPECT_NEAR(r.variance[0][0], 0.98, 1e-14);
    EXPECT_NEAR(r.observed_by_stratum[0][1], 1.6, 1e-15);
    EXPECT_EQ(r.stratum_n, (std::vector<std::size_t>{5, 5}));
}

// Integer case weights are frequency weights: the same as repeating the rows.
TEST(LogRankHand, CaseWeightsAsRepeatedRows) {
    auto weighted = tied_example();
    weighted.weight = {2, 1, 3, 1, 2};
    auto repeated = small_data({3, 3, 2, 4, 4, 4, 1, 2, 2}, {1, 1, 0, 1, 1, 1, 1, 1, 1},
                               {0, 0, 0, 1, 1, 1, 0, 1, 1});
    for (auto weight : {stats::LogRankWeight::log_rank, stats::LogRankWeight::gehan_breslow,
                        stats::LogRankWeight::peto_peto}) {
        const auto a = stats::log_rank_test(weighted, {weight});
        const auto b = stats::log_rank_test(repeated, {weight});
        EXPECT_NEAR(a.chisq, b.chisq, 1e-13);
        EXPECT_NEAR(a.groups[0].expected, b.groups[0].expected, 1e-13);
        EXPECT_NEAR(a.groups[0].events, 3, 0);
        EXPECT_TRUE(mentions(a.diagnostics, "frequency weights"));
    }
}

// Data that breaks SurvivalData's invariants is an error on both tabulation paths, never a
// write outside the counting array.
TEST(LogRankHand, InvalidDataIsAnError) {
    auto bad_group = tied_example();
    bad_group.group[2] = 5;
    EXPECT_THROW(stats::group_risk_table(bad_group), rwe::Error);
    bad_group.time[0] = 0.5;  // the sorting path
    EXPECT_THROW(stats::group_risk_table(bad_group), rwe::Error);
    auto negative_code = tied_example();
    negative_code.group[1] = -1;
    EXPECT_THROW(stats::group_risk_table(negative_code), rwe::Error);
    auto bad_event = tied_example();
    bad_event.event[4] = 2;
    EXPECT_THROW(stats::group_risk_table(bad_event), rwe::Error);
    auto negative_time = tied_example();
    negative_time.time[3] = -1;
    EXPECT_THROW(stats::group_risk_table(negative_time), rwe::Error);
    auto short_column = tied_example();
    short_column.group.pop_back();
    EXPECT_THROW(stats::group_risk_table(short_column), rwe::Error);
    auto bad_weight = tied_example();
    bad_weight.weight = {1, 1, nan, 1, 1};
    EXPECT_THROW(stats::group_risk_table(bad_weight), rwe::Error);
}

TEST(LogRankHand, BadOptionsAndScores) {
    EXPECT_THROW(stats::log_rank_test(tied_example(), {stats::LogRankWeight::fleming_harrington, -1, 0}),
                 rwe::UsageError);
    const auto r = stats::log_rank_test(tied_example());
    EXPECT_THROW(stats::log_rank_trend(r, {1, 2, 3}), rwe::UsageError);
    const auto flat = stats::log_rank_trend(r, {2, 2});
    EXPECT_TRUE(std::isnan(flat.chisq));
    EXPECT_FALSE(flat.diagnostics.empty());
    // Two groups: the trend test is the log-rank test.
    EXPECT_NEAR(stats::log_rank_trend(r).chisq, r.chisq, 1e-14);
}

// Holm: sorted 0.01, 0.03, 0.04 (m = 3) -> 0.03, max(0.06, .03), max(0.04, .06) = 0.06.
// BH: 0.04*3/3 = 0.04, min(0.03*3/2, 0.04) = 0.04, 0.01*3/1 = 0.03. NaN stays NaN, m = 3.
TEST(MultipleComparisons, HolmAndBenjaminiHochbergByHand) {
    const std::vector<double> p{0.01, 0.04, 0.03, nan};
    const auto holm = stats::p_adjust(p, stats::PAdjustMethod::holm);
    EXPECT_NEAR(holm[0], 0.03, 1e-16);
    EXPECT_NEAR(holm[1], 0.06, 1e-16);
    EXPECT_NEAR(holm[2], 0.06, 1e-16);
    EXPECT_TRUE(std::isnan(holm[3]));
    const auto bh = stats::p_adjust(p, stats::PAdjustMethod::benjamini_hochberg);
    EXPECT_NEAR(bh[0], 0.03, 1e-16);
    EXPECT_NEAR(bh[1], 0.04, 1e-16);
    EXPECT_NEAR(bh[2], 0.04, 1e-16);
    EXPECT_TRUE(std::isnan(bh[3]));
    EXPECT_EQ(stats::p_adjust(std::vector<double>{0.5, 0.9}, stats::PAdjustMethod::holm),
              (std::vector<double>{1.0, 1.0}));
    stats::PAdjustMethod m;
    EXPECT_TRUE(stats::parse_p_adjust_method("BH", m));
    EXPECT_EQ(m, stats::PAdjustMethod::benjamini_hochberg);
    EXPECT_FALSE(stats::parse_p_adjust_method("bonferroni", m));
}

// ---------------------------------------------------------------- the command line

struct CliRun {
    int status;
    std::string out;
};

CliRun run_rwe(const std::string& args) {
    const std::string command = std::string(RWE_BINARY) + " " + args + " 2>&1";
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
    std::string out;
    char buffer[4096];
    std::size_t got;
    while ((got = fread(buffer, 1, sizeof buffer, pipe.get())) > 0) out.append(buffer, got);
    const int status = pclose(pipe.release());
    return {WEXITSTATUS(status), out};
}

fs::path write_csv(const std::string& name, const std::string& text) {
    const fs::path path = fs::temp_directory_path() / ("rwe_log_rank_test_" + name + ".csv");
    std::ofstream(path) << text;
    return path;
}

TEST(LogRankCli, JsonHasTheDocumentedFields) {
    const auto csv = write_csv("ok", "t,s,g,st\n3,1,a,1\n2,0,a,1\n4,1,b,2\n1,1,a,2\n2,1,b,1\n,1,b,1\n");
    const CliRun run = run_rwe("logrank " + csv.string() +
                            " --time t --event s --group g --trend --pairwise bh --format json");
    ASSERT_EQ(run.status, 0) << run.out;
    const json out = json::parse(run.out);
    EXPECT_NEAR(out.at("chisq").get<double>(), 0.16 / 0.74, 1e-14);
    EXPECT_EQ(out.at("df"), 1);
    EXPECT_EQ(out.at("dropped"), 1);
    EXPECT_EQ(out.at("groups")[0].at("name"), "a");
    EXPECT_EQ(out.at("groups")[0].at("n"), 3);
    EXPECT_DOUBLE_EQ(out.at("groups")[0].at("observed").get<double>(), 2);
    EXPECT_DOUBLE_EQ(out.at("groups")[0].at("expected").get<double>(), 1.6);
    EXPECT_TRUE(out.contains("var"));
    EXPECT_TRUE(out.at("trend").contains("chisq"));
    EXPECT_EQ(out.at("pairwise").at("comparisons").size(), 1u);

    const CliRun stratified = run_rwe("logrank " + csv.string() +
                                   " --time t --event s --group g --strata st --rho 1 --format json");
    ASSERT_EQ(stratified.status, 0) << stratified.out;
    const json s = json::parse(stratified.out);
    EXPECT_EQ(s.at("strata").size(), 2u);
    EXPECT_EQ(s.at("rho"), 1.0);
    const CliRun text = run_rwe("logrank " + csv.string() + " --time t --event s --group g");
    EXPECT_EQ(text.status, 0);
    EXPECT_NE(text.out.find("Chisq = "), std::string::npos);
}

TEST(LogRankCli, BadInputNamesTheLine) {
    // 1 and 3: neither 0/1 nor Surv()'s 1/2 coding (1/2 alone would be read as R reads it)
    const auto csv = write_csv("bad", "t,s,g\n3,1,a\n2,3,a\n4,1,b\n");
    CliRun run = run_rwe("logrank " + csv.string() + " --time t --event s --group g");
    EXPECT_EQ(run.status, 1);
    EXPECT_NE(run.out.find(":3: s:"), std::string::npos) << run.out;
    const auto negative = write_csv("neg", "t,s,g\n3,1,a\n-2,1,a\n4,1,b\n");
    run = run_rwe("logrank " + negative.string() + " --time t --event s --group g");
    EXPECT_EQ(run.status, 1);
    EXPECT_NE(run.out.find(":3: t:"), std::string::npos) << run.out;
}

TEST(LogRankCli, BadOptionsAreUsageErrors) {
    const auto csv = write_csv("opts", "t,s,g\n3,1,a\n2,1,a\n4,1,b\n");
    const std::string base = "logrank " + csv.string() + " --time t --event s --group g ";
    for (const std::string bad : {"--weights nope", "--weights gehan --rho 1", "--fh-p 1",
                                  "--weights fh --fh-q -1", "--pairwise bonferroni",
                                  "--trend-scores 1,2,3", "--rho -0.5"}) {
        const CliRun run = run_rwe(base + bad);
        EXPECT_EQ(run.status, 2) << bad << ": " << run.out;
    }
    const CliRun missing = run_rwe("logrank " + csv.string() + " --time t --event s --group nope");
    EXPECT_EQ(missing.status, 2) << missing.out;
}

}  // namespace

// Pairwise tests merge near-equal times within the pair only, as survdiff on the subset:
//   d <- read.csv("pw.csv")  # the rows below
//   survdiff(Surv(time, status) ~ g, d, subset = g %in% c("A", "B"))$chisq  1.2709272229396986
//   ... c("A", "C"): 0.33730322726077266; c("B", "C"): 2.282617757398917
// (0.1, 0.10000001 and 0.10000002 in three groups: merged over all rows, the third group's
// time used to decide the A-vs-C merge.)
TEST(LogRankCli, PairwiseMergesNearEqualTimesWithinThePairAsR) {
    const auto csv = write_csv("pairwise_near",
                               "time,status,g\n0.1,1,A\n0.3,1,A\n0.5,0,A\n0.7,1,A\n0.10000001,1,B\n0.2,1,B\n"
                               "0.4,1,B\n0.10000002,1,C\n0.25,0,C\n0.6,1,C\n0.8,1,C\n");
    const CliRun run = run_rwe("logrank " + csv.string() + " --time time --event status --group g --pairwise none "
                               "--format json");
    ASSERT_EQ(run.status, 0) << run.out;
    const json out = json::parse(run.out);
    const auto& pairs = out.at("pairwise").at("comparisons");
    ASSERT_EQ(pairs.size(), 3u);
    const double r_chisq[] = {1.2709272229396986, 0.33730322726077266, 2.282617757398917};
    for (std::size_t k = 0; k < 3; ++k) {
        EXPECT_NEAR(pairs[k].at("chisq").get<double>(), r_chisq[k], 1e-9 * r_chisq[k]) << k;
    }
}

// A numeric group column: "1", "1.0" and "01" are one group, as R reads the column:
//   d <- read.csv(text = "time,status,g\n1,1,1\n2,0,1.0\n3,1,01\n4,1,2\n5,0,2\n6,1,2.0")
//   survdiff(Surv(time, status) ~ g, d)  # n = 3, 3; chisq 3.5714285714285716
TEST(LogRankCli, NumericLabelsAreComparedAsNumbersAsR) {
    const auto csv = write_csv("numeric_labels", "time,status,g\n1,1,1\n2,0,1.0\n3,1,01\n4,1,2\n5,0,2\n6,1,2.0\n");
    const CliRun run = run_rwe("logrank " + csv.string() + " --time time --event status --group g --format json");
    ASSERT_EQ(run.status, 0) << run.out;
    const json out = json::parse(run.out);
    ASSERT_EQ(out.at("groups").size(), 2u);
    EXPECT_EQ(out.at("groups")[0].at("name"), "1");
    EXPECT_EQ(out.at("groups")[0].at("n"), 3);
    EXPECT_EQ(out.at("groups")[1].at("n"), 3);
    EXPECT_NEAR(out.at("chisq").get<double>(), 3.5714285714285716, 1e-12);
}

// One group with E > 0 among two: R's survdiff reports chisq 0 on 0 df, p = 1:
//   survdiff(Surv(t, s) ~ g, data.frame(t = c(2, 3, 1), s = c(1, 1, 0), g = c("a", "a", "b")))
//   -> group b: E = 0; "Chisq= 0 on 0 degrees of freedom, p= 1"; $pvalue 1
TEST(LogRankCli, ZeroDegreesOfFreedomGiveP1AsR) {
    const auto csv = write_csv("zero_df", "t,s,g\n2,1,a\n3,1,a\n1,0,b\n");
    const CliRun run = run_rwe("logrank " + csv.string() + " --time t --event s --group g --format json");
    ASSERT_EQ(run.status, 0) << run.out;
    const json out = json::parse(run.out);
    EXPECT_EQ(out.at("df"), 0);
    EXPECT_EQ(out.at("p").get<double>(), 1.0);
}
