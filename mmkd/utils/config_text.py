"""``Config.pretty_text`` laid out once per distinct config.

mmengine's ``Config.pretty_text`` writes the config as Python and lays the text out with yapf on
every call, and its Runner asks for it when it logs the config, when it dumps it into the work dir
and at every checkpoint save (``meta['cfg']``): ~0.2 s of yapf per call for a distillation
config, several times in a short run. :class:`TextCachedConfig` is a ``Config`` whose
``pretty_text`` lays out each distinct text once: mmengine's unformatted text (the public
``Config(..., format_python_code=False)``), then yapf with the style mmengine uses, remembered
for the next call. The string is the one mmengine returns.
"""
import functools

from mmengine.config import Config

#: the yapf style of ``Config.pretty_text`` (mmengine/config/config.py, mmengine 0.10)
MMENGINE_YAPF_STYLE = dict(
    based_on_style='pep8',
    blank_line_before_nested_class_or_def=True,
    split_before_expression_after_opening_paren=True)


@functools.lru_cache(maxsize=16)
def format_config_text(text: str) -> str:
    """``text`` laid out by yapf as ``Config.pretty_text`` lays it out."""
    from yapf.yapflib.yapf_api import FormatCode
    try:
        return FormatCode(text, style_config=MMENGINE_YAPF_STYLE)[0]
    except Exception as e:  # mmengine's message for a text yapf cannot parse
        raise SyntaxError(f'Failed to format the config file, please check the syntax of: \n'
                          f'{text}') from e


class TextCachedConfig(Config):
    """A ``Config`` whose ``pretty_text`` is laid out once per distinct config text."""

    @classmethod
    def of(cls, cfg: Config) -> 'TextCachedConfig':
        """The same config (dict, file name, text, environment variables) as this class."""
        return cls(
            cfg.to_dict(),
            cfg_text=cfg.text,
            filename=cfg.filename,
            env_variables=cfg.env_variables)

    @property
    def pretty_text(self) -> str:
        return format_config_text(Config(self.to_dict(), format_python_code=False).pretty_text)
