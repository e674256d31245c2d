#pragma once
// A study protocol (TOML, docs/protocols.md): the index event and eligibility, derived
// variables, the analyses and their options, and published values to show beside ours.
// Parsing is strict: an unknown key or a value of the wrong type is an InputError naming
// the file, line and key.

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rwe/study/date.hpp"

namespace rwe::study {

// Each program's defaults, so that a study done in one of them can be reproduced.
enum class Convention { r, sas, spss };

struct StatisticalOptions {
    std::string conf_type;  // KM pointwise CI: log (R), log-log (SAS), plain (SPSS: S ± 1.96 SE)
    std::string median_ci;  // r (Brookmeyer–Crowley on the band) or spss (median ± 1.96 SE)
    std::string ties;       // Cox: efron (R), breslow (SAS PHREG, SPSS COXREG)
};

StatisticalOptions defaults_for(Convention convention);

struct IndexDefinition {
    std::string setting = "palliative";
    std::string regimen;      // lower case
    int line = 0;             // required palliative line; 0 = the first line giving the regimen
    Day accrual_start = 0;
    Day accrual_end = 0;
};

struct Eligibility {
    bool her2_positive = false;
    double her2_ish_threshold = 2.0;  // IHC 2+ needs a ratio strictly above this
};

struct DerivationOptions {
    std::string cycles_drug;  // DOCECYC counts this drug's administrations in the index line
    std::vector<std::string> prior_exposure_drugs;
    std::vector<std::string> prior_exposure_settings{"neoadjuvant", "adjuvant"};
    int site_window_days = 30;
    double long_term_months = 35;
    std::string second_line_regimen;  // lower case; L2OS and L2PFS start at this line-2 regimen
};

// A categorical variable cut from a numeric one: value <= upper[0] → labels[0], ...
struct Band {
    std::string name, from;
    std::string label;  // for tables; "<from> banded" when empty
    std::vector<double> upper;
    std::vector<std::string> labels;
};

struct Analysis {
    std::string id;
    std::string kind;
    nlohmann::json options;    // the analysis table, checked against its kind's keys
    nlohmann::json published;  // reference values, shown beside ours
    std::size_t line = 0;      // of the [[analysis]] table
};

struct Protocol {
    std::string path;
    std::string id, title;
    Convention convention = Convention::r;
    StatisticalOptions stats;
    std::string time_unit = "months";
    double days_per_unit = days_per_month;
    int small_cell = 0;
    IndexDefinition index;
    Eligibility eligibility;
    DerivationOptions derive;
    std::vector<Band> bands;
    std::vector<Analysis> analyses;
    std::string text;  // the protocol file as read, kept in results.json
};

Protocol parse_protocol(const std::string& path);
Protocol parse_protocol_text(const std::string& text, const std::string& source_name);

std::string to_string(Convention convention);

}  // namespace rwe::study
