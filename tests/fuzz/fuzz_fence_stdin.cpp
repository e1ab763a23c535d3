// fence_understudy's input: name=value lines on stdin (what Pacemaker's fencer writes) and,
// one argument per line, its command line. Any bytes give a request or an error, never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "agents/fence/fence_request.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace understudy::agents;
    const std::string text(reinterpret_cast<const char*>(data), size);
    std::istringstream in(text);
    auto request = parseFenceStdin(in);
    if (request && std::string(fenceActionName(request->action)) == "?") {
        std::fprintf(stderr, "parseFenceStdin gave an action with no name\n");
        std::abort();
    }
    std::vector<std::string> arguments;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        arguments.push_back(line);
    }
    auto command_line = parseFenceCommandLine(arguments);
    if (!command_line) {
        (void)command_line.error().describe();
    }
    return 0;
}
