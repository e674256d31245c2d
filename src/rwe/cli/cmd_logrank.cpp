// rwe logrank: the weighted log-rank family on a CSV file — k groups, optional strata,
// G-rho / Fleming–Harrington / Gehan–Breslow / Tarone–Ware weights, test for trend and
// pairwise comparisons with Holm or Benjamini–Hochberg adjustment (docs/methods.md §2).
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "rwe/cli/cli_util.hpp"
#include "rwe/cli/command.hpp"
#include "rwe/cli/survival_input.hpp"
#include "rwe/common/error.hpp"
#include "rwe/stats/log_rank.hpp"
#include "rwe/stats/log_rank_pairwise.hpp"
#include "rwe/stats/log_rank_trend.hpp"

namespace {

// Keys in the documented order: chisq, df, p, groups first.
using json = nlohmann::ordered_json;
using rwe::cli::format_number;
namespace stats = rwe::stats;

struct LogRankCommand {
    std::string file;
    rwe::cli::SurvivalColumns columns;
    std::string weights = "logrank";
    std::optional<double> rho;
    std::optional<double> fh_p;
    std::optional<double> fh_q;
    bool trend = false;
    std::string trend_scores;
    std::string pairwise;  // empty = no pairwise comparisons
    std::string format = "text";
};

// The weight options, checked together: --rho R is G-rho, i.e. Fleming–Harrington(R, 0).
stats::LogRankOptions test_options(const LogRankCommand& command) {
    stats::LogRankOptions options;
    const std::string& w = command.weights;
    if (w == "logrank" || w == "log-rank") {
        options.weight = stats::LogRankWeight::log_rank;
    } else if (w == "peto-peto" || w == "peto") {
        options.weight = stats::LogRankWeight::peto_peto;
    } else if (w == "gehan" || w == "gehan-breslow" || w == "wilcoxon") {
        options.weight = stats::LogRankWeight::gehan_breslow;
    } else if (w == "tarone-ware") {
        options.weight = stats::LogRankWeight::tarone_ware;
    } else if (w == "fh" || w == "fleming-harrington") {
        options.weight = stats::LogRankWeight::fleming_harrington;
    } else {
        throw rwe::UsageError("--weights: unknown weight '" + w +
                              "' (logrank, peto-peto, gehan, tarone-ware, fh)");
    }
    const bool fh = options.weight == stats::LogRankWeight::fleming_harrington;
    if ((command.fh_p || command.fh_q) && !fh) {
        throw rwe::UsageError("--fh-p and --fh-q go with --weights fh (weights given: " + w + ")");
    }
    if (command.rho) {
        if (options.weight != stats::LogRankWeight::log_rank && !fh) {
            throw rwe::UsageError("--rho sets G-rho weights S(t-)^rho; it cannot be combined with --weights " + w);
        }
        if (command.fh_p) throw rwe::UsageError("give either --rho or --fh-p, not both");
        if (!(std::isfinite(*command.rho) && *command.rho >= 0)) {
            throw rwe::UsageError("--rho must be a finite number >= 0 (" +
                                  format_number(*command.rho, 6) + ")");
        }
        options.weight = stats::LogRankWeight::fleming_harrington;
        options.fh_p = *command.rho;
        options.fh_q = command.fh_q.value_or(0.0);
    } else if (fh) {
        options.fh_p = command.fh_p.value_or(0.0);
        options.fh_q = command.fh_q.value_or(0.0);
    }
    stats::validate_log_rank_options(options);
    return options;
}

std::string weight_name(const stats::LogRankOptions& options) {
    switch (options.weight) {
        case stats::LogRankWeight::log_rank: return "logrank";
        case stats::LogRankWeight::peto_peto: return "peto-peto";
        case stats::LogRankWeight::gehan_breslow: return "gehan";
        case stats::LogRankWeight::tarone_ware: return "tarone-ware";
        case stats::LogRankWeight::fleming_harrington: return "fh";
    }
    return "logrank";
}

// rwe::cli::json_number (NaN -> null, +-Inf -> "Inf"/"-Inf") for the ordered document type.
json number(double value) {
    const nlohmann::json encoded = rwe::cli::json_number(value);
    if (encoded.is_null()) return nullptr;
    if (encoded.is_string()) return encoded.get<std::string>();
    return value;
}

json numbers(const std::vector<double>& values) {
    json out = json::array();
    for (double v : values) out.push_back(number(v));
    return out;
}

json to_json(const stats::LogRank& test, const std::optional<stats::LogRankTrend>& trend,
             const std::optional<stats::PairwiseLogRank>& pairwise, bool stratified) {
    json groups = json::array();
    for (const auto& g : test.groups) {
        groups.push_back({{"name", g.name},
                          {"n", g.n},
                          {"events", number(g.events)},
                          {"observed", number(g.observed)},
                          {"expected", number(g.expected)}});
    }
    json variance = json::array();
    for (const auto& row : test.variance) variance.push_back(numbers(row));
    json out = {{"chisq", number(test.chisq)},
                {"df", test.df},
                {"p", number(test.p)},
                {"groups", groups},
                {"test", test.method},
                {"weights", weight_name(test.options)},
                {"var", variance},
                {"n_used", test.n_used},
                {"dropped", test.dropped}};
    if (test.options.weight == stats::LogRankWeight::fleming_harrington) {
        out["fh_p"] = test.options.fh_p;
        out["fh_q"] = test.options.fh_q;
        if (test.options.fh_q == 0) out["rho"] = test.options.fh_p;
    } else if (test.options.weight == stats::LogRankWeight::log_rank) {
        out["rho"] = 0;
    } else if (test.options.weight == stats::LogRankWeight::peto_peto) {
        out["rho"] = 1;
    }
    if (stratified) {
        json strata = json::array();
        for (std::size_t s = 0; s < test.strata.size(); ++s) {
            strata.push_back({{"name", test.strata[s]}, {"n", test.stratum_n[s]}});
        }
        out["strata"] = strata;
        json observed = json::array(), expected = json::array();
        for (const auto& row : test.observed_by_stratum) observed.push_back(numbers(row));
        for (const auto& row : test.expected_by_stratum) expected.push_back(numbers(row));
        out["observed_by_stratum"] = observed;
        out["expected_by_stratum"] = expected;
    }
    if (trend) {
        out["trend"] = {{"scores", numbers(trend->scores)},
                        {"statistic", number(trend->statistic)},
                        {"variance", number(trend->variance)},
                        {"z", number(trend->z)},
                        {"chisq", number(trend->chisq)},
                        {"df", trend->df},
                        {"p", number(trend->p)},
                        {"diagnostics", trend->diagnostics}};
    }
    if (pairwise) {
        json comparisons = json::array();
        for (const auto& c : pairwise->comparisons) {
            comparisons.push_back({{"group1", c.group1},
                                   {"group2", c.group2},
                                   {"observed", {number(c.observed1), number(c.observed2)}},
                                   {"expected", {number(c.expected1), number(c.expected2)}},
                                   {"chisq", number(c.chisq)},
                                   {"df", c.df},
                                   {"p", number(c.p)},
                                   {"p_adjusted", number(c.p_adjusted)}});
        }
        out["pairwise"] = {{"adjust", stats::p_adjust_name(pairwise->adjust)},
                           {"comparisons", comparisons},
                           {"diagnostics", pairwise->diagnostics}};
    }
    out["diagnostics"] = test.diagnostics;
    return out;
}

std::string format_p(double p) {
    if (std::isnan(p)) return "NA";
    if (p < 1e-16) return "< 1e-16";
    return format_number(p, 3);
}

void print_text(std::ostream& out, const LogRankCommand& command, const stats::LogRank& test,
                const std::optional<stats::LogRankTrend>& trend,
                const std::optional<stats::PairwiseLogRank>& pairwise) {
    out << fmt::format("{} test: {} by {}{}\n", test.method, command.columns.time,
                       command.columns.group,
                       command.columns.stratum.empty() ? ""
                                                       : ", stratified by " + command.columns.stratum);
    const bool weighted_sums = test.options.weight != stats::LogRankWeight::log_rank &&
                               !(test.options.weight == stats::LogRankWeight::fleming_harrington &&
                                 test.options.fh_p == 0 && test.options.fh_q == 0);
    std::size_t width = 5;
    for (const auto& g : test.groups) width = std::max(width, g.name.size());
    out << fmt::format("\n{:<{}} {:>8} {:>8} {:>11} {:>11} {:>10} {:>10}\n", "group", width, "n",
                       "events", weighted_sums ? "observed(w)" : "observed",
                       weighted_sums ? "expected(w)" : "expected", "(O-E)^2/E", "(O-E)^2/V");
    for (std::size_t g = 0; g < test.groups.size(); ++g) {
        const auto& row = test.groups[g];
        const double diff = row.observed - row.expected;
        out << fmt::format("{:<{}} {:>8} {:>8} {:>11} {:>11} {:>10} {:>10}\n", row.name, width,
                           row.n, format_number(row.events, 6), format_number(row.observed, 6),
                           format_number(row.expected, 6),
                           format_number(diff * diff / row.expected, 4),
                           format_number(diff * diff / test.variance[g][g], 4));
    }
    out << fmt::format("\nChisq = {} on {} degrees of freedom, p = {}\n",
                       format_number(test.chisq, 6), test.df, format_p(test.p));
    if (weighted_sums) {
        out << "(observed and expected are weighted sums, as R survdiff reports for rho != 0)\n";
    }
    out << fmt::format("rows used: {}, dropped (missing values): {}\n", test.n_used, test.dropped);
    if (trend) {
        std::string scores;
        for (double s : trend->scores) scores += (scores.empty() ? "" : ", ") + format_number(s, 6);
        out << fmt::format("\nTest for trend (scores {}): U = {}, Var(U) = {}, z = {}\n", scores,
                           format_number(trend->statistic, 6), format_number(trend->variance, 6),
                           format_number(trend->z, 4));
        out << fmt::format("Chisq = {} on 1 degree of freedom, p = {}\n",
                           format_number(trend->chisq, 6), format_p(trend->p));
        for (const auto& d : trend->diagnostics) out << "note: " << d << "\n";
    }
    if (pairwise) {
        out << fmt::format("\nPairwise comparisons ({} adjustment)\n",
                           stats::p_adjust_name(pairwise->adjust));
        std::size_t pair_width = 10;
        for (const auto& c : pairwise->comparisons) {
            pair_width = std::max(pair_width, c.group1.size() + c.group2.size() + 4);
        }
        out << fmt::format("{:<{}} {:>10} {:>4} {:>10} {:>10}\n", "groups", pair_width, "chisq",
                           "df", "p", "p adjusted");
        for (const auto& c : pairwise->comparisons) {
            out << fmt::format("{:<{}} {:>10} {:>4} {:>10} {:>10}\n", c.group1 + " vs " + c.group2,
                               pair_width, format_number(c.chisq, 5), c.df, format_p(c.p),
                               format_p(c.p_adjusted));
        }
        for (const auto& d : pairwise->diagnostics) out << "note: " << d << "\n";
    }
    for (const auto& d : test.diagnostics) out << "note: " << d << "\n";
}

int run_logrank(int argc, char** argv) {
    CLI::App app{"Weighted log-rank tests comparing survival between groups (docs/methods.md §2)",
                 "rwe logrank"};
    LogRankCommand command;
    app.add_option("file", command.file, "CSV file (plain or gzip)")->required();
    app.add_option("--time", command.columns.time, "time column")->required();
    app.add_option("--event", command.columns.event, "event column (1 = event, 0 = censored)")
        ->required();
    app.add_option("--group", command.columns.group, "group column")->required();
    app.add_option("--strata", command.columns.stratum, "stratification column");
    app.add_option("--weights", command.weights,
                   "logrank (default), peto-peto, gehan, tarone-ware or fh (Fleming-Harrington)");
    app.add_option("--rho", command.rho, "G-rho weights S(t-)^rho, as R survdiff (0 = log-rank)");
    app.add_option("--fh-p", command.fh_p, "Fleming-Harrington p: weight S(t-)^p (1-S(t-))^q");
    app.add_option("--fh-q", command.fh_q, "Fleming-Harrington q");
    app.add_flag("--trend", command.trend, "test for trend over the ordered groups");
    app.add_option("--trend-scores", command.trend_scores,
                   "scores of the groups for the trend test, in group order (default 1,2,...)");
    app.add_option("--pairwise", command.pairwise,
                   "all pairwise comparisons, p adjusted by holm, bh or none");
    app.add_option("--format", command.format, "text (default) or json")
        ->check(CLI::IsMember({"text", "json"}));
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        return rwe::cli::parse_failure(app, error);
    }

    const stats::LogRankOptions options = test_options(command);
    std::vector<double> scores;
    if (!command.trend_scores.empty()) {
        scores = rwe::cli::parse_number_list("--trend-scores", command.trend_scores);
        command.trend = true;
    }
    stats::PAdjustMethod adjust = stats::PAdjustMethod::none;
    if (!command.pairwise.empty() && !stats::parse_p_adjust_method(command.pairwise, adjust)) {
        throw rwe::UsageError("--pairwise: unknown adjustment '" + command.pairwise +
                              "' (holm, bh, none)");
    }

    // Pairwise tests merge near-equal times within each pair (as survdiff on the pair's
    // subset), so they need the times before the merge over all groups.
    stats::SurvivalData unmerged;
    stats::SurvivalData data =
        rwe::cli::read_survival_data(command.file, command.columns, command.pairwise.empty());
    if (!command.pairwise.empty()) {
        unmerged = data;
        stats::merge_survival_times(data);
    }
    const stats::GroupRiskTable table = stats::group_risk_table(data);
    const stats::LogRank test = stats::log_rank_test(table, options);
    std::optional<stats::LogRankTrend> trend;
    if (command.trend) {
        if (!scores.empty() && scores.size() != test.groups.size()) {
            throw rwe::UsageError(fmt::format("--trend-scores: {} scores for {} groups ({})",
                                              scores.size(), test.groups.size(),
                                              command.trend_scores));
        }
        trend = stats::log_rank_trend(test, scores);
    }
    std::optional<stats::PairwiseLogRank> pairwise;
    if (!command.pairwise.empty()) pairwise = stats::pairwise_log_rank(unmerged, options, adjust);

    if (command.format == "json") {
        std::cout << to_json(test, trend, pairwise, !command.columns.stratum.empty()).dump(2) << "\n";
    } else {
        print_text(std::cout, command, test, trend, pairwise);
    }
    return 0;
}

}  // namespace

RWE_COMMAND(logrank, "weighted log-rank tests between groups (k groups, strata, trend, pairwise)",
            run_logrank);
