#include "rwe/common/table.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <cmath>
#include <iterator>
#include <limits>
#include <new>
#include <numeric>
#include <unordered_map>

#include "rwe/common/csv_reader.hpp"
#include "rwe/common/error.hpp"
#include "rwe/common/text.hpp"

namespace rwe {

const std::vector<double>& Table::numbers(const std::string& name) const {
    for (std::size_t i = 0; i < numeric_names.size(); ++i) {
        if (numeric_names[i] == name) return numeric[i];
    }
    throw Error(ErrorKind::internal, "column not loaded as numeric: " + name);
}

std::vector<double>& Table::numbers(const std::string& name) {
    return const_cast<std::vector<double>&>(static_cast<const Table&>(*this).numbers(name));
}

std::size_t Table::line(std::size_t row) const {
    auto it = std::upper_bound(line_shifts.begin(), line_shifts.end(), row,
                               [](std::size_t r, const LineShift& shift) { return r < shift.first; });
    return it == line_shifts.begin() ? row + 1 : row + std::prev(it)->offset;
}

const CategoricalColumn& Table::category(const std::string& name) const {
    for (const auto& column : categorical) {
        if (column.name == name) return column;
    }
    throw Error(ErrorKind::internal, "column not loaded as categorical: " + name);
}

bool Table::is_categorical(const std::string& name) const {
    for (const auto& column : categorical) {
        if (column.name == name) return true;
    }
    return false;
}

namespace {

// Sorts levels (numerically when all are numbers) and rewrites the codes to match. When
// every level is a number, levels equal as numbers are one level ("1", "1.0" and "01", as R
// reads a numeric column), named as R prints the number (15 significant digits).
void order_levels(CategoricalColumn& column) {
    const std::size_t k = column.levels.size();
    std::vector<double> values(k);
    column.numeric = true;
    for (std::size_t i = 0; i < k; ++i) {
        if (!parse_double(column.levels[i], values[i]) || std::isnan(values[i])) column.numeric = false;
    }
    std::vector<std::size_t> order(k);
    std::iota(order.begin(), order.end(), 0);
    if (column.numeric) {
        std::sort(order.begin(), order.end(),
                  [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
    } else {
        std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            return column.levels[a] < column.levels[b];
        });
    }
    std::vector<std::int32_t> new_code(k);
    std::vector<std::string> levels;
    levels.reserve(k);
    for (std::size_t rank = 0; rank < k; ++rank) {
        const std::size_t level = order[rank];
        if (column.numeric && rank > 0 && values[level] == values[order[rank - 1]]) {
            new_code[level] = static_cast<std::int32_t>(levels.size() - 1);
            continue;
        }
        new_code[level] = static_cast<std::int32_t>(levels.size());
        levels.push_back(column.levels[level]);
    }
    if (column.numeric) {
        for (auto& level : levels) {
            double value = 0;
            parse_double(level, value);
            level = fmt::format("{:.15g}", value == 0 ? 0.0 : value);
        }
    }
    for (auto& code : column.codes) {
        if (code >= 0) code = new_code[static_cast<std::size_t>(code)];
    }
    column.levels = std::move(levels);
}

// Group labels go into JSON and HTML, which need UTF-8.
bool valid_utf8(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto lead = static_cast<unsigned char>(text[i]);
        const std::size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 0;
        if (length == 0 || i + length > text.size()) return false;
        for (std::size_t k = 1; k < length; ++k) {
            if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return false;
        }
        if (length == 2 && lead < 0xC2) return false;  // overlong
        i += length;
    }
    return true;
}

}  // namespace

Table read_table(const std::string& path, const std::vector<ColumnRequest>& columns) {
    CsvReader reader(path);
    std::vector<std::string_view> fields;
    if (!reader.next(fields)) throw InputError(path, 1, "", "empty file: no header row", "");
    std::vector<std::string> header(fields.begin(), fields.end());

    Table table;
    table.path = path;
    struct Slot {
        std::size_t field;
        ColumnRequest::Kind kind;
        std::size_t index;  // into table.numeric or table.categorical
        std::size_t max_levels;
    };
    std::vector<Slot> slots;
    std::vector<std::unordered_map<std::string, std::int32_t>> dictionaries;
    for (const auto& request : columns) {
        auto it = std::find(header.begin(), header.end(), request.name);
        if (it == header.end()) {
            std::string names;
            constexpr std::size_t shown = 30;
            for (std::size_t i = 0; i < header.size() && i < shown; ++i) names += (i == 0 ? "" : ", ") + header[i];
            if (header.size() > shown) names += ", ... and " + std::to_string(header.size() - shown) + " more";
            throw UsageError(path + ": no column '" + request.name + "' (columns: " + names + ")");
        }
        // Two columns of the same name: which one is meant cannot be told.
        if (auto again = std::find(it + 1, header.end(), request.name); again != header.end()) {
            throw InputError(path, 1, request.name,
                             "the header names this column twice (columns " + std::to_string(it - header.begin() + 1) +
                                 " and " + std::to_string(again - header.begin() + 1) + ")",
                             "");
        }
        const auto field = static_cast<std::size_t>(it - header.begin());
        if (request.kind != ColumnRequest::Kind::categorical) {
            // A number_or_text column that turns out to be text keeps the request's limit.
            slots.push_back({field, request.kind, table.numeric.size(), request.max_levels});
            table.numeric_names.push_back(request.name);
            table.numeric.emplace_back();
        } else {
            slots.push_back({field, request.kind, table.categorical.size(), request.max_levels});
            table.categorical.push_back(CategoricalColumn{request.name, {}, {}, false});
            dictionaries.emplace_back();
        }
    }

    constexpr double missing = std::numeric_limits<double>::quiet_NaN();
    std::string key;
    // After the first rows, the columns are sized for the whole input (from its size and
    // the bytes per row so far): no regrowth copies, and each page is touched once.
    constexpr std::size_t sample_rows = 4096;
    const std::size_t data_start = reader.position();
    while (reader.next(fields)) {
        if (table.rows == sample_rows) {
            const std::size_t total = reader.size_hint(), so_far = reader.position() - data_start;
            if (total > reader.position() && so_far > 0) {
                const double per_row = static_cast<double>(so_far) / static_cast<double>(sample_rows);
                const auto expected = static_cast<std::size_t>(
                    std::min(static_cast<double>(total - data_start) / per_row * 1.02 + 64, 4.0e9));
                try {
                    for (auto& column : table.numeric) column.reserve(expected);
                    for (auto& column : table.categorical) column.codes.reserve(expected);
                } catch (const std::bad_alloc&) {
                    // an estimate too large to reserve: the columns grow as they are read
                }
            }
        }
        if (fields.size() != header.size()) {
            throw InputError(path, reader.line(), "",
                             "expected " + std::to_string(header.size()) + " fields, found " +
                                 std::to_string(fields.size()),
                             "");
        }
        for (auto& slot : slots) {
            const std::string_view cell = fields[slot.field];
            if (slot.kind != ColumnRequest::Kind::categorical) {
                double value = missing;
                if (!is_missing_cell(cell) && (!parse_double(cell, value) || std::isnan(value))) {
                    if (slot.kind == ColumnRequest::Kind::numeric) {
                        throw InputError(path, reader.line(), header[slot.field], "not a number",
                                         std::string(cell));
                    }
                    // number_or_text: text from here on; the numbers so far become levels.
                    std::vector<double> numbers = std::move(table.numeric[slot.index]);
                    table.numeric[slot.index] = {};
                    table.numeric_names[slot.index].clear();
                    CategoricalColumn column{header[slot.field], {}, {}, false};
                    std::unordered_map<std::string, std::int32_t> dictionary;
                    column.codes.reserve(numbers.size() + 1);
                    for (const double number : numbers) {
                        if (std::isnan(number)) {
                            column.codes.push_back(-1);
                            continue;
                        }
                        auto [it, inserted] = dictionary.try_emplace(
                            fmt::format("{:.15g}", number), static_cast<std::int32_t>(column.levels.size()));
                        if (inserted) column.levels.push_back(it->first);
                        column.codes.push_back(it->second);
                    }
                    slot.kind = ColumnRequest::Kind::categorical;
                    slot.index = table.categorical.size();
                    table.categorical.push_back(std::move(column));
                    dictionaries.push_back(std::move(dictionary));
                } else {
                    table.numeric[slot.index].push_back(value);
                    continue;
                }
            }
            {
                auto& column = table.categorical[slot.index];
                if (is_missing_cell(cell)) {
                    column.codes.push_back(-1);
                    continue;
                }
                // Few levels (groups, strata): a linear scan is cheaper than hashing the cell.
                // Codes are indices into `levels` in order of first appearance.
                if (column.levels.size() <= 16) {
                    std::int32_t code = -1;
                    for (std::size_t level = 0; level < column.levels.size(); ++level) {
                        if (column.levels[level] == cell) {
                            code = static_cast<std::int32_t>(level);
                            break;
                        }
                    }
                    if (code >= 0) {
                        column.codes.push_back(code);
                        continue;
                    }
                }
                key.assign(cell);
                auto& dictionary = dictionaries[slot.index];
                auto [it, inserted] =
                    dictionary.try_emplace(key, static_cast<std::int32_t>(column.levels.size()));
                if (inserted) {
                    if (!valid_utf8(key)) {
                        dictionary.erase(it);
                        throw InputError(path, reader.line(), header[slot.field], "not valid UTF-8 text (save the file as UTF-8)",
                                         terminal_text(key));
                    }
                    if (slot.max_levels > 0 && column.levels.size() >= slot.max_levels) {
                        throw InputError(path, reader.line(), header[slot.field],
                                         "more than " + std::to_string(slot.max_levels) +
                                             " distinct values; a column of groups, strata or factor levels must have fewer",
                                         key.size() > 40 ? key.substr(0, 40) + "..." : key);
                    }
                    column.levels.push_back(key);
                }
                column.codes.push_back(it->second);
            }
        }
        const std::size_t offset = reader.line() - table.rows;
        if (table.line_shifts.empty() || table.line_shifts.back().offset != offset) {
            table.line_shifts.push_back({table.rows, offset});
        }
        ++table.rows;
    }
    for (auto& column : table.categorical) order_levels(column);
    return table;
}

}  // namespace rwe
