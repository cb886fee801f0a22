"""The weight init of FFSD's own CIFAR networks (SJLeo/FFSD models/*.py).

Conv weights ``N(0, sqrt(2 / (k·k·out_channels)))``, BatchNorm ``weight=1, bias=0``. WRN and
GoogLeNet keep PyTorch's default conv *bias* init (their convs have biases), so their convs are
first reset to PyTorch's defaults (which also draws from the RNG, as the reference's construction
does); DenseNet's bias-free convs are drawn directly.
"""
import math

import torch.nn as nn


def ffsd_reference_init(network: nn.Module, reset_convs: bool) -> None:
    for m in network.modules():
        if isinstance(m, nn.Conv2d):
            if reset_convs:
                m.reset_parameters()
            n = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
            m.weight.data.normal_(0, math.sqrt(2. / n))
        elif isinstance(m, nn.BatchNorm2d):
            m.weight.data.fill_(1)
            m.bias.data.zero_()
