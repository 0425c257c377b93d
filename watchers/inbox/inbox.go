// Package inbox watches a directory for article files and hands each one,
// once it has stopped changing, to a Handler; then it moves the file to
// processed/, or to failed/ with NAME.error when the handler says the file
// cannot be read. A handler error of any other kind leaves the file where
// it is, to be tried again with backoff: nothing is lost or left behind.
//
// Writers should write elsewhere (or to a dotfile) and rename into the
// directory. Dotfiles, *.tmp, *.part, *.swp, *~ and subdirectories are
// ignored. A file is ready once its size and modification time have not
// changed for the settle time: a file renamed in after it was written is
// ready at once; one being written in place waits until the writes stop.
// On Linux a file that some process still holds open for writing is not
// ready either, however long its writer pauses. After the handler has read
// a file, its size, modification time and inode are checked again before
// it is moved: a file that changed meanwhile is not done, and is read again
// once it settles (articles already committed are found seen by id).
// Appending with separate opens (shell >>) with pauses longer than the
// settle time cannot be told from separate files: write elsewhere and
// rename instead.
// Symbolic links and other non-regular files are never read: they move
// to failed/ with the reason.
//
// Memory is bounded by the bytes in flight, not only by the number of
// workers: each file weighs what its read holds at once (Options.Weigh:
// its size, or one line for JSON Lines, which is streamed), files start
// in due order while their weights fit in Options.MaxBytesInFlight, and a
// file over its type's size limit goes to failed/ unread.
//
// Events come from fsnotify; a scan at start, a full rescan when the
// kernel's event queue overflows and a periodic safety rescan catch
// anything events missed. One scheduler orders files by the time they are
// due and a fixed pool of workers runs the handler, so a burst of ten
// thousand files costs no more than ten thousand heap entries.
package inbox

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/watchfloor/watchfloor/ingest"
)

// Handler reads and commits one file. Wrap an error with Unreadable to
// send the file to failed/; any other error means "try again later". ctx
// is cancelled at shutdown: a handler should then stop between articles
// and return ctx's error; the file stays in the inbox, to be read again at
// the next start, where the articles already committed are found seen.
type Handler func(ctx context.Context, path string) error

type unreadable struct{ err error }

func (u unreadable) Error() string { return u.err.Error() }
func (u unreadable) Unwrap() error { return u.err }

// Unreadable marks err as a permanent problem of the file itself.
func Unreadable(err error) error { return unreadable{err} }

// IsUnreadable reports whether err was marked with Unreadable.
func IsUnreadable(err error) bool {
	var u unreadable
	return errors.As(err, &u)
}

// Options configure a Watcher.
type Options struct {
	Dir string
	// Settle is how long a file must stay unchanged (default 200ms).
	Settle time.Duration
	// Rescan is the period of the safety rescan (default 30s).
	Rescan time.Duration
	// Workers is how many files are handled at once (default 8×GOMAXPROCS:
	// handlers mostly wait on the store, so more of them than cores keeps
	// the group commits full).
	Workers int
	// MaxBytesInFlight bounds the sum of the weights of the files handled
	// at once (default 1 MiB, ingest.MaxFileSize). Files start in due
	// order while their weights fit; one that weighs more runs alone.
	MaxBytesInFlight int64
	// Weigh says how many bytes handling a file of the given size holds
	// at once, or why the file is refused: it then goes to failed/ with
	// that reason, unread. Default ingest.Footprint.
	Weigh      func(path string, size int64) (int64, error)
	Logger     *slog.Logger
	Registerer prometheus.Registerer
}

// Names of the subdirectories files move to.
const (
	ProcessedDir = "processed"
	FailedDir    = "failed"
)

// Watcher watches one inbox directory.
type Watcher struct {
	o       Options
	h       Handler
	dir     string
	events  chan string // paths to (re)consider, from fsnotify and scans
	done    chan result // outcomes of handled files
	files   map[string]*entry
	due     dueHeap
	jobs    chan job
	metrics *metrics
	// inFlight is the weight of the files being handled.
	inFlight int64
}

// job is one file for a worker; refused says why it goes to failed/ unread.
type job struct {
	path    string
	refused error
}

type entry struct {
	path    string
	size    int64
	mtime   time.Time
	due     time.Time
	index   int // in the heap, -1 when not queued
	running bool
	weight  int64 // counted in inFlight while running
	dirty   bool  // changed while its handler ran
	fails   int
	// notBefore delays a file that was not done (open for writing, or
	// changed while read); busy counts those rounds.
	notBefore time.Time
	busy      int
	busySince time.Time
	warned    bool
}

// outcome is what became of one handled file.
type outcome int

const (
	moved     outcome = iota // left the inbox: processed/, failed/, or gone
	retry                    // the handler failed for now: again with backoff
	notDone                  // being written, or changed while read: again once settled
	abandoned                // shutdown came first: left in place for the next start
)

type result struct {
	path string
	out  outcome
	err  error // why, for retry
}

// busyWarnAfter is how long a file may stay open for writing before the
// inbox says, once, that it is still waiting for it.
const busyWarnAfter = time.Minute

// New creates the directory and its processed/ and failed/ subdirectories
// if needed.
func New(o Options, h Handler) (*Watcher, error) {
	if o.Dir == "" {
		return nil, errors.New("inbox: no directory")
	}
	if o.Settle == 0 {
		o.Settle = 200 * time.Millisecond
	}
	if o.Rescan <= 0 {
		o.Rescan = 30 * time.Second
	}
	if o.Workers <= 0 {
		o.Workers = 8 * runtime.GOMAXPROCS(0)
	}
	if o.MaxBytesInFlight <= 0 {
		o.MaxBytesInFlight = ingest.MaxFileSize
	}
	if o.Weigh == nil {
		o.Weigh = ingest.Footprint
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	for _, d := range []string{dir, filepath.Join(dir, ProcessedDir), filepath.Join(dir, FailedDir)} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, fmt.Errorf("inbox: %w", err)
		}
	}
	return &Watcher{o: o, h: h, dir: dir, events: make(chan string, 4096), done: make(chan result, o.Workers),
		files: map[string]*entry{}, jobs: make(chan job), metrics: newMetrics(o.Registerer)}, nil
}

// Ignored reports whether a file name is one the inbox never reads.
func Ignored(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".tmp") || strings.HasSuffix(name, ".part") ||
		strings.HasSuffix(name, ".swp") || strings.HasSuffix(name, "~") || strings.HasSuffix(name, ".error")
}

// Run watches until ctx is done, then waits for the handlers in flight to
// return: their context is ctx, so a long file is abandoned, not finished,
// and left in the inbox for the next start.
func (w *Watcher) Run(ctx context.Context) error {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("inbox: %w", err)
	}
	defer fw.Close()
	if err := fw.Add(w.dir); err != nil {
		return fmt.Errorf("inbox: watch %s: %w", w.dir, err)
	}
	var wg sync.WaitGroup
	for range w.o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range w.jobs {
				out, err := w.handle(ctx, j)
				w.done <- result{path: j.path, out: out, err: err}
			}
		}()
	}
	// fsnotify events feed the scheduler through w.events.
	stopEvents := make(chan struct{})
	overflow := make(chan struct{}, 1)
	// gone reports that the inbox directory itself was removed or moved:
	// the watcher cannot go on, and Run returns so that the daemon stops
	// and is restarted rather than watching nothing.
	gone := make(chan error, 1)
	lost := func(err error) {
		select {
		case gone <- err:
		default:
		}
	}
	go func() {
		for {
			select {
			case <-stopEvents:
				return
			case ev, ok := <-fw.Events:
				if !ok {
					return
				}
				if ev.Name == w.dir && ev.Op&(fsnotify.Remove|fsnotify.Rename) != 0 {
					lost(fmt.Errorf("inbox: directory %s was removed or renamed", w.dir))
					continue
				}
				if ev.Op&(fsnotify.Create|fsnotify.Write|fsnotify.Rename|fsnotify.Chmod) != 0 && filepath.Dir(ev.Name) == w.dir {
					select {
					case w.events <- ev.Name:
					case <-stopEvents:
						return
					}
				}
			case err, ok := <-fw.Errors:
				if !ok {
					return
				}
				if errors.Is(err, fsnotify.ErrEventOverflow) {
					w.o.Logger.Warn("file system event queue overflowed; rescanning")
					select {
					case overflow <- struct{}{}:
					default:
					}
					continue
				}
				w.o.Logger.Error("watch error", "err", err)
			}
		}
	}()
	rescan := func() {
		switch err := w.rescan(); {
		case err == nil:
		case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
			lost(fmt.Errorf("inbox: directory %s is gone: %w", w.dir, err)) // returned, logged by the caller
		default:
			w.o.Logger.Error("scan failed; trying again at the next rescan", "err", fmt.Errorf("inbox: scan: %w", err))
		}
	}
	rescan()
	tick := time.NewTicker(w.o.Rescan)
	defer tick.Stop()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	running := 0
	for {
		// Hand due files to free workers while their weights fit.
		now := time.Now()
		full := false
		for running < w.o.Workers && len(w.due) > 0 && !w.due[0].due.After(now) {
			e := heap.Pop(&w.due).(*entry)
			if !w.ready(e, now) {
				continue
			}
			weight, refused := w.o.Weigh(e.path, e.size)
			weight = min(max(weight, 0), w.o.MaxBytesInFlight)
			if refused == nil && w.inFlight > 0 && w.inFlight+weight > w.o.MaxBytesInFlight {
				heap.Push(&w.due, e) // first in line once bytes are freed
				full = true
				break
			}
			if refused != nil {
				weight = 0
			}
			e.running, e.weight = true, weight
			w.inFlight += weight
			running++
			select {
			case w.jobs <- job{path: e.path, refused: refused}:
			case <-ctx.Done():
				e.running = false
				w.inFlight -= weight
				running--
			}
		}
		w.metrics.pending.Set(float64(len(w.files)))
		w.metrics.inFlight.Set(float64(w.inFlight))
		wait := time.Hour
		if len(w.due) > 0 && running < w.o.Workers && !full {
			wait = max(time.Until(w.due[0].due), 0)
		}
		timer.Reset(wait)
		stopWorkers := func() {
			close(stopEvents)
			close(w.jobs)
			go func() { wg.Wait(); close(w.done) }()
			for r := range w.done {
				w.finish(r)
			}
		}
		select {
		case <-ctx.Done():
			stopWorkers()
			return nil
		case err := <-gone:
			stopWorkers()
			return err
		case p := <-w.events:
			w.consider(p, time.Now())
		case r := <-w.done:
			running--
			w.finish(r)
		case <-overflow:
			rescan()
		case <-tick.C:
			rescan()
		case <-timer.C:
		}
	}
}

// rescan considers every file in the directory. An error reading the
// directory is returned as os.ReadDir gives it (it names the directory),
// for the caller to prefix and log or act on.
func (w *Watcher) rescan() error {
	des, err := os.ReadDir(w.dir)
	if err != nil {
		return err
	}
	now := time.Now()
	for _, de := range des {
		if de.IsDir() {
			continue
		}
		if e, ok := w.files[filepath.Join(w.dir, de.Name())]; ok && (e.running || e.index >= 0) {
			continue // already known
		}
		w.consider(filepath.Join(w.dir, de.Name()), now)
	}
	return nil
}

// consider (re)schedules path after an event or a scan.
func (w *Watcher) consider(path string, now time.Time) {
	if Ignored(filepath.Base(path)) {
		return
	}
	st, err := os.Lstat(path)
	if err != nil {
		return // gone (moved away, or a rename's old name)
	}
	if st.IsDir() {
		return
	}
	e, ok := w.files[path]
	if !ok {
		e = &entry{path: path, index: -1}
		w.files[path] = e
	}
	if e.running {
		e.dirty = true
		return
	}
	e.size, e.mtime = st.Size(), st.ModTime()
	if !st.Mode().IsRegular() {
		e.due = now // moved to failed/ by the worker without reading
	} else {
		e.due = maxTime(e.mtime.Add(w.o.Settle), e.notBefore)
		if e.fails > 0 {
			e.due = maxTime(e.due, now.Add(retryDelay(e.fails)))
		}
	}
	if e.index >= 0 {
		heap.Fix(&w.due, e.index)
	} else {
		heap.Push(&w.due, e)
	}
}

// ready stats a due file again: when it changed since it was scheduled,
// it goes back to wait.
func (w *Watcher) ready(e *entry, now time.Time) bool {
	st, err := os.Lstat(e.path)
	if err != nil {
		delete(w.files, e.path)
		return false
	}
	if !st.Mode().IsRegular() {
		return true
	}
	if st.Size() != e.size || !st.ModTime().Equal(e.mtime) {
		e.size, e.mtime = st.Size(), st.ModTime()
		e.due = maxTime(e.mtime.Add(w.o.Settle), now.Add(w.o.Settle/4))
		heap.Push(&w.due, e)
		return false
	}
	return true
}

func (w *Watcher) finish(r result) {
	e := w.files[r.path]
	if e == nil {
		return
	}
	e.running = false
	w.inFlight -= e.weight
	e.weight = 0
	now := time.Now()
	switch r.out {
	case moved:
		delete(w.files, r.path)
		if e.dirty {
			w.consider(r.path, now) // a new file under the same name
		}
	case notDone:
		e.dirty = false
		if e.busy == 0 {
			e.busySince = now
		}
		e.busy++
		// Look again after the settle time, then less often while a
		// writer keeps the file open without writing.
		e.notBefore = now.Add(min(w.o.Settle<<min(e.busy-1, 4), 2*time.Second))
		if !e.warned && now.Sub(e.busySince) > busyWarnAfter {
			e.warned = true
			w.o.Logger.Warn("file still being written; waiting for its writer to close it", "path", r.path, "waiting", now.Sub(e.busySince).Round(time.Second))
		}
		w.consider(r.path, now)
	case abandoned:
		// Run is returning; the file stays where it is.
	case retry:
		e.fails++
		e.dirty = false
		w.o.Logger.Warn("file will be tried again", "path", r.path, "err", r.err, "retry_in", retryDelay(e.fails))
		w.consider(r.path, now)
	}
}

func retryDelay(fails int) time.Duration {
	d := time.Second << min(fails-1, 6)
	return min(d, time.Minute)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// handle runs the handler on one file and moves it.
func (w *Watcher) handle(ctx context.Context, j job) (outcome, error) {
	path := j.path
	log := w.o.Logger.With("path", path)
	before, err := os.Lstat(path)
	if err != nil {
		return moved, nil // gone meanwhile
	}
	if !before.Mode().IsRegular() {
		reason := "not a regular file"
		if before.Mode()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(path)
			reason = fmt.Sprintf("a symbolic link (to %s); the inbox reads only regular files", target)
		}
		return w.fail(log, path, errors.New(reason))
	}
	if j.refused != nil {
		return w.fail(log, path, j.refused)
	}
	if openForWriting(path) {
		log.Debug("file still open for writing")
		return notDone, nil
	}
	herr := w.h(ctx, path)
	if herr != nil && ctx.Err() != nil {
		log.Info("shutting down; file left for the next start", "err", herr)
		return abandoned, nil
	}
	// A file that changed while it was read is not done, whatever the
	// handler made of it: it may have read half of it.
	if changed(path, before) {
		log.Debug("file changed while it was read; reading it again once it settles")
		w.metrics.files.WithLabelValues("changed").Inc()
		return notDone, nil
	}
	switch {
	case herr == nil:
		dst, err := moveUnique(path, filepath.Join(w.dir, ProcessedDir))
		if err != nil {
			w.metrics.files.WithLabelValues("retry").Inc()
			return retry, fmt.Errorf("inbox: moving to %s: %w", ProcessedDir, err)
		}
		w.metrics.files.WithLabelValues("processed").Inc()
		log.Debug("file processed", "moved_to", dst)
		return moved, nil
	case IsUnreadable(herr):
		return w.fail(log, path, herr)
	default:
		w.metrics.files.WithLabelValues("retry").Inc()
		return retry, herr
	}
}

// changed reports whether path is no longer the file before describes:
// another size, modification time or inode, or a writer still has it open.
// A file that is gone has not changed: whatever was read of it stands.
func changed(path string, before fs.FileInfo) bool {
	after, err := os.Lstat(path)
	if err != nil {
		return false
	}
	if !os.SameFile(before, after) || after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()) {
		return true
	}
	return openForWriting(path)
}

// fail moves path to failed/ with NAME.error saying why.
func (w *Watcher) fail(log *slog.Logger, path string, reason error) (outcome, error) {
	dst, err := moveUnique(path, filepath.Join(w.dir, FailedDir))
	if err != nil {
		w.metrics.files.WithLabelValues("retry").Inc()
		return retry, fmt.Errorf("inbox: moving to %s (%v): %w", FailedDir, reason, err)
	}
	msg := fmt.Sprintf("%s: %v\nfailed at %s\n", filepath.Base(path), reason, time.Now().UTC().Format(time.RFC3339))
	// Written under a temporary name and renamed, so whoever watches
	// failed/ never reads a reason half written.
	tmp := filepath.Join(filepath.Dir(dst), "."+filepath.Base(dst)+".error.tmp")
	if err := os.WriteFile(tmp, []byte(msg), 0o640); err != nil {
		log.Error("writing the reason", "err", err)
	} else if err := os.Rename(tmp, dst+".error"); err != nil {
		log.Error("writing the reason", "err", err)
	}
	w.metrics.files.WithLabelValues("failed").Inc()
	log.Warn("file moved to failed/", "moved_to", dst, "reason", reason)
	return moved, nil
}

// moveUnique renames path into dir without overwriting: name.txt, then
// name.1.txt, name.2.txt, …
func moveUnique(path, dir string) (string, error) {
	base := filepath.Base(path)
	ext := filepath.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	for i := 0; i < 10000; i++ {
		name := base
		if i > 0 {
			name = fmt.Sprintf("%s.%d%s", stem, i, ext)
		}
		dst := filepath.Join(dir, name)
		// Link then remove never overwrites an existing file.
		err := os.Link(path, dst)
		if err == nil || errors.Is(err, fs.ErrExist) && sameFile(path, dst) {
			// A crash between the link and the remove leaves the file in
			// both places; moving it again finishes that move instead of
			// adding a second copy.
			if err := os.Remove(path); err != nil {
				return dst, err
			}
			return dst, nil
		} else if !errors.Is(err, fs.ErrExist) {
			// Hard links unsupported: fall back to a checked rename.
			if _, serr := os.Lstat(dst); errors.Is(serr, fs.ErrNotExist) {
				return dst, os.Rename(path, dst)
			}
		}
	}
	return "", fmt.Errorf("inbox: no free name for %s in %s", base, dir)
}

// sameFile reports whether a and b are the same file (hard links).
func sameFile(a, b string) bool {
	sa, err := os.Lstat(a)
	if err != nil {
		return false
	}
	sb, err := os.Lstat(b)
	return err == nil && os.SameFile(sa, sb)
}

// dueHeap orders entries by due time.
type dueHeap []*entry

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].due.Before(h[j].due) }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i]; h[i].index = i; h[j].index = j }
func (h *dueHeap) Push(x any)        { e := x.(*entry); e.index = len(*h); *h = append(*h, e) }
func (h *dueHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	e.index = -1
	return e
}

type metrics struct {
	files    *prometheus.CounterVec
	pending  prometheus.Gauge
	inFlight prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		files: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "watchfloor_inbox_files_total", Help: "Inbox files by outcome: processed, failed, retry, changed (changed while read: read again).",
		}, []string{"result"}),
		pending:  prometheus.NewGauge(prometheus.GaugeOpts{Name: "watchfloor_inbox_pending", Help: "Inbox files waiting or being handled."}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{Name: "watchfloor_inbox_bytes_in_flight", Help: "Weight in bytes of the inbox files being handled."}),
	}
	if reg != nil {
		reg.MustRegister(m.files, m.pending, m.inFlight)
	}
	return m
}
