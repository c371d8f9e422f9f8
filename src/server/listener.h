// Listening socket helpers for `cairn serve`: bind/listen on an address and port, learn the
// bound port, accept non-blocking clients. All socket system calls of the server besides
// read/send on a connection live here and in connection.cc.
#ifndef CAIRN_SERVER_LISTENER_H_
#define CAIRN_SERVER_LISTENER_H_

#include <cstdint>
#include <string>

#include "cairn/status.h"

namespace cairn::server {

// Creates a non-blocking listening TCP socket bound to `address`:`port` (port 0: any free
// one) with SO_REUSEADDR. On success *fd is the socket and *bound_port the port.
Status Listen(const std::string& address, uint16_t port, int* fd, uint16_t* bound_port);

// Accepts one client as a non-blocking, close-on-exec socket with TCP_NODELAY. Returns the
// socket, -1 when no client is waiting (EAGAIN), or -2 on another error (*error says which;
// EMFILE and the like are transient, so the caller logs and continues).
int AcceptClient(int listen_fd, std::string* peer, int* error);

// Writes `port` and a newline to `path` atomically (temporary file, then rename).
Status WritePortFile(const std::string& path, uint16_t port);

}  // namespace cairn::server

#endif  // CAIRN_SERVER_LISTENER_H_
