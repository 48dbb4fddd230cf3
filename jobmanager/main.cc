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
#include "runtime/prometheus_text.h"
#include "runtime/security/call_auth.h"
#include "runtime/security/cluster_secret.h"
#include "runtime/security/listen_policy.h"
#include "runtime/security/tls.h"
#include "runtime/security/user_tokens.h"
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
  ec::Dispatcher::Options options;
  app.add_option("--savepoint-dir", options.savepoint_dirs,
                 "where savepoints may be written and read from at submit, besides the "
                 "checkpoint directory (repeatable; the first is the default target; "
                 "default <checkpoint-dir>/savepoints; Flink's state.savepoints.dir)");
  app.add_option("--max-jobs", options.max_jobs,
                 "jobs that have not ended; one more is refused until one ends")
      ->check(CLI::PositiveNumber);
  app.add_option("--max-ended-jobs", options.max_ended_jobs,
                 "ended jobs kept for status and REST (Flink's jobstore.max-capacity); the one "
                 "that ended first is forgotten beyond")
      ->check(CLI::PositiveNumber);
  std::string metrics_prefix = ec::kDefaultMetricsPrefix;
  app.add_option("--metrics-prefix", metrics_prefix,
                 "prefix of the metric names at GET /metrics (flink: Flink's dashboards work "
                 "unchanged)")
      ->check(ec::CheckMetricsPrefix);
  std::string secret_file, token_file;
  bool insecure = false;
  app.add_option("--cluster-secret-file", secret_file,
                 "file holding the secret the TaskManagers share (env EC_CLUSTER_SECRET)");
  app.add_option("--auth-token-file", token_file,
                 "users of ecctl and REST: lines `name role token`, role viewer or admin");
  app.add_flag("--insecure", insecure,
               "listen on every interface even without a cluster secret and tokens");
  ec::TlsFiles tls;
  app.add_option("--tls-cert", tls.cert, "PEM certificate: serve RPC and REST over TLS")
      ->check(CLI::ExistingFile);
  app.add_option("--tls-key", tls.key, "PEM private key of --tls-cert")->check(CLI::ExistingFile);
  app.add_option("--tls-ca", tls.ca,
                 "PEM CA: verify TaskManagers (and client certificates) with it")
      ->check(CLI::ExistingFile);
  CLI11_PARSE(app, argc, argv);
  if (auto s = ec::InitFaultPoints(ec::FaultProcess::kJobManager); !s.ok()) {
    std::fprintf(stderr, "ec-jobmanager: %s\n", std::string(s.message()).c_str());
    return 2;
  }

  auto secret = ec::ClusterSecret::Load(secret_file);
  auto credentials = ec::LoadGrpcCredentials(tls, /*require_client_cert=*/false);
  for (const absl::Status& s : {secret.status(), credentials.status()}) {
    if (!s.ok()) {
      std::fprintf(stderr, "ec-jobmanager: %s\n", std::string(s.message()).c_str());
      return 2;
    }
  }
  std::unique_ptr<ec::UserTokens> tokens;
  if (!token_file.empty()) {
    auto loaded = ec::UserTokens::Load(token_file);
    if (!loaded.ok()) {
      std::fprintf(stderr, "ec-jobmanager: %s\n", std::string(loaded.status().message()).c_str());
      return 2;
    }
    tokens = *std::move(loaded);
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
  // Flink's log/jobmanager.log, which REST serves at /jobmanager/log.
  const std::string log_file = data_dir + "/log/jobmanager.log";
  if (auto s = ec::AddLogFile(log_file); !s.ok()) {
    log->critical("{}", s.message());
    return 1;
  }

  options.heartbeat_timeout = *timeout;
  options.checkpoint_dir = checkpoint_dir.empty() ? data_dir + "/checkpoints" : checkpoint_dir;
  options.jobs_dir = data_dir + "/jobs";
  options.reactive = scheduler_mode == "reactive";
  // The RPC port serves TaskManagers (cluster secret) and clients (tokens); REST only clients.
  const std::string rpc_host = ec::ListenHost(*secret && tokens, insecure);
  const std::string rest_host = ec::ListenHost(tokens != nullptr, insecure);
  if (rpc_host == ec::kLoopbackAddress || rest_host == ec::kLoopbackAddress) {
    log->info("{}{} listen(s) on {} only: give --cluster-secret-file (or EC_CLUSTER_SECRET) and "
              "--auth-token-file to serve other hosts",
              rpc_host == ec::kLoopbackAddress ? "RPC " : "",
              rest_host == ec::kLoopbackAddress ? "REST " : "", ec::kLoopbackAddress);
  }
  if (insecure && !(*secret && tokens)) {
    log->warn("--insecure: listening on every interface without {}",
              *secret ? "user tokens" : tokens ? "a cluster secret" : "any authentication");
  }
  ec::ClusterCallAuth auth(*secret);
  const ec::GrpcGatewayOptions gateway_options{&auth, credentials->channel};
  ec::Dispatcher dispatcher(options, [&gateway_options](const std::string& address) {
    return ec::NewGrpcTaskManagerGateway(address, gateway_options);
  });
  dispatcher.Start();

  ec::JobManagerServiceImpl jobmanager_service(&dispatcher, &auth);
  ec::ClientServiceImpl client_service(&dispatcher, tokens.get(), tls.server_enabled());
  grpc::ServerBuilder builder;
  int bound_port = 0;
  builder.AddListeningPort(absl::StrCat(rpc_host, ":", rpc_port), credentials->server,
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
  ec::JobUploads uploads(data_dir + "/uploads");
  ec::RestServer rest(&dispatcher, tokens.get(), tls, &uploads);
  rest.ServeLogs(log_file);
  rest.SetMetricsPrefix(metrics_prefix);
  if (rest_port > 0 && !rest.Start(rest_host, rest_port)) {
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
