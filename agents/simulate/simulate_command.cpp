#include "agents/simulate/simulate_command.h"

#include <sys/socket.h>
#include <unistd.h>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSocketNotifier>
#include <algorithm>
#include <cmath>
#include <csignal>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "agents/ctl/ctl_output.h"
#include "agents/ctl/ctl_settings.h"
#include "agents/simulate/fleet_simulation.h"
#include "agents/simulate/simulation_driver.h"
#include "appliance/client/api_client.h"
#include "sizing/engine.h"
#include "sizing/fleet_file.h"

namespace understudy::simulate {

namespace {

using agents::kExitDone;
using agents::kExitRefused;
using agents::kExitUnavailable;
using agents::kExitUsage;
using nlohmann::ordered_json;

constexpr double kMaxHours = 1e12;
constexpr double kMaxWallS = 1e6;
constexpr double kMaxTimeScale = 1e12;
constexpr int kMaxBatches = 100000;
constexpr int kMaxConcurrency = 256;
constexpr int kEventPage = 1000;

struct Options {
    QString fleet_file;
    std::optional<QString> groups_file;
    bool model_only = false;
    std::optional<double> hours;
    std::optional<double> wall_s;
    double time_scale = 86400;
    std::uint64_t seed = 1;
    int batches = 50;
    int concurrency = 8;
    double wait_s = 30;
    bool do_register = false;
    std::optional<QString> ctl;
    bool quiet = false;
    agents::GlobalOptions global;
};

struct UsageError {
    QString message;
};

// A number option's value: finite, within [low, high], and above `low` when `open_low`.
std::optional<double> number(const QString& text, double low, double high, bool open_low) {
    bool ok = false;
    const double value = text.toDouble(&ok);
    if (!ok || !std::isfinite(value) || value > high || value < low || (open_low && value <= low)) {
        return std::nullopt;
    }
    return value;
}

std::optional<UsageError> parse(const QStringList& args, Options& options) {
    QStringList positional;
    for (qsizetype i = 0; i < args.size(); ++i) {
        const QString& arg = args[i];
        if (!arg.startsWith(QStringLiteral("--")) || arg == QStringLiteral("--")) {
            if (arg == QStringLiteral("--")) {
                positional += args.mid(i + 1);
                break;
            }
            positional.append(arg);
            continue;
        }
        QString name = arg;
        std::optional<QString> inline_value;
        if (const qsizetype eq = arg.indexOf(u'='); eq > 0) {
            name = arg.left(eq);
            inline_value = arg.mid(eq + 1);
        }
        static const std::set<QString> kFlags = {
            QStringLiteral("--model-only"), QStringLiteral("--register"), QStringLiteral("--json"),
            QStringLiteral("--quiet"),      QStringLiteral("--insecure"), QStringLiteral("--help")};
        if (kFlags.count(name) != 0) {
            if (inline_value) {
                return UsageError{QStringLiteral("%1 takes no value").arg(name)};
            }
            if (name == QStringLiteral("--model-only")) {
                options.model_only = true;
            } else if (name == QStringLiteral("--register")) {
                options.do_register = true;
            } else if (name == QStringLiteral("--json")) {
                options.global.json = true;
            } else if (name == QStringLiteral("--quiet")) {
                options.quiet = true;
            } else if (name == QStringLiteral("--insecure")) {
                options.global.insecure = true;
            } else {
                options.global.help = true;
            }
            continue;
        }
        QString value;
        if (inline_value) {
            value = *inline_value;
        } else if (i + 1 < args.size()) {
            value = args[++i];
        } else {
            return UsageError{QStringLiteral("%1 needs a value").arg(name)};
        }
        auto bad = [&](const QString& expected) {
            return UsageError{QStringLiteral("%1 '%2' is not %3").arg(name, value, expected)};
        };
        if (name == QStringLiteral("--groups")) {
            options.groups_file = value;
        } else if (name == QStringLiteral("--hours")) {
            options.hours = number(value, 0, kMaxHours, true);
            if (!options.hours) {
                return bad(QStringLiteral("a number of hours above 0 (at most 1e12)"));
            }
        } else if (name == QStringLiteral("--wall")) {
            options.wall_s = number(value, 0, kMaxWallS, true);
            if (!options.wall_s) {
                return bad(QStringLiteral("a number of seconds above 0 (at most 1e6)"));
            }
        } else if (name == QStringLiteral("--time-scale")) {
            const auto scale = number(value, 0, kMaxTimeScale, true);
            if (!scale) {
                return bad(QStringLiteral("a factor above 0 (simulated seconds per second)"));
            }
            options.time_scale = *scale;
        } else if (name == QStringLiteral("--seed")) {
            bool ok = false;
            options.seed = value.toULongLong(&ok);
            if (!ok) {
                return bad(QStringLiteral("a whole number from 0 to 2^64 − 1"));
            }
        } else if (name == QStringLiteral("--batches")) {
            bool ok = false;
            options.batches = value.toInt(&ok);
            if (!ok || options.batches < 2 || options.batches > kMaxBatches) {
                return bad(QStringLiteral("a whole number from 2 to 100000"));
            }
        } else if (name == QStringLiteral("--concurrency")) {
            bool ok = false;
            options.concurrency = value.toInt(&ok);
            if (!ok || options.concurrency < 1 || options.concurrency > kMaxConcurrency) {
                return bad(QStringLiteral("a whole number from 1 to 256"));
            }
        } else if (name == QStringLiteral("--wait")) {
            auto seconds = agents::parseSeconds(value, QStringLiteral("--wait"));
            if (!seconds) {
                return UsageError{QString::fromStdString(seconds.error().describe())};
            }
            options.wait_s = *seconds;
        } else if (name == QStringLiteral("--timeout")) {
            auto seconds = agents::parseSeconds(value, QStringLiteral("--timeout"));
            if (!seconds) {
                return UsageError{QString::fromStdString(seconds.error().describe())};
            }
            options.global.timeout_s = *seconds;
        } else if (name == QStringLiteral("--url")) {
            options.global.url = value;
        } else if (name == QStringLiteral("--token-file")) {
            options.global.token_file = value;
        } else if (name == QStringLiteral("--ca-file")) {
            options.global.ca_file = value;
        } else if (name == QStringLiteral("--ctl")) {
            options.ctl = value;
        } else {
            return UsageError{QStringLiteral("unknown option %1").arg(name)};
        }
    }
    if (options.global.help) {
        return std::nullopt;
    }
    if (positional.size() != 1) {
        return UsageError{positional.isEmpty()
                              ? QStringLiteral("no fleet file given")
                              : QStringLiteral("one fleet file expected, got %1: %2")
                                    .arg(positional.size())
                                    .arg(positional.join(QStringLiteral(" ")))};
    }
    options.fleet_file = positional.front();
    if (options.model_only) {
        if (!options.hours) {
            return UsageError{QStringLiteral("--model-only needs --hours H (simulated hours)")};
        }
        for (const auto& [given, what] :
             {std::pair{options.wall_s.has_value(), "--wall"},
              std::pair{options.do_register, "--register"},
              std::pair{options.global.url.has_value(), "--url"},
              std::pair{options.global.token_file.has_value(), "--token-file"},
              std::pair{options.ctl.has_value(), "--ctl"}}) {
            if (given) {
                return UsageError{QStringLiteral("%1 needs a service; --model-only runs without "
                                                 "one")
                                      .arg(QString::fromLatin1(what))};
            }
        }
    } else if (!options.hours && !options.wall_s) {
        return UsageError{
            QStringLiteral("a run against a service needs an end: --wall S (wall "
                           "seconds) or --hours H (simulated hours)")};
    }
    return std::nullopt;
}

// Where the signal handler writes a byte (the self-pipe trick): only async-signal-safe work in
// the handler, the rest on the event loop.
int g_interrupt_fd = -1;

extern "C" void onInterrupt(int) {
    const char byte = 1;
    [[maybe_unused]] const ssize_t written = ::write(g_interrupt_fd, &byte, 1);
}

// While it lives, SIGINT and SIGTERM end the run cleanly (every node released) instead of
// leaving grants behind; a second signal has its default effect.
class InterruptWatch {
public:
    explicit InterruptWatch(std::function<void()> on_interrupt) {
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds_) != 0) {
            return;
        }
        g_interrupt_fd = fds_[0];
        notifier_ = std::make_unique<QSocketNotifier>(fds_[1], QSocketNotifier::Read);
        QObject::connect(notifier_.get(), &QSocketNotifier::activated, notifier_.get(),
                         [this, on_interrupt = std::move(on_interrupt)] {
                             char byte = 0;
                             [[maybe_unused]] const ssize_t got = ::read(fds_[1], &byte, 1);
                             on_interrupt();
                         });
        struct sigaction action {};
        action.sa_handler = onInterrupt;
        sigemptyset(&action.sa_mask);
        action.sa_flags = static_cast<int>(SA_RESETHAND);
        sigaction(SIGINT, &action, &old_int_);
        sigaction(SIGTERM, &action, &old_term_);
        installed_ = true;
    }
    ~InterruptWatch() {
        if (!installed_) {
            return;
        }
        sigaction(SIGINT, &old_int_, nullptr);
        sigaction(SIGTERM, &old_term_, nullptr);
        notifier_.reset();
        g_interrupt_fd = -1;
        ::close(fds_[0]);
        ::close(fds_[1]);
    }
    InterruptWatch(const InterruptWatch&) = delete;
    InterruptWatch& operator=(const InterruptWatch&) = delete;

private:
    int fds_[2] = {-1, -1};
    bool installed_ = false;
    std::unique_ptr<QSocketNotifier> notifier_;
    struct sigaction old_int_ {};
    struct sigaction old_term_ {};
};

ordered_json jsonNumber(double value) {
    return std::isfinite(value) ? ordered_json(value) : ordered_json(nullptr);
}

ordered_json shareJson(const ShareEstimate& estimate, std::optional<double> engine_risk) {
    ordered_json made{{"share", estimate.share},
                      {"std_error", jsonNumber(estimate.std_error)},
                      {"batches", estimate.batches}};
    if (engine_risk) {
        made["engine_risk"] = *engine_risk;
    }
    return made;
}

// Nearest rank.
double percentile(std::vector<double> values, double q) {
    if (values.empty()) {
        return std::numeric_limits<double>::quiet_NaN();
    }
    std::sort(values.begin(), values.end());
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
    return values[std::clamp<std::size_t>(rank, 1, values.size()) - 1];
}

// The engine's figures of each appliance at the model's capacity, for its own clusters.
struct EngineRisk {
    std::array<double, sizing::kResourceCount> resource{};
    double either = 0;
};

std::vector<EngineRisk> engineRisks(const sizing::Fleet& fleet, const SimulationModel& model) {
    std::vector<EngineRisk> risks(model.appliances.size());
    for (std::size_t a = 0; a < model.appliances.size(); ++a) {
        sizing::Fleet part;
        part.target_risk = fleet.target_risk;
        part.cpu_overcommit = 1.0;
        part.groups = fleet.groups;
        const Amounts& capacity = model.appliances[a].capacity;
        part.appliances.push_back({model.appliances[a].name, std::max<std::int64_t>(capacity[1], 0),
                                   std::max<std::int64_t>(capacity[0], 0), 0, 0});
        for (std::size_t i = 0; i < model.clusters.size(); ++i) {
            if (model.clusters[i].appliance == a) {
                part.clusters.push_back(fleet.clusters[i]);
            }
        }
        const sizing::SizingResult result = sizing::size(part);
        const sizing::ApplianceResult& figures = result.appliances.front();
        for (const sizing::Resource r : sizing::kResources) {
            risks[a].resource[static_cast<std::size_t>(r)] = figures.figures(r).overflow_risk;
        }
        risks[a].either = figures.overflow_risk_any.value;
    }
    return risks;
}

double clusterProbability(const sizing::Fleet& fleet, const sizing::ClusterSpec& cluster) {
    const double own = sizing::stationaryProbability(cluster.mtbf_hours, cluster.mttr_hours);
    for (const sizing::GroupSpec& group : fleet.groups) {
        if (group.name == cluster.group) {
            return 1 - (1 - own) *
                           (1 - sizing::stationaryProbability(group.mtbf_hours, group.mttr_hours));
        }
    }
    return own;
}

// What a service answered that the run needs.
struct ServicePlan {
    std::vector<QString> nodes;  // per fleet cluster
    std::vector<std::vector<std::size_t>> placement;
    std::vector<SimAppliance> appliances;
    qint64 first_event = 0;  // events after this one are the run's
};

class Runner {
public:
    Runner(Options options, const QProcessEnvironment& environment, QString default_ctl,
           QTextStream& out, QTextStream& err)
        : options_(std::move(options)),
          environment_(environment),
          default_ctl_(std::move(default_ctl)),
          out_(out),
          err_(err) {}

    int run();

private:
    int fail(int code, const QString& message) {
        err_ << "understudy-simulate: " << message << '\n';
        err_.flush();
        return code;
    }
    int failApi(const QString& what, const client::ApiError& error) {
        return fail(agents::exitCodeFor(error),
                    QStringLiteral("%1 failed at %2: %3")
                        .arg(what, settings_.url.toString(), error.summary()));
    }
    void progress(const QString& line) {
        if (!options_.quiet) {
            err_ << line << '\n';
            err_.flush();
        }
    }
    std::optional<int> connect(sizing::Fleet& fleet, ServicePlan& plan);
    std::optional<int> registerMissing(const sizing::Fleet& fleet,
                                       const std::vector<client::Cluster>& known);
    client::ApiResult<qint64> lastEventId();
    std::optional<QString> findCtl() const;
    int summarize(const sizing::Fleet& fleet, const FleetSimulation& simulation,
                  const std::vector<QString>& nodes, const DriverRecord* record,
                  const std::map<std::string, qint64>& service_events);

    Options options_;
    QProcessEnvironment environment_;
    QString default_ctl_;
    QTextStream& out_;
    QTextStream& err_;
    agents::CtlSettings settings_;
    std::unique_ptr<client::ApiClient> client_;
};

std::optional<QString> Runner::findCtl() const {
    const QString program = options_.ctl.value_or(default_ctl_);
    const QFileInfo info(program);
    if (program.isEmpty() || !info.isFile() || !info.isExecutable()) {
        return std::nullopt;
    }
    return info.absoluteFilePath();
}

client::ApiResult<qint64> Runner::lastEventId() {
    client::EventQuery query;
    query.limit = kEventPage;
    for (;;) {
        auto page = client_->callSync(client::api::events(query));
        if (!page) {
            return page.error();
        }
        if (page->events.empty()) {
            return query.since;
        }
        query.since = page->next;
    }
}

std::optional<int> Runner::registerMissing(const sizing::Fleet& fleet,
                                           const std::vector<client::Cluster>& known) {
    std::set<QString> known_names;
    for (const client::Cluster& c : known) {
        known_names.insert(c.name);
    }
    auto groups = client_->callSync(client::api::groups());
    if (!groups) {
        return failApi(QStringLiteral("listing the groups"), groups.error());
    }
    std::set<QString> known_groups;
    for (const client::Group& g : *groups) {
        known_groups.insert(g.name);
    }
    ordered_json clusters = ordered_json::array();
    ordered_json needed_groups = ordered_json::array();
    std::set<std::string> added_groups;
    for (const sizing::ClusterSpec& c : fleet.clusters) {
        if (known_names.count(QString::fromStdString(c.name)) != 0) {
            continue;
        }
        clusters.push_back(sizing::clusterToJson(c));
        if (!c.group.empty() && known_groups.count(QString::fromStdString(c.group)) == 0 &&
            added_groups.insert(c.group).second) {
            for (const sizing::GroupSpec& g : fleet.groups) {
                if (g.name == c.group) {
                    needed_groups.push_back(sizing::groupToJson(g));
                }
            }
        }
    }
    if (clusters.empty()) {
        return std::nullopt;
    }
    const ordered_json body{{"clusters", clusters}, {"groups", needed_groups}};
    const QJsonObject object =
        QJsonDocument::fromJson(QByteArray::fromStdString(body.dump())).object();
    auto registered = client_->callSync(client::api::registerClusters(object));
    if (!registered) {
        return failApi(QStringLiteral("registering %1 clusters").arg(clusters.size()),
                       registered.error());
    }
    progress(QStringLiteral("understudy-simulate: registered %1 clusters").arg(clusters.size()));
    return std::nullopt;
}

std::optional<int> Runner::connect(sizing::Fleet& fleet, ServicePlan& plan) {
    auto settings = agents::resolveSettings(options_.global, environment_);
    if (!settings) {
        return fail(kExitUsage, QString::fromStdString(settings.error().describe()));
    }
    settings_ = *settings;
    if (settings_.token.isEmpty()) {
        return fail(kExitUsage, QStringLiteral("no token: pass --token-file FILE with the admin "
                                               "token, or set UNDERSTUDY_TOKEN"));
    }
    client::ClientOptions client_options;
    client_options.base_url = settings_.url;
    client_options.token = settings_.token;
    client_options.timeout = settings_.timeout;
    client_options.ca_file = settings_.ca_file;
    client_options.insecure = settings_.insecure;
    client_ = std::make_unique<client::ApiClient>(client_options);
    if (client_->configurationError()) {
        return fail(kExitUsage, client_->configurationError()->summary());
    }

    auto clusters = client_->callSync(client::api::clusters());
    if (!clusters) {
        return failApi(QStringLiteral("listing the clusters"), clusters.error());
    }
    std::map<std::string, const client::Cluster*> by_name;
    for (const client::Cluster& c : *clusters) {
        by_name[c.name.toStdString()] = &c;
    }
    QStringList missing;
    for (const sizing::ClusterSpec& c : fleet.clusters) {
        if (by_name.count(c.name) == 0) {
            missing.append(QString::fromStdString(c.name));
        }
    }
    if (!missing.isEmpty() && !options_.do_register) {
        return fail(kExitUsage,
                    QStringLiteral("%1: clusters not registered at %2: %3; pass --register to "
                                   "register them, or remove them from the file")
                        .arg(options_.fleet_file, settings_.url.toString(),
                             missing.join(QStringLiteral(", "))));
    }
    if (!missing.isEmpty()) {
        if (auto code = registerMissing(fleet, *clusters)) {
            return code;
        }
        clusters = client_->callSync(client::api::clusters());
        if (!clusters) {
            return failApi(QStringLiteral("listing the clusters"), clusters.error());
        }
        by_name.clear();
        for (const client::Cluster& c : *clusters) {
            by_name[c.name.toStdString()] = &c;
        }
    }
    auto groups = client_->callSync(client::api::groups());
    if (!groups) {
        return failApi(QStringLiteral("listing the groups"), groups.error());
    }
    // The service grants what it has registered, so its figures are the ones simulated.
    QStringList differing;
    std::set<std::string> group_names;
    for (sizing::ClusterSpec& spec : fleet.clusters) {
        const client::Cluster& c = *by_name.at(spec.name);
        sizing::ClusterSpec served = spec;
        served.priority = c.priority;
        served.mtbf_hours = c.mtbf_hours;
        served.mttr_hours = c.mttr_hours;
        served.group = c.group.toStdString();
        served.standby = {c.standby.vcpus, c.standby.memory_mib};
        served.active = {c.active.vcpus, c.active.memory_mib};
        served.memory_mode = c.memory_mode == QStringLiteral("reserved")
                                 ? sizing::MemoryMode::reserved
                                 : sizing::MemoryMode::balloon;
        if (!(served == spec)) {
            differing.append(c.name);
        }
        spec = served;
        if (!spec.group.empty()) {
            group_names.insert(spec.group);
        }
    }
    const std::vector<sizing::GroupSpec> file_groups = fleet.groups;
    fleet.groups.clear();
    for (const client::Group& g : *groups) {
        if (group_names.count(g.name.toStdString()) != 0) {
            fleet.groups.push_back({g.name.toStdString(), g.mtbf_hours, g.mttr_hours});
            const auto same =
                std::find(file_groups.begin(), file_groups.end(), fleet.groups.back());
            if (same == file_groups.end()) {
                differing.append(QStringLiteral("group ") + g.name);
            }
        }
    }
    if (!differing.isEmpty()) {
        progress(QStringLiteral("understudy-simulate: warning: %1 and the service at %2 differ "
                                "on %3; the service's figures are simulated")
                     .arg(options_.fleet_file, settings_.url.toString(),
                          differing.join(QStringLiteral(", "))));
    }

    auto nodes = client_->callSync(client::api::nodes());
    if (!nodes) {
        return failApi(QStringLiteral("listing the nodes"), nodes.error());
    }
    auto appliances = client_->callSync(client::api::appliances());
    if (!appliances) {
        return failApi(QStringLiteral("listing the appliances"), appliances.error());
    }
    std::map<QString, std::size_t> appliance_index;
    for (const client::Appliance& a : *appliances) {
        appliance_index[a.name] = plan.appliances.size();
        plan.appliances.push_back(
            {a.name.toStdString(),
             {a.memory_mib.capacity - a.memory_mib.foreign, a.vcpus.capacity - a.vcpus.foreign}});
    }
    plan.placement.assign(plan.appliances.size(), {});
    plan.nodes.assign(fleet.clusters.size(), {});
    std::map<QString, std::size_t> fleet_index;
    for (std::size_t i = 0; i < fleet.clusters.size(); ++i) {
        fleet_index[QString::fromStdString(fleet.clusters[i].name)] = i;
    }
    QStringList busy;
    for (const client::Node& n : *nodes) {
        const auto appliance = appliance_index.find(n.appliance);
        if (appliance == appliance_index.end()) {
            continue;
        }
        const auto index = fleet_index.find(n.cluster);
        if (index == fleet_index.end()) {
            // Another cluster's standby footprint is not the fleet's to use.
            Amounts& capacity = plan.appliances[appliance->second].capacity;
            capacity[0] -= n.standby.memory_mib;
            capacity[1] -= n.standby.vcpus;
            continue;
        }
        if (n.state != QStringLiteral("standby")) {
            busy.append(QStringLiteral("%1 (%2)").arg(n.name, n.state));
        }
        plan.nodes[index->second] = n.name;
        plan.placement[appliance->second].push_back(index->second);
    }
    if (!busy.isEmpty()) {
        return fail(kExitRefused,
                    QStringLiteral("nodes not standby at %1: %2; the simulator must own every "
                                   "takeover of its nodes: release them first "
                                   "(understudyctl release NODE)")
                        .arg(settings_.url.toString(), busy.join(QStringLiteral(", "))));
    }
    for (std::size_t i = 0; i < fleet.clusters.size(); ++i) {
        if (plan.nodes[i].isEmpty()) {
            return fail(
                kExitUnavailable,
                QStringLiteral("the service at %1 lists no node on a known appliance "
                               "for cluster %2")
                    .arg(settings_.url.toString(), QString::fromStdString(fleet.clusters[i].name)));
        }
    }
    auto last = lastEventId();
    if (!last) {
        return failApi(QStringLiteral("reading the event log"), last.error());
    }
    plan.first_event = *last;
    return std::nullopt;
}

int Runner::run() {
    auto loaded = sizing::loadFleetFile(
        options_.fleet_file.toStdString(),
        options_.groups_file ? std::optional<std::string>(options_.groups_file->toStdString())
                             : std::nullopt);
    if (!loaded) {
        return fail(kExitUsage, QString::fromStdString(loaded.error().describe()));
    }
    sizing::Fleet fleet = std::move(loaded).value();
    if (fleet.clusters.empty()) {
        return fail(kExitUsage,
                    QStringLiteral("%1 has no clusters to simulate").arg(options_.fleet_file));
    }
    for (const sizing::ClusterSpec& c : fleet.clusters) {
        if (!(c.mtbf_hours > 0)) {
            return fail(kExitUsage,
                        QStringLiteral("%1: cluster %2 has an MTBF of 0 hours; give it one above "
                                       "0 to simulate it")
                            .arg(options_.fleet_file, QString::fromStdString(c.name)));
        }
    }
    for (const sizing::GroupSpec& g : fleet.groups) {
        if (!(g.mtbf_hours > 0)) {
            return fail(kExitUsage,
                        QStringLiteral("%1: group %2 has an MTBF of 0 hours; give it one above "
                                       "0 to simulate it")
                            .arg(options_.fleet_file, QString::fromStdString(g.name)));
        }
    }

    ServicePlan plan;
    std::optional<QString> ctl;
    if (options_.model_only) {
        if (fleet.appliances.empty()) {
            return fail(kExitUsage, QStringLiteral("%1 names no appliance; --model-only needs "
                                                   "one (\"appliances\" in the JSON fleet)")
                                        .arg(options_.fleet_file));
        }
        plan.placement = sizing::proposePlacement(fleet);
        for (const sizing::ApplianceSpec& a : fleet.appliances) {
            SimAppliance made{a.name, {}};
            for (const sizing::Resource r : sizing::kResources) {
                made.capacity[static_cast<std::size_t>(r)] =
                    sizing::usableCapacity(a, fleet.cpu_overcommit, r);
            }
            plan.appliances.push_back(made);
        }
    } else {
        ctl = findCtl();
        if (!ctl) {
            return fail(kExitUsage,
                        QStringLiteral("understudyctl not found at '%1'; pass --ctl PATH")
                            .arg(options_.ctl.value_or(default_ctl_)));
        }
        if (auto code = connect(fleet, plan)) {
            return *code;
        }
    }

    auto model = SimulationModel::fromFleet(fleet, plan.placement, plan.appliances);
    if (!model) {
        return fail(kExitUsage, QString::fromStdString(model.error().describe()));
    }
    double end_hours = options_.hours.value_or(std::numeric_limits<double>::infinity());
    if (options_.wall_s) {
        end_hours = std::min(end_hours, *options_.wall_s * options_.time_scale / 3600.0);
    }
    FleetSimulation simulation(std::move(model).value(), options_.seed,
                               end_hours / options_.batches);

    if (options_.model_only) {
        constexpr int kProgressSteps = 10;
        for (int step = 1; step <= kProgressSteps; ++step) {
            const double until = end_hours * step / kProgressSteps;
            while (simulation.next(until)) {
            }
            progress(QStringLiteral("understudy-simulate: %1 of %2 simulated hours, %3 "
                                    "transitions")
                         .arg(until, 0, 'g', 6)
                         .arg(end_hours, 0, 'g', 6)
                         .arg(simulation.stats().transitions));
        }
        return summarize(fleet, simulation, {}, nullptr, {});
    }

    progress(QStringLiteral("understudy-simulate: %1 clusters against %2 for %3 simulated hours "
                            "at %4 simulated seconds per second")
                 .arg(fleet.clusters.size())
                 .arg(settings_.url.toString())
                 .arg(end_hours, 0, 'g', 6)
                 .arg(options_.time_scale, 0, 'g', 6));
    DriverOptions driver_options;
    driver_options.ctl_program = *ctl;
    driver_options.ctl_arguments = {QStringLiteral("--timeout"),
                                    QString::number(options_.wait_s + 30)};
    if (!settings_.ca_file.isEmpty()) {
        driver_options.ctl_arguments << QStringLiteral("--ca-file") << settings_.ca_file;
    }
    if (settings_.insecure) {
        driver_options.ctl_arguments << QStringLiteral("--insecure");
    }
    // The token goes through the environment, never on a command line others can read.
    driver_options.environment = environment_;
    driver_options.environment.insert(QStringLiteral("UNDERSTUDY_URL"), settings_.url.toString());
    driver_options.environment.insert(QStringLiteral("UNDERSTUDY_TOKEN"),
                                      QString::fromUtf8(settings_.token));
    driver_options.time_scale = options_.time_scale;
    driver_options.end_hours = end_hours;
    driver_options.concurrency = options_.concurrency;
    driver_options.wait_s = options_.wait_s;
    if (!options_.quiet) {
        driver_options.progress = [this](const QString& line) { progress(line); };
    }
    SimulationDriver driver(simulation, plan.nodes, driver_options);
    DriverRecord record;
    {
        const InterruptWatch watch([&driver] { driver.stop(); });
        record = driver.run();
    }

    // The service's own account of the run, for the simulator's record to be checked against.
    std::map<std::string, qint64> service_events;
    std::set<QString> our_nodes(plan.nodes.begin(), plan.nodes.end());
    client::EventQuery query;
    query.since = plan.first_event;
    query.limit = kEventPage;
    for (;;) {
        auto page = client_->callSync(client::api::events(query));
        if (!page) {
            return failApi(QStringLiteral("reading the event log after the run"), page.error());
        }
        if (page->events.empty()) {
            break;
        }
        for (const client::Event& e : page->events) {
            if (e.node && our_nodes.count(*e.node) != 0) {
                ++service_events[e.kind.toStdString()];
            }
        }
        query.since = page->next;
    }
    const int code = summarize(fleet, simulation, plan.nodes, &record, service_events);
    if (!record.unreleased.isEmpty()) {
        return fail(kExitUnavailable,
                    QStringLiteral("nodes may still hold a grant: %1; release them with "
                                   "understudyctl release NODE")
                        .arg(record.unreleased.join(QStringLiteral(", "))));
    }
    if (record.errors > 0) {
        return fail(kExitUnavailable, QStringLiteral("%1 understudyctl calls failed; first: %2")
                                          .arg(record.errors)
                                          .arg(record.error_messages.value(0)));
    }
    return code;
}

int Runner::summarize(const sizing::Fleet& fleet, const FleetSimulation& simulation,
                      const std::vector<QString>& nodes, const DriverRecord* record,
                      const std::map<std::string, qint64>& service_events) {
    const SimulationStats stats = simulation.stats();
    const SimulationModel& model = simulation.model();
    const std::vector<EngineRisk> risks = engineRisks(fleet, model);

    ordered_json summary;
    summary["mode"] = options_.model_only ? "model-only" : "service";
    if (!options_.model_only) {
        summary["url"] = settings_.url.toString().toStdString();
        summary["time_scale"] = options_.time_scale;
    }
    summary["fleet"] = options_.fleet_file.toStdString();
    summary["seed"] = options_.seed;
    summary["simulated_hours"] = stats.hours;
    summary["transitions"] = stats.transitions;
    ordered_json appliances = ordered_json::array();
    for (std::size_t a = 0; a < model.appliances.size(); ++a) {
        const ApplianceShares& shares = stats.appliances[a];
        ordered_json overflow;
        for (const sizing::Resource r : sizing::kResources) {
            const auto k = static_cast<std::size_t>(r);
            overflow[sizing::resourceName(r)] = shareJson(shares.resource[k], risks[a].resource[k]);
        }
        overflow["either"] = shareJson(shares.either, risks[a].either);
        appliances.push_back({{"name", model.appliances[a].name},
                              {"capacity",
                               {{"memory_mib", model.appliances[a].capacity[0]},
                                {"vcpus", model.appliances[a].capacity[1]}}},
                              {"model_overflow_share", overflow}});
    }
    summary["appliances"] = appliances;
    summary["model_overflow_share"] = shareJson(stats.any_appliance, std::nullopt);
    ordered_json clusters = ordered_json::array();
    for (std::size_t i = 0; i < model.clusters.size(); ++i) {
        ordered_json c{{"name", model.clusters[i].name}};
        if (!nodes.empty()) {
            c["node"] = nodes[i].toStdString();
        }
        c["failovers"] = stats.cluster_failovers[i];
        c["failed_over_share"] = shareJson(stats.cluster_failed[i], std::nullopt);
        c["failover_probability"] = clusterProbability(fleet, fleet.clusters[i]);
        clusters.push_back(c);
    }
    summary["clusters"] = clusters;
    if (record) {
        summary["wall_seconds"] = record->wall_s;
        summary["interrupted"] = record->stopped;
        summary["takeovers"] = {{"requested", record->requested},
                                {"granted", record->granted},
                                {"partial", record->partial},
                                {"denied", record->denied},
                                {"refused", record->refused},
                                {"errors", record->errors},
                                {"preemptions", record->preemptions},
                                {"released", record->released},
                                {"time_to_grant_ms",
                                 {{"median", jsonNumber(percentile(record->grant_ms, 0.5))},
                                  {"p99", jsonNumber(percentile(record->grant_ms, 0.99))}}}};
        summary["denied_share"] = stats.hours > 0 ? record->denied_hours / stats.hours : 0.0;
        summary["ungranted_share"] = stats.hours > 0 ? record->ungranted_hours / stats.hours : 0.0;
        ordered_json events = ordered_json::object();
        for (const char* kind : {"takeover.requested", "takeover.granted", "takeover.denied",
                                 "release", "preempted", "restored"}) {
            const auto found = service_events.find(kind);
            events[kind] = found == service_events.end() ? 0 : found->second;
        }
        summary["service_events"] = events;
        ordered_json errors = ordered_json::array();
        for (const QString& e : record->error_messages) {
            errors.push_back(e.toStdString());
        }
        summary["error_messages"] = errors;
        ordered_json unreleased = ordered_json::array();
        for (const QString& n : record->unreleased) {
            unreleased.push_back(n.toStdString());
        }
        summary["unreleased"] = unreleased;
    }

    if (options_.global.json) {
        out_ << QString::fromStdString(summary.dump(2)) << '\n';
        out_.flush();
        return kExitDone;
    }

    auto share = [](const ShareEstimate& e) {
        return std::isfinite(e.std_error)
                   ? QStringLiteral("%1 ± %2").arg(e.share, 0, 'g', 4).arg(e.std_error, 0, 'g', 2)
                   : QStringLiteral("%1").arg(e.share, 0, 'g', 4);
    };
    out_ << QStringLiteral("%1 simulated hours of %2 clusters (seed %3, %4 transitions)%5\n")
                .arg(stats.hours, 0, 'f', 0)
                .arg(model.clusters.size())
                .arg(options_.seed)
                .arg(stats.transitions)
                .arg(record ? QStringLiteral(" against %1 in %2 s")
                                  .arg(settings_.url.toString())
                                  .arg(record->wall_s, 0, 'f', 1)
                            : QStringLiteral(", model only"));
    out_ << "\nModel overflow share (± one standard error, batch means) against the engine's "
            "risk:\n";
    agents::Table table({QStringLiteral("APPLIANCE"), QStringLiteral("RESOURCE"),
                         QStringLiteral("CAPACITY"), QStringLiteral("SHARE"),
                         QStringLiteral("ENGINE RISK")});
    for (std::size_t a = 0; a < model.appliances.size(); ++a) {
        const QString name = QString::fromStdString(model.appliances[a].name);
        for (const sizing::Resource r : sizing::kResources) {
            const auto k = static_cast<std::size_t>(r);
            table.addRow({name, QString::fromLatin1(sizing::resourceName(r)),
                          agents::formatAmount(QString::fromLatin1(sizing::resourceName(r)),
                                               model.appliances[a].capacity[k]),
                          share(stats.appliances[a].resource[k]),
                          agents::formatRisk(risks[a].resource[k])});
        }
        table.addRow({name, QStringLiteral("either"), QString(), share(stats.appliances[a].either),
                      agents::formatRisk(risks[a].either)});
    }
    out_ << table.render();
    if (record) {
        out_ << QStringLiteral(
                    "\nTakeovers: %1 requested, %2 granted (%3 partial), %4 denied, "
                    "%5 refused for the node's state, %6 errors; %7 nodes preempted; "
                    "%8 released\n")
                    .arg(record->requested)
                    .arg(record->granted)
                    .arg(record->partial)
                    .arg(record->denied)
                    .arg(record->refused)
                    .arg(record->errors)
                    .arg(record->preemptions)
                    .arg(record->released);
        if (!record->grant_ms.empty()) {
            out_ << QStringLiteral("Time to grant: median %1 ms, p99 %2 ms\n")
                        .arg(percentile(record->grant_ms, 0.5), 0, 'f', 0)
                        .arg(percentile(record->grant_ms, 0.99), 0, 'f', 0);
        }
        out_ << QStringLiteral(
                    "Denied share %1 (model overflow share %2); ungranted share %3 "
                    "(includes requests on their way)\n")
                    .arg(stats.hours > 0 ? record->denied_hours / stats.hours : 0.0, 0, 'g', 4)
                    .arg(stats.any_appliance.share, 0, 'g', 4)
                    .arg(stats.hours > 0 ? record->ungranted_hours / stats.hours : 0.0, 0, 'g', 4);
        out_ << "Service events for these nodes:";
        for (const auto& [kind, count] : service_events) {
            out_ << ' ' << QString::fromStdString(kind) << ' ' << count << ';';
        }
        out_ << '\n';
    }
    out_ << '\n';
    agents::Table per_cluster({QStringLiteral("CLUSTER"), QStringLiteral("FAILOVERS"),
                               QStringLiteral("FAILED OVER"), QStringLiteral("EXPECTED")});
    for (std::size_t i = 0; i < model.clusters.size(); ++i) {
        per_cluster.addRow({QString::fromStdString(model.clusters[i].name),
                            QString::number(stats.cluster_failovers[i]),
                            share(stats.cluster_failed[i]),
                            agents::formatRisk(clusterProbability(fleet, fleet.clusters[i]))});
    }
    out_ << per_cluster.render();
    out_.flush();
    return kExitDone;
}

}  // namespace

QString simulateUsage() {
    return QStringLiteral(
        "Usage: understudy-simulate [OPTIONS] FLEET_FILE\n"
        "\n"
        "Plays the fleet file's clusters against a running service: each fails over and\n"
        "switches back at random with its MTBF/MTTR (and its group's), scaled down in time,\n"
        "through understudyctl takeover/release; or, with --model-only, in virtual time only.\n"
        "Reports the model overflow share (time the model's demand exceeds usable capacity)\n"
        "against the sizing engine's overflow risk, and the denied share (time some\n"
        "failed-over cluster was denied its grant).\n"
        "\n"
        "Run:\n"
        "  --hours H          simulated hours to run (required with --model-only)\n"
        "  --wall S           wall-clock seconds to run against the service\n"
        "  --time-scale F     simulated seconds per wall-clock second (default 86400)\n"
        "  --seed N           random seed (default 1)\n"
        "  --batches B        batches for the standard errors (default 50)\n"
        "  --model-only       no service: virtual time only\n"
        "  --groups FILE.csv  groups of a CSV fleet\n"
        "Service:\n"
        "  --url URL          the service (else UNDERSTUDY_URL, else ctl.conf, else "
        "http://127.0.0.1:8470)\n"
        "  --token-file FILE  the admin token (else UNDERSTUDY_TOKEN, else ctl.conf)\n"
        "  --register         register the fleet's clusters the service does not know\n"
        "  --concurrency N    at most N understudyctl processes at once (default 8)\n"
        "  --wait S           how long a takeover may wait for its grant (default 30)\n"
        "  --timeout S        seconds to wait for the service's answers (default 30)\n"
        "  --ctl PATH         the understudyctl to run (default: the one installed beside this)\n"
        "  --ca-file FILE, --insecure   for a service on HTTPS\n"
        "Output:\n"
        "  --json             the summary as JSON on stdout\n"
        "  --quiet            no progress on stderr\n"
        "  --help             this text\n"
        "\n"
        "Exit codes: 0 done; 1 refused by the service; 2 bad usage or input; 3 not allowed;\n"
        "4 not found; 5 service unreachable or failing.\n");
}

int runSimulate(const QStringList& arguments, const QProcessEnvironment& environment,
                const QString& default_ctl, QTextStream& out, QTextStream& err) {
    Options options;
    if (auto error = parse(arguments, options)) {
        err << "understudy-simulate: " << error->message << '\n'
            << "Run 'understudy-simulate --help' for the options.\n";
        err.flush();
        return kExitUsage;
    }
    if (options.global.help) {
        out << simulateUsage();
        out.flush();
        return kExitDone;
    }
    Runner runner(std::move(options), environment, default_ctl, out, err);
    return runner.run();
}

}  // namespace understudy::simulate
