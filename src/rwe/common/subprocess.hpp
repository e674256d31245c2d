#pragma once
// Running another program (e.g. pandoc for the Word report) without a shell: the arguments
// are passed as they are, so no file name or label is ever interpreted by a shell.

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace rwe {

struct ProgramResult {
    int exit_status = 0;          // the program's exit status; 128 + N when killed by signal N
    std::string standard_error;   // what it wrote to stderr (at most 64 KiB kept)
};

// Runs argv[0] (looked up on PATH) with argv, standard input from /dev/null, standard
// output discarded, standard error captured, `environment` added to rwe's own
// ("NAME", "value"), and waits for it. Throws IoError when the program cannot be started
// ("pandoc: not found on PATH ..."). A program that runs and fails is a result, not an
// exception: the caller words the error.
// With `standard_output` not empty, the program's standard output goes to that file
// (created or truncated) instead.
ProgramResult run_program(const std::vector<std::string>& argv,
                          const std::vector<std::pair<std::string, std::string>>& environment = {},
                          const std::filesystem::path& standard_output = {});

// Whether `name` is an executable file in a folder of PATH.
bool program_on_path(const std::string& name);

}  // namespace rwe
