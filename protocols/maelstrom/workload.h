// What the clients ask of the servers, per workload (Maelstrom's
// doc/workloads.md): the request bodies, the broadcast topology and the
// final reads. Every choice comes from the harness's random draw, so the
// requests are the same on every run of a seed.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "protocols/maelstrom/config.h"

namespace dsim::maelstrom {

struct Request {
  std::string f;     // the operation: "echo", "broadcast", "read", "add", "send", "poll", ...
  std::string body;  // its JSON body (with msg_id)
};

// Op number `op`, random draw `r`. `kafka_next` is this client's next
// offset per key (polls continue where the last one ended).
Request make_request(const Config& c, int64_t op, uint64_t r, int64_t msg_id, std::map<std::string, int64_t>* kafka_next);
// A reply that moves the client's kafka offsets on (poll_ok).
void note_reply(const Config& c, const std::string& body_json, std::map<std::string, int64_t>* kafka_next);
// The final reads a server's client makes at `final_reads` (msg_id added by the caller).
std::vector<Request> final_read_bodies(const Config& c);
// The broadcast workload's topology message for node `self`.
std::string topology_body(const Config& c, const std::vector<std::string>& names, uint32_t self, int64_t msg_id);
// Node i's neighbours among n servers.
std::vector<uint32_t> neighbours(Topology t, uint32_t n, uint32_t i);

}  // namespace dsim::maelstrom
