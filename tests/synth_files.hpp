#pragma once
// Helpers of the synthetic-registry tests: run the rwe binary, read the written CSV files
// through rwe::CsvReader, Kaplan-Meier with Greenwood's standard error, and the checks
// against published figures with their statistical tolerance (4 standard errors).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include "rwe/common/csv_reader.hpp"

namespace synth_files {

namespace fs = std::filesystem;

inline std::string run(const std::string& arguments) {
    const std::string command = std::string(RWE_BINARY) + " " + arguments + " > /dev/null 2>&1";
    return command;
}

inline int status_of(const std::string& command) {
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

inline fs::path temp_dir(const std::string& name) {
    return fs::temp_directory_path() / ("rwe_synth_test_" + std::to_string(::getpid()) + "_" + name);
}

// One CSV file read through rwe::CsvReader; columns by name.
struct Table {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
    std::vector<std::size_t> lines;
    std::size_t col(const std::string& name) const {
        auto it = std::find(header.begin(), header.end(), name);
        if (it == header.end()) throw std::runtime_error("no column " + name);
        return static_cast<std::size_t>(it - header.begin());
    }
};

inline Table read_table(const fs::path& path) {
    rwe::CsvReader reader(path.string());
    std::vector<std::string_view> fields;
    Table table;
    if (!reader.next(fields)) return table;
    table.header.assign(fields.begin(), fields.end());
    while (reader.next(fields)) {
        table.rows.emplace_back(fields.begin(), fields.end());
        table.lines.push_back(reader.line());
    }
    return table;
}

inline int day_of(const std::string& iso) {
    using namespace std::chrono;
    int y = 0;
    unsigned m = 0, d = 0;
    char dash1 = 0, dash2 = 0;
    std::istringstream in(iso);
    in >> y >> dash1 >> m >> dash2 >> d;
    const year_month_day date{year{y}, month{m}, day{d}};
    if (!in || dash1 != '-' || dash2 != '-' || iso.size() != 10 || !date.ok()) {
        throw std::runtime_error("bad date " + iso);
    }
    return static_cast<int>(sys_days(date).time_since_epoch().count());
}

// Kaplan-Meier S(t) and Greenwood standard error at time t (months).
struct KmAt {
    double surv = 1;
    double se = 0;
};
inline KmAt km_at(std::vector<std::pair<double, int>> data, double t) {
    std::sort(data.begin(), data.end());
    KmAt out;
    double greenwood = 0;
    std::size_t at_risk = data.size();
    for (std::size_t i = 0; i < data.size();) {
        const double time = data[i].first;
        if (time > t) break;
        std::size_t events = 0, all = 0;
        while (i < data.size() && data[i].first == time) {
            events += static_cast<std::size_t>(data[i].second);
            ++all;
            ++i;
        }
        if (events > 0) {
            out.surv *= 1 - static_cast<double>(events) / static_cast<double>(at_risk);
            greenwood += static_cast<double>(events) /
                         (static_cast<double>(at_risk) * static_cast<double>(at_risk - events));
        }
        at_risk -= all;
    }
    out.se = out.surv * std::sqrt(greenwood);
    return out;
}

inline void expect_share(const std::string& what, double count, double n, double target,
                  double allowance = 0) {
    const double share = count / n;
    const double se = std::sqrt(target * (1 - target) / n);
    EXPECT_LE(std::abs(share - target), 4 * se + allowance)
        << what << ": " << count << "/" << n << " = " << share << ", target " << target
        << " (4 SE = " << 4 * se << ", allowance " << allowance << ")";
}

// KM S(published median) within 4 Greenwood SE (+ allowance) of 0.5.
inline void expect_km_median(const std::string& what, const std::vector<std::pair<double, int>>& data,
                      double median, double allowance = 0) {
    const KmAt at = km_at(data, median);
    EXPECT_LE(std::abs(at.surv - 0.5), 4 * at.se + allowance)
        << what << ": S(" << median << ") = " << at.surv << " (4 SE = " << 4 * at.se
        << ", allowance " << allowance << ", n = " << data.size() << ")";
}


inline std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace synth_files
