#include "sizing/report/report_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "sizing/report/report_text.h"

namespace understudy::sizing::report {

namespace {

constexpr double kLeft = 64;
constexpr double kRight = 16;
constexpr double kTop = 30;
constexpr double kBottom = 44;
// Probabilities below this are drawn on the axis: nobody reads a chart below 1e-16.
constexpr int kLowestDecade = -16;
const std::string kAxisColor = "#5f6b7a";
const std::string kGridColor = "#e3e7ec";
const std::string kTextColor = "#1f2933";
const std::string kSeriesColor = "#2f6db5";

double niceStep(double span, int wanted) {
    const double raw = span / wanted;
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    for (const double factor : {1.0, 2.0, 2.5, 5.0, 10.0}) {
        if (factor * magnitude >= raw) {
            return factor * magnitude;
        }
    }
    return 10 * magnitude;
}

std::string axisNumber(double value, double step) {
    char buffer[32];
    if (step >= 1 || std::abs(value - std::round(value)) < 1e-9) {
        return withThousands(static_cast<long long>(std::llround(value)));
    }
    std::snprintf(buffer, sizeof buffer, "%.1f", value);
    return buffer;
}

// Where the plot sits and how values map onto it: x linear over [x_min, x_max], y on a log
// scale from 1 at the top down to 10^low_decade, with 0 and below drawn on the axis.
struct PlotArea {
    double chart_height = 0;
    double width = 0;
    double height = 0;
    double bottom = 0;
    double x_min = 0;
    double x_max = 1;
    int low_decade = -1;

    double right() const { return kLeft + width; }
    double px(double x) const { return kLeft + (x - x_min) / (x_max - x_min) * width; }
    double py(double y) const {
        if (y <= 0) {
            return bottom;
        }
        const double decades = std::clamp(std::log10(y), static_cast<double>(low_decade), 0.0);
        return kTop + (-decades) / (-low_decade) * height;
    }
};

// The x range covers every point and marker with a little room; the y range reaches a decade
// below the smallest probability shown or the target, whichever is lower.
PlotArea layoutPlot(const Chart& chart, double width, double height) {
    PlotArea area;
    area.chart_height = height;
    area.width = width - kLeft - kRight;
    area.height = height - kTop - kBottom;
    area.bottom = kTop + area.height;

    double x_min = chart.points.empty() ? 0 : chart.points.front().x;
    double x_max = chart.points.empty() ? 1 : chart.points.back().x;
    double smallest = 1;
    for (const ChartPoint& p : chart.points) {
        if (p.y > 0) {
            smallest = std::min(smallest, p.y);
        }
    }
    for (const ChartMarker& marker : chart.markers) {
        x_min = std::min(x_min, marker.x);
        x_max = std::max(x_max, marker.x);
    }
    if (chart.style == Chart::Style::bars) {
        x_min -= chart.bar_width / 2;
        x_max += chart.bar_width / 2;
    }
    const double x_pad = (x_max - x_min) * 0.03 + (x_max == x_min ? 1 : 0);
    area.x_min = x_min - x_pad;
    area.x_max = x_max + x_pad;
    int low_decade = static_cast<int>(std::floor(std::log10(smallest)));
    if (chart.target) {
        low_decade =
            std::min(low_decade, static_cast<int>(std::floor(std::log10(*chart.target))) - 1);
    }
    area.low_decade = std::clamp(low_decade, kLowestDecade, -1);
    return area;
}

// log y axis: a grid line per decade, labelled sparsely enough to stay legible; x axis ticks
// at a round step.
void drawTicks(ChartCanvas& canvas, const Chart& chart, const PlotArea& area) {
    const int label_every = (-area.low_decade + 7) / 8;
    for (int decade = 0; decade >= area.low_decade; --decade) {
        const double y = area.py(std::pow(10.0, decade));
        if ((-decade) % label_every == 0) {
            canvas.line(kLeft, y, area.right(), y, kGridColor, 1, false);
            canvas.text(kLeft - 6, y + 4, powerOfTenLabel(decade), 10.5, kAxisColor,
                        ChartCanvas::Anchor::end, false, false, false);
        }
    }
    const double x_step = niceStep((area.x_max - area.x_min) / chart.x_divisor, 6);
    for (double tick = std::ceil(area.x_min / chart.x_divisor / x_step) * x_step;
         tick <= area.x_max / chart.x_divisor + 1e-9; tick += x_step) {
        const double x = area.px(tick * chart.x_divisor);
        canvas.line(x, area.bottom, x, area.bottom + 4, kAxisColor, 1, false);
        canvas.text(x, area.bottom + 16, axisNumber(tick, x_step), 10.5, kAxisColor,
                    ChartCanvas::Anchor::middle, false, false, false);
    }
}

// One bar per pixel column keeps the SVG small for long distributions; the tallest bar of a
// column is what the eye would see anyway.
void drawBars(ChartCanvas& canvas, const Chart& chart, const PlotArea& area) {
    std::map<long, double> columns;
    const double bar_pixels =
        std::max(1.0, chart.bar_width / (area.x_max - area.x_min) * area.width * 0.8);
    for (const ChartPoint& p : chart.points) {
        if (p.y > 0) {
            double& tallest = columns[std::lround(area.px(p.x))];
            tallest = std::max(tallest, p.y);
        }
    }
    for (const auto& [column, y] : columns) {
        const double top = area.py(y);
        canvas.fillRect(static_cast<double>(column) - bar_pixels / 2, top, bar_pixels,
                        area.bottom - top, kSeriesColor);
    }
}

// The right-continuous step curve in pixels, a run of equal heights kept as its two ends.
std::vector<ChartPoint> stepCurve(const Chart& chart, const PlotArea& area) {
    std::vector<ChartPoint> curve;
    const auto add = [&](double x, double y) {
        if (curve.size() >= 2 && curve.back().y == y && curve[curve.size() - 2].y == y) {
            curve.back().x = x;
        } else {
            curve.push_back({x, y});
        }
    };
    add(kLeft, area.py(1));
    for (std::size_t k = 0; k < chart.points.size(); ++k) {
        const double y = area.py(chart.points[k].y);
        add(area.px(chart.points[k].x), curve.back().y);
        add(area.px(chart.points[k].x), y);
        if (chart.points[k].y <= 0) {
            break;
        }
        const double next =
            k + 1 < chart.points.size() ? area.px(chart.points[k + 1].x) : area.right();
        add(next, y);
    }
    return curve;
}

// A long distribution puts many steps into one pixel column; the column's first and last
// point draw the same picture, so the SVG and PDF stay small for any length.
void drawSteps(ChartCanvas& canvas, const Chart& chart, const PlotArea& area) {
    std::vector<ChartPoint> drawn;
    for (const ChartPoint& p : stepCurve(chart, area)) {
        if (drawn.size() >= 2 && std::abs(p.x - drawn.back().x) < 0.5 &&
            std::abs(p.x - drawn[drawn.size() - 2].x) < 0.5) {
            drawn.back() = p;
        } else {
            drawn.push_back(p);
        }
    }
    canvas.polyline(drawn, kSeriesColor, 2);
}

// A label sits beside its line, away from the neighbouring marker. Both charts fall from
// left to right, so above-right and below-left of a line are where they leave room: labels
// to the right of their line hang from the top, labels to the left stand on the axis.
void drawMarkerLabels(ChartCanvas& canvas, std::vector<const ChartMarker*> markers,
                      const PlotArea& area) {
    std::stable_sort(markers.begin(), markers.end(),
                     [](const auto* a, const auto* b) { return a->x < b->x; });
    int rows_right = 0;
    int rows_left = 0;
    for (std::size_t i = 0; i < markers.size(); ++i) {
        const double x = area.px(markers[i]->x);
        // about 6.5 pixels per character at the labels' size
        const double label_width = 6.5 * static_cast<double>(markers[i]->label.size()) + 8;
        const bool room_right = x + label_width < area.right();
        const bool room_left = x - label_width > kLeft;
        bool right = room_right || !room_left;
        if (i == 0 && markers.size() > 1 && room_left) {
            right = false;
        }
        const double y = right ? kTop + 12 + 14 * rows_right++ : area.bottom - 6 - 14 * rows_left++;
        canvas.text(right ? x + 5 : x - 5, y, markers[i]->label, 10.5, markers[i]->color,
                    right ? ChartCanvas::Anchor::start : ChartCanvas::Anchor::end, true, false,
                    true);
    }
}

// Lines first, labels after, so no line crosses a label.
void drawTargetAndMarkers(ChartCanvas& canvas, const Chart& chart, const PlotArea& area) {
    if (chart.target) {
        const double y = area.py(*chart.target);
        canvas.line(kLeft, y, area.right(), y, "#c0392b", 1.5, true);
    }
    std::vector<const ChartMarker*> markers;
    for (const ChartMarker& marker : chart.markers) {
        markers.push_back(&marker);
        canvas.line(area.px(marker.x), kTop, area.px(marker.x), area.bottom, marker.color, 1.5,
                    true);
    }
    if (chart.target) {
        canvas.text(area.right() - 4, area.py(*chart.target) - 5, chart.target_label, 10.5,
                    "#c0392b", ChartCanvas::Anchor::end, true, false, true);
    }
    drawMarkerLabels(canvas, std::move(markers), area);
}

void drawAxes(ChartCanvas& canvas, const Chart& chart, const PlotArea& area) {
    canvas.line(kLeft, kTop, kLeft, area.bottom, kAxisColor, 1, false);
    canvas.line(kLeft, area.bottom, area.right(), area.bottom, kAxisColor, 1, false);
    canvas.text(kLeft + area.width / 2, area.chart_height - 8, chart.x_label, 11, kTextColor,
                ChartCanvas::Anchor::middle, false, false, false);
    canvas.text(14, kTop + area.height / 2, chart.y_label, 11, kTextColor,
                ChartCanvas::Anchor::middle, false, true, false);
}

}  // namespace

std::string powerOfTenLabel(int exponent) {
    if (exponent == 0) {
        return "1";
    }
    static const char* const kSuperscripts[] = {"⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"};
    std::string label = "10";
    if (exponent < 0) {
        label += "⁻";
    }
    for (const char digit : std::to_string(std::abs(exponent))) {
        label += kSuperscripts[digit - '0'];
    }
    return label;
}

void drawChart(ChartCanvas& canvas, const Chart& chart, double width, double height) {
    const PlotArea area = layoutPlot(chart, width, height);
    canvas.text(kLeft, 18, chart.title, 13, kTextColor, ChartCanvas::Anchor::start, true, false,
                false);
    drawTicks(canvas, chart, area);
    if (chart.style == Chart::Style::bars) {
        drawBars(canvas, chart, area);
    } else {
        drawSteps(canvas, chart, area);
    }
    drawTargetAndMarkers(canvas, chart, area);
    drawAxes(canvas, chart, area);
}

namespace {

class SvgCanvas final : public ChartCanvas {
public:
    std::string svg;

    void fillRect(double x, double y, double width, double height,
                  const std::string& color) override {
        svg += "<rect x=\"" + coordinate(x) + "\" y=\"" + coordinate(y) + "\" width=\"" +
               coordinate(width) + "\" height=\"" + coordinate(height) + "\" fill=\"" + color +
               "\" shape-rendering=\"crispEdges\"/>";
    }
    void line(double x1, double y1, double x2, double y2, const std::string& color, double width,
              bool dashed) override {
        svg += "<line x1=\"" + coordinate(x1) + "\" y1=\"" + coordinate(y1) + "\" x2=\"" +
               coordinate(x2) + "\" y2=\"" + coordinate(y2) + "\" stroke=\"" + color +
               "\" stroke-width=\"" + coordinate(width) + "\"" +
               (dashed ? " stroke-dasharray=\"6 4\"" : "") + "/>";
    }
    void polyline(const std::vector<ChartPoint>& points, const std::string& color,
                  double width) override {
        svg += "<polyline fill=\"none\" stroke=\"" + color + "\" stroke-width=\"" +
               coordinate(width) + "\" points=\"";
        for (const ChartPoint& p : points) {
            svg += coordinate(p.x) + "," + coordinate(p.y) + " ";
        }
        svg += "\"/>";
    }
    void text(double x, double y, const std::string& content, double size, const std::string& color,
              Anchor anchor, bool bold, bool vertical, bool halo) override {
        static const char* const kAnchors[] = {"start", "middle", "end"};
        svg += "<text x=\"" + coordinate(x) + "\" y=\"" + coordinate(y) + "\" font-size=\"" +
               coordinate(size) + "\" fill=\"" + color + "\" text-anchor=\"" +
               kAnchors[static_cast<int>(anchor)] + "\"" + (bold ? " font-weight=\"bold\"" : "") +
               (halo ? " stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\"" : "") +
               (vertical ? " transform=\"rotate(-90 " + coordinate(x) + " " + coordinate(y) + ")\""
                         : "") +
               ">" + htmlEscape(content) + "</text>";
    }

private:
    static std::string coordinate(double value) {
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "%.1f", value);
        return buffer;
    }
};

}  // namespace

std::string chartToSvg(const Chart& chart, double width, double height) {
    SvgCanvas canvas;
    char header[256];
    std::snprintf(header, sizeof header,
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" "
                  "role=\"img\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">",
                  width, height);
    canvas.svg = header;
    canvas.svg += "<title>" + htmlEscape(chart.title) + "</title>";
    drawChart(canvas, chart, width, height);
    canvas.svg += "</svg>";
    return canvas.svg;
}

}  // namespace understudy::sizing::report
