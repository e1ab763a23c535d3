// understudyctl's global options and where its service URL and token come from (understudyctl(1)):
// --url, then UNDERSTUDY_URL, then `url` in ~/.config/understudy/ctl.conf, then
// http://127.0.0.1:8470; the token from --token-file, then UNDERSTUDY_TOKEN, then `token_file` in
// that config.
//
// Decisions where the contract is silent:
// - ctl.conf is `key = value` lines; blank lines and lines starting with '#' or ';' are
//   skipped. Keys: url, token_file, timeout (seconds), ca_file, insecure (true/false). An
//   unknown key or a line without '=' is an error naming file and line, like understudyd's
//   config, so a typo does not silently send requests elsewhere. The file is read only when
//   a value is still missing after the options and the environment.
// - A relative token_file or ca_file in ctl.conf is relative to the folder of ctl.conf; '~/'
//   is the home folder.
// - A token file holds the token on its first line; surrounding blanks are dropped. An empty
//   or unreadable token file is an error (exit 2), not an anonymous request.
// - --ca-file FILE and --insecure are global options too, for services on HTTPS.
#pragma once

#include <QByteArray>
#include <QProcessEnvironment>
#include <QString>
#include <QUrl>
#include <chrono>
#include <optional>

#include "appliance/client/api_client.h"
#include "base/result.h"

namespace understudy::agents {

struct GlobalOptions {
    std::optional<QString> url;
    std::optional<QString> token_file;
    std::optional<double> timeout_s;
    std::optional<QString> ca_file;
    bool insecure = false;
    bool json = false;
    bool help = false;
};

struct CtlSettings {
    QUrl url;
    QString url_source;  // "--url", "UNDERSTUDY_URL", "<path>:<line>" or "default"
    QByteArray token;    // empty: none found
    QString token_source;
    std::chrono::milliseconds timeout{30000};
    QString ca_file;
    bool insecure = false;
};

inline constexpr double kDefaultTimeoutS = 30.0;

// The config file's path for a home folder.
QString ctlConfigPath(const QString& home);

// `environment` supplies HOME, UNDERSTUDY_URL and UNDERSTUDY_TOKEN (the process's own in
// understudyctl; a made-up one in tests).
Result<CtlSettings> resolveSettings(const GlobalOptions& options,
                                    const QProcessEnvironment& environment);

// The API client's options for these settings.
client::ClientOptions clientOptions(const CtlSettings& settings);

// "12", "0.5": seconds above 0, at most a day.
Result<double> parseSeconds(const QString& text, const QString& what);

}  // namespace understudy::agents
