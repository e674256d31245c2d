#include "rwe/stats/cox_concordance.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <optional>
#include <system_error>
#include <thread>
#include <unordered_map>

#include "rwe/common/error.hpp"

namespace rwe::stats {

namespace {

// Weighted counts by linear-predictor rank. Two levels, so that the tree stays in cache
// when there are millions of distinct ranks: a Fenwick tree over blocks of 32 ranks, and
// the counts per rank, summed within the block (one contiguous read).
class Fenwick {
public:
    // Blocks only pay off once the tree no longer fits in cache.
    explicit Fenwick(std::size_t size)
        : shift(size > (std::size_t{1} << 18) ? 5 : 0),
          tree_((size >> shift) + 2, 0.0),
          point_(size + (std::size_t{1} << shift), 0.0) {}
    void add(std::size_t rank, double w) {
        total_ += w;
        point_[rank] += w;
        for (std::size_t i = (rank >> shift) + 1; i < tree_.size(); i += i & (~i + 1)) tree_[i] += w;
    }
    // Sum over ranks < rank.
    double below(std::size_t rank) const {
        const std::size_t block = rank >> shift;
        double s = 0;
        for (std::size_t i = block; i > 0; i -= i & (~i + 1)) s += tree_[i];
        // four independent partial sums: the additions do not wait on each other
        double s4[4] = {0, 0, 0, 0};
        std::size_t r = block << shift;
        for (; r + 4 <= rank; r += 4) {
            s4[0] += point_[r];
            s4[1] += point_[r + 1];
            s4[2] += point_[r + 2];
            s4[3] += point_[r + 3];
        }
        for (; r < rank; ++r) s4[0] += point_[r];
        return s + ((s4[0] + s4[1]) + (s4[2] + s4[3]));
    }
    double total() const { return total_; }
    double at(std::size_t rank) const { return point_[rank]; }
    const double* point(std::size_t rank) const { return point_.data() + rank; }
    // Brings the counts that add() and below() read for `rank` into cache ahead of use.
    void prefetch(std::size_t rank) const {
        const double* first = point_.data() + ((rank >> shift) << shift);
        const double* last = point_.data() + rank;
        for (const double* a = first; a < last; a += 8) __builtin_prefetch(a, 1);
        __builtin_prefetch(last, 1);
    }
    void clear() {
        std::fill(tree_.begin(), tree_.end(), 0.0);
        std::fill(point_.begin(), point_.end(), 0.0);
        total_ = 0;
    }
    // After removing every weight: drop rounding residue of the scalar totals.
    void reset_totals() { total_ = 0; }

private:
    std::size_t shift;
    std::vector<double> tree_;
    std::vector<double> point_;
    double total_ = 0;
};

// Ranks by a hash table of the distinct values when there are few of them (discrete
// covariates): two sequential passes and a sort of the distinct values only. The table
// starts small and doubles as values arrive, so that it stays in cache while the values
// are few. False when the values are too many (or NaN): the caller sorts them all.
bool distinct_ranks(const std::vector<double>& values, std::vector<std::uint32_t>& rank, std::size_t& m) {
    const std::size_t n = values.size();
    constexpr std::size_t sample = 16384;
    if (n >= 8 * sample) {
        // nearly all of a leading sample distinct: too many values for the table
        std::vector<double> head(values.begin(), values.begin() + sample);
        std::sort(head.begin(), head.end());
        const auto distinct = static_cast<std::size_t>(std::unique(head.begin(), head.end()) - head.begin());
        if (distinct * 20 > sample * 19) return false;
    }
    constexpr std::size_t max_capacity = std::size_t{1} << 21;  // 32 MB of slots at most
    struct Slot {
        std::uint64_t key;
        std::uint64_t rank;  // ~0: empty
    };
    constexpr std::uint64_t empty = ~std::uint64_t{0};
    std::size_t capacity = 4096;
    int bits = 12;
    std::vector<Slot> table(capacity, Slot{0, empty});
    std::vector<double> distinct;
    auto key_of = [](double v) {
        std::uint64_t key;
        const double canonical = v == 0 ? 0.0 : v;  // -0 ranks with +0
        std::memcpy(&key, &canonical, sizeof key);
        return key;
    };
    auto slot_of = [&](std::uint64_t key) -> Slot& {
        std::size_t h = static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ull) >> (64 - bits));
        while (table[h].rank != empty && table[h].key != key) h = (h + 1) & (capacity - 1);
        table[h].key = key;
        return table[h];
    };
    for (std::size_t i = 0; i < n; ++i) {
        const double v = values[i];
        if (std::isnan(v)) return false;
        // mostly distinct values early on: give up before filling the table
        if ((i & 0xffff) == 0xffff && distinct.size() * 2 > i) return false;
        Slot& slot = slot_of(key_of(v));
        if (slot.rank != empty) continue;
        slot.rank = 0;
        distinct.push_back(v == 0 ? 0.0 : v);
        if (distinct.size() * 2 > capacity) {
            if (capacity == max_capacity) return false;
            capacity *= 2;
            ++bits;
            table.assign(capacity, Slot{0, empty});
            for (const double d : distinct) slot_of(key_of(d)).rank = 0;
        }
    }
    std::sort(distinct.begin(), distinct.end());
    for (std::size_t k = 0; k < distinct.size(); ++k) slot_of(key_of(distinct[k])).rank = k;
    rank.resize(n);
    for (std::size_t i = 0; i < n; ++i) rank[i] = static_cast<std::uint32_t>(slot_of(key_of(values[i])).rank);
    m = distinct.size();
    return true;
}

struct Split {
    double below = 0, equal = 0, above = 0;
};

}  // namespace

CoxConcordance cox_concordance(const detail::CoxPrepared& data,
                               const std::vector<double>& linear_predictor) {
    const std::size_t n = data.n;
    CoxConcordance out;
    // Ranks of the linear predictor (exact ties share a rank, as R's match(unique)).
    // 32-bit ranks: half the memory traffic of the sweeps
    if (n > std::numeric_limits<std::uint32_t>::max()) {
        throw Error(ErrorKind::internal, "concordance: more than 2^32 rows");
    }
    std::vector<std::uint32_t> rank;
    std::size_t m = 0;
    if (!distinct_ranks(linear_predictor, rank, m)) {
        rank.assign(n, 0);
        const std::vector<std::size_t> order = detail::radix_order_descending(linear_predictor);
        for (std::size_t k = n; k-- > 0;) {
            const std::size_t i = order[k];
            if (k + 1 < n && linear_predictor[order[k + 1]] != linear_predictor[i]) ++m;
            rank[i] = static_cast<std::uint32_t>(m);
        }
        m = n > 0 ? m + 1 : 0;
    }
    auto split = [&](const Fenwick& tree, std::size_t r) {
        Split s;
        s.below = tree.below(r);
        s.equal = tree.at(r);
        s.above = tree.total() - s.below - s.equal;
        return s;
    };
    // Influence of each row: weighted numbers of concordant (c), discordant (d) and tied (t)
    // pairs it is in, kept as c - d and c + d + t, all that the jackknife below needs.
    // The sweep keeps two independent trees: the rows at risk (which give the pair counts
    // of each death) and the deaths (which give the pairs of each row at risk). With many
    // rows each tree is swept on its own thread, into its own influence arrays; the
    // arithmetic of each is the same as in one sweep.
    struct Side {
        bool risk = false, death = false;
        double* diff = nullptr;
        double* sum = nullptr;
        double concordant = 0, discordant = 0, tied = 0;
    };
    auto sweep = [&](Side& side) {
        std::optional<Fenwick> at_risk_tree, deaths_tree;
        if (side.risk) at_risk_tree.emplace(m);
        if (side.death) deaths_tree.emplace(m);
        double* diff = side.diff;
        double* sum = side.sum;
        // Deaths while j is at risk = (deaths when j leaves) - (deaths when j enters); the
        // pair is concordant when the death has the higher linear predictor.
        auto enter = [&](std::size_t j) {
            if (!side.death) return;
            const Split now = split(*deaths_tree, rank[j]);
            diff[j] -= now.above - now.below;
            sum[j] -= deaths_tree->total();
        };
        auto leave = [&](std::size_t j) {
            if (!side.death) return;
            const Split now = split(*deaths_tree, rank[j]);
            diff[j] += now.above - now.below;
            sum[j] += deaths_tree->total();
        };
        auto risk_add = [&](std::size_t k, double w) {
            if (side.risk) at_risk_tree->add(rank[k], w);
        };
        for (std::size_t s = 0; s + 1 < data.stratum_begin.size(); ++s) {
            const std::size_t begin = data.stratum_begin[s], end = data.stratum_begin[s + 1];
            std::vector<bool> inside(end - begin, false);
            std::size_t next_start = begin;
            std::size_t i = begin;
            const Fenwick& ahead = side.risk ? *at_risk_tree : *deaths_tree;
            while (i < end) {
                const double t = data.stop[i];
                std::size_t j = i;
                while (j < end && data.stop[j] == t) ++j;
                if (data.counting) {
                    while (next_start < end && data.start[data.by_start[next_start]] >= t) {
                        const std::size_t k = data.by_start[next_start++];
                        if (inside[k - begin]) {
                            leave(k);
                            risk_add(k, -data.weight[k]);
                            inside[k - begin] = false;
                        }
                    }
                }
                for (std::size_t k = i; k < j; ++k) {
                    // the rows ahead touch random ranks: fetch their counts early
                    if (k + 16 < end) ahead.prefetch(rank[k + 16]);
                    if (data.event[k]) continue;
                    enter(k);
                    risk_add(k, data.weight[k]);
                    inside[k - begin] = true;
                }
                if (side.risk) {
                    for (std::size_t k = i; k < j; ++k) {
                        if (!data.event[k]) continue;
                        const Split cmp = split(*at_risk_tree, rank[k]);
                        const double w = data.weight[k];
                        side.concordant += w * cmp.below;
                        side.discordant += w * cmp.above;
                        side.tied += w * cmp.equal;
                        diff[k] += cmp.below - cmp.above;
                        sum[k] += at_risk_tree->total();
                    }
                }
                if (side.death) {
                    for (std::size_t k = i; k < j; ++k) {
                        if (data.event[k]) deaths_tree->add(rank[k], data.weight[k]);
                    }
                }
                // a death's entry is taken after its own time's deaths are added: tied
                // event times are not comparable.
                for (std::size_t k = i; k < j; ++k) {
                    if (!data.event[k]) continue;
                    enter(k);
                    risk_add(k, data.weight[k]);
                    inside[k - begin] = true;
                }
                i = j;
            }
            if (side.death) {
                if (end - begin >= m / 4) {
                    // everyone still at risk leaves now: one prefix-sum sweep instead of a
                    // query each
                    const Fenwick& deaths = *deaths_tree;
                    std::vector<double> below(m);
                    double running = 0;
                    for (std::size_t r = 0; r < m; ++r) {
                        below[r] = running;
                        running += deaths.at(r);
                    }
                    for (std::size_t k = begin; k < end; ++k) {
                        if (k + 16 < end) {
                            __builtin_prefetch(below.data() + rank[k + 16]);
                            __builtin_prefetch(deaths.point(rank[k + 16]));
                        }
                        if (!inside[k - begin]) continue;
                        const double b = below[rank[k]], e = deaths.at(rank[k]);
                        diff[k] += (deaths.total() - b - e) - b;
                        sum[k] += deaths.total();
                    }
                } else {
                    for (std::size_t k = begin; k < end; ++k) {
                        if (inside[k - begin]) leave(k);
                    }
                }
            }
            // empty the trees for the next stratum: O(stratum size log m), or a plain fill
            // when the stratum is large; nothing after the last one
            if (s + 2 == data.stratum_begin.size()) break;
            for (Fenwick* tree : {side.risk ? &*at_risk_tree : nullptr, side.death ? &*deaths_tree : nullptr}) {
                if (tree == nullptr) continue;
                if (end - begin >= m / 8) {
                    tree->clear();
                    continue;
                }
                for (std::size_t k = begin; k < end; ++k) {
                    if (tree == &*at_risk_tree && inside[k - begin]) tree->add(rank[k], -data.weight[k]);
                    if (tree != &*at_risk_tree && data.event[k]) tree->add(rank[k], -data.weight[k]);
                }
                tree->reset_totals();
            }
        }
    };
    std::vector<double> inf_diff(n, 0.0), inf_sum(n, 0.0);
    constexpr std::size_t threaded_rows = 200'000;
    Side both{true, true, inf_diff.data(), inf_sum.data()};
    Side risk_side{true, false, nullptr, nullptr}, death_side{false, true, inf_diff.data(), inf_sum.data()};
    std::vector<double> risk_diff, risk_sum;
    Side* counts = &both;
    if (n >= threaded_rows) {
        risk_diff.assign(n, 0.0);
        risk_sum.assign(n, 0.0);
        risk_side.diff = risk_diff.data();
        risk_side.sum = risk_sum.data();
        std::optional<std::thread> worker;
        try {
            worker.emplace([&] { sweep(risk_side); });
        } catch (const std::system_error&) {
            sweep(risk_side);  // no thread available: one after the other
        }
        sweep(death_side);
        if (worker) worker->join();
        for (std::size_t k = 0; k < n; ++k) {
            inf_diff[k] += risk_diff[k];
            inf_sum[k] += risk_sum[k];
        }
        counts = &risk_side;
    } else {
        sweep(both);
    }
    out.concordant = counts->concordant;
    out.discordant = counts->discordant;
    out.tied_risk = counts->tied;

    const double npair = out.concordant + out.discordant + out.tied_risk;
    if (!(npair > 0)) {
        out.concordance = std::numeric_limits<double>::quiet_NaN();
        out.se = std::numeric_limits<double>::quiet_NaN();
        return out;
    }
    const double somers = (out.concordant - out.discordant) / npair;
    out.concordance = (somers + 1) / 2;
    // Infinitesimal jackknife: dfbeta of Somers' d per row (per cluster when given), and
    // var(C) = sum dfbeta^2 / 4.
    std::vector<double>& dfbeta = inf_diff;  // overwritten in place
    for (std::size_t k = 0; k < n; ++k) {
        dfbeta[k] = data.weight[k] * (inf_diff[k] / npair - somers / npair * inf_sum[k]);
    }
    double var = 0;
    if (!data.cluster.empty()) {
        std::unordered_map<std::int32_t, double> by_cluster;
        for (std::size_t k = 0; k < n; ++k) by_cluster[data.cluster[k]] += dfbeta[k];
        for (const auto& [cluster, d] : by_cluster) var += d * d;
    } else {
        for (double d : dfbeta) var += d * d;
    }
    out.se = std::sqrt(var / 4);
    return out;
}

}  // namespace rwe::stats
