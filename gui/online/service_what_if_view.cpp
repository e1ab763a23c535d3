#include "gui/online/service_what_if_view.h"

#include <QHeaderView>
#include <QLabel>
#include <QStyle>
#include <QTreeWidget>
#include <QVBoxLayout>

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

ServiceWhatIfView::ServiceWhatIfView(QWidget* parent)
    : QGroupBox(tr("The service's answer"), parent) {
    setObjectName(QStringLiteral("serviceWhatIf"));
    setToolTip(
        tr("POST /sizing/what-if with the same edits: the service decides from the live state "
           "(nodes already active, grants, observed failure models); nothing changes on it"));
    auto* layout = new QVBoxLayout(this);
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
    risk_ = new QLabel(this);
    risk_->setObjectName(QStringLiteral("serviceWhatIfRisk"));
    risk_->setWordWrap(true);
    risk_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(risk_);
    takeovers_ = new QTreeWidget(this);
    takeovers_->setObjectName(QStringLiteral("serviceWhatIfTakeovers"));
    takeovers_->setHeaderLabels({tr("Node"), tr("Service"), tr("In-process")});
    takeovers_->setRootIsDecorated(false);
    takeovers_->setWordWrap(true);
    takeovers_->setUniformRowHeights(false);
    takeovers_->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    takeovers_->setMinimumHeight(fontMetrics().height() * 8);
    layout->addWidget(takeovers_);
    clear();
}

void ServiceWhatIfView::clear() {
    answer_.reset();
    snapshot_.reset();
    inProcess_.clear();
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
    status_->setText(tr("The service's answer to these edits (nothing changed on it)."));
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

QString ServiceWhatIfView::nodeOf(const std::string& cluster) const {
    const auto found = nodeOf_.find(cluster);
    // A cluster added in the what-if gets the service's default node name.
    return QString::fromStdString(found != nodeOf_.end() ? found->second : cluster + "-passive");
}

void ServiceWhatIfView::render() {
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
                // One line each, so it reads in the narrow what-if panel.
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
                                  : tr("Against the target %1:<br>").arg(formatRisk(target)) +
                                        rows.join(QStringLiteral("<br>")));
    risk_->setVisible(!rows.isEmpty());

    takeovers_->clear();
    std::map<QString, QTreeWidgetItem*> byNode;
    auto row = [&](const QString& node) {
        QTreeWidgetItem*& item = byNode[node];
        if (item == nullptr) {
            item = new QTreeWidgetItem(takeovers_, {node, QString(), QString()});
        }
        return item;
    };
    if (answer_) {
        for (const client::WhatIfTakeover& takeover : answer_->takeovers) {
            QTreeWidgetItem* item = row(takeover.node);
            QString text = takeover.outcome;
            if (!takeover.preempted.isEmpty()) {
                text += tr(", preempting %1").arg(takeover.preempted.join(QStringLiteral(", ")));
            }
            const Tone tone = outcomeTone(takeover.outcome);
            item->setText(ServiceColumn, text);
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
        }
    }
    for (const OfflineTakeover& takeover : inProcess_) {
        QTreeWidgetItem* item = row(nodeOf(takeover.cluster));
        item->setText(InProcessColumn, takeoverOutcomeName(takeover.outcome));
        if (!takeover.reason.empty()) {
            item->setToolTip(InProcessColumn, QString::fromStdString(takeover.reason));
        }
    }
    for (auto& [node, item] : byNode) {
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
    takeovers_->setVisible(!byNode.empty());
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
