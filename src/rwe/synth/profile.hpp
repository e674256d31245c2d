#pragma once
// A synthetic profile: the data file (TOML, docs/synth.md) that describes a cohort of
// patients with advanced disease on an index line of systemic therapy — population,
// relapse histories, biomarkers and other characteristics, metastatic sites, regimens
// with their drugs and schedules, the outcome model by line with covariate effects,
// responses and adverse events, the patients to exclude and why, and the published
// figures the profile is calibrated to. Nothing here names a study: every drug, code,
// marker and figure comes from the file.
//
// Times are in months unless named *_days; a month is 30.4375 days.

#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace rwe::synth {

inline constexpr double days_per_month = 30.4375;
inline constexpr int no_limit = std::numeric_limits<int>::max();

// Inclusive range of whole days (or units), drawn uniformly.
struct DayRange {
    int low = 0;
    int high = 0;
};

// A choice among values of type T: fixed (no draw), two-way (one Bernoulli draw:
// `yes` with probability p) or weighted (one categorical draw).
template <class T>
struct Choice {
    enum class Kind { fixed, two_way, weighted } kind = Kind::fixed;
    T fixed{};
    double p = 0;
    T yes{}, no{};
    std::vector<T> options;
    std::vector<double> weights;
};

// A value of a characteristic field: a code, or a number in units of 10^-decimals.
struct FieldValue {
    bool present = false;
    bool numeric = false;
    std::string code;
    std::int64_t units = 0;
};

// Where a characteristic is written.
struct Field {
    enum class Target { tumor, biomarker, observation } target = Target::tumor;
    std::string name;
    int decimals = 0;       // numbers: written with this many decimals
    FieldValue fallback;    // written when no draw set the field (tumor columns)
    // biomarker rows (the method drawn when the row is written)
    std::string marker, unit;
    bool has_method = false;
    Choice<std::string> method;
    // observation rows: dated this many days before the index date (drawn)
    DayRange days_before_index{0, 0};
};

// Draw of a number into a field, in units of 10^-decimals:
// exponential: min(from + floor(mean * E), at_most), E ~ Exp(1); uniform: U{low..high}.
struct NumberDraw {
    int field = -1;
    bool exponential = true;
    std::int64_t from = 0, at_most = 0;
    double mean = 0;
    std::int64_t low = 0, high = 0;
};

// A node of a characteristic's decision tree, evaluated in this order: set, draw,
// then one choice (two-way `p`/yes/no, weighted options, or alternate by occurrence), then
// `then`.
struct Node {
    std::vector<std::pair<int, FieldValue>> set;
    std::vector<NumberDraw> draw;  // 0 or 1
    enum class Branch { none, two_way, weighted, alternate } branch = Branch::none;
    double p = 0;
    std::vector<Node> children;  // two_way: [yes, no]; weighted, alternate: options
    std::vector<bool> has_child; // two_way: whether yes / no are given
    std::vector<double> weights;
    std::vector<Node> then;      // 0 or 1
};

struct Characteristic {
    std::string name;
    Node root;
};

struct Drug {
    std::string name;
    std::string first_dose, dose, reduced_dose, unit;  // formatted numbers; empty: none
    int from_cycle = 0;           // 0-based, inclusive
    int to_cycle = no_limit;      // 0-based, exclusive
    bool limited = false;         // given for the first n cycles of the index line only
};

struct Regimen {
    std::string id, code;
    std::vector<Drug> drugs;
    int period_days = 21;
    DayRange cycles{no_limit, no_limit};  // planned cycles; a range is drawn when written
};

// A relapsed patient's history before metastasis.
struct History {
    double weight = 0;
    bool surgery = false;                 // curative surgery, dated by the disease-free interval
    int neoadjuvant = -1;                 // regimen index
    DayRange surgery_after_neoadjuvant{}; // days from the last neoadjuvant cycle to surgery
    DayRange neoadjuvant_before_metastasis{};  // without surgery: progression on it
    DayRange diagnosis_before{};          // before the first regimen, or surgery, or metastasis
    Choice<std::string> stage;
    int adjuvant = -1;                    // regimen index
    int adjuvant_premenopausal = -1;      // regimen index when premenopausal (else `adjuvant`)
    DayRange adjuvant_after_surgery{};
};

struct SiteGroup {
    double p = 0;
    std::vector<std::string> sites;
    std::vector<double> weights;
    double second = 0;  // a second, different site of the group
};

// A covariate effect on the index line's progression (PFS) and on survival after
// progression on the next line (PPS); hazard ratios multiply.
struct Effect {
    enum class Kind { prior_exposure, limited_cycles_below, field_value, site_at_index } kind;
    int threshold = 0;      // limited_cycles_below
    int field = -1;         // field_value
    FieldValue value;
    std::string site;       // site_at_index
    double pfs_hr = 1, pps_hr = 1;
};

struct ResponseClass {
    std::string name;             // CR, PR, SD, PD
    double pfs_hr = 1, pps_hr = 1;
    bool early_progression = false;  // progresses at the first assessment
    DayRange progression_days{};
    double first_of_several_p = 0;   // the first of several assessments reads instead
    std::string first_of_several;
};

struct LimitedSegment {
    int from = 1, to = 1;
    std::vector<double> weights;  // or geometric
    double ratio = 0;
    double share_numerator = 1, share_denominator = 1;
};

struct Arm {
    std::string name;
    double weight = 1;
    int regimen = -1;
    std::vector<double> response_weights;  // aligned with Profile::responses
    double pfs_median = 0;
    double pps_median = 0;
    // solved by calibrate()
    std::vector<double> limited_non_early;  // limited-drug cycle pmf of non-early classes
    double pfs_scale = 0;
};

struct NextLineOption {
    int regimen = -1;
    double weight = 0;
    double pfs_median = 0;
    Choice<int> then;  // the line after it (regimen indices)
};

struct AdverseBand {
    std::vector<int> grades;  // one or two
    double first = 0;         // two grades: P(the first)
    double share = 0;
    double many_cycles_rr = 1;
    enum class Onset { any, last, second_half } onset = Onset::any;
    Choice<std::string> action;
};

struct AdverseLink {
    double p = 0;
    std::string term;
    int grade = 3;
    Choice<std::string> action;
};

struct AdverseEventSpec {
    std::string term;
    std::vector<AdverseBand> bands;  // checked in order with one uniform draw
    // The grade is drawn before the action and onset (else after them): the order of the
    // draws, kept so that a profile reproduces registries written before it was data.
    bool grade_first = false;
    int chain_from_grade = 0;
    std::vector<AdverseLink> chain;
};

struct Exclusion {
    enum class Kind { characteristic, other_index_regimen, index_as_later_line, outside_accrual, surgery_missing };
    std::string name;
    std::string description;
    Kind kind = Kind::characteristic;
    int characteristic = -1;
    Node instead;
    Choice<int> regimens;       // other_index_regimen; index_as_later_line: the earlier line
    DayRange progression_before_index{}, line_days{}, metastasis_before_line{};
    int earliest_day = 0, latest_day = 0;  // outside_accrual
};

// A published figure the profile is calibrated to.
struct Target {
    std::string figure;
    double value = 0;
    std::string unit, reference;
    std::string how;  // exact (by construction), solved (numerically at load), tuned (by simulation)
};

struct Profile {
    std::string source;  // file path, for messages
    std::string name, title;
    std::vector<std::string> references;

    // calendar
    int accrual_first_day = 0, accrual_last_day = 0, cutoff_day = 0;
    double accrual_growth = 0;
    int last_contact_gap_days = 0;

    // patient
    Choice<std::string> sex;
    std::vector<int> age_edges;
    std::vector<double> age_weights;
    bool has_menopause = false;
    double menopause_unknown = 0, menopause_pre_given_known = 0, menopause_slope_years = 1;
    double menopause_center = 0;  // calibrate()

    std::vector<Field> fields;
    std::vector<Characteristic> characteristics;

    // tumour and relapse
    double de_novo = 1;
    double de_novo_diagnosis_earlier = 0;
    DayRange de_novo_diagnosis_days{};
    DayRange metastasis_before_index{};
    std::vector<History> histories;
    std::vector<std::string> prior_exposure_drugs;
    std::vector<double> dfi_weights;            // bands, then the tail
    std::vector<std::pair<double, double>> dfi_bands;
    double dfi_tail_from = 0, dfi_tail_mean = 0, dfi_max = 0;
    int diagnosis_min_age_years = 20;

    // sites
    std::vector<SiteGroup> site_groups;
    SiteGroup site_otherwise;
    double site_added_p = 0;
    std::string site_added;
    SiteGroup site_at_progression;

    std::vector<Regimen> regimens;

    // index line
    int index_period_days = 21;
    int max_cycles = no_limit;
    double measurable = 1;
    DayRange first_assessment_days{42, 63};
    int assessment_interval_days = 63, assessment_jitter_days = 7;
    double clinical_progression = 0;
    double early_stop = 0;
    Choice<std::string> early_stop_reason;
    std::vector<ResponseClass> responses;
    bool has_limited = false;
    std::vector<LimitedSegment> limited_segments;
    int limited_max = 0;
    std::vector<double> limited_target;  // calibrate(); index = cycles
    int many_cycles_from = no_limit;
    double pfs_shape = 1, pfs_death_first = 0;
    int pfs_min_days = 0, pfs_after_limited_days = 0;
    std::vector<Effect> effects;
    std::vector<Arm> arms;

    // after progression
    double next_line = 0;
    DayRange next_line_days{10, 40};
    double no_next_line_median = 1, no_next_line_shape = 1;
    std::vector<NextLineOption> next_options;
    double next_trial = 0, next_responds = 0, next_pfs_shape = 1, next_death_first = 0;
    double pps_shape = 1;
    double third_line = 0, third_line_median = 1, third_line_shape = 1;
    int salvage_regimen = -1;

    // adverse events of the index line
    double earlier_milder_episode = 0;
    double earlier_milder_grade1 = 0.5;  // P(the milder episode is grade 1, else 2)
    DayRange onset_after_cycle_days{3, 12};
    // Without limited drugs: events begin within the first n cycles of the index line.
    int adverse_within_cycles = 1;
    std::vector<AdverseEventSpec> adverse_events;

    // Adjuvant model ([adjuvant] instead of [index]): the index is the adjuvant regimen
    // after curative surgery; disease-free survival from surgery is Weibull proportional
    // hazards (scale solved so that S(dfs_months) = dfs_share), with stage effects; a
    // relapse is a metastasis followed by the [after_progression] lines.
    bool adjuvant_mode = false;
    Choice<std::string> adjuvant_stage;
    DayRange adjuvant_after_surgery{}, adjuvant_diagnosis_before{};
    double neoadjuvant_p = 0;
    int neoadjuvant_regimen = -1;
    DayRange neoadjuvant_surgery_after{};
    double dfs_months = 60, dfs_share = 0.5, dfs_shape = 1, dfs_death_first = 0;
    double dfs_scale = 0;  // solved
    std::vector<std::pair<std::string, double>> stage_hr;
    double relapse_pps_median = 1;  // survival after progression on the first palliative line

    std::vector<Exclusion> exclusions;
    int excluded_per_eligible = 10;  // floor(N / this) excluded patients; 0: none
    std::vector<Target> targets;

    // weights gathered for the categorical draws (load_profile)
    std::vector<double> history_weights, arm_weights, next_weights;
};

// The file of a profile given by name (searched in studies/profiles/ of the working
// folder, beside the executable and of the source tree) or by path (anything with a `/`
// or ending in `.toml`). Throws UsageError, listing where it looked.
std::string find_profile(const std::string& name_or_path);

// Reads and checks a profile, then solves its calibrated parameters. Every key is
// honoured or rejected: InputError `file:line: key: problem (value)`.
Profile load_profile(const std::string& path);

// Population survival of the index line's PFS at `months` under an arm (the mixture over
// response class, covariate effects and limited-drug cycles); used to solve pfs_scale.
double index_pfs_survival(const Profile& profile, const Arm& arm, double months);

// Share of patients with prior exposure implied by de_novo and the history weights.
double prior_exposure_share(const Profile& profile);

// Days after the index beyond which progression is drawn for `cycles` limited-drug cycles.
int pfs_truncation_days(const Profile& profile, int cycles);

}  // namespace rwe::synth
