#pragma once
// The result of kind `association` (two-way tables with the test Cochran's rule chooses),
// and the two-way table and test it shares with Table 1.

#include <optional>
#include <string>
#include <vector>

#include "rwe/results/common.hpp"

namespace rwe::results {

// Pearson's chi-square without continuity correction.
struct PearsonChiSquare {
    Number statistic;
    double df = 0;
    Number p;
    template <class V> void fields(V& v) {
        v("statistic", statistic);
        v("df", df);
        v("p", p);
    }
};

// A two-way table (rows × columns, counts row-major by row) and the test chosen for it:
// chi-square, or Fisher's exact test when expected counts are small (docs/methods.md).
struct ContingencyTest {
    std::vector<std::string> rows;
    std::vector<std::string> columns;
    Count dropped;
    std::vector<std::vector<Number>> counts;
    std::string test;  // "chi-square", "fisher", or "none" with a note
    Number p;
    std::optional<std::string> note;
    std::optional<PearsonChiSquare> chi_square;
    std::optional<Number> fisher_p;
    std::optional<std::string> test_reason;
    template <class V> void fields(V& v) {
        v("rows", rows);
        v("columns", columns);
        v("dropped", dropped);
        v("counts", counts);
        v("test", test);
        v("p", p);
        v("note", note);
        v("chi_square", chi_square);
        v("fisher_p", fisher_p);
        v("test_reason", test_reason);
    }
};

// One outcome by the grouping variable.
struct AssociationTest {
    ContingencyTest table;
    std::string outcome;
    std::string outcome_label;
    std::string by;
    std::string by_label;
    template <class V> void fields(V& v) {
        table.fields(v);
        v("outcome", outcome);
        v("outcome_label", outcome_label);
        v("by", by);
        v("by_label", by_label);
    }
};

// Kind `association`.
struct AssociationResult {
    std::vector<AssociationTest> tests;
    std::optional<Population> population;
    template <class V> void fields(V& v) {
        v("tests", tests);
        v("population", population);
    }
};

}  // namespace rwe::results
