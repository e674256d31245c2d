// Small-cell suppression (docs/report.md, "Small-cell suppression"): primary and
// complementary suppression on hand-worked tables, each attacked by an exhaustive search of
// every integer assignment of the suppressed cells that the published cells and the
// relations allow (an attacker independent of the bounds the suppression itself uses).
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <random>
#include <set>

#include "rwe/report/disclosure_control.hpp"

namespace rwe::report {
namespace {

using nlohmann::json;

// Values each suppressed cell can take, by depth-first search over integer values 0..limit
// of the suppressed cells, keeping the assignments that satisfy every relation (a value
// forced by a relation whose other cells are set is the only one tried). With `enough`, the
// search stops once every cell has two values: enough to show that none is recovered.
std::map<std::size_t, std::set<long>> feasible_values(const CellSystem& system, long limit, bool enough = false) {
    std::vector<std::size_t> unknown;
    for (std::size_t cell = 0; cell < system.cells.size(); ++cell) {
        if (system.cells[cell].suppressed) unknown.push_back(cell);
    }
    std::vector<long> value(system.cells.size());
    std::vector<bool> assigned(system.cells.size(), true);
    for (std::size_t cell = 0; cell < system.cells.size(); ++cell) value[cell] = system.cells[cell].value;
    for (std::size_t cell : unknown) assigned[cell] = false;
    std::map<std::size_t, std::set<long>> out;
    auto consistent = [&]() {
        for (const auto& relation : system.relations) {
            long parts = 0;
            bool complete = assigned[relation.total];
            for (std::size_t part : relation.parts) {
                if (assigned[part]) parts += value[part];
                else complete = false;
            }
            if (assigned[relation.total] && parts > value[relation.total]) return false;
            if (complete && parts != value[relation.total]) return false;
        }
        return true;
    };
    bool done = false;
    auto forced = [&](std::size_t cell, long& v) {
        for (const auto& relation : system.relations) {
            bool member = relation.total == cell, others_set = relation.total == cell || assigned[relation.total];
            long parts = 0;
            for (std::size_t part : relation.parts) {
                if (part == cell) member = true;
                else if (assigned[part]) parts += value[part];
                else others_set = false;
            }
            if (!member || !others_set) continue;
            v = relation.total == cell ? parts : value[relation.total] - parts;
            return true;
        }
        return false;
    };
    std::function<void(std::size_t)> search = [&](std::size_t k) {
        if (done) return;
        if (k == unknown.size()) {
            for (std::size_t cell : unknown) out[cell].insert(value[cell]);
            done = enough && std::all_of(unknown.begin(), unknown.end(), [&](std::size_t cell) { return out[cell].size() > 1; });
            return;
        }
        long only = 0;
        const bool is_forced = forced(unknown[k], only);
        for (long v = is_forced ? only : 0; v <= (is_forced ? only : limit); ++v) {
            if (v < 0 || v > limit) continue;
            value[unknown[k]] = v;
            assigned[unknown[k]] = true;
            if (consistent()) search(k + 1);
            assigned[unknown[k]] = false;
        }
    };
    search(0);
    return out;
}

std::set<std::size_t> suppressed(const CellSystem& system) {
    std::set<std::size_t> out;
    for (std::size_t cell = 0; cell < system.cells.size(); ++cell) {
        if (system.cells[cell].suppressed) out.insert(cell);
    }
    return out;
}

TEST(ReportDisclosure, AdverseEventGradesAreComplementary) {
    // One term, small_cell = 10: grade 1–2 = 20, grade 3 = 12, grade 4 = 1, grade 5 = 0,
    // any = 33, grade 3–4 = 13, grade ≥ 3 = 13. Suppressing grade 4 alone leaves
    // grade 3–4 − grade 3 = 13 − 12 = 1. The smallest non-zero cell published in a relation of
    // grade 4 is grade 3 (12; the others are 13, 20, 33 and the zero of grade 5): with both
    // suppressed, grade 3 + grade 4 = 13 and any − grade 1–2 − grade 5 = 13 are all a reader
    // has, and grade 4 may be anything from 0 to 13.
    CellSystem system;
    const auto g12 = system.add(20), g3 = system.add(12), g4 = system.add(1), g5 = system.add(0);
    const auto any = system.add(33), g34 = system.add(13), g3plus = system.add(13);
    system.add_sum(any, {g12, g3, g4, g5});
    system.add_sum(g34, {g3, g4});
    system.add_sum(g3plus, {g34, g5});
    const auto counts = suppress_cells(system, 10);
    EXPECT_EQ(counts.primary, 1u);
    EXPECT_EQ(counts.complementary, 1u);
    EXPECT_EQ(counts.unprotected, 0u);
    EXPECT_EQ(suppressed(system), (std::set<std::size_t>{g3, g4}));
    const auto values = feasible_values(system, 40);
    EXPECT_EQ(values.at(g4).size(), 14u);  // 0..13
    EXPECT_EQ(*values.at(g4).begin(), 0);
    EXPECT_EQ(*values.at(g4).rbegin(), 13);
    const auto range = feasible_ranges(system);
    EXPECT_EQ(range[g4].lower, 0);
    EXPECT_EQ(range[g4].upper, 13);
}

TEST(ReportDisclosure, PrimarySuppressionAloneIsRecovered) {
    // The attacker of these tests finds the leak of the old rule: grade 4 alone suppressed.
    CellSystem system;
    const auto g3 = system.add(12), g4 = system.add(1), g34 = system.add(13);
    system.add_sum(g34, {g3, g4});
    system.cells[g4].suppressed = true;
    const auto values = feasible_values(system, 40);
    EXPECT_EQ(values.at(g4), (std::set<long>{1}));
    EXPECT_EQ(feasible_ranges(system)[g4].upper, 1);
    EXPECT_EQ(feasible_ranges(system)[g4].lower, 1);
}

TEST(ReportDisclosure, ZeroIsShownAndThresholdOneSuppressesNothing) {
    CellSystem system;
    const auto a = system.add(0), b = system.add(4), total = system.add(4);
    system.add_sum(total, {a, b});
    CellSystem off = system;
    EXPECT_EQ(suppress_cells(off, 1).primary, 0u);
    EXPECT_TRUE(suppressed(off).empty());
    EXPECT_EQ(suppress_cells(off, 0).primary, 0u);
    // b = 4 < 5 and its total 4 < 5: both primary, the zero shown; b = total − 0 with both
    // unknown gives neither.
    const auto counts = suppress_cells(system, 5);
    EXPECT_EQ(counts.primary, 2u);
    EXPECT_EQ(counts.complementary, 0u);
    EXPECT_EQ(counts.unprotected, 0u);
    EXPECT_EQ(suppressed(system), (std::set<std::size_t>{b, total}));
    EXPECT_EQ(system.cells[a].suppressed, false);
    EXPECT_GT(feasible_values(system, 10).at(b).size(), 1u);
}

TEST(ReportDisclosure, KnownTotalsAreNeverSuppressed) {
    // A 2 × 2 table whose margins a reader knows (from other tables): 3 | 17 / 15 | 25.
    // 3 is primary; its row and column each need a second suppressed cell, and so does the
    // cell diagonally opposite: all four, none recoverable, the margins untouched.
    CellSystem system;
    const auto a = system.add(3), b = system.add(17), c = system.add(15), d = system.add(25);
    const auto row1 = system.add(20, true), row2 = system.add(40, true), col1 = system.add(18, true), col2 = system.add(42, true);
    system.add_sum(row1, {a, b});
    system.add_sum(row2, {c, d});
    system.add_sum(col1, {a, c});
    system.add_sum(col2, {b, d});
    const auto counts = suppress_cells(system, 5);
    EXPECT_EQ(counts.unprotected, 0u);
    EXPECT_EQ(suppressed(system), (std::set<std::size_t>{a, b, c, d}));
    for (const auto& [cell, values] : feasible_values(system, 60)) EXPECT_GT(values.size(), 1u) << cell;
}

TEST(ReportDisclosure, RandomTablesResistTheExhaustiveAttack) {
    // 2 × 3 tables with row, column and grand totals published (not known: they may be
    // suppressed too), counts 0..7, threshold 4.
    std::mt19937 random(20240601);
    std::uniform_int_distribution<long> count(0, 7);
    int attacked = 0;
    for (int trial = 0; trial < 150; ++trial) {
        CellSystem system;
        std::size_t cell[2][3];
        for (auto& row : cell)
            for (auto& c : row) c = system.add(count(random));
        std::vector<std::size_t> rows, columns;
        long grand = 0;
        for (auto& row : cell) {
            const long sum = system.cells[row[0]].value + system.cells[row[1]].value + system.cells[row[2]].value;
            rows.push_back(system.add(sum));
            system.add_sum(rows.back(), {row[0], row[1], row[2]});
            grand += sum;
        }
        for (int j = 0; j < 3; ++j) {
            columns.push_back(system.add(system.cells[cell[0][j]].value + system.cells[cell[1][j]].value));
            system.add_sum(columns.back(), {cell[0][j], cell[1][j]});
        }
        const auto total = system.add(grand);
        system.add_sum(total, rows);
        system.add_sum(total, columns);
        const auto counts = suppress_cells(system, 4);
        ASSERT_EQ(counts.unprotected, 0u) << "trial " << trial;
        if (suppressed(system).empty()) continue;
        ++attacked;
        for (const auto& [c, values] : feasible_values(system, grand, true)) {
            EXPECT_GT(values.size(), 1u) << "trial " << trial << ": cell " << c << " recovered";
        }
        for (std::size_t c = 0; c < system.cells.size(); ++c) {
            const long v = system.cells[c].value;
            if (v > 0 && v < 4) EXPECT_TRUE(system.cells[c].suppressed) << "trial " << trial;
        }
    }
    EXPECT_GT(attacked, 100);
}

json table1_results(double level_y) {
    // A cohort of 40; a Table 1 of one yes/no variable: Y = level_y, N = 40 − level_y.
    const double n = 40 - level_y;
    return {{"cohort", {{"n", 40}}},
            {"protocol", {{"small_cell", 11}}},
            {"analyses",
             {{{"id", "table1"},
               {"kind", "table1"},
               {"result",
                {{"n", 40},
                 {"rows",
                  {{{"variable", "BRAIN"},
                    {"label", "Brain metastases"},
                    {"overall",
                     {{"type", "categorical"},
                      {"levels", {{{"level", "N"}, {"n", n}, {"percent", 100 * n / 40}}, {{"level", "Y"}, {"n", level_y}, {"percent", 100 * level_y / 40}}}},
                      {"missing", 0},
                      {"denominator", 40}}}}}}}},
               {"comparison", {{{"quantity", "BRAIN = Y (%)"}, {"ours", 100 * level_y / 40}, {"ours_n", level_y}, {"published", 10}}}}}}}};
}

TEST(ReportDisclosure, ResultsAreSuppressedWithTheirPercentages) {
    // BRAIN Y = 8 of 40 with small_cell = 11: Y is primary; N = 32 is the only cell of the
    // level relation (denominator 40 = N + Y) smaller than the denominator, so it goes too;
    // the denominator (= the cohort) stays. Both percentages and the comparison are withheld.
    const json out = suppress_results(table1_results(8), 11, false);
    const json& overall = out["analyses"][0]["result"]["rows"][0]["overall"];
    EXPECT_EQ(overall["levels"][1]["n"], suppressed_value);
    EXPECT_EQ(overall["levels"][1]["percent"], suppressed_value);
    EXPECT_EQ(overall["levels"][0]["n"], suppressed_value);
    EXPECT_EQ(overall["levels"][0]["percent"], suppressed_value);
    EXPECT_EQ(overall["denominator"], 40);
    EXPECT_EQ(out["cohort"]["n"], 40);
    EXPECT_EQ(out["analyses"][0]["comparison"][0]["ours"], suppressed_value);
    EXPECT_EQ(out["analyses"][0]["comparison"][0]["ours_n"], suppressed_value);
    EXPECT_EQ(out["analyses"][0]["comparison"][0]["published"], 10);
    EXPECT_EQ(out["disclosure_control"]["threshold"], 11);
    EXPECT_EQ(out["disclosure_control"]["primary"], 1);
    EXPECT_EQ(out["disclosure_control"]["complementary"], 1);
    EXPECT_EQ(out["disclosure_control"]["patient_level_datasets"], false);
    EXPECT_EQ(out.dump().find("\"n\":8"), std::string::npos);
}

TEST(ReportDisclosure, NothingChangesWithoutAThreshold) {
    const json in = table1_results(8);
    EXPECT_EQ(suppress_results(in, 0, true), in);
    EXPECT_EQ(suppress_results(in, 1, true), in);
    // 20 and 20 are above the threshold: nothing to suppress, only the record of the pass.
    json wide = table1_results(20);
    json out = suppress_results(wide, 11, true);
    EXPECT_EQ(out["disclosure_control"]["primary"], 0);
    out.erase("disclosure_control");
    EXPECT_EQ(out, wide);
}

json categorical(const std::vector<std::pair<std::string, double>>& levels, double missing) {
    json out{{"type", "categorical"}, {"levels", json::array()}, {"missing", missing}};
    double denominator = 0;
    for (const auto& [level, n] : levels) denominator += n;
    for (const auto& [level, n] : levels) out["levels"].push_back({{"level", level}, {"n", n}, {"percent", 100 * n / denominator}});
    out["denominator"] = denominator;
    return out;
}

TEST(ReportDisclosure, TheSamePatientsInAnotherVariableAreOneValue) {
    // Cohort of 60, small_cell = 5. Variable A: a1 = 3, a2 = 39, not applicable 18.
    // Variable B counts the same patients another way: x = 3 (the patients of a1), w = 39
    // (those of a2), v = 18. A alone: a1 is primary and a2 (39 < denominator 42) its
    // complement. B alone: x is primary and v (18, the smallest non-zero) its complement,
    // leaving w = 39 shown — and then a1 = 42 − w = 3. The counts say a2 may be w, so w is
    // suppressed too (and, as v = 60 − 42 would then be recovered, more cells after it).
    json results = {{"cohort", {{"n", 60}}},
                     {"analyses",
                      {{{"id", "t"},
                        {"kind", "table1"},
                        {"result",
                         {{"n", 60},
                          {"rows",
                           {{{"variable", "A"}, {"overall", categorical({{"a1", 3}, {"a2", 39}}, 18)}},
                            {{"variable", "B"}, {"overall", categorical({{"x", 3}, {"w", 39}, {"v", 18}}, 0)}}}}}}}}}};
    const json out = suppress_results(results, 5, false);
    const json& a = out["analyses"][0]["result"]["rows"][0]["overall"];
    const json& b = out["analyses"][0]["result"]["rows"][1]["overall"];
    EXPECT_EQ(a["levels"][0]["n"], suppressed_value);
    EXPECT_EQ(a["levels"][1]["n"], suppressed_value);
    EXPECT_EQ(b["levels"][0]["n"], suppressed_value);
    EXPECT_EQ(b["levels"][1]["n"], suppressed_value);  // w: without it, a1 = 42 − 39
    EXPECT_EQ(out["disclosure_control"]["unprotected"], 0);
}

TEST(ReportDisclosure, ExtremesOfNumericSummariesAreWithheld) {
    json results = {{"cohort", {{"n", 40}}},
                    {"analyses",
                     {{{"id", "t"},
                       {"kind", "table1"},
                       {"result",
                        {{"n", 40},
                         {"rows",
                          {{{"variable", "AGE"},
                            {"overall",
                             {{"type", "numeric"}, {"n", 37}, {"missing", 3}, {"mean", 55.5}, {"sd", 9.0}, {"median", 56.0},
                              {"q1", 48.0}, {"q3", 63.0}, {"min", 26.0}, {"max", 88.0}}}}}}}}}}}};
    const json out = suppress_results(results, 5, false);
    const json& o = out["analyses"][0]["result"]["rows"][0]["overall"];
    // min and max are one patient's age each; missing = 3 is primary and n = 37 its complement
    // (40 = n + missing). A summary of 37 patients is shown; of fewer than 5 it would not be.
    EXPECT_EQ(o["min"], suppressed_value);
    EXPECT_EQ(o["max"], suppressed_value);
    EXPECT_EQ(o["missing"], suppressed_value);
    EXPECT_EQ(o["n"], suppressed_value);
    EXPECT_EQ(o["median"], 56.0);
    EXPECT_EQ(o["q1"], 48.0);
    EXPECT_EQ(out["cohort"]["n"], 40);
    results["analyses"][0]["result"]["rows"][0]["overall"]["n"] = 4;
    results["analyses"][0]["result"]["rows"][0]["overall"]["missing"] = 36;
    const json small = suppress_results(results, 5, false);
    EXPECT_EQ(small["analyses"][0]["result"]["rows"][0]["overall"]["median"], suppressed_value);
    EXPECT_EQ(small["analyses"][0]["result"]["rows"][0]["overall"]["sd"], suppressed_value);
}

}  // namespace
}  // namespace rwe::report
