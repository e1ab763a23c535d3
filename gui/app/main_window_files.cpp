// The main window's file work: saving the what-if's fleet, exporting the report, adding the
// clusters of another fleet file, and the dialogs that choose those files.
#include "gui/app/main_window.h"

#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QProgressDialog>
#include <QSaveFile>
#include <QStatusBar>
#include <algorithm>

#include "gui/online/online_console.h"
#include "gui/online/service_connection.h"
#include "gui/online/service_what_if_view.h"
#include "gui/widgets/console_settings.h"
#include "gui/widgets/quantity_format.h"
#include "sizing/fleet_file.h"

namespace understudy::gui {

Status MainWindow::addClustersFromFile(const QString& path) {
    Result<sizing::Fleet> loaded = sizing::loadFleetFile(QFile::encodeName(path).toStdString());
    if (!loaded) {
        return loaded.error();
    }
    sizing::Fleet candidate = fleet_;
    for (const sizing::GroupSpec& group : loaded->groups) {
        if (std::none_of(
                candidate.groups.begin(), candidate.groups.end(),
                [&](const sizing::GroupSpec& known) { return known.name == group.name; })) {
            candidate.groups.push_back(group);
        }
    }
    candidate.clusters.insert(candidate.clusters.end(), loaded->clusters.begin(),
                              loaded->clusters.end());
    Status valid = sizing::validateFleet(candidate, QFileInfo(path).fileName().toStdString());
    if (!valid) {
        return valid;
    }
    fleet_ = std::move(candidate);
    setModified(true);
    statusBar()->showMessage(
        tr("Added %1 from %2 to the what-if")
            .arg(countOf(static_cast<std::int64_t>(loaded->clusters.size()), tr("cluster")),
                 QFileInfo(path).fileName()),
        5000);
    recompute(true);
    return Done{};
}

void MainWindow::addFromFileDialog() {
    if (!open_) {
        return;
    }
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Add clusters from a fleet file"), QFileInfo(path_).absolutePath(),
        tr("Fleet files (*.json *.csv);;All files (*)"));
    if (path.isEmpty()) {
        return;
    }
    if (Status added = addClustersFromFile(path); !added) {
        showError(
            tr("Clusters not added"),
            tr("%1\n\nNothing was added.").arg(QString::fromStdString(added.error().describe())));
    }
}

Status MainWindow::saveFleet(const QString& path) {
    sizing::Fleet toSave = fleet_;
    if (!fileHasAppliance_ && !capacityEdited_) {
        toSave.appliances.clear();
    }
    const std::string text = sizing::fleetToJson(toSave);
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) ||
        file.write(text.data(), static_cast<qint64>(text.size())) !=
            static_cast<qint64>(text.size()) ||
        !file.commit()) {
        const QString message = tr("Could not save the fleet to %1: %2. Check that the folder "
                                   "exists and is writable, or choose another file.")
                                    .arg(path, file.errorString());
        showError(tr("Save failed"), message);
        return Error{"io", message.toStdString(), path.toStdString()};
    }
    path_ = QFileInfo(path).absoluteFilePath();
    fileFleet_ = toSave;
    fileHasAppliance_ = !toSave.appliances.empty();
    setModified(false);
    modeLabel_->setText(tr("Offline — %1").arg(QFileInfo(path_).fileName()));
    consoleSettings().setValue(QStringLiteral("lastFile"), path_);
    statusBar()->showMessage(tr("Saved %1").arg(path_), 5000);
    return Done{};
}

void MainWindow::save() {
    if (!open_) {
        return;
    }
    // Only JSON keeps groups, appliances and the policy; a CSV fleet is saved as JSON beside it.
    if (QFileInfo(path_).suffix().compare(QLatin1String("json"), Qt::CaseInsensitive) != 0) {
        saveAs();
        return;
    }
    (void)saveFleet(path_);
}

void MainWindow::saveAs() {
    if (!open_) {
        return;
    }
    const QFileInfo info(path_);
    const QString suggested =
        info.absoluteDir().filePath(info.completeBaseName() + QStringLiteral(".json"));
    const QString path = QFileDialog::getSaveFileName(this, tr("Save fleet as"), suggested,
                                                      tr("JSON fleet file (*.json)"));
    if (!path.isEmpty()) {
        (void)saveFleet(path);
    }
}

Status MainWindow::exportReport(const QString& path) {
    const std::optional<ReportKind> kind = reportKindForPath(path);
    if (!kind) {
        const QString message = tr("Cannot export to %1: the name must end in .pdf, .html or "
                                   ".csv to choose the format.")
                                    .arg(path);
        showError(tr("Export failed"), message);
        return Error{"invalid_path", message.toStdString(), path.toStdString()};
    }
    if (!snapshot_ || !snapshot_->error.isEmpty()) {
        const QString message = tr("There is no result to export yet; open a fleet file first.");
        showError(tr("Export failed"), message);
        return Error{"no_result", message.toStdString(), path.toStdString()};
    }
    if (exportProgress_ == nullptr) {
        exportProgress_ = new QProgressDialog(this);
        exportProgress_->setObjectName(QStringLiteral("exportProgress"));
        exportProgress_->setWindowTitle(tr("Exporting report"));
        exportProgress_->setRange(0, 0);
        exportProgress_->setMinimumDuration(0);
        exportProgress_->setWindowModality(Qt::WindowModal);
        exportProgress_->setAutoReset(false);
        exportProgress_->setAutoClose(false);
        connect(exportProgress_, &QProgressDialog::canceled, this, [this] {
            exportProgress_->hide();
            exporter_->cancel();
            statusBar()->showMessage(tr("Export cancelled; nothing was written"), 5000);
        });
    }
    exportProgress_->setLabelText(tr("Writing %1…").arg(QFileInfo(path).fileName()));
    exportProgress_->show();
    const QString source = live_
                               ? tr("the live fleet of %1").arg(online_->connection()->url().host())
                               : QFileInfo(path_).fileName();
    // A what-if on the live fleet carries its scenario: what was taken over and the service's
    // answer.
    exporter_->start(snapshot_, *kind, path, source,
                     live_ && !liveView_ ? serviceView_->reportSections()
                                         : std::vector<sizing::report::ReportSection>{});
    return Done{};
}

void MainWindow::exportFinished(bool ok, const QString& path, const QString& message) {
    if (exportProgress_ != nullptr) {
        exportProgress_->reset();
        exportProgress_->hide();
    }
    if (ok) {
        statusBar()->showMessage(tr("Report written to %1").arg(path), 10000);
        QSettings settings = consoleSettings();
        settings.setValue(QStringLiteral("lastExportDir"), QFileInfo(path).absolutePath());
    } else {
        showError(tr("Export failed"), message);
    }
}

QString MainWindow::suggestedReportName() const {
    QString stem = QFileInfo(path_).completeBaseName();
    if (live_) {
        // One appliance names the report; several are named by the service they share.
        stem = live_->appliances.size() == 1
                   ? QString::fromStdString(live_->appliances.front().name)
                   : online_->connection()->url().host();
    }
    if (stem.isEmpty()) {
        stem = QStringLiteral("fleet");
    }
    return stem + QStringLiteral("-sizing.pdf");
}

void MainWindow::exportDialog() {
    if (!snapshot_) {
        return;
    }
    QSettings settings = consoleSettings();
    const QString folder =
        settings.value(QStringLiteral("lastExportDir"), QFileInfo(path_).absolutePath()).toString();
    QString filter;
    const QString suggested = QDir(folder).filePath(suggestedReportName());
    QString path = QFileDialog::getSaveFileName(
        this, tr("Export sizing report"), suggested,
        tr("PDF report (*.pdf);;HTML report (*.html);;CSV tables (*.csv)"), &filter);
    if (path.isEmpty()) {
        return;
    }
    if (!reportKindForPath(path)) {
        const QString extension = filter.contains(QLatin1String("html"))  ? QStringLiteral(".html")
                                  : filter.contains(QLatin1String("csv")) ? QStringLiteral(".csv")
                                                                          : QStringLiteral(".pdf");
        path += extension;
    }
    (void)exportReport(path);
}

void MainWindow::openDialog() {
    if (!confirmDiscard()) {
        return;
    }
    const QString folder = path_.isEmpty() ? QString() : QFileInfo(path_).absolutePath();
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open fleet file"), folder, tr("Fleet files (*.json *.csv);;All files (*)"));
    if (!path.isEmpty()) {
        (void)openFleet(path);
    }
}

}  // namespace understudy::gui
