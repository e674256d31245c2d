// Contingency tables: Pearson chi-squared, Fisher's exact test and the test-choice rule
// (docs/methods.md §3.1–3.4). Reference values come from R (tests/data/contingency_reference.json,
// written by tests/data/contingency_reference.R with the R call beside every value).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "rwe/common/error.hpp"
#include "rwe/stats/chi_square_test.hpp"
#include "rwe/stats/contingency_table.hpp"
#include "rwe/stats/fisher_exact_test.hpp"
#include "rwe/stats/test_choice.hpp"

namespace {

using nlohmann::json;
using rwe::stats::ContingencyTable;

const json& reference() {
    static const json document = [] {
        std::ifstream in(std::string(RWE_TEST_DATA_DIR) + "/contingency_reference.json");
        return json::parse(in);
    }();
    return document;
}

double value_of(const json& value) {
    if (value.is_null()) return std::numeric_limits<double>::quiet_NaN();
    if (value.is_string()) {
        return value.get<std::string>() == "Inf" ? std::numeric_limits<double>::infinity()
                                                 : -std::numeric_limits<double>::infinity();
    }
    return value.get<double>();
}

// Equal within `relative` (NaN matches NaN, infinities match exactly).
::testing::AssertionResult near(double actual, const json& expected_json, double relative,
                                const std::string& what) {
    const double expected = value_of(expected_json);
    if (std::isnan(expected) && std::isnan(actual)) return ::testing::AssertionSuccess();
    if (std::isinf(expected) || expected == 0) {
        if (actual == expected) return ::testing::AssertionSuccess();
    } else if (std::abs(actual - expected) <= relative * std::abs(expected)) {
        return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << what << ": rwe " << actual << ", R " << expected
                                         << " (relative tolerance " << relative << ")";
}

// fisher.test solves for ψ in (0, 1) or for 1/ψ in (0, 1) with uniroot's default absolute
// tolerance (.Machine$double.eps^0.25 ≈ 1.2e-4): compare on that scale.
::testing::AssertionResult near_uniroot(double actual, const json& expected_json,
                                        const std::string& what) {
    const double expected = value_of(expected_json);
    if (actual == expected) return ::testing::AssertionSuccess();
    const auto scale = [](double v) { return v <= 1 ? v : 1 / v; };
    if (std::abs(scale(actual) - scale(expected)) <= 2.5e-4) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << what << ": rwe " << actual << ", R " << expected;
}

ContingencyTable table_of(const json& entry) {
    return rwe::stats::contingency_table(entry["rows"].get<std::size_t>(),
                                         entry["cols"].get<std::size_t>(),
                                         entry["counts"].get<std::vector<double>>());
}

class ReferenceTable : public ::testing::TestWithParam<std::size_t> {};

TEST_P(ReferenceTable, ChiSquareMatchesR) {
    const auto& entry = reference()["tables"][GetParam()];
    SCOPED_TRACE(entry["name"].get<std::string>());
    const auto table = table_of(entry);
    const auto& expected = entry["chisq"];
    SCOPED_TRACE(expected["call"].get<std::string>());
    const auto plain = rwe::stats::chi_square_test(table, {.continuity_correction = false});
    EXPECT_FALSE(plain.continuity_correction);
    EXPECT_TRUE(near(plain.statistic, expected["statistic"], 1e-9, "statistic"));
    EXPECT_TRUE(near(plain.df, expected["df"], 0, "df"));
    EXPECT_TRUE(near(plain.p, expected["p"], 1e-9, "p"));
    ASSERT_EQ(plain.expected.size(), expected["expected"].size());
    for (std::size_t cell = 0; cell < plain.expected.size(); ++cell) {
        EXPECT_TRUE(
            near(plain.expected[cell], expected["expected"][cell], 1e-12, "expected count"));
    }
    if (std::isnan(plain.statistic))
        EXPECT_FALSE(plain.messages.empty()) << "a NaN needs its reason";

    const auto corrected = rwe::stats::chi_square_test(table);  // R's default, correct = TRUE
    if (entry.contains("chisq_yates")) {
        const auto& yates = entry["chisq_yates"];
        SCOPED_TRACE(yates["call"].get<std::string>());
        EXPECT_TRUE(near(corrected.statistic, yates["statistic"], 1e-9, "Yates statistic"));
        EXPECT_TRUE(near(corrected.p, yates["p"], 1e-9, "Yates p"));
    } else {
        // Yates applies to 2 x 2 tables only, as in R.
        EXPECT_FALSE(corrected.continuity_correction);
        EXPECT_TRUE(
            near(corrected.statistic, expected["statistic"], 1e-15, "r x c statistic unchanged"));
    }
}

TEST_P(ReferenceTable, FisherMatchesR) {
    const auto& entry = reference()["tables"][GetParam()];
    SCOPED_TRACE(entry["name"].get<std::string>());
    const auto table = table_of(entry);
    const auto& expected = entry["fisher"];
    SCOPED_TRACE(expected["call"].get<std::string>());
    const auto fisher = rwe::stats::fisher_exact_test(table);
    const bool two_by_two = table.rows == 2 && table.cols == 2;
    if (two_by_two) {
        EXPECT_TRUE(near(fisher.p, expected["p"], 1e-9, "p"));
        // fisher.test itself agrees to uniroot's tolerance ...
        if (!std::isnan(fisher.odds_ratio)) {
            EXPECT_TRUE(
                near_uniroot(fisher.odds_ratio, expected["estimate"], "estimate vs fisher.test"));
            EXPECT_TRUE(near_uniroot(fisher.lower, expected["lower"], "lower vs fisher.test"));
            EXPECT_TRUE(near_uniroot(fisher.upper, expected["upper"], "upper vs fisher.test"));
        } else {
            EXPECT_FALSE(fisher.messages.empty());
        }
        // ... and to 1e-9 with the same definitions solved to full precision in R.
        if (entry.contains("fisher_precise")) {
            const auto& precise = entry["fisher_precise"];
            EXPECT_TRUE(near(fisher.odds_ratio, precise["estimate"], 1e-9, "estimate (precise)"));
            EXPECT_TRUE(near(fisher.lower, precise["lower"], 1e-9, "lower (precise)"));
            EXPECT_TRUE(near(fisher.upper, precise["upper"], 1e-9, "upper (precise)"));
        }
    } else {
        const double r_p = value_of(expected["p"]);
        EXPECT_NEAR(fisher.p, r_p, 1e-7);
        EXPECT_TRUE(near(fisher.p, expected["p"], 1e-9, "p"));
    }
    // The network algorithm agrees with the direct 2 x 2 computation.
    const auto network = rwe::stats::fisher_exact_network(table);
    EXPECT_NEAR(network.p, value_of(expected["p"]), 1e-9);
}

INSTANTIATE_TEST_SUITE_P(R, ReferenceTable,
                         ::testing::Range<std::size_t>(0, reference()["tables"].size()),
                         [](const ::testing::TestParamInfo<std::size_t>& info) {
                             std::string name =
                                 reference()["tables"][info.param]["name"].get<std::string>();
                             for (auto& c : name) {
                                 if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                             }
                             return name;
                         });

TEST(ContingencyTable, CrossTabulationCountsDroppedPairs) {
    // rows: A B A B -; cols: x x y - y  -> pairs 4 and 5 are incomplete.
    const std::vector<std::int32_t> rows{0, 1, 0, 1, -1};
    const std::vector<std::int32_t> cols{0, 0, 1, -1, 1};
    const auto table = rwe::stats::cross_tabulate(rows, cols, {"A", "B"}, {"x", "y"});
    EXPECT_EQ(table.dropped, 2u);
    EXPECT_EQ(table.total, 3);
    EXPECT_EQ(table.counts, (std::vector<double>{1, 1, 1, 0}));
    EXPECT_EQ(table.row_totals, (std::vector<double>{2, 1}));
    EXPECT_EQ(table.col_totals, (std::vector<double>{2, 1}));
}

TEST(ContingencyTable, BadCountsAreUsageErrors) {
    EXPECT_THROW(rwe::stats::contingency_table(2, 2, {1, 2, 3}), rwe::UsageError);
    EXPECT_THROW(rwe::stats::contingency_table(2, 2, {1, 2, -3, 4}), rwe::UsageError);
    EXPECT_THROW(rwe::stats::contingency_table(2, 2, {1, 2.5, 3, 4}), rwe::UsageError);
}

TEST(ContingencyTable, DropEmptyMarginsKeepsLabelsInStep) {
    const auto table = rwe::stats::contingency_table(3, 3, {1, 0, 2, 0, 0, 0, 3, 0, 4},
                                                     {"a", "b", "c"}, {"x", "y", "z"});
    const auto kept = rwe::stats::drop_empty_margins(table);
    EXPECT_EQ(kept.row_labels, (std::vector<std::string>{"a", "c"}));
    EXPECT_EQ(kept.col_labels, (std::vector<std::string>{"x", "z"}));
    EXPECT_EQ(kept.counts, (std::vector<double>{1, 2, 3, 4}));
}

TEST(ContingencyCorners, OneRowTableIsDegenerateWithAMessage) {
    // R: chisq.test turns a 1 x k matrix into a goodness-of-fit test and fisher.test stops
    // ("'x' must have at least 2 rows and columns"); a test of independence is undefined.
    const auto table = rwe::stats::contingency_table(1, 3, {4, 5, 6});
    const auto chi = rwe::stats::chi_square_test(table);
    EXPECT_TRUE(std::isnan(chi.statistic));
    EXPECT_TRUE(std::isnan(chi.p));
    ASSERT_FALSE(chi.messages.empty());
    EXPECT_NE(chi.messages[0].find("at least 2"), std::string::npos);
    const auto fisher = rwe::stats::fisher_exact_test(table);
    EXPECT_TRUE(std::isnan(fisher.p));
    EXPECT_FALSE(fisher.messages.empty());
    EXPECT_EQ(rwe::stats::choose_test(table).test, rwe::stats::ChosenTest::none);
}

TEST(ContingencyCorners, EmptyInputIsDegenerateWithAMessage) {
    const auto empty = rwe::stats::cross_tabulate({}, {}, {}, {});
    EXPECT_EQ(empty.total, 0);
    const auto chi = rwe::stats::chi_square_test(empty);
    EXPECT_TRUE(std::isnan(chi.p));
    EXPECT_FALSE(chi.messages.empty());
    const auto fisher = rwe::stats::fisher_exact_test(empty);
    EXPECT_TRUE(std::isnan(fisher.p));
    EXPECT_FALSE(fisher.messages.empty());

    const auto zeros = rwe::stats::contingency_table(2, 2, {0, 0, 0, 0});
    const auto chi_zeros = rwe::stats::chi_square_test(zeros);
    EXPECT_TRUE(std::isnan(chi_zeros.p));
    EXPECT_NE(chi_zeros.messages.at(0).find("no counts"), std::string::npos);
    EXPECT_TRUE(std::isnan(rwe::stats::fisher_exact_test(zeros).p));
}

TEST(ContingencyCorners, ZeroMarginOddsRatioIsUndefined) {
    // Only one table has margins (0, 10; 4, 6): p = 1 as in R; R prints odds ratio 0 with
    // interval (0, Inf), rwe reports it undefined and says why.
    const auto table = rwe::stats::contingency_table(2, 2, {0, 0, 4, 6});
    const auto fisher = rwe::stats::fisher_exact_test(table);
    EXPECT_EQ(fisher.p, 1.0);
    EXPECT_TRUE(std::isnan(fisher.odds_ratio));
    EXPECT_FALSE(fisher.messages.empty());
}

TEST(FisherNetwork, HandWorked2x3) {
    // Margins rows (3, 2), columns (2, 2, 1); the observed table (2 0 1 / 0 2 0) has
    // P = 3! 2! 2! 2! 1! / (5! 2! 0! 1! 0! 2! 0!) = 96 / 480 = 0.2... computed by hand over
    // the 5 tables with these margins: first rows (2,1,0) (2,0,1) (1,2,0) (1,1,1) (0,2,1) have
    // Π 1/x! weights 1/2·1/1 ... giving probabilities 0.2, 0.1, 0.2, 0.4, 0.1.
    // Tables as likely or less than 0.1: the two with 0.1 -> p = 0.2 when observing (2 0 1).
    const auto table = rwe::stats::contingency_table(2, 3, {2, 0, 1, 0, 2, 0});
    const auto fisher = rwe::stats::fisher_exact_test(table);
    EXPECT_NEAR(fisher.p, 0.2, 1e-15);
    // Observing (1 1 1 / 1 1 0) with P = 0.4: every table counts.
    const auto likely = rwe::stats::contingency_table(2, 3, {1, 1, 1, 1, 1, 0});
    EXPECT_NEAR(rwe::stats::fisher_exact_test(likely).p, 1.0, 1e-15);
}

TEST(FisherNetwork, StepLimitGivesNaNWithAMessage) {
    const auto table = rwe::stats::contingency_table(
        4, 5, {30, 25, 40, 22, 31, 28, 35, 20, 27, 33, 41, 29, 24, 36, 30, 26, 32, 38, 21, 34});
    rwe::stats::FisherExactOptions options;
    options.max_steps = 1e4;
    const auto fisher = rwe::stats::fisher_exact_test(table, options);
    EXPECT_TRUE(std::isnan(fisher.p));
    ASSERT_FALSE(fisher.messages.empty());
    EXPECT_NE(fisher.messages[0].find("too large"), std::string::npos);
}

TEST(TestChoice, CochranRuleFor2x2) {
    // Expected counts of (2 8 / 10 7): 10·12/27 = 4.44 < 5 -> Fisher.
    const auto small = rwe::stats::contingency_table(2, 2, {2, 8, 10, 7});
    const auto choice = rwe::stats::choose_test(small);
    EXPECT_EQ(choice.test, rwe::stats::ChosenTest::fisher);
    EXPECT_NE(choice.reason.find("1 of 4"), std::string::npos);
    // (30 39 / 33 126): smallest expected 69·63/228 = 19.1 -> chi-squared.
    const auto large = rwe::stats::contingency_table(2, 2, {30, 39, 33, 126});
    EXPECT_EQ(rwe::stats::choose_test(large).test, rwe::stats::ChosenTest::chi_square);
}

TEST(TestChoice, CochranRuleForRxC) {
    // 2 x 3 with column totals (4, 20, 20), row totals (22, 22): expected 2, 10, 10 in each
    // row -> 2 of 6 cells (33%) below 5 -> Fisher.
    const auto many_small = rwe::stats::contingency_table(2, 3, {2, 10, 10, 2, 10, 10});
    EXPECT_EQ(rwe::stats::choose_test(many_small).test, rwe::stats::ChosenTest::fisher);
    // 2 x 5, column totals (6, 20, 20, 20, 20), rows 43/43: expected 3 in 2 of 10 cells (20%,
    // not more than 20%) and none below 1 -> chi-squared; any-expected-below-5 -> Fisher.
    const auto few_small =
        rwe::stats::contingency_table(2, 5, {3, 10, 10, 10, 10, 3, 10, 10, 10, 10});
    EXPECT_EQ(rwe::stats::choose_test(few_small).test, rwe::stats::ChosenTest::chi_square);
    EXPECT_EQ(
        rwe::stats::choose_test(few_small, {.rule = rwe::stats::TestRule::any_expected_below_5})
            .test,
        rwe::stats::ChosenTest::fisher);
    // One expected count below 1 (column total 1) -> Fisher although only 2 of 10 are small.
    const auto tiny = rwe::stats::contingency_table(2, 5, {1, 10, 10, 10, 10, 0, 10, 10, 10, 10});
    EXPECT_EQ(rwe::stats::choose_test(tiny).test, rwe::stats::ChosenTest::fisher);
    // Forced choices.
    EXPECT_EQ(rwe::stats::choose_test(tiny, {.rule = rwe::stats::TestRule::chi_square}).test,
              rwe::stats::ChosenTest::chi_square);
    EXPECT_EQ(rwe::stats::choose_test(few_small, {.rule = rwe::stats::TestRule::fisher}).test,
              rwe::stats::ChosenTest::fisher);
    EXPECT_THROW(rwe::stats::parse_test_rule("sometimes"), rwe::UsageError);
}

// ---- rwe crosstab -----------------------------------------------------------------------

struct CommandResult {
    int status = -1;
    std::string out;
    std::string err;
};

CommandResult run_crosstab(const std::string& arguments) {
    const auto dir = std::filesystem::temp_directory_path();
    const auto out = dir / ("rwe_crosstab_out_" + std::to_string(::getpid()));
    const auto err = dir / ("rwe_crosstab_err_" + std::to_string(::getpid()));
    const std::string command = std::string(RWE_BINARY) + " crosstab " + arguments + " > " +
                                out.string() + " 2> " + err.string();
    CommandResult result;
    const int raw = std::system(command.c_str());
    result.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    const auto slurp = [](const std::filesystem::path& path) {
        std::ifstream in(path);
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    };
    result.out = slurp(out);
    result.err = slurp(err);
    std::filesystem::remove(out);
    std::filesystem::remove(err);
    return result;
}

// Writes one CSV row per subject of the reference table `name`, plus rows with a missing
// value (and a level seen only there), so that the command must drop and count them.
std::string write_reference_csv(const std::string& name, std::size_t extra_missing) {
    const json* entry = nullptr;
    for (const auto& candidate : reference()["tables"]) {
        if (candidate["name"] == name) entry = &candidate;
    }
    if (entry == nullptr) throw std::runtime_error("no reference table " + name);
    const auto rows = (*entry)["rows"].get<std::size_t>();
    const auto cols = (*entry)["cols"].get<std::size_t>();
    const auto counts = (*entry)["counts"].get<std::vector<int>>();
    const auto path = std::filesystem::temp_directory_path() /
                      ("rwe_crosstab_" + std::to_string(::getpid()) + ".csv");
    std::ofstream csv(path);
    csv << "id,stage,response\n";
    int id = 0;
    // Reversed order, so the command cannot rely on sorted input.
    for (std::size_t row = rows; row-- > 0;) {
        for (std::size_t col = cols; col-- > 0;) {
            for (int k = 0; k < counts[row * cols + col]; ++k) {
                csv << ++id << ",S" << row + 1 << ",R" << col + 1 << "\n";
            }
        }
    }
    for (std::size_t k = 0; k < extra_missing; ++k) {
        csv << ++id << (k % 2 == 0 ? ",S1," : ",,R1") << "\n";
    }
    csv << ++id << ",S9,NA\n";  // level S9 occurs only in a dropped row
    return path.string();
}

TEST(CrosstabCommand, JsonMatchesRAndCountsDroppedRows) {
    const auto path = write_reference_csv("3x4 sparse", 3);
    const auto result = run_crosstab(path + " --row stage --col response --format json");
    std::filesystem::remove(path);
    ASSERT_EQ(result.status, 0) << result.err;
    const auto document = json::parse(result.out);
    const json* entry = nullptr;
    for (const auto& candidate : reference()["tables"]) {
        if (candidate["name"] == "3x4 sparse") entry = &candidate;
    }
    ASSERT_NE(entry, nullptr);
    EXPECT_EQ(document["dropped"], 4);
    EXPECT_EQ(document["row_levels"], json({"S1", "S2", "S3"}));
    EXPECT_EQ(document["col_levels"], json({"R1", "R2", "R3", "R4"}));
    const auto counts = (*entry)["counts"].get<std::vector<double>>();
    for (std::size_t row = 0; row < 3; ++row) {
        for (std::size_t col = 0; col < 4; ++col) {
            EXPECT_EQ(document["counts"][row][col].get<double>(), counts[row * 4 + col]);
        }
    }
    EXPECT_TRUE(near(document["chi_square"]["statistic"].get<double>(),
                     (*entry)["chisq"]["statistic"], 1e-9, "X2"));
    EXPECT_TRUE(near(document["chi_square"]["p"].get<double>(), (*entry)["chisq"]["p"], 1e-9, "p"));
    EXPECT_TRUE(document["chi_square_yates"].is_null());
    EXPECT_NEAR(document["fisher"]["p"].get<double>(), value_of((*entry)["fisher"]["p"]), 1e-7);
    EXPECT_EQ(document["rule"]["test"], "fisher");  // most expected counts are below 5
    // Percentages: row S1 = (2, 0, 3, 1) of 6.
    EXPECT_DOUBLE_EQ(document["row_percent"][0][2].get<double>(), 50.0);
    bool reported_s9 = false;
    for (const auto& message : document["messages"]) {
        if (message.get<std::string>().find("S9") != std::string::npos) reported_s9 = true;
    }
    EXPECT_TRUE(reported_s9);
}

TEST(CrosstabCommand, TwoByTwoReportsYatesAndOddsRatio) {
    const auto path = write_reference_csv("2x2 n=228", 0);
    const auto result = run_crosstab(path + " --row stage --col response --format json");
    const auto text = run_crosstab(path + " --row stage --col response");
    std::filesystem::remove(path);
    ASSERT_EQ(result.status, 0) << result.err;
    const auto document = json::parse(result.out);
    const json* entry = nullptr;
    for (const auto& candidate : reference()["tables"]) {
        if (candidate["name"] == "2x2 n=228") entry = &candidate;
    }
    ASSERT_NE(entry, nullptr);
    EXPECT_EQ(document["dropped"], 1);
    EXPECT_TRUE(near(document["chi_square_yates"]["statistic"].get<double>(),
                     (*entry)["chisq_yates"]["statistic"], 1e-9, "Yates X2"));
    EXPECT_TRUE(
        near(document["fisher"]["p"].get<double>(), (*entry)["fisher"]["p"], 1e-9, "Fisher p"));
    EXPECT_TRUE(near(document["fisher"]["odds_ratio"].get<double>(),
                     (*entry)["fisher_precise"]["estimate"], 1e-9, "odds ratio"));
    EXPECT_EQ(document["rule"]["test"], "chi-square");
    ASSERT_EQ(text.status, 0);
    EXPECT_NE(text.out.find("with Yates' correction"), std::string::npos);
    EXPECT_NE(text.out.find("Test chosen: chi-square"), std::string::npos);
}

TEST(CrosstabCommand, HeaderOnlyFileIsADegenerateResult) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("rwe_crosstab_empty_" + std::to_string(::getpid()) + ".csv");
    std::ofstream(path) << "stage,response\n";
    const auto result = run_crosstab(path.string() + " --row stage --col response --format json");
    std::filesystem::remove(path);
    ASSERT_EQ(result.status, 0) << result.err;
    const auto document = json::parse(result.out);
    EXPECT_EQ(document["total"], 0);
    EXPECT_TRUE(document["chi_square"]["p"].is_null());
    EXPECT_TRUE(document["fisher"]["p"].is_null());
    EXPECT_EQ(document["rule"]["test"], "none");
    EXPECT_FALSE(document["messages"].empty());
}

TEST(CrosstabCommand, OneLevelIsADegenerateResult) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("rwe_crosstab_one_" + std::to_string(::getpid()) + ".csv");
    std::ofstream(path) << "stage,response\nI,yes\nI,no\nI,yes\n";
    const auto result = run_crosstab(path.string() + " --row stage --col response");
    std::filesystem::remove(path);
    ASSERT_EQ(result.status, 0) << result.err;
    EXPECT_NE(result.out.find("at least 2"), std::string::npos) << result.out;
}

TEST(CrosstabCommand, UnknownColumnIsAUsageError) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("rwe_crosstab_bad_" + std::to_string(::getpid()) + ".csv");
    std::ofstream(path) << "stage,response\nI,yes\n";
    const auto result = run_crosstab(path.string() + " --row stage --col reply");
    const auto same = run_crosstab(path.string() + " --row stage --col stage");
    std::filesystem::remove(path);
    EXPECT_EQ(result.status, 2);
    EXPECT_NE(result.err.find("no column 'reply'"), std::string::npos) << result.err;
    EXPECT_TRUE(result.out.empty());
    EXPECT_EQ(same.status, 2);
}

}  // namespace
