"""The brokers the protocol benchmarks run against, each started privately on free loopback
ports with its data in a temporary directory, and stopped (with everything it started) by
stop(). Only processes started here are ever signalled, by their pid."""

import os
import shutil
import signal
import socket
import subprocess
import time
import json


def free_port():
    """A port nothing listens on right now (the kernel's pick for port 0 on loopback)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, deadline_s, alive):
    """Polls until 127.0.0.1:port accepts a connection; False when `alive()` turns false or
    the deadline passes."""
    until = time.monotonic() + deadline_s
    while time.monotonic() < until:
        if not alive():
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def stop_process(proc, deadline_s=30):
    """SIGTERM, then SIGKILL after the deadline; returns the exit code (None when killed)."""
    if proc is None or proc.poll() is not None:
        return None if proc is None else proc.returncode
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=deadline_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None


def tail(path, lines=30):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


class broker_error(Exception):
    pass


class plexus_broker:
    """plexusd from the build tree with a generated config: data_dir in `work`, the AMQP
    listener and the admin API on port 0, the bound ports read back from its ports_file."""

    name = "plexus"
    title = "Plexus"

    def __init__(self, build_dir, work):
        self.build_dir = build_dir
        self.work = os.path.join(work, "plexus")
        self.proc = None
        self.ports = {}

    @staticmethod
    def available(build_dir):
        """None when plexusd and its AMQP gateway are built, else why not."""
        plexusd = os.path.join(build_dir, "kernel", "plexusd")
        plugin = os.path.join(build_dir, "plugins", "libplexus_protocol_amqp091.so")
        if not os.access(plexusd, os.X_OK):
            return f"{plexusd} is not built"
        if not os.path.exists(plugin):
            return "this build has no AMQP 0-9-1 gateway (protocols/amqp091)"
        return None

    def start(self):
        os.makedirs(self.work, exist_ok=True)
        ports_file = os.path.join(self.work, "ports.json")
        config = os.path.join(self.work, "plexus.yaml")
        with open(config, "w") as f:
            f.write(
                f'data_dir: "{os.path.join(self.work, "data")}"\n'
                f'ports_file: "{ports_file}"\n'
                f'plugin_dirs: ["{os.path.join(self.build_dir, "plugins")}"]\n'
                "log: { level: warn }\n"
                "admin: { enabled: true, host: 127.0.0.1, port: 0 }\n"
                "listeners:\n"
                "  - { name: amqp091, protocol: amqp091, host: 127.0.0.1, port: 0 }\n"
            )
        self.log_path = os.path.join(self.work, "plexusd.log")
        log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [os.path.join(self.build_dir, "kernel", "plexusd"), "--config", config],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()
        until = time.monotonic() + 30
        while not os.path.exists(ports_file):
            if self.proc.poll() is not None:
                raise broker_error(f"plexusd exited with {self.proc.returncode}:\n{tail(self.log_path)}")
            if time.monotonic() > until:
                self.stop()
                raise broker_error(f"plexusd wrote no ports file in 30 s:\n{tail(self.log_path)}")
            time.sleep(0.05)
        # The file is written once every listener is bound; re-read if caught mid-write.
        for _ in range(50):
            try:
                with open(ports_file) as f:
                    self.ports = json.load(f)
                break
            except ValueError:
                time.sleep(0.02)
        if "amqp091" not in self.ports:
            self.stop()
            raise broker_error(f"plexusd's ports file has no amqp091 port: {self.ports}")

    def amqp_port(self):
        return int(self.ports["amqp091"])

    def pid(self):
        return self.proc.pid

    def version(self):
        return f"(this commit, {os.path.basename(os.path.normpath(self.build_dir))} build)"

    def stop(self):
        code = stop_process(self.proc)
        self.proc = None
        return code


class rabbitmq_broker:
    """Debian's rabbitmq-server as a private node: its own node name, AMQP and distribution
    ports on loopback, Mnesia and log directories, config, plugin list (none) and Erlang cookie
    (HOME), and an epmd of its own on a private port, so the system's service and any other
    node are never touched."""

    name = "rabbitmq"
    title = "RabbitMQ"
    server = "/usr/lib/rabbitmq/bin/rabbitmq-server"

    def __init__(self, work):
        self.work = os.path.join(work, "rabbitmq")
        self.proc = None
        self.epmd = None
        self.port = None
        self.beam_pid = None

    @classmethod
    def available(cls):
        if not os.access(cls.server, os.X_OK):
            return "rabbitmq-server is not installed (Debian package rabbitmq-server)"
        if shutil.which("epmd") is None:
            return "epmd is not installed"
        return None

    def start(self):
        w = self.work
        for d in ("home", "mnesia", "log"):
            os.makedirs(os.path.join(w, d), exist_ok=True)
        self.nodename = f"plexus-bench-{os.getpid()}@localhost"
        self.port = free_port()
        dist_port = free_port()
        epmd_port = free_port()
        conf = os.path.join(w, "rabbitmq.conf")
        with open(conf, "w") as f:
            # No memory or disk alarm during a run: a benchmark that trips one measures the alarm.
            f.write(
                f"listeners.tcp.1 = 127.0.0.1:{self.port}\n"
                "loopback_users = none\n"
                "vm_memory_high_watermark.relative = 0.6\n"
                "disk_free_limit.absolute = 50MB\n"
                "log.console = false\n"
                "log.file.level = warning\n"
            )
        with open(os.path.join(w, "enabled_plugins"), "w") as f:
            f.write("[].\n")
        open(os.path.join(w, "rabbitmq-env.conf"), "w").close()
        pid_file = os.path.join(w, "rabbit.pid")
        env = dict(os.environ)
        env.update({
            "HOME": os.path.join(w, "home"),
            "ERL_EPMD_PORT": str(epmd_port),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODENAME": self.nodename,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(dist_port),
            "RABBITMQ_MNESIA_BASE": os.path.join(w, "mnesia"),
            "RABBITMQ_LOG_BASE": os.path.join(w, "log"),
            "RABBITMQ_CONFIG_FILE": conf,
            "RABBITMQ_ADVANCED_CONFIG_FILE": os.path.join(w, "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": os.path.join(w, "enabled_plugins"),
            "RABBITMQ_CONF_ENV_FILE": os.path.join(w, "rabbitmq-env.conf"),
            "RABBITMQ_PID_FILE": pid_file,
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        })
        self.log_path = os.path.join(w, "server.out")
        # epmd first, in the foreground as our child, so it is ours to stop (erl would
        # otherwise daemonise one that outlives the run).
        self.epmd = subprocess.Popen(["epmd", "-port", str(epmd_port), "-address", "127.0.0.1"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, env=env)
        if not wait_for_port(epmd_port, 10, lambda: self.epmd.poll() is None):
            self.stop()
            raise broker_error("epmd did not start")
        log = open(self.log_path, "w")
        # The script runs the VM as its child and stops it properly on SIGTERM.
        self.proc = subprocess.Popen([self.server], stdin=subprocess.DEVNULL, stdout=log,
                                     stderr=log, env=env, cwd=w)
        log.close()
        if not wait_for_port(self.port, 120, lambda: self.proc.poll() is None):
            code = self.proc.poll()
            self.stop()
            raise broker_error(f"RabbitMQ did not open its AMQP port (exit {code}):\n{tail(self.log_path)}")
        until = time.monotonic() + 10
        while self.beam_pid is None and time.monotonic() < until:
            try:
                with open(pid_file) as f:
                    self.beam_pid = int(f.read().strip())
            except (OSError, ValueError):
                time.sleep(0.05)
        if self.beam_pid is None:
            self.stop()
            raise broker_error("RabbitMQ wrote no pid file")

    def amqp_port(self):
        return self.port

    def pid(self):
        return self.beam_pid  # the Erlang VM: all of the broker's CPU time

    def version(self):
        try:
            out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "rabbitmq-server"],
                                 capture_output=True, text=True, timeout=10).stdout
            return out.strip()
        except (OSError, subprocess.TimeoutExpired):
            return "unknown"

    def stop(self):
        code = stop_process(self.proc, 60)
        self.proc = None
        # The VM is the script's child; if the script was killed, the VM must not live on.
        if self.beam_pid is not None:
            try:
                with open(f"/proc/{self.beam_pid}/cmdline", "rb") as f:
                    ours = self.nodename.encode() in f.read()
                if ours:
                    os.kill(self.beam_pid, signal.SIGKILL)
            except (OSError, ProcessLookupError):
                pass
            self.beam_pid = None
        stop_process(self.epmd, 10)
        self.epmd = None
        return code
