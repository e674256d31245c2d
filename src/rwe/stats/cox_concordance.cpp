#include "rwe/stats/cox_concordance.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>
#include <numeric>
#include <optional>
#include <unordered_map>

#include "rwe/common/buffer.hpp"
#include "rwe/common/error.hpp"
#include "rwe/common/parallel.hpp"

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

// Open-addressing set of the bit patterns of non-NaN doubles (a NaN pattern marks an empty
// slot), linear probing.
class KeySet {
public:
    static constexpr std::uint64_t empty = 0x7ff8dead0000beefull;
    explicit KeySet(int bits) : bits_(bits), keys_(std::size_t{1} << bits, empty) {}
    static std::uint64_t key_of(double v) {
        std::uint64_t key;
        const double canonical = v == 0 ? 0.0 : v;  // -0 ranks with +0
        std::memcpy(&key, &canonical, sizeof key);
        return key;
    }
    // The slot of `key`, or the empty slot where it would go.
    std::size_t slot(std::uint64_t key) const {
        const std::size_t mask = keys_.size() - 1;
        std::size_t h = static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ull) >> (64 - bits_));
        while (keys_[h] != empty && keys_[h] != key) h = (h + 1) & mask;
        return h;
    }
    // True when the key was not there.
    bool insert(std::uint64_t key, std::size_t& at) {
        at = slot(key);
        if (keys_[at] == key) return false;
        keys_[at] = key;
        ++size_;
        return true;
    }
    std::size_t size() const { return size_; }
    std::size_t capacity() const { return keys_.size(); }
    int bits() const { return bits_; }

private:
    int bits_;
    std::vector<std::uint64_t> keys_;
    std::size_t size_ = 0;
};

// Ranks by hashing the distinct values when there are few of them (discrete covariates):
// each half of the values collects its distinct values on its own thread (a table that
// starts small and doubles at load 0.7, so that it stays in cache while the values are few); the two
// sorted lists are merged; then each half looks its ranks up. False when the values are too
// many (or NaN): the caller sorts them all.
bool distinct_ranks(std::span<const double> values, Buffer<std::uint32_t>& rank, std::size_t& m) {
    const std::size_t n = values.size();
    constexpr std::size_t sample = 8192;
    if (n >= 16 * sample) {
        // nearly all of a leading sample distinct: too many values for the table
        std::vector<double> head(values.begin(), values.begin() + sample);
        std::sort(head.begin(), head.end());
        const auto distinct = static_cast<std::size_t>(std::unique(head.begin(), head.end()) - head.begin());
        if (distinct * 20 > sample * 19) return false;
    }
    constexpr int max_bits = 21;  // 16 MB of keys per half at most
    struct Half {
        bool ok = true;
        std::vector<double> distinct;
    };
    Half halves[2];
    for_halves(n, 200'000, [&](std::size_t from, std::size_t to) {
        Half& half = halves[from == 0 ? 0 : 1];
        KeySet set(12);
        std::size_t at = 0;
        for (std::size_t i = from; i < to; ++i) {
            const double v = values[i];
            if (std::isnan(v)) {
                half.ok = false;
                return;
            }
            // mostly distinct values early on: give up before filling the table
            if (((i - from) & 0xffff) == 0xffff && half.distinct.size() * 2 > i - from) {
                half.ok = false;
                return;
            }
            if (!set.insert(KeySet::key_of(v), at)) continue;
            half.distinct.push_back(v == 0 ? 0.0 : v);
            if (set.size() * 10 > set.capacity() * 7) {  // load 0.7 at most
                if (set.bits() == max_bits) {
                    half.ok = false;
                    return;
                }
                KeySet bigger(set.bits() + 1);
                for (const double d : half.distinct) bigger.insert(KeySet::key_of(d), at);
                set = std::move(bigger);
            }
        }
        std::sort(half.distinct.begin(), half.distinct.end());
    });
    if (!halves[0].ok || !halves[1].ok) return false;
    std::vector<double> distinct;
    distinct.reserve(halves[0].distinct.size() + halves[1].distinct.size());
    std::set_union(halves[0].distinct.begin(), halves[0].distinct.end(), halves[1].distinct.begin(),
                   halves[1].distinct.end(), std::back_inserter(distinct));
    m = distinct.size();
    int bits = 12;
    while ((std::size_t{1} << bits) * 7 < m * 10) ++bits;
    KeySet table(bits);
    std::vector<std::uint32_t> rank_at(table.capacity(), 0);
    std::size_t at = 0;
    for (std::size_t k = 0; k < m; ++k) {
        table.insert(KeySet::key_of(distinct[k]), at);
        rank_at[at] = static_cast<std::uint32_t>(k);
    }
    rank.resize(n);
    for_halves(n, 200'000, [&](std::size_t from, std::size_t to) {
        for (std::size_t i = from; i < to; ++i) rank[i] = rank_at[table.slot(KeySet::key_of(values[i]))];
    });
    return true;
}

struct Split {
    double below = 0, equal = 0, above = 0;
};

// Concordance from the weighted pair counts, and its standard error by the infinitesimal
// jackknife: the dfbeta of Somers' d of each row (summed per cluster when given) from its
// influence, diff = c - d and sum = c + d + t of the pairs it is in; var(C) = sum dfbeta^2 / 4.
template <class Weight, class Diff, class Sum, class Cluster>
void finish(CoxConcordance& out, std::size_t n, Weight weight, Diff diff, Sum sum, Cluster cluster,
            bool clustered) {
    const double npair = out.concordant + out.discordant + out.tied_risk;
    if (!(npair > 0)) {
        out.concordance = std::numeric_limits<double>::quiet_NaN();
        out.se = std::numeric_limits<double>::quiet_NaN();
        return;
    }
    const double somers = (out.concordant - out.discordant) / npair;
    out.concordance = (somers + 1) / 2;
    // dfbeta * npair, so that the rows need no division; var = sum (dfbeta npair)^2 / npair^2
    auto scaled_dfbeta = [&](std::size_t k) { return weight(k) * (diff(k) - somers * sum(k)); };
    double var = 0;
    if (clustered) {
        std::unordered_map<std::int32_t, double> by_cluster;
        for (std::size_t k = 0; k < n; ++k) by_cluster[cluster(k)] += scaled_dfbeta(k);
        for (const auto& [id, d] : by_cluster) var += d * d;
    } else {
        double halves[2] = {0, 0};
        for_halves(n, 200'000, [&](std::size_t from, std::size_t to) {
            double sum_squares = 0;
            for (std::size_t k = from; k < to; ++k) {
                const double d = scaled_dfbeta(k);
                sum_squares += d * d;
            }
            halves[from == 0 ? 0 : 1] = sum_squares;
        });
        var = halves[0] + halves[1];
    }
    out.se = std::sqrt(var / 4) / npair;
}

// Any data, (start, stop] included: a sweep over the rows in time order with trees over the
// ranks of the linear predictor.
CoxConcordance concordance_by_time(const detail::CoxPrepared& data, std::span<const double> linear_predictor) {
    const std::size_t n = data.n;
    CoxConcordance out;
    // Ranks of the linear predictor (exact ties share a rank, as R's match(unique)).
    // 32-bit ranks: half the memory traffic of the sweeps
    Buffer<std::uint32_t> rank;
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
        run_beside([&] { sweep(risk_side); }, [&] { sweep(death_side); });
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

    finish(out, n, [&](std::size_t k) { return data.weight[k]; }, [&](std::size_t k) { return inf_diff[k]; },
           [&](std::size_t k) { return inf_sum[k]; },
           [&](std::size_t k) { return data.cluster.empty() ? 0 : data.cluster[k]; }, !data.cluster.empty());
    return out;
}

// Binary indexed tree of weights over time slots, built in one pass from per-slot weights.
class SlotTree {
public:
    explicit SlotTree(std::size_t slots) : tree_(slots + 1, 0.0) {}
    void build(const std::vector<double>& weights) {
        std::fill(tree_.begin(), tree_.end(), 0.0);
        for (std::size_t i = 1; i < tree_.size(); ++i) {
            tree_[i] += weights[i - 1];
            const std::size_t parent = i + (i & (~i + 1));
            if (parent < tree_.size()) tree_[parent] += tree_[i];
        }
    }
    void add(std::size_t slot, double w) {
        for (std::size_t i = slot + 1; i < tree_.size(); i += i & (~i + 1)) tree_[i] += w;
    }
    // Sum over slots < slot.
    double before(std::size_t slot) const {
        // two partial sums: the additions do not wait on each other
        double s0 = 0, s1 = 0;
        std::size_t i = slot;
        while (i > 0) {
            s0 += tree_[i];
            i -= i & (~i + 1);
            if (i == 0) break;
            s1 += tree_[i];
            i -= i & (~i + 1);
        }
        return s0 + s1;
    }

private:
    std::vector<double> tree_;
};

// Right-censored data with few distinct times: the rows taken in ascending order of the
// linear predictor, counted into trees over the runs of one (stratum, time) (and, beside
// them, each run's censored rows). Run g has slot 2g for its censored rows and
// 2g + 1 for its deaths; slots ascend as time descends within a stratum, so that
//   the rows at risk at a death of run g are the slots [first slot of the stratum, 2g + 1)
//   (later times, and censored at the same time), and
//   the deaths a row of run g is at risk for are the death slots in [2g + 1, end of the
//   stratum) for a censored row, [2g + 2, ...) for a death (tied deaths are not comparable).
// Sums over rows of lower rank come from the trees; the totals of each range from prefix
// sums over all rows; so each row's influence is complete when it is reached, and the
// rows can be split between two threads by rank (the second one starts from the trees of
// the first half, built in one pass).
CoxConcordance concordance_by_rank(const detail::CoxPrepared& data, std::span<const double> lp) {
    const std::size_t n = data.n;
    const std::size_t groups = data.group_begin.size() - 1;
    const std::size_t slots = 2 * groups;
    CoxConcordance out;

    // Per run: its stratum's slot range. Per row: its slot code, run << 1 | event. Prefix
    // sums of the weights of all rows and of the deaths over the slots.
    if (groups >= (std::size_t{1} << 30)) throw Error(ErrorKind::internal, "concordance: too many times");
    Buffer<std::uint32_t> slot_code(n);
    std::vector<std::uint32_t> stratum_first(groups), stratum_end(groups);
    std::vector<double> all_before(slots + 1, 0.0), deaths_before(slots + 1, 0.0);
    bool unit_weights = true;
    {
        std::size_t first = 0;
        for (std::size_t g = 0; g < groups; ++g) {
            const std::size_t begin = data.group_begin[g];
            if (g > 0 && data.stratum[begin] != data.stratum[data.group_begin[g - 1]]) {
                for (std::size_t h = first; h < g; ++h) stratum_end[h] = static_cast<std::uint32_t>(2 * g);
                first = g;
            }
            stratum_first[g] = static_cast<std::uint32_t>(2 * first);
        }
        for (std::size_t h = first; h < groups; ++h) stratum_end[h] = static_cast<std::uint32_t>(slots);
        // per run (two threads, one half of the runs each): the slot codes, and the weights of
        // its censored rows and of its deaths
        std::vector<double> slot_all(slots, 0.0), slot_deaths(slots, 0.0);
        bool unit[2] = {true, true};
        for_halves(groups, n >= 200'000 ? 2 : groups + 1, [&](std::size_t g0, std::size_t g1) {
            bool all_one = true;
            for (std::size_t g = g0; g < g1; ++g) {
                double censored = 0, dying = 0;
                for (std::size_t i = data.group_begin[g]; i < data.group_begin[g + 1]; ++i) {
                    const std::uint8_t e = data.event[i];
                    const double w = data.weight[i];
                    slot_code[i] = static_cast<std::uint32_t>(g << 1) | e;
                    (e ? dying : censored) += w;
                    all_one = all_one && w == 1;
                }
                slot_all[2 * g] = censored;
                slot_all[2 * g + 1] = dying;
                slot_deaths[2 * g + 1] = dying;
            }
            unit[g0 == 0 ? 0 : 1] = all_one;
        });
        unit_weights = unit[0] && unit[1];
        for (std::size_t q = 0; q < slots; ++q) {
            all_before[q + 1] = all_before[q] + slot_all[q];
            deaths_before[q + 1] = deaths_before[q] + slot_deaths[q];
        }
    }

    // The rows in ascending order of the linear predictor, packed: slot code << 1 | same
    // value as the row before; their weights (unless all 1) and sorted positions (for the
    // clusters). By the ranks of the distinct values when they are few (one counting pass
    // that writes the packed rows directly), by a radix sort otherwise.
    Buffer<std::uint32_t> code(n);
    Buffer<double> weight(unit_weights ? 0 : n);
    const bool clustered = !data.cluster.empty();
    Buffer<std::uint32_t> order(clustered ? n : 0);
    {
        Buffer<std::uint32_t> rank;
        std::size_t m = 0;
        if (distinct_ranks(lp, rank, m)) {
            // counting sort by rank, each half of the rows on its own thread (stable: the
            // first half's rows first in every rank)
            std::vector<std::uint32_t> first_next(m, 0), second_next(m, 0);
            for_halves(n, 200'000, [&](std::size_t from, std::size_t to) {
                std::vector<std::uint32_t>& count = from == 0 ? first_next : second_next;
                for (std::size_t i = from; i < to; ++i) ++count[rank[i]];
            });
            detail::half_starts(first_next, second_next);
            const std::vector<std::uint32_t> start(first_next);  // where each rank's rows start
            for_halves(n, 200'000, [&](std::size_t from, std::size_t to) {
                std::vector<std::uint32_t>& next = from == 0 ? first_next : second_next;
                for (std::size_t i = from; i < to; ++i) {
                    const std::uint32_t r = rank[i];
                    const std::uint32_t pos = next[r]++;
                    code[pos] = slot_code[i] << 1 | (pos != start[r] ? 1u : 0u);
                    if (!unit_weights) weight[pos] = data.weight[i];
                    if (clustered) order[pos] = static_cast<std::uint32_t>(i);
                }
            });
        } else {
            const std::vector<std::size_t> descending = detail::radix_order_descending(lp);
            double previous = 0;
            for (std::size_t k = 0; k < n; ++k) {
                if (k + 16 < n) {
                    const std::size_t later = descending[n - 17 - k];
                    __builtin_prefetch(slot_code.data() + later);
                    __builtin_prefetch(lp.data() + later);
                    if (!unit_weights) __builtin_prefetch(data.weight.data() + later);
                }
                const std::size_t i = descending[n - 1 - k];
                code[k] = slot_code[i] << 1 | (k > 0 && lp[i] == previous ? 1u : 0u);
                previous = lp[i];
                if (!unit_weights) weight[k] = data.weight[i];
                if (clustered) order[k] = static_cast<std::uint32_t>(i);
            }
        }
    }
    auto weight_at = [&](std::size_t k) { return unit_weights ? 1.0 : weight[k]; };

    // Influence of each row in rank order: diff = c - d, sum = c + d + t of its pairs. The
    // sum depends on the slot alone (the weight of the rows at risk at a death, plus the
    // deaths the row is at risk for): one value per slot.
    std::vector<double> slot_sum(slots);
    for (std::size_t slot = 0; slot < slots; ++slot) {
        const std::size_t g = slot >> 1, first = stratum_first[g], last = stratum_end[g];
        const double at_risk = slot & 1 ? all_before[2 * g + 1] - all_before[first] : 0.0;
        slot_sum[slot] = at_risk + (deaths_before[last] - deaths_before[slot + 1]);
    }
    Buffer<double> diff(n);
    struct Counts {
        double concordant = 0, discordant = 0, tied = 0;
    };
    auto sweep = [&](std::size_t from, std::size_t to, Counts& result) {
        Counts counts;  // on this thread's stack: the two threads' sums share no cache line
        // Trees by run (half the slots: both stay in the first-level cache): of all rows and
        // of the deaths; and per run the censored rows, of lower rank so far.
        SlotTree all(groups), deaths(groups);
        std::vector<double> censored_lower(groups, 0.0);
        double deaths_so_far = 0;  // weight in the deaths tree
        if (from > 0) {
            std::vector<double> run_all(groups, 0.0), run_deaths(groups, 0.0);
            for (std::size_t k = 0; k < from; ++k) {
                const std::uint32_t slot = code[k] >> 1;
                const std::size_t g = slot >> 1;
                const double w = weight_at(k);
                run_all[g] += w;
                if (slot & 1) {
                    run_deaths[g] += w;
                    deaths_so_far += w;
                } else {
                    censored_lower[g] += w;
                }
            }
            all.build(run_all);
            deaths.build(run_deaths);
        }
        // The rows of lower rank in each row's two ranges, and the rows of the same rank.
        struct Row {
            std::size_t pos, slot, first, last, from_slot;
            double w, risk_below, death_below, risk_equal, death_equal;
        };
        std::vector<Row> block;
        std::size_t k = from;
        while (k < to) {
            std::size_t end = k + 1;
            while (end < to && (code[end] & 1)) ++end;
            block.clear();
            for (std::size_t j = k; j < end; ++j) {
                Row& row = block.emplace_back();  // filled in place (no copy of a temporary)
                row.pos = j;
                row.slot = code[j] >> 1;
                const std::size_t g = row.slot >> 1;
                const bool event = row.slot & 1;
                row.first = stratum_first[g];
                row.last = stratum_end[g];
                row.from_slot = 2 * g + 1 + (event ? 1 : 0);
                row.w = weight_at(j);
                const std::size_t first_run = row.first / 2, last_run = row.last / 2;
                // at risk at a death of run g: runs before g in the stratum, and g's censored
                if (event) {
                    row.risk_below = all.before(g) - (first_run > 0 ? all.before(first_run) : 0.0) +
                                     censored_lower[g];
                }
                // deaths a row of run g is at risk for: runs g (when censored) or g + 1 onwards
                row.death_below = (last_run == groups ? deaths_so_far : deaths.before(last_run)) -
                                  deaths.before(g + (event ? 1 : 0));
            }
            if (block.size() > 1) {
                // Pairs within one rank, from the block alone. By slot (runs in order; the
                // counting sort already leaves them so): per run the censored and death
                // weights; within a stratum, the weight of the earlier runs and the deaths of
                // the later ones.
                auto by_slot = [](const Row& x, const Row& y) { return x.slot < y.slot; };
                if (!std::is_sorted(block.begin(), block.end(), by_slot)) {
                    std::sort(block.begin(), block.end(), by_slot);
                }
                for (std::size_t a = 0; a < block.size();) {
                    std::size_t b = a;
                    double stratum_deaths = 0;
                    for (; b < block.size() && block[b].first == block[a].first; ++b) {
                        if (block[b].slot & 1) stratum_deaths += block[b].w;
                    }
                    double earlier = 0, earlier_deaths = 0;
                    for (std::size_t r0 = a; r0 < b;) {
                        const std::size_t run = block[r0].slot >> 1;
                        double censored = 0, dying = 0;
                        std::size_t r1 = r0;
                        for (; r1 < b && (block[r1].slot >> 1) == run; ++r1) {
                            (block[r1].slot & 1 ? dying : censored) += block[r1].w;
                        }
                        const double later_deaths = stratum_deaths - earlier_deaths - dying;
                        for (std::size_t r = r0; r < r1; ++r) {
                            if (block[r].slot & 1) {
                                block[r].risk_equal = earlier + censored;
                                block[r].death_equal = later_deaths;
                            } else {
                                block[r].death_equal = later_deaths + dying;
                            }
                        }
                        earlier += censored + dying;
                        earlier_deaths += dying;
                        r0 = r1;
                    }
                    a = b;
                }
            }
            for (const Row& row : block) {
                const std::size_t g = row.slot >> 1;
                double d = 0;
                if (row.slot & 1) {
                    const double at_risk = all_before[2 * g + 1] - all_before[row.first];
                    const double above = at_risk - row.risk_below - row.risk_equal;
                    counts.concordant += row.w * row.risk_below;
                    counts.discordant += row.w * above;
                    counts.tied += row.w * row.risk_equal;
                    d += row.risk_below - above;
                }
                const double comparable = deaths_before[row.last] - deaths_before[row.from_slot];
                const double above = comparable - row.death_below - row.death_equal;
                d += above - row.death_below;
                diff[row.pos] = d;
                all.add(g, row.w);
                if (row.slot & 1) {
                    deaths.add(g, row.w);
                    deaths_so_far += row.w;
                } else {
                    censored_lower[g] += row.w;
                }
            }
            k = end;
        }
        result = counts;
    };
    Counts first, second;
    if (n >= 200'000) {
        // the second thread first counts the rows before its part into its trees (about a
        // fifth of the work of sweeping them): the first thread takes a little more than half
        std::size_t middle = n / 9 * 5;
        while (middle < n && (code[middle] & 1)) ++middle;  // a rank's rows stay together
        run_beside([&] { sweep(middle, n, second); }, [&] { sweep(0, middle, first); });
    } else {
        sweep(0, n, first);
    }
    out.concordant = first.concordant + second.concordant;
    out.discordant = first.discordant + second.discordant;
    out.tied_risk = first.tied + second.tied;
    finish(out, n, weight_at, [&](std::size_t k) { return diff[k]; }, [&](std::size_t k) { return slot_sum[code[k] >> 1]; },
           [&](std::size_t k) { return clustered ? data.cluster[order[k]] : 0; }, clustered);
    return out;
}
}  // namespace

CoxConcordance cox_concordance(const detail::CoxPrepared& data, std::span<const double> linear_predictor,
                               ConcordanceSweep sweep) {
    if (data.n > std::numeric_limits<std::uint32_t>::max()) {
        throw Error(ErrorKind::internal, "concordance: more than 2^32 rows");
    }
    if (sweep == ConcordanceSweep::automatic) {
        // few distinct times: the trees over time slots are small and stay in cache
        const std::size_t groups = data.group_begin.size() - 1;
        sweep = !data.counting && groups * 8 <= data.n ? ConcordanceSweep::by_rank : ConcordanceSweep::by_time;
    }
    if (sweep == ConcordanceSweep::by_rank && data.counting) {
        throw Error(ErrorKind::internal, "concordance: the rank sweep needs right-censored data");
    }
    return sweep == ConcordanceSweep::by_rank ? concordance_by_rank(data, linear_predictor)
                                              : concordance_by_time(data, linear_predictor);
}

}  // namespace rwe::stats
