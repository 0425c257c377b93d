// Package rulesdir tells the daemon when the rules directory changed, so
// it reloads the rules live. It watches the directory and its
// subdirectories (including ones created later), and calls back once the
// changes have settled: editors' atomic saves (write a temporary file,
// rename it over the old one) and Kubernetes ConfigMap updates (a new
// timestamped directory, then a "..data" symlink renamed over the old one)
// each cause one call. It also watches the directory's parent, so that
// replacing the whole directory (or the symlink that leads to it) re-arms
// the watch on the new one instead of ending live reload.
package rulesdir

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// DefaultDebounce is how long changes must settle before the callback.
const DefaultDebounce = 250 * time.Millisecond

// relevant reports whether a change to name can change the rules.
func relevant(name string) bool {
	base := filepath.Base(name)
	if base == "..data" {
		return true // ConfigMap swap
	}
	if strings.HasPrefix(base, ".") || strings.HasSuffix(base, "~") || strings.HasSuffix(base, ".swp") ||
		strings.HasSuffix(base, ".tmp") || base == "4913" || strings.HasPrefix(base, "#") {
		return false
	}
	return strings.HasSuffix(base, ".yaml") || strings.HasSuffix(base, ".yml")
}

// Stamp returns a digest of the rule files under dir: their paths, sizes
// and modification times. Two stamps differ when a rule file was added,
// removed, renamed or written between them (a write within the file
// system's timestamp granularity that keeps the size may go unseen). An
// unreadable directory has a stamp of its own.
func Stamp(dir string) string {
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !relevant(p) {
			return nil
		}
		st, err := os.Stat(p) // through a symlink, as the loader reads it
		if err != nil {
			fmt.Fprintf(h, "%s\x00missing\x00", p)
			return nil
		}
		fmt.Fprintf(h, "%s\x00%d\x00%d\x00", p, st.Size(), st.ModTime().UnixNano())
		return nil
	})
	if err != nil {
		fmt.Fprintf(h, "error\x00%v", err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Watch calls onChange, never concurrently, after changes under dir have
// settled for debounce (0 means DefaultDebounce). It returns when ctx is
// done.
//
// Watch also watches the parent of dir, so that replacing the whole
// directory ("rm -rf rules; mkdir rules", "mv -T rules.new rules", a
// symlink swapped) does not end live reload: when dir disappears, it logs
// that and calls nothing while it is gone; when dir appears again, it
// watches the new directory, logs that and calls onChange.
//
// armed, when not nil, is called once every watch is in place: a change
// made before then may have been missed, so the caller compares the
// directory's Stamp with the one it took before loading and reloads when
// they differ.
func Watch(ctx context.Context, dir string, debounce time.Duration, logger *slog.Logger, onChange, armed func()) error {
	if debounce <= 0 {
		debounce = DefaultDebounce
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("rulesdir: %w", err)
	}
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("rulesdir: %w", err)
	}
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("rulesdir: %w", err)
	}
	defer fw.Close()
	w := &watcher{fw: fw, dir: dir, parent: filepath.Dir(dir), log: logger}
	if w.parent != dir {
		if err := fw.Add(w.parent); err != nil {
			logger.Warn("cannot watch the parent directory; replacing the rules directory will need a SIGHUP",
				"dir", w.parent, "err", err)
		}
	}
	w.present = w.addTree(dir)
	if armed != nil {
		armed()
	}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-fw.Events:
			if !ok {
				return errors.New("rulesdir: watcher closed")
			}
			switch {
			case ev.Name == dir:
				// The directory itself: created, removed or renamed, seen
				// from the parent (or, renamed away, from its own watch).
				if w.rearm(ev) {
					timer.Reset(debounce)
				}
				continue
			case filepath.Dir(ev.Name) == w.parent:
				continue // something else beside the rules directory
			}
			if ev.Op&fsnotify.Create != 0 {
				if st, err := os.Stat(ev.Name); err == nil && st.IsDir() {
					w.addTree(ev.Name) // a new subdirectory, or a ConfigMap's new data dir
					timer.Reset(debounce)
					continue
				}
			}
			if relevant(ev.Name) {
				timer.Reset(debounce)
			}
		case err, ok := <-fw.Errors:
			if !ok {
				return errors.New("rulesdir: watcher closed")
			}
			logger.Warn("watch error; reloading to be safe", "err", err)
			timer.Reset(debounce)
		case <-timer.C:
			if w.present {
				onChange()
			}
		}
	}
}

// watcher holds the watches on the rules directory tree and its parent.
type watcher struct {
	fw          *fsnotify.Watcher
	dir, parent string
	log         *slog.Logger
	present     bool // dir exists and its tree is watched
}

// addTree watches root and its subdirectories, and reports whether root
// itself is watched.
func (w *watcher) addTree(root string) bool {
	ok := false
	// A rules directory reached through a symlink (a release directory
	// swapped by a deploy) is walked through it: WalkDir does not follow
	// a symlink given as its root, but does follow "root/".
	walkRoot := root
	if st, err := os.Lstat(root); err == nil && st.Mode()&fs.ModeSymlink != 0 {
		walkRoot = root + string(filepath.Separator)
	}
	_ = filepath.WalkDir(walkRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		p = filepath.Clean(p)
		if d.IsDir() {
			if p != root && strings.HasPrefix(d.Name(), ".") && !strings.HasPrefix(d.Name(), "..") {
				return filepath.SkipDir
			}
			if err := w.fw.Add(p); err != nil {
				w.log.Warn("cannot watch", "dir", p, "err", err)
			} else if p == root {
				ok = true
			}
		}
		return nil
	})
	return ok
}

// rearm handles an event on the rules directory itself. It drops every
// watch on the old tree (a directory renamed away keeps its watches, and
// its changes are no longer ours), then watches the directory now at the
// path, if there is one. It reports whether the directory came back.
func (w *watcher) rearm(ev fsnotify.Event) bool {
	for _, p := range w.fw.WatchList() {
		if p != w.parent {
			_ = w.fw.Remove(p) // a deleted directory's watch is already gone
		}
	}
	wasPresent := w.present
	w.present = false
	if st, err := os.Stat(w.dir); err == nil && st.IsDir() {
		w.present = w.addTree(w.dir)
	}
	switch {
	case w.present && ev.Op&fsnotify.Create != 0:
		w.log.Info("the rules directory was replaced; watching it again", "dir", w.dir)
		return true
	case w.present:
		// Removed or renamed, but a directory is at the path already: the
		// event that put it there follows, and reloads.
		return false
	case wasPresent:
		w.log.Warn("the rules directory was removed or renamed; keeping the loaded rules until it is back", "dir", w.dir)
	}
	return false
}
