"""The HPO example's Python objective: a logistic regression on the example's dataset, in pure Python.

Run by the command work hpo.evaluatePython (python-objective.ts) as `python3 objective.py`; its arguments are
(point, options): the hyperparameters, and where the dataset file is. Each event's eleven features are
standardised on the training events and given their squares (a peak in the pair mass needs a quadratic
term), and the model is trained by full-batch gradient descent with an L2 penalty. The result is
{"auc": validation ROC AUC, "seconds": wall time of the evaluation}.

Only the standard library: the machines this runs on may have no package index.
"""

import json
import math
import time

import pando_job


def standardiser(rows):
    """Mean and spread of each column of the training events."""
    n = len(rows)
    means = [sum(col) / n for col in zip(*rows)]
    spreads = [math.sqrt(sum((v - m) ** 2 for v in col) / n) or 1.0 for col, m in zip(zip(*rows), means)]
    return means, spreads


def expand(rows, means, spreads):
    """Standardised features and their squares (centred), with a constant term."""
    out = []
    for row in rows:
        z = [(v - m) / s for v, m, s in zip(row, means, spreads)]
        out.append([1.0] + z + [v * v - 1.0 for v in z])
    return out


def sigmoid(t):
    return 1.0 / (1.0 + math.exp(-t)) if t >= 0 else math.exp(t) / (1.0 + math.exp(t))


def train(features, labels, learning_rate, l2, epochs):
    """Full-batch gradient descent on the mean log loss plus l2/2 * |w|^2 (the constant term unpenalised)."""
    n, d = len(features), len(features[0])
    weights = [0.0] * d
    for _ in range(epochs):
        gradient = [0.0] * d
        for x, y in zip(features, labels):
            error = sigmoid(sum(w * v for w, v in zip(weights, x))) - y
            for j in range(d):
                gradient[j] += error * x[j]
        for j in range(d):
            penalty = l2 * weights[j] if j > 0 else 0.0
            weights[j] -= learning_rate * (gradient[j] / n + penalty)
    return weights


def auc(scores, labels):
    """ROC AUC as the Mann-Whitney statistic, ties counting one half (as auc.ts)."""
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    positives = rank_sum = 0
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        average_rank = (i + j + 2) / 2
        for k in range(i, j + 1):
            if labels[order[k]] == 1:
                positives += 1
                rank_sum += average_rank
        i = j + 1
    negatives = len(order) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def evaluate(point, options):
    started = time.perf_counter()
    for name in ("learningRate", "l2", "epochs"):
        if not (isinstance(point.get(name), (int, float)) and point[name] > 0):
            raise pando_job.NonRetryable(f"{name} must be a positive number (got {point.get(name)!r})")
    with open(options["dataset"], encoding="utf-8") as f:
        data = json.load(f)
    means, spreads = standardiser(data["train"]["features"])
    weights = train(
        expand(data["train"]["features"], means, spreads),
        data["train"]["labels"],
        float(point["learningRate"]),
        float(point["l2"]),
        int(point["epochs"]),
    )
    scores = [sum(w * v for w, v in zip(weights, x)) for x in expand(data["validation"]["features"], means, spreads)]
    value = auc(scores, data["validation"]["labels"])
    print(f"learningRate={point['learningRate']:.4g} l2={point['l2']:.3g} epochs={point['epochs']}: AUC {value:.4f}")
    return {"auc": value, "seconds": time.perf_counter() - started}


if __name__ == "__main__":
    pando_job.run(evaluate)
