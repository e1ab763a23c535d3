#include "sizing/report/report_pdf.h"

#include <QAbstractTextDocumentLayout>
#include <QFont>
#include <QFontMetricsF>
#include <QPageLayout>
#include <QPainter>
#include <QPainterPath>
#include <QPdfWriter>
#include <QSaveFile>
#include <QTextBlock>
#include <QTextCursor>
#include <QTextDocument>
#include <QTextFragment>
#include <QTextObjectInterface>

#include "base/error_codes.h"
#include "sizing/report/report_html.h"

namespace understudy::sizing::report {

namespace {

// Layout units are CSS pixels (96 per inch), the unit the charts are drawn in.
constexpr int kDpi = 96;
constexpr double kMillimetre = kDpi / 25.4;
constexpr double kMarginSide = 18 * kMillimetre;
constexpr double kMarginTop = 20 * kMillimetre;
constexpr double kMarginBottom = 18 * kMillimetre;
constexpr int kChartObjectType = QTextFormat::UserObject + 1;
const char* const kFontFamily = "DejaVu Sans";

class PainterCanvas final : public ChartCanvas {
public:
    explicit PainterCanvas(QPainter& painter) : painter_(painter) {}

    void fillRect(double x, double y, double width, double height,
                  const std::string& color) override {
        painter_.fillRect(QRectF(x, y, width, height), QColor(QString::fromStdString(color)));
    }
    void line(double x1, double y1, double x2, double y2, const std::string& color, double width,
              bool dashed) override {
        painter_.setPen(pen(color, width, dashed));
        painter_.drawLine(QPointF(x1, y1), QPointF(x2, y2));
    }
    void polyline(const std::vector<ChartPoint>& points, const std::string& color,
                  double width) override {
        QPolygonF polygon;
        for (const ChartPoint& p : points) {
            polygon << QPointF(p.x, p.y);
        }
        painter_.setPen(pen(color, width, false));
        painter_.drawPolyline(polygon);
    }
    void text(double x, double y, const std::string& content, double size, const std::string& color,
              Anchor anchor, bool bold, bool vertical, bool halo) override {
        QFont font(kFontFamily);
        // size is in pixels of the chart; at kDpi a point is 4/3 pixel
        font.setPointSizeF(size * 72.0 / kDpi);
        font.setBold(bold);
        const QString text = QString::fromStdString(content);
        const double width = QFontMetricsF(font, painter_.device()).horizontalAdvance(text);
        const double shift = anchor == Anchor::start    ? 0
                             : anchor == Anchor::middle ? width / 2
                                                        : width;
        painter_.save();
        painter_.setFont(font);
        painter_.setPen(QColor(QString::fromStdString(color)));
        painter_.translate(x, y);
        if (vertical) {
            painter_.rotate(-90);
        }
        if (halo) {
            QPainterPath outline;
            outline.addText(QPointF(-shift, 0), font, text);
            painter_.strokePath(outline,
                                QPen(Qt::white, 3, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
        }
        painter_.drawText(QPointF(-shift, 0), text);
        painter_.restore();
    }

private:
    static QPen pen(const std::string& color, double width, bool dashed) {
        QPen pen(QColor(QString::fromStdString(color)), width);
        if (dashed) {
            pen.setDashPattern({6.0 / width, 4.0 / width});
        }
        pen.setCapStyle(Qt::FlatCap);
        return pen;
    }
    QPainter& painter_;
};

// Draws the charts where the rich text has <img src="chart:N">, as vectors rather than images.
class ChartObject final : public QObject, public QTextObjectInterface {
    Q_OBJECT
    Q_INTERFACES(QTextObjectInterface)
public:
    explicit ChartObject(std::vector<Chart> charts) : charts_(std::move(charts)) {}

    QSizeF intrinsicSize(QTextDocument*, int, const QTextFormat& format) override {
        const QTextImageFormat image = format.toImageFormat();
        return {image.width(), image.height()};
    }
    void drawObject(QPainter* painter, const QRectF& rect, QTextDocument*, int,
                    const QTextFormat& format) override {
        const std::size_t index = format.toImageFormat().name().mid(6).toULongLong();
        if (index >= charts_.size()) {
            return;
        }
        painter->save();
        painter->translate(rect.topLeft());
        painter->scale(rect.width() / kPageChartWidth, rect.height() / kPageChartHeight);
        PainterCanvas canvas(*painter);
        drawChart(canvas, charts_[index], kPageChartWidth, kPageChartHeight);
        painter->restore();
    }

private:
    std::vector<Chart> charts_;
};

void useChartObjects(QTextDocument& document) {
    std::vector<std::pair<int, QTextImageFormat>> charts;
    for (QTextBlock block = document.begin(); block.isValid(); block = block.next()) {
        for (auto it = block.begin(); !it.atEnd(); ++it) {
            const QTextFragment fragment = it.fragment();
            const QTextCharFormat format = fragment.charFormat();
            if (format.isImageFormat() &&
                format.toImageFormat().name().startsWith(QLatin1String("chart:"))) {
                charts.emplace_back(fragment.position(), format.toImageFormat());
            }
        }
    }
    for (auto& [position, format] : charts) {
        QTextCursor cursor(&document);
        cursor.setPosition(position);
        cursor.setPosition(position + 1, QTextCursor::KeepAnchor);
        format.setObjectType(kChartObjectType);
        cursor.setCharFormat(format);
    }
}

void drawPageFrame(QPainter& painter, const QSizeF& page, int index, int count,
                   const ReportOptions& options) {
    const QColor navy("#1f3a5f");
    const QColor grey("#5f6b7a");
    painter.fillRect(QRectF(0, 0, page.width(), 5), navy);
    QFont font(kFontFamily);
    font.setPointSizeF(7.5);
    painter.setFont(font);
    painter.setPen(grey);
    const double right = page.width() - kMarginSide;
    const double footerY = page.height() - kMarginBottom / 2;
    if (index > 0) {
        const double headerY = kMarginTop / 2;
        painter.drawText(QPointF(kMarginSide, headerY), QString::fromStdString(options.title));
        if (!options.source.empty()) {
            const QString source = QString::fromStdString(options.source);
            painter.drawText(
                QPointF(right - QFontMetricsF(font, painter.device()).horizontalAdvance(source),
                        headerY),
                source);
        }
        painter.setPen(QPen(QColor("#d5dbe2"), 0.75));
        painter.drawLine(QPointF(kMarginSide, headerY + 5), QPointF(right, headerY + 5));
        painter.setPen(grey);
    }
    const QString pageText = QStringLiteral("Page %1 of %2").arg(index + 1).arg(count);
    painter.drawText(
        QPointF(right - QFontMetricsF(font, painter.device()).horizontalAdvance(pageText), footerY),
        pageText);
    const QString left = options.generated_at.empty()
                             ? QStringLiteral("Understudy sizing report")
                             : QStringLiteral("Understudy sizing report · generated %1")
                                   .arg(QString::fromStdString(options.generated_at));
    painter.drawText(QPointF(kMarginSide, footerY), left);
}

}  // namespace

Status writePdfReport(const SizingResult& result, const Fleet& fleet, const ReportOptions& options,
                      const std::string& path) {
    const QString fileName = QString::fromStdString(path);
    QSaveFile file(fileName);
    if (!file.open(QIODevice::WriteOnly)) {
        return Error{errc::kIo,
                     "cannot create the PDF report (" + file.errorString().toStdString() +
                         "); check that the folder exists and is writable",
                     path};
    }
    QPdfWriter writer(&file);
    writer.setResolution(kDpi);
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize::A4), QPageLayout::Portrait, QMarginsF()));
    writer.setTitle(QString::fromStdString(options.title));
    writer.setCreator(QStringLiteral("Understudy"));

    ReportHtml content = buildReportHtml(result, fleet, options, HtmlDialect::qt_rich_text);
    QTextDocument document;
    document.documentLayout()->setPaintDevice(&writer);
    document.setUseDesignMetrics(true);
    document.setDocumentMargin(0);
    QFont base(kFontFamily);
    base.setPointSizeF(9);
    document.setDefaultFont(base);
    document.setDefaultStyleSheet(QString::fromUtf8(pageStyleSheet()));
    ChartObject charts(std::move(content.charts));
    document.documentLayout()->registerHandler(kChartObjectType, &charts);
    document.setHtml(QString::fromStdString(content.html));
    useChartObjects(document);

    const QSizeF page(writer.width(), writer.height());
    const QSizeF body(page.width() - 2 * kMarginSide, page.height() - kMarginTop - kMarginBottom);
    document.setPageSize(body);
    const int pages = document.pageCount();

    QPainter painter;
    if (!painter.begin(&writer)) {
        return Error{errc::kIo, "cannot start drawing the PDF report; check the disk has space",
                     path};
    }
    painter.setRenderHint(QPainter::Antialiasing);
    for (int i = 0; i < pages; ++i) {
        if (i > 0) {
            writer.newPage();
        }
        drawPageFrame(painter, page, i, pages, options);
        painter.save();
        painter.translate(kMarginSide, kMarginTop - i * body.height());
        QAbstractTextDocumentLayout::PaintContext context;
        context.clip = QRectF(0, i * body.height(), body.width(), body.height());
        painter.setClipRect(context.clip);
        document.documentLayout()->draw(&painter, context);
        painter.restore();
    }
    painter.end();
    if (!file.commit()) {
        return Error{errc::kIo,
                     "cannot write the PDF report (" + file.errorString().toStdString() +
                         "); check the disk has space and the folder is writable",
                     path};
    }
    return Done{};
}

}  // namespace understudy::sizing::report

#include "report_pdf.moc"
