#include "rwe/study/published_comparison.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <string>
#include <type_traits>
#include <variant>

#include "rwe/common/error.hpp"
#include "rwe/common/text.hpp"
#include "rwe/stats/binomial_ci.hpp"
#include "rwe/study/analysis_options.hpp"

namespace rwe::study {

namespace {

using nlohmann::json;

using results::Number;
using Row = results::PublishedComparisonRow;

// Our value as results.json writes it (a count as an integer, a statistic as a number or null).
template <class T> json ours_of(const T& value) { return results::encode(value); }

Row row(const std::string& quantity, const json& published, const json& ours, Number lower, Number upper) {
    Row out;
    out.quantity = quantity;
    out.published = published;
    out.ours = ours;
    out.ours_lower = lower;
    out.ours_upper = upper;
    if (published.is_number() && lower.has_value() && upper.has_value()) {
        const double p = published.get<double>();
        out.verdict = (p >= lower.value() && p <= upper.value()) ? "within our 95% CI" : "outside our 95% CI";
    } else if (published.is_number() && ours.is_number() && (!lower.has_value() || !upper.has_value()) && (lower.has_value() || upper.has_value())) {
        // An open interval (a limit not reached): compare with the limit that exists.
        const double p = published.get<double>();
        const bool inside = (!lower.has_value() || p >= lower.value()) && (!upper.has_value() || p <= upper.value());
        out.verdict = inside ? "within our 95% CI" : "outside our 95% CI";
    } else {
        out.verdict = "for reference";
    }
    return out;
}

// A published count out of `of` against our count out of `our_of`: proportions, with our
// exact 95% CI.
Row proportion_row(const std::string& quantity, double published_count, double published_of, double ours, double our_of) {
    if (!(our_of > 0) || !(published_of > 0)) return row(quantity, published_count, ours, Number(), Number());
    const auto ci = stats::binomial_ci(ours, our_of);
    Row out = row(quantity + " (%)", 100 * published_count / published_of, 100 * ours / our_of, 100 * ci.lower, 100 * ci.upper);
    out.published_n = json(published_count);
    out.published_of = json(published_of);
    out.ours_n = ours;
    out.ours_of = our_of;
    return out;
}

// "<0.001" or a number → the number or bound; conclusion at 5%.
Row p_row(const std::string& quantity, const json& published, const json& ours) {
    Row out;
    out.quantity = quantity;
    out.published = published;
    out.ours = ours;
    double bound = NAN;
    if (published.is_number()) bound = published.get<double>();
    else if (published.is_string()) {
        std::string text = published.get<std::string>();
        if (!text.empty() && text[0] == '<') bound = std::stod(text.substr(1));
    }
    if (ours.is_number() && !std::isnan(bound)) {
        const bool same = (bound < 0.05) == (ours.get<double>() < 0.05);
        out.verdict = same ? "same conclusion at 5%" : "different conclusion at 5%";
    } else {
        out.verdict = "for reference";
    }
    return out;
}

// One analysis being compared: its published values, the rows so far, and where a
// published name the results lack is reported.
struct Comparison {
    const Analysis& analysis;
    const json& published;
    std::vector<Row>& rows;
    const std::string& source;
    std::vector<std::string>& warnings;

    void warn(const std::string& name, const std::string& problem) const {
        warnings.push_back(analysis_warning(source, analysis, "published." + name, problem, ""));
    }
};

// Without `by`: the median with its limits. With `by`: the same per group, by name.
void compare_km(const Comparison& c, const results::KmResult& result) {
    const auto& published = c.published;
    auto& rows = c.rows;
    auto median_rows = [&](const std::string& prefix, const json& values, const results::CurveSummary& stratum) {
        const results::MedianEstimate& primary = **stratum.median_primary;  // (written by the km kind, before any suppression)
        const std::string& method = primary.method;
        if (values.contains("median")) {
            rows.push_back(row(prefix + "median (" + method + " CI)", values["median"], ours_of(primary.estimate), primary.lower, primary.upper));
        }
        if (values.contains("lower")) rows.push_back(row(prefix + "median CI lower", values["lower"], ours_of(primary.lower), Number(), Number()));
        if (values.contains("upper")) rows.push_back(row(prefix + "median CI upper", values["upper"], ours_of(primary.upper), Number(), Number()));
    };
    if (!result.by) {
        if (!result.strata.empty()) median_rows("", published, result.strata[0]);
        return;
    }
    std::string groups;
    for (const auto& stratum : result.strata) {
        groups += (groups.empty() ? "" : ", ") + stratum.name;
        if (published.contains(stratum.name)) median_rows(stratum.name + ": ", published[stratum.name], stratum);
    }
    for (const auto& [name, values] : published.items()) {
        const std::string& wanted = name;  // (a structured binding is not captured by clang 14)
        const bool found = std::any_of(result.strata.begin(), result.strata.end(), [&](const results::CurveSummary& s) { return s.name == wanted; });
        if (!found) c.warn(name, "no group of this name in the results (groups: " + groups + ")");
    }
}

// Numeric variables: the summary statistics; categorical ones: the share of each level.
// Rows in the order of the results (the parser requires every published variable among
// `variables`).
void compare_table1(const Comparison& c, const results::Table1Result& result) {
    for (const auto& variable : result.rows) {
        const std::string& name = variable.variable;
        if (!c.published.contains(name)) continue;
        const auto& pub = c.published[name];
        if (const auto* ours = std::get_if<results::NumericSummary>(&*variable.overall)) {
            const std::vector<std::pair<std::string, json>> statistics{
                {"n", ours_of(ours->n)},       {"median", ours_of(ours->median)}, {"min", ours_of(ours->min)}, {"max", ours_of(ours->max)},
                {"mean", ours_of(ours->mean)}, {"sd", ours_of(ours->sd)},         {"q1", ours_of(ours->q1)},   {"q3", ours_of(ours->q3)}};
            for (const auto& [key, value] : statistics) {
                if (pub.contains(key)) c.rows.push_back(row(name + " " + key, pub[key], value, Number(), Number()));
            }
            for (const auto& [key, value] : pub.items()) {
                const std::string& wanted = key;
                if (std::none_of(statistics.begin(), statistics.end(), [&](const auto& statistic) { return statistic.first == wanted; })) {
                    c.warn(name + "." + key, "the variable is numeric: give summary statistics (n, median, min, max, mean, sd, q1, q3), not level counts");
                }
            }
            continue;
        }
        const auto& ours = std::get<results::CategoricalSummary>(*variable.overall);
        // `n`, when given, is the published denominator (patients with a value); else ours.
        const double denominator = static_cast<double>(ours.denominator.value());
        const double published_denominator = pub.contains("n") ? pub["n"].get<double>() : denominator;
        if (pub.contains("n")) c.rows.push_back(row(name + " n", pub["n"], denominator, Number(), Number()));
        for (const auto& [level, count] : pub.items()) {
            if (level == "n") continue;
            const std::string& wanted = level;  // (a structured binding is not captured by clang 14)
            auto found = std::find_if(ours.levels.begin(), ours.levels.end(), [&](const results::LevelCount& l) { return l.level == wanted; });
            if (found == ours.levels.end()) {
                c.warn(name + "." + level, "no level of this name in the results (counted as 0)");
            }
            const double our_count = found == ours.levels.end() ? 0.0 : static_cast<double>(found->n.value());
            c.rows.push_back(proportion_row(name + " = " + level, count.get<double>(), published_denominator, our_count, denominator));
        }
    }
}

void compare_response(const Comparison& c, const results::ResponseResult& result) {
    const auto& published = c.published;
    auto& rows = c.rows;
    const double our_n = result.counts.measurable.value();
    const double pub_n = published.value("n", our_n);
    if (published.contains("n")) rows.push_back(row("patients with measurable disease", published["n"], our_n, Number(), Number()));
    for (const char* level : {"CR", "PR", "SD", "PD"}) {
        if (published.contains(level)) {
            rows.push_back(proportion_row(std::string("best response ") + level, published[level].get<double>(), pub_n,
                                          result.counts.best_response.at(level).n.value(), our_n));
        }
    }
    if (published.contains("ORR")) {
        rows.push_back(proportion_row("objective response", published["ORR"].get<double>(), pub_n, result.counts.orr.n.value(), our_n));
    }
}

void compare_logrank(const Comparison& c, const results::LogRankResult& result) {
    for (const auto& test : result.tests) {
        if (c.published.contains(test.by) && c.published[test.by].contains("p")) {
            c.rows.push_back(p_row(test.endpoint + " by " + test.by + ": log-rank p", c.published[test.by]["p"], ours_of(test.p)));
        }
    }
}

void compare_association(const Comparison& c, const results::AssociationResult& result) {
    for (const auto& test : result.tests) {
        if (c.published.contains(test.outcome) && c.published[test.outcome].contains("p")) {
            c.rows.push_back(p_row(test.outcome + " by " + test.by + ": p", c.published[test.outcome]["p"], ours_of(test.table.p)));
        }
    }
}

std::string lower(const std::string& text) { return ascii_lower(text); }

// Counts by worst-grade band, matched to our terms without case (registry terms are lower
// case); rows in the order of the results.
void compare_adverse_events(const Comparison& c, const results::AdverseEventsResult& result) {
    using Term = results::AdverseEventTerm;
    static const std::map<std::string, results::GradeCount Term::*> bands{
        {"any", &Term::any},         {"1-2", &Term::grade_1_2}, {"3", &Term::grade_3},           {"4", &Term::grade_4},
        {"3-4", &Term::grade_3_4},   {"5", &Term::grade_5},     {">=3", &Term::grade_3_plus}};
    const double n = result.n.value();
    std::map<std::string, std::string> published_names;  // lower case → as written
    for (const auto& [name, values] : c.published.items()) published_names[lower(name)] = name;
    for (const auto& term : result.terms) {
        const auto name = published_names.find(term.term);
        if (name == published_names.end()) continue;
        for (const auto& [band, count] : c.published[name->second].items()) {
            const auto member = bands.find(band);
            if (member == bands.end()) throw Error(ErrorKind::internal, "grade band not checked by the parser: " + band);
            c.rows.push_back(proportion_row(name->second + " grade " + band, count.get<double>(), n, (term.*(member->second)).n.value(), n));
        }
        published_names.erase(name);
    }
    for (const auto& [term, name] : published_names) c.warn(name, "no adverse event with this term in the cohort");
}

void compare_followup(const Comparison& c, const results::FollowUpResult& result) {
    const auto& observed = result.observed;
    for (const auto& [key, ours] : {std::pair{"median", &observed.median}, std::pair{"min", &observed.min}, std::pair{"max", &observed.max}}) {
        if (c.published.contains(key)) c.rows.push_back(row(std::string("follow-up ") + key, c.published[key], ours_of(*ours), Number(), Number()));
    }
}

void compare_attrition(const Comparison& c, const results::AttritionResult& result) {
    if (c.published.contains("n")) c.rows.push_back(row("cohort size", c.published["n"], ours_of(result.n), Number(), Number()));
}

// The kinds that take published values (analysis_options.cpp says which), with their comparison.
const std::vector<std::string>& compared_kinds() {
    static const std::vector<std::string> kinds{"attrition", "table1", "followup", "km", "logrank", "response", "adverse_events", "association"};
    return kinds;
}

}  // namespace

std::vector<results::PublishedComparisonRow> compare_with_published(const Analysis& analysis, const results::AnalysisResult& result,
                                                                     const std::string& source, std::vector<std::string>& warnings) {
    std::vector<Row> rows;
    const Comparison c{analysis, analysis.published, rows, source, warnings};
    bool compared = true;
    std::visit(
        [&](const auto& typed) {
            using T = std::decay_t<decltype(typed)>;
            if constexpr (std::is_same_v<T, results::AttritionResult>) compare_attrition(c, typed);
            else if constexpr (std::is_same_v<T, results::Table1Result>) compare_table1(c, typed);
            else if constexpr (std::is_same_v<T, results::FollowUpResult>) compare_followup(c, typed);
            else if constexpr (std::is_same_v<T, results::KmResult>) compare_km(c, typed);
            else if constexpr (std::is_same_v<T, results::LogRankResult>) compare_logrank(c, typed);
            else if constexpr (std::is_same_v<T, results::ResponseResult>) compare_response(c, typed);
            else if constexpr (std::is_same_v<T, results::AdverseEventsResult>) compare_adverse_events(c, typed);
            else if constexpr (std::is_same_v<T, results::AssociationResult>) compare_association(c, typed);
            else compared = false;
        },
        result);
    if (!compared) throw Error(ErrorKind::internal, "published values of a kind without a comparison: " + analysis.kind);
    return rows;
}

bool has_published_comparison(const std::string& kind) {
    return std::find(compared_kinds().begin(), compared_kinds().end(), kind) != compared_kinds().end();
}

}  // namespace rwe::study
