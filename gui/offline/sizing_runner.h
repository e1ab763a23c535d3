// Runs the sizing engine off the UI thread for the what-if: edits are debounced, at most one
// computation runs at a time, and only the newest request's answer is delivered, so typing in
// a spin box never freezes the window nor shows a stale result (even on a 10,000-cluster fleet,
// where one exact pass takes about 100 ms).
#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QThreadPool>
#include <QTimer>
#include <memory>
#include <optional>

#include "gui/offline/pinned_sizing.h"
#include "sizing/fleet.h"
#include "sizing/sizing_result.h"

namespace understudy::gui {

// One computed answer and the fleet it answers, so a view never pairs a result with a fleet
// that changed meanwhile.
struct SizingSnapshot {
    quint64 generation = 0;
    sizing::Fleet fleet;
    sizing::SizingResult result;
    QString error;  // set when the engine refused the fleet; result is then empty
    qint64 milliseconds = 0;
};

class SizingRunner : public QObject {
    Q_OBJECT
public:
    explicit SizingRunner(QObject* parent = nullptr);
    ~SizingRunner() override;

    // Sizes `fleet` once edits have paused for the debounce interval.
    void request(sizing::Fleet fleet);
    // Sizes `fleet` as soon as the worker is free (opening a file, an explicit recompute).
    void requestNow(sizing::Fleet fleet);
    void setDebounceInterval(int milliseconds) { debounce_.setInterval(milliseconds); }
    // Keeps these clusters on these appliances in the next computations (the live fleet, where
    // the nodes are where they are); empty: the engine places them.
    void setPlacement(Placement placement) { placement_ = std::move(placement); }
    // A request is waiting or being computed.
    bool busy() const { return running_ || pending_.has_value(); }
    // The generation of the newest request; a snapshot of this generation is current.
    quint64 latestGeneration() const { return generation_; }

signals:
    void computed(std::shared_ptr<const understudy::gui::SizingSnapshot> snapshot);
    void busyChanged(bool busy);

private:
    void startPending();
    void finished(std::shared_ptr<const SizingSnapshot> snapshot);

    QTimer debounce_;
    QThreadPool pool_;
    std::optional<sizing::Fleet> pending_;
    Placement placement_;
    quint64 generation_ = 0;
    bool running_ = false;
};

}  // namespace understudy::gui
