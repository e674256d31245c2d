#include "rwe/report/table_writers.hpp"

#include <algorithm>

namespace rwe::report {

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

namespace {

// A value cell may wrap between words but never inside one: "0.982 (0.965–0.999)" breaks
// before the CI, not after its dash (browsers may break after "–"). Each word goes in a
// no-wrap span; copied text is unchanged.
std::string value_cell_html(const std::string& text) {
    if (text.find(' ') == std::string::npos) return html_escape(text);
    std::string html;
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find(' ', start);
        if (end == std::string::npos) end = text.size();
        if (end > start) {
            if (!html.empty()) html += ' ';
            html += "<span class=\"nw\">" + html_escape(std::string_view(text).substr(start, end - start)) + "</span>";
        }
        start = end + 1;
    }
    return html;
}

}  // namespace

std::string table_html(const Table& table, std::string_view label) {
    validate_table(table);
    std::string html = "<div class=\"table-wrap\"";
    if (!table.id.empty()) html += " id=\"" + html_escape(table.id) + "\"";
    html += ">\n<table>\n";
    if (!table.title.empty() || !label.empty()) {
        html += "<caption>";
        if (!label.empty()) html += "<span class=\"label\">" + html_escape(label) + "</span> ";
        html += html_escape(table.title) + "</caption>\n";
    }
    std::vector<bool> numeric(table.columns.size());
    for (size_t column = 0; column < table.columns.size(); ++column) numeric[column] = is_numeric_column(table, column);
    auto cell_class = [&](size_t column) -> std::string {
        std::string classes = column == 0 ? "label-col" : numeric[column] ? "value" : "value text";
        if (is_published_column(table, column)) classes += " published";
        return " class=\"" + classes + "\"";
    };
    html += "<thead><tr>";
    for (size_t column = 0; column < table.columns.size(); ++column)
        html += "<th scope=\"col\"" + cell_class(column) + ">" + html_escape(table.columns[column]) + "</th>";
    html += "</tr></thead>\n<tbody>\n";
    for (size_t row = 0; row < table.rows.size(); ++row) {
        int indent = table.indent.empty() ? 0 : table.indent[row];
        html += indent > 0 ? "<tr class=\"indent-" + std::to_string(std::min(indent, 3)) + "\">" : "<tr>";
        for (size_t column = 0; column < table.columns.size(); ++column) {
            const char* tag = column == 0 ? "th scope=\"row\"" : "td";
            const std::string& text = table.rows[row][column];
            html += std::string("<") + tag + cell_class(column) + ">" +
                    (column == 0 ? html_escape(text) : value_cell_html(text)) + (column == 0 ? "</th>" : "</td>");
        }
        html += "</tr>\n";
    }
    html += "</tbody>\n";
    if (!table.footnotes.empty()) {
        html += "<tfoot>\n";
        for (const std::string& note : table.footnotes)
            html += "<tr><td colspan=\"" + std::to_string(table.columns.size()) + "\">" + html_escape(note) +
                    "</td></tr>\n";
        html += "</tfoot>\n";
    }
    html += "</table>\n</div>\n";
    return html;
}

}  // namespace rwe::report
