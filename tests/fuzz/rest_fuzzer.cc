// Fuzzes the JobManager's REST handlers as a client on the network reaches them: each input is
// one HTTP request (request line with path and query, headers and cookies, then a JSON or
// multipart body), sent over loopback to a real RestServer with a real Dispatcher (no
// TaskManagers: submitted jobs wait for slots), tokens and an upload directory. The harness
// frames the request itself (its Content-Length and "Connection: close" replace any the input
// has), so every input gets its answer without waiting out a read timeout. The seed corpus
// carries the viewer and admin tokens below, so mutations reach the handlers behind
// authentication, and "{JOB}" and "{JAR}", which stand for a job and an uploaded job file made
// at start (ids the server picks). The server must answer every request with a well-formed HTTP
// response or close the connection, and must go on answering.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <strings.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "jobmanager/dispatcher.h"
#include "jobmanager/job_uploads.h"
#include "jobmanager/rest_server.h"
#include "runtime/logging.h"
#include "runtime/security/user_tokens.h"
#include "runtime/util/tcp.h"

namespace {

namespace fs = std::filesystem;

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "rest_fuzzer: %s\n", what.c_str());
  __builtin_trap();
}

// A port nothing listens on now (bound to 0, then released).
int FreePort() {
  auto socket = ec::ListenTcp("127.0.0.1", 0);
  if (!socket.ok()) Fail("no free port: " + std::string(socket.status().message()));
  close(socket->fd);
  return socket->port;
}

// Whether `response` holds a head and as much body as its Content-Length says (none for HEAD).
bool Complete(const std::string& response, bool head_only) {
  const size_t head_end = response.find("\r\n\r\n");
  if (head_end == std::string::npos) return false;
  if (head_only) return true;
  const size_t at = response.find("\r\nContent-Length: ");
  if (at == std::string::npos || at > head_end) return true;
  const size_t length = std::strtoul(response.c_str() + at + 18, nullptr, 10);
  return response.size() >= head_end + 4 + length;
}

struct Server {
  Server() {
    dir = fs::temp_directory_path() / ("ec-rest-fuzzer-" + std::to_string(getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::ofstream(dir / "tokens") << "viewer viewer viewer-token-0123456789\n"
                                     "admin admin admin-token-0123456789\n";
    tokens = *ec::UserTokens::Load((dir / "tokens").string());
    ec::Dispatcher::Options options;
    options.checkpoint_dir = (dir / "checkpoints").string();
    options.jobs_dir = (dir / "jobs").string();
    options.max_jobs = 20;
    options.max_ended_jobs = 20;
    dispatcher = std::make_unique<ec::Dispatcher>(
        options, [](const std::string&) -> std::unique_ptr<ec::TaskManagerGateway> {
          return nullptr;  // never called: no TaskManager registers
        });
    dispatcher->Start();
    uploads = std::make_unique<ec::JobUploads>((dir / "uploads").string());
    rest = std::make_unique<ec::RestServer>(dispatcher.get(), tokens.get(), ec::TlsFiles{},
                                            uploads.get());
    const std::string job_file = R"({"name": "fuzz", "pipeline": [
      {"type": "socket-source", "hostname": "127.0.0.1", "port": 9}, {"type": "discard-sink"}]})";
    job = *dispatcher->SubmitJob(job_file, {});
    jar = uploads->Store("job.json", job_file)->id;
    port = FreePort();
    if (!rest->Start("127.0.0.1", port)) Fail("cannot serve on port " + std::to_string(port));
  }

  // Sends `request` on a new connection and reads until the server closes it; returns what it
  // answered.
  std::string Exchange(std::string_view request) const {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int attempt = 0; connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0;
         ++attempt) {
      if (attempt == 200) Fail("the REST server stopped accepting connections");
      usleep(10000);  // still starting
    }
    timeval timeout{.tv_sec = 20, .tv_usec = 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    for (size_t sent = 0; sent < request.size();) {
      const ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;  // the server may close early on a bad request
      sent += static_cast<size_t>(n);
    }
    // Until one whole response is in (httplib keeps a connection it could not parse a
    // request from open for its keep-alive timeout), or the server closes.
    std::string response;
    char buffer[16384];
    ssize_t n = 0;
    const bool head_only = request.rfind("HEAD ", 0) == 0;
    while (!Complete(response, head_only) && (n = recv(fd, buffer, sizeof(buffer), 0)) > 0) {
      response.append(buffer, n);
    }
    // A reset is the server closing with bytes of ours unread (it need not read a body it
    // refuses): allowed. Only a silent server fails.
    if (!Complete(response, head_only) && n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      Fail("no answer within 20 s (" + std::to_string(response.size()) + " bytes of one in)");
    }
    close(fd);
    return response;
  }

  fs::path dir;
  std::unique_ptr<ec::UserTokens> tokens;
  std::unique_ptr<ec::Dispatcher> dispatcher;
  std::unique_ptr<ec::JobUploads> uploads;
  std::unique_ptr<ec::RestServer> rest;
  std::string job, jar;
  int port = 0;
};

// The input's head (up to its first empty line) without the headers that frame a body and with
// bare CRs and LFs as spaces, then the harness's framing, then the rest of the input as the
// body. (Requests without a length have their own seed, post-without-length, which the
// harness sends framed like any other; the server's 411 for them is tested in test_rest_jobs.)
std::string Framed(std::string_view input) {
  const size_t end = input.find("\r\n\r\n");
  const std::string_view head = input.substr(0, end);
  const std::string_view body = end == std::string_view::npos ? "" : input.substr(end + 4);
  std::string request;
  for (size_t at = 0; at <= head.size();) {
    size_t eol = head.find("\r\n", at);
    if (eol == std::string_view::npos) eol = head.size();
    const std::string_view line = head.substr(at, eol - at);
    auto named = [line](std::string_view name) {
      return line.size() >= name.size() &&
             strncasecmp(line.data(), name.data(), name.size()) == 0;
    };
    // An empty line would end the head early and leave the framing in the body.
    if (!line.empty() && !named("content-length:") && !named("transfer-encoding:") &&
        !named("connection:")) {
      // A bare CR or LF would end the head early and leave the framing in the body.
      for (char c : line) request.push_back(c == '\r' || c == '\n' ? ' ' : c);
      request.append("\r\n");
    }
    at = eol + 2;
  }
  request.append("Content-Length: ").append(std::to_string(body.size()));
  request.append("\r\nConnection: close\r\n\r\n").append(body);
  return request;
}

void ReplaceAll(std::string& text, std::string_view from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // a line per refusal would drown the fuzzer's output
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Server* server = new Server();
  std::string request(reinterpret_cast<const char*>(data), size);
  ReplaceAll(request, "{JOB}", server->job);
  ReplaceAll(request, "{JAR}", server->jar);
  const std::string response = server->Exchange(Framed(request));
  if (!response.empty() && response.rfind("HTTP/1.1 ", 0) != 0) {
    Fail("not an HTTP response: " + response.substr(0, 80));
  }
  // Still serving (checked every 64 inputs): a GET of the overview without a token gets 401.
  static uint64_t inputs = 0;
  if (++inputs % 64 == 0) {
    const std::string probe = server->Exchange(Framed("GET /overview HTTP/1.1\r\nHost: x"));
    if (probe.rfind("HTTP/1.1 401", 0) != 0) {
      Fail("the server no longer answers as before after that input: " + probe.substr(0, 200));
    }
  }
  return 0;
}
