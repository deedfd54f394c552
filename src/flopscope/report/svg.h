// A small SVG plotting helper: one chart with linear or logarithmic axes, ticks, axis labels,
// a title, a legend, lines and points (optionally labelled). Output is a standalone SVG 1.1
// document that browsers render directly; no scripts, no external fonts.
//
// **Example**:
//
//     SvgPlot plot("Loss vs model size", {"parameters", true}, {"loss (nats/token)", false});
//     plot.add_line("1e21 FLOPs", {{1e8, 3.1}, {1e9, 2.6}, {1e10, 2.9}});
//     plot.add_points("optimum", {{1e9, 2.6}}, "", {"1.0 B"});
//     write_file_atomic("plot.svg", plot.render());
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace flopscope {

struct SvgAxis {
  std::string label;
  bool log = false;             ///< logarithmic (base 10): ticks at decades
  std::optional<double> min;    ///< data range when unset (padded for linear axes)
  std::optional<double> max;
};

struct SvgSeries {
  std::string label;  ///< legend text; empty = not in the legend
  std::vector<std::pair<double, double>> points;
  std::string color;  ///< CSS colour; empty = next in the palette
  bool line = true;
  bool markers = false;
  bool dashed = false;
  std::vector<std::string> point_labels;  ///< text next to each point (optional)
};

class SvgPlot {
 public:
  SvgPlot(std::string title, SvgAxis x, SvgAxis y, int width = 900, int height = 560);

  /// A polyline through `points` (sorted by x as given).
  SvgPlot& add_line(std::string label, std::vector<std::pair<double, double>> points, std::string color = "",
                    bool dashed = false);
  /// Markers at `points`, each with an optional text label.
  SvgPlot& add_points(std::string label, std::vector<std::pair<double, double>> points, std::string color = "",
                      std::vector<std::string> point_labels = {});
  SvgPlot& add_series(SvgSeries series);

  /// The SVG document. Points that a log axis cannot show (<= 0) and non-finite ones are left out.
  std::string render() const;

 private:
  std::string title_;
  SvgAxis x_, y_;
  int width_, height_;
  std::vector<SvgSeries> series_;
};

/// Stacks rendered SvgPlot documents top to bottom into one document (each keeps its own
/// axes): a timeline of quantities with different units, one panel each.
std::string svg_stack(const std::vector<std::string>& documents);

/// Escapes &, <, >, " and ' for SVG text and attributes.
std::string svg_escape(std::string_view text);

/// Tick positions for an axis over [lo, hi]: decades (plus 2 and 5 when the range is under
/// two decades) on a log axis, 1-2-5 steps on a linear one.
std::vector<double> svg_ticks(double lo, double hi, bool log);

}  // namespace flopscope
