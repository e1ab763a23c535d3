#include "appliance/hypervisor/domain_xml.h"
#include "base/error_codes.h"

#include <QFile>
#include <QString>
#include <QXmlStreamReader>

#include <algorithm>
#include <array>
#include <iterator>
#include <utility>
#include <vector>

namespace understudy::hypervisor {
namespace {

// A small document tree: QXmlStreamReader has no DOM, and QDomDocument (Qt6::Xml) writes
// attributes in hash order, which would make the output impossible to compare exactly.
struct Node {
    bool is_text = false;
    QString text;  // text nodes only
    QString name;  // qualified, as written
    QString local_name;
    QString namespace_uri;
    std::vector<std::pair<QString, QString>> namespace_declarations;  // prefix, URI
    std::vector<std::pair<QString, QString>> attributes;              // qualified name, value
    std::vector<Node> children;
};

Node elementNode(const QString& name) {
    Node node;
    node.name = name;
    node.local_name = name.mid(name.indexOf(u':') + 1);
    return node;
}

Node textNode(const QString& text) {
    Node node;
    node.is_text = true;
    node.text = text;
    return node;
}

Result<Node> parseXml(std::string_view xml, const std::string& source, const char* what,
                      const char* code) {
    QXmlStreamReader reader(QByteArray(xml.data(), static_cast<qsizetype>(xml.size())));
    std::vector<Node> open;
    std::optional<Node> root;
    while (!reader.atEnd()) {
        switch (reader.readNext()) {
            case QXmlStreamReader::StartElement: {
                Node node = elementNode(reader.qualifiedName().toString());
                node.namespace_uri = reader.namespaceUri().toString();
                for (const auto& declaration : reader.namespaceDeclarations()) {
                    node.namespace_declarations.emplace_back(declaration.prefix().toString(),
                                                             declaration.namespaceUri().toString());
                }
                for (const auto& attribute : reader.attributes()) {
                    node.attributes.emplace_back(attribute.qualifiedName().toString(),
                                                 attribute.value().toString());
                }
                open.push_back(std::move(node));
                break;
            }
            case QXmlStreamReader::EndElement: {
                Node node = std::move(open.back());
                open.pop_back();
                if (open.empty()) {
                    root = std::move(node);
                } else {
                    open.back().children.push_back(std::move(node));
                }
                break;
            }
            case QXmlStreamReader::Characters:
                if (!open.empty()) {
                    auto& children = open.back().children;
                    if (!children.empty() && children.back().is_text) {
                        children.back().text += reader.text();
                    } else {
                        children.push_back(textNode(reader.text().toString()));
                    }
                }
                break;
            default:
                // Comments, processing instructions and the DTD say nothing to libvirt.
                break;
        }
    }
    if (reader.hasError() || !root) {
        const QString reason =
            reader.hasError() ? reader.errorString() : QStringLiteral("no root element");
        return Error{code,
                     std::string(what) + " is not well-formed XML: " + reason.toStdString() +
                         " (line " + std::to_string(reader.lineNumber()) + ", column " +
                         std::to_string(reader.columnNumber()) + "); fix it and retry",
                     source};
    }
    return std::move(*root);
}

QString escaped(const QString& text, bool attribute) {
    QString out;
    out.reserve(text.size());
    for (const QChar c : text) {
        if (c == u'&') {
            out += QStringLiteral("&amp;");
        } else if (c == u'<') {
            out += QStringLiteral("&lt;");
        } else if (c == u'>') {
            out += QStringLiteral("&gt;");
        } else if (attribute && c == u'\'') {
            out += QStringLiteral("&apos;");
        } else if (attribute && c == u'"') {
            out += QStringLiteral("&quot;");
        } else {
            out += c;
        }
    }
    return out;
}

bool hasElementChildren(const Node& node) {
    return std::any_of(node.children.begin(), node.children.end(),
                       [](const Node& child) { return !child.is_text; });
}

// libvirt's own style (virsh dumpxml): two-space indentation, single-quoted attributes, text
// only inside leaf elements.
void write(const Node& node, int depth, QString& out) {
    const QString indent(depth * 2, u' ');
    out += indent + u'<' + node.name;
    for (const auto& [prefix, uri] : node.namespace_declarations) {
        out += prefix.isEmpty() ? QStringLiteral(" xmlns='")
                                : QStringLiteral(" xmlns:") + prefix + QStringLiteral("='");
        out += escaped(uri, true) + u'\'';
    }
    for (const auto& [name, value] : node.attributes) {
        out += u' ' + name + QStringLiteral("='") + escaped(value, true) + u'\'';
    }
    if (!hasElementChildren(node)) {
        QString text;
        for (const Node& child : node.children) {
            text += child.text;
        }
        out += text.isEmpty() ? QStringLiteral("/>\n")
                              : u'>' + escaped(text, false) + QStringLiteral("</") + node.name +
                                    QStringLiteral(">\n");
        return;
    }
    out += QStringLiteral(">\n");
    for (const Node& child : node.children) {
        if (!child.is_text) {
            write(child, depth + 1, out);
        } else if (const QString text = child.text.trimmed(); !text.isEmpty()) {
            out += QString((depth + 1) * 2, u' ') + escaped(text, false) + u'\n';
        }
    }
    out += indent + QStringLiteral("</") + node.name + QStringLiteral(">\n");
}

bool isElement(const Node& node, QStringView name) {
    return !node.is_text && node.namespace_uri.isEmpty() && node.name == name;
}

Node* findChild(Node& parent, QStringView name) {
    for (Node& child : parent.children) {
        if (isElement(child, name)) {
            return &child;
        }
    }
    return nullptr;
}

Node& ensureChild(Node& parent, const QString& name) {
    if (Node* child = findChild(parent, name)) {
        return *child;
    }
    parent.children.push_back(elementNode(name));
    return parent.children.back();
}

void removeChildren(Node& parent, QStringView name) {
    std::erase_if(parent.children, [&](const Node& child) { return isElement(child, name); });
}

void setText(Node& node, const QString& text) {
    node.children.clear();
    node.children.push_back(textNode(text));
}

void setAttribute(Node& node, const QString& name, const QString& value) {
    for (auto& attribute : node.attributes) {
        if (attribute.first == name) {
            attribute.second = value;
            return;
        }
    }
    node.attributes.emplace_back(name, value);
}

const QString* attribute(const Node& node, QStringView name) {
    for (const auto& [attribute_name, value] : node.attributes) {
        if (attribute_name == name) {
            return &value;
        }
    }
    return nullptr;
}

void removeAttribute(Node& node, QStringView name) {
    std::erase_if(node.attributes, [&](const auto& attribute) { return attribute.first == name; });
}

// The order in which libvirt writes a domain's top-level elements (virDomainDefFormatInternal);
// anything else (a hypervisor namespace's elements) follows, in the template's order.
constexpr std::array kDomainElementOrder = {
    u"name",
    u"uuid",
    u"genid",
    u"title",
    u"description",
    u"metadata",
    u"maxMemory",
    u"memory",
    u"currentMemory",
    u"blkiotune",
    u"memtune",
    u"memoryBacking",
    u"vcpu",
    u"vcpus",
    u"iothreads",
    u"iothreadids",
    u"defaultiothread",
    u"cputune",
    u"numatune",
    u"resource",
    u"sysinfo",
    u"bootloader",
    u"bootloader_args",
    u"os",
    u"idmap",
    u"features",
    u"cpu",
    u"clock",
    u"on_poweroff",
    u"on_reboot",
    u"on_crash",
    u"on_lockfailure",
    u"pm",
    u"perf",
    u"devices",
    u"seclabel",
    u"keywrap",
    u"launchSecurity",
};

std::size_t domainElementRank(const Node& node) {
    for (std::size_t rank = 0; rank < kDomainElementOrder.size(); ++rank) {
        if (isElement(node, QStringView(kDomainElementOrder[rank]))) {
            return rank;
        }
    }
    return kDomainElementOrder.size();
}

QString kib(std::int64_t mib) {
    return QString::number(static_cast<qint64>(mib) * 1024);
}

QString number(std::int64_t value) {
    return QString::number(static_cast<qint64>(value));
}

const QString& metadataNamespace() {
    static const QString uri = QString::fromLatin1(kMetadataNamespace);
    return uri;
}

Node metadataNode(const NodeMetadata& metadata, bool qualified) {
    const QString prefix = qualified ? QString::fromLatin1(kMetadataPrefix) + u':' : QString();
    const QString uri = qualified ? metadataNamespace() : QString();
    Node node = elementNode(prefix + QStringLiteral("node"));
    node.namespace_uri = uri;
    if (qualified) {
        node.namespace_declarations.emplace_back(QString::fromLatin1(kMetadataPrefix), uri);
    }
    node.attributes = {{QStringLiteral("cluster"), QString::fromStdString(metadata.cluster)},
                       {QStringLiteral("node"), QString::fromStdString(metadata.node)},
                       {QStringLiteral("memory_mode"),
                        QString::fromLatin1(sizing::memoryModeName(metadata.memory_mode))}};
    const auto footprint = [&](const char* name, const sizing::Footprint& value) {
        Node child = elementNode(prefix + QString::fromLatin1(name));
        child.namespace_uri = uri;
        child.attributes = {{QStringLiteral("vcpus"), number(value.vcpus)},
                            {QStringLiteral("memory_mib"), number(value.memory_mib)}};
        return child;
    };
    node.children.push_back(footprint("standby", metadata.standby));
    node.children.push_back(footprint("active", metadata.active));
    return node;
}

Status validate(const DomainSpec& spec) {
    const std::string where = "domain '" + spec.name + "'";
    const auto invalid = [&](const std::string& message) {
        return Error{"invalid_argument", message, where};
    };
    if (spec.name.empty()) {
        return invalid("a passive node's domain needs a name");
    }
    if (spec.node.cluster.empty()) {
        return invalid("the metadata must name the node's cluster");
    }
    const sizing::Footprint& standby = spec.node.standby;
    const sizing::Footprint& active = spec.node.active;
    if (standby.vcpus < 1 || standby.memory_mib < 1) {
        return invalid("the standby footprint needs at least 1 vCPU and 1 MiB");
    }
    if (active.vcpus < standby.vcpus || active.memory_mib < standby.memory_mib) {
        return invalid("the active footprint (" + std::to_string(active.vcpus) + " vCPUs, " +
                       std::to_string(active.memory_mib) +
                       " MiB) is smaller than the standby footprint (" +
                       std::to_string(standby.vcpus) + " vCPUs, " +
                       std::to_string(standby.memory_mib) + " MiB); fix the cluster's footprints");
    }
    return Done{};
}

void applyCputune(Node& domain, const DomainSpec& spec) {
    Node* cputune = findChild(domain, u"cputune");
    if (cputune) {
        removeChildren(*cputune, u"global_period");
        removeChildren(*cputune, u"global_quota");
    }
    if (spec.scheduler_cap) {
        if (!cputune) {
            cputune = &ensureChild(domain, QStringLiteral("cputune"));
        }
        Node period = elementNode(QStringLiteral("global_period"));
        setText(period, number(SchedulerCap::kDefaultPeriodUs));
        Node quota = elementNode(QStringLiteral("global_quota"));
        setText(quota, number(*SchedulerCap::wholeVcpus(spec.node.standby.vcpus).quota_us));
        auto& children = cputune->children;
        std::erase_if(children, [](const Node& child) { return child.is_text; });
        // libvirt writes <shares> first, then the global period and quota.
        auto at = std::find_if(children.begin(), children.end(),
                               [](const Node& child) { return isElement(child, u"shares"); });
        at = at == children.end() ? children.begin() : std::next(at);
        at = children.insert(at, std::move(period));
        children.insert(std::next(at), std::move(quota));
    } else if (cputune && !hasElementChildren(*cputune)) {
        removeChildren(domain, u"cputune");
    }
}

void applyMetadata(Node& domain, const NodeMetadata& metadata) {
    auto& children = ensureChild(domain, QStringLiteral("metadata")).children;
    std::erase_if(children, [](const Node& child) { return child.is_text; });
    const auto ours = [](const Node& child) {
        return !child.is_text && child.namespace_uri == metadataNamespace();
    };
    const auto first = std::find_if(children.begin(), children.end(), ours);
    const auto position = std::distance(children.begin(), first);
    std::erase_if(children, ours);
    children.insert(children.begin() + position, metadataNode(metadata, true));
}

std::optional<std::int64_t> integerAttribute(const Node& node, QStringView name) {
    const QString* value = attribute(node, name);
    if (!value) {
        return std::nullopt;
    }
    bool ok = false;
    const qint64 parsed = value->toLongLong(&ok);
    if (!ok) {
        return std::nullopt;
    }
    return static_cast<std::int64_t>(parsed);
}

// Replaces ${name} and ${cluster} in one text or attribute value; anything else between ${ and }
// is a typo the administrator should hear about.
Status substitute(QString& value, const DomainSpec& spec, const std::string& source) {
    qsizetype from = 0;
    while ((from = value.indexOf(QStringLiteral("${"), from)) >= 0) {
        const qsizetype end = value.indexOf(u'}', from);
        const QString key = end < 0 ? QString() : value.mid(from + 2, end - from - 2);
        QString replacement;
        if (key == u"name") {
            replacement = QString::fromStdString(spec.name);
        } else if (key == u"cluster") {
            replacement = QString::fromStdString(spec.node.cluster);
        } else {
            return Error{"invalid_template",
                         "the domain template has an unknown placeholder '" +
                             value.mid(from, end < 0 ? -1 : end - from + 1).toStdString() +
                             "'; the known ones are ${name} and ${cluster}",
                         source};
        }
        value.replace(from, end - from + 1, replacement);
        from += replacement.size();
    }
    return Done{};
}

Status substituteAll(Node& node, const DomainSpec& spec, const std::string& source) {
    if (node.is_text) {
        return substitute(node.text, spec, source);
    }
    for (auto& attribute : node.attributes) {
        if (Status done = substitute(attribute.second, spec, source); !done) {
            return done;
        }
    }
    for (Node& child : node.children) {
        if (Status done = substituteAll(child, spec, source); !done) {
            return done;
        }
    }
    return Done{};
}

}  // namespace

Result<DomainTemplate> loadDomainTemplate(const std::string& path) {
    QFile file(QString::fromStdString(path));
    if (!file.open(QIODevice::ReadOnly)) {
        return Error{errc::kIo,
                     "cannot read the domain template: " + file.errorString().toStdString() +
                         "; check domain_template in the appliance's section of the config",
                     path};
    }
    return DomainTemplate{path, file.readAll().toStdString()};
}

Result<std::string> renderDomainXml(const DomainTemplate& domain_template, const DomainSpec& spec) {
    if (Status valid = validate(spec); !valid) {
        return valid.error();
    }
    Result<Node> parsed = parseXml(domain_template.xml, domain_template.source,
                                   "the domain template", "invalid_template");
    if (!parsed) {
        return parsed.error();
    }
    Node& domain = *parsed;
    if (domain.name != u"domain" || !domain.namespace_uri.isEmpty()) {
        return Error{"invalid_template",
                     "the domain template's root element is <" + domain.name.toStdString() +
                         ">, not <domain>; give it a libvirt domain definition",
                     domain_template.source};
    }
    std::erase_if(domain.children, [](const Node& child) { return child.is_text; });
    if (Status done = substituteAll(domain, spec, domain_template.source); !done) {
        return done.error();
    }

    setText(ensureChild(domain, QStringLiteral("name")), QString::fromStdString(spec.name));
    if (!spec.uuid.empty()) {
        setText(ensureChild(domain, QStringLiteral("uuid")), QString::fromStdString(spec.uuid));
    }
    applyMetadata(domain, spec.node);

    const sizing::Footprint& standby = spec.node.standby;
    const sizing::Footprint& active = spec.node.active;
    Node& memory = ensureChild(domain, QStringLiteral("memory"));
    setAttribute(memory, QStringLiteral("unit"), QStringLiteral("KiB"));
    setText(memory, kib(active.memory_mib));
    Node& current_memory = ensureChild(domain, QStringLiteral("currentMemory"));
    setAttribute(current_memory, QStringLiteral("unit"), QStringLiteral("KiB"));
    setText(current_memory,
            kib(spec.node.memory_mode == sizing::MemoryMode::reserved ? active.memory_mib
                                                                      : standby.memory_mib));

    // The node boots with its active vCPU count and is capped, never unplugged, at standby
    // (docs/platform-notes.md, "CPU: capped, never unplugged": vCPU unplug times out on QEMU). A
    // per-vCPU <vcpus> list from the template would contradict the count, so it goes.
    Node& vcpu = ensureChild(domain, QStringLiteral("vcpu"));
    removeAttribute(vcpu, u"current");
    setText(vcpu, number(active.vcpus));
    removeChildren(domain, u"vcpus");
    applyCputune(domain, spec);

    std::stable_sort(
        domain.children.begin(), domain.children.end(),
        [](const Node& a, const Node& b) { return domainElementRank(a) < domainElementRank(b); });
    QString out;
    write(domain, 0, out);
    return out.toStdString();
}

std::string formatNodeMetadata(const NodeMetadata& metadata, MetadataForm form) {
    QString out;
    write(metadataNode(metadata, form == MetadataForm::qualified), 0, out);
    return out.toStdString();
}

Result<NodeMetadata> parseNodeMetadata(std::string_view xml, const std::string& where) {
    Result<Node> parsed = parseXml(xml, where, "Understudy's domain metadata", "invalid_metadata");
    if (!parsed) {
        return parsed.error();
    }
    const Node& node = *parsed;
    const auto invalid = [&](const std::string& what) {
        return Error{"invalid_metadata",
                     "Understudy's domain metadata " + what +
                         "; re-adopt the domain so the service writes it again",
                     where};
    };
    // virDomainGetMetadata returns the element stripped of its namespace: the caller chose it.
    const auto ours = [](const Node& element) {
        return element.namespace_uri.isEmpty() || element.namespace_uri == metadataNamespace();
    };
    if (!ours(node) || node.local_name != u"node") {
        return invalid("is not a <node> element in namespace " + std::string(kMetadataNamespace));
    }
    NodeMetadata metadata;
    const QString* cluster = attribute(node, u"cluster");
    if (!cluster || cluster->isEmpty()) {
        return invalid("names no cluster");
    }
    metadata.cluster = cluster->toStdString();
    if (const QString* name = attribute(node, u"node")) {
        metadata.node = name->toStdString();
    }
    const QString* mode = attribute(node, u"memory_mode");
    if (!mode || *mode == u"balloon") {
        metadata.memory_mode = sizing::MemoryMode::balloon;
    } else if (*mode == u"reserved") {
        metadata.memory_mode = sizing::MemoryMode::reserved;
    } else {
        return invalid("has an unknown memory_mode '" + mode->toStdString() + "'");
    }
    bool have_standby = false;
    bool have_active = false;
    for (const Node& child : node.children) {
        if (child.is_text || !ours(child)) {
            continue;
        }
        const bool is_standby = child.local_name == u"standby";
        const bool is_active = child.local_name == u"active";
        if (!is_standby && !is_active) {
            continue;
        }
        const auto vcpus = integerAttribute(child, u"vcpus");
        const auto memory = integerAttribute(child, u"memory_mib");
        if (!vcpus || !memory) {
            return invalid("has a footprint without whole vcpus and memory_mib");
        }
        (is_standby ? metadata.standby : metadata.active) = sizing::Footprint{*vcpus, *memory};
        (is_standby ? have_standby : have_active) = true;
    }
    if (!have_standby || !have_active) {
        return invalid("lacks the standby or the active footprint");
    }
    return metadata;
}

}  // namespace understudy::hypervisor
