#include "sim/trace/reader.h"

#include <nlohmann/json.hpp>

#include "sim/core/printable.h"

namespace dsim::trace {

using Json = nlohmann::ordered_json;

void Reader::fail(size_t column, const std::string& msg) {
  // The message may quote the file's bytes; it is printed on a terminal.
  error_ = path_ + ":" + std::to_string(line_no_) + ":" + std::to_string(column) + ": error: " + printable(msg);
}

std::string Reader::open(const std::string& path) {
  path_ = path;
  in_.open(path, std::ios::binary);
  if (!in_) return path + ": error: cannot open trace file";
  if (!next(&meta_)) {
    if (error_.empty()) error_ = path + ":1:1: error: empty trace (expected a meta header line)";
    return error_;
  }
  if (meta_.kind != "meta") {
    line_no_ = 1;
    fail(1, "first line must be the meta header (kind \"meta\"), found kind \"" + meta_.kind + "\"");
    return error_;
  }
  const auto schema = meta_.get_str("schema");
  if (!schema) {
    fail(1, "meta header has no \"schema\" string");
    return error_;
  }
  if (*schema != kSchema) {
    fail(1, "unsupported trace schema \"" + std::string(*schema) + "\" (this dsim reads \"" + std::string(kSchema) +
                "\"; a newer dsim may read it)");
    return error_;
  }
  return {};
}

bool Reader::next(Event* out) {
  while (std::getline(in_, text_)) {
    ++line_no_;
    if (text_.empty() || text_.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank lines
    return parse_line(text_, out);
  }
  if (in_.bad()) {
    fail(1, "read error");
  }
  return false;
}

bool Reader::parse_line(const std::string& text, Event* out) {
  Json j;
  try {
    j = Json::parse(text);
  } catch (const Json::parse_error& e) {
    // nlohmann's byte is 1-based and points just past the offending byte.
    fail(e.byte == 0 ? 1 : e.byte, std::string("invalid JSON: ") + e.what());
    return false;
  } catch (const Json::exception& e) {  // e.g. a number too large for any type
    fail(1, std::string("invalid JSON: ") + e.what());
    return false;
  }
  if (!j.is_object()) {
    fail(1, "each line must be a JSON object");
    return false;
  }
  const auto t = j.find("t");
  if (t == j.end() || !t->is_number_integer() ||
      (t->is_number_unsigned() && t->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) || t->get<int64_t>() < 0) {
    fail(1, "missing or invalid \"t\" (expected an integer >= 0, virtual time in ns)");
    return false;
  }
  const auto node = j.find("node");
  if (node == j.end() || !node->is_string()) {
    fail(1, "missing or invalid \"node\" (expected a string)");
    return false;
  }
  const auto kind = j.find("kind");
  if (kind == j.end() || !kind->is_string() || kind->get<std::string>().empty()) {
    fail(1, "missing or invalid \"kind\" (expected a non-empty string)");
    return false;
  }
  const int64_t tv = t->get<int64_t>();
  if (tv < last_t_) {
    fail(1, "time goes backwards: t=" + std::to_string(tv) + " after t=" + std::to_string(last_t_));
    return false;
  }
  last_t_ = tv;
  out->t = tv;
  out->node = node->get<std::string>();
  out->kind = kind->get<std::string>();
  out->fields.clear();
  out->meta_json.clear();
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    if (k == "t" || k == "node" || k == "kind") continue;
    const Json& v = it.value();
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      out->fields.emplace_back(k, v.dump());  // beyond int64: kept as text, like other unknown shapes
    } else if (v.is_number_integer()) {
      out->fields.emplace_back(k, v.get<int64_t>());
    } else if (v.is_string()) {
      out->fields.emplace_back(k, v.get<std::string>());
    } else if (v.is_boolean()) {
      out->fields.emplace_back(k, v.get<bool>());
    } else {
      out->fields.emplace_back(k, v.dump());
    }
  }
  if (out->kind == "meta") out->meta_json = text;
  return true;
}

}  // namespace dsim::trace
