#pragma once
// Cohort selection with attrition, and the analysis datasets derived from the registry
// (CDISC ADaM names, ../shared/DESIGN.md): ADSL one row per patient, ADTTE one row per
// patient and time-to-event parameter, ADRS best overall response, ADAE worst grade per
// patient and term. Endpoint definitions: docs/protocols.md ("Derivations").

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "rwe/common/flat_lists.hpp"
#include "rwe/study/protocol.hpp"
#include "rwe/study/registry_data.hpp"
#include "rwe/study/text_column.hpp"

namespace rwe::study {

struct AttritionStep {
    std::string criterion;  // what patients must meet to stay
    std::string reason;     // why those who leave at this step are excluded
    std::size_t excluded = 0;
    std::size_t remaining = 0;
};

// One ADSL column: numeric (NaN = missing) or categorical (empty = missing) with its
// levels in display order (the first level is the reference in Cox models). Text, date
// (ISO 8601) and true/false variables (`Y`/`N`, levels N then Y) are categorical; `type`
// says which, for expressions over ADSL rows.
struct Variable {
    std::string name;
    std::string label;
    bool numeric = false;
    std::vector<double> numbers;
    TextColumn values;
    std::vector<std::string> levels;
    ValueType type = ValueType::text;
    std::map<std::string, std::string> value_labels;  // level → text for tables
    std::string summary;  // a number's summary in tables ("" = the table's choice)

    // The value of one row as an expression sees it.
    Value value(std::size_t row) const;
};

struct SubjectLevel {
    std::vector<std::string> usubjid;
    std::vector<Day> index_date;
    std::vector<Variable> variables;  // in column order

    std::size_t size() const { return usubjid.size(); }
    const Variable* find(const std::string& name) const;
    const Variable& at(const std::string& name) const;  // UsageError naming the known ones
};

// 32 bytes: millions of records at national scale (a record per patient and endpoint).
struct TimeToEventRecord {
    std::size_t subject = 0;  // row of ADSL
    Day start = 0;
    Day date = 0;       // ADT: event or censoring date
    double aval = 0;    // (date - start) in the protocol's time unit
    int cnsr = 1;       // 0 = event, 1 = censored
    std::int16_t cause = -1;  // the event recorded: its index in the endpoint's `events`; -1 when censored
    std::uint16_t description = 0;  // EVNTDESC: index in TimeToEvent::descriptions
};

struct TimeToEvent {
    std::string paramcd;
    std::string param;  // description
    std::vector<TimeToEventRecord> records;
    std::vector<std::string> descriptions;  // the records' event descriptions, each once

    const std::string& description(const TimeToEventRecord& record) const { return descriptions.at(record.description); }
    // The index of `text` in `descriptions`, added when new.
    std::uint16_t description_code(const std::string& text);
};

struct ResponseRecord {
    std::size_t subject = 0;
    std::string best_response;  // CR, PR, SD, PD, NE
    Day date = 0;               // of the assessment giving it (0 for NE)
};

// 16 bytes: millions of records at national scale. The term and the action are codes into
// StudyData's ae_terms and ae_actions (StudyData::add_adverse_event interns them).
struct AdverseEventRecord {
    std::size_t subject = 0;
    std::uint32_t term = 0;
    std::int16_t worst_grade = 0;
    std::uint16_t action = 0;  // the most severe action taken for this term
};

// What the store counted for one analysis over its population, in place of the rows
// (store_reduction.hpp): the endpoints' records per group, stratum, day and event.
struct StoreCounts {
    struct Tally {
        std::optional<std::string> group, stratum;  // the values as the store gives them; nullopt: missing
        std::int64_t days = 0;                      // ADT - STARTDT
        bool event = false;
        std::uint64_t records = 0;
    };
    std::size_t population = 0;  // patients in the analysis's population
    // By tally_key(endpoint, group variable, stratum variable).
    std::map<std::string, std::vector<Tally>> tallies;
    // The distinct values (as the store gives them) of the variables that group or
    // stratify, over the population, by variable name.
    std::map<std::string, std::vector<std::string>> values;

    // A Cox model's records per stratum, day, event and covariate values (the covariates in
    // the analysis's order: a number in `numbers`, NaN when missing; a category's value as
    // a code into `texts`, -1 when missing), one pattern a row, by pattern_key(endpoint,
    // covariates, stratum variable). Columns: a million patterns take about 85 MB.
    struct Patterns {
        std::size_t width = 0;               // covariates
        std::vector<std::int32_t> stratum;   // code into `texts`; -1: missing
        std::vector<std::int64_t> days;
        std::vector<std::uint8_t> event;
        std::vector<std::uint64_t> records;
        std::vector<double> numbers;         // rows x width
        std::vector<std::int32_t> codes;     // rows x width
        std::vector<std::string> texts;      // the distinct values

        std::size_t size() const { return days.size(); }
        const std::optional<std::string> text(std::int32_t code) const {
            return code < 0 ? std::nullopt : std::optional<std::string>(texts.at(static_cast<std::size_t>(code)));
        }
    };
    std::map<std::string, std::shared_ptr<const Patterns>> patterns;
    // Patients per value of a group (`group`) and of an outcome (`stratum`; days and event
    // unused), by crosstab_key(group variable, outcome); and, per adverse event term, how
    // many patients of the population have it.
    std::map<std::string, std::vector<Tally>> crosstabs;
    std::map<std::string, std::size_t> term_patients;

    static std::string tally_key(const std::string& endpoint, const std::string& group, const std::string& stratum) {
        return endpoint + "|" + group + "|" + stratum;
    }
    static std::string crosstab_key(const std::string& group, const std::string& outcome) { return group + "|" + outcome; }
    static std::string pattern_key(const std::string& endpoint, const std::vector<std::string>& covariates, const std::string& stratum) {
        std::string key = endpoint + "|";
        for (const auto& name : covariates) key += name + ",";
        return key + "|" + stratum;
    }
};

// Per ADSL row a list of days (relative to the index date).
using DayLists = FlatLists<int>;

struct StudyData {
    std::vector<AttritionStep> attrition;
    SubjectLevel adsl;
    std::vector<TimeToEvent> adtte;
    std::vector<ResponseRecord> adrs;  // patients with measurable disease
    std::vector<AdverseEventRecord> adae;
    std::vector<std::string> ae_terms, ae_actions;  // the distinct values ADAE's codes index
    std::unordered_map<std::string, std::uint32_t> ae_term_codes;  // ae_terms' index (while adding)
    // Per landmark analysis (by id), per ADSL row: the days (relative to the index date)
    // on which the analysis's drugs were given in the index line, distinct, ascending.
    std::map<std::string, DayLists> administration_days;
    // What depends on the data and may surprise (an AE term or drug the registry lacks):
    // `file:line: key: warning: problem (value)`, also printed by `rwe run`.
    std::vector<std::string> warnings;

    const TimeToEvent& endpoint(const std::string& paramcd) const;  // UsageError when unknown
    const std::string& ae_term(const AdverseEventRecord& record) const { return ae_terms.at(record.term); }
    const std::string& ae_action(const AdverseEventRecord& record) const { return ae_actions.at(record.action); }
    // The code of an ADAE term; nullopt when no record has it.
    std::optional<std::uint32_t> ae_term_code(const std::string& term) const;
    // Appends an ADAE record, the term and action interned.
    void add_adverse_event(std::size_t subject, const std::string& term, int worst_grade, const std::string& action);
};

// The analysis kinds that read the days of their drugs' administrations in the index line
// (StudyData::administration_days).
bool reads_administration_days(const std::string& kind);

// Selects the cohort and derives the analysis datasets from the registry, a chunk of
// patients at a time (read_registry), so that only the analysis datasets are held.
class StudyDataBuilder {
public:
    explicit StudyDataBuilder(const Protocol& protocol);  // `protocol` must outlive the builder
    ~StudyDataBuilder();
    StudyDataBuilder(const StudyDataBuilder&) = delete;
    StudyDataBuilder& operator=(const StudyDataBuilder&) = delete;

    // The next patients, in id order after those added before.
    void add(const RegistryData& patients);
    // The next patient with an index line whose variables the store derived
    // (store_derivation.hpp): `leaves_at` is the step at which they leave (an index into
    // the selection steps, 1 and after), nullopt when they are in the cohort. Only ADSL and
    // the attrition are built this way.
    void add_derived(std::string usubjid, Day index_date, std::optional<std::size_t> leaves_at, std::span<const Value> row);
    // `patients` patients with an index line counted by the store (store_reduction.hpp),
    // who leave at `leaves_at` as in add_derived: they count in the attrition only (finish
    // gives an ADSL without rows; its variables have no levels).
    void add_counted(std::optional<std::size_t> leaves_at, std::size_t patients);
    // `registry_patients`: how many patients the registry holds (the first attrition row);
    // `codes`: the codes it uses, for warnings about codes the protocol names in vain.
    StudyData finish(std::size_t registry_patients, const RegistryCodes& codes);

private:
    struct State;
    std::unique_ptr<State> state_;
};

// What the protocol needs of the registry: the patients who may have an index regimen (a
// superset, selected by the store; the others count as excluded at the first selection
// step), the regimens whose administrations a derivation, the index choice or an
// analysis looks at, and the regimen and drug codes it names (for code warnings).
ReadPlan read_plan(const Protocol& protocol);

// The whole registry at once (tests).
StudyData derive_study_data(const RegistryData& registry, const Protocol& protocol);

// A categorical value as ADSL spells it: a value that matches a declared level without
// case takes the level's spelling (the last such level).
std::string declared_spelling(const std::string& value, const std::vector<std::string>& declared);

// The levels of a categorical ADSL variable whose distinct values (as ADSL spells them)
// are `seen`: the declared levels that occur, in order, then the other values, ascending.
std::vector<std::string> level_order(const std::vector<std::string>& declared, const std::vector<std::string>& seen);

// The rows of ADSL where `where` is true (all rows when it is absent).
std::vector<bool> select_rows(const SubjectLevel& adsl, const std::optional<Expression>& where,
                              const Protocol& protocol);

// A CSV cell of the analysis datasets: text neutralised against spreadsheet formulas, quoted
// when needed.
std::string csv_cell(const std::string& raw);

// A patient-level dataset an analysis makes (the matched data of a ps_match analysis): the
// file's name and its CSV text.
struct AnalysisDataset {
    std::string file;
    std::string csv;
};

// Writes adsl.csv, adtte.csv, adrs.csv and adae.csv into `directory`, and each of `more`.
void write_analysis_datasets(const StudyData& data, const Protocol& protocol, const std::string& directory,
                             const std::vector<AnalysisDataset>& more = {});

}  // namespace rwe::study
