// What fence_understudy was asked to do, from its command line or from name=value lines on
// stdin (the fence-agents convention Pacemaker's fencer uses).
#pragma once

#include <istream>
#include <string>
#include <vector>

#include "base/result.h"

namespace understudy::agents {

enum class FenceAction { on, off, reboot, status, list, monitor, metadata, validate_all };

struct FenceRequest {
    FenceAction action = FenceAction::reboot;  // fence-agents' default action
    std::string url;
    std::string plug;        // the passive node's name in Understudy
    std::string token_file;  // token_file, or password_script's output, or password itself
    std::string password;
    std::string password_script;
    int power_timeout_s = 20;  // bounds each call to the service, as fence-agents' option does
    bool help = false;
    bool version = false;
    // Options on stdin we do not know are ignored with a warning, as fence-agents do: the
    // fencer passes every parameter of the device but its own pcmk_* ones, and a fencing must
    // not fail over one we do not use. nodename, which it adds itself, is ignored silently.
    std::vector<std::string> warnings;
};

Result<FenceAction> parseFenceAction(const std::string& text);
const char* fenceActionName(FenceAction action);

// Reads name=value lines; '#' starts a comment line, blank lines are skipped. A line without
// '=' or a bad value for a known option is an error naming the line.
Result<FenceRequest> parseFenceStdin(std::istream& in);

// Reads fence-agents' command line: "--name=value", "--name value" and the short options
// (-o action, -n plug, -p password, -S password script, -h, -V). Unknown options are errors
// here: a person typed them.
Result<FenceRequest> parseFenceCommandLine(const std::vector<std::string>& arguments);

}  // namespace understudy::agents
