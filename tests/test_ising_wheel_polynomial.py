"""The wheels' low bit (hw/ising/wheel_spec.py): x_n = x_{n−75} ⊕ x_{n−125} ⊕ x_{n−127} over
GF(2), whose characteristic polynomial must be (x + 1) times a primitive polynomial of degree
126, so that the low bit is an m-sequence of period 2^126 − 1. Polynomials are ints (bit i is
the coefficient of x^i)."""

from bitspin.hw.ising.wheel_spec import WHEEL_ADD_LAG, WHEEL_LONG_LAG, WHEEL_MIX_LAG


def _mod(a: int, m: int) -> int:
    while a.bit_length() >= m.bit_length():
        a ^= m << (a.bit_length() - m.bit_length())
    return a


def _mul(a: int, b: int, m: int) -> int:
    product = 0
    while b:
        if b & 1:
            product ^= a
        a, b = _mod(a << 1, m), b >> 1
    return _mod(product, m)


def _x_power(e: int, m: int) -> int:
    result, base = 1, 0b10
    while e:
        if e & 1:
            result = _mul(result, base, m)
        base, e = _mul(base, base, m), e >> 1
    return result


def _divide(a: int, b: int) -> tuple[int, int]:
    quotient = 0
    while a.bit_length() >= b.bit_length():
        shift = a.bit_length() - b.bit_length()
        quotient, a = quotient | 1 << shift, a ^ b << shift
    return quotient, a


def _is_prime(n: int) -> bool:
    if n < 2:
        return False
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for a in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        if n % a == 0:
            return n == a
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime_factors(n: int) -> set[int]:
    factors, d = set(), 2
    while d < 10 ** 6 and d * d <= n:
        while n % d == 0:
            factors.add(d)
            n //= d
        d += 1
    if n > 1:
        assert _is_prime(n), n          # 2^126 − 1 has one factor above 10^6: 77158673929
        factors.add(n)
    return factors


def _is_primitive(q: int) -> bool:
    order = (1 << (q.bit_length() - 1)) - 1
    return _x_power(order, q) == 1 and all(_x_power(order // r, q) != 1
                                           for r in _prime_factors(order))


def test_the_low_bit_is_an_m_sequence_of_degree_126():
    n = WHEEL_LONG_LAG
    char = 1 << n | 1 << (n - WHEEL_ADD_LAG) | 1 << (n - WHEEL_MIX_LAG) | 1
    cofactor, remainder = _divide(char, 0b11)
    assert remainder == 0 and cofactor.bit_length() - 1 == 126
    assert _is_primitive(cofactor)


def test_the_check_rejects_a_cofactor_that_is_not_primitive():
    cofactor, _ = _divide(1 << 127 | 1 << 63 | 1 << 1 | 1, 0b11)     # lags (64, 126, 127)
    assert not _is_primitive(cofactor)
    assert _is_primitive(1 << 127 | 1 << 64 | 1)                    # the old wheel's trinomial
