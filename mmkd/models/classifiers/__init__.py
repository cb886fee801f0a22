"""Every module in this folder is imported so its registered classes are available by name."""
from mmkd.utils.import_all import import_submodules

import_submodules(__name__)
