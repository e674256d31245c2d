// libFuzzer target: any bytes given to CsvReader end in records or an rwe::InputError,
// never a crash, hang or sanitizer report. The first byte picks the chunk size so that
// records and quoted fields straddle buffer boundaries.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "fuzz_files.hpp"
#include "rwe/common/csv_reader.hpp"
#include "rwe/common/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::size_t chunk = 1 + data[0] % 64;
    const auto path = rwe::fuzz::scratch_folder() / "input.csv";
    rwe::fuzz::write_bytes(path, data + 1, size - 1);
    try {
        rwe::CsvReader reader(path.string(), chunk);
        std::vector<std::string_view> fields;
        std::size_t previous_line = 0;
        while (reader.next(fields)) {
            // Records start on increasing lines and hold at least one field.
            if (reader.line() <= previous_line || fields.empty()) __builtin_trap();
            previous_line = reader.line();
            std::size_t bytes = 0;
            for (auto field : fields) bytes += field.size();
            (void)bytes;
        }
    } catch (const rwe::Error&) {
    }
    return 0;
}
