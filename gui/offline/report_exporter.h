// Writes a sizing report (PDF, HTML or CSV) on a worker thread. The report goes to a sibling
// temporary file and is renamed into place when it is complete, so a cancelled or failed export
// never leaves half a file under the chosen name. Cancelling discards the result: the worker
// cannot be interrupted inside the report writer, so its file is removed when it finishes.
#pragma once

#include <QObject>
#include <QString>
#include <QThreadPool>
#include <memory>
#include <optional>
#include <vector>

#include "gui/offline/sizing_runner.h"
#include "sizing/report/report_writer.h"

namespace understudy::gui {

enum class ReportKind { pdf, html, csv };

// By the file's extension (any case); nothing for other extensions.
std::optional<ReportKind> reportKindForPath(const QString& path);

class ReportExporter : public QObject {
    Q_OBJECT
public:
    explicit ReportExporter(QObject* parent = nullptr);
    ~ReportExporter() override;

    // `source` is shown under the report's title (the fleet file's name); `sections` follow
    // the answer in PDF and HTML (CSV holds the result's tables only).
    void start(std::shared_ptr<const SizingSnapshot> snapshot, ReportKind kind, const QString& path,
               const QString& source, std::vector<sizing::report::ReportSection> sections = {});
    void cancel();
    bool running() const { return running_; }
    // No worker is writing (a cancelled export may still be finishing in the background).
    bool workerIdle() const { return pool_.activeThreadCount() == 0; }

signals:
    // ok false: message says what failed on which path and what to do.
    void finished(bool ok, const QString& path, const QString& message);

private:
    void done(quint64 job, const QString& temporary, const QString& path, const QString& error);

    QThreadPool pool_;
    quint64 job_ = 0;
    bool running_ = false;
    bool cancelled_ = false;
};

}  // namespace understudy::gui
