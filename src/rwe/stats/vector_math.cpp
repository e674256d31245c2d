#include "rwe/stats/vector_math.hpp"

#include <cmath>

#if defined(RWE_HAVE_LIBMVEC) && defined(__x86_64__)
#include <immintrin.h>

// glibc libmvec, vector ABI names (x86-64 vector function ABI): 2 lanes SSE, 4 lanes AVX2.
extern "C" __m128d _ZGVbN2v_exp(__m128d);
extern "C" __m256d _ZGVdN4v_exp(__m256d);

namespace rwe::stats {
namespace {

__attribute__((target("avx2,fma"))) void exp_avx2(double* v, std::size_t n) {
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) _mm256_storeu_pd(v + i, _ZGVdN4v_exp(_mm256_loadu_pd(v + i)));
    for (; i < n; ++i) v[i] = std::exp(v[i]);
}

void exp_sse2(double* v, std::size_t n) {
    std::size_t i = 0;
    for (; i + 2 <= n; i += 2) _mm_storeu_pd(v + i, _ZGVbN2v_exp(_mm_loadu_pd(v + i)));
    for (; i < n; ++i) v[i] = std::exp(v[i]);
}

}  // namespace

void exp_in_place(double* values, std::size_t n) {
    if (cpu_has_avx2_fma()) {
        exp_avx2(values, n);
    } else {
        exp_sse2(values, n);
    }
}

}  // namespace rwe::stats

#else

namespace rwe::stats {

void exp_in_place(double* values, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) values[i] = std::exp(values[i]);
}

}  // namespace rwe::stats

#endif

namespace rwe::stats {

bool cpu_has_avx2_fma() {
#if defined(__x86_64__)
    static const bool yes = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }();
    return yes;
#else
    return false;
#endif
}

}  // namespace rwe::stats
