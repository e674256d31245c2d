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

}  // namespace rwe::stats
