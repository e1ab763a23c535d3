#include "appliance/daemon/appliance_fencer.h"

#include <QLoggingCategory>

#include <nlohmann/json.hpp>

namespace understudy::daemon {

namespace {

Q_LOGGING_CATEGORY(lcFencer, "understudy.appliance")

}  // namespace

ApplianceFencer::ApplianceFencer(core::ApplianceCore& core, ProcessRunner& runner,
                                 std::vector<FenceConfig> appliances, QObject* parent)
    : QObject(parent), core_(core), runner_(runner) {
    for (FenceConfig& config : appliances) {
        const std::string name = config.appliance;
        watches_[name] = Watch{std::move(config)};
    }
    timer_.setInterval(std::chrono::seconds(1));
    connect(&timer_, &QTimer::timeout, this, &ApplianceFencer::check);
    if (!watches_.empty()) {
        timer_.start();
    }
}

ApplianceFencer::~ApplianceFencer() {
    for (auto& [name, watch] : watches_) {
        if (watch.running) {
            runner_.cancel(watch.run);
        }
    }
}

void ApplianceFencer::check() {
    const db::TimeMs now = db::nowMs();
    for (const core::ApplianceLink& link : core_.applianceLinks()) {
        auto found = watches_.find(link.name);
        if (found == watches_.end()) {
            continue;
        }
        Watch& watch = found->second;
        if (link.state != core::ApplianceState::unreachable || !link.unreachable_since) {
            watch.next_attempt = 0;
            continue;
        }
        if (watch.running || watch.declaring ||
            now < *link.unreachable_since + watch.lostAfterMs() || now < watch.next_attempt) {
            continue;
        }
        fence(watch);
    }
}

void ApplianceFencer::fence(Watch& watch) {
    const std::string appliance = watch.config.appliance;
    qCWarning(lcFencer,
              "%s: unreachable for %lld s; running its fence_command to power it off before "
              "its nodes are started elsewhere",
              appliance.c_str(), static_cast<long long>(watch.config.lost_after.count()));
    ProcessSpec spec;
    spec.command = watch.config.command;
    spec.label = "fence_command of appliance " + appliance;
    spec.timeout = watch.config.timeout;
    watch.running = true;
    watch.run = runner_.start(std::move(spec), this, [this, appliance](ProcessResult result) {
        onFenced(appliance, result);
    });
}

void ApplianceFencer::onFenced(const std::string& appliance, const ProcessResult& result) {
    Watch& watch = watches_.at(appliance);
    watch.running = false;
    if (!result.exit_code || *result.exit_code != 0) {
        watch.next_attempt = db::nowMs() + watch.lostAfterMs();
        qCWarning(lcFencer,
                  "%s: its fence_command %s; the appliance is not known to be off, so it stays "
                  "unreachable (not lost); trying again in %lld s. Check the command, or declare "
                  "it lost by hand once it is off: understudyctl appliance lost %s",
                  appliance.c_str(), describe(result).c_str(),
                  static_cast<long long>(watch.config.lost_after.count()), appliance.c_str());
        return;
    }
    // Recorded on its own, before the declaration: the service powered an appliance off, even
    // if declaring it lost fails next. Never the command line: it may carry credentials.
    db::DBEvent fenced;
    fenced.time = db::nowMs();
    fenced.kind = "appliance.fenced";
    fenced.details = nlohmann::json{{"appliance", appliance}, {"by", "fence_command"}}.dump();
    fenced.actor = core::Actor{}.text();
    core_.appendEvents({fenced});
    core::LossCause cause;
    cause.fenced_by_service = true;
    watch.declaring = true;
    core_.declareLost(appliance, cause)
        .then(this, [this, appliance](Result<core::LossOutcome> outcome) {
            Watch& declared = watches_.at(appliance);
            declared.declaring = false;
            if (!outcome) {
                declared.next_attempt = db::nowMs() + declared.lostAfterMs();
                qCWarning(lcFencer, "%s: powered off, but declaring it lost failed: %s",
                          appliance.c_str(), outcome.error().describe().c_str());
                return;
            }
            qCWarning(lcFencer,
                      "%s: powered off by its fence_command and declared lost: %zu node(s) "
                      "evacuated, %zu stranded",
                      appliance.c_str(), outcome->evacuated.size(), outcome->stranded.size());
        });
}

}  // namespace understudy::daemon
