#pragma once
// exp() over arrays, for the passes that take it of every row's linear predictor.
//
// On x86-64 with glibc, the vector routines of glibc's libmvec compute four (AVX2) or two
// (SSE2) values per call, within 1 ulp of scalar exp (glibc's documented bound for these
// routines); elsewhere, or when the library is absent, std::exp of each value.

#include <cstddef>

namespace rwe::stats {

// values[i] = exp(values[i]) for i < n.
void exp_in_place(double* values, std::size_t n);

// The processor has AVX2 and FMA (checked once; false off x86-64), for code that picks a
// vector version at run time.
bool cpu_has_avx2_fma();

}  // namespace rwe::stats
