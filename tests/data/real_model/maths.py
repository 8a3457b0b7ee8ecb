def is_palindrome(s):
    cleaned = "".join(ch.lower() for ch in s if ch.isalnum())
    return cleaned == cleaned[::-1]


def fib(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def c_to_f(c):
    return c * 9 / 5 + 32


def gcd(a, b):
    while b:
        a, b = b, a % b
    return a
