#include "rwe/results/codec.hpp"

namespace rwe::results::codec {

std::string text_of(const json& value) {
    std::string text = value.dump();
    if (text.size() > 60) text = text.substr(0, 57) + "...";
    return text;
}

}  // namespace rwe::results::codec
