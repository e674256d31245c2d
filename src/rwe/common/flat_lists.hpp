#pragma once
// A list of values per row, all rows' values in one array: a vector per row costs more than
// its few values when there are millions of rows (24 bytes and an allocation each).

#include <cstddef>
#include <span>
#include <vector>

namespace rwe {

template <class T>
class FlatLists {
public:
    std::size_t size() const noexcept { return begins_.size() - 1; }
    std::span<const T> operator[](std::size_t row) const noexcept {
        return {values_.data() + begins_[row], values_.data() + begins_[row + 1]};
    }
    void push_back(std::span<const T> values) {
        values_.insert(values_.end(), values.begin(), values.end());
        begins_.push_back(values_.size());
    }

private:
    std::vector<T> values_;
    std::vector<std::size_t> begins_{0};  // row r's values are [begins_[r], begins_[r + 1])
};

}  // namespace rwe
