package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// ErrNotDatabase is returned, wrapped, by Open for a database file that
// exists but is empty, is not SQLite, or is SQLite without watchfloor's
// mark and tables. Open refuses such a file rather than re-create it:
// re-creating it would lose the dedupe keys (old articles would alert
// again), the history and the outbox.
var ErrNotDatabase = errors.New("not a watchfloor database")

// applicationID is PRAGMA application_id of watchfloor's database
// ("WFDB"): it tells our file from any other SQLite file. Databases made
// before it was set are recognised by their tables and marked on open.
const applicationID = 0x57464442

// sqliteMagic opens every SQLite database file.
var sqliteMagic = []byte("SQLite format 3\x00")

// ourTables are the tables of schema version 1, by which a database made
// before applicationID was set is recognised.
var ourTables = []string{"articles", "seen_keys", "outbox", "feeds"}

// Open opens and migrates the database in dir, creating the directory
// and the database when there is none. It holds the data dir's lock
// (LockName) until Close: a second Open of the same dir, in this process
// or another, fails with ErrLocked; the command-line tools use
// OpenShared instead. A database file that exists but
// is not watchfloor's (empty, not SQLite, another application's) is
// refused with ErrNotDatabase, never replaced.
//
// Every commit is durable when it returns (synchronous=FULL: the WAL is
// synced at each commit), so an inbox file moved to processed/ after its
// commit can never outlive the articles and alerts it produced, even on
// power loss.
func Open(ctx context.Context, dir string) (*Store, error) {
	return openWith(ctx, dir, syncFull)
}

// Levels of PRAGMA synchronous. Only FULL is used outside the benchmark
// that measures what it costs.
const (
	syncNormal = "NORMAL"
	syncFull   = "FULL"
)

// dsn is the driver's data source name for the database file at path;
// txlock is how BEGIN starts a transaction (immediate for the writer).
// It sets no journal mode: that would write to a file before it is known
// to be ours. Open turns WAL on once it is (the mode is kept in the file).
func dsn(path, txlock, sync string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "synchronous("+sync+")")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_txlock", txlock)
	return "file:" + path + "?" + q.Encode()
}

func openWith(ctx context.Context, dir, sync string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	s, err := openLocked(ctx, dir, sync)
	if err != nil {
		lock.Close()
		return nil, err
	}
	s.lock = lock
	return s, nil
}

// openLocked opens, creating and migrating it if need be, the database
// of a data dir whose lock this process holds.
func openLocked(ctx context.Context, dir, sync string) (*Store, error) {
	path := filepath.Join(dir, FileName)
	exists, err := checkFile(path)
	if err != nil {
		return nil, err
	}
	if !exists {
		if err := create(ctx, path); err != nil {
			return nil, err
		}
	}
	s, err := connect(path, sync)
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.walMode(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.prepare(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// OpenShared opens the database of a data dir that a running daemon may
// hold, for the command-line tools (watchfloor outbox list and retry):
// it takes no lock, and creates, migrates and marks nothing. The database
// must exist, be ours (see Open) and be at this binary's schema version.
// Its reads see the last commit; its writes are short transactions that
// wait for the daemon's (SQLite's busy timeout).
func OpenShared(ctx context.Context, dir string) (*Store, error) {
	path := filepath.Join(dir, FileName)
	exists, err := checkFile(path)
	if err != nil {
		return nil, err
	}
	if !exists {
		return nil, fmt.Errorf("store: open %s: %w (the daemon creates it when it first starts)", path, fs.ErrNotExist)
	}
	s, err := connect(path, syncFull)
	if err != nil {
		return nil, err
	}
	_, v, err := identify(ctx, s.r, path, false)
	if err == nil && v != len(migrations) {
		if v > len(migrations) {
			err = fmt.Errorf("store: %s has schema version %d, newer than this binary knows (%d): upgrade watchfloor", path, v, len(migrations))
		} else {
			err = fmt.Errorf("store: %s has schema version %d, older than this binary's (%d): start the daemon once to migrate it", path, v, len(migrations))
		}
	}
	if err == nil {
		err = s.prepare(ctx)
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// connect opens the writer and the reader pool on path.
func connect(path, sync string) (*Store, error) {
	w, err := sql.Open("sqlite", dsn(path, "immediate", sync))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	r, err := sql.Open("sqlite", dsn(path, "deferred", sync))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	return &Store{w: w, r: r, path: path}, nil
}

// walMode puts the database in WAL mode: readers do not block the
// writer, and a commit appends to the log instead of rewriting pages.
func (s *Store) walMode(ctx context.Context) error {
	var mode string
	if err := s.w.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode); err != nil {
		return fmt.Errorf("store: open %s: journal mode: %w", s.path, err)
	}
	if mode != "wal" {
		return fmt.Errorf("store: open %s: journal mode is %s, not wal", s.path, mode)
	}
	return nil
}

// notOurs is the error for a database file Open refuses.
func notOurs(path, why string) error {
	return fmt.Errorf("store: open %s: %w: %s; refusing to start on it, as re-creating it would lose the dedupe keys, history and outbox: restore it from a backup, or move it away to start afresh", path, ErrNotDatabase, why)
}

// checkFile says whether the database file exists, and refuses one that
// is empty or not SQLite. Whether an SQLite file is ours is checked once
// it is open (see identify).
func checkFile(path string) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: open %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return false, fmt.Errorf("store: open %s: %w", path, err)
	}
	switch {
	case !fi.Mode().IsRegular():
		return false, notOurs(path, "it is not a regular file")
	case fi.Size() == 0:
		return false, notOurs(path, "the file is empty (0 bytes)")
	}
	head := make([]byte, len(sqliteMagic))
	if _, err := io.ReadFull(f, head); err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return false, fmt.Errorf("store: open %s: %w", path, err)
	}
	if !bytes.Equal(head, sqliteMagic) {
		return false, notOurs(path, "it is not an SQLite database")
	}
	return true, nil
}

// create makes a new database at path: it is built and migrated under a
// temporary name, synced and renamed into place, so a crash while
// creating it never leaves an empty or half-made file at path (which the
// next start would refuse).
func create(ctx context.Context, path string) error {
	tmp := path + ".new"
	for _, p := range []string{tmp, tmp + "-journal", tmp + "-wal", tmp + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("store: create %s: %w", path, err)
		}
	}
	// A rollback journal (the default), not WAL: when the connection
	// closes, everything is in the one file that is renamed.
	db, err := sql.Open("sqlite", dsn(tmp, "immediate", syncFull))
	if err != nil {
		return fmt.Errorf("store: create %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	err = migrateDB(ctx, db, tmp, true)
	if cerr := db.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("store: create %s: %w", path, cerr)
	}
	if err == nil {
		err = syncFile(tmp)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncFile(filepath.Dir(path))
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("store: create %s: %w", path, err)
	}
	return nil
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (s *Store) migrate(ctx context.Context) error {
	return migrateDB(ctx, s.w, s.path, false)
}

// migrateDB checks that the database at path is ours (fresh: it was just
// created, empty), brings its schema to the current version and marks it
// with applicationID, all in one immediate (write-locked) transaction:
// the version is read inside it, so two processes migrating one file
// cannot both apply a step.
func migrateDB(ctx context.Context, db *sql.DB, path string, fresh bool) error {
	tx, err := db.BeginTx(ctx, nil) // BEGIN IMMEDIATE: see dsn's txlock
	if err != nil {
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	defer tx.Rollback()
	app, v, err := identify(ctx, tx, path, fresh)
	if err != nil {
		return err
	}
	if v > len(migrations) {
		return fmt.Errorf("store: %s has schema version %d, newer than this binary knows (%d): upgrade watchfloor", path, v, len(migrations))
	}
	if v == len(migrations) && app == applicationID {
		return nil
	}
	for ; v < len(migrations); v++ {
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			return fmt.Errorf("store: migrate %s to version %d: %w", path, v+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v)); err != nil {
		return fmt.Errorf("store: migrate %s to version %d: %w", path, v, err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d", applicationID)); err != nil {
		return fmt.Errorf("store: migrate %s: %w", path, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: migrate %s to version %d: %w", path, v, err)
	}
	return nil
}

// identify returns the application id and schema version of the database at path, or
// ErrNotDatabase when it is not ours: ours carries applicationID, or
// (made before that mark) a schema version and all of ourTables. A fresh
// database is one create has just made, still empty.
func identify(ctx context.Context, q querier, path string, fresh bool) (app, v int, err error) {
	if err := q.QueryRowContext(ctx, "PRAGMA application_id").Scan(&app); err != nil {
		return 0, 0, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := q.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return 0, 0, fmt.Errorf("store: open %s: %w", path, err)
	}
	switch {
	case app == applicationID:
		return app, v, nil
	case app != 0:
		return 0, 0, notOurs(path, fmt.Sprintf("it belongs to another application (application_id %#x)", app))
	case fresh && v == 0:
		return 0, 0, nil
	}
	var missing []string
	for _, t := range ourTables {
		var n int
		if err := q.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", t).Scan(&n); err != nil {
			return 0, 0, fmt.Errorf("store: open %s: %w", path, err)
		}
		if n == 0 {
			missing = append(missing, t)
		}
	}
	if v == 0 || len(missing) > 0 {
		why := fmt.Sprintf("an SQLite database without watchfloor's application_id, at schema version %d", v)
		if len(missing) > 0 {
			why += ", without the tables " + strings.Join(missing, ", ")
		}
		return 0, 0, notOurs(path, why)
	}
	return app, v, nil
}
