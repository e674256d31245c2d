#pragma once
// Parameters of the `thp-her2-mbc` profile: the reference study (228 HER2-positive
// metastatic breast cancer patients on first-line THP; ../shared/seed) turned into
// distributions. Shares are the study's counts over its denominators; the few
// parameters no table gives directly are either solved exactly here (calibrate()) or were
// tuned by simulation (docs/synth.md, "Calibration"). Times are in months unless named
// *_days; a month is 30.4375 days, as in the endpoint definitions.

#include <array>

#include "rwe/synth/civil_date.hpp"

namespace rwe::synth {

inline constexpr double days_per_month = 30.4375;

enum class Response { CR, PR, SD, PD };
inline constexpr int max_docetaxel_cycles = 28;

// Relapsed-disease histories (Table 1, denominators 105 relapsed / 96 operated).
enum class History {
    surgery_no_perioperative,
    neoadjuvant_tchp,     // TCHP -> surgery -> trastuzumab
    neoadjuvant_ac_th,    // AC then TH -> surgery -> trastuzumab
    neoadjuvant_ac_t,
    adjuvant_ac_th,
    adjuvant_tch,
    adjuvant_ac_t,
    adjuvant_fac,
    adjuvant_ht,
    progression_on_neoadjuvant_ac_th,  // metastatic during neoadjuvant therapy, no surgery
    progression_on_neoadjuvant_ac_t,
    surgery_unknown,
};
inline constexpr std::size_t history_kinds = 12;

struct ThpHer2MbcProfile {
    // Accrual: index dates on [2008-08-01, 2020-10-31], density proportional to
    // exp(accrual_growth * years since start); registry closed at the data cut-off.
    int accrual_first_day = day_number({2008, 8, 1});
    int accrual_last_day = day_number({2020, 10, 31});
    int cutoff_day = day_number({2021, 6, 30});
    double accrual_growth = 0.24;         // per year; tuned to the median follow-up 28.7 months
    int last_contact_max_gap_days = 60;   // last visit of living patients: cut-off - U{0..60} days

    // Age at index (integer years): the four bands of Table 1, uniform within a band.
    std::array<int, 5> age_band_edges{26, 41, 51, 61, 79};  // [edge_i, edge_i+1)
    std::array<double, 4> age_band_weights{14, 64, 82, 68};

    // Menopausal status: unknown 8/228; otherwise P(pre | age) = 1 / (1 + exp((age - c)/s)),
    // c solved by calibrate() so that P(pre | known) = 113/220.
    double menopause_unknown = 8.0 / 228;
    double menopause_pre_given_known = 113.0 / 220;
    double menopause_slope_years = 2.5;
    double menopause_center = 0;  // calibrate()

    // Hormone receptors: 124 ER and/or PR positive, 94 both negative, 10 unknown.
    std::array<double, 3> hormone_receptor_weights{124, 94, 10};
    std::array<double, 3> hr_positive_pattern{0.60, 0.30, 0.10};  // ER+PR+, ER+PR-, ER-PR+

    // HER2 among eligible: IHC 3+ (ISH done in some), else IHC 2+ with ISH ratio > 2.0.
    double her2_ihc3 = 0.78;
    double her2_ihc3_ish_done = 0.15;

    double de_novo = 123.0 / 228;
    std::array<double, history_kinds> history_weights{13, 2, 25, 2, 32, 5, 7, 5, 5, 3, 3, 3};

    // Disease-free interval (surgery -> metastasis) of operated relapsed patients, months:
    // U(6.5,12) w.p. 5/92, U(12,24) w.p. 23/92, else 24 + Exp(mean dfi_tail_mean); the tail
    // mean makes the median 38.5 (P(24 < DFI <= 38.5) = 0.5 - 28/92).
    std::array<double, 3> dfi_band_weights{5, 23, 64};
    double dfi_tail_mean = 43.9;
    double dfi_max = 300;

    // Metastatic sites at index.
    double site_visceral = 78.0 / 228;
    double site_bone = 51.0 / 228;
    double site_brain = 6.0 / 228;
    double site_second_visceral = 0.25;
    double site_distant_node_extra = 0.35;
    double new_site_at_progression = 0.25;

    double measurable = 220.0 / 228;
    std::array<double, 4> response_weights{39, 152, 25, 4};  // CR PR SD PD of 220

    // Docetaxel cycles: target pmf over 1..28 (median 9, < 6 in 20/228, 6-9 in 139/228,
    // >= 10 in 69/228). Patients with PD as best response progress at the first assessment
    // (day 36..56) and so receive 2 or 3 cycles; the others draw from the pmf with that
    // mass removed (calibrate()), so that the overall pmf is the target.
    std::array<double, max_docetaxel_cycles + 1> docetaxel_target{};        // calibrate()
    std::array<double, max_docetaxel_cycles + 1> docetaxel_non_pd{};        // calibrate()
    int pd_first_day = 36;
    int pd_last_day = 56;

    // PFS on THP: Weibull proportional hazards, H(t) = m * (t / pfs_scale)^pfs_shape,
    // m = response multiplier x prior anti-HER2 x (< 6 cycles), drawn conditional on
    // t > max(last docetaxel day + 14, 70) days (progression comes after the docetaxel
    // phase and after the first assessment). pfs_scale is solved by calibrate() so that the
    // population median is 19.1.
    double pfs_median = 19.1;
    double pfs_shape = 0.72;
    std::array<double, 3> pfs_response_hr{0.3, 1.0, 2.2};  // CR PR SD
    double pfs_prior_her2_hr = 1.45;
    double pfs_few_cycles_hr = 2.5;
    double pfs_scale = 0;   // calibrate()
    double pfs_death_first = 0.03;   // share of PFS events that are deaths without progression
    double thp_early_stop = 0.06;    // THP stopped (toxicity or choice) before progression
    int thp_max_cycles = 88;         // the study's maximum number of THP cycles

    // After progression on THP.
    double second_line = 126.0 / 131;
    double no_second_line_survival_median = 4.0;
    std::array<double, 4> second_line_weights{91, 22, 8, 5};  // T-DM1, XL, AC, other
    double second_line_trial = 15.0 / 126;
    std::array<double, 4> pfs2_median{9.9, 6.5, 5.0, 7.0};
    double pfs2_shape = 1.25;
    double pfs2_death_first = 0.12;
    // Survival after progression on line 2: Weibull(pps2_shape, scale) with multipliers.
    double pps2_median = 26.0;
    double pps2_shape = 0.7;
    double pps2_prior_her2_hr = 1.35;
    double pps2_few_cycles_hr = 2.5;
    std::array<double, 3> pps2_response_hr{0.3, 1.0, 1.3};
    // Disease that progressed late on THP stays indolent: HR x (PFS1 / pfs_median)^-g.
    double pps2_pfs_elasticity = 0.0;
    double third_line = 1.0;  // then salvage lines until death (no silent years)
    double third_line_duration_median = 6.0;

    // Adverse events of THP, worst grade per patient (Table 3). Neutropenia grade 3-4 and
    // high-grade neuropathy are more frequent with >= 10 docetaxel cycles (relative risk),
    // the marginal shares kept at the table's.
    std::array<double, 3> neutropenia{55.0 / 228, 28.0 / 228, 35.0 / 228};  // 1-2, 3, 4
    double neutropenia_many_cycles_rr = 2.0;
    double febrile_given_severe_neutropenia = 21.0 / 63;
    double bacteremia_given_febrile = 11.0 / 21;
    std::array<double, 2> diarrhea{37.0 / 228, 8.0 / 228};     // 1-2, 3-4
    std::array<double, 2> nausea{126.0 / 228, 45.0 / 228};
    std::array<double, 2> vomiting{105.0 / 228, 31.0 / 228};
    std::array<double, 2> mucositis{118.0 / 228, 35.0 / 228};
    std::array<double, 2> neuropathy{42.0 / 228, 20.0 / 228};  // 1-2 (any 62 - 20), 3
    double neuropathy_many_cycles_rr = 4.0;
    double earlier_low_grade_episode = 0.4;
};

// The profile with its solved parameters (menopause_center, docetaxel pmfs, pfs_scale).
const ThpHer2MbcProfile& thp_her2_mbc_profile();

// Population PFS survival S(t) of the eligible cohort under a profile (t in months),
// integrating over response class, prior anti-HER2 exposure and docetaxel cycles. Used to
// solve pfs_scale; exposed for the test of that solution.
double thp_pfs_survival(const ThpHer2MbcProfile& profile, double months);

// PFS of a patient with `cycles` docetaxel cycles is drawn beyond this day after the index:
// after the last docetaxel cycle (+ 14 days) and after the first assessment (day <= 63).
inline int pfs_truncation_days(int cycles) {
    const int after_docetaxel = 21 * (cycles - 1) + 14;
    return after_docetaxel > 70 ? after_docetaxel : 70;
}

// Share of eligible patients with prior anti-HER2 exposure implied by history_weights.
double prior_her2_share(const ThpHer2MbcProfile& profile);

}  // namespace rwe::synth
