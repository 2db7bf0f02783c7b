// Maelstrom broadcast by gossip in C++ (the algorithm of
// examples/maelstrom/python/broadcast.py): every 200 ms each node sends each
// neighbour the values it is not known to have, with the values it heard
// from that neighbour as the acknowledgement. `--bug`: no retry.
#include <cstring>
#include <set>

#include "dsim_maelstrom.h"

using dsim_maelstrom::json;

int main(int argc, char** argv) {
  const bool bug = argc > 1 && std::strcmp(argv[1], "--bug") == 0;
  dsim_maelstrom::Node node;
  std::set<int64_t> messages;
  std::vector<std::string> neighbours;
  std::map<std::string, std::set<int64_t>> acked, heard;

  node.on("topology", [&](const json& msg) {
    neighbours = msg["body"]["topology"].value(node.node_id, std::vector<std::string>{});
    node.reply(msg, {{"type", "topology_ok"}});
  });
  node.on("broadcast", [&](const json& msg) {
    messages.insert(msg["body"]["message"].get<int64_t>());
    node.reply(msg, {{"type", "broadcast_ok"}});
  });
  node.on("read", [&](const json& msg) { node.reply(msg, {{"type", "read_ok"}, {"messages", messages}}); });
  node.on("gossip", [&](const json& msg) {
    const std::string src = msg["src"];
    for (const auto& v : msg["body"]["messages"]) {
      messages.insert(v.get<int64_t>());
      acked[src].insert(v.get<int64_t>());
      heard[src].insert(v.get<int64_t>());
    }
    for (const auto& v : msg["body"]["ack"]) acked[src].insert(v.get<int64_t>());
  });
  node.on_init([&]() {
    node.every(200, [&]() {
      for (const auto& n : neighbours) {
        std::vector<int64_t> todo;
        for (int64_t v : messages) {
          if (!acked[n].count(v)) todo.push_back(v);
        }
        if (todo.empty() && heard[n].empty()) continue;
        node.send(n, {{"type", "gossip"}, {"messages", todo}, {"ack", heard[n]}});
        heard[n].clear();
        if (bug) acked[n].insert(todo.begin(), todo.end());
      }
    });
  });
  return node.run();
}
