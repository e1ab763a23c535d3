// fence_understudy's work: fencing one passive node through the Understudy service with the
// cluster's token, following the fence-agents conventions (output lines, exit codes).
#pragma once

#include <ostream>
#include <string>

#include "agents/fence/fence_request.h"

namespace understudy::agents {

// fence-agents' exit codes: 0 done (status: on), 1 any failure, 2 status: off.
inline constexpr int kFenceOk = 0;
inline constexpr int kFenceFailed = 1;
inline constexpr int kFenceStatusOff = 2;

inline constexpr char kFenceVersion[] = "1.0";

// The metadata XML in the fence-agents format (as `fence_virsh -o metadata` prints it; valid
// against fence-agents' relaxng/metadata.rng).
std::string fenceMetadata();
std::string fenceUsage();

// Runs one action; writes fence-agents' lines ("Success: Powered OFF", "Status: ON", the list)
// to `out` and failures to `err`. The token comes from token_file, else password_script's
// first output line, else password. Needs a QCoreApplication.
int runFence(const FenceRequest& request, std::ostream& out, std::ostream& err);

}  // namespace understudy::agents
