// The console's what-if on the standard benchmark fleet (10,000 clusters): how long from an edit
// to the views showing its answer, and the longest the UI thread was busy meanwhile (a 1 ms timer
// measures the largest gap between its ticks). Runs offscreen.
#include <benchmark/benchmark.h>

#include <QApplication>
#include <QElapsedTimer>
#include <QSettings>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include "gui/app/main_window.h"
#include "gui/offline/what_if_panel.h"

using namespace understudy::gui;

namespace {

QString benchmarkFleetPath() {
    if (const char* given = std::getenv("UNDERSTUDY_BENCH_FLEET")) {
        return QString::fromLocal8Bit(given);
    }
    const std::string path =
        (std::filesystem::temp_directory_path() / "understudy-bench-fleet.json").string();
    const std::string command = "python3 " UNDERSTUDY_MAKE_FLEET " --output " + path;
    if (std::system(command.c_str()) != 0) {
        std::cerr << "cannot run " UNDERSTUDY_MAKE_FLEET "; set UNDERSTUDY_BENCH_FLEET\n";
        std::exit(2);
    }
    return QString::fromStdString(path);
}

bool showsLatest(const MainWindow& window) {
    const auto snapshot = window.snapshot();
    return !window.runner()->busy() && snapshot &&
           snapshot->generation == window.runner()->latestGeneration();
}

void BM_WhatIfEditToShownResult(benchmark::State& state) {
    MainWindow window;
    window.resize(1600, 1000);
    window.show();
    if (!window.openFleet(benchmarkFleetPath()).ok() ||
        !QTest::qWaitFor([&] { return showsLatest(window); }, 60000)) {
        state.SkipWithError("cannot open the benchmark fleet");
        return;
    }
    QSpinBox* vcpus = window.whatIfPanel()->applianceVcpus();
    qint64 worstGap = 0;
    QElapsedTimer gap;
    QTimer tick;
    tick.setInterval(1);
    QObject::connect(&tick, &QTimer::timeout,
                     [&] { worstGap = std::max(worstGap, gap.restart()); });
    int step = -1;
    for (auto _ : state) {
        QElapsedTimer edit;
        edit.start();
        gap.start();
        tick.start();
        vcpus->setValue(vcpus->value() + step);
        step = -step;
        const bool shown = QTest::qWaitFor([&] { return showsLatest(window); }, 60000);
        tick.stop();
        if (!shown) {
            state.SkipWithError("no answer within a minute");
            break;
        }
        state.SetIterationTime(static_cast<double>(edit.nsecsElapsed()) * 1e-9);
    }
    state.counters["worst_ui_gap_ms"] = static_cast<double>(worstGap);
}
BENCHMARK(BM_WhatIfEditToShownResult)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(20);

}  // namespace

int main(int argc, char** argv) {
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication application(argc, argv);
    // The console remembers its last file and window; keep the user's own settings out of it.
    const QTemporaryDir settings;
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, settings.path());
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
