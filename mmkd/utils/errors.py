"""Errors that describe a problem with the user's input.

The tools print an :class:`MMKDUserError` as one message (no traceback unless ``MMKD_DEBUG=1``):
the message itself must say what is wrong and what to do.
"""


class MMKDUserError(RuntimeError):
    """Bad input (dataset, checkpoint, config) reported as one actionable message."""


class DatasetError(MMKDUserError):
    """A dataset is missing, incomplete or corrupted."""


class CheckpointError(MMKDUserError):
    """A checkpoint is missing, unsafe to load, or does not fit the model."""


class ConfigError(MMKDUserError):
    """A config names something that does not exist or cannot work together."""
