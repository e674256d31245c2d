#pragma once
// A fixed, portable pseudo-random generator and the few distribution transforms that the
// synthetic registry and the bootstrap (rwe/stats/bootstrap.hpp) need. std::*_distribution
// are not used: their algorithms differ between standard libraries, and a seed must give
// byte-identical registries and bootstrap intervals everywhere.
//
// Generator: xoshiro256** (Blackman & Vigna, "Scrambled linear pseudorandom number
// generators", ACM TOMS 47(4), 2021), seeded through splitmix64 (Steele, Lea & Flood,
// OOPSLA 2014) as its authors recommend. Each stream is derived from (seed, index): a
// synthetic patient's record or a bootstrap resample does not depend on how many were
// drawn before it.

#include <cmath>
#include <cstdint>
#include <span>

namespace rwe {

inline std::uint64_t splitmix64(std::uint64_t& state) {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

class Rng {
public:
    // The stream of `index` under `seed`: splitmix64 of a mix of both fills the state.
    Rng(std::uint64_t seed, std::uint64_t index) {
        std::uint64_t mix = seed;
        std::uint64_t key = splitmix64(mix) ^ (index * 0xD1B54A32D192ED03ULL);
        for (auto& word : state_) word = splitmix64(key);
    }

    std::uint64_t next() {
        const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
        const std::uint64_t t = state_[1] << 17;
        state_[2] ^= state_[0];
        state_[3] ^= state_[1];
        state_[1] ^= state_[2];
        state_[0] ^= state_[3];
        state_[2] ^= t;
        state_[3] = rotl(state_[3], 45);
        return result;
    }

    // Uniform on [0, 1) with 53 random bits.
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    // Uniform on (0, 1]: safe under log().
    double uniform_open0() { return 1.0 - uniform(); }
    bool bernoulli(double p) { return uniform() < p; }
    // Uniform integer on [lo, hi] (Lemire's multiply-shift; bias < 2^-32, irrelevant here).
    int integer(int lo, int hi) {
        const std::uint64_t range = static_cast<std::uint64_t>(hi - lo) + 1;
        return lo + static_cast<int>(((next() >> 32) * range) >> 32);
    }
    // Exponential with mean 1, by inversion.
    double exponential() { return -std::log(uniform_open0()); }
    // Index drawn with probability proportional to weights[i] (weights need not sum to 1).
    std::size_t categorical(std::span<const double> weights) {
        double total = 0;
        for (double w : weights) total += w;
        double u = uniform() * total;
        for (std::size_t i = 0; i + 1 < weights.size(); ++i) {
            if (u < weights[i]) return i;
            u -= weights[i];
        }
        return weights.size() - 1;
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::uint64_t state_[4];
};

}  // namespace rwe
