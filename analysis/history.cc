#include "analysis/history.h"

#include <fstream>
#include <nlohmann/json.hpp>

namespace dsim::analysis::history {
namespace {

using Json = nlohmann::json;

bool parse_f(std::string_view s, F* f) {
  if (s == "read") *f = F::kRead;
  else if (s == "write") *f = F::kWrite;
  else if (s == "cas") *f = F::kCas;
  else return false;
  return true;
}

bool parse_type(std::string_view s, Type* t) {
  if (s == "invoke") *t = Type::kInvoke;
  else if (s == "ok") *t = Type::kOk;
  else if (s == "fail") *t = Type::kFail;
  else if (s == "info") *t = Type::kInfo;
  else return false;
  return true;
}

// A register value as canonical text, or "" when the JSON is not one
// (floats, booleans, arrays and objects are reserved by the format).
std::string register_value(const Json& v) {
  if (v.is_null()) return std::string(kNull);
  if (v.is_number_integer()) return v.dump();
  if (v.is_string()) return v.dump();
  return "";
}

}  // namespace

const char* to_string(F f) {
  switch (f) {
    case F::kRead: return "read";
    case F::kWrite: return "write";
    case F::kCas: return "cas";
  }
  return "?";
}

const char* to_string(Type t) {
  switch (t) {
    case Type::kInvoke: return "invoke";
    case Type::kOk: return "ok";
    case Type::kFail: return "fail";
    case Type::kInfo: return "info";
  }
  return "?";
}

std::string Builder::add(uint32_t process, Type type, F f, std::string_view key, std::string_view value,
                         std::string_view cas_new, int64_t time, uint64_t line) {
  if (time < last_time_) {
    return "time " + std::to_string(time) + " is before the previous line's " + std::to_string(last_time_) +
           " (lines must be in nondecreasing time)";
  }
  last_time_ = time;
  auto open = open_.find(process);
  if (type == Type::kInvoke) {
    if (open != open_.end()) {
      return "process " + std::to_string(process) + " invokes again while its operation from line " +
             std::to_string(ops_[open->second].line) + " is still open";
    }
    if (crashed_.count(process)) {
      return "process " + std::to_string(process) +
             " invokes after an info completion (a process that got info must not invoke again)";
    }
    if (f == F::kWrite && value == kNull) return "a write of null (the format has no delete)";
    if (f == F::kCas && cas_new == kNull) return "a cas to null (the format has no delete)";
    Op op;
    op.process = process;
    op.f = f;
    op.key = std::string(key);
    if (f != F::kRead) op.value = std::string(value);
    op.cas_new = std::string(cas_new);
    op.invoke = time;
    op.line = line;
    open_[process] = ops_.size();
    ops_.push_back(std::move(op));
    return "";
  }
  if (open == open_.end()) {
    return std::string(to_string(type)) + " for process " + std::to_string(process) + ", which has no open invoke";
  }
  Op& op = ops_[open->second];
  if (op.f != f || op.key != key) {
    return std::string(to_string(type)) + " of " + to_string(f) + " on '" + std::string(key) + "' closes a " +
           to_string(op.f) + " on '" + op.key + "' (line " + std::to_string(op.line) + ")";
  }
  open_.erase(open);
  op.status = type;
  if (type == Type::kInfo) {
    crashed_[process] = true;
    return "";
  }
  op.complete = time;
  if (type == Type::kOk && f == F::kRead) op.value = std::string(value);
  return "";
}

std::vector<Op> Builder::finish() {
  open_.clear();  // open invokes stay kInfo with complete = kNever
  return std::move(ops_);
}

std::string read_file(const std::string& path, std::vector<Op>* out) {
  out->clear();
  std::ifstream in(path, std::ios::binary);
  if (!in) return path + ": error: cannot open the history file";
  Builder b;
  std::string text;
  uint64_t line = 0;
  auto err = [&](size_t col, const std::string& msg) {
    return path + ":" + std::to_string(line) + ":" + std::to_string(col) + ": error: " + msg;
  };
  while (std::getline(in, text)) {
    ++line;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    Json j;
    try {
      j = Json::parse(text);
    } catch (const Json::parse_error& e) {
      return err(e.byte == 0 ? 1 : e.byte, std::string("invalid JSON: ") + e.what());
    } catch (const Json::exception& e) {  // e.g. a number too large for any type (out_of_range.406)
      return err(1, std::string("invalid JSON: ") + e.what());
    }
    if (!j.is_object()) return err(1, "a history line must be a JSON object");
    auto field = [&](const char* name) -> const Json* {
      auto it = j.find(name);
      return it == j.end() ? nullptr : &*it;
    };
    const Json* process = field("process");
    const Json* type = field("type");
    const Json* f = field("f");
    const Json* key = field("key");
    const Json* time = field("time");
    if (!process || !process->is_number_integer() || process->get<int64_t>() < 0 ||
        process->get<int64_t>() > UINT32_MAX) {
      return err(1, "'process' must be an integer >= 0");
    }
    Type t;
    if (!type || !type->is_string() || !parse_type(type->get<std::string>(), &t)) {
      return err(1, "'type' must be \"invoke\", \"ok\", \"fail\" or \"info\"");
    }
    F fn;
    if (!f || !f->is_string() || !parse_f(f->get<std::string>(), &fn)) {
      return err(1, "'f' must be \"read\", \"write\" or \"cas\"");
    }
    if (!key || !key->is_string()) return err(1, "'key' must be a string");
    if (!time || !time->is_number_integer()) return err(1, "'time' must be an integer (nanoseconds)");
    const Json* value = field("value");
    if (!value) return err(1, "'value' is required (it may be null)");
    std::string v, v2;
    if (fn == F::kCas) {
      if (!value->is_array() || value->size() != 2) return err(1, "a cas 'value' must be [expected, new]");
      v = register_value((*value)[0]);
      v2 = register_value((*value)[1]);
      if (v.empty() || v2.empty()) return err(1, "register values are integers, strings or null");
    } else if (fn == F::kWrite || (fn == F::kRead && t == Type::kOk)) {
      v = register_value(*value);
      if (v.empty()) return err(1, "register values are integers, strings or null");
    }
    if (std::string e = b.add(static_cast<uint32_t>(process->get<int64_t>()), t, fn, key->get<std::string>(), v, v2,
                              time->get<int64_t>(), line);
        !e.empty()) {
      return err(1, e);
    }
  }
  *out = b.finish();
  return "";
}

bool looks_like_history(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string text;
  while (std::getline(in, text)) {
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    const Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    return j.is_object() && j.contains("process") && j.contains("type");
  }
  return false;
}

void TraceCollector::consume(const trace::Event& e) {
  ++line_;
  Type t;
  if (!error_.empty() || !parse_type(e.kind, &t)) return;
  F f;
  const auto process = e.get_int("process");
  const auto fn = e.get_str("f");
  const auto key = e.get_str("key");
  if (!process || !fn || !key || !parse_f(*fn, &f) || *process < 0) {
    error_ = "line " + std::to_string(line_) + ": a client '" + e.kind + "' event needs process, f and key";
    return;
  }
  auto value_of = [&](std::string_view name) -> std::string {
    const trace::Value* v = e.find(name);
    if (!v) return std::string(kNull);
    if (const auto* i = std::get_if<int64_t>(v)) return std::to_string(*i);
    if (const auto* s = std::get_if<std::string>(v)) return Json(*s).dump();
    return std::string(kNull);
  };
  const std::string v = f == F::kCas ? value_of("expected") : value_of("value");
  const std::string v2 = f == F::kCas ? value_of("new") : "";
  // Trace ops carry no line (witnesses name process and times instead).
  if (std::string err = builder_.add(static_cast<uint32_t>(*process), t, f, *key, v, v2, e.t, 0); !err.empty()) {
    error_ = "line " + std::to_string(line_) + ": " + err;
  }
}

std::string event_line(uint32_t process, Type type, F f, std::string_view key, std::string_view value_json,
                       int64_t time) {
  std::string out = "{\"process\":" + std::to_string(process) + ",\"type\":\"" + to_string(type) + "\",\"f\":\"" +
                    to_string(f) + "\",\"key\":" + Json(std::string(key)).dump() + ",\"value\":";
  out.append(value_json).append(",\"time\":").append(std::to_string(time)).append("}");
  return out;
}

}  // namespace dsim::analysis::history
