// Figure options (docs/protocols.md "figure", docs/report.md "Figure options"): for each
// option, the drawing changes as asked — read from the SVG (colours, marks, bands) and
// from the text the figure draws (TextRecorder: the SVG holds text as glyph outlines);
// censoring marks thinned on a 10,000-patient curve; bar-chart labels that never overlap,
// measured; and `rwe km --plot` end to end.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "rwe/common/error.hpp"
#include "rwe/report/bar_chart.hpp"
#include "rwe/report/drawing.hpp"
#include "rwe/report/figure.hpp"
#include "rwe/report/figure_options.hpp"
#include "rwe/report/forest_plot.hpp"
#include "rwe/report/km_plot.hpp"

namespace rwe::report {
namespace {

// Two groups of six, as tests/report_figure_test.cpp (worked by hand there); group A has
// a CI band so that one curve alone draws one.
KmPlotInput two_groups() {
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
    input.width_pt = 360;
    input.panel_height_pt = 180;
    return input;
}

struct Drawn {
    std::string svg;
    std::vector<DrawnText> texts;
    bool has(const std::string& text) const {
        return std::any_of(texts.begin(), texts.end(), [&](const DrawnText& t) { return t.text == text; });
    }
    const DrawnText* find(const std::string& text) const {
        for (const DrawnText& t : texts)
            if (t.text == text) return &t;
        return nullptr;
    }
};

Drawn draw(const Figure& figure) {
    TextRecorder recorder;
    Drawn drawn;
    drawn.svg = render_svg(figure);
    drawn.texts = recorder.texts;
    return drawn;
}

Drawn draw_km(const KmPlotInput& input, const FigureOptions& options = {}) {
    KmPlotInput copy = input;
    apply_figure_options(options, copy);
    return draw(km_plot(copy));
}

// The time-axis tick labels: the texts on the line of the first "0" (the tick at time 0;
// y ticks read "0.0"), left to right.
std::vector<std::string> time_ticks_drawn(const Drawn& drawn) {
    const DrawnText* zero = drawn.find("0");
    std::vector<std::string> out;
    if (zero == nullptr) return out;
    for (const DrawnText& t : drawn.texts)
        if (std::fabs(t.box.y - zero->box.y) < 1e-9 && t.angle == 0) out.push_back(t.text);
    return out;
}

// Number of `needle` in `haystack`.
size_t occurrences(const std::string& haystack, const std::string& needle) {
    size_t count = 0;
    for (size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++count;
    return count;
}

// Subpaths ("M" commands) of the censoring marks: the paths stroked 0.9 pt wide.
size_t censor_mark_moves(const std::string& svg) {
    size_t moves = 0;
    const std::string style = "stroke-width:0.9;";
    for (size_t at = svg.find(style); at != std::string::npos; at = svg.find(style, at + 1)) {
        const size_t d = svg.find(" d=\"", at);
        const size_t end = svg.find('"', d + 4);
        moves += occurrences(svg.substr(d + 4, end - d - 4), "M ");
    }
    return moves;
}

TEST(FigureOptions, TimeMaxAndStepSetTheBreaks) {
    // Default for times up to 18: a step of 2 (at most 10 intervals) to 18.
    EXPECT_EQ(time_ticks_drawn(draw_km(two_groups())),
              (std::vector<std::string>{"0", "2", "4", "6", "8", "10", "12", "14", "16", "18"}));
    FigureOptions options;
    options.time_max = 12;
    options.time_step = 3;
    EXPECT_EQ(time_ticks_drawn(draw_km(two_groups(), options)), (std::vector<std::string>{"0", "3", "6", "9", "12"}));
    options.time_max.reset();
    options.time_step = 5;  // to the last time: 18 lies more than a quarter step past 15, so the axis runs to 20
    EXPECT_EQ(time_ticks_drawn(draw_km(two_groups(), options)), (std::vector<std::string>{"0", "5", "10", "15", "20"}));
}

TEST(FigureOptions, TooManyBreaksAreRefused) {
    FigureOptions options;
    options.time_step = 0.1;  // 180 breaks to 18
    EXPECT_THROW(draw_km(two_groups(), options), UsageError);
    EXPECT_THROW(figure_options_from_json({{"time_max", 100}, {"time_step", 0.5}}), UsageError);
    EXPECT_THROW(figure_options_from_json({{"time_step", 0}}), UsageError);
}

TEST(FigureOptions, AxisLabels) {
    const Drawn plain = draw_km(two_groups());
    EXPECT_TRUE(plain.has("Time (months)"));
    EXPECT_TRUE(plain.has("Survival probability"));
    FigureOptions options;
    options.x_label = "Months since first-line start";
    options.y_label = "Proportion alive";
    const Drawn drawn = draw_km(two_groups(), options);
    EXPECT_TRUE(drawn.has("Months since first-line start"));
    EXPECT_TRUE(drawn.has("Proportion alive"));
    EXPECT_FALSE(drawn.has("Survival probability"));
    EXPECT_NE(drawn.find("Proportion alive")->angle, 0);  // the y label stands upright
}

TEST(FigureOptions, YLabelByEndpoint) {
    EXPECT_EQ(survival_axis_label("Overall survival"), "Overall survival probability");
    EXPECT_EQ(survival_axis_label("Progression-free survival"), "Progression-free survival probability");
    EXPECT_EQ(survival_axis_label("Overall survival from surgery"), "Overall survival probability");
    EXPECT_EQ(survival_axis_label("Real-world progression-free survival"), "Real-world progression-free survival probability");
    EXPECT_EQ(survival_axis_label("Duration of response"), "Probability of continued response");
    EXPECT_EQ(survival_axis_label("Time to next treatment"), "Probability of no next treatment");
    EXPECT_EQ(survival_axis_label("Event-free interval"), "Event-free interval probability");
    EXPECT_EQ(survival_axis_label(""), "Survival probability");
}

TEST(FigureOptions, LegendTitleAndLabels) {
    const Drawn plain = draw_km(two_groups());
    EXPECT_TRUE(plain.has("Group A"));
    FigureOptions options;
    options.legend_title = "Docetaxel cycles";
    options.legend_labels = {"< 6 cycles", "6 cycles or more"};
    const Drawn drawn = draw_km(two_groups(), options);
    EXPECT_TRUE(drawn.has("Docetaxel cycles"));
    // In the legend and in the risk table.
    EXPECT_EQ(std::count_if(drawn.texts.begin(), drawn.texts.end(), [](const DrawnText& t) { return t.text == "< 6 cycles"; }), 2);
    EXPECT_TRUE(drawn.has("6 cycles or more"));
    EXPECT_FALSE(drawn.has("Group A"));
    // The title sits above the first label.
    EXPECT_LT(drawn.find("Docetaxel cycles")->box.y, drawn.find("< 6 cycles")->box.y);
    options.legend_labels = {"only one"};
    try {
        draw_km(two_groups(), options);
        FAIL() << "expected an error";
    } catch (const UsageError& error) {
        EXPECT_NE(std::string(error.what()).find("figure.legend_labels: 1 labels for 2 curves"), std::string::npos) << error.what();
    }
}

TEST(FigureOptions, Colours) {
    const std::string red = "stroke:rgb(100%,0%,0%)", green = "stroke:rgb(0%,100%,0%)";
    const Drawn plain = draw_km(two_groups());
    EXPECT_EQ(occurrences(plain.svg, red), 0u);
    FigureOptions options = figure_options_from_json({{"colours", {"#ff0000", "#0F0"}}});
    const Drawn drawn = draw_km(two_groups(), options);
    // Each curve: its line, its censoring marks and its two risk-table and legend samples.
    EXPECT_EQ(occurrences(drawn.svg, red), 4u);
    EXPECT_EQ(occurrences(drawn.svg, green), 4u);
    EXPECT_EQ(occurrences(drawn.svg, "stroke:rgb(0%,44.705882%,69.803922%)"), 0u);  // the default blue is gone
    EXPECT_EQ(parse_colour("vermillion")->r, okabe_ito::vermillion.r);
    EXPECT_FALSE(parse_colour("#12345"));
    EXPECT_FALSE(parse_colour("#gg0000"));
    EXPECT_FALSE(parse_colour("red"));
    EXPECT_THROW(figure_options_from_json({{"colours", {"#ff0000", "nope"}}}), UsageError);
}

TEST(FigureOptions, CensorMarksOff) {
    const Drawn plain = draw_km(two_groups());
    // Group A censored at 3 and 8, B at 6, 12 and 18: a plus (two strokes) and a cross (two) each.
    EXPECT_EQ(censor_mark_moves(plain.svg), 2u * 2 + 3u * 2);
    FigureOptions options;
    options.censor_marks = false;
    EXPECT_EQ(censor_mark_moves(draw_km(two_groups(), options).svg), 0u);
}

TEST(FigureOptions, ConfidenceBandOnAndOff) {
    const std::string band = "fill-opacity:0.16;";
    KmPlotInput one = two_groups();
    one.curves.resize(1);
    EXPECT_EQ(occurrences(draw_km(one).svg, band), 1u);
    FigureOptions off;
    off.confidence_band = false;
    EXPECT_EQ(occurrences(draw_km(one, off).svg, band), 0u);
    KmPlotInput two = two_groups();
    two.confidence_bands = false;  // as the report draws several curves
    EXPECT_EQ(occurrences(draw_km(two).svg, band), 0u);
    FigureOptions on;
    on.confidence_band = true;
    EXPECT_EQ(occurrences(draw_km(two, on).svg, band), 1u);  // group B has no limits
}

TEST(FigureOptions, RiskTableAndItsRows) {
    const Drawn plain = draw_km(two_groups());
    EXPECT_TRUE(plain.has("Number at risk"));
    EXPECT_FALSE(plain.has("Number censored"));
    EXPECT_FALSE(plain.has("Number of events"));
    FigureOptions rows = figure_options_from_json({{"risk_table_rows", {"at_risk", "censored", "events"}}});
    const Drawn all = draw_km(two_groups(), rows);
    EXPECT_TRUE(all.has("Number at risk"));
    EXPECT_TRUE(all.has("Number censored"));
    EXPECT_TRUE(all.has("Number of events"));
    // Blocks in order, each under the one before.
    EXPECT_LT(all.find("Number at risk")->box.y, all.find("Number censored")->box.y);
    EXPECT_LT(all.find("Number censored")->box.y, all.find("Number of events")->box.y);
    // Group B by 18: 3 censored (6, 12, 18), 3 events (4, 9, 15); by time 0 none.
    EXPECT_EQ(n_censored_by(two_groups().curves[1], 18), 3);
    EXPECT_EQ(n_events_by(two_groups().curves[1], 18), 3);
    EXPECT_EQ(n_events_by(two_groups().curves[1], 0), 0);
    EXPECT_EQ(n_events_by(two_groups().curves[0], 7), 3);
    const Drawn events_only = draw_km(two_groups(), figure_options_from_json({{"risk_table_rows", {"events"}}}));
    EXPECT_FALSE(events_only.has("Number at risk"));
    EXPECT_TRUE(events_only.has("Number of events"));
    FigureOptions off;
    off.risk_table = false;
    const Drawn none = draw_km(two_groups(), off);
    EXPECT_FALSE(none.has("Number at risk"));
    EXPECT_LT(km_plot([&] { KmPlotInput k = two_groups(); apply_figure_options(off, k); return k; }()).height_pt,
              km_plot(two_groups()).height_pt);
    EXPECT_THROW(figure_options_from_json({{"risk_table_rows", {"at_risk", "at_risk"}}}), UsageError);
    EXPECT_THROW(figure_options_from_json({{"risk_table_rows", {"deaths"}}}), UsageError);
}

TEST(FigureOptions, JsonReadsEveryKey) {
    const FigureOptions options = figure_options_from_json(
        {{"time_max", 24}, {"time_step", 6}, {"x_label", "x"}, {"y_label", "y"}, {"legend_title", "t"}, {"legend_labels", {"a", "b"}},
         {"colours", {"blue"}}, {"censor_marks", false}, {"confidence_band", true}, {"risk_table", false},
         {"risk_table_rows", {"censored"}}, {"p_value", false}, {"hazard_ratio", true}});
    EXPECT_EQ(*options.time_max, 24);
    EXPECT_EQ(*options.time_step, 6);
    EXPECT_EQ(*options.x_label, "x");
    EXPECT_EQ(*options.y_label, "y");
    EXPECT_EQ(*options.legend_title, "t");
    EXPECT_EQ(options.legend_labels.size(), 2u);
    EXPECT_EQ(options.colours.size(), 1u);
    EXPECT_FALSE(*options.censor_marks);
    EXPECT_TRUE(*options.confidence_band);
    EXPECT_FALSE(*options.risk_table);
    EXPECT_TRUE(options.risk_table_rows->censored && !options.risk_table_rows->at_risk);
    EXPECT_FALSE(*options.p_value);
    EXPECT_TRUE(*options.hazard_ratio);
    EXPECT_THROW(figure_options_from_json({{"legend", true}}), UsageError);
    EXPECT_THROW(figure_options_from_json({{"censor_marks", "no"}}), UsageError);
    EXPECT_THROW(figure_options_from_json({{"x_label", ""}}), UsageError);
}

TEST(FigureOptions, ForestPlotAxisLabelColourAndPColumn) {
    ForestPlotInput input;
    input.rows = {{"Age (per year)", 0, false, 1.02, 0.99, 1.05, 0.21, "", ""},
                  {"Visceral disease", 0, false, 1.8, 1.1, 2.9, 0.013, "", ""}};
    const Drawn plain = draw(forest_plot(input));
    EXPECT_TRUE(plain.has("p"));
    EXPECT_TRUE(plain.has("Hazard ratio (log scale)"));
    input.p_column = false;
    input.x_label = "HR for overall survival";
    input.colour = *parse_colour("#ff0000");
    const Drawn drawn = draw(forest_plot(input));
    EXPECT_FALSE(drawn.has("p"));
    EXPECT_FALSE(drawn.has("0.21"));
    EXPECT_TRUE(drawn.has("HR for overall survival"));
    EXPECT_NE(drawn.svg.find("rgb(100%,0%,0%)"), std::string::npos);
    EXPECT_EQ(plain.svg.find("rgb(100%,0%,0%)"), std::string::npos);
}

TEST(FigureOptions, BarChartYLabelAndColours) {
    BarChartInput input;
    input.categories = {"All", "Visceral"};
    input.series = {{"Response", {60, 50}}, {"No response", {40, 50}}};
    const Drawn plain = draw(bar_chart(input));
    EXPECT_TRUE(plain.has("Patients (%)"));
    input.y_label = "Best response (%)";
    input.colours = {*parse_colour("#ff0000"), *parse_colour("#00ff00")};
    const Drawn drawn = draw(bar_chart(input));
    EXPECT_TRUE(drawn.has("Best response (%)"));
    EXPECT_NE(drawn.svg.find("fill:rgb(100%,0%,0%)"), std::string::npos);
    EXPECT_NE(drawn.svg.find("fill:rgb(0%,100%,0%)"), std::string::npos);
    EXPECT_EQ(plain.svg.find("fill:rgb(100%,0%,0%)"), std::string::npos);
}

// A curve of `patients` with exponential event and censoring times (about half censored),
// tabulated as a Kaplan–Meier table; the product-limit estimate is not needed for the
// marks, only a decreasing step.
KmCurveInput large_curve(size_t patients, unsigned seed) {
    std::mt19937_64 random(seed);
    std::exponential_distribution<double> event(1.0 / 24), censor(1.0 / 30);
    std::vector<std::pair<double, bool>> rows;
    for (size_t k = 0; k < patients; ++k) {
        const double e = std::round(event(random) * 100) / 100, c = std::round(censor(random) * 100) / 100;
        rows.push_back({std::min(e, c), e <= c});
    }
    std::sort(rows.begin(), rows.end());
    KmCurveInput curve;
    curve.label = "Large";
    double at_risk = static_cast<double>(patients), surv = 1;
    for (size_t k = 0; k < rows.size();) {
        size_t end = k;
        double events = 0, censored = 0;
        while (end < rows.size() && rows[end].first == rows[k].first) (rows[end++].second ? events : censored) += 1;
        surv *= 1 - events / at_risk;
        curve.time.push_back(rows[k].first);
        curve.n_risk.push_back(at_risk);
        curve.n_event.push_back(events);
        curve.n_censor.push_back(censored);
        curve.surv.push_back(surv);
        at_risk -= events + censored;
        k = end;
    }
    return curve;
}

TEST(FigureOptions, CensorMarksThinnedOnTenThousandPatients) {
    KmPlotInput input;
    input.curves = {large_curve(5000, 1), large_curve(5000, 2)};
    input.curves[1].label = "Other";
    size_t censoring_times = 0;
    for (const KmCurveInput& curve : input.curves)
        censoring_times += static_cast<size_t>(std::count_if(curve.n_censor.begin(), curve.n_censor.end(), [](double n) { return n > 0; }));
    ASSERT_GT(censoring_times, 3000u);  // thousands of distinct censoring times
    size_t marks = 0;
    for (size_t c = 0; c < input.curves.size(); ++c) {
        const std::vector<Point> positions = censor_mark_positions(input, c);
        // At most one per 2 pt column of the panel (468 pt wide): ≤ 234 per curve, and no
        // two in one column.
        EXPECT_LE(positions.size(), static_cast<size_t>(input.width_pt / censor_mark_column) + 1);
        EXPECT_GT(positions.size(), 50u);  // thinned, not dropped
        // One per column at most: no more marks than columns spanned.
        EXPECT_LE(static_cast<double>(positions.size()), (positions.back().x - positions.front().x) / censor_mark_column + 2);
        for (size_t k = 1; k < positions.size(); ++k) EXPECT_GT(positions[k].x, positions[k - 1].x);
        marks += positions.size();
    }
    // The SVG holds exactly those marks (a plus and a cross: two strokes each).
    const std::string svg = render_svg(km_plot(input));
    EXPECT_EQ(censor_mark_moves(svg), 2 * marks);
    EXPECT_LT(marks, censoring_times / 5);
}

TEST(BarChartLabels, NeverOverlap) {
    // Long group labels, one a single word wider than its slot, and notes, on a chart of
    // five groups: every text box drawn is apart from every other, and labels stay within
    // their slots.
    BarChartInput input;
    input.categories = {"All", "Docetaxel cycles: fewer than six", "Docetaxel cycles: six or more",
                        "Hormone-receptor-positive-and-visceral", "Pertuzumab maintenance beyond progression"};
    input.category_notes = {"n = 228", "n = 120", "n = 108", "n = 1000", "n = 12"};
    input.series = {{"Complete response", {10, 11, 12, 13, 14}}, {"Partial response", {50, 51, 52, 53, 54}},
                    {"Stable disease", {30, 30, 30, 30, 30}}, {"Progressive disease", {10, 8, 6, 4, 2}}};
    for (double width : {340.0, 468.0}) {
        input.width_pt = width;
        const Drawn drawn = draw(bar_chart(input));
        ASSERT_GT(drawn.texts.size(), 20u);
        for (size_t i = 0; i < drawn.texts.size(); ++i)
            for (size_t j = i + 1; j < drawn.texts.size(); ++j)
                EXPECT_FALSE(drawn.texts[i].box.overlaps(drawn.texts[j].box))
                    << "'" << drawn.texts[i].text << "' overlaps '" << drawn.texts[j].text << "' at width " << width;
        // Every character of every label is drawn.
        std::string all;
        for (const DrawnText& t : drawn.texts) all += t.text;
        EXPECT_NE(all.find("Hormone-receptor-"), std::string::npos);
    }
}

// ---- rwe km --plot ----

std::string read_all(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

struct CommandRun {
    int status;
    std::string err;
};

CommandRun rwe(const std::string& arguments, const std::filesystem::path& dir) {
    const std::string command = std::string(RWE_BINARY) + " " + arguments + " > " + (dir / "out.txt").string() + " 2> " + (dir / "err.txt").string();
    const int status = std::system(command.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_all(dir / "err.txt")};
}

class KmPlotCommand : public ::testing::Test {
protected:
    void SetUp() override {
        dir = std::filesystem::temp_directory_path() / ("rwe_km_plot_" + std::to_string(::getpid()));
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
        std::ofstream csv(dir / "km.csv");
        csv << "time,status,arm\n";
        std::mt19937_64 random(7);
        std::exponential_distribution<double> time(1.0 / 20);
        for (int k = 0; k < 120; ++k) csv << std::round(time(random) * 10) / 10 << "," << (k % 3 != 0) << "," << (k % 2 ? "B" : "A") << "\n";
    }
    void TearDown() override { std::filesystem::remove_all(dir); }
    std::string base() const { return "km " + (dir / "km.csv").string() + " --time time --event status"; }
    std::filesystem::path dir;
};

TEST_F(KmPlotCommand, WritesEachFormat) {
    for (const char* name : {"curve.svg", "curve.pdf", "curve.png"}) {
        const CommandRun run = rwe(base() + " --group arm --plot " + (dir / name).string(), dir);
        ASSERT_EQ(run.status, 0) << run.err;
        const std::string bytes = read_all(dir / name);
        ASSERT_FALSE(bytes.empty()) << name;
        if (std::string(name).ends_with(".svg")) EXPECT_NE(bytes.find("<svg"), std::string::npos);
        if (std::string(name).ends_with(".pdf")) EXPECT_EQ(bytes.rfind("%PDF-", 0), 0u);
        if (std::string(name).ends_with(".png")) EXPECT_EQ(bytes.substr(1, 3), "PNG");
    }
    // The printed results are those without --plot.
    rwe(base() + " --group arm", dir);
    const std::string without = read_all(dir / "out.txt");
    rwe(base() + " --group arm --plot " + (dir / "again.svg").string(), dir);
    EXPECT_EQ(read_all(dir / "out.txt"), without);
}

TEST_F(KmPlotCommand, EveryFlagChangesTheFigure) {
    const std::string plot = base() + " --group arm --plot " + (dir / "f.svg").string();
    ASSERT_EQ(rwe(plot, dir).status, 0);
    const std::string plain = read_all(dir / "f.svg");
    for (const std::string flags : {"--time-max 30", "--time-step 5", "--x-label Months", "--y-label 'Proportion alive'",
                                    "--legend-title Arm", "--legend-labels 'Arm A,Arm B'", "--colours '#ff0000,#00ff00'",
                                    "--no-censor-marks", "--confidence-band", "--no-risk-table", "--risk-table-rows at_risk,events",
                                    "--no-p-value", "--hazard-ratio"}) {
        const CommandRun run = rwe(plot + " " + flags, dir);
        ASSERT_EQ(run.status, 0) << flags << ": " << run.err;
        EXPECT_NE(read_all(dir / "f.svg"), plain) << flags << " left the figure as it was";
    }
    rwe(plot + " --colours '#ff0000,#00ff00'", dir);
    EXPECT_NE(read_all(dir / "f.svg").find("rgb(100%,0%,0%)"), std::string::npos);
    rwe(plot + " --no-censor-marks", dir);
    EXPECT_EQ(censor_mark_moves(read_all(dir / "f.svg")), 0u);
    EXPECT_GT(censor_mark_moves(plain), 0u);
}

TEST_F(KmPlotCommand, BadOptionsFailWithoutWritingAFile) {
    const std::filesystem::path out = dir / "bad.svg";
    struct Case {
        std::string flags, message;
    };
    for (const Case& c : std::vector<Case>{
             {"--plot " + out.string() + " --colours '#zz0000'", "--colours: not a colour"},
             {"--plot " + out.string() + " --time-max 0", "--time-max: must be > 0 (0)"},
             {"--plot " + out.string() + " --time-max 100 --time-step 0.5", "--time-step: more than 100 breaks"},
             {"--plot " + out.string() + " --risk-table-rows at_risk,deaths", "--risk-table-rows: unknown or repeated row"},
             {"--plot " + out.string() + " --group arm --legend-labels 'only one'", "--legend-labels: 1 labels for 2 curves"},
             {"--plot " + out.string() + " --hazard-ratio", "--hazard-ratio: needs --group"},
             {"--plot " + (dir / "bad.jpg").string(), "--plot: the file name must end in .svg, .pdf or .png"},
             {"--legend-title Arm", "--legend-title: a figure option needs --plot FILE"},
         }) {
        const CommandRun run = rwe(base() + " " + c.flags, dir);
        EXPECT_NE(run.status, 0) << c.flags;
        EXPECT_NE(run.err.find(c.message), std::string::npos) << c.flags << ": " << run.err;
        EXPECT_FALSE(std::filesystem::exists(out)) << c.flags;
        EXPECT_FALSE(std::filesystem::exists(dir / "bad.jpg")) << c.flags;
    }
}

}  // namespace
}  // namespace rwe::report
