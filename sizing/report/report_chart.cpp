#include "sizing/report/report_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

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
    const double plotWidth = width - kLeft - kRight;
    const double plotHeight = height - kTop - kBottom;
    const double bottomY = kTop + plotHeight;

    double xMin = chart.points.empty() ? 0 : chart.points.front().x;
    double xMax = chart.points.empty() ? 1 : chart.points.back().x;
    double smallest = 1;
    for (const ChartPoint& p : chart.points) {
        if (p.y > 0) {
            smallest = std::min(smallest, p.y);
        }
    }
    for (const ChartMarker& marker : chart.markers) {
        xMin = std::min(xMin, marker.x);
        xMax = std::max(xMax, marker.x);
    }
    if (chart.style == Chart::Style::bars) {
        xMin -= chart.bar_width / 2;
        xMax += chart.bar_width / 2;
    }
    const double xPad = (xMax - xMin) * 0.03 + (xMax == xMin ? 1 : 0);
    xMin -= xPad;
    xMax += xPad;
    int lowDecade = static_cast<int>(std::floor(std::log10(smallest)));
    if (chart.target) {
        lowDecade =
            std::min(lowDecade, static_cast<int>(std::floor(std::log10(*chart.target))) - 1);
    }
    lowDecade = std::clamp(lowDecade, kLowestDecade, -1);

    const auto px = [&](double x) { return kLeft + (x - xMin) / (xMax - xMin) * plotWidth; };
    const auto py = [&](double y) {
        if (y <= 0) {
            return bottomY;
        }
        const double decades = std::clamp(std::log10(y), static_cast<double>(lowDecade), 0.0);
        return kTop + (-decades) / (-lowDecade) * plotHeight;
    };

    canvas.text(kLeft, 18, chart.title, 13, kTextColor, ChartCanvas::Anchor::start, true, false,
                false);

    // log y axis: a grid line per decade, labelled sparsely enough to stay legible
    const int labelEvery = (-lowDecade + 7) / 8;
    for (int decade = 0; decade >= lowDecade; --decade) {
        const double y = py(std::pow(10.0, decade));
        if ((-decade) % labelEvery == 0) {
            canvas.line(kLeft, y, kLeft + plotWidth, y, kGridColor, 1, false);
            canvas.text(kLeft - 6, y + 4, powerOfTenLabel(decade), 10.5, kAxisColor,
                        ChartCanvas::Anchor::end, false, false, false);
        }
    }
    const double xStep = niceStep((xMax - xMin) / chart.x_divisor, 6);
    for (double tick = std::ceil(xMin / chart.x_divisor / xStep) * xStep;
         tick <= xMax / chart.x_divisor + 1e-9; tick += xStep) {
        const double x = px(tick * chart.x_divisor);
        canvas.line(x, bottomY, x, bottomY + 4, kAxisColor, 1, false);
        canvas.text(x, bottomY + 16, axisNumber(tick, xStep), 10.5, kAxisColor,
                    ChartCanvas::Anchor::middle, false, false, false);
    }

    if (chart.style == Chart::Style::bars) {
        // One bar per pixel column keeps the SVG small for long distributions; the tallest
        // bar of a column is what the eye would see anyway.
        std::map<long, double> columns;
        const double barPixels = std::max(1.0, chart.bar_width / (xMax - xMin) * plotWidth * 0.8);
        for (const ChartPoint& p : chart.points) {
            if (p.y > 0) {
                double& tallest = columns[std::lround(px(p.x))];
                tallest = std::max(tallest, p.y);
            }
        }
        for (const auto& [column, y] : columns) {
            const double top = py(y);
            canvas.fillRect(static_cast<double>(column) - barPixels / 2, top, barPixels,
                            bottomY - top, kSeriesColor);
        }
    } else {
        std::vector<ChartPoint> curve;
        const auto add = [&](double x, double y) {
            if (curve.size() >= 2 && curve.back().y == y && curve[curve.size() - 2].y == y) {
                curve.back().x = x;
            } else {
                curve.push_back({x, y});
            }
        };
        add(kLeft, py(1));
        for (std::size_t k = 0; k < chart.points.size(); ++k) {
            const double y = py(chart.points[k].y);
            add(px(chart.points[k].x), curve.back().y);
            add(px(chart.points[k].x), y);
            if (chart.points[k].y <= 0) {
                break;
            }
            const double next =
                k + 1 < chart.points.size() ? px(chart.points[k + 1].x) : kLeft + plotWidth;
            add(next, y);
        }
        // A long distribution puts many steps into one pixel column; the column's first and
        // last point draw the same picture, so the SVG and PDF stay small for any length.
        std::vector<ChartPoint> drawn;
        for (const ChartPoint& p : curve) {
            if (drawn.size() >= 2 && std::abs(p.x - drawn.back().x) < 0.5 &&
                std::abs(p.x - drawn[drawn.size() - 2].x) < 0.5) {
                drawn.back() = p;
            } else {
                drawn.push_back(p);
            }
        }
        canvas.polyline(drawn, kSeriesColor, 2);
    }

    // Lines first, labels after, so no line crosses a label.
    if (chart.target) {
        const double y = py(*chart.target);
        canvas.line(kLeft, y, kLeft + plotWidth, y, "#c0392b", 1.5, true);
    }
    std::vector<const ChartMarker*> sorted;
    for (const ChartMarker& marker : chart.markers) {
        sorted.push_back(&marker);
        canvas.line(px(marker.x), kTop, px(marker.x), bottomY, marker.color, 1.5, true);
    }
    if (chart.target) {
        canvas.text(kLeft + plotWidth - 4, py(*chart.target) - 5, chart.target_label, 10.5,
                    "#c0392b", ChartCanvas::Anchor::end, true, false, true);
    }
    // A label sits beside its line, away from the neighbouring marker. Both charts fall from
    // left to right, so above-right and below-left of a line are where they leave room: labels
    // to the right of their line hang from the top, labels to the left stand on the axis.
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const auto* a, const auto* b) { return a->x < b->x; });
    int rowsRight = 0;
    int rowsLeft = 0;
    for (std::size_t i = 0; i < sorted.size(); ++i) {
        const double x = px(sorted[i]->x);
        // about 6.5 pixels per character at the labels' size
        const double labelWidth = 6.5 * static_cast<double>(sorted[i]->label.size()) + 8;
        const bool roomRight = x + labelWidth < kLeft + plotWidth;
        const bool roomLeft = x - labelWidth > kLeft;
        bool right = roomRight || !roomLeft;
        if (i == 0 && sorted.size() > 1 && roomLeft) {
            right = false;
        }
        const double y = right ? kTop + 12 + 14 * rowsRight++ : bottomY - 6 - 14 * rowsLeft++;
        canvas.text(right ? x + 5 : x - 5, y, sorted[i]->label, 10.5, sorted[i]->color,
                    right ? ChartCanvas::Anchor::start : ChartCanvas::Anchor::end, true, false,
                    true);
    }

    canvas.line(kLeft, kTop, kLeft, bottomY, kAxisColor, 1, false);
    canvas.line(kLeft, bottomY, kLeft + plotWidth, bottomY, kAxisColor, 1, false);
    canvas.text(kLeft + plotWidth / 2, height - 8, chart.x_label, 11, kTextColor,
                ChartCanvas::Anchor::middle, false, false, false);
    canvas.text(14, kTop + plotHeight / 2, chart.y_label, 11, kTextColor,
                ChartCanvas::Anchor::middle, false, true, false);
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
