'use strict';

/**
 * Capitalize the first letter of every word in a sentence.
 * @param {string} text the sentence
 * @returns {string}
 */
export function titleCase(text) {
  return text
    .split(' ')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');
}

/** Reverse the characters of a string, keeping surrogate pairs intact. */
const reverseString = (text) => {
  const chars = Array.from(text);
  chars.reverse();
  return chars.join('');
};

// Count how many vowels a string has (a plain comment, not JSDoc).
function countVowels(text) {
  let n = 0;
  for (const c of text.toLowerCase()) {
    if ('aeiou'.includes(c)) n += 1;
  }
  return n;
}

class Slugger {
  /**
   * Turn a title into a URL slug made of lower-case words and dashes.
   */
  slugify(title) {
    const words = title.toLowerCase().split(/\W+/);
    const kept = words.filter((w) => w.length > 0);
    return kept.join('-');
  }

  /**
   * Make a slug unique by appending a counter when it was seen before.
   */
  unique(slug, seen) {
    let candidate = slug;
    for (let i = 2; seen.has(candidate); i += 1) candidate = `${slug}-${i}`;
    seen.add(candidate);
    return candidate;
  }
}

module.exports = { titleCase, reverseString, countVowels, Slugger };
