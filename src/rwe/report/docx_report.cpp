#include "rwe/report/docx_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>

#include "rwe/common/error.hpp"
#include "rwe/common/subprocess.hpp"
#include "rwe/report/table_writers.hpp"

namespace rwe::report {

namespace {

constexpr const char* converter = "pandoc";

std::size_t utf8_length(const std::string& text) {
    std::size_t n = 0;
    for (unsigned char c : text) n += (c & 0xC0) != 0x80;
    return n;
}

std::string table_source(const Table& table, int number) {
    const std::string caption = "Table " + std::to_string(number) + ". " + table.title;
    std::string html = "<table>\n<caption>" + html_escape(caption) + "</caption>\n<colgroup>";
    // Column widths: each column gets at least its longest word (so that no word is
    // broken), and the rest of a line of about 78 characters (the text width at the
    // document's size) goes to the columns in proportion to how much longer their longest
    // cell is; a table whose cells all fit on one line gets widths in proportion to them.
    constexpr double line_characters = 78;
    const std::size_t n = table.columns.size();
    std::vector<double> shortest(n), longest(n);
    auto longest_word = [](const std::string& text) {
        std::size_t best = 0, start = 0;
        for (std::size_t i = 0; i <= text.size(); ++i) {
            if (i == text.size() || text[i] == ' ') {
                best = std::max(best, utf8_length(text.substr(start, i - start)));
                start = i + 1;
            }
        }
        return static_cast<double>(best);
    };
    for (std::size_t c = 0; c < n; ++c) {
        shortest[c] = std::max(3.0, longest_word(table.columns[c]));
        longest[c] = std::max(shortest[c], static_cast<double>(utf8_length(table.columns[c])) / 2);
        for (const auto& row : table.rows) {
            shortest[c] = std::max(shortest[c], longest_word(row[c]));
            longest[c] = std::max(longest[c], static_cast<double>(utf8_length(row[c])));
        }
    }
    double sum_shortest = 0, sum_longest = 0;
    for (std::size_t c = 0; c < n; ++c) {
        sum_shortest += shortest[c];
        sum_longest += longest[c];
    }
    std::vector<double> width(n);
    for (std::size_t c = 0; c < n; ++c) {
        if (sum_longest <= line_characters) width[c] = longest[c];
        else if (sum_shortest >= line_characters) width[c] = shortest[c];
        else width[c] = shortest[c] + (line_characters - sum_shortest) * (longest[c] - shortest[c]) / (sum_longest - sum_shortest);
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
    struct RemoveSource {
        std::filesystem::path path;
        ~RemoveSource() {
            std::error_code ignored;
            std::filesystem::remove(path, ignored);
        }
    } remove_source{source};
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
    const ProgramResult result =
        run_program({converter, "--from=html", "--to=docx", "--resource-path=" + directory.string(), "--output=" + target.string(),
                     source.string()},
                    {{"SOURCE_DATE_EPOCH", "0"}});
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
