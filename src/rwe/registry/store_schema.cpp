#include "rwe/registry/store_schema.hpp"

namespace rwe::registry {

namespace {

std::string_view sql_type(ColumnType type, const SqlDialect& dialect) {
    switch (type) {
        case ColumnType::integer: return dialect.integer_type;
        case ColumnType::number: return dialect.real_type;
        default: return dialect.text_type;
    }
}

struct IndexSpec {
    std::string_view table;
    std::string_view name;
    std::vector<std::string_view> columns;
    bool unique = false;
};

// The access paths of the study queries: patient lookups, the first palliative line by
// regimen, the administration days of a regimen by drug, events of a patient by date, a patient's
// biomarkers by marker (and a tumour's), observations of a patient by name and date.
const std::vector<IndexSpec>& indexes() {
    static const std::vector<IndexSpec> list{
        {"patients", "patients_patient_id", {"patient_id"}, true},
        {"tumors", "tumors_tumor_id", {"tumor_id"}, true},
        {"tumors", "tumors_patient_id", {"patient_id"}, false},
        {"metastases", "metastases_patient_date", {"patient_id", "detected_date"}, false},
        {"regimens", "regimens_regimen_id", {"regimen_id"}, true},
        {"regimens", "regimens_patient_setting_line", {"patient_id", "setting", "line"}, false},
        {"regimens", "regimens_setting_line_regimen", {"setting", "line", "regimen"}, false},
        {"regimens", "regimens_start_date", {"start_date"}, false},
        {"administration_days", "administration_days_regimen_drug", {"regimen_id", "drug"}, false},
        {"assessments", "assessments_patient_date", {"patient_id", "assessment_date"}, false},
        {"assessments", "assessments_regimen_id", {"regimen_id"}, false},
        {"adverse_events", "adverse_events_patient_date", {"patient_id", "onset_date"}, false},
        {"adverse_events", "adverse_events_regimen_id", {"regimen_id"}, false},
        {"biomarkers", "biomarkers_patient_marker", {"patient_id", "marker"}, false},
        {"biomarkers", "biomarkers_tumor_id", {"tumor_id"}, false},
        {"observations", "observations_patient_name_date", {"patient_id", "name", "observation_date"}, false},
    };
    return list;
}

}  // namespace

const FileSpec& administration_days_table() {
    static const FileSpec spec{FileId::administrations, "", "administration_days", false, "",
                               {
                                   {"regimen_id", ColumnType::text, Presence::required, {}},
                                   {"drug", ColumnType::free_code, Presence::required, {}},
                                   {"days", ColumnType::text, Presence::required, {}},
                               }};
    return spec;
}

namespace {

std::string create_table_statement(const FileSpec& file, const SqlDialect& dialect) {
    std::string sql = "CREATE TABLE " + dialect.quote(file.table) + " (" + dialect.quote("source_line") + " " +
                      std::string(dialect.integer_type) + " NOT NULL";
    for (const ColumnSpec& column : file.columns) {
        sql += ", " + dialect.quote(column.name) + " " + std::string(sql_type(column.type, dialect));
        if (column.presence == Presence::required) sql += " NOT NULL";
    }
    return sql + ")";
}

}  // namespace

std::vector<std::string> create_table_statements(const SqlDialect& dialect) {
    std::vector<std::string> out;
    out.push_back("CREATE TABLE import_info (format_version " + std::string(dialect.integer_type) +
                  " NOT NULL, imported_at " + std::string(dialect.text_type) + " NOT NULL, rwe_version " +
                  std::string(dialect.text_type) + " NOT NULL, source_directory " + std::string(dialect.text_type) +
                  " NOT NULL, warnings " + std::string(dialect.integer_type) + " NOT NULL)");
    out.push_back("CREATE TABLE source_files (file_name " + std::string(dialect.text_type) +
                  " PRIMARY KEY, sha256 " + std::string(dialect.text_type) + " NOT NULL, bytes " +
                  std::string(dialect.integer_type) + " NOT NULL, " + "row_count " +
                  std::string(dialect.integer_type) + " NOT NULL)");
    for (const FileSpec& file : registry_files()) out.push_back(create_table_statement(file, dialect));
    out.push_back(create_table_statement(administration_days_table(), dialect));
    return out;
}

std::vector<std::string> create_index_statements(const SqlDialect& dialect) {
    std::vector<std::string> out;
    for (const IndexSpec& index : indexes()) {
        std::string sql = index.unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ";
        sql += dialect.quote(index.name) + " ON " + dialect.quote(index.table) + " (";
        for (std::size_t i = 0; i < index.columns.size(); ++i) {
            if (i > 0) sql += ", ";
            sql += dialect.quote(index.columns[i]);
        }
        sql += ")";
        out.push_back(std::move(sql));
    }
    return out;
}

std::string insert_statement(const FileSpec& file, const SqlDialect& dialect, int rows) {
    std::string sql = "INSERT INTO " + dialect.quote(file.table) + " (" + dialect.quote("source_line");
    for (const ColumnSpec& column : file.columns) sql += ", " + dialect.quote(column.name);
    sql += ") VALUES ";
    int position = 0;
    for (int row = 0; row < rows; ++row) {
        sql += row == 0 ? "(" : ", (";
        for (std::size_t column = 0; column <= file.columns.size(); ++column) {
            if (column > 0) sql += ", ";
            sql += dialect.placeholder(++position);
        }
        sql += ")";
    }
    return sql;
}

std::string select_statement(const FileSpec& file, const SqlDialect& dialect) {
    std::vector<std::string_view> columns;
    for (const ColumnSpec& column : file.columns) columns.push_back(column.name);
    return select_statement(file, columns, dialect);
}

std::string select_statement(const FileSpec& file, std::span<const std::string_view> columns,
                             const SqlDialect& dialect) {
    std::string sql = "SELECT ";
    for (std::size_t i = 0; i < columns.size(); ++i) {
        if (i > 0) sql += ", ";
        sql += dialect.quote(columns[i]);
    }
    return sql + " FROM " + dialect.quote(file.table) + " ORDER BY " + dialect.quote("source_line");
}

}  // namespace rwe::registry
