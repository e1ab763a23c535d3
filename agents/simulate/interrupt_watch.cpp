#include "agents/simulate/interrupt_watch.h"

#include <sys/socket.h>
#include <unistd.h>

namespace understudy::simulate {

namespace {

// Where the signal handler writes a byte (the self-pipe trick): only async-signal-safe work in
// the handler, the rest on the event loop.
int g_interrupt_fd = -1;

extern "C" void onInterrupt(int) {
    const char byte = 1;
    [[maybe_unused]] const ssize_t written = ::write(g_interrupt_fd, &byte, 1);
}

}  // namespace

InterruptWatch::InterruptWatch(std::function<void()> on_interrupt) {
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds_) != 0) {
        return;
    }
    g_interrupt_fd = fds_[0];
    notifier_ = std::make_unique<QSocketNotifier>(fds_[1], QSocketNotifier::Read);
    QObject::connect(notifier_.get(), &QSocketNotifier::activated, notifier_.get(),
                     [this, on_interrupt = std::move(on_interrupt)] {
                         char byte = 0;
                         [[maybe_unused]] const ssize_t got = ::read(fds_[1], &byte, 1);
                         on_interrupt();
                     });
    struct sigaction action {};
    action.sa_handler = onInterrupt;
    sigemptyset(&action.sa_mask);
    action.sa_flags = static_cast<int>(SA_RESETHAND);
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
    installed_ = true;
}

InterruptWatch::~InterruptWatch() {
    if (!installed_) {
        return;
    }
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
    notifier_.reset();
    g_interrupt_fd = -1;
    ::close(fds_[0]);
    ::close(fds_[1]);
}

}  // namespace understudy::simulate
