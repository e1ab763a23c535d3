// understudyd: the passive-node appliance service (understudyd(8)). `understudyd [--config FILE]
// [--demo] [--listen ADDR:PORT] [--database PATH]`
#include <QCoreApplication>
#include <cstdio>

#include "appliance/daemon/admin_token.h"
#include "appliance/daemon/command_line.h"
#include "appliance/daemon/daemon.h"
#include "appliance/daemon/effective_config.h"

using namespace understudy;

int main(int argc, char* argv[]) {
    // libvirt's event loop and Qt's GLib dispatcher do not mix
    // (appliance/hypervisor/libvirt_events.h).
    qputenv("QT_NO_GLIB", "1");
    QCoreApplication application(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("understudyd"));
    QCoreApplication::setApplicationVersion(QStringLiteral(UNDERSTUDY_VERSION));

    auto command_line = daemon::parseCommandLine(QCoreApplication::arguments());
    if (!command_line) {
        std::fprintf(stderr, "understudyd: %s\n", command_line.error().describe().c_str());
        return 2;
    }
    if (command_line->help) {
        std::fputs(daemon::commandLineHelp().c_str(), stdout);
        return 0;
    }
    if (command_line->version) {
        std::printf("understudyd %s\n", UNDERSTUDY_VERSION);
        return 0;
    }
    const std::string demo_node_file = daemon::shippedFile("demo-appliance.xml");
    if (command_line->demo && demo_node_file.empty()) {
        std::fprintf(stderr,
                     "understudyd: the demo appliance's node file demo-appliance.xml is not "
                     "installed (looked in /usr/share/understudy); reinstall the package\n");
        return 1;
    }
    auto config = daemon::loadEffectiveConfig(*command_line, demo_node_file);
    if (!config) {
        std::fprintf(stderr, "understudyd: %s\n", config.error().describe().c_str());
        return 1;
    }
    auto token = daemon::adminToken(*config);
    if (!token) {
        std::fprintf(stderr, "understudyd: %s\n", token.error().describe().c_str());
        return 1;
    }
    daemon::Daemon daemon(*command_line, *config, *token);
    if (Status handled = daemon.handleSignals(); !handled) {
        std::fprintf(stderr, "understudyd: %s\n", handled.error().describe().c_str());
        return 1;
    }
    if (Status started = daemon.start(); !started) {
        std::fprintf(stderr, "understudyd: cannot start: %s\n", started.error().describe().c_str());
        return 1;
    }
    return QCoreApplication::exec();
}
