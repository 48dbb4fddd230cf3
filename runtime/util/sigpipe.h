// Writing to a socket whose peer has closed raises SIGPIPE, which kills a process that has not
// ignored it. send() can say MSG_NOSIGNAL; OpenSSL cannot (it writes with write()).
#pragma once

#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <ctime>

namespace ec {

// SIGPIPE blocked on this thread for the object's life (one SSL_* call), and one raised meanwhile
// taken off the pending set before the mask is restored: the write fails EPIPE instead.
// errno is kept as the call left it.
class SigpipeSuppressed {
 public:
  SigpipeSuppressed() {
    sigset_t pending;
    sigpending(&pending);
    already_pending_ = sigismember(&pending, SIGPIPE) == 1;
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &block, &old_);
  }
  ~SigpipeSuppressed() {
    const int saved_errno = errno;
    if (!already_pending_) {
      sigset_t pipe;
      sigemptyset(&pipe);
      sigaddset(&pipe, SIGPIPE);
      const timespec none{0, 0};
      while (sigtimedwait(&pipe, nullptr, &none) == -1 && errno == EINTR) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    errno = saved_errno;
  }
  SigpipeSuppressed(const SigpipeSuppressed&) = delete;
  SigpipeSuppressed& operator=(const SigpipeSuppressed&) = delete;

 private:
  sigset_t old_;
  bool already_pending_ = false;
};

}  // namespace ec
