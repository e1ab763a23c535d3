#include "sizing/joint_risk.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

namespace understudy::sizing {
namespace {

// Mass on the box [0, M1] × [0, M2] of excess units, everything that leaves it kept as one
// tail value: the probability that at least one resource overflows.
class BoxDistribution {
public:
    BoxDistribution(std::int64_t rows, std::int64_t columns)
        : rows_(rows), columns_(columns), mass_(static_cast<std::size_t>(rows * columns), 0.0) {
        mass_[0] = 1.0;
    }

    double outside() const { return outside_; }

    void addBernoulli(double p, std::int64_t d1, std::int64_t d2) {
        if (p <= 0 || (d1 == 0 && d2 == 0)) {
            return;
        }
        const double q = 1 - p;
        for (std::int64_t r = rows_ - 1; r >= 0; --r) {
            double* row = &mass_[static_cast<std::size_t>(r * columns_)];
            const bool source_row_inside = r - d1 >= 0;
            const double* source =
                source_row_inside ? &mass_[static_cast<std::size_t>((r - d1) * columns_)] : nullptr;
            // What this row sends out of the box when shifted.
            double leaving = 0;
            if (r + d1 >= rows_) {
                for (std::int64_t c = 0; c < columns_; ++c) {
                    leaving += row[c];
                }
            } else {
                for (std::int64_t c = std::max<std::int64_t>(columns_ - d2, 0); c < columns_; ++c) {
                    leaving += row[c];
                }
            }
            outside_ += p * leaving;
            for (std::int64_t c = columns_ - 1; c >= 0; --c) {
                const double incoming = source && c - d2 >= 0 ? source[c - d2] : 0.0;
                row[c] = q * row[c] + p * incoming;
            }
        }
    }

    void shift(std::int64_t d1, std::int64_t d2) { addBernoulli(1.0, d1, d2); }

    void mixWith(const BoxDistribution& other, double w) {
        for (std::size_t k = 0; k < mass_.size(); ++k) {
            mass_[k] = (1 - w) * mass_[k] + w * other.mass_[k];
        }
        outside_ = (1 - w) * outside_ + w * other.outside_;
    }

private:
    std::int64_t rows_;
    std::int64_t columns_;
    std::vector<double> mass_;
    double outside_ = 0;
};

std::int64_t commonUnit(const ResourceModel& model) {
    std::int64_t unit = 0;
    for (const auto& member : model.members) {
        unit = std::gcd(unit, member.delta);
    }
    return unit > 0 ? unit : 1;
}

double exactJointRisk(const ResourceModel& memory, const ResourceModel& cpu,
                      const std::array<std::int64_t, 2>& units,
                      const std::array<std::int64_t, 2>& budgets) {
    BoxDistribution box(budgets[0] / units[0] + 1, budgets[1] / units[1] + 1);
    auto delta = [&](const ResourceModel& model, std::size_t i, std::size_t r) {
        return model.members[i].delta / units[r];
    };
    for (std::size_t i = 0; i < memory.members.size(); ++i) {
        if (memory.members[i].group < 0) {
            box.addBernoulli(memory.members[i].p_own, delta(memory, i, 0), delta(cpu, i, 1));
        }
    }
    for (const auto& group : memory.groups) {
        std::int64_t all1 = 0;
        std::int64_t all2 = 0;
        for (const auto i : group.members) {
            all1 += delta(memory, i, 0);
            all2 += delta(cpu, i, 1);
        }
        BoxDistribution all_on = box;
        all_on.shift(all1, all2);
        for (const auto i : group.members) {
            box.addBernoulli(memory.members[i].p_own, delta(memory, i, 0), delta(cpu, i, 1));
        }
        box.mixWith(all_on, group.p);
    }
    return std::clamp(box.outside(), 0.0, 1.0);
}

// xoshiro-free, fully specified generator so results are reproducible across standard
// libraries: std::mt19937_64 is specified bit for bit, uniform_real_distribution is not.
class Uniform {
public:
    explicit Uniform(std::uint64_t seed) : engine_(seed) {}
    double operator()() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
    // Strictly inside (0, 1), for logarithms.
    double open() { return (static_cast<double>(engine_() >> 11) + 0.5) * 0x1.0p-53; }

private:
    std::mt19937_64 engine_;
};

// Draws which of many rare Bernoulli variables are 1 without touching every variable:
// variables are bucketed by a power-of-two bound on p, candidates found by geometric jumps at
// the bound and kept with probability p / bound (thinning).
class SparseBernoulliSampler {
public:
    explicit SparseBernoulliSampler(const std::vector<double>& probabilities)
        : probabilities_(probabilities) {
        for (std::size_t i = 0; i < probabilities.size(); ++i) {
            const double p = probabilities[i];
            if (p <= 0) {
                continue;
            }
            const int bucket = p >= 0.25 ? 0 : std::min(60, static_cast<int>(-std::log2(p)) - 1);
            if (static_cast<std::size_t>(bucket) >= buckets_.size()) {
                buckets_.resize(static_cast<std::size_t>(bucket) + 1);
            }
            buckets_[static_cast<std::size_t>(bucket)].members.push_back(i);
        }
        for (auto& bucket : buckets_) {
            double bound = 0;
            for (const auto i : bucket.members) {
                bound = std::max(bound, probabilities[i]);
            }
            bucket.bound = bound;
            bucket.log_miss = std::log1p(-std::min(bound, 1.0 - 1e-16));
        }
    }

    template <typename OnHit>
    void sample(Uniform& uniform, OnHit&& on_hit) const {
        for (const auto& bucket : buckets_) {
            if (bucket.members.empty()) {
                continue;
            }
            if (bucket.bound >= 0.25) {
                for (const auto i : bucket.members) {
                    if (uniform() < probabilities_[i]) {
                        on_hit(i);
                    }
                }
                continue;
            }
            const auto count = static_cast<double>(bucket.members.size());
            double position = std::floor(std::log(uniform.open()) / bucket.log_miss);
            while (position < count) {
                const std::size_t i = bucket.members[static_cast<std::size_t>(position)];
                if (uniform() * bucket.bound < probabilities_[i]) {
                    on_hit(i);
                }
                position += 1 + std::floor(std::log(uniform.open()) / bucket.log_miss);
            }
        }
    }

private:
    struct Bucket {
        std::vector<std::size_t> members;
        double bound = 0;
        double log_miss = 0;
    };
    const std::vector<double>& probabilities_;
    std::vector<Bucket> buckets_;
};

double logMgf(double p, double theta_w) {
    if (p <= 0) {
        return 0;
    }
    if (theta_w < 30) {
        return std::log1p(p * std::expm1(theta_w));
    }
    return theta_w + std::log(p + (1 - p) * std::exp(-theta_w));
}

double tilt(double p, double theta_w) {
    if (p <= 0) {
        return 0;
    }
    return 1.0 / (1.0 + (1 - p) / p * std::exp(-theta_w));
}

// One proposal of the importance sampler: every raw variable (each cluster's own failure, each
// group's event) tilted by exp(θ · its demand in one resource).
struct Proposal {
    double theta = 0;
    double cumulant = 0;  // Λ(θ) over all raw variables
    std::vector<double> own;
    std::vector<double> group;
};

// What every sample reads: each resource's budget (capacity less the standby total), each
// group's demand, and the raw probabilities, which both models share.
struct SamplingProblem {
    std::array<const ResourceModel*, kResourceCount> models{};
    std::array<std::int64_t, kResourceCount> budgets{};
    std::array<std::vector<double>, kResourceCount> group_delta;
    std::vector<double> own_p;
    std::vector<double> group_p;

    const ResourceModel& base() const { return *models[0]; }
    double delta(std::size_t r, std::size_t i) const {
        return static_cast<double>(models[r]->members[i].delta);
    }
};

SamplingProblem describeProblem(const std::array<const ResourceModel*, kResourceCount>& models,
                                const std::array<std::int64_t, kResourceCount>& capacities) {
    SamplingProblem problem;
    problem.models = models;
    const ResourceModel& base = *models[0];
    const std::size_t n = base.members.size();
    const std::size_t groups = base.groups.size();
    for (std::size_t r = 0; r < kResourceCount; ++r) {
        problem.budgets[r] = capacities[r] - models[r]->standbyTotal();
        problem.group_delta[r].assign(groups, 0.0);
        for (std::size_t g = 0; g < groups; ++g) {
            for (const auto i : base.groups[g].members) {
                problem.group_delta[r][g] += static_cast<double>(models[r]->members[i].delta);
            }
        }
    }
    problem.own_p.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        problem.own_p[i] = base.members[i].p_own;
    }
    problem.group_p.resize(groups);
    for (std::size_t g = 0; g < groups; ++g) {
        problem.group_p[g] = base.groups[g].p;
    }
    return problem;
}

Proposal makeProposal(const SamplingProblem& problem, std::size_t r, double theta) {
    const std::size_t n = problem.own_p.size();
    const std::size_t groups = problem.group_p.size();
    Proposal proposal;
    proposal.theta = theta;
    proposal.own.resize(n);
    proposal.group.resize(groups);
    for (std::size_t i = 0; i < n; ++i) {
        const double w = theta * problem.delta(r, i);
        proposal.own[i] = tilt(problem.own_p[i], w);
        proposal.cumulant += logMgf(problem.own_p[i], w);
    }
    for (std::size_t g = 0; g < groups; ++g) {
        const double w = theta * problem.group_delta[r][g];
        proposal.group[g] = tilt(problem.group_p[g], w);
        proposal.cumulant += logMgf(problem.group_p[g], w);
    }
    return proposal;
}

// The proposal's mean demand in resource r, to centre it on the overflow boundary.
double tiltedMean(const SamplingProblem& problem, std::size_t r, const Proposal& proposal) {
    const ResourceModel& base = problem.base();
    double mean = 0;
    for (std::size_t i = 0; i < base.members.size(); ++i) {
        const int g = base.members[i].group;
        const double p_group = g < 0 ? 0.0 : proposal.group[static_cast<std::size_t>(g)];
        mean += problem.delta(r, i) * (1 - (1 - proposal.own[i]) * (1 - p_group));
    }
    return mean;
}

// The tilt whose mean demand in resource r is one unit past its budget, by bisection; 0 when
// the nominal distribution already gets there or the budget is already exceeded.
double aimedTheta(const SamplingProblem& problem, std::size_t r, const Proposal& nominal) {
    const double target = static_cast<double>(problem.budgets[r]) + 1;
    double theta = 0;
    if (problem.budgets[r] >= 0 && tiltedMean(problem, r, nominal) < target) {
        double lo = 0;
        double hi = 1e-9;
        while (tiltedMean(problem, r, makeProposal(problem, r, hi)) < target && hi < 1e6) {
            hi *= 4;
        }
        for (int iteration = 0; iteration < 50; ++iteration) {
            const double mid = 0.5 * (lo + hi);
            (tiltedMean(problem, r, makeProposal(problem, r, mid)) < target ? lo : hi) = mid;
        }
        theta = hi;
    }
    return theta;
}

// Component 0 is the nominal distribution (a defensive mixture keeps the weights bounded);
// components 1 and 2 aim at memory and at vCPU overflow.
std::vector<Proposal> makeProposals(const SamplingProblem& problem) {
    std::vector<Proposal> proposals;
    proposals.push_back(makeProposal(problem, 0, 0.0));
    for (std::size_t r = 0; r < kResourceCount; ++r) {
        const double theta = aimedTheta(problem, r, proposals[0]);
        proposals.push_back(makeProposal(problem, r, theta));
    }
    return proposals;
}

// One sample: the demand it puts on each resource and its importance weight.
struct Draw {
    std::array<double, kResourceCount> demand{};
    double weight = 0;
};

// Draws from the mixture of proposals and weighs each draw against the nominal distribution.
class MixtureSampler {
public:
    MixtureSampler(const SamplingProblem& problem, std::uint64_t seed)
        : problem_(problem),
          proposals_(makeProposals(problem)),
          uniform_(seed),
          group_on_(problem.group_p.size(), 0) {
        for (const auto& proposal : proposals_) {
            own_samplers_.emplace_back(proposal.own);
            group_samplers_.emplace_back(proposal.group);
        }
    }

    Draw draw() {
        const double pick = uniform_();
        const std::size_t component = pick < kWeights[0]                 ? 0
                                      : pick < kWeights[0] + kWeights[1] ? 1
                                                                         : 2;
        groups_hit_.clear();
        own_hit_.clear();
        group_samplers_[component].sample(uniform_,
                                          [&](std::size_t g) { groups_hit_.push_back(g); });
        own_samplers_[component].sample(uniform_, [&](std::size_t i) { own_hit_.push_back(i); });
        // Raw statistics W (what each tilt weighs) and actual demand (groups fail all members).
        std::array<double, kResourceCount> raw{};
        Draw draw;
        addHits(raw, draw.demand);
        draw.weight = likelihoodRatio(raw);
        return draw;
    }

private:
    void addHits(std::array<double, kResourceCount>& raw,
                 std::array<double, kResourceCount>& demand) {
        for (const auto g : groups_hit_) {
            group_on_[g] = 1;
        }
        for (const auto g : groups_hit_) {
            for (std::size_t r = 0; r < kResourceCount; ++r) {
                raw[r] += problem_.group_delta[r][g];
                demand[r] += problem_.group_delta[r][g];
            }
        }
        for (const auto i : own_hit_) {
            const int g = problem_.base().members[i].group;
            const bool covered = g >= 0 && group_on_[static_cast<std::size_t>(g)];
            for (std::size_t r = 0; r < kResourceCount; ++r) {
                const double delta = problem_.delta(r, i);
                raw[r] += delta;
                if (!covered) {
                    demand[r] += delta;
                }
            }
        }
        for (const auto g : groups_hit_) {
            group_on_[g] = 0;
        }
    }

    // p(x) / Σ_c w_c q_c(x), with q_c/p = exp(θ_c W_c − Λ_c).
    double likelihoodRatio(const std::array<double, kResourceCount>& raw) const {
        double log_terms[3];
        for (std::size_t c = 0; c < 3; ++c) {
            const double w_stat = c == 0 ? 0.0 : raw[c - 1];
            log_terms[c] =
                std::log(kWeights[c]) + proposals_[c].theta * w_stat - proposals_[c].cumulant;
        }
        const double top = std::max({log_terms[0], log_terms[1], log_terms[2]});
        return std::exp(-top) / (std::exp(log_terms[0] - top) + std::exp(log_terms[1] - top) +
                                 std::exp(log_terms[2] - top));
    }

    static constexpr std::array<double, 3> kWeights{0.1, 0.45, 0.45};

    const SamplingProblem& problem_;
    std::vector<Proposal> proposals_;
    std::vector<SparseBernoulliSampler> own_samplers_;
    std::vector<SparseBernoulliSampler> group_samplers_;
    Uniform uniform_;
    std::vector<char> group_on_;
    std::vector<std::size_t> groups_hit_;
    std::vector<std::size_t> own_hit_;
};

// The weighted overflow counts, and the estimate with 95% intervals they give.
class OverflowTally {
public:
    void add(const Draw& draw, const std::array<std::int64_t, kResourceCount>& budgets) {
        bool any = false;
        for (std::size_t r = 0; r < kResourceCount; ++r) {
            const double excess = draw.demand[r] - static_cast<double>(budgets[r]);
            if (excess > 0) {
                any = true;
                sum_[r] += draw.weight;
                sum_squares_[r] += draw.weight * draw.weight;
                shortfall_[r] += draw.weight * excess;
            }
        }
        if (any) {
            any_sum_ += draw.weight;
            any_squares_ += draw.weight * draw.weight;
        }
    }

    MonteCarloEstimate estimate(std::int64_t samples) const {
        MonteCarloEstimate estimate;
        estimate.samples = samples;
        const auto count = static_cast<double>(std::max<std::int64_t>(samples, 1));
        for (std::size_t r = 0; r < kResourceCount; ++r) {
            estimate.risk[r] = std::clamp(sum_[r] / count, 0.0, 1.0);
            estimate.risk_half_width[r] = halfWidth(sum_[r], sum_squares_[r], count);
            estimate.shortfall[r] = shortfall_[r] / count;
        }
        estimate.risk_any = std::clamp(any_sum_ / count, 0.0, 1.0);
        estimate.risk_any_half_width = halfWidth(any_sum_, any_squares_, count);
        return estimate;
    }

private:
    static double halfWidth(double total, double squares, double count) {
        const double mean = total / count;
        const double variance = std::max(0.0, squares / count - mean * mean);
        return 1.96 * std::sqrt(variance / count);
    }

    std::array<double, kResourceCount> sum_{};
    std::array<double, kResourceCount> sum_squares_{};
    std::array<double, kResourceCount> shortfall_{};
    double any_sum_ = 0;
    double any_squares_ = 0;
};

}  // namespace

MonteCarloEstimate estimateByMonteCarlo(
    const std::array<const ResourceModel*, kResourceCount>& models,
    const std::array<std::int64_t, kResourceCount>& capacities, std::int64_t samples,
    std::uint64_t seed) {
    const SamplingProblem problem = describeProblem(models, capacities);
    MixtureSampler sampler(problem, seed);
    OverflowTally tally;
    for (std::int64_t s = 0; s < samples; ++s) {
        tally.add(sampler.draw(), problem.budgets);
    }
    return tally.estimate(samples);
}

JointRisk jointOverflowRisk(const std::array<const ResourceModel*, kResourceCount>& models,
                            const std::array<std::int64_t, kResourceCount>& capacities,
                            const std::array<double, kResourceCount>& risk_lower,
                            const std::array<double, kResourceCount>& risk_upper,
                            const JointRiskOptions& options, const MonteCarloEstimate* estimate) {
    const double lower_bound = std::max(risk_lower[0], risk_lower[1]);
    const double upper_bound = std::min(1.0, risk_upper[0] + risk_upper[1]);
    JointRisk joint;
    std::array<std::int64_t, 2> budgets{};
    std::array<std::int64_t, 2> units{};
    bool any_negative = false;
    for (std::size_t r = 0; r < kResourceCount; ++r) {
        budgets[r] = capacities[r] - models[r]->standbyTotal();
        units[r] = commonUnit(*models[r]);
        any_negative = any_negative || budgets[r] < 0;
    }
    if (any_negative) {
        joint = {1.0, "exact", 1.0, 1.0, 0};
        return joint;
    }
    if (!jointRiskNeedsSampling(models, capacities, options)) {
        std::array<std::int64_t, 2> clipped{};
        for (std::size_t r = 0; r < kResourceCount; ++r) {
            clipped[r] = std::min(budgets[r], models[r]->deltaTotal());
        }
        const double value = exactJointRisk(*models[0], *models[1], units, clipped);
        joint = {std::clamp(value, lower_bound, upper_bound), "exact", 0, 0, 0};
        joint.lower = joint.value;
        joint.upper = joint.value;
        return joint;
    }
    const MonteCarloEstimate sampled =
        estimate ? *estimate
                 : estimateByMonteCarlo(models, capacities, options.samples, options.seed);
    joint.method = "montecarlo";
    joint.samples = sampled.samples;
    joint.lower =
        std::clamp(sampled.risk_any - sampled.risk_any_half_width, lower_bound, upper_bound);
    joint.upper =
        std::clamp(sampled.risk_any + sampled.risk_any_half_width, lower_bound, upper_bound);
    joint.value = std::clamp(sampled.risk_any, joint.lower, joint.upper);
    return joint;
}

bool jointRiskNeedsSampling(const std::array<const ResourceModel*, kResourceCount>& models,
                            const std::array<std::int64_t, kResourceCount>& capacities,
                            const JointRiskOptions& options) {
    if (options.force_montecarlo) {
        return true;
    }
    // Points beyond the total delta can never be reached: the box stops there.
    double work = static_cast<double>(std::max<std::size_t>(models[0]->members.size(), 1));
    for (std::size_t r = 0; r < kResourceCount; ++r) {
        const std::int64_t budget = capacities[r] - models[r]->standbyTotal();
        if (budget < 0) {
            return false;  // certain overflow: nothing to sample
        }
        const std::int64_t reach = std::min(budget, models[r]->deltaTotal());
        work *= static_cast<double>(reach / commonUnit(*models[r]) + 1);
    }
    return work > static_cast<double>(options.max_exact_work);
}

}  // namespace understudy::sizing
