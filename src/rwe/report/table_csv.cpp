#include "rwe/report/table_writers.hpp"

#include "rwe/common/text.hpp"

namespace rwe::report {

std::string csv_field(std::string_view text) {
    const std::string safe = spreadsheet_text(text);  // docs/output-folders.md
    const std::string_view field = safe;
    const bool needs_quotes = field.find_first_of(",\"\r\n") != std::string_view::npos ||
                              (!field.empty() && (field.front() == ' ' || field.back() == ' '));
    if (!needs_quotes) return std::string(field);
    std::string out = "\"";
    for (char c : field) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
    return out;
}

std::string table_csv(const Table& table) {
    validate_table(table);
    std::string csv;
    auto line = [&](const std::vector<std::string>& fields) {
        for (size_t i = 0; i < fields.size(); ++i) {
            if (i > 0) csv += ',';
            csv += csv_field(fields[i]);
        }
        csv += "\r\n";
    };
    line(table.columns);
    for (const std::vector<std::string>& row : table.rows) line(row);
    return csv;
}

}  // namespace rwe::report
