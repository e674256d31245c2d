#include "rwe/report/figure_options.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include "rwe/common/error.hpp"

namespace rwe::report {

const std::vector<std::string>& figure_keys(const std::string& kind) {
    static const std::vector<std::string> km{"time_max",        "time_step",    "x_label",        "y_label",   "legend_title",
                                             "legend_labels",   "colours",      "censor_marks",   "confidence_band",
                                             "risk_table",      "risk_table_rows", "p_value",     "hazard_ratio"};
    static const std::map<std::string, std::vector<std::string>> by_kind{
        {"km", km},
        {"cuminc", {"time_max", "time_step", "x_label", "y_label", "legend_title", "legend_labels", "colours", "censor_marks",
                    "confidence_band", "risk_table", "risk_table_rows", "p_value"}},
        {"cox", {"x_label", "colours", "p_value"}},
        {"response", {"y_label", "colours"}},
    };
    static const std::vector<std::string> none;
    const auto it = by_kind.find(kind);
    return it == by_kind.end() ? none : it->second;
}

std::optional<Rgb> parse_colour(std::string_view text) {
    static const std::map<std::string, Rgb, std::less<>> named{
        {"black", okabe_ito::black},   {"orange", okabe_ito::orange}, {"sky_blue", okabe_ito::sky_blue},
        {"bluish_green", okabe_ito::bluish_green}, {"yellow", okabe_ito::yellow}, {"blue", okabe_ito::blue},
        {"vermillion", okabe_ito::vermillion}, {"reddish_purple", okabe_ito::reddish_purple}};
    if (const auto it = named.find(text); it != named.end()) return it->second;
    if (text.empty() || text[0] != '#' || (text.size() != 7 && text.size() != 4)) return std::nullopt;
    auto digit = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    };
    int channel[3];
    for (int k = 0; k < 3; ++k) {
        const int high = digit(text.size() == 7 ? text[1 + 2 * k] : text[1 + k]);
        const int low = digit(text.size() == 7 ? text[2 + 2 * k] : text[1 + k]);
        if (high < 0 || low < 0) return std::nullopt;
        channel[k] = high * 16 + low;
    }
    return Rgb{channel[0] / 255.0, channel[1] / 255.0, channel[2] / 255.0};
}

std::optional<RiskTableRows> parse_risk_table_rows(const std::vector<std::string>& names, std::string* bad) {
    RiskTableRows rows{false, false, false};
    for (const std::string& name : names) {
        bool* flag = name == "at_risk" ? &rows.at_risk : name == "censored" ? &rows.censored : name == "events" ? &rows.events : nullptr;
        if (flag == nullptr || *flag) {
            if (bad != nullptr) *bad = name;
            return std::nullopt;
        }
        *flag = true;
    }
    if (names.empty()) {
        if (bad != nullptr) bad->clear();
        return std::nullopt;
    }
    return rows;
}

FigureOptions figure_options_from_json(const nlohmann::json& figure) {
    FigureOptions options;
    if (!figure.is_object()) return options;
    auto fail = [](const std::string& key, const std::string& problem, const std::string& value) {
        throw UsageError("figure." + key + ": " + problem + (value.empty() ? "" : " (" + value + ")"));
    };
    for (const auto& item : figure.items()) {
        // (named, not a structured binding: clang 14 cannot capture one in the lambdas below)
        const std::string& key = item.key();
        const nlohmann::json& value = item.value();
        auto text = [&]() {
            if (!value.is_string() || value.get<std::string>().empty()) fail(key, "expected a non-empty string", value.dump());
            return value.get<std::string>();
        };
        auto texts = [&]() {
            std::vector<std::string> out;
            if (!value.is_array() || value.empty()) fail(key, "expected a non-empty array of strings", value.dump());
            for (const auto& item : value) {
                if (!item.is_string()) fail(key, "expected a non-empty array of strings", value.dump());
                out.push_back(item.get<std::string>());
            }
            return out;
        };
        auto flag = [&]() {
            if (!value.is_boolean()) fail(key, "expected true or false", value.dump());
            return value.get<bool>();
        };
        auto positive = [&]() {
            if (!value.is_number() || !(value.get<double>() > 0)) fail(key, "must be > 0", value.dump());
            return value.get<double>();
        };
        if (key == "time_max") options.time_max = positive();
        else if (key == "time_step") options.time_step = positive();
        else if (key == "x_label") options.x_label = text();
        else if (key == "y_label") options.y_label = text();
        else if (key == "legend_title") options.legend_title = text();
        else if (key == "legend_labels") options.legend_labels = texts();
        else if (key == "colours") {
            for (const std::string& name : texts()) {
                const auto colour = parse_colour(name);
                if (!colour) fail(key, std::string("not a colour (") + colour_rule + ")", name);
                options.colours.push_back(*colour);
            }
        } else if (key == "censor_marks") options.censor_marks = flag();
        else if (key == "confidence_band") options.confidence_band = flag();
        else if (key == "risk_table") options.risk_table = flag();
        else if (key == "risk_table_rows") {
            std::string bad;
            options.risk_table_rows = parse_risk_table_rows(texts(), &bad);
            if (!options.risk_table_rows) fail(key, std::string("unknown or repeated row (rows: ") + risk_row_rule + ")", bad);
        } else if (key == "p_value") options.p_value = flag();
        else if (key == "hazard_ratio") options.hazard_ratio = flag();
        else fail(key, "unknown figure option", "");
    }
    if (options.time_max && options.time_step && *options.time_max / *options.time_step > max_time_breaks)
        fail("time_step", "more than 100 breaks up to time_max", nlohmann::json(*options.time_step).dump());
    return options;
}

void apply_figure_options(const FigureOptions& options, KmPlotInput& plot) {
    if (options.time_max) plot.max_time = *options.time_max;
    if (options.time_step) plot.time_step = *options.time_step;
    if (options.x_label) plot.x_label = *options.x_label;
    if (options.y_label) plot.y_label = *options.y_label;
    if (options.legend_title) plot.legend_title = *options.legend_title;
    if (!options.legend_labels.empty()) {
        if (options.legend_labels.size() != plot.curves.size())
            throw UsageError("figure.legend_labels: " + std::to_string(options.legend_labels.size()) + " labels for " +
                             std::to_string(plot.curves.size()) + " curves");
        for (size_t c = 0; c < plot.curves.size(); ++c) plot.curves[c].label = options.legend_labels[c];
    }
    if (!options.colours.empty()) plot.colours = options.colours;
    if (options.censor_marks) plot.censor_marks = *options.censor_marks;
    if (options.confidence_band) plot.confidence_bands = *options.confidence_band;
    if (options.risk_table) plot.risk_table = *options.risk_table;
    if (options.risk_table_rows) plot.risk_rows = *options.risk_table_rows;
}

}  // namespace rwe::report
