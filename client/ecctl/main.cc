// ecctl: the command-line client of the JobManager (submit, cancel, list, status, taskmanagers,
// savepoint, stop, rescale): one function per subcommand, main parses and dispatches.
#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "proto/jobmanager.grpc.pb.h"
#include "proto/status_json.h"
#include "runtime/util/job_arguments.h"

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "ecctl: %s\n", message.c_str());
  return 1;
}

// One line, naming what went wrong: the JobManager's own message, or why it could not be asked.
int FailRpc(const grpc::Status& status, const std::string& address) {
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
      status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return Fail(
        absl::StrFormat("cannot reach the JobManager at %s (%s)", address, status.error_message()));
  }
  return Fail(status.error_message());
}

// The user's token (--token-file or EC_TOKEN), sent with every call; empty: none.
std::string& Token() {
  static std::string token;
  return token;
}

std::unique_ptr<grpc::ClientContext> Context(std::chrono::seconds timeout = std::chrono::seconds(15)) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + timeout);
  if (!Token().empty()) ctx->AddMetadata("authorization", "Bearer " + Token());
  return ctx;
}

void PrintStatus(const ec::proto::JobStatus& s) {
  std::printf("id:     %s\nname:   %s\nstate:  %s\n", s.id().c_str(), s.name().c_str(),
              ec::proto::JobState_Name(s.state()).c_str());
  if (!s.restart_strategy().empty())
    std::printf("restart strategy: %s\n", s.restart_strategy().c_str());
  std::printf("restarts: %d\n", s.restarts());
  if (s.has_latest_checkpoint()) {
    const auto& c = s.latest_checkpoint();
    std::printf("checkpoint: %ld (%ld ms, %ld bytes; %ld completed, %ld failed) %s\n",
                static_cast<long>(c.id()), static_cast<long>(c.duration_ms()),
                static_cast<long>(c.size_bytes()), static_cast<long>(s.checkpoints_completed()),
                static_cast<long>(s.checkpoints_failed()), c.path().c_str());
  }
  if (!s.failure().empty()) std::printf("failure: %s\n", s.failure().c_str());
  std::printf("\n%-24s %12s %12s %14s %14s %12s\n", "OPERATOR", "RECORDS IN", "RECORDS OUT",
              "BYTES IN", "BYTES OUT", "DEAD LETTERS");
  for (const auto& op : s.operators()) {
    const auto& m = op.metrics();
    std::printf("%-24s %12lu %12lu %14lu %14lu %12lu\n", m.name().c_str(),
                static_cast<unsigned long>(m.records_in()),
                static_cast<unsigned long>(m.records_out()),
                static_cast<unsigned long>(m.bytes_in()), static_cast<unsigned long>(m.bytes_out()),
                static_cast<unsigned long>(m.records_dead_letter()));
  }
  // Where each operator's subtasks run, what they did, and how their chain spent its time.
  bool header = false;
  for (const auto& op : s.operators()) {
    for (const auto& sub : op.subtasks()) {
      if (!header) {
        std::printf("\n%-24s %-8s %-40s %-10s %12s %12s %6s %6s\n", "OPERATOR", "SUBTASK",
                    "TASKMANAGER", "STATE", "RECORDS_IN", "RECORDS_OUT", "BUSY", "BACKPR");
        header = true;
      }
      const std::string state = ec::proto::TaskState_Name(sub.state());
      const double running = static_cast<double>(std::max<int64_t>(sub.running_ms(), 1));
      const int64_t busy =
          std::max<int64_t>(0, sub.running_ms() - sub.backpressured_ms() - sub.idle_ms());
      std::printf("%-24s %-8d %-40s %-10s %12lu %12lu %5.0f%% %5.0f%%\n",
                  op.metrics().name().c_str(), sub.subtask(),
                  sub.taskmanager_id().empty() ? "-" : sub.taskmanager_id().c_str(),
                  state.substr(state.find('_') + 1).c_str(),
                  static_cast<unsigned long>(sub.metrics().records_in()),
                  static_cast<unsigned long>(sub.metrics().records_out()),
                  100.0 * static_cast<double>(busy) / running,
                  100.0 * static_cast<double>(sub.backpressured_ms()) / running);
    }
  }
}

// Everything the flags set; each subcommand reads its own part.
struct Options {
  std::string address;              // --jobmanager
  std::string job_file;             // submit
  std::vector<std::string> extras;  // submit: the --KEY VALUE job parameters
  std::string job_id;
  std::string output = "text";  // list, status, taskmanagers: text or json
  std::string savepoint_path;   // savepoint --path, stop --savepoint-path
  int new_parallelism = 0;      // rescale
};

using Stub = ec::proto::ClientService::Stub;

int Submit(Stub& stub, const Options& o) {
  std::ifstream in(o.job_file);
  if (!in) return Fail("cannot read job file " + o.job_file);
  std::stringstream text;
  text << in.rdbuf();
  ec::proto::SubmitJobRequest request;
  request.set_job_json(text.str());
  auto arguments = ec::ParseJobArguments(o.extras);
  if (!arguments.ok()) return Fail(std::string(arguments.status().message()));
  request.set_from_savepoint(arguments->from_savepoint);
  for (const auto& [key, value] : arguments->parameters) {
    (*request.mutable_parameters())[key] = value;
  }
  ec::proto::SubmitJobResponse response;
  auto ctx = Context();
  auto s = stub.SubmitJob(ctx.get(), request, &response);
  if (!s.ok()) return FailRpc(s, o.address);
  std::printf("%s\n", response.job_id().c_str());
  return 0;
}

int Cancel(Stub& stub, const Options& o) {
  ec::proto::JobIdRequest request;
  request.set_job_id(o.job_id);
  ec::proto::CancelJobResponse response;
  auto ctx = Context();
  auto s = stub.CancelJob(ctx.get(), request, &response);
  if (!s.ok()) return FailRpc(s, o.address);
  std::fprintf(stderr, "cancelling job %s\n", o.job_id.c_str());
  return 0;
}

int List(Stub& stub, const Options& o) {
  ec::proto::ListJobsResponse response;
  auto ctx = Context();
  auto s = stub.ListJobs(ctx.get(), ec::proto::ListJobsRequest(), &response);
  if (!s.ok()) return FailRpc(s, o.address);
  if (o.output == "json") {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& job : response.jobs()) out.push_back(ec::JobStatusToJson(job));
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  for (const auto& job : response.jobs()) {
    std::printf("%s  %-10s  %s\n", job.id().c_str(), ec::proto::JobState_Name(job.state()).c_str(),
                job.name().c_str());
  }
  return 0;
}

int Status(Stub& stub, const Options& o) {
  ec::proto::JobIdRequest request;
  request.set_job_id(o.job_id);
  ec::proto::JobStatus response;
  auto ctx = Context();
  auto s = stub.GetJobStatus(ctx.get(), request, &response);
  if (!s.ok()) return FailRpc(s, o.address);
  if (o.output == "json") {
    std::printf("%s\n", ec::JobStatusToJson(response).dump(2).c_str());
  } else {
    PrintStatus(response);
  }
  return 0;
}

int TaskManagers(Stub& stub, const Options& o) {
  ec::proto::ListTaskManagersResponse response;
  auto ctx = Context();
  auto s = stub.ListTaskManagers(ctx.get(), ec::proto::ListTaskManagersRequest(), &response);
  if (!s.ok()) return FailRpc(s, o.address);
  if (o.output == "json") {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& tm : response.taskmanagers()) out.push_back(ec::TaskManagerToJson(tm));
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf("%-40s %-24s %6s %6s\n", "ID", "ADDRESS", "SLOTS", "FREE");
  for (const auto& tm : response.taskmanagers()) {
    std::printf("%-40s %-24s %6d %6d\n", tm.id().c_str(), tm.address().c_str(), tm.slots(),
                tm.free_slots());
  }
  return 0;
}

// savepoint and stop: the same call, stop also ends the job. Blocks until the savepoint is done.
int TakeSavepoint(Stub& stub, const Options& o, bool stop) {
  ec::proto::SavepointRequest request;
  request.set_job_id(o.job_id);
  request.set_path(o.savepoint_path);
  request.set_stop(stop);
  ec::proto::SavepointResponse response;
  auto ctx = Context(std::chrono::seconds(120));
  auto s = stub.TriggerSavepoint(ctx.get(), request, &response);
  if (!s.ok()) return FailRpc(s, o.address);
  std::printf("%s\n", response.path().c_str());
  return 0;
}
int Savepoint(Stub& stub, const Options& o) { return TakeSavepoint(stub, o, false); }
int Stop(Stub& stub, const Options& o) { return TakeSavepoint(stub, o, true); }

int Rescale(Stub& stub, const Options& o) {
  ec::proto::RescaleRequest request;
  request.set_job_id(o.job_id);
  request.set_parallelism(o.new_parallelism);
  ec::proto::RescaleResponse response;
  auto ctx = Context(std::chrono::seconds(120));
  auto s = stub.RescaleJob(ctx.get(), request, &response);
  if (!s.ok()) return FailRpc(s, o.address);
  return 0;
}

struct Command {
  CLI::App* flags;
  int (*run)(Stub& stub, const Options& o);
};

// Declares every subcommand and its flags on `app`, writing into `o`.
std::vector<Command> DefineCommands(CLI::App& app, Options& o) {
  auto* submit = app.add_subcommand("submit", "submit a job file; prints the job id");
  submit->add_option("job", o.job_file, "job file (JSON)")->required();
  submit->allow_extras();
  submit->footer(
      "Every --KEY VALUE after the file sets job parameter KEY, except\n"
      "--from-savepoint PATH, which starts the job from a savepoint. E.g.\n"
      "  ecctl submit examples/job.json --hostname 10.0.0.5 --port 9999 \\\n"
      "    --kafka-bootstrap-servers kafka:9092 --kafka-topic events_processed");

  auto* cancel = app.add_subcommand("cancel", "cancel a job");
  cancel->add_option("job_id", o.job_id, "job id")->required();

  auto* list = app.add_subcommand("list", "list jobs");
  list->add_option("--output,-o", o.output, "text or json")->check(CLI::IsMember({"text", "json"}));

  auto* status = app.add_subcommand("status", "show a job's state and metrics");
  status->add_option("job_id", o.job_id, "job id")->required();
  status->add_option("--output,-o", o.output, "text or json")
      ->check(CLI::IsMember({"text", "json"}));

  auto* savepoint =
      app.add_subcommand("savepoint", "take a savepoint of a running job; prints its path");
  savepoint->add_option("job_id", o.job_id, "job id")->required();
  savepoint->add_option("--path", o.savepoint_path, "directory to write it under");

  auto* stop =
      app.add_subcommand("stop", "stop a job with a savepoint; prints the savepoint's path");
  stop->add_option("job_id", o.job_id, "job id")->required();
  stop->add_option("--savepoint-path", o.savepoint_path, "directory to write the savepoint under");

  auto* rescale = app.add_subcommand(
      "rescale", "rescale a running job: stop it after a checkpoint, redeploy at --parallelism");
  rescale->add_option("job_id", o.job_id, "job id")->required();
  rescale->add_option("--parallelism", o.new_parallelism, "the job's new parallelism")
      ->required()
      ->check(CLI::PositiveNumber);
  auto* taskmanagers = app.add_subcommand("taskmanagers", "list registered TaskManagers");
  taskmanagers->add_option("--output,-o", o.output, "text or json")
      ->check(CLI::IsMember({"text", "json"}));

  return {
      {submit, Submit},       {cancel, Cancel}, {list, List},       {status, Status},
      {savepoint, Savepoint}, {stop, Stop},     {rescale, Rescale}, {taskmanagers, TaskManagers}};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ecctl: submit and manage EventCluster jobs"};
  app.require_subcommand(1);
  Options options;
  const char* env_jm = std::getenv("EC_JOBMANAGER");
  options.address = env_jm ? env_jm : "localhost:6123";
  app.add_option("--jobmanager", options.address,
                 "JobManager HOST:PORT (default $EC_JOBMANAGER or localhost:6123)");
  std::string token_file, tls_ca, tls_cert, tls_key;
  app.add_option("--token-file", token_file,
                 "file holding your token for the JobManager (default $EC_TOKEN)");
  app.add_option("--tls-ca", tls_ca, "PEM CA: call the JobManager over TLS, verified with it")
      ->check(CLI::ExistingFile);
  app.add_option("--tls-cert", tls_cert, "PEM client certificate (mutual TLS)")
      ->check(CLI::ExistingFile);
  app.add_option("--tls-key", tls_key, "PEM private key of --tls-cert")->check(CLI::ExistingFile);
  const std::vector<Command> commands = DefineCommands(app, options);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    return Fail(std::string(e.what()) + " (see ecctl --help)");
  }

  if (!token_file.empty()) {
    std::ifstream in(token_file);
    if (!in) return Fail("cannot read --token-file " + token_file);
    std::getline(in, Token());
    while (!Token().empty() && std::isspace(static_cast<unsigned char>(Token().back()))) {
      Token().pop_back();
    }
    if (Token().empty()) return Fail("--token-file " + token_file + " is empty");
  } else if (const char* env = std::getenv("EC_TOKEN"); env && *env) {
    Token() = env;
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!tls_ca.empty() || !tls_cert.empty()) {
    if (tls_cert.empty() != tls_key.empty()) return Fail("--tls-cert and --tls-key go together");
    grpc::SslCredentialsOptions tls;
    auto read = [](const std::string& path) {
      std::ifstream in(path, std::ios::binary);
      std::stringstream text;
      text << in.rdbuf();
      return text.str();
    };
    if (!tls_ca.empty()) tls.pem_root_certs = read(tls_ca);
    if (!tls_cert.empty()) {
      tls.pem_cert_chain = read(tls_cert);
      tls.pem_private_key = read(tls_key);
    }
    credentials = grpc::SslCredentials(tls);
  }
  auto stub =
      ec::proto::ClientService::NewStub(grpc::CreateChannel(options.address, credentials));
  for (const Command& command : commands) {
    if (!*command.flags) continue;
    options.extras = command.flags->remaining();  // submit's job parameters
    return command.run(*stub, options);
  }
  return Fail("unknown command");
}
