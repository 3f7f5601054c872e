#pragma once
// Starts tests/engine/openai/sse_test_server.py on a free local port for one test and stops it after;
// https with a self-signed certificate when tls (available() is false without openssl).
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>
#include <string>

class HttpTestServer {
 public:
  explicit HttpTestServer(bool tls = false) : tls_(tls) {
    int out[2];
    if (pipe(out) != 0) throw std::runtime_error("pipe failed");
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      close(out[0]);
      close(out[1]);
      const std::string script =
          std::string(TPBENCH_SOURCE_DIR) + "/tests/engine/openai/sse_test_server.py";
      execl(TPBENCH_PYTHON3, TPBENCH_PYTHON3, script.c_str(), tls ? "--tls" : "--plain",
            static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    FILE* lines = fdopen(out[0], "r");
    char line[64] = {};
    const bool got = fgets(line, sizeof(line), lines) != nullptr;
    fclose(lines);
    if (!got) throw std::runtime_error("sse_test_server.py did not print its port");
    if (std::string(line).rfind("no-tls", 0) == 0) return;
    port_ = std::stoi(line);
  }
  ~HttpTestServer() {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  HttpTestServer(const HttpTestServer&) = delete;
  HttpTestServer& operator=(const HttpTestServer&) = delete;

  bool available() const { return port_ != 0; }
  int port() const { return port_; }
  std::string url(const std::string& path_and_query) const {
    return (tls_ ? "https" : "http") + std::string("://127.0.0.1:") + std::to_string(port_) +
           path_and_query;
  }

 private:
  bool tls_ = false;
  pid_t pid_ = -1;
  int port_ = 0;
};

// A local port nothing listens on: bound, then closed.
inline int closed_local_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}
