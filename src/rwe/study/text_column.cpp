#include "rwe/study/text_column.hpp"

namespace rwe::study {

std::uint32_t TextColumn::code_for(std::string_view value) {
    if (value.empty()) return 0;
    // Rows often repeat the value of the row before.
    if (!codes_.empty() && dictionary_[codes_.back()] == value) return codes_.back();
    // A column of a few levels (most of them): a scan is cheaper than hashing the value.
    if (dictionary_.size() <= 8) {
        for (std::size_t code = 1; code < dictionary_.size(); ++code) {
            if (dictionary_[code] == value) return static_cast<std::uint32_t>(code);
        }
    } else if (auto it = lookup_.find(value); it != lookup_.end()) {
        return it->second;
    }
    const auto code = static_cast<std::uint32_t>(dictionary_.size());
    dictionary_.emplace_back(value);
    lookup_.emplace(std::string(value), code);
    return code;
}

void TextColumn::rename(std::uint32_t code, std::string_view value) {
    if (code == 0 || dictionary_[code] == value) return;
    auto existing = lookup_.find(value);
    if (existing == lookup_.end()) {
        lookup_.erase(dictionary_[code]);
        dictionary_[code] = std::string(value);
        lookup_.emplace(dictionary_[code], code);
        return;
    }
    // Merge: the rows take the existing code; the old entry stays unused.
    const std::uint32_t target = existing->second;
    for (auto& row_code : codes_) {
        if (row_code == code) row_code = target;
    }
}

std::vector<std::int32_t> TextColumn::level_index(const std::vector<std::string>& levels) const {
    std::vector<std::int32_t> out(dictionary_.size(), -1);
    for (std::size_t code = 1; code < dictionary_.size(); ++code) {
        for (std::size_t level = 0; level < levels.size(); ++level) {
            if (levels[level] == dictionary_[code]) {
                out[code] = static_cast<std::int32_t>(level);
                break;
            }
        }
    }
    return out;
}

}  // namespace rwe::study
