#include "sizing/resource_analysis.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <numeric>

#include "sizing/truncated_distribution.h"

namespace understudy::sizing {
namespace {

// The model on an integer grid: every delta in units of `unit` (rounded down or up when the
// engine quantizes, which brackets the exact answer).
struct GridModel {
    std::int64_t unit = 1;
    std::vector<std::int64_t> d;            // per member
    std::vector<std::size_t> ungrouped;     // member indices, smallest delta first
    std::vector<std::int64_t> group_delta;  // Σ d over each group's members
    std::int64_t total = 0;                 // Σ d: the largest possible excess
};

enum class Rounding { down, up };

GridModel makeGrid(const ResourceModel& model, std::int64_t unit, Rounding rounding) {
    GridModel grid;
    grid.unit = unit;
    grid.d.reserve(model.members.size());
    for (const auto& member : model.members) {
        const std::int64_t units =
            rounding == Rounding::down ? member.delta / unit : (member.delta + unit - 1) / unit;
        grid.d.push_back(units);
        grid.total += units;
    }
    for (std::size_t i = 0; i < model.members.size(); ++i) {
        if (model.members[i].group < 0) {
            grid.ungrouped.push_back(i);
        }
    }
    // Smallest deltas first keep the support short for longest; ties broken by index so the
    // order, and so every bit of the result, is reproducible.
    std::stable_sort(grid.ungrouped.begin(), grid.ungrouped.end(),
                     [&](std::size_t a, std::size_t b) { return grid.d[a] < grid.d[b]; });
    for (const auto& group : model.groups) {
        std::int64_t sum = 0;
        for (const auto member : group.members) {
            sum += grid.d[member];
        }
        grid.group_delta.push_back(sum);
    }
    return grid;
}

// log E[exp(θ·d·X)] for X ~ Bernoulli(p), without overflow for large θ·d.
double logMgfBernoulli(double p, double theta_d) {
    if (p <= 0) {
        return 0;
    }
    if (p >= 1) {
        return theta_d;
    }
    if (theta_d < 30) {
        return std::log1p(p * std::expm1(theta_d));
    }
    return theta_d + std::log(p + (1 - p) * std::exp(-theta_d));
}

double logSumExp(double a, double b) {
    const double top = std::max(a, b);
    if (top == -std::numeric_limits<double>::infinity()) {
        return top;
    }
    return top + std::log(std::exp(a - top) + std::exp(b - top));
}

// Cumulant generating functions of the grid model at one θ, kept per group and per member so
// that conditional bounds come at no extra cost.
struct Cumulants {
    double total = 0;
    std::vector<double> group;          // log MGF of each group's mixture
    std::vector<double> member;         // log MGF of each member's own Bernoulli
    std::vector<double> group_members;  // Σ member log MGFs per group (group off)
};

Cumulants cumulantsAt(const ResourceModel& model, const GridModel& grid, double theta) {
    Cumulants c;
    c.member.resize(model.members.size());
    for (std::size_t i = 0; i < model.members.size(); ++i) {
        c.member[i] =
            logMgfBernoulli(model.members[i].p_own, theta * static_cast<double>(grid.d[i]));
    }
    for (const auto i : grid.ungrouped) {
        c.total += c.member[i];
    }
    for (std::size_t g = 0; g < model.groups.size(); ++g) {
        double off = 0;
        for (const auto i : model.groups[g].members) {
            off += c.member[i];
        }
        const double p = model.groups[g].p;
        const double value =
            p <= 0 ? off
                   : logSumExp(std::log(p) + theta * static_cast<double>(grid.group_delta[g]),
                               std::log1p(-p) + off);
        c.group_members.push_back(off);
        c.group.push_back(value);
        c.total += value;
    }
    return c;
}

// Chernoff: P(K ≥ a) ≤ exp(Λ(θ) − θa), so P(K > j) ≤ ε for j = ⌈(Λ(θ) − log ε)/θ⌉ − 1.
std::int64_t chernoffIndex(double cumulant, double theta, double log_epsilon, std::int64_t cap) {
    const double a = (cumulant - log_epsilon) / theta;
    if (!std::isfinite(a) || a >= static_cast<double>(cap)) {
        return cap;
    }
    return std::max<std::int64_t>(0, static_cast<std::int64_t>(std::ceil(a)) - 1);
}

struct RangeBound {
    std::int64_t fleet = 0;  // bound on the index of the required capacity
    // Bound on the per-cluster requirement of each grouped member (−1 for ungrouped ones).
    std::vector<std::int64_t> grouped_member;
};

// Upper bounds on the indices the requirement searches can reach, so one truncation limit
// serves the whole analysis and every lookup below it is exact.
RangeBound boundRequiredRange(const ResourceModel& model, const GridModel& grid, double epsilon,
                              bool per_cluster) {
    RangeBound bound;
    bound.grouped_member.assign(model.members.size(), -1);
    const std::int64_t cap = grid.total;
    if (epsilon <= 0 || grid.total == 0) {
        bound.fleet = cap;
        for (const auto& group : model.groups) {
            for (const auto i : group.members) {
                bound.grouped_member[i] = cap;
            }
        }
        return bound;
    }
    const double log_epsilon = std::log(epsilon);
    const std::int64_t d_max = *std::max_element(grid.d.begin(), grid.d.end());
    const std::int64_t d_min_positive = [&] {
        std::int64_t smallest = d_max;
        for (const auto d : grid.d) {
            if (d > 0) {
                smallest = std::min(smallest, d);
            }
        }
        return smallest;
    }();
    // a(θ) = (Λ(θ) − log ε)/θ is quasi-convex in θ (its derivative's numerator θΛ' − Λ + log ε
    // grows with θ), so a golden-section search over log θ finds its minimum.
    double lo = std::log(1e-6 / static_cast<double>(d_max));
    double hi = std::log(60.0 / static_cast<double>(d_min_positive));
    auto indexAt = [&](double log_theta) {
        const double theta = std::exp(log_theta);
        return chernoffIndex(cumulantsAt(model, grid, theta).total, theta, log_epsilon, cap);
    };
    constexpr double kGolden = 0.6180339887498949;
    double x1 = hi - kGolden * (hi - lo);
    double x2 = lo + kGolden * (hi - lo);
    std::int64_t f1 = indexAt(x1);
    std::int64_t f2 = indexAt(x2);
    for (int iteration = 0; iteration < 16; ++iteration) {
        if (f1 <= f2) {
            hi = x2;
            x2 = x1;
            f2 = f1;
            x1 = hi - kGolden * (hi - lo);
            f1 = indexAt(x1);
        } else {
            lo = x1;
            x1 = x2;
            f1 = f2;
            x2 = lo + kGolden * (hi - lo);
            f2 = indexAt(x2);
        }
    }
    const double best_log_theta = f1 <= f2 ? x1 : x2;
    bound.fleet = std::min(f1, f2);
    if (model.groups.empty() || !per_cluster) {
        return bound;
    }
    // Given X_i = 1 the group is on with q = p_g / P(X_i = 1); otherwise i alone is on.
    for (const auto& group : model.groups) {
        for (const auto i : group.members) {
            bound.grouped_member[i] = cap;
        }
    }
    for (int step = -3; step <= 3; ++step) {
        const double theta = std::exp(best_log_theta + 0.5 * step);
        const Cumulants c = cumulantsAt(model, grid, theta);
        for (std::size_t g = 0; g < model.groups.size(); ++g) {
            const double p_g = model.groups[g].p;
            const double others = c.total - c.group[g];
            for (const auto i : model.groups[g].members) {
                const double p_i = model.members[i].p_own;
                const double p_any = p_g + p_i - p_g * p_i;
                const double q = p_any > 0 ? p_g / p_any : 0.0;
                const double off_branch =
                    theta * static_cast<double>(grid.d[i]) + c.group_members[g] - c.member[i];
                const double on_branch = theta * static_cast<double>(grid.group_delta[g]);
                const double conditional =
                    q <= 0   ? off_branch
                    : q >= 1 ? on_branch
                             : logSumExp(std::log(q) + on_branch, std::log1p(-q) + off_branch);
                bound.grouped_member[i] =
                    std::min(bound.grouped_member[i],
                             chernoffIndex(others + conditional, theta, log_epsilon, cap));
            }
        }
    }
    return bound;
}

void addGroup(TruncatedDistribution& distribution, const ResourceModel& model,
              const GridModel& grid, std::size_t g) {
    const auto& group = model.groups[g];
    if (group.p <= 0) {
        for (const auto i : group.members) {
            distribution.addBernoulli(model.members[i].p_own, grid.d[i]);
        }
        return;
    }
    TruncatedDistribution all_on = distribution;
    all_on.shift(grid.group_delta[g]);
    for (const auto i : group.members) {
        distribution.addBernoulli(model.members[i].p_own, grid.d[i]);
    }
    distribution.mixWith(all_on, group.p);
}

// Calls visit(g, h_g) with h_g the distribution of everything but group g, for every group,
// applying each group O(log G) times instead of G times.
template <typename Visit>
void forEachGroupLeftOut(const TruncatedDistribution& base, const ResourceModel& model,
                         const GridModel& grid, std::size_t lo, std::size_t hi, Visit&& visit) {
    if (hi - lo == 1) {
        visit(lo, base);
        return;
    }
    const std::size_t mid = lo + (hi - lo) / 2;
    TruncatedDistribution with_right = base;
    for (std::size_t g = mid; g < hi; ++g) {
        addGroup(with_right, model, grid, g);
    }
    forEachGroupLeftOut(with_right, model, grid, lo, mid, visit);
    TruncatedDistribution with_left = base;
    for (std::size_t g = lo; g < mid; ++g) {
        addGroup(with_left, model, grid, g);
    }
    forEachGroupLeftOut(with_left, model, grid, mid, hi, visit);
}

struct GridResult {
    double overflow_risk = 1;
    double expected_shortfall = 0;
    std::int64_t required_index = 0;
    std::int64_t required_index_per_cluster = 0;
    std::vector<double> risk_when_active;
    TruncatedDistribution distribution{0};
};

// Smallest m in [0, hi] with risk(m) ≤ ε for a non-increasing risk; hi when none is (the
// largest possible excess always qualifies in truth, whatever rounding says).
template <typename Risk>
std::int64_t smallestQualifying(const Risk& risk, double epsilon, std::int64_t hi) {
    std::int64_t lo = 0;
    while (lo < hi) {
        const std::int64_t mid = lo + (hi - lo) / 2;
        if (risk(mid) <= epsilon) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return lo;
}

// How far the distributions must be resolved: past the fleet's requirement, the budget, and
// what each grouped member's requirement can reach once its own delta is removed.
std::int64_t truncationLimit(const ResourceModel& model, const GridModel& grid,
                             const RangeBound& bound, std::optional<std::int64_t> budget_index,
                             bool per_cluster) {
    std::int64_t limit = bound.fleet + 1;
    if (budget_index) {
        limit = std::max(limit, *budget_index + 1);
    }
    for (std::size_t i = 0; per_cluster && i < model.members.size(); ++i) {
        if (bound.grouped_member[i] >= 0) {
            limit = std::max(limit, bound.grouped_member[i] - grid.d[i] + 1);
        }
    }
    return std::clamp<std::int64_t>(limit, 1, std::max<std::int64_t>(grid.total, 1));
}

// Each cluster's requirement when it is active (raising the result's per-cluster
// requirement) and, with a budget, its risk when active.
class PerClusterAnalysis {
public:
    PerClusterAnalysis(const ResourceModel& model, const GridModel& grid, std::int64_t limit,
                       double epsilon, std::optional<std::int64_t> budget_index, GridResult& result)
        : model_(model),
          grid_(grid),
          limit_(limit),
          epsilon_(epsilon),
          budget_index_(budget_index),
          result_(result) {
        if (budget_index_) {
            result_.risk_when_active.assign(model_.members.size(), 0.0);
        }
    }

    void ungroupedMembers(const TailTable& full_tail) {
        const std::int64_t m_star = result_.required_index;
        for (const auto i : grid_.ungrouped) {
            const double p = model_.members[i].p_own;
            const std::int64_t d = grid_.d[i];
            std::optional<TailTable> rebuilt;
            if (p >= 0.5) {
                rebuilt = rebuiltWithout(i, nullptr, grid_.ungrouped);
            }
            auto others = [&](std::int64_t j) {
                return rebuilt ? (*rebuilt)(j) : full_tail.tailWithout(p, d, j);
            };
            // Removing a cluster lowers the tail, by at most one shift of d: the others'
            // requirement lies in [m* − d, m*].
            const std::int64_t own = smallestQualifying(
                [&](std::int64_t j) { return others(j + std::max<std::int64_t>(m_star - d, 0)); },
                epsilon_, std::min(d, m_star));
            const std::int64_t needed = d + std::max<std::int64_t>(m_star - d, 0) + own;
            result_.required_index_per_cluster =
                std::max(result_.required_index_per_cluster, needed);
            if (budget_index_) {
                result_.risk_when_active[i] = others(*budget_index_ - d);
            }
        }
    }

    // rest: the distribution of everything but group g.
    void groupMembers(std::size_t g, const TruncatedDistribution& rest) {
        const auto& group = model_.groups[g];
        const TailTable rest_tail = TailTable::of(rest);
        TruncatedDistribution members_off = rest;
        for (const auto i : group.members) {
            members_off.addBernoulli(model_.members[i].p_own, grid_.d[i]);
        }
        const TailTable members_off_tail = TailTable::of(members_off);
        const std::int64_t all_on = grid_.group_delta[g];
        for (const auto i : group.members) {
            const double p_i = model_.members[i].p_own;
            const std::int64_t d = grid_.d[i];
            std::optional<TailTable> rebuilt;
            if (p_i >= 0.5) {
                rebuilt = rebuiltWithout(i, &rest, group.members);
            }
            auto group_others = [&](std::int64_t j) {
                return rebuilt ? (*rebuilt)(j) : members_off_tail.tailWithout(p_i, d, j);
            };
            // Given X_i = 1 the group is on with q = p_g / P(X_i = 1), and then all of its
            // members are; otherwise i alone is, beside the others.
            const double p_any = group.p + p_i - group.p * p_i;
            const double q = p_any > 0 ? group.p / p_any : 0.0;
            auto risk_at = [&](std::int64_t m) {
                return std::min(1.0, q * rest_tail(m - all_on) + (1 - q) * group_others(m - d));
            };
            const std::int64_t needed = smallestQualifying(risk_at, epsilon_, grid_.total);
            result_.required_index_per_cluster =
                std::max(result_.required_index_per_cluster, needed);
            if (budget_index_) {
                result_.risk_when_active[i] = risk_at(*budget_index_);
            }
        }
    }

private:
    // Removing a cluster that is failed over most of the time is unstable: rebuild the
    // others' distribution instead (rare: such a failure model draws a warning). start: what
    // the members add to, or nullptr to start empty and add every group after them.
    TailTable rebuiltWithout(std::size_t left_out, const TruncatedDistribution* start,
                             const std::vector<std::size_t>& members) const {
        TruncatedDistribution others = start ? *start : TruncatedDistribution(limit_);
        for (const auto j : members) {
            if (j != left_out) {
                others.addBernoulli(model_.members[j].p_own, grid_.d[j]);
            }
        }
        if (!start) {
            for (std::size_t g = 0; g < model_.groups.size(); ++g) {
                addGroup(others, model_, grid_, g);
            }
        }
        return TailTable::of(others);
    }

    const ResourceModel& model_;
    const GridModel& grid_;
    std::int64_t limit_;
    double epsilon_;
    std::optional<std::int64_t> budget_index_;
    GridResult& result_;
};

GridResult analyzeGrid(const ResourceModel& model, const GridModel& grid,
                       std::optional<std::int64_t> budget, double epsilon, bool per_cluster) {
    const RangeBound bound = boundRequiredRange(model, grid, epsilon, per_cluster);
    const std::optional<std::int64_t> budget_index =
        budget ? std::optional<std::int64_t>(*budget < 0 ? -1 : *budget / grid.unit) : std::nullopt;
    const std::int64_t limit = truncationLimit(model, grid, bound, budget_index, per_cluster);

    TruncatedDistribution ungrouped(limit);
    for (const auto i : grid.ungrouped) {
        ungrouped.addBernoulli(model.members[i].p_own, grid.d[i]);
    }
    TruncatedDistribution full = ungrouped;
    for (std::size_t g = 0; g < model.groups.size(); ++g) {
        addGroup(full, model, grid, g);
    }

    GridResult result;
    const TailTable full_tail = TailTable::of(full);
    if (budget_index) {
        result.overflow_risk = full_tail(*budget_index);
        result.expected_shortfall =
            *budget < 0 ? full.expectedExcessOver(grid.unit, 0) - static_cast<double>(*budget)
                        : full.expectedExcessOver(grid.unit, *budget);
    }
    result.required_index = full_tail.smallestIndexWithTailAtMost(epsilon, 0, grid.total);
    result.required_index_per_cluster = result.required_index;

    if (per_cluster && !model.members.empty()) {
        PerClusterAnalysis clusters(model, grid, limit, epsilon, budget_index, result);
        clusters.ungroupedMembers(full_tail);
        if (!model.groups.empty()) {
            forEachGroupLeftOut(ungrouped, model, grid, 0, model.groups.size(),
                                [&clusters](std::size_t g, const TruncatedDistribution& rest) {
                                    clusters.groupMembers(g, rest);
                                });
        }
    }
    result.distribution = std::move(full);
    return result;
}

std::int64_t gcdOfDeltas(const ResourceModel& model) {
    std::int64_t divisor = 0;
    for (const auto& member : model.members) {
        divisor = std::gcd(divisor, member.delta);
    }
    return divisor > 0 ? divisor : 1;
}

DemandDistribution toDemandDistribution(const TruncatedDistribution& distribution,
                                        std::int64_t base, std::int64_t unit) {
    DemandDistribution out;
    out.base = base;
    out.unit = unit;
    const auto& mass = distribution.mass();
    out.probability.assign(mass.begin(),
                           mass.begin() + static_cast<std::ptrdiff_t>(distribution.support()) + 1);
    out.beyond_mass = distribution.beyond();
    return out;
}

}  // namespace

ResourceModel ResourceModel::build(const std::vector<const ClusterSpec*>& clusters,
                                   const std::vector<GroupSpec>& groups, Resource resource) {
    ResourceModel model;
    std::vector<int> local_group(groups.size(), -1);
    for (const ClusterSpec* cluster : clusters) {
        Member member;
        member.p_own = stationaryProbability(cluster->mtbf_hours, cluster->mttr_hours);
        member.standby = cluster->effectiveStandby().of(resource);
        member.delta = std::max<std::int64_t>(0, cluster->active.of(resource) - member.standby);
        if (!cluster->group.empty()) {
            const auto found = std::find_if(groups.begin(), groups.end(), [&](const GroupSpec& g) {
                return g.name == cluster->group;
            });
            assert(found != groups.end());
            const auto index = static_cast<std::size_t>(found - groups.begin());
            if (local_group[index] < 0) {
                local_group[index] = static_cast<int>(model.groups.size());
                model.groups.push_back(
                    {stationaryProbability(found->mtbf_hours, found->mttr_hours), {}});
            }
            member.group = local_group[index];
            model.groups[static_cast<std::size_t>(member.group)].members.push_back(
                model.members.size());
        }
        model.members.push_back(member);
    }
    return model;
}

std::int64_t ResourceModel::standbyTotal() const {
    std::int64_t total = 0;
    for (const auto& member : members) {
        total += member.standby;
    }
    return total;
}

std::int64_t ResourceModel::deltaTotal() const {
    std::int64_t total = 0;
    for (const auto& member : members) {
        total += member.delta;
    }
    return total;
}

double ResourceModel::failoverProbability(std::size_t member) const {
    const auto& m = members[member];
    const double p_group = m.group < 0 ? 0.0 : groups[static_cast<std::size_t>(m.group)].p;
    return 1.0 - (1.0 - m.p_own) * (1.0 - p_group);
}

ResourceAnalysis analyzeResource(const ResourceModel& model,
                                 const ResourceAnalysisOptions& options) {
    const std::int64_t standby = model.standbyTotal();
    const std::optional<std::int64_t> budget =
        options.capacity ? std::optional<std::int64_t>(*options.capacity - standby) : std::nullopt;
    const double epsilon = std::clamp(options.target_risk, 0.0, 1.0);
    const std::int64_t unit = gcdOfDeltas(model);

    // Quantize only when the exact grid would exceed the point budget: the grid must resolve
    // both the capacity and the largest requirement, bounded by the total delta.
    const std::int64_t exact_points = model.deltaTotal() / unit;
    std::int64_t needed_points = exact_points;
    if (needed_points > options.max_points) {
        const GridModel probe = makeGrid(model, unit, Rounding::up);
        const RangeBound bound = boundRequiredRange(model, probe, epsilon, options.per_cluster);
        needed_points = bound.fleet;
        for (std::size_t i = 0; i < model.members.size(); ++i) {
            if (bound.grouped_member[i] >= 0) {
                needed_points = std::max(needed_points, bound.grouped_member[i] - probe.d[i]);
            }
        }
        if (budget) {
            needed_points = std::max(needed_points, *budget / unit);
        }
    }

    ResourceAnalysis analysis;
    auto fill = [&](const GridResult& grid_result, std::int64_t grid_unit) {
        analysis.unit = grid_unit;
        analysis.overflow_risk = grid_result.overflow_risk;
        analysis.expected_shortfall = grid_result.expected_shortfall;
        analysis.required_capacity = standby + grid_unit * grid_result.required_index;
        analysis.required_capacity_per_cluster =
            standby + grid_unit * grid_result.required_index_per_cluster;
        analysis.risk_when_active = grid_result.risk_when_active;
        analysis.distribution = toDemandDistribution(grid_result.distribution, standby, grid_unit);
    };

    if (needed_points <= options.max_points) {
        const GridModel grid = makeGrid(model, unit, Rounding::down);
        fill(analyzeGrid(model, grid, budget, epsilon, options.per_cluster), unit);
        analysis.overflow_risk_lower = analysis.overflow_risk;
        analysis.overflow_risk_upper = analysis.overflow_risk;
        return analysis;
    }

    // Coarser grid: deltas rounded down bound the demand from below, rounded up from above.
    const std::int64_t factor = (needed_points + options.max_points - 1) / options.max_points;
    const std::int64_t coarse = unit * factor;
    const GridModel lower_grid = makeGrid(model, coarse, Rounding::down);
    const GridModel upper_grid = makeGrid(model, coarse, Rounding::up);
    const GridResult lower = analyzeGrid(model, lower_grid, budget, epsilon, false);
    const GridResult upper = analyzeGrid(model, upper_grid, budget, epsilon, options.per_cluster);
    // The reported figures are the conservative side: an administrator is never told the
    // appliance is safer than it is.
    fill(upper, coarse);
    analysis.exact = false;
    analysis.overflow_risk_lower = lower.overflow_risk;
    analysis.overflow_risk_upper = upper.overflow_risk;
    return analysis;
}

}  // namespace understudy::sizing
