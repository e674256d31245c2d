#include "rwe/study/published_comparison.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <string>

#include "rwe/common/error.hpp"
#include "rwe/common/text.hpp"
#include "rwe/stats/binomial_ci.hpp"
#include "rwe/study/analysis_options.hpp"

namespace rwe::study {

namespace {

using nlohmann::json;

json row(const std::string& quantity, const json& published, const json& ours, const json& lower, const json& upper) {
    json out{{"quantity", quantity}, {"published", published}, {"ours", ours}, {"ours_lower", lower}, {"ours_upper", upper}};
    if (published.is_number() && lower.is_number() && upper.is_number()) {
        const double p = published.get<double>();
        out["verdict"] = (p >= lower.get<double>() && p <= upper.get<double>()) ? "within our 95% CI" : "outside our 95% CI";
    } else if (published.is_number() && ours.is_number() && (lower.is_null() || upper.is_null()) &&
               (lower.is_number() || upper.is_number())) {
        // An open interval (a limit not reached): compare with the limit that exists.
        const double p = published.get<double>();
        const bool inside = (lower.is_null() || p >= lower.get<double>()) && (upper.is_null() || p <= upper.get<double>());
        out["verdict"] = inside ? "within our 95% CI" : "outside our 95% CI";
    } else {
        out["verdict"] = "for reference";
    }
    return out;
}

// A published count out of `of` against our count out of `our_of`: proportions, with our
// exact 95% CI.
json proportion_row(const std::string& quantity, double published_count, double published_of, double ours, double our_of) {
    if (!(our_of > 0) || !(published_of > 0)) return row(quantity, published_count, ours, nullptr, nullptr);
    const auto ci = stats::binomial_ci(ours, our_of);
    json out = row(quantity + " (%)", 100 * published_count / published_of, 100 * ours / our_of, 100 * ci.lower, 100 * ci.upper);
    out["published_n"] = published_count;
    out["published_of"] = published_of;
    out["ours_n"] = ours;
    out["ours_of"] = our_of;
    return out;
}

// "<0.001" or a number → the number or bound; conclusion at 5%.
json p_row(const std::string& quantity, const json& published, const json& ours) {
    json out{{"quantity", quantity}, {"published", published}, {"ours", ours}};
    double bound = NAN;
    if (published.is_number()) bound = published.get<double>();
    else if (published.is_string()) {
        std::string text = published.get<std::string>();
        if (!text.empty() && text[0] == '<') bound = std::stod(text.substr(1));
    }
    if (ours.is_number() && !std::isnan(bound)) {
        const bool same = (bound < 0.05) == (ours.get<double>() < 0.05);
        out["verdict"] = same ? "same conclusion at 5%" : "different conclusion at 5%";
    } else {
        out["verdict"] = "for reference";
    }
    return out;
}

// One analysis being compared: its published values, our result, the rows so far, and
// where a published name the results lack is reported.
struct Comparison {
    const Analysis& analysis;
    const json& published;
    const json& result;
    json& rows;
    const std::string& source;
    std::vector<std::string>& warnings;

    void warn(const std::string& name, const std::string& problem) const {
        warnings.push_back(analysis_warning(source, analysis, "published." + name, problem, ""));
    }
};

// Without `by`: the median with its limits. With `by`: the same per group, by name.
void compare_km(const Comparison& c) {
    const auto& published = c.published;
    const auto& result = c.result;
    auto& rows = c.rows;
    const bool grouped = result.contains("by");
    auto median_rows = [&](const std::string& prefix, const json& values, const json& primary) {
        const std::string method = primary["method"].get<std::string>();
        if (values.contains("median")) {
            rows.push_back(row(prefix + "median (" + method + " CI)", values["median"], primary["estimate"], primary["lower"], primary["upper"]));
        }
        for (const char* limit : {"lower", "upper"}) {
            if (values.contains(limit)) {
                rows.push_back(row(prefix + "median CI " + limit, values[limit], primary[limit], nullptr, nullptr));
            }
        }
    };
    if (!grouped) {
        if (!result["strata"].empty()) median_rows("", published, result["strata"][0]["median_primary"]);
        return;
    }
    std::string groups;
    for (const auto& stratum : result["strata"]) {
        const std::string name = stratum["name"].get<std::string>();
        groups += (groups.empty() ? "" : ", ") + name;
        if (published.contains(name)) median_rows(name + ": ", published[name], stratum["median_primary"]);
    }
    for (const auto& [name, values] : published.items()) {
        const std::string& wanted = name;  // (a structured binding is not captured by clang 14)
        const bool found = std::any_of(result["strata"].begin(), result["strata"].end(), [&](const json& s) { return s["name"] == wanted; });
        if (!found) c.warn(name, "no group of this name in the results (groups: " + groups + ")");
    }
}

// Numeric variables: the summary statistics; categorical ones: the share of each level.
// Rows in the order of the results (the parser requires every published variable among
// `variables`).
void compare_table1(const Comparison& c) {
    for (const auto& variable : c.result["rows"]) {
        const std::string name = variable["variable"].get<std::string>();
        if (!c.published.contains(name)) continue;
        const auto& pub = c.published[name];
        const auto& ours = variable["overall"];
        if (ours["type"] == "numeric") {
            static const std::vector<std::string> statistics{"n", "median", "min", "max", "mean", "sd", "q1", "q3"};
            for (const auto& key : statistics) {
                if (pub.contains(key)) c.rows.push_back(row(name + " " + key, pub[key], ours[key], nullptr, nullptr));
            }
            for (const auto& [key, value] : pub.items()) {
                if (std::find(statistics.begin(), statistics.end(), key) == statistics.end()) {
                    c.warn(name + "." + key, "the variable is numeric: give summary statistics (n, median, min, max, mean, sd, q1, q3), not level counts");
                }
            }
            continue;
        }
        // `n`, when given, is the published denominator (patients with a value); else ours.
        const double denominator = ours["denominator"].get<double>();
        const double published_denominator = pub.contains("n") ? pub["n"].get<double>() : denominator;
        if (pub.contains("n")) c.rows.push_back(row(name + " n", pub["n"], denominator, nullptr, nullptr));
        for (const auto& [level, count] : pub.items()) {
            if (level == "n") continue;
            const std::string& wanted = level;  // (a structured binding is not captured by clang 14)
            auto found = std::find_if(ours["levels"].begin(), ours["levels"].end(), [&](const json& l) { return l["level"] == wanted; });
            if (found == ours["levels"].end()) {
                c.warn(name + "." + level, "no level of this name in the results (counted as 0)");
            }
            const double our_count = found == ours["levels"].end() ? 0.0 : (*found)["n"].get<double>();
            c.rows.push_back(proportion_row(name + " = " + level, count.get<double>(), published_denominator, our_count, denominator));
        }
    }
}

void compare_response(const Comparison& c) {
    const auto& published = c.published;
    const auto& result = c.result;
    auto& rows = c.rows;
    const double our_n = result["measurable"].get<double>();
    const double pub_n = published.value("n", our_n);
    if (published.contains("n")) rows.push_back(row("patients with measurable disease", published["n"], our_n, nullptr, nullptr));
    for (const char* level : {"CR", "PR", "SD", "PD"}) {
        if (published.contains(level)) {
            rows.push_back(proportion_row(std::string("best response ") + level, published[level].get<double>(), pub_n,
                                          result["best_response"][level]["n"].get<double>(), our_n));
        }
    }
    if (published.contains("ORR")) {
        rows.push_back(proportion_row("objective response", published["ORR"].get<double>(), pub_n,
                                      result["orr"]["n"].get<double>(), our_n));
    }
}

void compare_logrank(const Comparison& c) {
    const auto& published = c.published;
    const auto& result = c.result;
    auto& rows = c.rows;
    for (const auto& test : result["tests"]) {
        const std::string by = test["by"].get<std::string>();
        if (published.contains(by) && published[by].contains("p")) {
            rows.push_back(p_row(test["endpoint"].get<std::string>() + " by " + by + ": log-rank p", published[by]["p"],
                                 test["p"]));
        }
    }
}

void compare_association(const Comparison& c) {
    const auto& published = c.published;
    const auto& result = c.result;
    auto& rows = c.rows;
    for (const auto& test : result["tests"]) {
        const std::string outcome = test["outcome"].get<std::string>();
        if (published.contains(outcome) && published[outcome].contains("p")) {
            rows.push_back(p_row(outcome + " by " + test["by"].get<std::string>() + ": p", published[outcome]["p"], test["p"]));
        }
    }
}

std::string lower(const std::string& text) { return ascii_lower(text); }

// Counts by worst-grade band, matched to our terms without case (registry terms are lower
// case); rows in the order of the results.
void compare_adverse_events(const Comparison& c) {
    static const std::map<std::string, std::string> band_keys{{"any", "any"},         {"1-2", "grade_1_2"}, {"3", "grade_3"},
                                                              {"4", "grade_4"},       {"3-4", "grade_3_4"}, {"5", "grade_5"},
                                                              {">=3", "grade_3_plus"}};
    const double n = c.result["n"].get<double>();
    std::map<std::string, std::string> published_names;  // lower case → as written
    for (const auto& [name, bands] : c.published.items()) published_names[lower(name)] = name;
    for (const auto& term : c.result["terms"]) {
        const auto name = published_names.find(term["term"].get<std::string>());
        if (name == published_names.end()) continue;
        for (const auto& [band, count] : c.published[name->second].items()) {
            const auto key = band_keys.find(band);
            if (key == band_keys.end()) throw Error(ErrorKind::internal, "grade band not checked by the parser: " + band);
            c.rows.push_back(proportion_row(name->second + " grade " + band, count.get<double>(), n, term[key->second]["n"].get<double>(), n));
        }
        published_names.erase(name);
    }
    for (const auto& [term, name] : published_names) c.warn(name, "no adverse event with this term in the cohort");
}

void compare_followup(const Comparison& c) {
    const auto& published = c.published;
    const auto& result = c.result;
    auto& rows = c.rows;
    const auto& observed = result["observed"];
    for (const char* key : {"median", "min", "max"}) {
        if (published.contains(key)) rows.push_back(row(std::string("follow-up ") + key, published[key], observed[key], nullptr, nullptr));
    }
}

void compare_attrition(const Comparison& c) {
    if (c.published.contains("n")) c.rows.push_back(row("cohort size", c.published["n"], c.result["n"], nullptr, nullptr));
}

using Comparer = void (*)(const Comparison&);

// The comparison of each kind that takes published values (analysis_options.cpp says which).
const std::map<std::string, Comparer>& comparers() {
    static const std::map<std::string, Comparer> table{
        {"attrition", compare_attrition},       {"table1", compare_table1},
        {"followup", compare_followup},         {"km", compare_km},
        {"logrank", compare_logrank},           {"response", compare_response},
        {"adverse_events", compare_adverse_events},
        {"association", compare_association},
    };
    return table;
}

}  // namespace

json compare_with_published(const Analysis& analysis, const json& result, const std::string& source,
                            std::vector<std::string>& warnings) {
    json rows = json::array();
    const auto comparer = comparers().find(analysis.kind);
    if (comparer == comparers().end()) {
        throw Error(ErrorKind::internal, "published values of a kind without a comparison: " + analysis.kind);
    }
    comparer->second(Comparison{analysis, analysis.published, result, rows, source, warnings});
    return rows;
}

bool has_published_comparison(const std::string& kind) { return comparers().count(kind) > 0; }

}  // namespace rwe::study
