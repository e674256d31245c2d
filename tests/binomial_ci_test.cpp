// Confidence intervals for a proportion (docs/methods.md §3.6): Clopper–Pearson against R's
// binom.test and Wilson against prop.test(correct = FALSE); reference values with their R call
// in tests/data/contingency_descriptive_reference.json.
#include "rwe/stats/binomial_ci.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "descriptive_reference.hpp"
#include "rwe/common/error.hpp"

namespace {

using nlohmann::json;

const json& reference() { return descriptive_reference(); }

::testing::AssertionResult near(double actual, double expected, const std::string& what) {
    if (expected == 0 || expected == 1 ? actual == expected
                                       : std::abs(actual - expected) <= 1e-9 * std::abs(expected)) {
        return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << what << ": rwe " << actual << ", R " << expected;
}

class BinomialReference : public ::testing::TestWithParam<std::size_t> {};

TEST_P(BinomialReference, ClopperPearsonAndWilsonMatchR) {
    const auto& entry = reference()["binomial"][GetParam()];
    const double x = entry["x"].get<double>();
    const double n = entry["n"].get<double>();
    const double level = entry["conf_level"].get<double>();
    {
        SCOPED_TRACE(entry["clopper_pearson"]["call"].get<std::string>());
        const auto ci = rwe::stats::binomial_ci(x, n, {.conf_level = level});
        EXPECT_EQ(ci.estimate, x / n);
        EXPECT_TRUE(near(ci.lower, entry["clopper_pearson"]["lower"].get<double>(), "lower"));
        EXPECT_TRUE(near(ci.upper, entry["clopper_pearson"]["upper"].get<double>(), "upper"));
    }
    {
        SCOPED_TRACE(entry["wilson"]["call"].get<std::string>());
        const auto ci = rwe::stats::binomial_ci(
            x, n, {.method = rwe::stats::BinomialCiMethod::wilson, .conf_level = level});
        EXPECT_TRUE(near(ci.lower, entry["wilson"]["lower"].get<double>(), "lower"));
        EXPECT_TRUE(near(ci.upper, entry["wilson"]["upper"].get<double>(), "upper"));
    }
}

INSTANTIATE_TEST_SUITE_P(R, BinomialReference,
                         ::testing::Range<std::size_t>(0, reference()["binomial"].size()));

TEST(BinomialCi, HandWorkedEnds) {
    // x = 0: lower 0 and upper 1 − (α/2)^(1/n); n = 5, α = 0.05: 1 − 0.025^(1/5).
    const auto zero = rwe::stats::binomial_ci(0, 5);
    EXPECT_EQ(zero.lower, 0.0);
    EXPECT_NEAR(zero.upper, 1 - std::pow(0.025, 1.0 / 5), 1e-14);
    // x = n: symmetric.
    const auto all = rwe::stats::binomial_ci(5, 5);
    EXPECT_EQ(all.upper, 1.0);
    EXPECT_NEAR(all.lower, std::pow(0.025, 1.0 / 5), 1e-14);
}

TEST(BinomialCi, EmptyDenominatorIsNaNWithAMessage) {
    const auto ci = rwe::stats::binomial_ci(0, 0);
    EXPECT_TRUE(std::isnan(ci.estimate));
    EXPECT_TRUE(std::isnan(ci.lower));
    EXPECT_TRUE(std::isnan(ci.upper));
    EXPECT_FALSE(ci.messages.empty());
}

TEST(BinomialCi, BadArgumentsAreUsageErrors) {
    EXPECT_THROW(rwe::stats::binomial_ci(6, 5), rwe::UsageError);
    EXPECT_THROW(rwe::stats::binomial_ci(-1, 5), rwe::UsageError);
    EXPECT_THROW(rwe::stats::binomial_ci(1.5, 5), rwe::UsageError);
    EXPECT_THROW(rwe::stats::binomial_ci(1, 5, {.conf_level = 1.0}), rwe::UsageError);
}

}  // namespace
