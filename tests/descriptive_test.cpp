// Descriptive statistics for baseline tables (docs/methods.md §3.5): numeric summaries with
// R's quantile types 7 (R), 6 (SPSS) and 2 (SAS), and n (%) of categories with missing shown.
// Reference values: tests/data/contingency_descriptive_reference.json, from R with the call
// beside each value (tests/data/contingency_descriptive_reference.R).
#include "rwe/stats/descriptive.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "descriptive_reference.hpp"
#include "rwe/stats/frequency_table.hpp"
#include "rwe/stats/quantile.hpp"

namespace {

using nlohmann::json;

const json& reference() { return descriptive_reference(); }

std::vector<double> values_of(const json& array) {
    std::vector<double> values;
    for (const auto& value : array) {
        values.push_back(value.is_null() ? std::numeric_limits<double>::quiet_NaN()
                                         : value.get<double>());
    }
    return values;
}

::testing::AssertionResult near(double actual, double expected, const std::string& what) {
    if (std::abs(actual - expected) <= 1e-9 * std::max(std::abs(expected), 1e-3))
        return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << what << ": rwe " << actual << ", R " << expected;
}

class NumericReference : public ::testing::TestWithParam<std::size_t> {};

TEST_P(NumericReference, SummaryMatchesR) {
    const auto& entry = reference()["numeric"][GetParam()];
    SCOPED_TRACE(entry["name"].get<std::string>());
    const auto values = values_of(entry["values"]);
    const auto summary = rwe::stats::describe_numeric(values);
    EXPECT_EQ(summary.n, entry["n"].get<std::size_t>());
    EXPECT_EQ(summary.missing, entry["missing"].get<std::size_t>());
    if (summary.n == 0) {
        EXPECT_TRUE(std::isnan(summary.mean));
        EXPECT_TRUE(std::isnan(summary.median));
        EXPECT_FALSE(summary.messages.empty());
        return;
    }
    SCOPED_TRACE(entry["mean"]["call"].get<std::string>());
    EXPECT_TRUE(near(summary.mean, entry["mean"]["value"].get<double>(), "mean"));
    if (entry["sd"]["value"].is_null()) {
        EXPECT_TRUE(std::isnan(summary.sd));  // R: sd of one value is NA
        EXPECT_FALSE(summary.messages.empty());
    } else {
        EXPECT_TRUE(near(summary.sd, entry["sd"]["value"].get<double>(), "sd"));
    }
    EXPECT_EQ(summary.min, entry["min"].get<double>());
    EXPECT_EQ(summary.max, entry["max"].get<double>());
    const auto r7 =
        values_of(entry["quantile_type7"]["value"]);  // probs 0, .1, .25, .5, .75, .9, 1
    EXPECT_TRUE(near(summary.q1, r7[2], "q1"));
    EXPECT_TRUE(near(summary.median, r7[3], "median"));
    EXPECT_TRUE(near(summary.q3, r7[4], "q3"));
    EXPECT_TRUE(near(summary.iqr, r7[4] - r7[2], "IQR"));

    const auto spss =
        rwe::stats::describe_numeric(values, {.quantile_type = rwe::stats::QuantileType::type6});
    const auto r6 = values_of(entry["quantile_type6"]["value"]);
    EXPECT_TRUE(near(spss.q1, r6[2], "type 6 q1"));
    EXPECT_TRUE(near(spss.q3, r6[4], "type 6 q3"));
    EXPECT_TRUE(near(spss.median, summary.median, "the median does not depend on the type"));
}

TEST_P(NumericReference, QuantileTypesMatchR) {
    const auto& entry = reference()["numeric"][GetParam()];
    SCOPED_TRACE(entry["name"].get<std::string>());
    if (entry["n"].get<std::size_t>() == 0) return;  // covered by SummaryMatchesR
    std::vector<double> sorted;
    for (double value : values_of(entry["values"])) {
        if (!std::isnan(value)) sorted.push_back(value);
    }
    std::sort(sorted.begin(), sorted.end());
    for (const auto& [key, type] : {std::pair{"quantile_type2", rwe::stats::QuantileType::type2},
                                    std::pair{"quantile_type6", rwe::stats::QuantileType::type6},
                                    std::pair{"quantile_type7", rwe::stats::QuantileType::type7}}) {
        const auto& expected = entry[key];
        SCOPED_TRACE(expected["call"].get<std::string>());
        const auto probs = values_of(expected["probs"]);
        const auto r = values_of(expected["value"]);
        for (std::size_t i = 0; i < probs.size(); ++i) {
            EXPECT_TRUE(near(rwe::stats::quantile_sorted(sorted, probs[i], type), r[i],
                             std::string(key) + " at " + std::to_string(probs[i])));
        }
    }
}

INSTANTIATE_TEST_SUITE_P(R, NumericReference,
                         ::testing::Range<std::size_t>(0, reference()["numeric"].size()));

TEST(Quantile, EmptyInputIsNaN) {
    EXPECT_TRUE(std::isnan(rwe::stats::quantile_sorted({}, 0.5)));
    const std::vector<double> one{3};
    EXPECT_TRUE(std::isnan(rwe::stats::quantile_sorted(one, 1.5)));
}

TEST(FrequencyTable, CountsAndPercentagesMatchR) {
    const auto& entry = reference()["categorical"][0];
    SCOPED_TRACE(entry["counts"]["call"].get<std::string>());
    const auto levels = entry["levels"].get<std::vector<std::string>>();
    std::vector<std::int32_t> codes;
    for (const auto& value : entry["values"]) {
        if (value.is_null()) {
            codes.push_back(-1);
        } else {
            codes.push_back(static_cast<std::int32_t>(
                std::find(levels.begin(), levels.end(), value.get<std::string>()) -
                levels.begin()));
        }
    }
    const auto counts = values_of(entry["counts"]["value"]);  // levels..., then <NA>
    const auto valid = rwe::stats::frequency_table(codes, levels);
    const auto valid_percent = values_of(entry["percent_valid"]["value"]);
    ASSERT_EQ(valid.levels.size(), levels.size());
    for (std::size_t level = 0; level < levels.size(); ++level) {
        EXPECT_EQ(valid.levels[level].level, levels[level]);
        EXPECT_EQ(static_cast<double>(valid.levels[level].n), counts[level]);
        EXPECT_TRUE(
            near(valid.levels[level].percent, valid_percent[level], "percent of non-missing"));
    }
    EXPECT_EQ(static_cast<double>(valid.missing.n), counts.back());
    EXPECT_TRUE(std::isnan(valid.missing.percent));  // missing is not part of the valid 100%
    EXPECT_EQ(valid.total, codes.size());
    EXPECT_EQ(valid.denominator, codes.size() - valid.missing.n);

    const auto all = rwe::stats::frequency_table(codes, levels, {.percent_of_all = true});
    const auto all_percent = values_of(entry["percent_all"]["value"]);
    for (std::size_t level = 0; level < levels.size(); ++level) {
        EXPECT_TRUE(near(all.levels[level].percent, all_percent[level], "percent of all"));
    }
    EXPECT_TRUE(near(all.missing.percent, all_percent.back(), "missing percent of all"));
}

TEST(FrequencyTable, EmptyAndAllMissing) {
    const auto empty = rwe::stats::frequency_table({}, {"a", "b"});
    EXPECT_EQ(empty.total, 0u);
    EXPECT_TRUE(std::isnan(empty.levels[0].percent));
    EXPECT_FALSE(empty.messages.empty());
    const std::vector<std::int32_t> missing{-1, -1, -1};
    const auto none = rwe::stats::frequency_table(missing, {"a"});
    EXPECT_EQ(none.missing.n, 3u);
    EXPECT_EQ(none.levels[0].n, 0u);
    EXPECT_TRUE(std::isnan(none.levels[0].percent));
    // Over all values the missing row is 100% (hand-worked: 3 of 3).
    EXPECT_DOUBLE_EQ(
        rwe::stats::frequency_table(missing, {"a"}, {.percent_of_all = true}).missing.percent,
        100.0);
}

}  // namespace
