// Fisher's exact test and Pearson chi-squared on tables the size of baseline-table
// comparisons (docs/methods.md §3.3). Each benchmark first checks its p-value against the R
// reference in tests/data/contingency_reference.json and fails if it differs by more than 1e-7.
#include <benchmark/benchmark.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "rwe/stats/chi_square_test.hpp"
#include "rwe/stats/contingency_table.hpp"
#include "rwe/stats/fisher_exact_test.hpp"

namespace {

using nlohmann::json;

const json& reference() {
    static const json document = [] {
        const auto path = std::filesystem::path(__FILE__).parent_path() / ".." / "tests" / "data" /
                          "contingency_reference.json";
        std::ifstream in(path);
        return json::parse(in);
    }();
    return document;
}

const json& entry(const std::string& name) {
    for (const auto& table : reference()["tables"]) {
        if (table["name"] == name) return table;
    }
    throw std::runtime_error("no reference table " + name);
}

rwe::stats::ContingencyTable table_of(const json& table) {
    return rwe::stats::contingency_table(table["rows"].get<std::size_t>(),
                                         table["cols"].get<std::size_t>(),
                                         table["counts"].get<std::vector<double>>());
}

void fisher(benchmark::State& state, const std::string& name) {
    const auto& reference_table = entry(name);
    const auto table = table_of(reference_table);
    const double expected = reference_table["fisher"]["p"].get<double>();
    const auto check = rwe::stats::fisher_exact_test(table);
    if (!(std::abs(check.p - expected) <= 1e-7)) {
        state.SkipWithError(("p differs from R: " + std::to_string(check.p)).c_str());
        return;
    }
    for (auto _ : state) {
        auto result = rwe::stats::fisher_exact_test(table);
        benchmark::DoNotOptimize(result.p);
    }
    state.counters["p"] = check.p;
}

void chi_square(benchmark::State& state, const std::string& name) {
    const auto& reference_table = entry(name);
    const auto table = table_of(reference_table);
    const double expected = reference_table["chisq"]["p"].get<double>();
    const auto check = rwe::stats::chi_square_test(table, {.continuity_correction = false});
    if (!(std::abs(check.p - expected) <= 1e-9 * expected)) {
        state.SkipWithError("p differs from R");
        return;
    }
    for (auto _ : state) {
        auto result = rwe::stats::chi_square_test(table, {.continuity_correction = false});
        benchmark::DoNotOptimize(result.p);
    }
}

}  // namespace

BENCHMARK_CAPTURE(fisher, 2x2_n228, std::string("2x2 n=228"))->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(fisher, 2x4_n228, std::string("2x4 n=228"))->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(fisher, 3x3_n200, std::string("3x3 n=200"))->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(fisher, 4x3_n150, std::string("4x3 n=150"))->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(fisher, 3x5_n230, std::string("3x5 n=230"))->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(fisher, 4x4_n228, std::string("4x4 n=228"))->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(fisher, 5x2_n48, std::string("5x2 dose groups"))->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(chi_square, 3x3_n200, std::string("3x3 n=200"))->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
