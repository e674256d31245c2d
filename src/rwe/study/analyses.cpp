#include "rwe/study/analyses.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include "rwe/common/error.hpp"
#include "rwe/common/parallel.hpp"
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
#include "rwe/study/analysis_kit.hpp"

namespace rwe::study {

using namespace kit;

namespace {

using Runner = results::AnalysisResult (*)(const Context&, const Analysis&);

// A kind's runner, returning its typed result as the one variant of results.
template <auto run>
results::AnalysisResult typed(const Context& c, const Analysis& analysis) {
    return run(c, analysis);
}

// The population of an analysis's `where`, recorded in its result.
void set_population(results::AnalysisResult& result, const Expression& where, std::size_t n) {
    std::visit([&](auto& typed) { typed.population = results::Population{where.text(), n}; }, result);
}

// The runner of each kind; every kind of analysis_kinds() has one (tests/analysis_kinds_test.cpp).
const std::map<std::string, Runner>& runners() {
    static const std::map<std::string, Runner> table{
        {"attrition", typed<run_attrition>}, {"table1", typed<run_table1>},
        {"followup", typed<run_followup>},   {"km", typed<run_km>},
        {"logrank", typed<run_logrank>},     {"response", typed<run_response>},
        {"adverse_events", typed<run_adverse_events>},
        {"association", typed<run_association>},
        {"cox", typed<run_cox>},             {"landmark", typed<run_landmark>},
        {"cuminc", typed<run_cuminc>},         {"iptw", typed<run_iptw>},
        {"ps_match", typed<run_ps_match>},     {"target_trial", typed<run_target_trial>},
    };
    return table;
}

// The ADSL variables an analysis reads: those its options name (and the best-response
// variable of `response`), so that a population copies only these.
std::set<std::string> variables_read(const Analysis& analysis) {
    std::set<std::string> names;
    for (const char* key : {"variables", "by", "strata", "covariates", "variable", "outcomes", "treatment"}) {
        if (!analysis.options.contains(key)) continue;
        const auto& value = analysis.options[key];
        if (value.is_string()) names.insert(value.get<std::string>());
        else for (const auto& item : value) names.insert(item.get<std::string>());
    }
    if (analysis.kind == "response" && !analysis.options.contains("variable")) names.insert("BOR");
    return names;
}

// The kinds that read ADAE: a population copies it for them only (at 1,000,000 patients
// hundreds of megabytes). No kind reads ADRS (`response` reads its ADSL variable), so a
// population has none; the administration days are copied for the analysis that owns them.
bool reads_adverse_events(const std::string& kind) { return kind == "adverse_events" || kind == "association"; }

// A variable's description without its values and levels.
Variable column_of(const Variable& variable) {
    Variable copy;
    copy.name = variable.name;
    copy.label = variable.label;
    copy.numeric = variable.numeric;
    copy.type = variable.type;
    copy.value_labels = variable.value_labels;
    copy.summary = variable.summary;
    return copy;
}

// The study data of the patients an analysis's `where` keeps: ADSL rows (of the variables
// the analysis reads), the records of those patients in the endpoints it names and in ADAE
// when its kind reads it (above), and its own administration days, renumbered.
StudyData subset(const StudyData& data, const std::vector<bool>& keep, const Analysis& analysis) {
    const std::set<std::string> read = variables_read(analysis);
    StudyData out;
    out.attrition = data.attrition;
    std::vector<std::size_t> renumbered(data.adsl.size(), 0);
    std::size_t kept = 0;
    for (std::size_t row = 0; row < data.adsl.size(); ++row) {
        if (!keep[row]) continue;
        renumbered[row] = kept++;
        out.adsl.usubjid.push_back(data.adsl.usubjid[row]);
        out.adsl.index_date.push_back(data.adsl.index_date[row]);
    }
    for (const auto& variable : data.adsl.variables) {
        if (!read.count(variable.name)) continue;
        Variable copy = column_of(variable);
        copy.levels = variable.levels;
        for (std::size_t row = 0; row < data.adsl.size(); ++row) {
            if (!keep[row]) continue;
            if (variable.numeric) copy.numbers.push_back(variable.numbers[row]);
            else copy.values.push_back(variable.values[row]);
        }
        if (!copy.numeric && copy.type != ValueType::date) {
            // Only the levels that still occur, in their order.
            std::vector<bool> occurs(copy.values.dictionary().size(), false);
            for (std::size_t row = 0; row < copy.values.size(); ++row) occurs[copy.values.code(row)] = true;
            std::vector<std::string> present;
            for (const auto& level : copy.levels) {
                for (std::size_t code = 0; code < occurs.size(); ++code) {
                    if (occurs[code] && copy.values.dictionary()[code] == level) {
                        present.push_back(level);
                        break;
                    }
                }
            }
            copy.levels = std::move(present);
        }
        out.adsl.variables.push_back(std::move(copy));
    }
    // The endpoints the analysis names (`endpoint`, OS when absent, and `endpoints`).
    std::set<std::string> endpoints{analysis.options.value("endpoint", std::string("OS"))};
    if (analysis.options.contains("endpoints")) {
        for (const auto& name : analysis.options["endpoints"]) endpoints.insert(name.get<std::string>());
    }
    for (const auto& parameter : data.adtte) {
        if (!endpoints.count(parameter.paramcd)) continue;
        TimeToEvent copy{parameter.paramcd, parameter.param, {}, parameter.descriptions};
        for (const auto& record : parameter.records) {
            if (!keep[record.subject]) continue;
            copy.records.push_back(record);
            copy.records.back().subject = renumbered[record.subject];
        }
        out.adtte.push_back(std::move(copy));
    }
    if (reads_adverse_events(analysis.kind)) {
        out.ae_terms = data.ae_terms;
        out.ae_actions = data.ae_actions;
        for (const auto& record : data.adae) {
            if (keep[record.subject]) out.adae.push_back(record), out.adae.back().subject = renumbered[record.subject];
        }
    }
    if (const auto found = data.administration_days.find(analysis.id); found != data.administration_days.end()) {
        auto& copy = out.administration_days[analysis.id];
        for (std::size_t row = 0; row < found->second.size(); ++row) {
            if (keep[row]) copy.push_back(found->second[row]);
        }
    }
    return out;
}

// An analysis's entry of results.json: its result with what the report needs, and the
// comparison with the published figures.
json analysis_entry(const Analysis& analysis, results::AnalysisResult result, const Protocol& protocol, std::vector<std::string>& warnings) {
    results::AnalysisEntry entry{analysis.id, analysis.kind, {}, {}, {}, {}, std::move(result)};
    if (analysis.options.contains("title")) entry.title = analysis.options["title"].get<std::string>();
    if (analysis.options.contains("figure")) entry.figure = analysis.options["figure"];  // for the report's figure
    if (!analysis.published.empty()) {
        entry.published = analysis.published;
        entry.comparison = compare_with_published(analysis, entry.result, protocol.path, warnings);
    }
    return results::encode(entry);
}

}  // namespace

json run_counted_analyses(const StudyData& data, const std::vector<StoreCounts>& counts, const Protocol& protocol,
                          std::vector<std::string>& warnings) {
    if (counts.size() != protocol.analyses.size()) throw Error(ErrorKind::internal, "store counts for another protocol");
    json out = json::array();
    for (std::size_t k = 0; k < protocol.analyses.size(); ++k) {
        const Analysis& analysis = protocol.analyses[k];
        const auto runner = runners().find(analysis.kind);
        if (runner == runners().end()) throw Error(ErrorKind::internal, "analysis kind without a runner: " + analysis.kind);
        // The columns without rows; the levels of the variables that group, over the
        // analysis's population (a population has the variables it reads, as subset()).
        StudyData columns;
        columns.attrition = data.attrition;
        columns.adtte = data.adtte;
        const std::set<std::string> read = variables_read(analysis);
        for (const auto& variable : data.adsl.variables) {
            if (analysis.where && !read.count(variable.name)) continue;
            Variable copy = column_of(variable);
            if (const auto values = counts[k].values.find(variable.name); values != counts[k].values.end()) {
                const auto* definition = protocol.variable(variable.name);
                const std::vector<std::string> declared = definition != nullptr ? definition->levels : std::vector<std::string>{};
                std::vector<std::string> spelled;
                for (const auto& value : values->second) spelled.push_back(declared_spelling(value, declared));
                if (!copy.numeric && copy.type != ValueType::date) copy.levels = level_order(declared, spelled);
            }
            columns.adsl.variables.push_back(std::move(copy));
        }
        std::vector<std::string> own_warnings;
        results::AnalysisResult result = runner->second(Context{columns, protocol, own_warnings, nullptr, &counts[k]}, analysis);
        if (analysis.where) set_population(result, *analysis.where, counts[k].population);
        out.push_back(analysis_entry(analysis, std::move(result), protocol, own_warnings));
        warnings.insert(warnings.end(), own_warnings.begin(), own_warnings.end());
    }
    return out;
}

bool has_analysis_runner(const std::string& kind) { return runners().count(kind) > 0; }

json run_analyses(const StudyData& data, const Protocol& protocol, std::vector<std::string>& warnings,
                  std::vector<AnalysisDataset>* datasets) {
    const bool timing = std::getenv("RWE_TIMING") != nullptr;  // the time of each analysis (bench/study_run.sh)
    // The analyses are independent: they run two at a time, each with warnings of its own,
    // and are put together in protocol order (results and warnings as if run in turn). The
    // kinds whose memory and time grow with the clones or resamples of every patient (and
    // which use both threads themselves) run first and one at a time, the others beside
    // them: at 1,000,000 patients a target trial and a bootstrapped iptw analysis side by
    // side held about 500 MB more than either beside the light analyses. In a large cohort
    // a target trial (millions of person-intervals, about 1.1 GB at 1,000,000 patients)
    // runs with nothing beside it: there the light analyses beside it made the run's peak
    // (1.92 GiB; alone 1.70 GiB), for 5 s of 50 s (the iptw analysis, which uses both threads,
    // then has the light ones beside it). Below 200,000 patients its memory does not matter
    // and the time does (0.35 s of 4.7 s at 100,000).
    const bool large = data.adsl.size() >= 200000;
    const auto heavy = [&](std::size_t k) {
        const std::string& kind = protocol.analyses[k].kind;
        if (kind == "target_trial") return large ? ItemWeight::alone : ItemWeight::heavy;
        return kind == "iptw" ? ItemWeight::heavy : ItemWeight::light;
    };
    const std::size_t count = protocol.analyses.size();
    std::vector<json> entries(count);
    std::vector<std::vector<std::string>> analysis_warnings(count);
    std::vector<std::vector<AnalysisDataset>> analysis_datasets(count);
    for_each_index_on_two_threads_heavy_first(count, heavy, [&](std::size_t k) {
        const Analysis& analysis = protocol.analyses[k];
        std::vector<std::string>& own_warnings = analysis_warnings[k];
        const auto started = std::chrono::steady_clock::now();
        const auto runner = runners().find(analysis.kind);
        if (runner == runners().end()) throw Error(ErrorKind::internal, "analysis kind without a runner: " + analysis.kind);
        results::AnalysisResult result;
        if (analysis.where) {
            const auto keep = select_rows(data.adsl, analysis.where, protocol);
            const StudyData population = subset(data, keep, analysis);
            result = runner->second(Context{population, protocol, own_warnings, datasets ? &analysis_datasets[k] : nullptr}, analysis);
            set_population(result, *analysis.where, population.adsl.size());
        } else {
            result = runner->second(Context{data, protocol, own_warnings, datasets ? &analysis_datasets[k] : nullptr}, analysis);
        }
        entries[k] = analysis_entry(analysis, std::move(result), protocol, own_warnings);
        if (timing) {
            std::fprintf(stderr, "rwe run:   %.2f s analysis %s (%s)\n",
                         std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
                         analysis.id.c_str(), analysis.kind.c_str());
        }
    });
    json out = json::array();
    for (std::size_t k = 0; k < count; ++k) {
        out.push_back(std::move(entries[k]));
        warnings.insert(warnings.end(), analysis_warnings[k].begin(), analysis_warnings[k].end());
        if (datasets) {
            for (auto& dataset : analysis_datasets[k]) datasets->push_back(std::move(dataset));
        }
    }
    return out;
}

}  // namespace rwe::study
