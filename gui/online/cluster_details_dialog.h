// Cluster details, online: what the cluster is (node, priority, group, footprints, failure
// model), its history (failovers over time as a timeline, time active, last failover,
// observed MTBF and MTTR from GET /clusters/{name}/stats), its health probe (the last result
// and the probe events held), its token (when it was last rotated, and rotating it), and its
// recent events. Stats come from the service; the rest from the console's live copy.
#pragma once

#include <QDialog>
#include <deque>
#include <functional>
#include <vector>

#include "gui/online/service_connection.h"

class QGroupBox;
class QLabel;
class QListWidget;
class QVBoxLayout;

namespace understudy::gui {

class TimelineCanvas;

class ClusterDetailsDialog : public QDialog {
    Q_OBJECT
public:
    // `rotate` asks to rotate the cluster's token (with its own confirmation).
    ClusterDetailsDialog(ServiceConnection* connection, const client::Cluster& cluster,
                         std::function<void()> rotate, QWidget* parent = nullptr);

    QLabel* failovers() const { return failovers_; }
    QLabel* activeTime() const { return activeTime_; }
    QLabel* lastFailover() const { return lastFailover_; }
    QLabel* observed() const { return observed_; }
    QLabel* probe() const { return probe_; }
    QLabel* tokenRotated() const { return tokenRotated_; }
    TimelineCanvas* failoverTimeline() const { return timeline_; }
    QListWidget* history() const { return history_; }

private:
    QGroupBox* clusterBox(const client::Cluster& cluster);
    QGroupBox* historyBox();
    QGroupBox* healthBox(std::function<void()> rotate);
    void addFailoverTimeline(QVBoxLayout* layout, const std::deque<client::Event>& own,
                             const std::vector<client::Node>& nodes);
    void addRecentEvents(QVBoxLayout* layout, const std::deque<client::Event>& own,
                         const QString& cluster);
    void showStats(const client::ApiResult<client::ClusterStats>& answer);

    QLabel* failovers_ = nullptr;
    QLabel* activeTime_ = nullptr;
    QLabel* lastFailover_ = nullptr;
    QLabel* observed_ = nullptr;
    QLabel* probe_ = nullptr;
    QLabel* probeEvents_ = nullptr;
    QLabel* tokenRotated_ = nullptr;
    TimelineCanvas* timeline_ = nullptr;
    QListWidget* history_ = nullptr;
};

// 0.001 → "4 s", 0.25 → "15 min", 30.5 → "30.5 h" (hours as the API gives them).
QString hoursText(double hours);

}  // namespace understudy::gui
