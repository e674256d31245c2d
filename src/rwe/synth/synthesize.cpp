#include "rwe/synth/synthesize.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <filesystem>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "rwe/common/error.hpp"
#include "rwe/synth/civil_date.hpp"
#include "rwe/synth/csv_writer.hpp"
#include "rwe/common/random.hpp"

namespace rwe::synth {

std::int64_t excluded_count(const Profile& profile, std::int64_t eligible) {
    if (profile.exclusions.empty() || profile.excluded_per_eligible == 0) return 0;
    return eligible / profile.excluded_per_eligible;
}

namespace {

struct RegimenSpec {
    std::string_view code;
    std::string_view setting;
    int line = 0;  // 0: not palliative (empty line field)
    int start = 0;
    int period = 21;
    int planned_cycles = INT_MAX;
    int stop_day = INT_MAX;  // no cycle on or after this day (progression, death, stop)
    std::string_view stop_reason = "other";
    std::span<const Drug> drugs;
    bool trial = false;
    std::string_view measurable;  // palliative lines only
    // Drugs with a reduced dose get it from this cycle on (after a dose-reducing event).
    int reduced_from_cycle = INT_MAX;
    // Limited drugs (index line) are given on cycles [0, limited_to).
    int limited_to = INT_MAX;
};

struct RegimenOutcome {
    int cycles = 0;
    int end_day = -1;     // last administration; -1 when ongoing
    bool exposure = false;  // gave a prior-exposure drug
};

constexpr double kDay = days_per_month;
int months_to_days(double months) { return static_cast<int>(std::lround(months * kDay)); }

// Weibull with median `median` and shape k: t = median * (E / ln 2)^(1/k), E ~ Exp(1).
double weibull_by_median(Rng& rng, double median, double shape, double hazard_ratio = 1.0) {
    return median * std::pow(rng.exponential() / (std::log(2.0) * hazard_ratio), 1.0 / shape);
}

template <class T>
const T& pick(Rng& rng, const Choice<T>& choice) {
    switch (choice.kind) {
        case Choice<T>::Kind::fixed: return choice.fixed;
        case Choice<T>::Kind::two_way: return rng.bernoulli(choice.p) ? choice.yes : choice.no;
        case Choice<T>::Kind::weighted: return choice.options[rng.categorical(choice.weights)];
    }
    return choice.fixed;
}

struct AdverseEvent {
    std::string_view term;
    int grade;
    int onset;  // day after the start of the line
    std::string_view action;
};

constexpr double kScale[] = {1.0, 10.0, 100.0, 1000.0};

class Registry {
public:
    Registry(const std::filesystem::path& dir, const Profile& profile) {
        bool biomarkers = false, observations = false;
        std::vector<std::string_view> tumor{"tumor_id", "patient_id", "diagnosis_date", "stage_at_diagnosis"};
        for (const Field& f : profile.fields) {
            if (f.target == Field::Target::tumor) tumor.push_back(f.name);
            biomarkers |= f.target == Field::Target::biomarker;
            observations |= f.target == Field::Target::observation;
        }
        tumor.push_back("surgery_date");
        tumor.push_back("metastasis_date");
        std::vector<std::string_view> patient{"patient_id", "birth_date", "sex"};
        if (profile.has_menopause) patient.push_back("menopausal_status");
        patient.push_back("death_date");
        patient.push_back("last_contact_date");
        patients_ = add(dir, "patients.csv", patient);
        tumors_ = add(dir, "tumors.csv", tumor);
        metastases_ = add(dir, "metastases.csv", {"patient_id", "site", "detected_date"});
        regimens_ = add(dir, "regimens.csv", {"regimen_id", "patient_id", "setting", "line", "regimen", "start_date",
                                              "end_date", "end_reason", "clinical_trial", "measurable_disease"});
        administrations_ = add(dir, "administrations.csv", {"regimen_id", "drug", "admin_date", "dose", "unit"});
        assessments_ = add(dir, "assessments.csv", {"patient_id", "regimen_id", "assessment_date", "response", "method"});
        adverse_events_ = add(dir, "adverse_events.csv", {"patient_id", "regimen_id", "term", "grade", "onset_date", "action"});
        if (biomarkers) {
            biomarkers_ = add(dir, "biomarkers.csv", {"patient_id", "tumor_id", "marker", "method", "result", "value", "unit", "test_date"});
        }
        if (observations) {
            observations_ = add(dir, "observations.csv", {"patient_id", "name", "observation_date", "value", "result", "unit"});
        }
    }

    std::vector<std::pair<std::string, CsvWriter*>> writers() {
        std::vector<std::pair<std::string, CsvWriter*>> out;
        for (std::size_t i = 0; i < files_.size(); ++i) out.emplace_back(names_[i], files_[i].get());
        return out;
    }

    CsvWriter* patients_ = nullptr;
    CsvWriter* tumors_ = nullptr;
    CsvWriter* metastases_ = nullptr;
    CsvWriter* regimens_ = nullptr;
    CsvWriter* administrations_ = nullptr;
    CsvWriter* assessments_ = nullptr;
    CsvWriter* adverse_events_ = nullptr;
    CsvWriter* biomarkers_ = nullptr;
    CsvWriter* observations_ = nullptr;

private:
    CsvWriter* add(const std::filesystem::path& dir, const char* name, const std::vector<std::string_view>& header) {
        files_.push_back(std::make_unique<CsvWriter>((dir / name).string(), header));
        names_.emplace_back(name);
        return files_.back().get();
    }
    std::vector<std::unique_ptr<CsvWriter>> files_;
    std::vector<std::string> names_;
};

// Generates one patient at a time into the registry. All state that lives across patients
// is reused (ids, small vectors), so memory does not grow with the number of patients.
class Generator {
public:
    Generator(const Profile& profile, Registry& registry, std::uint64_t seed)
        : p_(profile), out_(registry), seed_(seed), fields_(profile.fields.size()) {
        for (const Regimen& r : profile.regimens) {
            std::vector<bool> exposure;
            for (const Drug& d : r.drugs) {
                exposure.push_back(std::find(profile.prior_exposure_drugs.begin(), profile.prior_exposure_drugs.end(),
                                             d.name) != profile.prior_exposure_drugs.end());
            }
            exposure_.push_back(std::move(exposure));
        }
        if (profile.has_limited) {
            for (int c = profile.many_cycles_from; c <= profile.limited_max; ++c) many_share_ += profile.limited_target[c];
        }
    }

    // `reason` is null for an eligible patient; `occurrence` counts the patients of a reason.
    // Returns the arm of the patient.
    std::size_t patient(std::int64_t index, const Exclusion* reason, std::int64_t occurrence);
    // The adjuvant model (Profile::adjuvant_mode).
    std::size_t adjuvant_patient(std::int64_t index, const Exclusion* reason, std::int64_t occurrence);

private:
    void set_patient_id(std::int64_t index);
    std::string_view regimen_id(int number);

    RegimenOutcome write_regimen(const RegimenSpec& spec, int number, int regimen_index = -1);
    RegimenSpec spec_of(int regimen) const;
    void write_assessment(int regimen, int day, std::string_view response,
                          std::string_view method = "radiologic");
    void write_site(std::string_view site, int day);
    void write_value(CsvWriter& w, const FieldValue& v, int decimals);
    void write_patient_rows(int birth, std::string_view sex, std::string_view menopause, bool died, int death,
                            int diagnosis, std::string_view stage, int surgery, int metastasis, int index_day);
    std::size_t draw_arm();
    // What every patient starts with, drawn in this order: the last contact, the arm, the
    // index date, age and birth date, sex, menopausal status, the characteristics.
    struct Start {
        int cutoff_contact = 0;
        std::size_t arm = 0;
        int index_day = 0, age = 0, birth = 0;
        std::string_view sex, menopause = "unknown";
    };
    Start start_patient(std::int64_t index, const Exclusion* reason, std::int64_t occurrence);

    void evaluate(const Node& node, std::int64_t occurrence);
    int draw_index_day(const Exclusion* reason);
    int draw_age();
    int draw_dfi_days(int max_days);
    void write_history(int metastasis, int birth, std::string_view menopause, bool& prior_exposure,
                       int& diagnosis, std::string_view& stage, int& surgery);
    void write_initial_sites(int metastasis);
    void draw_adverse_events(int limited_given, int line_end, bool many_cycles);
    bool effect_applies(const Effect& effect, bool prior_exposure, int cycles) const;

    const Profile& p_;
    Registry& out_;
    std::uint64_t seed_;
    Rng rng_{0, 0};
    int last_contact_ = 0;
    int regimen_count_ = 0;
    double many_share_ = 0;
    std::vector<std::vector<bool>> exposure_;  // per regimen and drug

    std::string patient_id_;
    std::string regimen_id_;
    std::string tumor_id_;
    std::vector<FieldValue> fields_;
    std::vector<std::string_view> sites_at_index_;
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
    if (number >= 10) regimen_id_ += static_cast<char>('0' + number / 10);
    regimen_id_ += static_cast<char>('0' + number % 10);
    return regimen_id_;
}

RegimenSpec Generator::spec_of(int regimen) const {
    const Regimen& r = p_.regimens[static_cast<std::size_t>(regimen)];
    RegimenSpec spec;
    spec.code = r.code;
    spec.drugs = r.drugs;
    spec.period = r.period_days;
    spec.planned_cycles = r.cycles.low;
    return spec;
}

RegimenOutcome Generator::write_regimen(const RegimenSpec& spec, int number, int regimen_index) {
    const std::string_view id = regimen_id(number);
    const int limit = std::min(spec.stop_day - 1, last_contact_);
    RegimenOutcome outcome;
    int cycle = 0;
    for (; cycle < spec.planned_cycles; ++cycle) {
        const int day = spec.start + spec.period * cycle;
        if (day > limit) break;
        for (std::size_t d = 0; d < spec.drugs.size(); ++d) {
            const Drug& drug = spec.drugs[d];
            const int to_cycle = drug.limited ? spec.limited_to : drug.to_cycle;
            if (cycle < drug.from_cycle || cycle >= to_cycle) continue;
            if (regimen_index >= 0 && exposure_[static_cast<std::size_t>(regimen_index)][d]) outcome.exposure = true;
            CsvWriter& a = *out_.administrations_;
            a.code(id);
            a.code(drug.name);
            a.date(day);
            if (drug.unit.empty()) {
                a.empty();
                a.empty();
            } else {
                const bool reduced = !drug.reduced_dose.empty() && cycle >= spec.reduced_from_cycle;
                a.code(reduced ? drug.reduced_dose : cycle == drug.from_cycle ? drug.first_dose : drug.dose);
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
    CsvWriter& r = *out_.regimens_;
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

void Generator::write_assessment(int regimen, int day, std::string_view response, std::string_view method) {
    CsvWriter& w = *out_.assessments_;
    w.code(patient_id_);
    w.code(regimen_id(regimen));
    w.date(day);
    w.code(response);
    w.code(method);
    w.end_row();
}

void Generator::write_site(std::string_view site, int day) {
    CsvWriter& w = *out_.metastases_;
    w.code(patient_id_);
    w.code(site);
    w.date(day);
    w.end_row();
}

void Generator::write_value(CsvWriter& w, const FieldValue& v, int decimals) {
    if (!v.present) w.empty();
    else if (!v.numeric) w.code(v.code);
    else if (decimals == 0) w.integer(v.units);
    else w.fixed(static_cast<double>(v.units) / kScale[decimals], decimals);
}

void Generator::evaluate(const Node& node, std::int64_t occurrence) {
    for (const auto& [field, value] : node.set) fields_[static_cast<std::size_t>(field)] = value;
    for (const NumberDraw& draw : node.draw) {
        FieldValue& v = fields_[static_cast<std::size_t>(draw.field)];
        v.present = true;
        v.numeric = true;
        if (draw.exponential) {
            v.units = std::min(draw.from + static_cast<std::int64_t>(draw.mean * rng_.exponential()), draw.at_most);
        } else {
            v.units = rng_.integer(static_cast<int>(draw.low), static_cast<int>(draw.high));
        }
    }
    switch (node.branch) {
        case Node::Branch::none: break;
        case Node::Branch::two_way:
            if (rng_.bernoulli(node.p)) {
                if (node.has_child[0]) evaluate(node.children[0], occurrence);
            } else if (node.has_child[1]) {
                evaluate(node.children[1], occurrence);
            }
            break;
        case Node::Branch::weighted: evaluate(node.children[rng_.categorical(node.weights)], occurrence); break;
        case Node::Branch::alternate:
            evaluate(node.children[static_cast<std::size_t>(occurrence) % node.children.size()], occurrence);
            break;
    }
    if (!node.then.empty()) evaluate(node.then[0], occurrence);
}

int Generator::draw_index_day(const Exclusion* reason) {
    if (reason != nullptr && reason->kind == Exclusion::Kind::outside_accrual) {
        if (rng_.bernoulli(0.5)) return rng_.integer(reason->earliest_day, p_.accrual_first_day - 1);
        return rng_.integer(p_.accrual_last_day + 1, reason->latest_day);
    }
    // Density proportional to exp(g t) on [0, T] years, by inversion.
    const double span_years = (p_.accrual_last_day - p_.accrual_first_day) / 365.25;
    const double g = p_.accrual_growth;
    const double years = std::log1p(rng_.uniform() * std::expm1(g * span_years)) / g;
    return std::min(p_.accrual_first_day + static_cast<int>(years * 365.25), p_.accrual_last_day);
}

int Generator::draw_age() {
    const std::size_t band = rng_.categorical(p_.age_weights);
    return rng_.integer(p_.age_edges[band], p_.age_edges[band + 1] - 1);
}

int Generator::draw_dfi_days(int max_days) {
    double months;
    const std::size_t band = rng_.categorical(p_.dfi_weights);
    if (band < p_.dfi_bands.size()) {
        const auto [low, high] = p_.dfi_bands[band];
        months = low + (high - low) * rng_.uniform();
    } else {
        months = p_.dfi_tail_from + p_.dfi_tail_mean * rng_.exponential();
    }
    months = std::min(months, p_.dfi_max);
    return std::min(months_to_days(months), max_days);
}

void Generator::write_initial_sites(int metastasis) {
    sites_at_index_.clear();
    auto site = [&](std::string_view name) {
        write_site(name, metastasis);
        sites_at_index_.push_back(name);
    };
    bool any = false;
    for (const SiteGroup& group : p_.site_groups) {
        if (!rng_.bernoulli(group.p)) continue;
        any = true;
        if (group.sites.size() == 1) {
            site(group.sites[0]);
            continue;
        }
        const std::size_t first = rng_.categorical(group.weights);
        site(group.sites[first]);
        if (group.second > 0 && rng_.bernoulli(group.second)) {
            std::size_t second = rng_.categorical(group.weights);
            if (second == first) second = (first + 1) % group.sites.size();
            site(group.sites[second]);
        }
    }
    if (!any) {
        const SiteGroup& o = p_.site_otherwise;
        site(o.sites.size() == 1 ? o.sites[0] : o.sites[rng_.categorical(o.weights)]);
    } else if (!p_.site_added.empty() && rng_.bernoulli(p_.site_added_p)) {
        site(p_.site_added);
    }
}

// Relapsed disease: the primary tumour's history, backwards from the metastasis date.
void Generator::write_history(int metastasis, int birth, std::string_view menopause, bool& prior_exposure,
                              int& diagnosis, std::string_view& stage, int& surgery) {
    const std::size_t kind = rng_.categorical(p_.history_weights);
    const History& h = p_.histories[kind];
    surgery = -1;
    prior_exposure = false;
    // The primary is diagnosed at age >= 20 (10 months before surgery at most).
    const int max_dfi = metastasis - birth - 20 * 365 - 320;
    if (h.surgery) surgery = metastasis - draw_dfi_days(max_dfi);
    int neo_start = 0;
    if (h.neoadjuvant >= 0) {
        const Regimen& neo = p_.regimens[static_cast<std::size_t>(h.neoadjuvant)];
        if (h.surgery) {
            const int last_cycle = surgery - rng_.integer(h.surgery_after_neoadjuvant.low, h.surgery_after_neoadjuvant.high);
            neo_start = last_cycle - neo.period_days * (neo.cycles.low - 1);
        } else {
            neo_start = metastasis - rng_.integer(h.neoadjuvant_before_metastasis.low, h.neoadjuvant_before_metastasis.high);
        }
    }
    const int reference = h.neoadjuvant >= 0 ? neo_start : h.surgery ? surgery : metastasis;
    diagnosis = reference - rng_.integer(h.diagnosis_before.low, h.diagnosis_before.high);
    stage = pick(rng_, h.stage);
    if (h.neoadjuvant >= 0) {
        RegimenSpec neo = spec_of(h.neoadjuvant);
        neo.setting = "neoadjuvant";
        neo.start = neo_start;
        neo.stop_day = metastasis;
        neo.stop_reason = "progression";
        prior_exposure |= write_regimen(neo, ++regimen_count_, h.neoadjuvant).exposure;
    }
    if (h.adjuvant >= 0) {
        const int regimen = h.adjuvant_premenopausal >= 0 && menopause == "pre" ? h.adjuvant_premenopausal : h.adjuvant;
        RegimenSpec adj = spec_of(regimen);
        adj.setting = "adjuvant";
        adj.start = std::min(surgery + rng_.integer(h.adjuvant_after_surgery.low, h.adjuvant_after_surgery.high), metastasis - 1);
        adj.stop_day = metastasis;
        adj.stop_reason = "progression";
        prior_exposure |= write_regimen(adj, ++regimen_count_, regimen).exposure;
    }
}

// Worst grades per term with onset days after the start of the index line.
void Generator::draw_adverse_events(int limited_given, int line_end, bool many_cycles) {
    adverse_events_.clear();
    const int period = p_.index_period_days;
    auto onset_at_cycle = [&](int cycle) {
        return std::min(period * cycle + rng_.integer(p_.onset_after_cycle_days.low, p_.onset_after_cycle_days.high), line_end);
    };
    // Relative risk r with many limited-drug cycles, marginal kept: p_low = p / (1 + w (r - 1)).
    const double w = many_share_;
    auto scaled = [&](double p, double rr) {
        const double low = p / (1 + w * (rr - 1));
        return many_cycles ? low * rr : low;
    };
    auto add = [&](std::string_view term, int grade, int onset, std::string_view action) {
        // A severe episode is sometimes preceded by a milder one (exercises "worst grade").
        if (grade >= 3 && limited_given >= 2 && rng_.bernoulli(p_.earlier_milder_episode)) {
            const int earlier = onset_at_cycle(0);
            if (earlier < onset) adverse_events_.push_back({term, rng_.bernoulli(p_.earlier_milder_grade1) ? 1 : 2, earlier, "none"});
        }
        adverse_events_.push_back({term, grade, onset, action});
    };
    for (const AdverseEventSpec& spec : p_.adverse_events) {
        const double u = rng_.uniform();
        double cumulative = 0;
        const AdverseBand* band = nullptr;
        for (const AdverseBand& b : spec.bands) {
            cumulative = cumulative + scaled(b.share, b.many_cycles_rr);
            if (u < cumulative) {
                band = &b;
                break;
            }
        }
        if (band == nullptr) continue;
        // Draw order: cycle of a second-half onset, [grade], action, onset day, [grade].
        auto draw_grade = [&] {
            return band->grades.size() == 1 ? band->grades[0] : (rng_.bernoulli(band->first) ? band->grades[0] : band->grades[1]);
        };
        int cycle = 0;
        if (band->onset == AdverseBand::Onset::second_half) cycle = rng_.integer(limited_given / 2, limited_given - 1);
        int grade = spec.grade_first ? draw_grade() : 0;
        const std::string_view action = pick(rng_, band->action);
        int onset = 0;
        switch (band->onset) {
            case AdverseBand::Onset::any: onset = onset_at_cycle(rng_.integer(0, limited_given - 1)); break;
            case AdverseBand::Onset::last: onset = onset_at_cycle(limited_given - 1); break;
            case AdverseBand::Onset::second_half: onset = onset_at_cycle(cycle); break;
        }
        if (!spec.grade_first) grade = draw_grade();
        add(spec.term, grade, onset, action);
        if (!spec.chain.empty() && grade >= spec.chain_from_grade) {
            for (const AdverseLink& link : spec.chain) {
                if (!rng_.bernoulli(link.p)) break;
                adverse_events_.push_back({link.term, link.grade, onset, pick(rng_, link.action)});
            }
        }
    }
}

bool Generator::effect_applies(const Effect& effect, bool prior_exposure, int cycles) const {
    switch (effect.kind) {
        case Effect::Kind::prior_exposure: return prior_exposure;
        case Effect::Kind::limited_cycles_below: return cycles < effect.threshold;
        case Effect::Kind::field_value: {
            const FieldValue& v = fields_[static_cast<std::size_t>(effect.field)];
            return v.present == effect.value.present && v.numeric == effect.value.numeric &&
                   v.code == effect.value.code && v.units == effect.value.units;
        }
        case Effect::Kind::site_at_index:
            return std::find(sites_at_index_.begin(), sites_at_index_.end(), effect.site) != sites_at_index_.end();
    }
    return false;
}

// Patient, tumour, biomarker and observation rows; metastasis and surgery -1: none.
void Generator::write_patient_rows(int birth, std::string_view sex, std::string_view menopause, bool died, int death,
                                   int diagnosis, std::string_view stage, int surgery, int metastasis, int index_day) {
    CsvWriter& pw = *out_.patients_;
    pw.code(patient_id_);
    pw.date(birth);
    pw.code(sex);
    if (p_.has_menopause) pw.code(menopause);
    if (died) pw.date(death);
    else pw.empty();
    pw.date(last_contact_);
    pw.end_row();

    CsvWriter& tw = *out_.tumors_;
    tumor_id_.assign(patient_id_);
    tumor_id_ += "-T1";
    tw.code(tumor_id_);
    tw.code(patient_id_);
    tw.date(diagnosis);
    tw.code(stage);
    for (std::size_t f = 0; f < p_.fields.size(); ++f) {
        if (p_.fields[f].target == Field::Target::tumor) write_value(tw, fields_[f], p_.fields[f].decimals);
    }
    if (surgery >= 0) tw.date(surgery);
    else tw.empty();
    if (metastasis >= 0) tw.date(metastasis);
    else tw.empty();
    tw.end_row();

    for (std::size_t f = 0; f < p_.fields.size(); ++f) {
        const Field& field = p_.fields[f];
        const FieldValue& value = fields_[f];
        if (!value.present || field.target == Field::Target::tumor) continue;
        if (field.target == Field::Target::biomarker) {
            CsvWriter& w = *out_.biomarkers_;
            w.code(patient_id_);
            w.code(tumor_id_);
            w.code(field.marker);
            if (field.has_method) w.code(pick(rng_, field.method));
            else w.empty();
            if (value.numeric) {
                w.empty();
                write_value(w, value, field.decimals);
                w.code(field.unit);
            } else {
                w.code(value.code);
                w.empty();
                w.empty();
            }
            w.date(diagnosis);
            w.end_row();
        } else {
            CsvWriter& w = *out_.observations_;
            w.code(patient_id_);
            w.code(field.name);
            w.date(std::max(index_day - rng_.integer(field.days_before_index.low, field.days_before_index.high), birth));
            if (value.numeric) {
                write_value(w, value, field.decimals);
                w.empty();
            } else {
                w.empty();
                w.code(value.code);
            }
            if (field.unit.empty()) w.empty();
            else w.code(field.unit);
            w.end_row();
        }
    }
}

std::size_t Generator::draw_arm() { return p_.arms.size() > 1 ? rng_.categorical(p_.arm_weights) : 0; }

Generator::Start Generator::start_patient(std::int64_t index, const Exclusion* reason, std::int64_t occurrence) {
    using Kind = Exclusion::Kind;
    rng_ = Rng(seed_, static_cast<std::uint64_t>(index));
    set_patient_id(index);
    regimen_count_ = 0;
    Start out;
    // Every event of the patient is on or before the last contact; it is drawn early so
    // that writers can truncate (the death date replaces it below when earlier).
    out.cutoff_contact = p_.cutoff_day - rng_.integer(0, p_.last_contact_gap_days);
    last_contact_ = out.cutoff_contact;
    out.arm = draw_arm();
    out.index_day = draw_index_day(reason);
    out.age = draw_age();
    const CivilDate index_date = civil_date(out.index_day);
    out.birth = day_number({index_date.year - out.age, index_date.month,
                            index_date.month == 2 && index_date.day == 29 ? 28 : index_date.day}) -
                rng_.integer(0, 364);
    out.sex = pick(rng_, p_.sex);
    if (p_.has_menopause && !rng_.bernoulli(p_.menopause_unknown)) {
        const double pre = 1 / (1 + std::exp((out.age - p_.menopause_center) / p_.menopause_slope_years));
        out.menopause = rng_.bernoulli(pre) ? "pre" : "post";
    }
    for (std::size_t f = 0; f < fields_.size(); ++f) fields_[f] = p_.fields[f].fallback;
    for (std::size_t c = 0; c < p_.characteristics.size(); ++c) {
        const bool replaced = reason && reason->kind == Kind::characteristic && reason->characteristic == static_cast<int>(c);
        evaluate(replaced ? reason->instead : p_.characteristics[c].root, occurrence);
    }
    return out;
}

std::size_t Generator::adjuvant_patient(std::int64_t index, const Exclusion* reason, std::int64_t occurrence) {
    using Kind = Exclusion::Kind;
    const Start start = start_patient(index, reason, occurrence);
    const auto [cutoff_contact, arm_index, index_day, age, birth, sex, menopause] = start;
    const Arm& arm = p_.arms[arm_index];

    // Surgery, then the adjuvant (index) regimen; neoadjuvant therapy before surgery in some.
    const std::string_view stage = pick(rng_, p_.adjuvant_stage);
    const int surgery = index_day - rng_.integer(p_.adjuvant_after_surgery.low, p_.adjuvant_after_surgery.high);
    int first_treatment = surgery;
    const bool neoadjuvant = p_.neoadjuvant_regimen >= 0 && rng_.bernoulli(p_.neoadjuvant_p);
    int neo_start = 0;
    if (neoadjuvant) {
        const Regimen& neo = p_.regimens[static_cast<std::size_t>(p_.neoadjuvant_regimen)];
        const int last_cycle = surgery - rng_.integer(p_.neoadjuvant_surgery_after.low, p_.neoadjuvant_surgery_after.high);
        neo_start = last_cycle - neo.period_days * (neo.cycles.low - 1);
        first_treatment = neo_start;
    }
    const int diagnosis = first_treatment - rng_.integer(p_.adjuvant_diagnosis_before.low, p_.adjuvant_diagnosis_before.high);

    // Disease-free survival from surgery: relapse (metastasis) or death without relapse.
    double hr = 1.0;
    for (const auto& [code, stage_hr] : p_.stage_hr) {
        if (code == stage) hr = stage_hr;
    }
    // Drawn beyond the start of the adjuvant regimen (H(t) = H(a) + E / HR): a patient
    // who relapsed or died before it would not have received it.
    const int a_days = index_day - surgery + 1;
    const double a = a_days / kDay, k = p_.dfs_shape, scale = p_.dfs_scale;
    const double dfs = scale * std::pow(std::pow(a / scale, k) + rng_.exponential() / hr, 1 / k);
    const int event = surgery + std::max(months_to_days(dfs), a_days);
    const bool death_first = rng_.bernoulli(p_.dfs_death_first);
    int death = event, metastasis = -1;
    bool treated = false, line_death = false, line_trial = false;
    int line_start = 0, line_pfs = 0, second = -1;
    const NextLineOption* option = nullptr;
    if (!death_first) {
        metastasis = event;
        if (rng_.bernoulli(p_.next_line)) {
            treated = true;
            line_start = metastasis + rng_.integer(p_.next_line_days.low, p_.next_line_days.high);
            option = &p_.next_options[rng_.categorical(p_.next_weights)];
            line_trial = rng_.bernoulli(p_.next_trial);
            line_pfs = std::max(1, months_to_days(weibull_by_median(rng_, option->pfs_median, p_.next_pfs_shape)));
            line_death = rng_.bernoulli(p_.next_death_first);
            death = line_start + line_pfs;
            if (!line_death) {
                death += std::max(1, months_to_days(weibull_by_median(rng_, p_.relapse_pps_median, p_.pps_shape)));
                if (rng_.bernoulli(p_.third_line)) second = pick(rng_, option->then);
            }
        } else {
            death = metastasis + std::max(1, months_to_days(weibull_by_median(rng_, p_.no_next_line_median, p_.no_next_line_shape)));
        }
    }
    const bool died = death <= cutoff_contact;
    if (died) last_contact_ = death;
    if (metastasis > last_contact_) metastasis = -1;  // not (yet) observed

    if (neoadjuvant) {
        RegimenSpec neo = spec_of(p_.neoadjuvant_regimen);
        neo.setting = "neoadjuvant";
        neo.start = neo_start;
        write_regimen(neo, ++regimen_count_);
    }
    const int regimen = reason && reason->kind == Kind::other_index_regimen ? pick(rng_, reason->regimens) : arm.regimen;
    RegimenSpec adjuvant = spec_of(regimen);
    adjuvant.setting = "adjuvant";
    adjuvant.start = index_day;
    adjuvant.stop_day = metastasis >= 0 ? metastasis : (died ? death : INT_MAX);
    adjuvant.stop_reason = metastasis >= 0 ? "progression" : "death";
    write_regimen(adjuvant, ++regimen_count_);

    if (metastasis >= 0) {
        write_initial_sites(metastasis);
        if (treated && line_start <= last_contact_) {
            RegimenSpec first = spec_of(option->regimen);
            const Regimen& r = p_.regimens[static_cast<std::size_t>(option->regimen)];
            if (r.cycles.low != r.cycles.high) first.planned_cycles = rng_.integer(r.cycles.low, r.cycles.high);
            first.setting = "palliative";
            first.line = 1;
            first.start = line_start;
            const int pd = line_start + line_pfs;
            first.stop_day = line_death ? death : pd;
            first.stop_reason = line_death ? "death" : "progression";
            first.measurable = "yes";
            first.trial = line_trial;
            const int number = ++regimen_count_;
            write_regimen(first, number);
            for (int day = line_start + rng_.integer(p_.first_assessment_days.low, p_.first_assessment_days.high);
                 day < std::min(pd, death) && day <= last_contact_;
                 day += p_.assessment_interval_days + rng_.integer(-p_.assessment_jitter_days, p_.assessment_jitter_days)) {
                write_assessment(number, day, rng_.bernoulli(p_.next_responds) ? "PR" : "SD");
            }
            if (!line_death && pd <= last_contact_) {
                write_assessment(number, pd, "PD");
                const int next_start = pd + rng_.integer(p_.next_line_days.low, p_.next_line_days.high);
                if (second >= 0 && next_start < death && next_start <= last_contact_) {
                    RegimenSpec next = spec_of(second);
                    next.planned_cycles = INT_MAX;
                    next.setting = "palliative";
                    next.line = 2;
                    next.start = next_start;
                    next.stop_day = death;
                    next.stop_reason = "death";
                    next.measurable = "unknown";
                    write_regimen(next, ++regimen_count_);
                }
            }
        }
    }
    const bool no_surgery = reason && reason->kind == Kind::surgery_missing;
    write_patient_rows(birth, sex, menopause, died, death, diagnosis, stage, no_surgery ? -1 : surgery, metastasis, index_day);
    return arm_index;
}

std::size_t Generator::patient(std::int64_t index, const Exclusion* reason, std::int64_t occurrence) {
    if (p_.adjuvant_mode) return adjuvant_patient(index, reason, occurrence);
    using Kind = Exclusion::Kind;
    const Kind kind = reason ? reason->kind : Kind::characteristic;
    const bool later_line = reason && kind == Kind::index_as_later_line;
    const Start start = start_patient(index, reason, occurrence);
    const auto [cutoff_contact, arm_index, index_day, age, birth, sex, menopause] = start;
    const Arm& arm = p_.arms[arm_index];

    // A later-line patient first had another palliative line that progressed.
    int prior_line_start = 0, prior_line_progression = 0;
    int metastasis_gap = rng_.integer(p_.metastasis_before_index.low, p_.metastasis_before_index.high);
    if (later_line) {
        prior_line_progression = index_day - rng_.integer(reason->progression_before_index.low, reason->progression_before_index.high);
        prior_line_start = prior_line_progression - rng_.integer(reason->line_days.low, reason->line_days.high);
        metastasis_gap = index_day - prior_line_start + rng_.integer(reason->metastasis_before_line.low, reason->metastasis_before_line.high);
    }
    const int metastasis = index_day - metastasis_gap;

    // Primary tumour and its history.
    const bool de_novo = rng_.bernoulli(p_.de_novo);
    bool prior_exposure = false;
    int diagnosis = metastasis, surgery = -1;
    std::string_view stage = "IV";
    const int tumor_metastasis = metastasis;
    if (de_novo) {
        if (rng_.bernoulli(p_.de_novo_diagnosis_earlier)) {
            diagnosis = metastasis - rng_.integer(p_.de_novo_diagnosis_days.low, p_.de_novo_diagnosis_days.high);
        }
    } else {
        write_history(metastasis, birth, menopause, prior_exposure, diagnosis, stage, surgery);
    }
    write_initial_sites(metastasis);

    if (later_line) {
        RegimenSpec first = spec_of(pick(rng_, reason->regimens));
        first.planned_cycles = INT_MAX;
        first.setting = "palliative";
        first.line = 1;
        first.start = prior_line_start;
        first.stop_day = prior_line_progression;
        first.stop_reason = "progression";
        first.measurable = "yes";
        const int number = ++regimen_count_;
        write_regimen(first, number);
        write_assessment(number, prior_line_start + rng_.integer(p_.first_assessment_days.low, p_.first_assessment_days.high), "SD");
        write_assessment(number, prior_line_progression, "PD");
    }

    // --- The index line (line 1; line 2 for later-line patients) ------------------------
    const int period = p_.index_period_days;
    const int line = later_line ? 2 : 1;
    const bool measurable = rng_.bernoulli(p_.measurable);
    const std::size_t response_index = rng_.categorical(arm.response_weights);
    const ResponseClass& response = p_.responses[response_index];
    int cycles, pfs_day;
    bool pfs_death = false;
    if (response.early_progression) {
        pfs_day = rng_.integer(response.progression_days.low, response.progression_days.high);
        cycles = (pfs_day - 1) / period + 1;
    } else {
        cycles = p_.has_limited ? static_cast<int>(rng_.categorical(arm.limited_non_early)) : 0;
        double m = response.pfs_hr;
        for (const Effect& e : p_.effects) {
            if (e.kind != Effect::Kind::limited_cycles_below) m = m * (effect_applies(e, prior_exposure, cycles) ? e.pfs_hr : 1.0);
        }
        for (const Effect& e : p_.effects) {
            if (e.kind == Effect::Kind::limited_cycles_below) m = m * (effect_applies(e, prior_exposure, cycles) ? e.pfs_hr : 1.0);
        }
        // Conditional Weibull beyond a: H(t) = H(a) + E / m.
        const int a_days = pfs_truncation_days(p_, cycles);
        const double a = a_days / kDay;
        const double k = p_.pfs_shape, scale = arm.pfs_scale;
        const double t = scale * std::pow(std::pow(a / scale, k) + rng_.exponential() / m, 1 / k);
        pfs_day = std::max(months_to_days(t), a_days + 1);
        pfs_death = rng_.bernoulli(p_.pfs_death_first);
    }
    const bool many_cycles = cycles >= p_.many_cycles_from;
    // The line stopped before progression (toxicity or choice), after the limited phase.
    int stop_cycle = INT_MAX;
    std::string_view stop_reason = "progression";
    if (rng_.bernoulli(p_.early_stop)) {
        const int first = cycles, last = (pfs_day - 1) / period;
        if (last >= first) {
            stop_cycle = rng_.integer(first, last);
            stop_reason = pick(rng_, p_.early_stop_reason);
        }
    }
    const int first_assessment = rng_.integer(p_.first_assessment_days.low, p_.first_assessment_days.high);

    // After progression.
    const int progression = index_day + pfs_day;  // or death without progression
    int death;
    bool has_second = false, second_trial = false, pfs2_death = false, has_third = false;
    int second_start = 0, pfs2_day = 0, third_start = 0, third_stop = 0;
    const NextLineOption* second = nullptr;
    int third_regimen = -1;
    const bool second_responds = rng_.bernoulli(p_.next_responds);
    int new_site = -1;
    if (pfs_death) {
        death = progression;
    } else {
        if (!p_.site_at_progression.sites.empty() && rng_.bernoulli(p_.site_at_progression.p)) {
            new_site = p_.site_at_progression.sites.size() == 1
                           ? 0
                           : static_cast<int>(rng_.categorical(p_.site_at_progression.weights));
        }
        if (rng_.bernoulli(p_.next_line)) {
            has_second = true;
            second_start = progression + rng_.integer(p_.next_line_days.low, p_.next_line_days.high);
            second = &p_.next_options[rng_.categorical(p_.next_weights)];
            second_trial = rng_.bernoulli(p_.next_trial);
            pfs2_day = std::max(1, months_to_days(weibull_by_median(rng_, second->pfs_median, p_.next_pfs_shape)));
            pfs2_death = rng_.bernoulli(p_.next_death_first);
            int os2_day = pfs2_day;
            if (!pfs2_death) {
                double hr = 1.0;
                for (const Effect& e : p_.effects) hr = hr * (effect_applies(e, prior_exposure, cycles) ? e.pps_hr : 1.0);
                hr = hr * response.pps_hr;
                os2_day += std::max(1, months_to_days(weibull_by_median(rng_, arm.pps_median, p_.pps_shape, hr)));
                if (rng_.bernoulli(p_.third_line)) {
                    third_start = second_start + pfs2_day + rng_.integer(p_.next_line_days.low, p_.next_line_days.high);
                    third_stop = third_start + std::max(1, months_to_days(weibull_by_median(
                                                               rng_, p_.third_line_median, p_.third_line_shape)));
                    has_third = third_start < second_start + os2_day;
                    third_regimen = pick(rng_, second->then);
                }
            }
            death = second_start + os2_day;
        } else {
            death = progression + std::max(1, months_to_days(weibull_by_median(
                                                  rng_, p_.no_next_line_median, p_.no_next_line_shape)));
        }
    }
    const bool died = death <= cutoff_contact;
    if (died) last_contact_ = death;

    // --- Write the index line ------------------------------------------------------------
    const int index_regimen = reason && kind == Kind::other_index_regimen ? pick(rng_, reason->regimens) : arm.regimen;
    const Regimen& regimen = p_.regimens[static_cast<std::size_t>(index_regimen)];
    const int line_stop = std::min(progression, stop_cycle == INT_MAX ? INT_MAX : index_day + period * stop_cycle + 1);
    // Limited-drug cycles actually given, and the day the line ends (for adverse events).
    int limited_given = 0;
    for (int c = 0; c < cycles; ++c) {
        const int day = index_day + period * c;
        if (day >= line_stop || day > last_contact_) break;
        ++limited_given;
    }
    int last_cycle_day = index_day, cycles_given = 0;
    for (int c = 0;; ++c) {
        const int day = index_day + period * c;
        if (day >= line_stop || day > last_contact_) break;
        last_cycle_day = day;
        ++cycles_given;
    }
    // Adverse events begin during the limited phase, or without one in the first cycles.
    const int event_cycles = p_.has_limited ? limited_given : std::min(cycles_given, p_.adverse_within_cycles);
    draw_adverse_events(event_cycles, std::min(last_cycle_day, last_contact_) - index_day, many_cycles);
    int reduced_from = INT_MAX;
    for (const AdverseEvent& event : adverse_events_) {
        if (event.action == "dose_reduced") reduced_from = std::min(reduced_from, event.onset / period + 1);
    }
    RegimenSpec spec;
    spec.code = regimen.code;
    spec.setting = "palliative";
    spec.line = line;
    spec.start = index_day;
    spec.period = period;
    spec.stop_day = line_stop;
    spec.stop_reason = stop_cycle != INT_MAX && index_day + period * stop_cycle + 1 < progression
                           ? stop_reason
                           : (pfs_death ? "death" : "progression");
    spec.drugs = regimen.drugs;
    spec.limited_to = cycles;
    spec.measurable = measurable ? "yes" : "no";
    spec.reduced_from_cycle = reduced_from;
    spec.planned_cycles = p_.max_cycles;
    const int index_number = ++regimen_count_;
    write_regimen(spec, index_number);
    for (const AdverseEvent& event : adverse_events_) {
        CsvWriter& w = *out_.adverse_events_;
        w.code(patient_id_);
        w.code(regimen_id(index_number));
        w.code(event.term);
        w.integer(event.grade);
        w.date(index_day + event.onset);
        w.code(event.action);
        w.end_row();
    }

    // Assessments of the index line: the first in its window, then every interval (+-
    // jitter), until progression (a PD assessment on the progression day), death or last
    // contact.
    assessment_days_.clear();
    if (!response.early_progression) {
        for (int day = index_day + first_assessment; day < progression && day <= last_contact_;
             day += p_.assessment_interval_days + rng_.integer(-p_.assessment_jitter_days, p_.assessment_jitter_days)) {
            assessment_days_.push_back(day);
        }
    }
    for (std::size_t i = 0; i < assessment_days_.size(); ++i) {
        std::string_view value = "NE";
        if (measurable) {
            const bool several = assessment_days_.size() >= 2;
            value = response.name;
            if (response.first_of_several_p > 0 && i == 0 && several && rng_.bernoulli(response.first_of_several_p)) {
                value = response.first_of_several;
            }
        }
        write_assessment(index_number, assessment_days_[i], value);
    }
    if (!pfs_death && progression <= last_contact_) {
        write_assessment(index_number, progression, "PD", rng_.bernoulli(p_.clinical_progression) ? "clinical" : "radiologic");
        if (new_site >= 0) write_site(p_.site_at_progression.sites[static_cast<std::size_t>(new_site)], progression);
    }

    // --- Later lines -----------------------------------------------------------------------
    if (has_second && second_start <= last_contact_) {
        RegimenSpec spec2 = spec_of(second->regimen);
        const Regimen& r2 = p_.regimens[static_cast<std::size_t>(second->regimen)];
        if (r2.cycles.low != r2.cycles.high) spec2.planned_cycles = rng_.integer(r2.cycles.low, r2.cycles.high);
        spec2.setting = "palliative";
        spec2.line = line + 1;
        spec2.start = second_start;
        const int pd2 = second_start + pfs2_day;
        spec2.stop_day = pfs2_death ? death : pd2;
        spec2.stop_reason = pfs2_death ? "death" : "progression";
        spec2.trial = second_trial;
        spec2.measurable = measurable ? "yes" : "no";
        const int number = ++regimen_count_;
        write_regimen(spec2, number);
        for (int day = second_start + rng_.integer(p_.first_assessment_days.low, p_.first_assessment_days.high);
             day < std::min(pd2, death) && day <= last_contact_;
             day += p_.assessment_interval_days + rng_.integer(-p_.assessment_jitter_days, p_.assessment_jitter_days)) {
            write_assessment(number, day, measurable ? (second_responds ? "PR" : "SD") : "NE");
        }
        if (!pfs2_death && pd2 <= last_contact_) write_assessment(number, pd2, "PD");
        if (has_third && third_start <= last_contact_) {
            RegimenSpec spec3 = spec_of(third_regimen);
            spec3.planned_cycles = INT_MAX;
            spec3.setting = "palliative";
            spec3.line = line + 2;
            spec3.start = third_start;
            spec3.stop_day = std::min(third_stop, death);
            spec3.stop_reason = third_stop < death ? "progression" : "death";
            spec3.measurable = "unknown";
            write_regimen(spec3, ++regimen_count_);
            // Salvage therapy from then on, until death or last contact: treated patients
            // keep generating records, so follow-up has no years-long silent gaps.
            const int fourth_start = third_stop + rng_.integer(p_.next_line_days.low, p_.next_line_days.high);
            if (third_stop < death && fourth_start < death && fourth_start <= last_contact_) {
                RegimenSpec spec4 = spec_of(p_.salvage_regimen);
                spec4.planned_cycles = INT_MAX;
                spec4.setting = "palliative";
                spec4.line = line + 3;
                spec4.start = fourth_start;
                spec4.stop_day = death;
                spec4.stop_reason = "death";
                spec4.measurable = "unknown";
                write_regimen(spec4, ++regimen_count_);
            }
        }
    }

    write_patient_rows(birth, sex, menopause, died, death, diagnosis, stage, surgery, tumor_metastasis, index_day);
    return arm_index;
}

}  // namespace

SynthSummary synthesize(const SynthOptions& options) {
    if (options.patients < 1) {
        throw UsageError("--patients: must be at least 1 (" + std::to_string(options.patients) + ")");
    }
    if (options.profile.empty()) throw UsageError("--profile: required: a name in studies/profiles/ or a path to a .toml file");
    const std::string file = find_profile(options.profile);
    const Profile profile = load_profile(file);
    std::error_code error;
    std::filesystem::create_directories(options.out_dir, error);
    if (error) throw IoError(options.out_dir + ": cannot create folder (" + error.message() + ")");

    Registry registry(options.out_dir, profile);
    Generator generator(profile, registry, options.seed);
    SynthSummary summary;
    summary.profile = profile.name;
    summary.profile_file = file;
    summary.targets = profile.targets;
    for (const Exclusion& e : profile.exclusions) summary.excluded_by_reason.emplace_back(e.name, 0);
    for (const Arm& a : profile.arms) summary.eligible_by_arm.emplace_back(a.name, 0);
    const std::int64_t excluded = excluded_count(profile, options.patients);
    const std::int64_t total = options.patients + excluded;
    const std::int64_t every = profile.excluded_per_eligible + 1;
    const auto kinds = static_cast<std::int64_t>(profile.exclusions.size());
    for (std::int64_t index = 0; index < total; ++index) {
        // Every (k+1)-th patient is excluded: exactly floor(N/k) of N + floor(N/k).
        if (excluded > 0 && (index + 1) % every == 0) {
            const std::int64_t ordinal = summary.excluded++;
            const auto kind = static_cast<std::size_t>(ordinal % kinds);
            ++summary.excluded_by_reason[kind].second;
            generator.patient(index, &profile.exclusions[kind], ordinal / kinds);
        } else {
            ++summary.eligible;
            ++summary.eligible_by_arm[generator.patient(index, nullptr, 0)].second;
        }
    }
    auto writers = registry.writers();
    for (auto& [name, writer] : writers) {
        writer->close();
        summary.rows.emplace_back(name, writer->rows());
    }
    for (auto& [name, writer] : writers) writer->commit();
    return summary;
}

}  // namespace rwe::synth
