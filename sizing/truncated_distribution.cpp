#include "sizing/truncated_distribution.h"

#include <algorithm>
#include <cassert>

namespace understudy::sizing {

TruncatedDistribution::TruncatedDistribution(std::int64_t limit)
    : limit_(std::max<std::int64_t>(limit, 0)), mass_(static_cast<std::size_t>(limit_) + 1, 0.0) {
    mass_[0] = 1.0;
}

// The convolution kernels are most of the engine's time: cloned for AVX2 where the CPU has it
// (4 doubles a step instead of 2). Without FMA contraction both clones perform the same IEEE
// operations in the same order, so the results stay identical bit for bit.
// Clang 14 takes target_clones only on a function's first declaration (the header); clang builds
// only the fuzzers, where the kernels' speed does not matter.
#if defined(__clang__)
#define UNDERSTUDY_VECTOR_KERNEL
#else
#define UNDERSTUDY_VECTOR_KERNEL __attribute__((target_clones("avx2", "default")))
#endif

UNDERSTUDY_VECTOR_KERNEL void TruncatedDistribution::addBernoulli(double p, std::int64_t d) {
    if (p <= 0.0 || d <= 0) {
        return;
    }
    const double q = 1.0 - p;
    double* m = mass_.data();
    const std::int64_t old_support = support_;
    // Mass already folded above the limit moves further up by d; mass near the top crosses it.
    beyond_excess_ += p * static_cast<double>(d) * beyond_;
    for (std::int64_t k = std::max<std::int64_t>(limit_ - d + 1, 0); k <= old_support; ++k) {
        const double crossing = p * m[k];
        beyond_ += crossing;
        beyond_excess_ += crossing * static_cast<double>(k + d - limit_);
    }
    const std::int64_t new_support = std::min(limit_, old_support + d);
    // Top-down in place, so m[k − d] is still the old value when m[k] is written. Blocks of at
    // most d points read only the block below them: no overlap, so each block vectorizes.
    for (std::int64_t end = new_support + 1; end > d;) {
        const std::int64_t start = std::max(d, end - d);
        double* __restrict block = m + start;
        const double* __restrict below = m + start - d;
        for (std::int64_t j = 0; j < end - start; ++j) {
            block[j] = q * block[j] + p * below[j];
        }
        end = start;
    }
    for (std::int64_t k = std::min(d - 1, new_support); k >= 0; --k) {
        m[k] *= q;
    }
    support_ = new_support;
}

UNDERSTUDY_VECTOR_KERNEL void TruncatedDistribution::mixWith(const TruncatedDistribution& other,
                                                             double w) {
    assert(other.limit_ == limit_);
    const double keep = 1.0 - w;
    const std::int64_t top = std::max(support_, other.support_);
    for (std::int64_t k = 0; k <= top; ++k) {
        const auto i = static_cast<std::size_t>(k);
        mass_[i] = keep * mass_[i] + w * other.mass_[i];
    }
    beyond_ = keep * beyond_ + w * other.beyond_;
    beyond_excess_ = keep * beyond_excess_ + w * other.beyond_excess_;
    support_ = top;
}

double TruncatedDistribution::expectedExcessOver(std::int64_t unit, std::int64_t budget) const {
    const auto u = static_cast<double>(unit);
    const auto b = static_cast<double>(budget);
    const std::int64_t first = budget / unit + 1;  // smallest k with unit·k > budget
    double shortfall = 0;
    for (std::int64_t k = std::max<std::int64_t>(first, 0); k <= std::min(support_, limit_); ++k) {
        shortfall += (u * static_cast<double>(k) - b) * mass_[static_cast<std::size_t>(k)];
    }
    if (first <= limit_ + 1) {
        shortfall += u * beyond_excess_ + (u * static_cast<double>(limit_) - b) * beyond_;
    }
    return std::max(0.0, shortfall);
}

}  // namespace understudy::sizing

namespace understudy::sizing {

TailTable TailTable::of(const TruncatedDistribution& distribution) {
    TailTable table;
    table.tail.resize(static_cast<std::size_t>(distribution.limit()) + 1);
    table.above = std::clamp(distribution.beyond(), 0.0, 1.0);
    double above = distribution.beyond();
    const auto& mass = distribution.mass();
    for (std::size_t j = table.tail.size(); j-- > 0;) {
        table.tail[j] = std::clamp(above, 0.0, 1.0);
        above += mass[j];
    }
    return table;
}

double TailTable::tailWithout(double p, std::int64_t d, std::int64_t j) const {
    assert(p < 0.5);
    if (j < 0) {
        return 1.0;
    }
    if (p <= 0.0 || d <= 0) {
        return (*this)(j);
    }
    const double a = p / (1.0 - p);
    const double remainder_factor = 1.0 / (1.0 - a);
    double sum = 0;
    double power = 1;  // a^k
    double sign = 1;
    for (std::int64_t index = j; index >= 0; index -= d) {
        sum += sign * power * (*this)(index);
        power *= a;
        sign = -sign;
        // What the remaining terms can add is below a^k / (1 − a) (each tail is at most 1).
        if (power * remainder_factor <= 1e-18 * std::abs(sum) || power == 0.0) {
            return std::clamp(sum / (1.0 - p), 0.0, 1.0);
        }
    }
    // The series reached below zero, where T' = 1: add the closing term exactly.
    return std::clamp(sum / (1.0 - p) + sign * power, 0.0, 1.0);
}

std::int64_t TailTable::smallestIndexWithTailAtMost(double epsilon, std::int64_t lo,
                                                    std::int64_t hi) const {
    lo = std::max<std::int64_t>(lo, 0);
    while (lo < hi) {
        const std::int64_t mid = lo + (hi - lo) / 2;
        if ((*this)(mid) <= epsilon) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return hi;
}

}  // namespace understudy::sizing
