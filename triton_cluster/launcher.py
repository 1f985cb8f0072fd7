"""Start and stop a real `tritonserver` on CPU with this folder's model repository.

The server binary, its libraries and the Python-backend stubs come from the `nvidia-pytriton` wheel installed
in `.venvs/triton` (`make setup-triton`). The wheel keeps the backend pieces apart, so `start()` assembles a
backend directory (`python/` = `libtriton_python.so` + `triton_python_backend_utils.py` + the stub for this
Python version) in a run folder, then launches the server bound to 127.0.0.1 on the requested (or free) ports,
and polls readiness. A startup failure (the process exits, a model fails to load, or nothing is ready before
the timeout: a missing library makes the server hang rather than fail) stops the process and raises
`TritonStartupError` with the tail of the server's log.

Command line (used by `make triton-up` / `make triton-down`):
    python -m triton_cluster.launcher up [--http-port N] [--grpc-port N] [--metrics-port N]
    python -m triton_cluster.launcher down
`up` leaves the server running and writes its PID and URLs to `.local/triton/server.json`; `down` stops that
PID. Only the standard library is imported here, so any Python 3.12 can run it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
MODEL_REPOSITORY = Path(__file__).resolve().parent / "model_repository"
DEFAULT_TRITON_VENV = REPO_ROOT / ".venvs" / "triton"
STATE_DIR = REPO_ROOT / ".local" / "triton"


class TritonStartupError(RuntimeError):
    """The server did not become ready: the message carries the reason and the log tail."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class TritonInstall:
    """Where the pieces of the wheel's Triton live inside a virtualenv."""

    venv: Path

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def site_packages(self) -> Path:
        found = sorted((self.venv / "lib").glob("python3.*/site-packages"))
        if not found:
            raise TritonStartupError(f"no site-packages under {self.venv}: run `make setup-triton`")
        return found[-1]

    @property
    def python_version(self) -> str:
        return self.site_packages.parent.name.removeprefix("python")

    @property
    def server_dir(self) -> Path:
        return self.site_packages / "pytriton" / "tritonserver"

    @property
    def binary(self) -> Path:
        return self.server_dir / "bin" / "tritonserver"

    @property
    def libs_dir(self) -> Path:
        return self.site_packages / "nvidia_pytriton.libs"

    def libpython_dir(self) -> Path:
        """The directory of the venv's base interpreter's own shared libpython.

        The stub must load exactly the libpython of the interpreter whose packages it imports; the system's
        or the wheel's copy of another patch level breaks model load (`_thread.RLock` errors).
        """
        out = subprocess.run(
            [str(self.python), "-c", "import sysconfig; print(sysconfig.get_config_var('LIBDIR'))"],
            check=True,
            capture_output=True,
            text=True,
        )
        return Path(out.stdout.strip())

    def check(self) -> None:
        """Raise a clear error when a piece is missing, instead of letting the server hang later."""
        needed = [
            self.binary,
            self.server_dir / "backends" / "python" / "libtriton_python.so",
            self.server_dir / "python_backend_stubs" / self.python_version / "triton_python_backend_stub",
            self.libs_dir,
        ]
        missing = [str(p) for p in needed if not p.exists()]
        if missing:
            raise TritonStartupError(f"Triton install incomplete ({', '.join(missing)}): run `make setup-triton`")
        libdir = self.libpython_dir()
        if not list(libdir.glob(f"libpython{self.python_version}.so*")):
            raise TritonStartupError(
                f"no shared libpython{self.python_version} in {libdir}: the Python backend stub needs it "
                "(build Python with --enable-shared)"
            )


@dataclass
class TritonServer:
    """One tritonserver process. Ports left at 0 are chosen free at start."""

    model_repository: Path = MODEL_REPOSITORY
    venv: Path = DEFAULT_TRITON_VENV
    http_port: int = 0
    grpc_port: int = 0
    metrics_port: int = 0
    startup_timeout_s: float = 120.0
    model_control_mode: str = "none"  # "explicit" lets callers load/unload (the benchmark reloads configs)
    extra_args: list[str] = field(default_factory=list)
    run_dir: Path | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def http_url(self) -> str:
        return f"127.0.0.1:{self.http_port}"

    @property
    def grpc_url(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.metrics_port}/metrics"

    @property
    def log_path(self) -> Path:
        assert self.run_dir is not None
        return self.run_dir / "tritonserver.log"

    def _prepare_run_dir(self, install: TritonInstall) -> Path:
        run_dir = self.run_dir or Path(tempfile.mkdtemp(prefix="triton-run-"))
        backend = run_dir / "backends" / "python"
        backend.mkdir(parents=True, exist_ok=True)
        wheel_backend = install.server_dir / "backends" / "python"
        stub = install.server_dir / "python_backend_stubs" / install.python_version / "triton_python_backend_stub"
        for source in (
            wheel_backend / "libtriton_python.so",
            wheel_backend / "triton_python_backend_utils.py",
            stub,
        ):
            target = backend / source.name
            if not target.exists():
                shutil.copy2(source, target)
        self.run_dir = run_dir
        return run_dir

    def _environment(self, install: TritonInstall) -> dict[str, str]:
        env = dict(os.environ)
        lib_path = [str(install.libpython_dir()), str(install.libs_dir)]
        if env.get("LD_LIBRARY_PATH"):
            lib_path.append(env["LD_LIBRARY_PATH"])
        env["LD_LIBRARY_PATH"] = ":".join(lib_path)
        # The stub embeds the base interpreter: point it at the venv's packages (pocketsphinx, onnxruntime).
        env["PYTHONPATH"] = str(install.site_packages)
        env["PATH"] = f"{install.venv / 'bin'}:{env.get('PATH', '')}"
        env.pop("PYTHONHOME", None)
        return env

    def command(self, run_dir: Path, install: TritonInstall) -> list[str]:
        return [
            str(install.binary),
            f"--model-repository={self.model_repository}",
            f"--backend-directory={run_dir / 'backends'}",
            f"--model-control-mode={self.model_control_mode}",
            *(["--load-model=*"] if self.model_control_mode == "explicit" else []),
            "--http-address=127.0.0.1",
            f"--http-port={self.http_port}",
            "--grpc-address=127.0.0.1",
            f"--grpc-port={self.grpc_port}",
            "--metrics-address=127.0.0.1",
            f"--metrics-port={self.metrics_port}",
            "--allow-gpu-metrics=false",
            "--allow-cpu-metrics=true",
            "--exit-on-error=true",
            "--strict-readiness=true",
            "--exit-timeout-secs=10",
            *self.extra_args,
        ]

    def start(self) -> TritonServer:
        """Launch the server and block until it is ready; raise `TritonStartupError` otherwise."""
        if self.process is not None:
            raise TritonStartupError("server already started")
        install = TritonInstall(self.venv)
        install.check()
        if not (self.model_repository / "").is_dir():
            raise TritonStartupError(f"model repository {self.model_repository} does not exist")
        self.http_port = self.http_port or free_port()
        self.grpc_port = self.grpc_port or free_port()
        self.metrics_port = self.metrics_port or free_port()
        run_dir = self._prepare_run_dir(install)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                self.command(run_dir, install),
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self._environment(install),
                start_new_session=True,
            )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout_s
        ready_url = f"http://{self.http_url}/v2/health/ready"
        assert self.process is not None
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                raise TritonStartupError(f"tritonserver exited with code {code} during startup:\n{self.log_tail()}")
            with (
                contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError),
                urllib.request.urlopen(ready_url, timeout=1.0) as response,  # noqa: S310 - loopback
            ):
                if response.status == 200:
                    return
            time.sleep(0.2)
        raise TritonStartupError(
            f"tritonserver not ready after {self.startup_timeout_s:.0f} s (a missing library or a model "
            f"stuck in initialize makes it hang):\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 40) -> str:
        """The server's error lines (why a model failed to load) followed by the last lines of its log."""
        try:
            log_lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        errors = [line[:600] for line in log_lines if line.startswith("E") or "UNAVAILABLE:" in line]
        return "\n".join(["errors:", *errors[-20:], "log tail:", *(line[:600] for line in log_lines[-lines:])])

    def stop(self, timeout_s: float = 20.0) -> None:
        """SIGTERM the server (it unloads models and ends their stubs), SIGKILL its group if it lingers."""
        if self.process is None:
            return
        stop_pid(self.process.pid, timeout_s, wait=self.process.wait)
        self.process = None

    def __enter__(self) -> TritonServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def stop_pid(pid: int, timeout_s: float = 20.0, wait: object = None) -> None:
    """Stop the server with this PID (and its process group: the model stubs) by signal."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if callable(wait):
            with contextlib.suppress(subprocess.TimeoutExpired):
                wait(timeout=0.2)
                break
        elif not _alive(pid):
            break
        time.sleep(0.1)
    else:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        if callable(wait):
            wait(timeout=5)
    # Stubs are in the server's session/group: make sure none outlive it.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie child of ours still answers kill(0); reap it if it is ours.
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m triton_cluster.launcher", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="action", required=True)
    up = sub.add_parser("up", help="start the server in the background and wait until ready")
    up.add_argument("--http-port", type=int, default=int(os.environ.get("TRITON_HTTP_PORT", 0)))
    up.add_argument("--grpc-port", type=int, default=int(os.environ.get("TRITON_GRPC_PORT", 0)))
    up.add_argument("--metrics-port", type=int, default=int(os.environ.get("TRITON_METRICS_PORT", 0)))
    up.add_argument("--timeout", type=float, default=120.0)
    sub.add_parser("down", help="stop the server started by `up`")
    args = parser.parse_args(argv)
    state_file = STATE_DIR / "server.json"

    if args.action == "up":
        if state_file.exists() and _alive(json.loads(state_file.read_text())["pid"]):
            print(f"already running: {state_file.read_text()}")
            return 0
        STATE_DIR.mkdir(parents=True, exist_ok=True)
        server = TritonServer(
            http_port=args.http_port,
            grpc_port=args.grpc_port,
            metrics_port=args.metrics_port,
            startup_timeout_s=args.timeout,
            run_dir=STATE_DIR / "run",
        )
        try:
            server.start()
        except TritonStartupError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        assert server.process is not None
        state = {
            "pid": server.process.pid,
            "http": server.http_url,
            "grpc": server.grpc_url,
            "metrics": server.metrics_url,
            "log": str(server.log_path),
        }
        state_file.write_text(json.dumps(state, indent=2))
        print(json.dumps(state, indent=2))
        return 0

    if not state_file.exists():
        print("not running (no state file)")
        return 0
    stop_pid(json.loads(state_file.read_text())["pid"])
    state_file.unlink()
    print("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
