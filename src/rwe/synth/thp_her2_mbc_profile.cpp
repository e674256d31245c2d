#include "rwe/synth/thp_her2_mbc_profile.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace rwe::synth {

namespace {

bool history_gives_anti_her2(std::size_t history) {
    switch (static_cast<History>(history)) {
        case History::neoadjuvant_tchp:
        case History::neoadjuvant_ac_th:
        case History::adjuvant_ac_th:
        case History::adjuvant_tch:
        case History::progression_on_neoadjuvant_ac_th: return true;
        default: return false;
    }
}

double age_probability(const ThpHer2MbcProfile& profile, int age) {
    double total = 0;
    for (double w : profile.age_band_weights) total += w;
    for (std::size_t band = 0; band < 4; ++band) {
        if (age >= profile.age_band_edges[band] && age < profile.age_band_edges[band + 1]) {
            const int width = profile.age_band_edges[band + 1] - profile.age_band_edges[band];
            return profile.age_band_weights[band] / total / width;
        }
    }
    return 0;
}

double pre_menopause_share(const ThpHer2MbcProfile& profile, double center) {
    double share = 0;
    for (int age = profile.age_band_edges.front(); age < profile.age_band_edges.back(); ++age) {
        share += age_probability(profile, age) /
                 (1 + std::exp((age - center) / profile.menopause_slope_years));
    }
    return share;
}

// Docetaxel cycle count of a PD-class patient: cycles on days 0, 21, 42 before the PD
// assessment on day U{pd_first_day..pd_last_day}.
double pd_cycle_probability(const ThpHer2MbcProfile& profile, int cycles) {
    int count = 0;
    for (int day = profile.pd_first_day; day <= profile.pd_last_day; ++day) {
        const int given = 1 + (day > 21 ? 1 : 0) + (day > 42 ? 1 : 0);
        if (given == cycles) ++count;
    }
    return static_cast<double>(count) / (profile.pd_last_day - profile.pd_first_day + 1);
}


void calibrate(ThpHer2MbcProfile& profile) {
    // Menopause: P(pre | known) is decreasing in the logistic centre; bisection.
    double lo = 20, hi = 90;
    for (int iteration = 0; iteration < 100; ++iteration) {
        const double mid = 0.5 * (lo + hi);
        if (pre_menopause_share(profile, mid) < profile.menopause_pre_given_known) lo = mid;
        else hi = mid;
    }
    profile.menopause_center = 0.5 * (lo + hi);

    // Docetaxel target pmf (see the header): 1..5 rising weights, 6..9 shaped around the
    // median 9, 10..28 geometric (ratio 0.85).
    auto& target = profile.docetaxel_target;
    target.fill(0);
    const double few[5] = {1, 1.5, 2, 2.5, 3};
    const double mid[4] = {16, 6, 11, 28};
    double few_sum = 0, mid_sum = 0, many_sum = 0;
    for (double w : few) few_sum += w;
    for (double w : mid) mid_sum += w;
    for (int c = 10; c <= max_docetaxel_cycles; ++c) many_sum += std::pow(0.85, c - 10);
    for (int c = 1; c <= 5; ++c) target[c] = few[c - 1] / few_sum * 20.0 / 228;
    for (int c = 6; c <= 9; ++c) target[c] = mid[c - 6] / mid_sum * 139.0 / 228;
    for (int c = 10; c <= max_docetaxel_cycles; ++c) {
        target[c] = std::pow(0.85, c - 10) / many_sum * 69.0 / 228;
    }
    double response_total = 0;
    for (double w : profile.response_weights) response_total += w;
    const double p_pd = profile.response_weights[3] / response_total;
    for (int c = 1; c <= max_docetaxel_cycles; ++c) {
        profile.docetaxel_non_pd[c] =
            (target[c] - p_pd * pd_cycle_probability(profile, c)) / (1 - p_pd);
    }

    // PFS scale: S(t) is increasing in the scale; bisection on S(median) = 0.5.
    lo = 1, hi = 500;
    for (int iteration = 0; iteration < 200; ++iteration) {
        profile.pfs_scale = 0.5 * (lo + hi);
        if (thp_pfs_survival(profile, profile.pfs_median) < 0.5) lo = profile.pfs_scale;
        else hi = profile.pfs_scale;
    }
    profile.pfs_scale = 0.5 * (lo + hi);
}

}  // namespace

double prior_her2_share(const ThpHer2MbcProfile& profile) {
    double total = 0, exposed = 0;
    for (std::size_t h = 0; h < history_kinds; ++h) {
        total += profile.history_weights[h];
        if (history_gives_anti_her2(h)) exposed += profile.history_weights[h];
    }
    return (1 - profile.de_novo) * exposed / total;
}

double thp_pfs_survival(const ThpHer2MbcProfile& profile, double months) {
    double response_total = 0;
    for (double w : profile.response_weights) response_total += w;
    const double p_exposed = prior_her2_share(profile);
    double survival = 0;
    // The PD class has progressed by day 56 (< 2 months): it adds nothing beyond that.
    if (months < profile.pd_last_day / days_per_month) {
        throw std::logic_error("thp_pfs_survival is defined beyond the first assessment only");
    }
    for (std::size_t response = 0; response < 3; ++response) {
        const double p_response = profile.response_weights[response] / response_total;
        for (int exposed = 0; exposed <= 1; ++exposed) {
            const double p_e = exposed ? p_exposed : 1 - p_exposed;
            for (int cycles = 1; cycles <= max_docetaxel_cycles; ++cycles) {
                const double p_c = profile.docetaxel_non_pd[cycles];
                const double m = profile.pfs_response_hr[response] *
                                 (exposed ? profile.pfs_prior_her2_hr : 1.0) *
                                 (cycles < 6 ? profile.pfs_few_cycles_hr : 1.0);
                const double a = pfs_truncation_days(cycles) / days_per_month;
                const double s =
                    months <= a ? 1.0
                                : std::exp(-m * (std::pow(months / profile.pfs_scale, profile.pfs_shape) -
                                                 std::pow(a / profile.pfs_scale, profile.pfs_shape)));
                survival += p_response * p_e * p_c * s;
            }
        }
    }
    return survival;
}

const ThpHer2MbcProfile& thp_her2_mbc_profile() {
    static const ThpHer2MbcProfile profile = [] {
        ThpHer2MbcProfile p;
        calibrate(p);
        return p;
    }();
    return profile;
}

}  // namespace rwe::synth
