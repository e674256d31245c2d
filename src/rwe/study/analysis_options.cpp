#include "rwe/study/analysis_options.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <functional>
#include <set>

#include "rwe/common/error.hpp"
#include "rwe/common/text.hpp"
#include "rwe/report/figure_options.hpp"
#include "rwe/study/protocol.hpp"

namespace rwe::study {

namespace {

std::string lower(const std::string& text) { return ascii_lower(text); }

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
    return out;
}

// The text of a scalar for messages: strings as they are, numbers in shortest form.
std::string text_of(const toml::node& node) {
    if (auto v = node.value_exact<std::string>()) return *v;
    if (auto v = node.value_exact<std::int64_t>()) return std::to_string(*v);
    if (auto v = node.value_exact<double>()) return fmt::format("{}", *v);
    if (auto v = node.value_exact<bool>()) return *v ? "true" : "false";
    return "";
}

bool is_number(const toml::node& node) { return node.is_integer() || node.is_floating_point(); }

double number_of(const toml::node& node) { return *node.value<double>(); }

// Where a check fails: the file, and "analysis.<id>." before every key.
struct Where {
    std::string source;
    std::string prefix;

    [[noreturn]] void fail(const toml::node& node, const std::string& key, const std::string& problem,
                           const std::string& value = "") const {
        throw InputError(source, node.source().begin.line, prefix + key, problem, value);
    }
};

// ---- options ----

bool is_list(OptionType type) {
    switch (type) {
        case OptionType::strings:
        case OptionType::numbers:
        case OptionType::variables:
        case OptionType::categorical_variables:
        case OptionType::endpoints:
        case OptionType::outcomes: return true;
        default: return false;
    }
}

bool holds_strings(OptionType type) {
    switch (type) {
        case OptionType::string:
        case OptionType::strings:
        case OptionType::variable:
        case OptionType::variables:
        case OptionType::categorical_variable:
        case OptionType::categorical_variables:
        case OptionType::endpoint:
        case OptionType::endpoints:
        case OptionType::outcomes: return true;
        default: return false;
    }
}

std::string expected_text(OptionType type) {
    switch (type) {
        case OptionType::string: return "a string";
        case OptionType::strings: return "an array of strings";
        case OptionType::number: return "a number";
        case OptionType::numbers: return "an array of numbers";
        case OptionType::integer: return "an integer";
        case OptionType::boolean: return "true or false";
        case OptionType::variable:
        case OptionType::categorical_variable: return "a variable name (a string)";
        case OptionType::variables:
        case OptionType::categorical_variables: return "an array of variable names";
        case OptionType::endpoint: return "an endpoint name (a string)";
        case OptionType::endpoints: return "an array of endpoint names";
        case OptionType::outcomes: return "an array of variable names or \"term:k\"";
        case OptionType::table: return "a table";
    }
    return "";
}

// "term:k": an adverse-event term and a grade k from 1 to 5; or a variable name (no colon).
void check_outcome(const Where& where, const toml::node& node, const std::string& key) {
    const std::string value = *node.value<std::string>();
    const auto colon = value.rfind(':');
    if (colon == std::string::npos) return;
    const std::string term = value.substr(0, colon);
    const std::string grade = value.substr(colon + 1);
    int k = 0;
    const auto [end, error] = std::from_chars(grade.data(), grade.data() + grade.size(), k);
    if (term.empty() || grade.empty() || error != std::errc() || end != grade.data() + grade.size() || k < 1 || k > 5) {
        where.fail(node, key, "expected a variable name or \"term:k\" with k an integer from 1 to 5", value);
    }
}

void check_scalar(const Where& where, const OptionSpec& spec, const toml::node& node) {
    if (holds_strings(spec.type)) {
        if (!node.is_string()) where.fail(node, spec.key, "expected " + expected_text(spec.type));
        const std::string value = *node.value<std::string>();
        if (value.empty()) where.fail(node, spec.key, "must not be empty");
        if (!spec.allowed.empty() && std::find(spec.allowed.begin(), spec.allowed.end(), value) == spec.allowed.end()) {
            where.fail(node, spec.key, "not an allowed value (allowed: " + join(spec.allowed) + ")", value);
        }
        if (spec.type == OptionType::outcomes) check_outcome(where, node, spec.key);
        return;
    }
    const bool integer = spec.type == OptionType::integer;
    if (integer ? !node.is_integer() : !is_number(node)) where.fail(node, spec.key, "expected " + expected_text(spec.type));
    const double value = number_of(node);
    if (!std::isfinite(value)) where.fail(node, spec.key, "must be a finite number", text_of(node));
    if (spec.minimum) {
        if (spec.exclusive_minimum ? !(value > *spec.minimum) : !(value >= *spec.minimum)) {
            where.fail(node, spec.key, fmt::format("must be {} {}", spec.exclusive_minimum ? ">" : ">=", *spec.minimum), text_of(node));
        }
    }
    if (spec.below && !(value < *spec.below)) {
        where.fail(node, spec.key,
                   spec.minimum ? fmt::format("must be {} {} and < {}", spec.exclusive_minimum ? ">" : ">=", *spec.minimum, *spec.below)
                                : fmt::format("must be < {}", *spec.below),
                   text_of(node));
    }
}

void check_option(const Where& where, const OptionSpec& spec, const toml::node& node) {
    switch (spec.type) {
        case OptionType::boolean:
            if (!node.is_boolean()) where.fail(node, spec.key, "expected " + expected_text(spec.type));
            return;
        case OptionType::table:
            if (!node.is_table()) where.fail(node, spec.key, "expected " + expected_text(spec.type));
            return;
        default: break;
    }
    if (!is_list(spec.type)) {
        check_scalar(where, spec, node);
        return;
    }
    const toml::array* array = node.as_array();
    if (array == nullptr) where.fail(node, spec.key, "expected " + expected_text(spec.type));
    if (array->empty()) where.fail(node, spec.key, "must not be empty");
    const OptionType element = spec.type == OptionType::numbers ? OptionType::number : OptionType::string;
    OptionSpec element_spec = spec;
    element_spec.type = spec.type == OptionType::outcomes ? OptionType::outcomes : element;
    std::set<std::string> seen;
    const toml::node* previous = nullptr;
    for (const auto& item : *array) {
        if (element == OptionType::string ? !item.is_string() : !is_number(item)) {
            where.fail(item, spec.key, "expected " + expected_text(spec.type));
        }
        check_scalar(where, element_spec, item);
        if (spec.ascending && previous != nullptr && !(number_of(item) > number_of(*previous))) {
            where.fail(item, spec.key, "must ascend strictly", text_of(item));
        }
        // Codes (terms, drugs) match without case, so two spellings of one code are one code;
        // variable names are case-sensitive.
        const bool names_variables = spec.type == OptionType::variables || spec.type == OptionType::categorical_variables;
        const std::string key_of = names_variables ? text_of(item) : lower(text_of(item));
        if (!seen.insert(key_of).second) where.fail(item, spec.key, "listed twice", text_of(item));
        previous = &item;
    }
}

// ---- figure options ----

// The `figure` table of an analysis (docs/protocols.md, "figure"): keys the kind's figure
// takes, each of its type and rule (report/figure_options.hpp).
void check_figure(const Where& outer, const toml::table& figure, const std::string& kind, const toml::table& analysis) {
    const Where where{outer.source, outer.prefix + "figure."};
    const std::vector<std::string>& keys = report::figure_keys(kind);
    auto string_of = [&](const toml::node& node, const std::string& key) {
        if (!node.is_string()) where.fail(node, key, "expected a string");
        const std::string value = *node.value<std::string>();
        if (value.empty()) where.fail(node, key, "must not be empty");
        return value;
    };
    auto strings_of = [&](const toml::node& node, const std::string& key) {
        const toml::array* array = node.as_array();
        if (array == nullptr) where.fail(node, key, "expected an array of strings");
        if (array->empty()) where.fail(node, key, "must not be empty");
        std::vector<std::string> out;
        for (const auto& item : *array) out.push_back(string_of(item, key));
        return out;
    };
    for (const auto& [key_view, node] : figure) {
        const std::string key(key_view.str());
        if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
            where.fail(node, key, "unknown figure option for kind " + kind + " (allowed: " + join(keys) + ")");
        }
        if (key == "time_max" || key == "time_step") {
            if (!is_number(node)) where.fail(node, key, "expected a number");
            if (!(number_of(node) > 0) || !std::isfinite(number_of(node))) where.fail(node, key, "must be > 0", text_of(node));
        } else if (key == "x_label" || key == "y_label" || key == "legend_title") {
            string_of(node, key);
        } else if (key == "legend_labels") {
            strings_of(node, key);
        } else if (key == "colours") {
            const toml::array* array = node.as_array();
            for (const std::string& colour : strings_of(node, key)) {
                if (!report::parse_colour(colour)) {
                    const auto bad = std::find_if(array->begin(), array->end(), [&](const toml::node& item) { return *item.value<std::string>() == colour; });
                    where.fail(*bad, key, std::string("not a colour (") + report::colour_rule + ")", colour);
                }
            }
        } else if (key == "risk_table_rows") {
            std::string bad;
            if (!report::parse_risk_table_rows(strings_of(node, key), &bad)) {
                where.fail(node, key, std::string("unknown or repeated row (rows: ") + report::risk_row_rule + ")", bad);
            }
        } else {
            if (!node.is_boolean()) where.fail(node, key, "expected true or false");
            // A test between groups needs groups.
            if ((key == "p_value" || key == "hazard_ratio") && kind != "cox" && *node.value<bool>() && analysis.get("by") == nullptr) {
                where.fail(node, key, "needs `by`: there is no comparison between groups to annotate", "true");
            }
        }
    }
    const toml::node* time_max = figure.get("time_max");
    const toml::node* time_step = figure.get("time_step");
    if (time_max != nullptr && time_step != nullptr && number_of(*time_max) / number_of(*time_step) > report::max_time_breaks) {
        where.fail(*time_step, "time_step", "more than 100 breaks up to time_max", text_of(*time_step));
    }
}

// ---- published values ----

// The analysis table and its `published` table, with "analysis.<id>.published." as prefix.
struct Published {
    const toml::table& analysis;
    const toml::table& values;
    Where where;
};

enum class ValueType { count, number, p_value, number_pair };

void check_value(const Where& where, const toml::node& node, const std::string& key, ValueType type) {
    switch (type) {
        case ValueType::count:
        case ValueType::number:
            if (!is_number(node) || !std::isfinite(number_of(node))) where.fail(node, key, "expected a number");
            if (type == ValueType::count && number_of(node) < 0) where.fail(node, key, "a count must be >= 0", text_of(node));
            return;
        case ValueType::p_value: {
            // A number in [0, 1], or "<bound" as papers print small p-values.
            if (is_number(node)) {
                const double p = number_of(node);
                if (!(p >= 0 && p <= 1)) where.fail(node, key, "a p-value must lie in [0, 1]", text_of(node));
                return;
            }
            const auto text = node.value<std::string>();
            double bound = -1;
            if (text && text->size() > 1 && (*text)[0] == '<') {
                const char* first = text->data() + 1;
                const char* last = text->data() + text->size();
                const auto [end, error] = std::from_chars(first, last, bound);
                if (error != std::errc() || end != last) bound = -1;
            }
            if (!(bound > 0 && bound <= 1)) where.fail(node, key, "expected a p-value: a number, or \"<0.001\"", text_of(node));
            return;
        }
        case ValueType::number_pair: {
            const toml::array* array = node.as_array();
            if (array == nullptr || array->size() != 2 || !is_number(*array->get(0)) || !is_number(*array->get(1))) {
                where.fail(node, key, "expected two numbers [first group, second group]");
            }
            return;
        }
    }
}

using FixedKeys = std::vector<std::pair<std::string, ValueType>>;

std::string names_of(const FixedKeys& keys) {
    std::vector<std::string> names;
    for (const auto& [key, type] : keys) names.push_back(key);
    return join(names);
}

// A table whose keys are all in `keys`; `context` ends with a dot or is empty.
void check_fixed(const Where& where, const toml::table& table, const std::string& context, const FixedKeys& keys) {
    for (const auto& [name_view, node] : table) {
        const std::string name(name_view.str());
        auto it = std::find_if(keys.begin(), keys.end(), [&](const auto& k) { return k.first == name; });
        if (it == keys.end()) where.fail(node, context + name, "unknown key (allowed: " + names_of(keys) + ")");
        check_value(where, node, context + name, it->second);
    }
}

const toml::table& inner_table(const Where& where, const std::string& name, const toml::node& node, const std::string& what) {
    if (!node.is_table()) where.fail(node, name, "expected a table of " + what);
    return *node.as_table();
}

// The entries of a list option (lower case when `fold_case`), or nullopt when it is absent.
std::optional<std::vector<std::string>> option_entries(const toml::table& analysis, const std::string& key, bool fold_case) {
    const toml::node* node = analysis.get(key);
    if (node == nullptr) return std::nullopt;
    std::vector<std::string> out;
    if (node->is_string()) out.push_back(*node->value<std::string>());
    if (const auto* array = node->as_array()) {
        for (const auto& item : *array) out.push_back(*item.value<std::string>());
    }
    if (fold_case) {
        for (auto& entry : out) entry = lower(entry);
    }
    return out;
}

// Every published key names an entry of option `key` (which must be given).
void check_names_in_option(const Published& p, const std::string& key, bool fold_case,
                           const std::function<void(const std::string&, const toml::node&)>& check_entry) {
    const auto entries = option_entries(p.analysis, key, fold_case);
    for (const auto& [name_view, node] : p.values) {
        const std::string name(name_view.str());
        if (entries && std::find(entries->begin(), entries->end(), fold_case ? lower(name) : name) == entries->end()) {
            p.where.fail(node, name, "not one of `" + key + "` (" + join(*entries) + ")");
        }
        check_entry(name, node);
    }
}

const FixedKeys median_keys{{"median", ValueType::number}, {"lower", ValueType::number}, {"upper", ValueType::number}};
const FixedKeys p_keys{{"p", ValueType::p_value}};

void published_attrition(const Published& p) { check_fixed(p.where, p.values, "", {{"n", ValueType::count}}); }

void published_followup(const Published& p) {
    check_fixed(p.where, p.values, "", {{"median", ValueType::number}, {"min", ValueType::number}, {"max", ValueType::number}});
}

// Without `by`: the median and its limits. With `by`: one table per group, named as the
// group's level (checked against the results when the analysis runs).
void published_km(const Published& p) {
    if (p.analysis.get("by") == nullptr) {
        check_fixed(p.where, p.values, "", median_keys);
        return;
    }
    for (const auto& [name_view, node] : p.values) {
        const std::string name(name_view.str());
        check_fixed(p.where, inner_table(p.where, name, node, "median, lower, upper (one per group of `by`)"), name + ".", median_keys);
    }
}

void published_logrank(const Published& p) {
    check_names_in_option(p, "by", false, [&](const std::string& name, const toml::node& node) {
        check_fixed(p.where, inner_table(p.where, name, node, "p"), name + ".", p_keys);
    });
}

void published_association(const Published& p) {
    check_names_in_option(p, "outcomes", false, [&](const std::string& name, const toml::node& node) {
        check_fixed(p.where, inner_table(p.where, name, node, "p"), name + ".", p_keys);
    });
}

void published_response(const Published& p) {
    check_fixed(p.where, p.values, "", {{"n", ValueType::count}, {"CR", ValueType::count}, {"PR", ValueType::count},
                                        {"SD", ValueType::count}, {"PD", ValueType::count}, {"ORR", ValueType::count}});
}

// Per term: counts of patients by worst-grade band.
const FixedKeys grade_band_keys{{"any", ValueType::count}, {"1-2", ValueType::count}, {"3", ValueType::count},
                                {"4", ValueType::count},   {"3-4", ValueType::count}, {"5", ValueType::count},
                                {">=3", ValueType::count}};

void published_adverse_events(const Published& p) {
    check_names_in_option(p, "terms", true, [&](const std::string& name, const toml::node& node) {
        check_fixed(p.where, inner_table(p.where, name, node, "counts by grade band"), name + ".", grade_band_keys);
    });
}

// Numeric variables: summary statistics; categorical ones: a count per level.
const FixedKeys summary_keys{{"n", ValueType::count},    {"median", ValueType::number}, {"min", ValueType::number},
                             {"max", ValueType::number}, {"mean", ValueType::number},   {"sd", ValueType::number},
                             {"q1", ValueType::number},  {"q3", ValueType::number}};

void published_table1(const Published& p) {
    check_names_in_option(p, "variables", false, [&](const std::string& name, const toml::node& node) {
        const auto& inner = inner_table(p.where, name, node, "summary statistics or counts per level");
        const bool summary = std::any_of(inner.begin(), inner.end(), [](const auto& entry) {
            const std::string key(entry.first.str());
            return key != "n" && std::any_of(summary_keys.begin(), summary_keys.end(), [&](const auto& k) { return k.first == key; });
        });
        if (summary) {
            for (const auto& [key_view, value] : inner) {
                const std::string key(key_view.str());
                if (std::none_of(summary_keys.begin(), summary_keys.end(), [&](const auto& k) { return k.first == key; })) {
                    p.where.fail(value, name + "." + key,
                                 "unknown key among summary statistics (allowed: " + names_of(summary_keys) +
                                     "; a categorical variable takes counts per level only)");
                }
            }
            check_fixed(p.where, inner, name + ".", summary_keys);
            return;
        }
        for (const auto& [level, value] : inner) check_value(p.where, value, name + "." + std::string(level.str()), ValueType::count);
    });
}

struct KindSpec {
    std::string kind;
    std::vector<OptionSpec> options;
    void (*check_published)(const Published&) = nullptr;  // nullptr: the kind has no published values
};

// Builders for the table below (aggregate initialisation would leave members unnamed).
OptionSpec option(const char* key, OptionType type) {
    OptionSpec spec;
    spec.key = key;
    spec.type = type;
    return spec;
}
OptionSpec required(OptionSpec spec) {
    spec.required = true;
    return spec;
}
OptionSpec one_of(OptionSpec spec, std::vector<std::string> allowed) {
    spec.allowed = std::move(allowed);
    return spec;
}
OptionSpec at_least(OptionSpec spec, double minimum) {
    spec.minimum = minimum;
    return spec;
}
OptionSpec above(OptionSpec spec, double minimum) {
    spec.minimum = minimum;
    spec.exclusive_minimum = true;
    return spec;
}
OptionSpec between(OptionSpec spec, double minimum, double below) {
    spec.minimum = minimum;
    spec.exclusive_minimum = true;
    spec.below = below;
    return spec;
}
OptionSpec ascending(OptionSpec spec) {
    spec.ascending = true;
    return spec;
}

const std::vector<std::string> conf_types{"log", "log-log", "plain", "logit", "arcsin"};

// The one table of analysis kinds (docs/protocols.md, "[[analysis]]").
const std::vector<KindSpec>& kinds() {
    using T = OptionType;
    static const std::vector<KindSpec> table{
        {"attrition", {}, published_attrition},
        {"table1",
         {required(option("variables", T::variables)), option("by", T::categorical_variable),
          one_of(option("numeric", T::string), {"median_range", "median_iqr", "mean_sd"}),
          at_least(option("percent_decimals", T::integer), 0), option("smd", T::boolean)},
         published_table1},
        {"followup", {required(option("endpoint", T::endpoint))}, published_followup},
        {"km",
         {required(option("endpoint", T::endpoint)), option("by", T::categorical_variable),
          ascending(at_least(option("times", T::numbers), 0)), one_of(option("conf_type", T::string), conf_types),
          one_of(option("median_ci", T::string), {"r", "spss"}), above(option("rmst_tau", T::number), 0),
          option("figure", T::table)},
         published_km},
        {"logrank",
         {required(option("endpoints", T::endpoints)), required(option("by", T::categorical_variables)),
          at_least(option("rho", T::number), 0), option("strata", T::categorical_variable)},
         published_logrank},
        {"response", {option("by", T::categorical_variables), option("variable", T::variable), option("figure", T::table)},
         published_response},
        {"adverse_events", {option("terms", T::strings), option("grading", T::string)}, published_adverse_events},
        {"association", {required(option("by", T::categorical_variable)), required(option("outcomes", T::outcomes))},
         published_association},
        {"cox",
         {required(option("endpoint", T::endpoint)), required(option("covariates", T::variables)),
          one_of(option("ties", T::string), {"efron", "breslow"}), option("strata", T::categorical_variable),
          option("univariable", T::boolean), option("figure", T::table)},
         nullptr},
        {"landmark",
         {required(option("endpoints", T::endpoints)), required(option("drugs", T::strings)),
          required(at_least(option("min_count", T::integer), 1)), required(at_least(option("landmark_days", T::integer), 0))},
         nullptr},
        {"cuminc",
         {required(option("endpoint", T::endpoint)), required(option("event", T::string)), option("competing", T::strings),
          option("by", T::categorical_variable), option("strata", T::categorical_variable),
          ascending(at_least(option("times", T::numbers), 0)), at_least(option("rho", T::number), 0),
          option("covariates", T::variables), option("figure", T::table)},
         nullptr},
        {"iptw",
         {required(option("endpoint", T::endpoint)), required(option("treatment", T::categorical_variable)),
          required(option("covariates", T::variables)), one_of(option("estimand", T::string), {"ate", "att"}),
          option("stabilize", T::boolean), between(option("trim", T::number), 0, 0.5),
          between(option("truncate", T::number), 0, 1), ascending(at_least(option("times", T::numbers), 0)),
          above(option("rmst_tau", T::number), 0), at_least(option("bootstrap", T::integer), 0),
          at_least(option("seed", T::integer), 0)},
         nullptr},
        {"ps_match",
         {required(option("endpoint", T::endpoint)), required(option("treatment", T::categorical_variable)),
          required(option("covariates", T::variables)), at_least(option("ratio", T::integer), 1),
          above(option("caliper", T::number), 0), option("replace", T::boolean),
          one_of(option("order", T::string), {"largest", "smallest", "data"}), one_of(option("distance", T::string), {"score", "logit"})},
         nullptr},
        {"target_trial",
         {required(option("endpoint", T::endpoint)), required(option("drugs", T::strings)),
          required(at_least(option("min_count", T::integer), 1)), required(above(option("grace_days", T::integer), 0)),
          above(option("interval_days", T::integer), 0), option("covariates", T::variables),
          between(option("truncate", T::number), 0, 1), option("stabilize", T::boolean),
          ascending(at_least(option("times", T::numbers), 0)), above(option("rmst_tau", T::number), 0),
          at_least(option("bootstrap", T::integer), 0), at_least(option("seed", T::integer), 0)},
         nullptr},
    };
    return table;
}

const KindSpec* find_kind(const std::string& kind) {
    for (const auto& spec : kinds()) {
        if (spec.kind == kind) return &spec;
    }
    return nullptr;
}

bool valid_id(const std::string& id) {
    return !id.empty() && std::all_of(id.begin(), id.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '-';
    });
}

}  // namespace

std::vector<std::string> analysis_kinds() {
    std::vector<std::string> out;
    for (const auto& spec : kinds()) out.push_back(spec.kind);
    return out;
}

const std::vector<OptionSpec>& analysis_options(const std::string& kind) {
    const KindSpec* spec = find_kind(kind);
    if (spec == nullptr) throw UsageError("unknown analysis kind '" + kind + "' (known: " + join(analysis_kinds()) + ")");
    return spec->options;
}

bool analysis_accepts_published(const std::string& kind) {
    const KindSpec* spec = find_kind(kind);
    return spec != nullptr && spec->check_published != nullptr;
}

const OptionSpec* find_analysis_option(const std::string& kind, const std::string& key) {
    for (const auto& option : analysis_options(kind)) {
        if (option.key == key) return &option;
    }
    return nullptr;
}

void check_analysis_table(const toml::table& table, const std::string& kind, const std::string& source) {
    const toml::node* id_node = table.get("id");
    const std::string id = id_node != nullptr && id_node->is_string() ? *id_node->value<std::string>() : kind;
    const Where where{source, "analysis." + id + "."};
    const KindSpec* spec = find_kind(kind);
    if (spec == nullptr) {
        const toml::node* kind_node = table.get("kind");
        where.fail(kind_node != nullptr ? *kind_node : static_cast<const toml::node&>(table), "kind",
                   "unknown kind (known: " + join(analysis_kinds()) + ")", kind);
    }
    std::vector<std::string> allowed{"id", "kind", "title", "where"};
    if (spec->check_published != nullptr) allowed.push_back("published");
    for (const auto& option : spec->options) allowed.push_back(option.key);

    for (const auto& [key_view, node] : table) {
        const std::string key(key_view.str());
        if (key == "where" && kind == "attrition") where.fail(node, key, "the attrition is of the whole cohort: it takes no population");
        if (key == "id" || key == "kind" || key == "title" || key == "where") {
            if (!node.is_string()) where.fail(node, key, "expected a string");
            if (key == "id" && !valid_id(id)) {
                where.fail(node, key, "expected letters, digits, _ and - only (it names the figure and table files)", id);
            }
            // File names hold the id with a prefix and suffix: keep them well under 255 bytes.
            if (key == "id" && id.size() > 64) where.fail(node, key, "at most 64 characters (it names the figure and table files)", id);
            continue;
        }
        if (key == "published" && spec->check_published != nullptr) {
            if (!node.is_table()) where.fail(node, key, "expected a table of published values");
            spec->check_published(Published{table, *node.as_table(), Where{source, where.prefix + "published."}});
            continue;
        }
        auto option = std::find_if(spec->options.begin(), spec->options.end(), [&](const OptionSpec& o) { return o.key == key; });
        if (option == spec->options.end()) {
            where.fail(node, key, key == "published" ? "the kind " + kind + " takes no published values"
                                                     : "unknown key for kind " + kind + " (allowed: " + join(allowed) + ")");
        }
        check_option(where, *option, node);
        if (key == "figure") check_figure(where, *node.as_table(), kind, table);
    }
    for (const auto& option : spec->options) {
        if (option.required && table.get(option.key) == nullptr) {
            where.fail(table, option.key, "required key missing for kind " + kind);
        }
    }
}

// The line of the key in the analysis's table; the table's own line for a key it does not hold.
std::size_t analysis_line(const Analysis& analysis, const std::string& key) {
    auto found = analysis.key_lines.find(key);
    return found == analysis.key_lines.end() ? analysis.line : found->second;
}

std::string analysis_warning(const std::string& source, const Analysis& analysis, const std::string& key,
                             const std::string& problem, const std::string& value) {
    return where_what(source, analysis_line(analysis, key), "analysis." + analysis.id + "." + key, "warning: " + problem, value);
}

}  // namespace rwe::study
