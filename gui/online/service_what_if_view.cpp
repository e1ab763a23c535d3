#include "gui/online/service_what_if_view.h"

#include <QHeaderView>
#include <QLabel>
#include <QStyle>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <algorithm>
#include <functional>

#include "gui/online/api_error_text.h"
#include "gui/online/online_style.h"
#include "gui/widgets/quantity_format.h"

namespace understudy::gui {

namespace {

Tone outcomeTone(const QString& outcome) {
    if (outcome == QLatin1String("denied")) {
        return Tone::critical;
    }
    return outcome == QLatin1String("granted") ? Tone::good : Tone::warning;
}

QString riskCell(double risk, double target) {
    const Tone tone = riskTone(risk, target);
    return QStringLiteral("<span style=\"color: %1\">%2 %3</span>")
        .arg(toneColor(tone).name(), formatRisk(risk),
             risk <= target ? QStringLiteral("✓") : QStringLiteral("✗"));
}

}  // namespace

ServiceWhatIfView::ServiceWhatIfView(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("serviceWhatIf"));
    setToolTip(
        tr("POST /sizing/what-if with the same edits: the service decides from the live state "
           "(nodes already active, fenced or preempted, grants, observed failure models); "
           "nothing changes on it"));
    auto* layout = new QVBoxLayout(this);
    auto* title = new QLabel(tr("<b>The service's answer</b> to the what-if on the live fleet"));
    layout->addWidget(title);
    status_ = new QLabel(this);
    status_->setObjectName(QStringLiteral("serviceWhatIfStatus"));
    status_->setWordWrap(true);
    layout->addWidget(status_);
    stale_ = new QLabel(tr("⚠ The service's clusters changed since they were loaded: load the "
                           "live fleet again (Ctrl+Shift+L) to start from them."),
                        this);
    stale_->setObjectName(QStringLiteral("serviceWhatIfStale"));
    stale_->setWordWrap(true);
    stale_->setStyleSheet(
        QStringLiteral("color: %1; font-weight: bold;").arg(toneColor(Tone::warning).name()));
    stale_->hide();
    layout->addWidget(stale_);
    free_ = new QTreeWidget(this);
    free_->setObjectName(QStringLiteral("serviceWhatIfFree"));
    free_->setHeaderLabels({tr("Appliance"), tr("Memory free now"), tr("Memory free after"),
                            tr("vCPUs free now"), tr("vCPUs free after")});
    free_->setRootIsDecorated(false);
    free_->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    free_->setToolTip(
        tr("Free: capacity less foreign domains, standby footprints and grants; "
           "after: once the service has decided these takeovers"));
    layout->addWidget(free_);
    risk_ = new QLabel(this);
    risk_->setObjectName(QStringLiteral("serviceWhatIfRisk"));
    risk_->setWordWrap(true);
    risk_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(risk_);
    takeovers_ = new QTreeWidget(this);
    takeovers_->setObjectName(QStringLiteral("serviceWhatIfTakeovers"));
    takeovers_->setHeaderLabels(
        {tr("Node"), tr("Cluster"), tr("State now"), tr("Service's answer"), tr("In-process")});
    takeovers_->setRootIsDecorated(false);
    takeovers_->setWordWrap(true);
    takeovers_->setUniformRowHeights(false);
    takeovers_->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    takeovers_->header()->setStretchLastSection(true);
    layout->addWidget(takeovers_, 1);
    clear();
}

void ServiceWhatIfView::clear() {
    answer_.reset();
    snapshot_.reset();
    inProcess_.clear();
    nodes_.clear();
    appliances_.clear();
    stale_->hide();
    status_->setText(tr("Not asked yet."));
    render();
}

void ServiceWhatIfView::setBaselineStale(bool stale) {
    stale_->setVisible(stale);
}

void ServiceWhatIfView::setAsking() {
    status_->setText(tr("Asking the service…"));
}

void ServiceWhatIfView::setFailed(const QString& message) {
    answer_.reset();
    status_->setText(tr("The service could not answer: %1").arg(message));
    render();
}

void ServiceWhatIfView::setAnswer(const client::WhatIfAnswer& answer) {
    answer_ = answer;
    answeredAt_ = QDateTime::currentDateTimeUtc();
    status_->setText(tr("Answered at %1 from the state below; nothing changed on the service.")
                         .arg(answeredAt_.toLocalTime().toString(QStringLiteral("HH:mm:ss"))));
    render();
}

void ServiceWhatIfView::setInProcess(std::shared_ptr<const SizingSnapshot> snapshot,
                                     std::vector<OfflineTakeover> takeovers,
                                     std::map<std::string, std::string> nodeOf) {
    snapshot_ = std::move(snapshot);
    inProcess_ = std::move(takeovers);
    nodeOf_ = std::move(nodeOf);
    render();
}

void ServiceWhatIfView::setLiveState(std::vector<client::Node> nodes,
                                     std::vector<client::Appliance> appliances) {
    nodes_ = std::move(nodes);
    appliances_ = std::move(appliances);
    render();
}

QString ServiceWhatIfView::nodeOf(const std::string& cluster) const {
    const auto found = nodeOf_.find(cluster);
    // A cluster added in the what-if gets the service's default node name.
    return QString::fromStdString(found != nodeOf_.end() ? found->second : cluster + "-passive");
}

const client::Node* ServiceWhatIfView::liveNode(const QString& name) const {
    const auto found = std::find_if(nodes_.begin(), nodes_.end(),
                                    [&](const client::Node& node) { return node.name == name; });
    return found == nodes_.end() ? nullptr : &*found;
}

void ServiceWhatIfView::render() {
    renderRisk();
    renderFree();
    renderNodes();
}

void ServiceWhatIfView::renderRisk() {
    const double target = snapshot_ && snapshot_->error.isEmpty() ? snapshot_->result.target_risk
                          : answer_                               ? answer_->sizing.target_risk
                                                                  : 0.0;
    QStringList rows;
    if (answer_) {
        for (const client::SizingAppliance& appliance : answer_->sizing.appliances) {
            const sizing::ApplianceResult* local = nullptr;
            if (snapshot_ && snapshot_->error.isEmpty()) {
                for (const sizing::ApplianceResult& result : snapshot_->result.appliances) {
                    if (QString::fromStdString(result.spec.name) == appliance.name) {
                        local = &result;
                    }
                }
            }
            for (const sizing::Resource resource : sizing::kResources) {
                const client::SizingResource& served = resource == sizing::Resource::memory_mib
                                                           ? appliance.memory_mib
                                                           : appliance.vcpus;
                const QString none = QStringLiteral("—");
                rows << tr("<b>%1</b> %2: risk <b>%3</b> (in-process %4); required %5 "
                           "(in-process %6)")
                            .arg(appliance.name.toHtmlEscaped(), resourceTitle(resource),
                                 riskCell(served.overflow_risk, target),
                                 local ? riskCell(local->figures(resource).overflow_risk, target)
                                       : none,
                                 formatQuantity(resource, served.required_capacity),
                                 local ? formatQuantity(resource,
                                                        local->figures(resource).required_capacity)
                                       : none);
            }
        }
    }
    risk_->setText(rows.isEmpty() ? QString()
                                  : tr("Steady state of the edited fleet, against the target "
                                       "%1:<br>")
                                            .arg(formatRisk(target)) +
                                        rows.join(QStringLiteral("<br>")));
    risk_->setVisible(!rows.isEmpty());
}

void ServiceWhatIfView::renderFree() {
    free_->clear();
    const QString none = QStringLiteral("—");
    for (const client::Appliance& appliance : appliances_) {
        auto* item = new QTreeWidgetItem(free_);
        item->setText(ApplianceColumn, appliance.name);
        item->setText(MemoryNowColumn, formatMemoryMib(appliance.memory_mib.free));
        item->setText(VcpusNowColumn, formatVcpus(appliance.vcpus.free));
        item->setText(MemoryAfterColumn, none);
        item->setText(VcpusAfterColumn, none);
        if (!answer_) {
            continue;
        }
        for (const client::WhatIfFree& after : answer_->free_after) {
            if (after.appliance != appliance.name) {
                continue;
            }
            item->setText(MemoryAfterColumn, formatMemoryMib(after.free.memory_mib));
            item->setText(VcpusAfterColumn, formatVcpus(after.free.vcpus));
            const bool less = after.free.memory_mib < appliance.memory_mib.free;
            item->setForeground(MemoryAfterColumn,
                                toneColor(after.free.memory_mib < 0 ? Tone::critical
                                          : less                    ? Tone::warning
                                                                    : Tone::good));
        }
    }
    free_->setVisible(!appliances_.empty());
    // As tall as its rows: the nodes below take the rest.
    free_->setFixedHeight(free_->header()->sizeHint().height() +
                          std::max<int>(1, static_cast<int>(appliances_.size())) *
                              (fontMetrics().height() + 8) +
                          2 * free_->frameWidth());
}

QString ServiceWhatIfView::serviceAnswerText(const QString& node) const {
    if (!answer_) {
        return {};
    }
    for (const client::WhatIfTakeover& takeover : answer_->takeovers) {
        if (takeover.node == node) {
            return takeover.preempted.isEmpty()
                       ? takeover.outcome
                       : tr("%1, preempting %2")
                             .arg(takeover.outcome, takeover.preempted.join(QStringLiteral(", ")));
        }
    }
    for (const client::WhatIfTakeover& takeover : answer_->takeovers) {
        if (takeover.preempted.contains(node)) {
            return tr("preempted for %1").arg(takeover.node);
        }
    }
    return {};
}

void ServiceWhatIfView::fillServiceOutcomes(
    const std::function<QTreeWidgetItem*(const QString&)>& row) {
    for (const client::WhatIfTakeover& takeover : answer_->takeovers) {
        QTreeWidgetItem* item = row(takeover.node);
        const Tone tone = outcomeTone(takeover.outcome);
        item->setText(ServiceColumn, serviceAnswerText(takeover.node));
        item->setData(ServiceColumn, Qt::UserRole, takeover.outcome);
        item->setIcon(ServiceColumn, toneIcon(tone, style()));
        item->setForeground(ServiceColumn, toneColor(tone));
        if (takeover.denial) {
            const QString why = describeDenial(*takeover.denial);
            item->setData(NodeColumn, Qt::UserRole, why);
            item->setToolTip(ServiceColumn, why);
            auto* reason = new QTreeWidgetItem(item, {why});
            reason->setFirstColumnSpanned(true);
            item->setExpanded(true);
        }
        for (const QString& preempted : takeover.preempted) {
            QTreeWidgetItem* victim = row(preempted);
            victim->setText(ServiceColumn, serviceAnswerText(preempted));
            victim->setForeground(ServiceColumn, toneColor(Tone::warning));
        }
    }
}

void ServiceWhatIfView::renderNodes() {
    takeovers_->clear();
    std::map<QString, QTreeWidgetItem*> byNode;
    auto row = [&](const QString& node) {
        QTreeWidgetItem*& item = byNode[node];
        if (item == nullptr) {
            item = new QTreeWidgetItem(takeovers_);
            item->setText(NodeColumn, node);
            const client::Node* live = liveNode(node);
            item->setText(ClusterColumn, live != nullptr ? live->cluster : QString());
            item->setText(NowColumn, live != nullptr ? live->state : tr("(added in the what-if)"));
            if (live != nullptr) {
                item->setForeground(NowColumn, toneColor(stateTone(live->state)));
            }
        }
        return item;
    };
    // Every node first, as the service reports it now: the what-if starts from there.
    for (const client::Node& node : nodes_) {
        row(node.name);
    }
    if (answer_) {
        fillServiceOutcomes(row);
    }
    for (const OfflineTakeover& takeover : inProcess_) {
        QTreeWidgetItem* item = row(nodeOf(takeover.cluster));
        if (item->text(ClusterColumn).isEmpty()) {
            item->setText(ClusterColumn, QString::fromStdString(takeover.cluster));
        }
        item->setText(InProcessColumn, takeoverOutcomeName(takeover.outcome));
        if (!takeover.reason.empty()) {
            item->setToolTip(InProcessColumn, QString::fromStdString(takeover.reason));
        }
        if (answer_ && item->text(ServiceColumn).isEmpty()) {
            item->setText(ServiceColumn, QStringLiteral("—"));
            item->setToolTip(ServiceColumn,
                             tr("Not asked: the service's what-if fails registered clusters "
                                "only, and names only the takeovers it decides"));
        }
    }
    takeovers_->setRootIsDecorated(std::any_of(byNode.begin(), byNode.end(), [](const auto& entry) {
        return entry.second->childCount() > 0;
    }));
}

std::vector<sizing::report::ReportSection> ServiceWhatIfView::reportSections() const {
    if (!answer_) {
        return {};
    }
    sizing::report::ReportSection takeovers;
    takeovers.title = tr("What-if on the live fleet: the takeovers").toStdString();
    QStringList failed;
    for (const client::WhatIfTakeover& takeover : answer_->takeovers) {
        failed << takeover.node;
    }
    takeovers.text =
        tr("Asked of the service at %1 (POST /sizing/what-if); nothing changed on it. Taken "
           "over: %2. Each node's state when asked, and the service's answer.")
            .arg(answeredAt_.toString(QStringLiteral("yyyy-MM-dd HH:mm:ss 'UTC'")),
                 failed.isEmpty() ? tr("none") : failed.join(QStringLiteral(", ")))
            .toStdString();
    takeovers.columns = {tr("Node").toStdString(), tr("Cluster").toStdString(),
                         tr("State when asked").toStdString(), tr("Service's answer").toStdString(),
                         tr("Why").toStdString()};
    for (int i = 0; i < takeovers_->topLevelItemCount(); ++i) {
        const QTreeWidgetItem* item = takeovers_->topLevelItem(i);
        if (serviceAnswerText(item->text(NodeColumn)).isEmpty()) {
            continue;
        }
        takeovers.rows.push_back(
            {item->text(NodeColumn).toStdString(), item->text(ClusterColumn).toStdString(),
             item->text(NowColumn).toStdString(), item->text(ServiceColumn).toStdString(),
             denialText(item->text(NodeColumn)).toStdString()});
    }
    sizing::report::ReportSection free;
    free.title = tr("What-if on the live fleet: free after").toStdString();
    free.text = tr("What each appliance has free now, and once the service has decided these "
                   "takeovers (grants made, preempted standby footprints given back).")
                    .toStdString();
    for (int column = ApplianceColumn; column <= VcpusAfterColumn; ++column) {
        free.columns.push_back(free_->headerItem()->text(column).toStdString());
    }
    for (int i = 0; i < free_->topLevelItemCount(); ++i) {
        std::vector<std::string> cells;
        for (int column = ApplianceColumn; column <= VcpusAfterColumn; ++column) {
            cells.push_back(free_->topLevelItem(i)->text(column).toStdString());
        }
        free.rows.push_back(std::move(cells));
    }
    return {std::move(takeovers), std::move(free)};
}

QString ServiceWhatIfView::serviceOutcome(const QString& node) const {
    if (!answer_) {
        return {};
    }
    for (const client::WhatIfTakeover& takeover : answer_->takeovers) {
        if (takeover.node == node) {
            return takeover.outcome;
        }
    }
    return {};
}

QString ServiceWhatIfView::inProcessOutcome(const QString& node) const {
    for (const OfflineTakeover& takeover : inProcess_) {
        if (nodeOf(takeover.cluster) == node) {
            return takeoverOutcomeName(takeover.outcome);
        }
    }
    return {};
}

QString ServiceWhatIfView::denialText(const QString& node) const {
    if (!answer_) {
        return {};
    }
    for (const client::WhatIfTakeover& takeover : answer_->takeovers) {
        if (takeover.node == node && takeover.denial) {
            return describeDenial(*takeover.denial);
        }
    }
    return {};
}

std::optional<double> ServiceWhatIfView::serviceRisk(const QString& appliance,
                                                     sizing::Resource resource) const {
    if (!answer_) {
        return std::nullopt;
    }
    for (const client::SizingAppliance& sized : answer_->sizing.appliances) {
        if (sized.name == appliance) {
            return resource == sizing::Resource::memory_mib ? sized.memory_mib.overflow_risk
                                                            : sized.vcpus.overflow_risk;
        }
    }
    return std::nullopt;
}

}  // namespace understudy::gui
