package inbox

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// recorder is a Handler that records what it read.
type recorder struct {
	mu     sync.Mutex
	calls  map[string]int
	data   map[string]string
	answer func(path string, n int) error
	seen   chan string
}

func newRecorder() *recorder {
	return &recorder{calls: map[string]int{}, data: map[string]string{}, seen: make(chan string, 1000)}
}

func (r *recorder) handle(_ context.Context, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.calls[filepath.Base(path)]++
	n := r.calls[filepath.Base(path)]
	r.data[filepath.Base(path)] = string(b)
	r.mu.Unlock()
	r.seen <- filepath.Base(path)
	if r.answer != nil {
		return r.answer(path, n)
	}
	return nil
}

func start(t *testing.T, dir string, r *recorder, o Options) (stop func()) {
	t.Helper()
	o.Dir = dir
	if o.Settle == 0 {
		o.Settle = 50 * time.Millisecond
	}
	w, err := New(o, r.handle)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
}

// drop writes a file elsewhere and renames it into dir.
func drop(t *testing.T, dir, name, body string) {
	t.Helper()
	tmp := filepath.Join(dir, "."+name+".tmp")
	if err := os.WriteFile(tmp, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, r *recorder, names ...string) {
	t.Helper()
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	deadline := time.After(10 * time.Second)
	for len(want) > 0 {
		select {
		case n := <-r.seen:
			delete(want, n)
		case <-deadline:
			t.Fatalf("not handled: %v", want)
		}
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func exists(p string) bool { _, err := os.Lstat(p); return err == nil }

func TestRenamedFileProcessedOnce(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "existing.txt"), []byte("before start"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := newRecorder()
	stop := start(t, dir, r, Options{})
	defer stop()
	drop(t, dir, "a.txt", "hello")
	waitFor(t, r, "a.txt", "existing.txt")
	eventually(t, "files in processed/", func() bool {
		return exists(filepath.Join(dir, "processed", "a.txt")) && exists(filepath.Join(dir, "processed", "existing.txt")) && !exists(filepath.Join(dir, "a.txt"))
	})
	time.Sleep(200 * time.Millisecond)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.calls["a.txt"] != 1 || r.data["a.txt"] != "hello" {
		t.Errorf("calls %v data %q", r.calls, r.data["a.txt"])
	}
}

func TestSlowWriterReadWhole(t *testing.T) {
	dir := t.TempDir()
	r := newRecorder()
	stop := start(t, dir, r, Options{Settle: 150 * time.Millisecond})
	defer stop()
	f, err := os.Create(filepath.Join(dir, "slow.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		fmt.Fprintf(f, "line %d\n", i)
		time.Sleep(50 * time.Millisecond)
	}
	f.Close()
	waitFor(t, r, "slow.txt")
	r.mu.Lock()
	defer r.mu.Unlock()
	if !strings.HasSuffix(r.data["slow.txt"], "line 9\n") || r.calls["slow.txt"] != 1 {
		t.Errorf("read %q in %d calls", r.data["slow.txt"], r.calls["slow.txt"])
	}
}

func TestIgnoredNamesAndDirs(t *testing.T) {
	dir := t.TempDir()
	r := newRecorder()
	stop := start(t, dir, r, Options{})
	defer stop()
	for _, n := range []string{".hidden", "x.tmp", "y.part", "z.swp", "w~"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sub", "in-sub.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	drop(t, dir, "real.txt", "x")
	waitFor(t, r, "real.txt")
	time.Sleep(300 * time.Millisecond)
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.calls) != 1 {
		t.Errorf("handled %v, want only real.txt", r.calls)
	}
}

func TestCollisionSafeNames(t *testing.T) {
	dir := t.TempDir()
	r := newRecorder()
	stop := start(t, dir, r, Options{})
	defer stop()
	for i := 0; i < 3; i++ {
		drop(t, dir, "same.txt", fmt.Sprint("version ", i))
		waitFor(t, r, "same.txt")
		eventually(t, "moved", func() bool { return !exists(filepath.Join(dir, "same.txt")) })
	}
	for _, n := range []string{"same.txt", "same.1.txt", "same.2.txt"} {
		if !exists(filepath.Join(dir, "processed", n)) {
			t.Errorf("processed/%s missing", n)
		}
	}
}

func TestUnreadableAndTransient(t *testing.T) {
	dir := t.TempDir()
	r := newRecorder()
	r.answer = func(path string, n int) error {
		switch filepath.Base(path) {
		case "bad.json":
			return Unreadable(errors.New("bad.json:3: invalid JSON"))
		case "flaky.txt":
			if n == 1 {
				return errors.New("store: database is locked")
			}
		}
		return nil
	}
	stop := start(t, dir, r, Options{})
	defer stop()
	drop(t, dir, "bad.json", "{")
	drop(t, dir, "flaky.txt", "x")
	waitFor(t, r, "bad.json", "flaky.txt")
	eventually(t, "bad.json in failed/ with its reason", func() bool {
		b, _ := os.ReadFile(filepath.Join(dir, "failed", "bad.json.error"))
		return exists(filepath.Join(dir, "failed", "bad.json")) && len(b) > 0
	})
	msg, _ := os.ReadFile(filepath.Join(dir, "failed", "bad.json.error"))
	if !strings.Contains(string(msg), "bad.json:3: invalid JSON") {
		t.Errorf("reason %q", msg)
	}
	if !exists(filepath.Join(dir, "flaky.txt")) {
		t.Error("a file with a transient error left the inbox")
	}
	waitFor(t, r, "flaky.txt") // retried after about a second
	eventually(t, "flaky.txt processed", func() bool { return exists(filepath.Join(dir, "processed", "flaky.txt")) })
}

func TestSymlinkNeverRead(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "secret.txt")
	if err := os.WriteFile(outside, []byte("do not read"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := newRecorder()
	stop := start(t, dir, r, Options{})
	defer stop()
	if err := os.Symlink(outside, filepath.Join(dir, "link.txt")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "link in failed/", func() bool {
		b, _ := os.ReadFile(filepath.Join(dir, "failed", "link.txt.error"))
		return len(b) > 0
	})
	msg, _ := os.ReadFile(filepath.Join(dir, "failed", "link.txt.error"))
	if !strings.Contains(string(msg), "symbolic link") {
		t.Errorf("reason %q", msg)
	}
	if b, _ := os.ReadFile(outside); string(b) != "do not read" {
		t.Error("target changed")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.calls["link.txt"] != 0 {
		t.Error("the handler read a symlink")
	}
}

func TestBurstAllOnce(t *testing.T) {
	dir := t.TempDir()
	r := newRecorder()
	stop := start(t, dir, r, Options{})
	defer stop()
	var names []string
	for i := 0; i < 500; i++ {
		n := fmt.Sprintf("f%03d.txt", i)
		names = append(names, n)
		drop(t, dir, n, n)
	}
	waitFor(t, r, names...)
	eventually(t, "all moved", func() bool {
		des, _ := os.ReadDir(filepath.Join(dir, "processed"))
		return len(des) == 500
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range names {
		if r.calls[n] != 1 {
			t.Fatalf("%s handled %d times", n, r.calls[n])
		}
	}
}

func TestRescanFindsMissedFiles(t *testing.T) {
	dir := t.TempDir()
	r := newRecorder()
	w, err := New(Options{Dir: dir, Settle: time.Millisecond}, r.handle)
	if err != nil {
		t.Fatal(err)
	}
	// Files that no event announced (as after an overflow) are found by
	// the rescan path.
	for _, n := range []string{"x.txt", "y.txt"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w.rescan()
	var got []string
	for _, e := range w.due {
		got = append(got, filepath.Base(e.path))
	}
	sort.Strings(got)
	if strings.Join(got, ",") != "x.txt,y.txt" {
		t.Errorf("rescan queued %v", got)
	}
}

// BenchmarkBurst drops 10,000 files at once per iteration (written
// elsewhere, renamed in) and reports files/s and the p50/p99 latency from
// rename to handler call. The files are written before the settle time, as
// a writer that renames a finished file does, so the latency is the time
// beyond settling.
func BenchmarkBurst(b *testing.B) {
	const files = 10000
	var lat []time.Duration
	var total time.Duration
	for range b.N {
		b.StopTimer()
		dir, stage := b.TempDir(), b.TempDir()
		renamed := make([]time.Time, files)
		var mu sync.Mutex
		got := 0
		all := make(chan struct{})
		h := func(_ context.Context, path string) error {
			var i int
			if _, err := fmt.Sscanf(filepath.Base(path), "%d.txt", &i); err != nil {
				return err
			}
			mu.Lock()
			lat = append(lat, time.Since(renamed[i]))
			got++
			if got == files {
				close(all)
			}
			mu.Unlock()
			return nil
		}
		w, err := New(Options{Dir: dir}, h)
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx) }()
		for i := range files {
			if err := os.WriteFile(filepath.Join(stage, fmt.Sprint(i, ".txt")), []byte("x"), 0o644); err != nil {
				b.Fatal(err)
			}
		}
		time.Sleep(300 * time.Millisecond) // older than the settle time; also lets Run start watching
		b.StartTimer()
		start := time.Now()
		for i := range files {
			n := fmt.Sprint(i, ".txt")
			mu.Lock()
			renamed[i] = time.Now()
			mu.Unlock()
			if err := os.Rename(filepath.Join(stage, n), filepath.Join(dir, n)); err != nil {
				b.Fatal(err)
			}
		}
		<-all
		total += time.Since(start)
		b.StopTimer()
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(len(lat))/total.Seconds(), "files/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// TestShutdownAbandonsFileInFlight cancels Run while a handler works
// through a long file: the handler's context is cancelled, Run waits for it
// to return, and the file stays in the inbox (not processed/, not failed/)
// to be read again by the next Run.
func TestShutdownAbandonsFileInFlight(t *testing.T) {
	dir := t.TempDir()
	entered := make(chan struct{})
	returned := make(chan struct{})
	w, err := New(Options{Dir: dir, Settle: 20 * time.Millisecond}, func(hctx context.Context, path string) error {
		close(entered)
		<-hctx.Done() // a long file, read until shutdown
		time.Sleep(100 * time.Millisecond)
		close(returned)
		return hctx.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	drop(t, dir, "long.jsonl", "{}\n")
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("handler never called")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after shutdown; the handler's context was not cancelled")
	}
	select {
	case <-returned:
	default:
		t.Fatal("Run returned before the handler in flight")
	}
	if !exists(filepath.Join(dir, "long.jsonl")) || exists(filepath.Join(dir, "processed", "long.jsonl")) || exists(filepath.Join(dir, "failed", "long.jsonl")) {
		t.Fatal("the abandoned file left the inbox")
	}
	// The next start reads it again.
	r := newRecorder()
	stop := start(t, dir, r, Options{})
	defer stop()
	waitFor(t, r, "long.jsonl")
	eventually(t, "long.jsonl in processed/", func() bool { return exists(filepath.Join(dir, "processed", "long.jsonl")) })
}

// TestWrittenInPlaceReadWhole has a writer keep its descriptor open and
// write a line every 400ms, longer than the settle time: the file must not
// be read until the writer is done, and processed/ must hold exactly what
// the handler read.
func TestWrittenInPlaceReadWhole(t *testing.T) {
	const lines = 6
	dir := t.TempDir()
	r := newRecorder()
	stop := start(t, dir, r, Options{Settle: 100 * time.Millisecond})
	defer stop()
	writerDone := make(chan error, 1)
	go func() {
		f, err := os.Create(filepath.Join(dir, "inplace.txt"))
		if err != nil {
			writerDone <- err
			return
		}
		for i := range lines {
			if _, err := fmt.Fprintf(f, "line %d\n", i); err != nil {
				writerDone <- err
				return
			}
			time.Sleep(400 * time.Millisecond)
		}
		writerDone <- f.Close()
	}()
	if err := <-writerDone; err != nil {
		t.Fatal(err)
	}
	eventually(t, "inplace.txt in processed/", func() bool {
		return exists(filepath.Join(dir, "processed", "inplace.txt")) && !exists(filepath.Join(dir, "inplace.txt"))
	})
	moved, err := os.ReadFile(filepath.Join(dir, "processed", "inplace.txt"))
	if err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if got := r.data["inplace.txt"]; got != string(moved) || strings.Count(got, "\n") != lines {
		t.Errorf("last read %q, moved %q", got, moved)
	}
	if runtime.GOOS == "linux" && r.calls["inplace.txt"] != 1 {
		t.Errorf("read %d times while the writer had it open, want once after it closed", r.calls["inplace.txt"])
	}
}

// TestChangedWhileReadIsReadAgain appends to the file while the handler
// reads it: the file is not done, and is read again once it settles.
func TestChangedWhileReadIsReadAgain(t *testing.T) {
	dir := t.TempDir()
	r := newRecorder()
	r.answer = func(path string, n int) error {
		if n == 1 {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				return err
			}
			_, err = f.WriteString("second line\n")
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			return err
		}
		return nil
	}
	stop := start(t, dir, r, Options{})
	defer stop()
	drop(t, dir, "grow.txt", "first line\n")
	waitFor(t, r, "grow.txt")
	eventually(t, "grow.txt in processed/", func() bool { return exists(filepath.Join(dir, "processed", "grow.txt")) })
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.calls["grow.txt"] != 2 || r.data["grow.txt"] != "first line\nsecond line\n" {
		t.Errorf("read %d times, last %q; want the grown file read again", r.calls["grow.txt"], r.data["grow.txt"])
	}
}

// TestBytesInFlightBounded drops files whose weights do not fit together
// in the budget: they are handled one at a time, small files share it,
// and a file Weigh refuses goes to failed/ unread with the reason.
func TestBytesInFlightBounded(t *testing.T) {
	dir := t.TempDir()
	var mu sync.Mutex
	inFlight, peak := int64(0), int64(0)
	handled := map[string]bool{}
	h := func(_ context.Context, path string) error {
		st, err := os.Stat(path)
		if err != nil {
			return err
		}
		mu.Lock()
		inFlight += st.Size()
		peak = max(peak, inFlight)
		handled[filepath.Base(path)] = true
		mu.Unlock()
		time.Sleep(30 * time.Millisecond)
		mu.Lock()
		inFlight -= st.Size()
		mu.Unlock()
		return nil
	}
	weigh := func(path string, size int64) (int64, error) {
		if size > 150 {
			return 0, fmt.Errorf("%d bytes, over the limit", size)
		}
		return size, nil
	}
	w, err := New(Options{Dir: dir, Settle: 10 * time.Millisecond, MaxBytesInFlight: 100, Weigh: weigh}, h)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() { cancel(); <-done }()
	var names []string
	for i := range 6 {
		names = append(names, fmt.Sprint("big", i, ".txt"))
		drop(t, dir, names[i], strings.Repeat("x", 60))
	}
	drop(t, dir, "huge.txt", strings.Repeat("x", 200))
	eventually(t, "all handled", func() bool {
		des, _ := os.ReadDir(filepath.Join(dir, "processed"))
		return len(des) == 6 && exists(filepath.Join(dir, "failed", "huge.txt.error"))
	})
	mu.Lock()
	defer mu.Unlock()
	if peak > 100 {
		t.Errorf("%d bytes in flight at once, over the budget of 100", peak)
	}
	if handled["huge.txt"] {
		t.Error("the refused file was handed to the handler")
	}
	if msg, _ := os.ReadFile(filepath.Join(dir, "failed", "huge.txt.error")); !strings.Contains(string(msg), "over the limit") {
		t.Errorf("reason %q", msg)
	}
}

// TestMoveAfterCrashBetweenLinkAndRemove: a crash after the file was
// linked into processed/ but before it left the inbox leaves it in both;
// the next move finishes that move instead of adding name.1.txt.
func TestMoveAfterCrashBetweenLinkAndRemove(t *testing.T) {
	dir := t.TempDir()
	processed := filepath.Join(dir, "processed")
	if err := os.Mkdir(processed, 0o755); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "a.txt")
	if err := os.WriteFile(src, []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(src, filepath.Join(processed, "a.txt")); err != nil {
		t.Fatal(err)
	}
	dst, err := moveUnique(src, processed)
	if err != nil {
		t.Fatal(err)
	}
	if dst != filepath.Join(processed, "a.txt") {
		t.Errorf("moved to %s, want processed/a.txt", dst)
	}
	des, _ := os.ReadDir(processed)
	if len(des) != 1 {
		t.Errorf("processed/ holds %d files, want 1", len(des))
	}
	if _, err := os.Lstat(src); !os.IsNotExist(err) {
		t.Errorf("the inbox still holds the file: %v", err)
	}
	// A different file of the same name still gets a new name.
	if err := os.WriteFile(src, []byte("y\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if dst, err := moveUnique(src, processed); err != nil || filepath.Base(dst) != "a.1.txt" {
		t.Errorf("another file named a.txt went to %s, %v; want a.1.txt", dst, err)
	}
}

// TestErrorsLoggedOnce checks that the watcher either logs an error or
// returns it, never both: a scan of a directory that is gone returns the
// error (Run returns it, and the daemon logs it) and logs nothing; a file
// whose move into processed/ fails is logged once, when it is scheduled
// again.
func TestErrorsLoggedOnce(t *testing.T) {
	var logs strings.Builder
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(p)
	}), &slog.HandlerOptions{Level: slog.LevelWarn}))
	dir := t.TempDir()
	w, err := New(Options{Dir: dir, Logger: logger}, func(context.Context, string) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := w.rescan(); err == nil {
		t.Error("a scan of a removed directory succeeded")
	}
	mu.Lock()
	if logs.Len() != 0 {
		t.Errorf("the returned scan error was logged too:\n%s", logs.String())
	}
	mu.Unlock()

	dir = t.TempDir()
	r := newRecorder()
	r.answer = func(path string, n int) error {
		if n == 1 {
			// processed/ is not a directory: the move fails.
			if err := os.RemoveAll(filepath.Join(dir, ProcessedDir)); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, ProcessedDir), nil, 0o644)
		}
		return nil
	}
	stop := start(t, dir, r, Options{Logger: logger})
	drop(t, dir, "a.txt", "x")
	waitFor(t, r, "a.txt")
	aLines := func() []string {
		mu.Lock()
		defer mu.Unlock()
		var out []string
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, "a.txt") {
				out = append(out, l)
			}
		}
		return out
	}
	// The message does not repeat the component the daemon's logger
	// carries (component=inbox).
	eventually(t, "the retry logged", func() bool {
		return strings.Contains(strings.Join(aLines(), "\n"), `msg="file will be tried again"`)
	})
	stop()
	if got := aLines(); len(got) != 1 {
		t.Errorf("%d log lines for one failed move of a.txt, want 1:\n%s", len(got), strings.Join(got, "\n"))
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestDirectoryGoneError checks the error Run returns when its scan finds
// the directory gone (here a file took its place, which the watch itself
// does not notice): it says so once, with the package prefix once.
func TestDirectoryGoneError(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "inbox")
	w, err := New(Options{Dir: dir}, newRecorder().handle)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = w.Run(ctx)
	if err == nil {
		t.Fatal("Run returned no error")
	}
	want := fmt.Sprintf("inbox: directory %s is gone: open %s: not a directory", dir, dir)
	if err.Error() != want {
		t.Errorf("error %q,\nwant  %q", err, want)
	}
	if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
		t.Errorf("error %v does not wrap the cause", err)
	}
}
