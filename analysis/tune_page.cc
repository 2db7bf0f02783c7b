#include "analysis/tune_page.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>

#include "dsim/assert.h"

namespace dsim::analysis {
namespace {

double nearest_rank(const std::vector<double>& sorted, double p) {
  const auto rank = static_cast<size_t>(std::max(1.0, std::ceil(p * static_cast<double>(sorted.size()))));
  return sorted[std::min(rank, sorted.size()) - 1];
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// Text and attribute values alike: both quote characters escaped.
std::string esc(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string px(double v) {  // SVG coordinates: two decimals are plenty
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, std::round(v * 100) / 100, std::chars_format::fixed, 2);
  return std::string(buf, r.ptr);
}

std::string point_label(const TuneTable& t, size_t p) {
  std::string out;
  for (size_t i = 0; i < t.params.size(); ++i) {
    out += (i ? ", " : "") + t.params[i].name + "=" + t.params[i].values[t.points[p][i]];
  }
  return out;
}

constexpr const char* kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"};
constexpr size_t kPaletteSize = sizeof kPalette / sizeof kPalette[0];

// The y range of a metric's plot: every shown value and spread, from 0
// when nothing is negative.
struct Axis {
  double lo, hi, step;
};
Axis y_range(const TuneTable& t, size_t m) {
  double lo = 0, hi = 0;
  bool any = false, negative = false;
  for (const auto& row : t.cells) {
    if (!row[m]) continue;
    const TuneCell& c = *row[m];
    const double v = shown_value(t.metrics[m], c);
    const double a = t.metrics[m].count ? v : c.p10, b = t.metrics[m].count ? v : c.p90;
    lo = any ? std::min(lo, a) : a;
    hi = any ? std::max(hi, b) : b;
    negative = negative || a < 0;
    any = true;
  }
  if (!negative) lo = 0;
  if (hi <= lo) hi = lo + 1;
  // Round outwards to at most five intervals of a step of 1, 2, 2.5 or 5
  // times a power of ten, so the ticks are round numbers.
  const double mag = std::pow(10.0, std::floor(std::log10((hi - lo) / 5)));
  double step = mag * 10;
  for (double f : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (std::floor(lo / (f * mag)) * (f * mag) + 5 * f * mag >= hi) {
      step = f * mag;
      break;
    }
  }
  const double data_hi = hi;
  lo = std::floor(lo / step) * step;
  hi = lo + std::ceil((data_hi - lo) / step) * step;
  return {lo, hi, step};
}

// Rough width of a label in the 11px tick font.
double label_px(const std::string& s) { return 6.3 * static_cast<double>(s.size()); }

// Outcome against the first parameter, one line per value (or combination
// of values) of the others; p10..p90 as error bars.
std::string line_plot(const TuneTable& t, size_t m) {
  const TuneMetric& metric = t.metrics[m];
  const size_t nx = t.params.empty() ? 1 : t.params[0].values.size();
  double longest = 0;
  for (size_t i = 0; i < nx && !t.params.empty(); ++i) longest = std::max(longest, label_px(t.params[0].values[i]));
  const double pw = std::max(440.0, 56.0 * static_cast<double>(nx));
  // Labels wider than their slot are turned 40 degrees.
  const bool turn = longest > pw / static_cast<double>(nx) - 6;
  const double left = 80, right = 200, top = 30, ph = 280;
  const double bottom = 52 + (turn ? std::min(longest, 240.0) * 0.65 : 0);
  const double W = left + pw + right, H = top + ph + bottom;
  const auto [lo, hi, step] = y_range(t, m);
  auto x_of = [&](size_t i) { return left + (static_cast<double>(i) + 0.5) * pw / static_cast<double>(nx); };
  auto y_of = [&, lo = lo, hi = hi](double v) { return top + ph - (v - lo) / (hi - lo) * ph; };  // (clang: no captured bindings)
  std::string s = "<svg class=\"plot\" width=\"" + px(W) + "\" height=\"" + px(H) +
                  "\" viewBox=\"0 0 " + px(W) + " " + px(H) + "\" data-metric=\"" + esc(metric.name) + "\" data-ymin=\"" +
                  tune_number(lo) + "\" data-ymax=\"" + tune_number(hi) + "\" data-top=\"" + px(top) +
                  "\" data-bottom=\"" + px(top + ph) + "\">\n";
  s += "<rect x=\"" + px(left) + "\" y=\"" + px(top) + "\" width=\"" + px(pw) + "\" height=\"" + px(ph) +
       "\" class=\"frame\"/>\n";
  const auto ticks = static_cast<int>(std::lround((hi - lo) / step));
  for (int k = 0; k <= ticks; ++k) {
    const double v = lo + step * k;
    const double y = y_of(v);
    s += "<line class=\"grid\" x1=\"" + px(left) + "\" x2=\"" + px(left + pw) + "\" y1=\"" + px(y) + "\" y2=\"" + px(y) +
         "\"/><text class=\"tick\" x=\"" + px(left - 6) + "\" y=\"" + px(y + 4) + "\" text-anchor=\"end\">" +
         esc(tune_number(v)) + "</text>\n";
  }
  for (size_t i = 0; i < nx && !t.params.empty(); ++i) {
    const double x = x_of(i), y = top + ph + 18;
    s += "<text class=\"tick\" x=\"" + px(x) + "\" y=\"" + px(y) + "\"" +
         (turn ? " text-anchor=\"end\" transform=\"rotate(-40 " + px(x) + " " + px(y) + ")\"" : " text-anchor=\"middle\"") +
         ">" + esc(t.params[0].values[i]) + "</text>\n";
  }
  if (!t.params.empty()) {
    s += "<text class=\"axis\" x=\"" + px(left + pw / 2) + "\" y=\"" + px(H - 20) + "\" text-anchor=\"middle\">" +
         esc(t.params[0].name) + "</text>\n";
  }
  s += "<text class=\"axis\" transform=\"translate(18," + px(top + ph / 2) + ") rotate(-90)\" text-anchor=\"middle\">" +
       esc(metric.name + (metric.count ? " (seeds)" : " (median, p10-p90)")) + "</text>\n";
  // Series: points grouped by their values of every parameter but the first.
  std::map<std::vector<size_t>, std::vector<size_t>> series;  // other values -> points, in x order
  std::vector<std::vector<size_t>> order;
  for (size_t p = 0; p < t.points.size(); ++p) {
    const std::vector<size_t> rest(t.points[p].begin() + (t.params.empty() ? 0 : 1), t.points[p].end());
    auto [it, fresh] = series.try_emplace(rest);
    if (fresh) order.push_back(rest);
    it->second.push_back(p);
  }
  for (size_t k = 0; k < order.size(); ++k) {
    const std::vector<size_t>& pts = series[order[k]];
    const char* colour = kPalette[k % kPaletteSize];
    std::string label;
    for (size_t i = 1; i < t.params.size(); ++i) {
      label += (i > 1 ? ", " : "") + t.params[i].name + "=" + t.params[i].values[order[k][i - 1]];
    }
    if (label.empty()) label = metric.name;
    std::string line;
    std::string marks;
    for (size_t p : pts) {
      if (!t.cells[p][m]) continue;
      const TuneCell& c = *t.cells[p][m];
      const double v = shown_value(metric, c);
      const double x = x_of(t.params.empty() ? 0 : t.points[p][0]);
      line += (line.empty() ? "" : " ") + px(x) + "," + px(y_of(v));
      if (!metric.count) {
        marks += "<line class=\"spread\" stroke=\"" + std::string(colour) + "\" x1=\"" + px(x) + "\" x2=\"" + px(x) +
                 "\" y1=\"" + px(y_of(c.p10)) + "\" y2=\"" + px(y_of(c.p90)) + "\"/>\n";
      }
      marks += "<circle class=\"pt\" r=\"4\" fill=\"" + std::string(colour) + "\" cx=\"" + px(x) + "\" cy=\"" +
               px(y_of(v)) + "\" data-point=\"" + std::to_string(p) + "\" data-value=\"" + tune_number(v) +
               "\"><title>" + esc(point_label(t, p) + ": " + metric.name + " " + tune_number(v) +
                                  (metric.count ? " of " + std::to_string(c.n) + " seeds"
                                                : " (p10 " + tune_number(c.p10) + ", p90 " + tune_number(c.p90) +
                                                      ", " + std::to_string(c.n) + " seeds)")) +
               "</title></circle>\n";
    }
    if (!line.empty()) {
      s += "<polyline class=\"series\" stroke=\"" + std::string(colour) + "\" points=\"" + line + "\"/>\n";
    }
    s += marks;
    const double ly = top + 12 + 18 * static_cast<double>(k);
    s += "<rect x=\"" + px(left + pw + 14) + "\" y=\"" + px(ly - 9) + "\" width=\"10\" height=\"10\" fill=\"" + colour +
         "\"/><text class=\"legend\" x=\"" + px(left + pw + 30) + "\" y=\"" + px(ly) + "\">" + esc(label) + "</text>\n";
  }
  return s + "</svg>\n";
}

// Two parameters: one cell per point, coloured by the shown value.
std::string heat_map(const TuneTable& t, size_t m) {
  DSIM_ASSERT(t.params.size() == 2);
  const TuneMetric& metric = t.metrics[m];
  const size_t nx = t.params[0].values.size(), ny = t.params[1].values.size();
  double wide = 0, tall = 0;
  for (const auto& v : t.params[0].values) wide = std::max(wide, label_px(v));
  for (const auto& v : t.params[1].values) tall = std::max(tall, label_px(v));
  const double left = std::max(90.0, std::min(tall, 300.0) + 20), top = 30, ch = 32;
  const double cw = std::max(60.0, 480.0 / static_cast<double>(nx));
  const bool turn = wide > cw - 6;  // column labels wider than a cell are turned 40 degrees
  const double W = left + cw * static_cast<double>(nx) + 20;
  const double H = top + ch * static_cast<double>(ny) + 60 + (turn ? std::min(wide, 240.0) * 0.65 : 0);
  double lo = 0, hi = 0;
  bool any = false;
  for (const auto& row : t.cells) {
    if (!row[m]) continue;
    const double v = shown_value(metric, *row[m]);
    lo = any ? std::min(lo, v) : v;
    hi = any ? std::max(hi, v) : v;
    any = true;
  }
  std::string s = "<svg class=\"heat\" width=\"" + px(W) + "\" height=\"" + px(H) +
                  "\" viewBox=\"0 0 " + px(W) + " " + px(H) + "\" data-metric=\"" + esc(metric.name) + "\">\n";
  for (size_t p = 0; p < t.points.size(); ++p) {
    const double x = left + cw * static_cast<double>(t.points[p][0]);
    const double y = top + ch * static_cast<double>(t.points[p][1]);
    if (!t.cells[p][m]) {
      s += "<rect class=\"cell none\" x=\"" + px(x) + "\" y=\"" + px(y) + "\" width=\"" + px(cw) + "\" height=\"" +
           px(ch) + "\" data-point=\"" + std::to_string(p) + "\"/>\n";
      continue;
    }
    const double v = shown_value(metric, *t.cells[p][m]);
    const double f = hi > lo ? (v - lo) / (hi - lo) : 0.5;
    // Light yellow (low) to dark red (high).
    const int r = static_cast<int>(255 - 75 * f), g = static_cast<int>(245 - 215 * f), b = static_cast<int>(200 - 170 * f);
    s += "<rect class=\"cell\" x=\"" + px(x) + "\" y=\"" + px(y) + "\" width=\"" + px(cw) + "\" height=\"" + px(ch) +
         "\" fill=\"rgb(" + std::to_string(r) + "," + std::to_string(g) + "," + std::to_string(b) + ")\" data-point=\"" +
         std::to_string(p) + "\" data-value=\"" + tune_number(v) + "\"><title>" +
         esc(point_label(t, p) + ": " + metric.name + " " + tune_number(v)) + "</title></rect>\n";
    s += "<text class=\"cellv\" x=\"" + px(x + cw / 2) + "\" y=\"" + px(y + ch / 2 + 4) + "\" text-anchor=\"middle\" fill=\"" +
         (f > 0.6 ? "#fff" : "#000") + "\">" + esc(tune_number(v)) + "</text>\n";
  }
  for (size_t i = 0; i < nx; ++i) {
    const double x = left + cw * (static_cast<double>(i) + 0.5), y = top + ch * static_cast<double>(ny) + 18;
    s += "<text class=\"tick\" x=\"" + px(x) + "\" y=\"" + px(y) + "\"" +
         (turn ? " text-anchor=\"end\" transform=\"rotate(-40 " + px(x) + " " + px(y) + ")\"" : " text-anchor=\"middle\"") +
         ">" + esc(t.params[0].values[i]) + "</text>\n";
  }
  for (size_t j = 0; j < ny; ++j) {
    s += "<text class=\"tick\" x=\"" + px(left - 8) + "\" y=\"" + px(top + ch * (static_cast<double>(j) + 0.5) + 4) +
         "\" text-anchor=\"end\">" + esc(t.params[1].values[j]) + "</text>\n";
  }
  s += "<text class=\"axis\" x=\"" + px(left + cw * static_cast<double>(nx) / 2) + "\" y=\"" + px(H - 12) +
       "\" text-anchor=\"middle\">" + esc(t.params[0].name) + "</text>\n";
  s += "<text class=\"axis\" x=\"8\" y=\"" + px(top - 10) + "\">" + esc(t.params[1].name) + "</text>\n";
  return s + "</svg>\n";
}

}  // namespace

TuneCell summarize(std::vector<double> values) {
  DSIM_ASSERT(!values.empty());
  std::sort(values.begin(), values.end());
  TuneCell c;
  c.n = values.size();
  c.median = nearest_rank(values, 0.5);
  c.p10 = nearest_rank(values, 0.1);
  c.p90 = nearest_rank(values, 0.9);
  c.min = values.front();
  c.max = values.back();
  for (double v : values) c.sum += v;
  return c;
}

double shown_value(const TuneMetric& m, const TuneCell& c) { return m.count ? c.sum : c.median; }

std::string tune_number(double v) {
  if (v == 0) return "0";  // also -0
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 6);
  return std::string(buf, r.ptr);
}

std::string tune_csv(const TuneTable& t) {
  std::string out = "point";
  for (const auto& p : t.params) out += "," + csv_field(p.name);
  out += ",metric,seeds,median,p10,p90,min,max,sum\n";
  for (size_t p = 0; p < t.points.size(); ++p) {
    for (size_t m = 0; m < t.metrics.size(); ++m) {
      out += std::to_string(p);
      for (size_t i = 0; i < t.params.size(); ++i) out += "," + csv_field(t.params[i].values[t.points[p][i]]);
      out += "," + csv_field(t.metrics[m].name);
      if (const auto& c = t.cells[p][m]) {
        out += "," + std::to_string(c->n) + "," + tune_number(c->median) + "," + tune_number(c->p10) + "," +
               tune_number(c->p90) + "," + tune_number(c->min) + "," + tune_number(c->max) + "," + tune_number(c->sum);
      } else {
        out += ",0,,,,,,";
      }
      out += "\n";
    }
  }
  return out;
}

std::string tune_text_table(const TuneTable& t) {
  // Columns: each parameter, then each shown metric as "median [p10..p90]"
  // (or "count/seeds" for a check outcome).
  std::vector<std::string> head;
  for (const auto& p : t.params) head.push_back(p.name);
  for (size_t m : t.plotted) head.push_back(t.metrics[m].name);
  std::vector<std::vector<std::string>> rows;
  for (size_t p = 0; p < t.points.size(); ++p) {
    std::vector<std::string> row;
    for (size_t i = 0; i < t.params.size(); ++i) row.push_back(t.params[i].values[t.points[p][i]]);
    for (size_t m : t.plotted) {
      const auto& c = t.cells[p][m];
      if (!c) {
        row.push_back("-");
      } else if (t.metrics[m].count) {
        row.push_back(tune_number(c->sum) + "/" + std::to_string(c->n));
      } else if (c->p10 == c->p90) {
        row.push_back(tune_number(c->median));
      } else {
        row.push_back(tune_number(c->median) + " [" + tune_number(c->p10) + ".." + tune_number(c->p90) + "]");
      }
    }
    rows.push_back(std::move(row));
  }
  std::vector<size_t> width(head.size(), 0);
  for (size_t i = 0; i < head.size(); ++i) width[i] = head[i].size();
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string s;
    for (size_t i = 0; i < cells.size(); ++i) {
      s += cells[i];
      if (i + 1 < cells.size()) s += std::string(width[i] - cells[i].size() + 2, ' ');
    }
    return s + "\n";
  };
  std::string out = line(head);
  for (const auto& row : rows) out += line(row);
  return out;
}

std::string tune_html(const TuneTable& t) {
  std::string s =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
      "<title>dsim tune: " + esc(t.title) + "</title>\n<style>\n"
      "body{font:14px system-ui,sans-serif;margin:24px;color:#222}h1{font-size:20px}h2{font-size:16px;margin-top:28px}\n"
      "table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}\n"
      "th{background:#f3f3f3}.frame{fill:none;stroke:#999}.grid{stroke:#eee}.tick{font-size:11px;fill:#444}\n"
      ".axis{font-size:12px;fill:#222}.legend{font-size:12px}.series{fill:none;stroke-width:2}.spread{stroke-width:1.5;opacity:.5}\n"
      ".cell{stroke:#fff}.none{fill:#eee}.cellv{font-size:11px}.doc{color:#555}\n"
      "</style>\n</head>\n<body>\n<h1>dsim tune: " + esc(t.title) + "</h1>\n<p>" + std::to_string(t.points.size()) +
      " grid points, " + std::to_string(t.seeds) +
      " seeds each. Lines show the median over seeds with p10-p90 bars; a check outcome shows the number of seeds "
      "with that outcome.</p>\n";
  for (size_t m : t.plotted) {
    s += "<section class=\"metric\">\n<h2>" + esc(t.metrics[m].name) + "</h2>\n<p class=\"doc\">" + esc(t.metrics[m].doc) +
         "</p>\n";
    s += line_plot(t, m);
    if (t.params.size() == 2) s += heat_map(t, m);
    s += "</section>\n";
  }
  s += "<h2>All metrics</h2>\n<table>\n<tr><th>point</th>";
  for (const auto& p : t.params) s += "<th>" + esc(p.name) + "</th>";
  s += "<th>metric</th><th>seeds</th><th>median</th><th>p10</th><th>p90</th><th>sum</th></tr>\n";
  for (size_t p = 0; p < t.points.size(); ++p) {
    for (size_t m = 0; m < t.metrics.size(); ++m) {
      const auto& c = t.cells[p][m];
      if (!c) continue;
      s += "<tr><td>" + std::to_string(p) + "</td>";
      for (size_t i = 0; i < t.params.size(); ++i) s += "<td>" + esc(t.params[i].values[t.points[p][i]]) + "</td>";
      s += "<td>" + esc(t.metrics[m].name) + "</td><td>" + std::to_string(c->n) + "</td><td>" + tune_number(c->median) +
           "</td><td>" + tune_number(c->p10) + "</td><td>" + tune_number(c->p90) + "</td><td>" + tune_number(c->sum) +
           "</td></tr>\n";
    }
  }
  return s + "</table>\n</body>\n</html>\n";
}

}  // namespace dsim::analysis
