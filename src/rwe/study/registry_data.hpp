#pragma once
// The registry as the study pipeline sees it: one record per patient with everything
// recorded about them, read from the SQLite store written by `rwe import`
// (docs/registry.md). Codes are compared case-insensitively and kept lower case.

#include <optional>
#include <utility>
#include <string>
#include <unordered_set>
#include <vector>

#include "rwe/study/date.hpp"

namespace rwe::study {

struct Tumor {
    std::string id;
    std::string primary_site;  // lower case; "unknown" when missing
    std::string histology;
    Day diagnosis = 0;
    std::string stage;  // 0, i, ii, iii, iv, unknown
    std::string er, pr;
    std::string her2_ihc;  // 0, 1+, 2+, 3+, unknown
    std::optional<double> her2_ish_ratio;
    std::optional<Day> surgery;
    std::optional<Day> metastasis;
};

struct Biomarker {
    std::string tumor_id;
    std::string marker, method, result;
    std::optional<double> value;
    std::string unit;
    std::optional<Day> test_date;
};

struct Observation {
    std::string name;
    Day date = 0;
    std::optional<double> value;
    std::string result, unit;
};

struct Administration {
    const std::string* drug = nullptr;  // interned in RegistryData::names (millions of rows, few drugs)
    Day date = 0;
};

struct Regimen {
    std::string id;
    std::string setting;  // neoadjuvant, adjuvant, palliative
    int line = 0;         // palliative line; 0 when not palliative
    std::string regimen;  // lower case code: thp, t-dm1, ...
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
};

struct AdverseEvent {
    std::string regimen_id;
    std::string term;
    int grade = 0;
    Day onset = 0;
    std::string action;
};

struct Metastasis {
    std::string site;
    Day detected = 0;
};

struct Patient {
    std::string id;
    Day birth = 0;
    std::string sex;
    std::string menopausal_status;  // pre, post, unknown
    std::optional<Day> death;
    Day last_contact = 0;
    std::vector<Tumor> tumors;
    std::vector<Metastasis> metastases;
    std::vector<Regimen> regimens;  // sorted by start date
    std::vector<Assessment> assessments;  // sorted by date
    std::vector<AdverseEvent> adverse_events;
    std::vector<Biomarker> biomarkers;
    std::vector<Observation> observations;
};

struct RegistryData {
    std::vector<Patient> patients;  // sorted by id
    std::unordered_set<std::string> names;  // interned codes; element addresses are stable
    std::string checksum;  // SHA-256 over the lines "file sha256" of the source files, by name
    std::vector<std::pair<std::string, std::string>> source_files;  // (file, SHA-256)
    std::string imported_at;
};

// Reads the whole registry store; throws IoError when the file is not a registry store.
RegistryData load_registry(const std::string& sqlite_path);

}  // namespace rwe::study
