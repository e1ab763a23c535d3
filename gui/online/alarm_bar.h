// What needs the operator's attention, said where it cannot be missed: a bar above every tab
// with the alarms not yet acknowledged (denials, preemptions, nodes missing or drifted, probe
// failures, appliances unreachable or lost, the service unreachable), a desktop notification for
// each where the desktop has a system tray, and the count of events not yet seen on the Events
// tab. Only what happens after the console connected alarms: the history it loads does not.
#pragma once

#include <QDateTime>
#include <QFrame>
#include <optional>
#include <vector>

#include "appliance/client/api_types.h"
#include "gui/online/online_style.h"
#include "gui/online/service_connection.h"

class QLabel;
class QPushButton;
class QSystemTrayIcon;
class QTabWidget;

namespace understudy::gui {

struct Alarm {
    QDateTime time;
    Tone tone = Tone::warning;
    QString text;
};

// The alarm an event raises, if it is one that does.
std::optional<Alarm> alarmFor(const client::Event& event);

// Follows a connection's events and says which are new: those after the newest event held when
// it first connected, including those a reconnection loads.
class NewEvents : public QObject {
    Q_OBJECT
public:
    explicit NewEvents(ServiceConnection* connection, QObject* parent = nullptr);

signals:
    void arrived(const std::vector<client::Event>& events);
    void reset();

private:
    ServiceConnection* connection_;
    qint64 baseline_ = -1;
};

class AlarmBar : public QFrame {
    Q_OBJECT
public:
    explicit AlarmBar(ServiceConnection* connection, QWidget* parent = nullptr);

    // Not yet acknowledged, oldest first.
    const std::vector<Alarm>& alarms() const { return alarms_; }
    void acknowledge();
    QLabel* text() const { return text_; }
    QPushButton* acknowledgeButton() const { return acknowledge_; }
    // Null where the desktop has no system tray (and under the offscreen platform).
    QSystemTrayIcon* tray() const { return tray_; }

private:
    void raise(const Alarm& alarm);
    void connectionChanged();
    void showAlarms();

    ServiceConnection* connection_;
    QLabel* icon_ = nullptr;
    QLabel* text_ = nullptr;
    QPushButton* acknowledge_ = nullptr;
    QSystemTrayIcon* tray_ = nullptr;
    std::vector<Alarm> alarms_;
    ConnectionState last_ = ConnectionState::disconnected;
    std::optional<std::size_t> outage_;  // the alarm of the service's outage under way
};

// "&Events (3)": the events that arrived while the Events tab was not the current one.
class UnreadEvents : public QObject {
    Q_OBJECT
public:
    UnreadEvents(ServiceConnection* connection, QTabWidget* tabs, QWidget* eventsPage);
    int count() const { return count_; }

private:
    void show();

    QTabWidget* tabs_;
    QWidget* page_;
    QString title_;
    int count_ = 0;
};

}  // namespace understudy::gui
