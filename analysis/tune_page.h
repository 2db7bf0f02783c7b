// The results of a parameter grid (`dsim tune`) summarised over seeds, and
// the three ways they are shown: a terminal table, CSV (one row per grid
// point and metric) and a self-contained HTML page whose plots are inline
// SVG (no script, no network: its Content-Security-Policy forbids both).
// Every string from the user (parameter names and values, metric names,
// the scenario path) is escaped for the place it is written.
//
// Summaries use the nearest-rank percentile of the values over seeds:
// median = p50, spread = p10..p90. A check outcome metric (named
// check.NAME.OUTCOME, 1 on a seed with that outcome, else 0) is shown as
// its count over seeds instead.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dsim::analysis {

struct TuneCell {
  uint64_t n = 0;  // seeds that measured the metric
  double median = 0, p10 = 0, p90 = 0, min = 0, max = 0, sum = 0;
};
// REQUIRES: !values.empty().
TuneCell summarize(std::vector<double> values);

struct TuneParam {
  std::string name;
  std::vector<std::string> values;  // labels, in grid order
};

struct TuneMetric {
  std::string name;
  std::string doc;     // one line for people
  bool count = false;  // a check outcome: shown as the count over seeds
};

struct TuneTable {
  std::string title;  // the scenario (or grid file) path
  uint64_t seeds = 0;  // seeds per point asked for
  std::vector<TuneParam> params;
  // Point p has value index points[p][i] of params[i]; points are in grid
  // order (the last parameter varies fastest).
  std::vector<std::vector<size_t>> points;
  std::vector<TuneMetric> metrics;
  std::vector<std::vector<std::optional<TuneCell>>> cells;  // [point][metric]
  std::vector<size_t> plotted;  // metric indexes shown in the table and plots
};

// The value a plot or the table shows for a cell: the count for a check
// outcome, else the median.
double shown_value(const TuneMetric& m, const TuneCell& c);
// Numbers as CSV and the page write them ("%.6g", locale independent).
std::string tune_number(double v);
std::string tune_csv(const TuneTable& t);
std::string tune_text_table(const TuneTable& t);
std::string tune_html(const TuneTable& t);

}  // namespace dsim::analysis
