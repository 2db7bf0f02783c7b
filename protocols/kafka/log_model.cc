#include "protocols/kafka/log_model.h"

namespace dsim::kafka {

bool LogModel::consume(const trace::Event& e) {
  if (e.kind == "append" || e.kind == "replicate") {
    const int64_t p = e.get_int("partition").value_or(-1);
    const int64_t o = e.get_int("offset").value_or(-1);
    auto& log = logs_[{e.node, p}];
    if (o < 0 || o > static_cast<int64_t>(log.size())) return true;  // not the node's log end: ignored
    log.resize(static_cast<size_t>(o));
    log.push_back(Record{e.get_int("epoch").value_or(0), e.get_int("msg").value_or(0)});
    return true;
  }
  if (e.kind == "truncate") {
    auto& log = logs_[{e.node, e.get_int("partition").value_or(-1)}];
    const int64_t to = e.get_int("to").value_or(0);
    if (to >= 0 && to < static_cast<int64_t>(log.size())) log.resize(static_cast<size_t>(to));
    return true;
  }
  if (e.kind == "become_leader") {
    const int64_t p = e.get_int("partition").value_or(-1);
    const int64_t epoch = e.get_int("epoch").value_or(0);
    Leader& l = leaders_[p];
    if (epoch < l.epoch) return true;
    l = Leader{e.node, epoch};
    for (Acked& a : acked_) {
      if (a.partition != p || a.missing_t || a.epoch >= epoch) continue;
      if (!holds(e.node, p, a.offset, a.msg)) {
        a.missing_t = e.t;
        a.missing_node = e.node;
        a.missing_epoch = epoch;
      }
    }
    return true;
  }
  if (e.kind == "ack") {
    Acked a;
    a.msg = e.get_int("msg").value_or(0);
    a.partition = e.get_int("partition").value_or(-1);
    a.offset = e.get_int("offset").value_or(-1);
    a.epoch = e.get_int("epoch").value_or(0);
    a.t = e.t;
    a.producer = e.node;
    a.acks = std::string(e.get_str("acks").value_or("?"));
    auto it = leaders_.find(a.partition);
    // Acknowledged after a newer leader without it took over.
    if (it != leaders_.end() && it->second.epoch > a.epoch && !holds(it->second.node, a.partition, a.offset, a.msg)) {
      a.missing_t = e.t;
      a.missing_node = it->second.node;
      a.missing_epoch = it->second.epoch;
    }
    acked_.push_back(std::move(a));
    return true;
  }
  return false;
}

const std::vector<LogModel::Record>* LogModel::log(const std::string& node, int64_t partition) const {
  auto it = logs_.find({node, partition});
  return it == logs_.end() ? nullptr : &it->second;
}

bool LogModel::holds(const std::string& node, int64_t partition, int64_t offset, int64_t msg) const {
  const auto* l = log(node, partition);
  if (!l) return false;
  if (offset >= 0 && offset < static_cast<int64_t>(l->size()) && (*l)[static_cast<size_t>(offset)].msg == msg) return true;
  for (const Record& r : *l) {  // a retried send may have been written twice
    if (r.msg == msg) return true;
  }
  return false;
}

std::vector<const LogModel::Acked*> LogModel::lost() const {
  std::vector<const Acked*> out;
  for (const Acked& a : acked_) {
    auto it = leaders_.find(a.partition);
    if (it == leaders_.end() || !holds(it->second.node, a.partition, a.offset, a.msg)) out.push_back(&a);
  }
  return out;
}

}  // namespace dsim::kafka
