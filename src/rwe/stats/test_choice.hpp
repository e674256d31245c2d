#pragma once
// Which test of independence to report for a table (docs/methods.md §3.4).
//
// Cochran's rule (Cochran 1954), the usual default: the chi-squared approximation is
// adequate unless, for a 2 x 2 table, any expected count is below 5, or, for a larger
// table, more than 20% of expected counts are below 5 or any is below 1; Fisher's exact
// test is chosen otherwise. `any_expected_below_5` applies the 2 x 2 condition to every
// table; `chi_square` and `fisher` force one test.

#include <string>

#include "rwe/stats/contingency_table.hpp"

namespace rwe::stats {

enum class TestRule { cochran, any_expected_below_5, chi_square, fisher };
enum class ChosenTest { chi_square, fisher, none };

struct TestChoiceOptions {
    TestRule rule = TestRule::cochran;
    double small_expected = 5;        // "small" expected count
    double tiny_expected = 1;         // r x c: any expected count below this -> Fisher
    double max_small_fraction = 0.2;  // r x c: more than this share of small cells -> Fisher
};

struct TestChoice {
    ChosenTest test = ChosenTest::none;
    std::string reason;  // e.g. "2 of 4 expected counts < 5 (Cochran's rule)"
};

TestChoice choose_test(const ContingencyTable& table, const TestChoiceOptions& options = {});

// "cochran", "any-expected-below-5", "chi-square", "fisher"; throws UsageError otherwise.
TestRule parse_test_rule(const std::string& name);
std::string to_string(TestRule rule);
std::string to_string(ChosenTest test);

}  // namespace rwe::stats
