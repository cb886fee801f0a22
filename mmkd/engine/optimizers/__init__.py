"""Optimizer-wrapper constructors."""
from .online_parts_constructor import OnlinePartsOptimWrapperConstructor

__all__ = ['OnlinePartsOptimWrapperConstructor']
