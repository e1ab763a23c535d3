// One libvirt connection, owned: the only place that calls virConnectOpen/virConnectClose.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "sizing/result.h"

struct _virConnect;

namespace understudy::appliance {

struct HostCapacity {
    std::int64_t cpus = 0;
    std::int64_t memory_mib = 0;
};

class LibvirtConnection {
public:
    static Result<std::unique_ptr<LibvirtConnection>> open(const std::string& uri);
    ~LibvirtConnection();
    LibvirtConnection(const LibvirtConnection&) = delete;
    LibvirtConnection& operator=(const LibvirtConnection&) = delete;

    const std::string& uri() const { return uri_; }
    Result<HostCapacity> hostCapacity() const;

private:
    LibvirtConnection(_virConnect* connection, std::string uri)
        : connection_(connection), uri_(std::move(uri)) {}
    _virConnect* connection_;
    std::string uri_;
};

// libvirt's last error on this thread, as one sentence.
std::string lastLibvirtError();

}  // namespace understudy::appliance
