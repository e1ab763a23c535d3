// Domain XML for passive nodes: the administrator's template (a libvirt domain definition,
// owned by them) filled with one node's identity and footprints, and the metadata element that
// marks a domain as Understudy's.
//
// Sizes follow docs/platform-notes.md ("QEMU under software emulation"): <memory> is the active
// memory (the most the balloon can give), <currentMemory> the standby memory (the active memory
// under memory_mode = reserved), <vcpu> the active vCPU count; where the hypervisor has a scheduler
// quota, <cputune> caps the guest at its standby vCPUs (global_quota = standby vCPUs ×
// global_period). Everything else in the template (disks, network, devices, other metadata, other
// tuning) is kept. The output is canonical: libvirt's element order at the top level, two-space
// indentation, single-quoted attributes, no comments, so it can be compared exactly.
//
// Per-node values the template cannot know (a disk image per node, a console log) are written
// with placeholders in any text or attribute value: ${name} (the domain's name) and ${cluster}.
#pragma once

#include <string>
#include <string_view>

#include "appliance/hypervisor/hypervisor.h"
#include "base/result.h"

namespace understudy::hypervisor {

// The XML namespace of Understudy's domain metadata, and the prefix libvirt writes it with.
inline constexpr const char* kMetadataNamespace = "urn:understudy:passive-node:1";
inline constexpr const char* kMetadataPrefix = "understudy";

struct DomainTemplate {
    std::string source;  // where it came from (a path), for error messages
    std::string xml;
};

struct DomainSpec {
    std::string name;
    std::string uuid;  // empty: keep the template's, or let libvirt assign one
    NodeMetadata node;
    // Cap the CPU with <cputune> global_quota; only for hypervisors that have it (QEMU).
    bool scheduler_cap = false;
};

Result<DomainTemplate> loadDomainTemplate(const std::string& path);

Result<std::string> renderDomainXml(const DomainTemplate& domain_template, const DomainSpec& spec);

// The metadata element alone: qualified (prefix and namespace declaration, as inside a domain's
// <metadata>), or bare, as virDomainSetMetadata wants it (libvirt adds the namespace itself).
enum class MetadataForm { qualified, bare };
std::string formatNodeMetadata(const NodeMetadata& metadata,
                               MetadataForm form = MetadataForm::qualified);
// Reads the element back: qualified, or bare as virDomainGetMetadata returns it. `where` names
// the domain for error messages.
Result<NodeMetadata> parseNodeMetadata(std::string_view xml, const std::string& where);

}  // namespace understudy::hypervisor
