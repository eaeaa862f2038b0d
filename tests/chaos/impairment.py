"""Delay and loss on a TUN device, for kernels without the netem qdisc (run in the router namespace).

    python impairment.py DEVICE DELAY_SECONDS LOSS_SHARE MAX_SECONDS

The router's policy routing sends the impaired pairs' packets into DEVICE; each one read is written
back DELAY_SECONDS later (the kernel then routes it on as usual) or, with probability LOSS_SHARE,
dropped. Exits after MAX_SECONDS or on SIGTERM, printing how many packets it passed and dropped.
"""

import asyncio
import fcntl
import os
import random
import signal
import struct
import subprocess
import sys

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


async def main(device: str, delay: float, loss: float, seconds: float) -> None:
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", device.encode(), IFF_TUN | IFF_NO_PI))
    subprocess.run(["ip", "link", "set", device, "up"], check=True, timeout=10)
    loop = asyncio.get_running_loop()
    counts = {"passed": 0, "dropped": 0}
    rng = random.Random(24)

    def write(packet: bytes) -> None:
        try:
            os.write(fd, packet)
            counts["passed"] += 1
        except OSError:
            counts["dropped"] += 1

    def readable() -> None:
        for _ in range(64):  # bounded per wake-up: the loop keeps serving the delayed writes
            try:
                packet = os.read(fd, 65536)
            except BlockingIOError:
                return
            if rng.random() < loss:
                counts["dropped"] += 1
            else:
                loop.call_later(delay, write, packet)

    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_reader(fd, readable)
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass
    print(f"impairment {device}: delay {delay}s loss {loss}: {counts['passed']} passed, {counts['dropped']} dropped",
          flush=True)  # fmt: skip


if __name__ == "__main__":
    name, delay_s, loss_share, max_s = sys.argv[1:5]
    asyncio.run(main(name, float(delay_s), float(loss_share), float(max_s)))
