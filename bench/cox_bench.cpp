// Cox regression fit time (docs/methods.md §4): synthetic_1m (4 covariates, heavy ties) with
// Efron and Breslow, as R's coxph is timed in ../shared/golden/ref/synthetic_1m_timings.json,
// and a simulated 10 million rows x 5 covariates. Each run checks its answer.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <stdexcept>

#include "rwe/common/table.hpp"
#include "rwe/stats/cox_regression.hpp"

namespace {

const rwe::stats::CoxData& synthetic_1m() {
    static const rwe::stats::CoxData data = [] {
        const std::vector<std::string> names{"x1", "x2", "group_2", "group_3"};
        std::vector<rwe::ColumnRequest> requests{{"time"}, {"status"}};
        for (const auto& n : names) requests.push_back({n});
        const auto table =
            rwe::read_table(std::string(RWE_SHARED_DIR) + "/golden/data/synthetic_1m.csv.gz", requests);
        rwe::stats::CoxData d;
        d.stop = table.numbers("time");
        d.event = table.numbers("status");
        d.names = names;
        d.x.resize(table.rows * names.size());
        for (std::size_t k = 0; k < names.size(); ++k) {
            const auto& column = table.numbers(names[k]);
            for (std::size_t row = 0; row < table.rows; ++row) d.x[row * names.size() + k] = column[row];
        }
        return d;
    }();
    return data;
}

// 10M rows, 5 covariates, exponential event times in whole days (ties), ~30% censored.
const rwe::stats::CoxData& simulated_10m() {
    static const rwe::stats::CoxData data = [] {
        const std::size_t n = 10'000'000, p = 5;
        const double beta[p] = {0.5, -0.4, 0.3, 0.2, -0.1};
        std::mt19937_64 rng(20241124);
        std::normal_distribution<double> normal;
        std::bernoulli_distribution coin(0.4);
        std::exponential_distribution<double> unit;
        rwe::stats::CoxData d;
        d.names = {"a", "b", "c", "d", "e"};
        d.stop.resize(n);
        d.event.resize(n);
        d.x.resize(n * p);
        for (std::size_t i = 0; i < n; ++i) {
            double eta = 0;
            for (std::size_t k = 0; k < p; ++k) {
                const double v = k % 2 == 0 ? std::round(normal(rng) * 1000) / 1000 : (coin(rng) ? 1.0 : 0.0);
                d.x[i * p + k] = v;
                eta += beta[k] * v;
            }
            const double t = unit(rng) / (std::log(2.0) / 365 * std::exp(eta));
            const double c = unit(rng) / 8.5e-4;
            d.stop[i] = std::ceil(std::min(t, c));
            d.event[i] = t <= c ? 1 : 0;
        }
        return d;
    }();
    return data;
}

void fit(benchmark::State& state, const rwe::stats::CoxData& data, rwe::stats::CoxTies ties,
         const std::vector<double>& truth, double tolerance, bool concordance = true) {
    rwe::stats::CoxOptions options;
    options.ties = ties;
    options.concordance = concordance;
    options.variance = rwe::stats::CoxVariance::model;  // R's coxph default: no sandwich; concordance is computed, as R does
    for (auto _ : state) {
        const auto result = rwe::stats::cox_regression(data, options);
        benchmark::DoNotOptimize(result.coef.data());
        for (std::size_t k = 0; k < truth.size(); ++k) {
            if (!(std::fabs(result.coef[k] - truth[k]) <= tolerance)) {
                state.SkipWithError("coefficient off the reference");
                return;
            }
        }
    }
    state.counters["rows"] = static_cast<double>(data.stop.size());
}

// R coxph on synthetic_1m (../shared/golden/ref/synthetic_1m.json), to 1e-6.
const std::vector<double> r_efron{0.49783868296627865, -0.40021649251319835, 0.2944169805086782, 0.6988139714685393};
const std::vector<double> r_breslow{0.4971340840227325, -0.3996794379976655, 0.2940634995433875, 0.69779739546437};

void BM_CoxEfron1M(benchmark::State& state) { fit(state, synthetic_1m(), rwe::stats::CoxTies::efron, r_efron, 1e-6); }
void BM_CoxBreslow1M(benchmark::State& state) {
    fit(state, synthetic_1m(), rwe::stats::CoxTies::breslow, r_breslow, 1e-6);
}
// The simulated truth; 10M rows estimate it to about 1e-3.
void BM_CoxEfron10Mx5(benchmark::State& state) {
    fit(state, simulated_10m(), rwe::stats::CoxTies::efron, {0.5, -0.4, 0.3, 0.2, -0.1}, 5e-3);
}

// The same without the concordance (O(n log n) with cache misses once n is large).
void BM_CoxEfron10Mx5NoConcordance(benchmark::State& state) {
    fit(state, simulated_10m(), rwe::stats::CoxTies::efron, {0.5, -0.4, 0.3, 0.2, -0.1}, 5e-3, false);
}

}  // namespace

// CPU time is the whole process's (the fit uses a second thread for large inputs).
BENCHMARK(BM_CoxEfron1M)->Unit(benchmark::kMillisecond)->MinTime(2)->MeasureProcessCPUTime()->UseRealTime();
BENCHMARK(BM_CoxBreslow1M)->Unit(benchmark::kMillisecond)->MinTime(2)->MeasureProcessCPUTime()->UseRealTime();
BENCHMARK(BM_CoxEfron10Mx5)->Unit(benchmark::kMillisecond)->Iterations(2)->MeasureProcessCPUTime()->UseRealTime();
BENCHMARK(BM_CoxEfron10Mx5NoConcordance)->Unit(benchmark::kMillisecond)->Iterations(2)->MeasureProcessCPUTime()->UseRealTime();
BENCHMARK_MAIN();
