#include "agents/simulate/simulate_options.h"

#include <cmath>
#include <set>

namespace understudy::simulate {

namespace {

constexpr double kMaxHours = 1e12;
constexpr double kMaxWallS = 1e6;
constexpr double kMaxTimeScale = 1e12;
constexpr int kMaxBatches = 100000;
constexpr int kMaxConcurrency = 256;

// A number option's value: finite, within [low, high], and above `low` when `open_low`.
std::optional<double> number(const QString& text, double low, double high, bool open_low) {
    bool ok = false;
    const double value = text.toDouble(&ok);
    if (!ok || !std::isfinite(value) || value > high || value < low || (open_low && value <= low)) {
        return std::nullopt;
    }
    return value;
}

bool isFlag(const QString& name) {
    static const std::set<QString> kFlags = {
        QStringLiteral("--model-only"), QStringLiteral("--register"), QStringLiteral("--json"),
        QStringLiteral("--quiet"),      QStringLiteral("--insecure"), QStringLiteral("--help")};
    return kFlags.count(name) != 0;
}

void setFlag(const QString& name, Options& options) {
    if (name == QStringLiteral("--model-only")) {
        options.model_only = true;
    } else if (name == QStringLiteral("--register")) {
        options.do_register = true;
    } else if (name == QStringLiteral("--json")) {
        options.global.json = true;
    } else if (name == QStringLiteral("--quiet")) {
        options.quiet = true;
    } else if (name == QStringLiteral("--insecure")) {
        options.global.insecure = true;
    } else {
        options.global.help = true;
    }
}

std::optional<UsageError> setValue(const QString& name, const QString& value, Options& options) {
    auto bad = [&](const QString& expected) {
        return UsageError{QStringLiteral("%1 '%2' is not %3").arg(name, value, expected)};
    };
    if (name == QStringLiteral("--groups")) {
        options.groups_file = value;
    } else if (name == QStringLiteral("--hours")) {
        options.hours = number(value, 0, kMaxHours, true);
        if (!options.hours) {
            return bad(QStringLiteral("a number of hours above 0 (at most 1e12)"));
        }
    } else if (name == QStringLiteral("--wall")) {
        options.wall_s = number(value, 0, kMaxWallS, true);
        if (!options.wall_s) {
            return bad(QStringLiteral("a number of seconds above 0 (at most 1e6)"));
        }
    } else if (name == QStringLiteral("--time-scale")) {
        const auto scale = number(value, 0, kMaxTimeScale, true);
        if (!scale) {
            return bad(QStringLiteral("a factor above 0 (simulated seconds per second)"));
        }
        options.time_scale = *scale;
    } else if (name == QStringLiteral("--seed")) {
        bool ok = false;
        options.seed = value.toULongLong(&ok);
        if (!ok) {
            return bad(QStringLiteral("a whole number from 0 to 2^64 − 1"));
        }
    } else if (name == QStringLiteral("--batches")) {
        bool ok = false;
        options.batches = value.toInt(&ok);
        if (!ok || options.batches < 2 || options.batches > kMaxBatches) {
            return bad(QStringLiteral("a whole number from 2 to 100000"));
        }
    } else if (name == QStringLiteral("--concurrency")) {
        bool ok = false;
        options.concurrency = value.toInt(&ok);
        if (!ok || options.concurrency < 1 || options.concurrency > kMaxConcurrency) {
            return bad(QStringLiteral("a whole number from 1 to 256"));
        }
    } else if (name == QStringLiteral("--wait")) {
        auto seconds = agents::parseSeconds(value, QStringLiteral("--wait"));
        if (!seconds) {
            return UsageError{QString::fromStdString(seconds.error().describe())};
        }
        options.wait_s = *seconds;
    } else if (name == QStringLiteral("--timeout")) {
        auto seconds = agents::parseSeconds(value, QStringLiteral("--timeout"));
        if (!seconds) {
            return UsageError{QString::fromStdString(seconds.error().describe())};
        }
        options.global.timeout_s = *seconds;
    } else if (name == QStringLiteral("--url")) {
        options.global.url = value;
    } else if (name == QStringLiteral("--token-file")) {
        options.global.token_file = value;
    } else if (name == QStringLiteral("--ca-file")) {
        options.global.ca_file = value;
    } else if (name == QStringLiteral("--ctl")) {
        options.ctl = value;
    } else {
        return UsageError{QStringLiteral("unknown option %1").arg(name)};
    }
    return std::nullopt;
}

// What the options must say together: one fleet file, and an end of the run; none of the
// service's options with --model-only.
std::optional<UsageError> checkTogether(const QStringList& positional, Options& options) {
    if (positional.size() != 1) {
        return UsageError{positional.isEmpty()
                              ? QStringLiteral("no fleet file given")
                              : QStringLiteral("one fleet file expected, got %1: %2")
                                    .arg(positional.size())
                                    .arg(positional.join(QStringLiteral(" ")))};
    }
    options.fleet_file = positional.front();
    if (options.model_only) {
        if (!options.hours) {
            return UsageError{QStringLiteral("--model-only needs --hours H (simulated hours)")};
        }
        for (const auto& [given, what] :
             {std::pair{options.wall_s.has_value(), "--wall"},
              std::pair{options.do_register, "--register"},
              std::pair{options.global.url.has_value(), "--url"},
              std::pair{options.global.token_file.has_value(), "--token-file"},
              std::pair{options.ctl.has_value(), "--ctl"}}) {
            if (given) {
                return UsageError{QStringLiteral("%1 needs a service; --model-only runs without "
                                                 "one")
                                      .arg(QString::fromLatin1(what))};
            }
        }
    } else if (!options.hours && !options.wall_s) {
        return UsageError{
            QStringLiteral("a run against a service needs an end: --wall S (wall "
                           "seconds) or --hours H (simulated hours)")};
    }
    return std::nullopt;
}

}  // namespace

std::optional<UsageError> parseOptions(const QStringList& args, Options& options) {
    QStringList positional;
    for (qsizetype i = 0; i < args.size(); ++i) {
        const QString& arg = args[i];
        if (!arg.startsWith(QStringLiteral("--")) || arg == QStringLiteral("--")) {
            if (arg == QStringLiteral("--")) {
                positional += args.mid(i + 1);
                break;
            }
            positional.append(arg);
            continue;
        }
        QString name = arg;
        std::optional<QString> inline_value;
        if (const qsizetype eq = arg.indexOf(u'='); eq > 0) {
            name = arg.left(eq);
            inline_value = arg.mid(eq + 1);
        }
        if (isFlag(name)) {
            if (inline_value) {
                return UsageError{QStringLiteral("%1 takes no value").arg(name)};
            }
            setFlag(name, options);
            continue;
        }
        QString value;
        if (inline_value) {
            value = *inline_value;
        } else if (i + 1 < args.size()) {
            value = args[++i];
        } else {
            return UsageError{QStringLiteral("%1 needs a value").arg(name)};
        }
        if (auto error = setValue(name, value, options)) {
            return error;
        }
    }
    if (options.global.help) {
        return std::nullopt;
    }
    return checkTogether(positional, options);
}

}  // namespace understudy::simulate
