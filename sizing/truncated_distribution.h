// The distribution of a non-negative integer excess demand K (in units of the demands' common
// divisor), kept exactly on [0, limit] with everything above limit folded into one tail value.
// This is what keeps the exact engine at O(clusters × capacity units): mass above the largest
// capacity that can matter never needs to be resolved point by point.
#pragma once

#include <cstdint>
#include <vector>

namespace understudy::sizing {

class TruncatedDistribution {
public:
    // A point mass at K = 0 (no cluster failed over), resolved up to limit.
    explicit TruncatedDistribution(std::int64_t limit);

    std::int64_t limit() const { return limit_; }
    // Largest k ≤ limit that can carry mass; the arrays beyond it are zero.
    std::int64_t support() const { return support_; }
    double at(std::int64_t k) const { return mass_[static_cast<std::size_t>(k)]; }
    const std::vector<double>& mass() const { return mass_; }
    // P(K > limit).
    double beyond() const { return beyond_; }
    // E[(K − limit) · 1{K > limit}]: what the expected shortfall needs from the folded tail.
    double beyondExcess() const { return beyond_excess_; }

    // K ← K + d·X with X ~ Bernoulli(p) independent of K.
    void addBernoulli(double p, std::int64_t d);
    // K ← K + d with certainty.
    void shift(std::int64_t d) { addBernoulli(1.0, d); }
    // This ← (1 − w)·this + w·other, for the two branches of a common-cause group.
    void mixWith(const TruncatedDistribution& other, double w);
    // Writes into out the distribution of K' where K = K' + d·X, X ~ Bernoulli(p) independent
    // of K': the distribution without one cluster. Recurses upward in k, which damps rounding
    // errors by p / (1 − p) per step: only valid for p < 1/2 (callers recompute otherwise).
    void removeBernoulliInto(double p, std::int64_t d, TruncatedDistribution& out) const;

    // E[max(0, unit·K − budget)] for budget ≥ 0, from the resolved points and the folded tail.
    double expectedExcessOver(std::int64_t unit, std::int64_t budget) const;

private:
    friend class TailView;
    std::int64_t limit_;
    std::int64_t support_ = 0;
    std::vector<double> mass_;
    double beyond_ = 0;
    double beyond_excess_ = 0;
};

// Tail probabilities of one distribution, answered in O(block) each after one vectorizable
// pass of block sums: the per-cluster analysis asks a few tails of each of thousands of
// distributions, where a full suffix table (a serial chain of additions) would dominate.
class TailView {
public:
    explicit TailView(const TruncatedDistribution& distribution);
    // P(K > j): 1 below zero; above the limit, the folded tail (an upper bound, exact 0 when
    // the limit covers the whole support).
    double operator()(std::int64_t j) const;
    // The smallest j ≥ 0 with P(K > j) ≤ epsilon; limit + 1 when the folded tail is above it.
    std::int64_t smallestIndexWithTailAtMost(double epsilon) const;

private:
    static constexpr std::int64_t kBlock = 256;
    const TruncatedDistribution& distribution_;
    // suffix_[b] = P(K ≥ b·kBlock), the folded tail included; suffix_.back() = P(K > limit).
    std::vector<double> suffix_;
};

}  // namespace understudy::sizing
