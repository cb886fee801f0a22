"""Make every mmpretrain and mmkd type resolvable and set the default scope to ``mmkd``."""
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import mmpretrain's and mmkd's registered modules.

    mmkd's registries are children of mmpretrain's; mmengine only searches a parent registry's
    already-imported modules, so mmpretrain's packages are imported here too.
    """
    import mmpretrain.datasets  # noqa: F401
    import mmpretrain.engine  # noqa: F401
    import mmpretrain.evaluation  # noqa: F401
    import mmpretrain.models  # noqa: F401
    import mmpretrain.visualization  # noqa: F401

    import mmkd.datasets  # noqa: F401
    import mmkd.engine  # noqa: F401
    import mmkd.evaluation  # noqa: F401
    import mmkd.models  # noqa: F401

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None or current.scope_name != 'mmkd':
        if current is not None:
            warnings.warn(f'The current default scope "{current.scope_name}" is not "mmkd"; '
                          'a new default scope "mmkd" is created for mmkd.')
        name = f'mmkd-{datetime.datetime.now().strftime("%Y%m%d-%H%M%S-%f")}'
        DefaultScope.get_instance(name, scope_name='mmkd')
