"""Hosts on one machine: a Linux network namespace per host, each joined to a router namespace by a
veth pair, on RFC 2544's benchmarking range (198.18.0.0/15, never routed). Traffic stays inside the
namespaces made here; nothing crosses a host's loopback.

Faults, with the kernel's own tools (this machine has neither iptables nor nft, nor the netem qdisc):
- a partition: a pair of `ip rule ... blackhole` rules in the router, for one host pair and
  optionally one TCP port (packets vanish, as on a cut link: no reset, no ICMP);
- delay and loss: the router's policy routing sends one pair's packets through a TUN device that
  tests/chaos/impairment.py reads, holds for the delay and drops at the loss rate, then writes back.
"""

import contextlib
import ctypes
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

CLONE_NEWNET = 0x40000000
NET = "198.18"  # RFC 2544: 198.18.0.0/15, set aside for benchmarking; each host has 198.18.<n>.2/24
IMPAIRED_TABLE = "124"
TUN = "impair0"
HOSTS = ("core", "worker1", "worker2", "receiver1", "receiver2", "client")
COMMAND_SECONDS = 10


def ip(*args: str) -> str:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=COMMAND_SECONDS)
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def cannot_build() -> str | None:
    """Why namespaces cannot be made here (None: they can)."""
    if sys.platform != "linux":
        return "network namespaces are Linux's"
    if os.geteuid() != 0:
        return "creating network namespaces needs root"
    if shutil.which("ip") is None:
        return "iproute2's `ip` is not installed"
    probe = "chaosprobe-" + str(os.getpid())
    try:
        ip("netns", "add", probe)
    except (RuntimeError, OSError) as err:
        return f"cannot create a network namespace: {err}"
    with contextlib.suppress(RuntimeError):
        ip("netns", "del", probe)
    if not Path("/dev/net/tun").exists():
        return "no /dev/net/tun for the delay and loss device"
    return None


def remove_leftovers(prefix: str) -> None:
    """Namespaces (and the processes in them) of an earlier run that crashed, by their name prefix."""
    for line in ip("netns", "list").splitlines():
        name = line.split()[0] if line.strip() else ""
        if name.startswith(prefix):
            kill_processes_in(name)
            with contextlib.suppress(RuntimeError):
                ip("netns", "del", name)


def kill_processes_in(namespace: str) -> None:
    with contextlib.suppress(RuntimeError):
        for pid in ip("netns", "pids", namespace).split():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)


def setns(path: str) -> None:
    """Move this thread (and threads it starts later) into the network namespace at `path`."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns {path}")
    finally:
        os.close(fd)


@dataclass
class Network:
    prefix: str
    hosts: tuple[str, ...] = HOSTS
    partitions: set[tuple[str, ...]] = field(default_factory=set)

    def namespace(self, host: str) -> str:
        return f"{self.prefix}{host}"

    @property
    def router(self) -> str:
        return f"{self.prefix}net"

    def address(self, host: str) -> str:
        return f"{NET}.{self.hosts.index(host) + 1}.2"

    def build(self) -> None:
        remove_leftovers(self.prefix)
        ip("netns", "add", self.router)
        ip("-n", self.router, "link", "set", "lo", "up")
        self._sysctl(self.router, "net.ipv4.ip_forward", "1")
        for key in ("all", "default"):
            self._sysctl(self.router, f"net.ipv4.conf.{key}.rp_filter", "0")
        for n, host in enumerate(self.hosts, start=1):
            ns = self.namespace(host)
            ip("netns", "add", ns)
            ip("-n", self.router, "link", "add", f"to-{host}", "type", "veth", "peer", "name", "eth0", "netns", ns)
            ip("-n", self.router, "addr", "add", f"{NET}.{n}.1/24", "dev", f"to-{host}")
            ip("-n", self.router, "link", "set", f"to-{host}", "up")
            self._sysctl(self.router, f"net.ipv4.conf.to-{host}.rp_filter", "0")
            ip("-n", ns, "link", "set", "lo", "up")
            ip("-n", ns, "addr", "add", f"{NET}.{n}.2/24", "dev", "eth0")
            ip("-n", ns, "link", "set", "eth0", "up")
            ip("-n", ns, "route", "add", "default", "via", f"{NET}.{n}.1")

    def teardown(self) -> None:
        for host in (*self.hosts, "net"):
            ns = f"{self.prefix}{host}"
            kill_processes_in(ns)
            with contextlib.suppress(RuntimeError):
                ip("netns", "del", ns)

    @staticmethod
    def _sysctl(ns: str, key: str, value: str) -> None:
        subprocess.run(["ip", "netns", "exec", ns, "sh", "-c", f"echo {value} > /proc/sys/{key.replace('.', '/')}"],
                       check=True, timeout=COMMAND_SECONDS)  # fmt: skip

    def _rules(self, a: str, b: str, port: int | None) -> list[list[str]]:
        there = ["from", self.address(a), "to", self.address(b)]
        back = ["from", self.address(b), "to", self.address(a)]
        if port is not None:
            there += ["ipproto", "tcp", "dport", str(port)]
            back += ["ipproto", "tcp", "sport", str(port)]
        return [there, back]

    def partition(self, a: str, b: str, port: int | None = None) -> None:
        """Cut `a` from `b` (only TCP port `port` of `b` if given), both ways, until heal()."""
        for rule in self._rules(a, b, port):
            ip("-n", self.router, "rule", "add", *rule, "blackhole")
        self.partitions.add((a, b, str(port)))

    def heal(self, a: str, b: str, port: int | None = None) -> None:
        for rule in self._rules(a, b, port):
            with contextlib.suppress(RuntimeError):
                ip("-n", self.router, "rule", "del", *rule, "blackhole")
        self.partitions.discard((a, b, str(port)))

    @contextlib.contextmanager
    def partitioned(self, a: str, b: str, port: int | None = None) -> Iterator[None]:
        self.partition(a, b, port)
        try:
            yield
        finally:
            self.heal(a, b, port)

    @contextlib.contextmanager
    def impaired(self, pairs: list[tuple[str, str]], delay: float, loss: float, seconds: float,
                 log_file: Path, port: int | None = None) -> Iterator[subprocess.Popen[bytes]]:  # fmt: skip
        """Every packet between each (a, b) pair (only to and from TCP port `port` of b, if given), both
        ways, `delay` seconds late and dropped with probability `loss`, for at most `seconds` (the
        impairment process exits by itself then, and the packets flow unimpaired)."""
        script = Path(__file__).with_name("impairment.py")
        with log_file.open("ab") as log:
            process = subprocess.Popen(
                ["ip", "netns", "exec", self.router, sys.executable, str(script), TUN, str(delay), str(loss),
                 str(seconds)], stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        rules = []
        try:
            deadline = time.monotonic() + COMMAND_SECONDS
            while TUN not in ip("-n", self.router, "link", "show") or "UP" not in ip(
                "-n", self.router, "link", "show", TUN
            ):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the impairment device never came up (see {log_file})")
                time.sleep(0.05)
            self._sysctl(self.router, f"net.ipv4.conf.{TUN}.rp_filter", "0")
            ip("-n", self.router, "route", "add", "default", "dev", TUN, "table", IMPAIRED_TABLE)
            for a, b in pairs:
                for src, dst, side in ((a, b, "dport"), (b, a, "sport")):
                    rule = ["iif", f"to-{src}", "to", self.address(dst)]
                    rule += ["ipproto", "tcp", side, str(port)] if port is not None else []
                    ip("-n", self.router, "rule", "add", *rule, "table", IMPAIRED_TABLE)
                    rules.append([*rule, "table", IMPAIRED_TABLE])
            yield process
        finally:
            for rule in rules:
                with contextlib.suppress(RuntimeError):
                    ip("-n", self.router, "rule", "del", *rule)
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(COMMAND_SECONDS)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(COMMAND_SECONDS)
