// ec-jobmanager: accepts jobs over gRPC and schedules them onto TaskManagers.
#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "jobmanager/dispatcher.h"
#include "jobmanager/jobmanager_service.h"
#include "jobmanager/rest_server.h"
#include "runtime/duration.h"
#include "runtime/logging.h"
#include "runtime/net.h"
#include "runtime/util/fault_point.h"

int main(int argc, char** argv) {
  CLI::App app{"ec-jobmanager: the EventCluster master that accepts and schedules jobs"};
  int rpc_port = 6123;
  int rest_port = 8081;
  std::string data_dir = "/tmp/ec-jobmanager";
  std::string checkpoint_dir;
  std::string heartbeat_timeout = "5s";
  app.add_option("--rpc-port", rpc_port, "gRPC port for TaskManagers and clients");
  app.add_option("--rest-port", rest_port, "HTTP port of the REST API and web page (0 = off)");
  app.add_option("--data-dir", data_dir, "directory for the JobManager's own files");
  app.add_option("--checkpoint-dir", checkpoint_dir, "directory for checkpoints");
  app.add_option("--heartbeat-timeout", heartbeat_timeout,
                 "a TaskManager silent for this long is lost (e.g. 5s)");
  std::string scheduler_mode = "default";
  app.add_option("--scheduler-mode", scheduler_mode,
                 "reactive: run every job at the parallelism the free slots allow, rescaled "
                 "when TaskManagers join or leave (Flink's scheduler-mode: reactive)")
      ->check(CLI::IsMember({"default", "reactive"}));
  CLI11_PARSE(app, argc, argv);
  if (auto s = ec::InitFaultPoints(ec::FaultProcess::kJobManager); !s.ok()) {
    std::fprintf(stderr, "ec-jobmanager: %s\n", std::string(s.message()).c_str());
    return 2;
  }

  ec::InitLogging("jobmanager");
  ec::BlockTerminationSignals();
  auto log = ec::Logger("jobmanager");
  auto timeout = ec::ParseDuration(heartbeat_timeout);
  if (!timeout.ok()) {
    std::fprintf(stderr, "ec-jobmanager: --heartbeat-timeout: %s\n",
                 std::string(timeout.status().message()).c_str());
    return 2;
  }
  std::error_code ec_dir;
  std::filesystem::create_directories(data_dir, ec_dir);

  ec::Dispatcher::Options options;
  options.heartbeat_timeout = *timeout;
  options.checkpoint_dir = checkpoint_dir.empty() ? data_dir + "/checkpoints" : checkpoint_dir;
  options.jobs_dir = data_dir + "/jobs";
  options.reactive = scheduler_mode == "reactive";
  ec::Dispatcher dispatcher(options, ec::NewGrpcTaskManagerGateway);
  dispatcher.Start();

  ec::JobManagerServiceImpl jobmanager_service(&dispatcher);
  ec::ClientServiceImpl client_service(&dispatcher);
  grpc::ServerBuilder builder;
  int bound_port = 0;
  builder.AddListeningPort(absl::StrCat("0.0.0.0:", rpc_port), grpc::InsecureServerCredentials(),
                           &bound_port);
  // A second process must not silently share a port already taken.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.RegisterService(&jobmanager_service);
  builder.RegisterService(&client_service);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 1000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || bound_port == 0) {
    log->critical("cannot listen on RPC port {}", rpc_port);
    return 1;
  }
  ec::RestServer rest(&dispatcher);
  if (rest_port > 0 && !rest.Start(rest_port)) {
    log->critical("cannot listen on REST port {}", rest_port);
    return 1;
  }
  log->info("JobManager epoch {} serving RPC on {} and REST on {}", dispatcher.epoch(), bound_port,
            rest_port);

  int sig = ec::WaitForTerminationSignal();
  log->info("signal {}: shutting down", sig);
  rest.Stop();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  dispatcher.Stop();
  return 0;
}
