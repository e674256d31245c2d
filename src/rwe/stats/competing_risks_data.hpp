#pragma once
// The prepared input of the competing-risks estimators (docs/methods.md §7): right-censored
// times with the cause of each event. Built by the CLI from a table or by the study
// pipeline from an endpoint whose events compete; the estimators only read it.
//
// Invariants (checked by validate_competing_risks_data):
// - time, status (and group, stratum when not empty) have the same length;
// - every time is finite and >= 0;
// - status is 0 (censored) or a cause code 1..cause_names.size();
// - group codes are 0..group_names.size()-1, stratum codes 0..stratum_names.size()-1.
// Everyone enters at time 0 (no delayed entry) with weight 1. Rows need not be sorted;
// times should already have been passed through merge_near_equal_times (R's timefix).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace rwe::stats {

struct CompetingRisksData {
    std::vector<double> time;
    std::vector<std::int32_t> status;      // 0 = censored, c = an event of cause c (1-based)
    std::vector<std::string> cause_names;  // cause c is cause_names[c - 1]
    std::vector<std::int32_t> group;       // codes 0..k-1; empty = one group
    std::vector<std::string> group_names;
    std::vector<std::int32_t> stratum;  // codes 0..s-1; empty = one stratum (Gray's test only)
    std::vector<std::string> stratum_names;
    std::size_t dropped = 0;  // input rows left out (missing value in a used column)

    std::size_t size() const noexcept { return time.size(); }
    std::size_t cause_count() const noexcept { return cause_names.size(); }
    std::size_t group_count() const noexcept { return group.empty() ? 1 : group_names.size(); }
    std::size_t stratum_count() const noexcept { return stratum.empty() ? 1 : stratum_names.size(); }
    std::int32_t group_of(std::size_t row) const noexcept { return group.empty() ? 0 : group[row]; }
    std::int32_t stratum_of(std::size_t row) const noexcept { return stratum.empty() ? 0 : stratum[row]; }
};

// Throws rwe::Error (kind input) describing the first broken invariant, with the row number.
void validate_competing_risks_data(const CompetingRisksData& data);

// The input of a Fine–Gray regression of `cause`: valid data, `p` > 0 covariate names,
// `x` with `p` values a row; a UsageError naming the problem otherwise.
void validate_fine_gray_input(const CompetingRisksData& data, const std::vector<double>& x, std::size_t p,
                              std::size_t cause);

}  // namespace rwe::stats
