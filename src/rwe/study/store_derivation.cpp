#include "rwe/study/store_derivation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <memory>
#include <unordered_map>
#include <set>

#include "rwe/common/error.hpp"
#include "rwe/common/text.hpp"
#include "rwe/registry/store_connection.hpp"
#include "rwe/study/analysis_options.hpp"
#include "rwe/study/date.hpp"
#include "rwe/study/derivation.hpp"

namespace rwe::study {

namespace {

using Kind = Derivation::Kind;
using registry::SqlDialect;

bool contains(const std::vector<std::string>& list, const std::string& value) {
    return std::find(list.begin(), list.end(), value) != list.end();
}

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
class StoreWriter {
public:
    StoreWriter(const Protocol& protocol, const SqlDialect& dialect, StoreForm form = StoreForm::probes)
        : scans_(form == StoreForm::scans), p_(protocol), d_(dialect) {}

    std::vector<std::string> gaps;

    std::string day(const std::string& iso) const { return d_.day_of(iso); }
    std::string real(const std::string& number) const { return d_.real(number); }
    std::string real_literal(double value) const {
        return d_.real(fmt::format("{:.17g}", value));
    }
    std::string cutoff() const { return std::to_string(*p_.data_cutoff); }
    // The cut-off as ISO text: registry dates are ISO text in the store, and compared as
    // text they order as dates (no conversion per row).
    std::string cutoff_iso() const { return SqlDialect::literal(format_iso_date(*p_.data_cutoff)); }

    // Two forms of every value read from a registry table (StoreForm). Probes: a
    // correlated subquery per row of a layer, which an index answers at once in SQLite or
    // a single PostgreSQL server. Scans: one scan of the table joined to the whole layer,
    // for a store whose tables are spread over servers, where PostgreSQL would send each
    // probe to a shard as a query of its own (postgres_fdw).
    // A layer is a CTE (or join) `source` with one row per `key`. A scan is a LEFT JOIN of
    // one row per key, added to the layer; inside it the layer's alias is bound again to
    // the layer itself, so a condition written over the layer's columns (`c.index_day`)
    // reads the same text in both forms.
    struct Layer {
        std::string source;  // e.g. "ctx c"
        std::string key;     // e.g. "c.patient_id"
        std::string where;   // rows of the source that count, or empty
        std::vector<std::string> joins;
        std::map<std::string, std::string> made;  // a scan asked for twice is joined once
        std::string joined() const {
            std::string out;
            for (const auto& join : joins) out += "\n  " + join;
            return out;
        }
    };
    // The rows read: `from` (a table and its alias) matched to the layer's row by `on`;
    // `more` follows `from` (a table function over it).
    struct Rows {
        std::string from, on, more;
    };
    std::string scanned(const Layer& layer, const Rows& rows, const std::string& where) const {
        const std::string condition = layer.where.empty() ? where : layer.where + " AND " + where;
        return " FROM " + layer.source + " JOIN " + rows.from + " ON " + rows.on + rows.more + " WHERE " + condition;
    }
    static std::string probed(const Rows& rows, const std::string& where) {
        return " FROM " + rows.from + rows.more + " WHERE " + rows.on + " AND " + where;
    }
    std::string join_as(Layer& layer, const std::string& select) const {
        if (const auto made = layer.made.find(select); made != layer.made.end()) return made->second;
        const std::string alias = "s" + std::to_string(++pieces_);
        layer.joins.push_back("LEFT JOIN (" + select + ") " + alias + " ON " + alias + ".k = " + layer.key);
        return layer.made[select] = alias + ".v";
    }
    // As scans, the index tumour's and the next line's rows are joined by the patient
    // (never NULL, one row each), not by their ids: PostgreSQL keeps a preserved side's
    // NULL keys in one batch of its hash table, which, for the ~40% of patients without a
    // next line, would split into thousands of batches without ever fitting.
    static std::string by_patient(const std::string& table, const std::string& alias, const std::string& id, const std::string& ctx_id) {
        return "LEFT JOIN (SELECT c.patient_id AS k, " + alias + ".* FROM ctx c JOIN " + table + " " + alias + " ON " + alias + "." + id +
               " = c." + ctx_id + ") " + alias + " ON " + alias + ".k = c.patient_id";
    }
    // The `value` of the first row by `order` (expressions, each ascending or followed by
    // " DESC") of `rows` where `where`; NULL when none.
    std::string first_of(Layer& layer, const Rows& rows, const std::string& where, const std::string& value,
                         const std::vector<std::string>& order) const {
        std::string keys;
        for (const auto& key : order) keys += (keys.empty() ? "" : ", ") + key;
        if (scans_) {
            return join_as(layer, "SELECT w.k, w.v FROM (SELECT " + layer.key + " AS k, " + value + " AS v, row_number() OVER (PARTITION BY " +
                                      layer.key + " ORDER BY " + keys + ") AS n" + scanned(layer, rows, where) + ") w WHERE w.n = 1");
        }
        // The order is on columns of an inner query: SQLite cannot order a correlated
        // subquery by an outer column.
        std::string columns, outer;
        for (std::size_t k = 0; k < order.size(); ++k) {
            std::string key = order[k];
            const bool descending = key.size() > 5 && key.compare(key.size() - 5, 5, " DESC") == 0;
            if (descending) key.resize(key.size() - 5);
            columns += ", " + key + " AS o" + std::to_string(k);
            outer += (k ? ", w.o" : "w.o") + std::to_string(k) + (descending ? " DESC" : "");
        }
        return "(SELECT w.v FROM (SELECT " + value + " AS v" + columns + probed(rows, where) + ") w ORDER BY " + outer + " LIMIT 1)";
    }
    // An aggregate of `rows` where `where`: NULL when there are none (count too) as a
    // scan; as a probe, what the aggregate gives on no rows.
    std::string aggregate_of(Layer& layer, const Rows& rows, const std::string& where, const std::string& aggregate) const {
        if (!scans_) return "(SELECT " + aggregate + probed(rows, where) + ")";
        return join_as(layer, "SELECT " + layer.key + " AS k, " + aggregate + " AS v" + scanned(layer, rows, where) + " GROUP BY " + layer.key);
    }
    // Whether `rows` has a row where `where` (never NULL).
    std::string any_of(const Layer& layer, const Rows& rows, const std::string& where) const {
        if (!scans_) return "EXISTS (SELECT 1" + probed(rows, where) + ")";
        return "(" + layer.key + " IN (SELECT " + layer.key + scanned(layer, rows, where) + "))";
    }

    // Whether any of `drugs` was given in the regimen `r`.
    std::string given_in(const std::vector<std::string>& drugs) const {
        if (!scans_) {
            return "EXISTS (SELECT 1 FROM administration_days a WHERE a.regimen_id = r.regimen_id AND " + in_list("lower(a.drug)", drugs) + ")";
        }
        return "(r.regimen_id IN (SELECT a.regimen_id FROM administration_days a WHERE a.regimen_id IS NOT NULL AND " +
               in_list("lower(a.drug)", drugs) + "))";
    }

    // A regimen `r` qualifies for an arm: its code, and the drugs given in it.
    std::string arm_condition(const RegimenChoice& choice) const {
        std::vector<std::string> parts;
        if (!choice.codes.empty()) parts.push_back(in_list("lower(r.regimen)", choice.codes));
        auto given = [&](const std::vector<std::string>& drugs) { return given_in(drugs); };
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
    std::string context(bool full = true) const {
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
            (cut ? " AND r.start_date <= " + cutoff_iso() : std::string()) + "),\n"
            "first_lines AS " + std::string(scans_ ? "MATERIALIZED " : "") + "(SELECT q.*, row_number() OVER (PARTITION BY q.patient_id ORDER BY q.start_day, q.regimen_id) AS pick"
            " FROM qualifying q WHERE q.arm IS NOT NULL),\n";
        // The index tumour (derivation.cpp index_tumor): diagnosed on or before the index
        // date, one with a metastasis date first, then the latest diagnosed, then by id.
        Layer lines{"first_lines i JOIN regimens x ON x.regimen_id = i.regimen_id", "i.patient_id", "i.pick = 1", {}, {}};
        const std::string tumor =
            full ? first_of(lines, {"tumors t", "t.patient_id = i.patient_id", ""}, "t.diagnosis_date <= x.start_date", "t.tumor_id",
                            {"CASE WHEN t.metastasis_date IS NULL THEN 1 ELSE 0 END", "t.diagnosis_date DESC", "t.tumor_id"})
                 : std::string("NULL");
        // The next line (derivation.cpp next_line_after): palliative, started after the index
        // line (palliative index line k: line k + 1), the first by start and id; none when
        // it starts after the cut-off.
        const std::string next =
            full ? first_of(lines, {"regimens n", "n.patient_id = i.patient_id", ""},
                            "lower(n.setting) = 'palliative' AND n.start_date > x.start_date AND n.regimen_id <> i.regimen_id AND "
                            "(lower(x.setting) <> 'palliative' OR n.line = COALESCE(x.line, 0) + 1)" +
                                (cut ? " AND n.start_date <= " + cutoff_iso() : std::string()),
                            "n.regimen_id", {"n.start_date", "n.regimen_id"})
                 : std::string("NULL");
        const std::string death = cut ? "CASE WHEN " + day("p.death_date") + " > " + cutoff() + " THEN NULL ELSE " + day("p.death_date") + " END"
                                      : day("p.death_date");
        const std::string contact = cut ? "CASE WHEN " + day("p.last_contact_date") + " > " + cutoff() + " THEN " + cutoff() +
                                              " ELSE " + day("p.last_contact_date") + " END"
                                        : day("p.last_contact_date");
        const std::string contact_iso = cut ? "CASE WHEN p.last_contact_date > " + cutoff_iso() + " THEN " + cutoff_iso() +
                                                  " ELSE p.last_contact_date END"
                                            : std::string("p.last_contact_date");
        sql += "base AS MATERIALIZED (SELECT i.patient_id, i.regimen_id AS index_id, i.arm, i.start_day AS index_day, "
               "lower(x.setting) AS setting, COALESCE(x.line, 0) AS line, lower(x.regimen) AS code, " + day("x.end_date") +
               " AS end_day, lower(x.end_reason) AS end_reason, lower(x.clinical_trial) AS trial, "
               "COALESCE(lower(x.measurable_disease), 'unknown') AS measurable, " +
               day("p.birth_date") + " AS birth_day, lower(p.sex) AS sex, lower(p.menopausal_status) AS menopausal, " +
               death + " AS death_day, " + contact + " AS contact_day, " + day("p.last_contact_date") + " AS raw_contact_day, " +
               "x.start_date AS index_iso, x.end_date AS end_iso, " + contact_iso + " AS contact_iso, " +
               tumor + " AS tumor_id, " + next +
               " AS next_id FROM first_lines i JOIN regimens x ON x.regimen_id = i.regimen_id JOIN patients p ON p.patient_id = i.patient_id" +
               lines.joined() + "\n WHERE i.pick = 1),\n";
        // The end of the index line: its end when recorded (on or before the cut-off), else
        // the last contact.
        const std::string ended = "(b.end_day IS NOT NULL" + (cut ? " AND b.end_day <= " + cutoff() : std::string()) + ")";
        sql += "ctx AS MATERIALIZED (SELECT b.*, " + ended + " AS ended, CASE WHEN " + ended +
               " THEN b.end_day ELSE b.contact_day END AS line_end, CASE WHEN " + ended +
               " THEN b.end_iso ELSE b.contact_iso END AS line_end_iso FROM base b)";
        return sql;
    }

    // A field of the index line (the ctx columns, `c`) or of the next line (its regimens
    // row, `nx`), as derivation.cpp line_field.
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
        return "((a.regimen_id IS NOT NULL AND a.regimen_id = c.index_id) OR (a.regimen_id IS NULL AND "
               "a.assessment_date >= c.index_iso AND a.assessment_date <= c.line_end_iso))";
    }
    std::string assessed_before_cutoff() const {
        return p_.data_cutoff ? " AND a.assessment_date <= " + cutoff_iso() : std::string();
    }
    // The assessments `a` of the patients of a layer aliased `alias`.
    static Rows assessments_of(const std::string& alias) { return {"assessments a", "a.patient_id = " + alias + ".patient_id", ""}; }
    // The index line's assessments from the index date (by the cut-off).
    std::string index_line_assessments() const {
        return assesses() + " AND a.assessment_date >= c.index_iso" + assessed_before_cutoff();
    }
    static std::string response_rank() {
        return "CASE lower(a.response) WHEN 'cr' THEN 4 WHEN 'pr' THEN 3 WHEN 'sd' THEN 2 WHEN 'pd' THEN 1 ELSE 0 END";
    }
    // The best overall response of the index line (derivation.cpp); NE without one.
    std::string best_response() {
        return "CASE " + aggregate_of(derived_, assessments_of("c"), index_line_assessments(), "max(" + response_rank() + ")") +
               " WHEN 4 THEN 'CR' WHEN 3 THEN 'PR' WHEN 2 THEN 'SD' WHEN 1 THEN 'PD' ELSE 'NE' END";
    }

    // The biomarker derivation: the shorthand columns of tumors.csv and the rows of
    // biomarkers.csv, in the order registry_data.cpp sorts them (test date, missing first;
    // method; the shorthand rows first, in tumour order; then biomarkers.csv in file order).
    std::string biomarker(const Derivation& v) {
        const bool diagnosis = v.which == "diagnosis";
        const std::string value_column = v.field == "value" ? "value" : "result";
        std::vector<std::string> arms;
        auto method_ok = [&](const std::string& method) { return v.methods.empty() || std::find(v.methods.begin(), v.methods.end(), method) != v.methods.end(); };
        for (const ShorthandColumn& shorthand : shorthand_biomarker_columns()) {
            if (v.code != shorthand.marker || !method_ok(shorthand.method)) continue;
            const std::string column = std::string("t2.") + shorthand.column;
            const bool ratio = shorthand.value;
            const std::string tested = ratio ? column + " IS NOT NULL" : column + " IS NOT NULL AND lower(" + column + ") <> 'unknown'";
            arms.push_back(std::string("SELECT t2.patient_id AS patient_id, t2.tumor_id AS tumor_id, '") + shorthand.method + "' AS method, " +
                           (ratio ? std::string("CAST(NULL AS TEXT)") : "lower(" + column + ")") + " AS result, " +
                           (ratio ? real(column) : "CAST(NULL AS " + std::string(d_.real_type) + ")") + " AS value, " +
                           day("t2.diagnosis_date") + " AS test_day, 0 AS kind, t2.tumor_id AS tumor_key, 0 AS line_key"
                           " FROM tumors t2 WHERE " + tested);
        }
        std::string methods;
        if (!v.methods.empty()) methods = " AND " + in_list("COALESCE(lower(b.method), 'unknown')", v.methods);
        arms.push_back("SELECT b.patient_id AS patient_id, b.tumor_id AS tumor_id, COALESCE(lower(b.method), 'unknown') AS method, lower(b.result) AS result, " +
                       real("b.value") + " AS value, " + day("b.test_date") + " AS test_day, 1 AS kind, '' AS tumor_key, b.source_line AS line_key"
                       " FROM biomarkers b WHERE lower(b.marker) = " + SqlDialect::literal(v.code) + methods);
        std::string rows;
        for (const auto& arm : arms) rows += (rows.empty() ? "" : " UNION ALL ") + arm;
        const Rows tests{"(" + rows + ") m", "m.patient_id = c.patient_id", ""};
        const std::string value = value_column == "result" ? "NULLIF(m.result, '')" : "m.value";
        if (diagnosis) {
            // The index tumour's first test: the earliest dated, else the first undated.
            return first_of(derived_, tests, "m.tumor_id = c.tumor_id", value,
                            {"CASE WHEN m.test_day IS NULL THEN 1 ELSE 0 END", "m.test_day", "m.method", "m.kind", "m.tumor_key", "m.line_key"});
        }
        // The latest dated on or before the index date; of equal dates, the last in order.
        return first_of(derived_, tests, "m.test_day IS NOT NULL AND m.test_day <= c.index_day", value,
                        {"m.test_day DESC", "m.method DESC", "m.kind DESC", "m.tumor_key DESC", "m.line_key DESC"});
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
                return first_of(derived_, {"observations o", "o.patient_id = c.patient_id", ""},
                                "lower(o.name) = " + SqlDialect::literal(v.code) + " AND " + offset + " >= " + std::to_string(v.window_from) +
                                    " AND " + offset + " <= " + std::to_string(v.window_to) + " AND " + has,
                                v.field == "value" ? real("o.value") : "lower(o.result)", {"abs" + offset, date, "o.source_line"});
            }
            case Kind::metastasis:
                return any_of(derived_, {"metastases s", "s.patient_id = c.patient_id", ""},
                              day("s.detected_date") + " <= c.index_day + " + std::to_string(v.window_to) + " AND " + in_list("lower(s.site)", v.sites));
            case Kind::prior_exposure: {
                std::string which = "TRUE";
                if (!v.drugs.empty() || !v.regimens.empty()) {
                    which = "(" + in_list("lower(r.regimen)", v.regimens) +
                            " OR " + given_in(v.drugs) + ")";
                }
                return any_of(derived_, {"regimens r", "r.patient_id = c.patient_id", ""},
                              "r.start_date < c.index_iso AND r.regimen_id <> c.index_id AND " + in_list("lower(r.setting)", v.settings) +
                                  " AND " + which);
            }
            case Kind::administrations: {
                // Distinct days of the drugs in the index line (administration_days lists
                // each drug's days).
                std::string where = "TRUE";
                if (!v.drugs.empty()) where += " AND " + in_list("lower(a.drug)", v.drugs);
                if (v.within_days) where += " AND j.value <= c.index_day + " + std::to_string(*v.within_days);
                if (cut) where += " AND j.value <= " + cutoff();
                return real("COALESCE(" +
                            aggregate_of(derived_, {"administration_days a", "a.regimen_id = c.index_id", ", " + d_.days_of("a.days", "j")}, where,
                                         "count(DISTINCT j.value)") +
                            ", 0)");
            }
            case Kind::index_line: return line_field(v, false);
            case Kind::next_line: return line_field(v, true);
            case Kind::best_response: {
                const std::string sql = best_response();
                return v.measurable_only ? "CASE WHEN c.measurable = 'yes' THEN " + sql + " END" : sql;
            }
            case Kind::first_response:
                return day(aggregate_of(derived_, assessments_of("c"),
                                        assesses() + " AND a.assessment_date >= c.index_iso AND lower(a.response) IN ('cr', 'pr')" +
                                            assessed_before_cutoff(),
                                        "min(a.assessment_date)"));
            case Kind::progression: {
                const std::string where = "lower(a.response) = 'pd' AND a.assessment_date > c.index_iso" + assessed_before_cutoff();
                if (v.field == "date") return day(aggregate_of(derived_, assessments_of("c"), where, "min(a.assessment_date)"));
                return any_of(derived_, assessments_of("c"), where);
            }
            case Kind::prior_regimens: {
                // "setting REGIMEN; ..." in start order (derivation.cpp).
                const std::string item = "lower(r.setting) || ' ' || " + d_.upper_ascii("lower(r.regimen)");
                const Rows rows{"regimens r", "r.patient_id = c.patient_id", ""};
                const std::string where = "r.start_date < c.index_iso AND r.regimen_id <> c.index_id AND " + in_list("lower(r.setting)", v.settings);
                const std::string order = "r.start_date, r.regimen_id";
                if (d_.numbered_placeholders) return aggregate_of(derived_, rows, where, "string_agg(" + item + ", '; ' ORDER BY " + order + ")");
                // SQLite (before 3.44) has no ORDER BY in an aggregate; a window's
                // aggregate takes its rows in the window's order.
                return first_of(derived_, rows, where,
                                "group_concat(" + item + ", '; ') OVER (PARTITION BY c.patient_id ORDER BY " + order +
                                    " ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)",
                                {"r.start_date", "r.regimen_id"});
            }
            case Kind::band: return "NULL";  // written over its source (value_sql)
        }
        return "NULL";
    }

    // A library derivation without arguments.
    std::string derivation_of(Kind kind) {
        VariableDefinition variable;
        auto made = std::make_shared<Derivation>();
        made->kind = kind;
        variable.derivation = made;
        return derivation(variable);
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
            gaps.push_back(where_what(p_.path, line, key, "has no SQL form yet (round with digits that are not a number written out)", e.text()));
            return "NULL";
        }
        return *sql;
    }

    std::string least(const std::vector<std::string>& items) const {
        if (items.size() == 1) return items.front();
        std::string out = d_.numbered_placeholders ? "LEAST(" : "min(";
        for (std::size_t k = 0; k < items.size(); ++k) out += (k ? ", " : "") + items[k];
        return out + ")";
    }

    // The ADSL query (StoreQueries::adsl).
    std::string adsl() {
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
        // ADRS: the assessment that gave the best response (the first of equal rank).
        const VariableDefinition* best = nullptr;
        for (const auto& variable : p_.variables) {
            if (variable.derivation && variable.derivation->kind == Kind::best_response) {
                best = &variable;
                break;
            }
        }
        std::string adrs_response = "CAST(NULL AS TEXT)";
        if (best != nullptr) {
            // The response is the variable's value, derived in `d` (a library derivation:
            // TRTSDT and ARM, written from the index line, are reserved names).
            adrs_response = "z.v" + std::to_string(static_cast<std::size_t>(best - p_.variables.data()));
            derived += ",\n  " + day(first_of(derived_, assessments_of("c"), index_line_assessments() + " AND " + response_rank() + " > 0",
                                               "a.assessment_date", {response_rank() + " DESC", "a.assessment_date", "COALESCE(a.regimen_id, '')", "a.source_line"})) +
                       " AS adrs_day";
        } else {
            derived += ",\n  CAST(NULL AS INTEGER) AS adrs_day";
        }
        const bool from_response = std::any_of(p_.endpoints.begin(), p_.endpoints.end(), [](const EndpointDefinition& endpoint) {
            return endpoint.origin == "first_response";
        });
        derived += ",\n  " + (from_response ? derivation_of(Kind::first_response) : std::string("CAST(NULL AS INTEGER)")) + " AS first_response_day";
        derived += ",\n  " + day("t.surgery_date") + " AS t_surgery, " + day("t.metastasis_date") + " AS t_metastasis, " +
                   day("nx.start_date") + " AS next_start";

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

        // Layer x: the variables (x0, x1, ...), the step, and each endpoint's origin (o0,
        // o1, ...; NULL when the patient has no origin or is outside its population).
        std::string x = "x AS MATERIALIZED (SELECT d.*, " + step + " AS step";
        for (std::size_t k = 0; k < width; ++k) x += ",\n  " + values[k] + " AS x" + std::to_string(k);
        for (std::size_t e = 0; e < p_.endpoints.size(); ++e) {
            const auto& endpoint = p_.endpoints[e];
            std::string origin;
            if (endpoint.origin == "index") origin = "d.index_day";
            else if (endpoint.origin == "surgery") origin = "d.t_surgery";
            else if (endpoint.origin == "first_response") origin = "d.first_response_day";
            else if (endpoint.origin == "next_line") origin = "d.next_start";
            else origin = values.at(slot_of(endpoint.origin));
            if (endpoint.population) {
                origin = "CASE WHEN COALESCE(" + expression(*endpoint.population, endpoint.line, "endpoints." + endpoint.paramcd + ".population") +
                         ", FALSE) THEN " + origin + " END";
            }
            x += ",\n  " + origin + " AS o" + std::to_string(e);
            x += ",\n  " + d_.iso_of(origin) + " AS oi" + std::to_string(e);
        }
        x += "\n FROM d)";

        // Layer y: the end of follow-up (f), why it ends (k: 0 last contact, 1 data
        // cut-off, 2 start of the next line) and the first progression after the origin.
        Layer after_x{"x", "x.patient_id", "", {}, {}};
        std::string y = "y AS MATERIALIZED (SELECT x.*";
        for (std::size_t e = 0; e < p_.endpoints.size(); ++e) {
            const auto& endpoint = p_.endpoints[e];
            const std::string o = "x.o" + std::to_string(e);
            const std::string plain_end = "CASE WHEN x.contact_day >= " + o + " THEN x.contact_day ELSE " + o + " END";
            const std::string cutoff_end = p_.data_cutoff ? "CASE WHEN x.contact_day = " + cutoff() + " AND x.raw_contact_day > " + cutoff() + " THEN 1 ELSE 0 END"
                                                          : std::string("0");
            std::string end = plain_end, kind = cutoff_end;
            if (contains(endpoint.censor, "next_line")) {
                const std::string next_first = "x.next_start IS NOT NULL AND x.next_start > " + o + " AND x.next_start < (" + plain_end + ")";
                end = "CASE WHEN " + next_first + " THEN x.next_start ELSE " + plain_end + " END";
                kind = "CASE WHEN " + next_first + " THEN 2 ELSE " + cutoff_end + " END";
            }
            y += ",\n  " + end + " AS f" + std::to_string(e) + ", " + kind + " AS k" + std::to_string(e);
            if (contains(endpoint.censor, "last_assessment")) y += ", " + d_.iso_of(end) + " AS fi" + std::to_string(e);
            if (contains(endpoint.events, "progression")) {
                y += ",\n  " + day(aggregate_of(after_x, assessments_of("x"), "lower(a.response) = 'pd' AND a.assessment_date > x.oi" + std::to_string(e),
                                                 "min(a.assessment_date)")) +
                     " AS p" + std::to_string(e);
            }
        }
        y += "\n FROM x" + after_x.joined() + ")";

        // Layer z: each event's date when it counts (on or after the origin as the rules
        // say, and by the end of follow-up): ev<endpoint>_<event>; and the last assessment.
        Layer after_y{"y", "y.patient_id", "", {}, {}};
        std::string z = "z AS (SELECT y.*";
        for (std::size_t e = 0; e < p_.endpoints.size(); ++e) {
            const auto& endpoint = p_.endpoints[e];
            const std::string o = "y.o" + std::to_string(e), f = "y.f" + std::to_string(e);
            for (std::size_t j = 0; j < endpoint.events.size(); ++j) {
                const auto& event = endpoint.events[j];
                std::string date, condition;
                if (event == "death") date = "y.death_day", condition = "y.death_day >= " + o;
                else if (event == "progression") date = "y.p" + std::to_string(e), condition = "TRUE";
                else if (event == "next_line") date = "y.next_start", condition = "y.next_start > " + o;
                else if (event == "index_line_end") date = "y.line_end", condition = "y.ended AND y.line_end >= " + o;
                else if (event == "metastasis") date = "y.t_metastasis", condition = "y.t_metastasis >= " + o;
                else date = "y.x" + std::to_string(slot_of(event)), condition = date + " >= " + o;
                z += ",\n  CASE WHEN " + date + " IS NOT NULL AND " + condition + " AND " + date + " <= " + f + " THEN " + date +
                     " END AS ev" + std::to_string(e) + "_" + std::to_string(j);
            }
            if (contains(endpoint.censor, "last_assessment")) {
                z += ",\n  " + day(aggregate_of(after_y, assessments_of("y"),
                                                 "a.assessment_date >= y.oi" + std::to_string(e) + " AND a.assessment_date <= y.fi" + std::to_string(e),
                                                 "max(a.assessment_date)")) +
                     " AS la" + std::to_string(e);
            }
        }
        z += "\n FROM y" + after_y.joined() + ")";

        std::string sql = context();
        sql += ",\nd AS MATERIALIZED (SELECT c.*" + derived +
               "\n FROM ctx c " + (scans_ ? by_patient("tumors", "t", "tumor_id", "tumor_id") + " " + by_patient("regimens", "nx", "regimen_id", "next_id")
                                           : std::string("LEFT JOIN tumors t ON t.tumor_id = c.tumor_id LEFT JOIN regimens nx ON nx.regimen_id = c.next_id")) +
               derived_.joined() + "),\n";
        sql += x + ",\n" + y + ",\n" + z;
        with_ = sql;
        sql += "\nSELECT z.patient_id, z.index_day, z.arm, z.step";
        for (std::size_t k = 0; k < width; ++k) {
            const auto& variable = p_.variables[k];
            const std::string value = "z.x" + std::to_string(k);
            switch (variable.type) {
                case ValueType::number: sql += ",\n  " + real(value); break;
                case ValueType::boolean: sql += ",\n  CASE WHEN " + value + " THEN 1 WHEN NOT " + value + " THEN 0 END"; break;
                case ValueType::text: sql += ",\n  NULLIF(" + value + ", '')"; break;
                case ValueType::date: sql += ",\n  " + value; break;
            }
        }
        // Per endpoint: the origin, the date (of the first event, else of censoring), the
        // event (its index in `events`; -1 when censored) and, when censored, why
        // (StoreQueries::adsl).
        for (std::size_t e = 0; e < p_.endpoints.size(); ++e) {
            const auto& endpoint = p_.endpoints[e];
            const std::string suffix = std::to_string(e);
            std::vector<std::string> dates;
            for (std::size_t j = 0; j < endpoint.events.size(); ++j) {
                dates.push_back("COALESCE(z.ev" + suffix + "_" + std::to_string(j) + ", 2147483647)");
            }
            const std::string first = "NULLIF(" + least(dates) + ", 2147483647)";
            std::string cause = "CASE";
            for (std::size_t j = 0; j < endpoint.events.size(); ++j) {
                cause += " WHEN z.ev" + suffix + "_" + std::to_string(j) + " = " + first + " THEN " + std::to_string(j);
            }
            cause += " ELSE -1 END";
            const bool last_assessment = contains(endpoint.censor, "last_assessment");
            const std::string censored_at = last_assessment ? "CASE WHEN z.la" + suffix + " > z.o" + suffix + " THEN z.la" + suffix + " ELSE z.o" + suffix + " END"
                                                            : "z.f" + suffix;
            sql += ",\n  z.o" + suffix + ", COALESCE(" + first + ", " + censored_at + "), " + cause + ", " +
                   (last_assessment ? std::string("3") : "z.k" + suffix);
            endpoint_date_.push_back("COALESCE(" + first + ", " + censored_at + ")");
            endpoint_cause_.push_back(cause);
        }
        sql += ",\n  " + adrs_response + ", z.adrs_day\nFROM z ORDER BY z.patient_id";
        return sql;
    }

    // ADAE (StoreQueries::adverse_events): the adverse events of each index line, worst
    // grade and most severe action per term.
    std::string adverse_events() const {
        const std::string rank = "CASE COALESCE(lower(e.action), 'none') WHEN 'none' THEN 1 WHEN 'dose_reduced' THEN 2 "
                                 "WHEN 'drug_withdrawn' THEN 3 WHEN 'regimen_stopped' THEN 4 ELSE 5 END";
        return context(false) + "\nSELECT c.patient_id, lower(e.term), max(COALESCE(e.grade, 0)), max(" + rank +
               ") FROM ctx c JOIN adverse_events e ON e.regimen_id = c.index_id" +
               (p_.data_cutoff ? " WHERE e.onset_date <= " + cutoff_iso() : std::string()) +
               " GROUP BY c.patient_id, lower(e.term) ORDER BY c.patient_id, lower(e.term)";
    }

    // Administration days of the index lines (StoreQueries::administration_days).
    // Only the drugs the analyses name (all drugs when one names none); by patient, the
    // days in no order (rwe sorts each patient's few).
    std::string administration_days() const {
        std::vector<std::string> drugs;
        bool every_drug = false;
        for (const auto& analysis : p_.analyses) {
            if (!reads_administration_days(analysis.kind)) continue;
            if (!analysis.options.contains("drugs")) every_drug = true;
            else
                for (const auto& drug : analysis.options["drugs"]) {
                    const std::string code = ascii_lower(drug.get<std::string>());
                    if (!contains(drugs, code)) drugs.push_back(code);
                }
        }
        std::vector<std::string> conditions;
        if (!every_drug) conditions.push_back(in_list("lower(a.drug)", drugs));
        if (p_.data_cutoff) conditions.push_back("j.value <= " + cutoff());
        std::string where;
        for (const auto& condition : conditions) where += (where.empty() ? " WHERE " : " AND ") + condition;
        return context(false) + "\nSELECT c.patient_id, lower(a.drug), j.value - c.index_day FROM ctx c JOIN administration_days a ON a.regimen_id = c.index_id, " +
               d_.days_of("a.days", "j") + where + " ORDER BY c.patient_id";
    }

    std::vector<std::string> values;  // the SQL of each variable's value, fallback applied

    // The counts of StoreCountRequest's in one statement over the derivation (adsl() first):
    // rows (part, group, stratum, number, event, count) as StoreQueries::counts says.
    std::string counts(const std::vector<StoreCountRequest>& requests) {
        std::set<std::size_t> slots, numbers, endpoints, populations;
        std::vector<std::string> terms;  // adverse event terms: their worst grade per patient, a<i>
        std::size_t width = 0;  // K: the most covariates of a request
        const auto term_column = [&](const std::string& term) {
            return "a" + std::to_string(std::find(terms.begin(), terms.end(), term) - terms.begin());
        };
        for (const auto& request : requests) {
            if (request.term && !contains(terms, *request.term)) terms.push_back(*request.term);
            if (request.group) slots.insert(*request.group);
            if (request.stratum) slots.insert(*request.stratum);
            for (std::size_t k : request.covariates) (p_.variables[k].type == ValueType::number ? numbers : slots).insert(k);
            width = std::max(width, request.covariates.size());
            if (request.endpoint) endpoints.insert(*request.endpoint);
            if (request.analysis) populations.insert(*request.analysis);
        }
        // Layer r: only what the counts read, once per patient.
        Layer lines{"z", "z.index_id", "", {}, {}};  // joined by the index line
        std::string r = ",\nr AS MATERIALIZED (SELECT z.step AS step";
        for (std::size_t k : slots) {
            const std::string value = "z.x" + std::to_string(k);
            std::string text;
            switch (p_.variables[k].type) {
                case ValueType::text: text = "NULLIF(" + value + ", '')"; break;
                case ValueType::boolean: text = "CASE WHEN " + value + " THEN 'Y' WHEN NOT " + value + " THEN 'N' END"; break;
                default: text = "CAST(NULL AS TEXT)"; break;  // not a group: no levels (the kinds say so)
            }
            r += ",\n  " + text + " AS g" + std::to_string(k);
        }
        for (std::size_t k : numbers) r += ",\n  " + real("z.x" + std::to_string(k)) + " AS n" + std::to_string(k);
        // As ADAE's worst grade (adverse_events()): NULL when the index line has none.
        for (const auto& term : terms) {
            const std::string where =
                "lower(e.term) = " + SqlDialect::literal(term) + (p_.data_cutoff ? " AND e.onset_date <= " + cutoff_iso() : std::string());
            // As a scan: every regimen's worst grade, joined by the index line (z is not
            // read again inside).
            r += ",\n  " +
                 (scans_ ? join_as(lines, "SELECT e.regimen_id AS k, max(COALESCE(e.grade, 0)) AS v FROM adverse_events e WHERE " + where +
                                              " GROUP BY e.regimen_id")
                         : aggregate_of(lines, {"adverse_events e", "e.regimen_id = z.index_id", ""}, where, "max(COALESCE(e.grade, 0))")) +
                 " AS " + term_column(term);
        }
        for (std::size_t e : endpoints) {
            const std::string suffix = std::to_string(e);
            r += ",\n  z.o" + suffix + " AS o" + suffix + ", " + endpoint_date_.at(e) + " - z.o" + suffix + " AS t" + suffix +
                 ", CASE WHEN " + endpoint_cause_.at(e) + " >= 0 THEN 1 ELSE 0 END AS e" + suffix;
        }
        for (std::size_t a : populations) {
            const Analysis& analysis = p_.analyses.at(a);
            const auto sql = analysis.where->to_sql(
                [&](std::size_t slot) {
                    const std::string value = "z.x" + std::to_string(slot);
                    switch (p_.variables.at(slot).type) {
                        case ValueType::text: return "NULLIF(" + value + ", '')";
                        case ValueType::number: return real(value);
                        default: return value;
                    }
                },
                d_, p_.days_per_unit);
            if (!sql) {
                gaps.push_back(where_what(p_.path, analysis.line, "analysis." + analysis.id + ".where",
                                          "has no SQL form yet (round with digits that are not a number written out)", analysis.where->text()));
            }
            r += ",\n  CASE WHEN COALESCE(" + sql.value_or("NULL") + ", FALSE) THEN 1 ELSE 0 END AS w" + std::to_string(a);
        }
        r += "\n FROM z" + lines.joined() + ")";
        std::vector<std::string> selects;  // one per part
        for (std::size_t part = 0; part < requests.size(); ++part) {
            const auto& request = requests[part];
            std::string where = request.kind == StoreCountRequest::Kind::steps ? "" : " WHERE step IS NULL";
            if (request.analysis) where += " AND w" + std::to_string(*request.analysis) + " = 1";
            if (request.term && request.kind == StoreCountRequest::Kind::population) where += " AND " + term_column(*request.term) + " IS NOT NULL";
            const std::string group = request.group ? "g" + std::to_string(*request.group) : "CAST(NULL AS TEXT)";
            const std::string stratum = request.stratum ? "g" + std::to_string(*request.stratum) : "CAST(NULL AS TEXT)";
            const std::string head = "SELECT " + std::to_string(part) + ", ";
            std::string sql;
            // The K numbers and K texts of the covariates (NULL where the part has none).
            std::string tail, covariates;
            for (std::size_t i = 0; i < width; ++i) {
                const bool has = i < request.covariates.size();
                const std::size_t k = has ? request.covariates[i] : 0;
                const bool number = has && p_.variables[k].type == ValueType::number;
                tail += ", " + (number ? "n" + std::to_string(k) : real("NULL"));
                if (has) covariates += ", " + std::string(number ? "n" : "g") + std::to_string(k);
            }
            for (std::size_t i = 0; i < width; ++i) {
                const bool has = i < request.covariates.size();
                const std::size_t k = has ? request.covariates[i] : 0;
                const bool text = has && p_.variables[k].type != ValueType::number;
                tail += ", " + (text ? "g" + std::to_string(k) : std::string("CAST(NULL AS TEXT)"));
            }
            switch (request.kind) {
                case StoreCountRequest::Kind::steps:
                    sql += head + "CAST(NULL AS TEXT), CAST(NULL AS TEXT), step, 0, count(*)" + tail + " FROM r GROUP BY step\n";
                    break;
                case StoreCountRequest::Kind::population:
                    sql += head + "CAST(NULL AS TEXT), CAST(NULL AS TEXT), NULL, 0, count(*)" + tail + " FROM r" + where + "\n";
                    break;
                case StoreCountRequest::Kind::values:
                    sql += head + group + ", CAST(NULL AS TEXT), NULL, 0, count(*)" + tail + " FROM r" + where + " GROUP BY " + group + "\n";
                    break;
                case StoreCountRequest::Kind::crosstab: {
                    const std::string outcome = request.term ? "CASE WHEN " + term_column(*request.term) + " >= " + std::to_string(request.grade) +
                                                                   " THEN 'Y' ELSE 'N' END"
                                                             : "g" + std::to_string(request.stratum.value());
                    sql += head + group + ", " + outcome + ", NULL, 0, count(*)" + tail + " FROM r" + where + " GROUP BY " + group + ", " +
                           outcome + "\n";
                    break;
                }
                case StoreCountRequest::Kind::patterns: {
                    const std::string e = std::to_string(*request.endpoint);
                    sql += head + "CAST(NULL AS TEXT), " + stratum + ", t" + e + ", e" + e + ", count(*)" + tail + " FROM r" + where +
                           " AND o" + e + " IS NOT NULL GROUP BY " + (request.stratum ? stratum + ", " : std::string()) + "t" + e +
                           ", e" + e + covariates + "\n";
                    break;
                }
                case StoreCountRequest::Kind::records: {
                    const std::string e = std::to_string(*request.endpoint);
                    std::string by;
                    if (request.group) by += group + ", ";
                    if (request.stratum) by += stratum + ", ";
                    sql += head + group + ", " + stratum + ", t" + e + ", e" + e + ", count(*)" + tail + " FROM r" + where + " AND o" + e +
                           " IS NOT NULL GROUP BY " + by + "t" + e + ", e" + e + "\n";
                    break;
                }
            }
            selects.push_back(std::move(sql));
        }
        // UNION ALL of the parts; in groups of at most 200, each a subquery, since SQLite
        // allows 500 terms in one compound SELECT (SQLITE_MAX_COMPOUND_SELECT).
        const auto joined = [](auto begin, auto end) {
            std::string out;
            for (auto it = begin; it != end; ++it) out += (out.empty() ? "" : "UNION ALL ") + *it;
            return out;
        };
        constexpr std::size_t per_group = 200;
        if (selects.size() <= per_group) return with_ + r + "\n" + joined(selects.begin(), selects.end());
        std::vector<std::string> groups;
        for (std::size_t from = 0; from < selects.size(); from += per_group) {
            const auto end = selects.begin() + static_cast<std::ptrdiff_t>(std::min(from + per_group, selects.size()));
            groups.push_back("SELECT * FROM (" + joined(selects.begin() + static_cast<std::ptrdiff_t>(from), end) + ") u" +
                             std::to_string(groups.size()) + "\n");
        }
        return with_ + r + "\n" + joined(groups.begin(), groups.end());
    }

private:
    std::string with_;  // the derivation up to layer z (adsl())
    bool scans_ = false;              // StoreForm::scans
    mutable std::size_t pieces_ = 0;  // scans joined (their aliases s1, s2, ...)
    Layer derived_{"ctx c", "c.patient_id", "", {}, {}};  // layer d: the library derivations
    std::vector<std::string> endpoint_date_, endpoint_cause_;  // per endpoint, over z
    std::size_t slot_of(const std::string& name) const {
        const VariableDefinition* variable = p_.variable(name);
        if (variable == nullptr) throw UsageError("store derivation: unknown variable " + name);
        return static_cast<std::size_t>(variable - p_.variables.data());
    }
    const Protocol& p_;
    const SqlDialect& d_;
};

bool reads_days(const Protocol& protocol) {
    return std::any_of(protocol.analyses.begin(), protocol.analyses.end(),
                       [](const Analysis& analysis) { return reads_administration_days(analysis.kind); });
}

}  // namespace

std::vector<std::string> store_derivation_gaps(const Protocol& protocol) {
    StoreWriter writer(protocol, registry::sqlite_dialect);
    writer.adsl();
    return writer.gaps;
}

StoreForm store_form(registry::StoreConnection& store) {
    return store.spread_over_servers() ? StoreForm::scans : StoreForm::probes;
}

namespace {

// `form`, else the store's; with RWE_TIMING said on stderr (tests/postgresql_cluster.sh
// checks that the cluster gets the scans).
StoreForm chosen_form(registry::StoreConnection& store, std::optional<StoreForm> form) {
    const StoreForm chosen = form.value_or(store_form(store));
    if (std::getenv("RWE_TIMING") != nullptr) {
        std::fprintf(stderr, "rwe run: the store's SQL in its %s\n",
                     chosen == StoreForm::scans ? "scans form (the registry is spread over servers)" : "probes form");
    }
    return chosen;
}

}  // namespace

StoreQueries store_queries(const Protocol& protocol, const registry::SqlDialect& dialect,
                           const std::vector<StoreCountRequest>& requests, StoreForm form) {
    StoreWriter writer(protocol, dialect, form);
    StoreQueries queries;
    queries.adsl = writer.adsl();
    if (!requests.empty()) queries.counts = writer.counts(requests);
    if (!writer.gaps.empty()) {
        std::string message = "the store cannot derive this protocol yet:";
        for (const auto& gap : writer.gaps) message += "\n  " + gap;
        throw UsageError(message);
    }
    queries.adverse_events = writer.adverse_events();
    if (reads_days(protocol)) queries.administration_days = writer.administration_days();
    return queries;
}

namespace {

StudyData derive(registry::StoreConnection& store, const Protocol& protocol, const RegistryInfo& registry,
                 const std::function<void(const std::string&)>& progress, std::optional<StoreForm> form) {
    auto say = [&](const std::string& what) {
        if (progress) progress(what);
    };
    const StoreQueries queries = store_queries(protocol, store.dialect(), {}, chosen_form(store, form));
    const std::size_t width = protocol.variables.size();
    const std::size_t endpoints = protocol.endpoints.size();
    const int endpoint_column = StoreQueries::first_variable + static_cast<int>(width);
    const int adrs_column = endpoint_column + 4 * static_cast<int>(endpoints);
    StudyDataBuilder builder(protocol);
    std::vector<Value> values(width);
    // The records of the rows read, kept until finish() has made StudyData.
    struct Record {
        std::size_t endpoint;
        TimeToEventRecord record;
        int why;  // censored: 0 last contact, 1 data cut-off, 2 start of next line, 3 last assessment
    };
    std::vector<Record> records;
    std::vector<ResponseRecord> responses;
    std::size_t subjects = 0, received = 0;
    say("the store is deriving ADSL and the endpoints");
    store.for_each_row(queries.adsl, {}, [&](const registry::StoreRow& row) {
        if (++received % 10000 == 0) say(fmt::format("ADSL and the endpoints: {} patients received", received));
        for (std::size_t k = 0; k < width; ++k) {
            const int column = StoreQueries::first_variable + static_cast<int>(k);
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
        if (leaves_at) return;
        const std::size_t subject = subjects++;
        for (std::size_t e = 0; e < endpoints; ++e) {
            const int at = endpoint_column + 4 * static_cast<int>(e);
            if (row.is_null(at)) continue;
            const Day start = static_cast<Day>(row.integer(at));
            const Day date = static_cast<Day>(row.integer(at + 1));
            const int cause = static_cast<int>(row.integer(at + 2));
            records.push_back({e, {subject, start, date, (date - start) / protocol.days_per_unit, cause >= 0 ? 0 : 1,
                                   static_cast<std::int16_t>(cause), 0},
                               cause >= 0 ? -1 : static_cast<int>(row.integer(at + 3))});
        }
        if (!row.is_null(adrs_column)) {
            responses.push_back({subject, std::string(row.text(adrs_column)),
                                 row.is_null(adrs_column + 1) ? 0 : static_cast<Day>(row.integer(adrs_column + 1))});
        }
    });
    StudyData data = builder.finish(registry.patients, registry.codes);
    static const char* const censored[] = {"last contact", "data cut-off", "start of next line", "last assessment"};
    for (auto& [endpoint, record, why] : records) {
        const auto& definition = protocol.endpoints[endpoint];
        std::string description;
        if (record.cause >= 0) {
            const std::string& event = definition.events.at(static_cast<std::size_t>(record.cause));
            description = event == "next_line" ? "next line" : event == "index_line_end" ? "end of index line" : event;
        } else {
            description = censored[why];
        }
        auto& parameter = data.adtte[endpoint];
        record.description = parameter.description_code(description);
        parameter.records.push_back(record);
    }
    data.adrs = std::move(responses);

    // ADAE and the administration days: rows by patient id, as ADSL.
    const auto& ids = data.adsl.usubjid;
    std::size_t cursor = 0;
    auto subject_of = [&](std::string_view id) -> std::optional<std::size_t> {
        while (cursor < ids.size() && ids[cursor] < id) ++cursor;
        if (cursor < ids.size() && ids[cursor] == id) return cursor;
        return std::nullopt;
    };
    static const char* const actions[] = {"", "none", "dose_reduced", "drug_withdrawn", "regimen_stopped"};
    say("the store is deriving ADAE");
    store.for_each_row(queries.adverse_events, {}, [&](const registry::StoreRow& row) {
        const auto subject = subject_of(row.text(0));
        if (!subject) return;
        const auto rank = row.integer(3);
        if (rank < 1 || rank > 4) throw IoError("registry store: an adverse event with an action rwe does not know");
        data.add_adverse_event(*subject, std::string(row.text(1)), static_cast<int>(row.integer(2)), actions[rank]);
    });
    if (!queries.administration_days.empty()) {
        struct Landmark {
            std::vector<std::string> drugs;
            DayLists* lists;
            std::vector<int> days;
        };
        std::vector<Landmark> landmarks;
        for (const auto& analysis : protocol.analyses) {
            if (!reads_administration_days(analysis.kind)) continue;
            Landmark landmark{{}, &data.administration_days[analysis.id], {}};
            if (analysis.options.contains("drugs")) {
                for (const auto& drug : analysis.options["drugs"]) landmark.drugs.push_back(ascii_lower(drug.get<std::string>()));
            }
            landmarks.push_back(std::move(landmark));
        }
        // Each subject's list is complete when the rows move on to another patient: its
        // days, distinct and ascending.
        std::size_t filled = 0;  // subjects whose lists are written
        auto fill_to = [&](std::size_t end) {
            for (; filled < end; ++filled) {
                for (auto& landmark : landmarks) {
                    std::sort(landmark.days.begin(), landmark.days.end());
                    landmark.days.erase(std::unique(landmark.days.begin(), landmark.days.end()), landmark.days.end());
                    landmark.lists->push_back(landmark.days);
                    landmark.days.clear();
                }
            }
        };
        cursor = 0;
        say("the store is listing the administration days");
        store.for_each_row(queries.administration_days, {}, [&](const registry::StoreRow& row) {
            const auto subject = subject_of(row.text(0));
            if (!subject) return;
            fill_to(*subject);
            const std::string drug(row.text(1));
            const int day = static_cast<int>(row.integer(2));
            for (auto& landmark : landmarks) {
                if (!landmark.drugs.empty() && !contains(landmark.drugs, drug)) continue;
                landmark.days.push_back(day);
            }
        });
        fill_to(ids.size());
    }
    return data;
}

}  // namespace

namespace {

// A connection to the store at `location`, which must be of registry format version 2.
std::unique_ptr<registry::StoreConnection> open_version_2_store(const std::string& location) {
    auto store = registry::open_store(location);
    for (const char* table : {"administration_days", "biomarkers", "observations", "metastases"}) {
        if (!store->has_table(table)) {
            throw IoError("registry store " + location + ": no " + table +
                          " table (imported before registry format version 2): import the registry again");
        }
    }
    return store;
}

// The kinds that compute from counts (EndpointCounts), and the attrition.
bool counts_suffice(const std::string& kind) {
    return kind == "attrition" || kind == "km" || kind == "logrank" || kind == "followup" || kind == "cox" || kind == "association";
}

// The requests of a protocol's counts, and which part answers what for each analysis.
struct CountPlan {
    std::vector<StoreCountRequest> requests;  // part 0: the steps
    struct ForAnalysis {
        std::optional<std::size_t> population;                  // part of the population's size
        std::map<std::string, std::size_t> values;              // variable name -> part
        std::map<std::string, std::size_t> records;             // StoreCounts::tally_key -> part
        std::map<std::string, std::size_t> patterns;            // StoreCounts::pattern_key -> part
        std::map<std::string, std::size_t> crosstabs;           // StoreCounts::crosstab_key -> part
        std::map<std::string, std::size_t> terms;               // adverse event term -> part
    };
    std::vector<ForAnalysis> analyses;
};

CountPlan count_plan(const Protocol& protocol) {
    CountPlan plan;
    plan.requests.push_back({});
    std::map<std::string, std::size_t> seen;  // a request's key -> part
    auto part = [&](const StoreCountRequest& request) {
        const auto show = [](const std::optional<std::size_t>& index) { return index ? std::to_string(*index) : std::string("-"); };
        std::string key = fmt::format("{}/{}/{}/{}/{}/", static_cast<int>(request.kind), show(request.analysis), show(request.endpoint),
                                      show(request.group), show(request.stratum));
        for (std::size_t k : request.covariates) key += std::to_string(k) + ",";
        if (request.term) key += "/" + *request.term + ":" + std::to_string(request.grade);
        const auto [at, added] = seen.try_emplace(key, plan.requests.size());
        if (added) plan.requests.push_back(request);
        return at->second;
    };
    auto slot = [&](const std::string& name) -> std::optional<std::size_t> {
        const auto* variable = protocol.variable(name);
        if (variable == nullptr) return std::nullopt;
        return static_cast<std::size_t>(variable - protocol.variables.data());
    };
    auto endpoint_index = [&](const std::string& paramcd) -> std::optional<std::size_t> {
        for (std::size_t e = 0; e < protocol.endpoints.size(); ++e) {
            if (protocol.endpoints[e].paramcd == paramcd) return e;
        }
        return std::nullopt;
    };
    for (std::size_t a = 0; a < protocol.analyses.size(); ++a) {
        const Analysis& analysis = protocol.analyses[a];
        CountPlan::ForAnalysis mine;
        std::optional<std::size_t> population;
        if (analysis.where) {
            population = a;
            mine.population = part({StoreCountRequest::Kind::population, population, {}, {}, {}});
        }
        // Names the protocol does not know are left to the kind, which says so as the
        // rows' path does.
        auto records = [&](const std::string& paramcd, const std::string& by, const std::string& strata) {
            const auto e = endpoint_index(paramcd);
            if (!e) return;
            std::optional<std::size_t> group, stratum;
            for (const auto& [name, index] : {std::pair{by, &group}, std::pair{strata, &stratum}}) {
                if (name.empty()) continue;
                *index = slot(name);
                if (!*index) return;
                mine.values[name] = part({StoreCountRequest::Kind::values, population, {}, *index, {}});
            }
            mine.records[StoreCounts::tally_key(paramcd, by, strata)] =
                part({StoreCountRequest::Kind::records, population, e, group, stratum});
        };
        const auto& options = analysis.options;
        if (analysis.kind == "km" || analysis.kind == "followup") {
            records(options.value("endpoint", std::string("OS")), analysis.kind == "km" ? options.value("by", std::string()) : "", "");
        } else if (analysis.kind == "association" && options.contains("by") && options.contains("outcomes")) {
            const std::string by = options["by"].get<std::string>();
            const auto group = slot(by);
            if (group) {
                mine.values[by] = part({StoreCountRequest::Kind::values, population, {}, *group, {}});
                for (const auto& item : options["outcomes"]) {
                    const std::string outcome = item.get<std::string>();
                    StoreCountRequest request{StoreCountRequest::Kind::crosstab, population, {}, *group, {}, {}};
                    // "term:k": a worst grade of at least k (as the kind reads it); else a variable.
                    if (const auto colon = outcome.rfind(':'); colon != std::string::npos) {
                        request.term = ascii_lower(outcome.substr(0, colon));
                        request.grade = std::stoi(outcome.substr(colon + 1));
                        StoreCountRequest having{StoreCountRequest::Kind::population, population, {}, {}, {}, {}};
                        having.term = request.term;
                        mine.terms[*request.term] = part(having);
                    } else {
                        const auto k = slot(outcome);
                        if (!k) continue;
                        request.stratum = *k;
                        mine.values[outcome] = part({StoreCountRequest::Kind::values, population, {}, *k, {}});
                    }
                    mine.crosstabs[StoreCounts::crosstab_key(by, outcome)] = part(request);
                }
            }
        } else if (analysis.kind == "cox" && options.contains("covariates")) {
            // The model's records per stratum, time, event and covariate pattern; the levels
            // of its categories and stratum over the population.
            const std::string paramcd = options.value("endpoint", std::string("OS")), strata = options.value("strata", std::string());
            std::vector<std::string> names;
            StoreCountRequest request{StoreCountRequest::Kind::patterns, population, endpoint_index(paramcd), {}, {}, {}};
            bool known = request.endpoint.has_value();
            for (const auto& covariate : options["covariates"]) {
                names.push_back(covariate.get<std::string>());
                const auto k = slot(names.back());
                known = known && k.has_value();
                if (!k) continue;
                request.covariates.push_back(*k);
                if (protocol.variables[*k].type != ValueType::number) {
                    mine.values[names.back()] = part({StoreCountRequest::Kind::values, population, {}, *k, {}});
                }
            }
            if (!strata.empty()) {
                request.stratum = slot(strata);
                known = known && request.stratum.has_value();
                if (request.stratum) mine.values[strata] = part({StoreCountRequest::Kind::values, population, {}, *request.stratum, {}});
            }
            if (known) mine.patterns[StoreCounts::pattern_key(paramcd, names, strata)] = part(request);
        } else if (analysis.kind == "logrank" && options.contains("endpoints") && options.contains("by")) {
            for (const auto& endpoint : options["endpoints"]) {
                for (const auto& by : options["by"]) {
                    records(endpoint.get<std::string>(), by.get<std::string>(), options.value("strata", std::string()));
                }
            }
        }
        plan.analyses.push_back(std::move(mine));
    }
    return plan;
}

}  // namespace

std::vector<std::string> store_reduction_gaps(const Protocol& protocol) {
    StoreWriter writer(protocol, registry::sqlite_dialect);
    writer.adsl();
    writer.counts(count_plan(protocol).requests);
    std::vector<std::string> gaps = writer.gaps;
    if (protocol.patient_level_datasets_given && protocol.patient_level_datasets) {
        gaps.push_back(where_what(protocol.path, protocol.patient_level_datasets_line, "study.patient_level_datasets",
                                  "the store counts, so there are no patients' rows to write", "true"));
    }
    for (const auto& analysis : protocol.analyses) {
        if (!counts_suffice(analysis.kind)) {
            gaps.push_back(where_what(protocol.path, analysis.line, "analysis." + analysis.id + ".kind",
                                      "needs the patients' rows (the store counts for attrition, km, logrank, followup, cox and association)", analysis.kind));
        } else if (analysis.kind == "km" && analysis.options.contains("figure") && analysis.options["figure"].value("hazard_ratio", false)) {
            gaps.push_back(where_what(protocol.path, analysis_line(analysis, "figure"), "analysis." + analysis.id + ".figure.hazard_ratio",
                                      "a Cox model needs the patients' rows", "true"));
        }
    }
    return gaps;
}

CountedStudy count_in_store(const std::string& location, const Protocol& protocol, RegistryInfo& registry,
                            const std::function<void(const std::string&)>& progress,
                            std::optional<StoreForm> form) {
    const auto gaps = store_reduction_gaps(protocol);
    if (!gaps.empty()) {
        std::string message = "--reduce store: the store cannot count for this protocol (use --reduce rwe):";
        for (const auto& gap : gaps) message += "\n  " + gap;
        throw UsageError(message);
    }
    auto store = open_version_2_store(location);
    registry = describe_registry(*store, read_plan(protocol));
    const CountPlan plan = count_plan(protocol);
    const StoreQueries queries = store_queries(protocol, store->dialect(), plan.requests, chosen_form(*store, form));
    // The rows of each part.
    struct Row {
        std::optional<std::string> group, stratum;
        std::optional<std::int64_t> number;
        bool event;
        std::uint64_t count;
    };
    std::size_t width = 0;  // K (StoreQueries::counts)
    for (const auto& request : plan.requests) width = std::max(width, request.covariates.size());
    std::vector<std::vector<Row>> parts(plan.requests.size());
    // A Cox model's patterns, in columns (there may be as many as records).
    std::vector<std::shared_ptr<StoreCounts::Patterns>> tables(plan.requests.size());
    std::vector<std::unordered_map<std::string, std::int32_t>> dictionaries(plan.requests.size());
    for (std::size_t part = 0; part < plan.requests.size(); ++part) {
        if (plan.requests[part].kind != StoreCountRequest::Kind::patterns) continue;
        tables[part] = std::make_shared<StoreCounts::Patterns>();
        tables[part]->width = plan.requests[part].covariates.size();
    }
    if (progress) progress("the store is deriving and counting");
    store->for_each_row(queries.counts, {}, [&](const registry::StoreRow& row) {
        const auto part = row.integer(0);
        if (part < 0 || static_cast<std::size_t>(part) >= parts.size() || row.is_null(5) || row.integer(5) < 0) {
            throw IoError("registry store: a count rwe did not ask for");
        }
        if (auto& table = tables[static_cast<std::size_t>(part)]) {
            if (row.is_null(3)) throw IoError("registry store: a count of records without its days");
            auto& dictionary = dictionaries[static_cast<std::size_t>(part)];
            auto code = [&](int column) -> std::int32_t {
                if (row.is_null(column)) return -1;
                const auto [at, added] = dictionary.try_emplace(std::string(row.text(column)), static_cast<std::int32_t>(table->texts.size()));
                if (added) table->texts.push_back(at->first);
                return at->second;
            };
            table->stratum.push_back(code(2));
            table->days.push_back(row.integer(3));
            table->event.push_back(!row.is_null(4) && row.integer(4) != 0 ? 1 : 0);
            table->records.push_back(static_cast<std::uint64_t>(row.integer(5)));
            for (std::size_t i = 0; i < table->width; ++i) {
                const int number = 6 + static_cast<int>(i), text = 6 + static_cast<int>(width + i);
                table->numbers.push_back(row.is_null(number) ? std::numeric_limits<double>::quiet_NaN() : row.real(number));
                table->codes.push_back(code(text));
            }
            return;
        }
        Row out{};
        if (!row.is_null(1)) out.group = std::string(row.text(1));
        if (!row.is_null(2)) out.stratum = std::string(row.text(2));
        if (!row.is_null(3)) out.number = row.integer(3);
        out.event = !row.is_null(4) && row.integer(4) != 0;
        out.count = static_cast<std::uint64_t>(row.integer(5));
        parts[static_cast<std::size_t>(part)].push_back(std::move(out));
    });
    if (std::getenv("RWE_TIMING") != nullptr) {  // what travelled in place of the rows (bench/store_compare.sh)
        std::size_t rows = 0, records = 0;
        for (std::size_t part = 0; part < parts.size(); ++part) {
            rows += parts[part].size() + (tables[part] ? tables[part]->size() : 0);
            if (tables[part]) records += tables[part]->size();
        }
        std::fprintf(stderr, "rwe run: the store's counts: %zu rows in %zu parts (%zu of them Cox models' patterns)\n", rows,
                     parts.size(), records);
    }
    CountedStudy counted;
    StudyDataBuilder builder(protocol);
    for (const auto& row : parts[0]) {
        if (!row.number) counted.cohort += row.count;
        builder.add_counted(row.number ? std::optional<std::size_t>(static_cast<std::size_t>(*row.number)) : std::nullopt, row.count);
    }
    counted.data = builder.finish(registry.patients, registry.codes);
    for (std::size_t a = 0; a < protocol.analyses.size(); ++a) {
        const auto& mine = plan.analyses[a];
        StoreCounts counts;
        counts.population = counted.cohort;
        if (mine.population) {
            counts.population = 0;
            for (const auto& row : parts[*mine.population]) counts.population += row.count;
        }
        for (const auto& [name, part] : mine.values) {
            auto& values = counts.values[name];
            for (const auto& row : parts[part]) {
                if (row.group && !row.group->empty()) values.push_back(*row.group);
            }
        }
        for (const auto& [key, part] : mine.records) {
            auto& tallies = counts.tallies[key];
            for (const auto& row : parts[part]) {
                if (!row.number) throw IoError("registry store: a count of records without its days");
                tallies.push_back({row.group, row.stratum, *row.number, row.event, row.count});
            }
        }
        for (const auto& [key, part] : mine.crosstabs) {
            auto& tallies = counts.crosstabs[key];
            for (const auto& row : parts[part]) tallies.push_back({row.group, row.stratum, 0, false, row.count});
        }
        for (const auto& [term, part] : mine.terms) {
            std::size_t having = 0;
            for (const auto& row : parts[part]) having += row.count;
            counts.term_patients[term] = having;
        }
        for (const auto& [key, part] : mine.patterns) counts.patterns[key] = tables[part];
        counted.analyses.push_back(std::move(counts));
    }
    return counted;
}

StudyData derive_in_store(const std::string& location, const Protocol& protocol, RegistryInfo& registry,
                          const std::function<void(const std::string&)>& progress, std::optional<StoreForm> form) {
    // One connection for the account of the registry and the datasets: one snapshot of
    // the store (a PostgreSQL connection reads in one repeatable-read transaction).
    auto store = open_version_2_store(location);
    registry = describe_registry(*store, read_plan(protocol));
    return derive(*store, protocol, registry, progress, form);
}

}  // namespace rwe::study
