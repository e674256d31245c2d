#pragma once
// The few error types of rwe (see docs/errors in README): one base, a handful of kinds.
// Exceptions are for errors that stop the work (bad input, unreadable file, bad usage);
// degenerate statistics are results with diagnostics, never exceptions.

#include <stdexcept>
#include <string>

namespace rwe {

enum class ErrorKind {
    usage,     // bad command-line arguments or options (exit status 2)
    io,        // a file that cannot be opened, read or written (exit status 2)
    input,     // data that breaks a rule: names file, line, column and value (exit status 1)
    internal,  // a broken invariant; a bug in rwe
};

class Error : public std::runtime_error {
public:
    Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
    ErrorKind kind() const noexcept { return kind_; }

private:
    ErrorKind kind_;
};

class UsageError : public Error {
public:
    explicit UsageError(const std::string& message) : Error(ErrorKind::usage, message) {}
};

class IoError : public Error {
public:
    explicit IoError(const std::string& message) : Error(ErrorKind::io, message) {}
};

// Bad data. The message has the form `file:line: column: problem (value)`.
class InputError : public Error {
public:
    explicit InputError(const std::string& message) : Error(ErrorKind::input, message) {}
    InputError(const std::string& file, std::size_t line, const std::string& column,
               const std::string& problem, const std::string& value);
};

// Formats `file:line: column: problem (value)`; column and value may be empty.
std::string where_what(const std::string& file, std::size_t line, const std::string& column,
                       const std::string& problem, const std::string& value);

// Exit status for an error kind: input 1, usage and io 2, internal 3.
int exit_status(ErrorKind kind) noexcept;

}  // namespace rwe
