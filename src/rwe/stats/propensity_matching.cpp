// Nearest-neighbour matching on the propensity score (docs/methods.md §8.3).
#include "rwe/stats/propensity_matching.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace rwe::stats {

namespace {

// The controls nearest to unit `focus`, scanning outwards from its place in the units
// sorted by distance: one step to the left, one to the right, and so on (a side stops at
// its end, beyond the caliper, after `wanted` finds, or when `wanted` finds are already
// strictly nearer than its next control). Of the finds, the `wanted` nearest; equal
// distances go to the control found first. This is the scan MatchIt's C++ code does, so
// that ties resolve the same way: in a later round of matching without replacement the
// scan starts from the span of the unit and its earlier matches, and skips controls nearer
// than the farthest of those (they were all taken when the earlier matches were made).
std::vector<std::size_t> nearest_controls(std::size_t focus, const std::vector<std::size_t>& by_distance,
                                          const std::vector<std::size_t>& place, const std::vector<double>& distance,
                                          const std::vector<double>& treated, const std::vector<bool>& eligible,
                                          std::size_t wanted, double caliper, const std::vector<std::size_t>& earlier = {}) {
    struct Found {
        std::size_t unit;
        double gap;
    };
    std::vector<Found> found;
    const double here = distance[focus];
    std::size_t left = place[focus], right = place[focus];
    double least_gap = 0;
    if (!earlier.empty()) {
        for (std::size_t unit : earlier) {
            left = std::min(left, place[unit]);
            right = std::max(right, place[unit]);
        }
        const double gap_left = std::abs(here - distance[by_distance[left]]);
        const double gap_right = std::abs(here - distance[by_distance[right]]);
        least_gap = left == place[focus] ? gap_right : (right == place[focus] ? gap_left : std::max(gap_left, gap_right));
    }
    std::size_t found_left = 0, found_right = 0;
    bool left_done = false, right_done = false, go_left = false;
    while (!left_done || !right_done) {
        go_left = left_done ? false : (right_done ? true : !go_left);
        std::size_t candidate;
        if (go_left) {
            if (left == 0 || found_left == wanted) {
                left_done = true;
                continue;
            }
            candidate = by_distance[--left];
        } else {
            if (right + 1 >= by_distance.size() || found_right == wanted) {
                right_done = true;
                continue;
            }
            candidate = by_distance[++right];
        }
        if (!eligible[candidate] || treated[candidate] == 1) continue;
        const double gap = std::abs(here - distance[candidate]);
        const auto stop_side = [&] { (go_left ? left_done : right_done) = true; };
        if (gap > caliper) {
            stop_side();
            continue;
        }
        if (gap < least_gap) continue;
        if (found.size() >= wanted) {
            const auto nearer = std::count_if(found.begin(), found.end(), [&](const Found& f) { return f.gap < gap; });
            if (static_cast<std::size_t>(nearer) >= wanted) {
                stop_side();
                continue;
            }
        }
        found.push_back({candidate, gap});
        if (go_left ? ++found_left == wanted : ++found_right == wanted) stop_side();
    }
    std::stable_sort(found.begin(), found.end(), [](const Found& a, const Found& b) { return a.gap < b.gap; });
    if (found.size() > wanted) found.resize(wanted);
    std::vector<std::size_t> units;
    for (const auto& f : found) units.push_back(f.unit);
    return units;
}

}  // namespace

Matching nearest_neighbour_matching(const std::vector<double>& treated, const std::vector<double>& distance,
                                    const MatchingOptions& options) {
    const std::size_t n = distance.size();
    Matching out;
    for (std::size_t unit = 0; unit < n; ++unit) {
        if (treated[unit] == 1) out.treated_units.push_back(unit);
    }
    const std::size_t n_treated = out.treated_units.size();
    out.matches.assign(n_treated, {});
    out.weight.assign(n, 0.0);

    // The caliper in distance units: caliper * sd(distance) over all units (MatchIt,
    // std.caliper = TRUE); without one, wider than any gap.
    double caliper = std::numeric_limits<double>::infinity();
    out.caliper_distance = std::numeric_limits<double>::quiet_NaN();
    if (options.caliper > 0 && n > 1) {
        const double mean = std::accumulate(distance.begin(), distance.end(), 0.0) / static_cast<double>(n);
        double squares = 0;
        for (double d : distance) squares += (d - mean) * (d - mean);
        caliper = options.caliper * std::sqrt(squares / static_cast<double>(n - 1));
        out.caliper_distance = caliper;
    }

    // Units sorted by distance (ties in data order, as R's order()), and each unit's place.
    std::vector<std::size_t> by_distance(n), place(n);
    std::iota(by_distance.begin(), by_distance.end(), 0);
    std::stable_sort(by_distance.begin(), by_distance.end(),
                     [&](std::size_t a, std::size_t b) { return distance[a] < distance[b]; });
    for (std::size_t position = 0; position < n; ++position) place[by_distance[position]] = position;

    // The order treated units are matched in (R's order(), stable, decreasing for "largest").
    std::vector<std::size_t> order(n_treated);
    std::iota(order.begin(), order.end(), 0);
    if (options.order != MatchOrder::data) {
        const bool largest = options.order == MatchOrder::largest;
        std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            const double da = distance[out.treated_units[a]], db = distance[out.treated_units[b]];
            return largest ? da > db : da < db;
        });
    }

    std::vector<bool> eligible(n, true);
    if (options.replace) {
        // Every control stays available: each treated unit takes its k nearest at once.
        for (std::size_t i : order) {
            out.matches[i] = nearest_controls(out.treated_units[i], by_distance, place, distance, treated, eligible,
                                              options.ratio, caliper);
        }
    } else {
        // k rounds: in each, every treated unit still in play takes its nearest control left;
        // one without a match in the first round is unmatched; a control is used once.
        std::size_t controls_left = n - n_treated;
        std::vector<bool> in_play(n_treated, true);
        for (std::size_t round = 1; round <= options.ratio; ++round) {
            for (std::size_t i : order) {
                if (controls_left == 0) break;
                if (!in_play[i]) continue;
                const auto nearest = nearest_controls(out.treated_units[i], by_distance, place, distance, treated,
                                                      eligible, 1, caliper, out.matches[i]);
                if (nearest.empty()) {
                    if (round == 1) in_play[i] = false;
                    continue;
                }
                out.matches[i].push_back(nearest.front());
                eligible[nearest.front()] = false;
                --controls_left;
            }
        }
    }

    // MatchIt's weights (ATT): 1 for a matched treated unit; each control 1/(number of
    // controls in the set) summed over the sets it is in, then the controls' weights scaled
    // to sum to the number of matched controls.
    for (std::size_t i = 0; i < n_treated; ++i) {
        if (out.matches[i].empty()) {
            ++out.unmatched_treated;
            continue;
        }
        ++out.matched_treated;
        out.weight[out.treated_units[i]] += 1;
        for (std::size_t control : out.matches[i]) out.weight[control] += 1.0 / static_cast<double>(out.matches[i].size());
    }
    double control_sum = 0;
    for (std::size_t unit = 0; unit < n; ++unit) {
        if (treated[unit] != 1 && out.weight[unit] > 0) {
            ++out.matched_controls;
            control_sum += out.weight[unit];
        }
    }
    if (control_sum > 0) {
        const double scale = static_cast<double>(out.matched_controls) / control_sum;
        for (std::size_t unit = 0; unit < n; ++unit) {
            if (treated[unit] != 1) out.weight[unit] *= scale;
        }
    }
    return out;
}

}  // namespace rwe::stats
