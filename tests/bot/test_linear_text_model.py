"""bot/linear_text_model.py: the weights laid out for prediction (`_ready_to_predict`) change no number.

The lead tunes thresholds on these probabilities, so "the same" means bit for bit: every probability of every
label, for messages seen and unseen, compared with `==`, against the same pipeline with sklearn's own layout.
Trained here on a few sentences written for this test (three languages, four labels), and also through
save/load, the path `rasa run` takes.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import List, Tuple

import numpy as np
import pytest

from bot import linear_text_model as ltm

EXAMPLES: List[Tuple[str, str]] = [
    ("hur länge sparar ni min ansökan", "retention"), ("hvor lenge lagrer dere søknaden min", "retention"),
    ("how long do you keep my application", "retention"), ("hur länge finns mina uppgifter kvar", "retention"),
    ("jag vill att ni raderar mina uppgifter", "erasure"), ("slett alt dere har om meg", "erasure"),
    ("please delete everything you have about me", "erasure"), ("ta bort mitt konto och min data", "erasure"),
    ("hej", "greet"), ("hei hei", "greet"), ("hello there", "greet"), ("god morgon", "greet"),
    ("vilka cookies använder ni", "cookies"), ("bruker dere informasjonskapsler", "cookies"),
    ("which cookies does the website set", "cookies"), ("kakor på webbplatsen", "cookies"),
]
UNSEEN = ["Hur länge sparar ni uppgifterna om jag inte får jobbet?", "kan dere slette søknaden min",
          "Hi! What cookies?", "ja", "Anna Svensson", "x", "ÅÄÖ åäö øæ", "1234 5678", "/stop",
          "I'd like a copy of my personal data please, and also delete my newsletter subscription"]


def _stock_layout(pipeline: ltm.Pipeline) -> ltm.Pipeline:
    """The same fitted pipeline with sklearn's C-ordered coef_, as it was before _ready_to_predict."""
    stock = copy.deepcopy(pipeline)
    classifier = stock.steps[-1][1]
    classifier.coef_ = np.ascontiguousarray(classifier.coef_)
    assert classifier.coef_.flags["C_CONTIGUOUS"] and not classifier.coef_.flags["F_CONTIGUOUS"]
    return stock


def _probabilities(pipeline: ltm.Pipeline, texts: List[str]) -> np.ndarray:
    return np.vstack([pipeline.predict_proba([ltm.normalise(t)])[0] for t in texts])


@pytest.fixture(scope="module")
def trained() -> ltm.Pipeline:
    pipeline = ltm.train([t for t, _ in EXAMPLES], [label for _, label in EXAMPLES])
    assert pipeline is not None
    return pipeline


def test_trained_weights_are_fortran_ordered(trained: ltm.Pipeline) -> None:
    assert trained.steps[-1][1].coef_.flags["F_CONTIGUOUS"]


def test_probabilities_are_bit_for_bit_those_of_sklearns_layout(trained: ltm.Pipeline) -> None:
    stock = _stock_layout(trained)
    texts = [t for t, _ in EXAMPLES] + UNSEEN
    ours, theirs = _probabilities(trained, texts), _probabilities(stock, texts)
    assert ours.shape == (len(texts), 4)
    assert np.array_equal(ours, theirs)  # exact equality, not a tolerance
    for text in texts:
        assert ltm.rank(trained, text, 10) == ltm.rank(stock, text, 10)


def test_a_stored_model_loads_ready_and_ranks_the_same(trained: ltm.Pipeline, tmp_path: Path) -> None:
    stock = _stock_layout(trained)
    ltm.save(tmp_path, stock, {"k": 1})  # a model file as older trainings wrote it (C-ordered weights)
    loaded, extras = ltm.load(tmp_path)
    assert extras == {"k": 1} and loaded is not None
    assert loaded.steps[-1][1].coef_.flags["F_CONTIGUOUS"]
    texts = [t for t, _ in EXAMPLES] + UNSEEN
    assert np.array_equal(_probabilities(loaded, texts), _probabilities(stock, texts))


def test_the_one_text_path_gives_sklearns_probabilities_bit_for_bit(trained: ltm.Pipeline) -> None:
    """`predict_proba` (the features without sklearn's per-call checks) against `Pipeline.predict_proba`."""
    assert ltm._fast_path(trained) is not None  # the path under test is taken
    texts = [t for t, _ in EXAMPLES] + UNSEEN + ["", " ", "a" * 500, "hur hur hur hur länge länge"]
    for text in texts:
        normalised = ltm.normalise(text)
        assert np.array_equal(ltm.predict_proba(trained, normalised), trained.predict_proba([normalised])[0]), text


def test_the_one_text_path_on_the_trained_models(tmp_path: Path) -> None:
    """The same for the two classifiers of the trained model `rasa run` loads (the real vocabularies), on every
    training text of data/nlu and a few hundred variations of them."""
    import tarfile

    from rasa.shared.nlu.training_data.loading import load_data

    from tests.e2e_stack import model_or_skip

    with tarfile.open(model_or_skip()) as model:
        members = [m for m in model.getmembers() if m.name.endswith("/" + ltm.MODEL_FILE)]
        model.extractall(tmp_path, members=members)
    directories = sorted({(tmp_path / m.name).parent for m in members})
    assert len(directories) == 2  # intents and policy topics
    data = load_data(str(Path(__file__).resolve().parents[2] / "data" / "nlu"))
    texts = [m.get("text") for m in data.training_examples if m.get("text")][::6]
    texts += [t.upper() + " tack!" for t in texts[:100]] + [t[::-1] for t in texts[:100]]
    for directory in directories:
        pipeline, _extras = ltm.load(directory)
        assert pipeline is not None and ltm._fast_path(pipeline) is not None
        for text in texts:
            normalised = ltm.normalise(text)
            expected = pipeline.predict_proba([normalised])[0]
            assert np.array_equal(ltm.predict_proba(pipeline, normalised), expected), text


def test_an_unusual_pipeline_takes_sklearns_own_path() -> None:
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_union

    other = Pipeline([("features", make_union(CountVectorizer())), ("classifier", LogisticRegression())])
    other.fit([t for t, _ in EXAMPLES], [label for _, label in EXAMPLES])
    assert ltm._fast_path(other) is None
    assert np.array_equal(ltm.predict_proba(other, "hej"), other.predict_proba(["hej"])[0])


@pytest.fixture(scope="module")
def ensemble() -> ltm.Pipeline:
    """The regression with the calibrated SVM (svm_weight > 0, as the policy topics use it); twice the
    examples, so every label has the 5 its calibration folds need."""
    pipeline = ltm.train([t for t, _ in EXAMPLES * 2], [label for _, label in EXAMPLES * 2], svm_weight=0.6)
    assert pipeline is not None
    return pipeline


def test_the_ensemble_is_the_weighted_average_of_its_two_models(ensemble: ltm.Pipeline) -> None:
    from sklearn.ensemble import VotingClassifier

    voting = ensemble.steps[-1][1]
    assert isinstance(voting, VotingClassifier) and list(voting.weights) == [0.4, 0.6]
    assert all(m.coef_.flags["F_CONTIGUOUS"] for m in ltm._linear_models(voting))
    assert len(ltm._linear_models(voting)) == 1 + ltm.SVM_CALIBRATION_FOLDS
    features = ensemble.steps[0][1].transform([ltm.normalise(t) for t in UNSEEN])
    lr, svm = voting.estimators_
    expected = 0.4 * lr.predict_proba(features) + 0.6 * svm.predict_proba(features)
    assert np.allclose(ensemble.predict_proba([ltm.normalise(t) for t in UNSEEN]), expected)


def test_the_ensembles_one_text_path_and_a_stored_ensemble_give_the_same_numbers(
        ensemble: ltm.Pipeline, tmp_path: Path) -> None:
    assert ltm._fast_path(ensemble) is not None
    texts = [t for t, _ in EXAMPLES] + UNSEEN + ["", "a" * 500]
    for text in texts:
        normalised = ltm.normalise(text)
        assert np.array_equal(ltm.predict_proba(ensemble, normalised), ensemble.predict_proba([normalised])[0]), text
    ltm.save(tmp_path, ensemble, {})
    loaded, _extras = ltm.load(tmp_path)  # skops: only the TRUSTED_TYPES beyond its defaults
    assert loaded is not None
    assert np.array_equal(_probabilities(loaded, texts), _probabilities(ensemble, texts))


def test_too_few_examples_for_the_calibration_folds_train_the_regression_alone() -> None:
    from sklearn.linear_model import LogisticRegression

    pipeline = ltm.train([t for t, _ in EXAMPLES], [label for _, label in EXAMPLES], svm_weight=0.6)
    assert pipeline is not None and isinstance(pipeline.steps[-1][1], LogisticRegression)
