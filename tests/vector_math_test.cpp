// exp over arrays (glibc's vector routines where available) against std::exp: within 2 ulp
// over the whole range the Cox passes use, block lengths that leave a remainder included.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "rwe/stats/vector_math.hpp"

TEST(VectorMath, ExpAgreesWithStdExp) {
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<double> wide(-700.0, 700.0), narrow(-5.0, 5.0);
    for (const std::size_t n : {0u, 1u, 3u, 7u, 256u, 1001u}) {
        std::vector<double> values(n);
        for (std::size_t i = 0; i < n; ++i) values[i] = i % 2 == 0 ? wide(rng) : narrow(rng);
        if (n > 2) {  // the ends of the range the passes clamp to, and 0
            values[0] = 0.0;
            values[1] = -700.0;
            values[2] = 700.0;
        }
        std::vector<double> got = values;
        rwe::stats::exp_in_place(got.data(), n);
        for (std::size_t i = 0; i < n; ++i) {
            const double want = std::exp(values[i]);
            EXPECT_LE(std::fabs(got[i] - want), 2 * std::numeric_limits<double>::epsilon() * want)
                << "exp(" << values[i] << ")";
        }
    }
}
