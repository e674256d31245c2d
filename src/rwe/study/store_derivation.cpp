#include "rwe/study/store_derivation.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "rwe/common/error.hpp"
#include "rwe/registry/store_connection.hpp"
#include "rwe/study/derivation.hpp"

namespace rwe::study {

namespace {

using Kind = Derivation::Kind;
using registry::SqlDialect;

std::string literal_list(const std::vector<std::string>& values) {
    std::string out;
    for (const auto& value : values) out += (out.empty() ? "" : ", ") + SqlDialect::literal(value);
    return out;
}

// `expression IN (values)`; false for an empty list (SQL has no empty IN list).
std::string in_list(const std::string& expression, const std::vector<std::string>& values) {
    if (values.empty()) return "FALSE";
    return "(" + expression + " IN (" + literal_list(values) + "))";
}

// The writer of one query: the SQL of each part, and what has no SQL form yet.
class AdslWriter {
public:
    AdslWriter(const Protocol& protocol, const SqlDialect& dialect) : p_(protocol), d_(dialect) {}

    std::vector<std::string> gaps;

    std::string day(const std::string& iso) const { return d_.day_of(iso); }
    std::string real(const std::string& number) const { return d_.real(number); }
    std::string real_literal(double value) const {
        return d_.real(fmt::format("{:.17g}", value));
    }
    std::string cutoff() const { return std::to_string(*p_.data_cutoff); }

    // A regimen `r` qualifies for an arm: its code, and the drugs given in it.
    std::string arm_condition(const RegimenChoice& choice) const {
        std::vector<std::string> parts;
        if (!choice.codes.empty()) parts.push_back(in_list("lower(r.regimen)", choice.codes));
        auto given = [&](const std::vector<std::string>& drugs) {
            return "EXISTS (SELECT 1 FROM administration_days a WHERE a.regimen_id = r.regimen_id AND " +
                   in_list("lower(a.drug)", drugs) + ")";
        };
        for (const auto& drug : choice.drugs_all) parts.push_back(given({drug}));
        if (!choice.drugs_any.empty()) parts.push_back(given(choice.drugs_any));
        if (!choice.drugs_none.empty()) parts.push_back("NOT " + given(choice.drugs_none));
        if (parts.empty()) return "TRUE";
        std::string out;
        for (const auto& part : parts) out += (out.empty() ? "" : " AND ") + part;
        return "(" + out + ")";
    }

    // The part of the query before the variables: `ctx`, one row per patient with an index
    // line, holding what derivation.hpp's PatientContext holds.
    std::string context() const {
        const auto& index = p_.index;
        std::string arms = "CASE";
        for (std::size_t k = 0; k < index.regimens.size(); ++k) {
            arms += " WHEN " + arm_condition(index.regimens[k]) + " THEN " + std::to_string(k);
        }
        arms += " END";
        const bool cut = p_.data_cutoff.has_value();
        const std::string start = day("r.start_date");
        std::string sql =
            "WITH qualifying AS (SELECT r.patient_id, r.regimen_id, " + start + " AS start_day, " + arms +
            " AS arm FROM regimens r WHERE " + in_list("lower(r.setting)", index.settings) +
            (cut ? " AND " + start + " <= " + cutoff() : std::string()) + "),\n"
            "first_lines AS (SELECT q.*, row_number() OVER (PARTITION BY q.patient_id ORDER BY q.start_day, q.regimen_id) AS pick"
            " FROM qualifying q WHERE q.arm IS NOT NULL),\n";
        // The index tumour (derivation.cpp index_tumor): diagnosed on or before the index
        // date, one with a metastasis date first, then the latest diagnosed, then by id.
        const std::string tumor =
            "(SELECT t.tumor_id FROM tumors t WHERE t.patient_id = i.patient_id AND " + day("t.diagnosis_date") +
            " <= i.start_day ORDER BY CASE WHEN t.metastasis_date IS NULL THEN 1 ELSE 0 END, t.diagnosis_date DESC, t.tumor_id LIMIT 1)";
        // The next line (derivation.cpp next_line_after): palliative, started after the index
        // line (palliative index line k: line k + 1), the first by start and id; none when
        // it starts after the cut-off.
        const std::string next =
            "(SELECT n.regimen_id FROM regimens n WHERE n.patient_id = i.patient_id AND lower(n.setting) = 'palliative' AND " +
            day("n.start_date") + " > i.start_day AND n.regimen_id <> i.regimen_id AND (lower(x.setting) <> 'palliative' OR n.line = " +
            "COALESCE(x.line, 0) + 1)" + (cut ? " AND " + day("n.start_date") + " <= " + cutoff() : std::string()) +
            " ORDER BY n.start_date, n.regimen_id LIMIT 1)";
        const std::string death = cut ? "CASE WHEN " + day("p.death_date") + " > " + cutoff() + " THEN NULL ELSE " + day("p.death_date") + " END"
                                      : day("p.death_date");
        const std::string contact = cut ? "CASE WHEN " + day("p.last_contact_date") + " > " + cutoff() + " THEN " + cutoff() +
                                              " ELSE " + day("p.last_contact_date") + " END"
                                        : day("p.last_contact_date");
        sql += "base AS MATERIALIZED (SELECT i.patient_id, i.regimen_id AS index_id, i.arm, i.start_day AS index_day, "
               "lower(x.setting) AS setting, COALESCE(x.line, 0) AS line, lower(x.regimen) AS code, " + day("x.end_date") +
               " AS end_day, lower(x.end_reason) AS end_reason, lower(x.clinical_trial) AS trial, "
               "COALESCE(lower(x.measurable_disease), 'unknown') AS measurable, " +
               day("p.birth_date") + " AS birth_day, lower(p.sex) AS sex, lower(p.menopausal_status) AS menopausal, " +
               death + " AS death_day, " + contact + " AS contact_day, " + tumor + " AS tumor_id, " + next +
               " AS next_id FROM first_lines i JOIN regimens x ON x.regimen_id = i.regimen_id JOIN patients p ON p.patient_id = i.patient_id"
               " WHERE i.pick = 1),\n";
        // The end of the index line: its end when recorded (on or before the cut-off), else
        // the last contact.
        const std::string ended = "(b.end_day IS NOT NULL" + (cut ? " AND b.end_day <= " + cutoff() : std::string()) + ")";
        sql += "ctx AS MATERIALIZED (SELECT b.*, " + ended + " AS ended, CASE WHEN " + ended +
               " THEN b.end_day ELSE b.contact_day END AS line_end FROM base b)";
        return sql;
    }

    // A field of a line (derivation.cpp line_field); `line` is the alias of its regimens
    // row (the index line: the ctx columns).
    std::string line_field(const Derivation& v, bool next) {
        const std::string& f = v.field;
        const bool cut = p_.data_cutoff.has_value();
        if (!next) {
            const std::string hidden = "(c.end_day IS NULL" + (cut ? " OR c.end_day > " + cutoff() : std::string()) + ")";
            if (f == "regimen") return "NULLIF(c.code, '')";
            if (f == "start_date") return "c.index_day";
            if (f == "end_date") return "CASE WHEN " + hidden + " THEN NULL ELSE c.end_day END";
            if (f == "end_reason") return "CASE WHEN " + hidden + " THEN 'ongoing' ELSE NULLIF(c.end_reason, '') END";
            if (f == "line") return "CASE WHEN c.line > 0 THEN " + real("c.line") + " END";
            if (f == "clinical_trial") return "COALESCE(c.trial = 'yes', FALSE)";
            if (f == "measurable_disease") return "c.measurable";
            if (f == "setting") return "c.setting";
        } else {
            const std::string end = day("nx.end_date");
            const std::string hidden = "(nx.end_date IS NULL" + (cut ? " OR " + end + " > " + cutoff() : std::string()) + ")";
            const std::string exists = "nx.regimen_id IS NOT NULL";
            if (f == "regimen") return "NULLIF(lower(nx.regimen), '')";
            if (f == "start_date") return day("nx.start_date");
            if (f == "end_date") return "CASE WHEN " + hidden + " THEN NULL ELSE " + end + " END";
            if (f == "end_reason") return "CASE WHEN " + exists + " AND " + hidden + " THEN 'ongoing' ELSE NULLIF(lower(nx.end_reason), '') END";
            if (f == "line") return "CASE WHEN COALESCE(nx.line, 0) > 0 THEN " + real("nx.line") + " END";
            if (f == "clinical_trial") return "CASE WHEN " + exists + " THEN COALESCE(lower(nx.clinical_trial) = 'yes', FALSE) END";
            if (f == "measurable_disease") return "CASE WHEN " + exists + " THEN COALESCE(lower(nx.measurable_disease), 'unknown') END";
            if (f == "setting") return "lower(nx.setting)";
        }
        // These describe the index line whichever line is asked (derivation.cpp).
        std::string value;
        if (f == "end_or_last_contact") value = "c.line_end";
        if (f == "duration") value = "(" + real("c.line_end - c.index_day") + " / " + real_literal(p_.days_per_unit) + ")";
        if (f == "ongoing") value = "(NOT c.ended)";
        if (value.empty()) return "NULL";
        return next ? "CASE WHEN nx.regimen_id IS NOT NULL THEN " + value + " END" : value;
        return "NULL";
    }

    // Whether an assessment `a` belongs to the index line (derivation.cpp assesses).
    std::string assesses() const {
        const std::string date = day("a.assessment_date");
        return "((a.regimen_id IS NOT NULL AND a.regimen_id = c.index_id) OR (a.regimen_id IS NULL AND " + date +
               " >= c.index_day AND " + date + " <= c.line_end))";
    }
    std::string assessed_before_cutoff() const {
        return p_.data_cutoff ? " AND " + day("a.assessment_date") + " <= " + cutoff() : std::string();
    }

    // The biomarker derivation: the shorthand columns of tumors.csv and the rows of
    // biomarkers.csv, in the order registry_data.cpp sorts them (test date, missing first;
    // method; the shorthand rows first, in tumour order; then biomarkers.csv in file order).
    std::string biomarker(const Derivation& v) const {
        const bool diagnosis = v.which == "diagnosis";
        const std::string value_column = v.field == "value" ? "value" : "result";
        std::vector<std::string> arms;
        auto method_ok = [&](const std::string& method) { return v.methods.empty() || std::find(v.methods.begin(), v.methods.end(), method) != v.methods.end(); };
        auto shorthand = [&](const char* column, const char* method, bool ratio) {
            if (!method_ok(method)) return;
            const std::string tested = ratio ? std::string("t2.") + column + " IS NOT NULL"
                                             : std::string("t2.") + column + " IS NOT NULL AND lower(t2." + column + ") <> 'unknown'";
            arms.push_back(std::string("SELECT t2.tumor_id AS tumor_id, '") + method + "' AS method, " +
                           (ratio ? std::string("CAST(NULL AS TEXT)") : "lower(t2." + std::string(column) + ")") +
                           " AS result, " + (ratio ? real("t2." + std::string(column)) : "CAST(NULL AS " + std::string(d_.real_type) + ")") +
                           " AS value, " + day("t2.diagnosis_date") + " AS test_day, 0 AS kind, t2.tumor_id AS tumor_key, 0 AS line_key"
                           " FROM tumors t2 WHERE t2.patient_id = c.patient_id AND " + tested);
        };
        if (v.code == "er") shorthand("er", "ihc", false);
        if (v.code == "pr") shorthand("pr", "ihc", false);
        if (v.code == "her2") {
            shorthand("her2_ihc", "ihc", false);
            shorthand("her2_ish_ratio", "ish", true);
        }
        std::string methods;
        if (!v.methods.empty()) methods = " AND " + in_list("COALESCE(lower(b.method), 'unknown')", v.methods);
        arms.push_back("SELECT b.tumor_id AS tumor_id, COALESCE(lower(b.method), 'unknown') AS method, lower(b.result) AS result, " +
                       real("b.value") + " AS value, " + day("b.test_date") + " AS test_day, 1 AS kind, '' AS tumor_key, b.source_line AS line_key"
                       " FROM biomarkers b WHERE b.patient_id = c.patient_id AND lower(b.marker) = " + SqlDialect::literal(v.code) + methods);
        std::string rows;
        for (const auto& arm : arms) rows += (rows.empty() ? "" : " UNION ALL ") + arm;
        std::string sql = "(SELECT " + std::string(value_column == "result" ? "NULLIF(m.result, '')" : "m.value") + " FROM (" + rows + ") m WHERE ";
        if (diagnosis) {
            // The index tumour's first test: the earliest dated, else the first undated.
            sql += "m.tumor_id = c.tumor_id ORDER BY CASE WHEN m.test_day IS NULL THEN 1 ELSE 0 END, m.test_day, m.method, m.kind, m.tumor_key, m.line_key LIMIT 1)";
        } else {
            // The latest dated on or before the index date; of equal dates, the last in order.
            sql += "m.test_day IS NOT NULL AND m.test_day <= c.index_day ORDER BY m.test_day DESC, m.method DESC, m.kind DESC, m.tumor_key DESC, m.line_key DESC LIMIT 1)";
        }
        return sql;
    }

    // A library derivation over `c` (ctx), `t` (the index tumour) and `nx` (the next line).
    std::string derivation(const VariableDefinition& variable) {
        const Derivation& v = *variable.derivation;
        const bool cut = p_.data_cutoff.has_value();
        switch (v.kind) {
            case Kind::age: return years_between("c.birth_day", "c.index_day", d_);
            case Kind::patient:
                if (v.field == "sex") return "NULLIF(c.sex, '')";
                if (v.field == "menopausal_status") return "COALESCE(NULLIF(c.menopausal, ''), 'unknown')";
                if (v.field == "birth_date") return "c.birth_day";
                if (v.field == "death_date") return "c.death_day";
                if (v.field == "last_contact_date") return "c.contact_day";
                return "NULL";
            case Kind::tumor: {
                const std::string exists = "CASE WHEN t.tumor_id IS NULL THEN NULL ELSE ";
                if (v.field == "stage") return "NULLIF(lower(t.stage_at_diagnosis), '')";
                if (v.field == "primary_site") return exists + "COALESCE(lower(t.primary_site), 'unknown') END";
                if (v.field == "histology") return "NULLIF(lower(t.histology), '')";
                if (v.field == "diagnosis_date") return day("t.diagnosis_date");
                if (v.field == "surgery_date") return day("t.surgery_date");
                if (v.field == "metastasis_date") return day("t.metastasis_date");
                return "NULL";
            }
            case Kind::biomarker: return biomarker(v);
            case Kind::observation: {
                // Nearest the index date within the window; of two as near, the earlier.
                const std::string date = day("o.observation_date");
                const std::string offset = "(" + date + " - c.index_day)";
                const std::string has = v.field == "value" ? "o.value IS NOT NULL" : "NULLIF(lower(o.result), '') IS NOT NULL";
                // (The order is on columns of an inner query: SQLite cannot order a
                // correlated subquery by an outer column.)
                return "(SELECT m.value FROM (SELECT " + std::string(v.field == "value" ? real("o.value") : "lower(o.result)") +
                       " AS value, abs" + offset + " AS distance, " + date + " AS day, o.source_line AS line"
                       " FROM observations o WHERE o.patient_id = c.patient_id AND lower(o.name) = " + SqlDialect::literal(v.code) +
                       " AND " + offset + " >= " + std::to_string(v.window_from) + " AND " + offset + " <= " +
                       std::to_string(v.window_to) + " AND " + has + ") m ORDER BY m.distance, m.day, m.line LIMIT 1)";
            }
            case Kind::metastasis:
                return "EXISTS (SELECT 1 FROM metastases s WHERE s.patient_id = c.patient_id AND " + day("s.detected_date") +
                       " <= c.index_day + " + std::to_string(v.window_to) + " AND " + in_list("lower(s.site)", v.sites) + ")";
            case Kind::prior_exposure: {
                std::string which = "TRUE";
                if (!v.drugs.empty() || !v.regimens.empty()) {
                    which = "(" + in_list("lower(r.regimen)", v.regimens) +
                            " OR EXISTS (SELECT 1 FROM administration_days a WHERE a.regimen_id = r.regimen_id AND " +
                            in_list("lower(a.drug)", v.drugs) + "))";
                }
                return "EXISTS (SELECT 1 FROM regimens r WHERE r.patient_id = c.patient_id AND " + day("r.start_date") +
                       " < c.index_day AND r.regimen_id <> c.index_id AND " + in_list("lower(r.setting)", v.settings) + " AND " +
                       which + ")";
            }
            case Kind::administrations: {
                // Distinct days of the drugs in the index line (administration_days lists
                // each drug's days): counted from the rows of index_days.
                std::string sql = "COALESCE((SELECT count(DISTINCT g.day) FROM index_days g WHERE g.patient_id = c.patient_id";
                if (!v.drugs.empty()) sql += " AND " + in_list("g.drug", v.drugs);
                if (v.within_days) sql += " AND g.day <= c.index_day + " + std::to_string(*v.within_days);
                if (cut) sql += " AND g.day <= " + cutoff();
                uses_index_days = true;
                return real(sql + "), 0)");
            }
            case Kind::index_line: return line_field(v, false);
            case Kind::next_line: return line_field(v, true);
            case Kind::best_response: {
                const std::string rank = "CASE lower(a.response) WHEN 'cr' THEN 4 WHEN 'pr' THEN 3 WHEN 'sd' THEN 2 WHEN 'pd' THEN 1 ELSE 0 END";
                std::string sql = "(SELECT CASE max(" + rank + ") WHEN 4 THEN 'CR' WHEN 3 THEN 'PR' WHEN 2 THEN 'SD' WHEN 1 THEN 'PD' ELSE 'NE' END"
                                  " FROM assessments a WHERE a.patient_id = c.patient_id AND " + assesses() + " AND " +
                                  day("a.assessment_date") + " >= c.index_day" + assessed_before_cutoff() + ")";
                if (v.measurable_only) sql = "CASE WHEN c.measurable = 'yes' THEN " + sql + " END";
                return sql;
            }
            case Kind::first_response:
                return "(SELECT min(" + day("a.assessment_date") + ") FROM assessments a WHERE a.patient_id = c.patient_id AND " +
                       assesses() + " AND " + day("a.assessment_date") + " >= c.index_day AND lower(a.response) IN ('cr', 'pr')" +
                       assessed_before_cutoff() + ")";
            case Kind::progression: {
                const std::string rows = " FROM assessments a WHERE a.patient_id = c.patient_id AND lower(a.response) = 'pd' AND " +
                                         day("a.assessment_date") + " > c.index_day" + assessed_before_cutoff();
                if (v.field == "date") return "(SELECT min(" + day("a.assessment_date") + ")" + rows + ")";
                return "EXISTS (SELECT 1" + rows + ")";
            }
            case Kind::prior_regimens: {
                // "setting REGIMEN; ..." in start order (derivation.cpp).
                const std::string item = "lower(r.setting) || ' ' || " + d_.upper_ascii("lower(r.regimen)");
                const std::string rows = " FROM regimens r WHERE r.patient_id = c.patient_id AND " + day("r.start_date") +
                                         " < c.index_day AND r.regimen_id <> c.index_id AND " +
                                         in_list("lower(r.setting)", v.settings);
                if (d_.numbered_placeholders) {
                    return "(SELECT string_agg(" + item + ", '; ' ORDER BY r.start_date, r.regimen_id)" + rows + ")";
                }
                // SQLite (before 3.44) has no ORDER BY in an aggregate; a window's
                // aggregate takes its rows in the window's order.
                return "(SELECT w.listed FROM (SELECT group_concat(" + item +
                       ", '; ') OVER (ORDER BY r.start_date, r.regimen_id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS listed" +
                       rows + ") w LIMIT 1)";
            }
            case Kind::band: return "NULL";  // written over its source (value_sql)
        }
        return "NULL";
    }

    std::string value_literal(const Value& value) const {
        switch (value.kind) {
            case Value::Kind::missing: return "NULL";
            case Value::Kind::number: return real_literal(value.number);
            case Value::Kind::text: return SqlDialect::literal(value.text);
            case Value::Kind::date: return std::to_string(value.date);
            case Value::Kind::boolean: return value.number != 0 ? "TRUE" : "FALSE";
        }
        return "NULL";
    }

    std::string expression(const Expression& e, std::size_t line, const std::string& key) {
        auto sql = e.to_sql([&](std::size_t slot) { return values.at(slot); }, d_, p_.days_per_unit);
        if (!sql) {
            gaps.push_back(where_what(p_.path, line, key, "uses a function with no SQL form yet (round)", e.text()));
            return "NULL";
        }
        return *sql;
    }

    // The whole query.
    std::string write() {
        const std::size_t width = p_.variables.size();
        std::string derived;  // the library derivations, computed once per patient in `d`
        for (std::size_t k = 0; k < width; ++k) {
            const auto& variable = p_.variables[k];
            std::string raw;
            if (variable.name == "TRTSDT") {
                raw = "d.index_day";
            } else if (variable.name == "ARM") {
                raw = "CASE d.arm";
                for (std::size_t a = 0; a < p_.index.regimens.size(); ++a) {
                    raw += " WHEN " + std::to_string(a) + " THEN " + (p_.index.regimens[a].name.empty() ? std::string("NULL") : SqlDialect::literal(p_.index.regimens[a].name));
                }
                raw += " END";
            } else if (variable.derivation && variable.derivation->kind == Kind::band) {
                const Derivation& band = *variable.derivation;
                const std::string from = values.at(band.from_slot);
                raw = "CASE WHEN " + from + " IS NULL THEN NULL";
                for (std::size_t b = 0; b < band.upper.size(); ++b) {
                    raw += " WHEN " + from + " <= " + real_literal(band.upper[b]) + " THEN " + SqlDialect::literal(band.labels[b]);
                }
                raw += " ELSE " + SqlDialect::literal(band.labels.back()) + " END";
            } else if (variable.derivation) {
                derived += ",\n  " + derivation(variable) + " AS v" + std::to_string(k);
                raw = "d.v" + std::to_string(k);
            } else {
                raw = expression(*variable.expression, variable.line, "variables." + variable.name + ".expr");
            }
            if (variable.fallback) raw = "COALESCE(" + raw + ", " + value_literal(*variable.fallback) + ")";
            values.push_back("(" + raw + ")");
        }
        // The step at which a patient leaves, as StudyDataBuilder counts them.
        std::string step = "CASE";
        std::size_t next_step = 1;
        const auto& index = p_.index;
        if (index.line_first > 0) {
            step += fmt::format(" WHEN NOT COALESCE(d.setting = 'palliative' AND d.line >= {} AND d.line <= {}, FALSE) THEN 1",
                                index.line_first, index.line_last);
            next_step = 2;
        }
        for (std::size_t k = 0; k < p_.criteria.size(); ++k) {
            const auto& criterion = p_.criteria[k];
            const std::string verdict = "COALESCE(" + expression(criterion.expression, criterion.line, fmt::format("criteria[{}]", k)) + ", FALSE)";
            step += " WHEN " + (criterion.exclude ? verdict : "NOT " + verdict) + " THEN " + std::to_string(next_step + k);
        }
        step += fmt::format(" WHEN d.index_day < {} OR d.index_day > {} THEN {} END", index.accrual_start, index.accrual_end,
                            next_step + p_.criteria.size());

        std::string sql = context();
        if (uses_index_days) {
            // The days of the index line's administrations, a row per drug and day, from
            // administration_days' lists of day numbers ("17532 17553 ...").
            sql += ",\nindex_days AS MATERIALIZED (WITH RECURSIVE split(patient_id, drug, rest, day) AS ("
                   "SELECT c.patient_id, lower(a.drug), a.days || ' ', CAST(NULL AS INTEGER) FROM ctx c JOIN administration_days a ON a.regimen_id = c.index_id"
                   " UNION ALL SELECT patient_id, drug, substr(rest, " + d_.find("rest", "' '") + " + 1), CAST(substr(rest, 1, " + d_.find("rest", "' '") + " - 1) AS INTEGER)"
                   " FROM split WHERE rest <> '') SELECT patient_id, drug, day FROM split WHERE day IS NOT NULL)";
        }
        sql += ",\nd AS MATERIALIZED (SELECT c.*" + derived +
               "\n FROM ctx c LEFT JOIN tumors t ON t.tumor_id = c.tumor_id LEFT JOIN regimens nx ON nx.regimen_id = c.next_id)\n";
        sql += "SELECT d.patient_id, d.index_day, d.arm, " + step;
        for (std::size_t k = 0; k < width; ++k) {
            const auto& variable = p_.variables[k];
            switch (variable.type) {
                case ValueType::number: sql += ",\n  " + real(values[k]); break;
                case ValueType::boolean: sql += ",\n  CASE WHEN " + values[k] + " THEN 1 WHEN NOT " + values[k] + " THEN 0 END"; break;
                case ValueType::text: sql += ",\n  NULLIF(" + values[k] + ", '')"; break;
                case ValueType::date: sql += ",\n  " + values[k]; break;
            }
        }
        sql += "\nFROM d ORDER BY d.patient_id";
        return sql;
    }

    bool uses_index_days = false;
    std::vector<std::string> values;  // the SQL of each variable's value, fallback applied

private:
    const Protocol& p_;
    const SqlDialect& d_;
};

}  // namespace

std::vector<std::string> store_adsl_gaps(const Protocol& protocol) {
    AdslWriter writer(protocol, registry::sqlite_dialect);
    writer.write();
    return writer.gaps;
}

StoreAdslQuery store_adsl_query(const Protocol& protocol, const registry::SqlDialect& dialect) {
    AdslWriter writer(protocol, dialect);
    StoreAdslQuery query{writer.write()};
    if (!writer.gaps.empty()) {
        std::string message = "the store cannot derive this protocol's ADSL yet:";
        for (const auto& gap : writer.gaps) message += "\n  " + gap;
        throw UsageError(message);
    }
    return query;
}

StudyData derive_subject_level_in_store(const std::string& location, const Protocol& protocol) {
    auto store = registry::open_store(location);
    const StoreAdslQuery query = store_adsl_query(protocol, store->dialect());
    for (const char* table : {"administration_days", "biomarkers", "observations", "metastases"}) {
        if (!store->has_table(table)) {
            throw IoError("registry store " + location + ": no " + table +
                          " table (imported before registry format version 2): import the registry again");
        }
    }
    std::size_t registry_patients = 0;
    store->for_each_row("SELECT count(*) FROM patients", {}, [&](const registry::StoreRow& row) {
        registry_patients = static_cast<std::size_t>(row.integer(0));
    });
    StudyDataBuilder builder(protocol);
    std::vector<Value> values(protocol.variables.size());
    store->for_each_row(query.sql, {}, [&](const registry::StoreRow& row) {
        for (std::size_t k = 0; k < values.size(); ++k) {
            const int column = StoreAdslQuery::first_variable + static_cast<int>(k);
            if (row.is_null(column)) {
                values[k] = Value{};
                continue;
            }
            switch (protocol.variables[k].type) {
                case ValueType::number: values[k] = Value::of_number(row.real(column)); break;
                case ValueType::text: values[k] = Value::of_text(std::string(row.text(column))); break;
                case ValueType::date: values[k] = Value::of_date(static_cast<Day>(row.integer(column))); break;
                case ValueType::boolean: values[k] = Value::of_boolean(row.integer(column) != 0); break;
            }
        }
        std::optional<std::size_t> leaves_at;
        if (!row.is_null(3)) leaves_at = static_cast<std::size_t>(row.integer(3));
        builder.add_derived(std::string(row.text(0)), static_cast<Day>(row.integer(1)), leaves_at, values);
    });
    StudyData data = builder.finish(registry_patients, {});
    data.warnings.clear();  // the code warnings need the registry's codes (read_registry)
    return data;
}

}  // namespace rwe::study
