#include "server/listener.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "server/limits.h"

namespace cairn::server {
namespace {

Status Errno(const std::string& what) {
  return Status::IOError(what + ": " + strerror(errno));
}

}  // namespace

Status Listen(const std::string& address, uint16_t port, int* fd, uint16_t* bound_port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  std::string service = std::to_string(port);
  int rc = getaddrinfo(address.c_str(), service.c_str(), &hints, &found);
  if (rc != 0) {
    return Status::InvalidArgument("bind address " + address + ": " + gai_strerror(rc));
  }
  Status result = Status::IOError("no usable address for " + address);
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    int s = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0) {
      result = Errno("socket");
      continue;
    }
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(s, ai->ai_addr, ai->ai_addrlen) != 0 || listen(s, kListenBacklog) != 0) {
      result = Errno("bind/listen " + address + ":" + service);
      close(s);
      continue;
    }
    sockaddr_storage bound{};
    socklen_t length = sizeof(bound);
    if (getsockname(s, reinterpret_cast<sockaddr*>(&bound), &length) != 0) {
      result = Errno("getsockname");
      close(s);
      continue;
    }
    *bound_port = ntohs(bound.ss_family == AF_INET6
                            ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    *fd = s;
    result = Status::OK();
    break;
  }
  freeaddrinfo(found);
  return result;
}

int AcceptClient(int listen_fd, std::string* peer, int* error) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  int fd = accept4(listen_fd, reinterpret_cast<sockaddr*>(&address), &length,
                   SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) {
    *error = errno;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? -1 : -2;
  }
  int one = 1;
  // Replies are written whole per loop iteration; Nagle's delay would only add latency.
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  char host[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  if (address.ss_family == AF_INET) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
    inet_ntop(AF_INET, &v4->sin_addr, host, sizeof(host));
    port = ntohs(v4->sin_port);
  } else if (address.ss_family == AF_INET6) {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
    inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof(host));
    port = ntohs(v6->sin6_port);
  }
  *peer = std::string(host) + ":" + std::to_string(port);
  return fd;
}

Status WritePortFile(const std::string& path, uint16_t port) {
  std::string temp = path + ".tmp";
  FILE* file = fopen(temp.c_str(), "w");
  if (file == nullptr) {
    return Errno("open " + temp);
  }
  bool ok = fprintf(file, "%u\n", static_cast<unsigned>(port)) > 0;
  ok = fclose(file) == 0 && ok;
  if (!ok || rename(temp.c_str(), path.c_str()) != 0) {
    return Errno("write " + path);
  }
  return Status::OK();
}

}  // namespace cairn::server
