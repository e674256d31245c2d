#pragma once
// The report page: one self-contained HTML file (CSS inline, figures inline as SVG,
// nothing fetched), sections in the order of a results section, figures and tables
// numbered in order of appearance.

#include <string>
#include <variant>
#include <vector>

#include "rwe/report/figure.hpp"
#include "rwe/report/table.hpp"

namespace rwe::report {

struct Paragraph {
    std::string text;
};

// A link to a file written beside the page (e.g. {"PDF", "figures/os.pdf"}). Only
// relative paths are accepted: the page must work when the folder is moved and never
// reach the network.
struct Download {
    std::string label;
    std::string path;
};

struct FigureBlock {
    std::string id;       // HTML id; also prefixes the SVG's internal ids
    std::string caption;  // after "Figure N."
    std::string alt;      // text alternative (aria-label); the caption when empty
    Figure figure;
    std::vector<Download> downloads;  // shown under the figure
};

// Two blocks side by side (e.g. our result and the published one); stacked on narrow
// screens. The headings label the columns ("This analysis", "Published").
struct SideBySide {
    std::string left_heading, right_heading;
    std::vector<std::variant<Paragraph, FigureBlock, Table>> left, right;
};

using Block = std::variant<Paragraph, FigureBlock, Table, SideBySide>;

struct Section {
    std::string id;
    std::string heading;
    std::vector<Block> blocks;
};

struct HtmlPage {
    std::string title;
    std::vector<std::string> metadata;  // lines under the title: protocol, registry checksum, version
    std::vector<Download> downloads;    // under the title: tables.xlsx, results.json, datasets
    std::vector<Section> sections;
};

// The complete page. No dates or other varying content: the same page gives the same bytes.
// Throws rwe::UsageError for duplicate ids, malformed tables or a download path that is
// not relative.
std::string html_page(const HtmlPage& page);

// Comparison table: label | ours | published (marked as published column).
Table comparison_table(const std::string& id, const std::string& title,
                       const std::vector<std::vector<std::string>>& label_ours_published,
                       const std::string& ours_header = "This analysis",
                       const std::string& published_header = "Published");

}  // namespace rwe::report
