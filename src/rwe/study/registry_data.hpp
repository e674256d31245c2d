#pragma once
// The registry as the study pipeline sees it: one record per patient with everything
// recorded about them, read from the store written by `rwe import` (an SQLite file or a
// PostgreSQL database)
// (docs/registry.md; registry format version 2, and stores imported before it). Codes
// are compared case-insensitively and kept lower case.

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <utility>
#include <string>
#include <unordered_set>
#include <vector>

#include "rwe/registry/sql_dialect.hpp"
#include "rwe/registry/store_connection.hpp"
#include "rwe/study/date.hpp"

namespace rwe::study {

struct Tumor {
    std::string id;
    Day diagnosis = 0;
    std::string primary_site;  // free code: breast, lung, ...; unknown when missing
    std::string histology;     // free code; empty when missing
    std::string stage;  // 0, i, ii, iii, iv, unknown
    // The breast shorthand columns as given (unknown when missing); the same values are
    // also in Patient::biomarkers.
    std::string er, pr;
    std::string her2_ihc;  // 0, 1+, 2+, 3+, unknown
    std::optional<double> her2_ish_ratio;
    std::optional<Day> surgery;
    std::optional<Day> metastasis;
};

struct Administration {
    const std::string* drug = nullptr;  // interned in RegistryData::names (millions of rows, few drugs)
    Day date = 0;
};

struct Regimen {
    std::string id;
    std::string setting;  // neoadjuvant, adjuvant, palliative
    int line = 0;         // palliative line; 0 when not palliative
    std::string regimen;  // the registry's regimen code, lower case
    Day start = 0;
    std::optional<Day> end;
    std::string end_reason;
    bool clinical_trial = false;
    std::string measurable;  // yes, no, unknown
    std::vector<Administration> administrations;  // sorted by date
};

struct Assessment {
    std::string regimen_id;  // empty when not linked
    Day date = 0;
    std::string response;  // cr, pr, sd, pd, ne
    std::int64_t source_line = 0;  // the row's line in its file: ties keep file order
};

struct AdverseEvent {
    std::string regimen_id;
    std::string term;
    int grade = 0;
    Day onset = 0;
    std::string action;
    std::int64_t source_line = 0;  // the row's line in its file: ties keep file order
};

// The tumour columns that are shorthand for biomarker rows (registry-format.md): the column,
// the marker and method it stands for, and whether it holds a value (a ratio, unit `ratio`)
// rather than a result code (`unknown` giving no row).
struct ShorthandColumn {
    const char* column;
    const char* marker;
    const char* method;
    bool value;
};
const std::vector<ShorthandColumn>& shorthand_biomarker_columns();

// A biomarker result: a row of biomarkers.csv, or one given by a tumour's breast
// shorthand columns (registry-format.md: er -> er/ihc/result, pr likewise, her2_ihc ->
// her2/ihc/result, her2_ish_ratio -> her2/ish/value with unit `ratio`, dated at the
// tumour's diagnosis; `unknown` gives no row).
struct Biomarker {
    std::string tumor_id;  // empty when not tied to a tumour (e.g. germline)
    std::string marker, method, result;  // method `unknown` when missing; result empty when missing
    std::optional<double> value;
    std::string unit;  // empty when missing
    std::optional<Day> test_date;
};

// A dated observation of the patient (observations.csv): ECOG, weight, smoking, a lab value.
struct Observation {
    std::string name;
    Day date = 0;
    std::optional<double> value;
    std::string result, unit;  // empty when missing
};

struct Metastasis {
    std::string site;
    Day detected = 0;
    std::int64_t source_line = 0;  // the row's line in its file: ties keep file order
};

struct Patient {
    std::string id;
    Day birth = 0;
    std::string sex;
    std::string menopausal_status;  // pre, post, unknown
    std::optional<Day> death;
    Day last_contact = 0;
    std::vector<Tumor> tumors;  // sorted by diagnosis date, then id
    // Sorted by test date (missing first), marker, method; ties keep the shorthand rows
    // first (in tumour order), then biomarkers.csv rows in file order.
    std::vector<Biomarker> biomarkers;
    std::vector<Observation> observations;  // sorted by date, name; ties in file order
    std::vector<Metastasis> metastases;  // sorted by date, site; ties in file order
    std::vector<Regimen> regimens;  // sorted by start date, id
    std::vector<Assessment> assessments;  // sorted by date, regimen id; ties in file order
    std::vector<AdverseEvent> adverse_events;  // sorted by onset, term; ties in file order
};

struct RegistryData {
    std::vector<Patient> patients;  // sorted by id
    std::unordered_set<std::string> names;  // interned codes; element addresses are stable
    std::string checksum;  // SHA-256 over the lines "file sha256" of the source files, by name
    std::vector<std::pair<std::string, std::string>> source_files;  // (file, SHA-256)
    std::string imported_at;
};

// Reads the whole registry store; throws IoError when the file is not a registry store.
RegistryData load_registry(const std::string& location);

// The codes a registry uses, as the store counts them (for warnings about codes a
// protocol names that the registry never uses). Markers are `marker/method`.
struct RegistryCodes {
    std::set<std::string> regimens, drugs, markers, observations;
};

struct RegistryInfo {
    std::string checksum;
    std::vector<std::pair<std::string, std::string>> source_files;
    std::string imported_at;
    std::size_t patients = 0;
    RegistryCodes codes;  // regimens and drugs: those of ReadPlan's that the registry uses
};

// SQL (in the store's dialect) selecting the patient ids to read, in id order, with its
// bound parameters; empty: every patient. `day_lists`: the store has the
// administration_days table (registry/store_schema.hpp), else only administrations.
using CandidateQuery =
    std::function<std::pair<std::string, std::vector<std::string>>(const registry::SqlDialect&, bool day_lists)>;

// What a study reads of the registry (analysis_data.hpp `read_plan` makes it from a
// protocol); the default reads everything.
struct ReadPlan {
    // The patients to read; empty: every patient.
    CandidateQuery candidates;
    // An SQL condition on the regimens table (alias `r`, literals inline) choosing the
    // regimens whose administrations are read; nullopt: every regimen's. Other regimens
    // have no Regimen::administrations. A registry has a hundred administrations a patient:
    // most of the rows of the store, and most of the time it takes to read it.
    std::optional<std::string> administrations_of;
    // The regimen and drug codes (lower case) to look up for RegistryInfo::codes; the
    // store is asked about these only (listing every distinct drug reads every
    // administration). Markers and observations are always listed.
    std::vector<std::string> regimen_codes, drug_codes;
};

// The registry's provenance, its number of patients and the codes of `plan` it uses,
// without reading its patients (for a run whose datasets the store derives), through a
// connection of the caller's (whose snapshot the derivation then shares).
RegistryInfo describe_registry(registry::StoreConnection& store, const ReadPlan& plan);

// Streams the registry store: `visit` sees the patients in id order, `chunk_patients` at
// a time, each chunk with everything recorded about its patients that `plan` asks for;
// two readers (connections of their own) read ahead, so at most three chunks are in
// memory at once. With `plan.candidates`, only the patients that
// query selects are read (the store selects them); `RegistryInfo::patients` still counts
// every patient.
// `progress`, when given, hears after each chunk how many of the patients to read are done.
RegistryInfo read_registry(const std::string& location, std::size_t chunk_patients,
                           const std::function<void(const RegistryData&)>& visit, const ReadPlan& plan = {},
                           const std::function<void(std::size_t done, std::size_t total)>& progress = {});

}  // namespace rwe::study
