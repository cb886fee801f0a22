"""The tool launcher's server: imports torch, mmengine, mmpretrain, mmcv and mmkd once, then forks
one child per request that runs ``python TOOL ARGS`` as a fresh interpreter would.

Run by :mod:`tests._launcher` (test infrastructure, not part of mmkd) as
``python tests/_zygote.py FD`` where FD is one end of an AF_UNIX SOCK_SEQPACKET socket pair.
Single-threaded: only the main thread ever exists, so forking it is safe. It never imports a test
module, so the registries that a child sees hold exactly what the package registers.

Protocol (one JSON object per packet):

* zygote -> client, once: ``{"ready": true, "pid": ...}``.
* client -> zygote: ``{"id", "argv", "env", "cwd", "rlimits"}`` (rlimits: ``[[resource, [soft,
  hard]], ...]``, set in the child) with three file descriptors attached (the child's stdin,
  stdout, stderr). Answer: ``{"id", "pid"}`` (forked) or ``{"id", "fallback":
  reason}`` (the request cannot behave like a fresh interpreter here: the client runs a real
  ``python`` subprocess instead).
* zygote -> client when a child ends: ``{"id", "returncode", "cpu"}`` (returncode as
  ``subprocess.Popen`` reports it: ``-signal`` when killed; cpu: the child's user+system seconds,
  its reaped descendants included).

A forked child differs from a fresh ``python`` only in what cannot be observed by a tool: the
modules are already imported (the same ones, from the same paths), and the string hash seed is
the zygote's. Everything a fresh interpreter decides from its environment at start-up is either
re-applied in the child (``PYTHONPATH``, ``PYTHONWARNINGS``, ``OMP_NUM_THREADS``), derived again
from the child's environment (``TORCH_HOME``: :data:`REDERIVED`) or, when it differs from the
zygote's, makes the request fall back (see :func:`why_not`).
"""
import sys

del sys.path[0]  # this script's folder (tests/) must not shadow anything during the imports

import atexit  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import select  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import threading  # noqa: E402
import traceback  # noqa: E402
import warnings  # noqa: E402

#: read by the interpreter, the C/C++ runtimes (OpenMP, MKL, glibc, CUDA) or torch's C++ code at
#: start-up, where Python code cannot see the read: a difference from the zygote's value falls back
C_LEVEL = re.compile(r'^(PYTHON|OMP_|MKL_|KMP_|GOMP_|OPENBLAS_|BLIS_|ONEDNN_|DNNL_|CUDA|CUBLAS|'
                     r'CUDNN|NVIDIA_|NCCL_|TORCH|PYTORCH_|ATEN_|LD_|MALLOC_|GLIBC_|LC_|LANG|TZ$|'
                     r'HOME$|TMPDIR$|TEMP$|TMP$)')
#: start-up variables the child re-applies itself
APPLIED = {'PYTHONPATH', 'PYTHONWARNINGS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'}


def _torchvision_home():
    """torchvision keeps ``$TORCH_HOME/datasets/vision`` (its datasets' default root) from import
    time (``torchvision/_internally_replaced_utils.py``), the one import-time use of TORCH_HOME
    in what the zygote imports: derived again from the child's own environment."""
    module = sys.modules.get('torchvision._internally_replaced_utils')
    if module is not None:
        import torch.hub
        module._HOME = os.path.join(torch.hub._get_torch_home(), 'datasets', 'vision')


#: variables read while importing whose every import-time use the child derives again
REDERIVED = {'TORCH_HOME': _torchvision_home}

INITIAL_SIGNALS = {
    s: signal.getsignal(s)
    for s in signal.valid_signals() if s not in (signal.SIGKILL, signal.SIGSTOP)
}
INITIAL_FILTERS = list(warnings.filters)
START_CWD = os.getcwd()


def _pythonpath_entries(value, cwd):
    """``sys.path`` entries that a fresh interpreter started in ``cwd`` makes of ``PYTHONPATH``
    (relative ones made absolute, an empty one is ``cwd``; ``site`` drops repeated entries)."""
    if value is None or value == '':
        return []
    return _unique(
        os.path.abspath(os.path.join(cwd, p)) if p else cwd for p in value.split(os.pathsep))


def _unique(paths):
    seen, out = set(), []
    for p in paths:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


def _record_environ_reads():
    """Record every variable that Python code reads from ``os.environ`` (until undone)."""
    reads = set()
    cls = os._Environ  # the type of os.environ: a class-level hook sees every read
    getitem, contains = cls.__getitem__, cls.__contains__

    def rec_getitem(self, key):
        reads.add(key)
        return getitem(self, key)

    def rec_contains(self, key):
        reads.add(key)
        return contains(self, key)

    cls.__getitem__, cls.__contains__ = rec_getitem, rec_contains

    def undo():
        cls.__getitem__, cls.__contains__ = getitem, contains

    return reads, undo


def preload():
    """Import what every tool imports; return the environment variables read meanwhile."""
    reads, undo = _record_environ_reads()
    try:
        # matplotlib: what mmengine's Visualizer imports when a Runner creates it (its canvas)
        import matplotlib.backends.backend_agg  # noqa: F401
        import matplotlib.figure  # noqa: F401
        import mmcv  # noqa: F401
        import mmengine.hooks  # noqa: F401
        import mmengine.optim  # noqa: F401
        import mmengine.runner  # noqa: F401
        import mmpretrain.datasets  # noqa: F401
        import mmpretrain.evaluation  # noqa: F401
        import mmpretrain.models  # noqa: F401
        import torch  # noqa: F401

        # what tools/train.py and tools/test.py import (some in main())
        import mmkd.utils.batch_scale  # noqa: F401
        import mmkd.utils.cli  # noqa: F401
        import mmkd.utils.config_check  # noqa: F401
        import mmkd.utils.config_text  # noqa: F401
        import mmkd.utils.fast_path  # noqa: F401
        from mmkd.utils import register_all_modules
        register_all_modules(init_default_scope=False)  # the tool creates its own default scope
    finally:
        undo()
    return reads


def _module_names_in(folder):
    """Top-level names importable from ``folder`` (files and packages)."""
    try:
        entries = os.listdir(folder)
    except OSError:
        return set()
    names = set()
    for entry in entries:
        stem = entry.split('.', 1)[0]
        if entry.endswith(('.py', '.pyc', '.so', '.pth')) or '.' not in entry:
            names.add(stem)
    return names


class Zygote:

    def __init__(self, sock):
        self.sock = sock
        self.env = dict(os.environ)  # the environment it started with (as the client sent it)
        self.import_reads = preload()
        # what the imports put in os.environ (cv2: its Qt and library paths; torch: the inductor
        # cache dir): a fresh interpreter's imports do the same, so each child gets it too
        after = dict(os.environ)
        self.import_sets = {
            k: after.get(k)
            for k in set(after) | set(self.env) if after.get(k) != self.env.get(k)
        }
        self.import_reads |= set(self.import_sets)
        self.pythonpath = _pythonpath_entries(self.env.get('PYTHONPATH'), START_CWD)
        # sys.path now: [PYTHONPATH entries..., stdlib, site-packages...] (sys.path[0] removed)
        n = len(self.pythonpath)
        if sys.path[:n] != self.pythonpath:
            raise RuntimeError(f'unexpected sys.path {sys.path} for PYTHONPATH {self.pythonpath}')
        self.base_path = sys.path[n:]
        self.filters_after_import = list(warnings.filters)
        # the interpreter's own filters (its PYTHONWARNINGS ones, then the defaults) stay last
        self.initial_filters = INITIAL_FILTERS[len(sys.warnoptions):]
        if self.filters_after_import[-len(INITIAL_FILTERS):] != INITIAL_FILTERS:
            raise RuntimeError('the imports reordered the warning filters')
        self.children = {}  # pidfd -> (request id, pid)
        if threading.active_count() != 1:
            raise RuntimeError(f'the zygote has {threading.active_count()} threads after imports')
        gc.collect()
        gc.freeze()  # the imported objects stay shared with the children (no copy-on-write scans)

    # ------------------------------------------------------------------------------ requests
    def why_not(self, req):
        """Why ``req`` cannot run as a forked child (None when it can)."""
        argv, env = req['argv'], req['env']
        if not argv or argv[0].startswith('-') or not argv[0].endswith('.py'):
            return f'not a python script: {argv[:1]}'
        script = os.path.join(req['cwd'], argv[0])
        if not os.path.isfile(script):
            return f'no such script {script}'
        for key in sorted(set(env) | set(self.env)):
            if env.get(key) == self.env.get(key) or key in APPLIED or key in REDERIVED:
                continue
            if key in self.import_reads:
                return f'{key} differs and was read while importing'
            if C_LEVEL.match(key):
                return f'{key} differs and is read at interpreter start'
        threads = env.get('OMP_NUM_THREADS')
        if threads != self.env.get('OMP_NUM_THREADS') and not (threads or '').isdigit():
            return f'OMP_NUM_THREADS={threads!r} cannot be applied after start-up'
        mkl = env.get('MKL_NUM_THREADS')
        if mkl != self.env.get('MKL_NUM_THREADS') and mkl != threads:
            # torch.set_num_threads sets both: only a count equal to OMP_NUM_THREADS's applies
            return f'MKL_NUM_THREADS={mkl!r} differs from OMP_NUM_THREADS={threads!r}'
        entries = _pythonpath_entries(env.get('PYTHONPATH'), req['cwd'])
        if not set(self.pythonpath) <= set(entries):
            return 'PYTHONPATH lacks an entry the zygote imported from'
        imported = {name.split('.', 1)[0] for name in sys.modules}
        script_dir = os.path.dirname(os.path.realpath(script))
        for folder in [script_dir] + entries:
            if folder in self.pythonpath or folder in self.base_path:
                continue
            shadow = _module_names_in(folder) & imported
            if shadow:
                return f'{folder} would shadow imported modules {sorted(shadow)[:3]}'
        return None

    def serve(self):
        self.send({'ready': True, 'pid': os.getpid()})
        while True:
            readable, _, _ = select.select([self.sock] + list(self.children), [], [])
            for fd in readable:
                if fd is self.sock:
                    if not self.receive():
                        return self.shutdown()
                else:
                    self.reap(fd)

    def send(self, msg):
        self.sock.send(json.dumps(msg).encode())

    def receive(self):
        try:
            data, fds, _, _ = socket.recv_fds(self.sock, 1 << 20, 3)
        except ConnectionResetError:
            return False
        if not data:
            return False
        req = json.loads(data)
        try:
            reason = self.why_not(req)
            if reason:
                self.send({'id': req['id'], 'fallback': reason})
                return True
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                self.child(req, fds)  # never returns
            self.children[os.pidfd_open(pid)] = (req['id'], pid)
            self.send({'id': req['id'], 'pid': pid})
        finally:
            for fd in fds:
                os.close(fd)
        return True

    def reap(self, pidfd):
        req_id, pid = self.children.pop(pidfd)
        _, status, usage = os.wait4(pid, 0)
        os.close(pidfd)
        self.send({
            'id': req_id,
            'returncode': os.waitstatus_to_exitcode(status),
            'cpu': usage.ru_utime + usage.ru_stime
        })

    def shutdown(self):
        for pidfd, (_, pid) in list(self.children.items()):
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        return 0

    # ------------------------------------------------------------------------------ the child
    def child(self, req, fds):
        code = 1
        try:
            try:
                self.become(req, fds)
            except BaseException:  # a setup failure: say so on the child's stderr
                traceback.print_exc()
                os._exit(3)
            code = self.run_script(req['argv'])
            if code < 0:
                signal.signal(-code, signal.SIG_DFL)
                os.kill(os.getpid(), -code)
        finally:
            os._exit(code & 0xFF)

    def become(self, req, fds):
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        keep = {0, 1, 2}
        for fd in [self.sock.fileno(), *self.children, *fds]:
            if fd not in keep:
                os.close(fd)
        for sig, handler in INITIAL_SIGNALS.items():
            try:
                signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
            except (OSError, ValueError, TypeError):
                pass
        env = req['env']
        os.environ.clear()
        os.environ.update(env)
        for key, value in self.import_sets.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        os.chdir(req['cwd'])
        if req.get('rlimits'):
            import resource
            for which, limits in req['rlimits']:
                resource.setrlimit(which, tuple(limits))
        script = os.path.abspath(req['argv'][0])
        entries = _pythonpath_entries(env.get('PYTHONPATH'), req['cwd'])
        script_dir = os.path.dirname(os.path.realpath(script))
        sys.path[:] = [script_dir] + _unique(entries + self.base_path)
        sys.argv = list(req['argv'])
        # PYTHONWARNINGS: a fresh interpreter puts its filters after those the imports insert
        warn_opts = [o for o in env.get('PYTHONWARNINGS', '').split(',') if o]
        if warn_opts != sys.warnoptions:
            n = len(self.filters_after_import) - len(self.initial_filters)
            imported = self.filters_after_import[:n]
            warnings.filters[:] = []
            warnings._processoptions(warn_opts)
            warnings.filters[:] = imported + warnings.filters + self.initial_filters
            sys.warnoptions[:] = warn_opts
            warnings._filters_mutated()
        for key, rederive in REDERIVED.items():
            if env.get(key) != self.env.get(key):
                rederive()
        if any(env.get(k) != self.env.get(k) for k in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS')):
            import torch
            torch.set_num_threads(int(env['OMP_NUM_THREADS']))
        # a fresh interpreter seeds torch's and numpy's generators from the OS (random: at fork)
        sys.modules['torch'].seed()
        sys.modules['numpy'].random.seed()
        # the pre-imported objects stay in gc's permanent generation: a collection (mmengine's
        # datasets call gc.collect()) scans the run's own objects, not every module's again
        # (what it finds to free is the same: imported modules live as long as the process)

    @staticmethod
    def run_script(argv):
        """Run ``argv[0]`` as ``__main__``; the exit code ``python`` would give."""
        import runpy
        code = 0
        try:
            runpy.run_path(os.path.abspath(argv[0]), run_name='__main__')
        except SystemExit as e:
            if e.code is None:
                code = 0
            elif isinstance(e.code, int):
                code = e.code & 0xFF
            else:
                print(e.code, file=sys.stderr)
                code = 1
        except KeyboardInterrupt:
            traceback.print_exc()
            code = -signal.SIGINT  # python re-raises SIGINT on itself: killed by the signal
        except BaseException:
            sys.excepthook(*sys.exc_info())
            code = 1
        try:
            threading._shutdown()  # as the interpreter does: wait for non-daemon threads
        except Exception:
            pass
        atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                code = code or 120
        return code


def main():
    sock = socket.socket(fileno=int(sys.argv[1]))
    return Zygote(sock).serve()


if __name__ == '__main__':
    sys.exit(main())
