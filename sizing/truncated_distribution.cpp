#include "sizing/truncated_distribution.h"

#include <algorithm>
#include <cassert>

namespace understudy::sizing {

TruncatedDistribution::TruncatedDistribution(std::int64_t limit)
    : limit_(std::max<std::int64_t>(limit, 0)), mass_(static_cast<std::size_t>(limit_) + 1, 0.0) {
    mass_[0] = 1.0;
}

void TruncatedDistribution::addBernoulli(double p, std::int64_t d) {
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

void TruncatedDistribution::mixWith(const TruncatedDistribution& other, double w) {
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

void TruncatedDistribution::removeBernoulliInto(double p, std::int64_t d,
                                                TruncatedDistribution& out) const {
    assert(out.limit_ == limit_);
    assert(p < 0.5);
    out.support_ = support_;
    out.beyond_excess_ = 0;  // not recoverable without cancellation; shortfall uses the full K
    if (p <= 0.0 || d <= 0) {
        std::copy(mass_.begin(), mass_.end(), out.mass_.begin());
        out.beyond_ = beyond_;
        out.beyond_excess_ = beyond_excess_;
        return;
    }
    const double q = 1.0 - p;
    const double inverse_q = 1.0 / q;
    const double* f = mass_.data();
    double* g = out.mass_.data();
    const std::int64_t first = std::min(d, support_ + 1);
    for (std::int64_t k = 0; k < first; ++k) {
        g[k] = f[k] * inverse_q;
    }
    // Blocks of d points depend only on the block before them, so each block's loop is free of
    // loop-carried dependencies (and vectorizes).
    for (std::int64_t start = d; start <= support_; start += d) {
        const std::int64_t end = std::min(start + d, support_ + 1);
        double* __restrict block = g + start;
        const double* __restrict previous = g + start - d;
        const double* __restrict full = f + start;
        for (std::int64_t j = 0; j < end - start; ++j) {
            block[j] = std::max(0.0, (full[j] - p * previous[j]) * inverse_q);
        }
    }
    std::fill(g + support_ + 1, g + limit_ + 1, 0.0);
    // f.beyond = g.beyond + p · Σ_{k > limit − d} g[k].
    double crossing = 0;
    for (std::int64_t k = std::max<std::int64_t>(limit_ - d + 1, 0); k <= support_; ++k) {
        crossing += g[k];
    }
    out.beyond_ = std::max(0.0, beyond_ - p * crossing);
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

TailView::TailView(const TruncatedDistribution& distribution) : distribution_(distribution) {
    const std::int64_t points = distribution.support_ + 1;
    const std::int64_t blocks = (points + kBlock - 1) / kBlock;
    suffix_.assign(static_cast<std::size_t>(blocks) + 1, 0.0);
    suffix_.back() = distribution.beyond_;
    const double* m = distribution.mass_.data();
    for (std::int64_t b = blocks - 1; b >= 0; --b) {
        const std::int64_t start = b * kBlock;
        const std::int64_t end = std::min(points, start + kBlock);
        double sum = 0;
        for (std::int64_t k = start; k < end; ++k) {
            sum += m[k];
        }
        suffix_[static_cast<std::size_t>(b)] = suffix_[static_cast<std::size_t>(b) + 1] + sum;
    }
}

double TailView::operator()(std::int64_t j) const {
    if (j < 0) {
        return 1.0;
    }
    if (j >= distribution_.support_) {
        return std::clamp(distribution_.beyond_, 0.0, 1.0);
    }
    const std::int64_t block = (j + 1) / kBlock;
    const std::int64_t block_end = std::min(distribution_.support_ + 1, (block + 1) * kBlock);
    double tail = suffix_[static_cast<std::size_t>(block) + 1];
    const double* m = distribution_.mass_.data();
    for (std::int64_t k = j + 1; k < block_end; ++k) {
        tail += m[k];
    }
    return std::clamp(tail, 0.0, 1.0);
}

std::int64_t TailView::smallestIndexWithTailAtMost(double epsilon) const {
    if (distribution_.beyond_ > epsilon) {
        return distribution_.limit_ + 1;
    }
    // suffix_[b] = P(K > b·kBlock − 1). The lowest b ≥ 1 with suffix_[b] ≤ ε puts the answer
    // in block b − 1; the last entry is the folded tail, which meets ε here.
    std::size_t b = suffix_.size() - 1;
    while (b > 1 && suffix_[b - 1] <= epsilon) {
        --b;
    }
    const std::int64_t block_last = static_cast<std::int64_t>(b) * kBlock - 1;
    std::int64_t j = std::min(block_last, distribution_.support_);
    double tail = block_last < distribution_.support_ ? suffix_[b] : distribution_.beyond_;
    const double* m = distribution_.mass_.data();
    // tail = P(K > j); step down while P(K > j − 1) = tail + m[j] still meets ε.
    while (j > 0 && tail + m[j] <= epsilon) {
        tail += m[j];
        --j;
    }
    return j;
}

}  // namespace understudy::sizing
