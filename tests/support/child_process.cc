#include "support/child_process.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace plexus::tests {
namespace {

void close_fd(int& fd)
{
    if (fd >= 0) {
        ::close(fd);
        fd = -1;
    }
}

// Reads what is available; returns false at EOF or on error.
bool drain(int fd, std::string& into)
{
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
        into.append(buf, static_cast<std::size_t>(n));
        return true;
    }
    return n < 0 && (errno == EINTR || errno == EAGAIN);
}

} // namespace

std::string process_result::describe() const
{
    std::string s;
    if (!spawn_error.empty()) {
        s = "could not start: " + spawn_error;
    } else if (timed_out) {
        s = "timed out";
    } else if (signalled) {
        s = "killed by signal " + std::to_string(signal);
    } else {
        s = "exit " + std::to_string(exit_code);
    }
    if (!out.empty()) {
        s += "\n--- stdout ---\n" + out;
    }
    if (!err.empty()) {
        s += "\n--- stderr ---\n" + err;
    }
    return s;
}

process_result run_process(const std::vector<std::string>& argv, std::chrono::milliseconds deadline)
{
    process_result r;
    if (argv.empty()) {
        r.spawn_error = "empty command line";
        return r;
    }
    int out_pipe[2] = { -1, -1 };
    int err_pipe[2] = { -1, -1 };
    int exec_pipe[2] = { -1, -1 }; // carries errno from a failed exec; closed by a successful one
    if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0 || ::pipe2(exec_pipe, O_CLOEXEC) != 0) {
        r.spawn_error = std::strerror(errno);
        for (int* p : { out_pipe, err_pipe, exec_pipe }) {
            close_fd(p[0]);
            close_fd(p[1]);
        }
        return r;
    }
    std::vector<char*> args;
    for (const auto& a : argv) {
        args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);

    pid_t pid = ::fork();
    if (pid == 0) {
        // Child: only async-signal-safe calls from here on.
        int devnull = ::open("/dev/null", O_RDONLY);
        if (devnull >= 0) {
            ::dup2(devnull, STDIN_FILENO);
        }
        ::dup2(out_pipe[1], STDOUT_FILENO);
        ::dup2(err_pipe[1], STDERR_FILENO);
        ::execvp(args[0], args.data());
        int e = errno;
        ssize_t ignored = ::write(exec_pipe[1], &e, sizeof e);
        (void)ignored;
        ::_exit(127);
    }
    close_fd(out_pipe[1]);
    close_fd(err_pipe[1]);
    close_fd(exec_pipe[1]);
    if (pid < 0) {
        r.spawn_error = std::strerror(errno);
        close_fd(out_pipe[0]);
        close_fd(err_pipe[0]);
        close_fd(exec_pipe[0]);
        return r;
    }
    int exec_errno = 0;
    if (::read(exec_pipe[0], &exec_errno, sizeof exec_errno) == sizeof exec_errno) {
        r.spawn_error = argv[0] + ": " + std::strerror(exec_errno);
    }
    close_fd(exec_pipe[0]);

    const auto until = std::chrono::steady_clock::now() + deadline;
    int fds[2] = { out_pipe[0], err_pipe[0] };
    std::string* sinks[2] = { &r.out, &r.err };
    while (fds[0] >= 0 || fds[1] >= 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            r.timed_out = true;
            ::kill(pid, SIGKILL);
            break;
        }
        pollfd p[2];
        nfds_t n = 0;
        int which[2];
        for (int i = 0; i < 2; ++i) {
            if (fds[i] >= 0) {
                p[n] = pollfd{ fds[i], POLLIN, 0 };
                which[n++] = i;
            }
        }
        int ready = ::poll(p, n, static_cast<int>(left.count()));
        if (ready < 0 && errno != EINTR) {
            break;
        }
        for (nfds_t k = 0; k < n && ready > 0; ++k) {
            if (p[k].revents != 0 && !drain(fds[which[k]], *sinks[which[k]])) {
                close_fd(fds[which[k]]);
            }
        }
    }
    close_fd(fds[0]);
    close_fd(fds[1]);

    // Both pipes are closed, but a child may close them and keep running: wait for it under
    // the same deadline.
    int wstatus = 0;
    while (!r.timed_out) {
        pid_t w = ::waitpid(pid, &wstatus, WNOHANG);
        if (w == pid || (w < 0 && errno != EINTR)) {
            break;
        }
        if (std::chrono::steady_clock::now() >= until) {
            r.timed_out = true;
            ::kill(pid, SIGKILL);
            break;
        }
        ::usleep(10'000);
    }
    if (r.timed_out) {
        while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
        }
    }
    if (WIFEXITED(wstatus)) {
        r.exit_code = WEXITSTATUS(wstatus);
    } else if (WIFSIGNALED(wstatus)) {
        r.signalled = true;
        r.signal = WTERMSIG(wstatus);
    }
    return r;
}

} // namespace plexus::tests
