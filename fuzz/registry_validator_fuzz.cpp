// libFuzzer target: any registry folder, whatever its bytes, is validated without a
// crash, hang or sanitizer report. The input is split on the line "@@" into the files of
// the registry in load order (patients.csv, tumors.csv, regimens.csv, metastases.csv,
// administrations.csv, assessments.csv, adverse_events.csv, biomarkers.csv,
// observations.csv); missing parts are absent files.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_files.hpp"
#include "rwe/common/error.hpp"
#include "rwe/registry/registry_schema.hpp"
#include "rwe/registry/validator.hpp"

namespace {

class CountingSink : public rwe::registry::RowSink {
public:
    void begin_file(const rwe::registry::FileSpec&) override {}
    void row(const rwe::registry::FileSpec& file, std::size_t, std::span<const rwe::registry::Cell> cells) override {
        if (cells.size() != file.columns.size()) __builtin_trap();
        for (const auto& cell : cells) bytes_ += cell.text.size();
    }
    void end_file(const rwe::registry::FileSpec&) override {}
    std::size_t bytes_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace fs = std::filesystem;
    const fs::path& folder = rwe::fuzz::scratch_folder();
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    constexpr std::string_view separator = "\n@@\n";
    std::size_t begin = 0;
    for (const auto& file : rwe::registry::registry_files()) {
        const fs::path path = folder / file.name;
        if (begin > input.size()) {
            std::error_code ec;
            fs::remove(path, ec);
            continue;
        }
        std::size_t end = input.find(separator, begin);
        if (end == std::string_view::npos) end = input.size();
        rwe::fuzz::write_bytes(path, data + begin, end - begin);
        begin = end + separator.size();
    }
    CountingSink sink;
    rwe::registry::ValidationOptions options;
    std::size_t diagnostics = 0;
    options.on_diagnostic = [&](const rwe::registry::Diagnostic& diagnostic) {
        // A problem repeated in a file is shown 50 times, then as one "N more like this not
        // shown: problem" line: that line stands for N diagnostics.
        const auto more = diagnostic.problem.find(" more like this not shown: ");
        if (diagnostic.line == 0 && more != std::string::npos) {
            diagnostics += std::stoul(diagnostic.problem.substr(0, more));
            return;
        }
        diagnostics += diagnostic.text().size() > 0 ? 1 : 0;
    };
    options.rows = &sink;
    options.read_chunk_bytes = 1 + size % 97;  // records across buffer ends, cheap to allocate
    try {
        const auto summary = rwe::registry::validate_registry(folder, options);
        // Every error was reported through the callback.
        if (summary.errors + summary.warnings != diagnostics) __builtin_trap();
    } catch (const rwe::Error&) {
    }
    return 0;
}
