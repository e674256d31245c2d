#include "rwe/registry/registry_schema.hpp"

#include <array>

namespace rwe::registry {

namespace {

using T = ColumnType;
constexpr Presence req = Presence::required;
constexpr Presence opt = Presence::optional;

std::vector<FileSpec> make_files() {
    std::vector<FileSpec> files;
    files.push_back({FileId::patients, "patients.csv", "patients", true, "patient_id",
                     {
                         {"patient_id", T::text, req, {}},
                         {"birth_date", T::date, req, {}},
                         {"sex", T::code, req, {"f", "m"}},
                         {"menopausal_status", T::code, opt, {"pre", "post", "unknown"}},
                         {"death_date", T::date, opt, {}},
                         {"last_contact_date", T::date, req, {}},
                     }});
    files.push_back({FileId::tumors, "tumors.csv", "tumors", true, "tumor_id",
                     {
                         {"tumor_id", T::text, req, {}},
                         {"patient_id", T::text, req, {}},
                         {"diagnosis_date", T::date, req, {}},
                         {"primary_site", T::free_code, opt, {}, true},
                         {"histology", T::free_code, opt, {}, true},
                         {"stage_at_diagnosis", T::code, req, {"0", "i", "ii", "iii", "iv", "unknown"}},
                         // Breast shorthand for biomarker rows (registry-format.md, tumors.csv).
                         {"er", T::code, opt, {"positive", "negative", "unknown"}},
                         {"pr", T::code, opt, {"positive", "negative", "unknown"}},
                         {"her2_ihc", T::code, opt, {"0", "1+", "2+", "3+", "unknown"}},
                         {"her2_ish_ratio", T::number, opt, {}},
                         {"surgery_date", T::date, opt, {}},
                         {"metastasis_date", T::date, opt, {}},
                     }});
    files.push_back({FileId::regimens, "regimens.csv", "regimens", true, "regimen_id",
                     {
                         {"regimen_id", T::text, req, {}},
                         {"patient_id", T::text, req, {}},
                         {"setting", T::code, req, {"neoadjuvant", "adjuvant", "palliative"}},
                         {"line", T::integer, opt, {}},
                         {"regimen", T::free_code, req, {}},
                         {"start_date", T::date, req, {}},
                         {"end_date", T::date, opt, {}},
                         {"end_reason", T::code, req,
                          {"progression", "toxicity", "completed", "death", "patient_choice", "other",
                           "ongoing"}},
                         {"clinical_trial", T::code, opt, {"yes", "no"}},
                         {"measurable_disease", T::code, opt, {"yes", "no", "unknown"}},
                     }});
    files.push_back({FileId::metastases, "metastases.csv", "metastases", false, "",
                     {
                         {"patient_id", T::text, req, {}},
                         {"site", T::code, req,
                          {"lung", "liver", "pleura", "peritoneum", "adrenal", "other_visceral", "bone",
                           "brain", "distant_lymph_node", "skin_soft_tissue", "other"}},
                         {"detected_date", T::date, req, {}},
                     }});
    files.push_back({FileId::administrations, "administrations.csv", "administrations", false, "",
                     {
                         {"regimen_id", T::text, req, {}},
                         {"drug", T::free_code, req, {}},
                         {"admin_date", T::date, req, {}},
                         {"dose", T::number, opt, {}},
                         {"unit", T::code, opt, {"mg", "mg/kg", "mg/m2"}},
                     }});
    files.push_back({FileId::assessments, "assessments.csv", "assessments", false, "",
                     {
                         {"patient_id", T::text, req, {}},
                         {"regimen_id", T::text, opt, {}},
                         {"assessment_date", T::date, req, {}},
                         {"response", T::code, req, {"cr", "pr", "sd", "pd", "ne"}},
                         {"method", T::code, opt, {"radiologic", "clinical"}},
                     }});
    files.push_back({FileId::adverse_events, "adverse_events.csv", "adverse_events", false, "",
                     {
                         {"patient_id", T::text, req, {}},
                         {"regimen_id", T::text, opt, {}},
                         {"term", T::free_code, req, {}},
                         {"grade", T::integer, req, {}},
                         {"onset_date", T::date, req, {}},
                         {"action", T::code, opt,
                          {"none", "dose_reduced", "drug_withdrawn", "regimen_stopped"}},
                     }});
    files.push_back({FileId::biomarkers, "biomarkers.csv", "biomarkers", false, "",
                     {
                         {"patient_id", T::text, req, {}},
                         {"tumor_id", T::text, opt, {}},
                         {"marker", T::free_code, req, {}},
                         {"method", T::free_code, opt, {}},
                         {"result", T::free_code, opt, {}},
                         {"value", T::number, opt, {}},
                         {"unit", T::free_code, opt, {}},
                         {"test_date", T::date, opt, {}},
                     }});
    files.push_back({FileId::observations, "observations.csv", "observations", false, "",
                     {
                         {"patient_id", T::text, req, {}},
                         {"name", T::free_code, req, {}},
                         {"observation_date", T::date, req, {}},
                         {"value", T::number, opt, {}},
                         {"result", T::free_code, opt, {}},
                         {"unit", T::free_code, opt, {}},
                     }});
    return files;
}

}  // namespace

int FileSpec::column_index(std::string_view column_name) const {
    for (std::size_t i = 0; i < columns.size(); ++i) {
        if (columns[i].name == column_name) return static_cast<int>(i);
    }
    return -1;
}

std::span<const FileSpec> registry_files() {
    static const std::vector<FileSpec> files = make_files();
    return files;
}

const FileSpec& file_spec(FileId id) {
    for (const FileSpec& file : registry_files()) {
        if (file.id == id) return file;
    }
    return registry_files().front();  // unreachable: every FileId is listed
}

bool is_visceral_site(std::string_view site) {
    static constexpr std::array<std::string_view, 6> visceral{"lung",    "liver",   "pleura",
                                                              "peritoneum", "adrenal", "other_visceral"};
    for (auto name : visceral) {
        if (name == site) return true;
    }
    return false;
}

}  // namespace rwe::registry
