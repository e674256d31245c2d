#include "rwe/registry/validator.hpp"

#include <algorithm>
#include <limits>
#include <string>
#include <unordered_map>

#include "rwe/common/csv_reader.hpp"
#include "rwe/common/error.hpp"
#include "rwe/registry/field_parse.hpp"

namespace rwe::registry {

std::string Diagnostic::text() const {
    return where_what(file, line, column, severity == Severity::warning ? "warning: " + problem : problem,
                      value);
}

namespace {

namespace fs = std::filesystem;

// Column positions in each FileSpec (registry_schema.cpp); checked against the names at
// start-up by check_column_positions().
enum PatientColumn { p_id, p_birth, p_sex, p_menopausal, p_death, p_last_contact };
enum TumorColumn {
    t_id, t_patient, t_diagnosis, t_site, t_histology, t_stage, t_er, t_pr, t_ihc, t_ish, t_surgery, t_metastasis
};
enum RegimenColumn { r_id, r_patient, r_setting, r_line, r_regimen, r_start, r_end, r_reason, r_trial, r_measurable };
enum MetastasisColumn { m_patient, m_site, m_detected };
enum AdministrationColumn { a_regimen, a_drug, a_date, a_dose, a_unit };
enum AssessmentColumn { s_patient, s_regimen, s_date, s_response, s_method };
enum AdverseEventColumn { e_patient, e_regimen, e_term, e_grade, e_onset, e_action };
enum BiomarkerColumn { b_patient, b_tumor, b_marker, b_method, b_result, b_value, b_unit, b_date };
enum ObservationColumn { o_patient, o_name, o_date, o_value, o_result, o_unit };

constexpr std::uint32_t no_index = std::numeric_limits<std::uint32_t>::max();
constexpr int stage_iv_window_days = 90;  // registry-format.md, tumors.csv metastasis_date

struct PatientInfo {
    Days birth = no_date;
    Days death = no_date;
    Days last_contact = no_date;
    Days metastasis = no_date;  // earliest metastasis_date over the patient's tumours
    Days latest_event = no_date;
    std::uint32_t line = 0;
    std::uint32_t tumors = 0;
    bool death_given = false;
};

// What the cross-file rules need of a tumour: its patient, its line, and which biomarkers
// its breast shorthand columns gave (a tumour gives a marker and method in tumors.csv or in
// biomarkers.csv, not both).
enum TumorFlag : std::uint8_t {
    shorthand_er = 1,        // er given (not empty, not unknown): er by ihc
    shorthand_pr = 2,        // pr by ihc
    shorthand_her2_ihc = 4,  // her2 by ihc
    shorthand_her2_ish = 8,  // her2 by ish (her2_ish_ratio)
    her2_ihc_2plus = 16,     // HER2 IHC 2+, from either file
    her2_ish_given = 32,     // a HER2 ISH result, from either file
};

struct TumorInfo {
    std::uint32_t patient = no_index;
    std::uint32_t line = 0;
    std::uint8_t flags = 0;
};

struct RegimenInfo {
    std::uint32_t patient = no_index;
    Days start = no_date;
    Days end = no_date;
    std::int64_t line = 0;  // palliative line; 0 when missing or invalid
    std::uint32_t source_line = 0;
    bool ongoing = false;
    bool palliative = false;
};

using IdIndex = std::unordered_map<std::string, std::uint32_t>;

void check_column_positions() {
    auto expect = [](FileId id, int position, std::string_view name) {
        if (file_spec(id).columns.at(static_cast<std::size_t>(position)).name != name) {
            throw Error(ErrorKind::internal, "registry schema column order changed: " + std::string(name));
        }
    };
    expect(FileId::patients, p_last_contact, "last_contact_date");
    expect(FileId::tumors, t_stage, "stage_at_diagnosis");
    expect(FileId::tumors, t_metastasis, "metastasis_date");
    expect(FileId::regimens, r_measurable, "measurable_disease");
    expect(FileId::metastases, m_detected, "detected_date");
    expect(FileId::administrations, a_unit, "unit");
    expect(FileId::assessments, s_method, "method");
    expect(FileId::adverse_events, e_action, "action");
    expect(FileId::biomarkers, b_date, "test_date");
    expect(FileId::observations, o_unit, "unit");
}

std::string code_list(const ColumnSpec& column) {
    std::string out;
    for (auto code : column.codes) {
        if (!out.empty()) out += ", ";
        out += code;
    }
    return out;
}

class Validator {
public:
    Validator(fs::path directory, const ValidationOptions& options)
        : directory_(std::move(directory)), options_(options) {}

    ValidationSummary run() {
        check_column_positions();
        std::error_code ec;
        if (!fs::is_directory(directory_, ec)) {
            throw IoError(directory_.string() + ": not a readable folder");
        }
        for (const FileSpec& spec : registry_files()) {
            summary_.files.push_back({std::string(spec.name), (directory_ / spec.name).string()});
            process_file(spec, summary_.files.back());
            report_suppressed();
        }
        final_checks();
        report_suppressed();
        return summary_;
    }

private:
    // ---- reporting --------------------------------------------------------------------

    void report(Severity severity, std::size_t line, std::string_view column, std::string problem,
                std::string_view value) {
        Diagnostic diagnostic{severity, path_, line, std::string(column), std::move(problem),
                              value.empty() ? std::string() : printable_value(value)};
        emit(diagnostic);
    }
    void emit(const Diagnostic& diagnostic) {
        FileSummary* file = nullptr;
        for (auto& candidate : summary_.files) {
            if (candidate.path == diagnostic.file) file = &candidate;
        }
        if (diagnostic.severity == Severity::error) {
            ++summary_.errors;
            if (file) ++file->errors;
        } else {
            ++summary_.warnings;
            if (file) ++file->warnings;
        }
        // The same problem in one file is shown `max_repeats` times, then counted: a header
        // of 10^6 unknown columns gives 50 lines and a count, not 117 MB of warnings.
        const std::string key = diagnostic.file + '\n' + (diagnostic.severity == Severity::error ? "e" : "w") + diagnostic.problem;
        if (++repeats_[key] > max_repeats) return;
        if (options_.on_diagnostic) options_.on_diagnostic(diagnostic);
    }
    void report_suppressed() {
        for (const auto& [key, count] : repeats_) {
            if (count <= max_repeats) continue;
            const auto newline = key.find('\n');
            Diagnostic more{key[newline + 1] == 'e' ? Severity::error : Severity::warning, key.substr(0, newline), 0, "",
                            std::to_string(count - max_repeats) + " more like this not shown: " + key.substr(newline + 2), ""};
            if (options_.on_diagnostic) options_.on_diagnostic(more);
        }
        repeats_.clear();
    }
    static constexpr std::size_t max_repeats = 50;
    std::unordered_map<std::string, std::size_t> repeats_;
    // Errors and warnings about a column of the current row.
    void error(int column, std::string problem, std::string_view value) {
        report(Severity::error, line_, column_name(column), std::move(problem), value);
    }
    void warning(int column, std::string problem, std::string_view value) {
        report(Severity::warning, line_, column_name(column), std::move(problem), value);
    }
    std::string_view column_name(int column) const {
        return spec_->columns[static_cast<std::size_t>(column)].name;
    }
    std::string_view raw(int column) const { return raw_[static_cast<std::size_t>(column)]; }
    const Cell& cell(int column) const { return cells_[static_cast<std::size_t>(column)]; }
    Days date(int column) const { return dates_[static_cast<std::size_t>(column)]; }
    bool bad(int column) const { return bad_[static_cast<std::size_t>(column)] != 0; }
    bool missing(int column) const { return cell(column).kind == Cell::Kind::null && !bad(column); }
    bool has(int column) const { return cell(column).kind != Cell::Kind::null; }

    // ---- one file -----------------------------------------------------------------------

    void process_file(const FileSpec& spec, FileSummary& summary) {
        spec_ = &spec;
        path_ = summary.path;
        line_ = 0;
        std::error_code ec;
        if (!fs::exists(path_, ec)) {
            if (spec.required) {
                report(Severity::error, 0, "", "required file is missing", "");
                mark_incomplete(spec.id);
            }
            return;
        }
        summary.present = true;
        if (options_.rows && summary_.errors == 0) options_.rows->begin_file(spec);
        const std::size_t file_bytes = static_cast<std::size_t>(fs::file_size(path_, ec));
        CsvReader reader(path_, options_.read_chunk_bytes);
        std::vector<std::string_view> fields;
        try {
            if (!reader.next(fields)) {
                if (spec.required) {
                    report(Severity::error, 1, "", "empty file: no header row", "");
                    mark_incomplete(spec.id);
                } else {
                    report(Severity::warning, 1, "", "empty file: no header row; read as no records", "");
                }
            } else if (read_header(fields)) {
                while (reader.next(fields)) {
                    line_ = reader.line();
                    ++summary.rows;
                    if (options_.on_progress && summary.rows % options_.progress_rows == 0) {
                        options_.on_progress({spec.name, reader.bytes_read(), file_bytes, summary.rows});
                    }
                    if (!parse_row(fields)) continue;
                    check_row();
                    if (options_.rows && summary_.errors == 0) {
                        options_.rows->row(spec, line_, cells_);
                    }
                }
                end_checks();
            }
        } catch (const InputError& failure) {
            // Malformed CSV: the reader cannot find the next record boundary, so the rest
            // of this file is not read; its ids are incomplete for the checks that follow.
            std::string message = failure.what();
            const std::string prefix = path_ + ":" + std::to_string(reader.line()) + ": ";
            if (message.rfind(prefix, 0) == 0) message.erase(0, prefix.size());
            report(Severity::error, reader.line(), "", message + "; the rest of the file is not read", "");
            mark_incomplete(spec.id);
        }
        if (options_.rows && summary_.errors == 0) options_.rows->end_file(spec);
    }

    void mark_incomplete(FileId id) {
        if (id == FileId::patients) patients_complete_ = false;
        if (id == FileId::tumors) tumors_complete_ = false;
        if (id == FileId::regimens) regimens_complete_ = false;
        if (id == FileId::biomarkers) biomarkers_complete_ = false;
    }

    // Maps header names to schema columns. Returns false when the header is unusable.
    bool read_header(const std::vector<std::string_view>& header) {
        line_ = 1;
        const std::size_t columns = spec_->columns.size();
        field_of_column_.assign(columns, -1);
        header_names_.clear();
        std::string lowered;
        for (std::size_t field = 0; field < header.size(); ++field) {
            header_names_.emplace_back(printable_value(header[field]));
            if (!is_valid_utf8(header[field])) {
                report(Severity::error, 1, "", "column name is not valid UTF-8", header[field]);
                continue;
            }
            to_lower_ascii(header[field], lowered);
            const int column = spec_->column_index(lowered);
            if (column < 0) {
                report(Severity::warning, 1, header_names_.back(), "unknown column; its values are ignored", "");
            } else if (field_of_column_[static_cast<std::size_t>(column)] >= 0) {
                report(Severity::error, 1, spec_->columns[static_cast<std::size_t>(column)].name,
                       "column appears more than once in the header", "");
            } else {
                field_of_column_[static_cast<std::size_t>(column)] = static_cast<int>(field);
            }
        }
        for (std::size_t column = 0; column < columns; ++column) {
            const ColumnSpec& spec = spec_->columns[column];
            if (spec.presence == Presence::required && field_of_column_[column] < 0) {
                report(Severity::error, 1, spec.name, "required column is missing", "");
                if (spec.name == spec_->unique_key || column == 0) mark_incomplete(spec_->id);
            }
        }
        header_fields_ = header.size();
        field_is_known_.assign(header.size(), 0);
        for (const int field : field_of_column_) {
            if (field >= 0) field_is_known_[static_cast<std::size_t>(field)] = 1;
        }
        cells_.assign(columns, Cell{});
        dates_.assign(columns, no_date);
        bad_.assign(columns, 0);
        raw_.assign(columns, std::string_view());
        lowered_.assign(columns, std::string());
        return true;
    }

    // Parses the fields of one record into typed cells; reports each bad field. Returns
    // false when the record cannot be checked further (wrong number of fields).
    bool parse_row(const std::vector<std::string_view>& fields) {
        if (fields.size() != header_fields_) {
            report(Severity::error, line_, "",
                   "wrong number of fields: expected " + std::to_string(header_fields_) + ", found " +
                       std::to_string(fields.size()),
                   "");
            mark_incomplete(spec_->id);
            return false;
        }
        for (std::size_t column = 0; column < cells_.size(); ++column) {
            Cell& out = cells_[column];
            out = Cell{};
            dates_[column] = no_date;
            bad_[column] = 0;
            raw_[column] = std::string_view();
            const int field = field_of_column_[column];
            if (field < 0) continue;
            const std::string_view text = fields[static_cast<std::size_t>(field)];
            raw_[column] = text;
            const ColumnSpec& spec = spec_->columns[column];
            const int index = static_cast<int>(column);
            if (text.empty()) {
                if (spec.presence == Presence::required) {
                    error(index, "required value is missing", "");
                    bad_[column] = 1;
                }
                continue;
            }
            if (!is_valid_utf8(text)) {
                error(index, "invalid UTF-8", text);
                bad_[column] = 1;
                continue;
            }
            switch (spec.type) {
                case ColumnType::text:
                    out.kind = Cell::Kind::text;
                    out.text = text;
                    break;
                case ColumnType::code: {
                    to_lower_ascii(text, lowered_[column]);
                    const auto found = std::find(spec.codes.begin(), spec.codes.end(), lowered_[column]);
                    if (found == spec.codes.end()) {
                        error(index, "unknown code; expected one of " + code_list(spec), text);
                        bad_[column] = 1;
                    } else {
                        out.kind = Cell::Kind::text;
                        out.text = *found;
                    }
                    break;
                }
                case ColumnType::free_code:
                    to_lower_ascii(text, lowered_[column]);
                    out.kind = Cell::Kind::text;
                    out.text = lowered_[column];
                    break;
                case ColumnType::date:
                    if (parse_iso_date(text, dates_[column])) {
                        out.kind = Cell::Kind::text;
                        out.text = text;
                    } else {
                        error(index, "not a calendar date in the form YYYY-MM-DD", text);
                        bad_[column] = 1;
                    }
                    break;
                case ColumnType::integer:
                    if (parse_integer(text, out.integer)) {
                        out.kind = Cell::Kind::integer;
                    } else {
                        error(index, "not an integer", text);
                        bad_[column] = 1;
                    }
                    break;
                case ColumnType::number:
                    if (parse_number(text, out.real)) {
                        out.kind = Cell::Kind::real;
                    } else {
                        error(index, "not a number", text);
                        bad_[column] = 1;
                    }
                    break;
            }
        }
        // Unknown columns are ignored, but the file as a whole must still be UTF-8.
        for (std::size_t field = 0; field < fields.size(); ++field) {
            if (field_is_known_[field]) continue;
            if (!is_valid_utf8(fields[field])) {
                report(Severity::error, line_, header_names_[field], "invalid UTF-8", fields[field]);
            }
        }
        return true;
    }

    // ---- references and dates -------------------------------------------------------------

    // Index of the patient named in `column`; no_index when missing, bad, or unknown
    // (the missing reference is reported here).
    std::uint32_t patient_of(int column) {
        if (!has(column) || !patients_complete_) return no_index;
        return lookup(patient_index_, patient_cache_, column, "patient_id not found in patients.csv");
    }

    std::uint32_t tumor_of(int column) {
        if (!has(column) || !tumors_complete_) return no_index;
        return lookup(tumor_index_, tumor_cache_, column, "tumor_id not found in tumors.csv");
    }

    std::uint32_t regimen_of(int column) {
        if (!has(column) || !regimens_complete_) return no_index;
        return lookup(regimen_index_, regimen_cache_, column, "regimen_id not found in regimens.csv");
    }

    // Rows of one patient or regimen usually follow each other, so the last id found is
    // remembered: most lookups then cost one string comparison instead of a hash probe.
    struct LookupCache {
        std::string key;
        std::uint32_t index = no_index;
    };
    std::uint32_t lookup(const IdIndex& index, LookupCache& cache, int column, const char* problem) {
        const std::string_view id = cell(column).text;
        if (cache.index != no_index && cache.key == id) return cache.index;
        key_.assign(id);
        const auto found = index.find(key_);
        if (found == index.end()) {
            error(column, problem, id);
            return no_index;
        }
        cache.key = key_;
        cache.index = found->second;
        return found->second;
    }

    // Every event date lies between the patient's birth and last contact.
    void check_event_date(std::uint32_t patient, int column) {
        const Days day = date(column);
        if (patient == no_index || day == no_date) return;
        PatientInfo& info = patients_[patient];
        if (info.birth != no_date && day < info.birth) {
            error(column, "before the patient's birth_date " + format_iso_date(info.birth), raw(column));
        } else if (info.last_contact != no_date && day > info.last_contact) {
            error(column, "after the patient's last_contact_date " + format_iso_date(info.last_contact),
                  raw(column));
        }
        if (info.latest_event == no_date || day > info.latest_event) info.latest_event = day;
    }

    // A regimen named beside a patient must be one of that patient's regimens.
    void check_same_patient(std::uint32_t patient, std::uint32_t regimen, int column) {
        if (patient == no_index || regimen == no_index) return;
        const std::uint32_t owner = regimens_[regimen].patient;
        if (owner != no_index && owner != patient) {
            error(column, "regimen belongs to another patient", cell(column).text);
        }
    }

    // ---- per-file rules ------------------------------------------------------------------

    void check_row() {
        switch (spec_->id) {
            case FileId::patients: check_patient(); break;
            case FileId::tumors: check_tumor(); break;
            case FileId::regimens: check_regimen(); break;
            case FileId::metastases: check_metastasis(); break;
            case FileId::administrations: check_administration(); break;
            case FileId::assessments: check_assessment(); break;
            case FileId::adverse_events: check_adverse_event(); break;
            case FileId::biomarkers: check_biomarker(); break;
            case FileId::observations: check_observation(); break;
        }
    }

    void end_checks() {
        if (spec_->id == FileId::regimens) check_palliative_lines();
    }

    void check_patient() {
        PatientInfo info;
        info.birth = date(p_birth);
        info.death = date(p_death);
        info.last_contact = date(p_last_contact);
        info.line = static_cast<std::uint32_t>(line_);
        info.death_given = has(p_death) || bad(p_death);
        if (info.death != no_date && info.last_contact != no_date && info.death != info.last_contact) {
            error(p_death, "must equal last_contact_date " + format_iso_date(info.last_contact), raw(p_death));
        }
        if (info.birth != no_date && info.last_contact != no_date && info.last_contact < info.birth) {
            error(p_last_contact, "before birth_date " + format_iso_date(info.birth), raw(p_last_contact));
        }
        if (!has(p_id)) {
            patients_complete_ = false;
            return;
        }
        const auto [found, inserted] =
            patient_index_.try_emplace(std::string(cell(p_id).text), static_cast<std::uint32_t>(patients_.size()));
        if (!inserted) {
            error(p_id, "duplicate patient_id, first on line " + std::to_string(patients_[found->second].line),
                  cell(p_id).text);
            return;
        }
        patients_.push_back(info);
    }

    void check_tumor() {
        TumorInfo tumor;
        tumor.line = static_cast<std::uint32_t>(line_);
        const auto given = [&](int column) { return has(column) && cell(column).text != "unknown"; };
        if (given(t_er)) tumor.flags |= shorthand_er;
        if (given(t_pr)) tumor.flags |= shorthand_pr;
        if (given(t_ihc)) tumor.flags |= shorthand_her2_ihc;
        if (has(t_ish)) tumor.flags |= shorthand_her2_ish;
        if (has(t_ihc) && cell(t_ihc).text == "2+") tumor.flags |= her2_ihc_2plus;
        if (!missing(t_ish)) tumor.flags |= her2_ish_given;  // a bad ratio is reported, not warned about
        if (has(t_id)) {
            const auto [found, inserted] =
                tumor_index_.try_emplace(std::string(cell(t_id).text), static_cast<std::uint32_t>(tumors_.size()));
            if (!inserted) {
                error(t_id, "duplicate tumor_id, first on line " + std::to_string(tumors_[found->second].line),
                      cell(t_id).text);
            }
        }
        const std::uint32_t patient = patient_of(t_patient);
        tumor.patient = patient;
        tumors_.push_back(tumor);
        const Days diagnosis = date(t_diagnosis);
        const Days metastasis = date(t_metastasis);
        const Days surgery = date(t_surgery);
        if (patient != no_index) {
            check_event_date(patient, t_diagnosis);
            check_event_date(patient, t_surgery);
            check_event_date(patient, t_metastasis);
            PatientInfo& info = patients_[patient];
            ++info.tumors;
            if (metastasis != no_date && (info.metastasis == no_date || metastasis < info.metastasis)) {
                info.metastasis = metastasis;
            }
        }
        if (diagnosis != no_date && metastasis != no_date && metastasis < diagnosis) {
            error(t_metastasis, "before diagnosis_date " + format_iso_date(diagnosis), raw(t_metastasis));
        }
        if (has(t_stage) && cell(t_stage).text == "iv") {
            if (missing(t_metastasis)) {
                error(t_metastasis, "required for a stage IV (de novo metastatic) tumour", "");
            } else if (diagnosis != no_date && metastasis != no_date &&
                       metastasis - diagnosis > stage_iv_window_days) {
                error(t_metastasis,
                      "more than 90 days after diagnosis_date " + format_iso_date(diagnosis) +
                          " of a stage IV tumour",
                      raw(t_metastasis));
            }
        }
        if (has(t_ish) && cell(t_ish).real < 0) {
            error(t_ish, "must be a number >= 0", raw(t_ish));
        }
        // An IHC 2+ tumour without an ISH result is warned about in final_checks(), once
        // biomarkers.csv (which may hold the ISH result) has been read.
        if (surgery != no_date && diagnosis != no_date && surgery < diagnosis) {
            warning(t_surgery, "before diagnosis_date " + format_iso_date(diagnosis), raw(t_surgery));
        }
    }

    void check_regimen() {
        RegimenInfo info;
        info.source_line = static_cast<std::uint32_t>(line_);
        info.start = date(r_start);
        info.end = date(r_end);
        info.ongoing = missing(r_end);
        const bool setting_known = has(r_setting);
        info.palliative = setting_known && cell(r_setting).text == "palliative";
        if (info.palliative) {
            if (missing(r_line)) {
                error(r_line, "required for a palliative regimen", "");
            } else if (has(r_line) && cell(r_line).integer < 1) {
                error(r_line, "must be an integer >= 1", raw(r_line));
            } else if (has(r_line)) {
                info.line = cell(r_line).integer;
            }
        } else if (setting_known && (has(r_line) || bad(r_line))) {
            error(r_line, "must be empty for a regimen in the " + std::string(cell(r_setting).text) + " setting",
                  raw(r_line));
        }
        if (has(r_reason)) {
            const bool reason_ongoing = cell(r_reason).text == "ongoing";
            if (reason_ongoing && (has(r_end) || bad(r_end))) {
                error(r_reason, "is ongoing but end_date is given", raw(r_reason));
            } else if (!reason_ongoing && missing(r_end)) {
                error(r_end, "missing, but end_reason is not ongoing", cell(r_reason).text);
            }
        }
        if (info.start != no_date && info.end != no_date && info.end < info.start) {
            error(r_end, "before start_date " + format_iso_date(info.start), raw(r_end));
        }
        info.patient = patient_of(r_patient);
        if (info.patient != no_index) {
            check_event_date(info.patient, r_start);
            check_event_date(info.patient, r_end);
            const PatientInfo& patient = patients_[info.patient];
            if (info.palliative && tumors_complete_ && info.start != no_date) {
                if (patient.metastasis == no_date) {
                    error(r_setting, "palliative regimen, but the patient has no metastasis_date in tumors.csv",
                          cell(r_setting).text);
                } else if (info.start < patient.metastasis) {
                    error(r_start,
                          "palliative regimen starts before the patient's metastasis_date " +
                              format_iso_date(patient.metastasis),
                          raw(r_start));
                }
            }
            if (has(r_reason) && cell(r_reason).text == "death" && !patient.death_given) {
                warning(r_reason, "death, but the patient has no death_date", cell(r_reason).text);
            }
        }
        if (!has(r_id)) {
            regimens_complete_ = false;
            return;
        }
        const auto [found, inserted] =
            regimen_index_.try_emplace(std::string(cell(r_id).text), static_cast<std::uint32_t>(regimens_.size()));
        if (!inserted) {
            error(r_id, "duplicate regimen_id, first on line " + std::to_string(regimens_[found->second].source_line),
                  cell(r_id).text);
            return;
        }
        regimens_.push_back(info);
    }

    // Palliative lines of a patient are numbered 1, 2, 3 ... without gaps, in order of
    // start_date (registry-format.md, consistency rules).
    void check_palliative_lines() {
        std::vector<std::uint32_t> order;
        for (std::uint32_t regimen = 0; regimen < regimens_.size(); ++regimen) {
            const RegimenInfo& info = regimens_[regimen];
            if (info.palliative && info.patient != no_index) order.push_back(regimen);
        }
        std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
            const RegimenInfo& x = regimens_[a];
            const RegimenInfo& y = regimens_[b];
            if (x.patient != y.patient) return x.patient < y.patient;
            if (x.start != y.start) return x.start < y.start;
            return x.line < y.line;
        });
        std::size_t first = 0;
        while (first < order.size()) {
            std::size_t last = first;
            bool checkable = true;
            while (last < order.size() && regimens_[order[last]].patient == regimens_[order[first]].patient) {
                const RegimenInfo& info = regimens_[order[last]];
                if (info.line < 1 || info.start == no_date) checkable = false;  // already reported
                ++last;
            }
            std::int64_t expected = 1;
            for (std::size_t i = first; checkable && i < last; ++i) {
                const RegimenInfo& info = regimens_[order[i]];
                if (info.line != expected) {
                    line_ = info.source_line;
                    error(r_line,
                          "palliative lines must be numbered 1, 2, 3 ... in order of start_date; expected " +
                              std::to_string(expected),
                          std::to_string(info.line));
                }
                // Continue from the number found, so that one gap is reported once.
                expected = info.line < std::numeric_limits<std::int64_t>::max() ? info.line + 1 : info.line;
            }
            first = last;
        }
    }

    void check_metastasis() {
        const std::uint32_t patient = patient_of(m_patient);
        if (patient == no_index) return;
        check_event_date(patient, m_detected);
        const PatientInfo& info = patients_[patient];
        if (!tumors_complete_) return;
        if (info.metastasis == no_date) {
            warning(m_patient, "metastatic site of a patient with no metastasis_date in tumors.csv",
                    cell(m_patient).text);
        } else if (date(m_detected) != no_date && date(m_detected) < info.metastasis) {
            warning(m_detected, "before the patient's metastasis_date " + format_iso_date(info.metastasis),
                    raw(m_detected));
        }
    }

    void check_administration() {
        if (has(a_dose) && cell(a_dose).real <= 0) error(a_dose, "must be a number > 0", raw(a_dose));
        if (has(a_dose) && missing(a_unit)) error(a_unit, "required when dose is given", "");
        if (has(a_unit) && missing(a_dose)) warning(a_unit, "unit given without a dose", raw(a_unit));
        const std::uint32_t regimen = regimen_of(a_regimen);
        if (regimen == no_index) return;
        const RegimenInfo& info = regimens_[regimen];
        const Days day = date(a_date);
        if (day == no_date) return;
        if (info.start != no_date && day < info.start) {
            error(a_date, "before the regimen's start_date " + format_iso_date(info.start), raw(a_date));
        } else if (!info.ongoing && info.end != no_date && day > info.end) {
            error(a_date, "after the regimen's end_date " + format_iso_date(info.end), raw(a_date));
        } else {
            check_event_date(info.patient, a_date);  // an ongoing regimen runs to last contact
        }
    }

    void check_assessment() {
        const std::uint32_t patient = patient_of(s_patient);
        const std::uint32_t regimen = regimen_of(s_regimen);
        check_same_patient(patient, regimen, s_regimen);
        check_event_date(patient, s_date);
    }

    void check_adverse_event() {
        if (has(e_grade) && (cell(e_grade).integer < 1 || cell(e_grade).integer > 5)) {
            error(e_grade, "must be an integer from 1 to 5", raw(e_grade));
        }
        const std::uint32_t patient = patient_of(e_patient);
        const std::uint32_t regimen = regimen_of(e_regimen);
        check_same_patient(patient, regimen, e_regimen);
        check_event_date(patient, e_onset);
        if (patient != no_index && has(e_grade) && cell(e_grade).integer == 5 && !patients_[patient].death_given) {
            warning(e_grade, "grade 5 (fatal) adverse event, but the patient has no death_date", raw(e_grade));
        }
    }

    // A biomarker row: of a known patient, of one of that patient's tumours when tied to one,
    // with a result or a value (a value with its unit), tested within the patient's life
    // as recorded, and not repeating what the tumour's shorthand columns already give.
    void check_biomarker() {
        const std::uint32_t patient = patient_of(b_patient);
        check_event_date(patient, b_date);
        if (missing(b_result) && missing(b_value)) error(b_result, "required when value is missing", "");
        if (has(b_value) && missing(b_unit)) error(b_unit, "required when value is given", "");
        const std::uint32_t tumor = tumor_of(b_tumor);
        if (tumor == no_index) return;
        TumorInfo& info = tumors_[tumor];
        if (patient != no_index && info.patient != no_index && info.patient != patient) {
            error(b_tumor, "tumour belongs to another patient", cell(b_tumor).text);
            return;
        }
        if (!has(b_marker) || !has(b_method)) return;
        const std::string_view marker = cell(b_marker).text;
        const std::string_view method = cell(b_method).text;
        std::uint8_t shorthand = 0;
        std::string_view column;
        if (marker == "er" && method == "ihc") {
            shorthand = shorthand_er;
            column = "er";
        } else if (marker == "pr" && method == "ihc") {
            shorthand = shorthand_pr;
            column = "pr";
        } else if (marker == "her2" && method == "ihc") {
            shorthand = shorthand_her2_ihc;
            column = "her2_ihc";
            if (has(b_result) && cell(b_result).text == "2+") info.flags |= her2_ihc_2plus;
        } else if (marker == "her2" && method == "ish") {
            shorthand = shorthand_her2_ish;
            column = "her2_ish_ratio";
            info.flags |= her2_ish_given;
        }
        if ((info.flags & shorthand) != 0) {
            error(b_marker,
                  std::string(marker) + " by " + std::string(method) + " is already given by column " +
                      std::string(column) + " of tumors.csv line " + std::to_string(info.line) +
                      "; a tumour gives a marker and method in one place only",
                  raw(b_marker));
        }
    }

    void check_observation() {
        const std::uint32_t patient = patient_of(o_patient);
        check_event_date(patient, o_date);
        if (missing(o_value) && missing(o_result)) error(o_value, "required when result is missing", "");
    }

    // Suspicious but legal: an IHC 2+ tumour without an ISH result, a patient without a
    // tumour, a long silence before last contact.
    void final_checks() {
        if (biomarkers_complete_) {
            spec_ = &file_spec(FileId::tumors);
            path_ = (directory_ / spec_->name).string();
            for (const TumorInfo& info : tumors_) {
                if ((info.flags & her2_ihc_2plus) == 0 || (info.flags & her2_ish_given) != 0) continue;
                line_ = info.line;
                warning(t_ish, "missing for an IHC 2+ tumour, so its HER2 status is undetermined", "");
            }
        }
        if (!patients_complete_) return;
        spec_ = &file_spec(FileId::patients);
        path_ = (directory_ / spec_->name).string();
        for (const PatientInfo& info : patients_) {
            line_ = info.line;
            if (tumors_complete_ && info.tumors == 0) {
                warning(p_id, "patient has no tumour in tumors.csv", "");
            }
            if (info.latest_event != no_date && info.last_contact != no_date &&
                info.last_contact - info.latest_event > options_.contact_gap_warning_days) {
                warning(p_last_contact,
                        std::to_string((info.last_contact - info.latest_event) / 365) +
                            " years after the patient's latest recorded event (" +
                            format_iso_date(info.latest_event) + ")",
                        format_iso_date(info.last_contact));
            }
        }
    }

    fs::path directory_;
    const ValidationOptions& options_;
    ValidationSummary summary_;

    // The file being read.
    const FileSpec* spec_ = nullptr;
    std::string path_;
    std::size_t line_ = 0;
    std::size_t header_fields_ = 0;
    std::vector<int> field_of_column_;  // record field of each schema column; -1 when absent
    std::vector<std::string> header_names_;
    std::vector<char> field_is_known_;  // the record field feeds a schema column
    std::vector<Cell> cells_;
    std::vector<Days> dates_;
    std::vector<char> bad_;  // the field was reported as invalid
    std::vector<std::string_view> raw_;
    std::vector<std::string> lowered_;
    std::string key_;

    // Indexes for the cross-file rules. A "complete" flag is cleared when an index may
    // miss ids (file missing or unreadable, id column missing, a record skipped), so that
    // one broken file does not flood the report with dangling references.
    IdIndex patient_index_;
    std::vector<PatientInfo> patients_;
    IdIndex regimen_index_;
    std::vector<RegimenInfo> regimens_;
    IdIndex tumor_index_;
    std::vector<TumorInfo> tumors_;  // every row of tumors.csv, with or without an id
    LookupCache patient_cache_;
    LookupCache tumor_cache_;
    LookupCache regimen_cache_;
    bool patients_complete_ = true;
    bool tumors_complete_ = true;
    bool regimens_complete_ = true;
    bool biomarkers_complete_ = true;
};

}  // namespace

ValidationSummary validate_registry(const std::filesystem::path& directory, const ValidationOptions& options) {
    return Validator(directory, options).run();
}

}  // namespace rwe::registry
