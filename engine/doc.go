// Package engine scores news articles against analysts' rules.
//
// # Compile time
//
// A Compiler (compile.go) turns each RuleSpec into a rule: every term is
// parsed once (terms.go; inflections written with ~ from wordforms.go and
// irregular.go, Arabic proclitics from arabic.go), the when, score and
// field expressions are checked for size (guard.go), type-checked by expr
// against the helpers' public signatures (compile_helpers.go) after the
// checker (compile_check.go) has validated their term arguments, and then
// rewritten by the patcher (compile_patch.go): a helper call with literal
// terms becomes a call of an internal form that takes interned term-set
// ids (the commonest are function fields of the run-time environment,
// runEnv, which expr calls without allocating), a term argument computed from literals and lexicons alone is
// computed then (computed.go), and only one computed from the article is
// left to run time. Finish builds the matcher over every term of every
// rule and decides how each rule is gated (below). A RuleSet is immutable
// and safe to share; a Scorer (score.go) holds one worker's buffers and
// expression VM.
//
// # Run time: the data flow of one article
//
// Scorer.Score reads an article once, in this order:
//
//  1. Normalise (normalize.go): title and body are folded as DESIGN
//     "Terms" says (NFKD, marks dropped, NFC, Arabic letter and digit
//     folds, curly quotes and dashes to ASCII), keeping a map back to the
//     original bytes for snippets and summaries.
//  2. Tokenise (analyze.go): maximal runs of letters, marks and digits,
//     each hashed (a rotate-xor hash) as it is cut; positions count from
//     0 over the title, then the body.
//  3. One matcher pass (matcher.go): terms are indexed by their first
//     word (exact words, word forms, prefixes written with *,
//     case-sensitive terms written with =, Arabic words with proclitics),
//     so the pass finds every occurrence of every term at a cost that does
//     not grow with the number of rules. Its output is, per term, the
//     sorted start positions of its occurrences.
//  4. Gating (score.go, Score and mayMatch): only candidate rules run.
//  5. Expression evaluation: each candidate's when, then its score. The
//     rewritten helper calls read the occurrence lists directly
//     (run_sets.go), each term set's occurring terms and positions kept
//     for the article (run_memo.go); terms computed from the article are looked up in a
//     word index built once per article (run_dynamic.go, wordindex.go;
//     RuleSet.SlowRules lists those rules). What helpers need beyond
//     occurrences is computed lazily, once per article: sentences
//     (analyze.go; two words a few apart are mostly related to one
//     sentence or two from the text between them, sentences.Relate,
//     without splitting it), quantities for numbers_near, read only around the
//     positions asked about (numbers.go), and each
//     token's negation, hedge and quotation flags (polarity.go), which
//     rules with polarity: asserted or quotes: ignore use to leave
//     occurrences out. Arithmetic that gives a float is checked as it
//     runs (guard.go): a result that is not finite is an error of the rule
//     for that article, never a match.
//  6. Scoring (score.go, eval): see below.
//  7. Evidence and summary: a match carries its evidence (score.go), its
//     event fields (evaluated only for a match) and the positions where
//     its conditions held (events, kept only where a summary is made);
//     the matches are sorted by score and name, and the summary
//     (summary.go) picks sentences led by those positions.
//     Snippets are cut in snippets.go, while scoring or, with
//     Scorer.LazySnippets, when the result is marshalled. Result and its
//     pinned JSON form are in result.go.
//
// # Gating
//
// Like the presearcher of a stored-query engine, gating skips the rules
// that cannot match. A rule is gated unless it reads the article other
// than through its terms (title, body, lang, …), has a term argument whose
// possible terms are known only at run time (mentions(lower(title))),
// calls one of expr's time functions (now, date, duration, timezone: its
// value can change between articles with the same terms), or is true on
// an empty article, which Finish finds by evaluating every gated rule once
// on one. A gated rule is a candidate only when one of its terms (or a term
// its computed arguments can take) occurred; the others always run. A
// candidate is then evaluated only when the terms its when needs occurred:
// every helper joined by && (mentions, near, before, …) has a term that
// occurred, and of alternatives joined by ||, one does (needs.go, mayMatch
// in score.go).
//
// # Scoring
//
// A rule matches when its when expression is true and its score (1 when it
// has none) is at least min_score; a score that is not a finite number is
// an error of the rule. A rule whose expression fails at run time does not
// match, and the failure is reported in Result.Errors. The evidence of a
// match lists each of the rule's literal terms that occurred, by first
// position, without the occurrences the rule ignores: its count, its
// positions and up to three snippets with the term marked. Evidence is
// built once per term and article and shared by every match that uses it,
// and a snippet is cut once per position and term length.
// An expression's source is bounded (MaxExprLen, MaxExprDepth) before it is
// parsed, and its tree by MaxNodes.
package engine
