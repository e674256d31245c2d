#pragma once
// The analysis datasets written as SQL for the store to run (../shared/DESIGN.md: "plan:
// SQL generated from the protocol, run BY THE STORE"): each patient's index line, the
// derived variables, the selection criteria and the accrual window, the endpoints, the
// best response, the adverse events and the administration days, in the store's dialect,
// so that the store reads the registry and rwe receives the analysis datasets only.
// The rules are those of the derivation library (derivation.hpp, analysis_data.cpp),
// written a second time in SQL; tests/store_derivation_test.cpp holds the two to the same
// datasets on every protocol in studies/.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "rwe/registry/sql_dialect.hpp"
#include "rwe/registry/store_connection.hpp"
#include "rwe/study/analysis_data.hpp"
#include "rwe/study/protocol.hpp"

namespace rwe::study {

struct StoreQueries {
    // One row per patient with an index line, in patient id order. Columns: the patient
    // id, the index date (day number), the arm (0-based), the selection step at which the
    // patient leaves (an index into StudyDataBuilder's steps: 1 the palliative line when the
    // protocol has one, then the criteria in order, then the accrual window; NULL when in
    // the cohort); then the protocol's variables in order (a number as a double, text NULL
    // when missing, a date as its day number, true/false as 1/0); then per endpoint four:
    // the origin (NULL: no record), the date of the event or of censoring, the event (its
    // index in the endpoint's `events`; -1 when censored) and, when censored, why (0 last
    // contact, 1 data cut-off, 2 start of the next line, 3 last assessment); then the best
    // response (NULL: no ADRS record) and the date of the assessment that gave it.
    std::string adsl;
    // Per patient with an index line and term of its adverse events: patient id, term,
    // worst grade, most severe action (1 none, 2 dose_reduced, 3 drug_withdrawn, 4
    // regimen_stopped); by patient id and term.
    std::string adverse_events;
    // Per patient with an index line: patient id, drug, day (relative to the index date)
    // of each administration in the index line up to the cut-off; by patient id and day.
    // Empty when no analysis reads administration days.
    std::string administration_days;
    static constexpr int first_variable = 4;
    // With requests (--reduce store): one statement of rows (part, group, stratum, number,
    // event, count, then K numbers and K texts: the covariates of a pattern, K the most
    // covariates a request has), `part` the request's index; group, stratum and a category
    // as text (a true/false variable as Y/N; NULL when missing or not asked); `number` the
    // step (steps) or the days from the origin to the record's date (records, patterns);
    // event 1 or 0; a numeric covariate as a double (NULL when missing); crosstab's outcome
    // value as the stratum.
    std::string counts;
};

// One count the store makes over the derivation for `rwe run --reduce store` (a part of
// StoreQueries::counts), over the cohort or, with `analysis`, over that analysis's
// population (its `where`).
struct StoreCountRequest {
    enum class Kind {
        steps,       // patients with an index line per selection step (NULL: in the cohort)
        population,  // patients in the population
        values,      // patients per value of the variable `group`
        records,     // records of `endpoint` per value of `group`, of `stratum`, days and event
        patterns,    // records of `endpoint` per value of `stratum`, days, event and the `covariates`' values
        crosstab,    // patients per value of `group` and of the outcome: `stratum`, or with `term`
                     // Y/N for a worst grade of that adverse event of at least `grade`
    };
    Kind kind = Kind::steps;
    std::optional<std::size_t> analysis;  // index into protocol.analyses (one with `where`)
    std::optional<std::size_t> endpoint;  // index into protocol.endpoints
    std::optional<std::size_t> group, stratum;  // indices into protocol.variables
    std::vector<std::size_t> covariates;        // indices into protocol.variables (patterns)
    // An adverse event term (lower case): crosstab's outcome; with `population`, only the
    // patients with an adverse event of the term in the index line.
    std::optional<std::string> term;
    int grade = 0;
};

// What of `protocol` has no SQL form yet, each as `file:line: key: problem (value)`; empty
// when the store can derive it all.
std::vector<std::string> store_derivation_gaps(const Protocol& protocol);

// How the queries read a registry table. `probes`: a correlated subquery per patient,
// which an index answers at once (SQLite, one PostgreSQL server; the faster there).
// `scans`: each table joined to the whole cohort in one pass, for a store whose tables are
// spread over servers (postgres_fdw partitions), where every probe would be a query sent
// to a shard. The same values either way (store_derivation_test runs both).
enum class StoreForm { probes, scans };

// The form for a store: scans when its registry tables are spread over servers.
StoreForm store_form(registry::StoreConnection& store);

// The queries in `dialect`. Throws UsageError listing the gaps when there are any.
StoreQueries store_queries(const Protocol& protocol, const registry::SqlDialect& dialect,
                           const std::vector<StoreCountRequest>& requests = {}, StoreForm form = StoreForm::probes);

// Runs the queries on the registry store at `location` (an SQLite file or a PostgreSQL
// URI) of registry format version 2, and returns the analysis datasets and the attrition
// as StudyDataBuilder makes them from the registry rows, with the warnings on codes the
// registry lacks; `registry` receives describe_registry's account of the store, read
// through the same connection. Throws UsageError listing the gaps, IoError when the store
// cannot be read or is older than format version 2.
// `progress`, when given, hears what the store is doing, in words ("the store is deriving
// ADSL and the endpoints", "ADSL: 20000 patients received", ...).
// `form`: the form of the queries (StoreForm); by default the store's (store_form).
StudyData derive_in_store(const std::string& location, const Protocol& protocol, RegistryInfo& registry,
                          const std::function<void(const std::string&)>& progress = {}, std::optional<StoreForm> form = {});

// rwe run --reduce store: what of `protocol` needs the patients' rows, each as
// `file:line: key: problem (value)` (the store derivation's gaps too); empty when the
// store can count every analysis.
std::vector<std::string> store_reduction_gaps(const Protocol& protocol);

// What the store counts for a run without the patients' rows.
struct CountedStudy {
    // The attrition and the code warnings; ADSL's variables and the endpoints without rows.
    StudyData data;
    std::size_t cohort = 0;
    std::vector<StoreCounts> analyses;  // per protocol analysis
};

// Runs the counts on the registry store at `location` (as derive_in_store). Throws
// UsageError listing store_reduction_gaps when there are any.
CountedStudy count_in_store(const std::string& location, const Protocol& protocol, RegistryInfo& registry,
                            const std::function<void(const std::string&)>& progress = {}, std::optional<StoreForm> form = {});

}  // namespace rwe::study
