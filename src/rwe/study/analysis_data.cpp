#include "rwe/study/analysis_data.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include "rwe/common/error.hpp"

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

const TimeToEvent& StudyData::endpoint(const std::string& paramcd) const {
    for (const auto& parameter : adtte) {
        if (parameter.paramcd == paramcd) return parameter;
    }
    std::string names;
    for (const auto& parameter : adtte) names += (names.empty() ? "" : ", ") + parameter.paramcd;
    throw UsageError("unknown endpoint '" + paramcd + "' (known: " + names + ")");
}

namespace {

constexpr double missing = std::numeric_limits<double>::quiet_NaN();

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

std::string upper(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return text;
}

std::string yes_no(bool value) { return value ? "Y" : "N"; }

// Completed years between two dates.
double age_in_years(Day birth, Day at) {
    const auto b = format_iso_date(birth), a = format_iso_date(at);
    int years = std::stoi(a.substr(0, 4)) - std::stoi(b.substr(0, 4));
    if (a.substr(5) < b.substr(5)) --years;
    return years;
}

// The tumour behind the metastatic disease: the latest diagnosed before the index date
// that has a metastasis date, else the latest diagnosed before the index date.
const Tumor* metastatic_tumor(const Patient& patient, Day index) {
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

bool her2_positive(const Tumor* tumor, double threshold) {
    if (tumor == nullptr) return false;
    if (tumor->her2_ihc == "3+") return true;
    return tumor->her2_ihc == "2+" && tumor->her2_ish_ratio.has_value() && *tumor->her2_ish_ratio > threshold;
}

// Assessments of a line: linked to it, or unlinked and dated within it.
bool assesses(const Assessment& assessment, const Regimen& line, Day line_end) {
    if (!assessment.regimen_id.empty()) return assessment.regimen_id == line.id;
    return assessment.date >= line.start && assessment.date <= line_end;
}

struct EventTime {
    Day date;
    int cnsr;
    std::string description;
};

// First PD dated strictly after `start`, or death, whichever comes first; else censored
// at last contact (registry-format.md, "Deriving the seed study").
EventTime progression_or_death(const Patient& patient, Day start) {
    std::optional<Day> progression;
    for (const auto& assessment : patient.assessments) {
        if (assessment.response == "pd" && assessment.date > start) {
            progression = assessment.date;
            break;
        }
    }
    if (progression && (!patient.death || *progression <= *patient.death)) {
        return {*progression, 0, "progression"};
    }
    if (patient.death) return {*patient.death, 0, "death"};
    return {patient.last_contact, 1, "last contact"};
}

EventTime death(const Patient& patient) {
    if (patient.death) return {*patient.death, 0, "death"};
    return {patient.last_contact, 1, "last contact"};
}

class Builder {
public:
    Builder(const Protocol& protocol) : protocol_(protocol) {}

    void add_number(const std::string& name, const std::string& label, double value) {
        Variable& variable = column(name, label, true);
        variable.numbers.push_back(value);
    }
    void add_text(const std::string& name, const std::string& label, const std::string& value) {
        Variable& variable = column(name, label, false);
        variable.values.push_back(value);
    }
    void set_levels(const std::string& name, std::vector<std::string> levels) { levels_[name] = std::move(levels); }

    SubjectLevel finish(std::vector<std::string> usubjid, std::vector<Day> index_date) {
        SubjectLevel out;
        out.usubjid = std::move(usubjid);
        out.index_date = std::move(index_date);
        for (auto& variable : variables_) {
            if (!variable.numeric) {
                if (auto it = levels_.find(variable.name); it != levels_.end()) {
                    // Declared order first, then any other value seen, ascending.
                    variable.levels = it->second;
                }
                std::set<std::string> seen(variable.values.begin(), variable.values.end());
                seen.erase("");
                for (const auto& value : seen) {
                    if (!contains(variable.levels, value)) variable.levels.push_back(value);
                }
                // Keep only levels that occur, in order.
                std::vector<std::string> present;
                for (const auto& level : variable.levels) {
                    if (seen.count(level)) present.push_back(level);
                }
                variable.levels = present;
            }
            out.variables.push_back(std::move(variable));
        }
        for (const auto& band : protocol_.bands) add_band(out, band);
        return out;
    }

private:
    Variable& column(const std::string& name, const std::string& label, bool numeric) {
        for (auto& variable : variables_) {
            if (variable.name == name) return variable;
        }
        variables_.push_back(Variable{name, label, numeric, {}, {}, {}});
        return variables_.back();
    }

    void add_band(SubjectLevel& data, const Band& band) const {
        const Variable* from = data.find(band.from);
        if (from == nullptr || !from->numeric) {
            throw InputError(protocol_.path, 0, "bands." + band.name,
                             "'from' must name a numeric variable", band.from);
        }
        Variable variable{band.name, band.label.empty() ? band.from + " banded" : band.label, false, {}, {}, band.labels};
        for (double value : from->numbers) {
            if (std::isnan(value)) {
                variable.values.emplace_back();
                continue;
            }
            std::size_t k = 0;
            while (k < band.upper.size() && value > band.upper[k]) ++k;
            variable.values.push_back(band.labels[k]);
        }
        std::set<std::string> seen(variable.values.begin(), variable.values.end());
        std::vector<std::string> present;
        for (const auto& level : variable.levels) {
            if (seen.count(level)) present.push_back(level);
        }
        variable.levels = present;
        data.variables.push_back(std::move(variable));
    }

    const Protocol& protocol_;
    std::vector<Variable> variables_;
    std::map<std::string, std::vector<std::string>> levels_;
};

}  // namespace

StudyData derive_study_data(const RegistryData& registry, const Protocol& protocol) {
    StudyData data;
    const auto& index_definition = protocol.index;
    const std::string regimen_name = upper(index_definition.regimen);
    const double unit = protocol.days_per_unit;

    // --- cohort selection, one criterion at a time, counting who leaves at each.
    struct Candidate {
        const Patient* patient;
        const Regimen* line;
    };
    std::vector<Candidate> candidates;
    data.attrition.push_back({"Patients in the registry", "", 0, registry.patients.size()});
    for (const auto& patient : registry.patients) {
        const Regimen* line = nullptr;
        for (const auto& regimen : patient.regimens) {
            if (regimen.setting == index_definition.setting && regimen.regimen == index_definition.regimen) {
                line = &regimen;
                break;
            }
        }
        if (line != nullptr) candidates.push_back({&patient, line});
    }
    auto step = [&](const std::string& criterion, const std::string& reason, auto keep) {
        const std::size_t before = candidates.size();
        std::erase_if(candidates, [&](const Candidate& c) { return !keep(c); });
        data.attrition.push_back({criterion, reason, before - candidates.size(), candidates.size()});
    };
    data.attrition.push_back({fmt::format("Received {} ({} setting)", regimen_name, index_definition.setting),
                              fmt::format("No {} in the {} setting", regimen_name, index_definition.setting),
                              registry.patients.size() - candidates.size(), candidates.size()});
    if (index_definition.line > 0) {
        step(fmt::format("{} was palliative line {}", regimen_name, index_definition.line),
             fmt::format("{} not palliative line {}", regimen_name, index_definition.line),
             [&](const Candidate& c) { return c.line->line == index_definition.line; });
    }
    if (protocol.eligibility.her2_positive) {
        step(fmt::format("HER2-positive (IHC 3+, or IHC 2+ with ISH ratio > {})",
                         protocol.eligibility.her2_ish_threshold),
             "Not HER2-positive",
             [&](const Candidate& c) {
                 return her2_positive(metastatic_tumor(*c.patient, c.line->start),
                                      protocol.eligibility.her2_ish_threshold);
             });
    }
    step(fmt::format("{} started within the accrual window {} to {}", regimen_name,
                     format_iso_date(index_definition.accrual_start), format_iso_date(index_definition.accrual_end)),
         fmt::format("{} started outside {} to {}", regimen_name, format_iso_date(index_definition.accrual_start),
                     format_iso_date(index_definition.accrual_end)),
         [&](const Candidate& c) {
             return c.line->start >= index_definition.accrual_start && c.line->start <= index_definition.accrual_end;
         });

    // --- ADSL and the endpoints, patient by patient.
    Builder adsl(protocol);
    adsl.set_levels("MENO", {"pre", "post", "unknown"});
    adsl.set_levels("HR", {"negative", "positive", "unknown"});
    adsl.set_levels("BOR", {"CR", "PR", "SD", "PD", "NE"});
    adsl.set_levels("GROUP3", {"de novo", "relapsed naive", "relapsed exposed"});
    adsl.set_levels("RELAPSE", {"curative surgery", "progression during neoadjuvant", "surgery unknown"});
    for (const char* flag : {"DENOVO", "PRIORHER2", "VISCERAL", "BONE", "BRAIN", "MEASURABLE", "RESP",
                             "LTR", "PROG", "DTHFL", "ONGOING"}) {
        adsl.set_levels(flag, {"N", "Y"});
    }
    std::vector<std::string> usubjid;
    std::vector<Day> index_dates;
    TimeToEvent os{"OS", "Overall survival", {}};
    TimeToEvent pfs{"PFS", "Progression-free survival", {}};
    TimeToEvent dor{"DOR", "Duration of response", {}};
    TimeToEvent l2os{"L2OS", "Overall survival from the start of second-line " + upper(protocol.derive.second_line_regimen), {}};
    TimeToEvent l2pfs{"L2PFS", "Progression-free survival from the start of second-line " + upper(protocol.derive.second_line_regimen), {}};
    auto record = [&](TimeToEvent& parameter, std::size_t subject, Day start, const EventTime& event) {
        parameter.records.push_back({subject, start, event.date, (event.date - start) / unit, event.cnsr, event.description});
    };

    for (const auto& candidate : candidates) {
        const Patient& patient = *candidate.patient;
        const Regimen& line = *candidate.line;
        const std::size_t subject = usubjid.size();
        const Day index = line.start;
        const Day line_end = line.end.value_or(patient.last_contact);
        usubjid.push_back(patient.id);
        index_dates.push_back(index);
        const Tumor* tumor = metastatic_tumor(patient, index);

        adsl.add_number("AGE", "Age at index (years)", age_in_years(patient.birth, index));
        adsl.add_text("SEX", "Sex", upper(patient.sex));
        adsl.add_text("MENO", "Menopausal status", patient.menopausal_status.empty() ? "unknown" : patient.menopausal_status);
        const std::string er = tumor ? tumor->er : "unknown";
        const std::string pr = tumor ? tumor->pr : "unknown";
        adsl.add_text("ER", "Oestrogen receptor", er);
        adsl.add_text("PR", "Progesterone receptor", pr);
        std::string hr = "unknown";
        if (er == "positive" || pr == "positive") hr = "positive";
        else if (er == "negative" && pr == "negative") hr = "negative";
        adsl.add_text("HR", "Hormone receptor (ER or PR positive)", hr);
        adsl.add_text("HER2IHC", "HER2 IHC", tumor ? tumor->her2_ihc : "unknown");
        adsl.add_number("HER2ISH", "HER2/CEP17 ratio",
                        tumor && tumor->her2_ish_ratio ? *tumor->her2_ish_ratio : missing);

        const bool de_novo = tumor != nullptr && tumor->stage == "iv";
        adsl.add_text("DENOVO", "De novo metastatic", yes_no(de_novo));
        bool prior_exposure = false;
        bool neoadjuvant = false;
        std::string periop;
        for (const auto& regimen : patient.regimens) {
            if (regimen.start >= index || regimen.setting == "palliative") continue;
            if (regimen.setting == "neoadjuvant") neoadjuvant = true;
            periop += (periop.empty() ? "" : "; ") + regimen.setting + " " + upper(regimen.regimen);
            if (contains(protocol.derive.prior_exposure_settings, regimen.setting)) {
                for (const auto& given : regimen.administrations) {
                    if (contains(protocol.derive.prior_exposure_drugs, *given.drug)) prior_exposure = true;
                }
            }
        }
        std::string relapse;
        if (!de_novo) {
            if (tumor && tumor->surgery) relapse = "curative surgery";
            else if (neoadjuvant) relapse = "progression during neoadjuvant";
            else relapse = "surgery unknown";
        }
        adsl.add_text("RELAPSE", "Relapsed disease: primary treatment", relapse);
        adsl.add_text("PERIOP", "Perioperative systemic therapy", de_novo ? "" : (periop.empty() ? "none" : periop));
        adsl.add_text("PRIORHER2", "Prior (neo)adjuvant anti-HER2 therapy", yes_no(prior_exposure));
        adsl.add_text("GROUP3", "Disease setting (relapsed: naive or exposed to anti-HER2 therapy)",
                      de_novo ? "de novo" : (prior_exposure ? "relapsed exposed" : "relapsed naive"));
        double dfi = missing;
        if (!de_novo && tumor && tumor->surgery && tumor->metastasis) {
            dfi = (*tumor->metastasis - *tumor->surgery) / unit;
        }
        adsl.add_number("DFI", "Disease-free interval (" + protocol.time_unit + ")", dfi);

        bool visceral = false, bone = false, brain = false;
        for (const auto& site : patient.metastases) {
            if (site.detected > index + protocol.derive.site_window_days) continue;
            if (site.site == "lung" || site.site == "liver" || site.site == "pleura" || site.site == "peritoneum" ||
                site.site == "adrenal" || site.site == "other_visceral") visceral = true;
            if (site.site == "bone") bone = true;
            if (site.site == "brain") brain = true;
        }
        adsl.add_text("VISCERAL", "Visceral metastasis at index", yes_no(visceral));
        adsl.add_text("BONE", "Bone metastasis at index", yes_no(bone));
        adsl.add_text("BRAIN", "Brain metastasis at index", yes_no(brain));

        std::set<Day> cycle_days;
        std::vector<int> drug_days;
        for (const auto& given : line.administrations) {
            cycle_days.insert(given.date);
            if (*given.drug == protocol.derive.cycles_drug) drug_days.push_back(given.date - index);
        }
        const auto drug_cycles = static_cast<double>(drug_days.size());
        data.cycle_days.push_back(std::move(drug_days));
        adsl.add_text("TRTSDT", "Index date", format_iso_date(index));
        adsl.add_text("TRTEDT", "End of index line (last contact when ongoing)", format_iso_date(line_end));
        adsl.add_text("ONGOING", "Index line ongoing at last contact", yes_no(!line.end.has_value()));
        const double duration = (line_end - index) / unit;
        adsl.add_number("TRTDUR", "Duration of index line (" + protocol.time_unit + ")", duration);
        adsl.add_number("CYCLES", "Cycles of the index line (administration days)", static_cast<double>(cycle_days.size()));
        adsl.add_number("DOCECYC", "Cycles of " + protocol.derive.cycles_drug, protocol.derive.cycles_drug.empty() ? missing : drug_cycles);

        // Best overall response among the assessments of the index line.
        const bool measurable = line.measurable == "yes";
        adsl.add_text("MEASURABLE", "Measurable disease at baseline", yes_no(measurable));
        std::string best = "ne";
        Day best_date = 0;
        std::optional<Day> first_response;
        for (const auto& assessment : patient.assessments) {
            if (!assesses(assessment, line, line_end) || assessment.date < index) continue;
            if (response_rank(assessment.response) > response_rank(best)) {
                best = assessment.response;
                best_date = assessment.date;
            }
            if ((assessment.response == "cr" || assessment.response == "pr") && !first_response) {
                first_response = assessment.date;
            }
        }
        const bool responder = measurable && (best == "cr" || best == "pr");
        adsl.add_text("BOR", "Best overall response (RECIST 1.1)", measurable ? upper(best) : "");
        adsl.add_text("RESP", "Objective response (CR or PR)", measurable ? yes_no(responder) : "");
        adsl.add_text("LTR", "Long-term responder (on the index line > " + fmt::format("{}", protocol.derive.long_term_months) + " months)",
                      measurable ? yes_no(responder && (line_end - index) / days_per_month > protocol.derive.long_term_months) : "");
        if (measurable) data.adrs.push_back({subject, upper(best), best == "ne" ? 0 : best_date});

        const EventTime progression = progression_or_death(patient, index);
        record(os, subject, index, death(patient));
        record(pfs, subject, index, progression);
        bool progressed = false;
        for (const auto& assessment : patient.assessments) {
            if (assessment.response == "pd" && assessment.date > index) progressed = true;
        }
        adsl.add_text("PROG", "Progression after the index line started", yes_no(progressed));
        if (responder && first_response) record(dor, subject, *first_response, progression_or_death(patient, *first_response));

        // The next palliative line after the index line.
        const Regimen* next = nullptr;
        for (const auto& regimen : patient.regimens) {
            if (regimen.setting == "palliative" && regimen.start > index && regimen.line == line.line + 1) {
                next = &regimen;
                break;
            }
        }
        adsl.add_text("L2REG", "Next palliative regimen", next ? upper(next->regimen) : "");
        adsl.add_text("L2SDT", "Start of next palliative regimen", next ? format_iso_date(next->start) : "");
        adsl.add_text("L2TRIAL", "Next line within a clinical trial", next ? yes_no(next->clinical_trial) : "");
        if (next && !protocol.derive.second_line_regimen.empty() && next->regimen == protocol.derive.second_line_regimen) {
            record(l2os, subject, next->start, death(patient));
            record(l2pfs, subject, next->start, progression_or_death(patient, next->start));
        }
        adsl.add_text("DTHFL", "Died", yes_no(patient.death.has_value()));
        adsl.add_text("LSTALVDT", "Last known alive", format_iso_date(patient.last_contact));

        // Adverse events of the index line: worst grade per term.
        std::map<std::string, std::pair<int, std::string>> worst;
        for (const auto& event : patient.adverse_events) {
            if (event.regimen_id != line.id) continue;
            auto& slot = worst[event.term];
            if (event.grade > slot.first) slot.first = event.grade;
            static const std::vector<std::string> severity{"", "none", "dose_reduced", "drug_withdrawn", "regimen_stopped"};
            auto rank = [&](const std::string& action) {
                return std::find(severity.begin(), severity.end(), action) - severity.begin();
            };
            if (rank(event.action) > rank(slot.second)) slot.second = event.action;
        }
        for (const auto& [term, grade_action] : worst) {
            data.adae.push_back({subject, term, grade_action.first, grade_action.second});
        }
    }
    data.adsl = adsl.finish(std::move(usubjid), std::move(index_dates));
    data.adtte = {std::move(os), std::move(pfs), std::move(dor)};
    if (!protocol.derive.second_line_regimen.empty()) {
        data.adtte.push_back(std::move(l2os));
        data.adtte.push_back(std::move(l2pfs));
    }
    return data;
}

namespace {

std::string csv_cell(const std::string& text) {
    if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
    std::string out = "\"";
    for (char c : text) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::string number_cell(double value) {
    if (std::isnan(value)) return "";
    return fmt::format("{}", value);  // shortest representation that reads back exactly
}

void write_file(const std::filesystem::path& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out) throw IoError(path.string() + ": cannot write");
}

}  // namespace

void write_analysis_datasets(const StudyData& data, const Protocol& protocol, const std::string& directory) {
    const std::filesystem::path dir(directory);
    std::string adsl = "USUBJID";
    for (const auto& variable : data.adsl.variables) adsl += "," + variable.name;
    adsl += "\n";
    for (std::size_t row = 0; row < data.adsl.size(); ++row) {
        adsl += csv_cell(data.adsl.usubjid[row]);
        for (const auto& variable : data.adsl.variables) {
            adsl += ",";
            adsl += variable.numeric ? number_cell(variable.numbers[row]) : csv_cell(variable.values[row]);
        }
        adsl += "\n";
    }
    write_file(dir / "adsl.csv", adsl);

    std::string adtte = "USUBJID,PARAMCD,PARAM,STARTDT,ADT,AVAL,AVALU,CNSR,EVNTDESC\n";
    for (const auto& parameter : data.adtte) {
        for (const auto& r : parameter.records) {
            adtte += fmt::format("{},{},{},{},{},{},{},{},{}\n", csv_cell(data.adsl.usubjid[r.subject]),
                                 parameter.paramcd, csv_cell(parameter.param), format_iso_date(r.start),
                                 format_iso_date(r.date), number_cell(r.aval), upper(protocol.time_unit),
                                 r.cnsr, csv_cell(r.description));
        }
    }
    write_file(dir / "adtte.csv", adtte);

    std::string adrs = "USUBJID,PARAMCD,AVALC,ADT\n";
    for (const auto& r : data.adrs) {
        adrs += fmt::format("{},BOR,{},{}\n", csv_cell(data.adsl.usubjid[r.subject]), r.best_response,
                            r.best_response == "NE" ? "" : format_iso_date(r.date));
    }
    write_file(dir / "adrs.csv", adrs);

    std::string adae = "USUBJID,AETERM,AETOXGR,AEACN\n";
    for (const auto& r : data.adae) {
        adae += fmt::format("{},{},{},{}\n", csv_cell(data.adsl.usubjid[r.subject]), csv_cell(r.term),
                            r.worst_grade, csv_cell(r.action));
    }
    write_file(dir / "adae.csv", adae);
}

}  // namespace rwe::study
