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
    // E[max(0, unit·K − budget)] for budget ≥ 0, from the resolved points and the folded tail.
    double expectedExcessOver(std::int64_t unit, std::int64_t budget) const;

private:
    std::int64_t limit_;
    std::int64_t support_ = 0;
    std::vector<double> mass_;
    double beyond_ = 0;
    double beyond_excess_ = 0;
};

// P(K > j) for j in [0, size), and an upper bound (the last entry, or the folded tail) above.
// The per-cluster analysis works on tails directly: removing one cluster from the fleet's
// tails is one vectorizable pass, and every figure it needs is then a lookup.
struct TailTable {
    std::vector<double> tail;
    double above = 0;  // what lookups past the table answer

    static TailTable of(const TruncatedDistribution& distribution);
    double operator()(std::int64_t j) const {
        if (j < 0) {
            return 1.0;
        }
        return static_cast<std::size_t>(j) < tail.size() ? tail[static_cast<std::size_t>(j)]
                                                         : above;
    }
    // P(K' > j) where K = K' + d·X, X ~ Bernoulli(p) independent of K': unrolling
    // (1 − p)·T'(j) = T(j) − p·T'(j − d) gives the alternating series
    // T'(j) = Σ_k (−a)^k T(j − kd) / (1 − p) + (−a)^(K+1), a = p / (1 − p), K = ⌊j/d⌋,
    // whose terms shrink by a per step: a few terms give full precision for the small p of
    // failover probabilities, so a cluster's figures cost O(1) lookups, not a deconvolution.
    // Only for p < 1/2 (callers rebuild the distribution otherwise).
    double tailWithout(double p, std::int64_t d, std::int64_t j) const;
    // The smallest j in [lo, hi] with P(K > j) ≤ epsilon (hi when none is).
    std::int64_t smallestIndexWithTailAtMost(double epsilon, std::int64_t lo,
                                             std::int64_t hi) const;
};

}  // namespace understudy::sizing
