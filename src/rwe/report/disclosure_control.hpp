#pragma once
// Statistical disclosure control of a study's results: small counts are suppressed
// (primary suppression), and further cells are suppressed so that no suppressed count can
// be derived from what is published by subtraction over the results' linear relations
// (complementary suppression). One pass over results.json before anything is written, so
// that results.json, the report page, the CSV and XLSX tables and the figures agree.
// docs/report.md, "Small-cell suppression".

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace rwe::report {

// What replaces a suppressed count, and every statistic derived from one, in results.json.
inline const std::string suppressed_value = "suppressed";
// What a table cell shows in its place (explained in a footnote).
inline const std::string suppressed_cell = "S";

// Non-negative integer cells tied by additive relations (total = sum of parts), as
// published. A `known` cell is one an attacker is assumed to know from elsewhere (a group
// size, a margin of another table); it is never suppressed.
struct CellSystem {
    struct Cell {
        long value = 0;
        bool known = false;
        bool suppressed = false;
        bool primary = false;  // suppressed for its own size, not as a complement
        bool keep = false;     // a total the tables stand on (a cohort size): a complement only when nothing else will do
    };
    struct Relation {
        std::size_t total;
        std::vector<std::size_t> parts;
    };
    std::vector<Cell> cells;
    std::vector<Relation> relations;

    std::size_t add(long value, bool known = false);
    // total = sum of parts; a relation of fewer than two parts says nothing new and is kept anyway.
    void add_sum(std::size_t total, std::vector<std::size_t> parts);
};

// What can be concluded about each cell from the published cells (their values), the known
// cells and the relations, a suppressed cell being only known to be ≥ 0: bounds propagated
// through every relation to a fixed point (lower = upper means the cell is recovered).
struct CellRange {
    double lower = 0;
    double upper = 0;  // +infinity when unbounded
};
std::vector<CellRange> feasible_ranges(const CellSystem& system);

struct SuppressionCounts {
    std::size_t primary = 0;
    std::size_t complementary = 0;
    std::size_t unprotected = 0;  // suppressed cells still recoverable (none expected; reported)
};

// Primary suppression of every cell (not known) with 1 ≤ value < threshold, then
// complementary suppression until no suppressed cell can be recovered from the relations
// (its feasible range spans two values or more). threshold ≤ 1: nothing.
SuppressionCounts suppress_cells(CellSystem& system, long threshold);

// results.json with every count 1..threshold−1 and every cell needed to protect one replaced
// by `suppressed_value`, the statistics derived from them too, and a top-level
// "disclosure_control" entry describing what was done. threshold ≤ 1: returned unchanged.
nlohmann::json suppress_results(const nlohmann::json& results, long threshold, bool patient_level_datasets);

// True when `value` is the suppression marker.
bool is_suppressed(const nlohmann::json& value);

// True when suppress_results knows the relations of this analysis kind's results. A
// protocol with small_cell set is refused when it has an analysis of another kind (its
// counts would be published as they are); suppress_results throws on one.
bool suppression_covers(const std::string& kind);

}  // namespace rwe::report
