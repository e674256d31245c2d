#include "rwe/report/docx_report.hpp"

#include <fmt/format.h>

#include <zlib.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string_view>

#include "rwe/common/error.hpp"
#include "rwe/common/subprocess.hpp"
#include "rwe/report/table_writers.hpp"

namespace rwe::report {

namespace {

constexpr const char* converter = "pandoc";

// A file of ours removed when the scope ends, however it ends.
struct TemporaryFile {
    std::filesystem::path path;
    ~TemporaryFile() {
        std::error_code ignored;
        std::filesystem::remove(path, ignored);
    }
};

// A zip archive of uncompressed ("stored") entries with a fixed date, so the same entries
// give the same bytes: all a Word reference document needs here.
std::string stored_zip(const std::vector<std::pair<std::string, std::string>>& entries) {
    std::string out, directory;
    auto u16 = [](std::string& to, unsigned v) {
        to += static_cast<char>(v & 0xFF);
        to += static_cast<char>((v >> 8) & 0xFF);
    };
    auto u32 = [&](std::string& to, unsigned long v) {
        u16(to, static_cast<unsigned>(v & 0xFFFF));
        u16(to, static_cast<unsigned>((v >> 16) & 0xFFFF));
    };
    constexpr unsigned dos_date = (0 << 9) | (1 << 5) | 1;  // 1980-01-01, 00:00
    for (const auto& [name, data] : entries) {
        const unsigned long crc = crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size()));
        const unsigned long offset = out.size();
        u32(out, 0x04034b50);
        u16(out, 10), u16(out, 0), u16(out, 0), u16(out, 0), u16(out, dos_date);
        u32(out, crc), u32(out, data.size()), u32(out, data.size());
        u16(out, static_cast<unsigned>(name.size())), u16(out, 0);
        out += name + data;
        u32(directory, 0x02014b50);
        u16(directory, 20), u16(directory, 10), u16(directory, 0), u16(directory, 0), u16(directory, 0), u16(directory, dos_date);
        u32(directory, crc), u32(directory, data.size()), u32(directory, data.size());
        u16(directory, static_cast<unsigned>(name.size())), u16(directory, 0), u16(directory, 0), u16(directory, 0), u16(directory, 0);
        u32(directory, 0), u32(directory, offset);
        directory += name;
    }
    const unsigned long directory_offset = out.size();
    out += directory;
    u32(out, 0x06054b50);
    u16(out, 0), u16(out, 0), u16(out, static_cast<unsigned>(entries.size())), u16(out, static_cast<unsigned>(entries.size()));
    u32(out, directory.size()), u32(out, directory_offset), u16(out, 0);
    return out;
}

// Tables in 9-point type (the body stays at pandoc's 12): pandoc's own default styles with
// one change, the size of the "Compact" paragraph style its table cells use, given to it as
// a reference document. False, and the default styles used, when this pandoc does not print
// its styles or they have no such style.
bool write_reference_document(const std::filesystem::path& path) {
    const std::filesystem::path styles_file = path.string() + ".styles.xml";
    const TemporaryFile remove_styles{styles_file};
    const ProgramResult printed = run_program({converter, "--print-default-data-file", "docx/word/styles.xml"}, {}, styles_file);
    if (printed.exit_status != 0) return false;
    std::ifstream in(styles_file, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string styles = buffer.str();
    const auto style = styles.find("w:styleId=\"Compact\"");
    const auto end = style == std::string::npos ? std::string::npos : styles.find("</w:style>", style);
    if (end == std::string::npos || styles.substr(style, end - style).find("<w:rPr>") != std::string::npos) return false;
    styles.insert(end, "<w:rPr><w:sz w:val=\"18\" /><w:szCs w:val=\"18\" /></w:rPr>");
    std::ofstream out(path, std::ios::binary);
    out << stored_zip({{"word/styles.xml", styles}});
    out.close();
    return static_cast<bool>(out);
}

// How wide a text is set, in digits: a serif font's digits are all one width, lower-case
// letters a little narrower on average (i, l, t, f, r, j much narrower), capitals wider,
// spaces and most punctuation about half (measured on DejaVu Serif, the widest of the
// fonts Word and LibreOffice fall back to). An estimate for column widths, not typesetting.
double text_width(const std::string& text) {
    double width = 0;
    for (std::size_t i = 0; i < text.size();) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        const std::size_t length = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        if (c >= '0' && c <= '9') width += 1.0;
        else if (std::string_view("iljtfr").find(static_cast<char>(c)) != std::string_view::npos) width += 0.55;
        else if (c >= 'a' && c <= 'z') width += 0.95;
        else if (c == 'M' || c == 'W' || c == 'm' || c == 'w' || c == '<' || c == '>' || c == '=') width += 1.3;
        else if (c >= 'A' && c <= 'Z') width += 1.15;
        else if (c == ' ' || std::string_view("()[].,:;'!|").find(static_cast<char>(c)) != std::string_view::npos) width += 0.5;
        else width += 1.0;
        i += length;
    }
    return width;
}

std::string table_source(const Table& table, int number) {
    const std::string caption = "Table " + std::to_string(number) + ". " + table.title;
    std::string html = "<table>\n<caption>" + html_escape(caption) + "</caption>\n<colgroup>";
    // Column widths: each column gets at least its longest word (so that no word is
    // broken), and the rest of a line of about 72 characters (the text width at the
    // tables' size) goes to the columns in proportion to how much longer their longest
    // cell is; a table whose cells all fit on one line gets widths in proportion to them.
    // (Widths in digits of the tables' 9-point type, about 0.64 em wide in the serif fonts
    // Word and LibreOffice use: about 80 across the 6.5-inch text width.)
    constexpr double line_characters = 80;
    const std::size_t n = table.columns.size();
    std::vector<double> shortest(n), longest(n);
    // A "word" ends at a space, or after an en dash or a hyphen (where Word and LibreOffice
    // also break a line: "(0.99–" / "1.03)").
    auto longest_word = [](const std::string& text) {
        static const std::string en_dash = "\u2013";
        double best = 0;
        std::size_t start = 0;
        for (std::size_t i = 0; i <= text.size(); ++i) {
            if (i == text.size() || text[i] == ' ') {
                best = std::max(best, text_width(text.substr(start, i - start)));
                start = i + 1;
            } else if (text.compare(i, en_dash.size(), en_dash) == 0) {
                best = std::max(best, text_width(text.substr(start, i + en_dash.size() - start)));
                start = i + en_dash.size();
                i = start - 1;
            } else if (text[i] == '-' && i > start) {
                best = std::max(best, text_width(text.substr(start, i + 1 - start)));
                start = i + 1;
            }
        }
        return best;
    };
    for (std::size_t c = 0; c < n; ++c) {
        shortest[c] = std::max(3.0, 1.1 * longest_word(table.columns[c]));  // headers are bold
        longest[c] = std::max(shortest[c], text_width(table.columns[c]) / 2);
        for (const auto& row : table.rows) {
            shortest[c] = std::max(shortest[c], longest_word(row[c]));
            longest[c] = std::max(longest[c], text_width(row[c]));
        }
    }
    double sum_shortest = 0, sum_longest = 0;
    for (std::size_t c = 0; c < n; ++c) {
        sum_shortest += shortest[c];
        sum_longest += longest[c];
    }
    // A cell's left and right margins (Word's and LibreOffice's default, about 0.19 cm each)
    // take about two digits of each column's width; half a digit more for safety.
    constexpr double cell_margins = 2.5;
    const double text_characters = std::max(line_characters - cell_margins * static_cast<double>(n), 0.5 * line_characters);
    std::vector<double> width(n);
    for (std::size_t c = 0; c < n; ++c) {
        if (sum_longest <= text_characters) width[c] = longest[c];
        else if (sum_shortest >= text_characters) width[c] = shortest[c];
        else width[c] = shortest[c] + (text_characters - sum_shortest) * (longest[c] - shortest[c]) / (sum_longest - sum_shortest);
        width[c] += cell_margins;
    }
    double total = 0;
    for (double w : width) total += w;
    for (double w : width) html += fmt::format("<col style=\"width: {:.1f}%\">", 100.0 * w / total);
    html += "</colgroup>\n<thead>\n<tr>";
    std::vector<bool> numeric(table.columns.size());
    for (std::size_t c = 0; c < table.columns.size(); ++c) {
        numeric[c] = is_numeric_column(table, c);
        html += numeric[c] ? "<th style=\"text-align: right\">" : "<th style=\"text-align: left\">";
        html += html_escape(table.columns[c]) + "</th>";
    }
    html += "</tr>\n</thead>\n<tbody>\n";
    for (std::size_t r = 0; r < table.rows.size(); ++r) {
        html += "<tr>";
        for (std::size_t c = 0; c < table.rows[r].size(); ++c) {
            std::string cell = html_escape(table.rows[r][c]);
            // Nesting of row labels as leading no-break spaces (Word keeps them; a style
            // would be lost in the conversion).
            if (c == 0 && !table.indent.empty()) {
                for (int level = 0; level < table.indent[r]; ++level) cell = "&#160;&#160;&#160;&#160;" + cell;
            }
            html += numeric[c] ? "<td style=\"text-align: right\">" : "<td style=\"text-align: left\">";
            html += cell + "</td>";
        }
        html += "</tr>\n";
    }
    html += "</tbody>\n</table>\n";
    for (const auto& note : table.footnotes) html += "<p><small>" + html_escape(note) + "</small></p>\n";
    return html;
}

struct Numbers {
    int tables = 0;
    int figures = 0;
};

std::string block_source(const std::variant<Paragraph, FigureBlock, Table>& block, Numbers& numbers) {
    if (const auto* paragraph = std::get_if<Paragraph>(&block)) return "<p>" + html_escape(paragraph->text) + "</p>\n";
    if (const auto* figure = std::get_if<FigureBlock>(&block)) {
        const std::string caption = "Figure " + std::to_string(++numbers.figures) + ". " + figure->caption;
        return "<figure><img src=\"figures/" + html_escape(figure->id) + ".png\" alt=\"" + html_escape(caption) +
               "\"><figcaption>" + html_escape(caption) + "</figcaption></figure>\n";
    }
    return table_source(std::get<Table>(block), ++numbers.tables);
}

}  // namespace

std::string docx_source_html(const HtmlPage& page) {
    std::string html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + html_escape(page.title) +
                       "</title>\n</head>\n<body>\n";
    for (const auto& line : page.metadata) html += "<p><small>" + html_escape(line) + "</small></p>\n";
    Numbers numbers;
    for (const Section& section : page.sections) {
        html += "<h1>" + html_escape(section.heading) + "</h1>\n";
        for (const Block& block : section.blocks) {
            if (const auto* pair = std::get_if<SideBySide>(&block)) {
                if (!pair->left_heading.empty()) html += "<h2>" + html_escape(pair->left_heading) + "</h2>\n";
                for (const auto& inner : pair->left) html += block_source(inner, numbers);
                if (!pair->right_heading.empty()) html += "<h2>" + html_escape(pair->right_heading) + "</h2>\n";
                for (const auto& inner : pair->right) html += block_source(inner, numbers);
                continue;
            }
            std::visit(
                [&](const auto& inner) {
                    using T = std::decay_t<decltype(inner)>;
                    if constexpr (!std::is_same_v<T, SideBySide>) {
                        html += block_source(std::variant<Paragraph, FigureBlock, Table>(inner), numbers);
                    }
                },
                block);
        }
    }
    return html + "</body>\n</html>\n";
}

bool docx_converter_available() { return program_on_path(converter); }

void write_docx_report(const HtmlPage& page, const std::filesystem::path& directory) {
    const std::filesystem::path source = directory / ".report-docx-source.html";
    const std::filesystem::path target = directory / "report.docx";
    const TemporaryFile remove_source{source};
    auto check_png = [&](const auto& block) {
        if (const auto* figure = std::get_if<FigureBlock>(&block)) {
            const std::filesystem::path png = directory / "figures" / (figure->id + ".png");
            if (!std::filesystem::exists(png)) {
                throw IoError(png.string() + ": the Word report needs this figure's PNG file, which was not written");
            }
        }
    };
    for (const Section& section : page.sections) {
        for (const Block& block : section.blocks) {
            check_png(block);
            if (const auto* pair = std::get_if<SideBySide>(&block)) {
                for (const auto& inner : pair->left) check_png(inner);
                for (const auto& inner : pair->right) check_png(inner);
            }
        }
    }
    {
        std::ofstream out(source, std::ios::binary);
        out << docx_source_html(page);
        out.close();
        if (!out) throw IoError(source.string() + ": cannot write");
    }
    const std::filesystem::path reference = directory / ".report-docx-reference.docx";
    const TemporaryFile remove_reference{reference};
    std::vector<std::string> arguments{converter, "--from=html", "--to=docx", "--resource-path=" + directory.string(),
                                       "--output=" + target.string()};
    if (write_reference_document(reference)) arguments.push_back("--reference-doc=" + reference.string());
    arguments.push_back(source.string());
    const ProgramResult result = run_program(arguments, {{"SOURCE_DATE_EPOCH", "0"}});
    if (result.exit_status != 0) {
        std::error_code ignored;
        std::filesystem::remove(target, ignored);
        std::string message = result.standard_error;
        while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) message.pop_back();
        throw IoError(target.string() + ": pandoc could not write the Word report (exit status " + std::to_string(result.exit_status) +
                      (message.empty() ? "" : ": " + message) + ")");
    }
}

}  // namespace rwe::report
