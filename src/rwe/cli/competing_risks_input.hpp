#pragma once
// Builds the competing-risks input of `rwe cuminc` and `rwe finegray` from a CSV table:
// time, status (the censoring code or the cause of the event), the optional group and
// stratum columns and numeric covariates.

#include <string>
#include <vector>

#include "rwe/stats/competing_risks_data.hpp"

namespace rwe::cli {

struct CompetingRisksColumns {
    std::string file;
    std::string time, status, group, stratum;  // group, stratum: empty = none
    std::string censor = "0";                  // the status value that means censored
};

// `censor` is the censoring code; every other status value is a cause, causes in ascending
// order of their values (numerically when all are numbers), as R's factor(status) with the
// censoring code as its first level; causes and levels that occur only in dropped rows are
// left out. Rows with a missing time, status, group or stratum are dropped and counted; a
// negative or infinite time or covariate is an InputError naming file:line: column; no event
// of any cause is an InputError. Covariates (numeric columns) go to `x` row-major, NaN when
// missing (the fits drop those rows). Near-equal times are merged (R's timefix).
stats::CompetingRisksData read_competing_risks(const CompetingRisksColumns& columns,
                                               const std::vector<std::string>& covariates = {},
                                               std::vector<double>* x = nullptr);

}  // namespace rwe::cli
