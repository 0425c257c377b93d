// Package rulesdir tells the daemon when the rules directory changed, so
// it reloads the rules live. It watches the directory and its
// subdirectories (including ones created later), and calls back once the
// changes have settled: editors' atomic saves (write a temporary file,
// rename it over the old one) and Kubernetes ConfigMap updates (a new
// timestamped directory, then a "..data" symlink renamed over the old one)
// each cause one call.
package rulesdir

import (
	"context"
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

// Watch calls onChange, never concurrently, after changes under dir have
// settled for debounce (0 means DefaultDebounce). It returns when ctx is
// done.
func Watch(ctx context.Context, dir string, debounce time.Duration, logger *slog.Logger, onChange func()) error {
	if debounce <= 0 {
		debounce = DefaultDebounce
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("rulesdir: %w", err)
	}
	defer fw.Close()
	addTree := func(root string) {
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() {
				if p != root && strings.HasPrefix(d.Name(), ".") && !strings.HasPrefix(d.Name(), "..") {
					return filepath.SkipDir
				}
				if err := fw.Add(p); err != nil {
					logger.Warn("rulesdir: cannot watch", "dir", p, "err", err)
				}
			}
			return nil
		})
	}
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("rulesdir: %w", err)
	}
	addTree(dir)
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
			if ev.Op&fsnotify.Create != 0 {
				if st, err := os.Stat(ev.Name); err == nil && st.IsDir() {
					addTree(ev.Name) // a new subdirectory, or a ConfigMap's new data dir
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
			logger.Warn("rulesdir: watch error; reloading to be safe", "err", err)
			timer.Reset(debounce)
		case <-timer.C:
			onChange()
		}
	}
}
