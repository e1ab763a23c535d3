// The service's answer to the live what-if (POST /sizing/what-if), the main result of a what-if
// on the live fleet, in a tab of its own: every node as the service reports it now (active,
// standby, fenced, preempted…) with the service's outcome for it (granted, partial, preempts,
// denied with why, preempted by another takeover) beside the in-process approximation; per
// appliance what is free now and what would be free after; and per appliance and resource the
// overflow risk of both engines against the target. The two can differ where the service knows
// more: grants held now, observed failure models.
#pragma once

#include <QDateTime>
#include <QWidget>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "appliance/client/api_types.h"
#include "gui/offline/offline_arbitration.h"
#include "gui/offline/sizing_runner.h"
#include "sizing/fleet.h"
#include "sizing/report/report_writer.h"

class QLabel;
class QTreeWidget;
class QTreeWidgetItem;

namespace understudy::gui {

class ServiceWhatIfView : public QWidget {
    Q_OBJECT
public:
    enum Column { NodeColumn, ClusterColumn, NowColumn, ServiceColumn, InProcessColumn };
    enum FreeColumn {
        ApplianceColumn,
        MemoryNowColumn,
        MemoryAfterColumn,
        VcpusNowColumn,
        VcpusAfterColumn
    };

    explicit ServiceWhatIfView(QWidget* parent = nullptr);

    void setAsking();
    void setAnswer(const client::WhatIfAnswer& answer);
    void setFailed(const QString& message);
    // The in-process side: the engine's answer, its takeovers, and each cluster's node.
    void setInProcess(std::shared_ptr<const SizingSnapshot> snapshot,
                      std::vector<OfflineTakeover> takeovers,
                      std::map<std::string, std::string> nodeOf);
    // Where the what-if starts: the nodes and appliances as the service reports them now.
    void setLiveState(std::vector<client::Node> nodes, std::vector<client::Appliance> appliances);
    void clear();
    // The service's clusters changed since the what-if loaded them: the in-process side no
    // longer starts from the live fleet until it is loaded again.
    void setBaselineStale(bool stale);

    // The service's outcome for `node` ("granted", …); empty when it named none.
    QString serviceOutcome(const QString& node) const;
    // The in-process outcome shown for `node` ("Granted", …); empty when none.
    QString inProcessOutcome(const QString& node) const;
    // Why the service would deny `node`; empty when it would not.
    QString denialText(const QString& node) const;
    std::optional<double> serviceRisk(const QString& appliance, sizing::Resource resource) const;
    const std::optional<client::WhatIfAnswer>& answer() const { return answer_; }
    bool hasAnswer() const { return answer_.has_value(); }

    // The scenario for an exported report: the nodes taken over (and those they preempt) with
    // their state when asked and the service's answer, and what each appliance has free after.
    // Empty before the service has answered.
    std::vector<sizing::report::ReportSection> reportSections() const;

    QLabel* statusLabel() const { return status_; }
    QLabel* staleLabel() const { return stale_; }
    QLabel* riskLabel() const { return risk_; }
    QTreeWidget* takeovers() const { return takeovers_; }
    QTreeWidget* freeAfter() const { return free_; }

private:
    void render();
    void renderRisk();
    void renderFree();
    void renderNodes();
    void fillServiceOutcomes(const std::function<QTreeWidgetItem*(const QString&)>& row);
    QString nodeOf(const std::string& cluster) const;
    const client::Node* liveNode(const QString& name) const;
    // The service's answer for `node` in words, with the nodes it preempts or the one that
    // preempts it; empty when the answer does not touch it.
    QString serviceAnswerText(const QString& node) const;

    std::optional<client::WhatIfAnswer> answer_;
    QDateTime answeredAt_;
    std::shared_ptr<const SizingSnapshot> snapshot_;
    std::vector<OfflineTakeover> inProcess_;
    std::map<std::string, std::string> nodeOf_;
    std::vector<client::Node> nodes_;
    std::vector<client::Appliance> appliances_;
    QLabel* status_ = nullptr;
    QLabel* stale_ = nullptr;
    QLabel* risk_ = nullptr;
    QTreeWidget* free_ = nullptr;
    QTreeWidget* takeovers_ = nullptr;
};

}  // namespace understudy::gui
