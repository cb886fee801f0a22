from . import cpu_sync_bn, hooks, linear_warmup_lr  # noqa: F401
