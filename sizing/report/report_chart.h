// The report's two charts (demand distribution, risk against capacity), drawn by one layout
// routine onto either an SVG string (HTML) or a QPainter (PDF), so both show the same picture.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace understudy::sizing::report {

struct ChartPoint {
    double x = 0;
    double y = 0;
};

struct ChartMarker {
    double x = 0;
    std::string label;
    std::string color;
};

struct Chart {
    enum class Style {
        bars,  // one bar per point: P(demand = x)
        steps  // a right-continuous step curve: P(demand > x) between x_k and x_k+1
    };
    std::string title;
    std::string x_label;
    std::string y_label;
    Style style = Style::bars;
    // Axis labels show x / x_divisor (MiB shown as GiB); points stay in the resource's unit.
    double x_divisor = 1;
    double bar_width = 1;  // in x units
    std::vector<ChartPoint> points;
    std::optional<double> target;  // a horizontal line on the log y axis
    std::string target_label;
    std::vector<ChartMarker> markers;  // vertical lines
};

// What a chart is drawn with. Coordinates are in the chart's own units, y downwards; text is
// placed by its baseline.
class ChartCanvas {
public:
    enum class Anchor { start, middle, end };
    virtual ~ChartCanvas() = default;
    virtual void fillRect(double x, double y, double width, double height,
                          const std::string& color) = 0;
    virtual void line(double x1, double y1, double x2, double y2, const std::string& color,
                      double width, bool dashed) = 0;
    virtual void polyline(const std::vector<ChartPoint>& points, const std::string& color,
                          double width) = 0;
    // halo: a white outline under the glyphs, so a label stays legible across lines and bars
    virtual void text(double x, double y, const std::string& text, double size,
                      const std::string& color, Anchor anchor, bool bold, bool vertical,
                      bool halo) = 0;
};

void drawChart(ChartCanvas& canvas, const Chart& chart, double width, double height);

// A self-contained <svg> element that scales to its container's width.
std::string chartToSvg(const Chart& chart, double width, double height);

// "10⁻¹²" for exponent −12, "1" for 0.
std::string powerOfTenLabel(int exponent);

}  // namespace understudy::sizing::report
