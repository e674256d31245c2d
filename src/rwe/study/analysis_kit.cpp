#include "rwe/study/analysis_kit.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include "rwe/common/error.hpp"
#include "rwe/common/text.hpp"
#include "rwe/study/analysis_options.hpp"
#include "rwe/study/published_comparison.hpp"
#include "rwe/stats/binomial_ci.hpp"
#include "rwe/stats/chi_square_test.hpp"
#include "rwe/stats/contingency_table.hpp"
#include "rwe/stats/cox_regression.hpp"
#include "rwe/stats/e_value.hpp"
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

// Survival data for an endpoint, optionally grouped and stratified by ADSL variables and
// restricted to a subset of subjects; subjects with a missing group or stratum value are
// dropped and counted.
stats::SurvivalData survival_data(const TimeToEvent& endpoint, const Variable* group, const Mask& mask,
                                  const Variable* stratum) {
    stats::SurvivalData out;
    std::vector<std::int32_t> group_codes, stratum_codes;
    if (group != nullptr) out.group_names = group->levels;
    if (stratum != nullptr) out.stratum_names = stratum->levels;
    std::vector<std::int32_t> group_level, stratum_level;
    if (group != nullptr) group_level = group->values.level_index(group->levels);
    if (stratum != nullptr) stratum_level = stratum->values.level_index(stratum->levels);
    // The rows in time order: the estimators sort their rows by time through an index, which
    // at a million rows costs a cache miss a comparison unless the rows are nearly in order.
    std::vector<std::pair<double, std::uint32_t>> by_time;
    by_time.reserve(endpoint.records.size());
    for (std::size_t k = 0; k < endpoint.records.size(); ++k) {
        const auto& record = endpoint.records[k];
        if (mask.empty() || mask[record.subject]) by_time.emplace_back(record.aval, static_cast<std::uint32_t>(k));
    }
    std::sort(by_time.begin(), by_time.end());
    for (const auto& [aval, k] : by_time) {
        const auto& record = endpoint.records[k];
        const std::int32_t group_code = group != nullptr ? group_level[group->values.code(record.subject)] : 0;
        const std::int32_t stratum_code = stratum != nullptr ? stratum_level[stratum->values.code(record.subject)] : 0;
        if (group_code < 0 || stratum_code < 0) {
            ++out.dropped;
            continue;
        }
        out.time.push_back(record.aval);
        out.event.push_back(record.cnsr == 0 ? 1 : 0);
        group_codes.push_back(group_code);
        stratum_codes.push_back(stratum_code);
    }
    if (group != nullptr) out.group = std::move(group_codes);
    if (stratum != nullptr) out.stratum = std::move(stratum_codes);
    stats::merge_survival_times(out);
    return out;
}

std::size_t EndpointCounts::rows() const {
    std::size_t n = 0;
    for (std::size_t rows : counts.cell_rows) n += rows;
    return n;
}

stats::SurvivalCounts EndpointCounts::pooled() const {
    const std::size_t groups = std::max<std::size_t>(group_names.size(), 1);
    const std::size_t strata = std::max<std::size_t>(stratum_names.size(), 1);
    if (strata == 1) return counts;
    stats::SurvivalCounts out;
    out.cells = groups;
    out.time = counts.time;
    out.n_event.assign(out.time.size() * groups, 0.0);
    out.n_censor.assign(out.time.size() * groups, 0.0);
    out.n_rows.assign(out.time.size() * groups, 0);
    out.cell_rows.assign(groups, 0);
    out.cell_events.assign(groups, 0.0);
    for (std::size_t i = 0; i < out.time.size(); ++i) {
        for (std::size_t s = 0; s < strata; ++s) {
            for (std::size_t g = 0; g < groups; ++g) {
                const std::size_t from = counts.at(i, s * groups + g), to = out.at(i, g);
                out.n_event[to] += counts.n_event[from];
                out.n_censor[to] += counts.n_censor[from];
                out.n_rows[to] += counts.n_rows[from];
            }
        }
    }
    for (std::size_t s = 0; s < strata; ++s) {
        for (std::size_t g = 0; g < groups; ++g) {
            out.cell_rows[g] += counts.cell_rows[s * groups + g];
            out.cell_events[g] += counts.cell_events[s * groups + g];
        }
    }
    return out;
}

namespace {

const std::vector<StoreCounts::Tally>& store_tallies(const Context& c, const TimeToEvent& endpoint, const Variable* group,
                                                      const Variable* stratum) {
    const auto found = c.counted->tallies.find(
        StoreCounts::tally_key(endpoint.paramcd, group ? group->name : "", stratum ? stratum->name : ""));
    if (found == c.counted->tallies.end()) {
        throw Error(ErrorKind::internal, "the store did not count " + endpoint.paramcd + (group ? " by " + group->name : std::string()));
    }
    return found->second;
}

}  // namespace

std::int32_t store_level(const Context& c, const Variable& variable, const std::optional<std::string>& value) {
    if (!value || value->empty()) return -1;
    const auto* definition = c.protocol.variable(variable.name);
    const std::string spelled = definition != nullptr ? declared_spelling(*value, definition->levels) : *value;
    const auto at = std::find(variable.levels.begin(), variable.levels.end(), spelled);
    if (at == variable.levels.end()) {
        throw Error(ErrorKind::internal, "the store counted a value of " + variable.name + " that is not one of its levels");
    }
    return static_cast<std::int32_t>(at - variable.levels.begin());
}

EndpointCounts endpoint_counts(const Context& c, const TimeToEvent& endpoint, const Variable* group, const Variable* stratum,
                               bool reverse) {
    EndpointCounts out;
    if (group != nullptr) out.group_names = group->levels;
    if (stratum != nullptr) out.stratum_names = stratum->levels;
    const std::size_t groups = std::max<std::size_t>(out.group_names.size(), 1);
    const std::size_t cells = groups * std::max<std::size_t>(out.stratum_names.size(), 1);
    if (c.counted == nullptr) {
        const auto data = survival_data(endpoint, group, {}, stratum);
        out.dropped = data.dropped;
        std::vector<std::int32_t> cell_of_row;
        if (!data.stratum.empty()) {
            cell_of_row.resize(data.size());
            for (std::size_t row = 0; row < data.size(); ++row) {
                cell_of_row[row] = data.stratum[row] * static_cast<std::int32_t>(groups) + (data.group.empty() ? 0 : data.group[row]);
            }
        } else {
            cell_of_row = data.group;
        }
        out.counts = stats::count_survival(data, cell_of_row, cells, reverse);
        return out;
    }
    std::vector<stats::SurvivalTally> tallies;
    for (const auto& tally : store_tallies(c, endpoint, group, stratum)) {
        const std::int32_t g = group != nullptr ? store_level(c, *group, tally.group) : 0;
        const std::int32_t s = stratum != nullptr ? store_level(c, *stratum, tally.stratum) : 0;
        if (g < 0 || s < 0) {
            out.dropped += tally.records;
            continue;
        }
        tallies.push_back({static_cast<std::size_t>(s) * groups + static_cast<std::size_t>(g),
                           static_cast<double>(tally.days) / c.protocol.days_per_unit, tally.records, tally.event ? tally.records : 0});
    }
    out.counts = stats::survival_counts_from_tallies(std::move(tallies), cells, reverse);
    return out;
}

std::vector<double> endpoint_times(const Context& c, const TimeToEvent& endpoint) {
    std::vector<double> times;
    if (c.counted == nullptr) {
        times.reserve(endpoint.records.size());
        for (const auto& record : endpoint.records) times.push_back(record.aval);
        return times;
    }
    for (const auto& tally : store_tallies(c, endpoint, nullptr, nullptr)) {
        times.insert(times.end(), tally.records, static_cast<double>(tally.days) / c.protocol.days_per_unit);
    }
    return times;
}

stats::ConfType conf_type_of(const std::string& name) {
    auto type = stats::conf_type_from_name(name);
    if (!type) throw UsageError("unknown conf_type '" + name + "'");
    return *type;
}

// Per group: n, events and the median with its CI; and the log-rank test when there are
// two groups or more.
GroupedMedians grouped_medians(const stats::SurvivalData& data, const Protocol& protocol) {
    GroupedMedians out;
    if (data.size() == 0) return out;
    const auto km = stats::kaplan_meier(data, {.conf_type = conf_type_of(protocol.stats.conf_type)});
    for (const auto& curve : km.curves) {
        const auto median = stats::median_survival(curve);
        out.strata.push_back({curve.name, curve.n, curve.events, median.estimate, median.lower, median.upper});
    }
    if (km.curves.size() > 1) {
        const auto test = stats::log_rank_test(data);
        out.log_rank = results::ChiSquareTest{test.chisq, static_cast<long>(test.df), test.p};
    }
    return out;
}

results::CurveSummary curve_summary_of(const stats::KaplanMeierCurve& curve, const std::vector<double>& times) {
    const auto median = stats::median_survival(curve);
    const auto spss = stats::spss_median(curve);
    results::CurveSummary out;
    out.name = curve.name;
    out.n = curve.n;
    out.events = curve.events;
    out.median = median.estimate;
    out.median_lower = median.lower;
    out.median_upper = median.upper;
    out.median_spss = results::SpssMedian{spss.estimate, spss.std_err, spss.lower, spss.upper};
    const auto at_times = stats::survival_at_times(curve, times);
    for (const auto& row : at_times.rows) {
        out.at_times->push_back({row.time, row.n_risk, row.surv, row.std_err_surv, row.lower, row.upper});
    }
    if (!at_times.beyond_follow_up.empty()) out.times_beyond_follow_up = at_times.beyond_follow_up;
    // The curve itself, for figures: steps, censoring marks and bands.
    for (std::size_t row = 0; row < curve.rows(); ++row) {
        out.curve.rows->push_back({curve.time[row], curve.n_risk[row], curve.n_event[row], curve.n_censor[row], curve.surv[row],
                                   curve.lower[row], curve.upper[row]});
    }
    return out;
}

results::MedianEstimate primary_median_of(const results::CurveSummary& summary, const std::string& method) {
    if (method == "spss") {
        const auto& m = *summary.median_spss;
        return {"spss", m.estimate, m.lower, m.upper};
    }
    return {"r", summary.median, summary.median_lower, summary.median_upper};
}

// An ADSL variable that defines groups (or a categorical outcome): numeric variables have
// no levels, so every patient would silently drop out.
const Variable& categorical(const Context& c, const Analysis& analysis, const std::string& key, const std::string& name) {
    const Variable& variable = c.data.adsl.at(name);
    if (variable.numeric) {
        throw UsageError(where_what(c.protocol.path, analysis_line(analysis, key), "analysis." + analysis.id + "." + key,
                                    key == "outcomes" ? "numeric variable used as an outcome; define a band"
                                                      : "numeric variable used as a group; define a band",
                                    name));
    }
    return variable;
}

const Variable* optional_categorical(const Context& c, const Analysis& analysis, const std::string& key,
                                     const std::optional<std::string>& name) {
    return name ? &categorical(c, analysis, key, *name) : nullptr;
}

void check_options_read(const Analysis& analysis, const std::vector<std::string>& listed) {
    for (const auto& [key, value] : analysis.options.items()) {
        if (key == "id" || key == "kind" || key == "title" || key == "figure") continue;
        if (std::find(listed.begin(), listed.end(), key) == listed.end()) {
            throw Error(ErrorKind::internal, "analysis kind " + analysis.kind + " does not read its option " + key);
        }
    }
}

Mask rows_at_level(const Variable& variable, const std::string& level) {
    std::vector<bool> at_level(variable.values.dictionary().size(), false);
    for (std::size_t code = 0; code < at_level.size(); ++code) at_level[code] = variable.values.dictionary()[code] == level;
    Mask mask(variable.values.size());
    for (std::size_t row = 0; row < mask.size(); ++row) mask[row] = at_level[variable.values.code(row)];
    return mask;
}

results::VariableSummary describe_variable(const Variable& variable, const Mask& mask) {
    // A date is summarised by calendar year: its minimum, maximum or quantiles, or a count per
    // day, would publish patients' own dates (a last contact, a death).
    if (variable.type == ValueType::date) {
        Variable years;
        years.name = variable.name;
        years.label = variable.label;
        years.type = ValueType::text;
        years.values.reserve(variable.values.size());
        std::set<std::string> seen;
        for (const auto& value : variable.values) {
            const std::string year = value.size() >= 10 ? value.substr(0, 4) : std::string();
            years.values.push_back(year);
            if (!year.empty()) seen.insert(year);
        }
        years.levels.assign(seen.begin(), seen.end());
        auto summary = std::get<results::CategoricalSummary>(describe_variable(years, mask));
        summary.by = "year";
        return summary;
    }
    if (variable.numeric) {
        std::vector<double> values;
        for (std::size_t row = 0; row < variable.numbers.size(); ++row) {
            if (mask.empty() || mask[row]) values.push_back(variable.numbers[row]);
        }
        const auto s = stats::describe_numeric(values);
        results::NumericSummary out;
        out.n = s.n;
        out.missing = s.missing;
        out.mean = s.mean;
        out.sd = s.sd;
        out.median = s.median;
        out.q1 = s.q1;
        out.q3 = s.q3;
        out.min = s.min;
        out.max = s.max;
        return out;
    }
    std::vector<std::int32_t> codes;
    const auto level_of = variable.values.level_index(variable.levels);
    for (std::size_t row = 0; row < variable.values.size(); ++row) {
        if (!mask.empty() && !mask[row]) continue;
        codes.push_back(level_of[variable.values.code(row)]);
    }
    const auto table = stats::frequency_table(codes, variable.levels);
    results::CategoricalSummary out;
    for (const auto& level : table.levels) {
        results::LevelCount entry{level.level, std::nullopt, level.n, level.percent};
        if (auto label = variable.value_labels.find(level.level); label != variable.value_labels.end()) {
            entry.label = label->second;  // the protocol's value label, for tables
        }
        out.levels.push_back(std::move(entry));
    }
    out.missing = table.missing.n;
    out.denominator = table.denominator;
    return out;
}

// A test of independence between two categorical variables, chosen by Cochran's rule.
results::ContingencyTest association_test(const TextColumn& rows_of, const std::vector<std::string>& row_levels,
                                          const TextColumn& cols_of, const std::vector<std::string>& col_levels) {
    std::vector<double> counts(row_levels.size() * col_levels.size(), 0.0);
    std::size_t dropped = 0;
    const auto row_level = rows_of.level_index(row_levels), col_level = cols_of.level_index(col_levels);
    for (std::size_t i = 0; i < rows_of.size(); ++i) {
        const std::int32_t r = row_level[rows_of.code(i)], k = col_level[cols_of.code(i)];
        if (r < 0 || k < 0) {
            ++dropped;
            continue;
        }
        counts[static_cast<std::size_t>(r) * col_levels.size() + static_cast<std::size_t>(k)] += 1;
    }
    return association_test(row_levels, col_levels, counts, dropped);
}

results::ContingencyTest association_test(const std::vector<std::string>& row_levels, const std::vector<std::string>& col_levels,
                                          const std::vector<double>& counts, std::size_t dropped) {
    results::ContingencyTest out;
    out.rows = row_levels;
    out.columns = col_levels;
    out.dropped = dropped;
    for (std::size_t r = 0; r < row_levels.size(); ++r) {
        out.counts.emplace_back(counts.begin() + static_cast<std::ptrdiff_t>(r * col_levels.size()),
                                counts.begin() + static_cast<std::ptrdiff_t>((r + 1) * col_levels.size()));
    }
    if (row_levels.size() < 2 || col_levels.size() < 2) {
        out.test = "none";
        out.note = "fewer than two levels present: no test";
        return out;
    }
    const stats::ContingencyTable table = stats::drop_empty_margins(
        stats::contingency_table(row_levels.size(), col_levels.size(), counts, row_levels, col_levels));
    const auto choice = stats::choose_test(table);
    const auto chi = stats::chi_square_test(table, {.continuity_correction = false});
    const auto fisher = stats::fisher_exact_test(table);
    out.chi_square = results::PearsonChiSquare{chi.statistic, chi.df, chi.p};
    out.fisher_p = fisher.p;
    out.test = stats::to_string(choice.test);
    out.test_reason = choice.reason;
    out.p = choice.test == stats::ChosenTest::fisher ? fisher.p : chi.p;
    return out;
}

results::Proportion proportion(double x, double n) {
    const auto ci = stats::binomial_ci(x, n);
    return {x, n, n > 0 ? results::Number(100.0 * x / n) : results::Number(), 100 * ci.lower, 100 * ci.upper};
}

std::string lower(const std::string& text) { return ascii_lower(text); }

results::CoxFit two_group_cox_fit(const stats::SurvivalData& data, const std::string& first, const std::string& second,
                                  const Protocol& protocol) {
    stats::CoxData cox;
    for (std::size_t row = 0; row < data.size(); ++row) {
        cox.stop.push_back(data.time[row]);
        cox.event.push_back(data.event[row]);
        cox.x.push_back(data.group[row] == 1 ? 1.0 : 0.0);
    }
    cox.names = {second + " vs " + first};
    return cox_fit_of(stats::cox_regression(cox, {.ties = ties_of(protocol.stats.ties)}));
}

results::CoxFit cox_fit_of(const stats::CoxRegression& fit) {
    results::CoxFit out;
    for (std::size_t k = 0; k < fit.names.size(); ++k) out.coefficients.push_back(coefficient_of(fit, k));
    // Why a coefficient has no (finite) estimate, in a reader's words, from the diagnostics.
    for (const auto& d : fit.diagnostics) {
        if (d.covariate < 0 || static_cast<std::size_t>(d.covariate) >= out.coefficients.size()) continue;
        auto& coefficient = out.coefficients[static_cast<std::size_t>(d.covariate)];
        if (d.kind == stats::CoxDiagnostic::Kind::singular) {
            coefficient.not_estimable = "no variation, or collinear with the other covariates (coefficient NA)";
        } else if (d.kind == stats::CoxDiagnostic::Kind::infinite) {
            coefficient.not_estimable = "monotone likelihood: the coefficient tends to infinity (e.g. no events in a level)";
        }
    }
    for (auto& coefficient : out.coefficients) {
        if (!coefficient.not_estimable && !coefficient.exp_coef.has_value()) coefficient.not_estimable = "no estimate";
    }
    for (const auto& d : fit.diagnostics) out.diagnostics.push_back(d.message);
    auto test = [](const stats::CoxTest& t) { return results::ChiSquareTest{t.chisq, static_cast<long>(t.df), t.p}; };
    out.n = fit.n;
    out.events = fit.events;
    out.dropped = fit.dropped;
    out.loglik = {fit.loglik_null, fit.loglik_final};
    out.wald = test(fit.wald);
    out.lr = test(fit.lr);
    out.score = test(fit.score);
    out.concordance = fit.concordance;
    out.concordance_se = fit.concordance_se;
    out.iterations = fit.iterations;
    out.converged = fit.converged;
    out.ties = fit.ties == stats::CoxTies::efron ? "efron" : "breslow";
    return out;
}

stats::CoxTies ties_of(const std::string& name) {
    if (name == "efron") return stats::CoxTies::efron;
    if (name == "breslow") return stats::CoxTies::breslow;
    throw UsageError("unknown ties '" + name + "' (efron or breslow)");
}

bool term_in_cohort(const StudyData& data, const std::string& term) {
    const auto code = data.ae_term_code(term);
    return code && std::any_of(data.adae.begin(), data.adae.end(), [&](const AdverseEventRecord& record) { return record.term == *code; });
}

results::Nullable<results::EValue> hazard_ratio_e_value(double hr, double lower, double upper, const std::vector<double>& time,
                                                         const std::vector<double>& event) {
    auto positive = [](double v) { return std::isfinite(v) && v > 0; };
    if (!positive(hr) || !positive(lower) || !positive(upper) || time.empty()) return {};
    stats::SurvivalData data;
    data.time = time;
    for (const double e : event) data.event.push_back(static_cast<std::uint8_t>(e != 0 ? 1 : 0));
    stats::merge_survival_times(data);
    const auto km = stats::kaplan_meier(data, stats::KaplanMeierOptions{});
    const double risk = km.curves.empty() || km.curves[0].surv.empty() ? 0.0 : 1 - km.curves[0].surv.back();
    const bool rare = risk < 0.15;
    const auto e = stats::e_value_hazard_ratio(hr, std::min(lower, hr), std::max(upper, hr), rare);
    return results::EValue{rare ? "rare" : "common", risk, e.rr, e.point, e.limit};
}

std::function<void(std::size_t, std::size_t)> bootstrap_progress(const Analysis& analysis) {
    if (!isatty(STDERR_FILENO)) return {};
    return [id = analysis.id](std::size_t done, std::size_t total) {
        if (done < total) {
            std::fprintf(stderr, "\rrwe run: analysis %s: bootstrap %zu of %zu   ", id.c_str(), done, total);
        } else {
            std::fprintf(stderr, "\r%*s\r", static_cast<int>(40 + id.size()), "");
        }
        std::fflush(stderr);
    };
}

}  // namespace rwe::study::kit
