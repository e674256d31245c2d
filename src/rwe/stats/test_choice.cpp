#include "rwe/stats/test_choice.hpp"

#include <algorithm>
#include <cmath>

#include "rwe/common/error.hpp"

namespace rwe::stats {

TestChoice choose_test(const ContingencyTable& table, const TestChoiceOptions& options) {
    TestChoice choice;
    if (table.rows < 2 || table.cols < 2 || table.total <= 0) {
        choice.reason = "no test: the table needs at least 2 rows, 2 columns and some counts";
        return choice;
    }
    if (options.rule == TestRule::chi_square) {
        choice.test = ChosenTest::chi_square;
        choice.reason = "chi-squared test chosen by option";
        return choice;
    }
    if (options.rule == TestRule::fisher) {
        choice.test = ChosenTest::fisher;
        choice.reason = "Fisher's exact test chosen by option";
        return choice;
    }
    const auto expected = expected_counts(table);
    const auto cells = expected.size();
    const auto small = static_cast<std::size_t>(std::count_if(
        expected.begin(), expected.end(), [&](double e) { return e < options.small_expected; }));
    const auto tiny = static_cast<std::size_t>(std::count_if(
        expected.begin(), expected.end(), [&](double e) { return e < options.tiny_expected; }));
    const std::string counted = std::to_string(small) + " of " + std::to_string(cells) +
                                " expected counts < " +
                                std::to_string(static_cast<int>(options.small_expected));
    const bool two_by_two = table.rows == 2 && table.cols == 2;
    if (options.rule == TestRule::any_expected_below_5 || two_by_two) {
        choice.test = small > 0 ? ChosenTest::fisher : ChosenTest::chi_square;
        choice.reason = counted + (options.rule == TestRule::cochran
                                       ? " (Cochran's rule, 2x2)"
                                       : " (any expected count below the threshold)");
        return choice;
    }
    const bool too_many_small =
        static_cast<double>(small) > options.max_small_fraction * static_cast<double>(cells);
    choice.test = (too_many_small || tiny > 0) ? ChosenTest::fisher : ChosenTest::chi_square;
    choice.reason =
        counted + ", " + std::to_string(tiny) + " < " +
        std::to_string(static_cast<int>(options.tiny_expected)) +
        " (Cochran's rule: Fisher when more than " +
        std::to_string(static_cast<int>(std::lround(options.max_small_fraction * 100))) +
        "% are small or any is tiny)";
    return choice;
}

TestRule parse_test_rule(const std::string& name) {
    if (name == "cochran") return TestRule::cochran;
    if (name == "any-expected-below-5") return TestRule::any_expected_below_5;
    if (name == "chi-square") return TestRule::chi_square;
    if (name == "fisher") return TestRule::fisher;
    throw UsageError("--rule: expected cochran, any-expected-below-5, chi-square or fisher (" +
                     name + ")");
}

std::string to_string(TestRule rule) {
    switch (rule) {
        case TestRule::cochran:
            return "cochran";
        case TestRule::any_expected_below_5:
            return "any-expected-below-5";
        case TestRule::chi_square:
            return "chi-square";
        case TestRule::fisher:
            return "fisher";
    }
    return "";
}

std::string to_string(ChosenTest test) {
    switch (test) {
        case ChosenTest::chi_square:
            return "chi-square";
        case ChosenTest::fisher:
            return "fisher";
        case ChosenTest::none:
            return "none";
    }
    return "";
}

}  // namespace rwe::stats
