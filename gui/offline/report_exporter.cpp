#include "gui/offline/report_exporter.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <cstdio>

#include "sizing/report/report_writer.h"
#include "sizing/result_csv.h"

Q_LOGGING_CATEGORY(lcExport, "understudy.console.export", QtInfoMsg)

namespace understudy::gui {

namespace {

QString writeCsv(const sizing::SizingResult& result, const QString& path) {
    QFile file(path);
    const std::string text = sizing::resultToCsv(result);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) ||
        file.write(text.data(), static_cast<qint64>(text.size())) !=
            static_cast<qint64>(text.size()) ||
        !file.flush()) {
        return QObject::tr("%1; check that the folder exists, is writable and has space")
            .arg(file.errorString());
    }
    return {};
}

}  // namespace

std::optional<ReportKind> reportKindForPath(const QString& path) {
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix == QLatin1String("pdf")) {
        return ReportKind::pdf;
    }
    if (suffix == QLatin1String("html") || suffix == QLatin1String("htm")) {
        return ReportKind::html;
    }
    if (suffix == QLatin1String("csv")) {
        return ReportKind::csv;
    }
    return std::nullopt;
}

ReportExporter::ReportExporter(QObject* parent) : QObject(parent) {
    pool_.setMaxThreadCount(1);
}

ReportExporter::~ReportExporter() {
    pool_.waitForDone();
}

void ReportExporter::start(std::shared_ptr<const SizingSnapshot> snapshot, ReportKind kind,
                           const QString& path, const QString& source,
                           std::vector<sizing::report::ReportSection> sections) {
    const quint64 job = ++job_;
    running_ = true;
    cancelled_ = false;
    const QFileInfo target(path);
    const QString temporary = target.absoluteDir().filePath(
        QStringLiteral(".%1.%2.partial").arg(target.fileName()).arg(job));
    sizing::report::ReportOptions options;
    options.source = source.toStdString();
    options.generated_at = QDateTime::currentDateTimeUtc()
                               .toString(QStringLiteral("yyyy-MM-dd HH:mm 'UTC'"))
                               .toStdString();
    options.sections = std::move(sections);
    pool_.start([this, job, snapshot, kind, temporary, path, options] {
        QString error;
        if (kind == ReportKind::csv) {
            error = writeCsv(snapshot->result, temporary);
        } else {
            const Status written = sizing::report::writeReport(
                snapshot->result, snapshot->fleet,
                kind == ReportKind::pdf ? sizing::report::ReportFormat::pdf
                                        : sizing::report::ReportFormat::html,
                temporary.toStdString(), options);
            if (!written) {
                error = QString::fromStdString(written.error().message);
            }
        }
        QMetaObject::invokeMethod(
            this, [this, job, temporary, path, error] { done(job, temporary, path, error); },
            Qt::QueuedConnection);
    });
}

void ReportExporter::cancel() {
    if (running_) {
        cancelled_ = true;
        running_ = false;
    }
}

void ReportExporter::done(quint64 job, const QString& temporary, const QString& path,
                          const QString& error) {
    const bool current = job == job_ && !cancelled_;
    if (!current) {
        QFile::remove(temporary);
        qCInfo(lcExport) << "discarded a cancelled export to" << path;
        return;
    }
    running_ = false;
    if (!error.isEmpty()) {
        QFile::remove(temporary);
        emit finished(
            false, path,
            tr("Could not write the report to %1: %2. Or choose another file.").arg(path, error));
        return;
    }
    // rename(2) replaces an existing report in one step.
    if (std::rename(QFile::encodeName(temporary).constData(),
                    QFile::encodeName(path).constData()) != 0) {
        QFile::remove(temporary);
        emit finished(false, path,
                      tr("Could not put the report in place at %1. Check that the folder is "
                         "writable, or choose another file.")
                          .arg(path));
        return;
    }
    emit finished(true, path, QString());
}

}  // namespace understudy::gui
