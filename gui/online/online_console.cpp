#include "gui/online/online_console.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QGraphicsColorizeEffect>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMainWindow>
#include <QMessageBox>
#include <QProgressDialog>
#include <QPushButton>
#include <QStatusBar>
#include <QTableView>
#include <QTime>
#include <QTimer>
#include <QVBoxLayout>
#include <algorithm>
#include <nlohmann/json.hpp>

#include "appliance/client/cluster_spec.h"
#include "gui/online/alarm_bar.h"
#include "gui/online/api_error_text.h"
#include "gui/online/cluster_details_dialog.h"
#include "gui/online/connect_dialog.h"
#include "gui/online/dashboard_view.h"
#include "gui/online/event_log_view.h"
#include "gui/online/node_readiness.h"
#include "gui/online/node_table_model.h"
#include "gui/online/nodes_view.h"
#include "gui/online/online_style.h"
#include "gui/online/timeline_view.h"
#include "gui/online/token_store.h"
#include "gui/widgets/add_cluster_dialog.h"
#include "gui/widgets/console_action.h"
#include "gui/widgets/console_settings.h"
#include "gui/widgets/quantity_format.h"
#include "sizing/fleet_file.h"

namespace understudy::gui {

namespace {

void showError(QWidget* parent, const QString& title, const QString& text) {
    auto* box = new QMessageBox(QMessageBox::Warning, title, text, QMessageBox::Ok, parent);
    box->setObjectName(QStringLiteral("onlineError"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

// Shown once, right after the service created it: it is never shown again.
void showTokenOnce(QWidget* parent, const QString& cluster, const QString& token) {
    auto* dialog = new QDialog(parent);
    dialog->setObjectName(QStringLiteral("newTokenDialog"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(QObject::tr("Token of %1").arg(cluster));
    auto* layout = new QVBoxLayout(dialog);
    auto* text = new QLabel(
        QObject::tr("The token of cluster <b>%1</b>. It is shown this once: copy it into the "
                    "cluster's agents now (UNDERSTUDY_TOKEN or ctl.conf).")
            .arg(cluster.toHtmlEscaped()),
        dialog);
    text->setWordWrap(true);
    layout->addWidget(text);
    auto* field = new QLineEdit(token, dialog);
    field->setObjectName(QStringLiteral("newToken"));
    field->setReadOnly(true);
    field->selectAll();
    layout->addWidget(field);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, dialog);
    QPushButton* copy = buttons->addButton(QObject::tr("&Copy"), QDialogButtonBox::ActionRole);
    QObject::connect(copy, &QPushButton::clicked, dialog,
                     [token] { QApplication::clipboard()->setText(token); });
    QObject::connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::reject);
    layout->addWidget(buttons);
    dialog->setMinimumWidth(dialog->fontMetrics().averageCharWidth() * 80);
    dialog->open();
}

// The service's refusal as the add-cluster dialog shows it, beside the offending field.
Error submitFailure(const client::ApiError& error, const QString& verb) {
    const std::string where = error.field.isEmpty() ? std::string() : error.field.toStdString();
    return Error{error.code.toStdString(), (verb + describeApiError(error)).toStdString(), where};
}

// What admission would say of `cluster` from the service's what-if with it added.
QString admissionPreview(const client::Sizing& sizing, const QString& cluster) {
    double worst = 0;
    QString where;
    QStringList unservable;
    for (const client::SizingAppliance& appliance : sizing.appliances) {
        const double risk =
            std::max(appliance.memory_mib.overflow_risk, appliance.vcpus.overflow_risk);
        if (risk >= worst) {
            worst = risk;
            where = appliance.name;
        }
        for (const client::Unservable& item : appliance.unservable) {
            unservable << OnlineConsole::tr("%1 (%2 needs %3, %4 available)")
                              .arg(item.cluster, item.resource)
                              .arg(item.needed)
                              .arg(item.available);
        }
    }
    const bool fits = worst <= sizing.target_risk && unservable.isEmpty();
    QString note =
        OnlineConsole::tr(
            "<b>Admission preview</b>: with %1 the worst overflow risk would be "
            "%2 (on %3) against the target %4, so it %5.")
            .arg(cluster.toHtmlEscaped(), formatRisk(worst), where, formatRisk(sizing.target_risk),
                 fits ? OnlineConsole::tr("would be <b>accepted</b>")
                      : OnlineConsole::tr("would be <b>refused</b>"));
    if (!unservable.isEmpty()) {
        note += QStringLiteral("<br>") +
                OnlineConsole::tr("Could never be served: %1.")
                    .arg(unservable.join(QStringLiteral("; ")).toHtmlEscaped());
    }
    return note;
}

}  // namespace

QJsonObject clusterJson(const sizing::ClusterSpec& cluster) {
    const std::string text = sizing::clusterToJson(cluster).dump();
    return QJsonDocument::fromJson(QByteArray::fromStdString(text)).object();
}

OnlineConsole::OnlineConsole(QMainWindow* window)
    : QObject(window),
      window_(window),
      connection_(new ServiceConnection(this)),
      tokens_(new TokenStore(this)) {
    readiness_ = new NodeReadiness(connection_, this);
    dashboard_ = new DashboardView(connection_, readiness_);
    nodes_ = new NodesView(connection_, readiness_);
    alarmBar_ = new AlarmBar(connection_);
    timeline_ = new TimelineView(connection_);
    events_ = new EventLogView(connection_);

    stateLabel_ = new QLabel;
    stateLabel_->setObjectName(QStringLiteral("connectionState"));
    staleBanner_ = new QLabel;
    staleBanner_->setObjectName(QStringLiteral("staleBanner"));
    staleBanner_->setStyleSheet(QStringLiteral("color: %1; font-weight: bold; padding: 0 8px;")
                                    .arg(toneColor(Tone::warning).name()));
    staleBanner_->hide();
    countdown_ = new QTimer(this);
    countdown_->setInterval(1000);
    connect(countdown_, &QTimer::timeout, this, &OnlineConsole::updateState);

    connectAction_ =
        consoleAction(this, "connectAction", tr("&Connect…"), QKeySequence(Qt::CTRL | Qt::Key_K),
                      tr("Connect to an understudyd service"));
    connect(connectAction_, &QAction::triggered, this, [this] { showConnectDialog(); });
    disconnectAction_ = consoleAction(this, "disconnectAction", tr("&Disconnect"), {},
                                      tr("Stop following the service"));
    connect(disconnectAction_, &QAction::triggered, this, [this] {
        connection_->disconnectFromService();
        emit message(tr("Disconnected; the views keep what they last showed"), 5000);
    });
    registerAction_ = consoleAction(this, "registerClusterAction", tr("&Register cluster…"),
                                    QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_N),
                                    tr("Register a cluster with the service, through admission"));
    connect(registerAction_, &QAction::triggered, this, &OnlineConsole::registerCluster);
    removeAction_ = consoleAction(this, "removeClusterAction", tr("Re&move cluster…"), {},
                                  tr("Remove the selected node's cluster from the service"));
    connect(removeAction_, &QAction::triggered, this, [this] { removeCluster(selectedCluster()); });
    editAction_ = consoleAction(this, "editClusterAction", tr("&Change cluster…"), {},
                                tr("Change the selected node's cluster, through admission"));
    connect(editAction_, &QAction::triggered, this, [this] { editCluster(selectedCluster()); });
    rotateAction_ = consoleAction(this, "rotateTokenAction", tr("Rotate &token…"), {},
                                  tr("Give the selected node's cluster a new token"));
    connect(rotateAction_, &QAction::triggered, this, [this] { rotateToken(selectedCluster()); });
    detailsAction_ = consoleAction(this, "clusterDetailsAction", tr("Cluster &details…"),
                                   QKeySequence(Qt::CTRL | Qt::Key_I),
                                   tr("History, time active and probes of the selected cluster"));
    connect(detailsAction_, &QAction::triggered, this,
            [this] { showClusterDetails(selectedCluster()); });

    whatIfAction_ = consoleAction(this, "whatIfFailAction", tr("What if it &failed now?"),
                                  QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_W),
                                  tr("Ask the service what a failover of the selected node's "
                                     "cluster would get now; changes nothing"));
    connect(whatIfAction_, &QAction::triggered, this, [this] { whatIfFailed(selectedCluster()); });

    connect(connection_, &ServiceConnection::stateChanged, this, &OnlineConsole::updateState);
    connect(connection_, &ServiceConnection::stateChanged, this,
            &OnlineConsole::announceTransition);
    connect(nodes_, &NodesView::message, this,
            [this](const QString& text) { emit message(text, 10000); });
    connect(nodes_->table()->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &OnlineConsole::updateActions);
    updateState();
}

QList<QAction*> OnlineConsole::serviceActions() const {
    return {registerAction_,          removeAction_,           rotateAction_,        detailsAction_,
            nodes_->takeOverAction(), nodes_->releaseAction(), nodes_->fenceAction()};
}

QString OnlineConsole::selectedCluster() const {
    const client::Node* node = nodes_->model()->node(nodes_->selectedNode());
    return node == nullptr ? QString() : node->cluster;
}

void OnlineConsole::updateActions() {
    const bool online = connection_->state() == ConnectionState::connected;
    const bool selected = !selectedCluster().isEmpty();
    disconnectAction_->setEnabled(connection_->state() != ConnectionState::disconnected &&
                                  connection_->state() != ConnectionState::failed);
    registerAction_->setEnabled(online);
    removeAction_->setEnabled(online && selected);
    editAction_->setEnabled(online && selected);
    rotateAction_->setEnabled(online && selected);
    detailsAction_->setEnabled(online && selected);
    whatIfAction_->setEnabled(online && selected);
}

void OnlineConsole::updateState() {
    const ConnectionState state = connection_->state();
    const Tone tone = state == ConnectionState::connected      ? Tone::good
                      : state == ConnectionState::failed       ? Tone::critical
                      : state == ConnectionState::disconnected ? Tone::neutral
                                                               : Tone::warning;
    const QString symbol = state == ConnectionState::connected      ? QStringLiteral("●")
                           : state == ConnectionState::failed       ? QStringLiteral("✖")
                           : state == ConnectionState::disconnected ? QStringLiteral("○")
                                                                    : QStringLiteral("◐");
    stateLabel_->setText(QStringLiteral("%1 %2").arg(
        symbol, connection_->stateText(ServiceConnection::Detail::brief)));
    stateLabel_->setStyleSheet(tone == Tone::neutral
                                   ? QString()
                                   : QStringLiteral("color: %1;").arg(toneColor(tone).name()));
    stateLabel_->setToolTip(connection_->lastError());
    markStaleViews();
    if (state == ConnectionState::reconnecting) {
        countdown_->start();
    } else {
        countdown_->stop();
    }
    if (progress_ != nullptr && progress_->isVisible()) {
        progress_->setLabelText(connection_->stateText());
        progress_->setValue(connection_->connectStep());
        if (state == ConnectionState::connected || state == ConnectionState::failed ||
            state == ConnectionState::disconnected) {
            progress_->reset();
            progress_->hide();
            if (state == ConnectionState::failed && !connection_->refused()) {
                showError(window_, tr("Cannot connect"), connection_->stateText());
            }
        }
    }
    updateActions();
}

bool OnlineConsole::showsStaleData() const {
    return connection_->state() != ConnectionState::connected && connection_->dataAsOf().isValid();
}

// Greyed, not disabled: the last known state can still be scrolled and read during an outage,
// while every action on it waits for the service.
void OnlineConsole::markStaleViews() {
    const bool stale = showsStaleData();
    for (QWidget* view : std::initializer_list<QWidget*>{dashboard_, nodes_, timeline_, events_}) {
        if (!stale) {
            view->setGraphicsEffect(nullptr);
        } else if (view->graphicsEffect() == nullptr) {
            auto* grey = new QGraphicsColorizeEffect(view);
            grey->setColor(Qt::gray);
            grey->setStrength(0.85);
            view->setGraphicsEffect(grey);
        }
    }
    staleBanner_->setVisible(stale);
    if (stale) {
        const QString when = connection_->dataAsOf().toString(QStringLiteral("HH:mm:ss"));
        staleBanner_->setText(tr("⚠ Not live — data as of %1").arg(when));
        staleBanner_->setToolTip(
            tr("The service has not answered since %1; the views show what it said then and "
               "its actions wait until it is back.")
                .arg(connection_->dataAsOf().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"))));
    }
}

void OnlineConsole::announceTransition() {
    const ConnectionState state = connection_->state();
    if (state == announced_) {
        return;
    }
    const ConnectionState before = announced_;
    announced_ = state;
    if (connection_->refused()) {
        showConnectDialog(connection_->lastError());
        return;
    }
    const QString host = connection_->url().toDisplayString(QUrl::RemoveUserInfo);
    if (before == ConnectionState::connected && state == ConnectionState::reconnecting) {
        outage_.start();
        emit message(tr("Lost the service at %1 at %2; reconnecting by itself (why: the tooltip "
                        "on the right). The views keep what they last showed.")
                         .arg(host, QTime::currentTime().toString(QStringLiteral("HH:mm:ss"))),
                     0);
    } else if (state == ConnectionState::connected && outage_.isValid()) {
        emit message(tr("Reconnected to %1 after %2 s without it; the views are live again")
                         .arg(host)
                         .arg(static_cast<double>(outage_.elapsed()) / 1000.0, 0, 'f', 1),
                     30000);
        outage_.invalidate();
    } else if (state != ConnectionState::reconnecting) {
        outage_.invalidate();
    }
}

void OnlineConsole::startWith(const QString& text) {
    const QUrl url = serviceUrlFromText(text);
    if (!url.isValid()) {
        showError(window_, tr("Cannot connect"),
                  tr("“%1” is not a service URL; use one like %2.")
                      .arg(text, QString::fromLatin1(client::kDefaultUrl)));
        return;
    }
    const QByteArray token = qgetenv("UNDERSTUDY_TOKEN");
    if (!token.isEmpty()) {
        connectTo(url, token, false);
        return;
    }
    tokens_->load(url, [this, url](const QByteArray& stored) {
        if (!stored.isEmpty()) {
            connectTo(url, stored, false);
            return;
        }
        consoleSettings().setValue(QStringLiteral("serviceUrl"), url.toString());
        showConnectDialog();
    });
}

void OnlineConsole::showConnectDialog(const QString& problem) {
    if (connectDialog_ != nullptr) {
        connectDialog_->close();
    }
    const QString url = consoleSettings().value(QStringLiteral("serviceUrl")).toString();
    auto* dialog = new ConnectDialog(tokens_, url, window_);
    connectDialog_ = dialog;
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    if (!problem.isEmpty()) {
        dialog->showProblem(problem, connection_->tokenRefused());
    }
    connect(dialog, &QDialog::accepted, this,
            [this, dialog] { connectTo(dialog->url(), dialog->token(), dialog->remember()); });
    dialog->open();
}

void OnlineConsole::connectTo(const QUrl& url, const QByteArray& token, bool remember) {
    consoleSettings().setValue(QStringLiteral("serviceUrl"), url.toString());
    if (remember) {
        tokens_->save(url, token, [this](const QString& error) {
            if (!error.isEmpty()) {
                emit message(tr("The token was not remembered: %1").arg(error), 15000);
            }
        });
    }
    if (progress_ == nullptr) {
        progress_ = new QProgressDialog(window_);
        progress_->setObjectName(QStringLiteral("connectProgress"));
        progress_->setWindowTitle(tr("Connecting"));
        progress_->setRange(0, ServiceConnection::kConnectSteps);
        progress_->setMinimumDuration(0);
        progress_->setWindowModality(Qt::WindowModal);
        progress_->setAutoReset(false);
        progress_->setAutoClose(false);
        connect(progress_, &QProgressDialog::canceled, this, [this] {
            progress_->hide();
            connection_->disconnectFromService();
            emit message(tr("Connection cancelled"), 5000);
        });
    }
    progress_->setValue(0);
    progress_->show();
    connection_->connectTo(url, token);
    window_->setWindowTitle(tr("%1 — understudy-console").arg(url.host()));
}

void OnlineConsole::registerCluster() {
    if (connection_->state() == ConnectionState::connected) {
        openClusterDialog(tr("Register a cluster with %1").arg(connection_->url().host()), {});
    }
}

void OnlineConsole::editCluster(const QString& name) {
    const auto& clusters = connection_->fleet().clusters;
    const auto found = std::find_if(clusters.begin(), clusters.end(),
                                    [&](const client::Cluster& c) { return c.name == name; });
    if (connection_->state() == ConnectionState::connected && found != clusters.end()) {
        openClusterDialog(tr("Change cluster %1").arg(name), *found);
    }
}

void OnlineConsole::openClusterDialog(const QString& title,
                                      const std::optional<client::Cluster>& editing) {
    std::vector<sizing::GroupSpec> groups;
    QStringList seen;
    for (const client::Cluster& cluster : connection_->fleet().clusters) {
        if (!cluster.group.isEmpty() && !seen.contains(cluster.group)) {
            seen << cluster.group;
            sizing::GroupSpec group;
            group.name = cluster.group.toStdString();
            groups.push_back(group);
        }
    }
    previewed_.reset();
    editing_ = editing ? editing->name : QString();
    auto* dialog = new AddClusterDialog(
        groups, [this](const sizing::ClusterSpec& cluster) { submitCluster(cluster); }, title,
        window_);
    dialog->setObjectName(editing ? QStringLiteral("editClusterDialog")
                                  : QStringLiteral("registerClusterDialog"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    if (editing) {
        dialog->setCluster(clusterSpec(*editing));
    }
    registerDialog_ = dialog;
    dialog->open();
}

// First press: what admission would say, from the service's what-if (nothing changes). Second
// press, on the same values: the registration (or the change) itself, which admission may still
// refuse.
void OnlineConsole::submitCluster(const sizing::ClusterSpec& cluster) {
    QPointer<AddClusterDialog> dialog = registerDialog_;
    if (connection_->client() == nullptr || dialog == nullptr) {
        return;
    }
    if (!previewed_ || *previewed_ != cluster) {
        previewAdmission(cluster, dialog);
    } else if (editing_.isEmpty()) {
        sendRegistration(cluster, dialog);
    } else {
        sendChange(cluster, dialog);
    }
}

void OnlineConsole::previewAdmission(const sizing::ClusterSpec& cluster,
                                     QPointer<AddClusterDialog> dialog) {
    client::WhatIfRequest request;
    request.add.append(clusterJson(cluster));
    if (!editing_.isEmpty()) {
        request.remove << editing_;
    }
    connection_->client()->call<client::WhatIfAnswer>(
        client::api::whatIf(request), this,
        [this, dialog, cluster](client::ApiResult<client::WhatIfAnswer> answer) {
            if (dialog == nullptr) {
                return;
            }
            if (!answer) {
                dialog->finishAdd(submitFailure(answer.error(), QString()));
                return;
            }
            previewed_ = cluster;
            dialog->showNote(admissionPreview(answer->sizing, QString::fromStdString(cluster.name)),
                             tr("&Register"));
        });
}

void OnlineConsole::sendRegistration(const sizing::ClusterSpec& cluster,
                                     QPointer<AddClusterDialog> dialog) {
    const QString name = QString::fromStdString(cluster.name);
    connection_->client()->call<client::Registration>(
        client::api::registerClusters(clusterJson(cluster)), this,
        [this, dialog, name](client::ApiResult<client::Registration> answer) {
            if (dialog == nullptr) {
                return;
            }
            if (!answer) {
                submitRefused(dialog, answer.error());
                return;
            }
            dialog->finishAdd(Done{});
            emit message(tr("Registered %1").arg(name), 10000);
            for (const client::Cluster& added : answer->clusters) {
                if (added.token) {
                    showTokenOnce(window_, added.name, *added.token);
                }
            }
            connection_->refresh();
        });
}

void OnlineConsole::sendChange(const sizing::ClusterSpec& cluster,
                               QPointer<AddClusterDialog> dialog) {
    const QString name = QString::fromStdString(cluster.name);
    QJsonObject changes = clusterJson(cluster);
    changes.remove(QStringLiteral("name"));
    connection_->client()->call<client::Cluster>(
        client::api::changeCluster(editing_, changes), this,
        [this, dialog, name](client::ApiResult<client::Cluster> answer) {
            if (dialog == nullptr) {
                return;
            }
            if (!answer) {
                submitRefused(dialog, answer.error());
                return;
            }
            dialog->finishAdd(Done{});
            emit message(tr("Changed %1").arg(name), 10000);
            connection_->refresh();
        });
}

// The dialog goes back to asking for a preview, with the service's reason beside the field.
void OnlineConsole::submitRefused(AddClusterDialog* dialog, const client::ApiError& error) {
    previewed_.reset();
    dialog->showNote({}, tr("Check admission"));
    dialog->finishAdd(
        submitFailure(error, error.refusal ? tr("admission refused it. ") : QString()));
}

void OnlineConsole::removeCluster(const QString& cluster) {
    if (cluster.isEmpty() || connection_->client() == nullptr) {
        return;
    }
    auto* box = new QMessageBox(
        QMessageBox::Warning, tr("Remove %1?").arg(cluster),
        tr("Remove cluster %1 from the service? Its passive node is undefined if the service "
           "defined it, its token stops working, and its history stays in the event log.")
            .arg(cluster),
        QMessageBox::Cancel, window_);
    box->setObjectName(QStringLiteral("confirmRemoveCluster"));
    box->addButton(tr("&Remove"), QMessageBox::DestructiveRole);
    box->setAttribute(Qt::WA_DeleteOnClose);
    connect(box, &QMessageBox::buttonClicked, this, [this, box, cluster](QAbstractButton* button) {
        if (box->buttonRole(button) != QMessageBox::DestructiveRole) {
            return;
        }
        connection_->client()->call<client::Empty>(
            client::api::removeCluster(cluster), this,
            [this, cluster](client::ApiResult<client::Empty> answer) {
                if (!answer) {
                    showError(window_, tr("Cluster not removed"),
                              tr("%1 was not removed: %2")
                                  .arg(cluster, describeApiError(answer.error())));
                    return;
                }
                emit message(tr("Removed %1").arg(cluster), 10000);
                connection_->refresh();
            });
    });
    box->open();
}

void OnlineConsole::rotateToken(const QString& cluster) {
    if (cluster.isEmpty() || connection_->client() == nullptr) {
        return;
    }
    auto* box = new QMessageBox(
        QMessageBox::Warning, tr("Rotate the token of %1?").arg(cluster),
        tr("Give cluster %1 a new token? The old one stops working at once: its agents fail "
           "until they have the new one.")
            .arg(cluster),
        QMessageBox::Cancel, window_);
    box->setObjectName(QStringLiteral("confirmRotateToken"));
    box->addButton(tr("&Rotate"), QMessageBox::DestructiveRole);
    box->setAttribute(Qt::WA_DeleteOnClose);
    connect(box, &QMessageBox::buttonClicked, this, [this, box, cluster](QAbstractButton* button) {
        if (box->buttonRole(button) != QMessageBox::DestructiveRole) {
            return;
        }
        connection_->client()->call<QString>(
            client::api::rotateToken(cluster), this,
            [this, cluster](client::ApiResult<QString> answer) {
                if (!answer) {
                    showError(window_, tr("Token not rotated"),
                              tr("The token of %1 was not rotated: %2")
                                  .arg(cluster, describeApiError(answer.error())));
                    return;
                }
                showTokenOnce(window_, cluster, *answer);
            });
    });
    box->open();
}

void OnlineConsole::whatIfFailed(const QString& cluster) {
    client::ApiClient* client = connection_->client();
    if (cluster.isEmpty() || client == nullptr) {
        return;
    }
    client::WhatIfRequest request;
    request.fail << cluster;
    client->call<client::WhatIfAnswer>(
        client::api::whatIf(request), this,
        [this, cluster](client::ApiResult<client::WhatIfAnswer> answer) {
            if (!answer) {
                nodes_->showOutcome(
                    false,
                    tr("What-if for %1 failed: %2").arg(cluster, describeApiError(answer.error())));
                return;
            }
            QStringList lines;
            bool ok = true;
            for (const client::WhatIfTakeover& takeover : answer->takeovers) {
                QString line = tr("If %1 failed now, %2 would be %3")
                                   .arg(cluster, takeover.node, takeover.outcome);
                if (!takeover.preempted.isEmpty()) {
                    line +=
                        tr(", preempting %1").arg(takeover.preempted.join(QStringLiteral(", ")));
                }
                if (takeover.denial) {
                    line += QStringLiteral(". ") + describeDenial(*takeover.denial);
                }
                ok = ok && takeover.outcome != QLatin1String("denied");
                lines << line + QLatin1Char('.');
            }
            if (lines.isEmpty()) {
                lines << tr("The service names no takeover for %1.").arg(cluster);
            }
            nodes_->showOutcome(
                ok, tr("What-if (nothing changed): %1").arg(lines.join(QLatin1Char(' '))));
        });
}

void OnlineConsole::countUnreadEventsIn(QTabWidget* tabs) {
    unread_ = new UnreadEvents(connection_, tabs, events_);
}

void OnlineConsole::showClusterDetails(const QString& name) {
    const auto& clusters = connection_->fleet().clusters;
    const auto found = std::find_if(clusters.begin(), clusters.end(),
                                    [&](const client::Cluster& c) { return c.name == name; });
    if (found == clusters.end() || connection_->client() == nullptr) {
        return;
    }
    auto* dialog = new ClusterDetailsDialog(
        connection_, *found, [this, name] { rotateToken(name); }, window_);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->open();
}

}  // namespace understudy::gui
