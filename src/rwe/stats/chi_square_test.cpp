#include "rwe/stats/chi_square_test.hpp"

#include <algorithm>
#include <boost/math/distributions/chi_squared.hpp>
#include <cmath>
#include <limits>

namespace rwe::stats {

namespace {
constexpr double not_available = std::numeric_limits<double>::quiet_NaN();
}

ChiSquareTest chi_square_test(const ContingencyTable& table, const ChiSquareOptions& options) {
    ChiSquareTest result;
    result.expected = expected_counts(table);
    result.df = static_cast<double>((table.rows > 0 ? table.rows - 1 : 0) *
                                    (table.cols > 0 ? table.cols - 1 : 0));
    result.statistic = not_available;
    result.p = not_available;
    result.min_expected = not_available;
    if (table.rows < 2 || table.cols < 2) {
        result.messages.push_back("the table has " + std::to_string(table.rows) + " row(s) and " +
                                  std::to_string(table.cols) +
                                  " column(s): a test of independence needs at least 2 of each");
        return result;
    }
    if (table.total <= 0) {
        result.messages.push_back("the table has no counts");
        return result;
    }
    result.min_expected = *std::min_element(result.expected.begin(), result.expected.end());
    result.cells_expected_below_5 = static_cast<std::size_t>(std::count_if(
        result.expected.begin(), result.expected.end(), [](double e) { return e < 5; }));

    const bool empty_margin = std::any_of(table.row_totals.begin(), table.row_totals.end(),
                                          [](double t) { return t <= 0; }) ||
                              std::any_of(table.col_totals.begin(), table.col_totals.end(),
                                          [](double t) { return t <= 0; });
    if (empty_margin) {
        // E_ij = 0 makes a term 0/0; R's chisq.test returns NaN here as well.
        result.messages.push_back(
            "a row or column total is zero: the statistic is undefined (drop the empty level)");
        return result;
    }

    if (options.continuity_correction && table.rows == 2 && table.cols == 2) {
        double yates = 0.5;
        for (std::size_t cell = 0; cell < table.counts.size(); ++cell) {
            yates = std::min(yates, std::abs(table.counts[cell] - result.expected[cell]));
        }
        result.yates = yates;
        result.continuity_correction = true;
    }
    double statistic = 0;
    for (std::size_t cell = 0; cell < table.counts.size(); ++cell) {
        const double deviation =
            std::abs(table.counts[cell] - result.expected[cell]) - result.yates;
        statistic += deviation * deviation / result.expected[cell];
    }
    result.statistic = statistic;
    const boost::math::chi_squared_distribution<double> distribution(result.df);
    result.p = boost::math::cdf(boost::math::complement(distribution, statistic));
    if (result.cells_expected_below_5 > 0) {
        result.messages.push_back(std::to_string(result.cells_expected_below_5) + " of " +
                                  std::to_string(table.counts.size()) +
                                  " cells have an expected count below 5: the chi-squared "
                                  "approximation may be incorrect");
    }
    return result;
}

}  // namespace rwe::stats
