// fence_understudy: the fence agent a physical cluster node uses to fence its virtual peer.
// As every fence agent: options on the command line, or name=value lines on stdin when there
// are none (how Pacemaker's fencer calls it).
#include <QCoreApplication>
#include <iostream>
#include <string>
#include <vector>

#include "agents/fence/fence_agent.h"
#include "agents/fence/fence_request.h"

int main(int argc, char** argv) {
    using namespace understudy::agents;
    QCoreApplication app(argc, argv);
    const std::vector<std::string> arguments(argv + 1, argv + argc);
    auto request = arguments.empty() ? parseFenceStdin(std::cin) : parseFenceCommandLine(arguments);
    if (!request) {
        std::cerr << "Failed: " << request.error().describe() << '\n';
        return kFenceFailed;
    }
    for (const std::string& warning : request->warnings) {
        std::cerr << "WARNING: " << warning << '\n';
    }
    if (request->help) {
        std::cout << fenceUsage();
        return kFenceOk;
    }
    if (request->version) {
        std::cout << kFenceVersion << '\n';
        return kFenceOk;
    }
    return runFence(*request, std::cout, std::cerr);
}
