// The Timeline tab: which node was active when, over a chosen window (15 min … 7 days). One
// lane per node that was active, fenced, denied or preempted in the window; a bar from each
// takeover.granted to the release, preemption or fencing that ended it (or to now while the
// node is still active); a marker for each fencing, denial and preemption; and a band across
// every lane for each outage: the service stopped or out of the console's reach, an appliance
// unreachable or lost, libvirt disconnected. Drawn from the followed event log, the live node
// states and what the console saw of its connection.
#pragma once

#include <QDateTime>
#include <QWidget>
#include <vector>

#include "gui/online/service_connection.h"

class QComboBox;
class QLabel;
class QScrollArea;
class QPainter;
class QTimer;

namespace understudy::gui {

struct ActiveSpan {
    QString node;
    QString cluster;
    QDateTime from;
    QDateTime to;  // invalid: still active
    bool partial = false;
    QString endedBy;  // "release", "preempted", "fence.off", …
};

// A fencing ("fence.off", …), a denial ("takeover.denied") or a preemption ("preempted").
struct EventMark {
    QString node;
    QDateTime time;
    QString kind;
};

struct Outage {
    QDateTime from;
    QDateTime to;  // invalid: not over
    QString what;  // "service stopped", "appliance pna-2 unreachable", …
};

// The spans, marks and outages since `from`, from `events` (oldest first) and the nodes' states.
struct Timeline {
    std::vector<ActiveSpan> spans;
    std::vector<EventMark> marks;
    std::vector<Outage> outages;
    QStringList lanes;  // node names, in the order drawn
    // Per lane, the indexes of its spans and marks: painting walks only the visible lanes.
    std::vector<std::vector<std::size_t>> laneSpans;
    std::vector<std::vector<std::size_t>> laneMarks;
    int count(const QString& kindPrefix) const;
};
Timeline buildTimeline(const std::deque<client::Event>& events,
                       const std::vector<client::Node>& nodes, const QDateTime& from);

class TimelineCanvas : public QWidget {
    Q_OBJECT
public:
    explicit TimelineCanvas(QWidget* parent = nullptr);
    void setTimeline(Timeline timeline, QDateTime from, QDateTime to);
    QSize sizeHint() const override;

protected:
    void paintEvent(QPaintEvent* event) override;
    bool event(QEvent* event) override;

private:
    int laneHeight() const;
    int labelWidth() const;
    double xOf(const QDateTime& time) const;
    void paintMark(QPainter& painter, const EventMark& mark, int y) const;
    void paintOutages(QPainter& painter, int top, int bottom) const;

    Timeline timeline_;
    QDateTime from_;
    QDateTime to_;
};

class TimelineView : public QWidget {
    Q_OBJECT
public:
    explicit TimelineView(ServiceConnection* connection, QWidget* parent = nullptr);

    const Timeline& timeline() const { return timeline_; }
    // Rebuilds now if a change is pending (tests; the view itself waits until it is shown).
    void rebuildNow();
    QComboBox* windowChoice() const { return window_; }
    TimelineCanvas* canvas() const { return canvas_; }

protected:
    void showEvent(QShowEvent* event) override;

private:
    // After a change: rebuilt at most every 250 ms, and only while the view is visible.
    void changed();
    void rebuild();
    void connectionChanged();

    ServiceConnection* connection_;
    QTimer* pending_ = nullptr;
    bool stale_ = true;
    QComboBox* window_ = nullptr;
    QLabel* summary_ = nullptr;
    TimelineCanvas* canvas_ = nullptr;
    Timeline timeline_;
    // The console's own view of the service's outages: from losing it to finding it again.
    std::vector<Outage> unreachable_;
    bool wasConnected_ = false;
};

}  // namespace understudy::gui
