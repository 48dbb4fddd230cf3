// Small network helpers shared by the binaries.
#pragma once

#include <string>

namespace ec {

// The local address this host uses to reach `host_port` ("host:port"), e.g. the address a
// TaskManager should advertise to its JobManager. Falls back to 127.0.0.1.
std::string LocalAddressTowards(const std::string& host_port);

// Blocks SIGINT and SIGTERM in this thread (call before starting others) and returns when one
// arrives; the caller then shuts down.
void BlockTerminationSignals();
int WaitForTerminationSignal();

}  // namespace ec
