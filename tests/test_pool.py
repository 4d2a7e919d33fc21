"""A process pool stopped at once leaves nothing that keeps the interpreter from exiting."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest

# a worker that dies while it sends its result: the header announces a megabyte, ten
# bytes follow, and the pool's manager thread waits for the rest
SCRIPT = textwrap.dedent(
    """
    import gc, os, struct, time
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing.queues import SimpleQueue

    from edu_quality._pool import stop_pool

    def half_sent():
        results = next(o for o in gc.get_objects() if isinstance(o, SimpleQueue))
        os.write(results._writer.fileno(), struct.pack("!i", 1_000_000) + b"x" * 10)
        time.sleep(600)

    if __name__ == "__main__":
        pool = ProcessPoolExecutor(max_workers=1)
        future = pool.submit(half_sent)
        time.sleep(2)
        assert not future.done()
        manager = pool._executor_manager_thread
        stop_pool(pool, wait=5)
        print("manager alive:", manager.is_alive(), flush=True)
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the workers are forked")
def test_a_worker_stopped_while_it_sends_its_result_does_not_hang_the_exit(tmp_path):
    script = tmp_path / "half_sent.py"
    script.write_text(SCRIPT, encoding="utf-8")
    start = time.monotonic()
    try:
        proc = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, timeout=60
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the process did not exit: the pool's manager thread still waits")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "manager alive: False", proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "OSError" not in proc.stderr, proc.stderr
    assert time.monotonic() - start < 30
