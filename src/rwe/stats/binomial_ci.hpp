#pragma once
// Confidence interval for a proportion x / n (docs/methods.md §3.6), e.g. objective
// response or complete response rates.
//   Clopper–Pearson (1934), exact, the default (R's binom.test, SAS's EXACT BINOMIAL):
//     lower = B⁻¹(α/2; x, n − x + 1)  (0 when x = 0),
//     upper = B⁻¹(1 − α/2; x + 1, n − x)  (1 when x = n),  B⁻¹ the beta quantile.
//   Wilson (1927) score interval (R's prop.test(x, n, correct = FALSE)):
//     (p̂ + z²/2n ± z √(p̂(1 − p̂)/n + z²/4n²)) / (1 + z²/n).

#include <string>
#include <vector>

namespace rwe::stats {

enum class BinomialCiMethod { clopper_pearson, wilson };

struct BinomialCiOptions {
    BinomialCiMethod method = BinomialCiMethod::clopper_pearson;
    double conf_level = 0.95;
};

struct BinomialCi {
    double x = 0;
    double n = 0;
    double estimate = 0;  // x / n
    double lower = 0;
    double upper = 0;
    double conf_level = 0.95;
    BinomialCiMethod method = BinomialCiMethod::clopper_pearson;
    std::vector<std::string> messages;  // n = 0: everything NaN
};

// Throws UsageError unless 0 ≤ x ≤ n are integers and 0 < conf_level < 1.
BinomialCi binomial_ci(double x, double n, const BinomialCiOptions& options = {});

}  // namespace rwe::stats
