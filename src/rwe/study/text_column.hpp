#pragma once
// A text column of an analysis dataset, stored as a code per row into the column's
// distinct values. A national cohort has millions of rows and a categorical variable a
// handful of values: four bytes a row instead of a string a row.
// The empty string is the missing value and always code 0.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace rwe::study {

class TextColumn {
public:
    TextColumn() = default;
    explicit TextColumn(std::size_t rows, std::string_view value = {}) { assign(rows, value); }
    explicit TextColumn(const std::vector<std::string>& values) {
        for (const auto& value : values) push_back(value);
    }

    std::size_t size() const { return codes_.size(); }
    bool empty() const { return codes_.empty(); }
    const std::string& operator[](std::size_t row) const { return dictionary_[codes_[row]]; }

    void push_back(std::string_view value) { codes_.push_back(code_for(value)); }
    // The code of `value`, added to the dictionary when new (no row is added).
    std::uint32_t intern(std::string_view value) { return code_for(value); }
    // A row of the value `code` stands for (a code from intern() or code()).
    void push_code(std::uint32_t code) { codes_.push_back(code); }
    void set(std::size_t row, std::string_view value) { codes_[row] = code_for(value); }
    void assign(std::size_t rows, std::string_view value) { codes_.assign(rows, code_for(value)); }
    void reserve(std::size_t rows) { codes_.reserve(rows); }

    // The code of a row and the distinct values the codes index (code 0: the empty string).
    std::uint32_t code(std::size_t row) const { return codes_[row]; }
    const std::vector<std::string>& dictionary() const { return dictionary_; }

    // Rewrites the distinct value `code` stands for (every row with it changes); when the
    // new value is already in the dictionary the rows are merged into its code.
    void rename(std::uint32_t code, std::string_view value);

    // For each code, the position of its value in `levels`, or -1 (missing, or not a level).
    std::vector<std::int32_t> level_index(const std::vector<std::string>& levels) const;

    class const_iterator {
    public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = std::string;
        using difference_type = std::ptrdiff_t;
        using pointer = const std::string*;
        using reference = const std::string&;
        const_iterator() = default;
        const_iterator(const TextColumn* column, std::size_t row) : column_(column), row_(row) {}
        reference operator*() const { return (*column_)[row_]; }
        pointer operator->() const { return &(*column_)[row_]; }
        const_iterator& operator++() { ++row_; return *this; }
        const_iterator operator++(int) { auto old = *this; ++row_; return old; }
        bool operator==(const const_iterator& other) const { return row_ == other.row_; }
        bool operator!=(const const_iterator& other) const { return row_ != other.row_; }

    private:
        const TextColumn* column_ = nullptr;
        std::size_t row_ = 0;
    };
    const_iterator begin() const { return {this, 0}; }
    const_iterator end() const { return {this, codes_.size()}; }

private:
    std::uint32_t code_for(std::string_view value);

    std::vector<std::uint32_t> codes_;
    std::vector<std::string> dictionary_{std::string()};
    // Looked up by string_view without making a string (a lookup a row).
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
    };
    std::unordered_map<std::string, std::uint32_t, Hash, std::equal_to<>> lookup_{{std::string(), 0}};
};

}  // namespace rwe::study
