#include "appliance/daemon/service_config.h"

#include <arpa/inet.h>

#include "appliance/daemon/config_text.h"

namespace understudy::daemon {

std::string ListenAddress::toString() const {
    const bool ipv6 = host.find(':') != std::string::npos;
    return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<ListenAddress> parseListenAddress(std::string_view text) {
    const auto fail = [&](const std::string& problem) {
        return Error{kConfigCode,
                     "must be ADDR:PORT (an IPv4 address, [IPv6] or localhost, and a port from 1 "
                     "to 65535) but " +
                         problem + ", got " + quotedValue(text),
                     ""};
    };
    std::string_view host;
    std::string_view port;
    if (!text.empty() && text.front() == '[') {
        const std::size_t close = text.find(']');
        if (close == text.npos || close + 1 >= text.size() || text[close + 1] != ':') {
            return fail("an IPv6 address needs its brackets and a port after them");
        }
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
        in6_addr address{};
        if (inet_pton(AF_INET6, std::string(host).c_str(), &address) != 1) {
            return fail("'" + std::string(host) + "' is not an IPv6 address");
        }
    } else {
        const std::size_t colon = text.rfind(':');
        if (colon == text.npos) {
            return fail("the port is missing");
        }
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (host.find(':') != host.npos) {
            return fail("an IPv6 address must be in brackets");
        }
        in_addr address{};
        if (host != "localhost" && inet_pton(AF_INET, std::string(host).c_str(), &address) != 1) {
            return fail("'" + std::string(host) + "' is not an IPv4 address or localhost");
        }
    }
    const std::optional<std::int64_t> number = toInteger(port);
    if (!number || *number < 1 || *number > 65535) {
        return fail("the port '" + std::string(port) + "' is not from 1 to 65535");
    }
    return ListenAddress{std::string(host), static_cast<std::uint16_t>(*number)};
}

}  // namespace understudy::daemon
