from . import backbones, classifiers, connectors, distillers, heads, losses, necks  # noqa: F401
