package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// rawSQLite makes an SQLite file at path with the given statements, the
// way another program (or an older watchfloor) would.
func rawSQLite(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, st := range stmts {
		if _, err := db.Exec(st); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
}

// TestOpenRefusesFilesNotOurs puts a database file that exists but is not
// watchfloor's in a real data dir: Open must fail naming the file and
// leave it exactly as it was, never re-create it.
func TestOpenRefusesFilesNotOurs(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, path string)
		want  string // in the error
	}{
		{name: "empty file", want: "empty (0 bytes)", setup: func(t *testing.T, path string) {
			if err := os.WriteFile(path, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "text file", want: "not an SQLite database", setup: func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte("key,value\nbackup of something else\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "shorter than the SQLite header", want: "not an SQLite database", setup: func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte("SQLite"), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "another application's SQLite", want: "another application (application_id 0x12345678)", setup: func(t *testing.T, path string) {
			rawSQLite(t, path, "PRAGMA application_id = 305419896", "CREATE TABLE articles (x)", "CREATE TABLE seen_keys (x)", "CREATE TABLE outbox (x)", "CREATE TABLE feeds (x)", "PRAGMA user_version = 1")
		}},
		{name: "SQLite without our schema", want: "schema version 0, without the tables articles, seen_keys, outbox, feeds", setup: func(t *testing.T, path string) {
			rawSQLite(t, path, "CREATE TABLE notes (body TEXT)", "INSERT INTO notes VALUES ('keep me')")
		}},
		{name: "SQLite with a version but not our tables", want: "schema version 3, without the tables seen_keys, outbox, feeds", setup: func(t *testing.T, path string) {
			rawSQLite(t, path, "CREATE TABLE articles (x)", "PRAGMA user_version = 3")
		}},
		{name: "empty SQLite database", want: "schema version 0", setup: func(t *testing.T, path string) {
			rawSQLite(t, path, "PRAGMA page_size = 4096", "VACUUM")
		}},
		{name: "a directory", want: "not a regular file", setup: func(t *testing.T, path string) {
			if err := os.Mkdir(path, 0o750); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, FileName)
			tt.setup(t, path)
			before := snapshot(t, path)
			s, err := Open(context.Background(), dir)
			if err == nil {
				s.Close()
				t.Fatal("opened a database that is not ours")
			}
			if !errors.Is(err, ErrNotDatabase) {
				t.Errorf("error %v is not ErrNotDatabase", err)
			}
			for _, want := range []string{"store: open " + path + ": ", tt.want} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if after := snapshot(t, path); !bytes.Equal(before, after) {
				t.Errorf("the refused file was changed: %d bytes before, %d after", len(before), len(after))
			}
		})
	}
}

// snapshot returns the bytes of the file at path (nil for a directory).
func snapshot(t *testing.T, path string) []byte {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.IsDir() {
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestOpenAcceptsOurs opens the databases that are ours: none yet (a new
// data dir), one left half-made by a crash while creating, and one made
// by a watchfloor from before application_id, which keeps its data and
// gets the mark.
func TestOpenAcceptsOurs(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		setup    func(t *testing.T, dir string)
		wantKept string // an article that must survive, "" for none
	}{
		{name: "new data dir", setup: func(t *testing.T, dir string) {}},
		{name: "leftover of a crash while creating", setup: func(t *testing.T, dir string) {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, FileName+".new"), nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "made before application_id", wantKept: "old", setup: func(t *testing.T, dir string) {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				t.Fatal(err)
			}
			rawSQLite(t, filepath.Join(dir, FileName), "PRAGMA journal_mode = WAL", migrations[0], "PRAGMA user_version = 1",
				`INSERT INTO articles VALUES ('old', 'file:x', 'T', '', '', 'body', 0, 1, '["r"]', NULL)`,
				`INSERT INTO seen_keys VALUES ('old', 'old', 1)`)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			tt.setup(t, dir)
			s := open(t, dir)
			var app int
			if err := s.r.QueryRowContext(ctx, "PRAGMA application_id").Scan(&app); err != nil || app != applicationID {
				t.Errorf("application_id %#x %v, want %#x", app, err, applicationID)
			}
			if tt.wantKept != "" {
				if seen, err := s.Seen(ctx, tt.wantKept); !seen || err != nil {
					t.Errorf("article %s lost: %v %v", tt.wantKept, seen, err)
				}
			}
			if ok, err := s.CommitArticle(ctx, article("new"), nil, []NewAlert{alert("new")}); !ok || err != nil {
				t.Errorf("commit: %v %v", ok, err)
			}
			if _, err := os.Stat(filepath.Join(dir, FileName+".new")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("temporary file left behind: %v", err)
			}
			s.Close()
			// And it opens again as ours.
			s2 := open(t, dir)
			if seen, err := s2.Seen(ctx, "new"); !seen || err != nil {
				t.Errorf("reopen lost the commit: %v %v", seen, err)
			}
		})
	}
}
