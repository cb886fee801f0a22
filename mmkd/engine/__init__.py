from . import cpu_sync_bn, hooks  # noqa: F401
