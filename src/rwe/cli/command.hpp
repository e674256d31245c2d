#pragma once
// Subcommands register themselves with RWE_COMMAND in their own cmd_<name>.cpp, so that
// adding a command touches no shared file. Each command parses its own arguments
// (argv[0] is the command name) and returns the process exit status.

#include <functional>
#include <map>
#include <string>

namespace rwe::cli {

struct Command {
    std::string summary;
    std::function<int(int, char**)> run;
};

std::map<std::string, Command>& commands();

struct CommandRegistrar {
    CommandRegistrar(const std::string& name, std::string summary, std::function<int(int, char**)> run) {
        commands().emplace(name, Command{std::move(summary), std::move(run)});
    }
};

}  // namespace rwe::cli

#define RWE_COMMAND(name, summary, function) \
    static const ::rwe::cli::CommandRegistrar rwe_command_registrar_##name{#name, summary, function}
