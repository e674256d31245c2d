#pragma once
// The report as a Word document (report.docx): the page's title, metadata lines, sections,
// paragraphs, tables as real Word tables (caption "Table N.", header row repeated on each
// page, numbers right-aligned, footnotes under the table) and figures as their 300-dpi PNG
// files with "Figure N." captions, numbered as on report.html. docs/report.md "Word
// document" describes it.
//
// The conversion is pandoc's (Debian package `pandoc`): rwe writes a plain HTML rendering
// of the page and pandoc turns it into OOXML; no OOXML is written by hand.

#include <filesystem>
#include <string>

#include "rwe/report/html_page.hpp"

namespace rwe::report {

// The HTML that pandoc converts: no styles, no inline SVG; each figure is
// `figures/<id>.png` (relative to the report folder).
std::string docx_source_html(const HtmlPage& page);

// Writes `directory`/report.docx from the page, the figures' PNG files already in
// `directory`/figures. Throws IoError when pandoc is missing, fails or a figure's PNG is
// absent. The output is the same bytes for the same page (SOURCE_DATE_EPOCH = 0 fixes
// the document's dates).
void write_docx_report(const HtmlPage& page, const std::filesystem::path& directory);

// Whether pandoc is on PATH.
bool docx_converter_available();

}  // namespace rwe::report
