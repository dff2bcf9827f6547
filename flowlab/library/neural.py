"""A neural network operator: a PyTorch MLP when torch is installed, scikit-learn's MLP otherwise.

The torch model keeps its weights as numpy arrays, so a MODEL file holds no torch object
(skops loads it safely) and the network is rebuilt on first use after loading.
"""

from __future__ import annotations

import numpy as np

from flowlab.core.definition.context import current_seed
from flowlab.core.definition.operator import Operator
from flowlab.core.definition.output import Output
from flowlab.core.definition.resources import Resources
from flowlab.library.devices import DEVICES, torch_device
from flowlab.library.estimators import encode_labels
from flowlab.library.frames import operator_name, training_frame
from flowlab.library.sklearn_trainers import TASKS, check_task
from flowlab.types import DATASET, DOUBLE, ENUM, FEATURES, INTEGER, LIST, MODEL, TEXT, Model, Schema


def torch_available() -> bool:
    """True when ``import torch`` works (the optional ``flowlab[torch]`` extra)."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


class TorchMLP:
    """A multi-layer perceptron (ReLU) trained with torch's Adam; scikit-learn's interface.

    Example::

        mlp = TorchMLP(task="classification", hidden=[32], epochs=50).fit(x, y)
        mlp.predict_proba(x)
    """

    def __init__(
        self,
        task="classification",
        hidden=(64, 32),
        epochs=100,
        batch_size=64,
        learning_rate=1e-3,
        weight_decay=0.0,
        device="cpu",
        seed=0,
    ):
        self.task = task
        self.hidden = list(hidden)
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.device = device
        self.seed = seed

    # -- training ---------------------------------------------------------------------------------
    def fit(self, x, y):
        import torch

        torch.manual_seed(self.seed)
        features = np.asarray(x, dtype=np.float32)
        self.mean_ = features.mean(axis=0)
        self.scale_ = features.std(axis=0) + 1e-8
        inputs = torch.as_tensor((features - self.mean_) / self.scale_, device=self.device)
        if self.task == "classification":
            codes, self.classes_ = encode_labels(y)
            target = torch.as_tensor(codes, dtype=torch.long, device=self.device)
            loss_fn, outputs = torch.nn.CrossEntropyLoss(), len(self.classes_)
        else:
            target = torch.as_tensor(np.asarray(y, np.float32), device=self.device)[:, None]
            loss_fn, outputs = torch.nn.MSELoss(), 1
        network = self._network(features.shape[1], outputs).to(self.device)
        optimiser = torch.optim.Adam(
            network.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay
        )
        generator = torch.Generator(device="cpu").manual_seed(self.seed)
        network.train()
        for _ in range(self.epochs):
            order = torch.randperm(len(inputs), generator=generator).to(self.device)
            for start in range(0, len(inputs), self.batch_size):
                batch = order[start : start + self.batch_size]
                optimiser.zero_grad()
                loss = loss_fn(network(inputs[batch]), target[batch])
                loss.backward()
                optimiser.step()
        self.weights_ = [p.detach().cpu().numpy() for p in network.state_dict().values()]
        self.n_features_in_ = features.shape[1]
        self._cached = None
        return self

    def _network(self, inputs: int, outputs: int):
        import torch

        layers, width = [], inputs
        for size in self.hidden:
            layers += [torch.nn.Linear(width, size), torch.nn.ReLU()]
            width = size
        layers.append(torch.nn.Linear(width, outputs))
        return torch.nn.Sequential(*layers)

    # -- prediction -------------------------------------------------------------------------------
    def _forward(self, x) -> np.ndarray:
        import torch

        network = getattr(self, "_cached", None)
        if network is None:
            outputs = len(self.classes_) if self.task == "classification" else 1
            network = self._network(self.n_features_in_, outputs)
            keys = list(network.state_dict())
            network.load_state_dict(
                {k: torch.as_tensor(w) for k, w in zip(keys, self.weights_, strict=True)}
            )
            network.eval()
            self._cached = network
        features = (np.asarray(x, dtype=np.float32) - self.mean_) / self.scale_
        with torch.no_grad():
            return network(torch.as_tensor(features, dtype=torch.float32)).numpy()

    def predict_proba(self, x):
        import torch

        return torch.softmax(torch.as_tensor(self._forward(x)), dim=1).numpy()

    def predict(self, x):
        if self.task == "classification":
            return self.classes_[np.argmax(self._forward(x), axis=1)]
        return self._forward(x)[:, 0]

    def get_params(self, deep: bool = True) -> dict:
        names = ("task", "hidden", "epochs", "batch_size", "learning_rate", "weight_decay")
        return {n: getattr(self, n) for n in (*names, "device", "seed")}

    def __getstate__(self):
        # the rebuilt torch network is a cache, never saved
        return {k: v for k, v in self.__dict__.items() if k != "_cached"}


def _sklearn_mlp(task: str, hidden: list[int], epochs, batch_size, learning_rate, weight_decay):
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    kind = MLPClassifier if task == "classification" else MLPRegressor
    network = kind(
        hidden_layer_sizes=tuple(hidden),
        max_iter=epochs,
        batch_size=batch_size,
        learning_rate_init=learning_rate,
        alpha=weight_decay,
        random_state=current_seed(0),
    )
    return make_pipeline(StandardScaler(), network)


def _train_neural_net(
    dataset,
    label,
    features=None,
    task="classification",
    hidden_layers=(64, 32),
    epochs=100,
    batch_size=64,
    learning_rate=1e-3,
    weight_decay=0.0,
    backend="auto",
    device="auto",
):
    """Train a multi-layer perceptron: PyTorch (on CUDA when the worker has a GPU) when torch
    is installed, else scikit-learn's MLP. ``backend`` forces one.

    Example::

        ops.TrainNeuralNetOperator(dataset=split.train, label="species", epochs=50).model
    """
    owner = operator_name("TrainNeuralNetOperator")
    check_task(task, TASKS, owner)
    if backend == "auto":
        backend = "torch" if torch_available() else "sklearn"
    if backend == "torch" and not torch_available():
        raise ImportError(
            f"input 'backend' of operator '{owner}': 'torch' was asked for but torch is not "
            "installed; pip install 'flowlab[torch]', or use backend='sklearn'"
        )
    frame, chosen = training_frame(dataset, features, label, owner)
    hidden = list(hidden_layers)
    params = dict(
        hidden_layers=hidden,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        weight_decay=weight_decay,
        backend=backend,
    )
    if backend == "torch":
        chosen_device = torch_device(device, owner)
        estimator = TorchMLP(
            task=task,
            hidden=hidden,
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            device=chosen_device,
            seed=current_seed(0),
        )
        params["device"] = chosen_device
        library = "torch"
    else:
        estimator = _sklearn_mlp(task, hidden, epochs, batch_size, learning_rate, weight_decay)
        params["device"] = "cpu"
        library = "scikit-learn"
    estimator.fit(frame[chosen], frame[label].to_numpy())
    model = Model(
        estimator=estimator,
        task=task,
        features=chosen,
        label=label,
        library=library,
        params=params,
    )
    return Output(model=model)


_NN_SCHEMA = Schema(
    dataset=DATASET,
    features=FEATURES(of="dataset"),
    label=TEXT,
    task=ENUM(*TASKS),
    hidden_layers=LIST(INTEGER(min=1), description="units of each hidden layer"),
    epochs=INTEGER(min=1),
    batch_size=INTEGER(min=1),
    learning_rate=DOUBLE(min=0),
    weight_decay=DOUBLE(min=0),
    backend=ENUM("auto", "torch", "sklearn"),
    device=ENUM(*DEVICES),
)

TrainNeuralNetOperator = Operator(
    _train_neural_net,
    input_schema=_NN_SCHEMA,
    returns=Schema(model=MODEL),
    name="TrainNeuralNetOperator",
)

# The GPU twin: same code, scheduled only on a worker that offers a GPU, trained on CUDA there.
TrainNeuralNetGPUOperator = Operator(
    _train_neural_net,
    input_schema=_NN_SCHEMA,
    returns=Schema(model=MODEL),
    resources=Resources(cpu=1, gpu=1),
    name="TrainNeuralNetGPUOperator",
)
