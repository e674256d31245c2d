#include <xlsxwriter.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <set>
#include <system_error>

#include "rwe/common/error.hpp"
#include "rwe/report/table_writers.hpp"

namespace rwe::report {
namespace {

std::string lower_case(std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

// Cuts UTF-8 text to at most `limit` code points (Excel counts characters, not bytes).
std::string utf8_prefix(const std::string& text, size_t limit) {
    size_t count = 0, at = 0;
    while (at < text.size() && count < limit) {
        unsigned char lead = static_cast<unsigned char>(text[at]);
        at += lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
        ++count;
    }
    return text.substr(0, std::min(at, text.size()));
}

// A cell written as a number: optional minus, digits without a superfluous leading zero,
// optional decimals. Returns the count of decimals, or -1 when the text is not such a number.
int plain_number_decimals(const std::string& text) {
    size_t at = text[0] == '-' ? 1 : 0;
    size_t digits_start = at;
    while (at < text.size() && std::isdigit(static_cast<unsigned char>(text[at]))) ++at;
    size_t integer_digits = at - digits_start;
    if (integer_digits == 0 || integer_digits > 15) return -1;
    if (integer_digits > 1 && text[digits_start] == '0') return -1;  // "007" is a code, not a number
    if (at == text.size()) return 0;
    if (text[at] != '.') return -1;
    size_t decimals_start = ++at;
    while (at < text.size() && std::isdigit(static_cast<unsigned char>(text[at]))) ++at;
    if (at != text.size() || at == decimals_start) return -1;
    return static_cast<int>(at - decimals_start);
}

void check(lxw_error error, const std::filesystem::path& path) {
    if (error != LXW_NO_ERROR)
        throw IoError("cannot write " + path.string() + ": " + lxw_strerror(error));
}

}  // namespace

std::vector<std::string> sheet_names(const std::vector<Table>& tables) {
    std::vector<std::string> names;
    std::set<std::string> used;
    for (size_t i = 0; i < tables.size(); ++i) {
        std::string name = !tables[i].id.empty() ? tables[i].id : tables[i].title;
        for (char& c : name)
            if (std::string_view("[]:*?/\\").find(c) != std::string_view::npos) c = '_';
        // Excel also refuses names that start or end with an apostrophe.
        while (!name.empty() && name.front() == '\'') name.erase(0, 1);
        while (!name.empty() && name.back() == '\'') name.pop_back();
        if (name.empty()) name = "Table " + std::to_string(i + 1);
        std::string base = utf8_prefix(name, 31);
        std::string candidate = base;
        for (int suffix = 2; used.count(lower_case(candidate)); ++suffix) {
            std::string tail = " (" + std::to_string(suffix) + ")";
            candidate = utf8_prefix(name, 31 - tail.size()) + tail;
        }
        used.insert(lower_case(candidate));
        names.push_back(candidate);
    }
    return names;
}

void write_xlsx(const std::vector<Table>& tables, const std::filesystem::path& path) {
    for (const Table& table : tables) validate_table(table);
    if (tables.empty()) throw UsageError("write_xlsx: no tables for " + path.string());
    std::filesystem::path temporary = path;
    temporary += ".tmp";
    lxw_workbook* workbook = workbook_new(temporary.string().c_str());
    if (!workbook) throw IoError("cannot write " + path.string() + ": cannot create workbook");

    // Fixed creation time (2000-01-01T00:00:00Z): the same tables give the same bytes.
    lxw_doc_properties properties{};
    std::string creator = "rwe " RWE_VERSION;
    properties.author = creator.data();
    properties.created = 946684800;
    workbook_set_properties(workbook, &properties);

    lxw_format* title_format = workbook_add_format(workbook);
    format_set_bold(title_format);
    format_set_font_size(title_format, 12);
    lxw_format* header_format = workbook_add_format(workbook);
    format_set_bold(header_format);
    format_set_bottom(header_format, LXW_BORDER_THIN);
    format_set_text_wrap(header_format);
    format_set_align(header_format, LXW_ALIGN_VERTICAL_TOP);
    lxw_format* published_header = workbook_add_format(workbook);
    format_set_bold(published_header);
    format_set_italic(published_header);
    format_set_bottom(published_header, LXW_BORDER_THIN);
    format_set_text_wrap(published_header);
    format_set_align(published_header, LXW_ALIGN_VERTICAL_TOP);
    lxw_format* note_format = workbook_add_format(workbook);
    format_set_italic(note_format);
    std::map<int, lxw_format*> indent_formats;
    auto indent_format = [&](int level) {
        auto it = indent_formats.find(level);
        if (it != indent_formats.end()) return it->second;
        lxw_format* format = workbook_add_format(workbook);
        format_set_indent(format, static_cast<uint8_t>(std::clamp(level, 0, 15)));
        return indent_formats[level] = format;
    };
    // Numbers keep their printed decimals ("0.60" stays 0.60).
    std::map<std::pair<int, bool>, lxw_format*> number_formats;
    auto number_format = [&](int decimals, bool italic) {
        auto key = std::make_pair(decimals, italic);
        auto it = number_formats.find(key);
        if (it != number_formats.end()) return it->second;
        lxw_format* format = workbook_add_format(workbook);
        format_set_num_format(format, decimals == 0 ? "0" : ("0." + std::string(static_cast<size_t>(decimals), '0')).c_str());
        format_set_align(format, LXW_ALIGN_RIGHT);
        if (italic) format_set_italic(format);
        return number_formats[key] = format;
    };
    lxw_format* text_value = workbook_add_format(workbook);
    format_set_align(text_value, LXW_ALIGN_RIGHT);
    lxw_format* published_text = workbook_add_format(workbook);
    format_set_align(published_text, LXW_ALIGN_RIGHT);
    format_set_italic(published_text);
    lxw_format* published_words = workbook_add_format(workbook);
    format_set_italic(published_words);

    std::vector<std::string> names = sheet_names(tables);
    lxw_error error = LXW_NO_ERROR;
    for (size_t t = 0; t < tables.size() && error == LXW_NO_ERROR; ++t) {
        const Table& table = tables[t];
        lxw_worksheet* sheet = workbook_add_worksheet(workbook, names[t].c_str());
        if (!sheet) {
            error = LXW_ERROR_SHEETNAME_ALREADY_USED;
            break;
        }
        lxw_row_t row = 0;
        worksheet_write_string(sheet, row, 0, table.title.c_str(), title_format);
        row = 2;
        std::vector<size_t> widths(table.columns.size(), 8);
        std::vector<bool> numeric(table.columns.size());
        for (size_t column = 0; column < table.columns.size(); ++column)
            numeric[column] = is_numeric_column(table, column);
        for (size_t column = 0; column < table.columns.size(); ++column) {
            worksheet_write_string(sheet, row, static_cast<lxw_col_t>(column), table.columns[column].c_str(),
                                   is_published_column(table, column) ? published_header : header_format);
            widths[column] = std::max(widths[column], std::min<size_t>(table.columns[column].size(), 24));
        }
        ++row;
        for (size_t r = 0; r < table.rows.size(); ++r, ++row) {
            for (size_t column = 0; column < table.columns.size(); ++column) {
                const std::string& cell = table.rows[r][column];
                auto col = static_cast<lxw_col_t>(column);
                widths[column] = std::max(widths[column], std::min<size_t>(cell.size() + 2, 60));
                if (cell.empty()) continue;
                bool published = is_published_column(table, column);
                int decimals = column == 0 ? -1 : plain_number_decimals(cell);
                if (decimals >= 0) {
                    worksheet_write_number(sheet, row, col, std::strtod(cell.c_str(), nullptr),
                                           number_format(decimals, published));
                } else if (column == 0) {
                    int level = table.indent.empty() ? 0 : table.indent[r];
                    worksheet_write_string(sheet, row, col, cell.c_str(), level > 0 ? indent_format(level) : nullptr);
                } else if (numeric[column]) {  // "39 (17.7)": right, as numbers
                    worksheet_write_string(sheet, row, col, cell.c_str(), published ? published_text : text_value);
                } else {
                    worksheet_write_string(sheet, row, col, cell.c_str(), published ? published_words : nullptr);
                }
            }
        }
        ++row;
        for (const std::string& note : table.footnotes)
            worksheet_write_string(sheet, row++, 0, note.c_str(), note_format);
        for (size_t column = 0; column < widths.size(); ++column)
            worksheet_set_column(sheet, static_cast<lxw_col_t>(column), static_cast<lxw_col_t>(column),
                                 static_cast<double>(widths[column]) + 1, nullptr);
    }
    lxw_error close_error = workbook_close(workbook);
    if (error == LXW_NO_ERROR) error = close_error;
    if (error != LXW_NO_ERROR) {
        std::error_code ignored;
        std::filesystem::remove(temporary, ignored);
        check(error, path);
    }
    std::error_code rename_error;
    std::filesystem::rename(temporary, path, rename_error);
    if (rename_error) {
        std::error_code ignored;
        std::filesystem::remove(temporary, ignored);
        throw IoError("cannot write " + path.string() + ": " + rename_error.message());
    }
}

}  // namespace rwe::report
