package store

import (
	"context"
	"log/slog"
	"sync/atomic"
)

// maxBatch bounds the articles of one group commit.
const maxBatch = 128

// Committer records articles in group commits: whatever arrives while a
// transaction runs goes into the next one, so under load one transaction
// carries many articles and SQLite's single writer keeps up with many
// concurrent producers (inbox files and feeds). Create it with
// NewCommitter, start Run, then call Commit from any goroutine.
type Committer struct {
	s    *Store
	log  *slog.Logger
	reqs chan commitReq
	// err is the error of the last group commit, nil once one succeeds.
	err atomic.Pointer[error]
}

type commitReq struct {
	c     Commit
	reply chan commitRes
}

type commitRes struct {
	isNew bool
	err   error
}

// NewCommitter returns a committer writing to s. It logs, at most once
// per change, when commits start failing and when they succeed again; a
// nil logger discards those lines.
func NewCommitter(s *Store, logger *slog.Logger) *Committer {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Committer{s: s, log: logger, reqs: make(chan commitReq)}
}

// Commit records one article with its seen keys and alerts, as
// CommitArticles does, in the next group commit. It reports whether the
// article was new. It returns ctx's error if ctx ends before Run takes
// the article; once taken, the article is committed (or fails) whatever
// happens to ctx, so the caller never guesses.
func (c *Committer) Commit(ctx context.Context, cm Commit) (isNew bool, err error) {
	reply := make(chan commitRes, 1)
	select {
	case c.reqs <- commitReq{c: cm, reply: reply}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	r := <-reply
	return r.isNew, r.err
}

// Err returns the error of the last group commit, or nil when it
// succeeded (or none ran yet). While commits fail the daemon is not
// ready.
func (c *Committer) Err() error {
	if p := c.err.Load(); p != nil {
		return *p
	}
	return nil
}

// Run commits until stop is closed. Stop it only once nothing calls Commit
// any more: a Commit waiting to be taken then waits for its context.
func (c *Committer) Run(stop <-chan struct{}) {
	for {
		var first commitReq
		select {
		case first = <-c.reqs:
		case <-stop:
			return
		}
		batch := []commitReq{first}
	more:
		for len(batch) < maxBatch {
			select {
			case r := <-c.reqs:
				batch = append(batch, r)
			default:
				break more
			}
		}
		cs := make([]Commit, len(batch))
		for i, r := range batch {
			cs[i] = r.c
		}
		// The batch is committed whatever happens to the callers: they
		// were promised an answer, and a half-done shutdown must not
		// abandon articles already handed over.
		ok, err := c.s.CommitArticles(context.Background(), cs)
		if err != nil {
			if c.err.Swap(&err) == nil {
				c.log.Error("commits are failing; not ready until one succeeds", "err", err)
			}
		} else if c.err.Swap(nil) != nil {
			c.log.Info("commits succeed again; ready")
		}
		for i, r := range batch {
			if err != nil {
				r.reply <- commitRes{err: err}
				continue
			}
			r.reply <- commitRes{isNew: ok[i]}
		}
	}
}
