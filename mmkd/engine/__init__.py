from . import cpu_sync_bn, hooks, linear_warmup_lr, online_ddp, optimizers  # noqa: F401
