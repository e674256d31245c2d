// Fine–Gray regression through the weighted, expanded data (docs/methods.md §7.3).
#include "rwe/stats/fine_gray.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "rwe/common/error.hpp"

namespace rwe::stats {

FineGray fine_gray(const CompetingRisksData& data, const std::vector<double>& x, const std::vector<std::string>& names,
                   const FineGrayOptions& options) {
    const std::size_t p = names.size();
    validate_fine_gray_input(data, x, p, options.cause);
    const auto cause = static_cast<std::int32_t>(options.cause);

    // Rows with every covariate present, in time order.
    std::vector<std::size_t> rows;
    for (std::size_t row = 0; row < data.size(); ++row) {
        bool complete = true;
        for (std::size_t k = 0; k < p; ++k) complete = complete && !std::isnan(x[row * p + k]);
        if (complete) rows.push_back(row);
    }
    const std::size_t dropped = data.size() - rows.size();
    std::stable_sort(rows.begin(), rows.end(), [&](std::size_t a, std::size_t b) { return data.time[a] < data.time[b]; });

    // Kaplan–Meier of censoring, events of any cause at a time counted before the
    // censorings at it: G(t) = prod_{c <= t} (1 - m_c / (n_c - d_c)), n_c at risk at c,
    // d_c events and m_c censorings at c. Kept at the censoring times, ascending.
    std::vector<double> censor_time, censor_surv;
    double g = 1;
    double last_event_time = -INFINITY;  // of the cause of interest: later intervals are not needed
    for (std::size_t first = 0; first < rows.size();) {
        const double t = data.time[rows[first]];
        std::size_t last = first;
        double events = 0, censored = 0;
        for (; last < rows.size() && data.time[rows[last]] == t; ++last) {
            const auto status = data.status[rows[last]];
            (status == 0 ? censored : events) += 1;
            if (status == cause) last_event_time = t;
        }
        const double at_risk = static_cast<double>(rows.size() - first);
        if (censored > 0) {
            g *= 1 - censored / (at_risk - events);
            censor_time.push_back(t);
            censor_surv.push_back(g);
        }
        first = last;
    }
    // G(t-): the product over censoring times strictly before t.
    auto g_before = [&](double t) {
        const auto k = std::lower_bound(censor_time.begin(), censor_time.end(), t) - censor_time.begin();
        return k == 0 ? 1.0 : censor_surv[static_cast<std::size_t>(k) - 1];
    };

    // The expanded data: one row (origin, T] per subject; a subject with a competing event
    // at T stays at risk after T, on (c_k, c_{k+1}] with weight G(c_k) / G(T-) (constant
    // between censoring times; an event at t in (c_k, c_{k+1}] sees G(t-) = G(c_k)), up to
    // the last event time of the cause. Intervals holding no event time of the cause are
    // left out: they change no risk set.
    const double origin = std::min(0.0, rows.empty() ? 0.0 : data.time[rows.front()]) - 1;
    std::vector<double> event_times;
    for (std::size_t row : rows) {
        if (data.status[row] == cause && (event_times.empty() || event_times.back() != data.time[row])) event_times.push_back(data.time[row]);
    }
    auto holds_event = [&](double from, double to) {  // an event time in (from, to]
        const auto it = std::upper_bound(event_times.begin(), event_times.end(), from);
        return it != event_times.end() && *it <= to;
    };
    CoxData cox;
    std::vector<double> covariates;
    std::vector<std::int32_t> subject;
    auto add = [&](std::size_t row, double start, double stop, double event, double weight) {
        cox.start.push_back(start);
        cox.stop.push_back(stop);
        cox.event.push_back(event);
        cox.weight.push_back(weight);
        subject.push_back(static_cast<std::int32_t>(row));
        for (std::size_t k = 0; k < p; ++k) covariates.push_back(x[row * p + k]);
    };
    for (std::size_t row : rows) {
        const double t = data.time[row];
        const auto status = data.status[row];
        if (status == 0 || status == cause) {
            add(row, origin, t, status == cause ? 1.0 : 0.0, 1.0);
            continue;
        }
        // Weight 1 up to the first censoring time at or after T.
        auto k = std::lower_bound(censor_time.begin(), censor_time.end(), t) - censor_time.begin();
        const double denominator = g_before(t);
        double stop = static_cast<std::size_t>(k) < censor_time.size() ? censor_time[static_cast<std::size_t>(k)] : last_event_time;
        stop = std::max(t, std::min(stop, std::max(t, last_event_time)));
        add(row, origin, stop, 0.0, 1.0);
        double start = stop;
        for (; static_cast<std::size_t>(k) < censor_time.size() && start < last_event_time; ++k) {
            if (censor_time[static_cast<std::size_t>(k)] < start) continue;
            const std::size_t next = static_cast<std::size_t>(k) + 1;
            const double end = std::min(next < censor_time.size() ? censor_time[next] : last_event_time, last_event_time);
            const double weight = censor_surv[static_cast<std::size_t>(k)] / denominator;
            if (end > start && weight > 0 && holds_event(start, end)) add(row, start, end, 0.0, weight);
            start = std::max(start, end);
        }
    }
    cox.x = std::move(covariates);
    cox.names = names;
    if (options.cluster_by_subject) cox.cluster = subject;
    CoxOptions cox_options;
    cox_options.ties = options.ties;
    cox_options.conf_level = options.conf_level;
    cox_options.time_fix = false;  // times were merged when the data were built
    FineGray result;
    result.cause = data.cause_names[options.cause - 1];
    result.expanded_rows = cox.stop.size();
    result.subjects = rows.size();
    result.dropped = dropped;
    result.fit = cox_regression(cox, cox_options);
    return result;
}

}  // namespace rwe::stats
