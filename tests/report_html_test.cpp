// The report page: self-contained (nothing fetched), figures inline with ids kept apart,
// figures and tables numbered in order, escaping, duplicate ids refused, deterministic.
// Its rendering in a browser is checked by tests/report_browser.cmake.

#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "report_sample.hpp"
#include "rwe/common/error.hpp"
#include "rwe/report/html_page.hpp"

namespace rwe::report {
namespace {

TEST(ReportHtmlPage, SelfContainedWithEveryBlock) {
    const std::string html = html_page(sample::page());
    EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
    // Nothing fetched: no external scripts, stylesheets, images or fonts.
    EXPECT_FALSE(std::regex_search(html, std::regex(R"re((src|href)\s*=\s*"(https?:)?//)re")));
    EXPECT_EQ(html.find("<link"), std::string::npos);
    EXPECT_EQ(html.find("<script"), std::string::npos);
    EXPECT_EQ(html.find("<img"), std::string::npos);
    EXPECT_EQ(html.find("@import"), std::string::npos);
    EXPECT_EQ(html.find("url(http"), std::string::npos);
    for (const std::string& id : sample::page_block_ids())
        EXPECT_NE(html.find("id=\"" + id + "\""), std::string::npos) << id;
    // Inline SVG without the XML declaration, with a text alternative.
    EXPECT_EQ(html.find("<?xml"), std::string::npos);
    EXPECT_NE(html.find("<svg role=\"img\" aria-label=\"Cohort selection.\" style=\"width: 749px\""), std::string::npos);
}

TEST(ReportHtmlPage, SvgIdsAreUniqueAcrossFiguresAndReferencesResolve) {
    const std::string html = html_page(sample::page());
    std::set<std::string> ids;
    const std::regex id_pattern(R"re( id="([^"]+)")re");
    for (auto it = std::sregex_iterator(html.begin(), html.end(), id_pattern); it != std::sregex_iterator(); ++it)
        EXPECT_TRUE(ids.insert((*it)[1]).second) << "duplicate id " << (*it)[1];
    const std::regex reference(R"re(href="#([^"]+)"|url\(#([^)]+)\))re");
    size_t references = 0;
    for (auto it = std::sregex_iterator(html.begin(), html.end(), reference); it != std::sregex_iterator(); ++it) {
        std::string target = (*it)[1].matched ? (*it)[1].str() : (*it)[2].str();
        EXPECT_TRUE(ids.count(target)) << "dangling reference #" << target;
        ++references;
    }
    EXPECT_GT(references, 100u);
    EXPECT_TRUE(ids.count("fig-os-1"));
    EXPECT_TRUE(ids.count("fig-os-cycles-1"));
}

TEST(ReportHtmlPage, NumbersFiguresAndTablesInOrder) {
    const std::string html = html_page(sample::page());
    auto position = [&](const std::string& text) {
        size_t at = html.find(text);
        EXPECT_NE(at, std::string::npos) << text;
        return at;
    };
    EXPECT_LT(position("Figure 1.</span> Cohort selection."), position("Table 1.</span> Patient characteristics"));
    EXPECT_LT(position("Table 1.</span>"), position("Figure 2.</span> Overall survival after"));
    EXPECT_LT(position("Figure 2.</span>"), position("Table 2.</span> Survival summary"));
    EXPECT_LT(position("Table 2.</span>"), position("Figure 3.</span> Overall survival by number"));
    EXPECT_NE(html.find("Table 7.</span> Multivariable Cox"), std::string::npos);
    EXPECT_EQ(html.find("Table 8."), std::string::npos);
    EXPECT_NE(html.find("Figure 5.</span> Best overall response"), std::string::npos);
    // Sections in the given order, with a table of contents.
    EXPECT_LT(position("<section id=\"patients\">"), position("<section id=\"survival\">"));
    EXPECT_LT(position("<section id=\"response\">"), position("<section id=\"cox\">"));
    EXPECT_NE(html.find("<a href=\"#safety\">Adverse events</a>"), std::string::npos);
}

TEST(ReportHtmlPage, PublishedValuesAndSuppressedCellsAreShown) {
    const std::string html = html_page(sample::page());
    EXPECT_NE(html.find("<div class=\"side-by-side\">"), std::string::npos);
    EXPECT_NE(html.find("<td class=\"value published\"><span class=\"nw\">58.3</span> <span class=\"nw\">(36.6–80.0)</span></td>"),
              std::string::npos);
    EXPECT_NE(html.find("<th scope=\"col\" class=\"value published\">Published, No. (%)</th>"), std::string::npos);
    // Brain metastasis 3 (2.3) and PD 4 (1.8) are below the threshold of 5.
    EXPECT_NE(html.find("<td class=\"value\">&lt;5</td>"), std::string::npos);
    EXPECT_EQ(html.find(">(1.8)</span></td>\n<td class=\"value published\"><span class=\"nw\">4</span>"), std::string::npos);
    EXPECT_NE(html.find("<td class=\"value\">&lt;5</td><td class=\"value published\"><span class=\"nw\">4</span> <span class=\"nw\">(1.8)</span></td>"),
              std::string::npos);
    EXPECT_NE(html.find("are shown as &lt;5"), std::string::npos);
}

TEST(ReportHtmlPage, EscapesTextAndRefusesDuplicateIds) {
    HtmlPage page;
    page.title = "A & B <test>";
    page.metadata = {"\"quoted\""};
    page.sections = {{"s1", "Heading <h>", {Paragraph{"x < y & z"}}}};
    const std::string html = html_page(page);
    EXPECT_NE(html.find("<title>A &amp; B &lt;test&gt;</title>"), std::string::npos);
    EXPECT_NE(html.find("<li>&quot;quoted&quot;</li>"), std::string::npos);
    EXPECT_NE(html.find("<h2>Heading &lt;h&gt;</h2>"), std::string::npos);
    EXPECT_NE(html.find("<p>x &lt; y &amp; z</p>"), std::string::npos);
    page.sections.push_back({"s1", "Again", {}});
    EXPECT_THROW(html_page(page), UsageError);
}

TEST(ReportHtmlPage, DownloadLinksAreRelative) {
    const std::string html = html_page(sample::page());
    EXPECT_NE(html.find("<a href=\"fig-os.pdf\">PDF</a>"), std::string::npos);
    EXPECT_NE(html.find("<a href=\"tables.xlsx\">All tables (XLSX)</a>"), std::string::npos);
    for (const char* bad : {"/etc/passwd", "https://example.org/x.pdf", "//host/x", "C:\\x.pdf"}) {
        HtmlPage page = sample::page();
        page.downloads = {{"x", bad}};
        EXPECT_THROW(html_page(page), UsageError) << bad;
    }
}

TEST(ReportHtmlPage, SamePageSameBytes) {
    EXPECT_TRUE(html_page(sample::page()) == html_page(sample::page()));
}

}  // namespace
}  // namespace rwe::report
