// Shared by the console's GUI tests: settings kept in a temporary folder, the sample fleet, and
// waiting for the what-if's answer.
#pragma once

#include <QAction>
#include <QApplication>
#include <QSettings>
#include <QStyleFactory>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

#include "gui/app/main_window.h"
#include "gui/offline/clusters_view.h"
#include "gui/offline/sizing_runner.h"
#include "tests/support/source_files.h"

namespace understudy::gui::testing {

inline QString sampleFleetPath() {
    return testsupport::sourcePath(QStringLiteral("examples/sample-fleet.json"));
}

// QSettings of the console, and the files it keeps beside them (a remembered token), go to
// `dir`, never to the user's own configuration.
inline void isolateSettings(const QTemporaryDir& dir) {
    // QStandardPaths reads these at each call, so this holds for the rest of the test.
    qputenv("XDG_CONFIG_HOME", QFile::encodeName(dir.filePath(QStringLiteral("config"))));
    qputenv("XDG_DATA_HOME", QFile::encodeName(dir.filePath(QStringLiteral("data"))));
    qputenv("XDG_CACHE_HOME", QFile::encodeName(dir.filePath(QStringLiteral("cache"))));
    QApplication::setOrganizationName(QStringLiteral("Understudy"));
    QApplication::setApplicationName(QStringLiteral("understudy-console"));
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, dir.path());
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, dir.path());
    QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
}

// For a test against a real service: isolated settings, no token from the environment, and
// never the desktop's keyring (a remembered token goes to a file under `dir`).
inline void isolateOnlineSettings(const QTemporaryDir& dir) {
    isolateSettings(dir);
    qunsetenv("UNDERSTUDY_TOKEN");
    qputenv("UNDERSTUDY_CONSOLE_NO_KEYRING", "1");
}

// True once the runner is idle and the views show its newest answer.
inline bool showsLatestResult(const MainWindow& window) {
    const auto snapshot = window.snapshot();
    return !window.runner()->busy() && snapshot &&
           snapshot->generation == window.runner()->latestGeneration();
}

// Selects `names` in the clusters view and fails them over together (the what-if's action).
inline void failOverTogether(MainWindow& window, const QStringList& names) {
    QTableView* table = window.clustersView()->table();
    const QAbstractItemModel* model = table->model();
    for (int row = 0; row < model->rowCount(); ++row) {
        if (names.contains(model->index(row, 0).data().toString())) {
            table->selectionModel()->select(
                model->index(row, 0), QItemSelectionModel::Select | QItemSelectionModel::Rows);
        }
    }
    window.findChild<QAction*>(QStringLiteral("failAction"))->trigger();
}

}  // namespace understudy::gui::testing
