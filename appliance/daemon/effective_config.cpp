#include "appliance/daemon/effective_config.h"

#include <QByteArray>
#include <QFile>
#include <QString>
#include <QUrl>

#include "appliance/daemon/config_text.h"
#include "base/error_codes.h"

namespace understudy::daemon {

ServiceConfig demoConfig(const std::string& demo_node_file) {
    ServiceConfig config;
    config.demo = true;
    config.temporary_database = true;
    config.service.database.clear();
    config.source = "embedded demo config";
    ApplianceSection appliance;
    appliance.name = kDemoApplianceName;
    // libvirt reads the URI's path percent-decoded; a path with blanks survives that way.
    const QByteArray path =
        QUrl::toPercentEncoding(QString::fromStdString(absolutePath(demo_node_file)), "/");
    appliance.uri = "test://" + path.toStdString();
    appliance.domain_template.clear();
    appliance.recreate_missing = true;
    config.appliances.push_back(std::move(appliance));
    return config;
}

Result<ServiceConfig> effectiveConfig(const CommandLine& command_line,
                                      const std::optional<ConfigFile>& file,
                                      const std::string& demo_node_file) {
    ServiceConfig config;
    if (file) {
        Result<ServiceConfig> parsed = parseServiceConfig(file->text, file->path);
        if (!parsed) {
            return parsed.error();
        }
        config = std::move(parsed).value();
        config.demo = command_line.demo;
        if (config.appliances.empty()) {
            if (!command_line.demo) {
                return Error{kConfigCode,
                             "no appliance is configured, so there is nowhere to run passive "
                             "nodes; add a section such as '[appliance.local]' with "
                             "'uri = qemu:///system', or start with --demo to try Understudy "
                             "on a simulated appliance",
                             file->path};
            }
            config.appliances = demoConfig(demo_node_file).appliances;
        }
    } else if (command_line.demo) {
        config = demoConfig(demo_node_file);
    } else {
        return Error{kConfigCode,
                     "no configuration to start from; give --config FILE, or --demo for the "
                     "embedded demo",
                     ""};
    }
    if (command_line.listen) {
        config.service.listen = *command_line.listen;
    }
    if (command_line.database) {
        config.service.database = *command_line.database;
        config.temporary_database = false;
    }
    return config;
}

Result<ServiceConfig> loadEffectiveConfig(const CommandLine& command_line,
                                          const std::string& demo_node_file,
                                          const std::string& default_path) {
    std::optional<ConfigFile> file;
    if (command_line.config || !command_line.demo) {
        const std::string path = command_line.config.value_or(default_path);
        QFile input(QString::fromStdString(path));
        if (!input.open(QIODevice::ReadOnly)) {
            return Error{errc::kIo,
                         "cannot read the configuration: " + input.errorString().toStdString() +
                             "; create it (the package ships one), give another with --config, "
                             "or try --demo",
                         path};
        }
        file = ConfigFile{path, input.readAll().toStdString()};
    }
    return effectiveConfig(command_line, file, demo_node_file);
}

}  // namespace understudy::daemon
