#include "gui/offline/sizing_runner.h"

#include <QLoggingCategory>
#include <exception>

#include "sizing/engine.h"

Q_LOGGING_CATEGORY(lcSizingRunner, "understudy.console.sizing", QtInfoMsg)

namespace understudy::gui {

namespace {
constexpr int kDebounceMs = 150;
}

SizingRunner::SizingRunner(QObject* parent) : QObject(parent) {
    debounce_.setSingleShot(true);
    debounce_.setInterval(kDebounceMs);
    connect(&debounce_, &QTimer::timeout, this, &SizingRunner::startPending);
    // One computation at a time: a second one would only compete for the same cores and its
    // answer would be stale by the time it arrived.
    pool_.setMaxThreadCount(1);
}

SizingRunner::~SizingRunner() {
    // The job posts its answer to this object; it must not outlive it.
    pool_.waitForDone();
}

void SizingRunner::request(sizing::Fleet fleet) {
    const bool wasBusy = busy();
    pending_ = std::move(fleet);
    ++generation_;
    debounce_.start();
    if (!wasBusy) {
        emit busyChanged(true);
    }
}

void SizingRunner::requestNow(sizing::Fleet fleet) {
    request(std::move(fleet));
    debounce_.stop();
    startPending();
}

void SizingRunner::startPending() {
    if (running_ || !pending_) {
        return;
    }
    running_ = true;
    auto snapshot = std::make_shared<SizingSnapshot>();
    snapshot->generation = generation_;
    snapshot->fleet = std::move(*pending_);
    pending_.reset();
    pool_.start([this, snapshot, placement = placement_] {
        QElapsedTimer timer;
        timer.start();
        try {
            snapshot->result = sizePinned(snapshot->fleet, placement);
        } catch (const std::exception& failure) {
            snapshot->error = QString::fromStdString(failure.what());
        }
        snapshot->milliseconds = timer.elapsed();
        std::shared_ptr<const SizingSnapshot> done = snapshot;
        QMetaObject::invokeMethod(
            this, [this, done] { finished(done); }, Qt::QueuedConnection);
    });
}

void SizingRunner::finished(std::shared_ptr<const SizingSnapshot> snapshot) {
    running_ = false;
    qCDebug(lcSizingRunner) << "sized generation" << snapshot->generation << "in"
                            << snapshot->milliseconds << "ms";
    if (snapshot->generation == generation_) {
        emit computed(snapshot);
    }
    if (pending_ && !debounce_.isActive()) {
        startPending();
    }
    if (!busy()) {
        emit busyChanged(false);
    }
}

}  // namespace understudy::gui
