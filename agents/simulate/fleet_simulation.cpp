#include "agents/simulate/fleet_simulation.h"
#include "base/error_codes.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace understudy::simulate {

namespace {

// Per appliance: memory, vCPUs, either.
constexpr std::size_t kMeasuresPerAppliance = sizing::kResourceCount + 1;

// Adds `from`..`to` to the batches it spans.
void addToBatches(std::vector<double>& batches, double from, double to, double batch_hours) {
    while (from < to) {
        auto index = static_cast<std::size_t>(std::floor(from / batch_hours));
        // Rounding may put `from` on the far side of its batch's end.
        if (static_cast<double>(index + 1) * batch_hours <= from) {
            ++index;
        }
        const double end = std::min(to, static_cast<double>(index + 1) * batch_hours);
        if (batches.size() <= index) {
            batches.resize(index + 1, 0.0);
        }
        batches[index] += end - from;
        from = end;
    }
}

bool validRate(double mtbf, double mttr) {
    return std::isfinite(mtbf) && std::isfinite(mttr) && mtbf > 0 && mttr >= 0;
}

}  // namespace

Result<SimulationModel> SimulationModel::fromFleet(
    const sizing::Fleet& fleet, const std::vector<std::vector<std::size_t>>& placement,
    const std::vector<SimAppliance>& appliances) {
    if (placement.size() != appliances.size()) {
        return Error{"invalid_input", "the placement and the appliances differ in number", ""};
    }
    SimulationModel model;
    model.appliances = appliances;
    std::map<std::string, int, std::less<>> group_index;
    for (const sizing::GroupSpec& group : fleet.groups) {
        if (!validRate(group.mtbf_hours, group.mttr_hours)) {
            return Error{errc::kInvalidField,
                         "a group needs an MTBF above 0 hours and an MTTR of at least 0 hours "
                         "to be simulated",
                         "groups." + group.name};
        }
        group_index.emplace(group.name, static_cast<int>(model.groups.size()));
        model.groups.push_back({group.name, group.mtbf_hours, group.mttr_hours});
    }
    std::vector<bool> placed(fleet.clusters.size(), false);
    model.clusters.resize(fleet.clusters.size());
    for (std::size_t a = 0; a < placement.size(); ++a) {
        for (const std::size_t index : placement[a]) {
            if (index >= fleet.clusters.size() || placed[index]) {
                return Error{"invalid_input",
                             "the placement names a cluster twice or one "
                             "that is not in the fleet",
                             ""};
            }
            placed[index] = true;
            const sizing::ClusterSpec& spec = fleet.clusters[index];
            if (!validRate(spec.mtbf_hours, spec.mttr_hours)) {
                return Error{errc::kInvalidField,
                             "a cluster needs an MTBF above 0 hours and an MTTR of at least 0 "
                             "hours to be simulated",
                             "clusters." + spec.name};
            }
            SimCluster& cluster = model.clusters[index];
            cluster.name = spec.name;
            cluster.mtbf_hours = spec.mtbf_hours;
            cluster.mttr_hours = spec.mttr_hours;
            cluster.appliance = a;
            if (!spec.group.empty()) {
                const auto found = group_index.find(spec.group);
                if (found == group_index.end()) {
                    return Error{errc::kInvalidField,
                                 "the cluster names a group the fleet does not define",
                                 "clusters." + spec.name + ".group"};
                }
                cluster.group = found->second;
            }
            const sizing::Footprint standby = spec.effectiveStandby();
            for (const sizing::Resource r : sizing::kResources) {
                cluster.standby[static_cast<std::size_t>(r)] = standby.of(r);
                cluster.active[static_cast<std::size_t>(r)] = spec.active.of(r);
            }
        }
    }
    if (std::find(placed.begin(), placed.end(), false) != placed.end()) {
        return Error{"invalid_input", "the placement leaves a cluster out", ""};
    }
    return model;
}

FleetSimulation::FleetSimulation(SimulationModel model, std::uint64_t seed, double batch_hours)
    : model_(std::move(model)), random_(seed), batch_hours_(batch_hours) {
    const std::size_t clusters = model_.clusters.size();
    const std::size_t components = clusters + model_.groups.size();
    down_.assign(components, false);
    failed_.assign(clusters, false);
    failed_since_.assign(clusters, 0.0);
    failed_total_.assign(clusters, 0.0);
    failed_batches_.assign(clusters, {});
    failovers_.assign(clusters, 0);
    members_.assign(model_.groups.size(), {});
    demand_.assign(model_.appliances.size(), Amounts{});
    const std::size_t measures = model_.appliances.size() * kMeasuresPerAppliance + 1;
    overflow_total_.assign(measures, 0.0);
    overflow_batches_.assign(measures, {});

    // The stationary start: down with probability MTTR / (MTBF + MTTR), and the time to the
    // next change drawn afresh (exponential times are memoryless).
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    for (std::size_t c = 0; c < components; ++c) {
        const double mtbf =
            c < clusters ? model_.clusters[c].mtbf_hours : model_.groups[c - clusters].mtbf_hours;
        const double mttr =
            c < clusters ? model_.clusters[c].mttr_hours : model_.groups[c - clusters].mttr_hours;
        down_[c] = uniform(random_) < sizing::stationaryProbability(mtbf, mttr);
        pending_.push({draw(down_[c] ? mttr : mtbf), c});
    }
    for (std::size_t i = 0; i < clusters; ++i) {
        const SimCluster& cluster = model_.clusters[i];
        if (cluster.group >= 0) {
            members_[static_cast<std::size_t>(cluster.group)].push_back(i);
        }
        Amounts& demand = demand_[cluster.appliance];
        const bool failed = down_[i] || (cluster.group >= 0 &&
                                         down_[clusters + static_cast<std::size_t>(cluster.group)]);
        failed_[i] = failed;
        for (std::size_t r = 0; r < demand.size(); ++r) {
            demand[r] += failed ? cluster.active[r] : cluster.standby[r];
        }
    }
}

double FleetSimulation::draw(double mean) {
    if (mean <= 0) {
        return now_;
    }
    return now_ + std::exponential_distribution<double>(1.0 / mean)(random_);
}

bool FleetSimulation::overflowing(std::size_t appliance, std::size_t measure) const {
    const Amounts& demand = demand_[appliance];
    const Amounts& capacity = model_.appliances[appliance].capacity;
    if (measure < sizing::kResourceCount) {
        return demand[measure] > capacity[measure];
    }
    for (std::size_t r = 0; r < demand.size(); ++r) {
        if (demand[r] > capacity[r]) {
            return true;
        }
    }
    return false;
}

void FleetSimulation::accumulate(double until) {
    if (until <= now_) {
        return;
    }
    bool any = false;
    for (std::size_t a = 0; a < model_.appliances.size(); ++a) {
        for (std::size_t m = 0; m < kMeasuresPerAppliance; ++m) {
            if (overflowing(a, m)) {
                const std::size_t measure = a * kMeasuresPerAppliance + m;
                overflow_total_[measure] += until - now_;
                addToBatches(overflow_batches_[measure], now_, until, batch_hours_);
                any = true;
            }
        }
    }
    if (any) {
        overflow_total_.back() += until - now_;
        addToBatches(overflow_batches_.back(), now_, until, batch_hours_);
    }
    now_ = until;
}

std::optional<Transition> FleetSimulation::next(double until) {
    const std::size_t clusters = model_.clusters.size();
    while (!pending_.empty() && pending_.top().hours <= until) {
        const Pending event = pending_.top();
        pending_.pop();
        accumulate(event.hours);
        const std::size_t c = event.component;
        down_[c] = !down_[c];
        const double mean = c < clusters ? (down_[c] ? model_.clusters[c].mttr_hours
                                                     : model_.clusters[c].mtbf_hours)
                                         : (down_[c] ? model_.groups[c - clusters].mttr_hours
                                                     : model_.groups[c - clusters].mtbf_hours);
        pending_.push({draw(mean), c});

        Transition transition{now_, {}};
        auto update = [&](std::size_t i) {
            const SimCluster& cluster = model_.clusters[i];
            const bool failed =
                down_[i] ||
                (cluster.group >= 0 && down_[clusters + static_cast<std::size_t>(cluster.group)]);
            if (failed == failed_[i]) {
                return;
            }
            failed_[i] = failed;
            Amounts& demand = demand_[cluster.appliance];
            for (std::size_t r = 0; r < demand.size(); ++r) {
                const std::int64_t step = cluster.active[r] - cluster.standby[r];
                demand[r] += failed ? step : -step;
            }
            if (failed) {
                failed_since_[i] = now_;
                ++failovers_[i];
            } else {
                failed_total_[i] += now_ - failed_since_[i];
                addToBatches(failed_batches_[i], failed_since_[i], now_, batch_hours_);
            }
            transition.changes.emplace_back(i, failed);
        };
        if (c < clusters) {
            update(c);
        } else {
            for (const std::size_t member : members_[c - clusters]) {
                update(member);
            }
        }
        if (!transition.changes.empty()) {
            ++transitions_;
            return transition;
        }
    }
    accumulate(until);
    return std::nullopt;
}

ShareEstimate estimateShare(double total, const std::vector<double>& batches, double hours,
                            double batch_hours) {
    ShareEstimate estimate;
    estimate.share = hours > 0 ? total / hours : 0.0;
    estimate.batches = static_cast<std::size_t>(std::floor(hours / batch_hours));
    if (estimate.batches < 2) {
        estimate.std_error = std::numeric_limits<double>::quiet_NaN();
        return estimate;
    }
    double sum = 0;
    for (std::size_t b = 0; b < estimate.batches; ++b) {
        sum += b < batches.size() ? batches[b] / batch_hours : 0.0;
    }
    const double n = static_cast<double>(estimate.batches);
    const double mean = sum / n;
    double squares = 0;
    for (std::size_t b = 0; b < estimate.batches; ++b) {
        const double x = (b < batches.size() ? batches[b] / batch_hours : 0.0) - mean;
        squares += x * x;
    }
    estimate.std_error = std::sqrt(squares / (n - 1) / n);
    return estimate;
}

SimulationStats FleetSimulation::stats() const {
    SimulationStats stats;
    stats.hours = now_;
    stats.transitions = transitions_;
    stats.appliances.resize(model_.appliances.size());
    for (std::size_t a = 0; a < model_.appliances.size(); ++a) {
        for (std::size_t m = 0; m < kMeasuresPerAppliance; ++m) {
            const std::size_t measure = a * kMeasuresPerAppliance + m;
            const ShareEstimate estimate = estimateShare(
                overflow_total_[measure], overflow_batches_[measure], now_, batch_hours_);
            if (m < sizing::kResourceCount) {
                stats.appliances[a].resource[m] = estimate;
            } else {
                stats.appliances[a].either = estimate;
            }
        }
    }
    stats.any_appliance =
        estimateShare(overflow_total_.back(), overflow_batches_.back(), now_, batch_hours_);
    for (std::size_t i = 0; i < model_.clusters.size(); ++i) {
        double total = failed_total_[i];
        std::vector<double> batches = failed_batches_[i];
        if (failed_[i]) {
            total += now_ - failed_since_[i];
            addToBatches(batches, failed_since_[i], now_, batch_hours_);
        }
        stats.cluster_failed.push_back(estimateShare(total, batches, now_, batch_hours_));
    }
    stats.cluster_failovers = failovers_;
    return stats;
}

}  // namespace understudy::simulate
