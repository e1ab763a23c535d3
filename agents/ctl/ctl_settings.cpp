#include "agents/ctl/ctl_settings.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QMap>
#include <QTextStream>
#include <cmath>

namespace understudy::agents {

namespace {

struct ConfigValue {
    QString value;
    QString where;  // "<path>:<line>"
};

using ConfigValues = QMap<QString, ConfigValue>;

Error usage(QString message, QString where = {}) {
    return Error{"invalid_input", message.toStdString(), where.toStdString()};
}

Result<ConfigValues> readConfig(const QString& path) {
    ConfigValues values;
    QFile file(path);
    if (!file.exists()) {
        return values;
    }
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) {
        return usage(QStringLiteral("cannot read the file: %1; fix its permissions or remove it")
                         .arg(file.errorString()),
                     path);
    }
    static const QStringList kKeys = {QStringLiteral("url"), QStringLiteral("token_file"),
                                      QStringLiteral("timeout"), QStringLiteral("ca_file"),
                                      QStringLiteral("insecure")};
    QTextStream in(&file);
    int line_number = 0;
    while (!in.atEnd()) {
        const QString line = in.readLine().trimmed();
        ++line_number;
        const QString where = QStringLiteral("%1:%2").arg(path).arg(line_number);
        if (line.isEmpty() || line.startsWith(QLatin1Char('#')) ||
            line.startsWith(QLatin1Char(';'))) {
            continue;
        }
        const qsizetype equals = line.indexOf(QLatin1Char('='));
        if (equals < 0) {
            return usage(QStringLiteral("\"%1\" is not a \"key = value\" line; write it as one "
                                        "or start it with '#' to make it a comment")
                             .arg(line),
                         where);
        }
        const QString key = line.left(equals).trimmed();
        if (!kKeys.contains(key)) {
            return usage(QStringLiteral("unknown key \"%1\"; the keys are %2")
                             .arg(key, kKeys.join(QStringLiteral(", "))),
                         where);
        }
        if (values.contains(key)) {
            return usage(QStringLiteral("\"%1\" is given twice (first at %2); keep one")
                             .arg(key, values[key].where),
                         where);
        }
        values.insert(key, ConfigValue{line.mid(equals + 1).trimmed(), where});
    }
    return values;
}

QString configRelative(const QString& value, const QString& config_path, const QString& home) {
    if (value.startsWith(QStringLiteral("~/"))) {
        return home + value.mid(1);
    }
    if (QDir::isAbsolutePath(value)) {
        return value;
    }
    return QFileInfo(config_path).absoluteDir().filePath(value);
}

Result<QByteArray> readToken(const QString& path, const QString& from) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return usage(QStringLiteral("cannot read the token file %1 (from %2): %3; check the path "
                                    "and that you may read it")
                         .arg(path, from, file.errorString()));
    }
    const QByteArray token = file.readLine(64 * 1024).trimmed();
    if (token.isEmpty()) {
        return usage(QStringLiteral("the token file %1 (from %2) is empty; put the token on its "
                                    "first line")
                         .arg(path, from));
    }
    return token;
}

Result<QUrl> parseUrl(const QString& text, const QString& from) {
    const QUrl url(text, QUrl::StrictMode);
    if (!url.isValid() || url.host().isEmpty() ||
        (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https"))) {
        return usage(QStringLiteral("the service URL \"%1\" (from %2) is not an http:// or "
                                    "https:// URL with a host; give one like %3")
                         .arg(text, from, QLatin1String(client::kDefaultUrl)));
    }
    return url;
}

// ctl.conf, read the first time a value is still missing after the options and the
// environment.
class LazyConfig {
public:
    LazyConfig(QString path, QString home) : path_(std::move(path)), home_(std::move(home)) {}

    Result<std::optional<ConfigValue>> value(const QString& key) {
        if (!values_) {
            auto read = readConfig(path_);
            if (!read) {
                return read.error();
            }
            values_ = std::move(read).value();
        }
        if (!values_->contains(key)) {
            return std::optional<ConfigValue>();
        }
        return std::optional<ConfigValue>((*values_)[key]);
    }

    // A file the config names, relative to its folder.
    QString path(const QString& value) const { return configRelative(value, path_, home_); }

private:
    QString path_;
    QString home_;
    std::optional<ConfigValues> values_;
};

// --url, then UNDERSTUDY_URL, then the config, then the default.
Status resolveUrl(const GlobalOptions& options, const QProcessEnvironment& environment,
                  LazyConfig& config, CtlSettings& settings) {
    QString url_text;
    if (options.url) {
        url_text = *options.url;
        settings.url_source = QStringLiteral("--url");
    } else if (environment.contains(QStringLiteral("UNDERSTUDY_URL")) &&
               !environment.value(QStringLiteral("UNDERSTUDY_URL")).isEmpty()) {
        url_text = environment.value(QStringLiteral("UNDERSTUDY_URL"));
        settings.url_source = QStringLiteral("UNDERSTUDY_URL");
    } else {
        auto configured = config.value(QStringLiteral("url"));
        if (!configured) {
            return configured.error();
        }
        if (*configured) {
            url_text = (*configured)->value;
            settings.url_source = (*configured)->where;
        } else {
            url_text = QString::fromLatin1(client::kDefaultUrl);
            settings.url_source = QStringLiteral("default");
        }
    }
    auto url = parseUrl(url_text, settings.url_source);
    if (!url) {
        return url.error();
    }
    settings.url = *url;
    return Done{};
}

// --token-file, then UNDERSTUDY_TOKEN, then the config's token_file; else none.
Status resolveToken(const GlobalOptions& options, const QProcessEnvironment& environment,
                    LazyConfig& config, CtlSettings& settings) {
    if (options.token_file) {
        auto token = readToken(*options.token_file, QStringLiteral("--token-file"));
        if (!token) {
            return token.error();
        }
        settings.token = *token;
        settings.token_source = QStringLiteral("--token-file");
    } else if (!environment.value(QStringLiteral("UNDERSTUDY_TOKEN")).trimmed().isEmpty()) {
        settings.token = environment.value(QStringLiteral("UNDERSTUDY_TOKEN")).trimmed().toUtf8();
        settings.token_source = QStringLiteral("UNDERSTUDY_TOKEN");
    } else {
        auto configured = config.value(QStringLiteral("token_file"));
        if (!configured) {
            return configured.error();
        }
        if (*configured) {
            auto token = readToken(config.path((*configured)->value), (*configured)->where);
            if (!token) {
                return token.error();
            }
            settings.token = *token;
            settings.token_source = (*configured)->where;
        }
    }
    return Done{};
}

// --timeout, then the config, then the default.
Status resolveTimeout(const GlobalOptions& options, const QProcessEnvironment&, LazyConfig& config,
                      CtlSettings& settings) {
    double timeout_s = kDefaultTimeoutS;
    if (options.timeout_s) {
        timeout_s = *options.timeout_s;
    } else {
        auto configured = config.value(QStringLiteral("timeout"));
        if (!configured) {
            return configured.error();
        }
        if (*configured) {
            auto seconds = parseSeconds((*configured)->value, (*configured)->where + ": timeout");
            if (!seconds) {
                return seconds.error();
            }
            timeout_s = *seconds;
        }
    }
    settings.timeout = std::chrono::milliseconds(std::llround(timeout_s * 1000.0));
    return Done{};
}

// --ca-file and --insecure, then (for an https URL only) the config.
Status resolveTls(const GlobalOptions& options, const QProcessEnvironment&, LazyConfig& config,
                  CtlSettings& settings) {
    const bool https = settings.url.scheme() == QLatin1String("https");
    if (options.ca_file) {
        settings.ca_file = *options.ca_file;
    } else if (https) {
        auto configured = config.value(QStringLiteral("ca_file"));
        if (!configured) {
            return configured.error();
        }
        if (*configured) {
            settings.ca_file = config.path((*configured)->value);
        }
    }
    settings.insecure = options.insecure;
    if (!options.insecure && https) {
        auto configured = config.value(QStringLiteral("insecure"));
        if (!configured) {
            return configured.error();
        }
        if (*configured) {
            const QString value = (*configured)->value.toLower();
            if (value != QLatin1String("true") && value != QLatin1String("false")) {
                return usage(QStringLiteral("insecure must be true or false, not \"%1\"")
                                 .arg((*configured)->value),
                             (*configured)->where);
            }
            settings.insecure = value == QLatin1String("true");
        }
    }
    return Done{};
}

}  // namespace

QString ctlConfigPath(const QString& home) {
    return home + QStringLiteral("/.config/understudy/ctl.conf");
}

client::ClientOptions clientOptions(const CtlSettings& settings) {
    client::ClientOptions options;
    options.base_url = settings.url;
    options.token = settings.token;
    options.timeout = settings.timeout;
    options.ca_file = settings.ca_file;
    options.insecure = settings.insecure;
    // Scripts and agents ride out a service that moves to another appliance (or restarts):
    // asked again until --timeout.
    options.retry_unreachable = true;
    return options;
}

Result<double> parseSeconds(const QString& text, const QString& what) {
    bool ok = false;
    const double value = text.toDouble(&ok);
    if (!ok || !std::isfinite(value) || value <= 0 || value > 86400) {
        return usage(QStringLiteral("%1 must be a number of seconds above 0 and at most 86400, "
                                    "not \"%2\"")
                         .arg(what, text));
    }
    return value;
}

Result<CtlSettings> resolveSettings(const GlobalOptions& options,
                                    const QProcessEnvironment& environment) {
    const QString home = environment.value(QStringLiteral("HOME"), QDir::homePath());
    LazyConfig config(ctlConfigPath(home), home);
    CtlSettings settings;
    for (const auto& step : {resolveUrl, resolveToken, resolveTimeout, resolveTls}) {
        if (auto status = step(options, environment, config, settings); !status) {
            return status.error();
        }
    }
    return settings;
}

}  // namespace understudy::agents
