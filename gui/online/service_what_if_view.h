// The service's answer to the live what-if (POST /sizing/what-if), beside the in-process
// figures for the same edits: per appliance and resource the overflow risk of both against the
// target, and per failed node the service's outcome (granted, partial, preempts, denied with
// why) next to the in-process approximation's. The two can differ where the service knows
// more: nodes already active, observed failure models.
#pragma once

#include <QGroupBox>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "appliance/client/api_types.h"
#include "gui/offline/offline_arbitration.h"
#include "gui/offline/sizing_runner.h"
#include "sizing/fleet.h"

class QLabel;
class QTreeWidget;

namespace understudy::gui {

class ServiceWhatIfView : public QGroupBox {
    Q_OBJECT
public:
    enum Column { NodeColumn, ServiceColumn, InProcessColumn };

    explicit ServiceWhatIfView(QWidget* parent = nullptr);

    void setAsking();
    void setAnswer(const client::WhatIfAnswer& answer);
    void setFailed(const QString& message);
    // The in-process side: the engine's answer, its takeovers, and each cluster's node.
    void setInProcess(std::shared_ptr<const SizingSnapshot> snapshot,
                      std::vector<OfflineTakeover> takeovers,
                      std::map<std::string, std::string> nodeOf);
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

    QLabel* statusLabel() const { return status_; }
    QLabel* staleLabel() const { return stale_; }
    QLabel* riskLabel() const { return risk_; }
    QTreeWidget* takeovers() const { return takeovers_; }

private:
    void render();
    QString nodeOf(const std::string& cluster) const;

    std::optional<client::WhatIfAnswer> answer_;
    std::shared_ptr<const SizingSnapshot> snapshot_;
    std::vector<OfflineTakeover> inProcess_;
    std::map<std::string, std::string> nodeOf_;
    QLabel* status_ = nullptr;
    QLabel* stale_ = nullptr;
    QLabel* risk_ = nullptr;
    QTreeWidget* takeovers_ = nullptr;
};

}  // namespace understudy::gui
