// While an InterruptWatch lives, SIGINT and SIGTERM end a run against a service cleanly (every
// node released) instead of leaving grants behind; a second signal has its default effect.
#pragma once

#include <QSocketNotifier>
#include <csignal>
#include <functional>
#include <memory>

namespace understudy::simulate {

class InterruptWatch {
public:
    // `on_interrupt` runs on the event loop, not in the signal handler.
    explicit InterruptWatch(std::function<void()> on_interrupt);
    ~InterruptWatch();
    InterruptWatch(const InterruptWatch&) = delete;
    InterruptWatch& operator=(const InterruptWatch&) = delete;

private:
    int fds_[2] = {-1, -1};
    bool installed_ = false;
    std::unique_ptr<QSocketNotifier> notifier_;
    struct sigaction old_int_ {};
    struct sigaction old_term_ {};
};

}  // namespace understudy::simulate
