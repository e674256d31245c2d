#include "rwe/study/analysis_data.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include "rwe/common/error.hpp"
#include "rwe/common/text.hpp"
#include "rwe/study/derivation.hpp"

namespace rwe::study {

const Variable* SubjectLevel::find(const std::string& name) const {
    for (const auto& variable : variables) {
        if (variable.name == name) return &variable;
    }
    return nullptr;
}

const Variable& SubjectLevel::at(const std::string& name) const {
    if (const auto* variable = find(name)) return *variable;
    std::string names;
    for (const auto& variable : variables) names += (names.empty() ? "" : ", ") + variable.name;
    throw UsageError("unknown variable '" + name + "' (known: " + names + ")");
}

Value Variable::value(std::size_t row) const {
    switch (type) {
        case ValueType::number: return Value::of_number(numbers[row]);
        case ValueType::text: return Value::of_text(values[row]);
        case ValueType::date: {
            if (values[row].empty()) return {};
            auto day = parse_iso_date(values[row]);
            return day ? Value::of_date(*day) : Value{};
        }
        case ValueType::boolean:
            if (values[row].empty()) return {};
            return Value::of_boolean(values[row] == "Y");
    }
    return {};
}

std::uint16_t TimeToEvent::description_code(const std::string& text) {
    const auto found = std::find(descriptions.begin(), descriptions.end(), text);
    if (found != descriptions.end()) return static_cast<std::uint16_t>(found - descriptions.begin());
    if (descriptions.size() > std::numeric_limits<std::uint16_t>::max()) {
        throw Error(ErrorKind::internal, paramcd + ": more event descriptions than a record can index");
    }
    descriptions.push_back(text);
    return static_cast<std::uint16_t>(descriptions.size() - 1);
}

void StudyData::add_adverse_event(std::size_t subject, const std::string& term, int worst_grade, const std::string& action) {
    auto [code, added] = ae_term_codes.try_emplace(term, static_cast<std::uint32_t>(ae_terms.size()));
    if (added) {
        if (ae_terms.size() >= std::numeric_limits<std::uint32_t>::max()) {
            throw Error(ErrorKind::internal, "ADAE: more distinct terms than a record can index");
        }
        ae_terms.push_back(term);
    }
    auto found = std::find(ae_actions.begin(), ae_actions.end(), action);
    if (found == ae_actions.end()) {
        if (ae_actions.size() > std::numeric_limits<std::uint16_t>::max()) {
            throw Error(ErrorKind::internal, "ADAE: more distinct actions than a record can index");
        }
        found = ae_actions.insert(ae_actions.end(), action);
    }
    adae.push_back({subject, code->second, static_cast<std::int16_t>(worst_grade),
                    static_cast<std::uint16_t>(found - ae_actions.begin())});
}

std::optional<std::uint32_t> StudyData::ae_term_code(const std::string& term) const {
    const auto found = std::find(ae_terms.begin(), ae_terms.end(), term);
    if (found == ae_terms.end()) return std::nullopt;
    return static_cast<std::uint32_t>(found - ae_terms.begin());
}

const TimeToEvent& StudyData::endpoint(const std::string& paramcd) const {
    for (const auto& parameter : adtte) {
        if (parameter.paramcd == paramcd) return parameter;
    }
    std::string names;
    for (const auto& parameter : adtte) names += (names.empty() ? "" : ", ") + parameter.paramcd;
    throw UsageError("unknown endpoint '" + paramcd + "' (known: " + names + ")");
}

std::vector<bool> select_rows(const SubjectLevel& adsl, const std::optional<Expression>& where, const Protocol& protocol) {
    std::vector<bool> keep(adsl.size(), true);
    if (!where) return keep;
    const EvaluationContext context{protocol.days_per_unit};
    std::vector<Value> row(adsl.variables.size());
    const auto& used = where->names();
    std::vector<std::size_t> slots;
    for (const auto& name : used) {
        for (std::size_t slot = 0; slot < adsl.variables.size(); ++slot) {
            if (adsl.variables[slot].name == name) slots.push_back(slot);
        }
    }
    for (std::size_t subject = 0; subject < adsl.size(); ++subject) {
        for (auto slot : slots) row[slot] = adsl.variables[slot].value(subject);
        keep[subject] = where->evaluate(row, context).is_true();
    }
    return keep;
}

namespace {

constexpr double missing = std::numeric_limits<double>::quiet_NaN();

bool contains(const std::vector<std::string>& list, const std::string& value) {
    return std::find(list.begin(), list.end(), value) != list.end();
}

std::string upper(const std::string& text) { return ascii_upper(text); }

std::string lower(const std::string& text) { return ascii_lower(text); }


// Whether a regimen qualifies as an index line (or arm): its code and the drugs given in it.
bool matches(const Regimen& regimen, const RegimenChoice& choice) {
    if (!choice.codes.empty() && !contains(choice.codes, regimen.regimen)) return false;
    auto given = [&](const std::string& drug) {
        return std::any_of(regimen.administrations.begin(), regimen.administrations.end(),
                           [&](const Administration& a) { return *a.drug == drug; });
    };
    for (const auto& drug : choice.drugs_all) {
        if (!given(drug)) return false;
    }
    if (!choice.drugs_any.empty() && std::none_of(choice.drugs_any.begin(), choice.drugs_any.end(), given)) return false;
    return std::none_of(choice.drugs_none.begin(), choice.drugs_none.end(), given);
}

struct EventTime {
    Day date;
    int cnsr;
    std::string description;
    int cause = -1;  // index of the event in the endpoint's `events`; -1 when censored
};

// One endpoint of one patient (docs/protocols.md, "Endpoints"): the earliest of the
// listed events after the origin (ties: the first listed) up to the end of follow-up,
// else censored.
std::optional<std::pair<Day, EventTime>> endpoint_of(const EndpointDefinition& endpoint, const PatientContext& c,
                                                     std::span<const Value> row, const Protocol& protocol) {
    const Patient& patient = *c.patient;
    std::optional<Day> origin;
    if (endpoint.origin == "index") origin = c.index;
    else if (endpoint.origin == "surgery") origin = c.tumor ? c.tumor->surgery : std::nullopt;
    else if (endpoint.origin == "first_response") origin = first_response_date(c);
    else if (endpoint.origin == "next_line") origin = c.next_line ? std::optional<Day>(c.next_line->start) : std::nullopt;
    else {
        const auto* variable = protocol.variable(endpoint.origin);
        const Value& value = row[static_cast<std::size_t>(variable - protocol.variables.data())];
        if (!value.is_missing()) origin = value.date;
    }
    if (!origin) return std::nullopt;
    const Day start = *origin;

    // Follow-up ends at last contact (at most the cut-off), or at the start of the next line.
    Day follow_up_end = std::max(c.last_contact, start);
    std::string end_description = c.cutoff && c.last_contact == *c.cutoff && patient.last_contact > *c.cutoff
                                      ? "data cut-off" : "last contact";
    if (contains(endpoint.censor, "next_line") && c.next_line && c.next_line->start > start &&
        c.next_line->start < follow_up_end) {
        follow_up_end = c.next_line->start;
        end_description = "start of next line";
    }
    std::optional<EventTime> first;
    int cause = 0;  // index of the event being considered
    auto consider = [&](std::optional<Day> date, const std::string& description) {
        if (!date || *date > follow_up_end) return;
        if (!first || *date < first->date) first = EventTime{*date, 0, description, cause};
    };
    for (; cause < static_cast<int>(endpoint.events.size()); ++cause) {
        const auto& event = endpoint.events[static_cast<std::size_t>(cause)];
        if (event == "death") {
            if (c.death && *c.death >= start) consider(c.death, "death");
        } else if (event == "progression") {
            for (const auto& assessment : patient.assessments) {
                if (assessment.response == "pd" && assessment.date > start) {
                    consider(assessment.date, "progression");
                    break;
                }
            }
        } else if (event == "next_line") {
            if (c.next_line && c.next_line->start > start) consider(c.next_line->start, "next line");
        } else if (event == "index_line_end") {
            if (!c.ongoing && c.line_end >= start) consider(c.line_end, "end of index line");
        } else if (event == "metastasis") {
            if (c.tumor && c.tumor->metastasis && *c.tumor->metastasis >= start) consider(c.tumor->metastasis, "metastasis");
        } else {
            const auto* variable = protocol.variable(event);
            const Value& value = row[static_cast<std::size_t>(variable - protocol.variables.data())];
            if (!value.is_missing() && value.date >= start) consider(value.date, event);
        }
    }
    if (first) return std::make_pair(start, *first);
    if (contains(endpoint.censor, "last_assessment")) {
        Day last = start;
        for (const auto& assessment : patient.assessments) {
            if (assessment.date >= start && assessment.date <= follow_up_end) last = std::max(last, assessment.date);
        }
        return std::make_pair(start, EventTime{last, 1, "last assessment"});
    }
    return std::make_pair(start, EventTime{follow_up_end, 1, end_description});
}

// Builds ADSL columns from rows of values.
class ColumnBuilder {
public:
    explicit ColumnBuilder(const Protocol& protocol) {
        for (const auto& definition : protocol.variables) {
            Variable variable;
            variable.name = definition.name;
            variable.label = definition.label;
            variable.type = definition.type;
            variable.numeric = definition.type == ValueType::number;
            variable.levels = definition.levels;
            variable.value_labels = definition.value_labels;
            // A true/false variable reads "No"/"Yes" in tables unless the protocol says otherwise
            // (ADSL keeps N/Y, as CDISC flags are written).
            if (variable.type == ValueType::boolean) {
                variable.value_labels.emplace("N", "No");
                variable.value_labels.emplace("Y", "Yes");
            }
            variable.summary = definition.summary;
            columns_.push_back(std::move(variable));
        }
        date_codes_.resize(columns_.size());
    }

    void add(std::span<const Value> row) {
        for (std::size_t k = 0; k < columns_.size(); ++k) {
            Variable& variable = columns_[k];
            const Value& value = row[k];
            if (variable.numeric) {
                variable.numbers.push_back(value.is_missing() ? missing : value.number);
                continue;
            }
            if (value.is_missing()) variable.values.push_back("");
            else if (variable.type == ValueType::date) variable.values.push_code(date_code(k, value.date));
            else if (variable.type == ValueType::boolean) variable.values.push_back(value.is_true() ? "Y" : "N");
            else variable.values.push_back(value.text);
        }
    }

    // Levels: those declared (or known) first, in order, then any other value seen,
    // ascending; only the levels that occur are kept.
    std::vector<Variable> finish() {
        for (auto& variable : columns_) {
            if (variable.numeric || variable.type == ValueType::date) {
                if (variable.type == ValueType::date) variable.levels.clear();
                continue;
            }
            // Known levels match the data case-insensitively; the data's spelling of a level
            // given in the protocol is the protocol's.
            const std::vector<std::string> spelled = variable.values.dictionary();
            for (std::uint32_t code = 1; code < spelled.size(); ++code) {
                const std::string as = declared_spelling(spelled[code], variable.levels);
                if (as != spelled[code]) variable.values.rename(code, as);
            }
            std::vector<bool> used(variable.values.dictionary().size(), false);
            for (std::size_t row = 0; row < variable.values.size(); ++row) used[variable.values.code(row)] = true;
            std::vector<std::string> seen;
            for (std::uint32_t code = 1; code < used.size(); ++code) {
                if (used[code]) seen.push_back(variable.values.dictionary()[code]);
            }
            variable.levels = level_order(variable.levels, seen);
        }
        return std::move(columns_);
    }

private:
    // The code of a date's ISO text in date column k (formatted once per distinct date).
    std::uint32_t date_code(std::size_t k, Day day) {
        auto& codes = date_codes_[k];
        auto [it, added] = codes.try_emplace(day, 0);
        if (added) it->second = columns_[k].values.intern(format_iso_date(day));
        return it->second;
    }
    std::vector<std::unordered_map<Day, std::uint32_t>> date_codes_;  // by column
    std::vector<Variable> columns_;
};

}  // namespace

namespace {

// Codes the protocol names that the registry never uses: a warning each, so that a typo
// (or a registry without such records) is never a silent column of zeros.
std::vector<std::string> code_warnings(const RegistryCodes& codes, const Protocol& protocol) {
    const auto& regimens = codes.regimens;
    const auto& drugs = codes.drugs;
    const auto& markers = codes.markers;
    const auto& observations = codes.observations;
    std::vector<std::string> warnings;
    auto warn = [&](std::size_t line, const std::string& key, const std::string& problem, const std::string& code) {
        warnings.push_back(where_what(protocol.path, line, key, "warning: " + problem, code));
    };
    auto check_drugs = [&](std::size_t line, const std::string& key, const std::vector<std::string>& list) {
        for (const auto& drug : list) {
            if (!drugs.count(drug)) warn(line, key, "no administration of this drug in the registry", drug);
        }
    };
    for (const auto& choice : protocol.index.regimens) {
        const std::string key = protocol.index.arms ? "index.arm." + choice.name : std::string("index");
        for (const auto& code : choice.codes) {
            if (!regimens.count(code)) warn(choice.line, key + ".regimen", "no regimen with this code in the registry", code);
        }
        check_drugs(choice.line, key + ".drugs", choice.drugs_all);
        check_drugs(choice.line, key + ".drugs", choice.drugs_any);
        check_drugs(choice.line, key + ".drugs", choice.drugs_none);
    }
    for (const auto& variable : protocol.variables) {
        if (!variable.derivation) continue;
        const auto& d = *variable.derivation;
        const std::string key = "variables." + variable.name;
        check_drugs(variable.line, key + ".drugs", d.drugs);
        for (const auto& code : d.regimens) {
            if (!regimens.count(code)) warn(variable.line, key + ".regimens", "no regimen with this code in the registry", code);
        }
        if (d.kind == Derivation::Kind::biomarker) {
            const bool found = std::any_of(markers.begin(), markers.end(), [&](const std::string& m) {
                return m.rfind(d.code + "/", 0) == 0 &&
                       (d.methods.empty() || std::any_of(d.methods.begin(), d.methods.end(), [&](const std::string& method) {
                            return m == d.code + "/" + method;
                        }));
            });
            if (!found) {
                std::string methods;
                for (const auto& method : d.methods) methods += (methods.empty() ? " by " : " or ") + method;
                warn(variable.line, key + ".marker", "no result of this marker" + methods + " in the registry", d.code);
            }
        }
        if (d.kind == Derivation::Kind::observation && !observations.count(d.code)) {
            warn(variable.line, key + ".name", "no observation of this name in the registry", d.code);
        }
    }
    for (const auto& analysis : protocol.analyses) {
        if (!reads_administration_days(analysis.kind) || !analysis.options.contains("drugs")) continue;
        std::vector<std::string> list;
        for (const auto& drug : analysis.options["drugs"]) list.push_back(lower(drug.get<std::string>()));
        const auto line = analysis.key_lines.count("drugs") ? analysis.key_lines.at("drugs") : analysis.line;
        check_drugs(line, "analysis." + analysis.id + ".drugs", list);
    }
    return warnings;
}

}  // namespace


struct StudyDataBuilder::State {
    const Protocol& protocol;
    StudyData data;
    std::vector<AttritionStep> steps;
    bool line_step = false;
    std::size_t first_criterion = 0, accrual_step = 0;
    ColumnBuilder adsl;
    std::vector<std::string> usubjid;
    std::vector<Day> index_dates;
    const VariableDefinition* best_response = nullptr;
    struct Landmark {
        std::string id;
        std::vector<std::string> drugs;
    };
    std::vector<Landmark> landmarks;
    std::vector<Value> row;
    std::size_t patients_seen = 0;
    // The variables rwe sets itself (by name, looked up once rather than per patient).
    enum class Role : std::uint8_t { derived, index_date, arm };
    std::vector<Role> roles;

    explicit State(const Protocol& p) : protocol(p), adsl(p), row(p.variables.size()) {
        for (const auto& definition : p.variables) {
            roles.push_back(definition.name == "TRTSDT" ? Role::index_date : definition.name == "ARM" ? Role::arm : Role::derived);
        }
    }
};

bool reads_administration_days(const std::string& kind) { return kind == "landmark" || kind == "target_trial"; }

StudyDataBuilder::StudyDataBuilder(const Protocol& protocol) : state_(std::make_unique<State>(protocol)) {
    State& st = *state_;
    auto& steps = st.steps;
    auto& data = st.data;
    const auto& index_definition = protocol.index;
    const std::string& name = index_definition.label;

    // The selection steps after the index regimen, in order; a patient leaves at the
    // first step they fail, and each step counts who leaves there.
    std::string settings;
    for (std::size_t k = 0; k < index_definition.settings.size(); ++k) {
        settings += (k == 0 ? "" : k + 1 == index_definition.settings.size() ? " or " : ", ") + index_definition.settings[k];
    }
    steps.push_back({fmt::format("Received {} ({} setting)", name, settings),
                     fmt::format("No {} in the {} setting", name, settings), 0, 0});
    st.line_step = index_definition.line_first > 0;
    const bool line_step = st.line_step;
    if (line_step) {
        const std::string lines = index_definition.line_first == index_definition.line_last
                                      ? fmt::format("line {}", index_definition.line_first)
                                      : fmt::format("lines {} to {}", index_definition.line_first, index_definition.line_last);
        steps.push_back({fmt::format("{} was palliative {}", name, lines), fmt::format("{} not palliative {}", name, lines), 0, 0});
    }
    st.first_criterion = steps.size();
    for (const auto& criterion : protocol.criteria) steps.push_back({criterion.label, criterion.reason, 0, 0});
    steps.push_back({fmt::format("{} started within the accrual window {} to {}", name,
                                 format_iso_date(index_definition.accrual_start), format_iso_date(index_definition.accrual_end)),
                     fmt::format("{} started outside {} to {}", name, format_iso_date(index_definition.accrual_start),
                                 format_iso_date(index_definition.accrual_end)),
                     0, 0});
    st.accrual_step = steps.size() - 1;

    for (const auto& endpoint : protocol.endpoints) data.adtte.push_back({endpoint.paramcd, endpoint.label, {}});
    for (const auto& variable : protocol.variables) {
        if (variable.derivation && variable.derivation->kind == Derivation::Kind::best_response) {
            st.best_response = &variable;
            break;
        }
    }
    for (const auto& analysis : protocol.analyses) {
        if (!reads_administration_days(analysis.kind)) continue;
        State::Landmark landmark{analysis.id, {}};
        if (analysis.options.contains("drugs")) {
            for (const auto& drug : analysis.options["drugs"]) landmark.drugs.push_back(lower(drug.get<std::string>()));
        }
        st.landmarks.push_back(std::move(landmark));
        data.administration_days[analysis.id];
    }
}

StudyDataBuilder::~StudyDataBuilder() = default;

void StudyDataBuilder::add(const RegistryData& registry) {
    State& st = *state_;
    const Protocol& protocol = st.protocol;
    auto& steps = st.steps;
    auto& data = st.data;
    auto& adsl = st.adsl;
    auto& usubjid = st.usubjid;
    auto& index_dates = st.index_dates;
    const auto* best_response = st.best_response;
    const auto& landmarks = st.landmarks;
    const bool line_step = st.line_step;
    const std::size_t first_criterion = st.first_criterion, accrual_step = st.accrual_step;
    const auto& index_definition = protocol.index;
    const double unit = protocol.days_per_unit;
    const EvaluationContext evaluation{unit};
    static const std::vector<std::string> severity{"", "none", "dose_reduced", "drug_withdrawn", "regimen_stopped"};
    auto action_rank = [&](const std::string& action) { return std::find(severity.begin(), severity.end(), action) - severity.begin(); };
    auto response_rank = [](const std::string& r) { return r == "cr" ? 4 : r == "pr" ? 3 : r == "sd" ? 2 : r == "pd" ? 1 : 0; };

    const std::size_t width = protocol.variables.size();
    std::vector<Value>& row = st.row;
    st.patients_seen += registry.patients.size();
    for (const auto& patient : registry.patients) {
        // The index line: the patient's first regimen in the settings that qualifies.
        const Regimen* line = nullptr;
        std::size_t arm = 0;
        for (const auto& regimen : patient.regimens) {
            if (!contains(index_definition.settings, regimen.setting)) continue;
            if (protocol.data_cutoff && regimen.start > *protocol.data_cutoff) continue;
            auto choice = std::find_if(index_definition.regimens.begin(), index_definition.regimens.end(),
                                       [&](const RegimenChoice& c) { return matches(regimen, c); });
            if (choice == index_definition.regimens.end()) continue;
            line = &regimen;
            arm = static_cast<std::size_t>(choice - index_definition.regimens.begin());
            break;
        }
        if (line == nullptr) {
            ++steps[0].excluded;
            continue;
        }
        if (line_step && !(line->setting == "palliative" && line->line >= index_definition.line_first &&
                           line->line <= index_definition.line_last)) {
            ++steps[1].excluded;
            continue;
        }

        PatientContext c;
        c.patient = &patient;
        c.index_line = line;
        c.arm = arm;
        c.index = line->start;
        c.tumor = index_tumor(patient, c.index);
        c.cutoff = protocol.data_cutoff;
        c.death = patient.death;
        c.last_contact = patient.last_contact;
        if (c.cutoff) {
            if (c.death && *c.death > *c.cutoff) c.death.reset();
            c.last_contact = std::min(c.last_contact, *c.cutoff);
        }
        const bool ended = line->end && (!c.cutoff || *line->end <= *c.cutoff);
        c.ongoing = !ended;
        c.line_end = ended ? *line->end : c.last_contact;
        c.next_line = next_line_after(patient, *line);
        if (c.next_line && c.cutoff && c.next_line->start > *c.cutoff) c.next_line = nullptr;
        c.days_per_unit = unit;
        const std::span<Value> values(row);
        for (std::size_t k = 0; k < width; ++k) {
            const auto& definition = protocol.variables[k];
            Value value;
            if (st.roles[k] == State::Role::index_date) value = Value::of_date(c.index);
            else if (st.roles[k] == State::Role::arm) value = Value::of_text(protocol.index.regimens[c.arm].name);
            else if (definition.derivation) value = definition.derivation->evaluate(c, values.first(k));
            else value = definition.expression->evaluate(values.first(k), evaluation);
            if (value.is_missing() && definition.fallback) value = *definition.fallback;
            row[k] = std::move(value);
        }
        bool excluded = false;
        for (std::size_t k = 0; k < protocol.criteria.size() && !excluded; ++k) {
            const auto& criterion = protocol.criteria[k];
            const Value verdict = criterion.expression.evaluate(row, evaluation);
            if (criterion.exclude ? verdict.is_true() : !verdict.is_true()) {
                ++steps[first_criterion + k].excluded;
                excluded = true;
            }
        }
        if (excluded) continue;
        if (c.index < index_definition.accrual_start || c.index > index_definition.accrual_end) {
            ++steps[accrual_step].excluded;
            continue;
        }

        // In the cohort: ADSL, the endpoints, ADRS and ADAE.
        const std::size_t subject = usubjid.size();
        usubjid.push_back(patient.id);
        index_dates.push_back(c.index);
        adsl.add(row);
        for (std::size_t e = 0; e < protocol.endpoints.size(); ++e) {
            const auto& endpoint = protocol.endpoints[e];
            if (endpoint.population && !endpoint.population->evaluate(row, evaluation).is_true()) continue;
            if (auto record = endpoint_of(endpoint, c, row, protocol)) {
                const auto& [start, event] = *record;
                auto& parameter = data.adtte[e];
                parameter.records.push_back({subject, start, event.date, (event.date - start) / unit, event.cnsr,
                                             static_cast<std::int16_t>(event.cause), parameter.description_code(event.description)});
            }
        }
        if (best_response != nullptr && (line->measurable == "yes" || !best_response->derivation->measurable_only)) {
            // The assessment that gave the best response (the first of equal rank).
            std::string best = "ne";
            Day best_date = 0;
            for (const auto& assessment : patient.assessments) {
                if (c.cutoff && assessment.date > *c.cutoff) break;
                if (!assesses(assessment, *line, c.line_end) || assessment.date < c.index) continue;
                if (response_rank(assessment.response) > response_rank(best)) best = assessment.response, best_date = assessment.date;
            }
            data.adrs.push_back({subject, upper(best), best == "ne" ? 0 : best_date});
        }
        for (const auto& landmark : landmarks) {
            // Administrations are in date order: distinct days as they change.
            std::vector<int> days;
            for (const auto& given : line->administrations) {
                if ((landmark.drugs.empty() || contains(landmark.drugs, *given.drug)) && (!c.cutoff || given.date <= *c.cutoff)) {
                    if (days.empty() || days.back() != given.date - c.index) days.push_back(given.date - c.index);
                }
            }
            data.administration_days[landmark.id].push_back(days);
        }
        // Adverse events of the index line: worst grade per term, the most severe action.
        std::map<std::string, std::pair<int, std::string>> worst;
        for (const auto& event : patient.adverse_events) {
            if (event.regimen_id != line->id || (c.cutoff && event.onset > *c.cutoff)) continue;
            auto& slot = worst[event.term];
            if (event.grade > slot.first) slot.first = event.grade;
            if (action_rank(event.action) > action_rank(slot.second)) slot.second = event.action;
        }
        for (const auto& [term, grade_action] : worst) data.add_adverse_event(subject, term, grade_action.first, grade_action.second);
    }

}

std::string declared_spelling(const std::string& value, const std::vector<std::string>& declared) {
    // The last declared level it matches without case.
    std::string as = value;
    for (const auto& level : declared) {
        if (value != level && lower(value) == lower(level)) as = level;
    }
    return as;
}

std::vector<std::string> level_order(const std::vector<std::string>& declared, const std::vector<std::string>& seen) {
    const std::set<std::string> distinct(seen.begin(), seen.end());
    std::vector<std::string> levels;
    for (const auto& level : declared) {
        if (distinct.count(level) && !contains(levels, level)) levels.push_back(level);
    }
    for (const auto& value : distinct) {
        if (!contains(levels, value)) levels.push_back(value);
    }
    return levels;
}

void StudyDataBuilder::add_counted(std::optional<std::size_t> leaves_at, std::size_t patients) {
    State& st = *state_;
    st.patients_seen += patients;
    if (leaves_at) {
        if (*leaves_at == 0 || *leaves_at >= st.steps.size()) {
            throw IoError(fmt::format("registry store: a selection step ({}) that is not a step of the protocol", *leaves_at));
        }
        st.steps[*leaves_at].excluded += patients;
    }
}

void StudyDataBuilder::add_derived(std::string usubjid, Day index_date, std::optional<std::size_t> leaves_at,
                                   std::span<const Value> row) {
    State& st = *state_;
    ++st.patients_seen;
    if (leaves_at) {
        if (*leaves_at == 0 || *leaves_at >= st.steps.size()) {
            throw IoError(fmt::format("registry store: a selection step ({}) that is not a step of the protocol", *leaves_at));
        }
        ++st.steps[*leaves_at].excluded;
        return;
    }
    st.usubjid.push_back(std::move(usubjid));
    st.index_dates.push_back(index_date);
    st.adsl.add(row);
}

StudyData StudyDataBuilder::finish(std::size_t registry_patients, const RegistryCodes& codes) {
    State& st = *state_;
    StudyData data = std::move(st.data);
    data.warnings = code_warnings(codes, st.protocol);
    auto& steps = st.steps;
    // Patients the store did not select have no index regimen (candidate_query).
    steps[0].excluded += registry_patients - st.patients_seen;
    data.attrition.push_back({"Patients in the registry", "", 0, registry_patients});
    std::size_t remaining = registry_patients;
    for (auto& step : steps) {
        remaining -= step.excluded;
        step.remaining = remaining;
        data.attrition.push_back(step);
    }
    data.adsl.usubjid = std::move(st.usubjid);
    data.adsl.index_date = std::move(st.index_dates);
    data.adsl.variables = st.adsl.finish();
    return data;
}

CandidateQuery candidate_query(const Protocol& protocol) {
    const IndexDefinition index = protocol.index;
    return [index](const registry::SqlDialect& dialect, bool day_lists) {
        std::vector<std::string> parameters;
        auto list = [&](const std::vector<std::string>& values) {
            std::string out = "(";
            for (const auto& value : values) {
                parameters.push_back(value);
                out += (out.size() > 1 ? ", " : "") + dialect.placeholder(static_cast<int>(parameters.size()));
            }
            return out + ")";
        };
        // A superset of the patients with a qualifying regimen: one in the settings with one
        // of an arm's codes, and one of its drugs (all of, any of) given in it. The exact
        // choice (first qualifying regimen, drugs none of, lines) is made afterwards.
        std::string sql = "SELECT DISTINCT r.patient_id FROM regimens r WHERE lower(r.setting) IN " + list(index.settings) + " AND (";
        for (std::size_t arm = 0; arm < index.regimens.size(); ++arm) {
            const auto& choice = index.regimens[arm];
            std::string condition;
            if (!choice.codes.empty()) condition = "lower(r.regimen) IN " + list(choice.codes);
            std::vector<std::string> drugs = choice.drugs_all;
            drugs.insert(drugs.end(), choice.drugs_any.begin(), choice.drugs_any.end());
            if (!drugs.empty()) {
                condition += (condition.empty() ? "" : " AND ") +
                             std::string(day_lists ? "EXISTS (SELECT 1 FROM administration_days a WHERE a.regimen_id = r.regimen_id AND a.drug IN "
                                                   : "EXISTS (SELECT 1 FROM administrations a WHERE a.regimen_id = r.regimen_id AND lower(a.drug) IN ") +
                             list(drugs) + ")";
            }
            sql += (arm ? " OR (" : "(") + condition + ")";
        }
        sql += ") ORDER BY r.patient_id";
        return std::make_pair(sql, parameters);
    };
}

namespace {

std::string sql_list(const std::vector<std::string>& values) {
    std::string out = "(";
    for (const auto& value : values) out += (out.size() > 1 ? ", " : "") + registry::SqlDialect::literal(value);
    return out + ")";
}

void add_codes(std::vector<std::string>& to, const std::vector<std::string>& codes) {
    for (const auto& code : codes) {
        if (!contains(to, code)) to.push_back(code);
    }
}

}  // namespace

ReadPlan read_plan(const Protocol& protocol) {
    ReadPlan plan;
    plan.candidates = candidate_query(protocol);
    // Which regimens' administrations are looked at: conditions on the regimens table, or
    // every regimen's when a derivation may look at any.
    std::vector<std::string> conditions;
    bool every_regimen = false;
    bool index_line = false;  // the index line's (or a candidate's) administrations
    for (const auto& choice : protocol.index.regimens) {
        add_codes(plan.regimen_codes, choice.codes);
        add_codes(plan.drug_codes, choice.drugs_all);
        add_codes(plan.drug_codes, choice.drugs_any);
        add_codes(plan.drug_codes, choice.drugs_none);
        if (!choice.drugs_all.empty() || !choice.drugs_any.empty() || !choice.drugs_none.empty()) index_line = true;
    }
    for (const auto& variable : protocol.variables) {
        if (!variable.derivation) continue;
        const Derivation& d = *variable.derivation;
        add_codes(plan.regimen_codes, d.regimens);
        add_codes(plan.drug_codes, d.drugs);
        if (d.kind == Derivation::Kind::administrations) index_line = true;
        if (d.kind == Derivation::Kind::prior_exposure && !d.drugs.empty()) {
            if (d.settings.empty()) every_regimen = true;
            else conditions.push_back("lower(r.setting) IN " + sql_list(d.settings));
        }
    }
    for (const auto& analysis : protocol.analyses) {
        if (!reads_administration_days(analysis.kind)) continue;
        index_line = true;
        if (analysis.options.contains("drugs")) {
            for (const auto& drug : analysis.options["drugs"]) add_codes(plan.drug_codes, {lower(drug.get<std::string>())});
        }
    }
    if (index_line) {
        // The regimens that may be chosen as the index line: in the index settings, with
        // one of an arm's codes (any code when an arm is chosen by its drugs alone).
        std::string codes_condition;
        for (const auto& choice : protocol.index.regimens) {
            if (choice.codes.empty()) {
                codes_condition.clear();
                break;
            }
            codes_condition += (codes_condition.empty() ? "" : " OR ") + std::string("lower(r.regimen) IN ") + sql_list(choice.codes);
        }
        conditions.push_back("lower(r.setting) IN " + sql_list(protocol.index.settings) +
                             (codes_condition.empty() ? std::string() : " AND (" + codes_condition + ")"));
    }
    if (!every_regimen) {
        std::string any;
        for (const auto& condition : conditions) any += (any.empty() ? "(" : " OR (") + condition + ")";
        plan.administrations_of = any;  // empty: no administration is looked at
    }
    return plan;
}

StudyData derive_study_data(const RegistryData& registry, const Protocol& protocol) {
    RegistryCodes codes;
    for (const auto& patient : registry.patients) {
        for (const auto& regimen : patient.regimens) {
            codes.regimens.insert(regimen.regimen);
            for (const auto& given : regimen.administrations) codes.drugs.insert(*given.drug);
        }
        for (const auto& marker : patient.biomarkers) codes.markers.insert(marker.marker + "/" + marker.method);
        for (const auto& observation : patient.observations) codes.observations.insert(observation.name);
    }
    StudyDataBuilder builder(protocol);
    builder.add(registry);
    return builder.finish(registry.patients.size(), codes);
}

// Text neutralised against spreadsheet formulas (spreadsheet_text), quoted when needed.
std::string csv_cell(const std::string& raw) {
    const std::string text = spreadsheet_text(raw);
    if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
    std::string out = "\"";
    for (char c : text) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

namespace {

std::string number_cell(double value) {
    if (std::isnan(value)) return "";
    return fmt::format("{}", value);  // shortest representation that reads back exactly
}

// A CSV file written as it is made, a block at a time (a national cohort's datasets are
// hundreds of megabytes: they are never held whole in memory).
class CsvFile {
public:
    explicit CsvFile(std::filesystem::path path) : path_(std::move(path)), out_(path_, std::ios::binary | std::ios::trunc) {
        if (!out_) throw IoError(path_.string() + ": cannot write");
        block_.reserve(block_bytes + 4096);
    }
    CsvFile& operator<<(std::string_view text) {
        block_ += text;
        if (block_.size() >= block_bytes) flush();
        return *this;
    }
    template <typename... Args>
    CsvFile& format(fmt::format_string<Args...> format, Args&&... args) {
        fmt::format_to(std::back_inserter(block_), format, std::forward<Args>(args)...);
        if (block_.size() >= block_bytes) flush();
        return *this;
    }
    // A number in its shortest form that reads back exactly; empty when missing.
    CsvFile& number(double value) {
        if (!std::isnan(value)) fmt::format_to(std::back_inserter(block_), "{}", value);
        if (block_.size() >= block_bytes) flush();
        return *this;
    }
    void close() {
        flush();
        out_.close();
        if (!out_) throw IoError(path_.string() + ": cannot write");
    }

private:
    static constexpr std::size_t block_bytes = std::size_t{1} << 20;
    void flush() {
        out_.write(block_.data(), static_cast<std::streamsize>(block_.size()));
        if (!out_) throw IoError(path_.string() + ": cannot write");
        block_.clear();
    }

    std::filesystem::path path_;
    std::ofstream out_;
    std::string block_;
};

}  // namespace

void write_analysis_datasets(const StudyData& data, const Protocol& protocol, const std::string& directory,
                             const std::vector<AnalysisDataset>& more) {
    const std::filesystem::path dir(directory);
    CsvFile adsl(dir / "adsl.csv");
    adsl << "USUBJID";
    for (const auto& variable : data.adsl.variables) adsl << "," << variable.name;
    adsl << "\n";
    // Each text column's distinct values, written as CSV cells once.
    std::vector<std::vector<std::string>> cells(data.adsl.variables.size());
    for (std::size_t k = 0; k < cells.size(); ++k) {
        for (const auto& value : data.adsl.variables[k].values.dictionary()) cells[k].push_back(csv_cell(value));
    }
    for (std::size_t row = 0; row < data.adsl.size(); ++row) {
        adsl << csv_cell(data.adsl.usubjid[row]);
        for (std::size_t k = 0; k < cells.size(); ++k) {
            const Variable& variable = data.adsl.variables[k];
            adsl << ",";
            if (variable.numeric) adsl.number(variable.numbers[row]);
            else adsl << cells[k][variable.values.code(row)];
        }
        adsl << "\n";
    }
    adsl.close();

    CsvFile adtte(dir / "adtte.csv");
    adtte << "USUBJID,PARAMCD,PARAM,STARTDT,ADT,AVAL,AVALU,CNSR,EVNTDESC\n";
    const std::string unit = upper(protocol.time_unit);
    for (const auto& parameter : data.adtte) {
        const std::string param = csv_cell(parameter.param);
        for (const auto& r : parameter.records) {
            adtte.format("{},{},{},{},{},{},{},{},{}\n", csv_cell(data.adsl.usubjid[r.subject]), parameter.paramcd,
                                 param, format_iso_date(r.start), format_iso_date(r.date), number_cell(r.aval), unit,
                                 r.cnsr, csv_cell(parameter.description(r)));
        }
    }
    adtte.close();

    CsvFile adrs(dir / "adrs.csv");
    adrs << "USUBJID,PARAMCD,AVALC,ADT\n";
    for (const auto& r : data.adrs) {
        adrs.format("{},BOR,{},{}\n", csv_cell(data.adsl.usubjid[r.subject]), r.best_response,
                            r.best_response == "NE" ? "" : format_iso_date(r.date));
    }
    adrs.close();

    CsvFile adae(dir / "adae.csv");
    adae << "USUBJID,AETERM,AETOXGR,AEACN\n";
    for (const auto& r : data.adae) {
        adae.format("{},{},{},{}\n", csv_cell(data.adsl.usubjid[r.subject]), csv_cell(data.ae_term(r)), r.worst_grade,
                    csv_cell(data.ae_action(r)));
    }
    adae.close();

    for (const auto& dataset : more) {
        CsvFile file(dir / dataset.file);
        file << dataset.csv;
        file.close();
    }
}

}  // namespace rwe::study
