// Package history replays the articles the store keeps through rule sets
// and sends nothing: what a rules directory would have matched over the
// stored history (Backtest), what a new rules directory would newly match
// and stop matching relative to another (Diff), and the same comparison
// in counts only, for the daemon to log and export on every live reload
// (Impact).
//
// Articles are read from the store a page at a time (store.Articles) and
// scored on every core, each worker with its own engine.Scorer per rule
// set; results come back in the order the articles were seen. Memory
// holds a few pages of articles in flight, not the history, plus what a
// report keeps (the matches of a backtest, the changes of a diff).
//
// A replayed article is scored exactly as classify scores it: the same
// title, body, URL, language, source and publication time, as stored.
package history

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/store"
)

// Options bound and shape a replay.
type Options struct {
	// Since and Until bound the articles replayed by the time they were
	// first seen: [Since, Until); a zero time is no bound.
	Since, Until time.Time
	// Workers is the number of scoring goroutines; 0 means GOMAXPROCS.
	Workers int
	// Summaries scores as classify does: every article gets its summary,
	// matched or not. Without it no summary is made, which is cheaper.
	Summaries bool
	// NoEvidence leaves the matches' evidence out, for callers that show
	// only which rules matched, with scores and fields; it is ignored with
	// Summaries, which read the evidence.
	NoEvidence bool
}

// batchSize is how many articles a worker scores at a time.
const batchSize = 32

// batch is a run of articles in store order and, once done is closed,
// their results: res[i][k] is article i scored against rule set k.
type batch struct {
	arts []store.StoredArticle
	res  [][]engine.Result
	done chan struct{}
}

// Replay scores every stored article inside opt's bounds against each of
// sets and calls fn, in the caller's goroutine and in the order the
// articles were seen, with the article and its results (one per set, in
// the order of sets). It returns how many articles were replayed. It
// stops at the first error of the store, of fn, or of ctx, and returns it.
// The results' Evidence.Snippets are left to be cut when a result is
// marshalled; call Result.CutSnippets before reading them directly.
func Replay(parent context.Context, st *store.Store, sets []*engine.RuleSet, opt Options, fn func(a store.StoredArticle, res []engine.Result) error) (int, error) {
	if len(sets) == 0 {
		return 0, errors.New("history: replay: no rule set")
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancel(parent)
	defer cancel()

	// The reader sends every batch to order (bounded: the batches in
	// flight) and then to a worker; the caller takes them from order and
	// waits for each to be scored.
	order := make(chan *batch, 2*workers)
	jobs := make(chan *batch)
	var readErr error
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		defer close(order)
		defer close(jobs)
		newBatch := func() *batch {
			return &batch{arts: make([]store.StoredArticle, 0, batchSize), done: make(chan struct{})}
		}
		b := newBatch()
		send := func() bool {
			select {
			case order <- b:
			case <-ctx.Done():
				return false
			}
			select {
			case jobs <- b:
			case <-ctx.Done():
				return false
			}
			b = newBatch()
			return true
		}
		for a, err := range st.Articles(ctx, opt.Since, opt.Until) {
			if err != nil {
				readErr = err
				return
			}
			b.arts = append(b.arts, a)
			if len(b.arts) == batchSize && !send() {
				return
			}
		}
		if len(b.arts) > 0 {
			send()
		}
	}()

	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			scorers := make([]*engine.Scorer, len(sets))
			for k, rs := range sets {
				scorers[k] = rs.NewScorer()
				// Snippets are cut only where a result is shown:
				// marshalled, or after Result.CutSnippets.
				scorers[k].LazySnippets = true
				if opt.Summaries {
					scorers[k].SummarizeAll = true
				} else {
					scorers[k].SummarySentences = -1
					scorers[k].NoEvidence = opt.NoEvidence
				}
			}
			for b := range jobs {
				b.res = make([][]engine.Result, len(b.arts))
				flat := make([]engine.Result, len(b.arts)*len(sets))
				for i, a := range b.arts {
					b.res[i] = flat[i*len(sets) : (i+1)*len(sets) : (i+1)*len(sets)]
					for k, sc := range scorers {
						b.res[i][k] = sc.Score(a.Article)
					}
				}
				close(b.done)
			}
		})
	}

	n := 0
	var err error
loop:
	for b := range order {
		select {
		case <-b.done:
		case <-ctx.Done():
			break loop
		}
		for i, a := range b.arts {
			if err = fn(a, b.res[i]); err != nil {
				break loop
			}
			n++
		}
	}
	cancel()
	<-readDone
	wg.Wait()
	// The reader has stopped: on its own (done or failed), or because
	// fn failed or parent was cancelled.
	switch {
	case err != nil:
		return n, err
	case parent.Err() != nil:
		return n, fmt.Errorf("history: replay: %w", parent.Err())
	case readErr != nil:
		return n, fmt.Errorf("history: replay: %w", readErr)
	}
	return n, nil
}
