"""Run ``python tools/<tool>.py ...`` for the tests without paying its imports each time.

One helper process per pytest process (the *zygote*, ``tests/_zygote.py``), started on first use
and stopped at exit, imports torch, mmengine, mmpretrain, mmcv and mmkd once; every run is a child
forked from it that behaves like a fresh ``python`` (own environment, working directory, argv,
stdio, default signal handlers, exit code; see the zygote's docstring for what it checks). The
pytest process itself is never forked (it has threads).

:func:`Popen` and :func:`run` take the arguments of :mod:`subprocess`'s (the subset the tests use)
and fall back to a real subprocess for what a forked child cannot reproduce: a command that is not
``sys.executable SCRIPT.py ...`` (``-c``, ``-m``, options, ``bash``, ``torchrun``), ``preexec_fn``,
or an environment that differs from the zygote's in a variable read at interpreter start or while
importing (``MMKD_TOOL_LAUNCHER=subprocess`` forces real subprocesses everywhere;
``MMKD_TOOL_LAUNCHER_LOG=FILE`` appends one line per run: forked, or why not).
"""
import atexit
import io
import json
import os
import os.path as osp
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
ZYGOTE = osp.join(ROOT, 'tests', '_zygote.py')
PIPE, STDOUT, DEVNULL = subprocess.PIPE, subprocess.STDOUT, subprocess.DEVNULL

#: the session's environment before any test changed it: what the zygote starts with (a fixture
#: that sets os.environ while the zygote starts must not become every later run's reference)
_BASE_ENV = dict(os.environ)


def snapshot_environment():
    """Take the zygote's environment from ``os.environ`` now (conftest: once mmkd is imported)."""
    global _BASE_ENV
    _BASE_ENV = dict(os.environ)


def tool_env(env=None, base=None):
    """The environment ``run_tool`` gives a tool: the process's (or ``base``), the repo on
    ``PYTHONPATH``, one intra-op thread unless set, then ``env``'s entries."""
    full = dict(os.environ if base is None else base)
    full['PYTHONPATH'] = ROOT + os.pathsep + full.get('PYTHONPATH', '')
    full.setdefault('OMP_NUM_THREADS', '1')
    if env:
        full.update(env)
    return full


class _Client:
    """The pytest side of the zygote: one socket, replies dispatched to the handles by id."""

    def __init__(self):
        # the environment run_tool gives the tools, from the session's before the tests ran
        env = tool_env(base=_BASE_ENV)
        env.pop('PYTEST_CURRENT_TEST', None)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.log = tempfile.NamedTemporaryFile(prefix='mmkd-zygote-', suffix='.log', delete=False)
        self.proc = subprocess.Popen(
            [sys.executable, ZYGOTE, str(theirs.fileno())],
            cwd=ROOT,
            env=env,
            pass_fds=[theirs.fileno()],
            stdin=DEVNULL,
            stdout=self.log,
            stderr=STDOUT)
        theirs.close()
        self.sock = ours
        self.lock = threading.Lock()  # one reader of the socket at a time
        self.cond = threading.Condition()  # handles waiting for their messages
        self.replies = {}  # id -> list of messages
        self.next_id = 0
        self.cpu = 0.0  # user+system seconds of every child reaped so far
        msg = self._receive(timeout=600)
        if not msg or not msg.get('ready'):
            raise RuntimeError('the tool launcher did not start:\n' + self.log_tail())

    def log_tail(self):
        try:
            with open(self.log.name, errors='replace') as f:
                return f.read()[-4000:]
        except OSError:
            return ''

    def _receive(self, timeout):
        """One message from the zygote (None on timeout); raises if the zygote is gone."""
        ready, _, _ = select.select([self.sock], [], [], timeout)
        if not ready:
            return None
        data = self.sock.recv(1 << 20)
        if not data:
            raise RuntimeError('the tool launcher exited:\n' + self.log_tail())
        return json.loads(data)

    def request(self, argv, env, cwd, fds, rlimits=None):
        with self.cond:
            self.next_id += 1
            req_id = self.next_id
            self.replies[req_id] = []
        msg = dict(id=req_id, argv=argv, env=env, cwd=cwd, rlimits=sorted((rlimits or {}).items()))
        with self.lock:
            socket.send_fds(self.sock, [json.dumps(msg).encode()], fds)
        return req_id, self.wait_for(req_id, ('pid', 'fallback'), None)

    def wait_for(self, req_id, keys, timeout):
        """The first message for ``req_id`` holding one of ``keys`` (None on timeout)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        expired = False
        while True:
            with self.cond:
                for msg in self.replies.get(req_id, ()):
                    if any(k in msg for k in keys):
                        return msg
            if expired:
                return None
            left = None if deadline is None else deadline - time.monotonic()
            # read what has arrived at least once, even with no time left (poll(): timeout 0)
            expired = left is not None and left <= 0
            if self.lock.acquire(timeout=0.05):
                try:  # wait for one message, then take every one already there
                    wait = 0.1 if left is None else min(0.1, max(0.0, left))
                    while True:
                        msg = self._receive(wait)
                        if msg is None:
                            break
                        wait = 0
                        with self.cond:
                            self.replies.setdefault(msg['id'], []).append(msg)
                            if 'cpu' in msg:
                                self.cpu += msg['cpu']
                            self.cond.notify_all()
                finally:
                    self.lock.release()
            else:
                with self.cond:
                    self.cond.wait(0.05)

    def forget(self, req_id):
        with self.cond:
            self.replies.pop(req_id, None)

    def close(self):
        try:
            self.sock.close()
            self.proc.wait(timeout=30)
        except Exception:
            self.proc.kill()
        finally:
            try:
                os.unlink(self.log.name)
            except OSError:
                pass


_client = None
_client_lock = threading.Lock()
_broken = None  # why the zygote could not start: every run is then a real subprocess


def _get_client():
    """The session's zygote (started on first use), or None when it cannot start."""
    global _client, _broken
    with _client_lock:
        if _broken is None and (_client is None or _client.proc.poll() is not None):
            try:
                _client = _Client()
            except Exception as e:  # the runs still work, as real subprocesses
                _broken = str(e)
                import warnings
                warnings.warn(f'the tool launcher did not start; tools run as subprocesses: {e}')
                return None
            atexit.register(_client.close)
        return None if _broken else _client


def children_cpu() -> float:
    """CPU seconds used by the forked tool runs so far (they are the zygote's children, not
    this process's: ``resource.getrusage(RUSAGE_CHILDREN)`` sees them only once it exits)."""
    return _client.cpu if _client is not None else 0.0


def stop():
    """Stop the zygote (started again on next use)."""
    global _client
    with _client_lock:
        if _client is not None:
            _client.close()
            _client = None


class ForkedProcess:
    """What :class:`subprocess.Popen` offers the tests, for a child of the zygote."""

    def __init__(self, client, req_id, pid, args, stdout_file, stderr_file):
        self._client, self._id = client, req_id
        self.pid, self.args = pid, args
        self.returncode = None
        self.stdout, self.stderr, self.stdin = stdout_file, stderr_file, None

    def poll(self):
        if self.returncode is None:
            self._update(0)
        return self.returncode

    def _update(self, timeout):
        msg = self._client.wait_for(self._id, ('returncode', ), timeout)
        if msg is not None:
            self.returncode = msg['returncode']
            self._client.forget(self._id)

    def wait(self, timeout=None):
        if self.returncode is None:
            self._update(timeout)
            if self.returncode is None:
                raise subprocess.TimeoutExpired(self.args, timeout)
        return self.returncode

    def communicate(self, input=None, timeout=None):
        if input:
            raise ValueError('the tool launcher gives a tool no stdin')
        deadline = None if timeout is None else time.monotonic() + timeout
        out = {self.stdout: [], self.stderr: []}
        streams = [s for s in (self.stdout, self.stderr) if s is not None]
        while streams:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select(streams, [], [], left)
            if not ready:
                raise subprocess.TimeoutExpired(self.args, timeout)
            for stream in ready:
                chunk = os.read(stream.fileno(), 1 << 16)
                if chunk:
                    out[stream].append(chunk)
                else:
                    streams.remove(stream)
        self.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
        results = []
        for stream in (self.stdout, self.stderr):
            if stream is None:
                results.append(None)
                continue
            data = b''.join(out[stream])
            results.append(
                data.decode(errors='replace') if isinstance(stream, io.TextIOBase) else data)
            stream.close()
        return tuple(results)

    def send_signal(self, sig):
        if self.poll() is None:
            os.kill(self.pid, sig)

    def kill(self):
        self.send_signal(9)

    def terminate(self):
        self.send_signal(15)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for stream in (self.stdout, self.stderr):
            if stream is not None:
                stream.close()
        self.wait()


def _forkable(args, kwargs):
    if os.environ.get('MMKD_TOOL_LAUNCHER') == 'subprocess':
        return False
    if set(kwargs) - {
            'cwd', 'env', 'stdout', 'stderr', 'stdin', 'text', 'universal_newlines', 'encoding',
            'errors', 'rlimits'
    }:
        return False  # preexec_fn, pass_fds, close_fds=False, shell=True, ...: real subprocess
    if kwargs.get('stdin') not in (None, DEVNULL):
        return False
    args = [str(a) for a in args]
    return len(args) >= 2 and args[0] == sys.executable and args[1].endswith('.py')


def _fd_for(target, default_fd, opened, pipes, text):
    """A file descriptor for the child's stream ``target`` (subprocess's conventions)."""
    if target is None:
        return default_fd
    if target == DEVNULL:
        fd = os.open(os.devnull, os.O_RDWR)
        opened.append(fd)
        return fd
    if target == PIPE:
        r, w = os.pipe()
        opened.append(w)
        pipes.append(os.fdopen(r, 'r' if text else 'rb'))
        return w
    if isinstance(target, int):
        return target
    return target.fileno()


def _log(args, fallback):
    """``MMKD_TOOL_LAUNCHER_LOG=FILE``: one line per run, forked or why not."""
    path = os.environ.get('MMKD_TOOL_LAUNCHER_LOG')
    if path:
        with open(path, 'a') as f:
            f.write(f"{'fallback: ' + fallback if fallback else 'forked'}\t{' '.join(args[1:3])}\n")


def _real_popen_kwargs(kwargs):
    """``subprocess.Popen``'s arguments for ``kwargs`` (``rlimits`` as a ``preexec_fn``)."""
    kwargs = dict(kwargs)
    kwargs.setdefault('stdin', DEVNULL)
    rlimits = kwargs.pop('rlimits', None)
    if rlimits:

        def set_limits():
            import resource
            for which, limits in rlimits.items():
                resource.setrlimit(which, limits)

        kwargs['preexec_fn'] = set_limits
    return kwargs


def Popen(args, **kwargs):  # noqa: N802  (subprocess.Popen's name and signature)
    """``subprocess.Popen(args, **kwargs)``, forked from the zygote when it can be.

    One argument :mod:`subprocess` has not: ``rlimits={resource.RLIMIT_*: (soft, hard)}``, the
    limits the run starts with (what a ``preexec_fn`` calling ``resource.setrlimit`` gives)."""
    if not _forkable(args, kwargs):
        _log([str(a) for a in args], 'not a python script run (or options Popen only has)')
        return subprocess.Popen(args, **_real_popen_kwargs(kwargs))
    args = [str(a) for a in args]
    text = bool(kwargs.get('text') or kwargs.get('universal_newlines') or kwargs.get('encoding'))
    cwd = osp.abspath(str(kwargs.get('cwd') or os.getcwd()))
    env = dict(kwargs['env']) if kwargs.get('env') is not None else dict(os.environ)
    opened, out_pipe, err_pipe = [], [], []
    try:
        stdin = _fd_for(DEVNULL, 0, opened, [], False)
        stdout = _fd_for(kwargs.get('stdout'), 1, opened, out_pipe, text)
        stderr = stdout if kwargs.get('stderr') == STDOUT else \
            _fd_for(kwargs.get('stderr'), 2, opened, err_pipe, text)
        client = _get_client()
        if client is None:
            req_id, reply = None, {'fallback': f'the launcher did not start: {_broken}'}
        else:
            req_id, reply = client.request(args[1:], env, cwd, [stdin, stdout, stderr],
                                           kwargs.get('rlimits'))
    except BaseException:
        for f in out_pipe + err_pipe:
            f.close()
        raise
    finally:
        for fd in opened:
            os.close(fd)
    _log(args, reply.get('fallback'))
    if 'fallback' in reply:
        for f in out_pipe + err_pipe:
            f.close()
        if client is not None:
            client.forget(req_id)
        return subprocess.Popen(args, **_real_popen_kwargs(kwargs))
    return ForkedProcess(client, req_id, reply['pid'], args, (out_pipe or [None])[0],
                         (err_pipe or [None])[0])


def run(args, *, check=False, timeout=None, capture_output=False, **kwargs):
    """``subprocess.run(args, ...)``, forked from the zygote when it can be."""
    if not _forkable(args, kwargs):
        _log([str(a) for a in args], 'not a python script run (or options Popen only has)')
        return subprocess.run(
            args,
            check=check,
            timeout=timeout,
            capture_output=capture_output,
            **_real_popen_kwargs(kwargs))
    if capture_output:
        kwargs['stdout'] = kwargs['stderr'] = PIPE
    text = bool(kwargs.get('text') or kwargs.get('universal_newlines') or kwargs.get('encoding'))
    # captured output goes to temporary files (no pipe to drain while waiting)
    files = {}
    for name in ('stdout', 'stderr'):
        if kwargs.get(name) == PIPE:
            files[name] = tempfile.TemporaryFile()
            kwargs[name] = files[name]
    proc = Popen(args, **kwargs)
    try:
        returncode = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise
    out = {}
    for name, f in files.items():
        f.seek(0)
        data = f.read()
        f.close()
        out[name] = data.decode(errors='replace') if text else data
    result = subprocess.CompletedProcess(args, returncode, out.get('stdout'), out.get('stderr'))
    if check:
        result.check_returncode()
    return result


def run_quick(args, **kwargs):
    """:func:`run`, for tool runs that stop at their argument or config checks (no training):
    ``tests/conftest.py`` marks tests that call :func:`run`/:func:`Popen` ``slow`` but not
    those that call this (a forked run costs only what the tool does; the zygote's imports are
    paid once per session), so such message checks stay in the quick tier."""
    return run(args, **kwargs)
