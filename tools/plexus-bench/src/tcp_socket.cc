#include "tcp_socket.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace plexus::bench {

int connect_tcp(const std::string& host, std::uint16_t port, const std::string& role)
{
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    auto service = std::to_string(port);
    int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found);
    if (rc != 0) {
        throw driver_error(role + ": cannot resolve " + host + ": " + ::gai_strerror(rc));
    }
    int fd = -1;
    int err = 0;
    for (auto* a = found; a != nullptr && fd < 0; a = a->ai_next) {
        fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd >= 0 && ::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            err = errno;
            ::close(fd);
            fd = -1;
        }
    }
    ::freeaddrinfo(found);
    if (fd < 0) {
        throw driver_error(role + ": cannot connect to " + host + ":" + service + ": " + std::strerror(err));
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

void send_all(int fd, std::string_view bytes, const std::string& role)
{
    while (!bytes.empty()) {
        auto n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            throw driver_error(role + ": send: " + std::strerror(errno));
        }
        bytes.remove_prefix(std::size_t(n));
    }
}

bool wait_readable(int fd, int wait_ms, const std::string& role)
{
    pollfd p{ fd, POLLIN, 0 };
    int r = ::poll(&p, 1, wait_ms);
    if (r < 0 && errno != EINTR) {
        throw driver_error(role + ": poll: " + std::strerror(errno));
    }
    return r > 0;
}

} // namespace plexus::bench
