#include "rwe/synth/synthesize.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

#include "rwe/common/error.hpp"
#include "rwe/synth/civil_date.hpp"
#include "rwe/synth/csv_writer.hpp"
#include "rwe/synth/random.hpp"
#include "rwe/synth/thp_her2_mbc_profile.hpp"

namespace rwe::synth {

const char* exclusion_name(Exclusion reason) {
    switch (reason) {
        case Exclusion::none: return "eligible";
        case Exclusion::her2_negative: return "her2_negative";
        case Exclusion::her2_not_amplified: return "her2_ihc2_not_amplified";
        case Exclusion::other_first_line: return "other_first_line";
        case Exclusion::thp_later_line: return "thp_later_line";
        case Exclusion::outside_accrual_window: return "outside_accrual_window";
    }
    return "unknown";
}

const std::array<const char*, 7>& registry_files() {
    static const std::array<const char*, 7> files{
        "patients.csv",        "tumors.csv",  "metastases.csv",     "regimens.csv",
        "administrations.csv", "assessments.csv", "adverse_events.csv"};
    return files;
}

std::int64_t excluded_count(std::int64_t eligible) { return eligible / 10; }

namespace {

// One drug of a regimen: given on cycles [from_cycle, to_cycle) of the regimen's grid.
struct DrugSchedule {
    std::string_view drug;
    std::string_view first_dose;  // at from_cycle (loading dose)
    std::string_view dose;
    std::string_view unit;
    int from_cycle = 0;
    int to_cycle = INT_MAX;
};

struct RegimenSpec {
    std::string_view code;
    std::string_view setting;
    int line = 0;  // 0: not palliative (empty line field)
    int start = 0;
    int period = 21;
    int planned_cycles = INT_MAX;
    int stop_day = INT_MAX;  // no cycle on or after this day (progression, death, stop)
    std::string_view stop_reason = "other";
    std::span<const DrugSchedule> drugs;
    bool trial = false;
    std::string_view measurable;  // palliative lines only
    // Docetaxel at a lower dose from this cycle on (after a dose-reducing adverse event).
    int reduced_from_cycle = INT_MAX;
};

struct RegimenOutcome {
    int cycles = 0;
    int end_day = -1;  // last administration; -1 when ongoing
};

constexpr double kDay = days_per_month;
int months_to_days(double months) { return static_cast<int>(std::lround(months * kDay)); }

// Weibull with median `median` and shape k: t = median * (E / ln 2)^(1/k), E ~ Exp(1).
double weibull_by_median(Rng& rng, double median, double shape, double hazard_ratio = 1.0) {
    return median * std::pow(rng.exponential() / (std::log(2.0) * hazard_ratio), 1.0 / shape);
}

// --- Regimen drug lists (doses as in the study's methods; q3w unless said) -------------
constexpr DrugSchedule kThp[] = {
    {"trastuzumab", "8", "6", "mg/kg"},
    {"pertuzumab", "840", "420", "mg"},
    {"docetaxel", "75", "75", "mg/m2", 0, 0},  // to_cycle set per patient
};
constexpr DrugSchedule kTh[] = {
    {"trastuzumab", "8", "6", "mg/kg"},
    {"docetaxel", "75", "75", "mg/m2", 0, 0},
};
constexpr DrugSchedule kXl[] = {
    // Oral drugs are recorded once per 21-day cycle (the dispensing day).
    {"capecitabine", "1000", "1000", "mg/m2"},
    {"lapatinib", "1250", "1250", "mg"},
};
constexpr DrugSchedule kTdm1[] = {{"trastuzumab_emtansine", "3.6", "3.6", "mg/kg"}};
constexpr DrugSchedule kAc[] = {
    {"doxorubicin", "60", "60", "mg/m2"},
    {"cyclophosphamide", "600", "600", "mg/m2"},
};
constexpr DrugSchedule kOther[] = {{"other", "", "", ""}};
constexpr DrugSchedule kLetrozole[] = {{"letrozole", "2.5", "2.5", "mg"}};
constexpr DrugSchedule kTamoxifen[] = {{"tamoxifen", "20", "20", "mg"}};
constexpr DrugSchedule kTrastuzumabOnly[] = {{"trastuzumab", "6", "6", "mg/kg"}};
constexpr DrugSchedule kTchp[] = {
    {"docetaxel", "75", "75", "mg/m2"},
    {"carboplatin", "600", "600", "mg"},
    {"trastuzumab", "8", "6", "mg/kg"},
    {"pertuzumab", "840", "420", "mg"},
};
// AC then TH: cycles 0-3 AC; 4-7 docetaxel + trastuzumab; trastuzumab to 17 doses.
constexpr DrugSchedule kAcThNeo[] = {
    {"doxorubicin", "60", "60", "mg/m2", 0, 4},
    {"cyclophosphamide", "600", "600", "mg/m2", 0, 4},
    {"docetaxel", "75", "75", "mg/m2", 4, 8},
    {"trastuzumab", "8", "6", "mg/kg", 4, 8},
};
constexpr DrugSchedule kAcThAdj[] = {
    {"doxorubicin", "60", "60", "mg/m2", 0, 4},
    {"cyclophosphamide", "600", "600", "mg/m2", 0, 4},
    {"docetaxel", "75", "75", "mg/m2", 4, 8},
    {"trastuzumab", "8", "6", "mg/kg", 4, 21},
};
constexpr DrugSchedule kAcT[] = {
    {"doxorubicin", "60", "60", "mg/m2", 0, 4},
    {"cyclophosphamide", "600", "600", "mg/m2", 0, 4},
    {"docetaxel", "75", "75", "mg/m2", 4, 8},
};
constexpr DrugSchedule kTch[] = {
    {"docetaxel", "75", "75", "mg/m2", 0, 6},
    {"carboplatin", "600", "600", "mg", 0, 6},
    {"trastuzumab", "8", "6", "mg/kg", 0, 17},
};
constexpr DrugSchedule kFac[] = {
    {"fluorouracil", "500", "500", "mg/m2"},
    {"doxorubicin", "50", "50", "mg/m2"},
    {"cyclophosphamide", "500", "500", "mg/m2"},
};

constexpr std::array<std::string_view, 6> kVisceralSites{"lung",       "liver",   "pleura",
                                                         "peritoneum", "adrenal", "other_visceral"};
constexpr double kVisceralWeights[] = {45, 35, 12, 3, 2, 3};

enum class SecondLine { tdm1, xl, ac, other };
constexpr std::string_view kSecondLineCode[] = {"T-DM1", "XL", "AC", "other"};

struct AdverseEvent {
    std::string_view term;
    int grade;
    int onset;  // day after the start of the line
    std::string_view action;
};

class Registry {
public:
    explicit Registry(const std::filesystem::path& dir)
        : patients_(path(dir, 0), {"patient_id", "birth_date", "sex", "menopausal_status",
                                   "death_date", "last_contact_date"}),
          tumors_(path(dir, 1), {"tumor_id", "patient_id", "diagnosis_date", "stage_at_diagnosis",
                                 "er", "pr", "her2_ihc", "her2_ish_ratio", "surgery_date",
                                 "metastasis_date"}),
          metastases_(path(dir, 2), {"patient_id", "site", "detected_date"}),
          regimens_(path(dir, 3), {"regimen_id", "patient_id", "setting", "line", "regimen",
                                   "start_date", "end_date", "end_reason", "clinical_trial",
                                   "measurable_disease"}),
          administrations_(path(dir, 4), {"regimen_id", "drug", "admin_date", "dose", "unit"}),
          assessments_(path(dir, 5), {"patient_id", "regimen_id", "assessment_date", "response",
                                      "method"}),
          adverse_events_(path(dir, 6), {"patient_id", "regimen_id", "term", "grade",
                                         "onset_date", "action"}) {}

    std::array<CsvWriter*, 7> writers() {
        return {&patients_, &tumors_, &metastases_, &regimens_, &administrations_, &assessments_,
                &adverse_events_};
    }

    CsvWriter patients_, tumors_, metastases_, regimens_, administrations_, assessments_,
        adverse_events_;

private:
    static std::string path(const std::filesystem::path& dir, std::size_t file) {
        return (dir / registry_files()[file]).string();
    }
};

// Generates one patient at a time into the registry. All state that lives across patients
// is reused (ids, small vectors), so memory does not grow with the number of patients.
class Generator {
public:
    Generator(const ThpHer2MbcProfile& profile, Registry& registry, std::uint64_t seed)
        : p_(profile), out_(registry), seed_(seed) {}

    void patient(std::int64_t index, Exclusion reason, std::int64_t reason_ordinal);

private:
    // ids
    void set_patient_id(std::int64_t index);
    std::string_view regimen_id(int number);

    RegimenOutcome write_regimen(const RegimenSpec& spec, int number);
    void write_assessment(int regimen, int day, std::string_view response,
                          std::string_view method = "radiologic");
    void write_site(std::string_view site, int day);

    int draw_index_day(Exclusion reason);
    int draw_age();
    int draw_dfi_days(int max_days);
    void write_history(int metastasis, int birth, std::string_view menopause, bool& prior_her2,
                       int& diagnosis, std::string_view& stage, int& surgery);
    void write_initial_sites(int metastasis);
    void draw_adverse_events(int docetaxel_given, int line_end, int many_cycles);

    const ThpHer2MbcProfile& p_;
    Registry& out_;
    std::uint64_t seed_;
    Rng rng_{0, 0};
    int last_contact_ = 0;
    int regimen_count_ = 0;

    std::string patient_id_;
    std::string regimen_id_;
    std::string tumor_id_;
    std::vector<int> assessment_days_;
    std::vector<AdverseEvent> adverse_events_;
};

void Generator::set_patient_id(std::int64_t index) {
    char digits[24];
    std::snprintf(digits, sizeof digits, "P%07lld", static_cast<long long>(index + 1));
    patient_id_.assign(digits);
}

std::string_view Generator::regimen_id(int number) {
    regimen_id_.assign(patient_id_);
    regimen_id_ += "-R";
    regimen_id_ += static_cast<char>('0' + number);
    return regimen_id_;
}

RegimenOutcome Generator::write_regimen(const RegimenSpec& spec, int number) {
    const std::string_view id = regimen_id(number);
    const int limit = std::min(spec.stop_day - 1, last_contact_);
    RegimenOutcome outcome;
    int cycle = 0;
    for (; cycle < spec.planned_cycles; ++cycle) {
        const int day = spec.start + spec.period * cycle;
        if (day > limit) break;
        for (const DrugSchedule& drug : spec.drugs) {
            if (cycle < drug.from_cycle || cycle >= drug.to_cycle) continue;
            CsvWriter& a = out_.administrations_;
            a.code(id);
            a.code(drug.drug);
            a.date(day);
            if (drug.unit.empty()) {
                a.empty();
                a.empty();
            } else {
                const bool reduced = drug.drug == "docetaxel" && cycle >= spec.reduced_from_cycle;
                a.code(reduced ? "60" : cycle == drug.from_cycle ? drug.first_dose : drug.dose);
                a.code(drug.unit);
            }
            a.end_row();
        }
        outcome.end_day = day;
    }
    outcome.cycles = cycle;
    std::string_view reason;
    if (cycle == spec.planned_cycles) {
        reason = "completed";
    } else if (spec.stop_day <= last_contact_) {
        reason = spec.stop_reason;
    } else {
        reason = "ongoing";
        outcome.end_day = -1;
    }
    CsvWriter& r = out_.regimens_;
    r.code(id);
    r.code(patient_id_);
    r.code(spec.setting);
    if (spec.line > 0) r.integer(spec.line);
    else r.empty();
    r.code(spec.code);
    r.date(spec.start);
    if (outcome.end_day >= 0) r.date(outcome.end_day);
    else r.empty();
    r.code(reason);
    r.code(spec.trial ? "yes" : "no");
    if (spec.measurable.empty()) r.empty();
    else r.code(spec.measurable);
    r.end_row();
    return outcome;
}

void Generator::write_assessment(int regimen, int day, std::string_view response,
                                 std::string_view method) {
    CsvWriter& w = out_.assessments_;
    w.code(patient_id_);
    w.code(regimen_id(regimen));
    w.date(day);
    w.code(response);
    w.code(method);
    w.end_row();
}

void Generator::write_site(std::string_view site, int day) {
    CsvWriter& w = out_.metastases_;
    w.code(patient_id_);
    w.code(site);
    w.date(day);
    w.end_row();
}

int Generator::draw_index_day(Exclusion reason) {
    if (reason == Exclusion::outside_accrual_window) {
        // Before the window (pertuzumab in trials) or after it, before the cut-off.
        if (rng_.bernoulli(0.5)) {
            return rng_.integer(day_number({2006, 1, 1}), p_.accrual_first_day - 1);
        }
        return rng_.integer(p_.accrual_last_day + 1, day_number({2021, 3, 31}));
    }
    // Density proportional to exp(g t) on [0, T] years, by inversion.
    const double span_years = (p_.accrual_last_day - p_.accrual_first_day) / 365.25;
    const double g = p_.accrual_growth;
    const double years = std::log1p(rng_.uniform() * std::expm1(g * span_years)) / g;
    return std::min(p_.accrual_first_day + static_cast<int>(years * 365.25), p_.accrual_last_day);
}

int Generator::draw_age() {
    const std::size_t band = rng_.categorical(p_.age_band_weights);
    return rng_.integer(p_.age_band_edges[band], p_.age_band_edges[band + 1] - 1);
}

int Generator::draw_dfi_days(int max_days) {
    double months;
    switch (rng_.categorical(p_.dfi_band_weights)) {
        case 0: months = 6.5 + 5.5 * rng_.uniform(); break;
        case 1: months = 12 + 12 * rng_.uniform(); break;
        default: months = 24 + p_.dfi_tail_mean * rng_.exponential(); break;
    }
    months = std::min(months, p_.dfi_max);
    return std::min(months_to_days(months), max_days);
}

void Generator::write_initial_sites(int metastasis) {
    bool any = false;
    if (rng_.bernoulli(p_.site_visceral)) {
        const std::size_t first = rng_.categorical(kVisceralWeights);
        write_site(kVisceralSites[first], metastasis);
        if (rng_.bernoulli(p_.site_second_visceral)) {
            std::size_t second = rng_.categorical(kVisceralWeights);
            if (second == first) second = (first + 1) % kVisceralSites.size();
            write_site(kVisceralSites[second], metastasis);
        }
        any = true;
    }
    if (rng_.bernoulli(p_.site_bone)) {
        write_site("bone", metastasis);
        any = true;
    }
    if (rng_.bernoulli(p_.site_brain)) {
        write_site("brain", metastasis);
        any = true;
    }
    if (!any) {
        constexpr double weights[] = {70, 20, 10};
        constexpr std::string_view sites[] = {"distant_lymph_node", "skin_soft_tissue", "other"};
        write_site(sites[rng_.categorical(weights)], metastasis);
    } else if (rng_.bernoulli(p_.site_distant_node_extra)) {
        write_site("distant_lymph_node", metastasis);
    }
}

// Relapsed disease: the primary tumour's history, backwards from the metastasis date.
void Generator::write_history(int metastasis, int birth, std::string_view menopause,
                              bool& prior_her2, int& diagnosis, std::string_view& stage,
                              int& surgery) {
    const auto history = static_cast<History>(rng_.categorical(p_.history_weights));
    surgery = -1;
    prior_her2 = false;
    // The primary is diagnosed at age >= 20 (10 months before surgery at most).
    const int max_dfi = metastasis - birth - 20 * 365 - 320;
    auto adjuvant_stage = [&] {
        constexpr double weights[] = {20, 55, 25};
        constexpr std::string_view stages[] = {"I", "II", "III"};
        return stages[rng_.categorical(weights)];
    };
    auto neoadjuvant_stage = [&] { return rng_.bernoulli(0.6) ? "III" : "II"; };

    switch (history) {
        case History::surgery_no_perioperative:
            surgery = metastasis - draw_dfi_days(max_dfi);
            diagnosis = surgery - rng_.integer(14, 42);
            stage = adjuvant_stage();
            return;
        case History::neoadjuvant_tchp:
        case History::neoadjuvant_ac_th:
        case History::neoadjuvant_ac_t: {
            surgery = metastasis - draw_dfi_days(max_dfi);
            const bool tchp = history == History::neoadjuvant_tchp;
            const int cycles = tchp ? 6 : 8;
            const int last_cycle = surgery - rng_.integer(21, 42);
            const int start = last_cycle - 21 * (cycles - 1);
            diagnosis = start - rng_.integer(10, 28);
            stage = neoadjuvant_stage();
            RegimenSpec neo;
            neo.code = tchp ? "TCHP" : history == History::neoadjuvant_ac_th ? "AC-TH" : "AC-T";
            neo.setting = "neoadjuvant";
            neo.start = start;
            neo.planned_cycles = cycles;
            neo.stop_day = metastasis;
            neo.stop_reason = "progression";
            if (tchp) neo.drugs = kTchp;
            else if (history == History::neoadjuvant_ac_th) neo.drugs = kAcThNeo;
            else neo.drugs = kAcT;
            write_regimen(neo, ++regimen_count_);
            if (history != History::neoadjuvant_ac_t) {
                prior_her2 = true;
                // Trastuzumab after surgery completes a year (17 doses).
                RegimenSpec h;
                h.code = "H";
                h.setting = "adjuvant";
                h.start = std::min(surgery + rng_.integer(21, 42), metastasis - 1);
                h.planned_cycles = tchp ? 11 : 13;
                h.stop_day = metastasis;
                h.stop_reason = "progression";
                h.drugs = kTrastuzumabOnly;
                write_regimen(h, ++regimen_count_);
            }
            return;
        }
        case History::adjuvant_ac_th:
        case History::adjuvant_tch:
        case History::adjuvant_ac_t:
        case History::adjuvant_fac:
        case History::adjuvant_ht: {
            surgery = metastasis - draw_dfi_days(max_dfi);
            diagnosis = surgery - rng_.integer(14, 42);
            stage = adjuvant_stage();
            RegimenSpec adj;
            adj.setting = "adjuvant";
            adj.start = std::min(surgery + rng_.integer(21, 56), metastasis - 1);
            adj.stop_day = metastasis;
            adj.stop_reason = "progression";
            switch (history) {
                case History::adjuvant_ac_th:
                    adj.code = "AC-TH", adj.drugs = kAcThAdj, adj.planned_cycles = 21;
                    prior_her2 = true;
                    break;
                case History::adjuvant_tch:
                    adj.code = "TCH", adj.drugs = kTch, adj.planned_cycles = 17;
                    prior_her2 = true;
                    break;
                case History::adjuvant_ac_t:
                    adj.code = "AC-T", adj.drugs = kAcT, adj.planned_cycles = 8;
                    break;
                case History::adjuvant_fac:
                    adj.code = "FAC", adj.drugs = kFac, adj.planned_cycles = 6;
                    break;
                default:  // hormone therapy for five years, dispensed every 12 weeks
                    adj.code = "HT";
                    adj.drugs = menopause == "pre" ? std::span<const DrugSchedule>(kTamoxifen)
                                                   : std::span<const DrugSchedule>(kLetrozole);
                    adj.period = 84;
                    adj.planned_cycles = 22;
                    break;
            }
            write_regimen(adj, ++regimen_count_);
            return;
        }
        case History::progression_on_neoadjuvant_ac_th:
        case History::progression_on_neoadjuvant_ac_t: {
            // Progression during AC-TH comes after trastuzumab began (cycle 5, day 84).
            const bool her2 = history == History::progression_on_neoadjuvant_ac_th;
            const int start = metastasis - (her2 ? rng_.integer(90, 150) : rng_.integer(42, 150));
            diagnosis = start - rng_.integer(10, 28);
            stage = rng_.bernoulli(0.7) ? "III" : "II";
            RegimenSpec neo;
            neo.code = her2 ? "AC-TH" : "AC-T";
            neo.drugs = her2 ? std::span<const DrugSchedule>(kAcThNeo) : std::span<const DrugSchedule>(kAcT);
            neo.setting = "neoadjuvant";
            neo.start = start;
            neo.planned_cycles = 8;
            neo.stop_day = metastasis;
            neo.stop_reason = "progression";
            const RegimenOutcome outcome = write_regimen(neo, ++regimen_count_);
            // Exposure means trastuzumab was actually given (from cycle 5).
            prior_her2 = her2 && outcome.cycles > 4;
            return;
        }
        case History::surgery_unknown:
            diagnosis = metastasis - rng_.integer(365, 1825);
            stage = rng_.bernoulli(0.5) ? "II" : "III";
            return;
    }
}

// Worst grades per term (Table 3) with onset days after the start of the THP line.
void Generator::draw_adverse_events(int docetaxel_given, int line_end, int many_cycles) {
    adverse_events_.clear();
    auto onset_at_cycle = [&](int cycle) { return std::min(21 * cycle + rng_.integer(3, 12), line_end); };
    auto any_cycle = [&] { return onset_at_cycle(rng_.integer(0, docetaxel_given - 1)); };
    auto low_grade = [&] { return rng_.bernoulli(0.6) ? 1 : 2; };
    auto high_grade = [&] { return rng_.bernoulli(0.85) ? 3 : 4; };
    // Relative risk r for >= 10 cycles, marginal kept: p_low = p / (1 + w (r - 1)).
    const double w = [&] {
        double share = 0;
        for (int c = 10; c <= max_docetaxel_cycles; ++c) share += p_.docetaxel_target[c];
        return share;
    }();
    auto scaled = [&](double p, double rr) {
        const double low = p / (1 + w * (rr - 1));
        return many_cycles ? low * rr : low;
    };
    auto add = [&](std::string_view term, int grade, int onset, std::string_view action) {
        // A severe episode is sometimes preceded by a milder one (exercises "worst grade").
        if (grade >= 3 && docetaxel_given >= 2 && rng_.bernoulli(p_.earlier_low_grade_episode)) {
            const int earlier = onset_at_cycle(0);
            if (earlier < onset) adverse_events_.push_back({term, low_grade(), earlier, "none"});
        }
        adverse_events_.push_back({term, grade, onset, action});
    };

    // Neutropenia: grade 3 and 4 scaled together by the cycle relative risk.
    {
        const double g3 = scaled(p_.neutropenia[1], p_.neutropenia_many_cycles_rr);
        const double g4 = scaled(p_.neutropenia[2], p_.neutropenia_many_cycles_rr);
        const double u = rng_.uniform();
        int grade = 0;
        if (u < g4) grade = 4;
        else if (u < g4 + g3) grade = 3;
        else if (u < g4 + g3 + p_.neutropenia[0]) grade = low_grade();
        if (grade > 0) {
            const int onset = any_cycle();
            add("neutrophil count decreased", grade, onset, "none");
            if (grade >= 3 && rng_.bernoulli(p_.febrile_given_severe_neutropenia)) {
                // Febrile neutropenia among severe neutropenia; bacteremia among febrile.
                adverse_events_.push_back({"febrile neutropenia", 3, onset,
                                           rng_.bernoulli(0.5) ? "dose_reduced" : "none"});
                if (rng_.bernoulli(p_.bacteremia_given_febrile)) {
                    adverse_events_.push_back({"bacteremia", 3, onset, "none"});
                }
            }
        }
    }
    struct Term {
        std::string_view name;
        const std::array<double, 2>* shares;
    };
    const Term terms[] = {{"diarrhea", &p_.diarrhea},
                          {"nausea", &p_.nausea},
                          {"vomiting", &p_.vomiting},
                          {"mucositis oral", &p_.mucositis}};
    for (const Term& term : terms) {
        const double u = rng_.uniform();
        if (u < (*term.shares)[1]) add(term.name, high_grade(), any_cycle(), "none");
        else if (u < (*term.shares)[1] + (*term.shares)[0]) add(term.name, low_grade(), any_cycle(), "none");
    }
    // Neuropathy is cumulative: high grade after the last docetaxel cycle (docetaxel
    // withdrawn or reduced), low grade in the second half of the docetaxel phase.
    {
        const double high = scaled(p_.neuropathy[1], p_.neuropathy_many_cycles_rr);
        const double u = rng_.uniform();
        if (u < high) {
            add("peripheral sensory neuropathy", 3, onset_at_cycle(docetaxel_given - 1),
                rng_.bernoulli(0.6) ? "drug_withdrawn" : "dose_reduced");
        } else if (u < high + p_.neuropathy[0]) {
            const int cycle = rng_.integer(docetaxel_given / 2, docetaxel_given - 1);
            add("peripheral sensory neuropathy", low_grade(), onset_at_cycle(cycle),
                rng_.bernoulli(0.29) ? "dose_reduced" : "none");
        }
    }
}

void Generator::patient(std::int64_t index, Exclusion reason, std::int64_t reason_ordinal) {
    rng_ = Rng(seed_, static_cast<std::uint64_t>(index));
    set_patient_id(index);
    regimen_count_ = 0;
    // Every event of the patient is on or before the last contact; it is drawn early so
    // that writers can truncate (the death date replaces it below when earlier).
    const int cutoff_contact = p_.cutoff_day - rng_.integer(0, p_.last_contact_max_gap_days);
    last_contact_ = cutoff_contact;

    const int index_day = draw_index_day(reason);
    const int age = draw_age();
    const CivilDate index_date = civil_date(index_day);
    const int birth = day_number({index_date.year - age, index_date.month,
                                  index_date.month == 2 && index_date.day == 29 ? 28 : index_date.day}) -
                      rng_.integer(0, 364);
    std::string_view menopause = "unknown";
    if (!rng_.bernoulli(p_.menopause_unknown)) {
        const double pre = 1 / (1 + std::exp((age - p_.menopause_center) / p_.menopause_slope_years));
        menopause = rng_.bernoulli(pre) ? "pre" : "post";
    }
    std::string_view er = "unknown", pr = "unknown";
    switch (rng_.categorical(p_.hormone_receptor_weights)) {
        case 0: {
            const std::size_t pattern = rng_.categorical(p_.hr_positive_pattern);
            er = pattern <= 1 ? "positive" : "negative";
            pr = pattern != 1 ? "positive" : "negative";
            break;
        }
        case 1: er = pr = "negative"; break;
        default: break;
    }
    std::string_view her2_ihc;
    int ish_hundredths = -1;  // ratio x 100; -1 = not done
    if (reason == Exclusion::her2_negative) {
        her2_ihc = rng_.bernoulli(0.4) ? "0" : "1+";
        if (rng_.bernoulli(0.2)) ish_hundredths = rng_.integer(80, 190);
    } else if (reason == Exclusion::her2_not_amplified) {
        her2_ihc = "2+";
        // Every other one exactly at the threshold 2.0 (not > 2.0, so not amplified).
        ish_hundredths = (reason_ordinal / exclusion_kinds) % 2 == 0 ? 200 : rng_.integer(100, 199);
    } else if (rng_.bernoulli(p_.her2_ihc3)) {
        her2_ihc = "3+";
        if (rng_.bernoulli(p_.her2_ihc3_ish_done)) {
            ish_hundredths = std::min(220 + static_cast<int>(250 * rng_.exponential()), 1500);
        }
    } else {
        her2_ihc = "2+";
        ish_hundredths = std::min(201 + static_cast<int>(150 * rng_.exponential()), 1500);
    }

    // A THP-later-line patient first had another palliative line that progressed.
    int prior_line_start = 0, prior_line_progression = 0;
    int metastasis_gap = rng_.integer(7, 60);
    if (reason == Exclusion::thp_later_line) {
        prior_line_progression = index_day - rng_.integer(10, 40);
        prior_line_start = prior_line_progression - rng_.integer(120, 540);
        metastasis_gap = index_day - prior_line_start + rng_.integer(7, 30);
    }
    const int metastasis = index_day - metastasis_gap;

    // Primary tumour and its history.
    const bool de_novo = rng_.bernoulli(p_.de_novo);
    bool prior_her2 = false;
    int diagnosis = metastasis, surgery = -1;
    std::string_view stage = "IV";
    int tumor_metastasis = metastasis;
    if (de_novo) {
        if (rng_.bernoulli(0.3)) diagnosis = metastasis - rng_.integer(1, 30);
    } else {
        write_history(metastasis, birth, menopause, prior_her2, diagnosis, stage, surgery);
    }
    write_initial_sites(metastasis);

    if (reason == Exclusion::thp_later_line) {
        RegimenSpec first;
        const bool hormone = rng_.bernoulli(0.5);
        first.code = hormone ? "HT" : "TH";
        first.drugs = hormone ? std::span<const DrugSchedule>(kLetrozole) : std::span<const DrugSchedule>(kTrastuzumabOnly);
        first.setting = "palliative";
        first.line = 1;
        first.start = prior_line_start;
        first.stop_day = prior_line_progression;
        first.stop_reason = "progression";
        first.measurable = "yes";
        const int number = ++regimen_count_;
        write_regimen(first, number);
        write_assessment(number, prior_line_start + rng_.integer(42, 63), "SD");
        write_assessment(number, prior_line_progression, "PD");
    }

    // --- The THP course (line 1; line 2 for THP-later-line patients) -------------------
    const int line = reason == Exclusion::thp_later_line ? 2 : 1;
    const bool measurable = rng_.bernoulli(p_.measurable);
    const auto response = static_cast<Response>(rng_.categorical(p_.response_weights));
    int cycles, pfs_day;
    bool pfs_death = false;
    if (response == Response::PD) {
        pfs_day = rng_.integer(p_.pd_first_day, p_.pd_last_day);
        cycles = 1 + (pfs_day > 21 ? 1 : 0) + (pfs_day > 42 ? 1 : 0);
    } else {
        cycles = static_cast<int>(rng_.categorical(p_.docetaxel_non_pd));
        const double m = p_.pfs_response_hr[static_cast<std::size_t>(response)] *
                         (prior_her2 ? p_.pfs_prior_her2_hr : 1.0) *
                         (cycles < 6 ? p_.pfs_few_cycles_hr : 1.0);
        // Conditional Weibull beyond a: H(t) = H(a) + E / m.
        const int a_days = pfs_truncation_days(cycles);
        const double a = a_days / kDay;
        const double k = p_.pfs_shape, scale = p_.pfs_scale;
        const double t = scale * std::pow(std::pow(a / scale, k) + rng_.exponential() / m, 1 / k);
        pfs_day = std::max(months_to_days(t), a_days + 1);
        pfs_death = rng_.bernoulli(p_.pfs_death_first);
    }
    const bool many_cycles = cycles >= 10;
    // THP stopped before progression for toxicity or by choice, after the docetaxel phase.
    int stop_cycle = INT_MAX;
    std::string_view stop_reason = "progression";
    if (rng_.bernoulli(p_.thp_early_stop)) {
        const int first = cycles, last = (pfs_day - 1) / 21;
        if (last >= first) {
            stop_cycle = rng_.integer(first, last);
            stop_reason = rng_.bernoulli(0.5) ? "toxicity" : "patient_choice";
        }
    }
    const int first_assessment = rng_.integer(42, 63);

    // After progression.
    const int progression = index_day + pfs_day;  // or death without progression
    int death;
    bool has_second = false, second_trial = false, pfs2_death = false, has_third = false;
    int second_start = 0, pfs2_day = 0, third_start = 0, third_stop = 0;
    SecondLine second = SecondLine::tdm1;
    std::string_view third_code;
    std::span<const DrugSchedule> third_drugs;
    const bool second_responds = rng_.bernoulli(0.45);
    int new_site = -1;
    if (pfs_death) {
        death = progression;
    } else {
        if (rng_.bernoulli(p_.new_site_at_progression)) {
            constexpr double weights[] = {30, 25, 25, 20};
            new_site = static_cast<int>(rng_.categorical(weights));
        }
        if (rng_.bernoulli(p_.second_line)) {
            has_second = true;
            second_start = progression + rng_.integer(10, 40);
            second = static_cast<SecondLine>(rng_.categorical(p_.second_line_weights));
            second_trial = rng_.bernoulli(p_.second_line_trial);
            pfs2_day = std::max(1, months_to_days(weibull_by_median(
                                       rng_, p_.pfs2_median[static_cast<std::size_t>(second)], p_.pfs2_shape)));
            pfs2_death = rng_.bernoulli(p_.pfs2_death_first);
            int os2_day = pfs2_day;
            if (!pfs2_death) {
                const double hr = (prior_her2 ? p_.pps2_prior_her2_hr : 1.0) *
                                  (cycles < 6 ? p_.pps2_few_cycles_hr : 1.0) *
                                  (response == Response::PD ? p_.pps2_response_hr[2]
                                                            : p_.pps2_response_hr[static_cast<std::size_t>(response)]);
                const double hr_pfs = std::pow(pfs_day / kDay / p_.pfs_median, -p_.pps2_pfs_elasticity);
                os2_day += std::max(1, months_to_days(weibull_by_median(rng_, p_.pps2_median, p_.pps2_shape, hr * hr_pfs)));
                if (rng_.bernoulli(p_.third_line)) {
                    third_start = second_start + pfs2_day + rng_.integer(10, 40);
                    third_stop = third_start + std::max(1, months_to_days(weibull_by_median(
                                                                rng_, p_.third_line_duration_median, 1.2)));
                    has_third = third_start < second_start + os2_day;
                    const bool alternative = rng_.bernoulli(0.35);
                    if (second == SecondLine::tdm1) {
                        third_code = alternative ? "other" : "XL";
                        third_drugs = alternative ? std::span<const DrugSchedule>(kOther) : std::span<const DrugSchedule>(kXl);
                    } else {
                        third_code = alternative ? "other" : "T-DM1";
                        third_drugs = alternative ? std::span<const DrugSchedule>(kOther) : std::span<const DrugSchedule>(kTdm1);
                    }
                }
            }
            death = second_start + os2_day;
        } else {
            death = progression + std::max(1, months_to_days(weibull_by_median(
                                                  rng_, p_.no_second_line_survival_median, 1.0)));
        }
    }
    const bool died = death <= cutoff_contact;
    if (died) last_contact_ = death;

    // --- Write the THP course ----------------------------------------------------------
    DrugSchedule drugs[3];
    std::size_t drug_count = 0;
    std::string_view code = "THP";
    if (reason == Exclusion::other_first_line) {
        constexpr double weights[] = {45, 25, 20, 10};
        switch (rng_.categorical(weights)) {
            case 0: code = "TH"; for (const auto& d : kTh) drugs[drug_count++] = d; break;
            case 1: code = "HT"; drugs[drug_count++] = kLetrozole[0]; break;
            case 2: code = "XL"; for (const auto& d : kXl) drugs[drug_count++] = d; break;
            default: code = "other"; drugs[drug_count++] = kOther[0]; break;
        }
    } else {
        for (const auto& d : kThp) drugs[drug_count++] = d;
    }
    for (std::size_t d = 0; d < drug_count; ++d) {
        if (drugs[d].drug == "docetaxel") drugs[d].to_cycle = cycles;
    }
    const int line_stop = std::min(progression, stop_cycle == INT_MAX ? INT_MAX : index_day + 21 * stop_cycle + 1);
    // Docetaxel cycles actually given, and the day the line ends (for adverse events).
    int docetaxel_given = 0;
    for (int c = 0; c < cycles; ++c) {
        const int day = index_day + 21 * c;
        if (day >= line_stop || day > last_contact_) break;
        ++docetaxel_given;
    }
    int last_cycle_day = index_day;
    for (int c = 0;; ++c) {
        const int day = index_day + 21 * c;
        if (day >= line_stop || day > last_contact_) break;
        last_cycle_day = day;
    }
    draw_adverse_events(docetaxel_given, std::min(last_cycle_day, last_contact_) - index_day, many_cycles);
    int reduced_from = INT_MAX;
    for (const AdverseEvent& event : adverse_events_) {
        if (event.action == "dose_reduced") reduced_from = std::min(reduced_from, event.onset / 21 + 1);
    }
    RegimenSpec thp;
    thp.code = code;
    thp.setting = "palliative";
    thp.line = line;
    thp.start = index_day;
    thp.stop_day = line_stop;
    thp.stop_reason = stop_cycle != INT_MAX && index_day + 21 * stop_cycle + 1 < progression
                          ? stop_reason
                          : (pfs_death ? "death" : "progression");
    thp.drugs = std::span<const DrugSchedule>(drugs, drug_count);
    thp.measurable = measurable ? "yes" : "no";
    thp.reduced_from_cycle = reduced_from;
    // Maintenance ends at the study's maximum of 88 THP cycles (about 61 months).
    thp.planned_cycles = p_.thp_max_cycles;
    const int thp_number = ++regimen_count_;
    write_regimen(thp, thp_number);
    for (const AdverseEvent& event : adverse_events_) {
        CsvWriter& w = out_.adverse_events_;
        w.code(patient_id_);
        w.code(regimen_id(thp_number));
        w.code(event.term);
        w.integer(event.grade);
        w.date(index_day + event.onset);
        w.code(event.action);
        w.end_row();
    }

    // Assessments of the THP line: first on day 42..63, then every 9 weeks (+-1), until
    // progression (a PD assessment on the progression day) or death or last contact.
    assessment_days_.clear();
    if (response != Response::PD) {
        for (int day = index_day + first_assessment; day < progression && day <= last_contact_;
             day += 63 + rng_.integer(-7, 7)) {
            assessment_days_.push_back(day);
        }
    }
    for (std::size_t i = 0; i < assessment_days_.size(); ++i) {
        std::string_view value = "NE";
        if (measurable) {
            const bool several = assessment_days_.size() >= 2;
            switch (response) {
                case Response::CR: value = (i == 0 && several && rng_.bernoulli(0.5)) ? "PR" : "CR"; break;
                case Response::PR: value = (i == 0 && several && rng_.bernoulli(0.2)) ? "SD" : "PR"; break;
                default: value = "SD"; break;
            }
        }
        write_assessment(thp_number, assessment_days_[i], value);
    }
    if (!pfs_death && progression <= last_contact_) {
        write_assessment(thp_number, progression, "PD", rng_.bernoulli(0.1) ? "clinical" : "radiologic");
        if (new_site >= 0) {
            constexpr std::string_view sites[] = {"brain", "liver", "lung", "bone"};
            write_site(sites[new_site], progression);
        }
    }

    // --- Later lines ---------------------------------------------------------------------
    if (has_second && second_start <= last_contact_) {
        RegimenSpec spec;
        spec.code = kSecondLineCode[static_cast<std::size_t>(second)];
        spec.setting = "palliative";
        spec.line = line + 1;
        spec.start = second_start;
        const int pd2 = second_start + pfs2_day;
        spec.stop_day = pfs2_death ? death : pd2;
        spec.stop_reason = pfs2_death ? "death" : "progression";
        switch (second) {
            case SecondLine::tdm1: spec.drugs = kTdm1; break;
            case SecondLine::xl: spec.drugs = kXl; break;
            case SecondLine::ac: spec.drugs = kAc; spec.planned_cycles = rng_.integer(4, 6); break;
            case SecondLine::other: spec.drugs = kOther; break;
        }
        spec.trial = second_trial;
        spec.measurable = measurable ? "yes" : "no";
        const int number = ++regimen_count_;
        write_regimen(spec, number);
        for (int day = second_start + rng_.integer(42, 63); day < std::min(pd2, death) && day <= last_contact_;
             day += 63 + rng_.integer(-7, 7)) {
            write_assessment(number, day, measurable ? (second_responds ? "PR" : "SD") : "NE");
        }
        if (!pfs2_death && pd2 <= last_contact_) write_assessment(number, pd2, "PD");
        if (has_third && third_start <= last_contact_) {
            RegimenSpec spec3;
            spec3.code = third_code;
            spec3.setting = "palliative";
            spec3.line = line + 2;
            spec3.start = third_start;
            spec3.stop_day = std::min(third_stop, death);
            spec3.stop_reason = third_stop < death ? "progression" : "death";
            spec3.drugs = third_drugs;
            spec3.measurable = "unknown";
            write_regimen(spec3, ++regimen_count_);
            // Salvage therapy from then on, until death or last contact: treated patients
            // keep generating records, so follow-up has no years-long silent gaps.
            const int fourth_start = third_stop + rng_.integer(10, 40);
            if (third_stop < death && fourth_start < death && fourth_start <= last_contact_) {
                RegimenSpec spec4;
                spec4.code = "other";
                spec4.setting = "palliative";
                spec4.line = line + 3;
                spec4.start = fourth_start;
                spec4.stop_day = death;
                spec4.stop_reason = "death";
                spec4.drugs = kOther;
                spec4.measurable = "unknown";
                write_regimen(spec4, ++regimen_count_);
            }
        }
    }

    // --- Patient and tumour rows ----------------------------------------------------------
    CsvWriter& pw = out_.patients_;
    pw.code(patient_id_);
    pw.date(birth);
    pw.code("f");
    pw.code(menopause);
    if (died) pw.date(death);
    else pw.empty();
    pw.date(last_contact_);
    pw.end_row();

    CsvWriter& tw = out_.tumors_;
    tumor_id_.assign(patient_id_);
    tumor_id_ += "-T1";
    tw.code(tumor_id_);
    tw.code(patient_id_);
    tw.date(diagnosis);
    tw.code(stage);
    tw.code(er);
    tw.code(pr);
    tw.code(her2_ihc);
    if (ish_hundredths >= 0) tw.fixed(ish_hundredths / 100.0, 2);
    else tw.empty();
    if (surgery >= 0) tw.date(surgery);
    else tw.empty();
    tw.date(tumor_metastasis);
    tw.end_row();
}

}  // namespace

SynthSummary synthesize(const SynthOptions& options) {
    if (options.profile != "thp-her2-mbc") {
        throw UsageError("--profile: unknown profile (" + options.profile +
                         "); available: thp-her2-mbc");
    }
    if (options.patients < 1) {
        throw UsageError("--patients: must be at least 1 (" + std::to_string(options.patients) + ")");
    }
    std::error_code error;
    std::filesystem::create_directories(options.out_dir, error);
    if (error) throw IoError(options.out_dir + ": cannot create folder (" + error.message() + ")");

    const ThpHer2MbcProfile& profile = thp_her2_mbc_profile();
    Registry registry(options.out_dir);
    Generator generator(profile, registry, options.seed);
    SynthSummary summary;
    const std::int64_t excluded = excluded_count(options.patients);
    const std::int64_t total = options.patients + excluded;
    for (std::int64_t index = 0; index < total; ++index) {
        // Every eleventh patient is excluded: exactly floor(N/10) of N + floor(N/10).
        if ((index + 1) % 11 == 0) {
            const std::int64_t ordinal = summary.excluded++;
            const auto reason = static_cast<Exclusion>(1 + ordinal % exclusion_kinds);
            ++summary.excluded_by_reason[static_cast<std::size_t>(ordinal % exclusion_kinds)];
            generator.patient(index, reason, ordinal);
        } else {
            ++summary.eligible;
            generator.patient(index, Exclusion::none, 0);
        }
    }
    auto writers = registry.writers();
    for (std::size_t file = 0; file < writers.size(); ++file) {
        writers[file]->close();
        summary.rows[file] = writers[file]->rows();
    }
    for (CsvWriter* writer : writers) writer->commit();
    return summary;
}

}  // namespace rwe::synth
