"""Significance tests for scripts/compare (python3 stdlib only): Student's t distribution through
the regularized incomplete beta function, Welch's two-sample t-test and Holm's step-down
adjustment of a family of p-values."""

import math
import statistics

_TINY = 1e-300


def _beta_continued_fraction(x, a, b):
    """The continued fraction of I_x(a, b) (valid for x < (a + 1) / (a + b + 2)), evaluated by
    the modified Lentz method: 1 / (1 + d1 / (1 + d2 / (1 + ...))) with
    d(2m+1) = -(a+m)(a+b+m) x / ((a+2m)(a+2m+1)) and d(2m) = m(b-m) x / ((a+2m-1)(a+2m))."""
    f, c, d = _TINY, _TINY, 0.0
    for j in range(1, 1000):
        if j == 1:
            num = 1.0
        else:
            k = j - 1  # index of d_k
            m = k // 2
            if k % 2:
                num = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            else:
                num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
        d = 1.0 + num * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + num / c
        c = c if abs(c) > _TINY else _TINY
        f *= c * d
        if abs(c * d - 1.0) < 1e-15:
            return f
    raise ArithmeticError(f"incomplete beta did not converge (x={x}, a={a}, b={b})")


def betainc(a, b, x):
    """The regularized incomplete beta function I_x(a, b), a, b > 0, 0 <= x <= 1."""
    if not (a > 0 and b > 0 and 0.0 <= x <= 1.0):
        raise ValueError(f"betainc: need a, b > 0 and 0 <= x <= 1 (a={a}, b={b}, x={x})")
    if x == 0.0 or x == 1.0:
        return x
    log_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                 + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) / a * _beta_continued_fraction(x, a, b)
    return 1.0 - math.exp(log_front) / b * _beta_continued_fraction(1.0 - x, b, a)


def t_two_sided_p(t, df):
    """P(|T| >= |t|) for Student's t with df > 0 degrees of freedom."""
    if math.isinf(t):
        return 0.0
    return betainc(df / 2.0, 0.5, df / (df + t * t))


def welch(a, b):
    """Welch's t-test of mean(b) - mean(a): (t, df, two-sided p). Both samples need >= 2 values,
    or one sample has 1 value and borrows the other's variance (a single new run against
    repeats: t = diff / (s * sqrt(1/na + 1/nb)), df = n - 1 of the repeated side)."""
    na, nb = len(a), len(b)
    if na < 1 or nb < 1 or na + nb < 3:
        raise ValueError("welch: need >= 2 values on one side and >= 1 on the other")
    diff = statistics.fmean(b) - statistics.fmean(a)
    if na >= 2 and nb >= 2:
        va, vb = statistics.variance(a) / na, statistics.variance(b) / nb
        se2 = va + vb
        df = se2 * se2 / (va * va / (na - 1) + vb * vb / (nb - 1)) if se2 > 0 else na + nb - 2
    else:
        s2 = statistics.variance(a if na >= 2 else b)
        se2 = s2 * (1.0 / na + 1.0 / nb)
        df = max(na, nb) - 1
    if se2 <= 0:  # no spread at all: equal means are no difference, unequal ones are certain
        return (0.0, df, 1.0) if diff == 0 else (math.copysign(math.inf, diff), df, 0.0)
    t = diff / math.sqrt(se2)
    return t, df, t_two_sided_p(t, df)


def holm(pvalues):
    """Holm's step-down adjusted p-values (same order as given): reject hypothesis i at family-wise
    level alpha when adjusted[i] <= alpha."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [1.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted
