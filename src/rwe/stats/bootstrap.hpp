#pragma once
// The nonparametric bootstrap's two shared pieces (docs/methods.md §8.6): which patients a
// resample draws, and the percentile interval of the replicates.
//
// Resample b (b = 1, 2, ...) of n patients under `seed` draws n indices with replacement
// from the generator's stream b (rwe/common/random.hpp: xoshiro256** seeded through
// splitmix64), each by Lemire's multiply-shift on the upper 32 bits of a draw. A resample
// does not depend on the others, so a test can rebuild resample b alone, and a run can
// draw them in any order.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace rwe::stats {

// The n patient indices (0-based, in draw order) of resample b; n < 2^31.
std::vector<std::size_t> bootstrap_resample(std::uint64_t seed, std::uint64_t b, std::size_t n);

struct PercentileInterval {
    double lower = 0, upper = 0;  // NaN when no replicate is finite
    std::size_t replicates = 0;   // finite replicates used
};

// The percentile interval at `conf_level` of the finite replicates: R's quantile type 7 at
// (1 - conf_level) / 2 and (1 + conf_level) / 2. NaN and infinite replicates are left out
// (a resample where the quantity is not estimable).
PercentileInterval percentile_interval(std::span<const double> replicates, double conf_level = 0.95);

}  // namespace rwe::stats
