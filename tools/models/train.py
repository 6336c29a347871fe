#!/usr/bin/python3
"""Train the sample models and write their ONNX graphs and companion files.

Run from anywhere with Debian's interpreter:

    /usr/bin/python3 tools/models/train.py

Needs the Debian packages python3-numpy, python3-sklearn and python3-onnx
(no network access: only data sets that ship inside scikit-learn are used).
Every output is deterministic: running the script twice gives byte-identical
files. See tools/models/README.md for what it writes.
"""

import os

# Single-threaded BLAS so floating-point sums are reproducible run to run.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import json  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
OPSET = 17
IR_VERSION = 8
GOLDEN_ROWS = 16
SAMPLE_MAX = 2000
TOLERANCE = 1e-5

warnings.simplefilter("error", ConvergenceWarning)


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------

def f32(values):
    """Values as float32, returned as float64 (exactly representable)."""
    return np.asarray(values, dtype=np.float32).astype(np.float64)


def fnum(value):
    """A JSON/CSV number for a float: repr of the float64, so exact."""
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"non-finite value {v}")
    return v


def write_bytes(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    print(f"  wrote {path.relative_to(ROOT)} ({len(data)} bytes)")


def write_text(path, text):
    write_bytes(path, text.encode("utf-8"))


def write_json(path, obj):
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)
    write_text(path, text + "\n")


def snake(name):
    return name.strip().lower().replace(" ", "_")


def tensor_value_info(name, elem_type, dims):
    return helper.make_tensor_value_info(name, elem_type, dims)


def init(name, array):
    return numpy_helper.from_array(np.ascontiguousarray(array), name=name)


def make_model(graph, doc):
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        ir_version=IR_VERSION,
        producer_name="serving-tools-models",
        producer_version="1",
        doc_string=doc,
    )
    onnx.checker.check_model(model, full_check=True)
    # Strict shape inference catches type/shape mistakes the checker misses.
    onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    return model


def save_model(path, model):
    write_bytes(path, model.SerializeToString())


def yaml_shape(shape):
    return "[" + ", ".join(str(d) for d in shape) + "]"


def model_yaml(name, description, max_batch_size, inputs, outputs, labels_files=None, extra=""):
    """The model.yaml schema the server loads (flow-style entries); labels_files maps an output to its labels file,
    extra is YAML appended as written (e.g. a features: section)."""
    labels_files = labels_files or {}
    lines = [
        f"name: {name}",
        "platform: onnxruntime_onnx",
        f"description: {description}",
        "version_policy: { all: {} }",
        f"max_batch_size: {max_batch_size}",
        "inputs:",
    ]
    for n, dt, shape in inputs:
        lines.append(f"  - {{ name: {n}, datatype: {dt}, shape: {yaml_shape(shape)} }}")
    lines.append("outputs:")
    for n, dt, shape in outputs:
        labels = f", labels_file: {labels_files[n]}" if n in labels_files else ""
        lines.append(f"  - {{ name: {n}, datatype: {dt}, shape: {yaml_shape(shape)}{labels} }}")
    text = "\n".join(lines) + "\n" + extra
    try:
        import yaml
    except ImportError:  # python3-yaml is optional: only used for this check
        return text
    parsed = yaml.safe_load(text)
    expected = {
        "name": name, "platform": "onnxruntime_onnx", "description": description,
        "version_policy": {"all": {}}, "max_batch_size": max_batch_size,
        "inputs": [{"name": n, "datatype": dt, "shape": list(s)} for n, dt, s in inputs],
        "outputs": [{"name": n, "datatype": dt, "shape": list(s), **({"labels_file": labels_files[n]} if n in labels_files else {})}
                    for n, dt, s in outputs],
    }
    if extra:
        expected.update(yaml.safe_load(extra))
    assert parsed == expected, (parsed, expected)
    return text


# --------------------------------------------------------------------------
# A tiny numpy interpreter for the ops used here, to verify graphs without
# onnxruntime (not packaged in Debian). Computation is in the graph's dtype.
# --------------------------------------------------------------------------

def run_graph(model, feeds):
    g = model.graph
    env = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    env.update(feeds)
    for node in g.node:
        a = {at.name: helper.get_attribute_value(at) for at in node.attribute}
        x = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Identity":
            y = x[0].copy()
        elif op == "Add":
            y = x[0] + x[1]
        elif op == "Sub":
            y = x[0] - x[1]
        elif op == "Mul":
            y = x[0] * x[1]
        elif op == "Div":
            y = x[0] / x[1]
        elif op == "Relu":
            y = np.maximum(x[0], np.zeros((), x[0].dtype))
        elif op == "MatMul":
            y = x[0] @ x[1]
        elif op == "Gemm":
            A = x[0].T if a.get("transA", 0) else x[0]
            B = x[1].T if a.get("transB", 0) else x[1]
            y = np.asarray(a.get("alpha", 1.0), A.dtype) * (A @ B)
            if len(x) > 2 and x[2] is not None:
                y = y + np.asarray(a.get("beta", 1.0), A.dtype) * x[2]
        elif op == "Softmax":
            axis = a.get("axis", -1)
            m = np.max(x[0], axis=axis, keepdims=True)
            e = np.exp(x[0] - m)
            y = e / np.sum(e, axis=axis, keepdims=True)
        elif op == "Flatten":
            axis = a.get("axis", 1)
            s = x[0].shape
            y = x[0].reshape(int(np.prod(s[:axis])), int(np.prod(s[axis:])))
        elif op == "Reshape":
            y = x[0].reshape(tuple(int(d) for d in x[1]))
        elif op == "Slice":  # starts, ends, axes; steps of 1
            index = [slice(None)] * x[0].ndim
            for start, end, axis in zip(x[1], x[2], x[3]):
                index[int(axis)] = slice(int(start), int(end))
            y = x[0][tuple(index)]
        else:
            raise NotImplementedError(op)
        env[node.output[0]] = y
    return {o.name: env[o.name] for o in g.output}


# --------------------------------------------------------------------------
# Graph builders from trained weights
# --------------------------------------------------------------------------

def scaled_mlp_graph(name, in_name, in_dims, out_name, n_out, layers,
                     mean=None, scale=None, divisor=None, flatten=False):
    """input -> [Flatten] -> [Sub mean, Div scale | Div divisor] ->
    (Gemm, Relu)* -> Gemm -> Softmax.  `layers` = [(W[in,out], b[out]), ...]."""
    nodes, inits = [], []
    cur = in_name
    if flatten:
        nodes.append(helper.make_node("Flatten", [cur], ["flat"], axis=1, name="flatten"))
        cur = "flat"
    if mean is not None:
        inits += [init("scaler_mean", mean.astype(np.float32)),
                  init("scaler_scale", scale.astype(np.float32))]
        nodes.append(helper.make_node("Sub", [cur, "scaler_mean"], ["centered"], name="center"))
        nodes.append(helper.make_node("Div", ["centered", "scaler_scale"], ["scaled"], name="scale"))
        cur = "scaled"
    if divisor is not None:
        inits.append(init("divisor", np.array(divisor, dtype=np.float32)))
        nodes.append(helper.make_node("Div", [cur, "divisor"], ["scaled"], name="scale"))
        cur = "scaled"
    for i, (W, b) in enumerate(layers):
        inits += [init(f"W{i}", W.astype(np.float32)), init(f"b{i}", b.astype(np.float32))]
        nodes.append(helper.make_node("Gemm", [cur, f"W{i}", f"b{i}"], [f"z{i}"], name=f"dense{i}"))
        cur = f"z{i}"
        if i < len(layers) - 1:
            nodes.append(helper.make_node("Relu", [cur], [f"h{i}"], name=f"relu{i}"))
            cur = f"h{i}"
    nodes.append(helper.make_node("Softmax", [cur], [out_name], axis=-1, name="softmax"))
    graph = helper.make_graph(
        nodes, name,
        [tensor_value_info(in_name, TensorProto.FLOAT, in_dims)],
        [tensor_value_info(out_name, TensorProto.FLOAT, ["batch", n_out])],
        initializer=inits,
    )
    return graph


def binary_head(W, b):
    """A 1-unit logit layer z -> 2 units [0, z], so Softmax gives [1-p, p]."""
    W = np.asarray(W, dtype=np.float64).reshape(W.shape[0], 1)
    W2 = np.concatenate([np.zeros_like(W), W], axis=1)
    b2 = np.array([0.0, float(np.ravel(b)[0])])
    return W2, b2


def mlp_layers(mlp, binary):
    layers = [(W, b) for W, b in zip(mlp.coefs_, mlp.intercepts_)]
    if binary:
        layers[-1] = binary_head(*layers[-1])
    return layers


# --------------------------------------------------------------------------
# Golden pairs and reference profiles
# --------------------------------------------------------------------------

def golden(model_name, version, in_name, in_shape, x, out_name, probs):
    return {
        "model": model_name,
        "version": version,
        "inputs": [{"name": in_name, "datatype": "FP32", "shape": list(in_shape),
                    "data": [fnum(v) for v in np.ravel(x)]}],
        "outputs": [{"name": out_name, "datatype": "FP32", "shape": list(probs.shape),
                     "data": [fnum(v) for v in np.ravel(probs)]}],
    }


def numeric_profile(name, values, rng):
    values = np.asarray(values, dtype=np.float64)
    edges = np.unique(np.quantile(values, np.linspace(0.0, 1.0, 11)))
    if len(edges) == 1:  # constant feature: one degenerate bin [v, v]
        edges = np.array([edges[0], edges[0]])
    counts = np.zeros(len(edges) - 1, dtype=np.int64)
    # first bin [e0, e1]; the others (a, b]
    idx = np.searchsorted(edges, values, side="left") - 1
    idx = np.clip(idx, 0, len(counts) - 1)
    np.add.at(counts, idx, 1)
    assert counts.sum() == len(values)
    if len(values) > SAMPLE_MAX:
        pick = np.sort(rng.choice(len(values), size=SAMPLE_MAX, replace=False))
        sample = values[pick]
    else:
        sample = values
    return {
        "name": name,
        "kind": "numeric",
        "bin_edges": [fnum(e) for e in edges],
        "proportions": [fnum(c / len(values)) for c in counts],
        "mean": fnum(values.mean()),
        "std": fnum(values.std()),
        "sample": [fnum(v) for v in sample],
    }


def categorical_profile(name, labels, categories):
    labels = [str(v) for v in labels]
    n = len(labels)
    return {
        "name": name,
        "kind": "categorical",
        "categories": {c: fnum(labels.count(c) / n) for c in categories},
    }


def reference(model_name, version, names, X, prediction, seed):
    rng = np.random.RandomState(seed)
    return {
        "model": model_name,
        "version": version,
        "rows": int(X.shape[0]),
        "features": [numeric_profile(n, X[:, j], rng) for j, n in enumerate(names)],
        "prediction": prediction,
    }


def verify(label, model, feeds, expected):
    got = run_graph(model, feeds)
    diff = 0.0
    for k, v in expected.items():
        g = got[k]
        assert g.shape == v.shape, (label, k, g.shape, v.shape)
        diff = max(diff, float(np.max(np.abs(g.astype(np.float64) - v))))
    status = "OK" if diff <= TOLERANCE else "FAIL"
    print(f"  verify {label}: max abs diff vs golden = {diff:.3e} [{status}]")
    if diff > TOLERANCE:
        sys.exit(f"{label}: ONNX output differs from the framework by {diff}")
    return diff


# --------------------------------------------------------------------------
# 1. Tabular: breast cancer, v1 logistic regression, v2 MLP
# --------------------------------------------------------------------------

# Batches that form under load only (README.md, "Batching under load"): written into tabular's model.yaml as is.
TABULAR_BATCHING = """\
# No queue delay: a request that finds the instance idle runs at once on its own thread, and the requests that come
# while a batch runs go together in the next one. Since a batch loop answers its batch itself, that is faster than
# a delay with an arrival gap (300 µs, gap 60 µs, this sample's setting before) at 1 and 8 callers and as fast at 64:
# README, "Batching under load".
dynamic_batching:
  max_queue_delay_us: 0
"""

# The entity form of call (see the README's "Feature store"): written into tabular's model.yaml as is.
TABULAR_FEATURES = """\
# Second form of call: send customer_id (one per row) and the worker fills `input` from the
# feature store (Redis when Serving:Features:Redis is set, else this model's features.csv in memory).
features:
  entity_input: customer_id
  target_input: input
  key_pattern: "features:customer:{id}"
  layout: packed      # packed (one string of field=value lines per entity, one MGET per batch) or hash (HSET/HMGET, a field per feature)
  fields_file: feature_names.txt
  csv: features.csv
  on_missing: defaults
  on_unavailable: fail_open
  near_cache_ttl_ms: 1000
  near_cache_size: 10000
"""


def build_tabular(results):
    print("tabular (breast cancer)")
    ds = load_breast_cancer()
    names = [snake(n) for n in ds.feature_names]
    X = f32(ds.data)  # exactly what the server sees (float32)
    y = ds.target
    n_features = X.shape[1]
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0)

    base = ROOT / "models" / "tabular"
    write_text(base / "model.yaml", model_yaml(
        "tabular",
        "Breast-cancer binary classifier (v1 logistic regression, v2 MLP)",
        64,
        [("input", "FP32", [-1, n_features])],
        [("probabilities", "FP32", [-1, 2])],
        labels_files={"probabilities": "labels.txt"},
        extra=TABULAR_BATCHING + TABULAR_FEATURES,
    ))
    # Class i of the output is target i of the dataset (0 = malignant, 1 = benign).
    write_text(base / "labels.txt", "\n".join(str(n) for n in ds.target_names) + "\n")
    write_text(base / "feature_names.txt", "\n".join(names) + "\n")
    rows = ["customer_id," + ",".join(names)]
    for i, row in enumerate(X, start=1):
        rows.append(str(i) + "," + ",".join(repr(fnum(v)) for v in row))
    write_text(base / "features.csv", "\n".join(rows) + "\n")

    scaler = StandardScaler().fit(X_tr)
    Z_tr = scaler.transform(X_tr)

    lr = LogisticRegression(max_iter=5000).fit(Z_tr, y_tr)
    mlp = MLPClassifier(hidden_layer_sizes=(32, 16), activation="relu",
                        random_state=0, max_iter=3000).fit(Z_tr, y_tr)
    versions = {
        "1": (lr, [binary_head(lr.coef_.T, lr.intercept_)], "logistic regression"),
        "2": (mlp, mlp_layers(mlp, binary=True), "MLP (32, 16) relu"),
    }
    for version, (clf, layers, what) in versions.items():
        def proba(A, clf=clf):
            return clf.predict_proba(scaler.transform(A))
        acc = float(np.mean(np.argmax(proba(X_te), axis=1) == y_te))
        print(f"  v{version} {what}: test accuracy = {acc:.4f}"
              + (f" (n_iter={clf.n_iter_})" if hasattr(clf, "loss_curve_") else ""))
        graph = scaled_mlp_graph(f"tabular_v{version}", "input", ["batch", n_features],
                                 "probabilities", 2, layers,
                                 mean=scaler.mean_, scale=scaler.scale_)
        model = make_model(graph, f"Breast-cancer classifier v{version}: StandardScaler + {what}. "
                                  "Input: raw features; output: [P(class 0), P(class 1)].")
        vdir = base / version
        save_model(vdir / "model.onnx", model)

        x_g = X_te[:GOLDEN_ROWS]
        p_g = proba(x_g)
        write_json(vdir / "golden.json", golden("tabular", version, "input", x_g.shape, x_g,
                                                "probabilities", p_g))
        diff = verify(f"tabular v{version}", model, {"input": x_g.astype(np.float32)},
                      {"probabilities": p_g})
        # also check the whole test set for good measure
        verify(f"tabular v{version} (full test set)", model,
               {"input": X_te.astype(np.float32)}, {"probabilities": proba(X_te)})

        pred = numeric_profile("probabilities[1]", proba(X_tr)[:, 1],
                               np.random.RandomState(1000 + int(version)))
        write_json(vdir / "reference.json", reference("tabular", version, names, X_tr, pred,
                                                      seed=int(version)))
        results.append((f"tabular v{version}", acc, diff))


# --------------------------------------------------------------------------
# 2. Digits: 8x8 images, MLP
# --------------------------------------------------------------------------

def build_digits(results):
    print("digits (8x8)")
    ds = load_digits()
    X = f32(ds.data)  # [n, 64], values 0..16
    y = ds.target
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0)
    divisor = 16.0
    mlp = MLPClassifier(hidden_layer_sizes=(64,), activation="relu",
                        random_state=0, max_iter=2000).fit(X_tr / divisor, y_tr)
    acc = float(np.mean(mlp.predict(X_te / divisor) == y_te))
    print(f"  v1 MLP (64,) relu: test accuracy = {acc:.4f} (n_iter={mlp.n_iter_})")
    assert list(mlp.classes_) == list(range(10))

    base = ROOT / "models" / "digits"
    write_text(base / "model.yaml", model_yaml(
        "digits",
        "8x8 handwritten-digit classifier (MLP); input pixels 0..16",
        64,
        [("image", "FP32", [-1, 1, 8, 8])],
        [("probabilities", "FP32", [-1, 10])],
    ))
    graph = scaled_mlp_graph("digits_v1", "image", ["batch", 1, 8, 8], "probabilities", 10,
                             mlp_layers(mlp, binary=False), divisor=divisor, flatten=True)
    model = make_model(graph, "8x8 digits classifier v1: pixels (0..16) / 16 -> MLP(64) -> softmax.")
    vdir = base / "1"
    save_model(vdir / "model.onnx", model)

    x_g = X_te[:GOLDEN_ROWS]
    p_g = mlp.predict_proba(x_g / divisor)
    img = x_g.reshape(-1, 1, 8, 8)
    write_json(vdir / "golden.json", golden("digits", "1", "image", img.shape, img,
                                            "probabilities", p_g))
    diff = verify("digits v1", model, {"image": img.astype(np.float32)}, {"probabilities": p_g})
    verify("digits v1 (full test set)", model,
           {"image": X_te.reshape(-1, 1, 8, 8).astype(np.float32)},
           {"probabilities": mlp.predict_proba(X_te / divisor)})

    pred = categorical_profile("class", mlp.predict(X_tr / divisor), [str(c) for c in range(10)])
    names = [f"pixel_{i}" for i in range(64)]
    write_json(vdir / "reference.json", reference("digits", "1", names, X_tr, pred, seed=1))
    results.append(("digits v1", acc, diff))


# --------------------------------------------------------------------------
# 3. Test-only models
# --------------------------------------------------------------------------

# OIP datatype -> (suffix, ONNX type, numpy dtype for the check)
DTYPES = [
    ("bool", "BOOL", TensorProto.BOOL, np.bool_),
    ("int8", "INT8", TensorProto.INT8, np.int8),
    ("int16", "INT16", TensorProto.INT16, np.int16),
    ("int32", "INT32", TensorProto.INT32, np.int32),
    ("int64", "INT64", TensorProto.INT64, np.int64),
    ("uint8", "UINT8", TensorProto.UINT8, np.uint8),
    ("uint16", "UINT16", TensorProto.UINT16, np.uint16),
    ("uint32", "UINT32", TensorProto.UINT32, np.uint32),
    ("uint64", "UINT64", TensorProto.UINT64, np.uint64),
    ("fp16", "FP16", TensorProto.FLOAT16, np.float16),
    ("fp32", "FP32", TensorProto.FLOAT, np.float32),
    ("fp64", "FP64", TensorProto.DOUBLE, np.float64),
    ("bytes", "BYTES", TensorProto.STRING, np.object_),
]


def check_identity(model, names):
    feeds = {}
    for i, (inp, _) in enumerate(names):
        elem = next(v.type.tensor_type.elem_type for v in model.graph.input if v.name == inp)
        npdt = helper.tensor_dtype_to_np_dtype(elem) if hasattr(helper, "tensor_dtype_to_np_dtype") \
            else onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[elem]
        if elem == TensorProto.STRING:
            feeds[inp] = np.array([[b"a", b"bc"], [b"", b"xyz"]], dtype=object)
        else:
            feeds[inp] = (np.arange(6).reshape(2, 3) % 2).astype(npdt)
    out = run_graph(model, feeds)
    for inp, outp in names:
        assert np.array_equal(out[outp], feeds[inp]), (inp, outp)


def build_test_models():
    print("test-only models (tests/models)")
    base = ROOT / "tests" / "models"

    # identity over every datatype
    nodes, ins, outs, yin, yout, pairs = [], [], [], [], [], []
    for suffix, oip, onnx_t, _ in DTYPES:
        i, o = f"in_{suffix}", f"out_{suffix}"
        nodes.append(helper.make_node("Identity", [i], [o], name=f"identity_{suffix}"))
        ins.append(tensor_value_info(i, onnx_t, ["batch", "n"]))
        outs.append(tensor_value_info(o, onnx_t, ["batch", "n"]))
        yin.append((i, oip, [-1, -1]))
        yout.append((o, oip, [-1, -1]))
        pairs.append((i, o))
    model = make_model(helper.make_graph(nodes, "identity", ins, outs),
                       "Test model: one Identity per Open Inference Protocol datatype.")
    check_identity(model, pairs)
    save_model(base / "identity" / "1" / "model.onnx", model)
    write_text(base / "identity" / "model.yaml", model_yaml(
        "identity", "Test-only identity over every OIP datatype (in_<dtype> -> out_<dtype>)",
        8, yin, yout))

    # one single-datatype identity model per datatype (Triton naming)
    for suffix, oip, onnx_t, _ in DTYPES:
        name = f"identity_{suffix}"
        graph = helper.make_graph(
            [helper.make_node("Identity", ["INPUT0"], ["OUTPUT0"], name="identity")], name,
            [tensor_value_info("INPUT0", onnx_t, ["batch", "n"])],
            [tensor_value_info("OUTPUT0", onnx_t, ["batch", "n"])])
        model = make_model(graph, f"Test model: {oip} identity INPUT0 -> OUTPUT0.")
        check_identity(model, [("INPUT0", "OUTPUT0")])
        save_model(base / name / "1" / "model.onnx", model)
        write_text(base / name / "model.yaml", model_yaml(
            name, f"Test-only {oip} identity", 8,
            [("INPUT0", oip, [-1, -1])], [("OUTPUT0", oip, [-1, -1])]))

    # fixed shape, no batch dimension: y = x * 2
    graph = helper.make_graph(
        [helper.make_node("Mul", ["x", "two"], ["y"], name="double")], "fixed",
        [tensor_value_info("x", TensorProto.FLOAT, [4])],
        [tensor_value_info("y", TensorProto.FLOAT, [4])],
        initializer=[init("two", np.array(2.0, dtype=np.float32))])
    fixed = make_model(graph, "Test model without a batch dimension: y = 2 * x, shape [4].")
    xs = np.array([1.0, -2.5, 0.0, 3.25], dtype=np.float32)
    assert np.array_equal(run_graph(fixed, {"x": xs})["y"], xs * 2)
    save_model(base / "fixed" / "1" / "model.onnx", fixed)
    write_text(base / "fixed" / "model.yaml", model_yaml(
        "fixed", "Test-only model without a batch dimension (y = 2 * x)", 0,
        [("x", "FP32", [4])], [("y", "FP32", [4])]))

    # config that does not match the ONNX metadata (input is really "x")
    save_model(base / "mismatch" / "1" / "model.onnx", fixed)
    write_text(base / "mismatch" / "model.yaml", model_yaml(
        "mismatch", "Test-only, config input name does not match the ONNX model (which has x)", 0,
        [("wrong_name", "FP32", [4])], [("y", "FP32", [4])]))

    # canary: version 1 is y = 2 * x (the healthy baseline); version 2 loads and warms up (on zeros)
    # but fails at run time for any non-zero input (a Reshape of 4 values to [4 + any(x != 0)]):
    # the broken canary the gateway's automatic rollback tests send traffic to.
    save_model(base / "canary" / "1" / "model.onnx", fixed)
    nodes = [
        helper.make_node("Abs", ["x"], ["abs"], name="abs"),
        helper.make_node("ReduceMax", ["abs"], ["max"], name="max", keepdims=1),
        helper.make_node("Greater", ["max", "zero"], ["nonzero"], name="nonzero"),
        helper.make_node("Cast", ["nonzero"], ["extra"], name="extra", to=TensorProto.INT64),
        helper.make_node("Add", ["four", "extra"], ["target"], name="target"),
        helper.make_node("Reshape", ["x", "target"], ["reshaped"], name="broken_reshape"),
        helper.make_node("Mul", ["reshaped", "two"], ["y"], name="double"),
    ]
    graph = helper.make_graph(
        nodes, "canary_v2",
        [tensor_value_info("x", TensorProto.FLOAT, [4])],
        [tensor_value_info("y", TensorProto.FLOAT, [4])],
        initializer=[init("two", np.array(2.0, dtype=np.float32)),
                     init("zero", np.array([0.0], dtype=np.float32)),
                     init("four", np.array([4], dtype=np.int64))])
    broken = make_model(graph, "Test model: a broken canary. Loads and warms up on zeros, fails at run "
                               "time for any non-zero x (Reshape of 4 values to [5]).")
    save_model(base / "canary" / "2" / "model.onnx", broken)
    write_text(base / "canary" / "model.yaml", model_yaml(
        "canary", "Test-only, version 1 is y = 2 * x; version 2 fails at run time for any non-zero input", 0,
        [("x", "FP32", [4])], [("y", "FP32", [4])]))

    # corrupt: 200 fixed bytes that are not a protobuf
    pattern = b"\xff\xffTHIS IS NOT AN ONNX MODEL - corrupt test fixture\n"
    garbage = (pattern * (200 // len(pattern) + 1))[:200]
    try:
        onnx.load_model_from_string(garbage)
    except Exception:
        pass
    else:
        sys.exit("corrupt fixture unexpectedly parses as an ONNX model")
    write_bytes(base / "corrupt" / "1" / "model.onnx", garbage)
    write_text(base / "corrupt" / "model.yaml", model_yaml(
        "corrupt", "Test-only, version 1 is a corrupt ONNX file and must be reported unavailable", 0,
        [("x", "FP32", [4])], [("y", "FP32", [4])]))

    # Outputs whose batch dimension does not follow the input's rows, though the config says [-1, 3]: the worker
    # predicts an output's shape from the rows to let ONNX Runtime write it in place, and must notice when it can't.
    # first_two_rows: y = x[:2], so [min(rows, 2), 3] (right at 2 rows, wrong at 3);
    # first_row: y = x[:1], so [1, 3] (wrong at 2 rows already). Shape inference leaves both dims symbolic.
    xs = np.arange(9, dtype=np.float32).reshape(3, 3)
    for name, rows in (("first_two_rows", 2), ("first_row", 1)):
        graph = helper.make_graph(
            [helper.make_node("Slice", ["x", "starts", "ends", "axes"], ["y"], name="first_rows")], name,
            [tensor_value_info("x", TensorProto.FLOAT, ["batch", 3])],
            [tensor_value_info("y", TensorProto.FLOAT, ["rows", 3])],
            initializer=[init("starts", np.array([0], dtype=np.int64)), init("ends", np.array([rows], dtype=np.int64)),
                         init("axes", np.array([0], dtype=np.int64))])
        model = make_model(graph, f"Test model: y = the first {rows} row(s) of x (an output batch that is not the input's).")
        assert np.array_equal(run_graph(model, {"x": xs})["y"], xs[:rows])
        save_model(base / name / "1" / "model.onnx", model)
        write_text(base / name / "model.yaml", model_yaml(
            name, f"Test-only, y is the first {rows} row(s) of x whatever the rows", 8,
            [("x", "FP32", [-1, 3])], [("y", "FP32", [-1, 3])]))


# --------------------------------------------------------------------------
# 4. Bench model
# --------------------------------------------------------------------------

BENCH_IN, BENCH_HIDDEN, BENCH_OUT = 256, [1024, 1024, 1024], 10


# Tuned for a compute-bound model on this 2-core CPU (README.md, "Tuning a compute-bound model on CPU"): two
# instances of one ORT thread each, so one batch computes while the next one gathers; batches of at most 32, so
# 64 callers fill two of them; and a 2 ms delay, without which batches stay at a few rows under load.
BENCH_MAX_BATCH = 32
BENCH_BATCHING = """dynamic_batching:
  max_queue_delay_us: 2000
  instances: 2
runtime:
  intra_op_threads: 1
"""


def build_bench():
    print("bench model (loadtests/models)")
    rng = np.random.RandomState(42)
    sizes = [BENCH_IN] + BENCH_HIDDEN + [BENCH_OUT]
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        std = np.sqrt(2.0 / (fan_in + fan_out))  # Glorot/Xavier normal
        W = (rng.standard_normal((fan_in, fan_out)) * std).astype(np.float32)
        b = (rng.standard_normal(fan_out) * 0.01).astype(np.float32)
        layers.append((W, b))
    graph = scaled_mlp_graph("bench_mlp", "input", ["batch", BENCH_IN], "probabilities",
                             BENCH_OUT, layers)
    model = make_model(graph, "Benchmark MLP with random (seeded) weights: "
                              + " -> ".join(str(s) for s in sizes) + ", relu, softmax.")
    x = rng.standard_normal((4, BENCH_IN)).astype(np.float32)
    p = run_graph(model, {"input": x})["probabilities"]
    assert np.allclose(p.sum(axis=1), 1.0, atol=1e-5) and p.max() < 0.99, p
    base = ROOT / "loadtests" / "models" / "bench_mlp"
    save_model(base / "1" / "model.onnx", model)
    write_text(base / "model.yaml", model_yaml(
        "bench_mlp", "Benchmark MLP with random weights ("
        + " -> ".join(str(s) for s in sizes) + ")", BENCH_MAX_BATCH,
        [("input", "FP32", [-1, BENCH_IN])], [("probabilities", "FP32", [-1, BENCH_OUT])],
        extra=BENCH_BATCHING))


def main():
    print(f"repository root: {ROOT}")
    results = []
    build_tabular(results)
    build_digits(results)
    build_test_models()
    build_bench()
    print("summary:")
    for label, acc, diff in results:
        print(f"  {label:12s} test accuracy {acc:.4f}  max abs diff vs golden {diff:.3e}")


if __name__ == "__main__":
    main()
