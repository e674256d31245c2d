#include "rwe/stats/cox_risk_sets.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <numeric>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <cstring>

#include "rwe/common/error.hpp"
#include "rwe/common/parallel.hpp"
#include "rwe/stats/time_fix.hpp"
#include "rwe/stats/vector_math.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace rwe::stats::detail {

namespace {

// Order-preserving map of a double to an unsigned key (NaN excluded by the caller).
inline std::uint64_t ordered_bits(double v) {
    std::uint64_t u;
    std::memcpy(&u, &v, sizeof u);
    return (u >> 63) ? ~u : (u | (std::uint64_t{1} << 63));
}

}  // namespace

namespace {

// Counting sort when every value is an integer of a narrow range (times in whole days):
// one counting pass and one scatter instead of several radix passes. Empty result: does
// not apply.
std::vector<std::size_t> counting_order_descending(std::span<const double> values) {
    const std::size_t n = values.size();
    if (n < 1024) return {};
    double lo = values[0], hi = values[0];
    for (const double v : values) {
        if (v != std::floor(v) || !(std::fabs(v) < 9.0e15)) return {};
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    const double range = hi - lo + 1;
    if (range > static_cast<double>(4 * n + 4096)) return {};
    const auto top = static_cast<std::int64_t>(hi);
    std::vector<std::uint32_t> bucket(n);
    std::vector<std::size_t> count(static_cast<std::size_t>(range) + 1, 0);
    for (std::size_t i = 0; i < n; ++i) {
        // descending: bucket 0 holds the largest value
        bucket[i] = static_cast<std::uint32_t>(top - static_cast<std::int64_t>(values[i]));
        ++count[bucket[i] + 1];
    }
    for (std::size_t k = 1; k < count.size(); ++k) count[k] += count[k - 1];
    std::vector<std::size_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[count[bucket[i]]++] = i;  // stable
    return order;
}

}  // namespace

std::vector<std::size_t> radix_order_descending(std::span<const double> values) {
    if (auto order = counting_order_descending(values); !order.empty()) return order;
    // Keys travel with their indices so that every pass reads sequentially.
    struct Item {
        std::uint64_t key;
        std::size_t index;
    };
    const std::size_t n = values.size();
    std::vector<Item> items(n), next(n);
    std::uint64_t all_or = 0, all_and = ~std::uint64_t{0};
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint64_t key = ~ordered_bits(values[i] == 0 ? 0.0 : values[i]);  // -0 sorts with +0
        items[i] = {key, i};
        all_or |= key;
        all_and &= key;
    }
    constexpr int bits = 11;
    constexpr std::uint64_t buckets = std::uint64_t{1} << bits;
    constexpr std::uint64_t mask = buckets - 1;
    // With many values two threads each count and scatter one half; the second half's
    // items go after the first half's in every bucket, so the sort stays stable.
    const bool two = n >= (std::size_t{1} << 21);
    const std::size_t half = two ? n / 2 : n;
    std::vector<std::size_t> count(buckets), count2(buckets);
    for (int shift = 0; shift < 64; shift += bits) {
        if ((((all_or ^ all_and) >> shift) & mask) == 0) continue;  // digit constant: skip
        auto histogram = [&](std::size_t from, std::size_t to, std::vector<std::size_t>& c) {
            std::fill(c.begin(), c.end(), 0);
            for (std::size_t i = from; i < to; ++i) ++c[(items[i].key >> shift) & mask];
        };
        auto scatter = [&](std::size_t from, std::size_t to, std::vector<std::size_t>& c) {
            for (std::size_t i = from; i < to; ++i) next[c[(items[i].key >> shift) & mask]++] = items[i];
        };
        if (two) {
            run_beside([&] { histogram(half, n, count2); }, [&] { histogram(0, half, count); });
        } else {
            histogram(0, n, count);
            histogram(n, n, count2);  // no second half: all zero
        }
        half_starts(count, count2);
        if (two) {
            run_beside([&] { scatter(half, n, count2); }, [&] { scatter(0, half, count); });
        } else {
            scatter(0, n, count);
        }
        items.swap(next);
    }
    std::vector<Item>().swap(next);  // before the order is made: not three arrays of n at once
    std::vector<std::size_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = items[i].index;
    return order;
}

std::vector<std::size_t> stable_order_by_code(const std::vector<std::size_t>& order,
                                              const std::vector<std::int32_t>& codes) {
    std::int32_t max_code = 0;
    for (auto c : codes) max_code = std::max(max_code, c);
    std::vector<std::size_t> count(static_cast<std::size_t>(max_code) + 2, 0);
    for (auto i : order) ++count[static_cast<std::size_t>(codes[i]) + 1];
    for (std::size_t k = 1; k < count.size(); ++k) count[k] += count[k - 1];
    std::vector<std::size_t> out(order.size());
    for (auto i : order) out[count[static_cast<std::size_t>(codes[i])]++] = i;
    return out;
}

CoxPrepared cox_prepare(const CoxData& data, bool time_fix, const std::vector<double>& means, bool keep_index,
                        CoxData* release) {
    const std::size_t rows = data.stop.size();
    const std::size_t p = data.names.size();
    const bool by_column = !data.columns.empty();
    bool columns_ok = !by_column || data.columns.size() == p;
    for (const auto& column : data.columns) columns_ok = columns_ok && column.size() == rows;
    if (data.event.size() != rows || (by_column ? !columns_ok : data.x.size() != rows * p) ||
        (!data.start.empty() && data.start.size() != rows) ||
        (!data.weight.empty() && data.weight.size() != rows) ||
        (!data.stratum.empty() && data.stratum.size() != rows) ||
        (!data.cluster.empty() && data.cluster.size() != rows)) {
        throw Error(ErrorKind::internal, "cox: columns of different lengths");
    }
    CoxPrepared out;
    out.p = p;
    out.counting = !data.start.empty();
    const bool weighted = !data.weight.empty(), stratified = !data.stratum.empty(),
               clustered = !data.cluster.empty();
    out.unit_weights = !weighted;
    // Covariate k of input row `row`, from the row-major x or from the columns.
    std::vector<const double*> column_base(p);
    for (std::size_t k = 0; k < p; ++k) column_base[k] = by_column ? data.columns[k].data() : data.x.data() + k;
    const std::size_t stride = by_column ? 1 : p;
    auto covariate = [&](std::size_t row, std::size_t k) { return column_base[k][row * stride]; };

    // Complete cases, the values no model accepts, and the weighted sums of the means. First
    // on two threads, one half of the rows each, for the usual case of complete and valid
    // rows; when a half finds a row to drop or to reject, one sequential pass instead (it
    // lists the used rows and names the first bad row). The list of used rows is only built
    // once a row is dropped; until then row i is used row i.
    std::vector<std::size_t> used;
    const bool want_means = means.empty();
    std::vector<double> sum_x(p, 0.0);
    double total_weight = 0;
    auto clean_row = [&](std::size_t row) {
        const double e = data.event[row], stop_time = data.stop[row];
        bool ok = (e == 0 || e == 1) && std::isfinite(stop_time);
        if (out.counting) ok = ok && data.start[row] < stop_time;
        if (weighted) ok = ok && data.weight[row] > 0 && std::isfinite(data.weight[row]);
        if (stratified) ok = ok && data.stratum[row] >= 0;
        if (clustered) ok = ok && data.cluster[row] >= 0;
        for (std::size_t k = 0; ok && k < p; ++k) ok = !std::isnan(covariate(row, k));
        return ok;
    };
    struct HalfScan {
        bool clean = true;
        double total = 0;
        std::vector<double> sums;
    };
    HalfScan halves[2];
    for_halves(rows, 200'000, [&](std::size_t from, std::size_t to) {
        HalfScan& half = halves[from == 0 ? 0 : 1];
        half.sums.assign(p, 0.0);
        for (std::size_t row = from; row < to; ++row) {
            if (!clean_row(row)) {
                half.clean = false;
                return;
            }
            if (!want_means) continue;
            const double w = weighted ? data.weight[row] : 1.0;
            half.total += w;
            for (std::size_t k = 0; k < p; ++k) half.sums[k] += w * covariate(row, k);
        }
    });
    const bool all_clean = halves[0].clean && halves[1].clean;
    if (all_clean && want_means) {
        total_weight = halves[0].total + halves[1].total;
        for (std::size_t k = 0; k < p; ++k) {
            sum_x[k] = halves[0].sums[k] + (halves[1].sums.empty() ? 0.0 : halves[1].sums[k]);
        }
    }
    for (std::size_t row = 0; !all_clean && row < rows; ++row) {
        bool ok = !std::isnan(data.stop[row]) && !std::isnan(data.event[row]);
        if (out.counting) ok = ok && !std::isnan(data.start[row]);
        if (weighted) ok = ok && !std::isnan(data.weight[row]);
        if (stratified) ok = ok && data.stratum[row] >= 0;
        if (clustered) ok = ok && data.cluster[row] >= 0;
        for (std::size_t k = 0; ok && k < p; ++k) ok = !std::isnan(covariate(row, k));
        if (!ok) {
            if (out.dropped++ == 0) {
                used.reserve(rows - 1);
                for (std::size_t r = 0; r < row; ++r) used.push_back(r);
            }
            continue;
        }
        if (out.dropped > 0) used.push_back(row);
        const double e = data.event[row];
        if (e != 0 && e != 1) {
            throw InputError("event indicator must be 0 or 1 (row " + std::to_string(row + 1) +
                             ": " + std::to_string(e) + ")");
        }
        if (!std::isfinite(data.stop[row])) {
            throw InputError("time must be finite (row " + std::to_string(row + 1) + ")");
        }
        const double w = weighted ? data.weight[row] : 1.0;
        if (weighted && !(w > 0 && std::isfinite(w))) {
            throw InputError("weights must be > 0 (row " + std::to_string(row + 1) + ": " +
                             std::to_string(w) + ")");
        }
        if (out.counting && !(data.start[row] < data.stop[row])) {
            throw InputError("stop time must be > start time (row " + std::to_string(row + 1) + ")");
        }
        if (want_means) {
            total_weight += w;
            for (std::size_t k = 0; k < p; ++k) sum_x[k] += w * covariate(row, k);
        }
    }
    const std::size_t n = rows - out.dropped;
    out.n = n;
    const bool all_used = out.dropped == 0;
    auto row_of = [&](std::size_t i) { return all_used ? i : used[i]; };
    // Weighted means over the used rows (R centres at these; results do not depend on it).
    out.means = means;
    if (want_means) {
        out.means = sum_x;
        if (total_weight > 0) {
            for (auto& m : out.means) m /= total_weight;
        }
    }

    // The times of the used rows: the input column itself when every row is used and no
    // merging can change it, a compact copy otherwise.
    std::vector<double> start_used, stop_used;
    // A released input whose rows are all used gives its own columns (the same values).
    const bool take = release != nullptr && all_used;
    if (!all_used || out.counting) {
        if (take) {
            stop_used = std::move(release->stop);
        } else {
            stop_used.resize(n);
            for (std::size_t i = 0; i < n; ++i) stop_used[i] = data.stop[row_of(i)];
        }
    }
    if (out.counting) {
        if (take) {
            start_used = std::move(release->start);
        } else {
            start_used.resize(n);
            for (std::size_t i = 0; i < n; ++i) start_used[i] = data.start[row_of(i)];
        }
        if (release != nullptr) {  // the used times are copied: read from the copies from here on
            std::vector<double>().swap(release->start);
            std::vector<double>().swap(release->stop);
        }
        if (time_fix) {
            std::vector<std::span<double>> columns{std::span<double>(stop_used), std::span<double>(start_used)};
            out.times_merged = merge_near_equal_times(columns);
            for (std::size_t i = 0; i < n; ++i) {
                if (!(start_used[i] < stop_used[i])) {
                    throw InputError("stop time must be > start time after merging near-equal times (row " +
                                     std::to_string(row_of(i) + 1) + ")");
                }
            }
        }
    }
    const std::vector<double>& stop = stop_used.empty() ? data.stop : stop_used;

    // Sort: stratum ascending, stop descending; rows of one time keep input order (the
    // order within a time changes no sum). Counting sort for whole-number times of a
    // narrow range, LSD radix sort otherwise; O(n).
    // The sorted columns, allocated once the order is known (the sort's own arrays are gone
    // by then: at tens of millions of rows, the two do not add up).
    auto allocate_sorted = [&] {
        out.stop.resize(n);
        if (out.counting) out.start.resize(n);
        out.event.resize(n);
        out.weight.resize(n);
        out.stratum.resize(n);
        if (clustered) out.cluster.resize(n);
        out.x.resize(n * p);
    };
    const double* mean = out.means.data();
    const bool threaded = n >= 200'000;
    std::vector<std::size_t> order;

    // With whole-number times of a narrow range, one stratum and no start times: a counting
    // sort by (time descending, event). Each half of the input is counted and then written
    // to its sorted positions on its own thread: sequential reads, and writes that advance
    // through one short run per bucket (few enough to stay in cache). Every sorted
    // position's time and event follow from its bucket.
    bool bucketed = false;
    std::vector<std::size_t> time_begin;  // bucketed: where each distinct time's rows begin
    if (!stratified && !out.counting && n >= 1024) {
        // whole numbers, and their range (two threads, one half each)
        struct Range {
            double lo = 0, hi = 0;
            bool whole = true;
        };
        Range ranges[2];
        for_halves(n, 200'000, [&](std::size_t from, std::size_t to) {
            Range r{stop[from], stop[from], true};
            for (std::size_t i = from; i < to && r.whole; ++i) {
                const double v = stop[i];
                r.whole = v == std::floor(v) && std::fabs(v) < 9.0e15;
                r.lo = std::min(r.lo, v);
                r.hi = std::max(r.hi, v);
            }
            ranges[from == 0 ? 0 : 1] = r;
        });
        if (n < 200'000) ranges[1] = ranges[0];
        const double lo = std::min(ranges[0].lo, ranges[1].lo), hi = std::max(ranges[0].hi, ranges[1].hi);
        const bool whole = ranges[0].whole && ranges[1].whole;
        bucketed = whole && hi - lo + 1 <= static_cast<double>(4 * n + 4096);
        if (bucketed) {
            const auto buckets = 2 * static_cast<std::size_t>(hi - lo + 1);
            auto bucket_of = [&](std::size_t i) {  // b = 2 (top - time) + event
                return 2 * static_cast<std::size_t>(hi - stop[i]) + (data.event[row_of(i)] != 0 ? 1 : 0);
            };
            const std::size_t half = threaded ? n / 2 : n;
            std::vector<std::size_t> first_next(buckets, 0), second_next(buckets, 0);
            auto count = [&](std::size_t from, std::size_t to, std::vector<std::size_t>& c) {
                for (std::size_t i = from; i < to; ++i) ++c[bucket_of(i)];
            };
            if (threaded) {
                run_beside([&] { count(half, n, second_next); }, [&] { count(0, half, first_next); });
            } else {
                count(0, n, first_next);
            }
            // bucket b: the first half's rows, then the second half's (a stable sort)
            const std::size_t total = half_starts(first_next, second_next);
            std::vector<std::size_t> bucket_end(buckets);
            for (std::size_t b = 0; b < buckets; ++b) bucket_end[b] = b + 1 < buckets ? first_next[b + 1] : total;
            for (std::size_t b = 0; b < buckets; b += 2) {
                const std::size_t begin = b == 0 ? 0 : bucket_end[b - 1];
                if (bucket_end[b + 1] > begin) time_begin.push_back(begin);
            }
            allocate_sorted();
            if (keep_index) out.used_index.resize(n);
            auto scatter = [&](std::size_t from, std::size_t to, std::vector<std::size_t>& next) {
                for (std::size_t i = from; i < to; ++i) {
                    const std::size_t pos = next[bucket_of(i)]++;
                    const std::size_t row = row_of(i);
                    if (keep_index) out.used_index[pos] = i;
                    out.weight[pos] = weighted ? data.weight[row] : 1.0;
                    if (clustered) out.cluster[pos] = data.cluster[row];
                    double* dst = out.x.data() + pos * p;
                    for (std::size_t k = 0; k < p; ++k) dst[k] = covariate(row, k) - mean[k];
                }
            };
            // the times, events and (one) stratum of sorted positions [from, to)
            auto fill = [&](std::size_t from, std::size_t to, std::size_t& events) {
                auto bucket = static_cast<std::size_t>(
                    std::upper_bound(bucket_end.begin(), bucket_end.end(), from) - bucket_end.begin());
                for (std::size_t pos = from; pos < to; ++pos) {
                    while (bucket_end[bucket] <= pos) ++bucket;
                    out.stop[pos] = hi - static_cast<double>(bucket / 2);
                    const auto e = static_cast<std::uint8_t>(bucket & 1);
                    out.event[pos] = e;
                    events += e;
                    out.stratum[pos] = 0;
                }
            };
            std::size_t events_second = 0;
            if (threaded) {
                run_beside([&] { scatter(half, n, second_next); }, [&] { scatter(0, half, first_next); });
                run_beside([&] { fill(n / 2, n, events_second); }, [&] { fill(0, n / 2, out.events); });
            } else {
                scatter(0, n, first_next);
                fill(0, n, out.events);
            }
            out.events += events_second;
        }
    }
    if (!bucketed) {
        // Radix (or counting) order by time, stably by stratum; then each sorted row is
        // gathered from the input: sequential writes (the first touch of every page of the
        // new arrays), random reads fetched ahead; two threads, one half of the output each.
        order = radix_order_descending(stop);
        if (stratified) {
            std::vector<std::int32_t> codes(n);
            for (std::size_t i = 0; i < n; ++i) codes[i] = data.stratum[row_of(i)];
            order = stable_order_by_code(order, codes);
        }
        if (release != nullptr) {
            // A released input is gathered a column at a time, each input column freed once
            // its sorted copy is made: the input and the copy are never held whole at once
            // (at tens of millions of rows, hundreds of megabytes). The same values as the
            // row-wise gather below.
            auto each = [&](auto&& assign) {
                auto part = [&](std::size_t from, std::size_t to) {
                    for (std::size_t pos = from; pos < to; ++pos) assign(pos, order[pos]);
                };
                if (threaded) {
                    run_beside([&] { part(n / 2, n); }, [&] { part(0, n / 2); });
                } else {
                    part(0, n);
                }
            };
            out.stop.resize(n);
            each([&](std::size_t pos, std::size_t i) { out.stop[pos] = stop[i]; });
            std::vector<double>().swap(stop_used);
            std::vector<double>().swap(release->stop);
            if (out.counting) {
                out.start.resize(n);
                each([&](std::size_t pos, std::size_t i) { out.start[pos] = start_used[i]; });
                std::vector<double>().swap(start_used);
            }
            out.event.resize(n);
            each([&](std::size_t pos, std::size_t i) { out.event[pos] = data.event[row_of(i)] != 0 ? 1 : 0; });
            for (std::size_t pos = 0; pos < n; ++pos) out.events += out.event[pos];
            std::vector<double>().swap(release->event);
            out.weight.resize(n);
            each([&](std::size_t pos, std::size_t i) { out.weight[pos] = weighted ? data.weight[row_of(i)] : 1.0; });
            std::vector<double>().swap(release->weight);
            out.stratum.resize(n);
            each([&](std::size_t pos, std::size_t i) { out.stratum[pos] = stratified ? data.stratum[row_of(i)] : 0; });
            std::vector<std::int32_t>().swap(release->stratum);
            if (clustered) {
                out.cluster.resize(n);
                each([&](std::size_t pos, std::size_t i) { out.cluster[pos] = data.cluster[row_of(i)]; });
                std::vector<std::int32_t>().swap(release->cluster);
            }
            out.x.resize(n * p);
            each([&](std::size_t pos, std::size_t i) {
                const std::size_t row = row_of(i);
                double* dst = out.x.data() + pos * p;
                for (std::size_t k = 0; k < p; ++k) dst[k] = covariate(row, k) - mean[k];
            });
        } else {
            allocate_sorted();
            auto gather = [&](std::size_t from, std::size_t to, std::size_t& events) {
                constexpr std::size_t ahead = 16;
                for (std::size_t pos = from; pos < to; ++pos) {
                    if (pos + ahead < to) {
                        const std::size_t later = row_of(order[pos + ahead]);
                        if (!by_column) __builtin_prefetch(data.x.data() + later * p);
                        __builtin_prefetch(data.event.data() + later);
                        if (all_used && !out.counting) __builtin_prefetch(data.stop.data() + later);
                        if (weighted) __builtin_prefetch(data.weight.data() + later);
                    }
                    const std::size_t i = order[pos];
                    const std::size_t row = row_of(i);
                    out.stop[pos] = stop[i];
                    if (out.counting) out.start[pos] = start_used[i];
                    const std::uint8_t e = data.event[row] != 0 ? 1 : 0;
                    out.event[pos] = e;
                    events += e;
                    out.weight[pos] = weighted ? data.weight[row] : 1.0;
                    out.stratum[pos] = stratified ? data.stratum[row] : 0;
                    if (clustered) out.cluster[pos] = data.cluster[row];
                    double* dst = out.x.data() + pos * p;
                    for (std::size_t k = 0; k < p; ++k) dst[k] = covariate(row, k) - mean[k];
                }
            };
            std::size_t events_second = 0;
            if (threaded) {
                run_beside([&] { gather(n / 2, n, events_second); }, [&] { gather(0, n / 2, out.events); });
            } else {
                gather(0, n, out.events);
            }
            out.events += events_second;
        }
        if (keep_index) out.used_index = std::move(order);
    }
    std::vector<std::size_t>().swap(order);
    if (release != nullptr) {  // every input column is in the sorted copy
        std::vector<double>().swap(release->start);
        std::vector<double>().swap(release->stop);
        std::vector<double>().swap(release->event);
        std::vector<double>().swap(release->weight);
        std::vector<std::int32_t>().swap(release->stratum);
        std::vector<std::int32_t>().swap(release->cluster);
        std::vector<double>().swap(release->x);
        std::vector<std::span<const double>>().swap(release->columns);
    }

    if (time_fix && !out.counting) {
        // Merging maps each time to the first of its run, which keeps the order: work on
        // the distinct times only (the same result as on all values), read from the sorted
        // times (sequential).
        std::vector<double> distinct;
        for (std::size_t pos = 0; pos < n; ++pos) {
            const double t = out.stop[pos];
            if (distinct.empty() || distinct.back() != t) distinct.push_back(t);
        }
        std::sort(distinct.begin(), distinct.end());
        distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
        std::vector<double> merged(distinct);
        if (merge_near_equal_times(merged) > 0) {
            for (std::size_t pos = 0; pos < n; ++pos) {
                const auto k = static_cast<std::size_t>(
                    std::lower_bound(distinct.begin(), distinct.end(), out.stop[pos]) - distinct.begin());
                if (merged[k] != out.stop[pos]) {
                    out.stop[pos] = merged[k];
                    ++out.times_merged;
                }
            }
        }
    }
    if (bucketed && out.times_merged == 0) {
        // one stratum; the runs of one time are the buckets' (no scan of the sorted rows)
        out.stratum_begin = {0, n};
        out.group_begin = std::move(time_begin);
    } else {
        out.stratum_begin.push_back(0);
        for (std::size_t pos = 1; pos < n; ++pos) {
            if (out.stratum[pos] != out.stratum[pos - 1]) out.stratum_begin.push_back(pos);
        }
        out.stratum_begin.push_back(n);
        if (n == 0) out.stratum_begin = {0, 0};
        for (std::size_t pos = 0; pos < n; ++pos) {
            if (pos == 0 || out.stop[pos] != out.stop[pos - 1] || out.stratum[pos] != out.stratum[pos - 1]) {
                out.group_begin.push_back(pos);
            }
        }
    }
    out.group_begin.push_back(n);

    if (out.counting) {
        out.by_start.resize(n);
        std::iota(out.by_start.begin(), out.by_start.end(), 0);
        for (std::size_t s = 0; s + 1 < out.stratum_begin.size(); ++s) {
            auto first = out.by_start.begin() + static_cast<std::ptrdiff_t>(out.stratum_begin[s]);
            auto last = out.by_start.begin() + static_cast<std::ptrdiff_t>(out.stratum_begin[s + 1]);
            std::stable_sort(first, last, [&](std::size_t a, std::size_t b) {
                return out.start[a] > out.start[b];
            });
        }
    }
    out.used_rows = std::move(used);
    set_x_abs_max(out);
    return out;
}

void set_x_abs_max(CoxPrepared& data) {
    data.x_abs_max.assign(data.p, 0.0);
    for (std::size_t i = 0; i < data.n; ++i) {
        for (std::size_t k = 0; k < data.p; ++k) {
            data.x_abs_max[k] = std::max(data.x_abs_max[k], std::fabs(data.x[i * data.p + k]));
        }
    }
}

namespace {

// The argument of exp() for a linear predictor, bounded so that the risk stays finite for
// runaway coefficients (separation): the likelihood is flat there anyway and Newton–Raphson
// halves the step.
// Fills the lower triangle of the p x p information from the upper one, stores the log
// likelihood and notes whether every number of the pass is finite.
void finish_pass(CoxPass& out, double loglik, std::size_t p) {
    for (std::size_t k = 0; k < p; ++k) {
        for (std::size_t l = 0; l < k; ++l) out.imat[k * p + l] = out.imat[l * p + k];
    }
    out.loglik = loglik;
    out.finite = std::isfinite(loglik);
    for (double v : out.u) out.finite = out.finite && std::isfinite(v);
    for (double v : out.imat) out.finite = out.finite && std::isfinite(v);
}

inline double exp_argument(double eta) { return std::clamp(eta, -700.0, 700.0); }

// The sums below square exp(eta) (S1 S1' / S0^2), so a linear predictor above ~350 would
// overflow them, where the running ratios of R's coxfit6 and agfit4 stay finite up to ~709
// (a diverging coefficient reaches such values before the loglik converges). The linear
// predictor is then shifted by a constant c that brings its largest value to 300: every
// ratio is unchanged, and the log-likelihood, sum w (eta - c) - sum m log(D e^-c), too.
double eta_shift(const CoxPrepared& data, const std::vector<double>& beta) {
    constexpr double largest = 300;
    double bound = 0;
    for (std::size_t k = 0; k < data.p; ++k) {
        bound += std::fabs(beta[k]) * (data.x_abs_max.empty() ? std::numeric_limits<double>::infinity()
                                                              : data.x_abs_max[k]);
    }
    if (!(bound > largest)) return 0;
    double top = -std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < data.n; ++i) {
        double e = 0;
        for (std::size_t k = 0; k < data.p; ++k) e += data.x[i * data.p + k] * beta[k];
        top = std::max(top, e);
    }
    return std::isfinite(top) && top > largest ? top - largest : 0;
}

// The scalar sums of one tied event time. Efron: the d tied deaths leave the risk set in d
// equal steps (§4.2); with D_r = S0 - f_r e0 and a_r = (S1 - f_r e1) / D_r, every sum over
// the steps r is a combination of S1, e1 (S2, e2) with c_k = sum m f^k / D_r and
// q_k = sum m f^k / D_r^2, so a tied time costs O(d + p^2), not O(d p^2). Breslow: one step.
struct TiedTimeSums {
    int steps = 1;
    double m = 0;  // weight of each step
    double c1 = 0, c2 = 0, q0 = 0, q1 = 0, q2 = 0, log_sum = 0;
};

inline TiedTimeSums tied_time_sums(CoxTies ties, double deaths, double death_weight, double s0, double e0) {
    const bool efron = ties == CoxTies::efron && deaths > 1;
    TiedTimeSums sums;
    sums.steps = efron ? static_cast<int>(deaths) : 1;
    sums.m = efron ? death_weight / deaths : death_weight;
    if (!efron) {
        const double inv = sums.m / s0;
        sums.log_sum = std::log(s0);
        sums.c1 = inv;
        sums.q0 = inv / s0;
        return sums;
    }
    // sum_r log D_r = d log S0 + log prod_r (D_r / S0): one log per tied time instead of
    // one per death. Each factor lies in [1/d, 1] (the deaths are part of the risk set), so
    // the product is rescaled by a power of two before it could underflow.
    const double inv_s0 = 1 / s0;
    double product = 1;
    int exponent = 0;
    for (int r = 0; r < sums.steps; ++r) {
        const double f = r / deaths;
        const double denom = s0 - f * e0;
        product *= denom * inv_s0;
        if (product < 0x1p-900) {
            int e = 0;
            product = std::frexp(product, &e);
            exponent += e;
        }
        const double reciprocal = 1 / denom;
        const double inv = sums.m * reciprocal, inv2 = inv * reciprocal;
        sums.c1 += inv;
        sums.c2 += f * inv;
        sums.q0 += inv2;
        sums.q1 += f * inv2;
        sums.q2 += f * f * inv2;
    }
    sums.log_sum = deaths * std::log(s0) + (std::log(product) + exponent * std::numbers::ln2);
    return sums;
}

}  // namespace

// P > 0: the number of covariates as a compile-time constant (unrolled loops); 0: any.
template <std::size_t P>
CoxPass cox_pass_impl(const CoxPrepared& data, const std::vector<double>& beta, CoxTies ties,
                      CoxEventTimes* record, CoxTimeWeighted* weighted, double shift) {
    const std::size_t n = data.n, p = P > 0 ? P : data.p;
    CoxPass out;
    out.u.assign(p, 0.0);
    out.imat.assign(p * p, 0.0);
    const double* x = data.x.data();

    // Reused between passes (no page faults) up to 4 million rows; beyond (the clones of a
    // target trial at national scale) a pass's own, released when it returns rather than
    // held by the thread for the rest of the run.
    thread_local std::vector<double> kept_eta, kept_risk;
    std::vector<double> own_eta, own_risk;
    const bool keep = n <= (std::size_t{1} << 22);
    std::vector<double>& eta = keep ? kept_eta : own_eta;
    std::vector<double>& risk = keep ? kept_risk : own_risk;
    eta.resize(n);
    risk.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        double e = 0;
        for (std::size_t k = 0; k < p; ++k) e += x[i * p + k] * beta[k];
        e -= shift;
        eta[i] = e;
        risk[i] = exp_argument(e);
    }
    exp_in_place(risk.data(), n);
    for (std::size_t i = 0; i < n; ++i) risk[i] *= data.weight[i];

    std::vector<double> s1(p), s2(p * p), e1(p), e2(p * p), a(p), it(p * p), ut(p);
    if (record) {
        *record = CoxEventTimes{};
        record->p = p;
        record->shift = shift;
    }
    if (weighted) {
        weighted->u_g.assign(p, 0.0);
        weighted->i_bg.assign(p * p, 0.0);
        weighted->i_gg.assign(p * p, 0.0);
    }
    std::size_t event_time_index = 0;
    double loglik = 0;

    // Adds (sign +1) or removes (sign -1) a row's risk to the running sums S0, S1, S2
    // (upper triangle of S2 only).
    double s0 = 0;
    auto update = [&](std::size_t i, double sign) {
        const double r = sign * risk[i];
        const double* xi = x + i * p;
        s0 += r;
        for (std::size_t j = 0; j < p; ++j) {
            const double rx = r * xi[j];
            s1[j] += rx;
            double* row = s2.data() + j * p;
            for (std::size_t k = j; k < p; ++k) row[k] += rx * xi[k];
        }
    };

    for (std::size_t s = 0; s + 1 < data.stratum_begin.size(); ++s) {
        const std::size_t begin = data.stratum_begin[s], end = data.stratum_begin[s + 1];
        s0 = 0;
        std::fill(s1.begin(), s1.end(), 0.0);
        std::fill(s2.begin(), s2.end(), 0.0);
        std::size_t next_start = begin;  // into by_start
        std::size_t members = 0;         // rows in the running sums
        std::size_t i = begin;
        while (i < end) {
            const double t = data.stop[i];
            // (start, stop]: rows that start at or after t are not at risk at t (none of the rows
            // of t is among them). They leave before the rows of t join, and when the risk set
            // empties the sums restart from exact zeros, as R's agfit4: a removal leaves rounding
            // of the size of the largest risk removed, which would swamp the next risk set.
            if (data.counting) {
                while (next_start < end && data.start[data.by_start[next_start]] >= t) {
                    update(data.by_start[next_start], -1.0);
                    ++next_start;
                    if (--members == 0) {
                        s0 = 0;
                        std::fill(s1.begin(), s1.end(), 0.0);
                        std::fill(s2.begin(), s2.end(), 0.0);
                    }
                }
            }
            double deaths = 0, death_weight = 0, e0 = 0;
            bool any_death = false;
            std::size_t j = i;
            for (; j < end && data.stop[j] == t; ++j) {
                ++members;
                if (!data.event[j]) {
                    update(j, 1.0);
                } else {
                    if (!any_death) {
                        std::fill(e1.begin(), e1.end(), 0.0);
                        std::fill(e2.begin(), e2.end(), 0.0);
                        std::fill(ut.begin(), ut.end(), 0.0);
                        any_death = true;
                    }
                    const double w = data.weight[j], r = risk[j];
                    const double* xj = x + j * p;
                    deaths += 1;
                    death_weight += w;
                    e0 += r;
                    loglik += w * eta[j];
                    for (std::size_t k = 0; k < p; ++k) {
                        ut[k] += w * xj[k];
                        e1[k] += r * xj[k];
                        double* row = e2.data() + k * p;
                        for (std::size_t l = k; l < p; ++l) row[l] += r * xj[k] * xj[l];
                    }
                }
            }
            if (any_death) {  // the deaths join the risk set: S += e
                s0 += e0;
                for (std::size_t k = 0; k < p; ++k) {
                    s1[k] += e1[k];
                    for (std::size_t l = k; l < p; ++l) s2[k * p + l] += e2[k * p + l];
                }
            }
            if (any_death) {
                const auto [steps, m, c1, c2, q0, q1, q2, log_sum] = tied_time_sums(ties, deaths, death_weight, s0, e0);
                loglik -= m * log_sum;
                for (std::size_t k = 0; k < p; ++k) {
                    ut[k] -= s1[k] * c1 - e1[k] * c2;
                    for (std::size_t l = k; l < p; ++l) {
                        it[k * p + l] = c1 * s2[k * p + l] - c2 * e2[k * p + l] -
                                        (s1[k] * s1[l] * q0 - (s1[k] * e1[l] + e1[k] * s1[l]) * q1 +
                                         e1[k] * e1[l] * q2);
                    }
                }
                for (std::size_t k = 0; k < p; ++k) {
                    out.u[k] += ut[k];
                    for (std::size_t l = k; l < p; ++l) out.imat[k * p + l] += it[k * p + l];
                }
                if (record) {
                    // h = sum m/D_r, h2 = sum m (1-f)/D_r, hx = sum m a_r/D_r,
                    // hx2 = sum m (1-f) a_r/D_r, amean = (1/d) sum a_r.
                    record->stratum.push_back(data.stratum[i]);
                    record->time.push_back(t);
                    record->deaths.push_back(deaths);
                    record->h.push_back(c1);
                    record->h2.push_back(c1 - c2);
                    for (std::size_t k = 0; k < p; ++k) {
                        record->hx.push_back(s1[k] * q0 - e1[k] * q1);
                        record->hx2.push_back(s1[k] * (q0 - q1) - e1[k] * (q1 - q2));
                        record->amean.push_back((s1[k] * c1 - e1[k] * c2) / (m * steps));
                    }
                }
                if (weighted) {
                    const double g = weighted->g[event_time_index];
                    for (std::size_t k = 0; k < p; ++k) {
                        weighted->u_g[k] += g * ut[k];
                        for (std::size_t l = k; l < p; ++l) {
                            weighted->i_bg[k * p + l] += g * it[k * p + l];
                            weighted->i_gg[k * p + l] += g * g * it[k * p + l];
                        }
                    }
                }
                ++event_time_index;
            }
            i = j;
        }
    }
    auto symmetrise = [p](std::vector<double>& m) {
        for (std::size_t k = 0; k < p; ++k) {
            for (std::size_t l = 0; l < k; ++l) m[k * p + l] = m[l * p + k];
        }
    };
    if (weighted) {
        symmetrise(weighted->i_bg);
        symmetrise(weighted->i_gg);
    }
    finish_pass(out, loglik, p);
    return out;
}

#if defined(__x86_64__)
// The sums of one run of rows of one event status, four doubles at a time (AVX2, FMA): each
// row's covariates as ceil(P/4) vectors; r x and r x x' as vector multiply-adds over the full
// P x P square, of which the upper triangle is kept. Adds into the run's block `t` (r, r x,
// r x x') and, for deaths, into `tail` (sum w x, count, sum w, sum w eta).
template <std::size_t P, bool Dying, bool Unit>
__attribute__((target("avx2,fma"))) void run_sums_avx2(const double* x, const double* risk, const double* eta,
                                                       const double* weight, std::size_t rows, double* t,
                                                       double* tail) {
    constexpr std::size_t V = (P + 3) / 4;
    constexpr std::size_t rest = P % 4;  // lanes used in the last vector (0: all four)
    const __m256i mask = _mm256_set_epi64x(rest == 0 || rest > 3 ? -1 : 0, rest == 0 || rest > 2 ? -1 : 0,
                                           rest == 0 || rest > 1 ? -1 : 0, -1);
    __m256d s1[V], s2[P][V], ut[V];
    for (std::size_t v = 0; v < V; ++v) {
        s1[v] = _mm256_setzero_pd();
        ut[v] = _mm256_setzero_pd();
        for (std::size_t a = 0; a < P; ++a) s2[a][v] = _mm256_setzero_pd();
    }
    double s0 = 0, count = 0, weight_sum = 0, weight_eta = 0;
    for (std::size_t q = 0; q < rows; ++q) {
        const double* xi = x + q * P;
        __m256d xv[V];
        for (std::size_t v = 0; v < V; ++v) {
            xv[v] = rest != 0 && v + 1 == V ? _mm256_maskload_pd(xi + 4 * v, mask) : _mm256_loadu_pd(xi + 4 * v);
        }
        const double w = Unit ? 1.0 : weight[q];
        const double r = w * risk[q];
        s0 += r;
        const __m256d rv = _mm256_set1_pd(r);
        for (std::size_t v = 0; v < V; ++v) s1[v] = _mm256_fmadd_pd(rv, xv[v], s1[v]);
        for (std::size_t a = 0; a < P; ++a) {
            const __m256d ra = _mm256_set1_pd(r * xi[a]);
            for (std::size_t v = 0; v < V; ++v) s2[a][v] = _mm256_fmadd_pd(ra, xv[v], s2[a][v]);
        }
        if constexpr (Dying) {
            const __m256d wv = _mm256_set1_pd(w);
            for (std::size_t v = 0; v < V; ++v) ut[v] = _mm256_fmadd_pd(wv, xv[v], ut[v]);
            count += 1;
            weight_sum += w;
            weight_eta += w * eta[q];
        }
    }
    alignas(32) double lanes[4 * V];
    t[0] += s0;
    for (std::size_t v = 0; v < V; ++v) _mm256_store_pd(lanes + 4 * v, s1[v]);
    for (std::size_t k = 0; k < P; ++k) t[1 + k] += lanes[k];
    for (std::size_t a = 0; a < P; ++a) {
        for (std::size_t v = 0; v < V; ++v) _mm256_store_pd(lanes + 4 * v, s2[a][v]);
        for (std::size_t c = a; c < P; ++c) t[1 + P + a * P + c] += lanes[c];
    }
    if constexpr (Dying) {
        for (std::size_t v = 0; v < V; ++v) _mm256_store_pd(lanes + 4 * v, ut[v]);
        for (std::size_t k = 0; k < P; ++k) tail[k] += lanes[k];
        tail[P] += count;
        tail[P + 1] += weight_sum;
        tail[P + 2] += weight_eta;
    }
}
#endif

// The same pass for right-censored data with few distinct times, in phases that need no
// running state except one short walk: (1) the sums of each run of one time (censored rows
// and deaths apart), split between two threads when the rows are many; (2) the risk-set
// sums at each run, a running total over the runs; (3) the tie arithmetic of each event
// time, which given those sums is independent of every other time, split between two
// threads by the number of deaths.
template <std::size_t P>
CoxPass cox_pass_grouped(const CoxPrepared& data, const std::vector<double>& beta, CoxTies ties, double shift) {
    const std::size_t p = P;
    constexpr std::size_t w_sum = 1 + P + P * P;            // r, r x, r x x' (upper)
    constexpr std::size_t stride = 2 * w_sum + P + 3;       // censored, deaths, sum w x, d, sum w, sum w eta
    const std::size_t groups = data.group_begin.size() - 1;
    thread_local std::vector<double> reused;  // between passes (no page faults)
    std::vector<double>& sums = reused;       // the caller's, also on the worker thread
    sums.assign(groups * stride, 0.0);
    double b[P];
    for (std::size_t k = 0; k < P; ++k) b[k] = beta[k];
    const bool threaded = data.n >= 200'000 && groups >= 2;

    // unit weights (a compile-time constant): the weights are not read
    auto phase1_with = [&](std::size_t g0, std::size_t g1, auto unit) {
        const double* x = data.x.data();
        constexpr std::size_t chunk = 256;
        double eta[chunk], risk[chunk];
        for (std::size_t g = g0; g < g1; ++g) {
            double* cs = sums.data() + g * stride;
            double* ds = cs + w_sum;
            double* tail = ds + w_sum;  // ut[P], deaths, death weight, sum w eta
            for (std::size_t i0 = data.group_begin[g]; i0 < data.group_begin[g + 1]; i0 += chunk) {
                const std::size_t len = std::min(chunk, data.group_begin[g + 1] - i0);
                for (std::size_t j = 0; j < len; ++j) {
                    const double* xi = x + (i0 + j) * P;
                    double e = 0;
                    for (std::size_t k = 0; k < P; ++k) e += xi[k] * b[k];
                    e -= shift;
                    eta[j] = e;
                    risk[j] = exp_argument(e);
                }
                exp_in_place(risk, len);
                // Runs of rows of one event status (one run each when a time's censored rows
                // precede its deaths): their sums in local variables, which the compiler can
                // keep in registers, added to the time's block at the end of the run.
                for (std::size_t j = 0; j < len;) {
                    const std::size_t i_run = i0 + j;
                    auto run = [&](auto dying) {
                        // the run ends at the first row of the other status (events are 0/1 bytes)
                        const std::uint8_t* flags = data.event.data() + i0;
                        const void* other = std::memchr(flags + j, dying.value ? 0 : 1, len - j);
                        const std::size_t end =
                            other == nullptr ? len : static_cast<std::size_t>(static_cast<const std::uint8_t*>(other) - flags);
                        double* t = dying.value ? ds : cs;
#if defined(__x86_64__)
                        if (cpu_has_avx2_fma()) {
                            run_sums_avx2<P, dying.value, unit.value>(
                                x + i0 * P + j * P, risk + j, eta + j, data.weight.data() + i0 + j, end - j, t, tail);
                            return end;
                        }
#endif
                        double acc[w_sum] = {};
                        double ut[P] = {};
                        double count = 0, weight_sum = 0, weight_eta = 0;
                        std::size_t q = j;
                        for (; q < end; ++q) {
                            const std::size_t i = i0 + q;
                            const double* xi = x + i * P;
                            const double w = unit.value ? 1.0 : data.weight[i];
                            const double r = w * risk[q];
                            acc[0] += r;
                            for (std::size_t a = 0; a < P; ++a) {
                                const double rx = r * xi[a];
                                acc[1 + a] += rx;
                                for (std::size_t c = a; c < P; ++c) acc[1 + P + a * P + c] += rx * xi[c];
                            }
                            if constexpr (dying.value) {
                                for (std::size_t k = 0; k < P; ++k) ut[k] += w * xi[k];
                                count += 1;
                                weight_sum += w;
                                weight_eta += w * eta[q];
                            }
                        }
                        for (std::size_t v = 0; v < w_sum; ++v) t[v] += acc[v];
                        if constexpr (dying.value) {
                            for (std::size_t k = 0; k < P; ++k) tail[k] += ut[k];
                            tail[P] += count;
                            tail[P + 1] += weight_sum;
                            tail[P + 2] += weight_eta;
                        }
                        return q;
                    };
                    j = data.event[i_run] ? run(std::true_type{}) : run(std::false_type{});
                }
            }
        }
    };
    auto phase1 = [&](std::size_t g0, std::size_t g1) {
        if (data.unit_weights) {
            phase1_with(g0, g1, std::true_type{});
        } else {
            phase1_with(g0, g1, std::false_type{});
        }
    };
    if (threaded) {
        std::size_t middle = 0;
        while (middle < groups && data.group_begin[middle] < data.n / 2) ++middle;
        run_beside([&] { phase1(middle, groups); }, [&] { phase1(0, middle); });
    } else {
        phase1(0, groups);
    }

    // (2) The censored block of each run becomes the risk-set sums S at its time: all rows of
    // the stratum with this time or a later one.
    double total_deaths = 0;
    {
        double s[w_sum] = {};
        std::size_t next_stratum = 0;
        for (std::size_t g = 0; g < groups; ++g) {
            if (next_stratum < data.stratum_begin.size() &&
                data.group_begin[g] == data.stratum_begin[next_stratum]) {
                std::fill(s, s + w_sum, 0.0);
                ++next_stratum;
            }
            double* cs = sums.data() + g * stride;
            const double* ds = cs + w_sum;
            for (std::size_t q = 0; q < w_sum; ++q) {
                s[q] += cs[q] + ds[q];
                cs[q] = s[q];
            }
            total_deaths += ds[w_sum + P];
        }
    }

    // (3) Each event time's contribution, into one partial sum per thread.
    struct Partial {
        double loglik = 0;
        double u[P] = {};
        double imat[P * P] = {};
    };
    auto phase3 = [&](std::size_t g0, std::size_t g1, Partial& result) {
        Partial part;  // on this thread's stack: the two threads' sums share no cache line
        for (std::size_t g = g0; g < g1; ++g) {
            const double* cs = sums.data() + g * stride;
            const double* ds = cs + w_sum;
            const double* tail = ds + w_sum;
            const double deaths = tail[P];
            if (deaths == 0) continue;
            const double s0 = cs[0];
            const double* s1 = cs + 1;
            const double* s2 = cs + 1 + P;
            const double e0 = ds[0];
            const double* e1 = ds + 1;
            const double* e2 = ds + 1 + P;
            part.loglik += tail[P + 2];
            const auto [steps, m, c1, c2, q0, q1, q2, log_sum] =
                tied_time_sums(ties, deaths, tail[P + 1], s0, e0);
            part.loglik -= m * log_sum;
            for (std::size_t k = 0; k < P; ++k) {
                part.u[k] += tail[k] - (s1[k] * c1 - e1[k] * c2);
                for (std::size_t l = k; l < P; ++l) {
                    part.imat[k * P + l] += c1 * s2[k * P + l] - c2 * e2[k * P + l] -
                                            (s1[k] * s1[l] * q0 - (s1[k] * e1[l] + e1[k] * s1[l]) * q1 +
                                             e1[k] * e1[l] * q2);
                }
            }
        }
        result = part;
    };
    Partial first, second;
    if (threaded && total_deaths >= 50'000) {
        std::size_t middle = 0;
        double running = 0;
        while (middle < groups && running < total_deaths / 2) {
            running += sums[middle * stride + 2 * w_sum + P];
            ++middle;
        }
        run_beside([&] { phase3(middle, groups, second); }, [&] { phase3(0, middle, first); });
    } else {
        phase3(0, groups, first);
    }

    CoxPass out;
    out.u.assign(p, 0.0);
    out.imat.assign(p * p, 0.0);
    const double loglik = first.loglik + second.loglik;
    for (std::size_t k = 0; k < P; ++k) {
        out.u[k] = first.u[k] + second.u[k];
        for (std::size_t l = k; l < P; ++l) out.imat[k * P + l] = first.imat[k * P + l] + second.imat[k * P + l];
    }
    finish_pass(out, loglik, p);
    return out;
}

namespace {

// The exact partial likelihood (docs/methods.md §4.1): at an event time with d events among
// the risk set R, the term is exp(sum of the events' eta) / sum over every d-subset S of R
// of exp(sum_{i in S} eta_i). The denominator B(d, R) and its first and second derivatives
// in beta follow the recursion over the rows m of R
//   B(k, m) = B(k, m-1) + r_m B(k-1, m-1),   r_m = exp(eta_m),
// (Gail, Lubin & Rubinstein 1981), differentiated term by term; O(|R| d p^2) per time. The
// r_m are taken relative to the largest in R (B scales by its d-th power, which the log
// likelihood adds back and the ratios B_a / B, B_ab / B do not see).
CoxPass cox_pass_exact(const CoxPrepared& data, const std::vector<double>& beta) {
    const std::size_t n = data.n, p = data.p;
    CoxPass out;
    out.u.assign(p, 0.0);
    out.imat.assign(p * p, 0.0);
    std::vector<double> eta(n, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
        double s = 0;
        for (std::size_t k = 0; k < p; ++k) s += data.x[i * p + k] * beta[k];
        eta[i] = s;
    }
    std::vector<double> b, ba, bab;
    std::vector<std::size_t> risk;
    double loglik = 0;
    for (std::size_t s = 0; s + 1 < data.stratum_begin.size(); ++s) {
        const std::size_t first = data.stratum_begin[s], last = data.stratum_begin[s + 1];
        // Rows are in descending stop order: a time's run [g, end) and every row before it in
        // the stratum have stop >= t; with (start, stop] data only those with start < t count.
        for (std::size_t g = first; g < last;) {
            std::size_t end = g;
            const double t = data.stop[g];
            std::size_t d = 0;
            while (end < last && data.stop[end] == t) d += data.event[end++] != 0;
            if (d > 0) {
                risk.clear();
                for (std::size_t i = first; i < end; ++i) {
                    if (!data.counting || data.start[i] < t) risk.push_back(i);
                }
                double top = -std::numeric_limits<double>::infinity();
                for (std::size_t i : risk) top = std::max(top, eta[i]);
                b.assign(d + 1, 0.0);
                ba.assign((d + 1) * p, 0.0);
                bab.assign((d + 1) * p * p, 0.0);
                b[0] = 1;
                std::size_t seen = 0;
                for (std::size_t m : risk) {
                    const double r = std::exp(eta[m] - top);
                    const double* xm = &data.x[m * p];
                    ++seen;
                    for (std::size_t k = std::min(d, seen); k >= 1; --k) {
                        const double prev = b[k - 1];
                        const double* pa = &ba[(k - 1) * p];
                        const double* pab = &bab[(k - 1) * p * p];
                        double* ca = &ba[k * p];
                        double* cab = &bab[k * p * p];
                        for (std::size_t a = 0; a < p; ++a) {
                            for (std::size_t c = a; c < p; ++c) {
                                cab[a * p + c] += r * (xm[a] * xm[c] * prev + xm[a] * pa[c] + xm[c] * pa[a] + pab[a * p + c]);
                            }
                        }
                        for (std::size_t a = 0; a < p; ++a) ca[a] += r * (xm[a] * prev + pa[a]);
                        b[k] += r * prev;
                    }
                }
                const double bd = b[d];
                loglik -= std::log(bd) + static_cast<double>(d) * top;
                for (std::size_t i = g; i < end; ++i) {
                    if (data.event[i] == 0) continue;
                    loglik += eta[i];
                    for (std::size_t a = 0; a < p; ++a) out.u[a] += data.x[i * p + a];
                }
                const double* da = &ba[d * p];
                const double* dab = &bab[d * p * p];
                for (std::size_t a = 0; a < p; ++a) {
                    out.u[a] -= da[a] / bd;
                    for (std::size_t c = a; c < p; ++c) {
                        out.imat[a * p + c] += dab[a * p + c] / bd - (da[a] / bd) * (da[c] / bd);
                    }
                }
            }
            g = end;
        }
    }
    finish_pass(out, loglik, p);
    return out;
}

}  // namespace

CoxPass cox_pass(const CoxPrepared& data, const std::vector<double>& beta, CoxTies ties,
                 CoxEventTimes* record, CoxTimeWeighted* weighted) {
    if (ties == CoxTies::exact) {
        // Residuals and the cox.zph sums are not defined here for exact ties (as in R).
        if (record != nullptr || weighted != nullptr) {
            throw Error(ErrorKind::usage, "exact ties: residuals, a robust variance and cox.zph are not available");
        }
        return cox_pass_exact(data, beta);
    }
    const double shift = eta_shift(data, beta);
    // few distinct times (whole days): the two-phase pass
    const bool grouped = !data.counting && record == nullptr && weighted == nullptr &&
                         data.group_begin.size() >= 2 && (data.group_begin.size() - 1) * 8 <= data.n;
    if (grouped) {
        switch (data.p) {
            case 1: return cox_pass_grouped<1>(data, beta, ties, shift);
            case 2: return cox_pass_grouped<2>(data, beta, ties, shift);
            case 3: return cox_pass_grouped<3>(data, beta, ties, shift);
            case 4: return cox_pass_grouped<4>(data, beta, ties, shift);
            case 5: return cox_pass_grouped<5>(data, beta, ties, shift);
            case 6: return cox_pass_grouped<6>(data, beta, ties, shift);
            default: break;
        }
    }
    switch (data.p) {
        case 1: return cox_pass_impl<1>(data, beta, ties, record, weighted, shift);
        case 2: return cox_pass_impl<2>(data, beta, ties, record, weighted, shift);
        case 3: return cox_pass_impl<3>(data, beta, ties, record, weighted, shift);
        case 4: return cox_pass_impl<4>(data, beta, ties, record, weighted, shift);
        case 5: return cox_pass_impl<5>(data, beta, ties, record, weighted, shift);
        case 6: return cox_pass_impl<6>(data, beta, ties, record, weighted, shift);
        case 7: return cox_pass_impl<7>(data, beta, ties, record, weighted, shift);
        case 8: return cox_pass_impl<8>(data, beta, ties, record, weighted, shift);
        default: return cox_pass_impl<0>(data, beta, ties, record, weighted, shift);
    }
}

int cholesky_ldl(std::vector<double>& m, std::size_t p, double toler) {
    double eps = 0;
    for (std::size_t i = 0; i < p; ++i) eps = std::max(eps, std::fabs(m[i * p + i]));
    eps = eps > 0 ? eps * toler : toler;
    int rank = 0;
    // Lower triangle holds L (unit diagonal implied), the diagonal holds D.
    for (std::size_t i = 0; i < p; ++i) {
        const double pivot = m[i * p + i];
        if (!std::isfinite(pivot) || pivot < eps) {
            for (std::size_t j = i; j < p; ++j) m[j * p + i] = 0;
            continue;
        }
        ++rank;
        for (std::size_t j = i + 1; j < p; ++j) {
            const double temp = m[j * p + i] / pivot;
            m[j * p + i] = temp;
            m[j * p + j] -= temp * temp * pivot;
            for (std::size_t k = j + 1; k < p; ++k) m[k * p + j] -= temp * m[k * p + i];
        }
    }
    return rank;
}

void cholesky_solve(const std::vector<double>& f, std::size_t p, std::vector<double>& y) {
    for (std::size_t i = 0; i < p; ++i) {
        double temp = y[i];
        for (std::size_t j = 0; j < i; ++j) temp -= y[j] * f[i * p + j];
        y[i] = temp;
    }
    for (std::size_t ii = p; ii-- > 0;) {
        if (f[ii * p + ii] == 0) {
            y[ii] = 0;
            continue;
        }
        double temp = y[ii] / f[ii * p + ii];
        for (std::size_t j = ii + 1; j < p; ++j) temp -= y[j] * f[j * p + ii];
        y[ii] = temp;
    }
}

std::vector<double> cholesky_inverse(const std::vector<double>& f, std::size_t p) {
    std::vector<double> inverse(p * p, 0.0), column(p);
    for (std::size_t j = 0; j < p; ++j) {
        if (f[j * p + j] == 0) continue;
        std::fill(column.begin(), column.end(), 0.0);
        column[j] = 1;
        cholesky_solve(f, p, column);
        for (std::size_t i = 0; i < p; ++i) inverse[i * p + j] = column[i];
    }
    // exact symmetry
    for (std::size_t i = 0; i < p; ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            const double v = 0.5 * (inverse[i * p + j] + inverse[j * p + i]);
            inverse[i * p + j] = inverse[j * p + i] = v;
        }
    }
    return inverse;
}

}  // namespace rwe::stats::detail
