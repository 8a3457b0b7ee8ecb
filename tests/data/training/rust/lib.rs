//! Small numeric helpers (fixture for pair mining).

/// Greatest common divisor of two numbers, by Euclid's algorithm.
///
/// # Examples
///
/// ```
/// assert_eq!(gcd(12, 18), 6);
/// ```
#[inline]
pub fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        let t = b;
        b = a % b;
        a = t;
    }
    a
}

// Least common multiple (a plain comment, not a doc comment).
pub fn lcm(a: u64, b: u64) -> u64 {
    if a == 0 || b == 0 {
        return 0;
    }
    a / gcd(a, b) * b
}
