// Declares an appliance lost by itself (understudyd.conf(5), `fence_command` and
// `lost_after_s`): once it has been unreachable for lost_after_s, its fence_command is run, and
// only when that answers 0 (the appliance is off) is it declared lost and its standby nodes
// evacuated. Silence alone never makes it lost: its nodes may still run behind a partition. A
// command that fails is tried again after another lost_after_s. Lives on the daemon's thread;
// the command runs on the ProcessRunner's worker.
#pragma once

#include <QObject>
#include <QTimer>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "appliance/core/appliance_core.h"
#include "appliance/daemon/process_runner.h"

namespace understudy::daemon {

struct FenceConfig {
    std::string appliance;
    std::string command;
    std::chrono::seconds lost_after{0};
    std::chrono::milliseconds timeout{60000};
};

class ApplianceFencer : public QObject {
    Q_OBJECT
public:
    ApplianceFencer(core::ApplianceCore& core, ProcessRunner& runner,
                    std::vector<FenceConfig> appliances, QObject* parent = nullptr);
    ~ApplianceFencer() override;

    // Looks at every appliance's state now (the timer does it every second).
    void check();

private:
    struct Watch {
        FenceConfig config;
        bool running = false;
        bool declaring = false;  // its fence_command answered 0; the declaration is under way
        ProcessRunner::RunId run = 0;
        db::TimeMs next_attempt = 0;  // after a failed command

        db::TimeMs lostAfterMs() const {
            return std::chrono::duration_cast<std::chrono::milliseconds>(config.lost_after).count();
        }
    };
    void fence(Watch& watch);
    void onFenced(const std::string& appliance, const ProcessResult& result);

    core::ApplianceCore& core_;
    ProcessRunner& runner_;
    std::map<std::string, Watch> watches_;
    QTimer timer_;
};

}  // namespace understudy::daemon
