// One JSON Lines record, parsed strictly. nlohmann keeps the last of two
// equal keys without a word, so {"t":5,...,"t":1} would pass as t=1: a
// record with a duplicate key is an error here, at the second key. Every
// library exception (numbers like 1e400, invalid UTF-8) becomes an error
// with a column instead of escaping to the caller.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace dsim::trace {

// On success returns true and sets *out. On failure sets *column (1-based
// byte) and *why.
template <class JsonT>
bool parse_json_line(const std::string& text, JsonT* out, size_t* column, std::string* why) {
  std::vector<std::vector<std::string>> keys;  // one list per open object; records have few keys
  std::string dup;
  auto cb = [&](int, nlohmann::json::parse_event_t ev, JsonT& parsed) {
    using E = nlohmann::json::parse_event_t;
    if (ev == E::object_start) {
      keys.emplace_back();
    } else if (ev == E::object_end) {
      if (!keys.empty()) keys.pop_back();
    } else if (ev == E::key && !keys.empty() && parsed.is_string()) {
      const auto& k = parsed.template get_ref<const std::string&>();
      for (const auto& seen : keys.back()) {
        if (seen == k && dup.empty()) dup = k;
      }
      keys.back().push_back(k);
    }
    return true;
  };
  try {
    *out = JsonT::parse(text, cb);
  } catch (const nlohmann::json::parse_error& e) {
    // nlohmann's byte is 1-based and points just past the offending byte.
    *column = e.byte == 0 ? 1 : e.byte;
    *why = std::string("invalid JSON: ") + e.what();
    return false;
  } catch (const nlohmann::json::exception& e) {  // e.g. a number too large for any type
    *column = 1;
    *why = std::string("invalid JSON: ") + e.what();
    return false;
  }
  if (!dup.empty()) {
    const std::string quoted = JsonT(dup).dump();
    const size_t first = text.find(quoted);
    const size_t second = first == std::string::npos ? first : text.find(quoted, first + 1);
    *column = second == std::string::npos ? 1 : second + 1;
    *why = "duplicate key " + quoted + " (each key may appear once)";
    return false;
  }
  return true;
}

}  // namespace dsim::trace
