// The Love plot of `rwe propensity --plot` (report/love_plot.hpp): rows, legend and axis
// as drawn (TextRecorder), and each point where its value puts it on the axis (pixels of
// the figure drawn at 1 point = 1 pixel, the axis read from its own tick labels).
#include <gtest/gtest.h>

#include <cairo.h>

#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "rwe/common/error.hpp"
#include "rwe/report/drawing.hpp"
#include "rwe/report/love_plot.hpp"

using namespace rwe::report;

namespace {

struct Drawn {
    std::vector<DrawnText> texts;
    std::vector<unsigned char> pixels;  // ARGB32, premultiplied
    int stride = 0, width = 0, height = 0;
    const DrawnText* find(const std::string& text) const {
        for (const auto& t : texts)
            if (t.text == text) return &t;
        return nullptr;
    }
    // Red, green, blue (0-255) at point (x, y).
    std::array<int, 3> rgb(double x, double y) const {
        const int px = static_cast<int>(std::lround(x)), py = static_cast<int>(std::lround(y));
        const unsigned char* p = pixels.data() + py * stride + px * 4;
        return {p[2], p[1], p[0]};
    }
};

Drawn draw(const Figure& figure) {
    Drawn drawn;
    drawn.width = static_cast<int>(std::ceil(figure.width_pt));
    drawn.height = static_cast<int>(std::ceil(figure.height_pt));
    cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, drawn.width, drawn.height);
    cairo_t* cr = cairo_create(surface);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    {
        TextRecorder recorder;
        figure.draw(cr);
        drawn.texts = recorder.texts;
    }
    cairo_surface_flush(surface);
    drawn.stride = cairo_image_surface_get_stride(surface);
    const unsigned char* data = cairo_image_surface_get_data(surface);
    drawn.pixels.assign(data, data + drawn.stride * drawn.height);
    cairo_destroy(cr);
    cairo_surface_destroy(surface);
    return drawn;
}

double centre_x(const DrawnText& t) { return t.box.x + t.box.width / 2; }
double centre_y(const DrawnText& t) { return t.box.y + t.box.height / 2; }

}  // namespace

TEST(LovePlot, RowsLegendAndAxisAsDrawn) {
    LovePlotInput input;
    input.after_label = "Matched";
    input.rows = {{"age", 0.31, -0.12}, {"race_black", 1.76, 0.01}, {"re74", -0.72, 0.004}};
    const Drawn drawn = draw(love_plot(input));
    // Rows top to bottom in the given order; the legend names both series.
    const DrawnText* age = drawn.find("age");
    const DrawnText* race = drawn.find("race_black");
    const DrawnText* re74 = drawn.find("re74");
    ASSERT_TRUE(age && race && re74);
    EXPECT_LT(centre_y(*age), centre_y(*race));
    EXPECT_LT(centre_y(*race), centre_y(*re74));
    EXPECT_NE(drawn.find("Unadjusted"), nullptr);
    EXPECT_NE(drawn.find("Matched"), nullptr);
    EXPECT_NE(drawn.find("Absolute standardized mean difference"), nullptr);
    // The largest |SMD| is 1.76: ticks 0 to 2 by 0.5.
    for (const char* tick : {"0", "0.5", "1", "1.5", "2"}) EXPECT_NE(drawn.find(tick), nullptr) << tick;
    EXPECT_EQ(drawn.find("2.5"), nullptr);

    // Each point at its |value|: filled blue after, an open vermillion ring before (white
    // at its centre, the ring 3 points to the side).
    const double x0 = centre_x(*drawn.find("0")), x2 = centre_x(*drawn.find("2"));
    auto x_of = [&](double v) { return x0 + std::fabs(v) / 2 * (x2 - x0); };
    const auto blue = std::array<int, 3>{0x00, 0x72, 0xB2};
    const auto vermillion = std::array<int, 3>{0xD5, 0x5E, 0x00};
    auto near = [](std::array<int, 3> a, std::array<int, 3> b) {
        return std::abs(a[0] - b[0]) + std::abs(a[1] - b[1]) + std::abs(a[2] - b[2]) < 40;
    };
    for (const auto& row : input.rows) {
        const double y = centre_y(*drawn.find(row.label));
        EXPECT_TRUE(near(drawn.rgb(x_of(row.after), y), blue)) << row.label;
        EXPECT_FALSE(near(drawn.rgb(x_of(row.before), y), vermillion)) << row.label << ": an open ring";
        // (the ring is anti-aliased: some pixel across it is clearly vermillion's hue)
        bool ring = false;
        for (double dx : {-3.5, -3.0, -2.5, 2.5, 3.0, 3.5}) {
            const auto c = drawn.rgb(x_of(row.before) + dx, y);
            ring = ring || (c[0] - c[2] > 80 && c[0] > c[1]);
        }
        EXPECT_TRUE(ring) << row.label;
    }
    // The threshold line (0.1) is dashed grey between the rows, left of every unadjusted point.
    EXPECT_LT(x_of(0.1), x_of(0.31));
}

TEST(LovePlot, SmallDifferencesGetAFineAxisAndBadValuesAreRefused) {
    LovePlotInput input;
    input.rows = {{"x", 0.12, 0.02}};
    const Drawn drawn = draw(love_plot(input));
    for (const char* tick : {"0", "0.05", "0.1", "0.15"}) EXPECT_NE(drawn.find(tick), nullptr) << tick;
    input.rows = {{"x", std::nan(""), 0.02}};
    EXPECT_THROW(love_plot(input), rwe::UsageError);
    input.rows.clear();
    EXPECT_THROW(love_plot(input), rwe::UsageError);
}
