#pragma once
// The prepared right-censored input shared by Kaplan–Meier and the log-rank family
// (docs/methods.md §1 and §2). Built by the CLI from a table (rwe/cli/survival_input.hpp)
// or by the study pipeline from analysis datasets; the estimators only read it.
//
// Invariants (checked by validate_survival_data):
// - time, event (and weight, group, stratum when not empty) have the same length;
// - every time is finite and >= 0, every event is 0 or 1, every weight finite and >= 0;
// - a start time (when not empty) is finite, >= 0 and below the row's time;
// - group codes are 0..group_names.size()-1, stratum codes 0..stratum_names.size()-1;
// - cluster codes (when not empty) are >= 0, one per row.
// Rows need not be sorted. Times should already have been passed through
// merge_survival_times (R's timefix), as the builders do.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace rwe::stats {

struct SurvivalData {
    std::vector<double> time;              // the stop time with `start`
    std::vector<double> start;             // (start, stop] data (Kaplan–Meier only); empty = 0
    std::vector<std::uint8_t> event;       // 1 = event, 0 = censored
    std::vector<double> weight;            // case weights; empty = all 1
    std::vector<std::int32_t> group;       // codes 0..k-1; empty = one group
    std::vector<std::string> group_names;  // ascending order of the group values
    std::vector<std::int32_t> stratum;     // codes 0..s-1; empty = one stratum
    std::vector<std::string> stratum_names;
    std::vector<std::int32_t> cluster;  // codes >= 0 for the robust variance; empty = a row is a cluster
    std::size_t dropped = 0;  // input rows left out (missing value in a used column)

    std::size_t size() const noexcept { return time.size(); }
    bool weighted() const noexcept { return !weight.empty(); }
    // Number of groups / strata (1 when the column is absent).
    std::size_t group_count() const noexcept { return group.empty() ? 1 : group_names.size(); }
    std::size_t stratum_count() const noexcept {
        return stratum.empty() ? 1 : stratum_names.size();
    }
};

// Throws rwe::Error (kind input) describing the first broken invariant, with the row index.
void validate_survival_data(const SurvivalData& data);

// R's timefix (aeqSurv) on data.time: near-equal times are merged (rwe/stats/time_fix.hpp).
// Integer times below 2^26 can never be merged, so they are recognised in one pass and
// left alone without the sort. Returns the number of times changed.
std::size_t merge_survival_times(SurvivalData& data);

// True when every time is an integer in [0, 2^31): the estimators then use a counting pass
// instead of a sort.
bool integer_times(const std::vector<double>& time, double* max_time = nullptr);

}  // namespace rwe::stats
