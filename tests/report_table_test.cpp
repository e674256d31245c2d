// Tables: HTML escaping, CSV quoting (RFC 4180), XLSX workbooks (sheets listed by
// unzip, numbers kept as numbers), small-cell suppression and published columns.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>

#include "rwe/common/csv_reader.hpp"
#include "rwe/common/error.hpp"
#include "rwe/report/docx_report.hpp"
#include "rwe/report/drawing.hpp"
#include "rwe/report/table.hpp"
#include "rwe/report/table_writers.hpp"

namespace rwe::report {
namespace {

Table response_table() {
    Table table;
    table.id = "table2";
    table.title = "Best overall response (n = 220)";
    table.columns = {"Best response", "No. (%)"};
    table.rows = {{"Complete response", "39 (17.7)"},
                  {"Partial response", "152 (69.0)"},
                  {"Stable disease", "25 (11.3)"},
                  {"Progressive disease", "4 (1.8)"}};
    table.footnotes = {"THP, docetaxel, trastuzumab, pertuzumab."};
    return table;
}

std::string run(const std::string& command) {
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
    std::string out;
    char buffer[4096];
    while (pipe && fgets(buffer, sizeof buffer, pipe.get())) out += buffer;
    return out;
}

TEST(ReportTableHtml, EscapesEverythingUserSupplied) {
    EXPECT_EQ(html_escape("a<b & \"c\" 'd'>"), "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;");
    Table table;
    table.id = "t\"1";
    table.title = "<script>alert(1)</script>";
    table.columns = {"Group & subgroup", "p"};
    table.rows = {{"Age < 65", "<0.001"}};
    table.footnotes = {"HR > 1 favours <b>"};
    const std::string html = table_html(table, "Table 1.");
    EXPECT_EQ(html.find("<script>"), std::string::npos);
    EXPECT_EQ(html.find("<b>"), std::string::npos);
    EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
    EXPECT_NE(html.find("Group &amp; subgroup"), std::string::npos);
    EXPECT_NE(html.find("Age &lt; 65"), std::string::npos);
    EXPECT_NE(html.find("<td class=\"value\">&lt;0.001</td>"), std::string::npos);
    EXPECT_NE(html.find("id=\"t&quot;1\""), std::string::npos);
    EXPECT_NE(html.find("<span class=\"label\">Table 1.</span>"), std::string::npos);
    EXPECT_NE(html.find("colspan=\"2\">HR &gt; 1 favours &lt;b&gt;</td>"), std::string::npos);
}

TEST(ReportTableHtml, IndentAndPublishedColumnsAreMarked) {
    Table table = response_table();
    table.indent = {1, 1, 0, 0};
    add_published_column(table, 1, "Published", {"39 (17.7)", "152 (69.0)", "25 (11.3)", "4 (1.8)"});
    ASSERT_EQ(table.columns.size(), 3u);
    EXPECT_EQ(table.published_columns, (std::vector<size_t>{2}));
    const std::string html = table_html(table);
    EXPECT_NE(html.find("<th scope=\"col\" class=\"value published\">Published</th>"), std::string::npos);
    EXPECT_NE(html.find("<tr class=\"indent-1\">"), std::string::npos);
    // A second published column inserted before shifts the first.
    add_published_column(table, 0, "Published (%)", {"", "", "", ""});
    EXPECT_EQ(table.published_columns, (std::vector<size_t>{1, 3}));
}

TEST(ReportTableHtml, ValueCellsBreakBetweenWordsOnly) {
    Table table;
    table.columns = {"Group", "S(12) (95% CI)"};
    table.rows = {{"All patients", "0.982 (0.965–0.999)"}};
    const std::string html = table_html(table);
    // The label column wraps normally; the value's words are kept whole.
    EXPECT_NE(html.find("<th scope=\"row\" class=\"label-col\">All patients</th>"), std::string::npos) << html;
    EXPECT_NE(html.find("<td class=\"value\"><span class=\"nw\">0.982</span> <span class=\"nw\">(0.965–0.999)</span></td>"),
              std::string::npos) << html;
}

TEST(ReportTableHtml, WordsAlignLeftNumbersRight) {
    Table table;
    table.columns = {"Endpoint", "Group", "n (%)", "Median (95% CI)", "p", "HR"};
    table.rows = {{"OS", "de novo", "115 (50.4)", "61.1 (51.6–102.8)", "p < 0.001", "<0.5"},
                  {"", "relapsed", "<5", "NR", "", "−1.2"},
                  {"", "≥ 6 cycles", "0 (0.0)", "8.4 (5.4–11.4)", "0.43", "> 2"}};
    EXPECT_FALSE(is_numeric_column(table, 0));  // row labels
    EXPECT_FALSE(is_numeric_column(table, 1));
    EXPECT_TRUE(is_numeric_column(table, 2));
    EXPECT_TRUE(is_numeric_column(table, 3));
    EXPECT_TRUE(is_numeric_column(table, 4));
    EXPECT_TRUE(is_numeric_column(table, 5));
    const std::string html = table_html(table);
    EXPECT_NE(html.find("<th scope=\"col\" class=\"value text\">Group</th>"), std::string::npos) << html;
    EXPECT_NE(html.find("<th scope=\"col\" class=\"value\">n (%)</th>"), std::string::npos) << html;
}

TEST(ReportTableHtml, RejectsRaggedRows) {
    Table table = response_table();
    table.rows[2].pop_back();
    EXPECT_THROW(table_html(table), UsageError);
    EXPECT_THROW(table_csv(table), UsageError);
}

TEST(ReportTableCsv, QuotesPerRfc4180) {
    EXPECT_EQ(csv_field("plain"), "plain");
    EXPECT_EQ(csv_field(""), "");
    EXPECT_EQ(csv_field("39 (17.7)"), "39 (17.7)");
    EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
    EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
    EXPECT_EQ(csv_field("cr\rhere"), "\"cr\rhere\"");
    EXPECT_EQ(csv_field(" padded"), "\" padded\"");
    Table table;
    table.columns = {"label", "value"};
    table.rows = {{"HR, adjusted", "0.62"}, {"note \"x\"", "multi\nline"}};
    EXPECT_EQ(table_csv(table),
              "label,value\r\n\"HR, adjusted\",0.62\r\n\"note \"\"x\"\"\",\"multi\nline\"\r\n");
}

TEST(ReportTableCsv, ReadsBackWithTheProjectsCsvReader) {
    Table table;
    table.columns = {"label", "value", "p"};
    table.rows = {{"Age, years", "62 (35–88)", "0.043"}, {"quote \"q\"", "a\r\nb", ""}};
    auto path = std::filesystem::temp_directory_path() / "rwe_report_table_test.csv";
    {
        std::ofstream out(path, std::ios::binary);
        out << table_csv(table);
    }
    CsvReader reader(path.string());
    std::vector<std::string_view> fields;
    std::vector<std::vector<std::string>> rows;
    while (reader.next(fields)) rows.emplace_back(fields.begin(), fields.end());
    std::filesystem::remove(path);
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0], table.columns);
    EXPECT_EQ(rows[1], table.rows[0]);
    EXPECT_EQ(rows[2], table.rows[1]);
}

// p-values in a table's p column: two significant digits, floor 0.001, cap 0.99 (a
// journal's rule; the values are worked by hand).
TEST(ReportTablePValues, TwoSignificantDigits) {
    using rwe::report::format_p_number;
    using rwe::report::format_p_value;
    EXPECT_EQ(format_p_number(0.0004), "<0.001");
    EXPECT_EQ(format_p_number(0.001), "0.0010");
    EXPECT_EQ(format_p_number(0.00432), "0.0043");
    EXPECT_EQ(format_p_number(0.0431), "0.043");
    EXPECT_EQ(format_p_number(0.0996), "0.10");  // rounding carries into 0.1: still two digits
    EXPECT_EQ(format_p_number(0.13346), "0.13");
    EXPECT_EQ(format_p_number(0.666), "0.67");
    EXPECT_EQ(format_p_number(0.9949), "0.99");
    EXPECT_EQ(format_p_number(0.995), ">0.99");
    EXPECT_EQ(format_p_number(1.0), ">0.99");
    EXPECT_EQ(format_p_number(NAN), "NA");
    EXPECT_EQ(format_p_value(0.0004), "p < 0.001");
    EXPECT_EQ(format_p_value(0.995), "p > 0.99");
    EXPECT_EQ(format_p_value(0.00432), "p = 0.0043");
}

TEST(ReportTableCsv, ByteOrderMarkAndAsciiSymbolsOnRequest) {
    Table table;
    table.id = "t";
    table.title = "T";
    table.columns = {"Group", "Median (95% CI)", "Age \u2265 65"};
    table.rows = {{"M\u00fcller \u2013 A", "12.1 (9.8\u201314.0)", "\u22121.5 \u00b1 0.2; \u03c7\u00b2 = 3"}};
    EXPECT_EQ(table_csv(table).substr(0, 5), "Group");
    const std::string bom = table_csv(table, {.byte_order_mark = true});
    EXPECT_EQ(bom.substr(0, 3), "\xef\xbb\xbf");
    EXPECT_EQ(bom.substr(3), table_csv(table));
    // Only rwe's own symbols become ASCII; a name's letters stay as they are. A cell that
    // now starts with "-" and is not a number is still kept from being read as a formula.
    EXPECT_EQ(table_csv(table, {.ascii_symbols = true}),
              "Group,Median (95% CI),Age >= 65\r\nM\u00fcller - A,12.1 (9.8-14.0),'-1.5 +/- 0.2; chi-square = 3\r\n");
}

// The HTML pandoc converts: numbered captions, right-aligned number columns, indented
// labels, each figure as its PNG file.
TEST(ReportDocxSource, CaptionsAlignmentAndFigures) {
    using namespace rwe::report;
    HtmlPage page;
    page.title = "Study <1>";
    Table table;
    table.id = "tab-a";
    table.title = "Summary";
    table.columns = {"Group", "Patients"};
    table.rows = {{"All", "228"}, {"sub", "12"}};
    table.indent = {0, 1};
    table.footnotes = {"NR: not reached."};
    FigureBlock figure;
    figure.id = "fig-os";
    figure.caption = "Overall survival.";
    page.sections = {Section{"sec-a", "Survival", {Paragraph{"Text & more"}, table, figure}}};
    const std::string html = docx_source_html(page);
    EXPECT_NE(html.find("<title>Study &lt;1&gt;</title>"), std::string::npos);
    EXPECT_NE(html.find("<caption>Table 1. Summary</caption>"), std::string::npos);
    EXPECT_NE(html.find("<th style=\"text-align: right\">Patients</th>"), std::string::npos);
    EXPECT_NE(html.find("<td style=\"text-align: left\">&#160;&#160;&#160;&#160;sub</td>"), std::string::npos);
    EXPECT_NE(html.find("<img src=\"figures/fig-os.png\""), std::string::npos);
    EXPECT_NE(html.find("<figcaption>Figure 1. Overall survival.</figcaption>"), std::string::npos);
    EXPECT_NE(html.find("<p>Text &amp; more</p>"), std::string::npos);
    EXPECT_NE(html.find("<p><small>NR: not reached.</small></p>"), std::string::npos);
}

TEST(ReportTableXlsx, OneSheetPerTableInOneWorkbook) {
    Table second = response_table();
    second.id = "";
    second.title = "Adverse events: worst grade per patient [CTCAE v5.0]";
    Table third = response_table();
    third.id = "TABLE2";  // same as the first, case-insensitively
    auto directory = std::filesystem::temp_directory_path() / "rwe_report_xlsx_test";
    std::filesystem::remove_all(directory);
    std::filesystem::create_directories(directory);
    const auto path = directory / "tables.xlsx";
    write_xlsx({response_table(), second, third}, path);
    ASSERT_TRUE(std::filesystem::exists(path));
    EXPECT_GT(std::filesystem::file_size(path), 2000u);
    EXPECT_FALSE(std::filesystem::exists(path.string() + ".tmp"));

    const std::string listing = run("unzip -l '" + path.string() + "'");
    EXPECT_NE(listing.find("xl/worksheets/sheet1.xml"), std::string::npos) << listing;
    EXPECT_NE(listing.find("xl/worksheets/sheet3.xml"), std::string::npos) << listing;
    EXPECT_EQ(listing.find("xl/worksheets/sheet4.xml"), std::string::npos) << listing;
    const std::string workbook = run("unzip -p '" + path.string() + "' xl/workbook.xml");
    EXPECT_NE(workbook.find("name=\"table2\""), std::string::npos) << workbook;
    // 31 characters at most; ':' and brackets are not allowed in sheet names.
    EXPECT_NE(workbook.find("name=\"Adverse events_ worst grade per\""), std::string::npos) << workbook;
    EXPECT_NE(workbook.find("name=\"TABLE2 (2)\""), std::string::npos) << workbook;
    const std::string strings = run("unzip -p '" + path.string() + "' xl/sharedStrings.xml");
    EXPECT_NE(strings.find("Complete response"), std::string::npos);
    EXPECT_NE(strings.find("39 (17.7)"), std::string::npos);

    // Same tables, same bytes (fixed creation date).
    const auto again = directory / "again.xlsx";
    write_xlsx({response_table(), second, third}, again);
    EXPECT_EQ(run("cmp '" + path.string() + "' '" + again.string() + "' && echo same"), "same\n");

    EXPECT_THROW(write_xlsx({}, directory / "empty.xlsx"), UsageError);
    EXPECT_THROW(write_xlsx({response_table()}, directory / "missing" / "t.xlsx"), IoError);
    std::filesystem::remove_all(directory);
}

TEST(ReportTableXlsx, PlainNumbersBecomeNumbersWithTheirDecimals) {
    Table table;
    table.id = "numbers";
    table.columns = {"label", "a", "b", "c", "d"};
    table.rows = {{"row", "0.60", "228", "007", "12 (5.3)"}};
    auto path = std::filesystem::temp_directory_path() / "rwe_report_numbers.xlsx";
    write_xlsx({table}, path);
    const std::string sheet = run("unzip -p '" + path.string() + "' xl/worksheets/sheet1.xml");
    const std::string styles = run("unzip -p '" + path.string() + "' xl/styles.xml");
    std::filesystem::remove(path);
    EXPECT_NE(sheet.find("<v>0.6</v>"), std::string::npos) << sheet;
    EXPECT_NE(sheet.find("<v>228</v>"), std::string::npos) << sheet;
    EXPECT_NE(styles.find("formatCode=\"0.00\""), std::string::npos) << styles;
    // "007" and "12 (5.3)" stay text (shared strings, t="s").
    EXPECT_TRUE(std::regex_search(sheet, std::regex("r=\"D4\"[^>]* t=\"s\""))) << sheet;
    EXPECT_TRUE(std::regex_search(sheet, std::regex("r=\"E4\"[^>]* t=\"s\""))) << sheet;
    EXPECT_FALSE(std::regex_search(sheet, std::regex("r=\"C4\"[^>]* t=\"s\""))) << sheet;
}

TEST(ReportSuppression, SmallCountsAreShownAsLessThanThreshold) {
    EXPECT_EQ(suppress_count(3, 5), "<5");
    EXPECT_EQ(suppress_count(1, 5), "<5");
    EXPECT_EQ(suppress_count(5, 5), "5");
    EXPECT_EQ(suppress_count(0, 5), "0");
    EXPECT_EQ(suppress_count(3, 0), "3");
    EXPECT_EQ(count_percent(39, 220), "39 (17.7)");
    EXPECT_EQ(count_percent(4, 220, 5), "<5");  // no percentage: it would reveal the count
    EXPECT_EQ(count_percent(4, 220, 0, 2), "4 (1.82)");
    EXPECT_EQ(count_percent(0, 0), "0 (–)");

    Table table = response_table();
    table.rows.push_back({"Not evaluable", "0 (0.0)"});
    const size_t footnotes = table.footnotes.size();
    EXPECT_EQ(suppress_small_cells(table, {1}, 5), 1u);
    EXPECT_EQ(table.rows[3][1], "<5");
    EXPECT_EQ(table.rows[0][1], "39 (17.7)");
    EXPECT_EQ(table.rows[4][1], "0 (0.0)");
    EXPECT_EQ(table.footnotes.size(), footnotes + 1);
    EXPECT_NE(table.footnotes.back().find("<5"), std::string::npos);
    // Nothing to suppress: no footnote.
    Table clean = response_table();
    clean.rows.pop_back();
    EXPECT_EQ(suppress_small_cells(clean, {1}, 5), 0u);
    EXPECT_EQ(clean.footnotes.size(), footnotes);
}

}  // namespace
}  // namespace rwe::report
