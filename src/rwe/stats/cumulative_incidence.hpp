#pragma once
// Aalen–Johansen estimate of the cumulative incidence of each cause in the presence of
// the others (docs/methods.md §7.1), with the infinitesimal-jackknife standard error and
// log-transformed pointwise limits: R survival's survfit(Surv(time, factor(status)) ~ group)
// on a competing-risks outcome (its defaults). One row per distinct time of the group,
// censor-only times included, as survfit's table.

#include <cstddef>
#include <string>
#include <vector>

#include "rwe/stats/competing_risks_data.hpp"

namespace rwe::stats {

struct CumulativeIncidenceOptions {
    double conf_level = 0.95;  // limits exp(log F -/+ z se / F), upper capped at 1 (survfit's "log")
};

// The curves of one group: the event-free probability (survfit's "(s0)" state) and, per
// cause, the cumulative incidence. Vectors of vectors are indexed [cause][row], cause 0-based.
struct CumulativeIncidenceCurve {
    std::string name;   // group label; empty for a single curve
    std::size_t n = 0;  // subjects
    std::vector<double> time;
    std::vector<double> n_risk;
    std::vector<double> n_censor;
    std::vector<std::vector<double>> n_event;
    std::vector<double> event_free;          // P(no event yet) = all-cause Kaplan–Meier
    std::vector<double> event_free_std_err;  // its infinitesimal-jackknife SE
    std::vector<std::vector<double>> incidence;  // F_c(t)
    std::vector<std::vector<double>> std_err;    // SE of F_c(t) (not of log F)
    std::vector<std::vector<double>> lower;      // NaN where R gives NA (F = 0)
    std::vector<std::vector<double>> upper;
    std::vector<double> events;  // events per cause

    std::size_t rows() const noexcept { return time.size(); }
};

struct CumulativeIncidence {
    std::vector<CumulativeIncidenceCurve> curves;  // one per group with rows, ascending codes
    std::vector<std::string> cause_names;
    double conf_level = 0.95;
    double z = 0;  // Phi^-1(1 - (1 - conf_level)/2)
};

CumulativeIncidence cumulative_incidence(const CompetingRisksData& data,
                                         const CumulativeIncidenceOptions& options = {});

// The estimate at time t of one cause (a step function, right-continuous): the last row at
// or before t; before the first row F = 0 with SE 0 and limits 0. As summary(survfit, times,
// extend = TRUE); n_risk is the number at risk at t.
struct IncidenceAt {
    double time = 0;
    double n_risk = 0;
    double incidence = 0;
    double std_err = 0;
    double lower = 0;
    double upper = 0;
};
IncidenceAt incidence_at(const CumulativeIncidenceCurve& curve, std::size_t cause, double t);

}  // namespace rwe::stats
