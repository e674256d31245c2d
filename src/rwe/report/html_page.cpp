#include "rwe/report/html_page.hpp"

#include <cmath>
#include <set>

#include "rwe/common/error.hpp"
#include "rwe/report/table_writers.hpp"

namespace rwe::report {
namespace {

// Journal-like typography with system fonts only (no web fonts: nothing is fetched).
constexpr const char* stylesheet = R"css(
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 60rem; padding: 1.5rem 1.25rem 3rem; font: 15px/1.5 "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #111; background: #fff; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.2rem; margin: 2.25rem 0 .75rem; padding-bottom: .2rem; border-bottom: 1px solid #999; }
h3 { font-size: 1rem; margin: .25rem 0 .5rem; }
p { margin: .5rem 0 .9rem; }
.downloads { font-size: .85rem; color: #444; margin: .3rem 0; text-align: center; }
header .downloads { text-align: left; }
.metadata { color: #444; font-size: .85rem; margin: 0 0 1rem; padding: 0; list-style: none; }
nav.contents { font-size: .9rem; margin: 1rem 0 1.5rem; }
nav.contents ol { margin: .25rem 0; padding-left: 1.5rem; }
figure { margin: 1rem 0 1.75rem; max-width: 100%; overflow: auto; }
figure .figure-body { max-width: 100%; }
figure svg { display: block; max-width: 100%; height: auto; margin: 0 auto; }
figcaption, caption { font-size: .9rem; text-align: left; caption-side: top; margin-bottom: .4rem; }
.label { font-weight: bold; }
.table-wrap { max-width: 100%; overflow-x: auto; margin: 1rem 0 1.75rem; }
table { border-collapse: collapse; font-size: .85rem; font-variant-numeric: tabular-nums; }
thead th { border-top: 2px solid #111; border-bottom: 1px solid #111; vertical-align: bottom; }
tbody tr:last-child th, tbody tr:last-child td { border-bottom: 2px solid #111; }
th, td { padding: .2rem .6rem; }
th.label-col { text-align: left; font-weight: normal; }
thead th.label-col { font-weight: bold; }
td.value, th.value { text-align: right; }
td.text, th.text { text-align: left; }
thead th { white-space: normal; }
/* Wide tables wrap inside cells (at spaces, e.g. before a CI) rather than overflow. */
td.value { white-space: normal; }
.nw { white-space: nowrap; }
tr.indent-1 th.label-col { padding-left: 1.6rem; }
tr.indent-2 th.label-col { padding-left: 2.6rem; }
tr.indent-3 th.label-col { padding-left: 3.6rem; }
.published { font-style: italic; color: #333; background: #f1f1f1; }
tfoot td { font-size: .8rem; color: #333; text-align: left; padding-top: .35rem; white-space: normal; }
.side-by-side { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 1.25rem; }
.side-by-side > div { min-width: 0; }
.side-by-side .published-side { background: #f7f7f7; padding: 0 .5rem; }
@media (max-width: 50rem) { .side-by-side { grid-template-columns: minmax(0, 1fr); } th, td { padding: .2rem .3rem; } table { font-size: .8rem; } .nw { white-space: normal; } }
@media print { body { max-width: none; } h2 { break-after: avoid; } figure, .table-wrap { break-inside: avoid; } }
)css";

struct Numbering {
    int figures = 0;
    int tables = 0;
    std::set<std::string> ids;
    void claim(const std::string& id) {
        if (id.empty()) return;
        if (!ids.insert(id).second) throw UsageError("html_page: duplicate id '" + id + "'");
    }
};

std::string download_links(const std::vector<Download>& downloads) {
    if (downloads.empty()) return "";
    std::string html = "<p class=\"downloads\">Files: ";
    for (size_t i = 0; i < downloads.size(); ++i) {
        const std::string& path = downloads[i].path;
        if (path.empty() || path.front() == '/' || path.front() == '\\' || path.find(':') != std::string::npos ||
            path.find("//") != std::string::npos)
            throw UsageError("html_page: download '" + path + "' must be a relative path");
        if (i > 0) html += " · ";
        html += "<a href=\"" + html_escape(path) + "\">" + html_escape(downloads[i].label) + "</a>";
    }
    return html + "</p>\n";
}

std::string inline_svg(const FigureBlock& block, const std::string& alt) {
    std::string svg = render_svg(block.figure, (block.id.empty() ? "fig" : block.id) + "-");
    // Drop the XML declaration; an inline <svg> lives in the HTML document.
    if (svg.rfind("<?xml", 0) == 0) svg.erase(0, svg.find("?>") + 2);
    while (!svg.empty() && (svg.front() == '\n' || svg.front() == '\r')) svg.erase(0, 1);
    // Shown at 1.2 × print size (1 pt = 4/3 CSS px), so 9 pt figure text reads like the
    // page's 15 px body text; narrower screens scale it down (max-width: 100%).
    const long css_width = std::lround(block.figure.width_pt * 4.0 / 3.0 * 1.2);
    size_t open = svg.find("<svg");
    if (open != std::string::npos)
        svg.insert(open + 4, " role=\"img\" aria-label=\"" + html_escape(alt) + "\" style=\"width: " +
                                 std::to_string(css_width) + "px\"");
    return svg;
}

std::string render_block(const std::variant<Paragraph, FigureBlock, Table>& block, Numbering& numbering);

std::string render_figure(const FigureBlock& block, Numbering& numbering) {
    numbering.claim(block.id);
    std::string label = "Figure " + std::to_string(++numbering.figures) + ".";
    std::string html = "<figure class=\"figure\"";
    if (!block.id.empty()) html += " id=\"" + html_escape(block.id) + "\"";
    html += ">\n<figcaption><span class=\"label\">" + label + "</span> " + html_escape(block.caption) +
            "</figcaption>\n<div class=\"figure-body\">\n";
    html += inline_svg(block, block.alt.empty() ? block.caption : block.alt);
    html += "</div>\n" + download_links(block.downloads) + "</figure>\n";
    return html;
}

std::string render_block(const std::variant<Paragraph, FigureBlock, Table>& block, Numbering& numbering) {
    if (const auto* paragraph = std::get_if<Paragraph>(&block))
        return "<p>" + html_escape(paragraph->text) + "</p>\n";
    if (const auto* figure = std::get_if<FigureBlock>(&block)) return render_figure(*figure, numbering);
    const Table& table = std::get<Table>(block);
    numbering.claim(table.id);
    return table_html(table, "Table " + std::to_string(++numbering.tables) + ".");
}

std::string render_block(const Block& block, Numbering& numbering) {
    if (const auto* pair = std::get_if<SideBySide>(&block)) {
        std::string html = "<div class=\"side-by-side\">\n<div class=\"ours-side\">\n";
        if (!pair->left_heading.empty()) html += "<h3>" + html_escape(pair->left_heading) + "</h3>\n";
        for (const auto& inner : pair->left) html += render_block(inner, numbering);
        html += "</div>\n<div class=\"published-side\">\n";
        if (!pair->right_heading.empty()) html += "<h3>" + html_escape(pair->right_heading) + "</h3>\n";
        for (const auto& inner : pair->right) html += render_block(inner, numbering);
        html += "</div>\n</div>\n";
        return html;
    }
    return std::visit(
        [&](const auto& inner) -> std::string {
            using T = std::decay_t<decltype(inner)>;
            if constexpr (std::is_same_v<T, SideBySide>) return "";
            else return render_block(std::variant<Paragraph, FigureBlock, Table>(inner), numbering);
        },
        block);
}

}  // namespace

std::string html_page(const HtmlPage& page) {
    Numbering numbering;
    std::string body;
    for (const Section& section : page.sections) {
        numbering.claim(section.id);
        body += "<section";
        if (!section.id.empty()) body += " id=\"" + html_escape(section.id) + "\"";
        body += ">\n<h2>" + html_escape(section.heading) + "</h2>\n";
        for (const Block& block : section.blocks) body += render_block(block, numbering);
        body += "</section>\n";
    }
    std::string html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                       "<meta name=\"generator\" content=\"rwe " RWE_VERSION "\">\n<title>" +
                       html_escape(page.title) + "</title>\n<style>" + stylesheet + "</style>\n</head>\n<body>\n";
    html += "<header>\n<h1>" + html_escape(page.title) + "</h1>\n";
    if (!page.metadata.empty()) {
        html += "<ul class=\"metadata\">\n";
        for (const std::string& line : page.metadata) html += "<li>" + html_escape(line) + "</li>\n";
        html += "</ul>\n";
    }
    html += download_links(page.downloads);
    html += "</header>\n";
    bool any_heading = false;
    for (const Section& section : page.sections) any_heading = any_heading || !section.id.empty();
    if (page.sections.size() > 1 && any_heading) {
        html += "<nav class=\"contents\" aria-label=\"Contents\"><ol>\n";
        for (const Section& section : page.sections)
            if (!section.id.empty())
                html += "<li><a href=\"#" + html_escape(section.id) + "\">" + html_escape(section.heading) +
                        "</a></li>\n";
        html += "</ol></nav>\n";
    }
    html += "<main>\n" + body + "</main>\n</body>\n</html>\n";
    return html;
}

Table comparison_table(const std::string& id, const std::string& title,
                       const std::vector<std::vector<std::string>>& label_ours_published,
                       const std::string& ours_header, const std::string& published_header) {
    Table table;
    table.id = id;
    table.title = title;
    table.columns = {"", ours_header, published_header};
    table.rows = label_ours_published;
    table.published_columns = {2};
    validate_table(table);
    return table;
}

}  // namespace rwe::report
