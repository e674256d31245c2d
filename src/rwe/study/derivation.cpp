#include "rwe/study/derivation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "rwe/common/error.hpp"
#include "rwe/common/text.hpp"

namespace rwe::study {

namespace {

using Kind = Derivation::Kind;

std::string lower(const std::string& text) { return ascii_lower(text); }

std::string to_upper(const std::string& text) { return ascii_upper(text); }

bool contains(const std::vector<std::string>& list, const std::string& value) {
    return std::find(list.begin(), list.end(), value) != list.end();
}

int response_rank(const std::string& response) {
    if (response == "cr") return 4;
    if (response == "pr") return 3;
    if (response == "sd") return 2;
    if (response == "pd") return 1;
    return 0;  // ne
}

Value date_value(const std::optional<Day>& day) { return day ? Value::of_date(*day) : Value{}; }

struct Library {
    const char* name;
    Kind kind;
    std::vector<const char*> keys;  // arguments besides `derive`
    const char* summary;
};

const std::vector<Library>& library() {
    static const std::vector<Library> entries{
        {"age", Kind::age, {}, "completed years from birth to the index date"},
        {"patient", Kind::patient, {"field"}, "a field of patients.csv"},
        {"tumor", Kind::tumor, {"field"}, "a field of the index tumour"},
        {"biomarker", Kind::biomarker, {"marker", "method", "which", "field"}, "a biomarker result or value"},
        {"observation", Kind::observation, {"name", "window", "field"}, "the observation nearest the index date"},
        {"metastasis", Kind::metastasis, {"sites", "window_days"}, "metastatic sites at the index date"},
        {"prior_exposure", Kind::prior_exposure, {"drugs", "regimens", "settings"}, "a regimen before the index date"},
        {"prior_regimens", Kind::prior_regimens, {"settings"}, "the regimens before the index date, listed"},
        {"administrations", Kind::administrations, {"drugs", "within_days"}, "administration days in the index line"},
        {"index_line", Kind::index_line, {"field"}, "a field of the index line"},
        {"best_response", Kind::best_response, {"measurable_only"}, "best overall response of the index line"},
        {"first_response", Kind::first_response, {}, "date of the first CR or PR of the index line"},
        {"progression", Kind::progression, {"field"}, "progression after the index date"},
        {"next_line", Kind::next_line, {"field"}, "the line after the index line"},
        {"band", Kind::band, {"from", "upper", "labels"}, "a numeric variable cut into bands"},
    };
    return entries;
}

class Args {
public:
    Args(const toml::table& table, std::string variable, std::string source)
        : table_(table), variable_(std::move(variable)), source_(std::move(source)) {}

    [[noreturn]] void fail(const toml::node& node, const std::string& key, const std::string& problem,
                           const std::string& value = "") const {
        throw InputError(source_, node.source().begin.line, "variables." + variable_ + "." + key, problem, value);
    }
    [[noreturn]] void fail_table(const std::string& key, const std::string& problem) const {
        throw InputError(source_, table_.source().begin.line, "variables." + variable_ + "." + key, problem, "");
    }
    const toml::node* get(const std::string& key) const { return table_.get(key); }

    std::optional<std::string> text(const std::string& key, bool lowered = true) const {
        const auto* node = get(key);
        if (node == nullptr) return std::nullopt;
        if (!node->is_string()) fail(*node, key, "expected a string");
        auto value = *node->value<std::string>();
        if (value.empty()) fail(*node, key, "must not be empty");
        return lowered ? lower(value) : value;
    }
    std::string choice(const std::string& key, const std::vector<std::string>& allowed,
                       const std::string& fallback) const {
        auto value = text(key);
        if (!value) {
            if (fallback.empty()) fail_table(key, "required key missing (one of " + join(allowed) + ")");
            return fallback;
        }
        if (!contains(allowed, *value)) fail(*get(key), key, "expected one of " + join(allowed), *value);
        return *value;
    }
    std::vector<std::string> texts(const std::string& key) const {
        std::vector<std::string> out;
        const auto* node = get(key);
        if (node == nullptr) return out;
        if (node->is_string()) return {lower(*node->value<std::string>())};
        if (!node->is_array() || !node->as_array()->is_homogeneous(toml::node_type::string)) {
            fail(*node, key, "expected a string or an array of strings");
        }
        for (const auto& item : *node->as_array()) out.push_back(lower(*item.value<std::string>()));
        if (out.empty()) fail(*node, key, "must not be empty");
        return out;
    }
    std::optional<std::int64_t> integer(const std::string& key) const {
        const auto* node = get(key);
        if (node == nullptr) return std::nullopt;
        if (!node->is_integer()) fail(*node, key, "expected an integer");
        return *node->value<std::int64_t>();
    }
    std::optional<bool> boolean(const std::string& key) const {
        const auto* node = get(key);
        if (node == nullptr) return std::nullopt;
        if (!node->is_boolean()) fail(*node, key, "expected true or false");
        return *node->value<bool>();
    }

    static std::string join(const std::vector<std::string>& list) {
        std::string out;
        for (const auto& item : list) out += (out.empty() ? "" : ", ") + item;
        return out;
    }

private:
    const toml::table& table_;
    std::string variable_;
    std::string source_;
};

struct FieldType {
    const char* name;
    ValueType type;
    std::vector<std::string> levels;
};

FieldType pick_field(const Args& args, const std::vector<FieldType>& fields, const char* fallback) {
    std::vector<std::string> names;
    for (const auto& field : fields) names.emplace_back(field.name);
    const std::string chosen = args.choice("field", names, fallback ? fallback : "");
    for (const auto& field : fields) {
        if (chosen == field.name) return field;
    }
    return fields.front();
}

const std::vector<std::string> stage_levels{"0", "i", "ii", "iii", "iv", "unknown"};
const std::vector<std::string> visceral_sites{"lung", "liver", "pleura", "peritoneum", "adrenal", "other_visceral"};
const std::vector<std::string> site_codes{"lung", "liver", "pleura", "peritoneum", "adrenal", "other_visceral",
                                          "bone", "brain", "distant_lymph_node", "skin_soft_tissue", "other"};
const std::vector<std::string> setting_codes{"neoadjuvant", "adjuvant", "palliative"};

}  // namespace

std::vector<std::string> derivation_names() {
    std::vector<std::string> out;
    for (const auto& entry : library()) out.emplace_back(entry.name);
    return out;
}

std::shared_ptr<const Derivation> parse_derivation(const toml::table& table, const std::string& variable,
                                                   const std::string& source, const NameScope& scope,
                                                   std::vector<std::string>& consumed) {
    Args args(table, variable, source);
    const std::string name = *args.text("derive");
    auto entry = std::find_if(library().begin(), library().end(), [&](const Library& l) { return name == l.name; });
    if (entry == library().end()) {
        args.fail(*args.get("derive"), "derive", "unknown derivation (known: " + Args::join(derivation_names()) + ")", name);
    }
    consumed.assign(entry->keys.begin(), entry->keys.end());
    auto d = std::make_shared<Derivation>();
    d->kind = entry->kind;
    switch (d->kind) {
        case Kind::age:
            d->type = ValueType::number;
            break;
        case Kind::patient: {
            const FieldType field = pick_field(args, {{"sex", ValueType::text, {"f", "m"}},
                                                  {"menopausal_status", ValueType::text, {"pre", "post", "unknown"}},
                                                  {"birth_date", ValueType::date, {}},
                                                  {"death_date", ValueType::date, {}},
                                                  {"last_contact_date", ValueType::date, {}}},
                                           nullptr);
            d->field = field.name, d->type = field.type, d->levels = field.levels;
            break;
        }
        case Kind::tumor: {
            const FieldType field = pick_field(args, {{"stage", ValueType::text, stage_levels},
                                                  {"primary_site", ValueType::text, {}},
                                                  {"histology", ValueType::text, {}},
                                                  {"diagnosis_date", ValueType::date, {}},
                                                  {"surgery_date", ValueType::date, {}},
                                                  {"metastasis_date", ValueType::date, {}}},
                                           nullptr);
            d->field = field.name, d->type = field.type, d->levels = field.levels;
            break;
        }
        case Kind::biomarker: {
            const auto marker = args.text("marker");
            if (!marker) args.fail_table("marker", "required key missing");
            d->code = *marker;
            d->methods = args.texts("method");
            d->which = args.choice("which", {"diagnosis", "latest"}, "diagnosis");
            const FieldType field = pick_field(args, {{"result", ValueType::text, {}}, {"value", ValueType::number, {}}}, "result");
            d->field = field.name, d->type = field.type;
            break;
        }
        case Kind::observation: {
            const auto observed = args.text("name");
            if (!observed) args.fail_table("name", "required key missing");
            d->code = *observed;
            d->window_from = -30, d->window_to = 0;
            if (const auto* node = args.get("window")) {
                const auto* array = node->as_array();
                if (array == nullptr || array->size() != 2 || !(*array)[0].is_integer() || !(*array)[1].is_integer()) {
                    args.fail(*node, "window", "expected [first day, last day] relative to the index date, e.g. [-30, 7]");
                }
                d->window_from = static_cast<int>(*(*array)[0].value<std::int64_t>());
                d->window_to = static_cast<int>(*(*array)[1].value<std::int64_t>());
                if (d->window_to < d->window_from) args.fail(*node, "window", "the window ends before it starts");
            }
            const FieldType field = pick_field(args, {{"value", ValueType::number, {}}, {"result", ValueType::text, {}}}, "value");
            d->field = field.name, d->type = field.type;
            break;
        }
        case Kind::metastasis: {
            d->type = ValueType::boolean;
            for (const auto& site : args.texts("sites")) {
                if (site == "visceral") {
                    d->sites.insert(d->sites.end(), visceral_sites.begin(), visceral_sites.end());
                } else if (contains(site_codes, site)) {
                    d->sites.push_back(site);
                } else {
                    args.fail(*args.get("sites"), "sites", "unknown site (known: visceral, " + Args::join(site_codes) + ")", site);
                }
            }
            if (d->sites.empty()) args.fail_table("sites", "required key missing");
            const auto window = args.integer("window_days").value_or(0);
            if (window < 0) args.fail(*args.get("window_days"), "window_days", "must be >= 0", std::to_string(window));
            d->window_to = static_cast<int>(window);
            break;
        }
        case Kind::prior_exposure:
        case Kind::prior_regimens: {
            d->type = d->kind == Kind::prior_exposure ? ValueType::boolean : ValueType::text;
            d->settings = args.texts("settings");
            if (d->settings.empty()) d->settings = {"neoadjuvant", "adjuvant"};
            for (const auto& setting : d->settings) {
                if (!contains(setting_codes, setting)) {
                    args.fail(*args.get("settings"), "settings", "expected neoadjuvant, adjuvant or palliative", setting);
                }
            }
            if (d->kind == Kind::prior_exposure) {
                d->drugs = args.texts("drugs");
                d->regimens = args.texts("regimens");
            }
            break;
        }
        case Kind::administrations: {
            d->type = ValueType::number;
            d->drugs = args.texts("drugs");
            if (auto within = args.integer("within_days")) {
                if (*within < 0) args.fail(*args.get("within_days"), "within_days", "must be >= 0", std::to_string(*within));
                d->within_days = static_cast<int>(*within);
            }
            break;
        }
        case Kind::index_line:
        case Kind::next_line: {
            std::vector<FieldType> fields{{"regimen", ValueType::text, {}},
                                          {"start_date", ValueType::date, {}},
                                          {"end_date", ValueType::date, {}},
                                          {"end_reason", ValueType::text, {"progression", "toxicity", "completed", "death", "patient_choice", "other", "ongoing"}},
                                          {"line", ValueType::number, {}},
                                          {"clinical_trial", ValueType::boolean, {}},
                                          {"measurable_disease", ValueType::text, {"yes", "no", "unknown"}},
                                          {"setting", ValueType::text, setting_codes}};
            if (d->kind == Kind::index_line) {
                fields.push_back({"end_or_last_contact", ValueType::date, {}});
                fields.push_back({"duration", ValueType::number, {}});
                fields.push_back({"ongoing", ValueType::boolean, {}});
            }
            const FieldType field = pick_field(args, fields, nullptr);
            d->field = field.name, d->type = field.type, d->levels = field.levels;
            break;
        }
        case Kind::best_response:
            d->type = ValueType::text;
            d->levels = {"CR", "PR", "SD", "PD", "NE"};
            d->measurable_only = args.boolean("measurable_only").value_or(true);
            break;
        case Kind::first_response:
            d->type = ValueType::date;
            break;
        case Kind::progression: {
            const FieldType field = pick_field(args, {{"any", ValueType::boolean, {}}, {"date", ValueType::date, {}}}, "any");
            d->field = field.name, d->type = field.type;
            break;
        }
        case Kind::band: {
            d->type = ValueType::text;
            const auto from = args.text("from", false);
            if (!from) args.fail_table("from", "required key missing");
            const auto info = scope.lookup(*from);
            if (!info) args.fail(*args.get("from"), "from", "unknown variable (bands cut a variable defined above)", *from);
            if (info->type != ValueType::number) args.fail(*args.get("from"), "from", "must name a numeric variable", *from);
            d->from_slot = info->slot;
            const auto* upper_node = args.get("upper");
            if (upper_node == nullptr) args.fail_table("upper", "required key missing");
            const auto* limits = upper_node->as_array();
            if (limits == nullptr || limits->empty()) args.fail(*upper_node, "upper", "expected an array of numbers");
            for (const auto& limit : *limits) {
                auto value = limit.value<double>();
                if (!value || !(limit.is_integer() || limit.is_floating_point())) args.fail(*upper_node, "upper", "expected an array of numbers");
                if (!std::isfinite(*value)) args.fail(*upper_node, "upper", "limits must be finite numbers");
                d->upper.push_back(*value);
            }
            if (!std::is_sorted(d->upper.begin(), d->upper.end()) ||
                std::adjacent_find(d->upper.begin(), d->upper.end()) != d->upper.end()) {
                args.fail(*upper_node, "upper", "limits must ascend");
            }
            const auto* labels = args.get("labels");
            if (labels == nullptr) args.fail_table("labels", "required key missing");
            if (!labels->is_array() || !labels->as_array()->is_homogeneous(toml::node_type::string)) {
                args.fail(*labels, "labels", "expected an array of strings");
            }
            for (const auto& label : *labels->as_array()) d->labels.push_back(*label.value<std::string>());
            if (d->labels.size() != d->upper.size() + 1) {
                args.fail(*labels, "labels", fmt::format("needs one label more than upper limits ({} limits, {} labels)",
                                                         d->upper.size(), d->labels.size()));
            }
            if (std::set<std::string>(d->labels.begin(), d->labels.end()).size() != d->labels.size()) {
                args.fail(*labels, "labels", "labels must differ");
            }
            d->levels = d->labels;
            break;
        }
    }
    return d;
}

const Tumor* index_tumor(const Patient& patient, Day index) {
    // The tumour behind the metastatic disease: the latest diagnosed on or before the
    // index date that has a metastasis date, else the latest diagnosed.
    const Tumor* best = nullptr;
    for (const auto& tumor : patient.tumors) {
        if (tumor.diagnosis > index) continue;
        const bool better = best == nullptr ||
                            (tumor.metastasis.has_value() && !best->metastasis.has_value()) ||
                            (tumor.metastasis.has_value() == best->metastasis.has_value() &&
                             tumor.diagnosis > best->diagnosis);
        if (better) best = &tumor;
    }
    return best;
}

bool assesses(const Assessment& assessment, const Regimen& line, Day line_end) {
    if (!assessment.regimen_id.empty()) return assessment.regimen_id == line.id;
    return assessment.date >= line.start && assessment.date <= line_end;
}

const Regimen* next_line_after(const Patient& patient, const Regimen& index_line) {
    // Palliative index line k: palliative line k + 1. Any other index line: the first
    // palliative line started after it.
    for (const auto& regimen : patient.regimens) {
        if (regimen.setting != "palliative" || regimen.start <= index_line.start || &regimen == &index_line) continue;
        if (index_line.setting == "palliative" ? regimen.line == index_line.line + 1 : true) return &regimen;
    }
    return nullptr;
}

std::optional<Day> first_response_date(const PatientContext& c) {
    for (const auto& assessment : c.patient->assessments) {
        if (c.cutoff && assessment.date > *c.cutoff) break;
        if (!assesses(assessment, *c.index_line, c.line_end) || assessment.date < c.index) continue;
        if (assessment.response == "cr" || assessment.response == "pr") return assessment.date;
    }
    return std::nullopt;
}

namespace {

Value line_field(const Derivation& d, const Regimen* line, const PatientContext& c) {
    if (line == nullptr) return {};
    const std::string& f = d.field;
    const bool hidden_end = !line->end || (c.cutoff && *line->end > *c.cutoff);
    if (f == "regimen") return Value::of_text(line->regimen);
    if (f == "start_date") return Value::of_date(line->start);
    if (f == "end_date") return hidden_end ? Value{} : Value::of_date(*line->end);
    if (f == "end_reason") return Value::of_text(hidden_end ? "ongoing" : line->end_reason);
    if (f == "line") return line->line > 0 ? Value::of_number(line->line) : Value{};
    if (f == "clinical_trial") return Value::of_boolean(line->clinical_trial);
    if (f == "measurable_disease") return Value::of_text(line->measurable);
    if (f == "setting") return Value::of_text(line->setting);
    if (f == "end_or_last_contact") return Value::of_date(c.line_end);
    if (f == "duration") return Value::of_number((c.line_end - c.index) / c.days_per_unit);
    if (f == "ongoing") return Value::of_boolean(c.ongoing);
    return {};
}

}  // namespace

Value Derivation::evaluate(const PatientContext& c, std::span<const Value> row) const {
    const Patient& patient = *c.patient;
    const Tumor* tumor = c.tumor;
    switch (kind) {
        case Kind::age:
            return Value::of_number(completed_years(patient.birth, c.index));
        case Kind::patient:
            if (field == "sex") return Value::of_text(patient.sex);
            if (field == "menopausal_status") return Value::of_text(patient.menopausal_status.empty() ? "unknown" : patient.menopausal_status);
            if (field == "birth_date") return Value::of_date(patient.birth);
            if (field == "death_date") return date_value(c.death);
            if (field == "last_contact_date") return Value::of_date(c.last_contact);
            return {};
        case Kind::tumor:
            if (tumor == nullptr) return {};
            if (field == "stage") return Value::of_text(tumor->stage);
            if (field == "primary_site") return Value::of_text(tumor->primary_site);
            if (field == "histology") return Value::of_text(tumor->histology);
            if (field == "diagnosis_date") return Value::of_date(tumor->diagnosis);
            if (field == "surgery_date") return date_value(tumor->surgery);
            if (field == "metastasis_date") return date_value(tumor->metastasis);
            return {};
        case Kind::biomarker: {
            // `diagnosis`: the index tumour's first test of the marker (shorthand columns are
            // dated at diagnosis); `latest`: the latest test dated on or before the index date.
            const Biomarker* chosen = nullptr;
            for (const auto& marker : patient.biomarkers) {
                if (marker.marker != code || (!methods.empty() && !contains(methods, marker.method))) continue;
                if (which == "diagnosis") {
                    if (tumor == nullptr || marker.tumor_id != tumor->id) continue;
                    if (chosen == nullptr || (marker.test_date && (!chosen->test_date || *marker.test_date < *chosen->test_date))) chosen = &marker;
                } else {
                    if (!marker.test_date || *marker.test_date > c.index) continue;
                    if (chosen == nullptr || *marker.test_date >= *chosen->test_date) chosen = &marker;
                }
            }
            if (chosen == nullptr) return {};
            if (field == "value") return chosen->value ? Value::of_number(*chosen->value) : Value{};
            return Value::of_text(chosen->result);
        }
        case Kind::observation: {
            // Nearest the index date within the window; of two as near, the earlier.
            const Observation* chosen = nullptr;
            int best_distance = 0;
            for (const auto& observation : patient.observations) {
                if (observation.name != code) continue;
                const int offset = observation.date - c.index;
                if (offset < window_from || offset > window_to) continue;
                if (field == "value" ? !observation.value : observation.result.empty()) continue;
                const int distance = std::abs(offset);
                if (chosen == nullptr || distance < best_distance) chosen = &observation, best_distance = distance;
            }
            if (chosen == nullptr) return {};
            return field == "value" ? Value::of_number(*chosen->value) : Value::of_text(chosen->result);
        }
        case Kind::metastasis: {
            for (const auto& site : patient.metastases) {
                if (site.detected <= c.index + window_to && contains(sites, site.site)) return Value::of_boolean(true);
            }
            return Value::of_boolean(false);
        }
        case Kind::prior_exposure: {
            for (const auto& regimen : patient.regimens) {
                if (regimen.start >= c.index || &regimen == c.index_line || !contains(settings, regimen.setting)) continue;
                if (drugs.empty() && regimens.empty()) return Value::of_boolean(true);
                if (contains(regimens, regimen.regimen)) return Value::of_boolean(true);
                for (const auto& given : regimen.administrations) {
                    if (contains(drugs, *given.drug)) return Value::of_boolean(true);
                }
            }
            return Value::of_boolean(false);
        }
        case Kind::prior_regimens: {
            std::string listed;
            for (const auto& regimen : patient.regimens) {
                if (regimen.start >= c.index || &regimen == c.index_line || !contains(settings, regimen.setting)) continue;
                listed += (listed.empty() ? "" : "; ") + regimen.setting + " " + to_upper(regimen.regimen);
            }
            return Value::of_text(listed);
        }
        case Kind::administrations: {
            // Administrations are in date order: distinct days are counted as they change.
            std::size_t days = 0;
            std::optional<Day> last;
            for (const auto& given : c.index_line->administrations) {
                if (!drugs.empty() && !contains(drugs, *given.drug)) continue;
                if (within_days && given.date > c.index + *within_days) continue;
                if (c.cutoff && given.date > *c.cutoff) continue;
                if (last != given.date) ++days;
                last = given.date;
            }
            return Value::of_number(static_cast<double>(days));
        }
        case Kind::index_line:
            return line_field(*this, c.index_line, c);
        case Kind::next_line:
            return line_field(*this, c.next_line, c);
        case Kind::best_response: {
            if (measurable_only && c.index_line->measurable != "yes") return {};
            std::string best = "ne";
            for (const auto& assessment : patient.assessments) {
                if (c.cutoff && assessment.date > *c.cutoff) break;
                if (!assesses(assessment, *c.index_line, c.line_end) || assessment.date < c.index) continue;
                if (response_rank(assessment.response) > response_rank(best)) best = assessment.response;
            }
            return Value::of_text(to_upper(best));
        }
        case Kind::first_response:
            return date_value(first_response_date(c));
        case Kind::progression: {
            for (const auto& assessment : patient.assessments) {
                if (c.cutoff && assessment.date > *c.cutoff) break;
                if (assessment.response == "pd" && assessment.date > c.index) {
                    return field == "date" ? Value::of_date(assessment.date) : Value::of_boolean(true);
                }
            }
            return field == "date" ? Value{} : Value::of_boolean(false);
        }
        case Kind::band: {
            const Value& from = row[from_slot];
            if (from.is_missing()) return {};
            std::size_t k = 0;
            while (k < upper.size() && from.number > upper[k]) ++k;
            return Value::of_text(labels[k]);
        }
    }
    return {};
}

}  // namespace rwe::study
