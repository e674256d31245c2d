#pragma once
// Events and censorings tabulated at each distinct time, per cell (docs/methods.md §1.2).
// This is the one pass over the rows that Kaplan–Meier and the log-rank family share:
// everything they compute afterwards works on these counts, not on the rows.
//
// Integer times (days, most often) are tabulated by direct indexing into a dense grid in one
// pass over the rows, without sorting; other times are sorted once.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "rwe/stats/survival_data.hpp"

namespace rwe::stats {

struct SurvivalCounts {
    std::vector<double> time;  // distinct times over all cells, ascending
    std::size_t cells = 0;
    // Time-major: entry (i, cell) is at [i * cells + cell].
    std::vector<double> n_event;         // weighted events at time[i] in the cell
    std::vector<double> n_censor;        // weighted censorings
    std::vector<std::uint32_t> n_rows;   // rows (unweighted) at time[i] in the cell
    std::vector<std::size_t> cell_rows;  // rows per cell
    std::vector<double> cell_events;     // weighted events per cell

    std::size_t times() const noexcept { return time.size(); }
    std::size_t at(std::size_t i, std::size_t cell) const noexcept { return i * cells + cell; }
};

// Tabulates data (validated: see validate_survival_data) by cell: cell_of_row[r] in
// [0, cells) for each row, or empty for a single cell. With reverse = true the roles of
// event and censoring are swapped (reverse Kaplan–Meier of follow-up).
SurvivalCounts count_survival(const SurvivalData& data, std::span<const std::int32_t> cell_of_row,
                              std::size_t cells, bool reverse = false);

// Rows already counted elsewhere (a database's GROUP BY): `rows` unweighted rows of `cell`
// at `time`, `events` of them events.
struct SurvivalTally {
    std::size_t cell = 0;
    double time = 0;
    std::uint64_t rows = 0;
    std::uint64_t events = 0;
};

// The counts of tallies in [0, cells): what count_survival gives for the rows they count
// (tallies of one cell and time add up). Near-equal times are merged first, as
// merge_survival_times merges the rows' times. Throws UsageError on a cell out of range,
// more events than rows, or a time that is not finite.
SurvivalCounts survival_counts_from_tallies(std::vector<SurvivalTally> tallies, std::size_t cells,
                                            bool reverse = false);

}  // namespace rwe::stats
