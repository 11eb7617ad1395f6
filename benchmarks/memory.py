"""Peak resident memory of this process (DuckDB runs in-process), sampled in a thread."""
import threading
import time

import psutil


class PeakRSS:
    """Samples this process's resident memory in a thread."""

    def __init__(self, every: float = 0.05):
        self.every, self.peak, self._stop = every, 0, threading.Event()
        self.proc = psutil.Process()

    def __enter__(self):
        self.peak = self.proc.memory_info().rss
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(self.every)

    def __exit__(self, *exc):
        self._stop.set()
        self.thread.join()


def rss_tree(proc: psutil.Process) -> int:
    """Resident memory of a process and all its children, in bytes (0 once it has gone)."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def run_measured(cmd: list[str], capture: bool = True, every: float = 0.1,
                 **popen) -> tuple[float, int, str, float]:
    """Run cmd as a child; return (wall seconds, peak RSS of its process tree in bytes, stdout,
    CPU seconds of the tree). stdout is captured only with capture=True. Raises RuntimeError
    with the end of stderr when the child fails."""
    import resource
    import subprocess
    pipe = subprocess.PIPE
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=pipe if capture else None, stderr=pipe, text=True, **popen)
    texts: dict[str, str] = {}
    readers = [threading.Thread(target=lambda k=k, s=s: texts.__setitem__(k, s.read()), daemon=True)
               for k, s in (("out", child.stdout), ("err", child.stderr)) if s is not None]
    for r in readers:
        r.start()
    proc, peak = psutil.Process(child.pid), 0
    while child.poll() is None:
        peak = max(peak, rss_tree(proc))
        time.sleep(every)
    wall = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    for r in readers:
        r.join()
    if child.returncode != 0:
        tail = texts.get("err", "")[-2000:]
        raise RuntimeError(f"{' '.join(cmd[:3])} ... exited with {child.returncode}:\n{tail}")
    return wall, peak, texts.get("out", ""), cpu
