package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"iter"
	"math"
	"runtime/debug"
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
// last row read. It ends at the first error, which it yields. The pages
// are read on one reader connection with the database file mapped into
// memory (replayMmap), which is turned off again when it ends.
func (s *Store) Articles(ctx context.Context, since, until time.Time) iter.Seq2[StoredArticle, error] {
	return func(yield func(StoredArticle, error) bool) {
		hi := int64(math.MaxInt64)
		if !until.IsZero() {
			hi = until.UnixNano()
		}
		// The key of the last row read: (seen_at, rowid), the order of
		// the seen_at index.
		lastSeen, lastRow := nanos(since), int64(math.MinInt64)
		rc, err := s.replayConn(ctx)
		if err != nil {
			yield(StoredArticle{}, fmt.Errorf("store: articles: %w", err))
			return
		}
		defer rc.release()
		page := make([]StoredArticle, 0, replayPage)
		rowids := make([]int64, 0, replayPage)
		for {
			page, rowids = page[:0], rowids[:0]
			err := rc.page(ctx, lastSeen, lastRow, hi, func(rowid int64, a StoredArticle) {
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

// replayMmap is how much of the database file a replay's connection
// maps into memory (PRAGMA mmap_size): a quarter less CPU for reading the
// history than a read call per page, with no copy of each page. Address
// space only; pages beyond it are read as usual.
const replayMmap = 1 << 30

// replayConn is the reader connection a replay reads its pages on, with
// the database file mapped.
type replayConn struct {
	c       *sql.Conn
	stmt    *sql.Stmt // the page query, prepared once: preparing costs as much as reading a page's worth of rows
	faulted bool
}

func (s *Store) replayConn(ctx context.Context) (*replayConn, error) {
	c, err := s.r.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := c.ExecContext(ctx, fmt.Sprintf("PRAGMA mmap_size = %d", replayMmap)); err != nil {
		c.Close()
		return nil, err
	}
	rc := &replayConn{c: c}
	if rc.stmt, err = c.PrepareContext(ctx, articlesPageQuery); err != nil {
		rc.release()
		return nil, err
	}
	return rc, nil
}

// release gives the connection back to the pool with the mapping turned
// off, or discards it after a fault or when that fails.
func (rc *replayConn) release() {
	if rc.stmt != nil {
		rc.stmt.Close()
	}
	if !rc.faulted {
		if _, err := rc.c.ExecContext(context.Background(), "PRAGMA mmap_size = 0"); err != nil {
			rc.faulted = true
		}
	}
	if rc.faulted {
		_ = rc.c.Raw(func(any) error { return driver.ErrBadConn })
	}
	rc.c.Close()
}

// page reads a page of articles (articlesPage). A mapped file reports
// what a read call would return as an error (the file truncated under
// it, an I/O error) as a memory fault instead: that is returned as an
// error, and the connection is discarded, rather than crashing the
// process.
func (rc *replayConn) page(ctx context.Context, seen, rowid, hi int64, add func(int64, StoredArticle)) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			if _, fault := r.(interface{ Addr() uintptr }); !fault {
				panic(r)
			}
			rc.faulted = true
			err = fmt.Errorf("reading the database file: %v", r)
		}
	}()
	return articlesPage(ctx, rc.stmt, seen, rowid, hi, add)
}

// articlesPageQuery reads up to a page of articles after the key
// (seen_at, rowid) and seen before a bound, in the seen_at index's order.
const articlesPageQuery = `SELECT rowid, id, source, title, url, lang, body, published, seen_at FROM articles
	WHERE (seen_at, rowid) > (?, ?) AND seen_at < ? ORDER BY seen_at, rowid LIMIT ?`

// afterRow, when set (tests), is called after each row articlesPage reads.
var afterRow func()

// articlesPage reads up to replayPage articles after the key (seen,
// rowid) and seen before hi, and calls add for each in order.
func articlesPage(ctx context.Context, stmt *sql.Stmt, seen, rowid, hi int64, add func(int64, StoredArticle)) error {
	rows, err := stmt.QueryContext(ctx, seen, rowid, hi, replayPage)
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
		if afterRow != nil {
			afterRow()
		}
	}
	return rows.Err()
}
