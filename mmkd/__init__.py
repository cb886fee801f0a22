"""mmkd: an OpenMMLab-style knowledge-distillation toolbox for image classifiers."""
from .version import __version__

__all__ = ['__version__']
