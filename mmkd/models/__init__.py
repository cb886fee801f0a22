from . import backbones, connectors, distillers, heads, losses, necks  # noqa: F401
