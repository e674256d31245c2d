#include "rwe/report/methods_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <type_traits>
#include <variant>

namespace rwe::report {
namespace {

using json = nlohmann::json;

// The works cited, by key; numbered in the order the text first cites them.
const std::map<std::string, std::string>& works() {
    static const std::map<std::string, std::string> list{
        {"km", "Kaplan EL, Meier P. Nonparametric estimation from incomplete observations. J Am Stat Assoc. 1958;53:457–481."},
        {"greenwood", "Greenwood M. The natural duration of cancer. Reports on Public Health and Medical Subjects, No. 33. London: HMSO; 1926."},
        {"brookmeyer", "Brookmeyer R, Crowley J. A confidence interval for the median survival time. Biometrics. 1982;38:29–41."},
        {"collett", "Collett D. Modelling Survival Data in Medical Research. 3rd ed. Boca Raton: Chapman & Hall/CRC; 2015."},
        {"schemper", "Schemper M, Smith TL. A note on quantifying follow-up in studies of failure time. Control Clin Trials. 1996;17:343–346."},
        {"mantel", "Mantel N. Evaluation of survival data and two new rank order statistics arising in its consideration. Cancer Chemother Rep. 1966;50:163–170."},
        {"harrington", "Harrington DP, Fleming TR. A class of rank test procedures for censored survival data. Biometrika. 1982;69:553–566."},
        {"clopper", "Clopper CJ, Pearson ES. The use of confidence or fiducial limits illustrated in the case of the binomial. Biometrika. 1934;26:404–413."},
        {"cochran", "Cochran WG. Some methods for strengthening the common \u03c7\u00b2 tests. Biometrics. 1954;10:417–451."},
        {"mann", "Mann HB, Whitney DR. On a test of whether one of two random variables is stochastically larger than the other. Ann Math Stat. 1947;18:50–60."},
        {"kruskal", "Kruskal WH, Wallis WA. Use of ranks in one-criterion variance analysis. J Am Stat Assoc. 1952;47:583–621."},
        {"yang", "Yang D, Dalton JE. A unified approach to measuring the effect size between two groups using SAS. SAS Global Forum 2012, paper 335-2012."},
        {"cox", "Cox DR. Regression models and life-tables. J R Stat Soc Series B. 1972;34:187–220."},
        {"breslow", "Breslow N. Covariance analysis of censored survival data. Biometrics. 1974;30:89–99."},
        {"efron", "Efron B. The efficiency of Cox's likelihood function for censored data. J Am Stat Assoc. 1977;72:557–565."},
        {"anderson", "Anderson JR, Cain KC, Gelber RD. Analysis of survival by tumor response. J Clin Oncol. 1983;1:710–719."},
        {"aalen", "Aalen OO, Johansen S. An empirical transition matrix for non-homogeneous Markov chains based on censored observations. Scand J Stat. 1978;5:141–150."},
        {"gray", "Gray RJ. A class of K-sample tests for comparing the cumulative incidence of a competing risk. Ann Stat. 1988;16:1141–1154."},
        {"robins", "Robins JM, Hern\u00e1n MA, Brumback B. Marginal structural models and causal inference in epidemiology. Epidemiology. 2000;11:550–560."},
        {"rosenbaum", "Rosenbaum PR, Rubin DB. The central role of the propensity score in observational studies for causal effects. Biometrika. 1983;70:41–55."},
        {"austin_caliper", "Austin PC. Optimal caliper widths for propensity-score matching when estimating differences in means and differences in proportions in observational studies. Pharm Stat. 2011;10:150–161."},
        {"austin", "Austin PC. Balance diagnostics for comparing the distribution of baseline covariates between treatment groups in propensity-score matched samples. Stat Med. 2009;28:3083–3107."},
        {"fine", "Fine JP, Gray RJ. A proportional hazards model for the subdistribution of a competing risk. J Am Stat Assoc. 1999;94:496–509."},
        {"hernan", "Hern\u00e1n MA, Robins JM. Using big data to emulate a target trial when a randomized trial is not available. Am J Epidemiol. 2016;183:758–764."},
        {"maringe", "Maringe C, Benitez Majano S, Exarchakou A, et al. Reflection on modern methods: trial emulation in the presence of immortal-time bias. Int J Epidemiol. 2020;49:1719–1729."},
        {"bootstrap", "Efron B, Tibshirani RJ. An Introduction to the Bootstrap. New York: Chapman & Hall; 1993."},
    };
    return list;
}

class Citations {
public:
    std::string cite(std::initializer_list<const char*> keys) {
        std::vector<std::size_t> numbers;
        for (const char* key : keys) {
            auto found = std::find(order_.begin(), order_.end(), key);
            if (found == order_.end()) {
                order_.push_back(key);
                found = order_.end() - 1;
            }
            numbers.push_back(static_cast<std::size_t>(found - order_.begin()) + 1);
        }
        std::string out;
        for (auto n : numbers) out += (out.empty() ? "" : ", ") + std::to_string(n);
        return " [" + out + "]";
    }
    std::vector<std::string> list() const {
        std::vector<std::string> out;
        for (std::size_t k = 0; k < order_.size(); ++k) out.push_back(fmt::format("{}. {}", k + 1, works().at(order_[k])));
        return out;
    }

private:
    std::vector<std::string> order_;
};

std::string join(const std::vector<std::string>& items, const std::string& last = " and ") {
    std::string out;
    for (std::size_t k = 0; k < items.size(); ++k) {
        if (k > 0) out += k + 1 == items.size() ? last : ", ";
        out += items[k];
    }
    return out;
}

// A count as the text states it; empty when suppressed.
std::string whole(const results::Count& value) { return value.is_suppressed() ? std::string() : std::to_string(value.value()); }

std::string origin_words(const std::string& origin) {
    if (origin == "index") return "the index date (start of the index treatment)";
    if (origin == "surgery") return "surgery of the primary tumour";
    if (origin == "first_response") return "the first documented response";
    if (origin == "next_line") return "the start of the next line of therapy";
    return "the date " + origin;
}

std::string event_words(const std::string& event) {
    if (event == "death") return "death from any cause";
    if (event == "progression") return "disease progression";
    if (event == "next_line") return "the start of the next line of therapy";
    if (event == "index_line_end") return "the end of the index treatment";
    if (event == "metastasis") return "distant metastasis";
    return event;
}

std::string censor_words(const std::string& censor) {
    if (censor == "last_contact") return "the last contact";
    if (censor == "last_assessment") return "the last tumour assessment";
    if (censor == "next_line") return "the start of the next line of therapy";
    return censor;
}

std::string scale_words(const std::string& conf_type) {
    if (conf_type == "log") return "log";
    if (conf_type == "log-log") return "log–log";
    if (conf_type == "plain") return "linear (plain)";
    return conf_type;
}

// What the analyses used, gathered in one pass.
struct Used {
    std::vector<std::string> endpoints;  // PARAMCDs in order of first use
    bool table1 = false, table1_by = false, smd = false;
    std::set<std::string> table1_tests;  // chi-square, fisher, wilcoxon, kruskal-wallis
    bool km = false, followup = false, log_rank = false;
    std::set<std::string> median_methods;  // spss, r
    std::set<std::string> conf_types;
    std::set<std::string> weighted_tests;  // log-rank family other than log-rank
    bool response = false, response_by = false, association = false;
    std::vector<std::string> grading;
    bool cox = false, cox_univariable = false, cox_strata = false;
    std::set<std::string> ties;
    std::vector<long> landmark_days;
    bool cuminc = false, gray = false, fine_gray = false, cause_specific = false;
    bool iptw = false, iptw_bootstrap = false;
    std::set<std::string> iptw_estimands;
    std::set<std::string> matchings;  // how each ps_match analysis matched
    bool matching_caliper = false, matching_replace = false, matching_without = false;
    bool target_trial = false, target_trial_bootstrap = false;
};

Used gather(const std::vector<results::AnalysisResult>& analyses) {
    Used used;
    auto endpoint = [&](const std::string& code) {
        if (!code.empty() && std::find(used.endpoints.begin(), used.endpoints.end(), code) == used.endpoints.end()) used.endpoints.push_back(code);
    };
    auto median_method = [&](const auto& median) {
        if (median && !median->is_suppressed()) used.median_methods.insert((*median)->method);
    };
    for (const auto& analysis : analyses) {
        std::visit(
            [&](const auto& r) {
                using T = std::decay_t<decltype(r)>;
                if constexpr (std::is_same_v<T, results::Table1Result>) {
                    used.table1 = true;
                    for (const auto& row : r.rows) {
                        if (row.by_group) used.table1_by = true;
                        if (row.smd) used.smd = true;
                        if (!row.comparison) continue;
                        if (const auto* rank = std::get_if<results::RankComparison>(&*row.comparison)) {
                            if (rank->test.has_value()) used.table1_tests.insert(*rank->test);
                        } else {
                            used.table1_tests.insert(std::get<results::ContingencyTest>(*row.comparison).test);
                        }
                    }
                } else if constexpr (std::is_same_v<T, results::KmResult>) {
                    used.km = true;
                    endpoint(r.endpoint);
                    used.conf_types.insert(r.conf_type);
                    if (r.log_rank) used.log_rank = true;
                    for (const auto& stratum : r.strata) median_method(stratum.median_primary);
                } else if constexpr (std::is_same_v<T, results::FollowUpResult>) {
                    used.followup = true;
                    endpoint(r.endpoint);
                } else if constexpr (std::is_same_v<T, results::LogRankResult>) {
                    used.km = true;
                    for (const auto& test : r.tests) {
                        endpoint(test.endpoint);
                        const std::string method = test.method.value_or("log-rank");
                        if (method == "log-rank") used.log_rank = true;
                        else used.weighted_tests.insert(method);
                        if (test.groups) {
                            for (const auto& group : *test.groups) median_method(group.median_primary);
                        }
                    }
                } else if constexpr (std::is_same_v<T, results::ResponseResult>) {
                    used.response = true;
                    if (r.by && !r.by->empty()) used.response_by = true;
                } else if constexpr (std::is_same_v<T, results::AdverseEventsResult>) {
                    used.grading.push_back(r.grading);
                } else if constexpr (std::is_same_v<T, results::AssociationResult>) {
                    used.association = true;
                } else if constexpr (std::is_same_v<T, results::CoxResult>) {
                    used.cox = true;
                    endpoint(r.endpoint);
                    used.ties.insert(r.fit.ties);
                    if (r.univariable) used.cox_univariable = true;
                    if (r.strata) used.cox_strata = true;
                } else if constexpr (std::is_same_v<T, results::LandmarkResult>) {
                    used.km = true;
                    used.log_rank = true;
                    used.landmark_days.push_back(r.landmark_days);
                    for (const auto& e : r.results) {
                        endpoint(e.endpoint);
                        used.cox = true;
                        if (e.cox) used.ties.insert(e.cox->ties);
                        used.ties.insert(e.time_dependent_cox.fit.ties);
                    }
                } else if constexpr (std::is_same_v<T, results::IptwResult>) {
                    if (!r.comparison.estimable) return;
                    used.iptw = true;
                    endpoint(r.comparison.endpoint);
                    used.iptw_estimands.insert(r.comparison.estimand);
                    if (r.differences && r.differences->bootstrap.replicates > 0) used.iptw_bootstrap = true;
                } else if constexpr (std::is_same_v<T, results::PsMatchResult>) {
                    if (!r.comparison.estimable || !r.matching) return;
                    const results::Matching& m = *r.matching;
                    endpoint(r.comparison.endpoint);
                    std::string how = fmt::format("1:{} nearest-neighbour matching on the {}", m.ratio,
                                                  m.distance == "logit" ? "logit of the propensity score" : "propensity score");
                    if (m.caliper.has_value()) {
                        how += fmt::format(" within a caliper of {:g} standard deviations", m.caliper.value());
                        used.matching_caliper = true;
                    }
                    if (m.replace) {
                        how += ", with replacement";
                        used.matching_replace = true;
                    } else {
                        how += ", without replacement";
                        used.matching_without = true;
                    }
                    used.matchings.insert(how);
                } else if constexpr (std::is_same_v<T, results::TargetTrialResult>) {
                    if (!r.estimable) return;
                    used.target_trial = true;
                    endpoint(r.endpoint);
                    if (r.bootstrap) used.target_trial_bootstrap = true;
                } else if constexpr (std::is_same_v<T, results::CumincResult>) {
                    used.cuminc = true;
                    endpoint(r.endpoint);
                    if (r.gray_test) used.gray = true;
                    if (r.fine_gray) used.fine_gray = true;
                    if (r.cause_specific) used.cause_specific = true;
                }
            },
            analysis);
    }
    return used;
}

}  // namespace

MethodsText statistical_analysis(const results::ResultsFile& file) {
    MethodsText text;
    Citations cite;
    std::vector<results::AnalysisResult> analyses;
    for (const auto& analysis : file.analyses) analyses.push_back(analysis.result);
    const Used used = gather(analyses);
    const results::ProtocolRecord& protocol = file.protocol;

    // The cohort and its dates.
    {
        std::string p;
        const std::string n = whole(file.cohort.n);
        const std::string registry = whole(file.registry.patients);
        const std::string& index = protocol.index_label;
        const std::vector<std::string>& accrual = protocol.accrual;
        p += "The cohort comprised ";
        p += n.empty() ? "the patients" : n + (registry.empty() ? " patients" : " of the registry's " + registry + " patients");
        p += " who started " + (index.empty() ? std::string("the index treatment") : index);
        if (accrual.size() == 2) p += fmt::format(" between {} and {}", accrual[0], accrual[1]);
        p += " and met the protocol's eligibility criteria; the selection is shown step by step under Cohort selection. ";
        if (protocol.data_cutoff.has_value()) {
            p += "Data were analysed as of the data cut-off on " + *protocol.data_cutoff +
                 ": events after it were not counted, and follow-up ended at it.";
        } else {
            const std::string& imported = file.registry.imported_at;
            p += "No data cut-off date was set: follow-up ran to the last contact recorded in the registry" +
                 (imported.size() >= 10 ? " (imported on " + imported.substr(0, 10) + ")" : std::string()) + ".";
        }
        text.paragraphs.push_back(p);
    }

    // How each endpoint is measured.
    {
        std::string p;
        for (const auto& code : used.endpoints) {
            const auto found = protocol.endpoints.find(code);
            if (found == protocol.endpoints.end()) continue;
            const results::EndpointRecord& e = found->second;
            std::vector<std::string> events, censor;
            for (const auto& event : e.events) events.push_back(event_words(event));
            for (const auto& c : e.censor) censor.push_back(censor_words(c));
            p += fmt::format("{} ({}) was measured from {} to {}{}{}. ", e.label.empty() ? code : e.label, code, origin_words(e.origin),
                             join(events, " or "), events.size() > 1 ? ", whichever came first" : "",
                             censor.empty() ? "" : "; patients without such an event were censored at " + join(censor, " or "));
        }
        if (!p.empty()) {
            p.pop_back();
            text.paragraphs.push_back(p);
        }
    }

    // Descriptive statistics and group comparisons.
    if (used.table1) {
        std::string p = "Patient characteristics are summarized as number (percentage) for categories, with missing values counted apart, "
                        "and as median (range), median (interquartile range) or mean (standard deviation) for numbers, as each table states.";
        if (used.table1_by) {
            std::vector<std::string> tests;
            if (used.table1_tests.count("chi-square") || used.table1_tests.count("fisher")) {
                tests.push_back("categories with Pearson's \u03c7\u00b2 test without continuity correction, or Fisher's exact test when an "
                                "expected count was below 5 (Cochran's rule" + cite.cite({"cochran"}) + ")");
            }
            if (used.table1_tests.count("wilcoxon")) tests.push_back("numbers of two groups with the Wilcoxon rank-sum test" + cite.cite({"mann"}));
            if (used.table1_tests.count("kruskal-wallis")) tests.push_back("numbers of more groups with the Kruskal–Wallis test" + cite.cite({"kruskal"}));
            if (!tests.empty()) p += " Groups were compared: " + join(tests, "; ") + ".";
            if (used.smd) p += " Balance between two groups is described by absolute standardized differences" + cite.cite({"yang"}) + ".";
        }
        text.paragraphs.push_back(p);
    }

    // Survival.
    if (used.km || used.followup || used.cox) {
        std::string p;
        if (used.km) {
            std::vector<std::string> scales;
            for (const auto& c : used.conf_types) scales.push_back(scale_words(c));
            // (one citation per statement: the order of evaluation within an expression is unspecified)
            const std::string km = cite.cite({"km"});
            const std::string greenwood = cite.cite({"greenwood"});
            p += "Survival was estimated with the Kaplan–Meier method" + km +
                 "; survival at fixed times is given with Greenwood's variance" + greenwood +
                 (scales.empty() ? std::string() : " and pointwise 95% confidence intervals (CIs) on the " + join(scales, " or ") + " scale") + ". ";
            if (used.median_methods.count("spss")) {
                p += "Median times are given with the 95% CI that SPSS reports: the median \u00b1 1.96 standard errors, the standard error "
                     "being Greenwood's standard error of the survival estimate at the median divided by the estimated density there" +
                     cite.cite({"collett"}) + ". ";
            }
            if (used.median_methods.count("r")) {
                p += "Median times are given with 95% CIs by the method of Brookmeyer and Crowley" + cite.cite({"brookmeyer"}) +
                     ", from the pointwise band, as R's survival package computes them. ";
            }
            p += "A median or limit that the curve does not reach is shown as NR. ";
        }
        if (used.followup) p += "Median follow-up was estimated by the reverse Kaplan–Meier method" + cite.cite({"schemper"}) + ". ";
        if (used.log_rank) p += "Survival was compared between groups with the log-rank test" + cite.cite({"mantel"}) + ". ";
        if (!used.weighted_tests.empty()) {
            std::vector<std::string> names(used.weighted_tests.begin(), used.weighted_tests.end());
            p += "Where stated, the weighted tests of the Harrington–Fleming family were used (" + join(names) + ")" + cite.cite({"harrington"}) + ". ";
        }
        if (used.cox) {
            const std::string cox = cite.cite({"cox"});
            std::vector<std::string> methods;
            if (used.ties.count("breslow")) methods.push_back("Breslow's" + cite.cite({"breslow"}));
            if (used.ties.count("efron")) methods.push_back("Efron's" + cite.cite({"efron"}));
            p += "Hazard ratios (HRs) with Wald 95% CIs were estimated with Cox proportional hazards models" + cox +
                 (methods.empty() ? std::string() : ", tied event times handled by " + join(methods, " or ") + " method") +
                 (used.cox_strata ? ", stratified where stated (a baseline hazard per stratum)" : "") +
                 "; a categorical covariate enters as indicators of its levels against the first (reference) level. ";
            if (used.cox_univariable) {
                p += "Each covariate was modelled alone (univariable, on the patients with that covariate recorded) and all together "
                     "(multivariable, on the patients with every covariate recorded). ";
            }
        }
        if (!used.landmark_days.empty()) {
            std::vector<std::string> days;
            for (long d : used.landmark_days) days.push_back("day " + std::to_string(d));
            p += "Groups defined by treatment received after the index date were compared by a landmark analysis at " + join(days) +
                 " after the index date" + cite.cite({"anderson"}) +
                 " (patients with an event or censored before the landmark excluded), and by a Cox model with the treatment as a "
                 "time-dependent covariate, to avoid immortal-time bias. ";
        }
        if (!p.empty()) {
            p.pop_back();
            text.paragraphs.push_back(p);
        }
    }
    if (used.iptw) {
        std::string estimands;
        for (const auto& e : used.iptw_estimands) estimands += (estimands.empty() ? "" : " or ") + std::string(e == "att" ? "the treated (ATT)" : "the whole population (ATE)");
        // one citation per statement: the operands of + are evaluated in no fixed order, and the
        // numbers must follow the text
        const std::string robins = cite.cite({"robins"});
        const std::string austin = cite.cite({"austin"});
        std::string p = "Confounding was adjusted for by inverse probability of treatment weighting" + robins +
                        ": the propensity score came from a logistic regression of the treatment on the baseline covariates, and "
                        "weights targeted the average treatment effect in " + estimands + ". Balance was described by standardized mean "
                        "differences before and after weighting" + austin + ". Weighted Kaplan–Meier curves and a weighted "
                        "Cox model of the treatment alone, with a robust (sandwich) variance, were compared with the unadjusted ones.";
        if (used.iptw_bootstrap) {
            p += " Differences in survival at fixed times and in restricted mean survival time were given with percentile bootstrap "
                 "95% CIs" + cite.cite({"bootstrap"}) + ", the propensity model and weights refitted in each resample.";
        }
        text.paragraphs.push_back(p);
    }
    if (!used.matchings.empty()) {
        const std::string rosenbaum = cite.cite({"rosenbaum"});
        std::string how = used.matchings.size() == 1 ? *used.matchings.begin() : "nearest-neighbour matching on the propensity score";
        std::string p = "Patients were matched on the propensity score" + rosenbaum + " from a logistic regression of the treatment on the "
                        "baseline covariates, by greedy " + how;
        if (used.matchings.size() > 1) p += " (ratio, caliper and replacement as stated with each analysis)";
        if (used.matching_caliper) p += cite.cite({"austin_caliper"});
        p += "; the effect estimated is that in the matched treated patients (ATT). Balance was described by standardized mean differences "
             "before and after matching" + cite.cite({"austin"}) + ". Kaplan–Meier curves and a Cox model of the treatment alone in the "
             "matched sample, weighted by the matching weights, with a robust variance ";
        p += !used.matching_replace   ? "clustered by matched set"
             : !used.matching_without ? "by patient (controls could serve several treated patients)"
                                      : "clustered by matched set (by patient when controls could be reused)";
        p += ", were compared with the unadjusted ones.";
        text.paragraphs.push_back(p);
    }
    if (used.target_trial) {
        const std::string hernan = cite.cite({"hernan"});
        const std::string maringe = cite.cite({"maringe"});
        std::string p = "Sustained treatment strategies defined by the number of administrations received by the end of a grace period "
                        "were compared by emulating a target trial" + hernan + ": each patient was cloned into both "
                        "strategies at the index date, a clone was censored when it deviated from its strategy, and clones were weighted "
                        "by the inverse probability of remaining uncensored, from a pooled logistic regression over intervals of the grace "
                        "period" + maringe + ". Weighted Kaplan–Meier curves and a weighted Cox model with a robust variance "
                        "clustered by patient compared the strategies; patients grouped by the administrations they received are shown "
                        "beside them for comparison (subject to immortal-time bias).";
        if (used.target_trial_bootstrap) {
            p += " Percentile bootstrap 95% CIs" + cite.cite({"bootstrap"}) + " resampled patients with both their clones, the censoring "
                 "model refitted in each resample.";
        }
        text.paragraphs.push_back(p);
    }

    if (used.cuminc) {
        std::string p = "With competing events, the cumulative incidence of each cause was estimated by the Aalen–Johansen estimator";
        p += cite.cite({"aalen"});
        if (used.gray) p += " and compared between groups with Gray's test" + cite.cite({"gray"});
        if (used.fine_gray) p += "; subdistribution hazard ratios come from the Fine–Gray model" + cite.cite({"fine"});
        if (used.cause_specific) p += ", and cause-specific hazard ratios from Cox models of each cause with the other causes censored";
        text.paragraphs.push_back(p + ".");
    }

    // Response, adverse events, associations.
    {
        std::string p;
        if (used.response) {
            p += "Best overall response is given among patients with measurable disease at baseline; the objective response rate "
                 "(complete or partial response), the disease control rate (adding stable disease) and the complete response rate "
                 "are given with Clopper–Pearson exact 95% CIs" + cite.cite({"clopper"}) + ". ";
        }
        if (!used.grading.empty()) {
            std::vector<std::string> unique;
            for (const auto& g : used.grading) {
                if (std::find(unique.begin(), unique.end(), g) == unique.end()) unique.push_back(g);
            }
            p += "Adverse events are tabulated as the " + join(unique, "; and the ") + ". ";
        }
        if (used.response_by || used.association) {
            p += "Proportions were compared between groups with Pearson's \u03c7\u00b2 test without continuity correction, or Fisher's "
                 "exact test when an expected count was below 5" + cite.cite({"cochran"}) + ". ";
        }
        if (!p.empty()) {
            p.pop_back();
            text.paragraphs.push_back(p);
        }
    }

    // Disclosure control, tests, software.
    {
        std::string p;
        if (protocol.small_cell > 1) {
            p += fmt::format("To protect patients' privacy, counts from 1 to {} are suppressed, together with further counts from which "
                             "they could be derived and every statistic computed from them. ",
                             protocol.small_cell - 1);
        }
        p += "All tests are two-sided. ";
        const std::string& version = file.rwe_version;
        const std::string& protocol_file = protocol.file;
        const std::string& checksum = file.registry.checksum;
        p += "The analysis was run with rwe" + (version.empty() ? std::string() : " " + version) +
             (protocol_file.empty() ? std::string() : " from the protocol " + protocol_file) +
             (checksum.size() >= 12 ? " on the registry with checksum " + checksum.substr(0, 12) + "…" : std::string()) +
             "; results.json holds every number in this report.";
        text.paragraphs.push_back(p);
    }
    text.references = cite.list();
    return text;
}

}  // namespace rwe::report
