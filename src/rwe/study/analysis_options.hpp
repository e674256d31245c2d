#pragma once
// The analysis kinds of a protocol and what each accepts (docs/protocols.md,
// "[[analysis]]"): one table of kinds with their options — type, whether required, the
// values allowed — and the shape of their `published` values. The protocol parser checks
// every [[analysis]] table against it when the protocol is read, before any data; the
// name check (variables, endpoints) reads the option types from it.

#include <toml++/toml.h>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace rwe::study {

struct Analysis;

// What an option's value is and names. Lists are never empty and hold no value twice.
enum class OptionType {
    string,
    strings,
    number,
    numbers,
    integer,
    boolean,
    variable,               // an ADSL variable
    variables,
    categorical_variable,   // an ADSL variable that defines groups (text or Y/N; never a number)
    categorical_variables,
    endpoint,               // an ADTTE parameter (PARAMCD)
    endpoints,
    outcomes,               // strings: each a categorical variable, or `term:k` (an adverse-event term, worst grade >= k, k 1..5)
    table,
};

struct OptionSpec {
    std::string key;
    OptionType type;
    bool required = false;
    std::vector<std::string> allowed;  // allowed string values (empty: any)
    std::optional<double> minimum;     // numbers and integers: each value >= minimum ...
    bool exclusive_minimum = false;    // ... or > minimum
    std::optional<double> below;       // numbers: each value < below
    bool ascending = false;            // numbers: strictly ascending
};

// Checks one [[analysis]] table: the kind, the keys allowed for it, their types and
// allowed values, and the keys of `published`. Throws
// InputError(source, line, "analysis.<id>.<key>", problem, value) at the line of the
// offending key (of the list element, for a bad element).
void check_analysis_table(const toml::table& table, const std::string& kind, const std::string& source);

// The option keys of a kind (beyond id, kind, title and published); UsageError for an
// unknown kind.
const std::vector<OptionSpec>& analysis_options(const std::string& kind);
const OptionSpec* find_analysis_option(const std::string& kind, const std::string& key);

// Every kind, in the order of docs/protocols.md.
std::vector<std::string> analysis_kinds();

// True when the kind takes `published` values (it then has a comparison with ours).
bool analysis_accepts_published(const std::string& kind);

// The protocol line of an analysis' key (the [[analysis]] table's line), for run-time
// warnings and errors.
std::size_t analysis_line(const Analysis& analysis, const std::string& key);

// `file:line: analysis.<id>.<key>: warning: problem (value)`: something that depends on the
// data and may surprise (a group or term the cohort lacks), recorded in results.json and
// printed by `rwe run`.
std::string analysis_warning(const std::string& source, const Analysis& analysis, const std::string& key,
                             const std::string& problem, const std::string& value);

}  // namespace rwe::study
