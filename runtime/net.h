// Small network helpers shared by the binaries.
#pragma once

#include <string>

namespace ec {

// The local address this host uses to reach `host_port` ("host:port"), e.g. the address a
// TaskManager should advertise to its JobManager. Falls back to 127.0.0.1.
std::string LocalAddressTowards(const std::string& host_port);

// Socket options for an HTTP server's listening socket (cpp-httplib's set_socket_options):
// SO_REUSEADDR only. httplib's default adds SO_REUSEPORT, with which a second process binds a
// port already serving and the two share its connections instead of the second being refused.
void ExclusiveListenOptions(int fd);

// Blocks SIGINT and SIGTERM in this thread (call before starting others) and returns when one
// arrives; the caller then shuts down.
void BlockTerminationSignals();
int WaitForTerminationSignal();

}  // namespace ec
