#include "rwe/study/protocol.hpp"

#include "rwe/report/disclosure_control.hpp"
#include "rwe/study/analyses.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "rwe/common/error.hpp"
#include "rwe/common/text.hpp"
#include "rwe/study/derivation.hpp"
#include "rwe/study/analysis_options.hpp"

namespace rwe::study {

StatisticalOptions defaults_for(Convention convention) {
    switch (convention) {
        case Convention::r: return {"log", "r", "efron"};
        case Convention::sas: return {"log-log", "r", "breslow"};
        case Convention::spss: return {"plain", "spss", "breslow"};
    }
    return {"log", "r", "efron"};
}

std::string to_string(Convention convention) {
    switch (convention) {
        case Convention::r: return "r";
        case Convention::sas: return "sas";
        case Convention::spss: return "spss";
    }
    return "r";
}

namespace {

enum class Type { string, strings, number, numbers, integer, boolean, table, any };

struct Key {
    std::string name;
    Type type;
};

std::string lower(const std::string& text) { return ascii_lower(text); }

class Parser {
public:
    explicit Parser(std::string source) : source_(std::move(source)) {}

    [[noreturn]] void fail(const toml::node& node, const std::string& key, const std::string& problem,
                           const std::string& value = "") const {
        throw InputError(source_, node.source().begin.line, key, problem, value);
    }

    // Rejects keys not in `allowed` (naming those that are) and values of the wrong type.
    void check_keys(const toml::table& table, const std::string& context,
                    const std::vector<Key>& allowed) const {
        for (const auto& [key, node] : table) {
            const std::string name(key.str());
            auto it = std::find_if(allowed.begin(), allowed.end(),
                                   [&](const Key& k) { return k.name == name; });
            if (it == allowed.end()) {
                std::string names;
                for (const auto& k : allowed) names += (names.empty() ? "" : ", ") + k.name;
                fail(node, context + name, "unknown key (allowed: " + names + ")");
            }
            check_type(node, context + name, it->type);
        }
    }

    void check_type(const toml::node& node, const std::string& key, Type type) const {
        auto is_number = [](const toml::node& n) { return n.is_integer() || n.is_floating_point(); };
        bool ok = true;
        std::string expected;
        switch (type) {
            case Type::string: ok = node.is_string(); expected = "a string"; break;
            case Type::number: ok = is_number(node); expected = "a number"; break;
            case Type::integer: ok = node.is_integer(); expected = "an integer"; break;
            case Type::boolean: ok = node.is_boolean(); expected = "true or false"; break;
            case Type::table: ok = node.is_table(); expected = "a table"; break;
            case Type::strings:
                ok = node.is_array() && node.as_array()->is_homogeneous(toml::node_type::string);
                expected = "an array of strings";
                break;
            case Type::numbers:
                ok = node.is_array() && std::all_of(node.as_array()->begin(), node.as_array()->end(), is_number);
                expected = "an array of numbers";
                break;
            case Type::any: break;
        }
        if (!ok) fail(node, key, "expected " + expected);
    }

    const std::string& source() const { return source_; }

private:
    std::string source_;
};

nlohmann::json to_json(const toml::node& node) {
    if (auto* table = node.as_table()) {
        nlohmann::json out = nlohmann::json::object();
        for (const auto& [key, value] : *table) out[std::string(key.str())] = to_json(value);
        return out;
    }
    if (auto* array = node.as_array()) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& value : *array) out.push_back(to_json(value));
        return out;
    }
    if (auto v = node.value<std::int64_t>(); v && node.is_integer()) return *v;
    if (auto v = node.value<double>()) return *v;
    if (auto v = node.value<bool>()) return *v;
    if (auto v = node.value<std::string>()) return *v;
    if (auto v = node.value<toml::date>()) {
        std::ostringstream out;
        out << *v;
        return out.str();
    }
    return nullptr;
}

Day parse_date_node(const Parser& parser, const toml::node& node, const std::string& key) {
    if (auto date = node.value<toml::date>()) {
        return days_from_civil(date->year, date->month, date->day);
    }
    if (auto text = node.value<std::string>()) {
        if (auto day = parse_iso_date(*text)) return *day;
        parser.fail(node, key, "not a date YYYY-MM-DD", *text);
    }
    parser.fail(node, key, "expected a date YYYY-MM-DD");
}

}  // namespace

namespace {

const std::set<std::string> reserved_names{"USUBJID", "TRTSDT", "ARM"};
const std::set<std::string> keywords{"and", "or", "not", "in", "is", "missing", "case", "when", "then",
                                     "else", "end", "true", "false", "date"};

bool valid_name(const std::string& name) {
    if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_')) return false;
    for (char c : name) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
    }
    return !keywords.count(lower(name));
}

// The entries of a table in the order they were written (toml++ keeps tables sorted).
std::vector<std::pair<std::string, const toml::node*>> in_written_order(const toml::table& table) {
    std::vector<std::pair<std::string, const toml::node*>> entries;
    for (const auto& [key, node] : table) entries.emplace_back(std::string(key.str()), &node);
    std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
        const auto& x = a.second->source().begin;
        const auto& y = b.second->source().begin;
        return x.line != y.line ? x.line < y.line : x.column < y.column;
    });
    return entries;
}

std::string join(const std::vector<std::string>& list, const char* separator = ", ") {
    std::string out;
    for (const auto& item : list) out += (out.empty() ? "" : separator) + item;
    return out;
}

std::string upper(const std::string& text) { return ascii_upper(text); }

// A string or an array of strings, lower-cased.
std::vector<std::string> code_list(const Parser& parser, const toml::node& node, const std::string& key) {
    std::vector<std::string> out;
    if (node.is_string()) {
        out.push_back(lower(*node.value<std::string>()));
    } else if (node.is_array() && node.as_array()->is_homogeneous(toml::node_type::string) && !node.as_array()->empty()) {
        for (const auto& item : *node.as_array()) out.push_back(lower(*item.value<std::string>()));
    } else {
        parser.fail(node, key, "expected a string or a non-empty array of strings");
    }
    for (const auto& code : out) {
        if (code.empty()) parser.fail(node, key, "a code must not be empty");
    }
    return out;
}

RegimenChoice parse_regimen_choice(const Parser& parser, const toml::table& table, const std::string& context,
                                   bool arm) {
    RegimenChoice choice;
    choice.line = table.source().begin.line;
    if (const auto* node = table.get("regimen")) {
        choice.codes = code_list(parser, *node, context + "regimen");
        choice.line = node->source().begin.line;
    } else if (const auto* drugs = table.get("drugs")) {
        choice.line = drugs->source().begin.line;
    }
    if (const auto* node = table.get("drugs")) {
        if (!node->is_table()) parser.fail(*node, context + "drugs", "expected a table { all = [...], any = [...], none = [...] }");
        parser.check_keys(*node->as_table(), context + "drugs.", {{"all", Type::any}, {"any", Type::any}, {"none", Type::any}});
        const auto& drugs = *node->as_table();
        if (const auto* all = drugs.get("all")) choice.drugs_all = code_list(parser, *all, context + "drugs.all");
        if (const auto* any = drugs.get("any")) choice.drugs_any = code_list(parser, *any, context + "drugs.any");
        if (const auto* none = drugs.get("none")) choice.drugs_none = code_list(parser, *none, context + "drugs.none");
        if (choice.drugs_all.empty() && choice.drugs_any.empty()) {
            parser.fail(*node, context + "drugs", "needs `all` or `any` (a regimen is not chosen by what it lacks alone)");
        }
    }
    if (choice.codes.empty() && choice.drugs_all.empty() && choice.drugs_any.empty()) {
        throw InputError(parser.source(), table.source().begin.line, context + (arm ? "" : "regimen"),
                         "the index regimen needs `regimen` (codes) or `drugs`", "");
    }
    return choice;
}

std::string describe_choice(const RegimenChoice& choice) {
    if (!choice.name.empty()) return choice.name;
    std::string text = choice.codes.empty() ? "" : upper(join(choice.codes, "/"));
    if (!choice.drugs_all.empty() || !choice.drugs_any.empty()) {
        std::string drugs;
        if (!choice.drugs_all.empty()) drugs = join(choice.drugs_all, " + ");
        if (!choice.drugs_any.empty()) drugs += (drugs.empty() ? "" : " + ") + join(choice.drugs_any, " or ");
        if (!choice.drugs_none.empty()) drugs += " without " + join(choice.drugs_none, " or ");
        text += (text.empty() ? "" : ", ") + drugs;
    }
    return text;
}

Value literal_value(const Parser& parser, const toml::node& node, const std::string& key, ValueType type) {
    switch (type) {
        case ValueType::number:
            if (node.is_integer() || node.is_floating_point()) return Value::of_number(*node.value<double>());
            break;
        case ValueType::text:
            if (node.is_string()) return Value::of_text(*node.value<std::string>());
            break;
        case ValueType::boolean:
            if (node.is_boolean()) return Value::of_boolean(*node.value<bool>());
            break;
        case ValueType::date:
            return Value::of_date(parse_date_node(parser, node, key));
    }
    parser.fail(node, key, "expected a " + to_string(type) + " value, the variable's type");
}


// Every name an analysis option gives must exist, with a type that fits its use.
void check_analysis_names(const Parser& parser, const Analysis& analysis, const Protocol& protocol,
                          const toml::table& table) {
    auto node_of = [&](const std::string& key) -> const toml::node& { return *table.get(key); };
    auto context = [&](const std::string& key) { return "analysis." + analysis.id + "." + key; };
    auto names = [&](const std::string& key) {
        std::vector<std::string> out;
        const auto& value = analysis.options[key];
        if (value.is_string()) out.push_back(value.get<std::string>());
        else for (const auto& item : value) out.push_back(item.get<std::string>());
        return out;
    };
    auto known_variables = [&] {
        std::vector<std::string> out;
        for (const auto& v : protocol.variables) out.push_back(v.name);
        return join(out);
    };
    auto variable = [&](const std::string& key, const std::string& name) -> const VariableDefinition& {
        const auto* v = protocol.variable(name);
        if (v == nullptr) parser.fail(node_of(key), context(key), "unknown variable (known: " + known_variables() + ")", name);
        return *v;
    };
    auto categorical = [&](const std::string& key, const std::string& name) {
        const auto& v = variable(key, name);
        if (v.type == ValueType::number) {
            parser.fail(node_of(key), context(key), "a numeric variable cannot define groups; cut it into bands (derive = \"band\")", name);
        }
        if (v.type == ValueType::date) parser.fail(node_of(key), context(key), "a date variable cannot define groups", name);
    };
    if (analysis.kind == "response" && !analysis.options.contains("variable")) {
        const auto* bor = protocol.variable("BOR");
        if (bor == nullptr || bor->type != ValueType::text) {
            throw InputError(parser.source(), analysis.line, "analysis." + analysis.id + ".variable",
                             "required: the best-response variable (derive = \"best_response\"); BOR is the default and there is none", "");
        }
    }
    for (const auto& [key, value] : analysis.options.items()) {
        if (key == "endpoint" || key == "endpoints") {
            for (const auto& name : names(key)) {
                if (protocol.endpoint(name) == nullptr) {
                    std::vector<std::string> known;
                    for (const auto& e : protocol.endpoints) known.push_back(e.paramcd);
                    parser.fail(node_of(key), context(key), "unknown endpoint (known: " + join(known) + ")", name);
                }
            }
        } else if (analysis.kind == "cuminc" && (key == "event" || key == "competing")) {
            // Events of the endpoint (docs/protocols.md, "Competing risks"): the event of
            // interest, and the competing ones (default: every other event of the endpoint).
            const auto* endpoint = protocol.endpoint(analysis.options["endpoint"].get<std::string>());
            if (endpoint == nullptr) continue;  // reported under `endpoint`
            for (const auto& name : names(key)) {
                if (endpoint_event_index(*endpoint, name) < 0) {
                    parser.fail(node_of(key), context(key),
                                "not an event of endpoint " + endpoint->paramcd + " (its events: " + join(endpoint->events) + ")", name);
                }
            }
            if (key == "event") {
                if (endpoint->events.size() < 2) {
                    parser.fail(node_of(key), context(key),
                                "endpoint " + endpoint->paramcd + " has one event: nothing competes with it; list the competing events "
                                "in its `events` (e.g. [\"progression\", \"death\"])", endpoint->paramcd);
                }
                continue;
            }
            const int event = endpoint_event_index(*endpoint, analysis.options["event"].get<std::string>());
            std::vector<int> listed;
            for (const auto& name : names(key)) {
                const int index = endpoint_event_index(*endpoint, name);
                if (index == event) parser.fail(node_of(key), context(key), "the event of interest cannot compete with itself", name);
                listed.push_back(index);
            }
            for (int index = 0; index < static_cast<int>(endpoint->events.size()); ++index) {
                if (index != event && std::find(listed.begin(), listed.end(), index) == listed.end()) {
                    parser.fail(node_of(key), context(key),
                                "every event of endpoint " + endpoint->paramcd + " must be the event or a competing one; this one is neither",
                                endpoint->events[static_cast<std::size_t>(index)]);
                }
            }
        } else if (key == "by" || key == "strata" || ((analysis.kind == "iptw" || analysis.kind == "ps_match") && key == "treatment")) {
            for (const auto& name : names(key)) categorical(key, name);
        } else if (key == "variables") {
            for (const auto& name : names(key)) variable(key, name);
        } else if (key == "covariates") {
            for (const auto& name : names(key)) {
                if (variable(key, name).type == ValueType::date) {
                    parser.fail(node_of(key), context(key), "a date cannot be a covariate", name);
                }
            }
        } else if (key == "variable") {
            for (const auto& name : names(key)) {
                const auto& v = variable(key, name);
                if (!v.derivation || v.derivation->kind != Derivation::Kind::best_response) {
                    parser.fail(node_of(key), context(key), "expected a best-response variable (derive = \"best_response\")", name);
                }
            }
        } else if (key == "outcomes") {
            for (const auto& name : names(key)) {
                const auto colon = name.rfind(':');
                if (colon == std::string::npos) {
                    categorical(key, name);
                    continue;
                }
                const std::string grade = name.substr(colon + 1);
                if (colon == 0 || grade.size() != 1 || grade[0] < '1' || grade[0] > '5') {
                    parser.fail(node_of(key), context(key), "expected a variable or `term:k` with k a grade 1 to 5", name);
                }
            }
        }
    }
}

}  // namespace

const VariableDefinition* Protocol::variable(const std::string& name) const {
    for (const auto& v : variables) {
        if (v.name == name) return &v;
    }
    return nullptr;
}

int endpoint_event_index(const EndpointDefinition& endpoint, const std::string& name) {
    for (std::size_t index = 0; index < endpoint.events.size(); ++index) {
        const std::string& event = endpoint.events[index];
        if (event == name || event == lower(name)) return static_cast<int>(index);
    }
    return -1;
}

const EndpointDefinition* Protocol::endpoint(const std::string& paramcd) const {
    for (const auto& e : endpoints) {
        if (e.paramcd == paramcd) return &e;
    }
    return nullptr;
}

namespace {

NameScope scope_of(const std::vector<VariableDefinition>& variables) {
    NameScope scope;
    for (const auto& v : variables) scope.known.push_back(v.name);
    scope.lookup = [&variables](const std::string& name) -> std::optional<NameInfo> {
        for (std::size_t slot = 0; slot < variables.size(); ++slot) {
            if (variables[slot].name == name) return NameInfo{slot, variables[slot].type, variables[slot].levels};
        }
        return std::nullopt;
    };
    return scope;
}

}  // namespace

NameScope Protocol::adsl_scope() const { return scope_of(variables); }

Protocol parse_protocol_text(const std::string& text, const std::string& source_name) {
    Parser parser(source_name);
    toml::table root;
    try {
        root = toml::parse(text, source_name);
    } catch (const toml::parse_error& error) {
        throw InputError(source_name, error.source().begin.line, "",
                         std::string(error.description()), "");
    }
    Protocol protocol;
    protocol.path = source_name;
    protocol.text = text;

    parser.check_keys(root, "", {{"study", Type::table}, {"index", Type::table}, {"criterion", Type::any},
                                 {"variables", Type::table}, {"endpoints", Type::table}, {"analysis", Type::any},
                                 {"report", Type::table}});
    auto require = [&](const toml::table& table, const std::string& context, const std::string& key) -> const toml::node& {
        const toml::node* node = table.get(key);
        if (node == nullptr) {
            throw InputError(source_name, table.source().begin.line, context + key, "required key missing", "");
        }
        return *node;
    };

    // --- [study]
    const toml::table* study = root["study"].as_table();
    if (study == nullptr) throw InputError(source_name, 1, "study", "required table missing", "");
    parser.check_keys(*study, "study.", {{"id", Type::string}, {"title", Type::string},
                                          {"convention", Type::string}, {"time_unit", Type::string},
                                          {"small_cell", Type::integer}, {"conf_type", Type::string},
                                          {"median_ci", Type::string}, {"ties", Type::string},
                                          {"data_cutoff", Type::any}, {"patient_level_datasets", Type::boolean}});
    protocol.id = *require(*study, "study.", "id").value<std::string>();
    protocol.title = study->get("title") ? *study->get("title")->value<std::string>() : protocol.id;
    if (const auto* node = study->get("convention")) {
        const auto value = lower(*node->value<std::string>());
        if (value == "r") protocol.convention = Convention::r;
        else if (value == "sas") protocol.convention = Convention::sas;
        else if (value == "spss") protocol.convention = Convention::spss;
        else parser.fail(*node, "study.convention", "expected r, sas or spss", value);
    }
    protocol.stats = defaults_for(protocol.convention);
    auto choose = [&](const char* key, std::string& target, std::set<std::string> allowed) {
        if (const auto* node = study->get(key)) {
            const auto value = lower(*node->value<std::string>());
            if (!allowed.count(value)) parser.fail(*node, std::string("study.") + key, "not an allowed value", value);
            target = value;
        }
    };
    choose("conf_type", protocol.stats.conf_type, {"log", "log-log", "plain", "logit", "arcsin"});
    choose("median_ci", protocol.stats.median_ci, {"r", "spss"});
    choose("ties", protocol.stats.ties, {"efron", "breslow"});
    if (const auto* node = study->get("time_unit")) {
        const auto unit = lower(*node->value<std::string>());
        if (unit == "months") protocol.days_per_unit = days_per_month;
        else if (unit == "days") protocol.days_per_unit = 1;
        else if (unit == "weeks") protocol.days_per_unit = 7;
        else if (unit == "years") protocol.days_per_unit = 365.25;
        else parser.fail(*node, "study.time_unit", "expected days, weeks, months or years", unit);
        protocol.time_unit = unit;
    }
    if (const auto* node = study->get("small_cell")) {
        const std::int64_t value = *node->value<std::int64_t>();
        if (value < 0) parser.fail(*node, "study.small_cell", "must be >= 0");
        if (value > 1000000) parser.fail(*node, "study.small_cell", "must be at most 1000000", std::to_string(value));
        protocol.small_cell = static_cast<int>(value);
    }
    // Patient-level rows beside a report whose small cells are suppressed would give every
    // suppressed count back: with small_cell set they are written only when asked for.
    protocol.patient_level_datasets = protocol.small_cell <= 1;
    if (const auto* node = study->get("patient_level_datasets")) {
        protocol.patient_level_datasets = *node->value<bool>();
        protocol.patient_level_datasets_given = true;
        protocol.patient_level_datasets_line = node->source().begin.line;
    }
    if (const auto* node = study->get("data_cutoff")) protocol.data_cutoff = parse_date_node(parser, *node, "study.data_cutoff");

    // --- [report]
    if (const toml::table* report = root["report"].as_table()) {
        parser.check_keys(*report, "report.", {{"docx", Type::boolean}, {"csv_bom", Type::boolean}, {"csv_ascii", Type::boolean}});
        if (const auto* node = report->get("docx")) protocol.report.docx = *node->value<bool>();
        if (const auto* node = report->get("csv_bom")) protocol.report.csv_bom = *node->value<bool>();
        if (const auto* node = report->get("csv_ascii")) protocol.report.csv_ascii = *node->value<bool>();
    }

    // --- [index]
    const toml::table* index = root["index"].as_table();
    if (index == nullptr) throw InputError(source_name, 1, "index", "required table missing", "");
    parser.check_keys(*index, "index.", {{"setting", Type::any}, {"regimen", Type::any}, {"drugs", Type::any},
                                          {"arm", Type::any}, {"line", Type::any}, {"accrual", Type::any},
                                          {"label", Type::string}});
    auto& index_definition = protocol.index;
    if (const auto* node = index->get("setting")) {
        index_definition.settings = code_list(parser, *node, "index.setting");
        for (const auto& setting : index_definition.settings) {
            if (setting != "neoadjuvant" && setting != "adjuvant" && setting != "palliative") {
                parser.fail(*node, "index.setting", "expected neoadjuvant, adjuvant or palliative", setting);
            }
        }
    }
    if (const auto* arms = index->get("arm")) {
        if (!arms->is_array_of_tables()) parser.fail(*arms, "index.arm", "expected [[index.arm]] tables");
        if (index->get("regimen") || index->get("drugs")) {
            parser.fail(*arms, "index.arm", "give the regimen either in [index] or in each [[index.arm]], not both");
        }
        std::set<std::string> names;
        for (const auto& node : *arms->as_array()) {
            const auto& table = *node.as_table();
            parser.check_keys(table, "index.arm.", {{"name", Type::string}, {"regimen", Type::any}, {"drugs", Type::any}});
            RegimenChoice choice = parse_regimen_choice(parser, table, "index.arm.", true);
            choice.name = *require(table, "index.arm.", "name").value<std::string>();
            if (choice.name.empty() || !names.insert(lower(choice.name)).second) {
                parser.fail(node, "index.arm.name", "arm names must be unique and not empty", choice.name);
            }
            index_definition.regimens.push_back(std::move(choice));
        }
        if (index_definition.regimens.size() < 2) parser.fail(*arms, "index.arm", "needs two arms or more");
        index_definition.arms = true;
    } else {
        index_definition.regimens.push_back(parse_regimen_choice(parser, *index, "index.", false));
    }
    if (const auto* node = index->get("line")) {
        // Checked before narrowing to int: 4294967297 must not wrap to line 1.
        auto line_number = [&](const toml::node& item) {
            const std::int64_t value = *item.value<std::int64_t>();
            if (value > 1000) parser.fail(*node, "index.line", "expected line numbers from 1 to 1000", std::to_string(value));
            return static_cast<int>(std::max<std::int64_t>(value, -1000000));  // < 1: rejected below
        };
        if (node->is_integer()) {
            index_definition.line_first = index_definition.line_last = line_number(*node);
            if (index_definition.line_first < 1) parser.fail(*node, "index.line", "expected a line number >= 1, [first, last] or \"any\"",
                                                              std::to_string(index_definition.line_first));
        } else if (node->is_string() && lower(*node->value<std::string>()) == "any") {
            index_definition.line_first = index_definition.line_last = 0;
        } else if (node->is_array() && node->as_array()->size() == 2 && (*node->as_array())[0].is_integer() &&
                   (*node->as_array())[1].is_integer()) {
            index_definition.line_first = line_number((*node->as_array())[0]);
            index_definition.line_last = line_number((*node->as_array())[1]);
        } else {
            parser.fail(*node, "index.line", "expected a line number, [first, last] or \"any\"");
        }
        const bool any = node->is_string();
        if (!any && (index_definition.line_first < 1 || index_definition.line_last < index_definition.line_first)) {
            parser.fail(*node, "index.line", "expected lines >= 1, the first not after the last");
        }
        if (index_definition.line_first > 0 &&
            std::find(index_definition.settings.begin(), index_definition.settings.end(), "palliative") ==
                index_definition.settings.end()) {
            parser.fail(*node, "index.line", "only palliative lines are numbered; add \"palliative\" to index.setting");
        }
    }
    const toml::node& accrual = require(*index, "index.", "accrual");
    if (!accrual.is_array() || accrual.as_array()->size() != 2) {
        parser.fail(accrual, "index.accrual", "expected [first date, last date]");
    }
    index_definition.accrual_start = parse_date_node(parser, *accrual.as_array()->get(0), "index.accrual");
    index_definition.accrual_end = parse_date_node(parser, *accrual.as_array()->get(1), "index.accrual");
    if (index_definition.accrual_end < index_definition.accrual_start) {
        parser.fail(accrual, "index.accrual", "the window ends before it starts");
    }
    if (protocol.data_cutoff && index_definition.accrual_end > *protocol.data_cutoff) {
        parser.fail(accrual, "index.accrual", "the window ends after the data cut-off (study.data_cutoff)",
                    format_iso_date(index_definition.accrual_end));
    }
    if (const auto* node = index->get("label")) {
        index_definition.label = *node->value<std::string>();
    } else {
        std::vector<std::string> names;
        for (const auto& choice : index_definition.regimens) names.push_back(describe_choice(choice));
        index_definition.label = join(names, " or ");
    }

    // --- [variables], in the order written; TRTSDT (and ARM) come first.
    protocol.variables.push_back({"TRTSDT", "Index date", ValueType::date, {}, {}, nullptr, std::nullopt, std::nullopt, 0});
    if (index_definition.arms) {
        VariableDefinition arm{"ARM", "Index regimen (arm)", ValueType::text, {}, {}, nullptr, std::nullopt, std::nullopt, 0};
        for (const auto& choice : index_definition.regimens) arm.levels.push_back(choice.name);
        protocol.variables.push_back(std::move(arm));
    }
    if (const toml::table* variables = root["variables"].as_table()) {
        for (const auto& [name, node] : in_written_order(*variables)) {
            const std::string context = "variables." + name;
            if (!node->is_table()) parser.fail(*node, context, "expected a table { derive = ..., ... } or { expr = ..., ... }");
            if (!valid_name(name)) parser.fail(*node, context, "not a valid name (letters, digits and _, not a keyword)", name);
            if (reserved_names.count(name)) parser.fail(*node, context, "reserved name", name);
            if (protocol.variable(name)) parser.fail(*node, context, "defined twice", name);
            const toml::table& table = *node->as_table();
            VariableDefinition variable;
            variable.name = name;
            variable.line = node->source().begin.line;
            std::vector<std::string> allowed{"label", "levels", "value_labels", "default", "summary"};
            const NameScope scope = scope_of(protocol.variables);
            if (table.get("derive") && table.get("expr")) parser.fail(*node, context, "give `derive` or `expr`, not both");
            if (table.get("derive")) {
                std::vector<std::string> consumed;
                variable.derivation = parse_derivation(table, name, source_name, scope, consumed);
                variable.type = variable.derivation->type;
                variable.levels = variable.derivation->levels;
                allowed.push_back("derive");
                allowed.insert(allowed.end(), consumed.begin(), consumed.end());
            } else if (const auto* expr = table.get("expr")) {
                if (!expr->is_string()) parser.fail(*expr, context + ".expr", "expected a string");
                variable.expression = Expression::parse(*expr->value<std::string>(),
                                                        {source_name, expr->source().begin.line, context + ".expr"}, scope);
                variable.type = variable.expression->type();
                variable.levels = variable.expression->result_levels();
                allowed.push_back("expr");
            } else {
                parser.fail(*node, context, "needs `derive` (a library derivation) or `expr` (an expression)");
            }
            for (const auto& [key, value] : table) {
                if (std::find(allowed.begin(), allowed.end(), std::string(key.str())) == allowed.end()) {
                    parser.fail(value, context + "." + std::string(key.str()), "unknown key (allowed: " + join(allowed) + ")");
                }
            }
            variable.label = name;
            if (const auto* label = table.get("label")) {
                if (!label->is_string()) parser.fail(*label, context + ".label", "expected a string");
                variable.label = *label->value<std::string>();
            }
            if (variable.type == ValueType::boolean) variable.levels = {"N", "Y"};
            if (const auto* levels = table.get("levels")) {
                if (variable.type != ValueType::text) parser.fail(*levels, context + ".levels", "only a text variable has levels");
                parser.check_type(*levels, context + ".levels", Type::strings);
                std::vector<std::string> declared;
                for (const auto& level : *levels->as_array()) declared.push_back(*level.value<std::string>());
                if (!variable.levels.empty()) {
                    for (const auto& level : declared) {
                        const bool known = std::any_of(variable.levels.begin(), variable.levels.end(),
                                                       [&](const std::string& l) { return lower(l) == lower(level); });
                        if (!known) parser.fail(*levels, context + ".levels", "not a value this variable can take (" + join(variable.levels) + ")", level);
                    }
                }
                variable.levels = declared;
            }
            if (const auto* labels = table.get("value_labels")) {
                if (!labels->is_table()) parser.fail(*labels, context + ".value_labels", "expected a table { level = \"text\" }");
                if (variable.type != ValueType::text && variable.type != ValueType::boolean) {
                    parser.fail(*labels, context + ".value_labels", "only a text or true/false variable has value labels");
                }
                for (const auto& [level_key, text_node] : *labels->as_table()) {
                    const std::string level(level_key.str());
                    if (!text_node.is_string()) parser.fail(text_node, context + ".value_labels." + level, "expected a string");
                    if (!variable.levels.empty() &&
                        std::find(variable.levels.begin(), variable.levels.end(), level) == variable.levels.end()) {
                        parser.fail(text_node, context + ".value_labels." + level,
                                    "not a value this variable can take (" + join(variable.levels) + ")", level);
                    }
                    variable.value_labels[level] = *text_node.value<std::string>();
                }
            }
            if (const auto* summary = table.get("summary")) {
                if (!summary->is_string()) parser.fail(*summary, context + ".summary", "expected a string");
                variable.summary = *summary->value<std::string>();
                if (variable.summary != "median_range" && variable.summary != "median_iqr" && variable.summary != "mean_sd") {
                    parser.fail(*summary, context + ".summary", "not an allowed value (allowed: median_range, median_iqr, mean_sd)",
                                variable.summary);
                }
                if (variable.type != ValueType::number) parser.fail(*summary, context + ".summary", "only a number has a summary");
            }
            if (const auto* fallback = table.get("default")) {
                variable.fallback = literal_value(parser, *fallback, context + ".default", variable.type);
                if (variable.type == ValueType::text && !variable.levels.empty() &&
                    std::find(variable.levels.begin(), variable.levels.end(), variable.fallback->text) == variable.levels.end()) {
                    variable.levels.push_back(variable.fallback->text);
                }
            }
            protocol.variables.push_back(std::move(variable));
        }
    }
    const NameScope adsl = protocol.adsl_scope();

    // --- [[criterion]], in order.
    if (const toml::node* criteria = root.get("criterion")) {
        if (!criteria->is_array_of_tables()) parser.fail(*criteria, "criterion", "expected [[criterion]] tables");
        std::size_t number = 0;
        for (const auto& node : *criteria->as_array()) {
            ++number;
            const auto& table = *node.as_table();
            const std::string context = "criterion[" + std::to_string(number) + "].";
            parser.check_keys(table, context, {{"include", Type::string}, {"exclude", Type::string},
                                               {"label", Type::string}, {"reason", Type::string}});
            const toml::node* include = table.get("include");
            const toml::node* exclude = table.get("exclude");
            if ((include == nullptr) == (exclude == nullptr)) parser.fail(node, context + "include", "give `include` or `exclude` (one of them)");
            const toml::node& expr = include ? *include : *exclude;
            Criterion criterion;
            criterion.exclude = exclude != nullptr;
            criterion.line = node.source().begin.line;
            criterion.expression = Expression::parse(*expr.value<std::string>(),
                                                     {source_name, expr.source().begin.line, context + (include ? "include" : "exclude")},
                                                     adsl, ValueType::boolean);
            criterion.label = *require(table, context, "label").value<std::string>();
            criterion.reason = table.get("reason") ? *table.get("reason")->value<std::string>()
                                                   : (criterion.exclude ? criterion.label : "Not: " + criterion.label);
            protocol.criteria.push_back(std::move(criterion));
        }
    }

    // --- [endpoints]
    if (const toml::table* endpoints = root["endpoints"].as_table()) {
        const std::vector<std::string> origins{"index", "surgery", "first_response", "next_line"};
        const std::vector<std::string> event_kinds{"death", "progression", "next_line", "index_line_end", "metastasis"};
        const std::vector<std::string> censor_kinds{"last_contact", "last_assessment", "next_line"};
        auto date_variable = [&](const std::string& name) {
            const auto* v = protocol.variable(name);
            return v != nullptr && v->type == ValueType::date;
        };
        for (const auto& [name, node] : in_written_order(*endpoints)) {
            const std::string context = "endpoints." + name;
            if (!node->is_table()) parser.fail(*node, context, "expected a table { origin, events, censor, ... }");
            if (!valid_name(name)) parser.fail(*node, context, "not a valid name (letters, digits and _)", name);
            if (protocol.endpoint(name)) parser.fail(*node, context, "defined twice", name);
            const auto& table = *node->as_table();
            parser.check_keys(table, context + ".", {{"label", Type::string}, {"origin", Type::string},
                                                     {"events", Type::any}, {"censor", Type::any},
                                                     {"population", Type::string}});
            EndpointDefinition endpoint;
            endpoint.paramcd = name;
            endpoint.line = node->source().begin.line;
            endpoint.label = table.get("label") ? *table.get("label")->value<std::string>() : name;
            if (const auto* origin = table.get("origin")) {
                endpoint.origin = *origin->value<std::string>();
                if (std::find(origins.begin(), origins.end(), lower(endpoint.origin)) != origins.end()) {
                    endpoint.origin = lower(endpoint.origin);
                } else if (!date_variable(endpoint.origin)) {
                    parser.fail(*origin, context + ".origin", "expected " + join(origins) + " or a date variable", endpoint.origin);
                }
            }
            auto names_of = [&](const char* key, const std::vector<std::string>& kinds, bool variables_allowed) {
                std::vector<std::string> out;
                const auto* list = table.get(key);
                if (list == nullptr) return out;
                std::vector<std::string> raw;
                if (list->is_string()) raw.push_back(*list->value<std::string>());
                else if (list->is_array() && list->as_array()->is_homogeneous(toml::node_type::string) && !list->as_array()->empty()) {
                    for (const auto& item : *list->as_array()) raw.push_back(*item.value<std::string>());
                } else {
                    parser.fail(*list, context + "." + key, "expected a string or a non-empty array of strings");
                }
                for (const auto& item : raw) {
                    if (std::find(kinds.begin(), kinds.end(), lower(item)) != kinds.end()) out.push_back(lower(item));
                    else if (variables_allowed && date_variable(item)) out.push_back(item);
                    else parser.fail(*list, context + "." + key, "expected " + join(kinds) + (variables_allowed ? " or a date variable" : ""), item);
                }
                return out;
            };
            if (table.get("events")) endpoint.events = names_of("events", event_kinds, true);
            if (table.get("censor")) endpoint.censor = names_of("censor", censor_kinds, false);
            if (std::find(endpoint.censor.begin(), endpoint.censor.end(), "last_contact") != endpoint.censor.end() &&
                std::find(endpoint.censor.begin(), endpoint.censor.end(), "last_assessment") != endpoint.censor.end()) {
                parser.fail(*table.get("censor"), context + ".censor",
                            "give last_contact or last_assessment, not both (they censor at different dates)");
            }
            if (std::find(endpoint.censor.begin(), endpoint.censor.end(), "last_contact") == endpoint.censor.end() &&
                std::find(endpoint.censor.begin(), endpoint.censor.end(), "last_assessment") == endpoint.censor.end()) {
                endpoint.censor.push_back("last_contact");
            }
            if (const auto* population = table.get("population")) {
                endpoint.population = Expression::parse(*population->value<std::string>(),
                                                        {source_name, population->source().begin.line, context + ".population"},
                                                        adsl, ValueType::boolean);
            }
            protocol.endpoints.push_back(std::move(endpoint));
        }
    }

    // --- [[analysis]]
    if (const toml::node* analyses = root.get("analysis")) {
        if (!analyses->is_array_of_tables()) parser.fail(*analyses, "analysis", "expected [[analysis]] tables");
        std::set<std::string> ids;
        for (const auto& node : *analyses->as_array()) {
            const auto& table = *node.as_table();
            const toml::node* kind_node = table.get("kind");
            if (kind_node == nullptr || !kind_node->is_string()) {
                parser.fail(node, "analysis.kind", "required string key missing");
            }
            const std::string kind = *kind_node->value<std::string>();
            if (protocol.small_cell > 1 && has_analysis_runner(kind) && !report::suppression_covers(kind)) {
                parser.fail(*kind_node, "analysis.kind",
                            "small-cell suppression (study.small_cell) does not cover this kind yet, so its counts "
                            "would be published as they are; remove small_cell or this analysis",
                            kind);
            }
            check_analysis_table(table, kind, source_name);
            // With suppression the risk table shows only numbers at risk: censored and event
            // rows beside them would give back counts the complementary pass has not covered.
            if (protocol.small_cell > 1) {
                if (const auto* figure = table.get("figure"); figure != nullptr && figure->is_table()) {
                    if (const auto* rows = figure->as_table()->get("risk_table_rows"); rows != nullptr && rows->is_array()) {
                        for (const auto& row : *rows->as_array()) {
                            const auto name = row.value<std::string>();
                            if (name && (*name == "censored" || *name == "events")) {
                                const auto id = table.get("id") ? table.get("id")->value<std::string>() : std::nullopt;
                                parser.fail(row, "analysis." + id.value_or(kind) + ".figure.risk_table_rows",
                                            "with small-cell suppression (study.small_cell) the risk table shows numbers at risk only",
                                            *name);
                            }
                        }
                    }
                }
            }
            Analysis analysis;
            analysis.kind = kind;
            analysis.id = table.get("id") ? *table.get("id")->value<std::string>() : kind;
            if (!ids.insert(analysis.id).second) parser.fail(node, "analysis.id", "duplicate id", analysis.id);
            analysis.line = node.source().begin.line;
            for (const auto& [key, value] : table) analysis.key_lines[std::string(key.str())] = value.source().begin.line;
            if (const auto* where = table.get("where")) {
                analysis.where = Expression::parse(*where->value<std::string>(),
                                                   {source_name, where->source().begin.line, "analysis." + analysis.id + ".where"},
                                                   adsl, ValueType::boolean);
            }
            analysis.options = to_json(table);
            analysis.published = analysis.options.contains("published") ? analysis.options["published"] : nlohmann::json::object();
            analysis.options.erase("published");
            analysis.options.erase("where");
            check_analysis_names(parser, analysis, protocol, table);
            protocol.analyses.push_back(std::move(analysis));
        }
    }
    return protocol;
}

Protocol parse_protocol(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError(path + ": cannot open protocol");
    std::stringstream buffer;
    buffer << in.rdbuf();
    return parse_protocol_text(buffer.str(), path);
}

}  // namespace rwe::study
