#pragma once
// The text of a table cell or a phrase from the numbers of results.json: "NR" (not
// reached), "S" (suppressed), estimates with their CI, counts and p-values
// (docs/report.md). Each from a JSON value (the kinds the report still reads as JSON) and
// from the typed results.

#include <nlohmann/json.hpp>

#include <string>

#include "rwe/results/codec.hpp"
#include "rwe/results/common.hpp"
#include "rwe/results/target_trial.hpp"

namespace rwe::report {

using nlohmann::json;

std::string fixed(const json& value, int decimals = 1);
// Three significant digits for small values (p-values, proportions), one decimal above 1.
std::string significant(double value);
std::string published_text(const json& value);
std::string summary_name(const std::string& summary);
// The method of the median's CI, as a table footnote (docs/methods.md §1).
std::string median_ci_footnote(const std::string& method, const std::string& conf_type);
// "Overall survival" → "overall survival"; an acronym ("ECOG …") keeps its case.
std::string lower_first(std::string text);

// From typed results.
std::string fixed(const results::Number& value, int decimals = 1);
// "19.1 (16.2–21.9)"; NR = not reached; S = suppressed (docs/report.md).
std::string estimate_ci(const results::Number& estimate, const results::Number& lower, const results::Number& upper, int decimals = 1);
std::string estimate_ci(const results::Suppressible<results::MedianEstimate>& median, int decimals = 1);
// A count as published: the marker when suppressed.
std::string count_only(const results::Count& n);
std::string count_only(const results::Number& n);
// In running text and annotations: "p = 0.043", "p < 0.001".
std::string p_phrase(const results::Number& p);
// In a table's p column: "0.043", "<0.001" (two significant digits).
std::string p_cell(const results::Number& p);
// "n (p%)": the percentage is left out when the denominator is suppressed (with n it would
// give the denominator back).
std::string count(const results::Number& n, const results::Number& of, int decimals = 1);
// A number of an integer variable without decimals when it is a whole number.
std::string integer_or_fixed(const results::Number& value, bool integer);
// A test's name in a table's Test column.
std::string test_name(const std::string& test);
std::string ci_text(const results::Number& lower, const results::Number& upper);
// "E-value of the HR: 2.31 (of the CI limit nearer 1: 1.42); ..." (docs/methods.md §8.5);
// empty when withheld.
std::string e_value_note(const results::EValue& e, const std::string& what);

}  // namespace rwe::report
