"""Workflows the security tests run for real, then plant things beside their records."""

from __future__ import annotations

from flowlab import Output, operator, types, workflow


@operator(returns=types.Schema(model=types.MODEL, rows=types.INTEGER))
def train_tree(depth: int = 2):
    from sklearn.tree import DecisionTreeClassifier

    from flowlab.library import data

    frame = data.iris()
    features = [c for c in frame.columns if c != "species"]
    tree = DecisionTreeClassifier(max_depth=depth, random_state=0)
    tree.fit(frame[features], frame["species"])
    model = types.model.Model(estimator=tree, features=features, label="species")
    return Output(model=model, rows=len(frame))


@workflow(returns=types.Schema(model=types.MODEL, rows=types.INTEGER))
def tree_flow(depth: int = 2):
    """A tiny workflow whose run has a MODEL output."""
    trained = train_tree(depth=depth)
    return Output(model=trained.model, rows=trained.rows)


@operator(returns=types.Schema(state=types.TEXT))
def read_planted_checkpoint(marker: str):
    """Plants an unsigned pickle where this call's checkpoint lives, then loads it."""
    import pickle

    import fsspec

    from flowlab import checkpoint
    from flowlab.core.definition.context import current

    class Payload:
        def __reduce__(self):
            return (exec, (f"open({marker!r}, 'w').write('ran')",))

    fs, path = fsspec.core.url_to_fs(current().checkpoint)
    fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
    with fs.open(path, "wb") as f:
        f.write(pickle.dumps(Payload()))
    return {"state": repr(checkpoint.load(default="fresh"))}


@workflow(returns=types.Schema(state=types.TEXT))
def checkpoint_flow(marker: str):
    """Loads a checkpoint someone else planted."""
    return Output(state=read_planted_checkpoint(marker=marker).state)
