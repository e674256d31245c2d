#include "rwe/report/disclosure_control.hpp"

#include "rwe/common/error.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <set>

namespace rwe::report {

using nlohmann::json;
using Pointer = json::json_pointer;

namespace {

constexpr double infinity = std::numeric_limits<double>::infinity();

}  // namespace

std::size_t CellSystem::add(long value, bool known) {
    cells.push_back({value, known, false, false});
    return cells.size() - 1;
}

void CellSystem::add_sum(std::size_t total, std::vector<std::size_t> parts) {
    relations.push_back({total, std::move(parts)});
}

// Bounds consistency over the relations (docs/report.md, "Small-cell suppression"): for
// total = Σ parts, total ∈ [Σ lower, Σ upper] and each part ∈ [total.lower − Σ other uppers,
// total.upper − Σ other lowers], rounded inwards to whole numbers, repeated until nothing
// changes. Bounds only tighten, so this ends.
std::vector<CellRange> feasible_ranges(const CellSystem& system) {
    std::vector<CellRange> range(system.cells.size());
    for (std::size_t cell = 0; cell < system.cells.size(); ++cell) {
        const auto& c = system.cells[cell];
        const double value = static_cast<double>(c.value);
        range[cell] = c.suppressed ? CellRange{0, infinity} : CellRange{value, value};
    }
    auto tighten = [&](std::size_t cell, double lower, double upper) {
        lower = std::ceil(lower - 1e-9);
        upper = std::floor(upper + 1e-9);
        bool changed = false;
        if (lower > range[cell].lower) range[cell].lower = lower, changed = true;
        if (upper < range[cell].upper) range[cell].upper = upper, changed = true;
        return changed;
    };
    for (bool changed = true; changed;) {
        changed = false;
        for (const auto& relation : system.relations) {
            double sum_lower = 0, sum_upper = 0;
            int unbounded = 0;
            for (std::size_t part : relation.parts) {
                sum_lower += range[part].lower;
                if (std::isinf(range[part].upper)) ++unbounded;
                else sum_upper += range[part].upper;
            }
            changed |= tighten(relation.total, sum_lower, unbounded > 0 ? infinity : sum_upper);
            const CellRange total = range[relation.total];
            for (std::size_t part : relation.parts) {
                const double others_lower = sum_lower - range[part].lower;
                const bool part_unbounded = std::isinf(range[part].upper);
                const int others_unbounded = unbounded - (part_unbounded ? 1 : 0);
                const double others_upper = others_unbounded > 0 ? infinity : sum_upper - (part_unbounded ? 0 : range[part].upper);
                const double lower = std::isinf(others_upper) ? 0 : total.lower - others_upper;
                const double upper = total.upper - others_lower;
                changed |= tighten(part, lower, upper);
            }
        }
    }
    return range;
}

namespace {

bool exposed(const CellSystem::Cell& cell, const CellRange& range) {
    return cell.suppressed && range.upper - range.lower < 0.5;
}

}  // namespace

// Complementary suppression: while a suppressed cell is recovered (its feasible range is one
// value), suppress in one of its relations the smallest cell still published — a non-zero
// one before a zero, any before a `keep` total — and look again. One cell at a time, so no
// more is suppressed than the bounds need.
SuppressionCounts suppress_cells(CellSystem& system, long threshold) {
    SuppressionCounts counts;
    if (threshold <= 1) return counts;
    for (auto& cell : system.cells) {
        if (!cell.known && cell.value > 0 && cell.value < threshold) {
            cell.suppressed = cell.primary = true;
            ++counts.primary;
        }
    }
    std::vector<std::vector<std::size_t>> relations_of(system.cells.size());
    for (std::size_t r = 0; r < system.relations.size(); ++r) {
        relations_of[system.relations[r].total].push_back(r);
        for (std::size_t part : system.relations[r].parts) relations_of[part].push_back(r);
    }
    std::vector<bool> given_up(system.cells.size(), false);
    for (;;) {
        const auto range = feasible_ranges(system);
        bool added = false;
        for (std::size_t cell = 0; cell < system.cells.size() && !added; ++cell) {
            if (given_up[cell] || !exposed(system.cells[cell], range[cell])) continue;
            std::size_t best = system.cells.size();
            auto better = [&](std::size_t candidate) {
                if (best == system.cells.size()) return true;
                const long a = system.cells[candidate].value, b = system.cells[best].value;
                if (system.cells[candidate].keep != system.cells[best].keep) return !system.cells[candidate].keep;
                if ((a > 0) != (b > 0)) return a > 0;
                return a < b;
            };
            for (std::size_t r : relations_of[cell]) {
                const auto& relation = system.relations[r];
                auto consider = [&](std::size_t candidate) {
                    const auto& c = system.cells[candidate];
                    if (c.known || c.suppressed) return;
                    if (better(candidate)) best = candidate;
                };
                consider(relation.total);
                for (std::size_t part : relation.parts) consider(part);
            }
            if (best == system.cells.size()) {
                given_up[cell] = true;
                continue;
            }
            system.cells[best].suppressed = true;
            ++counts.complementary;
            added = true;
        }
        if (!added) break;
    }
    const auto range = feasible_ranges(system);
    for (std::size_t cell = 0; cell < system.cells.size(); ++cell) {
        if (system.cells[cell].suppressed && range[cell].upper - range[cell].lower < 0.5) ++counts.unprotected;
    }
    return counts;
}

bool suppression_covers(const std::string& kind) {
    static const std::set<std::string> covered{"attrition", "table1", "followup", "km", "logrank", "response",
                                               "adverse_events", "association", "cox", "landmark", "iptw", "ps_match",
                                               "target_trial", "cuminc"};
    return covered.count(kind) > 0;
}

bool is_suppressed(const json& value) { return value.is_string() && value.get<std::string>() == suppressed_value; }

namespace {

// The cells of results.json, where each is written (a count may be written in several
// places: the cohort size in the attrition and in results.cohort), and what is withheld
// with it.
class Plan {
public:
    explicit Plan(const json& results) : results_(results) {}

    // A count published at `at` (0 when absent or not a number: then known, never suppressed).
    std::size_t count(const Pointer& at) {
        if (!results_.contains(at) || !results_[at].is_number()) return known(0);
        const std::size_t cell = system.add(std::lround(results_[at].get<double>()));
        where_.push_back({at});
        derived_.emplace_back();
        small_.emplace_back();
        return cell;
    }
    // A count that other analyses may show again (the same patients counted by another
    // table): the first with the same `key` and value is that cell, written here too.
    std::size_t count_linked(const std::string& key, const Pointer& at) {
        if (key.empty() || !results_.contains(at) || !results_[at].is_number()) return count(at);
        const long value = std::lround(results_[at].get<double>());
        if (auto found = linked_.find(key); found != linked_.end() && system.cells[found->second].value == value) {
            alias(found->second, at);
            return found->second;
        }
        const std::size_t cell = count(at);
        linked_.emplace(key, cell);
        return cell;
    }
    std::size_t known(long value) {
        const std::size_t cell = system.add(std::max(0L, value), true);
        where_.emplace_back();
        derived_.emplace_back();
        small_.emplace_back();
        return cell;
    }
    long value(std::size_t cell) const { return system.cells[cell].value; }
    void alias(std::size_t cell, const Pointer& at) {
        if (results_.contains(at)) where_[cell].push_back(at);
    }
    // Withheld when `cell` is suppressed (a percentage, a CI, a statistic of the cell's group).
    void derived(std::size_t cell, const Pointer& at) {
        if (results_.contains(at)) derived_[cell].push_back(at);
    }
    // Withheld when `cell` is suppressed for its own size (a summary of fewer patients than
    // the threshold); a complement is large enough for its summaries to be shown.
    void small(std::size_t cell, const Pointer& at) {
        if (results_.contains(at)) small_[cell].push_back(at);
    }
    // Withheld when any of `cells` is suppressed (a test on a table with a suppressed cell).
    void derived(const std::vector<std::size_t>& cells, const Pointer& at) {
        if (!results_.contains(at)) return;
        for (std::size_t cell : cells) derived_[cell].push_back(at);
    }
    // Withheld whatever the counts (an extreme value is one patient's).
    void always(const Pointer& at) {
        if (results_.contains(at)) always_.push_back(at);
    }
    // total = Σ parts where the total is assumed known to a reader (a margin published
    // elsewhere or derivable from another table).
    void known_total(const std::vector<std::size_t>& parts) {
        long sum = 0;
        for (std::size_t part : parts) sum += value(part);
        system.add_sum(known(sum), parts);
    }
    // total = Σ parts + what the parts leave out (assumed known).
    void sum_with_rest(std::size_t total, std::vector<std::size_t> parts) {
        long sum = 0;
        for (std::size_t part : parts) sum += value(part);
        if (value(total) != sum) parts.push_back(known(value(total) - sum));
        system.add_sum(total, std::move(parts));
    }

    // A grouping of patients (the levels of one variable; per level its cells: n, events)
    // in a family of groupings of the same patients (one population, one endpoint).
    void grouping(const std::string& family, std::vector<std::vector<std::size_t>> groups) {
        if (groups.size() >= 2) families_[family].push_back(std::move(groups));
    }

    // A level of one variable may be the union of levels of another (de novo = relapsed
    // naive + relapsed exposed), or the same patients (brain metastases = Y and the site
    // "brain"): where the counts say so — every cell of a group equal to the sum of the same
    // cells of one or more non-empty groups of another grouping of the family, fewer than
    // all — the relation is added. It holds numerically whether or not
    // the groups truly nest, so adding it only makes the modelled reader stronger.
    void add_unions() {
        for (const auto& [family, groupings] : families_) {
            for (std::size_t i = 0; i < groupings.size(); ++i) {
                for (std::size_t j = 0; j < groupings.size(); ++j) {
                    const auto& others = groupings[j];
                    if (i == j || others.size() > 10) continue;
                    for (const auto& group : groupings[i]) {
                        const std::size_t count = others.size();
                        for (unsigned subset = 0; subset < (1u << count); ++subset) {
                            const int members = __builtin_popcount(subset);
                            if (members < 1 || static_cast<std::size_t>(members) >= count) continue;
                            bool fits = true;
                            for (std::size_t k = 0; k < count && fits; ++k) {
                                if (!(subset & (1u << k))) continue;
                                fits = value(others[k][0]) > 0 && others[k].size() == group.size() &&
                                       std::find(group.begin(), group.end(), others[k][0]) == group.end();
                            }
                            for (std::size_t c = 0; c < group.size() && fits; ++c) {
                                long sum = 0;
                                for (std::size_t k = 0; k < count; ++k) {
                                    if (subset & (1u << k)) sum += value(others[k][c]);
                                }
                                fits = sum == value(group[c]);
                            }
                            if (!fits) continue;
                            for (std::size_t c = 0; c < group.size(); ++c) {
                                std::vector<std::size_t> parts;
                                for (std::size_t k = 0; k < count; ++k) {
                                    if (subset & (1u << k)) parts.push_back(others[k][c]);
                                }
                                system.add_sum(group[c], parts);
                            }
                        }
                    }
                }
            }
        }
    }

    // Writes the marker everywhere a suppressed cell or a statistic derived from one was;
    // returns the values withheld from each analysis (to withhold them from its comparison
    // with the published study too).
    json apply(std::size_t& withheld) const {
        json out = results_;
        auto withhold = [&](const Pointer& at) {
            if (!out.contains(at) || is_suppressed(out[at])) return;
            out[at] = suppressed_value;
            ++withheld;
        };
        for (std::size_t cell = 0; cell < system.cells.size(); ++cell) {
            if (!system.cells[cell].suppressed) continue;
            for (const auto& at : where_[cell]) withhold(at);
            for (const auto& at : derived_[cell]) withhold(at);
            if (system.cells[cell].primary) {
                for (const auto& at : small_[cell]) withhold(at);
            }
        }
        for (const auto& at : always_) withhold(at);
        return out;
    }

    // Every number withheld from analysis `index`, as it was.
    std::vector<double> secrets(const Pointer& analysis) const {
        std::vector<double> values;
        auto collect = [&](const Pointer& at) {
            if (!at.to_string().starts_with(analysis.to_string() + "/")) return;
            collect_numbers(results_[at], values);
        };
        for (std::size_t cell = 0; cell < system.cells.size(); ++cell) {
            if (!system.cells[cell].suppressed) continue;
            for (const auto& at : where_[cell]) collect(at);
            for (const auto& at : derived_[cell]) collect(at);
            if (system.cells[cell].primary) {
                for (const auto& at : small_[cell]) collect(at);
            }
        }
        for (const auto& at : always_) collect(at);
        return values;
    }

    CellSystem system;

private:
    static void collect_numbers(const json& value, std::vector<double>& out) {
        if (value.is_number()) out.push_back(value.get<double>());
        else if (value.is_structured()) {
            for (const auto& item : value) collect_numbers(item, out);
        }
    }

    const json& results_;
    std::vector<std::vector<Pointer>> where_;
    std::vector<std::vector<Pointer>> derived_;
    std::vector<std::vector<Pointer>> small_;
    std::vector<Pointer> always_;
    std::map<std::string, std::size_t> linked_;
    std::map<std::string, std::vector<std::vector<std::vector<std::size_t>>>> families_;
};

const json& at(const json& results, const Pointer& pointer) {
    static const json empty;
    return results.contains(pointer) ? results[pointer] : empty;
}

// One categorical or numeric summary (describe_variable): its cells and relations.
struct Description {
    bool numeric = false;
    std::map<std::string, std::size_t> levels;  // categorical: level → cell
    std::size_t denominator = 0;                // categorical: patients with a value; numeric: n
    std::size_t missing = 0;
};

Description describe(Plan& plan, const json& results, const Pointer& summary, const std::string& link = "") {
    Description d;
    const json& s = at(results, summary);
    auto key = [&](const std::string& what) { return link.empty() ? link : link + "|" + what; };
    d.numeric = s.value("type", "") == "numeric";
    d.missing = plan.count_linked(key("missing"), summary / "missing");
    if (d.numeric) {
        d.denominator = plan.count_linked(key("n"), summary / "n");
        for (const char* statistic : {"mean", "sd", "median", "q1", "q3"}) plan.small(d.denominator, summary / statistic);
        plan.always(summary / "min");
        plan.always(summary / "max");
        return d;
    }
    d.denominator = plan.count_linked(key("denominator"), summary / "denominator");
    std::vector<std::size_t> parts;
    const json& levels = s.contains("levels") ? s["levels"] : json::array();
    for (std::size_t l = 0; l < levels.size(); ++l) {
        const Pointer level = summary / "levels" / l;
        const std::size_t cell = plan.count_linked(key("level " + levels[l].value("level", "")), level / "n");
        plan.derived(cell, level / "percent");
        plan.derived(d.denominator, level / "percent");  // n and its percentage give the denominator
        d.levels[levels[l].value("level", "")] = cell;
        parts.push_back(cell);
    }
    plan.sum_with_rest(d.denominator, parts);
    return d;
}

void table1(Plan& plan, const json& results, const Pointer& r, std::size_t population) {
    const json& rows = at(results, r / "rows");
    // The same variable in two tables of the same population counts the same patients.
    const json& result = at(results, r);
    const std::string where = result.contains("population") ? result["population"].dump() : "cohort";
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const Pointer row = r / "rows" / i;
        const Description overall = describe(plan, results, row / "overall", "table1|" + where + "|" + rows[i].value("variable", ""));
        if (!overall.numeric) {
            std::vector<std::vector<std::size_t>> groups;
            for (const auto& [level, cell] : overall.levels) groups.push_back({cell});
            plan.grouping("table1|" + where, groups);
        }
        plan.sum_with_rest(population, {overall.denominator, overall.missing});
        if (!rows[i].contains("by_group")) continue;
        std::map<std::string, Description> groups;
        for (const auto& [group, summary] : rows[i]["by_group"].items()) {
            Description d = describe(plan, results, row / "by_group" / group);
            // The group's size is assumed known (the grouping variable's own counts).
            plan.known_total({d.denominator, d.missing});
            groups[group] = d;
        }
        auto across = [&](std::size_t total, auto cell_of) {
            std::vector<std::size_t> parts;
            for (const auto& [group, d] : groups) {
                if (auto cell = cell_of(d)) parts.push_back(*cell);
            }
            plan.sum_with_rest(total, parts);
        };
        across(overall.denominator, [](const Description& d) { return std::optional<std::size_t>(d.denominator); });
        across(overall.missing, [](const Description& d) { return std::optional<std::size_t>(d.missing); });
        for (const auto& [level, cell] : overall.levels) {
            const auto& wanted = level;  // (a structured binding is not captured by clang 14)
            across(cell, [&](const Description& d) {
                auto found = d.levels.find(wanted);
                return found == d.levels.end() ? std::nullopt : std::optional<std::size_t>(found->second);
            });
        }
        // A standardized difference is computed from every group's cells (each level's count,
        // or the values of a number): withheld with any of them.
        std::vector<std::size_t> group_cells;
        for (const auto& [group, d] : groups) {
            group_cells.push_back(d.denominator);
            for (const auto& [level, cell] : d.levels) group_cells.push_back(cell);
        }
        if (rows[i].contains("smd")) plan.derived(group_cells, row / "smd");
        // The test's table is the by-group counts again (levels × groups, without missing).
        const Pointer comparison = row / "comparison";
        const json& test = at(results, comparison);
        if (overall.numeric && test.is_object()) {
            // A rank test of a number: from the groups' values (their n).
            for (const char* key : {"statistic", "p"}) {
                if (test.contains(key)) plan.derived(group_cells, comparison / key);
            }
            continue;
        }
        if (!test.is_object() || !test.contains("counts")) continue;
        std::vector<std::size_t> cells;
        for (std::size_t a = 0; a < test["counts"].size(); ++a) {
            for (std::size_t b = 0; b < test["counts"][a].size(); ++b) {
                const Pointer count = comparison / "counts" / a / b;
                const std::string level = test["rows"][a], group = test["columns"][b];
                std::size_t cell = 0;
                bool aliased = false;
                if (auto g = groups.find(group); g != groups.end()) {
                    if (auto l = g->second.levels.find(level); l != g->second.levels.end() &&
                                                               plan.value(l->second) == std::lround(test["counts"][a][b].get<double>())) {
                        cell = l->second;
                        plan.alias(cell, count);
                        aliased = true;
                    }
                }
                if (!aliased) cell = plan.count(count);
                cells.push_back(cell);
            }
        }
        for (const char* key : {"/chi_square/statistic", "/chi_square/p", "/fisher_p", "/p"}) plan.derived(cells, comparison / Pointer(key));
    }
}

// Per group of a survival analysis: n and events; a group with either suppressed is
// withheld whole (its curve would show both).
// A group of the same endpoint with the same n, events and median with its CI is the same
// patients (a level of one variable that is also a level of another, such as a setting
// level "relapsed after prior therapy" and a prior-therapy flag = Y): one cell, wherever
// it is shown.
std::vector<std::vector<std::size_t>> survival_groups(Plan& plan, const json& results, const Pointer& list,
                                                    const std::vector<std::string>& statistics,
                                                    std::optional<std::size_t> dropped, std::optional<std::size_t> total,
                                                    const std::string& endpoint = "") {
    const json& groups = at(results, list);
    std::vector<std::size_t> ns, events;
    for (std::size_t g = 0; g < groups.size(); ++g) {
        const Pointer group = list / g;
        std::string key;
        if (!endpoint.empty()) {
            key = "survival|" + endpoint;
            for (const char* field : {"n", "events", "median", "median_lower", "median_upper"}) {
                key += "|" + (groups[g].contains(field) ? groups[g][field].dump() : std::string("-"));
            }
        }
        const std::size_t n = plan.count_linked(key.empty() ? key : key + "|n", group / "n");
        const std::size_t e = plan.count_linked(key.empty() ? key : key + "|events", group / "events");
        plan.alias(e, group / "observed");
        for (const auto& statistic : statistics) {
            plan.derived({n, e}, group / Pointer("/" + statistic));
        }
        ns.push_back(n);
        events.push_back(e);
    }
    if (dropped) ns.push_back(*dropped);
    std::vector<std::vector<std::size_t>> cells;
    for (std::size_t g = 0; g < events.size(); ++g) cells.push_back({ns[g], events[g]});
    if (!endpoint.empty()) plan.grouping("survival|" + endpoint, cells);
    if (dropped) ns.push_back(*dropped);
    if (total) plan.sum_with_rest(*total, ns);
    else plan.known_total(ns);
    plan.known_total(events);
    return cells;
}

void response_block(Plan& plan, const Pointer& block, std::map<std::string, std::size_t>& cells) {
    const std::size_t measurable = plan.count(block / "measurable");
    cells["measurable"] = measurable;
    auto proportion = [&](const Pointer& p, std::size_t cell) {
        plan.alias(measurable, p / "of");
        for (const char* key : {"percent", "lower", "upper"}) {
            plan.derived(cell, p / key);
            plan.derived(measurable, p / key);
        }
    };
    std::vector<std::size_t> levels;
    for (const char* level : {"CR", "PR", "SD", "PD", "NE"}) {
        const Pointer p = block / "best_response" / level;
        const std::size_t cell = plan.count(p / "n");
        proportion(p, cell);
        cells[level] = cell;
        levels.push_back(cell);
    }
    plan.system.add_sum(measurable, levels);
    cells["orr"] = plan.count(block / "orr" / "n");
    proportion(block / "orr", cells["orr"]);
    cells["dcr"] = plan.count(block / "dcr" / "n");
    proportion(block / "dcr", cells["dcr"]);
    plan.alias(cells["CR"], block / "cr_rate" / "n");
    proportion(block / "cr_rate", cells["CR"]);
    plan.system.add_sum(cells["orr"], {cells["CR"], cells["PR"]});
    plan.system.add_sum(cells["dcr"], {cells["orr"], cells["SD"]});
}

void response(Plan& plan, const json& results, const Pointer& r) {
    std::map<std::string, std::size_t> overall;
    response_block(plan, r, overall);
    plan.known_total({overall["measurable"], plan.count(r / "not_measurable")});
    const json& by = at(results, r / "by");
    for (std::size_t b = 0; b < by.size(); ++b) {
        const Pointer variable = r / "by" / b;
        std::vector<std::map<std::string, std::size_t>> levels;
        std::vector<std::size_t> test_cells;
        const json& test = at(results, variable / "orr_test");
        for (std::size_t l = 0; l < by[b]["levels"].size(); ++l) {
            std::map<std::string, std::size_t> cells;
            response_block(plan, variable / "levels" / l, cells);
            levels.push_back(cells);
        }
        for (const auto& [key, total] : overall) {
            std::vector<std::size_t> parts;
            for (auto& level : levels) parts.push_back(level[key]);
            plan.sum_with_rest(total, parts);
        }
        // The test's table: responders and non-responders per level.
        if (test.contains("counts")) {
            for (std::size_t l = 0; l < test["counts"].size() && l < levels.size(); ++l) {
                plan.alias(levels[l]["orr"], variable / "orr_test" / "counts" / l / 0);
                const std::size_t others = plan.count(variable / "orr_test" / "counts" / l / 1);
                plan.system.add_sum(levels[l]["measurable"], {levels[l]["orr"], others});
                test_cells.push_back(levels[l]["orr"]);
                test_cells.push_back(others);
            }
            plan.count(variable / "orr_test" / "dropped");
            for (const char* key : {"/chi_square/statistic", "/chi_square/p", "/fisher_p", "/p"}) {
                plan.derived(test_cells, variable / "orr_test" / Pointer(key));
            }
        }
    }
}

void adverse_events(Plan& plan, const json& results, const Pointer& r) {
    const json& terms = at(results, r / "terms");
    for (std::size_t t = 0; t < terms.size(); ++t) {
        const Pointer term = r / "terms" / t;
        std::map<std::string, std::size_t> cell;
        for (const char* band : {"any", "grade_1_2", "grade_3", "grade_4", "grade_3_4", "grade_5", "grade_3_plus"}) {
            cell[band] = plan.count(term / band / "n");
            plan.derived(cell[band], term / band / "percent");
        }
        plan.system.add_sum(cell["any"], {cell["grade_1_2"], cell["grade_3"], cell["grade_4"], cell["grade_5"]});
        plan.system.add_sum(cell["grade_3_4"], {cell["grade_3"], cell["grade_4"]});
        plan.system.add_sum(cell["grade_3_plus"], {cell["grade_3_4"], cell["grade_5"]});
        if (terms[t].contains("actions") && terms[t]["actions"].is_object()) {
            for (const auto& [action, count] : terms[t]["actions"].items()) plan.count(term / "actions" / action);
        }
    }
}

// A two-way table whose margins a reader may know from other tables.
void two_way(Plan& plan, const json& results, const Pointer& test) {
    const json& counts = at(results, test / "counts");
    std::vector<std::vector<std::size_t>> cells(counts.size());
    std::vector<std::size_t> all;
    for (std::size_t a = 0; a < counts.size(); ++a) {
        for (std::size_t b = 0; b < counts[a].size(); ++b) {
            cells[a].push_back(plan.count(test / "counts" / a / b));
            all.push_back(cells[a].back());
        }
        plan.known_total(cells[a]);
    }
    for (std::size_t b = 0; !cells.empty() && b < cells[0].size(); ++b) {
        std::vector<std::size_t> column;
        for (const auto& row : cells) {
            if (b < row.size()) column.push_back(row[b]);
        }
        plan.known_total(column);
    }
    plan.count(test / "dropped");
    for (const char* key : {"/chi_square/statistic", "/chi_square/p", "/fisher_p", "/p"}) plan.derived(all, test / Pointer(key));
}

void cox(Plan& plan, const Pointer& r) {
    const std::size_t n = plan.count(r / "n");
    plan.count(r / "events");
    plan.known_total({n, plan.count(r / "dropped")});
}

const std::vector<std::string> coefficient_statistics{"coef", "exp_coef", "se", "z", "p", "lower", "upper"};

// A Cox model with its table's rows (results' "terms"): per level of a categorical covariate,
// the patients and events among the model's patients, which add up to the model's n and
// events. A level's hazard ratio compares it with the reference level: it is withheld with
// either's cells, in the multivariable model and in the univariable model of the covariate.
void cox_model(Plan& plan, const json& results, const Pointer& r) {
    const std::size_t n = plan.count(r / "n");
    const std::size_t events = plan.count(r / "events");
    plan.known_total({n, plan.count(r / "dropped")});
    const json& terms = at(results, r / "terms");
    const json& univariable = at(results, r / "univariable");
    for (std::size_t t = 0; t < terms.size(); ++t) {
        const json& levels = terms[t].value("levels", json::array());
        std::optional<std::size_t> single;
        for (std::size_t m = 0; m < univariable.size(); ++m) {
            if (univariable[m].value("covariate", "") == terms[t].value("name", "")) single = m;
        }
        if (single) cox(plan, r / "univariable" / *single);
        if (levels.empty()) continue;
        std::vector<std::size_t> ns, level_events;
        for (std::size_t l = 0; l < levels.size(); ++l) {
            ns.push_back(plan.count(r / "terms" / t / "levels" / l / "n"));
            level_events.push_back(plan.count(r / "terms" / t / "levels" / l / "events"));
        }
        plan.sum_with_rest(n, ns);
        plan.sum_with_rest(events, level_events);
        // The same patients may be a group of a survival analysis of the endpoint (all of
        // them when no row was dropped): where the counts agree, one cell.
        std::vector<std::vector<std::size_t>> groups;
        for (std::size_t l = 0; l < levels.size(); ++l) groups.push_back({ns[l], level_events[l]});
        const json& endpoint = at(results, r / "endpoint");
        plan.grouping("survival|" + (endpoint.is_string() ? endpoint.get<std::string>() : std::string()), groups);
        for (std::size_t l = 1; l < levels.size(); ++l) {
            const std::vector<std::size_t> cells{ns[0], level_events[0], ns[l], level_events[l]};
            if (levels[l].contains("coefficient") && levels[l]["coefficient"].is_number()) {
                const std::size_t k = levels[l]["coefficient"];
                for (const auto& statistic : coefficient_statistics) plan.derived(cells, r / "coefficients" / k / statistic);
            }
            if (single) {
                const Pointer model = r / "univariable" / *single;
                for (const auto& statistic : coefficient_statistics) plan.derived(cells, model / "coefficients" / (l - 1) / statistic);
                // the model's own tests of its one covariate give its p back (the null
                // log-likelihood is every model's of the endpoint, and stays)
                for (const char* statistic : {"/wald", "/lr", "/score", "/loglik/1", "/concordance", "/concordance_se"}) {
                    plan.derived(cells, model / Pointer(statistic));
                }
            }
        }
    }
}

const std::vector<std::string> km_statistics{"median", "median_lower", "median_upper", "median_primary", "median_spss",
                                             "rmst/rmean", "rmst/se", "rmst/lower", "rmst/upper", "curve/rows",
                                             "times_beyond_follow_up"};

// Cumulative incidence with competing events (kind cuminc): per curve (a group, or all
// patients) its patients and per cause its events; the groups' patients with the dropped add
// up to the analysis's and each cause's events over the groups to its total (both taken as
// known: the endpoint's counts are published elsewhere). A cause's curve, final incidence and
// incidence at the times go with its group's cells; the numbers at risk at the times are
// counts of their own; Gray's test goes with any group's cells; the regression models'
// patients and events are a Cox model's.
void cuminc(Plan& plan, const json& results, const Pointer& r) {
    const json& result = at(results, r);
    const json& curves = result.value("curves", json::array());
    std::vector<std::size_t> ns, all;
    std::vector<std::vector<std::size_t>> events_by_cause;
    for (std::size_t c = 0; c < curves.size(); ++c) {
        const Pointer curve = r / "curves" / c;
        std::vector<std::size_t> cells{plan.count(curve / "n")};
        ns.push_back(cells[0]);
        const json& causes = curves[c].value("causes", json::array());
        for (std::size_t k = 0; k < causes.size(); ++k) {
            cells.push_back(plan.count(curve / "causes" / k / "events"));
            if (events_by_cause.size() <= k) events_by_cause.resize(k + 1);
            events_by_cause[k].push_back(cells.back());
        }
        for (std::size_t k = 0; k < causes.size(); ++k) {
            const Pointer cause = curve / "causes" / k;
            plan.derived(cells, cause / "final");
            plan.derived(cells, cause / "curve" / "rows");
            const json& times = causes[k].value("at_times", json::array());
            for (std::size_t j = 0; j < times.size(); ++j) {
                const Pointer at = cause / "at_times" / j;
                plan.count(at / "n_risk");
                for (const char* key : {"n_risk", "incidence", "std_err", "lower", "upper"}) plan.derived(cells, at / key);
            }
        }
        all.insert(all.end(), cells.begin(), cells.end());
    }
    ns.push_back(plan.count(r / "dropped"));
    plan.known_total(ns);
    for (const auto& events : events_by_cause) plan.known_total(events);
    const json& tests = result.value("gray_test", json::array());
    for (std::size_t t = 0; t < tests.size(); ++t) {
        for (const char* key : {"chisq", "p"}) plan.derived(all, r / "gray_test" / t / key);
    }
    if (result.contains("fine_gray")) cox(plan, r / "fine_gray");
    const json& models = result.value("cause_specific", json::array());
    for (std::size_t m = 0; m < models.size(); ++m) cox(plan, r / "cause_specific" / m);
}

// A target trial emulation (kind target_trial): the patients (the dropped making up the
// population; the clones are twice the patients); per arm the clones with follow-up, their
// events and the clones censored at deviation, with the arm's curve, median, RMST and weight
// sums withheld with them and the weights' extremes always (a row's: one patient's); the
// groups "as received", which add up to the patients, with their medians; the hazard ratios,
// differences, bootstrap limits and the censoring model's coefficients with any cell.
void target_trial(Plan& plan, const json& results, const Pointer& r) {
    const std::size_t patients = plan.count(r / "patients");
    plan.known_total({patients, plan.count(r / "dropped")});
    plan.derived(patients, r / "clones");
    const json& result = at(results, r);
    std::vector<std::size_t> all{patients};
    if (result.contains("as_received")) {
        const Pointer naive = r / "as_received";
        std::vector<std::size_t> ns, events;
        for (std::size_t g = 0; g < result["as_received"]["groups"].size(); ++g) {
            const Pointer group = naive / "groups" / g;
            ns.push_back(plan.count(group / "n"));
            events.push_back(plan.count(group / "events"));
            for (const char* key : {"median", "median_lower", "median_upper"}) plan.derived({ns.back(), events.back()}, group / key);
        }
        plan.system.add_sum(patients, ns);
        plan.known_total(events);
        std::vector<std::size_t> cells = ns;
        cells.insert(cells.end(), events.begin(), events.end());
        for (const char* key : {"hr", "lower", "upper", "p"}) plan.derived(cells, naive / "hr" / key);
    }
    const json& arms = result.value("arms", json::array());
    for (std::size_t a = 0; a < arms.size(); ++a) {
        const Pointer arm = r / "arms" / a;
        std::vector<std::size_t> cells;
        for (const char* key : {"clones", "events", "censored_deviation"}) cells.push_back(plan.count(arm / key));
        all.insert(all.end(), cells.begin(), cells.end());
        for (const auto& statistic : km_statistics) plan.derived(cells, arm / "km" / Pointer("/" + statistic));
        for (const char* key : {"at_times", "events", "n"}) plan.derived(cells, arm / "km" / key);
        plan.derived(cells, arm / "rmst");
        for (const char* key : {"rows", "sum", "ess"}) plan.derived(cells, arm / "weights" / key);
        plan.always(arm / "weights" / "min");
        plan.always(arm / "weights" / "max");
    }
    all.push_back(plan.count(r / "weighting" / "truncated_rows"));
    plan.derived(all, r / "weighting" / "rows");  // the arms' rows add up to it
    plan.always(r / "weighting" / "cap");
    const json& coefficients = result.contains("censoring_model") ? result["censoring_model"].value("coefficients", json::array()) : json::array();
    for (std::size_t k = 0; k < coefficients.size(); ++k) {
        for (const char* key : {"coef", "se", "z", "p"}) plan.derived(all, r / "censoring_model" / "coefficients" / k / key);
    }
    for (const char* key : {"hr", "lower", "upper", "p", "log_hr", "robust_se"}) plan.derived(all, r / "hr" / key);
    for (const char* key : {"rr", "e_value", "e_value_limit", "risk_at_end", "outcome"}) plan.derived(all, r / "hr" / "e_value" / key);
    if (result.contains("differences")) {
        for (std::size_t k = 0; k < result["differences"].value("at_times", json::array()).size(); ++k) {
            plan.derived(all, r / "differences" / "at_times" / k / "surv_difference");
        }
        plan.derived(all, r / "differences" / "rmst_difference");
    }
    if (result.contains("bootstrap")) {
        const Pointer boot = r / "bootstrap";
        for (const char* key : {"hr_lower", "hr_upper", "rmst_difference_lower", "rmst_difference_upper"}) plan.derived(all, boot / key);
        for (std::size_t k = 0; k < result["bootstrap"].value("surv_difference", json::array()).size(); ++k) {
            for (const char* key : {"lower", "upper"}) plan.derived(all, boot / "surv_difference" / k / key);
        }
    }
}

// A confounding-adjusted comparison (kind iptw): the patients of the comparison (n, with the
// dropped making up the population) in two groups, each with its events, unadjusted and
// weighted (the same patients unless trimming left some out: then cells of their own). A
// group's medians, curve, weights and the hazard ratio are withheld with its cells; the
// balance table's group means of a 0/1 covariate are counts over the group's size and the
// weights' extremes are single patients', so they are withheld whatever the counts.
// A matched comparison (kind ps_match) is laid out the same way, with "matched" for
// "weighted" and the unmatched patients for the trimmed ones.
void iptw(Plan& plan, const json& results, const Pointer& r, bool matched = false) {
    const char* adjusted = matched ? "matched" : "weighted";
    const Pointer left_out_at = matched ? r / "matching" : r / "weighting";
    const char* left_out_key = matched ? "unmatched" : "trimmed";
    const std::string by_group = std::string(left_out_key) + "_by_group";
    const std::string left_out_events = std::string(left_out_key) + "_events";
    const std::size_t n = plan.count(r / "n");
    plan.known_total({n, plan.count(r / "dropped")});
    const json& result = at(results, r);
    if (!result.value("estimable", true)) {  // one group or none: the counts alone
        plan.system.add_sum(n, {plan.count(r / "controls"), plan.count(r / "treated")});
        return;
    }
    std::vector<std::vector<std::size_t>> previous;  // the unadjusted groups' cells
    std::vector<std::size_t> model_n, model_events;  // each Cox model's patients and events
    std::optional<std::size_t> trimmed_total;
    std::vector<std::size_t> trimmed_events;
    for (const char* name : {"unadjusted", adjusted}) {
        const Pointer analysis = r / name;
        const json& strata = at(results, analysis / "strata");
        std::vector<std::vector<std::size_t>> groups;
        for (std::size_t g = 0; g < strata.size(); ++g) {
            const Pointer group = analysis / "strata" / g;
            std::vector<std::size_t> cells;
            for (const char* key : {"n", "events"}) {
                const std::size_t k = cells.size();
                const json& value = at(results, group / key);
                if (g < previous.size() && value.is_number() && plan.value(previous[g][k]) == std::lround(value.get<double>())) {
                    plan.alias(previous[g][k], group / key);
                    cells.push_back(previous[g][k]);
                } else {
                    cells.push_back(plan.count(group / key));
                }
            }
            for (const auto& statistic : km_statistics) plan.derived(cells, group / Pointer("/" + statistic));
            for (const char* key : {"weighted_n", "weighted_events"}) plan.derived(cells, group / key);
            groups.push_back(cells);
        }
        if (groups.size() == 2 && !previous.empty() && previous.size() == 2) {
            // unadjusted = weighted + trimmed, per group, in patients and in events
            std::vector<std::size_t> trimmed;
            for (std::size_t g = 0; g < 2; ++g) {
                const Pointer left_out = left_out_at / Pointer("/" + by_group) / (g == 1 ? "treated" : "control");
                const std::size_t out_n = plan.count(left_out / "n");
                const std::size_t out_events = plan.count(left_out / "events");
                trimmed_events.push_back(out_events);
                if (groups[g][0] != previous[g][0]) plan.system.add_sum(previous[g][0], {groups[g][0], out_n});
                if (groups[g][1] != previous[g][1]) plan.system.add_sum(previous[g][1], {groups[g][1], out_events});
                plan.alias(groups[g][0], r / "weights" / (g == 1 ? "treated" : "control") / "n_weighted");
                trimmed.push_back(out_n);
            }
            trimmed_total = plan.count(left_out_at / left_out_key);
            plan.system.add_sum(*trimmed_total, trimmed);
        }
        if (groups.size() == 2) {
            if (previous.empty()) {
                plan.system.add_sum(n, {groups[0][0], groups[1][0]});
                plan.alias(groups[0][0], r / "controls");
                plan.alias(groups[1][0], r / "treated");
                plan.alias(groups[0][0], r / "weights" / "control" / "n");
                plan.alias(groups[1][0], r / "weights" / "treated" / "n");
            } else {
                plan.known_total({groups[0][0], groups[1][0]});
            }
            plan.known_total({groups[0][1], groups[1][1]});
            const std::vector<std::size_t> all{groups[0][0], groups[0][1], groups[1][0], groups[1][1]};
            // the model's patients and events: the two groups'
            model_n.push_back(plan.count(analysis / "hazard_ratio" / "n"));
            model_events.push_back(plan.count(analysis / "hazard_ratio" / "events"));
            plan.system.add_sum(model_n.back(), {groups[0][0], groups[1][0]});
            plan.system.add_sum(model_events.back(), {groups[0][1], groups[1][1]});
            for (const auto& statistic : coefficient_statistics) plan.derived(all, analysis / "hazard_ratio" / statistic);
            plan.derived(all, analysis / "hazard_ratio" / "robust_se");
            // matched sets (clusters of the robust variance): one per matched treated patient
            if (at(results, analysis / "hazard_ratio").contains("clusters")) plan.alias(groups[1][0], analysis / "hazard_ratio" / "clusters");
            for (const char* key : {"rr", "e_value", "e_value_limit", "risk_at_end", "outcome"}) {
                plan.derived(all, analysis / "hazard_ratio" / "e_value" / key);
            }
            if (std::string(name) == "weighted" && result.contains("differences")) {
                // the weighted curves' survival, restricted means and their differences
                const json& differences = result["differences"];
                const Pointer at = r / "differences";
                for (std::size_t k = 0; k < differences.value("survival", json::array()).size(); ++k) {
                    for (const char* key : {"treated", "control", "difference", "lower", "upper"}) plan.derived(all, at / "survival" / k / key);
                }
                for (const char* key : {"treated", "control", "difference", "lower", "upper"}) plan.derived(all, at / "rmst" / key);
            }
            if (previous.empty()) {
                for (const char* group : {"treated", "control"}) {
                    const std::size_t cell = groups[std::string(group) == "treated" ? 1 : 0][0];
                    for (const char* key : {"sum", "ess"}) plan.derived(cell, r / "weights" / group / key);
                    plan.always(r / "weights" / group / "min");
                    plan.always(r / "weights" / group / "max");
                }
            }
        }
        if (previous.empty()) previous = groups;
    }
    // the patients (and events) of the unadjusted model are the weighted model's and those
    // trimmed: stated as such, so that the totals cannot give back the number trimmed
    if (trimmed_total && model_n.size() == 2 && trimmed_events.size() == 2) {
        plan.system.add_sum(model_n[0], {model_n[1], *trimmed_total});
        plan.system.add_sum(n, {model_n[1], *trimmed_total});
        const std::size_t events_trimmed = plan.count(left_out_at / Pointer("/" + left_out_events));
        plan.system.add_sum(events_trimmed, {trimmed_events[0], trimmed_events[1]});
        plan.system.add_sum(model_events[0], {model_events[1], events_trimmed});
    }
    const json& balance = result.value("balance", json::array());
    for (std::size_t k = 0; k < balance.size(); ++k) {
        if (!balance[k].value("binary", false)) continue;
        for (const char* key : {"mean_treated", "mean_control", "mean_treated_adjusted", "mean_control_adjusted"}) {
            plan.always(r / "balance" / k / key);
        }
    }
}

}  // namespace

json suppress_results(const json& results, long threshold, bool patient_level_datasets) {
    if (threshold <= 1) {
        if (patient_level_datasets) return results;
        json out = results;
        out["disclosure_control"] = {{"threshold", threshold}, {"patient_level_datasets", false}};
        return out;
    }
    Plan plan(results);
    // The cohort: registry → criteria → cohort (the attrition), shared by every analysis
    // of the whole cohort.
    std::optional<std::size_t> cohort;
    if (results.contains("cohort") && results["cohort"].contains("n")) {
        cohort = plan.count(Pointer("/cohort/n"));
        plan.system.cells[*cohort].keep = true;
    }
    const json& analyses = results.contains("analyses") ? results["analyses"] : json::array();
    auto population = [&](const Pointer& r, const json& result) -> std::size_t {
        const Pointer n = r / "n";
        if (!result.contains("population") && cohort && result.contains("n") && result["n"].is_number() &&
            std::lround(result["n"].get<double>()) == plan.value(*cohort)) {
            plan.alias(*cohort, n);
            return *cohort;
        }
        const std::size_t cell = plan.count(n);
        plan.alias(cell, r / "population" / "n");
        plan.system.cells[cell].keep = true;
        return cell;
    };
    for (std::size_t i = 0; i < analyses.size(); ++i) {
        const Pointer r = Pointer("/analyses") / i / "result";
        const json& result = analyses[i].contains("result") ? analyses[i]["result"] : json::object();
        const std::string kind = analyses[i].value("kind", "");
        if (!suppression_covers(kind)) {
            throw Error(ErrorKind::internal, "small-cell suppression does not cover analyses of kind " + kind);
        }
        if (kind == "attrition") {
            const json& steps = at(results, r / "steps");
            std::optional<std::size_t> before;
            for (std::size_t j = 0; j < steps.size(); ++j) {
                const Pointer step = r / "steps" / j;
                std::size_t remaining;
                if (j + 1 == steps.size() && cohort && plan.value(*cohort) == std::lround(steps[j].value("remaining", -1.0))) {
                    remaining = *cohort;
                    plan.alias(remaining, step / "remaining");
                } else {
                    remaining = plan.count(step / "remaining");
                }
                if (j == 0) {
                    if (results.contains("registry") && results["registry"].value("patients", -1L) == plan.value(remaining)) {
                        plan.alias(remaining, Pointer("/registry/patients"));
                    }
                } else {
                    plan.system.add_sum(*before, {plan.count(step / "excluded"), remaining});
                }
                before = remaining;
            }
            if (result.contains("n")) population(r, result);
        } else if (kind == "table1") {
            table1(plan, results, r, population(r, result));
        } else if (kind == "followup") {
            plan.count(r / "observed" / "n");
            plan.always(r / "observed" / "min");
            plan.always(r / "observed" / "max");
        } else if (kind == "km") {
            if (result.contains("population")) plan.count(r / "population" / "n");
            const std::size_t dropped = plan.count(r / "dropped");
            const auto group_cells = survival_groups(plan, results, r / "strata", km_statistics, dropped, std::nullopt,
                                                     result.value("endpoint", "") + (result.contains("population") ? result["population"].dump() : ""));
            const json& strata = at(results, r / "strata");
            for (std::size_t s = 0; s < strata.size(); ++s) {
                const json& times = strata[s].value("at_times", json::array());
                for (std::size_t k = 0; k < times.size(); ++k) {
                    const Pointer at = r / "strata" / s / "at_times" / k;
                    plan.count(at / "n_risk");
                    for (const char* key : {"n_risk", "surv", "std_err", "lower", "upper"}) plan.derived(group_cells[s], at / key);
                }
            }
        } else if (kind == "logrank") {
            const json& tests = at(results, r / "tests");
            for (std::size_t t = 0; t < tests.size(); ++t) {
                const Pointer test = r / "tests" / t;
                survival_groups(plan, results, test / "groups", {"median", "median_lower", "median_upper", "median_primary", "expected"},
                                plan.count(test / "dropped"), std::nullopt, tests[t].value("endpoint", ""));
            }
        } else if (kind == "response") {
            response(plan, results, r);
        } else if (kind == "adverse_events") {
            population(r, result);
            adverse_events(plan, results, r);
        } else if (kind == "association") {
            const json& tests = at(results, r / "tests");
            for (std::size_t t = 0; t < tests.size(); ++t) two_way(plan, results, r / "tests" / t);
        } else if (kind == "cox") {
            cox_model(plan, results, r);
        } else if (kind == "iptw") {
            iptw(plan, results, r);
        } else if (kind == "ps_match") {
            iptw(plan, results, r, true);
        } else if (kind == "target_trial") {
            target_trial(plan, results, r);
        } else if (kind == "cuminc") {
            cuminc(plan, results, r);
        } else if (kind == "landmark") {
            const json& list = at(results, r / "results");
            for (std::size_t e = 0; e < list.size(); ++e) {
                const Pointer endpoint = r / "results" / e;
                const std::size_t at_risk = plan.count(endpoint / "at_risk_at_landmark");
                plan.known_total({at_risk, plan.count(endpoint / "excluded_before_landmark")});
                survival_groups(plan, results, endpoint / "strata", {"median", "median_lower", "median_upper"}, std::nullopt, at_risk);
                if (list[e].contains("cox")) cox(plan, endpoint / "cox");
                if (list[e].contains("time_dependent_cox")) cox(plan, endpoint / "time_dependent_cox");
            }
        }
    }

    plan.add_unions();
    const SuppressionCounts counts = suppress_cells(plan.system, threshold);
    std::size_t withheld = 0;
    json out = plan.apply(withheld);

    // The curve of a group that is published: while fewer than `threshold` patients are at
    // risk (its tail), the counts of a step are withheld; the step itself stays, as in the figure.
    for (std::size_t i = 0; i < analyses.size(); ++i) {
        const std::string kind = analyses[i].value("kind", "");
        if (kind != "km" && kind != "iptw" && kind != "ps_match" && kind != "target_trial" && kind != "cuminc") continue;
        json& result = out["analyses"][i]["result"];
        std::vector<json*> curves;  // the objects holding a "curve"
        // (a comparison that is not estimable has neither part: none is made here)
        auto strata_of = [&](const char* part) {
            if (result.contains(part) && result[part].contains("strata")) {
                for (auto& stratum : result[part]["strata"]) curves.push_back(&stratum);
            }
        };
        if (kind == "km") {
            for (auto& stratum : result["strata"]) curves.push_back(&stratum);
        } else if (kind == "iptw" || kind == "ps_match") {
            strata_of("unadjusted");
            strata_of(kind == "iptw" ? "weighted" : "matched");
        } else if (kind == "cuminc" && result.contains("curves")) {
            for (auto& curve : result["curves"]) {
                for (auto& cause : curve["causes"]) curves.push_back(&cause);
            }
        } else if (result.contains("arms")) {  // weighted clones at risk: withheld as patients would be
            for (auto& arm : result["arms"]) {
                if (arm.contains("km") && arm["km"].is_object()) curves.push_back(&arm["km"]);
            }
        }
        for (json* holder : curves) {
            json& stratum = *holder;
            if (!stratum.contains("curve") || !stratum["curve"].is_object() || !stratum["curve"]["rows"].is_array()) continue;
            for (auto& row : stratum["curve"]["rows"]) {
                if (row.size() < 4 || !row[1].is_number() || row[1].get<double>() >= static_cast<double>(threshold)) continue;
                for (std::size_t column = 1; column <= 3; ++column) row[column] = suppressed_value;
            }
        }
    }
    // A comparison with the published study shows our figure again: withheld when it is one
    // of the values withheld from the analysis.
    for (std::size_t i = 0; i < analyses.size(); ++i) {
        if (!analyses[i].contains("comparison")) continue;
        const std::vector<double> secrets = plan.secrets(Pointer("/analyses") / i);
        if (secrets.empty()) continue;
        for (auto& row : out["analyses"][i]["comparison"]) {
            bool secret = false;
            for (const char* key : {"ours", "ours_lower", "ours_upper", "ours_n", "ours_of"}) {
                if (!row.contains(key) || !row[key].is_number()) continue;
                const double value = row[key].get<double>();
                secret |= std::any_of(secrets.begin(), secrets.end(), [&](double s) {
                    return std::fabs(s - value) <= 1e-12 * std::max(1.0, std::fabs(value));
                });
            }
            if (!secret) continue;
            for (const char* key : {"ours", "ours_lower", "ours_upper", "ours_n", "ours_of", "verdict"}) {
                if (row.contains(key)) row[key] = suppressed_value;
            }
            ++withheld;
        }
    }
    out["disclosure_control"] = {
        {"threshold", threshold},
        {"rule", "counts from 1 to " + std::to_string(threshold - 1) +
                     " suppressed (primary), and further cells so that none can be derived by subtraction "
                     "(complementary); statistics of a suppressed count withheld with it"},
        {"marker", suppressed_value},
        {"primary", counts.primary},
        {"complementary", counts.complementary},
        {"unprotected", counts.unprotected},
        {"values_withheld", withheld},
        {"patient_level_datasets", patient_level_datasets}};
    return out;
}

}  // namespace rwe::report
