"""mmkd: an OpenMMLab-style knowledge-distillation toolbox for image classifiers."""
import os.path as osp
import re
from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_requirements(name: str) -> list:
    """Requirement lines of requirements/<name>.txt (comments and blank lines dropped)."""
    lines = []
    with open(osp.join(HERE, 'requirements', name)) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line and not line.startswith('-r'):
                lines.append(line)
    return lines


def read_version() -> str:
    with open(osp.join(HERE, 'mmkd', 'version.py')) as f:
        return re.search(r"__version__ = '([^']+)'", f.read()).group(1)


setup(
    name='mmkd',
    version=read_version(),
    description='OpenMMLab-style knowledge distillation for image classifiers',
    long_description=open(osp.join(HERE, 'README.md')).read() if osp.exists(
        osp.join(HERE, 'README.md')) else '',
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'docs')),
    include_package_data=True,
    python_requires='>=3.9',
    install_requires=read_requirements('runtime.txt'),
    extras_require={'tests': read_requirements('tests.txt')},
    license='Apache License 2.0',
    zip_safe=False,
)
