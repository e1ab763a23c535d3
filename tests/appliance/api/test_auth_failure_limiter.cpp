// The limit of failed authentications per source address (appliance/api/auth_failure_limiter.h)
// on a clock the test moves: when a block starts and ends, what it answers meanwhile, that other
// addresses are unaffected and that the memory of addresses stays bounded.
#include <QTest>

#include "appliance/api/auth_failure_limiter.h"

using namespace understudy::api;
using namespace std::chrono_literals;

namespace {

const QHostAddress kGuesser(QStringLiteral("192.0.2.7"));
const QHostAddress kNeighbour(QStringLiteral("192.0.2.8"));

struct FakeClock {
    AuthFailureLimiter::Clock::time_point now{};
    std::function<AuthFailureLimiter::Clock::time_point()> function() {
        return [this] { return now; };
    }
};

}  // namespace

class TestAuthFailureLimiter : public QObject {
    Q_OBJECT

private slots:
    void twentyFailuresWithinTenSecondsRefuseTheAddressForTenSeconds() {
        FakeClock clock;
        AuthFailureLimiter limiter({}, clock.function());
        for (int i = 1; i < 20; ++i) {
            QVERIFY(!limiter.recordFailure(kGuesser));
            QVERIFY(!limiter.refusedFor(kGuesser));
            clock.now += 100ms;
        }
        QVERIFY(limiter.recordFailure(kGuesser));
        QCOMPARE(limiter.refusedFor(kGuesser), std::optional<int>(10));
        QVERIFY(!limiter.refusedFor(kNeighbour));
        // Failures during the block neither extend it nor start another log line.
        clock.now += 4500ms;
        QVERIFY(!limiter.recordFailure(kGuesser));
        QCOMPARE(limiter.refusedFor(kGuesser), std::optional<int>(6));
        clock.now += 5499ms;
        QCOMPARE(limiter.refusedFor(kGuesser), std::optional<int>(1));
        clock.now += 1ms;
        QVERIFY(!limiter.refusedFor(kGuesser));
        QCOMPARE(limiter.failures(), std::uint64_t{21});
        QCOMPARE(limiter.refusals(), std::uint64_t{3});
        // After the block the count starts again from nothing.
        QVERIFY(!limiter.recordFailure(kGuesser));
        QVERIFY(!limiter.refusedFor(kGuesser));
    }

    void twentyFailuresSpreadOverMoreThanTenSecondsAreNoBurst() {
        FakeClock clock;
        AuthFailureLimiter limiter({}, clock.function());
        for (int i = 0; i < 60; ++i) {
            QVERIFY(!limiter.recordFailure(kGuesser));
            QVERIFY(!limiter.refusedFor(kGuesser));
            clock.now += 527ms;
        }
    }

    void anIpv4MappedAddressIsTheSameAddress() {
        FakeClock clock;
        AuthFailureLimiter limiter({}, clock.function());
        const QHostAddress mapped(QStringLiteral("::ffff:192.0.2.7"));
        for (int i = 0; i < 19; ++i) {
            limiter.recordFailure(i % 2 == 0 ? kGuesser : mapped);
        }
        QVERIFY(limiter.recordFailure(mapped));
        QVERIFY(limiter.refusedFor(kGuesser));
        QCOMPARE(limiter.addressCount(), std::size_t{1});
    }

    void addressesAreForgottenBeyondTheBound() {
        FakeClock clock;
        AuthFailureLimiter::Options options;
        options.max_addresses = 3;
        AuthFailureLimiter limiter(options, clock.function());
        for (int i = 0; i < 20; ++i) {
            limiter.recordFailure(kGuesser);
        }
        QVERIFY(limiter.refusedFor(kGuesser));
        for (int host = 1; host <= 50; ++host) {
            clock.now += 1ms;
            limiter.recordFailure(QHostAddress(QStringLiteral("198.51.100.%1").arg(host)));
            QVERIFY(limiter.addressCount() <= options.max_addresses);
        }
        // Stale addresses go first once the window has passed, before any live one.
        clock.now += 11s;
        limiter.recordFailure(kNeighbour);
        QCOMPARE(limiter.addressCount(), std::size_t{1});
    }
};

QTEST_GUILESS_MAIN(TestAuthFailureLimiter)
#include "test_auth_failure_limiter.moc"
