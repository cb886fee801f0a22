"""Connectors: the trainable modules between a method's student and teacher features."""
from .ab import ABConnector
from .conv_reg import ConvRegConnector
from .crd import CRDConnector, CRDEmbed
from .ft import FTConnector, Paraphraser, Translator
from .linear_embed import LinearEmbedConnector
from .semckd import SelfAttentionConnector, SemCKDBatchSizeError
from .vid import VIDConnector

__all__ = [
    'ABConnector', 'ConvRegConnector', 'CRDConnector', 'CRDEmbed', 'FTConnector', 'Paraphraser',
    'Translator', 'LinearEmbedConnector', 'SelfAttentionConnector', 'SemCKDBatchSizeError',
    'VIDConnector'
]
