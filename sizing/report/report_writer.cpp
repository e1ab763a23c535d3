#include "sizing/report/report_writer.h"

#include <QByteArray>
#include <QCoreApplication>
#include <QGuiApplication>
#include <QSaveFile>

#include "base/error_codes.h"
#include "sizing/report/report_html.h"
#include "sizing/report/report_pdf.h"

namespace understudy::sizing::report {

std::string renderHtmlReport(const SizingResult& result, const Fleet& fleet,
                             const ReportOptions& options) {
    return buildReportHtml(result, fleet, options, HtmlDialect::browser).html;
}

Status writeReport(const SizingResult& result, const Fleet& fleet, ReportFormat format,
                   const std::string& path, const ReportOptions& options) {
    if (format == ReportFormat::pdf) {
        if (qobject_cast<QGuiApplication*>(QCoreApplication::instance()) == nullptr) {
            return Error{"no_gui_application",
                         "writing a PDF report needs a QGuiApplication; create one first, for "
                         "example with ensureGuiApplication()",
                         path};
        }
        return writePdfReport(result, fleet, options, path);
    }
    const std::string html = renderHtmlReport(result, fleet, options);
    // Written to a temporary file and renamed, so a failed write never leaves half a report.
    QSaveFile file(QString::fromStdString(path));
    if (!file.open(QIODevice::WriteOnly) ||
        file.write(html.data(), static_cast<qint64>(html.size())) !=
            static_cast<qint64>(html.size()) ||
        !file.commit()) {
        return Error{errc::kIo,
                     "cannot write the HTML report (" + file.errorString().toStdString() +
                         "); check that the folder exists, is writable and has space",
                     path};
    }
    return Done{};
}

std::unique_ptr<QGuiApplication> ensureGuiApplication(int& argc, char** argv) {
    if (QCoreApplication::instance() != nullptr) {
        return nullptr;
    }
    // A report never shows a window; offscreen also survives a forwarded DISPLAY that is gone.
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) {
        qputenv("QT_QPA_PLATFORM", QByteArrayLiteral("offscreen"));
    }
    return std::make_unique<QGuiApplication>(argc, argv);
}

}  // namespace understudy::sizing::report
