#pragma once
// Where a registry store is: an SQLite file, or a PostgreSQL database given by a libpq
// connection URI (`postgresql://[user[:password]@][host][:port][/database][?param=value...]`,
// or `postgres://`). A password never appears in what rwe prints or writes: locations are
// shown by `shown_location()`.

#include <string>
#include <string_view>

namespace rwe::registry {

// True for a libpq connection URI (`postgresql://` or `postgres://`).
bool is_postgresql_location(std::string_view location);

// `location` for messages: a PostgreSQL URI without its password (user info `user:secret@`
// becomes `user@`, a `password=` parameter is dropped); other locations as given.
std::string shown_location(std::string_view location);

}  // namespace rwe::registry
