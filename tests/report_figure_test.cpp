// Figures: the golden SVG of a small Kaplan–Meier plot, determinism, the PNG's 300 dpi
// size and the PDF's header, number-at-risk lookup and axis breaks against hand-worked
// values, and input validation.
//
// Regenerate the golden SVG (after an intended change of the drawing, checked by eye):
//   RWE_REGENERATE_GOLDEN=1 ctest --test-dir build-<name> -R report_figure
// then look at the new tests/data/report/km_small.svg and commit it.

#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "rwe/common/error.hpp"
#include "rwe/report/attrition_diagram.hpp"
#include "rwe/report/axis.hpp"
#include "rwe/report/bar_chart.hpp"
#include "rwe/report/drawing.hpp"
#include "rwe/report/figure.hpp"
#include "rwe/report/forest_plot.hpp"
#include "rwe/report/km_plot.hpp"

namespace rwe::report {
namespace {

const std::filesystem::path golden_svg = std::filesystem::path(RWE_TEST_DATA_DIR) / "report" / "km_small.svg";

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

// Two groups of six, worked by hand (product-limit, S(t) = Π (1 − d/n)):
//   A: 2, 3+, 5, 7, 8+, 11 → S = 5/6, 5/6, 5/8, 5/12, 5/12, 0; median 7
//   B: 4, 6+, 9, 12+, 15, 18+ → S = 5/6, 5/6, 5/8, 5/8, 5/16, 5/16; median 15
// The bands are illustrative (they exercise the stepped ribbon and its break at NaN).
KmPlotInput small_plot() {
    KmCurveInput a;
    a.label = "Group A";
    a.time = {2, 3, 5, 7, 8, 11};
    a.n_risk = {6, 5, 4, 3, 2, 1};
    a.n_event = {1, 0, 1, 1, 0, 1};
    a.n_censor = {0, 1, 0, 0, 1, 0};
    a.surv = {5.0 / 6, 5.0 / 6, 5.0 / 8, 5.0 / 12, 5.0 / 12, 0};
    a.lower = {0.58, 0.58, 0.35, 0.17, 0.17, NAN};
    a.upper = {1, 1, 1, 1, 1, NAN};
    a.median = 7;
    KmCurveInput b;
    b.label = "Group B";
    b.time = {4, 6, 9, 12, 15, 18};
    b.n_risk = {6, 5, 4, 3, 2, 1};
    b.n_event = {1, 0, 1, 0, 1, 0};
    b.n_censor = {0, 1, 0, 1, 0, 1};
    b.surv = {5.0 / 6, 5.0 / 6, 5.0 / 8, 5.0 / 8, 5.0 / 16, 5.0 / 16};
    b.median = 15;
    KmPlotInput input;
    input.curves = {a, b};
    input.annotation = {"Log-rank p = 0.21", "HR 0.45 (95% CI 0.12–1.70)"};
    input.width_pt = 360;
    input.panel_height_pt = 180;
    return input;
}

TEST(ReportKmPlot, GoldenSvg) {
    const std::string svg = render_svg(km_plot(small_plot()));
    if (std::getenv("RWE_REGENERATE_GOLDEN")) {
        std::filesystem::create_directories(golden_svg.parent_path());
        write_file_atomic(golden_svg, svg);
        GTEST_SKIP() << "regenerated " << golden_svg;
    }
    ASSERT_TRUE(std::filesystem::exists(golden_svg)) << golden_svg << " missing; see the comment at the top";
    EXPECT_TRUE(svg == read_file(golden_svg))
        << "SVG differs from " << golden_svg << "; if the change is intended, regenerate (see top of file)";
}

TEST(ReportKmPlot, SvgIsDeterministicWhateverWasDrawnBefore) {
    const std::string first = render_svg(km_plot(small_plot()));
    // Cairo's own ids come from process-wide counters; drawing other figures in between
    // must not change ours.
    render_pdf(km_plot(small_plot()));
    render_svg(forest_plot({{{"x", 0, false, 1.5, 1.1, 2.0}}}));
    EXPECT_TRUE(first == render_svg(km_plot(small_plot())));
    // Prefixes keep two inlined figures apart.
    std::string prefixed = render_svg(km_plot(small_plot()), "km-os-");
    EXPECT_NE(prefixed.find("id=\"km-os-1\""), std::string::npos);
    EXPECT_EQ(prefixed.find("id=\"f1\""), std::string::npos);
    EXPECT_EQ(first.find("surface"), std::string::npos) << "unrenamed cairo id left";
}

uint32_t big_endian(const std::string& bytes, size_t at) {
    return (uint32_t(uint8_t(bytes[at])) << 24) | (uint32_t(uint8_t(bytes[at + 1])) << 16) |
           (uint32_t(uint8_t(bytes[at + 2])) << 8) | uint32_t(uint8_t(bytes[at + 3]));
}

TEST(ReportKmPlot, PngIs300DpiAndSizeConsistent) {
    Figure figure = km_plot(small_plot());
    const std::string png = render_png(figure);
    ASSERT_GT(png.size(), 33u);
    EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
    // IHDR width and height: points / 72 × 300.
    EXPECT_EQ(big_endian(png, 16), static_cast<uint32_t>(std::lround(figure.width_pt / 72 * 300)));
    EXPECT_EQ(big_endian(png, 20), static_cast<uint32_t>(std::lround(figure.height_pt / 72 * 300)));
    EXPECT_EQ(big_endian(png, 16), 1500u);  // 360 pt = 5 in
    // pHYs right after IHDR: 300 dpi = 11811 pixels per metre, unit metre.
    EXPECT_EQ(png.substr(37, 4), "pHYs");
    EXPECT_EQ(big_endian(png, 41), 11811u);
    EXPECT_EQ(big_endian(png, 45), 11811u);
    EXPECT_EQ(png[49], '\x01');
    const std::string png_150 = render_png(figure, 150);
    EXPECT_EQ(big_endian(png_150, 16), 750u);
}

// The PNG's image data, decoded by the format's rules (ISO/IEC 15948): every chunk's CRC,
// 8-bit RGB rows each with filter type 1 (Sub: a byte minus the same channel of the pixel to
// its left), inflated to exactly height × (1 + 3 × width) bytes; the opaque white background
// at the corners, and the curves' dark strokes somewhere in between.
TEST(ReportKmPlot, PngRowsDecodeToTheDrawing) {
    const std::string png = render_png(km_plot(small_plot()));
    const uint32_t width = big_endian(png, 16), height = big_endian(png, 20);
    EXPECT_EQ(png.substr(24, 5), std::string("\x08\x02\x00\x00\x00", 5));  // 8 bits, RGB, no interlace
    std::string idat;
    std::vector<std::string> types;
    for (std::size_t at = 8; at + 12 <= png.size();) {
        const uint32_t length = big_endian(png, at);
        const std::string type = png.substr(at + 4, 4);
        const uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(png.data() + at + 4), length + 4);
        EXPECT_EQ(big_endian(png, at + 8 + length), static_cast<uint32_t>(crc)) << type;
        if (type == "IDAT") idat += png.substr(at + 8, length);
        types.push_back(type);
        at += 12 + length;
    }
    EXPECT_EQ(types, (std::vector<std::string>{"IHDR", "pHYs", "IDAT", "IEND"}));
    const std::size_t row_bytes = 1 + 3 * static_cast<std::size_t>(width);
    std::string raw(row_bytes * height + 1, '\0');
    uLongf size = static_cast<uLongf>(raw.size());
    ASSERT_EQ(uncompress(reinterpret_cast<Bytef*>(raw.data()), &size, reinterpret_cast<const Bytef*>(idat.data()),
                         static_cast<uLong>(idat.size())), Z_OK);
    ASSERT_EQ(size, row_bytes * height);
    std::size_t dark = 0;
    std::vector<unsigned char> first_row, last_row;
    for (uint32_t y = 0; y < height; ++y) {
        const char* row = raw.data() + y * row_bytes;
        ASSERT_EQ(row[0], 1) << y;
        unsigned char pixel[3] = {0, 0, 0};
        for (uint32_t x = 0; x < width; ++x) {
            for (int c = 0; c < 3; ++c) pixel[c] = static_cast<unsigned char>(pixel[c] + static_cast<unsigned char>(row[1 + 3 * x + c]));
            if (pixel[0] + pixel[1] + pixel[2] < 200) ++dark;
            if (y == 0 && (x == 0 || x == width - 1)) first_row.insert(first_row.end(), pixel, pixel + 3);
            if (y == height - 1 && (x == 0 || x == width - 1)) last_row.insert(last_row.end(), pixel, pixel + 3);
        }
    }
    EXPECT_EQ(first_row, std::vector<unsigned char>(6, 255));
    EXPECT_EQ(last_row, std::vector<unsigned char>(6, 255));
    EXPECT_GT(dark, 1000u);  // axes, text and curves
}

TEST(ReportKmPlot, PdfHasHeaderEmbeddedFontAndFixedDate) {
    const std::string pdf = render_pdf(km_plot(small_plot()));
    EXPECT_EQ(pdf.rfind("%PDF-", 0), 0u);
    EXPECT_NE(pdf.find("/FontFile"), std::string::npos) << "font not embedded";
    EXPECT_NE(pdf.find("DejaVuSans"), std::string::npos);
    EXPECT_NE(pdf.find("/CreationDate (20000101000000Z)"), std::string::npos);
    EXPECT_TRUE(pdf == render_pdf(km_plot(small_plot())));
}

TEST(ReportKmPlot, WriteFigureWritesThreeFormats) {
    auto directory = std::filesystem::temp_directory_path() / "rwe_report_figure_test";
    std::filesystem::remove_all(directory);
    std::filesystem::create_directories(directory);
    write_figure(km_plot(small_plot()), directory / "km");
    for (const char* extension : {".svg", ".pdf", ".png"}) {
        auto path = directory / (std::string("km") + extension);
        ASSERT_TRUE(std::filesystem::exists(path)) << path;
        EXPECT_GT(std::filesystem::file_size(path), 1000u) << path;
        EXPECT_FALSE(std::filesystem::exists(path.string() + ".tmp"));
    }
    EXPECT_THROW(write_figure(km_plot(small_plot()), directory / "missing" / "km"), IoError);
    std::filesystem::remove_all(directory);
}

TEST(ReportKmPlot, NumberAtRiskHandWorked) {
    const KmCurveInput a = small_plot().curves[0];
    // At risk at t = subjects with time ≥ t.
    EXPECT_EQ(n_risk_at(a, 0), 6);
    EXPECT_EQ(n_risk_at(a, 2), 6);   // the event at 2 is still at risk at 2
    EXPECT_EQ(n_risk_at(a, 2.5), 5);
    EXPECT_EQ(n_risk_at(a, 3), 5);   // censored at 3: at risk at 3
    EXPECT_EQ(n_risk_at(a, 4), 4);
    EXPECT_EQ(n_risk_at(a, 11), 1);
    EXPECT_EQ(n_risk_at(a, 12), 0);
    EXPECT_DOUBLE_EQ(survival_at(a, 0), 1);
    EXPECT_DOUBLE_EQ(survival_at(a, 5), 5.0 / 8);
    EXPECT_DOUBLE_EQ(survival_at(a, 6.9), 5.0 / 8);
    EXPECT_DOUBLE_EQ(survival_at(a, 20), 0);
}

TEST(ReportAxis, TimeBreaksInMonths) {
    EXPECT_EQ(time_ticks(18).step, 2);
    EXPECT_EQ(time_ticks(18).values.back(), 18);
    EXPECT_EQ(time_ticks(60).step, 6);
    EXPECT_EQ(time_ticks(60).values.size(), 11u);
    EXPECT_EQ(time_ticks(60).axis_end, 60);
    // 145.2 months lies 1.2 beyond the tick at 144 (step 24): the axis ends at 145.2.
    EXPECT_EQ(time_ticks(145.2).values.back(), 144);
    EXPECT_DOUBLE_EQ(time_ticks(145.2).axis_end, 145.2);
    EXPECT_EQ(time_ticks(143.5).step, 24);
    EXPECT_EQ(time_ticks(143.5).values.back(), 144);
    EXPECT_EQ(time_ticks(100).step, 12);
    EXPECT_EQ(time_ticks(100).values.back(), 108);
    EXPECT_EQ(time_ticks(100, 6).values.size(), 18u);  // forced step
    EXPECT_EQ(time_ticks(0).values.size(), 2u);        // empty data still gives an axis
    EXPECT_EQ(time_ticks(0.1).values, (std::vector<double>{0, 1}));
}

TEST(ReportAxis, RatioTicksIncludeOneAndCoverTheRange) {
    Ticks ticks = ratio_ticks(0.61, 2.6);
    EXPECT_EQ(ticks.values, (std::vector<double>{0.5, 1, 2, 4}));
    ticks = ratio_ticks(0.5, 13.79);
    EXPECT_EQ(ticks.values, (std::vector<double>{0.5, 1, 2, 5, 10, 20}));
    ticks = ratio_ticks(0.3, 1.5);
    EXPECT_EQ(ticks.values, (std::vector<double>{0.25, 0.5, 1, 2}));
    ticks = ratio_ticks(1.2, 1.8);
    EXPECT_EQ(ticks.values, (std::vector<double>{1, 2}));
    EXPECT_EQ(tick_label(0.5), "0.5");
    EXPECT_EQ(tick_label(12), "12");
}

TEST(ReportDrawing, NumberFormats) {
    EXPECT_EQ(format_p_value(0.0004), "p < 0.001");
    EXPECT_EQ(format_p_value(0.043), "p = 0.043");
    EXPECT_EQ(format_p_value(0.2149), "p = 0.21");
    EXPECT_EQ(format_p_value(0.999), "p > 0.99");
    EXPECT_EQ(format_p_value(NAN), "p = NA");
    EXPECT_EQ(format_fixed(-0.001, 2), "0.00");
    EXPECT_EQ(format_fixed(-1.5, 1), "−1.5");
}

TEST(ReportKmPlot, RejectsInconsistentCurves) {
    KmPlotInput input = small_plot();
    input.curves[0].surv.pop_back();
    EXPECT_THROW(km_plot(input), UsageError);
    input = small_plot();
    std::swap(input.curves[1].time[0], input.curves[1].time[1]);
    try {
        km_plot(input);
        FAIL() << "unsorted times accepted";
    } catch (const UsageError& error) {
        EXPECT_NE(std::string(error.what()).find("Group B"), std::string::npos) << error.what();
    }
}

TEST(ReportKmPlot, EmptyAndSingleCurveStillDraw) {
    KmPlotInput input;
    EXPECT_GT(render_svg(km_plot(input)).size(), 100u);
    KmPlotInput single = small_plot();
    single.curves.resize(1);
    single.curves[0].label.clear();
    single.risk_table = false;
    EXPECT_GT(render_png(km_plot(single)).size(), 1000u);
}

TEST(ReportForestPlot, ValidatesAndDraws) {
    ForestPlotInput input;
    input.rows = {{"Age", 0, true},
                  {"< 65", 1, false, 0.9, 0.6, 1.4, 0.6, "70/180"},
                  {"≥ 65", 1, false, 1.2, 0.6, 2.2, 0.5, "20/48"},
                  {"Brain metastasis", 0, false, NAN, NAN, NAN, NAN, "0/6", "no events"}};
    Figure figure = forest_plot(input);
    EXPECT_GT(figure.height_pt, 4 * input.row_height_pt);
    EXPECT_EQ(render_pdf(figure).rfind("%PDF-", 0), 0u);
    input.rows[1].upper = 0.8;  // CI not containing the estimate
    EXPECT_THROW(forest_plot(input), UsageError);
    input.rows[1] = {"bad", 0, false, -1, -2, 1};
    EXPECT_THROW(forest_plot(input), UsageError);
}

TEST(ReportForestPlot, LongLabelsWidenTheFigureInsteadOfSqueezingThePlot) {
    ForestPlotInput input;
    input.rows = {{"Relapsed disease with prior exposure to anti-HER2 therapy in the adjuvant or neoadjuvant setting",
                   0, false, 1.62, 1.01, 2.60, 0.043}};
    Figure figure = forest_plot(input);
    EXPECT_GT(figure.width_pt, input.width_pt);
    input.rows[0].label = "Short";
    EXPECT_EQ(forest_plot(input).width_pt, input.width_pt);
}

TEST(ReportKmPlot, RiskTableCountsCanBeSuppressed) {
    // The risk table is drawn as glyphs, so compare drawings: a threshold ≤ 1 is off, and
    // with 5 the counts 1…4 at the ticks (group A: 4, 3, 2, 1) change.
    KmPlotInput input = small_plot();
    const std::string plain = render_svg(km_plot(input));
    input.risk_table_threshold = 1;
    EXPECT_TRUE(render_svg(km_plot(input)) == plain);
    input.risk_table_threshold = 5;
    EXPECT_FALSE(render_svg(km_plot(input)) == plain);
    input.risk_table = false;  // without a risk table the threshold changes nothing
    const std::string without = render_svg(km_plot(input));
    input.risk_table_threshold = 0;
    EXPECT_TRUE(render_svg(km_plot(input)) == without);
}

TEST(ReportBarChart, ValidatesAndDraws) {
    BarChartInput input;
    input.categories = {"Long-term responders", "Others"};
    input.series = {{"CR", {43.8, 16.3}}, {"PR", {56.2, 71.2}}, {"SD", {0, 10.9}}, {"PD", {0, 1.6}}};
    EXPECT_GT(render_png(bar_chart(input)).size(), 1000u);
    input.stacked = false;
    EXPECT_GT(render_svg(bar_chart(input)).size(), 1000u);
    input.series[0].values.pop_back();
    EXPECT_THROW(bar_chart(input), UsageError);
}

TEST(ReportAttrition, CountsMustAddUp) {
    AttritionInput input;
    input.steps = {{"Registry", 260, {{"Not first line", 18}, {"HER2 not confirmed", 14}}},
                   {"Eligible", 228, {}}};
    input.final_groups = {{"De novo", 120}, {"Relapsed", 108}};
    Figure figure = attrition_diagram(input);
    EXPECT_GT(figure.height_pt, 100);
    EXPECT_GT(render_svg(figure).size(), 1000u);
    input.steps[1].n = 229;
    EXPECT_THROW(attrition_diagram(input), UsageError);
    input.steps[1].n = 228;
    input.final_groups[1].n = 100;
    EXPECT_THROW(attrition_diagram(input), UsageError);
}

TEST(ReportDrawing, WrapTextKeepsWordsAndWidth) {
    const Font font{9};
    auto lines = wrap_text(font, "Patients with HER2-positive metastatic breast cancer in the registry", 120);
    ASSERT_GT(lines.size(), 1u);
    std::string joined;
    for (const std::string& line : lines) {
        EXPECT_LE(text_width(font, line), 120) << line;
        joined += (joined.empty() ? "" : " ") + line;
    }
    EXPECT_EQ(joined, "Patients with HER2-positive metastatic breast cancer in the registry");
    EXPECT_EQ(wrap_text(font, "a\nb", 500), (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace rwe::report
