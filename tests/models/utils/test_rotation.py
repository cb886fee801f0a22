"""The 4-rotation batch of HSAKD (HSAKD train_*_cifar.py) against hand-built tensors."""
import pytest
import torch

from mmkd.models.utils.rotation import rotate_batch, rotation_summed_class_logits, unrotated_rows


def test_quarter_turn_is_counter_clockwise_and_rows_are_sample_major():
    # two 1-channel 2x2 images: [[0,1],[2,3]] and [[4,5],[6,7]]
    x = torch.arange(8.).reshape(2, 1, 2, 2)
    x4, joint = rotate_batch(x, torch.tensor([7, 2]), num_classes=10)
    expected = torch.tensor([
        [[0., 1.], [2., 3.]],  # x0 r0
        [[1., 3.], [0., 2.]],  # x0 r1: e.g. [[0,1],[2,3]] -> [[1,3],[0,2]]
        [[3., 2.], [1., 0.]],  # x0 r2
        [[2., 0.], [3., 1.]],  # x0 r3
        [[4., 5.], [6., 7.]],  # x1 r0
        [[5., 7.], [4., 6.]],  # x1 r1
        [[7., 6.], [5., 4.]],  # x1 r2
        [[6., 4.], [7., 5.]],  # x1 r3
    ]).unsqueeze(1)
    assert torch.equal(x4, expected)
    # joint label k = 4y + r; y = 7 -> 28, 29, 30, 31 (spec example)
    assert joint.tolist() == [28, 29, 30, 31, 8, 9, 10, 11]
    assert torch.equal(unrotated_rows(x4), x)
    assert torch.equal(x4.view(2, 4, 1, 2, 2)[:, 0], x)


def test_every_channel_rotates_alike_and_grads_flow():
    x = torch.randn(3, 3, 5, 5, requires_grad=True)
    x4, joint = rotate_batch(x, torch.tensor([0, 1, 2]))
    assert x4.shape == (12, 3, 5, 5) and joint.tolist() == list(range(12))
    for i in range(3):
        for r in range(4):
            assert torch.equal(x4[4 * i + r], torch.rot90(x[i], r, (1, 2)))
    x4.sum().backward()
    assert torch.equal(x.grad, torch.full_like(x, 4.))


def test_labels_optional_and_checked():
    x = torch.zeros(2, 3, 4, 4)
    assert rotate_batch(x)[1] is None
    with pytest.raises(ValueError, match=r'\[0, 5\)'):
        rotate_batch(x, torch.tensor([1, 5]), num_classes=5)
    with pytest.raises(ValueError, match='square'):
        rotate_batch(torch.zeros(1, 3, 4, 6), torch.tensor([0]))


def test_rotation_summed_class_logits():
    # class-major grouping: columns 4y..4y+3 belong to class y
    logits = torch.arange(8.).view(1, 8)
    assert rotation_summed_class_logits(logits).tolist() == [[0 + 1 + 2 + 3, 4 + 5 + 6 + 7]]
