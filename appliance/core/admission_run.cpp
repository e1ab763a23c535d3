#include "appliance/core/admission_run.h"

#include "appliance/core/core_support.h"

namespace understudy::core {

AdmissionRun runAdmission(const std::vector<ViewChange>& changes,
                          const std::vector<std::string>& clusters, const CorePolicy& policy,
                          bool only_when_raised, const Actor& actor) {
    AdmissionRun run;
    const std::optional<std::string> cluster =
        clusters.size() == 1 ? std::optional(clusters[0]) : std::nullopt;
    for (const ViewChange& change : changes) {
        const policy::AdmissionDecision decision = policy::decideAdmission(
            change.before, change.after, policy.target_risk, policy.admission);
        const std::string& name = change.slot->config.name;
        run.admissions.push_back({name, decision});
        const nlohmann::json details = admissionJson(name, decision, clusters);
        if (!decision.accepted) {
            run.accepted = false;
            run.refusals.push_back(
                makeEvent("admission.refused", cluster, std::nullopt, details, actor));
            continue;
        }
        if (decision.warned) {
            run.warnings.push_back("appliance '" + name + "': " + decision.reason);
        }
        if (decision.warned || !only_when_raised || raisesRisk(decision)) {
            run.events.push_back(
                makeEvent(decision.warned ? "admission.warned" : "admission.accepted", cluster,
                          std::nullopt, details, actor));
        }
    }
    return run;
}

}  // namespace understudy::core
