#pragma once
// A study protocol (TOML, docs/protocols.md): the index event, ordered inclusion and
// exclusion criteria, variables from the derivation library or expressions, endpoints,
// the analyses and their options, and published values to show beside ours.
//
// The protocol is checked whole when it is read, before any data: unknown keys, values of
// the wrong type, unknown names (variables, endpoints, kinds, derivations, option keys)
// and misused ones are InputErrors `file:line: key: problem (value)`.

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rwe/study/date.hpp"
#include "rwe/study/expression.hpp"

namespace rwe::study {

// Each program's defaults, so that a study done in one of them can be reproduced.
enum class Convention { r, sas, spss };

struct StatisticalOptions {
    std::string conf_type;  // KM pointwise CI: log (R), log-log (SAS), plain (SPSS: S ± 1.96 SE)
    std::string median_ci;  // r (Brookmeyer–Crowley on the band) or spss (median ± 1.96 SE)
    std::string ties;       // Cox: efron (R), breslow (SAS PHREG, SPSS COXREG)
};

StatisticalOptions defaults_for(Convention convention);

// Which regimens qualify as the index line, or as one arm of it: by code (any of) and/or
// by the drugs given in it (all of, any of, none of). Codes and drugs are lower case.
struct RegimenChoice {
    std::string name;  // the arm (ARM value); empty without arms
    std::vector<std::string> codes;
    std::vector<std::string> drugs_all, drugs_any, drugs_none;
    std::size_t line = 0;  // protocol line, for warnings
};

struct IndexDefinition {
    std::vector<RegimenChoice> regimens;  // one, or one per arm in order (first = reference)
    bool arms = false;
    std::vector<std::string> settings{"palliative"};
    int line_first = 0, line_last = 0;  // palliative line range, both included; 0 = any
    Day accrual_start = 0;
    Day accrual_end = 0;
    std::string label;  // names the index regimen in the attrition
};

// One selection step after the index event, in protocol order.
struct Criterion {
    std::string label;   // what patients must meet to stay
    std::string reason;  // why those who leave at this step are excluded
    bool exclude = false;  // leave when the expression is true; else stay only when it is true
    Expression expression;
    std::size_t line = 0;
};

struct Derivation;  // derivation.hpp: a library derivation with its typed arguments

// One ADSL variable: a library derivation or an expression over earlier variables.
struct VariableDefinition {
    std::string name;
    std::string label;
    ValueType type = ValueType::number;
    std::vector<std::string> levels;  // display order of a text variable (first = Cox reference)
    std::map<std::string, std::string> value_labels;  // level → text shown in tables
    std::shared_ptr<const Derivation> derivation;  // either this ...
    std::optional<Expression> expression;          // ... or this
    std::optional<Value> fallback;                 // `default`: the value when missing
    std::size_t line = 0;
    std::string summary;  // a number's summary in tables: median_range, median_iqr, mean_sd ("" = the table's)
};

// A time-to-event endpoint (docs/protocols.md, "Endpoints").
struct EndpointDefinition {
    std::string paramcd;
    std::string label;
    std::string origin = "index";  // index, surgery, first_response, next_line, or a date variable
    std::vector<std::string> events{"death"};   // death, progression, next_line, index_line_end, metastasis, date variables
    std::vector<std::string> censor{"last_contact"};  // last_contact, last_assessment, next_line
    std::optional<Expression> population;  // who has the endpoint (all patients with an origin when absent)
    std::size_t line = 0;
};

// The index of an event in the endpoint's `events` (library events matched without case,
// date variables by name); -1 when it is not one of them.
int endpoint_event_index(const EndpointDefinition& endpoint, const std::string& name);

struct Analysis {
    std::string id;
    std::string kind;
    nlohmann::json options;    // the analysis table without `published` and `where`
    nlohmann::json published;  // reference values, shown beside ours
    std::optional<Expression> where;  // the analysis population (all patients when absent)
    std::size_t line = 0;                          // of the [[analysis]] table
    std::map<std::string, std::size_t> key_lines;  // line of each key of the table
};

// [report]: what the report writes besides report.html, figures, tables and tables.xlsx.
struct ReportSettings {
    std::optional<bool> docx;  // report.docx; absent: written when pandoc is installed, else a note
    bool csv_bom = false;      // tables/*.csv start with a UTF-8 byte-order mark (Excel on Windows)
    bool csv_ascii = false;    // the report's own symbols in tables/*.csv as ASCII ("–" as "-", "≥" as ">=")
};

struct Protocol {
    std::string path;
    std::string id, title;
    Convention convention = Convention::r;
    StatisticalOptions stats;
    std::string time_unit = "months";
    double days_per_unit = days_per_month;
    int small_cell = 0;
    // adsl/adtte/adrs/adae.csv written beside the report (default: only when small_cell ≤ 1).
    bool patient_level_datasets = true;
    bool patient_level_datasets_given = false;
    std::size_t patient_level_datasets_line = 0;
    std::optional<Day> data_cutoff;  // events after it are ignored; follow-up ends at it
    ReportSettings report;
    IndexDefinition index;
    std::vector<Criterion> criteria;
    std::vector<VariableDefinition> variables;  // in ADSL column order
    std::vector<EndpointDefinition> endpoints;
    std::vector<Analysis> analyses;
    std::string text;  // the protocol file as read, kept in results.json

    const VariableDefinition* variable(const std::string& name) const;
    const EndpointDefinition* endpoint(const std::string& paramcd) const;
    // Names every expression over ADSL rows may use: the variables (slot = position in
    // `variables`), with their types and known levels.
    NameScope adsl_scope() const;
};

Protocol parse_protocol(const std::string& path);
Protocol parse_protocol_text(const std::string& text, const std::string& source_name);

std::string to_string(Convention convention);

}  // namespace rwe::study
