#pragma once
// Shared kernel of the Cox estimators (docs/methods.md §4.1–4.2): data prepared once
// (complete rows, merged times, centred covariates, sorted by stratum and descending stop
// time) and one backward pass over the risk sets that gives the log partial likelihood,
// its score and information, O(n p^2) per pass.

#include <cstdint>
#include <span>
#include <vector>

#include "rwe/common/buffer.hpp"
#include "rwe/stats/cox_regression.hpp"

namespace rwe::stats::detail {

// Rows in sorted order: stratum ascending, stop time descending. x is centred, row-major.
struct CoxPrepared {
    std::size_t n = 0, p = 0;
    bool counting = false;              // (start, stop] data
    Buffer<double> start, stop;         // start empty unless counting
    Buffer<std::uint8_t> event;
    Buffer<double> weight;
    Buffer<std::int32_t> stratum;
    Buffer<std::int32_t> cluster;       // empty unless given
    Buffer<double> x;
    std::vector<std::size_t> used_index;    // index among the used rows (input order); see keep_index
    std::vector<std::size_t> stratum_begin; // offsets of each stratum, plus n at the end
    std::vector<std::size_t> group_begin;   // offsets of each run of one (stratum, stop), plus n
    std::vector<std::size_t> by_start;      // counting: positions by descending start, per stratum
    std::vector<std::size_t> used_rows;     // input row of each used row; empty: every row, in order
    std::vector<double> means;
    // max_i |x_ik| per covariate (an upper bound is enough): bounds the linear predictor, so
    // that a pass knows without computing it whether exp() needs a shift (see cox_pass).
    std::vector<double> x_abs_max;
    std::size_t dropped = 0, events = 0, times_merged = 0;
    bool unit_weights = true;           // every weight is 1 (the passes need not read them)
};

// Indices ordered by descending value, stable; O(n) radix sort of the IEEE bits.
std::vector<std::size_t> radix_order_descending(std::span<const double> values);
// A counting sort split between two halves of the input, stable (in every bucket the first
// half's rows come first): turns each bucket's count in the first and in the second half
// into the position where that half's rows of the bucket start. Returns the total.
template <class Count>
Count half_starts(std::vector<Count>& first, std::vector<Count>& second) {
    Count running = 0;
    for (std::size_t b = 0; b < first.size(); ++b) {
        const Count in_first = first[b], in_second = second[b];
        first[b] = running;
        second[b] = running + in_first;
        running += in_first + in_second;
    }
    return running;
}
// Stable reorder of `order` by ascending non-negative code.
std::vector<std::size_t> stable_order_by_code(const std::vector<std::size_t>& order,
                                              const std::vector<std::int32_t>& codes);

// Drops incomplete rows, merges near-equal times, centres at `means` (weighted means when
// empty) and sorts. Throws InputError for values no model accepts (event not 0/1, weight
// <= 0, stop <= start).
// keep_index = false leaves used_index empty (the fit itself never maps rows back).
// `release`, when given, is `data` itself: its columns are emptied as soon as the sorted
// copy no longer needs them (at tens of millions of rows, the difference between holding
// the input and the copy at once or not).
CoxPrepared cox_prepare(const CoxData& data, bool time_fix, const std::vector<double>& means = {},
                        bool keep_index = true, CoxData* release = nullptr);

// What one event time contributes; enough for score residuals and Schoenfeld residuals.
// h = sum_r m / D_r, hx = sum_r m a_r / D_r (Efron sub-steps r with weight m = mean death
// weight, denominator D_r and mean a_r); h2, hx2 the same with the factor (1 - r/d) that
// applies to the dying; amean = mean of a_r.
struct CoxEventTimes {
    std::size_t p = 0;
    std::vector<std::int32_t> stratum;
    std::vector<double> time;
    std::vector<double> deaths;  // unweighted count
    std::vector<double> h, h2;
    std::vector<double> hx, hx2, amean;  // times x p
    double shift = 0;  // the sums are of exp(eta - shift) (see cox_pass): h, hx, h2, hx2 scale by e^shift
};

// Extra sums of the cox.zph score test (§4.6): with g_k the transformed time of the k-th
// event time in pass order, u_g = sum g U_k, i_bg = sum g I_k, i_gg = sum g^2 I_k.
struct CoxTimeWeighted {
    std::vector<double> g;  // input, one per event time in pass order
    std::vector<double> u_g, i_bg, i_gg;
};

struct CoxPass {
    double loglik = 0;
    std::vector<double> u;     // p
    std::vector<double> imat;  // p x p
    bool finite = true;
};

// Sets x_abs_max from x (after a change to x that could enlarge it).
void set_x_abs_max(CoxPrepared& data);

// One pass at coefficient vector beta. Preconditions: `data` from cox_prepare.
CoxPass cox_pass(const CoxPrepared& data, const std::vector<double>& beta, CoxTies ties,
                 CoxEventTimes* record = nullptr, CoxTimeWeighted* weighted = nullptr);

// R's cholesky2 / chsolve2 / chinv2 semantics: a generalised LDL' factorisation in which a
// pivot below toler * max|diag| marks its column singular (solution component 0).
// Returns the rank; `m` (p x p, row-major) is overwritten by the factor.
int cholesky_ldl(std::vector<double>& m, std::size_t p, double toler);
void cholesky_solve(const std::vector<double>& factor, std::size_t p, std::vector<double>& y);
std::vector<double> cholesky_inverse(const std::vector<double>& factor, std::size_t p);

}  // namespace rwe::stats::detail
