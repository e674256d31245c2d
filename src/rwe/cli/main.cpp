// rwe: real-world-evidence outcome studies from the command line.
#include <signal.h>

#include <exception>
#include <iostream>

#include "rwe/cli/command.hpp"
#include "rwe/cli/terminal_stream.hpp"
#include "rwe/common/cleanup.hpp"
#include "rwe/common/error.hpp"
#include "rwe/common/text.hpp"

namespace rwe::cli {

std::map<std::string, Command>& commands() {
    static std::map<std::string, Command> table;
    return table;
}

}  // namespace rwe::cli

namespace {

void print_usage(std::ostream& out) {
    out << "rwe " RWE_VERSION " - real-world-evidence outcome studies\n\n"
        << "usage: rwe <command> [options]   (rwe <command> --help for its options)\n\ncommands:\n";
    for (const auto& [name, command] : rwe::cli::commands()) {
        out << "  " << name << std::string(name.size() < 10 ? 10 - name.size() : 1, ' ')
            << command.summary << "\n";
    }
}

}  // namespace

int run_command(int argc, char** argv);

// Standard output and error pass through the filter that shows control and invisible
// characters as escapes (cli/terminal_stream.hpp); it is flushed and removed before the
// streams are destroyed.
int main(int argc, char** argv) {
    rwe::cli::TerminalStream out_filter(std::cout.rdbuf());
    rwe::cli::TerminalStream error_filter(std::cerr.rdbuf());
    std::streambuf* const out_original = std::cout.rdbuf(&out_filter);
    std::streambuf* const error_original = std::cerr.rdbuf(&error_filter);
    const int status = run_command(argc, argv);
    std::cout.flush();
    std::cerr.flush();
    out_filter.flush_pending(true);
    error_filter.flush_pending(true);
    std::cout.rdbuf(out_original);
    std::cerr.rdbuf(error_original);
    std::cout.flush();
    return status;
}

int run_command(int argc, char** argv) {
    // Before any thread: temporary files are removed on SIGINT, SIGTERM and SIGHUP.
    rwe::start_signal_cleanup();
    // A file size limit (ulimit -f) makes a write fail with EFBIG, reported like a full disk,
    // instead of killing the process with its temporary files in place.
    ::signal(SIGXFSZ, SIG_IGN);
    if (argc < 2) {
        print_usage(std::cerr);
        return 2;
    }
    const std::string name = argv[1];
    if (name == "--help" || name == "-h" || name == "help") {
        print_usage(std::cout);
        return 0;
    }
    if (name == "--version") {
        std::cout << "rwe " RWE_VERSION "\n";
        return 0;
    }
    auto& table = rwe::cli::commands();
    auto it = table.find(name);
    if (it == table.end()) {
        std::cerr << "rwe: unknown command '" << rwe::terminal_text(name) << "'\n\n";
        print_usage(std::cerr);
        return 2;
    }
    try {
        const int status = it->second.run(argc - 1, argv + 1);
        // CLI11 reports bad arguments with its own codes (100 and up); rwe's is 2.
        return status > 3 ? 2 : status;
    } catch (const rwe::Error& error) {
        std::cerr << "rwe " << name << ": " << rwe::terminal_text(error.what()) << "\n";
        return rwe::exit_status(error.kind());
    } catch (const std::exception& error) {
        std::cerr << "rwe " << name << ": internal error: " << rwe::terminal_text(error.what()) << "\n";
        return 3;
    }
}
