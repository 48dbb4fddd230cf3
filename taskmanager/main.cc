// ec-taskmanager: runs operator chains in slots for a JobManager.
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "absl/strings/str_cat.h"
#include "runtime/logging.h"
#include "runtime/net.h"
#include "runtime/prometheus_text.h"
#include "runtime/network/data_client.h"
#include "runtime/network/data_server.h"
#include "runtime/security/call_auth.h"
#include "runtime/security/cluster_secret.h"
#include "runtime/security/data_tls.h"
#include "runtime/security/listen_policy.h"
#include "runtime/security/tls.h"
#include "runtime/security/user_tokens.h"
#include "runtime/util/fault_point.h"
#include "taskmanager/jobmanager_connection.h"
#include "taskmanager/metrics_server.h"
#include "taskmanager/task_executor.h"
#include "taskmanager/taskmanager_metrics.h"
#include "taskmanager/taskmanager_service.h"

int main(int argc, char** argv) {
  CLI::App app{"ec-taskmanager: an EventCluster worker that runs operator chains in slots"};
  const char* env_jm = std::getenv("EC_JOBMANAGER");
  std::string jobmanager = env_jm ? env_jm : "localhost:6123";
  int slots = 2;
  int data_port = 0;
  int rpc_port = 0;
  std::string data_dir = "/tmp/ec-taskmanager";
  std::string advertise_host;
  std::string id;
  app.add_option("--jobmanager", jobmanager,
                 "JobManager RPC address HOST:PORT (env EC_JOBMANAGER)");
  app.add_option("--slots", slots, "task slots offered")->check(CLI::Range(1, 1024));
  app.add_option("--data-port", data_port, "port for data exchange (0 = any free)");
  app.add_option("--rpc-port", rpc_port, "port for the JobManager's calls (0 = any free)");
  app.add_option("--data-dir", data_dir, "directory for local state");
  app.add_option("--advertise-host", advertise_host,
                 "address the JobManager and peers use to reach this TaskManager "
                 "(default: the local address towards the JobManager)");
  app.add_option("--id", id, "TaskManager id (default: generated)");
  std::string metrics_port = "9249";
  std::string metrics_prefix = ec::kDefaultMetricsPrefix;
  std::string token_file;
  app.add_option("--metrics-port", metrics_port,
                 "port of GET /metrics for Prometheus, or a range FROM-TO of which the first "
                 "free one is taken (0 = any free; Flink's metrics.reporter.prom.port)");
  app.add_option("--metrics-prefix", metrics_prefix,
                 "prefix of the metric names (flink: Flink's dashboards work unchanged)")
      ->check(ec::CheckMetricsPrefix);
  app.add_option("--auth-token-file", token_file,
                 "who may scrape /metrics: lines `name role token` as the JobManager's; without "
                 "it the metrics port listens on loopback only (unless --insecure)");
  std::string secret_file;
  bool insecure = false;
  app.add_option("--cluster-secret-file", secret_file,
                 "file holding the secret shared with the JobManager and the other TaskManagers "
                 "(env EC_CLUSTER_SECRET); without one the ports listen on loopback only");
  ec::TlsFiles tls;
  app.add_option("--tls-cert", tls.cert, "PEM certificate: serve RPC over TLS")->check(CLI::ExistingFile);
  app.add_option("--tls-key", tls.key, "PEM private key of --tls-cert")->check(CLI::ExistingFile);
  app.add_option("--tls-ca", tls.ca,
                 "PEM CA: verify the JobManager with it and require its client certificate")
      ->check(CLI::ExistingFile);
  app.add_flag("--insecure", insecure,
               "listen on every interface even without a cluster secret (anyone who reaches "
               "the ports can deploy tasks and feed data)");
  CLI11_PARSE(app, argc, argv);
  if (auto s = ec::InitFaultPoints(ec::FaultProcess::kTaskManager); !s.ok()) {
    std::fprintf(stderr, "ec-taskmanager: %s\n", std::string(s.message()).c_str());
    return 2;
  }

  auto metrics_ports = ec::ParsePortRange(metrics_port);
  absl::StatusOr<std::unique_ptr<ec::UserTokens>> tokens = nullptr;
  if (!token_file.empty()) tokens = ec::UserTokens::Load(token_file);
  auto secret = ec::ClusterSecret::Load(secret_file);
  auto credentials = ec::LoadGrpcCredentials(tls, /*require_client_cert=*/true);
  // With a certificate the data plane is TLS too, peers verified against the CA.
  absl::StatusOr<std::shared_ptr<const ec::DataTls>> data_tls = nullptr;
  if (tls.server_enabled()) data_tls = ec::DataTls::Create(tls);
  for (const absl::Status& s : {metrics_ports.status(), tokens.status(), secret.status(),
                                credentials.status(), data_tls.status()}) {
    if (!s.ok()) {
      std::fprintf(stderr, "ec-taskmanager: %s\n", std::string(s.message()).c_str());
      return 2;
    }
  }
  ec::InitLogging("taskmanager");
  ec::BlockTerminationSignals();
  if (advertise_host.empty()) advertise_host = ec::LocalAddressTowards(jobmanager);
  const std::string listen_host = ec::ListenHost(*secret != nullptr, insecure);
  if (listen_host == ec::kLoopbackAddress) {
    if (!ec::IsLoopbackHost(advertise_host)) {
      std::fprintf(stderr,
                   "ec-taskmanager: without a cluster secret the ports listen on loopback only, "
                   "so the JobManager cannot reach %s: give --cluster-secret-file (or "
                   "EC_CLUSTER_SECRET), or --insecure\n",
                   advertise_host.c_str());
      return 2;
    }
    ec::Logger("security")
        ->info("no cluster secret: RPC and data ports listen on {} only; give "
               "--cluster-secret-file (or EC_CLUSTER_SECRET) to serve other hosts",
               listen_host);
  } else if (!*secret) {
    ec::Logger("security")
        ->warn("--insecure: RPC and data ports listen on every interface without "
               "authentication");
  }
  if (id.empty()) {
    char host[256] = {0};
    gethostname(host, sizeof(host) - 1);
    std::random_device rd;
    id = absl::StrCat("tm-", host, "-", getpid(), "-", rd() % 10000);
  }

  // Flink's log/ file of this TaskManager (named by its id: TaskManagers may share the data
  // directory), which the JobManager serves at REST's /taskmanagers/<id>/log.
  std::string log_file =
      (std::filesystem::path(data_dir) / "log" / absl::StrCat("taskmanager-", id, ".log"))
          .string();
  if (id.find('/') != std::string::npos) log_file.clear();
  if (auto s = log_file.empty() ? absl::InvalidArgumentError("an id with '/' names no file")
                                : ec::AddLogFile(log_file);
      !s.ok()) {
    ec::Logger("taskmanager")->warn("no log file, REST cannot serve this log: {}", s.message());
    log_file.clear();
  }

  // Local state of this process only: other TaskManagers may share the data directory.
  const std::string state_dir = (std::filesystem::path(data_dir) / "state" / id).string();
  std::error_code fs_error;
  std::filesystem::remove_all(state_dir, fs_error);

  // The data plane: consumers' input gates register with the server's registry; producers
  // reach peers through the client, and this process's own consumers without a socket.
  ec::DataServerOptions server_options;
  server_options.host = listen_host;
  server_options.port = data_port;
  server_options.secret = *secret;
  server_options.tls = *data_tls;
  ec::DataServer data_server(server_options);
  if (auto s = data_server.Start(); !s.ok()) {
    ec::Logger("taskmanager")
        ->critical("cannot listen on data port {}: {}", data_port, s.message());
    return 1;
  }
  const std::string data_address = absl::StrCat(advertise_host, ":", data_server.port());
  ec::DataClientOptions client_options;
  client_options.local_registry = &data_server.registry();
  client_options.local_address = data_address;
  client_options.secret = *secret;
  client_options.tls = *data_tls;
  ec::DataClient data_client(client_options);

  std::unique_ptr<ec::JobManagerConnection> connection;
  ec::TaskExecutor executor(
      slots,
      [&connection](const ec::proto::TaskStatus& status) {
        if (connection) connection->ReportTaskState(status);
      },
      [&connection](const ec::proto::CheckpointAck& ack) {
        if (connection) connection->AcknowledgeCheckpoint(ack);
      },
      state_dir, &data_server.registry(), &data_client);

  // Prometheus' endpoint: open to other hosts only for holders of a token (or --insecure).
  ec::TaskManagerMetrics metrics(metrics_prefix, id);
  ec::MetricsServer metrics_server(
      [&metrics, &executor] {
        return metrics.Render(executor.MetricsSnapshots(), executor.slots(),
                              executor.free_slots(), absl::ToUnixMillis(absl::Now()));
      },
      tokens->get(), tls);
  const std::string metrics_host =
      *tokens ? listen_host : (insecure ? ec::kAnyAddress : ec::kLoopbackAddress);
  if (auto s = metrics_server.Start(metrics_host, *metrics_ports); !s.ok()) {
    // Flink's reporter, too, leaves a TaskManager running when its default port is taken.
    if (app.count("--metrics-port") > 0) {
      ec::Logger("taskmanager")->critical("{}", s.message());
      return 1;
    }
    ec::Logger("taskmanager")
        ->warn("{}: no metrics served; give --metrics-port a free port or a range", s.message());
  }

  ec::ClusterCallAuth auth(*secret);
  ec::TaskManagerServiceImpl service(&executor, &auth, log_file);
  grpc::ServerBuilder builder;
  int bound_port = 0;
  builder.AddListeningPort(absl::StrCat(listen_host, ":", rpc_port), credentials->server,
                           &bound_port);
  // A second process must not silently share a port already taken.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || bound_port == 0) {
    ec::Logger("taskmanager")->critical("cannot listen on RPC port {}", rpc_port);
    return 1;
  }
  const std::string rpc_address = absl::StrCat(advertise_host, ":", bound_port);
  ec::Logger("taskmanager")
      ->info("TaskManager {} serving on {} (data {}, metrics {}) with {} slots", id, rpc_address,
             data_address, metrics_server.port(), slots);

  connection = std::make_unique<ec::JobManagerConnection>(
      ec::JobManagerConnection::Options{jobmanager, id, rpc_address, data_address,
                                        metrics_server.port(), &auth, credentials->channel},
      &executor);
  connection->Start();

  int sig = ec::WaitForTerminationSignal();
  ec::Logger("taskmanager")->info("signal {}: cancelling tasks and shutting down", sig);
  executor.CancelAll();
  connection->Stop();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  data_server.Stop();
  metrics_server.Stop();
  return 0;
}
