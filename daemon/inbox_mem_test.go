package daemon

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/config"
)

// The memory tests run the daemon in a child process (this test binary run
// again with memChildEnv set), drop generated files into its inbox, wait
// until they leave it and read the child's peak resident set (VmHWM from
// /proc/self/status). Peak RSS is what the kernel charges the daemon for;
// the Go heap statistics alone miss what the runtime has not returned.

const (
	memChildEnv = "WATCHFLOOR_MEM_CHILD" // the staged files, separated by os.PathListSeparator
	memDirEnv   = "WATCHFLOOR_MEM_DIR"
)

// TestMemChild is the child's side; it does nothing in a normal run.
func TestMemChild(t *testing.T) {
	files := os.Getenv(memChildEnv)
	if files == "" {
		t.Skip("run by the memory tests only")
	}
	dir := os.Getenv(memDirEnv)
	cfg := config.Default()
	cfg.DataDir, cfg.RulesDir, cfg.Inbox.Dir = filepath.Join(dir, "data"), filepath.Join(dir, "rules.d"), filepath.Join(dir, "inbox")
	cfg.Inbox.Settle = config.Duration(20 * time.Millisecond)
	cfg.HTTP.Listen = "off"
	cfg.Notifiers = []config.Notifier{{Name: "console", Type: "log"}}
	cfg.DefaultNotify = []string{"console"}
	copyDir(t, "../rules.d", cfg.RulesDir)
	d, err := New(context.Background(), Options{Config: cfg, Stdout: io.Discard, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	time.Sleep(200 * time.Millisecond)
	base := vmHWM(t)
	var names []string
	for _, f := range filepath.SplitList(files) {
		names = append(names, filepath.Base(f))
		if err := os.Rename(f, filepath.Join(cfg.Inbox.Dir, filepath.Base(f))); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "the files to leave the inbox", 5*time.Minute, func() bool {
		for _, n := range names {
			if _, err := os.Stat(filepath.Join(cfg.Inbox.Dir, n)); err == nil {
				return false
			}
		}
		return true
	})
	peak := vmHWM(t)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	failed, _ := filepath.Glob(filepath.Join(cfg.Inbox.Dir, "failed", "*.error"))
	fmt.Printf("MEM base_kb=%d peak_kb=%d failed=%d\n", base, peak, len(failed))
}

// vmHWM reads this process's peak resident set in KiB.
func vmHWM(t *testing.T) int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no VmHWM")
	return 0
}

// memRun runs the child on files staged in dir/stage and returns its base
// and peak RSS in MiB and the number of files it sent to failed/.
func memRun(t *testing.T, dir string, files []string) (base, peak float64, failed int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestMemChild$", "-test.v")
	cmd.Env = append(os.Environ(), memChildEnv+"="+strings.Join(files, string(os.PathListSeparator)), memDirEnv+"="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if rest, ok := strings.CutPrefix(l, "MEM "); ok {
			var b, p int
			if _, err := fmt.Sscanf(rest, "base_kb=%d peak_kb=%d failed=%d", &b, &p, &failed); err != nil {
				t.Fatal(err)
			}
			return float64(b) / 1024, float64(p) / 1024, failed
		}
	}
	t.Fatalf("child printed no figures:\n%s", out)
	return
}

// seedSentences is the text of the seed articles, a realistic mix of
// matching and non-matching prose.
func seedSentences(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	seeds, _ := filepath.Glob("../testdata/seeds/*.txt")
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(data)
		b.WriteByte('\n')
	}
	return b.String()
}

// genJSON writes one JSON article whose body is about size bytes.
func genJSON(t *testing.T, path string, size int) {
	t.Helper()
	seed := seedSentences(t)
	var body strings.Builder
	for body.Len() < size {
		body.WriteString(seed)
	}
	data, err := json.Marshal(map[string]string{"title": "A very long report", "body": body.String()})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// genJSONL writes JSON Lines articles with the body text, size bytes in
// all; every line is a distinct article.
func genJSONL(t *testing.T, path string, size int, text string) int {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	n, written := 0, 0
	for written < size {
		b, _ := json.Marshal(map[string]string{"id": fmt.Sprint("mem-", n), "title": fmt.Sprint("Report ", n), "body": text})
		b = append(b, '\n')
		_, _ = w.Write(b)
		written += len(b)
		n++
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return n
}

// genText writes a plain-text article of about size bytes.
func genText(t *testing.T, path string, size int) {
	t.Helper()
	seed := seedSentences(t)
	var b bytes.Buffer
	b.WriteString("A very long report\n\n")
	for b.Len() < size {
		b.WriteString(seed)
	}
	if err := os.WriteFile(path, b.Bytes()[:size], 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestInboxMemoryBounded runs the daemon in a child process on large
// inbox files and checks its peak resident set above what it had before
// the files came. Figures measured before the bound (GOGC=100): a 30 MB
// JSON article +1275 MiB, four 31 MB texts +4516 MiB, 30 MB of JSON Lines
// +131 MiB.
func TestInboxMemoryBounded(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("peak RSS is read from /proc")
	}
	filler := strings.Repeat("The committee met on Tuesday to discuss the budget for the coming year. ", 200)
	tests := []struct {
		name       string
		gen        func(stage string) []string
		wantFailed int
		maxMiB     float64 // above the base
	}{
		{name: "30MB json", gen: func(s string) []string { p := filepath.Join(s, "big.json"); genJSON(t, p, 30<<20); return []string{p} }, wantFailed: 1, maxMiB: 20},
		{name: "4x31MB text", gen: func(s string) []string {
			var ps []string
			for i := range 4 {
				p := filepath.Join(s, fmt.Sprint("big", i, ".txt"))
				genText(t, p, 31<<20)
				ps = append(ps, p)
			}
			return ps
		}, wantFailed: 4, maxMiB: 20},
		{name: "4x1MB text, one at a time", gen: func(s string) []string {
			var ps []string
			for i := range 4 {
				p := filepath.Join(s, fmt.Sprint("big", i, ".txt"))
				genText(t, p, 1<<20)
				ps = append(ps, p)
			}
			return ps
		}, maxMiB: 90},
		{name: "30MB jsonl streamed", gen: func(s string) []string {
			p := filepath.Join(s, "big.jsonl")
			genJSONL(t, p, 30<<20, filler)
			return []string{p}
		}, maxMiB: 40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			stage := filepath.Join(dir, "stage")
			if err := os.MkdirAll(stage, 0o755); err != nil {
				t.Fatal(err)
			}
			files := tt.gen(stage)
			start := time.Now()
			base, peak, failed := memRun(t, dir, files)
			t.Logf("base %.0f MiB, peak %.0f MiB (+%.0f), %d in failed/, %v", base, peak, peak-base, failed, time.Since(start).Round(time.Millisecond))
			if failed != tt.wantFailed {
				t.Errorf("%d files in failed/, want %d", failed, tt.wantFailed)
			}
			if peak-base > tt.maxMiB {
				t.Errorf("peak RSS %.0f MiB above the base, want at most %.0f", peak-base, tt.maxMiB)
			}
		})
	}
}

// genHTML writes an HTML page of about size bytes: paragraphs of seed text
// among navigation links and a large inline script, as saved pages are.
func genHTML(t *testing.T, path string, size int) {
	t.Helper()
	seed := seedSentences(t)
	var b strings.Builder
	b.WriteString("<!doctype html><html><head><title>A very long report</title><script>var state = \"")
	for b.Len() < size/2 {
		b.WriteString("abcdefghij0123456789")
	}
	b.WriteString("\";</script></head><body><nav>")
	for range 200 {
		b.WriteString(`<a href="/x">Section</a> `)
	}
	b.WriteString("</nav><article>")
	paras := strings.Split(seed, "\n")
	for i := 0; b.Len() < size-100; i++ {
		b.WriteString("<p>" + paras[i%len(paras)] + "</p>\n")
	}
	b.WriteString("</article></body></html>")
	if err := os.WriteFile(path, []byte(b.String()[:min(b.Len(), size)]), 0o644); err != nil {
		t.Fatal(err)
	}
}
