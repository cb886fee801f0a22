"""LinearEmbedConnector (CC's embeddings)."""
import torch

from mmkd.models.connectors.linear_embed import LinearEmbedConnector


def test_connector_shapes_and_parameters():
    # resnet32x4 -> resnet8x4: both pooled vectors are 256-d; Linear(256 -> 128) per side
    conn = LinearEmbedConnector(torch.Size([256]), torch.Size([256]))
    assert sum(p.numel() for p in conn.embed_s.parameters()) == 256 * 128 + 128
    assert sum(p.numel() for p in conn.parameters()) == 2 * (256 * 128 + 128)
    # different widths (e.g. ShuffleV2 1024 -> resnet32x4 256)
    conn = LinearEmbedConnector((1024, ), (256, ), dim_out=64)
    e_s, e_t = conn(torch.randn(3, 1024), torch.randn(3, 256))
    assert e_s.shape == e_t.shape == (3, 64)
