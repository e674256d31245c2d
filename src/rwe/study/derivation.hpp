#pragma once
// The derivation library (docs/protocols.md, "Derivations"): what a protocol variable can
// be computed from in the registry, each derivation with typed arguments checked when the
// protocol is read. A derivation sees one patient and the index line chosen for them.

#include <toml++/toml.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rwe/study/expression.hpp"
#include "rwe/study/registry_data.hpp"

namespace rwe::study {

// One candidate of the cohort as the derivations see them. Dates after the data cut-off
// are already hidden: `death` is missing when it falls after the cut-off and
// `last_contact` is at most the cut-off.
struct PatientContext {
    const Patient* patient = nullptr;
    const Regimen* index_line = nullptr;
    std::size_t arm = 0;           // which RegimenChoice chose the index line
    const Tumor* tumor = nullptr;  // the tumour behind the disease at the index date
    Day index = 0;
    std::optional<Day> death;
    Day last_contact = 0;
    std::optional<Day> cutoff;
    Day line_end = 0;    // end of the index line; last contact (or cut-off) when ongoing
    bool ongoing = false;
    const Regimen* next_line = nullptr;  // the next line after the index line, if any
    double days_per_unit = days_per_month;
};

struct Derivation {
    enum class Kind {
        age, patient, tumor, biomarker, observation, metastasis, prior_exposure, prior_regimens,
        administrations, index_line, best_response, first_response, progression, next_line, band,
    };
    Kind kind = Kind::age;
    ValueType type = ValueType::number;
    std::vector<std::string> levels;  // known levels of a text result
    std::string field;                // patient, tumor, biomarker, observation, index_line, next_line, progression
    std::string code;                 // biomarker marker, observation name
    std::vector<std::string> methods;  // biomarker methods (empty = any)
    std::string which;                // biomarker: diagnosis or latest
    std::vector<std::string> drugs, settings, regimens, sites;
    int window_from = 0, window_to = 0;  // days relative to the index date
    std::optional<int> within_days;      // administrations up to index + this many days
    bool measurable_only = true;
    std::size_t from_slot = 0;           // band: the numeric variable cut
    std::vector<double> upper;           // band limits
    std::vector<std::string> labels;     // band labels

    // The value for one patient; `row` holds the variables computed so far (for bands).
    Value evaluate(const PatientContext& context, std::span<const Value> row) const;
};

// Reads `derive = "NAME"` and its arguments from a variable's table. `consumed` receives
// the keys the derivation used (the caller rejects any other key). `scope` resolves the
// `from` of a band. Throws InputError `file:line: variables.X.key: problem (value)`.
std::shared_ptr<const Derivation> parse_derivation(const toml::table& table, const std::string& variable,
                                                   const std::string& source, const NameScope& scope,
                                                   std::vector<std::string>& consumed);

// The library's names, for messages and docs.
std::vector<std::string> derivation_names();

// Shared rules (docs/protocols.md): the tumour behind the disease at a date; whether an
// assessment belongs to a line; best-response ranks; the next line after the index line.
const Tumor* index_tumor(const Patient& patient, Day index);
bool assesses(const Assessment& assessment, const Regimen& line, Day line_end);
const Regimen* next_line_after(const Patient& patient, const Regimen& index_line);
std::optional<Day> first_response_date(const PatientContext& context);

}  // namespace rwe::study
