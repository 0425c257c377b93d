// Package engine scores news articles against analysts' rules.
//
// An article is read once: its title and body are normalised (NFKD, marks
// dropped, NFC, Arabic letter and digit folds, curly quotes and dashes to
// ASCII) with a map back to the original bytes, and split into tokens, each
// hashed as it is cut. One pass of the matcher over the tokens then finds
// every occurrence of every term of every rule: terms are indexed by their
// first word (exact words, inflections written with ~ expanded when the rule
// set is compiled, prefixes written with *, case-sensitive terms written
// with =, and Arabic words with their proclitics), so the cost of the pass
// does not grow with the number of rules.
//
// Only the rules one of whose terms occurred are evaluated (a presearcher,
// as stored-query engines call it), plus those that can be true with no term
// at all, found by evaluating every rule once on an empty article when the
// set is compiled (a rule that calls one of expr's time functions, now,
// date, duration or timezone, is never gated: that probe says nothing about
// later articles); and of those, only the ones in which every helper joined
// by && at the top of when (mentions, near, before, …) has a term that
// occurred. Rules are expr-lang programs compiled once; helper calls
// with literal terms are rewritten at compile time to refer to interned
// term sets, so at run time a helper reads the occurrence lists directly.
// A term argument computed from literals and lexicons alone is computed
// then too and becomes literal terms; one that chooses between such values
// has all its choices interned; only one computed from the article is
// looked up at run time, in a word index built once per article
// (computed.go, wordindex.go; RuleSet.SlowRules lists those rules).
//
// What the helpers need beyond occurrences is computed lazily, once per
// article: sentences, quantities (numbers_near), and each token's polarity
// and quotation flags (negated, hedged, quoted), which rules with
// polarity: asserted or quotes: ignore use to leave occurrences out.
//
// A rule matches when its when expression is true and its score reaches
// min_score. A match carries the evidence (each term that counted, with
// positions and snippets), the rule's event fields (evaluated only then),
// and the positions where its conditions held, whose sentences lead the
// article's summary. Arithmetic that gives a float is checked as it runs:
// a result that is not finite (a division by zero) is an error of the rule
// for that article, never a match. An expression's source is bounded
// (MaxExprLen, MaxExprDepth) before it is parsed, and its tree by MaxNodes.
//
// A RuleSet is immutable and safe to share; a Scorer holds one worker's
// buffers and expression VM.
package engine
