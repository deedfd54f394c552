#include "flopscope/report/svg.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>

namespace flopscope {

namespace {

constexpr const char* kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
constexpr int kPaletteSize = sizeof(kPalette) / sizeof(kPalette[0]);

bool usable(double v, bool log) { return std::isfinite(v) && (!log || v > 0); }

// Tick text: 10^k as "10" with a superscript on log axes, a short number otherwise.
std::string tick_text(double v, bool log) {
  if (log) {
    double k = std::log10(v);
    if (std::fabs(k - std::round(k)) < 1e-9) {
      return fmt::format("10<tspan dy=\"-6\" font-size=\"9\">{}</tspan>", static_cast<int>(std::round(k)));
    }
    double decade = std::pow(10, std::floor(k + 1e-9));
    return fmt::format("{:g}&#183;10<tspan dy=\"-6\" font-size=\"9\">{}</tspan>", std::round(v / decade),
                       static_cast<int>(std::floor(k + 1e-9)));
  }
  return fmt::format("{:.6g}", std::fabs(v) < 1e-12 ? 0.0 : v);
}

}  // namespace

std::string svg_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::vector<double> svg_ticks(double lo, double hi, bool log) {
  std::vector<double> ticks;
  if (!(hi > lo)) return {lo};
  if (log) {
    int k0 = static_cast<int>(std::floor(std::log10(lo) + 1e-9));
    int k1 = static_cast<int>(std::ceil(std::log10(hi) - 1e-9));
    int step = std::max(1, (k1 - k0) / 10);  // at most about ten labelled decades
    bool fine = std::log10(hi / lo) < 2;
    for (int k = k0; k <= k1; k += step) {
      for (double m : fine ? std::vector<double>{1, 2, 5} : std::vector<double>{1}) {
        double v = m * std::pow(10.0, k);
        if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) ticks.push_back(v);
      }
    }
    return ticks;
  }
  double raw = (hi - lo) / 6;
  double mag = std::pow(10, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  }
  for (double v = std::ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) ticks.push_back(v);
  return ticks;
}

SvgPlot::SvgPlot(std::string title, SvgAxis x, SvgAxis y, int width, int height)
    : title_(std::move(title)), x_(std::move(x)), y_(std::move(y)), width_(width), height_(height) {}

SvgPlot& SvgPlot::add_line(std::string label, std::vector<std::pair<double, double>> points, std::string color,
                           bool dashed) {
  SvgSeries s;
  s.label = std::move(label);
  s.points = std::move(points);
  s.color = std::move(color);
  s.dashed = dashed;
  return add_series(std::move(s));
}

SvgPlot& SvgPlot::add_points(std::string label, std::vector<std::pair<double, double>> points, std::string color,
                             std::vector<std::string> point_labels) {
  SvgSeries s;
  s.label = std::move(label);
  s.points = std::move(points);
  s.color = std::move(color);
  s.line = false;
  s.markers = true;
  s.point_labels = std::move(point_labels);
  return add_series(std::move(s));
}

SvgPlot& SvgPlot::add_series(SvgSeries series) {
  if (series.color.empty()) series.color = kPalette[series_.size() % kPaletteSize];
  series_.push_back(std::move(series));
  return *this;
}

std::string SvgPlot::render() const {
  // Data range over the usable points, padded (linear: 5% of the span; log: 6% of the decades).
  double xmin = HUGE_VAL, xmax = -HUGE_VAL, ymin = HUGE_VAL, ymax = -HUGE_VAL;
  for (const auto& s : series_) {
    for (auto [x, y] : s.points) {
      if (!usable(x, x_.log) || !usable(y, y_.log)) continue;
      xmin = std::min(xmin, x), xmax = std::max(xmax, x);
      ymin = std::min(ymin, y), ymax = std::max(ymax, y);
    }
  }
  if (xmin > xmax) xmin = x_.log ? 1 : 0, xmax = x_.log ? 10 : 1;
  if (ymin > ymax) ymin = y_.log ? 1 : 0, ymax = y_.log ? 10 : 1;
  auto pad = [](double& lo, double& hi, bool log) {
    if (log) {
      // 6% of the decades on each side, so extreme points and their labels stay inside.
      if (hi <= lo) lo /= 2, hi *= 2;
      double margin = std::pow(hi / lo, 0.06);
      lo /= margin, hi *= margin;
      return;
    }
    double span = hi > lo ? hi - lo : std::max(std::fabs(hi), 1.0);
    lo -= 0.05 * span, hi += 0.05 * span;
  };
  pad(xmin, xmax, x_.log);
  pad(ymin, ymax, y_.log);
  if (x_.min) xmin = *x_.min;
  if (x_.max) xmax = *x_.max;
  if (y_.min) ymin = *y_.min;
  if (y_.max) ymax = *y_.max;

  const double left = 80, right = 220, top = 50, bottom = 60;
  const double pw = width_ - left - right, ph = height_ - top - bottom;
  auto tx = [&](double v) {
    double f = x_.log ? (std::log10(v) - std::log10(xmin)) / (std::log10(xmax) - std::log10(xmin))
                      : (v - xmin) / (xmax - xmin);
    return left + f * pw;
  };
  auto ty = [&](double v) {
    double f = y_.log ? (std::log10(v) - std::log10(ymin)) / (std::log10(ymax) - std::log10(ymin))
                      : (v - ymin) / (ymax - ymin);
    return top + (1 - f) * ph;
  };

  std::string s = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      width_, height_);
  s += fmt::format("<text x=\"{:.1f}\" y=\"28\" font-size=\"16\" text-anchor=\"middle\">{}</text>\n", left + pw / 2,
                   svg_escape(title_));
  // Grid and ticks.
  s += "<g stroke=\"#e0e0e0\" stroke-width=\"1\">\n";
  auto xticks = svg_ticks(xmin, xmax, x_.log);
  auto yticks = svg_ticks(ymin, ymax, y_.log);
  for (double v : xticks) s += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\"/>\n", tx(v), top, top + ph);
  for (double v : yticks) s += fmt::format("<line x1=\"{1:.1f}\" y1=\"{0:.1f}\" x2=\"{2:.1f}\" y2=\"{0:.1f}\"/>\n", ty(v), left, left + pw);
  s += "</g>\n";
  s += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"none\" stroke=\"#333\"/>\n",
                   left, top, pw, ph);
  for (double v : xticks) {
    s += fmt::format("<text class=\"xtick\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n", tx(v),
                     top + ph + 18, tick_text(v, x_.log));
  }
  for (double v : yticks) {
    s += fmt::format("<text class=\"ytick\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n", left - 6,
                     ty(v) + 4, tick_text(v, y_.log));
  }
  s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}{}</text>\n", left + pw / 2,
                   top + ph + 45, svg_escape(x_.label), x_.log ? " (log scale)" : "");
  s += fmt::format(
      "<text x=\"{0:.1f}\" y=\"{1:.1f}\" text-anchor=\"middle\" transform=\"rotate(-90 {0:.1f} {1:.1f})\">{2}{3}</text>\n",
      22.0, top + ph / 2, svg_escape(y_.label), y_.log ? " (log scale)" : "");

  // Series, clipped to the plot area.
  s += fmt::format("<clipPath id=\"plot\"><rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\"/></clipPath>\n",
                   left, top, pw, ph);
  s += "<g clip-path=\"url(#plot)\">\n";
  for (const auto& ser : series_) {
    std::string pts;
    for (auto [x, y] : ser.points) {
      if (!usable(x, x_.log) || !usable(y, y_.log)) continue;
      pts += fmt::format("{:.1f},{:.1f} ", tx(x), ty(y));
    }
    if (ser.line && !pts.empty()) {
      pts.pop_back();
      s += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{} points=\"{}\"/>\n",
                       svg_escape(ser.color), ser.dashed ? " stroke-dasharray=\"6,4\"" : "", pts);
    }
    if (ser.markers) {
      for (size_t i = 0; i < ser.points.size(); ++i) {
        auto [x, y] = ser.points[i];
        if (!usable(x, x_.log) || !usable(y, y_.log)) continue;
        s += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"4\" fill=\"{}\" stroke=\"white\"/>\n", tx(x), ty(y),
                         svg_escape(ser.color));
        if (i < ser.point_labels.size() && !ser.point_labels[i].empty()) {
          s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"10\" fill=\"#333\">{}</text>\n", tx(x) + 6,
                           ty(y) - 6, svg_escape(ser.point_labels[i]));
        }
      }
    }
  }
  s += "</g>\n";

  // Legend, to the right of the plot.
  double ly = top + 10;
  s += "<g class=\"legend\">\n";
  for (const auto& ser : series_) {
    if (ser.label.empty()) continue;
    double lx = left + pw + 15;
    if (ser.line) {
      s += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\" stroke-width=\"2\"{}/>\n",
                       lx, ly, lx + 24, ly, svg_escape(ser.color), ser.dashed ? " stroke-dasharray=\"6,4\"" : "");
    }
    if (ser.markers) {
      s += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"4\" fill=\"{}\"/>\n", lx + 12, ly, svg_escape(ser.color));
    }
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>\n", lx + 30, ly + 4, svg_escape(ser.label));
    ly += 18;
  }
  s += "</g>\n</svg>\n";
  return s;
}

}  // namespace flopscope

namespace flopscope {

std::string svg_stack(const std::vector<std::string>& documents) {
  // Each document starts "<?xml ...?>\n<svg ... width="W" height="H" ...>": the inner <svg>
  // elements are kept whole and placed with y offsets inside one outer <svg>.
  auto attribute = [](const std::string& doc, const std::string& name) {
    const size_t at = doc.find(" " + name + "=\"");
    if (at == std::string::npos) return 0.0;
    return std::strtod(doc.c_str() + at + name.size() + 3, nullptr);
  };
  double width = 0, height = 0;
  std::string body;
  for (const std::string& doc : documents) {
    size_t start = doc.find("<svg");
    if (start == std::string::npos) continue;
    const double w = attribute(doc, "width"), h = attribute(doc, "height");
    body += fmt::format("<svg x=\"0\" y=\"{:g}\"", height);
    body += doc.substr(start + 4);
    width = std::max(width, w);
    height += h;
  }
  return fmt::format(
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
             "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{0:g}\" height=\"{1:g}\" "
             "viewBox=\"0 0 {0:g} {1:g}\">\n",
             width, height) +
         body + "</svg>\n";
}

}  // namespace flopscope
