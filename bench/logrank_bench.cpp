// Kaplan–Meier + log-rank by group on the 1M-row golden set (and on 10M rows made by
// repeating it 10 times), parsing excluded: the computation R's survfit + survdiff do.
// Each benchmark checks its answer against R's golden chi-square before it is timed.
// bench/compare_km_logrank.sh runs this beside R and prints the ratios.
#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "rwe/common/table.hpp"
#include "rwe/stats/kaplan_meier.hpp"
#include "rwe/stats/log_rank.hpp"

namespace {

namespace stats = rwe::stats;
const std::string golden = std::string(RWE_SHARED_DIR) + "/golden";

stats::SurvivalData load_synthetic(std::size_t copies, bool stratified) {
    const rwe::Table table = rwe::read_table(
        golden + "/data/synthetic_1m.csv.gz",
        {{"time"}, {"status"}, {"group", rwe::ColumnRequest::Kind::categorical},
         {"x2", rwe::ColumnRequest::Kind::categorical}});
    stats::SurvivalData data;
    const auto& time = table.numbers("time");
    const auto& status = table.numbers("status");
    const auto& group = table.category("group");
    const auto& x2 = table.category("x2");
    data.group_names = group.levels;
    if (stratified) data.stratum_names = x2.levels;
    for (std::size_t copy = 0; copy < copies; ++copy) {
        for (std::size_t row = 0; row < table.rows; ++row) {
            data.time.push_back(time[row]);
            data.event.push_back(static_cast<std::uint8_t>(status[row] == 1));
            data.group.push_back(group.codes[row]);
            if (stratified) data.stratum.push_back(x2.codes[row]);
        }
    }
    return data;
}

const stats::SurvivalData& data_1m() {
    static const stats::SurvivalData data = load_synthetic(1, false);
    return data;
}
const stats::SurvivalData& data_1m_strata() {
    static const stats::SurvivalData data = load_synthetic(1, true);
    return data;
}
const stats::SurvivalData& data_10m() {
    static const stats::SurvivalData data = load_synthetic(10, false);
    return data;
}

// R's answer (golden/ref/synthetic_1m.json); the benchmark refuses to time a wrong result.
void check(const stats::LogRank& result, const char* key, double copies) {
    static const nlohmann::json ref = [] {
        std::ifstream in(golden + "/ref/synthetic_1m.json");
        return nlohmann::json::parse(in);
    }();
    const auto& lr = ref.at("endpoints").at("os").at("logrank").at(key);
    // Repeating every row c times multiplies O, E and V by c (approximately, for V), so only
    // the 1M set is compared exactly; the 10M set must give c times the expected counts.
    const double want = lr.at("expected")[0].get<double>() * copies;
    const double got = result.groups[0].expected;
    const double chisq_want = lr.at("chisq").get<double>();
    if (std::abs(got - want) > 1e-9 * std::abs(want) ||
        (copies == 1 && std::abs(result.chisq - chisq_want) > 1e-9 * chisq_want)) {
        std::fprintf(stderr, "log-rank %s: expected %.17g (R %.17g), chisq %.17g (R %.17g)\n", key, got,
                     want, result.chisq, chisq_want);
        std::exit(1);
    }
}

void km_and_log_rank(benchmark::State& state, const stats::SurvivalData& data, double copies) {
    check(stats::log_rank_test(data), data.stratum.empty() ? "rho0" : "stratified_rho0", copies);
    for (auto _ : state) {
        stats::KaplanMeier km = stats::kaplan_meier(data);
        stats::LogRank lr = stats::log_rank_test(data);
        benchmark::DoNotOptimize(km);
        benchmark::DoNotOptimize(lr);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(data.size()));
}

void BM_KmLogRank_1M(benchmark::State& state) { km_and_log_rank(state, data_1m(), 1); }
void BM_KmLogRank_10M(benchmark::State& state) { km_and_log_rank(state, data_10m(), 10); }

void BM_LogRank_1M(benchmark::State& state) {
    const auto& data = data_1m();
    check(stats::log_rank_test(data), "rho0", 1);
    for (auto _ : state) benchmark::DoNotOptimize(stats::log_rank_test(data));
}

void BM_PetoPeto_1M(benchmark::State& state) {
    const auto& data = data_1m();
    const stats::LogRankOptions options{stats::LogRankWeight::peto_peto};
    check(stats::log_rank_test(data, options), "rho1", 1);
    for (auto _ : state) benchmark::DoNotOptimize(stats::log_rank_test(data, options));
}

void BM_LogRankStratified_1M(benchmark::State& state) {
    const auto& data = data_1m_strata();
    check(stats::log_rank_test(data), "stratified_rho0", 1);
    for (auto _ : state) benchmark::DoNotOptimize(stats::log_rank_test(data));
}

void BM_KaplanMeier_1M(benchmark::State& state) {
    const auto& data = data_1m();
    for (auto _ : state) benchmark::DoNotOptimize(stats::kaplan_meier(data));
}

// Non-integer times (every time + 0.5) take the sorting path instead of the counting pass.
void BM_LogRankSorting_1M(benchmark::State& state) {
    static const stats::SurvivalData shifted = [] {
        stats::SurvivalData copy = data_1m();
        for (double& t : copy.time) t += 0.5;
        return copy;
    }();
    check(stats::log_rank_test(shifted), "rho0", 1);
    for (auto _ : state) benchmark::DoNotOptimize(stats::log_rank_test(shifted));
}

}  // namespace

BENCHMARK(BM_KmLogRank_1M)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_KmLogRank_10M)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_LogRank_1M)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PetoPeto_1M)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LogRankStratified_1M)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_KaplanMeier_1M)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LogRankSorting_1M)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
