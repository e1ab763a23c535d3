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
// to `out` and a failure to `err` as one "Failed: " line. The token comes from token_file, else
// password_script's first output line, else password. Needs a QCoreApplication.
//
// Under Pacemaker that line is where an administrator finds why fencing failed:
// pacemaker-fenced (2.1.5) logs each line a fence agent writes to stderr as a warning
// ("fence_understudy[PID] stderr: [ Failed: ... ]", in pacemaker.log and the system log). It
// takes no exit reason from a fence agent's output (it reads "ocf-exit-reason:" lines from OCF
// agents only) and does not pass the agent's stderr on to its clients, so stonith_admin reports
// any failed agent as "No data available", whatever the agent prints.
int runFence(const FenceRequest& request, std::ostream& out, std::ostream& err);

}  // namespace understudy::agents
