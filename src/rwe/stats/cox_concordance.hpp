#pragma once
// Harrell's concordance of a Cox linear predictor with its infinitesimal-jackknife standard
// error, as R's coxph reports it (concordancefit, timewt "n"; docs/methods.md §4.5).
//
// A pair is comparable when the earlier time is an event and the other subject is still at
// risk then: a later time, or censored at the same time (censoring follows death). Pairs
// of tied event times are not comparable. Within a stratum only. Weights multiply.

#include <cstdint>
#include <span>
#include <vector>

#include "rwe/stats/cox_risk_sets.hpp"

namespace rwe::stats {

struct CoxConcordance {
    double concordance = 0;
    double se = 0;
    double concordant = 0;  // earlier death has the higher linear predictor
    double discordant = 0;
    double tied_risk = 0;   // equal linear predictor (counted 1/2)
};

// Two sweeps give the same pairs: over the rows in time order with trees over the ranks of
// the linear predictor (any data), or over the rows in rank order with trees over the time
// slots (right-censored data only; much faster when the distinct times are few). Automatic
// picks the second for right-censored data with at least 8 rows per distinct time.
enum class ConcordanceSweep { automatic, by_time, by_rank };

// `linear_predictor` in the sorted order of `data`. O(n log n) with Fenwick trees.
CoxConcordance cox_concordance(const detail::CoxPrepared& data, std::span<const double> linear_predictor,
                               ConcordanceSweep sweep = ConcordanceSweep::automatic);

}  // namespace rwe::stats
