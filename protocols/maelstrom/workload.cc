#include "protocols/maelstrom/workload.h"

#include <nlohmann/json.hpp>

#include "dsim/assert.h"

namespace dsim::maelstrom {
namespace {
using Json = nlohmann::json;

std::string kafka_key(uint64_t r, uint32_t keys) { return "k" + std::to_string(r % keys); }
}  // namespace

Request make_request(const Config& c, int64_t op, uint64_t r, int64_t msg_id, std::map<std::string, int64_t>* kafka_next) {
  Json b;
  std::string f;
  const uint64_t hi = r >> 8;
  switch (c.workload) {
    case Workload::kEcho:
      f = "echo";
      b = {{"type", "echo"}, {"echo", "Please echo " + std::to_string(op)}};
      break;
    case Workload::kUniqueIds:
      f = "generate";
      b = {{"type", "generate"}};
      break;
    case Workload::kBroadcast:
      if (r % 3 == 0) {
        f = "read";
        b = {{"type", "read"}};
      } else {
        f = "broadcast";
        b = {{"type", "broadcast"}, {"message", op}};
      }
      break;
    case Workload::kGCounter:
    case Workload::kPnCounter:
      if (r % 4 == 0) {
        f = "read";
        b = {{"type", "read"}};
      } else {
        f = "add";
        const int64_t delta = c.workload == Workload::kGCounter ? 1 + static_cast<int64_t>(hi % 5)
                                                               : static_cast<int64_t>(hi % 11) - 5;
        b = {{"type", "add"}, {"delta", delta}};
      }
      break;
    case Workload::kKafka: {
      const std::string key = kafka_key(hi, c.keys);
      const uint64_t k = r % 8;
      if (k < 4) {
        f = "send";
        b = {{"type", "send"}, {"key", key}, {"msg", op}};
      } else if (k < 6) {
        f = "poll";
        b = {{"type", "poll"}, {"offsets", {{key, (*kafka_next)[key]}}}};
      } else if (k == 6 && (*kafka_next)[key] > 0) {
        f = "commit_offsets";
        b = {{"type", "commit_offsets"}, {"offsets", {{key, (*kafka_next)[key] - 1}}}};
      } else {
        f = "list_committed_offsets";
        b = {{"type", "list_committed_offsets"}, {"keys", {key}}};
      }
      break;
    }
    case Workload::kLinKv: {
      const int64_t key = static_cast<int64_t>(hi % c.keys);
      const int64_t a = static_cast<int64_t>((hi >> 8) % 5), z = static_cast<int64_t>((hi >> 16) % 5);
      switch (r % 3) {
        case 0: f = "read"; b = {{"type", "read"}, {"key", key}}; break;
        case 1: f = "write"; b = {{"type", "write"}, {"key", key}, {"value", a}}; break;
        default: f = "cas"; b = {{"type", "cas"}, {"key", key}, {"from", a}, {"to", z}}; break;
      }
      break;
    }
  }
  b["msg_id"] = msg_id;
  return {f, b.dump()};
}

void note_reply(const Config& c, const std::string& body_json, std::map<std::string, int64_t>* kafka_next) {
  if (c.workload != Workload::kKafka) return;
  const Json b = Json::parse(body_json, nullptr, false);
  if (!b.is_object() || b.value("type", "") != "poll_ok") return;
  const auto msgs = b.find("msgs");
  if (msgs == b.end() || !msgs->is_object()) return;
  for (const auto& [key, list] : msgs->items()) {
    if (!list.is_array()) continue;
    for (const auto& pair : list) {
      if (pair.is_array() && pair.size() == 2 && pair[0].is_number_integer()) {
        const int64_t off = pair[0].get<int64_t>();
        if (off + 1 > (*kafka_next)[key]) (*kafka_next)[key] = off + 1;
      }
    }
  }
}

std::vector<Request> final_read_bodies(const Config& c) {
  switch (c.workload) {
    case Workload::kBroadcast:
    case Workload::kGCounter:
    case Workload::kPnCounter:
      return {{"read", Json({{"type", "read"}}).dump()}};
    case Workload::kKafka: {
      Json offs = Json::object();
      for (uint32_t k = 0; k < c.keys; ++k) offs["k" + std::to_string(k)] = 0;
      return {{"poll", Json({{"type", "poll"}, {"offsets", offs}}).dump()}};
    }
    default:
      return {};
  }
}

std::vector<uint32_t> neighbours(Topology t, uint32_t n, uint32_t i) {
  std::vector<uint32_t> out;
  switch (t) {
    case Topology::kTotal:
      for (uint32_t j = 0; j < n; ++j) {
        if (j != i) out.push_back(j);
      }
      break;
    case Topology::kLine:
      if (i > 0) out.push_back(i - 1);
      if (i + 1 < n) out.push_back(i + 1);
      break;
    case Topology::kTree:  // four children per node, as Maelstrom's tree4
      if (i > 0) out.push_back((i - 1) / 4);
      for (uint32_t k = 1; k <= 4; ++k) {
        if (4 * i + k < n) out.push_back(4 * i + k);
      }
      break;
    case Topology::kGrid: {
      uint32_t w = 1;
      while (w * w < n) ++w;
      const uint32_t x = i % w, y = i / w;
      if (y > 0) out.push_back(i - w);
      if (x > 0) out.push_back(i - 1);
      if (x + 1 < w && i + 1 < n) out.push_back(i + 1);
      if (i + w < n) out.push_back(i + w);
      break;
    }
  }
  return out;
}

std::string topology_body(const Config& c, const std::vector<std::string>& names, uint32_t self, int64_t msg_id) {
  DSIM_ASSERT(self < c.servers);
  Json topo = Json::object();
  for (uint32_t i = 0; i < c.servers; ++i) {
    Json list = Json::array();
    for (uint32_t j : neighbours(c.topology, c.servers, i)) list.push_back(names[j]);
    topo[names[i]] = list;
  }
  return Json({{"type", "topology"}, {"topology", topo}, {"msg_id", msg_id}}).dump();
}

}  // namespace dsim::maelstrom
