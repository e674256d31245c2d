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
    std::string cluster;  // empty = no cluster column (an identifier: any number of values)
    std::string start;    // empty = right-censored data; else (start, stop] data with `time` the stop
};

// The read_table requests for these columns (time and weight numeric; event, group and
// stratum categorical, so their values are listed in ascending order, numerically when
// numeric).
std::vector<ColumnRequest> survival_requests(const SurvivalColumns& columns);

// The event column (read as categorical) as 1 = event, 0 = censored, NaN = missing, read as
// R's Surv() reads a status: 0/1; 1/2 when 2 is the largest code (2 = event); TRUE/FALSE
// (also T/F, true/false, True/False). Any other value is an InputError naming the line.
std::vector<double> event_indicator(const Table& table, const std::string& column);

// Rules: time finite and >= 0; event as event_indicator; weight finite and >= 0. Values are checked in
// every row that has them, then rows with any missing value are dropped (data.dropped).
// Group and stratum levels that occur only in dropped rows are left out. Near-equal times
// are merged (stats::merge_survival_times) unless merge_times is false.
stats::SurvivalData survival_data_from_table(const Table& table, const SurvivalColumns& columns,
                                             bool merge_times = true);

// read_table + survival_data_from_table.
stats::SurvivalData read_survival_data(const std::string& path, const SurvivalColumns& columns,
                                       bool merge_times = true);

}  // namespace rwe::cli
