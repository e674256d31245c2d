#include "rwe/study/published_comparison.hpp"

#include <cmath>
#include <string>

#include "rwe/stats/binomial_ci.hpp"

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

json value_or_null(const json& object, const char* key) { return object.contains(key) ? object[key] : json(nullptr); }

void compare_km(const json& published, const json& result, json& rows) {
    if (!result.contains("strata") || result["strata"].empty()) return;
    // By group: published values keyed by the group's name.
    for (const auto& stratum : result["strata"]) {
        const std::string name = stratum["name"];
        if (name.empty() || !published.contains(name)) continue;
        const auto& primary = stratum["median_primary"];
        rows.push_back(row(name + ": median (" + primary["method"].get<std::string>() + " CI)", published[name].value("median", json()),
                           primary["estimate"], primary["lower"], primary["upper"]));
    }
    const auto& primary = result["strata"][0]["median_primary"];
    if (published.contains("median")) {
        rows.push_back(row("median (" + primary["method"].get<std::string>() + " CI)", published["median"],
                           primary["estimate"], primary["lower"], primary["upper"]));
    }
    for (const char* limit : {"lower", "upper"}) {
        if (published.contains(limit)) {
            rows.push_back(row(std::string("median CI ") + limit, published[limit], primary[limit], nullptr, nullptr));
        }
    }
}

void compare_table1(const json& published, const json& result, json& rows) {
    for (const auto& variable : result["rows"]) {
        const std::string name = variable["variable"].get<std::string>();
        if (!published.contains(name)) continue;
        const auto& pub = published[name];
        const auto& ours = variable["overall"];
        if (ours["type"] == "numeric") {
            for (const char* key : {"median", "min", "max"}) {
                if (pub.contains(key)) rows.push_back(row(name + " " + key, pub[key], value_or_null(ours, key), nullptr, nullptr));
            }
            continue;
        }
        for (const auto& [level, count] : pub.items()) {
            double our_count = 0;
            for (const auto& l : ours["levels"]) {
                if (l["level"] == level) our_count = l["n"].get<double>();
            }
            const double denominator = ours["denominator"].get<double>();
            rows.push_back(proportion_row(name + " = " + level, count.get<double>(), denominator, our_count, denominator));
        }
    }
}

void compare_response(const json& published, const json& result, json& rows) {
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

void compare_logrank(const json& published, const json& result, json& rows) {
    for (const auto& test : result["tests"]) {
        const std::string by = test["by"].get<std::string>();
        if (published.contains(by) && published[by].contains("p")) {
            rows.push_back(p_row(test["endpoint"].get<std::string>() + " by " + by + ": log-rank p", published[by]["p"],
                                 test["p"]));
        }
    }
}

void compare_association(const json& published, const json& result, json& rows) {
    for (const auto& test : result["tests"]) {
        const std::string outcome = test["outcome"].get<std::string>();
        if (published.contains(outcome) && published[outcome].contains("p")) {
            rows.push_back(p_row(outcome + " by " + test["by"].get<std::string>() + ": p", published[outcome]["p"], test["p"]));
        }
    }
}

void compare_adverse_events(const json& published, const json& result, json& rows) {
    const double n = result["n"].get<double>();
    for (const auto& term : result["terms"]) {
        const std::string name = term["term"].get<std::string>();
        if (!published.contains(name)) continue;
        for (const auto& [band, count] : published[name].items()) {
            const std::string key = band == "1-2" ? "grade_1_2" : band == "3-4" ? "grade_3_4" : band == "any" ? "any" : "grade_" + band;
            if (!term.contains(key)) continue;
            rows.push_back(proportion_row(name + " grade " + band, count.get<double>(), n, term[key]["n"].get<double>(), n));
        }
    }
}

void compare_followup(const json& published, const json& result, json& rows) {
    const auto& observed = result["observed"];
    for (const char* key : {"median", "min", "max"}) {
        if (published.contains(key)) rows.push_back(row(std::string("follow-up ") + key, published[key], observed[key], nullptr, nullptr));
    }
}

void compare_long_term(const json& published, const json& result, json& rows) {
    const auto& ltr = result["long_term_responders"];
    if (published.contains("n") && published.contains("of")) {
        rows.push_back(proportion_row("long-term responders among responders", published["n"].get<double>(),
                                      published["of"].get<double>(), ltr["n"].get<double>(), ltr["of"].get<double>()));
    }
    if (published.contains("cr_rate") && published["cr_rate"].size() == 2) {
        const auto& rate = result["cr_rate"];
        rows.push_back(row("CR rate, long-term responders (%)", published["cr_rate"][0], rate["long_term"]["percent"],
                           rate["long_term"]["lower"], rate["long_term"]["upper"]));
        rows.push_back(row("CR rate, other responders (%)", published["cr_rate"][1], rate["other_responders"]["percent"],
                           rate["other_responders"]["lower"], rate["other_responders"]["upper"]));
    }
    if (published.contains("os_median") && result.contains("os")) {
        for (const auto& stratum : result["os"]["strata"]) {
            const bool long_term = stratum["name"] == "Y";
            rows.push_back(row(std::string("OS median, ") + (long_term ? "long-term" : "other") + " responders",
                               published["os_median"][long_term ? 0 : 1], stratum["median"], stratum["median_lower"],
                               stratum["median_upper"]));
        }
    }
}

void compare_second_line(const json& published, const json& result, json& rows) {
    const double n = result["n"].get<double>();
    if (published.contains("progressed")) {
        rows.push_back(proportion_row("progressed after the index line", published["progressed"].get<double>(), n,
                                      result["progressed"]["n"].get<double>(), n));
    }
    const double treated = result["next_line"]["n"].get<double>();
    const double published_treated = published.value("treated", treated);
    if (published.contains("treated")) rows.push_back(row("received a next line", published["treated"], treated, nullptr, nullptr));
    for (const auto& [name, count] : published.items()) {
        if (name == "progressed" || name == "treated") continue;
        const double ours = result["regimens"].contains(name) ? result["regimens"][name]["n"].get<double>() : 0.0;
        rows.push_back(proportion_row("next line " + name, count.get<double>(), published_treated, ours, treated));
    }
}

}  // namespace

json compare_with_published(const Analysis& analysis, const json& result) {
    json rows = json::array();
    const auto& published = analysis.published;
    const auto& kind = analysis.kind;
    if (kind == "km") compare_km(published, result, rows);
    else if (kind == "table1") compare_table1(published, result, rows);
    else if (kind == "response") compare_response(published, result, rows);
    else if (kind == "logrank") compare_logrank(published, result, rows);
    else if (kind == "association") compare_association(published, result, rows);
    else if (kind == "adverse_events") compare_adverse_events(published, result, rows);
    else if (kind == "followup") compare_followup(published, result, rows);
    else if (kind == "long_term_response") compare_long_term(published, result, rows);
    else if (kind == "second_line") compare_second_line(published, result, rows);
    else if (kind == "attrition" && published.contains("n")) rows.push_back(row("cohort size", published["n"], result["n"], nullptr, nullptr));
    return rows;
}

}  // namespace rwe::study
