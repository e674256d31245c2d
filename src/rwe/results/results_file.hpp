#pragma once
// results.json as a whole: what was run (the protocol's settings, the registry's
// provenance, the cohort), every analysis with its typed result, the run's warnings and the
// small-cell pass's record. Read and written through the one codec (codec.hpp).

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rwe/results/analysis.hpp"
#include "rwe/results/codec.hpp"

namespace rwe::results {

// The version of results.json's layout. 2: protocols in the protocol language (criteria,
// variables, endpoints, analysis populations, warnings).
inline constexpr long results_schema_version = 2;

// How an endpoint is measured, for the methods text.
struct EndpointRecord {
    std::string label;
    std::string origin;
    std::vector<std::string> events;
    std::vector<std::string> censor;
    template <class V> void fields(V& v) {
        v("label", label);
        v("origin", origin);
        v("events", events);
        v("censor", censor);
    }
};

struct ReportSettingsRecord {
    Nullable<bool> docx;  // null: written when pandoc is installed
    bool csv_bom = false;
    bool csv_ascii = false;
    template <class V> void fields(V& v) {
        v("docx", docx);
        v("csv_bom", csv_bom);
        v("csv_ascii", csv_ascii);
    }
};

// The protocol's settings a report and its methods text state.
struct ProtocolRecord {
    std::string file;  // the protocol's file name
    std::string id;
    std::string title;
    std::string convention;
    std::string conf_type;
    std::string median_ci;
    std::string ties;
    std::string time_unit;
    long small_cell = 0;
    ReportSettingsRecord report;
    std::string text;  // the protocol as written
    std::vector<std::string> accrual;  // first and last index dates, ISO 8601
    Nullable<std::string> data_cutoff;
    std::string index_label;
    std::map<std::string, EndpointRecord> endpoints;
    template <class V> void fields(V& v) {
        v("file", file);
        v("id", id);
        v("title", title);
        v("convention", convention);
        v("conf_type", conf_type);
        v("median_ci", median_ci);
        v("ties", ties);
        v("time_unit", time_unit);
        v("small_cell", small_cell);
        v("report", report);
        v("text", text);
        v("accrual", accrual);
        v("data_cutoff", data_cutoff);
        v("index_label", index_label);
        v("endpoints", endpoints);
    }
};

// Where the data came from: never the store's location (a URI may carry a password).
struct RegistryRecord {
    std::string checksum;  // SHA-256 of the source files
    std::map<std::string, std::string> source_files;
    std::string imported_at;
    Count patients;
    std::string store;  // "sqlite" or "postgresql"
    template <class V> void fields(V& v) {
        v("checksum", checksum);
        v("source_files", source_files);
        v("imported_at", imported_at);
        v("patients", patients);
        v("store", store);
    }
};

struct CohortRecord {
    Count n;
    template <class V> void fields(V& v) { v("n", n); }
};

// A published figure beside ours (docs/protocols.md, "published").
struct PublishedComparisonRow {
    std::string quantity;
    json published;  // as the protocol gives it: a number, or a text such as "<0.001"
    json ours;       // a number, null, or the suppression marker
    std::optional<Number> ours_lower;
    std::optional<Number> ours_upper;
    std::optional<json> published_n;
    std::optional<json> published_of;
    std::optional<Number> ours_n;
    std::optional<Number> ours_of;
    std::string verdict;  // or the suppression marker
    template <class V> void fields(V& v) {
        v("quantity", quantity);
        v("published", published);
        v("ours", ours);
        v("ours_lower", ours_lower);
        v("ours_upper", ours_upper);
        v("published_n", published_n);
        v("published_of", published_of);
        v("ours_n", ours_n);
        v("ours_of", ours_of);
        v("verdict", verdict);
    }
};

// An analysis: its protocol entry's id, kind, title, figure options and published figures,
// the comparison with them, and its kind's typed result.
struct AnalysisEntry {
    std::string id;
    std::string kind;
    std::optional<std::string> title;
    std::optional<json> figure;     // the protocol's `figure` table, for the report
    std::optional<json> published;  // the protocol's `published` table
    std::optional<std::vector<PublishedComparisonRow>> comparison;
    AnalysisResult result;

    // (the result's type depends on `kind`: read after it)
    static AnalysisEntry decode_from(const json& in, const std::string& pointer);
    json encode_to() const;
};

// The small-cell pass's record (docs/report.md); with no threshold, only whether the
// patient-level datasets were written.
struct DisclosureRecord {
    long threshold = 0;
    std::optional<std::string> rule;
    std::optional<std::string> marker;
    std::optional<Count> primary;
    std::optional<Count> complementary;
    std::optional<Count> unprotected;
    std::optional<Count> values_withheld;
    bool patient_level_datasets = true;
    template <class V> void fields(V& v) {
        v("threshold", threshold);
        v("rule", rule);
        v("marker", marker);
        v("primary", primary);
        v("complementary", complementary);
        v("unprotected", unprotected);
        v("values_withheld", values_withheld);
        v("patient_level_datasets", patient_level_datasets);
    }
};

struct ResultsFile {
    std::string rwe_version;
    long schema_version = results_schema_version;
    ProtocolRecord protocol;
    RegistryRecord registry;
    CohortRecord cohort;
    std::vector<AnalysisEntry> analyses;
    std::vector<std::string> warnings;
    std::optional<DisclosureRecord> disclosure_control;
    template <class V> void fields(V& v) {
        v("rwe_version", rwe_version);
        v("schema_version", schema_version);
        v("protocol", protocol);
        v("registry", registry);
        v("cohort", cohort);
        v("analyses", analyses);
        v("warnings", warnings);
        v("disclosure_control", disclosure_control);
    }
};

}  // namespace rwe::results
