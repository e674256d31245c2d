#pragma once
// results.json's one codec. A typed result lists its fields once, in a member
//
//     template <class Visit> void fields(Visit& visit) { visit("n", n); visit("strata", strata); }
//
// and encode() and decode() both walk that list, so what is written is what is read back,
// key for key (tests/results_codec_test.cpp decodes and encodes again the results.json of
// the test studies, byte for byte). A value written as a JSON array of values (a step of a
// survival curve) lists them in `template <class Visit> void elements(Visit& visit)`.
//
// Field types: std::string, bool, integers, double (NaN written as null), Number and Count
// (which may also be suppressed), Suppressible<T> (a whole part withheld by small-cell
// suppression), std::optional<T> (absent key), Nullable<T> (written null), std::vector<T>,
// std::map<std::string, T>, std::variant<T...> (read as the first form that fits), other
// typed results, and json (a protocol's own table, passed through as written).
// Decoding refuses a missing key, an unknown key and a value of another type, naming the
// JSON pointer of the value.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "rwe/common/error.hpp"

namespace rwe::results {

using nlohmann::json;

// What replaces a withheld value in results.json (small-cell suppression, docs/report.md).
inline const std::string suppressed_marker = "suppressed";

// A statistic: a value, not estimable (NaN or infinite, written null), or suppressed.
class Number {
public:
    Number() = default;
    Number(double value) : value_(value) {}  // NOLINT(google-explicit-constructor): a double is a Number
    static Number suppressed() {
        Number number;
        number.suppressed_ = true;
        return number;
    }
    bool is_suppressed() const { return suppressed_; }
    bool has_value() const { return !suppressed_ && std::isfinite(value_); }
    // The value; NaN when not estimable or suppressed.
    double value() const { return has_value() ? value_ : std::numeric_limits<double>::quiet_NaN(); }

private:
    double value_ = std::numeric_limits<double>::quiet_NaN();
    bool suppressed_ = false;
};

// A whole number of patients, events or rows, written as an integer; or suppressed.
class Count {
public:
    Count() = default;
    Count(std::int64_t value) : value_(value) {}  // NOLINT(google-explicit-constructor)
    Count(std::size_t value) : value_(static_cast<std::int64_t>(value)) {}  // NOLINT(google-explicit-constructor)
    Count(int value) : value_(value) {}  // NOLINT(google-explicit-constructor)
    Count(long long value) : value_(static_cast<std::int64_t>(value)) {}  // NOLINT(google-explicit-constructor)
    static Count suppressed() {
        Count count;
        count.suppressed_ = true;
        return count;
    }
    bool is_suppressed() const { return suppressed_; }
    std::int64_t value() const { return value_; }
    // As a Number (suppressed stays suppressed).
    Number number() const { return suppressed_ ? Number::suppressed() : Number(static_cast<double>(value_)); }

private:
    std::int64_t value_ = 0;
    bool suppressed_ = false;
};

// A part of a result that small-cell suppression may withhold whole (a group's curve, its
// median with the CI).
template <class T>
class Suppressible {
public:
    Suppressible() = default;
    Suppressible(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
    static Suppressible suppressed() {
        Suppressible part;
        part.suppressed_ = true;
        return part;
    }
    bool is_suppressed() const { return suppressed_; }
    // The value (default-constructed when suppressed).
    const T& operator*() const { return value_; }
    T& operator*() { return value_; }
    const T* operator->() const { return &value_; }
    T* operator->() { return &value_; }

private:
    T value_{};
    bool suppressed_ = false;
};

// A value that is written null when there is none (std::optional's absent key is for a
// part that is left out).
template <class T>
class Nullable {
public:
    Nullable() = default;
    Nullable(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
    static Nullable null() { return Nullable(); }
    bool has_value() const { return value_.has_value(); }
    const T& operator*() const { return *value_; }
    T& operator*() { return *value_; }
    const T* operator->() const { return &*value_; }
    T value_or(T fallback) const { return value_.value_or(std::move(fallback)); }
    void emplace() { value_.emplace(); }
    void reset() { value_.reset(); }

private:
    std::optional<T> value_;
};

// A results.json that does not hold what its schema says: the JSON pointer and the problem.
class DecodeError : public InputError {
public:
    DecodeError(const std::string& pointer, const std::string& problem)
        : InputError((pointer.empty() ? std::string("/") : pointer) + ": " + problem) {}
};

namespace codec {

template <class T> struct is_optional : std::false_type {};
template <class T> struct is_optional<std::optional<T>> : std::true_type {};
template <class T> struct is_vector : std::false_type {};
template <class T> struct is_vector<std::vector<T>> : std::true_type {};
template <class T> struct is_map : std::false_type {};
template <class T> struct is_map<std::map<std::string, T>> : std::true_type {};
template <class T> struct is_suppressible : std::false_type {};
template <class T> struct is_suppressible<Suppressible<T>> : std::true_type {};
template <class T> struct is_nullable : std::false_type {};
template <class T> struct is_nullable<Nullable<T>> : std::true_type {};
template <class T> struct is_variant : std::false_type {};
template <class... T> struct is_variant<std::variant<T...>> : std::true_type {};

struct FieldProbe {
    template <class T> void operator()(const char*, T&) {}
};
struct ElementProbe {
    template <class T> void operator()(T&) {}
};
template <class T> concept HasFields = requires(T& value, FieldProbe& probe) { value.fields(probe); };
template <class T> concept HasElements = requires(T& value, ElementProbe& probe) { value.elements(probe); };
// A type read and written by code of its own (a part whose type depends on another field).
template <class T> concept HasOwnCodec = requires(const T& value, const json& in, const std::string& pointer) {
    { T::decode_from(in, pointer) } -> std::same_as<T>;
    { value.encode_to() } -> std::same_as<json>;
};

std::string text_of(const json& value);  // a short rendering of a value for messages

}  // namespace codec

template <class T> json encode(const T& value);
template <class T> void decode(const json& in, T& out, const std::string& pointer = "");

// A typed result read from JSON.
template <class T> T decoded(const json& in, const std::string& pointer = "") {
    T out{};
    decode(in, out, pointer);
    return out;
}

namespace codec {

struct Encoder {
    json& out;
    template <class T> void operator()(const char* key, const T& value) {
        if constexpr (is_optional<T>::value) {
            if (value) out[key] = encode(*value);
        } else {
            out[key] = encode(value);
        }
    }
};

struct ElementEncoder {
    json& out;
    template <class T> void operator()(const T& value) { out.push_back(encode(value)); }
};

struct Decoder {
    const json& in;
    const std::string& pointer;
    std::size_t seen = 0;
    template <class T> void operator()(const char* key, T& value) {
        const auto found = in.find(key);
        if (found == in.end()) {
            if constexpr (is_optional<T>::value) {
                value.reset();
                return;
            } else {
                throw DecodeError(pointer + "/" + key, "missing");
            }
        }
        ++seen;
        if constexpr (is_optional<T>::value) {
            value.emplace();
            decode(*found, *value, pointer + "/" + key);
        } else {
            decode(*found, value, pointer + "/" + key);
        }
    }
};

struct KeyLister {
    std::vector<std::string>& names;
    template <class T> void operator()(const char* key, T&) { names.emplace_back(key); }
};

struct ElementDecoder {
    const json& in;
    const std::string& pointer;
    std::size_t next = 0;
    template <class T> void operator()(T& value) {
        if (next >= in.size()) throw DecodeError(pointer, "expected more elements (" + std::to_string(in.size()) + ")");
        decode(in[next], value, pointer + "/" + std::to_string(next));
        ++next;
    }
};

}  // namespace codec

namespace codec {

template <class Variant, std::size_t k>
bool decode_alternative(const json& in, Variant& out, const std::string& pointer) {
    if constexpr (k == std::variant_size_v<Variant>) {
        return false;
    } else {
        try {
            std::variant_alternative_t<k, Variant> value{};
            decode(in, value, pointer);
            out = std::move(value);
            return true;
        } catch (const DecodeError&) {
            return decode_alternative<Variant, k + 1>(in, out, pointer);
        }
    }
}

}  // namespace codec

template <class T> json encode(const T& value) {
    using namespace codec;
    if constexpr (std::is_same_v<T, Number>) {
        if (value.is_suppressed()) return suppressed_marker;
        return value.has_value() ? json(value.value()) : json(nullptr);
    } else if constexpr (std::is_same_v<T, Count>) {
        return value.is_suppressed() ? json(suppressed_marker) : json(value.value());
    } else if constexpr (std::is_same_v<T, json> || std::is_same_v<T, std::string> || std::is_same_v<T, bool>) {
        return value;
    } else if constexpr (std::is_floating_point_v<T>) {
        return std::isfinite(value) ? json(value) : json(nullptr);
    } else if constexpr (std::is_integral_v<T>) {
        return value;
    } else if constexpr (is_suppressible<T>::value) {
        return value.is_suppressed() ? json(suppressed_marker) : encode(*value);
    } else if constexpr (is_nullable<T>::value) {
        return value.has_value() ? encode(*value) : json(nullptr);
    } else if constexpr (is_variant<T>::value) {
        return std::visit([](const auto& alternative) { return encode(alternative); }, value);
    } else if constexpr (is_vector<T>::value) {
        json out = json::array();
        for (const auto& item : value) out.push_back(encode(item));
        return out;
    } else if constexpr (is_map<T>::value) {
        json out = json::object();
        for (const auto& [key, item] : value) out[key] = encode(item);
        return out;
    } else if constexpr (HasOwnCodec<T>) {
        return value.encode_to();
    } else if constexpr (HasFields<T>) {
        json out = json::object();
        Encoder encoder{out};
        const_cast<T&>(value).fields(encoder);  // the visitor only reads
        return out;
    } else if constexpr (HasElements<T>) {
        json out = json::array();
        ElementEncoder encoder{out};
        const_cast<T&>(value).elements(encoder);
        return out;
    } else {
        static_assert(HasFields<T>, "a type results.json cannot hold");
    }
}

template <class T> void decode(const json& in, T& out, const std::string& pointer) {
    using namespace codec;
    const bool suppressed = in.is_string() && in.get_ref<const std::string&>() == suppressed_marker;
    auto expected = [&](const char* what) { return DecodeError(pointer, std::string("expected ") + what + " (" + text_of(in) + ")"); };
    if constexpr (std::is_same_v<T, Number>) {
        if (suppressed) out = Number::suppressed();
        else if (in.is_null()) out = Number();
        else if (in.is_number()) out = Number(in.get<double>());
        else throw expected("a number, null or \"suppressed\"");
    } else if constexpr (std::is_same_v<T, Count>) {
        if (suppressed) out = Count::suppressed();
        else if (in.is_number_integer()) out = Count(in.get<std::int64_t>());
        else throw expected("a whole number or \"suppressed\"");
    } else if constexpr (std::is_same_v<T, json>) {
        out = in;
    } else if constexpr (std::is_same_v<T, std::string>) {
        if (!in.is_string()) throw expected("a string");
        out = in.get<std::string>();
    } else if constexpr (std::is_same_v<T, bool>) {
        if (!in.is_boolean()) throw expected("true or false");
        out = in.get<bool>();
    } else if constexpr (std::is_floating_point_v<T>) {
        if (in.is_null()) out = std::numeric_limits<T>::quiet_NaN();
        else if (in.is_number()) out = in.get<T>();
        else throw expected("a number or null");
    } else if constexpr (std::is_integral_v<T>) {
        if (!in.is_number_integer()) throw expected("a whole number");
        out = in.get<T>();
    } else if constexpr (is_suppressible<T>::value) {
        if (suppressed) out = T::suppressed();
        else {
            out = T();
            decode(in, *out, pointer);
        }
    } else if constexpr (is_optional<T>::value) {
        out.emplace();
        decode(in, *out, pointer);
    } else if constexpr (is_nullable<T>::value) {
        if (in.is_null()) out.reset();
        else {
            out.emplace();
            decode(in, *out, pointer);
        }
    } else if constexpr (is_variant<T>::value) {
        // The first form the value decodes as (the forms differ in their keys).
        if (!decode_alternative<T, 0>(in, out, pointer)) throw expected("one of the forms this result can take");
    } else if constexpr (is_vector<T>::value) {
        if (!in.is_array()) throw expected("an array");
        out.clear();
        out.resize(in.size());
        for (std::size_t k = 0; k < in.size(); ++k) decode(in[k], out[k], pointer + "/" + std::to_string(k));
    } else if constexpr (is_map<T>::value) {
        if (!in.is_object()) throw expected("an object");
        out.clear();
        for (const auto& [key, item] : in.items()) decode(item, out[key], pointer + "/" + key);
    } else if constexpr (HasOwnCodec<T>) {
        out = T::decode_from(in, pointer);
    } else if constexpr (HasFields<T>) {
        if (!in.is_object()) throw expected("an object");
        Decoder decoder{in, pointer};
        out.fields(decoder);
        if (decoder.seen != in.size()) {
            // A key the type does not list: found by listing the type's keys.
            std::vector<std::string> known;
            KeyLister names{known};
            out.fields(names);
            for (const auto& [key, item] : in.items()) {
                if (std::find(known.begin(), known.end(), key) == known.end()) throw DecodeError(pointer + "/" + key, "unknown key");
            }
        }
    } else if constexpr (HasElements<T>) {
        if (!in.is_array()) throw expected("an array");
        ElementDecoder decoder{in, pointer};
        out.elements(decoder);
        if (decoder.next != in.size()) throw DecodeError(pointer, "expected " + std::to_string(decoder.next) + " elements (" + std::to_string(in.size()) + ")");
    } else {
        static_assert(HasFields<T>, "a type results.json cannot hold");
    }
}

}  // namespace rwe::results
