"""The brokers the protocol benchmarks run against, each started privately on free loopback
ports with its data in a temporary directory, and stopped (with everything it started) by
stop(). Only processes started here are ever signalled, by their pid."""

import glob
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
    """plexusd from the build tree with a generated config: data_dir in `work`, a listener for
    every gateway the build has (AMQP 0-9-1, MQTT, STOMP on port 0; Kafka on a free port chosen
    here, see start()) and the admin API on port 0, the bound ports read back from its
    ports_file."""

    name = "plexus"
    title = "Plexus"
    # protocol -> (listener and plugin name, plugin file)
    GATEWAYS = {
        "amqp": ("amqp091", "libplexus_protocol_amqp091.so"),
        "mqtt": ("mqtt", "libplexus_protocol_mqtt.so"),
        "stomp": ("stomp", "libplexus_protocol_stomp.so"),
        "kafka": ("kafka", "libplexus_protocol_kafka.so"),
    }

    def __init__(self, build_dir, work, protocols):
        self.build_dir = build_dir
        self.work = os.path.join(work, "plexus")
        self.protocols = [p for p in protocols if p in plexus_broker.gateways(build_dir)]
        self.proc = None
        self.ports = {}

    @staticmethod
    def gateways(build_dir):
        """The protocols whose gateway plugin this build has."""
        plugins = os.path.join(build_dir, "plugins")
        return [p for p, (_, f) in plexus_broker.GATEWAYS.items() if os.path.exists(os.path.join(plugins, f))]

    @staticmethod
    def available(build_dir):
        """None when plexusd and at least one gateway are built, else why not."""
        plexusd = os.path.join(build_dir, "kernel", "plexusd")
        if not os.access(plexusd, os.X_OK):
            return f"{plexusd} is not built"
        if not plexus_broker.gateways(build_dir):
            return "this build has no protocol gateway"
        return None

    def serves(self, protocol):
        return protocol in self.protocols

    def start(self):
        os.makedirs(self.work, exist_ok=True)
        ports_file = os.path.join(self.work, "ports.json")
        config = os.path.join(self.work, "plexus.yaml")
        listeners = "".join(self.listener(p) for p in self.protocols)
        with open(config, "w") as f:
            f.write(
                f'data_dir: "{os.path.join(self.work, "data")}"\n'
                f'ports_file: "{ports_file}"\n'
                f'plugin_dirs: ["{os.path.join(self.build_dir, "plugins")}"]\n'
                "log: { level: warn }\n"
                "admin: { enabled: true, host: 127.0.0.1, port: 0 }\n"
                # As the embedded default: durable queues in the file engine, transient ones in
                # memory (as RabbitMQ and Mosquitto keep them).
                "storage: { default: file, transient: memory, engines: { file: {}, memory: {} } }\n"
                "listeners:\n" + listeners
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
        missing = [self.GATEWAYS[p][0] for p in self.protocols if self.GATEWAYS[p][0] not in self.ports]
        if missing:
            self.stop()
            raise broker_error(f"plexusd's ports file lacks {', '.join(missing)}: {self.ports}")

    @classmethod
    def listener(cls, protocol):
        """One line of the config's listeners, each on port 0 (the bound ports are read back
        from the ports file). The Kafka listener names no advertised address: it tells each
        client the address and port the client connected to."""
        name = cls.GATEWAYS[protocol][0]
        return f"  - {{ name: {name}, protocol: {name}, host: 127.0.0.1, port: 0 }}\n"

    def port(self, protocol):
        return int(self.ports[self.GATEWAYS[protocol][0]])

    def pid(self):
        return self.proc.pid

    def version(self):
        return f"(this commit, {os.path.basename(os.path.normpath(self.build_dir))} build)"

    def stop(self):
        code = stop_process(self.proc)
        self.proc = None
        return code


class rabbitmq_broker:
    """Debian's rabbitmq-server as a private node: its own node name, AMQP, MQTT, STOMP and
    distribution ports on loopback, Mnesia and log directories, config, plugin list (the
    rabbitmq_mqtt and rabbitmq_stomp plugins when the run has scenarios of theirs) and Erlang
    cookie (HOME), and an epmd of its own on a private port, so the system's service and any
    other node are never touched."""

    name = "rabbitmq"
    title = "RabbitMQ"
    server = "/usr/lib/rabbitmq/bin/rabbitmq-server"
    PLUGINS = {"mqtt": "rabbitmq_mqtt", "stomp": "rabbitmq_stomp"}

    def __init__(self, work, protocols):
        self.work = os.path.join(work, "rabbitmq")
        have = rabbitmq_broker.installed_protocols()
        self.protocols = [p for p in protocols if p in have]
        self.proc = None
        self.epmd = None
        self.ports = {}
        self.beam_pid = None

    @classmethod
    def installed_protocols(cls):
        """AMQP, and MQTT and STOMP when their plugins are installed (Debian ships them)."""
        found = ["amqp"]
        for protocol, plugin in cls.PLUGINS.items():
            if glob.glob(f"/usr/lib/rabbitmq/lib/rabbitmq_server-*/plugins/{plugin}-*"):
                found.append(protocol)
        return found

    def serves(self, protocol):
        return protocol in self.protocols

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
        self.ports = {p: free_port() for p in ["amqp"] + [p for p in self.protocols if p != "amqp"]}
        dist_port = free_port()
        epmd_port = free_port()
        conf = os.path.join(w, "rabbitmq.conf")
        with open(conf, "w") as f:
            # No memory or disk alarm during a run: a benchmark that trips one measures the alarm.
            f.write(
                f"listeners.tcp.1 = 127.0.0.1:{self.ports['amqp']}\n"
                "loopback_users = none\n"
                "vm_memory_high_watermark.relative = 0.6\n"
                "disk_free_limit.absolute = 50MB\n"
                "log.console = false\n"
                "log.file.level = warning\n"
            )
            if "mqtt" in self.ports:
                # guest/guest is what plexus-bench logs in with; anonymous would map to it too.
                f.write(f"mqtt.listeners.tcp.1 = 127.0.0.1:{self.ports['mqtt']}\n"
                        "mqtt.allow_anonymous = true\n")
            if "stomp" in self.ports:
                f.write(f"stomp.listeners.tcp.1 = 127.0.0.1:{self.ports['stomp']}\n")
        plugins = [self.PLUGINS[p] for p in self.protocols if p in self.PLUGINS]
        with open(os.path.join(w, "enabled_plugins"), "w") as f:
            f.write(f"[{','.join(plugins)}].\n")
        open(os.path.join(w, "rabbitmq-env.conf"), "w").close()
        pid_file = os.path.join(w, "rabbit.pid")
        env = dict(os.environ)
        env.update({
            "HOME": os.path.join(w, "home"),
            "ERL_EPMD_PORT": str(epmd_port),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODENAME": self.nodename,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.ports["amqp"]),
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
        # Plugins start after the core: wait for every listener, not only AMQP's.
        for protocol, port in self.ports.items():
            if not wait_for_port(port, 120, lambda: self.proc.poll() is None):
                code = self.proc.poll()
                self.stop()
                raise broker_error(f"RabbitMQ did not open its {protocol} port (exit {code}):\n"
                                   f"{tail(self.log_path)}")
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

    def port(self, protocol):
        return self.ports[protocol]

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


class mosquitto_broker:
    """Debian's mosquitto as a private process: a generated config with one listener on a free
    loopback port, no persistence, and no queue limit (its default of 1 000 queued QoS 1/2
    messages per client would drop messages a run counts as lost; Plexus and RabbitMQ queue
    without such a limit). Everything else, the in-flight window of 20 per subscriber included,
    is Mosquitto's default. It logs to stderr, into the temporary directory."""

    name = "mosquitto"
    title = "Mosquitto"
    protocols_served = ["mqtt"]

    def __init__(self, work):
        self.work = os.path.join(work, "mosquitto")
        self.proc = None
        self.mqtt_port = None

    @staticmethod
    def binary():
        return shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if os.access("/usr/sbin/mosquitto", os.X_OK)
                                             else None)

    @classmethod
    def available(cls):
        if cls.binary() is None:
            return "mosquitto is not installed (Debian package mosquitto)"
        return None

    def serves(self, protocol):
        return protocol in self.protocols_served

    def start(self):
        os.makedirs(self.work, exist_ok=True)
        self.mqtt_port = free_port()
        conf = os.path.join(self.work, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write(
                f"listener {self.mqtt_port} 127.0.0.1\n"
                "allow_anonymous true\n"
                "persistence false\n"
                "max_queued_messages 0\n"
                "set_tcp_nodelay true\n"
                "log_dest stderr\n"
                "log_type error\n"
                "log_type warning\n"
            )
        self.log_path = os.path.join(self.work, "mosquitto.log")
        log = open(self.log_path, "w")
        self.proc = subprocess.Popen([self.binary(), "-c", conf], stdin=subprocess.DEVNULL, stdout=log,
                                     stderr=log, cwd=self.work)
        log.close()
        if not wait_for_port(self.mqtt_port, 30, lambda: self.proc.poll() is None):
            code = self.proc.poll()
            self.stop()
            raise broker_error(f"Mosquitto did not open its port (exit {code}):\n{tail(self.log_path)}")

    def port(self, protocol):
        return self.mqtt_port

    def pid(self):
        return self.proc.pid

    def version(self):
        try:
            out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "mosquitto"],
                                 capture_output=True, text=True, timeout=10).stdout
            return out.strip() or "unknown"
        except (OSError, subprocess.TimeoutExpired):
            return "unknown"

    def stop(self):
        code = stop_process(self.proc)
        self.proc = None
        return code
