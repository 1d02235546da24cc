"""Activations, correct but written differently: algebraically equal forms.

What differs from the reference: tanh(z) = sign(z) (1 − e^(−2|z|)) / (1 + e^(−2|z|)),
with expm1 for accuracy near 0, e^(−2|z|) ≤ 1 and |z| capped at 40 (where
tanh is 1 to double precision) so nothing overflows;
σ(z) = (1 + tanh(z/2)) / 2; σ'(z) = (1 − t)(1 + t) / 4 with t = tanh(z/2);
tanh'(z) = (1 − t)(1 + t) with t = tanh(z). (For z ≲ −37, σ(z) rounds to 0
where the reference keeps a tiny positive value: equal within any absolute
tolerance.)
"""
import numpy as np


def array_module(a):
    """The array module (numpy, cupy, ...) that array `a` belongs to."""
    namespace = getattr(a, "__array_namespace__", None)
    return namespace() if namespace is not None else np


def tanh(z):
    """tanh(z), elementwise, any shape; keeps z's dtype."""
    xp = array_module(z)
    a = xp.minimum(xp.abs(z), 40)               # tanh(40) is 1 to double precision; 2|z| can't overflow
    e = xp.exp(-2 * a)                          # in (0, 1]
    magnitude = -xp.expm1(-2 * a) / (1 + e)
    return xp.where(z < 0, -magnitude, magnitude)


def tanh_prime(z):
    """1 − tanh(z)², at the pre-activation z."""
    t = tanh(z)
    return (1 - t) * (1 + t)


def sigmoid(z):
    """σ(z) = (1 + tanh(z / 2)) / 2, elementwise, any shape; keeps z's dtype."""
    return 0.5 * (1 + tanh(z / 2))


def sigmoid_prime(z):
    """σ'(z) = σ(z)(1 − σ(z)) = (1 − tanh²(z/2)) / 4, at the pre-activation z."""
    t = tanh(z / 2)
    return 0.25 * (1 - t) * (1 + t)
