#include "support/killable_process.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
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

// Appends what is available; false at EOF or on a hard error (the pipe is then done).
bool drain(int fd, std::string& into)
{
    char buf[4096];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
        into.append(buf, static_cast<std::size_t>(n));
        return true;
    }
    return n < 0 && (errno == EINTR || errno == EAGAIN);
}

} // namespace

killable_process::killable_process(const std::vector<std::string>& argv)
{
    if (argv.empty()) {
        _spawn_error = "empty command line";
        return;
    }
    int out_pipe[2] = { -1, -1 };
    int err_pipe[2] = { -1, -1 };
    int exec_pipe[2] = { -1, -1 }; // carries errno from a failed exec; closed by a successful one
    if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0 || ::pipe2(exec_pipe, O_CLOEXEC) != 0) {
        _spawn_error = std::strerror(errno);
        for (int* p : { out_pipe, err_pipe, exec_pipe }) {
            close_fd(p[0]);
            close_fd(p[1]);
        }
        return;
    }
    std::vector<char*> args;
    for (const auto& a : argv) {
        args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);

    const pid_t parent = ::getpid();
    _pid = ::fork();
    if (_pid == 0) {
        // Child: only async-signal-safe calls from here on. It dies with the test process, so
        // a test that crashes does not leave it running (an appender would fill the disk).
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) {
            ::_exit(127); // the test died before prctl took effect
        }
        const int devnull = ::open("/dev/null", O_RDONLY);
        if (devnull >= 0) {
            ::dup2(devnull, STDIN_FILENO);
        }
        ::dup2(out_pipe[1], STDOUT_FILENO);
        ::dup2(err_pipe[1], STDERR_FILENO);
        ::execvp(args[0], args.data());
        const int e = errno;
        const ssize_t ignored = ::write(exec_pipe[1], &e, sizeof e);
        (void)ignored;
        ::_exit(127);
    }
    close_fd(out_pipe[1]);
    close_fd(err_pipe[1]);
    close_fd(exec_pipe[1]);
    if (_pid < 0) {
        _spawn_error = std::strerror(errno);
        close_fd(out_pipe[0]);
        close_fd(err_pipe[0]);
        close_fd(exec_pipe[0]);
        return;
    }
    _out = out_pipe[0];
    _err_fd = err_pipe[0];
    int exec_errno = 0;
    if (::read(exec_pipe[0], &exec_errno, sizeof exec_errno) == sizeof exec_errno) {
        _spawn_error = argv[0] + ": " + std::strerror(exec_errno);
        reap();
    }
    close_fd(exec_pipe[0]);
}

killable_process::~killable_process()
{
    if (_pid > 0) {
        kill_and_reap();
    }
    close_fd(_out);
    close_fd(_err_fd);
}

bool killable_process::read_until(clock::time_point until)
{
    while (_out >= 0 || _err_fd >= 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - clock::now());
        if (left.count() <= 0) {
            return true;
        }
        int* fds[2] = { &_out, &_err_fd };
        std::string* sinks[2] = { &_out_buffer, &_err };
        pollfd p[2];
        int which[2];
        nfds_t n = 0;
        for (int i = 0; i < 2; ++i) {
            if (*fds[i] >= 0) {
                p[n] = pollfd{ *fds[i], POLLIN, 0 };
                which[n++] = i;
            }
        }
        const int ready = ::poll(p, n, static_cast<int>(left.count()));
        if (ready < 0 && errno != EINTR) {
            return false;
        }
        for (nfds_t k = 0; k < n && ready > 0; ++k) {
            if (p[k].revents != 0 && !drain(*fds[which[k]], *sinks[which[k]])) {
                close_fd(*fds[which[k]]);
            }
        }
    }
    return false;
}

std::optional<std::string> killable_process::take_line()
{
    const std::size_t nl = _out_buffer.find('\n');
    if (nl == std::string::npos) {
        return std::nullopt;
    }
    std::string line = _out_buffer.substr(0, nl);
    _out_buffer.erase(0, nl + 1);
    return line;
}

process_result killable_process::kill_and_reap(std::chrono::milliseconds deadline)
{
    if (_pid <= 0) {
        process_result r;
        r.spawn_error = _spawn_error.empty() ? "the process was reaped already" : _spawn_error;
        return r;
    }
    ::kill(_pid, SIGKILL); // a no-op on a child that exited and was not reaped yet
    // What it wrote before it died is still in the pipes: read it to the end.
    const bool closed = !read_until(clock::now() + deadline);
    auto r = reap();
    r.timed_out = !closed;
    return r;
}

process_result killable_process::wait_until(clock::time_point until)
{
    if (_pid <= 0) {
        return kill_and_reap(); // says why there is no child
    }
    if (read_until(until)) {
        auto r = kill_and_reap(); // its output is still open at the deadline
        r.timed_out = true;
        return r;
    }
    // Both pipes are closed, but a child may close them and keep running: wait for it under
    // the same deadline.
    for (;;) {
        int wstatus = 0;
        const pid_t w = ::waitpid(_pid, &wstatus, WNOHANG);
        if (w == _pid) {
            return result_of(wstatus);
        }
        if ((w < 0 && errno != EINTR) || clock::now() >= until) {
            auto r = kill_and_reap();
            r.timed_out = w >= 0;
            return r;
        }
        ::usleep(10'000);
    }
}

process_result killable_process::reap()
{
    int wstatus = 0;
    while (::waitpid(_pid, &wstatus, 0) < 0 && errno == EINTR) {
    }
    return result_of(wstatus);
}

process_result killable_process::result_of(int wstatus)
{
    process_result r;
    _pid = -1;
    if (WIFEXITED(wstatus)) {
        r.exit_code = WEXITSTATUS(wstatus);
    } else if (WIFSIGNALED(wstatus)) {
        r.signalled = true;
        r.signal = WTERMSIG(wstatus);
    }
    r.out = _out_buffer;
    r.err = _err;
    return r;
}

} // namespace plexus::tests
