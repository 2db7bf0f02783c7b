// Errors a user can cause in an input file, collected and printed the way
// compilers print them, so editors and CI problem matchers pick them up:
//
//   scenarios/x.yaml:12:23: error: invalid duration "150" for 'network.latency': missing unit (e.g. "150ms")
//      12 |   latency: 150
//         |            ^~~
//
// Lines and columns are 1-based. Up to kMaxErrors are kept; the rest are
// counted.
#pragma once
#include <string>
#include <vector>

namespace dsim::scenario {

struct Diagnostic {
  int line = 0;    // 1-based; 0 = no location
  int column = 0;  // 1-based, in bytes as yaml-cpp counts
  int length = 1;  // caret span in bytes
  std::string message;
};

class Diagnostics {
 public:
  static constexpr size_t kMaxErrors = 20;

  explicit Diagnostics(std::string path = {}, std::string source = {})
      : path_(std::move(path)), source_(std::move(source)) {}
  void set_source(std::string path, std::string source) {
    path_ = std::move(path);
    source_ = std::move(source);
  }

  // line and column 0-based, as yaml-cpp's Mark; negative = unknown.
  void error(int line0, int column0, std::string message, int length = 1);
  bool ok() const { return total_ == 0; }
  size_t count() const { return total_; }
  const std::vector<Diagnostic>& items() const { return items_; }
  const std::string& path() const { return path_; }

  // All errors rendered, each with its source line and a caret.
  std::string render(bool color = false) const;
  // GitHub Actions workflow commands, one per error.
  std::string render_github() const;

 private:
  std::string path_;
  std::string source_;
  std::vector<Diagnostic> items_;
  size_t total_ = 0;
};

}  // namespace dsim::scenario
