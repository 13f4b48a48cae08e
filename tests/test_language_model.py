"""Chapter 9's batched Transformer language models and the NumPy-docstring corpus."""

import numpy as np
import pytest
import torch

from companion.experiments.language import (
    CharCorpus,
    numpy_docstrings,
    split_docstrings,
)
from companion.torch.language_model import BatchedGPT, LMConfig, train_language_models


def test_members_are_independent_and_seeded():
    configs = [LMConfig(seed=0), LMConfig(seed=1), LMConfig(seed=0, residual_rate=0.5)]
    model = BatchedGPT(11, configs, width=16, depth=1, heads=2, context=8)
    # the same seed gives the same weights, whatever the dropout rates
    assert torch.equal(model.qkv[0], model.qkv[2]) and not torch.equal(
        model.qkv[0], model.qkv[1]
    )
    # the same tokens for every member
    idx = torch.randint(11, (1, 2, 8), generator=torch.Generator().manual_seed(0))
    idx = idx.expand(3, -1, -1).clone()
    model.eval()
    out = model(idx)
    assert out.shape == (3, 2, 8, 11)
    # in eval mode dropout is off: members 0 and 2 agree exactly
    assert torch.allclose(out[0], out[2])
    # member 1's output depends only on its own tokens
    changed = idx.clone()
    changed[0] = (changed[0] + 1) % 11  # member 0's tokens only
    assert torch.equal(model(changed)[1], out[1])


def test_the_model_is_causal():
    model = BatchedGPT(7, [LMConfig()], width=8, depth=2, heads=2, context=6).eval()
    idx = torch.randint(7, (1, 1, 6), generator=torch.Generator().manual_seed(1))
    later = idx.clone()
    later[..., 4:] = (later[..., 4:] + 3) % 7
    a, b = model(idx), model(later)
    assert torch.allclose(a[..., :4, :], b[..., :4, :], atol=1e-6)
    assert not torch.allclose(a[..., 4:, :], b[..., 4:, :])


def test_dropout_acts_in_training_only_and_where_configured():
    configs = [LMConfig(seed=0), LMConfig(seed=0, attention_rate=0.5)]
    model = BatchedGPT(9, configs, width=8, depth=1, heads=2, context=5)
    idx = torch.randint(9, (2, 3, 5), generator=torch.Generator().manual_seed(2))
    torch.manual_seed(0)
    out = model.train()(idx)
    assert torch.allclose(model.train()(idx)[0], out[0])  # rate 0: deterministic
    assert not torch.allclose(model.train()(idx)[1], out[1])  # attention dropout: noisy


def test_training_lowers_the_loss_and_records_tokens():
    text = "abcabcabdabcabcabd" * 40
    ids = CharCorpus.from_texts([text]).encode(text)
    result = train_language_models(
        [LMConfig(seed=0), LMConfig(seed=1, residual_rate=0.1)],
        ids,
        ids,
        vocab_size=4,
        steps=60,
        batch_size=8,
        context=8,
        width=16,
        depth=1,
        heads=2,
        lr=1e-2,
        eval_every=20,
        eval_windows=16,
    )
    assert result.val_loss.shape == (2, 3) and result.train_loss.shape == (2, 3)
    assert np.all(result.val_loss[:, -1] < result.val_loss[:, 0])
    assert result.val_loss[:, -1].max() < np.log(4) - 0.3  # better than uniform
    assert list(result.tokens) == [20 * 8 * 8, 40 * 8 * 8, 60 * 8 * 8]
    assert list(result.select(residual_rate=0.1)) == [1]
    with pytest.raises(ValueError, match="unknown LMConfig fields"):
        result.select(rate=0.1)


def test_bad_settings_are_refused_by_name():
    with pytest.raises(ValueError, match="residual_rate must be below 1, got 1"):
        LMConfig(residual_rate=1)
    with pytest.raises(ValueError, match="width must be a multiple of heads"):
        BatchedGPT(5, [LMConfig()], width=10, heads=4)
    with pytest.raises(ValueError, match="train_ids must be a 1-D sequence longer"):
        train_language_models([LMConfig()], [0, 1], [0, 1] * 40, vocab_size=2, steps=1)
    with pytest.raises(ValueError, match=r"val_ids must hold token ids in \[0, 2\)"):
        train_language_models(
            [LMConfig()], [0, 1] * 40, [0, 5] * 40, vocab_size=2, steps=1
        )


def test_the_corpus_is_numpys_documentation_split_by_docstring():
    docs = numpy_docstrings()
    assert len(docs) > 500 and sum(map(len, docs)) > 1_000_000
    assert docs == numpy_docstrings()  # a fixed order
    train, val = split_docstrings(docs, 50, seed=0)
    assert val.count("\n\n") >= 49 and len(train) + len(val) > 1_000_000
    corpus = CharCorpus.from_texts([train, val])
    assert corpus.decode(corpus.encode(val[:200])) == val[:200]
    with pytest.raises(ValueError, match="outside the vocabulary"):
        CharCorpus("ab").encode("abc")
    with pytest.raises(
        ValueError, match="n_val must be below the number of docstrings"
    ):
        split_docstrings(docs[:3], 3)
