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

std::string ascii_symbols(std::string_view text) {
    // The symbols rwe itself writes into tables; anything else is left as it is.
    static const std::pair<std::string_view, std::string_view> symbols[] = {
        {"\u2013", "-"},   {"\u2014", "-"},  {"\u2212", "-"},  {"\u2265", ">="}, {"\u2264", "<="},
        {"\u00d7", "x"},   {"\u00b1", "+/-"}, {"\u2026", "..."}, {"\u00b7", "."},  {"\u03c7\u00b2", "chi-square"},
        {"\u00b2", "^2"},  {"\u03c1", "rho"}, {"\u00a0", " "}};
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        bool replaced = false;
        for (const auto& [symbol, ascii] : symbols) {
            if (text.compare(i, symbol.size(), symbol) == 0) {
                out += ascii;
                i += symbol.size();
                replaced = true;
                break;
            }
        }
        if (!replaced) out += text[i++];
    }
    return out;
}

std::string table_csv(const Table& table, const CsvOptions& options) {
    validate_table(table);
    std::string csv = options.byte_order_mark ? "\xef\xbb\xbf" : "";
    auto line = [&](const std::vector<std::string>& fields) {
        for (size_t i = 0; i < fields.size(); ++i) {
            if (i > 0) csv += ',';
            csv += csv_field(options.ascii_symbols ? ascii_symbols(fields[i]) : fields[i]);
        }
        csv += "\r\n";
    };
    line(table.columns);
    for (const std::vector<std::string>& row : table.rows) line(row);
    return csv;
}

}  // namespace rwe::report
