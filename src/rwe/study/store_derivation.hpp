#pragma once
// The cohort and ADSL written as SQL for the store to run (../shared/DESIGN.md: "plan: SQL
// generated from the protocol, run BY THE STORE"): each patient's index line, the derived
// variables, the selection criteria and the accrual window, in the store's dialect, so that
// the store reads the registry and rwe receives one row per patient with an index line.
// The rules are those of the derivation library (derivation.hpp, analysis_data.cpp), written
// a second time in SQL; tests/store_derivation_test.cpp holds the two to the same ADSL and
// attrition. The endpoints, ADRS and ADAE have no SQL form yet: `rwe run` derives them from
// the registry rows (read_registry), and derives ADSL there too until they have.

#include <cstddef>
#include <string>
#include <vector>

#include "rwe/registry/sql_dialect.hpp"
#include "rwe/study/analysis_data.hpp"
#include "rwe/study/protocol.hpp"

namespace rwe::study {

// One row per patient with an index line, in patient id order. Columns: the patient id,
// the index date (day number), the arm (0-based), the selection step at which the patient
// leaves (an index into StudyDataBuilder's steps: 1 the palliative line when the protocol
// has one, then the criteria in order, then the accrual window; NULL when in the cohort),
// then the protocol's variables in order: a number as a double, text (NULL when missing), a
// date as its day number, true/false as 1/0.
struct StoreAdslQuery {
    std::string sql;
    static constexpr int first_variable = 4;
};

// What of `protocol` has no SQL form yet, each as `file:line: key: problem (value)`; empty
// when the store can derive the whole of ADSL and the attrition.
std::vector<std::string> store_adsl_gaps(const Protocol& protocol);

// The query in `dialect`. Throws UsageError listing the gaps when there are any.
StoreAdslQuery store_adsl_query(const Protocol& protocol, const registry::SqlDialect& dialect);

// Runs the query on the registry store at `location` (an SQLite file or a PostgreSQL URI
// of registry format version 2) and returns the attrition and ADSL; the endpoints, ADRS,
// ADAE and the code warnings are left empty. Throws UsageError listing the gaps, IoError
// when the store cannot be read or is older than format version 2.
StudyData derive_subject_level_in_store(const std::string& location, const Protocol& protocol);

}  // namespace rwe::study
