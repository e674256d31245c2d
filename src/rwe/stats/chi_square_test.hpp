#pragma once
// Pearson's chi-squared test of independence for an r x c table (docs/methods.md §3.2):
//   X² = Σ_ij (|O_ij − E_ij| − Y)² / E_ij,  E_ij = r_i c_j / n,  df = (r − 1)(c − 1),
//   p = P(χ²_df ≥ X²),
// with Yates' continuity correction Y = min(0.5, |O_11 − E_11|) for 2 x 2 tables when asked
// (R's chisq.test default, correct = TRUE) and Y = 0 otherwise.
// Degenerate tables (one row or column, a zero margin, no counts) give NaN with a message.

#include <string>
#include <vector>

#include "rwe/stats/contingency_table.hpp"

namespace rwe::stats {

struct ChiSquareOptions {
    bool continuity_correction = true;  // Yates, applied to 2 x 2 tables only (as R)
};

struct ChiSquareTest {
    double statistic = 0;
    double df = 0;
    double p = 0;
    bool continuity_correction = false;  // Yates actually applied
    double yates = 0;                    // the correction Y subtracted from each |O − E|
    std::vector<double> expected;        // row-major, as the table
    double min_expected = 0;
    std::size_t cells_expected_below_5 = 0;
    std::vector<std::string> messages;  // why a value is NaN; small expected counts
};

ChiSquareTest chi_square_test(const ContingencyTable& table, const ChiSquareOptions& options = {});

}  // namespace rwe::stats
