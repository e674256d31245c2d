#include "rwe/stats/fisher_exact_test.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <numeric>
#include <span>
#include <unordered_map>

#include "rwe/common/error.hpp"

namespace rwe::stats {

namespace {

constexpr double not_available = std::numeric_limits<double>::quiet_NaN();
constexpr double infinity = std::numeric_limits<double>::infinity();

std::vector<double> log_factorials(std::size_t n) {
    std::vector<double> table(n + 1, 0.0);
    for (std::size_t k = 2; k <= n; ++k) table[k] = std::lgamma(static_cast<double>(k) + 1.0);
    return table;
}

// ---------------------------------------------------------------------------------------
// 2 x 2: x = x_11 given row 1 total k, column totals m and n has the (noncentral, odds
// ratio ψ = e^θ) hypergeometric distribution on lo..hi, lo = max(0, k − n), hi = min(k, m):
//   P(x = u) ∝ C(m, u) C(n, k − u) ψ^u.
class NoncentralHypergeometric {
  public:
    NoncentralHypergeometric(long m, long n, long k)
        : lo_(std::max(0L, k - n)), hi_(std::min(k, m)) {
        const auto lf = log_factorials(static_cast<std::size_t>(m + n));
        for (long u = lo_; u <= hi_; ++u) {
            log_central_.push_back(lf[m] - lf[u] - lf[m - u] + lf[n] - lf[k - u] - lf[n - k + u]);
        }
    }
    long lo() const { return lo_; }
    long hi() const { return hi_; }

    // Probabilities over lo..hi at log odds ratio θ, normalised to sum to 1.
    std::vector<double> density(double theta) const {
        std::vector<double> d(log_central_.size());
        for (std::size_t i = 0; i < d.size(); ++i) {
            d[i] = log_central_[i] +
                   (theta == 0 ? 0.0 : theta * static_cast<double>(lo_ + static_cast<long>(i)));
        }
        const double top = *std::max_element(d.begin(), d.end());
        double sum = 0;
        for (auto& value : d) {
            value = std::exp(value - top);
            sum += value;
        }
        for (auto& value : d) value /= sum;
        return d;
    }
    double mean(double theta) const {
        const auto d = density(theta);
        double mean = 0;
        for (std::size_t i = 0; i < d.size(); ++i)
            mean += static_cast<double>(lo_ + static_cast<long>(i)) * d[i];
        return mean;
    }
    double lower_tail(long q, double theta) const {  // P(X ≤ q)
        const auto d = density(theta);
        double sum = 0;
        for (long u = lo_; u <= std::min(q, hi_); ++u) sum += d[static_cast<std::size_t>(u - lo_)];
        return sum;
    }
    double upper_tail(long q, double theta) const {  // P(X ≥ q)
        const auto d = density(theta);
        double sum = 0;
        for (long u = std::max(q, lo_); u <= hi_; ++u) sum += d[static_cast<std::size_t>(u - lo_)];
        return sum;
    }

  private:
    long lo_;
    long hi_;
    std::vector<double> log_central_;
};

// Root in θ of an increasing function f(θ) = target, by bracketing and bisection to full
// double precision (a monotone, smooth function of θ; no derivative needed).
double solve_increasing(const std::function<double(double)>& f, double target) {
    double a = -1;
    double b = 1;
    while (f(a) > target && a > -745) a *= 2;
    while (f(b) < target && b < 745) b *= 2;
    for (int iteration = 0; iteration < 400; ++iteration) {
        const double mid = 0.5 * (a + b);
        if (mid <= a || mid >= b) break;
        (f(mid) < target ? a : b) = mid;
    }
    return 0.5 * (a + b);
}

FisherExactTest fisher_two_by_two(const ContingencyTable& table,
                                  const FisherExactOptions& options) {
    FisherExactTest result;
    result.method = "2x2 hypergeometric";
    result.conf_level = options.conf_level;
    const auto x = static_cast<long>(table.count(0, 0));
    const auto m = static_cast<long>(table.col_totals[0]);
    const auto n = static_cast<long>(table.col_totals[1]);
    const auto k = static_cast<long>(table.row_totals[0]);
    const NoncentralHypergeometric distribution(m, n, k);
    const long lo = distribution.lo();
    const long hi = distribution.hi();

    const auto d = distribution.density(0.0);
    const double observed = d[static_cast<std::size_t>(x - lo)] * (1 + options.relative_tolerance);
    double p = 0;
    for (double value : d) {
        if (value <= observed) p += value;
    }
    result.p = std::min(1.0, p);

    // Conditional MLE: E_ψ(X) = x (Fisher 1935); 0 or ∞ at the ends of the support.
    if (lo == hi) {
        result.odds_ratio = result.lower = result.upper = not_available;
        result.messages.push_back("only one table has these margins: the odds ratio is undefined");
        return result;
    }
    const auto as_odds = [](double theta) { return std::exp(theta); };
    if (x == lo) {
        result.odds_ratio = 0;
    } else if (x == hi) {
        result.odds_ratio = infinity;
    } else {
        result.odds_ratio = as_odds(solve_increasing(
            [&](double theta) { return distribution.mean(theta); }, static_cast<double>(x)));
    }
    // Exact interval (Cornfield 1956): each tail at (1 − level)/2.
    const double alpha = (1 - options.conf_level) / 2;
    result.lower =
        x == lo ? 0.0
                : as_odds(solve_increasing(
                      [&](double theta) { return distribution.upper_tail(x, theta); }, alpha));
    result.upper =
        x == hi ? infinity
                : as_odds(solve_increasing(
                      [&](double theta) { return -distribution.lower_tail(x, theta); }, -alpha));
    return result;
}

// ---------------------------------------------------------------------------------------
// r x c network (docs/methods.md §3.3). Stage s allocates column s; a node is the sorted
// vector of remaining row totals. A path's value is Σ −log x_ij! over the columns allocated
// so far ("past"); a completion's value is the same sum over the remaining columns ("future").
// A table counts when past + future ≤ log-value of the observed table + log(1 + tol).

struct KeyHash {
    std::size_t operator()(const std::vector<int>& key) const noexcept {
        std::size_t hash = 1469598103934665603ULL;
        for (int value : key) {
            hash ^=
                static_cast<std::size_t>(value) + 0x9e3779b97f4a7c15ULL + (hash << 6) + (hash >> 2);
        }
        return hash;
    }
};

struct StepLimitReached {};

class Network {
  public:
    Network(std::vector<int> row_totals, std::vector<int> col_totals, double max_steps)
        : rows_(std::move(row_totals)),
          cols_(std::move(col_totals)),
          max_steps_(max_steps),
          memo_(cols_.size()) {
        const int n = std::accumulate(cols_.begin(), cols_.end(), 0);
        lf_ = log_factorials(static_cast<std::size_t>(n));
        suffix_log_col_.assign(cols_.size() + 1, 0.0);
        for (std::size_t s = cols_.size(); s-- > 0;) {
            suffix_log_col_[s] = suffix_log_col_[s + 1] + lf_[static_cast<std::size_t>(cols_[s])];
        }
    }

    double steps() const { return steps_; }
    double log_factorial(int k) const { return lf_[static_cast<std::size_t>(k)]; }

    // Calls visit(child, −Σ log x_i!) for every allocation x of column `stage` within rem,
    // child being the sorted remaining row totals. Not re-entrant (shared buffers): visit
    // must not enumerate allocations itself.
    template <class Visit>
    void for_each_allocation(const std::vector<int>& rem, int stage, Visit&& visit) {
        const std::size_t r = rem.size();
        suffix_.assign(r + 1, 0);  // Σ rem over rows ≥ i: the most later rows can absorb
        for (std::size_t i = r; i-- > 0;) suffix_[i] = suffix_[i + 1] + rem[i];
        child_.assign(rem.begin(), rem.end());
        place(0, cols_[static_cast<std::size_t>(stage)], 0.0, rem, visit);
    }

    // Range [low, high] of completion values from a node. Exact at the last stage; before
    // it, relaxations that keep one set of margins and drop the other: spreading a total as
    // evenly as its caps allow maximises −Σ log x!, piling it into the largest caps minimises
    // it, so each relaxation bounds the true range. Loose bounds only cost speed: undecided
    // paths are expanded, and the last stage is exact.
    std::pair<double, double> bounds(std::size_t stage, const std::vector<int>& rem) {
        if (stage + 1 == cols_.size()) {
            double value = 0;
            for (int x : rem) value -= lf_[static_cast<std::size_t>(x)];
            return {value, value};
        }
        auto& memo = memo_[stage];
        if (auto it = memo.find(rem); it != memo.end()) return it->second;
        if (stage + 2 == cols_.size() && rem.size() <= 10) {
            const auto range = two_column_range(rem, cols_[stage]);
            memo.emplace(rem, range);
            return range;
        }
        const std::span<const int> later(cols_.data() + stage, cols_.size() - stage);
        double high_by_col = 0;
        double low_by_col = 0;
        for (int total : later) {
            high_by_col += spread(total, rem);
            low_by_col += pile(total, rem);
        }
        double high_by_row = 0;
        double low_by_row = 0;
        for (int total : rem) {
            high_by_row += spread(total, later);
            low_by_row += pile(total, later);
        }
        const std::pair<double, double> range{std::max(low_by_col, low_by_row),
                                              std::min(high_by_col, high_by_row)};
        memo.emplace(rem, range);
        return range;
    }

    // log Σ over completions of Π 1/x_ij! = log( N! / (Π rem_i! Π_{s' ≥ s} c_s'!) ).
    double log_total(std::size_t stage, const std::vector<int>& rem) const {
        int remaining = 0;
        double value = 0;
        for (int x : rem) {
            remaining += x;
            value -= lf_[static_cast<std::size_t>(x)];
        }
        return value + lf_[static_cast<std::size_t>(remaining)] - suffix_log_col_[stage];
    }

    std::size_t stages() const { return cols_.size(); }

    // One unit of work; past the limit the enumeration stops (StepLimitReached).
    void step() {
        if (++steps_ > max_steps_) throw StepLimitReached{};
    }

  private:
    template <class Visit>
    void place(std::size_t row, int left, double value, const std::vector<int>& rem, Visit& visit) {
        if (row + 1 == rem.size()) {
            child_[row] = rem[row] - left;
            step();
            key_.assign(child_.begin(), child_.end());
            std::sort(key_.begin(), key_.end());
            visit(key_, value - lf_[static_cast<std::size_t>(left)]);
            return;
        }
        const int low = std::max(0, left - suffix_[row + 1]);
        const int high = std::min(rem[row], left);
        for (int x = low; x <= high; ++x) {
            child_[row] = rem[row] - x;
            place(row + 1, left - x, value - lf_[static_cast<std::size_t>(x)], rem, visit);
        }
    }

    // Exact range when two columns remain: the completion value is Σ_i g_i(x_i) with
    // g_i(x) = −log x! − log(rem_i − x)!, concave, over Σ x_i = first, 0 ≤ x_i ≤ rem_i.
    // The maximum is reached by adding units one at a time where the marginal gain
    // log((rem_i − x_i)/(x_i + 1)) is largest; the minimum of a concave function lies at a
    // vertex: every x_i at 0 or rem_i except at most one.
    std::pair<double, double> two_column_range(const std::vector<int>& rem, int first) {
        const std::size_t r = rem.size();
        const auto g = [&](std::size_t i, int x) {
            return -lf_[static_cast<std::size_t>(x)] - lf_[static_cast<std::size_t>(rem[i] - x)];
        };
        // The two columns are symmetric: allocate units to the smaller one.
        int total = 0;
        for (int value : rem) total += value;
        const bool mirror = first > total - first;
        const int units = mirror ? total - first : first;
        std::vector<int> x(r, 0);
        for (int unit = 0; unit < units; ++unit) {
            std::size_t best = r;
            double best_ratio = -1;  // (rem_i − x_i)/(x_i + 1), compared without the log
            for (std::size_t i = 0; i < r; ++i) {
                if (x[i] >= rem[i]) continue;
                const double ratio =
                    static_cast<double>(rem[i] - x[i]) / static_cast<double>(x[i] + 1);
                if (ratio > best_ratio) {
                    best_ratio = ratio;
                    best = i;
                }
            }
            ++x[best];
        }
        if (mirror) {
            for (std::size_t i = 0; i < r; ++i) x[i] = rem[i] - x[i];
        }
        double high = 0;
        for (std::size_t i = 0; i < r; ++i) high += g(i, x[i]);

        double low = infinity;
        for (std::uint32_t full = 0; full < (1u << r); ++full) {
            int used = 0;
            for (std::size_t i = 0; i < r; ++i) {
                if (full & (1u << i)) used += rem[i];
            }
            if (used > first) continue;
            const int left = first - used;
            double base = 0;
            for (std::size_t i = 0; i < r; ++i) base += g(i, (full & (1u << i)) ? rem[i] : 0);
            if (left == 0) {
                low = std::min(low, base);
                continue;
            }
            for (std::size_t j = 0; j < r; ++j) {  // the one variable strictly inside its range
                if ((full & (1u << j)) || left > rem[j]) continue;
                low = std::min(low, base - g(j, 0) + g(j, left));
            }
        }
        return {low, high};
    }

    // max −Σ log x_i! over Σ x_i = total, 0 ≤ x_i ≤ caps_i: water-filling (−log x! is concave).
    double spread(int total, std::span<const int> caps) {
        scratch_.assign(caps.begin(), caps.end());
        std::sort(scratch_.begin(), scratch_.end());
        double value = 0;
        int left = total;
        for (std::size_t i = 0; i < scratch_.size(); ++i) {
            const int share_count = static_cast<int>(scratch_.size() - i);
            if (scratch_[i] * share_count <= left) {
                value -= lf_[static_cast<std::size_t>(scratch_[i])];
                left -= scratch_[i];
                continue;
            }
            const int base = left / share_count;
            const int extra = left % share_count;  // this many get base + 1
            value -= extra * lf_[static_cast<std::size_t>(base + 1)] +
                     (share_count - extra) * lf_[static_cast<std::size_t>(base)];
            return value;
        }
        return value;
    }
    // min −Σ log x_i! over the same set: fill the largest caps first (log x! is convex).
    double pile(int total, std::span<const int> caps) {
        scratch_.assign(caps.begin(), caps.end());
        std::sort(scratch_.begin(), scratch_.end(), std::greater<>());
        double value = 0;
        int left = total;
        for (int cap : scratch_) {
            const int x = std::min(cap, left);
            value -= lf_[static_cast<std::size_t>(x)];
            left -= x;
            if (left == 0) break;
        }
        return value;
    }

    std::vector<int> rows_;
    std::vector<int> cols_;
    double max_steps_;
    double steps_ = 0;
    std::vector<double> lf_;
    std::vector<double> suffix_log_col_;
    std::vector<int> scratch_;
    std::vector<int> suffix_;
    std::vector<int> child_;
    std::vector<int> key_;
    std::vector<std::unordered_map<std::vector<int>, std::pair<double, double>, KeyHash>> memo_;
};

// Paths whose past values agree to 1e-9 share one entry: `mass` = Σ exp(past_i − reference),
// so merging loses nothing in the sum.
struct PastGroup {
    double reference;
    double mass;
};
// Paths reaching one node, appended unsorted and compacted (sorted, near-equal merged) when
// the list doubles, so memory stays near the number of distinct past values.
struct PastGroups {
    std::vector<PastGroup> groups;
    std::size_t compacted = 0;
};
using Level = std::unordered_map<std::vector<int>, PastGroups, KeyHash>;

// log(e^a + e^b) without overflow.
double log_add(double a, double b) {
    if (a < b) std::swap(a, b);
    if (b == -infinity) return a;
    return a + std::log1p(std::exp(b - a));
}

// Sorts by past value and merges values within 1e-9 of a group's first one.
void compact(PastGroups& paths) {
    auto& groups = paths.groups;
    std::sort(groups.begin(), groups.end(),
              [](const PastGroup& a, const PastGroup& b) { return a.reference < b.reference; });
    std::size_t kept = 0;
    for (std::size_t i = 0; i < groups.size(); ++i) {
        if (kept > 0 && groups[i].reference - groups[kept - 1].reference <= 1e-9) {
            groups[kept - 1].mass +=
                groups[i].mass * std::exp(groups[i].reference - groups[kept - 1].reference);
        } else {
            groups[kept++] = groups[i];
        }
    }
    groups.resize(kept);
    paths.compacted = kept;
}

void add_past(PastGroups& paths, double past, double mass) {
    paths.groups.push_back(PastGroup{past, mass});
    if (paths.groups.size() >= 2 * paths.compacted + 4096) compact(paths);
}

}  // namespace

FisherExactTest fisher_exact_network(const ContingencyTable& input,
                                     const FisherExactOptions& options) {
    FisherExactTest result;
    result.method = "network enumeration";
    result.conf_level = options.conf_level;
    result.odds_ratio = result.lower = result.upper = not_available;

    // Empty rows and columns have no effect on the conditional distribution; dropping them
    // keeps the network small. Rows are the shorter side: fewer rows, fewer nodes.
    const ContingencyTable table = drop_empty_margins(input);
    if (table.rows < 2 || table.cols < 2) {
        result.p = 1;
        result.messages.push_back(
            "only one table has these margins (fewer than 2 non-empty rows "
            "or columns): p = 1");
        return result;
    }
    const bool transpose = table.rows > table.cols;
    const std::size_t r = transpose ? table.cols : table.rows;
    const std::size_t c = transpose ? table.rows : table.cols;
    const auto cell = [&](std::size_t i, std::size_t j) {
        return static_cast<int>(transpose ? table.count(j, i) : table.count(i, j));
    };
    std::vector<int> row_totals(r, 0);
    std::vector<int> col_totals(c, 0);
    for (std::size_t i = 0; i < r; ++i) {
        for (std::size_t j = 0; j < c; ++j) {
            row_totals[i] += cell(i, j);
            col_totals[j] += cell(i, j);
        }
    }
    // Largest columns first: the widest branching happens where pruning has most to gain.
    std::sort(col_totals.begin(), col_totals.end(), std::greater<>());

    Network network(row_totals, col_totals, options.max_steps);
    double observed = 0;
    for (std::size_t i = 0; i < r; ++i) {
        for (std::size_t j = 0; j < c; ++j) observed -= network.log_factorial(cell(i, j));
    }
    const double limit = observed + std::log1p(options.relative_tolerance);
    const int n = std::accumulate(row_totals.begin(), row_totals.end(), 0);
    double log_constant = -network.log_factorial(n);
    for (int total : row_totals) log_constant += network.log_factorial(total);
    for (int total : col_totals) log_constant += network.log_factorial(total);

    double p = 0;
    try {
        std::vector<int> start(row_totals);
        std::sort(start.begin(), start.end());
        Level current;
        add_past(current[start], 0.0, 1.0);
        // Each node's paths are sorted by past value; for a child reached with value v, the
        // paths with past ≤ limit − v − high(child) count with all their completions (a prefix:
        // one cumulative log-sum), those with past > limit − v − low(child) count with none,
        // and only the window between goes on to the child. The last stage is exact
        // (low = high), so no window reaches it.
        std::vector<double> references;
        std::vector<double> cumulative;  // cumulative[k] = log Σ_{i<k} mass_i e^{reference_i}
        for (std::size_t stage = 0; stage + 1 < network.stages(); ++stage) {
            Level next;
            for (auto& [rem, paths] : current) {
                compact(paths);
                const auto& sorted = paths.groups;
                references.clear();
                cumulative.assign(1, -infinity);
                for (const auto& group : sorted) {
                    references.push_back(group.reference);
                    cumulative.push_back(
                        log_add(cumulative.back(), std::log(group.mass) + group.reference));
                }
                network.for_each_allocation(
                    rem, static_cast<int>(stage), [&](const std::vector<int>& child, double value) {
                        const auto [low, high] = network.bounds(stage + 1, child);
                        const auto all = static_cast<std::size_t>(
                            std::upper_bound(references.begin(), references.end(),
                                             limit - value - high) -
                            references.begin());
                        const auto some = static_cast<std::size_t>(
                            std::upper_bound(references.begin(), references.end(),
                                             limit - value - low) -
                            references.begin());
                        if (all > 0) {
                            p += std::exp(log_constant + cumulative[all] + value +
                                          network.log_total(stage + 1, child));
                        }
                        if (some > all) {
                            auto& child_groups = next[child];
                            for (std::size_t k = all; k < some; ++k) {
                                network.step();
                                add_past(child_groups, sorted[k].reference + value, sorted[k].mass);
                            }
                        }
                    });
            }
            current = std::move(next);
        }
    } catch (const StepLimitReached&) {
        result.p = not_available;
        result.steps = network.steps();
        result.messages.push_back("exact enumeration stopped after " +
                                  std::to_string(static_cast<long long>(options.max_steps)) +
                                  " steps: the table is too large for Fisher's exact test; use "
                                  "the chi-squared test");
        return result;
    }
    result.steps = network.steps();
    result.p = std::min(1.0, p);
    return result;
}

FisherExactTest fisher_exact_test(const ContingencyTable& table,
                                  const FisherExactOptions& options) {
    if (table.total <= 0) {
        FisherExactTest result;
        result.p = result.odds_ratio = result.lower = result.upper = not_available;
        result.conf_level = options.conf_level;
        result.method = "none";
        result.messages.push_back("the table has no counts");
        return result;
    }
    if (table.rows < 2 || table.cols < 2) {
        FisherExactTest result;
        result.p = result.odds_ratio = result.lower = result.upper = not_available;
        result.conf_level = options.conf_level;
        result.method = "none";
        result.messages.push_back("the table has " + std::to_string(table.rows) + " row(s) and " +
                                  std::to_string(table.cols) +
                                  " column(s): a test of independence needs at least 2 of each");
        return result;
    }
    if (table.rows == 2 && table.cols == 2) return fisher_two_by_two(table, options);
    return fisher_exact_network(table, options);
}

}  // namespace rwe::stats
