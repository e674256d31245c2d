#pragma once
// Builds the survival input of `rwe km` and `rwe logrank` from a CSV table: time, event and
// the optional group, stratum and weight columns. Rows with a missing value in any used
// column are dropped and counted; a bad value is an InputError naming file:line: column.

#include <string>

#include "rwe/common/table.hpp"
#include "rwe/stats/survival_data.hpp"

namespace rwe::cli {

struct SurvivalColumns {
    std::string time;
    std::string event;
    std::string group;    // empty = no group column
    std::string stratum;  // empty = no strata column
    std::string weight;   // empty = unweighted
};

// The read_table requests for these columns (time, event, weight numeric; group and stratum
// categorical, so their values are listed in ascending order, numerically when numeric).
std::vector<ColumnRequest> survival_requests(const SurvivalColumns& columns);

// Rules: time finite and >= 0; event 0 or 1; weight finite and >= 0. Values are checked in
// every row that has them, then rows with any missing value are dropped (data.dropped).
// Group and stratum levels that occur only in dropped rows are left out. Near-equal times
// are merged (stats::merge_survival_times).
stats::SurvivalData survival_data_from_table(const Table& table, const SurvivalColumns& columns);

// read_table + survival_data_from_table.
stats::SurvivalData read_survival_data(const std::string& path, const SurvivalColumns& columns);

}  // namespace rwe::cli
