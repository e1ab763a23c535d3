#include "gui/online/alarm_bar.h"

#include <QApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QStyle>
#include <QSystemTrayIcon>
#include <QTabWidget>
#include <QTime>
#include <algorithm>
#include <utility>

#include "appliance/client/api_json.h"
#include "gui/online/api_error_text.h"

namespace understudy::gui {

namespace {

QString who(const client::Event& event) {
    const QString node = event.node.value_or(QString());
    const QString cluster = event.cluster.value_or(QString());
    if (node.isEmpty()) {
        return cluster.isEmpty() ? QString() : AlarmBar::tr("cluster %1").arg(cluster);
    }
    return cluster.isEmpty() ? node : AlarmBar::tr("%1 (cluster %2)").arg(node, cluster);
}

QString deniedText(const client::Event& event) {
    const auto denial = client::fromJson<client::Denial>(event.details.value("denial"));
    const QString why =
        denial ? describeDenial(*denial).section(QLatin1Char('\n'), 0, 0) : QString();
    return why.isEmpty() ? AlarmBar::tr("Takeover of %1 denied.").arg(who(event))
                         : AlarmBar::tr("Takeover of %1 denied: %2").arg(who(event), why);
}

QString timeText(const QDateTime& time) {
    return time.toLocalTime().toString(QStringLiteral("HH:mm:ss"));
}

}  // namespace

std::optional<Alarm> alarmFor(const client::Event& event) {
    const QString& kind = event.kind;
    const QString appliance = event.details.value("appliance").toString();
    QString text;
    Tone tone = Tone::critical;
    if (kind == QLatin1String("takeover.denied")) {
        text = deniedText(event);
    } else if (kind == QLatin1String("preempted")) {
        text = AlarmBar::tr("%1 was preempted for %2: it cannot take over until restored.")
                   .arg(who(event), event.details.value("for").toString());
    } else if (kind == QLatin1String("node.missing")) {
        text = AlarmBar::tr("%1 is missing: its libvirt domain is gone.").arg(who(event));
    } else if (kind == QLatin1String("node.drifted")) {
        text = AlarmBar::tr("%1 drifted from the footprint the service gave it.").arg(who(event));
    } else if (kind == QLatin1String("node.stranded")) {
        text = AlarmBar::tr("%1 is stranded: %2")
                   .arg(who(event), event.details.value("reason").toString());
    } else if (kind == QLatin1String("probe.failed")) {
        text = AlarmBar::tr("The probe of %1 failed.").arg(who(event));
        tone = Tone::warning;
    } else if (kind == QLatin1String("appliance.unreachable")) {
        text =
            AlarmBar::tr("Appliance %1 is unreachable: its nodes cannot take over.").arg(appliance);
    } else if (kind == QLatin1String("appliance.lost")) {
        text = AlarmBar::tr("Appliance %1 is lost: its standby nodes move to the others.")
                   .arg(appliance);
    } else {
        return std::nullopt;
    }
    return Alarm{event.time, tone, text};
}

NewEvents::NewEvents(ServiceConnection* connection, QObject* parent)
    : QObject(parent), connection_(connection) {
    connect(connection_, &ServiceConnection::eventsReset, this, [this] {
        baseline_ = -1;
        emit reset();
    });
    connect(connection_, &ServiceConnection::stateChanged, this, [this] {
        if (baseline_ < 0 && connection_->state() == ConnectionState::connected) {
            baseline_ = connection_->lastEventId();
        }
    });
    connect(connection_, &ServiceConnection::eventsAppended, this, [this](int count, int) {
        if (baseline_ < 0) {
            return;
        }
        const auto& events = connection_->events();
        std::vector<client::Event> fresh;
        const auto first = events.end() - std::min<std::ptrdiff_t>(
                                              count, static_cast<std::ptrdiff_t>(events.size()));
        std::copy_if(first, events.end(), std::back_inserter(fresh),
                     [this](const client::Event& event) { return event.id > baseline_; });
        if (!fresh.empty()) {
            emit arrived(fresh);
        }
    });
}

AlarmBar::AlarmBar(ServiceConnection* connection, QWidget* parent)
    : QFrame(parent), connection_(connection) {
    setObjectName(QStringLiteral("alarmBar"));
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 4, 8, 4);
    icon_ = new QLabel(this);
    layout->addWidget(icon_);
    text_ = new QLabel(this);
    text_->setObjectName(QStringLiteral("alarmText"));
    text_->setWordWrap(true);
    text_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(text_, 1);
    acknowledge_ = new QPushButton(tr("&Acknowledge"), this);
    acknowledge_->setObjectName(QStringLiteral("acknowledgeAlarms"));
    acknowledge_->setToolTip(tr("Hide these alarms; the Events tab keeps them"));
    layout->addWidget(acknowledge_);
    connect(acknowledge_, &QPushButton::clicked, this, &AlarmBar::acknowledge);
    if (QSystemTrayIcon::isSystemTrayAvailable()) {
        tray_ = new QSystemTrayIcon(toneIcon(Tone::warning, style()), this);
        tray_->setToolTip(tr("Understudy console"));
        // A click on the notification or the icon brings the console forward, at its alarms.
        const auto bringForward = [this] {
            window()->showNormal();
            window()->raise();
            window()->activateWindow();
        };
        connect(tray_, &QSystemTrayIcon::messageClicked, this, bringForward);
        connect(tray_, &QSystemTrayIcon::activated, this, bringForward);
    }
    auto* fresh = new NewEvents(connection_, this);
    connect(fresh, &NewEvents::arrived, this, [this](const std::vector<client::Event>& events) {
        for (const client::Event& event : events) {
            if (const auto alarm = alarmFor(event)) {
                raise(*alarm);
            }
        }
    });
    connect(fresh, &NewEvents::reset, this, [this] {
        alarms_.clear();
        outage_.reset();
        showAlarms();
    });
    connect(connection_, &ServiceConnection::stateChanged, this, &AlarmBar::connectionChanged);
    showAlarms();
}

// The service's own outage is an alarm too; once it is back, the alarm says for how long.
void AlarmBar::connectionChanged() {
    const ConnectionState state = connection_->state();
    const ConnectionState before = std::exchange(last_, state);
    const QString host = connection_->url().toDisplayString(QUrl::RemoveUserInfo);
    if (before == ConnectionState::connected && state == ConnectionState::reconnecting) {
        raise({QDateTime::currentDateTimeUtc(), Tone::critical,
               tr("The service at %1 is unreachable: %2").arg(host, connection_->lastError())});
        outage_ = alarms_.size() - 1;
    } else if (state == ConnectionState::connected && outage_ && *outage_ < alarms_.size()) {
        Alarm& outage = alarms_[*outage_];
        outage.text =
            tr("The service at %1 was unreachable from %2 to %3.")
                .arg(host, timeText(outage.time), timeText(QDateTime::currentDateTimeUtc()));
        outage.tone = Tone::warning;
        outage_.reset();
        showAlarms();
    }
}

void AlarmBar::raise(const Alarm& alarm) {
    alarms_.push_back(alarm);
    showAlarms();
    if (tray_ != nullptr) {
        tray_->show();
        tray_->showMessage(
            tr("Understudy: %1").arg(toneWord(alarm.tone)), alarm.text,
            alarm.tone == Tone::critical ? QSystemTrayIcon::Critical : QSystemTrayIcon::Warning);
    }
}

void AlarmBar::acknowledge() {
    alarms_.clear();
    outage_.reset();
    showAlarms();
}

void AlarmBar::showAlarms() {
    if (alarms_.empty()) {
        hide();
        return;
    }
    const Tone tone = std::any_of(alarms_.begin(), alarms_.end(),
                                  [](const Alarm& alarm) { return alarm.tone == Tone::critical; })
                          ? Tone::critical
                          : Tone::warning;
    const Alarm& newest = alarms_.back();
    text_->setText(alarms_.size() == 1 ? tr("%1 %2").arg(timeText(newest.time), newest.text)
                                       : tr("%1 alarms; the newest, at %2: %3")
                                             .arg(alarms_.size())
                                             .arg(timeText(newest.time), newest.text));
    QStringList all;
    for (const Alarm& alarm : alarms_) {
        all << tr("%1 %2").arg(timeText(alarm.time), alarm.text);
    }
    setToolTip(all.join(QLatin1Char('\n')));
    const int size = style()->pixelMetric(QStyle::PM_SmallIconSize);
    icon_->setPixmap(toneIcon(tone, style()).pixmap(size, size));
    setStyleSheet(QStringLiteral("#alarmBar { background: %1; border-bottom: 2px solid %2; }")
                      .arg(styleSheetColor(toneTint(tone, false)), toneColor(tone).name()));
    text_->setStyleSheet(QStringLiteral("font-weight: bold;"));
    show();
}

UnreadEvents::UnreadEvents(ServiceConnection* connection, QTabWidget* tabs, QWidget* eventsPage)
    : QObject(tabs), tabs_(tabs), page_(eventsPage) {
    title_ = tabs_->tabText(tabs_->indexOf(page_));
    auto* fresh = new NewEvents(connection, this);
    connect(fresh, &NewEvents::arrived, this, [this](const std::vector<client::Event>& events) {
        if (tabs_->currentWidget() != page_) {
            count_ += static_cast<int>(events.size());
            show();
        }
    });
    connect(fresh, &NewEvents::reset, this, [this] {
        count_ = 0;
        show();
    });
    connect(tabs_, &QTabWidget::currentChanged, this, [this] {
        if (tabs_->currentWidget() == page_ && count_ > 0) {
            count_ = 0;
            show();
        }
    });
}

void UnreadEvents::show() {
    const int index = tabs_->indexOf(page_);
    tabs_->setTabText(index, count_ == 0 ? title_ : tr("%1 (%2)").arg(title_).arg(count_));
    tabs_->setTabToolTip(index, count_ == 0 ? QString()
                                            : tr("%1 events arrived since you last looked at "
                                                 "this tab")
                                                  .arg(count_));
}

}  // namespace understudy::gui
