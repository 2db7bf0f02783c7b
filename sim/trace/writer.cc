#include "sim/trace/writer.h"

#include <cerrno>
#include <cstring>

#include "dsim/assert.h"
#include "dsim/trace_event.h"
#include "sim/trace/json_text.h"
#include "sim/trace/sha256.h"

namespace dsim::trace {

JsonlWriter::JsonlWriter(std::vector<std::string> node_names, std::string header_members)
    : names_(std::move(node_names)), sha_(std::make_unique<Sha256>()) {
  line_.reserve(256);
  line_ = R"({"t":0,"node":"*","kind":"meta","schema":")";
  line_ += kSchema;
  line_ += '"';
  if (!header_members.empty()) {
    line_ += ',';
    line_ += header_members;
  }
  line_ += "}\n";  // written with the first event, once the file is open
}

// Without finish(), file_'s destructor removes the temporary file: never
// leave a half trace behind.
JsonlWriter::~JsonlWriter() = default;

std::string JsonlWriter::open(const std::string& path) {
  DSIM_ASSERT(file_ == nullptr && lines_ == 0);
  file_ = std::make_unique<OutputFile>();
  std::string err = file_->open(path);
  if (!err.empty()) file_.reset();
  return err;
}

std::string_view JsonlWriter::name_of(NodeId n) const {
  if (n == kGlobal) return "*";
  if (n == kExternal) return "$ext";
  DSIM_ASSERT(n.value < names_.size());
  return names_[n.value];
}

void JsonlWriter::write_line() {
  sha_->update(line_);
  bytes_ += line_.size();
  ++lines_;
  if (file_) file_->write(line_);  // an error sticks; finish() reports it
}

void JsonlWriter::event(Time t, NodeId node, std::string_view kind, std::span<const Field> fields) {
  if (lines_ == 0) write_line();  // the header, still in line_
  line_.clear();
  line_ += "{\"t\":";
  append_int(line_, t.ns);
  line_ += ",\"node\":";
  append_json_string(line_, name_of(node));
  line_ += ",\"kind\":";
  append_json_string(line_, kind);
  for (const Field& f : fields) {
    line_ += ',';
    append_json_string(line_, f.key);
    line_ += ':';
    if (const auto* i = std::get_if<int64_t>(&f.value)) {
      append_int(line_, *i);
    } else if (const auto* s = std::get_if<std::string_view>(&f.value)) {
      append_json_string(line_, *s);
    } else {
      line_ += std::get<bool>(f.value) ? "true" : "false";
    }
  }
  line_ += "}\n";
  write_line();
}

std::string JsonlWriter::finish() {
  if (lines_ == 0) write_line();  // a run with no events still has its header
  hash_hex_ = sha_->hex_digest();
  if (!file_) return {};
  std::string err = file_->commit();
  file_.reset();
  return err;
}

}  // namespace dsim::trace
