"""Make every mmpretrain and mmkd type resolvable and set the default scope to ``mmkd``."""
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import mmpretrain's and mmkd's registered modules now and set the default scope.

    Not needed for building: each registry of :mod:`mmkd.registry` imports its ``locations``
    (mmkd's and mmpretrain's packages) on first use. This eager form, as in OpenMMLab repos, makes
    every type listable at once (e.g. for error messages) and creates the ``mmkd`` default scope.
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
