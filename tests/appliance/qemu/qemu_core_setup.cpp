#include "tests/appliance/qemu/qemu_core_setup.h"

#include <QDir>
#include <QFile>

namespace understudy::core::testing {

Result<ApplianceConfig> qemuApplianceConfig(const QemuAppliance& fixture, const GuestSpec& shape,
                                            const QString& folder) {
    const QString template_path = QDir(folder).filePath(QStringLiteral("passive-node.xml"));
    QFile file(template_path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        return Error{"qemu_fixture", "cannot write the domain template",
                     template_path.toStdString()};
    }
    file.write(fixture.domainXml(shape, QStringLiteral("${name}")).toUtf8());
    ApplianceConfig appliance;
    appliance.name = "pna-qemu";
    appliance.uri = fixture.options().uri.toStdString();
    appliance.domain_template = template_path.toStdString();
    return appliance;
}

Result<std::unique_ptr<ApplianceCore>> openQemuCore(const ApplianceConfig& appliance,
                                                    std::chrono::milliseconds confirm_timeout,
                                                    const QString& database) {
    CoreConfig config;
    config.policy.admission = policy::AdmissionMode::warn;
    config.policy.confirm_timeout = confirm_timeout;
    config.appliances.push_back(appliance);
    return ApplianceCore::open(config, database.toStdString(), {});
}

Result<RegistrationOutcome> registerAndAdopt(ApplianceCore& core, QemuAppliance& fixture,
                                             const RegistrationRequest& request) {
    auto registered = core.registerClusters(request).result();
    Status adopted = Done{};
    for (const ClusterRegistration& cluster : request.clusters) {
        Status one = fixture.adopt(QString::fromStdString(cluster.node));
        if (!one && adopted) {
            adopted = std::move(one);
        }
    }
    if (registered && !adopted) {
        return adopted.error();
    }
    return registered;
}

}  // namespace understudy::core::testing
