// LineServer: a scripted loopback TCP server for socket-source tests. Each accepted connection
// follows the next step of the script: optionally read the client's first line ("RESUME <n>"),
// write some chunks, then close or hold the connection open until Stop().
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ec::test_support {

class LineServer {
 public:
  struct Connection {
    bool read_first_line = false;     // wait (up to 5 s) for a line from the client first
    std::vector<std::string> writes;  // each chunk sent on its own, a short pause between
    bool hold_open = false;           // keep the connection until Stop() instead of closing

    Connection ReadFirstLine() const {
      Connection c = *this;
      c.read_first_line = true;
      return c;
    }
    Connection HoldOpen() const {
      Connection c = *this;
      c.hold_open = true;
      return c;
    }
  };

  // A connection that gets `writes` and is then closed (see ReadFirstLine(), HoldOpen()).
  static Connection Send(std::vector<std::string> writes) {
    Connection c;
    c.writes = std::move(writes);
    return c;
  }

  // Binds 127.0.0.1 on a free port. With `listen_now` false the socket is bound but does not
  // listen, so connections are refused until Listen().
  explicit LineServer(std::vector<Connection> script, bool listen_now = true)
      : script_(std::move(script)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    bound_ = bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    socklen_t len = sizeof(address);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &len);
    port_ = ntohs(address.sin_port);
    if (listen_now) Listen();
  }

  ~LineServer() { Stop(); }
  LineServer(const LineServer&) = delete;
  LineServer& operator=(const LineServer&) = delete;

  bool ok() const { return bound_ && listen_fd_ >= 0; }
  int port() const { return port_; }

  void Listen() {
    listen(listen_fd_, 8);
    thread_ = std::thread([this] { Serve(); });
  }

  // Closes every connection and joins the server thread. Idempotent.
  void Stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
    if (listen_fd_ >= 0) close(listen_fd_);
    listen_fd_ = -1;
  }

  int accepted() const { return accepted_.load(); }

  // The first lines clients sent, '\n' stripped, one per connection that read one.
  std::vector<std::string> first_lines() const {
    std::lock_guard<std::mutex> lock(mu_);
    return first_lines_;
  }

  // Bytes a connection without read_first_line received within its lifetime (should be none).
  std::string unexpected_bytes() const {
    std::lock_guard<std::mutex> lock(mu_);
    return unexpected_;
  }

 private:
  void Serve() {
    std::vector<int> held;
    size_t step = 0;
    while (!stopping_) {
      pollfd pfd{listen_fd_, POLLIN, 0};
      if (poll(&pfd, 1, 20) != 1) continue;
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      ++accepted_;
      if (step >= script_.size()) {  // past the script: refuse politely
        close(fd);
        continue;
      }
      const Connection& c = script_[step++];
      if (c.read_first_line) ReadLine(fd);
      for (const auto& chunk : c.writes) {
        SendAll(fd, chunk);
        std::this_thread::sleep_for(std::chrono::milliseconds(15));
      }
      if (c.hold_open) {
        held.push_back(fd);
      } else {
        if (!c.read_first_line) DrainUnexpected(fd);
        close(fd);
      }
    }
    for (int fd : held) close(fd);
  }

  void ReadLine(int fd) {
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    char c;
    while (std::chrono::steady_clock::now() < deadline && !stopping_) {
      pollfd pfd{fd, POLLIN, 0};
      if (poll(&pfd, 1, 20) != 1) continue;
      if (recv(fd, &c, 1, 0) != 1 || c == '\n') break;
      line.push_back(c);
    }
    std::lock_guard<std::mutex> lock(mu_);
    first_lines_.push_back(line);
  }

  void DrainUnexpected(int fd) {
    char buf[256];
    ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n > 0) {
      std::lock_guard<std::mutex> lock(mu_);
      unexpected_.append(buf, static_cast<size_t>(n));
    }
  }

  static void SendAll(int fd, const std::string& data) {
    size_t sent = 0;
    while (sent < data.size()) {
      ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<size_t>(n);
    }
  }

  std::vector<Connection> script_;
  int listen_fd_ = -1;
  bool bound_ = false;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<std::string> first_lines_;
  std::string unexpected_;
};

}  // namespace ec::test_support
