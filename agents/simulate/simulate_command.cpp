#include "agents/simulate/simulate_command.h"

#include <QFileInfo>
#include <algorithm>
#include <limits>
#include <optional>

#include "agents/ctl/ctl_output.h"
#include "agents/simulate/fleet_simulation.h"
#include "agents/simulate/interrupt_watch.h"
#include "agents/simulate/simulate_options.h"
#include "agents/simulate/simulate_service.h"
#include "agents/simulate/simulate_summary.h"
#include "agents/simulate/simulation_driver.h"
#include "sizing/engine.h"
#include "sizing/fleet_file.h"

namespace understudy::simulate {

namespace {

using agents::kExitDone;
using agents::kExitUnavailable;
using agents::kExitUsage;

Error invalidInput(const QString& message) {
    return Error{"invalid_input", message.toStdString(), {}};
}

// The fleet file, every cluster and group in it able to fail (an MTBF above 0).
Result<sizing::Fleet> loadFleet(const Options& options) {
    auto loaded = sizing::loadFleetFile(
        options.fleet_file.toStdString(),
        options.groups_file ? std::optional<std::string>(options.groups_file->toStdString())
                            : std::nullopt);
    if (!loaded) {
        return loaded.error();
    }
    sizing::Fleet fleet = std::move(loaded).value();
    if (fleet.clusters.empty()) {
        return invalidInput(
            QStringLiteral("%1 has no clusters to simulate").arg(options.fleet_file));
    }
    for (const sizing::ClusterSpec& c : fleet.clusters) {
        if (!(c.mtbf_hours > 0)) {
            return invalidInput(QStringLiteral("%1: cluster %2 has an MTBF of 0 hours; give it one "
                                               "above 0 to simulate it")
                                    .arg(options.fleet_file, QString::fromStdString(c.name)));
        }
    }
    for (const sizing::GroupSpec& g : fleet.groups) {
        if (!(g.mtbf_hours > 0)) {
            return invalidInput(QStringLiteral("%1: group %2 has an MTBF of 0 hours; give it one "
                                               "above 0 to simulate it")
                                    .arg(options.fleet_file, QString::fromStdString(g.name)));
        }
    }
    return fleet;
}

// Without a service: the fleet file's appliances, with the engine's proposed placement.
Result<ServicePlan> modelOnlyPlan(const sizing::Fleet& fleet, const Options& options) {
    if (fleet.appliances.empty()) {
        return invalidInput(QStringLiteral("%1 names no appliance; --model-only needs one "
                                           "(\"appliances\" in the JSON fleet)")
                                .arg(options.fleet_file));
    }
    ServicePlan plan;
    plan.placement = sizing::proposePlacement(fleet);
    for (const sizing::ApplianceSpec& a : fleet.appliances) {
        SimAppliance made{a.name, {}};
        for (const sizing::Resource r : sizing::kResources) {
            made.capacity[static_cast<std::size_t>(r)] =
                sizing::usableCapacity(a, fleet.cpu_overcommit, r);
        }
        plan.appliances.push_back(made);
    }
    return plan;
}

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
    int fail(const Failure& failure) { return fail(failure.code, failure.message); }
    void progress(const QString& line) {
        if (!options_.quiet) {
            err_ << line << '\n';
            err_.flush();
        }
    }
    std::optional<QString> findCtl() const;
    // Simulated hours: --hours, or what --wall allows at the time scale, whichever is less.
    double endHours() const;
    int runModelOnly(const sizing::Fleet& fleet, FleetSimulation& simulation, double end_hours);
    int runAgainstService(const sizing::Fleet& fleet, const ServicePlan& plan,
                          FleetSimulation& simulation, const QString& ctl, double end_hours);
    DriverOptions driverOptions(const QString& ctl, double end_hours);

    Options options_;
    QProcessEnvironment environment_;
    QString default_ctl_;
    QTextStream& out_;
    QTextStream& err_;
    std::optional<ServiceConnection> service_;
};

int Runner::run() {
    auto loaded = loadFleet(options_);
    if (!loaded) {
        return fail(kExitUsage, QString::fromStdString(loaded.error().describe()));
    }
    sizing::Fleet fleet = std::move(loaded).value();
    ServicePlan plan;
    std::optional<QString> ctl;
    if (options_.model_only) {
        auto model_plan = modelOnlyPlan(fleet, options_);
        if (!model_plan) {
            return fail(kExitUsage, QString::fromStdString(model_plan.error().describe()));
        }
        plan = std::move(model_plan).value();
    } else {
        ctl = findCtl();
        if (!ctl) {
            return fail(kExitUsage,
                        QStringLiteral("understudyctl not found at '%1'; pass --ctl PATH")
                            .arg(options_.ctl.value_or(default_ctl_)));
        }
        service_.emplace(options_, environment_, [this](const QString& line) { progress(line); });
        if (auto failure = service_->connect(fleet, plan)) {
            return fail(*failure);
        }
    }

    auto model = SimulationModel::fromFleet(fleet, plan.placement, plan.appliances);
    if (!model) {
        return fail(kExitUsage, QString::fromStdString(model.error().describe()));
    }
    const double end_hours = endHours();
    FleetSimulation simulation(std::move(model).value(), options_.seed,
                               end_hours / options_.batches);
    if (options_.model_only) {
        return runModelOnly(fleet, simulation, end_hours);
    }
    return runAgainstService(fleet, plan, simulation, *ctl, end_hours);
}

std::optional<QString> Runner::findCtl() const {
    const QString program = options_.ctl.value_or(default_ctl_);
    const QFileInfo info(program);
    if (program.isEmpty() || !info.isFile() || !info.isExecutable()) {
        return std::nullopt;
    }
    return info.absoluteFilePath();
}

double Runner::endHours() const {
    double end_hours = options_.hours.value_or(std::numeric_limits<double>::infinity());
    if (options_.wall_s) {
        end_hours = std::min(end_hours, *options_.wall_s * options_.time_scale / 3600.0);
    }
    return end_hours;
}

int Runner::runModelOnly(const sizing::Fleet& fleet, FleetSimulation& simulation,
                         double end_hours) {
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
    writeSummary(options_, {}, RunOutcome{fleet, simulation, {}, nullptr, {}}, out_);
    return kExitDone;
}

DriverOptions Runner::driverOptions(const QString& ctl, double end_hours) {
    const agents::CtlSettings& settings = service_->settings();
    DriverOptions driver_options;
    driver_options.ctl_program = ctl;
    driver_options.ctl_arguments = {QStringLiteral("--timeout"),
                                    QString::number(options_.wait_s + 30)};
    if (!settings.ca_file.isEmpty()) {
        driver_options.ctl_arguments << QStringLiteral("--ca-file") << settings.ca_file;
    }
    if (settings.insecure) {
        driver_options.ctl_arguments << QStringLiteral("--insecure");
    }
    // The token goes through the environment, never on a command line others can read.
    driver_options.environment = environment_;
    driver_options.environment.insert(QStringLiteral("UNDERSTUDY_URL"), settings.url.toString());
    driver_options.environment.insert(QStringLiteral("UNDERSTUDY_TOKEN"),
                                      QString::fromUtf8(settings.token));
    driver_options.time_scale = options_.time_scale;
    driver_options.end_hours = end_hours;
    driver_options.concurrency = options_.concurrency;
    driver_options.wait_s = options_.wait_s;
    if (!options_.quiet) {
        driver_options.progress = [this](const QString& line) { progress(line); };
    }
    return driver_options;
}

int Runner::runAgainstService(const sizing::Fleet& fleet, const ServicePlan& plan,
                              FleetSimulation& simulation, const QString& ctl, double end_hours) {
    const QString url = service_->settings().url.toString();
    progress(QStringLiteral("understudy-simulate: %1 clusters against %2 for %3 simulated hours "
                            "at %4 simulated seconds per second")
                 .arg(fleet.clusters.size())
                 .arg(url)
                 .arg(end_hours, 0, 'g', 6)
                 .arg(options_.time_scale, 0, 'g', 6));
    SimulationDriver driver(simulation, plan.nodes, driverOptions(ctl, end_hours));
    DriverRecord record;
    {
        const InterruptWatch watch([&driver] { driver.stop(); });
        record = driver.run();
    }

    // The service's own account of the run, for the simulator's record to be checked against.
    auto service_events = service_->eventCounts(plan.first_event, plan.nodes);
    if (!service_events) {
        return fail(service_->apiFailure(QStringLiteral("reading the event log after the run"),
                                         service_events.error()));
    }
    writeSummary(
        options_, url,
        RunOutcome{fleet, simulation, plan.nodes, &record, std::move(service_events).value()},
        out_);
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
    if (auto error = parseOptions(arguments, options)) {
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
