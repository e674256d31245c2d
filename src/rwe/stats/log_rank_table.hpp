#pragma once
// The counts every test of the log-rank family is built from (docs/methods.md §2.1): per
// stratum, each distinct event time t_i in ascending order, with the number at risk n_gi
// (time >= t_i) and the number of events d_gi of every group g. Case weights, when present,
// are frequency weights: n_gi and d_gi are sums of weights.
//
// One pass over the rows: when every time is an integer in a range not much larger than the
// number of rows (days, weeks), rows are counted into a dense time x group array; otherwise
// row indices are sorted by (stratum, time). Censor-only times are not kept: they change
// neither the weights nor O, E, V, only the risk sets that follow.

#include <cstddef>
#include <string>
#include <vector>

#include "rwe/stats/survival_counts.hpp"
#include "rwe/stats/survival_data.hpp"

namespace rwe::stats {

struct GroupRiskStratum {
    std::vector<double> time;     // event times, ascending
    std::vector<double> n_risk;   // time.size() x groups, row-major: n_gi
    std::vector<double> n_event;  // time.size() x groups, row-major: d_gi
    std::vector<std::size_t> group_n;  // rows of each group in this stratum
};

struct GroupRiskTable {
    std::size_t groups = 0;
    std::vector<std::string> group_names;
    std::vector<std::string> stratum_names;  // empty names when unstratified
    std::vector<GroupRiskStratum> strata;
    std::vector<std::size_t> group_n;   // rows of each group, all strata
    std::vector<double> group_events;   // (weighted) events of each group, all strata
    std::size_t rows = 0;
    std::size_t dropped = 0;            // SurvivalData::dropped, carried to the results
    bool weighted = false;
    bool counting_pass = false;         // which algorithm built it (for benchmarks and tests)
};

// Checks the data against SurvivalData's invariants (a broken one throws, as
// validate_survival_data) and tabulates it. Without a group column there is one group named
// "all"; without a strata column one stratum with an empty name.
GroupRiskTable group_risk_table(const SurvivalData& data);

// The table of tabulated counts (unweighted rows, e.g. counted by a database; cells as
// kaplan_meier's counts: stratum * groups + group): the same table group_risk_table gives
// for the rows counted. Without group names one group named "all"; without stratum names
// one stratum with an empty name. `dropped` is carried to the results.
GroupRiskTable group_risk_table(const SurvivalCounts& counts, const std::vector<std::string>& group_names,
                                const std::vector<std::string>& stratum_names, std::size_t dropped = 0);

}  // namespace rwe::stats
