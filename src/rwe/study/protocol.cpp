#include "rwe/study/protocol.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "rwe/common/error.hpp"
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

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

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

std::vector<std::string> strings_of(const toml::node* node, bool to_lower) {
    std::vector<std::string> out;
    if (node == nullptr) return out;
    for (const auto& item : *node->as_array()) {
        out.push_back(to_lower ? lower(*item.value<std::string>()) : *item.value<std::string>());
    }
    return out;
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

    parser.check_keys(root, "", {{"study", Type::table}, {"index", Type::table},
                                 {"eligibility", Type::table}, {"derive", Type::table},
                                 {"bands", Type::table}, {"analysis", Type::any}});
    auto require = [&](const toml::table& table, const std::string& context, const std::string& key) -> const toml::node& {
        const toml::node* node = table.get(key);
        if (node == nullptr) {
            throw InputError(source_name, table.source().begin.line, context + key, "required key missing", "");
        }
        return *node;
    };

    const toml::table* study = root["study"].as_table();
    if (study == nullptr) throw InputError(source_name, 1, "study", "required table missing", "");
    parser.check_keys(*study, "study.", {{"id", Type::string}, {"title", Type::string},
                                          {"convention", Type::string}, {"time_unit", Type::string},
                                          {"small_cell", Type::integer}, {"conf_type", Type::string},
                                          {"median_ci", Type::string}, {"ties", Type::string}});
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
        protocol.small_cell = static_cast<int>(*node->value<std::int64_t>());
        if (protocol.small_cell < 0) parser.fail(*node, "study.small_cell", "must be >= 0");
    }

    const toml::table* index = root["index"].as_table();
    if (index == nullptr) throw InputError(source_name, 1, "index", "required table missing", "");
    parser.check_keys(*index, "index.", {{"setting", Type::string}, {"regimen", Type::string},
                                          {"line", Type::integer}, {"accrual", Type::any}});
    if (const auto* node = index->get("setting")) protocol.index.setting = lower(*node->value<std::string>());
    protocol.index.regimen = lower(*require(*index, "index.", "regimen").value<std::string>());
    if (const auto* node = index->get("line")) protocol.index.line = static_cast<int>(*node->value<std::int64_t>());
    const toml::node& accrual = require(*index, "index.", "accrual");
    if (!accrual.is_array() || accrual.as_array()->size() != 2) {
        parser.fail(accrual, "index.accrual", "expected [first date, last date]");
    }
    protocol.index.accrual_start = parse_date_node(parser, *accrual.as_array()->get(0), "index.accrual");
    protocol.index.accrual_end = parse_date_node(parser, *accrual.as_array()->get(1), "index.accrual");
    if (protocol.index.accrual_end < protocol.index.accrual_start) {
        parser.fail(accrual, "index.accrual", "the window ends before it starts");
    }

    if (const toml::table* eligibility = root["eligibility"].as_table()) {
        parser.check_keys(*eligibility, "eligibility.", {{"her2_positive", Type::boolean},
                                                         {"her2_ish_threshold", Type::number}});
        if (const auto* node = eligibility->get("her2_positive")) protocol.eligibility.her2_positive = *node->value<bool>();
        if (const auto* node = eligibility->get("her2_ish_threshold")) protocol.eligibility.her2_ish_threshold = *node->value<double>();
    }

    if (const toml::table* derive = root["derive"].as_table()) {
        parser.check_keys(*derive, "derive.", {{"cycles_drug", Type::string},
                                               {"prior_exposure_drugs", Type::strings},
                                               {"prior_exposure_settings", Type::strings},
                                               {"site_window_days", Type::integer},
                                               {"long_term_months", Type::number},
                                               {"second_line_regimen", Type::string}});
        auto& d = protocol.derive;
        if (const auto* node = derive->get("cycles_drug")) d.cycles_drug = lower(*node->value<std::string>());
        if (derive->get("prior_exposure_drugs")) d.prior_exposure_drugs = strings_of(derive->get("prior_exposure_drugs"), true);
        if (derive->get("prior_exposure_settings")) d.prior_exposure_settings = strings_of(derive->get("prior_exposure_settings"), true);
        if (const auto* node = derive->get("site_window_days")) d.site_window_days = static_cast<int>(*node->value<std::int64_t>());
        if (const auto* node = derive->get("long_term_months")) d.long_term_months = *node->value<double>();
        if (const auto* node = derive->get("second_line_regimen")) d.second_line_regimen = lower(*node->value<std::string>());
    }

    if (const toml::table* bands = root["bands"].as_table()) {
        for (const auto& [key, node] : *bands) {
            const std::string name(key.str());
            if (!node.is_table()) parser.fail(node, "bands." + name, "expected a table { from, upper, labels }");
            const auto& table = *node.as_table();
            parser.check_keys(table, "bands." + name + ".", {{"from", Type::string}, {"upper", Type::numbers},
                                                             {"labels", Type::strings}, {"label", Type::string}});
            Band band;
            band.name = name;
            band.from = *require(table, "bands." + name + ".", "from").value<std::string>();
            for (const auto& value : *require(table, "bands." + name + ".", "upper").as_array()) band.upper.push_back(*value.value<double>());
            band.labels = strings_of(&require(table, "bands." + name + ".", "labels"), false);
            if (const auto* label = table.get("label")) band.label = *label->value<std::string>();
            if (band.labels.size() != band.upper.size() + 1) {
                parser.fail(node, "bands." + name, "needs one label more than upper limits");
            }
            if (!std::is_sorted(band.upper.begin(), band.upper.end())) parser.fail(node, "bands." + name + ".upper", "limits must ascend");
            protocol.bands.push_back(std::move(band));
        }
    }

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
            check_analysis_table(table, kind, source_name);
            Analysis analysis;
            analysis.kind = kind;
            analysis.id = table.get("id") ? *table.get("id")->value<std::string>() : kind;
            if (!ids.insert(analysis.id).second) parser.fail(node, "analysis.id", "duplicate id", analysis.id);
            analysis.line = node.source().begin.line;
            analysis.options = to_json(table);
            analysis.published = analysis.options.contains("published") ? analysis.options["published"] : nlohmann::json::object();
            analysis.options.erase("published");
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
