// Landmark analysis of administrations received, and the time-varying Cox model.
#include "rwe/study/analysis_kit.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include "rwe/common/error.hpp"
#include "rwe/study/analysis_options.hpp"
#include "rwe/study/published_comparison.hpp"
#include "rwe/stats/binomial_ci.hpp"
#include "rwe/stats/chi_square_test.hpp"
#include "rwe/stats/contingency_table.hpp"
#include "rwe/stats/cox_regression.hpp"
#include "rwe/stats/descriptive.hpp"
#include "rwe/stats/fisher_exact_test.hpp"
#include "rwe/stats/frequency_table.hpp"
#include "rwe/stats/kaplan_meier.hpp"
#include "rwe/stats/log_rank.hpp"
#include "rwe/stats/restricted_mean.hpp"
#include "rwe/stats/survival_at_times.hpp"
#include "rwe/stats/survival_quantiles.hpp"
#include "rwe/stats/test_choice.hpp"

namespace rwe::study::kit {

namespace {

// Cox model with "min_cycles received" as a time-varying covariate, in counting-process
// form: each patient is unexposed on (0, t_k] and exposed on (t_k, T], t_k the day of the
// k-th cycle (Mantel & Byar 1974; docs/methods.md §5). Uses every patient and all follow-up.
results::TimeDependentCox time_dependent_cycles_cox(const Context& c, const DayLists& cycle_days,
                               const TimeToEvent& endpoint, int min_cycles) {
    stats::CoxData cox;
    for (const auto& record : endpoint.records) {
        const auto days = cycle_days[record.subject];
        const double end = record.aval;
        const int event = record.cnsr == 0 ? 1 : 0;
        double switch_time = -1;
        if (static_cast<int>(days.size()) >= min_cycles) {
            switch_time = days[static_cast<std::size_t>(min_cycles - 1)] / c.protocol.days_per_unit;
        }
        if (switch_time > 0 && switch_time < end) {
            cox.start.insert(cox.start.end(), {0.0, switch_time});
            cox.stop.insert(cox.stop.end(), {switch_time, end});
            cox.event.insert(cox.event.end(), {0.0, static_cast<double>(event)});
            cox.x.insert(cox.x.end(), {0.0, 1.0});
        } else {
            // Never reached the k-th cycle before the end (or reached it on day 0).
            const bool exposed = switch_time == 0;
            if (end <= 0) continue;  // no time at risk: (0, 0] is empty
            cox.start.push_back(0.0);
            cox.stop.push_back(end);
            cox.event.push_back(event);
            cox.x.push_back(exposed ? 1.0 : 0.0);
        }
    }
    cox.names = {fmt::format(">= {} cycles received (time-varying)", min_cycles)};
    return {cox_fit_of(stats::cox_regression(cox, {.ties = ties_of(c.protocol.stats.ties)})),
            "Cox model with the cycles received as a time-varying covariate (counting process)"};
}

// (drugs: the administrations counted, read with the study data: StudyData::administration_days)
struct LandmarkOptions {
    std::vector<std::string> endpoints;
    std::vector<std::string> drugs;
    long min_count = 0;
    long landmark_days = 0;
    template <class V> void fields(V& v) {
        v("endpoints", endpoints);
        v("drugs", drugs);
        v("min_count", min_count);
        v("landmark_days", landmark_days);
    }
};

}  // namespace

results::LandmarkResult run_landmark(const Context& c, const Analysis& analysis) {
    const auto options = read_options<LandmarkOptions>(analysis);
    const int landmark = static_cast<int>(options.landmark_days);
    const int min_cycles = static_cast<int>(options.min_count);
    const auto& cycle_days = c.data.administration_days.at(analysis.id);
    const double landmark_time = landmark / c.protocol.days_per_unit;
    results::LandmarkResult out;
    out.landmark_days = landmark;
    out.landmark_time = landmark_time;
    out.min_cycles = min_cycles;
    out.explanation = fmt::format("Patients who die or progress early cannot receive many cycles, so comparing patients by the "
                          "number of cycles they eventually received credits the long-cycle group with survival time "
                          "during which it was guaranteed to be alive (immortal-time bias). Here groups are fixed at a "
                          "landmark, day {} after the index date, by the cycles received by then (>= {} or fewer), and "
                          "only patients still event-free at the landmark are compared, from the landmark onwards.",
                          landmark, min_cycles);
    Variable group;
    group.name = "LMGROUP";
    group.label = "cycles by the landmark";
    group.levels = {fmt::format(">={}", min_cycles), fmt::format("<{}", min_cycles)};
    group.values.assign(c.data.adsl.size(), "");
    for (std::size_t s = 0; s < c.data.adsl.size(); ++s) {
        const auto days = cycle_days[s];
        const auto received = std::count_if(days.begin(), days.end(), [&](int d) { return d <= landmark; });
        group.values.set(s, received >= min_cycles ? group.levels[0] : group.levels[1]);
    }
    for (const auto& paramcd : options.endpoints) {
        const auto& endpoint = c.data.endpoint(paramcd);
        // Event-free at the landmark; time measured from it.
        TimeToEvent shifted{endpoint.paramcd, endpoint.param, {}, endpoint.descriptions};
        std::size_t excluded = 0;
        for (auto record : endpoint.records) {
            if (record.aval <= landmark_time) {
                ++excluded;
                continue;
            }
            record.aval -= landmark_time;
            shifted.records.push_back(record);
        }
        const auto data = survival_data(shifted, &group);
        results::LandmarkEndpoint entry;
        entry.endpoint = paramcd;
        entry.at_risk_at_landmark = data.size();
        entry.excluded_before_landmark = excluded;
        auto medians = grouped_medians(data, c.protocol);
        entry.strata = std::move(medians.strata);
        if (medians.log_rank) {
            entry.log_rank = medians.log_rank;
            entry.cox = two_group_cox_fit(data, group.levels[0], group.levels[1], c.protocol);
        }
        entry.time_dependent_cox = time_dependent_cycles_cox(c, cycle_days, endpoint, min_cycles);
        out.results.push_back(std::move(entry));
    }
    return out;
}

}  // namespace rwe::study::kit
