// Cumulative incidence of an endpoint's event with its other events competing (Aalen–Johansen,
// overall or by group), with Gray's test between groups (docs/methods.md §7).
#include "rwe/study/analysis_kit.hpp"

#include <algorithm>

#include "rwe/common/error.hpp"
#include "rwe/stats/competing_risks_data.hpp"
#include "rwe/stats/cumulative_incidence.hpp"
#include "rwe/stats/fine_gray_crr.hpp"
#include "rwe/stats/gray_test.hpp"
#include "rwe/stats/time_fix.hpp"

namespace rwe::study::kit {

namespace {

// The endpoint's records as competing-risks data: cause 1 the event of interest, causes
// 2.. the competing events in the order listed (`events` of the endpoint by index).
stats::CompetingRisksData competing_risks_data(const TimeToEvent& endpoint, const std::vector<int>& event_of_cause,
                                               const std::vector<std::string>& cause_names, const Variable* group,
                                               const Variable* stratum, std::vector<std::size_t>& subjects) {
    stats::CompetingRisksData out;
    out.cause_names = cause_names;
    std::vector<std::int32_t> group_level, stratum_level;
    if (group != nullptr) group_level = group->values.level_index(group->levels);
    if (stratum != nullptr) stratum_level = stratum->values.level_index(stratum->levels);
    std::vector<std::int32_t> groups, strata;
    for (const auto& record : endpoint.records) {
        const std::int32_t group_code = group != nullptr ? group_level[group->values.code(record.subject)] : 0;
        const std::int32_t stratum_code = stratum != nullptr ? stratum_level[stratum->values.code(record.subject)] : 0;
        if (group_code < 0 || stratum_code < 0) {
            ++out.dropped;
            continue;
        }
        std::int32_t status = 0;
        if (record.cnsr == 0) {
            const auto found = std::find(event_of_cause.begin(), event_of_cause.end(), record.cause);
            if (found == event_of_cause.end()) throw Error(ErrorKind::internal, "cuminc: an event neither of interest nor competing");
            status = static_cast<std::int32_t>(found - event_of_cause.begin()) + 1;
        }
        out.time.push_back(record.aval);
        out.status.push_back(status);
        subjects.push_back(record.subject);
        groups.push_back(group_code);
        strata.push_back(stratum_code);
    }
    if (group != nullptr) {
        out.group = std::move(groups);
        out.group_names = group->levels;
    }
    if (stratum != nullptr) {
        out.stratum = std::move(strata);
        out.stratum_names = stratum->levels;
    }
    stats::merge_near_equal_times(out.time);
    return out;
}

struct CumincOptions {
    std::string endpoint;
    std::string event;                                 // the event of interest
    std::optional<std::vector<std::string>> competing;  // every other event of the endpoint when absent
    std::optional<std::string> by;
    std::optional<std::string> strata;
    std::vector<double> times;
    double rho = 0;  // Gray's test weight
    std::optional<std::vector<std::string>> covariates;  // the Fine–Gray and cause-specific models
    template <class V> void fields(V& v) {
        v("endpoint", endpoint);
        v("event", event);
        v("competing", competing);
        v("by", by);
        v("strata", strata);
        v("times", times);
        v("rho", rho);
        v("covariates", covariates);
    }
};

}  // namespace

results::CumincResult run_cuminc(const Context& c, const Analysis& analysis) {
    const auto options_read = read_options<CumincOptions>(analysis);
    const std::string& paramcd = options_read.endpoint;
    const auto& endpoint = c.data.endpoint(paramcd);
    const EndpointDefinition* definition = c.protocol.endpoint(paramcd);
    if (definition == nullptr) throw Error(ErrorKind::internal, "cuminc: endpoint without a definition: " + paramcd);
    const Variable* group = optional_categorical(c, analysis, "by", options_read.by);
    const Variable* stratum = optional_categorical(c, analysis, "strata", options_read.strata);

    // Cause 1 is the event of interest; then the competing events (default: every other
    // event of the endpoint, in its order). The protocol check made every name an event.
    const int event = endpoint_event_index(*definition, options_read.event);
    std::vector<int> event_of_cause{event};
    if (options_read.competing) {
        for (const auto& name : *options_read.competing) event_of_cause.push_back(endpoint_event_index(*definition, name));
    } else {
        for (int index = 0; index < static_cast<int>(definition->events.size()); ++index) {
            if (index != event) event_of_cause.push_back(index);
        }
    }
    std::vector<std::string> cause_names;
    for (int index : event_of_cause) cause_names.push_back(definition->events[static_cast<std::size_t>(index)]);
    const std::vector<double>& times = options_read.times;
    const double rho = options_read.rho;

    std::vector<std::size_t> subjects;
    const auto data = competing_risks_data(endpoint, event_of_cause, cause_names, group, stratum, subjects);
    results::CumincResult out;
    out.endpoint = endpoint.paramcd;
    out.description = endpoint.param;
    out.time_unit = c.protocol.time_unit;
    out.event = cause_names.front();
    out.competing.assign(cause_names.begin() + 1, cause_names.end());
    out.causes = cause_names;
    out.conf_type = "log";
    out.conf_level = 0.95;
    out.dropped = data.dropped;
    if (group != nullptr) {
        out.by = group->name;
        out.by_label = group->label;
    }
    if (stratum != nullptr) out.strata = stratum->name;
    const auto fit = stats::cumulative_incidence(data);
    for (const auto& curve : fit.curves) {
        results::CumincCurve entry;
        entry.name = curve.name;
        entry.n = curve.n;
        for (std::size_t cause = 0; cause < cause_names.size(); ++cause) {
            results::CumincCause summary;
            summary.cause = cause_names[cause];
            summary.events = curve.events[cause];
            for (double t : times) {
                const auto value = stats::incidence_at(curve, cause, t);
                summary.at_times.push_back({t, value.n_risk, value.incidence, value.std_err, value.lower, value.upper});
            }
            summary.final = curve.rows() ? results::Number(curve.incidence[cause].back()) : results::Number(0.0);
            // The curve itself, for figures: steps, censoring marks and bands.
            for (std::size_t row = 0; row < curve.rows(); ++row) {
                summary.curve.rows->push_back({curve.time[row], curve.n_risk[row], curve.n_event[cause][row], curve.n_censor[row],
                                               curve.incidence[cause][row], curve.std_err[cause][row], curve.lower[cause][row],
                                               curve.upper[cause][row]});
            }
            entry.causes.push_back(std::move(summary));
        }
        if (group != nullptr) {
            // The protocol's value label, for the legend and the table.
            if (const auto label = group->value_labels.find(curve.name); label != group->value_labels.end()) entry.label = label->second;
        }
        out.curves.push_back(std::move(entry));
    }
    if (group != nullptr && fit.curves.size() >= 2) {
        stats::GrayTestOptions options;
        options.rho = rho;
        out.gray_test.emplace();
        for (const auto& test : stats::gray_test(data, options)) {
            out.gray_test->push_back({test.cause, test.statistic, test.df, test.p, rho, test.messages});
        }
    } else if (group != nullptr) {
        c.warn(analysis, "by", "fewer than two groups with patients: no Gray's test", group->name);
    }
    if (options_read.covariates && data.size() > 0) {
        // Fine–Gray regression of the event of interest (cmprsk::crr's estimator and variance,
        // docs/methods.md §7.4); categorical covariates as contrasts against their first level.
        const auto& covariates = *options_read.covariates;
        std::vector<double> x;
        std::vector<std::string> names, terms;
        const auto labels = covariate_columns(c.data, covariates, subjects, x, names, terms);
        results::FineGrayModel model;
        model.method = "crr";
        model.cause = cause_names.front();
        model.covariates = covariates;
        if (names.empty()) {
            model.messages = {"no covariate column: every categorical covariate has one level"};
        } else {
            const auto model_fit = stats::fine_gray_crr(data, x, names, {});
            model.coefficients.emplace();
            for (std::size_t k = 0; k < model_fit.names.size(); ++k) {
                model.coefficients->push_back(coefficient_of(model_fit, k));
                model.coefficients->back().label = labels[k];
            }
            model.n = model_fit.n;
            model.dropped = model_fit.dropped;
            model.events = model_fit.events;
            model.converged = model_fit.converged;
            model.loglik = std::vector<results::Number>{model_fit.loglik_null, model_fit.loglik};
            model.messages = model_fit.messages;
        }
        out.fine_gray = std::move(model);
        // Cause-specific Cox models: for each cause, its hazard with the other causes'
        // events censored (R: coxph(Surv(time, status == k) ~ covariates)), the protocol's ties.
        if (!names.empty()) {
            out.cause_specific.emplace();
            stats::CoxOptions options;
            options.ties = ties_of(c.protocol.stats.ties);
            for (std::size_t cause = 1; cause <= cause_names.size(); ++cause) {
                stats::CoxData cox;
                cox.stop = data.time;
                for (auto status : data.status) cox.event.push_back(status == static_cast<std::int32_t>(cause) ? 1.0 : 0.0);
                cox.x = x;
                cox.names = names;
                cox.terms = terms;
                results::CauseSpecificCox cause_model{cox_fit_of(stats::cox_regression(cox, options)), cause_names[cause - 1]};
                for (std::size_t k = 0; k < labels.size() && k < cause_model.fit.coefficients.size(); ++k) cause_model.fit.coefficients[k].label = labels[k];
                out.cause_specific->push_back(std::move(cause_model));
            }
        }
    }
    return out;
}

}  // namespace rwe::study::kit
