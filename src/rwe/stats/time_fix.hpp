#pragma once
// Merging of near-equal times before any survival fit (docs/methods.md §1.1).
//
// Times computed in floating point (days / 30.4375, say) can differ in the last bits
// where the data mean the same day. As R `survival` does by default (timefix = TRUE),
// the sorted distinct finite times y_1 < ... < y_m are scanned and y_{k+1} is tied to
// y_k when y_{k+1} - y_k <= tol or (y_{k+1} - y_k) / mean|y| <= tol, tol = sqrt(DBL_EPSILON).
// Each time is then replaced by the first time of its tied run. Integer times are never
// changed.

#include <cmath>
#include <span>
#include <vector>

namespace rwe::stats {

inline constexpr double time_fix_tolerance = 1.4901161193847656e-08;  // sqrt(DBL_EPSILON)

// Replaces, in place, every finite value of each span by the representative of its tied run,
// computed over the values of all spans together (start and stop times share one scale).
// Returns the number of values changed.
std::size_t merge_near_equal_times(std::vector<std::span<double>> columns,
                                   double tolerance = time_fix_tolerance);

inline std::size_t merge_near_equal_times(std::vector<double>& times,
                                          double tolerance = time_fix_tolerance) {
    return merge_near_equal_times(std::vector<std::span<double>>{std::span<double>(times)},
                                  tolerance);
}

}  // namespace rwe::stats
