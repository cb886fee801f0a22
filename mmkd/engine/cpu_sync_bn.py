"""Synchronised BatchNorm for distributed training without GPUs (gloo).

``torch.nn.SyncBatchNorm`` (what ``sync_bn='torch'`` gives on GPUs) refuses CPU tensors. With
``sync_bn`` set in a config and no GPU, :class:`CPUSyncDistributedDataParallel` converts every
BatchNorm of the model to :class:`CPUSyncBatchNorm` before wrapping it: batch statistics (and the
matching gradient terms) are all-reduced over the process group, so N processes with batch B
compute what one process computes with batch N·B.
"""
import torch
import torch.distributed as dist
import torch.nn as nn
from mmengine.model import MMDistributedDataParallel
from mmengine.registry import MODEL_WRAPPERS as ROOT_MODEL_WRAPPERS

from mmkd.registry import MODEL_WRAPPERS


class _SyncBatchNormFunction(torch.autograd.Function):
    """BatchNorm over the union of every process's batch (forward and backward all-reduce)."""

    @staticmethod
    def forward(ctx, x, weight, bias, eps):
        channels = x.shape[1]
        dims = [0] + list(range(2, x.dim()))
        count = torch.tensor([x.numel() / channels], dtype=torch.float64)
        stats = torch.cat([x.sum(dims).double(), (x * x).sum(dims).double(), count])
        dist.all_reduce(stats)
        n = stats[-1]
        mean = stats[:channels] / n
        var = (stats[channels:2 * channels] / n - mean * mean).clamp_min(0)
        shape = [1, channels] + [1] * (x.dim() - 2)
        invstd = torch.rsqrt(var + eps).to(x.dtype)
        xhat = (x - mean.to(x.dtype).view(shape)) * invstd.view(shape)
        ctx.save_for_backward(xhat, weight, invstd)
        ctx.n = float(n)
        out = xhat * weight.view(shape) + bias.view(shape)
        return out, mean.to(x.dtype), var.to(x.dtype), n.to(x.dtype)

    @staticmethod
    def backward(ctx, grad_out, _mean, _var, _n):
        xhat, weight, invstd = ctx.saved_tensors
        channels = xhat.shape[1]
        dims = [0] + list(range(2, xhat.dim()))
        shape = [1, channels] + [1] * (xhat.dim() - 2)
        grad_weight = (grad_out * xhat).sum(dims)
        grad_bias = grad_out.sum(dims)
        dxhat = grad_out * weight.view(shape)
        sums = torch.cat([dxhat.sum(dims), (dxhat * xhat).sum(dims)]).double()
        dist.all_reduce(sums)
        mean_dxhat = (sums[:channels] / ctx.n).to(xhat.dtype).view(shape)
        mean_dxhat_xhat = (sums[channels:] / ctx.n).to(xhat.dtype).view(shape)
        grad_x = invstd.view(shape) * (dxhat - mean_dxhat - xhat * mean_dxhat_xhat)
        return grad_x, grad_weight, grad_bias, None


class CPUSyncBatchNorm(nn.BatchNorm2d):
    """BatchNorm whose training-mode statistics span all processes (any tensor rank >= 2)."""

    def _check_input_dim(self, input):
        if input.dim() < 2:
            raise ValueError(f'expected at least 2D input (got {input.dim()}D input)')

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        synced = (
            self.training and dist.is_available() and dist.is_initialized()
            and dist.get_world_size() > 1)
        if not synced:
            return super().forward(x)
        out, mean, var, n = _SyncBatchNormFunction.apply(x, self.weight, self.bias, self.eps)
        if self.track_running_stats:
            with torch.no_grad():
                self.num_batches_tracked += 1
                momentum = (1.0 / float(self.num_batches_tracked)
                            if self.momentum is None else self.momentum)
                unbiased = var * n / (n - 1).clamp_min(1)
                self.running_mean.mul_(1 - momentum).add_(momentum * mean)
                self.running_var.mul_(1 - momentum).add_(momentum * unbiased)
        return out


def convert_cpu_sync_batchnorm(module: nn.Module) -> nn.Module:
    """Replace every ``nn.BatchNorm{1,2,3}d`` in ``module`` by :class:`CPUSyncBatchNorm`."""
    if isinstance(module,
                  nn.modules.batchnorm._BatchNorm) and not isinstance(module, CPUSyncBatchNorm):
        new = CPUSyncBatchNorm(module.num_features, module.eps, module.momentum, module.affine,
                               module.track_running_stats)
        if module.affine:
            with torch.no_grad():
                new.weight.copy_(module.weight)
                new.bias.copy_(module.bias)
            new.weight.requires_grad_(module.weight.requires_grad)
            new.bias.requires_grad_(module.bias.requires_grad)
        if module.track_running_stats:
            new.running_mean.copy_(module.running_mean)
            new.running_var.copy_(module.running_var)
            new.num_batches_tracked.copy_(module.num_batches_tracked)
        new.train(module.training)
        return new
    for name, child in module.named_children():
        module.add_module(name, convert_cpu_sync_batchnorm(child))
    return module


@MODEL_WRAPPERS.register_module()
class CPUSyncDistributedDataParallel(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` that first synchronises the model's BatchNorm (CPU, gloo)."""

    def __init__(self, module: nn.Module, **kwargs):
        super().__init__(module=convert_cpu_sync_batchnorm(module), **kwargs)


# mmengine's Runner looks wrapper types up in its root registry, which does not search
# grandchild scopes (mmengine -> mmpretrain -> mmkd), so the wrapper is registered there too.
ROOT_MODEL_WRAPPERS.register_module(module=CPUSyncDistributedDataParallel, force=True)
