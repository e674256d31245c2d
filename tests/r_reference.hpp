#pragma once
// Reading R's reference values from the JSON that the tests/data/*.R scripts write
// (jsonlite: NA as null, Inf and -Inf as strings) and comparing rwe's numbers with them.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace rwe::test {

// An R value: null (NA) is NaN, "Inf" and "-Inf" the infinities.
inline double r_value(const nlohmann::json& v) {
    if (v.is_null()) return std::numeric_limits<double>::quiet_NaN();
    if (v.is_string()) return v.get<std::string>() == "Inf" ? INFINITY : -INFINITY;
    return v.get<double>();
}

// An R vector; jsonlite writes a vector of length 1 as a scalar (auto_unbox).
inline std::vector<double> r_values(const nlohmann::json& v) {
    std::vector<double> out;
    if (v.is_array()) {
        for (const auto& item : v) out.push_back(r_value(item));
    } else {
        out.push_back(r_value(v));
    }
    return out;
}

// Equal within `tolerance` relative to max(1, |want|), i.e. absolute below 1 (p-values,
// probabilities); NaN matches NaN and an infinity matches itself only.
inline bool same(double got, double want, double tolerance) {
    if (std::isnan(want)) return std::isnan(got);
    if (std::isinf(want)) return got == want;
    return std::abs(got - want) <= tolerance * std::max(1.0, std::abs(want));
}

inline void expect_value(const std::string& label, double got, const nlohmann::json& want, double tolerance) {
    EXPECT_TRUE(same(got, r_value(want), tolerance)) << label << ": rwe " << got << " vs R " << want;
}

inline void expect_values(const std::string& label, const std::vector<double>& got, const nlohmann::json& want, double tolerance) {
    const auto expected = r_values(want);
    ASSERT_EQ(got.size(), expected.size()) << label;
    for (std::size_t i = 0; i < expected.size(); ++i) {
        EXPECT_TRUE(same(got[i], expected[i], tolerance)) << label << "[" << i << "]: rwe " << got[i] << " vs R " << expected[i];
    }
}

// rwe's values as JSON too (an rwe command's output).
inline void expect_values(const std::string& label, const nlohmann::json& got, const nlohmann::json& want, double tolerance) {
    ASSERT_TRUE(got.is_array()) << label;
    ASSERT_EQ(got.size(), want.size()) << label;
    for (std::size_t i = 0; i < want.size(); ++i) {
        EXPECT_TRUE(same(r_value(got[i]), r_value(want[i]), tolerance)) << label << "[" << i << "]: rwe " << got[i] << " vs R " << want[i];
    }
}

}  // namespace rwe::test
