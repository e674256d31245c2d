#include "rwe/common/error.hpp"

namespace rwe {

std::string where_what(const std::string& file, std::size_t line, const std::string& column,
                       const std::string& problem, const std::string& value) {
    std::string out = file;
    if (line > 0) out += ":" + std::to_string(line);
    out += ": ";
    if (!column.empty()) out += column + ": ";
    out += problem;
    if (!value.empty()) out += " (" + value + ")";
    return out;
}

InputError::InputError(const std::string& file, std::size_t line, const std::string& column,
                       const std::string& problem, const std::string& value)
    : Error(ErrorKind::input, where_what(file, line, column, problem, value)) {}

int exit_status(ErrorKind kind) noexcept {
    switch (kind) {
        case ErrorKind::input: return 1;
        case ErrorKind::usage:
        case ErrorKind::io: return 2;
        case ErrorKind::internal: return 3;
    }
    return 3;
}

}  // namespace rwe
