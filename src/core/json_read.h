// Typed reads of JSON that came from outside (requests, provider answers, webhook bodies,
// stored JSON columns). nlohmann's value()/get<>() throw type_error on a wrong type, and a
// narrowing get<>() of an out-of-range number is undefined: these never throw, and answer
// nullopt when `j` is not an object, lacks `key`, or holds another type there.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace ingestd::json_read {

inline const nlohmann::json* Find(const nlohmann::json& j, std::string_view key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

inline std::optional<std::string> String(const nlohmann::json& j, std::string_view key) {
  const nlohmann::json* v = Find(j, key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return v->get<std::string>();
}

inline std::optional<bool> Bool(const nlohmann::json& j, std::string_view key) {
  const nlohmann::json* v = Find(j, key);
  if (v == nullptr || !v->is_boolean()) return std::nullopt;
  return v->get<bool>();
}

// An integer that fits int64 (a float, even an integral one, is not an integer here).
inline std::optional<int64_t> Int(const nlohmann::json& j, std::string_view key) {
  const nlohmann::json* v = Find(j, key);
  if (v == nullptr) return std::nullopt;
  if (v->is_number_unsigned()) {
    uint64_t u = v->get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (v->is_number_integer()) return v->get<int64_t>();
  return std::nullopt;
}

// Any finite number.
inline std::optional<double> Number(const nlohmann::json& j, std::string_view key) {
  const nlohmann::json* v = Find(j, key);
  if (v == nullptr || !v->is_number()) return std::nullopt;
  double d = v->get<double>();
  if (!std::isfinite(d)) return std::nullopt;
  return d;
}

}  // namespace ingestd::json_read
