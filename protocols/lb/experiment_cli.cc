// `dsim experiment hashing`: consistent hashing against theory.
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>

#include "dsim/checker.h"
#include "dsim/protocol.h"
#include <cmath>

#include "protocols/lb/hashing.h"

namespace dsim::lb {
namespace {

namespace po = boost::program_options;

}  // namespace

// `dsim experiment hashing`: consistent hashing against theory.
int hashing_cli(const std::vector<std::string>& args, const ExperimentIo& io) {
  po::options_description d("dsim experiment hashing [options]");
  d.add_options()
      ("backends", po::value<int64_t>()->default_value(10), "backends on the ring")
      ("keys", po::value<int64_t>()->default_value(100000), "keys placed")
      ("help,h", "show this help");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(d).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return io.usage_error(e.what());
  }
  if (vm.count("help")) {
    std::cout << d << "\nKey spread over backends by virtual nodes per backend, and the fraction of keys that\n"
                      "move when a backend joins or leaves, next to what theory predicts.\n";
    return 0;
  }
  const int64_t backends = vm["backends"].as<int64_t>();
  const int64_t key_count = vm["keys"].as<int64_t>();
  if (backends < 2 || backends > 100000 || key_count < 1 || key_count > 100'000'000) {
    return io.usage_error("--backends must be 2..100000 and --keys 1..100000000");
  }
  const auto n = static_cast<uint32_t>(backends);
  const auto keys = static_cast<uint64_t>(key_count);
  std::printf("spread of %llu keys over %u backends (theory: CoV ~ 1/sqrt(vnodes) for many vnodes, plus the\n"
              "sampling noise sqrt(backends/keys) = %.4f)\n",
              static_cast<unsigned long long>(keys), n, std::sqrt(static_cast<double>(n) / static_cast<double>(keys)));
  std::printf("%8s %10s %8s %14s\n", "vnodes", "max/mean", "CoV", "1/sqrt(vnodes)");
  for (const auto& p : hash_spread(n, keys, {1, 4, 16, 64, 256, 1024})) {
    std::printf("%8u %10.3f %8.4f %14.4f\n", p.vnodes, p.max_over_mean, p.cov, 1 / std::sqrt(static_cast<double>(p.vnodes)));
  }
  std::printf("\nkeys moved when one backend joins %u (theory 1/%u = %.4f) or one of %u leaves (theory 1/%u = %.4f):\n", n,
              n + 1, 1.0 / (n + 1), n + 1, n + 1, 1.0 / (n + 1));
  std::printf("%8s %10s %10s\n", "vnodes", "join", "leave");
  for (uint32_t v : {1u, 16u, 256u}) {
    const auto r = hash_remap(n, keys, v);
    std::printf("%8u %10.4f %10.4f\n", v, r.joined, r.left);
  }
  return 0;
}


}  // namespace dsim::lb
