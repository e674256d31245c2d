#include "rwe/registry/store_location.hpp"

#include <algorithm>

namespace rwe::registry {

bool is_postgresql_location(std::string_view location) {
    return location.starts_with("postgresql://") || location.starts_with("postgres://");
}

std::string shown_location(std::string_view location) {
    if (!is_postgresql_location(location)) return std::string(location);
    const std::size_t scheme_end = location.find("://") + 3;
    std::string out(location.substr(0, scheme_end));
    std::string_view rest = location.substr(scheme_end);
    // user info ends at the last `@` before the path or parameters
    const std::size_t authority_end = std::min(rest.find_first_of("/?"), rest.size());
    const std::size_t at = rest.substr(0, authority_end).rfind('@');
    if (at != std::string_view::npos) {
        const std::string_view user_info = rest.substr(0, at);
        out += user_info.substr(0, user_info.find(':'));
        out += '@';
        rest = rest.substr(at + 1);
    }
    const std::size_t question = rest.find('?');
    out += rest.substr(0, question);
    if (question == std::string_view::npos) return out;
    // Parameters, without any password.
    std::string_view parameters = rest.substr(question + 1);
    std::string kept;
    while (!parameters.empty()) {
        const std::size_t amp = parameters.find('&');
        const std::string_view parameter = parameters.substr(0, amp);
        if (!parameter.starts_with("password=") && parameter != "password") {
            kept += (kept.empty() ? "" : "&") + std::string(parameter);
        }
        parameters = amp == std::string_view::npos ? std::string_view{} : parameters.substr(amp + 1);
    }
    if (!kept.empty()) out += "?" + kept;
    return out;
}

}  // namespace rwe::registry
