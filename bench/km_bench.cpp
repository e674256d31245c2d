// Kaplan–Meier by group on the 1M-row golden set (parsing excluded): the curves, then the
// median with its CI, S(t) at the golden times and the RMST for each group, as R's
// survfit + print(rmean) + summary(times =) give them. The answer is checked against
// golden/ref/synthetic_1m.json before anything is timed; a wrong answer exits non-zero.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "rwe/common/table.hpp"
#include "rwe/stats/kaplan_meier.hpp"
#include "rwe/stats/restricted_mean.hpp"
#include "rwe/stats/survival_at_times.hpp"
#include "rwe/stats/survival_quantiles.hpp"

namespace {

namespace stats = rwe::stats;
using nlohmann::json;
const std::string golden = std::string(RWE_SHARED_DIR) + "/golden";

const json& reference() {
    static const json ref = [] {
        std::ifstream in(golden + "/ref/synthetic_1m.json");
        return json::parse(in).at("endpoints").at("os");
    }();
    return ref;
}

stats::SurvivalData load(std::size_t copies) {
    const rwe::Table table =
        rwe::read_table(golden + "/data/synthetic_1m.csv.gz",
                        {{"time"}, {"status"}, {"group", rwe::ColumnRequest::Kind::categorical}});
    const auto& time = table.numbers("time");
    const auto& status = table.numbers("status");
    const auto& group = table.category("group");
    stats::SurvivalData data;
    data.group_names = group.levels;
    data.time.reserve(copies * table.rows);
    data.event.reserve(copies * table.rows);
    data.group.reserve(copies * table.rows);
    for (std::size_t copy = 0; copy < copies; ++copy) {
        for (std::size_t row = 0; row < table.rows; ++row) {
            data.time.push_back(time[row]);
            data.event.push_back(static_cast<std::uint8_t>(status[row] == 1));
            data.group.push_back(group.codes[row]);
        }
    }
    return data;
}

const stats::SurvivalData& data_1m() {
    static const stats::SurvivalData data = load(1);
    return data;
}
const stats::SurvivalData& data_10m() {
    static const stats::SurvivalData data = load(10);
    return data;
}

struct Summary {
    std::vector<stats::SurvivalQuantile> medians;
    std::vector<stats::SurvivalAtTimes> at_times;
    std::vector<stats::RestrictedMean> rmst;
};

// The whole KM analysis by group: curves, medians, S(t), RMST.
Summary analyse(const stats::SurvivalData& data, const std::vector<double>& times, double tau) {
    const stats::KaplanMeier km = stats::kaplan_meier(data);
    Summary out;
    for (const auto& curve : km.curves) {
        out.medians.push_back(stats::median_survival(curve));
        out.at_times.push_back(stats::survival_at_times(curve, times));
        out.rmst.push_back(stats::restricted_mean(curve, tau));
    }
    return out;
}

void fail_if(bool bad, const char* what, double got, double want) {
    if (!bad) return;
    std::fprintf(stderr, "km_bench: %s = %.17g, R %.17g\n", what, got, want);
    std::exit(1);
}

// Medians and their log CIs, S(t) and RMST of every group against R (1e-9 relative).
// Repeating the rows c times leaves S, the median and the RMST unchanged (not the CIs,
// which are compared for the 1M set only).
void check(const Summary& got, std::size_t copies) {
    const auto& groups = reference().at("km").at("by_group");
    fail_if(got.medians.size() != groups.size(), "groups", static_cast<double>(got.medians.size()),
            static_cast<double>(groups.size()));
    auto close = [](double a, double b) { return std::fabs(a - b) <= 1e-9 * std::fabs(b); };
    for (std::size_t g = 0; g < groups.size(); ++g) {
        const auto& ref = groups[g];
        const auto& median = ref.at("median");
        fail_if(got.medians[g].estimate != median.at("estimate").get<double>(), "median",
                got.medians[g].estimate, median.at("estimate").get<double>());
        const auto& surv = ref.at("at_times").at("surv");
        for (std::size_t k = 0; k < surv.size(); ++k) {
            const double want = surv[k].get<double>();
            fail_if(!close(got.at_times[g].rows.at(k).surv, want), "S(t)",
                    got.at_times[g].rows[k].surv, want);
        }
        const double rmean = ref.at("rmst").at("rmean").get<double>();
        fail_if(!close(got.rmst[g].rmean, rmean), "rmst", got.rmst[g].rmean, rmean);
        if (copies != 1) continue;
        fail_if(got.medians[g].lower != median.at("ci").at("log").at("lower").get<double>(),
                "median lower", got.medians[g].lower,
                median.at("ci").at("log").at("lower").get<double>());
        fail_if(got.medians[g].upper != median.at("ci").at("log").at("upper").get<double>(),
                "median upper", got.medians[g].upper,
                median.at("ci").at("log").at("upper").get<double>());
        const double se = ref.at("rmst").at("se").get<double>();
        fail_if(!close(got.rmst[g].se, se), "rmst se", got.rmst[g].se, se);
    }
}

void km_by_group(benchmark::State& state, const stats::SurvivalData& data, std::size_t copies) {
    const auto times = reference().at("times").get<std::vector<double>>();
    const double tau = reference().at("tau").get<double>();
    check(analyse(data, times, tau), copies);
    for (auto _ : state) {
        Summary summary = analyse(data, times, tau);
        benchmark::DoNotOptimize(summary);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(data.size()));
}

void BM_KaplanMeierByGroup_1M(benchmark::State& state) {
    km_by_group(state, data_1m(), 1);
}
void BM_KaplanMeierByGroup_10M(benchmark::State& state) {
    km_by_group(state, data_10m(), 10);
}

// Reverse KM (median follow-up) by group, checked against R's reverse-KM medians.
void BM_ReverseKaplanMeierByGroup_1M(benchmark::State& state) {
    const auto& data = data_1m();
    const stats::KaplanMeierOptions options{stats::ConfType::log, 0.95, true};
    const auto& groups = reference().at("reverse_km").at("by_group");
    const auto km = stats::kaplan_meier(data, options);
    for (std::size_t g = 0; g < groups.size(); ++g) {
        const double want = groups[g].at("median").at("estimate").get<double>();
        fail_if(stats::median_survival(km.curves.at(g)).estimate != want, "reverse median",
                stats::median_survival(km.curves[g]).estimate, want);
    }
    for (auto _ : state) benchmark::DoNotOptimize(stats::kaplan_meier(data, options));
}

// Non-integer times (every time + 0.5) take the sorting path instead of the counting pass;
// S at the shifted times is unchanged.
void BM_KaplanMeierByGroupSorting_1M(benchmark::State& state) {
    static const stats::SurvivalData shifted = [] {
        stats::SurvivalData copy = data_1m();
        for (double& t : copy.time) t += 0.5;
        return copy;
    }();
    const auto& groups = reference().at("km").at("by_group");
    const auto km = stats::kaplan_meier(shifted);
    for (std::size_t g = 0; g < groups.size(); ++g) {
        const double want = groups[g].at("median").at("estimate").get<double>() + 0.5;
        fail_if(stats::median_survival(km.curves.at(g)).estimate != want, "median (sorting path)",
                stats::median_survival(km.curves[g]).estimate, want);
    }
    for (auto _ : state) benchmark::DoNotOptimize(stats::kaplan_meier(shifted));
}

}  // namespace

BENCHMARK(BM_KaplanMeierByGroup_1M)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_KaplanMeierByGroup_10M)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_ReverseKaplanMeierByGroup_1M)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_KaplanMeierByGroupSorting_1M)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
