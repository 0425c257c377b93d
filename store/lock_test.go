package store

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestConcurrentOpensOnFreshDir starts several Opens at once on a new data
// dir, as two daemons started together would: exactly one gets the store,
// the others the lock error, and none a migration error.
func TestConcurrentOpensOnFreshDir(t *testing.T) {
	const rounds, opens = 10, 3
	for round := 0; round < rounds; round++ {
		dir := filepath.Join(t.TempDir(), "data")
		start := make(chan struct{})
		var wg sync.WaitGroup
		stores := make([]*Store, opens)
		errs := make([]error, opens)
		for i := range opens {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				stores[i], errs[i] = Open(context.Background(), dir)
			}()
		}
		close(start)
		wg.Wait()
		won := 0
		for i := range opens {
			if errs[i] == nil {
				won++
				stores[i].Close()
				continue
			}
			if !errors.Is(errs[i], ErrLocked) {
				t.Errorf("round %d: %v, want the lock error", round, errs[i])
			}
			if !strings.Contains(errs[i].Error(), dir) || !strings.Contains(errs[i].Error(), LockName) {
				t.Errorf("round %d: error %q names neither the data dir nor the lock file", round, errs[i])
			}
		}
		if won != 1 {
			t.Fatalf("round %d: %d of %d opens won, want 1", round, won, opens)
		}
	}
}

// TestMigrationIsOneExclusiveTransaction migrates one new database file
// from two connections at once, with no lock file between them: each
// reads the version inside its write-locked transaction, so the second
// finds the work done instead of creating the tables again.
func TestMigrationIsOneExclusiveTransaction(t *testing.T) {
	ctx := context.Background()
	for round := 0; round < 20; round++ {
		path := filepath.Join(t.TempDir(), FileName)
		var dbs []*sql.DB
		for range 2 {
			db, err := sql.Open("sqlite", dsn(path, "immediate", syncFull))
			if err != nil {
				t.Fatal(err)
			}
			db.SetMaxOpenConns(1)
			if err := db.PingContext(ctx); err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			dbs = append(dbs, db)
		}
		start := make(chan struct{})
		errs := make(chan error, len(dbs))
		for _, db := range dbs {
			go func() {
				<-start
				errs <- migrateDB(ctx, db, path, true)
			}()
		}
		close(start)
		for range dbs {
			if err := <-errs; err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		var v int
		if err := dbs[0].QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil || v != len(migrations) {
			t.Fatalf("round %d: user_version %d %v", round, v, err)
		}
	}
}

// lockChildEnv names the data dir a child test process opens and holds.
const lockChildEnv = "WATCHFLOOR_STORE_LOCK_CHILD"

// TestLockChildProcess is the child of TestLockReleasedOnSIGKILL: it opens
// the store, commits one article, says so and waits to be killed.
func TestLockChildProcess(t *testing.T) {
	dir := os.Getenv(lockChildEnv)
	if dir == "" {
		t.Skip("run by TestLockReleasedOnSIGKILL")
	}
	s, err := Open(context.Background(), dir)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	if _, err := s.CommitArticle(context.Background(), article("child"), nil, []NewAlert{alert("child")}); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("locked")
	select {} // until SIGKILL
}

// TestLockReleasedOnSIGKILL runs a real process that holds the data dir:
// Open here fails naming it, and once it is killed with SIGKILL (no Close,
// no cleanup) the lock is free and its commit is there.
func TestLockReleasedOnSIGKILL(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockChildProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), lockChildEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if l := sc.Text(); l == "locked" || strings.HasPrefix(l, "error:") {
				lines <- l
				return
			}
		}
		close(lines)
	}()
	select {
	case l := <-lines:
		if l != "locked" {
			t.Fatalf("child: %q", l)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("child did not open the store within 30s")
	}

	_, err = Open(context.Background(), dir)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("open beside the child: %v, want the lock error", err)
	}
	if want := fmt.Sprintf("process %d holds", cmd.Process.Pid); !strings.Contains(err.Error(), want) {
		t.Errorf("error %q lacks %q", err, want)
	}

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait() // reaped: the kernel has closed its descriptors
	s, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatalf("open after SIGKILL: %v", err)
	}
	defer s.Close()
	if seen, err := s.Seen(context.Background(), "child"); !seen || err != nil {
		t.Errorf("the killed process's commit: %v %v", seen, err)
	}
}

// TestCloseReleasesLock opens, closes and opens the same dir again.
func TestCloseReleasesLock(t *testing.T) {
	dir := t.TempDir()
	for i := range 3 {
		s, err := Open(context.Background(), dir)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("close %d: %v", i, err)
		}
	}
}

// TestOpenSharedBesideOwner opens the store the way the command-line tools
// do while the daemon holds the data dir: it reads and writes without the
// lock, and refuses what it must not create or migrate.
func TestOpenSharedBesideOwner(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	owner := open(t, dir)
	if _, err := owner.CommitArticle(ctx, article("a"), nil, []NewAlert{alert("a")}); err != nil {
		t.Fatal(err)
	}
	items, _ := owner.ListAlerts(ctx, "", 0)
	if err := owner.MarkDead(ctx, items[0].ID, "gone"); err != nil {
		t.Fatal(err)
	}

	cli, err := OpenShared(ctx, dir)
	if err != nil {
		t.Fatalf("shared open beside the owner: %v", err)
	}
	dead, err := cli.ListAlerts(ctx, "dead", 0)
	if err != nil || len(dead) != 1 {
		t.Fatalf("list: %v %v", dead, err)
	}
	if n, err := cli.RetryAllDead(ctx, time.Now()); n != 1 || err != nil {
		t.Fatalf("retry: %d %v", n, err)
	}
	if err := cli.Close(); err != nil {
		t.Fatal(err)
	}
	if p, d, _ := owner.OutboxCounts(ctx); p != 1 || d != 0 {
		t.Errorf("owner sees %d pending, %d dead after the retry, want 1 and 0", p, d)
	}
	// The owner still holds the lock after the shared store closed.
	if _, err := Open(ctx, dir); !errors.Is(err, ErrLocked) {
		t.Errorf("open after the shared close: %v, want the lock error", err)
	}

	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		is    error
		want  string
	}{
		{name: "no database", setup: func(t *testing.T, dir string) {}, is: fs.ErrNotExist, want: "the daemon creates it"},
		{name: "empty file", is: ErrNotDatabase, want: "empty", setup: func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, FileName), nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "older schema", want: "start the daemon once to migrate it", setup: func(t *testing.T, dir string) {
			s := open(t, dir)
			if _, err := s.w.Exec("PRAGMA user_version = 0"); err != nil {
				t.Fatal(err)
			}
			s.Close()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.setup(t, dir)
			s, err := OpenShared(ctx, dir)
			if err == nil {
				s.Close()
				t.Fatal("opened")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q lacks %q", err, tt.want)
			}
			if tt.name == "no database" {
				if _, err := os.Stat(filepath.Join(dir, FileName)); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("shared open created the database: %v", err)
				}
			}
		})
	}
}
