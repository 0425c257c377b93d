package store

import (
	"context"
	"fmt"
	"iter"
	"math"
	"time"

	"github.com/watchfloor/watchfloor/engine"
)

// StoredArticle is a stored article's text, as replaying it through rules
// needs it.
type StoredArticle struct {
	engine.Article
	// SeenAt is when the article was first seen and stored.
	SeenAt time.Time
}

// replayPage is how many rows one query of Articles reads.
const replayPage = 256

// Articles yields the articles first seen in [since, until) (a zero time
// is no bound), ordered by the time they were seen, with their text but
// not their stored scoring result, which replaying them through rules
// does not need (History reads it too).
//
// Rows are read a page at a time, each page in its own short query on the
// seen_at index, so memory does not grow with the history and a long
// replay never holds a read snapshot that would keep the daemon's
// write-ahead log from being checkpointed. Articles stored while the
// replay runs are yielded when they fall inside the bounds and after the
// last row read. It ends at the first error, which it yields.
func (s *Store) Articles(ctx context.Context, since, until time.Time) iter.Seq2[StoredArticle, error] {
	return func(yield func(StoredArticle, error) bool) {
		hi := int64(math.MaxInt64)
		if !until.IsZero() {
			hi = until.UnixNano()
		}
		// The key of the last row read: (seen_at, rowid), the order of
		// the seen_at index.
		lastSeen, lastRow := nanos(since), int64(math.MinInt64)
		page := make([]StoredArticle, 0, replayPage)
		rowids := make([]int64, 0, replayPage)
		for {
			page, rowids = page[:0], rowids[:0]
			err := s.articlesPage(ctx, lastSeen, lastRow, hi, func(rowid int64, a StoredArticle) {
				page = append(page, a)
				rowids = append(rowids, rowid)
			})
			if err != nil {
				yield(StoredArticle{}, fmt.Errorf("store: articles: %w", err))
				return
			}
			for _, a := range page {
				if !yield(a, nil) {
					return
				}
			}
			if len(page) < replayPage {
				return
			}
			lastSeen, lastRow = nanos(page[len(page)-1].SeenAt), rowids[len(rowids)-1]
		}
	}
}

// articlesPage reads up to replayPage articles after the key (seen,
// rowid) and seen before hi, and calls add for each in order.
func (s *Store) articlesPage(ctx context.Context, seen, rowid, hi int64, add func(int64, StoredArticle)) error {
	rows, err := s.r.QueryContext(ctx, `SELECT rowid, id, source, title, url, lang, body, published, seen_at FROM articles
		WHERE (seen_at, rowid) > (?, ?) AND seen_at < ? ORDER BY seen_at, rowid LIMIT ?`, seen, rowid, hi, replayPage)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var a StoredArticle
		var row, pub, seenAt int64
		if err := rows.Scan(&row, &a.ID, &a.Source, &a.Title, &a.URL, &a.Lang, &a.Body, &pub, &seenAt); err != nil {
			return err
		}
		a.Published, a.SeenAt = fromNanos(pub), fromNanos(seenAt)
		add(row, a)
	}
	return rows.Err()
}
