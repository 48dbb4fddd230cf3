// RestServer: the JobManager's HTTP API and a minimal web page, like Flink's on port 8081.
#pragma once

#include <memory>
#include <thread>

#include "jobmanager/dispatcher.h"

namespace httplib {
class Server;
}

namespace ec {

// GET /jobs, /jobs/<id>, /taskmanagers (JSON), / (an HTML overview refreshing itself).
// Read-only. Start() binds and serves from its own thread; Stop() is idempotent.
class RestServer {
 public:
  explicit RestServer(Dispatcher* dispatcher);
  ~RestServer();

  // Returns false when the port cannot be bound.
  bool Start(int port);
  void Stop();

 private:
  Dispatcher* dispatcher_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace ec
